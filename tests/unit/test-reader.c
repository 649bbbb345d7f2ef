/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the daemon's registry thread (src/daemon/reader.c): with the
 * registry unavailable, queued state changes wait (never lost, never a crash)
 * and land, in order, once it is there; the loop only ever takes snapshots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "reader.h"
#include "registry.h"
#include "xmalloc.h"

static void
test_reader_state_change_waits_for_the_registry(void **state)
{
	char dir[] = "/tmp/mhaadm-test-reader-XXXXXX", *text, *db, *cause = NULL;
	struct registry_cluster c = {0}, **list = NULL;
	struct registry_node nodes[2] = {{0}};
	struct registry_event ev = {0};
	unsigned long long seq, applied = 0;
	struct registry *setup;
	struct reader *r;
	struct config *cfg;
	long long read_ms;
	size_t n = 0;
	int i, got = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	db = xasprintf("%s/registry.db", dir);
	text = xasprintf(
	    "ha_user = mha\nregistry_path = %s\nworkdir = %s\nlog_dir = %s\n", db, dir, dir);
	cfg = config_parse_string(text, "test.cnf", &cause);
	assert_non_null(cfg);
	r = reader_start(cfg, &cause);
	assert_non_null(r);
	/* No registry file yet: the thread cannot open it. */
	seq = reader_transition(r, "c1", REGISTRY_STATE_FAILING_OVER, REGISTRY_DESIRED_KEEP,
	    "failover.running", "failing over");
	assert_true(seq > 0);
	assert_true(reader_emit(r, "c1", NULL, "engine.started", "started") > seq);
	usleep(1500 * 1000);
	assert_int_equal(reader_take(r, &list, &n, &applied, &read_ms), 0);

	setup = registry_open(cfg, 0, &cause);
	assert_non_null(setup);
	assert_int_equal(registry_init(setup, &cause), 0);
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
	c.state = REGISTRY_STATE_MONITORING;
	c.desired = REGISTRY_DESIRED_MONITORED;
	c.nodes = nodes;
	c.n_nodes = 2;
	ev.type = (char *)"cluster.added";
	ev.message = (char *)"added";
	assert_int_equal(registry_cluster_add(setup, &c, &ev, &cause), 0);
	registry_close(setup);

	/* A generous deadline for the thread's retry, not a timing assertion. */
	for (i = 0; i < 200 && !got; i++) {
		reader_poke(r);
		usleep(100 * 1000);
		if (reader_take(r, &list, &n, &applied, &read_ms)) {
			if (applied >= seq) {
				got = 1;
				break;
			}
			registry_cluster_list_free(list, n);
			list = NULL;
		}
	}
	assert_true(got);
	assert_int_equal(n, 1);
	assert_int_equal(list[0]->state, REGISTRY_STATE_FAILING_OVER);
	registry_cluster_list_free(list, n);
	reader_stop(r);
	config_free(cfg);
	free(text);
	free(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader_state_change_waits_for_the_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
