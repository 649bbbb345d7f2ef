/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's registry thread (reader.h). */
#include "reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

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
		if (quit)
			break;
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
