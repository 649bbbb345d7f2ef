/* The MySQL/MariaDB registry backend: a database on the management node, shared by managers. */
#include <limits.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "registry.h"
#include "xmalloc.h"

/* Server error numbers (mysqld_error.h); spelled here to need no more headers. */
#define REGISTRY_MYSQL_ER_DUP_ENTRY 1062
#define REGISTRY_MYSQL_ER_DUP_ENTRY_WITH_KEY_NAME 1586
#define REGISTRY_MYSQL_ER_BAD_DB_ERROR 1049

#define REGISTRY_MYSQL_DATABASE_MAX 64

struct registry_mysql {
	MYSQL *conn;
	char *where;    /* "HOST:PORT", for messages */
	char *database; /* checked to be [A-Za-z0-9_]+ */
	int has_db;     /* the database exists and is the connection's default */
};

/* Table options: InnoDB for transactions and foreign keys, exact comparison of text. */
#define REGISTRY_MYSQL_TABLE \
	" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC"

/*
 * Schema migrations, one NULL-terminated list of statements per version: entry
 * v takes a registry from version v-1 to v. DDL commits implicitly in MySQL,
 * so every statement is idempotent instead. Host names compare case-blind (as
 * DNS does, and as the SQLite backend's COLLATE NOCASE); everything else
 * exactly. Times are TIMESTAMPs, read and written in UTC (the session's
 * time_zone is +00:00).
 */
static const char *const registry_mysql_v1[] = {
	"CREATE TABLE IF NOT EXISTS schema_info ("
	"  id INT NOT NULL PRIMARY KEY,"
	"  version INT NOT NULL,"
	"  CONSTRAINT schema_info_single CHECK (id = 1)"
	")" REGISTRY_MYSQL_TABLE,
	"CREATE TABLE IF NOT EXISTS clusters ("
	"  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
	"  name VARCHAR(64) NOT NULL,"
	"  vip VARCHAR(45) NOT NULL,"
	"  vip_prefix INT NOT NULL DEFAULT 24,"
	"  iface VARCHAR(32) NOT NULL DEFAULT 'eth0',"
	"  state VARCHAR(16) NOT NULL DEFAULT 'pending',"
	"  desired VARCHAR(16) NOT NULL DEFAULT 'stopped',"
	"  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
	"  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
	"  UNIQUE KEY clusters_name (name),"
	"  UNIQUE KEY clusters_vip (vip),"
	"  CONSTRAINT clusters_name_check CHECK (name <> ''),"
	"  CONSTRAINT clusters_vip_check CHECK (vip <> ''),"
	"  CONSTRAINT clusters_vip_prefix_check CHECK (vip_prefix BETWEEN 1 AND 32),"
	"  CONSTRAINT clusters_iface_check CHECK (iface <> ''),"
	"  CONSTRAINT clusters_state_check CHECK (state IN ('pending', 'registered', 'ready',"
	"    'monitoring', 'failing-over', 'stopped', 'unprotected')),"
	"  CONSTRAINT clusters_desired_check CHECK (desired IN ('stopped', 'monitored'))"
	")" REGISTRY_MYSQL_TABLE,
	"CREATE TABLE IF NOT EXISTS nodes ("
	"  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
	"  cluster_id BIGINT NOT NULL,"
	"  host VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,"
	"  port INT NOT NULL DEFAULT 3306,"
	"  role VARCHAR(16) NOT NULL DEFAULT 'unknown',"
	"  candidate_master TINYINT NOT NULL DEFAULT 0,"
	"  no_master TINYINT NOT NULL DEFAULT 0,"
	"  version VARCHAR(255) NULL,"
	"  server_id BIGINT NULL,"
	"  read_only TINYINT NULL,"
	"  log_bin TINYINT NULL,"
	"  `lag` BIGINT NULL,"
	"  UNIQUE KEY nodes_host_port (host, port),"
	"  KEY nodes_cluster_id (cluster_id),"
	"  CONSTRAINT nodes_cluster_fk FOREIGN KEY (cluster_id) REFERENCES clusters (id)"
	"    ON DELETE CASCADE,"
	"  CONSTRAINT nodes_host_check CHECK (host <> ''),"
	"  CONSTRAINT nodes_port_check CHECK (port BETWEEN 1 AND 65535),"
	"  CONSTRAINT nodes_role_check CHECK (role IN ('master', 'replica', 'failed', 'unknown')),"
	"  CONSTRAINT nodes_candidate_master_check CHECK (candidate_master IN (0, 1)),"
	"  CONSTRAINT nodes_no_master_check CHECK (no_master IN (0, 1))"
	")" REGISTRY_MYSQL_TABLE,
	"CREATE TABLE IF NOT EXISTS events ("
	"  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
	"  at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
	"  cluster VARCHAR(64) NULL,"
	"  node VARCHAR(300) NULL,"
	"  type VARCHAR(64) NOT NULL,"
	"  message TEXT NOT NULL,"
	"  KEY events_cluster_id (cluster, id)"
	")" REGISTRY_MYSQL_TABLE,
	NULL,
};

