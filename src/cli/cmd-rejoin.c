/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm rejoin NAME HOST[:PORT]: a failed former master becomes a
 * read-only replica of the current master again, when its GTIDs allow it
 * (src/core/failover/rejoin.c). The daemon's status pass does the same by
 * itself with auto_rejoin = yes (cmd-watch.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "event.h"
#include "log.h"
#include "registry.h"
#include "rejoin.h"
#include "validate.h"
#include "xmalloc.h"

int
cmd_rejoin_node(struct cmd_ctx *ctx, struct registry *reg, const char *cluster, const char *host,
    int port, char **master, char **why, char **extra)
{
	struct engine_env env = {ctx->cfg, ctx->config_path, NULL};
	struct registry_cluster *c = NULL;
	char *cause = NULL, *reason;
	int rc;

	rc = rejoin_node(ctx->cfg, reg, cluster, host, port, master, why, extra);
	if (rc != 0)
		return rc;
	/*
	 * The engine protects the cluster with the members it started with:
	 * restarted, it takes the replica in, and its lag policy keeps it from
	 * being promoted until it has caught up (max_lag), as for a replica
	 * taken back after being left out.
	 */
	if (registry_cluster_get(reg, cluster, &c, &cause) == 0 &&
	    c->desired == REGISTRY_DESIRED_MONITORED) {
		reason = xasprintf("%s:%d rejoined as a replica", host, port);
		if (engine_for(ctx->cfg, c->engine)
		        ->request_restart(&env, cluster, reason, &cause) < 0)
			log_warn("cluster=%s %s", cluster, cause);
		free(reason);
	}
	free(cause);
	registry_cluster_free(c);
	return 0;
}

static int
cmd_rejoin_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry *reg;
	char *cause = NULL, *host = NULL, *master = NULL, *why = NULL, *extra = NULL;
	int port = 0, rc = CMD_EXIT_ERROR, r;

	if (argc != 3)
		return cmd_usage_error(ctx, "a cluster name and the node HOST[:PORT] are needed");
	if (validate_cluster_name(argv[1], &cause) != 0 ||
	    (reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL ||
	    validate_parse_hostport(argv[2], ctx->cfg->node_port, &host, &port, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	cmd_progress(
	    ctx, "cluster '%s': checking %s:%d against the current master...", argv[1], host, port);
	r = cmd_rejoin_node(ctx, reg, argv[1], host, port, &master, &why, &extra);
	if (r == 0) {
		printf("cluster '%s': %s:%d rejoined as a read-only replica of %s (IO and SQL "
		       "threads running); the engine takes it back as a candidate once it has "
		       "caught up\n",
		    argv[1], host, port, master);
		rc = CMD_EXIT_OK;
	} else if (r > 0) {
		cmd_error(ctx, "cluster '%s': %s:%d not rejoined: %s", argv[1], host, port, why);
	} else {
		event_emit_fields(reg, argv[1], EVENT_ADDR(host, port), "replica.rejoin_failed",
		    EVENT_FIELDS("master", master),
		    "rejoin of %s:%d failed: %s; it is left "
		    "read-only with replication stopped",
		    host, port, why);
		cmd_error(ctx,
		    "cluster '%s': rejoin of %s:%d failed: %s; it is left read-only with "
		    "replication "
		    "stopped, and the registry still has it failed",
		    argv[1], host, port, why);
	}
out:
	free(cause);
	free(host);
	free(master);
	free(why);
	free(extra);
	return rc;
}

const struct cmd_entry cmd_rejoin_entry = {
    .name = "rejoin",
    .args = "NAME HOST[:PORT]",
    .summary = "make a failed former master a replica of the current master again",
    .exec = cmd_rejoin_exec,
};
