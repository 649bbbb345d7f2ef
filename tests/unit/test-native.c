/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the native engine's pure parts: GTID order, the SQL table, the non-blocking conn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gtid.h"
#include "master_verdict.h"
#include "native-reader.h"
#include "native-salvage.h"
#include "native-sql.h"
#include "native.h"
#include "test-util.h"

static void
test_gtid_covers(void **state)
{
	(void)state;
	assert_int_equal(native_gtid_covers("0-1-42", "0-1-41"), 1);
	assert_int_equal(native_gtid_covers("0-1-42", "0-1-42"), 1);
	assert_int_equal(native_gtid_covers("0-1-41", "0-1-42"), 0);
	/* A domain the other lacks is not covered. */
	assert_int_equal(native_gtid_covers("0-1-42", "0-1-3,1-2-7"), 0);
	assert_int_equal(native_gtid_covers("0-1-42,1-2-7", "1-2-7,0-1-40"), 1);
	/* The server id of the last event does not matter, only the sequence per domain. */
	assert_int_equal(native_gtid_covers("0-2-43", "0-1-42"), 1);
	assert_int_equal(native_gtid_covers("", ""), 1);
	assert_int_equal(native_gtid_covers("", "0-1-1"), 0);
}

static void
test_gtid_score(void **state)
{
	(void)state;
	assert_true(native_gtid_score("0-1-42") > native_gtid_score("0-1-41"));
	assert_int_equal(native_gtid_score("0-1-42,1-2-8"), 50);
	assert_int_equal(native_gtid_score(""), 0);
	assert_int_equal(native_gtid_score("garbage"), 0);
}

static void
test_replica_interval(void **state)
{
	(void)state;
	/* Small fleets: every replica every 0.5 s. */
	assert_int_equal(native_replica_interval(0), 500);
	assert_int_equal(native_replica_interval(40), 500);
	assert_int_equal(native_replica_interval(250), 500);
	/* Beyond, about 500 sample connections a second in all. */
	assert_int_equal(native_replica_interval(251), 502);
	assert_int_equal(native_replica_interval(2000), 4000);
	/* Never less often than every 10 s. */
	assert_int_equal(native_replica_interval(5000), 10000);
	assert_int_equal(native_replica_interval(1000000), 10000);
}

/*
 * The engine's registry thread: state changes queued while the registry
 * cannot be opened wait (never lost), land in order once it is there, and
 * are reported done with the time they were written; a list read after
 * that time holds them.
 */
static void
test_native_reader_waits_and_orders(void **state)
{
	struct registry_cluster **list = NULL;
	struct native_reader_done *done = NULL, all[2];
	struct test_util_env env;
	struct native_reader *r;
	char *cause = NULL;
	long long read_ms = 0;
	size_t n = 0, k = 0, i, got;
	int tries, fresh = 0;

	(void)state;
	test_util_env_init(&env, "native-reader");
	r = native_reader_start(env.cfg, &cause);
	assert_non_null(r);
	/* No registry file yet. */
	assert_int_equal(native_reader_transition(r, "c1", REGISTRY_STATE_FAILING_OVER,
	                     "failover.started", "failing over"),
	    0);
	assert_int_equal(native_reader_transition(
	                     r, "c1", REGISTRY_STATE_MONITORING, "cluster.reprotected", "again"),
	    0);
	usleep(500 * 1000);
	assert_int_equal(native_reader_done(r, &done), 0);
	assert_int_equal(native_reader_take(r, &list, &n, &read_ms), 0);

	test_util_add_cluster(&env, "c1", REGISTRY_STATE_READY, REGISTRY_DESIRED_MONITORED);
	/* A generous deadline for the thread's retry (every 3 s), not a timing assertion. */
	for (tries = 0; tries < 200 && k < 2; tries++) {
		usleep(100 * 1000);
		got = native_reader_done(r, &done);
		for (i = 0; i < got && k < 2; i++) {
			all[k] = done[i];
			all[k++].cluster = strdup(done[i].cluster);
		}
		native_reader_done_free(done, got);
	}
	assert_int_equal(k, 2);
	assert_int_equal(all[0].state, REGISTRY_STATE_FAILING_OVER);
	assert_int_equal(all[1].state, REGISTRY_STATE_MONITORING);
	assert_true(all[0].ok && all[1].ok);
	assert_true(all[0].at_ms <= all[1].at_ms);
	/* The next list read after the last write holds it. */
	for (tries = 0; tries < 100; tries++) {
		usleep(100 * 1000);
		if (native_reader_take(r, &list, &n, &read_ms)) {
			if (read_ms > all[1].at_ms) {
				fresh = 1;
				break;
			}
			registry_cluster_list_free(list, n);
			list = NULL;
		}
	}
	assert_true(fresh);
	assert_int_equal(n, 1);
	assert_int_equal(list[0]->state, REGISTRY_STATE_MONITORING);
	registry_cluster_list_free(list, n);
	free(all[0].cluster);
	free(all[1].cluster);
	native_reader_stop(r);
	test_util_env_clear(&env);
}

