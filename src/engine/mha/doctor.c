/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: finds what breaks MHA 0.58 on the manager host and on every
 * node, and patches the two MHA Perl defects that can be patched safely.
 *
 * The checks only collect findings (severity, one-line message, the fix);
 * printing them is the command's business. Commands on a host run through
 * one small exec layer, locally through spawn_run on the manager host and
 * through ssh_conn_run on a node, so that both get the very same tool and
 * Perl checks and the same patch code.
 */
#include "doctor.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "config.h"
#include "probe.h"
#include "registry.h"
#include "spawn.h"
#include "ssh.h"
#include "xmalloc.h"

/* The marker every patched line carries; how a patched module is recognised. */
#define DOCTOR_MARKER "mhaadm doctor"

/* A module larger than this is not MHA's; refuse rather than patch it. */
#define DOCTOR_MODULE_MAX (4 * 1024 * 1024)

/* Seconds for local commands (perl -c of a module takes well under one). */
#define DOCTOR_LOCAL_TIMEOUT 30

/*
 * A version string with more numbers than parse_mysql_version's format: the
 * stock MHA::NodeUtil dies on it, a patched one returns "010011019 010011".
 */
#define DOCTOR_SAMPLE_VERSION "10.11.19-MariaDB-0+deb12u1-log"

/* ---- The patches ------------------------------------------------------- */

/* One line of the stock module and the line that replaces it. */
struct doctor_hunk {
	const char *orig;
	const char *patched;
};

struct doctor_patch_def {
	const char *module;
	const struct doctor_hunk *hunks;
	size_t n_hunks;
	const char *check; /* the finding it fixes */
};

/*
 * MHA::NodeUtil 0.58, parse_mysql_version and parse_mysql_major_version:
 * sprintf gets every number of the version string, and with perl >= 5.22
 * and "use warnings FATAL => 'all'" the extra arguments are a fatal
 * "Redundant argument in sprintf". A list slice passes only the numbers
 * the format uses.
 */
static const struct doctor_hunk doctor_hunks_sprintf[] = {
    {
        "  my $result = sprintf( '%03d%03d%03d', $str =~ m/(\\d+)/g );",
        "  my $result = sprintf( '%03d%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 2 ] );"
        "    # " DOCTOR_MARKER ": only the first 3 numbers",
    },
    {
        "  my $result = sprintf( '%03d%03d', $str =~ m/(\\d+)/g );",
        "  my $result = sprintf( '%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 1 ] );"
        "    # " DOCTOR_MARKER ": only the first 2 numbers",
    },
};

/*
 * MHA::SlaveUtil 0.58, check_if_super_read_only: "SELECT
 * @@global.super_read_only" fails on MariaDB (no such variable) and, with
 * RaiseError, kills apply_diff_relay_logs and the failover. SHOW GLOBAL
 * VARIABLES LIKE (what MHA::DBHelper uses for every other variable) returns
 * no row instead, and no row counts as off.
 */
static const struct doctor_hunk doctor_hunks_super_read_only[] = {
    {
        "  my $sth = $dbh->prepare(\"SELECT \\@\\@global.super_read_only as Value\");",
        "  my $sth = $dbh->prepare(\"SHOW GLOBAL VARIABLES LIKE 'super_read_only'\");"
        "    # " DOCTOR_MARKER ": no row on MariaDB",
    },
    {
        "  if ( $href->{Value} == '1' ) {",
        "  if ( $href && $href->{Value} eq 'ON' ) {"
        "    # " DOCTOR_MARKER ": a missing super_read_only is off",
    },
};

/*
 * MHA::NodeConst and MHA::ManagerConst 0.58: every ssh/scp MHA runs starts
 * with "-o StrictHostKeyChecking=no", and MHA appends our ssh_options after
 * it; ssh takes the first value of an option, so the pinned known_hosts
 * was never enforced on MHA's own connections. "yes" first makes them as
 * strict as mhaadm's own (ssh_options names the known_hosts file).
 */
static const struct doctor_hunk doctor_hunks_ssh_alive[] = {
    {
        "\"-o ServerAliveInterval=60 -o ServerAliveCountMax=20 -o StrictHostKeyChecking=no "
        "-o ConnectionAttempts=5 -o PasswordAuthentication=no -o BatchMode=yes\";",
        "\"-o ServerAliveInterval=60 -o ServerAliveCountMax=20 -o StrictHostKeyChecking=yes "
        "-o ConnectionAttempts=5 -o PasswordAuthentication=no -o BatchMode=yes\";"
        "    # " DOCTOR_MARKER ": host keys checked",
    },
};

static const struct doctor_hunk doctor_hunks_ssh_check[] = {
    {
        "\"-o StrictHostKeyChecking=no -o PasswordAuthentication=no -o BatchMode=yes "
        "-o ConnectTimeout=VAR_CONNECT_TIMEOUT\";",
        "\"-o StrictHostKeyChecking=yes -o PasswordAuthentication=no -o BatchMode=yes "
        "-o ConnectTimeout=VAR_CONNECT_TIMEOUT\";"
        "    # " DOCTOR_MARKER ": host keys checked",
    },
};

/*
 * MHA::MasterFailover 0.58, the "start" call of master_ip_failover_script:
 * MHA appends --new_master_password=PASSWORD to the command line, so the
 * password is in the hook's argv (/proc/PID/cmdline, readable by every local
 * user) until the hook wipes it. The hook never uses it (mhaadm reads its own
 * 0600 config), so the patched line appends nothing.
 */
static const struct doctor_hunk doctor_hunks_hook_password[] = {
    {
        "    $command .= \" --new_master_password=$new_master->{escaped_password}\";",
        "    $command .= \"\";    # " DOCTOR_MARKER ": no password in the hook's argv",
    },
};

/*
 * MHA::HealthCheck 0.58, secondary_check: MHA builds the
 * secondary_check_script command line with --master_password=PASSWORD,
 * writes the whole line into manager.log ("Executing secondary network
 * check script: ...") and runs it through sh, so the password is in the
 * log and in the argv of sh and the check. mhaadm's check reads its own
 * 0600 config, so the patched line appends nothing.
 */
static const struct doctor_hunk doctor_hunks_secondary_password[] = {
    {
        "    . \" --master_password=$self->{password}\"",
        "    . \"\"    # " DOCTOR_MARKER ": no password in the check's argv or the log",
    },
};

#define DOCTOR_HUNKS(h) (h), (sizeof(h) / sizeof((h)[0]))

static const struct doctor_patch_def doctor_patches[DOCTOR_PATCH_COUNT] = {
    [DOCTOR_PATCH_SPRINTF] = {"MHA::NodeUtil", DOCTOR_HUNKS(doctor_hunks_sprintf), "perl-sprintf"},
    [DOCTOR_PATCH_SUPER_READ_ONLY] = {"MHA::SlaveUtil", DOCTOR_HUNKS(doctor_hunks_super_read_only),
        "perl-super-read-only"},
    [DOCTOR_PATCH_SSH_ALIVE] = {"MHA::NodeConst", DOCTOR_HUNKS(doctor_hunks_ssh_alive),
        "perl-ssh-host-keys"},
    [DOCTOR_PATCH_SSH_CHECK] = {"MHA::ManagerConst", DOCTOR_HUNKS(doctor_hunks_ssh_check),
        "perl-ssh-check-host-keys"},
    [DOCTOR_PATCH_HOOK_PASSWORD] = {"MHA::MasterFailover", DOCTOR_HUNKS(doctor_hunks_hook_password),
        "perl-hook-password"},
    [DOCTOR_PATCH_SECONDARY_PASSWORD] = {"MHA::HealthCheck",
        DOCTOR_HUNKS(doctor_hunks_secondary_password), "perl-secondary-check-password"},
};

const char *
doctor_patch_module(enum doctor_patch p)
{
	return doctor_patches[p].module;
}

/* How many lines of text are exactly line (without their '\n'). */
static size_t
doctor_count_line(const char *text, const char *line)
{
	size_t n = 0, len = strlen(line);
	const char *p = text, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if ((size_t)(nl - p) == len && memcmp(p, line, len) == 0)
			n++;
		p = *nl == '\n' ? nl + 1 : nl;
	}
	return n;
}

enum doctor_patch_state
doctor_patch_classify(enum doctor_patch p, const char *text, char **detail)
{
	const struct doctor_patch_def *def = &doctor_patches[p];
	size_t i, n_orig, n_new, orig_once = 0, new_once = 0, orig_any = 0, new_any = 0;
	char *why = NULL;

	for (i = 0; i < def->n_hunks; i++) {
		n_orig = doctor_count_line(text, def->hunks[i].orig);
		n_new = doctor_count_line(text, def->hunks[i].patched);
		orig_once += n_orig == 1;
		new_once += n_new == 1;
		orig_any += n_orig > 0;
		new_any += n_new > 0;
		if (why == NULL && n_orig > 1)
			why = xasprintf(
			    "a line to patch is there %zu times: %s", n_orig, def->hunks[i].orig);
		else if (why == NULL && n_new > 1)
			why = xasprintf("a patched line is there %zu times", n_new);
		else if (why == NULL && n_orig == 0 && n_new == 0)
			why = xasprintf("line not found: %s", def->hunks[i].orig);
	}
	if (detail != NULL)
		*detail = NULL;
	if (orig_once == def->n_hunks && new_any == 0) {
		free(why);
		return DOCTOR_PATCH_NEEDED;
	}
	if (new_once == def->n_hunks && orig_any == 0) {
		free(why);
		return DOCTOR_PATCH_APPLIED;
	}
	if (orig_any > 0 && new_any > 0) {
		free(why);
		why = xstrdup("partly patched");
	} else if (why == NULL) {
		why = xstrdup("not the text of MHA 0.58");
	}
	if (detail != NULL)
		*detail = why;
	else
		free(why);
	return DOCTOR_PATCH_UNKNOWN;
}

