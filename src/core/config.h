/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm.cnf: the INI configuration file, compatible with the seed tool's keys. */
#ifndef MHAADM_CONFIG_H
#define MHAADM_CONFIG_H

#include <stddef.h>

struct notify_channel;

#define CONFIG_DEFAULT_PATH "/etc/mhaadm/mhaadm.cnf"

enum config_registry_backend {
	CONFIG_REGISTRY_SQLITE, /* an embedded SQLite file (default) */
	CONFIG_REGISTRY_MYSQL,  /* a MySQL/MariaDB management node (the seed's) */
};

/* The isolation guard of a cluster (docs/mha.md, "The isolation guard"). */
enum config_guard {
	CONFIG_GUARD_AUTO,     /* semisync when the cluster has at least 2 replicas, else off */
	CONFIG_GUARD_SEMISYNC, /* semi-sync replication, no silent async fallback */
	CONFIG_GUARD_OFF,      /* nothing: a cut-off master acknowledges writes */
	CONFIG_GUARD_INHERIT,  /* [cluster "NAME"] only: take the file's top-level value */
};

/* One [cluster "NAME"] section: settings of that cluster that override the top-level ones. */
struct config_cluster {
	char *name;
	enum config_guard isolation_guard; /* CONFIG_GUARD_INHERIT when not set */
	int semisync_fallback_seconds;     /* -1 when not set */
	int self_fence;                    /* 0 off, 1 on, -1 when not set */
	int self_fence_seconds;            /* -1 when not set */
	int auto_rejoin;                   /* 1 yes, 0 no, -1 when not set */
};

struct config {
	char *path; /* the file this was read from */

	/* The seed tool's keys, unchanged. */
	char *ha_user;     /* MHA's monitoring/admin account on every node */
	char *ha_password; /* secret */
	char *repl_user;
	char *repl_password;  /* secret */
	char *ssh_user;       /* default "root" */
	char *mysql_user;     /* management node (MySQL registry backend) */
	char *mysql_password; /* secret */
	char *mysql_host;
	int mysql_port; /* default 3306 */

	/* mhaadm's own keys. */
	enum config_registry_backend registry;
	char *registry_path;  /* SQLite file, default /var/lib/mhaadm/registry.db */
	char *mysql_database; /* management node database, default "mhaadm" */
	char *workdir;        /* default /var/lib/mhaadm */
	char *log_dir;        /* default /var/log/mhaadm */
	char *vip_iface;      /* default interface for VIPs, default "eth0" */
	int vip_prefix;       /* default prefix for VIPs, default 24 */
	int node_port;        /* default MySQL port of nodes, default 3306 */
	int connect_timeout;  /* seconds, default 3 */
	int read_timeout;     /* seconds, default 5 */

	/* SSH from the manager host (mhaadm itself and MHA's ssh/scp). */
	char *ssh_key;         /* private key, default /etc/mhaadm/ssh/id_ed25519 */
	char *ssh_known_hosts; /* pinned host keys, default /etc/mhaadm/ssh/known_hosts */
	int ssh_port;          /* default 22 */
	int ssh_timeout;       /* seconds per connect/command, default 5 */

	/* MHA and the supervisor. */
	int mha_ping_interval;    /* MHA ping_interval, seconds, default 1 */
	char *mha_remote_workdir; /* MHA remote_workdir on nodes, default /var/tmp/mhaadm */
	int failover_window; /* seconds: at most one automatic failover per cluster, default 3600 */
	/* Native engine: seconds the binlog salvage of a dead master may take, default 10. */
	int salvage_timeout;
	/* Native engine: SSH sessions kept open (one per host), default 100; 0 none kept. */
	int ssh_keep_sessions;

	/* Live status and the lag policy. */
	int max_lag;  /* seconds: a replica further behind is never promoted, default 60; 0 off */
	int lag_hold; /* daemon probes a changed lag state must last before it counts, default 3 */
	int probe_interval; /* seconds between the daemon's status probes, default 10; 0 off */
	int probe_timeout; /* seconds: connect/read bound of status probes (list, daemon), default 1
	                    */
	/* Notification channels, one per [notify "NAME"] section (notify.h). */
	struct notify_channel *notify_channels;
	size_t n_notify_channels;
	int storm_max_failovers; /* storm breaker: failovers this manager host lets start, 0 off; 5
	                          */
	int storm_window;        /* ... within this many seconds, default 300 */

