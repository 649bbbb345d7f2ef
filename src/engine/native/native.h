/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The native failover engine: one process (mhaadm engine-native) watches
 * every cluster whose engine is "native", detects a dead master from the
 * manager's and the replicas' views together, and promotes the most
 * advanced replica itself. Nothing outside src/engine/native/ names these
 * functions except the command that runs the loop and start's checks.
 */
#ifndef MHAADM_NATIVE_H
#define MHAADM_NATIVE_H

#include <pthread.h>
#include <stddef.h>

#include "native-conn.h"

struct config;
struct registry;
struct registry_cluster;

/* What one SHOW SLAVE STATUS said, and when positions last moved. */
struct native_sample {
	long long at_ms;    /* when it was taken, 0 never */
	long long moved_ms; /* when heartbeats or positions last changed */
	int io_yes;         /* Slave_IO_Running = Yes */
	int sql_yes;
	int using_gtid;
	int io_errno;         /* Last_IO_Errno */
	long long lag;        /* Seconds_Behind_Master, -1 NULL */
	long long sql_delay;  /* SQL_Delay */
	long long read_pos;   /* Read_Master_Log_Pos */
	long long heartbeats; /* Slave_received_heartbeats, -1 when the server does not say */
	/*
	 * Gtid_IO_Pos only as a hash (FNV-1a): the loop needs to see it move,
	 * the promotion reads the positions live. 3,000 samples at 1,000
	 * clusters: the text was 1.5 MB of fixed arrays.
	 */
	unsigned long long gtid_io_hash;
	char master_host[256]; /* "" when it replicates from no server (takeover reads it) */
	int master_port;
};

struct native_node {
	char *host;
	int port;
	char addr[64]; /* host as a numeric address (resolved once), to match Master_Host */
	int no_master;
	int candidate;
	struct native_conn conn;
	long long next_ms;      /* next connect/probe */
	int fails;              /* consecutive failures */
	long long fail_ms;      /* when the last failure happened */
	int reachable;          /* last connect/probe answered */
	struct native_sample s; /* replicas only */
};

/* A cluster's place in the engine; one transition function sets it (native.c). */
enum native_cstate {
	NATIVE_WATCHING,     /* master reachable, or unreachable while replicas still see it */
	NATIVE_SUSPECT,      /* master unreachable from the manager: asking the replicas now */
	NATIVE_FAILING_OVER, /* the promotion thread runs */
	NATIVE_STOPPED,      /* failed over badly or paused: not watched until started again */
};

struct native_failover;

struct native_cluster {
	char *name;
	char *vip;
	int vip_prefix;
	char *iface;
	struct native_node *nodes;
	size_t n_nodes;
	size_t master;
	enum native_cstate state;
	long long suspect_ms;
	int alerted;   /* master.unreachable_from_manager emitted for this episode */
	int announced; /* the registry was told it is monitored */
	int reg_state; /* enum registry_state as last read or written */
	int pending;   /* state changes queued for the registry, not written yet */
	/*
	 * Monotonic ms of our last change of the cluster in the registry (a
	 * state written, a failover done): a list read before it is stale.
	 */
	long long changed_ms;
	int await_registry; /* failed over by us: the registry has not named the new master yet */
	int seen;
	char *status_text;             /* last status file content */
	unsigned long long status_key; /* what it said, as native_write_status packs it */
	/*
	 * The master's @@gtid_binlog_state and @@server_id as its last probe
	 * answered (newly allocated, NULL never seen): what the errant check of
	 * the candidates compares with once the master is dead.
	 */
	char *master_gtid;
	long master_server_id;
	/*
	 * The master's @@log_bin_basename as its probe answered (newly
	 * allocated, NULL never seen): where a salvage finds its binlog once
	 * mysqld is gone.
	 */
	char *master_binlog;
	struct native_failover *fo;
};

/*
 * Where a failover is, as its journal says: each phase is written before
 * the step it names. From PROMOTE on the candidate is fixed: a resumed
 * failover finishes with that one and never chooses again.
 */
