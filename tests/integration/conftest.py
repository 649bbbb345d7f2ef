# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures for the integration tests: the lab (real MariaDB + sshd in network namespaces)
and an mhaadm environment (config file, fresh registry) per test."""
import fcntl
import json
import os
import re
import shutil
import sqlite3
import signal
import subprocess
import sys
import time
import warnings

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAB = os.path.join(ROOT, "lab", "lab.sh")
LAB_DIR = os.environ.get("MHAADM_LAB_DIR", "/var/tmp/mhaadm-lab")
BIN = os.environ.get("MHAADM_BIN", os.path.join(ROOT, "build", "mhaadm"))

# Hosts 1..3 form the cluster (h1 master); host 4 is a standalone server used as the
# management node of the MySQL registry backend.
LAB_HOSTS = 3
LAB_STANDALONE = 1


def lab_cmd(*args, check=True, timeout=120):
    return subprocess.run([LAB, *map(str, args)], check=check, timeout=timeout,
                          capture_output=True, text=True)


def read_lab_env():
    env = {}
    with open(os.path.join(LAB_DIR, "env")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            if k.startswith("export "):
                k = k[len("export "):]
            env[k] = v.strip("'\"")
    return env


class LabManager:
    """Owns the lab for the whole session; rebuilds it when a test needs another shape
    or a pristine one (failover tests leave it changed)."""

    def __init__(self):
        self.shape = None
        self.dirty = True
        self.env = None

    def ensure(self, hosts, standalone, fresh=False, gtid=False, ssh_bare=False):
        if fresh or self.dirty or self.shape != (hosts, standalone, gtid, ssh_bare):
            r = lab_cmd("up", "--hosts", hosts, "--standalone", standalone,
                        *(["--gtid"] if gtid else []),
                        *(["--ssh-bare"] if ssh_bare else []), check=False, timeout=300)
            if r.returncode != 0:
                print(r.stdout, r.stderr, file=sys.stderr)
                lab_cmd("down", check=False)
                self.shape = None
                pytest.fail("lab up failed")
            self.shape = (hosts, standalone, gtid, ssh_bare)
            self.dirty = False
            self.env = read_lab_env()
        return Lab(self.env)


@pytest.fixture(scope="session")
def lab_manager():
    if os.geteuid() != 0:
        pytest.skip("integration tests need root (network namespaces)")
    if not os.path.exists(BIN):
        pytest.skip(f"{BIN} is not built")
    # Only one lab can exist on a machine (fixed namespace and bridge names): a second test
    # session, bench or demo waits here for the first to finish instead of breaking it.
    lock = open("/var/tmp/mhaadm-lab.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    m = LabManager()
    try:
        yield m
    finally:
        lab_cmd("down", check=False)
        lock.close()


def strays(basetemp):
    """Processes of this test session that still run: their command line names a directory
    under the session's base temp dir (an engine's config, a daemon's, a hook's)."""
    own = {os.getpid(), os.getppid()}
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if basetemp + "/" in cmd and int(pid) not in own:
            out.append((int(pid), cmd.strip()))
    return out


@pytest.fixture(autouse=True)
def end_strays(request, tmp_path_factory):
    """After every test: anything it started that outlived its teardown (an engine whose pid
    file named another process, a hook still running) is ended by pid and named in a
    warning, so that it cannot act on the next test's lab."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    # Teardowns that are still ending them (a killed process group takes a moment to go):
    # up to 1 s, polled, instead of a fixed second whenever one was still there.
    deadline = time.monotonic() + 1
    while strays(base) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid, cmd in strays(base):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
        warnings.warn(f"{request.node.nodeid}: ended a process the test left running: "
                      f"pid {pid}: {cmd[:160]}")


@pytest.fixture
def lab(lab_manager):
    """Hosts 1-3 replicate from host 1; host 4 is standalone (management node)."""
    return lab_manager.ensure(LAB_HOSTS, LAB_STANDALONE)


@pytest.fixture
def fresh_lab(lab_manager):
    """A pristine 4-host replicating lab, for tests that break it (failovers)."""
    lab = lab_manager.ensure(4, 0, fresh=True)
    yield lab
    lab_manager.dirty = True


class Lab:
    def __init__(self, env):
        self.env = env
        self.mha_user = env["LAB_MHA_USER"]
        self.mha_password = env["LAB_MHA_PASSWORD"]

    @staticmethod
    def ip(n):
        return f"10.77.0.{10 + n}"

    def sql(self, host, query):
        """Runs SQL as root on lab host N (1-based) over its socket; returns stdout."""
        return lab_cmd("sql", host, query).stdout

    def logs(self):
        return lab_cmd("logs", check=False).stdout


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed and os.path.exists(os.path.join(LAB_DIR, "env")):
        rep.sections.append(("lab logs", lab_cmd("logs", check=False).stdout))


