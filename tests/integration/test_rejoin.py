# SPDX-License-Identifier: GPL-2.0-or-later
"""Rejoin in the lab: after a kill -9 failover the old master's mysqld is started again; once
the fence pass made it read-only, `mhaadm rejoin` (or the daemon with auto_rejoin = yes) makes
it a read-only replica of the new master by GTID, and the engine takes it back in. One with a
transaction the new master lacks is refused, the GTID named, and nothing changes. Real MariaDB,
sshd, MHA."""
import os
import subprocess

import pymysql

from conftest import assert_refused, lab_cmd
from test_lifecycle import (NODES, VIP, Writer, app_connect, assert_reprotected, assert_rows_on,
                            events, failover, finish_cluster, make_cluster, master_of, wait_for)
from test_native import assert_native_reprotected, finish, make_native, native_status

OLD = "10.77.0.11"


def slave_status(m, host):
    con = pymysql.connect(host=host, user=m.lab.mha_user, password=m.lab.mha_password,
                          connect_timeout=5, cursorclass=pymysql.cursors.DictCursor)
    try:
        with con.cursor() as cur:
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
            cur.execute("SELECT @@read_only AS ro, @@gtid_binlog_state AS gtid")
            var = cur.fetchone()
        return row, var
    finally:
        con.close()


def role_of(m, host):
    (c,) = m.clusters()
    return {n["host"]: n["role"] for n in c["nodes"]}[host]


def old_master_back_read_only(m):
    """Starts h1's mysqld again and waits for the daemon's fence pass to make it read-only."""
    lab_cmd("start-mysqld", 1)

    def read_only():
        try:
            return m.lab.sql(1, "SELECT @@read_only").strip() == "1"
        except subprocess.CalledProcessError:
            return False
    wait_for("the old master up and read-only", read_only, timeout=90)


def assert_replica_of(m, host, new):
    """host replicates from new by GTID, read-only, both threads running."""
    def running():
        row, var = slave_status(m, host)
        return row and row["Slave_IO_Running"] == "Yes" and row["Slave_SQL_Running"] == "Yes"
    wait_for(f"{host} replicating", running, timeout=30)
    row, var = slave_status(m, host)
    assert f"{row['Master_Host']}:{row['Master_Port']}" == new, row
    assert row["Using_Gtid"] == "Current_Pos", row
    assert var["ro"] == 1, var


def assert_follows_the_vip(m, host, acked, row_id):
    """A row written through the VIP now appears on host, and so does every acknowledged one."""
    con = app_connect(m.lab, VIP)
    with con.cursor() as cur:
        cur.execute("INSERT INTO t (id, v) VALUES (%s, 'after-rejoin')", (row_id,))
    con.close()
    wait_for(f"row {row_id} on {host}", lambda: str(row_id) in m.lab.sql(
        NODES.index(host) + 1, f"SELECT id FROM labdb.t WHERE id={row_id}"), timeout=60)
    assert_rows_on(m, host, acked)


def mha_conf_has(m, host):
    conf = os.path.join(m.dir, "work", "mha", "c1", "c1.cnf")
    try:
        return f"hostname={host}" in open(conf).read()
    except FileNotFoundError:
        return False


def test_rejoin_by_hand(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path)
    try:
        m.ok("start", "c1", timeout=180)
        old, new, w = failover(m, m.lab)
        assert old == f"{OLD}:3306"
        new_host = new.split(":")[0]
        other = next(h for h in NODES[1:] if h != new_host)
        assert_reprotected(m, new)
        old_master_back_read_only(m)
        # auto_rejoin is off by default: the daemon leaves it failed.
        assert role_of(m, OLD) == "failed"
        assert "replica.rejoined" not in events(m)

        before = m.clusters()
        for args, frag in [
                (["nosuch", OLD], "no cluster 'nosuch'"),
                (["c1", "10.77.0.99"], "10.77.0.99:3306 is not a node of cluster 'c1'"),
                (["c1", new_host], f"{new} is the current master"),
                (["c1", other], "is a replica already"),
                (["c1", "10.77.0.11:notaport"], "port")]:
            r = m.run("rejoin", *args)
            assert_refused(r, frag)
        r = m.run("rejoin", "c1")
        assert r.returncode == 2 and "usage:" in r.stderr, r.stderr
        assert m.clusters() == before

        r = m.ok("rejoin", "c1", OLD)
        assert f"{OLD}:3306 rejoined as a read-only replica of {new}" in r.stdout, r.stdout
        assert role_of(m, OLD) == "replica"
        assert_replica_of(m, OLD, new)
        assert_follows_the_vip(m, OLD, w.acked, 900001)
        ev = m.events("c1")
        rejoined = [e for e in ev if e["type"] == "replica.rejoined"]
        assert len(rejoined) == 1 and rejoined[0]["node"] == f"{OLD}:3306", rejoined
        # The engine is restarted with it: MHA monitors it again.
        wait_for("MHA's config to hold the rejoined node", lambda: mha_conf_has(m, OLD),
                 timeout=120)
        # Refused a second time: it is a replica now.
        assert_refused(m.run("rejoin", "c1", OLD), "is a replica already")
    finally:
        finish_cluster(m)


