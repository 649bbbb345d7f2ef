/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fleet document: what list --json prints, what the daemon's status pass
 * keeps in <workdir>/status.json and what the HTTP API serves, built in one
 * place so the three never disagree.
 */
#include "fleet-doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "engine.h"
#include "event.h"
#include "lease.h"
#include "registry.h"
#include "status.h"
#include "validate.h"
#include "xmalloc.h"

/* The master's "HOST:PORT", or "-" when the registry names none. Returns a static buffer. */
static const char *
fleet_doc_master(const struct registry_cluster *c)
{
	static char buf[VALIDATE_HOST_MAX + 8];

	registry_cluster_master(c, buf, sizeof(buf));
	return strcmp(buf, "none") == 0 ? "-" : buf;
}

/* The fields of ev as a new JSON object ({} when it has none). */
struct json_object *
fleet_doc_event_fields(const struct registry_event *ev)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < ev->n_fields; i++)
		json_object_object_add(
		    o, ev->fields[i].key, json_object_new_string(ev->fields[i].value));
	return o;
}

/*
 * Whether an event says why a cluster is not protected (EVENT_PROBLEM) or
 * ends such a problem (EVENT_CLEARS) comes from the table of event types;
 * the newest of either kind decides whether list shows a reason.
 */
/* Manager HA: who holds c's lease, and whether c is at risk (nobody does). */
static void
fleet_doc_lease(struct registry *reg, const struct registry_cluster *c, struct fleet_doc_live *lv)
{
	struct registry_lease *ls = NULL;
	char *cause = NULL;
	size_t n = 0, i;

	if (registry_lease_list(reg, &ls, &n, &cause) != 0) {
		free(cause); /* an older schema, or the registry away: nothing known */
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ls[i].cluster, c->name) == 0 && ls[i].owner != NULL &&
		    ls[i].remaining_ms > 0)
			lv->manager = xstrdup(ls[i].owner);
	}
	lv->at_risk = lv->manager == NULL && c->desired == REGISTRY_DESIRED_MONITORED;
	registry_lease_list_free(ls, n);
}

void
fleet_doc_live_fill(const struct config *cfg, const char *config_path, struct registry *reg,
    const struct registry_cluster *c, struct fleet_doc_live *lv)
{
	static const char *const types[] = {"failover.completed", "failover.master_changed", NULL};
	struct engine_env env = {cfg, config_path, NULL};
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n = 0, i, j;

	memset(lv, 0, sizeof(*lv));
	lv->ops = engine_for(cfg, c->engine);
	lv->ops->status(&env, c->name, &lv->engine);
	if (lease_enabled(cfg))
		fleet_doc_lease(reg, c, lv);
	if (registry_event_list(reg, c->name, 200, &evs, &n, &cause) == 0) {
		for (i = 0; i < n; i++) {
			if (event_type_is(evs[i].type, EVENT_CLEARS))
				break;
			if (!event_type_is(evs[i].type, EVENT_PROBLEM))
				continue;
			/* The daemon's line says when; the engine's line before it says why. */
			if (strcmp(evs[i].type, "engine.checks_failed") == 0 && i + 1 < n &&
			    strcmp(evs[i + 1].type, "checks.failed") == 0)
				lv->problem = xasprintf(
				    "%s: %s; %s", evs[i].type, evs[i + 1].message, evs[i].message);
			else
				lv->problem = xasprintf("%s: %s", evs[i].type, evs[i].message);
			lv->problem_fields = fleet_doc_event_fields(&evs[i]);
			break;
		}
		for (i = 0; i < n && lv->last_failover == NULL; i++) {
			for (j = 0; types[j] != NULL; j++) {
				if (strcmp(evs[i].type, types[j]) == 0) {
					lv->last_failover = xstrdup(evs[i].at);
					break;
				}
			}
		}
		/* A notification that did not reach people is worth a line of its own. */
		for (i = 0; i < n && lv->notify_failed_at == NULL; i++) {
			if (strcmp(evs[i].type, "notify.failed") == 0) {
				lv->notify_failed_at = xstrdup(evs[i].at);
				lv->notify_failed_msg = xstrdup(evs[i].message);
			}
		}
	}
	free(cause);
	registry_event_list_free(evs, n);
}

