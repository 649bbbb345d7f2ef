/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: the MHA 0.58 Perl patches doctor applies: each one's exact stock lines and
 * their replacements, and the functions that classify and patch a module's text.
 */
#include "doctor-internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* The marker every patched line carries; how a patched module is recognised. */
#define DOCTOR_MARKER "mhaadm doctor"

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

const char *
doctor_patch_check(enum doctor_patch p)
{
	return doctor_patches[p].check;
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
