/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Prometheus exposition of the daemon: every value comes from the
 * daemon's own state, its status pass's snapshot and the events table
 * (read incrementally by the HTTP side), never from a probe made for a
 * scrape. Label values are cluster and node names, engines, channels and
 * fixed words, so the number of series follows the size of the fleet.
 */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "xmalloc.h"

const double metrics_buckets[METRICS_NBUCKETS] = {1, 2, 5, 10, 15, 20, 30, 60, 120, 300};

static void
metrics_put(struct metrics_out *m, const char *s, size_t n)
{
	if (m->len + n + 1 > m->cap) {
		m->cap = (m->len + n + 1) * 2 < 4096 ? 4096 : (m->len + n + 1) * 2;
		m->buf = xreallocarray(m->buf, m->cap, 1);
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void
metrics_puts(struct metrics_out *m, const char *s)
{
	metrics_put(m, s, strlen(s));
}

/* Writes s escaped: \ and newline always, " too inside label values. */
static void
metrics_escape(struct metrics_out *m, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			metrics_puts(m, "\\\\");
		else if (*s == '\n')
			metrics_puts(m, "\\n");
		else if (*s == '"' && quote)
			metrics_puts(m, "\\\"");
		else
			metrics_put(m, s, 1);
	}
}

void
metrics_family(struct metrics_out *m, const char *name, const char *type, const char *help)
{
	metrics_puts(m, "# HELP ");
	metrics_puts(m, name);
	metrics_puts(m, " ");
	metrics_escape(m, help, 0);
	metrics_puts(m, "\n# TYPE ");
	metrics_puts(m, name);
	metrics_puts(m, " ");
	metrics_puts(m, type);
	metrics_puts(m, "\n");
}

void
metrics_sample(struct metrics_out *m, const char *name, const char *const *labels, double v)
{
	char num[64];
	size_t i;

	metrics_puts(m, name);
	if (labels != NULL && labels[0] != NULL) {
		metrics_puts(m, "{");
		for (i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
			if (i > 0)
				metrics_puts(m, ",");
			metrics_puts(m, labels[i]);
			metrics_puts(m, "=\"");
			metrics_escape(m, labels[i + 1], 1);
			metrics_puts(m, "\"");
		}
		metrics_puts(m, "}");
	}
	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(num, sizeof(num), "%.0f", v);
	else
		snprintf(num, sizeof(num), "%.17g", v);
	metrics_puts(m, " ");
	metrics_puts(m, num);
	metrics_puts(m, "\n");
}

char *
metrics_take(struct metrics_out *m)
{
	char *s = m->buf != NULL ? m->buf : xstrdup("");

	memset(m, 0, sizeof(*m));
	return s;
}

const char *
metrics_result_name(enum metrics_result r)
{
	switch (r) {
	case METRICS_SUCCESS:
		return "success";
	case METRICS_FAILED:
		return "failed";
	case METRICS_REFUSED:
		return "refused";
	case METRICS_PAUSED:
		return "paused";
	case METRICS_NRESULTS:
		break;
	}
	return "?";
}

double
metrics_parse_time(const char *at)
{
	struct tm tm;
	char *end;

	if (at == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(at, "%Y-%m-%d %H:%M:%S", &tm);
	/* Fractional seconds (a MySQL DATETIME(6)) are dropped. */
	if (end == NULL || (*end != '\0' && *end != '.'))
		return -1;
	return (double)timegm(&tm);
}

static struct metrics_failover *
metrics_failover_get(struct metrics_failovers *f, const char *cluster)
{
	struct metrics_failover *c;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].cluster, cluster) == 0)
			return &f->v[i];
	}
	f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
	c = &f->v[f->n++];
	memset(c, 0, sizeof(*c));
	c->cluster = xstrdup(cluster);
	c->last_duration = -1;
	return c;
}

/*
 * One failover is: failover.started (the engine began), then
 * failover.completed or failover.failed. The MHA hook's report and the
 * daemon may both say failover.failed about one failover, so a failure is
 * counted once between two failover.started. Refusals and storm pauses
 * never start: each is counted as it comes.
 */
