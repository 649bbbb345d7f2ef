/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor loop. Once a second (and at once on a signal) it takes the
 * newest registry snapshot (reader.c reads it, applies what hooks spooled,
 * and performs the events and state changes queued here, in a thread of its
 * own), decides with the pure functions of decide.c, and acts: starts an
 * engine for every cluster that should be monitored and has none, stops the
 * engines of clusters that should not be, notices engines that ended
 * (failover → re-protect on the new topology; crash → restart with
 * backoff). Nothing in the loop blocks on a host or on the registry: slow
 * work runs in the engine processes and the registry thread. Signals are
 * read from a signalfd.
 */
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "decide.h"
#include "engine.h"
#include "event.h"
#include "failover.h"
#include "fsutil.h"
#include "http.h"
#include "lease-plan.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "reader.h"
#include "registry.h"
#include "reload.h"
#include "spawn.h"
#include "xmalloc.h"

#define DAEMON_TICK_MS 1000
#define DAEMON_STOP_GRACE 5 /* seconds between TERM and KILL */
/*
 * Most seconds between fence passes over a cluster's failed former masters:
 * how long a cut-off master that comes back may keep answering for the VIP
 * (mha_ping_interval when that is shorter).
 */
#define DAEMON_FENCE_INTERVAL 2

/* One cluster the daemon knows about, with its engine process if any. */
struct daemon_child {
	char *name;
	pid_t pid;          /* engine process, 0 when none */
	int adopted;        /* started by an earlier daemon: not our child, polled */
	time_t started;     /* when pid was started (or adopted) */
	time_t stop_sent;   /* when TERM was sent, 0 when not stopping */
	time_t next_start;  /* earliest time to (re)start */
	int backoff;        /* seconds to wait after the next failure */
	int checks;         /* run the full checks at the next start */
	int after_failover; /* next PING_OK means re-protected */
	int restarting;  /* ended unexpectedly: next PING_OK is recorded even in state monitoring */
	int seen;        /* present in the registry this tick */
	pid_t fence_pid; /* a running "mhaadm fence NAME", 0 when none */
	time_t next_fence; /* earliest time for the next fence pass */
	int pending;       /* an engine ended while the registry could not be read */
	enum engine_outcome pending_outcome;
	char *pending_detail;
	int pending_stopping;
	long long pending_ms; /* when it ended: decided on a snapshot read after that */
	int reported_health;  /* last health turned into a state, -1 none */
	int restart;          /* stopped to take a changed view (lag policy): start again at once */
	const struct engine_ops *engine;  /* the cluster's engine (registry clusters.engine) */
	enum registry_state queued_state; /* the last state change queued for the registry */
	unsigned long long queued_seq;    /* its sequence number, 0 none */
	long long epoch; /* manager HA: the lease epoch we act under, 0 when not acting */
	int spared;      /* manager HA: its engine was failing over when the lease went; said */
};

struct daemon {
	const struct engine_env *env;
	struct reader *reader; /* the registry thread: the loop never waits for the registry */
	struct registry_cluster **list; /* the newest snapshot taken, NULL before the first read */
	size_t n_list;
	unsigned long long applied; /* queued writes up to this one are in the snapshot */
	long long list_ms;          /* when its read began (reader_now_ms) */
	struct daemon_child *children;
	size_t n_children;
	int reaped;         /* an engine ended: reconcile now, not at the next tick */
	pid_t notify_pid;   /* the notifier (mhaadm notifier), 0 when none */
	time_t notify_next; /* earliest time to (re)start it */
	time_t notify_started;
	int notify_backoff;
	int quit;
	pid_t watch_pid;           /* a running "mhaadm watch" status pass, 0 when none */
	time_t next_watch;         /* earliest time for the next status pass */
	struct engine_env own_env; /* what env points to: its cfg is swapped by a reload */
	struct config *reloaded;   /* the config read by the last reload (ours to free), or NULL */
	struct http_server *http;  /* the HTTP listener (http_listen), NULL when off */
	time_t started;
	/*
	 * The native engine: one process ("mhaadm engine-native") for every
	 * cluster whose engine is native; it reads the registry itself.
	 */
	int native_wanted;  /* some cluster uses it */
	pid_t native_pid;   /* 0 when none */
	time_t native_next; /* earliest time to (re)start it */
	time_t native_started;
	int native_backoff;
	/*
	 * Manager HA (lease.h): the leases the registry thread holds for us,
	 * copied every tick; nothing is done for a cluster without one.
	 */
	int lease_on;       /* leases in force (a MySQL registry) */
	int lease_ready;    /* the registry thread has completed a lease pass */
	int draining;       /* a drain was asked: stand down everywhere, then release */
	int drain_released; /* ... the release was asked of the registry thread */
	struct reader_lease *leases;
	size_t n_leases;
};

/*
 * Whether this manager may act for cluster name now: always without
 * leases; with them, only while its lease is valid by lease_may_act,
 * measured from when the renewal that holds it was sent.
 */
static int
daemon_may_act(const struct daemon *d, const char *name)
{
	size_t i;

	if (!d->lease_on)
		return 1;
	if (!d->lease_ready || d->draining || d->quit)
		return 0;
	for (i = 0; i < d->n_leases; i++) {
		if (strcmp(d->leases[i].cluster, name) == 0)
			return lease_may_act(d->leases[i].sent_ms, lease_now_ms(),
			    (long long)d->env->cfg->lease_seconds * 1000);
	}
	return 0;
}

/* The epoch of our lease of name, 0 when none. */
static long long
daemon_epoch(const struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_leases; i++) {
		if (strcmp(d->leases[i].cluster, name) == 0)
			return d->leases[i].epoch;
	}
	return 0;
}

/* Whether the native engine, not a per-cluster engine process, protects c. */
static int
daemon_is_native(const struct registry_cluster *c)
{
	return c->engine != NULL && strcmp(c->engine, "native") == 0;
}

static char *
daemon_lock_path(const struct config *cfg)
{
	return xasprintf("%s/daemon.lock", cfg->workdir);
}

