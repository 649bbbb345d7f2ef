# SPDX-License-Identifier: GPL-2.0-or-later
"""Planned switchover (mhaadm switch) in the lab, under a writer through the VIP: to a named
replica and back, a refused switch that changes nothing, a switch that fails mid-way and rolls
back, and switch all --from over two clusters. Native engine and MHA engine; real MariaDB with
GTID replication, sshd, MHA."""
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pymysql
import pytest

from conftest import BIN, LAB_DIR, Mhaadm, assert_refused, lab_cmd
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


# ---- failure paths: the target dies mid-way, switch all stops, the self-fence follows ----

class HolderSampler(threading.Thread):
    """Samples which hosts hold the VIP (inside their namespaces) until stopped: a sample with
    two holders is the split brain a switch must never make, however briefly."""

    def __init__(self, vip=VIP):
        super().__init__(daemon=True)
        self.vip, self.samples, self.stop_evt = vip, [], threading.Event()

    def run(self):
        while not self.stop_evt.is_set():
            held = []
            for i in range(1, 5):
                r = subprocess.run(["ip", "netns", "exec", f"mhaadm-h{i}", "ip", "-o", "-4",
                                    "addr"], capture_output=True, text=True)
                if f" {self.vip}/" in r.stdout:
                    held.append(f"10.77.0.{10 + i}")
            self.samples.append(held)

    def stop(self):
        self.stop_evt.set()
        self.join(timeout=30)
        doubles = [s for s in self.samples if len(s) > 1]
        print(f"VIP holders sampled {len(self.samples)} times; never two: {not doubles}")
        assert len(self.samples) > 10, self.samples
        assert doubles == [], doubles[:5]


