/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's domain operations (written once over db.h for both backends):
 * Reading clusters with their nodes, in one consistent snapshot.
 */
#include "registry-ops.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "registry.h"
#include "xmalloc.h"

static const char registry_ops_cluster_columns[] =
    "id, name, vip, vip_prefix, iface, state, desired, created_at, updated_at, engine";

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
