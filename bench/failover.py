#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/failover.py - failover RTO/RPO in the lab, mhaadm vs plain masterha_manager.

For each run: a fresh lab (lab/lab.sh up --hosts 3), the cluster put under MHA either by mhaadm
(daemon + start, as tests/integration/test_lifecycle.py does) or by hand (plain MHA: a
hand-written app config, bench/plain_vip.sh, masterha_manager run directly), a writer through
the VIP that records every acknowledged INSERT, a fault at T0 (kill -9 of h1's mariadbd, or h1's
link cut on the bridge side), and these measurements, all in seconds after T0:

  detect      MHA's "Master is not reachable from health checker!" (seen in its log)
  down        MHA's "Master is down!"
  vip_up      the VIP on the new master (ip -o -4 addr inside the host's namespace, 50 ms poll)
  first_write the first INSERT acknowledged through the VIP by a server other than h1
  complete    MHA's "Master failover to ... completed successfully."
  reprotected mhaadm: PING_OK of a new masterha_manager on the new topology; plain: never
  lost        acknowledged ids missing on the new master afterwards

"Seen" times come from tailing the log every 50 ms (sub-second); MHA stamps its lines with
local time at 1 s resolution, and those stamps are kept too (the *_mha metrics).

Mode native: the cluster (lab up --gtid) under mhaadm's own engine (add --engine native, daemon +
start); its markers come from the daemon's log (the native engine writes there), "complete" is
its failover.completed event and "reprotected" its cluster.reprotected event.

Usage: /usr/bin/python3 bench/failover.py [--runs N] [--first-run N] [--fault kill|linkcut]
       [--modes native,mhaadm,plain] [--tag TAG]