void
metrics_failovers_fold(struct metrics_failovers *f, const struct registry_event *ev)
{
	struct metrics_failover *c;
	double at;
	size_t b;

	if (ev->id > f->cursor)
		f->cursor = ev->id;
	if (ev->cluster == NULL || strncmp(ev->type, "failover.", 9) != 0)
		return;
	at = metrics_parse_time(ev->at);
	if (strcmp(ev->type, "failover.started") == 0) {
		c = metrics_failover_get(f, ev->cluster);
		c->open_at = at > 0 ? at : 0;
		c->failed_counted = 0;
	} else if (strcmp(ev->type, "failover.completed") == 0) {
		c = metrics_failover_get(f, ev->cluster);
		c->count[METRICS_SUCCESS]++;
		c->last_at = at > 0 ? at : c->last_at;
		c->last_duration = -1;
		if (c->open_at > 0 && at >= c->open_at) {
			c->last_duration = at - c->open_at;
			for (b = 0; b < METRICS_NBUCKETS && c->last_duration > metrics_buckets[b];
			     b++)
				;
			f->bucket[b]++;
			f->sum += c->last_duration;
			f->count++;
		}
		c->open_at = 0;
		c->failed_counted = 0;
	} else if (strcmp(ev->type, "failover.failed") == 0) {
		c = metrics_failover_get(f, ev->cluster);
		if (!c->failed_counted)
			c->count[METRICS_FAILED]++;
		c->failed_counted = 1;
		c->open_at = 0;
	} else if (strcmp(ev->type, "failover.refused") == 0) {
		metrics_failover_get(f, ev->cluster)->count[METRICS_REFUSED]++;
	} else if (strcmp(ev->type, "failover.paused") == 0) {
		metrics_failover_get(f, ev->cluster)->count[METRICS_PAUSED]++;
	}
}

void
metrics_failovers_free(struct metrics_failovers *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].cluster);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void
metrics_notify_load(const char *path, struct metrics_notify **out, size_t *n)
{
	struct metrics_notify *list = NULL;
	unsigned long long s, fl, d;
	char line[256], name[128];
	size_t k = 0;
	FILE *f;

	*out = NULL;
	*n = 0;
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%127s %llu %llu %llu", name, &s, &fl, &d) != 4)
			continue;
		list = xreallocarray(list, k + 1, sizeof(*list));
		list[k].channel = xstrdup(name);
		list[k].sent = s;
		list[k].failed = fl;
		list[k].dropped = d;
		k++;
	}
	fclose(f);
	*out = list;
	*n = k;
}

void
metrics_notify_free(struct metrics_notify *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i].channel);
	free(list);
}

void
metrics_daemon_copy(struct metrics_daemon *dst, const struct metrics_daemon *src)
{
	size_t i;

	*dst = *src;
	dst->engines = xcalloc(src->n_engines == 0 ? 1 : src->n_engines, sizeof(*dst->engines));
	for (i = 0; i < src->n_engines; i++) {
		dst->engines[i].cluster = xstrdup(src->engines[i].cluster);
		dst->engines[i].engine = xstrdup(src->engines[i].engine);
		dst->engines[i].up = src->engines[i].up;
	}
	dst->manager = src->manager != NULL ? xstrdup(src->manager) : NULL;
	dst->leases = xcalloc(src->n_leases == 0 ? 1 : src->n_leases, sizeof(*dst->leases));
	for (i = 0; i < src->n_leases; i++) {
		dst->leases[i].cluster = xstrdup(src->leases[i].cluster);
		dst->leases[i].epoch = src->leases[i].epoch;
		dst->leases[i].held = src->leases[i].held;
	}
}

void
metrics_daemon_clear(struct metrics_daemon *d)
{
	size_t i;

	for (i = 0; i < d->n_engines; i++) {
		free(d->engines[i].cluster);
		free(d->engines[i].engine);
	}
	free(d->engines);
	for (i = 0; i < d->n_leases; i++)
		free(d->leases[i].cluster);
	free(d->leases);
	free(d->manager);
	memset(d, 0, sizeof(*d));
}

/* --- the page --- */

static const char *
metrics_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* 1/0 for a JSON boolean, -1 when null or missing. */
static int
metrics_json_bool(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v);
}

static json_object *
metrics_json_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *
metrics_clusters(const struct metrics_input *in)
{
	json_object *a = in->status != NULL ? metrics_json_get(in->status, "clusters") : NULL;

	return a != NULL && json_object_is_type(a, json_type_array) ? a : NULL;
}

