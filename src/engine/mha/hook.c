/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MHA side of 'mhaadm hook': MHA runs it during a failover as
 * master_ip_failover_script ("failover"), master_ip_online_change_script
 * ("online-change"), report_script ("report") and secondary_check_script
 * ("secondary-check": is the master dead for its replicas too?). This file only reads
 * MHA's arguments and speaks MHA's exit-code contract; what the failover
 * does (storm breaker, VIP, registry record, report) is the failover core's
 * (src/core/failover/failover.c). Its output goes to MHA's log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "event.h"
#include "failover.h"
#include "lease.h"
#include "log.h"
#include "master_check.h"
#include "mha.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

/* MHA's own exit-code contract for the stop phase: 10 means "failed, but proceed". */
#define MHA_HOOK_PROCEED 10

#define MHA_HOOK_EXIT_ERROR 1
#define MHA_HOOK_EXIT_USAGE 2

static void mha_hook_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
mha_hook_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mhaadm: hook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *
mha_hook_arg(int argc, char **argv, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = 2; i < argc; i++) {
		if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=')
			return argv[i] + len + 1;
	}
	return NULL;
}

/*
 * The engine's outcome markers (engine_mha_exited reads them): paused, the
 * storm breaker refused the failover; else the failover began.
 */
static void
mha_hook_marker(const struct config *cfg, const char *cluster, int paused)
{
	struct mha_paths p;
	char *cause = NULL;

	mha_paths_init(&p, cfg, cluster);
	if (mha_marker_touch(paused ? p.paused : p.began, &cause) != 0) {
		log_warn("cluster=%s %s", cluster, cause);
		free(cause);
	}
	mha_paths_free(&p);
}

/* The stop phases: storm breaker first (failover only), then the VIP off the old master. */
static int
mha_hook_stop(const struct failover_target *t, const struct mha_hook_args *a, int online)
{
	struct failover_node old = {a->orig_master_host, a->orig_master_ip, a->orig_master_port};
	int reachable = a->command == MHA_HOOK_STOPSSH;

	if (!online) {
		if (failover_storm_check(t, &old) != 0) {
			mha_hook_marker(t->cfg, t->cluster, 1);
			return MHA_HOOK_EXIT_ERROR; /* MHA aborts the failover before it moved
			                               anything */
		}
		mha_hook_marker(t->cfg, t->cluster, 0);
	}
	if (online)
		event_emit_fields(t->reg, t->cluster, NULL, "switch.started",
		    EVENT_FIELDS("old_master", EVENT_ADDR(old.host, old.port)),
		    "planned switch away from master %s:%d started", old.host, old.port);
	/* A planned switch always has a reachable old master. */
	if (failover_vip_release(t, &old, reachable || online, online) == 0)
		return 0;
	/* In a planned switch the old master is alive: going on would leave two VIPs. */
	if (online)
		return MHA_HOOK_EXIT_ERROR;
	/*
	 * With the old master unreachable MHA expects "stop" to succeed; a host
	 * we cannot reach cannot be cleaned now (the fence pass does it later).
	 */
	return a->command == MHA_HOOK_STOP ? 0 : MHA_HOOK_PROCEED;
}

static int
mha_hook_start(const struct failover_target *t, const struct mha_hook_args *a,
    const struct registry_cluster *cl)
{
	struct failover_node old = {a->orig_master_host, a->orig_master_ip, a->orig_master_port};
	struct failover_node nm = {a->new_master_host, a->new_master_ip, a->new_master_port};
	int rc = 0;

	if (a->new_master_host == NULL || a->new_master_port <= 0) {
		mha_hook_error("start without --new_master_host/--new_master_port");
		return MHA_HOOK_EXIT_ERROR;
	}
	/* The promotion goes on without the VIP; the daemon binds it when it re-protects. */
	if (failover_vip_take(t, &old, &nm) != 0)
		rc = MHA_HOOK_PROCEED;
	failover_record_master(t, &old, &nm);
	failover_guard_apply(t, cl, &nm);
	return rc;
}

