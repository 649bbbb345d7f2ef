/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: reports, per host, what breaks MHA 0.58 on the manager host
 * and on the nodes of one cluster or of all, and with --fix patches the MHA
 * Perl defects it knows and shows the re-check. Exit 0 when nothing fails.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "doctor-report.h"
#include "engine.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

enum {
	CMD_DOCTOR_OPT_FIX = 256,
	CMD_DOCTOR_OPT_JSON,
};

static const struct option cmd_doctor_longopts[] = {
    {"fix", no_argument, NULL, CMD_DOCTOR_OPT_FIX},
    {"json", no_argument, NULL, CMD_DOCTOR_OPT_JSON},
    {NULL, 0, NULL, 0},
};

static void
cmd_doctor_progress(void *arg, const char *what)
{
	struct cmd_ctx *ctx = arg;

	if (ctx->verbose)
		cmd_progress(ctx, "%s...", what);
}

/* Prints hosts [from, rep->n_hosts) as text. */
static void
cmd_doctor_print_text(const struct doctor_report *rep, size_t from)
{
	const struct doctor_host *h;
	const struct doctor_finding *f;
	static const char *const label[] = {"ok  ", "WARN", "FAIL"};
	size_t i, j;

	for (i = from; i < rep->n_hosts; i++) {
		h = &rep->hosts[i];
		if (i > 0)
			printf("\n");
		if (h->cluster != NULL)
			printf("%s (cluster %s)\n", h->name, h->cluster);
		else
			printf("%s\n", h->name);
		for (j = 0; j < h->n_findings; j++) {
			f = &h->findings[j];
			printf("%s  %s\n", label[f->severity], f->message);
			if (f->fix != NULL)
				printf("      fix: %s\n", f->fix);
			if (f->changed != NULL)
				printf("      changed: %s\n", f->changed);
		}
	}
	fflush(stdout);
}