A series split over several invocations (the shared lab): --first-run continues its numbering
and alternation, bench/merge.py joins the invocations' results into one summary.
Root only; owns the lab while it runs and leaves it down.
"""
import argparse
import calendar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

import pymysql

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LAB = os.path.join(ROOT, "lab", "lab.sh")
LAB_DIR = os.environ.get("MHAADM_LAB_DIR", "/var/tmp/mhaadm-lab")
BIN = os.environ.get("MHAADM_BIN", "/tmp/benchbuild/mhaadm")
PLAIN_VIP = os.path.join(ROOT, "bench", "plain_vip.sh")
RESULTS = os.path.join(ROOT, "bench", "results")
WORK = os.environ.get("BENCH_WORK", "/tmp/mhaadm-bench")
VIP = "10.77.0.100"
NODES = ["10.77.0.11", "10.77.0.12", "10.77.0.13"]
VETH1 = "mhaadm-v1"  # bridge-side veth of h1 (lab.sh: VETH_PFX + host number)

# Writer parameters (identical in both modes).
W_CONNECT_TIMEOUT = 0.5
W_RW_TIMEOUT = 1
W_PAUSE = 0.005       # between two INSERTs
W_ERR_PAUSE = 0.05    # after an error, before reconnecting
W_LIMIT = 200000
W_MAX_SECONDS = 240

# Log markers, in the order they happen. (name, regex)
MARKERS = [
    ("ping_error", r"Got error on MySQL (select |connect |insert )?ping"),
    ("detect", r"Master is not reachable from health checker!"),
    ("down", r"Master is down!"),
    ("failover_start", r"Starting master failover\.$"),
    ("phase1", r"\* Phase 1: Configuration Check Phase\.\."),
    ("phase2", r"\* Phase 2: Dead Master Shutdown Phase\.\."),
    ("ip_deactivate", r"Executing master IP deactivation script"),
    ("hook_failover_started", r"event cluster=\S+ failover\.started"),
    ("hook_vip_removed", r"event cluster=\S+ vip\.(removed|remove_failed)"),
    ("plain_stop", r"plain_vip\.sh: \S+ command=stop"),
    ("phase2_done", r"\* Phase 2: Dead Master Shutdown Phase completed"),
    ("phase3", r"\* Phase 3: Master Recovery Phase\.\."),
    ("phase3_2_save_binlog", r"\* Phase 3\.2: Saving Dead Master's Binlog Phase\.\."),
    ("phase3_3_new_master", r"\* Phase 3\.3: Determining New Master Phase\.\."),
    ("phase3_3_recovery", r"\* Phase 3\.3: New Master Recovery Phase\.\."),
    ("ip_activate", r"Executing master IP activate script"),
    ("hook_vip_moved", r"event cluster=\S+ vip\.(moved|failed)"),
    ("hook_registry", r"mhaadm hook: cluster=\S+ registry (updated|update)"),
    ("plain_start", r"plain_vip\.sh: \S+ command=start"),
    ("plain_start_done", r"plain_vip\.sh: \S+ start rc="),
    ("master_recovered", r"\*\* Finished master recovery successfully\."),
    ("phase4", r"\* Phase 4: Slaves Recovery Phase\.\."),
    ("phase5", r"\* Phase 5: New master cleanup phase\.\."),
    ("complete", r"Master failover to .* completed successfully\."),
    ("hook_report", r"event cluster=\S+ failover\.(completed|failed)"),
]
# Daemon log markers (mhaadm only).
DAEMON_MARKERS = [
    ("d_engine_exited", r"event cluster=\S+ engine\.exited"),
    ("d_engine_started", r"event cluster=\S+ engine\.started"),
    ("d_reprotected", r"event cluster=\S+ cluster\.reprotected"),
]
# The native engine's lines (daemon log): (name, regex)
NATIVE_MARKERS = [
    ("ping_error", r"cluster=\S+ node=\S+ master (?!dead)"),
    ("detect", r"cluster=\S+ node=\S+ master dead: "),
    ("hook_failover_started", r"event cluster=\S+ failover\.started"),
    ("hook_vip_removed", r"event cluster=\S+ vip\.(removed|remove_failed)"),
    ("hook_vip_moved", r"event cluster=\S+ vip\.(moved|failed)"),
    ("hook_registry", r"event cluster=\S+ failover\.master_changed"),
    ("complete", r"event cluster=\S+ failover\.completed"),
    ("d_reprotected", r"event cluster=\S+ cluster\.reprotected"),
]
MODES = ("native", "mhaadm", "plain")
MHA_STAMP = re.compile(r"^(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}) - ")


def now():
    return time.time()


def sh(args, timeout=120, check=False, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{args}: rc={r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def lab(*args, timeout=120, check=True):
    return sh([LAB, *map(str, args)], timeout=timeout, check=check)


def read_lab_env():
    env = {}
    with open(os.path.join(LAB_DIR, "env")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            env[k] = v.strip("'\"")
    return env


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def wait_for(what, cond, timeout, interval=0.05):
    deadline = now() + timeout
    while now() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


# ------------------------------------------------------------------ watchers

class LogWatcher(threading.Thread):
    """Tails files every 50 ms; records when each marker's first line appeared (wall clock)
    and, for MHA lines, MHA's own 1 s local-time stamp."""

    def __init__(self, files_markers, t_from):
        super().__init__(daemon=True)
        self.files = [(path, [(n, re.compile(rx)) for n, rx in markers], 0)
                      for path, markers in files_markers]
        self.seen = {}       # name -> wall time first seen
        self.mha_stamp = {}  # name -> epoch of MHA's stamp (1 s)
        self.lines = {}      # name -> line
        self.stop_evt = threading.Event()
        self.t_from = t_from

    def arm(self):
        """Forget what was seen before the fault: only lines appended from now on count."""
        files = []
        for path, markers, _ in self.files:
            try:
                off = os.path.getsize(path)
            except OSError:
                off = 0
            files.append((path, markers, off))
        self.files = files

    def poll_once(self):
        files = []
        for path, markers, off in self.files:
            try:
                if os.path.getsize(path) < off:
                    off = 0  # truncated or replaced
                with open(path, "rb") as f:
                    f.seek(off)
                    data = f.read()
            except OSError:
                files.append((path, markers, off))
                continue
            t = now()
            cut = data.rfind(b"\n")
            if cut < 0:
                files.append((path, markers, off))
                continue
            for raw in data[:cut].split(b"\n"):
                line = raw.decode("utf-8", "replace")
                for name, rx in markers:
                    if name not in self.seen and rx.search(line):
                        self.seen[name] = t
                        self.lines[name] = line
                        m = MHA_STAMP.match(line)
                        if m:
                            self.mha_stamp[name] = time.mktime(
                                time.strptime(m.group(1), "%a %b %d %H:%M:%S %Y"))
            files.append((path, markers, off + cut + 1))
        self.files = files

    def run(self):
        while not self.stop_evt.is_set():
            self.poll_once()
            time.sleep(0.05)
        self.poll_once()


