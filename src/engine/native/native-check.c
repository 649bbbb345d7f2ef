/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What start checks before the native engine takes a cluster: the server
 * flavour, GTID replication, binary logs, read-only replicas; and the
 * replica settings that make a dead master visible within a second.
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

/* Checks one node; with apply, tunes a replica. 0, or -1 with *cause. */
static int
native_check_node(const struct config *cfg, const struct registry_node *n, int apply, char **cause)
{
	MYSQL *m;
	MYSQL_RES *res = NULL, *rs = NULL;
	MYSQL_ROW row = NULL, srow = NULL;
	char *err = NULL, *start_err = NULL, sql[256];
	const char *v, *hb, *retry;
	int rc = -1, r, replica = n->role == REGISTRY_ROLE_REPLICA;

	m = native_sync_connect(
	    n->host, n->port, cfg->ha_user, cfg->ha_password, cfg->connect_timeout, 0, &err);
	if (m == NULL) {
		*cause = err;
		return -1;
	}
	if (native_sync_row(m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_VARIABLES), &res, &row,
	        &err) != 0) {
		*cause = xasprintf("%s:%d: %s", n->host, n->port, err != NULL ? err : "no answer");
		goto out;
	}
	if (native_sql_flavour(row[0]) != NATIVE_FLAVOUR_MARIADB) {
		*cause =
		    xasprintf("%s:%d runs %s: the native engine supports MariaDB only (its MySQL "
		              "statements are not tested yet); use the mha engine for this "
		              "cluster",
		        n->host, n->port, row[0] != NULL ? row[0] : "an unknown server");
		goto out;
	}
	if (row[1] == NULL || strcmp(row[1], "1") != 0) {
		*cause =
		    xasprintf("%s:%d has no binary log: set log_bin in its my.cnf and restart it",
		        n->host, n->port);
		goto out;
	}
	if (replica && (row[2] == NULL || strcmp(row[2], "1") != 0)) {
		*cause = xasprintf("%s:%d has log_slave_updates off: a promoted replica would lack "
		                   "what it replicated; set log_slave_updates=1 in its my.cnf",
		    n->host, n->port);
		goto out;
	}
	if (replica && (row[3] == NULL || strcmp(row[3], "1") != 0)) {
		*cause =
		    xasprintf("%s:%d is a replica but writable: run SET GLOBAL read_only=1 on it "
		              "and set read_only=1 in its my.cnf",
		        n->host, n->port);
		goto out;
	}
	if (!replica) {
		rc = 0;
		goto out;
	}
	r = native_sync_row(
	    m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_REPLICA_STATUS), &rs, &srow, &err);
	if (r != 0) {
		*cause =
		    xasprintf("%s:%d: %s", n->host, n->port, r == 1 ? "is not replicating" : err);
		goto out;
	}
	v = native_conn_field(rs, srow, "Using_Gtid");
	if (v == NULL || strcmp(v, "No") == 0) {
		*cause =
		    xasprintf("%s:%d replicates by file/position: the native engine needs MariaDB "
		              "GTID; convert it with STOP SLAVE; CHANGE MASTER TO "
		              "MASTER_USE_GTID=slave_pos; START SLAVE (mhaadm never converts "
		              "silently)",
		        n->host, n->port);
		goto out;
	}
	hb = native_conn_field(rs, srow, "Slave_heartbeat_period");
	retry = native_conn_field(rs, srow, "Connect_Retry");
	rc = 0;
	if (!apply)
		goto out;
	if (row[5] != NULL && atoi(row[5]) == NATIVE_CHECK_NET_TIMEOUT && hb != NULL &&
	    atof(hb) == NATIVE_CHECK_HEARTBEAT && retry != NULL && atoi(retry) == 1)
		goto out;
	/* The new settings apply when the IO thread reconnects; GTID resumes where it was. */
	native_sql_format(sql, sizeof(sql), NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_NET_TIMEOUT,
	    NATIVE_CHECK_NET_TIMEOUT);
	if (native_sync_exec(m, sql, &err) != 0)
		goto tune_failed;
	if (native_sync_exec(
	        m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_STOP_REPLICA), &err) != 0)
		goto tune_failed;
	native_sql_format(sql, sizeof(sql), NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_FAST_DETECT,
	    NATIVE_CHECK_HEARTBEAT);
	r = native_sync_exec(m, sql, &err);
	/* Replication is started again whatever the change did. */
	if (native_sync_exec(
	        m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_START_REPLICA), &start_err) != 0 &&
	    r == 0) {
		err = start_err;
		start_err = NULL;
		r = -1;
	}
	free(start_err);
	if (r != 0)
		goto tune_failed;
	goto out;
tune_failed:
	*cause = xasprintf("%s:%d: cannot set the fast-detection settings (slave_net_timeout=%d, "
	                   "MASTER_HEARTBEAT_PERIOD=%.1f, MASTER_CONNECT_RETRY=1): %s",
	    n->host, n->port, NATIVE_CHECK_NET_TIMEOUT, NATIVE_CHECK_HEARTBEAT, err);
	rc = -1;
out:
	free(err);
	if (rs != NULL)
		mysql_free_result(rs);
	if (res != NULL)
		mysql_free_result(res);
	mysql_close(m);
	return rc;
}

int
native_check(const struct config *cfg, const struct registry_cluster *c, int apply, char **cause)
{
	size_t i, replicas = 0;

	for (i = 0; i < c->n_nodes; i++) {
		const struct registry_node *n = &c->nodes[i];

		if (n->role != REGISTRY_ROLE_MASTER && n->role != REGISTRY_ROLE_REPLICA)
			continue;
		replicas += n->role == REGISTRY_ROLE_REPLICA;
		if (native_check_node(cfg, n, apply, cause) != 0)
			return -1;
	}
	if (replicas == 0) {
		*cause = xstrdup("no replica to promote");
		return -1;
	}
	return 0;
}
