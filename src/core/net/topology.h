/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Works out a cluster's master and replicas from probe results; pure logic, no I/O. */
#ifndef MHAADM_TOPOLOGY_H
#define MHAADM_TOPOLOGY_H

#include <stddef.h>

#include "probe.h"

/*
 * Decides which of the n probed nodes is the master. Accepted is exactly one
 * writable (read_only=0) node that is not a replica and has log_bin on, and
 * every other node a read_only replica whose IO and SQL threads run and whose
 * master is that node (Master_Server_Id, else Master_Host:Master_Port
 * compared by address). When want_master is not NULL ("HOST:PORT" as stored)
 * the master found must be that node.
 *
 * Returns 0 and sets *master_idx, or -1 with *cause naming every node that
 * is wrong and why (newly allocated; caller frees).
 */
int topology_resolve(const struct probe_result *nodes, size_t n, const char *want_master,
    size_t *master_idx, char **cause);

/*
 * True when the replica's Master_Host:Master_Port / Master_Server_Id point at
 * the master. Host names are compared by their resolved addresses.
 */
int topology_points_at(const struct probe_result *replica, const struct probe_result *master);

#endif
