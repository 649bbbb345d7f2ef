/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rejoin: after a failover the old master is "failed" in the registry. When
 * it answers again and holds nothing the new master lacks (MaxScale's
 * auto_rejoin gate, replication-manager's rejoin: see
 * shared/research/native-engine.md), it can replicate from the new master
 * with MASTER_USE_GTID=current_pos, which starts from its own last GTID.
 * When it holds more (writes the failover never salvaged, or made on it
 * afterwards), replicating would silently keep a diverged copy, so that is
 * refused and the extra GTIDs named: the DBA rebuilds it or undoes them.
 * Engine-neutral: done with libmariadb on the two servers.
 */
#include "rejoin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "config.h"
#include "gtid.h"
#include "log.h"
#include "probe.h"
#include "registry.h"
#include "ssh.h"
#include "vip.h"
#include "xmalloc.h"

enum rejoin_verdict
rejoin_decide(const struct rejoin_facts *f, char **why, char **extra)
{
	char *errant = NULL, *cause = NULL;
	int r;

	*why = NULL;
	*extra = NULL;
	if (f->role == REGISTRY_ROLE_MASTER) {
		*why = xasprintf("%s is the current master", f->node);
		return REJOIN_REFUSED;
	}
	if (f->role == REGISTRY_ROLE_REPLICA) {
		*why = xasprintf("%s is a replica already, not a failed former master", f->node);
		return REJOIN_REFUSED;
	}
	if (f->role != REGISTRY_ROLE_FAILED) {
		*why = xasprintf("%s is not verified yet (role unknown): run add first", f->node);
		return REJOIN_REFUSED;
	}
	if (f->failing_over) {
		*why = xstrdup("a failover is in progress: try again once it is over");
		return REJOIN_REFUSED;
	}
	if (f->master == NULL) {
		*why = xstrdup("the cluster has no master in the registry to replicate from");
		return REJOIN_REFUSED;
	}
	if (!f->master_answers) {
		*why = xasprintf("the master %s does not answer: %s", f->master,
		    f->master_error != NULL ? f->master_error : "?");
		return REJOIN_REFUSED;
	}
	if (!f->node_answers) {
		*why = xasprintf("%s does not answer (%s): start its mysqld first", f->node,
		    f->node_error != NULL ? f->node_error : "?");
		return REJOIN_REFUSED;
	}
	if (f->holds_vip != 0) {
		*why = f->holds_vip > 0
		           ? xasprintf("%s still holds the VIP: fence it first (the daemon's fence "
		                       "pass removes it, or remove it by hand)",
		                 f->node)
		           : xasprintf("cannot tell whether %s holds the VIP (%s): a rejoin needs "
		                       "SSH to it",
		                 f->node, f->vip_error != NULL ? f->vip_error : "?");
		return REJOIN_REFUSED;
	}
	if (f->node_gtid == NULL || f->master_gtid == NULL) {
		*why = xasprintf("the GTID state of %s is unknown (only MariaDB GTIDs are "
		                 "understood): rebuild it by hand",
		    f->node_gtid == NULL ? f->node : f->master);
		return REJOIN_REFUSED;
	}
	r = gtid_errant(f->node_gtid, f->master_gtid, &errant, &cause);
	if (r < 0) {
		*why = xasprintf("cannot compare the GTID states: %s", cause);
		free(cause);
		return REJOIN_REFUSED;
	}
	if (r == 0)
		return REJOIN_GO;
	*why = xasprintf("%s holds transactions the master %s lacks: %s. Replicating would keep "
	                 "them and diverge. Choices: rebuild %s from a backup of %s (discarding "
	                 "them), or undo them by hand (mariadb-binlog --flashback of those "
	                 "events) and run rejoin again",
	    f->node, f->master, errant, f->node, f->master);
	*extra = errant;
	return REJOIN_ERRANT;
}

