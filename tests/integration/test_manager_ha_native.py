# SPDX-License-Identifier: GPL-2.0-or-later
"""Manager HA with the native engine (docs/manager-ha.md): two daemons share the lab's MySQL
registry (host 4); the native cluster h1 -> h2, h3 (MariaDB GTID) is owned by one of them,
whose one engine-native process watches it. The owner is killed with its engine, or paused
past its lease while its engine keeps running, or killed in the middle of a promotion; the
other manager takes the cluster over and fails it over. The checker of test_manager_ha.py
runs over both managers' events (no overlapping action, epochs strictly increase), the VIP
sampler over the whole test (never two holders). Takeover times are printed
(docs/benchmarks.md records them); only the issue's bound (lease_seconds + 5 s) is asserted."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import pymysql
import pytest

from conftest import lab_cmd
from test_lifecycle import NODES, VIP, Daemon, Writer, assert_rows_on, vip_holders, wait_for
from test_manager_ha import ACTING, LEASE, MGMT, Pair, VipSampler
from test_http import free_port
from test_native import writable_servers

# What the native engine does for a cluster beyond what test_manager_ha.py's set names.
NATIVE_ACTING = ACTING | {"failover.adopted", "failover.resumed", "vip.removed"}


def native_status(p, name):
    path = os.path.join(p.m[name].dir, "work", "native", "c1.status")
    try:
        return dict(line.split("=", 1) for line in open(path).read().split())
    except OSError:
        return {}


def native_watching(p, name, master):
    st = native_status(p, name)
    return st.get("state") == "watching" and st.get("master") == master and \
        st.get("master_reachable") == "1"


def engine_pid(p, name):
    """The manager's engine-native process, or None when none runs (zombies count as gone)."""
    try:
        with open(os.path.join(p.m[name].dir, "work", "native", "engine.lock")) as f:
            pid = int(f.read().split()[0])
        with open(f"/proc/{pid}/stat") as f:
            return pid if f.read().rsplit(")", 1)[1].split()[0] != "Z" else None
    except (OSError, ValueError, IndexError):
        return None


def kill_owner(p, name):
    """The host dies: the daemon and its native engine SIGKILLed, no clean-up of any kind."""
    pid = engine_pid(p, name)
    p.d[name].proc.kill()
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    p.d[name].proc.wait(timeout=30)
    wait_for(f"{name}'s engine to be gone", lambda: engine_pid(p, name) is None, timeout=10)


def writable_nodes(p):
    """The cluster's servers (not the registry on host 4) with read_only off."""
    return [h for h in writable_servers(p.lab) if h != MGMT]


def source_of(p, host):
    """Master_Host of host's replication, "" when it replicates from no server."""
    con = pymysql.connect(host=host, user=p.lab.mha_user, password=p.lab.mha_password,
                          connect_timeout=5, cursorclass=pymysql.cursors.DictCursor)
    try:
        with con.cursor() as cur:
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
            return row["Master_Host"] if row else ""
    finally:
        con.close()


def rows_there(p, host, ids):
    try:
        assert_rows_on(p.m["m1"], host, ids)
        return True
    except AssertionError:
        return False


def cluster(p, name):
    (c,) = json.loads(p.m[name].ok("list", "all", "--json", "--no-probe").stdout)["clusters"]
    return c


def take_over(p, a, b, how):
    t0 = time.monotonic()
    wait_for(f"{b} to own c1", lambda: p.owner() == b, timeout=LEASE + 5, interval=0.1)
    took = time.monotonic() - t0
    print(f"native {how} takeover: {b} owned c1 after {took:.2f} s (lease {LEASE} s)")
    assert took <= LEASE + 5
    return t0


def acting_by(p, name, since=0):
    return [(t, f) for i, t, f in p.events() if i > since and f.get("manager") == name and
            t in NATIVE_ACTING]


