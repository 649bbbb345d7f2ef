/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mha engine's doctor: finds (and where it safely can, fixes) what breaks MHA 0.58 on a fleet.
 */
#ifndef MHAADM_DOCTOR_H
#define MHAADM_DOCTOR_H

#include <stddef.h>

#include "doctor-report.h"

struct config;
struct registry_cluster;

/*
 * Checks the manager host (this machine): the MHA manager and node tools,
 * the two MHA 0.58 Perl defects in the modules this perl loads and the
 * configuration's repl_user. clusters (n of them, may be 0) are the ones
 * being checked; their recorded versions decide how serious the
 * super_read_only defect is. With opts->fix the Perl modules are patched
 * (backup first) and the host is checked again. Appends one host to rep.
 */
void doctor_check_manager(struct doctor_report *rep, const struct config *cfg,
    struct registry_cluster *const *clusters, size_t n, const struct doctor_opts *opts);

/*
 * Checks every node of cluster c, one after the other: over SSH (node
 * tools, the Perl defects, mysqlbinlog, arping flavour, ip) and over MySQL
 * as cfg->ha_user (version, log_bin, relay_log_purge, bind_address, the
 * privileges of ha_user and repl_user). An unreachable node is a finding,
 * bounded by the configured timeouts. With opts->fix the node's Perl
 * modules are patched over SSH and the node is checked again. Appends one
 * host per node to rep.
 */
void doctor_check_cluster(struct doctor_report *rep, const struct config *cfg,
    const struct registry_cluster *c, const struct doctor_opts *opts);

/*
 * The MHA 0.58 patches. Each replaces a few exact lines of the stock
 * module with lines that carry the marker "mhaadm doctor", so that a
 * patched file is recognised and never patched twice.
 */
enum doctor_patch {
	DOCTOR_PATCH_SPRINTF,         /* MHA::NodeUtil: "Redundant argument in sprintf" */
	DOCTOR_PATCH_SUPER_READ_ONLY, /* MHA::SlaveUtil: @@global.super_read_only on MariaDB */
	DOCTOR_PATCH_SSH_ALIVE,       /* MHA::NodeConst: StrictHostKeyChecking=no in ssh/scp */
	DOCTOR_PATCH_SSH_CHECK,       /* MHA::ManagerConst: StrictHostKeyChecking=no in checks */
	DOCTOR_PATCH_HOOK_PASSWORD,   /* MHA::MasterFailover: the password in the VIP hook's argv */
	DOCTOR_PATCH_SECONDARY_PASSWORD, /* MHA::HealthCheck: the password in secondary_check's argv
	                                  */
	DOCTOR_PATCH_COUNT               /* the number of patches, not a patch */
};

enum doctor_patch_state {
	DOCTOR_PATCH_NEEDED,  /* the stock 0.58 lines are there, each once: patchable */
	DOCTOR_PATCH_APPLIED, /* our patched lines are there, each once */
	DOCTOR_PATCH_UNKNOWN, /* anything else: cannot patch automatically */
};

/*
 * Whether patch p is applied to the module perl loads on this (manager)
 * host: 0 when it is, -1 with *cause naming the module and the fix
 * ("mhaadm doctor --fix") when it is not or cannot be told. Runs perl
 * locally (well under a second). Used by start for the patches that keep
 * the password out of MHA's command lines and log.
 */
int doctor_local_patch_applied(enum doctor_patch p, char **cause);

/* The Perl module a patch applies to, e.g. "MHA::NodeUtil". */
const char *doctor_patch_module(enum doctor_patch p);

/*
 * Classifies a module's text. For DOCTOR_PATCH_UNKNOWN, *detail (when
 * detail is not NULL) is set to a newly allocated reason; otherwise it is
 * set to NULL.
 */
enum doctor_patch_state doctor_patch_classify(enum doctor_patch p, const char *text, char **detail);

/*
 * Patches a module's text. Returns 0 with the patched text in *out (newly
 * allocated), 1 when text is already patched (*out is NULL), or -1 with
 * *cause ("cannot patch automatically: ...") for any other text.
 */
int doctor_patch_apply(enum doctor_patch p, const char *text, char **out, char **cause);

/*
 * The parts of doctor that decide from text alone, public for the tests.
 *
 * doctor_version_drivable: 1 when MHA 0.58 can drive a server reporting
 * this @@version (MariaDB, MySQL < 8.4), 0 when it cannot (MySQL >= 8.4),
 * -1 when the string does not start with a version number.
 * doctor_bind_address_ok: 1 when @@bind_address (NULL or "" when unset)
 * lets the server answer on every address of the host, so on the VIP too.
 * doctor_grants_missing: from the lines of SHOW GRANTS of ha_user, a newly
 * allocated list of what MHA needs and is not granted ("READ_ONLY ADMIN,
 * PROCESS"), or NULL when nothing is missing; version decides the MariaDB
 * privilege names.
 */
int doctor_version_drivable(const char *version);
int doctor_bind_address_ok(const char *value);
char *doctor_grants_missing(const char *const *lines, size_t n, const char *version);

#endif
