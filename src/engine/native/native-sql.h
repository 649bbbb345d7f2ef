/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every SQL statement the native engine sends, per server flavour, in one
 * table: adding MySQL 8.x is one more column of statements, not a search
 * through the engine.
 */
#ifndef MHAADM_NATIVE_SQL_H
#define MHAADM_NATIVE_SQL_H

#include <stddef.h>

enum native_flavour {
	NATIVE_FLAVOUR_MARIADB, /* MariaDB 10.x/11.x: the flavour tested here */
	NATIVE_FLAVOUR_MYSQL,   /* MySQL: no statements yet; start refuses it */
};

enum native_stmt {
	NATIVE_SQL_PING,           /* cheap round trip of the master probe: GTID state, server id */
	NATIVE_SQL_BINLOG_STATE,   /* @@gtid_binlog_state of a candidate */
	NATIVE_SQL_BINLOG_POS,     /* @@gtid_binlog_pos (last GTID per domain), @@read_only */
	NATIVE_SQL_REPLICA_STATUS, /* one row per replication source */
	NATIVE_SQL_VARIABLES,      /* @@version, @@log_bin, @@log_slave_updates, @@read_only, ... */
	NATIVE_SQL_STOP_REPLICA,
	NATIVE_SQL_START_REPLICA,
	NATIVE_SQL_RESET_REPLICA_ALL,
	NATIVE_SQL_READ_ONLY_ON,
	NATIVE_SQL_READ_ONLY_OFF,
	NATIVE_SQL_GTID_WAIT,       /* printf format: %s = GTID position, %d = seconds */
	NATIVE_SQL_CHANGE_SOURCE,   /* printf format: host, port, user, password (escaped) */
	NATIVE_SQL_FAST_DETECT,     /* printf format: heartbeat period in ms / 1000.0 (%.3f) */
	NATIVE_SQL_NET_TIMEOUT,     /* printf format: %d seconds */
	NATIVE_SQL_GTID_SLAVE_POS,  /* @@gtid_slave_pos of a replica */
	NATIVE_SQL_BINLOG_GTID_POS, /* printf format: %s binlog file (checked), %lld offset */
	NATIVE_SQL_USE_GTID,        /* a stopped file/position replica to GTID */
	NATIVE_SQL_COUNT,
};

/* The statement for flavour, or NULL when that flavour has none (untested). */
const char *native_sql(enum native_flavour f, enum native_stmt s);

/*
 * Formats statement s of flavour f with the arguments its comment names
 * into buf; strings must already be escaped. Returns 0, or -1 when the
 * flavour has no such statement or it does not fit.
 */
int native_sql_format(char *buf, size_t len, enum native_flavour f, enum native_stmt s, ...);

/* The flavour of a server from its @@version text. */
enum native_flavour native_sql_flavour(const char *version);

#endif
