/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for status: verdicts and findings on hand-built probe results, the lag policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"
#include "status.h"
#include "vip.h"
#include "xmalloc.h"

#define TEST_NODES 3

/* A registered, monitored 3-node cluster (h1 master) and its probe, all healthy. */
struct test_fixture {
	struct registry_cluster c;
	struct registry_node nodes[TEST_NODES];
	struct status_cluster *sc;
	struct status_monitor mon;
};

static void
test_fixture_init(struct test_fixture *f)
{
	static const char *const hosts[TEST_NODES] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
	struct probe_result *pr;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->c.name = (char *)"orders";
	f->c.vip = (char *)"10.0.0.100";
	f->c.vip_prefix = 24;
	f->c.iface = (char *)"eth0";
	f->c.state = REGISTRY_STATE_MONITORING;
	f->c.desired = REGISTRY_DESIRED_MONITORED;
	f->c.nodes = f->nodes;
	f->c.n_nodes = TEST_NODES;
	f->sc = xcalloc(1, sizeof(*f->sc));
	f->sc->c = &f->c;
	f->sc->nodes = xcalloc(TEST_NODES, sizeof(*f->sc->nodes));
	for (i = 0; i < TEST_NODES; i++) {
		f->nodes[i].host = (char *)hosts[i];
		f->nodes[i].port = 3306;
		f->nodes[i].role = i == 0 ? REGISTRY_ROLE_MASTER : REGISTRY_ROLE_REPLICA;
		pr = &f->sc->nodes[i].probe;
		pr->host = xstrdup(hosts[i]);
		pr->port = 3306;
		pr->ok = 1;
		pr->server_id = i + 1;
		pr->log_bin = 1;
		pr->lag = -1;
		pr->relay_behind = -1;
		f->sc->nodes[i].holds_vip = i == 0;
		if (i == 0)
			continue;
		pr->read_only = 1;
		pr->is_replica = 1;
		pr->master_host = xstrdup(hosts[0]);
		pr->master_port = 3306;
		pr->master_server_id = 1;
		pr->io_running = 1;
		pr->sql_running = 1;
		pr->lag = 0;
		pr->relay_behind = 0;
	}
	f->mon.running = 1;
	f->mon.health = "PING_OK";
	f->mon.health_ok = 1;
}

static void
test_fixture_done(struct test_fixture *f)
{
	status_free(f->sc, 1);
}

static const struct status_finding *
test_find(const struct status_cluster *sc, const char *kind)
{
	size_t i;

	for (i = 0; i < sc->n_findings; i++) {
		if (strcmp(sc->findings[i].kind, kind) == 0)
			return &sc->findings[i];
	}
	return NULL;
}

static void
test_healthy(void **state)
{
	struct test_fixture f;

	(void)state;
	test_fixture_init(&f);
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_OK);
	assert_string_equal(f.sc->reason, "healthy");
	assert_int_equal(f.sc->fit, 2);
	assert_int_equal(f.sc->running, 2);
	assert_int_equal(f.sc->max_lag, 0);
	assert_int_equal(f.sc->n_findings, 0);
	test_fixture_done(&f);
}

static void
test_selffence_agent(void **state)
{
	const struct status_finding *fd;
	struct test_fixture f;

	(void)state;
	/* Wanted and running, or unknown (host not asked): no finding. */
	test_fixture_init(&f);
	f.sc->selffence_wanted = 1;
	f.sc->selffence_running = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_OK);
	test_fixture_done(&f);
	test_fixture_init(&f);
	f.sc->selffence_wanted = 1;
	f.sc->selffence_running = -1;
	status_judge(f.sc, &f.mon, 60);
	assert_null(test_find(f.sc, "selffence.not_running"));
	test_fixture_done(&f);
	/* Wanted and not running: degraded, naming the master and the fix. */
	test_fixture_init(&f);
	f.sc->selffence_wanted = 1;
	f.sc->selffence_running = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	assert_non_null(fd = test_find(f.sc, "selffence.not_running"));
	assert_non_null(strstr(fd->what, "no self-fence agent runs on the master"));
	assert_non_null(strstr(fd->fix, "mhaadm start"));
	test_fixture_done(&f);
	/* Not wanted: whatever runs is no finding. */
	test_fixture_init(&f);
	f.sc->selffence_running = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_OK);
	test_fixture_done(&f);
}

