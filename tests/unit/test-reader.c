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
#include "test-util.h"

static void
test_reader_state_change_waits_for_the_registry(void **state)
{
	struct registry_cluster **list = NULL;
	unsigned long long seq, applied = 0;
	struct test_util_env env;
	struct reader *r;
	char *cause = NULL;
	long long read_ms;
	size_t n = 0;
	int i, got = 0;

	(void)state;
	test_util_env_init(&env, "reader");
	r = reader_start(env.cfg, &cause);
	assert_non_null(r);
	/* No registry file yet: the thread cannot open it. */
	seq = reader_transition(r, "c1", REGISTRY_STATE_FAILING_OVER, REGISTRY_DESIRED_KEEP,
	    "failover.running", "failing over");
	assert_true(seq > 0);
	assert_true(reader_emit(r, "c1", NULL, "engine.started", "started") > seq);
	usleep(1500 * 1000);
	assert_int_equal(reader_take(r, &list, &n, &applied, &read_ms), 0);

	test_util_add_cluster(&env, "c1", REGISTRY_STATE_MONITORING, REGISTRY_DESIRED_MONITORED);

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
	test_util_env_clear(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader_state_change_waits_for_the_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
