/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's registry thread (reader.h). */
#include "reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "config.h"
#include "event.h"
#include "lease-plan.h"
#include "lease.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

/*
 * Seconds a failover holds takeovers of its cluster off (op_until),
 * refreshed every pass while the cluster is failing over: an owner that
 * dies mid-failover leaves a new owner waiting this long for the failover
 * to finish (its hook records it) before it re-reads the topology. MHA's
 * failovers took 6-12 s in the lab (LAB-NOTES.md).
 */
#define READER_FAILOVER_HOLD 30

#define READER_TICK_MS 1000
#define READER_RETRY 3 /* seconds between attempts to reopen an unavailable registry */

struct reader_write {
	unsigned long long seq;
	int transition;
	char *cluster;
	char *node;
	char *type;
	char *message;
	enum registry_state state;
	enum registry_desired desired;
};

struct reader {
	const struct config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int quit;
	int poked;
	/* The queue of writes, a ring of READER_QUEUE_MAX. */
	struct reader_write q[READER_QUEUE_MAX];
	size_t head, len;
	unsigned long long next_seq;
	/* The newest snapshot not yet taken, or NULL. */
	struct registry_cluster **list;
	size_t n;
	int fresh;
	unsigned long long applied;
	long long read_ms;
	/* Manager HA, shared with the loop under mu: */
	int lease_ready;           /* a lease pass has completed */
	int draining;              /* the registry asks this manager to drain */
	int release;               /* the loop asked for every lease to be released */
	int released;              /* ... and it was */
	struct reader_lease *held; /* the leases held after the last pass */
	size_t n_held;
	/* The registry thread's own: */
	int registered; /* the heartbeat row was written by this daemon */
};

long long
reader_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
reader_write_free(struct reader_write *w)
{
	free(w->cluster);
	free(w->node);
	free(w->type);
	free(w->message);
	memset(w, 0, sizeof(*w));
}

/*
 * Performs the queued writes in order. Without the registry (reg NULL)
 * events go to the spool, and the first state change stops the pass: it
 * and what follows wait in the queue until the registry is back (a state
 * change cannot be spooled, and must not be lost or overtaken).
 */
static unsigned long long
reader_apply(struct reader *r, struct registry *reg)
{
	struct reader_write w;
	unsigned long long last = 0;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		if (r->len == 0 || (reg == NULL && r->q[r->head].transition)) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		w = r->q[r->head];
		memset(&r->q[r->head], 0, sizeof(r->q[r->head]));
		r->head = (r->head + 1) % READER_QUEUE_MAX;
		r->len--;
		pthread_mutex_unlock(&r->mu);
		if (w.transition)
			event_transition(
			    reg, w.cluster, w.state, w.desired, w.type, "%s", w.message);
		else
			event_emit(reg, w.cluster, w.node, w.type, "%s", w.message);
		last = w.seq;
		reader_write_free(&w);
	}
	return last;
}

/* Sleeps up to ms, woken by a poke, quit, or (queue set) a queued write. */
static void
reader_wait(struct reader *r, int ms, int queue)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	while (!r->quit && !r->poked && (!queue || r->len == 0)) {
		if (pthread_cond_timedwait(&r->cond, &r->mu, &ts) == ETIMEDOUT)
			break;
	}
	r->poked = 0;
	pthread_mutex_unlock(&r->mu);
}

void
reader_leases_free(struct reader_lease *list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		free(list[i].cluster);
	free(list);
}

static struct reader_lease *
reader_lease_find(struct reader_lease *list, size_t n, const char *cluster)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i].cluster, cluster) == 0)
			return &list[i];
	}
	return NULL;
}

static void
reader_lease_add(
    struct reader_lease **list, size_t *n, const char *cluster, long long epoch, long long sent_ms)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[*n].cluster = xstrdup(cluster);
	(*list)[*n].epoch = epoch;
	(*list)[*n].sent_ms = sent_ms;
	(*n)++;
}

/*
 * Makes held the leases the loop and the lease files see: each file
 * written, the files of leases no longer held removed. Takes held.
 */