static void
test_sql_table(void **state)
{
	char buf[256];
	int i;

	(void)state;
	/* Every MariaDB statement exists; MySQL has none until it can be tested. */
	for (i = 0; i < NATIVE_SQL_COUNT; i++) {
		assert_non_null(native_sql(NATIVE_FLAVOUR_MARIADB, (enum native_stmt)i));
		assert_null(native_sql(NATIVE_FLAVOUR_MYSQL, (enum native_stmt)i));
	}
	assert_int_equal(native_sql_format(buf, sizeof(buf), NATIVE_FLAVOUR_MARIADB,
	                     NATIVE_SQL_GTID_WAIT, "0-1-42", 5),
	    0);
	assert_string_equal(buf, "SELECT MASTER_GTID_WAIT('0-1-42', 5)");
	assert_int_equal(
	    native_sql_format(buf, 8, NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_GTID_WAIT, "0-1-42", 5),
	    -1);
	assert_int_equal(
	    native_sql_format(buf, sizeof(buf), NATIVE_FLAVOUR_MYSQL, NATIVE_SQL_PING), -1);
	assert_int_equal(
	    native_sql_flavour("10.11.19-MariaDB-0+deb12u1-log"), NATIVE_FLAVOUR_MARIADB);
	assert_int_equal(native_sql_flavour("8.4.3"), NATIVE_FLAVOUR_MYSQL);
}

/* Nothing listens on 127.0.0.1:1: refused, reported by step, never blocking. */
static void
test_conn_refused(void **state)
{
	struct native_conn c = {0};
	struct pollfd p;
	enum native_conn_event ev = NATIVE_CONN_PENDING;
	long long deadline = native_now_ms() + 2000;

	(void)state;
	native_conn_connect(&c, "127.0.0.1", 1, "u", "p", 500);
	while (ev == NATIVE_CONN_PENDING && native_now_ms() < deadline) {
		short re = 0;

		if (native_conn_pollfd(&c, &p) && poll(&p, 1, 50) > 0)
			re = p.revents;
		ev = native_conn_step(&c, re, native_now_ms());
	}
	assert_int_equal(ev, NATIVE_CONN_FAILED);
	assert_int_equal(c.state, NATIVE_CONN_CLOSED);
	assert_true(c.refused);
	native_conn_close(&c);
}

static void
test_errant(void **state)
{
	char *errant = NULL, *cause = NULL;

	(void)state;
	/* A hotfix on replica 3: a server id the master never logged. */
	assert_int_equal(gtid_errant_live("0-1-100,0-3-3", "0-1-100", 1, &errant, &cause), 1);
	assert_non_null(strstr(errant, "0-3-3"));
	free(errant);
	/* Ahead of the master's last look with the master's own id: received, not errant. */
	assert_int_equal(gtid_errant_live("0-1-120", "0-1-100", 1, &errant, &cause), 0);
	assert_null(errant);
	/* History of a former master (server 2) the new master also has: clean. */
	assert_int_equal(
	    gtid_errant_live("0-2-50,0-1-120", "0-2-50,0-1-100", 1, &errant, &cause), 0);
	/* A former master's id further than the master ever saw: errant. */
	assert_int_equal(
	    gtid_errant_live("0-2-51,0-1-120", "0-2-50,0-1-100", 1, &errant, &cause), 1);
	free(errant);
	/* Another domain written on the replica only. */
	assert_int_equal(gtid_errant_live("0-1-5,7-4-1", "0-1-5", 1, &errant, &cause), 1);
	free(errant);
	assert_int_equal(gtid_errant_live("garbage", "0-1-5", 1, &errant, &cause), -1);
	free(cause);
}

