/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for doctor: the MHA Perl patches on the exact text of MHA 0.58
 * (and on what is not), run through perl when it is there; and the
 * decisions doctor makes from text (versions, bind_address, grants).
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
#include <sys/wait.h>
#include <unistd.h>

#include "doctor.h"
#include "spawn.h"
#include "xmalloc.h"

/* Lines 193-203 of /usr/share/perl5/MHA/NodeUtil.pm (mha4mysql-node 0.58-1.1), verbatim. */
#define NODEUTIL_STOCK                                                                             \
	"sub parse_mysql_version($) {\n"                                                           \
	"  my $str = shift;\n"                                                                     \
	"  my $result = sprintf( '%03d%03d%03d', $str =~ m/(\\d+)/g );\n"                          \
	"  return $result;\n"                                                                      \
	"}\n"                                                                                      \
	"\n"                                                                                       \
	"sub parse_mysql_major_version($) {\n"                                                     \
	"  my $str = shift;\n"                                                                     \
	"  my $result = sprintf( '%03d%03d', $str =~ m/(\\d+)/g );\n"                              \
	"  return $result;\n"                                                                      \
	"}\n"

#define NODEUTIL_PATCHED                                                                           \
	"sub parse_mysql_version($) {\n"                                                           \
	"  my $str = shift;\n"                                                                     \
	"  my $result = sprintf( '%03d%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 2 ] );"              \
	"    # mhaadm doctor: only the first 3 numbers\n"                                          \
	"  return $result;\n"                                                                      \
	"}\n"                                                                                      \
	"\n"                                                                                       \
	"sub parse_mysql_major_version($) {\n"                                                     \
	"  my $str = shift;\n"                                                                     \
	"  my $result = sprintf( '%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 1 ] );"                  \
	"    # mhaadm doctor: only the first 2 numbers\n"                                          \
	"  return $result;\n"                                                                      \
	"}\n"

/* Lines 230-251 of /usr/share/perl5/MHA/SlaveUtil.pm (mha4mysql-node 0.58-1.1), verbatim. */
#define SLAVEUTIL_HEAD                                                                             \
	"sub check_if_super_read_only {\n"                                                         \
	"  my $host = shift;\n"                                                                    \
	"  my $ip = shift;\n"                                                                      \
	"  my $port = shift;\n"                                                                    \
	"  my $user = shift;\n"                                                                    \
	"  my $pass = shift;\n"                                                                    \
	"  # create databasehandle to check super_read_only setting\n"                             \
	"  my $dsn_host = $ip =~ m{:} ? '[' . $ip . ']' : $ip;\n"                                  \
	"  my $dsn = \"DBI:mysql:;host=$dsn_host;port=$port\";\n"                                  \
	"  my $dbh =\n"                                                                            \
	"    DBI->connect( $dsn, $user, MHA::NodeUtil::unescape_for_shell($pass),\n"               \
	"    { PrintError => 0, RaiseError => 1 } );\n"                                            \
	"  croak \"Failed to get DB Handle to check super_read_only on "                           \
	"$host:$port!\\n\" unless ($dbh);\n"                                                       \
	"\n"

#define SLAVEUTIL_TAIL                                                                             \
	"    return (1, $dbh);\n"                                                                  \
	"  }\n"                                                                                    \
	"  return (0, 0);\n"                                                                       \
	"}\n"

#define SLAVEUTIL_STOCK                                                                            \
	SLAVEUTIL_HEAD                                                                             \
	"  my $sth = $dbh->prepare(\"SELECT \\@\\@global.super_read_only as Value\");\n"           \
	"  $sth->execute();\n"                                                                     \
	"  my $href = $sth->fetchrow_hashref;\n"                                                   \
	"  if ( $href->{Value} == '1' ) {\n" SLAVEUTIL_TAIL

#define SLAVEUTIL_PATCHED                                                                          \
	SLAVEUTIL_HEAD                                                                             \
	"  my $sth = $dbh->prepare(\"SHOW GLOBAL VARIABLES LIKE 'super_read_only'\");"             \
	"    # mhaadm doctor: no row on MariaDB\n"                                                 \
	"  $sth->execute();\n"                                                                     \
	"  my $href = $sth->fetchrow_hashref;\n"                                                   \
	"  if ( $href && $href->{Value} eq 'ON' ) {"                                               \
	"    # mhaadm doctor: a missing super_read_only is off\n" SLAVEUTIL_TAIL

