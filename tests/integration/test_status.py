# SPDX-License-Identifier: GPL-2.0-or-later
"""Live status in the lab: `list` probes every node and host, shows drift (VIP on the wrong host,
on two hosts, on none; an unregistered replica), replica thread state, lag and delay, an
unreachable host; `start` refuses a cluster with nothing to promote; and under the daemon a
delayed replica is taken out of MHA's candidates and is not promoted in a real failover."""
import os
import threading
import time

import pymysql

from conftest import Mhaadm, lab_cmd
from test_lifecycle import (Daemon, events, finish_cluster, make_cluster, master_of, mha_status,
                            wait_for)

VIP = "10.77.0.100"


def status_mhaadm(lab, tmp_path, **overrides):
    keys = dict(ssh_key=lab.env["LAB_SSH_KEY"], ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"],
                probe_timeout="3")
    keys.update(overrides)
    m = Mhaadm(lab, tmp_path, **keys)
    m.ok("init")
    return m


def cluster_of(m, name="c1"):
    (c,) = [c for c in m.status(name)["clusters"] if c["name"] == name]
    return c


def kinds(c):
    return [f["kind"] for f in c["findings"]]


def node(c, host):
    (n,) = [n for n in c["nodes"] if n["host"] == host]
    return n["live"]


def vip(lab_host, op):
    lab_cmd("exec", lab_host, "ip", "addr", op, f"{VIP}/24", "dev", "eth0", check=False)


def test_list_vip_drift_and_unregistered_replica(lab, tmp_path):
    m = status_mhaadm(lab, tmp_path)
    # h3 replicates from h1 but is left out of the cluster.
    m.ok("add", "c1", "--node", "10.77.0.11", "--node", "10.77.0.12", "--vip", f"{VIP}/24")
    try:
        c = cluster_of(m)
        assert c["verdict"] == "unprotected"  # registered, not monitored
        assert c["master_writable"] is True
        assert c["vip_holders"] == []
        assert "drift.vip_missing" in kinds(c)
        (un,) = [f for f in c["findings"] if f["kind"] == "drift.unregistered_replica"]
        assert "10.77.0.13" in un["message"] and un["fix"]
        r2 = node(c, "10.77.0.12")
        assert r2["reachable"] and r2["io_running"] and r2["sql_running"]
        assert r2["seconds_behind_master"] == 0 and r2["promotable"] is True
        assert r2["source"] == "10.77.0.11:3306"

        vip(1, "add")
        c = cluster_of(m)
        assert c["vip_holders"] == ["10.77.0.11"]
        assert not [k for k in kinds(c) if k.startswith("drift.vip")]

        vip(2, "add")  # two hosts answer for the VIP
        c = cluster_of(m)
        assert sorted(c["vip_holders"]) == ["10.77.0.11", "10.77.0.12"]
        (split,) = [f for f in c["findings"] if f["kind"] == "drift.vip_split"]
        assert split["severity"] == "at-risk" and "2 hosts" in split["message"]
        assert "ip addr del 10.77.0.100/24 dev eth0" in split["fix"]
        r = m.run("list")
        assert r.returncode == 3
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("c1 ")][0]
        assert "2 hosts!" in line

        vip(1, "del")  # only the replica holds it now
        c = cluster_of(m)
        assert c["vip_holders"] == ["10.77.0.12"]
        (wrong,) = [f for f in c["findings"] if f["kind"] == "drift.vip_elsewhere"]
        assert "held by 10.77.0.12, not by the master 10.77.0.11" in wrong["message"]
        detail = m.run("list", "c1")
        assert detail.returncode == 3
        assert "vip on:   10.77.0.12" in detail.stdout
        assert "to do: remove it there" in detail.stdout
    finally:
        vip(1, "del")
        vip(2, "del")