/* A 1-master 3-replica cluster whose master became suspect at t = 1000 ms. */
static void
observe_cluster(struct native_cluster *c, struct native_node *nodes)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	memset(nodes, 0, 4 * sizeof(*nodes));
	c->nodes = nodes;
	c->n_nodes = 4;
	c->master = 0;
	c->suspect_ms = 1000;
	nodes[0].host = (char *)"db1";
	snprintf(nodes[0].addr, sizeof(nodes[0].addr), "10.0.0.1");
	nodes[0].port = 3306;
	for (i = 1; i < 4; i++) {
		nodes[i].host = (char *)(i == 1 ? "db2" : i == 2 ? "db3" : "db4");
		nodes[i].port = 3306;
		nodes[i].reachable = 1;
		nodes[i].s.at_ms = 1100;
		nodes[i].s.moved_ms = 500; /* silent since before the suspicion */
		nodes[i].s.heartbeats = 10;
		nodes[i].s.master_port = 3306;
		snprintf(nodes[i].s.master_host, sizeof(nodes[i].s.master_host), "10.0.0.1");
	}
}

static enum master_verdict
observe_verdict(const struct native_cluster *c, long long now, size_t *waiting)
{
	struct master_observation obs[4];
	char names[4][300];
	size_t n = native_observe(c, now, obs, names, waiting);

	return master_verdict_decide(obs, n, NULL);
}

static void
test_observe(void **state)
{
	struct native_cluster c;
	struct native_node nodes[4];
	size_t waiting;

	(void)state;
	/* Every replica's IO thread lost the master: dead. */
	observe_cluster(&c, nodes);
	assert_int_equal(observe_verdict(&c, 1200, &waiting), MASTER_DEAD);
	assert_int_equal(waiting, 0);
	/* One replica still connected with heartbeats arriving: alive (manager-only cut). */
	nodes[2].s.io_yes = 1;
	nodes[2].s.moved_ms = 1150;
	assert_int_equal(observe_verdict(&c, 1200, &waiting), MASTER_ALIVE);
	/* Connected but silent past the stale window (a cut link the IO thread missed): dead. */
	assert_int_equal(observe_verdict(&c, 1150 + 1500, &waiting), MASTER_DEAD);
	/* Without heartbeats silence proves nothing: alive. */
	nodes[2].s.heartbeats = -1;
	assert_int_equal(observe_verdict(&c, 1150 + 5000, &waiting), MASTER_ALIVE);
	/* Connected to another server, not this master: it says nothing of it. */
	observe_cluster(&c, nodes);
	nodes[3].s.io_yes = 1;
	nodes[3].s.moved_ms = 1150;
	snprintf(nodes[3].s.master_host, sizeof(nodes[3].s.master_host), "10.0.0.9");
	assert_int_equal(observe_verdict(&c, 1200, &waiting), MASTER_DEAD);
	/* Master_Host naming the master by name (any case) or by its address matches too. */
	snprintf(nodes[3].s.master_host, sizeof(nodes[3].s.master_host), "DB1");
	assert_int_equal(observe_verdict(&c, 1200, &waiting), MASTER_ALIVE);
	assert_int_equal(native_is_master(&c, "10.0.0.1", 3306), 1);
	assert_int_equal(native_is_master(&c, "10.0.0.1", 3307), 0);
	assert_int_equal(native_is_master(&c, NULL, 3306), 0);
	/* A replica not asked since the suspicion: the verdict waits for it. */
	observe_cluster(&c, nodes);
	nodes[1].s.at_ms = 900;
	assert_int_equal(observe_verdict(&c, 1200, &waiting), MASTER_DEAD);
	assert_int_equal(waiting, 1);
	/* Every replica unreachable since: unknown (the manager is cut off), never dead. */
	observe_cluster(&c, nodes);
	for (size_t i = 1; i < 4; i++) {
		nodes[i].reachable = 0;
		nodes[i].fail_ms = 1100;
	}
	assert_int_equal(observe_verdict(&c, 1200, &waiting), MASTER_UNKNOWN);
	assert_int_equal(waiting, 0);
}

/*
 * Manager HA: before a fresh failover the servers say whether another
 * engine's promotion was interrupted (its journal is elsewhere).
 */
