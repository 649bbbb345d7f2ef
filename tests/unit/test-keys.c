/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for keys: the authorized_keys lines mhaadm installs and finds
 * again, the rewrite that keeps every foreign line byte for byte, host key
 * fingerprints, the check matrix and its JSON, the password file rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "keys.h"
#include "ssh.h"
#include "xmalloc.h"

#define PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGsfXpip+b+D1kZVJ/Bq/yvqunPXUT2wRZs5JOrRVImh"
/* ssh-keygen -lf of that key. */
#define PUB_FP "SHA256:ljzj1CWPSzQQI6nmYhegte9HDBPcJMIpZBjZvWDKIPA"

static void
t_line(void **state)
{
	const char *from[] = {"10.77.0.1", "10.77.0.11", "10.77.0.12"};
	char *line;

	(void)state;
	line = keys_authorized_line(PUB, from, 3, "orders");
	assert_string_equal(line,
	    "from=\"10.77.0.1,10.77.0.11,10.77.0.12\",no-port-forwarding,no-agent-forwarding,"
	    "no-X11-forwarding,no-pty " PUB " mhaadm-keys:orders");
	assert_true(keys_authorized_is_ours(line, strlen(line), "orders"));
	assert_false(keys_authorized_is_ours(line, strlen(line), "order"));
	assert_false(keys_authorized_is_ours(line, strlen(line), "rders"));
	assert_false(keys_authorized_is_ours(line, strlen(line), "orders2"));
	free(line);
}

static void
t_is_ours(void **state)
{
	static const char *const no[] = {
	    PUB " mhaadm-keys:c1",                       /* no from=: not installed by us */
	    "# from=\"x\" " PUB " mhaadm-keys:c1",       /* a comment */
	    "from=\"10.0.0.1\" " PUB " dba@laptop",      /* someone else's */
	    "from=\"10.0.0.1\" " PUB " xmhaadm-keys:c1", /* tag must be the whole field */
	    "from=\"10.0.0.1\" " PUB " mhaadm-keys:c1x",
	    "",
	};
	const char *yes = "from=\"10.0.0.1\" " PUB " mhaadm-keys:c1 \r";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(keys_authorized_is_ours(no[i], strlen(no[i]), "c1"));
	assert_true(keys_authorized_is_ours(yes, strlen(yes), "c1"));
}

static void
t_update_keeps_foreign_lines(void **state)
{
	const char *old = "# operator keys\n"
	                  "ssh-rsa AAAAB3Nza dba@laptop\n"
	                  "from=\"10.0.0.1\",no-pty " PUB " mhaadm-keys:c1\n"
	                  "\n"
	                  "from=\"10.0.0.9\" " PUB " mhaadm-keys:other\n"
	                  "ssh-ed25519 AAAAC3 last-line-without-newline";
	char *out;
	size_t removed = 9;

	(void)state;
	out = keys_authorized_update(old, "c1", NULL, &removed);
	assert_int_equal(removed, 1);
	assert_string_equal(out, "# operator keys\n"
	                         "ssh-rsa AAAAB3Nza dba@laptop\n"
	                         "\n"
	                         "from=\"10.0.0.9\" " PUB " mhaadm-keys:other\n"
	                         "ssh-ed25519 AAAAC3 last-line-without-newline");
	free(out);

	/* Adding replaces ours and never merges with a last line lacking its newline. */
	out =
	    keys_authorized_update(old, "c1", "from=\"1.2.3.4\" " PUB " mhaadm-keys:c1", &removed);
	assert_int_equal(removed, 1);
	assert_string_equal(out, "# operator keys\n"
	                         "ssh-rsa AAAAB3Nza dba@laptop\n"
	                         "\n"
	                         "from=\"10.0.0.9\" " PUB " mhaadm-keys:other\n"
	                         "ssh-ed25519 AAAAC3 last-line-without-newline\n"
	                         "from=\"1.2.3.4\" " PUB " mhaadm-keys:c1\n");
	free(out);

	out = keys_authorized_update("", "c1", "L mhaadm-keys:c1", NULL);
	assert_string_equal(out, "L mhaadm-keys:c1\n");
	free(out);
	out = keys_authorized_update("a\nb\n", "c1", NULL, &removed);
	assert_string_equal(out, "a\nb\n");
	assert_int_equal(removed, 0);
	free(out);
}

