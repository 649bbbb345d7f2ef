/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the table of event types and for event_emit with fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "registry.h"

static void
test_event_table(void **state)
{
	const struct event_type *t;

	(void)state;
	/* event_type_find searches it: it must stay sorted, each name once. */
	assert_true(event_types_sorted());
	t = event_type_find("failover.refused");
	assert_non_null(t);
	assert_int_equal(t->severity, EVENT_CRITICAL);
	assert_true(t->flags & EVENT_PROBLEM);
	assert_null(event_type_find("no.such_type"));
	assert_null(event_type_find(NULL));

	assert_true(event_type_is("storm.paused", EVENT_PROBLEM));
	assert_true(event_type_is("cluster.unprotected", EVENT_PROBLEM));
	assert_false(event_type_is("failover.completed", EVENT_PROBLEM));
	assert_true(event_type_is("monitoring.started", EVENT_CLEARS));
	assert_true(event_type_is("cluster.reprotected", EVENT_CLEARS));
	assert_false(event_type_is("vip.moved", EVENT_CLEARS));
	assert_true(event_type_is("failover.running", EVENT_DAEMON));
	assert_false(event_type_is("lag.exceeded", EVENT_DAEMON));
	assert_false(event_type_is("no.such_type", EVENT_PROBLEM));

	assert_string_equal(event_type_resolved_by("lag.exceeded"), "lag.recovered");
	assert_string_equal(event_type_resolved_by("drift.vip_missing"), "drift.resolved");
	assert_null(event_type_resolved_by("master.unreachable"));

	assert_int_equal(event_type_severity("vip.moved"), EVENT_WARNING);
	assert_int_equal(event_type_severity("cluster.added"), EVENT_INFO);
	assert_int_equal(event_type_severity("widget.frob_failed"), EVENT_CRITICAL);
	assert_string_equal(event_severity_name(EVENT_WARNING), "warning");
}

static void
test_event_emit_fields(void **state)
{
	struct registry *reg;
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n;

	(void)state;
	reg = registry_open_sqlite(":memory:", &cause);
	assert_non_null(reg);
	assert_int_equal(registry_init(reg, &cause), 0);
	assert_int_equal(event_emit_fields(reg, "c1", NULL, "failover.started",
	                     EVENT_FIELDS("old_master", EVENT_ADDR("10.77.0.11", 3306), "reason",
	                         NULL, "new_master", "10.77.0.12"),
	                     "master %s is down", "somewhere"),
	    0);
	assert_int_equal(
	    event_emit(reg, "c1", "10.77.0.13:3306", "lag.exceeded", "lag %d s", 9), 0);
	assert_int_equal(registry_event_since(reg, 0, 0, &evs, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(evs[0].message, "master somewhere is down");
	assert_int_equal(evs[0].n_fields, 2);
	assert_string_equal(registry_event_field(&evs[0], "old_master"), "10.77.0.11:3306");
	assert_string_equal(registry_event_field(&evs[0], "new_master"), "10.77.0.12");
	assert_null(registry_event_field(&evs[0], "reason"));
	assert_int_equal(evs[1].n_fields, 0);
	assert_string_equal(evs[1].node, "10.77.0.13:3306");
	registry_event_list_free(evs, n);
	registry_close(reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event_table),
	    cmocka_unit_test(test_event_emit_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
