/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether a master the manager cannot reach is dead: the replicas' view decides (both engines). */
#include <stdio.h>
#include <stdlib.h>

#include "master_verdict.h"
#include "xmalloc.h"

const char *
master_verdict_name(enum master_verdict v)
{
	switch (v) {
	case MASTER_DEAD:
		return "dead";
	case MASTER_ALIVE:
		return "alive";
	case MASTER_UNKNOWN:
		return "unknown";
	}
	return "?";
}

enum master_verdict
master_verdict_decide(const struct master_observation *obs, size_t n, char **reason)
{
	size_t i, reachable = 0, stale = 0;
	const char *node;

	if (reason != NULL)
		*reason = NULL;
	for (i = 0; i < n; i++) {
		if (!obs[i].reachable)
			continue;
		reachable++;
		if (!obs[i].from_master || !obs[i].io_running)
			continue;
		node = obs[i].node != NULL ? obs[i].node : "?";
		if (obs[i].moved != 0) {
			if (reason != NULL)
				*reason = xasprintf(
				    "replica %s still receives from the master (%s)", node,
				    obs[i].moved > 0 ? "data or heartbeats arrived"
				                     : "IO thread connected");
			return MASTER_ALIVE;
		}
		stale++;
	}
	if (reachable == 0) {
		if (reason != NULL)
			*reason = xasprintf("no replica answered (%zu asked)", n);
		return MASTER_UNKNOWN;
	}
	if (reason != NULL)
		*reason = xasprintf("no replica receives from the master (%zu answered, %zu with a "
		                    "silent IO thread)",
		    reachable, stale);
	return MASTER_DEAD;
}