void
fleet_doc_live_clear(struct fleet_doc_live *lv)
{
	engine_status_clear(&lv->engine);
	free(lv->last_failover);
	free(lv->notify_failed_at);
	free(lv->notify_failed_msg);
	free(lv->problem);
	free(lv->ready_why);
	free(lv->manager);
	json_object_put(lv->problem_fields);
}

static json_object *
fleet_doc_json_int_or_null(long long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static json_object *
fleet_doc_json_str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* What the live probe found on one node (the "live" object of the JSON schema). */
static json_object *
fleet_doc_json_node_live(const struct status_node *sn)
{
	const struct probe_result *pr = &sn->probe;
	json_object *o = json_object_new_object();
	char *src;

	json_object_object_add(o, "reachable", json_object_new_boolean(pr->ok));
	json_object_object_add(o, "error", fleet_doc_json_str_or_null(pr->ok ? NULL : pr->error));
	json_object_object_add(
	    o, "server_id", pr->ok ? json_object_new_int64(pr->server_id) : NULL);
	json_object_object_add(
	    o, "read_only", pr->ok ? json_object_new_boolean(pr->read_only) : NULL);
	json_object_object_add(
	    o, "replicating", pr->ok ? json_object_new_boolean(pr->is_replica) : NULL);
	src = pr->ok && pr->is_replica
	          ? xasprintf("%s:%d", pr->master_host ? pr->master_host : "", pr->master_port)
	          : NULL;
	json_object_object_add(o, "source", fleet_doc_json_str_or_null(src));
	free(src);
	json_object_object_add(o, "io_running",
	    pr->ok && pr->is_replica ? json_object_new_boolean(pr->io_running) : NULL);
	json_object_object_add(o, "sql_running",
	    pr->ok && pr->is_replica ? json_object_new_boolean(pr->sql_running) : NULL);
	json_object_object_add(o, "seconds_behind_master",
	    pr->ok && pr->is_replica ? fleet_doc_json_int_or_null(pr->lag) : NULL);
	json_object_object_add(o, "relay_log_behind_bytes",
	    pr->ok && pr->is_replica ? fleet_doc_json_int_or_null(pr->relay_behind) : NULL);
	json_object_object_add(
	    o, "sql_delay", pr->ok && pr->is_replica ? json_object_new_int(pr->sql_delay) : NULL);
	json_object_object_add(
	    o, "replication_error", fleet_doc_json_str_or_null(pr->ok ? pr->last_error : NULL));
	json_object_object_add(
	    o, "holds_vip", sn->holds_vip < 0 ? NULL : json_object_new_boolean(sn->holds_vip));
	json_object_object_add(o, "ssh_error", fleet_doc_json_str_or_null(sn->ssh_error));
	json_object_object_add(o, "promotable", json_object_new_boolean(sn->promotable));
	json_object_object_add(o, "not_promotable_reason", fleet_doc_json_str_or_null(sn->unfit));
	json_object_object_add(o, "left_out", json_object_new_boolean(sn->left_out));
	return o;
}

static void
fleet_doc_json_status(json_object *o, const struct status_cluster *sc)
{
	json_object *arr = json_object_new_array(), *holders = json_object_new_array(), *f;
	const struct probe_result *mpr = NULL;
	size_t i;

	json_object_object_add(
	    o, "verdict", json_object_new_string(status_verdict_name(sc->verdict)));
	json_object_object_add(o, "reason", json_object_new_string(sc->reason));
	for (i = 0; i < sc->n_findings; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "severity",
		    json_object_new_string(status_verdict_name(sc->findings[i].severity)));
		json_object_object_add(f, "kind", json_object_new_string(sc->findings[i].kind));
		json_object_object_add(f, "node", fleet_doc_json_str_or_null(sc->findings[i].node));
		json_object_object_add(f, "message", json_object_new_string(sc->findings[i].what));
		json_object_object_add(f, "fix", fleet_doc_json_str_or_null(sc->findings[i].fix));
		json_object_array_add(arr, f);
	}
	json_object_object_add(o, "findings", arr);
	for (i = 0; i < sc->c->n_nodes; i++) {
		if (sc->nodes[i].holds_vip == 1)
			json_object_array_add(
			    holders, json_object_new_string(sc->c->nodes[i].host));
		if (sc->c->nodes[i].role == REGISTRY_ROLE_MASTER)
			mpr = &sc->nodes[i].probe;
	}
	json_object_object_add(o, "vip_holders", holders);
	json_object_object_add(
	    o, "vip_holders_age", sc->vip_age < 0 ? NULL : json_object_new_int64(sc->vip_age));
	json_object_object_add(o, "master_writable",
	    mpr != NULL && mpr->ok ? json_object_new_boolean(!mpr->read_only) : NULL);
	json_object_object_add(o, "replicas_promotable", json_object_new_int64((int64_t)sc->fit));
	json_object_object_add(o, "replicas_running", json_object_new_int64((int64_t)sc->running));
	json_object_object_add(o, "max_lag", fleet_doc_json_int_or_null(sc->max_lag));
}

