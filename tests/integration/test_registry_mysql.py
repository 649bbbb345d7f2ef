"""The MySQL/MariaDB registry backend, on lab host 4 as the management node."""
import secrets

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
    assert "schema version 2 is current" in m.ok("init").stdout
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
