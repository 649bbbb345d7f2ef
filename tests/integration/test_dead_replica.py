# SPDX-License-Identifier: GPL-2.0-or-later
"""Dead replicas under the MHA engine, four hosts (h1 master, h2-h4 replicas), a writer through
the VIP: a replica dead with the master is skipped by the failover, a replica down for longer than
lag_hold status passes is left out of MHA's config (and marked failed once a failover left it
behind), one that comes back and catches up is taken back in. Real MariaDB, sshd and MHA.

Set MHAADM_TIMINGS=FILE to append each failover's kill -> first acknowledged write time to FILE
(one JSON object a line; docs/benchmarks.md reports them). Nothing here asserts a timing."""
import json
import os
import subprocess
import threading
import time

import pytest

from test_lifecycle import (NODES, VIP, Writer, app_connect, assert_reprotected,
                            assert_rows_on_survivors, assert_writer_sane, events, finish_cluster,
                            make_cluster, master_of, mha_status, vip_holders, wait_for)
from conftest import lab_cmd

import pymysql

# One status pass a second; a state must last 3 passes (lag_hold) to count.
KEYS = dict(probe_interval="1", lag_hold="3")


def host_n(hp):
    return NODES.index(hp.split(":")[0]) + 1


def hp(n):
    return f"{NODES[n - 1]}:3306"


class TimedAcks(list):
    """The writer's acknowledged ids, with the time each was acknowledged."""

    def __init__(self):
        super().__init__()
        self.times = []

    def append(self, x):
        self.times.append(time.time())
        super().append(x)


class TimedWriter(Writer):
    """test_lifecycle's writer, also recording when each write was acknowledged."""

    def __init__(self, lab):
        super().__init__(lab)
        self.acked = TimedAcks()