int
doctor_patch_apply(enum doctor_patch p, const char *text, char **out, char **cause)
{
	const struct doctor_patch_def *def = &doctor_patches[p];
	const char *line = text, *nl;
	size_t len, i, o = 0, cap;
	char *detail = NULL, *buf;

	*out = NULL;
	switch (doctor_patch_classify(p, text, &detail)) {
	case DOCTOR_PATCH_NEEDED:
		break;
	case DOCTOR_PATCH_APPLIED:
		return 1;
	case DOCTOR_PATCH_UNKNOWN:
		*cause = xasprintf("cannot patch %s automatically: %s", def->module, detail);
		free(detail);
		return -1;
	}

	/* Every hunk makes its line longer by strlen(patched) - strlen(orig) at most. */
	cap = strlen(text) + 1;
	for (i = 0; i < def->n_hunks; i++)
		cap += strlen(def->hunks[i].patched);
	buf = xmalloc(cap);
	while (*line != '\0') {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		len = (size_t)(nl - line);
		for (i = 0; i < def->n_hunks; i++) {
			if (strlen(def->hunks[i].orig) == len &&
			    memcmp(line, def->hunks[i].orig, len) == 0)
				break;
		}
		if (i < def->n_hunks) {
			memcpy(buf + o, def->hunks[i].patched, strlen(def->hunks[i].patched));
			o += strlen(def->hunks[i].patched);
		} else {
			memcpy(buf + o, line, len);
			o += len;
		}
		if (*nl == '\n')
			buf[o++] = '\n';
		line = *nl == '\n' ? nl + 1 : nl;
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}

/* ---- Decisions from text ------------------------------------------------ */

/*
 * Reads "MAJOR.MINOR.PATCH..." at the start of a @@version. Returns 0, or
 * -1 when it does not start with a number.
 */
static int
doctor_version_parse(const char *v, int *major, int *minor, int *patch, int *mariadb)
{
	long part[3] = {0, 0, 0};
	const char *p = v;
	char *end;
	int i;

	if (v == NULL || !isdigit((unsigned char)*v))
		return -1;
	for (i = 0; i < 3; i++) {
		part[i] = strtol(p, &end, 10);
		if (end == p || part[i] < 0 || part[i] > 100000)
			return -1;
		p = end;
		if (*p != '.')
			break;
		p++;
	}
	*major = (int)part[0];
	*minor = (int)part[1];
	*patch = (int)part[2];
	*mariadb = strcasestr(v, "mariadb") != NULL;
	return 0;
}

int
doctor_version_drivable(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0)
		return -1;
	if (mariadb)
		return 1;
	/* MySQL 8.4 removed SHOW SLAVE/MASTER STATUS, CHANGE MASTER and RESET SLAVE. */
	return major < 8 || (major == 8 && minor < 4);
}

/* 1 when a server with this @@version has @@global.super_read_only (MySQL >= 5.7.8). */
static int
doctor_version_has_super_read_only(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0 || mariadb)
		return 0;
	return major > 5 || (major == 5 && (minor > 7 || (minor == 7 && patch >= 8)));
}

/*
 * 1 for MariaDB >= 10.5.9, where SHOW SLAVE HOSTS (mhaadm's probe lists the
 * replicas with it) needs REPLICATION MASTER ADMIN instead of REPLICATION SLAVE.
 */
static int
doctor_version_needs_master_admin(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0 || !mariadb)
		return 0;
	return major > 10 || (major == 10 && (minor > 5 || (minor == 5 && patch >= 9)));
}

/* 1 for MariaDB >= 10.11, where SUPER no longer covers READ_ONLY ADMIN (MDEV-29596). */
static int
doctor_version_needs_read_only_admin(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0 || !mariadb)
		return 0;
	return major > 10 || (major == 10 && minor >= 11);
}

int
doctor_bind_address_ok(const char *value)
{
	const char *p = value, *end;
	size_t len;

	if (value == NULL || *value == '\0')
		return 1;
	/* MySQL 8 and MariaDB 10.11 accept a comma-separated list. */
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		end = p;
		while (*end != '\0' && *end != ',' && *end != ' ')
			end++;
		len = (size_t)(end - p);
		if ((len == 1 && *p == '*') || (len == 7 && memcmp(p, "0.0.0.0", 7) == 0) ||
		    (len == 2 && memcmp(p, "::", 2) == 0))
			return 1;
		p = end;
	}
	return 0;
}

/* The privileges MHA 0.58 uses, as bits. */
enum {
	DOCTOR_PRIV_SUPER = 1 << 0,
	DOCTOR_PRIV_READ_ONLY_ADMIN = 1 << 1,
	DOCTOR_PRIV_REPL_CLIENT = 1 << 2,
	DOCTOR_PRIV_REPL_SLAVE = 1 << 3,
	DOCTOR_PRIV_RELOAD = 1 << 4,
	DOCTOR_PRIV_PROCESS = 1 << 5,
	DOCTOR_PRIV_REPL_MASTER_ADMIN = 1 << 6, /* MariaDB: SHOW SLAVE HOSTS (mhaadm's probe) */
	DOCTOR_PRIV_SELECT_USER = 1 << 7,       /* SELECT on mysql.user */
	DOCTOR_PRIV_EVERYTHING = (1 << 8) - 1,
};

/* Names in the order they are reported, with the names a server may show them as. */
static const struct {
	unsigned int bit;
	const char *report; /* what we print when it is missing */
	const char *names[3];
} doctor_privs[] = {
    {DOCTOR_PRIV_SUPER, "SUPER", {"SUPER", NULL, NULL}},
    {DOCTOR_PRIV_READ_ONLY_ADMIN, "READ_ONLY ADMIN", {"READ_ONLY ADMIN", "READ ONLY ADMIN", NULL}},
    /* MariaDB >= 10.5.2 shows REPLICATION CLIENT as BINLOG MONITOR. */
    {DOCTOR_PRIV_REPL_CLIENT, "REPLICATION CLIENT", {"REPLICATION CLIENT", "BINLOG MONITOR", NULL}},
    {DOCTOR_PRIV_REPL_SLAVE, "REPLICATION SLAVE", {"REPLICATION SLAVE", NULL, NULL}},
    {DOCTOR_PRIV_RELOAD, "RELOAD", {"RELOAD", NULL, NULL}},
    {DOCTOR_PRIV_PROCESS, "PROCESS", {"PROCESS", NULL, NULL}},
    {DOCTOR_PRIV_REPL_MASTER_ADMIN, "REPLICATION MASTER ADMIN",
        {"REPLICATION MASTER ADMIN", NULL, NULL}},
    /* Last: it is granted with a statement of its own. */
    {DOCTOR_PRIV_SELECT_USER, "SELECT ON mysql.user", {NULL, NULL, NULL}},
};

/* The target of a GRANT ... ON target TO: 2 for *.*, 1 for mysql.* / mysql.user, 0 other. */
static int
doctor_grant_target(const char *s, size_t len)
{
	char buf[64];
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < sizeof(buf); i++) {
		if (s[i] != '`' && s[i] != '"' && s[i] != '\'')
			buf[o++] = (char)tolower((unsigned char)s[i]);
	}
	buf[o] = '\0';
	if (strcmp(buf, "*.*") == 0)
		return 2;
	if (strcmp(buf, "mysql.*") == 0 || strcmp(buf, "mysql.user") == 0)
		return 1;
	return 0;
}

/* Adds the privileges of one "GRANT a, b ON target TO ..." line to *have. */
static void
doctor_grants_line(const char *line, unsigned int *have)
{
	const char *privs, *on, *to, *p, *end, *q;
	size_t len, i, k;
	int depth, target;
	char name[64];

	if (strncasecmp(line, "GRANT ", 6) != 0)
		return;
	privs = line + 6;
	if ((on = strcasestr(privs, " ON ")) == NULL)
		return; /* a role granted to the user: not followed */
	if ((to = strcasestr(on + 4, " TO ")) == NULL)
		return;
	target = doctor_grant_target(on + 4, (size_t)(to - on - 4));
	if (target == 0)
		return;
	p = privs;
	while (p < on) {
		while (p < on && (*p == ' ' || *p == ','))
			p++;
		/* A privilege ends at a comma outside parentheses (column lists). */
		for (end = p, depth = 0; end < on && (depth > 0 || *end != ','); end++) {
			if (*end == '(')
				depth++;
			else if (*end == ')' && depth > 0)
				depth--;
		}
		q = memchr(p, '(', (size_t)(end - p));
		len = (size_t)((q != NULL ? q : end) - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0 && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			if (strcasecmp(name, "ALL PRIVILEGES") == 0 ||
			    strcasecmp(name, "ALL") == 0) {
				*have |=
				    target == 2 ? DOCTOR_PRIV_EVERYTHING : DOCTOR_PRIV_SELECT_USER;
			} else if (strcasecmp(name, "SELECT") == 0) {
				*have |= DOCTOR_PRIV_SELECT_USER;
			} else if (target == 2) {
				for (i = 0; i < sizeof(doctor_privs) / sizeof(doctor_privs[0]);
				     i++) {
					for (k = 0; k < 3 && doctor_privs[i].names[k] != NULL;
					     k++) {
						if (strcasecmp(name, doctor_privs[i].names[k]) == 0)
							*have |= doctor_privs[i].bit;
					}
				}
			}
		}
		p = end;
	}
}

char *
doctor_grants_missing(const char *const *lines, size_t n, const char *version)
{
	unsigned int have = 0, need = DOCTOR_PRIV_EVERYTHING;
	char *s = NULL, *t;
	size_t i;

	for (i = 0; i < n; i++)
		doctor_grants_line(lines[i], &have);
	if (!doctor_version_needs_read_only_admin(version))
		need &= ~(unsigned int)DOCTOR_PRIV_READ_ONLY_ADMIN;
	if (!doctor_version_needs_master_admin(version))
		need &= ~(unsigned int)DOCTOR_PRIV_REPL_MASTER_ADMIN;
	for (i = 0; i < sizeof(doctor_privs) / sizeof(doctor_privs[0]); i++) {
		if ((need & doctor_privs[i].bit) == 0 || (have & doctor_privs[i].bit) != 0)
			continue;
		t = s == NULL ? xstrdup(doctor_privs[i].report)
		              : xasprintf("%s, %s", s, doctor_privs[i].report);
		free(s);
		s = t;
	}
	return s;
}

/* ---- The report --------------------------------------------------------- */

const char *
doctor_severity_name(enum doctor_severity s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARN:
		return "warn";
	case DOCTOR_FAIL:
		return "fail";
	}
	return "?";
}

/* Adds a finding; takes message and fix (fix may be NULL). */
static void
doctor_add(
    struct doctor_host *h, const char *check, enum doctor_severity sev, char *message, char *fix)
{
	struct doctor_finding *f;

	h->findings = xreallocarray(h->findings, h->n_findings + 1, sizeof(*h->findings));
	f = &h->findings[h->n_findings++];
	f->check = xstrdup(check);
	f->severity = sev;
	f->message = message;
	if (sev == DOCTOR_OK) {
		free(fix);
		fix = NULL;
	}
	f->fix = fix;
	f->changed = NULL;
}

static struct doctor_finding *
doctor_find(struct doctor_host *h, const char *check)
{
	size_t i;

	for (i = 0; i < h->n_findings; i++) {
		if (strcmp(h->findings[i].check, check) == 0)
			return &h->findings[i];
	}
	return NULL;
}

static void
doctor_host_clear(struct doctor_host *h)
{
	size_t i;

	for (i = 0; i < h->n_findings; i++) {
		free(h->findings[i].check);
		free(h->findings[i].message);
		free(h->findings[i].fix);
		free(h->findings[i].changed);
	}
	free(h->findings);
	free(h->name);
	free(h->cluster);
	memset(h, 0, sizeof(*h));
}

/* Moves the findings of from to the end of to. */
static void
doctor_host_move(struct doctor_host *to, struct doctor_host *from)
{
	size_t i;

	for (i = 0; i < from->n_findings; i++) {
		to->findings =
		    xreallocarray(to->findings, to->n_findings + 1, sizeof(*to->findings));
		to->findings[to->n_findings++] = from->findings[i];
	}
	free(from->findings);
	from->findings = NULL;
	from->n_findings = 0;
}