static const struct metrics_engine *
metrics_engine_of(const struct metrics_input *in, const char *cluster)
{
	size_t i;

	for (i = 0; in->daemon != NULL && i < in->daemon->n_engines; i++) {
		if (strcmp(in->daemon->engines[i].cluster, cluster) == 0)
			return &in->daemon->engines[i];
	}
	return NULL;
}

/* Whether cluster is one the fleet has now (failover series of deleted clusters go). */
static int
metrics_known(const struct metrics_input *in, const char *cluster)
{
	json_object *a = metrics_clusters(in);
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	const char *name;

	if (metrics_engine_of(in, cluster) != NULL)
		return 1;
	for (i = 0; i < n; i++) {
		name = metrics_json_str(json_object_array_get_idx(a, i), "name");
		if (name != NULL && strcmp(name, cluster) == 0)
			return 1;
	}
	return 0;
}

static void
metrics_render_status(struct metrics_out *m, const struct metrics_input *in)
{
	static const char *const verdicts[] = {"ok", "degraded", "at-risk", "unprotected", "down"};
	json_object *a = metrics_clusters(in), *c, *nodes, *nd, *live, *lag, *holders, *v;
	const struct metrics_engine *e;
	const char *name, *verdict, *state, *desired, *node_role, *host;
	char hp[320];
	size_t i, j, k, n = a != NULL ? json_object_array_length(a) : 0, nn;
	int probed = in->status != NULL && metrics_json_bool(in->status, "probed") == 1;
	int up, known, running;

	metrics_family(m, "mhaadm_cluster_ok", "gauge",
	    "1 when the cluster's verdict at the last status pass was ok (monitored, writable "
	    "master, replicas fine, VIP on the master)");
	for (i = 0; probed && i < n; i++) {
		c = json_object_array_get_idx(a, i);
		name = metrics_json_str(c, "name");
		verdict = metrics_json_str(c, "verdict");
		if (name != NULL && verdict != NULL)
			metrics_sample(m, "mhaadm_cluster_ok", METRICS_LABELS("cluster", name),
			    strcmp(verdict, "ok") == 0);
	}
	metrics_family(m, "mhaadm_cluster_verdict", "gauge",
	    "1 for the cluster's verdict at the last status pass, 0 for the other verdicts");
	for (i = 0; probed && i < n; i++) {
		c = json_object_array_get_idx(a, i);
		name = metrics_json_str(c, "name");
		verdict = metrics_json_str(c, "verdict");
		for (k = 0; name != NULL && verdict != NULL && k < 5; k++)
			metrics_sample(m, "mhaadm_cluster_verdict",
			    METRICS_LABELS("cluster", name, "verdict", verdicts[k]),
			    strcmp(verdict, verdicts[k]) == 0);
	}
	metrics_family(m, "mhaadm_cluster_protected", "gauge",
	    "1 when an automatic failover would happen now: monitoring wanted, the cluster "
	    "monitored or failing over, and its engine running");
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(a, i);
		name = metrics_json_str(c, "name");
		state = metrics_json_str(c, "state");
		desired = metrics_json_str(c, "desired");
		if (name == NULL || state == NULL || desired == NULL)
			continue;
		e = metrics_engine_of(in, name);
		running = e != NULL
		              ? e->up
		              : metrics_json_bool(metrics_json_get(c, "engine"), "running") == 1;
		metrics_sample(m, "mhaadm_cluster_protected", METRICS_LABELS("cluster", name),
		    strcmp(desired, "monitored") == 0 &&
		        (strcmp(state, "monitoring") == 0 || strcmp(state, "failing_over") == 0) &&
		        running);
	}
	metrics_family(m, "mhaadm_vip_holders", "gauge",
	    "Hosts of the cluster holding its VIP at the last status pass (1 is right; 2 or more "
	    "is "
	    "a split brain); absent when no host could be asked");
	for (i = 0; probed && i < n; i++) {
		c = json_object_array_get_idx(a, i);
		name = metrics_json_str(c, "name");
		holders = metrics_json_get(c, "vip_holders");
		nodes = metrics_json_get(c, "nodes");
		if (name == NULL || holders == NULL || nodes == NULL)
			continue;
		known = 0;
		nn = json_object_array_length(nodes);
		for (j = 0; j < nn; j++) {
			live = metrics_json_get(json_object_array_get_idx(nodes, j), "live");
			known += live != NULL && metrics_json_bool(live, "holds_vip") >= 0;
		}
		if (known > 0)
			metrics_sample(m, "mhaadm_vip_holders", METRICS_LABELS("cluster", name),
			    (double)json_object_array_length(holders));
	}
	metrics_family(m, "mhaadm_replicas_promotable", "gauge",
	    "Replicas of the cluster that may be promoted now (0: a failover would fail)");
	for (i = 0; probed && i < n; i++) {
		c = json_object_array_get_idx(a, i);
		name = metrics_json_str(c, "name");
		v = metrics_json_get(c, "replicas_promotable");
		if (name != NULL && v != NULL)
			metrics_sample(m, "mhaadm_replicas_promotable",
			    METRICS_LABELS("cluster", name), (double)json_object_get_int64(v));
	}
	metrics_family(
	    m, "mhaadm_node_up", "gauge", "1 when the node answered MySQL at the last status pass");
	for (i = 0; probed && i < n; i++) {
		c = json_object_array_get_idx(a, i);
		name = metrics_json_str(c, "name");
		nodes = metrics_json_get(c, "nodes");
		nn = nodes != NULL ? json_object_array_length(nodes) : 0;
		for (j = 0; name != NULL && j < nn; j++) {
			nd = json_object_array_get_idx(nodes, j);
			host = metrics_json_str(nd, "host");
			live = metrics_json_get(nd, "live");
			v = metrics_json_get(nd, "port");
			if (host == NULL || live == NULL || v == NULL)
				continue;
			up = metrics_json_bool(live, "reachable");
			snprintf(hp, sizeof(hp), "%s:%d", host, json_object_get_int(v));
			metrics_sample(m, "mhaadm_node_up",
			    METRICS_LABELS("cluster", name, "node", hp), up == 1);
		}
	}
	metrics_family(m, "mhaadm_replica_lag_seconds", "gauge",
	    "Seconds_Behind_Master of a replica at the last status pass; absent when unknown "
	    "(replication stopped, node down)");
	for (i = 0; probed && i < n; i++) {
		c = json_object_array_get_idx(a, i);
		name = metrics_json_str(c, "name");
		nodes = metrics_json_get(c, "nodes");
		nn = nodes != NULL ? json_object_array_length(nodes) : 0;
		for (j = 0; name != NULL && j < nn; j++) {
			nd = json_object_array_get_idx(nodes, j);
			host = metrics_json_str(nd, "host");
			node_role = metrics_json_str(nd, "role");
			live = metrics_json_get(nd, "live");
			v = metrics_json_get(nd, "port");
			lag = live != NULL ? metrics_json_get(live, "seconds_behind_master") : NULL;
			if (host == NULL || node_role == NULL ||
			    strcmp(node_role, "replica") != 0 || lag == NULL || v == NULL)
				continue;
			snprintf(hp, sizeof(hp), "%s:%d", host, json_object_get_int(v));
			metrics_sample(m, "mhaadm_replica_lag_seconds",
			    METRICS_LABELS("cluster", name, "node", hp),
			    (double)json_object_get_int64(lag));
		}
	}
}

