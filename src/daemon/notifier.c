/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notifier process (mhaadm notifier). It is a child of the daemon,
 * not a thread in it, for three reasons: the daemon reaps every child with
 * waitpid(-1) and would steal the exit status of a command channel's
 * process; libcurl and TLS stay out of the supervisor's address space; and
 * a delivery can never hold up the supervisor loop, whatever it does.
 *
 * Inside, the main thread follows the events table once a second and
 * hands each channel its share; every channel has its own bounded queue
 * and its own worker thread, so a channel that hangs delays only itself.
 * Only the main thread touches the registry.
 */
#include "notifier.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "notify.h"
#include "registry.h"
#include "xmalloc.h"

#define NOTIFIER_TICK_MS 1000
#define NOTIFIER_BATCH 500      /* events read per tick at most */
#define NOTIFIER_BACKOFF_MAX 30 /* seconds between retries at most */
#define NOTIFIER_DRAIN 3        /* seconds given to deliveries in flight at exit */
#define NOTIFIER_GAP_WAIT 3     /* seconds an id gap may be a transaction not yet committed */

struct notifier_failure {
	char *cluster, *node, *message;
};

struct notifier_channel {
	const struct notify_channel *cfg;
	struct notify_queue q;     /* under notifier.mu */
	struct notify_dedup dedup; /* main thread */
	long long read_id;         /* main thread: every event up to here was considered */
	long long inflight_id;     /* under mu: the message being delivered, 0 when idle */
	long long saved_id;        /* main thread: what the cursor file says */
	size_t dropped;            /* main thread: dropped since last reported */
	time_t last_ok;            /* under mu: last successful delivery (or the start) */
	int progress;              /* main thread: a success within one timeout: not stuck */
	int held;                  /* main thread: full and draining; wait, this tick */
	pthread_t thread;
	int started;
	int running; /* under mu: the worker has not returned */
	/* Under mu: what came of its notifications, kept across runs in notify.stats (metrics). */
	unsigned long long n_sent, n_failed, n_dropped;
	unsigned long long saved_total; /* main thread: n_sent+n_failed+n_dropped last written */
};

struct notifier {
	const struct config *cfg;
	struct registry *reg;
	struct notifier_channel *ch;
	size_t n;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	/*
	 * Set once by the main thread, read by every sender thread and by
	 * libcurl's progress callback (outside the mutex): only through
	 * notifier_quit / __atomic_store_n, never as a plain int.
	 */
	int quit;
	struct notifier_failure *failures; /* under mu */
	size_t n_failures;
	char manager[256];
	time_t gap_since;
};

/* Whether the notifier is stopping (notifier.quit, read atomically from any thread). */
static int
notifier_quit(const struct notifier *nt)
{
	return __atomic_load_n(&nt->quit, __ATOMIC_ACQUIRE);
}

static char *
notifier_iso_time(const char *at)
{
	/* "YYYY-MM-DD HH:MM:SS" (UTC) → "YYYY-MM-DDTHH:MM:SSZ" */
	char *out;

	if (at == NULL || strlen(at) < 19)
		return at != NULL ? xstrdup(at) : NULL;
	out = xasprintf("%.10sT%.8sZ", at, at + 11);
	return out;
}

void
notifier_message_from_event(struct notify_message *m, const struct registry_event *ev,
    const struct registry_cluster *c, const char *manager)
{
	char buf[300];

	memset(m, 0, sizeof(*m));
	m->id = ev->id;
	m->time = notifier_iso_time(ev->at);
	m->cluster = ev->cluster != NULL ? xstrdup(ev->cluster) : NULL;
	m->node = ev->node != NULL ? xstrdup(ev->node) : NULL;
	m->type = xstrdup(ev->type);
	m->message = xstrdup(ev->message != NULL ? ev->message : "");
	m->manager = manager != NULL ? xstrdup(manager) : NULL;
	if (c != NULL) {
		m->vip = xasprintf("%s/%d", c->vip, c->vip_prefix);
		registry_cluster_master(c, buf, sizeof(buf));
		m->master = xstrdup(buf);
	}
	notify_masters_from_fields(ev, &m->old_master, &m->new_master);
	notify_message_finish(m);
}

