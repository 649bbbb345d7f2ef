/*
 * mhaadm start / stop: change a cluster's desired state in the registry,
 * then report what the daemon did about it (or that no daemon runs). The
 * daemon notices the change within a second or two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "daemon.h"
#include "event.h"
#include "fsutil.h"
#include "mha.h"
#include "native.h"
#include "ssh.h"
#include "vip.h"
#include "registry.h"
#include "status.h"
#include "validate.h"
#include "xmalloc.h"

static const struct option cmd_start_longopts[] = {
	{ "no-wait", no_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "force", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Probes the clusters to be started: one none of whose replicas may be
 * promoted now (lagging, delayed, stopped threads, unreachable, no_master)
 * is refused, with each replica's reason, unless force. Forced, the lag
 * policy is turned off for it (the engine then renders no lag-based
 * no_master) until the next start without --force. Returns 0 to go on.
 */
static int
cmd_start_promotable(struct cmd_ctx *ctx, struct registry_cluster **list, size_t n, int force)
{
	/* Promotability needs MySQL only: no SSH round trip to any host. */
	struct status_opts opts = { NULL, 0, NULL, 1 };
	struct status_monitor mon = { 0 };
	struct status_cluster *sc;
	struct mha_paths p;
	char *cause = NULL;
	size_t i, j;
	int rc = 0, refuse;

	sc = status_probe(ctx->cfg, list, n, &opts);
	for (i = 0; i < n; i++) {
		status_judge(&sc[i], &mon, ctx->cfg->max_lag);
		refuse = sc[i].replicas > 0 && sc[i].fit == 0;
		mha_paths_init(&p, ctx->cfg, list[i]->name);
		if (refuse) {
			fprintf(stderr, "mhaadm: %s: no replica of cluster '%s' may be promoted now:\n",
			    force ? "warning" : "start", list[i]->name);
			for (j = 0; j < list[i]->n_nodes; j++) {
				if (sc[i].nodes[j].unfit != NULL)
					fprintf(stderr, "  %s:%d: %s\n", list[i]->nodes[j].host,
					    list[i]->nodes[j].port, sc[i].nodes[j].unfit);
			}
		}
		if (refuse && !force) {
			fprintf(stderr, "mhaadm: start: refused: a failover now would fail or promote "
					"stale data; fix the replicas, or 'mhaadm start %s --force' to "
					"monitor anyway\n",
			    list[i]->name);
			rc = -1;
		} else if (refuse) {
			fprintf(stderr, "mhaadm: warning: --force: the lag policy is off for '%s' until "
					"the next start without --force; MHA may promote a lagging or "
					"delayed replica, and the failover waits while it applies its "
					"relay log\n",
			    list[i]->name);
			if (fs_mkdirs(p.dir, 0700, &cause) != 0 ||
			    mha_conf_write(p.lag_off, "start --force\n", &cause) != 0) {
				fprintf(stderr, "mhaadm: start: %s\n", cause);
				free(cause);
				cause = NULL;
				rc = -1;
			}
		} else if (unlink(p.lag_off) == 0) {
			printf("lag policy back on for '%s'\n", list[i]->name);
		}
		mha_paths_free(&p);
	}
	status_free(sc, n);
	return rc;
}

/* Newest event id of the cluster, 0 when none: later events answer our request. */
static long long
cmd_start_marker(struct registry *reg, const char *name)
{
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n = 0;
	long long id = 0;

	if (reg->ops->event_list(reg, name, 1, &evs, &n, &cause) == 0 && n > 0)
		id = evs[0].id;
	free(cause);
	registry_event_list_free(evs, n);
	return id;
}

/* An event after marker that means the daemon could not do it, or NULL. Newly allocated. */
static char *
cmd_start_failure(struct registry *reg, const char *name, long long marker)
{
	static const char *const bad[] = { "checks.failed", "engine.checks_failed", "engine.failed",
		"engine.died", "failover.refused", NULL };
	struct registry_event *evs = NULL;
	char *cause = NULL, *found = NULL;
	size_t n = 0, i, j;

	if (reg->ops->event_list(reg, name, 20, &evs, &n, &cause) != 0) {
		free(cause);
		return NULL;
	}
	for (i = n; i-- > 0 && found == NULL;) {
		if (evs[i].id <= marker)
			continue;
		for (j = 0; bad[j] != NULL; j++) {
			if (strcmp(evs[i].type, bad[j]) == 0 && evs[i].message != NULL) {
				found = xstrdup(evs[i].message);
				break;
			}
		}
	}
	registry_event_list_free(evs, n);
	return found;
}

