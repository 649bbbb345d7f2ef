/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm watch (internal, run by the daemon every probe_interval seconds):
 * one live-status pass over the monitored clusters. What it finds wrong
 * (drift, lag beyond max_lag, stopped threads, a misplaced VIP) becomes an
 * event once it has lasted lag_hold passes, and its end another; a replica
 * whose lag-policy state changed for lag_hold passes makes it ask the
 * engine to restart monitoring on it (engine_ops.request_restart).
 * What was seen is kept in <workdir>/watch.json between passes, so a blip
 * is never an event and never a restart. With auto_rejoin = yes it also
 * rejoins failed former masters that answer again (cmd_watch_rejoin).
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "event.h"
#include "fleet-doc.h"
#include "fsutil.h"
#include "guard.h"
#include "lease.h"
#include "log.h"
#include "probe.h"
#include "registry.h"
#include "status.h"
#include "xmalloc.h"

/* Findings the daemon reports itself (the table of event types says which): not repeated here. */
static int
cmd_watch_own_kind(const char *kind)
{
	return event_type_is(kind, EVENT_DAEMON);
}

/* The event that says a finding of this kind is over. */
static const char *
cmd_watch_resolved_kind(const char *kind)
{
	const char *r = event_type_resolved_by(kind);

	return r != NULL ? r : "status.resolved";
}

static json_object *
cmd_watch_get(json_object *parent, const char *key)
{
	json_object *o = NULL;

	if (!json_object_object_get_ex(parent, key, &o) ||
	    !json_object_is_type(o, json_type_object)) {
		o = json_object_new_object();
		json_object_object_add(parent, key, o);
	}
	return o;
}

static int
cmd_watch_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : 0;
}

/* Turns this pass's findings into events once they last, and their end too. */
static void
cmd_watch_findings(struct cmd_ctx *ctx, struct registry *reg, const struct status_cluster *sc,
    json_object *prev, json_object *next, int guard_handled)
{
	const struct status_finding *f;
	json_object *e, *old;
	char *key;
	size_t i;
	int seen, reported;

	for (i = 0; i < sc->n_findings; i++) {
		f = &sc->findings[i];
		if (cmd_watch_own_kind(f->kind))
			continue;
		/* Repaired or fallen back in this pass: cmd_watch_guard has said so already. */
		if (guard_handled && (strcmp(f->kind, "guard.off") == 0 ||
		                         strcmp(f->kind, "guard.replica_off") == 0))
			continue;
		key = xasprintf("%s|%s", f->kind, f->node != NULL ? f->node : "");
		seen = reported = 0;
		if (json_object_object_get_ex(prev, key, &old)) {
			seen = cmd_watch_int(old, "seen");
			reported = cmd_watch_int(old, "reported");
		}
		seen++;
		/*
		 * The guard's findings are reported at once: a stalled master is an
		 * outage now, and a missing guard is a risk now.
		 */
		if (!reported &&
		    (seen >= ctx->cfg->lag_hold || strncmp(f->kind, "guard.", 6) == 0)) {
			event_emit(reg, sc->c->name, f->node, f->kind, "%s%s%s", f->what,
			    f->fix != NULL ? "; to do: " : "", f->fix != NULL ? f->fix : "");
			reported = 1;
		}
		e = json_object_new_object();
		json_object_object_add(e, "seen", json_object_new_int(seen));
		json_object_object_add(e, "reported", json_object_new_int(reported));
		json_object_object_add(e, "kind", json_object_new_string(f->kind));
		json_object_object_add(e, "what", json_object_new_string(f->what));
		if (f->node != NULL)
			json_object_object_add(e, "node", json_object_new_string(f->node));
		json_object_object_add(next, key, e);
		free(key);
	}
	/* Gone for lag_hold passes: over. Gone for less: kept, in case it is a blip. */
	json_object_object_foreach(prev, pkey, pval)
	{
		json_object *kind = NULL, *what = NULL, *node = NULL;
		int absent = cmd_watch_int(pval, "absent") + 1;

		if (json_object_object_get_ex(next, pkey, &e))
			continue;
		if (!cmd_watch_int(pval, "reported"))
			continue;
		json_object_object_get_ex(pval, "kind", &kind);
		json_object_object_get_ex(pval, "what", &what);
		json_object_object_get_ex(pval, "node", &node);
		if (absent >= ctx->cfg->lag_hold) {
			event_emit(reg, sc->c->name,
			    node != NULL ? json_object_get_string(node) : NULL,
			    cmd_watch_resolved_kind(json_object_get_string(kind)), "over: %s",
			    json_object_get_string(what));
			continue;
		}
		e = json_object_get(pval);
		json_object_object_add(e, "absent", json_object_new_int(absent));
		json_object_object_add(next, pkey, e);
	}
}

