/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live status of clusters: every node probed, the VIP holders found, a verdict with its reason. */
#ifndef MHAADM_STATUS_H
#define MHAADM_STATUS_H

#include <stddef.h>

#include "probe.h"

struct config;
struct registry_cluster;
struct registry_node;

/* One word for a cluster, in rising order of severity (the verdict is the worst finding). */
enum status_verdict {
	STATUS_OK,       /* monitored, master writable, every replica fine, VIP on the master */
	STATUS_DEGRADED, /* protected, but something needs a look (a replica lags, a thread stopped)
	                  */
	STATUS_AT_RISK,  /* a failover now would fail or hurt: no fit replica, VIP misplaced */
	STATUS_UNPROTECTED, /* nothing fails it over: monitoring stopped, no engine running */
	STATUS_DOWN,        /* no writable master: writes fail now */
};

/* Something wrong with a cluster, with what to do about it. */
struct status_finding {
	enum status_verdict severity;
	char *kind; /* event type recorded by the daemon, e.g. "drift.vip_elsewhere", "lag.exceeded"
	             */
	char *node; /* "HOST:PORT" or NULL */
	char *what; /* one line: what is wrong */
	char *fix;  /* one line: what to do, or NULL */
};

struct status_node {
	struct probe_result probe; /* the MySQL probe (host, port set by status_probe) */
	int holds_vip;             /* 1 yes, 0 no, -1 unknown (SSH failed: ssh_error) */
	char *ssh_error;
	int promotable; /* replicas: 1 when the engine may promote it now */
	char *unfit;    /* why it may not be promoted, NULL when promotable or not a replica */
	int caught_up;  /* replicas: follows the master, both threads running, no lag beyond max_lag
	                 */
	int left_out;   /* replicas: in status_monitor.left_out */
};

/* What the engine says about the cluster (filled by the caller: core knows no engine). */
struct status_monitor {
	int running;              /* an engine process runs for the cluster */
	const char *health;       /* its health word (MHA: PING_OK, ...), NULL when unknown */
	int health_ok;            /* monitoring the master normally */
	int failing_over;         /* a failover is running */
	int suspecting;           /* failing_over only because the engine cannot reach the master:
	                             nothing has moved yet (MHA: PING_FAILING/PING_FAILED) */
	const char *error_marker; /* a failed-failover marker the engine left, or NULL */
	const char *problem;      /* why it is not protected, from the newest event, or NULL */
	/*
	 * "HOST:PORT" lines of replicas the running engine monitors without
	 * (left out while unreachable: MHA refuses to start with a dead
	 * server in its config), or NULL. They are no candidates until it
	 * takes them back in.
	 */
	const char *left_out;
};

struct status_cluster {
	const struct registry_cluster *c; /* borrowed from the caller's list */
	struct status_node *nodes;        /* c->n_nodes entries, in the registry's order */
	struct status_finding *findings;
	size_t n_findings;
	enum status_verdict verdict;
	char *reason;      /* the worst finding's line (+ "(and N more)"), or "healthy" */
	size_t replicas;   /* registered replicas */
	size_t fit;        /* replicas that may be promoted now */
	size_t running;    /* replicas with both threads running */
	long long max_lag; /* largest Seconds_Behind_Master among replicas, -1 unknown */
	long vip_age;      /* seconds since the VIP holders were asked (daemon's pass), -1 now */
	int partitioned;   /* the master is unreachable from here, its replicas still receive from
	                      it (finding master.unreachable_from_manager): no failover */
	/* The isolation guard (guard.h): set by the caller before status_judge, which checks it. */
	int guard_wanted;      /* 1: semisync is wanted on this cluster's master */
	const char *guard_why; /* static text: why (guard_mode_for), or NULL */
	/* Filled by status_judge from the master's probe. */
	const char *guard; /* "semisync", "stalled", "async" (fell back), "off", "unknown" */
	long guard_acks;   /* replicas acknowledging (Rpl_semi_sync_master_clients), -1 unknown */
	int guard_stalled; /* 1: semi-sync is on and no replica can acknowledge (guard.stalled) */
	/* The self-fence agent (selffence.h), set by the caller before status_judge. */
	int selffence_wanted;  /* 1: self_fence is on and the cluster is monitored */
	int selffence_running; /* on the master: 1 runs, 0 does not (a finding), -1 unknown */
};

/*
 * Where the VIP holders come from. The daemon's status pass asks every
 * host over SSH and writes what it found to cache_write; list reads it back
 * (cache_read, if not older than max_age seconds) instead of opening one SSH
 * session per host, which at fleet scale costs more than all the MySQL
 * probes together. Hosts the cache does not cover are asked now.
 */
struct status_opts {
	const char *cache_read; /* NULL: ask every host now */
	long max_age;
	const char *cache_write; /* NULL: keep nothing */
	int mysql_only;          /* no SSH at all: VIP holders stay unknown (start's check) */
};

const char *status_verdict_name(enum status_verdict v);

/* <workdir>/vip-holders.json, the daemon's status-pass cache; newly allocated. */
char *status_cache_path(const struct config *cfg);

/*
 * The lag policy alone: 1 when the replica must never be promoted because
 * it is configured with a replication delay (MASTER_DELAY) or lags more
 * than max_lag seconds (0: lag ignored), with *why newly allocated;
 * otherwise 0. Used by the engines (MHA: no_master) and by status_judge.
 */
int status_lag_unfit(const struct probe_result *pr, int max_lag, char **why);

/*
 * The errant-transaction check: 1 when the replica's gtid_binlog_state
 * holds a GTID its master's lacks, with *gtids newly allocated (see
 * gtid_errant); 0 when not, or when either state is unknown (MySQL, a
 * failed probe). Used by status_judge and the MHA engine's no_master.
 */
int status_errant(
    const struct probe_result *replica, const struct probe_result *master, char **gtids);

/*
 * Probes every node of the n clusters at once: MySQL with the config's
 * probe_timeout, and one SSH command per distinct host listing its
 * addresses (to find the VIP holders; or the cache, see status_opts), all
 * in parallel, so that a dead host costs its own timeout once and never
 * delays the others. opts may be NULL. Returns an array of n (free with
 * status_free); clusters borrow list[i].
 */
struct status_cluster *status_probe(const struct config *cfg, struct registry_cluster **list,
    size_t n, const struct status_opts *opts);

/*
 * Judges one probed cluster: promotability of each replica, findings
 * (drift, lag, threads, VIP, monitoring), verdict and reason. Pure: no I/O.
 * max_lag as in status_lag_unfit. May be called once per cluster.
 */
void status_judge(struct status_cluster *sc, const struct status_monitor *mon, int max_lag);

/*
 * Whether a failover started now would succeed, from a judged cluster:
 * 1 ready; 0 blocked, with *why (newly allocated) saying why; -1 cannot
 * tell now (the engine is starting or failing over: wait). Pure.
 */
int status_failover_ready(
    const struct status_cluster *sc, const struct status_monitor *mon, char **why);

/* Whether line "HOST:PORT" is one of the lines of text (NULL: none). */
int status_has_line(const char *text, const char *line);

/* Frees an array of n status_cluster (not the clusters they borrow). */
void status_free(struct status_cluster *sc, size_t n);

#endif
