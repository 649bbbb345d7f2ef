/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boundary between the supervisor and what protects one cluster: an
 * engine fills struct engine_ops (start, stop, status, what happened when
 * it ended, restart requests, the lag policy) and speaks to the rest of
 * mhaadm only in the engine-neutral words below. engine.c holds the table
 * of engines and picks one by name; each engine lives in src/engine/NAME/.
 */
#ifndef MHAADM_ENGINE_H
#define MHAADM_ENGINE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct config;
struct doctor_opts;
struct doctor_report;
struct registry_cluster;
struct status_monitor;

/* The name of the engine a cluster gets when neither it nor the config names one. */
#define ENGINE_DEFAULT "mha"

struct engine_env {
	const struct config *cfg;
	const char *config_path; /* absolute path of mhaadm.cnf, passed to hooks */
	const char *self;        /* absolute path of the mhaadm binary */
};

/* Why an engine process ended. */
enum engine_outcome {
	ENGINE_OUTCOME_FAILOVER, /* it failed the master over and finished */
	ENGINE_OUTCOME_REFUSED,  /* the master died but the failover was refused (flapping guard) */
	ENGINE_OUTCOME_FAILOVER_FAILED, /* a failover started and did not complete */
	ENGINE_OUTCOME_CHECKS_FAILED,   /* pre-monitoring checks failed; nothing was started */
	ENGINE_OUTCOME_CRASHED,         /* it died otherwise */
	ENGINE_OUTCOME_STOPPED,         /* it ended because it was asked to */
	ENGINE_OUTCOME_PAUSED,          /* the storm breaker refused the failover before it began */
};

/* How the engine sees the cluster it protects, in words every engine can say. */
enum engine_health {
	ENGINE_HEALTH_UNKNOWN,        /* no report (yet), or one that could not be read */
	ENGINE_HEALTH_STARTING,       /* checking, connecting: not protecting yet */
	ENGINE_HEALTH_OK,             /* monitoring a master that answers */
	ENGINE_HEALTH_MASTER_FAILING, /* the master stopped answering; deciding whether it is dead
	                               */
	ENGINE_HEALTH_FAILING_OVER,   /* a failover is running */
	ENGINE_HEALTH_STOPPED, /* it reported that it is not monitoring (ended, or about to) */
};

/* The engine's live view of a cluster. */
struct engine_status {
	int running;
	pid_t pid;
	enum engine_health health;
	pid_t health_pid;   /* the process that reported health (a stale report has an old pid) */
	char *health_name;  /* the engine's own word for its health, for people (MHA: PING_OK) */
	int health_code;    /* the engine's own code for it, for --json; -1 none */
	char *master;       /* as the engine sees it, or NULL */
	time_t since;       /* when the running engine started, 0 unknown */
	char *error_marker; /* path of a failed-failover marker the engine left, or NULL */
	char *
	    left_out; /* "HOST:PORT" lines of replicas it monitors without (unreachable), or NULL */
};