/* The master's probe of sc, or NULL when the registry names none. */
static const struct status_node *
cmd_watch_master(const struct status_cluster *sc, const struct registry_node **nd)
{
	size_t i;

	for (i = 0; i < sc->c->n_nodes; i++) {
		if (sc->c->nodes[i].role == REGISTRY_ROLE_MASTER) {
			*nd = &sc->c->nodes[i];
			return &sc->nodes[i];
		}
	}
	return NULL;
}

/* Whether some replica's IO thread runs from the master again: it can acknowledge. */
static int
cmd_watch_replica_back(const struct status_cluster *sc, const struct registry_node *m)
{
	const struct probe_result *pr;
	size_t i;

	for (i = 0; i < sc->c->n_nodes; i++) {
		pr = &sc->nodes[i].probe;
		if (sc->c->nodes[i].role == REGISTRY_ROLE_REPLICA && pr->ok && pr->io_running &&
		    pr->master_host != NULL && strcasecmp(pr->master_host, m->host) == 0 &&
		    pr->master_port == m->port)
			return 1;
	}
	return 0;
}

/*
 * Keeps the isolation guard right (guard.h) on a monitored cluster, every
 * pass: after a failover, a switchover, a rejoin or a restarted mysqld
 * (SET GLOBAL does not survive one) the servers are brought back to the
 * guard, and that is an event. A master that no replica acknowledges
 * stalls; with semisync_fallback_seconds set, after that long mhaadm turns
 * the master side off so writes resume, says that the split-brain window
 * is open again, and turns it back on once a replica follows the master.
 * This only ever happens while the manager reaches the master: a master
 * cut off from the manager never gets the fallback. Returns 1 when the
 * guard's own findings were handled here (not to be reported again).
 */
static int
cmd_watch_guard(struct cmd_ctx *ctx, struct registry *reg, const struct status_cluster *sc,
    json_object *prev, json_object *next)
{
	struct probe_credentials cred = {ctx->cfg->ha_user, ctx->cfg->ha_password,
	    ctx->cfg->probe_timeout, ctx->cfg->read_timeout};
	const struct registry_cluster *c = sc->c;
	const struct registry_node *m = NULL;
	const struct status_node *msn = cmd_watch_master(sc, &m);
	const char *why;
	char *done = NULL, *cause = NULL, hp[300];
	long long since = 0;
	time_t now = time(NULL);
	int fallback = config_cluster_fallback(ctx->cfg, c->name), fell_back, r, handled = 0;
	json_object *v;

	if (msn == NULL || !msn->probe.ok || !msn->probe.semisync.known ||
	    guard_mode_of(ctx->cfg, c, &why) != GUARD_SEMISYNC)
		return 0;
	snprintf(hp, sizeof(hp), "%s:%d", m->host, m->port);
	fell_back = cmd_watch_int(prev, "fallback");
	if (json_object_object_get_ex(prev, "stalled_since", &v))
		since = json_object_get_int64(v);
	if (fell_back) {
		if (!cmd_watch_replica_back(sc, m)) {
			json_object_object_add(next, "fallback", json_object_new_int(1));
			return 1;
		}
		if (guard_master_on(&cred, m->host, m->port, &cause) != 0) {
			log_warn("cluster=%s guard not restored: %s", c->name, cause);
			free(cause);
			json_object_object_add(next, "fallback", json_object_new_int(1));
			return 1;
		}
		event_emit(reg, c->name, hp, "guard.restored",
		    "a replica follows the master %s again: semi-sync is back on there; the "
		    "isolation guard is on again",
		    hp);
		return 1;
	}
	/* A replica whose mysqld restarted no longer acknowledges: that too is repaired here. */
	r = guard_apply_status(&cred, sc, GUARD_SEMISYNC, &done, &cause);
	if (r > 0) {
		event_emit(reg, c->name, hp, "guard.repaired",
		    "isolation guard semisync (%s) set "
		    "again: %s",
		    why, done);
		handled = 1;
	} else if (r < 0) {
		log_warn("cluster=%s isolation guard not repaired: %s", c->name, cause);
		free(cause);
	}
	free(done);
	if (sc->guard_stalled) {
		if (since == 0)
			since = (long long)now;
		if (fallback > 0 && (long long)now - since >= fallback) {
			if (guard_master_off(&cred, m->host, m->port, &cause) != 0) {
				log_warn("cluster=%s guard fallback failed: %s", c->name, cause);
				free(cause);
			} else {
				event_emit(reg, c->name, hp, "guard.fallback",
				    "no replica acknowledged for %lld s (semisync_fallback_seconds "
				    "= "
				    "%d): semi-sync turned off on the master %s so that its writes "
				    "resume; the isolation guard is OFF: until a replica "
				    "acknowledges "
				    "again, a master cut off from its replicas acknowledges writes "
				    "a "
				    "failover loses (split brain)",
				    (long long)now - since, fallback, hp);
				json_object_object_add(next, "fallback", json_object_new_int(1));
				return 1;
			}
		}
		json_object_object_add(next, "stalled_since", json_object_new_int64(since));
	}
	return handled;
}

