/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's HTTP listener. libmicrohttpd's threads answer requests from
 * a snapshot in memory; one collector thread of ours rebuilds that
 * snapshot every second from what the daemon already has: the supervisor's
 * own state (http_publish), the status pass's document
 * (<workdir>/status.json, the same one list --json prints), the events
 * table read incrementally (failover counters) and the notifier's counters
 * (<workdir>/notify.stats). A scrape or a page load therefore costs a copy
 * of bytes and never reaches a database server or a host of the fleet;
 * only /api/v1/events reads the registry, through the collector's one
 * connection, and gives up with 503 when that is busy for long.
 *
 * Security: GET and HEAD only; a bearer token (compared in constant time)
 * on every request when http_token_file is set, which config.c requires
 * for any address but loopback; TLS with http_tls_cert/http_tls_key;
 * bounded connections (total, per client address), an idle timeout and a
 * small per-connection memory pool, so a slow or hostile client holds one
 * connection slot and nothing else. No response holds a password or the
 * token: the documents are the ones list --json prints.
 */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "fleet-doc.h"
#include "log.h"
#include "metrics.h"
#include "mhaadm-version.h"
#include "notify.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

#define HTTP_REFRESH_MS 1000
#define HTTP_EVENT_BATCH 1000 /* events folded per read */
/* Reads per refresh at most (a long history is caught up over ticks). */
#define HTTP_EVENT_READS 20
#define HTTP_GAP_WAIT 3      /* seconds an id gap may be a MySQL transaction not yet committed */
#define HTTP_REGISTRY_WAIT 3 /* seconds a request waits for the registry connection */
#define HTTP_EVENTS_DEFAULT 100
#define HTTP_EVENTS_MAX 1000
#define HTTP_MEMORY_LIMIT (64 * 1024) /* per connection: request line and headers */
#define HTTP_TOKEN_MIN 16
#define HTTP_POOL 4 /* request threads */
/* A status pass older than this many probe intervals is stale (health says so). */
#define HTTP_STALE_PASSES 3

/* One cluster's document, as list NAME --json prints it. */
struct http_cluster_doc {
	char *name;
	char *json;
};

/*
 * The API's documents of one status pass: built when the pass wrote a new
 * status.json (not every second: with 1000 clusters that is a megabyte of
 * JSON), shared by the snapshots until the next one. Under mu for refs.
 */
struct http_docs {
	int refs;
	char *fleet; /* the status pass's document, NULL before the first */
	struct http_cluster_doc *clusters;
	size_t n_clusters;
	time_t status_at; /* its generated_at, 0 none */
};

/* What requests are answered from; immutable once published, freed when the last user lets go. */
struct http_snap {
	int refs;
	char *metrics;
	struct http_docs *docs; /* a reference, never NULL */
	struct metrics_daemon daemon;
	int registry_up;
	long long events_read; /* the history is folded up to this id */
};

struct http_server {
	const struct config *cfg;
	struct MHD_Daemon *mhd;
	char *token;              /* secret, NULL: none needed */
	char *tls_cert, *tls_key; /* PEM; the key is wiped */
	int tls;

	pthread_mutex_t mu; /* snap, daemon, quit */
	pthread_cond_t cond;
	struct http_snap *snap;
	struct metrics_daemon daemon; /* last published */
	int quit;
	pthread_t collector;
	int collector_started;

	/* The collector's own (registry connection, under reg_mu; the rest its thread's only). */
	pthread_mutex_t reg_mu;
	struct registry *reg;
	time_t reg_retry;
	int registry_up;
	struct metrics_failovers failovers;
	time_t gap_since;
	json_object *status;
	struct timespec status_mtime;
	struct http_docs *docs; /* of status, a reference; under mu */
	char *status_path, *notify_path;
};

/* Under mu (or with the threads stopped). */
static void
http_docs_release(struct http_docs *d)
{
	size_t i;

	if (d == NULL || --d->refs > 0)
		return;
	free(d->fleet);
	for (i = 0; i < d->n_clusters; i++) {
		free(d->clusters[i].name);
		free(d->clusters[i].json);
	}
	free(d->clusters);
	free(d);
}

/* Under mu (or with the threads stopped). */
static void
http_snap_release(struct http_snap *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	free(s->metrics);
	http_docs_release(s->docs);
	metrics_daemon_clear(&s->daemon);
	free(s);
}

static struct http_snap *
http_snap_get(struct http_server *srv)
{
	struct http_snap *s;

	pthread_mutex_lock(&srv->mu);
	s = srv->snap;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&srv->mu);
	return s;
}