static void
metrics_render_failovers(struct metrics_out *m, const struct metrics_input *in)
{
	const struct metrics_failovers *f = in->failovers;
	json_object *a = metrics_clusters(in);
	char le[32];
	size_t i, k, n = a != NULL ? json_object_array_length(a) : 0;
	unsigned long long cum = 0;
	const char *name;
	const struct metrics_failover *c;

	metrics_family(m, "mhaadm_failovers_total", "counter",
	    "Automatic failovers in the registry's history, by result (success, failed; refused by "
	    "MHA, paused by the storm breaker)");
	/* Every cluster of the fleet has every result, at 0 until it happens (rate() needs it). */
	for (i = 0; f != NULL && i < n; i++) {
		name = metrics_json_str(json_object_array_get_idx(a, i), "name");
		if (name == NULL)
			continue;
		c = NULL;
		for (k = 0; k < f->n; k++) {
			if (strcmp(f->v[k].cluster, name) == 0)
				c = &f->v[k];
		}
		for (k = 0; k < METRICS_NRESULTS; k++)
			metrics_sample(m, "mhaadm_failovers_total",
			    METRICS_LABELS("cluster", name, "result", metrics_result_name(k)),
			    c != NULL ? (double)c->count[k] : 0);
	}
	/* Clusters the status pass has not seen yet but the daemon runs. */
	for (k = 0; f != NULL && k < f->n; k++) {
		c = &f->v[k];
		for (i = 0; i < n; i++) {
			name = metrics_json_str(json_object_array_get_idx(a, i), "name");
			if (name != NULL && strcmp(name, c->cluster) == 0)
				break;
		}
		if (i < n || !metrics_known(in, c->cluster))
			continue;
		for (i = 0; i < METRICS_NRESULTS; i++)
			metrics_sample(m, "mhaadm_failovers_total",
			    METRICS_LABELS("cluster", c->cluster, "result", metrics_result_name(i)),
			    (double)c->count[i]);
	}
	metrics_family(m, "mhaadm_last_failover_timestamp_seconds", "gauge",
	    "Unix time of the cluster's newest completed failover; absent when it never had one");
	for (k = 0; f != NULL && k < f->n; k++) {
		c = &f->v[k];
		if (c->last_at > 0 && metrics_known(in, c->cluster))
			metrics_sample(m, "mhaadm_last_failover_timestamp_seconds",
			    METRICS_LABELS("cluster", c->cluster), c->last_at);
	}
	metrics_family(m, "mhaadm_last_failover_duration_seconds", "gauge",
	    "Seconds from failover.started to failover.completed of the cluster's newest failover "
	    "(whole seconds, as the history records them)");
	for (k = 0; f != NULL && k < f->n; k++) {
		c = &f->v[k];
		if (c->last_duration >= 0 && metrics_known(in, c->cluster))
			metrics_sample(m, "mhaadm_last_failover_duration_seconds",
			    METRICS_LABELS("cluster", c->cluster), c->last_duration);
	}
	metrics_family(m, "mhaadm_failover_duration_seconds", "histogram",
	    "Seconds from failover.started to failover.completed, every completed failover of the "
	    "fleet in the registry's history");
	if (f == NULL)
		return;
	for (k = 0; k < METRICS_NBUCKETS; k++) {
		cum += f->bucket[k];
		snprintf(le, sizeof(le), "%g", metrics_buckets[k]);
		metrics_sample(m, "mhaadm_failover_duration_seconds_bucket",
		    METRICS_LABELS("le", le), (double)cum);
	}
	cum += f->bucket[METRICS_NBUCKETS];
	metrics_sample(m, "mhaadm_failover_duration_seconds_bucket", METRICS_LABELS("le", "+Inf"),
	    (double)cum);
	metrics_sample(m, "mhaadm_failover_duration_seconds_sum", NULL, f->sum);
	metrics_sample(m, "mhaadm_failover_duration_seconds_count", NULL, (double)f->count);
}

