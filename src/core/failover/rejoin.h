/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bringing a failed former master back as a replica of the current master, when its GTIDs allow. */
#ifndef MHAADM_REJOIN_H
#define MHAADM_REJOIN_H

struct config;
struct registry;

/* Seconds a rejoin waits for the IO and SQL threads to run after START SLAVE. */
#define REJOIN_THREAD_WAIT 15

/* What the decision needs, as read from the registry and the two servers. */
struct rejoin_facts {
	const char *node;         /* "HOST:PORT" of the former master, for messages */
	const char *master;       /* "HOST:PORT" of the current master, NULL when none */
	int role;                 /* the node's enum registry_role */
	int failing_over;         /* the cluster's state is failing_over */
	int node_answers;         /* the node's probe succeeded */
	const char *node_error;   /* why not, when !node_answers */
	int master_answers;       /* the master's probe succeeded */
	const char *master_error; /* why not, when !master_answers */
	int holds_vip;            /* the node has the VIP: 1, 0, -1 unknown */
	const char *vip_error;    /* why unknown */
	const char *node_gtid;    /* the node's @@gtid_binlog_state, NULL unknown (MySQL) */
	const char *master_gtid;  /* the master's @@gtid_binlog_state, NULL unknown */
};

enum rejoin_verdict {
	REJOIN_GO,      /* everything it has, the master has too: it may replicate from it */
	REJOIN_REFUSED, /* not now (or not this node): *why says what is wrong */
	REJOIN_ERRANT,  /* it holds transactions the master lacks: *why, *extra names them */
};

/*
 * The decision, pure: refused for a node that is not a failed former
 * master, while failing over, when either server does not answer, while
 * the node may hold the VIP, when a GTID state is unknown; errant when the
 * node's gtid_binlog_state holds a GTID (per domain and server_id) the
 * master's lacks (gtid_errant). *why (not for REJOIN_GO) and *extra (for
 * REJOIN_ERRANT: "0-1-9 (master at 0-1-7), ...") newly allocated.
 */
enum rejoin_verdict rejoin_decide(const struct rejoin_facts *f, char **why, char **extra);

/*
 * Rejoins host:port of the cluster: reads both servers and decides
 * (rejoin_decide); then on the node read_only=1 (and decides again on what
 * it holds now), STOP SLAVE, CHANGE MASTER TO the current master with the
 * config's replication account and MASTER_USE_GTID=current_pos, START
 * SLAVE; once both threads run (REJOIN_THREAD_WAIT), the registry node
 * becomes a replica with event replica.rejoined. *master gets the master's
 * "HOST:PORT" (newly allocated) whenever one is known.
 * Returns 0 rejoined; 1 refused (*why, and *extra for errant GTIDs):
 * nothing was changed, no event; -1 failed on the way (*why): the node is
 * left read-only with replication stopped, the registry unchanged, no
 * event (the caller reports it).
 */
int rejoin_node(const struct config *cfg, struct registry *reg, const char *cluster,
    const char *host, int port, char **master, char **why, char **extra);

#endif
