/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm fence NAME (internal, run by the daemon every few seconds for a
 * cluster that has failed nodes): one fence pass (src/core/failover/fence.c)
 * in a process of its own, so that its bounded contacts never hold up the
 * daemon's loop.
 */
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "event.h"
#include "failover.h"
#include "fence.h"
#include "lease.h"
#include "log.h"
#include "registry.h"
#include "validate.h"

static int
cmd_fence_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct failover_target t = {0};
	struct registry_cluster *c = NULL;
	struct registry *reg;
	char *cause = NULL;

	log_set_level(LOG_LEVEL_INFO); /* its output is the cluster's engine.log */
	if (argc != 2)
		return cmd_usage_error(ctx, "a cluster name is needed");
	if (validate_cluster_name(argv[1], &cause) != 0 ||
	    (reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL ||
	    registry_cluster_get(reg, argv[1], &c, &cause) != 0) {
		cmd_error(ctx, "%s", cause != NULL ? cause : "no such cluster");
		free(cause);
		return CMD_EXIT_ERROR;
	}
	/* Manager HA: only the manager holding the cluster's lease fences its nodes. */
	if (lease_enabled(ctx->cfg))
		event_set_manager(ctx->cfg->manager_name);
	t.cfg = ctx->cfg;
	t.reg = reg;
	t.cluster = c->name;
	if (lease_guard(&t, "fence failed former masters") == 0)
		fence_cluster(ctx->cfg, reg, c);
	registry_cluster_free(c);
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_fence_entry = {
    .name = "fence",
    .args = "NAME",
    .summary = "internal: take the VIP and writes away from failed former masters (daemon)",
    .exec = cmd_fence_exec,
    .flags = CMD_INTERNAL,
};
