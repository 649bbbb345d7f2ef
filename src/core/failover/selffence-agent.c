/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The self-fence agent's loop on the master host: every interval it asks
 * whether the manager and the replicas still answer (a TCP connect to each,
 * in parallel: connected or refused = that host answered), and once neither
 * did for self_fence_seconds it demotes the local server by itself: the VIP
 * off its interface, client sessions killed, read_only (and
 * super_read_only where the server has it) set. It never sets read_only
 * back: the manager's fence pass decides what a returning master is.
 */
#include <errno.h>
#include <mysql.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "selffence.h"
#include "spawn.h"
#include "vip.h"
#include "xmalloc.h"

/* Seconds the local server may take to connect, and to answer one statement. */
#define SELFFENCE_LOCAL_CONNECT 2
#define SELFFENCE_LOCAL_READ 5

/* MariaDB's "Unknown system variable": super_read_only is MySQL's. */
#define SELFFENCE_ER_UNKNOWN_SYSTEM_VARIABLE 1193
/* "Unknown thread id": a session that ended before KILL reached it. */
#define SELFFENCE_ER_NO_SUCH_THREAD 1094

/* One resolved peer: resolved once at start, so that a round never waits for DNS. */
struct selffence_addr {
	const char *what; /* "manager" or "replica" */
	const char *name; /* HOST (borrowed from the config) */
	int port;
	struct sockaddr_storage sa;
	socklen_t salen;
	int ok; /* resolved */
};

/* A log line on stderr (the agent's log file): time, level, cluster=, never a secret. */
static void selffence_log(const struct selffence_config *sc, const char *level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
selffence_log(const struct selffence_config *sc, const char *level, const char *fmt, ...)
{
	char stamp[32], msg[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ mhaadm self-fence: %s: cluster=%s node=%s %s\n", stamp,
	    ts.tv_nsec / 1000000, level, sc->cluster, sc->node, msg);
	fflush(stderr);
}

static double
selffence_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
selffence_resolve(const struct selffence_config *sc, struct selffence_addr *a)
{
	struct addrinfo hints = {0}, *res = NULL;
	char port[16];
	int r;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", a->port);
	if ((r = getaddrinfo(a->name, port, &hints, &res)) != 0 || res == NULL) {
		selffence_log(sc, "warning", "%s %s cannot be resolved (%s): it counts as lost",
		    a->what, a->name, gai_strerror(r));
		return;
	}
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->salen = res->ai_addrlen;
	a->ok = 1;
	freeaddrinfo(res);
}

/*
 * Connects to every address at once, waiting at most timeout_ms in all;
 * answered[i] = 1 when addrs[i] accepted or refused the connection (its
 * host is reachable), 0 on a timeout or a network error (unreachable).
 */
static void
selffence_probe(struct selffence_addr *addrs, size_t n, int timeout_ms, int *answered)
{
	struct pollfd pfd[SELFFENCE_MAX_PEERS + 1];
	double deadline = selffence_now() + timeout_ms / 1000.0, left;
	size_t i, pending = 0;
	socklen_t len;
	int fd, err;

	for (i = 0; i < n; i++) {
		answered[i] = 0;
		pfd[i].fd = -1;
		pfd[i].events = POLLOUT;
		pfd[i].revents = 0;
		if (!addrs[i].ok)
			continue;
		fd = socket(addrs[i].sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&addrs[i].sa, addrs[i].salen) == 0 ||
		    errno == ECONNREFUSED) {
			answered[i] = 1;
			close(fd);
		} else if (errno == EINPROGRESS) {
			pfd[i].fd = fd;
			pending++;
		} else
			close(fd); /* ENETUNREACH, EHOSTUNREACH: the link is gone */
	}
	while (pending > 0 && (left = deadline - selffence_now()) > 0) {
		if (poll(pfd, n, (int)(left * 1000) + 1) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			err = 0;
			len = sizeof(err);
			getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
			answered[i] = err == 0 || err == ECONNREFUSED;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			pending--;
		}
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	}
}

