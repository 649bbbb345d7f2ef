# SPDX-License-Identifier: GPL-2.0-or-later
"""The fault matrix: mhaadm keeps its promises when things go wrong. Each test breaks the lab
the way production breaks and asserts what a DBA would see: which server answers on the VIP,
which one is writable, what the registry, 'list' and 'history' say. (test_lifecycle.py holds
kill -9 of the master, the cut-off master fenced on return, the flapping guard and the
registry down during a failover; these extend it.)"""
import os
import re
import signal
import subprocess
import time

import pymysql

from conftest import LAB_DIR, Mhaadm, lab_cmd
from splitbrain import AckWriter, IdleSession, late_acks
from test_lifecycle import (NODES, VIP, Daemon, app_connect, events, finish_cluster,
                            make_cluster, master_of, mha_status, wait_for)

VIP2 = "10.77.0.101"


def holders(vip):
    """Which lab hosts have vip on an interface, as seen inside their namespaces."""
    held = []
    for i in range(1, 5):
        r = subprocess.run(["ip", "netns", "exec", f"mhaadm-h{i}", "ip", "-o", "-4", "addr"],
                           capture_output=True, text=True)
        if f" {vip}/" in r.stdout:
            held.append(NODES[i - 1])
    return held


def admin(lab, n):
    return pymysql.connect(host=NODES[n - 1], user=lab.mha_user, password=lab.mha_password,
                           connect_timeout=3, read_timeout=5, autocommit=True,
                           cursorclass=pymysql.cursors.DictCursor)


def read_only(lab, n):
    con = admin(lab, n)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT @@read_only AS ro")
            return cur.fetchone()["ro"]
    finally:
        con.close()


def pid_of(path):
    with open(path) as f:
        return int(f.read().split()[0])


def cluster(m, name):
    return next(c for c in m.clusters() if c["name"] == name)


def types(m, name):
    return [e["type"] for e in reversed(m.events(name))]


def split_lab(lab):
    """Turns the 4-host lab (h1 master of h2-h4) into two 2-node clusters: h1 -> h2 and
    h3 -> h4. Nothing writes meanwhile, so h4 has all of h3's data when it is re-pointed."""
    con3, con4 = admin(lab, 3), admin(lab, 4)
    try:
        with con4.cursor() as c4, con3.cursor() as c3:
            c4.execute("STOP SLAVE")
            c3.execute("STOP SLAVE")
            c3.execute("RESET SLAVE ALL")
            c3.execute("SET GLOBAL read_only=0")
            c3.execute("SHOW MASTER STATUS")
            st = c3.fetchone()
            c4.execute("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=3306, MASTER_USER=%s, "
                       "MASTER_PASSWORD=%s, MASTER_LOG_FILE=%s, MASTER_LOG_POS=%s, "
                       "MASTER_USE_GTID=no",
                       (NODES[2], lab.env["LAB_REPL_USER"], lab.env["LAB_REPL_PASSWORD"],
                        st["File"], st["Position"]))
            c4.execute("START SLAVE")
    finally:
        con3.close()
        con4.close()

    def replicating():
        con = admin(lab, 4)
        try:
            with con.cursor() as cur:
                cur.execute("SHOW SLAVE STATUS")
                row = cur.fetchone()
                return row["Slave_IO_Running"] == "Yes" and row["Slave_SQL_Running"] == "Yes"
        finally:
            con.close()
    wait_for("h4 replicating from h3", replicating, timeout=30)