/* Whether unfit (the engine's "HOST:PORT reason" lines) names the replica hp. */
static int
cmd_watch_rendered(const char *unfit, const char *hp)
{
	size_t len = strlen(hp);
	const char *line;

	for (line = unfit; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, hp, len) == 0 && line[len] == ' ')
			return 1;
	}
	return 0;
}

/*
 * The lag policy over time: each replica's "unfit" state must hold for
 * lag_hold passes before it differs from what the engine applies; then the
 * engine is asked to restart on it. Never when that leaves nothing to
 * promote (the engine would refuse to monitor at all), nor while the
 * engine is not monitoring normally, nor with the policy turned off by
 * start --force.
 */
static void
cmd_watch_policy(struct cmd_ctx *ctx, const struct status_cluster *sc,
    const struct status_monitor *mon, json_object *prev, json_object *next)
{
	const struct registry_cluster *c = sc->c;
	struct engine_env env = {ctx->cfg, ctx->config_path, NULL};
	const struct engine_ops *engine = engine_for(ctx->cfg, c->engine);
	json_object *e, *old;
	char hp[300], *why = NULL, *reason = xstrdup(""), *tmp, *cause = NULL, *unfit = NULL;
	size_t i;
	int unfit_now, streak, was, on;

	on = engine->lag_policy(&env, c->name, &unfit);
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role != REGISTRY_ROLE_REPLICA || !sc->nodes[i].probe.ok)
			continue;
		snprintf(hp, sizeof(hp), "%s:%d", c->nodes[i].host, c->nodes[i].port);
		unfit_now = status_lag_unfit(&sc->nodes[i].probe, ctx->cfg->max_lag, &why);
		if (!unfit_now && sc->nodes[i].unfit != NULL &&
		    strncmp(sc->nodes[i].unfit, "errant", 6) == 0) {
			/* Errant transactions: never promoted, whatever the lag (see status_judge).
			 */
			unfit_now = 1;
			why = xstrdup(sc->nodes[i].unfit);
		}
		streak = 0;
		if (json_object_object_get_ex(prev, hp, &old) &&
		    cmd_watch_int(old, "unfit") == unfit_now)
			streak = cmd_watch_int(old, "streak");
		streak++;
		e = json_object_new_object();
		json_object_object_add(e, "unfit", json_object_new_int(unfit_now));
		json_object_object_add(e, "streak", json_object_new_int(streak));
		json_object_object_add(next, hp, e);
		was = cmd_watch_rendered(unfit, hp);
		if (streak >= ctx->cfg->lag_hold && unfit_now != was) {
			tmp = xasprintf("%s%s%s %s", reason, *reason ? "; " : "", hp,
			    unfit_now ? why : "may be promoted again");
			free(reason);
			reason = tmp;
		}
		free(why);
		why = NULL;
	}
	if (*reason != '\0' && mon->running && mon->health_ok && sc->fit > 0 && on &&
	    engine->request_restart(&env, c->name, reason, &cause) < 0) {
		log_warn("cluster=%s %s", c->name, cause);
		free(cause);
	}
	free(unfit);
	free(reason);
}

