/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm hook: the callback a failover engine's outside program runs
 * (MHA runs it during a failover). The command only loads the config and
 * hands the arguments to the engine that takes callbacks (engine_ops.hook);
 * the engine parses them and calls the failover core.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "engine.h"

/* The engine whose outside program calls 'mhaadm hook', or NULL. */
static const struct engine_ops *
cmd_hook_engine(void)
{
	size_t i;

	for (i = 0; engine_table[i] != NULL; i++) {
		if (engine_table[i]->hook != NULL)
			return engine_table[i];
	}
	return NULL;
}

static int
cmd_hook_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct engine_ops *engine = cmd_hook_engine();
	struct engine_env env = {NULL, NULL, NULL};
	char *cause = NULL;

	if (argc < 2)
		return cmd_usage_error(ctx,
		    "a hook type is needed: failover, online-change, report or secondary-check");
	if (engine == NULL)
		return cmd_error(ctx, "no engine takes hook calls");
	if (cmd_ctx_config(ctx, &cause) == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		/* MHA's secondary_check contract: 2 = cannot tell, do not fail over. */
		return strcmp(argv[1], "secondary-check") == 0 ? 2 : CMD_EXIT_ERROR;
	}
	env.cfg = ctx->cfg;
	env.config_path = ctx->config_path;
	return engine->hook(&env, argc, argv);
}

const struct cmd_entry cmd_hook_entry = {
    .name = "hook",
    .args = "failover|online-change|report|secondary-check --cluster=NAME [ENGINE ARGS]",
    .summary = "internal: called by the engine's own program during a failover (MHA): moves "
               "the VIP, records the new master",
    .exec = cmd_hook_exec,
    .flags = CMD_INTERNAL,
};
