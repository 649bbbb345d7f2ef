# SPDX-License-Identifier: GPL-2.0-or-later
"""The MHA lifecycle in the lab: start, failover under write load, re-protection, a second
failover, stop/start, daemon restart, a killed masterha_manager. Real MariaDB, sshd, MHA."""
import glob
import json
import os
import signal
import subprocess
import threading
import time

import pymysql
import pytest

from conftest import BIN, Mhaadm, lab_cmd
from splitbrain import AckWriter, IdleSession, NetnsWriter, late_acks

VIP = "10.77.0.100"
NODES = ["10.77.0.11", "10.77.0.12", "10.77.0.13", "10.77.0.14"]


def wait_for(what, cond, timeout=120, interval=0.5):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def vip_holders():
    """Which lab hosts have the VIP on an interface, as seen inside their namespaces."""
    held = []
    for i in range(1, 5):
        r = subprocess.run(["ip", "netns", "exec", f"mhaadm-h{i}", "ip", "-o", "-4", "addr"],
                           capture_output=True, text=True)
        if f" {VIP}/" in r.stdout:
            held.append(f"10.77.0.{10 + i}")
    return held


class Daemon:
    def __init__(self, m):
        self.m = m
        self.log = open(os.path.join(m.dir, "daemon.log"), "ab")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([BIN, "-c", self.m.config, "daemon"], stdout=self.log,
                                     stderr=self.log, start_new_session=True)
        logpath = os.path.join(self.m.dir, "daemon.log")
        wait_for("the daemon to start", lambda: self.proc.poll() is not None or
                 "mhaadm daemon: started (pid %d" % self.proc.pid in open(logpath).read(),
                 timeout=30, interval=0.1)
        assert self.proc.poll() is None, open(logpath).read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def kill_engines(self):
        """Engines outlive the daemon by design; the test ends the ones its daemon started."""
        for pidfile in glob.glob(os.path.join(self.m.dir, "work", "mha", "*", "engine.pid")):
            try:
                pid = int(open(pidfile).read().split()[0])
                os.killpg(pid, signal.SIGKILL)
            except (ValueError, ProcessLookupError, PermissionError):
                pass