static void
http_snap_put(struct http_server *srv, struct http_snap *s)
{
	pthread_mutex_lock(&srv->mu);
	http_snap_release(s);
	pthread_mutex_unlock(&srv->mu);
}

/* --- the collector --- */

/* Opens the registry when it is not open; under reg_mu. */
static int
http_registry(struct http_server *srv, time_t now)
{
	char *cause = NULL;

	if (srv->reg != NULL)
		return 0;
	if (now < srv->reg_retry)
		return -1;
	srv->reg = registry_open(srv->cfg, 1, &cause);
	if (srv->reg == NULL) {
		log_warn("http: registry unavailable (retrying): %s", cause);
		free(cause);
		srv->reg_retry = now + 3;
		return -1;
	}
	return 0;
}

static void
http_registry_lost(struct http_server *srv, const char *what, char *cause, time_t now)
{
	log_warn("http: cannot read %s: %s", what, cause);
	free(cause);
	registry_close(srv->reg);
	srv->reg = NULL;
	srv->reg_retry = now + 3;
}

/* Folds the events written since the last tick into the failover accounting. */
static void
http_fold_events(struct http_server *srv, time_t now)
{
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n = 0, i, reads;
	int stop = 0;

	pthread_mutex_lock(&srv->reg_mu);
	if (http_registry(srv, now) != 0) {
		srv->registry_up = 0;
		pthread_mutex_unlock(&srv->reg_mu);
		return;
	}
	for (reads = 0; reads < HTTP_EVENT_READS && !stop; reads++) {
		if (registry_event_since(
		        srv->reg, srv->failovers.cursor, HTTP_EVENT_BATCH, &evs, &n, &cause) != 0) {
			http_registry_lost(srv, "the events", cause, now);
			srv->registry_up = 0;
			pthread_mutex_unlock(&srv->reg_mu);
			return;
		}
		for (i = 0; i < n; i++) {
			/*
			 * With MySQL a higher id can be visible before a lower one
			 * commits: wait a little for the gap rather than miss an event
			 * for good (as the notifier does).
			 */
			if (srv->failovers.cursor != 0 && evs[i].id != srv->failovers.cursor + 1) {
				if (srv->gap_since == 0)
					srv->gap_since = now;
				if (now - srv->gap_since < HTTP_GAP_WAIT) {
					stop = 1;
					break;
				}
			}
			srv->gap_since = 0;
			metrics_failovers_fold(&srv->failovers, &evs[i]);
		}
		stop |= n < HTTP_EVENT_BATCH;
		registry_event_list_free(evs, n);
		evs = NULL;
	}
	srv->registry_up = 1;
	pthread_mutex_unlock(&srv->reg_mu);
}

/* Reloads status.json when the status pass wrote a new one. 1 when it changed. */
static int
http_load_status(struct http_server *srv)
{
	struct stat st;
	json_object *doc;

	if (stat(srv->status_path, &st) != 0)
		return 0;
	if (srv->status != NULL && st.st_mtim.tv_sec == srv->status_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == srv->status_mtime.tv_nsec)
		return 0;
	doc = json_object_from_file(srv->status_path);
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return 0;
	}
	json_object_put(srv->status);
	srv->status = doc;
	srv->status_mtime = st.st_mtim;
	return 1;
}

static char *
http_json_text(json_object *o)
{
	return xstrdup(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The fleet document and one document per cluster, each as list [NAME] --json prints it. */
static struct http_docs *
http_build_docs(struct http_server *srv)
{
	struct http_docs *s = xcalloc(1, sizeof(*s));
	json_object *clusters, *one, *arr, *c, *v;
	const char *name, *verdict;
	double t;
	size_t i, n;

	s->refs = 1;
	if (srv->status == NULL)
		return s;
	s->fleet = http_json_text(srv->status);
	if (json_object_object_get_ex(srv->status, "generated_at", &v) &&
	    (t = metrics_parse_time(json_object_get_string(v))) > 0)
		s->status_at = (time_t)t;
	if (!json_object_object_get_ex(srv->status, "clusters", &clusters) ||
	    !json_object_is_type(clusters, json_type_array))
		return s;
	n = json_object_array_length(clusters);
	s->clusters = xcalloc(n == 0 ? 1 : n, sizeof(*s->clusters));
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(clusters, i);
		if (!json_object_object_get_ex(c, "name", &v))
			continue;
		name = json_object_get_string(v);
		one = json_object_new_object();
		json_object_object_add(one, "generated_at",
		    json_object_get(json_object_object_get(srv->status, "generated_at")));
		json_object_object_add(
		    one, "probed", json_object_get(json_object_object_get(srv->status, "probed")));
		verdict =
		    json_object_object_get_ex(c, "verdict", &v) ? json_object_get_string(v) : NULL;
		json_object_object_add(one, "healthy",
		    verdict != NULL ? json_object_new_boolean(strcmp(verdict, "ok") == 0) : NULL);
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_get(c));
		json_object_object_add(one, "clusters", arr);
		s->clusters[s->n_clusters].name = xstrdup(name);
		s->clusters[s->n_clusters].json = http_json_text(one);
		s->n_clusters++;
		json_object_put(one);
	}
	return s;
}

