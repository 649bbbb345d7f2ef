/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of event types: what each one means to people (severity) and to programs. */
#include "event.h"

#include <stdlib.h>
#include <string.h>

/*
 * Every event type mhaadm emits, sorted by name (event_type_find searches
 * it). A new type gets its row here; its meaning is never guessed from its
 * name or its message elsewhere. resolved_by names the event that says a
 * finding of this type is over (the status pass uses it); NULL: none of its
 * own.
 */
static const struct event_type event_types[] = {
    {"checks.failed", EVENT_CRITICAL, EVENT_PROBLEM, NULL},
    {"cluster.added", EVENT_INFO, 0, NULL},
    {"cluster.deleted", EVENT_WARNING, 0, NULL},
    {"cluster.failover_blocked", EVENT_CRITICAL, 0, NULL},
    {"cluster.failover_ready", EVENT_INFO, 0, NULL},
    {"cluster.reprotected", EVENT_INFO, EVENT_CLEARS, NULL},
    {"cluster.start", EVENT_INFO, EVENT_CLEARS, NULL},
    {"cluster.stop", EVENT_WARNING, 0, NULL},
    {"cluster.unprotected", EVENT_CRITICAL, EVENT_PROBLEM | EVENT_DAEMON, NULL},
    /* Neither the master nor any replica answers the manager: it is likely cut off; no failover. */
    {"cluster.unreachable_from_manager", EVENT_WARNING, 0, "master.reachable_from_manager"},
    {"drift.master_read_only", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.master_replicates", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.no_master", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.replica_not_replicating", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.replica_source", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.resolved", EVENT_WARNING, 0, NULL},
    {"drift.unregistered_replica", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.vip_elsewhere", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.vip_missing", EVENT_WARNING, 0, "drift.resolved"},
    {"drift.vip_split", EVENT_WARNING, 0, "drift.resolved"},
    {"engine.checks_failed", EVENT_CRITICAL, EVENT_PROBLEM, NULL},
    {"engine.died", EVENT_CRITICAL, EVENT_PROBLEM, NULL},
    {"engine.exited", EVENT_WARNING, 0, NULL},
    {"engine.failed", EVENT_CRITICAL, EVENT_PROBLEM, NULL},
    {"engine.started", EVENT_INFO, 0, NULL},
    /* Manager HA, native engine: a failover stopped for a lost lease; one finished elsewhere. */
    {"failover.abandoned", EVENT_CRITICAL, EVENT_PROBLEM, NULL},
    {"failover.adopted", EVENT_WARNING, 0, NULL},
    /* A replica that may not be promoted received more than the new master (native engine). */
    {"failover.candidate_behind", EVENT_WARNING, 0, NULL},
    {"failover.completed", EVENT_WARNING, EVENT_DAEMON, NULL},
    {"failover.error_marker", EVENT_WARNING, EVENT_DAEMON, NULL},
    {"failover.failed", EVENT_CRITICAL, EVENT_PROBLEM | EVENT_DAEMON, NULL},
    {"failover.master_changed", EVENT_WARNING, EVENT_DAEMON, NULL},
    {"failover.paused", EVENT_WARNING, EVENT_PROBLEM | EVENT_DAEMON, NULL},
    {"failover.refused", EVENT_CRITICAL, EVENT_PROBLEM | EVENT_DAEMON, NULL},
    {"failover.repoint_failed", EVENT_CRITICAL, EVENT_PROBLEM, NULL},
    {"failover.running", EVENT_WARNING, EVENT_DAEMON, NULL},
    {"failover.salvage_failed", EVENT_CRITICAL, EVENT_PROBLEM, NULL},
    {"failover.salvaged", EVENT_WARNING, 0, NULL},
    {"failover.started", EVENT_WARNING, EVENT_DAEMON, NULL},
    {"fence.read_only", EVENT_WARNING, 0, NULL},
    {"fence.read_only_failed", EVENT_CRITICAL, 0, NULL},
    {"fence.vip_removed", EVENT_WARNING, 0, NULL},
    {"guard.async", EVENT_WARNING, 0, "guard.resolved"},
    {"guard.failed", EVENT_CRITICAL, 0, NULL},
    {"guard.fallback", EVENT_CRITICAL, 0, NULL},
    {"guard.off", EVENT_WARNING, 0, "guard.resolved"},
    {"guard.repaired", EVENT_WARNING, 0, NULL},
    {"guard.replica_off", EVENT_INFO, 0, "guard.resolved"},
    {"guard.resolved", EVENT_INFO, 0, NULL},
    {"guard.restored", EVENT_WARNING, 0, NULL},
    {"guard.set", EVENT_INFO, 0, NULL},
    {"guard.stalled", EVENT_CRITICAL, 0, "guard.resolved"},
    {"keys.installed", EVENT_INFO, 0, NULL},
    {"keys.removed", EVENT_INFO, 0, NULL},
    {"lag.exceeded", EVENT_WARNING, 0, "lag.recovered"},
    {"lag.policy_changed", EVENT_WARNING, 0, NULL},
    {"lag.recovered", EVENT_WARNING, 0, NULL},
    /* Manager HA: this manager took, lost or handed over a cluster's lease; refused to act. */
    {"lease.acquired", EVENT_INFO, 0, NULL},
    {"lease.lost", EVENT_CRITICAL, 0, NULL},
    {"lease.refused", EVENT_CRITICAL, 0, NULL},
    {"lease.released", EVENT_INFO, 0, NULL},
    {"master.reachable_from_manager", EVENT_WARNING, 0, NULL},
    {"master.unreachable", EVENT_INFO, 0, NULL},
    /* A manager-only partition: the replicas still receive from the master; never a failover. */
    {"master.unreachable_from_manager", EVENT_WARNING, 0, "master.reachable_from_manager"},
    {"monitoring.down", EVENT_INFO, EVENT_DAEMON, NULL},
    {"monitoring.off", EVENT_INFO, EVENT_DAEMON, NULL},
    {"monitoring.started", EVENT_INFO, EVENT_CLEARS | EVENT_DAEMON, NULL},
    {"monitoring.starting", EVENT_INFO, EVENT_DAEMON, NULL},
    {"monitoring.stopped", EVENT_WARNING, EVENT_CLEARS | EVENT_DAEMON, NULL},
    {"notify.dropped", EVENT_CRITICAL, 0, NULL},
    {"notify.failed", EVENT_CRITICAL, 0, NULL},
    {"notify.test", EVENT_INFO, 0, NULL},
    {"promotion.no_candidate", EVENT_INFO, 0, NULL},
    {"registry.caught_up", EVENT_INFO, 0, NULL},
    /* A replica holding GTIDs its master never had: never promoted meanwhile. */
    {"replica.errant", EVENT_WARNING, 0, "replica.errant_resolved"},
    {"replica.errant_resolved", EVENT_WARNING, 0, NULL},
    {"replica.failed", EVENT_CRITICAL, 0, NULL},
    {"replica.gtid_restore_failed", EVENT_CRITICAL, 0, NULL},
    {"replica.gtid_restored", EVENT_INFO, 0, NULL},
    {"replica.io_stopped", EVENT_INFO, 0, NULL},
    {"replica.left_out", EVENT_WARNING, 0, NULL},
    /* A failed former master replicates from the current master again (rejoin.h). */
    {"replica.rejoin_failed", EVENT_CRITICAL, 0, NULL},
    {"replica.rejoin_refused", EVENT_WARNING, 0, NULL},
    {"replica.rejoined", EVENT_INFO, 0, NULL},
    {"replica.sql_stopped", EVENT_INFO, 0, NULL},
    {"replica.taken_back", EVENT_INFO, 0, NULL},
    {"replica.unreachable", EVENT_INFO, 0, NULL},
    {"selffence.failed", EVENT_CRITICAL, 0, "selffence.started"},
    {"selffence.not_running", EVENT_WARNING, 0, "selffence.started"},
    {"selffence.started", EVENT_INFO, 0, NULL},
    {"status.resolved", EVENT_INFO, 0, NULL},
    {"storm.paused", EVENT_INFO, EVENT_PROBLEM, NULL},
    {"switch.completed", EVENT_WARNING, 0, NULL},
    {"switch.failed", EVENT_CRITICAL, 0, NULL},
    /* Switched, but a replica was not re-pointed or the registry not updated. */
    {"switch.incomplete", EVENT_CRITICAL, 0, NULL},
    {"switch.started", EVENT_WARNING, 0, NULL},
    {"vip.bound", EVENT_WARNING, 0, NULL},
    {"vip.failed", EVENT_CRITICAL, 0, NULL},
    {"vip.moved", EVENT_WARNING, 0, NULL},
    {"vip.remove_failed", EVENT_CRITICAL, 0, NULL},
    {"vip.remove_skipped", EVENT_WARNING, 0, NULL},
    {"vip.removed", EVENT_WARNING, 0, NULL},
    {"vip.unknown", EVENT_WARNING, 0, NULL},
};

#define EVENT_NTYPES (sizeof(event_types) / sizeof(event_types[0]))

static int
event_type_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct event_type *)elem)->name);
}

