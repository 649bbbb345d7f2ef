/* mhaadm list and history: the registry's view of the fleet, as text or JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "registry.h"
#include "ssh.h"
#include "vip.h"
#include "validate.h"
#include "xmalloc.h"

static const struct option cmd_list_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* The master's "HOST:PORT", or "-" when the registry names none. Returns a static buffer. */
static const char *
cmd_list_master(const struct registry_cluster *c)
{
	static char buf[VALIDATE_HOST_MAX + 8];

	registry_cluster_master(c, buf, sizeof(buf));
	return strcmp(buf, "none") == 0 ? "-" : buf;
}

/* What list shows beyond the registry row: the engine and the last failover. */
struct cmd_list_live {
	struct engine_status engine;
	char *last_failover; /* time of the newest failover.completed event, or NULL */
	char *vip_holders;   /* detail view only: hosts found holding the VIP, or NULL */
	char *problem;       /* "TYPE: MESSAGE" of the newest unresolved problem event, or NULL */
};

/*
 * Events that say why a cluster is not protected, and events that end such a
 * problem. The newest of either kind decides whether list shows a reason.
 */
static const char *const cmd_list_problem_types[] = { "engine.checks_failed", "engine.died",
	"engine.failed", "checks.failed", "failover.refused", "failover.failed", "failover.paused",
	"storm.paused", "cluster.unprotected", NULL };
static const char *const cmd_list_resolved_types[] = { "monitoring.started",
	"cluster.reprotected", "monitoring.stopped", "cluster.start", NULL };

static int
cmd_list_type_in(const char *type, const char *const *types)
{
	size_t i;

	for (i = 0; types[i] != NULL; i++) {
		if (strcmp(type, types[i]) == 0)
			return 1;
	}
	return 0;
}

static void
cmd_list_live_fill(struct cmd_ctx *ctx, struct registry *reg, const struct registry_cluster *c,
    struct cmd_list_live *lv)
{
	static const char *const types[] = { "failover.completed", "failover.master_changed", NULL };
	struct engine_env env = { ctx->cfg, ctx->config_path, NULL };
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n = 0, i, j;

	memset(lv, 0, sizeof(*lv));
	engine_mha_ops.status(&env, c->name, &lv->engine);
	if (reg->ops->event_list(reg, c->name, 200, &evs, &n, &cause) == 0) {
		for (i = 0; i < n; i++) {
			if (cmd_list_type_in(evs[i].type, cmd_list_resolved_types))
				break;
			if (!cmd_list_type_in(evs[i].type, cmd_list_problem_types))
				continue;
			/* The daemon's line says when; the engine's line before it says why. */
			if (strcmp(evs[i].type, "engine.checks_failed") == 0 && i + 1 < n &&
			    strcmp(evs[i + 1].type, "checks.failed") == 0)
				lv->problem = xasprintf("%s: %s; %s", evs[i].type, evs[i + 1].message,
				    evs[i].message);
			else
				lv->problem = xasprintf("%s: %s", evs[i].type, evs[i].message);
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
	}
	free(cause);
	registry_event_list_free(evs, n);
}

/* Asks every node whether it holds the VIP (detail view: a few SSH round trips). */
static void
cmd_list_vip_holders(struct cmd_ctx *ctx, const struct registry_cluster *c,
    struct cmd_list_live *lv)
{
	struct ssh_target t;
	char *cause = NULL, *s = NULL, *tmp;
	size_t i;
	int held;

