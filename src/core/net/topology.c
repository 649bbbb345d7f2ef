/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Works out a cluster's master and replicas from probe results; pure logic, no I/O. */
#include "topology.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "xmalloc.h"

/* "No such node" for node indexes. */
#define TOPOLOGY_NONE SIZE_MAX

/* The problems found so far, each one user-facing sentence without a final full stop. */
struct topology_problems {
	char **v;
	size_t n;
};

static char *topology_vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void topology_append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void topology_problem(struct topology_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Returns a newly allocated formatted string; aborts on out-of-memory like
 * the x-wrappers (xmalloc.h has no va_list variant to call).
 */
static char *
topology_vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("mhaadm: out of memory\n", stderr);
		abort();
	}
	return s;
}

/* Appends formatted text to *s, which is NULL or newly allocated and is reallocated. */
static void
topology_append(char **s, const char *fmt, ...)
{
	va_list ap;
	char *tail, *joined;

	va_start(ap, fmt);
	tail = topology_vformat(fmt, ap);
	va_end(ap);
	joined = xasprintf("%s%s", *s != NULL ? *s : "", tail);
	free(tail);
	free(*s);
	*s = joined;
}

/* Records one problem. */
static void
topology_problem(struct topology_problems *p, const char *fmt, ...)
{
	va_list ap;

	p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
	va_start(ap, fmt);
	p->v[p->n++] = topology_vformat(fmt, ap);
	va_end(ap);
}

/*
 * Joins the problems into one cause. One problem is returned as it is, so
 * that it reads well after a prefix ("mhaadm: add: orders: 10.77.0.13:3306
 * is not replicating (...)"); several become a count followed by one
 * indented "  - " line each, because a "; "-separated line of several long
 * sentences with addresses in them is hard to read on a terminal:
 *
 *   mhaadm: add: orders: 2 problems:
 *     - 10.77.0.12:3306 is not a replica
 *     - 10.77.0.13:3306 is not replicating (Slave_IO_Running=No, ...)
 *
 * Newly allocated.
 */
static char *
topology_problems_join(const struct topology_problems *p)
{
	char *s;
	size_t i;

	if (p->n == 1)
		return xstrdup(p->v[0]);
	s = xasprintf("%zu problems:", p->n);
	for (i = 0; i < p->n; i++)
		topology_append(&s, "\n  - %s", p->v[i]);
	return s;
}

static void
topology_problems_free(struct topology_problems *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* Resolves host: as a numeric address first, else by name. NULL when neither works. */
static struct addrinfo *
topology_lookup(const char *host)
{
	struct addrinfo hints, *ai = NULL;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &ai) == 0)
		return ai;
	hints.ai_flags = 0;
	if (getaddrinfo(host, NULL, &hints, &ai) == 0)
		return ai;
	return NULL;
}

/*
 * Writes the IP address of ai as 16 bytes, IPv4 as IPv4-mapped IPv6 so that
 * "10.77.0.11" and "::ffff:10.77.0.11" compare equal. Returns 0, or -1 for
 * other families.
 */
