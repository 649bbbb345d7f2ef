/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kept SSH sessions for the native engine: a keeper thread opens one
 * session per database host, checks each one every few seconds without a
 * round trip, reopens a lost one with backoff (1 s doubling to 60 s), and
 * lends them to failovers. The monitoring loop only says which hosts are
 * wanted: it never waits for SSH.
 */
#include "native-ssh.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "ssh.h"
#include "xmalloc.h"

/*
 * Seconds a connect of the keeper, or of a failover that finds no kept
 * session, may take: a lab host answers in ~50 ms, and a host that does not
 * answer within 2 s is not one a failover can wait for.
 */
#define NATIVE_SSH_CONNECT_S 2
/* How often a kept session is looked at (a poll of its socket, no round trip). */
#define NATIVE_SSH_CHECK_MS 2000
#define NATIVE_SSH_BACKOFF_MIN_MS 1000
#define NATIVE_SSH_BACKOFF_MAX_MS 60000
/* The keeper's longest sleep when nothing is due. */
#define NATIVE_SSH_TICK_MS 200

struct native_ssh_host {
	char *host;
	struct ssh_conn *conn; /* NULL while not open */
	int busy;              /* lent to a failover, or being checked */
	int opening;           /* the keeper is connecting it */
	int wanted;            /* named by the last registry read */
	long long next_ms;     /* earliest next connect */
	long long backoff_ms;  /* 0 after a success */
	long long checked_ms;
};

struct native_ssh {
	const struct config *cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int started;
	int quit;
	struct native_ssh_host **h;
	size_t n, cap;
	/*
	 * Where the next want is likely found: the loop names the hosts in the
	 * same order at every registry read, so each is looked up in O(1)
	 * instead of a scan (3,000 hosts read once a second).
	 */
	size_t hint;
};

static long long
native_ssh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* host's entry, or NULL; *at (when not NULL) its index. */
static struct native_ssh_host *
native_ssh_find(struct native_ssh *p, const char *host, size_t *at)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->h[i]->host, host) == 0) {
			if (at != NULL)
				*at = i;
			return p->h[i];
		}
	}
	return NULL;
}

static struct ssh_conn *
native_ssh_connect(const struct config *cfg, const char *host, int timeout, char **cause)
{
	struct ssh_target t;

	ssh_target_from_config(&t, cfg, host, timeout);
	return ssh_conn_open(&t, cause);
}

/* One step of the keeper with p->mu held: 1 when it did something (look again at once). */
static int
native_ssh_step(struct native_ssh *p)
{
	struct native_ssh_host *h, *pick = NULL, *check = NULL;
	struct ssh_conn *conn;
	long long now = native_ssh_now_ms();
	size_t i, open = 0;
	char *cause = NULL, *host;
	int alive;

	for (i = 0; i < p->n; i++)
		if (p->h[i]->conn != NULL || p->h[i]->opening)
			open++;
	for (i = 0; i < p->n; i++) {
		h = p->h[i];
		if (h->busy || h->opening)
			continue;
		if (!h->wanted) {
			/* No cluster names it any more. */
			p->h[i] = p->h[--p->n];
			pthread_mutex_unlock(&p->mu);
			if (h->conn != NULL)
				ssh_conn_close(h->conn);
			free(h->host);
			free(h);
			pthread_mutex_lock(&p->mu);
			return 1;
		}
		if (h->conn == NULL && now >= h->next_ms &&
		    open < (size_t)p->cfg->ssh_keep_sessions) {
			pick = h;
			break;
		}
		if (h->conn != NULL && now - h->checked_ms >= NATIVE_SSH_CHECK_MS) {
			check = h;
			break;
		}
	}
	if (pick != NULL) {
		pick->opening = 1;
		host = xstrdup(pick->host);
		pthread_mutex_unlock(&p->mu);
		conn = native_ssh_connect(p->cfg, host, NATIVE_SSH_CONNECT_S, &cause);
		pthread_mutex_lock(&p->mu);
		pick->opening = 0;
		now = native_ssh_now_ms();
		if (conn != NULL) {
			if (pick->backoff_ms != 0)
				log_info("engine-native: ssh session to %s kept again", host);
			pick->conn = conn;
			pick->backoff_ms = 0;
			pick->checked_ms = now;
		} else {
			if (pick->backoff_ms == 0)
				log_warn(
				    "engine-native: no kept ssh session to %s (%s); retried with "
				    "backoff",
				    host, cause);
			pick->backoff_ms = pick->backoff_ms == 0 ? NATIVE_SSH_BACKOFF_MIN_MS
			                   : pick->backoff_ms * 2 > NATIVE_SSH_BACKOFF_MAX_MS
			                       ? NATIVE_SSH_BACKOFF_MAX_MS
			                       : pick->backoff_ms * 2;
			pick->next_ms = now + pick->backoff_ms;
		}
		free(cause);
		free(host);
		return 1;
	}
	if (check != NULL) {
		check->busy = 1;
		conn = check->conn;
		pthread_mutex_unlock(&p->mu);
		alive = ssh_conn_alive(conn);
		if (!alive)
			ssh_conn_close(conn);
		pthread_mutex_lock(&p->mu);
		check->busy = 0;
		check->checked_ms = native_ssh_now_ms();
		if (!alive) {
			log_warn(
			    "engine-native: kept ssh session to %s lost; reopening", check->host);
			check->conn = NULL;
			check->next_ms = 0;
			check->backoff_ms = NATIVE_SSH_BACKOFF_MIN_MS / 2;
		}
		return 1;
	}
	return 0;
}

