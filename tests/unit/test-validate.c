/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for validate.c: what is accepted, what is refused and what the message says. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* Asserts that a refusal happened and that its message contains each needle. */
static void
refused(int rc, char **causep, const char *needle1, const char *needle2)
{
	char *cause = *causep;

	*causep = NULL;
	assert_int_equal(rc, -1);
	assert_non_null(cause);
	if (needle1 != NULL && strstr(cause, needle1) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", cause, needle1);
	if (needle2 != NULL && strstr(cause, needle2) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", cause, needle2);
	free(cause);
}

static void
name_ok(const char *name)
{
	char *cause = NULL;

	if (validate_cluster_name(name, &cause) != 0)
		fail_msg("'%s' refused: %s", name, cause);
	assert_null(cause);
}

static void
name_bad(const char *name)
{
	char *cause = NULL;

	refused(validate_cluster_name(name, &cause), &cause, "invalid cluster name",
	    "use 1-64 characters from A-Z a-z 0-9 _ . - starting with a letter or digit");
}

static void
test_cluster_name(void **state)
{
	char long_name[VALIDATE_NAME_MAX + 2];

	(void)state;
	name_ok("orders");
	name_ok("a");
	name_ok("0rders-eu_1.prod");
	name_ok("ORDERS");

	name_bad("");
	name_bad("-orders");
	name_bad(".orders");
	name_bad("_orders");
	name_bad("a b");
	name_bad("a/b");
	name_bad("a'b");
	name_bad("a\"b");
	name_bad("a`b");
	name_bad("a$b");
	name_bad("a\nb");
	name_bad("orders\xc3\xa9");

	memset(long_name, 'a', VALIDATE_NAME_MAX);
	long_name[VALIDATE_NAME_MAX] = '\0';
	name_ok(long_name);
	long_name[VALIDATE_NAME_MAX] = 'a';
	long_name[VALIDATE_NAME_MAX + 1] = '\0';
	name_bad(long_name);
}

static void
test_cluster_name_message(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(validate_cluster_name("a;b", &cause), -1);
	assert_string_equal(cause, "invalid cluster name 'a;b': use 1-64 characters from "
	                           "A-Z a-z 0-9 _ . - starting with a letter or digit");
	free(cause);
}

/* An enormous value is refused with its length and echoed only in part. */
static void
test_long_value_not_echoed(void **state)
{
	char *big, *cause = NULL;
	size_t n = 10000;

	(void)state;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';

	assert_int_equal(validate_cluster_name(big, &cause), -1);
	assert_non_null(strstr(cause, "(10000 characters)"));
	assert_non_null(strstr(cause, "...'"));
	assert_true(strlen(cause) < 300);
	free(cause);

	cause = NULL;
	assert_int_equal(validate_host(big, &cause), -1);
	assert_non_null(strstr(cause, "(10000 characters)"));
	assert_true(strlen(cause) < 400);
	free(cause);

	cause = NULL;
	assert_int_equal(validate_iface(big, &cause), -1);
	assert_non_null(strstr(cause, "(10000 characters)"));
	assert_true(strlen(cause) < 300);
	free(cause);

	cause = NULL;
	assert_int_equal(validate_port(big, &(int){0}, &cause), -1);
	assert_true(strlen(cause) < 300);
	free(cause);
	free(big);
}

/* Control characters never reach the terminal through a message. */
static void
test_message_escapes(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(validate_cluster_name("a\x1b[2Jb", &cause), -1);
	assert_null(strchr(cause, '\x1b'));
	assert_non_null(strstr(cause, "a\\x1b[2Jb"));
	free(cause);
}

static void
host_ok(const char *host)
{
	char *cause = NULL;

	if (validate_host(host, &cause) != 0)
		fail_msg("'%s' refused: %s", host, cause);
}

static void
host_bad(const char *host, const char *needle)
{
	char *cause = NULL;

	refused(validate_host(host, &cause), &cause, "invalid host", needle);
}

static void
test_host(void **state)
{
	char label[70], name[300];
	size_t i;

	(void)state;
	host_ok("db1");
	host_ok("db-1.example.com");
	host_ok("DB1.Example.COM");
	host_ok("10.77.0.11");
	host_ok("0.0.0.0");
	host_ok("1db");
	host_ok("a.1b.c");

	host_bad("", "RFC 1123");
	host_bad("db 1", "RFC 1123");
	host_bad("db;1", NULL);
	host_bad("db'1", NULL);
	host_bad("db\"1", NULL);
	host_bad("db$(id)", NULL);
	host_bad("db|x", NULL);
	host_bad("db_1", NULL);
	host_bad("db/1", NULL);
	host_bad("-db", "'-'");
	host_bad("db-", "'-'");
	host_bad("db.-x.com", "'-'");
	host_bad("db..com", NULL);
	host_bad(".db", NULL);
	host_bad("db.", NULL);
	host_bad("10.0.0.256", "IPv4");
	host_bad("10.0.0", "IPv4");
	host_bad("010.0.0.1", "IPv4");
	host_bad("12345", "IPv4");
	host_bad("::1", "IPv6");
	host_bad("db:3306", "IPv6");

	/* Labels of 63 characters are fine, 64 are not. */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.com", label);
	host_ok(name);
	label[63] = 'a';
	label[64] = '\0';
	snprintf(name, sizeof(name), "%s.com", label);
	host_bad(name, "64 characters");

	/* 253 characters in all are fine, 254 are not. */
	for (i = 0; i < 253; i++)
		name[i] = (i % 2 == 0) ? 'a' : '.';
	name[252] = 'a';
	name[253] = '\0';
	host_ok(name);
	name[253] = '.';
	name[254] = 'a';
	name[255] = '\0';
	host_bad(name, "(255 characters)");
}

static void
test_iface(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(validate_iface("eth0", &cause), 0);
	assert_int_equal(validate_iface("br-lab.100", &cause), 0);
	assert_int_equal(validate_iface("veth_h1", &cause), 0);
	assert_int_equal(validate_iface("abcdefghijklmno", &cause), 0);
	assert_null(cause);

	refused(validate_iface("", &cause), &cause, "invalid interface ''", "1-15 characters");
	refused(validate_iface("abcdefghijklmnop", &cause), &cause, "(16 characters)", NULL);
	refused(validate_iface("eth0:1", &cause), &cause, "'eth0:1'", NULL);
	refused(validate_iface("eth 0", &cause), &cause, NULL, NULL);
	refused(validate_iface("eth0;ls", &cause), &cause, NULL, NULL);
	refused(validate_iface("..", &cause), &cause, NULL, NULL);
	refused(validate_iface("a/b", &cause), &cause, NULL, NULL);
}

static void
test_port(void **state)
{
	const char *bad[] = {"", "0", "65536", "3306x", "x3306", " 3306", "3306 ", "+3306", "-1",
	    "99999999999999999999", "0x10", "33.06", NULL};
	char *cause = NULL;
	int port = -1, i;

	(void)state;
	assert_int_equal(validate_port("3306", &port, &cause), 0);
	assert_int_equal(port, 3306);
	assert_int_equal(validate_port("1", &port, &cause), 0);
	assert_int_equal(port, 1);
	assert_int_equal(validate_port("65535", &port, &cause), 0);
	assert_int_equal(port, 65535);
	assert_null(cause);

	for (i = 0; bad[i] != NULL; i++) {
		port = -7;
		refused(validate_port(bad[i], &port, &cause), &cause, "invalid port",
		    "use a number from 1 to 65535");
		assert_int_equal(port, -7); /* untouched on failure */
	}
	cause = NULL;
	assert_int_equal(validate_port("3306x", &port, &cause), -1);
	assert_string_equal(cause, "invalid port '3306x': use a number from 1 to 65535");
	free(cause);
}

static void
hostport_ok(const char *s, const char *want_host, int want_port)
{
	char *host = NULL, *cause = NULL;
	int port = 0;

	if (validate_parse_hostport(s, 3306, &host, &port, &cause) != 0)
		fail_msg("'%s' refused: %s", s, cause);
	assert_string_equal(host, want_host);
	assert_int_equal(port, want_port);
	free(host);
}

static void
hostport_bad(const char *s, const char *needle)
{
	char *host = NULL, *cause = NULL;
	int port = -7;

	refused(validate_parse_hostport(s, 3306, &host, &port, &cause), &cause, needle, NULL);
	assert_null(host);
	assert_int_equal(port, -7);
}

static void
test_hostport(void **state)
{
	(void)state;
	hostport_ok("db1", "db1", 3306);
	hostport_ok("db1:3307", "db1", 3307);
	hostport_ok("DB1.Example.com:1", "db1.example.com", 1);
	hostport_ok("10.77.0.11:65535", "10.77.0.11", 65535);

	hostport_bad("", "HOST:PORT");
	hostport_bad("db1:", "port after ':' is missing");
	hostport_bad(":3306", "host before ':' is missing");
	hostport_bad("a:b:c", "IPv6");
	hostport_bad("[::1]:3306", "IPv6");
	hostport_bad("db1:0", "invalid port in 'db1:0': use a number from 1 to 65535 after ':'");
	hostport_bad("db1:65536", "invalid port in 'db1:65536'");
	hostport_bad("db1:3306x", "invalid port in 'db1:3306x'");
	hostport_bad("db 1:3306", "invalid host 'db 1'");
	hostport_bad("db;1", "invalid host");
}

static void
vip_ok(const char *s, const char *want_addr, int want_prefix)
{
	char *addr = NULL, *cause = NULL;
	int prefix = 0;

	if (validate_parse_vip(s, 24, &addr, &prefix, &cause) != 0)
		fail_msg("'%s' refused: %s", s, cause);
	assert_string_equal(addr, want_addr);
	assert_int_equal(prefix, want_prefix);
	free(addr);
}

static void
vip_bad(const char *s, const char *needle)
{
	char *addr = NULL, *cause = NULL;
	int prefix = -7;

	refused(validate_parse_vip(s, 24, &addr, &prefix, &cause), &cause, "invalid VIP", needle);
	assert_null(addr);
	assert_int_equal(prefix, -7);
}

static void
test_vip(void **state)
{
	char *addr = NULL, *cause = NULL;
	int prefix = 0;

	(void)state;
	vip_ok("10.77.0.100", "10.77.0.100", 24);
	vip_ok("10.77.0.100/24", "10.77.0.100", 24);
	vip_ok("10.77.0.100/16", "10.77.0.100", 16);
	vip_ok("10.77.1.0/16", "10.77.1.0", 16); /* a host address in a /16 */
	vip_ok("10.77.0.1/30", "10.77.0.1", 30);
	vip_ok("10.77.0.0/31", "10.77.0.0", 31);
	vip_ok("10.77.0.1/31", "10.77.0.1", 31);
	vip_ok("10.77.0.255/32", "10.77.0.255", 32);
	vip_ok("192.168.1.7/1", "192.168.1.7", 1);

	vip_bad("", "A.B.C.D");
	vip_bad("10.77.0", "A.B.C.D");
	vip_bad("10.77.0.256", "A.B.C.D");
	vip_bad("db1", "A.B.C.D");
	vip_bad("10.77.0.100/", "prefix");
	vip_bad("10.77.0.100/0", "prefix");
	vip_bad("10.77.0.100/33", "prefix");
	vip_bad("10.77.0.100/24x", "prefix");
	vip_bad("10.77.0.100/-1", "prefix");
	vip_bad("10.77.0.100/024", "prefix");
	vip_bad("/24", "A.B.C.D");
	vip_bad("fe80::1", "IPv6");
	vip_bad("0.0.0.0", "0.0.0.0/8");
	vip_bad("0.1.2.3/8", "0.0.0.0/8");
	vip_bad("127.0.0.1", "loopback");
	vip_bad("127.5.5.5/8", "loopback");
	vip_bad("224.0.0.1", "multicast");
	vip_bad("239.1.1.1/32", "multicast");
	vip_bad("240.0.0.1", "reserved");
	vip_bad("255.255.255.255", "broadcast");
	vip_bad("10.77.0.0", "network address of 10.77.0.0/24");
	vip_bad("10.77.0.255", "broadcast address of 10.77.0.0/24");
	vip_bad("10.77.0.0/24", "network address");
	vip_bad("10.77.255.255/16", "broadcast address of 10.77.0.0/16");
	vip_bad("10.77.0.3/30", "broadcast address of 10.77.0.0/30");
	vip_bad("10.77.0.4/30", "network address of 10.77.0.4/30");

	/* The default prefix applies when none is given, and is checked too. */
	assert_int_equal(validate_parse_vip("10.77.0.100", 16, &addr, &prefix, &cause), 0);
	assert_int_equal(prefix, 16);
	free(addr);
	addr = NULL;
	refused(
	    validate_parse_vip("10.77.0.100", 0, &addr, &prefix, &cause), &cause, "prefix", NULL);
	assert_null(addr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cluster_name),
	    cmocka_unit_test(test_cluster_name_message),
	    cmocka_unit_test(test_long_value_not_echoed),
	    cmocka_unit_test(test_message_escapes),
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_iface),
	    cmocka_unit_test(test_port),
	    cmocka_unit_test(test_hostport),
	    cmocka_unit_test(test_vip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
