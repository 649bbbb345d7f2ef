/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry: mhaadm's inventory of clusters, nodes and events, on SQLite or MySQL. */
#ifndef MHAADM_REGISTRY_H
#define MHAADM_REGISTRY_H

#include <stddef.h>

struct config;

#define REGISTRY_SCHEMA_VERSION 3

/*
 * Lifecycle of a cluster. The text form (registry_state_name) is what the
 * registry stores in clusters.state.
 */
enum registry_state {
	REGISTRY_STATE_PENDING,      /* rows put in by a DBA, not yet verified by add */
	REGISTRY_STATE_REGISTERED,   /* verified by add: one master, replicas following it */
	REGISTRY_STATE_READY,        /* pre-monitoring checks passed */
	REGISTRY_STATE_MONITORING,   /* its engine protects it */
	REGISTRY_STATE_FAILING_OVER, /* a failover is in progress */
	REGISTRY_STATE_STOPPED,      /* monitoring stopped by a DBA */
	REGISTRY_STATE_UNPROTECTED,  /* failed over and no replica left to protect it */
};

/* What a DBA asked for; the daemon reconciles reality with it. */
enum registry_desired {
	REGISTRY_DESIRED_STOPPED,   /* "stopped" */
	REGISTRY_DESIRED_MONITORED, /* "monitored" */
	/*
	 * Only as an argument of cluster_set_state: leave desired as it is. The
	 * daemon changes state only, so it never undoes a DBA's start or stop
	 * that landed after it read the cluster.
	 */
	REGISTRY_DESIRED_KEEP,
};

enum registry_role {
	REGISTRY_ROLE_MASTER,  /* "master" */
	REGISTRY_ROLE_REPLICA, /* "replica" */
	REGISTRY_ROLE_FAILED,  /* "failed": a former master taken out by failover */
	REGISTRY_ROLE_UNKNOWN, /* "unknown": pending rows not yet probed */
};

struct registry_node {
	char *host;
	int port;
	enum registry_role role;
	int candidate_master; /* 1: MHA candidate_master=1 */
	int no_master;        /* 1: MHA no_master=1 (never promoted) */
	/* What add saw when it probed; NULL / -1 when never probed. */
	char *version;
	long long server_id;
	int read_only; /* -1 unknown */
	int log_bin;   /* -1 unknown */
	long long lag; /* seconds, -1 unknown or not a replica */
	/*
	 * Not stored: dirname(@@log_bin_basename) as a live probe saw it, filled
	 * by the engine before rendering MHA's master_binlog_dir. NULL unknown.
	 */
	char *binlog_dir;
};

struct registry_cluster {
	long long id;
	char *name;
	char *vip; /* IPv4 address without prefix */
	int vip_prefix;
	char *iface; /* interface the VIP goes on */
	/*
	 * The failover engine chosen for this cluster ("mha"); NULL in a cluster
	 * handed to cluster_add means the default, "mha".
	 */
	char *engine;
	enum registry_state state;
	enum registry_desired desired;
	char *created_at; /* UTC, "YYYY-MM-DD HH:MM:SS" */
	char *updated_at;
	struct registry_node *nodes;
	size_t n_nodes;
};

/* One named value of an event: "old_master" = "10.77.0.11:3306". */
struct registry_field {
	char *key;
	char *value;
};

struct registry_event {
	long long id;
	char *at;      /* UTC, "YYYY-MM-DD HH:MM:SS" */
	char *cluster; /* name; kept when the cluster is deleted */
	char *node;    /* "HOST:PORT" or NULL */
	char *type;    /* e.g. "cluster.added", "cluster.deleted" */
	char *message; /* one human line for people; never a password, never parsed back */
	/*
	 * What a program needs of the event, by name (old_master, new_master,
	 * reason, or any other key), in the order they were set; stored as one
	 * JSON object in events.fields.
	 */
	struct registry_field *fields;
	size_t n_fields;
};

struct db;

/* An open registry: one database connection (db.h) of either backend. */
struct registry {
	struct db *db;
};

/*
 * The domain operations, written once over db.h for both backends. Every
 * function returns 0 on success, -1 on error with *cause set (newly
 * allocated); documented positive values are expected outcomes.
 */

/* "sqlite" or "mysql". */
const char *registry_backend_name(const struct registry *reg);

