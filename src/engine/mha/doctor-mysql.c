/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: the check of a node over MySQL, as ha_user: version, log_bin,
 * relay_log_purge, bind_address, the grants, repl_user.
 */
#include "doctor-internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "probe.h"
#include "registry.h"
#include "xmalloc.h"

/* Runs a query and returns its result, or NULL with *cause. */
MYSQL_RES *
doctor_query(MYSQL *mysql, const char *query, char **cause)
{
	MYSQL_RES *res;

	if (mysql_query(mysql, query) != 0 || (res = mysql_store_result(mysql)) == NULL) {
		*cause = xasprintf("%s: %s", query, mysql_error(mysql));
		return NULL;
	}
	return res;
}

/* Opens a second connection for the checks probe_node does not make. NULL with *cause. */
static MYSQL *
doctor_connect(const struct config *cfg, const char *host, int port, char **cause)
{
	unsigned int ct = cfg->connect_timeout > 0 ? (unsigned int)cfg->connect_timeout : 3;
	unsigned int rt = cfg->read_timeout > 0 ? (unsigned int)cfg->read_timeout : 5;
	unsigned int proto = MYSQL_PROTOCOL_TCP, zero = 0;
	MYSQL *mysql;

	if ((mysql = mysql_init(NULL)) == NULL) {
		*cause = xstrdup("out of memory");
		return NULL;
	}
	/* An option not taken would mean no timeout: a dead host would hang the doctor. */
	if (mysql_options(mysql, MYSQL_OPT_PROTOCOL, &proto) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &ct) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &rt) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &rt) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &zero) != 0) {
		*cause = xasprintf("cannot set connection options: %s", mysql_error(mysql));
		mysql_close(mysql);
		return NULL;
	}
	if (mysql_real_connect(mysql, host, cfg->ha_user,
	        cfg->ha_password != NULL ? cfg->ha_password : "", NULL, (unsigned int)port, NULL,
	        0) == NULL) {
		*cause = xasprintf("cannot connect: %s", mysql_error(mysql));
		mysql_close(mysql);
		return NULL;
	}
	return mysql;
}

/* relay_log_purge and bind_address. */
static void
doctor_node_variables(struct doctor_host *h, MYSQL *mysql, const struct probe_result *pr)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *cause = NULL;

	if (pr->is_replica) {
		if ((res = doctor_query(mysql, "SELECT @@global.relay_log_purge", &cause)) ==
		    NULL) {
			doctor_add(h, "relay-log-purge", DOCTOR_WARN,
			    xasprintf("cannot read relay_log_purge: %s", cause),
			    xstrdup("check it by hand: MHA wants relay_log_purge=0 on replicas"));
			free(cause);
			cause = NULL;
		} else {
			row = mysql_fetch_row(res);
			if (row != NULL && row[0] != NULL && strcmp(row[0], "0") != 0 &&
			    !(pr->using_gtid && strcasestr(pr->version, "mariadb") == NULL))
				doctor_add(h, "relay-log-purge", DOCTOR_WARN,
				    xstrdup("relay_log_purge=1: the SQL thread deletes relay logs "
				            "that MHA may need to recover the other replicas (MHA "
				            "warns \"relay_log_purge=0 is not set\")"),
				    xstrdup("SET GLOBAL relay_log_purge=0 and relay_log_purge=0 in "
				            "my.cnf; purge them from cron with purge_relay_logs "
				            "--disable_relay_log_purge"));
			else
				doctor_add(h, "relay-log-purge", DOCTOR_OK,
				    xstrdup("relay_log_purge=0 (MHA can use the relay logs)"),
				    NULL);
			mysql_free_result(res);
		}
	}

	if ((res = doctor_query(mysql, "SELECT @@global.bind_address", &cause)) == NULL) {
		doctor_add(h, "bind-address", DOCTOR_WARN,
		    xasprintf("cannot read bind_address: %s", cause),
		    xstrdup("make sure the server listens on all addresses (bind-address = "
		            "0.0.0.0) so that it answers on the VIP"));
		free(cause);
		return;
	}
	row = mysql_fetch_row(res);
	if (row != NULL && !doctor_bind_address_ok(row[0]))
		doctor_add(h, "bind-address", DOCTOR_FAIL,
		    xasprintf("bind_address=%s: the server will not answer on the VIP", row[0]),
		    xstrdup("bind-address = 0.0.0.0 (or ::) in my.cnf, then restart mysqld"));
	else
		doctor_add(h, "bind-address", DOCTOR_OK,
		    xasprintf("bind_address=%s: the server answers on every address, the VIP "
		              "included",
		        row != NULL && row[0] != NULL && *row[0] != '\0' ? row[0] : "(all)"),
		    NULL);
	mysql_free_result(res);
}

