/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's tests. The contract tests (every domain operation) run on
 * an in-memory SQLite registry, or, when MHAADM_TEST_MYSQL_HOST is set (the
 * lab's integration test does), on fresh databases of that MySQL/MariaDB
 * server; the rest are about SQLite files and skip there.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "registry.h"
#include "xmalloc.h"

struct test_counts {
	size_t clusters;
	size_t nodes;
	size_t events;
};

/* The MySQL server of the contract run, or NULL for SQLite. */
static const char *
test_mysql_host(void)
{
	const char *h = getenv("MHAADM_TEST_MYSQL_HOST");

	return h != NULL && *h != '\0' ? h : NULL;
}

/* Skips a test that is about SQLite files when the contract runs on MySQL. */
static void
test_sqlite_only(void)
{
	if (test_mysql_host() != NULL)
		skip();
}

/*
 * An empty registry without a schema: in memory, or a new database on the
 * contract's MySQL server (dropped by test_close).
 */
static struct registry *
test_open_empty(void)
{
	static int serial;
	struct registry *reg;
	struct config cfg;
	const char *port = getenv("MHAADM_TEST_MYSQL_PORT");
	char *cause = NULL;

	if (test_mysql_host() == NULL) {
		reg = registry_open_sqlite(":memory:", &cause);
		assert_null(cause);
		assert_non_null(reg);
		return reg;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.registry = CONFIG_REGISTRY_MYSQL;
	cfg.mysql_host = (char *)test_mysql_host();
	cfg.mysql_port = port != NULL ? atoi(port) : 3306;
	cfg.mysql_user = getenv("MHAADM_TEST_MYSQL_USER");
	cfg.mysql_password = getenv("MHAADM_TEST_MYSQL_PASSWORD");
	cfg.mysql_database = xasprintf("mhaadm_contract_%ld_%d", (long)getpid(), ++serial);
	cfg.connect_timeout = 5;
	reg = registry_open(&cfg, 0, &cause);
	if (reg == NULL)
		fail_msg("cannot open the MySQL registry: %s", cause);
	free(cfg.mysql_database);
	return reg;
}

/* A registry with the schema in place. */
static struct registry *
test_open(void)
{
	struct registry *reg = test_open_empty();
	char *cause = NULL;

	assert_int_equal(registry_init(reg, &cause), 0);
	assert_null(cause);
	return reg;
}

/* Closes a registry of test_open, dropping its MySQL database. */
static void
test_close(struct registry *reg)
{
	char *cause = NULL;

	if (test_mysql_host() != NULL) {
		/* DATABASE() is the contract's own database, named by test_open_empty. */
		char *name = NULL, *sql;

		assert_int_equal(db_scalar(reg->db, &name, "cannot name the database", &cause,
		                     "SELECT DATABASE()", ""),
		    1);
		if (name != NULL) {
			sql = xasprintf("DROP DATABASE IF EXISTS `%s`", name);
			assert_int_equal(db_exec(reg->db, "cannot drop", &cause, sql, ""), 0);
			free(sql);
			free(name);
		}
	}
	registry_close(reg);
}

/*
 * A cluster with nodes "HOST:PORT" given as n pairs of (const char *host,
 * int port); the first is the master. Free with registry_cluster_free.
 */
static struct registry_cluster *
test_cluster(const char *name, const char *vip, size_t n, ...)
{
	struct registry_cluster *c;
	va_list ap;
	size_t i;

	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->vip = xstrdup(vip);
	c->vip_prefix = 24;
	c->iface = xstrdup("br0");
	c->state = REGISTRY_STATE_REGISTERED;
	c->desired = REGISTRY_DESIRED_STOPPED;
	c->nodes = xcalloc(n, sizeof(*c->nodes));
	c->n_nodes = n;
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		c->nodes[i].host = xstrdup(va_arg(ap, const char *));
		c->nodes[i].port = va_arg(ap, int);
		c->nodes[i].role = i == 0 ? REGISTRY_ROLE_MASTER : REGISTRY_ROLE_REPLICA;
		c->nodes[i].version = xstrdup("10.11.6-MariaDB");
		c->nodes[i].server_id = (long long)i + 1;
		c->nodes[i].read_only = i != 0;
		c->nodes[i].log_bin = 1;
		c->nodes[i].lag = i == 0 ? -1 : 0;
	}
	va_end(ap);
	return c;
}

static void
test_event(struct registry_event *ev, const char *type, const char *message)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = (char *)type;
	ev->message = (char *)message;
}

static void
test_count(struct registry *reg, struct test_counts *tc)
{
	struct registry_cluster **list = NULL;
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n, i;

	memset(tc, 0, sizeof(*tc));
	assert_int_equal(registry_cluster_list(reg, &list, &n, &cause), 0);
	tc->clusters = n;
	for (i = 0; i < n; i++)
		tc->nodes += list[i]->n_nodes;
	registry_cluster_list_free(list, n);
	assert_int_equal(registry_event_list(reg, NULL, 0, &evs, &n, &cause), 0);
	tc->events = n;
	registry_event_list_free(evs, n);
}

/* Adds c with a "cluster.added" event; asserts success. */
static void
test_add(struct registry *reg, const struct registry_cluster *c)
{
	struct registry_event ev;
	char *cause = NULL;
	int r;

	test_event(&ev, "cluster.added", "added");
	r = registry_cluster_add(reg, c, &ev, &cause);
	if (r != 0)
		fail_msg("cluster_add %s: %d %s", c->name, r, cause != NULL ? cause : "");
}

