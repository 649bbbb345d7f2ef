# SPDX-License-Identifier: GPL-2.0-or-later
"""The native engine at fleet scale and its requirements: 20 clusters under native monitoring
at once, one master killed -9 under write load (only that cluster moves); doctor naming what
the native engine needs, --fix applying the safe fixes, start refusing until the rest is
fixed. Real MariaDB (one mariadbd per lab host, GTID replication), sshd, no MHA, no mocks."""
import json
import os
import re
import subprocess

import pymysql
import pytest

from conftest import LAB_DIR, Mhaadm, lab_cmd
from test_lifecycle import (VIP, Daemon, Writer, app_connect, assert_rows_on, assert_writer_sane,
                            wait_for)

# The killed cluster: lab hosts 1-3 (GTID, h1 master, VIP 10.77.0.100). The 19 others: pairs
# of standalone lab hosts (4+2k master, 5+2k replica), replication set up here, VIPs
# 10.77.0.150-168. No server is shared between two clusters.
OTHERS = 19
FIRST_PAIR_HOST = 4


def ip(n):
    return f"10.77.0.{10 + n}"


def other_vip(k):
    return f"10.77.0.{150 + k}"


def host_vips(n_hosts):
    """{VIP: [lab hosts holding it]} for the VIPs the test uses, as each namespace shows."""
    held = {}
    for i in range(1, n_hosts + 1):
        r = subprocess.run(["ip", "netns", "exec", f"mhaadm-h{i}", "ip", "-o", "-4", "addr"],
                           capture_output=True, text=True, timeout=10)
        for vip in re.findall(r"inet (10\.77\.0\.\d+)/", r.stdout):
            if vip == VIP or vip.startswith("10.77.0.1") and int(vip.split(".")[3]) >= 150:
                held.setdefault(vip, []).append(ip(i))
    return held


def make_pair(lab, master, replica):
    """GTID replication replica <- master between two standalone lab servers, replica
    read-only, with the fast-detection settings start would set."""
    pos = lab.sql(master, "SELECT @@gtid_binlog_pos").strip()
    repl_user, repl_pw = lab.env["LAB_REPL_USER"], lab.env["LAB_REPL_PASSWORD"]
    lab.sql(replica, f"SET GLOBAL gtid_slave_pos = '{pos}'; "
                     f"CHANGE MASTER TO MASTER_HOST = '{ip(master)}', MASTER_PORT = 3306, "
                     f"MASTER_USER = '{repl_user}', MASTER_PASSWORD = '{repl_pw}', "
                     "MASTER_USE_GTID = slave_pos; START SLAVE; SET GLOBAL read_only = 1")


def roles_of(c):
    """A registry cluster's nodes as (host, port, role), what a failover would change."""
    return sorted((n["host"], n["port"], n["role"]) for n in c["nodes"])


def by_name(m):
    return {c["name"]: c for c in m.clusters()}


@pytest.fixture
def fleet_lab(lab_manager):
    """h1-h3 replicating with GTID, h4-h41 standalone (19 pairs)."""
    lab = lab_manager.ensure(3, 2 * OTHERS, fresh=True, gtid=True)
    yield lab
    lab_manager.dirty = True