static int
topology_address(const struct addrinfo *ai, unsigned char key[16])
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof sin) {
		memcpy(&sin, ai->ai_addr, sizeof sin);
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &sin.sin_addr, 4);
		return 0;
	}
	if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof sin6) {
		memcpy(&sin6, ai->ai_addr, sizeof sin6);
		memcpy(key, &sin6.sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* True when the two host names or addresses share an address. */
static int
topology_same_host(const char *a, const char *b)
{
	struct addrinfo *list_a = NULL, *list_b = NULL, *x, *y;
	unsigned char key_a[16], key_b[16];
	int same = 0;

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return 0;
	if (strcasecmp(a, b) == 0)
		return 1;
	if ((list_a = topology_lookup(a)) == NULL || (list_b = topology_lookup(b)) == NULL)
		goto out;
	for (x = list_a; x != NULL && !same; x = x->ai_next) {
		if (topology_address(x, key_a) != 0)
			continue;
		for (y = list_b; y != NULL && !same; y = y->ai_next) {
			if (topology_address(y, key_b) == 0 && memcmp(key_a, key_b, 16) == 0)
				same = 1;
		}
	}
out:
	if (list_b != NULL)
		freeaddrinfo(list_b);
	if (list_a != NULL)
		freeaddrinfo(list_a);
	return same;
}

/*
 * Master_Server_Id is what the IO thread saw when it last connected, so it is
 * trusted only while the IO thread runs: a replica just re-pointed with
 * CHANGE MASTER whose IO thread has not connected yet may still show its old
 * master's id. Otherwise the configured Master_Host:Master_Port decides.
 */
int
topology_points_at(const struct probe_result *replica, const struct probe_result *master)
{
	if (!replica->is_replica)
		return 0;
	if (replica->master_server_id != 0 && master->server_id != 0 && replica->io_running)
		return replica->master_server_id == master->server_id;
	if (replica->master_port != master->port)
		return 0;
	return topology_same_host(replica->master_host, master->host);
}

/* True when the node's replication threads (or one of them) run. */
static int
topology_replicating(const struct probe_result *node)
{
	return node->is_replica && (node->io_running || node->sql_running);
}

/*
 * Describes where node i replicates from: the other node it points at when
 * there is one, else its Master_Host:Master_Port. Newly allocated.
 */
static char *
topology_source(const struct probe_result *nodes, size_t n, size_t i)
{
	size_t j;

	for (j = 0; j < n; j++) {
		if (j != i && topology_points_at(&nodes[i], &nodes[j]))
			return xasprintf("%s:%d", nodes[j].host, nodes[j].port);
	}
	return xasprintf("%s:%d", nodes[i].master_host != NULL ? nodes[i].master_host : "",
	    nodes[i].master_port);
}

/* How many other nodes replicate from node i. */
static size_t
topology_followers(const struct probe_result *nodes, size_t n, size_t i)
{
	size_t j, count = 0;

	for (j = 0; j < n; j++) {
		if (j != i && topology_points_at(&nodes[j], &nodes[i]))
			count++;
	}
	return count;
}

/*
 * Finds the node that spec ("HOST:PORT", or "HOST" for any port) names, by
 * address like topology_points_at. Returns 0 with *idx set (TOPOLOGY_NONE
 * when no node matches), or -1 when spec cannot be parsed.
 */
static int
topology_find(const struct probe_result *nodes, size_t n, const char *spec, size_t *idx)
{
	const char *colon = strrchr(spec, ':');
	char *host, *end;
	long port = 0;
	size_t i;

	*idx = TOPOLOGY_NONE;
	if (colon != NULL) {
		port = strtol(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port < 1 || port > 65535)
			return -1;
		host = xstrndup(spec, (size_t)(colon - spec));
	} else
		host = xstrdup(spec);
	if (*host == '\0') {
		free(host);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((port == 0 || nodes[i].port == port) &&
		    topology_same_host(host, nodes[i].host)) {
			*idx = i;
			break;
		}
	}
	free(host);
	return 0;
}

/*
 * Records that a node could not be probed. probe's own messages already name
 * the node ("cannot connect to 10.77.0.13:3306: ..."), and are used as they
 * are rather than said twice; others get "cannot probe HOST:PORT: " first.
 */
static void
topology_probe_failed(struct topology_problems *p, const struct probe_result *node)
{
	char *name = xasprintf("%s:%d", node->host, node->port);

	if (node->error != NULL && strstr(node->error, name) != NULL)
		topology_problem(p, "%s", node->error);
	else
		topology_problem(p, "cannot probe %s: %s", name,
		    node->error != NULL ? node->error : "no answer");
	free(name);
}

/*
 * The master is a writable node whose replication threads are stopped
 * (stale slave status left by a missing RESET SLAVE ALL is tolerated). When
 * several qualify the cluster is refused, but one of them is still used as
 * the reference for checking the others, so that every problem is listed:
 * --master's node if it is one, else the one most nodes replicate from.
 * Returns TOPOLOGY_NONE when there is no reference.
 */
static size_t
topology_pick(const struct probe_result *nodes, size_t n, size_t want, size_t *n_candidates)
{
	size_t i, best = TOPOLOGY_NONE, best_followers = 0, followers;
	int tie = 0;

	*n_candidates = 0;
	for (i = 0; i < n; i++) {
		if (nodes[i].read_only || topology_replicating(&nodes[i]))
			continue;
		(*n_candidates)++;
		followers = topology_followers(nodes, n, i);
		if (best == TOPOLOGY_NONE || followers > best_followers) {
			best = i;
			best_followers = followers;
			tie = 0;
		} else if (followers == best_followers)
			tie = 1;
	}
	if (*n_candidates <= 1)
		return best;
	if (want != TOPOLOGY_NONE && !nodes[want].read_only && !topology_replicating(&nodes[want]))
		return want;
	if (tie || best_followers == 0)
		return TOPOLOGY_NONE;
	return best;
}

int
topology_resolve(const struct probe_result *nodes, size_t n, const char *want_master,
    size_t *master_idx, char **cause)
{
	struct topology_problems p = {NULL, 0};
	size_t i, j, k, master, want = TOPOLOGY_NONE, n_writable = 0, n_candidates;
	char *list = NULL, *source;
	const struct probe_result *r;
	int want_bad = 0, retval = -1;

	*cause = NULL;
	if (n == 0) {
		topology_problem(&p, "no nodes to check");
		goto out;
	}

	/* Without every node's answers nothing else can be judged. */
	for (i = 0; i < n; i++) {
		if (!nodes[i].ok)
			topology_probe_failed(&p, &nodes[i]);
	}
	if (n == 1)
		topology_problem(&p, "only one node: MHA needs at least one replica");
	if (p.n != 0)
		goto out;

	if (want_master != NULL && topology_find(nodes, n, want_master, &want) != 0) {
		topology_problem(&p, "--master %s is not HOST:PORT", want_master);
		want_bad = 1;
	}

	master = topology_pick(nodes, n, want, &n_candidates);

	/* Writability: exactly one node may be writable, and it must not replicate. */
	for (i = 0; i < n; i++)
		n_writable += !nodes[i].read_only;
	if (n_candidates == 0)
		topology_problem(&p, "no writable master: every node is read_only or replicating");
	else if (n_writable > 1) {
		for (i = 0, k = 0; i < n; i++) {
			if (nodes[i].read_only)
				continue;
			topology_append(&list, "%s%s:%d",
			    k == 0 ? "" : (k == n_writable - 1 ? " and " : ", "), nodes[i].host,
			    nodes[i].port);
			k++;
		}
		topology_problem(
		    &p, "%zu writable nodes: %s (a replica must be read_only=1)", n_writable, list);
	}
	if (n_candidates == 0) {
		/* Writable but replicating: in a ring, or a replica that lost read_only. */
		for (i = 0; i < n; i++) {
			if (nodes[i].read_only || !topology_replicating(&nodes[i]))
				continue;
			source = topology_source(nodes, n, i);
			topology_problem(&p,
			    "%s:%d is writable but also replicating from %s "
			    "(circular or misconfigured)",
			    nodes[i].host, nodes[i].port, source);
			free(source);
		}
	}

	if (want_master != NULL && !want_bad) {
		if (master != TOPOLOGY_NONE && want != master)
			topology_problem(&p, "--master %s is not the master (%s:%d is)",
			    want_master, nodes[master].host, nodes[master].port);
		else if (master == TOPOLOGY_NONE && want == TOPOLOGY_NONE)
			topology_problem(&p, "--master %s is not one of the nodes", want_master);
	}

	if (master != TOPOLOGY_NONE && !nodes[master].log_bin)
		topology_problem(&p,
		    "master %s:%d has log_bin off; MHA needs binary logs on the master",
		    nodes[master].host, nodes[master].port);

	/* Every other node: a replica of the master with both threads running. */
	for (i = 0; i < n; i++) {
		r = &nodes[i];
		if (i == master)
			continue;
		if (!r->is_replica) {
			/* A writable one is already named among the writable nodes. */
			if (r->read_only && master != TOPOLOGY_NONE)
				topology_problem(&p, "%s:%d is not a replica", r->host, r->port);
			else if (r->read_only)
				topology_problem(&p, "%s:%d is neither writable nor a replica",
				    r->host, r->port);
			continue;
		}
		if (master != TOPOLOGY_NONE && !topology_points_at(r, &nodes[master])) {
			source = topology_source(nodes, n, i);
			topology_problem(&p,
			    "%s:%d is not a replica of %s:%d (it replicates from %s)", r->host,
			    r->port, nodes[master].host, nodes[master].port, source);
			free(source);
		}
		if (!r->io_running || !r->sql_running)
			topology_problem(&p,
			    "%s:%d is not replicating (Slave_IO_Running=%s, "
			    "Slave_SQL_Running=%s%s%s)",
			    r->host, r->port, r->io_running ? "Yes" : "No",
			    r->sql_running ? "Yes" : "No", r->last_error != NULL ? ": " : "",
			    r->last_error != NULL ? r->last_error : "");
	}

	/* Replication silently skips events from its own server_id. */
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (nodes[i].server_id == nodes[j].server_id)
				topology_problem(&p, "%s:%d and %s:%d have the same server_id %lu",
				    nodes[i].host, nodes[i].port, nodes[j].host, nodes[j].port,
				    nodes[i].server_id);
		}
	}

	if (p.n == 0 && master == TOPOLOGY_NONE)
		topology_problem(&p, "cannot tell which node is the master");
	if (p.n == 0) {
		*master_idx = master;
		retval = 0;
	}
out:
	if (retval != 0)
		*cause = topology_problems_join(&p);
	free(list);
	topology_problems_free(&p);
	return retval;
}
