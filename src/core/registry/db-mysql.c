/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MySQL/MariaDB database backend: a database on the management node, shared by managers. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "xmalloc.h"

/* Server error numbers (mysqld_error.h); spelled here to need no more headers. */
#define DB_MYSQL_ER_DUP_ENTRY 1062
#define DB_MYSQL_ER_DUP_ENTRY_WITH_KEY_NAME 1586
#define DB_MYSQL_ER_BAD_DB_ERROR 1049
/* A deadlock, or on Galera a certification conflict: the transaction was rolled back. */
#define DB_MYSQL_ER_LOCK_DEADLOCK 1213
/* Galera: the node is not in the primary component ("WSREP has not yet prepared node"). */
#define DB_MYSQL_ER_UNKNOWN_COM_ERROR 1047
/* Retries of a statement that was its own transaction, 20 ms apart and growing. */
#define DB_MYSQL_RETRIES 3

#define DB_MYSQL_DATABASE_MAX 64

struct db_mysql {
	struct db base;
	MYSQL *conn;
	char *database; /* checked to be [A-Za-z0-9_]+ */
	int has_db;     /* the database exists and is the connection's default */
	int in_txn;     /* a START TRANSACTION was sent and not yet committed or rolled back */
};

struct db_mysql_rows {
	struct db_rows base;
	MYSQL_RES *res;
};

static struct db_mysql *
db_mysql_of(struct db *db)
{
	return (struct db_mysql *)db;
}

