/*
 * mhaadm hook: the program MHA runs during a failover, as
 * master_ip_failover_script ("failover"), master_ip_online_change_script
 * ("online-change") and report_script ("report"). It moves the VIP, records
 * the new topology, and emits events. It must never stall a failover: every
 * host is reached with bounded timeouts, an unreachable old master is not
 * an error, and an unreachable registry only delays the record (spooled).
 * Its output goes to MHA's log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "mha.h"
#include "registry.h"
#include "spool.h"
#include "ssh.h"
#include "storm.h"
#include "validate.h"
#include "vip.h"
#include "xmalloc.h"

/* MHA's own exit-code contract for the stop phase: 10 means "failed, but proceed". */
#define CMD_HOOK_PROCEED 10

/* Seconds a hook waits for the registry's management node before going on without it. */
#define CMD_HOOK_REGISTRY_TIMEOUT 1

/* The old master may be gone; do not let it hold the failover up for long. */
#define CMD_HOOK_OLD_MASTER_TIMEOUT 2

/*
 * What the hook must know even when the registry is away: the rendered MHA
 * config puts --cluster, --vip and --iface on the hook's command line.
 */
struct cmd_hook_cluster {
	const char *name;
	char *vip;
	int vip_prefix;
	const char *iface;
};

/* Finds "--KEY=VALUE" among MHA's arguments (after the hook type). */
static const char *
cmd_hook_arg(int argc, char **argv, const char *key)
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
cmd_hook_marker(struct cmd_ctx *ctx, const char *cluster, int paused)
{
	struct mha_paths p;
	char *cause = NULL;

	mha_paths_init(&p, ctx->cfg, cluster);
	if (mha_marker_touch(paused ? p.paused : p.began, &cause) != 0) {
		fprintf(stderr, "mhaadm hook: cluster=%s %s\n", cluster, cause);
		free(cause);
	}
	mha_paths_free(&p);
}

/* The registry, or NULL (logged): a hook works on without it. */
static struct registry *
cmd_hook_registry(struct cmd_ctx *ctx, const char *cluster)
{
	struct registry *reg;
	char *cause = NULL;

	/* A management node that does not answer must not hold the failover up. */
	if (ctx->cfg->connect_timeout > CMD_HOOK_REGISTRY_TIMEOUT)
		ctx->cfg->connect_timeout = CMD_HOOK_REGISTRY_TIMEOUT;
	reg = cmd_ctx_registry(ctx, 1, &cause);
	if (reg == NULL) {
		fprintf(stderr, "mhaadm hook: cluster=%s registry unavailable: %s\n", cluster, cause);
		free(cause);
	}
	return reg;
}

/*
 * The storm breaker, asked before a failover moves anything: returns 1 when
 * too many clusters of this manager host have started failing over within
 * storm_window. A record we cannot use never blocks a failover.
 */
static int
cmd_hook_storm(struct cmd_ctx *ctx, struct registry *reg, const struct cmd_hook_cluster *c,
    const struct mha_hook_args *a)
{
	char *why = NULL, *cause = NULL;

	switch (storm_admit(ctx->cfg, c->name, time(NULL), &why, &cause)) {
	case 0:
		return 0;
	case 1:
		event_emit(reg, c->name, NULL, "storm.paused",
		    "automatic failover of master %s:%d NOT started by the storm breaker: %s; the "
		    "master and the VIP stay as they are; when the network is sound, repair the "
		    "cluster and run 'mhaadm start %s'",
		    a->orig_master_host, a->orig_master_port, why, c->name);
		free(why);
		return 1;
	default:
		fprintf(stderr, "mhaadm hook: cluster=%s storm breaker not consulted: %s\n", c->name,
		    cause);
		free(cause);
		return 0;
	}
}