/* Appends h to rep, which takes everything h owns. */
static void
doctor_report_push(struct doctor_report *rep, struct doctor_host *h)
{
	rep->hosts = xreallocarray(rep->hosts, rep->n_hosts + 1, sizeof(*rep->hosts));
	rep->hosts[rep->n_hosts++] = *h;
	memset(h, 0, sizeof(*h));
}

size_t
doctor_report_count(const struct doctor_report *rep, enum doctor_severity sev)
{
	size_t i, j, n = 0;

	for (i = 0; i < rep->n_hosts; i++) {
		for (j = 0; j < rep->hosts[i].n_findings; j++)
			n += rep->hosts[i].findings[j].severity == sev;
	}
	return n;
}

void
doctor_report_clear(struct doctor_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n_hosts; i++)
		doctor_host_clear(&rep->hosts[i]);
	free(rep->hosts);
	rep->hosts = NULL;
	rep->n_hosts = 0;
}

/* ---- Running commands on a host ----------------------------------------- */

/* Where commands run: here (ssh == NULL) or on a node. */
struct doctor_exec {
	struct ssh_conn *ssh;
	int timeout;
};

/* Text without a trailing newline and with newlines as " / ", for one-line messages. */
static char *
doctor_oneline(const char *s)
{
	char *out, *o;
	size_t len;

	if (s == NULL)
		return xstrdup("");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	out = xmalloc(len * 3 + 1);
	for (o = out; len > 0; s++, len--) {
		if (*s == '\n') {
			memcpy(o, " / ", 3);
			o += 3;
		} else if (*s != '\r') {
			*o++ = (unsigned char)*s < 0x20 ? ' ' : *s;
		}
	}
	*o = '\0';
	return out;
}

/*
 * Runs argv on the host, stdin_data (may be NULL) on its stdin (remote
 * only). *out gets the output (locally stdout and stderr together), *err
 * the remote stderr ("" locally). Returns 0 with the exit code in *code, or
 * -1 with *cause when the command could not run.
 */
static int
doctor_exec_run(struct doctor_exec *x, const char *const *argv, const char *stdin_data, char **out,
    char **err, int *code, char **cause)
{
	int status;

	*out = NULL;
	*err = NULL;
	if (x->ssh != NULL) {
		if (ssh_conn_run(x->ssh, argv, stdin_data,
		        stdin_data != NULL ? strlen(stdin_data) : 0, out, err, code, cause) != 0)
			return -1;
		if (*out == NULL)
			*out = xstrdup("");
		if (*err == NULL)
			*err = xstrdup("");
		return 0;
	}
	if (stdin_data != NULL) {
		*cause = xstrdup("internal error: no stdin for local commands");
		return -1;
	}
	if (spawn_run(argv, NULL, x->timeout, out, &status, cause) != 0)
		return -1;
	if (*out == NULL)
		*out = xstrdup("");
	*err = xstrdup("");
	if (WIFEXITED(status))
		*code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*code = 128 + WTERMSIG(status);
	else
		*code = 255;
	return 0;
}

/* Reads a whole local file, at most DOCTOR_MODULE_MAX bytes. */
static int
doctor_local_read(const char *path, char **text, char **cause)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = -1;

	*text = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(DOCTOR_MODULE_MAX + 1);
	for (;;) {
		r = read(fd, buf + len, DOCTOR_MODULE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > DOCTOR_MODULE_MAX) {
			*cause = xasprintf("%s is larger than %d bytes: not an MHA module", path,
			    DOCTOR_MODULE_MAX);
			goto out;
		}
	}
	if (memchr(buf, '\0', len) != NULL) {
		*cause = xasprintf("%s holds NUL bytes: not an MHA module", path);
		goto out;
	}
	buf[len] = '\0';
	*text = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Writes all of buf to fd. Returns 0 or -1 with errno. */
static int
doctor_write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Creates path (which must not exist) holding text, with the owner, mode
 * and (when times is not NULL) the times of st. Returns 0 or -1 with *cause.
 */
static int
doctor_local_create(const char *path, const char *text, const struct stat *st,
    const struct timespec *times, char **cause)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (doctor_write_all(fd, text, strlen(text)) != 0 ||
	    fchown(fd, st->st_uid, st->st_gid) != 0 || fchmod(fd, st->st_mode & 07777) != 0 ||
	    (times != NULL && futimens(fd, times) != 0) || fsync(fd) != 0) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) != 0) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * Replaces the module at path (on the manager host) with new_text: a
 * backup of old_text first (PATH.mhaadm-bak.STAMP, never overwriting one
 * that exists), then a temporary file beside it with the original's owner
 * and mode, which perl must compile, renamed over the original. A symlink
 * is followed: the file it points to is replaced. Returns 0 with the
 * backup's path in *backup, or -1 with *cause and the module unchanged.
 */
