/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the native engine needs of a cluster, node by node: the server
 * flavour, binary logs, log_slave_updates, GTID replication, read-only
 * replicas, and the replica settings that make a dead master visible
 * within a second. start refuses on any failure and then sets the
 * fast-detection settings; doctor reports the same findings and with --fix
 * applies the ones that are safe at runtime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "native-sql.h"
#include "native-sync.h"
#include "native.h"
#include "registry.h"
#include "xmalloc.h"

/* Heartbeat every 0.5 s and a 2 s net timeout: a cut link stops the IO thread in 2 s. */
#define NATIVE_CHECK_HEARTBEAT 0.5
#define NATIVE_CHECK_NET_TIMEOUT 2

/* What the checks of one node do beside looking. */
enum native_check_mode {
	NATIVE_CHECK_LOOK,   /* nothing changed */
	NATIVE_CHECK_TUNE,   /* start: the fast-detection settings, on a node without failures */
	NATIVE_CHECK_REPAIR, /* doctor --fix: read_only, fast detection, GTID after its check */
};

/* One node's connection and what it said, while its findings are made. */
struct native_check_node {
	const struct registry_node *n;
	const struct registry_node *master; /* the cluster's master (for BINLOG_GTID_POS) */
	MYSQL *m;
	char hp[300];
};

static void
native_check_add(struct native_check_report *rep, const char *node, const char *check, int fail,
    char *message, char *fix)
{
	struct native_check_finding *f;

	rep->findings = xreallocarray(rep->findings, rep->n + 1, sizeof(*rep->findings));
	f = &rep->findings[rep->n++];
	memset(f, 0, sizeof(*f));
	f->node = xstrdup(node);
	f->check = check;
	f->fail = fail;
	f->message = message;
	f->fix = fix;
}

void
native_check_report_clear(struct native_check_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		free(rep->findings[i].node);
		free(rep->findings[i].message);
		free(rep->findings[i].fix);
		free(rep->findings[i].changed);
	}
	free(rep->findings);
	rep->findings = NULL;
	rep->n = 0;
}

/* The last finding's "changed" line (takes text). */
static void
native_check_changed(struct native_check_report *rep, char *text)
{
	free(rep->findings[rep->n - 1].changed);
	rep->findings[rep->n - 1].changed = text;
}

/* Turns the last finding into an ok one once its fix worked. */
static void
native_check_fixed(struct native_check_report *rep, char *text)
{
	struct native_check_finding *f = &rep->findings[rep->n - 1];

	f->fail = 0;
	f->ok = 1;
	native_check_changed(rep, text);
}

/* The fast-detection settings on a replica (the IO thread is restarted). 0 or -1 with *cause. */
static int
native_check_tune(MYSQL *m, char **cause)
{
	char sql[256], *start_err = NULL;
	int r;

	/* The new settings apply when the IO thread reconnects; GTID resumes where it was. */
	native_sql_format(sql, sizeof(sql), NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_NET_TIMEOUT,
	    NATIVE_CHECK_NET_TIMEOUT);
	if (native_sync_exec(m, sql, cause) != 0)
		return -1;
	if (native_sync_exec(
	        m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_STOP_REPLICA), cause) != 0)
		return -1;
	native_sql_format(sql, sizeof(sql), NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_FAST_DETECT,
	    NATIVE_CHECK_HEARTBEAT);
	r = native_sync_exec(m, sql, cause);
	/* Replication is started again whatever the change did. */
	if (native_sync_exec(
	        m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_START_REPLICA), &start_err) != 0 &&
	    r == 0) {
		*cause = start_err;
		start_err = NULL;
		r = -1;
	}
	free(start_err);
	return r;
}

/* A binlog file name as SHOW SLAVE STATUS gives it: safe to quote in SQL. */
static int
native_check_file_name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 200)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	       strlen(s);
}