/* Runs one statement on an open connection; -1 with *cause (never quoting secret). */
static int
rejoin_exec(
    MYSQL *m, const char *node, const char *sql, const char *what, const char *secret, char **cause)
{
	const char *err;

	if (mysql_query(m, sql) == 0) {
		MYSQL_RES *res = mysql_store_result(m);

		mysql_free_result(res);
		return 0;
	}
	err = mysql_error(m);
	if (secret != NULL && *secret != '\0' && strstr(err, secret) != NULL)
		err = "(message withheld: it quotes the replication password)";
	*cause = xasprintf("%s on %s failed: %s", what, node, err);
	return -1;
}

/* The node's @@gtid_binlog_state over m, newly allocated, or NULL with *cause. */
static char *
rejoin_gtid_state(MYSQL *m, const char *node, char **cause)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	char *s = NULL;

	if (mysql_query(m, "SELECT @@gtid_binlog_state") != 0 ||
	    (res = mysql_store_result(m)) == NULL) {
		*cause = xasprintf("cannot read the GTID state of %s: %s", node, mysql_error(m));
		return NULL;
	}
	if ((row = mysql_fetch_row(res)) != NULL)
		s = xstrdup(row[0] != NULL ? row[0] : "");
	else
		*cause = xasprintf("cannot read the GTID state of %s: no row", node);
	mysql_free_result(res);
	return s;
}

/*
 * Points the node (over m, read-only already) at the master with the
 * config's replication account. The password goes only into the statement
 * sent over the connection, which is wiped afterwards.
 */
static int
rejoin_change_master(MYSQL *m, const struct config *cfg, const char *node, const char *mhost,
    int mport, char **cause)
{
	const char *user = cfg->repl_user != NULL ? cfg->repl_user : "";
	const char *pass = cfg->repl_password != NULL ? cfg->repl_password : "";
	char *e_user = NULL, *e_pass = NULL, *e_host = NULL, *sql = NULL;
	int rc = -1;

	if (*user == '\0') {
		*cause = xstrdup("repl_user is not set in the configuration: the rejoined node "
		                 "needs the replication account");
		return -1;
	}
	e_user = xmalloc(strlen(user) * 2 + 1);
	e_pass = xmalloc(strlen(pass) * 2 + 1);
	e_host = xmalloc(strlen(mhost) * 2 + 1);
	mysql_real_escape_string(m, e_user, user, (unsigned long)strlen(user));
	mysql_real_escape_string(m, e_pass, pass, (unsigned long)strlen(pass));
	mysql_real_escape_string(m, e_host, mhost, (unsigned long)strlen(mhost));
	sql = xasprintf("CHANGE MASTER TO MASTER_HOST = '%s', MASTER_PORT = %d, MASTER_USER = "
	                "'%s', MASTER_PASSWORD = '%s', MASTER_USE_GTID = current_pos, "
	                "MASTER_CONNECT_RETRY = 1",
	    e_host, mport, e_user, e_pass);
	if (rejoin_exec(m, node, "STOP SLAVE", "STOP SLAVE", NULL, cause) == 0 &&
	    rejoin_exec(m, node, sql, "CHANGE MASTER TO", pass, cause) == 0 &&
	    rejoin_exec(m, node, "START SLAVE", "START SLAVE", NULL, cause) == 0)
		rc = 0;
	explicit_bzero(e_pass, strlen(e_pass));
	explicit_bzero(sql, strlen(sql));
	free(e_user);
	free(e_pass);
	free(e_host);
	free(sql);
	return rc;
}

/*
 * Waits (bounded) for both replication threads of the node to run from the
 * master. Returns 0, or -1 with *cause (the server's own error when it has
 * one, e.g. the master no longer has the binlogs the node needs).
 */
