/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the self-fence: the decision (lost-since, threshold, never unfence), its config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "selffence.h"
#include "xmalloc.h"

/* One round of a decision table: time, manager answered, replicas answering, expected action. */
struct round {
	double now;
	int manager_ok;
	size_t replicas_ok;
	enum selffence_action want;
};

static void
run_table(const struct round *r, size_t n, int seconds)
{
	struct selffence_state s;
	size_t i;

	selffence_state_init(&s, 0.0);
	for (i = 0; i < n; i++) {
		enum selffence_action got =
		    selffence_decide(&s, r[i].now, r[i].manager_ok, r[i].replicas_ok, seconds);

		if (got != r[i].want)
			fail_msg(
			    "round %zu (t=%.1f): got %d, want %d", i, r[i].now, got, r[i].want);
		if (got == SELFFENCE_FENCE)
			selffence_mark_fenced(&s);
	}
}

static void
test_selffence_fences_after_both_lost_for_seconds(void **state)
{
	const struct round r[] = {
	    {0.5, 1, 2, SELFFENCE_WATCH},
	    {1.0, 0, 0, SELFFENCE_WATCH}, /* lost since 0.5 */
	    {2.0, 0, 0, SELFFENCE_WATCH},
	    {3.4, 0, 0, SELFFENCE_WATCH}, /* 2.9 s: not yet */
	    {3.5, 0, 0, SELFFENCE_FENCE}, /* 3.0 s: fence */
	    {4.0, 0, 0, SELFFENCE_FENCED},
	};

	run_table(r, sizeof(r) / sizeof(r[0]), 3);
}

static void
test_selffence_one_side_answering_is_not_isolated(void **state)
{
	/* The manager-only partition: the replicas still answer, never a fence. */
	const struct round only_replicas[] = {
	    {1.0, 0, 1, SELFFENCE_WATCH},
	    {5.0, 0, 1, SELFFENCE_WATCH},
	    {60.0, 0, 2, SELFFENCE_WATCH},
	};
	/* The replicas all down (their hosts gone), the manager there: no fence either. */
	const struct round only_manager[] = {
	    {1.0, 1, 0, SELFFENCE_WATCH},
	    {5.0, 1, 0, SELFFENCE_WATCH},
	    {60.0, 1, 0, SELFFENCE_WATCH},
	};

	run_table(only_replicas, 3, 3);
	run_table(only_manager, 3, 3);
}

static void
test_selffence_lost_since_is_the_later_of_both(void **state)
{
	/*
	 * The manager went first (t=1), the replicas later (t=4): the isolation
	 * counts from 4, the last time anything answered.
	 */
	const struct round r[] = {
	    {1.0, 1, 1, SELFFENCE_WATCH},
	    {2.0, 0, 1, SELFFENCE_WATCH},
	    {4.0, 0, 1, SELFFENCE_WATCH},
	    {5.0, 0, 0, SELFFENCE_WATCH},
	    {6.9, 0, 0, SELFFENCE_WATCH},
	    {7.0, 0, 0, SELFFENCE_FENCE},
	};

	run_table(r, sizeof(r) / sizeof(r[0]), 3);
}

static void
test_selffence_an_answer_resets_the_clock(void **state)
{
	const struct round r[] = {
	    {1.0, 0, 0, SELFFENCE_WATCH},
	    {2.9, 0, 0, SELFFENCE_WATCH},
	    {3.0, 1, 0, SELFFENCE_WATCH}, /* the manager answered once */
	    {5.9, 0, 0, SELFFENCE_WATCH},
	    {6.0, 0, 0, SELFFENCE_FENCE},
	};

	run_table(r, sizeof(r) / sizeof(r[0]), 3);
}

static void
test_selffence_agent_started_isolated_fences_after_seconds(void **state)
{
	/* Everyone counts as seen at start: an agent started cut off waits the full time. */
	const struct round r[] = {
	    {0.5, 0, 0, SELFFENCE_WATCH},
	    {9.9, 0, 0, SELFFENCE_WATCH},
	    {10.0, 0, 0, SELFFENCE_FENCE},
	};

	run_table(r, sizeof(r) / sizeof(r[0]), 10);
}