/* Schema version stored, 0 when there is no schema yet. -1: not a registry / error. */
int registry_schema_version(struct registry *reg, int *version, char **cause);
/* Creates or upgrades the schema to REGISTRY_SCHEMA_VERSION; idempotent. */
int registry_init(struct registry *reg, char **cause);

/*
 * Inserts the cluster, its nodes and the event in one transaction. Returns
 * 1 with *cause saying which uniqueness rule was broken ("VIP 10.77.0.100
 * is already used by cluster 'orders'", "node 10.77.0.12:3306 already
 * belongs to cluster 'orders'", "cluster 'orders' already exists"), and
 * then nothing was written.
 */
int registry_cluster_add(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause);

/*
 * Replaces the nodes and state of an existing (pending) cluster with c's,
 * plus the event, in one transaction; used when add verifies rows a DBA
 * put in. Returns 1 when the cluster does not exist.
 */
int registry_cluster_update(struct registry *reg, const struct registry_cluster *c,
    const struct registry_event *ev, char **cause);

/* Loads one cluster with its nodes. Returns 1 when there is none by that name. */
int registry_cluster_get(
    struct registry *reg, const char *name, struct registry_cluster **out, char **cause);

/* Loads every cluster with its nodes, ordered by name. */
int registry_cluster_list(
    struct registry *reg, struct registry_cluster ***out, size_t *n, char **cause);

/* Deletes a cluster and its nodes and adds the event, in one transaction. 1: no such cluster. */
int registry_cluster_del(
    struct registry *reg, const char *name, const struct registry_event *ev, char **cause);

/* Sets state and desired state and adds the event, in one transaction. 1: no such cluster. */
int registry_cluster_set_state(struct registry *reg, const char *name, enum registry_state state,
    enum registry_desired desired, const struct registry_event *ev, char **cause);

/*
 * Records a failover in one transaction: new_host:new_port becomes the
 * master, the node that was master becomes failed (out of monitoring),
 * the cluster's state becomes state, and the event is added. Returns 1
 * when there is no such cluster or new_host:new_port is not one of its
 * nodes (no cause set).
 */
int registry_cluster_set_master(struct registry *reg, const char *name, const char *new_host,
    int new_port, enum registry_state state, const struct registry_event *ev, char **cause);

/* Appends one event. */
int registry_event_add(struct registry *reg, const struct registry_event *ev, char **cause);

/* Lists events, newest first, of one cluster (or all when cluster is NULL), at most limit. */
int registry_event_list(struct registry *reg, const char *cluster, size_t limit,
    struct registry_event **out, size_t *n, char **cause);

/*
 * Lists events with an id above after_id, oldest first, at most limit:
 * how the notifier follows the history.
 */
int registry_event_since(struct registry *reg, long long after_id, size_t limit,
    struct registry_event **out, size_t *n, char **cause);

/*
 * Opens the registry the config names. When must_exist is set, a registry
 * without a schema is an error telling the user to run `mhaadm init`, and a
 * file that is not a registry is an error saying so. Returns a newly
 * allocated registry or NULL with *cause set.
 */
struct registry *registry_open(const struct config *cfg, int must_exist, char **cause);
void registry_close(struct registry *reg);

/* Opens a SQLite registry at path (":memory:" allowed); for tests and the sqlite backend. */
struct registry *registry_open_sqlite(const char *path, char **cause);

const char *registry_state_name(enum registry_state s);
int registry_state_parse(const char *s, enum registry_state *out);
const char *registry_desired_name(enum registry_desired d);
int registry_desired_parse(const char *s, enum registry_desired *out);
const char *registry_role_name(enum registry_role r);
int registry_role_parse(const char *s, enum registry_role *out);

/*
 * The registry's master of c as "HOST:PORT" in buf (size len), or "none".
 * Returns buf.
 */
const char *registry_cluster_master(const struct registry_cluster *c, char *buf, size_t len);

/* Frees a cluster and everything it owns; NULL is fine. */
void registry_cluster_free(struct registry_cluster *c);
void registry_cluster_list_free(struct registry_cluster **list, size_t n);
void registry_event_list_free(struct registry_event *list, size_t n);

/*
 * Sets field key of ev to a copy of value (NULL removes it); the event owns
 * its fields, freed by registry_event_fields_free or registry_event_list_free.
 */