/*
 * Converts a file/position replica to MASTER_USE_GTID=slave_pos, only when
 * its gtid_slave_pos is exactly the master's GTID position at the point
 * the replica has applied (BINLOG_GTID_POS on the master): then it resumes
 * at the same transaction. Otherwise it is started again unchanged. Returns
 * 0 with *changed (converted), or -1 with *changed saying why not.
 */
static int
native_check_convert(const struct config *cfg, struct native_check_node *cn, char **changed)
{
	MYSQL *mm = NULL;
	MYSQL_RES *rs = NULL, *r2 = NULL;
	MYSQL_ROW row = NULL, row2 = NULL;
	char *err = NULL, *file = NULL, *slave_pos = NULL, *master_pos = NULL, sql[512];
	const char *v;
	long long pos;
	int rc = -1, stopped = 0;

	if (cn->master == NULL) {
		*changed = xstrdup("not converted: the registry names no master");
		return -1;
	}
	mm = native_sync_connect(cn->master->host, cn->master->port, cfg->ha_user, cfg->ha_password,
	    cfg->connect_timeout, cfg->read_timeout, &err);
	if (mm == NULL) {
		*changed = xasprintf("not converted: %s", err);
		goto out;
	}
	/* Stopped, the SQL thread's position and gtid_slave_pos no longer move. */
	if (native_sync_exec(
	        cn->m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_STOP_REPLICA), &err) != 0) {
		*changed = xasprintf("not converted: STOP SLAVE failed: %s", err);
		goto out;
	}
	stopped = 1;
	if (native_sync_row(cn->m, "SHOW SLAVE STATUS", &rs, &row, &err) != 0) {
		*changed =
		    xasprintf("not converted: SHOW SLAVE STATUS: %s", err != NULL ? err : "no row");
		goto out;
	}
	v = native_conn_field(rs, row, "Relay_Master_Log_File");
	file = v != NULL ? xstrdup(v) : NULL;
	v = native_conn_field(rs, row, "Exec_Master_Log_Pos");
	pos = v != NULL ? atoll(v) : -1;
	if (!native_check_file_name_ok(file) || pos <= 0) {
		*changed = xstrdup("not converted: its applied position is unknown");
		goto out;
	}
	mysql_free_result(rs);
	rs = NULL;
	if (native_sync_row(cn->m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_GTID_SLAVE_POS),
	        &rs, &row, &err) != 0) {
		*changed = xasprintf("not converted: %s", err != NULL ? err : "no gtid_slave_pos");
		goto out;
	}
	slave_pos = xstrdup(row[0] != NULL ? row[0] : "");
	native_sql_format(
	    sql, sizeof(sql), NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_BINLOG_GTID_POS, file, pos);
	if (native_sync_row(mm, sql, &r2, &row2, &err) != 0 || row2[0] == NULL) {
		*changed = xasprintf("not converted: the master cannot say which GTID position "
		                     "%s:%lld is%s%s",
		    file, pos, err != NULL ? ": " : " (its binlog may be purged)",
		    err != NULL ? err : "");
		goto out;
	}
	master_pos = xstrdup(row2[0]);
	if (slave_pos[0] == '\0' || !native_gtid_covers(slave_pos, master_pos) ||
	    !native_gtid_covers(master_pos, slave_pos)) {
		*changed = xasprintf(
		    "not converted: its gtid_slave_pos '%s' is not the master's GTID position at "
		    "what it has applied (%s:%lld = '%s'); after checking, run STOP SLAVE; SET "
		    "GLOBAL gtid_slave_pos = '%s'; CHANGE MASTER TO MASTER_USE_GTID = slave_pos; "
		    "START SLAVE",
		    slave_pos, file, pos, master_pos, master_pos);
		goto out;
	}
	if (native_sync_exec(
	        cn->m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_USE_GTID), &err) != 0) {
		*changed = xasprintf("not converted: %s", err);
		goto out;
	}
	*changed = xasprintf("converted to MASTER_USE_GTID = slave_pos at gtid_slave_pos '%s' "
	                     "(the master's position at %s:%lld)",
	    slave_pos, file, pos);
	rc = 0;