static void
test_vip_split_and_elsewhere(void **state)
{
	struct test_fixture f;
	const struct status_finding *x;

	(void)state;
	test_fixture_init(&f);
	f.sc->nodes[2].holds_vip = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_AT_RISK);
	assert_non_null(x = test_find(f.sc, "drift.vip_split"));
	assert_non_null(strstr(x->what, "10.0.0.1, 10.0.0.3"));
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.sc->nodes[0].holds_vip = 0;
	f.sc->nodes[1].holds_vip = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_non_null(x = test_find(f.sc, "drift.vip_elsewhere"));
	assert_non_null(strstr(x->what, "held by 10.0.0.2, not by the master 10.0.0.1"));
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.sc->nodes[0].holds_vip = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_non_null(test_find(f.sc, "drift.vip_missing"));
	test_fixture_done(&f);

	/* Not knowing is not "missing". */
	test_fixture_init(&f);
	f.sc->nodes[0].holds_vip = -1;
	status_judge(f.sc, &f.mon, 60);
	assert_null(test_find(f.sc, "drift.vip_missing"));
	assert_non_null(test_find(f.sc, "vip.unknown"));
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	test_fixture_done(&f);
}

static void
test_lag_delay_and_no_candidate(void **state)
{
	struct test_fixture f;
	const struct status_finding *x;

	(void)state;
	test_fixture_init(&f);
	f.sc->nodes[1].probe.lag = 120;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	assert_non_null(x = test_find(f.sc, "lag.exceeded"));
	assert_string_equal(x->node, "10.0.0.2:3306");
	assert_string_equal(f.sc->nodes[1].unfit, "lags 120 s, more than max_lag 60 s");
	assert_int_equal(f.sc->fit, 1);
	assert_int_equal(f.sc->max_lag, 120);
	test_fixture_done(&f);

	/* max_lag 0: lag alone never takes a replica out. */
	test_fixture_init(&f);
	f.sc->nodes[1].probe.lag = 120;
	status_judge(f.sc, &f.mon, 0);
	assert_int_equal(f.sc->fit, 2);
	test_fixture_done(&f);

	/* A delayed replica is by design: not a finding, but never a candidate. */
	test_fixture_init(&f);
	f.sc->nodes[1].probe.sql_delay = 3600;
	f.sc->nodes[2].probe.sql_running = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_string_equal(f.sc->nodes[1].unfit, "delayed replica (MASTER_DELAY 3600 s)");
	assert_string_equal(f.sc->nodes[2].unfit, "SQL thread stopped");
	assert_non_null(test_find(f.sc, "replica.sql_stopped"));
	assert_non_null(test_find(f.sc, "promotion.no_candidate"));
	assert_int_equal(f.sc->fit, 0);
	assert_int_equal(f.sc->verdict, STATUS_AT_RISK);
	test_fixture_done(&f);
}

static void
test_master_and_source_drift(void **state)
{
	struct test_fixture f;
	struct probe_result *m;

	(void)state;
	test_fixture_init(&f);
	f.sc->nodes[0].probe.read_only = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DOWN);
	assert_non_null(test_find(f.sc, "drift.master_read_only"));
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.sc->nodes[2].probe.master_server_id = 2; /* h3 follows h2 */
	status_judge(f.sc, &f.mon, 60);
	assert_non_null(test_find(f.sc, "drift.replica_source"));
	assert_int_equal(f.sc->fit, 1);
	test_fixture_done(&f);

	test_fixture_init(&f);
	m = &f.sc->nodes[0].probe;
	m->peers = xcalloc(2, sizeof(*m->peers));
	m->peers[0].host = xstrdup("10.0.0.2");
	m->peers[0].port = 3306;
	m->peers[1].host = xstrdup("10.0.0.9");
	m->n_peers = 2;
	status_judge(f.sc, &f.mon, 60);
	assert_non_null(test_find(f.sc, "drift.unregistered_replica"));
	assert_int_equal(f.sc->n_findings, 1);
	test_fixture_done(&f);

	/* Unreachable from here while the replicas still replicate: degraded, not down. */
	test_fixture_init(&f);
	f.sc->nodes[0].probe.ok = 0;
	f.sc->nodes[0].probe.error = xstrdup("Can't connect");
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	assert_non_null(test_find(f.sc, "master.unreachable_from_manager"));
	assert_null(test_find(f.sc, "master.unreachable"));
	assert_int_equal(f.sc->partitioned, 1);
	test_fixture_done(&f);

	/* MHA's pings fail meanwhile (PING_FAILING): still degraded, no failover running. */
	test_fixture_init(&f);
	f.sc->nodes[0].probe.ok = 0;
	f.mon.failing_over = 1;
	f.mon.suspecting = 1;
	f.mon.health_ok = 0;
	f.mon.health = "PING_FAILING";
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	assert_null(test_find(f.sc, "failover.running"));
	assert_non_null(test_find(f.sc, "monitoring.starting"));
	test_fixture_done(&f);

	/* Unreachable and no replica's IO thread runs: down. */
	test_fixture_init(&f);
	f.sc->nodes[0].probe.ok = 0;
	f.sc->nodes[0].probe.error = xstrdup("Can't connect");
	f.sc->nodes[1].probe.io_running = 0;
	f.sc->nodes[2].probe.io_running = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DOWN);
	assert_non_null(test_find(f.sc, "master.unreachable"));
	test_fixture_done(&f);
}

