/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for shquote.c: exact quoting, and real shells reading back exactly the input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shquote.h"
#include "xmalloc.h"

/* Inputs that would do harm, or at least change meaning, if quoting were wrong. */
static const char *const test_shquote_nasty[] = {
    "",
    "plain",
    "two words",
    "  leading and trailing  ",
    "'",
    "''",
    "it's",
    "'\\''",
    "a'b'c'",
    "$(echo PWNED)",
    "`echo PWNED`",
    "${HOME}",
    "$HOME",
    "$1 $@ $* $# $? $$ $!",
    "; echo PWNED",
    "a && echo PWNED || echo PWNED",
    "a | cat",
    "> /tmp/mhaadm-shquote-PWNED",
    "line one\nline two\n",
    "\n",
    "tab\there",
    "\"double\" \"quotes\"",
    "back\\slash\\",
    "\\",
    "*",
    "/*",
    "~",
    "~root",
    "!",
    "!!",
    "-n",
    "--help",
    "#comment",
    "a#b",
    "{a,b}",
    "[ab]",
    "x=1",
    "\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
    "\x01\x02\x1b[31m\x7f",
    NULL,
};

static void
test_shquote_expect(const char *in, const char *want)
{
	char *got = shquote(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_shquote_plain(void **state)
{
	(void)state;
	test_shquote_expect("plain", "'plain'");
	test_shquote_expect("10.77.0.12", "'10.77.0.12'");
}

static void
test_shquote_empty(void **state)
{
	(void)state;
	test_shquote_expect("", "''");
}

static void
test_shquote_spaces(void **state)
{
	(void)state;
	test_shquote_expect("a b  c", "'a b  c'");
	test_shquote_expect(" ", "' '");
}

static void
test_shquote_single_quotes(void **state)
{
	(void)state;
	test_shquote_expect("'", "''\\'''");
	test_shquote_expect("it's", "'it'\\''s'");
	test_shquote_expect("''", "''\\'''\\'''");
}

static void
test_shquote_substitution(void **state)
{
	(void)state;
	test_shquote_expect("$(id)", "'$(id)'");
	test_shquote_expect("`id`", "'`id`'");
	test_shquote_expect("${x}", "'${x}'");
}

static void
test_shquote_newlines(void **state)
{
	(void)state;
	test_shquote_expect("a\nb", "'a\nb'");
	test_shquote_expect("\n", "'\n'");
}

static void
test_shquote_semicolons(void **state)
{
	(void)state;
	test_shquote_expect("a; rm x", "'a; rm x'");
	test_shquote_expect("a;b&&c||d|e", "'a;b&&c||d|e'");
}

static void
test_shquote_argv(void **state)
{
	const char *const argv[] = {"ip", "addr", "add", "10.77.0.201/24", "it's", NULL};
	const char *const one[] = {"", NULL};
	const char *const none[] = {NULL};
	char *s;

	(void)state;
	s = shquote_argv(argv);
	assert_string_equal(s, "'ip' 'addr' 'add' '10.77.0.201/24' 'it'\\''s'");
	free(s);
	s = shquote_argv(one);
	assert_string_equal(s, "''");
	free(s);
	s = shquote_argv(none);
	assert_string_equal(s, "");
	free(s);
	s = shquote_argv(NULL);
	assert_string_equal(s, "");
	free(s);
}

/*
 * Runs script with shell -c (itself quoted, so the outer popen shell hands
 * it over untouched) and returns everything it printed, newly allocated.
 */
static char *
test_shquote_run(const char *shell, const char *script, size_t *len)
{
	char *qscript, *cmd, *buf = NULL;
	size_t used = 0, cap = 0, n;
	FILE *f;
	int status;

	qscript = shquote(script);
	cmd = xasprintf("%s -c %s", shell, qscript);
	f = popen(cmd, "r");
	assert_non_null(f);
	for (;;) {
		if (cap - used < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + used, 1, cap - used - 1, f);
		if (n == 0)
			break;
		used += n;
	}
	status = pclose(f);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	buf[used] = '\0';
	*len = used;
	free(cmd);
	free(qscript);
	return buf;
}

/* Each nasty input, read back by a real shell, is printed exactly as it was. */
static void
test_shquote_roundtrip_shell(const char *shell)
{
	const char *const *in;
	char *q, *script, *out, *want;
	size_t len;

	for (in = test_shquote_nasty; *in != NULL; in++) {
		q = shquote(*in);
		script = xasprintf("printf '%%s\\n' %s", q);
		out = test_shquote_run(shell, script, &len);
		want = xasprintf("%s\n", *in);
		if (len != strlen(want) || memcmp(out, want, len) != 0)
			fail_msg("%s read back [%s] as [%s]", shell, *in, out);
		free(want);
		free(out);
		free(script);
		free(q);
	}
	assert_int_equal(access("/tmp/mhaadm-shquote-PWNED", F_OK), -1);
}

static void
test_shquote_roundtrip_sh(void **state)
{
	(void)state;
	test_shquote_roundtrip_shell("/bin/sh");
}

/* root's login shell on the hosts is bash, which is what sshd hands the command to. */
static void
test_shquote_roundtrip_bash(void **state)
{
	(void)state;
	if (access("/bin/bash", X_OK) != 0)
		skip();
	test_shquote_roundtrip_shell("/bin/bash");
}

/* The whole argv survives as separate arguments: printed NUL-separated, compared byte for byte. */
static void
test_shquote_roundtrip_argv(void **state)
{
	const char *const *in;
	char *q, *script, *out, *want, *p;
	size_t len, wantlen = 0, n = 0, i;

	(void)state;
	for (in = test_shquote_nasty; *in != NULL; in++) {
		wantlen += strlen(*in) + 1;
		n++;
	}
	want = xmalloc(wantlen);
	p = want;
	for (i = 0; i < n; i++) {
		memcpy(p, test_shquote_nasty[i], strlen(test_shquote_nasty[i]) + 1);
		p += strlen(test_shquote_nasty[i]) + 1;
	}

	q = shquote_argv(test_shquote_nasty);
	script = xasprintf("printf '%%s\\0' %s", q);
	out = test_shquote_run("/bin/sh", script, &len);
	assert_int_equal(len, wantlen);
	assert_memory_equal(out, want, len);
	free(out);
	free(script);
	free(q);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shquote_plain),
	    cmocka_unit_test(test_shquote_empty),
	    cmocka_unit_test(test_shquote_spaces),
	    cmocka_unit_test(test_shquote_single_quotes),
	    cmocka_unit_test(test_shquote_substitution),
	    cmocka_unit_test(test_shquote_newlines),
	    cmocka_unit_test(test_shquote_semicolons),
	    cmocka_unit_test(test_shquote_argv),
	    cmocka_unit_test(test_shquote_roundtrip_sh),
	    cmocka_unit_test(test_shquote_roundtrip_bash),
	    cmocka_unit_test(test_shquote_roundtrip_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