static int
cmd_hook_vip_stop(struct cmd_ctx *ctx, struct registry *reg, const struct cmd_hook_cluster *c,
    const struct mha_hook_args *a, int online)
{
	struct ssh_target t;
	char *cause = NULL;
	const char *host = a->orig_master_ip != NULL ? a->orig_master_ip : a->orig_master_host;
	int r;

	if (online)
		event_emit_fields(reg, c->name, NULL, "switch.started", EVENT_FIELDS("old_master", EVENT_ADDR(a->orig_master_host, a->orig_master_port)),
		    "planned switch away from master %s:%d started", a->orig_master_host,
		    a->orig_master_port);
	else
		event_emit_fields(reg, c->name, NULL, "failover.started", EVENT_FIELDS("old_master", EVENT_ADDR(a->orig_master_host, a->orig_master_port)),
		    "master %s:%d is down; failover started (old master %s by ssh)",
		    a->orig_master_host, a->orig_master_port,
		    a->command == MHA_HOOK_STOPSSH ? "reachable" : "not reachable");
	if (a->command == MHA_HOOK_STOP && !online) {
		/*
		 * MHA has just found the old master unreachable by ssh; trying again
		 * would only add our timeout to the failover. If the host is cut off
		 * and alive it still holds the VIP: fencing it is separate work.
		 */
		event_emit(reg, c->name, NULL, "vip.remove_skipped",
		    "old master %s is unreachable by ssh; it may still hold VIP %s", host, c->vip);
		return 0;
	}
	ssh_target_from_config(&t, ctx->cfg, host, CMD_HOOK_OLD_MASTER_TIMEOUT);
	r = vip_del(&t, c->vip, c->vip_prefix, c->iface, &cause);
	if (r >= 0) {
		event_emit(reg, c->name, NULL, "vip.removed", "VIP %s %s the old master %s", c->vip,
		    r == 0 ? "removed from" : "was not on", host);
		return 0;
	}
	event_emit(reg, c->name, NULL, "vip.remove_failed",
	    "could not remove VIP %s from the old master %s: %s", c->vip, host, cause);
	free(cause);
	/* In a planned switch the old master is alive: going on would leave two VIPs. */
	if (online)
		return 1;
	/*
	 * With the old master unreachable MHA expects "stop" to succeed; a host
	 * we cannot reach cannot be cleaned now (fencing it is separate work).
	 */
	return a->command == MHA_HOOK_STOP ? 0 : CMD_HOOK_PROCEED;
}

static int
cmd_hook_vip_start(struct cmd_ctx *ctx, struct registry *reg, const struct cmd_hook_cluster *c,
    const struct mha_hook_args *a)
{
	struct ssh_target t;
	char *cause = NULL, *msg;
	const char *host = a->new_master_ip != NULL ? a->new_master_ip : a->new_master_host;
	int rc = 0, r;

	if (a->new_master_host == NULL || a->new_master_port <= 0) {
		fprintf(stderr, "mhaadm hook: start without --new_master_host/--new_master_port\n");
		return 1;
	}
	ssh_target_from_config(&t, ctx->cfg, host, ctx->cfg->ssh_timeout);
	if (vip_add(&t, c->vip, c->vip_prefix, c->iface, &cause) == 0) {
		event_emit_fields(reg, c->name, NULL, "vip.moved", EVENT_FIELDS("old_master", a->orig_master_host, "new_master", a->new_master_host), "VIP %s/%d moved from %s to %s (%s)",
		    c->vip, c->vip_prefix, a->orig_master_host, a->new_master_host, c->iface);
	} else {
		/* The promotion goes on; the daemon binds the VIP when it re-protects. */
		event_emit(reg, c->name, NULL, "vip.failed", "could not bind VIP %s on the new master "
							    "%s: %s",
		    c->vip, host, cause);
		free(cause);
		cause = NULL;
		rc = CMD_HOOK_PROCEED;
	}

	msg = xasprintf("master changed from %s:%d to %s:%d", a->orig_master_host,
	    a->orig_master_port, a->new_master_host, a->new_master_port);
	if (reg != NULL && !spool_pending(ctx->cfg)) {
		struct registry_event ev = { 0 };

		ev.cluster = (char *)c->name;
		ev.type = (char *)"failover.master_changed";
		ev.message = msg;
		r = registry_cluster_set_master(reg, c->name, a->new_master_host,
		    a->new_master_port, REGISTRY_STATE_FAILING_OVER, &ev, &cause);
		if (r == 0) {
			fprintf(stderr, "mhaadm hook: cluster=%s registry updated: %s\n", c->name, msg);
			goto out;
		}
		fprintf(stderr, "mhaadm hook: cluster=%s registry update failed: %s\n", c->name,
		    r == 1 ? "new master is not a node of the cluster" : cause);
		free(cause);
		cause = NULL;
		if (r == 1)
			goto out;
	}
	if (spool_write_master(ctx->cfg, c->name, a->new_master_host, a->new_master_port, msg,
		&cause) == 0)
		fprintf(stderr, "mhaadm hook: cluster=%s registry update spooled for the daemon\n",
		    c->name);
	else {
		fprintf(stderr, "mhaadm hook: cluster=%s REGISTRY NOT UPDATED: %s\n", c->name, cause);
		free(cause);
	}
out:
	free(msg);
	return rc;
}