/* Adds bad, expects 1 with message and the registry unchanged. */
static void
test_add_refused(struct registry *reg, const struct registry_cluster *bad, const char *message)
{
	struct test_counts before, after;
	struct registry_event ev;
	char *cause = NULL;

	test_count(reg, &before);
	test_event(&ev, "cluster.added", "added");
	assert_int_equal(registry_cluster_add(reg, bad, &ev, &cause), 1);
	assert_non_null(cause);
	assert_string_equal(cause, message);
	free(cause);
	test_count(reg, &after);
	assert_int_equal(before.clusters, after.clusters);
	assert_int_equal(before.nodes, after.nodes);
	assert_int_equal(before.events, after.events);
}

static void
test_registry_init(void **state)
{
	struct registry *reg;
	char *cause = NULL;
	int version = -1;

	(void)state;
	reg = test_open_empty();
	assert_string_equal(
	    registry_backend_name(reg), test_mysql_host() != NULL ? "mysql" : "sqlite");
	assert_int_equal(registry_schema_version(reg, &version, &cause), 0);
	assert_int_equal(version, 0);
	assert_int_equal(registry_init(reg, &cause), 0);
	assert_int_equal(registry_schema_version(reg, &version, &cause), 0);
	assert_int_equal(version, REGISTRY_SCHEMA_VERSION);
	/* Idempotent. */
	assert_int_equal(registry_init(reg, &cause), 0);
	assert_int_equal(registry_schema_version(reg, &version, &cause), 0);
	assert_int_equal(version, REGISTRY_SCHEMA_VERSION);
	assert_null(cause);
	test_close(reg);
}

static void
test_registry_round_trip(void **state)
{
	struct registry *reg = test_open();
	struct registry_cluster *c, *b, *got = NULL, **list = NULL;
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n;

	(void)state;
	c = test_cluster(
	    "orders", "10.77.0.100", 3, "10.77.0.11", 3306, "10.77.0.12", 3306, "10.77.0.13", 3307);
	c->nodes[1].candidate_master = 1;
	c->nodes[2].no_master = 1;
	free(c->nodes[2].version);
	c->nodes[2].version = NULL;
	c->nodes[2].server_id = -1;
	c->nodes[2].read_only = -1;
	c->nodes[2].log_bin = -1;
	c->nodes[2].lag = -1;
	test_add(reg, c);
	b = test_cluster("billing", "10.77.0.101", 1, "10.77.0.21", 3306);
	b->vip_prefix = 16;
	b->engine = xstrdup("native");
	test_add(reg, b);

	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_non_null(got);
	assert_true(got->id > 0);
	assert_string_equal(got->name, "orders");
	assert_string_equal(got->vip, "10.77.0.100");
	assert_int_equal(got->vip_prefix, 24);
	assert_string_equal(got->iface, "br0");
	assert_string_equal(got->engine, "mha");
	assert_int_equal(got->state, REGISTRY_STATE_REGISTERED);
	assert_int_equal(got->desired, REGISTRY_DESIRED_STOPPED);
	assert_non_null(got->created_at);
	assert_int_equal(strlen(got->created_at), strlen("2025-01-01 00:00:00"));
	assert_non_null(got->updated_at);
	assert_int_equal(got->n_nodes, 3);
	assert_string_equal(got->nodes[0].host, "10.77.0.11");
	assert_int_equal(got->nodes[0].port, 3306);
	assert_int_equal(got->nodes[0].role, REGISTRY_ROLE_MASTER);
	assert_string_equal(got->nodes[0].version, "10.11.6-MariaDB");
	assert_int_equal(got->nodes[0].server_id, 1);
	assert_int_equal(got->nodes[0].read_only, 0);
	assert_int_equal(got->nodes[0].log_bin, 1);
	assert_int_equal(got->nodes[0].lag, -1);
	assert_int_equal(got->nodes[1].role, REGISTRY_ROLE_REPLICA);
	assert_int_equal(got->nodes[1].candidate_master, 1);
	assert_int_equal(got->nodes[1].no_master, 0);
	assert_int_equal(got->nodes[1].read_only, 1);
	assert_int_equal(got->nodes[1].lag, 0);
	assert_string_equal(got->nodes[2].host, "10.77.0.13");
	assert_int_equal(got->nodes[2].port, 3307);
	assert_int_equal(got->nodes[2].no_master, 1);
	assert_null(got->nodes[2].version);
	assert_int_equal(got->nodes[2].server_id, -1);
	assert_int_equal(got->nodes[2].read_only, -1);
	assert_int_equal(got->nodes[2].log_bin, -1);
	assert_int_equal(got->nodes[2].lag, -1);
	registry_cluster_free(got);

	assert_int_equal(registry_cluster_get(reg, "nosuch", &got, &cause), 1);
	assert_null(got);
	assert_null(cause);

	/* Ordered by name. */
	assert_int_equal(registry_cluster_list(reg, &list, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0]->name, "billing");
	assert_int_equal(list[0]->vip_prefix, 16);
	assert_string_equal(list[0]->engine, "native");
	assert_int_equal(list[0]->n_nodes, 1);
	assert_string_equal(list[1]->name, "orders");
	assert_int_equal(list[1]->n_nodes, 3);
	registry_cluster_list_free(list, n);

	/* The event took the cluster's name. */
	assert_int_equal(registry_event_list(reg, "orders", 0, &evs, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0].cluster, "orders");
	assert_string_equal(evs[0].type, "cluster.added");
	assert_string_equal(evs[0].message, "added");
	assert_null(evs[0].node);
	assert_int_equal(strlen(evs[0].at), strlen("2025-01-01 00:00:00"));
	registry_event_list_free(evs, n);

	registry_cluster_free(c);
	registry_cluster_free(b);
	test_close(reg);
}