static void
metrics_render_notify(struct metrics_out *m, const struct metrics_input *in)
{
	static const char *const results[] = {"sent", "failed", "dropped"};
	const struct metrics_notify *nt;
	size_t i, k;
	double v;

	metrics_family(m, "mhaadm_notifications_total", "counter",
	    "Notifications by channel and result: sent, failed (after every retry), dropped (queue "
	    "full while the channel hung)");
	for (i = 0; i < in->n_channels; i++) {
		nt = NULL;
		for (k = 0; k < in->n_notify; k++) {
			if (strcmp(in->notify[k].channel, in->channels[i]) == 0)
				nt = &in->notify[k];
		}
		for (k = 0; k < 3; k++) {
			v = nt == NULL ? 0
			    : k == 0   ? (double)nt->sent
			    : k == 1   ? (double)nt->failed
			               : (double)nt->dropped;
			metrics_sample(m, "mhaadm_notifications_total",
			    METRICS_LABELS("channel", in->channels[i], "result", results[k]), v);
		}
	}
}

/*
 * Manager HA: this manager's name, and per cluster whether it holds the
 * lease now (0 for every other cluster it knows): summed over the fleet's
 * managers, 1 per cluster is right, 0 is an orphan, 2 must never happen.
 */
static void
metrics_render_leases(struct metrics_out *m, const struct metrics_daemon *d)
{
	size_t i, held = 0;

	metrics_family(m, "mhaadm_manager_info", "gauge",
	    "Always 1 under manager HA; the manager_name of this daemon");
	metrics_sample(m, "mhaadm_manager_info", METRICS_LABELS("manager", d->manager), 1);
	metrics_family(m, "mhaadm_lease_held", "gauge",
	    "1 when this manager holds the cluster's lease and may act for it now, else 0");
	for (i = 0; i < d->n_leases; i++) {
		metrics_sample(m, "mhaadm_lease_held",
		    METRICS_LABELS("cluster", d->leases[i].cluster, "manager", d->manager),
		    d->leases[i].held);
		held += d->leases[i].held != 0;
	}
	metrics_family(m, "mhaadm_lease_epoch", "gauge",
	    "The epoch (fencing token) of the lease this manager holds; absent when it holds none");
	for (i = 0; i < d->n_leases; i++) {
		if (!d->leases[i].held)
			continue;
		metrics_sample(m, "mhaadm_lease_epoch",
		    METRICS_LABELS("cluster", d->leases[i].cluster, "manager", d->manager),
		    (double)d->leases[i].epoch);
	}
	metrics_family(m, "mhaadm_leases_held", "gauge", "Clusters whose lease this manager holds");
	metrics_sample(
	    m, "mhaadm_leases_held", METRICS_LABELS("manager", d->manager), (double)held);
}

