# SPDX-License-Identifier: GPL-2.0-or-later
"""Manager HA faults between the managers and the registry (docs/manager-ha.md): an owner cut
from the registry only, on a manager host of its own (lab up --managers: a namespace on the
bridge), while it still reaches the cluster's hosts; the registry down while the master dies,
within the owner's lease (it fails over and spools the record) and beyond it (nobody fails
over). The checker over the events and the VIP sampler are test_manager_ha.py's."""
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import Lab, lab_cmd, read_lab_env
from test_lifecycle import NODES, Writer, assert_rows_on_survivors, vip_holders, wait_for
from test_manager_ha import ACTING, LEASE, MGMT, pair_down, pair_up

MANAGER_NS = "mhaadm-h5"  # lab up --hosts 3 --standalone 1 --managers 1: h5 is the manager host
CUT_TABLE = "mhaadm_cut"


def lab_with(lab_manager, *args, standalone=1):
    """A pristine lab of 3 replicating hosts, `standalone` more, and lab.sh's extra options
    (conftest's LabManager knows only its own shapes: the next test rebuilds its own)."""
    r = lab_cmd("up", "--hosts", 3, "--standalone", standalone, *args, check=False,
                timeout=300)
    if r.returncode != 0:
        print(r.stdout, r.stderr, file=sys.stderr)
        lab_cmd("down", check=False)
        lab_manager.shape = None
        pytest.fail("lab up failed")
    print(r.stdout.strip())
    lab_manager.shape = ("custom",) + tuple(args)
    lab_manager.dirty = True
    lab_manager.env = read_lab_env()
    return Lab(lab_manager.env)


def ns_cut(ns, *hosts):
    """Inside namespace ns, drops every packet to and from hosts (no answer, no refusal)."""
    addrs = ", ".join(hosts)
    rules = (f"table inet {CUT_TABLE} {{\n"
             f"  chain out {{ type filter hook output priority 0; ip daddr {{ {addrs} }} drop; }}\n"
             f"  chain in {{ type filter hook input priority 0; ip saddr {{ {addrs} }} drop; }}\n"
             f"}}\n")
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules, text=True,
                   check=True, capture_output=True)


def ns_heal(ns):
    subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", CUT_TABLE],
                   capture_output=True)


def ns_reaches(ns, host, port):
    """A TCP connection from namespace ns to host:port opens within 2 s."""
    r = subprocess.run(["ip", "netns", "exec", ns, "timeout", "2", "bash", "-c",
                        f"exec 3<>/dev/tcp/{host}/{port}"], capture_output=True)
    return r.returncode == 0


def new_master_of(m):
    (c,) = m.clusters()
    return c["master"] if c["master"] != f"{NODES[0]}:3306" else None


def kill_master_under_load(p, owner, lab):
    """Kills h1's mysqld under write load; waits for the new master in the registry and
    acknowledged writes through the VIP on it; returns (new master host, writer)."""
    w = Writer(lab)
    w.start()
    wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
    lab_cmd("kill-mysqld", 1)
    new = wait_for("a new master in the registry", lambda: new_master_of(p.m[owner]),
                   timeout=120)
    n = len(w.acked)
    wait_for("writes through the VIP on the new master", lambda: len(w.acked) > n + 20,
             timeout=60)
    w.stop_evt.set()
    w.join(timeout=30)
    return new.split(":")[0], w