enum native_phase {
	NATIVE_PHASE_NONE,    /* no journal */
	NATIVE_PHASE_FENCE,   /* the VIP taken off the old master; nothing promoted */
	NATIVE_PHASE_PROMOTE, /* candidate chosen: drain, STOP SLAVE, RESET SLAVE ALL */
	NATIVE_PHASE_SALVAGE, /* the old master's binlog tail applied on the new master */
	NATIVE_PHASE_VIP,     /* the VIP bound on the new master */
	NATIVE_PHASE_OPEN,    /* the guard, then read_only = 0 on the new master */
	NATIVE_PHASE_REPOINT, /* the other replicas follow the new master */
	NATIVE_PHASE_RECORD,  /* the registry and the report */
};

/* A failover in its own thread: what it starts from and what it found. */
struct native_failover {
	const struct config *cfg;
	struct native_cluster snap; /* copy of the cluster with its samples; no connections */
	long long started_ms;
	pthread_t thread;
	int done; /* set by the thread last (atomic) */
	int ok;   /* promoted: new_master is the master */
	size_t new_master;
	char *reason;          /* why it stopped, when !ok */
	long long phase_ms[8]; /* ms after started_ms at each step, for the log */
	int old_host_up;       /* the old master's host refused the connection: it is up */
	/*
	 * Per node of snap (set by the thread): a replica the failover left
	 * behind, unreachable when the candidates were read or not repointed;
	 * marked failed in the registry and not watched on the new topology.
	 */
	unsigned char *left_behind;
	/*
	 * A failover taken up from the journal of a killed engine: the phase
	 * it had reached and new_master fixed from the start.
	 */
	enum native_phase resume;
	enum native_phase phase; /* the last phase journaled */
	struct native_ssh *ssh;  /* the loop's kept SSH sessions (borrowed), NULL none */
	/* The candidate's Master_Log_File: the old master's binlog the salvage starts in. */
	char master_log_file[256];
	char *salvage_note; /* what the salvage did, for the report (newly allocated), NULL none */
	/*
	 * Manager HA: the lease was not proven before a step (lease_guard):
	 * stopped there; the cluster's state is not recorded by this manager.
	 */
	int lease_lost;
	/* The registry took the new master at once (not spooled): it names it already. */
	int recorded;
};

/*
 * Milliseconds between two samples of a watched replica (one connection
 * each, closed after it) when the engine watches this many replicas:
 * about 500 sample connections a second in all, never more often than
 * every 0.5 s nor less often than every 10 s. Pure.
 */
long long native_replica_interval(size_t replicas);

/* Runs the engine until SIGTERM/SIGINT. Returns 0, or -1 with *cause. */
int native_run(const struct config *cfg, char **cause);

/*
 * Checks that the cluster meets what the native engine needs (MariaDB,
 * GTID replication on every replica, log_bin, log_slave_updates, read_only
 * replicas) and, when it does and apply is set, sets the fast-detection
 * settings on each replica (slave_net_timeout, heartbeat, connect retry).
 * Nothing is changed on any node when a requirement is not met. Returns 0,
 * or -1 with *cause naming each node, its problem and the fix.
 */
int native_check(
    const struct config *cfg, const struct registry_cluster *c, int apply, char **cause);

/* One finding of the native engine's requirements on one node (what doctor shows). */
struct native_check_finding {
	char *node;        /* "HOST:PORT" (the cluster's name for a cluster-wide one) */
	const char *check; /* stable short name: "gtid", "read-only", "log-slave-updates", ... */
	int fail;          /* start refuses the cluster while it stands */
	int ok;            /* nothing to do (any more: a fix applied) */
	char *message;     /* one line; never a password */
	char *fix;         /* how to fix it, or NULL */
	char *changed;     /* what the fix changed or why it did not, or NULL */
};

struct native_check_report {
	struct native_check_finding *findings;
	size_t n;
};

/*
 * The findings of every node of c into rep (the caller clears it). With
 * fix, the ones that are safe at runtime are applied: read_only on a
 * writable replica, the fast-detection settings, and the conversion of a
 * file/position replica to MASTER_USE_GTID=slave_pos only when its
 * gtid_slave_pos is the master's position at what it has applied.
 * log_bin and log_slave_updates need the config and a restart: named with
 * the line to add, never changed.
 */
void native_doctor(const struct config *cfg, const struct registry_cluster *c, int fix,
    struct native_check_report *rep);