class VipWatcher(threading.Thread):
    """Polls every host's addresses every 50 ms (ip -n NS = ip netns exec NS ip)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.first = {}  # host number -> first time seen holding the VIP
        self.gone1 = None  # first time h1 no longer holds it
        self.stop_evt = threading.Event()

    def holders(self):
        held = []
        for i in (1, 2, 3):
            r = subprocess.run(["ip", "-n", f"mhaadm-h{i}", "-o", "-4", "addr"],
                               capture_output=True, text=True, timeout=5)
            if f" {VIP}/" in r.stdout:
                held.append(i)
        return held

    def run(self):
        while not self.stop_evt.is_set():
            t = now()
            try:
                h = self.holders()
            except Exception:
                h = []
            for i in h:
                self.first.setdefault(i, t)
            if 1 not in h and self.gone1 is None:
                self.gone1 = t
            time.sleep(0.05)


class HealthWatcher(threading.Thread):
    """Polls MHA's health file every 50 ms; records the first PING_OK of another MHA pid."""

    def __init__(self, path, old_pid):
        super().__init__(daemon=True)
        self.path, self.old_pid = path, old_pid
        self.ping_ok = None
        self.new_pid = None
        self.stop_evt = threading.Event()

    def run(self):
        while not self.stop_evt.is_set() and self.ping_ok is None:
            h = read_health(self.path)
            if h and h[1] == 0 and h[0] != self.old_pid:
                self.ping_ok, self.new_pid = now(), h[0]
            time.sleep(0.05)


def read_health(path):
    """(pid, code) from MHA's health file, or None."""
    try:
        with open(path) as f:
            parts = f.read().split("\t")
        return int(parts[0]), int(parts[1].split(":")[0])
    except (OSError, ValueError, IndexError):
        return None


class Writer(threading.Thread):
    """One INSERT per id through the VIP, autocommit; records (id, ack time, server_id)."""

    def __init__(self, env):
        super().__init__(daemon=True)
        self.env = env
        self.acks = []
        self.errors = 0
        self.stop_evt = threading.Event()

    def connect(self):
        con = pymysql.connect(host=VIP, user=self.env["LAB_APP_USER"],
                              password=self.env["LAB_APP_PASSWORD"], database="labdb",
                              connect_timeout=W_CONNECT_TIMEOUT, read_timeout=W_RW_TIMEOUT,
                              write_timeout=W_RW_TIMEOUT, autocommit=True)
        with con.cursor() as cur:
            cur.execute("SELECT @@server_id")
            sid = cur.fetchone()[0]
        return con, sid

    def run(self):
        con, sid, i = None, None, 0
        deadline = now() + W_MAX_SECONDS
        while not self.stop_evt.is_set() and i < W_LIMIT and now() < deadline:
            try:
                if con is None:
                    con, sid = self.connect()
                i += 1
                with con.cursor() as cur:
                    cur.execute("INSERT INTO t (id, v) VALUES (%s, 'x')", (i,))
                self.acks.append((i, now(), sid))
                time.sleep(W_PAUSE)
            except Exception:
                self.errors += 1
                try:
                    if con:
                        con.close()
                except Exception:
                    pass
                con = None
                time.sleep(W_ERR_PAUSE)
        if con:
            try:
                con.close()
            except Exception:
                pass


# ------------------------------------------------------------------ the two setups

