# SPDX-License-Identifier: GPL-2.0-or-later
"""add, list, del and history against a real 3-node MariaDB cluster in the lab."""
import sqlite3
import time

import pytest

from conftest import assert_refused, cluster3_args


def node(cluster, host):
    return next(n for n in cluster["nodes"] if n["host"] == host)


def test_add_three_node_cluster(mhaadm):
    r = mhaadm.ok(*cluster3_args())
    assert "cluster 'c1' added: master 10.77.0.11:3306" in r.stdout
    assert "probing 3 nodes" in r.stderr
    (c,) = mhaadm.clusters()
    assert c["name"] == "c1" and c["state"] == "registered" and c["desired"] == "stopped"
    assert c["vip"] == "10.77.0.100" and c["vip_prefix"] == 24 and c["iface"] == "eth0"
    assert c["master"] == "10.77.0.11:3306"
    m = node(c, "10.77.0.11")
    assert m["role"] == "master" and m["read_only"] is False and m["log_bin"] is True
    assert m["server_id"] == 1 and "MariaDB" in m["version"]
    for i, host in ((2, "10.77.0.12"), (3, "10.77.0.13")):
        n = node(c, host)
        assert n["role"] == "replica" and n["read_only"] is True and n["server_id"] == i
        assert n["lag"] == 0
    # What was probed is printed, per node
    for host in ("10.77.0.11", "10.77.0.12", "10.77.0.13"):
        assert f"{host}:3306  ok" in r.stdout
    ev = mhaadm.events("c1")
    assert [e["type"] for e in ev] == ["cluster.added"]
    r = mhaadm.run("list", "c1")
    assert r.returncode == 3  # registered, not monitored: "unprotected"
    detail = r.stdout
    assert "verdict:  unprotected: not monitored" in detail
    assert "10.77.0.100/24 on eth0" in detail and "10.77.0.13:3306" in detail


def test_add_discovers_replicas_from_master(mhaadm):
    r = mhaadm.ok("add", "c1", "--master", "10.77.0.11", "--vip", "10.77.0.100")
    assert "discovered 2 replicas of 10.77.0.11:3306:" in r.stdout
    assert "10.77.0.12:3306" in r.stdout and "10.77.0.13:3306" in r.stdout
    (c,) = mhaadm.clusters()
    assert sorted((n["host"], n["role"]) for n in c["nodes"]) == [
        ("10.77.0.11", "master"), ("10.77.0.12", "replica"), ("10.77.0.13", "replica")]


def test_add_promotion_flags(mhaadm):
    mhaadm.ok(*cluster3_args(), "--candidate", "10.77.0.12", "--no-master", "10.77.0.13:3306")
    (c,) = mhaadm.clusters()
    assert node(c, "10.77.0.12")["candidate_master"] is True
    assert node(c, "10.77.0.13")["no_master"] is True


def test_refuse_duplicate_name(mhaadm):
    mhaadm.ok(*cluster3_args())
    before = mhaadm.snapshot()
    r = mhaadm.run("add", "c1", "--node", "10.77.0.14", "--vip", "10.77.0.101")
    assert_refused(r, "cluster 'c1' already exists")
    assert mhaadm.snapshot() == before


def test_refuse_duplicate_vip(mhaadm):
    mhaadm.ok(*cluster3_args())
    before = mhaadm.snapshot()
    r = mhaadm.run("add", "c2", "--node", "10.77.0.14", "--vip", "10.77.0.100/24")
    assert_refused(r, "VIP 10.77.0.100 is already used by cluster 'c1'")
    assert mhaadm.snapshot() == before


def test_refuse_node_in_other_cluster(mhaadm):
    mhaadm.ok(*cluster3_args())
    before = mhaadm.snapshot()
    r = mhaadm.run("add", "c2", "--node", "10.77.0.12:3306", "--vip", "10.77.0.101")
    assert_refused(r, "node 10.77.0.12:3306 already belongs to cluster 'c1'")
    assert mhaadm.snapshot() == before


def test_refuse_node_not_replicating(mhaadm, lab):
    before = mhaadm.snapshot()
    lab.sql(3, "STOP SLAVE")
    try:
        r = mhaadm.run(*cluster3_args())
    finally:
        lab.sql(3, "START SLAVE")
    assert_refused(r, "refusing cluster 'c1'", "10.77.0.13:3306 is not replicating")
    assert mhaadm.snapshot() == before


def test_refuse_two_writable_nodes(mhaadm, lab):
    before = mhaadm.snapshot()
    lab.sql(2, "SET GLOBAL read_only=0")
    try:
        r = mhaadm.run(*cluster3_args())
    finally:
        lab.sql(2, "SET GLOBAL read_only=1")
    assert_refused(r, "2 writable nodes", "10.77.0.11:3306", "10.77.0.12:3306")
    assert mhaadm.snapshot() == before


def test_refuse_standalone_node(mhaadm):
    """A server that is not a replica of the master (h4 is standalone and writable)."""
    before = mhaadm.snapshot()
    r = mhaadm.run("add", "c1", "--node", "10.77.0.11", "--node", "10.77.0.12",
                   "--node", "10.77.0.14", "--vip", "10.77.0.100")
    assert_refused(r, "refusing cluster 'c1'", "10.77.0.14:3306")
    assert mhaadm.snapshot() == before