static void
test_takeover(void **state)
{
	struct native_cluster c;
	struct native_node nodes[4];
	size_t adopt;
	char *why = NULL;

	(void)state;
	/* Every replica follows the dead master: a plain failover. */
	observe_cluster(&c, nodes);
	c.name = (char *)"c1";
	assert_int_equal(native_takeover_decide(&c, &adopt, &why), 0);
	assert_true(adopt == (size_t)-1);
	/* One replicates from no server, the others from the dead master: finished with it. */
	nodes[2].s.master_host[0] = '\0';
	nodes[2].s.master_port = 0;
	assert_int_equal(native_takeover_decide(&c, &adopt, &why), 1);
	assert_int_equal(adopt, 2);
	/* ... and one already repointed to it (by name) too. */
	snprintf(nodes[3].s.master_host, sizeof(nodes[3].s.master_host), "DB3");
	assert_int_equal(native_takeover_decide(&c, &adopt, &why), 1);
	assert_int_equal(adopt, 2);
	/* One follows a third server: refused, nothing changed. */
	snprintf(nodes[3].s.master_host, sizeof(nodes[3].s.master_host), "10.0.0.9");
	assert_int_equal(native_takeover_decide(&c, &adopt, &why), -1);
	assert_non_null(strstr(why, "db4:3306 replicates from 10.0.0.9:3306"));
	free(why);
	why = NULL;
	/* Two replicate from no server: refused. */
	nodes[3].s.master_host[0] = '\0';
	assert_int_equal(native_takeover_decide(&c, &adopt, &why), -1);
	assert_non_null(strstr(why, "2 replicas replicate from no server"));
	free(why);
	why = NULL;
	/* An unreachable one says nothing: the reachable bare one is taken. */
	nodes[3].reachable = 0;
	assert_int_equal(native_takeover_decide(&c, &adopt, &why), 1);
	assert_int_equal(adopt, 2);
	/* A chained replica (no promotion begun anywhere) is as before: a plain failover. */
	observe_cluster(&c, nodes);
	c.name = (char *)"c1";
	snprintf(nodes[3].s.master_host, sizeof(nodes[3].s.master_host), "db2");
	assert_int_equal(native_takeover_decide(&c, &adopt, &why), 0);
}