/* What is finished for a channel: every event up to the returned id. Under mu. */
static long long
notifier_done_id(const struct notifier_channel *ch)
{
	if (ch->inflight_id != 0)
		return ch->inflight_id - 1;
	if (ch->q.len != 0)
		return notify_queue_head_id(&ch->q) - 1;
	return ch->read_id;
}

static void
notifier_failed(struct notifier *nt, struct notifier_channel *ch, const struct notify_message *m,
    int attempts, const char *cause)
{
	struct notifier_failure *f;

	ch->n_failed++; /* under mu, as the caller holds it */
	log_warn(
	    "cluster=%s notify channel=%s: %s event #%lld not delivered after %d attempt%s: %s",
	    m->cluster != NULL ? m->cluster : "-", ch->cfg->name, m->type, m->id, attempts,
	    attempts == 1 ? "" : "s", cause);
	/* A failure to deliver a failure is only logged: no event, so no loop between channels. */
	if (strncmp(m->type, "notify.", 7) == 0)
		return;
	nt->failures = xreallocarray(nt->failures, nt->n_failures + 1, sizeof(*nt->failures));
	f = &nt->failures[nt->n_failures++];
	f->cluster = m->cluster != NULL ? xstrdup(m->cluster) : NULL;
	f->node = m->node != NULL ? xstrdup(m->node) : NULL;
	f->message = xasprintf("channel '%s' (%s): %s event #%lld not delivered after %d "
	                       "attempt%s: %s",
	    ch->cfg->name, notify_type_name(ch->cfg->type), m->type, m->id, attempts,
	    attempts == 1 ? "" : "s", cause);
}

struct notifier_worker_arg {
	struct notifier *nt;
	struct notifier_channel *ch;
};

static void *
notifier_worker(void *arg)
{
	struct notifier_worker_arg *wa = arg;
	struct notifier *nt = wa->nt;
	struct notifier_channel *ch = wa->ch;
	struct notify_message m;
	struct timespec until;
	char *cause = NULL;
	int attempt, ok, backoff;

	free(wa);
	for (;;) {
		pthread_mutex_lock(&nt->mu);
		while (!notifier_quit(nt) && ch->q.len == 0)
			pthread_cond_wait(&nt->cond, &nt->mu);
		if (notifier_quit(nt)) {
			ch->running = 0;
			pthread_mutex_unlock(&nt->mu);
			break;
		}
		notify_queue_pop(&ch->q, &m);
		ch->inflight_id = m.id;
		pthread_mutex_unlock(&nt->mu);

		ok = 0;
		for (attempt = 0; attempt <= ch->cfg->retries && !notifier_quit(nt); attempt++) {
			if (attempt > 0) {
				/* 1, 2, 4, 8, 16, 30, 30 ... s; a stop cuts it short. */
				backoff = attempt > 5 ? NOTIFIER_BACKOFF_MAX : 1 << (attempt - 1);
				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_sec += backoff;
				pthread_mutex_lock(&nt->mu);
				while (!notifier_quit(nt) && pthread_cond_timedwait(&nt->cond,
				                                 &nt->mu, &until) != ETIMEDOUT)
					;
				pthread_mutex_unlock(&nt->mu);
				if (notifier_quit(nt))
					break;
			}
			free(cause);
			cause = NULL;
			if (notify_send(ch->cfg, &m, &nt->quit, &cause) == 0) {
				ok = 1;
				break;
			}
			log_info("notify channel=%s: %s event #%lld, attempt %d of %d failed: %s",
			    ch->cfg->name, m.type, m.id, attempt + 1, ch->cfg->retries + 1, cause);
		}
		pthread_mutex_lock(&nt->mu);
		if (ok) {
			ch->last_ok = time(NULL);
			ch->n_sent++;
		}
		if (!ok && notifier_quit(nt))
			ch->running = 0; /* abandoned: inflight_id stays, so it is sent next run */
		if (ok || !notifier_quit(nt)) {
			/* Done either way; a stop before the last attempt leaves it for the next
			 * run. */
			if (!ok)
				notifier_failed(nt, ch, &m, attempt, cause);
			ch->inflight_id = 0;
		}
		pthread_mutex_unlock(&nt->mu);
		if (ok)
			log_info("cluster=%s notify channel=%s: %s event #%lld delivered",
			    m.cluster != NULL ? m.cluster : "-", ch->cfg->name, m.type, m.id);
		free(cause);
		cause = NULL;
		notify_message_clear(&m);
		if (!ok && notifier_quit(nt))
			break;
	}
	return NULL;
}

