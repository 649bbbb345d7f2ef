# SPDX-License-Identifier: GPL-2.0-or-later
"""The native engine with dead replicas and its isolation guard, four hosts (h1 master, h2-h4
replicas, MariaDB GTID), a writer through the VIP: the master and one replica killed together,
a replica down for longer than lag_hold status passes and then the master killed (in both: the
most advanced survivor promoted, the other repointed to it, every acknowledged write on both,
the dead replica failed in the registry and out of the engine's watch, protected again), and
the guard after a native failover (the new master acknowledges a write only once a replica
acknowledged it). Real MariaDB, sshd, no MHA.

Set MHAADM_TIMINGS=FILE to append each failover's kill -> first acknowledged write time to FILE
(test_dead_replica's format; docs/benchmarks.md reports them). Nothing here asserts a timing."""
import pymysql
import pymysql.cursors
import pytest

from conftest import lab_cmd
from test_dead_replica import (assert_rows_everywhere, assert_vip_writable_on,
                               failover_under_load, hp, list_verdict, node_of, promotion, roles,
                               wait_ready)
from test_guard import guard_of
from test_lifecycle import NODES, VIP, app_connect, events, wait_for
from test_native import (assert_native_reprotected, finish, make_native, native_status,
                         writable_servers)

# One status pass a second; a state must last 3 passes (lag_hold) to count.
KEYS = dict(probe_interval="1", lag_hold="3")


@pytest.fixture
def native4(fresh_gtid_lab, tmp_path):
    m = make_native(fresh_gtid_lab, tmp_path, **KEYS)
    yield m
    finish(m)


