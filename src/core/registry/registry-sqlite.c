/* The SQLite registry backend: one file on the manager host (the default). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "registry.h"
#include "fsutil.h"
#include "xmalloc.h"

struct registry_sqlite {
	sqlite3 *db;
	char *path;
};

/*
 * Schema migrations: entry v takes a registry from version v-1 to v. Every
 * statement is idempotent so that two concurrent inits cannot trip on each
 * other. Host names compare case-blind (as DNS does); everything else exactly.
 */
static const char *const registry_sqlite_migrations[REGISTRY_SCHEMA_VERSION + 1] = {
	NULL,
	/* 1: the first schema. */
	"CREATE TABLE IF NOT EXISTS schema_info ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  version INTEGER NOT NULL"
	");"
	"CREATE TABLE IF NOT EXISTS clusters ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE CHECK (name <> ''),"
	"  vip TEXT NOT NULL UNIQUE CHECK (vip <> ''),"
	"  vip_prefix INTEGER NOT NULL DEFAULT 24 CHECK (vip_prefix BETWEEN 1 AND 32),"
	"  iface TEXT NOT NULL DEFAULT 'eth0' CHECK (iface <> ''),"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'registered',"
	"    'ready', 'monitoring', 'failing-over', 'stopped', 'unprotected')),"
	"  desired TEXT NOT NULL DEFAULT 'stopped' CHECK (desired IN ('stopped', 'monitored')),"
	"  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
	"  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP"
	");"
	"CREATE TABLE IF NOT EXISTS nodes ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,"
	"  host TEXT NOT NULL COLLATE NOCASE CHECK (host <> ''),"
	"  port INTEGER NOT NULL DEFAULT 3306 CHECK (port BETWEEN 1 AND 65535),"
	"  role TEXT NOT NULL DEFAULT 'unknown' CHECK (role IN ('master', 'replica', 'failed',"
	"    'unknown')),"
	"  candidate_master INTEGER NOT NULL DEFAULT 0 CHECK (candidate_master IN (0, 1)),"
	"  no_master INTEGER NOT NULL DEFAULT 0 CHECK (no_master IN (0, 1)),"
	"  version TEXT,"
	"  server_id INTEGER,"
	"  read_only INTEGER,"
	"  log_bin INTEGER,"
	"  lag INTEGER,"
	"  UNIQUE (host, port)"
	");"
	"CREATE INDEX IF NOT EXISTS nodes_cluster_id ON nodes (cluster_id);"
	"CREATE TABLE IF NOT EXISTS events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
	"  cluster TEXT,"
	"  node TEXT,"
	"  type TEXT NOT NULL,"
	"  message TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX IF NOT EXISTS events_cluster_id ON events (cluster, id);",
	/*
	 * 2: the failover engine per cluster, and structured event fields (a
	 * JSON object of named values). Run under init's write lock, so the
	 * ALTERs cannot race another init.
	 */
	"ALTER TABLE clusters ADD COLUMN engine TEXT NOT NULL DEFAULT 'mha' CHECK (engine <> '');"
	"ALTER TABLE events ADD COLUMN fields TEXT;",
};

static const char registry_sqlite_cluster_columns[] =
	"id, name, vip, vip_prefix, iface, state, desired, created_at, updated_at, engine";

static struct registry_sqlite *
registry_sqlite_impl(struct registry *reg)
{
	return reg->impl;
}

/* Sets *cause to "registry PATH: WHAT: sqlite's message". */
static void
registry_sqlite_error(struct registry_sqlite *rs, const char *what, char **cause)
{
	*cause = xasprintf("registry %s: %s: %s", rs->path, what, sqlite3_errmsg(rs->db));
}