/* repl_user on a node MHA may promote: MHA's own check (mysql.user, Repl_slave_priv). */
static void
doctor_node_repl_user(struct doctor_host *h, MYSQL *mysql, const char *repl_user)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *esc, *query, *cause = NULL;
	size_t len = strlen(repl_user);
	int rows = 0, priv = 0;

	esc = xmalloc(len * 2 + 1);
	mysql_real_escape_string(mysql, esc, repl_user, (unsigned long)len);
	query = xasprintf("SELECT Host, Repl_slave_priv FROM mysql.user WHERE User = '%s'", esc);
	free(esc);
	res = doctor_query(mysql, query, &cause);
	free(query);
	if (res == NULL) {
		doctor_add(h, "repl-user", DOCTOR_FAIL,
		    xasprintf("cannot check repl_user '%s' as MHA does (SELECT on mysql.user): %s",
		        repl_user, cause),
		    xstrdup("GRANT SELECT ON mysql.user TO ha_user: MHA's check_repl needs it"));
		free(cause);
		return;
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		rows++;
		priv |= row[1] != NULL && strcmp(row[1], "Y") == 0;
	}
	mysql_free_result(res);
	if (rows == 0)
		doctor_add(h, "repl-user", DOCTOR_FAIL,
		    xasprintf("repl_user '%s' does not exist here: after promoting this node the "
		              "other replicas cannot replicate from it",
		        repl_user),
		    xasprintf("CREATE USER '%s'@'REPLICA-NETWORK' ...; GRANT REPLICATION SLAVE ON "
		              "*.* TO it (on the master, so that it replicates everywhere)",
		        repl_user));
	else if (!priv)
		doctor_add(h, "repl-user", DOCTOR_FAIL,
		    xasprintf("repl_user '%s' lacks REPLICATION SLAVE here", repl_user),
		    xasprintf("GRANT REPLICATION SLAVE ON *.* TO '%s'@'HOST'", repl_user));
	else
		doctor_add(h, "repl-user", DOCTOR_OK,
		    xasprintf("repl_user '%s' exists with REPLICATION SLAVE", repl_user), NULL);
}

/*
 * probe_node failed. When it could not even connect, that is the finding;
 * when a query was refused, a second connection still reads the version and
 * the grants, since a missing privilege is the likely reason.
 */
static void
doctor_node_sql_failed(struct doctor_host *h, const struct config *cfg,
    const struct registry_node *nd, const struct probe_result *pr, struct doctor_node_sql *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL *mysql;
	char *cause = NULL;

	if (pr->error == NULL || strncmp(pr->error, "query failed", 12) != 0 ||
	    (mysql = doctor_connect(cfg, nd->host, nd->port, &cause)) == NULL) {
		doctor_add(h, "mysql", DOCTOR_FAIL,
		    xstrdup(pr->error != NULL ? pr->error : "probe failed"),
		    xasprintf("check that mysqld runs on %s:%d and that ha_user '%s' may log in "
		              "from this host",
		        nd->host, nd->port, cfg->ha_user));
		free(cause);
		return;
	}
	doctor_add(h, "mysql", DOCTOR_FAIL, xstrdup(pr->error),
	    xasprintf(
	        "grant ha_user '%s' what the query needs (see the ha-user finding)", cfg->ha_user));
	if ((res = doctor_query(mysql, "SELECT @@version", &cause)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) {
			sql->reached = 1;
			sql->version = xstrdup(row[0]);
		}
		mysql_free_result(res);
	}
	free(cause);
	doctor_node_grants(h, mysql, cfg, sql->version);
	mysql_close(mysql);
}