/* A replica holding a GTID its master never had: a finding, and never promoted. */
static void
test_errant(void **state)
{
	struct test_fixture f;
	const struct status_finding *fd;
	char *g = NULL;

	(void)state;
	test_fixture_init(&f);
	f.sc->nodes[0].probe.gtid_binlog_state = xstrdup("0-1-10");
	f.sc->nodes[1].probe.gtid_binlog_state = xstrdup("0-1-10");
	f.sc->nodes[2].probe.gtid_binlog_state = xstrdup("0-1-9,0-3-1");
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	fd = test_find(f.sc, "replica.errant");
	assert_non_null(fd);
	assert_string_equal(fd->node, "10.0.0.3:3306");
	assert_non_null(strstr(fd->what, "0-3-1"));
	assert_non_null(fd->fix);
	assert_int_equal(f.sc->nodes[2].promotable, 0);
	assert_non_null(strstr(f.sc->nodes[2].unfit, "errant"));
	assert_int_equal(f.sc->nodes[1].promotable, 1);
	assert_int_equal(f.sc->fit, 1);
	assert_int_equal(status_errant(&f.sc->nodes[2].probe, &f.sc->nodes[0].probe, &g), 1);
	free(g);
	assert_int_equal(status_errant(&f.sc->nodes[1].probe, &f.sc->nodes[0].probe, &g), 0);
	/*
	 * Under writes the replica may be read a moment after the master: the
	 * master's own newer GTIDs on it are not errant (server 1 is the master).
	 */
	f.sc->nodes[0].probe.server_id = 1;
	free(f.sc->nodes[1].probe.gtid_binlog_state);
	f.sc->nodes[1].probe.gtid_binlog_state = xstrdup("0-1-12");
	assert_int_equal(status_errant(&f.sc->nodes[1].probe, &f.sc->nodes[0].probe, &g), 0);
	assert_null(g);
	/* Unknown on one side (MySQL, no state): no finding. */
	free(f.sc->nodes[0].probe.gtid_binlog_state);
	f.sc->nodes[0].probe.gtid_binlog_state = NULL;
	assert_int_equal(status_errant(&f.sc->nodes[2].probe, &f.sc->nodes[0].probe, &g), 0);
	test_fixture_done(&f);
}

static void
test_monitoring(void **state)
{
	struct test_fixture f;

	(void)state;
	test_fixture_init(&f);
	f.c.desired = REGISTRY_DESIRED_STOPPED;
	f.c.state = REGISTRY_STATE_STOPPED;
	f.sc->nodes[1].probe.lag = 999;
	status_judge(f.sc, &f.mon, 60);
	/* The worst finding names the verdict; the others are counted. */
	assert_int_equal(f.sc->verdict, STATUS_UNPROTECTED);
	assert_non_null(strstr(f.sc->reason, "not monitored"));
	assert_non_null(strstr(f.sc->reason, "(and 1 more)"));
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.mon.running = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_UNPROTECTED);
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.mon.health_ok = 0;
	f.mon.health = "INITIALIZING_MONITOR";
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	test_fixture_done(&f);
}

/* Makes replica i of the fixture unreachable, as a killed mysqld looks to the probe. */
static void
test_kill(struct test_fixture *f, size_t i)
{
	struct probe_result *pr = &f->sc->nodes[i].probe;

	pr->ok = 0;
	pr->is_replica = 0;
	pr->error = xstrdup("Can't connect to server on '10.0.0.x' (111)");
}

/*
 * A dead replica is no reason for a failover to fail (the MHA engine
 * renders ignore_fail=1): degraded and ready while another may be promoted,
 * at-risk and blocked once none may.
 */
