/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for config.c: keys, defaults, FILE:LINE messages, quoting, comments, file modes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* A private directory for the files of the file tests. */
static char test_dir[] = "/tmp/mhaadm-test-config.XXXXXX";

static int
setup_dir(void **state)
{
	(void)state;
	return mkdtemp(test_dir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	return rmdir(test_dir);
}

/* Parses text that must be accepted. */
static struct config *
parse_ok(const char *text)
{
	struct config *cfg;
	char *cause = NULL;

	cfg = config_parse_string(text, "test.cnf", &cause);
	if (cfg == NULL)
		fail_msg("refused: %s", cause);
	assert_null(cause);
	return cfg;
}

/* Parses text that must be refused with exactly the message want. */
static void
parse_bad(const char *text, const char *want)
{
	struct config *cfg;
	char *cause = NULL;

	cfg = config_parse_string(text, "test.cnf", &cause);
	assert_null(cfg);
	assert_non_null(cause);
	if (strcmp(cause, want) != 0)
		fail_msg("message \"%s\", wanted \"%s\"", cause, want);
	free(cause);
}

/* Parses text that must be refused with a message starting with prefix. */
static void
parse_bad_prefix(const char *text, const char *prefix)
{
	struct config *cfg;
	char *cause = NULL;

	cfg = config_parse_string(text, "test.cnf", &cause);
	assert_null(cfg);
	assert_non_null(cause);
	if (strncmp(cause, prefix, strlen(prefix)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", cause, prefix);
	free(cause);
}

static void
test_every_key(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("ha_user = mha\n"
	               "ha_password = mhapass\n"
	               "repl_user = repl\n"
	               "repl_password = replpass\n"
	               "ssh_user = dba\n"
	               "mysql_user = mgmt\n"
	               "mysql_password = mgmtpass\n"
	               "mysql_host = mgmt.example.com\n"
	               "mysql_port = 3307\n"
	               "registry = mysql\n"
	               "registry_path = /srv/mhaadm/reg.db\n"
	               "mysql_database = mhaadm_prod\n"
	               "workdir = /srv/mhaadm\n"
	               "log_dir = /srv/log/mhaadm\n"
	               "vip_iface = br-lab\n"
	               "vip_prefix = 16\n"
	               "node_port = 3310\n"
	               "connect_timeout = 10\n"
	               "read_timeout = 600\n");
	assert_string_equal(cfg->path, "test.cnf");
	assert_string_equal(cfg->ha_user, "mha");
	assert_string_equal(cfg->ha_password, "mhapass");
	assert_string_equal(cfg->repl_user, "repl");
	assert_string_equal(cfg->repl_password, "replpass");
	assert_string_equal(cfg->ssh_user, "dba");
	assert_string_equal(cfg->mysql_user, "mgmt");
	assert_string_equal(cfg->mysql_password, "mgmtpass");
	assert_string_equal(cfg->mysql_host, "mgmt.example.com");
	assert_int_equal(cfg->mysql_port, 3307);
	assert_int_equal(cfg->registry, CONFIG_REGISTRY_MYSQL);
	assert_string_equal(cfg->registry_path, "/srv/mhaadm/reg.db");
	assert_string_equal(cfg->mysql_database, "mhaadm_prod");
	assert_string_equal(cfg->workdir, "/srv/mhaadm");
	assert_string_equal(cfg->log_dir, "/srv/log/mhaadm");
	assert_string_equal(cfg->vip_iface, "br-lab");
	assert_int_equal(cfg->vip_prefix, 16);
	assert_int_equal(cfg->node_port, 3310);
	assert_int_equal(cfg->connect_timeout, 10);
	assert_int_equal(cfg->read_timeout, 600);
	config_free(cfg);
}

/* Manager HA's keys: defaults (the host name, 10 s), values, refusals. */
static void
test_manager_ha_keys(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("ha_user = mha\n");
	assert_non_null(cfg->manager_name);
	assert_true(strlen(cfg->manager_name) > 0);
	assert_null(strchr(cfg->manager_name, '.')); /* the host name up to its first dot */
	assert_int_equal(cfg->lease_seconds, 10);
	config_free(cfg);
	cfg = parse_ok("ha_user = mha\nmanager_name = mgr-a.dc1\nlease_seconds = 30\n");
	assert_string_equal(cfg->manager_name, "mgr-a.dc1");
	assert_int_equal(cfg->lease_seconds, 30);
	config_free(cfg);
	parse_bad_prefix("lease_seconds = 2\n", "test.cnf:1: lease_seconds");
	parse_bad_prefix("lease_seconds = 3601\n", "test.cnf:1: lease_seconds");
	parse_bad_prefix("manager_name = a b\n", "test.cnf:1: manager_name");
	parse_bad_prefix("manager_name = x';DROP\n", "test.cnf:1: manager_name");
}

static void
test_defaults(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("ha_user = mha\n");
	assert_string_equal(cfg->ha_user, "mha");
	/* Passwords are never NULL; other strings without a default are. */
	assert_string_equal(cfg->ha_password, "");
	assert_string_equal(cfg->repl_password, "");
	assert_string_equal(cfg->mysql_password, "");
	assert_null(cfg->repl_user);
	assert_null(cfg->mysql_user);
	assert_null(cfg->mysql_host);
	assert_string_equal(cfg->ssh_user, "root");
	assert_int_equal(cfg->mysql_port, 3306);
	assert_int_equal(cfg->registry, CONFIG_REGISTRY_SQLITE);
	assert_string_equal(cfg->registry_path, "/var/lib/mhaadm/registry.db");
	assert_string_equal(cfg->mysql_database, "mhaadm");
	assert_string_equal(cfg->workdir, "/var/lib/mhaadm");
	assert_string_equal(cfg->log_dir, "/var/log/mhaadm");
	assert_string_equal(cfg->vip_iface, "eth0");
	assert_int_equal(cfg->vip_prefix, 24);
	assert_int_equal(cfg->node_port, 3306);
	assert_int_equal(cfg->connect_timeout, 3);
	assert_int_equal(cfg->read_timeout, 5);
	config_free(cfg);

	/* An empty value for a key without a default leaves it unset. */
	cfg = parse_ok("ha_user = mha\nrepl_user =\nmysql_host =\nha_password =\n");
	assert_null(cfg->repl_user);
	assert_null(cfg->mysql_host);
	assert_string_equal(cfg->ha_password, "");
	config_free(cfg);

	/* A key with a default refuses an empty value. */
	parse_bad("ha_user = mha\nssh_user =\n",
	    "test.cnf:2: ssh_user: the value is empty; remove the line to use the default");
	parse_bad_prefix("ha_user = mha\nvip_prefix = \"\"\n", "test.cnf:2: vip_prefix:");

	config_free(NULL);
}

static void
test_sections(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("[mhaadm]\nha_user = mha\n");
	assert_string_equal(cfg->ha_user, "mha");
	config_free(cfg);

	cfg = parse_ok("[mha]\nha_user = mha\n");
	config_free(cfg);

	cfg = parse_ok("ssh_user = dba\n[mhaadm]\nha_user = mha\n[mha]\nrepl_user = r\n");
	assert_string_equal(cfg->ssh_user, "dba");
	assert_string_equal(cfg->repl_user, "r");
	config_free(cfg);

	parse_bad("ha_user = mha\n[client]\nuser = x\n",
	    "test.cnf:2: unknown section '[client]'; put the keys before any section or in "
	    "[mhaadm]");
	/* Also when the section has no keys at all. */
	parse_bad("ha_user = mha\n\n[client]\n",
	    "test.cnf:3: unknown section '[client]'; put the keys before any section or in "
	    "[mhaadm]");
	parse_bad_prefix("[MHAADM]\nha_user = mha\n", "test.cnf:1: unknown section '[MHAADM]'");
	parse_bad_prefix("ha_user = mha\n[mhaadm\n", "test.cnf:2: syntax error");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	parse_bad("ha_user = mha\n# a comment\nfoo = 1\n", "test.cnf:3: unknown key 'foo'");
	parse_bad(
	    "[mhaadm]\nha_user = mha\nmysql_pass = x\n", "test.cnf:3: unknown key 'mysql_pass'");
	/* Only the first error is reported. */
	parse_bad("ha_user = mha\nfoo = 1\nbar = 2\n", "test.cnf:2: unknown key 'foo'");
}

static void
test_key_case(void **state)
{
	struct config *cfg;

	(void)state;
	/* Key names are case-blind, as in the seed tool's Python configparser. */
	cfg = parse_ok("HA_USER = mha\nSsh_User = dba\n");
	assert_string_equal(cfg->ha_user, "mha");
	assert_string_equal(cfg->ssh_user, "dba");
	config_free(cfg);
}

static void
test_syntax_error(void **state)
{
	(void)state;
	parse_bad("ha_user = mha\njust words\n",
	    "test.cnf:2: syntax error: expected 'key = value', '[section]' or a comment");
	/* A syntax error before a bad key is the one reported. */
	parse_bad_prefix("ha_user = mha\njust words\nfoo = 1\n", "test.cnf:2: syntax error");
	/* A bad key before a syntax error is the one reported. */
	parse_bad("ha_user = mha\nfoo = 1\njust words\n", "test.cnf:2: unknown key 'foo'");
}

static void
test_bad_values(void **state)
{
	(void)state;
	parse_bad("ha_user = mha\nconnect_timeout = 3s\n",
	    "test.cnf:2: connect_timeout: invalid value '3s': use a whole number from 1 to 60");
	parse_bad_prefix("ha_user = mha\nconnect_timeout = 0\n", "test.cnf:2: connect_timeout:");
	parse_bad_prefix("ha_user = mha\nconnect_timeout = 61\n", "test.cnf:2: connect_timeout:");
	parse_bad_prefix("ha_user = mha\nconnect_timeout = -1\n", "test.cnf:2: connect_timeout:");
	parse_bad_prefix("ha_user = mha\nconnect_timeout = +5\n", "test.cnf:2: connect_timeout:");
	parse_bad_prefix("ha_user = mha\nconnect_timeout = 0x5\n", "test.cnf:2: connect_timeout:");
	parse_bad_prefix("ha_user = mha\nconnect_timeout = 99999999999999999999\n",
	    "test.cnf:2: connect_timeout:");
	parse_bad_prefix("ha_user = mha\nread_timeout = 601\n", "test.cnf:2: read_timeout:");
	parse_bad_prefix("ha_user = mha\nvip_prefix = 33\n", "test.cnf:2: vip_prefix:");
	parse_bad_prefix("ha_user = mha\nvip_prefix = 0\n", "test.cnf:2: vip_prefix:");

	parse_bad("ha_user = mha\n\nmysql_port = 3306x\n",
	    "test.cnf:3: mysql_port: invalid port '3306x': use a number from 1 to 65535");
	parse_bad_prefix("ha_user = mha\nnode_port = 0\n", "test.cnf:2: node_port: invalid port");
	parse_bad_prefix("ha_user = mha\nnode_port = 65536\n", "test.cnf:2: node_port:");

	parse_bad("ha_user = mha\nregistry = postgres\n",
	    "test.cnf:2: registry: invalid value 'postgres': use sqlite or mysql");
	parse_bad_prefix("ha_user = mha\nregistry = SQLite\n", "test.cnf:2: registry:");

	parse_bad_prefix("ha_user = mha\nmysql_host = db;drop\n",
	    "test.cnf:2: mysql_host: invalid host 'db;drop'");
	parse_bad_prefix("ha_user = mha\nvip_iface = eth0:1\n",
	    "test.cnf:2: vip_iface: invalid interface 'eth0:1'");
	parse_bad_prefix("ha_user = m ha\n", "test.cnf:1: ha_user: invalid account name 'm ha'");
	parse_bad_prefix("ha_user = mha'--\n", "test.cnf:1: ha_user: invalid account name");
	parse_bad_prefix("ha_user = mha\nmysql_database = mha-adm\n",
	    "test.cnf:2: mysql_database: invalid database name 'mha-adm'");
	parse_bad_prefix("ha_user = mha\nmysql_database = a;b\n", "test.cnf:2: mysql_database:");
}

static void
test_paths(void **state)
{
	struct config *cfg;

	(void)state;
	parse_bad("ha_user = mha\nworkdir = var/lib/mhaadm\n",
	    "test.cnf:2: workdir: invalid path 'var/lib/mhaadm': use an absolute path of "
	    "characters A-Z a-z 0-9 / _ . - + @ , :");
	parse_bad_prefix("ha_user = mha\nlog_dir = /var/log/m haadm\n", "test.cnf:2: log_dir:");
	parse_bad_prefix(
	    "ha_user = mha\nregistry_path = /tmp/$(id)\n", "test.cnf:2: registry_path:");
	parse_bad_prefix("ha_user = mha\nworkdir = ~/mhaadm\n", "test.cnf:2: workdir:");

	cfg = parse_ok("ha_user = mha\nworkdir = /srv/mha-adm_1.0/x+y@z,w:v\n");
	assert_string_equal(cfg->workdir, "/srv/mha-adm_1.0/x+y@z,w:v");
	config_free(cfg);
}

static void
test_required(void **state)
{
	struct config *cfg;

	(void)state;
	parse_bad("", "test.cnf: ha_user is not set; MHA's admin account is needed");
	parse_bad(
	    "ssh_user = root\n", "test.cnf: ha_user is not set; MHA's admin account is needed");
	parse_bad("ha_user =\n", "test.cnf: ha_user is not set; MHA's admin account is needed");

	parse_bad("ha_user = mha\nregistry = mysql\n",
	    "test.cnf:2: registry = mysql needs mysql_host and mysql_user (the management node)");
	parse_bad("ha_user = mha\nmysql_user = m\nregistry = mysql\n",
	    "test.cnf:3: registry = mysql needs mysql_host (the management node)");
	parse_bad("ha_user = mha\nregistry = mysql\nmysql_host = db\n",
	    "test.cnf:2: registry = mysql needs mysql_user (the management node)");
	cfg = parse_ok("ha_user = mha\nregistry = mysql\nmysql_host = db\nmysql_user = m\n");
	assert_int_equal(cfg->registry, CONFIG_REGISTRY_MYSQL);
	config_free(cfg);
}

static void
test_duplicate(void **state)
{
	(void)state;
	parse_bad("ha_user = mha\nssh_user = a\n\nssh_user = b\n",
	    "test.cnf:4: duplicate key 'ssh_user' (already set on line 2)");
	parse_bad("ha_user = mha\n[mha]\nHA_USER = mha\n",
	    "test.cnf:3: duplicate key 'ha_user' (already set on line 1)");
}

static void
test_quotes(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("ha_user = \"mha\"\n"
	               "ha_password = \"  sp ace \"\n"
	               "repl_password = \"\"\n"
	               "mysql_password = \"\"quoted\"\"\n"
	               "ssh_user=\"dba\"\n");
	assert_string_equal(cfg->ha_user, "mha");
	assert_string_equal(cfg->ha_password, "  sp ace ");
	assert_string_equal(cfg->repl_password, "");
	assert_string_equal(cfg->mysql_password, "\"quoted\"");
	assert_string_equal(cfg->ssh_user, "dba");
	config_free(cfg);

	/* A quote only at the end, or inside, is part of the value. */
	cfg = parse_ok("ha_user = mha\nha_password = ab\"c\"\n");
	assert_string_equal(cfg->ha_password, "ab\"c\"");
	config_free(cfg);

	/* An unterminated quote is refused, without quoting the password. */
	parse_bad("ha_user = mha\nha_password = \"s3cret\n",
	    "test.cnf:2: ha_password: the value starts with '\"' but does not end with one; "
	    "quote the whole value");
	parse_bad_prefix("ha_user = mha\nha_password = \"\n", "test.cnf:2: ha_password:");
}

/*
 * libinih as Debian builds it strips "value ;comment" down to "value" and
 * reads an indented line as the continuation of the key above. Neither
 * happens here: a value is the rest of its line, and only a line whose first
 * non-blank character is ';' or '#' is a comment.
 */
static void
test_comments(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("; comment\n"
	               "# comment\n"
	               "   ; indented comment\n"
	               "\t# indented comment\n"
	               "\n"
	               "ha_user = mha\n"
	               "ha_password = se;cr #et ; x\n"
	               "repl_password = a # b\n"
	               "  ssh_user = dba\n"
	               "mysql_password = p:w=d ;\n"
	               "\tvip_iface = eth1\n");
	assert_string_equal(cfg->ha_password, "se;cr #et ; x");
	assert_string_equal(cfg->repl_password, "a # b");
	assert_string_equal(cfg->ssh_user, "dba");
	assert_string_equal(cfg->mysql_password, "p:w=d ;");
	assert_string_equal(cfg->vip_iface, "eth1");
	config_free(cfg);

	/* An inline comment after a non-password value makes the value invalid. */
	parse_bad_prefix("ha_user = mha ; the admin\n",
	    "test.cnf:1: ha_user: invalid account name 'mha ; the admin'");
}

static void
test_separators(void **state)
{
	struct config *cfg;

	(void)state;
	/* "key: value" is accepted as configparser does; the first '=' or ':' splits. */
	cfg = parse_ok("ha_user: mha\nha_password=a=b:c\nrepl_password : x:y\n");
	assert_string_equal(cfg->ha_user, "mha");
	assert_string_equal(cfg->ha_password, "a=b:c");
	assert_string_equal(cfg->repl_password, "x:y");
	config_free(cfg);
}

static void
test_line_endings(void **state)
{
	struct config *cfg;

	(void)state;
	cfg =
	    parse_ok("\xef\xbb\xbfha_user = mha\r\nha_password = pw \r\n[mhaadm]\r\nssh_user = x");
	assert_string_equal(cfg->ha_user, "mha");
	assert_string_equal(cfg->ha_password, "pw");
	assert_string_equal(cfg->ssh_user, "x");
	config_free(cfg);

	parse_bad("ha_user = mha\r\nfoo = 1\r\n", "test.cnf:2: unknown key 'foo'");
}

/* Lines longer than inih's 200-byte buffer keep their whole value and count once. */
static void
test_long_lines(void **state)
{
	struct config *cfg;
	char path[401], pw[601], *text = NULL;

	(void)state;
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	memset(pw, 'w', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	assert_true(asprintf(&text,
	                "ha_user = mha\nregistry_path = %s\nha_password = %s\n"
	                "foo = 1\n",
	                path, pw) > 0);
	parse_bad(text, "test.cnf:4: unknown key 'foo'");
	text[strlen(text) - strlen("foo = 1\n")] = '\0';
	cfg = parse_ok(text);
	assert_string_equal(cfg->registry_path, path);
	assert_string_equal(cfg->ha_password, pw);
	config_free(cfg);
	free(text);
}

static void
test_secret_not_echoed(void **state)
{
	struct config *cfg;
	char *cause = NULL;

	(void)state;
	cfg = config_parse_string("ha_user = mha\nha_password = s3cr\x01t\n", "test.cnf", &cause);
	assert_null(cfg);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "test.cnf:2: ha_password:"));
	assert_null(strstr(cause, "s3cr"));
	free(cause);

	/* Even a garbage name is echoed short and printable. */
	cause = NULL;
	cfg = config_parse_string("ha_user = mha\n\x1b[31mfoo = 1\n", "test.cnf", &cause);
	assert_null(cfg);
	assert_null(strchr(cause, '\x1b'));
	free(cause);
}

/* Writes a file in the test directory with the given mode; returns its path. */
static char *
write_file(const char *name, const char *text, mode_t mode)
{
	char *path = NULL;
	int fd;

	assert_true(asprintf(&path, "%s/%s", test_dir, name) > 0);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Loads a file that must be accepted, then removes it. */
static void
load_ok(const char *text, mode_t mode)
{
	struct config *cfg;
	char *path, *cause = NULL;

	path = write_file("ok.cnf", text, mode);
	cfg = config_load(path, &cause);
	if (cfg == NULL)
		fail_msg("refused: %s", cause);
	assert_string_equal(cfg->path, path);
	config_free(cfg);
	unlink(path);
	free(path);
}

/* Returns a copy of tmpl with every "FILE" replaced by path. */
static char *
subst_file(const char *tmpl, const char *path)
{
	char *out, *o;
	const char *t;

	out = malloc(strlen(tmpl) * (strlen(path) + 1) + 1);
	assert_non_null(out);
	for (o = out, t = tmpl; *t != '\0';) {
		if (strncmp(t, "FILE", 4) == 0) {
			o = stpcpy(o, path);
			t += 4;
		} else
			*o++ = *t++;
	}
	*o = '\0';
	return out;
}

/* Loads a file that must be refused with want (FILE is the path), then removes it. */
static void
load_bad(const char *text, mode_t mode, const char *want_tmpl)
{
	struct config *cfg;
	char *path, *want, *cause = NULL;

	path = write_file("bad.cnf", text, mode);
	cfg = config_load(path, &cause);
	assert_null(cfg);
	assert_non_null(cause);
	want = subst_file(want_tmpl, path);
	if (strcmp(cause, want) != 0)
		fail_msg("message \"%s\", wanted \"%s\"", cause, want);
	free(want);
	free(cause);
	unlink(path);
	free(path);
}

static void
test_file_mode(void **state)
{
	const char *with_pw = "ha_user = mha\nha_password = pw\n";

	(void)state;
	load_ok(with_pw, 0600);
	load_ok(with_pw, 0400);
	load_ok("ha_user = mha\n", 0644);
	load_ok("ha_user = mha\nha_password =\nrepl_password = \"\"\n", 0644);

	load_bad(with_pw, 0644,
	    "config FILE is readable by group or others (mode 0644) and holds passwords; fix: "
	    "chmod 600 FILE");
	load_bad(with_pw, 0640,
	    "config FILE is readable by group or others (mode 0640) and holds passwords; fix: "
	    "chmod 600 FILE");
	load_bad("ha_user = mha\nrepl_password = x\n", 0604,
	    "config FILE is readable by group or others (mode 0604) and holds passwords; fix: "
	    "chmod 600 FILE");
	load_bad("ha_user = mha\nmysql_password = x\n", 0620,
	    "config FILE is writable by group or others (mode 0620) and holds passwords; fix: "
	    "chmod 600 FILE");
	/* Anyone could rewrite it: refused even without passwords. */
	load_bad("ha_user = mha\n", 0666,
	    "config FILE is writable by anyone (mode 0666); fix: chmod 600 FILE");

	/* Parse errors come with the file's name and line. */
	load_bad("ha_user = mha\nfoo = 1\n", 0600, "FILE:2: unknown key 'foo'");
}

/* Only root can give a file away, so this runs only as root. */
static void
test_file_owner(void **state)
{
	struct config *cfg;
	char *path, *cause = NULL;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	path = write_file("owner.cnf", "ha_user = mha\n", 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	cfg = config_load(path, &cause);
	assert_null(cfg);
	assert_non_null(strstr(cause, "is owned by uid 65534, not by root; fix: chown root "));
	free(cause);
	unlink(path);
	free(path);
}

static void
test_missing_file(void **state)
{
	struct config *cfg;
	char *path = NULL, *want = NULL, *cause = NULL;

	(void)state;
	assert_true(asprintf(&path, "%s/nonexistent.cnf", test_dir) > 0);
	cfg = config_load(path, &cause);
	assert_null(cfg);
	assert_true(asprintf(&want,
	                "cannot read config %s: No such file or directory (create it "
	                "from etc/mhaadm.cnf.example or pass -c FILE)",
	                path) > 0);
	assert_string_equal(cause, want);
	free(cause);
	free(want);
	free(path);

	/* A directory is not a config file. */
	cause = NULL;
	cfg = config_load(test_dir, &cause);
	assert_null(cfg);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
}

static void
test_path_choose(void **state)
{
	(void)state;
	unsetenv("MHAADM_CONFIG");
	assert_string_equal(config_path_choose(NULL), CONFIG_DEFAULT_PATH);
	assert_string_equal(config_path_choose("/x/explicit.cnf"), "/x/explicit.cnf");

	setenv("MHAADM_CONFIG", "/x/env.cnf", 1);
	assert_string_equal(config_path_choose(NULL), "/x/env.cnf");
	assert_string_equal(config_path_choose("/x/explicit.cnf"), "/x/explicit.cnf");

	/* An empty variable counts as unset. */
	setenv("MHAADM_CONFIG", "", 1);
	assert_string_equal(config_path_choose(NULL), CONFIG_DEFAULT_PATH);
	unsetenv("MHAADM_CONFIG");
}

/*
 * Reads etc/mhaadm.cnf.example, found from this source file's path; NULL
 * if it cannot be found from where the test runs.
 */
static char *
read_example(void)
{
	char *path = NULL, *text = NULL;
	FILE *f;
	long size;

	/* The source root comes from meson, so the test finds the file from any directory. */
	assert_true(asprintf(&path, "%s/etc/mhaadm.cnf.example", MHAADM_SOURCE_ROOT) > 0);

	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return text;
}

/*
 * The example parses as shipped, and with every "#key = value" line
 * uncommented it still parses and yields exactly the defaults it documents.
 */
static void
test_example(void **state)
{
	struct config *cfg, *def;
	char *text, *line;
	size_t uncommented = 0;

	(void)state;
	text = read_example();
	assert_non_null(text);
	cfg = parse_ok(text);
	assert_string_equal(cfg->ha_user, "mha");
	config_free(cfg);

	for (line = text; line != NULL; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z') {
			line[0] = ' ';
			uncommented++;
		}
	}
	/*
	 * every key but ha_user and the keys that have no fixed default (the
	 * http_* examples, self_fence_manager/_bin, manager_name: in prose)
	 */
	assert_int_equal(uncommented, 46);
	cfg = parse_ok(text);
	def = parse_ok("ha_user = mha\n");
	assert_null(cfg->repl_user);
	assert_null(cfg->mysql_user);
	assert_null(cfg->mysql_host);
	assert_string_equal(cfg->ha_password, def->ha_password);
	assert_string_equal(cfg->repl_password, def->repl_password);
	assert_string_equal(cfg->mysql_password, def->mysql_password);
	assert_string_equal(cfg->ssh_user, def->ssh_user);
	assert_int_equal(cfg->mysql_port, def->mysql_port);
	assert_int_equal(cfg->registry, def->registry);
	assert_string_equal(cfg->registry_path, def->registry_path);
	assert_string_equal(cfg->mysql_database, def->mysql_database);
	assert_string_equal(cfg->workdir, def->workdir);
	assert_string_equal(cfg->log_dir, def->log_dir);
	assert_string_equal(cfg->vip_iface, def->vip_iface);
	assert_int_equal(cfg->vip_prefix, def->vip_prefix);
	assert_int_equal(cfg->node_port, def->node_port);
	assert_int_equal(cfg->connect_timeout, def->connect_timeout);
	assert_int_equal(cfg->read_timeout, def->read_timeout);
	assert_string_equal(cfg->ssh_key, def->ssh_key);
	assert_string_equal(cfg->ssh_known_hosts, def->ssh_known_hosts);
	assert_int_equal(cfg->ssh_port, def->ssh_port);
	assert_int_equal(cfg->ssh_timeout, def->ssh_timeout);
	assert_int_equal(cfg->mha_ping_interval, def->mha_ping_interval);
	assert_string_equal(cfg->mha_remote_workdir, def->mha_remote_workdir);
	assert_int_equal(cfg->failover_window, def->failover_window);
	assert_int_equal(cfg->salvage_timeout, def->salvage_timeout);
	assert_int_equal(cfg->ssh_keep_sessions, def->ssh_keep_sessions);
	assert_int_equal(cfg->storm_max_failovers, def->storm_max_failovers);
	assert_int_equal(cfg->storm_window, def->storm_window);
	assert_int_equal(cfg->self_fence, def->self_fence);
	assert_int_equal(cfg->self_fence_seconds, def->self_fence_seconds);
	assert_string_equal(cfg->engine, def->engine);
	assert_int_equal(cfg->garp_count, def->garp_count);
	assert_int_equal(cfg->garp_interval_ms, def->garp_interval_ms);
	assert_int_equal(cfg->auto_rejoin, def->auto_rejoin);
	assert_int_equal(cfg->manager_ha, def->manager_ha);
	assert_int_equal(cfg->lease_seconds, def->lease_seconds);
	config_free(def);
	config_free(cfg);
	free(text);
}

/* The isolation guard: top-level defaults, [cluster "NAME"] overrides, refusals. */
static void
test_guard_keys(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("ha_user = mha\n");
	assert_int_equal(cfg->isolation_guard, CONFIG_GUARD_AUTO);
	assert_int_equal(config_cluster_fallback(cfg, "orders"), 0);
	config_free(cfg);
	cfg = parse_ok("ha_user = mha\nisolation_guard = off\nsemisync_fallback_seconds = 5\n"
	               "[cluster \"orders\"]\nisolation_guard = semisync\n"
	               "[cluster \"billing\"]\nsemisync_fallback_seconds = 30\n");
	assert_int_equal(config_cluster_guard(cfg, "orders"), CONFIG_GUARD_SEMISYNC);
	assert_int_equal(config_cluster_fallback(cfg, "orders"), 5);
	assert_int_equal(config_cluster_guard(cfg, "billing"), CONFIG_GUARD_OFF);
	assert_int_equal(config_cluster_fallback(cfg, "billing"), 30);
	assert_int_equal(config_cluster_guard(cfg, "other"), CONFIG_GUARD_OFF);
	config_free(cfg);
	parse_bad("ha_user = mha\nisolation_guard = self-fence\n",
	    "test.cnf:2: isolation_guard: invalid value 'self-fence': use auto, semisync or off");
	parse_bad("ha_user = mha\n[cluster \"orders\"]\nmax_lag = 5\n",
	    "test.cnf:3: unknown key 'max_lag' in [cluster \"orders\"]: only isolation_guard, "
	    "semisync_fallback_seconds, auto_rejoin, self_fence and self_fence_seconds "
	    "belong there");
	parse_bad("ha_user = mha\n[cluster \"orders\"]\n[cluster \"orders\"]\n",
	    "test.cnf:3: duplicate section [cluster \"orders\"]");
	parse_bad("ha_user = mha\n[cluster \"orders\"]\nsemisync_fallback_seconds = -1\n",
	    "test.cnf:3: semisync_fallback_seconds: invalid value '-1': use a whole number from 0 "
	    "to 86400");
}

/* auto_rejoin: no by default, yes|no at the top and per cluster, anything else refused. */
static void
test_auto_rejoin(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("ha_user = mha\n");
	assert_int_equal(cfg->auto_rejoin, 0);
	assert_int_equal(config_cluster_auto_rejoin(cfg, "orders"), 0);
	config_free(cfg);
	cfg = parse_ok("ha_user = mha\nauto_rejoin = yes\n"
	               "[cluster \"orders\"]\nauto_rejoin = no\n"
	               "[cluster \"billing\"]\nisolation_guard = off\n");
	assert_int_equal(config_cluster_auto_rejoin(cfg, "orders"), 0);
	assert_int_equal(config_cluster_auto_rejoin(cfg, "billing"), 1);
	assert_int_equal(config_cluster_auto_rejoin(cfg, "other"), 1);
	config_free(cfg);
	cfg = parse_ok("ha_user = mha\n[cluster \"orders\"]\nauto_rejoin = yes\n");
	assert_int_equal(config_cluster_auto_rejoin(cfg, "orders"), 1);
	assert_int_equal(config_cluster_auto_rejoin(cfg, "billing"), 0);
	config_free(cfg);
	parse_bad("ha_user = mha\nauto_rejoin = 1\n",
	    "test.cnf:2: auto_rejoin: invalid value '1': use yes or no");
	parse_bad("ha_user = mha\n[cluster \"orders\"]\nauto_rejoin = maybe\n",
	    "test.cnf:3: auto_rejoin: invalid value 'maybe': use yes or no");
	parse_bad("ha_user = mha\n[cluster \"orders\"]\nauto_rejoin = yes\nauto_rejoin = no\n",
	    "test.cnf:4: duplicate key 'auto_rejoin' in [cluster \"orders\"]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_auto_rejoin),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_manager_ha_keys),
	    cmocka_unit_test(test_sections),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_key_case),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_required),
	    cmocka_unit_test(test_duplicate),
	    cmocka_unit_test(test_quotes),
	    cmocka_unit_test(test_comments),
	    cmocka_unit_test(test_separators),
	    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_secret_not_echoed),
	    cmocka_unit_test(test_file_mode),
	    cmocka_unit_test(test_file_owner),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_path_choose),
	    cmocka_unit_test(test_example),
	    cmocka_unit_test(test_guard_keys),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
