/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the storm breaker: the decision on its record, and the locked file. */
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
#include "storm.h"
#include "xmalloc.h"

static void
test_storm_admits_up_to_max(void **state)
{
	char *kept = NULL, *why = NULL;

	assert_int_equal(storm_decide(NULL, "a", 1000, 2, 300, &kept, &why), 0);
	assert_string_equal(kept, "1000 a\n");
	free(kept);
	assert_int_equal(storm_decide("1000 a\n", "b", 1001, 2, 300, &kept, &why), 0);
	assert_string_equal(kept, "1000 a\n1001 b\n");
	free(kept);
	assert_int_equal(storm_decide("1000 a\n1001 b\n", "c", 1002, 2, 300, &kept, &why), 1);
	assert_non_null(strstr(why, "2 clusters started failing over within 300 s"));
	assert_non_null(strstr(why, "(a, b; storm_max_failovers = 2)"));
	assert_non_null(strstr(why, "pause for up to 298 s"));
	/* A refusal is not recorded: the window runs from the failovers that happened. */
	assert_string_equal(kept, "1000 a\n1001 b\n");
	free(kept);
	free(why);
}

static void
test_storm_window_and_same_cluster(void **state)
{
	char *kept = NULL, *why = NULL;

	/* Entries older than the window are forgotten. */
	assert_int_equal(storm_decide("1000 a\n1001 b\n", "c", 1300, 2, 300, &kept, &why), 0);
	assert_string_equal(kept, "1001 b\n1300 c\n");
	free(kept);
	/* A cluster already counted is not counted twice, nor refused. */
	assert_int_equal(storm_decide("1000 a\n1001 b\n", "a", 1002, 2, 300, &kept, &why), 0);
	assert_string_equal(kept, "1000 a\n1001 b\n");
	free(kept);
	/* The same other cluster twice is one cluster. */
	assert_int_equal(storm_decide("1000 a\n1001 a\n", "c", 1002, 2, 300, &kept, &why), 0);
	free(kept);
	/* 0 means off. */
	assert_int_equal(storm_decide("1000 a\n1001 b\n", "c", 1002, 0, 300, &kept, &why), 0);
	free(kept);
}

static void
test_storm_ignores_garbage(void **state)
{
	char *kept = NULL, *why = NULL;

	assert_int_equal(storm_decide("x\n1000\n1000 a;rm -rf /\n-5 b\n99999999999999999999 c\n"
	                              "1000 ok\n\n",
	                     "d", 1001, 1, 300, &kept, &why),
	    1);
	assert_non_null(strstr(why, "(ok;"));
	assert_string_equal(kept, "1000 ok\n");
	free(kept);
	free(why);
}

static void
test_storm_admit_file(void **state)
{
	char dir[] = "/tmp/test-storm-XXXXXX", *why = NULL, *cause = NULL, *path, buf[256];
	struct config *cfg;
	FILE *f;
	size_t n;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("ha_user = mha\nworkdir = %s/work\nstorm_max_failovers = 1\n"
	                 "storm_window = 60\n",
	    dir);
	cfg = config_parse_string(path, "t.cnf", &cause);
	free(path);
	assert_non_null(cfg);
	assert_int_equal(storm_admit(cfg, "a", 5000, &why, &cause), 0);
	assert_int_equal(storm_admit(cfg, "b", 5001, &why, &cause), 1);
	assert_non_null(strstr(why, "1 cluster started failing over within 60 s"));
	free(why);
	assert_int_equal(storm_admit(cfg, "b", 5061, &why, &cause), 0);
	path = xasprintf("%s/work/storm", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, "5061 b\n");
	unlink(path);
	free(path);
	path = xasprintf("%s/work", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storm_admits_up_to_max),
	    cmocka_unit_test(test_storm_window_and_same_cluster),
	    cmocka_unit_test(test_storm_ignores_garbage),
	    cmocka_unit_test(test_storm_admit_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
