/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A MySQL connection on libmariadb's non-blocking API: connect, query, canary, with deadlines. */
#include "native-conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

long long
native_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
native_conn_close(struct native_conn *c)
{
	if (c->res != NULL) {
		mysql_free_result(c->res);
		c->res = NULL;
	}
	if (c->mysql != NULL) {
		/*
		 * Shut the socket first: mysql_close then sends its QUIT into a
		 * dead socket and returns at once instead of waiting on a peer
		 * that may be cut off.
		 */
		if (c->state != NATIVE_CONN_CLOSED && mysql_get_socket(c->mysql) >= 0)
			shutdown(mysql_get_socket(c->mysql), SHUT_RDWR);
		mysql_close(c->mysql);
		c->mysql = NULL;
	}
	c->state = NATIVE_CONN_CLOSED;
	c->wait = 0;
}

void
native_conn_release(struct native_conn *c)
{
	if (c->mysql == NULL || c->state != NATIVE_CONN_IDLE || c->wait != 0) {
		native_conn_close(c);
		return;
	}
	if (c->res != NULL) {
		mysql_free_result(c->res);
		c->res = NULL;
	}
	/*
	 * An idle socket that just answered: mysql_close's QUIT (a few bytes)
	 * goes into an empty send buffer and never waits, and the server ends
	 * the session as a client that said goodbye (no Aborted_clients).
	 */
	mysql_close(c->mysql);
	c->mysql = NULL;
	c->state = NATIVE_CONN_CLOSED;
	c->wait = 0;
}

static void
native_conn_fail(struct native_conn *c, const char *what)
{
	unsigned int e = c->mysql != NULL ? mysql_errno(c->mysql) : 0;

	char errno_text[16];

	/* 2002/2003 ending in "(ECONNREFUSED)": nothing listens, but the host answered. */
	snprintf(errno_text, sizeof(errno_text), "(%d)", ECONNREFUSED);
	c->refused = c->mysql != NULL && (e == 2002 || e == 2003) &&
	             strstr(mysql_error(c->mysql), errno_text) != NULL;
	snprintf(c->error, sizeof(c->error), "%s: %s", what,
	    c->mysql != NULL && e != 0 ? mysql_error(c->mysql) : "failed");
	native_conn_close(c);
}

/*
 * A connection just established: the connection attributes libmariadb
 * sent in the handshake (_client_name, _pid, ...) are kept in a hash of
 * their own per connection until it is closed, and only a reconnect would
 * read them again (we never reconnect a handle: a new one is made). Freed
 * here: about 8 KB per connection less (3,000 connections at 1,000
 * clusters).
 */
static void
native_conn_established(struct native_conn *c)
{
	c->state = NATIVE_CONN_IDLE;
	mysql_options(c->mysql, MYSQL_OPT_CONNECT_ATTR_RESET, NULL);
}

/*
 * The first size of a connection's network buffer. libmariadb's default
 * is 8 KB per connection and the buffer grows by itself to the largest
 * packet (up to max_allowed_packet), so a small start costs nothing: the
 * probes' packets are a few hundred bytes, a SHOW ALL SLAVES STATUS row
 * about 2 KB. Measured with 3,000 connections (bench/fleet.py --monitored
 * 1000, docs/benchmarks.md): about 10 MB less RSS than the default.
 * libmariadb keeps this one value process-wide (it is read as a size_t):
 * the promotion threads' and the registry's connections start small too,
 * and the loop only ever stores the same value.
 */
#define NATIVE_CONN_NET_BUFFER 2048