out:
	if (stopped) {
		char *serr = NULL;

		/* Running again, converted or as it was. */
		if (native_sync_exec(cn->m,
		        native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_START_REPLICA), &serr) != 0) {
			char *t = xasprintf("%s; START SLAVE failed: %s", *changed, serr);

			free(*changed);
			*changed = t;
			rc = -1;
		}
		free(serr);
	}
	free(err);
	free(file);
	free(slave_pos);
	free(master_pos);
	if (rs != NULL)
		mysql_free_result(rs);
	if (r2 != NULL)
		mysql_free_result(r2);
	if (mm != NULL)
		mysql_close(mm);
	return rc;
}

/* Findings of one node into rep; in REPAIR mode the safe fixes are applied. */
static void
native_check_node(const struct config *cfg, struct native_check_node *cn,
    enum native_check_mode mode, struct native_check_report *rep)
{
	const struct registry_node *n = cn->n;
	MYSQL_RES *res = NULL, *rs = NULL;
	MYSQL_ROW row = NULL, srow = NULL;
	char *err = NULL, *changed = NULL;
	const char *v, *hb, *retry;
	const char *hp = cn->hp;
	size_t first = rep->n, i;
	int r, replica = n->role == REGISTRY_ROLE_REPLICA, tuned;

	cn->m = native_sync_connect(n->host, n->port, cfg->ha_user, cfg->ha_password,
	    cfg->connect_timeout, cfg->read_timeout, &err);
	if (cn->m == NULL) {
		native_check_add(rep, hp, "connect", 1, err,
		    xasprintf("make %s answer the manager as %s", hp, cfg->ha_user));
		return;
	}
	err = NULL;
	if (native_sync_row(cn->m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_VARIABLES), &res,
	        &row, &err) != 0) {
		native_check_add(rep, hp, "connect", 1,
		    xasprintf("%s: %s", hp, err != NULL ? err : "no answer"), NULL);
		goto out;
	}
	if (native_sql_flavour(row[0]) != NATIVE_FLAVOUR_MARIADB) {
		native_check_add(rep, hp, "flavour", 1,
		    xasprintf("%s runs %s: the native engine supports MariaDB only (its MySQL "
		              "statements are not tested yet)",
		        hp, row[0] != NULL ? row[0] : "an unknown server"),
		    xstrdup("use the mha engine for this cluster (mhaadm add --engine mha)"));
		goto out;
	}
	if (row[1] == NULL || strcmp(row[1], "1") != 0)
		native_check_add(rep, hp, "log-bin", 1, xasprintf("%s has no binary log", hp),
		    xstrdup("add log_bin = mysql-bin under [mariadbd] in its my.cnf and restart it "
		            "(log_bin cannot be set at runtime)"));
	/* Not dynamic in MariaDB 10.11: only the config line and a restart. */
	if (replica && (row[2] == NULL || strcmp(row[2], "1") != 0))
		native_check_add(rep, hp, "log-slave-updates", 1,
		    xasprintf("%s has log_slave_updates off: a promoted replica would lack what "
		              "it replicated",
		        hp),
		    xstrdup("add log_slave_updates = 1 under [mariadbd] in its my.cnf and restart "
		            "it (it cannot be set at runtime)"));
	if (replica && (row[3] == NULL || strcmp(row[3], "1") != 0)) {
		native_check_add(rep, hp, "read-only", 1,
		    xasprintf("%s is a replica but writable", hp),
		    xstrdup("SET GLOBAL read_only = 1 on it (mhaadm doctor --fix does) and add "
		            "read_only = 1 to its my.cnf"));
		if (mode == NATIVE_CHECK_REPAIR) {
			if (native_sync_exec(cn->m,
			        native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_READ_ONLY_ON),
			        &err) == 0)
				native_check_fixed(rep,
				    xstrdup("SET GLOBAL read_only = 1 (add read_only = 1 to its "
				            "my.cnf so that a restart keeps it)"));
			else
				native_check_changed(rep, xasprintf("not changed: %s", err));
			free(err);
			err = NULL;
		}
	}
	if (!replica)
		goto out;
	r = native_sync_row(
	    cn->m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_REPLICA_STATUS), &rs, &srow, &err);
	if (r != 0) {
		native_check_add(rep, hp, "replicating", 1,
		    xasprintf("%s %s", hp, r == 1 ? "is not replicating" : err),
		    r == 1 ? xstrdup("start its replication from the master (START SLAVE, once "
		                     "you know why it stopped)")
		           : NULL);
		goto out;
	}
	v = native_conn_field(rs, srow, "Using_Gtid");
	if (v == NULL || strcmp(v, "No") == 0) {
		native_check_add(rep, hp, "gtid", 1,
		    xasprintf("%s replicates by file/position: the native engine needs MariaDB "
		              "GTID",
		        hp),
		    xstrdup(
		        "convert it with STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID=slave_pos; "
		        "START SLAVE, or let 'mhaadm doctor --fix' do it once it has checked "
		        "that the replica's gtid_slave_pos is where it is (mhaadm never converts "
		        "silently)"));
		if (mode == NATIVE_CHECK_REPAIR) {
			if (native_check_convert(cfg, cn, &changed) == 0)
				native_check_fixed(rep, changed);
			else
				native_check_changed(rep, changed);
			changed = NULL;
			/* The stopped IO thread's columns are stale now: read them again. */
			mysql_free_result(rs);
			rs = NULL;
			if (native_sync_row(cn->m,
			        native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_REPLICA_STATUS), &rs,
			        &srow, &err) != 0)
				goto out;
		}
	}
	hb = native_conn_field(rs, srow, "Slave_heartbeat_period");
	retry = native_conn_field(rs, srow, "Connect_Retry");
	if (row[5] != NULL && atoi(row[5]) == NATIVE_CHECK_NET_TIMEOUT && hb != NULL &&
	    atof(hb) == NATIVE_CHECK_HEARTBEAT && retry != NULL && atoi(retry) == 1)
		goto out;
	/* start sets these itself: a warning, never a refusal. */
	native_check_add(rep, hp, "fast-detection", 0,
	    xasprintf("%s detects a dead master slowly: slave_net_timeout=%s, "
	              "MASTER_HEARTBEAT_PERIOD=%s, MASTER_CONNECT_RETRY=%s (the native engine "
	              "wants %d, %.1f, 1)",
	        hp, row[5] != NULL ? row[5] : "?", hb != NULL ? hb : "?",
	        retry != NULL ? retry : "?", NATIVE_CHECK_NET_TIMEOUT, NATIVE_CHECK_HEARTBEAT),
	    xstrdup("mhaadm start sets them (so does mhaadm doctor --fix); add slave_net_timeout "
	            "= 2 to its my.cnf"));
	tuned = 0;
	if (mode == NATIVE_CHECK_REPAIR) {
		tuned = 1;
	} else if (mode == NATIVE_CHECK_TUNE) {
		/* start tunes only a node nothing is wrong with (a refused start changes nothing).
		 */
		tuned = 1;
		for (i = first; i < rep->n; i++)
			tuned &= !rep->findings[i].fail;
	}
	if (!tuned)
		goto out;
	if (native_check_tune(cn->m, &err) == 0) {
		native_check_fixed(
		    rep, xasprintf("slave_net_timeout = %d, MASTER_HEARTBEAT_PERIOD = "
		                   "%.1f, MASTER_CONNECT_RETRY = 1",
		             NATIVE_CHECK_NET_TIMEOUT, NATIVE_CHECK_HEARTBEAT));
	} else {
		rep->findings[rep->n - 1].fail = 1;
		native_check_changed(
		    rep, xasprintf("cannot set the fast-detection settings (slave_net_timeout=%d, "
		                   "MASTER_HEARTBEAT_PERIOD=%.1f, MASTER_CONNECT_RETRY=1): %s",
		             NATIVE_CHECK_NET_TIMEOUT, NATIVE_CHECK_HEARTBEAT, err));
	}
