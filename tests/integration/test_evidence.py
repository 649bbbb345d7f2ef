# SPDX-License-Identifier: GPL-2.0-or-later
"""Behaviours that matter and were untested (the evidence issue, item 8), each in the lab:

- a failover while the replicas stand at different positions: the most advanced one is
  promoted, and every survivor ends with the same rows (all acknowledged writes);
- the manager host's own network failing while every master is alive: nothing moves, for the
  MHA engine (two clusters, one daemon) and the native engine.

The manager's network is cut with two blackhole routes in the root namespace (the manager
host) that are more specific than the lab's connected /24: every lab address, VIPs included,
becomes unreachable from the manager while the lab hosts keep talking over the bridge. The
routes are always removed again, even on failure."""
import re
import subprocess
import time

import pymysql

from conftest import lab_cmd
from test_faults import VIP2, cluster, holders, read_only, two_clusters, types
from test_lifecycle import (NODES, VIP, Writer, assert_writer_sane, events, finish_cluster,
                            make_cluster, master_of, wait_for)
from test_native import finish as finish_native
from test_native import make_native

CUT = ("10.77.0.0/25", "10.77.0.128/25")


def manager_cut(op):
    for net in CUT:
        r = subprocess.run(["ip", "route", op, "blackhole", net], capture_output=True,
                           text=True)
        if op == "add":
            assert r.returncode == 0, r.stderr


def admin(lab, n):
    return pymysql.connect(host=NODES[n - 1], user=lab.mha_user, password=lab.mha_password,
                           connect_timeout=3, read_timeout=10, autocommit=True,
                           cursorclass=pymysql.cursors.DictCursor)


def one(lab, n, sql):
    con = admin(lab, n)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()
    finally:
        con.close()


def received(lab, n):
    """How far replica hN has received from its master: (file, position, Gtid_IO_Pos)."""
    row = one(lab, n, "SHOW SLAVE STATUS")
    return row["Master_Log_File"], row["Read_Master_Log_Pos"], row["Gtid_IO_Pos"]


def ids_on(lab, n):
    con = admin(lab, n)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT id FROM labdb.t")
            return {r["id"] for r in cur.fetchall()}
    finally:
        con.close()


def stagger_replicas(m, w):
    """Under the writer: h2 stops receiving first, h3 a little later, h4 keeps going. Returns
    what each had received when the master died."""
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    one(m.lab, 2, "STOP SLAVE IO_THREAD")
    n = len(w.acked)
    wait_for("writes after h2 stopped receiving", lambda: len(w.acked) > n + 100, timeout=30)
    one(m.lab, 3, "STOP SLAVE IO_THREAD")
    n = len(w.acked)
    wait_for("writes after h3 stopped receiving", lambda: len(w.acked) > n + 100, timeout=30)
    time.sleep(0.5)  # h4 receives what the master has written meanwhile
    return {k: received(m.lab, k) for k in (2, 3, 4)}


def assert_survivors_identical(m, hosts, acked, timeout=90):
    """Every survivor ends with every acknowledged row and the same rows as the others."""
    nums = [NODES.index(h) + 1 for h in hosts]

    def same():
        sets = [ids_on(m.lab, k) for k in nums]
        return sets if all(s == sets[0] for s in sets) and set(acked) <= sets[0] else None
    try:
        wait_for("every survivor with the same rows, all acknowledged writes among them",
                 same, timeout=timeout)
    except AssertionError:
        sets = {h: ids_on(m.lab, k) for h, k in zip(hosts, nums)}
        detail = {h: (len(s), len(set(acked) - s)) for h, s in sets.items()}
        raise AssertionError(f"survivors differ (rows, acknowledged missing): {detail}")
    sums = {h: one(m.lab, k, "CHECKSUM TABLE labdb.t")["Checksum"] for h, k in zip(hosts, nums)}
    assert len(set(sums.values())) == 1, sums


def failover_staggered(m):
    w = Writer(m.lab)
    w.start()
    try:
        pos = stagger_replicas(m, w)
        # The positions really differ: h2 behind h3 behind h4.
        assert pos[2][:2] < pos[3][:2] < pos[4][:2], pos
        lab_cmd("kill-mysqld", 1)
        new = wait_for("the registry to name a new master",
                       lambda: master_of(m) if master_of(m) != "10.77.0.11:3306" else None,
                       timeout=120)
        n = len(w.acked)
        wait_for("writes acknowledged through the VIP on the new master",
                 lambda: len(w.acked) > n + 20, timeout=60)
    finally:
        w.stop_evt.set()
        w.join(timeout=30)
    wait_for("the failover report", lambda: "failover.completed" in events(m), timeout=120)
    return pos, new, w