static void
reader_lease_publish(struct reader *r, struct reader_lease *held, size_t n_held, int draining)
{
	struct lease_held h;
	struct reader_lease *old;
	char *cause = NULL;
	size_t i, n_old;

	for (i = 0; i < n_held; i++) {
		h.epoch = held[i].epoch;
		h.sent_ms = held[i].sent_ms;
		h.lease_ms = (long long)r->cfg->lease_seconds * 1000;
		if (lease_file_write(r->cfg, held[i].cluster, &h, &cause) != 0) {
			/* Without its file the hooks refuse: safe, and said. */
			log_warn("cluster=%s lease file not written: %s", held[i].cluster, cause);
			free(cause);
			cause = NULL;
		}
	}
	pthread_mutex_lock(&r->mu);
	old = r->held;
	n_old = r->n_held;
	r->held = held;
	r->n_held = n_held;
	r->draining = draining;
	r->lease_ready = 1;
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < n_old; i++) {
		if (reader_lease_find(held, n_held, old[i].cluster) == NULL)
			lease_file_remove(r->cfg, old[i].cluster);
	}
	reader_leases_free(old, n_old);
}

/* Releases every lease held: the files first (hooks refuse from then on), then the rows. */
static int
reader_lease_release(struct reader *r, struct registry *reg)
{
	const char *me = r->cfg->manager_name;
	struct reader_lease *held;
	char epoch[32], *cause = NULL;
	size_t i, n;

	pthread_mutex_lock(&r->mu);
	held = r->held;
	n = r->n_held;
	r->held = NULL;
	r->n_held = 0;
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < n; i++)
		lease_file_remove(r->cfg, held[i].cluster);
	if (registry_lease_release(reg, me, NULL, &cause) != 0) {
		/* They expire by themselves: the handover takes lease_seconds instead. */
		log_warn("manager %s: leases not released (they expire in %d s): %s", me,
		    r->cfg->lease_seconds, cause);
		free(cause);
		reader_leases_free(held, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(epoch, sizeof(epoch), "%lld", held[i].epoch);
		event_emit_fields(reg, held[i].cluster, NULL, "lease.released",
		    EVENT_FIELDS("manager", me, "epoch", epoch),
		    "manager %s released the cluster's lease (epoch %s): another manager may take "
		    "it "
		    "now",
		    me, epoch);
	}
	reader_leases_free(held, n);
	return 0;
}

/*
 * One lease pass (lease.h, docs/manager-ha.md): heartbeat, renew in one
 * statement, read the leases and managers, take this manager's share of
 * the free leases, hold takeovers off while a failover runs, publish. A
 * failure keeps what was held with its old send time: it ages out, and
 * the loop stands down before the lease can have expired.
 */
