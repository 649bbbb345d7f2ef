/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's decisions as pure functions: the state it read in, the
 * actions to take out. No I/O, no clock, no globals: the supervisor loop
 * (daemon.c) performs the actions, and tests/unit/test-decide.c checks the
 * decisions with tables of cases.
 */
#ifndef MHAADM_DECIDE_H
#define MHAADM_DECIDE_H

#include <stddef.h>
#include <time.h>

#include "engine.h"
#include "registry.h"

#define DECIDE_BACKOFF_MIN 1
#define DECIDE_BACKOFF_MAX 60
#define DECIDE_STABLE_AFTER 60 /* seconds up after which the backoff resets */

/* One cluster at one reconcile step: the registry's row and our engine process. */
struct decide_cluster {
	enum registry_state state;
	enum registry_desired desired;
	int running;  /* an engine process runs for it */
	int stopping; /* TERM was sent to it */
	time_t now;
	time_t next_start; /* earliest (re)start, from the backoff */
};

/* What to do with it now (several may be set). */
struct decide_reconcile {
	int start;        /* start the engine */
	int checks;       /* ... with the full pre-monitoring checks */
	int stop;         /* ask the engine to stop */
	int mark_stopped; /* record state stopped (desired stopped, no engine) */
	int follow;       /* follow the running engine's health and restart requests */
	int reset;        /* not wanted: the next start is a fresh one (checks, backoff reset) */
};

/* Reconcile: start, stop, follow, or record stopped. */
void decide_reconcile(const struct decide_cluster *in, struct decide_reconcile *out);

/* How an engine ended, with the cluster as the registry has it now. */
struct decide_end_in {
	enum engine_outcome outcome;
	int stopping;          /* we had asked it to stop */
	int restart_requested; /* we stopped it to take a changed view (request_restart) */
	enum registry_desired desired;
	size_t replicas; /* replicas left (failover_replicas) */
	time_t now;
	time_t started; /* when that engine was started */
	int backoff;    /* the current backoff, seconds */
};

enum decide_end_action {
	DECIDE_END_NONE,        /* nothing (stopped on purpose; the desired state is not stopped) */
	DECIDE_END_STOPPED,     /* record state stopped: the DBA asked for it */
	DECIDE_END_RESTART_NOW, /* start again at once, without checks (it asked for a restart) */
	DECIDE_END_REPROTECT,   /* a failover completed: start again at once on the new topology */
	DECIDE_END_UNPROTECTED, /* record state unprotected (event_type says why); start nothing */
	DECIDE_END_BACKOFF,     /* crashed or checks failed: start again after the backoff */
};

struct decide_end {
	enum decide_end_action action;
	const char *event_type; /* the event to record, static; NULL for none */
	time_t next_start;      /* DECIDE_END_RESTART_NOW, _REPROTECT, _BACKOFF */
	int backoff;            /* the backoff after this decision */
};

/* What an engine's end means. */
void decide_ended(const struct decide_end_in *in, struct decide_end *out);

/*
 * The next start after a failure: now + backoff, the backoff doubling to
 * DECIDE_BACKOFF_MAX, reset first when the engine had been up for
 * DECIDE_STABLE_AFTER. Returns the next start; *backoff updated.
 */
time_t decide_backoff(time_t now, time_t started, int *backoff);

/* The state change an engine's health asks for. */
enum decide_health_change {
	DECIDE_HEALTH_NONE,
	DECIDE_HEALTH_MONITORING_AGAIN, /* back after restarts (state never changed) */
	DECIDE_HEALTH_REPROTECTED,      /* monitoring the new topology after a failover */
	DECIDE_HEALTH_MONITORING,       /* monitoring started */
	DECIDE_HEALTH_FAILING_OVER,     /* the engine is failing the master over */
};

/*
 * health: the engine's (engine.h); restarting: it ended unexpectedly
 * before; after_failover: it was started after a completed failover.
 */
enum decide_health_change decide_health(
    enum engine_health health, enum registry_state state, int restarting, int after_failover);

#endif