	/* The daemon's HTTP listener (metrics, JSON API, fleet page); see docs/http.md. */
	char *http_listen;        /* "ADDR:PORT", NULL: off (default) */
	char *http_token_file;    /* bearer token, root-owned 0600; required off loopback */
	char *http_tls_cert;      /* PEM certificate (chain); with http_tls_key: HTTPS */
	char *http_tls_key;       /* PEM private key, root-owned 0600 */
	int http_max_connections; /* open connections at most, default 64 */
	int http_per_ip;          /* open connections per client address at most, default 16 */
	int http_timeout;         /* seconds an idle or slow connection is kept, default 10 */
	/* The isolation guard (guard.h): defaults for every cluster, then per cluster. */
	enum config_guard isolation_guard; /* default auto */
	int semisync_fallback_seconds;     /* 0: never fall back to async (default) */
	int auto_rejoin; /* 1: the daemon rejoins failed former masters that answer (rejoin.h); 0 */
	struct config_cluster *clusters; /* [cluster "NAME"] sections */
	size_t n_clusters;
	/* The self-fence agent on master hosts (selffence.h, docs/mha.md "The self-fence"). */
	int self_fence;           /* 1: start installs the agent on the master; default 0 */
	int self_fence_seconds;   /* isolated this long, the master fences itself; default 3 */
	char *self_fence_manager; /* ADDR:PORT the agent probes for the manager; NULL: the
	                             manager's address as the master sees it, port 22 */
	char *self_fence_bin;     /* mhaadm on the nodes; NULL: this binary's path */
	/* The engine of clusters added without --engine (engine.h), default "mha". */
	char *engine;
	int garp_count;       /* gratuitous ARPs sent when a VIP is bound, default 5 */
	int garp_interval_ms; /* milliseconds between them, default 200 */
	/* Manager HA (docs/manager-ha.md): only with a MySQL registry shared by managers. */
	char *manager_name; /* this manager's name in the registry, default the host name */
	int lease_seconds;  /* a cluster's lease lasts this long unrenewed, default 10 */
	int manager_ha;     /* several managers share the (MySQL) registry: leases, default no */
};

/*
 * Reads and validates the configuration file at path. Returns a newly
 * allocated config (free with config_free) or NULL with *cause set.
 * Refused: a missing or unreadable file, unknown sections or keys and bad
 * values (the message names FILE:LINE), and a file that holds a password
 * while readable by group or others (the message says to chmod 600).
 */
struct config *config_load(const char *path, char **cause);

/*
 * Parses configuration text as if read from name; no file-mode check.
 * Used by config_load and by the unit tests.
 */
struct config *config_parse_string(const char *text, const char *name, char **cause);

/* Picks the path: explicit (-c) over $MHAADM_CONFIG over the default. */
const char *config_path_choose(const char *explicit_path);

/*
 * Reads a secret file (a token): it must be a regular file owned by root or
 * by us and not readable or writable by group or others, as the config
 * itself when it holds passwords. what names it in messages ("http_token_file").
 * The content without a trailing newline, newly allocated (wipe it), must
 * have at least min_len characters and no control character. Returns 0, or
 * -1 with *cause.
 */
int config_read_secret_file(
    const char *path, const char *what, size_t min_len, char **out, char **cause);

/*
 * Checks that path is a regular file owned by root or by us and not
 * readable or writable by group or others (for private keys). Returns 0,
 * or -1 with *cause.
 */
int config_check_secret_file(const char *path, const char *what, char **cause);
/* The isolation guard configured for a cluster: its section's value, else the top-level one. */
enum config_guard config_cluster_guard(const struct config *cfg, const char *cluster);

/* semisync_fallback_seconds for a cluster: its section's value, else the top-level one. */
int config_cluster_fallback(const struct config *cfg, const char *cluster);

/*
 * Whether the self-fence is on for a cluster (its section's self_fence,
 * else the top-level one); *seconds gets its self_fence_seconds.
 */
int config_cluster_self_fence(const struct config *cfg, const char *cluster, int *seconds);
/* auto_rejoin for a cluster (1 or 0): its section's value, else the top-level one. */
int config_cluster_auto_rejoin(const struct config *cfg, const char *cluster);

/* Frees the config, wiping the passwords. NULL is fine. */
void config_free(struct config *cfg);

#endif