def kill_together(*hosts):
    """kill -9 of the mariadbd of several hosts at the same moment; returns the time before."""
    t0 = time.time()
    procs = [subprocess.Popen([os.path.join(os.path.dirname(__file__), "..", "..", "lab",
                                            "lab.sh"), "kill-mysqld", str(n)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for n in hosts]
    for p in procs:
        _, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
    return t0


def conf_text(m):
    return open(os.path.join(m.dir, "work", "mha", "c1", "c1.cnf")).read()


def status(m):
    (c,) = m.status("c1")["clusters"]
    return c


def node_of(c, n):
    return next(x for x in c["nodes"] if x["host"] == NODES[n - 1])


def promotion(c, n):
    """The live view of host n in list --json: promotable, not_promotable_reason, left_out."""
    return node_of(c, n)["live"]


def roles(m):
    (c,) = m.clusters()
    return {n["host"]: n["role"] for n in c["nodes"]}


def ping_ok_without(m, n):
    """MHA monitors again (PING_OK) on a config that leaves host n out."""
    st = mha_status(m)
    return "PING_OK" in st.stdout and f"hostname={NODES[n - 1]}\n" not in conf_text(m)


def ping_ok_with(m, n):
    st = mha_status(m)
    return "PING_OK" in st.stdout and f"hostname={NODES[n - 1]}\n" in conf_text(m)


def wait_ready(m, want=True, verdict=None):
    def check():
        c = status(m)
        return c if c.get("failover_ready") is want and (verdict is None or
                                                         c["verdict"] == verdict) else None
    return wait_for(f"list to say failover_ready={want}", check, timeout=90)


def assert_rows_everywhere(m, hosts, ids):
    """Every acknowledged id on every host (replicas may still be applying: polled)."""
    for h in hosts:
        def have():
            con = pymysql.connect(host=h, user=m.lab.mha_user, password=m.lab.mha_password,
                                  database="labdb", connect_timeout=5)
            with con.cursor() as cur:
                cur.execute("SELECT id FROM t")
                got = {r[0] for r in cur.fetchall()}
            con.close()
            missing = sorted(set(ids) - got)
            return True if not missing else None
        wait_for(f"every acknowledged write on {h}", have, timeout=60)


def assert_vip_writable_on(m, new_host):
    assert vip_holders() == [new_host]
    con = app_connect(m.lab, VIP)
    with con.cursor() as cur:
        cur.execute("SELECT @@server_id, @@read_only")
        sid, ro = cur.fetchone()
        assert sid == NODES.index(new_host) + 1 and ro == 0
        cur.execute("INSERT INTO t (id, v) VALUES (900000 + @@server_id, 'after')")
    con.close()


def failover_under_load(m, kill_hosts, case):
    """Writer through the VIP, kill -9 of kill_hosts at once; returns (new, writer)."""
    old = master_of(m)
    n_completed = events(m).count("failover.completed")
    w = TimedWriter(m.lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    n_before_kill = len(w.acked)
    t0 = kill_together(*kill_hosts)
    new = wait_for("the registry to name a new master",
                   lambda: master_of(m) if master_of(m) != old else None, timeout=120)
    n_before = len(w.acked)
    wait_for("writes acknowledged through the VIP on the new master",
             lambda: len(w.acked) > n_before + 20, timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    assert_writer_sane(w)
    wait_for("the failover report", lambda: events(m).count("failover.completed") >
             n_completed, timeout=120)
    # The first write acknowledged after the writes through the dead master stopped.
    after = [t for t in w.acked.times[n_before_kill:] if t > t0]
    gaps = [b - a for a, b in zip(after, after[1:])]
    first = after[gaps.index(max(gaps)) + 1] - t0 if gaps else None
    out = os.environ.get("MHAADM_TIMINGS")
    if out and first is not None:
        with open(out, "a") as f:
            f.write(json.dumps({"case": case, "first_write_s": round(first, 2),
                                "acked": len(w.acked), "errors": w.errors}) + "\n")
    return new, w


def list_verdict(m):
    c = status(m)
    return c["verdict"], c.get("failover_ready"), c.get("failover_blocked_reason")


@pytest.fixture
def cluster4(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, **KEYS)
    yield m
    finish_cluster(m)


def test_master_alone_killed_four_hosts(cluster4):
    """The reference case of docs/benchmarks.md: only the master dies."""
    m = cluster4
    m.ok("start", "c1", timeout=180)
    assert ping_ok_with(m, 4)
    wait_ready(m, True, "ok")
    new, w = failover_under_load(m, [1], "master alone")
    assert_vip_writable_on(m, new.split(":")[0])
    survivors = [h for h in NODES[1:]]
    assert_rows_everywhere(m, survivors, w.acked)
    assert_reprotected(m, new)
    assert_rows_on_survivors(m, w.acked)
    r = roles(m)
    assert r["10.77.0.11"] == "failed" and list(r.values()).count("replica") == 2


def test_master_and_replica_killed_together(cluster4):
    m = cluster4
    m.ok("start", "c1", timeout=180)
    # Every replica is rendered ignore_fail=1: a dead one is no reason to abort.
    assert conf_text(m).count("ignore_fail=1\n") == 3
    v = wait_ready(m, True, "ok")
    assert all(promotion(v, n)["promotable"] for n in (2, 3, 4))

    new, w = failover_under_load(m, [1, 3], "master + 1 replica together")
    new_host = new.split(":")[0]
    assert new_host in (NODES[1], NODES[3])
    assert_vip_writable_on(m, new_host)
    other = NODES[3] if new_host == NODES[1] else NODES[1]
    assert_rows_everywhere(m, [new_host, other], w.acked)

    # Protected again on the survivors, the dead replica failed and out of MHA's config.
    assert_reprotected(m, new)
    wait_for("the dead replica marked failed", lambda: roles(m)[NODES[2]] == "failed",
             timeout=60)
    r = roles(m)
    assert r[NODES[0]] == "failed" and r[new_host] == "master" and r[other] == "replica"
    assert f"hostname={NODES[2]}\n" not in conf_text(m)
    assert f"hostname={other}\n" in conf_text(m)
    ev = m.events("c1")
    types = [e["type"] for e in ev]
    for t in ("failover.started", "vip.moved", "failover.master_changed", "failover.completed",
              "replica.failed", "cluster.reprotected"):
        assert t in types, types
    assert "failover.failed" not in types and "checks.failed" not in types
    failed = next(e for e in ev if e["type"] == "replica.failed")
    assert failed["node"] == hp(3) and "dead during the failover" in failed["message"]

    # list after: healthy on the survivors, and a failover would succeed (1 candidate left).
    c = wait_ready(m, True, "ok")
    assert node_of(c, 3)["role"] == "failed"
    assert promotion(c, NODES.index(other) + 1)["promotable"]


def test_replica_down_longer_than_lag_hold_then_master_killed(cluster4):
    m = cluster4
    m.ok("start", "c1", timeout=180)
    wait_ready(m, True, "ok")
    lab_cmd("kill-mysqld", 3)
    # list tells at once: degraded, and a failover would still succeed (h2, h4 remain).
    verdict, ready, _ = list_verdict(m)
    assert verdict == "degraded" and ready is True
    c = status(m)
    assert "unreachable" in promotion(c, 3)["not_promotable_reason"]
    # After lag_hold passes the engine is re-rendered and restarted without it.
    wait_for("the replica left out", lambda: "replica.left_out" in events(m), timeout=90)
    wait_for("MHA monitoring without h3", lambda: ping_ok_without(m, 3), timeout=90)
    left = next(e for e in m.events("c1") if e["type"] == "replica.left_out")
    assert left["node"] == hp(3)
    assert "lag.policy_changed" in events(m)
    (cl,) = m.clusters()
    assert cl["state"] == "monitoring" and roles(m)[NODES[2]] == "replica"
    wait_ready(m, True, "degraded")

    new, w = failover_under_load(m, [1], "replica down > lag_hold, then master")
    new_host = new.split(":")[0]
    assert new_host in (NODES[1], NODES[3])
    assert_vip_writable_on(m, new_host)
    other = NODES[3] if new_host == NODES[1] else NODES[1]
    assert_rows_everywhere(m, [new_host, other], w.acked)
    assert_reprotected(m, new)
    wait_for("the left-out replica marked failed", lambda: roles(m)[NODES[2]] == "failed",
             timeout=60)
    assert roles(m)[NODES[0]] == "failed" and roles(m)[other] == "replica"
    types = events(m)
    assert "failover.failed" not in types and "replica.failed" in types
    c = wait_ready(m, True, "ok")
    assert promotion(c, NODES.index(other) + 1)["promotable"]


def test_downed_replica_restarted_is_taken_back_in(cluster4):
    m = cluster4
    m.ok("start", "c1", timeout=180)
    wait_ready(m, True, "ok")
    w = TimedWriter(m.lab)
    w.start()
    lab_cmd("kill-mysqld", 3)
    wait_for("the replica left out", lambda: "replica.left_out" in events(m), timeout=90)
    wait_for("MHA monitoring without h3", lambda: ping_ok_without(m, 3), timeout=90)
    c = status(m)
    assert not promotion(c, 3)["promotable"] and promotion(c, 3)["left_out"]

    # Back: it catches up from the master, then lag_hold passes later MHA takes it back.
    lab_cmd("start-mysqld", 3)
    wait_for("the replica taken back in", lambda: "replica.taken_back" in events(m),
             timeout=120)
    wait_for("MHA monitoring with h3 again", lambda: ping_ok_with(m, 3), timeout=90)
    back = next(e for e in m.events("c1") if e["type"] == "replica.taken_back")
    assert back["node"] == hp(3)
    c = wait_ready(m, True, "ok")
    assert promotion(c, 3)["promotable"]
    w.stop_evt.set()
    w.join(timeout=30)
    assert_rows_everywhere(m, NODES[1:], w.acked)

    # Truly back in: the next failover brings it over to the new master with the others.
    new, w2 = failover_under_load(m, [1], "replica back in, then master")
    new_host = new.split(":")[0]
    assert_vip_writable_on(m, new_host)
    assert_rows_everywhere(m, NODES[1:], list(w.acked) + list(w2.acked))
    assert_reprotected(m, new)
    r = roles(m)
    assert r[NODES[0]] == "failed" and list(r.values()).count("replica") == 2
    assert "replica.failed" not in events(m)


def test_failover_readiness_events(cluster4):
    """Readiness changes either way are events, and notifications carry them: every replica
    dead blocks the failover, one back makes it possible again."""
    from test_notify import Receiver
    m = cluster4
    hook = Receiver()
    m.daemon.stop()
    with open(m.config, "a") as f:
        f.write(f'\n[notify "ops"]\ntype = webhook\nurl = http://127.0.0.1:{hook.port}/hook\n'
                f"events = cluster.failover_*, replica.*\ntimeout = 5\n")
    m.daemon.start()
    m.ok("start", "c1", timeout=180)
    wait_ready(m, True, "ok")
    for n in (2, 3, 4):
        lab_cmd("kill-mysqld", n)
    wait_for("the blocked event", lambda: "cluster.failover_blocked" in events(m), timeout=90)
    blocked = next(e for e in m.events("c1") if e["type"] == "cluster.failover_blocked")
    assert "no replica may be promoted" in blocked["message"]
    verdict, ready, why = list_verdict(m)
    assert verdict == "at-risk" and ready is False and "no replica" in why
    r = m.run("list", "c1")
    assert "NO, a failover now would not succeed" in r.stdout, r.stdout
    # Nothing to leave out in favour of: MHA keeps monitoring the master, nothing restarted.
    assert "replica.left_out" not in events(m)

    lab_cmd("start-mysqld", 2)
    wait_for("the ready event", lambda: "cluster.failover_ready" in events(m), timeout=120)
    # The daemon may be restarting MHA with the replica back (list says "cannot tell" then,
    # failover_ready null): polled, as a DBA would look again.
    wait_ready(m, True)
    wait_for("list to say a failover would succeed",
             lambda: "a failover would succeed now" in m.run("list", "c1").stdout, timeout=60)
    types = events(m)
    assert types.index("cluster.failover_blocked") < types.index("cluster.failover_ready")

    def sent(t):
        return [x for x in hook.messages("/hook") if x["type"] == t]
    wait_for("both at the webhook", lambda: sent("cluster.failover_blocked") and
             sent("cluster.failover_ready"), timeout=60)
    b = sent("cluster.failover_blocked")[0]
    assert b["cluster"] == "c1" and b["severity"] == "critical"
    assert "no replica may be promoted" in b["summary"]
    assert sent("cluster.failover_ready")[0]["severity"] == "info"
    hook.close()


def test_start_with_a_replica_down(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, **KEYS)
    try:
        lab_cmd("kill-mysqld", 4)
        r = m.run("start", "c1", timeout=180)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"replica {hp(4)} of 'c1' is unreachable: monitoring with the other replicas" \
            in r.stdout, r.stdout
        assert "cluster 'c1': monitored by the mha engine" in r.stdout
        assert ping_ok_without(m, 4)
        assert vip_holders() == [NODES[0]]
        left = next(e for e in m.events("c1") if e["type"] == "replica.left_out")
        assert left["node"] == hp(4)
        verdict, ready, _ = list_verdict(m)
        assert verdict == "degraded" and ready is True
    finally:
        finish_cluster(m)