def test_refuse_wrong_master(mhaadm):
    before = mhaadm.snapshot()
    r = mhaadm.run(*cluster3_args(), "--master", "10.77.0.12")
    assert_refused(r, "10.77.0.12:3306 is not the master")
    assert mhaadm.snapshot() == before


def test_refuse_wrong_password(mhaadm):
    mhaadm.keys["ha_password"] = "not-the-password"
    mhaadm.write_config()
    before = mhaadm.snapshot()
    r = mhaadm.run(*cluster3_args())
    assert_refused(r, "Access denied")
    assert "not-the-password" not in r.stdout + r.stderr
    assert mhaadm.snapshot() == before


def test_refuse_unreachable_host(mhaadm):
    """10.77.0.99 is on the lab bridge but nobody answers there; the probe is bounded
    by connect_timeout (2 s here) - the subprocess timeout is only a safety net."""
    before = mhaadm.snapshot()
    r = mhaadm.run("add", "c1", "--node", "10.77.0.11", "--node", "10.77.0.12",
                   "--node", "10.77.0.13", "--node", "10.77.0.99", "--vip", "10.77.0.100",
                   timeout=60)
    assert_refused(r, "10.77.0.99:3306")
    assert "10.77.0.99:3306  FAILED" in r.stdout
    assert mhaadm.snapshot() == before


def test_refuse_world_readable_config(mhaadm):
    before = mhaadm.snapshot()
    mhaadm.write_config(mode=0o644)
    r = mhaadm.run(*cluster3_args())
    assert_refused(r, "chmod 600", mhaadm.config)
    mhaadm.write_config(mode=0o600)
    assert mhaadm.snapshot() == before


@pytest.mark.parametrize("name", [
    "a;b", "x'--", "$(id)", "`id`", "a b", "../etc", "c1\"; DROP TABLE clusters; --",
    "n" * 65, "é", "a|b", "a&b", "a>b",
])
def test_refuse_bad_cluster_name(mhaadm, name):
    before = mhaadm.snapshot()
    r = mhaadm.run("add", name, "--node", "10.77.0.11", "--vip", "10.77.0.100")
    assert_refused(r, "invalid cluster name")
    assert mhaadm.snapshot() == before


@pytest.mark.parametrize("args,message", [
    (["--node", "10.77.0.11;id", "--vip", "10.77.0.100"], "10.77.0.11;id"),
    (["--node", "$(id)", "--vip", "10.77.0.100"], "invalid host"),
    (["--node", "10.77.0.11:99999", "--vip", "10.77.0.100"], "port"),
    (["--node", "10.77.0.11", "--vip", "10.77.0.300"], "VIP"),
    (["--node", "10.77.0.11", "--vip", "10.77.0.100/40"], "prefix"),
    (["--node", "10.77.0.11", "--vip", "10.77.0.100", "--iface", "eth0;id"], "interface"),
])
def test_refuse_bad_values(mhaadm, args, message):
    before = mhaadm.snapshot()
    r = mhaadm.run("add", "c1", *args)
    assert_refused(r)
    assert message.lower() in r.stderr.lower()
    assert mhaadm.snapshot() == before


