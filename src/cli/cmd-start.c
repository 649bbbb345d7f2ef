/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#include "log.h"
#include "engine.h"
#include "guard.h"
#include "native.h"
#include "probe.h"
#include "ssh.h"
#include "vip.h"
#include "registry.h"
#include "selffence-install.h"
#include "status.h"
#include "validate.h"
#include "xmalloc.h"

static const struct option cmd_start_longopts[] = {
    {"no-wait", no_argument, NULL, 'n'},
    {"timeout", required_argument, NULL, 'T'},
    {"force", no_argument, NULL, 'f'},
    {NULL, 0, NULL, 0},
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
	struct status_opts opts = {NULL, 0, NULL, 1};
	struct status_monitor mon = {0};
	struct engine_env env = {ctx->cfg, ctx->config_path, NULL};
	const struct engine_ops *engine;
	struct status_cluster *sc;
	char *cause = NULL;
	size_t i, j;
	int rc = 0, refuse;

	sc = status_probe(ctx->cfg, list, n, &opts);
	for (i = 0; i < n; i++) {
		status_judge(&sc[i], &mon, ctx->cfg->max_lag);
		refuse = sc[i].replicas > 0 && sc[i].fit == 0;
		engine = engine_for(ctx->cfg, list[i]->engine);
		for (j = 0; j < sc[i].n_findings; j++) {
			if (strcmp(sc[i].findings[j].kind, "replica.errant") == 0)
				fprintf(stderr,
				    "mhaadm: start: cluster '%s': %s; it is never promoted "
				    "(to do: %s)\n",
				    list[i]->name, sc[i].findings[j].what, sc[i].findings[j].fix);
		}
		if (refuse) {
			fprintf(stderr,
			    "mhaadm: %s: no replica of cluster '%s' may be promoted now:\n",
			    force ? "warning" : "start", list[i]->name);
			for (j = 0; j < list[i]->n_nodes; j++) {
				if (sc[i].nodes[j].unfit != NULL)
					fprintf(stderr, "  %s:%d: %s\n", list[i]->nodes[j].host,
					    list[i]->nodes[j].port, sc[i].nodes[j].unfit);
			}
		}
		if (refuse && !force) {
			fprintf(stderr,
			    "mhaadm: start: refused: a failover now would fail or promote "
			    "stale data; fix the replicas, or 'mhaadm start %s --force' to "
			    "monitor anyway\n",
			    list[i]->name);
			rc = -1;
		} else if (refuse) {
			fprintf(stderr,
			    "mhaadm: warning: --force: the lag policy is off for '%s' until "
			    "the next start without --force; the engine may promote a lagging or "
			    "delayed replica, and the failover waits while it applies its "
			    "relay log\n",
			    list[i]->name);
			if (engine->set_lag_policy(&env, list[i]->name, 0, &cause) != 0) {
				fprintf(stderr, "mhaadm: start: %s\n", cause);
				free(cause);
				cause = NULL;
				rc = -1;
			}
		} else if (engine->lag_policy(&env, list[i]->name, NULL) == 0) {
			if (engine->set_lag_policy(&env, list[i]->name, 1, &cause) == 0) {
				printf("lag policy back on for '%s'\n", list[i]->name);
			} else {
				fprintf(stderr, "mhaadm: start: %s\n", cause);
				free(cause);
				cause = NULL;
				rc = -1;
			}
		}
		/* A dead replica does not stop the others from being protected: say so. */
		for (j = 0; !refuse && j < list[i]->n_nodes; j++) {
			if (list[i]->nodes[j].role == REGISTRY_ROLE_REPLICA &&
			    !sc[i].nodes[j].probe.ok)
				printf(
				    "replica %s:%d of '%s' is unreachable: monitoring with the "
				    "other "
				    "replicas; it is taken back in once it answers and has caught "
				    "up\n",
				    list[i]->nodes[j].host, list[i]->nodes[j].port, list[i]->name);
		}
	}
	status_free(sc, n);
	return rc;
}

/* The state start asks for: READY (the daemon runs the full checks first) unless protected now. */
static enum registry_state
cmd_start_state(enum registry_state now, int start)
{
	if (!start)
		return now;
	return now == REGISTRY_STATE_MONITORING || now == REGISTRY_STATE_FAILING_OVER
	           ? now
	           : REGISTRY_STATE_READY;
}

/*
 * Records the desired state with compare-and-set on the state c was read
 * with: when the daemon or a hook wrote another state meanwhile (a
 * failover began, the cluster was left unprotected), the cluster is read
 * again and the change decided on what it is now, never on the old
 * state. Returns 0, 1 when it kept changing (or is gone), -1 with *cause.
 */