static int
doctor_local_replace(const char *path, const char *old_text, const char *new_text,
    const char *stamp, char **backup, char **cause)
{
	char *real = NULL, *bak = NULL, *tmp = NULL, *out = NULL, *dir = NULL, *e;
	const char *argv[] = {"perl", "-c", "--", NULL, NULL};
	struct timespec times[2];
	struct stat st;
	int status, rc = -1, fd;

	*backup = NULL;
	if ((real = realpath(path, NULL)) == NULL) {
		*cause = xasprintf("cannot resolve %s: %s", path, strerror(errno));
		goto out;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s is not a regular file", real);
		goto out;
	}
	bak = xasprintf("%s.mhaadm-bak.%s", real, stamp);
	tmp = xasprintf("%s.mhaadm-tmp.%ld", real, (long)getpid());
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (doctor_local_create(bak, old_text, &st, times, cause) != 0)
		goto out;
	if (doctor_local_create(tmp, new_text, &st, NULL, cause) != 0)
		goto out;
	argv[3] = tmp;
	if (spawn_run(argv, NULL, DOCTOR_LOCAL_TIMEOUT, &out, &status, cause) != 0) {
		unlink(tmp);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		e = doctor_oneline(out);
		*cause = xasprintf("the patched %s does not compile, left unchanged: %s", real, e);
		free(e);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, real) != 0) {
		*cause = xasprintf("cannot rename %s to %s: %s", tmp, real, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* Make the rename durable; failing to is not worth reporting. */
	dir = xstrdup(real);
	*strrchr(dir, '/') = '\0';
	if ((fd = open(*dir != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	*backup = bak;
	bak = NULL;
	rc = 0;
out:
	free(real);
	free(bak);
	free(tmp);
	free(out);
	free(dir);
	return rc;
}

/*
 * The same on a node, as one fixed script with the path and the stamp as
 * positional parameters and the new text on stdin: nothing we read from
 * anywhere is ever part of a shell command. It prints the backup's path.
 * Exit 3: the backup exists; 4: the patched module does not compile.
 */
static const char doctor_remote_replace_sh[] =
    "set -e\n"
    "f=$(readlink -f -- \"$1\")\n"
    "b=\"$f.mhaadm-bak.$2\"\n"
    "t=\"$f.mhaadm-tmp.$$\"\n"
    "if [ -e \"$b\" ] || [ -h \"$b\" ]; then echo \"backup $b already exists\" >&2; exit 3; fi\n"
    "cp -p -- \"$f\" \"$b\"\n"
    "trap 'rm -f -- \"$t\"' EXIT\n"
    "umask 077\n"
    "cat > \"$t\"\n"
    "chown --reference=\"$f\" -- \"$t\"\n"
    "chmod --reference=\"$f\" -- \"$t\"\n"
    "if ! out=$(perl -c -- \"$t\" 2>&1); then\n"
    "\techo \"the patched $f does not compile, left unchanged: $out\" >&2\n"
    "\texit 4\n"
    "fi\n"
    "mv -f -- \"$t\" \"$f\"\n"
    "trap - EXIT\n"
    "echo \"$b\"\n";

static int
doctor_remote_replace(struct doctor_exec *x, const char *path, const char *new_text,
    const char *stamp, char **backup, char **cause)
{
	const char *argv[] = {"sh", "-c", doctor_remote_replace_sh, "sh", path, stamp, NULL};
	char *out = NULL, *err = NULL, *e;
	int code;

	*backup = NULL;
	if (doctor_exec_run(x, argv, new_text, &out, &err, &code, cause) != 0)
		return -1;
	if (code != 0) {
		e = doctor_oneline(err);
		*cause = xasprintf(
		    "cannot replace %s (exit %d): %s", path, code, *e != '\0' ? e : "no message");
		free(e);
		free(out);
		free(err);
		return -1;
	}
	*backup = doctor_oneline(out);
	free(out);
	free(err);
	return 0;
}

/* "20261127T120102Z": the UTC time, for backup names. */
static void
doctor_stamp(char *buf, size_t size)
{
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
}

/*
 * Applies patch p to text, the module at path on the host as just read, and
 * writes the result back there. Returns 0 with a newly allocated "what was
 * changed" in *changed, 1 when it was patched already, -1 with *cause.
 */
static int
doctor_patch_file(struct doctor_exec *x, enum doctor_patch p, const char *path, const char *text,
    char **changed, char **cause)
{
	char *patched = NULL, *backup = NULL;
	char stamp[32];
	int r;

	*changed = NULL;
	if ((r = doctor_patch_apply(p, text, &patched, cause)) != 0)
		return r;
	doctor_stamp(stamp, sizeof(stamp));
	if (x->ssh == NULL)
		r = doctor_local_replace(path, text, patched, stamp, &backup, cause);
	else
		r = doctor_remote_replace(x, path, patched, stamp, &backup, cause);
	free(patched);
	if (r != 0)
		return -1;
	*changed = xasprintf(
	    "patched %s (%s); original saved as %s", path, doctor_patch_module(p), backup);
	free(backup);
	return 0;
}

/* ---- Tools and Perl modules on a host ------------------------------------ */

/*
 * One command per host finds everything the SSH checks need (SSH commands
 * cost a round trip each). $1 is the Perl probe below, $2 "text" when the
 * modules' text should be printed too (on a node, where there is no other
 * cheap way to read them), the rest the programs to look for. Fixed text:
 * everything variable comes as positional parameters.
 */
static const char doctor_probe_sh[] =
    "probe=$1 want=$2\n"
    "shift 2\n"
    "PATH=\"$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n"
    "for b do\n"
    "\tif p=$(command -v \"$b\" 2>/dev/null); then echo \"bin $b $p\"; else echo \"bin $b -\"; fi\n"
    "done\n"
    "if command -v dpkg-query >/dev/null 2>&1; then\n"
    "\tdpkg-query -W -f='pkg ${Package} ${db:Status-Abbrev} ${Version}\\n' mha4mysql-manager "
    "mha4mysql-node arping iputils-arping 2>/dev/null\n"
    "fi\n"
    "if command -v arping >/dev/null 2>&1; then\n"
    "\tarping --help 2>&1 | head -n 5 | sed 's/^/arping /'\n"
    "fi\n"
    "if command -v perl >/dev/null 2>&1; then\n"
    "\tperl -e \"$probe\" \"$want\"\n"
    "\techo \"perl-exit $?\"\n"
    "else\n"
    "\techo \"perl-exit 127\"\n"
    "fi\n"
    "exit 0\n";

/*
 * Finds the modules mhaadm patches (MHA::NodeUtil, SlaveUtil, NodeConst,
 * ManagerConst, MasterFailover) the way MHA's programs do (through perl's @INC), calls the version
 * parsers on a version string with more numbers than their formats, and with "text" prints each
 * module's bytes as "text MODULE LENGTH\n" + LENGTH bytes + "\n".
 */
static const char doctor_perl_probe[] =
    "my @found;\n"
    "for my $m (\"MHA::NodeUtil\", \"MHA::SlaveUtil\", \"MHA::NodeConst\",\n"
    "    \"MHA::ManagerConst\", \"MHA::MasterFailover\", \"MHA::HealthCheck\") {\n"
    "  (my $f = $m) =~ s{::}{/}g;\n"
    "  $f .= \".pm\";\n"
    "  if (eval { require $f; 1 }) { print \"mod $m $INC{$f}\\n\"; push @found, [$m, $INC{$f}]; }\n"
    "  else { (my $e = $@) =~ s/\\s+/ /g; print \"nomod $m $e\\n\"; }\n"
    "}\n"
    "if ($INC{\"MHA/NodeUtil.pm\"}) {\n"
    "  my $v = \"" DOCTOR_SAMPLE_VERSION "\";\n"
    "  my $r = eval { MHA::NodeUtil::parse_mysql_version($v) . \" \" .\n"
    "    MHA::NodeUtil::parse_mysql_major_version($v) };\n"
    "  if (defined $r) { print \"sprintf ok $r\\n\"; }\n"
    "  else { (my $e = $@) =~ s/\\s+/ /g; print \"sprintf fail $e\\n\"; }\n"
    "}\n"
    "exit 0 unless ($ARGV[0] // '') eq 'text';\n"
    "for (@found) {\n"
    "  my ($m, $f) = @$_;\n"
    "  if (open(my $fh, '<:raw', $f)) { local $/; my $t = <$fh> // '';\n"
    "    print \"text $m \", length($t), \"\\n\", $t, \"\\n\"; }\n"
    "  else { print \"unreadable $m $!\\n\"; }\n"
    "}\n";

#define DOCTOR_MAX_BINS 16

/* What the probe found on a host. */
struct doctor_probe {
	const char *names[DOCTOR_MAX_BINS];
	char *paths[DOCTOR_MAX_BINS]; /* NULL when not found */
	size_t n;
	int pkg_node, pkg_iputils_arping; /* 1 when the Debian package is installed */
	char *arping_help;

	int perl_exit;                   /* perl's exit code; 127 when there is no perl */
	char *path[DOCTOR_PATCH_COUNT];  /* per patch: the module's file, NULL when not loadable */
	char *error[DOCTOR_PATCH_COUNT]; /* why it is not loadable */
	int sprintf_ok;                  /* -1 unknown, 0 dies, 1 fine */
	char *sprintf_msg;
	char *text[DOCTOR_PATCH_COUNT]; /* the module's text */
	char *read_error[DOCTOR_PATCH_COUNT];
};

static void
doctor_probe_clear(struct doctor_probe *pr)
{
	size_t i;

	for (i = 0; i < pr->n; i++)
		free(pr->paths[i]);
	free(pr->arping_help);
	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		free(pr->path[i]);
		free(pr->error[i]);
		free(pr->text[i]);
		free(pr->read_error[i]);
	}
	free(pr->sprintf_msg);
	memset(pr, 0, sizeof(*pr));
}

static const char *
doctor_probe_bin(const struct doctor_probe *pr, const char *name)
{
	size_t i;

	for (i = 0; i < pr->n; i++) {
		if (strcmp(pr->names[i], name) == 0)
			return pr->paths[i];
	}
	return NULL;
}

/* Index of the module whose name starts s and is followed by a blank, or -1. */
static int
doctor_probe_module(const char *s, const char **rest)
{
	const char *m;
	size_t len;
	int i;

	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		m = doctor_patch_module((enum doctor_patch)i);
		len = strlen(m);
		if (strncmp(s, m, len) == 0 && s[len] == ' ') {
			*rest = s + len + 1;
			return i;
		}
	}
	return -1;
}

/* Takes one line of the probe's output (NUL-terminated, without its newline). */
static void
doctor_probe_line(struct doctor_probe *pr, const char *line)
{
	const char *rest, *sp, *tmp;
	size_t i, len;
	int m;
	char *s;

	if (strncmp(line, "bin ", 4) == 0) {
		for (i = 0; i < pr->n; i++) {
			len = strlen(pr->names[i]);
			if (strncmp(line + 4, pr->names[i], len) == 0 && line[4 + len] == ' ' &&
			    strcmp(line + 5 + len, "-") != 0 && pr->paths[i] == NULL)
				pr->paths[i] = xstrdup(line + 5 + len);
		}
	} else if (strncmp(line, "pkg mha4mysql-node ", 19) == 0) {
		pr->pkg_node = strncmp(line + 19, "ii", 2) == 0;
	} else if (strncmp(line, "pkg iputils-arping ", 19) == 0) {
		pr->pkg_iputils_arping = strncmp(line + 19, "ii", 2) == 0;
	} else if (strncmp(line, "arping ", 7) == 0) {
		tmp = pr->arping_help;
		s = tmp == NULL ? xstrdup(line + 7) : xasprintf("%s\n%s", tmp, line + 7);
		free(pr->arping_help);
		pr->arping_help = s;
	} else if (strncmp(line, "perl-exit ", 10) == 0) {
		pr->perl_exit = atoi(line + 10);
	} else if (strncmp(line, "mod ", 4) == 0 &&
	           (m = doctor_probe_module(line + 4, &rest)) >= 0) {
		if (pr->path[m] == NULL)
			pr->path[m] = xstrdup(rest);
	} else if (strncmp(line, "nomod ", 6) == 0 &&
	           (m = doctor_probe_module(line + 6, &rest)) >= 0) {
		if (pr->error[m] == NULL)
			pr->error[m] = xstrdup(rest);
	} else if (strncmp(line, "unreadable ", 11) == 0 &&
	           (m = doctor_probe_module(line + 11, &rest)) >= 0) {
		if (pr->read_error[m] == NULL)
			pr->read_error[m] = xasprintf("cannot read it: %s", rest);
	} else if (strncmp(line, "sprintf ", 8) == 0 && (sp = strchr(line + 8, ' ')) != NULL) {
		pr->sprintf_ok = strncmp(line + 8, "ok ", 3) == 0;
		free(pr->sprintf_msg);
		pr->sprintf_msg = xstrdup(sp + 1);
	}
}

/*
 * Runs the probe on the host, looking for the n programs in names (at
 * most DOCTOR_MAX_BINS). Module texts are read in-band on a node and with
 * read(2) here. Returns 0, or -1 with *cause when the probe could not run.
 */
static int
doctor_probe_run(struct doctor_exec *x, const char *const *names, size_t n, struct doctor_probe *pr,
    char **cause)
{
	const char *argv[6 + DOCTOR_MAX_BINS + 1];
	char *out = NULL, *err = NULL, *e, *p, *nl, *end;
	unsigned long long len;
	const char *rest;
	size_t i;
	int code, m;

	memset(pr, 0, sizeof(*pr));
	pr->sprintf_ok = -1;
	pr->perl_exit = -1;
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = doctor_probe_sh;
	argv[3] = "sh";
	argv[4] = doctor_perl_probe;
	argv[5] = x->ssh != NULL ? "text" : "notext";
	for (i = 0; i < n && i < DOCTOR_MAX_BINS; i++)
		argv[6 + i] = pr->names[i] = names[i];
	pr->n = i;
	argv[6 + i] = NULL;
	if (doctor_exec_run(x, argv, NULL, &out, &err, &code, cause) != 0)
		return -1;
	if (code != 0) {
		e = doctor_oneline(err);
		*cause = xasprintf("sh failed (exit %d): %s", code, e);
		free(e);
		free(out);
		free(err);
		return -1;
	}
	for (p = out; *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		if (strncmp(p, "text ", 5) != 0 || (m = doctor_probe_module(p + 5, &rest)) < 0) {
			doctor_probe_line(pr, p);
			continue;
		}
		/* A module's bytes: exactly LENGTH of them follow, then a newline. */
		errno = 0;
		len = strtoull(rest, &end, 10);
		if (errno != 0 || *end != '\0' || len > DOCTOR_MODULE_MAX || len > strlen(nl)) {
			if (pr->read_error[m] == NULL)
				pr->read_error[m] = xstrdup("its text arrived truncated");
			break;
		}
		if (memchr(nl, '\0', (size_t)len) == NULL && pr->text[m] == NULL)
			pr->text[m] = xstrndup(nl, (size_t)len);
		nl += len;
		if (*nl == '\n')
			nl++;
	}
	if (pr->perl_exit != 0) {
		for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
			if (pr->path[i] == NULL && pr->error[i] == NULL) {
				e = doctor_oneline(*err != '\0' ? err : NULL);
				pr->error[i] = xasprintf(
				    "perl exited %d%s%s", pr->perl_exit, *e != '\0' ? ": " : "", e);
				free(e);
			}
		}
	}
	free(out);
	free(err);

	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		if (pr->path[i] == NULL || pr->text[i] != NULL || pr->read_error[i] != NULL)
			continue;
		if (pr->path[i][0] != '/')
			pr->read_error[i] = xasprintf("perl found it at a relative path");
		else if (x->ssh != NULL)
			pr->read_error[i] = xstrdup("its text did not arrive");
		else if (doctor_local_read(pr->path[i], &pr->text[i], &e) != 0)
			pr->read_error[i] = e;
	}
	return 0;
}

/*
 * Findings for the two Perl defects. fix_cmd is the command that fixes them
 * ("mhaadm doctor --fix"); sro_severe says whether the super_read_only
 * defect bites here (MariaDB or an old MySQL) or is only latent.
 */