static void
test_registry_duplicates(void **state)
{
	struct registry *reg = test_open();
	struct registry_cluster *c, *bad;

	(void)state;
	c = test_cluster("orders", "10.77.0.100", 2, "10.77.0.11", 3306, "10.77.0.12", 3306);
	test_add(reg, c);

	bad = test_cluster("orders", "10.77.0.200", 1, "10.77.0.51", 3306);
	test_add_refused(reg, bad, "cluster 'orders' already exists");
	registry_cluster_free(bad);

	bad = test_cluster("billing", "10.77.0.100", 1, "10.77.0.51", 3306);
	test_add_refused(reg, bad, "VIP 10.77.0.100 is already used by cluster 'orders'");
	registry_cluster_free(bad);

	/* The conflicting node is not the first one: nothing of billing may stay. */
	bad = test_cluster("billing", "10.77.0.200", 2, "10.77.0.51", 3306, "10.77.0.12", 3306);
	test_add_refused(reg, bad, "node 10.77.0.12:3306 already belongs to cluster 'orders'");
	registry_cluster_free(bad);

	/* Host names compare case-blind. */
	registry_cluster_free(c);
	c = test_cluster("web", "10.77.0.102", 1, "db1.example", 3306);
	test_add(reg, c);
	bad = test_cluster("billing", "10.77.0.200", 1, "DB1.example", 3306);
	test_add_refused(reg, bad, "node DB1.example:3306 already belongs to cluster 'web'");
	registry_cluster_free(bad);

	/* Same host, other port: a different node. */
	bad = test_cluster("billing", "10.77.0.200", 1, "10.77.0.12", 3307);
	test_add(reg, bad);
	registry_cluster_free(bad);

	bad = test_cluster("twice", "10.77.0.201", 2, "10.77.0.61", 3306, "10.77.0.61", 3306);
	test_add_refused(reg, bad, "node 10.77.0.61:3306 is listed twice");
	registry_cluster_free(bad);

	registry_cluster_free(c);
	test_close(reg);
}

static void
test_registry_update(void **state)
{
	struct registry *reg = test_open();
	struct registry_cluster *c, *other, *got = NULL;
	struct registry_event ev, *evs = NULL;
	struct test_counts before, after;
	char *cause = NULL;
	size_t n;

	(void)state;
	/* What a DBA's rows look like: pending, roles unknown, nothing probed. */
	c = test_cluster("orders", "10.77.0.100", 2, "10.77.0.11", 3306, "10.77.0.12", 3306);
	c->state = REGISTRY_STATE_PENDING;
	c->nodes[0].role = c->nodes[1].role = REGISTRY_ROLE_UNKNOWN;
	test_add(reg, c);
	other = test_cluster("billing", "10.77.0.101", 1, "10.77.0.21", 3306);
	test_add(reg, other);

	/* add verifies them: roles found, one more node, registered. */
	registry_cluster_free(c);
	c = test_cluster(
	    "orders", "10.77.0.100", 3, "10.77.0.12", 3306, "10.77.0.11", 3306, "10.77.0.13", 3306);
	c->vip_prefix = 25;
	test_event(&ev, "cluster.registered", "verified");
	assert_int_equal(registry_cluster_update(reg, c, &ev, &cause), 0);
	assert_null(cause);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_int_equal(got->state, REGISTRY_STATE_REGISTERED);
	assert_int_equal(got->vip_prefix, 25);
	assert_int_equal(got->n_nodes, 3);
	assert_string_equal(got->nodes[0].host, "10.77.0.12");
	assert_int_equal(got->nodes[0].role, REGISTRY_ROLE_MASTER);
	assert_string_equal(got->nodes[1].host, "10.77.0.11");
	assert_int_equal(got->nodes[1].role, REGISTRY_ROLE_REPLICA);
	registry_cluster_free(got);
	assert_int_equal(registry_event_list(reg, "orders", 1, &evs, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0].type, "cluster.registered");
	registry_event_list_free(evs, n);

	/* No such cluster. */
	free(c->name);
	c->name = xstrdup("nosuch");
	test_count(reg, &before);
	assert_int_equal(registry_cluster_update(reg, c, &ev, &cause), 1);
	assert_null(cause);
	test_count(reg, &after);
	assert_int_equal(before.events, after.events);

	/* A node of another cluster: an error, and nothing changed. */
	free(c->name);
	c->name = xstrdup("orders");
	free(c->nodes[2].host);
	c->nodes[2].host = xstrdup("10.77.0.21");
	assert_int_equal(registry_cluster_update(reg, c, &ev, &cause), -1);
	assert_string_equal(cause, "node 10.77.0.21:3306 already belongs to cluster 'billing'");
	free(cause);
	cause = NULL;
	test_count(reg, &after);
	assert_int_equal(before.clusters, after.clusters);
	assert_int_equal(before.nodes, after.nodes);
	assert_int_equal(before.events, after.events);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_int_equal(got->n_nodes, 3);
	assert_string_equal(got->nodes[2].host, "10.77.0.13");
	registry_cluster_free(got);

	/* Another cluster's VIP. */
	free(c->nodes[2].host);
	c->nodes[2].host = xstrdup("10.77.0.13");
	free(c->vip);
	c->vip = xstrdup("10.77.0.101");
	assert_int_equal(registry_cluster_update(reg, c, &ev, &cause), -1);
	assert_string_equal(cause, "VIP 10.77.0.101 is already used by cluster 'billing'");
	free(cause);

	registry_cluster_free(c);
	registry_cluster_free(other);
	test_close(reg);
}