static void
http_refresh(struct http_server *srv, time_t now)
{
	struct metrics_input in = {0};
	struct metrics_notify *nt = NULL;
	struct http_snap *s, *old;
	struct http_docs *docs = NULL;
	const char **channels;
	size_t n_nt = 0, i;

	http_fold_events(srv, now);
	if (http_load_status(srv) || srv->docs == NULL)
		docs = http_build_docs(srv);
	metrics_notify_load(srv->notify_path, &nt, &n_nt);
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	pthread_mutex_lock(&srv->mu);
	metrics_daemon_copy(&s->daemon, &srv->daemon);
	if (docs != NULL) {
		http_docs_release(srv->docs);
		srv->docs = docs;
	}
	s->docs = srv->docs;
	s->docs->refs++;
	pthread_mutex_unlock(&srv->mu);
	s->registry_up = srv->registry_up;
	s->events_read = srv->failovers.cursor;
	channels = xcalloc(srv->cfg->n_notify_channels + 1, sizeof(*channels));
	for (i = 0; i < srv->cfg->n_notify_channels; i++)
		channels[i] = srv->cfg->notify_channels[i].name;
	in.version = MHAADM_VERSION;
	in.daemon = s->daemon.published != 0 ? &s->daemon : NULL;
	in.status = srv->status;
	in.failovers = srv->registry_up || srv->failovers.cursor > 0 ? &srv->failovers : NULL;
	in.notify = nt;
	in.n_notify = n_nt;
	in.channels = channels;
	in.n_channels = srv->cfg->n_notify_channels;
	in.registry_up = srv->registry_up;
	s->metrics = metrics_render(&in);
	free(channels);
	metrics_notify_free(nt, n_nt);
	pthread_mutex_lock(&srv->mu);
	old = srv->snap;
	srv->snap = s;
	http_snap_release(old);
	pthread_mutex_unlock(&srv->mu);
}

static void *
http_collector(void *arg)
{
	struct http_server *srv = arg;
	struct timespec until;

	for (;;) {
		http_refresh(srv, time(NULL));
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += HTTP_REFRESH_MS / 1000;
		pthread_mutex_lock(&srv->mu);
		while (
		    !srv->quit && pthread_cond_timedwait(&srv->cond, &srv->mu, &until) != ETIMEDOUT)
			;
		if (srv->quit) {
			pthread_mutex_unlock(&srv->mu);
			break;
		}
		pthread_mutex_unlock(&srv->mu);
	}
	return NULL;
}

/* --- requests --- */

static enum MHD_Result
http_send(struct MHD_Connection *conn, unsigned int status, const char *type, const void *body,
    size_t len, int copy)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(
	    len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	if (strncmp(type, "text/html", 9) == 0)
		MHD_add_response_header(r, "Content-Security-Policy",
		    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
		    "data:; "
		    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action "
		    "'none'");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"mhaadm\"");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
http_send_json(struct MHD_Connection *conn, unsigned int status, json_object *o)
{
	const char *text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	enum MHD_Result r = http_send(conn, status, "application/json", text, strlen(text), 1);

	json_object_put(o);
	return r;
}

/* {"error": message} with status; message never holds a request's token. */
static enum MHD_Result
http_error(struct MHD_Connection *conn, unsigned int status, const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(message));
	return http_send_json(conn, status, o);
}

/*
 * Whether the request carries "Authorization: Bearer TOKEN". Every byte of
 * the token is compared whatever the guess, so the time taken says nothing
 * about how much of a guess was right.
 */
