/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry's domain operations, written once over db.h for both backends. */
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "registry-schema.h"
#include "registry.h"
#include "xmalloc.h"

static const char registry_ops_cluster_columns[] =
    "id, name, vip, vip_prefix, iface, state, desired, created_at, updated_at, engine";

static const char registry_ops_event_columns[] = "id, at, cluster, node, type, message, fields";

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

/* ev's fields as the text of a JSON object, newly allocated; NULL when it has none. */
static char *
registry_ops_fields_json(const struct registry_event *ev)
{
	struct json_object *o;
	char *s;
	size_t i;

	if (ev->n_fields == 0)
		return NULL;
	o = json_object_new_object();
	for (i = 0; i < ev->n_fields; i++) {
		if (ev->fields[i].key == NULL || ev->fields[i].value == NULL)
			continue;
		json_object_object_add(
		    o, ev->fields[i].key, json_object_new_string(ev->fields[i].value));
	}
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/*
 * Fills ev's fields from the JSON object text s (NULL: none). A value that
 * is not a string keeps its JSON text; text that is no JSON object (written
 * by hand) is kept whole as the field "raw", so nothing is lost.
 */
static void
registry_ops_fields_parse(struct registry_event *ev, const char *s)
{
	struct json_object *o;
	const char *v;

	ev->fields = NULL;
	ev->n_fields = 0;
	if (s == NULL || *s == '\0')
		return;
	o = json_tokener_parse(s);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		registry_event_field_set(ev, "raw", s);
		return;
	}
	json_object_object_foreach(o, key, val)
	{
		if (val == NULL)
			continue;
		if (json_object_is_type(val, json_type_string))
			v = json_object_get_string(val);
		else
			v = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
		registry_event_field_set(ev, key, v);
	}
	json_object_put(o);
}

/* Appends ev; its cluster defaults to cluster. NULL ev writes nothing. 0 or -1. */
static int
registry_ops_event_insert(
    struct db *db, const struct registry_event *ev, const char *cluster, char **cause)
{
	char *fields;
	int r;

	if (ev == NULL)
		return 0;
	if (ev->type == NULL || *ev->type == '\0') {
		*cause = xstrdup("an event needs a type");
		return -1;
	}
	fields = registry_ops_fields_json(ev);
	r = db_exec(db, "cannot record the event", cause,
	    "INSERT INTO events (at, cluster, node, type, message, fields) "
	    "VALUES (COALESCE(?, CURRENT_TIMESTAMP), ?, ?, ?, ?, ?)",
	    "ssssss", ev->at, ev->cluster != NULL ? ev->cluster : cluster, ev->node, ev->type,
	    ev->message != NULL ? ev->message : "", fields);
	free(fields);
	return r == 0 ? 0 : -1;
}

/* Inserts c's nodes under cluster id. 0, 1 (a UNIQUE conflict) or -1. */
static int
registry_ops_nodes_insert(
    struct db *db, long long id, const struct registry_cluster *c, char **cause)
{
	const struct registry_node *n;
	size_t i;
	int r;