def test_owner_cut_from_registry_only(lab_manager, tmp_path):
    """The owner m1 runs on a manager host of its own; it is cut from the registry only (it
    still reaches every DB host): it stops its engine before its lease can have expired, m2
    takes the cluster over and fails it over when its master is killed; healed, m1 does
    nothing."""
    lab = lab_with(lab_manager, "--managers", 1)
    p = pair_up(lab, tmp_path, netns={"m1": MANAGER_NS}, first="m1")
    a, b = "m1", "m2"
    try:
        assert p.first == a
        before = len(p.events())
        t0 = time.monotonic()
        ns_cut(MANAGER_NS, MGMT)
        assert not ns_reaches(MANAGER_NS, MGMT, 3306)
        assert all(ns_reaches(MANAGER_NS, h, 3306) and ns_reaches(MANAGER_NS, h, 22)
                   for h in NODES[:3]), "the cut must leave the DB hosts reachable"
        wait_for(f"{a}'s engine to stop", lambda: not p.engine_alive(a), timeout=LEASE + 5,
                 interval=0.1)
        stopped = time.monotonic() - t0
        wait_for(f"{b} to own c1", lambda: p.owner() == b, timeout=LEASE + 5, interval=0.1)
        took = time.monotonic() - t0
        print(f"cut from the registry: {a}'s engine stopped after {stopped:.2f} s, "
              f"{b} owned c1 after {took:.2f} s (lease {LEASE} s)")
        assert took <= LEASE + 5
        wait_for(f"{b}'s engine at PING_OK", lambda: p.mha_ping_ok(b), timeout=150)
        print(f"cut from the registry: {b}'s engine at PING_OK after "
              f"{time.monotonic() - t0:.2f} s")
        t1 = time.monotonic()
        new, w = kill_master_under_load(p, b, lab)
        print(f"cut from the registry: {b} failed over to {new} "
              f"{time.monotonic() - t1:.2f} s after the kill")
        assert vip_holders() == [new]
        assert_rows_on_survivors(p.m[b], w.acked)
        assert not p.engine_alive(a)
        ns_heal(MANAGER_NS)

        def back():
            # a's heartbeat again, and the events it queued while cut (its lease.lost) landed
            ml = json.loads(p.m[b].ok("manager", "list", "--json").stdout)["managers"]
            st = {m["name"]: (m["status"], m["clusters"]) for m in ml}
            lost = any(t == "lease.lost" and f.get("manager") == a
                       for _, t, f in p.events()[before:])
            return st.get(a) == ("alive", []) and lost and st
        st = wait_for(f"{a} back, holding nothing", back, timeout=60, interval=0.2)
        assert st[b] == ("alive", ["c1"]), st
        acts = [(t, f) for _, t, f in p.events()[before:] if f.get("manager") == a
                and t in ACTING]
        assert acts == [], acts
        assert not p.engine_alive(a) and p.owner() == b
        epochs, acted = p.check()
        assert len(epochs) == 2, epochs
        assert {"failover.started", "vip.moved"} <= set(acted.get(b, [])), acted
        assert vip_holders() == [new]
    finally:
        ns_heal(MANAGER_NS)
        pair_down(p, lab_manager)


def spooled(p, name, suffix):
    spool = os.path.join(p.m[name].dir, "work", "spool")
    return os.path.isdir(spool) and any(f.endswith(suffix) for f in os.listdir(spool))


