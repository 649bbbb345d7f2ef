/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Manager HA in the registry (registry.h): managers' heartbeats and the
 * per-cluster leases with their epochs (fencing tokens). Every expiry is
 * computed by the registry's own clock, NOW(6), so managers never compare
 * clocks; each write is one statement that is its own compare-and-set.
 * MySQL only: a SQLite registry has a single manager and no leases.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "registry.h"
#include "xmalloc.h"

/* -1 with *cause on a registry that cannot hold leases. */
static int
registry_lease_backend(struct registry *reg, char **cause)
{
	if (db_dialect(reg->db) == DB_DIALECT_MYSQL)
		return 0;
	*cause = xasprintf("%s: manager HA needs the MySQL registry (registry = mysql); a SQLite "
	                   "registry has one manager",
	    reg->db->label);
	return -1;
}

int
registry_manager_heartbeat(struct registry *reg, const char *name, int lease_seconds, long long pid,
    int starting, int *draining, char **cause)
{
	char *v = NULL;
	int r;

	*draining = 0;
	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	if (starting)
		r = db_exec(reg->db, "cannot record the manager", cause,
		    "INSERT INTO managers (name, heartbeat_at, started_at, lease_seconds, "
		    "draining, "
		    "pid) VALUES (?, NOW(6), NOW(6), ?, 0, ?) ON DUPLICATE KEY UPDATE "
		    "heartbeat_at = NOW(6), started_at = NOW(6), lease_seconds = "
		    "VALUES(lease_seconds), "
		    "draining = 0, pid = VALUES(pid)",
		    "sio", name, lease_seconds, pid);
	else
		r = db_exec(reg->db, "cannot record the manager's heartbeat", cause,
		    "INSERT INTO managers (name, heartbeat_at, started_at, lease_seconds, "
		    "draining, "
		    "pid) VALUES (?, NOW(6), NOW(6), ?, 0, ?) ON DUPLICATE KEY UPDATE "
		    "heartbeat_at = NOW(6), lease_seconds = VALUES(lease_seconds), pid = "
		    "VALUES(pid)",
		    "sio", name, lease_seconds, pid);
	if (r != 0)
		return -1;
	if (db_scalar(reg->db, &v, "cannot read the manager's drain flag", cause,
	        "SELECT draining FROM managers WHERE name = ?", "s", name) < 0)
		return -1;
	*draining = v != NULL && strcmp(v, "1") == 0;
	free(v);
	return 0;
}

int
registry_lease_renew(
    struct registry *reg, const char *owner, int lease_seconds, long long *renewed, char **cause)
{
	*renewed = 0;
	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	if (db_exec(reg->db, "cannot renew the leases", cause,
	        "UPDATE leases SET expires_at = NOW(6) + INTERVAL ? SECOND "
	        "WHERE owner = ? AND expires_at > NOW(6)",
	        "is", lease_seconds, owner) != 0)
		return -1;
	*renewed = db_affected(reg->db);
	return 0;
}

int
registry_lease_acquire(struct registry *reg, const char *cluster, const char *owner,
    int lease_seconds, long long *epoch, char **cause)
{
	char *v = NULL;

	*epoch = 0;
	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	/* The row exists from the first attempt on; its epoch only grows from then. */
	if (db_exec(reg->db, "cannot create the lease", cause,
	        "INSERT IGNORE INTO leases (cluster, owner, epoch) VALUES (?, NULL, 0)", "s",
	        cluster) != 0)
		return -1;
	if (db_exec(reg->db, "cannot acquire the lease", cause,
	        "UPDATE leases SET owner = ?, epoch = epoch + 1, "
	        "expires_at = NOW(6) + INTERVAL ? SECOND, op_until = NULL "
	        "WHERE cluster = ? AND (owner IS NULL OR expires_at IS NULL OR expires_at <= "
	        "NOW(6)) "
	        "AND (op_until IS NULL OR op_until <= NOW(6))",
	        "sis", owner, lease_seconds, cluster) != 0)
		return -1;
	if (db_affected(reg->db) != 1)
		return 1;
	if (db_scalar(reg->db, &v, "cannot read the lease's epoch", cause,
	        "SELECT epoch FROM leases WHERE cluster = ? AND owner = ?", "ss", cluster,
	        owner) < 0)
		return -1;
	if (v == NULL)
		return 1; /* taken from us at once: cannot be, but never claim it */
	*epoch = strtoll(v, NULL, 10);
	free(v);
	return 0;
}

int
registry_lease_release(struct registry *reg, const char *owner, const char *cluster, char **cause)
{
	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	if (cluster == NULL)
		return db_exec(reg->db, "cannot release the leases", cause,
		    "UPDATE leases SET owner = NULL, expires_at = NULL WHERE owner = ?", "s",
		    owner);
	return db_exec(reg->db, "cannot release the lease", cause,
	    "UPDATE leases SET owner = NULL, expires_at = NULL WHERE owner = ? AND cluster = ?",
	    "ss", owner, cluster);
}

