/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for topology: master and replica checks on hand-built probe results, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"
#include "topology.h"
#include "xmalloc.h"

#define TEST_MAX_NODES 4

/* The nodes of one test; numeric addresses only, so nothing is ever looked up in DNS. */
struct test_cluster {
	struct probe_result nodes[TEST_MAX_NODES];
	size_t n;
};

/* Makes nodes[i] a reachable server with binary logs on. */
static struct probe_result *
test_node(struct test_cluster *c, const char *host, unsigned long server_id, int read_only)
{
	struct probe_result *r = &c->nodes[c->n++];

	r->host = xstrdup(host);
	r->port = 3306;
	r->ok = 1;
	r->version = xstrdup("10.11.19-MariaDB-0+deb12u1-log");
	r->server_id = server_id;
	r->read_only = read_only;
	r->log_bin = 1;
	r->lag = -1;
	return r;
}

/* Makes r a healthy replica of master, as SHOW SLAVE STATUS would show it. */
static void
test_replicate(struct probe_result *r, const struct probe_result *master)
{
	free(r->master_host);
	r->is_replica = 1;
	r->master_host = xstrdup(master->host);
	r->master_port = master->port;
	r->master_server_id = master->server_id;
	r->io_running = 1;
	r->sql_running = 1;
	r->lag = 0;
}

/* The lab's healthy cluster: 10.77.0.11 master, .12 and .13 its replicas. */
static void
test_healthy(struct test_cluster *c)
{
	struct probe_result *m;

	m = test_node(c, "10.77.0.11", 1, 0);
	test_replicate(test_node(c, "10.77.0.12", 2, 1), m);
	test_replicate(test_node(c, "10.77.0.13", 3, 1), m);
}

static int
test_setup(void **state)
{
	*state = xcalloc(1, sizeof(struct test_cluster));
	return 0;
}

static int
test_teardown(void **state)
{
	struct test_cluster *c = *state;
	size_t i;

	for (i = 0; i < c->n; i++)
		probe_result_clear(&c->nodes[i]);
	free(c);
	return 0;
}