pid_t
daemon_running(const struct config *cfg)
{
	char *path = daemon_lock_path(cfg), buf[32];
	ssize_t n;
	pid_t pid = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	/* Whoever holds the lock is the daemon; a stale file alone means nothing. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		pid = (pid_t)strtol(buf, NULL, 10);
	}
	return pid > 0 ? pid : 1;
}

static int
daemon_lock(const struct config *cfg, char **cause)
{
	char *path = daemon_lock_path(cfg), buf[32];
	int fd, n;

	if (mkdir(cfg->workdir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create workdir %s: %s", cfg->workdir, strerror(errno));
		free(path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*cause = xasprintf("another mhaadm daemon is running (it holds %s)", path);
		free(path);
		close(fd);
		return -1;
	}
	free(path);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
		*cause = xstrdup("cannot write the daemon lock file");
		close(fd);
		return -1;
	}
	return fd; /* held open, and so locked, until the daemon exits */
}

/*
 * Manager HA, before the first heartbeat: refuses a second daemon that
 * would act beside a running one for the same clusters. With leases, a
 * running daemon with our manager_name would share our leases (both
 * would act): while its row's heartbeat is younger than its lease we
 * watch it, and refuse once it is written again (another daemon) or
 * start once it is older than its lease (one that died). Without leases
 * on a MySQL registry, a running manager with leases means this daemon
 * would act for every cluster beside it. A registry we cannot read now
 * is no reason not to start: the lease passes wait for it.
 */
static int
daemon_preflight(const struct config *cfg, char **cause)
{
	const struct registry_manager *who;
	struct registry_manager *list = NULL;
	struct registry *reg = NULL;
	struct timespec nap = {0, 200 * 1000 * 1000};
	long long t0 = 0, age0 = 0, pid = 0, deadline;
	char *why = NULL;
	size_t n = 0;
	int ha = lease_enabled(cfg), said = 0, r = 0, v;

	if (cfg->registry != CONFIG_REGISTRY_MYSQL)
		return 0;
	reg = registry_open(cfg, 1, &why);
	if (reg == NULL)
		goto unchecked;
	deadline = lease_now_ms() + ((long long)cfg->lease_seconds + 2) * 1000;
	for (;;) {
		if (registry_manager_list(reg, &list, &n, &why) != 0)
			goto unchecked;
		v = lease_plan_preflight(cfg->manager_name, ha, list, n, &who);
		if (v < 0) {
			*cause =
			    xasprintf("manager %s (pid %lld, heartbeat %lld ms ago) shares this "
			              "registry with leases (manager_ha = yes): set manager_ha = "
			              "yes and a manager_name of its own on this daemon too, or it "
			              "would act for every cluster beside it",
			        who->name, who->pid, who->heartbeat_age_ms);
			r = -1;
			break;
		}
		if (v == 0)
			break;
		if (!said) {
			t0 = lease_now_ms();
			age0 = who->heartbeat_age_ms;
			pid = who->pid;
			said = 1;
			fprintf(stderr,
			    "%smhaadm daemon: manager %s's heartbeat is %lld ms old (pid %lld): "
			    "waiting up to %d s to tell a daemon still running under this name "
			    "from one that died\n",
			    log_prefix(LOG_PRIO_NOTICE), cfg->manager_name, age0, pid,
			    cfg->lease_seconds);
		} else if (lease_plan_refreshed(age0, lease_now_ms() - t0, who->heartbeat_age_ms)) {
			*cause =
			    xasprintf("another daemon runs as manager %s (pid %lld, heartbeat "
			              "%lld ms ago): two daemons with one manager_name would "
			              "both act for its clusters; give this one a manager_name of "
			              "its own",
			        cfg->manager_name, who->pid, who->heartbeat_age_ms);
			r = -1;
			break;
		}
		if (lease_now_ms() >= deadline)
			break; /* cannot be: the row ages past its lease meanwhile */
		registry_manager_list_free(list, n);
		list = NULL;
		n = 0;
		nanosleep(&nap, NULL);
	}
	registry_manager_list_free(list, n);
	registry_close(reg);
	return r;

unchecked:
	/* An older schema (no managers table) or a registry away: the passes decide later. */
	log_warn("manager %s: cannot check for another daemon on the registry: %s",
	    cfg->manager_name != NULL ? cfg->manager_name : "-", why);
	free(why);
	registry_manager_list_free(list, n);
	registry_close(reg);
	return 0;
}

static struct daemon_child *
daemon_child_find(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_children; i++) {
		if (strcmp(d->children[i].name, name) == 0)
			return &d->children[i];
	}
	return NULL;
}

static struct daemon_child *
daemon_child_add(struct daemon *d, const struct registry_cluster *c)
{
	const char *name = c->name;
	struct daemon_child *ch;

	d->children = xreallocarray(d->children, d->n_children + 1, sizeof(*d->children));
	ch = &d->children[d->n_children++];
	memset(ch, 0, sizeof(*ch));
	ch->name = xstrdup(name);
	ch->backoff = DECIDE_BACKOFF_MIN;
	ch->checks = 1;
	ch->reported_health = -1;
	ch->engine = engine_for(d->env->cfg, c->engine);
	/* An engine left running by an earlier daemon is adopted, not doubled. */
	ch->pid = ch->engine->find_running(d->env, name);
	if (ch->pid > 0) {
		ch->adopted = 1;
		ch->started = time(NULL);
		ch->checks = 0;
		log_warn("cluster=%s adopted running engine pid %ld", name, (long)ch->pid);
	}
	return ch;
}

/* The cluster called name in the newest snapshot (borrowed), or NULL. */
static struct registry_cluster *
daemon_snapshot_find(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; d->list != NULL && i < d->n_list; i++) {
		if (strcmp(d->list[i]->name, name) == 0)
			return d->list[i];
	}
	return NULL;
}

