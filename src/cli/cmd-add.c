/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm add: register a cluster after probing every node and proving its
 * topology (exactly one writable master, every other node replicating from
 * it). With only the master given it discovers the replicas; with no
 * topology options it verifies rows a DBA already put into the registry
 * (the seed tool's workflow). Every refusal leaves the registry unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "engine.h"
#include "config.h"
#include "probe.h"
#include "registry.h"
#include "status.h"
#include "ssh.h"
#include "topology.h"
#include "validate.h"
#include "vip.h"
#include "xmalloc.h"

/* One node as named on the command line or in the registry, plus its probe. */
struct cmd_add_node {
	char *host;
	int port;
	int candidate;
	int no_master;
	int discovered; /* found through the master, not named by the user */
};

struct cmd_add_state {
	struct cmd_ctx *ctx;
	const char *name;
	char *vip;
	int vip_prefix;
	char *iface;
	char *master; /* "HOST:PORT" wanted as master, or NULL */
	struct cmd_add_node *nodes;
	size_t n_nodes;
	struct probe_result *probes; /* n_probes of them: nodes probed so far */
	size_t n_probes;
	int pending; /* verifying rows already in the registry */
	const char
	    *engine; /* --engine, or NULL: the config's engine (a pending row keeps its own) */
};

enum {
	CMD_ADD_OPT_NODE = 256,
	CMD_ADD_OPT_VIP,
	CMD_ADD_OPT_IFACE,
	CMD_ADD_OPT_MASTER,
	CMD_ADD_OPT_CANDIDATE,
	CMD_ADD_OPT_NO_MASTER,
	CMD_ADD_OPT_KEYS,
	CMD_ADD_OPT_ENGINE,
};

static const struct option cmd_add_longopts[] = {
    {"node", required_argument, NULL, CMD_ADD_OPT_NODE},
    {"vip", required_argument, NULL, CMD_ADD_OPT_VIP},
    {"iface", required_argument, NULL, CMD_ADD_OPT_IFACE},
    {"master", required_argument, NULL, CMD_ADD_OPT_MASTER},
    {"candidate", required_argument, NULL, CMD_ADD_OPT_CANDIDATE},
    {"no-master", required_argument, NULL, CMD_ADD_OPT_NO_MASTER},
    {"keys", no_argument, NULL, CMD_ADD_OPT_KEYS},
    {"engine", required_argument, NULL, CMD_ADD_OPT_ENGINE},
    {NULL, 0, NULL, 0},
};

static void
cmd_add_state_free(struct cmd_add_state *st)
{
	size_t i;

	for (i = 0; i < st->n_nodes; i++)
		free(st->nodes[i].host);
	for (i = 0; i < st->n_probes; i++)
		probe_result_clear(&st->probes[i]);
	free(st->nodes);
	free(st->probes);
	free(st->vip);
	free(st->iface);
	free(st->master);
}

/* Index of host:port among the nodes, or -1. */
static long
cmd_add_find(const struct cmd_add_state *st, const char *host, int port)
{
	size_t i;

	for (i = 0; i < st->n_nodes; i++) {
		if (st->nodes[i].port == port && strcmp(st->nodes[i].host, host) == 0)
			return (long)i;
	}
	return -1;
}

/* Adds a node (taking host); a duplicate is an error unless allow_dup. */
static int
cmd_add_push(struct cmd_add_state *st, char *host, int port, int discovered, char **cause)
{
	struct cmd_add_node *nd;

	if (cmd_add_find(st, host, port) >= 0) {
		*cause = xasprintf("node %s:%d is given twice", host, port);
		free(host);
		return -1;
	}
	st->nodes = xreallocarray(st->nodes, st->n_nodes + 1, sizeof(*st->nodes));
	nd = &st->nodes[st->n_nodes++];
	memset(nd, 0, sizeof(*nd));
	nd->host = host;
	nd->port = port;
	nd->discovered = discovered;
	return 0;
}

/* Parses HOST[:PORT] into a "HOST:PORT" lookup; returns the node index or -1 with *cause. */
static long
cmd_add_lookup(struct cmd_add_state *st, const char *what, const char *arg, char **cause)
{
	char *host = NULL;
	long idx;
	int port;

	if (validate_parse_hostport(arg, st->ctx->cfg->node_port, &host, &port, cause) != 0)
		return -1;
	idx = cmd_add_find(st, host, port);
	if (idx < 0)
		*cause = xasprintf("%s %s:%d is not one of the cluster's nodes", what, host, port);
	free(host);
	return idx;
}

static void
cmd_add_print_probe(const struct probe_result *p, int discovered)
{
	if (!p->ok) {
		printf("  %s:%d  FAILED  %s\n", p->host, p->port, p->error);
		return;
	}
	printf("  %s:%d  ok  %s  server_id=%lu read_only=%s log_bin=%s%s%s\n", p->host, p->port,
	    p->version, p->server_id, p->read_only ? "ON" : "OFF", p->log_bin ? "ON" : "OFF",
	    p->is_replica ? " replica" : "", discovered ? " (discovered)" : "");
}

/* Probes nodes[from..n_nodes) in parallel and prints one line each. Returns the failure count. */
static size_t
cmd_add_probe(struct cmd_add_state *st, size_t from)
{
	struct probe_credentials cred;
	const struct config *cfg = st->ctx->cfg;
	size_t i, failed;

	st->probes = xreallocarray(st->probes, st->n_nodes, sizeof(*st->probes));
	st->n_probes = st->n_nodes;
	for (i = from; i < st->n_nodes; i++) {
		memset(&st->probes[i], 0, sizeof(st->probes[i]));
		st->probes[i].host = xstrdup(st->nodes[i].host);
		st->probes[i].port = st->nodes[i].port;
	}
	cred.user = cfg->ha_user;
	cred.password = cfg->ha_password != NULL ? cfg->ha_password : "";
	cred.connect_timeout = cfg->connect_timeout;
	cred.read_timeout = cfg->read_timeout;
	cmd_progress(st->ctx, "probing %zu node%s as '%s' (connect timeout %ds)...",
	    st->n_nodes - from, st->n_nodes - from == 1 ? "" : "s", cfg->ha_user,
	    cfg->connect_timeout);
	failed = probe_many(st->probes + from, st->n_nodes - from, &cred);
	for (i = from; i < st->n_nodes; i++)
		cmd_add_print_probe(&st->probes[i], st->nodes[i].discovered);
	fflush(stdout);
	return failed;
}

/*
 * With one node given, that node is the master and its replicas are found
 * through it: every peer it reports that is not the same server (by
 * server_id) becomes a node.
 */
static int
cmd_add_discover(struct cmd_add_state *st, char **cause)
{
	const struct probe_result *m = &st->probes[0];
	size_t i, before = st->n_nodes;

	if (!m->ok) {
		*cause = xasprintf("cannot probe %s:%d: %s", m->host, m->port, m->error);
		return -1;
	}
	for (i = 0; i < m->n_peers; i++) {
		if (cmd_add_find(st, m->peers[i].host, m->peers[i].port) >= 0)
			continue;
		if (validate_host(m->peers[i].host, cause) != 0)
			return -1;
		cmd_add_push(st, xstrdup(m->peers[i].host), m->peers[i].port, 1, cause);
	}
	if (st->n_nodes == before) {
		*cause =
		    xasprintf("no replicas found replicating from %s:%d; name them with --node",
		        m->host, m->port);
		return -1;
	}
	printf("discovered %zu replica%s of %s:%d:", st->n_nodes - before,
	    st->n_nodes - before == 1 ? "" : "s", m->host, m->port);
	for (i = before; i < st->n_nodes; i++)
		printf(" %s:%d", st->nodes[i].host, st->nodes[i].port);
	printf("\n");
	cmd_add_probe(st, before);
	return 0;
}

/* Warns about replicas of the master that the user did not name. */
static void
cmd_add_warn_unlisted(struct cmd_add_state *st, size_t master)
{
	const struct probe_result *m = &st->probes[master];
	size_t i;

	for (i = 0; i < m->n_peers; i++) {
		if (cmd_add_find(st, m->peers[i].host, m->peers[i].port) >= 0)
			continue;
		fprintf(stderr,
		    "mhaadm: add: warning: %s:%d replicates from the master but is not a node of "
		    "this cluster; MHA will not re-point it after a failover\n",
		    m->peers[i].host, m->peers[i].port);
	}
}

/*
 * Warns about replicas holding transactions the master never had (from the
 * probe already made: no extra round trip). They are registered as they
 * are; the MHA engine renders them no_master while the GTIDs are errant.
 */
static void
cmd_add_warn_errant(struct cmd_add_state *st, size_t master)
{
	char *gtids = NULL;
	size_t i;

	for (i = 0; i < st->n_nodes; i++) {
		if (i == master || !status_errant(&st->probes[i], &st->probes[master], &gtids))
			continue;
		fprintf(stderr,
		    "mhaadm: add: warning: replica %s:%d holds transactions the master never had "
		    "(%s); it is never promoted while they are there: undo them there "
		    "(sql_log_bin=0, "
		    "then RESET MASTER on the replica) or replay them on the master\n",
		    st->nodes[i].host, st->nodes[i].port, gtids);
		free(gtids);
		gtids = NULL;
	}
}

/* Builds the registry's form of the verified cluster; pointers borrow from st. */
static void
cmd_add_build(struct cmd_add_state *st, size_t master, struct registry_cluster *c)
{
	const struct probe_result *p;
	struct registry_node *rn;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->name = (char *)st->name;
	c->vip = st->vip;
	c->vip_prefix = st->vip_prefix;
	c->iface = st->iface;
	c->state = REGISTRY_STATE_REGISTERED;
	c->desired = REGISTRY_DESIRED_STOPPED;
	/* Stored, never NULL for a new cluster: a later change of the config's default moves none.
	 */
	c->engine = (char *)(st->engine != NULL ? st->engine
	                     : st->pending      ? NULL
	                                        : st->ctx->cfg->engine);
	c->nodes = xcalloc(st->n_nodes, sizeof(*c->nodes));
	c->n_nodes = st->n_nodes;
	for (i = 0; i < st->n_nodes; i++) {
		rn = &c->nodes[i];
		p = &st->probes[i];
		rn->host = st->nodes[i].host;
		rn->port = st->nodes[i].port;
		rn->role = i == master ? REGISTRY_ROLE_MASTER : REGISTRY_ROLE_REPLICA;
		rn->candidate_master = st->nodes[i].candidate;
		rn->no_master = st->nodes[i].no_master;
		rn->version = p->version;
		rn->server_id = (long long)p->server_id;
		rn->read_only = p->read_only;
		rn->log_bin = p->log_bin;
		rn->lag = i == master ? -1 : p->lag;
	}
}

static char *
cmd_add_summary(const struct cmd_add_state *st, size_t master)
{
	char *s, *t;
	size_t i;

	s = xasprintf("cluster '%s' %s: master %s:%d, VIP %s/%d on %s, replicas", st->name,
	    st->pending ? "verified and registered" : "added", st->nodes[master].host,
	    st->nodes[master].port, st->vip, st->vip_prefix, st->iface);
	for (i = 0; i < st->n_nodes; i++) {
		if (i == master)
			continue;
		t = xasprintf("%s %s:%d", s, st->nodes[i].host, st->nodes[i].port);
		free(s);
		s = t;
	}
	return s;
}

/* Loads a pending cluster's rows (the seed workflow) into st. */
static int
cmd_add_load_pending(struct cmd_add_state *st, struct registry *reg, char **cause)
{
	struct registry_cluster *c = NULL;
	size_t i;
	int rc = -1;

	switch (registry_cluster_get(reg, st->name, &c, cause)) {
	case 0:
		break;
	case 1:
		*cause =
		    xasprintf("no cluster named '%s' in the registry; give its nodes with "
		              "--node HOST[:PORT] (or --master HOST) and --vip ADDR, or insert "
		              "its rows into the registry first",
		        st->name);
		return -1;
	default:
		return -1;
	}
	if (c->state != REGISTRY_STATE_PENDING) {
		*cause = xasprintf("cluster '%s' already exists (state %s)", st->name,
		    registry_state_name(c->state));
		goto out;
	}
	if (c->n_nodes == 0) {
		*cause = xasprintf("cluster '%s' has no node rows in the registry; insert them "
		                   "first",
		    st->name);
		goto out;
	}
	if (validate_parse_vip(c->vip, c->vip_prefix, &st->vip, &st->vip_prefix, cause) != 0 ||
	    validate_iface(c->iface, cause) != 0)
		goto out;
	st->vip_prefix = c->vip_prefix;
	st->iface = xstrdup(c->iface);
	for (i = 0; i < c->n_nodes; i++) {
		if (validate_host(c->nodes[i].host, cause) != 0)
			goto out;
		if (cmd_add_push(st, xstrdup(c->nodes[i].host), c->nodes[i].port, 0, cause) != 0)
			goto out;
		st->nodes[st->n_nodes - 1].candidate = c->nodes[i].candidate_master;
		st->nodes[st->n_nodes - 1].no_master = c->nodes[i].no_master;
	}
	rc = 0;
out:
	registry_cluster_free(c);
	return rc;
}

/* Refuses early, before any probe, what the registry would refuse anyway. */
static int
cmd_add_precheck(struct cmd_add_state *st, struct registry *reg, char **cause)
{
	struct registry_cluster **list = NULL;
	size_t n = 0, i, j, k;
	int rc = 0;

	if (registry_cluster_list(reg, &list, &n, cause) != 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(list[i]->name, st->name) == 0) {
			if (!st->pending) {
				*cause = xasprintf("cluster '%s' already exists", st->name);
				rc = -1;
			}
			continue;
		}
		if (strcmp(list[i]->vip, st->vip) == 0) {
			*cause = xasprintf(
			    "VIP %s is already used by cluster '%s'", st->vip, list[i]->name);
			rc = -1;
			break;
		}
		for (j = 0; j < list[i]->n_nodes && rc == 0; j++) {
			for (k = 0; k < st->n_nodes; k++) {
				if (list[i]->nodes[j].port == st->nodes[k].port &&
				    strcmp(list[i]->nodes[j].host, st->nodes[k].host) == 0) {
					*cause = xasprintf("node %s:%d already belongs to cluster "
					                   "'%s'",
					    st->nodes[k].host, st->nodes[k].port, list[i]->name);
					rc = -1;
					break;
				}
			}
		}
	}
	registry_cluster_list_free(list, n);
	return rc;
}