void registry_event_field_set(struct registry_event *ev, const char *key, const char *value);
/* The value of field key of ev, or NULL. */
const char *registry_event_field(const struct registry_event *ev, const char *key);
/* Frees ev's fields (not the rest of ev, which callers often borrow). */
void registry_event_fields_free(struct registry_event *ev);

/*
 * Compare-and-set of the desired state (start/stop from the CLI): sets
 * state and desired, and records ev, only while the cluster's state is
 * still expected, so that a state the daemon or a hook wrote meanwhile
 * (failing_over, unprotected) is never overwritten with an old one.
 * Returns 0 set, 1 nothing written (the state changed, or no such
 * cluster: read it again), -1 with *cause.
 */
int registry_cluster_set_desired_if(struct registry *reg, const char *name,
    enum registry_state expected, enum registry_state state, enum registry_desired desired,
    const struct registry_event *ev, char **cause);

/*
 * Manager HA (registry-lease.c, docs/manager-ha.md): several daemons share
 * one MySQL registry; each cluster is owned by at most one of them through
 * a lease row. Every time is the registry's clock (NOW(6)): the managers'
 * clocks are never compared. These operations need the MySQL backend; on
 * SQLite (one manager) they fail with a cause saying so.
 */

/* One lease row. */
struct registry_lease {
	char *cluster;
	char *owner;            /* NULL: released, or never taken */
	long long epoch;        /* the fencing token: one more at every acquisition */
	long long remaining_ms; /* expires_at - NOW(6); <= 0 (or -1: none) means expired */
	long long op_ms;        /* op_until - NOW(6): > 0 while a failover holds takeovers off */
};

/* One manager (a daemon) as its heartbeat row says. */
struct registry_manager {
	char *name;
	long long heartbeat_age_ms; /* NOW(6) - heartbeat_at */
	int lease_seconds;
	int draining;     /* drain asked: it hands its clusters over and takes none */
	long long pid;    /* -1: it stopped cleanly */
	char *started_at; /* UTC, "YYYY-MM-DD HH:MM:SS" */
};

/*
 * The manager's heartbeat: creates or refreshes its row (starting: a new
 * daemon, which also clears a drain asked of the one before) and reads
 * back whether a drain is asked (*draining). pid -1 marks a clean stop.
 */
int registry_manager_heartbeat(struct registry *reg, const char *name, int lease_seconds,
    long long pid, int starting, int *draining, char **cause);

/*
 * Renews every lease owner holds that has not expired, in one statement:
 * expires_at = NOW(6) + lease_seconds. An expired lease is never renewed:
 * it must be acquired again, with a new epoch. *renewed: how many.
 */
int registry_lease_renew(
    struct registry *reg, const char *owner, int lease_seconds, long long *renewed, char **cause);

/*
 * Compare-and-set acquisition of cluster's lease: only when it is free or
 * expired and no failover holds it (op_until), with epoch + 1. Returns 0
 * with *epoch, 1 when someone else holds it (nothing written), -1.
 */
int registry_lease_acquire(struct registry *reg, const char *cluster, const char *owner,
    int lease_seconds, long long *epoch, char **cause);

/* Releases owner's leases (cluster NULL: all of them); the epochs stay. */
int registry_lease_release(
    struct registry *reg, const char *owner, const char *cluster, char **cause);

/*
 * Holds takeovers of cluster off for seconds (a failover runs; 0 clears
 * it), while owner holds the lease at epoch. 1: it does not.
 */
int registry_lease_hold(struct registry *reg, const char *cluster, const char *owner,
    long long epoch, int seconds, char **cause);

/*
 * Whether owner holds cluster's lease at epoch for at least margin_ms
 * more by the registry's clock: 0 yes, 1 no, -1 cannot tell.
 */
int registry_lease_check(struct registry *reg, const char *cluster, const char *owner,
    long long epoch, long long margin_ms, char **cause);

/* Every lease row, ordered by cluster; free with registry_lease_list_free. */
int registry_lease_list(struct registry *reg, struct registry_lease **out, size_t *n, char **cause);
void registry_lease_list_free(struct registry_lease *list, size_t n);

/* Every manager row, ordered by name; free with registry_manager_list_free. */
int registry_manager_list(
    struct registry *reg, struct registry_manager **out, size_t *n, char **cause);
void registry_manager_list_free(struct registry_manager *list, size_t n);

/* Asks manager name to hand its clusters over. 1: no such manager. */
int registry_manager_drain(struct registry *reg, const char *name, char **cause);

#endif