/*
 * 2: the failover engine per cluster, and structured event fields (a JSON
 * object of named values). ADD COLUMN IF NOT EXISTS keeps two concurrent
 * inits from tripping on each other (MariaDB 10.0.2 and later).
 */
static const char *const registry_mysql_v2[] = {
	"ALTER TABLE clusters ADD COLUMN IF NOT EXISTS"
	"  engine VARCHAR(32) NOT NULL DEFAULT 'mha'",
	"ALTER TABLE events ADD COLUMN IF NOT EXISTS fields TEXT NULL",
	NULL,
};

static const char *const *const registry_mysql_migrations[REGISTRY_SCHEMA_VERSION + 1] = {
	NULL,
	registry_mysql_v1,
	registry_mysql_v2,
};

static const char registry_mysql_cluster_columns[] =
	"id, name, vip, vip_prefix, iface, state, desired, created_at, updated_at, engine";

static struct registry_mysql *
registry_mysql_impl(struct registry *reg)
{
	return reg->impl;
}

/* Sets *cause to "registry at HOST:PORT: WHAT: the server's message". */
static void
registry_mysql_error(struct registry_mysql *rm, const char *what, char **cause)
{
	*cause = xasprintf("registry at %s: %s: %s", rm->where, what, mysql_error(rm->conn));
}

