/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Blocking MySQL helpers with short bounds, for failover steps and start checks. */
#include "native-sync.h"

#include <string.h>

#include "xmalloc.h"

MYSQL *
native_sync_connect(const char *host, int port, const char *user, const char *password, int timeout,
    int rw_timeout, char **cause)
{
	unsigned int t = timeout > 0 ? (unsigned int)timeout : 1, proto = MYSQL_PROTOCOL_TCP;
	unsigned int rw = rw_timeout > 0 ? (unsigned int)rw_timeout : t;
	MYSQL *m = mysql_init(NULL);

	if (m == NULL) {
		*cause = xstrdup("out of memory");
		return NULL;
	}
	/* An option not taken would mean no timeout: a dead host would hang the failover. */
	if (mysql_options(m, MYSQL_OPT_PROTOCOL, &proto) != 0 ||
	    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t) != 0 ||
	    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw) != 0 ||
	    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw) != 0) {
		*cause = xasprintf(
		    "cannot set connection options for %s:%d: %s", host, port, mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	if (mysql_real_connect(m, host, user, password, NULL, (unsigned int)port, NULL, 0) ==
	    NULL) {
		*cause = xasprintf("cannot connect to %s:%d: %s", host, port, mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

int
native_sync_exec(MYSQL *m, const char *sql, char **cause)
{
	MYSQL_RES *res;

	if (mysql_real_query(m, sql, (unsigned long)strlen(sql)) != 0) {
		*cause = xasprintf("%s", mysql_error(m));
		return -1;
	}
	res = mysql_store_result(m);
	if (res != NULL)
		mysql_free_result(res);
	return 0;
}

int
native_sync_row(MYSQL *m, const char *sql, MYSQL_RES **res, MYSQL_ROW *row, char **cause)
{
	*res = NULL;
	*row = NULL;
	if (mysql_real_query(m, sql, (unsigned long)strlen(sql)) != 0 ||
	    (*res = mysql_store_result(m)) == NULL) {
		*cause = xasprintf("%s", mysql_error(m));
		return -1;
	}
	*row = mysql_fetch_row(*res);
	return *row == NULL ? 1 : 0;
}