/* ---- The patches on text ------------------------------------------------ */

static void
t_sprintf_stock_is_patched_exactly(void **state)
{
	const char *text = "package MHA::NodeUtil;\n\n" NODEUTIL_STOCK "\n1;\n";
	char *out = NULL, *cause = NULL, *detail = (char *)"x";

	(void)state;
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SPRINTF, text, &detail), DOCTOR_PATCH_NEEDED);
	assert_null(detail);
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SPRINTF, text, &out, &cause), 0);
	assert_null(cause);
	/* Only the two lines change; everything around them is kept byte for byte. */
	assert_string_equal(out, "package MHA::NodeUtil;\n\n" NODEUTIL_PATCHED "\n1;\n");
	free(out);
}

static void
t_sprintf_patched_is_left_alone(void **state)
{
	const char *text = NODEUTIL_PATCHED;
	char *out = (char *)"x", *cause = NULL, *twice = NULL;

	(void)state;
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SPRINTF, text, NULL), DOCTOR_PATCH_APPLIED);
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SPRINTF, text, &out, &cause), 1);
	assert_null(out);
	assert_null(cause);

	/* Patching the result of a patch changes nothing either. */
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SPRINTF, NODEUTIL_STOCK, &out, &cause), 0);
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SPRINTF, out, &twice, &cause), 1);
	assert_null(twice);
	free(out);
}

static void
t_sprintf_unknown_variant(void **state)
{
	/* The upstream fix of mha4mysql-node#35 style: a different text, not ours. */
	const char *upstream = "sub parse_mysql_version($) {\n"
	                       "  my $str = shift;\n"
	                       "  ($str) = $str =~ m/^[^-]*/g;\n"
	                       "  my $result = sprintf( '%03d%03d%03d', $str =~ m/(\\d+)/g );\n"
	                       "  return $result;\n"
	                       "}\n"
	                       "sub parse_mysql_major_version($) {\n"
	                       "  my $str = shift;\n"
	                       "  my @nums = $str =~ m/(\\d+)/g;\n"
	                       "  my $result = sprintf( '%03d%03d', @nums[0 .. 1] );\n"
	                       "  return $result;\n"
	                       "}\n";
	char *out = (char *)"x", *cause = NULL, *detail = NULL;

	(void)state;
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SPRINTF, upstream, &detail), DOCTOR_PATCH_UNKNOWN);
	assert_non_null(detail);
	assert_non_null(strstr(detail, "line not found"));
	free(detail);
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SPRINTF, upstream, &out, &cause), -1);
	assert_null(out);
	assert_non_null(strstr(cause, "cannot patch MHA::NodeUtil automatically"));
	free(cause);

	/* An empty file, and the other module's text, are unknown too. */
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SPRINTF, "", NULL), DOCTOR_PATCH_UNKNOWN);
	assert_int_equal(doctor_patch_classify(DOCTOR_PATCH_SPRINTF, SLAVEUTIL_STOCK, NULL),
	    DOCTOR_PATCH_UNKNOWN);
}

static void
t_sprintf_partial_and_duplicate(void **state)
{
	/* First line patched by us, second still stock (someone edited by hand). */
	const char *partial =
	    "  my $result = sprintf( '%03d%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 2 ] );"
	    "    # mhaadm doctor: only the first 3 numbers\n"
	    "  my $result = sprintf( '%03d%03d', $str =~ m/(\\d+)/g );\n";
	const char *twice = NODEUTIL_STOCK NODEUTIL_STOCK;
	/* A line that differs only in trailing blanks is not the stock line. */
	const char *blanks = "  my $result = sprintf( '%03d%03d%03d', $str =~ m/(\\d+)/g ); \n"
	                     "  my $result = sprintf( '%03d%03d', $str =~ m/(\\d+)/g );\n";
	char *out = NULL, *cause = NULL, *detail = NULL;

	(void)state;
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SPRINTF, partial, &detail), DOCTOR_PATCH_UNKNOWN);
	assert_string_equal(detail, "partly patched");
	free(detail);
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SPRINTF, partial, &out, &cause), -1);
	assert_null(out);
	free(cause);

	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SPRINTF, twice, &detail), DOCTOR_PATCH_UNKNOWN);
	assert_non_null(strstr(detail, "2 times"));
	free(detail);

	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SPRINTF, blanks, NULL), DOCTOR_PATCH_UNKNOWN);
}

