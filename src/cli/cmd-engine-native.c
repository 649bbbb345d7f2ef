/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm engine-native: the one process that runs the native failover
 * engine for every cluster whose engine is "native" (started and
 * supervised by the daemon; internal).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "native.h"

static int
cmd_engine_native_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	char *cause = NULL;

	if (argc != 1)
		return cmd_usage_error(ctx, "no arguments are taken");
	(void)argv;
	if (cmd_ctx_config(ctx, &cause) == NULL || native_run(ctx->cfg, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_engine_native_entry = {
    .name = "engine-native",
    .args = "",
    .summary = "internal: run the native engine for every native cluster (started by the daemon)",
    .flags = CMD_INTERNAL,
    .exec = cmd_engine_native_exec,
};
