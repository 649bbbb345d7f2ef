# SPDX-License-Identifier: GPL-2.0-or-later
"""The self-fence in the lab (isolation_guard off, self_fence on): start installs the agent on
the master over SSH; the master's link is cut while a writer inside its namespace writes through
the VIP it keeps and one on the manager's side writes too. Once self_fence_seconds have passed
the old master acknowledges nothing (sessions killed, read_only set, VIP gone from it), the MHA
engine fails over and the failover core starts the agent on the new master, and when the link heals the old master is still read-only and the VIP has
one holder. The late acknowledgements are printed."""
import json
import os
import stat
import subprocess
import threading
import time

from conftest import lab_cmd
from splitbrain import AckWriter, NetnsWriter, late_acks
from test_lifecycle import (NODES, VIP, events, finish_cluster, make_cluster, master_of,
                            vip_holders, wait_for)

MHAADM = os.environ.get("MHAADM_BIN", "build/mhaadm")
SECONDS = 3


def log_since(path, offset):
    """The agent's log (FILE.log, appended across runs) from offset on."""
    with open(path + ".log") as f:
        f.seek(offset)
        return f.read()


def log_size(path):
    return os.path.getsize(path + ".log") if os.path.exists(path + ".log") else 0


def list_c1(m):
    r = m.run("list", "c1", "--json")
    assert r.returncode in (0, 3), r.stdout + r.stderr
    (c,) = json.loads(r.stdout)["clusters"]
    return c


def agent_path(m, host="10.77.0.11", port=3306):
    workdir = m.keys.get("mha_remote_workdir", "/var/tmp/mhaadm")
    return f"{workdir}/self-fence.c1.{host}_{port}.cnf"


