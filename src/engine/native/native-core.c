/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared failover core (src/core/failover/failover.c) as the native
 * engine calls it: storm breaker, VIP release and take, the registry
 * record with the spool behind it, the report. One file, so the engine's
 * promotion logic never names the core's details.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "failover.h"
#include "lease.h"
#include "native.h"
#include "registry.h"
#include "xmalloc.h"

static void
native_core_target(struct failover_target *t, const struct config *cfg, struct registry *reg,
    const struct native_cluster *c)
{
	t->cfg = cfg;
	t->reg = reg;
	t->cluster = c->name;
	t->vip = c->vip;
	t->vip_prefix = c->vip_prefix;
	t->iface = c->iface;
}

static void
native_core_node(struct failover_node *n, const struct native_node *nn)
{
	n->host = nn->host;
	n->addr = NULL;
	n->port = nn->port;
}

struct registry *
native_core_registry(const struct config *cfg, const char *cluster)
{
	return failover_registry_open(cfg, cluster);
}

int
native_core_storm(const struct config *cfg, struct registry *reg, const struct native_cluster *c)
{
	struct failover_target t;
	struct failover_node old;

	native_core_target(&t, cfg, reg, c);
	native_core_node(&old, &c->nodes[c->master]);
	return failover_storm_check(&t, &old);
}

int
native_core_vip_release(
    const struct config *cfg, struct registry *reg, const struct native_cluster *c, int reachable)
{
	struct failover_target t;
	struct failover_node old;

	native_core_target(&t, cfg, reg, c);
	native_core_node(&old, &c->nodes[c->master]);
	return failover_vip_release(&t, &old, reachable, 0);
}

int
native_core_vip_take(const struct config *cfg, struct registry *reg, const struct native_cluster *c,
    size_t new_master)
{
	struct failover_target t;
	struct failover_node old, nm;

	native_core_target(&t, cfg, reg, c);
	native_core_node(&old, &c->nodes[c->master]);
	native_core_node(&nm, &c->nodes[new_master]);
	return failover_vip_take(&t, &old, &nm);
}

void
native_core_guard(const struct config *cfg, struct registry *reg, const struct native_cluster *c,
    size_t new_master, const unsigned char *left_behind)
{
	struct failover_target t;
	struct failover_node nm;
	struct registry_cluster rc = {0};
	struct registry_node *nodes = xcalloc(c->n_nodes, sizeof(*nodes));
	size_t i;

	native_core_target(&t, cfg, reg, c);
	native_core_node(&nm, &c->nodes[new_master]);
	/*
	 * The topology after the failover, from the engine's own view (the
	 * registry may be away): the old master and the replicas left behind
	 * failed, everyone else a replica. "auto" is then judged as for MHA on
	 * the survivors (a dead replica never makes it semi-sync with one
	 * replica to answer), every other replica gets its replica side before
	 * it is repointed, and a dead one is not waited for.
	 */
	rc.name = c->name;
	rc.vip = c->vip;
	rc.vip_prefix = c->vip_prefix;
	rc.iface = c->iface;
	rc.nodes = nodes;
	rc.n_nodes = c->n_nodes;
	for (i = 0; i < c->n_nodes; i++) {
		nodes[i].host = c->nodes[i].host;
		nodes[i].port = c->nodes[i].port;
		nodes[i].role = i == c->master || (left_behind != NULL && left_behind[i])
		                    ? REGISTRY_ROLE_FAILED
		                    : REGISTRY_ROLE_REPLICA;
		nodes[i].no_master = c->nodes[i].no_master;
		nodes[i].candidate_master = c->nodes[i].candidate;
		nodes[i].server_id = -1;
		nodes[i].read_only = -1;
		nodes[i].log_bin = -1;
		nodes[i].lag = -1;
	}
	failover_guard_apply(&t, &rc, &nm);
	free(nodes);
}

int
native_core_lease(const struct config *cfg, struct registry *reg, const struct native_cluster *c,
    const char *action)
{
	struct failover_target t;

	native_core_target(&t, cfg, reg, c);
	return lease_guard(&t, action);
}

int
native_core_record(const struct config *cfg, struct registry *reg, const struct native_cluster *c,
    size_t new_master)
{
	struct failover_target t;
	struct failover_node old, nm;

	native_core_target(&t, cfg, reg, c);
	native_core_node(&old, &c->nodes[c->master]);
	native_core_node(&nm, &c->nodes[new_master]);
	return failover_record_master(&t, &old, &nm);
}

int
native_core_replica_failed(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, size_t node, const char *message)
{
	struct failover_target t;
	struct failover_node n;

	native_core_target(&t, cfg, reg, c);
	native_core_node(&n, &c->nodes[node]);
	return failover_replica_failed(&t, &n, message);
}

void
native_core_report(const struct config *cfg, struct registry *reg, const struct native_cluster *c,
    const char *new_master, const char *replicas, const char *detail)
{
	struct failover_target t;
	char old[300];

	native_core_target(&t, cfg, reg, c);
	snprintf(old, sizeof(old), "%s:%d", c->nodes[c->master].host, c->nodes[c->master].port);
	failover_report(&t, old, new_master, replicas, detail);
}
