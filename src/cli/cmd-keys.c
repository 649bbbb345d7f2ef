/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm keys NAME [--check [--json] | --remove]: pinned SSH trust for a
 * cluster (mhaadm's own key, pinned host keys, limited and tagged
 * authorized_keys entries), its check matrix, and its removal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "event.h"
#include "keys.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

enum {
	CMD_KEYS_OPT_CHECK = 256,
	CMD_KEYS_OPT_REMOVE,
	CMD_KEYS_OPT_JSON,
	CMD_KEYS_OPT_PASSWORD_FILE,
	CMD_KEYS_OPT_IDENTITY,
};

static const struct option cmd_keys_longopts[] = {
    {"check", no_argument, NULL, CMD_KEYS_OPT_CHECK},
    {"remove", no_argument, NULL, CMD_KEYS_OPT_REMOVE},
    {"json", no_argument, NULL, CMD_KEYS_OPT_JSON},
    {"password-file", required_argument, NULL, CMD_KEYS_OPT_PASSWORD_FILE},
    {"identity", required_argument, NULL, CMD_KEYS_OPT_IDENTITY},
    {NULL, 0, NULL, 0},
};

/*
 * Sets up trust for a registered cluster and records it; shared with
 * add --keys. Returns a CMD_EXIT_* code (messages printed).
 */
int
cmd_keys_setup(
    struct cmd_ctx *ctx, const char *name, const char *password_file, const char *identity)
{
	struct registry_cluster *c = NULL;
	struct keys_opts opts = {0};
	struct registry *reg;
	struct config *cfg;
	char *cause = NULL, *password = NULL;
	int rc = CMD_EXIT_ERROR;

	if ((cfg = cmd_ctx_config(ctx, &cause)) == NULL ||
	    (reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL)
		goto fail;
	if (identity != NULL && access(identity, R_OK) != 0) {
		cause = xasprintf("--identity %s cannot be read", identity);
		goto fail;
	}
	if (keys_password_read(password_file, &password, &cause) != 0)
		goto fail;
	switch (registry_cluster_get(reg, name, &c, &cause)) {
	case 0:
		break;
	case 1:
		cause =
		    xasprintf("no cluster named '%s' in the registry (see 'mhaadm list')", name);
		goto fail;
	default:
		goto fail;
	}
	opts.identity = identity;
	opts.password = password;
	opts.may_prompt = password == NULL && isatty(STDIN_FILENO);
	opts.out = stdout;
	if (keys_setup(cfg, c, &opts, &cause) != 0)
		goto fail;
	event_emit(reg, name, NULL, "keys.installed",
	    "SSH trust set up for cluster '%s' (key %s, known_hosts %s)", name, cfg->ssh_key,
	    cfg->ssh_known_hosts);
	rc = CMD_EXIT_OK;
	goto out;
fail:
	cmd_error(ctx, "%s", cause);
out:
	xfree_secret(password);
	free(cause);
	registry_cluster_free(c);
	return rc;
}

/*
 * Removes the entries keys installed for a cluster, if it ever did (del
 * uses it before deleting). Returns 0 (nothing to do, or done), -1 with
 * *cause.
 */
int
cmd_keys_remove(struct cmd_ctx *ctx, const struct registry_cluster *c, char **cause)
{
	struct registry *reg;
	struct config *cfg;
	int r;

	if ((cfg = cmd_ctx_config(ctx, cause)) == NULL ||
	    (reg = cmd_ctx_registry(ctx, 1, cause)) == NULL)
		return -1;
	if ((r = keys_installed(reg, c->name, cause)) <= 0)
		return r;
	if (keys_remove(cfg, c, stdout, cause) != 0)
		return -1;
	event_emit(reg, c->name, NULL, "keys.removed",
	    "mhaadm's authorized_keys entries removed from the nodes of cluster '%s'", c->name);
	return 0;
}

static int
cmd_keys_check(struct cmd_ctx *ctx, const struct registry_cluster *c, int json)
{
	struct keys_link *links = NULL;
	struct config *cfg;
	char *cause = NULL, **hosts = NULL, *text;
	size_t n = 0;
	int r;

	if ((cfg = cmd_ctx_config(ctx, &cause)) == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	r = keys_check(cfg, c, &links, &hosts, &n, &cause);
	if (r < 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	if (json) {
		text = keys_matrix_json(c->name, (const char *const *)hosts, n, links);
		printf("%s\n", text);
		free(text);
	} else {
		keys_matrix_print(stdout, (const char *const *)hosts, n, links);
		printf(r == 0 ? "all %zu ssh links MHA needs work\n"
		              : "some ssh links MHA needs do not work (of %zu)\n",
		    (n + 1) * n - n);
	}
	keys_links_free(links, hosts, n);
	return r == 0 ? CMD_EXIT_OK : CMD_EXIT_ERROR;
}

static int
cmd_keys_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_cluster *c = NULL;
	struct registry *reg;
	struct config *cfg;
	const char *name, *password_file = NULL, *identity = NULL;
	char *cause = NULL;
	int opt, check = 0, remove = 0, json = 0, rc = CMD_EXIT_ERROR;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		switch (opt) {
		case CMD_KEYS_OPT_CHECK:
			check = 1;
			break;
		case CMD_KEYS_OPT_REMOVE:
			remove = 1;
			break;
		case CMD_KEYS_OPT_JSON:
			json = 1;
			break;
		case CMD_KEYS_OPT_PASSWORD_FILE:
			password_file = optarg;
			break;
		case CMD_KEYS_OPT_IDENTITY:
			identity = optarg;
			break;
		default:
			return cmd_bad_option(ctx, argc, argv);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error(
		    ctx, optind >= argc ? "a cluster name is needed" : "too many arguments");
	if (check && remove)
		return cmd_usage_error(ctx, "--check and --remove exclude each other");
	if (json && !check)
		return cmd_usage_error(ctx, "--json goes with --check");
	if ((check || remove) && (password_file != NULL || identity != NULL))
		return cmd_usage_error(ctx, "--password-file and --identity are for setting up "
		                            "trust, not for --check or --remove");
	name = argv[optind];
	if (validate_cluster_name(name, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_EXIT_ERROR;
	}
	if (!check && !remove)
		return cmd_keys_setup(ctx, name, password_file, identity);

	if ((cfg = cmd_ctx_config(ctx, &cause)) == NULL ||
	    (reg = cmd_ctx_registry(ctx, 1, &cause)) == NULL)
		goto fail;
	switch (registry_cluster_get(reg, name, &c, &cause)) {
	case 0:
		break;
	case 1:
		cause =
		    xasprintf("no cluster named '%s' in the registry (see 'mhaadm list')", name);
		goto fail;
	default:
		goto fail;
	}
	if (check) {
		rc = cmd_keys_check(ctx, c, json);
		goto out;
	}
	if (keys_remove(cfg, c, stdout, &cause) != 0)
		goto fail;
	event_emit(reg, name, NULL, "keys.removed",
	    "mhaadm's authorized_keys entries removed from the nodes of cluster '%s'", name);
	rc = CMD_EXIT_OK;
	goto out;
fail:
	cmd_error(ctx, "%s", cause);
out:
	free(cause);
	registry_cluster_free(c);
	return rc;
}

const struct cmd_entry cmd_keys_entry = {
    .name = "keys",
    .args = "NAME [--password-file FILE] [--identity FILE] | NAME --check [--json] | "
            "NAME --remove",
    .summary = "set up, check or remove pinned SSH trust for a cluster",
    .longopts = cmd_keys_longopts,
    .exec = cmd_keys_exec,
};
