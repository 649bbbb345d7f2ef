/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MHA engine: one masterha_manager per monitored cluster, started
 * through "mhaadm engine NAME" so that rendering the config, the checks and
 * binding the VIP (all slow: SSH, MySQL) happen in the child, never in the
 * supervisor's loop. The child then execs masterha_manager, keeping its pid.
 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "doctor.h"
#include "event.h"
#include "failover.h"
#include "log.h"
#include "mha.h"
#include "probe.h"
#include "registry.h"
#include "spawn.h"
#include "ssh.h"
#include "status.h"
#include "topology.h"
#include "vip.h"
#include "fsutil.h"
#include "xmalloc.h"

#define ENGINE_MHA_MANAGER "/usr/bin/masterha_manager"
/* Seconds to ask a failed former master whether it still holds the VIP. */
#define ENGINE_MHA_FAILED_NODE_TIMEOUT 1

static char *engine_mha_slurp(const char *path);

/*
 * Spawns "mhaadm engine NAME": the child records its own pid (engine.pid,
 * atomically) before it does anything else, so that a daemon restarted at
 * any moment adopts it instead of starting a second one.
 */
extern const struct engine_ops engine_mha_ops;

static pid_t
engine_mha_start(
    const struct engine_env *env, const char *cluster, int checks, int log_fd, char **cause)
{
	const char *argv[10];
	struct spawn_opts opts = {0};
	struct mha_paths p;
	pid_t pid = -1;
	int n = 0;

	mha_paths_init(&p, env->cfg, cluster);
	if (fs_mkdirs(p.dir, 0700, cause) != 0)
		goto out;
	argv[n++] = env->self;
	argv[n++] = "-c";
	argv[n++] = env->config_path;
	argv[n++] = "engine";
	argv[n++] = cluster;
	argv[n++] = "--engine";
	argv[n++] = engine_mha_ops.name;
	if (checks)
		argv[n++] = "--checks";
	argv[n] = NULL;
	opts.stdout_fd = log_fd;
	opts.stderr_fd = log_fd;
	opts.new_pgrp = 1;
	pid = spawn_start(argv, &opts, cause);
out:
	mha_paths_free(&p);
	return pid;
}

/*
 * The engine runs masterha_check_ssh/_repl through spawn_run, each leading
 * its own process group (so that a timeout ends the whole check). Stopping
 * only the engine's group would leave a running check and its ssh sessions
 * behind (the check itself dies by its parent-death signal, its children do
 * not): the groups led by the engine's direct children get TERM too.
 */
static void
engine_mha_stop_checks(pid_t pid)
{
	char path[80], *text, *p, *end;
	long child;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	text = engine_mha_slurp(path);
	if (text == NULL)
		return;
	for (p = text;; p = end) {
		child = strtol(p, &end, 10);
		if (end == p)
			break;
		if (child > 1 && getpgid((pid_t)child) == (pid_t)child)
			kill(-(pid_t)child, SIGTERM);
	}
	free(text);
}

static void
engine_mha_stop(const struct engine_env *env, const char *cluster, pid_t pid)
{
	if (pid <= 0)
		return;
	engine_mha_stop_checks(pid);
	/* The engine leads its own process group: MHA's ssh children go with it. */
	if (kill(-pid, SIGTERM) != 0)
		kill(pid, SIGTERM);
}

static pid_t engine_mha_find_running(const struct engine_env *env, const char *cluster);

/* True when path exists and is at least as new as than (or than is missing). */
static int
engine_mha_newer(const char *path, const char *than)
{
	struct stat a, b;

	if (stat(path, &a) != 0)
		return 0;
	return stat(than, &b) != 0 || a.st_mtime >= b.st_mtime;
}

/* MHA's health codes in the engine-neutral words of engine.h. */
static enum engine_health
engine_mha_health(enum mha_health h)
{
	switch (h) {
	case MHA_HEALTH_PING_OK:
		return ENGINE_HEALTH_OK;
	case MHA_HEALTH_INITIALIZING:
	case MHA_HEALTH_RETRYING_MONITOR:
		return ENGINE_HEALTH_STARTING;
	case MHA_HEALTH_PING_FAILING:
	case MHA_HEALTH_PING_FAILED:
		return ENGINE_HEALTH_MASTER_FAILING;
	case MHA_HEALTH_FAILOVER_RUNNING:
		return ENGINE_HEALTH_FAILING_OVER;
	case MHA_HEALTH_NOT_RUNNING:
	case MHA_HEALTH_CONFIG_ERROR:
	case MHA_HEALTH_FAILOVER_ERROR:
		return ENGINE_HEALTH_STOPPED;
	case MHA_HEALTH_UNKNOWN:
		break;
	}
	return ENGINE_HEALTH_UNKNOWN;
}