def test_usage_errors(mhaadm):
    r = mhaadm.run("add")
    assert r.returncode == 2 and "usage: mhaadm [-c CONFIG] add NAME" in r.stderr
    r = mhaadm.run("add", "c1", "--node", "10.77.0.11")
    assert r.returncode == 2 and "--vip" in r.stderr
    r = mhaadm.run("frobnicate")
    assert r.returncode == 2 and "unknown command: frobnicate" in r.stderr
    r = mhaadm.run("st", "c1")
    assert r.returncode == 2 and "ambiguous command: st, could be: start, stop" in r.stderr
    r = mhaadm.run("list", "--bogus")
    assert r.returncode == 2 and "unknown option --bogus" in r.stderr
    r = mhaadm.run("add", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: mhaadm [-c CONFIG] add NAME")


def test_start_without_daemon_says_so(mhaadm):
    mhaadm.ok(*cluster3_args())
    for cmd in (["start", "c1"], ["-r", "c1"]):
        r = mhaadm.run(*cmd)
        assert_refused(r, "no mhaadm daemon is running", "mhaadm daemon")
    (c,) = mhaadm.clusters()
    assert c["desired"] == "monitored"
    r = mhaadm.run("-t", "c1")
    assert_refused(r, "no mhaadm daemon is running")
    (c,) = mhaadm.clusters()
    assert c["desired"] == "stopped"
    r = mhaadm.run("start", "nosuch")
    assert_refused(r, "no cluster named 'nosuch'")


def test_keys_flag_for_unknown_cluster_changes_nothing(mhaadm):
    """-a NAME -k yes with no rows for NAME: refused before any SSH or write
    (SSH trust itself: test_keys.py)."""
    before = mhaadm.snapshot()
    r = mhaadm.run("-a", "c1", "-k", "yes")
    assert r.returncode == 1, r.stdout + r.stderr
    assert mhaadm.snapshot() == before
    r = mhaadm.run("keys", "nosuch")
    assert_refused(r, "no cluster named 'nosuch'")
    assert mhaadm.snapshot() == before


def test_init_is_idempotent(mhaadm):
    r = mhaadm.ok("init")
    assert "schema version 3 is current" in r.stdout


def test_registry_missing_schema(lab, tmp_path):
    from conftest import Mhaadm
    m = Mhaadm(lab, tmp_path)
    r = m.run("list")
    assert_refused(r, "mhaadm init")


def test_registry_file_that_is_not_a_registry(lab, tmp_path):
    from conftest import Mhaadm
    m = Mhaadm(lab, tmp_path)
    with open(m.registry, "wb") as f:
        f.write(b"this is not a database\n" * 100)
    r = m.run("list")
    assert_refused(r, "not an mhaadm registry")
    r = m.run("init")
    assert r.returncode == 1
    with open(m.registry, "rb") as f:
        assert f.read() == b"this is not a database\n" * 100


def test_del_keeps_history(mhaadm):
    mhaadm.ok(*cluster3_args())
    r = mhaadm.ok("del", "c1")
    assert "deleted cluster 'c1'" in r.stdout
    assert mhaadm.clusters() == []
    assert [e["type"] for e in mhaadm.events("c1")] == ["cluster.deleted", "cluster.added"]
    # The nodes are free again for a new cluster.
    mhaadm.ok(*cluster3_args(name="c2"))
    r = mhaadm.run("del", "nosuch")
    assert_refused(r, "no cluster named 'nosuch'")


def test_del_refuses_monitored_cluster_without_force(mhaadm):
    mhaadm.ok(*cluster3_args())
    # 'start' comes with the lifecycle work; set the desired state the way it will.
    con = sqlite3.connect(mhaadm.registry)
    con.execute("UPDATE clusters SET desired='monitored' WHERE name='c1'")
    con.commit()
    con.close()
    before = mhaadm.snapshot()
    r = mhaadm.run("del", "c1")
    assert_refused(r, "cluster 'c1' is monitored", "mhaadm stop c1", "--force")
    assert mhaadm.snapshot() == before
    mhaadm.ok("del", "c1", "--force")
    assert mhaadm.clusters() == []


def test_seed_workflow_rows_inserted_by_a_dba(mhaadm):
    """The seed tool's workflow: a DBA inserts the cluster's rows, then runs `-a NAME`."""
    con = sqlite3.connect(mhaadm.registry)
    cur = con.execute("INSERT INTO clusters (name, vip) VALUES ('c1', '10.77.0.100')")
    cid = cur.lastrowid
    for host in ("10.77.0.11", "10.77.0.12", "10.77.0.13"):
        con.execute("INSERT INTO nodes (cluster_id, host, port) VALUES (?, ?, 3306)", (cid, host))
    con.commit()
    con.close()
    (c,) = mhaadm.clusters()
    assert c["state"] == "pending"

    r = mhaadm.ok("-a", "c1")
    assert "cluster 'c1' verified and registered: master 10.77.0.11:3306" in r.stdout
    (c,) = mhaadm.clusters()
    assert c["state"] == "registered" and c["master"] == "10.77.0.11:3306"
    assert node(c, "10.77.0.13")["role"] == "replica"

    r = mhaadm.run("-l", "all")  # exit 3: registered, not monitored ("unprotected")
    assert r.returncode == 3 and "c1" in r.stdout and "10.77.0.11:3306" in r.stdout
    r = mhaadm.run("-l", "c1")
    assert r.returncode == 3 and "10.77.0.12:3306" in r.stdout
    r = mhaadm.run("-a", "c1")
    assert_refused(r, "cluster 'c1' already exists")
    mhaadm.ok("-d", "c1")
    assert mhaadm.clusters() == []


def test_seed_workflow_refuses_bad_rows(mhaadm, lab):
    con = sqlite3.connect(mhaadm.registry)
    cur = con.execute("INSERT INTO clusters (name, vip) VALUES ('c1', '10.77.0.100')")
    cid = cur.lastrowid
    for host in ("10.77.0.11", "10.77.0.12", "10.77.0.14"):
        con.execute("INSERT INTO nodes (cluster_id, host, port) VALUES (?, ?, 3306)", (cid, host))
    con.commit()
    con.close()
    before = mhaadm.snapshot()
    r = mhaadm.run("-a", "c1")
    assert_refused(r, "refusing cluster 'c1'")
    assert mhaadm.snapshot() == before
    r = mhaadm.run("-a", "nosuch")
    assert_refused(r, "no cluster named 'nosuch'")


def test_concurrent_adds_cannot_both_win(mhaadm):
    """Two adds of the same nodes and VIP race; the registry's UNIQUE constraints let one win."""
    import subprocess
    from conftest import BIN
    procs = [subprocess.Popen([BIN, "-c", mhaadm.config, *cluster3_args(name=f"race{i}")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 1], results
    loser = next(err for rc, err in results if rc == 1)
    assert "already" in loser
    assert len(mhaadm.clusters()) == 1
