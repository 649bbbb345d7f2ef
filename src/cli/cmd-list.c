/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm list and history: the live state of the fleet and its audit history, as text or JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "event.h"
#include "fleet-doc.h"
#include "guard.h"
#include "registry.h"
#include "selffence-install.h"
#include "status.h"
#include "validate.h"
#include "xmalloc.h"

static const struct option cmd_list_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {"no-probe", no_argument, NULL, 'P'},
    {"fresh", no_argument, NULL, 'F'},
    {NULL, 0, NULL, 0},
};

/* Exit code of list when some cluster is not ok (1: the command failed, 2: usage). */
#define CMD_LIST_EXIT_UNHEALTHY 3

/* The master's "HOST:PORT", or "-" when the registry names none. Returns a static buffer. */
static const char *
cmd_list_master(const struct registry_cluster *c)
{
	static char buf[VALIDATE_HOST_MAX + 8];

	registry_cluster_master(c, buf, sizeof(buf));
	return strcmp(buf, "none") == 0 ? "-" : buf;
}

static char *
cmd_list_engine_text(const struct fleet_doc_live *lv)
{
	if (!lv->engine.running)
		return xstrdup("-");
	return xasprintf("%s pid %ld",
	    lv->engine.health_name != NULL ? lv->engine.health_name : "STARTING",
	    (long)lv->engine.pid);
}