void
native_conn_connect(struct native_conn *c, const char *host, int port, const char *user,
    const char *password, int timeout_ms)
{
	unsigned int secs = (unsigned int)(timeout_ms + 999) / 1000, proto = MYSQL_PROTOCOL_TCP;
	size_t net_buffer = NATIVE_CONN_NET_BUFFER;
	MYSQL *ret = NULL;
	int status;

	native_conn_close(c);
	c->error[0] = '\0';
	c->refused = 0;
	c->mysql = mysql_init(NULL);
	if (c->mysql == NULL) {
		snprintf(c->error, sizeof(c->error), "connect: out of memory");
		return;
	}
	mysql_options(c->mysql, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(c->mysql, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(c->mysql, MYSQL_OPT_NET_BUFFER_LENGTH, &net_buffer);
	/* The library's own bounds are whole seconds; our deadline is the real one. */
	mysql_options(c->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	mysql_options(c->mysql, MYSQL_OPT_READ_TIMEOUT, &secs);
	mysql_options(c->mysql, MYSQL_OPT_WRITE_TIMEOUT, &secs);
	c->state = NATIVE_CONN_CONNECTING;
	c->deadline_ms = native_now_ms() + timeout_ms;
	status = mysql_real_connect_start(
	    &ret, c->mysql, host, user, password, NULL, (unsigned int)port, NULL, 0);
	c->wait = status;
	if (status == 0) {
		if (ret == NULL)
			native_conn_fail(c, "connect");
		else
			native_conn_established(c);
		c->wait = -1; /* finished inside start: step reports it */
	}
}

int
native_conn_query(struct native_conn *c, const char *sql, int timeout_ms)
{
	int ret = 0, status;

	if (c->state != NATIVE_CONN_IDLE)
		return -1;
	if (c->res != NULL) {
		mysql_free_result(c->res);
		c->res = NULL;
	}
	c->state = NATIVE_CONN_QUERY;
	c->deadline_ms = native_now_ms() + timeout_ms;
	status = mysql_real_query_start(&ret, c->mysql, sql, (unsigned long)strlen(sql));
	c->wait = status == 0 ? -1 : status;
	if (status == 0 && ret != 0) {
		native_conn_fail(c, "query");
		c->wait = -1;
	}
	return 0;
}

int
native_conn_pollfd(const struct native_conn *c, struct pollfd *p)
{
	if (c->mysql == NULL || c->state == NATIVE_CONN_CLOSED || c->wait < 0)
		return 0;
	p->fd = mysql_get_socket(c->mysql);
	p->events = 0;
	p->revents = 0;
	if (p->fd < 0)
		return 0;
	if (c->state == NATIVE_CONN_IDLE) {
		p->events = POLLIN; /* the canary: nothing is due, so anything is an end */
		return 1;
	}
	if (c->wait & MYSQL_WAIT_READ)
		p->events |= POLLIN;
	if (c->wait & MYSQL_WAIT_WRITE)
		p->events |= POLLOUT;
	if (c->wait & MYSQL_WAIT_EXCEPT)
		p->events |= POLLPRI;
	return 1;
}

/* Starts reading the result of a finished query, or finishes when there is none. */
static enum native_conn_event
native_conn_after_query(struct native_conn *c)
{
	int status;

	if (mysql_field_count(c->mysql) == 0) {
		c->state = NATIVE_CONN_IDLE;
		c->wait = 0;
		return NATIVE_CONN_DONE;
	}
	c->state = NATIVE_CONN_STORE;
	status = mysql_store_result_start(&c->res, c->mysql);
	if (status != 0) {
		c->wait = status;
		return NATIVE_CONN_PENDING;
	}
	if (c->res == NULL) {
		native_conn_fail(c, "result");
		return NATIVE_CONN_FAILED;
	}
	c->state = NATIVE_CONN_IDLE;
	c->wait = 0;
	return NATIVE_CONN_DONE;
}

enum native_conn_event
native_conn_step(struct native_conn *c, short revents, long long now_ms)
{
	MYSQL *mret = NULL;
	int ready = 0, status, iret = 0;

	if (c->state == NATIVE_CONN_CLOSED) {
		if (c->wait == -1) {
			c->wait = 0;
			return NATIVE_CONN_FAILED; /* failed inside start */
		}
		return NATIVE_CONN_PENDING;
	}
	if (c->state == NATIVE_CONN_IDLE) {
		if (c->wait == -1) {
			c->wait = 0;
			return NATIVE_CONN_DONE; /* connected inside start */
		}
		if (revents != 0) {
			snprintf(c->error, sizeof(c->error), "connection closed by the server");
			native_conn_close(c);
			return NATIVE_CONN_EOF;
		}
		return NATIVE_CONN_PENDING;
	}
	if (c->state == NATIVE_CONN_QUERY && c->wait == -1)
		return native_conn_after_query(c);
	if (revents & (POLLIN | POLLHUP | POLLERR))
		ready |= MYSQL_WAIT_READ;
	if (revents & (POLLOUT | POLLHUP | POLLERR))
		ready |= MYSQL_WAIT_WRITE;
	if (revents & POLLPRI)
		ready |= MYSQL_WAIT_EXCEPT;
	ready &= c->wait;
	if (ready == 0) {
		if (now_ms < c->deadline_ms)
			return NATIVE_CONN_PENDING;
		snprintf(c->error, sizeof(c->error), "%s: no answer within the deadline",
		    c->state == NATIVE_CONN_CONNECTING ? "connect" : "query");
		c->refused = 0;
		native_conn_close(c);
		return NATIVE_CONN_FAILED;
	}
	switch (c->state) {
	case NATIVE_CONN_CONNECTING:
		status = mysql_real_connect_cont(&mret, c->mysql, ready);
		if (status != 0) {
			c->wait = status;
			return NATIVE_CONN_PENDING;
		}
		if (mret == NULL) {
			native_conn_fail(c, "connect");
			return NATIVE_CONN_FAILED;
		}
		native_conn_established(c);
		c->wait = 0;
		return NATIVE_CONN_DONE;
	case NATIVE_CONN_QUERY:
		status = mysql_real_query_cont(&iret, c->mysql, ready);
		if (status != 0) {
			c->wait = status;
			return NATIVE_CONN_PENDING;
		}
		if (iret != 0) {
			native_conn_fail(c, "query");
			return NATIVE_CONN_FAILED;
		}
		return native_conn_after_query(c);
	case NATIVE_CONN_STORE:
		status = mysql_store_result_cont(&c->res, c->mysql, ready);
		if (status != 0) {
			c->wait = status;
			return NATIVE_CONN_PENDING;
		}
		if (c->res == NULL) {
			native_conn_fail(c, "result");
			return NATIVE_CONN_FAILED;
		}
		c->state = NATIVE_CONN_IDLE;
		c->wait = 0;
		return NATIVE_CONN_DONE;
	default:
		return NATIVE_CONN_PENDING;
	}
}

const char *
native_conn_field(MYSQL_RES *res, MYSQL_ROW row, const char *name)
{
	MYSQL_FIELD *f;
	unsigned int i, n;

	if (res == NULL || row == NULL)
		return NULL;
	f = mysql_fetch_fields(res);
	n = mysql_num_fields(res);
	for (i = 0; i < n; i++) {
		if (strcasecmp(f[i].name, name) == 0)
			return row[i];
	}
	return NULL;
}
