# SPDX-License-Identifier: GPL-2.0-or-later
"""The native engine in the lab (engine = native): kill -9 of the master under write load
through the VIP, a second failover of the new master, the manager-only partition (no
failover), a link cut and a host down, an errant replica never promoted, the engine killed in
the middle of a failover. Real MariaDB with GTID replication, sshd, no MHA."""
import os
import signal
import subprocess
import time

import pytest

from conftest import LAB_DIR, Mhaadm, lab_cmd
from test_faults import pid_of
from test_notify import Receiver
from test_lifecycle import (NODES, VIP, Daemon, Writer, app_connect, assert_rows_on,
                            assert_rows_on_survivors, assert_writer_sane, events, master_of,
                            vip_holders, vip_server_id, wait_for)


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
    # Replicas are sampled over a connection made for each sample (only the master's is
    # kept), ended with QUIT: new connections on a replica, none counted as aborted.

    def server_status(host, var):
        return int(m.lab.sql(host, f"SHOW GLOBAL STATUS LIKE '{var}'").split()[-1])
    conns, aborted = server_status(2, "Connections"), server_status(2, "Aborted_clients")
    wait_for("the engine's sample connections on a replica",
             lambda: server_status(2, "Connections") - conns >= 10, timeout=30, interval=1)
    assert server_status(2, "Aborted_clients") == aborted

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
    """The manager alone loses the master: an event (and its notification), a finding in
    list, writes through the VIP still acknowledged; never a failover, a second writable
    server or a second VIP holder; ok again once the route heals."""
    m = native
    hook = Receiver()
    with open(m.config, "a") as f:
        f.write(f'\n[notify "ops"]\ntype = webhook\nurl = http://127.0.0.1:{hook.port}/hook\n'
                "events = master.*\ntimeout = 5\n")
    m.daemon.proc.send_signal(signal.SIGHUP)
    wait_for("the reload", lambda: "notifier restarted" in
             open(os.path.join(m.dir, "daemon.log")).read(), timeout=30)
    m.ok("start", "c1", timeout=60)
    w = Writer(m.lab)
    w.start()
    route = ["ip", "route", "add", "blackhole", "10.77.0.11/32"]
    try:
        wait_for("writes through the VIP", lambda: len(w.acked) > 50, timeout=30)
        subprocess.run(route, check=True)
        wait_for("the unreachable-from-manager alert",
                 lambda: "master.unreachable_from_manager" in events(m), timeout=30)
        sent = wait_for("its notification", lambda: [
            x for x in hook.messages("/hook") if x["type"] == "master.unreachable_from_manager"],
            timeout=30)
        assert sent[0]["cluster"] == "c1" and "10.77.0.11" in sent[0]["summary"], sent[0]
        (c,) = wait_for("the finding in list", lambda: (lambda cs: cs if any(
            f["kind"] == "master.unreachable_from_manager" for f in cs[0].get("findings", []))
            else None)(m.status("c1")["clusters"]), timeout=60)
        assert c["verdict"] == "degraded", c
        n_before = len(w.acked)
        wait_for("writes still acknowledged through the VIP",
                 lambda: len(w.acked) > n_before + 50, timeout=30)
        ev = events(m)
        assert "failover.started" not in ev, ev
        assert master_of(m) == "10.77.0.11:3306"
        assert vip_holders() == ["10.77.0.11"]
        assert writable_servers(m.lab) == ["10.77.0.11"]
    finally:
        subprocess.run(["ip", "route", "del", "blackhole", "10.77.0.11/32"], check=False)
        w.stop_evt.set()
        w.join(timeout=30)
        hook.close()
    wait_for("the master reachable again", lambda: "master.reachable_from_manager" in events(m), timeout=30)
    wait_for("list ok again", lambda: m.status("c1")["clusters"][0]["verdict"] == "ok",
             timeout=60)
    assert "failover.started" not in events(m)
    (c,) = m.clusters()
    assert c["state"] == "monitoring"
    assert_writer_sane(w)
    assert_rows_on_survivors(m, w.acked)


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