static int
mha_hook_report(const struct failover_target *t, int argc, char **argv)
{
	struct mha_report_args a = {0};
	char *cause = NULL, *nl;
	int ok;

	if (mha_report_parse(argc, argv, &a, &cause) != 0) {
		mha_hook_error("report: %s", cause);
		free(cause);
		return MHA_HOOK_EXIT_ERROR;
	}
	ok = a.new_master_host != NULL && a.new_master_host[0] != '\0' &&
	     (a.subject == NULL || strstr(a.subject, "Error") == NULL);
	if (a.subject != NULL && (nl = strchr(a.subject, '\n')) != NULL)
		*nl = '\0';
	failover_report(
	    t, a.orig_master_host, ok ? a.new_master_host : NULL, a.new_slave_hosts, a.subject);
	mha_report_args_free(&a);
	return 0;
}

/*
 * How long the replicas' data must have stood still to prove the master
 * link gone: two heartbeat periods (the lab and docs/mha.md use
 * MASTER_HEARTBEAT_PERIOD=1), so one late heartbeat on a loaded host is
 * not read as a dead master. MHA starts the check at its first failed
 * ping and waits for it only after the fourth (~3 s at ping_interval=1),
 * so the sample costs a link-cut failover nothing; a killed master skips
 * it (no IO thread left running). Measured in docs/benchmarks.md.
 */
#define MHA_HOOK_SAMPLE_MS 2000

/* Seconds after which the check gives up (SIGALRM: MHA reads "not down", asks again). */
#define MHA_HOOK_CHECK_LIMIT 10

/* MHA's secondary_check contract: 0 the master is down, 2/3 do not fail over. */
#define MHA_HOOK_SECONDARY_DOWN 0
#define MHA_HOOK_SECONDARY_UNSURE 2
#define MHA_HOOK_SECONDARY_ALIVE 3

/*
 * secondary_check_script: the replicas' view of the master MHA cannot
 * reach. mhaadm's own credentials are used (a patched MHA passes no
 * --master_password; an unpatched one's is wiped from our argv at once).
 * The replicas come from --nodes (rendered with the config), the master
 * from MHA's --master_host/--master_ip/--master_port.
 */
static int
mha_hook_secondary(const struct config *cfg, const char *cluster, int argc, char **argv)
{
	struct mha_secondary_args a = {0};
	struct master_check_node *nodes = NULL;
	struct probe_credentials cred;
	const char *mhost;
	char *reason = NULL, *cause = NULL;
	size_t i, n;
	int port, rc;
	enum master_verdict v;

	/* Parsed first: this also wipes a password an unpatched MHA put into our argv. */
	if (mha_secondary_parse(argc, argv, &a, &cause) != 0) {
		fprintf(stderr, "mhaadm hook: cluster=%s secondary-check: %s\n", cluster, cause);
		free(cause);
		return MHA_HOOK_SECONDARY_UNSURE;
	}
	alarm(MHA_HOOK_CHECK_LIMIT);
	mhost = a.master_host;
	port = a.master_port;
	n = a.n_replicas;
	nodes = xcalloc(n == 0 ? 1 : n, sizeof(*nodes));
	for (i = 0; i < n; i++) {
		nodes[i].host = a.replicas[i].host;
		nodes[i].port = a.replicas[i].port;
	}
	cred.user = cfg->ha_user;
	cred.password = cfg->ha_password;
	cred.connect_timeout = 1;
	cred.read_timeout = 1;
	v = master_check_replicas(
	    nodes, n, mhost, a.master_ip, port, &cred, MHA_HOOK_SAMPLE_MS, &reason);
	switch (v) {
	case MASTER_DEAD:
		rc = MHA_HOOK_SECONDARY_DOWN;
		fprintf(stderr,
		    "mhaadm hook: cluster=%s secondary-check: master %s:%d is dead: %s\n", cluster,
		    mhost, port, reason);
		break;
	case MASTER_ALIVE:
		rc = MHA_HOOK_SECONDARY_ALIVE;
		fprintf(stderr,
		    "mhaadm hook: cluster=%s secondary-check: master %s:%d is alive, "
		    "only unreachable from this manager host: %s; no failover\n",
		    cluster, mhost, port, reason);
		break;
	default:
		rc = MHA_HOOK_SECONDARY_UNSURE;
		fprintf(stderr,
		    "mhaadm hook: cluster=%s secondary-check: cannot tell whether master "
		    "%s:%d is dead: %s; no failover\n",
		    cluster, mhost, port, reason);
		break;
	}
	free(reason);
	free(nodes);
	mha_secondary_args_free(&a);
	return rc;
}