json_object *
fleet_doc_cluster(const struct registry_cluster *c, const struct fleet_doc_live *lv,
    const struct status_cluster *sc)
{
	json_object *eng;
	char since[32];
	struct tm tm;
	json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	const struct registry_node *nd;
	json_object *n;
	size_t i;

	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "state", json_object_new_string(registry_state_name(c->state)));
	json_object_object_add(
	    o, "desired", json_object_new_string(registry_desired_name(c->desired)));
	json_object_object_add(o, "vip", json_object_new_string(c->vip));
	json_object_object_add(o, "vip_prefix", json_object_new_int(c->vip_prefix));
	json_object_object_add(o, "iface", json_object_new_string(c->iface));
	json_object_object_add(o, "master",
	    strcmp(fleet_doc_master(c), "-") == 0 ? NULL
	                                          : json_object_new_string(fleet_doc_master(c)));
	json_object_object_add(o, "created_at", fleet_doc_json_str_or_null(c->created_at));
	json_object_object_add(o, "updated_at", fleet_doc_json_str_or_null(c->updated_at));
	for (i = 0; i < c->n_nodes; i++) {
		nd = &c->nodes[i];
		n = json_object_new_object();
		json_object_object_add(n, "host", json_object_new_string(nd->host));
		json_object_object_add(n, "port", json_object_new_int(nd->port));
		json_object_object_add(
		    n, "role", json_object_new_string(registry_role_name(nd->role)));
		json_object_object_add(
		    n, "candidate_master", json_object_new_boolean(nd->candidate_master));
		json_object_object_add(n, "no_master", json_object_new_boolean(nd->no_master));
		json_object_object_add(n, "version", fleet_doc_json_str_or_null(nd->version));
		json_object_object_add(n, "server_id", fleet_doc_json_int_or_null(nd->server_id));
		json_object_object_add(n, "read_only",
		    nd->read_only < 0 ? NULL : json_object_new_boolean(nd->read_only));
		json_object_object_add(
		    n, "log_bin", nd->log_bin < 0 ? NULL : json_object_new_boolean(nd->log_bin));
		json_object_object_add(n, "lag", fleet_doc_json_int_or_null(nd->lag));
		if (sc != NULL)
			json_object_object_add(n, "live", fleet_doc_json_node_live(&sc->nodes[i]));
		json_object_array_add(nodes, n);
	}
	json_object_object_add(o, "nodes", nodes);
	eng = json_object_new_object();
	json_object_object_add(eng, "name", json_object_new_string(lv->ops->name));
	json_object_object_add(eng, "running", json_object_new_boolean(lv->engine.running));
	json_object_object_add(
	    eng, "pid", lv->engine.running ? json_object_new_int64(lv->engine.pid) : NULL);
	if (lv->engine.running && lv->engine.since != 0) {
		gmtime_r(&lv->engine.since, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		json_object_object_add(eng, "since", json_object_new_string(since));
	} else {
		json_object_object_add(eng, "since", NULL);
	}
	json_object_object_add(eng, "health",
	    lv->engine.running && lv->engine.health_name != NULL
	        ? json_object_new_string(lv->engine.health_name)
	        : NULL);
	json_object_object_add(eng, "health_code",
	    lv->engine.running && lv->engine.health_code >= 0
	        ? json_object_new_int(lv->engine.health_code)
	        : NULL);
	json_object_object_add(
	    eng, "failover_error_marker", fleet_doc_json_str_or_null(lv->engine.error_marker));
	json_object_object_add(o, "engine", eng);
	json_object_object_add(o, "last_failover", fleet_doc_json_str_or_null(lv->last_failover));
	json_object_object_add(o, "manager", fleet_doc_json_str_or_null(lv->manager));
	json_object_object_add(o, "at_risk", json_object_new_boolean(lv->at_risk));
	if (sc != NULL) {
		json_object *g = json_object_new_object();

		fleet_doc_json_status(o, sc);
		json_object_object_add(
		    g, "wanted", json_object_new_string(sc->guard_wanted ? "semisync" : "off"));
		json_object_object_add(g, "why",
		    json_object_new_string(
		        sc->guard_why != NULL ? sc->guard_why : "not monitored"));
		json_object_object_add(
		    g, "state", json_object_new_string(sc->guard != NULL ? sc->guard : "unknown"));
		json_object_object_add(
		    g, "acks", sc->guard_acks >= 0 ? json_object_new_int64(sc->guard_acks) : NULL);
		json_object_object_add(o, "guard", g);
		g = json_object_new_object();
		json_object_object_add(g, "wanted", json_object_new_boolean(sc->selffence_wanted));
		json_object_object_add(g, "running",
		    sc->selffence_wanted && sc->selffence_running >= 0
		        ? json_object_new_boolean(sc->selffence_running)
		        : NULL);
		json_object_object_add(o, "self_fence", g);
		json_object_object_add(
		    o, "failover_ready", lv->ready < 0 ? NULL : json_object_new_boolean(lv->ready));
		json_object_object_add(
		    o, "failover_blocked_reason", fleet_doc_json_str_or_null(lv->ready_why));
	}
	if (lv->notify_failed_at != NULL) {
		struct json_object *nf = json_object_new_object();

		json_object_object_add(nf, "at", json_object_new_string(lv->notify_failed_at));
		json_object_object_add(
		    nf, "message", json_object_new_string(lv->notify_failed_msg));
		json_object_object_add(o, "last_notify_failure", nf);
	} else
		json_object_object_add(o, "last_notify_failure", NULL);
	json_object_object_add(
	    o, "problem", lv->problem != NULL ? json_object_new_string(lv->problem) : NULL);
	json_object_object_add(o, "problem_fields",
	    lv->problem_fields != NULL ? json_object_get(lv->problem_fields) : NULL);
	return o;
}

