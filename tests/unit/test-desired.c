/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for registry_cluster_set_desired_if, the compare-and-set
 * start and stop use: a state written meanwhile (a failover began) is
 * never overwritten with the one the CLI read before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"
#include "xmalloc.h"

static struct registry *
test_desired_registry(void)
{
	struct registry_cluster c = {0};
	struct registry_node nodes[2] = {{0}};
	struct registry_event ev = {0};
	struct registry *reg;
	char *cause = NULL;

	reg = registry_open_sqlite(":memory:", &cause);
	assert_non_null(reg);
	assert_int_equal(registry_init(reg, &cause), 0);
	nodes[0].host = (char *)"10.77.0.11";
	nodes[0].port = 3306;
	nodes[0].role = REGISTRY_ROLE_MASTER;
	nodes[1].host = (char *)"10.77.0.12";
	nodes[1].port = 3306;
	nodes[1].role = REGISTRY_ROLE_REPLICA;
	c.name = (char *)"c1";
	c.vip = (char *)"10.77.0.100";
	c.vip_prefix = 24;
	c.iface = (char *)"eth0";
	c.state = REGISTRY_STATE_STOPPED;
	c.desired = REGISTRY_DESIRED_STOPPED;
	c.nodes = nodes;
	c.n_nodes = 2;
	ev.type = (char *)"cluster.added";
	ev.message = (char *)"added";
	assert_int_equal(registry_cluster_add(reg, &c, &ev, &cause), 0);
	return reg;
}

static void
test_desired_get(struct registry *reg, enum registry_state *state, enum registry_desired *desired)
{
	struct registry_cluster *c = NULL;
	char *cause = NULL;

	assert_int_equal(registry_cluster_get(reg, "c1", &c, &cause), 0);
	*state = c->state;
	*desired = c->desired;
	registry_cluster_free(c);
}

static void
test_desired_set_when_unchanged(void **state)
{
	struct registry *reg = test_desired_registry();
	struct registry_event ev = {0};
	enum registry_state st;
	enum registry_desired de;
	char *cause = NULL;

	(void)state;
	ev.type = (char *)"cluster.start";
	ev.message = (char *)"monitoring requested";
	assert_int_equal(registry_cluster_set_desired_if(reg, "c1", REGISTRY_STATE_STOPPED,
	                     REGISTRY_STATE_READY, REGISTRY_DESIRED_MONITORED, &ev, &cause),
	    0);
	test_desired_get(reg, &st, &de);
	assert_int_equal(st, REGISTRY_STATE_READY);
	assert_int_equal(de, REGISTRY_DESIRED_MONITORED);
	registry_close(reg);
}

/* The daemon wrote failing_over after the CLI read stopped: the CLI's write is refused. */
static void
test_desired_refused_when_changed(void **state)
{
	struct registry *reg = test_desired_registry();
	struct registry_event ev = {0};
	struct registry_event *evs = NULL;
	enum registry_state st;
	enum registry_desired de;
	char *cause = NULL;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(registry_cluster_set_state(reg, "c1", REGISTRY_STATE_FAILING_OVER,
	                     REGISTRY_DESIRED_KEEP, NULL, &cause),
	    0);
	ev.type = (char *)"cluster.stop";
	ev.message = (char *)"stop of monitoring requested";
	assert_int_equal(registry_cluster_set_desired_if(reg, "c1", REGISTRY_STATE_STOPPED,
	                     REGISTRY_STATE_STOPPED, REGISTRY_DESIRED_STOPPED, &ev, &cause),
	    1);
	test_desired_get(reg, &st, &de);
	assert_int_equal(st, REGISTRY_STATE_FAILING_OVER);
	/* Nothing recorded either: no cluster.stop event. */
	assert_int_equal(registry_event_list(reg, "c1", 0, &evs, &n, &cause), 0);
	for (i = 0; i < n; i++)
		assert_string_not_equal(evs[i].type, "cluster.stop");
	registry_event_list_free(evs, n);
	/* Re-read, decided on the new state: it keeps failing_over, desired changes. */
	assert_int_equal(registry_cluster_set_desired_if(reg, "c1", REGISTRY_STATE_FAILING_OVER,
	                     REGISTRY_STATE_FAILING_OVER, REGISTRY_DESIRED_STOPPED, &ev, &cause),
	    0);
	test_desired_get(reg, &st, &de);
	assert_int_equal(st, REGISTRY_STATE_FAILING_OVER);
	assert_int_equal(de, REGISTRY_DESIRED_STOPPED);
	assert_int_equal(registry_cluster_set_desired_if(reg, "nope", REGISTRY_STATE_STOPPED,
	                     REGISTRY_STATE_READY, REGISTRY_DESIRED_MONITORED, &ev, &cause),
	    1);
	registry_close(reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_desired_set_when_unchanged),
	    cmocka_unit_test(test_desired_refused_when_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