static char *
notifier_cursor_path(const struct config *cfg)
{
	return xasprintf("%s/notify.cursor", cfg->workdir);
}

/* Reads "NAME ID" lines; channels not in the file keep read_id = fallback. */
static void
notifier_cursor_load(struct notifier *nt, long long fallback)
{
	char *path = notifier_cursor_path(nt->cfg), line[256], name[128];
	long long id;
	size_t i;
	FILE *f;

	for (i = 0; i < nt->n; i++)
		nt->ch[i].read_id = fallback;
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%127s %lld", name, &id) != 2)
			continue;
		/* A cursor beyond the last event belongs to a registry that was replaced. */
		for (i = 0; i < nt->n; i++) {
			if (strcmp(nt->ch[i].cfg->name, name) == 0)
				nt->ch[i].read_id = id <= fallback ? id : fallback;
		}
	}
	fclose(f);
	for (i = 0; i < nt->n; i++)
		nt->ch[i].saved_id = nt->ch[i].read_id;
}

/* Writes the cursor when it moved: a new file renamed over the old one. */
static void
notifier_cursor_save(struct notifier *nt, int force)
{
	char *path, *tmp;
	long long done[64], *dv = done;
	size_t i;
	int changed = force, fd;
	FILE *f;

	if (nt->n > 64)
		dv = xcalloc(nt->n, sizeof(*dv));
	pthread_mutex_lock(&nt->mu);
	for (i = 0; i < nt->n; i++) {
		dv[i] = notifier_done_id(&nt->ch[i]);
		changed |= dv[i] != nt->ch[i].saved_id;
	}
	pthread_mutex_unlock(&nt->mu);
	if (!changed)
		goto out;
	path = notifier_cursor_path(nt->cfg);
	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		log_warn("notify: cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
	} else {
		for (i = 0; i < nt->n; i++)
			fprintf(f, "%s %lld\n", nt->ch[i].cfg->name, dv[i]);
		if (fflush(f) == 0 && fsync(fileno(f)) == 0 && fclose(f) == 0 &&
		    rename(tmp, path) == 0) {
			for (i = 0; i < nt->n; i++)
				nt->ch[i].saved_id = dv[i];
		} else
			log_warn("notify: cannot write %s: %s", path, strerror(errno));
	}
	free(tmp);
	free(path);
out:
	if (dv != done)
		free(dv);
}

static char *
notifier_stats_path(const struct config *cfg)
{
	return xasprintf("%s/notify.stats", cfg->workdir);
}

/* Reads "NAME SENT FAILED DROPPED" lines, so the counters go on across restarts. */
static void
notifier_stats_load(struct notifier *nt)
{
	char *path = notifier_stats_path(nt->cfg), line[256], name[128];
	unsigned long long s, f, d;
	size_t i;
	FILE *fp = fopen(path, "re");

	free(path);
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%127s %llu %llu %llu", name, &s, &f, &d) != 4)
			continue;
		for (i = 0; i < nt->n; i++) {
			if (strcmp(nt->ch[i].cfg->name, name) == 0) {
				nt->ch[i].n_sent = s;
				nt->ch[i].n_failed = f;
				nt->ch[i].n_dropped = d;
				nt->ch[i].saved_total = s + f + d;
			}
		}
	}
	fclose(fp);
}

/*
 * Writes the counters when they moved (a new file renamed over the old
 * one): the daemon's /metrics reads them as mhaadm_notifications_total.
 */