	for (i = 0; i < c->n_nodes; i++) {
		n = &c->nodes[i];
		r = db_exec(db, "cannot insert a node", cause,
		    "INSERT INTO nodes (cluster_id, host, port, role, candidate_master, no_master,"
		    " version, server_id, read_only, log_bin, `lag`)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    "lsisiisoooo", id, n->host, n->port, registry_role_name(n->role),
		    n->candidate_master != 0, n->no_master != 0, n->version, n->server_id,
		    (long long)n->read_only, (long long)n->log_bin, n->lag);
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * The end of add and update, inside their transaction: inserts c's nodes
 * under cluster id and the event, and commits. 0, or DB_CONFLICT or -1
 * with everything rolled back.
 */
static int
registry_ops_write_nodes(struct db *db, long long id, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause)
{
	int r;

	r = registry_ops_nodes_insert(db, id, c, cause);
	if (r == 0)
		r = registry_ops_event_insert(db, ev, c->name, cause);
	if (r == 0)
		r = db_commit(db, cause);
	if (r != 0)
		db_rollback(db);
	return r;
}

/*
 * Looks up the cluster owning a row that conflicts (the query's first
 * column). 1 with *owner set (newly allocated), 0 when there is none, -1.
 */
static int
registry_ops_owner(struct db *db, char **owner, char **cause, const char *sql, const char *types,
    const char *s1, const char *s2, int i3)
{
	free(*owner);
	*owner = NULL;
	return db_scalar(db, owner, "cannot look up a conflict", cause, sql, types, s1, s2, i3);
}

/*
 * After a UNIQUE constraint refused c, works out which existing row it
 * collides with and sets *cause to say so. When is_update, c itself exists
 * and its own rows are not conflicts. 0 (message set) or -1.
 */
static int
registry_ops_conflict(struct db *db, const struct registry_cluster *c, int is_update, char **cause)
{
	const char *self = is_update ? c->name : "";
	char *owner = NULL;
	size_t i, j;
	int r = 0;

	if (!is_update) {
		r = registry_ops_owner(db, &owner, cause,
		    "SELECT name FROM clusters WHERE name = ?", "s", c->name, NULL, 0);
		if (r == 1)
			*cause = xasprintf("cluster '%s' already exists", c->name);
		if (r != 0)
			goto out;
	}
	if (c->vip != NULL) {
		r = registry_ops_owner(db, &owner, cause,
		    "SELECT name FROM clusters WHERE vip = ? AND name <> ?", "ss", c->vip, self, 0);
		if (r == 1)
			*cause = xasprintf("VIP %s is already used by cluster '%s'", c->vip, owner);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < c->n_nodes; i++) {
		r = registry_ops_owner(db, &owner, cause,
		    "SELECT c.name FROM nodes n JOIN clusters c ON c.id = n.cluster_id"
		    " WHERE c.name <> ? AND n.host = ? AND n.port = ?",
		    "ssi", self, c->nodes[i].host, c->nodes[i].port);
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
	                   "try again",
	    c->name);
out:
	free(owner);
	return r == -1 ? -1 : 0;
}

int
registry_cluster_add(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause)
{
	struct db *db = reg->db;
	int r;

	if (c->name == NULL || c->vip == NULL) {
		*cause = xstrdup("a cluster needs a name and a VIP");
		return -1;
	}
	if (db_begin(db, DB_TXN_WRITE, cause) != 0)
		return -1;
	r = db_exec(db, "cannot insert the cluster", cause,
	    "INSERT INTO clusters (name, vip, vip_prefix, iface, state, desired, engine) "
	    "VALUES (?, ?, ?, COALESCE(?, 'eth0'), ?, ?, COALESCE(?, 'mha'))",
	    "ssissss", c->name, c->vip, c->vip_prefix, c->iface, registry_state_name(c->state),
	    registry_desired_name(c->desired), c->engine);
	if (r == 0)
		r = registry_ops_write_nodes(db, db_insert_id(db), c, ev, cause);
	else
		db_rollback(db);
	if (r == 0)
		return 0;
	if (r == DB_CONFLICT && registry_ops_conflict(db, c, 0, cause) != 0)
		return -1;
	return r;
}

/*
 * Finds the id of the cluster called name inside a write transaction,
 * locking its row until the transaction ends (MySQL; SQLite's write lock
 * covers the whole file already). 1 with *id set, 0 when none, -1.
 */
static int
registry_ops_cluster_id(struct db *db, const char *name, long long *id, char **cause)
{
	char *s = NULL;
	int r;

	r = db_scalar(db, &s, "cannot look up the cluster", cause,
	    db_dialect(db) == DB_DIALECT_MYSQL ? "SELECT id FROM clusters WHERE name = ? FOR UPDATE"
	                                       : "SELECT id FROM clusters WHERE name = ?",
	    "s", name);
	if (r == 1 && s != NULL)
		*id = strtoll(s, NULL, 10);
	else if (r == 1)
		r = 0;
	free(s);
	return r;
}

/*
 * Opens a write transaction and finds the cluster called name in it: 0 with
 * *id set and the transaction open, 1 when there is none (rolled back, no
 * cause), -1 (rolled back).
 */
static int
registry_ops_begin_cluster(struct db *db, const char *name, long long *id, char **cause)
{
	int r;

	if (db_begin(db, DB_TXN_WRITE, cause) != 0)
		return -1;
	r = registry_ops_cluster_id(db, name, id, cause);
	if (r == 1)
		return 0;
	db_rollback(db);
	return r == 0 ? 1 : -1;
}

/* Adds ev (its cluster defaulting to name) and commits; rolls back on failure. 0 or -1. */
static int
registry_ops_finish(
    struct db *db, int r, const struct registry_event *ev, const char *name, char **cause)
{
	if (r == 0)
		r = registry_ops_event_insert(db, ev, name, cause);
	if (r == 0)
		r = db_commit(db, cause);
	if (r == 0)
		return 0;
	db_rollback(db);
	return -1;
}

int
registry_cluster_update(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause)
{
	struct db *db = reg->db;
	long long id = 0;
	int r;

	if (c->name == NULL) {
		*cause = xstrdup("a cluster needs a name");
		return -1;
	}
	if ((r = registry_ops_begin_cluster(db, c->name, &id, cause)) != 0)
		return r;
	r = db_exec(db, "cannot update the cluster", cause,
	    "UPDATE clusters SET vip = COALESCE(?, vip), vip_prefix = ?, iface = COALESCE(?, "
	    "iface),"
	    " state = ?, desired = ?, engine = COALESCE(?, engine),"
	    " updated_at = CURRENT_TIMESTAMP WHERE id = ?",
	    "sissssl", c->vip, c->vip_prefix, c->iface, registry_state_name(c->state),
	    registry_desired_name(c->desired), c->engine, id);
	if (r == 0)
		r = db_exec(db, "cannot delete the old nodes", cause,
		    "DELETE FROM nodes WHERE cluster_id = ?", "l", id);
	if (r == 0)
		r = registry_ops_write_nodes(db, id, c, ev, cause);
	else
		db_rollback(db);
	if (r == 0)
		return 0;
	/* A conflict here is an error: 1 means "no such cluster". */
	if (r == DB_CONFLICT)
		registry_ops_conflict(db, c, 1, cause);
	return -1;
}

/* Reads the cluster in the current row of a query on registry_ops_cluster_columns. */
static int
registry_ops_cluster_read(
    struct db *db, struct db_rows *rows, struct registry_cluster **out, char **cause)
{
	struct registry_cluster *c;
	const char *state = db_peek(rows, 5), *desired = db_peek(rows, 6);

	c = xcalloc(1, sizeof(*c));
	c->id = db_opt(rows, 0);
	c->name = db_text(rows, 1);
	c->vip = db_text(rows, 2);
	c->vip_prefix = (int)db_opt(rows, 3);
	c->iface = db_text(rows, 4);
	c->created_at = db_text(rows, 7);
	c->updated_at = db_text(rows, 8);
	c->engine = db_text(rows, 9);
	if (registry_state_parse(state, &c->state) != 0) {
		*cause = xasprintf("%s: cluster '%s' has an unknown state '%s'", db->label, c->name,
		    state != NULL ? state : "");
		goto fail;
	}
	if (registry_desired_parse(desired, &c->desired) != 0) {
		*cause = xasprintf("%s: cluster '%s' has an unknown desired state '%s'", db->label,
		    c->name, desired != NULL ? desired : "");
		goto fail;
	}
	*out = c;
	return 0;

fail:
	registry_cluster_free(c);
	return -1;
}

/* The cluster of list (count of them) whose id is id; NULL when none. */
static struct registry_cluster *
registry_ops_find(struct registry_cluster **list, size_t count, long long id)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (list[i]->id == id)
			return list[i];
	}
	return NULL;
}