def test_registry_down_within_lease_owner_fails_over_and_spools(lab_manager, tmp_path):
    """The registry dies, then the master: the owner's lease (30 s here) is still valid by
    its own clock, so its engine fails over (the hooks cannot ask the registry; the lease
    file is enough) and spools the record; the other manager does nothing. Once the registry
    is back the record lands, the owner still holds the same lease."""
    lab = lab_manager.ensure(3, 1, fresh=True)
    p = pair_up(lab, tmp_path, lease=30)
    a, b = p.first, p.other(p.first)
    try:
        (epoch0,) = p.query("SELECT epoch FROM leases WHERE cluster = 'c1'")[0]
        t0 = time.monotonic()
        lab_cmd("kill-mysqld", 4)
        w = Writer(lab)
        w.start()
        wait_for("some acknowledged writes", lambda: len(w.acked) > 50, timeout=30)
        lab_cmd("kill-mysqld", 1)

        def moved():
            h = vip_holders()
            return h if h and h != [NODES[0]] else None
        new = wait_for("the VIP on a new master", moved, timeout=120)[0]
        print(f"registry down, within the lease: VIP on {new} "
              f"{time.monotonic() - t0:.2f} s after the registry died")
        n = len(w.acked)
        wait_for("writes through the VIP on the new master", lambda: len(w.acked) > n + 20,
                 timeout=60)
        w.stop_evt.set()
        w.join(timeout=30)
        wait_for(f"{a}'s spooled registry update", lambda: spooled(p, a, ".master"),
                 timeout=60)
        assert not spooled(p, b, ".master") and not p.engine_alive(b)
        lab_cmd("start-mysqld", 4)
        wait_for("the registry to name the new master",
                 lambda: p.m[b].run("list", "all", "--json", "--no-probe").returncode == 0
                 and new_master_of(p.m[b]) == f"{new}:3306", timeout=120)
        assert_rows_on_survivors(p.m[a], w.acked)
        late = [f for _, t, f in p.events() if t == "failover.master_changed"]
        assert late and late[0].get("manager") == a, late
        epochs, acted = p.check()
        assert epochs[0] == epoch0, epochs
        assert {"failover.started", "vip.moved"} <= set(acted.get(a, [])), acted
        # b may take the lease once the registry is back (a's may have run out meanwhile),
        # never the failover.
        assert not [t for t in acted.get(b, []) if t.startswith(("failover.", "vip."))], acted
        print(f"registry back: epochs {epochs}, owner {p.owner()}")
        assert vip_holders() == [new]
    finally:
        pair_down(p, lab_manager)


def test_registry_down_beyond_lease_nobody_fails_over(lab_manager, tmp_path):
    """The registry dies and stays down past the owner's lease: the owner stands down (its
    engine stops), the other cannot take the lease; when the master then dies, nobody fails
    it over: the VIP stays where it was, every replica stays read-only."""
    lab = lab_manager.ensure(3, 1, fresh=True)
    p = pair_up(lab, tmp_path)
    a, b = p.first, p.other(p.first)
    try:
        t0 = time.monotonic()
        lab_cmd("kill-mysqld", 4)
        wait_for(f"{a}'s engine to stop", lambda: not p.engine_alive(a), timeout=LEASE + 5,
                 interval=0.1)
        print(f"registry down: {a} stood down {time.monotonic() - t0:.2f} s after")
        lab_cmd("kill-mysqld", 1)
        # A killed master's VIP moves after ~7.3 s here when a lease is held (the test
        # above, docs/benchmarks.md): watch 12 s.
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            assert vip_holders() == [NODES[0]]
            assert not p.engine_alive(a) and not p.engine_alive(b)
            for i in (2, 3):
                assert lab.sql(i, "SELECT @@global.read_only").strip() == "1", f"h{i} writable"
            time.sleep(0.5)
        assert not spooled(p, a, ".master") and not spooled(p, b, ".master")
        # The registry back: the managers' leases again (what they do next is the engine's).
        lab_cmd("start-mysqld", 4)
        t1 = time.monotonic()
        owner = wait_for("a manager to hold c1 again", p.owner, timeout=LEASE + 10,
                         interval=0.2)
        print(f"registry back: {owner} holds c1 after {time.monotonic() - t1:.2f} s")
        # Its engine cannot start on a dead master (MHA's checks need it): the user is told,
        # and the cluster waits for an operator (docs/manager-ha.md).
        wait_for(f"{owner}'s engine refused on the dead master", lambda: any(
            t == "engine.checks_failed" and f.get("manager") == owner
            for _, t, f in p.events()), timeout=60, interval=0.5)
        assert new_master_of(p.m[owner]) is None and vip_holders() == [NODES[0]]
        print(f"registry back: {owner}'s engine refused after {time.monotonic() - t1:.2f} s")
        p.check()
    finally:
        pair_down(p, lab_manager)