@pytest.fixture
def npair(lab_manager, tmp_path):
    lab = lab_manager.ensure(3, 1, fresh=True, gtid=True)
    p = Pair(lab, tmp_path)
    m1 = p.m["m1"]
    m1.ok("init")
    m1.ok("add", "c1", "--node", NODES[0], "--node", NODES[1], "--node", NODES[2],
          "--vip", f"{VIP}/24", "--engine", "native")
    lab.sql(1, "CREATE TABLE IF NOT EXISTS labdb.t (id INT PRIMARY KEY, v VARCHAR(32))")
    for name in ("m1", "m2"):
        p.m[name].lab = lab
        # Each manager serves /metrics: lease ownership is seen from outside too.
        p.m[name].keys["http_listen"] = f"127.0.0.1:{free_port()}"
        p.m[name].write_config()
        p.d[name] = Daemon(p.m[name])
        p.d[name].start()
    p.sampler = VipSampler()
    p.sampler.start()
    try:
        m1.ok("start", "c1", timeout=120)
        p.first = wait_for("a manager to own c1", p.owner, timeout=30)
        wait_for(f"{p.first}'s native engine watching h1",
                 lambda: native_watching(p, p.first, f"{NODES[0]}:3306"), timeout=60)
        wait_for("c1 monitored", lambda: cluster(p, "m1")["state"] == "monitoring", timeout=30)
        other = p.other(p.first)
        assert engine_pid(p, other) is None, f"{other} runs a native engine without a lease"
        assert vip_holders() == [NODES[0]]
        yield p
    finally:
        worst = p.sampler.stop()
        for name in ("m1", "m2"):
            d = p.d.get(name)
            if d is None:
                continue
            if d.proc and d.proc.poll() is None:
                os.kill(d.proc.pid, signal.SIGCONT)
            pid = engine_pid(p, name)
            d.stop()
            if pid is not None and engine_pid(p, name) is not None:
                os.killpg(pid, signal.SIGKILL)
            d.log.close()
            if os.environ.get("MHAADM_TEST_VERBOSE"):
                print(open(os.path.join(p.m[name].dir, "daemon.log")).read())
        lab.sql(4, f"DROP DATABASE IF EXISTS {p.db}")
        lab_manager.dirty = True
    assert len(worst) <= 1, f"two VIP holders at once: {worst}"