static void
test_registry_del(void **state)
{
	struct registry *reg = test_open();
	struct registry_cluster *c, *got = NULL;
	struct registry_event ev, *evs = NULL;
	struct test_counts tc;
	char *cause = NULL;
	size_t n;

	(void)state;
	c = test_cluster("orders", "10.77.0.100", 2, "10.77.0.11", 3306, "10.77.0.12", 3306);
	test_add(reg, c);
	test_event(&ev, "cluster.deleted", "deleted by test");
	assert_int_equal(registry_cluster_del(reg, "orders", &ev, &cause), 0);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 1);
	test_count(reg, &tc);
	assert_int_equal(tc.clusters, 0);
	assert_int_equal(tc.nodes, 0);
	assert_int_equal(tc.events, 2);

	/* The history stays, newest first. */
	assert_int_equal(registry_event_list(reg, "orders", 10, &evs, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(evs[0].type, "cluster.deleted");
	assert_string_equal(evs[0].cluster, "orders");
	assert_string_equal(evs[1].type, "cluster.added");
	registry_event_list_free(evs, n);

	assert_int_equal(registry_cluster_del(reg, "orders", &ev, &cause), 1);
	assert_null(cause);
	test_count(reg, &tc);
	assert_int_equal(tc.events, 2);

	/* Name, VIP and nodes are free again. */
	test_add(reg, c);

	registry_cluster_free(c);
	test_close(reg);
}

static void
test_registry_set_state(void **state)
{
	struct registry *reg = test_open();
	struct registry_cluster *c, *got = NULL;
	struct registry_event ev, *evs = NULL;
	char *cause = NULL;
	size_t n;

	(void)state;
	c = test_cluster("orders", "10.77.0.100", 1, "10.77.0.11", 3306);
	test_add(reg, c);
	test_event(&ev, "cluster.state", "monitoring");
	ev.node = (char *)"10.77.0.11:3306";
	assert_int_equal(registry_cluster_set_state(reg, "orders", REGISTRY_STATE_MONITORING,
	                     REGISTRY_DESIRED_MONITORED, &ev, &cause),
	    0);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_int_equal(got->state, REGISTRY_STATE_MONITORING);
	assert_int_equal(got->desired, REGISTRY_DESIRED_MONITORED);
	assert_int_equal(got->n_nodes, 1);
	registry_cluster_free(got);

	/* Setting the same state again is fine. */
	assert_int_equal(registry_cluster_set_state(reg, "orders", REGISTRY_STATE_MONITORING,
	                     REGISTRY_DESIRED_MONITORED, &ev, &cause),
	    0);
	assert_int_equal(registry_cluster_set_state(reg, "nosuch", REGISTRY_STATE_STOPPED,
	                     REGISTRY_DESIRED_STOPPED, &ev, &cause),
	    1);
	assert_null(cause);

	assert_int_equal(registry_event_list(reg, NULL, 0, &evs, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(evs[0].type, "cluster.state");
	assert_string_equal(evs[0].node, "10.77.0.11:3306");
	assert_string_equal(evs[0].cluster, "orders");
	registry_event_list_free(evs, n);

	registry_cluster_free(c);
	test_close(reg);
}

/* How many events of type the cluster has. */
static size_t
test_events_of(struct registry *reg, const char *cluster, const char *type)
{
	struct registry_event *evs = NULL;
	char *cause = NULL;
	size_t n = 0, i, k = 0;

	assert_int_equal(registry_event_list(reg, cluster, 0, &evs, &n, &cause), 0);
	for (i = 0; i < n; i++)
		k += strcmp(evs[i].type, type) == 0;
	registry_event_list_free(evs, n);
	return k;
}

/*
 * One compare-and-set on cluster "orders" (an event of type ev_type when
 * not NULL): expects rc and no cause, then the state and desired state
 * want_st, want_de, and n_events events of ev_type.
 */
static void
test_desired_if(struct registry *reg, enum registry_state expected, enum registry_state st,
    enum registry_desired de, const char *ev_type, int rc, enum registry_state want_st,
    enum registry_desired want_de, size_t n_events)
{
	struct registry_cluster *got = NULL;
	struct registry_event ev;
	char *cause = NULL;

	test_event(&ev, ev_type, "requested");
	assert_int_equal(registry_cluster_set_desired_if(
	                     reg, "orders", expected, st, de, ev_type != NULL ? &ev : NULL, &cause),
	    rc);
	assert_null(cause);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_int_equal(got->state, want_st);
	assert_int_equal(got->desired, want_de);
	registry_cluster_free(got);
	if (ev_type != NULL)
		assert_int_equal(test_events_of(reg, "orders", ev_type), n_events);
}

/*
 * The compare-and-set start and stop use: written (with its event) when the
 * state is still the one read, refused (1, nothing written, no event) when a
 * state was written meanwhile, e.g. a failover began.
 */
static void
test_registry_set_desired_if(void **state)
{
	const enum registry_state stopped = REGISTRY_STATE_STOPPED, ready = REGISTRY_STATE_READY,
	                          failing = REGISTRY_STATE_FAILING_OVER;
	const enum registry_desired off = REGISTRY_DESIRED_STOPPED, on = REGISTRY_DESIRED_MONITORED;
	struct registry *reg = test_open();
	struct registry_cluster *c;
	struct registry_event ev;
	char *cause = NULL;

	(void)state;
	c = test_cluster("orders", "10.77.0.100", 2, "10.77.0.11", 3306, "10.77.0.12", 3306);
	c->state = stopped;
	test_add(reg, c);
	test_desired_if(reg, stopped, ready, on, "cluster.start", 0, ready, on, 1);
	/* The daemon wrote failing_over after the CLI read ready: the CLI's write is refused. */
	assert_int_equal(
	    registry_cluster_set_state(reg, "orders", failing, REGISTRY_DESIRED_KEEP, NULL, &cause),
	    0);
	test_desired_if(reg, ready, stopped, off, "cluster.stop", 1, failing, on, 0);
	/* Re-read and decided on the new state: it keeps failing_over, desired changes. */
	test_desired_if(reg, failing, failing, off, "cluster.stop", 0, failing, off, 1);
	/* Writing what is there already still succeeds (MySQL: rows found, not changed). */
	test_desired_if(reg, failing, failing, off, NULL, 0, failing, off, 0);
	test_event(&ev, "cluster.start", "requested");
	assert_int_equal(
	    registry_cluster_set_desired_if(reg, "nosuch", stopped, ready, on, &ev, &cause), 1);
	assert_null(cause);

	registry_cluster_free(c);
	test_close(reg);
}

static const char *
test_role_of(const struct registry_cluster *c, const char *host)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (strcmp(c->nodes[i].host, host) == 0)
			return registry_role_name(c->nodes[i].role);
	}
	return "absent";
}

static void
test_registry_set_master(void **state)
{
	struct registry *reg = test_open();
	struct registry_cluster *c, *got = NULL;
	struct registry_event ev, *evs = NULL;
	struct test_counts before, after;
	char *cause = NULL;
	size_t n;

	(void)state;
	c = test_cluster(
	    "orders", "10.77.0.100", 3, "10.77.0.11", 3306, "10.77.0.12", 3306, "10.77.0.13", 3306);
	test_add(reg, c);
	test_event(&ev, "failover.master_changed", "master changed");
	assert_int_equal(registry_cluster_set_master(reg, "orders", "10.77.0.12", 3306,
	                     REGISTRY_STATE_FAILING_OVER, &ev, &cause),
	    0);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_string_equal(test_role_of(got, "10.77.0.11"), "failed");
	assert_string_equal(test_role_of(got, "10.77.0.12"), "master");
	assert_string_equal(test_role_of(got, "10.77.0.13"), "replica");
	assert_int_equal(got->state, REGISTRY_STATE_FAILING_OVER);
	registry_cluster_free(got);
	assert_int_equal(registry_event_list(reg, "orders", 1, &evs, &n, &cause), 0);
	assert_string_equal(evs[0].type, "failover.master_changed");
	/* The record of a failover names both masters in its fields. */
	assert_string_equal(registry_event_field(&evs[0], "old_master"), "10.77.0.11:3306");
	assert_string_equal(registry_event_field(&evs[0], "new_master"), "10.77.0.12:3306");
	registry_event_list_free(evs, n);

	/* Not a node of the cluster, or no such cluster: 1, nothing written. */
	test_count(reg, &before);
	assert_int_equal(registry_cluster_set_master(reg, "orders", "10.77.0.99", 3306,
	                     REGISTRY_STATE_MONITORING, &ev, &cause),
	    1);
	assert_int_equal(registry_cluster_set_master(reg, "nosuch", "10.77.0.12", 3306,
	                     REGISTRY_STATE_MONITORING, &ev, &cause),
	    1);
	assert_null(cause);
	test_count(reg, &after);
	assert_int_equal(before.events, after.events);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_string_equal(test_role_of(got, "10.77.0.12"), "master");
	assert_int_equal(got->state, REGISTRY_STATE_FAILING_OVER);
	registry_cluster_free(got);

	registry_cluster_free(c);
	test_close(reg);
}

static void
test_registry_events(void **state)
{
	struct registry *reg = test_open();
	struct registry_event ev, *evs = NULL;
	char *cause = NULL, msg[32];
	size_t n;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		snprintf(msg, sizeof(msg), "message %d", i);
		test_event(&ev, "test.event", msg);
		ev.cluster = (char *)(i % 2 == 0 ? "even" : "odd");
		assert_int_equal(registry_event_add(reg, &ev, &cause), 0);
	}
	/* Not about a cluster, with its own time. */
	test_event(&ev, "daemon.started", NULL);
	ev.at = (char *)"2030-01-02 03:04:05";
	assert_int_equal(registry_event_add(reg, &ev, &cause), 0);
	test_event(&ev, NULL, "no type");
	assert_int_equal(registry_event_add(reg, &ev, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	assert_int_equal(registry_event_list(reg, NULL, 0, &evs, &n, &cause), 0);
	assert_int_equal(n, 11);
	assert_null(evs[0].cluster);
	assert_string_equal(evs[0].at, "2030-01-02 03:04:05");
	assert_string_equal(evs[0].message, "");
	assert_string_equal(evs[1].message, "message 9");
	assert_true(evs[0].id > evs[1].id);
	registry_event_list_free(evs, n);

	assert_int_equal(registry_event_list(reg, "even", 3, &evs, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(evs[0].message, "message 8");
	assert_string_equal(evs[1].message, "message 6");
	assert_string_equal(evs[2].message, "message 4");
	registry_event_list_free(evs, n);

	assert_int_equal(registry_event_list(reg, "nosuch", 3, &evs, &n, &cause), 0);
	assert_int_equal(n, 0);
	registry_event_list_free(evs, n);
	test_close(reg);
}

/* Named fields go in with the event and come out the same, in order, on both backends. */
static void
test_registry_event_fields(void **state)
{
	struct registry *reg = test_open();
	struct registry_event ev, *evs = NULL;
	char *cause = NULL;
	size_t n;

	(void)state;
	test_event(&ev, "failover.completed", "failover from a to b");
	ev.cluster = (char *)"orders";
	registry_event_field_set(&ev, "old_master", "10.77.0.11:3306");
	registry_event_field_set(&ev, "new_master", "10.77.0.12:3306");
	registry_event_field_set(&ev, "reason", "it's \"dead\"\n");
	registry_event_field_set(&ev, "gone", "x");
	registry_event_field_set(&ev, "gone", NULL);
	assert_int_equal(ev.n_fields, 3);
	assert_int_equal(registry_event_add(reg, &ev, &cause), 0);
	registry_event_fields_free(&ev);
	test_event(&ev, "cluster.state", "no fields");
	ev.cluster = (char *)"orders";
	assert_int_equal(registry_event_add(reg, &ev, &cause), 0);

	assert_int_equal(registry_event_since(reg, 0, 0, &evs, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(evs[0].n_fields, 3);
	assert_string_equal(evs[0].fields[0].key, "old_master");
	assert_string_equal(registry_event_field(&evs[0], "old_master"), "10.77.0.11:3306");
	assert_string_equal(registry_event_field(&evs[0], "new_master"), "10.77.0.12:3306");
	assert_string_equal(registry_event_field(&evs[0], "reason"), "it's \"dead\"\n");
	assert_null(registry_event_field(&evs[0], "gone"));
	assert_int_equal(evs[1].n_fields, 0);
	assert_null(registry_event_field(&evs[1], "old_master"));
	registry_event_list_free(evs, n);
	test_close(reg);
}

static void
test_registry_names(void **state)
{
	enum registry_state s;
	enum registry_desired d;
	enum registry_role r;
	int i;

	(void)state;
	for (i = REGISTRY_STATE_PENDING; i <= REGISTRY_STATE_UNPROTECTED; i++) {
		assert_int_equal(registry_state_parse(registry_state_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	for (i = REGISTRY_DESIRED_STOPPED; i <= REGISTRY_DESIRED_MONITORED; i++) {
		assert_int_equal(registry_desired_parse(registry_desired_name(i), &d), 0);
		assert_int_equal(d, i);
	}
	for (i = REGISTRY_ROLE_MASTER; i <= REGISTRY_ROLE_UNKNOWN; i++) {
		assert_int_equal(registry_role_parse(registry_role_name(i), &r), 0);
		assert_int_equal(r, i);
	}
	assert_string_equal(registry_state_name(REGISTRY_STATE_FAILING_OVER), "failing-over");
	assert_string_equal(registry_desired_name(REGISTRY_DESIRED_MONITORED), "monitored");
	assert_string_equal(registry_role_name(REGISTRY_ROLE_FAILED), "failed");
	assert_int_equal(registry_state_parse("Pending", &s), -1);
	assert_int_equal(registry_state_parse("", &s), -1);
	assert_int_equal(registry_state_parse(NULL, &s), -1);
	assert_int_equal(registry_desired_parse("running", &d), -1);
	assert_int_equal(registry_role_parse("slave", &r), -1);
}

/* A fresh temporary directory; the caller removes it with test_rmdir. */
static char *
test_tmpdir(void)
{
	char *dir = xstrdup("/tmp/mhaadm-test-registry.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
test_rmdir(const char *dir)
{
	static const char *const names[] = {"registry.db", "registry.db-wal", "registry.db-shm",
	    "garbage.db", "foreign.db", "sub/registry.db", "sub/registry.db-wal",
	    "sub/registry.db-shm"};
	char *path;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path = xasprintf("%s/%s", dir, names[i]);
		unlink(path);
		free(path);
	}
	path = xasprintf("%s/sub", dir);
	rmdir(path);
	free(path);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_config(struct config *cfg, char *path)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->registry = CONFIG_REGISTRY_SQLITE;
	cfg->registry_path = path;
}

static void
test_write_garbage(const char *path)
{
	FILE *f = fopen(path, "w");
	int i;

	assert_non_null(f);
	for (i = 0; i < 200; i++)
		fputs("this is not a database, it is a text file. ", f);
	assert_int_equal(fclose(f), 0);
}

/* Runs sql on the SQLite file at path, as a DBA with the sqlite3 shell would. */
static void
test_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_registry_files(void **state)
{
	struct registry *reg;
	struct config cfg;
	struct stat sb;
	char *dir, *path, *cause = NULL, *expect;
	int version;

	(void)state;
	test_sqlite_only();
	dir = test_tmpdir();

	/* A command on a registry that is not there creates nothing. */
	path = xasprintf("%s/sub/registry.db", dir);
	test_config(&cfg, path);
	assert_null(registry_open(&cfg, 1, &cause));
	expect = xasprintf("registry %s does not exist; run 'mhaadm init' first", path);
	assert_string_equal(cause, expect);
	free(expect);
	free(cause);
	cause = NULL;
	assert_int_equal(stat(path, &sb), -1);

	/* init creates the directory 0700 and the file 0600. */
	reg = registry_open(&cfg, 0, &cause);
	assert_non_null(reg);
	assert_int_equal(registry_schema_version(reg, &version, &cause), 0);
	assert_int_equal(version, 0);
	registry_close(reg);

	/* An empty file is a registry without a schema. */
	assert_null(registry_open(&cfg, 1, &cause));
	expect = xasprintf("registry %s has no schema; run 'mhaadm init' first", path);
	assert_string_equal(cause, expect);
	free(expect);
	free(cause);
	cause = NULL;

	reg = registry_open(&cfg, 0, &cause);
	assert_non_null(reg);
	assert_int_equal(registry_init(reg, &cause), 0);
	registry_close(reg);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(path);
	path = xasprintf("%s/sub", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(path);
	path = xasprintf("%s/sub/registry.db", dir);
	cfg.registry_path = path;
	reg = registry_open(&cfg, 1, &cause);
	assert_non_null(reg);
	assert_null(cause);
	registry_close(reg);
	free(path);

	/* Garbage. */
	path = xasprintf("%s/garbage.db", dir);
	test_write_garbage(path);
	test_config(&cfg, path);
	assert_null(registry_open(&cfg, 1, &cause));
	expect = xasprintf("%s is not an mhaadm registry (file is not a database)", path);
	assert_string_equal(cause, expect);
	free(expect);
	free(cause);
	cause = NULL;
	assert_null(registry_open(&cfg, 0, &cause));
	assert_non_null(strstr(cause, "is not an mhaadm registry"));
	free(cause);
	cause = NULL;
	assert_null(registry_open_sqlite(path, &cause));
	assert_non_null(strstr(cause, "is not an mhaadm registry"));
	free(cause);
	cause = NULL;
	free(path);

	/* Another application's SQLite database is refused, and left alone. */
	path = xasprintf("%s/foreign.db", dir);
	test_sql(path, "CREATE TABLE accounts (id INTEGER); CREATE TABLE users (name TEXT);");
	test_config(&cfg, path);
	assert_null(registry_open(&cfg, 0, &cause));
	expect = xasprintf("%s is not an mhaadm registry (it has tables of its own but no "
	                   "schema_info: accounts, users)",
	    path);
	assert_string_equal(cause, expect);
	free(expect);
	free(cause);
	cause = NULL;
	free(path);

	test_rmdir(dir);
	free(dir);
}

static void
test_registry_newer(void **state)
{
	struct registry *reg;
	struct config cfg;
	char *dir, *path, *cause = NULL;

	(void)state;
	test_sqlite_only();
	dir = test_tmpdir();
	path = xasprintf("%s/registry.db", dir);
	test_config(&cfg, path);
	reg = registry_open(&cfg, 0, &cause);
	assert_non_null(reg);
	assert_int_equal(registry_init(reg, &cause), 0);
	registry_close(reg);

	test_sql(path, "UPDATE schema_info SET version = version + 1");
	assert_null(registry_open(&cfg, 1, &cause));
	assert_non_null(strstr(cause, "made by a newer mhaadm"));
	free(cause);
	cause = NULL;
	assert_null(registry_open(&cfg, 0, &cause));
	assert_non_null(strstr(cause, "made by a newer mhaadm"));
	free(cause);

	free(path);
	test_rmdir(dir);
	free(dir);
}

/*
 * The seed workflow: a DBA inserts rows by hand (only the columns without a
 * default), then add reads and updates them. Two handles on one file share
 * the UNIQUE guard.
 */
static void
test_registry_seed(void **state)
{
	struct registry *reg, *reg2;
	struct registry_cluster *got = NULL, *c;
	struct registry_event ev;
	struct config cfg;
	sqlite3 *db = NULL;
	char *dir, *path, *cause = NULL;

	(void)state;
	test_sqlite_only();
	dir = test_tmpdir();
	path = xasprintf("%s/registry.db", dir);
	test_config(&cfg, path);
	reg = registry_open(&cfg, 0, &cause);
	assert_non_null(reg);
	assert_int_equal(registry_init(reg, &cause), 0);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "INSERT INTO clusters (name, vip) VALUES ('orders', '10.77.0.100');"
	        "INSERT INTO nodes (cluster_id, host) SELECT id, '10.77.0.11' FROM clusters"
	        "  WHERE name = 'orders';"
	        "INSERT INTO nodes (cluster_id, host, port) SELECT id, '10.77.0.12', 3306"
	        "  FROM clusters WHERE name = 'orders';",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	/* The schema refuses a bad state and a node twice, even by hand. */
	assert_int_not_equal(
	    sqlite3_exec(db, "UPDATE clusters SET state = 'bogus'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db,
	                         "INSERT INTO nodes (cluster_id, host) SELECT id,"
	                         " '10.77.0.11' FROM clusters",
	                         NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_int_equal(got->state, REGISTRY_STATE_PENDING);
	assert_int_equal(got->desired, REGISTRY_DESIRED_STOPPED);
	assert_int_equal(got->vip_prefix, 24);
	assert_string_equal(got->iface, "eth0");
	assert_int_equal(got->n_nodes, 2);
	assert_int_equal(got->nodes[0].port, 3306);
	assert_int_equal(got->nodes[0].role, REGISTRY_ROLE_UNKNOWN);
	assert_int_equal(got->nodes[0].candidate_master, 0);
	assert_null(got->nodes[0].version);
	assert_int_equal(got->nodes[0].server_id, -1);
	assert_int_equal(got->nodes[0].read_only, -1);

	got->state = REGISTRY_STATE_REGISTERED;
	got->nodes[0].role = REGISTRY_ROLE_MASTER;
	got->nodes[1].role = REGISTRY_ROLE_REPLICA;
	test_event(&ev, "cluster.added", "verified");
	assert_int_equal(registry_cluster_update(reg, got, &ev, &cause), 0);
	registry_cluster_free(got);

	reg2 = registry_open(&cfg, 1, &cause);
	assert_non_null(reg2);
	c = test_cluster("billing", "10.77.0.100", 1, "10.77.0.21", 3306);
	test_add_refused(reg2, c, "VIP 10.77.0.100 is already used by cluster 'orders'");
	registry_cluster_free(c);
	registry_close(reg2);

	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_int_equal(got->state, REGISTRY_STATE_REGISTERED);
	assert_int_equal(got->nodes[0].role, REGISTRY_ROLE_MASTER);
	registry_cluster_free(got);
	registry_close(reg);

	free(path);
	test_rmdir(dir);
	free(dir);
}

/* The version-1 schema as mhaadm 0d026e8 created it, with one cluster in it. */
static const char test_v1_sql[] =
    "CREATE TABLE schema_info (id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  version INTEGER NOT NULL);"
    "CREATE TABLE clusters (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE CHECK (name <> ''), vip TEXT NOT NULL UNIQUE CHECK (vip <> ''),"
    "  vip_prefix INTEGER NOT NULL DEFAULT 24 CHECK (vip_prefix BETWEEN 1 AND 32),"
    "  iface TEXT NOT NULL DEFAULT 'eth0' CHECK (iface <> ''),"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'registered',"
    "    'ready', 'monitoring', 'failing-over', 'stopped', 'unprotected')),"
    "  desired TEXT NOT NULL DEFAULT 'stopped' CHECK (desired IN ('stopped', 'monitored')),"
    "  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);"
    "CREATE TABLE nodes (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,"
    "  host TEXT NOT NULL COLLATE NOCASE CHECK (host <> ''),"
    "  port INTEGER NOT NULL DEFAULT 3306 CHECK (port BETWEEN 1 AND 65535),"
    "  role TEXT NOT NULL DEFAULT 'unknown' CHECK (role IN ('master', 'replica', 'failed',"
    "    'unknown')),"
    "  candidate_master INTEGER NOT NULL DEFAULT 0 CHECK (candidate_master IN (0, 1)),"
    "  no_master INTEGER NOT NULL DEFAULT 0 CHECK (no_master IN (0, 1)),"
    "  version TEXT, server_id INTEGER, read_only INTEGER, log_bin INTEGER, lag INTEGER,"
    "  UNIQUE (host, port));"
    "CREATE INDEX nodes_cluster_id ON nodes (cluster_id);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, cluster TEXT, node TEXT,"
    "  type TEXT NOT NULL, message TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX events_cluster_id ON events (cluster, id);"
    "INSERT INTO schema_info (id, version) VALUES (1, 1);"
    "INSERT INTO clusters (name, vip, state) VALUES ('orders', '10.77.0.100', 'monitoring');"
    "INSERT INTO nodes (cluster_id, host, role) SELECT id, '10.77.0.11', 'master'"
    "  FROM clusters;"
    "INSERT INTO events (cluster, type, message) VALUES ('orders', 'cluster.added', 'old');";

/* init upgrades a version-1 registry in place, keeps its rows, and is idempotent. */
static void
test_registry_upgrade_v1(void **state)
{
	struct registry *reg;
	struct registry_cluster *got = NULL, *c;
	struct registry_event *evs = NULL;
	struct config cfg;
	char *dir, *path, *cause = NULL;
	size_t n;
	int version = 0, pass;

	(void)state;
	test_sqlite_only();
	dir = test_tmpdir();
	path = xasprintf("%s/registry.db", dir);
	test_sql(path, test_v1_sql);
	test_config(&cfg, path);
	for (pass = 0; pass < 2; pass++) {
		reg = registry_open(&cfg, 1, &cause);
		assert_non_null(reg);
		assert_int_equal(registry_init(reg, &cause), 0);
		assert_null(cause);
		assert_int_equal(registry_schema_version(reg, &version, &cause), 0);
		assert_int_equal(version, REGISTRY_SCHEMA_VERSION);
		registry_close(reg);
	}
	reg = registry_open(&cfg, 1, &cause);
	assert_non_null(reg);
	assert_int_equal(registry_cluster_get(reg, "orders", &got, &cause), 0);
	assert_string_equal(got->engine, "mha");
	assert_int_equal(got->state, REGISTRY_STATE_MONITORING);
	assert_int_equal(got->n_nodes, 1);
	registry_cluster_free(got);
	assert_int_equal(registry_event_list(reg, "orders", 0, &evs, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0].message, "old");
	registry_event_list_free(evs, n);
	c = test_cluster("billing", "10.77.0.101", 1, "10.77.0.21", 3306);
	c->engine = xstrdup("native");
	test_add(reg, c);
	registry_cluster_free(c);
	assert_int_equal(registry_cluster_get(reg, "billing", &got, &cause), 0);
	assert_string_equal(got->engine, "native");
	registry_cluster_free(got);
	registry_close(reg);

	free(path);
	test_rmdir(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_init),
	    cmocka_unit_test(test_registry_round_trip),
	    cmocka_unit_test(test_registry_duplicates),
	    cmocka_unit_test(test_registry_update),
	    cmocka_unit_test(test_registry_del),
	    cmocka_unit_test(test_registry_set_state),
	    cmocka_unit_test(test_registry_set_desired_if),
	    cmocka_unit_test(test_registry_set_master),
	    cmocka_unit_test(test_registry_events),
	    cmocka_unit_test(test_registry_event_fields),
	    cmocka_unit_test(test_registry_names),
	    cmocka_unit_test(test_registry_files),
	    cmocka_unit_test(test_registry_newer),
	    cmocka_unit_test(test_registry_seed),
	    cmocka_unit_test(test_registry_upgrade_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
