/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The failover core: the side effects every engine's failover shares
 * (failover.h). The VIP itself is moved by vip.c; what is recorded and
 * where goes through the registry or, when it is away, the spool.
 */
#include "failover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "event.h"
#include "probe.h"
#include "guard.h"
#include "selffence-install.h"
#include "log.h"
#include "registry.h"
#include "spool.h"
#include "ssh.h"
#include "storm.h"
#include "vip.h"
#include "xmalloc.h"

struct registry *
failover_registry_open(const struct config *cfg, const char *cluster)
{
	struct config bounded = *cfg; /* shallow: registry_open keeps nothing of it */
	struct registry *reg;
	char *cause = NULL, *v = NULL;

	/* A management node that does not answer must not hold the failover up. */
	if (bounded.connect_timeout > FAILOVER_REGISTRY_TIMEOUT)
		bounded.connect_timeout = FAILOVER_REGISTRY_TIMEOUT;
	if (bounded.read_timeout > FAILOVER_REGISTRY_TIMEOUT)
		bounded.read_timeout = FAILOVER_REGISTRY_TIMEOUT;
	reg = registry_open(&bounded, 1, &cause);
	if (reg == NULL) {
		log_warn("cluster=%s registry unavailable: %s", cluster, cause);
		free(cause);
		return NULL;
	}
	/*
	 * SQLite would wait 5 s per write for a lock (a CLI holding it): the
	 * hook makes several writes per phase, each on the failover's clock.
	 */
	if (db_dialect(reg->db) == DB_DIALECT_SQLITE &&
	    db_scalar(reg->db, &v, "cannot bound the registry's lock wait", &cause,
	        "PRAGMA busy_timeout = 1000", "") < 0) {
		log_warn("cluster=%s %s", cluster, cause);
		free(cause);
	}
	free(v);
	return reg;
}

int
failover_storm_check(const struct failover_target *t, const struct failover_node *old)
{
	char *why = NULL, *cause = NULL;

	switch (storm_admit(t->cfg, t->cluster, time(NULL), &why, &cause)) {
	case 0:
		return 0;
	case 1:
		event_emit_fields(t->reg, t->cluster, NULL, "storm.paused",
		    EVENT_FIELDS("old_master", EVENT_ADDR(old->host, old->port), "reason", why),
		    "automatic failover of master %s:%d NOT started by the storm breaker: %s; the "
		    "master and the VIP stay as they are; when the network is sound, repair the "
		    "cluster and run 'mhaadm start %s'",
		    old->host, old->port, why, t->cluster);
		free(why);
		return 1;
	default:
		log_warn("cluster=%s storm breaker not consulted: %s", t->cluster, cause);
		free(cause);
		return 0;
	}
}

int
failover_vip_release(
    const struct failover_target *t, const struct failover_node *old, int reachable, int planned)
{
	struct ssh_target st;
	const char *host = old->addr != NULL ? old->addr : old->host;
	char *cause = NULL;
	int r;

	/* A planned switch said switch.started when it began, before this step. */
	if (!planned)
		event_emit_fields(t->reg, t->cluster, NULL, "failover.started",
		    EVENT_FIELDS("old_master", EVENT_ADDR(old->host, old->port)),
		    "master %s:%d is down; failover started (old master %s by ssh)", old->host,
		    old->port, reachable ? "reachable" : "not reachable");
	if (!reachable && !planned) {
		/*
		 * The engine has just found the old master unreachable; trying
		 * again would only add our timeout to the failover. If the host is
		 * cut off and alive it still holds the VIP: the fence pass
		 * (fence.c) takes it off when the host comes back.
		 */
		event_emit(t->reg, t->cluster, NULL, "vip.remove_skipped",
		    "old master %s is unreachable by ssh; it may still hold VIP %s", host, t->vip);
		return 0;
	}
	ssh_target_from_config(&st, t->cfg, host, FAILOVER_OLD_MASTER_TIMEOUT);
	r = vip_del(&st, t->vip, t->vip_prefix, t->iface, &cause);
	if (r >= 0) {
		event_emit(t->reg, t->cluster, NULL, "vip.removed", "VIP %s %s the old master %s",
		    t->vip, r == 0 ? "removed from" : "was not on", host);
		return 0;
	}
	event_emit(t->reg, t->cluster, NULL, "vip.remove_failed",
	    "could not remove VIP %s from the old master %s: %s", t->vip, host, cause);
	free(cause);
	return 1;
}