int
registry_lease_hold(struct registry *reg, const char *cluster, const char *owner, long long epoch,
    int seconds, char **cause)
{
	int r;

	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	if (seconds > 0)
		r = db_exec(reg->db, "cannot hold the lease for a failover", cause,
		    "UPDATE leases SET op_until = NOW(6) + INTERVAL ? SECOND "
		    "WHERE cluster = ? AND owner = ? AND epoch = ?",
		    "issl", seconds, cluster, owner, epoch);
	else
		r = db_exec(reg->db, "cannot end the lease's failover hold", cause,
		    "UPDATE leases SET op_until = NULL WHERE cluster = ? AND owner = ? AND epoch = "
		    "?",
		    "ssl", cluster, owner, epoch);
	if (r != 0)
		return -1;
	return db_affected(reg->db) == 1 ? 0 : 1;
}

int
registry_lease_check(struct registry *reg, const char *cluster, const char *owner, long long epoch,
    long long margin_ms, char **cause)
{
	char *v = NULL;
	int r;

	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	r = db_scalar(reg->db, &v, "cannot check the lease", cause,
	    "SELECT 1 FROM leases WHERE cluster = ? AND owner = ? AND epoch = ? AND "
	    "expires_at > NOW(6) + INTERVAL ? MICROSECOND",
	    "ssll", cluster, owner, epoch, margin_ms * 1000);
	free(v);
	if (r < 0)
		return -1;
	return r == 1 ? 0 : 1;
}

int
registry_lease_list(struct registry *reg, struct registry_lease **out, size_t *n, char **cause)
{
	struct db_rows *rows = NULL;
	struct registry_lease *l;
	int r;

	*out = NULL;
	*n = 0;
	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	r = db_query(reg->db, &rows, "cannot read the leases", cause,
	    "SELECT cluster, owner, epoch, TIMESTAMPDIFF(MICROSECOND, NOW(6), expires_at) DIV "
	    "1000, "
	    "TIMESTAMPDIFF(MICROSECOND, NOW(6), op_until) DIV 1000 FROM leases ORDER BY cluster",
	    "");
	while (r == 0 && (r = db_next(rows, cause)) == 1) {
		r = 0;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		l = &(*out)[(*n)++];
		l->cluster = db_text(rows, 0);
		l->owner = db_text(rows, 1);
		l->epoch = db_opt(rows, 2);
		l->remaining_ms = db_peek(rows, 3) != NULL ? db_opt(rows, 3) : -1;
		l->op_ms = db_peek(rows, 4) != NULL ? db_opt(rows, 4) : -1;
	}
	db_rows_free(rows);
	if (r == -1) {
		registry_lease_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return r;
}

void
registry_lease_list_free(struct registry_lease *list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++) {
		free(list[i].cluster);
		free(list[i].owner);
	}
	free(list);
}

int
registry_manager_list(struct registry *reg, struct registry_manager **out, size_t *n, char **cause)
{
	struct db_rows *rows = NULL;
	struct registry_manager *m;
	int r;

	*out = NULL;
	*n = 0;
	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	r = db_query(reg->db, &rows, "cannot read the managers", cause,
	    "SELECT name, TIMESTAMPDIFF(MICROSECOND, heartbeat_at, NOW(6)) DIV 1000, "
	    "lease_seconds, "
	    "draining, pid, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s') FROM managers "
	    "ORDER BY name",
	    "");
	while (r == 0 && (r = db_next(rows, cause)) == 1) {
		r = 0;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		m = &(*out)[(*n)++];
		m->name = db_text(rows, 0);
		m->heartbeat_age_ms = db_opt(rows, 1);
		m->lease_seconds = (int)db_opt(rows, 2);
		m->draining = db_opt(rows, 3) == 1;
		m->pid = db_opt(rows, 4);
		m->started_at = db_text(rows, 5);
	}
	db_rows_free(rows);
	if (r == -1) {
		registry_manager_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return r;
}

void
registry_manager_list_free(struct registry_manager *list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++) {
		free(list[i].name);
		free(list[i].started_at);
	}
	free(list);
}

int
registry_manager_drain(struct registry *reg, const char *name, char **cause)
{
	if (registry_lease_backend(reg, cause) != 0)
		return -1;
	if (db_exec(reg->db, "cannot ask the manager to drain", cause,
	        "UPDATE managers SET draining = 1 WHERE name = ?", "s", name) != 0)
		return -1;
	return db_affected(reg->db) == 1 ? 0 : 1;
}
