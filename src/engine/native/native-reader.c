/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The native engine's registry I/O in a thread: reads into a snapshot, writes queued in order. */
#include "native-reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "event.h"
#include "lease.h"
#include "log.h"
#include "xmalloc.h"

#define NATIVE_READER_MS 1000       /* between two reads */
#define NATIVE_READER_RETRY_MS 3000 /* after the registry could not be opened, read or written */
#define NATIVE_READER_QUEUE 1024    /* writes queued at most */

struct native_reader_item {
	struct native_reader_item *next;
	int transition; /* a state change, else an event */
	enum registry_state state;
	char *cluster, *node, *type, *message;
	char **fields; /* key, value, ..., NULL (values may be NULL), or NULL */
};

struct native_reader {
	const struct config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
	/* Under mu. */
	struct registry_cluster **list; /* the newest list not taken */
	size_t n;
	long long read_ms;
	int fresh;
	struct native_reader_item *head, *tail;
	size_t queued;
	struct native_reader_done *done;
	size_t n_done;
};

static long long
native_reader_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
native_reader_item_free(struct native_reader_item *it)
{
	size_t i;

	if (it->fields != NULL) {
		for (i = 0; it->fields[i] != NULL; i += 2) {
			free(it->fields[i]);
			free(it->fields[i + 1]);
		}
		free(it->fields);
	}
	free(it->cluster);
	free(it->node);
	free(it->type);
	free(it->message);
	free(it);
}