int
failover_vip_take(const struct failover_target *t, const struct failover_node *old,
    const struct failover_node *new_master)
{
	struct ssh_target st;
	const char *host = new_master->addr != NULL ? new_master->addr : new_master->host;
	char *cause = NULL;

	ssh_target_from_config(&st, t->cfg, host, t->cfg->ssh_timeout);
	if (vip_add_announce(&st, t->vip, t->vip_prefix, t->iface, t->cfg->garp_count,
	        t->cfg->garp_interval_ms, &cause) == 0) {
		event_emit_fields(t->reg, t->cluster, NULL, "vip.moved",
		    EVENT_FIELDS("old_master", old->host, "new_master", new_master->host),
		    "VIP %s/%d moved from %s to %s (%s)", t->vip, t->vip_prefix, old->host,
		    new_master->host, t->iface);
		return 0;
	}
	event_emit(t->reg, t->cluster, NULL, "vip.failed",
	    "could not bind VIP %s on the new master %s: %s", t->vip, host, cause);
	free(cause);
	return -1;
}

int
failover_record_master(const struct failover_target *t, const struct failover_node *old,
    const struct failover_node *new_master)
{
	char *cause = NULL, *msg;
	int r, rc = -1;

	msg = xasprintf("master changed from %s:%d to %s:%d", old->host, old->port,
	    new_master->host, new_master->port);
	/* Behind a pending spool the direct write would overtake older records. */
	if (t->reg != NULL && !spool_pending(t->cfg)) {
		struct registry_event ev = {0};

		ev.cluster = (char *)t->cluster;
		ev.type = (char *)"failover.master_changed";
		ev.message = msg;
		if (event_get_manager() != NULL) /* manager HA: which manager recorded it */
			registry_event_field_set(&ev, "manager", event_get_manager());
		r = registry_cluster_set_master(t->reg, t->cluster, new_master->host,
		    new_master->port, REGISTRY_STATE_FAILING_OVER, &ev, &cause);
		registry_event_fields_free(&ev);
		if (r == 0) {
			log_info("cluster=%s registry updated: %s", t->cluster, msg);
			rc = 0;
			goto out;
		}
		log_warn("cluster=%s registry update failed: %s", t->cluster,
		    r == 1 ? "new master is not a node of the cluster" : cause);
		free(cause);
		cause = NULL;
		if (r == 1) {
			rc = 2;
			goto out;
		}
	}
	if (spool_write_master(
	        t->cfg, t->cluster, new_master->host, new_master->port, msg, &cause) == 0) {
		log_info("cluster=%s registry update spooled for the daemon", t->cluster);
		rc = 1;
	} else {
		log_error("cluster=%s REGISTRY NOT UPDATED: %s", t->cluster, cause);
		free(cause);
	}
out:
	free(msg);
	return rc;
}

int
failover_replica_failed(
    const struct failover_target *t, const struct failover_node *n, const char *message)
{
	struct registry_event ev = {0};
	struct registry_cluster *fresh = NULL;
	char *cause = NULL, *hp = xasprintf("%s:%d", n->host, n->port);
	size_t i;
	int found = 0, rc = -1, r;

	if (t->reg == NULL) {
		log_warn("cluster=%s node=%s not marked failed: the registry is away (it stays a "
		         "replica there): %s",
		    t->cluster, hp, message);
		goto out;
	}
	r = registry_cluster_get(t->reg, t->cluster, &fresh, &cause);
	if (r != 0) {
		rc = r > 0 ? 1 : -1;
		goto out;
	}
	for (i = 0; i < fresh->n_nodes; i++) {
		if (fresh->nodes[i].role == REGISTRY_ROLE_REPLICA &&
		    fresh->nodes[i].port == n->port && strcmp(fresh->nodes[i].host, n->host) == 0) {
			fresh->nodes[i].role = REGISTRY_ROLE_FAILED;
			found = 1;
		}
	}
	if (!found) {
		rc = 1;
		goto out;
	}
	ev.cluster = (char *)t->cluster;
	ev.node = hp;
	ev.type = (char *)"replica.failed";
	ev.message = (char *)message;
	if (registry_cluster_update(t->reg, fresh, &ev, &cause) == 0) {
		log_info("cluster=%s node=%s replica.failed: %s", t->cluster, hp, message);
		rc = 0;
	}
out:
	if (cause != NULL) {
		log_warn("cluster=%s node=%s could not be marked failed in the registry: %s",
		    t->cluster, hp, cause);
		free(cause);
	}
	registry_cluster_free(fresh);
	free(hp);
	return rc;
}

