/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Commands that later work fills in (none left: the last, switch, is
 * cmd-switch.c). A stub goes here so that usage, help and the man page are
 * complete, and fails honestly: exit 1 with "not implemented yet", never a
 * pretend success. help and version live here too, being a few lines each.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "mhaadm-version.h"

static int
cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *entry;
	char *cause = NULL;

	if (argc > 2)
		return cmd_usage_error(ctx, "too many arguments");
	if (argc == 1) {
		cmd_print_help(stdout);
		return CMD_EXIT_OK;
	}
	entry = cmd_find(argv[1], &cause);
	if (entry == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_USAGE;
	}
	cmd_print_usage(stdout, entry);
	printf("%s\n", entry->summary);
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .args = "[COMMAND]",
    .summary = "show the commands, or one command's usage",
    .exec = cmd_help_exec,
};

static const struct option cmd_version_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

static int
cmd_version_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	int opt, json = 0;

	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'j')
			json = 1;
		else
			return cmd_bad_option(ctx, argc, argv);
	}
	if (optind != argc)
		return cmd_usage_error(ctx, "too many arguments");
	/* The version is a plain token: no escaping is needed in the JSON form. */
	if (json)
		printf("{\n  \"name\": \"mhaadm\",\n  \"version\": \"%s\"\n}\n", MHAADM_VERSION);
	else
		printf("mhaadm %s\n", MHAADM_VERSION);
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_version_entry = {
    .name = "version",
    .args = "[--json]",
    .summary = "print the version",
    .shortopts = "",
    .longopts = cmd_version_longopts,
    .exec = cmd_version_exec,
};
