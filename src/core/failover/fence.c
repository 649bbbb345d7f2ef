/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fence pass: a former master that comes back after being cut off
 * still holds the VIP and is still writable, so two hosts would answer
 * for the VIP: the VIP is removed there, its client sessions are killed and
 * read_only is set. Run every few seconds by the daemon (mhaadm fence NAME) for
 * a cluster that has failed nodes, whatever its engine.
 */
#include "fence.h"

#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "probe.h"
#include "registry.h"
#include "ssh.h"
#include "vip.h"

/* Kills the client sessions of a failed node; returns how many (0 when it could not). */
static long
fence_kill(const struct probe_credentials *cred, const struct registry_node *nd)
{
	char *cause = NULL;
	long killed = 0;

	if (probe_kill_clients(nd->host, nd->port, cred, &killed, &cause) != 0) {
		log_warn("node=%s:%d client sessions not killed: %s", nd->host, nd->port, cause);
		free(cause);
	}
	return killed;
}

/*
 * While the returning host still held the VIP it answered ARP for it, so
 * clients (the manager host included) may have learnt its MAC again: the
 * current master announces the VIP anew (gratuitous ARPs, in the
 * background), or they would wait for their ARP entry to expire.
 */
static void
fence_announce(const struct config *cfg, const struct registry_cluster *c)
{
	struct ssh_target t;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role != REGISTRY_ROLE_MASTER)
			continue;
		ssh_target_from_config(&t, cfg, c->nodes[i].host, FENCE_TIMEOUT);
		if (vip_add_announce(&t, c->vip, c->vip_prefix, c->iface, cfg->garp_count,
		        cfg->garp_interval_ms, &cause) != 0) {
			log_warn("cluster=%s node=%s:%d VIP not announced again: %s", c->name,
			    c->nodes[i].host, c->nodes[i].port, cause);
			free(cause);
			cause = NULL;
		}
	}
}

static void
fence_node(const struct config *cfg, struct registry *reg, const struct registry_cluster *c,
    const struct registry_node *nd)
{
	static const char *const read_only[] = {"SET GLOBAL read_only=1", NULL};
	struct probe_credentials cred = {
	    cfg->ha_user, cfg->ha_password, FENCE_TIMEOUT, FENCE_TIMEOUT};
	struct probe_result pr = {0};
	struct ssh_target t;
	char node[300], *cause = NULL;
	long killed;

	snprintf(node, sizeof(node), "%s:%d", nd->host, nd->port);
	ssh_target_from_config(&t, cfg, nd->host, FENCE_TIMEOUT);
	/*
	 * One round trip every pass: vip_del answers "not there" (1) in the
	 * normal case; an unreachable host (-1) is normal too and stays quiet.
	 */
	if (vip_del(&t, c->vip, c->vip_prefix, c->iface, &cause) == 0) {
		event_emit(reg, c->name, node, "fence.vip_removed",
		    "failed former master %s came back holding VIP %s; removed it there", nd->host,
		    c->vip);
		fence_announce(cfg, c);
	}
	free(cause);
	cause = NULL;
	if (probe_node(nd->host, nd->port, &cred, &pr) == 0 && !pr.read_only) {
		/*
		 * Sessions first: SET GLOBAL read_only waits for commits in
		 * progress, and one that waits for a semi-sync acknowledgement
		 * (the isolation guard) never finishes; killed, its client gets an
		 * error, never an OK. Then read_only, then the sessions that
		 * connected meanwhile. Semi-sync stays on: turning it off would
		 * acknowledge the waiting commits.
		 */
		killed = fence_kill(&cred, nd);
		if (probe_exec(nd->host, nd->port, &cred, read_only, &cause) == 0) {
			killed += fence_kill(&cred, nd);
			event_emit(reg, c->name, node, "fence.read_only",
			    "failed former master %s came back writable; set read_only=1 and "
			    "killed "
			    "%ld client session%s",
			    node, killed, killed == 1 ? "" : "s");
		} else
			event_emit(reg, c->name, node, "fence.read_only_failed",
			    "failed former master %s is writable and read_only could not be set: "
			    "%s",
			    node, cause);
		free(cause);
	}
	probe_result_clear(&pr);
}

int
fence_cluster(const struct config *cfg, struct registry *reg, const struct registry_cluster *c)
{
	size_t i;
	int n = 0;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_FAILED) {
			fence_node(cfg, reg, c, &c->nodes[i]);
			n++;
		}
	}
	return n;
}
