/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's domain operations (written once over db.h for both backends):
 * Writing clusters and their nodes: add, update, delete, and which row a
 * refused write collides with.
 */
#include "registry-ops.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "registry.h"
#include "xmalloc.h"

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
int
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
int
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