static void daemon_emit(struct daemon *d, const char *cluster, const char *node, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * event_emit through the registry thread's queue: the loop never waits
 * for the registry. With the queue full (the registry has hung for a
 * while) the event goes to the spool at once, in the order it happened.
 */
static void
daemon_emit(
    struct daemon *d, const char *cluster, const char *node, const char *type, const char *fmt, ...)
{
	char *message = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (reader_emit(d->reader, cluster, node, type, message) == 0)
		event_emit(NULL, cluster, node, type, "%s", message);
	free(message);
}

static int daemon_transition(struct daemon *d, struct daemon_child *ch, enum registry_state state,
    enum registry_desired desired, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * event_transition through the registry thread's queue. Returns 0 when
 * queued (the loop treats the cluster as in that state until a snapshot
 * has it), -1 when the queue is full: the caller tries again next tick.
 */
static int
daemon_transition(struct daemon *d, struct daemon_child *ch, enum registry_state state,
    enum registry_desired desired, const char *type, const char *fmt, ...)
{
	unsigned long long seq;
	char *message = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	seq = reader_transition(d->reader, ch->name, state, desired, type, message);
	free(message);
	if (seq == 0) {
		log_warn("cluster=%s registry queue full: state %s not recorded yet", ch->name,
		    registry_state_name(state));
		return -1;
	}
	ch->queued_state = state;
	ch->queued_seq = seq;
	return 0;
}

/* Opens the per-cluster engine log for appending; -1 means /dev/null. */
static int
daemon_engine_log(struct daemon *d, const char *name)
{
	char *dir = xasprintf("%s/%s", d->env->cfg->log_dir, name), *path, *cause = NULL;
	int fd;

	/* Said once per attempt: an engine without its log is still started, but not silently. */
	if (fs_mkdirs(dir, 0700, &cause) != 0) {
		log_warn("cluster=%s engine output goes nowhere: %s", name, cause);
		free(cause);
	}
	path = xasprintf("%s/engine.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		log_warn("cluster=%s cannot open %s: %s", name, path, strerror(errno));
	free(path);
	free(dir);
	return fd;
}

static void daemon_backoff(struct daemon_child *ch, time_t now);
static void daemon_fence(
    struct daemon *d, struct daemon_child *ch, const struct registry_cluster *c, time_t now);
static void daemon_restart_if_wanted(
    struct daemon *d, struct daemon_child *ch, const struct registry_cluster *c, time_t now);
static void daemon_decide(struct daemon *d, struct daemon_child *ch,
    const struct registry_cluster *c, enum engine_outcome o, const char *detail, int stopping,
    time_t now);

static void
daemon_start_engine(struct daemon *d, struct daemon_child *ch, time_t now)
{
	char *cause = NULL;
	int fd;

	if (!daemon_may_act(d, ch->name))
		return; /* the callers checked; a lease can end between two ticks */
	fd = daemon_engine_log(d, ch->name);
	ch->pid = ch->engine->start(d->env, ch->name, ch->checks, fd, &cause);
	if (fd >= 0)
		close(fd);
	if (ch->pid < 0) {
		ch->pid = 0;
		ch->started = now; /* a failed start counts as a run of no time */
		daemon_backoff(ch, now);
		daemon_emit(d, ch->name, NULL, "engine.failed",
		    "cannot start the %s engine: %s; retrying in %ld s", ch->engine->name, cause,
		    (long)(ch->next_start - now));
		free(cause);
		return;
	}
	ch->adopted = 0;
	ch->started = now;
	ch->stop_sent = 0;
	ch->reported_health = -1;
	daemon_emit(d, ch->name, NULL, "engine.started", "%s engine started (pid %ld%s)",
	    ch->engine->name, (long)ch->pid, ch->checks ? ", with pre-monitoring checks" : "");
}

/* Schedules the next start after a failure, doubling the wait up to a minute. */
static void
daemon_backoff(struct daemon_child *ch, time_t now)
{
	ch->next_start = decide_backoff(now, ch->started, &ch->backoff);
}

/* The registry's master as "HOST:PORT"; a static buffer, valid until the next call. */
static const char *
daemon_master(const struct registry_cluster *c)
{
	static char buf[300];

	return registry_cluster_master(c, buf, sizeof(buf));
}

/* Decides what an engine's end means; wstatus -1 when unknown (adopted). */
static void
daemon_engine_ended(struct daemon *d, struct daemon_child *ch, int wstatus, time_t now)
{
	struct registry_cluster *c;
	enum engine_outcome o;
	char *detail = NULL;
	int stopping = ch->stop_sent != 0;

	o = ch->engine->exited(d->env, ch->name, wstatus, ch->started, &detail);
	ch->pid = 0;
	ch->stop_sent = 0;
	ch->adopted = 0;
	c = daemon_snapshot_find(d, ch->name);
	/*
	 * How a failover ended is decided on the topology after it (the
	 * hook's record): on a snapshot read after the end, never an older
	 * one. A crash is decided at once, on the snapshot we have, so that
	 * engines are restarted even while the registry does not answer.
	 */
	if (c == NULL || (o != ENGINE_OUTCOME_CRASHED && o != ENGINE_OUTCOME_CHECKS_FAILED &&
	                     o != ENGINE_OUTCOME_STOPPED)) {
		if (c == NULL)
			log_warn("cluster=%s engine ended (%s); cluster not readable now", ch->name,
			    engine_outcome_name(o));
		free(ch->pending_detail);
		ch->pending = 1;
		ch->pending_outcome = o;
		ch->pending_detail = detail;
		ch->pending_stopping = stopping;
		ch->pending_ms = reader_now_ms();
		reader_poke(d->reader);
		return;
	}
	daemon_decide(d, ch, c, o, detail, stopping, now);
	free(detail);
}

/* Acts on how an engine ended, with the cluster as the registry has it now (decide_ended). */
static void
daemon_decide(struct daemon *d, struct daemon_child *ch, const struct registry_cluster *c,
    enum engine_outcome o, const char *detail, int stopping, time_t now)
{
	struct decide_end_in in = {0};
	struct decide_end out;

	/* Manager HA: what an engine's end means is decided by the cluster's owner only. */
	if (!daemon_may_act(d, ch->name)) {
		log_warn("cluster=%s engine ended (%s); not decided here: this manager does not "
		         "hold the cluster's lease",
		    ch->name, engine_outcome_name(o));
		return;
	}
	in.outcome = o;
	in.stopping = stopping;
	in.restart_requested = ch->restart;
	in.desired = c->desired;
	in.replicas = failover_replicas(c);
	in.now = now;
	in.started = ch->started;
	in.backoff = ch->backoff;
	decide_ended(&in, &out);
	if (stopping)
		ch->restart = 0;
	ch->backoff = out.backoff;
	switch (out.action) {
	case DECIDE_END_NONE:
		break;
	case DECIDE_END_STOPPED:
		daemon_transition(d, ch, REGISTRY_STATE_STOPPED, REGISTRY_DESIRED_KEEP,
		    out.event_type, "%s engine stopped monitoring; the VIP stays where it is",
		    ch->engine->name);
		break;
	case DECIDE_END_RESTART_NOW:
		ch->checks = 0;
		ch->next_start = out.next_start;
		break;
	case DECIDE_END_REPROTECT:
		daemon_emit(d, ch->name, NULL, out.event_type,
		    "%s; re-protecting on the new topology (master %s, %zu replica%s)", detail,
		    daemon_master(c), in.replicas, in.replicas == 1 ? "" : "s");
		ch->after_failover = 1;
		ch->checks = 0; /* the engine checks the topology itself at start */
		ch->next_start = out.next_start;
		break;
	case DECIDE_END_UNPROTECTED:
		if (o == ENGINE_OUTCOME_FAILOVER)
			daemon_transition(d, ch, REGISTRY_STATE_UNPROTECTED, REGISTRY_DESIRED_KEEP,
			    out.event_type,
			    "failed over to %s but NO REPLICA IS LEFT: the cluster is NOT "
			    "protected "
			    "until a replica is added",
			    daemon_master(c));
		else if (o == ENGINE_OUTCOME_PAUSED)
			daemon_transition(d, ch, REGISTRY_STATE_UNPROTECTED, REGISTRY_DESIRED_KEEP,
			    out.event_type,
			    "%s; the cluster is NOT protected; when the network is sound, repair "
			    "it "
			    "and run 'mhaadm start %s'",
			    detail, ch->name);
		else
			daemon_transition(d, ch, REGISTRY_STATE_UNPROTECTED, REGISTRY_DESIRED_KEEP,
			    out.event_type,
			    "%s; the cluster is NOT protected; after repairing it run 'mhaadm "
			    "start %s'",
			    detail, ch->name);
		break;
	case DECIDE_END_BACKOFF:
		ch->next_start = out.next_start;
		ch->restarting = 1;
		daemon_emit(d, ch->name, NULL, out.event_type, "%s; restarting in %ld s", detail,
		    (long)(ch->next_start - now));
		break;
	}
}

/* The engine's own word for its health (MHA: PING_OK), else the neutral one. */
static const char *
daemon_health(const struct engine_status *st)
{
	return st->health_name != NULL ? st->health_name : engine_health_name(st->health);
}

/* Turns the engine's health into the cluster's state. */
static void
daemon_follow_health(struct daemon *d, struct daemon_child *ch, const struct registry_cluster *c)
{
	struct engine_status st;
	int r = 0;

	ch->engine->status(d->env, ch->name, &st);
	if ((int)st.health == ch->reported_health || st.health_pid != ch->pid) {
		engine_status_clear(&st);
		return;
	}
	switch (decide_health(st.health, c->state, ch->restarting, ch->after_failover)) {
	case DECIDE_HEALTH_NONE:
		break;
	case DECIDE_HEALTH_MONITORING_AGAIN:
		/* The state never changed, but the DBA was told it stopped: say it is back. */
		r = daemon_transition(d, ch, REGISTRY_STATE_MONITORING, REGISTRY_DESIRED_KEEP,
		    "monitoring.started",
		    "%s engine monitoring master %s again after restarts (pid %ld, %s)",
		    ch->engine->name, daemon_master(c), (long)ch->pid, daemon_health(&st));
		if (r == 0)
			ch->restarting = 0;
		break;
	case DECIDE_HEALTH_REPROTECTED:
		r = daemon_transition(d, ch, REGISTRY_STATE_MONITORING, REGISTRY_DESIRED_KEEP,
		    "cluster.reprotected",
		    "monitored again on the new topology: master %s, %s engine pid %ld",
		    daemon_master(c), ch->engine->name, (long)ch->pid);
		if (r == 0)
			ch->after_failover = ch->restarting = 0;
		break;
	case DECIDE_HEALTH_MONITORING:
		r = daemon_transition(d, ch, REGISTRY_STATE_MONITORING, REGISTRY_DESIRED_KEEP,
		    "monitoring.started", "%s engine monitoring master %s (pid %ld, %s)",
		    ch->engine->name, daemon_master(c), (long)ch->pid, daemon_health(&st));
		if (r == 0)
			ch->after_failover = ch->restarting = 0;
		break;
	case DECIDE_HEALTH_FAILING_OVER:
		r = daemon_transition(d, ch, REGISTRY_STATE_FAILING_OVER, REGISTRY_DESIRED_KEEP,
		    "failover.running", "%s engine is failing the master %s over", ch->engine->name,
		    daemon_master(c));
		break;
	}
	/* A change the registry did not take is tried again next tick. */
	if (r == 0)
		ch->reported_health = (int)st.health;
	engine_status_clear(&st);
}

/*
 * Manager HA: this manager may not act for the cluster (no lease, or one
 * it cannot prove valid any more): its engine is stopped and nothing else
 * is done for it. Stopping is no action on the cluster: it is what keeps
 * two managers from acting at once.
 */
/* Whether the cluster's engine reports a failover running now (its own report). */
static int
daemon_failing_over(struct daemon *d, struct daemon_child *ch)
{
	struct engine_status st;
	int r;

	ch->engine->status(d->env, ch->name, &st);
	r = st.health == ENGINE_HEALTH_FAILING_OVER && st.health_pid == ch->pid;
	engine_status_clear(&st);
	return r;
}

static void
daemon_stand_down(struct daemon *d, struct daemon_child *ch, time_t now)
{
	/*
	 * Stopped mid-way, MHA leaves the replicas on the dead master and the
	 * cluster down. The lease row holds other managers off while a failover
	 * runs; the engine exits when it is done and is not started again
	 * without a lease.
	 */
	int stopping = ch->pid > 0 && ch->stop_sent == 0;
	int spare = stopping && !d->draining && daemon_failing_over(d, ch);

	if (ch->epoch != 0)
		daemon_emit(d, ch->name, NULL, "lease.lost",
		    "manager %s stands down for the cluster (lease epoch %lld %s)%s",
		    d->env->cfg->manager_name, ch->epoch,
		    d->draining ? "handed over: drain" : "not known to be valid any more",
		    spare      ? "; its engine is failing over and is left to finish"
		    : stopping ? "; stopping its engine"
		               : "");
	else if (stopping && !spare)
		log_warn("cluster=%s stopping engine pid %ld: manager %s holds no lease for it",
		    ch->name, (long)ch->pid, d->env->cfg->manager_name);
	ch->epoch = 0;
	ch->pending = 0;
	if (spare) {
		if (!ch->spared)
			log_warn(
			    "cluster=%s engine pid %ld is failing over: left to finish although "
			    "manager %s cannot prove its lease",
			    ch->name, (long)ch->pid, d->env->cfg->manager_name);
		ch->spared = 1;
		return;
	}
	if (stopping) {
		ch->engine->stop(d->env, ch->name, ch->pid);
		ch->stop_sent = now;
	}
}

static void
daemon_reconcile(struct daemon *d, time_t now)
{
	struct registry_cluster **list = NULL, *c;
	unsigned long long applied = 0;
	long long read_ms = 0;
	struct decide_reconcile act;
	struct decide_cluster dc;
	struct daemon_child *ch;
	size_t n = 0, i, j;

	if (reader_take(d->reader, &list, &n, &applied, &read_ms)) {
		registry_cluster_list_free(d->list, d->n_list);
		d->list = list;
		d->n_list = n;
		d->applied = applied;
		d->list_ms = read_ms;
	}
	if (d->lease_on) {
		reader_leases_free(d->leases, d->n_leases);
		d->leases = NULL;
		d->lease_ready = reader_leases(d->reader, &d->leases, &d->n_leases, &d->draining);
	}
	/* Before the first read nothing is known: engines keep running, none is started. */
	if (d->list == NULL || (d->lease_on && !d->lease_ready))
		return;
	/* With leases the native engine runs only while we hold a native cluster's lease. */
	if (d->lease_on)
		d->native_wanted = 0;
	list = d->list;
	n = d->n_list;
	/* A state change still queued is the state, until a snapshot has it. */
	for (i = 0; i < n; i++) {
		ch = daemon_child_find(d, list[i]->name);
		if (ch != NULL && ch->queued_seq > d->applied)
			list[i]->state = ch->queued_state;
	}
	for (i = 0; i < d->n_children; i++)
		d->children[i].seen = 0;
	for (i = 0; i < n; i++) {
		c = list[i];
		ch = daemon_child_find(d, c->name);
		if (ch == NULL)
			ch = daemon_child_add(d, c);
		ch->seen = 1;
		if (!daemon_may_act(d, c->name)) {
			daemon_stand_down(d, ch, now);
			continue;
		}
		if (d->lease_on && ch->epoch != daemon_epoch(d, c->name)) {
			ch->epoch = daemon_epoch(d, c->name);
			ch->spared = 0;
			fprintf(stderr,
			    "%smhaadm daemon: cluster=%s manager %s acts for it (lease epoch "
			    "%lld)\n",
			    log_prefix(LOG_PRIO_NOTICE), c->name, d->env->cfg->manager_name,
			    ch->epoch);
		}
		if (ch->pending) {
			/* An engine ended: decided on a snapshot read after its end. */
			if (d->list_ms > ch->pending_ms) {
				daemon_decide(d, ch, c, ch->pending_outcome, ch->pending_detail,
				    ch->pending_stopping, now);
				free(ch->pending_detail);
				ch->pending_detail = NULL;
				ch->pending = 0;
			}
			continue; /* act on the new state next tick */
		}
		daemon_fence(d, ch, c, now);
		dc.state = c->state;
		dc.desired = c->desired;
		dc.running = ch->pid > 0;
		dc.stopping = ch->stop_sent != 0;
		dc.now = now;
		dc.next_start = ch->next_start;
		decide_reconcile(&dc, &act);
		if (act.mark_stopped)
			daemon_transition(d, ch, REGISTRY_STATE_STOPPED, REGISTRY_DESIRED_KEEP,
			    "monitoring.stopped", "not monitored");
		if (daemon_is_native(c)) {
			/* Watched by the one native engine process (daemon_native). */
			d->native_wanted = 1;
			continue;
		}
		if (act.start) {
			if (act.checks)
				ch->checks = 1;
			daemon_start_engine(d, ch, now);
		} else if (act.stop) {
			ch->engine->stop(d->env, ch->name, ch->pid);
			ch->stop_sent = now;
		} else if (act.follow) {
			daemon_follow_health(d, ch, c);
			daemon_restart_if_wanted(d, ch, c, now);
		}
		if (act.reset) {
			/* The next start after a stop runs the full checks again. */
			ch->checks = 1;
			ch->backoff = DECIDE_BACKOFF_MIN;
			ch->next_start = 0;
		}
	}
	/* Clusters deleted from the registry (del --force) lose their engine. */
	for (i = 0; i < d->n_children; i++) {
		ch = &d->children[i];
		if (!ch->seen && ch->pid > 0 && ch->stop_sent == 0) {
			ch->engine->stop(d->env, ch->name, ch->pid);
			ch->stop_sent = now;
		}
	}
	/* Forget clusters that are gone and have no engine: a re-added one starts fresh. */
	for (i = 0, j = 0; i < d->n_children; i++) {
		ch = &d->children[i];
		if (!ch->seen && ch->pid == 0 && ch->fence_pid == 0) {
			free(ch->name);
			free(ch->pending_detail);
			continue;
		}
		d->children[j++] = *ch;
	}
	d->n_children = j;
}

/*
 * Starts "mhaadm fence NAME" when the cluster has failed former masters and
 * no pass is running: it runs as its own process so that the 1 s bounds on
 * each host never hold up this loop.
 */
static void
daemon_fence(
    struct daemon *d, struct daemon_child *ch, const struct registry_cluster *c, time_t now)
{
	const char *argv[6];
	struct spawn_opts opts = {0};
	char *cause = NULL;
	size_t i;
	int failed = 0, fd;

	for (i = 0; i < c->n_nodes; i++)
		failed += c->nodes[i].role == REGISTRY_ROLE_FAILED;
	if (failed == 0 || ch->fence_pid != 0 || now < ch->next_fence ||
	    !daemon_may_act(d, c->name))
		return;
	argv[0] = d->env->self;
	argv[1] = "-c";
	argv[2] = d->env->config_path;
	argv[3] = "fence";
	argv[4] = c->name;
	argv[5] = NULL;
	fd = daemon_engine_log(d, c->name);
	opts.stdout_fd = fd;
	opts.stderr_fd = fd;
	opts.new_pgrp = 1;
	ch->fence_pid = spawn_start(argv, &opts, &cause);
	if (fd >= 0)
		close(fd);
	if (ch->fence_pid < 0) {
		log_warn("cluster=%s cannot start a fence pass: %s", c->name, cause);
		free(cause);
		ch->fence_pid = 0;
	}
	/*
	 * The promise: a returning cut-off master answers for the VIP beside the
	 * new one for at most one probe interval (MHA's ping_interval), so a
	 * pass starts that often, never overlapping the previous one.
	 */
	ch->next_fence = now + (d->env->cfg->mha_ping_interval < DAEMON_FENCE_INTERVAL
	                               ? d->env->cfg->mha_ping_interval
	                               : DAEMON_FENCE_INTERVAL);
}

/*
 * Restarts a monitoring engine that asked for it (the lag policy changed
 * which replicas may be promoted): it is stopped here and started again at
 * once when it has ended, on the config rendered then.
 */
static void
daemon_restart_if_wanted(
    struct daemon *d, struct daemon_child *ch, const struct registry_cluster *c, time_t now)
{
	char *reason;

	if (ch->engine->restart_wanted == NULL || c->state != REGISTRY_STATE_MONITORING)
		return;
	reason = ch->engine->restart_wanted(d->env, ch->name);
	if (reason == NULL)
		return;
	daemon_emit(d, ch->name, NULL, "lag.policy_changed",
	    "promotion candidates changed (%s): restarting the %s engine on them", reason,
	    ch->engine->name);
	free(reason);
	ch->engine->stop(d->env, ch->name, ch->pid);
	ch->stop_sent = now;
	ch->restart = 1;
}

/*
 * Starts "mhaadm watch" every probe_interval seconds when none runs: the
 * live-status pass that records drift and lag events and asks for
 * lag-policy restarts. Its own process, so that probes never hold up this
 * loop; its lines go to the daemon's log.
 */
/*
 * Starts "mhaadm -c CONFIG WORD [ARG]" as a helper of the daemon: its own
 * process group, its output in the daemon's log, ended with the daemon.
 * Returns the pid, or 0 with the reason logged (what names it).
 */
static pid_t
daemon_spawn_self(struct daemon *d, const char *word, const char *arg, const char *what)
{
	const char *argv[] = {d->env->self, "-c", d->env->config_path, word, arg, NULL};
	struct spawn_opts opts = {0};
	char *cause = NULL;
	pid_t pid;

	opts.stdout_fd = STDERR_FILENO;
	opts.stderr_fd = STDERR_FILENO;
	opts.new_pgrp = 1;
	opts.pdeathsig = SIGTERM;
	pid = spawn_start(argv, &opts, &cause);
	if (pid < 0) {
		log_warn("cannot start %s: %s", what, cause);
		free(cause);
		return 0;
	}
	log_debug("started %s (pid %ld)", what, (long)pid);
	return pid;
}

static void
daemon_status_pass(struct daemon *d, time_t now)
{
	if (d->env->cfg->probe_interval <= 0 || d->watch_pid != 0 || now < d->next_watch)
		return;
	d->watch_pid = daemon_spawn_self(d, "watch", NULL, "a status pass");
	d->next_watch = now + d->env->cfg->probe_interval;
}

/* Escalates stops that TERM did not finish, and notices adopted engines that ended. */
static void
daemon_watch(struct daemon *d, time_t now)
{
	struct daemon_child *ch;
	char path[64], buf[512], *p;
	size_t i;
	int fd, gone;
	ssize_t n;

	for (i = 0; i < d->n_children; i++) {
		ch = &d->children[i];
		if (ch->pid <= 0)
			continue;
		/* An adopted pid must still be our engine before we signal it or wait on it. */
		if (ch->adopted && ch->engine->find_running(d->env, ch->name) != ch->pid) {
			daemon_engine_ended(d, ch, -1, now);
			continue;
		}
		if (ch->stop_sent != 0 && now - ch->stop_sent >= DAEMON_STOP_GRACE) {
			if (kill(-ch->pid, SIGKILL) != 0)
				kill(ch->pid, SIGKILL);
		}
		if (!ch->adopted)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)ch->pid);
		gone = 1;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				p = strrchr(buf, ')');
				gone = p == NULL || p[1] != ' ' || p[2] == 'Z';
			}
		}
		if (gone)
			daemon_engine_ended(d, ch, -1, now);
	}
}