static void
doctor_perl_findings(struct doctor_host *h, const struct doctor_probe *pl, int node_tools,
    const char *fix_cmd, int sro_severe)
{
	enum doctor_patch_state st;
	enum doctor_severity sev;
	char *detail = NULL;
	const char *path;

	if (pl->perl_exit == 127 || pl->perl_exit < 0) {
		doctor_add(h, "perl", DOCTOR_FAIL,
		    xstrdup(pl->perl_exit < 0 ? "the Perl probe did not run" : "perl not found"),
		    xstrdup("MHA is written in Perl: apt-get install mha4mysql-node (pulls in "
		            "perl)"));
		return;
	}

	/* MHA::NodeUtil: what perl does decides; the text decides whether we can patch. */
	path = pl->path[DOCTOR_PATCH_SPRINTF];
	if (path == NULL) {
		if (node_tools)
			doctor_add(h, "perl-sprintf", DOCTOR_FAIL,
			    xasprintf("perl cannot load MHA::NodeUtil: %s",
			        pl->error[DOCTOR_PATCH_SPRINTF]),
			    xstrdup("apt-get install --reinstall mha4mysql-node"));
	} else if (pl->read_error[DOCTOR_PATCH_SPRINTF] != NULL) {
		doctor_add(h, "perl-sprintf", pl->sprintf_ok == 1 ? DOCTOR_WARN : DOCTOR_FAIL,
		    xasprintf("MHA::NodeUtil (%s): %s", path, pl->read_error[DOCTOR_PATCH_SPRINTF]),
		    xasprintf("make %s readable, or patch it by hand (docs/doctor.md)", path));
	} else {
		st = doctor_patch_classify(
		    DOCTOR_PATCH_SPRINTF, pl->text[DOCTOR_PATCH_SPRINTF], &detail);
		if (pl->sprintf_ok == 0 && st == DOCTOR_PATCH_NEEDED)
			doctor_add(h, "perl-sprintf", DOCTOR_FAIL,
			    xasprintf("MHA::NodeUtil (%s) dies with \"Redundant argument in "
			              "sprintf\" on version strings like %s: masterha_check_repl "
			              "and failover break",
			        path, DOCTOR_SAMPLE_VERSION),
			    xasprintf("%s patches it (backup first); by hand: pass only the first "
			              "3 (resp. 2) numbers to sprintf in parse_mysql_version and "
			              "parse_mysql_major_version (docs/doctor.md)",
			        fix_cmd));
		else if (pl->sprintf_ok == 0)
			doctor_add(h, "perl-sprintf", DOCTOR_FAIL,
			    xasprintf("MHA::NodeUtil (%s) fails to parse %s (%s); cannot patch "
			              "automatically: %s",
			        path, DOCTOR_SAMPLE_VERSION, pl->sprintf_msg, detail),
			    xasprintf("edit %s by hand as docs/doctor.md shows", path));
		else if (st == DOCTOR_PATCH_APPLIED)
			doctor_add(h, "perl-sprintf", DOCTOR_OK,
			    xasprintf("MHA::NodeUtil (%s) parses version strings (patched by "
			              "mhaadm doctor)",
			        path),
			    NULL);
		else if (pl->sprintf_ok == 1)
			doctor_add(h, "perl-sprintf", DOCTOR_OK,
			    xasprintf("MHA::NodeUtil (%s) parses version strings (%s)", path,
			        st == DOCTOR_PATCH_NEEDED ? "stock code, harmless with this perl"
			                                  : "not the stock code"),
			    NULL);
		else
			doctor_add(h, "perl-sprintf", DOCTOR_WARN,
			    xasprintf("MHA::NodeUtil (%s): could not test it (%s)", path,
			        pl->sprintf_msg != NULL ? pl->sprintf_msg : "no answer"),
			    xasprintf("%s patches the stock code; see docs/doctor.md", fix_cmd));
		free(detail);
		detail = NULL;
	}

	/* MHA::SlaveUtil: the text alone decides. */
	path = pl->path[DOCTOR_PATCH_SUPER_READ_ONLY];
	sev = sro_severe ? DOCTOR_FAIL : DOCTOR_WARN;
	if (path == NULL) {
		if (node_tools)
			doctor_add(h, "perl-super-read-only", DOCTOR_FAIL,
			    xasprintf("perl cannot load MHA::SlaveUtil: %s",
			        pl->error[DOCTOR_PATCH_SUPER_READ_ONLY]),
			    xstrdup(
			        "apt-get install --reinstall mha4mysql-node libdbd-mysql-perl"));
		return;
	}
	if (pl->read_error[DOCTOR_PATCH_SUPER_READ_ONLY] != NULL) {
		doctor_add(h, "perl-super-read-only", sev,
		    xasprintf("MHA::SlaveUtil (%s): %s", path,
		        pl->read_error[DOCTOR_PATCH_SUPER_READ_ONLY]),
		    xasprintf("make %s readable, or patch it by hand (docs/doctor.md)", path));
		return;
	}
	st = doctor_patch_classify(
	    DOCTOR_PATCH_SUPER_READ_ONLY, pl->text[DOCTOR_PATCH_SUPER_READ_ONLY], &detail);
	switch (st) {
	case DOCTOR_PATCH_APPLIED:
		doctor_add(h, "perl-super-read-only", DOCTOR_OK,
		    xasprintf("MHA::SlaveUtil (%s) treats a missing super_read_only as off "
		              "(patched by mhaadm doctor)",
		        path),
		    NULL);
		break;
	case DOCTOR_PATCH_NEEDED:
		doctor_add(h, "perl-super-read-only", sev,
		    xasprintf("MHA::SlaveUtil (%s) reads @@global.super_read_only, which MariaDB "
		              "lacks: apply_diff_relay_logs and failover die with \"Unknown "
		              "system variable\"%s",
		        path, sro_severe ? "" : " (harmless while every server is MySQL >= 5.7.8)"),
		    xasprintf("%s patches it (backup first); by hand: treat a missing "
		              "super_read_only as off in check_if_super_read_only "
		              "(docs/doctor.md)",
		        fix_cmd));
		break;
	case DOCTOR_PATCH_UNKNOWN:
		doctor_add(h, "perl-super-read-only", sev,
		    xasprintf("MHA::SlaveUtil (%s) is not the stock 0.58 text; cannot patch "
		              "automatically: %s",
		        path, detail),
		    xasprintf(
		        "check check_if_super_read_only in %s by hand (docs/doctor.md)", path));
		break;
	}
	free(detail);
}

/*
 * Findings for MHA's own host key checking: MHA::NodeConst (ssh and scp
 * during a failover, here and on every node) and, on the manager,
 * MHA::ManagerConst (masterha_check_ssh and health checks).
 */
static void
doctor_ssh_findings(
    struct doctor_host *h, const struct doctor_probe *pl, int manager, const char *fix_cmd)
{
	static const enum doctor_patch which[] = {DOCTOR_PATCH_SSH_ALIVE, DOCTOR_PATCH_SSH_CHECK};
	const struct doctor_patch_def *def;
	enum doctor_patch p;
	char *detail = NULL;
	size_t i;

	if (pl->perl_exit != 0)
		return; /* doctor_perl_findings said so */
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		p = which[i];
		def = &doctor_patches[p];
		if (p == DOCTOR_PATCH_SSH_CHECK && !manager)
			continue;
		if (pl->path[p] == NULL) {
			/* Missing MHA modules are reported by the tool checks. */
			continue;
		}
		if (pl->read_error[p] != NULL) {
			doctor_add(h, def->check, DOCTOR_FAIL,
			    xasprintf("%s (%s): %s", def->module, pl->path[p], pl->read_error[p]),
			    xasprintf("make %s readable, or patch it by hand (docs/doctor.md)",
			        pl->path[p]));
			continue;
		}
		switch (doctor_patch_classify(p, pl->text[p], &detail)) {
		case DOCTOR_PATCH_APPLIED:
			doctor_add(h, def->check, DOCTOR_OK,
			    xasprintf("%s (%s): MHA's ssh checks host keys against ssh_known_hosts "
			              "(patched by mhaadm doctor)",
			        def->module, pl->path[p]),
			    NULL);
			break;
		case DOCTOR_PATCH_NEEDED:
			doctor_add(h, def->check, DOCTOR_FAIL,
			    xasprintf("%s (%s) puts StrictHostKeyChecking=no before ssh_options: "
			              "MHA's own ssh%s accepts any host key, the pinned ones are "
			              "not enforced",
			        def->module, pl->path[p],
			        p == DOCTOR_PATCH_SSH_CHECK ? " checks" : " and scp"),
			    xasprintf("%s patches it to StrictHostKeyChecking=yes (backup first)",
			        fix_cmd));
			break;
		case DOCTOR_PATCH_UNKNOWN:
			doctor_add(h, def->check, DOCTOR_WARN,
			    xasprintf("%s (%s) is not the stock 0.58 text; cannot patch "
			              "automatically: %s",
			        def->module, pl->path[p], detail),
			    xasprintf("make sure MHA's ssh options in %s do not turn off "
			              "StrictHostKeyChecking (docs/doctor.md)",
			        pl->path[p]));
			break;
		}
		free(detail);
		detail = NULL;
	}
}

/*
 * The two patches that keep a password out of a command line MHA builds
 * (manager only): what each one's findings say.
 */
struct doctor_password_patch {
	enum doctor_patch patch;
	const char *target; /* where MHA would put it: "the VIP hook" */
	const char *leak;   /* the finding while the stock line is there */
	const char *reader; /* "the hook", "the check": who reads mhaadm's config instead */
	const char *arg;    /* the argument MHA would append */
	const char *script; /* the MHA setting it appends it to */
};

static const struct doctor_password_patch doctor_password_patches[] = {
    {DOCTOR_PATCH_HOOK_PASSWORD, "the VIP hook",
        "puts the new master's password into the VIP hook's command line during a "
        "failover, where every local user can read it",
        "the hook", "--new_master_password", "master_ip_failover_script"},
    {DOCTOR_PATCH_SECONDARY_PASSWORD, "secondary_check_script",
        "puts the master's password into secondary_check_script's command line and writes "
        "it into manager.log; start refuses until it is patched",
        "the check", "--master_password", "secondary_check_script"},
};

/* The finding of one doctor_password_patches entry, from the manager's probe. */
static void
doctor_password_finding(struct doctor_host *h, const struct doctor_probe *pl,
    const struct doctor_password_patch *pp, const char *fix_cmd)
{
	const enum doctor_patch p = pp->patch;
	const struct doctor_patch_def *def = &doctor_patches[p];
	char *detail = NULL;

	if (pl->perl_exit != 0 || pl->path[p] == NULL)
		return; /* doctor_perl_findings and the tool checks said so */
	if (pl->read_error[p] != NULL) {
		doctor_add(h, def->check, DOCTOR_FAIL,
		    xasprintf("%s (%s): %s", def->module, pl->path[p], pl->read_error[p]),
		    xasprintf(
		        "make %s readable, or patch it by hand (docs/doctor.md)", pl->path[p]));
		return;
	}
	switch (doctor_patch_classify(p, pl->text[p], &detail)) {
	case DOCTOR_PATCH_APPLIED:
		doctor_add(h, def->check, DOCTOR_OK,
		    xasprintf("%s (%s): MHA passes no password to %s (patched by mhaadm doctor)",
		        def->module, pl->path[p], pp->target),
		    NULL);
		break;
	case DOCTOR_PATCH_NEEDED:
		doctor_add(h, def->check, DOCTOR_FAIL,
		    xasprintf("%s (%s) %s", def->module, pl->path[p], pp->leak),
		    xasprintf("%s patches it to pass none (backup first; %s reads mhaadm's own "
		              "config)",
		        fix_cmd, pp->reader));
		break;
	case DOCTOR_PATCH_UNKNOWN:
		doctor_add(h, def->check, DOCTOR_WARN,
		    xasprintf("%s (%s) is not the stock 0.58 text; cannot patch automatically: %s",
		        def->module, pl->path[p], detail),
		    xasprintf("make sure MHA does not append %s to %s in %s (docs/doctor.md)",
		        pp->arg, pp->script, pl->path[p]));
		break;
	}
	free(detail);
}