def make_cluster(lab, tmp_path, nodes=None, **overrides):
    keys = dict(ssh_key=lab.env["LAB_SSH_KEY"], ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"],
                failover_window="0", connect_timeout="2")
    keys.update(overrides)
    m = Mhaadm(lab, tmp_path, **keys)
    m.ok("init")
    if nodes is None:
        m.ok("add", "c1", "--master", "10.77.0.11", "--vip", f"{VIP}/24")
    else:
        args = []
        for n in nodes:
            args += ["--node", n]
        m.ok("add", "c1", *args, "--vip", f"{VIP}/24")
    r = m.run("doctor", "c1", "--fix", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    lab.sql(1, "CREATE TABLE IF NOT EXISTS labdb.t (id INT PRIMARY KEY, v VARCHAR(32))")
    d = Daemon(m)
    d.start()
    m.daemon = d
    m.lab = lab
    return m


def finish_cluster(m):
    m.daemon.stop()
    m.daemon.kill_engines()
    m.daemon.log.close()
    if os.environ.get("MHAADM_TEST_VERBOSE"):
        print(open(os.path.join(m.dir, "daemon.log")).read())


@pytest.fixture
def cluster(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path)
    yield m
    finish_cluster(m)


def events(m):
    return [e["type"] for e in reversed(m.events("c1"))]


def master_of(m):
    (c,) = m.clusters()
    return c["master"]


def mha_status(m):
    conf = os.path.join(m.dir, "work", "mha", "c1", "c1.cnf")
    return subprocess.run(["masterha_check_status", f"--conf={conf}"], capture_output=True,
                          text=True, timeout=60)


def app_connect(lab, host, timeout=2):
    return pymysql.connect(host=host, user=lab.env["LAB_APP_USER"],
                           password=lab.env["LAB_APP_PASSWORD"], database="labdb",
                           connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout,
                           autocommit=True)


def vip_server_id(m):
    """The server_id answering on the VIP, or None (polled: the manager's ARP entry may name
    the old host for a moment after a move)."""
    try:
        con = app_connect(m.lab, VIP)
    except pymysql.err.OperationalError:
        return None
    try:
        with con.cursor() as cur:
            cur.execute("SELECT @@server_id")
            return cur.fetchone()[0]
    finally:
        con.close()


class Writer(threading.Thread):
    """Inserts one row per id through the VIP; records the ids whose INSERT was acknowledged."""

    # Each writer of a test session takes its own range of ids, so a second writer on the
    # same table never collides with the rows of the first.
    _next_base = 0
    err_pause = 0.1  # seconds after a failed write before reconnecting (bench/switch.py: less)
    connect_timeout = 1  # seconds (bench/switch.py: 0.5, as bench/failover.py's writer)

    def __init__(self, lab, limit=20000):
        super().__init__(daemon=True)
        self.lab, self.limit = lab, limit
        self.base = Writer._next_base
        Writer._next_base += 1000000
        self.acked, self.errors, self.duplicates = [], 0, 0
        self.ack_times = []  # time.monotonic() of each acknowledgement
        self.stop_evt = threading.Event()

    def longest_gap(self):
        """Seconds of the longest wait between two acknowledged writes (the write block)."""
        t = self.ack_times
        return max((b - a for a, b in zip(t, t[1:])), default=0.0)

    def run(self):
        con, i = None, self.base
        deadline = time.time() + 300
        while (not self.stop_evt.is_set() and i < self.base + self.limit and
               time.time() < deadline):
            try:
                if con is None:
                    con = app_connect(self.lab, VIP, timeout=self.connect_timeout)
                i += 1
                with con.cursor() as cur:
                    cur.execute("INSERT INTO t (id, v) VALUES (%s, 'x')", (i,))
                self.acked.append(i)
                self.ack_times.append(time.monotonic())
                time.sleep(0.005)
            except pymysql.err.IntegrityError:
                # The row is there, but this answer is not an acknowledgement we count.
                self.duplicates += 1
            except Exception:
                self.errors += 1
                try:
                    if con:
                        con.close()
                except Exception:
                    pass
                con = None
                time.sleep(self.err_pause)


def test_start_binds_vip_and_reaches_ping_ok(cluster):
    m = cluster
    r = m.run("start", "c1", timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "cluster 'c1': monitored by the mha engine; master 10.77.0.11:3306" in r.stdout
    assert vip_holders() == ["10.77.0.11"]
    con = app_connect(m.lab, VIP)
    with con.cursor() as cur:
        cur.execute("SELECT @@server_id")
        assert cur.fetchone()[0] == 1
    con.close()
    st = mha_status(m)
    assert "PING_OK" in st.stdout, st.stdout + st.stderr
    (c,) = m.clusters()
    assert c["state"] == "monitoring" and c["desired"] == "monitored"
    ev = events(m)
    for t in ("cluster.start", "vip.bound", "engine.started", "monitoring.started"):
        assert t in ev, ev
    # The rendered MHA config holds passwords: owner-only.
    conf = os.path.join(m.dir, "work", "mha", "c1", "c1.cnf")
    assert os.stat(conf).st_mode & 0o077 == 0


def failover(m, writer_lab):
    """Kills the master's mysqld under write load; returns (old, new, writer)."""
    old = master_of(m)
    old_n = NODES.index(old.split(":")[0]) + 1
    n_completed = events(m).count("failover.completed")
    w = Writer(writer_lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    lab_cmd("kill-mysqld", old_n)
    new = wait_for("the registry to name a new master",
                   lambda: master_of(m) if master_of(m) != old else None, timeout=120)
    n_before = len(w.acked)
    wait_for("writes acknowledged through the VIP on the new master",
             lambda: len(w.acked) > n_before + 20, timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    # MHA re-points the remaining replicas after the VIP moved; then it reports.
    wait_for("the failover report", lambda: events(m).count("failover.completed") >
             n_completed, timeout=120)
    return old, new, w


def assert_rows_on(m, host, ids):
    con = pymysql.connect(host=host, user=m.lab.mha_user, password=m.lab.mha_password,
                          database="labdb", connect_timeout=5)
    with con.cursor() as cur:
        cur.execute("SELECT id FROM t")
        have = {r[0] for r in cur.fetchall()}
    con.close()
    missing = sorted(set(ids) - have)
    assert not missing, f"{len(missing)} acknowledged writes missing on {host}: {missing[:20]}"


# Each failed write costs the writer >= 0.1 s; a failover of ~10 s plus connection retries
# stays far below this. Minutes of failing writes would not.
WRITER_MAX_ERRORS = 400


def assert_writer_sane(w):
    print(f"writer: {len(w.acked)} acknowledged, {w.errors} errors, "
          f"{w.duplicates} duplicate-key answers")
    assert w.errors <= WRITER_MAX_ERRORS, f"writer failed {w.errors} times"
    assert w.duplicates <= 5, f"{w.duplicates} writes answered duplicate key"


def surviving_hosts(m):
    """The cluster's master and replicas in the registry (failed nodes left out)."""
    (c,) = m.clusters()
    return [n["host"] for n in c["nodes"] if n["role"] in ("master", "replica")]


def assert_rows_on_survivors(m, ids, timeout=60):
    """Every acknowledged id on every surviving node: the new master at once, each re-pointed
    replica once it has caught up (bounded)."""
    hosts = surviving_hosts(m)
    assert len(hosts) >= 1
    for host in hosts:
        deadline = time.time() + timeout
        while True:
            try:
                assert_rows_on(m, host, ids)
                break
            except AssertionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)


def assert_reprotected(m, new, times=1):
    wait_for("re-protection", lambda: events(m).count("cluster.reprotected") >= times,
             timeout=120)
    (c,) = m.clusters()
    assert c["state"] == "monitoring" and c["master"] == new
    st = mha_status(m)
    assert "PING_OK" in st.stdout and new.split(":")[0] in st.stdout, st.stdout


def test_failover_under_load_and_reprotection(cluster):
    m = cluster
    m.ok("start", "c1", timeout=180)
    old, new, w = failover(m, m.lab)
    new_host = new.split(":")[0]
    # The VIP answers on the new master, and only there.
    assert vip_holders() == [new_host]
    con = app_connect(m.lab, VIP)
    with con.cursor() as cur:
        cur.execute("SELECT @@server_id")
        assert cur.fetchone()[0] == NODES.index(new_host) + 1
    con.close()
    # Every acknowledged write is on the new master, and on the re-pointed replica.
    assert_rows_on(m, new_host, w.acked)
    assert_writer_sane(w)
    # The registry names the new master; the old one is out of monitoring.
    (c,) = m.clusters()
    roles = {n["host"]: n["role"] for n in c["nodes"]}
    assert roles[old.split(":")[0]] == "failed" and roles[new_host] == "master"
    ev = events(m)
    for t in ("failover.started", "vip.removed", "vip.moved", "failover.master_changed",
              "failover.completed"):
        assert t in ev, ev
    assert_reprotected(m, new)
    assert_rows_on_survivors(m, w.acked)

    # A second failover on the re-protected cluster works too.
    old2, new2, w2 = failover(m, m.lab)
    assert old2 == new and new2 not in (old, new)
    assert vip_holders() == [new2.split(":")[0]]
    assert_rows_on(m, new2.split(":")[0], w2.acked)
    assert_writer_sane(w2)
    assert_reprotected(m, new2, times=2)
    assert_rows_on_survivors(m, w.acked + w2.acked)


def test_stop_and_start(cluster):
    m = cluster
    m.ok("start", "c1", timeout=180)
    r = m.ok("stop", "c1", timeout=60)
    assert "monitoring by the mha engine stopped; the VIP stays on 10.77.0.11:3306" in r.stdout
    (c,) = m.clusters()
    assert c["state"] == "stopped" and c["desired"] == "stopped"
    assert vip_holders() == ["10.77.0.11"]
    st = mha_status(m)
    assert "PING_OK" not in st.stdout
    r = m.run("del", "c1")
    assert r.returncode == 0  # a stopped cluster can be deleted
    m.ok("add", "c1", "--master", "10.77.0.11", "--vip", f"{VIP}/24")
    r = m.ok("-r", "c1", timeout=180)
    assert "monitored by the mha engine" in r.stdout


def test_daemon_restart_keeps_monitoring_and_engine_respawn(cluster):
    m = cluster
    m.ok("start", "c1", timeout=180)
    pidfile = os.path.join(m.dir, "work", "mha", "c1", "engine.pid")
    pid = int(open(pidfile).read().split()[0])
    m.daemon.stop()
    time.sleep(1)
    os.kill(pid, 0)  # masterha_manager still runs without the daemon
    assert "PING_OK" in mha_status(m).stdout
    m.daemon.start()
    time.sleep(3)  # three passes of the new daemon: time to start a second engine, if it would
    assert f"cluster=c1 adopted running engine pid {pid}" in open(
        os.path.join(m.dir, "daemon.log")).read()
    assert int(open(pidfile).read().split()[0]) == pid  # adopted, not doubled
    managers = subprocess.run(["pgrep", "-f", f"masterha_manager.*{m.dir}/"],
                              capture_output=True, text=True).stdout.split()
    assert managers == [str(pid)], managers
    (c,) = m.clusters()
    assert c["state"] == "monitoring"

    # A killed masterha_manager is respawned and monitoring resumes.
    os.killpg(pid, signal.SIGKILL)
    wait_for("a new engine", lambda: int(open(pidfile).read().split()[0]) != pid, timeout=60)
    wait_for("PING_OK again", lambda: "PING_OK" in mha_status(m).stdout, timeout=120)
    assert "engine.died" in events(m)


def secrets_of(lab):
    return [lab.env[k] for k in ("LAB_MHA_PASSWORD", "LAB_REPL_PASSWORD")]


class CmdlineSampler(threading.Thread):
    """Reads /proc/*/cmdline of every mhaadm and MHA process, every few ms, for the whole
    failover: a password in any of their argvs is readable by every local user."""

    OURS = ("mhaadm", "masterha_manager", "masterha_check_status", "masterha_check_repl",
            "masterha_check_ssh")

    def __init__(self, secrets):
        super().__init__(daemon=True)
        self.secrets = [x.encode() for x in secrets]
        self.bin = os.path.realpath(BIN).encode()
        self.stop_evt = threading.Event()
        self.samples, self.leaks = 0, []

    def run(self):
        while not self.stop_evt.is_set():
            for path in glob.glob("/proc/[0-9]*/cmdline"):
                try:
                    with open(path, "rb") as f:
                        argv = f.read()
                except OSError:
                    continue
                args = argv.split(b"\0")
                words = [os.path.basename(a.decode(errors="replace")) for a in args[:2]]
                # Ours, or a shell MHA runs our hook through (`sh -c "/path/mhaadm hook ..."`).
                # MHA's own node-tool calls (`sh -c "ssh ... apply_diff_relay_logs
                # --slave_pass=..."`) are MHA's argv, not ours: docs/doctor.md says so.
                if not any(w in self.OURS for w in words) and self.bin not in argv:
                    continue
                self.samples += 1
                for x in self.secrets:
                    if x in argv:
                        self.leaks.append(argv.replace(x, b"<SECRET>")[:300])
            time.sleep(0.002)


def test_no_password_in_our_logs_or_history(cluster):
    """MHA hands passwords to its hooks in argv (doctor --fix patches that away); none reaches
    our logs, MHA's log, the hook's output, events, or the argv of our processes."""
    m = cluster
    m.ok("start", "c1", timeout=180)
    sampler = CmdlineSampler(secrets_of(m.lab))
    sampler.start()
    try:
        failover(m, m.lab)
        wait_for("re-protection", lambda: "cluster.reprotected" in events(m), timeout=120)
    finally:
        sampler.stop_evt.set()
        sampler.join(timeout=10)
    assert sampler.samples > 0
    assert not sampler.leaks, sampler.leaks[:3]
    logs = [os.path.join(m.dir, "daemon.log")]
    # MHA's manager.log holds the hook's output too (master_ip_failover_script, report).
    logs += glob.glob(os.path.join(m.dir, "log", "**", "*.log"), recursive=True)
    assert os.path.join(m.dir, "log", "c1", "manager.log") in logs
    texts = [open(p, errors="replace").read() for p in logs]
    texts += [m.ok("history", "c1", "--json").stdout, m.run("list", "c1", "--json").stdout]
    for secret in secrets_of(m.lab):
        for t in texts:
            assert secret not in t


def test_start_refused_when_checks_fail(cluster):
    m = cluster
    m.lab.sql(3, "STOP SLAVE SQL_THREAD")
    r = m.run("start", "c1", timeout=180)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "cluster 'c1' is not monitored" in r.stderr
    assert "10.77.0.13:3306 is not replicating" in r.stderr
    (c,) = m.clusters()
    assert c["state"] != "monitoring"
    assert vip_holders() == []  # nothing was bound for a cluster that failed its checks
    m.ok("stop", "c1", timeout=60)
    m.lab.sql(3, "START SLAVE SQL_THREAD")

    # A fault only MHA's own start-up checks find (the checks masterha_check_repl would
    # run; start no longer runs that tool first): its reason, quoted from manager.log.
    repl = m.lab.env["LAB_REPL_USER"]
    m.lab.sql(3, f"SET sql_log_bin=0; REVOKE REPLICATION SLAVE ON *.* FROM '{repl}'@'10.77.0.%'")
    r = m.run("start", "c1", timeout=180)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("cluster 'c1' is not monitored: MHA checks failed: masterha_manager's start-up "
            "checks (those of masterha_check_repl): 10.77.0.13(10.77.0.13:3306): User "
            f"{repl} does not exist or does not have REPLICATION SLAVE privilege!") in r.stderr, \
        r.stderr
    (c,) = m.clusters()
    assert c["state"] != "monitoring"
    assert c["problem"].startswith("engine.checks_failed: MHA checks failed:"), c["problem"]
    assert "PING_OK" not in mha_status(m).stdout
    m.ok("stop", "c1", timeout=60)
    m.lab.sql(3, f"SET sql_log_bin=0; GRANT REPLICATION SLAVE ON *.* TO '{repl}'@'10.77.0.%'")

    r = m.ok("start", "c1", timeout=180)
    assert "monitored by the mha engine" in r.stdout


def test_flapping_guard_refuses_second_failover(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, failover_window="3600")
    try:
        m.ok("start", "c1", timeout=180)
        old, new, _ = failover(m, m.lab)
        assert_reprotected(m, new)
        lab_cmd("kill-mysqld", NODES.index(new.split(":")[0]) + 1)
        wait_for("the refusal", lambda: "failover.refused" in events(m), timeout=120)
        (c,) = m.clusters()
        assert c["state"] == "unprotected" and c["master"] == new
        refusal = next(e for e in m.events("c1") if e["type"] == "failover.refused")
        assert "failover_window" in refusal["message"]
        r = m.run("list")
        assert r.returncode == 3 and "unprotected" in r.stdout
        time.sleep(3)  # the daemon does not restart a refused cluster on its own
        assert events(m).count("engine.started") == 2
    finally:
        finish_cluster(m)


def test_unprotected_when_no_replica_left(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, nodes=["10.77.0.11", "10.77.0.12"])
    try:
        m.ok("start", "c1", timeout=180)
        lab_cmd("kill-mysqld", 1)
        wait_for("the unprotected event", lambda: "cluster.unprotected" in events(m),
                 timeout=120)
        (c,) = m.clusters()
        assert c["state"] == "unprotected" and c["master"] == "10.77.0.12:3306"
        assert vip_holders() == ["10.77.0.12"]
        ev = next(e for e in m.events("c1") if e["type"] == "cluster.unprotected")
        assert "NO REPLICA IS LEFT" in ev["message"]
    finally:
        finish_cluster(m)


def using_gtid(lab, n):
    con = pymysql.connect(host=NODES[n - 1], user=lab.mha_user, password=lab.mha_password,
                          connect_timeout=5, cursorclass=pymysql.cursors.DictCursor)
    try:
        with con.cursor() as cur:
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
        return row["Using_Gtid"] if row else None
    finally:
        con.close()


def test_gtid_replicas_use_gtid_again_after_failover(fresh_gtid_lab, tmp_path):
    lab = fresh_gtid_lab
    assert [using_gtid(lab, n) for n in (2, 3, 4)] == ["Slave_Pos"] * 3
    m = make_cluster(lab, tmp_path)
    try:
        m.ok("start", "c1", timeout=180)
        old, new, w = failover(m, lab)
        assert_writer_sane(w)
        assert_reprotected(m, new)
        # No loss in GTID mode either: every acknowledged id on the new master and on
        # every replica re-pointed to it.
        assert_rows_on_survivors(m, w.acked)
        survivors = [n for n in (2, 3, 4) if NODES[n - 1] != new.split(":")[0]]
        wait_for("GTID restored", lambda: all(using_gtid(lab, n) == "Slave_Pos"
                                              for n in survivors), timeout=60)
        assert "replica.gtid_restored" in events(m)
        # Replication still works on the new topology, by GTID.
        con = app_connect(lab, VIP)
        with con.cursor() as cur:
            cur.execute("INSERT INTO t (id, v) VALUES (999999, 'after')")
        con.close()
        for n in survivors:
            wait_for(f"row on h{n}", lambda n=n: "999999" in lab.sql(
                n, "SELECT id FROM labdb.t WHERE id=999999"), timeout=30)
    finally:
        finish_cluster(m)


# The events of one failover, in the order they happen (the VIP leaves the old master one
# way or another), as history and a webhook must show them.
FAILOVER_EVENTS = ["failover.started", "vip.removed|vip.remove_skipped|vip.remove_failed",
                   "vip.moved", "failover.master_changed", "failover.completed"]
FAILOVER_TYPES = {t for e in FAILOVER_EVENTS for t in e.split("|")}


def assert_failover_events(types, where):
    """types (oldest first) hold the failover's events in order, each once."""
    seen = [t for t in types if t in FAILOVER_TYPES]
    assert len(seen) == len(FAILOVER_EVENTS) and all(
        t in e.split("|") for t, e in zip(seen, FAILOVER_EVENTS)), (where, seen, types)


def test_registry_down_during_failover(lab_manager, tmp_path):
    """MySQL registry on h5 is down while the master dies: the VIP still moves, the update
    and every event of the failover are spooled, and land in the registry when it returns,
    in order, once: history and a webhook show them all; monitoring resumes."""
    from test_notify import Receiver
    lab = lab_manager.ensure(4, 1, fresh=True)
    lab_manager.dirty = True
    m = make_cluster(lab, tmp_path, registry="mysql", registry_path=None,
                     mysql_host="10.77.0.15", mysql_user=lab.mha_user,
                     mysql_password=lab.mha_password, mysql_database="mhaadm_reg")
    hook = Receiver()
    try:
        m.daemon.stop()
        with open(m.config, "a") as f:
            f.write(f'\n[notify "hook"]\ntype = webhook\n'
                    f"url = http://127.0.0.1:{hook.port}/hook\n"
                    f"events = failover.*, vip.*\ntimeout = 5\n")
        m.daemon.start()
        m.ok("start", "c1", timeout=180)
        before = max(e["id"] for e in m.events("c1"))
        lab_cmd("kill-mysqld", 5)
        lab_cmd("kill-mysqld", 1)
        def moved():
            # One look per poll: between two looks the VIP may be on nobody (mid-move).
            h = vip_holders()
            return h if h and h != ["10.77.0.11"] else None
        new_host = wait_for("the VIP on a new master", moved, timeout=120)[0]
        spool = os.path.join(m.dir, "work", "spool")
        wait_for("a spooled registry update",
                 lambda: os.path.isdir(spool) and any(f.endswith(".master")
                                                      for f in os.listdir(spool)), timeout=60)
        lab_cmd("start-mysqld", 5)
        wait_for("the registry to name the new master",
                 lambda: m.run("list", "all", "--json", "--no-probe").returncode == 0 and
                 master_of(m) == f"{new_host}:3306", timeout=120)
        late = [e for e in m.events("c1") if e["type"] == "failover.master_changed"]
        assert late and "recorded late" in late[0]["message"]
        wait_for("monitoring on the new topology",
                 lambda: m.clusters()[0]["state"] == "monitoring", timeout=120)
        assert "PING_OK" in mha_status(m).stdout
        assert not [f for f in os.listdir(spool) if f.endswith((".master", ".event"))]
        # Every event of the failover reached the history, in order, once, with its fields.
        hist = [e for e in reversed(m.events("c1")) if e["id"] > before]
        assert_failover_events([e["type"] for e in hist], "history")
        moved = [e for e in hist if e["type"] == "vip.moved"][0]
        assert moved["fields"] == {"old_master": "10.77.0.11", "new_master": new_host}
        # ... and the webhook, in the same order.
        wait_for("failover.completed at the webhook",
                 lambda: any(x["type"] == "failover.completed"
                             for x in hook.messages("/hook")), timeout=60)
        sent = [x["type"] for x in hook.messages("/hook")]
        assert_failover_events(sent, "webhook")
        assert [t for t in sent if t in FAILOVER_TYPES] == \
            [e["type"] for e in hist if e["type"] in FAILOVER_TYPES]
        got = [x for x in hook.messages("/hook") if x["type"] == "vip.moved"][0]
        assert got["old_master"] == "10.77.0.11" and got["new_master"] == new_host
    finally:
        hook.close()
        finish_cluster(m)


def nft_drop_to(table, *hosts):
    """Drops (no answer, no refusal) every packet the manager host sends to hosts."""
    subprocess.run(["nft", "delete", "table", "ip", table], capture_output=True)
    subprocess.run(["nft", "add", "table", "ip", table], check=True)
    subprocess.run(["nft", "add", "chain", "ip", table, "out",
                    "{ type filter hook output priority 0 ; }"], check=True)
    for h in hosts:
        subprocess.run(["nft", "add", "rule", "ip", table, "out", "ip", "daddr", h, "drop"],
                       check=True)


def nft_clear(table):
    subprocess.run(["nft", "delete", "table", "ip", table], capture_output=True)


def test_registry_and_old_master_dropping_packets(lab_manager, tmp_path):
    """A management node that drops packets instead of refusing them, while the master's link
    is cut (its packets dropped too): the hook's bounds hold — the VIP moves, the update is
    spooled, the failover completes; when the registry answers again the update lands."""
    lab = lab_manager.ensure(4, 1, fresh=True)
    lab_manager.dirty = True
    m = make_cluster(lab, tmp_path, registry="mysql", registry_path=None,
                     mysql_host="10.77.0.15", mysql_user=lab.mha_user,
                     mysql_password=lab.mha_password, mysql_database="mhaadm_reg")
    try:
        m.ok("start", "c1", timeout=180)
        nft_drop_to("mhaadm_test_drop", "10.77.0.15")
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "down"], check=True)

        def moved():
            h = [x for x in vip_holders() if x != "10.77.0.11"]
            return h or None
        new_host = wait_for("the VIP on a new master", moved, timeout=180)[0]
        spool = os.path.join(m.dir, "work", "spool")
        wait_for("a spooled registry update",
                 lambda: os.path.isdir(spool) and any(f.endswith(".master")
                                                      for f in os.listdir(spool)), timeout=90)
        # The new master takes writes while the registry still drops every packet.
        con = app_connect(lab, VIP, timeout=5)
        with con.cursor() as cur:
            cur.execute("SELECT @@server_id, @@read_only")
            sid, ro = cur.fetchone()
        con.close()
        assert sid == NODES.index(new_host) + 1 and ro == 0
        nft_clear("mhaadm_test_drop")
        wait_for("the registry to name the new master",
                 lambda: m.run("list", "all", "--json", "--no-probe").returncode == 0 and
                 master_of(m) == f"{new_host}:3306", timeout=180)
        wait_for("the spool emptied", lambda: not [f for f in os.listdir(spool)
                                                   if f.endswith(".master")], timeout=60)
    finally:
        nft_clear("mhaadm_test_drop")
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=False)
        finish_cluster(m)


