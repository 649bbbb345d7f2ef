# SPDX-License-Identifier: GPL-2.0-or-later
"""The MySQL/MariaDB registry backend, on lab host 4 as the management node."""
import os
import secrets
import subprocess

import pymysql
import pytest

from conftest import Mhaadm, assert_refused, cluster3_args

MGMT = "10.77.0.14"


@pytest.fixture
def mysql_mhaadm(lab, tmp_path):
    db = "mhaadm_t" + secrets.token_hex(4)
    m = Mhaadm(lab, tmp_path, registry="mysql", registry_path=None, mysql_host=MGMT,
               mysql_port="3306", mysql_user=lab.mha_user, mysql_password=lab.mha_password,
               mysql_database=db)
    m.db = db
    m.ok("init")
    yield m
    lab.sql(4, f"DROP DATABASE IF EXISTS {db}")


def mgmt_query(m, q, args=()):
    con = pymysql.connect(host=MGMT, user=m.lab.mha_user, password=m.lab.mha_password,
                          database=m.db, connect_timeout=5)
    try:
        with con.cursor() as cur:
            cur.execute(q, args)
            rows = cur.fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def test_mysql_registry_add_list_del(mysql_mhaadm):
    m = mysql_mhaadm
    assert "schema version 3 is current" in m.ok("init").stdout
    r = m.ok(*cluster3_args())
    assert "cluster 'c1' added: master 10.77.0.11:3306" in r.stdout
    (c,) = m.clusters()
    assert c["master"] == "10.77.0.11:3306" and len(c["nodes"]) == 3
    rows = mgmt_query(m, "SELECT host, role FROM nodes ORDER BY host")
    assert rows == (("10.77.0.11", "master"), ("10.77.0.12", "replica"),
                    ("10.77.0.13", "replica"))
    m.ok("del", "c1")
    assert m.clusters() == []
    assert [e["type"] for e in m.events("c1")] == ["cluster.deleted", "cluster.added"]


def test_mysql_registry_refusals_change_nothing(mysql_mhaadm):
    m = mysql_mhaadm
    m.ok(*cluster3_args())
    before = m.snapshot()
    assert_refused(m.run("add", "c1", "--node", "10.77.0.14", "--vip", "10.77.0.101"),
                   "cluster 'c1' already exists")
    assert_refused(m.run("add", "c2", "--node", "10.77.0.14", "--vip", "10.77.0.100"),
                   "VIP 10.77.0.100 is already used by cluster 'c1'")
    assert_refused(m.run("add", "c2", "--node", "10.77.0.13", "--vip", "10.77.0.101"),
                   "node 10.77.0.13:3306 already belongs to cluster 'c1'")
    assert_refused(m.run("add", "x'; DROP TABLE clusters; --", "--node", "10.77.0.14",
                         "--vip", "10.77.0.101"), "invalid cluster name")
    assert m.snapshot() == before


def test_mysql_registry_unique_constraints_in_schema(mysql_mhaadm):
    """Uniqueness holds even for writers that bypass mhaadm."""
    m = mysql_mhaadm
    m.ok(*cluster3_args())
    with pytest.raises(pymysql.err.IntegrityError):
        mgmt_query(m, "INSERT INTO clusters (name, vip) VALUES ('other', '10.77.0.100')")
    with pytest.raises(pymysql.err.IntegrityError):
        mgmt_query(m, "INSERT INTO clusters (name, vip) VALUES ('c1', '10.77.0.109')")


def test_mysql_registry_seed_workflow(mysql_mhaadm):
    m = mysql_mhaadm
    mgmt_query(m, "INSERT INTO clusters (name, vip) VALUES ('c1', '10.77.0.100')")
    (cid,) = mgmt_query(m, "SELECT id FROM clusters WHERE name='c1'")[0]
    for host in ("10.77.0.11", "10.77.0.12", "10.77.0.13"):
        mgmt_query(m, "INSERT INTO nodes (cluster_id, host, port) VALUES (%s, %s, 3306)",
                   (cid, host))
    r = m.ok("-a", "c1")
    assert "verified and registered" in r.stdout
    (c,) = m.clusters()
    assert c["state"] == "registered" and c["master"] == "10.77.0.11:3306"


def test_mysql_registry_bad_password(mysql_mhaadm):
    m = mysql_mhaadm
    m.keys["mysql_password"] = "wrong-registry-password"
    m.write_config()
    r = m.run("list")
    assert_refused(r, "10.77.0.14")
    assert "wrong-registry-password" not in r.stderr + r.stdout