out:
	free(err);
	if (rs != NULL)
		mysql_free_result(rs);
	if (res != NULL)
		mysql_free_result(res);
	mysql_close(cn->m);
	cn->m = NULL;
}

/* Every node's findings, in the registry's order; one OK finding for a node without any. */
static void
native_check_nodes(const struct config *cfg, const struct registry_cluster *c,
    enum native_check_mode mode, struct native_check_report *rep)
{
	const struct registry_node *master = NULL;
	struct native_check_node cn;
	size_t i, replicas = 0, first;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			master = &c->nodes[i];
	}
	for (i = 0; i < c->n_nodes; i++) {
		const struct registry_node *n = &c->nodes[i];

		if (n->role != REGISTRY_ROLE_MASTER && n->role != REGISTRY_ROLE_REPLICA)
			continue;
		replicas += n->role == REGISTRY_ROLE_REPLICA;
		memset(&cn, 0, sizeof(cn));
		cn.n = n;
		cn.master = master;
		snprintf(cn.hp, sizeof(cn.hp), "%s:%d", n->host, n->port);
		first = rep->n;
		native_check_node(cfg, &cn, mode, rep);
		if (rep->n == first) {
			native_check_add(rep, cn.hp, "native", 0,
			    xasprintf("%s meets what the native engine needs (%s)", cn.hp,
			        n->role == REGISTRY_ROLE_MASTER
			            ? "MariaDB, binary log"
			            : "GTID replication, log_slave_updates, read_only, fast "
			              "detection"),
			    NULL);
			rep->findings[rep->n - 1].ok = 1;
		}
	}
	if (replicas == 0)
		native_check_add(rep, c->name, "replicas", 1,
		    xasprintf("cluster '%s' has no replica to promote", c->name),
		    xstrdup("add a replica and run 'mhaadm add' again"));
}

