/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command table, lookup by name/alias/prefix, usage, the seed's flags, and shared helpers. */
#include "cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "event.h"
#include "registry.h"
#include "xmalloc.h"

const struct cmd_entry *const cmd_table[] = {
    &cmd_init_entry,
    &cmd_add_entry,
    &cmd_del_entry,
    &cmd_list_entry,
    &cmd_history_entry,
    &cmd_start_entry,
    &cmd_stop_entry,
    &cmd_keys_entry,
    &cmd_doctor_entry,
    &cmd_switch_entry,
    &cmd_rejoin_entry,
    &cmd_daemon_entry,
    &cmd_hook_entry,
    &cmd_engine_entry,
    &cmd_engine_native_entry,
    &cmd_fence_entry,
    &cmd_self_fence_entry,
    &cmd_watch_entry,
    &cmd_manager_entry,
    &cmd_notify_entry,
    &cmd_notifier_entry,
    &cmd_help_entry,
    &cmd_version_entry,
    &cmd_complete_entry,
    NULL,
};

const struct cmd_entry *
cmd_find(const char *name, char **cause)
{
	const struct cmd_entry *const *e;
	const struct cmd_entry *found = NULL;
	char *names = NULL, *tmp;
	size_t len = strlen(name);
	int n = 0;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, name) == 0)
			return *e;
		if ((*e)->alias != NULL && strcmp((*e)->alias, name) == 0)
			return *e;
	}
	if (len == 0)
		goto unknown;
	for (e = cmd_table; *e != NULL; e++) {
		if (((*e)->flags & CMD_INTERNAL) || strncmp((*e)->name, name, len) != 0)
			continue;
		found = *e;
		n++;
		tmp = names == NULL ? xstrdup((*e)->name) : xasprintf("%s, %s", names, (*e)->name);
		free(names);
		names = tmp;
	}
	if (n == 1) {
		free(names);
		return found;
	}
	if (n > 1) {
		*cause = xasprintf("ambiguous command: %s, could be: %s", name, names);
		free(names);
		return NULL;
	}
unknown:
	*cause = xasprintf("unknown command: %s (see 'mhaadm help')", name);
	return NULL;
}

void
cmd_argv_free(int argc, char **argv)
{
	int i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/*
 * The seed tool took exactly one action flag with its value, plus -k for
 * -a. Anything else mixed in is refused rather than guessed at, so an old
 * script never does something other than what it did before.
 */
int
cmd_seed_translate(int argc, char **argv, int *out_argc, char ***out_argv, char **cause)
{
	static const struct {
		const char *flag;
		const char *cmd;
	} map[] = {
	    {"-a", "add"},
	    {"-d", "del"},
	    {"-r", "start"},
	    {"-t", "stop"},
	    {"-l", "list"},
	};
	const char *cmd = NULL, *flag = NULL, *value = NULL, *keys = NULL;
	char **nv;
	size_t j;
	int i, n = 0;

	if (argc < 1 || argv[0][0] != '-' || strlen(argv[0]) != 2 || strcmp(argv[0], "-k") == 0) {
		if (argc >= 1 && strcmp(argv[0], "-k") == 0)
			goto parse;
		return 0;
	}
	for (j = 0; j < sizeof(map) / sizeof(map[0]); j++) {
		if (strcmp(argv[0], map[j].flag) == 0)
			break;
	}
	if (j == sizeof(map) / sizeof(map[0]))
		return 0;
parse:
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-k") == 0) {
			if (keys != NULL) {
				*cause = xstrdup("-k given twice");
				return -1;
			}
			if (i + 1 >= argc) {
				*cause = xstrdup("-k needs yes or no");
				return -1;
			}
			keys = argv[++i];
			if (strcmp(keys, "yes") != 0 && strcmp(keys, "no") != 0) {
				*cause = xasprintf("-k needs yes or no, not '%s'", keys);
				return -1;
			}
			continue;
		}
		for (j = 0; j < sizeof(map) / sizeof(map[0]); j++) {
			if (strcmp(argv[i], map[j].flag) == 0)
				break;
		}
		if (j == sizeof(map) / sizeof(map[0])) {
			*cause = xasprintf("unexpected argument '%s' with the seed flags "
			                   "(-a|-d|-r|-t|-l NAME, -k yes|no)",
			    argv[i]);
			return -1;
		}
		if (cmd != NULL) {
			*cause = xasprintf("%s and %s cannot be combined", flag, argv[i]);
			return -1;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '-') {
			*cause = xasprintf("%s needs a cluster name%s", argv[i],
			    strcmp(argv[i], "-l") == 0 ? " or 'all'" : "");
			return -1;
		}
		flag = argv[i];
		cmd = map[j].cmd;
		value = argv[++i];
	}
	if (cmd == NULL) {
		*cause = xstrdup("-k is only meaningful with -a NAME");
		return -1;
	}
	if (keys != NULL && strcmp(flag, "-a") != 0) {
		*cause = xasprintf("-k is only meaningful with -a NAME, not with %s", flag);
		return -1;
	}
	nv = xcalloc(4, sizeof(*nv));
	nv[n++] = xstrdup(cmd);
	nv[n++] = xstrdup(value);
	if (keys != NULL && strcmp(keys, "yes") == 0)
		nv[n++] = xstrdup("--keys");
	*out_argc = n;
	*out_argv = nv;
	return 1;
}

