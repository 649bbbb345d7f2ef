/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: findings for the MHA Perl modules (the 0.58 defects, host key
 * checking, passwords in command lines) and the --fix that patches them.
 */
#include "doctor-internal.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* MHA::NodeUtil: what perl does decides; the text decides whether we can patch. */
static void
doctor_perl_sprintf_finding(
    struct doctor_host *h, const struct doctor_probe *pl, int node_tools, const char *fix_cmd)
{
	const char *path = pl->path[DOCTOR_PATCH_SPRINTF];
	enum doctor_patch_state st;
	char *detail = NULL;

	if (path == NULL) {
		if (node_tools)
			doctor_add(h, "perl-sprintf", DOCTOR_FAIL,
			    xasprintf("perl cannot load MHA::NodeUtil: %s",
			        pl->error[DOCTOR_PATCH_SPRINTF]),
			    xstrdup("apt-get install --reinstall mha4mysql-node"));
		return;
	}
	if (pl->read_error[DOCTOR_PATCH_SPRINTF] != NULL) {
		doctor_add(h, "perl-sprintf", pl->sprintf_ok == 1 ? DOCTOR_WARN : DOCTOR_FAIL,
		    xasprintf("MHA::NodeUtil (%s): %s", path, pl->read_error[DOCTOR_PATCH_SPRINTF]),
		    xasprintf("make %s readable, or patch it by hand (docs/doctor.md)", path));
		return;
	}
	st = doctor_patch_classify(DOCTOR_PATCH_SPRINTF, pl->text[DOCTOR_PATCH_SPRINTF], &detail);
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
}