/* Connects to the local server: its unix socket first, then its own TCP address. */
static MYSQL *
selffence_local_connect(const struct selffence_config *sc, const char **how, char **cause)
{
	unsigned int ct = SELFFENCE_LOCAL_CONNECT, rt = SELFFENCE_LOCAL_READ;
	unsigned int proto;
	const char *pw = sc->password != NULL ? sc->password : "";
	MYSQL *m;
	int pass;

	for (pass = sc->socket != NULL ? 0 : 1; pass < 2; pass++) {
		if ((m = mysql_init(NULL)) == NULL) {
			*cause = xstrdup("the MySQL client library failed to initialise");
			return NULL;
		}
		proto = pass == 0 ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
		/* Without its timeouts the agent could hang on its own server and never fence. */
		if (mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto) != 0 ||
		    mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct) != 0 ||
		    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rt) != 0 ||
		    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &rt) != 0) {
			*cause = xasprintf("cannot set connection options: %s", mysql_error(m));
			mysql_close(m);
			return NULL;
		}
		if (mysql_real_connect(m, pass == 0 ? "localhost" : sc->host, sc->user, pw, NULL,
		        pass == 0 ? 0 : (unsigned int)sc->port, pass == 0 ? sc->socket : NULL,
		        0) != NULL) {
			*how = pass == 0 ? "unix socket" : "TCP to its own address";
			return m;
		}
		free(*cause);
		*cause = xasprintf("cannot connect to the local server (%s): %s",
		    pass == 0 ? sc->socket : sc->node, mysql_error(m));
		mysql_close(m);
	}
	return NULL;
}

int
selffence_agent_check(const struct selffence_config *sc, const char **how, char **cause)
{
	MYSQL *m;

	*cause = NULL;
	if ((m = selffence_local_connect(sc, how, cause)) == NULL)
		return -1;
	free(*cause);
	*cause = NULL;
	mysql_close(m);
	return 0;
}

/*
 * Kills every client session but our own, the server's own threads and the
 * replicas' dump threads (probe_kill_clients's rule, over the local
 * connection). Returns the number killed, or -1 with *cause.
 */
static long
selffence_kill(MYSQL *m, char **cause)
{
	static const char query[] =
	    "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
	    "USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user', '') AND "
	    "COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Killed')";
	MYSQL_RES *res;
	MYSQL_ROW row;
	char stmt[64];
	long killed = 0;

	if (mysql_query(m, query) != 0 || (res = mysql_store_result(m)) == NULL) {
		*cause = xasprintf("cannot list client sessions: %s", mysql_error(m));
		return -1;
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || strspn(row[0], "0123456789") != strlen(row[0]))
			continue;
		snprintf(stmt, sizeof(stmt), "KILL CONNECTION %s", row[0]);
		if (mysql_query(m, stmt) == 0)
			killed++;
		else if (mysql_errno(m) != SELFFENCE_ER_NO_SUCH_THREAD) {
			*cause = xasprintf("%s failed: %s", stmt, mysql_error(m));
			mysql_free_result(res);
			return -1;
		}
	}
	mysql_free_result(res);
	return killed;
}

/* Sessions, read_only, super_read_only, sessions again. Returns 0, or -1 (logged). */
static int
selffence_demote(const struct selffence_config *sc, MYSQL **conn)
{
	const char *how = NULL;
	char *cause = NULL;
	long k1, k2;

	if (*conn != NULL && mysql_ping(*conn) != 0) {
		mysql_close(*conn);
		*conn = NULL;
	}
	if (*conn == NULL && (*conn = selffence_local_connect(sc, &how, &cause)) == NULL)
		goto fail;
	free(cause);
	cause = NULL;
	/* Sessions first: SET GLOBAL read_only waits for the commits in progress. */
	if ((k1 = selffence_kill(*conn, &cause)) < 0)
		goto fail;
	if (mysql_query(*conn, "SET GLOBAL read_only = 1") != 0) {
		cause = xasprintf("SET GLOBAL read_only = 1 failed: %s", mysql_error(*conn));
		goto fail;
	}
	if (mysql_query(*conn, "SET GLOBAL super_read_only = 1") != 0 &&
	    mysql_errno(*conn) != SELFFENCE_ER_UNKNOWN_SYSTEM_VARIABLE) {
		cause = xasprintf("SET GLOBAL super_read_only = 1 failed: %s", mysql_error(*conn));
		goto fail;
	}
	/* Then the sessions that connected meanwhile. */
	if ((k2 = selffence_kill(*conn, &cause)) < 0)
		goto fail;
	selffence_log(sc, "notice", "set read_only=1 and killed %ld client session%s", k1 + k2,
	    k1 + k2 == 1 ? "" : "s");
	return 0;
fail:
	selffence_log(sc, "error", "could not demote the local server (retrying): %s", cause);
	free(cause);
	if (*conn != NULL) {
		mysql_close(*conn);
		*conn = NULL;
	}
	return -1;
}

