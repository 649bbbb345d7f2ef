/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether a master the manager cannot reach is dead: the replicas' view decides (both engines). */
#ifndef MHAADM_MASTER_VERDICT_H
#define MHAADM_MASTER_VERDICT_H

#include <stddef.h>

/* What one replica says about the master, from one or two reads of its replication state. */
struct master_observation {
	const char *node; /* "HOST:PORT", borrowed; for the reason */
	int reachable;    /* the replica answered (both reads, when sampled) */
	int from_master;  /* it replicates from this master (source host/port or server id) */
	int io_running;   /* Slave_IO_Running = Yes (on the last read) */
	/*
	 * Whether data arrived from the master between the two reads (read
	 * position, Gtid_IO_Pos or the heartbeat counter moved): 1 yes, 0 no,
	 * -1 cannot tell (one read only, or a heartbeat period longer than the
	 * sample, so silence proves nothing).
	 */
	int moved;
};

enum master_verdict {
	MASTER_DEAD,    /* no reachable replica still receives from it: fail over */
	MASTER_ALIVE,   /* a replica still receives from it: only the manager's path is cut */
	MASTER_UNKNOWN, /* no replica answered: the manager's own network is suspect */
};

const char *master_verdict_name(enum master_verdict v);

/*
 * The rule, one definition for every engine: a master the manager cannot
 * reach is dead only if no reachable replica still receives from it. A
 * replica receives when its IO thread runs against this master and data
 * moved (or cannot be proved not to have moved: moved = -1 counts as
 * receiving, since a false failover makes two writable masters while a
 * late one only costs time). With no replica answering at all the verdict
 * is UNKNOWN. Pure. *reason (newly allocated, may be NULL) names the
 * deciding replica or what was seen.
 */
enum master_verdict master_verdict_decide(
    const struct master_observation *obs, size_t n, char **reason);

#endif