int
native_check(const struct config *cfg, const struct registry_cluster *c, int apply, char **cause)
{
	struct native_check_report rep = {NULL, 0};
	char *text = NULL, *t;
	size_t i;
	int rc = 0;

	/* Look first: a refused start changes nothing on any node. */
	native_check_nodes(cfg, c, NATIVE_CHECK_LOOK, &rep);
	for (i = 0; i < rep.n; i++) {
		const struct native_check_finding *f = &rep.findings[i];

		if (!f->fail)
			continue;
		t = xasprintf("%s%s%s%s%s", text != NULL ? text : "", text != NULL ? "; " : "",
		    f->message, f->fix != NULL ? ": " : "", f->fix != NULL ? f->fix : "");
		free(text);
		text = t;
		rc = -1;
	}
	native_check_report_clear(&rep);
	if (rc == 0 && apply) {
		native_check_nodes(cfg, c, NATIVE_CHECK_TUNE, &rep);
		for (i = 0; i < rep.n; i++) {
			const struct native_check_finding *f = &rep.findings[i];

			if (!f->fail)
				continue;
			t = xasprintf("%s%s%s", text != NULL ? text : "", text != NULL ? "; " : "",
			    f->changed != NULL ? f->changed : f->message);
			free(text);
			text = t;
			rc = -1;
		}
		native_check_report_clear(&rep);
	}
	if (rc != 0)
		*cause = xasprintf("%s (see 'mhaadm doctor %s')", text, c->name);
	free(text);
	return rc;
}

void
native_doctor(const struct config *cfg, const struct registry_cluster *c, int fix,
    struct native_check_report *rep)
{
	native_check_nodes(cfg, c, fix ? NATIVE_CHECK_REPAIR : NATIVE_CHECK_LOOK, rep);
}