int
doctor_local_patch_applied(enum doctor_patch p, char **cause)
{
	struct doctor_exec x = {NULL, DOCTOR_LOCAL_TIMEOUT};
	const struct doctor_patch_def *def = &doctor_patches[p];
	struct doctor_probe pr;
	char *why = NULL, *detail = NULL;
	int rc = -1;

	if (doctor_probe_run(&x, NULL, 0, &pr, &why) != 0) {
		*cause = xasprintf("cannot check %s: %s; run 'mhaadm doctor'", def->module, why);
		free(why);
		return -1;
	}
	if (pr.path[p] == NULL || pr.text[p] == NULL)
		*cause = xasprintf("cannot read %s: %s; run 'mhaadm doctor'", def->module,
		    pr.error[p] != NULL        ? pr.error[p]
		    : pr.read_error[p] != NULL ? pr.read_error[p]
		                               : "not found");
	else if (doctor_patch_classify(p, pr.text[p], &detail) == DOCTOR_PATCH_APPLIED)
		rc = 0;
	else
		*cause = xasprintf("%s (%s) is not patched (%s): MHA would put the password into "
		                   "a command line and its log; run 'mhaadm doctor --fix'",
		    def->module, pr.path[p], detail != NULL ? detail : "stock 0.58 text");
	free(detail);
	doctor_probe_clear(&pr);
	return rc;
}

/* ---- The manager host --------------------------------------------------- */

static const char *const doctor_manager_bins[] = {
    "masterha_manager",
    "masterha_check_repl",
    "masterha_check_ssh",
    "masterha_check_status",
    "masterha_stop",
    "masterha_master_switch",
    "save_binary_logs",
    "apply_diff_relay_logs",
    "perl",
};

/* Names of the programs among names[from..to) that t did not find, or NULL. */
static char *
doctor_missing(const struct doctor_probe *t, const char *const *names, size_t from, size_t to)
{
	char *s = NULL, *n;
	size_t i;

	for (i = from; i < to; i++) {
		if (doctor_probe_bin(t, names[i]) != NULL)
			continue;
		n = s == NULL ? xstrdup(names[i]) : xasprintf("%s, %s", s, names[i]);
		free(s);
		s = n;
	}
	return s;
}

/* mha4mysql-node: the node tools every host (manager included) needs. */
static int
doctor_node_tools_finding(struct doctor_host *h, const struct doctor_probe *t)
{
	static const char *const bins[] = {"save_binary_logs", "apply_diff_relay_logs"};
	char *missing = doctor_missing(t, bins, 0, 2);

	if (missing != NULL) {
		doctor_add(h, "mha-node", DOCTOR_FAIL,
		    xasprintf("mha4mysql-node is not installed: %s not found%s", missing,
		        t->pkg_node ? " although the package is" : ""),
		    xstrdup("apt-get install mha4mysql-node"));
		free(missing);
		return 0;
	}
	doctor_add(h, "mha-node", DOCTOR_OK,
	    xasprintf("mha4mysql-node is installed (save_binary_logs at %s)",
	        doctor_probe_bin(t, "save_binary_logs")),
	    NULL);
	return 1;
}

/* Runs the manager's checks into h. */
static void
doctor_manager_run(struct doctor_host *h, const struct config *cfg, int sro_severe)
{
	struct doctor_exec x = {NULL, DOCTOR_LOCAL_TIMEOUT};
	struct doctor_probe pr;
	char *cause = NULL, *missing;
	int node_tools;
	size_t i;

	if (doctor_probe_run(&x, doctor_manager_bins,
	        sizeof(doctor_manager_bins) / sizeof(doctor_manager_bins[0]), &pr, &cause) != 0) {
		doctor_add(h, "tools", DOCTOR_FAIL,
		    xasprintf("cannot look for the MHA programs: %s", cause),
		    xstrdup("make sure /bin/sh works and mhaadm may run programs"));
		free(cause);
		return;
	}
	missing = doctor_missing(&pr, doctor_manager_bins, 0, 6);
	if (missing != NULL)
		doctor_add(h, "mha-manager", DOCTOR_FAIL,
		    xasprintf("mha4mysql-manager is not installed: %s not found", missing),
		    xstrdup("apt-get install mha4mysql-manager"));
	else
		doctor_add(h, "mha-manager", DOCTOR_OK,
		    xasprintf("mha4mysql-manager is installed (masterha_manager at %s)",
		        doctor_probe_bin(&pr, "masterha_manager")),
		    NULL);
	node_tools = doctor_node_tools_finding(h, &pr) || missing == NULL;
	free(missing);
	doctor_perl_findings(h, &pr, node_tools, "mhaadm doctor --fix", sro_severe);
	doctor_ssh_findings(h, &pr, 1, "mhaadm doctor --fix");
	for (i = 0; i < sizeof(doctor_password_patches) / sizeof(doctor_password_patches[0]); i++)
		doctor_password_finding(h, &pr, &doctor_password_patches[i], "mhaadm doctor --fix");
	doctor_probe_clear(&pr);

	if (cfg != NULL && (cfg->repl_user == NULL || *cfg->repl_user == '\0'))
		doctor_add(h, "repl-user", DOCTOR_WARN,
		    xasprintf("repl_user is not set in %s: MHA will re-point replicas with "
		              "whatever account they use now, and doctor cannot check it",
		        cfg->path != NULL ? cfg->path : "the configuration"),
		    xstrdup("set repl_user (and repl_password) to the replication account"));
}

/*
 * Fixes what can be fixed among h's Perl findings on the host, with the
 * modules as the probe reads them now. Returns the number of findings it
 * tried to fix; what happened goes into changed[patch].
 */
static int
doctor_fix_perl(struct doctor_exec *x, struct doctor_host *h, const char *const *names, size_t n,
    char *changed[DOCTOR_PATCH_COUNT])
{
	struct doctor_probe pr;
	struct doctor_finding *f;
	char *cause = NULL;
	int i, tried = 0, r;

	for (i = 0; i < DOCTOR_PATCH_COUNT; i++)
		changed[i] = NULL;
	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		f = doctor_find(h, doctor_patches[i].check);
		if (f != NULL && f->severity != DOCTOR_OK)
			break;
	}
	if (i == DOCTOR_PATCH_COUNT)
		return 0;
	if (doctor_probe_run(x, names, n, &pr, &cause) != 0) {
		free(cause);
		return 0;
	}
	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		f = doctor_find(h, doctor_patches[i].check);
		if (f == NULL || f->severity == DOCTOR_OK || pr.path[i] == NULL ||
		    pr.text[i] == NULL ||
		    doctor_patch_classify((enum doctor_patch)i, pr.text[i], NULL) !=
		        DOCTOR_PATCH_NEEDED)
			continue;
		tried++;
		r = doctor_patch_file(
		    x, (enum doctor_patch)i, pr.path[i], pr.text[i], &changed[i], &cause);
		if (r < 0) {
			changed[i] = xasprintf("not changed: %s", cause);
			free(cause);
			cause = NULL;
		}
	}
	doctor_probe_clear(&pr);
	return tried;
}

/* Puts the fix results onto the findings of the re-check. */
static void
doctor_attach_changed(struct doctor_host *h, char *changed[DOCTOR_PATCH_COUNT])
{
	struct doctor_finding *f;
	int i;

	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		if (changed[i] == NULL)
			continue;
		if ((f = doctor_find(h, doctor_patches[i].check)) != NULL && f->changed == NULL) {
			f->changed = changed[i];
			changed[i] = NULL;
		}
		free(changed[i]);
		changed[i] = NULL;
	}
}

/* 1 unless every node of the clusters is known to run MySQL >= 5.7.8. */
static int
doctor_fleet_lacks_super_read_only(struct registry_cluster *const *clusters, size_t n)
{
	size_t i, j;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < clusters[i]->n_nodes; j++) {
			if (!doctor_version_has_super_read_only(clusters[i]->nodes[j].version))
				return 1;
		}
	}
	return 0;
}

void
doctor_check_manager(struct doctor_report *rep, const struct config *cfg,
    struct registry_cluster *const *clusters, size_t n, const struct doctor_opts *opts)
{
	struct doctor_exec x = {NULL, DOCTOR_LOCAL_TIMEOUT};
	struct doctor_host h = {0}, again = {0};
	char *changed[DOCTOR_PATCH_COUNT] = {NULL};
	int severe = doctor_fleet_lacks_super_read_only(clusters, n);

	if (opts->progress != NULL)
		opts->progress(opts->progress_arg, "checking the manager host");
	h.name = xstrdup("manager");
	doctor_manager_run(&h, cfg, severe);
	if (opts->fix &&
	    doctor_fix_perl(&x, &h, doctor_manager_bins,
	        sizeof(doctor_manager_bins) / sizeof(doctor_manager_bins[0]), changed) > 0) {
		doctor_manager_run(&again, cfg, severe);
		doctor_attach_changed(&again, changed);
		doctor_host_clear(&h);
		h = again;
		h.name = xstrdup("manager");
	}
	doctor_report_push(rep, &h);
}

/* ---- Nodes -------------------------------------------------------------- */

static const char *const doctor_node_bins[] = {
    "save_binary_logs",
    "apply_diff_relay_logs",
    "mysqlbinlog",
    "mariadb-binlog",
    "mysql",
    "mariadb",
    "arping",
    "ip",
    "perl",
};

/* What the MySQL part of a node's check learnt, for the SSH part. */
struct doctor_node_sql {
	int reached;
	char *version;
};

/* arping: mhaadm sends gratuitous ARP with Habets' syntax. */
static void
doctor_arping_finding(struct doctor_host *h, const struct doctor_probe *t)
{
	const char *path = doctor_probe_bin(t, "arping");
	const char *help = t->arping_help != NULL ? t->arping_help : "";

	if (path == NULL) {
		doctor_add(h, "arping", DOCTOR_FAIL,
		    xstrdup("arping not found: no gratuitous ARP after the VIP moves, clients "
		            "keep the old MAC for up to ~25 s"),
		    xstrdup("apt-get install arping"));
	} else if (strstr(help, "Habets") != NULL) {
		doctor_add(h, "arping", DOCTOR_OK,
		    xasprintf("arping at %s is Thomas Habets' arping (-U -c 1 -i IFACE -S VIP VIP)",
		        path),
		    NULL);
	} else if (t->pkg_iputils_arping || strstr(help, "iputils") != NULL ||
	           strstr(help, "-I device") != NULL || strstr(help, "-I <device>") != NULL) {
		doctor_add(h, "arping", DOCTOR_FAIL,
		    xasprintf("arping at %s is iputils-arping; mhaadm sends gratuitous ARP with "
		              "Habets' syntax (-U -c 1 -i IFACE -S VIP VIP)",
		        path),
		    xstrdup("apt-get install arping (it replaces iputils-arping)"));
	} else {
		doctor_add(h, "arping", DOCTOR_WARN,
		    xasprintf("arping at %s is of an unknown kind; mhaadm needs Thomas Habets' "
		              "arping",
		        path),
		    xstrdup("apt-get install arping"));
	}
}