def test_mha_failover_with_replicas_at_different_positions(fresh_lab, tmp_path):
    """File/position replication, as MHA was built for: it must promote the replica that
    received most (h4) and bring the others up to it from the relay logs."""
    m = make_cluster(fresh_lab, tmp_path)
    try:
        m.ok("start", "c1", timeout=180)
        pos, new, w = failover_staggered(m)
        assert new == "10.77.0.14:3306", (new, pos)
        assert_writer_sane(w)
        assert holders(VIP) == [NODES[3]]
        assert_survivors_identical(m, NODES[1:], w.acked)
        for k in (2, 3):
            row = one(m.lab, k, "SHOW SLAVE STATUS")
            assert row["Master_Host"] == NODES[3] and row["Slave_IO_Running"] == "Yes", row
            assert read_only(m.lab, k) == 1
    finally:
        finish_cluster(m)


def test_native_failover_with_replicas_at_different_positions(fresh_gtid_lab, tmp_path):
    """GTID replication, native engine: the highest Gtid_IO_Pos (h4) is promoted, the others
    are re-pointed by GTID and catch up to it."""
    m = make_native(fresh_gtid_lab, tmp_path)
    try:
        r = m.run("start", "c1", timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        pos, new, w = failover_staggered(m)
        assert new == "10.77.0.14:3306", (new, pos)
        assert_writer_sane(w)
        assert holders(VIP) == [NODES[3]]
        assert_survivors_identical(m, NODES[1:], w.acked)
        for k in (2, 3):
            row = one(m.lab, k, "SHOW SLAVE STATUS")
            assert row["Master_Host"] == NODES[3] and row["Using_Gtid"] != "No", row
            assert read_only(m.lab, k) == 1
    finally:
        finish_native(m)


def topology(m, names):
    """Per cluster: registry master, node roles, VIP holders; and which servers are writable."""
    out = {}
    for name, vip in names:
        c = cluster(m, name)
        out[name] = (c["master"], sorted((n["host"], n["role"]) for n in c["nodes"]),
                     holders(vip))
    out["writable"] = [n for n in (1, 2, 3, 4) if read_only(m.lab, n) == 0]
    return out


def test_manager_network_failing_moves_nothing_mha(fresh_lab, tmp_path):
    """Both masters alive, the manager host cut from the whole lab for longer than MHA's
    ping rounds: MHA's secondary check cannot reach a replica either, so it answers 'cannot
    tell' and nothing fails over — no VIP moves, no read_only changes, no registry change —
    and both clusters are ok again once the manager's network is back."""
    m = two_clusters(fresh_lab, tmp_path, probe_interval="2", lag_hold="2")
    names = (("c1", VIP), ("c2", VIP2))
    try:
        before = topology(m, names)
        assert before["writable"] == [1, 3], before
        manager_cut("add")
        logs = [f"{m.dir}/log/{n}/manager.log" for n, _ in names]

        def vetoes():
            return all(open(p, errors="replace").read().count(
                "secondary-check: cannot tell whether master") >= 2 for p in logs)
        wait_for("MHA's secondary check to answer 'cannot tell' twice for each cluster",
                 vetoes, timeout=120)
        manager_cut("del")
        for name, _ in names:
            wait_for(f"{name} ok again", lambda name=name: m.status(name)["clusters"][0][
                "verdict"] == "ok", timeout=120)
        assert topology(m, names) == before
        for name, _ in names:
            ev = types(m, name)
            assert not [t for t in ev if t.startswith("failover.") or t.startswith("storm.")
                        or t == "vip.moved"], (name, ev)
    finally:
        manager_cut("del")
        finish_cluster(m)


def test_manager_network_failing_moves_nothing_native(fresh_gtid_lab, tmp_path):
    """The native engine sees the master and every replica unreachable: it says so, and does
    not fail over; once the network is back it watches the same master."""
    m = make_native(fresh_gtid_lab, tmp_path)
    names = (("c1", VIP),)
    try:
        r = m.run("start", "c1", timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        before = topology(m, names)
        assert before["writable"] == [1], before
        manager_cut("add")
        wait_for("the engine to say the manager is cut off",
                 lambda: "cluster.unreachable_from_manager" in events(m), timeout=60)
        msg = next(e["message"] for e in m.events("c1")
                   if e["type"] == "cluster.unreachable_from_manager")
        assert re.search(r"no failover", msg), msg
        time.sleep(5)  # well past the engine's detection time (under a second)
        manager_cut("del")
        wait_for("the master answering the engine again",
                 lambda: "master.reachable_from_manager" in events(m), timeout=60)
        wait_for("c1 ok again", lambda: m.status("c1")["clusters"][0]["verdict"] == "ok",
                 timeout=120)
        assert topology(m, names) == before
        ev = events(m)
        assert not [t for t in ev if t.startswith("failover.") or t == "vip.moved"], ev
    finally:
        manager_cut("del")
        finish_native(m)