class MhaadmSetup:
    mode = "mhaadm"

    def __init__(self, env, rundir):
        self.env, self.dir = env, rundir
        self.config = os.path.join(rundir, "mhaadm.cnf")
        self.keys = {
            "ha_user": env["LAB_MHA_USER"], "ha_password": env["LAB_MHA_PASSWORD"],
            "repl_user": env["LAB_REPL_USER"], "repl_password": env["LAB_REPL_PASSWORD"],
            "registry_path": os.path.join(rundir, "registry.db"),
            "workdir": os.path.join(rundir, "work"), "log_dir": os.path.join(rundir, "log"),
            "connect_timeout": "2", "read_timeout": "5",
            "ssh_key": env["LAB_SSH_KEY"], "ssh_known_hosts": env["LAB_KNOWN_HOSTS"],
            "failover_window": "0",
            # Plain MHA has no semi-sync: compared with it, mhaadm runs without the isolation
            # guard too. The guard's own price is bench/guard.py's.
            "isolation_guard": "off",
        }
        self.daemon = None
        self.daemon_log = os.path.join(rundir, "daemon.log")
        self.manager_log = os.path.join(rundir, "log", "c1", "manager.log")
        self.health = os.path.join(rundir, "work", "mha", "c1", "c1.master_status.health")

    def run(self, *args, timeout=120):
        env = dict(os.environ)
        env.pop("MHAADM_CONFIG", None)
        r = subprocess.run([BIN, "-c", self.config, *map(str, args)], capture_output=True,
                           text=True, timeout=timeout, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"mhaadm {args}: rc={r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def write_config(self):
        with open(self.config, "w") as f:
            f.write("# written by bench/failover.py\n[mhaadm]\n")
            for k, v in self.keys.items():
                f.write(f"{k} = {v}\n")
        os.chmod(self.config, 0o600)

    def register(self, *add_args):
        """The config, a new registry and cluster c1 in it (add_args: what the mode adds)."""
        self.write_config()
        self.run("init")
        self.run("add", "c1", "--master", NODES[0], "--vip", f"{VIP}/24", *add_args)

    def start_daemon(self):
        logf = open(self.daemon_log, "ab")
        self.daemon = subprocess.Popen([BIN, "-c", self.config, "daemon"], stdout=logf,
                                       stderr=logf, start_new_session=True)
        logf.close()
        wait_for("the daemon", lambda: self.daemon.poll() is not None or
                 f"mhaadm daemon: started (pid {self.daemon.pid}" in open(self.daemon_log).read(),
                 timeout=30)
        if self.daemon.poll() is not None:
            raise RuntimeError("daemon exited:\n" + open(self.daemon_log).read())

    def stop_daemon(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.daemon.pid, signal.SIGKILL)
                self.daemon.wait(timeout=10)

    def setup(self):
        self.register()
        self.run("doctor", "c1", "--fix", timeout=300)
        self.start_daemon()
        t = now()
        self.run("start", "c1", timeout=180)
        wait_for("PING_OK", lambda: (read_health(self.health) or (0, -1))[1] == 0, timeout=60)
        return now() - t

    def events(self):
        r = self.run("history", "c1", "--json")
        return json.loads(r.stdout)["events"]

    def teardown(self):
        self.stop_daemon()
        # Engines outlive the daemon by design: end the ones this run started.
        pidfile = os.path.join(self.dir, "work", "mha", "c1", "engine.pid")
        try:
            os.killpg(int(open(pidfile).read().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass


class NativeSetup(MhaadmSetup):
    """mhaadm's own engine: one engine-native process beside the daemon, no MHA."""
    mode = "native"

    def __init__(self, env, rundir):
        super().__init__(env, rundir)
        self.manager_log = self.daemon_log  # the native engine logs into the daemon's log
        self.health = None

    def setup(self):
        self.register("--engine", "native")
        self.start_daemon()
        t = now()
        self.run("start", "c1", timeout=60)  # returns when the engine reports "monitoring"
        return now() - t

    def teardown(self):
        # The native engine is the daemon's child with a death signal: it ends with it.
        self.stop_daemon()


class PlainSetup:
    mode = "plain"

    def __init__(self, env, rundir):
        self.env, self.dir = env, rundir
        self.workdir = os.path.join(rundir, "mha")
        self.conf = os.path.join(rundir, "app.cnf")
        self.manager_log = os.path.join(rundir, "manager.log")
        self.health = os.path.join(self.workdir, "app.master_status.health")
        self.remote_workdir = "/var/tmp/mha-plain-bench/" + os.path.basename(rundir)
        self.proc = None

    def setup(self):
        e = self.env
        os.makedirs(self.workdir, exist_ok=True)
        # Plain MHA 0.58 cannot work on MariaDB 10.11 + perl 5.36 without the patches
        # `mhaadm doctor --fix` applies (LAB-NOTES: sprintf, super_read_only): every mode gets
        # them from the same command before its own setup, so neither depends on which mode ran
        # first, and `--modes plain` works on a fresh host. Not part of any measured time.
        patcher = MhaadmSetup(e, os.path.join(self.dir, "doctor"))
        os.makedirs(patcher.dir, exist_ok=True)
        patcher.register()
        patcher.run("doctor", "c1", "--fix", timeout=300)
        binlog_dirs = []
        for n in (1, 2, 3):
            base = lab("sql", n, "SELECT @@log_bin_basename").stdout.strip()
            binlog_dirs.append(os.path.dirname(base))
        ssh_opts = (f"-i {e['LAB_SSH_KEY']} -o IdentitiesOnly=yes "
                    f"-o UserKnownHostsFile={e['LAB_KNOWN_HOSTS']}")
        script = (f"{PLAIN_VIP} --vip={VIP}/24 --iface=eth0 --ssh_key={e['LAB_SSH_KEY']} "
                  f"--known_hosts={e['LAB_KNOWN_HOSTS']}")
        lines = ["# hand-written MHA app config of the plain-MHA baseline (bench/failover.py)",
                 "[server default]",
                 f"manager_workdir={self.workdir}", f"manager_log={self.manager_log}",
                 f"remote_workdir={self.remote_workdir}",
                 "ping_interval=1",
                 f"user={e['LAB_MHA_USER']}", f"password={e['LAB_MHA_PASSWORD']}",
                 f"repl_user={e['LAB_REPL_USER']}", f"repl_password={e['LAB_REPL_PASSWORD']}",
                 "ssh_user=root", f"ssh_options={ssh_opts}",
                 f"master_ip_failover_script={script}", ""]
        for n, ip in enumerate(NODES, 1):
            lines += [f"[server{n}]", f"hostname={ip}", "port=3306",
                      f"master_binlog_dir={binlog_dirs[n - 1]}", ""]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines))
        os.chmod(self.conf, 0o600)
        # The VIP on the master by hand, with a gratuitous ARP.
        sh(["ip", "netns", "exec", "mhaadm-h1", "ip", "addr", "add", f"{VIP}/24", "dev", "eth0"],
           check=True)
        sh(["ip", "netns", "exec", "mhaadm-h1", "timeout", "5", "arping", "-U", "-c", "1",
            "-i", "eth0", "-S", VIP, VIP], timeout=10)
        t = now()
        out = open(os.path.join(self.dir, "masterha_manager.out"), "ab")
        self.proc = subprocess.Popen(["masterha_manager", f"--conf={self.conf}"], stdout=out,
                                     stderr=out, start_new_session=True)
        out.close()
        wait_for("PING_OK", lambda: self.proc.poll() is not None or
                 (read_health(self.health) or (0, -1))[1] == 0, timeout=90)
        if self.proc.poll() is not None:
            raise RuntimeError("masterha_manager exited:\n" + open(self.manager_log).read()[-3000:])
        return now() - t

    def teardown(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(timeout=10)
        shutil.rmtree(self.remote_workdir, ignore_errors=True)


# ------------------------------------------------------------------ one run

def ids_on(env, host):
    con = pymysql.connect(host=host, user=env["LAB_MHA_USER"], password=env["LAB_MHA_PASSWORD"],
                          database="labdb", connect_timeout=5, read_timeout=30)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT id FROM t")
            return {r[0] for r in cur.fetchall()}
    finally:
        con.close()


def redact(text, env):
    for k in ("LAB_MHA_PASSWORD", "LAB_REPL_PASSWORD", "LAB_APP_PASSWORD"):
        if env.get(k):
            text = text.replace(env[k], "<" + k.lower() + ">")
    return text


def one_run(mode, fault, idx, outdir):
    name = f"{fault}-{mode}-{idx}"
    rundir = os.path.join(WORK, name)
    shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    log(f"run {name}: lab up")
    t = now()
    lab("up", "--hosts", 3, *(["--gtid"] if mode == "native" else []), timeout=300)
    lab_up_s = now() - t
    env = read_lab_env()
    lab("sql", 1, "CREATE TABLE labdb.t (id INT PRIMARY KEY, v VARCHAR(32))")
    setup = {"mhaadm": MhaadmSetup, "native": NativeSetup, "plain": PlainSetup}[mode](env, rundir)
    res = {"mode": mode, "fault": fault, "run": idx, "lab_up_s": round(lab_up_s, 2)}
    writer = vipw = logw = healthw = None
    link_cut = False
    try:
        log(f"run {name}: setup")
        res["setup_to_ping_ok_s"] = round(setup.setup(), 2)
        old_pid = (read_health(setup.health) or (None,))[0] if setup.health else None
        # one ssh round trip manager -> replica (a new connection, as MHA and the hooks make)
        rtts = []
        for _ in range(5):
            t = now()
            sh(["ssh", "-n", "-i", env["LAB_SSH_KEY"], "-o", "IdentitiesOnly=yes", "-o",
                f"UserKnownHostsFile={env['LAB_KNOWN_HOSTS']}", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", f"root@{NODES[1]}", "true"],
               timeout=15, check=True)
            rtts.append(now() - t)
        res["ssh_rtt_s"] = round(statistics.median(rtts), 3)
        files = [(setup.manager_log, NATIVE_MARKERS if mode == "native" else MARKERS)]
        if mode == "mhaadm":
            files.append((setup.daemon_log, DAEMON_MARKERS))
        logw = LogWatcher(files, 0)
        logw.arm()
        vipw = VipWatcher()
        healthw = HealthWatcher(setup.health, old_pid) if setup.health else None
        writer = Writer(env)
        writer.start()
        wait_for("300 acknowledged writes", lambda: len(writer.acks) >= 300, timeout=30)
        time.sleep(1)
        logw.start()
        vipw.start()
        if healthw:
            healthw.start()
        time.sleep(0.3)
        log(f"run {name}: fault {fault}")
        t0 = now()
        if fault == "kill":
            lab("kill-mysqld", 1, timeout=30)
        else:
            sh(["ip", "link", "set", VETH1, "down"], check=True)
            link_cut = True
        res["fault_cmd_s"] = round(now() - t0, 3)
        wait_for("failover complete in the engine's log", lambda: "complete" in logw.seen,
                 timeout=120, interval=0.1)
        new = sorted((t, i) for i, t in vipw.first.items() if i != 1)
        new_host = NODES[new[0][1] - 1] if new else None
        new_sid = new[0][1] if new else None
        wait_for("20 writes acknowledged by the new master",
                 lambda: sum(1 for a in writer.acks if a[1] > t0 and a[2] != 1) >= 20, timeout=60)
        if mode == "native":
            try:
                wait_for("cluster.reprotected in the daemon log",
                         lambda: "d_reprotected" in logw.seen, timeout=30, interval=0.1)
            except TimeoutError as e:
                res["error_reprotect"] = str(e)
        elif mode == "mhaadm":
            try:
                wait_for("re-protection (PING_OK of a new MHA)", lambda: healthw.ping_ok,
                         timeout=90, interval=0.1)
                wait_for("cluster.reprotected in the daemon log",
                         lambda: "d_reprotected" in logw.seen, timeout=15, interval=0.1)
            except TimeoutError as e:
                res["error_reprotect"] = str(e)
        else:
            # plain MHA exits after the failover: nothing monitors the new topology.
            wait_for("masterha_manager to exit", lambda: setup.proc.poll() is not None,
                     timeout=30, interval=0.1)
            res["mha_exit_status"] = setup.proc.returncode
            time.sleep(1)
            res["health_after"] = read_health(setup.health)
        writer.stop_evt.set()
        writer.join(timeout=30)
        logw.stop_evt.set()
        logw.join(timeout=5)
        vipw.stop_evt.set()
        vipw.join(timeout=5)
        if healthw:
            healthw.stop_evt.set()

        # ---- metrics
        def rel(t):
            return None if t is None else round(t - t0, 3)

        seen = {k: rel(v) for k, v in logw.seen.items()}
        stamps = {k: rel(v) for k, v in logw.mha_stamp.items()}
        res["new_master"] = new_host
        res["timeline_seen"] = dict(sorted(seen.items(), key=lambda kv: kv[1]))
        res["timeline_mha_stamp"] = dict(sorted(stamps.items(), key=lambda kv: kv[1]))
        res["detect"] = seen.get("detect")
        res["detect_mha"] = stamps.get("detect")
        res["down"] = seen.get("down")
        res["down_mha"] = stamps.get("down")
        res["vip_up"] = rel(vipw.first.get(new_sid)) if new_sid else None
        res["vip_gone_from_h1"] = rel(vipw.gone1)
        after = [a for a in writer.acks if a[1] > t0]
        firstnew = next((a for a in after if a[2] != 1), None)
        res["first_write"] = rel(firstnew[1]) if firstnew else None
        before = [a for a in writer.acks if a[1] <= t0]
        res["last_write_before"] = rel(before[-1][1]) if before else None
        res["acks_old_after_t0"] = sum(1 for a in after if a[2] == 1)
        res["complete"] = seen.get("complete")
        res["complete_mha"] = stamps.get("complete")
        if mode == "native":
            res["reprotected"] = seen.get("d_reprotected")
            res["reprotected_after_complete"] = (
                round(logw.seen["d_reprotected"] - logw.seen["complete"], 3)
                if "d_reprotected" in logw.seen and "complete" in logw.seen else None)
            evs = setup.events()
            res["events"] = [(e["at"], e["type"], e["message"]) for e in reversed(evs)]
        elif mode == "mhaadm":
            res["reprotected"] = rel(healthw.ping_ok)
            res["reprotected_after_complete"] = (
                round(healthw.ping_ok - logw.seen["complete"], 3)
                if healthw.ping_ok and "complete" in logw.seen else None)
            evs = setup.events()
            res["events"] = [(e["at"], e["type"], e["message"]) for e in reversed(evs)]
            rp = [e for e in evs if e["type"] == "cluster.reprotected"]
            if rp:
                at = calendar.timegm(time.strptime(rp[-1]["at"], "%Y-%m-%d %H:%M:%S"))
                res["reprotected_event"] = round(at - t0, 3)
        else:
            res["reprotected"] = None  # never
        res["acked"] = len(writer.acks)
        res["writer_errors"] = writer.errors
        if new_host:
            have = ids_on(env, new_host)
            missing = sorted(a[0] for a in writer.acks if a[0] not in have)
            res["lost"] = len(missing)
            res["lost_ids"] = missing[:50]
        else:
            res["lost"] = None
        log(f"run {name}: detect {res['detect']} vip {res['vip_up']} first_write "
            f"{res['first_write']} complete {res['complete']} reprotected {res['reprotected']} "
            f"lost {res['lost']} (acked {res['acked']})")
    except Exception as e:  # a failed run is recorded, not fatal
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"run {name}: FAILED: {res['error']}")
    finally:
        for w in (writer, logw, vipw, healthw):
            if w is not None:
                w.stop_evt.set()
        try:
            setup.teardown()
        except Exception as e:
            res.setdefault("teardown_error", str(e))
        if link_cut:
            sh(["ip", "link", "set", VETH1, "up"], check=False)
        # keep the logs that tell where the time went (passwords redacted)
        logs = os.path.join(outdir, "logs", name)
        os.makedirs(logs, exist_ok=True)
        for src in [getattr(setup, "manager_log", None), getattr(setup, "daemon_log", None),
                    os.path.join(rundir, "log", "c1", "engine.log")]:
            if src and os.path.exists(src):
                with open(src, errors="replace") as f:
                    text = redact(f.read(), env)
                with open(os.path.join(logs, os.path.basename(src)), "w") as f:
                    f.write(text)
    return res


# ------------------------------------------------------------------ summary

METRICS = ["detect", "detect_mha", "down", "vip_up", "first_write", "complete", "complete_mha",
           "reprotected", "reprotected_after_complete", "lost", "ssh_rtt_s", "setup_to_ping_ok_s"]


def summarize(results):
    out = {}
    for fault in sorted({r["fault"] for r in results}):
        for mode in MODES:
            rs = [r for r in results if r["fault"] == fault and r["mode"] == mode]
            if not rs:
                continue
            # A run that failed or timed out (re-protection included) is counted here and
            # shown beside the medians; its metrics stay out of them.
            failed = [r for r in rs if "error" in r or "error_reprotect" in r]
            s = {"runs": len(rs), "failed_runs": len(failed)}
            rs = [r for r in rs if r not in failed]
            for m in METRICS:
                vals = [r[m] for r in rs if r.get(m) is not None]
                if vals:
                    s[m] = {"median": round(statistics.median(vals), 3), "min": min(vals),
                            "max": max(vals), "n": len(vals)}
            out[f"{fault}/{mode}"] = s
        b = out.get(f"{fault}/plain", {})
        for mode in ("mhaadm", "native"):
            a = out.get(f"{fault}/{mode}", {})
            if "first_write" in a and "first_write" in b and b["first_write"]["median"]:
                out[f"{fault}/ratio_first_write_{mode}_over_plain"] = round(
                    a["first_write"]["median"] / b["first_write"]["median"], 3)
    return out


def fmt(v):
    return "-" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))


