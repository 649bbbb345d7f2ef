/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Installing the self-fence agent from the manager: its config rendered
 * here, written on the master host through the SSH session (stdin of
 * "mhaadm self-fence --install", never a command line), and the agent
 * started there; stopping it and asking whether it runs.
 */
#include "selffence-install.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "probe.h"
#include "registry.h"
#include "selffence.h"
#include "ssh.h"
#include "status.h"
#include "xmalloc.h"

char *
selffence_remote_path(const struct config *cfg, const char *cluster, const char *host, int port)
{
	/* Host and port in the name: lab hosts share one filesystem. */
	return xasprintf(
	    "%s/self-fence.%s.%s_%d.cnf", cfg->mha_remote_workdir, cluster, host, port);
}

/* mhaadm on the nodes: self_fence_bin, else this very binary (the package's /usr/bin/mhaadm). */
static char *
selffence_bin(const struct config *cfg)
{
	char buf[4096];
	ssize_t n;

	if (cfg->self_fence_bin != NULL)
		return xstrdup(cfg->self_fence_bin);
	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return xstrdup("/usr/bin/mhaadm");
	buf[n] = '\0';
	return xstrdup(buf);
}

/* The master's unix socket (@@socket), or NULL: the agent then uses TCP only. */
static char *
selffence_socket_of(const struct config *cfg, const struct registry_node *m)
{
	struct probe_credentials cred = {
	    cfg->ha_user, cfg->ha_password, cfg->connect_timeout, cfg->read_timeout};
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	MYSQL *mysql;
	char *cause = NULL, *sock = NULL;

	if ((mysql = probe_open(m->host, m->port, &cred, &cause)) == NULL) {
		free(cause);
		return NULL;
	}
	if (mysql_query(mysql, "SELECT @@socket") == 0 &&
	    (res = mysql_store_result(mysql)) != NULL && (row = mysql_fetch_row(res)) != NULL &&
	    row[0] != NULL && row[0][0] == '/')
		sock = xstrdup(row[0]);
	if (res != NULL)
		mysql_free_result(res);
	mysql_close(mysql);
	return sock;
}

/* Runs "BIN self-fence --config PATH OPTION" on host over conn. */
static int
selffence_remote(struct ssh_conn *conn, const struct config *cfg, const char *path,
    const char *option, const char *stdin_text, char **out, int *status, char **cause)
{
	char *bin = selffence_bin(cfg), *err = NULL;
	const char *argv[] = {bin, "self-fence", "--config", path, option, NULL};
	int r;

	r = ssh_conn_run(conn, argv, stdin_text, stdin_text != NULL ? strlen(stdin_text) : 0, out,
	    &err, status, cause);
	if (r == 0 && *status != 0 && *status != 3) {
		*cause = xasprintf("%s self-fence %s exited %d: %s", bin, option, *status,
		    err != NULL && *err != '\0' ? err : "no message");
		r = -1;
	}
	free(err);
	free(bin);
	return r;
}

