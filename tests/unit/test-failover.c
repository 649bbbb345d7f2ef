/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the failover core's registry record (src/core/failover/failover.c):
 * with the SQLite registry locked by another connection (a CLI mid-write), the
 * record gives up after the failover path's bound and is spooled, never lost;
 * a replica a failover left behind is marked failed once, with its event.
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
#include "db.h"
#include "failover.h"
#include "registry.h"
#include "spool.h"
#include "test-util.h"

static double
test_failover_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_failover_record_spooled_when_locked(void **state)
{
	struct failover_node old = {"10.77.0.11", NULL, 3306};
	struct failover_node nm = {"10.77.0.12", NULL, 3306};
	struct failover_target t = {0};
	struct test_util_env env;
	struct registry *holder;
	struct config *cfg;
	char *cause = NULL;
	double t0, took;

	(void)state;
	test_util_env_init(&env, "failover");
	test_util_add_cluster(&env, "c1", REGISTRY_STATE_PENDING, REGISTRY_DESIRED_STOPPED);
	cfg = env.cfg;

	/* Another writer holds the lock for as long as the test needs. */
	holder = registry_open(cfg, 1, &cause);
	assert_non_null(holder);
	assert_int_equal(db_begin(holder->db, DB_TXN_WRITE, &cause), 0);
	assert_int_equal(db_exec(holder->db, "lock", &cause,
	                     "UPDATE clusters SET updated_at = CURRENT_TIMESTAMP", ""),
	    0);

	t.cfg = cfg;
	t.cluster = "c1";
	t.reg = failover_registry_open(cfg, "c1");
	assert_non_null(t.reg);
	t0 = test_failover_now();
	assert_int_equal(failover_record_master(&t, &old, &nm), 1); /* spooled */
	took = test_failover_now() - t0;
	/* Measured, not asserted (tests never assert timings): the bound is 1 s, was 5 s. */
	print_message("failover_record_master with the registry locked: %.2f s\n", took);
	assert_true(spool_pending(cfg));
	registry_close(t.reg);
	db_rollback(holder->db);
	registry_close(holder);
	test_util_env_clear(&env);
}

static enum registry_role
test_failover_role(struct registry *reg, const char *host)
{
	struct registry_cluster *c = NULL;
	enum registry_role role = REGISTRY_ROLE_MASTER;
	char *cause = NULL;
	size_t i;
	int found = 0;

	assert_int_equal(registry_cluster_get(reg, "c1", &c, &cause), 0);
	for (i = 0; i < c->n_nodes; i++) {
		if (strcmp(c->nodes[i].host, host) == 0) {
			role = c->nodes[i].role;
			found = 1;
		}
	}
	registry_cluster_free(c);
	assert_true(found);
	return role;
}

static void
test_failover_replica_marked_failed(void **state)
{
	struct failover_node replica = {"10.77.0.12", NULL, 3306};
	struct failover_node master = {"10.77.0.11", NULL, 3306};
	struct failover_node stranger = {"10.77.0.13", NULL, 3306};
	struct failover_target t = {0};
	struct registry_event *ev = NULL;
	struct test_util_env env;
	char *cause = NULL;
	size_t n = 0, i, failed = 0;

	(void)state;
	test_util_env_init(&env, "failover-replica");
	test_util_add_cluster(&env, "c1", REGISTRY_STATE_MONITORING, REGISTRY_DESIRED_MONITORED);
	t.cfg = env.cfg;
	t.cluster = "c1";

	/* The registry away: nothing can be marked, and it says so (-1). */
	assert_int_equal(failover_replica_failed(&t, &replica, "dead"), -1);

	t.reg = failover_registry_open(env.cfg, "c1");
	assert_non_null(t.reg);
	assert_int_equal(test_failover_role(t.reg, "10.77.0.12"), REGISTRY_ROLE_REPLICA);
	assert_int_equal(
	    failover_replica_failed(&t, &replica, "replica 10.77.0.12:3306 was dead"), 0);
	assert_int_equal(test_failover_role(t.reg, "10.77.0.12"), REGISTRY_ROLE_FAILED);
	assert_int_equal(test_failover_role(t.reg, "10.77.0.11"), REGISTRY_ROLE_MASTER);
	/* Once: already failed, the master, or not a node: nothing done (1). */
	assert_int_equal(failover_replica_failed(&t, &replica, "again"), 1);
	assert_int_equal(failover_replica_failed(&t, &master, "the master"), 1);
	assert_int_equal(failover_replica_failed(&t, &stranger, "not a node"), 1);
	assert_int_equal(test_failover_role(t.reg, "10.77.0.11"), REGISTRY_ROLE_MASTER);

	assert_int_equal(registry_event_list(t.reg, "c1", 50, &ev, &n, &cause), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].type, "replica.failed") != 0)
			continue;
		failed++;
		assert_string_equal(ev[i].node, "10.77.0.12:3306");
		assert_string_equal(ev[i].message, "replica 10.77.0.12:3306 was dead");
	}
	assert_int_equal(failed, 1);
	registry_event_list_free(ev, n);
	registry_close(t.reg);
	test_util_env_clear(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_failover_record_spooled_when_locked),
	    cmocka_unit_test(test_failover_replica_marked_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
