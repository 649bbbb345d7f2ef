/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: the check of a cluster's nodes: the SSH part, the fix, the loop over nodes.
 */
#include "doctor-internal.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "registry.h"
#include "ssh.h"
#include "xmalloc.h"

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
