/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The database layer's front: parameters, cursors and transactions over one backend's ops. */
#include "db.h"

#include <stdarg.h>
#include <stdlib.h>

#include "xmalloc.h"

/* The most parameters one statement takes (a node row has 11). */
#define DB_MAX_PARAMS 16

int
db_open(const struct db_ops *ops, const struct config *cfg, struct db **out, char **cause)
{
	*out = NULL;
	return ops->open(cfg, out, cause);
}

void
db_close(struct db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

/* Reads the parameters types describes from ap into params; returns how many. */
static size_t
db_params(struct db_param *params, const char *types, va_list ap)
{
	size_t n;

	for (n = 0; types[n] != '\0'; n++) {
		/* More parameters than the array holds: a bug in the caller. */
		if (n == DB_MAX_PARAMS)
			abort();
		params[n].type = types[n];
		params[n].s = NULL;
		params[n].ll = 0;
		switch (types[n]) {
		case 's':
			params[n].s = va_arg(ap, const char *);
			break;
		case 'i':
			params[n].ll = va_arg(ap, int);
			break;
		case 'l':
		case 'o':
			params[n].ll = va_arg(ap, long long);
			break;
		default:
			abort();
		}
	}
	return n;
}

/* Runs sql with the parameters types describes in ap; see db_exec and db_query. */
static int
db_vrun(struct db *db, struct db_rows **rows, const char *what, char **cause, const char *sql,
    const char *types, va_list ap)
{
	struct db_param params[DB_MAX_PARAMS];
	size_t n;

	n = db_params(params, types, ap);
	db->foreign = NULL;
	return db->ops->run(db, sql, params, n, rows, what, cause);
}

int
db_exec(struct db *db, const char *what, char **cause, const char *sql, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = db_vrun(db, NULL, what, cause, sql, types, ap);
	va_end(ap);
	return r;
}

int
db_query(struct db *db, struct db_rows **rows, const char *what, char **cause, const char *sql,
    const char *types, ...)
{
	va_list ap;
	int r;

	*rows = NULL;
	va_start(ap, types);
	r = db_vrun(db, rows, what, cause, sql, types, ap);
	va_end(ap);
	if (r != 0) {
		*rows = NULL;
		return -1;
	}
	return 0;
}

int
db_scalar(struct db *db, char **out, const char *what, char **cause, const char *sql,
    const char *types, ...)
{
	struct db_rows *rows = NULL;
	va_list ap;
	int r;

	*out = NULL;
	va_start(ap, types);
	r = db_vrun(db, &rows, what, cause, sql, types, ap);
	va_end(ap);
	if (r != 0)
		return -1;
	r = db_next(rows, cause);
	if (r == 1)
		*out = db_text(rows, 0);
	db_rows_free(rows);
	return r;
}

int
db_next(struct db_rows *rows, char **cause)
{
	return rows->db->ops->next(rows, cause);
}

const char *
db_peek(struct db_rows *rows, int col)
{
	if (rows->values == NULL || col < 0 || (unsigned int)col >= rows->ncols)
		return NULL;
	return rows->values[col];
}

char *
db_text(struct db_rows *rows, int col)
{
	const char *s = db_peek(rows, col);

	return s == NULL ? NULL : xstrdup(s);
}

long long
db_opt(struct db_rows *rows, int col)
{
	const char *s = db_peek(rows, col);

	return s == NULL ? -1 : strtoll(s, NULL, 10);
}

void
db_rows_free(struct db_rows *rows)
{
	if (rows != NULL)
		rows->db->ops->rows_free(rows);
}

int
db_begin(struct db *db, enum db_txn txn, char **cause)
{
	const char *sql;

	/*
	 * SQLite: a write takes the write lock at once (IMMEDIATE), so two
	 * writers queue instead of one failing at its first write; a read
	 * sees one snapshot from its first read. MySQL: InnoDB row locks
	 * (SELECT … FOR UPDATE) serialise writers; a read gets a consistent
	 * snapshot at once.
	 */
	if (db_dialect(db) == DB_DIALECT_SQLITE)
		sql = txn == DB_TXN_WRITE ? "BEGIN IMMEDIATE" : "BEGIN";
	else
		sql = txn == DB_TXN_WRITE ? "START TRANSACTION"
		                          : "START TRANSACTION WITH CONSISTENT SNAPSHOT";
	return db_exec(db, "cannot start a transaction", cause, sql, "") == 0 ? 0 : -1;
}

int
db_commit(struct db *db, char **cause)
{
	return db_exec(db, "cannot commit", cause, "COMMIT", "") == 0 ? 0 : -1;
}

void
db_rollback(struct db *db)
{
	char *cause = NULL;

	/* Some errors have rolled back already; then there is nothing to do. */
	db_exec(db, "cannot roll back", &cause, "ROLLBACK", "");
	free(cause);
}

long long
db_insert_id(struct db *db)
{
	return db->insert_id;
}

long long
db_affected(struct db *db)
{
	return db->affected;
}

const char *
db_foreign(struct db *db)
{
	return db->foreign;
}

int
db_prepare_schema(struct db *db, char **cause)
{
	return db->ops->prepare_schema(db, cause);
}

void
db_error(struct db *db, const char *what, const char *message, char **cause)
{
	*cause = xasprintf("%s: %s: %s", db->label, what, message);
}
