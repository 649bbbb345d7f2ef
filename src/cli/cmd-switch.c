/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm switch NAME [--to HOST[:PORT]] [--timeout S] | switch all --from HOST:
 * the planned switchover. Checks first (nothing changes when refused), then
 * the engine is held off (monitoring stopped through the daemon: no engine
 * may watch, or fail over, a master being demoted), the switch runs
 * (src/core/failover/switch.c), and monitoring starts again on the new
 * topology.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "fleet-doc.h"
#include "guard.h"
#include "probe.h"
#include "registry.h"
#include "status.h"
#include "switch.h"
#include "validate.h"
#include "xmalloc.h"

static const struct option cmd_switch_longopts[] = {
    {"to", required_argument, NULL, 't'},
    {"from", required_argument, NULL, 'f'},
    {"timeout", required_argument, NULL, 'T'},
    {NULL, 0, NULL, 0},
};

static void
cmd_switch_progress(void *arg, const char *line)
{
	cmd_progress(arg, "switch: %s", line);
}

/*
 * Probes and judges cluster c the way list does, then asks switch_pick.
 * Returns 0 with the indexes, or -1 with *cause.
 */
static int
cmd_switch_check(struct cmd_ctx *ctx, struct registry *reg, const struct registry_cluster *c,
    const char *to_host, int to_port, size_t *old_i, size_t *new_i, char **cause)
{
	struct registry_cluster *list[1] = {(struct registry_cluster *)c};
	struct fleet_doc_live lv = {0};
	struct status_monitor mon = {0};
	struct status_cluster *sc;
	const char *why;
	int r;

	fleet_doc_live_fill(ctx->cfg, ctx->config_path, reg, c, &lv);
	/* Under writes replicas may be read after the master: status_errant allows for it. */
	sc = status_probe(ctx->cfg, list, 1, NULL);
	engine_monitor(&lv.engine, &mon);
	mon.problem = lv.problem;
	sc[0].guard_wanted = guard_mode_of(ctx->cfg, c, &why) == GUARD_SEMISYNC &&
	                     c->desired == REGISTRY_DESIRED_MONITORED;
	sc[0].guard_why = why;
	status_judge(&sc[0], &mon, ctx->cfg->max_lag);
	r = switch_pick(&sc[0], to_host, to_port, old_i, new_i, cause);
	status_free(sc, 1);
	fleet_doc_live_clear(&lv);
	return r;
}

/* Runs another command of the table (stop, start) as part of this one; its exit code. */
static int
cmd_switch_nested(struct cmd_ctx *ctx, const char *command, const char *name)
{
	const struct cmd_entry *self = ctx->entry;
	char *argv[] = {(char *)command, (char *)name, NULL};
	int rc;

	rc = cmd_run(ctx, 2, argv);
	ctx->entry = self;
	return rc;
}