/* The node's tool findings (everything over SSH but the Perl ones). */
static void
doctor_node_tool_findings(struct doctor_host *h, const struct doctor_probe *t)
{
	const char *p;

	if ((p = doctor_probe_bin(t, "mysqlbinlog")) != NULL)
		doctor_add(h, "mysqlbinlog", DOCTOR_OK, xasprintf("mysqlbinlog at %s", p), NULL);
	else if ((p = doctor_probe_bin(t, "mariadb-binlog")) != NULL)
		doctor_add(h, "mysqlbinlog", DOCTOR_FAIL,
		    xasprintf("only %s found: MHA's save_binary_logs runs 'mysqlbinlog' by that "
		              "name",
		        p),
		    xasprintf("ln -s %s /usr/bin/mysqlbinlog (Debian's mariadb-server ships "
		              "that link)",
		        p));
	else
		doctor_add(h, "mysqlbinlog", DOCTOR_FAIL,
		    xstrdup("neither mysqlbinlog nor mariadb-binlog found: MHA cannot save the "
		            "dead master's binary logs"),
		    xstrdup("install the server's client tools (Debian: mariadb-server or "
		            "mysql-server)"));

	if ((p = doctor_probe_bin(t, "mysql")) != NULL)
		doctor_add(h, "mysql-client", DOCTOR_OK, xasprintf("mysql client at %s", p), NULL);
	else
		doctor_add(h, "mysql-client", DOCTOR_FAIL,
		    xasprintf("mysql client not found%s: apply_diff_relay_logs runs 'mysql' by "
		              "that name",
		        doctor_probe_bin(t, "mariadb") != NULL ? " (only mariadb)" : ""),
		    xstrdup("apt-get install mariadb-client-core (or mysql-client)"));

	doctor_arping_finding(h, t);

	if ((p = doctor_probe_bin(t, "ip")) != NULL)
		doctor_add(h, "ip", DOCTOR_OK, xasprintf("ip at %s", p), NULL);
	else
		doctor_add(h, "ip", DOCTOR_FAIL,
		    xstrdup("ip not found: the VIP cannot be added or removed"),
		    xstrdup("apt-get install iproute2"));
}

/* The SSH part of a node's check, on an open connection. */
static void
doctor_node_ssh_run(struct doctor_host *h, struct doctor_exec *x, const char *cluster,
    const struct doctor_node_sql *sql)
{
	struct doctor_probe pr;
	char *cause = NULL, *fix_cmd;
	int node_tools, severe;

	if (doctor_probe_run(x, doctor_node_bins,
	        sizeof(doctor_node_bins) / sizeof(doctor_node_bins[0]), &pr, &cause) != 0) {
		doctor_add(h, "tools", DOCTOR_FAIL,
		    xasprintf("cannot look for the MHA node tools: %s", cause),
		    xstrdup("check that the SSH user has a POSIX login shell"));
		free(cause);
		return;
	}
	node_tools = doctor_node_tools_finding(h, &pr);
	fix_cmd = xasprintf("mhaadm doctor %s --fix", cluster);
	severe = !sql->reached || !doctor_version_has_super_read_only(sql->version);
	doctor_perl_findings(h, &pr, node_tools, fix_cmd, severe);
	doctor_ssh_findings(h, &pr, 0, fix_cmd);
	free(fix_cmd);
	doctor_node_tool_findings(h, &pr);
	doctor_probe_clear(&pr);
}

/* Runs a query and returns its result, or NULL with *cause. */
static MYSQL_RES *
doctor_query(MYSQL *mysql, const char *query, char **cause)
{
	MYSQL_RES *res;

	if (mysql_query(mysql, query) != 0 || (res = mysql_store_result(mysql)) == NULL) {
		*cause = xasprintf("%s: %s", query, mysql_error(mysql));
		return NULL;
	}
	return res;
}

/* Opens a second connection for the checks probe_node does not make. NULL with *cause. */
static MYSQL *
doctor_connect(const struct config *cfg, const char *host, int port, char **cause)
{
	unsigned int ct = cfg->connect_timeout > 0 ? (unsigned int)cfg->connect_timeout : 3;
	unsigned int rt = cfg->read_timeout > 0 ? (unsigned int)cfg->read_timeout : 5;
	unsigned int proto = MYSQL_PROTOCOL_TCP, zero = 0;
	MYSQL *mysql;

	if ((mysql = mysql_init(NULL)) == NULL) {
		*cause = xstrdup("out of memory");
		return NULL;
	}
	/* An option not taken would mean no timeout: a dead host would hang the doctor. */
	if (mysql_options(mysql, MYSQL_OPT_PROTOCOL, &proto) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &ct) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &rt) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &rt) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &zero) != 0) {
		*cause = xasprintf("cannot set connection options: %s", mysql_error(mysql));
		mysql_close(mysql);
		return NULL;
	}
	if (mysql_real_connect(mysql, host, cfg->ha_user,
	        cfg->ha_password != NULL ? cfg->ha_password : "", NULL, (unsigned int)port, NULL,
	        0) == NULL) {
		*cause = xasprintf("cannot connect: %s", mysql_error(mysql));
		mysql_close(mysql);
		return NULL;
	}
	return mysql;
}

/* relay_log_purge and bind_address. */
static void
doctor_node_variables(struct doctor_host *h, MYSQL *mysql, const struct probe_result *pr)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *cause = NULL;

	if (pr->is_replica) {
		if ((res = doctor_query(mysql, "SELECT @@global.relay_log_purge", &cause)) ==
		    NULL) {
			doctor_add(h, "relay-log-purge", DOCTOR_WARN,
			    xasprintf("cannot read relay_log_purge: %s", cause),
			    xstrdup("check it by hand: MHA wants relay_log_purge=0 on replicas"));
			free(cause);
			cause = NULL;
		} else {
			row = mysql_fetch_row(res);
			if (row != NULL && row[0] != NULL && strcmp(row[0], "0") != 0 &&
			    !(pr->using_gtid && strcasestr(pr->version, "mariadb") == NULL))
				doctor_add(h, "relay-log-purge", DOCTOR_WARN,
				    xstrdup("relay_log_purge=1: the SQL thread deletes relay logs "
				            "that MHA may need to recover the other replicas (MHA "
				            "warns \"relay_log_purge=0 is not set\")"),
				    xstrdup("SET GLOBAL relay_log_purge=0 and relay_log_purge=0 in "
				            "my.cnf; purge them from cron with purge_relay_logs "
				            "--disable_relay_log_purge"));
			else
				doctor_add(h, "relay-log-purge", DOCTOR_OK,
				    xstrdup("relay_log_purge=0 (MHA can use the relay logs)"),
				    NULL);
			mysql_free_result(res);
		}
	}

	if ((res = doctor_query(mysql, "SELECT @@global.bind_address", &cause)) == NULL) {
		doctor_add(h, "bind-address", DOCTOR_WARN,
		    xasprintf("cannot read bind_address: %s", cause),
		    xstrdup("make sure the server listens on all addresses (bind-address = "
		            "0.0.0.0) so that it answers on the VIP"));
		free(cause);
		return;
	}
	row = mysql_fetch_row(res);
	if (row != NULL && !doctor_bind_address_ok(row[0]))
		doctor_add(h, "bind-address", DOCTOR_FAIL,
		    xasprintf("bind_address=%s: the server will not answer on the VIP", row[0]),
		    xstrdup("bind-address = 0.0.0.0 (or ::) in my.cnf, then restart mysqld"));
	else
		doctor_add(h, "bind-address", DOCTOR_OK,
		    xasprintf("bind_address=%s: the server answers on every address, the VIP "
		              "included",
		        row != NULL && row[0] != NULL && *row[0] != '\0' ? row[0] : "(all)"),
		    NULL);
	mysql_free_result(res);
}

/* The privileges of ha_user, from SHOW GRANTS (the lines are never printed). */
static void
doctor_node_grants(
    struct doctor_host *h, MYSQL *mysql, const struct config *cfg, const char *version)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char **lines = NULL, *cause = NULL, *missing, *account = NULL, *at, *global, *sel, *fix;
	size_t n = 0, i;
	int roles = 0;

	if ((res = doctor_query(mysql, "SELECT CURRENT_USER()", &cause)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL &&
		    (at = strrchr(row[0], '@')) != NULL)
			account = xasprintf("'%.*s'@'%s'", (int)(at - row[0]), row[0], at + 1);
		mysql_free_result(res);
	}
	free(cause);
	cause = NULL;
	if (account == NULL)
		account = xasprintf("'%s'@'MANAGER-HOST'", cfg->ha_user);

	if ((res = doctor_query(mysql, "SHOW GRANTS", &cause)) == NULL) {
		doctor_add(h, "ha-user", DOCTOR_WARN,
		    xasprintf("cannot read the grants of %s: %s", account, cause),
		    xstrdup("check by hand that it has SUPER, REPLICATION CLIENT, REPLICATION "
		            "SLAVE, RELOAD, PROCESS and SELECT on mysql.user"));
		free(cause);
		free(account);
		return;
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL)
			continue;
		lines = xreallocarray(lines, n + 1, sizeof(*lines));
		lines[n++] = xstrdup(row[0]);
		if (strncasecmp(row[0], "GRANT ", 6) == 0 && strcasestr(row[0], " ON ") == NULL)
			roles = 1;
	}
	mysql_free_result(res);
	missing = doctor_grants_missing((const char *const *)lines, n, version);
	if (missing == NULL) {
		doctor_add(h, "ha-user", DOCTOR_OK,
		    xasprintf("ha_user %s has the privileges MHA uses", account), NULL);
	} else {
		/* The mysql.user grant, always listed last, is a statement of its own. */
		global = xstrdup(missing);
		if ((sel = strstr(global, "SELECT ON mysql.user")) != NULL)
			*(sel > global ? sel - 2 : sel) = '\0';
		if (*global != '\0' && sel != NULL)
			fix = xasprintf("GRANT %s ON *.* TO %s; GRANT SELECT ON mysql.user TO %s",
			    global, account, account);
		else if (*global != '\0')
			fix = xasprintf("GRANT %s ON *.* TO %s", global, account);
		else
			fix = xasprintf("GRANT SELECT ON mysql.user TO %s", account);
		doctor_add(h, "ha-user", roles ? DOCTOR_WARN : DOCTOR_FAIL,
		    xasprintf("ha_user %s lacks %s%s", account, missing,
		        roles ? " (privileges through roles were not looked at)" : ""),
		    fix);
		free(global);
	}
	free(missing);
	for (i = 0; i < n; i++)
		xfree_secret(lines[i]); /* they hold password hashes */
	free(lines);
	free(account);
}