static void
t_sprintf_no_final_newline(void **state)
{
	const char *text = "x\n  my $result = sprintf( '%03d%03d', $str =~ m/(\\d+)/g );\n"
	                   "  my $result = sprintf( '%03d%03d%03d', $str =~ m/(\\d+)/g );";
	char *out = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SPRINTF, text, &out, &cause), 0);
	assert_string_equal(out,
	    "x\n  my $result = sprintf( '%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 1 ] );"
	    "    # mhaadm doctor: only the first 2 numbers\n"
	    "  my $result = sprintf( '%03d%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 2 ] );"
	    "    # mhaadm doctor: only the first 3 numbers");
	free(out);
}

/* MHA::HealthCheck 0.58 secondary_check, as shipped: the password goes into argv and the log. */
#define HEALTHCHECK_STOCK                                                                          \
	"    . \" --master_user=$self->{user}\"\n"                                                 \
	"    . \" --master_password=$self->{password}\"\n"                                         \
	"    . \" --ping_type=$self->{ping_type}\";"

static void
t_secondary_password_stock_and_patched(void **state)
{
	const char *text = "package MHA::HealthCheck;\n" HEALTHCHECK_STOCK "\n1;\n";
	char *out = NULL, *again = (char *)"x", *cause = NULL;

	(void)state;
	assert_string_equal(
	    doctor_patch_module(DOCTOR_PATCH_SECONDARY_PASSWORD), "MHA::HealthCheck");
	assert_int_equal(doctor_patch_classify(DOCTOR_PATCH_SECONDARY_PASSWORD, text, NULL),
	    DOCTOR_PATCH_NEEDED);
	assert_int_equal(
	    doctor_patch_apply(DOCTOR_PATCH_SECONDARY_PASSWORD, text, &out, &cause), 0);
	assert_null(strstr(out, "master_password"));
	assert_non_null(strstr(out, "    . \"\"    # mhaadm doctor: no password"));
	assert_non_null(strstr(out, "--master_user=$self->{user}\"\n"));
	assert_int_equal(doctor_patch_classify(DOCTOR_PATCH_SECONDARY_PASSWORD, out, NULL),
	    DOCTOR_PATCH_APPLIED);
	assert_int_equal(
	    doctor_patch_apply(DOCTOR_PATCH_SECONDARY_PASSWORD, out, &again, &cause), 1);
	assert_null(again);
	free(out);
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SECONDARY_PASSWORD, NODEUTIL_STOCK, NULL),
	    DOCTOR_PATCH_UNKNOWN);
}

static void
t_super_read_only_stock_and_patched(void **state)
{
	const char *text = "package MHA::SlaveUtil;\n" SLAVEUTIL_STOCK "\n1;\n";
	char *out = NULL, *again = (char *)"x", *cause = NULL;

	(void)state;
	assert_string_equal(doctor_patch_module(DOCTOR_PATCH_SUPER_READ_ONLY), "MHA::SlaveUtil");
	assert_string_equal(doctor_patch_module(DOCTOR_PATCH_SPRINTF), "MHA::NodeUtil");
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SUPER_READ_ONLY, text, NULL), DOCTOR_PATCH_NEEDED);
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SUPER_READ_ONLY, text, &out, &cause), 0);
	assert_string_equal(out, "package MHA::SlaveUtil;\n" SLAVEUTIL_PATCHED "\n1;\n");
	assert_int_equal(
	    doctor_patch_classify(DOCTOR_PATCH_SUPER_READ_ONLY, out, NULL), DOCTOR_PATCH_APPLIED);
	assert_int_equal(doctor_patch_apply(DOCTOR_PATCH_SUPER_READ_ONLY, out, &again, &cause), 1);
	assert_null(again);
	free(out);

	/* The NodeUtil patch does not touch SlaveUtil and the other way round. */
	assert_int_equal(doctor_patch_classify(DOCTOR_PATCH_SUPER_READ_ONLY, NODEUTIL_STOCK, NULL),
	    DOCTOR_PATCH_UNKNOWN);
}

