/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MHA engine's files and words: app config rendering, hook arguments, health, checks. */
#ifndef MHAADM_MHA_H
#define MHAADM_MHA_H

#include <sys/types.h>

struct config;
struct registry_cluster;

/*
 * Where one cluster's MHA files live: <workdir>/mha/<cluster>/. All newly
 * allocated. MHA names its health and failover files after the config's
 * basename, hence <cluster>.cnf.
 */
struct mha_paths {
	char *dir;               /* manager_workdir, mode 0700 */
	char *conf;              /* <dir>/<cluster>.cnf, mode 0600 (holds passwords) */
	char *log;               /* <log_dir>/<cluster>/manager.log */
	char *health;            /* <dir>/<cluster>.master_status.health */
	char *failover_complete; /* <dir>/<cluster>.failover.complete */
	char *failover_error;    /* <dir>/<cluster>.failover.error */
	char *check_log;         /* <log_dir>/<cluster>/checks.log: masterha_check_* output */
	char *unfit; /* <dir>/unfit: "HOST:PORT reason" of replicas the lag policy made no_master */
	char *rerender; /* <dir>/rerender: the reason the daemon should re-render and restart MHA */
	char *lag_off;  /* <dir>/lag-policy-off: 'start --force' turned the lag policy off */
	/*
	 * Outcome markers we write ourselves (never read back from MHA's log):
	 * their mtime after the engine's start says what this run did.
	 */
	char *began;      /* <dir>/failover.began: our hook saw the failover's first VIP phase */
	char *paused;     /* <dir>/failover.paused: our hook's storm breaker refused the failover */
	char *failing;    /* <dir>/master.failing: the engine's status saw the master failing */
	char *monitoring; /* <dir>/monitoring.began: the engine's status saw this run's PING_OK */
	char *log_start;  /* <dir>/manager.log.start: size of manager.log when this run began */
	char *pidfile;    /* <dir>/engine.pid: "PID\n", written by the engine process itself */
	char *left_out;   /* <dir>/left-out: "HOST:PORT" of replicas left out of the config
	                     (unreachable) */
};

/* Creates path or updates its mtime (a marker). Returns 0, or -1 with *cause. */
int mha_marker_touch(const char *path, char **cause);

void mha_paths_init(struct mha_paths *p, const struct config *cfg, const char *cluster);
void mha_paths_free(struct mha_paths *p);

/*
 * Renders the MHA app config for the cluster as it stands in the registry
 * (nodes with role failed are left out). self is the absolute path of the
 * mhaadm binary and config_path the mhaadm.cnf the hooks must read; both
 * go into the hook command lines MHA runs through sh, so they must be
 * shell-safe (refused otherwise). Returns newly allocated text holding
 * the passwords (free it with xfree_secret), or NULL with *cause (e.g. no
 * master, no replica that may be promoted, a value MHA would misread).
 */
char *mha_conf_render(const struct config *cfg, const char *config_path, const char *self,
    const struct registry_cluster *c, char **cause);

/* Writes text to path atomically (temp file + rename), mode 0600, creating the dir 0700. */
int mha_conf_write(const char *path, const char *text, char **cause);

/* MHA's master_ip_failover_script / master_ip_online_change_script commands. */
enum mha_hook_command {
	MHA_HOOK_STATUS,  /* --command=status: health check of the script itself */
	MHA_HOOK_STOP,    /* --command=stop: old master not reachable by ssh */
	MHA_HOOK_STOPSSH, /* --command=stopssh: old master reachable by ssh */
	MHA_HOOK_START,   /* --command=start: take the VIP over on the new master */
};

/* What MHA passed, minus passwords (which are never stored). Strings newly allocated. */
struct mha_hook_args {
	enum mha_hook_command command;
	char *ssh_user;
	char *orig_master_host;
	char *orig_master_ip;
	int orig_master_port;
	char *new_master_host; /* START only */
	char *new_master_ip;
	int new_master_port;
};

/*
 * Parses MHA's hook arguments (--key=value, each its own argv element;
 * unknown keys are ignored as MHA versions differ). Any *_password=
 * argument is wiped in place in argv so it does not linger in memory or
 * /proc. Returns 0, or -1 with *cause for missing/malformed required keys.
 */
int mha_hook_parse(int argc, char **argv, struct mha_hook_args *out, char **cause);
void mha_hook_args_free(struct mha_hook_args *a);

/* The value of "--KEY=VALUE" among MHA's hook arguments (argv[2] on), or NULL. */
const char *mha_hook_arg(int argc, char **argv, const char *key);

struct engine_env;

/*
 * 'mhaadm hook TYPE ...' (argv[0] "hook", argv[1] the type): the MHA
 * engine's hook op. Parses MHA's arguments and calls the failover core.
 * Returns MHA's exit code (10: failed, but proceed; 2: usage).
 */