/*
 * Refuses a VIP that another machine already answers for on the master's
 * network: binding it would steal traffic from that machine, or leave two
 * hosts answering. Asked from the master over SSH (the manager may be on
 * another network); when SSH is not set up yet this only warns, and the
 * engine asks again before it binds the VIP.
 */
static int
cmd_add_vip_free(struct cmd_ctx *ctx, struct cmd_add_state *st, size_t master, char **cause)
{
	struct ssh_target t;
	char *who = NULL, *why = NULL;
	const char *host = st->probes[master].host;

	ssh_target_from_config(
	    &t, ctx->cfg, host, ctx->cfg->ssh_timeout < 5 ? ctx->cfg->ssh_timeout : 5);
	switch (vip_answering(&t, st->vip, st->iface, &who, &why)) {
	case 1:
		*cause = xasprintf("VIP %s already answers ARP on the network of %s %s (%s): "
		                   "another machine uses that address; choose a free one",
		    st->vip, host, st->iface, who);
		free(who);
		return -1;
	case -1:
		fprintf(stderr,
		    "mhaadm: add: warning: cannot check that VIP %s is free: %s; "
		    "'mhaadm start' checks again before binding it\n",
		    st->vip, why);
		free(why);
		break;
	default:
		break;
	}
	return 0;
}

