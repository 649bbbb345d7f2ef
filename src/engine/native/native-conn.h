/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One MySQL connection driven by libmariadb's non-blocking API, so that a
 * single poll() loop can keep hundreds of them busy with millisecond
 * deadlines: connect, one query (with its result), and an idle state in
 * which any readable byte means the server went away (the canary).
 */
#ifndef MHAADM_NATIVE_CONN_H
#define MHAADM_NATIVE_CONN_H

#include <mysql.h>
#include <poll.h>

enum native_conn_state {
	NATIVE_CONN_CLOSED,
	NATIVE_CONN_CONNECTING,
	NATIVE_CONN_IDLE,  /* connected, nothing pending: a readable socket is an EOF */
	NATIVE_CONN_QUERY, /* query sent, waiting for the answer */
	NATIVE_CONN_STORE, /* reading the result set */
};

/* What native_conn_step saw. */
enum native_conn_event {
	NATIVE_CONN_PENDING, /* nothing finished */
	NATIVE_CONN_DONE,    /* the connect or query finished well (result in ->res, may be NULL) */
	NATIVE_CONN_FAILED, /* it failed or timed out; the connection is closed, ->error says why */
	NATIVE_CONN_EOF,    /* the idle connection was closed by the server (or the link) */
};

struct native_conn {
	MYSQL *mysql;
	enum native_conn_state state;
	int wait;              /* MYSQL_WAIT_* bits of the pending call */
	long long deadline_ms; /* monotonic ms at which the pending call fails */
	MYSQL_RES *res;        /* result of the last finished query; the caller frees it */
	int refused;           /* the last failure was a refused connection (host up, no server) */
	char error[256];
};

/* Monotonic clock in milliseconds. */
long long native_now_ms(void);

/* Starts connecting (closes any previous connection). Failing at once is reported by step. */
void native_conn_connect(struct native_conn *c, const char *host, int port, const char *user,
    const char *password, int timeout_ms);

/* Starts a query on an idle connection; 0, or -1 when not idle (nothing started). */
int native_conn_query(struct native_conn *c, const char *sql, int timeout_ms);

/* Fills *p for poll(); returns 0 when the connection needs no fd watched. */
int native_conn_pollfd(const struct native_conn *c, struct pollfd *p);

/* Continues with the revents poll() gave (0 for none) at now_ms. */
enum native_conn_event native_conn_step(struct native_conn *c, short revents, long long now_ms);

/* Closes at once (never waits on the peer); frees any result. */
void native_conn_close(struct native_conn *c);

/*
 * Ends an idle connection the way a client leaves (QUIT, then close), for
 * a connection made for one sample; anything not idle is closed as by
 * native_conn_close.
 */
void native_conn_release(struct native_conn *c);

/* The value of column name in row of res, or NULL. */
const char *native_conn_field(MYSQL_RES *res, MYSQL_ROW row, const char *name);

#endif