static void
reader_lease_pass(struct reader *r, struct registry *reg, struct registry_cluster **list, size_t n)
{
	const struct config *cfg = r->cfg;
	const char *me = cfg->manager_name;
	struct registry_lease *leases = NULL;
	struct registry_manager *managers = NULL;
	struct reader_lease *held = NULL;
	const char **names = NULL;
	size_t n_leases = 0, n_managers = 0, n_held = 0, *take = NULL, k, i, j;
	long long sent, renewed, epoch;
	char ebuf[32], *cause = NULL;
	int draining = 0, release, released, rc;

	pthread_mutex_lock(&r->mu);
	release = r->release;
	released = r->released;
	pthread_mutex_unlock(&r->mu);
	if (release && !released && reader_lease_release(r, reg) == 0) {
		pthread_mutex_lock(&r->mu);
		r->released = 1;
		pthread_mutex_unlock(&r->mu);
	}
	if (registry_manager_heartbeat(reg, me, cfg->lease_seconds, (long long)getpid(),
	        !r->registered, &draining, &cause) != 0)
		goto fail;
	r->registered = 1;
	sent = lease_now_ms();
	if (registry_lease_renew(reg, me, cfg->lease_seconds, &renewed, &cause) != 0 ||
	    registry_lease_list(reg, &leases, &n_leases, &cause) != 0 ||
	    registry_manager_list(reg, &managers, &n_managers, &cause) != 0)
		goto fail;
	names = xcalloc(n == 0 ? 1 : n, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = list[i]->name;
	for (i = 0; i < n_leases; i++) {
		if (leases[i].owner == NULL || strcmp(leases[i].owner, me) != 0 ||
		    leases[i].remaining_ms <= 0)
			continue;
		for (j = 0; j < n && strcmp(names[j], leases[i].cluster) != 0; j++)
			;
		if (j == n) {
			/* The cluster was deleted: its lease goes with it. */
			if (registry_lease_release(reg, me, leases[i].cluster, &cause) != 0) {
				log_warn("cluster=%s %s", leases[i].cluster, cause);
				free(cause);
				cause = NULL;
			}
			continue;
		}
		/* Renewed by the statement sent at sent: a lease of ours not yet expired. */
		reader_lease_add(&held, &n_held, leases[i].cluster, leases[i].epoch, sent);
		/* A failover of ours holds takeovers off while it runs; the hold ends with it. */
		if (list[j]->state == REGISTRY_STATE_FAILING_OVER ||
		    (leases[i].op_ms > 0 && list[j]->state != REGISTRY_STATE_FAILING_OVER)) {
			rc = registry_lease_hold(reg, leases[i].cluster, me, leases[i].epoch,
			    list[j]->state == REGISTRY_STATE_FAILING_OVER ? READER_FAILOVER_HOLD
			                                                  : 0,
			    &cause);
			if (rc < 0) {
				log_warn("cluster=%s %s", leases[i].cluster, cause);
				free(cause);
				cause = NULL;
			}
		}
	}
	take = xcalloc(n == 0 ? 1 : n, sizeof(*take));
	k = release ? 0
	            : lease_plan_take(
	                  me, draining, names, n, leases, n_leases, managers, n_managers, take);
	for (i = 0; i < k; i++) {
		sent =
		    lease_now_ms(); /* before the statement: the lease lasts at least from here */
		rc = registry_lease_acquire(
		    reg, names[take[i]], me, cfg->lease_seconds, &epoch, &cause);
		if (rc < 0) {
			log_warn("cluster=%s %s", names[take[i]], cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (rc == 1)
			continue; /* another manager was faster */
		reader_lease_add(&held, &n_held, names[take[i]], epoch, sent);
		snprintf(ebuf, sizeof(ebuf), "%lld", epoch);
		event_emit_fields(reg, names[take[i]], NULL, "lease.acquired",
		    EVENT_FIELDS("manager", me, "epoch", ebuf),
		    "manager %s took the cluster's lease (epoch %s, %d s)", me, ebuf,
		    cfg->lease_seconds);
	}
	reader_lease_publish(r, held, n_held, draining);
	held = NULL;
	goto out;

fail:
	log_warn("manager %s: lease pass failed; leases not renewed: %s", me, cause);
	free(cause);
out:
	reader_leases_free(held, n_held);
	free(take);
	free(names);
	registry_lease_list_free(leases, n_leases);
	registry_manager_list_free(managers, n_managers);
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct registry *reg = NULL;
	struct registry_cluster **list;
	unsigned long long applied = 0, last;
	time_t retry = 0, now;
	long long began;
	char *cause = NULL;
	size_t n;
	int quit;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		quit = r->quit;
		pthread_mutex_unlock(&r->mu);
		now = time(NULL);
		began = reader_now_ms();
		if (reg == NULL && now >= retry) {
			reg = registry_open(r->cfg, 1, &cause);
			if (reg == NULL) {
				log_warn("registry unavailable, engines keep running (retry in %d "
				         "s): %s",
				    READER_RETRY, cause);
				free(cause);
				cause = NULL;
				retry = now + READER_RETRY;
			}
		}
		/* What hooks spooled is older than what we queued since: applied first. */
		if (reg != NULL)
			spool_apply(reg, r->cfg);
		/* Without the registry, events still go to the spool in order. */
		last = reader_apply(r, reg);
		if (last > applied)
			applied = last;
		if (quit) {
			/* The loop's last request may have come with the quit. */
			if (reg != NULL && lease_enabled(r->cfg)) {
				pthread_mutex_lock(&r->mu);
				quit = r->release && !r->released;
				pthread_mutex_unlock(&r->mu);
				if (quit && reader_lease_release(r, reg) == 0) {
					pthread_mutex_lock(&r->mu);
					r->released = 1;
					pthread_mutex_unlock(&r->mu);
				}
			}
			break;
		}
		if (reg != NULL) {
			list = NULL;
			n = 0;
			if (registry_cluster_list(reg, &list, &n, &cause) != 0) {
				log_warn(
				    "cannot read the registry, engines keep running: %s", cause);
				free(cause);
				cause = NULL;
				/* Reopen soon: the MySQL backend may have lost its connection. */
				registry_close(reg);
				reg = NULL;
				retry = time(NULL) + READER_RETRY;
			} else {
				if (lease_enabled(r->cfg))
					reader_lease_pass(r, reg, list, n);
				pthread_mutex_lock(&r->mu);
				registry_cluster_list_free(r->list, r->n);
				r->list = list;
				r->n = n;
				r->fresh = 1;
				r->applied = applied;
				r->read_ms = began;
				pthread_mutex_unlock(&r->mu);
			}
		}
		/* Without the registry a queued state change waits: no spinning on it. */
		reader_wait(r, READER_TICK_MS, reg != NULL);
	}
	/* Manager HA: a clean stop says so (pid NULL), so others need not wait for the heartbeat.
	 */
	if (reg != NULL && lease_enabled(r->cfg) && r->registered) {
		int draining;

		if (registry_manager_heartbeat(reg, r->cfg->manager_name, r->cfg->lease_seconds, -1,
		        0, &draining, &cause) != 0) {
			log_warn(
			    "manager %s: clean stop not recorded: %s", r->cfg->manager_name, cause);
			free(cause);
		}
	}
	registry_close(reg);
	return NULL;
}

struct reader *
reader_start(const struct config *cfg, char **cause)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	int e;

	r->cfg = cfg;
	r->next_seq = 1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	if ((e = pthread_create(&r->thread, NULL, reader_main, r)) != 0) {
		*cause = xasprintf("cannot start the registry thread: %s", strerror(e));
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cond);
		free(r);
		return NULL;
	}
	return r;
}

