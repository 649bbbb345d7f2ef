/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the command table: lookup by name, alias and prefix, and the seed's flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"

static void
test_cmd_find_exact_alias_prefix(void **state)
{
	char *cause = NULL;

	assert_ptr_equal(cmd_find("add", &cause), &cmd_add_entry);
	assert_ptr_equal(cmd_find("ls", &cause), &cmd_list_entry);
	assert_ptr_equal(cmd_find("delete", &cause), &cmd_del_entry);
	assert_ptr_equal(cmd_find("li", &cause), &cmd_list_entry);
	assert_ptr_equal(cmd_find("hi", &cause), &cmd_history_entry);
	/* "del" is exact even though "del" is no prefix of anything else */
	assert_ptr_equal(cmd_find("del", &cause), &cmd_del_entry);
	assert_null(cause);
}

static void
test_cmd_find_ambiguous_and_unknown(void **state)
{
	char *cause = NULL;

	assert_null(cmd_find("st", &cause));
	assert_string_equal(cause, "ambiguous command: st, could be: start, stop");
	free(cause);
	cause = NULL;
	assert_null(cmd_find("frobnicate", &cause));
	assert_non_null(strstr(cause, "unknown command: frobnicate"));
	free(cause);
	cause = NULL;
	assert_null(cmd_find("", &cause));
	free(cause);
}

static void
test_cmd_table_complete(void **state)
{
	const struct cmd_entry *const *e;
	int n = 0;

	for (e = cmd_table; *e != NULL; e++) {
		assert_non_null((*e)->name);
		assert_non_null((*e)->args);
		assert_non_null((*e)->summary);
		assert_non_null((*e)->exec);
		n++;
	}
	/* Every entry is complete; the known commands are all there (others may be added). */
	assert_true(n >= 18);
	for (e = cmd_table; *e != NULL; e++)
		assert_ptr_equal(cmd_find((*e)->name, NULL), *e);
}

/*
 * Internal commands (run by the daemon and MHA) match their exact name
 * only: "e", "f", "w" or "eng" must never start an engine or a fence pass;
 * and 'mhaadm help' does not list them.
 */
static void
test_cmd_internal_exact_and_hidden(void **state)
{
	static const char *const internal[] = {
	    "engine", "engine-native", "fence", "watch", "hook", "notifier", NULL};
	static const char *const prefixes[] = {
	    "e", "en", "eng", "engin", "f", "fen", "w", "wat", "ho", NULL};
	char *cause = NULL, *text = NULL, line[64];
	size_t len = 0, i;
	FILE *f;

	(void)state;
	for (i = 0; internal[i] != NULL; i++) {
		const struct cmd_entry *e = cmd_find(internal[i], &cause);

		assert_non_null(e);
		assert_true(e->flags & CMD_INTERNAL);
	}
	for (i = 0; prefixes[i] != NULL; i++) {
		assert_null(cmd_find(prefixes[i], &cause));
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
	/* "h" was help, history or hook: now help or history, still ambiguous, never the hook. */
	assert_null(cmd_find("h", &cause));
	assert_non_null(strstr(cause, "help"));
	assert_null(strstr(cause, "hook"));
	free(cause);
	cause = NULL;
	assert_non_null(cmd_find("sta", &cause)); /* public commands keep their prefixes */
	/* "notif" is the public notify's prefix, never the notifier's. */
	assert_ptr_equal(cmd_find("notif", &cause), &cmd_notify_entry);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	cmd_print_help(f);
	fclose(f);
	for (i = 0; internal[i] != NULL; i++) {
		snprintf(line, sizeof(line), "\n  %-8s ", internal[i]);
		assert_null(strstr(text, line));
	}
	assert_non_null(strstr(text, "\n  start    "));
	free(text);
}

/* Translates a NULL-terminated argv and checks the result against want (NULL-terminated). */
static void
check_seed(const char **in, int want_rc, const char **want)
{
	char **out = NULL, *cause = NULL;
	int argc = 0, out_argc = 0, rc, i;

	while (in[argc] != NULL)
		argc++;
	rc = cmd_seed_translate(argc, (char **)in, &out_argc, &out, &cause);
	assert_int_equal(rc, want_rc);
	if (rc == 1) {
		for (i = 0; want[i] != NULL; i++) {
			assert_true(i < out_argc);
			assert_string_equal(out[i], want[i]);
		}
		assert_int_equal(i, out_argc);
		cmd_argv_free(out_argc, out);
	}
	if (rc == -1) {
		assert_non_null(cause);
		free(cause);
	}
}

static void
test_cmd_seed_aliases(void **state)
{
	check_seed(
	    (const char *[]){"-a", "orders", NULL}, 1, (const char *[]){"add", "orders", NULL});
	check_seed((const char *[]){"-a", "orders", "-k", "yes", NULL}, 1,
	    (const char *[]){"add", "orders", "--keys", NULL});
	check_seed((const char *[]){"-k", "no", "-a", "orders", NULL}, 1,
	    (const char *[]){"add", "orders", NULL});
	check_seed(
	    (const char *[]){"-d", "orders", NULL}, 1, (const char *[]){"del", "orders", NULL});
	check_seed(
	    (const char *[]){"-r", "orders", NULL}, 1, (const char *[]){"start", "orders", NULL});
	check_seed(
	    (const char *[]){"-t", "orders", NULL}, 1, (const char *[]){"stop", "orders", NULL});
	check_seed((const char *[]){"-l", "all", NULL}, 1, (const char *[]){"list", "all", NULL});
}

static void
test_cmd_seed_not_seed(void **state)
{
	check_seed((const char *[]){"list", "all", NULL}, 0, NULL);
	check_seed((const char *[]){"--json", NULL}, 0, NULL);
	check_seed((const char *[]){"-x", NULL}, 0, NULL);
}

static void
test_cmd_seed_malformed(void **state)
{
	check_seed((const char *[]){"-a", NULL}, -1, NULL);
	check_seed((const char *[]){"-a", "x", "-d", "y", NULL}, -1, NULL);
	check_seed((const char *[]){"-a", "x", "-k", "maybe", NULL}, -1, NULL);
	check_seed((const char *[]){"-d", "x", "-k", "yes", NULL}, -1, NULL);
	check_seed((const char *[]){"-k", "yes", NULL}, -1, NULL);
	check_seed((const char *[]){"-a", "x", "extra", NULL}, -1, NULL);
	check_seed((const char *[]){"-l", "-k", NULL}, -1, NULL);
}

static void
test_cmd_number(void **state)
{
	long v = -1;

	assert_int_equal(cmd_number("30", 1, 3600, &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(cmd_number("0", 1, 3600, &v), -1);
	assert_int_equal(cmd_number("3601", 1, 3600, &v), -1);
	assert_int_equal(cmd_number("9x", 1, 3600, &v), -1);
	assert_int_equal(cmd_number("", 1, 3600, &v), -1);
	assert_int_equal(cmd_number("99999999999999999999", 1, 3600, &v), -1);
	assert_int_equal(v, 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmd_find_exact_alias_prefix),
	    cmocka_unit_test(test_cmd_find_ambiguous_and_unknown),
	    cmocka_unit_test(test_cmd_table_complete),
	    cmocka_unit_test(test_cmd_internal_exact_and_hidden),
	    cmocka_unit_test(test_cmd_seed_aliases),
	    cmocka_unit_test(test_cmd_seed_not_seed),
	    cmocka_unit_test(test_cmd_seed_malformed),
	    cmocka_unit_test(test_cmd_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
