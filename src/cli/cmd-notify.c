/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm notify test [CHANNEL] (a test message now) and mhaadm notifier (internal: the notifier).
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "notifier.h"
#include "notify.h"
#include "xmalloc.h"

/* Sends one test message to each chosen channel, once, and says how each went. */
static int
cmd_notify_test(struct cmd_ctx *ctx, const struct config *cfg, const char *only, int json)
{
	struct json_object *root = NULL, *arr = NULL, *o;
	struct notify_message m;
	const struct notify_channel *ch;
	char host[256], stamp[32], *cause = NULL;
	struct tm tm;
	time_t now = time(NULL);
	size_t i, sent = 0, failed = 0;

	if (only != NULL) {
		for (i = 0; i < cfg->n_notify_channels; i++) {
			if (strcmp(cfg->notify_channels[i].name, only) == 0)
				break;
		}
		if (i == cfg->n_notify_channels)
			return cmd_error(ctx,
			    "no channel '%s' in %s; channels are [notify \"NAME\"] "
			    "sections",
			    only, cfg->path);
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
	}
	for (i = 0; i < cfg->n_notify_channels; i++) {
		ch = &cfg->notify_channels[i];
		if (only != NULL && strcmp(ch->name, only) != 0)
			continue;
		memset(&m, 0, sizeof(m));
		m.test = 1;
		m.time = xstrdup(stamp);
		m.type = xstrdup("notify.test");
		m.manager = xstrdup(host);
		m.message =
		    xasprintf("test message from mhaadm on %s to channel '%s'", host, ch->name);
		notify_message_finish(&m);
		if (notify_send(ch, &m, NULL, &cause) == 0) {
			if (!json)
				printf("channel '%s' (%s): ok\n", ch->name,
				    notify_type_name(ch->type));
		} else {
			if (!json)
				printf("channel '%s' (%s): FAILED: %s\n", ch->name,
				    notify_type_name(ch->type), cause);
		}
		if (json) {
			o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(ch->name));
			json_object_object_add(
			    o, "type", json_object_new_string(notify_type_name(ch->type)));
			json_object_object_add(o, "ok", json_object_new_boolean(cause == NULL));
			json_object_object_add(
			    o, "error", cause != NULL ? json_object_new_string(cause) : NULL);
			json_object_array_add(arr, o);
		}
		if (cause != NULL) {
			free(cause);
			cause = NULL;
			failed++;
		}
		sent++;
		notify_message_clear(&m);
	}
	if (json) {
		json_object_object_add(root, "channels", arr);
		printf("%s\n", json_object_to_json_string_ext(
		                   root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	fflush(stdout);
	curl_global_cleanup();
	if (failed > 0)
		return cmd_error(
		    ctx, "%zu of %zu channel%s failed", failed, sent, sent == 1 ? "" : "s");
	return CMD_EXIT_OK;
}

static const struct option cmd_notify_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

static int
cmd_notify_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct config *cfg;
	char *cause = NULL;
	int opt, json = 0;

	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'j')
			json = 1;
		else
			return cmd_bad_option(ctx, argc, argv);
	}
	/* The words after the options; getopt moved them to the end. */
	argc -= optind - 1;
	argv += optind - 1;

	if (argc < 2)
		return cmd_usage_error(ctx, "say 'test [CHANNEL]'");
	if (strcmp(argv[1], "test") != 0)
		return cmd_usage_error(ctx, "unknown action '%s'; say 'test [CHANNEL]'", argv[1]);
	if (argc > 3)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[argc - 1]);
	if ((cfg = cmd_ctx_config(ctx, &cause)) == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	if (cfg->n_notify_channels == 0)
		return cmd_error(ctx,
		    "no notification channel in %s; add a [notify \"NAME\"] "
		    "section (see docs/notifications.md)",
		    cfg->path);
	return cmd_notify_test(ctx, cfg, argc == 3 ? argv[2] : NULL, json);
}

/*
 * The notifier process the daemon starts; its output is the daemon's log.
 * An internal command of its own (exact name only, hidden from help), so no
 * prefix or word of the public notify command reaches it.
 */
static int
cmd_notifier_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct config *cfg;
	char *cause = NULL;

	if (argc > 1)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[1]);
	if ((cfg = cmd_ctx_config(ctx, &cause)) == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	if (cfg->n_notify_channels == 0)
		return cmd_error(ctx, "no notification channel in %s", cfg->path);
	log_set_level(LOG_LEVEL_INFO);
	log_journal_auto(); /* its lines are the daemon's log */
	if (notifier_run(cfg, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	return CMD_EXIT_OK;
}

const struct cmd_entry cmd_notify_entry = {
    .name = "notify",
    .args = "test [CHANNEL] [--json]",
    .summary = "send a test notification to every channel (or one) and say how each went",
    .shortopts = "",
    .longopts = cmd_notify_longopts,
    .exec = cmd_notify_exec,
};

const struct cmd_entry cmd_notifier_entry = {
    .name = "notifier",
    .args = "",
    .summary = "internal: deliver the registry's events to the channels (started by the daemon)",
    .flags = CMD_INTERNAL,
    .exec = cmd_notifier_exec,
};