int
selffence_install(const struct config *cfg, const struct registry_cluster *c,
    const struct registry_node *m, char **done, char **cause)
{
	struct selffence_config sc = {0};
	struct ssh_target t;
	struct ssh_conn *conn = NULL;
	char local[128] = "", peer[128] = "", *text = NULL, *path = NULL, *out = NULL, *nl;
	char *vcause = NULL;
	size_t i;
	int status, rc = -1, seconds;

	config_cluster_self_fence(cfg, c->name, &seconds);
	ssh_target_from_config(&t, cfg, m->host, cfg->ssh_timeout);
	if ((conn = ssh_conn_open(&t, cause)) == NULL)
		return -1;
	sc.cluster = c->name;
	sc.node = xasprintf("%s:%d", m->host, m->port);
	sc.user = cfg->ha_user;
	sc.password = cfg->ha_password;
	sc.socket = selffence_socket_of(cfg, m);
	sc.vip = c->vip;
	sc.vip_prefix = c->vip_prefix;
	sc.iface = c->iface;
	sc.seconds = seconds;
	sc.interval_ms = SELFFENCE_INTERVAL_MS;
	/* The manager as the master sees it: this session's own address, unless configured. */
	if (cfg->self_fence_manager != NULL) {
		if (selffence_peer_parse(cfg->self_fence_manager, &sc.manager, &vcause) != 0) {
			*cause = xasprintf("self_fence_manager: %s", vcause);
			goto out;
		}
	} else {
		ssh_conn_addrs(conn, local, sizeof(local), peer, sizeof(peer));
		if (local[0] == '\0') {
			*cause = xstrdup("cannot tell the manager's address as the master sees it; "
			                 "set self_fence_manager");
			goto out;
		}
		sc.manager.host = xstrdup(local);
		sc.manager.port = cfg->ssh_port > 0 ? cfg->ssh_port : 22;
	}
	sc.replicas = xcalloc(c->n_nodes == 0 ? 1 : c->n_nodes, sizeof(*sc.replicas));
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role != REGISTRY_ROLE_REPLICA || &c->nodes[i] == m)
			continue;
		sc.replicas[sc.n_replicas].host = c->nodes[i].host;
		sc.replicas[sc.n_replicas++].port = c->nodes[i].port;
	}
	text = selffence_config_render(&sc);
	path = selffence_remote_path(cfg, c->name, m->host, m->port);
	if (selffence_remote(conn, cfg, path, "--install", text, &out, &status, cause) != 0)
		goto out;
	if (out != NULL && (nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	*done = xstrdup(out != NULL && *out != '\0' ? out : "self-fence agent started");
	rc = 0;
out:
	if (text != NULL)
		xfree_secret(text);
	free(vcause);
	free(out);
	free(path);
	free(sc.node);
	free(sc.socket);
	free(sc.manager.host);
	free(sc.replicas);
	ssh_conn_close(conn);
	return rc;
}

int
selffence_remote_ctl(const struct config *cfg, const char *cluster, const char *host, int port,
    const char *option, int timeout, char **cause)
{
	struct ssh_target t;
	struct ssh_conn *conn;
	char *path, *out = NULL;
	int status = 0, r;

	ssh_target_from_config(&t, cfg, host, timeout);
	if ((conn = ssh_conn_open(&t, cause)) == NULL)
		return -1;
	path = selffence_remote_path(cfg, cluster, host, port);
	r = selffence_remote(conn, cfg, path, option, NULL, &out, &status, cause);
	if (r == 0)
		r = status == 0 && out != NULL && strncmp(out, "running", 7) == 0 ? 1 : 0;
	free(out);
	free(path);
	ssh_conn_close(conn);
	return r;
}

void
selffence_start_clusters(
    const struct config *cfg, struct registry *reg, struct registry_cluster *const *list, size_t n)
{
	const struct registry_node *m;
	char *done = NULL, *cause = NULL, hp[300];
	size_t i, j;
	int seconds;

	for (i = 0; i < n; i++) {
		if (!config_cluster_self_fence(cfg, list[i]->name, &seconds))
			continue;
		for (m = NULL, j = 0; j < list[i]->n_nodes; j++) {
			if (list[i]->nodes[j].role == REGISTRY_ROLE_MASTER)
				m = &list[i]->nodes[j];
		}
		if (m == NULL)
			continue;
		snprintf(hp, sizeof(hp), "%s:%d", m->host, m->port);
		if (selffence_install(cfg, list[i], m, &done, &cause) != 0) {
			fprintf(stderr,
			    "mhaadm: warning: cluster '%s': self-fence agent not started on %s: "
			    "%s\n",
			    list[i]->name, hp, cause);
			event_emit(reg, list[i]->name, hp, "selffence.failed",
			    "self-fence agent could not be started on master %s: %s", hp, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		printf("%s\n", done);
		event_emit(reg, list[i]->name, hp, "selffence.started",
		    "self-fence agent started on master %s: it fences the master after %d s "
		    "without the manager and every replica",
		    hp, seconds);
		free(done);
		done = NULL;
		/* Former masters may still run one: only the master's agent may fence. */
		for (j = 0; j < list[i]->n_nodes; j++) {
			if (&list[i]->nodes[j] == m ||
			    list[i]->nodes[j].role == REGISTRY_ROLE_FAILED)
				continue;
			if (selffence_remote_ctl(cfg, list[i]->name, list[i]->nodes[j].host,
			        list[i]->nodes[j].port, "--stop", cfg->ssh_timeout, &cause) < 0) {
				free(cause);
				cause = NULL;
			}
		}
	}
}

/* Whether s ("HOST" or "HOST:PORT") names node nd. */
static int
selffence_names(const char *s, const struct registry_node *nd)
{
	size_t hl = strlen(nd->host);
	char port[16];

	if (s == NULL || strncasecmp(s, nd->host, hl) != 0)
		return 0;
	if (s[hl] == '\0')
		return 1;
	snprintf(port, sizeof(port), ":%d", nd->port);
	return strcmp(s + hl, port) == 0;
}

void
selffence_after_failover(const struct config *cfg, struct registry *reg, const char *cluster,
    const char *old_master, const char *new_master)
{
	struct registry_cluster *c = NULL;
	const struct registry_node *m = NULL;
	char *done = NULL, *cause = NULL, hp[300];
	size_t i;
	int seconds;

	if (!config_cluster_self_fence(cfg, cluster, &seconds))
		return;
	if (reg == NULL || registry_cluster_get(reg, cluster, &c, &cause) != 0) {
		log_warn("cluster=%s self-fence agent not moved to the new master (the registry is "
		         "away%s%s): run 'mhaadm start %s'",
		    cluster, cause != NULL ? ": " : "", cause != NULL ? cause : "", cluster);
		free(cause);
		return;
	}
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			m = &c->nodes[i];
	}
	/* A record still spooled: the registry names the old master; never arm the agent there. */
	if (m == NULL || !selffence_names(new_master, m)) {
		log_warn("cluster=%s self-fence agent not moved: the registry does not name %s as "
		         "the master yet; run 'mhaadm start %s'",
		    cluster, new_master, cluster);
		goto out;
	}
	snprintf(hp, sizeof(hp), "%s:%d", m->host, m->port);
	if (selffence_install(cfg, c, m, &done, &cause) != 0) {
		event_emit(reg, cluster, hp, "selffence.failed",
		    "self-fence agent could not be started on the new master %s: %s", hp, cause);
		free(cause);
		cause = NULL;
	} else {
		event_emit(reg, cluster, hp, "selffence.started",
		    "self-fence agent started on the new master %s: it fences it after %d s "
		    "without the manager and every replica",
		    hp, seconds);
		free(done);
	}
	/* The old master is usually unreachable: one short try; a fenced agent does nothing more.
	 */
	for (i = 0; i < c->n_nodes; i++) {
		if (&c->nodes[i] == m || !selffence_names(old_master, &c->nodes[i]))
			continue;
		if (selffence_remote_ctl(cfg, cluster, c->nodes[i].host, c->nodes[i].port, "--stop",
		        1, &cause) < 0) {
			log_info("cluster=%s node=%s:%d self-fence agent not stopped: %s", cluster,
			    c->nodes[i].host, c->nodes[i].port, cause);
			free(cause);
			cause = NULL;
		}
	}
out:
	registry_cluster_free(c);
}

void
selffence_status(const struct config *cfg, struct registry_cluster *const *list,
    struct status_cluster *sc, size_t n)
{
	char *cause = NULL;
	size_t i, j;
	int seconds;

	for (i = 0; i < n; i++) {
		sc[i].selffence_running = -1;
		sc[i].selffence_wanted = list[i]->desired == REGISTRY_DESIRED_MONITORED &&
		                         config_cluster_self_fence(cfg, list[i]->name, &seconds);
		for (j = 0; sc[i].selffence_wanted && j < list[i]->n_nodes; j++) {
			if (list[i]->nodes[j].role != REGISTRY_ROLE_MASTER)
				continue;
			sc[i].selffence_running =
			    selffence_remote_ctl(cfg, list[i]->name, list[i]->nodes[j].host,
			        list[i]->nodes[j].port, "--status", cfg->probe_timeout, &cause);
			if (sc[i].selffence_running < 0) {
				log_info("cluster=%s self-fence agent state unknown: %s",
				    list[i]->name, cause);
				free(cause);
				cause = NULL;
			}
		}
	}
}