struct engine_ops {
	const char *name;
	/*
	 * Starts protecting the cluster in a new process group, with output
	 * appended to log_fd. checks: run the full pre-monitoring checks first.
	 * The engine records its pid (for find_running) before it can act.
	 * Returns the pid, or -1 with *cause.
	 */
	pid_t (*start)(const struct engine_env *env, const char *cluster, int checks, int log_fd,
	    char **cause);
	/* Asks it to stop, then forces it; does not wait for our own child (the caller reaps). */
	void (*stop)(const struct engine_env *env, const char *cluster, pid_t pid);
	/* Fills *st; strings newly allocated (engine_status_clear). */
	void (*status)(const struct engine_env *env, const char *cluster, struct engine_status *st);
	/*
	 * Works out why it ended, from what the engine itself recorded (never
	 * from another program's log wording). wstatus is a wait status, or -1
	 * when unknown (an engine adopted from an earlier daemon). *detail: one
	 * line, newly allocated.
	 */
	enum engine_outcome (*exited)(const struct engine_env *env, const char *cluster,
	    int wstatus, time_t started, char **detail);
	/* An engine process of this cluster left running by an earlier daemon, or 0. */
	pid_t (*find_running)(const struct engine_env *env, const char *cluster);
	/*
	 * Whether the running engine should be restarted to take a changed
	 * view of the cluster (request_restart was called). Returns the reason,
	 * newly allocated, and forgets the request; NULL when none.
	 */
	char *(*restart_wanted)(const struct engine_env *env, const char *cluster);
	/*
	 * Asks the daemon, through the engine, to restart the cluster's
	 * engine (reason: one line). Returns 0, 1 when a request is already
	 * pending, -1 with *cause.
	 */
	int (*request_restart)(
	    const struct engine_env *env, const char *cluster, const char *reason, char **cause);
	/*
	 * Turns the lag policy (lagging or delayed replicas are never
	 * promoted) on or off for the next engine start ('start --force' turns
	 * it off once). Returns 0 or -1 with *cause.
	 */
	int (*set_lag_policy)(
	    const struct engine_env *env, const char *cluster, int on, char **cause);
	/*
	 * The lag policy the running engine applies: returns 1 when on, 0 when
	 * off; *unfit (may be NULL) gets the "HOST:PORT reason\n" lines of the
	 * replicas it will not promote, newly allocated ("" for none).
	 */
	int (*lag_policy)(const struct engine_env *env, const char *cluster, char **unfit);
	/*
	 * The engine process itself ('mhaadm engine NAME', what start spawns),
	 * or NULL for an engine that needs none. Returns only on failure, with
	 * *cause; the caller exits ENGINE_EXIT_CHECKS.
	 */
	int (*run)(const struct engine_env *env, const char *cluster, int checks, char **cause);
	/*
	 * The engine's callbacks from an outside program ('mhaadm hook ...':
	 * MHA runs it during a failover), or NULL for an engine that takes
	 * none. argv[0] is "hook"; cfg is loaded. Returns the exit code the
	 * calling program expects.
	 */
	int (*hook)(const struct engine_env *env, int argc, char **argv);
	/*
	 * 'mhaadm doctor': checks the manager host for what this engine needs
	 * (clusters: the n listed clusters this engine protects), and every
	 * node of a cluster; with opts->fix applies the fixes that are safe,
	 * then checks again. Each appends hosts to rep (doctor-report.h). NULL:
	 * the engine has nothing for doctor to check there.
	 */
	void (*doctor_manager)(struct doctor_report *rep, const struct config *cfg,
	    struct registry_cluster *const *clusters, size_t n, const struct doctor_opts *opts);
	void (*doctor_cluster)(struct doctor_report *rep, const struct config *cfg,
	    const struct registry_cluster *c, const struct doctor_opts *opts);
};

#define ENGINE_EXIT_CHECKS 3

/* The engines compiled in, NULL-terminated (engine.c). */
extern const struct engine_ops *const engine_table[];

/* The engine called name, or NULL. */
const struct engine_ops *engine_find(const char *name);

/*
 * The engine of a cluster: its own (name, from the registry) when set,
 * else the config's default engine, else ENGINE_DEFAULT. Never NULL: an
 * unknown name (validated on the way in, so only a downgrade) falls back
 * to the default.
 */
const struct engine_ops *engine_for(const struct config *cfg, const char *name);

/* "mha, native": the names of engine_table, for messages; static storage. */
const char *engine_names(void);

/*
 * What an engine's status means to status_judge (running, protecting,
 * failing over, the failed-failover marker). mon borrows from st;
 * mon->problem is left NULL.
 */
void engine_monitor(const struct engine_status *st, struct status_monitor *mon);

void engine_status_clear(struct engine_status *st);
const char *engine_outcome_name(enum engine_outcome o);
const char *engine_health_name(enum engine_health h);

#endif