int mha_hook_main(const struct engine_env *env, int argc, char **argv);

/* report_script arguments. */
struct mha_report_args {
	char *orig_master_host;
	char *new_master_host; /* NULL when the failover did not activate one */
	char *new_slave_hosts; /* comma-separated */
	char *subject;
	char *body;
};

int mha_report_parse(int argc, char **argv, struct mha_report_args *out, char **cause);
void mha_report_args_free(struct mha_report_args *a);

/*
 * secondary_check_script's arguments: MHA's --master_host, --master_ip,
 * --master_port and our rendered --nodes=HOST:PORT,... The replicas are
 * the nodes other than the master (by host or ip, and port). Strings newly
 * allocated.
 */
struct mha_secondary_node {
	char *host;
	int port;
};

struct mha_secondary_args {
	char *master_host;
	char *master_ip; /* NULL when MHA gave none */
	int master_port;
	struct mha_secondary_node *replicas;
	size_t n_replicas;
};

/*
 * Parses them; any --*password= value (an unpatched MHA passes
 * --master_password) is wiped in argv first. Returns 0, or -1 with *cause when the master or
 * --nodes is missing or malformed.
 */
int mha_secondary_parse(int argc, char **argv, struct mha_secondary_args *out, char **cause);
void mha_secondary_args_free(struct mha_secondary_args *a);

/* masterha_check_status codes, as MHA's health file records them. */
enum mha_health {
	MHA_HEALTH_UNKNOWN = -1,
	MHA_HEALTH_PING_OK = 0,
	MHA_HEALTH_NOT_RUNNING = 2,
	MHA_HEALTH_INITIALIZING = 10,
	MHA_HEALTH_PING_FAILING = 20,
	MHA_HEALTH_PING_FAILED = 21,
	MHA_HEALTH_RETRYING_MONITOR = 30, /* master looked dead but was not; monitoring again */
	MHA_HEALTH_CONFIG_ERROR = 31,     /* start-up checks failed; MHA is about to exit */
	MHA_HEALTH_FAILOVER_RUNNING = 50,
	MHA_HEALTH_FAILOVER_ERROR = 51, /* the failover failed; MHA is about to exit */
};

/*
 * Reads <cluster>.master_status.health. 0 and *health, or -1 when
 * absent/unreadable. A file left by a process that is gone reads as
 * NOT_RUNNING (as masterha_check_status says). *master (the master's
 * hostname, or NULL when MHA has not written one yet) is newly allocated;
 * any of pid, health and master may be NULL.
 */
int mha_health_read(const struct mha_paths *p, pid_t *pid, enum mha_health *health, char **master);
const char *mha_health_name(enum mha_health h);

/*
 * Runs masterha_check_ssh on the conf with a timeout, appending its output
 * to p->check_log; it is judged by its output (it exits 255 on success).
 * masterha_check_repl is not run: masterha_manager runs the very same code
 * (MHA::MasterMonitor, which masterha_check_repl calls with --check_only)
 * at its own start, and mha_start_failure reports what it found (see
 * docs/mha.md, "The pre-monitoring checks"). Returns 0 when it passed, -1 with *cause a
 * one-line summary (the failing line from the output, and where the full
 * log is).
 */
int mha_checks_run(const struct mha_paths *p, char **cause);

/*
 * Records where this run's part of p->log begins (its size now, in
 * p->log_start), for mha_start_failure. Returns 0, or -1 with *cause.
 */
int mha_log_mark(const struct mha_paths *p, char **cause);

/*
 * Why masterha_manager's start-up checks failed, from the part of p->log
 * written since mha_log_mark: the first [error] line (as mha_check_judge
 * summarises a check's output), else the last line; newly allocated, or
 * NULL when that part is empty. A message for people: the outcome itself
 * is decided on markers (engine-mha.c).
 */
char *mha_start_failure(const struct mha_paths *p);

/*
 * Judges the output of one check (tool "masterha_check_ssh" or
 * "masterha_check_repl", wstatus its wait status), as mha_checks_run does.
 * A host key that ssh reported as changed or added on first use fails
 * either check (MHA's own StrictHostKeyChecking=no lets ssh go on). Returns
 * 0 when it passed, or -1 with *line the one line that says why (newly
 * allocated).
 */
int mha_check_judge(const char *tool, const char *output, int wstatus, char **line);

/*
 * The argv to start masterha_manager for the cluster: "masterha_manager
 * --global_conf=/dev/null --conf=<conf> --last_failover_minute=N", and
 * --skip_check_ssh when ssh_checked (masterha_check_ssh, the same SSH test,
 * has just passed). NULL-terminated and one allocation: free only the array.
 */
const char **mha_manager_argv(const struct mha_paths *p, int last_failover_minute, int ssh_checked);

#endif