/* Appends under mu; returns 0, or -1 when the queue is full. */
static int
native_reader_push(struct native_reader *r, struct native_reader_item *it)
{
	pthread_mutex_lock(&r->mu);
	if (r->queued >= NATIVE_READER_QUEUE) {
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	if (r->tail != NULL)
		r->tail->next = it;
	else
		r->head = it;
	r->tail = it;
	r->queued++;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static void
native_reader_finish(struct native_reader *r, const struct native_reader_item *it, int ok)
{
	struct native_reader_done *d;

	pthread_mutex_lock(&r->mu);
	r->done = xreallocarray(r->done, r->n_done + 1, sizeof(*r->done));
	d = &r->done[r->n_done++];
	d->cluster = xstrdup(it->cluster);
	d->state = it->state;
	d->ok = ok;
	d->at_ms = native_reader_now();
	pthread_mutex_unlock(&r->mu);
}

/*
 * Writes one item with reg (NULL: the registry is away). Returns 0 done
 * (written, spooled or given up), -1 a state change not written: it stays
 * first in the queue.
 */
static int
native_reader_write(struct native_reader *r, struct registry *reg, struct native_reader_item *it)
{
	int rc;

	if (!it->transition) {
		/* Without the registry the event is spooled (event_spool_to), never lost. */
		event_emit_fields(reg, it->cluster, it->node, it->type,
		    (const char *const *)it->fields, "%s", it->message);
		return 0;
	}
	/* Manager HA: a state change is this manager's only while it holds the lease. */
	if (!lease_held_here(r->cfg, it->cluster)) {
		log_warn("cluster=%s not recorded (%s): manager %s cannot prove its lease",
		    it->cluster, it->type, r->cfg->manager_name);
		native_reader_finish(r, it, 0);
		return 0;
	}
	if (reg == NULL)
		return -1;
	rc = event_transition(
	    reg, it->cluster, it->state, REGISTRY_DESIRED_KEEP, it->type, "%s", it->message);
	if (rc < 0)
		return -1;
	native_reader_finish(r, it, rc == 0);
	return 0;
}

/*
 * Writes what is queued, in order, until a state change cannot be
 * written (it and what follows stay queued). Returns -1 then, else 0.
 */
static int
native_reader_drain(struct native_reader *r, struct registry *reg)
{
	struct native_reader_item *it, *rest;

	pthread_mutex_lock(&r->mu);
	it = r->head;
	r->head = r->tail = NULL;
	r->queued = 0;
	pthread_mutex_unlock(&r->mu);
	while (it != NULL) {
		if (native_reader_write(r, reg, it) != 0)
			break;
		rest = it->next;
		native_reader_item_free(it);
		it = rest;
	}
	if (it == NULL)
		return 0;
	/* Put back in front of what was queued meanwhile. */
	pthread_mutex_lock(&r->mu);
	for (rest = it; rest->next != NULL; rest = rest->next)
		r->queued++;
	r->queued++;
	rest->next = r->head;
	if (r->head == NULL)
		r->tail = rest;
	r->head = it;
	pthread_mutex_unlock(&r->mu);
	return -1;
}

static void *
native_reader_main(void *arg)
{
	struct native_reader *r = arg;
	struct registry *reg = NULL;
	struct registry_cluster **list;
	struct timespec ts;
	long long now, wake, next_read = 0, read_ms;
	char *cause;
	size_t n;
	int warned = 0, blocked = 0, quit = 0;

	while (!quit) {
		pthread_mutex_lock(&r->mu);
		for (;;) {
			now = native_reader_now();
			wake = r->head != NULL && !blocked ? now : next_read;
			if (r->quit || wake <= now)
				break;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (wake - now) / 1000;
			ts.tv_nsec += ((wake - now) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		}
		quit = r->quit;
		pthread_mutex_unlock(&r->mu);
		if (reg == NULL && (now >= next_read || quit)) {
			cause = NULL;
			reg = registry_open(r->cfg, 1, &cause);
			if (reg == NULL) {
				if (!warned)
					log_warn(
					    "engine-native: registry unavailable, clusters stay "
					    "watched (retry every 3 s): %s",
					    cause);
				warned = 1;
				free(cause);
			}
		}
		if (native_reader_drain(r, reg) != 0) {
			/* Not written: the registry is likely away; tried again with the next read.
			 */
			blocked = 1;
			registry_close(reg);
			reg = NULL;
			if (next_read < now + NATIVE_READER_RETRY_MS)
				next_read = now + NATIVE_READER_RETRY_MS;
		}
		if (now < next_read || quit)
			continue;
		blocked = 0;
		next_read = now + NATIVE_READER_RETRY_MS;
		if (reg == NULL)
			continue;
		list = NULL;
		n = 0;
		cause = NULL;
		read_ms = native_reader_now();
		if (registry_cluster_list(reg, &list, &n, &cause) != 0) {
			log_warn(
			    "engine-native: cannot read the registry, clusters stay watched: %s",
			    cause);
			free(cause);
			registry_close(reg);
			reg = NULL;
			warned = 1;
			continue;
		}
		if (warned)
			log_info("engine-native: registry readable again");
		warned = 0;
		next_read = now + NATIVE_READER_MS;
		pthread_mutex_lock(&r->mu);
		if (r->fresh)
			registry_cluster_list_free(r->list, r->n);
		r->list = list;
		r->n = n;
		r->read_ms = read_ms;
		r->fresh = 1;
		pthread_mutex_unlock(&r->mu);
	}
	/* What is still queued: one more try (events without the registry are spooled). */
	if (native_reader_drain(r, reg) != 0) {
		pthread_mutex_lock(&r->mu);
		while (r->head != NULL) {
			struct native_reader_item *it = r->head;

			r->head = it->next;
			if (it->transition)
				log_warn(
				    "cluster=%s state change %s not recorded: the engine stops "
				    "and the registry does not answer",
				    it->cluster, it->type);
			else
				event_emit_fields(NULL, it->cluster, it->node, it->type,
				    (const char *const *)it->fields, "%s", it->message);
			native_reader_item_free(it);
		}
		r->tail = NULL;
		r->queued = 0;
		pthread_mutex_unlock(&r->mu);
	}
	registry_close(reg);
	return NULL;
}

struct native_reader *
native_reader_start(const struct config *cfg, char **cause)
{
	struct native_reader *r = xcalloc(1, sizeof(*r));
	pthread_condattr_t ca;

	r->cfg = cfg;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->thread, NULL, native_reader_main, r) != 0) {
		*cause = xstrdup("cannot start the registry thread");
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	return r;
}

void
native_reader_stop(struct native_reader *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	if (r->fresh)
		registry_cluster_list_free(r->list, r->n);
	native_reader_done_free(r->done, r->n_done);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

int
native_reader_take(
    struct native_reader *r, struct registry_cluster ***list, size_t *n, long long *read_ms)
{
	int fresh;

	pthread_mutex_lock(&r->mu);
	fresh = r->fresh;
	if (fresh) {
		*list = r->list;
		*n = r->n;
		*read_ms = r->read_ms;
		r->list = NULL;
		r->n = 0;
		r->fresh = 0;
	}
	pthread_mutex_unlock(&r->mu);
	return fresh;
}

int
native_reader_transition(struct native_reader *r, const char *cluster, enum registry_state state,
    const char *type, const char *message)
{
	struct native_reader_item *it = xcalloc(1, sizeof(*it));

	it->transition = 1;
	it->state = state;
	it->cluster = xstrdup(cluster);
	it->type = xstrdup(type);
	it->message = xstrdup(message);
	if (native_reader_push(r, it) != 0) {
		native_reader_item_free(it);
		return -1;
	}
	return 0;
}

void
native_reader_emit(struct native_reader *r, const char *cluster, const char *node, const char *type,
    const char *const *fields, const char *message)
{
	struct native_reader_item *it = xcalloc(1, sizeof(*it));
	size_t i, k = 0;

	it->cluster = xstrdup(cluster);
	it->node = node != NULL ? xstrdup(node) : NULL;
	it->type = xstrdup(type);
	it->message = xstrdup(message);
	if (fields != NULL) {
		for (i = 0; fields[i] != NULL; i += 2)
			k += 2;
		it->fields = xcalloc(k + 1, sizeof(*it->fields));
		for (i = 0; i < k; i += 2) {
			it->fields[i] = xstrdup(fields[i]);
			it->fields[i + 1] = fields[i + 1] != NULL ? xstrdup(fields[i + 1]) : NULL;
		}
	}
	if (native_reader_push(r, it) != 0) {
		event_emit_fields(NULL, it->cluster, it->node, it->type,
		    (const char *const *)it->fields, "%s", it->message);
		native_reader_item_free(it);
	}
}

size_t
native_reader_done(struct native_reader *r, struct native_reader_done **out)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	*out = r->done;
	n = r->n_done;
	r->done = NULL;
	r->n_done = 0;
	pthread_mutex_unlock(&r->mu);
	return n;
}

void
native_reader_done_free(struct native_reader_done *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i].cluster);
	free(list);
}
