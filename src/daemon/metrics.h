/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Prometheus exposition of the daemon (text format 0.0.4): a writer
 * that escapes label values and prints HELP/TYPE once per family, the
 * failover accounting folded from the events table, and the page built
 * from the daemon's own state and its status pass's snapshot.
 */
#ifndef MHAADM_METRICS_H
#define MHAADM_METRICS_H

#include <json-c/json.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct registry_event;

/* --- the writer --- */

struct metrics_out {
	char *buf;
	size_t len, cap;
};

/* "# HELP name help" and "# TYPE name type" (gauge, counter, histogram). */
void metrics_family(struct metrics_out *m, const char *name, const char *type, const char *help);
/*
 * One sample "name{k="v",...} value": labels is a NULL-terminated list of
 * key, value, key, value (NULL for none); values are escaped (\\ \" \n).
 * NaN and infinities are written as Prometheus spells them.
 */
void metrics_sample(struct metrics_out *m, const char *name, const char *const *labels, double v);
/* The text written so far, newly allocated ("" when nothing); the writer is emptied. */
char *metrics_take(struct metrics_out *m);

#define METRICS_LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* --- failovers, from the events table --- */

enum metrics_result {
	METRICS_SUCCESS, /* failover.completed */
	METRICS_FAILED,  /* failover.failed (once per failover: the hook and the daemon both say it)
	                  */
	METRICS_REFUSED, /* failover.refused: MHA refused (last_failover_minute) */
	METRICS_PAUSED,  /* failover.paused: the storm breaker kept it from starting */
	METRICS_NRESULTS,
};

const char *metrics_result_name(enum metrics_result r);

/* Upper bounds of the duration histogram's buckets, seconds (+Inf is added). */
#define METRICS_NBUCKETS 10
extern const double metrics_buckets[METRICS_NBUCKETS];

struct metrics_failover {
	char *cluster;
	unsigned long long count[METRICS_NRESULTS];
	double last_at;       /* unix time of the newest failover.completed, 0 none */
	double last_duration; /* seconds from its failover.started, -1 unknown */
	double open_at;       /* unix time of a failover.started not yet ended, 0 none */
	int failed_counted;   /* a failover.failed was counted since the last failover.started */
};

struct metrics_failovers {
	struct metrics_failover *v;
	size_t n;
	unsigned long long bucket[METRICS_NBUCKETS + 1]; /* cumulative at render, not here */
	double sum;
	unsigned long long count;
	long long cursor; /* every event up to this id was folded */
};

/* Folds one event (taken in id order) into the accounting; other types are ignored. */
void metrics_failovers_fold(struct metrics_failovers *f, const struct registry_event *ev);
void metrics_failovers_free(struct metrics_failovers *f);
/* "YYYY-MM-DD HH:MM:SS" (UTC) as unix time; -1 when it is not that. */
double metrics_parse_time(const char *at);

/* --- notifications: counters the notifier keeps in <workdir>/notify.stats --- */

struct metrics_notify {
	char *channel;
	unsigned long long sent, failed, dropped;
};

/* Reads "CHANNEL SENT FAILED DROPPED" lines; a missing file is no channel. Free with the list. */
void metrics_notify_load(const char *path, struct metrics_notify **out, size_t *n);
void metrics_notify_free(struct metrics_notify *list, size_t n);

/* --- the page --- */

/* What the supervisor loop knows itself, published once a tick. */
struct metrics_engine {
	char *cluster;
	char *engine; /* "mha" */
	int up;       /* its engine process runs (and is not being stopped) */
};

/* A cluster this daemon knows of, under manager HA: whether it holds its lease now. */
struct metrics_lease {
	char *cluster;
	long long epoch; /* of the lease held, 0 none */
	int held;        /* held and proved within lease_seconds of its sent renewal */
};

struct metrics_daemon {
	pid_t pid;
	time_t started;
	time_t published;    /* when the loop last published this; 0: never */
	int registry_up;     /* the loop could read the registry at its last tick */
	int notifier_wanted; /* channels are configured */
	int notifier_up;
	struct metrics_engine *engines;
	size_t n_engines;
	char *manager; /* manager_name, with manager HA on; NULL off (no lease families) */
	struct metrics_lease *leases;
	size_t n_leases;
};

void metrics_daemon_copy(struct metrics_daemon *dst, const struct metrics_daemon *src);
void metrics_daemon_clear(struct metrics_daemon *d);

struct metrics_input {
	const char *version;
	const struct metrics_daemon *daemon;
	json_object *status; /* the status pass's document (status.json), or NULL */
	const struct metrics_failovers *failovers; /* NULL when the history is unread */
	const struct metrics_notify *notify;
	size_t n_notify;
	const char *const *channels; /* configured channels: their counters start at 0 */
	size_t n_channels;
	int registry_up; /* the HTTP side's own reads of the events table work */
};

/* The whole /metrics page, newly allocated. */
char *metrics_render(const struct metrics_input *in);

#endif