/*
 * Loads the nodes of the clusters in list (all, or the one called name),
 * in the order they were inserted, with one query.
 */
static int
registry_ops_nodes_load(
    struct db *db, struct registry_cluster **list, size_t count, const char *name, char **cause)
{
	struct registry_cluster *c = NULL;
	struct registry_node *n;
	struct db_rows *rows = NULL;
	const char *role;
	long long cid;
	int r;

	if (db_query(db, &rows, "cannot read the nodes", cause,
	        "SELECT n.cluster_id, n.host, n.port, n.role, n.candidate_master, n.no_master,"
	        " n.version, n.server_id, n.read_only, n.log_bin, n.`lag`"
	        " FROM nodes n JOIN clusters c ON c.id = n.cluster_id"
	        " WHERE ? IS NULL OR c.name = ? ORDER BY n.cluster_id, n.id",
	        "ss", name, name) != 0)
		return -1;
	while ((r = db_next(rows, cause)) == 1) {
		cid = db_opt(rows, 0);
		if (c == NULL || c->id != cid)
			c = registry_ops_find(list, count, cid);
		/* Added between the two queries: not part of this answer. */
		if (c == NULL)
			continue;
		c->nodes = xreallocarray(c->nodes, c->n_nodes + 1, sizeof(*c->nodes));
		n = &c->nodes[c->n_nodes++];
		memset(n, 0, sizeof(*n));
		n->host = db_text(rows, 1);
		n->port = (int)db_opt(rows, 2);
		n->candidate_master = db_opt(rows, 4) == 1;
		n->no_master = db_opt(rows, 5) == 1;
		n->version = db_text(rows, 6);
		n->server_id = db_opt(rows, 7);
		n->read_only = (int)db_opt(rows, 8);
		n->log_bin = (int)db_opt(rows, 9);
		n->lag = db_opt(rows, 10);
		role = db_peek(rows, 3);
		if (registry_role_parse(role, &n->role) != 0) {
			*cause = xasprintf("%s: node %s:%d has an unknown role '%s'", db->label,
			    n->host, n->port, role != NULL ? role : "");
			r = -1;
			break;
		}
	}
	db_rows_free(rows);
	return r;
}