void
cmd_print_usage(FILE *f, const struct cmd_entry *entry)
{
	fprintf(f, "usage: mhaadm [-c CONFIG] %s%s%s\n", entry->name,
	    entry->args[0] != '\0' ? " " : "", entry->args);
}

void
cmd_print_help(FILE *f)
{
	const struct cmd_entry *const *e;

	fprintf(f,
	    "usage: mhaadm [-c CONFIG] [-v] COMMAND [ARGS]\n"
	    "       mhaadm -a NAME [-k yes|no] | -d NAME | -r NAME | -t NAME | -l NAME|all\n\n"
	    "MHA high availability for fleets of MySQL/MariaDB clusters.\n\n"
	    "Commands:\n");
	for (e = cmd_table; *e != NULL; e++) {
		if (!((*e)->flags & CMD_INTERNAL))
			fprintf(f, "  %-8s %s\n", (*e)->name, (*e)->summary);
	}
	fprintf(f,
	    "\nA unique prefix of a command is accepted. 'mhaadm COMMAND --help' shows a\n"
	    "command's usage. The config is -c FILE, else $MHAADM_CONFIG, else %s.\n",
	    CONFIG_DEFAULT_PATH);
}

static void __attribute__((format(printf, 2, 0)))
cmd_vmessage(struct cmd_ctx *ctx, const char *fmt, va_list ap)
{
	fprintf(stderr, "mhaadm: ");
	if (ctx != NULL && ctx->entry != NULL)
		fprintf(stderr, "%s: ", ctx->entry->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vmessage(ctx, fmt, ap);
	va_end(ap);
	return CMD_EXIT_ERROR;
}

int
cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vmessage(ctx, fmt, ap);
	va_end(ap);
	if (ctx != NULL && ctx->entry != NULL)
		cmd_print_usage(stderr, ctx->entry);
	return CMD_EXIT_USAGE;
}

void
cmd_progress(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout); /* keep progress in order with what was printed before */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

int
cmd_number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
cmd_getopt_reset(void)
{
	optind = 0; /* glibc: 0 reinitialises getopt completely */
	opterr = 0;
}

int
cmd_getopt(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *shortopts = ctx->entry->shortopts != NULL ? ctx->entry->shortopts : "";
	static const struct option none[] = {{NULL, 0, NULL, 0}};

	/* A leading '+' stops at the first operand only if asked; we permute (GNU default). */
	return getopt_long(argc, argv, shortopts,
	    ctx->entry->longopts != NULL ? ctx->entry->longopts : none, NULL);
}

int
cmd_bad_option(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *arg = optind - 1 < argc && optind >= 1 ? argv[optind - 1] : "?";

	if (optopt != 0 &&
	    strchr(ctx->entry->shortopts != NULL ? ctx->entry->shortopts : "", optopt) != NULL)
		return cmd_usage_error(ctx, "option -%c needs a value", optopt);
	if (optopt != 0 && arg[0] == '-' && arg[1] != '-')
		return cmd_usage_error(ctx, "unknown option -%c", optopt);
	if (strncmp(arg, "--", 2) == 0 && optopt != 0)
		return cmd_usage_error(ctx, "option %s needs a value", arg);
	return cmd_usage_error(ctx, "unknown option %s", arg);
}

struct config *
cmd_ctx_config(struct cmd_ctx *ctx, char **cause)
{
	if (ctx->cfg == NULL) {
		ctx->cfg = config_load(ctx->config_path, cause);
		/* core knows no engine: the name is checked against the table here. */
		if (ctx->cfg != NULL && engine_find(ctx->cfg->engine) == NULL) {
			*cause = xasprintf("%s: engine = %s: no such engine (engines: %s)",
			    ctx->config_path, ctx->cfg->engine, engine_names());
			config_free(ctx->cfg);
			ctx->cfg = NULL;
		}
		/* Events the registry cannot take now are spooled, not lost. */
		event_spool_to(ctx->cfg);
	}
	return ctx->cfg;
}

struct registry *
cmd_ctx_registry(struct cmd_ctx *ctx, int must_exist, char **cause)
{
	if (ctx->reg != NULL)
		return ctx->reg;
	if (cmd_ctx_config(ctx, cause) == NULL)
		return NULL;
	ctx->reg = registry_open(ctx->cfg, must_exist, cause);
	return ctx->reg;
}

void
cmd_ctx_release(struct cmd_ctx *ctx)
{
	registry_close(ctx->reg);
	ctx->reg = NULL;
	event_spool_to(NULL);
	config_free(ctx->cfg);
	ctx->cfg = NULL;
}

static int
cmd_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *entry;
	char *cause = NULL;
	int rc;

	entry = cmd_find(argv[0], &cause);
	if (entry == NULL) {
		fprintf(stderr, "mhaadm: %s\n", cause);
		free(cause);
		return CMD_EXIT_USAGE;
	}
	ctx->entry = entry;
	if (cmd_wants_help(argc, argv)) {
		cmd_print_usage(stdout, entry);
		printf("%s\n", entry->summary);
		return CMD_EXIT_OK;
	}
	cmd_getopt_reset();
	rc = entry->exec(ctx, argc, argv);
	fflush(stdout);
	return rc;
}
