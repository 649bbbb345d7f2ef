/*
 * What every failover does (storm breaker, VIP move, registry record with
 * the spool behind it), as the native engine calls it: the one file to
 * switch to the shared failover core (src/core/failover/failover.c) when
 * it lands, so that the MHA hook and the native engine do it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "event.h"
#include "native.h"
#include "registry.h"
#include "spool.h"
#include "ssh.h"
#include "storm.h"
#include "vip.h"
#include "xmalloc.h"

/* The old master may be gone: one second is all it may cost the failover (lab: ssh ~60 ms). */
#define NATIVE_CORE_OLD_MASTER_TIMEOUT 1
/* A management node that does not answer must not hold a failover up. */
#define NATIVE_CORE_REGISTRY_TIMEOUT 1

struct registry *
native_core_registry(const struct config *cfg)
{
	struct config quick = *cfg; /* shallow: only the timeout differs, nothing is freed */
	struct registry *reg;
	char *cause = NULL;

	if (quick.connect_timeout > NATIVE_CORE_REGISTRY_TIMEOUT)
		quick.connect_timeout = NATIVE_CORE_REGISTRY_TIMEOUT;
	reg = registry_open(&quick, 1, &cause);
	if (reg == NULL) {
		fprintf(stderr, "mhaadm engine-native: registry unavailable: %s\n", cause);
		free(cause);
	}
	return reg;
}

/* 0: the failover may start; 1: the storm breaker refused it (event emitted). */
int
native_core_storm(const struct config *cfg, struct registry *reg, const char *cluster,
    const char *master)
{
	char *why = NULL, *cause = NULL;

	switch (storm_admit(cfg, cluster, time(NULL), &why, &cause)) {
	case 0:
		return 0;
	case 1:
		event_emit(reg, cluster, NULL, "storm.paused",
		    "automatic failover of master %s NOT started by the storm breaker: %s; the master "
		    "and the VIP stay as they are; when the network is sound, repair the cluster and "
		    "run 'mhaadm start %s'",
		    master, why, cluster);
		free(why);
		return 1;
	default:
		fprintf(stderr, "mhaadm engine-native: cluster=%s storm breaker not consulted: %s\n",
		    cluster, cause);
		free(cause);
		return 0;
	}
}

/* Removes the VIP from the old master, bounded; an unreachable host is reported, not fatal. */
int
native_core_vip_del(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, const char *host, char **cause)
{
	struct ssh_target t;
	int r;

	ssh_target_from_config(&t, cfg, host, NATIVE_CORE_OLD_MASTER_TIMEOUT);
	r = vip_del(&t, c->vip, c->vip_prefix, c->iface, cause);
	if (r >= 0) {
		event_emit(reg, c->name, NULL, "vip.removed", "VIP %s %s the old master %s", c->vip,
		    r == 0 ? "removed from" : "was not on", host);
		return 0;
	}
	event_emit(reg, c->name, NULL, "vip.remove_failed",
	    "could not remove VIP %s from the old master %s: %s", c->vip, host, *cause);
	return -1;
}

/* Binds the VIP on the new master; gratuitous ARP is sent without waiting (vip_add). */
int
native_core_vip_add(const struct config *cfg, struct registry *reg,
    const struct native_cluster *c, const char *old_host, const char *host, char **cause)
{
	struct ssh_target t;

	ssh_target_from_config(&t, cfg, host, cfg->ssh_timeout);
	if (vip_add(&t, c->vip, c->vip_prefix, c->iface, cause) != 0) {
		event_emit(reg, c->name, NULL, "vip.failed",
		    "could not bind VIP %s on the new master %s: %s", c->vip, host, *cause);
		return -1;
	}
	event_emit(reg, c->name, NULL, "vip.moved", "VIP %s/%d moved from %s to %s (%s)", c->vip,
	    c->vip_prefix, old_host, host, c->iface);
	return 0;
}

/* Records the new master (state failing_over until re-protected), or spools it. */
void
native_core_record(const struct config *cfg, struct registry *reg, const char *cluster,
    const char *new_host, int new_port, const char *msg)
{
	struct registry_event ev = { 0 };
	char *cause = NULL;
	int r = -1;

	if (reg != NULL) {
		ev.cluster = (char *)cluster;
		ev.type = (char *)"failover.master_changed";
		ev.message = (char *)msg;
		r = reg->ops->cluster_set_master(reg, cluster, new_host, new_port,
		    REGISTRY_STATE_FAILING_OVER, &ev, &cause);
		if (r == 0)
			return;
		fprintf(stderr, "mhaadm engine-native: cluster=%s registry update failed: %s\n",
		    cluster, r == 1 ? "new master is not a node of the cluster" : cause);
		free(cause);
		cause = NULL;
		if (r == 1)
			return;
	}
	if (spool_write_master(cfg, cluster, new_host, new_port, msg, &cause) == 0)
		fprintf(stderr, "mhaadm engine-native: cluster=%s registry update spooled\n", cluster);
	else {
		fprintf(stderr, "mhaadm engine-native: cluster=%s REGISTRY NOT UPDATED: %s\n",
		    cluster, cause);
		free(cause);
	}
}
