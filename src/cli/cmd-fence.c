/*
 * mhaadm fence NAME (internal, run by the daemon every few seconds for a
 * cluster that has failed nodes): a former master that comes back after
 * being cut off still holds the VIP and is still writable. Two hosts would
 * then answer for the VIP. This removes the VIP from every failed node that
 * holds it and sets read_only on every failed node that is writable, each
 * an event. Every contact is bounded by one second: a failed node is
 * usually unreachable, and that is the normal, quiet case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "probe.h"
#include "registry.h"
#include "ssh.h"
#include "validate.h"
#include "vip.h"

#define CMD_FENCE_TIMEOUT 1

static void
cmd_fence_node(struct cmd_ctx *ctx, struct registry *reg, const struct registry_cluster *c,
    const struct registry_node *nd)
{
	static const char *const read_only[] = { "SET GLOBAL read_only=1", NULL };
	struct probe_credentials cred = { ctx->cfg->ha_user, ctx->cfg->ha_password,
		CMD_FENCE_TIMEOUT, CMD_FENCE_TIMEOUT };
	struct probe_result pr = { 0 };
	struct ssh_target t;
	char node[300], *cause = NULL;

	snprintf(node, sizeof(node), "%s:%d", nd->host, nd->port);
	ssh_target_from_config(&t, ctx->cfg, nd->host, CMD_FENCE_TIMEOUT);
	/*
	 * One round trip every pass: vip_del answers "not there" (1) in the
	 * normal case; an unreachable host (-1) is normal too and stays quiet.
	 */
	if (vip_del(&t, c->vip, c->vip_prefix, c->iface, &cause) == 0)
		event_emit(reg, c->name, node, "fence.vip_removed",
		    "failed former master %s came back holding VIP %s; removed it there", nd->host,
		    c->vip);
	free(cause);
	cause = NULL;
	if (probe_node(nd->host, nd->port, &cred, &pr) == 0 && !pr.read_only) {
		if (probe_exec(nd->host, nd->port, &cred, read_only, &cause) == 0)
			event_emit(reg, c->name, node, "fence.read_only",
			    "failed former master %s came back writable; set read_only=1", node);
		else
			event_emit(reg, c->name, node, "fence.read_only_failed",
			    "failed former master %s is writable and read_only could not be set: %s",
			    node, cause);
		free(cause);
	}
	probe_result_clear(&pr);
}

static int
cmd_fence_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_cluster *c = NULL;
	struct registry *reg;
	char *cause = NULL;
	size_t i;

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
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_FAILED)
			cmd_fence_node(ctx, reg, c, &c->nodes[i]);
	}
	registry_cluster_free(c);
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_fence_entry = {
	.name = "fence",
	.args = "NAME",
	.summary = "internal: take the VIP and writes away from failed former masters (daemon)",
	.exec = cmd_fence_exec,
};
