/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's domain operations (written once over db.h for both backends):
 * Changing a cluster's state: plain, compare-and-set (start, stop) and a
 * failover's new master.
 */
#include "registry-ops.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "registry.h"
#include "xmalloc.h"

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