int
mha_hook_main(const struct engine_env *env, int argc, char **argv)
{
	struct failover_target t = {0};
	struct registry_cluster *rc_cluster = NULL;
	struct mha_hook_args a = {0};
	const char *type, *vip_arg, *iface_arg;
	char *cause = NULL, *vip = NULL;
	int rc = MHA_HOOK_EXIT_ERROR, online;

	/* Hook output lands in MHA's log: every event is written there too. */
	log_set_level(LOG_LEVEL_INFO);
	if (lease_enabled(env->cfg))
		event_set_manager(env->cfg->manager_name);
	type = argv[1];
	t.cfg = env->cfg;
	t.cluster = mha_hook_arg(argc, argv, "--cluster");
	if (t.cluster == NULL) {
		mha_hook_error("--cluster=NAME is needed");
		return MHA_HOOK_EXIT_USAGE;
	}
	if (validate_cluster_name(t.cluster, &cause) != 0) {
		mha_hook_error("%s", cause);
		free(cause);
		return MHA_HOOK_EXIT_ERROR;
	}
	online = strcmp(type, "online-change") == 0;
	if (strcmp(type, "failover") != 0 && !online && strcmp(type, "report") != 0 &&
	    strcmp(type, "secondary-check") != 0) {
		mha_hook_error("unknown hook type '%s' (failover, online-change, report, "
		               "secondary-check)",
		    type);
		return MHA_HOOK_EXIT_USAGE;
	}
	if (strcmp(type, "secondary-check") == 0)
		return mha_hook_secondary(env->cfg, t.cluster, argc, argv);
	if (strcmp(type, "report") == 0) {
		t.reg = failover_registry_open(env->cfg, t.cluster);
		rc = mha_hook_report(&t, argc, argv);
		goto out;
	}
	/* Parsed first: this also wipes the password MHA put into our argv. */
	if (mha_hook_parse(argc, argv, &a, &cause) != 0) {
		mha_hook_error("%s", cause);
		free(cause);
		return MHA_HOOK_EXIT_ERROR;
	}
	if (a.command == MHA_HOOK_STATUS) {
		rc = 0;
		goto out;
	}
	vip_arg = mha_hook_arg(argc, argv, "--vip");
	iface_arg = mha_hook_arg(argc, argv, "--iface");
	t.reg = failover_registry_open(env->cfg, t.cluster);
	if (t.reg != NULL && registry_cluster_get(t.reg, t.cluster, &rc_cluster, &cause) == 0 &&
	    vip_arg == NULL) {
		vip = xstrdup(rc_cluster->vip);
		t.vip_prefix = rc_cluster->vip_prefix;
		t.iface = rc_cluster->iface;
	}
	free(cause);
	cause = NULL;
	if (vip == NULL && (vip_arg == NULL || iface_arg == NULL ||
	                       validate_parse_vip(vip_arg, 32, &vip, &t.vip_prefix, &cause) != 0 ||
	                       validate_iface(iface_arg, &cause) != 0)) {
		mha_hook_error("cluster '%s': VIP unknown (no --vip/--iface and no registry): %s",
		    t.cluster, cause != NULL ? cause : "bad or missing --vip/--iface");
		free(cause);
		rc = a.command == MHA_HOOK_START ? MHA_HOOK_EXIT_ERROR : MHA_HOOK_PROCEED;
		goto out;
	}
	t.vip = vip;
	if (t.iface == NULL)
		t.iface = iface_arg;
	/*
	 * Manager HA: a manager that cannot prove its lease moves nothing. A
	 * refused stop phase makes MHA abort the failover before it touched a
	 * server (no VIP, no read_only); a refused start phase stops it before
	 * the new master is made writable.
	 */
	if ((a.command == MHA_HOOK_STOP || a.command == MHA_HOOK_STOPSSH ||
	        a.command == MHA_HOOK_START) &&
	    lease_guard(&t, online ? "switch the master over" : "fail the master over") != 0) {
		rc = MHA_HOOK_EXIT_ERROR;
		goto out;
	}
	switch (a.command) {
	case MHA_HOOK_STOP:
	case MHA_HOOK_STOPSSH:
		rc = mha_hook_stop(&t, &a, online);
		break;
	case MHA_HOOK_START:
		rc = mha_hook_start(&t, &a, rc_cluster);
		break;
	default:
		rc = 0;
		break;
	}
out:
	free(vip);
	registry_cluster_free(rc_cluster);
	registry_close(t.reg);
	mha_hook_args_free(&a);
	return rc;
}