/* Prints a JSON document and drops it. */
static void
cmd_list_print_json(json_object *root)
{
	printf("%s\n", json_object_to_json_string_ext(
	                   root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

/* Who holds the VIP, in a few characters: "master", "none", "?", "HOST!" or "N hosts!". */
static void
cmd_list_vip_word(const struct status_cluster *sc, char *buf, size_t len)
{
	size_t i, n = 0, unknown = 0, at = 0;

	for (i = 0; i < sc->c->n_nodes; i++) {
		if (sc->nodes[i].holds_vip < 0)
			unknown++;
		else if (sc->nodes[i].holds_vip == 1 && n++ == 0)
			at = i;
	}
	if (n > 1)
		snprintf(buf, len, "%zu hosts!", n);
	else if (n == 1 && sc->c->nodes[at].role == REGISTRY_ROLE_MASTER)
		snprintf(buf, len, "master");
	else if (n == 1)
		snprintf(buf, len, "%s!", sc->c->nodes[at].host);
	else
		snprintf(buf, len, "%s", unknown > 0 ? "?" : "none");
}

static void
cmd_list_print_table(struct registry_cluster **list, struct fleet_doc_live *lv,
    const struct status_cluster *sc, size_t n)
{
	char vip[64], where[48], repl[24], lag[24], *eng;
	long oldest = -1;
	size_t i;

	if (n == 0) {
		printf("no clusters registered (add one with 'mhaadm add NAME --node HOST ...')\n");
		return;
	}
	if (sc == NULL) {
		/* --no-probe: the registry's view only. */
		printf("%-16s %-12s %-9s %-18s %-21s %-5s %-20s %s\n", "NAME", "STATE", "DESIRED",
		    "VIP", "MASTER", "NODES", "ENGINE", "LAST FAILOVER");
		for (i = 0; i < n; i++) {
			snprintf(vip, sizeof(vip), "%s/%d", list[i]->vip, list[i]->vip_prefix);
			eng = cmd_list_engine_text(&lv[i]);
			printf("%-16s %-12s %-9s %-18s %-21s %-5zu %-20s %s\n", list[i]->name,
			    registry_state_name(list[i]->state),
			    registry_desired_name(list[i]->desired), vip, cmd_list_master(list[i]),
			    list[i]->n_nodes, eng,
			    lv[i].last_failover != NULL ? lv[i].last_failover : "-");
			if (lv[i].problem != NULL)
				printf("  why: %s\n", lv[i].problem);
			if (lv[i].at_risk)
				printf(
				    "  AT RISK: no manager holds its lease: nothing acts for it\n");
			free(eng);
		}
		return;
	}
	printf("%-16s %-11s %-12s %-21s %-15s %-8s %-10s %-7s %-19s %s\n", "NAME", "VERDICT",
	    "STATE", "MASTER", "VIP", "ON", "REPLICAS", "LAG", "LAST FAILOVER", "REASON");
	for (i = 0; i < n; i++) {
		cmd_list_vip_word(&sc[i], where, sizeof(where));
		snprintf(repl, sizeof(repl), "%zu/%zu ok", sc[i].running, sc[i].replicas);
		if (sc[i].max_lag >= 0)
			snprintf(lag, sizeof(lag), "%llds", sc[i].max_lag);
		else
			snprintf(lag, sizeof(lag), "-");
		printf("%-16s %-11s %-12s %-21s %-15s %-8s %-10s %-7s %-19s %s\n", list[i]->name,
		    status_verdict_name(sc[i].verdict), registry_state_name(list[i]->state),
		    cmd_list_master(list[i]), list[i]->vip, where, repl, lag,
		    lv[i].last_failover != NULL ? lv[i].last_failover : "-",
		    sc[i].verdict == STATUS_OK ? "-" : sc[i].reason);
		if (lv[i].problem != NULL && sc[i].verdict != STATUS_OK)
			printf("  why: %s\n", lv[i].problem);
		if (lv[i].at_risk)
			printf("  AT RISK: no manager holds its lease: nothing acts for it\n");
		if (sc[i].vip_age > oldest)
			oldest = sc[i].vip_age;
	}
	if (oldest >= 0)
		printf("(ON: VIP holders as the daemon's status pass found them %ld s ago or less; "
		       "'list --fresh' asks every host now)\n",
		    oldest);
}

/* The PROMOTION column of one node. */
static const char *
cmd_list_promotion(const struct registry_node *nd, const struct status_node *sn)
{
	if (nd->role == REGISTRY_ROLE_MASTER)
		return "-";
	if (nd->role == REGISTRY_ROLE_FAILED)
		return "never (failed)";
	if (sn->promotable)
		return nd->candidate_master ? "candidate" : "allowed";
	return sn->unfit != NULL ? sn->unfit : "no";
}

/* The "guard:" line: what the master does now, how many replicas acknowledge, what is wanted. */
static void
cmd_list_print_guard(const struct registry_cluster *c, const struct status_cluster *sc)
{
	const char *want = sc->guard_wanted ? "semisync" : "off";
	const char *why = sc->guard_why != NULL ? sc->guard_why : "not monitored";

	(void)c;
	if (sc->guard_acks >= 0)
		printf("guard:    %s, %ld replica%s acknowledge%s (wanted: %s, %s)\n", sc->guard,
		    sc->guard_acks, sc->guard_acks == 1 ? "" : "s", sc->guard_acks == 1 ? "s" : "",
		    want, why);
	else
		printf("guard:    %s (wanted: %s, %s)\n", sc->guard != NULL ? sc->guard : "unknown",
		    want, why);
}

static void
cmd_list_print_detail(const struct registry_cluster *c, const struct fleet_doc_live *lv,
    const struct status_cluster *sc)
{
	const struct registry_node *nd;
	const struct status_node *sn;
	const struct probe_result *pr;
	char hp[VALIDATE_HOST_MAX + 8], sid[24], lag[24], relay[24], holders[512] = "", since[32];
	char *eng;
	struct tm tm;
	size_t i, len;

	for (i = 0; i < c->n_nodes; i++) {
		if (sc->nodes[i].holds_vip != 1)
			continue;
		len = strlen(holders);
		snprintf(holders + len, sizeof(holders) - len, "%s%s%s", len ? ", " : "",
		    c->nodes[i].host,
		    c->nodes[i].role == REGISTRY_ROLE_MASTER ? " (the master)" : "");
	}
	printf("cluster:  %s\n", c->name);
	printf("verdict:  %s: %s\n", status_verdict_name(sc->verdict), sc->reason);
	if (lv->ready > 0)
		printf("ready:    a failover would succeed now: %zu replica%s may be promoted\n",
		    sc->fit, sc->fit == 1 ? "" : "s");
	else if (lv->ready == 0)
		printf("ready:    NO, a failover now would not succeed: %s\n", lv->ready_why);
	else
		printf("ready:    cannot tell now (the engine is starting or failing over)\n");
	printf("state:    %s (desired: %s)\n", registry_state_name(c->state),
	    registry_desired_name(c->desired));
	if (lv->manager != NULL)
		printf("manager:  %s (holds the cluster's lease)\n", lv->manager);
	else if (lv->at_risk)
		printf("manager:  NONE: AT RISK, no manager holds the cluster's lease\n");
	printf("vip:      %s/%d on %s\n", c->vip, c->vip_prefix, c->iface);
	printf("master:   %s\n", cmd_list_master(c));
	printf("vip on:   %s\n", holders[0] != '\0' ? holders : "nobody");
	eng = cmd_list_engine_text(lv);
	if (lv->engine.running && lv->engine.since != 0) {
		gmtime_r(&lv->engine.since, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		printf("engine:   %s %s since %s UTC\n", lv->ops->name, eng, since);
	} else {
		printf(
		    "engine:   %s %s\n", lv->ops->name, lv->engine.running ? eng : "not running");
	}
	free(eng);
	printf("failover: %s\n", lv->last_failover != NULL ? lv->last_failover : "never");
	cmd_list_print_guard(c, sc);
	if (lv->notify_failed_at != NULL)
		printf("notify:   last failed delivery %s UTC: %s\n", lv->notify_failed_at,
		    lv->notify_failed_msg);
	if (lv->problem != NULL)
		printf("why:      %s\n", lv->problem);
	if (lv->engine.error_marker != NULL)
		printf(
		    "WARNING:  the %s engine's failover-error marker %s exists: the last failover "
		    "failed and the engine refuses another until a DBA inspects the cluster and "
		    "removes it\n",
		    lv->ops->name, lv->engine.error_marker);
	printf("created:  %s UTC\n", c->created_at != NULL ? c->created_at : "-");
	printf("updated:  %s UTC\n\n", c->updated_at != NULL ? c->updated_at : "-");
	printf("%-22s %-8s %-32s %-9s %-9s %-3s %-3s %-6s %-10s %-3s %s\n", "NODE", "ROLE",
	    "VERSION", "SERVER_ID", "READ_ONLY", "IO", "SQL", "LAG", "RELAY_BEHIND", "VIP",
	    "PROMOTION");
	for (i = 0; i < c->n_nodes; i++) {
		nd = &c->nodes[i];
		sn = &sc->nodes[i];
		pr = &sn->probe;
		snprintf(hp, sizeof(hp), "%s:%d", nd->host, nd->port);
		if (!pr->ok) {
			printf("%-22s %-8s unreachable: %s\n", hp, registry_role_name(nd->role),
			    pr->error != NULL ? pr->error : "?");
			continue;
		}
		snprintf(sid, sizeof(sid), "%lu", pr->server_id);
		snprintf(lag, sizeof(lag), "%lld", pr->lag);
		snprintf(relay, sizeof(relay), "%lld", pr->relay_behind);
		printf("%-22s %-8s %-32s %-9s %-9s %-3s %-3s %-6s %-12s %-3s %s\n", hp,
		    registry_role_name(nd->role), pr->version != NULL ? pr->version : "-", sid,
		    pr->read_only ? "ON" : "OFF",
		    !pr->is_replica  ? "-"
		    : pr->io_running ? "yes"
		                     : "NO",
		    !pr->is_replica   ? "-"
		    : pr->sql_running ? "yes"
		                      : "NO",
		    pr->is_replica && pr->lag >= 0 ? lag : "-",
		    pr->is_replica && pr->relay_behind >= 0 ? relay : "-",
		    sn->holds_vip < 0 ? "?"
		    : sn->holds_vip   ? "YES"
		                      : "no",
		    cmd_list_promotion(nd, sn));
	}
	if (sc->n_findings > 0)
		printf("\n");
	for (i = 0; i < sc->n_findings; i++) {
		printf("%-11s %s\n", status_verdict_name(sc->findings[i].severity),
		    sc->findings[i].what);
		if (sc->findings[i].fix != NULL)
			printf("%-11s   to do: %s\n", "", sc->findings[i].fix);
	}
}

static int
cmd_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_cluster **list = NULL, *one = NULL;
	struct status_cluster *sc = NULL;
	struct status_monitor mon;
	struct fleet_doc_live *lv = NULL;
	struct registry *reg;
	const char *name = NULL;
	char *cause = NULL;
	size_t n = 0, i;
	struct status_opts opts = {NULL, 0, NULL, 0};
	char *cache = NULL;
	int json = 0, probe = 1, fresh = 0, opt, rc = CMD_EXIT_ERROR;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'j')
			json = 1;
		else if (opt == 'P')
			probe = 0;
		else if (opt == 'F')
			fresh = 1;
		else
			return cmd_bad_option(ctx, argc, argv);
	}
	if (argc - optind > 1)
		return cmd_usage_error(ctx, "too many arguments");
	if (optind < argc && strcmp(argv[optind], "all") != 0) {
		name = argv[optind];
		if (validate_cluster_name(name, &cause) != 0) {
			cmd_error(ctx, "%s", cause);
			goto out;
		}
	}
	reg = cmd_ctx_registry(ctx, 1, &cause);
	if (reg == NULL) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (name != NULL) {
		switch (registry_cluster_get(reg, name, &one, &cause)) {
		case 0:
			break;
		case 1:
			cmd_error(ctx, "no cluster named '%s' in the registry", name);
			goto out;
		default:
			cmd_error(ctx, "%s", cause);
			goto out;
		}
		list = xcalloc(1, sizeof(*list));
		list[0] = one;
		one = NULL;
		n = 1;
	} else if (registry_cluster_list(reg, &list, &n, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	lv = xcalloc(n == 0 ? 1 : n, sizeof(*lv));
	for (i = 0; i < n; i++)
		fleet_doc_live_fill(ctx->cfg, ctx->config_path, reg, list[i], &lv[i]);
	/* Every node of every cluster at once: one dead host costs its own timeout, once. */
	if (probe && n > 0) {
		/*
		 * The fleet view takes the VIP holders from the daemon's last status
		 * pass when it is recent (one SSH session per host per list is what
		 * costs at fleet scale); one cluster, or --fresh, asks every host now.
		 */
		if (name == NULL && !fresh && ctx->cfg->probe_interval > 0) {
			opts.cache_read = cache = status_cache_path(ctx->cfg);
			opts.max_age =
			    3L * ctx->cfg->probe_interval < 30 ? 30 : 3L * ctx->cfg->probe_interval;
		}
		sc = status_probe(ctx->cfg, list, n, &opts);
		selffence_status(ctx->cfg, list, sc, n);
		for (i = 0; i < n; i++) {
			const char *why;

			engine_monitor(&lv[i].engine, &mon);
			mon.problem = lv[i].problem;
			/* Wanted once monitored: start sets the guard up. */
			sc[i].guard_wanted =
			    guard_mode_of(ctx->cfg, list[i], &why) == GUARD_SEMISYNC &&
			    list[i]->desired == REGISTRY_DESIRED_MONITORED;
			sc[i].guard_why =
			    list[i]->desired == REGISTRY_DESIRED_MONITORED ? why : "not monitored";
			status_judge(&sc[i], &mon, ctx->cfg->max_lag);
			lv[i].ready = status_failover_ready(&sc[i], &mon, &lv[i].ready_why);
		}
	}
	if (json)
		cmd_list_print_json(fleet_doc_fleet(list, lv, sc, n, time(NULL)));
	else if (name != NULL && sc != NULL)
		cmd_list_print_detail(list[0], &lv[0], &sc[0]);
	else
		cmd_list_print_table(list, lv, sc, n);
	rc = CMD_EXIT_OK;
	for (i = 0; sc != NULL && i < n; i++) {
		if (sc[i].verdict != STATUS_OK)
			rc = CMD_LIST_EXIT_UNHEALTHY;
	}
	for (i = 0; i < n; i++)
		fleet_doc_live_clear(&lv[i]);
out:
	status_free(sc, n);
	free(cache);
	free(lv);
	free(cause);
	registry_cluster_free(one);
	registry_cluster_list_free(list, n);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
    .name = "list",
    .alias = "ls",
    .args = "[NAME|all] [--json] [--fresh] [--no-probe]",
    .summary = "show the live state of clusters (exit 3 when any is not ok)",
    .shortopts = "jPF",
    .longopts = cmd_list_longopts,
    .exec = cmd_list_exec,
};

static const struct option cmd_history_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {"limit", required_argument, NULL, 'n'},
    {NULL, 0, NULL, 0},
};

static int
cmd_history_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_event *evs = NULL;
	struct registry *reg;
	json_object *root, *arr, *o;
	const char *name = NULL;
	char *cause = NULL;
	size_t n = 0, i;
	long limit = 50;
	int json = 0, opt, rc = CMD_EXIT_ERROR;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'j') {
			json = 1;
		} else if (opt == 'n') {
			if (cmd_number(optarg, 1, 100000, &limit) != 0)
				return cmd_usage_error(
				    ctx, "--limit needs a number from 1 to 100000");
		} else {
			return cmd_bad_option(ctx, argc, argv);
		}
	}
	if (argc - optind > 1)
		return cmd_usage_error(ctx, "too many arguments");
	if (optind < argc && strcmp(argv[optind], "all") != 0) {
		name = argv[optind];
		if (validate_cluster_name(name, &cause) != 0) {
			cmd_error(ctx, "%s", cause);
			goto out;
		}
	}
	reg = cmd_ctx_registry(ctx, 1, &cause);
	if (reg == NULL || registry_event_list(reg, name, (size_t)limit, &evs, &n, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < n; i++) {
			o = fleet_doc_event(&evs[i]);
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, "events", arr);
		cmd_list_print_json(root);
	} else {
		for (i = 0; i < n; i++)
			printf("%s  %-16s %-20s %s\n", evs[i].at,
			    evs[i].cluster != NULL ? evs[i].cluster : "-", evs[i].type,
			    evs[i].message != NULL ? evs[i].message : "");
		if (n == 0)
			printf("no events%s%s\n", name ? " for cluster " : "", name ? name : "");
	}
	rc = CMD_EXIT_OK;
out:
	free(cause);
	registry_event_list_free(evs, n);
	return rc;
}

const struct cmd_entry cmd_history_entry = {
    .name = "history",
    .args = "[NAME|all] [--limit N] [--json]",
    .summary = "show the audit history (kept after a cluster is deleted)",
    .shortopts = "jn:",
    .longopts = cmd_history_longopts,
    .exec = cmd_history_exec,
};
