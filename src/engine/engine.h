/*
 * The boundary between the supervisor and what protects one cluster. Today
 * the only engine is MHA (masterha_manager plus our hooks); a native engine
 * would fill the same ops: start, stop, status, and what happened when it
 * ended.
 */
#ifndef MHAADM_ENGINE_H
#define MHAADM_ENGINE_H

#include <sys/types.h>
#include <time.h>

struct config;

struct engine_env {
	const struct config *cfg;
	const char *config_path; /* absolute path of mhaadm.cnf, passed to hooks */
	const char *self;        /* absolute path of the mhaadm binary */
};

/* Why an engine process ended. */
enum engine_outcome {
	ENGINE_OUTCOME_FAILOVER,      /* it failed the master over and finished */
	ENGINE_OUTCOME_REFUSED,       /* the master died but the failover was refused (flapping guard) */
	ENGINE_OUTCOME_FAILOVER_FAILED, /* a failover started and did not complete */
	ENGINE_OUTCOME_CHECKS_FAILED, /* pre-monitoring checks failed; nothing was started */
	ENGINE_OUTCOME_CRASHED,       /* it died otherwise */
	ENGINE_OUTCOME_STOPPED,       /* it ended because it was asked to */
	ENGINE_OUTCOME_PAUSED,        /* the storm breaker refused the failover before it began */
};

/* The engine's live view of a cluster. */
struct engine_status {
	int running;
	pid_t pid;
	int health;   /* engine-specific code, -1 unknown (MHA: masterha_check_status codes) */
	pid_t health_pid; /* the process that reported health (a stale report has an old pid) */
	char *health_name;
	char *master; /* as the engine sees it, or NULL */
	time_t since; /* when the running engine started, 0 unknown */
	char *error_marker; /* path of a failed-failover marker the engine left, or NULL */
	char *left_out; /* "HOST:PORT" lines of replicas it monitors without (unreachable), or NULL */
};

struct engine_ops {
	const char *name;
	/*
	 * Starts protecting the cluster in a new process group, with output
	 * appended to log_fd. checks: run the full pre-monitoring checks first.
	 * Returns the pid, or -1 with *cause.
	 */
	pid_t (*start)(const struct engine_env *env, const char *cluster, int checks, int log_fd,
	    char **cause);
	/* Asks it to stop, then forces it; does not wait for our own child (the caller reaps). */
	void (*stop)(const struct engine_env *env, const char *cluster, pid_t pid);
	/* Fills *st; strings newly allocated (engine_status_clear). */
	void (*status)(const struct engine_env *env, const char *cluster, struct engine_status *st);
	/*
	 * Works out why it ended. wstatus is a wait status, or -1 when unknown
	 * (an engine adopted from an earlier daemon). *detail: one line, newly
	 * allocated.
	 */
	enum engine_outcome (*exited)(const struct engine_env *env, const char *cluster, int wstatus,
	    time_t started, char **detail);
	/* An engine process of this cluster left running by an earlier daemon, or 0. */
	pid_t (*find_running)(const struct engine_env *env, const char *cluster);
	/*
	 * Whether the running engine should be restarted to take a changed
	 * view of the cluster (MHA: the lag policy changed which replicas may
	 * be promoted, found by 'mhaadm watch'). Returns the reason, newly
	 * allocated, and forgets the request; NULL when none.
	 */
	char *(*restart_wanted)(const struct engine_env *env, const char *cluster);
};

extern const struct engine_ops engine_mha_ops;

struct status_monitor;

/*
 * What the MHA engine's status means to status_judge (running, PING_OK,
 * failing over, the failed-failover marker). mon borrows from st;
 * mon->problem is left NULL.
 */
void engine_mha_monitor(const struct engine_status *st, struct status_monitor *mon);

void engine_status_clear(struct engine_status *st);
const char *engine_outcome_name(enum engine_outcome o);

/*
 * The engine process itself (mhaadm engine NAME): renders the MHA config
 * from the registry, optionally runs the checks, makes sure the master
 * holds the VIP, and execs masterha_manager. Returns only on failure, with
 * *cause; the caller exits ENGINE_EXIT_CHECKS.
 */
#define ENGINE_EXIT_CHECKS 3
int engine_mha_exec(const struct engine_env *env, const char *cluster, int checks, char **cause);

#endif
