/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the daemon's pure decisions (src/daemon/decide.c): tables of cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"

#define MON REGISTRY_DESIRED_MONITORED
#define STP REGISTRY_DESIRED_STOPPED

static void
test_decide_reconcile_table(void **state)
{
	static const struct {
		const char *what;
		struct decide_cluster in;
		struct decide_reconcile want;
	} cases[] = {
	    {"start from rest runs the checks", {REGISTRY_STATE_READY, MON, 0, 0, 100, 0},
	        {1, 1, 0, 0, 0, 0}},
	    {"start from stopped runs the checks", {REGISTRY_STATE_STOPPED, MON, 0, 0, 100, 0},
	        {1, 1, 0, 0, 0, 0}},
	    {"restart after a crash: no checks", {REGISTRY_STATE_MONITORING, MON, 0, 0, 100, 90},
	        {1, 0, 0, 0, 0, 0}},
	    {"backoff: not yet", {REGISTRY_STATE_MONITORING, MON, 0, 0, 100, 101},
	        {0, 0, 0, 0, 0, 0}},
	    {"backoff over: start at next_start", {REGISTRY_STATE_MONITORING, MON, 0, 0, 101, 101},
	        {1, 0, 0, 0, 0, 0}},
	    {"running and wanted: follow it", {REGISTRY_STATE_MONITORING, MON, 1, 0, 100, 0},
	        {0, 0, 0, 0, 1, 0}},
	    {"failing over: follow it", {REGISTRY_STATE_FAILING_OVER, MON, 1, 0, 100, 0},
	        {0, 0, 0, 0, 1, 0}},
	    {"stopping: wait for it to end", {REGISTRY_STATE_MONITORING, MON, 1, 1, 100, 0},
	        {0, 0, 0, 0, 0, 0}},
	    {"desired stopped: stop it", {REGISTRY_STATE_MONITORING, STP, 1, 0, 100, 0},
	        {0, 0, 1, 0, 0, 1}},
	    {"desired stopped, nothing runs: record stopped",
	        {REGISTRY_STATE_MONITORING, STP, 0, 0, 100, 0}, {0, 0, 0, 1, 0, 1}},
	    {"already stopped: nothing to record", {REGISTRY_STATE_STOPPED, STP, 0, 0, 100, 0},
	        {0, 0, 0, 0, 0, 1}},
	    {"registered: nothing to record", {REGISTRY_STATE_REGISTERED, STP, 0, 0, 100, 0},
	        {0, 0, 0, 0, 0, 1}},
	    {"pending: nothing to record", {REGISTRY_STATE_PENDING, STP, 0, 0, 100, 0},
	        {0, 0, 0, 0, 0, 1}},
	    {"unprotected: never started", {REGISTRY_STATE_UNPROTECTED, MON, 0, 0, 100, 0},
	        {0, 0, 0, 0, 0, 1}},
	    {"unprotected with an engine running: left alone, followed",
	        {REGISTRY_STATE_UNPROTECTED, MON, 1, 0, 100, 0}, {0, 0, 0, 0, 1, 1}},
	};
	struct decide_reconcile got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decide_reconcile(&cases[i].in, &got);
		if (memcmp(&got, &cases[i].want, sizeof(got)) != 0)
			fail_msg(
			    "%s: start %d checks %d stop %d mark_stopped %d follow %d reset %d",
			    cases[i].what, got.start, got.checks, got.stop, got.mark_stopped,
			    got.follow, got.reset);
	}
}