static int
cmd_hook_report(struct cmd_ctx *ctx, struct registry *reg, const char *cluster, int argc,
    char **argv)
{
	struct mha_report_args a = { 0 };
	char *cause = NULL, *nl;
	int ok;

	if (mha_report_parse(argc, argv, &a, &cause) != 0) {
		fprintf(stderr, "mhaadm hook: report: %s\n", cause);
		free(cause);
		return 1;
	}
	ok = a.new_master_host != NULL && a.new_master_host[0] != '\0' &&
	    (a.subject == NULL || strstr(a.subject, "Error") == NULL);
	if (a.subject != NULL && (nl = strchr(a.subject, '\n')) != NULL)
		*nl = '\0';
	if (ok)
		event_emit_fields(reg, cluster, NULL, "failover.completed", EVENT_FIELDS("new_master", a.new_master_host),
		    "failover completed: new master %s, replicas %s (%s)", a.new_master_host,
		    a.new_slave_hosts != NULL && a.new_slave_hosts[0] != '\0' ? a.new_slave_hosts :
										"none",
		    a.subject != NULL ? a.subject : "");
	else
		event_emit_fields(reg, cluster, NULL, "failover.failed", EVENT_FIELDS("old_master", a.orig_master_host),
		    "failover of %s did not complete: %s", a.orig_master_host != NULL ?
							       a.orig_master_host : "?",
		    a.subject != NULL ? a.subject : "no report");
	mha_report_args_free(&a);
	return 0;
}

static int
cmd_hook_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct registry_cluster *rc_cluster = NULL;
	struct cmd_hook_cluster c = { 0 };
	struct mha_hook_args a = { 0 };
	struct registry *reg = NULL;
	const char *type, *vip_arg, *iface_arg;
	char *cause = NULL;
	int rc = 1, online;

	if (argc < 2)
		return cmd_usage_error(ctx, "a hook type is needed: failover, online-change or report");
	/* Hook output lands in MHA's log: every event is written there too. */
	log_set_level(LOG_LEVEL_INFO);
	type = argv[1];
	c.name = cmd_hook_arg(argc, argv, "--cluster");
	if (c.name == NULL)
		return cmd_usage_error(ctx, "--cluster=NAME is needed");
	if (validate_cluster_name(c.name, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return 1;
	}
	online = strcmp(type, "online-change") == 0;
	if (strcmp(type, "failover") != 0 && !online && strcmp(type, "report") != 0)
		return cmd_usage_error(ctx, "unknown hook type '%s' (failover, online-change, report)",
		    type);
	if (cmd_ctx_config(ctx, &cause) == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return 1;
	}
	if (strcmp(type, "report") == 0) {
		reg = cmd_hook_registry(ctx, c.name);
		return cmd_hook_report(ctx, reg, c.name, argc, argv);
	}
	/* Parsed first: this also wipes the password MHA put into our argv. */
	if (mha_hook_parse(argc, argv, &a, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return 1;
	}
	if (a.command == MHA_HOOK_STATUS) {
		rc = 0;
		goto out;
	}
	vip_arg = cmd_hook_arg(argc, argv, "--vip");
	iface_arg = cmd_hook_arg(argc, argv, "--iface");
	reg = cmd_hook_registry(ctx, c.name);
	if (reg != NULL && registry_cluster_get(reg, c.name, &rc_cluster, &cause) == 0 &&
	    vip_arg == NULL) {
		c.vip = xstrdup(rc_cluster->vip);
		c.vip_prefix = rc_cluster->vip_prefix;
		c.iface = rc_cluster->iface;
	}
	free(cause);
	cause = NULL;
	if (c.vip == NULL && (vip_arg == NULL || iface_arg == NULL ||
				 validate_parse_vip(vip_arg, 32, &c.vip, &c.vip_prefix, &cause) != 0 ||
				 validate_iface(iface_arg, &cause) != 0)) {
		cmd_error(ctx, "cluster '%s': VIP unknown (no --vip/--iface and no registry): %s",
		    c.name, cause != NULL ? cause : "bad or missing --vip/--iface");
		free(cause);
		rc = a.command == MHA_HOOK_START ? 1 : CMD_HOOK_PROCEED;
		goto out;
	}
	if (c.iface == NULL)
		c.iface = iface_arg;
	switch (a.command) {
	case MHA_HOOK_STOP:
	case MHA_HOOK_STOPSSH:
		if (!online && cmd_hook_storm(ctx, reg, &c, &a) != 0) {
			cmd_hook_marker(ctx, c.name, 1);
			rc = 1; /* MHA aborts the failover before it has moved anything */
			break;
		}
		if (!online)
			cmd_hook_marker(ctx, c.name, 0);
		rc = cmd_hook_vip_stop(ctx, reg, &c, &a, online);
		break;
	case MHA_HOOK_START:
		rc = cmd_hook_vip_start(ctx, reg, &c, &a);
		break;
	default:
		rc = 0;
		break;
	}
out:
	free(c.vip);
	registry_cluster_free(rc_cluster);
	mha_hook_args_free(&a);
	return rc;
}

const struct cmd_entry cmd_hook_entry = {
	.name = "hook",
	.args = "failover|online-change|report --cluster=NAME [MHA ARGS]",
	.summary = "called by MHA during a failover: moves the VIP, records the new master",
	.exec = cmd_hook_exec,
};
