# SPDX-License-Identifier: GPL-2.0-or-later
"""The native engine's binlog salvage and a failover while the registry is down or hung, in the lab
(real MariaDB with GTID replication, sshd, no MHA).

Salvage: the replicas' IO threads are stopped, so the rows the master acknowledges next reach
no replica; its mysqld is killed (the host stays up). The engine reads the dead master's
binlog with mariadb-binlog over its kept SSH session and applies the missing transactions on
the new master, with their GTIDs, before writes open: every acknowledged row is on the new
master and, once repointed, on the other replicas; no password is in any process's argv."""
import os
import signal
import subprocess
import threading
import time

import pymysql

from conftest import LAB_DIR, lab_cmd
from test_lifecycle import (NODES, VIP, app_connect, assert_rows_on, assert_rows_on_survivors,
                            events, master_of, vip_holders, wait_for)
from test_native import (assert_native_reprotected, engine_pid, finish, make_native,
                         native_status, writable_servers)


class ArgvWatch(threading.Thread):
    """Reads every process's argv every few ms until stopped: which held a secret, and
    whether a mariadb-binlog was seen (the scan catches short-lived processes)."""

    def __init__(self, secrets):
        super().__init__(daemon=True)
        self.secrets = [s.encode() for s in secrets if s]
        self.leaks = []
        self.binlog_seen = False
        self.stop_evt = threading.Event()

    def run(self):
        while not self.stop_evt.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        argv = f.read()
                except OSError:
                    continue
                if b"mariadb-binlog" in argv:
                    self.binlog_seen = True
                for s in self.secrets:
                    if s in argv:
                        self.leaks.append(argv.replace(b"\0", b" ").decode(errors="replace"))
            time.sleep(0.002)


def kept_ssh_to(host, pid):
    """True when process pid holds an established TCP connection to host:22."""
    r = subprocess.run(["ss", "-Htnp", "state", "established", "dst", host, "dport", "=", ":22"],
                       capture_output=True, text=True)
    return f"pid={pid}," in r.stdout


def gtid_seq(pos, domain=0, server=1):
    """The sequence number of domain-server in a GTID list ("0-1-42,..."), or 0."""
    for g in pos.replace("\n", ",").split(","):
        parts = g.strip().split("-")
        if len(parts) == 3 and int(parts[0]) == domain and int(parts[1]) == server:
            return int(parts[2])
    return 0


def test_native_salvage_applies_what_no_replica_received(fresh_gtid_lab, tmp_path):
    """Asynchronous replication (isolation_guard = off: with the guard's semi-sync, no commit
    is acknowledged before a replica has it): 40 rows acknowledged by the master while no
    replica receives, then its mysqld killed."""
    m = make_native(fresh_gtid_lab, tmp_path, isolation_guard="off")
    try:
        salvage_case(m)
    finally:
        finish(m)


