/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Blocking MySQL calls with short bounds, for the steps of a failover and
 * the start checks: they run in their own thread (a failover) or in the
 * CLI (start), never in the monitoring loop.
 */
#ifndef MHAADM_NATIVE_SYNC_H
#define MHAADM_NATIVE_SYNC_H

#include <mysql.h>

/*
 * Connects over TCP with timeout seconds for the connect and rw_timeout for
 * each read/write (0: timeout); NULL with *cause.
 */
MYSQL *native_sync_connect(const char *host, int port, const char *user, const char *password,
    int timeout, int rw_timeout, char **cause);

/* Runs one statement and discards any result; 0, or -1 with *cause (never holds the SQL). */
int native_sync_exec(MYSQL *m, const char *sql, char **cause);

/* Runs a query returning at most one row; *res and *row newly set (free *res). 1 when no row. */
int native_sync_row(MYSQL *m, const char *sql, MYSQL_RES **res, MYSQL_ROW *row, char **cause);

#endif