def test_auto_rejoin(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, auto_rejoin="yes", probe_interval="2")
    try:
        m.ok("start", "c1", timeout=180)
        old, new, w = failover(m, m.lab)
        lab_cmd("start-mysqld", 1)
        wait_for("the daemon to rejoin the old master", lambda: role_of(m, OLD) == "replica",
                 timeout=120)
        assert_replica_of(m, OLD, new)
        assert_follows_the_vip(m, OLD, w.acked, 900002)
        ev = events(m)
        assert ev.count("replica.rejoined") == 1, ev
        assert "replica.rejoin_refused" not in ev and "replica.rejoin_failed" not in ev, ev
        wait_for("MHA's config to hold the rejoined node", lambda: mha_conf_has(m, OLD),
                 timeout=120)
    finally:
        finish_cluster(m)


def test_rejoin_refused_for_errant_transaction(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, auto_rejoin="yes", probe_interval="2")
    try:
        m.ok("start", "c1", timeout=180)
        old, new, w = failover(m, m.lab)
        assert_reprotected(m, new)
        # Stopped before the old master answers, so that auto_rejoin cannot win the race
        # with the write below; started again afterwards to see it refuse once.
        m.daemon.stop()
        lab_cmd("start-mysqld", 1)
        wait_for("the old master up", lambda: _answers(m), timeout=90)
        # A write on the old master itself, binlogged (root over the socket ignores
        # read_only): a transaction the new master never had.
        m.lab.sql(1, "SET GLOBAL read_only=1")
        m.lab.sql(1, "SET sql_log_bin=1; INSERT INTO labdb.t (id, v) VALUES (990001, 'errant')")
        gtid = m.lab.sql(1, "SELECT @@gtid_binlog_pos").split()[-1]
        assert gtid.startswith("0-1-"), gtid

        before = m.snapshot()
        r = m.run("rejoin", "c1", OLD)
        assert_refused(r, "not rejoined", f"holds transactions the master {new} lacks",
                       gtid, "rebuild", "flashback")
        assert m.snapshot() == before
        assert role_of(m, OLD) == "failed"
        row, var = slave_status(m, OLD)
        assert row is None, row  # never pointed anywhere

        # The daemon with auto_rejoin: refused too, said once, not every pass.
        m.daemon.start()
        wait_for("the refusal event", lambda: "replica.rejoin_refused" in events(m), timeout=60)
        n = len(m.events("c1"))
        wait_for("a few more status passes", lambda: _watch_passes(m) >= 4, timeout=60)
        ev = events(m)
        assert ev.count("replica.rejoin_refused") == 1, ev
        (refused,) = [e for e in m.events("c1") if e["type"] == "replica.rejoin_refused"]
        assert gtid in refused["message"], refused
        assert role_of(m, OLD) == "failed"
        assert slave_status(m, OLD)[0] is None
        assert len(m.events("c1")) >= n
    finally:
        finish_cluster(m)


def _answers(m):
    try:
        m.lab.sql(1, "SELECT 1")
        return True
    except subprocess.CalledProcessError:
        return False


_passes = {}


def _watch_passes(m):
    """Status passes since the first call for this mhaadm: watch.json is rewritten by each."""
    path = os.path.join(m.dir, "work", "watch.json")
    mtime = os.stat(path).st_mtime_ns
    seen = _passes.setdefault(m.dir, set())
    seen.add(mtime)
    return len(seen)


def test_rejoin_native_engine(fresh_gtid_lab, tmp_path):
    """The same by hand under the native engine: it reads the registry again and watches the
    rejoined replica. The writer is stopped and every replica caught up before the kill, so
    that the old master holds nothing the new one lacks (the native engine salvages no binlog
    events; a write only the old master got would rightly be refused)."""
    lab = fresh_gtid_lab
    m = make_native(lab, tmp_path)
    try:
        m.ok("start", "c1", timeout=60)
        w = Writer(lab, limit=200)
        w.start()
        w.join(timeout=120)
        for host in NODES:
            wait_for(f"the writes on {host}", lambda host=host: _has_rows(m, host, w.acked),
                     timeout=60)
        lab_cmd("kill-mysqld", 1)
        new = wait_for("a new master", lambda: master_of(m) if master_of(m) !=
                       f"{OLD}:3306" else None, timeout=60)
        assert_native_reprotected(m, new)
        assert native_status(m).get("replicas") == "2"
        old_master_back_read_only(m)
        assert role_of(m, OLD) == "failed"
        r = m.ok("rejoin", "c1", OLD)
        assert f"{OLD}:3306 rejoined as a read-only replica of {new}" in r.stdout, r.stdout
        assert role_of(m, OLD) == "replica"
        assert_replica_of(m, OLD, new)
        assert_follows_the_vip(m, OLD, w.acked, 900003)
        assert "replica.rejoined" in events(m)
        wait_for("the native engine watching the rejoined replica",
                 lambda: native_status(m).get("replicas") == "3" and
                 native_status(m).get("master") == new, timeout=30)
    finally:
        finish(m)


def _has_rows(m, host, ids):
    try:
        assert_rows_on(m, host, ids)
        return True
    except AssertionError:
        return False