json_object *
fleet_doc_fleet(struct registry_cluster **list, const struct fleet_doc_live *lv,
    const struct status_cluster *sc, size_t n, time_t now)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	char at[32];
	struct tm tm;
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		json_object_array_add(
		    arr, fleet_doc_cluster(list[i], &lv[i], sc != NULL ? &sc[i] : NULL));
		bad += sc != NULL && sc[i].verdict != STATUS_OK;
	}
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S", &tm);
	json_object_object_add(root, "generated_at", json_object_new_string(at));
	json_object_object_add(root, "probed", json_object_new_boolean(sc != NULL));
	json_object_object_add(
	    root, "healthy", sc != NULL ? json_object_new_boolean(bad == 0) : NULL);
	json_object_object_add(root, "clusters", arr);
	return root;
}

json_object *
fleet_doc_event(const struct registry_event *ev)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(ev->id));
	json_object_object_add(o, "at", json_object_new_string(ev->at));
	json_object_object_add(
	    o, "cluster", ev->cluster ? json_object_new_string(ev->cluster) : NULL);
	json_object_object_add(o, "node", ev->node ? json_object_new_string(ev->node) : NULL);
	json_object_object_add(o, "type", json_object_new_string(ev->type));
	json_object_object_add(
	    o, "message", ev->message ? json_object_new_string(ev->message) : NULL);
	json_object_object_add(o, "fields", fleet_doc_event_fields(ev));
	return o;
}