class Mhaadm:
    """An mhaadm installation: its config file and registry, in a temp dir."""

    def __init__(self, lab, tmp_path, **overrides):
        self.lab = lab
        self.dir = tmp_path
        self.registry = str(tmp_path / "registry.db")
        self.config = str(tmp_path / "mhaadm.cnf")
        self.keys = {
            "ha_user": lab.mha_user,
            "ha_password": lab.mha_password,
            "repl_user": lab.env["LAB_REPL_USER"],
            "repl_password": lab.env["LAB_REPL_PASSWORD"],
            "registry_path": self.registry,
            "workdir": str(tmp_path / "work"),
            "log_dir": str(tmp_path / "log"),
            "connect_timeout": "2",
            "read_timeout": "5",
        }
        self.keys.update(overrides)
        self.write_config()

    def write_config(self, mode=0o600):
        with open(self.config, "w") as f:
            f.write("# written by tests/integration/conftest.py\n[mhaadm]\n")
            for k, v in self.keys.items():
                if v is not None:
                    f.write(f"{k} = {v}\n")
        os.chmod(self.config, mode)

    def run(self, *args, timeout=60, config=True):
        env = dict(os.environ)
        env.pop("MHAADM_CONFIG", None)
        cmd = [BIN] + (["-c", self.config] if config else []) + list(map(str, args))
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, f"{args}: rc={r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    def clusters(self):
        """The registry's view (list --no-probe: no host is contacted)."""
        return json.loads(self.ok("list", "all", "--json", "--no-probe").stdout)["clusters"]

    def status(self, name="all"):
        """The live view: list probes every node; rc 0 all ok, 3 some cluster not ok."""
        r = self.run("list", name, "--json")
        assert r.returncode in (0, 3), f"list: rc={r.returncode}\n{r.stdout}\n{r.stderr}"
        return json.loads(r.stdout)

    def events(self, name="all"):
        return json.loads(self.ok("history", name, "--json").stdout)["events"]

    def snapshot(self):
        """What a user can see of the registry, to prove a refusal changed nothing."""
        listing = json.loads(self.ok("list", "all", "--json", "--no-probe").stdout)
        listing.pop("generated_at", None)  # when the document was made, not registry state
        snap = [json.dumps(listing, sort_keys=True),
                self.ok("history", "all", "--json").stdout]
        if self.keys.get("registry", "sqlite") == "sqlite" and os.path.exists(self.registry):
            con = sqlite3.connect(self.registry)
            snap.append("\n".join(con.iterdump()))
            con.close()
        elif self.keys.get("registry") == "mysql":
            snap.append(self.mysql_dump())
        return snap

    def mysql_dump(self):
        """Every row of every table of the MySQL registry database, in key order: a refusal
        that leaves a partial row behind shows here even when list and history hide it."""
        import pymysql
        con = pymysql.connect(host=self.keys["mysql_host"],
                              port=int(self.keys.get("mysql_port", 3306)),
                              user=self.keys["mysql_user"], password=self.keys["mysql_password"],
                              database=self.keys["mysql_database"], connect_timeout=5)
        out = []
        try:
            with con.cursor() as cur:
                cur.execute("SHOW TABLES")
                for (table,) in sorted(cur.fetchall()):
                    cur.execute(f"SHOW CREATE TABLE `{table}`")
                    # A refused INSERT may still use up an AUTO_INCREMENT value (InnoDB):
                    # that counter is not something the refusal changed for a user.
                    out.append(re.sub(r" AUTO_INCREMENT=\d+", "", cur.fetchone()[1]))
                    cur.execute(f"SELECT * FROM `{table}` ORDER BY 1")
                    out.extend(repr(row) for row in cur.fetchall())
        finally:
            con.close()
        return "\n".join(out)


@pytest.fixture
def mhaadm(lab, tmp_path):
    m = Mhaadm(lab, tmp_path)
    m.ok("init")
    return m


def cluster3_args(name="c1", vip="10.77.0.100/24"):
    return ["add", name, "--node", "10.77.0.11", "--node", "10.77.0.12", "--node", "10.77.0.13",
            "--vip", vip]


def assert_refused(r, *fragments, rc=1):
    out = r.stdout + r.stderr
    assert r.returncode == rc, f"rc={r.returncode}, wanted {rc}\n{out}"
    for frag in fragments:
        assert frag in r.stderr, f"{frag!r} not in stderr:\n{r.stderr}"


@pytest.fixture
def fresh_gtid_lab(lab_manager):
    """A pristine 4-host lab replicating with MariaDB GTID (MASTER_USE_GTID=slave_pos)."""
    lab = lab_manager.ensure(4, 0, fresh=True, gtid=True)
    yield lab
    lab_manager.dirty = True