/*
 * Loads the clusters (all, or the one called name) with their nodes, in one
 * consistent snapshot, ordered by name.
 */
static int
registry_ops_clusters_load(
    struct db *db, const char *name, struct registry_cluster ***out, size_t *n, char **cause)
{
	struct registry_cluster **list = NULL, *c;
	struct db_rows *rows = NULL;
	size_t count = 0;
	char *sql;
	int r;

	*out = NULL;
	*n = 0;
	if (db_begin(db, DB_TXN_READ, cause) != 0)
		return -1;
	sql = xasprintf("SELECT %s FROM clusters WHERE ? IS NULL OR name = ? ORDER BY name",
	    registry_ops_cluster_columns);
	r = db_query(db, &rows, "cannot read the clusters", cause, sql, "ss", name, name);
	free(sql);
	while (r == 0 && (r = db_next(rows, cause)) == 1) {
		if ((r = registry_ops_cluster_read(db, rows, &c, cause)) != 0)
			break;
		list = xreallocarray(list, count + 1, sizeof(*list));
		list[count++] = c;
	}
	db_rows_free(rows);
	if (r == 0 && count != 0)
		r = registry_ops_nodes_load(db, list, count, name, cause);
	db_rollback(db);
	if (r != 0) {
		registry_cluster_list_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

int
registry_cluster_get(
    struct registry *reg, const char *name, struct registry_cluster **out, char **cause)
{
	struct registry_cluster **list;
	size_t n;

	*out = NULL;
	if (registry_ops_clusters_load(reg->db, name, &list, &n, cause) != 0)
		return -1;
	if (n == 0) {
		free(list);
		return 1;
	}
	*out = list[0];
	free(list);
	return 0;
}

int
registry_cluster_list(struct registry *reg, struct registry_cluster ***out, size_t *n, char **cause)
{
	return registry_ops_clusters_load(reg->db, NULL, out, n, cause);
}

int
registry_cluster_del(
    struct registry *reg, const char *name, const struct registry_event *ev, char **cause)
{
	struct db *db = reg->db;
	long long id = 0;
	int r;

	if ((r = registry_ops_begin_cluster(db, name, &id, cause)) != 0)
		return r;
	/* The cascade would do it; deleting the nodes first does not rely on it. */
	r = db_exec(db, "cannot delete the nodes", cause, "DELETE FROM nodes WHERE cluster_id = ?",
	    "l", id);
	if (r == 0)
		r = db_exec(db, "cannot delete the cluster", cause,
		    "DELETE FROM clusters WHERE id = ?", "l", id);
	return registry_ops_finish(db, r, ev, name, cause);
}

int
registry_cluster_set_state(struct registry *reg, const char *name, enum registry_state state,
    enum registry_desired desired, const struct registry_event *ev, char **cause)
{
	struct db *db = reg->db;
	int r;

	if (db_begin(db, DB_TXN_WRITE, cause) != 0)
		return -1;
	if (desired == REGISTRY_DESIRED_KEEP)
		r = db_exec(db, "cannot set the state", cause,
		    "UPDATE clusters SET state = ?, updated_at = CURRENT_TIMESTAMP WHERE name = ?",
		    "ss", registry_state_name(state), name);
	else
		r = db_exec(db, "cannot set the state", cause,
		    "UPDATE clusters SET state = ?, desired = ?, updated_at = CURRENT_TIMESTAMP "
		    "WHERE name = ?",
		    "sss", registry_state_name(state), registry_desired_name(desired), name);
	if (r == 0 && db_affected(db) == 0) {
		db_rollback(db);
		return 1;
	}
	return registry_ops_finish(db, r, ev, name, cause);
}

/*
 * A copy of ev in *out (its fields newly allocated, the rest borrowed) with
 * the fields every failover record carries: old_master (the registry's
 * master before it, when there was one) and new_master, unless ev sets
 * them itself. ev NULL: *out stays empty. 0 or -1.
 */
static int
registry_ops_master_fields(struct db *db, long long id, const char *new_host, int new_port,
    const struct registry_event *ev, struct registry_event *out, char **cause)
{
	struct db_rows *rows = NULL;
	char *addr;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	if (ev == NULL)
		return 0;
	*out = *ev;
	out->fields = NULL;
	out->n_fields = 0;
	for (i = 0; i < ev->n_fields; i++)
		registry_event_field_set(out, ev->fields[i].key, ev->fields[i].value);
	if (registry_event_field(out, "old_master") == NULL) {
		if (db_query(db, &rows, "cannot read the old master", cause,
		        "SELECT host, port FROM nodes WHERE cluster_id = ? AND role = 'master'"
		        " ORDER BY id",
		        "l", id) != 0)
			return -1;
		/* Already the master (a spooled record applied twice): nothing moved. */
		if ((r = db_next(rows, cause)) == 1 && db_peek(rows, 0) != NULL &&
		    !(strcasecmp(db_peek(rows, 0), new_host) == 0 && db_opt(rows, 1) == new_port)) {
			addr = xasprintf("%s:%s", db_peek(rows, 0), db_peek(rows, 1));
			registry_event_field_set(out, "old_master", addr);
			free(addr);
		}
		db_rows_free(rows);
		if (r == -1)
			return -1;
	}
	if (registry_event_field(out, "new_master") == NULL) {
		addr = xasprintf("%s:%d", new_host, new_port);
		registry_event_field_set(out, "new_master", addr);
		free(addr);
	}
	return 0;
}

int
registry_cluster_set_master(struct registry *reg, const char *name, const char *new_host,
    int new_port, enum registry_state state, const struct registry_event *ev, char **cause)
{
	struct registry_event stamped;
	struct db *db = reg->db;
	long long id = 0;
	int r;

	memset(&stamped, 0, sizeof(stamped));
	if ((r = registry_ops_begin_cluster(db, name, &id, cause)) != 0)
		return r;
	r = registry_ops_master_fields(db, id, new_host, new_port, ev, &stamped, cause);
	if (r == 0)
		r = db_exec(db, "cannot mark the old master failed", cause,
		    "UPDATE nodes SET role = 'failed' WHERE cluster_id = ? AND role = 'master' "
		    "AND NOT (host = ? AND port = ?)",
		    "lsi", id, new_host, new_port);
	if (r == 0)
		r = db_exec(db, "cannot record the new master", cause,
		    "UPDATE nodes SET role = 'master', `lag` = NULL, read_only = 0 "
		    "WHERE cluster_id = ? AND host = ? AND port = ?",
		    "lsi", id, new_host, new_port);
	if (r == 0 && db_affected(db) == 0) {
		db_rollback(db);
		registry_event_fields_free(&stamped);
		return 1;
	}
	if (r == 0)
		r = db_exec(db, "cannot set the state", cause,
		    "UPDATE clusters SET state = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
		    "sl", registry_state_name(state), id);
	r = registry_ops_finish(db, r, ev != NULL ? &stamped : NULL, name, cause);
	registry_event_fields_free(&stamped);
	return r;
}

int
registry_event_add(struct registry *reg, const struct registry_event *ev, char **cause)
{
	return registry_ops_event_insert(reg->db, ev, NULL, cause);
}

/*
 * Runs a query on registry_ops_event_columns (the rest of the statement in
 * tail, taking types: "sl" binds s and l1, "l" l1, "ll" l1 and l2) and reads
 * its rows into a newly allocated list. 0 or -1 with *cause set.
 */
static int
registry_ops_events_read(struct db *db, struct registry_event **out, size_t *n, char **cause,
    const char *tail, const char *types, const char *s, long long l1, long long l2)
{
	struct registry_event *list = NULL, *ev;
	struct db_rows *rows = NULL;
	size_t count = 0;
	char *sql;
	int r;

	*out = NULL;
	*n = 0;
	sql = xasprintf("SELECT %s FROM events %s", registry_ops_event_columns, tail);
	if (types[0] == 's')
		r = db_query(db, &rows, "cannot read the events", cause, sql, types, s, l1);
	else
		r = db_query(db, &rows, "cannot read the events", cause, sql, types, l1, l2);
	free(sql);
	while (r == 0 && (r = db_next(rows, cause)) == 1) {
		r = 0;
		list = xreallocarray(list, count + 1, sizeof(*list));
		ev = &list[count++];
		memset(ev, 0, sizeof(*ev));
		ev->id = db_opt(rows, 0);
		ev->at = db_text(rows, 1);
		ev->cluster = db_text(rows, 2);
		ev->node = db_text(rows, 3);
		ev->type = db_text(rows, 4);
		ev->message = db_text(rows, 5);
		registry_ops_fields_parse(ev, db_peek(rows, 6));
	}
	db_rows_free(rows);
	if (r != 0) {
		registry_event_list_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

/* A LIMIT for limit, where 0 means none. */
static long long
registry_ops_limit(size_t limit)
{
	return (limit == 0 || limit > LLONG_MAX) ? LLONG_MAX : (long long)limit;
}

int
registry_event_list(struct registry *reg, const char *cluster, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	/* Two statements, so that SQLite uses the (cluster, id) index for one cluster. */
	if (cluster == NULL)
		return registry_ops_events_read(reg->db, out, n, cause, "ORDER BY id DESC LIMIT ?",
		    "l", NULL, registry_ops_limit(limit), 0);
	return registry_ops_events_read(reg->db, out, n, cause,
	    "WHERE cluster = ? ORDER BY id DESC LIMIT ?", "sl", cluster, registry_ops_limit(limit),
	    0);
}

int
registry_event_since(struct registry *reg, long long after_id, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	return registry_ops_events_read(reg->db, out, n, cause, "WHERE id > ? ORDER BY id LIMIT ?",
	    "ll", NULL, after_id, registry_ops_limit(limit));
}

int
registry_cluster_set_desired_if(struct registry *reg, const char *name,
    enum registry_state expected, enum registry_state state, enum registry_desired desired,
    const struct registry_event *ev, char **cause)
{
	struct db *db = reg->db;
	int r;

	if (db_begin(db, DB_TXN_WRITE, cause) != 0)
		return -1;
	r = db_exec(db, "cannot set the desired state", cause,
	    "UPDATE clusters SET state = ?, desired = ?, updated_at = CURRENT_TIMESTAMP "
	    "WHERE name = ? AND state = ?",
	    "ssss", registry_state_name(state), registry_desired_name(desired), name,
	    registry_state_name(expected));
	if (r == 0 && db_affected(db) == 0) {
		db_rollback(db);
		return 1;
	}
	return registry_ops_finish(db, r, ev, name, cause);
}
