/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Manager HA, the side every acting process shares (docs/manager-ha.md):
 * when a manager may act for a cluster, and the lease file through which
 * the daemon tells its engines' hooks and its fence passes (processes of
 * their own) which lease it holds and when it last renewed it.
 */
#ifndef MHAADM_LEASE_H
#define MHAADM_LEASE_H

struct config;
struct failover_target;

/*
 * Whether leases are in force: a MySQL registry, shared by managers. With
 * SQLite there is one manager and nothing here applies.
 */
int lease_enabled(const struct config *cfg);

/* Milliseconds on CLOCK_BOOTTIME: monotonic, counts suspend, one clock for every process. */
long long lease_now_ms(void);

/*
 * How long before its lease could expire a manager stops acting: a fifth of
 * the lease, at least 1 s. It covers the registry's clock running faster
 * than ours and the time a stand-down takes to reach the engine.
 */
long long lease_margin_ms(long long lease_ms);

/*
 * The lease decision, a pure function. sent_ms: when (lease_now_ms) the
 * last renewal or acquisition that succeeded was *sent* — the registry
 * computed the expiry after that, so the lease lasts at least lease_ms from
 * it; 0: none. Returns 1 while now_ms - sent_ms < lease_ms - margin, else 0.
 */
int lease_may_act(long long sent_ms, long long now_ms, long long lease_ms);

/* What a lease file says. */
struct lease_held {
	long long epoch;
	long long sent_ms;
	long long lease_ms;
};

/*
 * Writes (atomically) / removes / reads <workdir>/leases/CLUSTER. read:
 * 0 with *out, 1 when there is none (or it is unreadable: nothing held).
 */
int lease_file_write(
    const struct config *cfg, const char *cluster, const struct lease_held *h, char **cause);
void lease_file_remove(const struct config *cfg, const char *cluster);
int lease_file_read(const struct config *cfg, const char *cluster, struct lease_held *out);

/*
 * 1 when this manager may act for cluster now by its lease file alone (or
 * leases are off), 0 otherwise: a quiet check for passes over every
 * cluster (the status pass acts only for the clusters it holds).
 */
int lease_held_here(const struct config *cfg, const char *cluster);

/*
 * Asked by a process of this manager before it acts for t's cluster (a
 * VIP move, read_only, a fence pass). Returns 0 when it may: leases are
 * off, or the daemon's lease file shows a lease still valid by
 * lease_may_act and the registry (when it answers) still names us the
 * owner at that epoch. Otherwise 1, with the event lease.refused emitted
 * (action names what was refused).
 */
int lease_guard(const struct failover_target *t, const char *action);

#endif