/*
 * Keeps the notifier running when channels are configured. It is a
 * process of its own so that no delivery can hold up this loop; it
 * restarts with the same backoff as engines.
 */
static void
daemon_notifier(struct daemon *d, time_t now)
{
	if (d->env->cfg->n_notify_channels == 0 || d->notify_pid != 0 || now < d->notify_next)
		return;
	d->notify_pid = daemon_spawn_self(d, "notifier", NULL, "the notifier");
	d->notify_started = now;
	if (d->notify_pid == 0)
		d->notify_next = decide_backoff(now, now, &d->notify_backoff);
}

static void
daemon_notifier_ended(struct daemon *d, int status, time_t now)
{
	d->notify_next = decide_backoff(now, d->notify_started, &d->notify_backoff);
	log_warn("notifier (pid %ld) ended (%s %d); restarting in %ld s", (long)d->notify_pid,
	    WIFEXITED(status) ? "exit" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	    (long)(d->notify_next - now));
	d->notify_pid = 0;
}

/* Keeps the native engine process running once some cluster uses it; backoff as for engines. */
static void
daemon_native(struct daemon *d, time_t now)
{
	if (!d->native_wanted || d->native_pid != 0 || now < d->native_next)
		return;
	d->native_pid = daemon_spawn_self(d, "engine-native", NULL, "the native engine");
	d->native_started = now;
	if (d->native_pid == 0)
		d->native_next = decide_backoff(now, now, &d->native_backoff);
}

