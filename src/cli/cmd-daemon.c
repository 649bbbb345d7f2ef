/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm daemon (the supervisor, foreground) and mhaadm engine (internal: one cluster's engine). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "notify.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

/* Fills env with absolute paths: engines and hooks run from other directories. */
static int
cmd_daemon_env(struct cmd_ctx *ctx, struct engine_env *env, char *self, char *cfgpath, char **cause)
{
	ssize_t n;

	if (cmd_ctx_config(ctx, cause) == NULL)
		return -1;
	n = readlink("/proc/self/exe", self, PATH_MAX - 1);
	if (n <= 0) {
		*cause = xstrdup("cannot find the mhaadm binary (/proc/self/exe)");
		return -1;
	}
	self[n] = '\0';
	if (realpath(ctx->config_path, cfgpath) == NULL) {
		*cause = xasprintf("cannot resolve %s", ctx->config_path);
		return -1;
	}
	env->cfg = ctx->cfg;
	env->self = self;
	env->config_path = cfgpath;
	return 0;
}

/*
 * A SQLite registry that is missing or not a registry will not get better
 * by waiting: refuse to start. A management node that does not answer may
 * come back, so the daemon starts and retries (engines keep running).
 */
static int
cmd_daemon_registry_usable(struct cmd_ctx *ctx, char **cause)
{
	if (ctx->cfg->registry != CONFIG_REGISTRY_SQLITE)
		return 0;
	if (cmd_ctx_registry(ctx, 1, cause) == NULL)
		return -1;
	registry_close(ctx->reg);
	ctx->reg = NULL;
	return 0;
}

/*
 * daemon --check-config (like nginx -t): the config parses and passes its
 * checks, the registry answers and has a schema, and what the daemon would
 * supervise. Changes nothing; 0 when the daemon could start, 1 otherwise.
 */
static int
cmd_daemon_check_config(struct cmd_ctx *ctx)
{
	struct registry_cluster **list = NULL;
	struct registry *reg;
	char *cause = NULL, master[300];
	size_t i, n = 0, monitored = 0;
	pid_t running;

	if (cmd_ctx_config(ctx, &cause) == NULL)
		goto fail;
	printf("config %s: ok\n", ctx->config_path);
	if ((reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL ||
	    registry_cluster_list(reg, &list, &n, &cause) != 0)
		goto fail;
	printf(
	    "registry (%s): ok, %zu cluster%s\n", registry_backend_name(reg), n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if (list[i]->desired != REGISTRY_DESIRED_MONITORED)
			continue;
		/* The daemon's rule (decide.c): an unprotected cluster waits for 'mhaadm start'. */
		if (list[i]->state == REGISTRY_STATE_UNPROTECTED) {
			printf("not supervised: %s (unprotected; after repairing it run "
			       "'mhaadm start %s')\n",
			    list[i]->name, list[i]->name);
			continue;
		}
		monitored++;
		printf("would supervise: %s (engine %s, master %s, VIP %s)\n", list[i]->name,
		    list[i]->engine != NULL ? list[i]->engine : ENGINE_DEFAULT,
		    registry_cluster_master(list[i], master, sizeof(master)), list[i]->vip);
	}
	for (i = 0; i < ctx->cfg->n_notify_channels; i++)
		printf("notification channel: %s (%s)\n", ctx->cfg->notify_channels[i].name,
		    notify_type_name(ctx->cfg->notify_channels[i].type));
	running = daemon_running(ctx->cfg);
	if (running > 0)
		printf(
		    "a daemon runs for this workdir (pid %ld): 'kill -HUP %ld' (systemctl reload "
		    "mhaadm) makes it read the configuration again\n",
		    (long)running, (long)running);
	printf("%zu cluster%s to supervise; the configuration is fine\n", monitored,
	    monitored == 1 ? "" : "s");
	registry_cluster_list_free(list, n);
	return CMD_EXIT_OK;

fail:
	cmd_error(ctx, "%s", cause);
	free(cause);
	return CMD_EXIT_ERROR;
}

static const struct option cmd_daemon_longopts[] = {
    {"check-config", no_argument, NULL, 't'},
    {NULL, 0, NULL, 0},
};

static int
cmd_daemon_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct engine_env env;
	char self[PATH_MAX], cfgpath[PATH_MAX], *cause = NULL;
	int opt, check = 0;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 't')
			check = 1;
		else
			return cmd_bad_option(ctx, argc, argv);
	}
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (check)
		return cmd_daemon_check_config(ctx);
	/* The daemon logs at info; -v adds the debug lines. */
	log_set_level(ctx->verbose > 0 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	log_journal_auto();
	if (cmd_daemon_env(ctx, &env, self, cfgpath, &cause) != 0 ||
	    cmd_daemon_registry_usable(ctx, &cause) != 0 || daemon_run(&env, &cause) != 0) {
		fputs(log_prefix(LOG_PRIO_ERR), stderr); /* why it did not start is an error line */
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_daemon_entry = {
    .name = "daemon",
    .args = "[--check-config]",
    .shortopts = "",
    .longopts = cmd_daemon_longopts,
    .summary = "run the supervisor in the foreground (systemd: mhaadm.service)",
    .exec = cmd_daemon_exec,
};

static const struct option cmd_engine_longopts[] = {
    {"checks", no_argument, NULL, 'k'},
    {"engine", required_argument, NULL, 'e'},
    {NULL, 0, NULL, 0},
};

static int
cmd_engine_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct engine_env env;
	const struct engine_ops *engine = NULL;
	char self[PATH_MAX], cfgpath[PATH_MAX], *cause = NULL;
	const char *name = ENGINE_DEFAULT;
	int opt, checks = 0;

	log_set_level(LOG_LEVEL_INFO); /* its output is the cluster's engine.log */
	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'k')
			checks = 1;
		else if (opt == 'e')
			name = optarg;
		else
			return cmd_bad_option(ctx, argc, argv);
	}
	if (optind + 1 != argc)
		return cmd_usage_error(ctx, "a cluster name is needed");
	if ((engine = engine_find(name)) == NULL || engine->run == NULL)
		return cmd_usage_error(
		    ctx, "no engine '%s' runs as a process (engines: %s)", name, engine_names());
	if (validate_cluster_name(argv[optind], &cause) != 0 ||
	    cmd_daemon_env(ctx, &env, self, cfgpath, &cause) != 0 ||
	    engine->run(&env, argv[optind], checks, &cause) != 0) {
		/* run returns only when it could not start; it recorded why as an event. */
		cmd_error(ctx, "%s", cause);
		free(cause);
		return ENGINE_EXIT_CHECKS;
	}
	return ENGINE_EXIT_CHECKS;
}

const struct cmd_entry cmd_engine_entry = {
    .name = "engine",
    .args = "NAME [--engine NAME] [--checks]",
    .summary = "internal: run one cluster's engine (started by the daemon)",
    .shortopts = "",
    .longopts = cmd_engine_longopts,
    .exec = cmd_engine_exec,
    .flags = CMD_INTERNAL,
};
