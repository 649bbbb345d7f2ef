/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm init: create or upgrade the registry schema; safe to run again. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "registry.h"

static int
cmd_init_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry *reg;
	char *cause = NULL;
	const char *where;
	int before = 0, after = 0, opt;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1)
		return cmd_bad_option(ctx, argc, argv);
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);

	reg = cmd_ctx_registry(ctx, 0, &cause);
	if (reg == NULL)
		goto fail;
	if (registry_schema_version(reg, &before, &cause) != 0)
		goto fail;
	if (registry_init(reg, &cause) != 0)
		goto fail;
	if (registry_schema_version(reg, &after, &cause) != 0)
		goto fail;

	where = ctx->cfg->registry == CONFIG_REGISTRY_SQLITE ? ctx->cfg->registry_path
	                                                     : ctx->cfg->mysql_host;
	if (before == 0)
		printf("registry %s (%s): created, schema version %d\n", where,
		    registry_backend_name(reg), after);
	else if (before < after)
		printf("registry %s (%s): upgraded from schema version %d to %d\n", where,
		    registry_backend_name(reg), before, after);
	else
		printf("registry %s (%s): schema version %d is current, nothing to do\n", where,
		    registry_backend_name(reg), after);
	return CMD_EXIT_OK;

fail:
	cmd_error(ctx, "%s", cause);
	free(cause);
	return CMD_EXIT_ERROR;
}

const struct cmd_entry cmd_init_entry = {
    .name = "init",
    .args = "",
    .summary = "create or upgrade the registry schema (idempotent)",
    .exec = cmd_init_exec,
};