static void *
native_ssh_thread(void *arg)
{
	struct native_ssh *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		if (native_ssh_step(p))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += NATIVE_SSH_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct native_ssh *
native_ssh_new(const struct config *cfg)
{
	struct native_ssh *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;

	p->cfg = cfg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->ssh_keep_sessions > 0) {
		if (pthread_create(&p->thread, NULL, native_ssh_thread, p) == 0)
			p->started = 1;
		else
			log_warn("engine-native: cannot start the ssh keeper thread; sessions are "
			         "opened when a failover needs them");
	}
	return p;
}

void
native_ssh_free(struct native_ssh *p)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->started)
		pthread_join(p->thread, NULL);
	for (i = 0; i < p->n; i++) {
		if (p->h[i]->conn != NULL && !p->h[i]->busy)
			ssh_conn_close(p->h[i]->conn);
		free(p->h[i]->host);
		free(p->h[i]);
	}
	free(p->h);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void
native_ssh_begin(struct native_ssh *p)
{
	size_t i;

	pthread_mutex_lock(&p->mu);
	p->hint = 0;
	for (i = 0; i < p->n; i++)
		p->h[i]->wanted = 0;
	pthread_mutex_unlock(&p->mu);
}

void
native_ssh_want(struct native_ssh *p, const char *host)
{
	struct native_ssh_host *h;
	size_t at = 0;

	pthread_mutex_lock(&p->mu);
	if (p->hint < p->n && strcmp(p->h[p->hint]->host, host) == 0) {
		h = p->h[p->hint++];
		h->wanted = 1;
		pthread_mutex_unlock(&p->mu);
		return;
	}
	h = native_ssh_find(p, host, &at);
	if (h != NULL)
		p->hint = at + 1;
	if (h == NULL) {
		if (p->n == p->cap) {
			p->cap = p->cap == 0 ? 16 : p->cap * 2;
			p->h = xreallocarray(p->h, p->cap, sizeof(*p->h));
		}
		h = xcalloc(1, sizeof(*h));
		h->host = xstrdup(host);
		p->h[p->n++] = h;
		p->hint = p->n;
	}
	h->wanted = 1;
	pthread_mutex_unlock(&p->mu);
}

void
native_ssh_end(struct native_ssh *p)
{
	pthread_mutex_lock(&p->mu);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

struct ssh_conn *
native_ssh_take(struct native_ssh *p, const char *host, int timeout, int *kept, char **cause)
{
	struct native_ssh_host *h;
	struct ssh_conn *c = NULL;

	*kept = 0;
	if (p != NULL) {
		pthread_mutex_lock(&p->mu);
		h = native_ssh_find(p, host, NULL);
		if (h != NULL && h->conn != NULL && !h->busy && !h->opening) {
			h->busy = 1;
			c = h->conn;
			*kept = 1;
		}
		pthread_mutex_unlock(&p->mu);
		if (c != NULL && !ssh_conn_alive(c)) {
			native_ssh_give(p, host, c, 1, 1);
			c = NULL;
			*kept = 0;
		}
		if (c != NULL)
			return c;
	}
	if (p == NULL) {
		*cause = xasprintf("ssh %s: no ssh settings", host);
		return NULL;
	}
	return native_ssh_connect(p->cfg, host,
	    timeout > 0 && timeout < NATIVE_SSH_CONNECT_S ? timeout : NATIVE_SSH_CONNECT_S, cause);
}

void
native_ssh_give(struct native_ssh *p, const char *host, struct ssh_conn *c, int kept, int broken)
{
	struct native_ssh_host *h;

	if (c == NULL)
		return;
	if (!kept || p == NULL) {
		ssh_conn_close(c);
		return;
	}
	pthread_mutex_lock(&p->mu);
	h = native_ssh_find(p, host, NULL);
	if (h != NULL && h->conn == c) {
		h->busy = 0;
		if (broken) {
			h->conn = NULL;
			h->next_ms = 0;
		} else {
			h->checked_ms = native_ssh_now_ms();
		}
	}
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (broken)
		ssh_conn_close(c);
}

int
native_ssh_open_count(struct native_ssh *p)
{
	size_t i;
	int n = 0;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++)
		if (p->h[i]->conn != NULL)
			n++;
	pthread_mutex_unlock(&p->mu);
	return n;
}