static void
engine_mha_status(const struct engine_env *env, const char *cluster, struct engine_status *st)
{
	enum mha_health health;
	struct mha_paths p;
	struct stat sb;
	pid_t pid = 0;
	char *why = NULL;

	memset(st, 0, sizeof(*st));
	st->health_code = -1;
	mha_paths_init(&p, env->cfg, cluster);
	st->pid = engine_mha_find_running(env, cluster);
	st->running = st->pid > 0;
	if (mha_health_read(&p, &pid, &health, &st->master) == 0) {
		st->health = engine_mha_health(health);
		st->health_code = (int)health;
		st->health_pid = pid;
		st->health_name = xstrdup(mha_health_name(health));
		/*
		 * Our own marker that this run saw its master fail: how exited()
		 * tells a refused failover (MHA exits before any hook runs) from a
		 * crash, without reading MHA's log.
		 */
		if (st->running && pid == st->pid && st->health == ENGINE_HEALTH_MASTER_FAILING &&
		    mha_marker_touch(p.failing, &why) != 0)
			free(why); /* quiet: list may run as a user who cannot write here */
		/*
		 * And that this run reached PING_OK: a masterha_manager that exits
		 * before it did failed its start-up checks (engine_mha_exited).
		 * Touched once per run: when older than the engine's pid file.
		 */
		if (st->running && pid == st->pid && st->health == ENGINE_HEALTH_OK &&
		    !engine_mha_newer(p.monitoring, p.pidfile) &&
		    mha_marker_touch(p.monitoring, &why) != 0)
			free(why);
	}
	if (st->running && stat(p.pidfile, &sb) == 0)
		st->since = sb.st_mtime;
	/* MHA's failed-failover marker is shown, never removed behind the DBA's back. */
	if (stat(p.failover_error, &sb) == 0)
		st->error_marker = xstrdup(p.failover_error);
	/* Written by the running engine's start: a stopped one monitors nothing. */
	if (st->running)
		st->left_out = engine_mha_slurp(p.left_out);
	mha_paths_free(&p);
}

/*
 * True when the file exists and was modified after since. Strictly after:
 * a failover takes seconds, so a marker from the second the engine started
 * belongs to an earlier run.
 */
static int
engine_mha_touched_since(const char *path, time_t since)
{
	struct stat sb;

	return stat(path, &sb) == 0 && sb.st_mtime > since;
}

/*
 * Whether MHA would refuse a failover now because of the last one: it
 * does when <cluster>.failover.complete is younger than the
 * --last_failover_minute we pass it (mha_manager_argv), our own
 * failover_window.
 */
static int
engine_mha_in_window(const struct engine_env *env, const struct mha_paths *p, time_t started)
{
	struct stat sb;
	long window = (long)((env->cfg->failover_window + 59) / 60) * 60;

	return stat(p->failover_complete, &sb) == 0 && sb.st_mtime <= started &&
	       (long)(time(NULL) - sb.st_mtime) < window;
}

/*
 * Why masterha_manager ended, from markers only: MHA's failover.complete
 * and failover.error, and ours (failover.began and failover.paused written
 * by the hook, master.failing by engine_mha_status).
 */
static enum engine_outcome
engine_mha_exited(
    const struct engine_env *env, const char *cluster, int wstatus, time_t started, char **detail)
{
	enum engine_outcome o;
	struct mha_paths p;
	char *why;
	int began, clean;

	mha_paths_init(&p, env->cfg, cluster);
	began = engine_mha_touched_since(p.began, started - 1);
	clean = wstatus != -1 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	if (wstatus != -1 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == ENGINE_EXIT_CHECKS) {
		o = ENGINE_OUTCOME_CHECKS_FAILED;
		*detail = xasprintf("pre-monitoring checks failed (see %s/%s/engine.log)",
		    env->cfg->log_dir, cluster);
	} else if (engine_mha_touched_since(p.failover_complete, started)) {
		o = ENGINE_OUTCOME_FAILOVER;
		*detail = xstrdup("masterha_manager completed a failover and exited");
	} else if (engine_mha_touched_since(p.paused, started - 1)) {
		o = ENGINE_OUTCOME_PAUSED;
		/*
		 * MHA marks every aborted failover as failed, and would then refuse
		 * the next real one. This abort was ours and moved nothing, so the
		 * marker of this run goes (an older one is the DBA's to judge).
		 */
		if (engine_mha_touched_since(p.failover_error, started - 1))
			unlink(p.failover_error);
		*detail =
		    xasprintf("the master looked dead but the storm breaker refused to start "
		              "the failover (storm_max_failovers = %d within storm_window = %d "
		              "s); nothing was moved; see %s",
		        env->cfg->storm_max_failovers, env->cfg->storm_window, p.log);
	} else if (engine_mha_touched_since(p.failover_error, started) || began) {
		o = ENGINE_OUTCOME_FAILOVER_FAILED;
		*detail = xasprintf("a failover started and did not complete; MHA left %s; see %s",
		    p.failover_error, p.log);
	} else if (!clean && engine_mha_touched_since(p.failing, started - 1) &&
	           engine_mha_in_window(env, &p, started)) {
		o = ENGINE_OUTCOME_REFUSED;
		*detail = xasprintf("the master is down but MHA refused to fail over again within "
		                    "failover_window (%d s); see %s",
		    env->cfg->failover_window, p.log);
	} else if (!clean && wstatus != -1 && WIFEXITED(wstatus) &&
	           !engine_mha_touched_since(p.monitoring, started - 1)) {
		/*
		 * It exited (a signal is a crash) and never reached PING_OK:
		 * MHA's start-up checks (the code of masterha_check_repl)
		 * failed. The outcome is our marker's; the words are MHA's,
		 * quoted for the DBA.
		 */
		o = ENGINE_OUTCOME_CHECKS_FAILED;
		why = mha_start_failure(&p);
		if (why != NULL)
			*detail =
			    xasprintf("MHA checks failed: masterha_manager's start-up "
			              "checks (those of masterha_check_repl): %s (full output "
			              "in %s)",
			        why, p.log);
		else
			*detail =
			    xasprintf("MHA checks failed: masterha_manager exited with "
			              "status %d before it monitored, with nothing in %s (see "
			              "%s/%s/engine.log)",
			        WEXITSTATUS(wstatus), p.log, env->cfg->log_dir, cluster);
		free(why);
	} else {
		o = ENGINE_OUTCOME_CRASHED;
		if (wstatus == -1)
			*detail = xasprintf("masterha_manager is gone (see %s)", p.log);
		else if (WIFSIGNALED(wstatus))
			*detail = xasprintf("masterha_manager killed by signal %d (see %s)",
			    WTERMSIG(wstatus), p.log);
		else
			*detail = xasprintf("masterha_manager exited with status %d (see %s)",
			    WEXITSTATUS(wstatus), p.log);
	}
	mha_paths_free(&p);
	return o;
}