def writer_until_new_master(m, w, old):
    """Waits for a new master in the registry and writes acknowledged by it through the VIP."""
    new = wait_for("the registry to name a new master",
                   lambda: master_of(m) if master_of(m) != old else None, timeout=90)
    new_host = new.split(":")[0]
    wait_for("the VIP answering on the new master",
             lambda: vip_server_id(m) == NODES.index(new_host) + 1, timeout=60)
    n_before = len(w.acked)
    wait_for("writes acknowledged through the VIP on the new master",
             lambda: len(w.acked) > n_before + 20, timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    wait_for("failover.completed", lambda: "failover.completed" in events(m), timeout=60)
    return new, new_host


def test_native_link_cut_fails_over_and_old_master_fenced_on_return(fresh_gtid_lab, tmp_path):
    """The master's link is cut (its veth down): nothing answers, the replicas lose it too,
    the native engine fails over. When the link returns the old master still holds the VIP
    and is writable until the daemon's fence pass takes the VIP off it and sets read_only."""
    m = make_native(fresh_gtid_lab, tmp_path, probe_interval="2")
    w = None
    try:
        m.ok("start", "c1", timeout=60)
        w = Writer(m.lab)
        w.start()
        wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "down"], check=True)
        new, new_host = writer_until_new_master(m, w, "10.77.0.11:3306")
        assert new_host in ("10.77.0.12", "10.77.0.13", "10.77.0.14")
        ev = events(m)
        assert "vip.remove_skipped" in ev, ev  # the cut-off host could not be asked
        assert "master.unreachable_from_manager" not in ev, ev
        assert_rows_on(m, new_host, w.acked)
        assert_writer_sane(w)
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=True)
        wait_for("only the new master holding the VIP", lambda: vip_holders() == [new_host],
                 timeout=60)
        wait_for("the old master read-only",
                 lambda: m.lab.sql(1, "SELECT @@read_only").strip() == "1", timeout=60)
        assert writable_servers(m.lab) == [new_host]
        assert wait_for("the VIP answering", lambda: vip_server_id(m),
                        timeout=30) == NODES.index(new_host) + 1
        ev = events(m)
        assert "fence.vip_removed" in ev and "fence.read_only" in ev, ev
        assert_native_reprotected(m, new)
        assert_rows_on_survivors(m, w.acked)
    finally:
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=False)
        if w is not None:
            w.stop_evt.set()
        finish(m)


def test_native_host_down_fails_over(fresh_gtid_lab, tmp_path):
    """The master's host goes down: mysqld and sshd killed and its link gone (nothing answers
    any more, as with a powered-off machine). The native engine fails over without asking it
    anything; when the host comes back (a reboot: no VIP on it, mysqld started again) the
    fence pass makes it read-only: one writable server, one VIP holder."""
    m = make_native(fresh_gtid_lab, tmp_path, probe_interval="2")
    sshd_pidfile = os.path.join(LAB_DIR, "h1", "sshd.pid")
    w = None
    try:
        m.ok("start", "c1", timeout=60)
        w = Writer(m.lab)
        w.start()
        wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "down"], check=True)
        lab_cmd("kill-mysqld", 1)
        os.kill(pid_of(sshd_pidfile), signal.SIGKILL)
        new, new_host = writer_until_new_master(m, w, "10.77.0.11:3306")
        ev = events(m)
        assert "vip.remove_skipped" in ev, ev
        assert_rows_on(m, new_host, w.acked)
        assert_writer_sane(w)
        (c,) = m.clusters()
        roles = {n["host"]: n["role"] for n in c["nodes"]}
        assert roles["10.77.0.11"] == "failed" and roles[new_host] == "master"
        assert_native_reprotected(m, new)
        # The host boots again: no VIP (addresses are not persistent), sshd and mysqld up.
        subprocess.run(["ip", "netns", "exec", "mhaadm-h1", "ip", "addr", "del", f"{VIP}/24",
                        "dev", "eth0"], check=False)
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=True)
        subprocess.run(["ip", "netns", "exec", "mhaadm-h1", "/usr/sbin/sshd", "-f",
                        os.path.join(LAB_DIR, "h1", "sshd_config")], check=True)
        lab_cmd("start-mysqld", 1)
        # The fence kills the returning host's client sessions, this poll's own among them:
        # a killed poll is a poll that saw nothing yet.
        wait_for("the returning old master read-only",
                 lambda: (lambda r: r.returncode == 0 and
                          r.stdout.strip().splitlines()[-1].strip() == "1")(
                     lab_cmd("sql", 1, "SELECT @@read_only", check=False)), timeout=60)
        assert writable_servers(m.lab) == [new_host]
        assert vip_holders() == [new_host]
        assert_rows_on_survivors(m, w.acked)
    finally:
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=False)
        if not os.path.exists(sshd_pidfile):
            subprocess.run(["ip", "netns", "exec", "mhaadm-h1", "/usr/sbin/sshd", "-f",
                            os.path.join(LAB_DIR, "h1", "sshd_config")], check=False)
        if w is not None:
            w.stop_evt.set()
        finish(m)


