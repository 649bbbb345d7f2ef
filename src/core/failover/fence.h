/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fencing failed former masters that come back: the VIP and writes taken away from them. */
#ifndef MHAADM_FENCE_H
#define MHAADM_FENCE_H

struct config;
struct registry;
struct registry_cluster;

/* Seconds each contact with a failed node may take: usually it is unreachable, the quiet case. */
#define FENCE_TIMEOUT 1

/*
 * One fence pass over the cluster's failed nodes: removes the VIP from
 * every one that holds it and sets read_only on every one that is
 * writable, each an event (fence.vip_removed, fence.read_only,
 * fence.read_only_failed). An unreachable node is normal and stays quiet.
 * Returns the number of failed nodes visited.
 */
int fence_cluster(const struct config *cfg, struct registry *reg, const struct registry_cluster *c);

#endif