/* Reads a whole small file into a NUL-terminated buffer (NUL bytes become spaces). */
static char *
engine_mha_slurp(const char *path)
{
	char *buf = xmalloc(4097);
	ssize_t n, i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	n = read(fd, buf, 4096);
	close(fd);
	if (n < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	buf[n] = '\0';
	return buf;
}

static pid_t
engine_mha_find_running(const struct engine_env *env, const char *cluster)
{
	char *text = NULL, *path = NULL, *cmdline = NULL, *end, *needle, *tail;
	struct mha_paths p;
	pid_t pid = 0;
	long v;

	mha_paths_init(&p, env->cfg, cluster);
	text = engine_mha_slurp(p.pidfile);
	if (text == NULL)
		goto out;
	v = strtol(text, &end, 10);
	if (v <= 1 || end == text)
		goto out;
	free(text);
	path = xasprintf("/proc/%ld/stat", v);
	text = engine_mha_slurp(path);
	/* A zombie is gone for our purposes (LAB-NOTES: PID 1 reaps late). */
	if (text == NULL || (end = strrchr(text, ')')) == NULL || end[1] != ' ' || end[2] == 'Z')
		goto out;
	free(path);
	path = xasprintf("/proc/%ld/cmdline", v);
	cmdline = engine_mha_slurp(path);
	/* Either masterha_manager already, or our engine still before its exec (NULs read as ' ').
	 */
	needle = xasprintf(" engine %s ", cluster);
	tail = xasprintf(" engine %s", cluster);
	if (cmdline != NULL &&
	    ((strstr(cmdline, "masterha_manager") != NULL && strstr(cmdline, p.conf) != NULL) ||
	        strstr(cmdline, needle) != NULL ||
	        (strlen(cmdline) > strlen(tail) + 1 &&
	            strcmp(cmdline + strlen(cmdline) - strlen(tail) - 1, tail) == 0)))
		pid = (pid_t)v;
	free(needle);
	free(tail);
out:
	free(cmdline);
	free(path);
	free(text);
	mha_paths_free(&p);
	return pid;
}

static char *
engine_mha_restart_wanted(const struct engine_env *env, const char *cluster)
{
	struct mha_paths p;
	char buf[1024], *reason = NULL;
	FILE *f;

	mha_paths_init(&p, env->cfg, cluster);
	f = fopen(p.rerender, "r");
	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
		unlink(p.rerender);
		reason = xstrdup(buf[0] != '\0' ? buf : "the lag policy changed");
	}
	mha_paths_free(&p);
	return reason;
}

/* Asks for a restart through <dir>/rerender, read by restart_wanted in the daemon. */
static int
engine_mha_request_restart(
    const struct engine_env *env, const char *cluster, const char *reason, char **cause)
{
	struct mha_paths p;
	char *text;
	int rc = 1;

	mha_paths_init(&p, env->cfg, cluster);
	if (access(p.rerender, F_OK) != 0) {
		text = xasprintf("%s\n", reason);
		rc = fs_write_atomic(p.rerender, text, strlen(text), cause);
		free(text);
	}
	mha_paths_free(&p);
	return rc;
}

static int
engine_mha_set_lag_policy(const struct engine_env *env, const char *cluster, int on, char **cause)
{
	static const char text[] = "start --force\n";
	struct mha_paths p;
	int rc = 0;

	mha_paths_init(&p, env->cfg, cluster);
	if (!on)
		rc = fs_write_atomic(p.lag_off, text, sizeof(text) - 1, cause);
	else if (unlink(p.lag_off) != 0 && errno != ENOENT) {
		*cause = xasprintf("cannot remove %s: %s", p.lag_off, strerror(errno));
		rc = -1;
	}
	mha_paths_free(&p);
	return rc;
}