void native_check_report_clear(struct native_check_report *rep);

/* The failover journal (native-journal.c). */
const char *native_journal_phase_name(enum native_phase p);
/* <workdir>/native/CLUSTER.journal, newly allocated. */
char *native_journal_path(const struct config *cfg, const char *cluster);
/* The journal's text for c at phase (newly allocated). Pure. */
char *native_journal_text(
    const struct native_cluster *c, enum native_phase phase, size_t new_master, int old_host_up);
/* (c->master_binlog rides along as master_binlog=, "-" when unknown.) */
/*
 * Reads a journal's text into *c (name, VIP, nodes with the old master as
 * c->master, the master's GTID state; the caller frees what it holds),
 * *new_master ((size_t)-1 before PROMOTE). 0, or -1 with *cause. Pure.
 */
int native_journal_parse(const char *text, struct native_cluster *c, enum native_phase *phase,
    size_t *new_master, int *old_host_up, char **cause);
/* Writes fo's journal at phase (fs_write_atomic); 0, or -1 with *cause. */
int native_journal_write(const struct native_failover *fo, enum native_phase phase, char **cause);
/* Removes the journal, or with keep renames it CLUSTER.journal.failed for the DBA. */
void native_journal_end(const struct config *cfg, const char *cluster, int keep);

/* Starts the promotion thread; 0, or -1 with *cause. */
int native_promote_start(struct native_failover *fo, char **cause);

/*
 * MariaDB GTID positions ("0-1-42,1-2-7"): 1 when a has every domain of b
 * at an equal or higher sequence number, else 0.
 */
int native_gtid_covers(const char *a, const char *b);
/* The sum of the sequence numbers of a GTID position: the order of candidates. */
unsigned long long native_gtid_score(const char *pos);

/*
 * Whether a replica's Master_Host/Master_Port name c's master: its host
 * (any case) or the address it resolved to. Pure.
 */
int native_is_master(const struct native_cluster *c, const char *host, int port);

/* Errant candidates: gtid_errant_live against the master's state as last probed. */

struct master_observation;

/*
 * The replicas' view of the suspect master, for the shared rule
 * (master_verdict.h): one observation per replica that answered or failed
 * since the master became suspect, into obs (c->n_nodes entries, names
 * into names, 300 bytes each). Returns how many were filled; *waiting is
 * how many reachable replicas have not answered since (the verdict waits
 * for them).
 */
size_t native_observe(const struct native_cluster *c, long long now, struct master_observation *obs,
    char (*names)[300], size_t *waiting);

/*
 * Manager HA (native-takeover.c): what the replicas' samples in c (taken
 * since the master became suspect) say before a fresh failover. 0: as a
 * dead master leaves it. 1: one replica, *adopt, replicates from no server
 * and every other follows the dead master or it: a promotion another
 * engine began (its journal is elsewhere), to be finished with *adopt. -1
 * with *why (newly allocated): anything else, refused. Pure.
 */
int native_takeover_decide(const struct native_cluster *c, size_t *adopt, char **why);

/* The failover core as the native engine uses it (native-core.c). */
struct registry *native_core_registry(const struct config *cfg, const char *cluster);
int native_core_storm(
    const struct config *cfg, struct registry *reg, const struct native_cluster *c);
int native_core_vip_release(
    const struct config *cfg, struct registry *reg, const struct native_cluster *c, int reachable);
int native_core_vip_take(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, size_t new_master);
/* left_behind: per node, 1 for a replica the failover leaves behind (NULL: none). */
void native_core_guard(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, size_t new_master, const unsigned char *left_behind);
/*
 * lease_guard (lease.h) for c: 0 when this manager may act now (or leases
 * are off), 1 refused (lease.refused emitted with action).
 */
int native_core_lease(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, const char *action);
/* failover_record_master for new_master of c: 0 recorded, 1 spooled, 2 refused, -1 lost. */
int native_core_record(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, size_t new_master);
/* failover_replica_failed for node of c: 0 marked, 1 not a replica there, -1 not marked. */
int native_core_replica_failed(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, size_t node, const char *message);
void native_core_report(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, const char *new_master, const char *replicas,
    const char *detail);

#endif