static void
daemon_reap(struct daemon *d, time_t now)
{
	struct daemon_child *ch;
	pid_t pid;
	size_t i;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == d->watch_pid) {
			d->watch_pid = 0;
			continue;
		}
		d->reaped = 1;
		if (pid == d->notify_pid) {
			daemon_notifier_ended(d, status, now);
			continue;
		}
		if (pid == d->native_pid) {
			d->native_next = decide_backoff(now, d->native_started, &d->native_backoff);
			log_warn("native engine (pid %ld) ended (%s %d); restarting in %ld s",
			    (long)pid, WIFEXITED(status) ? "exit" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			    (long)(d->native_next - now));
			d->native_pid = 0;
			continue;
		}
		for (i = 0; i < d->n_children; i++) {
			ch = &d->children[i];
			if (ch->fence_pid == pid) {
				ch->fence_pid = 0;
				break;
			}
			if (ch->pid == pid && !ch->adopted) {
				daemon_engine_ended(d, ch, status, now);
				break;
			}
		}
	}
}

/*
 * SIGHUP: reads the configuration again and takes it without dropping
 * monitoring. Engines keep running with their pids (they read the file
 * themselves at their next start); the notifier is restarted only when its
 * channels changed, and its cursor makes it go on where the old one
 * stopped. A file that does not load, or a change a running daemon cannot
 * take (reload_plan), leaves the running configuration in place and says
 * why.
 */