def salvage_case(m):
    lab = m.lab
    m.ok("start", "c1", timeout=60)
    assert lab.sql(1, "SELECT @@rpl_semi_sync_master_enabled").split()[-1] == "0"
    wait_for("the engine watching the master", lambda: native_status(m).get("state") ==
             "watching" and native_status(m).get("master_reachable") == "1", timeout=30)
    pid = engine_pid(m)
    wait_for("the engine's kept SSH session to the master's host",
             lambda: kept_ssh_to("10.77.0.11", pid), timeout=30, interval=0.2)
    # Seed before the IO threads stop, so every replica has the table.
    con = app_connect(lab, VIP)
    with con.cursor() as cur:
        cur.execute("INSERT INTO t (id, v) VALUES (1, 'replicated')")
    for n in (2, 3, 4):
        wait_for(f"row 1 on h{n}",
                 lambda n=n: "replicated" in lab.sql(n, "SELECT v FROM labdb.t WHERE id = 1"),
                 timeout=30, interval=0.2)
        lab.sql(n, "STOP SLAVE IO_THREAD")
    acked = [1]
    with con.cursor() as cur:
        for i in range(2, 42):
            cur.execute("INSERT INTO t (id, v) VALUES (%s, 'only on the master')", (i,))
            acked.append(i)
    con.close()
    master_pos = lab.sql(1, "SELECT @@gtid_binlog_pos").split()[-1]
    for n in (2, 3, 4):
        assert lab.sql(n, "SELECT COUNT(*) FROM labdb.t").split()[-1] == "1"

    watch = ArgvWatch([lab.mha_password, lab.env["LAB_REPL_PASSWORD"]])
    watch.start()
    try:
        lab_cmd("kill-mysqld", 1)
        new = wait_for("the registry to name a new master",
                       lambda: master_of(m) if master_of(m) != "10.77.0.11:3306" else None,
                       timeout=60, interval=0.2)
        wait_for("failover.completed", lambda: "failover.completed" in events(m), timeout=60,
                 interval=0.2)
    finally:
        watch.stop_evt.set()
        watch.join(timeout=10)
    new_host = new.split(":")[0]
    new_n = NODES.index(new_host) + 1

    ev = {e["type"]: e for e in m.events("c1")}
    assert "failover.salvage_failed" not in ev, ev["failover.salvage_failed"]["message"]
    salvaged = ev["failover.salvaged"]
    print(f"salvage: {salvaged['message']}")
    assert salvaged["fields"]["transactions"] == "40", salvaged
    assert "kept ssh session" in salvaged["message"]
    assert "salvaged 40 transactions" in ev["failover.completed"]["message"]
    # What the user sees: the VIP and the only writable server on the new master, every
    # acknowledged row there, with the old master's GTIDs (not errant: 0-1-N, the same N).
    assert vip_holders() == [new_host]
    assert writable_servers(lab) == [new_host]
    assert_rows_on(m, new_host, acked)
    new_state = lab.sql(new_n, "SELECT @@gtid_binlog_state")
    assert gtid_seq(new_state) == gtid_seq(master_pos), (new_state, master_pos)
    con = app_connect(lab, VIP)
    with con.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM t")
        assert cur.fetchone()[0] == len(acked)
    con.close()
    # The other replicas, repointed with their IO threads started again, get them too.
    assert_rows_on_survivors(m, acked)
    assert_native_reprotected(m, new)
    assert not watch.leaks, watch.leaks
    print(f"argv scan: mariadb-binlog seen: {watch.binlog_seen}; no password in any argv")


def test_native_registry_down_during_failover(lab_manager, tmp_path):
    """The MySQL registry on h5 is down while the native engine fails the master over: the
    VIP moves and writes open without it, the registry update is spooled, and it lands (once,
    marked late) when the registry returns; the cluster is protected again."""
    lab = lab_manager.ensure(4, 1, fresh=True, gtid=True)
    lab_manager.dirty = True
    m = make_native(lab, tmp_path, registry="mysql", registry_path=None,
                    mysql_host="10.77.0.15", mysql_user=lab.mha_user,
                    mysql_password=lab.mha_password, mysql_database="mhaadm_reg")
    try:
        m.ok("start", "c1", timeout=60)
        wait_for("the engine watching the master", lambda: native_status(m).get("state") ==
                 "watching" and native_status(m).get("master_reachable") == "1", timeout=30)
        con = app_connect(lab, VIP)
        with con.cursor() as cur:
            for i in range(1, 21):
                cur.execute("INSERT INTO t (id, v) VALUES (%s, 'before')", (i,))
        con.close()
        lab_cmd("kill-mysqld", 5)
        lab_cmd("kill-mysqld", 1)

        def moved():
            h = vip_holders()
            return h if h and h != ["10.77.0.11"] else None
        new_host = wait_for("the VIP on a new master", moved, timeout=60, interval=0.2)[0]
        wait_for("the new master writable", lambda: writable_servers(lab) == [new_host],
                 timeout=30, interval=0.2)
        con = app_connect(lab, VIP)
        with con.cursor() as cur:
            cur.execute("INSERT INTO t (id, v) VALUES (21, 'after')")
        con.close()
        spool = os.path.join(m.dir, "work", "spool")
        wait_for("a spooled registry update",
                 lambda: os.path.isdir(spool) and any(f.endswith(".master")
                                                      for f in os.listdir(spool)), timeout=30)
        # The registry is still down: nothing could have recorded the change.
        try:
            pymysql.connect(host="10.77.0.15", user=lab.mha_user, password=lab.mha_password,
                            connect_timeout=2).close()
            raise AssertionError("the registry answered while it should be down")
        except pymysql.err.OperationalError:
            pass
        lab_cmd("start-mysqld", 5)
        wait_for("the registry to name the new master",
                 lambda: m.run("list", "all", "--json", "--no-probe").returncode == 0 and
                 master_of(m) == f"{new_host}:3306", timeout=60)
        late = [e for e in m.events("c1") if e["type"] == "failover.master_changed"]
        assert len(late) == 1 and "recorded late" in late[0]["message"], late
        (c,) = m.clusters()
        roles = {n["host"]: n["role"] for n in c["nodes"]}
        assert roles["10.77.0.11"] == "failed" and roles[new_host] == "master"
        assert_native_reprotected(m, f"{new_host}:3306")
        assert not [f for f in os.listdir(spool) if f.endswith((".master", ".event"))]
        assert "failover.completed" in events(m)
        # Every replica had received it all: the salvage (host up) found nothing to apply.
        sal = [e for e in m.events("c1") if e["type"].startswith("failover.salvage")]
        assert [e["type"] for e in sal] == ["failover.salvaged"], sal
        assert sal[0]["fields"]["transactions"] == "0", sal
        assert_rows_on_survivors(m, list(range(1, 22)))
    finally:
        finish(m)