static int
registry_sqlite_exec(struct registry_sqlite *rs, const char *sql, const char *what, char **cause)
{
	if (sqlite3_exec(rs->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		registry_sqlite_error(rs, what, cause);
		return -1;
	}
	return 0;
}

/*
 * Prepares sql and binds the parameters that types describes, one character
 * each: 's' a string (NULL binds NULL), 'i' an int, 'l' a long long, 'o' an
 * optional long long (negative binds NULL). Returns 0 with *stmt set (the
 * caller finalizes it) or -1 with *cause set.
 */
static int
registry_sqlite_prepare(struct registry_sqlite *rs, sqlite3_stmt **stmt, char **cause,
    const char *sql, const char *types, ...)
{
	va_list ap;
	const char *s;
	long long ll;
	int i, rc = SQLITE_OK;

	*stmt = NULL;
	if (sqlite3_prepare_v2(rs->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		registry_sqlite_error(rs, "cannot prepare a statement", cause);
		return -1;
	}
	va_start(ap, types);
	for (i = 0; rc == SQLITE_OK && types[i] != '\0'; i++) {
		switch (types[i]) {
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL)
				rc = sqlite3_bind_null(*stmt, i + 1);
			else
				rc = sqlite3_bind_text(*stmt, i + 1, s, -1, SQLITE_TRANSIENT);
			break;
		case 'i':
			rc = sqlite3_bind_int(*stmt, i + 1, va_arg(ap, int));
			break;
		case 'l':
			rc = sqlite3_bind_int64(*stmt, i + 1, va_arg(ap, long long));
			break;
		case 'o':
			ll = va_arg(ap, long long);
			if (ll < 0)
				rc = sqlite3_bind_null(*stmt, i + 1);
			else
				rc = sqlite3_bind_int64(*stmt, i + 1, ll);
			break;
		default:
			abort();
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		registry_sqlite_error(rs, "cannot bind a parameter", cause);
		sqlite3_finalize(*stmt);
		*stmt = NULL;
		return -1;
	}
	return 0;
}

/*
 * Runs a statement that returns no rows and finalizes it. Returns 0, 1 when
 * a UNIQUE constraint refused it (no cause), or -1 with *cause set.
 */
static int
registry_sqlite_done(struct registry_sqlite *rs, sqlite3_stmt *stmt, const char *what,
    char **cause)
{
	int rc, xrc, r = 0;

	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		xrc = sqlite3_extended_errcode(rs->db);
		if (xrc == SQLITE_CONSTRAINT_UNIQUE || xrc == SQLITE_CONSTRAINT_PRIMARYKEY)
			r = 1;
		else {
			registry_sqlite_error(rs, what, cause);
			r = -1;
		}
	}
	sqlite3_finalize(stmt);
	return r;
}

/* Steps a query; returns 1 for a row, 0 at the end, -1 with *cause set. */
static int
registry_sqlite_row(struct registry_sqlite *rs, sqlite3_stmt *stmt, const char *what,
    char **cause)
{
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		registry_sqlite_error(rs, what, cause);
		return -1;
	}
}

/* Column i as a newly allocated string, NULL when NULL. */
static char *
registry_sqlite_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	return s == NULL ? NULL : xstrdup((const char *)s);
}

/* Column i as a number, -1 when NULL. */
static long long
registry_sqlite_opt(sqlite3_stmt *stmt, int i)
{
	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(stmt, i);
}

static int
registry_sqlite_begin(struct registry_sqlite *rs, char **cause)
{
	return registry_sqlite_exec(rs, "BEGIN IMMEDIATE", "cannot start a transaction", cause);
}

static int
registry_sqlite_commit(struct registry_sqlite *rs, char **cause)
{
	return registry_sqlite_exec(rs, "COMMIT", "cannot commit", cause);
}

