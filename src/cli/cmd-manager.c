/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm manager list [--json] (every manager sharing the MySQL registry,
 * its heartbeat and the clusters it holds) and mhaadm manager drain NAME
 * (it hands its clusters over, for an upgrade). docs/manager-ha.md.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "registry.h"
#include "xmalloc.h"

#define CMD_MANAGER_NAME_MAX 80

/* What list says a manager is. */
static const char *
cmd_manager_status(const struct registry_manager *m)
{
	if (m->pid < 0)
		return "stopped";
	if (m->heartbeat_age_ms < 0 || m->heartbeat_age_ms >= (long long)m->lease_seconds * 1000)
		return "gone";
	return m->draining ? "draining" : "alive";
}

/* 1 when lease l is held now (an owner, not expired). */
static int
cmd_manager_held(const struct registry_lease *l)
{
	return l->owner != NULL && l->remaining_ms > 0;
}

static int
cmd_manager_list(struct cmd_ctx *ctx, struct registry *reg, int json)
{
	struct registry_manager *ms = NULL;
	struct registry_lease *ls = NULL;
	struct registry_cluster **cl = NULL;
	json_object *root, *arr, *o, *held;
	size_t n_ms = 0, n_ls = 0, n_cl = 0, i, j, k;
	char *cause = NULL;
	int rc = CMD_EXIT_OK, owned;

	if (registry_manager_list(reg, &ms, &n_ms, &cause) != 0 ||
	    registry_lease_list(reg, &ls, &n_ls, &cause) != 0 ||
	    registry_cluster_list(reg, &cl, &n_cl, &cause) != 0) {
		rc = cmd_error(ctx, "%s", cause);
		free(cause);
		goto out;
	}
	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < n_ms; i++) {
			o = json_object_new_object();
			held = json_object_new_array();
			json_object_object_add(o, "name", json_object_new_string(ms[i].name));
			json_object_object_add(
			    o, "status", json_object_new_string(cmd_manager_status(&ms[i])));
			json_object_object_add(o, "heartbeat_age_seconds",
			    json_object_new_double((double)ms[i].heartbeat_age_ms / 1000.0));
			json_object_object_add(
			    o, "lease_seconds", json_object_new_int(ms[i].lease_seconds));
			json_object_object_add(
			    o, "draining", json_object_new_boolean(ms[i].draining));
			json_object_object_add(
			    o, "pid", ms[i].pid >= 0 ? json_object_new_int64(ms[i].pid) : NULL);
			json_object_object_add(o, "started_at",
			    ms[i].started_at != NULL ? json_object_new_string(ms[i].started_at)
			                             : NULL);
			for (j = 0; j < n_ls; j++) {
				if (cmd_manager_held(&ls[j]) &&
				    strcmp(ls[j].owner, ms[i].name) == 0)
					json_object_array_add(
					    held, json_object_new_string(ls[j].cluster));
			}
			json_object_object_add(o, "clusters", held);
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, "managers", arr);
		arr = json_object_new_array();
		for (k = 0; k < n_cl; k++) {
			for (j = 0, owned = 0; j < n_ls; j++)
				owned |= strcmp(ls[j].cluster, cl[k]->name) == 0 &&
				         cmd_manager_held(&ls[j]);
			if (!owned)
				json_object_array_add(arr, json_object_new_string(cl[k]->name));
		}
		json_object_object_add(root, "unowned", arr);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
		goto out;
	}
	if (n_ms == 0) {
		printf("no manager has run against this registry yet\n");
		goto out;
	}
	printf("%-24s %-9s %10s %6s  %s\n", "MANAGER", "STATUS", "HEARTBEAT", "LEASE", "CLUSTERS");
	for (i = 0; i < n_ms; i++) {
		char age[32];
		int first = 1;

		snprintf(age, sizeof(age), "%.1fs ago", (double)ms[i].heartbeat_age_ms / 1000.0);
		printf("%-24s %-9s %10s %5ds  ", ms[i].name, cmd_manager_status(&ms[i]), age,
		    ms[i].lease_seconds);
		for (j = 0; j < n_ls; j++) {
			if (cmd_manager_held(&ls[j]) && strcmp(ls[j].owner, ms[i].name) == 0) {
				printf("%s%s", first ? "" : ",", ls[j].cluster);
				first = 0;
			}
		}
		printf("%s\n", first ? "-" : "");
	}
	for (k = 0; k < n_cl; k++) {
		for (j = 0, owned = 0; j < n_ls; j++)
			owned |=
			    strcmp(ls[j].cluster, cl[k]->name) == 0 && cmd_manager_held(&ls[j]);
		if (!owned)
			printf("cluster '%s' is held by no manager%s\n", cl[k]->name,
			    cl[k]->desired == REGISTRY_DESIRED_MONITORED
			        ? ": AT RISK, nothing acts for it"
			        : " (not monitored)");
	}
out:
	registry_manager_list_free(ms, n_ms);
	registry_lease_list_free(ls, n_ls);
	registry_cluster_list_free(cl, n_cl);
	return rc;
}

static int
cmd_manager_drain(struct cmd_ctx *ctx, struct registry *reg, const char *name)
{
	char *cause = NULL;
	int r;

	r = registry_manager_drain(reg, name, &cause);
	if (r < 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	if (r == 1)
		return cmd_error(
		    ctx, "no manager named '%s' in the registry (see 'mhaadm manager list')", name);
	printf("manager '%s' asked to drain: it stops its engines and releases its leases within "
	       "seconds, and other managers take its clusters; it takes none until it is "
	       "restarted\n",
	    name);
	return CMD_EXIT_OK;
}

/* A manager name as manager_name takes it: 1-80 characters of A-Z a-z 0-9 _ . - */
static int
cmd_manager_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CMD_MANAGER_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static const struct option cmd_manager_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

static int
cmd_manager_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry *reg;
	char *cause = NULL;
	int opt, json = 0;

	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'j')
			json = 1;
		else
			return cmd_bad_option(ctx, argc, argv);
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 2)
		return cmd_usage_error(ctx, "say 'list' or 'drain NAME'");
	if (strcmp(argv[1], "list") == 0) {
		if (argc != 2)
			return cmd_usage_error(ctx, "unexpected argument '%s'", argv[2]);
	} else if (strcmp(argv[1], "drain") == 0) {
		if (argc != 3)
			return cmd_usage_error(ctx, "drain needs one manager name");
		if (!cmd_manager_name_ok(argv[2]))
			return cmd_error(ctx,
			    "invalid manager name '%.80s': use 1-80 characters from A-Z a-z 0-9 _ "
			    ". -",
			    argv[2]);
	} else
		return cmd_usage_error(
		    ctx, "unknown action '%s'; say 'list' or 'drain NAME'", argv[1]);
	if ((reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	if (strcmp(argv[1], "list") == 0)
		return cmd_manager_list(ctx, reg, json);
	return cmd_manager_drain(ctx, reg, argv[2]);
}

const struct cmd_entry cmd_manager_entry = {
    .name = "manager",
    .args = "list [--json] | drain NAME",
    .summary = "managers sharing a MySQL registry: their heartbeats and clusters; drain one",
    .shortopts = "",
    .longopts = cmd_manager_longopts,
    .exec = cmd_manager_exec,
};
