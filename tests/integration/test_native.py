# SPDX-License-Identifier: GPL-2.0-or-later
"""The native engine in the lab (engine = native): kill -9 of the master under write load
through the VIP, a second failover of the new master, and the manager-only partition (no
failover). Real MariaDB with GTID replication, sshd, no MHA."""
import os
import subprocess
import time

import pytest

from conftest import Mhaadm, lab_cmd
from test_lifecycle import (NODES, VIP, Daemon, Writer, app_connect, assert_rows_on,
                            assert_rows_on_survivors, assert_writer_sane, events, master_of,
                            vip_holders, wait_for)


def make_native(lab, tmp_path, add_args=(), **overrides):
    keys = dict(ssh_key=lab.env["LAB_SSH_KEY"], ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"],
                connect_timeout="2")
    keys.update(overrides)
    m = Mhaadm(lab, tmp_path, **keys)
    m.ok("init")
    m.ok("add", "c1", "--master", "10.77.0.11", "--vip", f"{VIP}/24", "--engine", "native",
         *add_args)
    lab.sql(1, "CREATE TABLE IF NOT EXISTS labdb.t (id INT PRIMARY KEY, v VARCHAR(32))")
    d = Daemon(m)
    d.start()
    m.daemon = d
    m.lab = lab
    return m


def finish(m):
    m.daemon.stop()
    m.daemon.log.close()
    if os.environ.get("MHAADM_TEST_VERBOSE"):
        print(open(os.path.join(m.dir, "daemon.log")).read())


@pytest.fixture
def native(fresh_gtid_lab, tmp_path):
    m = make_native(fresh_gtid_lab, tmp_path)
    yield m
    finish(m)


def native_status(m):
    path = os.path.join(m.dir, "work", "native", "c1.status")
    try:
        return dict(line.split("=", 1) for line in open(path).read().split())
    except OSError:
        return {}


def native_failover(m):
    """Kills the master's mysqld under write load; returns (old, new, writer)."""
    old = master_of(m)
    old_n = NODES.index(old.split(":")[0]) + 1
    n_completed = events(m).count("failover.completed")
    w = Writer(m.lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    lab_cmd("kill-mysqld", old_n)
    new = wait_for("the registry to name a new master",
                   lambda: master_of(m) if master_of(m) != old else None, timeout=60)
    n_before = len(w.acked)
    wait_for("writes acknowledged through the VIP on the new master",
             lambda: len(w.acked) > n_before + 20, timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    wait_for("failover.completed", lambda: events(m).count("failover.completed") > n_completed,
             timeout=60)
    return old, new, w


def assert_native_reprotected(m, new, times=1):
    wait_for("re-protection", lambda: events(m).count("cluster.reprotected") >= times,
             timeout=60)
    (c,) = m.clusters()
    assert c["state"] == "monitoring" and c["master"] == new
    st = wait_for("the engine watching the new master",
                  lambda: native_status(m) if native_status(m).get("master") == new and
                  native_status(m).get("master_reachable") == "1" else None, timeout=30)
    assert st["state"] == "watching"


def writable_servers(lab):
    """The lab hosts whose mysqld runs with read_only off (asked over their sockets)."""
    out = []
    for i in range(1, 5):
        r = lab_cmd("sql", i, "SELECT @@read_only", check=False)
        if r.returncode == 0 and r.stdout.strip().splitlines()[-1].strip() == "0":
            out.append(f"10.77.0.{10 + i}")
    return out


def test_native_kill9_under_load_and_second_failover(native):
    m = native
    r = m.run("start", "c1", timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "monitored by the native engine; master 10.77.0.11:3306" in r.stdout
    assert vip_holders() == ["10.77.0.11"]
    # One engine process for the cluster, not masterha_manager.
    assert native_status(m).get("state") == "watching"

    old, new, w = native_failover(m)
    new_host = new.split(":")[0]
    assert vip_holders() == [new_host]
    con = app_connect(m.lab, VIP)
    with con.cursor() as cur:
        cur.execute("SELECT @@server_id")
        assert cur.fetchone()[0] == NODES.index(new_host) + 1
    con.close()
    assert_rows_on(m, new_host, w.acked)
    assert_writer_sane(w)
    (c,) = m.clusters()
    roles = {n["host"]: n["role"] for n in c["nodes"]}
    assert roles[old.split(":")[0]] == "failed" and roles[new_host] == "master"
    ev = events(m)
    for t in ("failover.started", "vip.moved", "failover.master_changed", "failover.completed"):
        assert t in ev, ev
    assert "master.unreachable_from_manager" not in ev
    assert writable_servers(m.lab) == [new_host]
    assert_native_reprotected(m, new)
    assert_rows_on_survivors(m, w.acked)

    # Protected again without a restart: the new master's death is handled too.
    old2, new2, w2 = native_failover(m)
    assert old2 == new and new2 not in (old, new)
    assert vip_holders() == [new2.split(":")[0]]
    assert_rows_on(m, new2.split(":")[0], w2.acked)
    assert_writer_sane(w2)
    assert writable_servers(m.lab) == [new2.split(":")[0]]
    assert_native_reprotected(m, new2, times=2)
    assert_rows_on_survivors(m, w.acked + w2.acked)


def test_native_manager_only_partition_no_failover(native):
    m = native
    m.ok("start", "c1", timeout=60)
    route = ["ip", "route", "add", "blackhole", "10.77.0.11/32"]
    try:
        subprocess.run(route, check=True)
        wait_for("the unreachable-from-manager alert",
                 lambda: "master.unreachable_from_manager" in events(m), timeout=30)
        time.sleep(3)  # several more detection rounds: still no failover
        ev = events(m)
        assert "failover.started" not in ev, ev
        assert master_of(m) == "10.77.0.11:3306"
        assert vip_holders() == ["10.77.0.11"]
        assert writable_servers(m.lab) == ["10.77.0.11"]
    finally:
        subprocess.run(["ip", "route", "del", "blackhole", "10.77.0.11/32"], check=False)
    wait_for("the master reachable again", lambda: "master.reachable_from_manager" in events(m), timeout=30)
    assert "failover.started" not in events(m)
    (c,) = m.clusters()
    assert c["state"] == "monitoring"


def test_native_start_refuses_file_position_replication(fresh_lab, tmp_path):
    """A cluster replicating by file/position is refused with the fix, and nothing starts."""
    m = make_native(fresh_lab, tmp_path)
    try:
        r = m.run("start", "c1", timeout=60)
        assert r.returncode != 0
        assert "replicates by file/position" in r.stderr and "MASTER_USE_GTID=slave_pos" in r.stderr
        (c,) = m.clusters()
        assert c["desired"] == "stopped"
    finally:
        finish(m)


def test_native_delayed_replica_not_promoted(native):
    """h2 would win the tie (first of equals) but is a delayed replica: h3 or h4 is promoted,
    and h2 follows the new master."""
    m = native
    m.lab.sql(2, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 3600; START SLAVE")
    m.ok("start", "c1", timeout=60)
    old, new, w = native_failover(m)
    assert new.split(":")[0] in ("10.77.0.13", "10.77.0.14"), new
    assert_rows_on(m, new.split(":")[0], w.acked)
    assert vip_holders() == [new.split(":")[0]]
    assert writable_servers(m.lab) == [new.split(":")[0]]
    src = m.lab.sql(2, "SHOW SLAVE STATUS")
    assert new.split(":")[0] in src, src
