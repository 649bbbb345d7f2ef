/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The isolation guard: semi-sync replication that keeps a cut-off master from acknowledging writes.
 */
#ifndef MHAADM_GUARD_H
#define MHAADM_GUARD_H

#include "probe.h"

struct config;
struct registry_cluster;

/*
 * rpl_semi_sync_master_timeout the guard sets, in ms (the largest value
 * MariaDB 10.11 takes, ~49 days): in effect the server never falls back to
 * async by itself. Falling back is mhaadm's decision (semisync_fallback_seconds),
 * taken only while the manager can see the master, and always an event.
 */
#define GUARD_TIMEOUT_MS 4294967295ULL

/* What the guard of a cluster is now. */
enum guard_mode {
	GUARD_OFF,      /* no guard: a cut-off master acknowledges writes (split brain) */
	GUARD_SEMISYNC, /* semi-sync, AFTER_SYNC, no silent fallback */
};

const char *guard_mode_name(enum guard_mode m);

/*
 * The guard a cluster gets with master_host:master_port as its master: the
 * configured isolation_guard, where "auto" means semisync when at least 2
 * replicas follow that master (one replica down then never stalls writes),
 * else off. Replicas = registered replica nodes other than the master
 * (failed former masters never count). *why (static text) says why.
 */
enum guard_mode guard_mode_for(const struct config *cfg, const struct registry_cluster *c,
    const char *master_host, int master_port, const char **why);

/* guard_mode_for with the registry's master of c (off when it names none). */
enum guard_mode guard_mode_of(
    const struct config *cfg, const struct registry_cluster *c, const char **why);

/* Whether a probed master's semi-sync settings are the guard's (enabled, AFTER_SYNC, long timeout).
 */
int guard_master_is_set(const struct probe_semisync *ss);

/*
 * Turns the master side on at host:port: AFTER_SYNC, GUARD_TIMEOUT_MS, and
 * the replica side too (harmless on a master, ready when it is demoted).
 * Returns 0, or -1 with *cause.
 */
int guard_master_on(const struct probe_credentials *cred, const char *host, int port, char **cause);

/*
 * Turns the master side off at host:port. Commits waiting for an
 * acknowledgement are then acknowledged to their clients: used for the
 * fallback and for isolation_guard = off, never on a demoted master.
 */
int guard_master_off(
    const struct probe_credentials *cred, const char *host, int port, char **cause);

/*
 * Turns the replica side on at host:port. With restart_io the IO thread is
 * restarted, which is when a replica starts acknowledging (it asks for
 * semi-sync when it connects). Returns 0, or -1 with *cause.
 */
int guard_replica_on(
    const struct probe_credentials *cred, const char *host, int port, int restart_io, char **cause);

/*
 * Brings the nodes of c to mode: probes[i] is a fresh probe of c->nodes[i]
 * (status_probe's). With semisync: the replica side on every replica whose
 * IO thread does not acknowledge yet (restarting it), then the master side
 * on the master; with off: the master side off on the master. Failed nodes
 * are never touched. Returns the number of servers changed (0: already
 * right) with *done (newly allocated, NULL when 0) saying what, or -1 with
 * *cause naming the first server that refused.
 */
int guard_apply(const struct probe_credentials *cred, const struct registry_cluster *c,
    const struct probe_result *probes, enum guard_mode mode, char **done, char **cause);

struct status_cluster;

/* guard_apply over a status_probe result (the probes of sc->nodes). */
int guard_apply_status(const struct probe_credentials *cred, const struct status_cluster *sc,
    enum guard_mode mode, char **done, char **cause);

#endif