static void
t_fingerprint(void **state)
{
	char *fp;

	(void)state;
	fp = ssh_fingerprint_base64("ssh-ed25519", strchr(PUB, ' ') + 1);
	assert_non_null(fp);
	assert_string_equal(fp, PUB_FP);
	free(fp);
	assert_null(ssh_fingerprint_base64("ssh-ed25519", "bm90IGEga2V5"));
	assert_null(ssh_fingerprint_base64("no-such-type", strchr(PUB, ' ') + 1));
}

/* A 2-host matrix: the manager reaches both; h2 cannot reach h1. */
static void
matrix_fixture(const char **hosts, struct keys_link *l)
{
	hosts[0] = "db1";
	hosts[1] = "db-number-2";
	memset(l, 0, 6 * sizeof(*l));
	l[0] = (struct keys_link){NULL, "db1", 1, NULL};
	l[1] = (struct keys_link){NULL, "db-number-2", 1, NULL};
	l[2] = (struct keys_link){"db1", "db1", 1, NULL};
	l[3] = (struct keys_link){"db1", "db-number-2", 1, NULL};
	l[4] = (struct keys_link){"db-number-2", "db1", 0, (char *)"Host key verification failed."};
	l[5] = (struct keys_link){"db-number-2", "db-number-2", 1, NULL};
}

static void
t_matrix_text(void **state)
{
	const char *hosts[2];
	struct keys_link l[6];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	matrix_fixture(hosts, l);
	f = open_memstream(&buf, &len);
	keys_matrix_print(f, hosts, 2, l);
	fclose(f);
	assert_string_equal(buf, "from \\ to    db1   db-number-2\n"
	                         "manager      ok    ok\n"
	                         "db1          -     ok\n"
	                         "db-number-2  FAIL  -\n"
	                         "db-number-2 -> db1: Host key verification failed.\n");
	free(buf);
}

static void
t_matrix_json(void **state)
{
	const char *hosts[2];
	struct keys_link l[6];
	json_object *o, *links, *e, *v;
	char *text;

	(void)state;
	matrix_fixture(hosts, l);
	text = keys_matrix_json("c1", hosts, 2, l);
	o = json_tokener_parse(text);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "ok", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "links", &links));
	/* The diagonal is left out: 2 from the manager, 2 between the hosts. */
	assert_int_equal(json_object_array_length(links), 4);
	e = json_object_array_get_idx(links, 0);
	json_object_object_get_ex(e, "from", &v);
	assert_string_equal(json_object_get_string(v), "manager");
	e = json_object_array_get_idx(links, 3);
	json_object_object_get_ex(e, "from", &v);
	assert_string_equal(json_object_get_string(v), "db-number-2");
	json_object_object_get_ex(e, "error", &v);
	assert_string_equal(json_object_get_string(v), "Host key verification failed.");
	json_object_put(o);
	free(text);
}

static void
t_password_file(void **state)
{
	char path[] = "/tmp/mhaadm-test-keys-XXXXXX";
	char *pw = NULL, *cause = NULL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cr;et 'x'\nsecond line\n", 24), 24);
	close(fd);
	assert_int_equal(keys_password_read(path, &pw, &cause), 0);
	assert_string_equal(pw, "s3cr;et 'x'");
	xfree_secret(pw);

	chmod(path, 0640);
	assert_int_equal(keys_password_read(path, &pw, &cause), -1);
	assert_non_null(strstr(cause, "chmod 600"));
	free(cause);
	unlink(path);

	/* No file: the environment, or nothing. */
	setenv("MHAADM_SSH_PASSWORD", "from-env", 1);
	assert_int_equal(keys_password_read(NULL, &pw, &cause), 0);
	assert_string_equal(pw, "from-env");
	xfree_secret(pw);
	unsetenv("MHAADM_SSH_PASSWORD");
	assert_int_equal(keys_password_read(NULL, &pw, &cause), 0);
	assert_null(pw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_line),
	    cmocka_unit_test(t_is_ours),
	    cmocka_unit_test(t_update_keeps_foreign_lines),
	    cmocka_unit_test(t_fingerprint),
	    cmocka_unit_test(t_matrix_text),
	    cmocka_unit_test(t_matrix_json),
	    cmocka_unit_test(t_password_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