static int
engine_mha_lag_policy_get(const struct engine_env *env, const char *cluster, char **unfit)
{
	struct mha_paths p;
	int on;

	mha_paths_init(&p, env->cfg, cluster);
	on = access(p.lag_off, F_OK) != 0;
	if (unfit != NULL) {
		*unfit = engine_mha_slurp(p.unfit);
		if (*unfit == NULL)
			*unfit = xstrdup("");
	}
	mha_paths_free(&p);
	return on;
}

static int engine_mha_exec(
    const struct engine_env *env, const char *cluster, int checks, char **cause);

const struct engine_ops engine_mha_ops = {
    .name = "mha",
    .start = engine_mha_start,
    .stop = engine_mha_stop,
    .status = engine_mha_status,
    .exited = engine_mha_exited,
    .find_running = engine_mha_find_running,
    .restart_wanted = engine_mha_restart_wanted,
    .request_restart = engine_mha_request_restart,
    .set_lag_policy = engine_mha_set_lag_policy,
    .lag_policy = engine_mha_lag_policy_get,
    .run = engine_mha_exec,
    .hook = mha_hook_main,
    .doctor_manager = doctor_check_manager,
    .doctor_cluster = doctor_check_cluster,
};

/*
 * Probes the live nodes: always for their binlog directories (MHA's
 * master_binlog_dir, needed to salvage binlogs from a dead master), and with
 * check set also our own checks before MHA's: every live node answers, the
 * registry's master is the writable master, every replica follows it.
 */
/* Whether line (a "HOST:PORT") is one of the lines of text. */
static int
engine_mha_has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *s = text;

	while (s != NULL && *s != '\0') {
		if (strncmp(s, line, len) == 0 && (s[len] == '\n' || s[len] == '\0'))
			return 1;
		s = strchr(s, '\n');
		if (s != NULL)
			s++;
	}
	return 0;
}

/*
 * MHA 0.58 ignores MariaDB GTID: after a failover it re-points replicas by
 * file and position, leaving them at Using_Gtid: No. We remember, in
 * <dir>/gtid-replicas, which replicas used GTID, and the first time an
 * engine starts after a failover (failover.complete newer than that file)
 * we switch those back with CHANGE MASTER TO MASTER_USE_GTID=slave_pos.
 */
/* Whether MHA completed a failover since the last engine start (see engine_mha_gtid). */
static int
engine_mha_after_failover(const struct mha_paths *p)
{
	char *path = xasprintf("%s/gtid-replicas", p->dir);
	struct stat done, mine;
	int after;

	after = stat(p->failover_complete, &done) == 0 &&
	        (stat(path, &mine) != 0 || done.st_mtime >= mine.st_mtime);
	free(path);
	return after;
}

static void
engine_mha_gtid(const struct engine_env *env, const struct mha_paths *p, struct registry *reg,
    const struct registry_cluster *c, const struct probe_result *pr, const size_t *idx, size_t n)
{
	static const char *const restore[] = {
	    "STOP SLAVE", "CHANGE MASTER TO MASTER_USE_GTID=slave_pos", "START SLAVE", NULL};
	struct probe_credentials cred = {env->cfg->ha_user, env->cfg->ha_password,
	    env->cfg->connect_timeout, env->cfg->read_timeout};
	char *path = xasprintf("%s/gtid-replicas", p->dir), *old, *text = xstrdup(""), *tmp;
	char *key, *why = NULL;
	struct stat done, mine;
	int after_failover;
	size_t i;

	old = engine_mha_slurp(path);
	after_failover = stat(p->failover_complete, &done) == 0 &&
	                 (stat(path, &mine) != 0 || done.st_mtime >= mine.st_mtime);
	for (i = 0; i < n; i++) {
		key = xasprintf("%s:%d", pr[i].host, pr[i].port);
		if (!pr[i].ok || !pr[i].is_replica ||
		    c->nodes[idx[i]].role != REGISTRY_ROLE_REPLICA) {
			/* Not seen this time: keep what we knew, for the next start. */
			if (!pr[i].ok && old != NULL && engine_mha_has_line(old, key)) {
				tmp = xasprintf("%s%s\n", text, key);
				free(text);
				text = tmp;
			}
			free(key);
			continue;
		}
		if (!pr[i].using_gtid && after_failover && old != NULL &&
		    engine_mha_has_line(old, key)) {
			if (probe_exec(pr[i].host, pr[i].port, &cred, restore, &why) == 0) {
				event_emit(reg, c->name, key, "replica.gtid_restored",
				    "replica %s uses MariaDB GTID again (MHA re-pointed it by file "
				    "and position)",
				    key);
			} else {
				event_emit(reg, c->name, key, "replica.gtid_restore_failed",
				    "could not switch replica %s back to GTID: %s", key, why);
				free(why);
				why = NULL;
			}
		}
		if (pr[i].using_gtid || (old != NULL && engine_mha_has_line(old, key))) {
			tmp = xasprintf("%s%s\n", text, key);
			free(text);
			text = tmp;
		}
		free(key);
	}
	/* Rewritten every start: its time marks the failover as handled. */
	if (fs_write_atomic(path, text, strlen(text), &why) != 0) {
		log_warn("cluster=%s %s", c->name, why);
		free(why);
	}
	free(text);
	free(old);
	free(path);
}

