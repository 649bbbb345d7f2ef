/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Probing MySQL/MariaDB servers with libmariadb: identity, role and replication state. */
#include "probe.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include "xmalloc.h"

/* Used when the credentials leave a timeout at 0 (or below). */
#define PROBE_DEFAULT_CONNECT_TIMEOUT 3
#define PROBE_DEFAULT_READ_TIMEOUT 5

/* At most this many probes run at once in probe_many. */
#define PROBE_MAX_THREADS 64

/* A row of SHOW SLAVE HOSTS; host is "" unless the replica sets report_host. */
struct probe_slave_host {
	char *host;
	int port;
};

/* The work queue of probe_many: each worker takes the next index until none is left. */
struct probe_queue {
	struct probe_result *results;
	size_t n;
	const struct probe_credentials *cred;
	atomic_size_t next;
};

static pthread_once_t probe_library_once = PTHREAD_ONCE_INIT;
static int probe_library_failed;

/*
 * libmariadb must be initialised once, before any thread uses it: mysql_init
 * would do it implicitly, but not safely when two threads race to do it.
 */
static void
probe_library_init(void)
{
	if (mysql_library_init(0, NULL, NULL) != 0)
		probe_library_failed = 1;
}

/* Sets r->error to a newly allocated message about a failed query. */
static void
probe_query_error(struct probe_result *r, MYSQL *mysql, const char *query)
{
	r->error =
	    xasprintf("query failed on %s:%d: %s: %s", r->host, r->port, query, mysql_error(mysql));
}

/*
 * Runs a query that returns rows and stores the whole result. Returns the
 * result (the caller frees it with mysql_free_result) or NULL with r->error
 * set.
 */
static MYSQL_RES *
probe_query(struct probe_result *r, MYSQL *mysql, const char *query)
{
	MYSQL_RES *res;

	if (mysql_query(mysql, query) != 0) {
		probe_query_error(r, mysql, query);
		return NULL;
	}
	res = mysql_store_result(mysql);
	if (res == NULL) {
		if (mysql_field_count(mysql) == 0)
			r->error = xasprintf(
			    "query failed on %s:%d: %s: no result set", r->host, r->port, query);
		else
			probe_query_error(r, mysql, query);
		return NULL;
	}
	return res;
}