static int
rejoin_wait_threads(const struct probe_credentials *cred, const char *host, int port,
    const char *node, const char *mhost, int mport, char **cause)
{
	struct probe_result pr = {0};
	int i, rc = -1;

	for (i = 0; i < REJOIN_THREAD_WAIT * 4; i++) {
		probe_result_clear(&pr);
		memset(&pr, 0, sizeof(pr));
		if (probe_node(host, port, cred, &pr) == 0 && pr.is_replica && pr.io_running &&
		    pr.sql_running && pr.master_host != NULL &&
		    strcmp(pr.master_host, mhost) == 0 && pr.master_port == mport) {
			rc = 0;
			break;
		}
		/* A thread that stopped with an error will not start by itself. */
		if (pr.ok && pr.last_error != NULL && (!pr.io_running || !pr.sql_running))
			break;
		usleep(250 * 1000);
	}
	if (rc != 0)
		*cause = xasprintf("replication on %s from %s:%d did not start within %d s: IO "
		                   "thread %s, SQL thread %s%s%s",
		    node, mhost, mport, REJOIN_THREAD_WAIT,
		    pr.io_running ? "running" : "not running",
		    pr.sql_running ? "running" : "not running", pr.last_error != NULL ? ": " : "",
		    pr.last_error != NULL ? pr.last_error : (pr.ok ? "" : pr.error));
	probe_result_clear(&pr);
	return rc;
}

/*
 * Records the node as a replica again, with the event, in one transaction.
 * Returns 0, 1 when the registry no longer has it failed (another rejoin
 * recorded it meanwhile), -1 with *cause.
 */
static int
rejoin_record(struct registry *reg, const char *cluster, const char *host, int port,
    const char *node, const char *master, const char *gtid, char **cause)
{
	struct registry_cluster *fresh = NULL;
	struct registry_event ev = {0};
	char *msg = NULL;
	size_t i;
	int found = 0, rc = -1;

	if (registry_cluster_get(reg, cluster, &fresh, cause) != 0) {
		if (*cause == NULL)
			*cause = xasprintf("cluster '%s' is gone from the registry", cluster);
		return -1;
	}
	for (i = 0; i < fresh->n_nodes; i++) {
		if (fresh->nodes[i].port == port && strcmp(fresh->nodes[i].host, host) == 0 &&
		    fresh->nodes[i].role == REGISTRY_ROLE_FAILED) {
			fresh->nodes[i].role = REGISTRY_ROLE_REPLICA;
			found = 1;
		}
	}
	if (!found) {
		*cause = xasprintf(
		    "%s is no longer a failed node of cluster '%s' in the registry", node, cluster);
		goto out;
	}
	msg = xasprintf("former master %s rejoined as a read-only replica of %s "
	                "(MASTER_USE_GTID=current_pos, from %s); the engine takes it back as a "
	                "candidate once it has caught up",
	    node, master, *gtid != '\0' ? gtid : "an empty GTID state");
	ev.cluster = (char *)cluster;
	ev.node = (char *)node;
	ev.type = (char *)"replica.rejoined";
	ev.message = msg;
	registry_event_field_set(&ev, "node", node);
	registry_event_field_set(&ev, "master", master);
	registry_event_field_set(&ev, "gtid_binlog_state", gtid);
	if (registry_cluster_update(reg, fresh, &ev, cause) == 0) {
		log_info("event cluster=%s node=%s replica.rejoined: %s", cluster, node, msg);
		rc = 0;
	}
	registry_event_fields_free(&ev);
out:
	free(msg);
	registry_cluster_free(fresh);
	return rc;
}

