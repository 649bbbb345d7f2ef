/* The registry: mhaadm's inventory of clusters, nodes and events, behind one ops table. */
#ifndef MHAADM_REGISTRY_H
#define MHAADM_REGISTRY_H

#include <stddef.h>

struct config;

#define REGISTRY_SCHEMA_VERSION 2

/*
 * Lifecycle of a cluster. The text form (registry_state_name) is what the
 * registry stores in clusters.state.
 */
enum registry_state {
	REGISTRY_STATE_PENDING,     /* rows put in by a DBA, not yet verified by add */
	REGISTRY_STATE_REGISTERED,  /* verified by add: one master, replicas following it */
	REGISTRY_STATE_READY,       /* pre-monitoring checks passed */
	REGISTRY_STATE_MONITORING,  /* masterha_manager runs for it */
	REGISTRY_STATE_FAILING_OVER,/* a failover is in progress */
	REGISTRY_STATE_STOPPED,     /* monitoring stopped by a DBA */
	REGISTRY_STATE_UNPROTECTED, /* failed over and no replica left to protect it */
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
	char *vip;     /* IPv4 address without prefix */
	int vip_prefix;
	char *iface;   /* interface the VIP goes on */
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

struct registry_event {
	long long id;
	char *at;      /* UTC, "YYYY-MM-DD HH:MM:SS" */
	char *cluster; /* name; kept when the cluster is deleted */
	char *node;    /* "HOST:PORT" or NULL */
	char *type;    /* e.g. "cluster.added", "cluster.deleted" */
	char *message; /* one human line; never a password */
};

struct registry;

/*
 * One backend. Every function returns 0 on success, -1 on error with *cause
 * set (newly allocated); documented positive values are expected outcomes.
 */
struct registry_ops {
	const char *name; /* "sqlite", "mysql" */

	/* Opens the backend; fills reg->impl. */
	int (*open)(struct registry *reg, const struct config *cfg, char **cause);
	void (*close)(struct registry *reg);

	/* Schema version stored, 0 when there is no schema yet. -1: not a registry / error. */
	int (*schema_version)(struct registry *reg, int *version, char **cause);
	/* Creates or upgrades the schema to REGISTRY_SCHEMA_VERSION; idempotent. */
	int (*init)(struct registry *reg, char **cause);

	/*
	 * Inserts the cluster, its nodes and the event in one transaction. Returns
	 * 1 with *cause saying which uniqueness rule was broken ("VIP 10.77.0.100
	 * is already used by cluster 'orders'", "node 10.77.0.12:3306 already
	 * belongs to cluster 'orders'", "cluster 'orders' already exists"), and
	 * then nothing was written.
	 */
	int (*cluster_add)(struct registry *reg, const struct registry_cluster *c,
	    const struct registry_event *ev, char **cause);

	/*
	 * Replaces the nodes and state of an existing (pending) cluster with c's,
	 * plus the event, in one transaction; used when add verifies rows a DBA
	 * put in. Returns 1 when the cluster does not exist.
	 */
	int (*cluster_update)(struct registry *reg, const struct registry_cluster *c,
	    const struct registry_event *ev, char **cause);

	/* Loads one cluster with its nodes. Returns 1 when there is none by that name. */
	int (*cluster_get)(struct registry *reg, const char *name, struct registry_cluster **out,
	    char **cause);

	/* Loads every cluster with its nodes, ordered by name. */
	int (*cluster_list)(struct registry *reg, struct registry_cluster ***out, size_t *n,
	    char **cause);

	/* Deletes a cluster and its nodes and adds the event, in one transaction. 1: no such cluster. */
	int (*cluster_del)(struct registry *reg, const char *name, const struct registry_event *ev,
	    char **cause);

	/* Sets state and desired state and adds the event, in one transaction. 1: no such cluster. */
	int (*cluster_set_state)(struct registry *reg, const char *name, enum registry_state state,
	    enum registry_desired desired, const struct registry_event *ev, char **cause);

	/*
	 * Records a failover in one transaction: new_host:new_port becomes the
	 * master, the node that was master becomes failed (out of monitoring),
	 * the cluster's state becomes state, and the event is added. Returns 1
	 * when there is no such cluster or new_host:new_port is not one of its
	 * nodes (no cause set).
	 */
	int (*cluster_set_master)(struct registry *reg, const char *name, const char *new_host,
	    int new_port, enum registry_state state, const struct registry_event *ev,
	    char **cause);

	/* Appends one event. */
	int (*event_add)(struct registry *reg, const struct registry_event *ev, char **cause);

	/* Lists events, newest first, of one cluster (or all when cluster is NULL), at most limit. */
	int (*event_list)(struct registry *reg, const char *cluster, size_t limit,
	    struct registry_event **out, size_t *n, char **cause);

	/*
	 * Lists events with an id above after_id, oldest first, at most limit:
	 * how the notifier follows the history.
	 */
	int (*event_since)(struct registry *reg, long long after_id, size_t limit,
	    struct registry_event **out, size_t *n, char **cause);
};

struct registry {
	const struct registry_ops *ops;
	void *impl; /* the backend's own state */
};

extern const struct registry_ops registry_sqlite_ops;
extern const struct registry_ops registry_mysql_ops;

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

#endif
