# SPDX-License-Identifier: GPL-2.0-or-later
"""The isolation guard (semi-sync without silent async fallback) in the lab: a master cut off
from the manager and its replicas acknowledges no write once the new master took writes; with
the guard off, the number that get through is printed (the documented cost, docs/mha.md); all
replicas down stall the master (a finding and an event at once) until the DBA's fallback, which
says the guard is off; a failover keeps the guard on the new topology."""
import json
import os
import subprocess
import time

import pytest

from conftest import lab_cmd
from splitbrain import AckWriter, NetnsWriter, late_acks
from test_lifecycle import (NODES, VIP, app_connect, events, finish_cluster, make_cluster,
                            master_of, vip_holders, wait_for)


def guard_of(m):
    r = m.run("list", "c1", "--json")
    assert r.returncode in (0, 3), r.stdout + r.stderr
    (c,) = json.loads(r.stdout)["clusters"]
    return c


@pytest.mark.parametrize("guard", ["auto", "off"])
def test_cut_off_master_acknowledges_nothing(fresh_lab, tmp_path, guard):
    """The master's link is cut while a writer inside its namespace writes through the VIP it
    keeps and one on the manager's side writes through the VIP too."""
    m = make_cluster(fresh_lab, tmp_path, probe_interval="1", isolation_guard=guard)
    writers = []
    try:
        r = m.ok("start", "c1", timeout=180)
        if guard == "auto":  # 3 replicas: auto means semisync
            assert "isolation guard semisync" in r.stdout, r.stdout + r.stderr
            g = guard_of(m)["guard"]
            assert g["state"] == "semisync" and g["acks"] >= 1, g
        inside = NetnsWriter(m.lab, 1, VIP, 2_000_000, str(tmp_path / "inside.acks"))
        outside = AckWriter(m.lab, VIP, 1_000_000)
        outside.start()
        writers = [inside, outside]
        wait_for("acknowledged writes on both sides",
                 lambda: len(outside.acks) > 20 and len(inside.acks) > 20, timeout=60)
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "down"], check=True)
        new = wait_for("a new master", lambda: master_of(m) if master_of(m) !=
                       "10.77.0.11:3306" else None, timeout=120)
        new_host = new.split(":")[0]
        new_sid = NODES.index(new_host) + 1
        wait_for("the new master taking writes",
                 lambda: any(sid == new_sid for (_, sid, _) in outside.acks), timeout=60)
        time.sleep(5)  # the old master's side keeps writing meanwhile
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=True)
        wait_for("the old master read-only",
                 lambda: m.lab.sql(1, "SELECT @@read_only").strip() == "1", timeout=60)
        time.sleep(2)
        for w in writers:
            w.stop()
        t_new, late = late_acks(writers, 1, new_sid)
        print(f"guard={guard}: {len(late)} writes acknowledged by the cut-off old master after "
              f"the new master took writes"
              + (f", the last {late[-1][2] - t_new:.2f} s after" if late else ""))
        if guard == "auto":
            assert late == [], late[:5]
            wait_for("the guard on the new topology",
                     lambda: guard_of(m)["guard"]["state"] == "semisync" and
                     (guard_of(m)["guard"]["acks"] or 0) >= 1, timeout=60)
            ev = events(m)
            assert "guard.set" in ev and "fence.read_only" in ev, ev
    finally:
        subprocess.run(["ip", "link", "set", "mhaadm-v1", "up"], check=False)
        for w in writers:
            try:
                w.stop()
            except Exception:
                pass
        finish_cluster(m)


def test_replicas_down_stall_then_fallback(fresh_lab, tmp_path):
    """Every replica down: the master stalls; list and history say so at once. The DBA then
    sets semisync_fallback_seconds: mhaadm falls back, writes resume, the event says the guard
    is off; a replica back turns it on again."""
    m = make_cluster(fresh_lab, tmp_path, probe_interval="1", isolation_guard="semisync")
    try:
        m.ok("start", "c1", timeout=180)
        for n in (2, 3, 4):
            lab_cmd("kill-mysqld", n)
        con = app_connect(m.lab, "10.77.0.11", timeout=3)
        with pytest.raises(Exception):  # waits for an acknowledgement nobody gives
            with con.cursor() as cur:
                cur.execute("INSERT INTO t (id, v) VALUES (3000001, 'stall')")
        wait_for("the stall event", lambda: "guard.stalled" in events(m), timeout=90)
        kinds = [f["kind"] for f in guard_of(m)["findings"]]
        assert "guard.stalled" in kinds, kinds
        time.sleep(3)
        assert "guard.fallback" not in events(m)  # semisync_fallback_seconds = 0: it waits

        m.keys["semisync_fallback_seconds"] = "3"
        m.write_config()
        wait_for("the fallback", lambda: "guard.fallback" in events(m), timeout=60)
        (fb,) = [e for e in m.events("c1") if e["type"] == "guard.fallback"]
        assert "isolation guard is OFF" in fb["message"] and "split brain" in fb["message"]
        con = app_connect(m.lab, "10.77.0.11", timeout=3)
        with con.cursor() as cur:
            cur.execute("INSERT INTO t (id, v) VALUES (3000002, 'after fallback')")
        con.close()

        lab_cmd("start-mysqld", 2)
        lab_cmd("sql", 2, "START SLAVE", check=False)
        wait_for("the guard back on", lambda: "guard.restored" in events(m), timeout=60)
        wait_for("a replica acknowledging",
                 lambda: (guard_of(m)["guard"]["acks"] or 0) >= 1, timeout=60)
    finally:
        for n in (2, 3, 4):
            lab_cmd("start-mysqld", n, check=False)
        finish_cluster(m)