static void
test_dead_replica(void **state)
{
	struct test_fixture f;
	char *why = NULL;

	(void)state;
	test_fixture_init(&f);
	test_kill(&f, 2);
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DEGRADED);
	assert_int_equal(f.sc->fit, 1);
	assert_non_null(test_find(f.sc, "replica.unreachable"));
	assert_null(test_find(f.sc, "promotion.no_candidate"));
	assert_non_null(strstr(f.sc->nodes[2].unfit, "unreachable"));
	assert_int_equal(f.sc->nodes[1].promotable, 1);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 1);
	assert_null(why);
	test_fixture_done(&f);

	/* Both replicas dead: nothing to promote, and list must say so. */
	test_fixture_init(&f);
	test_kill(&f, 1);
	test_kill(&f, 2);
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_AT_RISK);
	assert_int_equal(f.sc->fit, 0);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 0);
	assert_non_null(strstr(why, "no replica may be promoted"));
	free(why);
	why = NULL;
	test_fixture_done(&f);

	/* The last candidate dead, the other replica no_master: blocked. */
	test_fixture_init(&f);
	f.nodes[1].no_master = 1;
	test_kill(&f, 2);
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_AT_RISK);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 0);
	free(why);
	why = NULL;
	test_fixture_done(&f);
}

/*
 * A replica the engine left out (it was unreachable at its start) is no
 * candidate even once it answers: the engine would not promote it. It is
 * caught up when it follows the master with no lag.
 */
static void
test_left_out_replica(void **state)
{
	struct test_fixture f;
	char *why = NULL;

	(void)state;
	test_fixture_init(&f);
	f.mon.left_out = "10.0.0.3:3306\n";
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->nodes[2].left_out, 1);
	assert_int_equal(f.sc->nodes[1].left_out, 0);
	assert_int_equal(f.sc->nodes[2].promotable, 0);
	assert_non_null(strstr(f.sc->nodes[2].unfit, "left out"));
	assert_int_equal(f.sc->nodes[2].caught_up, 1);
	assert_int_equal(f.sc->fit, 1);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 1);
	test_fixture_done(&f);

	/* Lagging beyond max_lag: not caught up yet. */
	test_fixture_init(&f);
	f.mon.left_out = "10.0.0.3:3306\n";
	f.sc->nodes[2].probe.lag = 120;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->nodes[2].caught_up, 0);
	test_fixture_done(&f);

	/* max_lag 0 (lag ignored): caught up means no lag at all. */
	test_fixture_init(&f);
	f.mon.left_out = "10.0.0.3:3306";
	f.sc->nodes[2].probe.lag = 3;
	status_judge(f.sc, &f.mon, 0);
	assert_int_equal(f.sc->nodes[2].left_out, 1);
	assert_int_equal(f.sc->nodes[2].caught_up, 0);
	test_fixture_done(&f);

	/* The other replica dead and this one left out: the engine has nobody to promote. */
	test_fixture_init(&f);
	f.mon.left_out = "10.0.0.3:3306\n";
	test_kill(&f, 1);
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->fit, 0);
	assert_int_equal(f.sc->verdict, STATUS_AT_RISK);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 0);
	free(why);
	test_fixture_done(&f);
}

/* Readiness follows the engine: not running, starting, failing over, a failed-failover marker. */
static void
test_failover_readiness(void **state)
{
	struct test_fixture f;
	char *why = NULL;

	(void)state;
	test_fixture_init(&f);
	f.mon.running = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 0);
	assert_non_null(strstr(why, "not running"));
	free(why);
	why = NULL;
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.mon.health_ok = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), -1);
	assert_null(why);
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.mon.failing_over = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), -1);
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.mon.error_marker = "/var/lib/mhaadm/mha/orders/orders.failover.error";
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 0);
	assert_non_null(strstr(why, "marker"));
	free(why);
	why = NULL;
	test_fixture_done(&f);

	test_fixture_init(&f);
	f.c.desired = REGISTRY_DESIRED_STOPPED;
	f.c.state = REGISTRY_STATE_STOPPED;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(status_failover_ready(f.sc, &f.mon, &why), 0);
	free(why);
	test_fixture_done(&f);

	assert_int_equal(status_has_line("a:1\nb:2\n", "b:2"), 1);
	assert_int_equal(status_has_line("a:1\nb:22\n", "b:2"), 0);
	assert_int_equal(status_has_line(NULL, "b:2"), 0);
}