def test_native_errant_replica_not_promoted(native):
    """h2 would win the tie (first of equals) but holds a transaction the master never had (a
    DBA's hotfix on the wrong host): h3 or h4 is promoted, the event names h2 and its GTID, and
    h2 follows the new master."""
    m = native
    lab = m.lab
    wait_for("the table on h2", lambda: "t" in lab.sql(2, "SHOW TABLES FROM labdb").split(),
             timeout=30)
    lab.sql(2, "INSERT INTO labdb.t (id, v) VALUES (999999, 'errant')")
    assert "0-2-" in lab.sql(2, "SELECT @@gtid_binlog_state")
    m.ok("start", "c1", timeout=60)
    old, new, w = native_failover(m)
    new_host = new.split(":")[0]
    assert new_host in ("10.77.0.13", "10.77.0.14"), new
    errant = [e for e in m.events("c1") if e["type"] == "failover.candidate_errant"]
    assert errant and "10.77.0.12:3306" in errant[0]["message"], errant
    assert "0-2-" in errant[0]["message"]
    assert_rows_on(m, new_host, w.acked)
    assert vip_holders() == [new_host]
    assert writable_servers(m.lab) == [new_host]
    wait_for("h2 following the new master",
             lambda: new_host in m.lab.sql(2, "SHOW SLAVE STATUS"), timeout=30)


def engine_pid(m):
    with open(os.path.join(m.dir, "work", "native", "engine.lock")) as f:
        return int(f.read().split()[0])


def journal_phase(path):
    try:
        with open(path) as f:
            first = f.readline()
    except OSError:
        return None
    return first.strip().split("=", 1)[1] if first.startswith("phase=") else None


def test_native_engine_killed_mid_failover_resumes(native):
    """The engine process is SIGKILLed once its failover journal says the VIP step began: the
    new master's replication is reset and it is still read-only, no VIP anywhere (the
    half-promoted state). The daemon starts the engine again; it takes the failover up with
    the same new master: one master, the VIP on it only, every acknowledged write there."""
    m = native
    m.ok("start", "c1", timeout=60)
    journal = os.path.join(m.dir, "work", "native", "c1.journal")
    w = Writer(m.lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    pid = engine_pid(m)
    lab_cmd("kill-mysqld", 1)
    deadline = time.time() + 30
    phase = None
    while time.time() < deadline:
        phase = journal_phase(journal)
        # The VIP step is an SSH round trip (~0.1 s): polled every ms, it is seen.
        if phase in ("vip", "open", "repoint", "record"):
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.001)
    assert phase in ("vip", "open", "repoint", "record"), phase
    chosen = [line.split()[1] for line in open(journal).read().splitlines()
              if line.startswith("node=new_master ")]
    print(f"engine killed at journal phase {phase}; chosen new master {chosen}")
    assert len(chosen) == 1
    wait_for("a new engine process", lambda: engine_pid(m) != pid, timeout=30)
    new, new_host = writer_until_new_master(m, w, "10.77.0.11:3306")
    assert new_host == chosen[0]  # the same candidate: never a second promotion
    ev = events(m)
    assert "failover.resumed" in ev, ev
    resumed = [e for e in m.events("c1") if e["type"] == "failover.resumed"]
    print(f"resumed: {resumed[0]['message']}")
    assert vip_holders() == [new_host]
    assert writable_servers(m.lab) == [new_host]
    assert_rows_on(m, new_host, w.acked)
    assert_writer_sane(w)
    assert not os.path.exists(journal)
    assert_native_reprotected(m, new)
    assert_rows_on_survivors(m, w.acked)
    for n in (2, 3, 4):
        if NODES[n - 1] != new_host:
            assert new_host in m.lab.sql(n, "SHOW SLAVE STATUS")
