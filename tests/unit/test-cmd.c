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
	check_seed((const char *[]){ "-a", "orders", NULL }, 1,
	    (const char *[]){ "add", "orders", NULL });
	check_seed((const char *[]){ "-a", "orders", "-k", "yes", NULL }, 1,
	    (const char *[]){ "add", "orders", "--keys", NULL });
	check_seed((const char *[]){ "-k", "no", "-a", "orders", NULL }, 1,
	    (const char *[]){ "add", "orders", NULL });
	check_seed((const char *[]){ "-d", "orders", NULL }, 1,
	    (const char *[]){ "del", "orders", NULL });
	check_seed((const char *[]){ "-r", "orders", NULL }, 1,
	    (const char *[]){ "start", "orders", NULL });
	check_seed((const char *[]){ "-t", "orders", NULL }, 1,
	    (const char *[]){ "stop", "orders", NULL });
	check_seed((const char *[]){ "-l", "all", NULL }, 1,
	    (const char *[]){ "list", "all", NULL });
}

static void
test_cmd_seed_not_seed(void **state)
{
	check_seed((const char *[]){ "list", "all", NULL }, 0, NULL);
	check_seed((const char *[]){ "--json", NULL }, 0, NULL);
	check_seed((const char *[]){ "-x", NULL }, 0, NULL);
}

static void
test_cmd_seed_malformed(void **state)
{
	check_seed((const char *[]){ "-a", NULL }, -1, NULL);
	check_seed((const char *[]){ "-a", "x", "-d", "y", NULL }, -1, NULL);
	check_seed((const char *[]){ "-a", "x", "-k", "maybe", NULL }, -1, NULL);
	check_seed((const char *[]){ "-d", "x", "-k", "yes", NULL }, -1, NULL);
	check_seed((const char *[]){ "-k", "yes", NULL }, -1, NULL);
	check_seed((const char *[]){ "-a", "x", "extra", NULL }, -1, NULL);
	check_seed((const char *[]){ "-l", "-k", NULL }, -1, NULL);
}

/* Internal commands: found by exact name, never by prefix, never in help or completion. */
static void
test_cmd_internal_exact_only(void **state)
{
	char *cause = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_ptr_equal(cmd_find("complete", &cause), &cmd_complete_entry);
	assert_ptr_equal(cmd_find("hook", &cause), &cmd_hook_entry);
	assert_null(cause);
	/* "comp" would be a unique prefix of complete: internal, so it is unknown. */
	assert_null(cmd_find("comp", &cause));
	assert_non_null(strstr(cause, "unknown command: comp"));
	free(cause);
	cause = NULL;
	/* "ho" was a prefix of hook only: an internal command is never reached by one. */
	assert_null(cmd_find("ho", &cause));
	free(cause);
	cause = NULL;
	/* "he" is help alone now that hook does not compete. */
	assert_ptr_equal(cmd_find("he", &cause), &cmd_help_entry);

	f = open_memstream(&buf, &len);
	cmd_print_help(f);
	fclose(f);
	assert_null(strstr(buf, "complete"));
	assert_null(strstr(buf, "  hook"));
	assert_non_null(strstr(buf, "  list "));
	free(buf);
	buf = NULL;

	f = open_memstream(&buf, &len);
	cmd_print_command_names(f);
	fclose(f);
	assert_non_null(strstr(buf, "list\n"));
	assert_non_null(strstr(buf, "daemon\n"));
	assert_null(strstr(buf, "complete"));
	assert_null(strstr(buf, "engine"));
	assert_null(strstr(buf, "fence"));
	free(buf);
}

/* Options come from the entry's own table, by name or alias. */
static void
test_cmd_option_names(void **state)
{
	const struct option *o;
	char *buf = NULL, *want;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_int_equal(cmd_print_option_names(f, "ls"), 0);
	fclose(f);
	for (o = cmd_list_entry.longopts; o->name != NULL; o++) {
		want = NULL;
		assert_true(asprintf(&want, "--%s\n", o->name) > 0);
		assert_non_null(strstr(buf, want));
		free(want);
	}
	assert_non_null(strstr(buf, "--json\n"));
	assert_non_null(strstr(buf, "--help\n"));
	free(buf);
	buf = NULL;

	f = open_memstream(&buf, &len);
	assert_int_equal(cmd_print_option_names(f, "daemon"), 0);
	fclose(f);
	assert_non_null(strstr(buf, "--check-config\n"));
	free(buf);

	f = open_memstream(&buf, &len);
	assert_int_equal(cmd_print_option_names(f, "li"), -1); /* exact names only */
	fclose(f);
	free(buf);
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
		cmocka_unit_test(test_cmd_seed_aliases),
		cmocka_unit_test(test_cmd_seed_not_seed),
		cmocka_unit_test(test_cmd_seed_malformed),
		cmocka_unit_test(test_cmd_number),
		cmocka_unit_test(test_cmd_internal_exact_only),
		cmocka_unit_test(test_cmd_option_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