def two_clusters(lab, tmp_path, **overrides):
    """c1 = h1 -> h2 (VIP .100), c2 = h3 -> h4 (VIP .101), both monitored by one daemon."""
    split_lab(lab)
    keys = dict(ssh_key=lab.env["LAB_SSH_KEY"], ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"],
                failover_window="0", connect_timeout="2")
    keys.update(overrides)
    m = Mhaadm(lab, tmp_path, **keys)
    m.ok("init")
    m.ok("add", "c1", "--node", NODES[0], "--node", NODES[1], "--vip", f"{VIP}/24")
    m.ok("add", "c2", "--node", NODES[2], "--node", NODES[3], "--vip", f"{VIP2}/24")
    for name in ("c1", "c2"):
        r = m.run("doctor", name, "--fix", timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    m.daemon = Daemon(m)
    m.daemon.start()
    m.ok("start", "all", timeout=240)
    assert holders(VIP) == [NODES[0]] and holders(VIP2) == [NODES[2]]
    return m


def conf_of(m, name):
    return os.path.join(m.dir, "work", "mha", name, f"{name}.cnf")


def health(m, name):
    return subprocess.run(["masterha_check_status", f"--conf={conf_of(m, name)}"],
                          capture_output=True, text=True, timeout=60).stdout


def test_storm_breaker_pauses_failovers_beyond_k(fresh_lab, tmp_path):
    """K=1: both masters die at once (as they would seem to when the manager's network
    fails). One failover goes ahead; the other is refused before anything moves, with an
    event and a reason in 'list', and the daemon does not retry it in a loop."""
    m = two_clusters(fresh_lab, tmp_path, storm_max_failovers="1", storm_window="600")
    try:
        lab_cmd("kill-mysqld", 1)
        lab_cmd("kill-mysqld", 3)
        wait_for("one cluster paused by the storm breaker",
                 lambda: any("failover.paused" in types(m, n) for n in ("c1", "c2")),
                 timeout=120)
        paused = next(n for n in ("c1", "c2") if "failover.paused" in types(m, n))
        went = "c2" if paused == "c1" else "c1"
        old_paused, vip_paused = (NODES[0], VIP) if paused == "c1" else (NODES[2], VIP2)
        old_went, vip_went = (NODES[2], VIP2) if paused == "c1" else (NODES[0], VIP)
        new_went = NODES[1] if went == "c1" else NODES[3]

        # The other one failed over: new master in the registry, VIP there.
        wait_for(f"{went} failed over", lambda: cluster(m, went)["master"] ==
                 f"{new_went}:3306", timeout=120)
        wait_for(f"VIP of {went} on {new_went}", lambda: holders(vip_went) == [new_went],
                 timeout=60)
        assert "failover.started" in types(m, went)

        # The paused one: nothing moved, and it says why.
        c = cluster(m, paused)
        assert c["state"] == "unprotected" and c["master"] == f"{old_paused}:3306"
        assert holders(vip_paused) == [old_paused]
        ev = types(m, paused)
        assert "storm.paused" in ev and "failover.started" not in ev
        msg = next(e["message"] for e in m.events(paused) if e["type"] == "storm.paused")
        assert "storm_max_failovers = 1" in msg and went in msg, msg
        listing = m.run("list").stdout  # exit 3: not every cluster is ok
        # VERDICT "down" (its master is dead), STATE "unprotected".
        assert re.search(rf"^{paused}\s+down\s+unprotected", listing, re.M), listing
        assert "why: failover.paused:" in listing and "storm breaker" in listing, listing
        assert c["problem"].startswith("failover.paused:")
        # MHA's failed-failover marker of this refusal is gone: the next failover may run.
        assert c["engine"]["failover_error_marker"] is None
        n_started = ev.count("engine.started")
        time.sleep(4)
        assert types(m, paused).count("engine.started") == n_started  # not restarted
    finally:
        finish_cluster(m)


def test_crash_looping_engine_backs_off_and_others_keep_running(fresh_lab, tmp_path):
    """c2's engine dies and cannot start again (sshd on its replica h4 is down, so MHA's
    checks fail): restarts back off (1, 2, 4, 8 s...), each an event, 'list' says why, and
    c1 is untouched. When sshd returns, c2 is monitored again on its own."""
    m = two_clusters(fresh_lab, tmp_path)
    sshd_pidfile = os.path.join(LAB_DIR, "h4", "sshd.pid")
    try:
        wait_for("both clusters monitored", lambda: all(
            c["state"] == "monitoring" for c in m.clusters()), timeout=60)
        c1_engine = pid_of(os.path.join(m.dir, "work", "mha", "c1", "engine.pid"))
        os.kill(pid_of(sshd_pidfile), signal.SIGTERM)
        wait_for("sshd on h4 gone", lambda: not os.path.exists(sshd_pidfile), timeout=30)
        os.killpg(pid_of(os.path.join(m.dir, "work", "mha", "c2", "engine.pid")),
                  signal.SIGKILL)

        def delays():
            return [int(re.search(r"restarting in (\d+) s", e["message"]).group(1))
                    for e in reversed(m.events("c2")) if e["type"] == "engine.checks_failed"]
        wait_for("three failed restarts of c2", lambda: len(delays()) >= 3, timeout=120)
        d = delays()
        assert d[:3] == sorted(d[:3]) and d[2] > d[0], d  # backing off, not spinning
        assert "engine.died" in types(m, "c2")
        c2 = cluster(m, "c2")
        assert c2["problem"].startswith("engine.checks_failed:"), c2["problem"]
        assert "masterha_check_ssh" in c2["problem"], c2["problem"]
        listing = m.run("list").stdout  # exit 3: not every cluster is ok
        assert "why: engine.checks_failed:" in listing, listing

        # c1 was never touched: same engine, still PING_OK, still monitoring.
        assert pid_of(os.path.join(m.dir, "work", "mha", "c1", "engine.pid")) == c1_engine
        assert "PING_OK" in health(m, "c1")
        c1 = cluster(m, "c1")
        assert c1["state"] == "monitoring" and c1["problem"] is None
        assert types(m, "c1").count("engine.started") == 1

        # The node is repaired: the next attempt succeeds without the DBA.
        sshd_conf = os.path.join(LAB_DIR, "h4", "sshd_config")
        subprocess.run(["ip", "netns", "exec", "mhaadm-h4", "/usr/sbin/sshd", "-f", sshd_conf],
                       check=True, stdin=subprocess.DEVNULL, capture_output=True)
        wait_for("c2 monitored again", lambda: "PING_OK" in health(m, "c2") and
                 cluster(m, "c2")["problem"] is None, timeout=180)
        assert cluster(m, "c2")["state"] == "monitoring"
        assert types(m, "c2")[-1] == "monitoring.started"
    finally:
        if not os.path.exists(sshd_pidfile):
            subprocess.run(["ip", "netns", "exec", "mhaadm-h4", "/usr/sbin/sshd", "-f",
                            os.path.join(LAB_DIR, "h4", "sshd_config")],
                           stdin=subprocess.DEVNULL, capture_output=True)
        finish_cluster(m)


def test_frozen_master_and_daemon_killed_mid_failover(fresh_lab, tmp_path):
    """The master's mysqld is frozen (SIGSTOP): MHA sees it dead and fails over. The daemon
    is SIGKILLed as soon as the failover starts and restarted: the failover completes, the
    registry matches reality, monitoring resumes. When the frozen mysqld resumes (SIGCONT)
    it is fenced: one writable master, the VIP there only. Writers on the VIP and on the old
    master's own address, and a session opened on it before the freeze, keep trying through
    the fault and its return: the old master acknowledges none of their writes once the new
    master took writes (the isolation guard, then the fence)."""
    m = make_cluster(fresh_lab, tmp_path)
    mysqld = pid_of(os.path.join(LAB_DIR, "h1", "run", "mysqld.pid"))
    stopped = False
    writers = []
    try:
        m.ok("start", "c1", timeout=180)
        via_vip = AckWriter(m.lab, VIP, 1_000_000)
        direct = AckWriter(m.lab, NODES[0], 4_000_000)
        idle = IdleSession(m.lab, NODES[0])
        writers = [via_vip, direct]
        for w in writers:
            w.start()
        wait_for("acknowledged writes", lambda: len(via_vip.acks) > 20 and
                 len(direct.acks) > 20, timeout=60)
        os.kill(mysqld, signal.SIGSTOP)
        stopped = True
        wait_for("the failover to start", lambda: "failover.started" in events(m), timeout=120)
        m.daemon.proc.kill()  # SIGKILL: no clean-up of any kind
        m.daemon.proc.wait(timeout=30)
        m.daemon.log.close()

        # Without a daemon, the failover goes on (MHA and the hook do it).
        new = wait_for("the registry to name a new master", lambda: master_of(m) if
                       master_of(m) != "10.77.0.11:3306" else None, timeout=120)
        new_host = new.split(":")[0]
        m.daemon = Daemon(m)
        m.daemon.start()
        wait_for("the failover report", lambda: "failover.completed" in events(m), timeout=120)
        wait_for("monitoring resumed", lambda: m.clusters()[0]["state"] == "monitoring",
                 timeout=120)
        st = mha_status(m)
        assert "PING_OK" in st.stdout and new_host in st.stdout, st.stdout
        roles = {n["host"]: n["role"] for n in m.clusters()[0]["nodes"]}
        assert roles[NODES[0]] == "failed" and roles[new_host] == "master"

        os.kill(mysqld, signal.SIGCONT)
        stopped = False
        idle.try_write(5_000_000)
        wait_for("the old master read-only", lambda: read_only(m.lab, 1) == 1, timeout=60)
        time.sleep(2)
        for w in writers:
            w.stop()
        new_sid = NODES.index(new_host) + 1
        assert any(sid == new_sid for (_, sid, _) in via_vip.acks)
        t_new, late = late_acks(writers + [idle], 1, new_sid)
        assert late == [], f"{len(late)} writes acknowledged by the frozen old master: {late[:5]}"
        assert holders(VIP) == [new_host]
        writable = [NODES[n - 1] for n in range(1, 5) if read_only(m.lab, n) == 0]
        assert writable == [new_host]
        con = app_connect(m.lab, VIP)
        with con.cursor() as cur:
            cur.execute("SELECT @@server_id")
            assert cur.fetchone()[0] == NODES.index(new_host) + 1
            cur.execute("INSERT INTO t (id, v) VALUES (424242, 'after')")
        con.close()
        assert "fence.read_only" in events(m)
    finally:
        if stopped:
            os.kill(mysqld, signal.SIGCONT)
        for w in writers:
            w.stop()
        finish_cluster(m)