static void
test_decide_ended_table(void **state)
{
	static const struct {
		const char *what;
		struct decide_end_in in;
		enum decide_end_action action;
		const char *type;
		time_t next_start;
		int backoff;
	} cases[] = {
	    {"failover completed: re-protect at once",
	        {ENGINE_OUTCOME_FAILOVER, 0, 0, MON, 2, 100, 10, 8}, DECIDE_END_REPROTECT,
	        "engine.exited", 100, DECIDE_BACKOFF_MIN},
	    {"failover completed while stopping: still re-protected",
	        {ENGINE_OUTCOME_FAILOVER, 1, 0, STP, 1, 100, 10, 1}, DECIDE_END_REPROTECT,
	        "engine.exited", 100, DECIDE_BACKOFF_MIN},
	    {"failover completed, no replica left: unprotected",
	        {ENGINE_OUTCOME_FAILOVER, 0, 0, MON, 0, 100, 10, 1}, DECIDE_END_UNPROTECTED,
	        "cluster.unprotected", 0, 1},
	    {"refused: unprotected", {ENGINE_OUTCOME_REFUSED, 0, 0, MON, 2, 100, 10, 1},
	        DECIDE_END_UNPROTECTED, "failover.refused", 0, 1},
	    {"storm paused: unprotected, not restarted",
	        {ENGINE_OUTCOME_PAUSED, 0, 0, MON, 2, 100, 10, 1}, DECIDE_END_UNPROTECTED,
	        "failover.paused", 0, 1},
	    {"failover failed: unprotected",
	        {ENGINE_OUTCOME_FAILOVER_FAILED, 0, 0, MON, 2, 100, 10, 1}, DECIDE_END_UNPROTECTED,
	        "failover.failed", 0, 1},
	    {"crash after 10 s: backoff 4 -> 8", {ENGINE_OUTCOME_CRASHED, 0, 0, MON, 2, 100, 90, 4},
	        DECIDE_END_BACKOFF, "engine.died", 104, 8},
	    {"crash after a stable hour: backoff reset",
	        {ENGINE_OUTCOME_CRASHED, 0, 0, MON, 2, 4000, 100, 32}, DECIDE_END_BACKOFF,
	        "engine.died", 4001, 2},
	    {"backoff capped at a minute", {ENGINE_OUTCOME_CRASHED, 0, 0, MON, 2, 100, 90, 60},
	        DECIDE_END_BACKOFF, "engine.died", 160, DECIDE_BACKOFF_MAX},
	    {"checks failed: backoff", {ENGINE_OUTCOME_CHECKS_FAILED, 0, 0, MON, 2, 100, 99, 1},
	        DECIDE_END_BACKOFF, "engine.checks_failed", 101, 2},
	    {"stopped on purpose, desired stopped: record stopped",
	        {ENGINE_OUTCOME_STOPPED, 1, 0, STP, 2, 100, 10, 1}, DECIDE_END_STOPPED,
	        "monitoring.stopped", 0, 1},
	    {"crashed while stopping, desired stopped: still stopped",
	        {ENGINE_OUTCOME_CRASHED, 1, 0, STP, 2, 100, 10, 1}, DECIDE_END_STOPPED,
	        "monitoring.stopped", 0, 1},
	    {"stopped for a requested restart: start at once",
	        {ENGINE_OUTCOME_STOPPED, 1, 1, MON, 2, 100, 10, 1}, DECIDE_END_RESTART_NOW, NULL,
	        100, 1},
	    {"stopped, desired monitored, no request (deleted meanwhile): nothing",
	        {ENGINE_OUTCOME_STOPPED, 1, 0, MON, 2, 100, 10, 1}, DECIDE_END_NONE, NULL, 0, 1},
	    {"an adopted engine that ended unexpectedly: backoff",
	        {ENGINE_OUTCOME_STOPPED, 0, 0, MON, 2, 100, 99, 1}, DECIDE_END_BACKOFF,
	        "engine.died", 101, 2},
	};
	struct decide_end got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decide_ended(&cases[i].in, &got);
		if (got.action != cases[i].action || got.next_start != cases[i].next_start ||
		    got.backoff != cases[i].backoff ||
		    (cases[i].type == NULL) != (got.event_type == NULL) ||
		    (cases[i].type != NULL && strcmp(cases[i].type, got.event_type) != 0))
			fail_msg("%s: action %d type %s next %ld backoff %d", cases[i].what,
			    (int)got.action, got.event_type != NULL ? got.event_type : "-",
			    (long)got.next_start, got.backoff);
	}
}

static void
test_decide_health_table(void **state)
{
	static const struct {
		enum engine_health health;
		enum registry_state state;
		int restarting, after_failover;
		enum decide_health_change want;
	} cases[] = {
	    {ENGINE_HEALTH_OK, REGISTRY_STATE_READY, 0, 0, DECIDE_HEALTH_MONITORING},
	    {ENGINE_HEALTH_OK, REGISTRY_STATE_FAILING_OVER, 0, 1, DECIDE_HEALTH_REPROTECTED},
	    {ENGINE_HEALTH_OK, REGISTRY_STATE_MONITORING, 1, 0, DECIDE_HEALTH_MONITORING_AGAIN},
	    {ENGINE_HEALTH_OK, REGISTRY_STATE_MONITORING, 0, 0, DECIDE_HEALTH_NONE},
	    {ENGINE_HEALTH_FAILING_OVER, REGISTRY_STATE_MONITORING, 0, 0,
	        DECIDE_HEALTH_FAILING_OVER},
	    {ENGINE_HEALTH_FAILING_OVER, REGISTRY_STATE_FAILING_OVER, 0, 0, DECIDE_HEALTH_NONE},
	    {ENGINE_HEALTH_MASTER_FAILING, REGISTRY_STATE_MONITORING, 0, 0, DECIDE_HEALTH_NONE},
	    {ENGINE_HEALTH_STARTING, REGISTRY_STATE_READY, 0, 0, DECIDE_HEALTH_NONE},
	    {ENGINE_HEALTH_UNKNOWN, REGISTRY_STATE_READY, 0, 0, DECIDE_HEALTH_NONE},
	    {ENGINE_HEALTH_STOPPED, REGISTRY_STATE_MONITORING, 1, 0, DECIDE_HEALTH_NONE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (decide_health(cases[i].health, cases[i].state, cases[i].restarting,
		        cases[i].after_failover) != cases[i].want)
			fail_msg("health case %zu", i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decide_reconcile_table),
	    cmocka_unit_test(test_decide_ended_table),
	    cmocka_unit_test(test_decide_health_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