static int
cmd_add_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_add_state st = {0};
	struct registry_cluster rc_cluster = {0};
	struct registry_event ev = {0};
	struct registry *reg;
	struct config *cfg;
	char **node_args = NULL, **cand_args = NULL, **nomaster_args = NULL;
	size_t n_node_args = 0, n_cand = 0, n_nomaster = 0, i, master = 0;
	const char *vip_arg = NULL, *iface_arg = NULL, *master_arg = NULL;
	char *cause = NULL, *host = NULL;
	long idx;
	int opt, port, keys = 0, rc = CMD_EXIT_ERROR, r;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		switch (opt) {
		case CMD_ADD_OPT_NODE:
			node_args = xreallocarray(node_args, n_node_args + 1, sizeof(*node_args));
			node_args[n_node_args++] = optarg;
			break;
		case CMD_ADD_OPT_CANDIDATE:
			cand_args = xreallocarray(cand_args, n_cand + 1, sizeof(*cand_args));
			cand_args[n_cand++] = optarg;
			break;
		case CMD_ADD_OPT_NO_MASTER:
			nomaster_args =
			    xreallocarray(nomaster_args, n_nomaster + 1, sizeof(*nomaster_args));
			nomaster_args[n_nomaster++] = optarg;
			break;
		case CMD_ADD_OPT_VIP:
			vip_arg = optarg;
			break;
		case CMD_ADD_OPT_IFACE:
			iface_arg = optarg;
			break;
		case CMD_ADD_OPT_MASTER:
			master_arg = optarg;
			break;
		case CMD_ADD_OPT_KEYS:
			keys = 1;
			break;
		case CMD_ADD_OPT_ENGINE:
			if (engine_find(optarg) == NULL) {
				rc = cmd_usage_error(
				    ctx, "no engine '%s' (engines: %s)", optarg, engine_names());
				goto out_args;
			}
			st.engine = optarg;
			break;
		default:
			rc = cmd_bad_option(ctx, argc, argv);
			goto out_args;
		}
	}
	if (optind >= argc) {
		rc = cmd_usage_error(ctx, "a cluster name is needed");
		goto out_args;
	}
	if (optind + 1 < argc) {
		rc = cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind + 1]);
		goto out_args;
	}
	st.ctx = ctx;
	st.name = argv[optind];
	st.pending = n_node_args == 0 && master_arg == NULL && vip_arg == NULL &&
	             iface_arg == NULL && n_cand == 0 && n_nomaster == 0;
	if (!st.pending && vip_arg == NULL) {
		rc = cmd_usage_error(ctx, "--vip ADDR[/PREFIX] is needed");
		goto out_args;
	}
	if (!st.pending && n_node_args == 0 && master_arg == NULL) {
		rc = cmd_usage_error(ctx, "give the nodes with --node HOST[:PORT], or the master "
		                          "alone with --master HOST[:PORT]");
		goto out_args;
	}
	if (validate_cluster_name(st.name, &cause) != 0)
		goto fail;
	cfg = cmd_ctx_config(ctx, &cause);
	if (cfg == NULL)
		goto fail;

	if (!st.pending) {
		if (validate_parse_vip(vip_arg, cfg->vip_prefix, &st.vip, &st.vip_prefix, &cause) !=
		    0)
			goto fail;
		st.iface = xstrdup(iface_arg != NULL ? iface_arg : cfg->vip_iface);
		if (validate_iface(st.iface, &cause) != 0)
			goto fail;
		if (master_arg != NULL) {
			if (validate_parse_hostport(
			        master_arg, cfg->node_port, &host, &port, &cause) != 0)
				goto fail;
			st.master = xasprintf("%s:%d", host, port);
			if (cmd_add_push(&st, host, port, 0, &cause) != 0)
				goto fail;
		}
		for (i = 0; i < n_node_args; i++) {
			if (validate_parse_hostport(
			        node_args[i], cfg->node_port, &host, &port, &cause) != 0)
				goto fail;
			if (master_arg != NULL && cmd_add_find(&st, host, port) == 0) {
				free(host); /* --master also named with --node */
				continue;
			}
			if (cmd_add_push(&st, host, port, 0, &cause) != 0)
				goto fail;
		}
	}

	reg = cmd_ctx_registry(ctx, 1, &cause);
	if (reg == NULL)
		goto fail;
	if (st.pending && cmd_add_load_pending(&st, reg, &cause) != 0)
		goto fail;
	if (cmd_add_precheck(&st, reg, &cause) != 0)
		goto fail;

	cmd_add_probe(&st, 0);
	if (st.n_nodes == 1 && cmd_add_discover(&st, &cause) != 0)
		goto fail;

	/* Promotion flags are checked against the final node list, discovered ones included. */
	for (i = 0; i < n_cand; i++) {
		if ((idx = cmd_add_lookup(&st, "--candidate", cand_args[i], &cause)) < 0)
			goto fail;
		st.nodes[idx].candidate = 1;
	}
	for (i = 0; i < n_nomaster; i++) {
		if ((idx = cmd_add_lookup(&st, "--no-master", nomaster_args[i], &cause)) < 0)
			goto fail;
		if (st.nodes[idx].candidate) {
			cause = xasprintf(
			    "%s is given both --candidate and --no-master", nomaster_args[i]);
			goto fail;
		}
		st.nodes[idx].no_master = 1;
	}

	if (topology_resolve(st.probes, st.n_nodes, st.master, &master, &cause) != 0) {
		char *t = xasprintf("refusing cluster '%s': %s", st.name, cause);
		free(cause);
		cause = t;
		goto fail;
	}
	if (n_node_args > 0)
		cmd_add_warn_unlisted(&st, master);
	cmd_add_warn_errant(&st, master);
	for (i = 0, r = 0; i < st.n_nodes; i++)
		r += i != master && !st.nodes[i].no_master;
	if (r == 0)
		fprintf(stderr, "mhaadm: add: warning: every replica is --no-master; MHA will have "
		                "no node to promote\n");

	if (cmd_add_vip_free(ctx, &st, master, &cause) != 0)
		goto fail;
	cmd_add_build(&st, master, &rc_cluster);
	ev.cluster = (char *)st.name;
	ev.node = NULL;
	ev.type = (char *)"cluster.added";
	ev.message = cmd_add_summary(&st, master);
	r = st.pending ? registry_cluster_update(reg, &rc_cluster, &ev, &cause)
	               : registry_cluster_add(reg, &rc_cluster, &ev, &cause);
	if (r == 1 && st.pending && cause == NULL)
		cause = xasprintf("cluster '%s' disappeared from the registry meanwhile", st.name);
	if (r != 0)
		goto fail;
	printf("%s\n", ev.message);
	if (keys) {
		/*
		 * --keys (the seed's -k yes): trust is set up once the cluster is
		 * registered; when that fails the cluster stays and the message
		 * says to run 'mhaadm keys NAME' again.
		 */
		if ((rc = cmd_keys_setup(ctx, st.name, NULL, NULL)) != CMD_EXIT_OK) {
			fprintf(stderr,
			    "mhaadm: add: cluster '%s' is registered, but its SSH trust "
			    "is not set up; fix the cause and run 'mhaadm keys %s'\n",
			    st.name, st.name);
			goto out;
		}
	}
	printf("next: 'mhaadm start %s' puts it under monitoring by its engine\n", st.name);
	rc = CMD_EXIT_OK;
	goto out;

fail:
	cmd_error(ctx, "%s", cause);
	rc = CMD_EXIT_ERROR;
out:
	free(ev.message);
	free(rc_cluster.nodes);
	free(cause);
	cmd_add_state_free(&st);
out_args:
	free(node_args);
	free(cand_args);
	free(nomaster_args);
	return rc;
}

const struct cmd_entry cmd_add_entry = {
    .name = "add",
    .args = "NAME [--node HOST[:PORT]]... [--master HOST[:PORT]] --vip ADDR[/PREFIX] "
            "[--iface IF] [--candidate HOST[:PORT]]... [--no-master HOST[:PORT]]... [--keys] "
            "[--engine NAME]",
    .summary = "register a cluster after probing its topology",
    .longopts = cmd_add_longopts,
    .exec = cmd_add_exec,
};