static void
test_selffence_never_unfences(void **state)
{
	struct selffence_state s;

	selffence_state_init(&s, 0.0);
	assert_int_equal(selffence_decide(&s, 4.0, 0, 0, 3), SELFFENCE_FENCE);
	/* A failed step: not marked, so the next round fences again. */
	assert_int_equal(selffence_decide(&s, 4.5, 0, 0, 3), SELFFENCE_FENCE);
	selffence_mark_fenced(&s);
	/* Everyone back: still fenced; read_only=0 is the manager's decision, never the agent's. */
	assert_int_equal(selffence_decide(&s, 5.0, 1, 2, 3), SELFFENCE_FENCED);
	assert_int_equal(selffence_decide(&s, 500.0, 1, 2, 3), SELFFENCE_FENCED);
	assert_int_equal(selffence_decide(&s, 600.0, 0, 0, 3), SELFFENCE_FENCED);
}

static const char good[] = "[self-fence]\n"
                           "cluster = c1\n"
                           "node = 10.77.0.11:3306\n"
                           "user = mha\n"
                           "password_hex = 613b2023\n" /* "a; #" */
                           "socket = /run/mysqld/mysqld.sock\n"
                           "vip = 10.77.0.100\n"
                           "vip_prefix = 24\n"
                           "iface = eth0\n"
                           "seconds = 5\n"
                           "manager = 10.77.0.1:22\n"
                           "replica = 10.77.0.12:3306\n"
                           "replica = 10.77.0.13:3307\n";

static void
test_selffence_config_parse_and_render(void **state)
{
	struct selffence_config *sc, *again;
	char *cause = NULL, *text;

	sc = selffence_config_parse(good, "t.cnf", &cause);
	assert_non_null(sc);
	assert_string_equal(sc->cluster, "c1");
	assert_string_equal(sc->host, "10.77.0.11");
	assert_int_equal(sc->port, 3306);
	/* Hex keeps what inih would take for a comment or trim. */
	assert_string_equal(sc->password, "a; #");
	assert_int_equal(sc->seconds, 5);
	assert_int_equal(sc->interval_ms, SELFFENCE_INTERVAL_MS);
	assert_string_equal(sc->manager.host, "10.77.0.1");
	assert_int_equal(sc->manager.port, 22);
	assert_int_equal(sc->n_replicas, 2);
	assert_int_equal(sc->replicas[1].port, 3307);

	text = selffence_config_render(sc);
	assert_null(strstr(text, "a; #")); /* the password never as text */
	again = selffence_config_parse(text, "rendered", &cause);
	assert_non_null(again);
	assert_string_equal(again->password, "a; #");
	assert_string_equal(again->vip, "10.77.0.100");
	assert_int_equal(again->vip_prefix, 24);
	assert_string_equal(again->iface, "eth0");
	assert_int_equal(again->n_replicas, 2);
	selffence_config_free(again);
	xfree_secret(text);
	selffence_config_free(sc);
}

