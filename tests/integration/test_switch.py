# SPDX-License-Identifier: GPL-2.0-or-later
"""Planned switchover (mhaadm switch) in the lab, under a writer through the VIP: to a named
replica and back, a refused switch that changes nothing, a switch that fails mid-way and rolls
back, and switch all --from over two clusters. Native engine and MHA engine; real MariaDB with
GTID replication, sshd, MHA."""
import json

import pymysql
import pytest

from conftest import Mhaadm, assert_refused
from test_lifecycle import (NODES, VIP, Daemon, Writer, app_connect, assert_rows_on,
                            assert_rows_on_survivors, assert_writer_sane, events, finish_cluster,
                            make_cluster, master_of, vip_holders, wait_for)
from test_native import finish, make_native, writable_servers


def replica_status(lab, host):
    con = pymysql.connect(host=host, user=lab.mha_user, password=lab.mha_password,
                          connect_timeout=5, cursorclass=pymysql.cursors.DictCursor)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT @@read_only AS ro")
            ro = cur.fetchone()["ro"]
            cur.execute("SHOW SLAVE STATUS")
            return ro, cur.fetchone()
    finally:
        con.close()


def assert_switched(m, old, new, engine):
    """What a user sees after a switch from old to new (hosts)."""
    (c,) = m.clusters()
    assert c["master"] == f"{new}:3306" and c["state"] == "monitoring", c
    roles = {n["host"]: n["role"] for n in c["nodes"]}
    assert roles[new] == "master" and roles[old] == "replica", roles
    assert vip_holders() == [new]
    con = app_connect(m.lab, VIP)
    with con.cursor() as cur:
        cur.execute("SELECT @@server_id")
        assert cur.fetchone()[0] == NODES.index(new) + 1
    con.close()
    assert writable_servers(m.lab) == [new]
    # The old master: a read-only replica of the new one, by GTID, both threads running.
    ro, st = wait_for("the old master replicating from the new one",
                      lambda: (lambda r: r if r[1] and r[1]["Slave_IO_Running"] == "Yes" and
                               r[1]["Slave_SQL_Running"] == "Yes" else None)(
                          replica_status(m.lab, old)), timeout=30)
    assert ro == 1 and st["Master_Host"] == new and st["Using_Gtid"] == "Current_Pos", st
    for h in roles:
        if h not in (old, new) and roles[h] == "replica":
            _, st = replica_status(m.lab, h)
            assert st["Master_Host"] == new and st["Using_Gtid"] == "Slave_Pos", (h, st)
    ev = m.events("c1")
    done = [e for e in ev if e["type"] == "switch.completed"]
    assert done and done[0]["fields"]["new_master"] == f"{new}:3306", done
    assert done[0]["fields"]["old_master"] == f"{old}:3306"
    types = [e["type"] for e in ev]
    assert "switch.started" in types and "switch.failed" not in types, types
    assert "failover.started" not in types, types
    # The isolation guard follows the switch (auto with 3 replicas: semi-sync): the new master
    # waits for a replica's acknowledgement, the old one no longer acts as a semi-sync master.
    guard = wait_for("the guard on the new topology", lambda: (lambda g: g if g.get("state") ==
                     "semisync" and (g.get("acks") or 0) >= 1 else None)(
                         json.loads(m.run("list", "c1", "--json").stdout)["clusters"][0]
                         .get("guard") or {}), timeout=60)
    assert guard["state"] == "semisync", guard

    def semisync_master(host):
        out = m.lab.sql(NODES.index(host) + 1, "SELECT @@rpl_semi_sync_master_enabled")
        return out.strip().splitlines()[-1].strip()
    assert semisync_master(new) == "1" and semisync_master(old) == "0"


