/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the switchover's up-front checks (switch_pick) on hand-judged clusters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"
#include "status.h"
#include "switch.h"

#define TEST_NODES 3

/* A monitored 3-node cluster (h1 master), judged ok, both replicas promotable. */
struct test_fixture {
	struct registry_cluster c;
	struct registry_node nodes[TEST_NODES];
	struct status_node sn[TEST_NODES];
	struct status_cluster sc;
};

static void
test_fixture_init(struct test_fixture *f)
{
	static const char *const hosts[TEST_NODES] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
	size_t i;

	memset(f, 0, sizeof(*f));
	f->c.name = (char *)"orders";
	f->c.state = REGISTRY_STATE_MONITORING;
	f->c.desired = REGISTRY_DESIRED_MONITORED;
	f->c.nodes = f->nodes;
	f->c.n_nodes = TEST_NODES;
	for (i = 0; i < TEST_NODES; i++) {
		f->nodes[i].host = (char *)hosts[i];
		f->nodes[i].port = 3306;
		f->nodes[i].role = i == 0 ? REGISTRY_ROLE_MASTER : REGISTRY_ROLE_REPLICA;
		f->sn[i].promotable = i != 0;
	}
	f->sc.c = &f->c;
	f->sc.nodes = f->sn;
	f->sc.verdict = STATUS_OK;
	f->sc.reason = (char *)"healthy";
}

/* switch_pick on f; the cause (or NULL) is returned for the caller to check and free. */
static char *
test_pick(struct test_fixture *f, const char *host, int port, int want_rc, size_t want_new)
{
	size_t old_i = 99, new_i = 99;
	char *cause = NULL;
	int rc = switch_pick(&f->sc, host, port, &old_i, &new_i, &cause);

	assert_int_equal(rc, want_rc);
	if (rc == 0) {
		assert_int_equal(old_i, 0);
		assert_int_equal(new_i, want_new);
		assert_null(cause);
	} else {
		assert_non_null(cause);
	}
	return cause;
}

static void
test_pick_named_replica(void **state)
{
	struct test_fixture f;

	(void)state;
	test_fixture_init(&f);
	test_pick(&f, "10.0.0.3", 0, 0, 2);
	test_pick(&f, "10.0.0.3", 3306, 0, 2);
}

static void
test_pick_refusals_name_the_reason(void **state)
{
	struct test_fixture f;
	char *cause;

	(void)state;
	test_fixture_init(&f);
	cause = test_pick(&f, "10.0.0.9", 0, -1, 0);
	assert_non_null(strstr(cause, "10.0.0.9 is not a node of cluster 'orders'"));
	free(cause);
	cause = test_pick(&f, "10.0.0.3", 3307, -1, 0);
	assert_non_null(strstr(cause, "10.0.0.3:3307 is not a node"));
	free(cause);
	cause = test_pick(&f, "10.0.0.1", 0, -1, 0);
	assert_non_null(strstr(cause, "is the master of cluster 'orders' already"));
	free(cause);

	f.sn[1].promotable = 0;
	f.sn[1].unfit = (char *)"lags 30 s, more than max_lag 2 s";
	cause = test_pick(&f, "10.0.0.2", 0, -1, 0);
	assert_non_null(strstr(cause, "10.0.0.2:3306 may not be promoted: lags 30 s"));
	free(cause);

	f.sn[2].promotable = 0;
	f.sn[2].unfit = (char *)"delayed replica (MASTER_DELAY 3600 s)";
	cause = test_pick(&f, NULL, 0, -1, 0);
	assert_non_null(strstr(cause, "no replica of cluster 'orders' may be promoted now"));
	assert_non_null(strstr(cause, "10.0.0.3:3306: delayed replica"));
	free(cause);
}

static void
test_pick_needs_a_monitored_ok_cluster(void **state)
{
	struct test_fixture f;
	char *cause;

	(void)state;
	test_fixture_init(&f);
	f.c.state = REGISTRY_STATE_STOPPED;
	f.c.desired = REGISTRY_DESIRED_STOPPED;
	cause = test_pick(&f, "10.0.0.2", 0, -1, 0);
	assert_non_null(strstr(cause, "is not monitored (state stopped)"));
	free(cause);

	test_fixture_init(&f);
	f.sc.verdict = STATUS_DEGRADED;
	f.sc.reason = (char *)"replica 10.0.0.3:3306: SQL thread stopped";
	cause = test_pick(&f, "10.0.0.2", 0, -1, 0);
	assert_non_null(strstr(cause, "is degraded: replica 10.0.0.3:3306: SQL thread stopped"));
	free(cause);

	test_fixture_init(&f);
	f.nodes[0].role = REGISTRY_ROLE_FAILED;
	cause = test_pick(&f, "10.0.0.2", 0, -1, 0);
	assert_non_null(strstr(cause, "has no master in the registry"));
	free(cause);
}

static void
test_pick_prefers_candidate_master(void **state)
{
	struct test_fixture f;

	(void)state;
	test_fixture_init(&f);
	test_pick(&f, NULL, 0, 0, 1);
	f.nodes[2].candidate_master = 1;
	test_pick(&f, NULL, 0, 0, 2);
	/* A candidate that may not be promoted is passed over. */
	f.sn[2].promotable = 0;
	test_pick(&f, NULL, 0, 0, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pick_named_replica),
	    cmocka_unit_test(test_pick_refusals_name_the_reason),
	    cmocka_unit_test(test_pick_needs_a_monitored_ok_cluster),
	    cmocka_unit_test(test_pick_prefers_candidate_master),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