static void
notifier_stats_save(struct notifier *nt, int force)
{
	char *path, *tmp;
	size_t i;
	int changed = force, fd;
	FILE *f;

	pthread_mutex_lock(&nt->mu);
	for (i = 0; i < nt->n; i++)
		changed |= nt->ch[i].n_sent + nt->ch[i].n_failed + nt->ch[i].n_dropped !=
		           nt->ch[i].saved_total;
	pthread_mutex_unlock(&nt->mu);
	if (!changed)
		return;
	path = notifier_stats_path(nt->cfg);
	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		log_warn("notify: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	pthread_mutex_lock(&nt->mu);
	for (i = 0; i < nt->n; i++) {
		fprintf(f, "%s %llu %llu %llu\n", nt->ch[i].cfg->name, nt->ch[i].n_sent,
		    nt->ch[i].n_failed, nt->ch[i].n_dropped);
		nt->ch[i].saved_total = nt->ch[i].n_sent + nt->ch[i].n_failed + nt->ch[i].n_dropped;
	}
	pthread_mutex_unlock(&nt->mu);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		log_warn("notify: cannot write %s: %s", path, strerror(errno));
out:
	free(tmp);
	free(path);
}

/* Records failures and drops as events (main thread: the registry is ours). */
static void
notifier_report(struct notifier *nt)
{
	struct notifier_failure *list;
	size_t n, i;

	pthread_mutex_lock(&nt->mu);
	list = nt->failures;
	n = nt->n_failures;
	nt->failures = NULL;
	nt->n_failures = 0;
	pthread_mutex_unlock(&nt->mu);
	for (i = 0; i < n; i++) {
		event_emit(
		    nt->reg, list[i].cluster, list[i].node, "notify.failed", "%s", list[i].message);
		free(list[i].cluster);
		free(list[i].node);
		free(list[i].message);
	}
	free(list);
	for (i = 0; i < nt->n; i++) {
		if (nt->ch[i].dropped == 0)
			continue;
		event_emit(nt->reg, NULL, NULL, "notify.dropped",
		    "channel '%s' (%s): queue full (%d pending); %zu notification%s dropped",
		    nt->ch[i].cfg->name, notify_type_name(nt->ch[i].cfg->type),
		    nt->ch[i].cfg->queue, nt->ch[i].dropped, nt->ch[i].dropped == 1 ? "" : "s");
		nt->ch[i].dropped = 0;
	}
}

/* Hands one event to the channels that want it. */
static void
notifier_dispatch(struct notifier *nt, const struct registry_event *ev,
    const struct registry_cluster *c, time_t now)
{
	struct notify_message m;
	struct notifier_channel *ch;
	size_t i;
	int built = 0;

	for (i = 0; i < nt->n; i++) {
		ch = &nt->ch[i];
		if (ev->id <= ch->read_id || ch->held)
			continue;
		if (notify_channel_wants(ch->cfg, ev->type, ev->message)) {
			if (!built) {
				notifier_message_from_event(&m, ev, c, nt->manager);
				built = 1;
			}
			pthread_mutex_lock(&nt->mu);
			if (ch->q.len == ch->q.cap && ch->progress) {
				/*
				 * Full but draining (a burst): the events are safe in the
				 * registry, so wait for room rather than drop them.
				 */
				ch->held = 1;
				pthread_mutex_unlock(&nt->mu);
				continue;
			}
			if (ch->q.len == ch->q.cap) {
				/* Full and stuck (the channel hangs): drop, and say so. */
				ch->dropped++;
				ch->n_dropped++;
			} else if (notify_dedup_seen(&ch->dedup, &m, ch->cfg->dedup, now)) {
				log_info(
				    "notify channel=%s: %s event #%lld repeats one sent less than "
				    "%d s ago; not sent again",
				    ch->cfg->name, ev->type, ev->id, ch->cfg->dedup);
			} else {
				notify_queue_push(&ch->q, &m);
				pthread_cond_broadcast(&nt->cond);
			}
			pthread_mutex_unlock(&nt->mu);
		}
		pthread_mutex_lock(&nt->mu);
		ch->read_id = ev->id;
		pthread_mutex_unlock(&nt->mu);
	}
	if (built)
		notify_message_clear(&m);
}

/* The cluster of an event, cached over one batch. */
static const struct registry_cluster *
notifier_cluster(struct notifier *nt, const char *name, struct registry_cluster ***cache, size_t *n)
{
	struct registry_cluster *c = NULL;
	char *cause = NULL;
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < *n; i++) {
		if (strcmp((*cache)[i]->name, name) == 0)
			return (*cache)[i];
	}
	if (registry_cluster_get(nt->reg, name, &c, &cause) != 0) {
		free(cause);
		return NULL; /* deleted: the message goes out without VIP and master */
	}
	*cache = xreallocarray(*cache, *n + 1, sizeof(**cache));
	(*cache)[(*n)++] = c;
	return c;
}

