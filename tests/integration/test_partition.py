# SPDX-License-Identifier: GPL-2.0-or-later
"""No false failover, no errant promotion (MHA engine). A route on the manager host alone
stops reaching the master while the master and its replicas keep talking: mhaadm's secondary
check (MHA's secondary_check_script) asks the replicas, they still receive from the master, so
MHA does not fail over; list and the history say what happened. A master that is dead for its
replicas too still fails over. A replica holding a transaction its master never had is never
promoted.

Routes: lab.sh up adds 'blackhole 10.77.0.0/16' already (nothing leaves the lab range); these
tests add 'blackhole 10.77.0.11/32' in the root namespace (the manager host) and always remove
it again, even on failure."""
import glob
import os
import subprocess
import time

import pymysql
import pytest

from conftest import Mhaadm, lab_cmd
from test_lifecycle import (NODES, VIP, CmdlineSampler, Daemon, Writer, app_connect, events,
                            finish_cluster, make_cluster, master_of, secrets_of, vip_holders,
                            wait_for)

CUT = "10.77.0.11/32"

# A status pass every 2 s, a finding reported after 2 of them: the test waits less.
FAST = dict(probe_interval="2", lag_hold="2")


def route(op):
    return subprocess.run(["ip", "route", op, "blackhole", CUT], capture_output=True, text=True)


def admin(lab, n):
    return pymysql.connect(host=NODES[n - 1], user=lab.mha_user, password=lab.mha_password,
                           connect_timeout=3, read_timeout=5, autocommit=True,
                           cursorclass=pymysql.cursors.DictCursor)


def server_view(lab, n):
    """(read_only, replication source host or None) as the server itself says."""
    con = admin(lab, n)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT @@read_only AS ro")
            ro = cur.fetchone()["ro"]
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
            return ro, (row["Master_Host"] if row else None)
    finally:
        con.close()


def finding(m, kind):
    st = m.status("c1")
    (c,) = st["clusters"]
    return c, [f for f in c.get("findings", []) if f["kind"] == kind]


def manager_log(m):
    path = os.path.join(m.dir, "log", "c1", "manager.log")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def test_manager_only_partition_is_no_failover(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, **FAST)
    sampler = CmdlineSampler(secrets_of(m.lab))
    w = None
    try:
        m.ok("start", "c1", timeout=240)
        conf = open(os.path.join(m.dir, "work", "mha", "c1", "c1.cnf")).read()
        assert "secondary_check_script=" in conf and "hook secondary-check" in conf
        w = Writer(m.lab)
        w.start()
        wait_for("writes through the VIP", lambda: len(w.acked) > 50, timeout=30)
        sampler.start()
        r = route("add")
        assert r.returncode == 0, r.stderr
        # MHA runs the check on every round of failed pings; wait for two vetoes.
        wait_for("MHA's secondary check to veto twice", lambda: manager_log(m).count(
            "secondary-check: master 10.77.0.11:3306 is alive") >= 2, timeout=120)
        wait_for("the event", lambda: "master.unreachable_from_manager" in events(m),
                 timeout=60)
        c, f = wait_for("the finding in list",
                        lambda: (lambda cf: cf if cf[1] else None)(
                            finding(m, "master.unreachable_from_manager")), timeout=60)
        assert c["verdict"] == "degraded", c
        assert "writes still work" in f[0]["message"]
        n_before = len(w.acked)
        wait_for("writes still acknowledged through the VIP",
                 lambda: len(w.acked) > n_before + 50, timeout=30)
        # Never a failover, a second writable server or a second VIP holder.
        ev = events(m)
        assert "failover.started" not in ev and "failover.master_changed" not in ev, ev
        assert master_of(m) == "10.77.0.11:3306"
        assert vip_holders() == ["10.77.0.11"]
        for n in (2, 3):
            assert server_view(m.lab, n) == (1, "10.77.0.11")
        r = route("del")
        assert r.returncode == 0, r.stderr
        wait_for("list ok again", lambda: m.status("c1")["clusters"][0]["verdict"] == "ok",
                 timeout=120)
        wait_for("the end event", lambda: "master.reachable_from_manager" in events(m),
                 timeout=60)
        ev = events(m)
        assert "failover.started" not in ev, ev
        assert master_of(m) == "10.77.0.11:3306" and vip_holders() == ["10.77.0.11"]
        assert server_view(m.lab, 1)[0] == 0
    finally:
        route("del")
        sampler.stop_evt.set()
        if sampler.is_alive():
            sampler.join(timeout=10)
        if w is not None:
            w.stop_evt.set()
            w.join(timeout=30)
        finish_cluster(m)
    # MHA logged the check's command line on every round: no password in it, nor in any
    # argv sampled meanwhile (MHA's sh, the check itself).
    log = manager_log(m)
    assert "Executing secondary network check script" in log
    assert "--master_password" not in log
    for secret in secrets_of(m.lab):
        assert secret not in log
    assert sampler.samples > 0
    assert not sampler.leaks, sampler.leaks[:3]