static void
test_vip_addrs_have(void **state)
{
	const char *out = "1: lo    inet 127.0.0.1/8 scope host lo\n"
	                  "2: eth0    inet 10.77.0.100/24 scope global eth0\n"
	                  "2: eth0    inet 10.77.0.11/24 scope global eth0\n";

	(void)state;
	assert_int_equal(vip_addrs_have(out, "10.77.0.100"), 1);
	assert_int_equal(vip_addrs_have(out, "10.77.0.11"), 1);
	assert_int_equal(vip_addrs_have(out, "10.77.0.1"), 0);
	assert_int_equal(vip_addrs_have(out, "0.0.100"), 0);
	assert_int_equal(vip_addrs_have("", "10.77.0.1"), 0);
}

/* The isolation guard: semi-sync as the master reports it, when it is wanted. */
static void
test_guard(void **state)
{
	struct test_fixture f;
	const struct status_finding *x;
	struct probe_semisync *ss;

	(void)state;
	test_fixture_init(&f);
	ss = &f.sc->nodes[0].probe.semisync;
	ss->known = ss->master_enabled = ss->master_on = ss->after_sync = 1;
	ss->timeout_ms = 4294967295ULL;
	ss->clients = 2;
	f.sc->guard_wanted = 1;
	f.sc->nodes[1].probe.semisync.known = f.sc->nodes[1].probe.semisync.slave_enabled = 1;
	f.sc->nodes[2].probe.semisync.known = f.sc->nodes[2].probe.semisync.slave_enabled = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_OK);
	assert_string_equal(f.sc->guard, "semisync");
	assert_int_equal(f.sc->guard_acks, 2);
	test_fixture_done(&f);

	/* No replica acknowledges and a session waits: writes stall, at once the worst. */
	test_fixture_init(&f);
	ss = &f.sc->nodes[0].probe.semisync;
	ss->known = ss->master_enabled = ss->master_on = ss->after_sync = 1;
	ss->wait_sessions = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_DOWN);
	assert_non_null(x = test_find(f.sc, "guard.stalled"));
	assert_non_null(strstr(x->what, "writes stall"));
	assert_string_equal(f.sc->guard, "stalled");
	test_fixture_done(&f);

	/* The master still counts dead replicas: commits wait, nobody follows it: a stall. */
	test_fixture_init(&f);
	ss = &f.sc->nodes[0].probe.semisync;
	ss->known = ss->master_enabled = ss->master_on = ss->after_sync = 1;
	ss->clients = 2;
	ss->wait_sessions = 1;
	f.sc->nodes[1].probe.ok = f.sc->nodes[2].probe.ok = 0;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->guard_stalled, 1);
	test_fixture_done(&f);

	/* A commit waiting a moment while the replicas follow: normal. */
	test_fixture_init(&f);
	ss = &f.sc->nodes[0].probe.semisync;
	ss->known = ss->master_enabled = ss->master_on = ss->after_sync = 1;
	ss->clients = 2;
	ss->wait_sessions = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->guard_stalled, 0);
	assert_null(test_find(f.sc, "guard.stalled"));
	test_fixture_done(&f);

	/* Wanted but off on the master; a replica that does not acknowledge. */
	test_fixture_init(&f);
	f.sc->nodes[0].probe.semisync.known = 1;
	f.sc->nodes[2].probe.semisync.known = 1;
	f.sc->guard_wanted = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_non_null(test_find(f.sc, "guard.off"));
	assert_string_equal(f.sc->guard, "off");
	test_fixture_done(&f);

	/* Not wanted and off: nothing to say. */
	test_fixture_init(&f);
	f.sc->nodes[0].probe.semisync.known = 1;
	status_judge(f.sc, &f.mon, 60);
	assert_int_equal(f.sc->verdict, STATUS_OK);
	test_fixture_done(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_healthy),
	    cmocka_unit_test(test_selffence_agent),
	    cmocka_unit_test(test_guard),
	    cmocka_unit_test(test_vip_split_and_elsewhere),
	    cmocka_unit_test(test_lag_delay_and_no_candidate),
	    cmocka_unit_test(test_master_and_source_drift),
	    cmocka_unit_test(test_monitoring),
	    cmocka_unit_test(test_errant),
	    cmocka_unit_test(test_vip_addrs_have),
	    cmocka_unit_test(test_dead_replica),
	    cmocka_unit_test(test_left_out_replica),
	    cmocka_unit_test(test_failover_readiness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