/*
 * Dead replicas over time: a replica the engine monitors that stays
 * unreachable for lag_hold passes, or one it left out that answers again
 * and has caught up for lag_hold passes, makes the daemon re-render and
 * restart the engine (which leaves out, or takes back, what it finds then).
 * Never while the engine is not monitoring normally (starting, failing
 * over), and a replica is left out only while another may be promoted.
 */
static void
cmd_watch_members(struct cmd_ctx *ctx, const struct status_cluster *sc,
    const struct status_monitor *mon, json_object *prev, json_object *next)
{
	const struct registry_cluster *c = sc->c;
	struct engine_env env = {ctx->cfg, ctx->config_path, NULL};
	const struct engine_ops *engine = engine_for(ctx->cfg, c->engine);
	const struct status_node *sn;
	json_object *e, *old;
	char hp[300], *reason = xstrdup(""), *tmp, *cause = NULL;
	size_t i;
	int wrong, streak;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role != REGISTRY_ROLE_REPLICA)
			continue;
		sn = &sc->nodes[i];
		snprintf(hp, sizeof(hp), "%s:%d", c->nodes[i].host, c->nodes[i].port);
		/* Wrong: what the engine renders no longer fits what is seen. */
		wrong = sn->left_out ? sn->probe.ok && sn->caught_up : !sn->probe.ok && sc->fit > 0;
		streak = 0;
		if (wrong && json_object_object_get_ex(prev, hp, &old))
			streak = cmd_watch_int(old, "streak");
		streak += wrong;
		e = json_object_new_object();
		json_object_object_add(e, "streak", json_object_new_int(streak));
		json_object_object_add(next, hp, e);
		if (streak >= ctx->cfg->lag_hold) {
			tmp = xasprintf("%s%s%s %s", reason, *reason ? "; " : "", hp,
			    sn->left_out ? "answers again and has caught up"
			                 : "is unreachable: leaving it out");
			free(reason);
			reason = tmp;
		}
	}
	if (*reason != '\0' && mon->running && mon->health_ok &&
	    engine->request_restart(&env, c->name, reason, &cause) < 0) {
		log_warn("cluster=%s %s", c->name, cause);
		free(cause);
	}
	free(reason);
}

/*
 * Failover readiness over time: whether a failover started now would
 * succeed (status_failover_ready). A change that lasts lag_hold passes is
 * an event, cluster.failover_blocked (with why) or cluster.failover_ready;
 * a cluster is taken to be ready until seen otherwise, so a healthy start
 * says nothing. While the engine starts or fails over nothing is judged.
 */
static void
cmd_watch_readiness(struct cmd_ctx *ctx, struct registry *reg, const struct status_cluster *sc,
    const struct status_monitor *mon, json_object *prev, json_object *next)
{
	json_object *v;
	char *why = NULL;
	int ready, reported = 1, streak = 0, seen = -1;

	if (json_object_object_get_ex(prev, "reported", &v))
		reported = json_object_get_int(v);
	if (json_object_object_get_ex(prev, "seen", &v))
		seen = json_object_get_int(v);
	if (json_object_object_get_ex(prev, "streak", &v))
		streak = json_object_get_int(v);
	ready = status_failover_ready(sc, mon, &why);
	if (ready >= 0) {
		streak = ready == seen ? streak + 1 : 1;
		seen = ready;
		if (ready != reported && streak >= ctx->cfg->lag_hold) {
			if (ready)
				event_emit(reg, sc->c->name, NULL, "cluster.failover_ready",
				    "a failover would succeed again: %zu replica%s may be promoted",
				    sc->fit, sc->fit == 1 ? "" : "s");
			else
				event_emit(reg, sc->c->name, NULL, "cluster.failover_blocked",
				    "a failover now would not succeed: %s", why);
			reported = ready;
		}
	}
	json_object_object_add(next, "reported", json_object_new_int(reported));
	json_object_object_add(next, "seen", json_object_new_int(seen));
	json_object_object_add(next, "streak", json_object_new_int(streak));
	free(why);
}