def test_list_replica_threads_delay_lag_unreachable_and_start_refusal(lab, lab_manager,
                                                                     tmp_path):
    m = status_mhaadm(lab, tmp_path, max_lag="2")
    m.ok("add", "c1", "--master", "10.77.0.11", "--vip", f"{VIP}/24")
    lab_manager.dirty = True  # replication is changed below; the next test gets a new lab
    lab.sql(3, "STOP SLAVE SQL_THREAD")
    lab.sql(2, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=600; START SLAVE")
    c = cluster_of(m)
    h3 = node(c, "10.77.0.13")
    assert h3["io_running"] is True and h3["sql_running"] is False
    assert h3["promotable"] is False and h3["not_promotable_reason"] == "SQL thread stopped"
    (stopped,) = [f for f in c["findings"] if f["kind"] == "replica.sql_stopped"]
    assert stopped["node"] == "10.77.0.13:3306" and "START SLAVE" in stopped["fix"]
    h2 = node(c, "10.77.0.12")
    assert h2["sql_delay"] == 600 and h2["promotable"] is False
    assert "delayed replica (MASTER_DELAY 600 s)" in h2["not_promotable_reason"]
    assert "promotion.no_candidate" in kinds(c)
    assert c["replicas_promotable"] == 0

    # Nothing to promote: start refuses, names each replica's reason, changes nothing.
    before = m.snapshot()
    r = m.run("start", "c1", timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no replica of cluster 'c1' may be promoted now" in r.stderr
    assert "10.77.0.12:3306: delayed replica (MASTER_DELAY 600 s)" in r.stderr
    assert "10.77.0.13:3306: SQL thread stopped" in r.stderr
    assert "--force" in r.stderr
    assert m.snapshot() == before
    # --force goes on (here to "no daemon"), says what it risks, and turns the policy off.
    r = m.run("start", "c1", "--force", "--no-wait", timeout=120)
    assert "warning: --force: the lag policy is off for 'c1'" in r.stderr
    assert os.path.exists(os.path.join(m.dir, "work", "mha", "c1", "lag-policy-off"))

    # A replica that really lags: its SQL thread waits behind a global read lock.
    lab.sql(3, "START SLAVE SQL_THREAD")
    # A retry of 1 s: the guard restarted h2's IO thread at start; had that connection failed
    # (seen once in CI), the default 60 s retry would leave h2 without events to lag behind.
    lab.sql(2, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0, MASTER_CONNECT_RETRY=1; "
               "START SLAVE")
    wait_for("h2's IO thread connected to its master",
             lambda: node(cluster_of(m), "10.77.0.12")["io_running"] is True, timeout=30)
    lock = pymysql.connect(host="10.77.0.12", user=lab.mha_user, password=lab.mha_password,
                           connect_timeout=5)
    stop = threading.Event()

    def write():
        i = 0
        while not stop.is_set() and i < 150:
            i += 1
            lab.sql(1, f"CREATE TABLE IF NOT EXISTS labdb.lag (id INT PRIMARY KEY); "
                       f"INSERT INTO labdb.lag VALUES ({i})")
            time.sleep(0.5)

    try:
        with lock.cursor() as cur:
            cur.execute("FLUSH TABLES WITH READ LOCK")
        w = threading.Thread(target=write, daemon=True)
        w.start()
        c = wait_for("replica h2 to lag beyond max_lag",
                     lambda: (lambda c: c if "lag.exceeded" in kinds(c) else None)(cluster_of(m)),
                     timeout=60, interval=1)
        h2 = node(c, "10.77.0.12")
        assert h2["seconds_behind_master"] > 2 and h2["promotable"] is False
        assert "more than max_lag 2 s" in h2["not_promotable_reason"]
        assert node(c, "10.77.0.13")["promotable"] is True
    finally:
        stop.set()
        lock.close()  # releases the lock
    wait_for("h2 to catch up", lambda: "lag.exceeded" not in kinds(cluster_of(m)), timeout=60,
             interval=1)

    # An unreachable replica: shown with the reason; the list still answers.
    lab_cmd("kill-mysqld", 3)
    c = cluster_of(m)
    h3 = node(c, "10.77.0.13")
    assert h3["reachable"] is False and h3["error"]
    assert "replica.unreachable" in kinds(c)
    assert node(c, "10.77.0.12")["reachable"] is True


def server_state(lab, host):
    """(read_only, the master it replicates from or None), asked of the server itself."""
    con = pymysql.connect(host=host, user=lab.mha_user, password=lab.mha_password,
                          connect_timeout=5, cursorclass=pymysql.cursors.DictCursor)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT @@read_only AS ro")
            ro = int(cur.fetchone()["ro"])
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
        return ro, (row["Master_Host"] if row and row["Master_Host"] else None)
    finally:
        con.close()


def test_delayed_replica_is_taken_out_and_not_promoted(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, probe_interval="1", lag_hold="2", probe_timeout="3")
    try:
        m.ok("start", "c1", timeout=180)
        conf = os.path.join(m.dir, "work", "mha", "c1", "c1.cnf")
        assert "no_master=1" not in open(conf).read()
        # Drift the status passes record: a second VIP holder, then its end.
        vip(3, "add")
        try:
            wait_for("the drift event", lambda: "drift.vip_split" in events(m), timeout=60)
        finally:
            vip(3, "del")
        wait_for("the drift to be over", lambda: "drift.resolved" in events(m), timeout=60)
        split = [e for e in m.events("c1") if e["type"] == "drift.vip_split"][0]
        assert "10.77.0.11, 10.77.0.13" in split["message"] and "to do:" in split["message"]
        # h2 comes first in MHA's order: without the lag policy MHA would promote it.
        fresh_lab.sql(2, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=60; START SLAVE")
        wait_for("the daemon to re-render for the delayed replica",
                 lambda: "lag.policy_changed" in events(m), timeout=60)
        ev = [e for e in m.events("c1") if e["type"] == "lag.policy_changed"][0]
        assert "10.77.0.12:3306 delayed replica" in ev["message"]
        wait_for("the delayed replica rendered no_master",
                 lambda: "no_master=1" in open(conf).read(), timeout=60)
        section = open(conf).read().split("[server")
        assert any("hostname=10.77.0.12" in s and "no_master=1" in s for s in section)
        wait_for("monitoring again", lambda: "PING_OK" in mha_status(m).stdout, timeout=120)
        assert events(m).count("engine.started") == 2

        lab_cmd("kill-mysqld", 1)
        new = wait_for("a new master", lambda: master_of(m) if master_of(m) !=
                       "10.77.0.11:3306" else None, timeout=120)
        assert new in ("10.77.0.13:3306", "10.77.0.14:3306"), new
        wait_for("the failover report", lambda: "failover.completed" in events(m), timeout=180)
        # Judged on the servers, not only in the registry: the delayed h2 is still a read-only
        # replica, now of the new master, and the new master is writable and replicates from
        # nobody.
        new_host = new.split(":")[0]
        assert server_state(fresh_lab, "10.77.0.12") == (1, new_host)
        assert server_state(fresh_lab, new_host) == (0, None)
    finally:
        finish_cluster(m)