static int
cmd_start_set_desired(
    struct registry *reg, const struct registry_cluster *c, int start, char **cause)
{
	struct registry_event ev = {0};
	struct registry_cluster *now = NULL;
	enum registry_state seen = c->state;
	int tries, r = 1;

	ev.cluster = c->name;
	ev.type = (char *)(start ? "cluster.start" : "cluster.stop");
	ev.message = (char *)(start ? "monitoring requested" : "stop of monitoring requested");
	for (tries = 0; tries < 5; tries++) {
		r = registry_cluster_set_desired_if(reg, c->name, seen,
		    cmd_start_state(seen, start),
		    start ? REGISTRY_DESIRED_MONITORED : REGISTRY_DESIRED_STOPPED, &ev, cause);
		if (r != 1)
			break;
		r = registry_cluster_get(reg, c->name, &now, cause);
		if (r != 0)
			break;
		seen = now->state;
		registry_cluster_free(now);
		now = NULL;
		r = 1;
	}
	if (r == 0)
		log_info("cluster=%s %s: %s (state %s)", c->name, ev.type, ev.message,
		    registry_state_name(cmd_start_state(seen, start)));
	return r;
}

/* Newest event id of the cluster, 0 when none: later events answer our request. */
static long long
cmd_start_marker(struct registry *reg, const char *name)
{
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n = 0;
	long long id = 0;

	if (registry_event_list(reg, name, 1, &evs, &n, &cause) == 0 && n > 0)
		id = evs[0].id;
	free(cause);
	registry_event_list_free(evs, n);
	return id;
}