static void
daemon_reload(struct daemon *d, time_t now)
{
	struct reload_plan plan;
	struct config *cfg;
	char *cause = NULL;

	cfg = config_load(d->own_env.config_path, &cause);
	if (cfg != NULL && engine_find(cfg->engine) == NULL) {
		/* As cmd_ctx_config checks it for every command. */
		cause = xasprintf("%s: engine = %s: no such engine (engines: %s)", cfg->path,
		    cfg->engine, engine_names());
		config_free(cfg);
		cfg = NULL;
	}
	if (cfg == NULL || reload_plan(d->own_env.cfg, cfg, &plan, &cause) != 0) {
		log_error("reload refused, the running configuration stays: %s", cause);
		free(cause);
		config_free(cfg);
		return;
	}
	/*
	 * Nothing else keeps a pointer into the running config: the registry
	 * thread and the event spool use the first one (the caller's), whose
	 * registry settings and workdir a reload cannot change.
	 */
	d->own_env.cfg = cfg;
	config_free(d->reloaded);
	d->reloaded = cfg;
	if (plan.restart_notifier && d->notify_pid > 0) {
		spawn_stop_group(d->notify_pid, DAEMON_STOP_GRACE);
		d->notify_pid = 0;
	}
	if (plan.restart_notifier) {
		d->notify_next = now;
		d->notify_backoff = 0;
	}
	fprintf(stderr,
	    "%smhaadm daemon: configuration reloaded from %s (%zu notification "
	    "channel%s%s); engines keep running\n",
	    log_prefix(LOG_PRIO_NOTICE), cfg->path, cfg->n_notify_channels,
	    cfg->n_notify_channels == 1 ? "" : "s",
	    plan.restart_notifier ? ", notifier restarted" : "");
	d->reaped = 1; /* reconcile on the new configuration now */
}

