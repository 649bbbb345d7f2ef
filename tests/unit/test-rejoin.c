/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the rejoin decision: which failed former master may replicate from the master. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"
#include "rejoin.h"

/* A failed former master that answers, without the VIP, with the GTID states given. */
static struct rejoin_facts
facts(const char *node_gtid, const char *master_gtid)
{
	struct rejoin_facts f = {0};

	f.node = "10.77.0.11:3306";
	f.master = "10.77.0.12:3306";
	f.role = REGISTRY_ROLE_FAILED;
	f.node_answers = 1;
	f.master_answers = 1;
	f.holds_vip = 0;
	f.node_gtid = node_gtid;
	f.master_gtid = master_gtid;
	return f;
}

/* Decides f; checks the verdict and that *why holds want (NULL: no why at all). */
static void
expect(const struct rejoin_facts *f, enum rejoin_verdict verdict, const char *want,
    const char *want_extra)
{
	char *why = NULL, *extra = NULL;

	assert_int_equal(rejoin_decide(f, &why, &extra), verdict);
	if (want == NULL)
		assert_null(why);
	else {
		assert_non_null(why);
		if (strstr(why, want) == NULL)
			fail_msg("'%s' not in '%s'", want, why);
	}
	if (want_extra == NULL)
		assert_null(extra);
	else
		assert_string_equal(extra, want_extra);
	free(why);
	free(extra);
}

/* Everything the old master logged, the new master has: it may replicate. */
static void
test_contained(void **state)
{
	struct rejoin_facts f;

	(void)state;
	/* The new master has all of 0-1-* and its own writes since. */
	f = facts("0-1-100", "0-1-100,0-2-150");
	expect(&f, REJOIN_GO, NULL, NULL);
	/* Several domains, servers it once replicated from, in another order. */
	f = facts("1-1-7,0-3-20,0-1-100", "0-3-20,0-1-100,1-1-9,0-2-130");
	expect(&f, REJOIN_GO, NULL, NULL);
	/* An old master that never logged anything. */
	f = facts("", "0-2-5");
	expect(&f, REJOIN_GO, NULL, NULL);
	f = facts("", "");
	expect(&f, REJOIN_GO, NULL, NULL);
}

/* A transaction the failover never got, or one written on it afterwards: refused, named. */
static void
test_errant(void **state)
{
	struct rejoin_facts f;

	(void)state;
	/* One more of its own than the master received. */
	f = facts("0-1-101", "0-1-100,0-2-150");
	expect(&f, REJOIN_ERRANT, "holds transactions the master 10.77.0.12:3306 lacks: 0-1-101",
	    "0-1-101 (master at 0-1-100)");
	/* A domain the master never saw, beside a contained one. */
	f = facts("0-1-100,5-1-3", "0-1-100,0-2-150");
	expect(&f, REJOIN_ERRANT, "flashback", "5-1-3");
	/* A server_id the master never logged (a write from some third server). */
	f = facts("0-1-100,0-9-4", "0-1-100");
	expect(&f, REJOIN_ERRANT, "rebuild 10.77.0.11:3306 from a backup", "0-9-4");
	/* Both kinds at once, each named. */
	f = facts("0-1-120,0-9-4", "0-1-100,0-2-150");
	expect(&f, REJOIN_ERRANT, "0-1-120", "0-1-120 (master at 0-1-100), 0-9-4");
	/* The master empty, the node not. */
	f = facts("0-1-1", "");
	expect(&f, REJOIN_ERRANT, "0-1-1", "0-1-1");
	/* A malformed state is a refusal, never a go. */
	f = facts("0-1-x", "0-1-100");
	expect(&f, REJOIN_REFUSED, "cannot compare the GTID states", NULL);
	/* Unknown (MySQL): refused. */
	f = facts(NULL, "0-1-100");
	expect(&f, REJOIN_REFUSED, "GTID state of 10.77.0.11:3306 is unknown", NULL);
	f = facts("0-1-100", NULL);
	expect(&f, REJOIN_REFUSED, "GTID state of 10.77.0.12:3306 is unknown", NULL);
}

/* Refusals that have nothing to do with GTIDs come first: they are cheaper to fix. */
static void
test_refusals(void **state)
{
	struct rejoin_facts f;

	(void)state;
	f = facts("0-1-100", "0-1-100");
	f.role = REGISTRY_ROLE_MASTER;
	expect(&f, REJOIN_REFUSED, "is the current master", NULL);
	f = facts("0-1-100", "0-1-100");
	f.role = REGISTRY_ROLE_REPLICA;
	expect(&f, REJOIN_REFUSED, "is a replica already", NULL);
	f = facts("0-1-100", "0-1-100");
	f.role = REGISTRY_ROLE_UNKNOWN;
	expect(&f, REJOIN_REFUSED, "not verified yet", NULL);
	f = facts("0-1-101", "0-1-100");
	f.failing_over = 1;
	expect(&f, REJOIN_REFUSED, "a failover is in progress", NULL);
	f = facts("0-1-100", "0-1-100");
	f.master = NULL;
	expect(&f, REJOIN_REFUSED, "no master in the registry", NULL);
	f = facts("0-1-100", "0-1-100");
	f.master_answers = 0;
	f.master_error = "Can't connect";
	expect(
	    &f, REJOIN_REFUSED, "the master 10.77.0.12:3306 does not answer: Can't connect", NULL);
	f = facts(NULL, "0-1-100");
	f.node_answers = 0;
	f.node_error = "Connection refused";
	expect(&f, REJOIN_REFUSED, "does not answer (Connection refused): start its mysqld first",
	    NULL);
	f = facts("0-1-100", "0-1-100");
	f.holds_vip = 1;
	expect(&f, REJOIN_REFUSED, "still holds the VIP: fence it first", NULL);
	f = facts("0-1-100", "0-1-100");
	f.holds_vip = -1;
	f.vip_error = "ssh: timeout";
	expect(&f, REJOIN_REFUSED,
	    "cannot tell whether 10.77.0.11:3306 holds the VIP (ssh: timeout)", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_contained),
	    cmocka_unit_test(test_errant),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