def start_switch(m, *args):
    """mhaadm switch ARGS in the background (Popen, output captured), for tests that act on
    the lab while it runs."""
    env = dict(os.environ)
    env.pop("MHAADM_CONFIG", None)
    return subprocess.Popen([BIN, "-c", m.config, "switch", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def mysqld_pid(n):
    with open(os.path.join(LAB_DIR, f"h{n}", "run", "mysqld.pid")) as f:
        return int(f.read().split()[0])


def roles(m, name="c1"):
    (c,) = [c for c in m.clusters() if c["name"] == name]
    return c["master"], {f'{n["host"]}:{n["port"]}': n["role"] for n in c["nodes"]}


def gtid_waiting(lab, n):
    """1 when a session on host n is in MASTER_GTID_WAIT (the switch waiting for it)."""
    out = lab.sql(n, "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                     "WHERE INFO LIKE 'SELECT MASTER_GTID_WAIT(%'")
    return out.strip().splitlines()[-1].strip() != "0"


def assert_rolled_back(m, w, holders, before, r_out, r_err, rc):
    """What a user sees after a switch of c1 from h1 to h2 failed with h2's mysqld killed:
    exit 1 saying why and that it rolled back, h1 the writable master with the VIP, every
    acknowledged write there and on the other replicas, the registry's roles as before."""
    assert rc == 1, r_out + r_err
    assert "rolled back: 10.77.0.11:3306 is the writable master with the VIP" in r_err, r_err
    assert "switched" not in r_out, r_out
    n = len(w.acked)
    wait_for("writes acknowledged on the old master again", lambda: len(w.acked) > n + 20,
             timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    holders.stop()
    assert vip_holders() == ["10.77.0.11"]
    assert writable_servers(m.lab) == ["10.77.0.11"]
    assert roles(m) == before
    for host in ("10.77.0.11", "10.77.0.13", "10.77.0.14"):
        deadline = time.time() + 60
        while True:
            try:
                assert_rows_on(m, host, w.acked)
                break
            except AssertionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
    assert_writer_sane(w)
    ev = m.events("c1")
    failed = [e for e in ev if e["type"] == "switch.failed"]
    assert len(failed) == 1 and failed[0]["fields"]["rolled_back"] == "yes", failed
    assert failed[0]["fields"]["new_master"] == "10.77.0.12:3306", failed
    assert "switch.completed" not in [e["type"] for e in ev]
    # The native engine does not start with a node it cannot reach: the switch says so, and
    # the cluster is protected again once h2 is back as a read-only replica.
    assert "monitoring did not start again: run 'mhaadm start c1'" in r_err, r_err
    lab_cmd("start-mysqld", 2)
    m.lab.sql(2, "SET GLOBAL read_only = 1")
    m.ok("start", "c1", timeout=60)
    assert roles(m) == before and m.clusters()[0]["state"] == "monitoring"
    assert_rows_on_survivors(m, w.acked)
    return ev


def test_switch_target_mysqld_killed_while_catching_up_rolls_back(native):
    """h2 holds FLUSH TABLES WITH READ LOCK, so the switch to it waits in MASTER_GTID_WAIT
    after h1 went read-only; h2's mysqld is killed -9 in that window (seen in its
    processlist, not guessed by a sleep). The switch rolls back: h1 writable with the VIP,
    the reason and the roll-back in the message, exit 1, switch.failed, the registry as it
    was, every acknowledged write there, and never two VIP holders."""
    m = native
    m.ok("start", "c1", timeout=60)
    before = roles(m)
    holders = HolderSampler()
    holders.start()
    w = Writer(m.lab)
    w.start()
    lock = pymysql.connect(host="10.77.0.12", user=m.lab.mha_user,
                           password=m.lab.mha_password, connect_timeout=5)
    p = None
    try:
        wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
        with lock.cursor() as cur:
            cur.execute("FLUSH TABLES WITH READ LOCK")
        n = len(w.acked)
        wait_for("writes the locked target has not applied", lambda: len(w.acked) > n + 20,
                 timeout=30)
        p = start_switch(m, "c1", "--to", "10.77.0.12", "--timeout", "60")
        wait_for("the old master read-only and the switch waiting for h2",
                 lambda: m.lab.sql(1, "SELECT @@read_only").strip() == "1" and
                 gtid_waiting(m.lab, 2), timeout=60, interval=0.1)
        lab_cmd("kill-mysqld", 2)
        out, err = p.communicate(timeout=120)
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
        try:
            lock.close()
        except Exception:
            pass
    print(err)
    assert "MASTER_GTID_WAIT" in err and "on 10.77.0.12:3306:" in err, err
    assert_rolled_back(m, w, holders, before, out, err, p.returncode)


class VipDeleteKiller(threading.Thread):
    """Follows the address events of host n's namespace (ip monitor: the kernel's own
    notifications, no polling) and, once armed, kill -9s the pid at the first deletion of
    the VIP there: the switch has just taken it off the old master and is about to bind it on
    the target and promote it. That next step is a whole SSH session to the target, which
    the kill comes well before."""

    def __init__(self, n, pid, vip=VIP):
        super().__init__(daemon=True)
        self.pid, self.vip, self.armed, self.killed = pid, vip, False, None
        self.lines = []
        self.proc = subprocess.Popen(["ip", "netns", "exec", f"mhaadm-h{n}", "ip", "-o",
                                      "monitor", "address"], stdout=subprocess.PIPE, text=True,
                                     bufsize=1, start_new_session=True)

    def run(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if self.armed and self.killed is None and line.startswith("Deleted") and \
                    f" {self.vip}/" in line:
                os.kill(self.pid, signal.SIGKILL)
                self.killed = time.monotonic()

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)
        self.join(timeout=10)


def test_switch_target_killed_after_vip_move_rolls_the_vip_back(native):
    """h2's mysqld is killed -9 the moment the VIP leaves h1 (ip monitor in h1's namespace):
    the switch binds the VIP on h2, then cannot promote it. It rolls back with the VIP off h2
    before it is on h1 again, h1 writable; never two holders, every acknowledged write kept."""
    m = native
    killer = VipDeleteKiller(1, mysqld_pid(2))
    killer.start()
    holders, w, p = None, None, None
    try:
        m.ok("start", "c1", timeout=60)
        # The monitor is live: it saw start bind the VIP on h1.
        wait_for("the VIP bound on h1, seen by ip monitor",
                 lambda: any(f" {VIP}/" in ln and not ln.startswith("Deleted")
                             for ln in killer.lines), timeout=30, interval=0.1)
        before = roles(m)
        holders = HolderSampler()
        holders.start()
        w = Writer(m.lab)
        w.start()
        wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
        killer.armed = True
        p = start_switch(m, "c1", "--to", "10.77.0.12")
        out, err = p.communicate(timeout=120)
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
        killer.stop()
    print(err)
    assert killer.killed is not None, killer.lines
    # The VIP did move to h2 before the failure, and the failure is h2's promotion.
    assert f"VIP {VIP} moved to 10.77.0.12" in err, err
    assert "new master 10.77.0.12:3306 writable" not in err, err
    assert "on 10.77.0.12:3306:" in err, err
    assert err.index(f"roll-back: VIP {VIP} off 10.77.0.12") < \
        err.index(f"roll-back: VIP {VIP} on 10.77.0.11 again"), err
    ev = assert_rolled_back(m, w, holders, before, out, err, p.returncode)
    # History (newest first): the roll-back took the VIP off h2, then bound it on h1.
    vip = [(e["type"], e["message"]) for e in reversed(ev)
           if e["type"] in ("vip.removed", "vip.moved", "switch.started", "switch.failed")]
    types = [t for t, _ in vip]
    seq = vip[types.index("switch.started"):types.index("switch.failed") + 1]
    assert [t for t, _ in seq] == ["switch.started", "vip.removed", "vip.moved", "vip.removed",
                                   "vip.moved", "switch.failed"], seq
    assert "10.77.0.11" in seq[1][1] and "to 10.77.0.12" in seq[2][1], seq
    assert "removed from 10.77.0.12 (switch rolled back)" in seq[3][1], seq
    assert "to 10.77.0.11" in seq[4][1], seq


def selffence_running(m, host):
    """Whether the self-fence agent of c1 runs on host (its own --status, pid file locked)."""
    from test_selffence import agent_path
    return subprocess.run([BIN, "self-fence", "--config", agent_path(m, host), "--status"],
                          capture_output=True).returncode == 0


def test_switch_moves_the_self_fence_agent(fresh_gtid_lab, tmp_path):
    """self_fence = yes: the agent runs on h1; after a switch to h2 it runs on h2 (list: running,
    no finding) and no longer on h1, a replica now. Proven by what it does: monitoring
    stopped (no failover), h2's link cut: h2 fences itself (VIP gone, read-only) after
    self_fence_seconds, while h1's former agent, stopped, fences nothing."""
    from test_selffence import SECONDS, agent_path, list_c1, log_since, log_size
    m = make_native(fresh_gtid_lab, tmp_path, isolation_guard="off", self_fence="yes",
                    self_fence_seconds=str(SECONDS))
    offsets = {h: log_size(agent_path(m, h)) for h in ("10.77.0.11", "10.77.0.12")}
    cut = False
    try:
        r = m.ok("start", "c1", timeout=60)
        assert "self-fence agent started on 10.77.0.11:3306" in r.stdout, r.stdout + r.stderr
        assert selffence_running(m, "10.77.0.11")
        r = m.run("switch", "c1", "--to", "10.77.0.12", timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "self-fence agent started on 10.77.0.12:3306" in r.stdout, r.stdout
        assert selffence_running(m, "10.77.0.12")
        assert not selffence_running(m, "10.77.0.11")
        c = list_c1(m)
        assert c["master"] == "10.77.0.12:3306" and c["self_fence"] == {
            "wanted": True, "running": True}, c
        assert "selffence.not_running" not in [f["kind"] for f in c["findings"]], c
        # The agent on h2 watches its replicas, the old master among them.
        cnf = open(agent_path(m, "10.77.0.12")).read()
        assert "node = 10.77.0.12:3306" in cnf and "10.77.0.11:3306" in cnf, cnf
        m.ok("stop", "c1", timeout=60)
        subprocess.run(["ip", "link", "set", "mhaadm-v2", "down"], check=True)
        cut = True
        wait_for("the VIP gone from the cut-off new master",
                 lambda: vip_holders() == [], timeout=30, interval=0.2)
        wait_for("the cut-off new master read-only",
                 lambda: m.lab.sql(2, "SELECT @@read_only").strip() == "1", timeout=30)
        log2 = log_since(agent_path(m, "10.77.0.12"), offsets["10.77.0.12"])
        assert "fencing this server" in log2, log2
        log1 = log_since(agent_path(m, "10.77.0.11"), offsets["10.77.0.11"])
        assert "fencing this server" not in log1, log1
        assert m.lab.sql(1, "SELECT @@read_only").strip() == "1"
        _, st = replica_status(m.lab, "10.77.0.11")
        assert st["Master_Host"] == "10.77.0.12", st
    finally:
        if cut:
            subprocess.run(["ip", "link", "set", "mhaadm-v2", "up"], check=False)
        for host in NODES:
            subprocess.run([BIN, "self-fence", "--config", agent_path(m, host), "--stop"],
                           check=False)
        finish(m)


class ExtraServer:
    """A second mariadbd on a lab host (port 3307 beside the lab's 3306), in the host's
    namespace, with the lab's accounts: so that two clusters can have their masters on one
    host. Its files live in a short directory of its own (a socket path has 108 bytes);
    stop() ends it by its process group and removes them."""

    def __init__(self, lab, n, port, server_id):
        import tempfile
        self.lab, self.n, self.port = lab, n, port
        self.dir = tempfile.mkdtemp(prefix=f"mhaadm-x{n}-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        for sub, mode in (("data", 0o750), ("run", 0o755), ("log", 0o755), ("tmp", 0o700)):
            os.mkdir(os.path.join(self.dir, sub), mode)
            shutil.chown(os.path.join(self.dir, sub), "mysql", "mysql")
        self.sock = os.path.join(self.dir, "run", "mysqld.sock")
        self.cnf = os.path.join(self.dir, "my.cnf")
        with open(self.cnf, "w") as f:
            f.write(f"[mysqld]\nuser = mysql\ndatadir = {self.dir}/data\nsocket = {self.sock}\n"
                    f"pid-file = {self.dir}/run/mysqld.pid\nlog-error = {self.dir}/log/err\n"
                    f"tmpdir = {self.dir}/tmp\nport = {port}\nbind-address = 0.0.0.0\n"
                    f"server_id = {server_id}\nlog_bin = mysql-bin\nlog_slave_updates = 1\n"
                    "relay_log = relay-bin\nrelay_log_purge = 0\nbinlog_format = ROW\n"
                    "skip-name-resolve\ninnodb_buffer_pool_size = 32M\n"
                    "performance_schema = OFF\n")
        self.proc = None
        subprocess.run(["mariadb-install-db", f"--defaults-file={self.cnf}", "--user=mysql",
                        "--skip-test-db", "--auth-root-authentication-method=socket"],
                       check=True, capture_output=True, timeout=120,
                       env=dict(os.environ, TMPDIR=f"{self.dir}/tmp"))
        self.proc = subprocess.Popen(["ip", "netns", "exec", f"mhaadm-h{n}", "mariadbd",
                                      f"--defaults-file={self.cnf}"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_for(f"mariadbd on h{n}:{port}", lambda: self.proc.poll() is not None or
                 self.sql("SELECT 1", check=False).returncode == 0, timeout=60, interval=0.1)
        assert self.proc.poll() is None, open(f"{self.dir}/log/err").read()
        e = lab.env
        net = "10.77.0.%"
        # Over stdin: the passwords never in an argv.
        self.sql(f"SET SESSION sql_log_bin = 0;"
                 f"CREATE USER '{e['LAB_MHA_USER']}'@'{net}' IDENTIFIED BY "
                 f"'{e['LAB_MHA_PASSWORD']}';"
                 f"GRANT ALL PRIVILEGES ON *.* TO '{e['LAB_MHA_USER']}'@'{net}' WITH GRANT "
                 f"OPTION;"
                 f"CREATE USER '{e['LAB_REPL_USER']}'@'{net}' IDENTIFIED BY "
                 f"'{e['LAB_REPL_PASSWORD']}';"
                 f"GRANT REPLICATION SLAVE ON *.* TO '{e['LAB_REPL_USER']}'@'{net}';")

    def sql(self, query, check=True):
        return subprocess.run(["mariadb", f"--socket={self.sock}", "-N", "-B"], input=query,
                              capture_output=True, text=True, timeout=30, check=check)

    def replicate_from(self, host, port):
        e = self.lab.env
        self.sql(f"CHANGE MASTER TO MASTER_HOST = '{host}', MASTER_PORT = {port}, "
                 f"MASTER_USER = '{e['LAB_REPL_USER']}', MASTER_PASSWORD = "
                 f"'{e['LAB_REPL_PASSWORD']}', MASTER_USE_GTID = slave_pos, "
                 f"MASTER_HEARTBEAT_PERIOD = 1; START SLAVE; SET GLOBAL read_only = 1")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def test_switch_all_from_host_stops_at_the_first_failure(fresh_gtid_lab, tmp_path):
    """c1 (h1:3306 + h2..h4) and c2 (h1:3307 + h2:3307, a second server pair) both have their
    masters on h1. switch all --from h1: c1 goes first and fails (every replica of it holds
    FLUSH TABLES WITH READ LOCK, so none catches up within --timeout) and rolls back; c2 is
    never tried: its master, VIP, writability and registry rows and history stay as they
    were, and the message names the failed cluster and the one not tried."""
    lab = fresh_gtid_lab
    VIP2 = "10.77.0.101"
    extra, locks = [], []
    m = None
    try:
        extra.append(ExtraServer(lab, 1, 3307, 101))
        extra.append(ExtraServer(lab, 2, 3307, 102))
        extra[1].replicate_from("10.77.0.11", 3307)
        extra[0].sql("CREATE DATABASE labdb")
        wait_for("h2:3307 replicating from h1:3307", lambda: extra[1].sql(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'labdb'")
            .stdout.strip() == "1", timeout=30, interval=0.2)
        m = make_native(lab, tmp_path)
        m.ok("add", "c2", "--node", "10.77.0.11:3307", "--node", "10.77.0.12:3307", "--vip",
             f"{VIP2}/24", "--engine", "native")
        m.ok("start", "all", timeout=120)
        before = {c: roles(m, c) for c in ("c1", "c2")}
        hist2 = m.events("c2")
        for h in NODES[1:]:
            con = pymysql.connect(host=h, user=lab.mha_user, password=lab.mha_password,
                                  connect_timeout=5)
            con.cursor().execute("FLUSH TABLES WITH READ LOCK")
            locks.append(con)
        lab.sql(1, "INSERT INTO labdb.t VALUES (1, 'not on any replica yet')")
        r = m.run("switch", "all", "--from", "10.77.0.11", "--timeout", "2", timeout=180)
        print(r.stderr)
    finally:
        for con in locks:
            con.close()
    try:
        assert r.returncode == 1, r.stdout + r.stderr
        assert "switch: cluster 1 of 2: 'c1'" in r.stderr, r.stderr
        assert "cluster 'c1': switch failed:" in r.stderr and "rolled back" in r.stderr
        assert "all --from 10.77.0.11: stopped at cluster 'c1' (1 of 2); not tried:\n  c2" \
            in r.stderr, r.stderr
        assert "cluster 2 of 2" not in r.stderr and "switched" not in r.stdout, r.stdout
        # c1 rolled back, monitored again; c2 untouched.
        assert {c: roles(m, c) for c in ("c1", "c2")} == before
        assert {c["name"]: c["state"] for c in m.clusters()} == {"c1": "monitoring",
                                                                 "c2": "monitoring"}
        assert m.events("c2") == hist2
        assert vip_holders() == ["10.77.0.11"]
        held2 = subprocess.run(["ip", "netns", "exec", "mhaadm-h1", "ip", "-o", "-4", "addr"],
                               capture_output=True, text=True).stdout
        assert f" {VIP2}/" in held2, held2
        assert extra[0].sql("SELECT @@read_only").stdout.strip() == "0"
        assert extra[1].sql("SELECT @@read_only").stdout.strip() == "1"
        assert writable_servers(lab) == ["10.77.0.11"]
        failed = [e for e in m.events("c1") if e["type"] == "switch.failed"]
        assert len(failed) == 1 and failed[0]["fields"]["rolled_back"] == "yes", failed
    finally:
        if m is not None:
            m.ok("stop", "all", timeout=60)
            finish(m)
        for x in extra:
            x.stop()