/* Hands the HTTP listener what this loop knows (engines, registry, notifier): no I/O. */
static void
daemon_publish(struct daemon *d, time_t now)
{
	struct metrics_daemon md = {0};
	size_t i;

	if (d->http == NULL)
		return;
	md.pid = getpid();
	md.started = d->started;
	md.published = now;
	/* The registry thread reads once a second: a snapshot 10 s old means it cannot. */
	md.registry_up = d->list_ms != 0 && reader_now_ms() - d->list_ms <= 10000;
	md.notifier_wanted = d->env->cfg->n_notify_channels > 0;
	md.notifier_up = d->notify_pid > 0;
	md.n_engines = d->n_children;
	md.engines = xcalloc(d->n_children == 0 ? 1 : d->n_children, sizeof(*md.engines));
	for (i = 0; i < d->n_children; i++) {
		md.engines[i].cluster = d->children[i].name;
		md.engines[i].engine = (char *)d->children[i].engine->name;
		md.engines[i].up = d->children[i].pid > 0 && d->children[i].stop_sent == 0;
	}
	if (d->lease_on) {
		md.manager = d->env->cfg->manager_name;
		md.n_leases = d->n_children;
		md.leases = xcalloc(d->n_children == 0 ? 1 : d->n_children, sizeof(*md.leases));
		for (i = 0; i < d->n_children; i++) {
			md.leases[i].cluster = d->children[i].name;
			md.leases[i].epoch = daemon_epoch(d, d->children[i].name);
			md.leases[i].held =
			    md.leases[i].epoch != 0 && daemon_may_act(d, d->children[i].name);
		}
	}
	http_publish(d->http, &md); /* copies */
	free(md.engines);
	free(md.leases);
}

/* Whether no engine, fence pass or native engine of ours runs any more. */
static int
daemon_idle(const struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->n_children; i++) {
		if (d->children[i].pid > 0 || d->children[i].fence_pid > 0)
			return 0;
	}
	return d->native_pid == 0;
}

/*
 * Manager HA, at a clean stop: engines must not outlive our leases, so
 * every engine and fence pass is stopped (TERM, then KILL after
 * DAEMON_STOP_GRACE) before the leases are released for another manager
 * to take at once.
 */
static void
daemon_stop_all(struct daemon *d)
{
	struct daemon_child *ch;
	long long until = lease_now_ms() + DAEMON_STOP_GRACE * 1000;
	size_t i;
	int left;

	for (i = 0; i < d->n_children; i++) {
		ch = &d->children[i];
		if (ch->pid > 0)
			ch->engine->stop(d->env, ch->name, ch->pid);
		if (ch->fence_pid > 0)
			kill(-ch->fence_pid, SIGTERM);
	}
	for (;;) {
		left = 0;
		for (i = 0; i < d->n_children; i++) {
			ch = &d->children[i];
			if (ch->pid > 0 &&
			    (ch->adopted ? kill(ch->pid, 0) != 0
			                 : waitpid(ch->pid, NULL, WNOHANG) == ch->pid))
				ch->pid = 0;
			if (ch->fence_pid > 0 &&
			    waitpid(ch->fence_pid, NULL, WNOHANG) == ch->fence_pid)
				ch->fence_pid = 0;
			left += ch->pid > 0 || ch->fence_pid > 0;
		}
		if (left == 0 || lease_now_ms() >= until)
			break;
		usleep(100 * 1000);
	}
	for (i = 0; i < d->n_children; i++) {
		ch = &d->children[i];
		if (ch->pid > 0) {
			log_warn("cluster=%s engine pid %ld did not stop: killed", ch->name,
			    (long)ch->pid);
			if (kill(-ch->pid, SIGKILL) != 0)
				kill(ch->pid, SIGKILL);
			if (!ch->adopted)
				waitpid(ch->pid, NULL, 0);
		}
		if (ch->fence_pid > 0) {
			kill(-ch->fence_pid, SIGKILL);
			waitpid(ch->fence_pid, NULL, 0);
		}
	}
}