/*
 * The lag policy: a replica configured with MASTER_DELAY or lagging more
 * than max_lag is rendered no_master (in this in-memory copy only; the
 * registry keeps the DBA's own setting), and the list goes to p->unfit for
 * the daemon's watch to compare with. 'start --force' turns it off. If it
 * leaves nothing to promote, MHA would refuse to monitor anyway: say why.
 */
static int
engine_mha_lag_policy(const struct engine_env *env, const struct mha_paths *p,
    struct registry_cluster *c, const struct probe_result *pr, const size_t *idx, size_t n,
    char **cause)
{
	struct registry_node *nd;
	const struct probe_result *mpr = NULL;
	char *why = NULL, *list = xstrdup(""), *tmp, *gtids = NULL;
	size_t i, fit = 0;
	int rc = 0, lag_off;

	for (i = 0; i < n; i++) {
		if (c->nodes[idx[i]].role == REGISTRY_ROLE_MASTER)
			mpr = &pr[i];
	}
	/*
	 * A replica holding transactions its master never had is never
	 * promoted, not even with the lag policy off: MHA would replicate them
	 * everywhere, or break replication on them.
	 */
	for (i = 0; mpr != NULL && i < n; i++) {
		nd = &c->nodes[idx[i]];
		if (nd->role != REGISTRY_ROLE_REPLICA || !status_errant(&pr[i], mpr, &gtids))
			continue;
		nd->no_master = 1;
		nd->candidate_master = 0;
		tmp =
		    xasprintf("%s%s:%d errant transactions: %s\n", list, nd->host, nd->port, gtids);
		free(list);
		list = tmp;
		log_info("cluster=%s node=%s:%d not a promotion candidate: errant transactions %s",
		    c->name, nd->host, nd->port, gtids);
		free(gtids);
		gtids = NULL;
	}
	lag_off = access(p->lag_off, F_OK) == 0;
	if (lag_off)
		log_info("cluster=%s lag policy off ('mhaadm start %s --force')", c->name, c->name);
	for (i = 0; i < n; i++) {
		nd = &c->nodes[idx[i]];
		if (nd->role != REGISTRY_ROLE_REPLICA)
			continue;
		if (!lag_off && !nd->no_master &&
		    status_lag_unfit(&pr[i], env->cfg->max_lag, &why)) {
			nd->no_master = 1;
			nd->candidate_master = 0;
			tmp = xasprintf("%s%s:%d %s\n", list, nd->host, nd->port, why);
			free(list);
			list = tmp;
			log_info("cluster=%s node=%s:%d not a promotion candidate: %s", c->name,
			    nd->host, nd->port, why);
			free(why);
			why = NULL;
		}
		fit += !nd->no_master;
	}
	if (fit == 0 && *list != '\0' && !lag_off) {
		*cause =
		    xasprintf("no replica may be promoted (%s); wait until they catch up, or run "
		              "'mhaadm start %s --force'",
		        list, c->name);
		for (tmp = *cause; (tmp = strchr(tmp, '\n')) != NULL;)
			*tmp = ';';
		rc = -1;
	}
	if (rc == 0 && mha_conf_write(p->unfit, list, &why) != 0) {
		log_warn("cluster=%s %s", c->name, why);
		free(why);
	}
	free(list);
	return rc;
}

/* Whether replica pr follows the master mpr (by server_id when both are known). */
static int
engine_mha_follows(const struct probe_result *pr, const struct registry_node *master,
    const struct probe_result *mpr)
{
	if (!pr->ok || !pr->is_replica)
		return 0;
	if (mpr != NULL && mpr->ok && mpr->server_id != 0 && pr->master_server_id != 0)
		return pr->master_server_id == mpr->server_id;
	return pr->master_host != NULL && strcasecmp(pr->master_host, master->host) == 0 &&
	       pr->master_port == master->port;
}

/* Marks one replica failed in the registry: the failover core's replica.failed. */
static void
engine_mha_mark_failed(
    struct registry *reg, const char *cluster, const char *host, int port, const char *message)
{
	struct failover_target t = {0};
	struct failover_node n = {host, NULL, port};

	t.reg = reg;
	t.cluster = cluster;
	if (reg != NULL)
		failover_replica_failed(&t, &n, message);
}