static const char *
cmd_start_master(const struct registry_cluster *c)
{
	static char buf[300];

	return registry_cluster_master(c, buf, sizeof(buf));
}

/* Waits for the daemon to bring the cluster to want; 0 done, -1 failed or timed out (printed). */
static int
cmd_start_wait(struct cmd_ctx *ctx, struct registry *reg, const char *name,
    enum registry_state want, long long marker, int timeout)
{
	struct registry_cluster *c = NULL;
	char *cause = NULL, *failure;
	time_t deadline = time(NULL) + timeout;
	int rc = -1;

	for (;;) {
		registry_cluster_free(c);
		c = NULL;
		if (reg->ops->cluster_get(reg, name, &c, &cause) != 0) {
			cmd_error(ctx, "cluster '%s': %s", name, cause != NULL ? cause : "deleted");
			break;
		}
		/* A cluster never started is as stopped as it gets. */
		if (c->state == want || (want == REGISTRY_STATE_STOPPED &&
					    c->state == REGISTRY_STATE_REGISTERED)) {
			if (want == REGISTRY_STATE_MONITORING)
				printf("cluster '%s': monitored by %s; master %s, VIP %s/%d\n", name,
				    c->engine != NULL && strcmp(c->engine, "native") == 0 ?
					"the native engine" :
					"MHA",
				    cmd_start_master(c), c->vip, c->vip_prefix);
			else
				printf("cluster '%s': MHA monitoring stopped; the VIP stays on %s\n",
				    name, cmd_start_master(c));
			rc = 0;
			break;
		}
		if (want == REGISTRY_STATE_MONITORING &&
		    (failure = cmd_start_failure(reg, name, marker)) != NULL) {
			cmd_error(ctx, "cluster '%s' is not monitored: %s\n"
				       "  the daemon retries with backoff; 'mhaadm stop %s' gives up, "
				       "'mhaadm history %s' shows every attempt",
			    name, failure, name, name);
			free(failure);
			break;
		}
		if (time(NULL) >= deadline) {
			cmd_error(ctx, "cluster '%s': still %s after %d s (see 'mhaadm history %s')",
			    name, registry_state_name(c->state), timeout, name);
			break;
		}
		usleep(250 * 1000);
	}
	free(cause);
	registry_cluster_free(c);
	return rc;
}

/*
 * The native engine moves the VIP only in a failover: start puts it on the
 * master (already there is fine). 0, or -1 with *cause.
 */
static int
cmd_start_native_vip(struct cmd_ctx *ctx, const struct registry_cluster *c, char **cause)
{
	struct ssh_target t;
	char *err = NULL;
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role != REGISTRY_ROLE_MASTER)
			continue;
		ssh_target_from_config(&t, ctx->cfg, c->nodes[i].host, ctx->cfg->ssh_timeout);
		if (vip_add(&t, c->vip, c->vip_prefix, c->iface, &err) != 0) {
			*cause = xasprintf("cannot bind VIP %s on the master %s: %s", c->vip,
			    c->nodes[i].host, err);
			free(err);
			return -1;
		}
		return 0;
	}
	*cause = xstrdup("no master in the registry");
	return -1;
}

