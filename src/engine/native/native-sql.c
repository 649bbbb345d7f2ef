/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The native engine's SQL, one row per statement and one column per flavour. */
#include "native-sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * MariaDB 10.11. MySQL is left empty on purpose: its statements (SHOW
 * REPLICA STATUS, CHANGE REPLICATION SOURCE TO ... SOURCE_AUTO_POSITION=1,
 * RESET REPLICA ALL, WAIT_FOR_EXECUTED_GTID_SET, super_read_only) go here
 * once a MySQL server can be tested; until then start refuses MySQL.
 */
static const char *const native_sql_table[NATIVE_SQL_COUNT][2] = {
    /*
     * The master's GTID state rides on the probe: the errant check needs it
     * after a death; so does its binlog's place, for the salvage.
     */
    [NATIVE_SQL_PING] = {"SELECT @@global.gtid_binlog_state, @@server_id, "
                         "@@global.log_bin_basename",
        NULL},
    [NATIVE_SQL_BINLOG_STATE] = {"SELECT @@global.gtid_binlog_state", NULL},
    [NATIVE_SQL_BINLOG_POS] = {"SELECT @@global.gtid_binlog_pos, @@global.read_only", NULL},
    /* ALL: only this form has Slave_received_heartbeats and Slave_heartbeat_period. */
    [NATIVE_SQL_REPLICA_STATUS] = {"SHOW ALL SLAVES STATUS", NULL},
    [NATIVE_SQL_VARIABLES] = {"SELECT @@version, @@log_bin, @@log_slave_updates, "
                              "@@read_only, @@gtid_strict_mode, @@slave_net_timeout, "
                              "@@server_id",
        NULL},
    [NATIVE_SQL_STOP_REPLICA] = {"STOP SLAVE", NULL},
    [NATIVE_SQL_START_REPLICA] = {"START SLAVE", NULL},
    [NATIVE_SQL_RESET_REPLICA_ALL] = {"RESET SLAVE ALL", NULL},
    [NATIVE_SQL_READ_ONLY_ON] = {"SET GLOBAL read_only = 1", NULL},
    [NATIVE_SQL_READ_ONLY_OFF] = {"SET GLOBAL read_only = 0", NULL},
    [NATIVE_SQL_GTID_WAIT] = {"SELECT MASTER_GTID_WAIT('%s', %d)", NULL},
    [NATIVE_SQL_CHANGE_SOURCE] = {"CHANGE MASTER TO MASTER_HOST = '%s', MASTER_PORT = %d, "
                                  "MASTER_USER = '%s', MASTER_PASSWORD = '%s', "
                                  "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, "
                                  "MASTER_HEARTBEAT_PERIOD = 0.5",
        NULL},
    [NATIVE_SQL_FAST_DETECT] = {"CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = %.3f, "
                                "MASTER_CONNECT_RETRY = 1",
        NULL},
    [NATIVE_SQL_NET_TIMEOUT] = {"SET GLOBAL slave_net_timeout = %d", NULL},
    [NATIVE_SQL_GTID_SLAVE_POS] = {"SELECT @@global.gtid_slave_pos", NULL},
    /* The master's GTID position at a file/offset: where a file/position replica is. */
    [NATIVE_SQL_BINLOG_GTID_POS] = {"SELECT BINLOG_GTID_POS('%s', %lld)", NULL},
    [NATIVE_SQL_USE_GTID] = {"CHANGE MASTER TO MASTER_USE_GTID = slave_pos", NULL},
};

const char *
native_sql(enum native_flavour f, enum native_stmt s)
{
	if ((int)s < 0 || s >= NATIVE_SQL_COUNT || ((int)f != 0 && (int)f != 1))
		return NULL;
	return native_sql_table[s][f];
}

enum native_flavour
native_sql_flavour(const char *version)
{
	return version != NULL && strstr(version, "MariaDB") != NULL ? NATIVE_FLAVOUR_MARIADB
	                                                             : NATIVE_FLAVOUR_MYSQL;
}

/* The formats come from the table above, never from outside: the warning is silenced here only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int
native_sql_format(char *buf, size_t len, enum native_flavour f, enum native_stmt s, ...)
{
	const char *fmt = native_sql(f, s);
	va_list ap;
	int n;

	if (fmt == NULL)
		return -1;
	va_start(ap, s);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
#pragma GCC diagnostic pop
