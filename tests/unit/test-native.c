/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the native engine's pure parts: GTID order, the SQL table, the non-blocking conn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "native-sql.h"
#include "native.h"

static void
test_gtid_covers(void **state)
{
	(void)state;
	assert_int_equal(native_gtid_covers("0-1-42", "0-1-41"), 1);
	assert_int_equal(native_gtid_covers("0-1-42", "0-1-42"), 1);
	assert_int_equal(native_gtid_covers("0-1-41", "0-1-42"), 0);
	/* A domain the other lacks is not covered. */
	assert_int_equal(native_gtid_covers("0-1-42", "0-1-3,1-2-7"), 0);
	assert_int_equal(native_gtid_covers("0-1-42,1-2-7", "1-2-7,0-1-40"), 1);
	/* The server id of the last event does not matter, only the sequence per domain. */
	assert_int_equal(native_gtid_covers("0-2-43", "0-1-42"), 1);
	assert_int_equal(native_gtid_covers("", ""), 1);
	assert_int_equal(native_gtid_covers("", "0-1-1"), 0);
}

static void
test_gtid_score(void **state)
{
	(void)state;
	assert_true(native_gtid_score("0-1-42") > native_gtid_score("0-1-41"));
	assert_int_equal(native_gtid_score("0-1-42,1-2-8"), 50);
	assert_int_equal(native_gtid_score(""), 0);
	assert_int_equal(native_gtid_score("garbage"), 0);
}

static void
test_sql_table(void **state)
{
	char buf[256];
	int i;

	(void)state;
	/* Every MariaDB statement exists; MySQL has none until it can be tested. */
	for (i = 0; i < NATIVE_SQL_COUNT; i++) {
		assert_non_null(native_sql(NATIVE_FLAVOUR_MARIADB, (enum native_stmt)i));
		assert_null(native_sql(NATIVE_FLAVOUR_MYSQL, (enum native_stmt)i));
	}
	assert_int_equal(native_sql_format(buf, sizeof(buf), NATIVE_FLAVOUR_MARIADB,
	                     NATIVE_SQL_GTID_WAIT, "0-1-42", 5),
	    0);
	assert_string_equal(buf, "SELECT MASTER_GTID_WAIT('0-1-42', 5)");
	assert_int_equal(
	    native_sql_format(buf, 8, NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_GTID_WAIT, "0-1-42", 5),
	    -1);
	assert_int_equal(
	    native_sql_format(buf, sizeof(buf), NATIVE_FLAVOUR_MYSQL, NATIVE_SQL_PING), -1);
	assert_int_equal(
	    native_sql_flavour("10.11.19-MariaDB-0+deb12u1-log"), NATIVE_FLAVOUR_MARIADB);
	assert_int_equal(native_sql_flavour("8.4.3"), NATIVE_FLAVOUR_MYSQL);
}

/* Nothing listens on 127.0.0.1:1: refused, reported by step, never blocking. */
static void
test_conn_refused(void **state)
{
	struct native_conn c = {0};
	struct pollfd p;
	enum native_conn_event ev = NATIVE_CONN_PENDING;
	long long deadline = native_now_ms() + 2000;

	(void)state;
	native_conn_connect(&c, "127.0.0.1", 1, "u", "p", 500);
	while (ev == NATIVE_CONN_PENDING && native_now_ms() < deadline) {
		short re = 0;

		if (native_conn_pollfd(&c, &p) && poll(&p, 1, 50) > 0)
			re = p.revents;
		ev = native_conn_step(&c, re, native_now_ms());
	}
	assert_int_equal(ev, NATIVE_CONN_FAILED);
	assert_int_equal(c.state, NATIVE_CONN_CLOSED);
	assert_true(c.refused);
	native_conn_close(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gtid_covers),
	    cmocka_unit_test(test_gtid_score),
	    cmocka_unit_test(test_sql_table),
	    cmocka_unit_test(test_conn_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