static void
registry_mysql_append(char **buf, size_t *len, size_t *size, const char *s, size_t n)
{
	while (*len + n + 1 > *size) {
		*size = *size == 0 ? 256 : *size * 2;
		*buf = xreallocarray(*buf, 1, *size);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/*
 * Builds a statement from sql by replacing each '?' with the next parameter,
 * whose type is the next character of types: 's' a string, quoted and escaped
 * by mysql_real_escape_string (NULL becomes NULL), 'i' an int, 'l' a long
 * long, 'o' an optional long long (negative becomes NULL). This is the only
 * place values enter SQL text. Returns a newly allocated string.
 */
static char *
registry_mysql_build(struct registry_mysql *rm, const char *sql, const char *types,
    va_list ap)
{
	char *buf = NULL, *esc, num[32];
	const char *p, *s;
	size_t len = 0, size = 0, n;
	long long ll;

	for (p = sql; *p != '\0'; p++) {
		if (*p != '?') {
			registry_mysql_append(&buf, &len, &size, p, 1);
			continue;
		}
		switch (*types++) {
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL) {
				registry_mysql_append(&buf, &len, &size, "NULL", 4);
				break;
			}
			n = strlen(s);
			esc = xreallocarray(NULL, 2, n + 1);
			n = mysql_real_escape_string(rm->conn, esc, s, n);
			registry_mysql_append(&buf, &len, &size, "'", 1);
			registry_mysql_append(&buf, &len, &size, esc, n);
			registry_mysql_append(&buf, &len, &size, "'", 1);
			free(esc);
			break;
		case 'i':
			snprintf(num, sizeof(num), "%d", va_arg(ap, int));
			registry_mysql_append(&buf, &len, &size, num, strlen(num));
			break;
		case 'l':
			snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
			registry_mysql_append(&buf, &len, &size, num, strlen(num));
			break;
		case 'o':
			ll = va_arg(ap, long long);
			if (ll < 0)
				snprintf(num, sizeof(num), "NULL");
			else
				snprintf(num, sizeof(num), "%lld", ll);
			registry_mysql_append(&buf, &len, &size, num, strlen(num));
			break;
		default:
			/* More '?' than types: a bug in this file. */
			abort();
		}
	}
	if (*types != '\0')
		abort();
	return buf;
}

/*
 * Runs a statement (see registry_mysql_build for sql and types). With res
 * NULL it must return no rows; otherwise *res gets its rows (the caller frees
 * them with mysql_free_result). Returns 0, 1 when a UNIQUE key refused it
 * (no cause), or -1 with *cause set.
 */
static int
registry_mysql_vrun(struct registry_mysql *rm, MYSQL_RES **res, const char *what,
    char **cause, const char *sql, const char *types, va_list ap)
{
	char *stmt;
	unsigned int err;
	int r;

	stmt = registry_mysql_build(rm, sql, types, ap);
	r = mysql_real_query(rm->conn, stmt, strlen(stmt));
	free(stmt);
	if (r != 0) {
		err = mysql_errno(rm->conn);
		if (err == REGISTRY_MYSQL_ER_DUP_ENTRY ||
		    err == REGISTRY_MYSQL_ER_DUP_ENTRY_WITH_KEY_NAME)
			return 1;
		registry_mysql_error(rm, what, cause);
		return -1;
	}
	if (res == NULL)
		return 0;
	if ((*res = mysql_store_result(rm->conn)) == NULL) {
		registry_mysql_error(rm, what, cause);
		return -1;
	}
	return 0;
}

static int
registry_mysql_run(struct registry_mysql *rm, MYSQL_RES **res, const char *what,
    char **cause, const char *sql, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = registry_mysql_vrun(rm, res, what, cause, sql, types, ap);
	va_end(ap);
	return r;
}

/* A number column; -1 when NULL. */
static long long
registry_mysql_opt(const char *s)
{
	return s == NULL ? -1 : strtoll(s, NULL, 10);
}

static char *
registry_mysql_text(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

static int
registry_mysql_begin(struct registry_mysql *rm, char **cause)
{
	return registry_mysql_run(rm, NULL, "cannot start a transaction", cause,
	    "START TRANSACTION", "");
}

static int
registry_mysql_commit(struct registry_mysql *rm, char **cause)
{
	return registry_mysql_run(rm, NULL, "cannot commit", cause, "COMMIT", "") == 0 ? 0 : -1;
}

static void
registry_mysql_rollback(struct registry_mysql *rm)
{
	mysql_real_query(rm->conn, "ROLLBACK", strlen("ROLLBACK"));
}

/* Database names go into SQL as identifiers: only [A-Za-z0-9_], 1..64 of them. */
static int
registry_mysql_check_database(const char *db, char **cause)
{
	size_t n = strspn(db, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

	if (n == 0 || db[n] != '\0' || n > REGISTRY_MYSQL_DATABASE_MAX) {
		*cause = xasprintf("bad mysql_database '%s': use 1 to %d letters, digits or '_'",
		    db, REGISTRY_MYSQL_DATABASE_MAX);
		return -1;
	}
	return 0;
}

static int
registry_mysql_open(struct registry *reg, const struct config *cfg, char **cause)
{
	struct registry_mysql *rm = NULL;
	const char *db = cfg->mysql_database != NULL ? cfg->mysql_database : "mhaadm";
	unsigned int timeout;
	int port = cfg->mysql_port > 0 ? cfg->mysql_port : 3306;

	if (cfg->mysql_host == NULL || *cfg->mysql_host == '\0') {
		*cause = xstrdup("no mysql_host configured for the mysql registry");
		return -1;
	}
	if (registry_mysql_check_database(db, cause) != 0)
		return -1;

	rm = xcalloc(1, sizeof(*rm));
	rm->where = xasprintf("%s:%d", cfg->mysql_host, port);
	rm->database = xstrdup(db);
	if ((rm->conn = mysql_init(NULL)) == NULL) {
		*cause = xstrdup("cannot initialise the MySQL client library");
		goto fail;
	}
	timeout = cfg->connect_timeout > 0 ? (unsigned int)cfg->connect_timeout : 3;
	mysql_options(rm->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(rm->conn, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(rm->conn, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(rm->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* UTC times; strict mode so that nothing is silently truncated or substituted. */
	mysql_options(rm->conn, MYSQL_INIT_COMMAND,
	    "SET time_zone = '+00:00', sql_mode = 'TRADITIONAL'");
	/* CLIENT_FOUND_ROWS: an UPDATE that changes nothing still counts the row it found. */
	if (mysql_real_connect(rm->conn, cfg->mysql_host, cfg->mysql_user, cfg->mysql_password,
	    NULL, (unsigned int)port, NULL, CLIENT_FOUND_ROWS) == NULL) {
		*cause = xasprintf("cannot connect to registry at %s: %s", rm->where,
		    mysql_error(rm->conn));
		goto fail;
	}
	/* A missing database is a registry without a schema: init creates it. */
	if (mysql_select_db(rm->conn, rm->database) == 0)
		rm->has_db = 1;
	else if (mysql_errno(rm->conn) != REGISTRY_MYSQL_ER_BAD_DB_ERROR) {
		*cause = xasprintf("registry at %s: cannot use database '%s': %s", rm->where,
		    rm->database, mysql_error(rm->conn));
		goto fail;
	}
	reg->impl = rm;
	return 0;

fail:
	if (rm->conn != NULL)
		mysql_close(rm->conn);
	free(rm->database);
	free(rm->where);
	free(rm);
	return -1;
}

static void
registry_mysql_close(struct registry *reg)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);

	mysql_close(rm->conn);
	free(rm->database);
	free(rm->where);
	free(rm);
	reg->impl = NULL;
}

/* Sets *cause to "database 'DB' at HOST:PORT is not an mhaadm registry (WHY)". */
static void
registry_mysql_not_ours(struct registry_mysql *rm, const char *why, char **cause)
{
	*cause = xasprintf("database '%s' at %s is not an mhaadm registry (%s)", rm->database,
	    rm->where, why);
}

static int
registry_mysql_schema_version(struct registry *reg, int *version, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	char *tables = NULL, *why = NULL, *joined;
	int has_info = 0, r = -1;

	if (!rm->has_db) {
		*version = 0;
		return 0;
	}
	if (registry_mysql_run(rm, &res, "cannot read the schema", cause,
	    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
	    " ORDER BY TABLE_NAME", "") != 0)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL)
			continue;
		if (strcmp(row[0], "schema_info") == 0)
			has_info = 1;
		else if (tables == NULL)
			tables = xstrdup(row[0]);
		else if (strlen(tables) < 200) {
			joined = xasprintf("%s, %s", tables, row[0]);
			free(tables);
			tables = joined;
		}
	}
	mysql_free_result(res);
	res = NULL;

	if (!has_info) {
		if (tables != NULL) {
			why = xasprintf("it has tables of its own but no schema_info: %s", tables);
			registry_mysql_not_ours(rm, why, cause);
			goto out;
		}
		*version = 0;
		r = 0;
		goto out;
	}
	if (registry_mysql_run(rm, &res, "cannot read the schema version", cause,
	    "SELECT version FROM schema_info", "") != 0)
		goto out;
	row = mysql_fetch_row(res);
	if (row == NULL || row[0] == NULL || atoi(row[0]) < 1) {
		registry_mysql_not_ours(rm, "schema_info holds no valid version", cause);
		goto out;
	}
	*version = atoi(row[0]);
	r = 0;
out:
	if (res != NULL)
		mysql_free_result(res);
	free(why);
	free(tables);
	return r;
}

static int
registry_mysql_init(struct registry *reg, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	const char *const *stmt;
	char *sql;
	int version, v, r;

	if (registry_mysql_schema_version(reg, &version, cause) != 0)
		return -1;
	if (version > REGISTRY_SCHEMA_VERSION) {
		*cause = xasprintf("registry database '%s' at %s has schema version %d and was made "
		    "by a newer mhaadm (this one knows version %d)", rm->database, rm->where,
		    version, REGISTRY_SCHEMA_VERSION);
		return -1;
	}
	if (version == REGISTRY_SCHEMA_VERSION)
		return 0;
	if (!rm->has_db) {
		/* The name was checked to be [A-Za-z0-9_]+, so backquotes quote it fully. */
		sql = xasprintf("CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
		    "COLLATE utf8mb4_bin", rm->database);
		r = registry_mysql_run(rm, NULL, "cannot create the database", cause, sql, "");
		free(sql);
		if (r != 0)
			return -1;
		if (mysql_select_db(rm->conn, rm->database) != 0) {
			registry_mysql_error(rm, "cannot use the new database", cause);
			return -1;
		}
		rm->has_db = 1;
	}
	for (v = version + 1; v <= REGISTRY_SCHEMA_VERSION; v++) {
		for (stmt = registry_mysql_migrations[v]; *stmt != NULL; stmt++) {
			if (registry_mysql_run(rm, NULL, "cannot create the schema", cause, *stmt,
			    "") != 0)
				return -1;
		}
	}
	if (registry_mysql_run(rm, NULL, "cannot record the schema version", cause,
	    "REPLACE INTO schema_info (id, version) VALUES (1, ?)", "i",
	    REGISTRY_SCHEMA_VERSION) != 0)
		return -1;
	return 0;
}

/* Appends ev; its cluster defaults to cluster. NULL ev writes nothing. 0 or -1. */
static int
registry_mysql_event_insert(struct registry_mysql *rm, const struct registry_event *ev,
    const char *cluster, char **cause)
{
	if (ev == NULL)
		return 0;
	if (ev->type == NULL || *ev->type == '\0') {
		*cause = xstrdup("an event needs a type");
		return -1;
	}
	if (registry_mysql_run(rm, NULL, "cannot record the event", cause,
	    "INSERT INTO events (at, cluster, node, type, message) "
	    "VALUES (COALESCE(?, CURRENT_TIMESTAMP), ?, ?, ?, ?)", "sssss", ev->at,
	    ev->cluster != NULL ? ev->cluster : cluster, ev->node, ev->type,
	    ev->message != NULL ? ev->message : "") != 0)
		return -1;
	return 0;
}

/* Inserts c's nodes under cluster id. 0, 1 (a UNIQUE conflict) or -1. */
static int
registry_mysql_nodes_insert(struct registry_mysql *rm, long long id,
    const struct registry_cluster *c, char **cause)
{
	const struct registry_node *n;
	size_t i;
	int r;

	for (i = 0; i < c->n_nodes; i++) {
		n = &c->nodes[i];
		r = registry_mysql_run(rm, NULL, "cannot insert a node", cause,
		    "INSERT INTO nodes (cluster_id, host, port, role, candidate_master, no_master,"
		    " version, server_id, read_only, log_bin, `lag`)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "lsisiisoooo", id, n->host,
		    n->port, registry_role_name(n->role), n->candidate_master != 0,
		    n->no_master != 0, n->version, n->server_id, (long long)n->read_only,
		    (long long)n->log_bin, n->lag);
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * Runs a query whose first column names the cluster owning a conflicting row.
 * 1 with *owner set (newly allocated), 0 when there is none, -1 with *cause.
 */
static int
registry_mysql_owner(struct registry_mysql *rm, char **owner, char **cause, const char *sql,
    const char *types, ...)
{
	va_list ap;
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r;

	free(*owner);
	*owner = NULL;
	va_start(ap, types);
	r = registry_mysql_vrun(rm, &res, "cannot look up a conflict", cause, sql, types, ap);
	va_end(ap);
	if (r != 0)
		return -1;
	row = mysql_fetch_row(res);
	if (row != NULL && row[0] != NULL)
		*owner = xstrdup(row[0]);
	mysql_free_result(res);
	return *owner != NULL;
}

/*
 * After a UNIQUE key refused c, works out which existing row it collides with
 * and sets *cause to say so. When is_update, c itself exists and its own rows
 * are not conflicts. 0 (message set) or -1.
 */
static int
registry_mysql_conflict(struct registry_mysql *rm, const struct registry_cluster *c,
    int is_update, char **cause)
{
	const char *self = is_update ? c->name : "";
	char *owner = NULL;
	size_t i, j;
	int r = 0;

	if (!is_update) {
		r = registry_mysql_owner(rm, &owner, cause,
		    "SELECT name FROM clusters WHERE name = ?", "s", c->name);
		if (r == 1)
			*cause = xasprintf("cluster '%s' already exists", c->name);
		if (r != 0)
			goto out;
	}
	if (c->vip != NULL) {
		r = registry_mysql_owner(rm, &owner, cause,
		    "SELECT name FROM clusters WHERE vip = ? AND name <> ?", "ss", c->vip, self);
		if (r == 1)
			*cause = xasprintf("VIP %s is already used by cluster '%s'", c->vip, owner);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < c->n_nodes; i++) {
		r = registry_mysql_owner(rm, &owner, cause,
		    "SELECT c.name FROM nodes n JOIN clusters c ON c.id = n.cluster_id"
		    " WHERE n.host = ? AND n.port = ? AND c.name <> ?", "sis", c->nodes[i].host,
		    c->nodes[i].port, self);
		if (r == 1)
			*cause = xasprintf("node %s:%d already belongs to cluster '%s'",
			    c->nodes[i].host, c->nodes[i].port, owner);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < c->n_nodes; i++) {
		for (j = i + 1; j < c->n_nodes; j++) {
			if (c->nodes[i].port == c->nodes[j].port &&
			    strcasecmp(c->nodes[i].host, c->nodes[j].host) == 0) {
				*cause = xasprintf("node %s:%d is listed twice", c->nodes[i].host,
				    c->nodes[i].port);
				goto out;
			}
		}
	}
	/* The conflicting row went away between the rollback and the look-up. */
	*cause = xasprintf("cluster '%s' conflicts with a concurrent change to the registry; "
	    "try again", c->name);
out:
	free(owner);
	return r == -1 ? -1 : 0;
}

static int
registry_mysql_cluster_add(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	long long id;
	int r;

	if (c->name == NULL || c->vip == NULL) {
		*cause = xstrdup("a cluster needs a name and a VIP");
		return -1;
	}
	if (registry_mysql_begin(rm, cause) != 0)
		return -1;
	r = registry_mysql_run(rm, NULL, "cannot insert the cluster", cause,
	    "INSERT INTO clusters (name, vip, vip_prefix, iface, state, desired, engine) "
	    "VALUES (?, ?, ?, COALESCE(?, 'eth0'), ?, ?, COALESCE(?, 'mha'))", "ssissss", c->name,
	    c->vip, c->vip_prefix, c->iface, registry_state_name(c->state),
	    registry_desired_name(c->desired), c->engine);
	if (r == 0) {
		id = (long long)mysql_insert_id(rm->conn);
		r = registry_mysql_nodes_insert(rm, id, c, cause);
	}
	if (r == 0)
		r = registry_mysql_event_insert(rm, ev, c->name, cause);
	if (r == 0)
		r = registry_mysql_commit(rm, cause);
	if (r == 0)
		return 0;

	registry_mysql_rollback(rm);
	if (r == 1) {
		if (registry_mysql_conflict(rm, c, 0, cause) != 0)
			return -1;
	}
	return r;
}

/*
 * Finds the id of the cluster called name, locking its row until the
 * transaction ends; 1 with *id set, 0 when none, -1.
 */
static int
registry_mysql_cluster_id(struct registry_mysql *rm, const char *name, long long *id,
    char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r = 0;

	if (registry_mysql_run(rm, &res, "cannot look up the cluster", cause,
	    "SELECT id FROM clusters WHERE name = ? FOR UPDATE", "s", name) != 0)
		return -1;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) {
		*id = strtoll(row[0], NULL, 10);
		r = 1;
	}
	mysql_free_result(res);
	return r;
}

static int
registry_mysql_cluster_update(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	long long id = 0;
	int r;

	if (c->name == NULL) {
		*cause = xstrdup("a cluster needs a name");
		return -1;
	}
	if (registry_mysql_begin(rm, cause) != 0)
		return -1;
	r = registry_mysql_cluster_id(rm, c->name, &id, cause);
	if (r != 1) {
		registry_mysql_rollback(rm);
		return r == 0 ? 1 : -1;
	}
	r = registry_mysql_run(rm, NULL, "cannot update the cluster", cause,
	    "UPDATE clusters SET vip = COALESCE(?, vip), vip_prefix = ?, iface = COALESCE(?, iface),"
	    " state = ?, desired = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?", "sisssl",
	    c->vip, c->vip_prefix, c->iface, registry_state_name(c->state),
	    registry_desired_name(c->desired), id);
	if (r == 0) {
		r = registry_mysql_run(rm, NULL, "cannot delete the old nodes", cause,
		    "DELETE FROM nodes WHERE cluster_id = ?", "l", id);
	}
	if (r == 0)
		r = registry_mysql_nodes_insert(rm, id, c, cause);
	if (r == 0)
		r = registry_mysql_event_insert(rm, ev, c->name, cause);
	if (r == 0)
		r = registry_mysql_commit(rm, cause);
	if (r == 0)
		return 0;

	registry_mysql_rollback(rm);
	/* A conflict here is an error: 1 means "no such cluster". */
	if (r == 1)
		registry_mysql_conflict(rm, c, 1, cause);
	return -1;
}

/* Reads a row of a query on registry_mysql_cluster_columns. */
static int
registry_mysql_cluster_read(struct registry_mysql *rm, MYSQL_ROW row,
    struct registry_cluster **out, char **cause)
{
	struct registry_cluster *c;

	c = xcalloc(1, sizeof(*c));
	c->id = registry_mysql_opt(row[0]);
	c->name = registry_mysql_text(row[1]);
	c->vip = registry_mysql_text(row[2]);
	c->vip_prefix = (int)registry_mysql_opt(row[3]);
	c->iface = registry_mysql_text(row[4]);
	c->created_at = registry_mysql_text(row[7]);
	c->updated_at = registry_mysql_text(row[8]);
	c->engine = registry_mysql_text(row[9]);
	if (registry_state_parse(row[5], &c->state) != 0) {
		*cause = xasprintf("registry at %s: cluster '%s' has an unknown state '%s'",
		    rm->where, c->name, row[5] != NULL ? row[5] : "");
		goto fail;
	}
	if (registry_desired_parse(row[6], &c->desired) != 0) {
		*cause = xasprintf("registry at %s: cluster '%s' has an unknown desired state '%s'",
		    rm->where, c->name, row[6] != NULL ? row[6] : "");
		goto fail;
	}
	*out = c;
	return 0;

fail:
	registry_cluster_free(c);
	return -1;
}

/*
 * Loads the nodes of the n clusters in list (sorted any way), in the order
 * they were inserted, with one query.
 */
static int
registry_mysql_nodes_load(struct registry_mysql *rm, struct registry_cluster **list,
    size_t count, const char *name, char **cause)
{
	struct registry_cluster *c = NULL;
	struct registry_node *n;
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long cid;
	size_t i;
	int r = 0;

	if (registry_mysql_run(rm, &res, "cannot read the nodes", cause,
	    "SELECT n.cluster_id, n.host, n.port, n.role, n.candidate_master, n.no_master,"
	    " n.version, n.server_id, n.read_only, n.log_bin, n.`lag`"
	    " FROM nodes n JOIN clusters c ON c.id = n.cluster_id"
	    " WHERE ? IS NULL OR c.name = ? ORDER BY n.cluster_id, n.id", "ss", name, name) != 0)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		cid = registry_mysql_opt(row[0]);
		if (c == NULL || c->id != cid) {
			c = NULL;
			for (i = 0; i < count; i++) {
				if (list[i]->id == cid) {
					c = list[i];
					break;
				}
			}
			/* Added between the two queries: not part of this answer. */
			if (c == NULL)
				continue;
		}
		c->nodes = xreallocarray(c->nodes, c->n_nodes + 1, sizeof(*c->nodes));
		n = &c->nodes[c->n_nodes++];
		memset(n, 0, sizeof(*n));
		n->host = registry_mysql_text(row[1]);
		n->port = (int)registry_mysql_opt(row[2]);
		n->candidate_master = registry_mysql_opt(row[4]) == 1;
		n->no_master = registry_mysql_opt(row[5]) == 1;
		n->version = registry_mysql_text(row[6]);
		n->server_id = registry_mysql_opt(row[7]);
		n->read_only = (int)registry_mysql_opt(row[8]);
		n->log_bin = (int)registry_mysql_opt(row[9]);
		n->lag = registry_mysql_opt(row[10]);
		if (registry_role_parse(row[3], &n->role) != 0) {
			*cause = xasprintf("registry at %s: node %s:%d has an unknown role '%s'",
			    rm->where, n->host, n->port, row[3] != NULL ? row[3] : "");
			r = -1;
			break;
		}
	}
	mysql_free_result(res);
	return r;
}

/*
 * Loads the clusters (all, or the one called name) with their nodes, in one
 * consistent snapshot, ordered by name.
 */
static int
registry_mysql_clusters_load(struct registry_mysql *rm, const char *name,
    struct registry_cluster ***out, size_t *n, char **cause)
{
	struct registry_cluster **list = NULL, *c;
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	size_t count = 0;
	char *sql;
	int r;

	*out = NULL;
	*n = 0;
	if (registry_mysql_run(rm, NULL, "cannot start a transaction", cause,
	    "START TRANSACTION WITH CONSISTENT SNAPSHOT", "") != 0)
		return -1;
	sql = xasprintf("SELECT %s FROM clusters WHERE ? IS NULL OR name = ? ORDER BY name",
	    registry_mysql_cluster_columns);
	r = registry_mysql_run(rm, &res, "cannot read the clusters", cause, sql, "ss", name, name);
	free(sql);
	if (r != 0)
		goto out;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if ((r = registry_mysql_cluster_read(rm, row, &c, cause)) != 0)
			goto out;
		list = xreallocarray(list, count + 1, sizeof(*list));
		list[count++] = c;
	}
	if (count != 0)
		r = registry_mysql_nodes_load(rm, list, count, name, cause);
out:
	if (res != NULL)
		mysql_free_result(res);
	registry_mysql_rollback(rm);
	if (r != 0) {
		registry_cluster_list_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

static int
registry_mysql_cluster_get(struct registry *reg, const char *name,
    struct registry_cluster **out, char **cause)
{
	struct registry_cluster **list;
	size_t n;

	*out = NULL;
	if (registry_mysql_clusters_load(registry_mysql_impl(reg), name, &list, &n, cause) != 0)
		return -1;
	if (n == 0) {
		free(list);
		return 1;
	}
	*out = list[0];
	free(list);
	return 0;
}

static int
registry_mysql_cluster_list(struct registry *reg, struct registry_cluster ***out, size_t *n,
    char **cause)
{
	return registry_mysql_clusters_load(registry_mysql_impl(reg), NULL, out, n, cause);
}

static int
registry_mysql_cluster_del(struct registry *reg, const char *name,
    const struct registry_event *ev, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	long long id = 0;
	int r;

	if (registry_mysql_begin(rm, cause) != 0)
		return -1;
	r = registry_mysql_cluster_id(rm, name, &id, cause);
	if (r != 1) {
		registry_mysql_rollback(rm);
		return r == 0 ? 1 : -1;
	}
	/* The cascade would do it; deleting the nodes first does not rely on it. */
	r = registry_mysql_run(rm, NULL, "cannot delete the nodes", cause,
	    "DELETE FROM nodes WHERE cluster_id = ?", "l", id);
	if (r == 0) {
		r = registry_mysql_run(rm, NULL, "cannot delete the cluster", cause,
		    "DELETE FROM clusters WHERE id = ?", "l", id);
	}
	if (r == 0)
		r = registry_mysql_event_insert(rm, ev, name, cause);
	if (r == 0)
		r = registry_mysql_commit(rm, cause);
	if (r == 0)
		return 0;
	registry_mysql_rollback(rm);
	return -1;
}

static int
registry_mysql_cluster_set_state(struct registry *reg, const char *name,
    enum registry_state state, enum registry_desired desired, const struct registry_event *ev,
    char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	int r;

	if (registry_mysql_begin(rm, cause) != 0)
		return -1;
	if (desired == REGISTRY_DESIRED_KEEP)
		r = registry_mysql_run(rm, NULL, "cannot set the state", cause,
		    "UPDATE clusters SET state = ?, updated_at = CURRENT_TIMESTAMP WHERE name = ?",
		    "ss", registry_state_name(state), name);
	else
		r = registry_mysql_run(rm, NULL, "cannot set the state", cause,
		    "UPDATE clusters SET state = ?, desired = ?, updated_at = CURRENT_TIMESTAMP "
		    "WHERE name = ?", "sss", registry_state_name(state),
		    registry_desired_name(desired), name);
	/* Rows found, not changed: the connection has CLIENT_FOUND_ROWS. */
	if (r == 0 && mysql_affected_rows(rm->conn) == 0) {
		registry_mysql_rollback(rm);
		return 1;
	}
	if (r == 0)
		r = registry_mysql_event_insert(rm, ev, name, cause);
	if (r == 0)
		r = registry_mysql_commit(rm, cause);
	if (r == 0)
		return 0;
	registry_mysql_rollback(rm);
	return -1;
}

static int
registry_mysql_cluster_set_master(struct registry *reg, const char *name, const char *new_host,
    int new_port, enum registry_state state, const struct registry_event *ev, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	long long id = 0;
	int r;

	if (registry_mysql_begin(rm, cause) != 0)
		return -1;
	r = registry_mysql_cluster_id(rm, name, &id, cause);
	if (r == 0) {
		registry_mysql_rollback(rm);
		return 1;
	}
	r = r == 1 ? 0 : -1;
	if (r == 0)
		r = registry_mysql_run(rm, NULL, "cannot mark the old master failed", cause,
		    "UPDATE nodes SET role = 'failed' WHERE cluster_id = ? AND role = 'master' "
		    "AND NOT (host = ? AND port = ?)", "lsi", id, new_host, new_port);
	if (r == 0)
		r = registry_mysql_run(rm, NULL, "cannot record the new master", cause,
		    "UPDATE nodes SET role = 'master', `lag` = NULL, read_only = 0 WHERE cluster_id = ? AND "
		    "host = ? AND port = ?", "lsi", id, new_host, new_port);
	if (r == 0 && mysql_affected_rows(rm->conn) == 0) {
		registry_mysql_rollback(rm);
		return 1;
	}
	if (r == 0)
		r = registry_mysql_run(rm, NULL, "cannot set the state", cause,
		    "UPDATE clusters SET state = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
		    "sl", registry_state_name(state), id);
	if (r == 0)
		r = registry_mysql_event_insert(rm, ev, name, cause);
	if (r == 0)
		r = registry_mysql_commit(rm, cause);
	if (r == 0)
		return 0;
	registry_mysql_rollback(rm);
	return -1;
}

static int
registry_mysql_event_add(struct registry *reg, const struct registry_event *ev, char **cause)
{
	return registry_mysql_event_insert(registry_mysql_impl(reg), ev, NULL, cause);
}

/* Reads the rows of "SELECT id, at, cluster, node, type, message" into a new list; frees res. */
static void
registry_mysql_events_read(MYSQL_RES *res, struct registry_event **out, size_t *n)
{
	struct registry_event *list = NULL, *ev;
	MYSQL_ROW row;
	size_t count = 0;

	while ((row = mysql_fetch_row(res)) != NULL) {
		list = xreallocarray(list, count + 1, sizeof(*list));
		ev = &list[count++];
		ev->id = registry_mysql_opt(row[0]);
		ev->at = registry_mysql_text(row[1]);
		ev->cluster = registry_mysql_text(row[2]);
		ev->node = registry_mysql_text(row[3]);
		ev->type = registry_mysql_text(row[4]);
		ev->message = registry_mysql_text(row[5]);
	}
	mysql_free_result(res);
	*out = list;
	*n = count;
}

static int
registry_mysql_event_list(struct registry *reg, const char *cluster, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	MYSQL_RES *res;
	long long lim;

	*out = NULL;
	*n = 0;
	/* 0 means no limit. */
	lim = (limit == 0 || limit > LLONG_MAX) ? LLONG_MAX : (long long)limit;
	if (registry_mysql_run(rm, &res, "cannot read the events", cause,
	    "SELECT id, at, cluster, node, type, message FROM events"
	    " WHERE ? IS NULL OR cluster = ? ORDER BY id DESC LIMIT ?", "ssl", cluster, cluster,
	    lim) != 0)
		return -1;
	registry_mysql_events_read(res, out, n);
	return 0;
}

static int
registry_mysql_event_since(struct registry *reg, long long after_id, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	struct registry_mysql *rm = registry_mysql_impl(reg);
	MYSQL_RES *res;
	long long lim;

	*out = NULL;
	*n = 0;
	lim = (limit == 0 || limit > LLONG_MAX) ? LLONG_MAX : (long long)limit;
	if (registry_mysql_run(rm, &res, "cannot read the events", cause,
	    "SELECT id, at, cluster, node, type, message FROM events"
	    " WHERE id > ? ORDER BY id LIMIT ?", "ll", after_id, lim) != 0)
		return -1;
	registry_mysql_events_read(res, out, n);
	return 0;
}

const struct registry_ops registry_mysql_ops = {
	.name = "mysql",
	.open = registry_mysql_open,
	.close = registry_mysql_close,
	.schema_version = registry_mysql_schema_version,
	.init = registry_mysql_init,
	.cluster_add = registry_mysql_cluster_add,
	.cluster_update = registry_mysql_cluster_update,
	.cluster_get = registry_mysql_cluster_get,
	.cluster_list = registry_mysql_cluster_list,
	.cluster_del = registry_mysql_cluster_del,
	.cluster_set_state = registry_mysql_cluster_set_state,
	.cluster_set_master = registry_mysql_cluster_set_master,
	.event_add = registry_mysql_event_add,
	.event_list = registry_mysql_event_list,
	.event_since = registry_mysql_event_since,
};