def test_dead_master_cut_from_manager_still_fails_over(fresh_lab, tmp_path):
    """kill -9 of the master's mysqld while its host is also cut from the manager: the
    replicas have lost it too (IO thread reconnecting), so the check says dead."""
    m = make_cluster(fresh_lab, tmp_path, **FAST)
    try:
        m.ok("start", "c1", timeout=240)
        r = route("add")
        assert r.returncode == 0, r.stderr
        lab_cmd("kill-mysqld", 1)
        new = wait_for("a new master", lambda: master_of(m) if master_of(m) !=
                       "10.77.0.11:3306" else None, timeout=120)
        assert "secondary-check: master 10.77.0.11:3306 is dead" in manager_log(m)
        new_n = NODES.index(new.split(":")[0]) + 1
        wait_for("the new master writable", lambda: server_view(m.lab, new_n)[0] == 0,
                 timeout=60)
        wait_for("the VIP on the new master", lambda: new.split(":")[0] in vip_holders(),
                 timeout=60)
        con = app_connect(m.lab, VIP)
        with con.cursor() as cur:
            cur.execute("SELECT @@server_id")
            assert cur.fetchone()[0] == new_n
        con.close()
    finally:
        route("del")
        finish_cluster(m)


def test_errant_replica_never_promoted(fresh_lab, tmp_path):
    lab = fresh_lab
    lab.sql(1, "CREATE TABLE IF NOT EXISTS labdb.t (id INT PRIMARY KEY, v VARCHAR(32))")
    wait_for("the table on h3", lambda: "t" in lab.sql(3, "SHOW TABLES FROM labdb").split(),
             timeout=30)
    # A DBA's hotfix on the wrong host: a GTID with h3's server_id the master never had.
    lab.sql(3, "INSERT INTO labdb.t (id, v) VALUES (999999, 'errant')")
    errant = lab.sql(3, "SELECT @@gtid_binlog_state").strip()
    assert "0-3-" in errant, errant
    m = Mhaadm(lab, tmp_path, ssh_key=lab.env["LAB_SSH_KEY"],
               ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"], failover_window="0",
               connect_timeout="2", **FAST)
    m.ok("init")
    r = m.ok("add", "c1", *[a for n in NODES for a in ("--node", n)], "--vip", f"{VIP}/24")
    assert "10.77.0.13:3306 holds transactions the master never had" in r.stderr, r.stderr
    r = m.run("doctor", "c1", "--fix", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    m.daemon = Daemon(m)
    m.daemon.start()
    m.lab = lab
    try:
        c, f = finding(m, "replica.errant")
        assert f and f[0]["node"] == "10.77.0.13:3306", c
        assert "0-3-" in f[0]["message"] and f[0]["fix"]
        r = m.ok("start", "c1", timeout=240)
        assert "10.77.0.13:3306" in r.stderr and "never promoted" in r.stderr, r.stderr
        conf = open(os.path.join(m.dir, "work", "mha", "c1", "c1.cnf")).read()
        h3 = conf.split("hostname=10.77.0.13\n", 1)[1].split("\n[", 1)[0]
        assert "no_master=1" in h3, conf
        wait_for("the errant event", lambda: "replica.errant" in events(m), timeout=60)
        lab_cmd("kill-mysqld", 1)
        new = wait_for("a new master", lambda: master_of(m) if master_of(m) !=
                       "10.77.0.11:3306" else None, timeout=120)
        assert new in ("10.77.0.12:3306", "10.77.0.14:3306"), new
        new_n = NODES.index(new.split(":")[0]) + 1
        # Judged on the servers: the new master writable and replicating from nobody, h3
        # read-only under it.
        wait_for("the new master promoted", lambda: server_view(lab, new_n) == (0, None),
                 timeout=60)
        wait_for("h3 re-pointed at the new master",
                 lambda: server_view(lab, 3) == (1, new.split(":")[0]), timeout=120)
        assert server_view(lab, 3)[0] == 1
        # Cleaned up: the write undone there, the replica's own binlog reset.
        lab.sql(3, "SET SESSION sql_log_bin=0; DELETE FROM labdb.t WHERE id=999999; "
                   "RESET MASTER")
        wait_for("the finding gone", lambda: not finding(m, "replica.errant")[1], timeout=120)
        wait_for("the resolved event", lambda: "replica.errant_resolved" in events(m),
                 timeout=120)
    finally:
        finish_cluster(m)