/* Removes the VIP from the local interface (absent is fine). Returns 0, or -1 (logged). */
static int
selffence_vip_off(const struct selffence_config *sc)
{
	const char *const show[] = {"ip", "-o", "-4", "addr", "show", "dev", sc->iface, NULL};
	char addr[64], *out = NULL, *cause = NULL;
	const char *del[8];
	int status, rc = -1;

	if (sc->vip == NULL)
		return 0;
	if (spawn_run(show, NULL, 5, &out, &status, &cause) != 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		selffence_log(sc, "error", "cannot list the addresses of %s: %s", sc->iface,
		    cause != NULL ? cause : (out != NULL ? out : "ip failed"));
		goto out;
	}
	if (!vip_addrs_have(out, sc->vip)) {
		rc = 0;
		goto out;
	}
	free(out);
	out = NULL;
	snprintf(addr, sizeof(addr), "%s/%d", sc->vip, sc->vip_prefix);
	del[0] = "ip";
	del[1] = "addr";
	del[2] = "del";
	del[3] = addr;
	del[4] = "dev";
	del[5] = sc->iface;
	del[6] = NULL;
	if (spawn_run(del, NULL, 5, &out, &status, &cause) != 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		selffence_log(sc, "error", "cannot remove VIP %s from %s: %s", addr, sc->iface,
		    cause != NULL ? cause : (out != NULL ? out : "ip failed"));
		goto out;
	}
	selffence_log(sc, "notice", "removed VIP %s from %s", addr, sc->iface);
	rc = 0;
out:
	free(out);
	free(cause);
	return rc;
}

int
selffence_agent_run(const struct selffence_config *sc)
{
	struct selffence_addr addrs[SELFFENCE_MAX_PEERS + 1];
	int answered[SELFFENCE_MAX_PEERS + 1], manager_ok, was_manager = 1, vip_ok, db_ok;
	size_t i, n = 0, replicas_ok, was_replicas = sc->n_replicas;
	struct selffence_state st;
	struct timespec wait;
	enum selffence_action act, was = SELFFENCE_WATCH;
	MYSQL *conn = NULL;
	sigset_t stop;
	double now;
	int sig;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(addrs, 0, sizeof(addrs));
	addrs[n].what = "manager";
	addrs[n].name = sc->manager.host;
	addrs[n++].port = sc->manager.port;
	for (i = 0; i < sc->n_replicas && n < SELFFENCE_MAX_PEERS + 1; i++) {
		addrs[n].what = "replica";
		addrs[n].name = sc->replicas[i].host;
		addrs[n++].port = sc->replicas[i].port;
	}
	for (i = 0; i < n; i++)
		selffence_resolve(sc, &addrs[i]);
	selffence_log(sc, "info",
	    "watching manager %s:%d and %zu replica%s every %d ms; fences after %d s without "
	    "any of them",
	    sc->manager.host, sc->manager.port, sc->n_replicas, sc->n_replicas == 1 ? "" : "s",
	    sc->interval_ms, sc->seconds);

	selffence_state_init(&st, selffence_now());
	for (;;) {
		now = selffence_now();
		selffence_probe(addrs, n, sc->interval_ms, answered);
		manager_ok = answered[0];
		for (replicas_ok = 0, i = 1; i < n; i++)
			replicas_ok += answered[i] ? 1 : 0;
		if (manager_ok != was_manager || replicas_ok != was_replicas)
			selffence_log(sc, "info", "manager %s, %zu of %zu replica%s answer",
			    manager_ok ? "answers" : "lost", replicas_ok, sc->n_replicas,
			    sc->n_replicas == 1 ? "" : "s");
		was_manager = manager_ok;
		was_replicas = replicas_ok;
		act = selffence_decide(&st, selffence_now(), manager_ok, replicas_ok, sc->seconds);
		if (act == SELFFENCE_FENCE) {
			if (was != SELFFENCE_FENCE)
				selffence_log(sc, "notice",
				    "lost the manager and every replica for %.1f s (limit %d s): "
				    "fencing this server",
				    selffence_now() - st.lost_since, sc->seconds);
			/* The VIP first: new clients stop arriving while sessions are killed. */
			vip_ok = selffence_vip_off(sc) == 0;
			db_ok = selffence_demote(sc, &conn) == 0;
			if (vip_ok && db_ok) {
				selffence_mark_fenced(&st);
				selffence_log(sc, "notice",
				    "fenced: read-only, VIP off; it stays so until the manager "
				    "has looked at it (the agent never sets read_only=0)");
			}
		}
		was = act;
		/* The rest of the interval, waiting for a stop signal instead of sleeping. */
		now = selffence_now() - now;
		if (now < sc->interval_ms / 1000.0) {
			now = sc->interval_ms / 1000.0 - now;
			wait.tv_sec = (time_t)now;
			wait.tv_nsec = (long)((now - (double)wait.tv_sec) * 1e9);
			sig = sigtimedwait(&stop, NULL, &wait);
		} else {
			wait.tv_sec = 0;
			wait.tv_nsec = 0;
			sig = sigtimedwait(&stop, NULL, &wait);
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	selffence_log(sc, "info", "stopped (%s)", st.fenced ? "fenced" : "not fenced");
	if (conn != NULL)
		mysql_close(conn);
	return 0;
}