def switch_under_writes(m, old, new, engine):
    w = Writer(m.lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    r = m.run("switch", "c1", "--to", new, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"cluster 'c1': switched: master {new}:3306 (was {old}:3306)" in r.stdout, r.stdout
    # Progress lines while it runs.
    for frag in (f"old master {old}:3306: read_only = 1", f"new master {new}:3306 writable",
                 f"{old}:3306 replicates from {new}:3306"):
        assert frag in r.stderr, r.stderr
    assert f"monitored by the {engine} engine; master {new}:3306" in r.stdout, r.stdout
    n = len(w.acked)
    wait_for("writes acknowledged through the VIP on the new master",
             lambda: len(w.acked) > n + 20, timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    print(f"longest gap between acknowledged writes: {w.longest_gap():.3f} s")
    assert_rows_on(m, new, w.acked)
    assert_writer_sane(w)
    assert_switched(m, old, new, engine)
    return w


@pytest.fixture
def native(fresh_gtid_lab, tmp_path):
    m = make_native(fresh_gtid_lab, tmp_path)
    yield m
    finish(m)


@pytest.mark.parametrize("engine", ["native", "mha"])
def test_switch_and_back_under_writes(engine, fresh_gtid_lab, tmp_path):
    m = (make_native if engine == "native" else make_cluster)(fresh_gtid_lab, tmp_path)
    try:
        m.ok("start", "c1", timeout=180)
        w1 = switch_under_writes(m, "10.77.0.11", "10.77.0.12", engine)
        w2 = switch_under_writes(m, "10.77.0.12", "10.77.0.11", engine)
        assert_rows_on_survivors(m, w1.acked + w2.acked)
        assert [e for e in events(m) if e == "switch.completed"] == ["switch.completed"] * 2
    finally:
        (finish if engine == "native" else finish_cluster)(m)


def test_switch_refused_for_lagging_target_changes_nothing(native):
    """h2 holds FLUSH TABLES WITH READ LOCK while the master takes writes: it lags beyond
    max_lag; a switch to it is refused with the reason, and nothing changes."""
    m = native
    m.keys["max_lag"] = "2"
    m.write_config()
    m.ok("start", "c1", timeout=60)
    lock = pymysql.connect(host="10.77.0.12", user=m.lab.mha_user,
                           password=m.lab.mha_password, connect_timeout=5)
    w = Writer(m.lab)
    try:
        with lock.cursor() as cur:
            cur.execute("FLUSH TABLES WITH READ LOCK")
        w.start()
        wait_for("h2 to lag beyond max_lag",
                 lambda: (lambda ro_st: ro_st[1]["Seconds_Behind_Master"] is not None and
                          ro_st[1]["Seconds_Behind_Master"] > 3)(
                     replica_status(m.lab, "10.77.0.12")), timeout=60, interval=1)
        before = m.snapshot()
        r = m.run("switch", "c1", "--to", "10.77.0.12", timeout=60)
        assert_refused(r, "refused: 10.77.0.12:3306 may not be promoted: lags",
                       "more than max_lag 2 s", "nothing was changed")
        assert m.snapshot() == before
        r = m.run("switch", "c1", "--to", "10.77.0.99", timeout=60)
        assert_refused(r, "10.77.0.99 is not a node of cluster 'c1'", "nothing was changed")
        r = m.run("switch", "c1", "--to", "10.77.0.11", timeout=60)
        assert_refused(r, "10.77.0.11:3306 is the master of cluster 'c1' already")
        assert m.snapshot() == before
    finally:
        w.stop_evt.set()
        w.join(timeout=30)
        lock.close()
    assert master_of(m) == "10.77.0.11:3306"
    assert vip_holders() == ["10.77.0.11"]
    assert writable_servers(m.lab) == ["10.77.0.11"]
    assert_writer_sane(w)


def test_switch_bad_input_and_unmonitored(native):
    m = native
    before = m.snapshot()
    r = m.run("switch", "c1", "--to", "10.77.0.12")
    assert_refused(r, "refused: cluster 'c1' is not monitored (state registered)",
                   "nothing was changed")
    r = m.run("switch", "all")
    assert_refused(r, "switch all needs --from HOST", rc=2)
    r = m.run("switch", "c1", "--from", "10.77.0.11")
    assert_refused(r, "--from goes with 'all'", rc=2)
    r = m.run("switch", "c1", "--to", "bad host;")
    assert_refused(r, "--to bad host;")
    r = m.run("switch", "nosuch")
    assert_refused(r, "no cluster named 'nosuch'")
    r = m.run("switch", "c1", "--timeout", "0")
    assert_refused(r, "--timeout needs seconds", rc=2)
    r = m.run("switch", "all", "--from", "10.77.0.14")
    assert_refused(r, "no cluster has its master on 10.77.0.14")
    assert m.snapshot() == before


def test_switch_target_not_catching_up_rolls_back(native):
    """The target cannot apply (FLUSH TABLES WITH READ LOCK) within --timeout after the old
    master went read-only: the switch fails and rolls back; the old master is writable with the
    VIP again, no acknowledged write is lost, and the engine protects the cluster again."""
    m = native
    m.ok("start", "c1", timeout=60)
    w = Writer(m.lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    lock = pymysql.connect(host="10.77.0.12", user=m.lab.mha_user,
                           password=m.lab.mha_password, connect_timeout=5)
    try:
        with lock.cursor() as cur:
            cur.execute("FLUSH TABLES WITH READ LOCK")
        wait_for("writes the locked target has not applied", lambda: len(w.acked) > 100,
                 timeout=30)
        r = m.run("switch", "c1", "--to", "10.77.0.12", "--timeout", "2", timeout=180)
    finally:
        lock.close()
    assert r.returncode == 1, r.stdout + r.stderr
    assert "did not reach GTID" in r.stderr and "rolled back" in r.stderr, r.stderr
    assert "10.77.0.11:3306 is the writable master with the VIP" in r.stderr, r.stderr
    n = len(w.acked)
    wait_for("writes acknowledged on the old master again", lambda: len(w.acked) > n + 20,
             timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    assert master_of(m) == "10.77.0.11:3306"
    assert vip_holders() == ["10.77.0.11"]
    assert writable_servers(m.lab) == ["10.77.0.11"]
    assert_rows_on(m, "10.77.0.11", w.acked)
    assert_writer_sane(w)
    (c,) = m.clusters()
    assert c["state"] == "monitoring"
    ev = m.events("c1")
    failed = [e for e in ev if e["type"] == "switch.failed"]
    assert failed and failed[0]["fields"]["rolled_back"] == "yes", failed
    assert "switch.completed" not in [e["type"] for e in ev]
    _, st = replica_status(m.lab, "10.77.0.12")
    assert st["Master_Host"] == "10.77.0.11"
    assert_rows_on_survivors(m, w.acked)


def test_switch_all_from_host_over_two_clusters(fresh_gtid_lab, tmp_path):
    """c1 = h1 (master) + h2, c2 = h3 (master) + h4. switch all --from h1 moves c1 only;
    then all --from h2 and all --from h3 move each back / over; c2's untouched meanwhile."""
    lab = fresh_gtid_lab
    # h3 becomes the master of its own cluster, h4 its replica.
    lab.sql(3, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0")
    lab.sql(4, "STOP SLAVE; CHANGE MASTER TO MASTER_HOST = '10.77.0.13'; START SLAVE")
    # Nodes named, not discovered: SHOW SLAVE HOSTS on h1 may still list h3 for a while.
    m = Mhaadm(lab, tmp_path, ssh_key=lab.env["LAB_SSH_KEY"],
               ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"], connect_timeout="2")
    m.ok("init")
    m.ok("add", "c1", "--node", "10.77.0.11", "--node", "10.77.0.12", "--vip", f"{VIP}/24",
         "--engine", "native")
    m.daemon = Daemon(m)
    m.daemon.start()
    try:
        m.ok("add", "c2", "--node", "10.77.0.13", "--node", "10.77.0.14", "--vip",
             "10.77.0.101/24", "--engine", "native")
        m.ok("start", "all", timeout=120)
        r = m.run("switch", "all", "--from", "10.77.0.11", timeout=240)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "every cluster with its master on 10.77.0.11 switched (1)" in r.stdout
        cl = {c["name"]: c for c in m.clusters()}
        assert cl["c1"]["master"] == "10.77.0.12:3306"
        assert cl["c2"]["master"] == "10.77.0.13:3306"
        assert "switch.started" not in [e["type"] for e in m.events("c2")]
        r = m.run("switch", "all", "--from", "10.77.0.13", timeout=240)
        assert r.returncode == 0, r.stdout + r.stderr
        cl = {c["name"]: c for c in m.clusters()}
        assert cl["c1"]["master"] == "10.77.0.12:3306"
        assert cl["c2"]["master"] == "10.77.0.14:3306"
        assert sorted(writable_servers(lab)) == ["10.77.0.12", "10.77.0.14"]
    finally:
        finish(m)