/* Rolls back whatever is open; some errors have rolled back already. */
static void
registry_sqlite_rollback(struct registry_sqlite *rs)
{
	if (!sqlite3_get_autocommit(rs->db))
		sqlite3_exec(rs->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Creates the missing directories above path, each mode 0700. */
static int
registry_sqlite_mkdirs(const char *path, char **cause)
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

static int
registry_sqlite_open(struct registry *reg, const struct config *cfg, char **cause)
{
	struct registry_sqlite *rs = NULL;
	const char *path = cfg->registry_path;
	int fd, memory;

	if (path == NULL || *path == '\0') {
		*cause = xstrdup("no registry_path configured for the sqlite registry");
		return -1;
	}
	memory = strcmp(path, ":memory:") == 0;
	if (!memory) {
		if (registry_sqlite_mkdirs(path, cause) != 0)
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

	rs = xcalloc(1, sizeof(*rs));
	rs->path = xstrdup(path);
	if (sqlite3_open_v2(path, &rs->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		*cause = xasprintf("cannot open registry %s: %s", path,
		    rs->db != NULL ? sqlite3_errmsg(rs->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(rs->db, 1);
	sqlite3_busy_timeout(rs->db, 5000);
	/*
	 * journal_mode=WAL is persistent and written by init: setting it here
	 * would modify a file that may not be ours.
	 */
	if (registry_sqlite_exec(rs, "PRAGMA foreign_keys = ON", "cannot enable foreign keys",
	    cause) != 0)
		goto fail;
	reg->impl = rs;
	return 0;

fail:
	sqlite3_close(rs->db);
	free(rs->path);
	free(rs);
	return -1;
}

static void
registry_sqlite_close(struct registry *reg)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);

	sqlite3_close(rs->db);
	free(rs->path);
	free(rs);
	reg->impl = NULL;
}

/* Sets *cause to "PATH is not an mhaadm registry (WHY)". */
static void
registry_sqlite_not_ours(struct registry_sqlite *rs, const char *why, char **cause)
{
	*cause = xasprintf("%s is not an mhaadm registry (%s)", rs->path, why);
}

static int
registry_sqlite_schema_version(struct registry *reg, int *version, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt = NULL;
	char *tables = NULL, *why = NULL, *name;
	int has_info = 0, rc, r = -1;

	/* Reading the schema is the first read of the file: it tells a non-database. */
	if (registry_sqlite_prepare(rs, &stmt, cause, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", "") != 0) {
		if (sqlite3_errcode(rs->db) == SQLITE_NOTADB) {
			free(*cause);
			registry_sqlite_not_ours(rs, sqlite3_errmsg(rs->db), cause);
		}
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		name = (char *)sqlite3_column_text(stmt, 0);
		if (strcmp(name, "schema_info") == 0)
			has_info = 1;
		else if (tables == NULL)
			tables = xstrdup(name);
		else if (strlen(tables) < 200) {
			char *joined = xasprintf("%s, %s", tables, name);

			free(tables);
			tables = joined;
		}
	}
	if (rc != SQLITE_DONE) {
		if (sqlite3_errcode(rs->db) == SQLITE_NOTADB)
			registry_sqlite_not_ours(rs, sqlite3_errmsg(rs->db), cause);
		else
			registry_sqlite_error(rs, "cannot read the schema", cause);
		goto out;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;

	if (!has_info) {
		if (tables != NULL) {
			why = xasprintf("it has tables of its own but no schema_info: %s", tables);
			registry_sqlite_not_ours(rs, why, cause);
			goto out;
		}
		*version = 0;
		r = 0;
		goto out;
	}
	if (registry_sqlite_prepare(rs, &stmt, cause, "SELECT version FROM schema_info", "") != 0)
		goto out;
	if ((rc = registry_sqlite_row(rs, stmt, "cannot read the schema version", cause)) == -1)
		goto out;
	if (rc == 0 || sqlite3_column_type(stmt, 0) != SQLITE_INTEGER ||
	    sqlite3_column_int(stmt, 0) < 1) {
		registry_sqlite_not_ours(rs, "schema_info holds no valid version", cause);
		goto out;
	}
	*version = sqlite3_column_int(stmt, 0);
	r = 0;
out:
	sqlite3_finalize(stmt);
	free(why);
	free(tables);
	return r;
}

static int
registry_sqlite_init(struct registry *reg, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt = NULL;
	int version, v;

	if (registry_sqlite_schema_version(reg, &version, cause) != 0)
		return -1;
	if (version == REGISTRY_SCHEMA_VERSION)
		return 0;
	/* Persistent: every later connection to the file uses the write-ahead log. */
	if (registry_sqlite_exec(rs, "PRAGMA journal_mode = WAL", "cannot enable WAL", cause) != 0)
		return -1;
	if (registry_sqlite_begin(rs, cause) != 0)
		return -1;
	/* Read again under the write lock: another init may have run meanwhile. */
	if (registry_sqlite_schema_version(reg, &version, cause) != 0)
		goto fail;
	if (version > REGISTRY_SCHEMA_VERSION) {
		*cause = xasprintf("registry %s has schema version %d and was made by a newer "
		    "mhaadm (this one knows version %d)", rs->path, version,
		    REGISTRY_SCHEMA_VERSION);
		goto fail;
	}
	for (v = version + 1; v <= REGISTRY_SCHEMA_VERSION; v++) {
		if (registry_sqlite_exec(rs, registry_sqlite_migrations[v],
		    "cannot create the schema", cause) != 0)
			goto fail;
	}
	if (registry_sqlite_prepare(rs, &stmt, cause,
	    "INSERT OR REPLACE INTO schema_info (id, version) VALUES (1, ?)", "i",
	    REGISTRY_SCHEMA_VERSION) != 0)
		goto fail;
	if (registry_sqlite_done(rs, stmt, "cannot record the schema version", cause) != 0)
		goto fail;
	if (registry_sqlite_commit(rs, cause) != 0)
		goto fail;
	return 0;

fail:
	registry_sqlite_rollback(rs);
	return -1;
}

/* Appends ev; its cluster defaults to cluster. NULL ev writes nothing. 0 or -1. */
static int
registry_sqlite_event_insert(struct registry_sqlite *rs, const struct registry_event *ev,
    const char *cluster, char **cause)
{
	sqlite3_stmt *stmt;

	if (ev == NULL)
		return 0;
	if (ev->type == NULL || *ev->type == '\0') {
		*cause = xstrdup("an event needs a type");
		return -1;
	}
	if (registry_sqlite_prepare(rs, &stmt, cause,
	    "INSERT INTO events (at, cluster, node, type, message) "
	    "VALUES (COALESCE(?, CURRENT_TIMESTAMP), ?, ?, ?, ?)", "sssss", ev->at,
	    ev->cluster != NULL ? ev->cluster : cluster, ev->node, ev->type,
	    ev->message != NULL ? ev->message : "") != 0)
		return -1;
	return registry_sqlite_done(rs, stmt, "cannot record the event", cause) == 0 ? 0 : -1;
}

/* Inserts c's nodes under cluster id. 0, 1 (a UNIQUE conflict) or -1. */
static int
registry_sqlite_nodes_insert(struct registry_sqlite *rs, long long id,
    const struct registry_cluster *c, char **cause)
{
	const struct registry_node *n;
	sqlite3_stmt *stmt;
	size_t i;
	int r;

	for (i = 0; i < c->n_nodes; i++) {
		n = &c->nodes[i];
		if (registry_sqlite_prepare(rs, &stmt, cause,
		    "INSERT INTO nodes (cluster_id, host, port, role, candidate_master, no_master,"
		    " version, server_id, read_only, log_bin, lag)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "lsisiisoooo", id, n->host,
		    n->port, registry_role_name(n->role), n->candidate_master != 0,
		    n->no_master != 0, n->version, n->server_id, (long long)n->read_only,
		    (long long)n->log_bin, n->lag) != 0)
			return -1;
		if ((r = registry_sqlite_done(rs, stmt, "cannot insert a node", cause)) != 0)
			return r;
	}
	return 0;
}

/*
 * Steps stmt, a query whose first column names the cluster owning a row that
 * conflicts, and finalizes it. 1 with *owner set (newly allocated), 0 when
 * there is none, -1 with *cause set.
 */
static int
registry_sqlite_owner(struct registry_sqlite *rs, sqlite3_stmt *stmt, char **owner,
    char **cause)
{
	int r;

	free(*owner);
	*owner = NULL;
	r = registry_sqlite_row(rs, stmt, "cannot look up a conflict", cause);
	if (r == 1)
		*owner = registry_sqlite_text(stmt, 0);
	sqlite3_finalize(stmt);
	return r;
}

/*
 * After a UNIQUE constraint refused c, works out which existing row it
 * collides with and sets *cause to say so. When is_update, c itself exists
 * and its own rows are not conflicts. 0 (message set) or -1.
 */
static int
registry_sqlite_conflict(struct registry_sqlite *rs, const struct registry_cluster *c,
    int is_update, char **cause)
{
	const char *self = is_update ? c->name : "";
	sqlite3_stmt *stmt;
	char *owner = NULL;
	size_t i, j;
	int r = 0;

	if (!is_update) {
		if (registry_sqlite_prepare(rs, &stmt, cause,
		    "SELECT name FROM clusters WHERE name = ?", "s", c->name) != 0)
			goto fail;
		if ((r = registry_sqlite_owner(rs, stmt, &owner, cause)) == 1)
			*cause = xasprintf("cluster '%s' already exists", c->name);
		if (r != 0)
			goto out;
	}
	if (c->vip != NULL) {
		if (registry_sqlite_prepare(rs, &stmt, cause,
		    "SELECT name FROM clusters WHERE vip = ? AND name <> ?", "ss", c->vip,
		    self) != 0)
			goto fail;
		if ((r = registry_sqlite_owner(rs, stmt, &owner, cause)) == 1)
			*cause = xasprintf("VIP %s is already used by cluster '%s'", c->vip, owner);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < c->n_nodes; i++) {
		if (registry_sqlite_prepare(rs, &stmt, cause,
		    "SELECT c.name FROM nodes n JOIN clusters c ON c.id = n.cluster_id"
		    " WHERE n.host = ? AND n.port = ? AND c.name <> ?", "sis", c->nodes[i].host,
		    c->nodes[i].port, self) != 0)
			goto fail;
		if ((r = registry_sqlite_owner(rs, stmt, &owner, cause)) == 1)
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

fail:
	free(owner);
	return -1;
}

static int
registry_sqlite_cluster_add(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt;
	long long id;
	int r;

	if (c->name == NULL || c->vip == NULL) {
		*cause = xstrdup("a cluster needs a name and a VIP");
		return -1;
	}
	if (registry_sqlite_begin(rs, cause) != 0)
		return -1;
	r = registry_sqlite_prepare(rs, &stmt, cause,
	    "INSERT INTO clusters (name, vip, vip_prefix, iface, state, desired, engine) "
	    "VALUES (?, ?, ?, COALESCE(?, 'eth0'), ?, ?, COALESCE(?, 'mha'))", "ssissss", c->name,
	    c->vip, c->vip_prefix, c->iface, registry_state_name(c->state),
	    registry_desired_name(c->desired), c->engine);
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot insert the cluster", cause);
	if (r == 0) {
		id = sqlite3_last_insert_rowid(rs->db);
		r = registry_sqlite_nodes_insert(rs, id, c, cause);
	}
	if (r == 0)
		r = registry_sqlite_event_insert(rs, ev, c->name, cause);
	if (r == 0)
		r = registry_sqlite_commit(rs, cause);
	if (r == 0)
		return 0;

	registry_sqlite_rollback(rs);
	if (r == 1) {
		if (registry_sqlite_conflict(rs, c, 0, cause) != 0)
			return -1;
	}
	return r;
}

/* Finds the id of the cluster called name; 1 with *id set, 0 when none, -1. */
static int
registry_sqlite_cluster_id(struct registry_sqlite *rs, const char *name, long long *id,
    char **cause)
{
	sqlite3_stmt *stmt;
	int r;

	if (registry_sqlite_prepare(rs, &stmt, cause, "SELECT id FROM clusters WHERE name = ?",
	    "s", name) != 0)
		return -1;
	r = registry_sqlite_row(rs, stmt, "cannot look up the cluster", cause);
	if (r == 1)
		*id = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return r;
}

static int
registry_sqlite_cluster_update(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt;
	long long id = 0;
	int r;

	if (c->name == NULL) {
		*cause = xstrdup("a cluster needs a name");
		return -1;
	}
	if (registry_sqlite_begin(rs, cause) != 0)
		return -1;
	r = registry_sqlite_cluster_id(rs, c->name, &id, cause);
	if (r != 1) {
		registry_sqlite_rollback(rs);
		return r == 0 ? 1 : -1;
	}
	r = registry_sqlite_prepare(rs, &stmt, cause,
	    "UPDATE clusters SET vip = COALESCE(?, vip), vip_prefix = ?, iface = COALESCE(?, iface),"
	    " state = ?, desired = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?", "sisssl",
	    c->vip, c->vip_prefix, c->iface, registry_state_name(c->state),
	    registry_desired_name(c->desired), id);
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot update the cluster", cause);
	if (r == 0) {
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "DELETE FROM nodes WHERE cluster_id = ?", "l", id);
	}
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot delete the old nodes", cause);
	if (r == 0)
		r = registry_sqlite_nodes_insert(rs, id, c, cause);
	if (r == 0)
		r = registry_sqlite_event_insert(rs, ev, c->name, cause);
	if (r == 0)
		r = registry_sqlite_commit(rs, cause);
	if (r == 0)
		return 0;

	registry_sqlite_rollback(rs);
	/* A conflict here is an error: 1 means "no such cluster". */
	if (r == 1)
		registry_sqlite_conflict(rs, c, 1, cause);
	return -1;
}

/* Reads the cluster in the current row of a query on registry_sqlite_cluster_columns. */
static int
registry_sqlite_cluster_read(struct registry_sqlite *rs, sqlite3_stmt *stmt,
    struct registry_cluster **out, char **cause)
{
	struct registry_cluster *c;
	const char *state, *desired;

	c = xcalloc(1, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	c->name = registry_sqlite_text(stmt, 1);
	c->vip = registry_sqlite_text(stmt, 2);
	c->vip_prefix = sqlite3_column_int(stmt, 3);
	c->iface = registry_sqlite_text(stmt, 4);
	state = (const char *)sqlite3_column_text(stmt, 5);
	desired = (const char *)sqlite3_column_text(stmt, 6);
	c->created_at = registry_sqlite_text(stmt, 7);
	c->updated_at = registry_sqlite_text(stmt, 8);
	c->engine = registry_sqlite_text(stmt, 9);
	if (registry_state_parse(state, &c->state) != 0) {
		*cause = xasprintf("registry %s: cluster '%s' has an unknown state '%s'", rs->path,
		    c->name, state != NULL ? state : "");
		goto fail;
	}
	if (registry_desired_parse(desired, &c->desired) != 0) {
		*cause = xasprintf("registry %s: cluster '%s' has an unknown desired state '%s'",
		    rs->path, c->name, desired != NULL ? desired : "");
		goto fail;
	}
	*out = c;
	return 0;

fail:
	registry_cluster_free(c);
	return -1;
}

/* Loads the nodes of c, in the order they were inserted. */
static int
registry_sqlite_nodes_load(struct registry_sqlite *rs, struct registry_cluster *c,
    char **cause)
{
	struct registry_node *n;
	sqlite3_stmt *stmt;
	const char *role;
	int r;

	if (registry_sqlite_prepare(rs, &stmt, cause,
	    "SELECT host, port, role, candidate_master, no_master, version, server_id,"
	    " read_only, log_bin, lag FROM nodes WHERE cluster_id = ? ORDER BY id", "l",
	    c->id) != 0)
		return -1;
	while ((r = registry_sqlite_row(rs, stmt, "cannot read the nodes", cause)) == 1) {
		c->nodes = xreallocarray(c->nodes, c->n_nodes + 1, sizeof(*c->nodes));
		n = &c->nodes[c->n_nodes++];
		memset(n, 0, sizeof(*n));
		n->host = registry_sqlite_text(stmt, 0);
		n->port = sqlite3_column_int(stmt, 1);
		role = (const char *)sqlite3_column_text(stmt, 2);
		n->candidate_master = sqlite3_column_int(stmt, 3) != 0;
		n->no_master = sqlite3_column_int(stmt, 4) != 0;
		n->version = registry_sqlite_text(stmt, 5);
		n->server_id = registry_sqlite_opt(stmt, 6);
		n->read_only = (int)registry_sqlite_opt(stmt, 7);
		n->log_bin = (int)registry_sqlite_opt(stmt, 8);
		n->lag = registry_sqlite_opt(stmt, 9);
		if (registry_role_parse(role, &n->role) != 0) {
			*cause = xasprintf("registry %s: node %s:%d has an unknown role '%s'",
			    rs->path, n->host, n->port, role != NULL ? role : "");
			r = -1;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return r;
}

static int
registry_sqlite_cluster_get(struct registry *reg, const char *name,
    struct registry_cluster **out, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	struct registry_cluster *c = NULL;
	sqlite3_stmt *stmt = NULL;
	char *sql;
	int r;

	*out = NULL;
	if (registry_sqlite_exec(rs, "BEGIN", "cannot start a transaction", cause) != 0)
		return -1;
	sql = xasprintf("SELECT %s FROM clusters WHERE name = ?", registry_sqlite_cluster_columns);
	r = registry_sqlite_prepare(rs, &stmt, cause, sql, "s", name);
	free(sql);
	if (r == 0)
		r = registry_sqlite_row(rs, stmt, "cannot read the cluster", cause);
	if (r == 1)
		r = registry_sqlite_cluster_read(rs, stmt, &c, cause) == 0 ? 1 : -1;
	sqlite3_finalize(stmt);
	if (r == 1)
		r = registry_sqlite_nodes_load(rs, c, cause) == 0 ? 1 : -1;
	registry_sqlite_rollback(rs);
	if (r != 1) {
		registry_cluster_free(c);
		return r == 0 ? 1 : -1;
	}
	*out = c;
	return 0;
}

static int
registry_sqlite_cluster_list(struct registry *reg, struct registry_cluster ***out, size_t *n,
    char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	struct registry_cluster **list = NULL, *c;
	sqlite3_stmt *stmt = NULL;
	size_t count = 0, i;
	char *sql;
	int r;

	*out = NULL;
	*n = 0;
	if (registry_sqlite_exec(rs, "BEGIN", "cannot start a transaction", cause) != 0)
		return -1;
	sql = xasprintf("SELECT %s FROM clusters ORDER BY name", registry_sqlite_cluster_columns);
	r = registry_sqlite_prepare(rs, &stmt, cause, sql, "");
	free(sql);
	if (r != 0)
		goto out;
	while ((r = registry_sqlite_row(rs, stmt, "cannot read the clusters", cause)) == 1) {
		if ((r = registry_sqlite_cluster_read(rs, stmt, &c, cause)) != 0)
			break;
		list = xreallocarray(list, count + 1, sizeof(*list));
		list[count++] = c;
	}
	for (i = 0; r == 0 && i < count; i++)
		r = registry_sqlite_nodes_load(rs, list[i], cause);
out:
	sqlite3_finalize(stmt);
	registry_sqlite_rollback(rs);
	if (r != 0) {
		registry_cluster_list_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

static int
registry_sqlite_cluster_del(struct registry *reg, const char *name,
    const struct registry_event *ev, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt;
	long long id = 0;
	int r;

	if (registry_sqlite_begin(rs, cause) != 0)
		return -1;
	r = registry_sqlite_cluster_id(rs, name, &id, cause);
	if (r != 1) {
		registry_sqlite_rollback(rs);
		return r == 0 ? 1 : -1;
	}
	/* The cascade would do it; deleting the nodes first does not rely on it. */
	r = registry_sqlite_prepare(rs, &stmt, cause, "DELETE FROM nodes WHERE cluster_id = ?",
	    "l", id);
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot delete the nodes", cause);
	if (r == 0) {
		r = registry_sqlite_prepare(rs, &stmt, cause, "DELETE FROM clusters WHERE id = ?",
		    "l", id);
	}
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot delete the cluster", cause);
	if (r == 0)
		r = registry_sqlite_event_insert(rs, ev, name, cause);
	if (r == 0)
		r = registry_sqlite_commit(rs, cause);
	if (r == 0)
		return 0;
	registry_sqlite_rollback(rs);
	return -1;
}

static int
registry_sqlite_cluster_set_state(struct registry *reg, const char *name,
    enum registry_state state, enum registry_desired desired, const struct registry_event *ev,
    char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt;
	int r;

	if (registry_sqlite_begin(rs, cause) != 0)
		return -1;
	if (desired == REGISTRY_DESIRED_KEEP)
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "UPDATE clusters SET state = ?, updated_at = CURRENT_TIMESTAMP WHERE name = ?",
		    "ss", registry_state_name(state), name);
	else
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "UPDATE clusters SET state = ?, desired = ?, updated_at = CURRENT_TIMESTAMP "
		    "WHERE name = ?", "sss", registry_state_name(state),
		    registry_desired_name(desired), name);
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot set the state", cause);
	if (r == 0 && sqlite3_changes(rs->db) == 0) {
		registry_sqlite_rollback(rs);
		return 1;
	}
	if (r == 0)
		r = registry_sqlite_event_insert(rs, ev, name, cause);
	if (r == 0)
		r = registry_sqlite_commit(rs, cause);
	if (r == 0)
		return 0;
	registry_sqlite_rollback(rs);
	return -1;
}

static int
registry_sqlite_cluster_set_master(struct registry *reg, const char *name, const char *new_host,
    int new_port, enum registry_state state, const struct registry_event *ev, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt;
	long long id = 0;
	int r;

	if (registry_sqlite_begin(rs, cause) != 0)
		return -1;
	r = registry_sqlite_cluster_id(rs, name, &id, cause);
	if (r == 0) {
		registry_sqlite_rollback(rs);
		return 1;
	}
	r = r == 1 ? 0 : -1;
	if (r == 0)
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "UPDATE nodes SET role = 'failed' WHERE cluster_id = ? AND role = 'master' "
		    "AND NOT (host = ? AND port = ?)", "lsi", id, new_host, new_port);
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot mark the old master failed", cause);
	if (r == 0)
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "UPDATE nodes SET role = 'master', lag = NULL, read_only = 0 WHERE cluster_id = ? "
		    "AND host = ? "
		    "AND port = ?", "lsi", id, new_host, new_port);
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot record the new master", cause);
	if (r == 0 && sqlite3_changes(rs->db) == 0) {
		registry_sqlite_rollback(rs);
		return 1;
	}
	if (r == 0)
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "UPDATE clusters SET state = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
		    "sl", registry_state_name(state), id);
	if (r == 0)
		r = registry_sqlite_done(rs, stmt, "cannot set the state", cause);
	if (r == 0)
		r = registry_sqlite_event_insert(rs, ev, name, cause);
	if (r == 0)
		r = registry_sqlite_commit(rs, cause);
	if (r == 0)
		return 0;
	registry_sqlite_rollback(rs);
	return -1;
}

static int
registry_sqlite_event_add(struct registry *reg, const struct registry_event *ev, char **cause)
{
	return registry_sqlite_event_insert(registry_sqlite_impl(reg), ev, NULL, cause);
}

/*
 * Reads the rows of a prepared "SELECT id, at, cluster, node, type, message"
 * into a newly allocated list, finalizing stmt. Returns 0 or -1 with *cause.
 */
static int
registry_sqlite_events_read(struct registry_sqlite *rs, sqlite3_stmt *stmt,
    struct registry_event **out, size_t *n, char **cause)
{
	struct registry_event *list = NULL, *ev;
	size_t count = 0;
	int r;

	while ((r = registry_sqlite_row(rs, stmt, "cannot read the events", cause)) == 1) {
		list = xreallocarray(list, count + 1, sizeof(*list));
		ev = &list[count++];
		ev->id = sqlite3_column_int64(stmt, 0);
		ev->at = registry_sqlite_text(stmt, 1);
		ev->cluster = registry_sqlite_text(stmt, 2);
		ev->node = registry_sqlite_text(stmt, 3);
		ev->type = registry_sqlite_text(stmt, 4);
		ev->message = registry_sqlite_text(stmt, 5);
	}
	sqlite3_finalize(stmt);
	if (r != 0) {
		registry_event_list_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

static int
registry_sqlite_event_list(struct registry *reg, const char *cluster, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt;
	long long lim;
	int r;

	*out = NULL;
	*n = 0;
	/* 0 means no limit, which SQLite spells -1. */
	lim = (limit == 0 || limit > LLONG_MAX) ? -1 : (long long)limit;
	if (cluster != NULL) {
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "SELECT id, at, cluster, node, type, message FROM events WHERE cluster = ?"
		    " ORDER BY id DESC LIMIT ?", "sl", cluster, lim);
	} else {
		r = registry_sqlite_prepare(rs, &stmt, cause,
		    "SELECT id, at, cluster, node, type, message FROM events"
		    " ORDER BY id DESC LIMIT ?", "l", lim);
	}
	if (r != 0)
		return -1;
	return registry_sqlite_events_read(rs, stmt, out, n, cause);
}

static int
registry_sqlite_event_since(struct registry *reg, long long after_id, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	struct registry_sqlite *rs = registry_sqlite_impl(reg);
	sqlite3_stmt *stmt;
	long long lim;

	*out = NULL;
	*n = 0;
	lim = (limit == 0 || limit > LLONG_MAX) ? -1 : (long long)limit;
	if (registry_sqlite_prepare(rs, &stmt, cause,
	    "SELECT id, at, cluster, node, type, message FROM events WHERE id > ?"
	    " ORDER BY id LIMIT ?", "ll", after_id, lim) != 0)
		return -1;
	return registry_sqlite_events_read(rs, stmt, out, n, cause);
}

const struct registry_ops registry_sqlite_ops = {
	.name = "sqlite",
	.open = registry_sqlite_open,
	.close = registry_sqlite_close,
	.schema_version = registry_sqlite_schema_version,
	.init = registry_sqlite_init,
	.cluster_add = registry_sqlite_cluster_add,
	.cluster_update = registry_sqlite_cluster_update,
	.cluster_get = registry_sqlite_cluster_get,
	.cluster_list = registry_sqlite_cluster_list,
	.cluster_del = registry_sqlite_cluster_del,
	.cluster_set_state = registry_sqlite_cluster_set_state,
	.cluster_set_master = registry_sqlite_cluster_set_master,
	.event_add = registry_sqlite_event_add,
	.event_list = registry_sqlite_event_list,
	.event_since = registry_sqlite_event_since,
};