def markdown(results, summary):
    lines = []
    for fault in sorted({r["fault"] for r in results}):
        lines.append(f"### Fault: {fault}\n")
        lines.append("Per run (seconds after T0; `*_mha` = MHA's own 1 s local-time stamp):\n")
        cols = ["mode", "run", "detect", "detect_mha", "down", "vip_up", "first_write",
                "complete", "reprotected", "reprotected_after_complete", "lost", "acked"]
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for r in results:
            if r["fault"] != fault:
                continue
            row = [fmt(r.get(c)) if c not in ("reprotected", "reprotected_after_complete") or
                   r["mode"] != "plain" else "never" for c in cols]
            if "error" in r:
                row[-1] += f" (FAILED: {r['error'][:80]})"
            elif "error_reprotect" in r:
                row[-1] += f" (RE-PROTECTION TIMED OUT: {r['error_reprotect'][:60]})"
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        counts = []
        for mode in MODES:
            s = summary.get(f"{fault}/{mode}")
            if s:
                counts.append(f"{mode}: {s['runs']} runs, {s['failed_runs']} failed or timed out")
        lines.append("Runs: " + "; ".join(counts) + " (failed runs are left out of the medians)\n")
        lines.append("Summary, median (min–max) over the runs that completed:\n")
        lines.append("| metric | native | mhaadm | plain MHA |")
        lines.append("|---|---|---|---|")
        for m in METRICS:
            cells = []
            for mode in MODES:
                s = summary.get(f"{fault}/{mode}", {}).get(m)
                if s:
                    cells.append(f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"
                                 if m != "lost" else f"{s['median']:g} ({s['min']}–{s['max']})")
                elif mode == "plain" and m.startswith("reprotected"):
                    cells.append("never (MHA exits)")
                else:
                    cells.append("-")
            lines.append(f"| {m} | {cells[0]} | {cells[1]} | {cells[2]} |")
        ratio = summary.get(f"{fault}/ratio_first_write_mhaadm_over_plain")
        lines.append(f"\nfirst_write median ratio mhaadm/plain: **{fmt(ratio)}**\n")
        ratio = summary.get(f"{fault}/ratio_first_write_native_over_plain")
        lines.append(f"first_write median ratio native/plain: **{fmt(ratio)}**\n")
        # where the time goes: median of each timeline marker
        lines.append("Where the time goes (median time the line appeared in the log, s after T0):\n")
        names = list(dict.fromkeys(n for n, _ in MARKERS + DAEMON_MARKERS + NATIVE_MARKERS))
        lines.append("| marker | native | mhaadm | plain MHA |")
        lines.append("|---|---|---|---|")
        for n in names:
            cells = []
            for mode in MODES:
                vals = [r["timeline_seen"][n] for r in results if r["fault"] == fault and
                        r["mode"] == mode and n in r.get("timeline_seen", {})]
                cells.append(f"{statistics.median(vals):.2f}" if vals else "-")
            if cells != ["-", "-", "-"]:
                lines.append(f"| {n} | {cells[0]} | {cells[1]} | {cells[2]} |")
        lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--first-run", type=int, default=1,
                    help="number of the first run (a series split over several invocations "
                         "keeps its alternation: --first-run 4 continues after 3 runs)")
    ap.add_argument("--fault", choices=["kill", "linkcut"], action="append")
    ap.add_argument("--modes", default="mhaadm,plain")
    ap.add_argument("--tag", default=None, help="results file name part (default: timestamp)")
    a = ap.parse_args()
    faults = a.fault or ["kill"]
    modes = a.modes.split(",")
    if os.geteuid() != 0:
        sys.exit("bench/failover.py: must run as root (lab)")
    if not os.access(BIN, os.X_OK):
        sys.exit(f"bench/failover.py: {BIN} not built (set MHAADM_BIN)")
    tag = a.tag or time.strftime("%Y%m%dT%H%M%S")
    outdir = os.path.join(RESULTS, f"failover-{tag}")
    os.makedirs(outdir, exist_ok=True)
    results = []
    try:
        for fault in faults:
            for idx in range(a.first_run, a.first_run + a.runs):
                # Alternating, and who goes first alternates too (a b, b a, ...): a mode that
                # always ran first would always meet the caches and the lab a certain way.
                order = modes if idx % 2 else list(reversed(modes))
                for mode in order:
                    results.append(one_run(mode, fault, idx, outdir))
                    with open(os.path.join(outdir, "results.json"), "w") as f:
                        json.dump({"results": results}, f, indent=1)
    finally:
        lab("down", check=False, timeout=120)
    summary = summarize(results)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": os.uname().nodename,
            "kernel": os.uname().release, "nproc": os.cpu_count(), "bin": BIN,
            "argv": sys.argv, "writer": {"connect_timeout": W_CONNECT_TIMEOUT,
                                         "rw_timeout": W_RW_TIMEOUT, "pause": W_PAUSE,
                                         "err_pause": W_ERR_PAUSE}}
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "results": results}, f, indent=1)
    md = markdown(results, summary)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    print(f"results: {outdir}/results.json, {outdir}/results.md")
    return 0 if not any("error" in r or "error_reprotect" in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