static void
notifier_tick(struct notifier *nt, time_t now)
{
	struct registry_event *evs = NULL;
	struct registry_cluster **cache = NULL;
	char *cause = NULL;
	long long from, prev;
	size_t n = 0, n_cache = 0, i;

	if (nt->reg == NULL) {
		nt->reg = registry_open(nt->cfg, 1, &cause);
		if (nt->reg == NULL) {
			log_warn("notify: registry unavailable, retrying: %s", cause);
			free(cause);
			return;
		}
	}
	from = nt->ch[0].read_id;
	for (i = 1; i < nt->n; i++)
		from = nt->ch[i].read_id < from ? nt->ch[i].read_id : from;
	if (registry_event_since(nt->reg, from, NOTIFIER_BATCH, &evs, &n, &cause) != 0) {
		log_warn("notify: cannot read the events: %s", cause);
		free(cause);
		registry_close(nt->reg);
		nt->reg = NULL;
		return;
	}
	/* Which channels are draining: a full one of those is waited for, not dropped. */
	pthread_mutex_lock(&nt->mu);
	for (i = 0; i < nt->n; i++) {
		/* One attempt takes at most timeout: no success for longer means it hangs or fails.
		 */
		nt->ch[i].progress = now - nt->ch[i].last_ok <= nt->ch[i].cfg->timeout + 1;
		nt->ch[i].held = 0;
	}
	pthread_mutex_unlock(&nt->mu);
	prev = from;
	for (i = 0; i < n; i++) {
		/*
		 * With MySQL an id can become visible before a lower one that is
		 * still being committed: wait a little for the gap to fill rather
		 * than skip that event for good.
		 */
		if (evs[i].id != prev + 1) {
			if (nt->gap_since == 0)
				nt->gap_since = now;
			if (now - nt->gap_since < NOTIFIER_GAP_WAIT)
				break;
		}
		nt->gap_since = 0;
		notifier_dispatch(
		    nt, &evs[i], notifier_cluster(nt, evs[i].cluster, &cache, &n_cache), now);
		prev = evs[i].id;
	}
	registry_event_list_free(evs, n);
	registry_cluster_list_free(cache, n_cache);
	notifier_report(nt);
	notifier_cursor_save(nt, 0);
	notifier_stats_save(nt, 0);
}

/* The highest event id now, the start for channels without a cursor (no flood of history). */
static long long
notifier_last_id(struct registry *reg)
{
	struct registry_event *evs = NULL;
	char *cause = NULL;
	long long id = 0;
	size_t n = 0;

	if (registry_event_list(reg, NULL, 1, &evs, &n, &cause) != 0) {
		free(cause);
		return -1;
	}
	if (n > 0)
		id = evs[0].id;
	registry_event_list_free(evs, n);
	return id;
}

static int
notifier_lock(const struct config *cfg, char **cause)
{
	char *path = xasprintf("%s/notify.lock", cfg->workdir);
	int fd, i;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	/* A notifier of an earlier daemon may still be finishing its last deliveries. */
	for (i = 0; i < 2 * (NOTIFIER_DRAIN + 2); i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			free(path);
			return fd;
		}
		usleep(500000);
	}
	*cause = xasprintf("another notifier is running (it holds %s)", path);
	free(path);
	close(fd);
	return -1;
}