/*
 * Dead replicas. MHA refuses to start when a server of its config does not
 * answer (MasterMonitor's validate_num_alive_servers, without
 * --ignore_fail_on_start), so an unreachable replica is left out of this
 * render, as long as a live replica that may be promoted remains (without
 * one MHA could not fail over anyway, and says so). The list goes to
 * p->left_out, which the daemon's watch compares with what it sees, to take
 * the replica back in once it answers and has caught up.
 *
 * After a failover, a replica MHA did not bring over to the new master (it
 * was dead, or left out, so MHA never re-pointed it) is stale: it is marked
 * failed in the registry, like the old master. A replica that answers but
 * follows another source counts only when some replica does follow the
 * registry's master (otherwise the registry, not the replica, is behind).
 */
static void
engine_mha_leave_out(const struct mha_paths *p, struct registry *reg, struct registry_cluster *c,
    const struct probe_result *pr, const size_t *idx, size_t n, int after_failover)
{
	const struct registry_node *master = NULL;
	const struct probe_result *mpr = NULL;
	struct registry_node *nd;
	char *list = xstrdup(""), *tmp, *why = NULL, *msg, *old = engine_mha_slurp(p->left_out);
	char hp[300];
	size_t i, following = 0, live_fit = 0;

	for (i = 0; i < n; i++) {
		if (c->nodes[idx[i]].role == REGISTRY_ROLE_MASTER) {
			master = &c->nodes[idx[i]];
			mpr = &pr[i];
		}
	}
	if (master == NULL)
		goto write;
	for (i = 0; i < n; i++) {
		nd = &c->nodes[idx[i]];
		if (nd->role != REGISTRY_ROLE_REPLICA)
			continue;
		following += engine_mha_follows(&pr[i], master, mpr);
		live_fit += pr[i].ok && !nd->no_master;
	}
	for (i = 0; i < n; i++) {
		nd = &c->nodes[idx[i]];
		if (nd->role != REGISTRY_ROLE_REPLICA)
			continue;
		if (after_failover &&
		    (!pr[i].ok || (following > 0 && !engine_mha_follows(&pr[i], master, mpr)))) {
			msg =
			    pr[i].ok
			        ? xasprintf(
			              "replica %s:%d was not brought over to the new master %s:%d "
			              "by the "
			              "failover (it replicates from %s:%d): marked failed, out of "
			              "monitoring; re-add it once it is rebuilt",
			              nd->host, nd->port, master->host, master->port,
			              pr[i].master_host != NULL ? pr[i].master_host : "nowhere",
			              pr[i].master_port)
			        : xasprintf(
			              "replica %s:%d was dead during the failover to %s:%d: marked "
			              "failed, out of monitoring; re-add it once it is rebuilt",
			              nd->host, nd->port, master->host, master->port);
			engine_mha_mark_failed(reg, c->name, nd->host, nd->port, msg);
			free(msg);
			nd->role = REGISTRY_ROLE_FAILED;
			continue;
		}
		snprintf(hp, sizeof(hp), "%s:%d", nd->host, nd->port);
		if (pr[i].ok && status_has_line(old, hp))
			event_emit(reg, c->name, hp, "replica.taken_back",
			    "replica %s answers again: MHA monitors it again and may promote it",
			    hp);
		if (pr[i].ok || live_fit == 0)
			continue;
		event_emit(reg, c->name, hp, "replica.left_out",
		    "replica %s is unreachable (%s): MHA monitors the cluster without it; it is "
		    "taken back in once it answers and has caught up",
		    hp, pr[i].error != NULL ? pr[i].error : "?");
		tmp = xasprintf("%s%s:%d\n", list, nd->host, nd->port);
		free(list);
		list = tmp;
		nd->role = REGISTRY_ROLE_FAILED; /* this render only: mha_conf_render skips it */
	}
write:
	if (mha_conf_write(p->left_out, list, &why) != 0) {
		log_warn("cluster=%s %s", c->name, why);
		free(why);
	}
	free(old);
	free(list);
}

static int
engine_mha_probe(const struct engine_env *env, const struct mha_paths *p, struct registry *reg,
    struct registry_cluster *c, int check, char **cause)
{
	const struct config *cfg = env->cfg;
	struct probe_credentials cred = {
	    cfg->ha_user, cfg->ha_password, cfg->connect_timeout, cfg->read_timeout};
	struct probe_result *pr;
	size_t *idx;
	char *want = NULL, *why = NULL;
	size_t i, n = 0, master, live;
	int rc = 0, after_failover;

