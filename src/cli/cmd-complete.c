/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm complete (internal): the words bash completion offers, read from the command table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "registry.h"

/* Internal commands (started by the daemon or MHA) are never offered. */
static int
cmd_complete_internal(const struct cmd_entry *e)
{
	return (e->flags & CMD_INTERNAL) != 0;
}

static void
cmd_complete_commands(void)
{
	const struct cmd_entry *const *e;

	for (e = cmd_table; *e != NULL; e++) {
		if (cmd_complete_internal(*e))
			continue;
		printf("%s\n", (*e)->name);
		if ((*e)->alias != NULL)
			printf("%s\n", (*e)->alias);
	}
}

/* Every long option of the command, as --NAME, then its short options as -X. */
static int
cmd_complete_options(const char *name)
{
	const struct cmd_entry *e;
	const struct option *o;
	const char *s;
	char *cause = NULL;

	if ((e = cmd_find(name, &cause)) == NULL || cmd_complete_internal(e)) {
		free(cause);
		return CMD_EXIT_ERROR;
	}
	for (o = e->longopts; o != NULL && o->name != NULL; o++)
		printf("--%s\n", o->name);
	for (s = e->shortopts; s != NULL && *s != '\0'; s++) {
		if (*s != ':' && *s != '+' && *s != '-')
			printf("-%c\n", *s);
	}
	printf("--help\n");
	return CMD_EXIT_OK;
}

/* Cluster names from the registry alone: no host is contacted, nothing is printed on error. */
static int
cmd_complete_clusters(struct cmd_ctx *ctx)
{
	struct registry_cluster **list = NULL;
	struct registry *reg;
	char *cause = NULL;
	size_t i, n = 0;

	if ((reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL ||
	    registry_cluster_list(reg, &list, &n, &cause) != 0) {
		free(cause);
		return CMD_EXIT_ERROR;
	}
	for (i = 0; i < n; i++)
		printf("%s\n", list[i]->name);
	registry_cluster_list_free(list, n);
	return CMD_EXIT_OK;
}

static int
cmd_complete_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "commands") == 0) {
		cmd_complete_commands();
		return CMD_EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[1], "options") == 0)
		return cmd_complete_options(argv[2]);
	if (argc == 2 && strcmp(argv[1], "clusters") == 0)
		return cmd_complete_clusters(ctx);
	return cmd_usage_error(ctx, "expected: commands | options COMMAND | clusters");
}

const struct cmd_entry cmd_complete_entry = {
    .name = "complete",
    .args = "commands | options COMMAND | clusters",
    .summary = "internal: words for shell completion (from the command table and the registry)",
    .exec = cmd_complete_exec,
    .flags = CMD_INTERNAL,
};
