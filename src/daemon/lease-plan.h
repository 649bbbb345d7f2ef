/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which free leases this manager tries to take, as a pure function of the
 * registry rows it read (no I/O, no clock): tests/unit/test-lease.c checks
 * it with tables of cases; the registry thread (reader.c) performs it.
 */
#ifndef MHAADM_LEASE_PLAN_H
#define MHAADM_LEASE_PLAN_H

#include <stddef.h>

#include "registry.h"

/*
 * Whether manager m counts as live for sharing clusters out: its heartbeat
 * is younger than its lease, it has not stopped cleanly, it is not draining.
 */
int lease_plan_live(const struct registry_manager *m);

/*
 * How many of n_clusters clusters one of n_live managers should hold:
 * ceil(n_clusters / n_live), all of them when n_live is 0.
 */
size_t lease_plan_share(size_t n_clusters, size_t n_live);

/*
 * The clusters (indices into names, n of them, in order) whose lease me
 * should try to acquire now: none while draining; else those without a
 * lease row, or whose lease is free or expired and not held off by a
 * failover, until me holds its share among the live managers (me counted
 * live). take must have room for n. Returns how many.
 */
size_t lease_plan_take(const char *me, int draining, const char *const *names, size_t n,
    const struct registry_lease *leases, size_t n_leases, const struct registry_manager *managers,
    size_t n_managers, size_t *take);

/*
 * Whether a daemon may start against the managers rows read before its
 * first heartbeat (docs/manager-ha.md, "Two daemons, one name"):
 *   0  it may;
 *   1  ha, and me's row has a heartbeat younger than its lease and no clean
 *      stop: another daemon with this manager_name may be running, or one
 *      just died; the caller watches the row (lease_plan_refreshed) until
 *      it is older than its lease;
 *  -1  not ha, and a manager with leases is alive on this registry (*who):
 *      a daemon without leases would act for every cluster beside it.
 * *who (when not NULL) is set to the row that decided, else NULL.
 */
int lease_plan_preflight(const char *me, int ha, const struct registry_manager *managers, size_t n,
    const struct registry_manager **who);

/*
 * Whether a heartbeat was written between two reads of one managers row:
 * its age was age0_ms, and elapsed_ms later it is age_ms, younger than it
 * would be without a write (a slack of 300 ms covers the round trips).
 */
int lease_plan_refreshed(long long age0_ms, long long elapsed_ms, long long age_ms);

#endif