/* MHA::SlaveUtil: the text alone decides; sro_severe chooses FAIL or WARN. */
static void
doctor_perl_sro_finding(struct doctor_host *h, const struct doctor_probe *pl, int node_tools,
    const char *fix_cmd, int sro_severe)
{
	const char *path = pl->path[DOCTOR_PATCH_SUPER_READ_ONLY];
	enum doctor_severity sev = sro_severe ? DOCTOR_FAIL : DOCTOR_WARN;
	enum doctor_patch_state st;
	char *detail = NULL;

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
 * Findings for the two Perl defects. fix_cmd is the command that fixes them
 * ("mhaadm doctor --fix"); sro_severe says whether the super_read_only
 * defect bites here (MariaDB or an old MySQL) or is only latent.
 */
void
doctor_perl_findings(struct doctor_host *h, const struct doctor_probe *pl, int node_tools,
    const char *fix_cmd, int sro_severe)
{
	if (pl->perl_exit == 127 || pl->perl_exit < 0) {
		doctor_add(h, "perl", DOCTOR_FAIL,
		    xstrdup(pl->perl_exit < 0 ? "the Perl probe did not run" : "perl not found"),
		    xstrdup("MHA is written in Perl: apt-get install mha4mysql-node (pulls in "
		            "perl)"));
		return;
	}
	doctor_perl_sprintf_finding(h, pl, node_tools, fix_cmd);
	doctor_perl_sro_finding(h, pl, node_tools, fix_cmd, sro_severe);
}

/*
 * Findings for MHA's own host key checking: MHA::NodeConst (ssh and scp
 * during a failover, here and on every node) and, on the manager,
 * MHA::ManagerConst (masterha_check_ssh and health checks).
 */
void
doctor_ssh_findings(
    struct doctor_host *h, const struct doctor_probe *pl, int manager, const char *fix_cmd)
{
	static const enum doctor_patch which[] = {DOCTOR_PATCH_SSH_ALIVE, DOCTOR_PATCH_SSH_CHECK};
	const char *check, *module;
	enum doctor_patch p;
	char *detail = NULL;
	size_t i;

	if (pl->perl_exit != 0)
		return; /* doctor_perl_findings said so */
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		p = which[i];
		check = doctor_patch_check(p);
		module = doctor_patch_module(p);
		if (p == DOCTOR_PATCH_SSH_CHECK && !manager)
			continue;
		if (pl->path[p] == NULL) {
			/* Missing MHA modules are reported by the tool checks. */
			continue;
		}
		if (pl->read_error[p] != NULL) {
			doctor_add(h, check, DOCTOR_FAIL,
			    xasprintf("%s (%s): %s", module, pl->path[p], pl->read_error[p]),
			    xasprintf("make %s readable, or patch it by hand (docs/doctor.md)",
			        pl->path[p]));
			continue;
		}
		switch (doctor_patch_classify(p, pl->text[p], &detail)) {
		case DOCTOR_PATCH_APPLIED:
			doctor_add(h, check, DOCTOR_OK,
			    xasprintf("%s (%s): MHA's ssh checks host keys against ssh_known_hosts "
			              "(patched by mhaadm doctor)",
			        module, pl->path[p]),
			    NULL);
			break;
		case DOCTOR_PATCH_NEEDED:
			doctor_add(h, check, DOCTOR_FAIL,
			    xasprintf("%s (%s) puts StrictHostKeyChecking=no before ssh_options: "
			              "MHA's own ssh%s accepts any host key, the pinned ones are "
			              "not enforced",
			        module, pl->path[p],
			        p == DOCTOR_PATCH_SSH_CHECK ? " checks" : " and scp"),
			    xasprintf("%s patches it to StrictHostKeyChecking=yes (backup first)",
			        fix_cmd));
			break;
		case DOCTOR_PATCH_UNKNOWN:
			doctor_add(h, check, DOCTOR_WARN,
			    xasprintf("%s (%s) is not the stock 0.58 text; cannot patch "
			              "automatically: %s",
			        module, pl->path[p], detail),
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
	const char *check = doctor_patch_check(p), *module = doctor_patch_module(p);
	char *detail = NULL;

	if (pl->perl_exit != 0 || pl->path[p] == NULL)
		return; /* doctor_perl_findings and the tool checks said so */
	if (pl->read_error[p] != NULL) {
		doctor_add(h, check, DOCTOR_FAIL,
		    xasprintf("%s (%s): %s", module, pl->path[p], pl->read_error[p]),
		    xasprintf(
		        "make %s readable, or patch it by hand (docs/doctor.md)", pl->path[p]));
		return;
	}
	switch (doctor_patch_classify(p, pl->text[p], &detail)) {
	case DOCTOR_PATCH_APPLIED:
		doctor_add(h, check, DOCTOR_OK,
		    xasprintf("%s (%s): MHA passes no password to %s (patched by mhaadm doctor)",
		        module, pl->path[p], pp->target),
		    NULL);
		break;
	case DOCTOR_PATCH_NEEDED:
		doctor_add(h, check, DOCTOR_FAIL,
		    xasprintf("%s (%s) %s", module, pl->path[p], pp->leak),
		    xasprintf("%s patches it to pass none (backup first; %s reads mhaadm's own "
		              "config)",
		        fix_cmd, pp->reader));
		break;
	case DOCTOR_PATCH_UNKNOWN:
		doctor_add(h, check, DOCTOR_WARN,
		    xasprintf("%s (%s) is not the stock 0.58 text; cannot patch automatically: %s",
		        module, pl->path[p], detail),
		    xasprintf("make sure MHA does not append %s to %s in %s (docs/doctor.md)",
		        pp->arg, pp->script, pl->path[p]));
		break;
	}
	free(detail);
}

void
doctor_password_findings(struct doctor_host *h, const struct doctor_probe *pl, const char *fix_cmd)
{
	size_t i;

	for (i = 0; i < sizeof(doctor_password_patches) / sizeof(doctor_password_patches[0]); i++)
		doctor_password_finding(h, pl, &doctor_password_patches[i], fix_cmd);
}

int
doctor_local_patch_applied(enum doctor_patch p, char **cause)
{
	struct doctor_exec x = {NULL, DOCTOR_LOCAL_TIMEOUT};
	const char *module = doctor_patch_module(p);
	struct doctor_probe pr;
	char *why = NULL, *detail = NULL;
	int rc = -1;

	if (doctor_probe_run(&x, NULL, 0, &pr, &why) != 0) {
		*cause = xasprintf("cannot check %s: %s; run 'mhaadm doctor'", module, why);
		free(why);
		return -1;
	}
	if (pr.path[p] == NULL || pr.text[p] == NULL)
		*cause = xasprintf("cannot read %s: %s; run 'mhaadm doctor'", module,
		    pr.error[p] != NULL        ? pr.error[p]
		    : pr.read_error[p] != NULL ? pr.read_error[p]
		                               : "not found");
	else if (doctor_patch_classify(p, pr.text[p], &detail) == DOCTOR_PATCH_APPLIED)
		rc = 0;
	else
		*cause = xasprintf("%s (%s) is not patched (%s): MHA would put the password into "
		                   "a command line and its log; run 'mhaadm doctor --fix'",
		    module, pr.path[p], detail != NULL ? detail : "stock 0.58 text");
	free(detail);
	doctor_probe_clear(&pr);
	return rc;
}

/*
 * Fixes what can be fixed among h's Perl findings on the host, with the
 * modules as the probe reads them now. Returns the number of findings it
 * tried to fix; what happened goes into changed[patch].
 */
int
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
		f = doctor_find(h, doctor_patch_check((enum doctor_patch)i));
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
		f = doctor_find(h, doctor_patch_check((enum doctor_patch)i));
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
void
doctor_attach_changed(struct doctor_host *h, char *changed[DOCTOR_PATCH_COUNT])
{
	struct doctor_finding *f;
	int i;

	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		if (changed[i] == NULL)
			continue;
		if ((f = doctor_find(h, doctor_patch_check((enum doctor_patch)i))) != NULL &&
		    f->changed == NULL) {
			f->changed = changed[i];
			changed[i] = NULL;
		}
		free(changed[i]);
		changed[i] = NULL;
	}
}
