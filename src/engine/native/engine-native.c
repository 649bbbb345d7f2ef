/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The native engine behind engine.h. Its clusters have no process of their
 * own: the daemon runs one "mhaadm engine-native" for all of them (it reads
 * the registry itself), so start/stop/exited here are never what protects a
 * cluster; status reads the per-cluster file that process keeps under
 * <workdir>/native/.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "doctor-report.h"
#include "engine.h"
#include "native.h"
#include "registry.h"
#include "xmalloc.h"

static pid_t
engine_native_start(
    const struct engine_env *env, const char *cluster, int checks, int log_fd, char **cause)
{
	*cause = xstrdup("native clusters are watched by the daemon's engine-native process");
	return -1;
}

static void
engine_native_stop(const struct engine_env *env, const char *cluster, pid_t pid)
{
	/* Desired state in the registry is what the engine-native process follows. */
}

/* One "key=value" of the status file, newly allocated, or NULL. */
static char *
engine_native_value(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		if (strncmp(p, key, len) == 0 && p[len] == '=')
			return nl != NULL ? xstrndup(p + len + 1, (size_t)(nl - p - len - 1))
			                  : xstrdup(p + len + 1);
		p = nl != NULL ? nl + 1 : NULL;
	}
	return NULL;
}

static void
engine_native_status(const struct engine_env *env, const char *cluster, struct engine_status *st)
{
	char *path = xasprintf("%s/native/%s.status", env->cfg->workdir, cluster), *text = NULL;
	char *pid = NULL, *state = NULL, *reach = NULL, buf[512];
	struct stat sb;
	size_t n;
	FILE *f;

	memset(st, 0, sizeof(*st));
	st->health = ENGINE_HEALTH_UNKNOWN;
	st->health_code = -1;
	f = fopen(path, "r");
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		text = buf;
		if (fstat(fileno(f), &sb) == 0)
			st->since = sb.st_mtime;
		fclose(f);
	}
	free(path);
	if (text == NULL)
		return;
	pid = engine_native_value(text, "pid");
	state = engine_native_value(text, "state");
	reach = engine_native_value(text, "master_reachable");
	st->master = engine_native_value(text, "master");
	st->pid = pid != NULL ? (pid_t)atol(pid) : 0;
	st->health_pid = st->pid;
	st->running = st->pid > 0 && kill(st->pid, 0) == 0;
	if (state != NULL) {
		st->health_name = xstrdup(state);
		if (strcmp(state, "watching") == 0)
			st->health = reach != NULL && strcmp(reach, "1") == 0
			                 ? ENGINE_HEALTH_OK
			                 : ENGINE_HEALTH_MASTER_FAILING;
		else if (strcmp(state, "suspect") == 0)
			st->health = ENGINE_HEALTH_MASTER_FAILING;
		else if (strcmp(state, "failing_over") == 0)
			st->health = ENGINE_HEALTH_FAILING_OVER;
		else
			st->health = ENGINE_HEALTH_STOPPED;
	}
	free(pid);
	free(state);
	free(reach);
}

static enum engine_outcome
engine_native_exited(
    const struct engine_env *env, const char *cluster, int wstatus, time_t started, char **detail)
{
	*detail = xstrdup("native engine");
	return ENGINE_OUTCOME_STOPPED;
}

static pid_t
engine_native_find_running(const struct engine_env *env, const char *cluster)
{
	return 0;
}

static char *
engine_native_restart_wanted(const struct engine_env *env, const char *cluster)
{
	return NULL;
}

/* The native engine reads lag live at each failover: nothing to restart for it. */
static int
engine_native_request_restart(
    const struct engine_env *env, const char *cluster, const char *reason, char **cause)
{
	return 0;
}

static int
engine_native_set_lag_policy(
    const struct engine_env *env, const char *cluster, int on, char **cause)
{
	return 0;
}

static int
engine_native_lag_policy(const struct engine_env *env, const char *cluster, char **unfit)
{
	if (unfit != NULL)
		*unfit = xstrdup("");
	return 1;
}

/*
 * doctor for a native cluster: the native engine's requirements, node by
 * node (native-check.c, the very checks start refuses on); with --fix the
 * ones safe at runtime are applied and shown with what changed.
 */
static void
engine_native_doctor_cluster(struct doctor_report *rep, const struct config *cfg,
    const struct registry_cluster *c, const struct doctor_opts *opts)
{
	struct native_check_report nr = {NULL, 0};
	struct native_check_finding *f;
	struct doctor_host h = {0};
	char *what;
	size_t i;

	if (opts->progress != NULL) {
		what = xasprintf("checking cluster %s (native engine)", c->name);
		opts->progress(opts->progress_arg, what);
		free(what);
	}
	native_doctor(cfg, c, opts->fix, &nr);
	for (i = 0; i < nr.n; i++) {
		f = &nr.findings[i];
		if (h.name != NULL && strcmp(h.name, f->node) != 0)
			doctor_report_push(rep, &h);
		if (h.name == NULL) {
			h.name = xstrdup(f->node);
			h.cluster = xstrdup(c->name);
		}
		/* A fix that worked: the finding as it was, and what changed. */
		doctor_add(&h, f->check,
		    f->ok     ? DOCTOR_OK
		    : f->fail ? DOCTOR_FAIL
		              : DOCTOR_WARN,
		    f->ok && f->changed != NULL ? xasprintf("fixed: %s", f->message)
		                                : xstrdup(f->message),
		    f->fix);
		f->fix = NULL;
		h.findings[h.n_findings - 1].changed = f->changed;
		f->changed = NULL;
	}
	if (h.name != NULL)
		doctor_report_push(rep, &h);
	native_check_report_clear(&nr);
}

const struct engine_ops engine_native_ops = {
    .name = "native",
    .start = engine_native_start,
    .stop = engine_native_stop,
    .status = engine_native_status,
    .exited = engine_native_exited,
    .find_running = engine_native_find_running,
    .restart_wanted = engine_native_restart_wanted,
    .request_restart = engine_native_request_restart,
    .set_lag_policy = engine_native_set_lag_policy,
    .lag_policy = engine_native_lag_policy,
    .run = NULL,
    .hook = NULL,
    .doctor_manager = NULL, /* nothing of its own on the manager host */
    .doctor_cluster = engine_native_doctor_cluster,
};