void
failover_report(const struct failover_target *t, const char *old_host, const char *new_master,
    const char *replicas, const char *detail)
{
	if (new_master == NULL || *new_master == '\0') {
		event_emit_fields(t->reg, t->cluster, NULL, "failover.failed",
		    EVENT_FIELDS("old_master", old_host), "failover of %s did not complete: %s",
		    old_host != NULL ? old_host : "?", detail != NULL ? detail : "no report");
		return;
	}
	event_emit_fields(t->reg, t->cluster, NULL, "failover.completed",
	    EVENT_FIELDS("new_master", new_master),
	    "failover completed: new master %s, replicas %s (%s)", new_master,
	    replicas != NULL && *replicas != '\0' ? replicas : "none",
	    detail != NULL ? detail : "");
	/* After everything else: the SSH session to the new master never delays its promotion. */
	selffence_after_failover(t->cfg, t->reg, t->cluster, old_host, new_master);
}

void
failover_guard_apply(const struct failover_target *t, const struct registry_cluster *rc,
    const struct failover_node *nm)
{
	struct probe_credentials cred = {t->cfg->ha_user, t->cfg->ha_password,
	    FAILOVER_REGISTRY_TIMEOUT, FAILOVER_OLD_MASTER_TIMEOUT};
	const char *host = nm->addr != NULL ? nm->addr : nm->host;
	const char *why = "isolation_guard = semisync";
	char *cause = NULL, hp[300];
	size_t i;

	if (rc != NULL) {
		if (guard_mode_for(t->cfg, rc, nm->host, nm->port, &why) != GUARD_SEMISYNC)
			return;
		for (i = 0; i < rc->n_nodes; i++) {
			if (rc->nodes[i].role != REGISTRY_ROLE_REPLICA ||
			    (strcmp(rc->nodes[i].host, nm->host) == 0 &&
			        rc->nodes[i].port == nm->port))
				continue;
			if (guard_replica_on(
			        &cred, rc->nodes[i].host, rc->nodes[i].port, 0, &cause) != 0) {
				log_warn("cluster=%s guard: %s", t->cluster, cause);
				free(cause);
				cause = NULL;
			}
		}
	} else if (config_cluster_guard(t->cfg, t->cluster) != CONFIG_GUARD_SEMISYNC) {
		return;
	}
	snprintf(hp, sizeof(hp), "%s:%d", nm->host, nm->port);
	if (guard_master_on(&cred, host, nm->port, &cause) == 0) {
		event_emit(t->reg, t->cluster, hp, "guard.set",
		    "isolation guard semisync (%s) on the new master %s", why, hp);
	} else {
		event_emit(t->reg, t->cluster, hp, "guard.failed",
		    "isolation guard semisync not set on the new master %s: %s", hp, cause);
		free(cause);
	}
}

size_t
failover_replicas(const struct registry_cluster *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_nodes; i++)
		n += c->nodes[i].role == REGISTRY_ROLE_REPLICA;
	return n;
}

enum failover_next
failover_after(const struct registry_cluster *c)
{
	return failover_replicas(c) == 0 ? FAILOVER_NEXT_UNPROTECTED : FAILOVER_NEXT_REPROTECT;
}
