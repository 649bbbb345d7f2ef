/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for manager HA's pure decisions: when a manager may act
 * (lease_may_act, src/core/failover/lease.c) and which free leases it
 * takes (src/daemon/lease-plan.c); and the lease file round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "lease-plan.h"
#include "lease.h"

static void
test_lease_may_act_table(void **state)
{
	static const struct {
		const char *what;
		long long sent, now, lease;
		int want;
	} cases[] = {
	    {"just renewed", 1000, 1000, 10000, 1},
	    {"well within the lease", 1000, 8999, 10000, 1},
	    /* lease 10 s: margin 2 s, so the manager stops at 8 s. */
	    {"at lease minus margin: stop", 1000, 9000, 10000, 0},
	    {"past the lease", 1000, 12000, 10000, 0},
	    {"long paused (SIGSTOP)", 1000, 60000, 10000, 0},
	    {"never renewed", 0, 5000, 10000, 0},
	    {"clock before the send: never trusted", 5000, 4000, 10000, 0},
	    {"no lease length", 1000, 1000, 0, 0},
	    /* A short lease still keeps a whole second of margin. */
	    {"3 s lease: acts before 2 s", 1000, 2999, 3000, 1},
	    {"3 s lease: stops at 2 s", 1000, 3000, 3000, 0},
	    /* A long lease keeps a fifth. */
	    {"60 s lease: stops at 48 s", 0 + 1, 48001, 60000, 0},
	    {"60 s lease: acts at 47.9 s", 1, 47901, 60000, 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (lease_may_act(cases[i].sent, cases[i].now, cases[i].lease) != cases[i].want)
			fail_msg("case '%s': want %d", cases[i].what, cases[i].want);
	}
}

static void
test_lease_margin(void **state)
{
	(void)state;
	assert_int_equal(lease_margin_ms(10000), 2000);
	assert_int_equal(lease_margin_ms(3000), 1000);
	assert_int_equal(lease_margin_ms(60000), 12000);
}

static void
test_lease_share(void **state)
{
	(void)state;
	assert_int_equal(lease_plan_share(3, 2), 2);
	assert_int_equal(lease_plan_share(4, 2), 2);
	assert_int_equal(lease_plan_share(1, 3), 1);
	assert_int_equal(lease_plan_share(0, 2), 0);
	assert_int_equal(lease_plan_share(5, 0), 5);
}

static void
test_lease_plan_live(void **state)
{
	char b[] = "b";
	struct registry_manager m = {b, 500, 10, 0, 42, NULL};

	(void)state;
	assert_true(lease_plan_live(&m));
	m.heartbeat_age_ms = 10000; /* as old as its lease: gone */
	assert_false(lease_plan_live(&m));
	m.heartbeat_age_ms = 500;
	m.draining = 1;
	assert_false(lease_plan_live(&m));
	m.draining = 0;
	m.pid = -1; /* stopped cleanly */
	assert_false(lease_plan_live(&m));
}

static void
test_lease_plan_take(void **state)
{
	static const char *const names[] = {"c1", "c2", "c3", "c4"};
	char c1[] = "c1", c2[] = "c2", c3[] = "c3", c4[] = "c4", a[] = "a", b[] = "b";
	struct registry_lease leases[4] = {
	    {c1, a, 3, 5000, -1},  /* a holds c1 */
	    {c2, NULL, 7, -1, -1}, /* released */
	    {c3, b, 2, -200, -1},  /* b's expired */
	    {c4, b, 4, 6000, -1},  /* b holds c4 */
	};
	struct registry_manager managers[2] = {
	    {a, 100, 10, 0, 1, NULL},
	    {b, 200, 10, 0, 2, NULL},
	};
	size_t take[4], k;

	(void)state;
	/* Two live managers, four clusters: a holds one, takes one more (c2), not c4. */
	k = lease_plan_take("a", 0, names, 4, leases, 4, managers, 2, take);
	assert_int_equal(k, 1);
	assert_int_equal(take[0], 1);
	/* b's heartbeat is gone: a's share is all four; it takes the free and the expired. */
	managers[1].heartbeat_age_ms = 20000;
	k = lease_plan_take("a", 0, names, 4, leases, 4, managers, 2, take);
	assert_int_equal(k, 2);
	assert_int_equal(take[0], 1);
	assert_int_equal(take[1], 2);
	/* ...but never one a failover holds off (op_until), nor one still valid (c4). */
	leases[2].op_ms = 15000;
	k = lease_plan_take("a", 0, names, 4, leases, 4, managers, 2, take);
	assert_int_equal(k, 1);
	assert_int_equal(take[0], 1);
	/* A draining manager takes nothing. */
	assert_int_equal(lease_plan_take("a", 1, names, 4, leases, 4, managers, 2, take), 0);
	/* A cluster without a lease row yet is free. */
	k = lease_plan_take("c", 0, names, 4, leases, 1, NULL, 0, take);
	assert_int_equal(k, 3);
	assert_int_equal(take[0], 1);
}

static void
test_lease_plan_preflight(void **state)
{
	char a[] = "a", b[] = "b";
	struct registry_manager managers[2] = {
	    {a, 800, 10, 0, 11, NULL},
	    {b, 300, 10, 0, 12, NULL},
	};
	const struct registry_manager *who;

	(void)state;
	/* a's row has a fresh heartbeat and no clean stop: the newcomer named a must watch it. */
	assert_int_equal(lease_plan_preflight("a", 1, managers, 2, &who), 1);
	assert_ptr_equal(who, &managers[0]);
	/* Another name: nothing in its way. */
	assert_int_equal(lease_plan_preflight("c", 1, managers, 2, &who), 0);
	assert_null(who);
	/* a stopped cleanly, or its heartbeat is older than its lease: a may start at once. */
	managers[0].pid = -1;
	assert_int_equal(lease_plan_preflight("a", 1, managers, 2, &who), 0);
	managers[0].pid = 11;
	managers[0].heartbeat_age_ms = 10000;
	assert_int_equal(lease_plan_preflight("a", 1, managers, 2, &who), 0);
	/* Without manager_ha: refused while any manager with leases runs (b), whatever its name. */
	assert_int_equal(lease_plan_preflight("z", 0, managers, 2, &who), -1);
	assert_ptr_equal(who, &managers[1]);
	/* ...a draining one too: it still acts until its engines stopped. */
	managers[1].draining = 1;
	assert_int_equal(lease_plan_preflight("z", 0, managers, 2, &who), -1);
	managers[1].pid = -1;
	assert_int_equal(lease_plan_preflight("z", 0, managers, 2, &who), 0);
	assert_int_equal(lease_plan_preflight("z", 0, NULL, 0, &who), 0);
}

static void
test_lease_plan_refreshed(void **state)
{
	(void)state;
	/* 800 ms old, read again 1000 ms later: 1800 without a heartbeat. */
	assert_false(lease_plan_refreshed(800, 1000, 1800));
	assert_false(lease_plan_refreshed(800, 1000, 1600)); /* within the slack */
	assert_true(lease_plan_refreshed(800, 1000, 200));   /* written meanwhile */
	assert_false(lease_plan_refreshed(800, 1000, -1));   /* row gone */
}

static void
test_lease_file_round_trip(void **state)
{
	struct config cfg;
	struct lease_held h = {7, 123456, 10000}, got;
	char dir[] = "/tmp/mhaadm-test-lease-XXXXXX", *cause = NULL;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_non_null(mkdtemp(dir));
	cfg.workdir = dir;
	cfg.registry = CONFIG_REGISTRY_MYSQL;
	cfg.manager_ha = 1;
	assert_int_equal(lease_file_read(&cfg, "c1", &got), 1);
	assert_int_equal(lease_file_write(&cfg, "c1", &h, &cause), 0);
	assert_int_equal(lease_file_read(&cfg, "c1", &got), 0);
	assert_int_equal(got.epoch, 7);
	assert_int_equal(got.sent_ms, 123456);
	assert_int_equal(got.lease_ms, 10000);
	/* Written long ago by the clock: this process may not act on it. */
	assert_false(lease_held_here(&cfg, "c1"));
	h.sent_ms = lease_now_ms();
	assert_int_equal(lease_file_write(&cfg, "c1", &h, &cause), 0);
	assert_true(lease_held_here(&cfg, "c1"));
	lease_file_remove(&cfg, "c1");
	assert_int_equal(lease_file_read(&cfg, "c1", &got), 1);
	assert_false(lease_held_here(&cfg, "c1"));
	/* Without manager_ha (one manager) leases are off: always held here. */
	cfg.manager_ha = 0;
	assert_true(lease_held_here(&cfg, "c1"));
	cfg.registry = CONFIG_REGISTRY_SQLITE;
	assert_true(lease_held_here(&cfg, "c1"));
	{
		char *sub = NULL;

		assert_true(asprintf(&sub, "%s/leases", dir) > 0);
		rmdir(sub);
		free(sub);
	}
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lease_may_act_table),
	    cmocka_unit_test(test_lease_margin),
	    cmocka_unit_test(test_lease_share),
	    cmocka_unit_test(test_lease_plan_live),
	    cmocka_unit_test(test_lease_plan_take),
	    cmocka_unit_test(test_lease_plan_preflight),
	    cmocka_unit_test(test_lease_plan_refreshed),
	    cmocka_unit_test(test_lease_file_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
