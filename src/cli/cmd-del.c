/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm del: remove a cluster from the registry; its history stays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

static const struct option cmd_del_longopts[] = {
    {"force", no_argument, NULL, 'f'},
    {NULL, 0, NULL, 0},
};

static int
cmd_del_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_cluster *c = NULL;
	struct registry_event ev = {0};
	struct registry *reg;
	const char *name;
	char *cause = NULL;
	int force = 0, opt, rc = CMD_EXIT_ERROR;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'f')
			force = 1;
		else
			return cmd_bad_option(ctx, argc, argv);
	}
	if (optind + 1 != argc)
		return cmd_usage_error(
		    ctx, optind >= argc ? "a cluster name is needed" : "too many arguments");
	name = argv[optind];
	if (validate_cluster_name(name, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	reg = cmd_ctx_registry(ctx, 1, &cause);
	if (reg == NULL) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	switch (registry_cluster_get(reg, name, &c, &cause)) {
	case 0:
		break;
	case 1:
		cmd_error(ctx, "no cluster named '%s' in the registry (see 'mhaadm list')", name);
		goto out;
	default:
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (c->desired == REGISTRY_DESIRED_MONITORED && !force) {
		cmd_error(ctx,
		    "cluster '%s' is monitored; run 'mhaadm stop %s' first, or use --force", name,
		    name);
		goto out;
	}

	/* The authorized_keys entries 'mhaadm keys' installed go first, while the nodes are known.
	 */
	if (cmd_keys_remove(ctx, c, &cause) != 0) {
		if (!force) {
			cmd_error(ctx,
			    "%s; cluster '%s' not deleted (fix it and retry, or use --force "
			    "to delete it and leave those entries)",
			    cause, name);
			goto out;
		}
		fprintf(stderr, "mhaadm: del: warning: %s; deleting anyway (--force)\n", cause);
		free(cause);
		cause = NULL;
	}

	ev.cluster = c->name;
	ev.type = (char *)"cluster.deleted";
	ev.message = xasprintf("cluster '%s' deleted (VIP %s, %zu nodes)%s", c->name, c->vip,
	    c->n_nodes,
	    force && c->desired == REGISTRY_DESIRED_MONITORED ? " while monitored (--force)" : "");
	switch (registry_cluster_del(reg, name, &ev, &cause)) {
	case 0:
		printf("deleted cluster '%s'; its history is kept ('mhaadm history %s')\n", name,
		    name);
		rc = CMD_EXIT_OK;
		break;
	case 1:
		cmd_error(ctx, "no cluster named '%s' in the registry", name);
		break;
	default:
		cmd_error(ctx, "%s", cause);
		break;
	}
	free(ev.message);
out:
	free(cause);
	registry_cluster_free(c);
	return rc;
}

const struct cmd_entry cmd_del_entry = {
    .name = "del",
    .alias = "delete",
    .args = "NAME [--force]",
    .summary = "delete a cluster from the registry (history is kept)",
    .shortopts = "f",
    .longopts = cmd_del_longopts,
    .exec = cmd_del_exec,
};