static int
http_authorized(struct http_server *srv, struct MHD_Connection *conn)
{
	const char *h, *got;
	size_t glen, tlen, i;
	volatile unsigned char diff;

	if (srv->token == NULL)
		return 1;
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	got = h + 7;
	while (*got == ' ')
		got++;
	glen = strlen(got);
	tlen = strlen(srv->token);
	diff = glen != tlen;
	for (i = 0; i < tlen; i++)
		diff |= (unsigned char)srv->token[i] ^ (unsigned char)(i < glen ? got[i] : 0);
	return diff == 0;
}

static enum MHD_Result
http_health(struct MHD_Connection *conn, struct http_server *srv, struct http_snap *s)
{
	json_object *o = json_object_new_object(), *pass = json_object_new_object();
	time_t now = time(NULL);
	long stale = HTTP_STALE_PASSES * (long)srv->cfg->probe_interval + 5;
	int loop_ok, pass_ok, ok;
	size_t i, up = 0;

	/* The supervisor ticks every second; 10 s without one means it is stuck. */
	loop_ok = s->daemon.published != 0 && now - s->daemon.published <= 10;
	pass_ok = srv->cfg->probe_interval == 0 ||
	          (s->docs->status_at != 0 && now - s->docs->status_at <= stale);
	ok = loop_ok && s->registry_up && s->daemon.registry_up;
	for (i = 0; i < s->daemon.n_engines; i++)
		up += s->daemon.engines[i].up != 0;
	json_object_object_add(o, "status",
	    json_object_new_string(!ok       ? "fail"
	                           : pass_ok ? "ok"
	                                     : "degraded"));
	json_object_object_add(o, "version", json_object_new_string(MHAADM_VERSION));
	json_object_object_add(o, "pid", json_object_new_int64(s->daemon.pid));
	json_object_object_add(o, "started_at", json_object_new_int64(s->daemon.started));
	json_object_object_add(o, "supervisor_ok", json_object_new_boolean(loop_ok));
	json_object_object_add(
	    o, "registry_ok", json_object_new_boolean(s->registry_up && s->daemon.registry_up));
	json_object_object_add(o, "engines_running", json_object_new_int64((int64_t)up));
	json_object_object_add(o, "clusters", json_object_new_int64((int64_t)s->daemon.n_engines));
	json_object_object_add(
	    pass, "enabled", json_object_new_boolean(srv->cfg->probe_interval > 0));
	json_object_object_add(pass, "generated_at",
	    s->docs->status_at != 0 ? json_object_new_int64(s->docs->status_at) : NULL);
	json_object_object_add(pass, "age_seconds",
	    s->docs->status_at != 0 ? json_object_new_int64(now - s->docs->status_at) : NULL);
	json_object_object_add(pass, "fresh", json_object_new_boolean(pass_ok));
	json_object_object_add(o, "status_pass", pass);
	/* 503 tells a load balancer or a standby manager that this one cannot be relied on. */
	return http_send_json(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o);
}