	for (i = 0; i < c->n_nodes; i++) {
		ssh_target_from_config(&t, ctx->cfg, c->nodes[i].host,
		    ctx->cfg->ssh_timeout < 3 ? ctx->cfg->ssh_timeout : 3);
		held = vip_held(&t, c->vip, &cause);
		free(cause);
		cause = NULL;
		if (held < 0) {
			tmp = xasprintf("%s%s%s (cannot check)", s ? s : "", s ? ", " : "", t.host);
		} else if (held == 1) {
			tmp = xasprintf("%s%s%s", s ? s : "", s ? ", " : "", t.host);
		} else {
			continue;
		}
		free(s);
		s = tmp;
	}
	lv->vip_holders = s != NULL ? s : xstrdup("nobody");
}

static void
cmd_list_live_clear(struct cmd_list_live *lv)
{
	engine_status_clear(&lv->engine);
	free(lv->last_failover);
	free(lv->vip_holders);
	free(lv->problem);
}

static char *
cmd_list_engine_text(const struct cmd_list_live *lv)
{
	if (!lv->engine.running)
		return xstrdup("-");
	return xasprintf("%s pid %ld", lv->engine.health_name != NULL ? lv->engine.health_name :
									"STARTING",
	    (long)lv->engine.pid);
}

static json_object *
cmd_list_json_int_or_null(long long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static json_object *
cmd_list_json_cluster(const struct registry_cluster *c, const struct cmd_list_live *lv)
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
	json_object_object_add(o, "desired",
	    json_object_new_string(registry_desired_name(c->desired)));
	json_object_object_add(o, "vip", json_object_new_string(c->vip));
	json_object_object_add(o, "vip_prefix", json_object_new_int(c->vip_prefix));
	json_object_object_add(o, "iface", json_object_new_string(c->iface));
	json_object_object_add(o, "master",
	    strcmp(cmd_list_master(c), "-") == 0 ? NULL :
						 json_object_new_string(cmd_list_master(c)));
	json_object_object_add(o, "created_at",
	    c->created_at != NULL ? json_object_new_string(c->created_at) : NULL);
	json_object_object_add(o, "updated_at",
	    c->updated_at != NULL ? json_object_new_string(c->updated_at) : NULL);
	for (i = 0; i < c->n_nodes; i++) {
		nd = &c->nodes[i];
		n = json_object_new_object();
		json_object_object_add(n, "host", json_object_new_string(nd->host));
		json_object_object_add(n, "port", json_object_new_int(nd->port));
		json_object_object_add(n, "role",
		    json_object_new_string(registry_role_name(nd->role)));
		json_object_object_add(n, "candidate_master",
		    json_object_new_boolean(nd->candidate_master));
		json_object_object_add(n, "no_master", json_object_new_boolean(nd->no_master));
		json_object_object_add(n, "version",
		    nd->version != NULL ? json_object_new_string(nd->version) : NULL);
		json_object_object_add(n, "server_id", cmd_list_json_int_or_null(nd->server_id));
		json_object_object_add(n, "read_only",
		    nd->read_only < 0 ? NULL : json_object_new_boolean(nd->read_only));
		json_object_object_add(n, "log_bin",
		    nd->log_bin < 0 ? NULL : json_object_new_boolean(nd->log_bin));
		json_object_object_add(n, "lag", cmd_list_json_int_or_null(nd->lag));
		json_object_array_add(nodes, n);
	}
	json_object_object_add(o, "nodes", nodes);
	eng = json_object_new_object();
	json_object_object_add(eng, "name", json_object_new_string(engine_mha_ops.name));
	json_object_object_add(eng, "running", json_object_new_boolean(lv->engine.running));
	json_object_object_add(eng, "pid",
	    lv->engine.running ? json_object_new_int64(lv->engine.pid) : NULL);
	if (lv->engine.running && lv->engine.since != 0) {
		gmtime_r(&lv->engine.since, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		json_object_object_add(eng, "since", json_object_new_string(since));
	} else {
		json_object_object_add(eng, "since", NULL);
	}
	json_object_object_add(eng, "health",
	    lv->engine.running && lv->engine.health_name != NULL ?
		json_object_new_string(lv->engine.health_name) :
		NULL);
	json_object_object_add(eng, "health_code",
	    lv->engine.running && lv->engine.health >= 0 ? json_object_new_int(lv->engine.health) :
							   NULL);
	json_object_object_add(eng, "failover_error_marker",
	    lv->engine.error_marker != NULL ? json_object_new_string(lv->engine.error_marker) : NULL);
	json_object_object_add(o, "engine", eng);
	json_object_object_add(o, "last_failover",
	    lv->last_failover != NULL ? json_object_new_string(lv->last_failover) : NULL);
	if (lv->vip_holders != NULL)
		json_object_object_add(o, "vip_holders", json_object_new_string(lv->vip_holders));
	json_object_object_add(o, "problem",
	    lv->problem != NULL ? json_object_new_string(lv->problem) : NULL);
	return o;
}

static void
cmd_list_print_json(struct registry_cluster **list, struct cmd_list_live *lv, size_t n)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, cmd_list_json_cluster(list[i], &lv[i]));
	json_object_object_add(root, "clusters", arr);
	printf("%s\n", json_object_to_json_string_ext(root,
			   JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void
cmd_list_print_table(struct registry_cluster **list, struct cmd_list_live *lv, size_t n)
{
	char vip[64], *eng;
	size_t i;

	if (n == 0) {
		printf("no clusters registered (add one with 'mhaadm add NAME --node HOST ...')\n");
		return;
	}
	printf("%-16s %-12s %-9s %-18s %-20s %-5s %-20s %s\n", "NAME", "STATE", "DESIRED", "VIP",
	    "MASTER", "NODES", "ENGINE", "LAST FAILOVER");
	for (i = 0; i < n; i++) {
		snprintf(vip, sizeof(vip), "%s/%d", list[i]->vip, list[i]->vip_prefix);
		eng = cmd_list_engine_text(&lv[i]);
		printf("%-16s %-12s %-9s %-18s %-20s %-5zu %-20s %s%s\n", list[i]->name,
		    registry_state_name(list[i]->state), registry_desired_name(list[i]->desired),
		    vip, cmd_list_master(list[i]), list[i]->n_nodes, eng,
		    lv[i].last_failover != NULL ? lv[i].last_failover : "-",
		    lv[i].engine.error_marker != NULL ? " (FAILOVER ERROR MARKER)" : "");
		if (lv[i].problem != NULL)
			printf("  why: %s\n", lv[i].problem);
		free(eng);
	}
}

static void
cmd_list_print_detail(const struct registry_cluster *c, const struct cmd_list_live *lv)
{
	const struct registry_node *nd;
	char hp[VALIDATE_HOST_MAX + 8], sid[24], lag[24], since[32], *eng;
	struct tm tm;
	size_t i;

	printf("cluster:  %s\n", c->name);
	printf("state:    %s (desired: %s)\n", registry_state_name(c->state),
	    registry_desired_name(c->desired));
	printf("vip:      %s/%d on %s\n", c->vip, c->vip_prefix, c->iface);
	printf("master:   %s\n", cmd_list_master(c));
	printf("vip on:   %s\n", lv->vip_holders != NULL ? lv->vip_holders : "-");
	eng = cmd_list_engine_text(lv);
	if (lv->engine.running && lv->engine.since != 0) {
		gmtime_r(&lv->engine.since, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		printf("engine:   %s %s since %s UTC\n", engine_mha_ops.name, eng, since);
	} else {
		printf("engine:   %s %s\n", engine_mha_ops.name, lv->engine.running ? eng : "not running");
	}
	free(eng);
	printf("failover: %s\n", lv->last_failover != NULL ? lv->last_failover : "never");
	if (lv->problem != NULL)
		printf("why:      %s\n", lv->problem);
	if (lv->engine.error_marker != NULL)
		printf("WARNING:  MHA's failover-error marker %s exists: the last failover failed and "
		       "MHA refuses another until a DBA inspects the cluster and removes it\n",
		    lv->engine.error_marker);
	printf("created:  %s UTC\n", c->created_at != NULL ? c->created_at : "-");
	printf("updated:  %s UTC\n\n", c->updated_at != NULL ? c->updated_at : "-");
	printf("%-22s %-8s %-32s %-9s %-9s %-7s %-5s %s\n", "NODE", "ROLE", "VERSION",
	    "SERVER_ID", "READ_ONLY", "LOG_BIN", "LAG", "PROMOTION");
	for (i = 0; i < c->n_nodes; i++) {
		nd = &c->nodes[i];
		snprintf(hp, sizeof(hp), "%s:%d", nd->host, nd->port);
		snprintf(sid, sizeof(sid), "%lld", nd->server_id);
		snprintf(lag, sizeof(lag), "%lld", nd->lag);
		printf("%-22s %-8s %-32s %-9s %-9s %-7s %-5s %s\n", hp, registry_role_name(nd->role),
		    nd->version != NULL ? nd->version : "-", nd->server_id < 0 ? "-" : sid,
		    nd->read_only < 0 ? "-" : nd->read_only ? "ON" : "OFF",
		    nd->log_bin < 0 ? "-" : nd->log_bin ? "ON" : "OFF", nd->lag < 0 ? "-" : lag,
		    nd->no_master ? "never" : nd->candidate_master ? "candidate" : "allowed");
	}
}

static int
cmd_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_cluster **list = NULL, *one = NULL;
	struct cmd_list_live *lv = NULL;
	struct registry *reg;
	const char *name = NULL;
	char *cause = NULL;
	size_t n = 0, i;
	int json = 0, opt, rc = CMD_EXIT_ERROR;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'j')
			json = 1;
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
		switch (reg->ops->cluster_get(reg, name, &one, &cause)) {
		case 0:
			break;
		case 1:
			cmd_error(ctx, "no cluster named '%s' in the registry", name);
			goto out;
		default:
			cmd_error(ctx, "%s", cause);
			goto out;
		}
		lv = xcalloc(1, sizeof(*lv));
		cmd_list_live_fill(ctx, reg, one, lv);
		cmd_list_vip_holders(ctx, one, lv);
		if (json)
			cmd_list_print_json(&one, lv, 1);
		else
			cmd_list_print_detail(one, lv);
		cmd_list_live_clear(lv);
	} else {
		if (reg->ops->cluster_list(reg, &list, &n, &cause) != 0) {
			cmd_error(ctx, "%s", cause);
			goto out;
		}
		lv = xcalloc(n == 0 ? 1 : n, sizeof(*lv));
		for (i = 0; i < n; i++)
			cmd_list_live_fill(ctx, reg, list[i], &lv[i]);
		if (json)
			cmd_list_print_json(list, lv, n);
		else
			cmd_list_print_table(list, lv, n);
		for (i = 0; i < n; i++)
			cmd_list_live_clear(&lv[i]);
	}
	rc = CMD_EXIT_OK;
out:
	free(lv);
	free(cause);
	registry_cluster_free(one);
	registry_cluster_list_free(list, n);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.alias = "ls",
	.args = "[NAME|all] [--json]",
	.summary = "show the clusters in the registry",
	.shortopts = "j",
	.longopts = cmd_list_longopts,
	.exec = cmd_list_exec,
};

static const struct option cmd_history_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
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
				return cmd_usage_error(ctx, "--limit needs a number from 1 to 100000");
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
	if (reg == NULL || reg->ops->event_list(reg, name, (size_t)limit, &evs, &n, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < n; i++) {
			o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_int64(evs[i].id));
			json_object_object_add(o, "at", json_object_new_string(evs[i].at));
			json_object_object_add(o, "cluster",
			    evs[i].cluster ? json_object_new_string(evs[i].cluster) : NULL);
			json_object_object_add(o, "node",
			    evs[i].node ? json_object_new_string(evs[i].node) : NULL);
			json_object_object_add(o, "type", json_object_new_string(evs[i].type));
			json_object_object_add(o, "message",
			    evs[i].message ? json_object_new_string(evs[i].message) : NULL);
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, "events", arr);
		printf("%s\n", json_object_to_json_string_ext(root,
				   JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
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