/* repl_user on a node MHA may promote: MHA's own check (mysql.user, Repl_slave_priv). */
static void
doctor_node_repl_user(struct doctor_host *h, MYSQL *mysql, const char *repl_user)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *esc, *query, *cause = NULL;
	size_t len = strlen(repl_user);
	int rows = 0, priv = 0;

	esc = xmalloc(len * 2 + 1);
	mysql_real_escape_string(mysql, esc, repl_user, (unsigned long)len);
	query = xasprintf("SELECT Host, Repl_slave_priv FROM mysql.user WHERE User = '%s'", esc);
	free(esc);
	res = doctor_query(mysql, query, &cause);
	free(query);
	if (res == NULL) {
		doctor_add(h, "repl-user", DOCTOR_FAIL,
		    xasprintf("cannot check repl_user '%s' as MHA does (SELECT on mysql.user): %s",
		        repl_user, cause),
		    xstrdup("GRANT SELECT ON mysql.user TO ha_user: MHA's check_repl needs it"));
		free(cause);
		return;
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		rows++;
		priv |= row[1] != NULL && strcmp(row[1], "Y") == 0;
	}
	mysql_free_result(res);
	if (rows == 0)
		doctor_add(h, "repl-user", DOCTOR_FAIL,
		    xasprintf("repl_user '%s' does not exist here: after promoting this node the "
		              "other replicas cannot replicate from it",
		        repl_user),
		    xasprintf("CREATE USER '%s'@'REPLICA-NETWORK' ...; GRANT REPLICATION SLAVE ON "
		              "*.* TO it (on the master, so that it replicates everywhere)",
		        repl_user));
	else if (!priv)
		doctor_add(h, "repl-user", DOCTOR_FAIL,
		    xasprintf("repl_user '%s' lacks REPLICATION SLAVE here", repl_user),
		    xasprintf("GRANT REPLICATION SLAVE ON *.* TO '%s'@'HOST'", repl_user));
	else
		doctor_add(h, "repl-user", DOCTOR_OK,
		    xasprintf("repl_user '%s' exists with REPLICATION SLAVE", repl_user), NULL);
}

/*
 * probe_node failed. When it could not even connect, that is the finding;
 * when a query was refused, a second connection still reads the version and
 * the grants, since a missing privilege is the likely reason.
 */
static void
doctor_node_sql_failed(struct doctor_host *h, const struct config *cfg,
    const struct registry_node *nd, const struct probe_result *pr, struct doctor_node_sql *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL *mysql;
	char *cause = NULL;

	if (pr->error == NULL || strncmp(pr->error, "query failed", 12) != 0 ||
	    (mysql = doctor_connect(cfg, nd->host, nd->port, &cause)) == NULL) {
		doctor_add(h, "mysql", DOCTOR_FAIL,
		    xstrdup(pr->error != NULL ? pr->error : "probe failed"),
		    xasprintf("check that mysqld runs on %s:%d and that ha_user '%s' may log in "
		              "from this host",
		        nd->host, nd->port, cfg->ha_user));
		free(cause);
		return;
	}
	doctor_add(h, "mysql", DOCTOR_FAIL, xstrdup(pr->error),
	    xasprintf(
	        "grant ha_user '%s' what the query needs (see the ha-user finding)", cfg->ha_user));
	if ((res = doctor_query(mysql, "SELECT @@version", &cause)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) {
			sql->reached = 1;
			sql->version = xstrdup(row[0]);
		}
		mysql_free_result(res);
	}
	free(cause);
	doctor_node_grants(h, mysql, cfg, sql->version);
	mysql_close(mysql);
}

/* The MySQL part of a node's check, into h; fills *sql for the SSH part. */
static void
doctor_node_sql_run(struct doctor_host *h, const struct config *cfg, const struct registry_node *nd,
    struct doctor_node_sql *sql)
{
	struct probe_credentials cred;
	struct probe_result pr;
	MYSQL *mysql = NULL;
	char *cause = NULL;
	int drivable;

	memset(&pr, 0, sizeof(pr));
	cred.user = cfg->ha_user;
	cred.password = cfg->ha_password != NULL ? cfg->ha_password : "";
	cred.connect_timeout = cfg->connect_timeout;
	cred.read_timeout = cfg->read_timeout;
	if (probe_node(nd->host, nd->port, &cred, &pr) != 0) {
		doctor_node_sql_failed(h, cfg, nd, &pr, sql);
		probe_result_clear(&pr);
		return;
	}
	sql->reached = 1;
	sql->version = xstrdup(pr.version);
	doctor_add(h, "mysql", DOCTOR_OK,
	    xasprintf("%s answers as '%s': %s, read_only=%s", pr.version, cfg->ha_user,
	        pr.is_replica ? "replica" : "not a replica", pr.read_only ? "ON" : "OFF"),
	    NULL);

	drivable = doctor_version_drivable(pr.version);
	if (drivable == 0)
		doctor_add(h, "version", DOCTOR_FAIL,
		    xasprintf("MySQL %s: 8.4 removed SHOW SLAVE STATUS, CHANGE MASTER and RESET "
		              "SLAVE, which MHA 0.58 uses; it cannot fail this server over",
		        pr.version),
		    xstrdup("keep MHA clusters on MySQL <= 8.0 or MariaDB"));
	else if (drivable < 0)
		doctor_add(h, "version", DOCTOR_WARN,
		    xasprintf("cannot read a version number in '%s'", pr.version),
		    xstrdup("check by hand that MHA 0.58 supports this server"));
	else
		doctor_add(h, "version", DOCTOR_OK,
		    xasprintf("%s is a version MHA 0.58 can drive", pr.version), NULL);

	if (!pr.log_bin && !pr.is_replica)
		doctor_add(h, "log-bin", DOCTOR_FAIL,
		    xstrdup("log_bin is off on a server that is not a replica: replicas cannot "
		            "follow it"),
		    xstrdup("log_bin and server_id in my.cnf, then restart mysqld"));
	else if (!pr.log_bin && !nd->no_master)
		doctor_add(h, "log-bin", DOCTOR_WARN,
		    xstrdup("log_bin is off: MHA cannot promote this replica (\"This host cannot "
		            "be a master\")"),
		    xstrdup("log_bin and log_slave_updates in my.cnf, then restart mysqld; or "
		            "register the node with --no-master"));
	else
		doctor_add(h, "log-bin", DOCTOR_OK,
		    xstrdup(pr.log_bin ? "log_bin is on"
		                       : "log_bin is off (never promoted: --no-master)"),
		    NULL);

	if ((mysql = doctor_connect(cfg, nd->host, nd->port, &cause)) == NULL) {
		doctor_add(h, "mysql-checks", DOCTOR_WARN,
		    xasprintf("the remaining MySQL checks could not run: %s", cause),
		    xstrdup("run mhaadm doctor again"));
		free(cause);
		probe_result_clear(&pr);
		return;
	}
	doctor_node_variables(h, mysql, &pr);
	doctor_node_grants(h, mysql, cfg, pr.version);
	if (!nd->no_master && cfg->repl_user != NULL && *cfg->repl_user != '\0')
		doctor_node_repl_user(h, mysql, cfg->repl_user);
	mysql_close(mysql);
	probe_result_clear(&pr);
}

/* Checks one node (fixing its Perl modules with opts->fix) into h. */
static void
doctor_node_check(struct doctor_host *h, const struct config *cfg, const char *cluster,
    const struct registry_node *nd, const struct doctor_opts *opts)
{
	struct doctor_host sqlh = {0}, again = {0};
	struct doctor_node_sql sql = {0, NULL};
	struct ssh_target target;
	struct doctor_exec x;
	char *cause = NULL, *changed[DOCTOR_PATCH_COUNT] = {NULL};

	doctor_node_sql_run(&sqlh, cfg, nd, &sql);

	memset(&target, 0, sizeof(target));
	target.host = nd->host;
	target.port = cfg->ssh_port;
	target.user = cfg->ssh_user;
	target.key_path = cfg->ssh_key;
	target.known_hosts = cfg->ssh_known_hosts;
	target.timeout = cfg->ssh_timeout;
	x.timeout = cfg->ssh_timeout;
	if ((x.ssh = ssh_conn_open(&target, &cause)) == NULL) {
		doctor_add(h, "ssh", DOCTOR_FAIL,
		    xasprintf("cannot ssh to %s@%s:%d: %s", cfg->ssh_user, nd->host,
		        cfg->ssh_port > 0 ? cfg->ssh_port : 22, cause),
		    xasprintf("MHA and mhaadm need key-based ssh as %s: the key %s in the node's "
		              "authorized_keys and the node's host key in %s",
		        cfg->ssh_user, cfg->ssh_key, cfg->ssh_known_hosts));
		free(cause);
	} else {
		doctor_add(h, "ssh", DOCTOR_OK,
		    xasprintf("ssh %s@%s:%d works with a pinned host key", cfg->ssh_user, nd->host,
		        cfg->ssh_port > 0 ? cfg->ssh_port : 22),
		    NULL);
		doctor_node_ssh_run(h, &x, cluster, &sql);
		if (opts->fix &&
		    doctor_fix_perl(&x, h, doctor_node_bins,
		        sizeof(doctor_node_bins) / sizeof(doctor_node_bins[0]), changed) > 0) {
			doctor_add(&again, "ssh", DOCTOR_OK,
			    xasprintf("ssh %s@%s:%d works with a pinned host key", cfg->ssh_user,
			        nd->host, cfg->ssh_port > 0 ? cfg->ssh_port : 22),
			    NULL);
			doctor_node_ssh_run(&again, &x, cluster, &sql);
			doctor_attach_changed(&again, changed);
			doctor_host_clear(h);
			*h = again;
		}
		ssh_conn_close(x.ssh);
	}
	doctor_host_move(h, &sqlh);
	doctor_host_clear(&sqlh);
	free(sql.version);
}

void
doctor_check_cluster(struct doctor_report *rep, const struct config *cfg,
    const struct registry_cluster *c, const struct doctor_opts *opts)
{
	struct doctor_host h;
	char *what;
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		memset(&h, 0, sizeof(h));
		if (opts->progress != NULL) {
			what = xasprintf("checking %s:%d (cluster %s)", c->nodes[i].host,
			    c->nodes[i].port, c->name);
			opts->progress(opts->progress_arg, what);
			free(what);
		}
		doctor_node_check(&h, cfg, c->name, &c->nodes[i], opts);
		h.name = xasprintf("%s:%d", c->nodes[i].host, c->nodes[i].port);
		h.cluster = xstrdup(c->name);
		doctor_report_push(rep, &h);
	}
}