/*
 * auto_rejoin: a failed former master that answers again, read-only (the
 * fence pass demoted it) and without the VIP, is rejoined
 * (cmd_rejoin_node), only while the engine monitors normally: never while
 * it starts or fails over. A refusal for its GTIDs, or a rejoin that failed
 * on the way, is an event once: the node is marked in watch.json and not
 * tried again while it stays failed (a DBA who fixed it runs mhaadm rejoin).
 * A refusal of the moment (the master does not answer) is only logged, and
 * tried again next pass.
 */
static void
cmd_watch_rejoin(struct cmd_ctx *ctx, struct registry *reg, const struct status_cluster *sc,
    const struct status_monitor *mon, json_object *prev, json_object *next)
{
	const struct registry_cluster *c = sc->c;
	const struct status_node *sn;
	json_object *old;
	char hp[300], *master = NULL, *why = NULL, *extra = NULL;
	size_t i;
	int r;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role != REGISTRY_ROLE_FAILED)
			continue;
		snprintf(hp, sizeof(hp), "%s:%d", c->nodes[i].host, c->nodes[i].port);
		if (json_object_object_get_ex(prev, hp, &old)) {
			json_object_object_add(next, hp, json_object_get(old));
			continue;
		}
		sn = &sc->nodes[i];
		if (!mon->running || !mon->health_ok || !sn->probe.ok || !sn->probe.read_only ||
		    sn->holds_vip != 0)
			continue;
		r = cmd_rejoin_node(
		    ctx, reg, c->name, c->nodes[i].host, c->nodes[i].port, &master, &why, &extra);
		if (r > 0 && extra == NULL)
			log_info("cluster=%s node=%s auto_rejoin: not now: %s", c->name, hp, why);
		else if (r != 0) {
			event_emit_fields(reg, c->name, hp,
			    r > 0 ? "replica.rejoin_refused" : "replica.rejoin_failed",
			    EVENT_FIELDS("master", master, "extra_gtids", extra),
			    "auto_rejoin: failed former master %s %s: %s%s", hp,
			    r > 0 ? "not rejoined" : "rejoin failed", why,
			    r > 0 ? "" : "; it is left read-only with replication stopped");
			json_object_object_add(next, hp, json_object_new_int(1));
		}
		free(master);
		free(why);
		free(extra);
		master = why = extra = NULL;
	}
}

