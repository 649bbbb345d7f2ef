/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command table: one struct cmd_entry per subcommand, dispatch, usage and the seed's flags. */
#ifndef MHAADM_CMD_H
#define MHAADM_CMD_H

#include <getopt.h>
#include <stdio.h>

struct config;
struct registry;

/* Exit codes, set only by main(): */
#define CMD_EXIT_OK 0
#define CMD_EXIT_ERROR 1
#define CMD_EXIT_USAGE 2

/* What every command receives; config and registry are opened on demand. */
struct cmd_ctx {
	const char *config_path; /* from -c, $MHAADM_CONFIG or the default */
	struct config *cfg;      /* NULL until cmd_ctx_config() */
	struct registry *reg;    /* NULL until cmd_ctx_registry() */
	const struct cmd_entry *entry;
	int verbose;
};

/*
 * One subcommand. exec returns a CMD_EXIT_* code; it prints its own
 * messages with cmd_error()/cmd_usage_error().
 */
struct cmd_entry {
	const char *name;
	const char *alias;   /* a second name or NULL */
	const char *args;    /* usage after the name, e.g. "NAME [--force]" */
	const char *summary; /* one line for `mhaadm help` */
	const char *shortopts;
	const struct option *longopts;
	int (*exec)(struct cmd_ctx *ctx, int argc, char **argv);
	int flags; /* CMD_* below */
};

/*
 * Run by mhaadm itself (the daemon, MHA's hooks), never typed: found by
 * its exact name only (a prefix or typo must not start an engine or a
 * fence pass) and left out of 'mhaadm help'.
 */
#define CMD_INTERNAL 0x1

extern const struct cmd_entry *const cmd_table[];

/*
 * Finds a command by exact name, alias, then unique prefix (internal
 * commands by exact name only). Returns NULL
 * and sets *cause ("unknown command: foo", "ambiguous command: st, could
 * be: start, stop") otherwise.
 */
const struct cmd_entry *cmd_find(const char *name, char **cause);

/*
 * Rewrites the seed tool's flags into a command line: "-a NAME [-k yes|no]"
 * → "add NAME [--keys]", "-d NAME" → "del NAME", "-r NAME" → "start NAME",
 * "-t NAME" → "stop NAME", "-l NAME|all" → "list NAME". argv starts at the
 * first word after the global options. Returns 1 and a newly allocated
 * argv in *out (free with cmd_argv_free) when it translated, 0 when argv
 * holds no seed flag, -1 with *cause on a malformed seed command line.
 */
int cmd_seed_translate(int argc, char **argv, int *out_argc, char ***out_argv, char **cause);
void cmd_argv_free(int argc, char **argv);

/* Runs argv[0] as a command. Returns the exit code. */
int cmd_run(struct cmd_ctx *ctx, int argc, char **argv);

/* Prints "usage: mhaadm NAME ARGS" (and option help when full). */
void cmd_print_usage(FILE *f, const struct cmd_entry *entry);
void cmd_print_help(FILE *f);

/* "mhaadm: NAME: message" to stderr; returns CMD_EXIT_ERROR. */
int cmd_error(struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "mhaadm: NAME: message" plus the usage line to stderr; returns CMD_EXIT_USAGE. */
int cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Loads the config once. NULL with *cause on error. */
struct config *cmd_ctx_config(struct cmd_ctx *ctx, char **cause);
/* Opens the registry once (must_exist as registry_open). NULL with *cause on error. */
struct registry *cmd_ctx_registry(struct cmd_ctx *ctx, int must_exist, char **cause);
void cmd_ctx_release(struct cmd_ctx *ctx);

/*
 * Starts option parsing for a command: resets getopt and silences its own
 * messages; each exec then loops on cmd_getopt() and turns '?' into
 * cmd_usage_error() with cmd_bad_option().
 */
void cmd_getopt_reset(void);
/* Parses a decimal option value in [min, max]; 0, or -1 when it is not one. */
int cmd_number(const char *s, long min, long max, long *out);
int cmd_getopt(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_bad_option(struct cmd_ctx *ctx, int argc, char **argv);

/* Prints a message to stderr while a long operation runs (suppressed by -q in future). */
void cmd_progress(struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * mhaadm keys, for add --keys and del (cmd-keys.c): set up trust for a
 * registered cluster (a CMD_EXIT_* code, messages printed); remove the
 * entries keys installed, when it did (0, or -1 with *cause).
 */
struct registry_cluster;
int cmd_keys_setup(
    struct cmd_ctx *ctx, const char *name, const char *password_file, const char *identity);
int cmd_keys_remove(struct cmd_ctx *ctx, const struct registry_cluster *c, char **cause);

/*
 * Rejoins host:port of cluster (rejoin_node, same returns and strings)
 * and, once rejoined, asks the cluster's engine to restart with it when
 * the cluster is monitored. Shared by rejoin and the status pass.
 */
int cmd_rejoin_node(struct cmd_ctx *ctx, struct registry *reg, const char *cluster,
    const char *host, int port, char **master, char **why, char **extra);

extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_add_entry;
extern const struct cmd_entry cmd_del_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_keys_entry;
extern const struct cmd_entry cmd_rejoin_entry;
extern const struct cmd_entry cmd_doctor_entry;
extern const struct cmd_entry cmd_daemon_entry;
extern const struct cmd_entry cmd_hook_entry;
extern const struct cmd_entry cmd_engine_entry;
extern const struct cmd_entry cmd_fence_entry;
extern const struct cmd_entry cmd_self_fence_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_manager_entry;
extern const struct cmd_entry cmd_notify_entry;
extern const struct cmd_entry cmd_notifier_entry;
extern const struct cmd_entry cmd_switch_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_complete_entry;
extern const struct cmd_entry cmd_engine_native_entry;

#endif