/* Asserts that resolving c (with want) fails with exactly the expected cause. */
static void
test_refused(struct test_cluster *c, const char *want, const char *expected)
{
	size_t idx = 99;
	char *cause = NULL;

	assert_int_equal(topology_resolve(c->nodes, c->n, want, &idx, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, expected);
	assert_int_equal(idx, 99);
	free(cause);
}

/* Asserts that resolving c (with want) finds the master at index expected. */
static void
test_accepted(struct test_cluster *c, const char *want, size_t expected)
{
	size_t idx = 99;
	char *cause = NULL;

	assert_int_equal(topology_resolve(c->nodes, c->n, want, &idx, &cause), 0);
	assert_null(cause);
	assert_int_equal(idx, expected);
}

static void
test_topology_healthy(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	test_accepted(c, NULL, 0);
}

static void
test_topology_master_last(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *a, *b, *m;

	a = test_node(c, "10.77.0.12", 2, 1);
	b = test_node(c, "10.77.0.13", 3, 1);
	m = test_node(c, "10.77.0.11", 1, 0);
	test_replicate(a, m);
	test_replicate(b, m);
	test_accepted(c, NULL, 2);
}

static void
test_topology_want_master_right(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	test_accepted(c, "10.77.0.11:3306", 0);
	test_accepted(c, "10.77.0.11", 0);
}

static void
test_topology_want_master_wrong(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	test_refused(c, "10.77.0.12:3306",
	    "--master 10.77.0.12:3306 is not the master (10.77.0.11:3306 is)");
	test_refused(c, "10.77.0.11:3307",
	    "--master 10.77.0.11:3307 is not the master (10.77.0.11:3306 is)");
	test_refused(c, "10.77.0.11:x", "--master 10.77.0.11:x is not HOST:PORT");
}

static void
test_topology_two_writable(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	c->nodes[1].read_only = 0; /* a replica that forgot read_only=1 */
	test_refused(c, NULL,
	    "2 writable nodes: 10.77.0.11:3306 and 10.77.0.12:3306 "
	    "(a replica must be read_only=1)");
}

static void
test_topology_three_standalone_writable(void **state)
{
	struct test_cluster *c = *state;

	test_node(c, "10.77.0.11", 1, 0);
	test_node(c, "10.77.0.12", 2, 0);
	test_node(c, "10.77.0.13", 3, 0);
	test_refused(c, NULL,
	    "3 writable nodes: 10.77.0.11:3306, 10.77.0.12:3306 and 10.77.0.13:3306 "
	    "(a replica must be read_only=1)");
}

static void
test_topology_second_writable_with_want(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *m;

	/* Two would-be masters; --master picks the reference, so .12 is checked as well. */
	m = test_node(c, "10.77.0.11", 1, 0);
	test_node(c, "10.77.0.12", 2, 0);
	test_replicate(test_node(c, "10.77.0.13", 3, 1), m);
	test_refused(c, "10.77.0.12:3306",
	    "2 problems:\n"
	    "  - 2 writable nodes: 10.77.0.11:3306 and 10.77.0.12:3306 "
	    "(a replica must be read_only=1)\n"
	    "  - 10.77.0.13:3306 is not a replica of 10.77.0.12:3306 "
	    "(it replicates from 10.77.0.11:3306)");
}

static void
test_topology_replica_not_running(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *r;

	test_healthy(c);
	r = &c->nodes[2];
	r->io_running = 0;
	r->last_error = xstrdup(
	    "error connecting to master 'repl@10.77.0.11:3306' - retry-time: "
	    "60  maximum-retries: 100000  message: Access denied for user 'repl'@'10.77.0.13'");
	test_refused(c, NULL,
	    "10.77.0.13:3306 is not replicating (Slave_IO_Running=No, Slave_SQL_Running=Yes: "
	    "error connecting to master 'repl@10.77.0.11:3306' - retry-time: 60  "
	    "maximum-retries: 100000  message: Access denied for user 'repl'@'10.77.0.13')");

	free(r->last_error);
	r->last_error = NULL;
	r->io_running = 1;
	r->sql_running = 0;
	test_refused(c, NULL,
	    "10.77.0.13:3306 is not replicating (Slave_IO_Running=Yes, Slave_SQL_Running=No)");
}

static void
test_topology_replica_of_other(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	test_replicate(&c->nodes[2], &c->nodes[1]); /* chained: .13 under .12 */
	test_refused(c, NULL,
	    "10.77.0.13:3306 is not a replica of 10.77.0.11:3306 "
	    "(it replicates from 10.77.0.12:3306)");

	/* A master outside the cluster is named by its Master_Host:Master_Port. */
	free(c->nodes[2].master_host);
	c->nodes[2].master_host = xstrdup("10.77.0.99");
	c->nodes[2].master_server_id = 99;
	test_refused(c, NULL,
	    "10.77.0.13:3306 is not a replica of 10.77.0.11:3306 "
	    "(it replicates from 10.77.0.99:3306)");
}

static void
test_topology_not_a_replica(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *r;

	test_healthy(c);
	r = &c->nodes[1];
	r->is_replica = 0;
	r->io_running = r->sql_running = 0;
	test_refused(c, NULL, "10.77.0.12:3306 is not a replica");
}

static void
test_topology_unreachable(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *r;

	test_healthy(c);
	r = &c->nodes[2];
	r->ok = 0;
	r->error = xstrdup("cannot connect to 10.77.0.13:3306: Can't connect to server on "
	                   "'10.77.0.13' (115)");
	/* probe's message already names the node: used as it is. */
	test_refused(c, NULL,
	    "cannot connect to 10.77.0.13:3306: Can't connect to server on '10.77.0.13' (115)");

	/* Every failed probe is listed; a bare reason gets the node in front. */
	r = &c->nodes[0];
	r->ok = 0;
	r->error = xstrdup("Access denied for user 'mha'@'10.77.0.1' (using password: YES)");
	test_refused(c, NULL,
	    "2 problems:\n"
	    "  - cannot probe 10.77.0.11:3306: Access denied for user 'mha'@'10.77.0.1' "
	    "(using password: YES)\n"
	    "  - cannot connect to 10.77.0.13:3306: Can't connect to server on '10.77.0.13' (115)");
}

static void
test_topology_no_master(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	c->nodes[0].read_only = 1; /* e.g. a switchover that forgot read_only=0 */
	test_refused(c, NULL,
	    "2 problems:\n"
	    "  - no writable master: every node is read_only or replicating\n"
	    "  - 10.77.0.11:3306 is neither writable nor a replica");
}

static void
test_topology_circular(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *a, *b;

	a = test_node(c, "10.77.0.11", 1, 0);
	b = test_node(c, "10.77.0.12", 2, 0);
	test_replicate(a, b);
	test_replicate(b, a);
	test_replicate(test_node(c, "10.77.0.13", 3, 1), a);
	test_refused(c, NULL,
	    "3 problems:\n"
	    "  - no writable master: every node is read_only or replicating\n"
	    "  - 10.77.0.11:3306 is writable but also replicating from 10.77.0.12:3306 "
	    "(circular or misconfigured)\n"
	    "  - 10.77.0.12:3306 is writable but also replicating from 10.77.0.11:3306 "
	    "(circular or misconfigured)");
}

static void
test_topology_stale_slave_status_on_master(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *m;

	/* An old master promoted back: slave status left, both threads stopped. */
	test_healthy(c);
	m = &c->nodes[0];
	test_replicate(m, &c->nodes[1]);
	m->io_running = m->sql_running = 0;
	test_accepted(c, NULL, 0);
}

static void
test_topology_single_node(void **state)
{
	struct test_cluster *c = *state;

	test_node(c, "10.77.0.11", 1, 0);
	test_refused(c, NULL, "only one node: MHA needs at least one replica");
	test_refused(c, "10.77.0.11:3306", "only one node: MHA needs at least one replica");
}

static void
test_topology_no_nodes(void **state)
{
	struct test_cluster *c = *state;

	test_refused(c, NULL, "no nodes to check");
}

static void
test_topology_log_bin_off(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	c->nodes[0].log_bin = 0;
	test_refused(
	    c, NULL, "master 10.77.0.11:3306 has log_bin off; MHA needs binary logs on the master");
}

static void
test_topology_same_server_id(void **state)
{
	struct test_cluster *c = *state;

	test_healthy(c);
	c->nodes[2].server_id = 2;
	test_refused(c, NULL, "10.77.0.12:3306 and 10.77.0.13:3306 have the same server_id 2");
}

static void
test_topology_several_problems(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *r;

	test_healthy(c);
	c->nodes[0].log_bin = 0;
	r = &c->nodes[1];
	r->is_replica = 0;
	r->io_running = r->sql_running = 0;
	c->nodes[2].sql_running = 0;
	test_refused(c, "10.77.0.12:3306",
	    "4 problems:\n"
	    "  - --master 10.77.0.12:3306 is not the master (10.77.0.11:3306 is)\n"
	    "  - master 10.77.0.11:3306 has log_bin off; MHA needs binary logs on the master\n"
	    "  - 10.77.0.12:3306 is not a replica\n"
	    "  - 10.77.0.13:3306 is not replicating (Slave_IO_Running=Yes, "
	    "Slave_SQL_Running=No)");
}

static void
test_topology_points_at_server_id(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *m, *r;

	m = test_node(c, "10.77.0.11", 1, 0);
	r = test_node(c, "10.77.0.12", 2, 1);
	test_replicate(r, m);
	assert_true(topology_points_at(r, m));

	/* The id decides while the IO thread runs, whatever Master_Host says. */
	free(r->master_host);
	r->master_host = xstrdup("10.77.0.99");
	assert_true(topology_points_at(r, m));
	r->master_server_id = 7;
	free(r->master_host);
	r->master_host = xstrdup("10.77.0.11");
	assert_false(topology_points_at(r, m));

	/* With the IO thread stopped the id may be stale: host and port decide. */
	r->io_running = 0;
	assert_true(topology_points_at(r, m));

	/* Not a replica: points nowhere. */
	r->is_replica = 0;
	assert_false(topology_points_at(r, m));
}

static void
test_topology_points_at_host_port(void **state)
{
	struct test_cluster *c = *state;
	struct probe_result *m, *r;

	m = test_node(c, "10.77.0.11", 1, 0);
	r = test_node(c, "10.77.0.12", 2, 1);
	test_replicate(r, m);
	r->master_server_id = 0; /* IO thread never connected: id unknown */
	assert_true(topology_points_at(r, m));

	r->master_port = 3307;
	assert_false(topology_points_at(r, m));
	r->master_port = 3306;

	free(r->master_host);
	r->master_host = xstrdup("10.77.0.13");
	assert_false(topology_points_at(r, m));

	/* Same address, spelt differently. */
	free(r->master_host);
	r->master_host = xstrdup("::ffff:10.77.0.11");
	assert_true(topology_points_at(r, m));

	/* The master's own id unknown: host and port decide too. */
	free(r->master_host);
	r->master_host = xstrdup("10.77.0.11");
	r->master_server_id = 5;
	m->server_id = 0;
	assert_true(topology_points_at(r, m));

	free(r->master_host);
	r->master_host = xstrdup("");
	assert_false(topology_points_at(r, m));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_topology_healthy, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_master_last, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_want_master_right, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_want_master_wrong, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_two_writable, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_three_standalone_writable, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_second_writable_with_want, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_replica_not_running, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_replica_of_other, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_not_a_replica, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_unreachable, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_no_master, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_circular, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_stale_slave_status_on_master, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_single_node, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_no_nodes, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_topology_log_bin_off, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_same_server_id, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_several_problems, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_points_at_server_id, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_topology_points_at_host_port, test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