/* Parses a decimal number in [min, max]; 0, or -1. */
static int
http_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static enum MHD_Result
http_events(struct MHD_Connection *conn, struct http_server *srv)
{
	const char *since_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *limit_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
	const char *cluster = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cluster");
	struct registry_event *evs = NULL;
	struct timespec until;
	json_object *o, *arr;
	char *cause = NULL;
	long long since = -1, limit = HTTP_EVENTS_DEFAULT, next;
	size_t n = 0, i;
	int r;

	if (since_s != NULL && http_number(since_s, 0, 9223372036854775806LL, &since) != 0)
		return http_error(
		    conn, MHD_HTTP_BAD_REQUEST, "since must be an event id (0 or more)");
	if (limit_s != NULL && http_number(limit_s, 1, HTTP_EVENTS_MAX, &limit) != 0)
		return http_error(
		    conn, MHD_HTTP_BAD_REQUEST, "limit must be a number from 1 to 1000");
	if (cluster != NULL && validate_cluster_name(cluster, &cause) != 0) {
		free(cause);
		return http_error(
		    conn, MHD_HTTP_BAD_REQUEST, "cluster is not a valid cluster name");
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HTTP_REGISTRY_WAIT;
	if (pthread_mutex_timedlock(&srv->reg_mu, &until) != 0)
		return http_error(
		    conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the registry is busy; retry");
	if (http_registry(srv, time(NULL)) != 0) {
		pthread_mutex_unlock(&srv->reg_mu);
		return http_error(
		    conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the registry is unavailable");
	}
	/*
	 * since: the events after it, oldest first (a follower's cursor; with
	 * cluster, other clusters' events are skipped but still move
	 * next_since). Without since: the newest limit events, oldest first.
	 */
	if (since >= 0)
		r = registry_event_since(srv->reg, since, (size_t)limit, &evs, &n, &cause);
	else
		r = registry_event_list(srv->reg, cluster, (size_t)limit, &evs, &n, &cause);
	if (r != 0) {
		http_registry_lost(srv, "the events for a request", cause, time(NULL));
		pthread_mutex_unlock(&srv->reg_mu);
		return http_error(
		    conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the registry is unavailable");
	}
	pthread_mutex_unlock(&srv->reg_mu);
	o = json_object_new_object();
	arr = json_object_new_array();
	next = since >= 0 ? since : 0;
	for (i = 0; i < n; i++) {
		const struct registry_event *ev = since >= 0 ? &evs[i] : &evs[n - 1 - i];

		if (ev->id > next)
			next = ev->id;
		if (cluster != NULL && (ev->cluster == NULL || strcmp(ev->cluster, cluster) != 0))
			continue;
		json_object_array_add(arr, fleet_doc_event(ev));
	}
	json_object_object_add(o, "events", arr);
	json_object_object_add(o, "next_since", json_object_new_int64(next));
	registry_event_list_free(evs, n);
	return http_send_json(conn, MHD_HTTP_OK, o);
}

static enum MHD_Result
http_route(struct MHD_Connection *conn, struct http_server *srv, const char *url)
{
	const struct http_docs *d;
	struct http_snap *s;
	enum MHD_Result r;
	size_t i;

	for (i = 0; i < http_n_assets; i++) {
		if (strcmp(url, http_assets[i].path) == 0 ||
		    (strcmp(url, "/index.html") == 0 && strcmp(http_assets[i].path, "/") == 0))
			return http_send(conn, MHD_HTTP_OK, http_assets[i].type,
			    http_assets[i].data, http_assets[i].len, 0);
	}
	if (strcmp(url, "/api/v1/events") == 0)
		return http_events(conn, srv);
	s = http_snap_get(srv);
	if (s == NULL)
		return http_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "starting");
	d = s->docs;
	if (strcmp(url, "/metrics") == 0) {
		r = http_send(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		    s->metrics, strlen(s->metrics), 1);
	} else if (strcmp(url, "/api/v1/health") == 0) {
		r = http_health(conn, srv, s);
	} else if (strcmp(url, "/api/v1/clusters") == 0) {
		r = d->fleet != NULL ? http_send(conn, MHD_HTTP_OK, "application/json", d->fleet,
		                           strlen(d->fleet), 1)
		                     : http_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                           srv->cfg->probe_interval > 0
		                               ? "no status pass has finished yet"
		                               : "the status pass is off (probe_interval = 0)");
	} else if (strncmp(url, "/api/v1/clusters/", 17) == 0) {
		r = MHD_NO;
		for (i = 0; i < d->n_clusters; i++) {
			if (strcmp(d->clusters[i].name, url + 17) == 0) {
				r = http_send(conn, MHD_HTTP_OK, "application/json",
				    d->clusters[i].json, strlen(d->clusters[i].json), 1);
				break;
			}
		}
		if (i == d->n_clusters)
			r = http_error(conn, MHD_HTTP_NOT_FOUND,
			    d->fleet != NULL ? "no such cluster"
			                     : "no status pass has finished yet");
	} else {
		r = http_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	}
	http_snap_put(srv, s);
	return r;
}

static enum MHD_Result
http_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	/* Answered at the first call, with the headers: a body is never read (it is refused). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD");
	if (!http_authorized(srv, conn))
		return http_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "this listener needs 'Authorization: Bearer TOKEN' (http_token_file)");
	if (*upload_data_size != 0 ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) !=
	        NULL ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
	        NULL)
		return http_error(conn, MHD_HTTP_BAD_REQUEST, "a GET request has no body");
	return http_route(conn, srv, url);
}

/* libmicrohttpd's messages (its own format strings). */
__attribute__((format(printf, 2, 0))) static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_info("http: %s", msg);
}

/* Reads a PEM file (at most 1 MiB); newly allocated, or NULL with *cause. */
static char *
http_read_pem(const char *path, const char *what, char **cause)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		*cause = xasprintf("cannot read %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(1024 * 1024 + 1);
	while ((n = fread(buf + len, 1, 1024 * 1024 - len, f)) > 0 && len < 1024 * 1024)
		len += n;
	fclose(f);
	buf[len] = '\0';
	if (len == 0 || len == 1024 * 1024) {
		*cause = xasprintf("%s %s is empty or too large", what, path);
		xfree_secret(buf);
		return NULL;
	}
	return buf;
}

struct http_server *
http_start(const struct config *cfg, char **cause)
{
	struct http_server *srv;
	struct sockaddr_storage ss;
	unsigned int len = 0, flags;
	const union MHD_DaemonInfo *info;
	int loopback = 0;

	if (validate_listen(cfg->http_listen, &ss, &len, &loopback, cause) != 0)
		return NULL;
	srv = xcalloc(1, sizeof(*srv));
	srv->cfg = cfg;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_mutex_init(&srv->reg_mu, NULL);
	pthread_cond_init(&srv->cond, NULL);
	srv->status_path = xasprintf("%s/status.json", cfg->workdir);
	srv->notify_path = xasprintf("%s/notify.stats", cfg->workdir);
	if (cfg->http_token_file != NULL &&
	    config_read_secret_file(
	        cfg->http_token_file, "http_token_file", HTTP_TOKEN_MIN, &srv->token, cause) != 0)
		goto fail;
	if (cfg->http_tls_cert != NULL) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			*cause =
			    xstrdup("this libmicrohttpd has no TLS: remove http_tls_cert and "
			            "http_tls_key and put a TLS proxy in front (docs/http.md)");
			goto fail;
		}
		if (config_check_secret_file(cfg->http_tls_key, "http_tls_key", cause) != 0)
			goto fail;
		srv->tls_cert = http_read_pem(cfg->http_tls_cert, "http_tls_cert", cause);
		if (srv->tls_cert == NULL)
			goto fail;
		srv->tls_key = http_read_pem(cfg->http_tls_key, "http_tls_key", cause);
		if (srv->tls_key == NULL)
			goto fail;
		srv->tls = 1;
	}
	/* Our own threads must not die of a peer that went away mid-write. */
	if (!MHD_is_feature_supported(MHD_FEATURE_AUTOSUPPRESS_SIGPIPE)) {
		sigset_t pipe;

		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	}
	/* A first snapshot before the first request. */
	http_refresh(srv, time(NULL));
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	        (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (srv->tls ? MHD_USE_TLS : 0);
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_handler, srv, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_POOL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->http_max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->http_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->http_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	    srv->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key, MHD_OPTION_END);
	(void)len;
	if (srv->mhd == NULL) {
		*cause = xasprintf("cannot listen on %s%s (address in use, or bad TLS files?)",
		    cfg->http_listen, srv->tls ? " with TLS" : "");
		goto fail;
	}
	if (pthread_create(&srv->collector, NULL, http_collector, srv) != 0) {
		*cause = xstrdup("cannot start the HTTP collector thread");
		goto fail;
	}
	srv->collector_started = 1;
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "mhaadm daemon: http listening on %s (port %u%s%s)\n", cfg->http_listen,
	    info != NULL ? (unsigned int)info->port : 0U, srv->tls ? ", TLS" : "",
	    srv->token != NULL ? ", bearer token required" : "");
	return srv;
