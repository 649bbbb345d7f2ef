/* mhaadm list and history: the registry's view of the fleet, as text or JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "registry.h"
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
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER) {
			snprintf(buf, sizeof(buf), "%s:%d", c->nodes[i].host, c->nodes[i].port);
			return buf;
		}
	}
	return "-";
}

static json_object *
cmd_list_json_int_or_null(long long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static json_object *
cmd_list_json_cluster(const struct registry_cluster *c)
{
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
	return o;
}

static void
cmd_list_print_json(struct registry_cluster **list, size_t n)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, cmd_list_json_cluster(list[i]));
	json_object_object_add(root, "clusters", arr);
	printf("%s\n", json_object_to_json_string_ext(root,
			   JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void
cmd_list_print_table(struct registry_cluster **list, size_t n)
{
	char vip[64];
	size_t i;

	if (n == 0) {
		printf("no clusters registered (add one with 'mhaadm add NAME --node HOST ...')\n");
		return;
	}
	printf("%-20s %-12s %-10s %-18s %-22s %s\n", "NAME", "STATE", "DESIRED", "VIP", "MASTER",
	    "NODES");
	for (i = 0; i < n; i++) {
		snprintf(vip, sizeof(vip), "%s/%d", list[i]->vip, list[i]->vip_prefix);
		printf("%-20s %-12s %-10s %-18s %-22s %zu\n", list[i]->name,
		    registry_state_name(list[i]->state), registry_desired_name(list[i]->desired),
		    vip, cmd_list_master(list[i]), list[i]->n_nodes);
	}
}

static void
cmd_list_print_detail(const struct registry_cluster *c)
{
	const struct registry_node *nd;
	char hp[VALIDATE_HOST_MAX + 8], sid[24], lag[24];
	size_t i;

	printf("cluster:  %s\n", c->name);
	printf("state:    %s (desired: %s)\n", registry_state_name(c->state),
	    registry_desired_name(c->desired));
	printf("vip:      %s/%d on %s\n", c->vip, c->vip_prefix, c->iface);
	printf("master:   %s\n", cmd_list_master(c));
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
	struct registry *reg;
	const char *name = NULL;
	char *cause = NULL;
	size_t n = 0;
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
		if (json)
			cmd_list_print_json(&one, 1);
		else
			cmd_list_print_detail(one);
	} else {
		if (reg->ops->cluster_list(reg, &list, &n, &cause) != 0) {
			cmd_error(ctx, "%s", cause);
			goto out;
		}
		if (json)
			cmd_list_print_json(list, n);
		else
			cmd_list_print_table(list, n);
	}
	rc = CMD_EXIT_OK;
out:
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
	char *cause = NULL, *end;
	size_t n = 0, i;
	long limit = 50;
	int json = 0, opt, rc = CMD_EXIT_ERROR;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'j') {
			json = 1;
		} else if (opt == 'n') {
			limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || limit < 1 || limit > 100000)
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