	pr = xcalloc(c->n_nodes, sizeof(*pr));
	idx = xcalloc(c->n_nodes, sizeof(*idx));
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_FAILED)
			continue;
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			want = xasprintf("%s:%d", c->nodes[i].host, c->nodes[i].port);
		pr[n].host = xstrdup(c->nodes[i].host);
		pr[n].port = c->nodes[i].port;
		idx[n++] = i;
	}
	probe_many(pr, n, &cred);
	for (i = 0; i < n; i++) {
		if (pr[i].binlog_dir != NULL && c->nodes[idx[i]].binlog_dir == NULL)
			c->nodes[idx[i]].binlog_dir = xstrdup(pr[i].binlog_dir);
	}
	after_failover = engine_mha_after_failover(p);
	engine_mha_gtid(env, p, reg, c, pr, idx, n);
	engine_mha_leave_out(p, reg, c, pr, idx, n, after_failover);
	rc = engine_mha_lag_policy(env, p, c, pr, idx, n, cause);
	/* The topology check is on what MHA gets: the nodes left out are not judged. */
	for (i = 0, live = 0; i < n; i++) {
		if (c->nodes[idx[i]].role == REGISTRY_ROLE_FAILED)
			continue;
		if (live != i) {
			struct probe_result t = pr[live];

			pr[live] = pr[i];
			pr[i] = t;
			idx[live] = idx[i];
		}
		live++;
	}
	if (rc == 0 && check && topology_resolve(pr, live, want, &master, &why) != 0) {
		*cause = xasprintf("topology check failed: %s", why);
		free(why);
		rc = -1;
	}
	/* A promoted node without binary logs could not feed the other replicas. */
	for (i = 0; check && rc == 0 && i < live; i++) {
		if (pr[i].ok && !pr[i].log_bin && !c->nodes[idx[i]].no_master &&
		    c->nodes[idx[i]].role == REGISTRY_ROLE_REPLICA) {
			*cause = xasprintf("replica %s:%d may be promoted but has log_bin off: "
			                   "enable log_bin there, or register it with --no-master",
			    pr[i].host, pr[i].port);
			rc = -1;
		}
	}
	for (i = 0; i < n; i++)
		probe_result_clear(&pr[i]);
	free(pr);
	free(idx);
	free(want);
	return rc;
}

/* Makes sure the master holds the VIP: binds it when nobody does, refuses when another does. */
static int
engine_mha_ensure_vip(const struct engine_env *env, struct registry *reg,
    const struct registry_cluster *c, char **cause)
{
	const struct registry_node *master = NULL, *nd;
	struct ssh_target t;
	char *why = NULL, *who = NULL;
	size_t i;
	int held, master_holds = 0;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			master = &c->nodes[i];
	}
	if (master == NULL) {
		*cause = xasprintf("the registry names no master for cluster '%s'", c->name);
		return -1;
	}
	for (i = 0; i < c->n_nodes; i++) {
		nd = &c->nodes[i];
		/* A failed former master is often unreachable: do not let it delay re-protection.
		 */
		ssh_target_from_config(&t, env->cfg, nd->host,
		    nd->role == REGISTRY_ROLE_FAILED ? ENGINE_MHA_FAILED_NODE_TIMEOUT
		                                     : env->cfg->ssh_timeout);
		held = vip_held(&t, c->vip, &why);
		if (held < 0) {
			/* A failed former master may well be unreachable; a live node must answer.
			 */
			if (nd->role == REGISTRY_ROLE_FAILED) {
				free(why);
				why = NULL;
				continue;
			}
			*cause = xasprintf("cannot check the VIP on %s: %s", nd->host, why);
			free(why);
			return -1;
		}
		if (held == 1 && nd != master) {
			*cause =
			    xasprintf("VIP %s is held by %s, which is not the master (%s:%d); "
			              "remove it there ('ip addr del %s/%d dev %s') or fix the "
			              "registry",
			        c->vip, nd->host, master->host, master->port, c->vip, c->vip_prefix,
			        c->iface);
			return -1;
		}
		master_holds |= held == 1;
	}
	if (master_holds)
		return 0;
	ssh_target_from_config(&t, env->cfg, master->host, env->cfg->ssh_timeout);
	/* No node of ours holds it: something else on the network must not either. */
	switch (vip_answering(&t, c->vip, c->iface, &who, &why)) {
	case 1:
		*cause =
		    xasprintf("VIP %s already answers ARP on the network of %s %s (%s), from a "
		              "machine that is not a node of cluster '%s'; not binding it twice",
		        c->vip, master->host, c->iface, who, c->name);
		free(who);
		return -1;
	case -1:
		log_warn("cluster=%s cannot check that VIP %s is free before binding it: %s",
		    c->name, c->vip, why);
		free(why);
		why = NULL;
		break;
	default:
		break;
	}
	if (vip_add_announce(&t, c->vip, c->vip_prefix, c->iface, env->cfg->garp_count,
	        env->cfg->garp_interval_ms, &why) != 0) {
		*cause =
		    xasprintf("cannot bind VIP %s on the master %s: %s", c->vip, master->host, why);
		free(why);
		return -1;
	}
	event_emit(reg, c->name, NULL, "vip.bound", "VIP %s/%d bound on the master %s (%s)", c->vip,
	    c->vip_prefix, master->host, c->iface);
	return 0;
}

/*
 * Refuses when another engine process runs for the cluster (a second
 * masterha_manager would fight the first over the same master), else
 * records our pid in engine.pid, atomically, before anything can act. The
 * flock makes the check and the write one step against a second
 * 'mhaadm engine NAME' started at the same moment; exec keeps the pid, so
 * the file names masterha_manager afterwards.
 */