static int
cmd_start_common(struct cmd_ctx *ctx, int argc, char **argv, int start)
{
	struct registry_cluster **list = NULL, *one = NULL, *c;
	struct registry *reg;
	enum registry_state state;
	long long *markers = NULL;
	char *cause = NULL;
	size_t n = 0, i;
	long timeout = 120;
	int opt, wait = 1, rc = CMD_EXIT_ERROR, r, all, force = 0;
	pid_t daemon;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'n') {
			wait = 0;
		} else if (opt == 'f' && start) {
			force = 1;
		} else if (opt == 'T') {
			if (cmd_number(optarg, 1, 3600, &timeout) != 0)
				return cmd_usage_error(ctx, "--timeout needs seconds from 1 to 3600");
		} else {
			return cmd_bad_option(ctx, argc, argv);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error(ctx, optind >= argc ? "a cluster name or 'all' is needed" :
							    "too many arguments");
	all = strcmp(argv[optind], "all") == 0;
	if (!all && validate_cluster_name(argv[optind], &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	reg = cmd_ctx_registry(ctx, 1, &cause);
	if (reg == NULL) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (all) {
		if (reg->ops->cluster_list(reg, &list, &n, &cause) != 0) {
			cmd_error(ctx, "%s", cause);
			goto out;
		}
	} else {
		r = reg->ops->cluster_get(reg, argv[optind], &one, &cause);
		if (r != 0) {
			if (r == 1)
				cmd_error(ctx, "no cluster named '%s' in the registry", argv[optind]);
			else
				cmd_error(ctx, "%s", cause);
			goto out;
		}
		list = xcalloc(1, sizeof(*list));
		list[0] = one;
		one = NULL;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		if (list[i]->state == REGISTRY_STATE_PENDING) {
			cmd_error(ctx, "cluster '%s' is pending: verify it first with 'mhaadm add %s'",
			    list[i]->name, list[i]->name);
			goto out;
		}
	}
	/* Before any write: a refused start leaves the registry as it was. */
	if (start && cmd_start_promotable(ctx, list, n, force) != 0)
		goto out;
	/*
	 * The native engine's requirements (MariaDB, GTID, binlogs, read-only
	 * replicas), then its fast-detection settings on the replicas.
	 */
	for (i = 0; start && i < n; i++) {
		if (list[i]->engine == NULL || strcmp(list[i]->engine, "native") != 0)
			continue;
		if (native_check(ctx->cfg, list[i], 1, &cause) != 0) {
			cmd_error(ctx, "cluster '%s' cannot be protected by the native engine: %s",
			    list[i]->name, cause);
			goto out;
		}
		if (cmd_start_native_vip(ctx, list[i], &cause) != 0) {
			cmd_error(ctx, "cluster '%s': %s", list[i]->name, cause);
			goto out;
		}
	}
	markers = xcalloc(n == 0 ? 1 : n, sizeof(*markers));
	for (i = 0; i < n; i++) {
		c = list[i];
		markers[i] = cmd_start_marker(reg, c->name);
		if (start) {
			/* READY: start requested, the daemon runs the full checks first. */
			state = c->state == REGISTRY_STATE_MONITORING ||
				    c->state == REGISTRY_STATE_FAILING_OVER ?
			    c->state :
			    REGISTRY_STATE_READY;
			r = event_transition(reg, c->name, state, REGISTRY_DESIRED_MONITORED,
			    "cluster.start", "monitoring requested");
		} else {
			r = event_transition(reg, c->name, c->state, REGISTRY_DESIRED_STOPPED,
			    "cluster.stop", "stop of monitoring requested");
		}
		if (r != 0) {
			cmd_error(ctx, "cluster '%s': the registry did not take the change", c->name);
			goto out;
		}
	}
	daemon = daemon_running(ctx->cfg);
	if (daemon == 0) {
		cmd_error(ctx, "desired state recorded (%s), but no mhaadm daemon is running to act "
			       "on it; start it with 'mhaadm daemon' (or 'systemctl start mhaadm')",
		    start ? "monitored" : "stopped");
		goto out;
	}
	if (!wait) {
		printf("desired state recorded; mhaadm daemon (pid %ld) acts on it within 2 s\n",
		    (long)daemon);
		rc = CMD_EXIT_OK;
		goto out;
	}
	rc = CMD_EXIT_OK;
	for (i = 0; i < n; i++) {
		if (cmd_start_wait(ctx, reg, list[i]->name,
			start ? REGISTRY_STATE_MONITORING : REGISTRY_STATE_STOPPED, markers[i],
			(int)timeout) != 0)
			rc = CMD_EXIT_ERROR;
	}
out:
	free(cause);
	free(markers);
	registry_cluster_free(one);
	registry_cluster_list_free(list, n);
	return rc;
}

static int
cmd_start_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_start_common(ctx, argc, argv, 1);
}

static int
cmd_stop_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_start_common(ctx, argc, argv, 0);
}

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.args = "NAME|all [--no-wait] [--timeout SECONDS] [--force]",
	.summary = "put a cluster under MHA monitoring (checks, VIP on the master, masterha_manager)",
	.shortopts = "",
	.longopts = cmd_start_longopts,
	.exec = cmd_start_exec,
};

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.args = "NAME|all [--no-wait] [--timeout SECONDS]",
	.summary = "stop MHA monitoring of a cluster (the VIP stays)",
	.shortopts = "",
	.longopts = cmd_start_longopts,
	.exec = cmd_stop_exec,
};