int
rejoin_node(const struct config *cfg, struct registry *reg, const char *cluster, const char *host,
    int port, char **master, char **why, char **extra)
{
	struct probe_credentials cred = {
	    cfg->ha_user, cfg->ha_password, cfg->connect_timeout, cfg->read_timeout};
	struct registry_cluster *c = NULL;
	const struct registry_node *nd = NULL, *mn = NULL;
	struct probe_result pr[2] = {{0}};
	struct rejoin_facts f = {0};
	struct ssh_target t;
	MYSQL *m = NULL;
	char node[300], mhp[300], *cause = NULL, *gtid = NULL;
	static const char *const read_only[] = {"SET GLOBAL read_only=1", NULL};
	size_t i;
	int rc = 1, r;

	*master = *why = *extra = NULL;
	snprintf(node, sizeof(node), "%s:%d", host, port);
	r = registry_cluster_get(reg, cluster, &c, &cause);
	if (r != 0) {
		*why = r > 0 ? xasprintf("no cluster '%s' in the registry", cluster) : cause;
		return r > 0 ? 1 : -1;
	}
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].port == port && strcmp(c->nodes[i].host, host) == 0)
			nd = &c->nodes[i];
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			mn = &c->nodes[i];
	}
	if (nd == NULL) {
		*why = xasprintf("%s is not a node of cluster '%s'", node, cluster);
		goto out;
	}
	if (mn != NULL) {
		snprintf(mhp, sizeof(mhp), "%s:%d", mn->host, mn->port);
		*master = xstrdup(mhp);
	}
	f.node = node;
	f.master = mn != NULL ? mhp : NULL;
	f.role = (int)nd->role;
	f.failing_over = c->state == REGISTRY_STATE_FAILING_OVER;
	if (nd->role == REGISTRY_ROLE_FAILED && mn != NULL && !f.failing_over) {
		pr[0].host = xstrdup(host);
		pr[0].port = port;
		pr[1].host = xstrdup(mn->host);
		pr[1].port = mn->port;
		probe_many(pr, 2, &cred);
		ssh_target_from_config(&t, cfg, host, cfg->ssh_timeout);
		f.holds_vip = vip_held(&t, c->vip, &cause);
		f.vip_error = cause;
	}
	f.node_answers = pr[0].ok;
	f.node_error = pr[0].error;
	f.master_answers = pr[1].ok;
	f.master_error = pr[1].error;
	f.node_gtid = pr[0].gtid_binlog_state;
	f.master_gtid = pr[1].gtid_binlog_state;
	if (rejoin_decide(&f, why, extra) != REJOIN_GO)
		goto out;

	/* From here on the node is changed: a failure is -1. */
	rc = -1;
	free(cause);
	cause = NULL;
	f.vip_error = NULL;
	if (probe_exec(host, port, &cred, read_only, why) != 0)
		goto out;
	/*
	 * Decided again on what it holds now that it is read-only: a client
	 * may have written between the first read and read_only (one the fence
	 * had not reached yet). Nothing changed but read_only, so a refusal is
	 * still a refusal.
	 */
	if ((m = probe_open(host, port, &cred, why)) == NULL ||
	    (gtid = rejoin_gtid_state(m, node, why)) == NULL)
		goto out;
	f.node_gtid = gtid;
	if (rejoin_decide(&f, why, extra) != REJOIN_GO) {
		rc = 1;
		goto out;
	}
	log_info("cluster=%s node=%s rejoining as a replica of %s from GTID state %s", cluster,
	    node, mhp, *gtid != '\0' ? gtid : "(empty)");
	if (rejoin_change_master(m, cfg, node, mn->host, mn->port, why) != 0)
		goto stop;
	if (rejoin_wait_threads(&cred, host, port, node, mn->host, mn->port, why) != 0)
		goto stop;
	/* Recorded by another rejoin meanwhile: its replication is left running. */
	if ((r = rejoin_record(reg, cluster, host, port, node, mhp, gtid, why)) > 0)
		goto out;
	if (r < 0)
		goto stop;
	rc = 0;
	goto out;
stop:
	/* Read-only and not replicating: as the fence left it, and as quiet. */
	if (mysql_query(m, "STOP SLAVE") != 0)
		log_warn("cluster=%s node=%s STOP SLAVE after a failed rejoin: %s", cluster, node,
		    mysql_error(m));
out:
	if (m != NULL)
		mysql_close(m);
	free(gtid);
	free(cause);
	probe_result_clear(&pr[0]);
	probe_result_clear(&pr[1]);
	registry_cluster_free(c);
	return rc;
}