static int
engine_mha_claim(
    const struct engine_env *env, const struct mha_paths *p, const char *cluster, char **cause)
{
	char *lock = xasprintf("%s/engine.lock", p->dir), buf[32];
	pid_t other;
	int fd, n, rc = -1;

	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot open %s: %s", lock, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX) != 0) {
		*cause = xasprintf("cannot lock %s: %s", lock, strerror(errno));
		goto out;
	}
	other = engine_mha_find_running(env, cluster);
	if (other > 0 && other != getpid()) {
		*cause =
		    xasprintf("an engine for cluster '%s' already runs (pid %ld); not starting "
		              "a second one",
		        cluster, (long)other);
		goto out;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	rc = fs_write_atomic(p->pidfile, buf, (size_t)n, cause);
out:
	if (fd >= 0)
		close(fd); /* releases the lock */
	free(lock);
	return rc;
}

static int
engine_mha_exec(const struct engine_env *env, const char *cluster, int checks, char **cause)
{
	struct registry_cluster *c = NULL;
	struct registry *reg = NULL;
	struct mha_paths p;
	const char **argv = NULL;
	char *text = NULL, *why = NULL, *logdir = NULL;
	int rc = -1, replicas = 0;
	size_t i;

	mha_paths_init(&p, env->cfg, cluster);
	if (fs_mkdirs(p.dir, 0700, cause) != 0 || engine_mha_claim(env, &p, cluster, cause) != 0) {
		/* Not an event: the running engine protects the cluster. */
		mha_paths_free(&p);
		return -1;
	}
	reg = registry_open(env->cfg, 1, cause);
	if (reg == NULL && access(p.conf, R_OK) == 0) {
		/*
		 * The management node does not answer, and this engine ran before:
		 * the topology is the one this config was rendered for (the daemon
		 * re-protects after a failover only on a fresh read of the
		 * registry), so MHA goes back to monitoring on it, after MHA's own
		 * checks when asked, instead of leaving the cluster unwatched until
		 * the registry returns. Our checks need the registry: skipped.
		 */
		log_warn("cluster=%s registry unavailable (%s): monitoring again on the last "
		         "rendered config %s",
		    cluster, *cause, p.conf);
		free(*cause);
		*cause = NULL;
		if (checks && mha_checks_run(&p, &why) != 0) {
			*cause = xasprintf("MHA checks failed: %s", why);
			goto out;
		}
		goto manager;
	}
	if (reg == NULL)
		goto out;
	switch (registry_cluster_get(reg, cluster, &c, cause)) {
	case 0:
		break;
	case 1:
		*cause = xasprintf("no cluster named '%s' in the registry", cluster);
		/* FALLTHROUGH */
	default:
		goto out;
	}
	for (i = 0; i < c->n_nodes; i++)
		replicas += c->nodes[i].role == REGISTRY_ROLE_REPLICA;
	if (replicas == 0) {
		*cause = xasprintf("cluster '%s' has no replica left to promote", cluster);
		goto out;
	}
	if (fs_mkdirs(p.dir, 0700, cause) != 0)
		goto out;
	logdir = xasprintf("%s/%s", env->cfg->log_dir, cluster);
	if (fs_mkdirs(logdir, 0700, cause) != 0)
		goto out;
	/*
	 * The rendered secondary_check_script would get the master's password
	 * in argv and in manager.log from a stock MHA::HealthCheck: refuse.
	 */
	if (doctor_local_patch_applied(DOCTOR_PATCH_SECONDARY_PASSWORD, cause) != 0)
		goto out;
	if (engine_mha_probe(env, &p, reg, c, checks, cause) != 0)
		goto out;
	text = mha_conf_render(env->cfg, env->config_path, env->self, c, cause);
	if (text == NULL || mha_conf_write(p.conf, text, cause) != 0)
		goto out;
	if (checks) {
		if (mha_checks_run(&p, &why) != 0) {
			*cause = xasprintf("MHA checks failed: %s", why);
			goto out;
		}
	}
	if (engine_mha_ensure_vip(env, reg, c, cause) != 0)
		goto out;
	registry_close(reg);
	reg = NULL;
manager:
	/*
	 * Where this run's lines begin in manager.log: if masterha_manager
	 * fails its own start-up checks, engine_mha_exited quotes them.
	 */
	if (mha_log_mark(&p, &why) != 0) {
		log_warn("cluster=%s %s", cluster, why);
		free(why);
		why = NULL;
	}
	argv = mha_manager_argv(&p, (env->cfg->failover_window + 59) / 60, checks);
	fflush(NULL);
	execv(ENGINE_MHA_MANAGER, (char *const *)argv);
	*cause = xasprintf("cannot run %s: %s (is mha4mysql-manager installed?)",
	    ENGINE_MHA_MANAGER, strerror(errno));
out:
	/* Reported here, once: as an event (and the engine log's line) for 'mhaadm start'. */
	if (rc != 0 && *cause != NULL)
		event_emit(reg, cluster, NULL, "checks.failed", "%s", *cause);
	free(argv);
	free(why);
	free(logdir);
	xfree_secret(text);
	registry_cluster_free(c);
	registry_close(reg);
	mha_paths_free(&p);
	return rc;
}
