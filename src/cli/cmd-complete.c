/* mhaadm complete (internal): the words shell completion offers, read from the command table and the registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "registry.h"

/*
 * The names of the registered clusters, one a line. Only the registry is
 * read: no host is probed, so completing a name never waits on a node.
 */
static int
cmd_complete_clusters(struct cmd_ctx *ctx)
{
	struct registry_cluster **list = NULL;
	struct registry *reg;
	char *cause = NULL;
	size_t n = 0, i;

	reg = cmd_ctx_registry(ctx, 1, &cause);
	if (reg == NULL || registry_cluster_list(reg, &list, &n, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
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
		cmd_print_command_names(stdout);
		return CMD_EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[1], "options") == 0) {
		if (cmd_print_option_names(stdout, argv[2]) != 0)
			return cmd_error(ctx, "no command '%s'", argv[2]);
		return CMD_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "clusters") == 0)
		return cmd_complete_clusters(ctx);
	return cmd_usage_error(ctx, "say 'commands', 'options COMMAND' or 'clusters'");
}

const struct cmd_entry cmd_complete_entry = {
	.name = "complete",
	.args = "commands | options COMMAND | clusters",
	.summary = "internal: words for shell completion (etc/mhaadm.bash-completion)",
	.exec = cmd_complete_exec,
	.flags = CMD_F_INTERNAL,
};
