/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's decisions (decide.h): pure functions of the state read. */
#include "decide.h"

#include <string.h>

void
decide_reconcile(const struct decide_cluster *in, struct decide_reconcile *out)
{
	int want =
	    in->desired == REGISTRY_DESIRED_MONITORED && in->state != REGISTRY_STATE_UNPROTECTED;

	memset(out, 0, sizeof(*out));
	/* Nothing runs and the DBA asked to stop: say so once (states that are not "stopped"). */
	if (!want && in->desired == REGISTRY_DESIRED_STOPPED && !in->running &&
	    in->state != REGISTRY_STATE_STOPPED && in->state != REGISTRY_STATE_REGISTERED &&
	    in->state != REGISTRY_STATE_PENDING)
		out->mark_stopped = 1;
	if (want && !in->running && in->now >= in->next_start) {
		out->start = 1;
		/* A start from rest runs the full checks; a restart after a crash does not need
		 * them. */
		out->checks = in->state == REGISTRY_STATE_STOPPED ||
		              in->state == REGISTRY_STATE_REGISTERED ||
		              in->state == REGISTRY_STATE_READY;
	} else if (!want && in->running && !in->stopping &&
	           in->state != REGISTRY_STATE_UNPROTECTED) {
		/* Unprotected keeps what runs: it is the engine that decided it (a refused
		 * failover). */
		out->stop = 1;
	} else if (in->running && !in->stopping) {
		out->follow = 1;
	}
	if (!want)
		out->reset = 1;
}

time_t
decide_backoff(time_t now, time_t started, int *backoff)
{
	time_t next;

	if (now - started >= DECIDE_STABLE_AFTER || *backoff < DECIDE_BACKOFF_MIN)
		*backoff = DECIDE_BACKOFF_MIN;
	next = now + *backoff;
	*backoff = *backoff * 2 > DECIDE_BACKOFF_MAX ? DECIDE_BACKOFF_MAX : *backoff * 2;
	return next;
}

void
decide_ended(const struct decide_end_in *in, struct decide_end *out)
{
	memset(out, 0, sizeof(*out));
	out->backoff = in->backoff;
	/* A failover completes even when we were stopping it: that is never "stopped". */
	if (in->stopping && in->outcome != ENGINE_OUTCOME_FAILOVER) {
		if (in->desired == REGISTRY_DESIRED_STOPPED) {
			out->action = DECIDE_END_STOPPED;
			out->event_type = "monitoring.stopped";
		} else if (in->restart_requested) {
			/* A restarted engine checks the topology itself at start. */
			out->action = DECIDE_END_RESTART_NOW;
			out->next_start = in->now;
		}
		return;
	}
	switch (in->outcome) {
	case ENGINE_OUTCOME_FAILOVER:
		if (in->replicas == 0) {
			out->action = DECIDE_END_UNPROTECTED;
			out->event_type = "cluster.unprotected";
			break;
		}
		out->action = DECIDE_END_REPROTECT;
		out->event_type = "engine.exited";
		out->next_start = in->now;
		out->backoff = DECIDE_BACKOFF_MIN;
		break;
	case ENGINE_OUTCOME_REFUSED:
		out->action = DECIDE_END_UNPROTECTED;
		out->event_type = "failover.refused";
		break;
	case ENGINE_OUTCOME_PAUSED:
		/* Not restarted: the engine would find the same dead master and ask again at once.
		 */
		out->action = DECIDE_END_UNPROTECTED;
		out->event_type = "failover.paused";
		break;
	case ENGINE_OUTCOME_FAILOVER_FAILED:
		out->action = DECIDE_END_UNPROTECTED;
		out->event_type = "failover.failed";
		break;
	case ENGINE_OUTCOME_CHECKS_FAILED:
	case ENGINE_OUTCOME_CRASHED:
	case ENGINE_OUTCOME_STOPPED:
		out->action = DECIDE_END_BACKOFF;
		out->event_type = in->outcome == ENGINE_OUTCOME_CHECKS_FAILED
		                      ? "engine.checks_failed"
		                      : "engine.died";
		out->next_start = decide_backoff(in->now, in->started, &out->backoff);
		break;
	}
}

enum decide_health_change
decide_health(
    enum engine_health health, enum registry_state state, int restarting, int after_failover)
{
	if (health == ENGINE_HEALTH_OK && state == REGISTRY_STATE_MONITORING && restarting)
		return DECIDE_HEALTH_MONITORING_AGAIN;
	if (health == ENGINE_HEALTH_OK && state != REGISTRY_STATE_MONITORING)
		return after_failover ? DECIDE_HEALTH_REPROTECTED : DECIDE_HEALTH_MONITORING;
	if (health == ENGINE_HEALTH_FAILING_OVER && state != REGISTRY_STATE_FAILING_OVER)
		return DECIDE_HEALTH_FAILING_OVER;
	return DECIDE_HEALTH_NONE;
}