static json_object *
cmd_doctor_json_string(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static void
cmd_doctor_print_json(const struct doctor_report *rep)
{
	json_object *root = json_object_new_object(), *hosts = json_object_new_array();
	json_object *ho, *findings, *fo;
	const struct doctor_host *h;
	const struct doctor_finding *f;
	size_t i, j;

	for (i = 0; i < rep->n_hosts; i++) {
		h = &rep->hosts[i];
		ho = json_object_new_object();
		findings = json_object_new_array();
		json_object_object_add(ho, "host", json_object_new_string(h->name));
		json_object_object_add(ho, "cluster", cmd_doctor_json_string(h->cluster));
		for (j = 0; j < h->n_findings; j++) {
			f = &h->findings[j];
			fo = json_object_new_object();
			json_object_object_add(fo, "check", json_object_new_string(f->check));
			json_object_object_add(fo, "severity",
			    json_object_new_string(doctor_severity_name(f->severity)));
			json_object_object_add(fo, "message", json_object_new_string(f->message));
			json_object_object_add(fo, "fix", cmd_doctor_json_string(f->fix));
			json_object_object_add(fo, "changed", cmd_doctor_json_string(f->changed));
			json_object_array_add(findings, fo);
		}
		json_object_object_add(ho, "findings", findings);
		json_object_array_add(hosts, ho);
	}
	json_object_object_add(root, "hosts", hosts);
	json_object_object_add(
	    root, "ok", json_object_new_int64((int64_t)doctor_report_count(rep, DOCTOR_OK)));
	json_object_object_add(
	    root, "warn", json_object_new_int64((int64_t)doctor_report_count(rep, DOCTOR_WARN)));
	json_object_object_add(
	    root, "fail", json_object_new_int64((int64_t)doctor_report_count(rep, DOCTOR_FAIL)));
	printf("%s\n", json_object_to_json_string_ext(
	                   root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

/* A cluster whose engine has no doctor checks: said, not silently skipped. */
static void
cmd_doctor_nothing(struct doctor_report *rep, const struct registry_cluster *c, const char *engine)
{
	struct doctor_host h = {0};

	h.name = xasprintf("cluster %s", c->name);
	h.cluster = xstrdup(c->name);
	doctor_add(&h, "engine", DOCTOR_OK,
	    xasprintf("engine %s: doctor has no checks for it; 'mhaadm start %s' checks its "
	              "requirements and names the fix",
	        engine, c->name),
	    NULL);
	doctor_report_push(rep, &h);
}

static int
cmd_doctor_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct doctor_report rep = {NULL, 0};
	struct doctor_opts opts = {0, cmd_doctor_progress, ctx};
	struct registry_cluster **list = NULL, **mine, *one = NULL;
	const struct engine_ops *const *e;
	struct registry *reg;
	struct config *cfg;
	const char *name = NULL;
	char *cause = NULL;
	size_t n = 0, i, printed = 0, fails, warns;
	int json = 0, opt, rc = CMD_EXIT_ERROR;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		switch (opt) {
		case CMD_DOCTOR_OPT_FIX:
			opts.fix = 1;
			break;
		case CMD_DOCTOR_OPT_JSON:
			json = 1;
			break;
		default:
			return cmd_bad_option(ctx, argc, argv);
		}
	}
	if (argc - optind > 1)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc && strcmp(argv[optind], "all") != 0) {
		name = argv[optind];
		if (validate_cluster_name(name, &cause) != 0)
			goto fail;
	}

	if ((cfg = cmd_ctx_config(ctx, &cause)) == NULL)
		goto fail;
	if ((reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL)
		goto fail;
	if (name != NULL) {
		switch (registry_cluster_get(reg, name, &one, &cause)) {
		case 0:
			break;
		case 1:
			cause = xasprintf("no cluster named '%s' in the registry", name);
			goto fail;
		default:
			goto fail;
		}
		list = xcalloc(1, sizeof(*list));
		list[0] = one;
		one = NULL;
		n = 1;
	} else if (registry_cluster_list(reg, &list, &n, &cause) != 0) {
		goto fail;
	}

	/*
	 * Each engine checks what it needs: the manager host once per engine the
	 * listed clusters use (the config's default engine when none is listed),
	 * then every cluster's nodes. Text goes out host group by host group, so
	 * a slow node shows where it waits.
	 */
	mine = xcalloc(n == 0 ? 1 : n, sizeof(*mine));
	for (e = engine_table; *e != NULL; e++) {
		size_t k = 0;

		for (i = 0; i < n; i++) {
			if (engine_for(cfg, list[i]->engine) == *e)
				mine[k++] = list[i];
		}
		if ((*e)->doctor_manager == NULL ||
		    (k == 0 && !(n == 0 && engine_for(cfg, NULL) == *e)))
			continue;
		(*e)->doctor_manager(&rep, cfg, mine, k, &opts);
		if (!json) {
			cmd_doctor_print_text(&rep, printed);
			printed = rep.n_hosts;
		}
	}
	free(mine);
	for (i = 0; i < n; i++) {
		const struct engine_ops *eng = engine_for(cfg, list[i]->engine);

		if (eng->doctor_cluster != NULL)
			eng->doctor_cluster(&rep, cfg, list[i], &opts);
		else
			cmd_doctor_nothing(&rep, list[i], eng->name);
		if (!json) {
			cmd_doctor_print_text(&rep, printed);
			printed = rep.n_hosts;
		}
	}

	fails = doctor_report_count(&rep, DOCTOR_FAIL);
	warns = doctor_report_count(&rep, DOCTOR_WARN);
	if (json)
		cmd_doctor_print_json(&rep);
	else
		printf("\n%zu ok, %zu warning%s, %zu failure%s\n",
		    doctor_report_count(&rep, DOCTOR_OK), warns, warns == 1 ? "" : "s", fails,
		    fails == 1 ? "" : "s");
	rc = fails > 0 ? CMD_EXIT_ERROR : CMD_EXIT_OK;
	goto out;

fail:
	cmd_error(ctx, "%s", cause);
	rc = CMD_EXIT_ERROR;
out:
	registry_cluster_list_free(list, n);
	registry_cluster_free(one);
	doctor_report_clear(&rep);
	free(cause);
	return rc;
}

const struct cmd_entry cmd_doctor_entry = {
    .name = "doctor",
    .args = "[NAME|all] [--fix] [--json]",
    .summary = "check the manager and nodes for what each cluster's engine needs (MHA 0.58: what "
               "breaks it)",
    .longopts = cmd_doctor_longopts,
    .exec = cmd_doctor_exec,
};