/* The switch of one cluster; a CMD_EXIT_* code, everything said. */
static int
cmd_switch_one(struct cmd_ctx *ctx, struct registry *reg, const char *name, const char *to_host,
    int to_port, int timeout)
{
	struct registry_cluster *c = NULL;
	struct switch_plan plan = {0};
	enum switch_result res;
	char *cause = NULL;
	int r, rc = CMD_EXIT_ERROR;

	r = registry_cluster_get(reg, name, &c, &cause);
	if (r != 0) {
		if (r == 1)
			cmd_error(ctx, "no cluster named '%s' in the registry", name);
		else
			cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (cmd_switch_check(ctx, reg, c, to_host, to_port, &plan.old_i, &plan.new_i, &cause) !=
	    0) {
		cmd_error(ctx, "refused: %s; nothing was changed", cause);
		goto out;
	}
	/* Holding the engine off goes through the daemon: without one, stop would only record it.
	 */
	if (daemon_running(ctx->cfg) == 0) {
		cmd_error(ctx,
		    "refused: no mhaadm daemon is running to hold the engine of '%s' off; "
		    "nothing was changed",
		    name);
		goto out;
	}
	cmd_progress(ctx, "switch: cluster '%s': %s:%d -> %s:%d; holding the %s engine off", name,
	    c->nodes[plan.old_i].host, c->nodes[plan.old_i].port, c->nodes[plan.new_i].host,
	    c->nodes[plan.new_i].port, engine_for(ctx->cfg, c->engine)->name);
	if (cmd_switch_nested(ctx, "stop", name) != CMD_EXIT_OK) {
		cmd_error(ctx,
		    "cluster '%s': monitoring could not be stopped, so nothing was switched; "
		    "see 'mhaadm history %s', then 'mhaadm start %s'",
		    name, name, name);
		goto out;
	}
	plan.cfg = ctx->cfg;
	plan.reg = reg;
	plan.c = c;
	plan.timeout = timeout;
	plan.progress = cmd_switch_progress;
	plan.progress_arg = ctx;
	res = switch_run(&plan, &cause);
	if (res == SWITCH_STUCK) {
		cmd_error(ctx,
		    "cluster '%s': switch failed and could not be rolled back: %s\n"
		    "  monitoring stays stopped; repair by hand, then 'mhaadm start %s'",
		    name, cause, name);
		goto out;
	}
	if (res == SWITCH_ROLLED_BACK)
		cmd_error(ctx, "cluster '%s': switch failed: %s", name, cause);
	else
		printf("cluster '%s': switched: master %s:%d (was %s:%d), writes blocked %ld ms\n",
		    name, c->nodes[plan.new_i].host, c->nodes[plan.new_i].port,
		    c->nodes[plan.old_i].host, c->nodes[plan.old_i].port, plan.write_block_ms);
	if (res == SWITCH_DONE_REPAIR)
		fprintf(stderr, "mhaadm: warning: cluster '%s': %s\n", name, cause);
	cmd_progress(ctx, "switch: cluster '%s': starting monitoring again", name);
	if (cmd_switch_nested(ctx, "start", name) != CMD_EXIT_OK) {
		cmd_error(ctx,
		    "cluster '%s': monitoring did not start again: run 'mhaadm start %s'", name,
		    name);
		goto out;
	}
	rc = res == SWITCH_DONE ? CMD_EXIT_OK : CMD_EXIT_ERROR;
out:
	free(cause);
	registry_cluster_free(c);
	return rc;
}

/* switch all --from HOST: every cluster whose master is on host, in name order. */
static int
cmd_switch_all(struct cmd_ctx *ctx, struct registry *reg, const char *host, int timeout)
{
	struct registry_cluster **list = NULL;
	char *cause = NULL, **names = NULL;
	size_t n = 0, i, j, k = 0;
	int rc = CMD_EXIT_OK;

	if (registry_cluster_list(reg, &list, &n, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	names = xcalloc(n + 1, sizeof(*names));
	for (i = 0; i < n; i++) {
		for (j = 0; j < list[i]->n_nodes; j++) {
			if (list[i]->nodes[j].role == REGISTRY_ROLE_MASTER &&
			    strcmp(list[i]->nodes[j].host, host) == 0) {
				names[k++] = xstrdup(list[i]->name);
				break;
			}
		}
	}
	registry_cluster_list_free(list, n);
	if (k == 0) {
		cmd_error(ctx, "no cluster has its master on %s", host);
		rc = CMD_EXIT_ERROR;
	}
	for (i = 0; i < k; i++) {
		cmd_progress(ctx, "switch: cluster %zu of %zu: '%s'", i + 1, k, names[i]);
		if (cmd_switch_one(ctx, reg, names[i], NULL, 0, timeout) == CMD_EXIT_OK)
			continue;
		cmd_error(ctx, "all --from %s: stopped at cluster '%s' (%zu of %zu)%s", host,
		    names[i], i + 1, k, i + 1 < k ? "; not tried:" : "");
		for (j = i + 1; j < k; j++)
			fprintf(stderr, "  %s\n", names[j]);
		rc = CMD_EXIT_ERROR;
		break;
	}
	if (rc == CMD_EXIT_OK)
		printf("every cluster with its master on %s switched (%zu)\n", host, k);
	for (i = 0; i < k; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* "HOST" (any port: *port 0) or "HOST:PORT"; *host newly allocated. 0, or -1 with *cause. */
static int
cmd_switch_host(const char *s, char **host, int *port, char **cause)
{
	if (strchr(s, ':') != NULL)
		return validate_parse_hostport(s, 3306, host, port, cause);
	if (validate_host(s, cause) != 0)
		return -1;
	*host = xstrdup(s);
	*port = 0;
	return 0;
}

static int
cmd_switch_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry *reg;
	const char *to = NULL, *from = NULL;
	char *cause = NULL, *to_host = NULL, *from_host = NULL;
	long timeout = SWITCH_TIMEOUT_DEFAULT;
	int opt, to_port = 0, from_port = 0, rc = CMD_EXIT_ERROR, all;

	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 't') {
			to = optarg;
		} else if (opt == 'f') {
			from = optarg;
		} else if (opt == 'T') {
			if (cmd_number(optarg, 1, 3600, &timeout) != 0)
				return cmd_usage_error(
				    ctx, "--timeout needs seconds from 1 to 3600");
		} else {
			return cmd_bad_option(ctx, argc, argv);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error(ctx,
		    optind >= argc ? "a cluster name or 'all' is needed" : "too many arguments");
	all = strcmp(argv[optind], "all") == 0;
	if (all && from == NULL)
		return cmd_usage_error(ctx, "switch all needs --from HOST");
	if (all && to != NULL)
		return cmd_usage_error(ctx, "--to names one cluster's replica: not with all");
	if (!all && from != NULL)
		return cmd_usage_error(ctx, "--from goes with 'all'");
	if (!all && validate_cluster_name(argv[optind], &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (to != NULL && cmd_switch_host(to, &to_host, &to_port, &cause) != 0) {
		cmd_error(ctx, "--to %s: %s", to, cause);
		goto out;
	}
	if (from != NULL && cmd_switch_host(from, &from_host, &from_port, &cause) != 0) {
		cmd_error(ctx, "--from %s: %s", from, cause);
		goto out;
	}
	if ((reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (all)
		rc = cmd_switch_all(ctx, reg, from_host, (int)timeout);
	else
		rc = cmd_switch_one(ctx, reg, argv[optind], to_host, to_port, (int)timeout);
out:
	free(cause);
	free(to_host);
	free(from_host);
	return rc;
}

const struct cmd_entry cmd_switch_entry = {
    .name = "switch",
    .args = "NAME [--to HOST[:PORT]] [--timeout SECONDS] | all --from HOST",
    .summary = "planned master switchover (engine held off; VIP moved; old master replicates)",
    .shortopts = "",
    .longopts = cmd_switch_longopts,
    .exec = cmd_switch_exec,
};
