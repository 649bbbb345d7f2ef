/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SQLite database backend: one file on the manager host (the registry's default). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "fsutil.h"
#include "xmalloc.h"

/*
 * How long a statement waits for another connection's write lock. Another
 * writer holds it for one short transaction (a few ms in the unit tests);
 * 5 s rides out a slow disk without hanging a command for long.
 */
#define DB_SQLITE_BUSY_MS 5000

struct db_sqlite {
	struct db base;
	sqlite3 *conn;
};

struct db_sqlite_rows {
	struct db_rows base;
	sqlite3_stmt *stmt;
	const char **row; /* what base.values points at */
};

static struct db_sqlite *
db_sqlite_of(struct db *db)
{
	return (struct db_sqlite *)db;
}

/* Notes on ds when its last error says the file is no database at all. */
static void
db_sqlite_foreign(struct db_sqlite *ds)
{
	if (sqlite3_errcode(ds->conn) == SQLITE_NOTADB)
		ds->base.foreign = sqlite3_errstr(SQLITE_NOTADB);
}

/* Creates the missing directories above path, each mode 0700. */
static int
db_sqlite_mkdirs(const char *path, char **cause)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int r = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		r = fs_mkdirs(dir, 0700, cause);
	}
	free(dir);
	return r;
}

static void
db_sqlite_close(struct db *db)
{
	struct db_sqlite *ds = db_sqlite_of(db);

	sqlite3_close(ds->conn);
	free(db->label);
	free(db->what);
	free(ds);
}

static int
db_sqlite_prepare_schema(struct db *db, char **cause)
{
	struct db_sqlite *ds = db_sqlite_of(db);

	/* Persistent: every later connection to the file uses the write-ahead log. */
	if (sqlite3_exec(ds->conn, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(&ds->base, "cannot enable WAL", sqlite3_errmsg(ds->conn), cause);
		return -1;
	}
	return 0;
}

static int
db_sqlite_open(const struct config *cfg, struct db **out, char **cause)
{
	struct db_sqlite *ds = NULL;
	const char *path = cfg->registry_path;
	char *err = NULL;
	int fd;

	if (path == NULL || *path == '\0') {
		*cause = xstrdup("no registry_path configured for the sqlite registry");
		return -1;
	}
	if (strcmp(path, ":memory:") != 0) {
		if (db_sqlite_mkdirs(path, cause) != 0)
			return -1;
		/* Created here so that a new registry is mode 0600 whatever the umask. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd != -1)
			close(fd);
		else if (errno != EEXIST) {
			*cause = xasprintf("cannot create registry %s: %s", path, strerror(errno));
			return -1;
		}
	}

	ds = xcalloc(1, sizeof(*ds));
	ds->base.ops = &db_sqlite_ops;
	ds->base.label = xasprintf("registry %s", path);
	ds->base.what = xstrdup(path);
	if (sqlite3_open_v2(path, &ds->conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		*cause = xasprintf("cannot open registry %s: %s", path,
		    ds->conn != NULL ? sqlite3_errmsg(ds->conn) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(ds->conn, 1);
	sqlite3_busy_timeout(ds->conn, DB_SQLITE_BUSY_MS);
	/*
	 * journal_mode=WAL is persistent and written by init: setting it here
	 * would modify a file that may not be ours.
	 */
	if (sqlite3_exec(ds->conn, "PRAGMA foreign_keys = ON", NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf(
		    "registry %s: cannot enable foreign keys: %s", path, err != NULL ? err : "?");
		sqlite3_free(err);
		goto fail;
	}
	*out = &ds->base;
	return 0;
fail:
	db_sqlite_close(&ds->base);
	return -1;
}

/* Binds params to stmt; SQLITE_OK or the first error. */
static int
db_sqlite_bind(sqlite3_stmt *stmt, const struct db_param *params, size_t n)
{
	const struct db_param *p;
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; rc == SQLITE_OK && i < n; i++) {
		p = &params[i];
		if ((p->type == 's' && p->s == NULL) || (p->type == 'o' && p->ll < 0))
			rc = sqlite3_bind_null(stmt, (int)i + 1);
		else if (p->type == 's')
			rc = sqlite3_bind_text(stmt, (int)i + 1, p->s, -1, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(stmt, (int)i + 1, p->ll);
	}
	return rc;
}

static int
db_sqlite_run(struct db *db, const char *sql, const struct db_param *params, size_t n,
    struct db_rows **rows, const char *what, char **cause)
{
	struct db_sqlite *ds = db_sqlite_of(db);
	struct db_sqlite_rows *dr;
	sqlite3_stmt *stmt = NULL;
	int rc, xrc;

	if (sqlite3_prepare_v2(ds->conn, sql, -1, &stmt, NULL) != SQLITE_OK) {
		db_sqlite_foreign(ds);
		db_error(&ds->base, what, sqlite3_errmsg(ds->conn), cause);
		return -1;
	}
	if (db_sqlite_bind(stmt, params, n) != SQLITE_OK) {
		db_error(&ds->base, "cannot bind a parameter", sqlite3_errmsg(ds->conn), cause);
		sqlite3_finalize(stmt);
		return -1;
	}
	if (rows != NULL) {
		dr = xcalloc(1, sizeof(*dr));
		dr->base.db = db;
		dr->base.what = what;
		dr->stmt = stmt;
		dr->base.ncols = (unsigned int)sqlite3_column_count(stmt);
		dr->row = xcalloc(dr->base.ncols + 1, sizeof(*dr->row));
		*rows = &dr->base;
		return 0;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		db->insert_id = sqlite3_last_insert_rowid(ds->conn);
		/* SQLite counts every row an UPDATE's WHERE matched, changed or not. */
		db->affected = sqlite3_changes(ds->conn);
		sqlite3_finalize(stmt);
		return 0;
	}
	xrc = sqlite3_extended_errcode(ds->conn);
	if (xrc == SQLITE_CONSTRAINT_UNIQUE || xrc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		sqlite3_finalize(stmt);
		return DB_CONFLICT;
	}
	db_error(&ds->base, what, sqlite3_errmsg(ds->conn), cause);
	sqlite3_finalize(stmt);
	return -1;
}

static int
db_sqlite_next(struct db_rows *rows, char **cause)
{
	struct db_sqlite_rows *dr = (struct db_sqlite_rows *)rows;
	struct db_sqlite *ds = db_sqlite_of(rows->db);
	unsigned int i;

	rows->values = NULL;
	switch (sqlite3_step(dr->stmt)) {
	case SQLITE_ROW:
		for (i = 0; i < rows->ncols; i++)
			dr->row[i] = (const char *)sqlite3_column_text(dr->stmt, (int)i);
		rows->values = dr->row;
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		db_sqlite_foreign(ds);
		db_error(rows->db, rows->what, sqlite3_errmsg(ds->conn), cause);
		return -1;
	}
}

static void
db_sqlite_rows_free(struct db_rows *rows)
{
	struct db_sqlite_rows *dr = (struct db_sqlite_rows *)rows;

	sqlite3_finalize(dr->stmt);
	free(dr->row);
	free(dr);
}

const struct db_ops db_sqlite_ops = DB_OPS(sqlite, DB_DIALECT_SQLITE);
