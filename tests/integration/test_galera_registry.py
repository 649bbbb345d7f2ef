# SPDX-License-Identifier: GPL-2.0-or-later
"""The registry on a 3-node MariaDB Galera cluster (docs/manager-ha.md, "An HA registry"):
lab up --standalone 3 --galera makes h4-h6 one Galera cluster with the required settings;
both managers write through h4. One node (h6) crashes: the managers keep working (the lease
is renewed, nobody stands down) and a failover is still recorded, on every surviving node.
Then h5 crashes too: h4 alone is outside the primary component (it refuses statements),
which is the registry being down: the owner stands down, and the CLI fails naming it."""
import json
import time

import pymysql

from conftest import lab_cmd
from test_lifecycle import assert_rows_on_survivors, vip_holders, wait_for
from test_manager_ha import pair_down, pair_up
from test_manager_ha_cut import kill_master_under_load, lab_with


def wsrep(lab, host):
    """The node's Galera status (SHOW answers on a node outside the primary component too)."""
    r = lab_cmd("sql", host, "SHOW GLOBAL STATUS WHERE Variable_name IN "
                "('wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_local_state_comment')",
                check=False)
    return dict(line.split("\t", 1) for line in r.stdout.strip().splitlines() if "\t" in line)


def test_galera_registry_loses_one_node_then_its_primary_component(lab_manager, tmp_path):
    t_lab = time.monotonic()
    lab = lab_with(lab_manager, "--galera", standalone=3)
    print(f"galera lab up in {time.monotonic() - t_lab:.1f} s")
    # The settings the docs require, as the lab applied them on the writer node.
    got = lab.sql(4, "SELECT @@wsrep_on, @@wsrep_sync_wait, "
                     "@@innodb_flush_log_at_trx_commit, @@binlog_format").split()
    assert got == ["1", "7", "1", "ROW"], got
    assert wsrep(lab, 4) == {"wsrep_cluster_status": "Primary", "wsrep_cluster_size": "3",
                             "wsrep_local_state_comment": "Synced"}
    # The default lease (10 s: 8 s of validity after a renewal). A crashed node stalls the
    # cluster's commits until it is evicted (~3.3 s with the lab's settings) and costs the
    # registry thread its connection (read timeout 2 s, reconnect after 3 s): more than the
    # 4.8 s a 6 s lease leaves (seen), less than 8 s.
    p = pair_up(lab, tmp_path, lease=10)
    a, b = p.first, p.other(p.first)
    try:
        ((epoch0,),) = p.query("SELECT epoch FROM leases WHERE cluster='c1'")
        t0 = time.monotonic()
        # h6 crashes (kill -9): h4 and h5 stay a primary component of 2
        lab_cmd("kill-mysqld", 6)
        wait_for("h4 in a primary component of 2",
                 lambda: wsrep(lab, 4).get("wsrep_cluster_size") == "2", timeout=30,
                 interval=0.2)
        print(f"galera: h6 evicted {time.monotonic() - t0:.2f} s after its crash")
        # The lease goes on being renewed: its expiry moves past what it was (and on).
        ((exp1,),) = p.query("SELECT expires_at FROM leases WHERE cluster='c1'")
        wait_for("a renewal after the eviction", lambda: p.query(
            "SELECT expires_at FROM leases WHERE cluster='c1'")[0][0] > exp1, timeout=10,
            interval=0.2)
        ml = json.loads(p.m[b].ok("manager", "list", "--json").stdout)["managers"]
        assert {m["name"]: m["status"] for m in ml} == {"m1": "alive", "m2": "alive"}, ml
        assert p.owner() == a and p.mha_ping_ok(a)
        # A failover is still recorded, through h4, and on h5 too.
        new, w = kill_master_under_load(p, a, lab)
        assert vip_holders() == [new]
        assert_rows_on_survivors(p.m[a], w.acked)
        # Nobody stood down or took the lease again: one acquisition, at the start.
        leases = [(t, f.get("manager")) for _, t, f in p.events() if t.startswith("lease.")]
        assert leases == [("lease.acquired", a)], leases
        epochs, acted = p.check()
        assert epochs == [epoch0] and {"failover.started", "vip.moved"} <= set(acted[a])
        con = pymysql.connect(host="10.77.0.15", user=lab.mha_user,
                              password=lab.mha_password, database=p.db, connect_timeout=5)
        with con.cursor() as cur:
            cur.execute("SELECT n.host FROM nodes n JOIN clusters c ON c.id = n.cluster_id "
                        "WHERE c.name = 'c1' AND n.role = 'master'")
            assert cur.fetchall() == ((new,),)
            cur.execute("SELECT COUNT(*) FROM events WHERE cluster = 'c1' AND "
                        "type = 'failover.master_changed'")
            assert cur.fetchone()[0] >= 1
        con.close()
        wait_for(f"{a}'s engine on the new topology", lambda: p.mha_ping_ok(a), timeout=150)
        # h5 crashes too: h4 alone is not a primary component; the registry is down.
        t1 = time.monotonic()
        lab_cmd("kill-mysqld", 5)
        wait_for("h4 outside the primary component",
                 lambda: wsrep(lab, 4).get("wsrep_cluster_status") == "non-Primary",
                 timeout=30, interval=0.2)
        # It refuses the managers' statements (1047; a causal read waiting at the partition
        # times out: 1205, seen): the CLI fails and names the registry.
        r = p.m[b].run("list", "all", "--no-probe")
        print(f"galera: h4 non-primary: list: rc {r.returncode}: {r.stderr.strip()}")
        assert r.returncode == 1 and "registry at 10.77.0.14:3306" in r.stderr, \
            (r.returncode, r.stdout, r.stderr)
        wait_for(f"{a}'s engine to stop", lambda: not p.engine_alive(a), timeout=p.lease + 5,
                 interval=0.1)
        print(f"galera: {a} stood down {time.monotonic() - t1:.2f} s after h5's crash "
              f"(h4 non-primary)")
        assert not p.engine_alive(b) and vip_holders() == [new]
    finally:
        pair_down(p, lab_manager, check=True)
