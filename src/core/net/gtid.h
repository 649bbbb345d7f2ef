/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MariaDB GTID lists (gtid_binlog_state) and errant transactions: a replica's GTIDs its master
 * never had. */
#ifndef MHAADM_GTID_H
#define MHAADM_GTID_H

#include <stddef.h>

/* One GTID DOMAIN-SERVER-SEQ. */
struct gtid {
	unsigned long domain;
	unsigned long server_id;
	unsigned long long seq;
};

/*
 * Parses a comma-separated GTID list ("0-1-100,1-2-5"; blanks around
 * commas allowed; "" or NULL is the empty list). Returns 0 with *out
 * (newly allocated, may be NULL when *n is 0), or -1 with *cause.
 */
int gtid_parse(const char *s, struct gtid **out, size_t *n, char **cause);

/*
 * Compares a replica's gtid_binlog_state with its master's: a (domain,
 * server_id) the master never logged, or a higher sequence number than the
 * master's for one it did, is an errant transaction (the replica wrote it
 * itself, or got it from elsewhere). Returns 1 with *errant (newly
 * allocated, e.g. "0-3-3, 0-1-9 (master at 0-1-7)"), 0 when the replica
 * holds nothing the master lacks, -1 with *cause when a list is malformed.
 * Pure.
 */
int gtid_errant(const char *replica_state, const char *master_state, char **errant, char **cause);

/*
 * gtid_errant for states read at different moments (a replica read after
 * its master, or a master read before it died): the GTIDs with the master's
 * own server_id are left out, since the replica may have received newer
 * ones from the master after the master's state was read, and they came
 * from the master. A transaction the replica wrote itself carries another
 * server_id and is still errant. master_server_id 0 leaves nothing out.
 * Pure.
 */
int gtid_errant_live(const char *replica_state, const char *master_state,
    unsigned long master_server_id, char **errant, char **cause);

#endif