def test_native_fleet_20_clusters_one_master_killed(fleet_lab, tmp_path):
    lab = fleet_lab
    n_hosts = 3 + 2 * OTHERS
    m = Mhaadm(lab, tmp_path, ssh_key=lab.env["LAB_SSH_KEY"],
               ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"], connect_timeout="2")
    m.ok("init")
    lab.sql(1, "CREATE TABLE IF NOT EXISTS labdb.t (id INT PRIMARY KEY, v VARCHAR(32))")
    m.ok("add", "c00", "--master", ip(1), "--vip", f"{VIP}/24", "--engine", "native")
    for k in range(OTHERS):
        mh, rh = FIRST_PAIR_HOST + 2 * k, FIRST_PAIR_HOST + 2 * k + 1
        make_pair(lab, mh, rh)
    for k in range(OTHERS):
        mh, rh = FIRST_PAIR_HOST + 2 * k, FIRST_PAIR_HOST + 2 * k + 1
        m.ok("add", f"c{k + 1:02d}", "--node", ip(mh), "--node", ip(rh),
             "--vip", f"{other_vip(k)}/24", "--engine", "native", timeout=60)
    d = Daemon(m)
    d.start()
    try:
        r = m.run("start", "all", timeout=180)
        assert r.returncode == 0, r.stdout + r.stderr
        before = by_name(m)
        assert len(before) == 1 + OTHERS
        assert all(c["state"] == "monitoring" for c in before.values()), before
        vips_before = host_vips(n_hosts)
        assert vips_before[VIP] == [ip(1)]
        for k in range(OTHERS):
            assert vips_before[other_vip(k)] == [ip(FIRST_PAIR_HOST + 2 * k)]
        # One engine process watches all 20 (each status file names the process).
        pids = set()
        for name in before:
            st = open(os.path.join(m.dir, "work", "native", f"{name}.status")).read()
            pids.add(re.search(r"^pid=(\d+)$", st, re.M).group(1))
        assert len(pids) == 1, pids

        w = Writer(lab)
        w.start()
        wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
        lab_cmd("kill-mysqld", 1)
        new = wait_for("the registry to name a new master of c00",
                       lambda: by_name(m)["c00"]["master"]
                       if by_name(m)["c00"]["master"] != f"{ip(1)}:3306" else None,
                       timeout=60)
        new_host = new.split(":")[0]
        n_before = len(w.acked)
        wait_for("writes acknowledged through the VIP on the new master",
                 lambda: len(w.acked) > n_before + 20, timeout=60)
        w.stop_evt.set()
        w.join(timeout=30)
        assert new_host in (ip(2), ip(3))
        assert_rows_on(m, new_host, w.acked)
        assert_writer_sane(w)
        con = app_connect(lab, VIP)
        with con.cursor() as cur:
            cur.execute("SELECT @@server_id")
            assert cur.fetchone()[0] == int(new_host.split(".")[3]) - 10
        con.close()
        wait_for("c00 monitored again on the new topology",
                 lambda: by_name(m)["c00"]["state"] == "monitoring", timeout=60)

        after = by_name(m)
        vips_after = host_vips(n_hosts)
        assert vips_after[VIP] == [new_host]
        roles = {n["host"]: n["role"] for n in after["c00"]["nodes"]}
        assert roles[ip(1)] == "failed" and roles[new_host] == "master"
        # Nothing moved in the 19 others: master, nodes, VIP holder, state, no failover.
        for k in range(OTHERS):
            name = f"c{k + 1:02d}"
            assert after[name]["master"] == before[name]["master"] == \
                f"{ip(FIRST_PAIR_HOST + 2 * k)}:3306"
            assert roles_of(after[name]) == roles_of(before[name])
            assert after[name]["state"] == "monitoring"
            assert vips_after[other_vip(k)] == [ip(FIRST_PAIR_HOST + 2 * k)]
            hist = json.loads(m.ok("history", name, "--json").stdout)["events"]
            assert not [e for e in hist if e["type"].startswith("failover.")], hist
        # What a user sees of the whole fleet: the 19 ok and monitored, probed live.
        r = m.run("list", "all", "--json", timeout=120)
        assert r.returncode in (0, 3), r.stdout + r.stderr
        listed = {c["name"]: c for c in json.loads(r.stdout)["clusters"]}
        assert len(listed) == 1 + OTHERS
        for k in range(OTHERS):
            c = listed[f"c{k + 1:02d}"]
            assert c["verdict"] == "ok", c
            assert c["state"] == "monitoring", c
        assert listed["c00"]["master"] == new
    finally:
        d.stop()
        d.log.close()


def findings(doc):
    """{(host, check): finding} of a doctor --json document."""
    return {(h["host"], f["check"]): f for h in doc["hosts"] for f in h["findings"]}


def doctor(m, *args):
    r = m.run("doctor", "c1", "--json", *args, timeout=120)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return r.returncode, findings(json.loads(r.stdout))


def restart_with(lab, n, old, new):
    """Restarts lab host n's mariadbd with one line of its my.cnf changed."""
    path = os.path.join(LAB_DIR, f"h{n}", "my.cnf")
    text = open(path).read()
    assert old in text
    with open(path, "w") as f:
        f.write(text.replace(old, new))
    lab_cmd("kill-mysqld", n)
    lab_cmd("start-mysqld", n)


def slave_status(lab, n):
    """Lab host n's SHOW SLAVE STATUS row as a dict ({} when it has none)."""
    con = pymysql.connect(host=ip(n), user=lab.mha_user, password=lab.mha_password,
                          connect_timeout=5, cursorclass=pymysql.cursors.DictCursor)
    try:
        with con.cursor() as cur:
            cur.execute("SHOW SLAVE STATUS")
            return cur.fetchone() or {}
    finally:
        con.close()


def has_row(lab, n, row_id):
    """Whether labdb.t on lab host n holds row_id (False while the table has not arrived)."""
    r = lab_cmd("sql", n, f"SELECT id FROM labdb.t WHERE id = {int(row_id)}", check=False)
    return r.returncode == 0 and str(row_id) in r.stdout


def using_gtid(lab, n):
    return slave_status(lab, n).get("Using_Gtid")


def test_native_doctor_fix_then_start(fresh_gtid_lab, tmp_path):
    """A native cluster with fixable findings (a writable replica, a file/position replica)
    and one doctor cannot fix (log_slave_updates off, not dynamic): start refuses naming all
    of them and changes nothing; doctor lists them with their fixes; --fix fixes what it
    safely can; start then refuses only the rest; once the DBA fixed that, start succeeds."""
    lab = fresh_gtid_lab
    m = Mhaadm(lab, tmp_path, ssh_key=lab.env["LAB_SSH_KEY"],
               ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"], connect_timeout="2")
    m.ok("init")
    m.ok("add", "c1", "--master", ip(1), "--vip", f"{VIP}/24", "--engine", "native")
    lss_on, lss_off = "log_slave_updates       = 1", "log_slave_updates       = 0"
    restart_with(lab, 4, lss_on, lss_off)
    try:
        wait_for("h4 replicating again",
                 lambda: slave_status(lab, 4).get("Slave_SQL_Running") == "Yes", timeout=30)
        lab.sql(2, "SET GLOBAL read_only = 0")
        lab.sql(3, "STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID = no; START SLAVE")
        assert using_gtid(lab, 3) == "No"
        d = Daemon(m)
        d.start()
        try:
            r = m.run("start", "c1", timeout=60)
            assert r.returncode != 0, r.stdout
            for frag in (f"{ip(2)}:3306 is a replica but writable",
                         f"{ip(3)}:3306 replicates by file/position",
                         f"{ip(4)}:3306 has log_slave_updates off",
                         "log_slave_updates = 1 under [mariadbd]", "mhaadm doctor c1"):
                assert frag in r.stderr, r.stderr
            (c,) = m.clusters()
            assert c["desired"] == "stopped"
            # A refused start changed nothing on any node.
            assert lab.sql(2, "SELECT @@read_only").strip() == "0"
            assert using_gtid(lab, 3) == "No"

            rc, f = doctor(m)
            assert rc == 1
            assert not [h for h, _ in f if h == "manager"], "no MHA checks for a native cluster"
            assert f[(f"{ip(2)}:3306", "read-only")]["severity"] == "fail"
            assert f[(f"{ip(3)}:3306", "gtid")]["severity"] == "fail"
            assert "mhaadm doctor --fix" in f[(f"{ip(3)}:3306", "gtid")]["fix"]
            lsu = f[(f"{ip(4)}:3306", "log-slave-updates")]
            assert lsu["severity"] == "fail" and "log_slave_updates = 1" in lsu["fix"]
            assert f[(f"{ip(1)}:3306", "native")]["severity"] == "ok"
            assert using_gtid(lab, 3) == "No", "doctor without --fix changed h3"

            rc, f = doctor(m, "--fix")
            assert rc == 1  # log_slave_updates is left to the DBA
            ro = f[(f"{ip(2)}:3306", "read-only")]
            assert ro["severity"] == "ok" and "read_only = 1" in ro["changed"]
            gt = f[(f"{ip(3)}:3306", "gtid")]
            assert gt["severity"] == "ok" and gt["changed"].startswith("converted"), gt
            assert f[(f"{ip(4)}:3306", "log-slave-updates")]["severity"] == "fail"
            assert f[(f"{ip(4)}:3306", "log-slave-updates")]["changed"] is None
            # What --fix did, seen on the servers: h2 read-only, h3 on GTID and replicating
            # what the master writes.
            assert lab.sql(2, "SELECT @@read_only").strip() == "1"
            assert using_gtid(lab, 3) == "Slave_Pos"
            lab.sql(1, "CREATE TABLE IF NOT EXISTS labdb.t (id INT PRIMARY KEY, v VARCHAR(32)); "
                       "INSERT INTO labdb.t VALUES (424242, 'after-fix')")
            wait_for("h3 to replicate a new row over GTID",
                     lambda: has_row(lab, 3, 424242), timeout=30)
            assert lab.sql(4, "SELECT @@log_slave_updates").strip() == "0"

            r = m.run("start", "c1", timeout=60)
            assert r.returncode != 0
            assert f"{ip(4)}:3306 has log_slave_updates off" in r.stderr
            assert "writable" not in r.stderr and "file/position" not in r.stderr, r.stderr

            # The DBA's fix: the config line, a restart (which leaves h4 writable: the lab
            # sets read_only at runtime only); doctor --fix sets read_only again.
            restart_with(lab, 4, lss_off, lss_on)
            rc, f = doctor(m, "--fix")
            assert rc == 0, f
            assert f[(f"{ip(4)}:3306", "read-only")]["severity"] == "ok"
            r = m.run("start", "c1", timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr
            assert f"monitored by the native engine; master {ip(1)}:3306" in r.stdout
            (c,) = m.clusters()
            assert c["state"] == "monitoring"
        finally:
            d.stop()
            d.log.close()
    finally:
        path = os.path.join(LAB_DIR, "h4", "my.cnf")
        if os.path.exists(path) and lss_off in open(path).read():
            restart_with(lab, 4, lss_off, lss_on)