void
reader_stop(struct reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	for (i = 0; i < READER_QUEUE_MAX; i++)
		reader_write_free(&r->q[i]);
	registry_cluster_list_free(r->list, r->n);
	reader_leases_free(r->held, r->n_held);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cond);
	free(r);
}

void
reader_poke(struct reader *r)
{
	pthread_mutex_lock(&r->mu);
	r->poked = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

int
reader_take(struct reader *r, struct registry_cluster ***list, size_t *n,
    unsigned long long *applied, long long *read_ms)
{
	int got = 0;

	pthread_mutex_lock(&r->mu);
	if (r->fresh) {
		*list = r->list;
		*n = r->n;
		*applied = r->applied;
		*read_ms = r->read_ms;
		r->list = NULL;
		r->n = 0;
		r->fresh = 0;
		got = 1;
	}
	pthread_mutex_unlock(&r->mu);
	return got;
}

static unsigned long long
reader_queue(struct reader *r, int transition, const char *cluster, const char *node,
    const char *type, const char *message, enum registry_state state, enum registry_desired desired)
{
	struct reader_write *w;
	unsigned long long seq = 0;

	pthread_mutex_lock(&r->mu);
	if (r->len < READER_QUEUE_MAX) {
		w = &r->q[(r->head + r->len) % READER_QUEUE_MAX];
		w->seq = seq = r->next_seq++;
		w->transition = transition;
		w->cluster = xstrdup(cluster);
		w->node = node != NULL ? xstrdup(node) : NULL;
		w->type = xstrdup(type);
		w->message = xstrdup(message);
		w->state = state;
		w->desired = desired;
		r->len++;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->mu);
	return seq;
}

unsigned long long
reader_emit(
    struct reader *r, const char *cluster, const char *node, const char *type, const char *message)
{
	return reader_queue(
	    r, 0, cluster, node, type, message, REGISTRY_STATE_STOPPED, REGISTRY_DESIRED_KEEP);
}

unsigned long long
reader_transition(struct reader *r, const char *cluster, enum registry_state state,
    enum registry_desired desired, const char *type, const char *message)
{
	return reader_queue(r, 1, cluster, NULL, type, message, state, desired);
}

int
reader_leases(struct reader *r, struct reader_lease **out, size_t *n, int *draining)
{
	size_t i;
	int ready;

	pthread_mutex_lock(&r->mu);
	*out = xcalloc(r->n_held == 0 ? 1 : r->n_held, sizeof(**out));
	for (i = 0; i < r->n_held; i++) {
		(*out)[i] = r->held[i];
		(*out)[i].cluster = xstrdup(r->held[i].cluster);
	}
	*n = r->n_held;
	*draining = r->draining;
	ready = r->lease_ready;
	pthread_mutex_unlock(&r->mu);
	return ready;
}

void
reader_release(struct reader *r)
{
	pthread_mutex_lock(&r->mu);
	r->release = 1;
	r->poked = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

int
reader_released(struct reader *r)
{
	int done;

	pthread_mutex_lock(&r->mu);
	done = r->released;
	pthread_mutex_unlock(&r->mu);
	return done;
}