static int
cmd_watch_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_cluster **all = NULL, **list = NULL;
	struct status_opts opts = {NULL, 0, NULL, 0};
	char *cache = NULL;
	struct fleet_doc_live *lv = NULL;
	json_object *doc = NULL;
	char *doc_path = NULL;
	struct status_monitor *mon = NULL;
	struct status_cluster *sc = NULL;
	struct registry *reg;
	json_object *prev = NULL, *next = NULL, *pc, *nc;
	char *cause = NULL, *path = NULL;
	const char *text;
	size_t n_all = 0, n = 0, i;
	int rc = CMD_EXIT_ERROR, guard_handled;
	const char *why;

	(void)argv;
	log_set_level(LOG_LEVEL_INFO);
	log_journal_auto(); /* its lines are the daemon's log */
	if (argc != 1)
		return cmd_usage_error(ctx, "no arguments are taken");
	if ((reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL ||
	    registry_cluster_list(reg, &all, &n_all, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	/*
	 * Every cluster is probed (list reads the VIP holders found here), but
	 * only monitored ones get events: stopped clusters are the DBA's own
	 * business, and list shows them.
	 */
	list = all;
	n = n_all;
	lv = xcalloc(n == 0 ? 1 : n, sizeof(*lv));
	mon = xcalloc(n == 0 ? 1 : n, sizeof(*mon));
	for (i = 0; i < n; i++) {
		/* The config is loaded with the registry. */
		fleet_doc_live_fill(ctx->cfg, ctx->config_path, reg, list[i], &lv[i]);
		engine_monitor(&lv[i].engine, &mon[i]);
		mon[i].problem = lv[i].problem;
	}
	opts.cache_write = cache = status_cache_path(ctx->cfg);
	sc = status_probe(ctx->cfg, list, n, &opts);
	path = xasprintf("%s/watch.json", ctx->cfg->workdir);
	prev = json_object_from_file(path);
	if (prev == NULL || !json_object_is_type(prev, json_type_object)) {
		json_object_put(prev);
		prev = json_object_new_object();
	}
	next = json_object_new_object();
	for (i = 0; i < n; i++) {
		/*
		 * Every cluster is judged as list judges it, for the snapshot
		 * (status.json); only monitored ones get events. The guard is
		 * wanted once monitored: start sets it up.
		 */
		sc[i].guard_wanted = guard_mode_of(ctx->cfg, list[i], &why) == GUARD_SEMISYNC &&
		                     list[i]->desired == REGISTRY_DESIRED_MONITORED;
		sc[i].guard_why =
		    list[i]->desired == REGISTRY_DESIRED_MONITORED ? why : "not monitored";
		status_judge(&sc[i], &mon[i], ctx->cfg->max_lag);
		lv[i].ready = status_failover_ready(&sc[i], &mon[i], &lv[i].ready_why);
		/* Manager HA: another manager acts for the clusters it holds. */
		if (list[i]->desired != REGISTRY_DESIRED_MONITORED ||
		    !lease_held_here(ctx->cfg, list[i]->name))
			continue;
		/* Mid-failover everything looks wrong for a moment: keep the old view. */
		if ((mon[i].failing_over && !(mon[i].suspecting && sc[i].partitioned)) ||
		    list[i]->state == REGISTRY_STATE_FAILING_OVER) {
			if (json_object_object_get_ex(prev, list[i]->name, &pc))
				json_object_object_add(next, list[i]->name, json_object_get(pc));
			continue;
		}
		pc = cmd_watch_get(prev, list[i]->name);
		nc = cmd_watch_get(next, list[i]->name);
		guard_handled = cmd_watch_guard(
		    ctx, reg, &sc[i], cmd_watch_get(pc, "guard"), cmd_watch_get(nc, "guard"));
		cmd_watch_findings(ctx, reg, &sc[i], cmd_watch_get(pc, "findings"),
		    cmd_watch_get(nc, "findings"), guard_handled);
		cmd_watch_policy(
		    ctx, &sc[i], &mon[i], cmd_watch_get(pc, "lag"), cmd_watch_get(nc, "lag"));
		cmd_watch_members(ctx, &sc[i], &mon[i], cmd_watch_get(pc, "members"),
		    cmd_watch_get(nc, "members"));
		cmd_watch_readiness(ctx, reg, &sc[i], &mon[i], cmd_watch_get(pc, "ready"),
		    cmd_watch_get(nc, "ready"));
		if (config_cluster_auto_rejoin(ctx->cfg, list[i]->name))
			cmd_watch_rejoin(ctx, reg, &sc[i], &mon[i], cmd_watch_get(pc, "rejoin"),
			    cmd_watch_get(nc, "rejoin"));
	}
	text = json_object_to_json_string_ext(next, JSON_C_TO_STRING_PLAIN);
	if (fs_mkdirs(ctx->cfg->workdir, 0700, &cause) != 0 ||
	    fs_write_atomic(path, text, strlen(text), &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	/*
	 * What this pass saw, as list --json shows it: the daemon's HTTP API and
	 * metrics serve it, so that a scrape never probes the fleet itself.
	 */
	doc = fleet_doc_fleet(list, lv, sc, n, time(NULL));
	doc_path = xasprintf("%s/status.json", ctx->cfg->workdir);
	text = json_object_to_json_string_ext(
	    doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (fs_write_atomic(doc_path, text, strlen(text), &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	rc = CMD_EXIT_OK;
out:
	for (i = 0; lv != NULL && i < n; i++)
		fleet_doc_live_clear(&lv[i]);
	free(lv);
	json_object_put(doc);
	free(doc_path);
	free(mon);
	status_free(sc, n);
	json_object_put(prev);
	json_object_put(next);
	free(path);
	free(cache);
	free(cause);
	registry_cluster_list_free(all, n_all);
	return rc;
}

const struct cmd_entry cmd_watch_entry = {
    .name = "watch",
    .args = "",
    .summary = "internal: one live-status pass: drift and lag events, lag-policy re-renders "
               "(daemon)",
    .exec = cmd_watch_exec,
    .flags = CMD_INTERNAL,
};
