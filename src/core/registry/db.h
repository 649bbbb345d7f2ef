/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The small database layer under the registry: statements, rows, transactions; SQLite or MySQL. */
#ifndef MHAADM_DB_H
#define MHAADM_DB_H

#include <stddef.h>

struct config;

/* Where the SQL of the two backends must differ (DDL, locking reads, the catalogue). */
enum db_dialect {
	DB_DIALECT_SQLITE,
	DB_DIALECT_MYSQL,
};

/* Returned by db_exec when a UNIQUE or PRIMARY KEY constraint refused the statement. */
#define DB_CONFLICT 1

/* What a transaction is for: a write locks at once, a read sees one snapshot. */
enum db_txn {
	DB_TXN_READ,
	DB_TXN_WRITE,
};

/* One parameter of a statement; see db_exec for the type letters. */
struct db_param {
	char type;
	const char *s;
	long long ll;
};

struct db;

/* A cursor over a query's rows; each backend's own cursor starts with it. */
struct db_rows {
	struct db *db;
	const char *what;          /* for messages: "cannot read the nodes" */
	const char *const *values; /* the current row, ncols columns */
	unsigned int ncols;
};

/*
 * One backend, filled by db-sqlite.c and db-mysql.c. Every function that can
 * fail returns 0 (or a documented positive value) or -1 with *cause set
 * (newly allocated, prefixed with db->label).
 */
struct db_ops {
	const char *name; /* "sqlite", "mysql" */
	enum db_dialect dialect;

	/* Connects as cfg says; *out is newly allocated, freed by close. */
	int (*open)(const struct config *cfg, struct db **out, char **cause);
	void (*close)(struct db *db);

	/*
	 * What init needs before the first DDL, outside any transaction:
	 * SQLite turns on the write-ahead log, MySQL creates the database.
	 */
	int (*prepare_schema)(struct db *db, char **cause);

	/*
	 * Runs sql with the n parameters params. With rows NULL the statement
	 * returns no rows; otherwise *rows gets a cursor. 0, DB_CONFLICT (no
	 * cause) or -1.
	 */
	int (*run)(struct db *db, const char *sql, const struct db_param *params, size_t n,
	    struct db_rows **rows, const char *what, char **cause);
	/*
	 * 1 with rows->values pointing at the next row's columns as text
	 * (NULL for SQL NULL; valid until the next call), 0 at the end, -1
	 * with *cause set.
	 */
	int (*next)(struct db_rows *rows, char **cause);
	void (*rows_free)(struct db_rows *rows);
};

/*
 * What every backend's connection starts with (its own state follows).
 * label prefixes error messages ("registry /var/lib/mhaadm/registry.db",
 * "registry at 10.77.0.14:3306"); what names the store in "WHAT is not an
 * mhaadm registry" ("/var/lib/…/registry.db", "database 'mhaadm' at …").
 */
struct db {
	const struct db_ops *ops;
	char *label;
	char *what;
	/* Set by every run of a statement that returns no rows: */
	long long insert_id; /* the id an INSERT gave its row */
	long long affected;  /* rows an UPDATE or DELETE matched (found, even when unchanged) */
	/*
	 * Set by a failed run when the file or database is not one of ours at
	 * all: why, in the backend's words (a static string).
	 */
	const char *foreign;
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_mysql_ops;

/*
 * A backend's ops, from its functions named db_NAME_open, db_NAME_close, …
 * (the names STYLE.md gives them anyway): one line per backend, so that
 * adding an op is one line here and one function per backend.
 */
#define DB_OPS(NAME, DIALECT)                                                                      \
	{                                                                                          \
		.name = #NAME, .dialect = (DIALECT), .open = db_##NAME##_open,                     \
		.close = db_##NAME##_close, .prepare_schema = db_##NAME##_prepare_schema,          \
		.run = db_##NAME##_run, .next = db_##NAME##_next,                                  \
		.rows_free = db_##NAME##_rows_free,                                                \
	}

/* Opens a connection with ops; see struct db_ops. Newly allocated *out. */
int db_open(const struct db_ops *ops, const struct config *cfg, struct db **out, char **cause);
/* Closes db; NULL is fine. */
void db_close(struct db *db);

static inline enum db_dialect
db_dialect(const struct db *db)
{
	return db->ops->dialect;
}

/*
 * Runs a statement that returns no rows. Each '?' in sql takes the next
 * parameter, typed by the next letter of types: 's' a string (NULL binds
 * NULL), 'i' an int, 'l' a long long, 'o' an optional long long (negative
 * binds NULL). what says what failed ("cannot insert the cluster"). Returns
 * 0, DB_CONFLICT when a UNIQUE constraint refused it (no cause), or -1.
 */
int db_exec(struct db *db, const char *what, char **cause, const char *sql, const char *types, ...);

/*
 * Runs a query (parameters as db_exec); *rows is a cursor the caller frees
 * with db_rows_free. 0 or -1 with *cause set (and *rows NULL).
 */
int db_query(struct db *db, struct db_rows **rows, const char *what, char **cause, const char *sql,
    const char *types, ...);

/* Moves to the next row: 1, 0 at the end, -1 with *cause set. */
int db_next(struct db_rows *rows, char **cause);
/* Column col as borrowed text (NULL for NULL), valid until db_next. */
const char *db_peek(struct db_rows *rows, int col);
/* Column col as newly allocated text, NULL for NULL. */
char *db_text(struct db_rows *rows, int col);
/* Column col as a number; -1 for NULL. */
long long db_opt(struct db_rows *rows, int col);
void db_rows_free(struct db_rows *rows);

/*
 * Runs a query expected to return at most one row and reads its first
 * column as text: 1 with *out set (newly allocated, NULL for NULL), 0 when
 * there is no row, -1 with *cause set.
 */
int db_scalar(struct db *db, char **out, const char *what, char **cause, const char *sql,
    const char *types, ...);

int db_begin(struct db *db, enum db_txn txn, char **cause);
int db_commit(struct db *db, char **cause);
/* Rolls back whatever is open; harmless when nothing is. */
void db_rollback(struct db *db);

long long db_insert_id(struct db *db);
long long db_affected(struct db *db);
/* Why the last failure means the store is not one of ours at all; NULL when it does not. */
const char *db_foreign(struct db *db);
int db_prepare_schema(struct db *db, char **cause);

/* For backends: sets *cause to "LABEL: WHAT: MESSAGE" (the backend's message). */
void db_error(struct db *db, const char *what, const char *message, char **cause);

#endif
