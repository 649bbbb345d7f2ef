/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: the check of the manager host (this machine), with --fix.
 */
#include "doctor-internal.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "registry.h"
#include "xmalloc.h"

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

/* Runs the manager's checks into h. */
static void
doctor_manager_run(struct doctor_host *h, const struct config *cfg, int sro_severe)
{
	struct doctor_exec x = {NULL, DOCTOR_LOCAL_TIMEOUT};
	struct doctor_probe pr;
	char *cause = NULL, *missing;
	int node_tools;

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
	doctor_password_findings(h, &pr, "mhaadm doctor --fix");
	doctor_probe_clear(&pr);

	if (cfg != NULL && (cfg->repl_user == NULL || *cfg->repl_user == '\0'))
		doctor_add(h, "repl-user", DOCTOR_WARN,
		    xasprintf("repl_user is not set in %s: MHA will re-point replicas with "
		              "whatever account they use now, and doctor cannot check it",
		        cfg->path != NULL ? cfg->path : "the configuration"),
		    xstrdup("set repl_user (and repl_password) to the replication account"));
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
