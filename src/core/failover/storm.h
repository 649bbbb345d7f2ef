/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storm breaker: a fleet-wide limit on automatic failovers started from
 * this manager host within a window. When many masters "die" at once the
 * likely cause is the network around the manager, not the masters; going on
 * would promote replicas everywhere and split the fleet.
 */
#ifndef MHAADM_STORM_H
#define MHAADM_STORM_H

#include <time.h>

struct config;

/*
 * Decides on a failover of cluster starting at now, given the record text
 * ("EPOCH CLUSTER" lines; NULL or garbage lines are ignored). At most max
 * distinct clusters may start a failover within window seconds; a cluster
 * already in the record is not counted twice. *kept is the new record
 * (entries older than the window dropped, cluster added when admitted),
 * newly allocated. Returns 0 admitted, 1 refused with *why (newly allocated:
 * how many, which clusters, since when).
 */
int storm_decide(const char *text, const char *cluster, time_t now, int max, int window,
    char **kept, char **why);

/*
 * Applies storm_decide to <workdir>/storm under an exclusive lock, so that
 * hooks of clusters failing at the same moment count each other. Returns 0
 * admitted (also when the breaker is off, storm_max_failovers = 0), 1
 * refused with *why, -1 with *cause when the record cannot be used: the
 * caller admits then, a bookkeeping problem must not block a failover.
 */
int storm_admit(
    const struct config *cfg, const char *cluster, time_t now, char **why, char **cause);

#endif
