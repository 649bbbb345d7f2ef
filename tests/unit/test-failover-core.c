/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the replicas' verdict on an unreachable master and for errant GTIDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gtid.h"
#include "master_verdict.h"

static void
test_verdict_alive_when_one_replica_receives(void **state)
{
	struct master_observation o[2] = {
	    {"a:3306", 1, 1, 0, 0}, /* lost the master */
	    {"b:3306", 1, 1, 1, 1}, /* still receives */
	};
	char *why = NULL;

	(void)state;
	assert_int_equal(master_verdict_decide(o, 2, &why), MASTER_ALIVE);
	assert_non_null(strstr(why, "b:3306"));
	free(why);
	/* Cannot tell (no sample, long heartbeat period): counts as receiving. */
	o[1].moved = -1;
	assert_int_equal(master_verdict_decide(o, 2, NULL), MASTER_ALIVE);
}

static void
test_verdict_dead(void **state)
{
	struct master_observation o[3] = {
	    {"a:3306", 1, 1, 0, 0}, /* IO thread Connecting (kill -9) */
	    {"b:3306", 1, 1, 1, 0}, /* IO Yes but nothing arrived for a heartbeat period */
	    {"c:3306", 0, 0, 0, 0}, /* unreachable: no vote */
	};
	char *why = NULL;

	(void)state;
	assert_int_equal(master_verdict_decide(o, 3, &why), MASTER_DEAD);
	assert_non_null(strstr(why, "2 answered"));
	free(why);
	/* A replica receiving from another source says nothing about this master. */
	o[1].from_master = 0;
	o[1].moved = 1;
	assert_int_equal(master_verdict_decide(o, 3, NULL), MASTER_DEAD);
}

static void
test_verdict_unknown(void **state)
{
	struct master_observation o[2] = {
	    {"a:3306", 0, 0, 0, 0},
	    {"b:3306", 0, 1, 1, 1},
	};
	char *why = NULL;

	(void)state;
	assert_int_equal(master_verdict_decide(o, 2, &why), MASTER_UNKNOWN);
	free(why);
	assert_int_equal(master_verdict_decide(NULL, 0, NULL), MASTER_UNKNOWN);
	assert_string_equal(master_verdict_name(MASTER_DEAD), "dead");
}

static void
test_gtid_parse(void **state)
{
	struct gtid *g = NULL;
	size_t n = 0;
	char *cause = NULL;

	(void)state;
	assert_int_equal(
	    gtid_parse("0-1-100, 1-2-5,4294967295-3-18446744073709551615", &g, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_int_equal(g[0].domain, 0);
	assert_int_equal(g[0].server_id, 1);
	assert_int_equal(g[0].seq, 100);
	assert_int_equal(g[1].domain, 1);
	assert_int_equal(g[1].server_id, 2);
	assert_int_equal(g[2].domain, 4294967295UL);
	assert_true(g[2].seq == 18446744073709551615ULL);
	free(g);
	assert_int_equal(gtid_parse("", &g, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gtid_parse(NULL, &g, &n, &cause), 0);
	assert_int_equal(gtid_parse("0-1", &g, &n, &cause), -1);
	free(cause);
	assert_int_equal(gtid_parse("0-1-2,", &g, &n, &cause), -1);
	free(cause);
	assert_int_equal(gtid_parse("0-1-2;1-1-1", &g, &n, &cause), -1);
	free(cause);
	assert_int_equal(gtid_parse("a-1-2", &g, &n, &cause), -1);
	free(cause);
	assert_int_equal(gtid_parse("0-1-99999999999999999999", &g, &n, &cause), -1);
	free(cause);
}

static void
test_gtid_errant(void **state)
{
	char *e = NULL, *cause = NULL;

	(void)state;
	/* Behind the master in every (domain, server): fine. */
	assert_int_equal(gtid_errant("0-1-5", "0-1-9", &e, &cause), 0);
	assert_null(e);
	assert_int_equal(gtid_errant("", "0-1-9", &e, &cause), 0);
	/* Its own write (server 3) in domain 0, and one in another domain. */
	assert_int_equal(gtid_errant("0-1-9,0-3-3,2-1-1", "0-1-9", &e, &cause), 1);
	assert_string_equal(e, "0-3-3, 2-1-1");
	free(e);
	/* A higher sequence than the master ever logged for that server. */
	assert_int_equal(gtid_errant("0-1-12", "0-2-4,0-1-9", &e, &cause), 1);
	assert_string_equal(e, "0-1-12 (master at 0-1-9)");
	free(e);
	/* Old servers the master still lists (a past failover): fine. */
	assert_int_equal(gtid_errant("0-1-9,0-2-4", "0-2-7,0-1-9,0-3-1", &e, &cause), 0);
	assert_int_equal(gtid_errant("0-1-x", "0-1-9", &e, &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict_alive_when_one_replica_receives),
	    cmocka_unit_test(test_verdict_dead),
	    cmocka_unit_test(test_verdict_unknown),
	    cmocka_unit_test(test_gtid_parse),
	    cmocka_unit_test(test_gtid_errant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
