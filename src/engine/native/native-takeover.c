/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the servers say of a failover another engine left unfinished
 * (manager HA: its owner died or lost its lease mid-way, and its journal is
 * in that manager's workdir): before a fresh failover the replicas' view
 * decides whether the cluster is as a plain dead master leaves it, as a
 * promotion interrupted after RESET SLAVE ALL leaves it (finished with that
 * server), or something else (refused: nothing is changed).
 */
#include <stdio.h>
#include <strings.h>

#include "native.h"
#include "xmalloc.h"

/* Whether replica sample s names node n as its source (by name or address, as Master_Host may). */
static int
native_takeover_source_is(const struct native_sample *s, const struct native_node *n)
{
	return s->master_port == n->port &&
	       (strcasecmp(s->master_host, n->host) == 0 ||
	           (n->addr[0] != '\0' && strcasecmp(s->master_host, n->addr) == 0));
}

int
native_takeover_decide(const struct native_cluster *c, size_t *adopt, char **why)
{
	const struct native_node *m = &c->nodes[c->master];
	size_t i, bare = (size_t)-1, n_bare = 0;

	*adopt = (size_t)-1;
	/* Replicas without any replication source: a promotion began on them. */
	for (i = 0; i < c->n_nodes; i++) {
		const struct native_node *n = &c->nodes[i];

		if (i == c->master || !n->reachable || n->s.at_ms == 0)
			continue;
		if (n->s.master_host[0] == '\0') {
			bare = i;
			n_bare++;
		}
	}
	if (n_bare > 1) {
		*why =
		    xasprintf("%zu replicas replicate from no server (an interrupted failover, or "
		              "replication reset by hand): no failover, nothing changed; find the "
		              "most advanced server, make the others replicate from it, then run "
		              "'mhaadm start %s'",
		        n_bare, c->name);
		return -1;
	}
	/* None: as a dead master leaves it (a chained replica is repointed as always). */
	if (bare == (size_t)-1)
		return 0;
	/* Every other replica follows the dead master, or the server already promoted. */
	for (i = 0; i < c->n_nodes; i++) {
		const struct native_node *n = &c->nodes[i];

		if (i == c->master || i == bare || !n->reachable || n->s.at_ms == 0)
			continue;
		if (native_takeover_source_is(&n->s, m) ||
		    native_takeover_source_is(&n->s, &c->nodes[bare]))
			continue;
		*why = xasprintf("replica %s:%d replicates from no server while replica %s:%d "
		                 "replicates from %s:%d, neither the master nor it: no failover, "
		                 "nothing changed; check which server is the master, then run "
		                 "'mhaadm start %s'",
		    c->nodes[bare].host, c->nodes[bare].port, n->host, n->port, n->s.master_host,
		    n->s.master_port, c->name);
		return -1;
	}
	*adopt = bare;
	return 1;
}