/* Index of the column called name (case-blind), or -1 when the result has none. */
static int
probe_column(MYSQL_RES *res, const char *name)
{
	MYSQL_FIELD *fields = mysql_fetch_fields(res);
	unsigned int i, n = mysql_num_fields(res);

	for (i = 0; i < n && i < INT_MAX; i++) {
		if (strcasecmp(fields[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* The value of column col in row: NULL for SQL NULL or a column that is absent. */
static const char *
probe_value(MYSQL_ROW row, int col)
{
	if (col < 0)
		return NULL;
	return row[col];
}

/* Parses a whole non-negative decimal number. Returns 0, or -1 for NULL or anything else. */
static int
probe_number(const char *s, unsigned long long *v)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

/* A port from the server, or 0 when it is not one. */
static int
probe_port(const char *s)
{
	unsigned long long v;

	if (probe_number(s, &v) != 0 || v > 65535)
		return 0;
	return (int)v;
}

/* A boolean variable: 1/ON, 0/OFF. Returns 0, or -1 for anything else. */
static int
probe_bool(const char *s, int *v)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "1") == 0 || strcasecmp(s, "ON") == 0)
		*v = 1;
	else if (strcmp(s, "0") == 0 || strcasecmp(s, "OFF") == 0)
		*v = 0;
	else
		return -1;
	return 0;
}

/* Reads @@version, @@server_id, @@read_only and @@log_bin. Returns 0 or -1 with r->error set. */
static int
probe_variables(struct probe_result *r, MYSQL *mysql)
{
	/*
	 * MariaDB keeps gtid_binlog_state (last GTID per domain and server id)
	 * whether or not replication uses GTID: the errant-transaction check
	 * needs it, and it rides on this query rather than costing a round trip.
	 * The greeting already named the server, so MySQL is never asked for a
	 * variable it does not have.
	 */
	static const char q_mysql[] =
	    "SELECT @@version, @@server_id, @@read_only, @@log_bin, @@log_bin_basename";
	static const char q_mariadb[] = "SELECT @@version, @@server_id, @@read_only, @@log_bin, "
	                                "@@log_bin_basename, @@gtid_binlog_state";
	const char *info = mysql_get_server_info(mysql);
	int mariadb = info != NULL && strstr(info, "MariaDB") != NULL;
	const char *query = mariadb ? q_mariadb : q_mysql;
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long long id;
	int retval = -1;

	if ((res = probe_query(r, mysql, query)) == NULL)
		return -1;
	if (mysql_num_fields(res) != (mariadb ? 6u : 5u) || (row = mysql_fetch_row(res)) == NULL) {
		r->error = xasprintf(
		    "query failed on %s:%d: %s: unexpected result", r->host, r->port, query);
		goto out;
	}
	if (row[0] == NULL || probe_number(row[1], &id) != 0 || id > ULONG_MAX ||
	    probe_bool(row[2], &r->read_only) != 0 || probe_bool(row[3], &r->log_bin) != 0) {
		r->error = xasprintf(
		    "query failed on %s:%d: %s: unexpected values", r->host, r->port, query);
		goto out;
	}
	r->version = xstrdup(row[0]);
	r->server_id = (unsigned long)id;
	/* MHA salvages binlogs from this directory when the server is dead. */
	if (row[4] != NULL && strrchr(row[4], '/') != NULL && strrchr(row[4], '/') != row[4])
		r->binlog_dir = xstrndup(row[4], (size_t)(strrchr(row[4], '/') - row[4]));
	if (mariadb && row[5] != NULL)
		r->gtid_binlog_state = xstrdup(row[5]);
	retval = 0;
out:
	mysql_free_result(res);
	return retval;
}

/* Newly allocated copy of s, or NULL when s is NULL or empty. */
static char *
probe_strdup_nonempty(const char *s)
{
	if (s == NULL || *s == '\0')
		return NULL;
	return xstrdup(s);
}

/*
 * Reads SHOW SLAVE STATUS, by column name since the columns differ between
 * MySQL and MariaDB versions. Returns 0 or -1 with r->error set.
 *
 * Multi-source replication: MariaDB's SHOW SLAVE STATUS shows only the
 * session's default_master_connection, which in our fresh session is the
 * default unnamed connection ''; named connections (SHOW ALL SLAVES STATUS)
 * are deliberately ignored, as MHA 0.58 knows only the default one. MySQL
 * returns one row per channel with a Channel_Name column: we take the row of
 * the default channel "" and ignore named channels the same way; a server
 * with only named channels counts as not a replica.
 */
static int
probe_slave_status(struct probe_result *r, MYSQL *mysql)
{
	static const char query[] = "SHOW SLAVE STATUS";
	MYSQL_RES *res;
	MYSQL_ROW row;
	int c_host, c_port, c_id, c_io, c_sql, c_lag, c_delay, c_gtid, c_auto, c_ioerr;
	int c_sqlerr, c_channel, c_rfile, c_rpos, c_efile, c_epos;
	const char *s, *ioerr, *sqlerr, *rfile, *efile;
	unsigned long long v, rpos, epos;
	int retval = -1;

	if ((res = probe_query(r, mysql, query)) == NULL)
		return -1;
	c_host = probe_column(res, "Master_Host");
	c_port = probe_column(res, "Master_Port");
	c_id = probe_column(res, "Master_Server_Id");
	c_io = probe_column(res, "Slave_IO_Running");
	c_sql = probe_column(res, "Slave_SQL_Running");
	c_lag = probe_column(res, "Seconds_Behind_Master");
	c_delay = probe_column(res, "SQL_Delay");
	c_gtid = probe_column(res, "Using_Gtid");    /* MariaDB */
	c_auto = probe_column(res, "Auto_Position"); /* MySQL */
	c_ioerr = probe_column(res, "Last_IO_Error");
	c_sqlerr = probe_column(res, "Last_SQL_Error");
	c_channel = probe_column(res, "Channel_Name"); /* MySQL >= 5.7 */
	c_rfile = probe_column(res, "Master_Log_File");
	c_rpos = probe_column(res, "Read_Master_Log_Pos");
	c_efile = probe_column(res, "Relay_Master_Log_File");
	c_epos = probe_column(res, "Exec_Master_Log_Pos");

	while ((row = mysql_fetch_row(res)) != NULL) {
		s = probe_value(row, c_channel);
		if (s == NULL || *s == '\0')
			break;
	}
	if (row == NULL) {
		retval = 0; /* not a replica */
		goto out;
	}
	if (c_host < 0 || c_port < 0 || c_io < 0 || c_sql < 0) {
		r->error = xasprintf(
		    "query failed on %s:%d: %s: unexpected columns", r->host, r->port, query);
		goto out;
	}

	r->is_replica = 1;
	r->master_host = xstrdup((s = probe_value(row, c_host)) != NULL ? s : "");
	r->master_port = probe_port(probe_value(row, c_port));
	if (probe_number(probe_value(row, c_id), &v) == 0 && v <= ULONG_MAX)
		r->master_server_id = (unsigned long)v;
	s = probe_value(row, c_io);
	r->io_running = s != NULL && strcasecmp(s, "Yes") == 0;
	s = probe_value(row, c_sql);
	r->sql_running = s != NULL && strcasecmp(s, "Yes") == 0;
	if (probe_number(probe_value(row, c_lag), &v) == 0 && v <= LLONG_MAX)
		r->lag = (long long)v;
	else
		r->lag = -1; /* NULL: the SQL thread does not run or cannot tell */
	if (probe_number(probe_value(row, c_delay), &v) == 0 && v <= INT_MAX)
		r->sql_delay = (int)v;
	/* Within one binlog file the positions are byte offsets of the master's log. */
	rfile = probe_value(row, c_rfile);
	efile = probe_value(row, c_efile);
	if (rfile != NULL && efile != NULL && strcmp(rfile, efile) == 0 &&
	    probe_number(probe_value(row, c_rpos), &rpos) == 0 &&
	    probe_number(probe_value(row, c_epos), &epos) == 0 && rpos >= epos &&
	    rpos - epos <= LLONG_MAX)
		r->relay_behind = (long long)(rpos - epos);
	if ((s = probe_value(row, c_gtid)) != NULL)
		r->using_gtid = *s != '\0' && strcasecmp(s, "No") != 0;
	else if ((s = probe_value(row, c_auto)) != NULL)
		r->using_gtid = strcmp(s, "1") == 0;

	ioerr = probe_value(row, c_ioerr);
	sqlerr = probe_value(row, c_sqlerr);
	if (ioerr != NULL && *ioerr != '\0' && sqlerr != NULL && *sqlerr != '\0')
		r->last_error = xasprintf("%s; %s", ioerr, sqlerr);
	else if ((r->last_error = probe_strdup_nonempty(ioerr)) == NULL)
		r->last_error = probe_strdup_nonempty(sqlerr);
	retval = 0;
out:
	mysql_free_result(res);
	return retval;
}

/* Adds host:port to r->peers unless it is there already. */
static void
probe_peer_add(struct probe_result *r, const char *host, int port)
{
	size_t i;

	for (i = 0; i < r->n_peers; i++) {
		if (r->peers[i].port == port && strcasecmp(r->peers[i].host, host) == 0)
			return;
	}
	r->peers = xreallocarray(r->peers, r->n_peers + 1, sizeof *r->peers);
	r->peers[r->n_peers].host = xstrdup(host);
	r->peers[r->n_peers].port = port;
	r->n_peers++;
}

/*
 * The client address of a processlist Host value: "10.77.0.12:41234" gives
 * "10.77.0.12", "[::1]:41234" gives "::1", a value without a port (a local
 * socket, "localhost") is kept whole. Newly allocated; NULL for "".
 */
static char *
probe_client_host(const char *s)
{
	const char *end;

	if (s == NULL || *s == '\0')
		return NULL;
	if (*s == '[' && (end = strchr(s, ']')) != NULL)
		return end == s + 1 ? NULL : xstrndup(s + 1, (size_t)(end - s - 1));
	if ((end = strrchr(s, ':')) == NULL)
		return xstrdup(s);
	return end == s ? NULL : xstrndup(s, (size_t)(end - s));
}

/*
 * Finds the replicas connected to this server. Returns 0 or -1 with r->error
 * set.
 *
 * Neither source is complete on its own. SHOW SLAVE HOSTS lists every
 * registered replica with its Port, but its Host is empty unless the replica
 * sets report_host (MariaDB 10.11 was seen to fill in the client address
 * instead; older servers and MySQL do not). SHOW PROCESSLIST shows each replica's Binlog Dump
 * thread (also "Binlog Dump GTID" on MySQL) with the address it connects from, but only an
 * ephemeral client port. So the heuristic is:
 *   - every Binlog Dump client IP is a peer; its port is the Port of the
 *     SHOW SLAVE HOSTS row whose Host is that IP, else the only Port when all
 *     SHOW SLAVE HOSTS rows agree on one (the usual fleet with one port),
 *     else the probed server's own port (replicas usually listen on the
 *     master's port);
 *   - every SHOW SLAVE HOSTS row with a non-empty Host not already listed is
 *     a peer too (a replica that reports a host name that we cannot match to
 *     a client IP without DNS may so appear twice, once by name, once by IP).
 * Anything that streams binlogs (mariadb-binlog --read-from-remote-server, a
 * binlog server) looks like a replica here; without the PROCESS privilege
 * only our own threads are visible and the peers come from SHOW SLAVE HOSTS
 * alone.
 */
static int
probe_peers(struct probe_result *r, MYSQL *mysql)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	struct probe_slave_host *sh = NULL;
	size_t n_sh = 0, i;
	int c_host, c_port, c_cmd, one_port = 0, port;
	const char *s;
	char *ip;
	int retval = -1;

	if ((res = probe_query(r, mysql, "SHOW SLAVE HOSTS")) == NULL)
		goto out;
	c_host = probe_column(res, "Host");
	c_port = probe_column(res, "Port");
	while ((row = mysql_fetch_row(res)) != NULL) {
		sh = xreallocarray(sh, n_sh + 1, sizeof *sh);
		s = probe_value(row, c_host);
		sh[n_sh].host = xstrdup(s != NULL ? s : "");
		sh[n_sh].port = probe_port(probe_value(row, c_port));
		if (n_sh == 0)
			one_port = sh[n_sh].port;
		else if (one_port != sh[n_sh].port)
			one_port = 0;
		n_sh++;
	}
	mysql_free_result(res);

	if ((res = probe_query(r, mysql, "SHOW PROCESSLIST")) == NULL)
		goto out;
	c_host = probe_column(res, "Host");
	c_cmd = probe_column(res, "Command");
	while ((row = mysql_fetch_row(res)) != NULL) {
		s = probe_value(row, c_cmd);
		if (s == NULL ||
		    (strcmp(s, "Binlog Dump") != 0 && strcmp(s, "Binlog Dump GTID") != 0))
			continue;
		if ((ip = probe_client_host(probe_value(row, c_host))) == NULL)
			continue;
		port = 0;
		for (i = 0; i < n_sh && port == 0; i++) {
			if (strcasecmp(sh[i].host, ip) == 0)
				port = sh[i].port;
		}
		if (port == 0)
			port = one_port != 0 ? one_port : r->port;
		probe_peer_add(r, ip, port);
		free(ip);
	}
	for (i = 0; i < n_sh; i++) {
		if (sh[i].host[0] != '\0' && sh[i].port != 0)
			probe_peer_add(r, sh[i].host, sh[i].port);
	}
	retval = 0;
out:
	if (res != NULL)
		mysql_free_result(res);
	for (i = 0; i < n_sh; i++)
		free(sh[i].host);
	free(sh);
	return retval;
}

/*
 * Server messages can quote SQL with secrets in it: a replica whose SQL
 * thread failed on a replicated "CREATE USER 'mha'@... IDENTIFIED BY 'pw'"
 * shows the whole statement in Last_SQL_Error. Such messages go to
 * terminals, logs and notifications, so the string literal after each
 * IDENTIFIED BY, PASSWORD and USING is replaced with '***', and so is every
 * copy of our own password. Returns a newly allocated copy of s.
 */
static char *
probe_redact(const char *s, const char *password)
{
	static const char *keywords[] = {"IDENTIFIED BY", "PASSWORD", "USING"};
	size_t len = strlen(s), plen, klen, i, o = 0, k;
	char *out = xmalloc(len * 3 + 1), quote;
	const char *p = s;

	/*
	 * The output is at most three times the input: a one-byte password
	 * becomes "***", and a masked literal adds at most 3 bytes to the 5 or
	 * more of its keyword.
	 */
	plen = password != NULL ? strlen(password) : 0;
	while (*p != '\0') {
		if (plen != 0 && strncmp(p, password, plen) == 0) {
			memcpy(out + o, "***", 3);
			o += 3;
			p += plen;
			continue;
		}
		for (k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
			klen = strlen(keywords[k]);
			if (strncasecmp(p, keywords[k], klen) == 0)
				break;
		}
		if (k == sizeof keywords / sizeof keywords[0]) {
			out[o++] = *p++;
			continue;
		}
		/* Copy the keyword, blanks and an opening parenthesis, then mask a literal. */
		for (i = 0; i < klen; i++)
			out[o++] = *p++;
		while (*p == ' ' || *p == '(')
			out[o++] = *p++;
		if (*p != '\'' && *p != '"')
			continue;
		quote = *p++;
		while (*p != '\0') {
			/*
			 * A doubled quote is not taken for an escaped one: in
			 * "Query: '... IDENTIFIED BY 'pw''" it ends the literal.
			 */
			if (*p == '\\' && p[1] != '\0')
				p += 2;
			else if (*p == quote)
				break;
			else
				p++;
		}
		out[o++] = quote;
		memcpy(out + o, "***", 3);
		o += 3;
		if (*p == quote) {
			out[o++] = quote;
			p++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Redacts *s in place (see probe_redact); NULL is fine. */
static void
probe_redact_field(char **s, const char *password)
{
	char *clean;

	if (*s == NULL)
		return;
	clean = probe_redact(*s, password);
	free(*s);
	*s = clean;
}

/* Sets one unsigned int client option. Returns 0 or -1 with r->error set. */
static int
probe_option(struct probe_result *r, MYSQL *mysql, enum mysql_option option, unsigned int value,
    const char *what)
{
	if (mysql_options(mysql, option, &value) != 0) {
		r->error =
		    xasprintf("cannot connect to %s:%d: cannot set the %s", r->host, r->port, what);
		return -1;
	}
	return 0;
}

/*
 * Probes r->host:r->port, filling the rest of *r. Returns 0 when r->ok, -1
 * with r->error set otherwise.
 *
 * libmariadb reads option files only when MYSQL_READ_DEFAULT_FILE/GROUP is
 * set, which we never do, so no ~/.my.cnf or [client] group can change a
 * probe; and it falls back to $MYSQL_PWD only for a NULL password, so we
 * always pass one.
 */
/*
 * Connects to r->host:r->port with bounded timeouts over TCP. Returns the
 * connection, or NULL with r->error set (password not redacted yet).
 */
static MYSQL *
probe_connect(struct probe_result *r, const struct probe_credentials *cred)
{
	MYSQL *mysql = NULL;
	unsigned int connect_timeout, read_timeout;

	if (r->host == NULL || *r->host == '\0' || r->port <= 0 || r->port > 65535) {
		r->error = xasprintf("cannot connect to %s:%d: bad address",
		    r->host != NULL ? r->host : "", r->port);
		goto out;
	}
	pthread_once(&probe_library_once, probe_library_init);
	if (probe_library_failed) {
		r->error = xasprintf("cannot connect to %s:%d: the MySQL client library failed "
		                     "to initialise",
		    r->host, r->port);
		goto out;
	}
	if ((mysql = mysql_init(NULL)) == NULL) {
		r->error = xasprintf("cannot connect to %s:%d: out of memory", r->host, r->port);
		goto out;
	}

	/*
	 * The connect timeout bounds the TCP connect and, separately, the wait
	 * for the server's greeting (a host that accepts but never answers fails
	 * after it too); the read timeout bounds each query's answer and is also
	 * used for writes.
	 */
	connect_timeout = cred->connect_timeout > 0 ? (unsigned int)cred->connect_timeout
	                                            : PROBE_DEFAULT_CONNECT_TIMEOUT;
	read_timeout =
	    cred->read_timeout > 0 ? (unsigned int)cred->read_timeout : PROBE_DEFAULT_READ_TIMEOUT;
	if (probe_option(r, mysql, MYSQL_OPT_PROTOCOL, MYSQL_PROTOCOL_TCP, "protocol") != 0 ||
	    probe_option(r, mysql, MYSQL_OPT_CONNECT_TIMEOUT, connect_timeout, "connect timeout") !=
	        0 ||
	    probe_option(r, mysql, MYSQL_OPT_READ_TIMEOUT, read_timeout, "read timeout") != 0 ||
	    probe_option(r, mysql, MYSQL_OPT_WRITE_TIMEOUT, read_timeout, "write timeout") != 0 ||
	    probe_option(r, mysql, MYSQL_OPT_LOCAL_INFILE, 0, "local infile option") != 0)
		goto out;

	if (mysql_real_connect(mysql, r->host, cred->user != NULL ? cred->user : "",
	        cred->password != NULL ? cred->password : "", NULL, (unsigned int)r->port, NULL,
	        0) == NULL) {
		r->error =
		    xasprintf("cannot connect to %s:%d: %s", r->host, r->port, mysql_error(mysql));
		goto out;
	}
	return mysql;
out:
	if (mysql != NULL)
		mysql_close(mysql);
	return NULL;
}

/* A whole number from the server, 0 when it is not one. */
static unsigned long long
probe_ull(const char *s)
{
	unsigned long long v;

	return probe_number(s, &v) == 0 ? v : 0;
}

/*
 * Reads the semi-sync settings and status in one round trip. A server
 * without semi-sync (MySQL without the plugin) refuses the query: then
 * r->semisync.known stays 0 and the probe goes on.
 */
static void
probe_semisync(struct probe_result *r, MYSQL *mysql)
{
	static const char query[] =
	    "SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled, "
	    "@@rpl_semi_sync_master_wait_point, @@rpl_semi_sync_master_timeout, "
	    "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
	    "VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS'), "
	    "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
	    "VARIABLE_NAME = 'RPL_SEMI_SYNC_SLAVE_STATUS'), "
	    "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
	    "VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'), "
	    "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
	    "VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_WAIT_SESSIONS')";
	struct probe_semisync *ss = &r->semisync;
	MYSQL_RES *res;
	MYSQL_ROW row;

	memset(ss, 0, sizeof(*ss));
	if (mysql_query(mysql, query) != 0 || (res = mysql_store_result(mysql)) == NULL)
		return;
	if (mysql_num_fields(res) == 8 && (row = mysql_fetch_row(res)) != NULL &&
	    probe_bool(row[0], &ss->master_enabled) == 0 &&
	    probe_bool(row[1], &ss->slave_enabled) == 0) {
		ss->after_sync = row[2] != NULL && strcasecmp(row[2], "AFTER_SYNC") == 0;
		ss->timeout_ms = probe_ull(row[3]);
		if (probe_bool(row[4], &ss->master_on) != 0)
			ss->master_on = 0;
		if (probe_bool(row[5], &ss->slave_on) != 0)
			ss->slave_on = 0;
		ss->clients = (long)probe_ull(row[6]);
		ss->wait_sessions = (long)probe_ull(row[7]);
		ss->known = 1;
	}
	mysql_free_result(res);
}

int
probe_kill_clients(
    const char *host, int port, const struct probe_credentials *cred, long *killed, char **cause)
{
	/*
	 * Replication threads and the server's own run as "system user"; the
	 * replicas' dump threads are left so that the node stays observable.
	 */
	static const char query[] =
	    "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
	    "USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user', '') AND "
	    "COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Killed')";
	struct probe_result r = {0};
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	MYSQL *mysql;
	char stmt[64];
	unsigned long long id;
	int rc = -1;

	*killed = 0;
	r.host = xstrdup(host);
	r.port = port;
	if ((mysql = probe_connect(&r, cred)) == NULL)
		goto out;
	if ((res = probe_query(&r, mysql, query)) == NULL)
		goto out;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (probe_number(row[0], &id) != 0)
			continue;
		snprintf(stmt, sizeof(stmt), "KILL CONNECTION %llu", id);
		/* A session that ended meanwhile is "Unknown thread id": not an error. */
		if (mysql_query(mysql, stmt) == 0)
			(*killed)++;
		else if (mysql_errno(mysql) != 1094) {
			r.error = xasprintf(
			    "%s failed on %s:%d: %s", stmt, host, port, mysql_error(mysql));
			goto out;
		}
	}
	rc = 0;
out:
	if (res != NULL)
		mysql_free_result(res);
	if (mysql != NULL)
		mysql_close(mysql);
	if (rc != 0) {
		probe_redact_field(&r.error, cred->password);
		*cause = r.error;
		r.error = NULL;
	}
	probe_result_clear(&r);
	return rc;
}

static int
probe_run(struct probe_result *r, const struct probe_credentials *cred)
{
	MYSQL *mysql;

	r->lag = -1; /* unknown until SHOW SLAVE STATUS says otherwise */
	r->relay_behind = -1;
	if ((mysql = probe_connect(r, cred)) == NULL)
		goto out;

	if (probe_variables(r, mysql) != 0 || probe_slave_status(r, mysql) != 0)
		goto out;
	/*
	 * Who replicates from this server matters for masters (discovery, an
	 * unregistered replica); a read-only replica is spared two round trips,
	 * which counts when list probes a whole fleet.
	 */
	if (!(r->is_replica && r->read_only) && probe_peers(r, mysql) != 0)
		goto out;
	probe_semisync(r, mysql);
	r->ok = 1;
out:
	if (mysql != NULL)
		mysql_close(mysql);
	probe_redact_field(&r->error, cred->password);
	probe_redact_field(&r->last_error, cred->password);
	return r->ok ? 0 : -1;
}

int
probe_exec(const char *host, int port, const struct probe_credentials *cred,
    const char *const *statements, char **cause)
{
	struct probe_result r = {0};
	MYSQL *mysql;
	size_t i;
	int rc = -1;

	r.host = xstrdup(host);
	r.port = port;
	if ((mysql = probe_connect(&r, cred)) == NULL)
		goto out;
	for (i = 0; statements[i] != NULL; i++) {
		if (mysql_query(mysql, statements[i]) != 0) {
			r.error = xasprintf("%s failed on %s:%d: %s", statements[i], host, port,
			    mysql_error(mysql));
			goto out;
		}
	}
	rc = 0;
out:
	if (mysql != NULL)
		mysql_close(mysql);
	if (rc != 0) {
		probe_redact_field(&r.error, cred->password);
		*cause = r.error;
		r.error = NULL;
	}
	probe_result_clear(&r);
	return rc;
}

MYSQL *
probe_open(const char *host, int port, const struct probe_credentials *cred, char **cause)
{
	struct probe_result r = {0};
	MYSQL *mysql;

	r.host = xstrdup(host);
	r.port = port;
	if ((mysql = probe_connect(&r, cred)) == NULL) {
		probe_redact_field(&r.error, cred->password);
		*cause = r.error;
		r.error = NULL;
	}
	probe_result_clear(&r);
	return mysql;
}

int
probe_node(
    const char *host, int port, const struct probe_credentials *cred, struct probe_result *out)
{
	out->host = host != NULL ? xstrdup(host) : NULL;
	out->port = port;
	return probe_run(out, cred);
}

/* One probe_many worker: probes queue entries until none is left. */
static void *
probe_worker(void *arg)
{
	struct probe_queue *q = arg;
	size_t i;

	mysql_thread_init();
	while ((i = atomic_fetch_add(&q->next, 1)) < q->n)
		probe_run(&q->results[i], q->cred);
	mysql_thread_end();
	return NULL;
}

size_t
probe_many(struct probe_result *results, size_t n, const struct probe_credentials *cred)
{
	struct probe_queue q;
	pthread_t threads[PROBE_MAX_THREADS];
	size_t n_threads, started, i, failed = 0;

	if (n == 0)
		return 0;
	q.results = results;
	q.n = n;
	q.cred = cred;
	atomic_init(&q.next, 0);

	/* Before any thread exists: see probe_library_init. */
	pthread_once(&probe_library_once, probe_library_init);

	n_threads = n < PROBE_MAX_THREADS ? n : PROBE_MAX_THREADS;
	for (started = 0; started < n_threads; started++) {
		if (pthread_create(&threads[started], NULL, probe_worker, &q) != 0)
			break;
	}
	/* With no thread at all (resource limits), probe here, one by one. */
	if (started == 0)
		probe_worker(&q);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < n; i++) {
		if (!results[i].ok)
			failed++;
	}
	return failed;
}

void
probe_result_clear(struct probe_result *r)
{
	size_t i;

	free(r->host);
	free(r->error);
	free(r->binlog_dir);
	free(r->gtid_binlog_state);
	free(r->version);
	free(r->master_host);
	free(r->last_error);
	for (i = 0; i < r->n_peers; i++)
		free(r->peers[i].host);
	free(r->peers);
	memset(r, 0, sizeof *r);
}