static void
test_selffence_config_refuses_bad_input(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"[self-fence]\nnode = 10.77.0.11:3306\nuser = u\nmanager = 10.77.0.1:22\n",
	        "key 'cluster' is missing"},
	    {"[self-fence]\ncluster = c1\nnode = 10.77.0.11:3306\nuser = u\n",
	        "key 'manager' is missing"},
	    {"[self-fence]\ncluster = c1\nnode = 10.77.0.11\n", "is not HOST:PORT"},
	    {"[self-fence]\ncluster = c1\nseconds = 0\n", "use a whole number from 1 to 3600"},
	    {"[self-fence]\ncluster = c1\ncolor = red\n", "unknown key 'color'"},
	    {"[other]\ncluster = c1\n", "unknown section '[other]'"},
	    {"[self-fence]\ncluster = c1\ncluster = c2\n", "duplicate key 'cluster'"},
	    {"[self-fence]\npassword_hex = 6\n", "not an even number of hex digits"},
	    {"[self-fence]\nmanager = 10.77.0.1:99999\n", "is not HOST:PORT"},
	    {"[self-fence]\niface = eth0;rm\n", "iface:"},
	    {"[self-fence]\ncluster = c1\nnode = 10.77.0.11:3306\nuser = u\n"
	     "manager = 10.77.0.1:22\nvip = 10.77.0.100\n",
	        "key 'iface' is missing"},
	};
	struct selffence_config *sc;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		sc = selffence_config_parse(bad[i].text, "t.cnf", &cause);
		if (sc != NULL)
			fail_msg("case %zu accepted", i);
		if (cause == NULL || strstr(cause, bad[i].want) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, cause ? cause : "(null)",
			    bad[i].want);
		assert_non_null(strstr(cause, "t.cnf"));
		free(cause);
	}
}

static void
test_selffence_config_load_refuses_readable_file(void **state)
{
	char path[] = "/tmp/test-selffence-XXXXXX";
	struct selffence_config *sc;
	char *cause = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	sc = selffence_config_load(path, &cause);
	assert_null(sc);
	assert_non_null(strstr(cause, "chmod 600"));
	free(cause);
	cause = NULL;
	assert_int_equal(chmod(path, 0600), 0);
	sc = selffence_config_load(path, &cause);
	assert_non_null(sc);
	assert_string_equal(sc->cluster, "c1");
	selffence_config_free(sc);
	unlink(path);
}

static void
test_selffence_cluster_keys(void **state)
{
	char *cause = NULL;
	struct config *cfg;
	int seconds;

	cfg = config_parse_string("ha_user = mha\nself_fence = yes\nself_fence_seconds = 4\n"
	                          "[cluster \"a\"]\nself_fence = no\n"
	                          "[cluster \"b\"]\nself_fence_seconds = 9\n",
	    "t.cnf", &cause);
	assert_non_null(cfg);
	assert_int_equal(config_cluster_self_fence(cfg, "a", &seconds), 0);
	assert_int_equal(config_cluster_self_fence(cfg, "b", &seconds), 1);
	assert_int_equal(seconds, 9);
	assert_int_equal(config_cluster_self_fence(cfg, "c", &seconds), 1);
	assert_int_equal(seconds, 4);
	config_free(cfg);

	cfg = config_parse_string("ha_user = mha\n", "t.cnf", &cause);
	assert_int_equal(config_cluster_self_fence(cfg, "c", &seconds), 0); /* off by default */
	assert_int_equal(seconds, SELFFENCE_DEFAULT_SECONDS);
	config_free(cfg);

	assert_null(config_parse_string("ha_user = mha\nself_fence = maybe\n", "t.cnf", &cause));
	assert_non_null(strstr(cause, "use yes or no"));
	free(cause);
	cause = NULL;
	assert_null(config_parse_string(
	    "ha_user = mha\n[cluster \"a\"]\nself_fence_seconds = 0\n", "t.cnf", &cause));
	assert_non_null(strstr(cause, "from 1 to 3600"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selffence_fences_after_both_lost_for_seconds),
	    cmocka_unit_test(test_selffence_one_side_answering_is_not_isolated),
	    cmocka_unit_test(test_selffence_lost_since_is_the_later_of_both),
	    cmocka_unit_test(test_selffence_an_answer_resets_the_clock),
	    cmocka_unit_test(test_selffence_agent_started_isolated_fences_after_seconds),
	    cmocka_unit_test(test_selffence_never_unfences),
	    cmocka_unit_test(test_selffence_config_parse_and_render),
	    cmocka_unit_test(test_selffence_config_refuses_bad_input),
	    cmocka_unit_test(test_selffence_config_load_refuses_readable_file),
	    cmocka_unit_test(test_selffence_cluster_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
