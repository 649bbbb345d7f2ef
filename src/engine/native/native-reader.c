/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The native engine's registry reads, in a thread, into a snapshot the loop takes without waiting.
 */
#include "native-reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "registry.h"
#include "xmalloc.h"

#define NATIVE_READER_MS 1000       /* between two reads */
#define NATIVE_READER_RETRY_MS 3000 /* after the registry could not be opened or read */

struct native_reader {
	const struct config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
	/* Under mu: the newest list not taken, the loop's handle not taken, stale. */
	struct registry_cluster **list;
	size_t n;
	int fresh;
	struct registry *handle;
	int want; /* the loop holds no handle */
	int stale;
};

/* Waits ms or until told to quit; returns quit. Called with mu held. */
static int
native_reader_wait(struct native_reader *r, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!r->quit && pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
		;
	return r->quit;
}

/* Opens a registry handle; NULL with the reason logged (once per outage). */
static struct registry *
native_reader_open(struct native_reader *r, int *warned)
{
	char *cause = NULL;
	struct registry *reg = registry_open(r->cfg, 1, &cause);

	if (reg == NULL) {
		if (!*warned)
			log_warn(
			    "engine-native: registry unavailable, clusters stay watched (retry "
			    "every 3 s): %s",
			    cause);
		*warned = 1;
		free(cause);
	}
	return reg;
}

static void *
native_reader_main(void *arg)
{
	struct native_reader *r = arg;
	struct registry *reg = NULL, *spare;
	struct registry_cluster **list;
	char *cause;
	size_t n;
	long wait_ms = 0;
	int warned = 0, want_handle;

	pthread_mutex_lock(&r->mu);
	while (!native_reader_wait(r, wait_ms)) {
		want_handle = r->want && r->handle == NULL;
		pthread_mutex_unlock(&r->mu);
		wait_ms = NATIVE_READER_RETRY_MS;
		if (reg == NULL)
			reg = native_reader_open(r, &warned);
		/* The loop's own handle for its writes, opened here so that it never waits. */
		spare = reg != NULL && want_handle ? native_reader_open(r, &warned) : NULL;
		list = NULL;
		n = 0;
		cause = NULL;
		if (reg != NULL && registry_cluster_list(reg, &list, &n, &cause) != 0) {
			log_warn(
			    "engine-native: cannot read the registry, clusters stay watched: %s",
			    cause);
			free(cause);
			registry_close(reg);
			reg = NULL;
			pthread_mutex_lock(&r->mu);
			r->stale = 1;
		} else if (reg != NULL) {
			if (warned)
				log_info("engine-native: registry readable again");
			warned = 0;
			wait_ms = NATIVE_READER_MS;
			pthread_mutex_lock(&r->mu);
			if (r->fresh)
				registry_cluster_list_free(r->list, r->n);
			r->list = list;
			r->n = n;
			r->fresh = 1;
		} else {
			pthread_mutex_lock(&r->mu);
		}
		if (spare != NULL && r->handle == NULL) {
			r->handle = spare;
			r->want = 0;
			spare = NULL;
		}
		if (spare != NULL) {
			pthread_mutex_unlock(&r->mu);
			registry_close(spare);
			pthread_mutex_lock(&r->mu);
		}
	}
	pthread_mutex_unlock(&r->mu);
	registry_close(reg);
	return NULL;
}

struct native_reader *
native_reader_start(const struct config *cfg, char **cause)
{
	struct native_reader *r = xcalloc(1, sizeof(*r));
	pthread_condattr_t ca;

	r->cfg = cfg;
	r->want = 1;
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
	registry_close(r->handle);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

int
native_reader_take(struct native_reader *r, struct registry_cluster ***list, size_t *n)
{
	int fresh;

	pthread_mutex_lock(&r->mu);
	fresh = r->fresh;
	if (fresh) {
		*list = r->list;
		*n = r->n;
		r->list = NULL;
		r->n = 0;
		r->fresh = 0;
	}
	pthread_mutex_unlock(&r->mu);
	return fresh;
}

struct registry *
native_reader_handle(struct native_reader *r, int have, int *stale)
{
	struct registry *reg;

	pthread_mutex_lock(&r->mu);
	reg = r->handle;
	r->handle = NULL;
	r->want = !have && reg == NULL;
	*stale = r->stale;
	r->stale = 0;
	pthread_mutex_unlock(&r->mu);
	return reg;
}
