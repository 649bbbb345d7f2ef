/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's domain operations (written once over db.h for both backends):
 * Finding a registry's schema version, and init: creating or upgrading the schema.
 */
#include "registry-ops.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "registry-schema.h"
#include "registry.h"
#include "xmalloc.h"

/* Sets *cause to "WHAT is not an mhaadm registry (WHY)". */
static void
registry_ops_not_ours(struct db *db, const char *why, char **cause)
{
	*cause = xasprintf("%s is not an mhaadm registry (%s)", db->what, why);
}

/*
 * The tables of the store, joined by ", " (at most ~200 characters of them),
 * and whether one is schema_info. A SQLite file that is no database fails
 * its first read here; that is "not an mhaadm registry".
 */
static int
registry_ops_tables(struct db *db, int *has_info, char **tables, char **cause)
{
	struct db_rows *rows = NULL;
	const char *sql, *name;
	char *joined;
	int r;

	*has_info = 0;
	*tables = NULL;
	if (db_dialect(db) == DB_DIALECT_SQLITE)
		sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND "
		      "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
	else
		/* No default database yet (DATABASE() is NULL): no tables. */
		sql = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
		      "TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME";
	r = db_query(db, &rows, "cannot read the schema", cause, sql, "");
	while (r == 0 && (r = db_next(rows, cause)) == 1) {
		r = 0;
		if ((name = db_peek(rows, 0)) == NULL)
			continue;
		if (strcmp(name, "schema_info") == 0)
			*has_info = 1;
		else if (*tables == NULL)
			*tables = xstrdup(name);
		else if (strlen(*tables) < 200) {
			joined = xasprintf("%s, %s", *tables, name);
			free(*tables);
			*tables = joined;
		}
	}
	db_rows_free(rows);
	if (r == -1 && db_foreign(db) != NULL) {
		free(*cause);
		registry_ops_not_ours(db, db_foreign(db), cause);
	}
	if (r == -1) {
		free(*tables);
		*tables = NULL;
	}
	return r;
}

int
registry_schema_version(struct registry *reg, int *version, char **cause)
{
	struct db *db = reg->db;
	char *tables = NULL, *why = NULL, *v = NULL;
	int has_info, r = -1;

	if (registry_ops_tables(db, &has_info, &tables, cause) != 0)
		return -1;
	if (!has_info) {
		if (tables != NULL) {
			why = xasprintf("it has tables of its own but no schema_info: %s", tables);
			registry_ops_not_ours(db, why, cause);
			goto out;
		}
		*version = 0;
		r = 0;
		goto out;
	}
	if ((r = db_scalar(db, &v, "cannot read the schema version", cause,
	         "SELECT version FROM schema_info", "")) == -1)
		goto out;
	if (r == 0 || v == NULL || atoi(v) < 1) {
		registry_ops_not_ours(db, "schema_info holds no valid version", cause);
		r = -1;
		goto out;
	}
	*version = atoi(v);
	r = 0;
out:
	free(v);
	free(why);
	free(tables);
	return r;
}

/* Sets *cause to say the registry is newer than this mhaadm. */
static void
registry_ops_newer(struct db *db, int version, char **cause)
{
	*cause = xasprintf("%s has schema version %d and was made by a newer mhaadm (this one "
	                   "knows version %d)",
	    db->label, version, REGISTRY_SCHEMA_VERSION);
}

int
registry_init(struct registry *reg, char **cause)
{
	struct db *db = reg->db;
	const char *const *stmt;
	int version, v;

	if (registry_schema_version(reg, &version, cause) != 0)
		return -1;
	if (version > REGISTRY_SCHEMA_VERSION) {
		registry_ops_newer(db, version, cause);
		return -1;
	}
	if (version == REGISTRY_SCHEMA_VERSION)
		return 0;
	if (db_prepare_schema(db, cause) != 0)
		return -1;
	/*
	 * SQLite: the write lock makes the migration one transaction, and the
	 * version read again under it tells whether another init ran
	 * meanwhile. MySQL commits DDL implicitly; its statements are
	 * idempotent instead.
	 */
	if (db_begin(db, DB_TXN_WRITE, cause) != 0)
		return -1;
	if (registry_schema_version(reg, &version, cause) != 0)
		goto fail;
	if (version > REGISTRY_SCHEMA_VERSION) {
		registry_ops_newer(db, version, cause);
		goto fail;
	}
	for (v = version + 1; v <= REGISTRY_SCHEMA_VERSION; v++) {
		for (stmt = registry_schema_migration(db_dialect(db), v); *stmt != NULL; stmt++) {
			if (db_exec(db, "cannot create the schema", cause, *stmt, "") != 0)
				goto fail;
		}
	}
	if (db_exec(db, "cannot record the schema version", cause,
	        "REPLACE INTO schema_info (id, version) VALUES (1, ?)", "i",
	        REGISTRY_SCHEMA_VERSION) != 0)
		goto fail;
	if (db_commit(db, cause) != 0)
		goto fail;
	return 0;

fail:
	db_rollback(db);
	return -1;
}