/* A problem event after marker: the daemon could not do it; or NULL. Newly allocated. */
static char *
cmd_start_failure(struct registry *reg, const char *name, long long marker)
{
	struct registry_event *evs = NULL;
	char *cause = NULL, *found = NULL;
	size_t n = 0, i;

	if (registry_event_list(reg, name, 20, &evs, &n, &cause) != 0) {
		free(cause);
		return NULL;
	}
	for (i = n; i-- > 0 && found == NULL;) {
		if (evs[i].id <= marker)
			continue;
		/* A problem (the table of event types says which) means it did not start. */
		if (event_type_is(evs[i].type, EVENT_PROBLEM) && evs[i].message != NULL)
			found = xstrdup(evs[i].message);
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
		if (registry_cluster_get(reg, name, &c, &cause) != 0) {
			cmd_error(ctx, "cluster '%s': %s", name, cause != NULL ? cause : "deleted");
			break;
		}
		/* A cluster never started is as stopped as it gets. */
		if (c->state == want ||
		    (want == REGISTRY_STATE_STOPPED && c->state == REGISTRY_STATE_REGISTERED)) {
			if (want == REGISTRY_STATE_MONITORING)
				printf("cluster '%s': monitored by the %s engine; master %s, VIP "
				       "%s/%d\n",
				    name, engine_for(ctx->cfg, c->engine)->name,
				    cmd_start_master(c), c->vip, c->vip_prefix);
			else
				printf("cluster '%s': monitoring by the %s engine stopped; the VIP "
				       "stays "
				       "on %s\n",
				    name, engine_for(ctx->cfg, c->engine)->name,
				    cmd_start_master(c));
			rc = 0;
			break;
		}
		if (want == REGISTRY_STATE_MONITORING &&
		    (failure = cmd_start_failure(reg, name, marker)) != NULL) {
			cmd_error(ctx,
			    "cluster '%s' is not monitored: %s\n"
			    "  the daemon retries with backoff; 'mhaadm stop %s' gives up, "
			    "'mhaadm history %s' shows every attempt",
			    name, failure, name, name);
			free(failure);
			break;
		}
		if (time(NULL) >= deadline) {
			cmd_error(ctx,
			    "cluster '%s': still %s after %d s (see 'mhaadm history %s')", name,
			    registry_state_name(c->state), timeout, name);
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

/* Master of c as registered, or NULL. */
static const struct registry_node *
cmd_start_guard_master(const struct registry_cluster *c)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			return &c->nodes[i];
	}
	return NULL;
}

/*
 * Sets the isolation guard up on each cluster to be started (guard.h), then
 * checks it: with semisync, at least one replica must acknowledge, else
 * every write on the master stalls (said, not refused: the DBA chose it).
 * A server that refuses is a warning and an event; monitoring still starts.
 */
static void
cmd_start_guard(struct cmd_ctx *ctx, struct registry *reg, struct registry_cluster **list, size_t n)
{
	struct status_opts opts = {NULL, 0, NULL, 1};
	struct probe_credentials cred = {ctx->cfg->ha_user, ctx->cfg->ha_password,
	    ctx->cfg->connect_timeout, ctx->cfg->read_timeout};
	const struct registry_node *m;
	struct status_cluster *sc;
	struct probe_result pr;
	enum guard_mode mode;
	const char *why;
	char *done = NULL, *cause = NULL, hp[300];
	size_t i;
	int r, tries;

	sc = status_probe(ctx->cfg, list, n, &opts);
	for (i = 0; i < n; i++) {
		if ((m = cmd_start_guard_master(list[i])) == NULL)
			continue;
		snprintf(hp, sizeof(hp), "%s:%d", m->host, m->port);
		mode = guard_mode_of(ctx->cfg, list[i], &why);
		r = guard_apply_status(&cred, &sc[i], mode, &done, &cause);
		if (r < 0) {
			fprintf(stderr,
			    "mhaadm: warning: cluster '%s': isolation guard %s not set up: "
			    "%s\n",
			    list[i]->name, guard_mode_name(mode), cause);
			event_emit(reg, list[i]->name, hp, "guard.failed",
			    "isolation guard %s could not be set up: %s", guard_mode_name(mode),
			    cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (r > 0)
			event_emit(reg, list[i]->name, hp, "guard.set",
			    "isolation guard %s (%s): %s", guard_mode_name(mode), why, done);
		free(done);
		done = NULL;
		if (mode == GUARD_OFF) {
			printf(
			    "cluster '%s': isolation guard off (%s): if its master is cut off, it "
			    "acknowledges writes a failover loses\n",
			    list[i]->name, why);
			continue;
		}
		/* Restarted IO threads take a moment to connect and ask for semi-sync. */
		for (tries = 0; tries < 20; tries++) {
			memset(&pr, 0, sizeof(pr));
			if (probe_node(m->host, m->port, &cred, &pr) == 0 &&
			    pr.semisync.clients > 0)
				break;
			probe_result_clear(&pr);
			usleep(250000);
		}
		if (tries < 20) {
			printf("cluster '%s': isolation guard semisync (%s): %ld replica%s "
			       "acknowledge%s\n",
			    list[i]->name, why, pr.semisync.clients,
			    pr.semisync.clients == 1 ? "" : "s",
			    pr.semisync.clients == 1 ? "s" : "");
			probe_result_clear(&pr);
		} else {
			fprintf(stderr,
			    "mhaadm: warning: cluster '%s': isolation guard semisync, but "
			    "no replica acknowledges yet: writes on the master %s stall until "
			    "one does\n",
			    list[i]->name, hp);
		}
	}
	status_free(sc, n);
}

static int
cmd_start_common(struct cmd_ctx *ctx, int argc, char **argv, int start)
{
	struct registry_cluster **list = NULL, *one = NULL, *c;
	struct registry *reg;
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
		if (registry_cluster_list(reg, &list, &n, &cause) != 0) {
			cmd_error(ctx, "%s", cause);
			goto out;
		}
	} else {
		r = registry_cluster_get(reg, argv[optind], &one, &cause);
		if (r != 0) {
			if (r == 1)
				cmd_error(
				    ctx, "no cluster named '%s' in the registry", argv[optind]);
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
			cmd_error(ctx,
			    "cluster '%s' is pending: verify it first with 'mhaadm add %s'",
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
	if (start) {
		cmd_start_guard(ctx, reg, list, n);
		selffence_start_clusters(ctx->cfg, reg, list, n);
	}
	markers = xcalloc(n == 0 ? 1 : n, sizeof(*markers));
	for (i = 0; i < n; i++) {
		c = list[i];
		markers[i] = cmd_start_marker(reg, c->name);
		r = cmd_start_set_desired(reg, c, start, &cause);
		if (r < 0) {
			cmd_error(ctx, "cluster '%s': %s", c->name, cause);
			goto out;
		}
		if (r != 0) {
			cmd_error(
			    ctx, "cluster '%s': the registry did not take the change", c->name);
			goto out;
		}
	}
	daemon = daemon_running(ctx->cfg);
	if (daemon == 0) {
		cmd_error(ctx,
		    "desired state recorded (%s), but no mhaadm daemon is running to act "
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
    .summary = "put a cluster under monitoring by its engine (checks, VIP on the master)",
    .shortopts = "",
    .longopts = cmd_start_longopts,
    .exec = cmd_start_exec,
};

const struct cmd_entry cmd_stop_entry = {
    .name = "stop",
    .args = "NAME|all [--no-wait] [--timeout SECONDS]",
    .summary = "stop monitoring a cluster (the VIP stays)",
    .shortopts = "",
    .longopts = cmd_start_longopts,
    .exec = cmd_stop_exec,
};