class ReadOnlyWatch(threading.Thread):
    """Samples h1's @@read_only over its unix socket (works while its link is cut) every
    0.2 s: seen holds (time, value); a 0 after a 1 would be the agent unfencing."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen, self.stop_evt = [], threading.Event()

    def run(self):
        while not self.stop_evt.is_set():
            r = lab_cmd("sql", 1, "SELECT @@read_only", check=False)
            if r.returncode == 0 and r.stdout.strip() in ("0", "1"):
                self.seen.append((time.time(), int(r.stdout.strip())))
            time.sleep(0.2)

    def stop(self):
        self.stop_evt.set()
        self.join(timeout=30)


def test_cut_off_master_fences_itself(fresh_lab, tmp_path):
    m = make_cluster(fresh_lab, tmp_path, probe_interval="1", isolation_guard="off",
                     self_fence="yes", self_fence_seconds=str(SECONDS))
    writers, watch, path, agent_paths = [], None, agent_path(m), {}
    offset = log_size(path)
    try:
        r = m.ok("start", "c1", timeout=180)
        assert "self-fence agent started on 10.77.0.11:3306" in r.stdout, r.stdout + r.stderr
        assert "selffence.started" in events(m)
        # The config: 0600, the password never as text in it, nor in the agent's argv,
        # environment or log.
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        pid = int(open(path + ".pid").read())
        secret = m.lab.mha_password.encode()
        assert secret not in open(path, "rb").read()
        assert secret not in open(f"/proc/{pid}/cmdline", "rb").read()
        assert secret not in open(f"/proc/{pid}/environ", "rb").read()
        s = subprocess.run([MHAADM, "self-fence", "--config", path, "--status"],
                           capture_output=True, text=True)
        assert s.returncode == 0 and f"running (pid {pid})" in s.stdout, s.stdout + s.stderr
        assert list_c1(m)["self_fence"] == {"wanted": True, "running": True}

        inside = NetnsWriter(m.lab, 1, VIP, 2_000_000, str(tmp_path / "inside.acks"))
        outside = AckWriter(m.lab, VIP, 1_000_000)
        outside.start()
        writers = [inside, outside]
        wait_for("acknowledged writes on both sides",
                 lambda: len(outside.acks) > 20 and len(inside.acks) > 20, timeout=60)
        watch = ReadOnlyWatch()
        watch.start()
        t_cut = time.time()
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "down"], check=True)
        # While still cut off: the old master demotes itself and drops the VIP.
        wait_for("the VIP gone from the cut-off master",
                 lambda: "10.77.0.11" not in vip_holders(), timeout=60)
        wait_for("the cut-off master read-only",
                 lambda: m.lab.sql(1, "SELECT @@read_only").strip() == "1",
                 timeout=30)
        new = wait_for("a new master", lambda: master_of(m) if master_of(m) !=
                       "10.77.0.11:3306" else None, timeout=120)
        new_sid = NODES.index(new.split(":")[0]) + 1
        wait_for("the new master taking writes",
                 lambda: any(sid == new_sid for (_, sid, _) in outside.acks), timeout=60)
        # The failover core moved the agent: it runs on the new master now.
        new_path = agent_paths.setdefault("new", agent_path(m, new.split(":")[0]))
        wait_for("the agent on the new master", lambda: subprocess.run(
            [MHAADM, "self-fence", "--config", new_path, "--status"],
            capture_output=True).returncode == 0, timeout=60)
        assert stat.S_IMODE(os.stat(new_path).st_mode) == 0o600
        time.sleep(5)  # the old master's side keeps trying meanwhile
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=True)
        time.sleep(5)  # the agent sees its peers again: it must not unfence
        assert m.lab.sql(1, "SELECT @@read_only").strip() == "1"
        wait_for("one VIP holder, the new master",
                 lambda: vip_holders() == [new.split(":")[0]], timeout=60)
        for w in writers:
            w.stop()
        watch.stop()

        t_new, late = late_acks(writers, 1, new_sid)
        old_after_cut = sorted(a for w in writers for a in w.acks
                               if a[1] == 1 and a[2] > t_cut)
        last = old_after_cut[-1][2] - t_cut if old_after_cut else 0.0
        print(f"self_fence_seconds={SECONDS}: {len(old_after_cut)} writes acknowledged by the "
              f"cut-off old master after the cut, the last {last:.2f} s after it; "
              f"{len(late)} after the new master took writes ({t_new - t_cut:.2f} s after "
              f"the cut)")
        assert late == [], late[:5]
        # The agent probes every 0.5 s with 0.5 s connects: it fences within a round or two
        # of self_fence_seconds; 3 s of slack keeps a loaded machine from failing this.
        assert last < SECONDS + 3, (last, old_after_cut[-5:])
        fenced = [t for (t, v) in watch.seen if v == 1]
        assert fenced, watch.seen[:5]
        unfenced = [(t, v) for (t, v) in watch.seen if v == 0 and t > fenced[0]]
        assert unfenced == [], unfenced[:5]
        log = log_since(path, offset)
        assert "fencing this server" in log and "removed VIP 10.77.0.100/24" in log, log
        assert "set read_only=1 and killed" in log, log
        assert m.lab.mha_password not in log

        # list: the agent runs on the new master; stopped there, it is a finding.
        assert list_c1(m)["self_fence"] == {"wanted": True, "running": True}
        subprocess.run([MHAADM, "self-fence", "--config", new_path, "--stop"], check=True)
        c = list_c1(m)
        assert c["self_fence"] == {"wanted": True, "running": False}, c["self_fence"]
        kinds = [f["kind"] for f in c["findings"]]
        assert "selffence.not_running" in kinds, kinds
    finally:
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=False)
        for w in writers:
            try:
                w.stop()
            except Exception:
                pass
        if watch is not None:
            watch.stop()
        # Every host's agent: one left running would fence a master of a later test.
        for host in NODES:
            subprocess.run([MHAADM, "self-fence", "--config", agent_path(m, host), "--stop"],
                           check=False)
        finish_cluster(m)


def test_bad_agent_config_is_refused(tmp_path):
    """A group-readable config is refused, and --install with a bad config writes nothing."""
    cnf = tmp_path / "a.cnf"
    cnf.write_text("[self-fence]\ncluster = c1\nnode = 10.77.0.11:3306\nuser = u\n"
                   "password_hex = 7365637265745f7077\nmanager = 10.77.0.1:22\n")
    os.chmod(cnf, 0o640)
    r = subprocess.run([MHAADM, "self-fence", "--config", str(cnf)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr
    target = tmp_path / "b.cnf"
    r = subprocess.run([MHAADM, "self-fence", "--config", str(target), "--install"],
                       input="[self-fence]\ncluster = c1\nseconds = 0\n", capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "nothing written" in r.stderr, r.stderr
    assert not target.exists()


def test_manager_only_partition_never_fences(fresh_lab, tmp_path):
    """The manager loses the master (a blackhole route on the manager host) while the master
    still reaches its replicas: the agent loses the manager only and never fences; the master
    stays writable with the VIP, and nothing fails over."""
    m = make_cluster(fresh_lab, tmp_path, probe_interval="1", isolation_guard="off",
                     self_fence="yes", self_fence_seconds=str(SECONDS))
    path, routed = agent_path(m), False
    offset = log_size(path)
    try:
        r = m.ok("start", "c1", timeout=180)
        assert "self-fence agent started on 10.77.0.11:3306" in r.stdout, r.stdout + r.stderr
        subprocess.run(["ip", "route", "add", "blackhole", "10.77.0.11/32"], check=True)
        routed = True
        wait_for("the agent losing the manager",
                 lambda: "manager lost" in log_since(path, offset), timeout=30)
        time.sleep(SECONDS + 5)
        log = log_since(path, offset)
        assert "fencing this server" not in log, log
        assert m.lab.sql(1, "SELECT @@read_only").strip() == "0"
        assert vip_holders() == ["10.77.0.11"]
        # Inside the master's namespace, through the VIP: writes still work.
        w = NetnsWriter(m.lab, 1, VIP, 3_000_000, str(tmp_path / "inside.acks"))
        wait_for("a write through the VIP on the master", lambda: len(w.acks) > 5, timeout=30)
        w.stop()
        assert master_of(m) == "10.77.0.11:3306"
    finally:
        if routed:
            subprocess.run(["ip", "route", "del", "blackhole", "10.77.0.11/32"], check=False)
        for host in NODES:
            subprocess.run([MHAADM, "self-fence", "--config", agent_path(m, host), "--stop"],
                           check=False)
        finish_cluster(m)