/* Waits up to ms for the registry thread to release our leases. */
static void
daemon_release(struct daemon *d, long long ms)
{
	long long until = lease_now_ms() + ms;

	reader_release(d->reader);
	while (!reader_released(d->reader) && lease_now_ms() < until)
		usleep(50 * 1000);
}

int
daemon_run(const struct engine_env *env, char **cause)
{
	struct daemon d = {0};
	struct signalfd_siginfo si;
	struct pollfd pfd;
	sigset_t mask;
	time_t now, last = 0;
	size_t i;
	int lockfd, sfd;

	lockfd = daemon_lock(env->cfg, cause);
	if (lockfd < 0)
		return -1;
	if (daemon_preflight(env->cfg, cause) != 0) {
		close(lockfd);
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		*cause = xasprintf("signalfd: %s", strerror(errno));
		close(lockfd);
		return -1;
	}
	d.own_env = *env;
	d.env = &d.own_env;
	d.started = time(NULL);
	d.lease_on = lease_enabled(env->cfg);
	if (d.lease_on)
		event_set_manager(env->cfg->manager_name); /* every event says which manager */
	/* The registry thread keeps the caller's config, which lives as long as we run. */
	d.reader = reader_start(env->cfg, cause);
	if (d.reader == NULL) {
		close(sfd);
		close(lockfd);
		return -1;
	}
	/* After the signals are blocked: its threads inherit the mask. */
	if (env->cfg->http_listen != NULL) {
		d.http = http_start(env->cfg, cause);
		if (d.http == NULL) {
			reader_stop(d.reader);
			close(sfd);
			close(lockfd);
			return -1;
		}
	}
	/* The daemon logs every event; -v (set by the caller) may have asked for more. */
	if (!log_enabled(LOG_LEVEL_INFO))
		log_set_level(LOG_LEVEL_INFO);
	log_journal_auto();
	fprintf(stderr, "%smhaadm daemon: started (pid %ld, default engine %s, registry %s)\n",
	    log_prefix(LOG_PRIO_NOTICE), (long)getpid(), engine_for(env->cfg, NULL)->name,
	    env->cfg->registry == CONFIG_REGISTRY_SQLITE ? env->cfg->registry_path
	                                                 : env->cfg->mysql_host);
	if (d.lease_on)
		fprintf(stderr,
		    "%smhaadm daemon: manager %s, leases of %d s in the shared registry: a "
		    "cluster is acted for only while its lease is held\n",
		    log_prefix(LOG_PRIO_NOTICE), env->cfg->manager_name, env->cfg->lease_seconds);

	while (!d.quit) {
		now = time(NULL);
		daemon_reap(&d, now);
		daemon_watch(&d, now);
		if (now != last || d.reaped) {
			d.reaped = 0;
			daemon_reconcile(&d, now);
			daemon_status_pass(&d, now);
			daemon_notifier(&d, now);
			daemon_publish(&d, now);
			daemon_native(&d, now);
			last = now;
		}
		if (d.lease_on && d.native_pid > 0 && !d.native_wanted) {
			spawn_stop_group(d.native_pid, DAEMON_STOP_GRACE);
			d.native_pid = 0;
		}
		/* A drain: once everything of ours has stopped, the leases go at once. */
		if (d.lease_on && d.draining && !d.drain_released && daemon_idle(&d)) {
			reader_release(d.reader);
			d.drain_released = 1;
			fprintf(stderr,
			    "%smhaadm daemon: manager %s drained: engines stopped, leases "
			    "released; it takes no cluster until it is restarted\n",
			    log_prefix(LOG_PRIO_NOTICE), env->cfg->manager_name);
		}
		fflush(stderr);
		pfd.fd = sfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, DAEMON_TICK_MS) <= 0)
			continue;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				d.quit = 1;
			else if (si.ssi_signo == SIGHUP)
				daemon_reload(&d, time(NULL));
		}
	}
	/* Engines keep running: monitoring must not stop because the supervisor restarts. */
	/* The notifier stops with us: its cursor makes the next one go on where it stopped. */
	if (d.notify_pid > 0)
		spawn_stop_group(d.notify_pid, DAEMON_STOP_GRACE);
	/*
	 * The native engine stops with us too (it is our child with a death
	 * signal): the next daemon starts one that re-reads every cluster.
	 */
	if (d.native_pid > 0)
		spawn_stop_group(d.native_pid, DAEMON_STOP_GRACE);
	http_stop(d.http);
	if (d.lease_on) {
		/* Several managers: engines never outlive our leases; the leases go at once. */
		daemon_stop_all(&d);
		daemon_release(&d, 3000);
		fprintf(stderr,
		    "%smhaadm daemon: exiting; engines stopped and leases released (%s)\n",
		    log_prefix(LOG_PRIO_NOTICE),
		    reader_released(d.reader) ? "another manager may take them now"
		                              : "not released: they expire by themselves");
	} else
		fprintf(stderr,
		    "%smhaadm daemon: exiting; engines keep running and will be adopted\n",
		    log_prefix(LOG_PRIO_NOTICE));
	for (i = 0; i < d.n_children; i++)
		free(d.children[i].name);
	free(d.children);
	reader_stop(d.reader);
	reader_leases_free(d.leases, d.n_leases);
	registry_cluster_list_free(d.list, d.n_list);
	config_free(d.reloaded);
	close(sfd);
	close(lockfd);
	return 0;
}