def start(m):
    r = m.run("start", "c1", timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "monitored by the native engine; master 10.77.0.11:3306" in r.stdout, r.stdout
    return r


def admin_query(m, host, *queries):
    """Rows of each query on host as mhaadm's admin user, as dicts."""
    con = pymysql.connect(host=host, user=m.lab.mha_user, password=m.lab.mha_password,
                          connect_timeout=5, read_timeout=10,
                          cursorclass=pymysql.cursors.DictCursor)
    try:
        out = []
        with con.cursor() as cur:
            for q in queries:
                cur.execute(q)
                out.append(cur.fetchall())
        return out
    finally:
        con.close()


def replicates_from(m, host, master_host):
    """host's replication as SHOW SLAVE STATUS says it: from master_host, both threads on."""
    (rows,) = admin_query(m, host, "SHOW SLAVE STATUS")
    return (len(rows) == 1 and rows[0]["Master_Host"] == master_host and
            rows[0]["Slave_IO_Running"] == "Yes" and rows[0]["Slave_SQL_Running"] == "Yes")


def assert_survivors(m, dead, new, w):
    """What a user sees once the master and the replica `dead` (1-based) are gone: the new
    master writable behind the VIP, alone; the other survivor replicating from it; every
    acknowledged write on both; the registry, the engine's watch, the events and list."""
    new_host = new.split(":")[0]
    others = [NODES[i] for i in range(1, 4) if i + 1 != dead]
    assert new_host in others, new
    (other,) = [h for h in others if h != new_host]
    assert_vip_writable_on(m, new_host)
    assert writable_servers(m.lab) == [new_host]
    wait_for(f"{other} replicating from the new master {new_host}",
             lambda: replicates_from(m, other, new_host), timeout=30)
    assert_rows_everywhere(m, [new_host, other], w.acked)

    # Protected again on the survivors only: the dead replica failed, out of the watch.
    assert_native_reprotected(m, new)
    r = roles(m)
    assert r[NODES[0]] == "failed" and r[NODES[dead - 1]] == "failed", r
    assert r[new_host] == "master" and r[other] == "replica", r
    st = native_status(m)
    assert st["replicas"] == "1", st
    wait_for("the engine seeing its one replica receive",
             lambda: native_status(m).get("replicas_receiving") == "1", timeout=30)
    ev = m.events("c1")
    types = [e["type"] for e in ev]
    for t in ("failover.started", "vip.moved", "failover.master_changed", "failover.completed",
              "replica.failed", "cluster.reprotected"):
        assert t in types, types
    assert "failover.failed" not in types and "cluster.unprotected" not in types, types
    (failed,) = [e for e in ev if e["type"] == "replica.failed"]
    assert failed["node"] == hp(dead), failed
    assert "was dead during the failover" in failed["message"], failed
    (done,) = [e for e in ev if e["type"] == "failover.completed"]
    assert f"left behind, marked failed: {hp(dead)} (dead)" in done["message"], done
    assert hp(dead) not in done["message"].split(" (native;")[0], done  # not a repointed one
    (back,) = [e for e in ev if e["type"] == "cluster.reprotected"]
    assert ", 1 replica (pid" in back["message"], back
    print(f"failover.completed: {done['message']}")

    # list after: healthy on the survivors, and a failover would succeed (1 candidate left).
    c = wait_ready(m, True, "ok")
    assert node_of(c, dead)["role"] == "failed"
    assert promotion(c, NODES.index(other) + 1)["promotable"]
    return new_host, other


def test_native_master_and_replica_killed_together(native4):
    m = native4
    start(m)
    v = wait_ready(m, True, "ok")
    assert all(promotion(v, n)["promotable"] for n in (2, 3, 4))
    guard_sets = events(m).count("guard.set")
    # h2 receives nothing for a while (its IO thread stopped), h4 receives everything: h4 is
    # the most advanced survivor and must win, although h2 would win a tie (first of equals).
    m.lab.sql(2, "STOP SLAVE IO_THREAD")
    ahead = list(range(5_000_000, 5_000_010))
    con = app_connect(m.lab, VIP, timeout=5)
    with con.cursor() as cur:
        for i in ahead:
            cur.execute("INSERT INTO t (id, v) VALUES (%s, 'ahead')", (i,))
    con.close()
    assert_rows_everywhere(m, [NODES[3]], ahead)

    new, w = failover_under_load(m, [1, 3], "native: master + 1 replica together")
    assert new == hp(4), new
    assert_survivors(m, 3, new, w)
    assert_rows_everywhere(m, [NODES[1], NODES[3]], ahead)
    # The guard judged on the survivors: auto with one replica left is off (never semi-sync
    # with a single replica to answer, which the dead one would have made it).
    assert events(m).count("guard.set") == guard_sets
    g = guard_of(m)["guard"]
    assert g["wanted"] == "off" and "fewer than 2 replicas" in g["why"], g
    assert g["state"] == "off", g


def test_native_replica_down_longer_than_lag_hold_then_master_killed(native4):
    m = native4
    start(m)
    wait_ready(m, True, "ok")
    lab_cmd("kill-mysqld", 3)
    # list tells at once: degraded, and a failover would still succeed (h2, h4 remain).
    verdict, ready, _ = list_verdict(m)
    assert verdict == "degraded" and ready is True, (verdict, ready)
    c = m.status("c1")["clusters"][0]
    assert "unreachable" in promotion(c, 3)["not_promotable_reason"]
    # Down for longer than lag_hold status passes: the daemon records it; the engine keeps
    # watching the cluster (and the dead replica) meanwhile.
    wait_for("the replica.unreachable event", lambda: "replica.unreachable" in events(m),
             timeout=60)
    (down,) = [e for e in m.events("c1") if e["type"] == "replica.unreachable"]
    assert down["node"] == hp(3), down
    assert native_status(m).get("state") == "watching"
    (cl,) = m.clusters()
    assert cl["state"] == "monitoring" and roles(m)[NODES[2]] == "replica"
    verdict, ready, _ = list_verdict(m)
    assert verdict == "degraded" and ready is True, (verdict, ready)

    new, w = failover_under_load(m, [1], "native: replica down > lag_hold, then master")
    assert_survivors(m, 3, new, w)


def semisync(m, n):
    """The semi-sync variables and counters of lab host n, as SHOW GLOBAL says them."""
    v, st = admin_query(m, NODES[n - 1], "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'",
                        "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'")
    return {r["Variable_name"]: r["Value"] for r in v + st}


def test_native_guard_on_the_new_topology(native4):
    """isolation_guard = auto, four hosts: semi-sync before the failover, and after it on the
    new master with the two other survivors acknowledging; a write the new master acknowledges
    was acknowledged by a replica first, and without a replica it is not acknowledged."""
    m = native4
    r = start(m)
    assert "isolation guard semisync" in r.stdout, r.stdout
    g = guard_of(m)["guard"]
    assert g["state"] == "semisync" and (g["acks"] or 0) >= 1, g

    new, w = failover_under_load(m, [1], "native: master alone (guard semisync)")
    new_host = new.split(":")[0]
    new_n = NODES.index(new_host) + 1
    others = [n for n in (2, 3, 4) if n != new_n]
    assert_vip_writable_on(m, new_host)
    assert_native_reprotected(m, new)
    assert_rows_everywhere(m, [NODES[n - 1] for n in [new_n] + others], w.acked)

    # The guard was set on the new master by the failover itself (before writes opened).
    sets = [e for e in m.events("c1") if e["type"] == "guard.set"]
    assert any(e["node"] == new and "on the new master" in e["message"] for e in sets), sets
    ss = semisync(m, new_n)
    assert ss["rpl_semi_sync_master_enabled"] == "ON", ss
    assert ss["rpl_semi_sync_master_wait_point"] == "AFTER_SYNC", ss
    assert ss["rpl_semi_sync_master_timeout"] == "4294967295", ss
    for n in others:
        assert semisync(m, n)["rpl_semi_sync_slave_enabled"] == "ON", n
    g = wait_for("list showing the guard with both replicas acknowledging",
                 lambda: (lambda g: g if g["state"] == "semisync" and g["acks"] == 2 else None)(
                     guard_of(m)["guard"]), timeout=60)
    assert g["wanted"] == "semisync" and "2 or more replicas" in g["why"], g

    # Every commit the new master acknowledged since it opened, a replica acknowledged first:
    # the writer's during the failover and these.
    before = semisync(m, new_n)
    con = app_connect(m.lab, VIP, timeout=5)
    with con.cursor() as cur:
        for i in range(20):
            cur.execute("INSERT INTO t (id, v) VALUES (%s, 'guarded')", (4_000_000 + i,))
    con.close()
    after = semisync(m, new_n)
    print(f"new master {new_host}: Rpl_semi_sync_master_yes_tx {before['Rpl_semi_sync_master_yes_tx']}"
          f" -> {after['Rpl_semi_sync_master_yes_tx']}, no_tx {after['Rpl_semi_sync_master_no_tx']}")
    assert int(after["Rpl_semi_sync_master_yes_tx"]) >= \
        int(before["Rpl_semi_sync_master_yes_tx"]) + 20, (before, after)
    assert after["Rpl_semi_sync_master_no_tx"] == "0", after
    assert after["Rpl_semi_sync_master_status"] == "ON", after

    # Without a replica to acknowledge, the new master does not acknowledge a write.
    for n in others:
        lab_cmd("kill-mysqld", n)
    con = app_connect(m.lab, VIP, timeout=3)
    with pytest.raises(pymysql.err.OperationalError):
        with con.cursor() as cur:
            cur.execute("INSERT INTO t (id, v) VALUES (4000100, 'stall')")
    wait_for("the stall event", lambda: "guard.stalled" in events(m), timeout=60)
    (stalled,) = [e for e in m.events("c1") if e["type"] == "guard.stalled"]
    assert stalled["node"] == new, stalled
    assert semisync(m, new_n)["Rpl_semi_sync_master_no_tx"] == "0"
    assert "guard.fallback" not in events(m)  # semisync_fallback_seconds = 0: it waits