static void
test_journal(void **state)
{
	struct native_cluster c, back;
	struct native_node nodes[3];
	enum native_phase phase;
	size_t nm, i;
	char *text, *cause = NULL;
	int up;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(nodes, 0, sizeof(nodes));
	c.name = (char *)"orders";
	c.vip = (char *)"10.77.0.100";
	c.vip_prefix = 24;
	c.iface = (char *)"eth0";
	c.nodes = nodes;
	c.n_nodes = 3;
	c.master = 1;
	c.master_gtid = (char *)"0-2-40,0-1-7";
	c.master_server_id = 2;
	c.master_binlog = (char *)"/var/lib/mysql/mysql-bin";
	nodes[0].host = (char *)"10.77.0.11";
	nodes[1].host = (char *)"10.77.0.12";
	nodes[2].host = (char *)"10.77.0.13";
	for (i = 0; i < 3; i++)
		nodes[i].port = 3306;
	nodes[2].no_master = 1;
	text = native_journal_text(&c, NATIVE_PHASE_VIP, 0, 1);
	assert_int_equal(native_journal_parse(text, &back, &phase, &nm, &up, &cause), 0);
	assert_int_equal(phase, NATIVE_PHASE_VIP);
	assert_int_equal(nm, 0);
	assert_int_equal(up, 1);
	assert_int_equal(back.master, 1);
	assert_int_equal(back.n_nodes, 3);
	assert_string_equal(back.nodes[1].host, "10.77.0.12");
	assert_int_equal(back.nodes[2].no_master, 1);
	assert_string_equal(back.name, "orders");
	assert_string_equal(back.vip, "10.77.0.100");
	assert_int_equal(back.vip_prefix, 24);
	assert_string_equal(back.iface, "eth0");
	assert_string_equal(back.master_gtid, "0-2-40,0-1-7");
	assert_int_equal(back.master_server_id, 2);
	assert_string_equal(back.master_binlog, "/var/lib/mysql/mysql-bin");
	for (i = 0; i < back.n_nodes; i++)
		free(back.nodes[i].host);
	free(back.nodes);
	free(back.name);
	free(back.vip);
	free(back.iface);
	free(back.master_gtid);
	free(back.master_binlog);
	free(text);
	/* Before the choice no new master is named; after it one must be. */
	text = native_journal_text(&c, NATIVE_PHASE_FENCE, (size_t)-1, 0);
	assert_int_equal(native_journal_parse(text, &back, &phase, &nm, &up, &cause), 0);
	assert_int_equal(phase, NATIVE_PHASE_FENCE);
	assert_true(nm == (size_t)-1);
	for (i = 0; i < back.n_nodes; i++)
		free(back.nodes[i].host);
	free(back.nodes);
	free(back.name);
	free(back.vip);
	free(back.iface);
	free(back.master_gtid);
	free(back.master_binlog);
	free(text);
	/* A torn or foreign file is refused, never half-read. */
	assert_int_equal(native_journal_parse("phase=promote\ncluster=orders\nvip=10.77.0.100/24\n"
	                                      "iface=eth0\nnode=old_master 10.77.0.12 3306 0 0\n",
	                     &back, &phase, &nm, &up, &cause),
	    -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	for (i = 0; i < back.n_nodes; i++)
		free(back.nodes[i].host);
	free(back.nodes);
	free(back.name);
	free(back.vip);
	free(back.iface);
	assert_int_equal(
	    native_journal_parse("phase=sideways\n", &back, &phase, &nm, &up, &cause), -1);
	free(cause);
}

/* What mariadb-binlog 10.11 prints for a DDL group and an INSERT transaction, the last cut. */
static const char salvage_sample[] =
    "/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/;\n"
    "/*!40019 SET @@session.max_delayed_threads=0*/;\n"
    "DELIMITER /*!*/;\n"
    "# at 4\n"
    "#261203  7:40:42 server id 1  end_log_pos 256 CRC32 0x5a7f3b8e \tStart: binlog v 4\n"
    "ROLLBACK/*!*/;\n"
    "BINLOG '\n"
    "mg5waQ8BAAAA/AAAAAABAAAAAAQAMTAuMTEuMTktTWFyaWFEQi0wK2RlYjEydTEtbG9nAAAAAAAA\n"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    "'/*!*/;\n"
    "# at 285\n"
    "#261203  7:40:43 server id 1  end_log_pos 327 CRC32 0x0b1c2d3e \tGTID 0-1-2 ddl\n"
    "/*!100001 SET @@session.gtid_seq_no=2*//*!*/;\n"
    "# at 327\n"
    "#261203  7:40:43 server id 1  end_log_pos 450 \tQuery\tthread_id=5\texec_time=0\n"
    "use `labdb`/*!*/;\n"
    "/*!\\C utf8mb4 *//*!*/;\n"
    "CREATE TABLE t (id INT PRIMARY KEY,\n"
    "  v VARCHAR(32))\n"
    "/*!*/;\n"
    "# at 450\n"
    "#261203  7:40:44 server id 1  end_log_pos 492 CRC32 0x1 \tGTID 0-1-3 trans\n"
    "/*!100001 SET @@session.gtid_seq_no=3*//*!*/;\n"
    "START TRANSACTION\n"
    "/*!*/;\n"
    "#Q> INSERT INTO t (id, v) VALUES (2, 'x')\n"
    "\n"
    "BINLOG '\n"
    "Ag5waRMBAAAANQAAAAAA\n"
    "'/*!*/;\n"
    "# at 560\n"
    "#261203  7:40:44 server id 1  end_log_pos 591 CRC32 0x2 \tXid = 30\n"
    "COMMIT/*!*/;\n"
    "# at 591\n"
    "#261203  7:40:45 server id 1  end_log_pos 633 CRC32 0x3 \tGTID 0-1-4 trans\n"
    "/*!100001 SET @@session.gtid_seq_no=4*//*!*/;\n"
    "START TRANSACTION\n"
    "/*!*/;\n"
    "BINLOG '\n"
    "Ag5waRMBAAAANQAA\n";

struct salvage_seen {
	char items[32][256];
	int trans[32];
	int n;
};

static int
salvage_record(void *arg, enum native_salvage_item kind, const char *text, int trans, char **cause)
{
	struct salvage_seen *s = arg;

	(void)cause;
	if (s->n < 32) {
		snprintf(s->items[s->n], sizeof(s->items[s->n]), "%s%s",
		    kind == NATIVE_SALVAGE_GTID ? "GTID " : "", text);
		s->trans[s->n] = trans;
		s->n++;
	}
	return 0;
}

static int
salvage_refuse(void *arg, enum native_salvage_item kind, const char *text, int trans, char **cause)
{
	(void)arg;
	(void)trans;
	if (kind == NATIVE_SALVAGE_STATEMENT && strncmp(text, "CREATE", 6) == 0) {
		*cause = strdup("refused");
		return -1;
	}
	return 0;
}

static void
test_salvage_split(void **state)
{
	struct salvage_seen s;
	char *cause = NULL;
	int i;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(native_salvage_split(salvage_sample, salvage_record, &s, &cause), 0);
	/* Before DELIMITER, ';' ends a statement; after it, the binlog's own delimiter. */
	assert_string_equal(s.items[0], "/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/");
	assert_string_equal(s.items[2], "ROLLBACK");
	assert_true(strncmp(s.items[3], "BINLOG '\nmg5waQ8B", 17) == 0);
	assert_string_equal(s.items[4], "GTID 0-1-2");
	assert_int_equal(s.trans[4], 0);
	assert_string_equal(s.items[5], "/*!100001 SET @@session.gtid_seq_no=2*/");
	assert_string_equal(s.items[6], "use `labdb`");
	assert_string_equal(s.items[7], "/*!\\C utf8mb4 */");
	assert_string_equal(s.items[8], "CREATE TABLE t (id INT PRIMARY KEY,\n  v VARCHAR(32))\n");
	assert_string_equal(s.items[9], "GTID 0-1-3");
	assert_int_equal(s.trans[9], 1);
	assert_string_equal(s.items[11], "START TRANSACTION\n");
	/* "#Q>" and other comment lines are not statements; the row event is. */
	assert_true(strncmp(s.items[12], "BINLOG '", 8) == 0);
	assert_string_equal(s.items[13], "COMMIT");
	assert_string_equal(s.items[14], "GTID 0-1-4");
	assert_string_equal(s.items[16], "START TRANSACTION\n");
	/* The cut row event of the last group is never handed on. */
	assert_int_equal(s.n, 17);
	for (i = 0; i < s.n; i++)
		assert_null(strstr(s.items[i], "# at"));
	/* The first refusal stops the split and is returned with its cause. */
	assert_int_equal(native_salvage_split(salvage_sample, salvage_refuse, NULL, &cause), -1);
	assert_string_equal(cause, "refused");
	free(cause);
	memset(&s, 0, sizeof(s));
	assert_int_equal(native_salvage_split("", salvage_record, &s, &cause), 0);
	assert_int_equal(s.n, 0);
}

static void
test_salvage_files(void **state)
{
	const char *index = "./mysql-bin.000001\n./mysql-bin.000002\n./mysql-bin.000003\n";
	char **f;
	size_t n, i;

	(void)state;
	/* From the file the candidate's IO thread was reading, in the basename's directory. */
	f = native_salvage_files(index, "/var/lib/mysql/mysql-bin", "mysql-bin.000002", &n);
	assert_int_equal(n, 2);
	assert_string_equal(f[0], "/var/lib/mysql/mysql-bin.000002");
	assert_string_equal(f[1], "/var/lib/mysql/mysql-bin.000003");
	assert_null(f[2]);
	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
	/* Unknown or no start file: every file (absolute entries keep their name only). */
	f = native_salvage_files(
	    "/data/binlog/b.000007\n/data/binlog/b.000008\n", "/data/binlog/b", "other.000001", &n);
	assert_int_equal(n, 2);
	assert_string_equal(f[0], "/data/binlog/b.000007");
	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
	f = native_salvage_files("", "/data/binlog/b", NULL, &n);
	assert_int_equal(n, 0);
	assert_null(f[0]);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gtid_covers),
	    cmocka_unit_test(test_gtid_score),
	    cmocka_unit_test(test_replica_interval),
	    cmocka_unit_test(test_native_reader_waits_and_orders),
	    cmocka_unit_test(test_sql_table),
	    cmocka_unit_test(test_conn_refused),
	    cmocka_unit_test(test_errant),
	    cmocka_unit_test(test_observe),
	    cmocka_unit_test(test_journal),
	    cmocka_unit_test(test_salvage_split),
	    cmocka_unit_test(test_salvage_files),
	    cmocka_unit_test(test_takeover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
