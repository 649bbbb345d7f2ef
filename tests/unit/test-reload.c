/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for what a reload (SIGHUP) changes, and for when log lines carry journal priorities.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "reload.h"

#define BASE "[mhaadm]\nha_user = mha\nworkdir = /var/lib/t\n"
#define HOOK "[notify \"ops\"]\ntype = webhook\nurl = http://127.0.0.1:1/a\n"

static struct config *
test_cfg(const char *text)
{
	char *cause = NULL;
	struct config *cfg = config_parse_string(text, "t.cnf", &cause);

	if (cfg == NULL)
		fail_msg("%s", cause);
	return cfg;
}

/* Plans one reload from a to b; returns reload_plan's result. */
static int
test_plan(const char *a, const char *b, struct reload_plan *plan, char **cause)
{
	struct config *ca = test_cfg(a), *cb = test_cfg(b);
	int rc = reload_plan(ca, cb, plan, cause);

	config_free(ca);
	config_free(cb);
	return rc;
}

static void
test_reload_same_file(void **state)
{
	struct reload_plan p;
	char *cause = NULL;

	assert_int_equal(test_plan(BASE HOOK, BASE HOOK, &p, &cause), 0);
	assert_int_equal(p.restart_notifier, 0);
}

/* A changed timeout or interval is taken at once: nothing restarts. */
static void
test_reload_plain_keys(void **state)
{
	struct reload_plan p;
	char *cause = NULL;

	assert_int_equal(
	    test_plan(BASE HOOK, BASE "probe_interval = 5\nmax_lag = 9\n" HOOK, &p, &cause), 0);
	assert_int_equal(p.restart_notifier, 0);
}

static void
test_reload_channels(void **state)
{
	struct reload_plan p;
	char *cause = NULL;

	/* A new URL, a channel added, one removed, a changed event filter: the notifier restarts.
	 */
	assert_int_equal(
	    test_plan(BASE HOOK,
	        BASE "[notify \"ops\"]\ntype = webhook\nurl = http://127.0.0.1:2/b\n", &p, &cause),
	    0);
	assert_int_equal(p.restart_notifier, 1);
	assert_int_equal(test_plan(BASE, BASE HOOK, &p, &cause), 0);
	assert_int_equal(p.restart_notifier, 1);
	assert_int_equal(test_plan(BASE HOOK, BASE, &p, &cause), 0);
	assert_int_equal(p.restart_notifier, 1);
	assert_int_equal(test_plan(BASE HOOK, BASE HOOK "events = failover.*\n", &p, &cause), 0);
	assert_int_equal(p.restart_notifier, 1);
}

/* The registry thread keeps its connection: another registry needs a restart. */
static void
test_reload_registry_refused(void **state)
{
	struct reload_plan p;
	char *cause = NULL;

	assert_int_equal(
	    test_plan(BASE, BASE "registry_path = /var/lib/t/other.db\n", &p, &cause), -1);
	assert_non_null(strstr(cause, "registry settings changed"));
	free(cause);
	cause = NULL;
	assert_int_equal(
	    test_plan(BASE, BASE "registry = mysql\nmysql_host = db\nmysql_user = u\n", &p, &cause),
	    -1);
	free(cause);
}

/* The workdir holds the daemon's lock and the engines' pid files: refused, with the reason. */
static void
test_reload_workdir_refused(void **state)
{
	struct reload_plan p;
	char *cause = NULL;

	assert_int_equal(
	    test_plan(BASE, "[mhaadm]\nha_user = mha\nworkdir = /var/lib/u\n", &p, &cause), -1);
	assert_non_null(strstr(cause, "workdir changed"));
	assert_non_null(strstr(cause, "restart the daemon"));
	free(cause);
}

/* Manager HA: the leases are held under the name and length the daemon started with. */
static void
test_reload_manager_refused(void **state)
{
	struct reload_plan p;
	char *cause = NULL;

	assert_int_equal(
	    test_plan(BASE "manager_name = a\n", BASE "manager_name = b\n", &p, &cause), -1);
	assert_non_null(strstr(cause, "manager_name or lease_seconds changed"));
	free(cause);
	cause = NULL;
	assert_int_equal(test_plan(BASE, BASE "lease_seconds = 20\n", &p, &cause), -1);
	free(cause);
}

static void
test_log_journal_rule(void **state)
{
	assert_int_equal(log_journal_wanted(1, NULL), 0);     /* a terminal: for people */
	assert_int_equal(log_journal_wanted(0, NULL), 1);     /* a pipe or file */
	assert_int_equal(log_journal_wanted(1, "8:1234"), 1); /* systemd's journal stream */
	log_journal_set(1);
	assert_string_equal(log_prefix(LOG_PRIO_ERR), "<3>");
	assert_string_equal(log_prefix(log_level_priority(LOG_LEVEL_WARN)), "<4>");
	assert_string_equal(log_prefix(log_level_priority(LOG_LEVEL_INFO)), "<6>");
	assert_string_equal(log_prefix(log_level_priority(LOG_LEVEL_DEBUG)), "<7>");
	log_journal_set(0);
	assert_string_equal(log_prefix(LOG_PRIO_ERR), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reload_same_file),
	    cmocka_unit_test(test_reload_plain_keys),
	    cmocka_unit_test(test_reload_channels),
	    cmocka_unit_test(test_reload_registry_refused),
	    cmocka_unit_test(test_reload_workdir_refused),
	    cmocka_unit_test(test_reload_manager_refused),
	    cmocka_unit_test(test_log_journal_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