static void
t_super_read_only_unknown_variant(void **state)
{
	/* Someone's own fix with eval: not ours, so not touched. */
	const char *variant = SLAVEUTIL_HEAD
	    "  my $sth = $dbh->prepare(\"SELECT \\@\\@global.super_read_only as Value\");\n"
	    "  return (0, 0) unless eval { $sth->execute(); 1 };\n"
	    "  my $href = $sth->fetchrow_hashref;\n"
	    "  if ( $href->{Value} eq '1' ) {\n" SLAVEUTIL_TAIL;
	char *out = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(doctor_patch_classify(DOCTOR_PATCH_SUPER_READ_ONLY, variant, NULL),
	    DOCTOR_PATCH_UNKNOWN);
	assert_int_equal(
	    doctor_patch_apply(DOCTOR_PATCH_SUPER_READ_ONLY, variant, &out, &cause), -1);
	assert_null(out);
	assert_non_null(strstr(cause, "cannot patch MHA::SlaveUtil automatically"));
	free(cause);
}

/* ---- The patches through perl ------------------------------------------- */

/* 1 when a perl can be run here; the perl tests skip otherwise. */
static int
have_perl(void)
{
	const char *argv[] = {"perl", "-e", "exit 0", NULL};
	int status;
	char *cause = NULL;

	if (spawn_run(argv, NULL, 30, NULL, &status, &cause) != 0) {
		free(cause);
		return 0;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Runs program with perl; returns its exit code and its output in *out. */
static int
run_perl(const char *program, char **out)
{
	char path[] = "/tmp/mhaadm-test-doctor-XXXXXX";
	const char *argv[] = {"perl", path, NULL};
	char *cause = NULL;
	int fd, status;
	size_t len = strlen(program);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, program, len), (ssize_t)len);
	close(fd);
	assert_int_equal(spawn_run(argv, NULL, 30, out, &status, &cause), 0);
	unlink(path);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The two version parsers as MHA has them, under the same fatal warnings. */
#define PERL_NODEUTIL_PRELUDE "package MHA::NodeUtil;\nuse strict;\nuse warnings FATAL => 'all';\n"
#define PERL_NODEUTIL_CALL                                                                         \
	"package main;\n"                                                                          \
	"print MHA::NodeUtil::parse_mysql_version('10.11.19-MariaDB-0+deb12u1-log'), ' ',\n"       \
	"  MHA::NodeUtil::parse_mysql_major_version('8.0.36-log'), ' ',\n"                         \
	"  MHA::NodeUtil::parse_mysql_version('5.7.44'), \"\\n\";\n"

static void
t_perl_sprintf(void **state)
{
	char *out = NULL;

	(void)state;
	if (!have_perl())
		skip();
	/* The stock code dies: the defect is real on this perl. */
	assert_int_not_equal(
	    run_perl(PERL_NODEUTIL_PRELUDE NODEUTIL_STOCK PERL_NODEUTIL_CALL, &out), 0);
	assert_non_null(strstr(out, "Redundant argument in sprintf"));
	free(out);
	/* The patched code gives MHA's numbers. */
	assert_int_equal(
	    run_perl(PERL_NODEUTIL_PRELUDE NODEUTIL_PATCHED PERL_NODEUTIL_CALL, &out), 0);
	assert_string_equal(out, "010011019 008000 005007044\n");
	free(out);
}

/*
 * check_if_super_read_only against a fake DBI: a "MariaDB" that raises
 * "Unknown system variable" for @@global.super_read_only and has no such row
 * in SHOW VARIABLES, and a "MySQL" where it is ON.
 */
#define PERL_SLAVEUTIL_PRELUDE                                                                     \
	"package FakeSth;\n"                                                                       \
	"sub new { my ($c, $q, $srv) = @_; bless { q => $q, srv => $srv }, $c }\n"                 \
	"sub execute { my $s = shift;\n"                                                           \
	"  die \"DBD::mysql::st execute failed: Unknown system variable 'super_read_only'\\n\"\n"  \
	"    if $s->{srv} eq 'mariadb' && $s->{q} =~ /\\@\\@global\\.super_read_only/; 1 }\n"      \
	"sub fetchrow_hashref { my $s = shift;\n"                                                  \
	"  return undef if $s->{srv} eq 'mariadb';\n"                                              \
	"  return $s->{q} =~ /^SHOW/ ? { Variable_name => 'super_read_only', Value => 'ON' }\n"    \
	"                            : { Value => '1' } }\n"                                       \
	"package FakeDbh;\n"                                                                       \
	"sub prepare { my ($d, $q) = @_; FakeSth->new($q, $d->{srv}) }\n"                          \
	"package DBI;\n"                                                                           \
	"sub connect { bless { srv => $main::server }, 'FakeDbh' }\n"                              \
	"package MHA::NodeUtil;\n"                                                                 \
	"sub unescape_for_shell { $_[0] }\n"                                                       \
	"package MHA::SlaveUtil;\n"                                                                \
	"use strict;\n"                                                                            \
	"use warnings FATAL => 'all';\n"                                                           \
	"use Carp;\n"

#define PERL_SLAVEUTIL_CALL                                                                        \
	"package main;\n"                                                                          \
	"our $server;\n"                                                                           \
	"for $server ('mysql', 'mariadb') {\n"                                                     \
	"  my ($on, $dbh) = eval { MHA::SlaveUtil::check_if_super_read_only("                      \
	"'h', '10.0.0.1', 3306, 'u', 'p') };\n"                                                    \
	"  print \"$server:\", defined $on ? $on : 'died', \"\\n\";\n"                             \
	"}\n"

static void
t_perl_super_read_only(void **state)
{
	char *out = NULL;

	(void)state;
	if (!have_perl())
		skip();
	assert_int_equal(
	    run_perl(PERL_SLAVEUTIL_PRELUDE SLAVEUTIL_STOCK PERL_SLAVEUTIL_CALL, &out), 0);
	assert_string_equal(out, "mysql:1\nmariadb:died\n");
	free(out);
	assert_int_equal(
	    run_perl(PERL_SLAVEUTIL_PRELUDE SLAVEUTIL_PATCHED PERL_SLAVEUTIL_CALL, &out), 0);
	assert_string_equal(out, "mysql:1\nmariadb:0\n");
	free(out);
}

/* ---- Decisions from text ------------------------------------------------ */

static void
t_version_drivable(void **state)
{
	(void)state;
	assert_int_equal(doctor_version_drivable("10.11.19-MariaDB-0+deb12u1-log"), 1);
	assert_int_equal(doctor_version_drivable("11.4.2-MariaDB"), 1);
	assert_int_equal(doctor_version_drivable("5.7.44-log"), 1);
	assert_int_equal(doctor_version_drivable("8.0.36"), 1);
	assert_int_equal(doctor_version_drivable("8.4.0"), 0);
	assert_int_equal(doctor_version_drivable("8.4.3-commercial"), 0);
	assert_int_equal(doctor_version_drivable("9.1.0"), 0);
	assert_int_equal(doctor_version_drivable("garbage"), -1);
	assert_int_equal(doctor_version_drivable(NULL), -1);
}

static void
t_bind_address(void **state)
{
	(void)state;
	assert_true(doctor_bind_address_ok(NULL));
	assert_true(doctor_bind_address_ok(""));
	assert_true(doctor_bind_address_ok("0.0.0.0"));
	assert_true(doctor_bind_address_ok("*"));
	assert_true(doctor_bind_address_ok("::"));
	assert_true(doctor_bind_address_ok("127.0.0.1, 0.0.0.0"));
	assert_false(doctor_bind_address_ok("10.77.0.11"));
	assert_false(doctor_bind_address_ok("127.0.0.1"));
	assert_false(doctor_bind_address_ok("10.77.0.11,127.0.0.1"));
	assert_false(doctor_bind_address_ok("0.0.0.01"));
}

static void
t_grants(void **state)
{
	const char *all[] = {"GRANT ALL PRIVILEGES ON *.* TO `mha`@`10.77.0.%` IDENTIFIED BY "
	                     "PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567' WITH GRANT "
	                     "OPTION"};
	/* What MariaDB 10.11 shows for the classic MHA grant set. */
	const char *classic[] = {"GRANT RELOAD, PROCESS, SUPER, REPLICATION SLAVE, BINLOG "
	                         "MONITOR ON *.* TO `dtest`@`10.77.0.%` IDENTIFIED BY PASSWORD "
	                         "'*0123'",
	    "GRANT SELECT ON `mysql`.`user` TO `dtest`@`10.77.0.%`"};
	const char *full[] = {"GRANT RELOAD, PROCESS, SUPER, REPLICATION SLAVE, BINLOG MONITOR, "
	                      "READ_ONLY ADMIN, REPLICATION MASTER ADMIN ON *.* TO `m`@`%`",
	    "GRANT SELECT ON `mysql`.* TO `m`@`%`"};
	const char *mysql8[] = {"GRANT SELECT, RELOAD, PROCESS, SUPER, REPLICATION SLAVE, "
	                        "REPLICATION CLIENT ON *.* TO `mha`@`%`",
	    "GRANT BACKUP_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `mha`@`%`"};
	const char *columns[] = {"GRANT USAGE ON *.* TO `m`@`%`",
	    "GRANT SELECT (`Host`, `User`), INSERT ON `mysql`.`user` TO `m`@`%`",
	    "GRANT ALL PRIVILEGES ON `app`.* TO `m`@`%`"};
	char *m;

	(void)state;
	assert_null(doctor_grants_missing(all, 1, "10.11.19-MariaDB"));
	assert_null(doctor_grants_missing(all, 1, "8.0.36"));

	/*
	 * Enough for MariaDB 10.4. From 10.5.9 SHOW SLAVE HOSTS (mhaadm's probe)
	 * needs REPLICATION MASTER ADMIN; from 10.11 SUPER no longer sets
	 * read_only (MDEV-29596). Both seen on 10.11.19.
	 */
	assert_null(doctor_grants_missing(classic, 2, "10.4.32-MariaDB"));
	m = doctor_grants_missing(classic, 2, "10.6.16-MariaDB");
	assert_string_equal(m, "REPLICATION MASTER ADMIN");
	free(m);
	m = doctor_grants_missing(classic, 2, "10.11.19-MariaDB-0+deb12u1-log");
	assert_string_equal(m, "READ_ONLY ADMIN, REPLICATION MASTER ADMIN");
	free(m);
	assert_null(doctor_grants_missing(full, 2, "10.11.19-MariaDB-0+deb12u1-log"));
	assert_null(doctor_grants_missing(mysql8, 2, "8.0.36"));
	assert_null(doctor_grants_missing(classic, 2, "5.7.44-log"));

	/* Without the mysql.user grant, only that is missing. */
	m = doctor_grants_missing(classic, 1, "10.4.32-MariaDB");
	assert_string_equal(m, "SELECT ON mysql.user");
	free(m);

	/* Column and database grants give nothing global. */
	m = doctor_grants_missing(columns, 3, "10.11.19-MariaDB");
	assert_string_equal(m, "SUPER, READ_ONLY ADMIN, REPLICATION CLIENT, REPLICATION SLAVE, "
	                       "RELOAD, PROCESS, REPLICATION MASTER ADMIN");
	free(m);
	m = doctor_grants_missing(NULL, 0, "5.7.44");
	assert_string_equal(m, "SUPER, REPLICATION CLIENT, REPLICATION SLAVE, RELOAD, PROCESS, "
	                       "SELECT ON mysql.user");
	free(m);
}

static void
t_report_count(void **state)
{
	struct doctor_report rep = {NULL, 0};

	(void)state;
	assert_int_equal(doctor_report_count(&rep, DOCTOR_FAIL), 0);
	doctor_report_clear(&rep);
	assert_string_equal(doctor_severity_name(DOCTOR_OK), "ok");
	assert_string_equal(doctor_severity_name(DOCTOR_WARN), "warn");
	assert_string_equal(doctor_severity_name(DOCTOR_FAIL), "fail");
}

/* Line 27-28 of MHA/NodeConst.pm and 77-78 of MHA/ManagerConst.pm (0.58-1.1), verbatim. */
#define NODECONST_STOCK                                                                            \
	"our $SSH_OPT_ALIVE =\n"                                                                   \
	"\"-o ServerAliveInterval=60 -o ServerAliveCountMax=20 -o StrictHostKeyChecking=no "       \
	"-o ConnectionAttempts=5 -o PasswordAuthentication=no -o BatchMode=yes\";\n"
#define MANAGERCONST_STOCK                                                                         \
	"our $SSH_OPT_CHECK =\n"                                                                   \
	"\"-o StrictHostKeyChecking=no -o PasswordAuthentication=no -o BatchMode=yes "             \
	"-o ConnectTimeout=VAR_CONNECT_TIMEOUT\";\n"

/* MHA's ssh options: "no" becomes "yes", nothing else changes, and perl still reads it. */
static void
t_ssh_host_key_patches(void **state)
{
	static const struct {
		enum doctor_patch p;
		const char *text;
		const char *want;
	} cases[] = {
	    {DOCTOR_PATCH_SSH_ALIVE, NODECONST_STOCK,
	        "-o ServerAliveInterval=60 -o ServerAliveCountMax=20 -o StrictHostKeyChecking=yes "
	        "-o ConnectionAttempts=5 -o PasswordAuthentication=no -o BatchMode=yes"},
	    {DOCTOR_PATCH_SSH_CHECK, MANAGERCONST_STOCK,
	        "-o StrictHostKeyChecking=yes -o PasswordAuthentication=no -o BatchMode=yes "
	        "-o ConnectTimeout=VAR_CONNECT_TIMEOUT"},
	};
	char *out = NULL, *again = NULL, *cause = NULL, *prog, *res = NULL;
	size_t i;

	(void)state;
	assert_string_equal(doctor_patch_module(DOCTOR_PATCH_SSH_ALIVE), "MHA::NodeConst");
	assert_string_equal(doctor_patch_module(DOCTOR_PATCH_SSH_CHECK), "MHA::ManagerConst");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    doctor_patch_classify(cases[i].p, cases[i].text, NULL), DOCTOR_PATCH_NEEDED);
		assert_int_equal(doctor_patch_apply(cases[i].p, cases[i].text, &out, &cause), 0);
		assert_null(strstr(out, "StrictHostKeyChecking=no"));
		assert_non_null(strstr(out, "mhaadm doctor"));
		assert_int_equal(
		    doctor_patch_classify(cases[i].p, out, NULL), DOCTOR_PATCH_APPLIED);
		assert_int_equal(doctor_patch_apply(cases[i].p, out, &again, &cause), 1);
		assert_null(again);
		/* The other module's text is not this one's. */
		assert_int_equal(doctor_patch_classify(cases[i].p, cases[1 - i].text, NULL),
		    DOCTOR_PATCH_UNKNOWN);
		if (have_perl()) {
			prog = xasprintf("%sprint $%s, \"\\n\";\n", out,
			    i == 0 ? "SSH_OPT_ALIVE" : "SSH_OPT_CHECK");
			assert_int_equal(run_perl(prog, &res), 0);
			res[strcspn(res, "\n")] = '\0';
			assert_string_equal(res, cases[i].want);
			free(res);
			free(prog);
		}
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_sprintf_stock_is_patched_exactly),
	    cmocka_unit_test(t_secondary_password_stock_and_patched),
	    cmocka_unit_test(t_sprintf_patched_is_left_alone),
	    cmocka_unit_test(t_sprintf_unknown_variant),
	    cmocka_unit_test(t_sprintf_partial_and_duplicate),
	    cmocka_unit_test(t_sprintf_no_final_newline),
	    cmocka_unit_test(t_super_read_only_stock_and_patched),
	    cmocka_unit_test(t_super_read_only_unknown_variant),
	    cmocka_unit_test(t_perl_sprintf),
	    cmocka_unit_test(t_perl_super_read_only),
	    cmocka_unit_test(t_ssh_host_key_patches),
	    cmocka_unit_test(t_version_drivable),
	    cmocka_unit_test(t_bind_address),
	    cmocka_unit_test(t_grants),
	    cmocka_unit_test(t_report_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