char *
metrics_render(const struct metrics_input *in)
{
	struct metrics_out m = {0};
	const struct metrics_daemon *d = in->daemon;
	const char *at;
	size_t i;

	metrics_family(&m, "mhaadm_build_info", "gauge", "Always 1; the version of mhaadm");
	metrics_sample(&m, "mhaadm_build_info", METRICS_LABELS("version", in->version), 1);
	if (d != NULL) {
		metrics_family(&m, "mhaadm_daemon_start_time_seconds", "gauge",
		    "Unix time the daemon started");
		metrics_sample(&m, "mhaadm_daemon_start_time_seconds", NULL, (double)d->started);
		metrics_family(&m, "mhaadm_daemon_last_tick_timestamp_seconds", "gauge",
		    "Unix time of the supervisor loop's last tick (it ticks every second)");
		metrics_sample(
		    &m, "mhaadm_daemon_last_tick_timestamp_seconds", NULL, (double)d->published);
	}
	metrics_family(&m, "mhaadm_registry_up", "gauge",
	    "1 when the registry could be read (the supervisor loop's last tick and the HTTP "
	    "side's last read of the events)");
	metrics_sample(
	    &m, "mhaadm_registry_up", NULL, in->registry_up && (d == NULL || d->registry_up));
	metrics_family(&m, "mhaadm_status_pass_timestamp_seconds", "gauge",
	    "Unix time of the status pass whose findings these metrics show; absent before the "
	    "first one (probe_interval 0 turns it off)");
	at = in->status != NULL ? metrics_json_str(in->status, "generated_at") : NULL;
	if (at != NULL && metrics_parse_time(at) > 0)
		metrics_sample(
		    &m, "mhaadm_status_pass_timestamp_seconds", NULL, metrics_parse_time(at));
	metrics_family(&m, "mhaadm_engine_up", "gauge",
	    "1 when the cluster's engine process runs under this daemon");
	for (i = 0; d != NULL && i < d->n_engines; i++)
		metrics_sample(&m, "mhaadm_engine_up",
		    METRICS_LABELS(
		        "cluster", d->engines[i].cluster, "engine", d->engines[i].engine),
		    d->engines[i].up);
	if (d != NULL && d->manager != NULL)
		metrics_render_leases(&m, d);
	if (d != NULL && d->notifier_wanted) {
		metrics_family(&m, "mhaadm_notifier_up", "gauge",
		    "1 when the notifier process runs (channels are configured)");
		metrics_sample(&m, "mhaadm_notifier_up", NULL, d->notifier_up);
	}
	metrics_render_status(&m, in);
	metrics_render_failovers(&m, in);
	metrics_render_notify(&m, in);
	return metrics_take(&m);
}