/* The MySQL part of a node's check, into h; fills *sql for the SSH part. */
void
doctor_node_sql_run(struct doctor_host *h, const struct config *cfg, const struct registry_node *nd,
    struct doctor_node_sql *sql)
{
	struct probe_credentials cred;
	struct probe_result pr;
	MYSQL *mysql = NULL;
	char *cause = NULL;
	int drivable;

	memset(&pr, 0, sizeof(pr));
	cred.user = cfg->ha_user;
	cred.password = cfg->ha_password != NULL ? cfg->ha_password : "";
	cred.connect_timeout = cfg->connect_timeout;
	cred.read_timeout = cfg->read_timeout;
	if (probe_node(nd->host, nd->port, &cred, &pr) != 0) {
		doctor_node_sql_failed(h, cfg, nd, &pr, sql);
		probe_result_clear(&pr);
		return;
	}
	sql->reached = 1;
	sql->version = xstrdup(pr.version);
	doctor_add(h, "mysql", DOCTOR_OK,
	    xasprintf("%s answers as '%s': %s, read_only=%s", pr.version, cfg->ha_user,
	        pr.is_replica ? "replica" : "not a replica", pr.read_only ? "ON" : "OFF"),
	    NULL);

	drivable = doctor_version_drivable(pr.version);
	if (drivable == 0)
		doctor_add(h, "version", DOCTOR_FAIL,
		    xasprintf("MySQL %s: 8.4 removed SHOW SLAVE STATUS, CHANGE MASTER and RESET "
		              "SLAVE, which MHA 0.58 uses; it cannot fail this server over",
		        pr.version),
		    xstrdup("keep MHA clusters on MySQL <= 8.0 or MariaDB"));
	else if (drivable < 0)
		doctor_add(h, "version", DOCTOR_WARN,
		    xasprintf("cannot read a version number in '%s'", pr.version),
		    xstrdup("check by hand that MHA 0.58 supports this server"));
	else
		doctor_add(h, "version", DOCTOR_OK,
		    xasprintf("%s is a version MHA 0.58 can drive", pr.version), NULL);

	if (!pr.log_bin && !pr.is_replica)
		doctor_add(h, "log-bin", DOCTOR_FAIL,
		    xstrdup("log_bin is off on a server that is not a replica: replicas cannot "
		            "follow it"),
		    xstrdup("log_bin and server_id in my.cnf, then restart mysqld"));
	else if (!pr.log_bin && !nd->no_master)
		doctor_add(h, "log-bin", DOCTOR_WARN,
		    xstrdup("log_bin is off: MHA cannot promote this replica (\"This host cannot "
		            "be a master\")"),
		    xstrdup("log_bin and log_slave_updates in my.cnf, then restart mysqld; or "
		            "register the node with --no-master"));
	else
		doctor_add(h, "log-bin", DOCTOR_OK,
		    xstrdup(pr.log_bin ? "log_bin is on"
		                       : "log_bin is off (never promoted: --no-master)"),
		    NULL);

	if ((mysql = doctor_connect(cfg, nd->host, nd->port, &cause)) == NULL) {
		doctor_add(h, "mysql-checks", DOCTOR_WARN,
		    xasprintf("the remaining MySQL checks could not run: %s", cause),
		    xstrdup("run mhaadm doctor again"));
		free(cause);
		probe_result_clear(&pr);
		return;
	}
	doctor_node_variables(h, mysql, &pr);
	doctor_node_grants(h, mysql, cfg, pr.version);
	if (!nd->no_master && cfg->repl_user != NULL && *cfg->repl_user != '\0')
		doctor_node_repl_user(h, mysql, cfg->repl_user);
	mysql_close(mysql);
	probe_result_clear(&pr);
}