def test_native_registry_hang_during_failover(lab_manager, tmp_path):
    """The MySQL registry on h5 hangs (its mysqld SIGSTOPped: connections are accepted by the
    kernel and never answered) while the native engine fails a killed master over: the VIP
    moves and writes open on exactly one new master without the registry; once the registry
    answers again it names the new master and the cluster is protected again. (The engine's
    registry reads run in a thread of their own; nothing the loop or the failover does may
    wait on the hung registry beyond its timeouts.)"""
    lab = lab_manager.ensure(4, 1, fresh=True, gtid=True)
    lab_manager.dirty = True
    m = make_native(lab, tmp_path, registry="mysql", registry_path=None,
                    mysql_host="10.77.0.15", mysql_user=lab.mha_user,
                    mysql_password=lab.mha_password, mysql_database="mhaadm_hang",
                    read_timeout="3")
    mysqld = None
    try:
        m.ok("start", "c1", timeout=60)
        wait_for("the engine watching the master", lambda: native_status(m).get("state") ==
                 "watching" and native_status(m).get("master_reachable") == "1", timeout=30)
        con = app_connect(lab, VIP)
        with con.cursor() as cur:
            for i in range(1, 11):
                cur.execute("INSERT INTO t (id, v) VALUES (%s, 'before')", (i,))
        con.close()
        with open(os.path.join(LAB_DIR, "h5", "run", "mysqld.pid")) as f:
            mysqld = int(f.read().split()[0])
        os.kill(mysqld, signal.SIGSTOP)
        lab_cmd("kill-mysqld", 1)

        def moved():
            h = vip_holders()
            return h if h and h != ["10.77.0.11"] else None
        new_host = wait_for("the VIP on a new master", moved, timeout=90, interval=0.2)[0]
        wait_for("the new master writable", lambda: writable_servers(lab) == [new_host],
                 timeout=30, interval=0.2)
        con = app_connect(lab, VIP)
        with con.cursor() as cur:
            cur.execute("INSERT INTO t (id, v) VALUES (11, 'after')")
        con.close()
        # Still hung (stopped, not gone) while all of that happened.
        with open(f"/proc/{mysqld}/stat") as f:
            assert f.read().split(")")[1].split()[0] == "T", "the registry was not hung"
        assert vip_holders() == [new_host]
        os.kill(mysqld, signal.SIGCONT)
        mysqld = None
        wait_for("the registry to name the new master",
                 lambda: m.run("list", "all", "--json", "--no-probe").returncode == 0 and
                 master_of(m) == f"{new_host}:3306", timeout=90)
        assert_native_reprotected(m, f"{new_host}:3306")
        assert writable_servers(lab) == [new_host]
        assert "failover.completed" in events(m)
        assert_rows_on_survivors(m, list(range(1, 12)))
    finally:
        if mysqld is not None:
            os.kill(mysqld, signal.SIGCONT)
        finish(m)