int
notifier_run(const struct config *cfg, char **cause)
{
	struct notifier nt;
	struct notifier_worker_arg *wa;
	struct signalfd_siginfo si;
	struct pollfd pfd;
	sigset_t mask;
	time_t deadline;
	long long last;
	size_t i;
	int lockfd = -1, sfd = -1, busy, rc = -1;

	memset(&nt, 0, sizeof(nt));
	nt.cfg = cfg;
	if (cfg->n_notify_channels == 0) {
		*cause = xstrdup("no notification channel is configured");
		return -1;
	}
	if (mkdir(cfg->workdir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create workdir %s: %s", cfg->workdir, strerror(errno));
		return -1;
	}
	lockfd = notifier_lock(cfg, cause);
	if (lockfd < 0)
		return -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	/* Blocked before any thread starts, so every thread inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		*cause = xasprintf("signalfd: %s", strerror(errno));
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (gethostname(nt.manager, sizeof(nt.manager) - 1) != 0)
		snprintf(nt.manager, sizeof(nt.manager), "localhost");
	nt.reg = registry_open(cfg, 1, cause);
	if (nt.reg == NULL)
		goto out;
	last = notifier_last_id(nt.reg);
	if (last < 0) {
		*cause = xstrdup("cannot read the last event id");
		goto out;
	}
	pthread_mutex_init(&nt.mu, NULL);
	pthread_cond_init(&nt.cond, NULL);
	nt.n = cfg->n_notify_channels;
	nt.ch = xcalloc(nt.n, sizeof(*nt.ch));
	for (i = 0; i < nt.n; i++) {
		nt.ch[i].cfg = &cfg->notify_channels[i];
		nt.ch[i].last_ok = time(NULL);
		notify_queue_init(&nt.ch[i].q, (size_t)nt.ch[i].cfg->queue);
	}
	notifier_cursor_load(&nt, last);
	notifier_stats_load(&nt);
	for (i = 0; i < nt.n; i++) {
		wa = xmalloc(sizeof(*wa));
		wa->nt = &nt;
		wa->ch = &nt.ch[i];
		nt.ch[i].running = 1; /* before the thread exists: no lock needed */
		if (pthread_create(&nt.ch[i].thread, NULL, notifier_worker, wa) != 0) {
			free(wa);
			nt.ch[i].running = 0;
			*cause =
			    xasprintf("cannot start the thread of channel %s", nt.ch[i].cfg->name);
			goto stop;
		}
		nt.ch[i].started = 1;
	}
	notifier_cursor_save(&nt, 1);
	for (i = 1, last = nt.ch[0].read_id; i < nt.n; i++)
		last = nt.ch[i].read_id < last ? nt.ch[i].read_id : last;
	fprintf(stderr, "%smhaadm notify: started (pid %ld, %zu channel%s, after event #%lld)\n",
	    log_prefix(LOG_PRIO_NOTICE), (long)getpid(), nt.n, nt.n == 1 ? "" : "s", last);
	fflush(stderr);
	rc = 0;
	for (;;) {
		notifier_tick(&nt, time(NULL));
		fflush(stderr);
		pfd.fd = sfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, NOTIFIER_TICK_MS) <= 0)
			continue;
		busy = 0;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			busy |= si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT;
		if (busy)
			break;
	}
stop:
	/* Stop: transfers in flight are abandoned (libcurl polls quit); queued ones wait for the
	 * next run. */
	pthread_mutex_lock(&nt.mu);
	__atomic_store_n(&nt.quit, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&nt.cond);
	pthread_mutex_unlock(&nt.mu);
	deadline = time(NULL) + NOTIFIER_DRAIN;
	do {
		busy = 0;
		pthread_mutex_lock(&nt.mu);
		for (i = 0; i < nt.n; i++)
			busy |= nt.ch[i].running;
		pthread_mutex_unlock(&nt.mu);
		if (busy)
			usleep(100000);
	} while (busy && time(NULL) < deadline);
	if (nt.reg != NULL)
		notifier_report(&nt);
	notifier_cursor_save(&nt, 0);
	notifier_stats_save(&nt, 0);
	/* Threads still inside a command channel end with the process. */
	if (!busy) {
		for (i = 0; i < nt.n; i++) {
			if (nt.ch[i].started)
				pthread_join(nt.ch[i].thread, NULL);
			notify_queue_free(&nt.ch[i].q);
		}
		free(nt.ch);
	}
	fprintf(stderr, "%smhaadm notify: exiting\n", log_prefix(LOG_PRIO_NOTICE));
out:
	registry_close(nt.reg);
	if (sfd >= 0)
		close(sfd);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
