/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planned switchover, whatever the engine: the checks that refuse it
 * up front, and the sequence that moves the master of a live cluster to a
 * replica (old master read-only, its clients killed, the target caught up
 * by GTID, the VIP moved with the failover core, the target writable, the
 * others re-pointed), rolled back when it fails before writes open.
 */
#ifndef MHAADM_SWITCH_H
#define MHAADM_SWITCH_H

#include <stddef.h>

struct config;
struct registry;
struct registry_cluster;
struct status_cluster;

/* Seconds the target may take to apply what the old master logged, when --timeout is not given. */
#define SWITCH_TIMEOUT_DEFAULT 10

/*
 * Picks the new master of a probed and judged cluster (status_judge) and
 * says whether a switch may start: the cluster is monitored, has one
 * master, its verdict is ok, and the target is a replica the engine may
 * promote now (not lagging beyond max_lag, not delayed, no errant
 * transactions, not no_master). to_host (NULL: any; then a
 * candidate_master first, else the first fit replica) and to_port (0: any
 * port) name the target. Returns 0 with *old_i and *new_i (indexes in
 * sc->c->nodes), or -1 with *cause (newly allocated) saying why it is
 * refused. Pure.
 */
int switch_pick(const struct status_cluster *sc, const char *to_host, int to_port, size_t *old_i,
    size_t *new_i, char **cause);

struct switch_plan {
	const struct config *cfg;
	struct registry *reg;             /* events and the new roles */
	const struct registry_cluster *c; /* as read before the switch */
	size_t old_i, new_i;              /* from switch_pick */
	int timeout;                      /* seconds for the target to catch up */
	/* Says what the switch is doing, one line at a time (the CLI prints it); may be NULL. */
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
	/* Filled by switch_run: */
	long write_block_ms; /* old master read-only until the new master writable, -1 none */
};

/* What switch_run did. */
enum switch_result {
	SWITCH_DONE,        /* the new master is writable with the VIP; the others follow it */
	SWITCH_DONE_REPAIR, /* switched, but something after it failed (said in *cause) */
	SWITCH_ROLLED_BACK, /* failed before writes opened; the old master is writable again */
	SWITCH_STUCK,       /* failed and the roll-back failed too: *cause says what is where */
};

/*
 * Runs the switch of p (the engine must not be running for the cluster:
 * the caller holds it off). Emits switch.started, then switch.completed or
 * switch.failed, and the VIP events of the failover core; records the new
 * roles (old master replica, target master) in the registry. *cause
 * (newly allocated) is set for every result but SWITCH_DONE.
 */
enum switch_result switch_run(struct switch_plan *p, char **cause);

#endif
