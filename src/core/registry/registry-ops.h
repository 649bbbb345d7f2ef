/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the registry-ops-*.c files share: the registry's domain operations,
 * written once over db.h for both backends, split by concern.
 *
 *   registry-ops-init.c     schema version, init and upgrade
 *   registry-ops-cluster.c  add, update, delete clusters and their nodes; conflicts
 *   registry-ops-load.c     reading clusters with their nodes
 *   registry-ops-state.c    state changes: plain, compare-and-set, new master
 *   registry-ops-event.c    recording and reading events
 */
#ifndef MHAADM_REGISTRY_OPS_H
#define MHAADM_REGISTRY_OPS_H

#include "db.h"
#include "registry.h"

/* Appends ev; its cluster defaults to cluster. NULL ev writes nothing. 0 or -1. */
int registry_ops_event_insert(
    struct db *db, const struct registry_event *ev, const char *cluster, char **cause);

/*
 * Opens a write transaction and finds the cluster called name in it: 0 with
 * *id set and the transaction open, 1 when there is none (rolled back, no
 * cause), -1 (rolled back).
 */
int registry_ops_begin_cluster(struct db *db, const char *name, long long *id, char **cause);

/*
 * Ends a write of cluster name begun with db_begin: when r is 0, adds ev (its
 * cluster defaulting to name) and commits; otherwise, or when that fails,
 * rolls back. 0 or -1.
 */
int registry_ops_finish(
    struct db *db, int r, const struct registry_event *ev, const char *name, char **cause);

#endif