def test_cut_off_master_returning_is_fenced(fresh_lab, tmp_path):
    """The master's link is cut: MHA fails over, the cut-off host keeps the VIP and stays
    writable. When its link returns, mhaadm takes the VIP away there and sets read_only.
    Writers on the VIP (from the manager's side and from inside the old master's namespace)
    and on the old master's own address, and a session opened there before the cut, keep
    trying: the old master acknowledges none of their writes once the new master took writes
    (the isolation guard while it is cut off, then the fence)."""
    m = make_cluster(fresh_lab, tmp_path)
    writers = []
    try:
        m.ok("start", "c1", timeout=180)
        via_vip = AckWriter(m.lab, VIP, 1_000_000)
        direct = AckWriter(m.lab, NODES[0], 4_000_000)
        idle = IdleSession(m.lab, NODES[0])
        via_vip.start()
        direct.start()
        inside = NetnsWriter(m.lab, 1, VIP, 2_000_000, str(tmp_path / "inside.acks"))
        writers = [via_vip, direct, inside]
        wait_for("acknowledged writes", lambda: len(via_vip.acks) > 20 and
                 len(inside.acks) > 20, timeout=60)
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "down"], check=True)
        new = wait_for("a new master", lambda: master_of(m) if master_of(m) !=
                       "10.77.0.11:3306" else None, timeout=120)
        new_host = new.split(":")[0]
        wait_for("the VIP on the new master", lambda: new_host in vip_holders(), timeout=60)
        assert "10.77.0.11" in vip_holders()  # the cut-off master still has it: split brain
        assert "vip.remove_skipped" in events(m)
        new_sid = NODES.index(new_host) + 1
        wait_for("the new master taking writes through the VIP",
                 lambda: any(sid == new_sid for (_, sid, _) in via_vip.acks), timeout=60)
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=True)
        idle.try_write(5_000_000)
        wait_for("only the new master holding the VIP", lambda: vip_holders() == [new_host],
                 timeout=60)
        wait_for("the old master read-only",
                 lambda: m.lab.sql(1, "SELECT @@read_only").strip() == "1", timeout=60)
        time.sleep(2)
        for w in writers:
            w.stop()
        t_new, late = late_acks(writers + [idle], 1, new_sid)
        assert late == [], f"{len(late)} writes acknowledged by the cut-off master: {late[:5]}"
        ev = events(m)
        assert "fence.vip_removed" in ev and "fence.read_only" in ev

        # Polled: the manager host's ARP entry may still name the old host for a moment
        # after the fence took the VIP away there (the new master re-announces it).
        assert wait_for("the VIP answering", lambda: vip_server_id(m),
                        timeout=30) == NODES.index(new_host) + 1
    finally:
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=False)
        for w in writers:
            w.stop()
        finish_cluster(m)
