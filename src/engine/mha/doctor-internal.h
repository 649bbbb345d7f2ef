/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the doctor-*.c files share and nothing else sees: the report's
 * builders, the exec layer, the probe's findings, the Perl checks and fixes.
 *
 * The checks only collect findings (severity, one-line message, the fix);
 * printing them is the command's business. Commands on a host run through
 * one small exec layer, locally through spawn_run on the manager host and
 * through ssh_conn_run on a node, so that both get the very same tool and
 * Perl checks and the same patch code.
 *
 *   doctor-patch.c    the MHA 0.58 Perl patches (exact lines) and the text functions
 *   doctor-version.c  what a @@version and bind_address allow
 *   doctor-grants.c   the privileges MHA needs, from SHOW GRANTS
 *   doctor-report.c   findings, hosts, the report
 *   doctor-exec.c     running commands and replacing modules, here or over SSH
 *   doctor-probe.c    one command per host: programs, packages, the Perl modules
 *   doctor-perl.c     findings and fixes for the Perl modules
 *   doctor-tools.c    findings for the programs a host needs
 *   doctor-manager.c  the manager host's check
 *   doctor-node.c     a node's check (SSH part) and the cluster loop
 *   doctor-mysql.c    a node's check over MySQL
 */
#ifndef MHAADM_DOCTOR_INTERNAL_H
#define MHAADM_DOCTOR_INTERNAL_H

#include <stddef.h>

#include <mysql.h>

#include "doctor.h"

struct ssh_conn;
struct registry_node;

/* A module larger than this is not MHA's; refuse rather than patch it. */
#define DOCTOR_MODULE_MAX (4 * 1024 * 1024)

/* Seconds for local commands (perl -c of a module takes well under one). */
#define DOCTOR_LOCAL_TIMEOUT 30

/*
 * A version string with more numbers than parse_mysql_version's format: the
 * stock MHA::NodeUtil dies on it, a patched one returns "010011019 010011".
 */
#define DOCTOR_SAMPLE_VERSION "10.11.19-MariaDB-0+deb12u1-log"

/* The most programs one probe looks for. */
#define DOCTOR_MAX_BINS 16

/* ---- doctor-patch.c ---- */

/* The finding a patch fixes, e.g. "perl-sprintf". */
const char *doctor_patch_check(enum doctor_patch p);

/* ---- doctor-version.c ---- */

/* 1 when a server with this @@version has @@global.super_read_only (MySQL >= 5.7.8). */
int doctor_version_has_super_read_only(const char *version);
/* 1 for MariaDB >= 10.5.9: SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN. */
int doctor_version_needs_master_admin(const char *version);
/* 1 for MariaDB >= 10.11: SUPER no longer covers READ_ONLY ADMIN. */
int doctor_version_needs_read_only_admin(const char *version);

/* ---- doctor-exec.c ---- */

/* Where commands run: here (ssh == NULL) or on a node. */
struct doctor_exec {
	struct ssh_conn *ssh;
	int timeout;
};

/* Text without a trailing newline and with newlines as " / ", newly allocated. */
char *doctor_oneline(const char *s);

/*
 * Runs argv on the host, stdin_data (may be NULL) on its stdin (remote
 * only). *out gets the output (locally stdout and stderr together), *err
 * the remote stderr ("" locally). Returns 0 with the exit code in *code, or
 * -1 with *cause when the command could not run.
 */
int doctor_exec_run(struct doctor_exec *x, const char *const *argv, const char *stdin_data,
    char **out, char **err, int *code, char **cause);

/* Reads a whole local file, at most DOCTOR_MODULE_MAX bytes, into *text. 0 or -1 with *cause. */
int doctor_local_read(const char *path, char **text, char **cause);

/*
 * Applies patch p to text, the module at path on the host as just read, and
 * writes the result back there. Returns 0 with a newly allocated "what was
 * changed" in *changed, 1 when it was patched already, -1 with *cause.
 */
int doctor_patch_file(struct doctor_exec *x, enum doctor_patch p, const char *path,
    const char *text, char **changed, char **cause);

/* ---- doctor-probe.c ---- */

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

/*
 * Runs the probe on the host, looking for the n programs in names (at
 * most DOCTOR_MAX_BINS). Module texts are read in-band on a node and with
 * read(2) here. Returns 0, or -1 with *cause when the probe could not run.
 */
int doctor_probe_run(struct doctor_exec *x, const char *const *names, size_t n,
    struct doctor_probe *pr, char **cause);
/* Frees what pr owns and zeroes it. */
void doctor_probe_clear(struct doctor_probe *pr);
/* Where the probe found program name, or NULL. */
const char *doctor_probe_bin(const struct doctor_probe *pr, const char *name);

/* ---- doctor-perl.c ---- */

/*
 * Findings for the two Perl defects. fix_cmd is the command that fixes them
 * ("mhaadm doctor --fix"); sro_severe says whether the super_read_only
 * defect bites here (MariaDB or an old MySQL) or is only latent.
 */
void doctor_perl_findings(struct doctor_host *h, const struct doctor_probe *pl, int node_tools,
    const char *fix_cmd, int sro_severe);
/* Findings for MHA's own host key checking (manager: MHA::ManagerConst too). */
void doctor_ssh_findings(
    struct doctor_host *h, const struct doctor_probe *pl, int manager, const char *fix_cmd);
/* Findings for the patches that keep a password out of MHA's command lines (manager only). */
void doctor_password_findings(
    struct doctor_host *h, const struct doctor_probe *pl, const char *fix_cmd);
/*
 * Fixes what can be fixed among h's Perl findings on the host, with the
 * modules as the probe reads them now. Returns the number of findings it
 * tried to fix; what happened goes into changed[patch].
 */
int doctor_fix_perl(struct doctor_exec *x, struct doctor_host *h, const char *const *names,
    size_t n, char *changed[DOCTOR_PATCH_COUNT]);
/* Puts the fix results onto the findings of the re-check; frees every changed[]. */
void doctor_attach_changed(struct doctor_host *h, char *changed[DOCTOR_PATCH_COUNT]);

/* ---- doctor-tools.c ---- */

/* Names of the programs among names[from..to) that t did not find, or NULL. */
char *doctor_missing(
    const struct doctor_probe *t, const char *const *names, size_t from, size_t to);
/* mha4mysql-node: the node tools every host (manager included) needs. 1 when present. */
int doctor_node_tools_finding(struct doctor_host *h, const struct doctor_probe *t);
/* The node's tool findings (everything over SSH but the Perl ones). */
void doctor_node_tool_findings(struct doctor_host *h, const struct doctor_probe *t);

/* ---- doctor-mysql.c, doctor-grants.c ---- */

/* What the MySQL part of a node's check learnt, for the SSH part. */
struct doctor_node_sql {
	int reached;
	char *version;
};

/* Runs a query and returns its result, or NULL with *cause. */
MYSQL_RES *doctor_query(MYSQL *mysql, const char *query, char **cause);
/* The MySQL part of a node's check, into h; fills *sql for the SSH part. */
void doctor_node_sql_run(struct doctor_host *h, const struct config *cfg,
    const struct registry_node *nd, struct doctor_node_sql *sql);
/* The privileges of ha_user, from SHOW GRANTS (the lines are never printed). */
void doctor_node_grants(
    struct doctor_host *h, MYSQL *mysql, const struct config *cfg, const char *version);

#endif