def test_mysql_registry_contract(lab):
    """The registry's contract tests (tests/unit/test-registry.c) against a real MariaDB."""
    from conftest import BIN
    exe = os.path.join(os.path.dirname(BIN), "tests", "unit", "test-registry")
    if not os.access(exe, os.X_OK):
        pytest.skip(f"{exe} not built")
    env = dict(os.environ, MHAADM_TEST_MYSQL_HOST=MGMT, MHAADM_TEST_MYSQL_PORT="3306",
               MHAADM_TEST_MYSQL_USER=lab.mha_user, MHAADM_TEST_MYSQL_PASSWORD=lab.mha_password)
    r = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    # Every contract test ran on MariaDB; only the SQLite-file tests skipped.
    for name in ("test_registry_round_trip", "test_registry_duplicates", "test_registry_update",
                 "test_registry_del", "test_registry_set_state", "test_registry_set_desired_if",
                 "test_registry_set_master",
                 "test_registry_events", "test_registry_event_fields"):
        assert f"[       OK ] {name}" in out, out
    left = lab.sql(4, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
                      " WHERE SCHEMA_NAME LIKE 'mhaadm\\_contract\\_%'")
    assert "mhaadm_contract" not in left


# The version-1 schema as mhaadm 0d026e8 created it on MySQL/MariaDB.
V1_TABLE = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC"
V1_DDL = [
    "CREATE TABLE schema_info (id INT NOT NULL PRIMARY KEY, version INT NOT NULL)" + V1_TABLE,
    "CREATE TABLE clusters (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " name VARCHAR(64) NOT NULL, vip VARCHAR(45) NOT NULL,"
    " vip_prefix INT NOT NULL DEFAULT 24, iface VARCHAR(32) NOT NULL DEFAULT 'eth0',"
    " state VARCHAR(16) NOT NULL DEFAULT 'pending',"
    " desired VARCHAR(16) NOT NULL DEFAULT 'stopped',"
    " created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    " updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    " UNIQUE KEY clusters_name (name), UNIQUE KEY clusters_vip (vip))" + V1_TABLE,
    "CREATE TABLE nodes (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " cluster_id BIGINT NOT NULL,"
    " host VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,"
    " port INT NOT NULL DEFAULT 3306, role VARCHAR(16) NOT NULL DEFAULT 'unknown',"
    " candidate_master TINYINT NOT NULL DEFAULT 0, no_master TINYINT NOT NULL DEFAULT 0,"
    " version VARCHAR(255) NULL, server_id BIGINT NULL, read_only TINYINT NULL,"
    " log_bin TINYINT NULL, `lag` BIGINT NULL, UNIQUE KEY nodes_host_port (host, port),"
    " KEY nodes_cluster_id (cluster_id), CONSTRAINT nodes_cluster_fk FOREIGN KEY (cluster_id)"
    " REFERENCES clusters (id) ON DELETE CASCADE)" + V1_TABLE,
    "CREATE TABLE events (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, cluster VARCHAR(64) NULL,"
    " node VARCHAR(300) NULL, type VARCHAR(64) NOT NULL, message TEXT NOT NULL,"
    " KEY events_cluster_id (cluster, id))" + V1_TABLE,
    "INSERT INTO schema_info (id, version) VALUES (1, 1)",
    "INSERT INTO clusters (name, vip, state) VALUES ('old', '10.77.0.150', 'registered')",
    "INSERT INTO nodes (cluster_id, host, role) SELECT id, '10.77.0.51', 'master' FROM clusters",
    "INSERT INTO events (cluster, type, message) VALUES ('old', 'cluster.added', 'v1 row')",
]


def test_mysql_registry_upgrade_v1(lab, tmp_path):
    """init upgrades a version-1 MySQL registry in place, keeps its rows, and is idempotent."""
    db = "mhaadm_t" + secrets.token_hex(4)
    lab.sql(4, f"CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    try:
        m = Mhaadm(lab, tmp_path, registry="mysql", registry_path=None, mysql_host=MGMT,
                   mysql_port="3306", mysql_user=lab.mha_user,
                   mysql_password=lab.mha_password, mysql_database=db)
        m.db = db
        for q in V1_DDL:
            mgmt_query(m, q)
        r = m.ok("init")
        assert "upgraded from schema version 1 to 3" in r.stdout
        assert "schema version 3 is current" in m.ok("init").stdout
        assert mgmt_query(m, "SELECT name, engine FROM clusters") == (("old", "mha"),)
        (c,) = m.clusters()
        assert c["name"] == "old" and c["master"] == "10.77.0.51:3306"
        assert [e["message"] for e in m.events("old")] == ["v1 row"]
    finally:
        lab.sql(4, f"DROP DATABASE IF EXISTS {db}")