const struct event_type *
event_type_find(const char *name)
{
	if (name == NULL)
		return NULL;
	return bsearch(name, event_types, EVENT_NTYPES, sizeof(event_types[0]), event_type_cmp);
}

/* The suffix rule for a type this table does not know yet (one a newer mhaadm wrote). */
static int
event_type_unknown_failed(const char *name)
{
	size_t n = strlen(name);

	return n >= 7 &&
	       (strcmp(name + n - 7, ".failed") == 0 || strcmp(name + n - 7, "_failed") == 0);
}

enum event_severity
event_type_severity(const char *name)
{
	const struct event_type *t = event_type_find(name);

	if (t != NULL)
		return t->severity;
	return name != NULL && event_type_unknown_failed(name) ? EVENT_CRITICAL : EVENT_INFO;
}

const char *
event_severity_name(enum event_severity s)
{
	switch (s) {
	case EVENT_CRITICAL:
		return "critical";
	case EVENT_WARNING:
		return "warning";
	default:
		return "info";
	}
}

int
event_type_is(const char *name, unsigned int flag)
{
	const struct event_type *t = event_type_find(name);

	return t != NULL && (t->flags & flag) != 0;
}

const char *
event_type_resolved_by(const char *name)
{
	const struct event_type *t = event_type_find(name);

	return t != NULL ? t->resolved_by : NULL;
}

int
event_types_sorted(void)
{
	size_t i;

	for (i = 1; i < EVENT_NTYPES; i++) {
		if (strcmp(event_types[i - 1].name, event_types[i].name) >= 0)
			return 0;
	}
	return 1;
}