def kill_master_under_load(p, b):
    """Writes through the VIP, kills h1's mysqld; returns (new master, acknowledged ids)."""
    w = Writer(p.lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    t0 = time.monotonic()
    lab_cmd("kill-mysqld", 1)
    new = wait_for("a new master in the registry",
                   lambda: cluster(p, b)["master"] if cluster(p, b)["master"] !=
                   f"{NODES[0]}:3306" else None, timeout=60)
    n = len(w.acked)
    wait_for("writes acknowledged through the VIP on the new master",
             lambda: len(w.acked) > n + 20, timeout=60)
    print(f"native failover by the new owner: writes acknowledged again "
          f"{time.monotonic() - t0:.2f} s after the kill")
    w.stop_evt.set()
    w.join(timeout=30)
    return new, w.acked


def assert_failed_over_by(p, b, new, acked):
    host = new.split(":")[0]
    assert vip_holders() == [host]
    assert writable_nodes(p) == [host]
    assert_rows_on(p.m[b], host, acked)
    wait_for(f"{b}'s engine watching the new master", lambda: native_watching(p, b, new),
             timeout=30)


def lease_held(p, name):
    """mhaadm_lease_held{cluster="c1"} in manager name's /metrics, None when absent."""
    text = metrics(p, name)
    m = re.search(r'^mhaadm_lease_held\{cluster="c1",manager="%s"\} (\d+)$' % name, text,
                  re.M)
    return int(m.group(1)) if m else None


def metrics(p, name):
    url = f"http://{p.m[name].keys['http_listen']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def test_native_owner_killed_other_takes_over_and_fails_over(npair):
    p = npair
    a, b = p.first, p.other(p.first)
    # Ownership as Prometheus sees it: 1 on the owner, 0 on the other, summed 1.
    wait_for(f"{a}'s /metrics to show its lease", lambda: lease_held(p, a) == 1, timeout=15)
    assert lease_held(p, b) == 0
    text = metrics(p, a)
    assert f'mhaadm_manager_info{{manager="{a}"}} 1' in text
    assert re.search(r'^mhaadm_lease_epoch\{cluster="c1",manager="%s"\} [1-9]' % a, text, re.M)
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    kill_owner(p, a)
    t0 = take_over(p, a, b, "SIGKILL")
    wait_for(f"{b}'s native engine watching h1",
             lambda: native_watching(p, b, f"{NODES[0]}:3306"), timeout=30, interval=0.1)
    print(f"native SIGKILL takeover: {b}'s engine watching after {time.monotonic() - t0:.2f} s")
    wait_for(f"{b}'s /metrics to show the lease", lambda: lease_held(p, b) == 1, timeout=15)
    new, acked = kill_master_under_load(p, b)
    assert_failed_over_by(p, b, new, acked)
    epochs, acted = p.check()
    assert len(epochs) == 2, epochs
    assert {"failover.started", "vip.moved", "failover.master_changed"} <= set(acted[b]), acted
    assert "failover.started" not in acted.get(a, []), acted


def test_native_owner_paused_its_engine_does_nothing(npair):
    """The owner's daemon is SIGSTOPped; its engine-native process keeps running but drops
    the cluster once it cannot prove the lease, and does nothing when the master then dies:
    the new owner fails it over. SIGCONT: the old owner stands down and its engine stops."""
    p = npair
    a, b = p.first, p.other(p.first)
    before = p.events()[-1][0]
    a_engine = engine_pid(p, a)
    os.kill(p.d[a].proc.pid, signal.SIGSTOP)
    try:
        t0 = take_over(p, a, b, "SIGSTOP")
        wait_for(f"{a}'s engine to drop c1", lambda: native_status(p, a) == {}, timeout=5)
        assert engine_pid(p, a) == a_engine, f"{a}'s engine ended: the test proves nothing"
        wait_for(f"{b}'s native engine watching h1",
                 lambda: native_watching(p, b, f"{NODES[0]}:3306"), timeout=30, interval=0.1)
        print(f"native SIGSTOP takeover: {b}'s engine watching after "
              f"{time.monotonic() - t0:.2f} s")
        # The master dies while the paused owner's engine still runs: only b acts.
        new, acked = kill_master_under_load(p, b)
        assert engine_pid(p, a) == a_engine
    finally:
        os.kill(p.d[a].proc.pid, signal.SIGCONT)
    t1 = time.monotonic()
    wait_for(f"{a} to stand down", lambda: any(
        t == "lease.lost" and f.get("manager") == a for _, t, f in p.events()), timeout=30)
    wait_for(f"{a}'s engine to stop", lambda: engine_pid(p, a) is None, timeout=30)
    print(f"native SIGSTOP: {a} stood down and its engine stopped "
          f"{time.monotonic() - t1:.2f} s after SIGCONT")
    assert_failed_over_by(p, b, new, acked)
    assert acting_by(p, a, before) == []
    assert p.owner() == b
    epochs, acted = p.check()
    assert len(epochs) == 2, epochs
    assert "failover.master_changed" in acted[b], acted


def test_native_takeover_finishes_an_interrupted_promotion(npair):
    """The owner's engine had promoted h2 (STOP SLAVE, RESET SLAVE ALL: read-only, no VIP)
    when its host died; its journal died with it. The new owner reads the servers: h2
    replicates from no server and holds all that h3 received, so it finishes the promotion
    with h2 (never a second new master), re-points h3 to it and opens writes."""
    p = npair
    a, b = p.first, p.other(p.first)
    w = Writer(p.lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    w.stop_evt.set()
    w.join(timeout=30)
    pos = p.lab.sql(1, "SELECT @@gtid_binlog_pos").split()[-1]
    for h in (2, 3):
        p.lab.sql(h, f"SELECT MASTER_GTID_WAIT('{pos}', 10)")
    kill_owner(p, a)
    lab_cmd("kill-mysqld", 1)
    p.lab.sql(2, "STOP SLAVE; RESET SLAVE ALL")
    take_over(p, a, b, "mid-promotion")
    new = wait_for("a new master in the registry",
                   lambda: cluster(p, b)["master"] if cluster(p, b)["master"] !=
                   f"{NODES[0]}:3306" else None, timeout=60)
    assert new == f"{NODES[1]}:3306", f"{new} promoted instead of finishing with h2"
    types = [(t, f.get("manager")) for _, t, f in p.events()]
    assert ("failover.adopted", b) in types, types
    assert_failed_over_by(p, b, new, w.acked)
    # h3 follows h2 and has every acknowledged row.
    wait_for("h3 replicating from h2", lambda: source_of(p, NODES[2]) == NODES[1], timeout=30)
    wait_for("the rows on h3", lambda: rows_there(p, NODES[2], w.acked), timeout=30)
    epochs, acted = p.check()
    assert len(epochs) == 2, epochs
