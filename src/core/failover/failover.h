/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every failover does, whatever the engine that decided it: consult
 * the storm breaker, take the VIP off the old master (fencing its holder),
 * bind it on the new one, record the new master (spooled when the
 * registry is away), say how it ended, and decide whether the cluster can
 * be protected again. Each step emits its own events; none blocks on a
 * host or the registry for more than a bounded time.
 */
#ifndef MHAADM_FAILOVER_H
#define MHAADM_FAILOVER_H

#include <stddef.h>

struct config;
struct registry;
struct registry_cluster;

/* Seconds the failover path waits for the registry (connect, and SQLite's busy lock). */
#define FAILOVER_REGISTRY_TIMEOUT 1

/* Seconds an old master may hold the failover up when we try to take the VIP off it. */
#define FAILOVER_OLD_MASTER_TIMEOUT 2

/* The cluster being failed over, as the engine knows it (the registry may be away). */
struct failover_target {
	const struct config *cfg;
	struct registry *reg; /* NULL: the registry is away; events and records are spooled */
	const char *cluster;
	const char *vip;
	int vip_prefix;
	const char *iface;
};

/* A node of the failover: host as registered, addr to reach it (NULL: host). */
struct failover_node {
	const char *host;
	const char *addr;
	int port;
};

/*
 * Opens the registry with the failover path's bounds: connect within
 * FAILOVER_REGISTRY_TIMEOUT, and SQLite waiting at most as long for a
 * lock (instead of its usual 5 s per write). Returns NULL (logged with
 * cluster=) when it is unavailable: a failover goes on without it.
 */
struct registry *failover_registry_open(const struct config *cfg, const char *cluster);

/*
 * The storm breaker, asked before a failover moves anything. Returns 1
 * when it refuses (event storm.paused emitted; nothing must be moved), 0
 * when the failover may go on (also when the record cannot be used: a
 * bookkeeping problem never blocks a failover).
 */
int failover_storm_check(const struct failover_target *t, const struct failover_node *old);

/*
 * Takes the VIP off the old master. planned: a switchover (the old master
 * is alive). reachable: the engine could reach the old master's host; an
 * unreachable one is not tried again (it would only add our timeout: the
 * fence pass takes the VIP off it when it comes back). Emits
 * failover.started (not when planned: a switch emits switch.started
 * itself when it begins) and what happened to the VIP. Returns 0 when the
 * VIP is off (or not there, or skipped), 1 when a reachable host could not
 * be cleaned: a planned switch must stop then (two VIPs), a failover may
 * go on.
 */
int failover_vip_release(
    const struct failover_target *t, const struct failover_node *old, int reachable, int planned);

/*
 * Binds the VIP on the new master (gratuitous ARP sent in the background).
 * Returns 0 (event vip.moved), or -1 (event vip.failed): the promotion
 * goes on and the daemon binds the VIP when it re-protects.
 */
int failover_vip_take(const struct failover_target *t, const struct failover_node *old,
    const struct failover_node *new_master);

/*
 * Records new_master as the cluster's master (state failing_over, event
 * failover.master_changed), or spools the record for the daemon when the
 * registry is away or older records are still spooled. Returns 0
 * recorded, 1 spooled, 2 refused (new master is not a node of the
 * cluster), -1 lost (logged loudly).
 */
int failover_record_master(const struct failover_target *t, const struct failover_node *old,
    const struct failover_node *new_master);

/*
 * Says how the failover ended: completed (new_master set; replicas: the
 * re-pointed replicas, comma-separated, NULL none) or failed. detail: the
 * engine's one-line summary, or NULL.
 */
void failover_report(const struct failover_target *t, const char *old_host, const char *new_master,
    const char *replicas, const char *detail);

/*
 * Marks replica n of the cluster failed in the registry, with event
 * replica.failed (node, message): a failover left it behind (it was dead,
 * or could not be brought over to the new master), so it is out of
 * monitoring and never a candidate until a DBA rejoins it (mhaadm rejoin)
 * or adds it again. The registry has no per-node operation: the cluster is
 * read again and written back whole (cluster_update keeps every other
 * column), at once, so the window for a DBA's change is small. Returns 0
 * marked, 1 when the registry has no such replica (already failed, or not
 * a node: nothing done), -1 when the registry is away or refused (logged
 * with cluster= and node=; the registry keeps it a replica).
 */
int failover_replica_failed(
    const struct failover_target *t, const struct failover_node *n, const char *message);

/* What to do with a cluster after its engine completed a failover. */
enum failover_next {
	FAILOVER_NEXT_REPROTECT,   /* start the engine again on the new topology */
	FAILOVER_NEXT_UNPROTECTED, /* nothing left to promote: say so loudly, start nothing */
};

/* The replicas left that could be promoted or replicate. */
/*
 * The isolation guard on the new topology (guard.h), as soon as the new
 * master nm is chosen: its master side on, and the replica side on every
 * other replica of rc, so that when they are re-pointed (which restarts
 * their IO threads) they acknowledge it. rc NULL (the registry is away): only
 * an explicit isolation_guard = semisync is applied; the daemon's status
 * pass completes it. Bounded per server; a refusal is an event, never a
 * failed failover.
 */
void failover_guard_apply(const struct failover_target *t, const struct registry_cluster *rc,
    const struct failover_node *nm);

size_t failover_replicas(const struct registry_cluster *c);

/* The re-protection decision, from the registry's view after the failover. */
enum failover_next failover_after(const struct registry_cluster *c);

#endif
