/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asking a master's replicas, over MySQL, whether they still receive from it (both engines). */
#ifndef MHAADM_MASTER_CHECK_H
#define MHAADM_MASTER_CHECK_H

#include <stddef.h>

#include "master_verdict.h"
#include "probe.h"

/* A replica to ask. */
struct master_check_node {
	const char *host;
	int port;
};

/*
 * Reads the replication state of the n replicas in parallel, twice,
 * sample_ms apart (skipped when no IO thread runs against the master:
 * a killed master's replicas have all lost it already), and applies
 * master_verdict_decide. master_host / master_ip / master_port name the
 * master as the replicas' Master_Host may (either matches). Every read is
 * bounded by the credentials' timeouts, all replicas at once: the call
 * takes at most connect + 2 reads + sample_ms. *reason newly allocated.
 */
enum master_verdict master_check_replicas(const struct master_check_node *nodes, size_t n,
    const char *master_host, const char *master_ip, int master_port,
    const struct probe_credentials *cred, int sample_ms, char **reason);

#endif