fail:
	http_stop(srv);
	return NULL;
}

void
http_publish(struct http_server *srv, const struct metrics_daemon *d)
{
	if (srv == NULL)
		return;
	pthread_mutex_lock(&srv->mu);
	metrics_daemon_clear(&srv->daemon);
	metrics_daemon_copy(&srv->daemon, d);
	pthread_mutex_unlock(&srv->mu);
}

void
http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->mhd != NULL)
		MHD_stop_daemon(srv->mhd);
	if (srv->collector_started) {
		pthread_mutex_lock(&srv->mu);
		srv->quit = 1;
		pthread_cond_broadcast(&srv->cond);
		pthread_mutex_unlock(&srv->mu);
		pthread_join(srv->collector, NULL);
	}
	http_snap_release(srv->snap);
	http_docs_release(srv->docs);
	metrics_daemon_clear(&srv->daemon);
	metrics_failovers_free(&srv->failovers);
	json_object_put(srv->status);
	registry_close(srv->reg);
	xfree_secret(srv->token);
	free(srv->tls_cert);
	xfree_secret(srv->tls_key);
	free(srv->status_path);
	free(srv->notify_path);
	pthread_mutex_destroy(&srv->mu);
	pthread_mutex_destroy(&srv->reg_mu);
	pthread_cond_destroy(&srv->cond);
	free(srv);
}