static void
db_mysql_append(char **buf, size_t *len, size_t *size, const char *s, size_t n)
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
 * Builds a statement from sql by replacing each '?' with the next parameter:
 * a string quoted and escaped by mysql_real_escape_string (for the
 * connection's character set, utf8mb4), a number printed, NULL spelled NULL.
 * This is the only place values enter SQL text, and the statements it is
 * given hold no '?' of their own. Returns a newly allocated string.
 */
static char *
db_mysql_build(struct db_mysql *dm, const char *sql, const struct db_param *params, size_t n)
{
	const struct db_param *p;
	char *buf = NULL, *esc, num[32];
	const char *c;
	size_t len = 0, size = 0, k, i = 0;

	for (c = sql; *c != '\0'; c++) {
		if (*c != '?') {
			db_mysql_append(&buf, &len, &size, c, 1);
			continue;
		}
		/* More '?' than parameters: a bug in the caller. */
		if (i == n)
			abort();
		p = &params[i++];
		if ((p->type == 's' && p->s == NULL) || (p->type == 'o' && p->ll < 0)) {
			db_mysql_append(&buf, &len, &size, "NULL", 4);
		} else if (p->type == 's') {
			k = strlen(p->s);
			esc = xreallocarray(NULL, 2, k + 1);
			k = mysql_real_escape_string(dm->conn, esc, p->s, k);
			db_mysql_append(&buf, &len, &size, "'", 1);
			db_mysql_append(&buf, &len, &size, esc, k);
			db_mysql_append(&buf, &len, &size, "'", 1);
			free(esc);
		} else {
			snprintf(num, sizeof(num), "%lld", p->ll);
			db_mysql_append(&buf, &len, &size, num, strlen(num));
		}
	}
	if (i != n)
		abort();
	if (buf == NULL)
		buf = xstrdup("");
	return buf;
}

/* Database names go into SQL as identifiers: only [A-Za-z0-9_], 1..64 of them. */
static int
db_mysql_check_database(const char *name, char **cause)
{
	size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

	if (n == 0 || name[n] != '\0' || n > DB_MYSQL_DATABASE_MAX) {
		*cause = xasprintf("bad mysql_database '%s': use 1 to %d letters, digits or '_'",
		    name, DB_MYSQL_DATABASE_MAX);
		return -1;
	}
	return 0;
}

/*
 * The connection's last error as a newly allocated message; a Galera node
 * outside the primary component says what that means for mhaadm.
 */
static char *
db_mysql_message(struct db_mysql *dm)
{
	if (mysql_errno(dm->conn) == DB_MYSQL_ER_UNKNOWN_COM_ERROR)
		return xasprintf("%s (ERROR 1047: this Galera node is not in the primary "
		                 "component; treated as the registry being down)",
		    mysql_error(dm->conn));
	return xstrdup(mysql_error(dm->conn));
}

/* Closes the connection and frees it; also one that never connected. */
static void
db_mysql_close(struct db *db)
{
	struct db_mysql *dm = db_mysql_of(db);

	if (dm->conn != NULL)
		mysql_close(dm->conn);
	free(dm->database);
	free(dm->base.label);
	free(dm->base.what);
	free(dm);
}

/* Sets one client option; a refusal is an error, not a silently longer wait. */
static int
db_mysql_option(
    struct db_mysql *dm, enum mysql_option opt, const void *arg, const char *name, char **cause)
{
	if (mysql_options(dm->conn, opt, arg) != 0) {
		*cause =
		    xasprintf("%s: cannot set %s: %s", dm->base.label, name, mysql_error(dm->conn));
		return -1;
	}
	return 0;
}

static int
db_mysql_open(const struct config *cfg, struct db **out, char **cause)
{
	struct db_mysql *dm = NULL;
	const char *name = cfg->mysql_database != NULL ? cfg->mysql_database : "mhaadm";
	unsigned int timeout;
	int port = cfg->mysql_port > 0 ? cfg->mysql_port : 3306;

	if (cfg->mysql_host == NULL || *cfg->mysql_host == '\0') {
		*cause = xstrdup("no mysql_host configured for the mysql registry");
		return -1;
	}
	if (db_mysql_check_database(name, cause) != 0)
		return -1;

	dm = xcalloc(1, sizeof(*dm));
	dm->base.ops = &db_mysql_ops;
	dm->base.label = xasprintf("registry at %s:%d", cfg->mysql_host, port);
	dm->base.what = xasprintf("database '%s' at %s:%d", name, cfg->mysql_host, port);
	dm->database = xstrdup(name);
	if ((dm->conn = mysql_init(NULL)) == NULL) {
		*cause = xstrdup("cannot initialise the MySQL client library");
		goto fail;
	}
	/*
	 * One bound for connecting and for every read and write, so that a
	 * management node that stops answering costs seconds, not the
	 * kernel's TCP timeouts.
	 */
	timeout = cfg->connect_timeout > 0 ? (unsigned int)cfg->connect_timeout : 3;
	if (db_mysql_option(
	        dm, MYSQL_OPT_CONNECT_TIMEOUT, &timeout, "the connect timeout", cause) != 0 ||
	    db_mysql_option(dm, MYSQL_OPT_READ_TIMEOUT, &timeout, "the read timeout", cause) != 0 ||
	    db_mysql_option(dm, MYSQL_OPT_WRITE_TIMEOUT, &timeout, "the write timeout", cause) !=
	        0 ||
	    db_mysql_option(dm, MYSQL_SET_CHARSET_NAME, "utf8mb4", "the character set", cause) !=
	        0 ||
	    /* UTC times; strict mode so that nothing is silently truncated or substituted. */
	    db_mysql_option(dm, MYSQL_INIT_COMMAND,
	        "SET time_zone = '+00:00', sql_mode = 'TRADITIONAL'", "the session settings",
	        cause) != 0)
		goto fail;
	/* CLIENT_FOUND_ROWS: an UPDATE that changes nothing still counts the row it found. */
	if (mysql_real_connect(dm->conn, cfg->mysql_host, cfg->mysql_user, cfg->mysql_password,
	        NULL, (unsigned int)port, NULL, CLIENT_FOUND_ROWS) == NULL) {
		*cause = xasprintf("cannot connect to registry at %s:%d: %s", cfg->mysql_host, port,
		    mysql_error(dm->conn));
		goto fail;
	}
	/* A missing database is a registry without a schema: init creates it. */
	if (mysql_select_db(dm->conn, dm->database) == 0)
		dm->has_db = 1;
	else if (mysql_errno(dm->conn) != DB_MYSQL_ER_BAD_DB_ERROR) {
		char *msg = db_mysql_message(dm);

		*cause = xasprintf(
		    "%s: cannot use database '%s': %s", dm->base.label, dm->database, msg);
		free(msg);
		goto fail;
	}
	*out = &dm->base;
	return 0;

fail:
	db_mysql_close(&dm->base);
	return -1;
}

static int
db_mysql_prepare_schema(struct db *db, char **cause)
{
	struct db_mysql *dm = db_mysql_of(db);
	char *sql;
	int r;

	if (dm->has_db)
		return 0;
	/* The name was checked to be [A-Za-z0-9_]+, so backquotes quote it fully. */
	sql = xasprintf("CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
	                "COLLATE utf8mb4_bin",
	    dm->database);
	r = mysql_real_query(dm->conn, sql, strlen(sql));
	free(sql);
	if (r != 0) {
		db_error(&dm->base, "cannot create the database", mysql_error(dm->conn), cause);
		return -1;
	}
	if (mysql_select_db(dm->conn, dm->database) != 0) {
		db_error(&dm->base, "cannot use the new database", mysql_error(dm->conn), cause);
		return -1;
	}
	dm->has_db = 1;
	return 0;
}

/*
 * Follows the transactions db.c opens and ends (db_begin, db_commit,
 * db_rollback send these exact words): a COMMIT or ROLLBACK ends one
 * whatever it answered, and so does a 1213 (err).
 */
static void
db_mysql_track_txn(struct db_mysql *dm, const char *sql, int r, unsigned int err)
{
	if (err == DB_MYSQL_ER_LOCK_DEADLOCK || strcmp(sql, "COMMIT") == 0 ||
	    strcmp(sql, "ROLLBACK") == 0)
		dm->in_txn = 0;
	else if (r == 0 && strncmp(sql, "START TRANSACTION", 17) == 0)
		dm->in_txn = 1;
}

static int
db_mysql_run(struct db *db, const char *sql, const struct db_param *params, size_t n,
    struct db_rows **rows, const char *what, char **cause)
{
	struct db_mysql *dm = db_mysql_of(db);
	struct db_mysql_rows *dr;
	struct timespec nap = {0, 0};
	MYSQL_RES *res;
	unsigned int err;
	char *stmt;
	int r, attempt;

	stmt = db_mysql_build(dm, sql, params, n);
	for (attempt = 0;; attempt++) {
		r = mysql_real_query(dm->conn, stmt, strlen(stmt));
		err = r != 0 ? mysql_errno(dm->conn) : 0;
		/*
		 * 1213 rolled back the whole transaction: a statement outside one
		 * (every lease statement, each its own compare-and-set) is sent
		 * again; inside one the caller's operation fails, and its caller
		 * retries it (the registry thread's queue, a hook's spool). With
		 * all managers writing through one Galera node, conflicts are rare.
		 */
		if (err != DB_MYSQL_ER_LOCK_DEADLOCK || dm->in_txn || attempt >= DB_MYSQL_RETRIES)
			break;
		nap.tv_nsec = 20L * 1000 * 1000 * (attempt + 1);
		nanosleep(&nap, NULL);
	}
	free(stmt);
	db_mysql_track_txn(dm, sql, r, err);
	if (r != 0) {
		if (rows == NULL &&
		    (err == DB_MYSQL_ER_DUP_ENTRY || err == DB_MYSQL_ER_DUP_ENTRY_WITH_KEY_NAME))
			return DB_CONFLICT;
		stmt = db_mysql_message(dm);
		db_error(&dm->base, what, stmt, cause);
		free(stmt);
		return -1;
	}
	if (rows == NULL) {
		db->insert_id = (long long)mysql_insert_id(dm->conn);
		/* Rows found, not changed: the connection has CLIENT_FOUND_ROWS. */
		db->affected = (long long)mysql_affected_rows(dm->conn);
		return 0;
	}
	if ((res = mysql_store_result(dm->conn)) == NULL) {
		db_error(&dm->base, what, mysql_error(dm->conn), cause);
		return -1;
	}
	dr = xcalloc(1, sizeof(*dr));
	dr->base.db = db;
	dr->base.what = what;
	dr->res = res;
	dr->base.ncols = mysql_num_fields(res);
	*rows = &dr->base;
	return 0;
}

static int
db_mysql_next(struct db_rows *rows, char **cause)
{
	struct db_mysql_rows *dr = (struct db_mysql_rows *)rows;

	/* The whole result was stored by run: the end of it is the end of the rows. */
	MYSQL_ROW row = mysql_fetch_row(dr->res);

	(void)cause;
	rows->values = (const char *const *)row;
	return row != NULL ? 1 : 0;
}

static void
db_mysql_rows_free(struct db_rows *rows)
{
	mysql_free_result(((struct db_mysql_rows *)rows)->res);
	free(rows);
}

const struct db_ops db_mysql_ops = DB_OPS(mysql, DB_DIALECT_MYSQL);
