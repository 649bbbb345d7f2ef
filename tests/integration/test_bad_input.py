# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input, each refused with a clear error and a non-zero exit, leaving the registry as
it was: shell/SQL metacharacters and over-long values, a VIP another machine answers for,
a world-readable config, hook calls MHA would never make, a registry that is not one.
(test_add.py holds the first refusals of add; these extend them.)"""
import os
import subprocess

import pytest

from conftest import BIN, Mhaadm, assert_refused, cluster3_args

NODES3 = ["--node", "10.77.0.11", "--node", "10.77.0.12", "--node", "10.77.0.13"]


@pytest.mark.parametrize("args,message", [
    (["--node", "10.77.0.11' OR '1'='1", "--vip", "10.77.0.100"], "invalid host"),
    (["--node", "db1;DROP TABLE nodes", "--vip", "10.77.0.100"], "invalid host"),
    (["--node", "h`reboot`", "--vip", "10.77.0.100"], "invalid host"),
    (["--node", "10.77.0.11:3306 OR 1=1", "--vip", "10.77.0.100"], "port"),
    (["--master", "$(reboot)", "--vip", "10.77.0.100"], "invalid host"),
    (["--node", "a" * 64 + ".example", "--vip", "10.77.0.100"], "invalid host"),
    (["--node", ".".join(["h" * 60] * 5), "--vip", "10.77.0.100"], "invalid host"),
    (["--node", "10.77.0.11", "--vip", "10.77.0.100/24;id"], "VIP"),
    (["--node", "10.77.0.11", "--vip", "1" * 5000], "VIP"),
    (["--node", "10.77.0.11", "--vip", "10.77.0.100", "--iface", "e" * 16], "interface"),
    (["--node", "10.77.0.11", "--vip", "10.77.0.100", "--iface", "$(id)"], "interface"),
    (NODES3 + ["--vip", "10.77.0.100", "--candidate", "10.77.0.12'--"], "invalid host"),
    (NODES3 + ["--vip", "10.77.0.100", "--no-master", "10.77.0.99"], "not one of"),
])
def test_add_refuses_metacharacters_and_long_values(mhaadm, args, message):
    before = mhaadm.snapshot()
    r = mhaadm.run("add", "c1", *args)
    assert_refused(r)
    assert message.lower() in r.stderr.lower(), r.stderr
    assert mhaadm.snapshot() == before


@pytest.mark.parametrize("cmd", [
    ["list", "x" * 100000], ["history", "c1;id"], ["del", "c1' OR 1=1 --"],
    ["start", "$(id)"], ["stop", "a" * 65], ["doctor", "c1|id"],
])
def test_other_commands_refuse_bad_names(mhaadm, cmd):
    mhaadm.ok(*cluster3_args())
    before = mhaadm.snapshot()
    r = mhaadm.run(*cmd)
    assert r.returncode in (1, 2), r.stdout + r.stderr
    assert "invalid cluster name" in r.stderr or "no cluster named" in r.stderr, r.stderr
    assert mhaadm.snapshot() == before


def test_add_refuses_vip_answering_arp(lab, tmp_path):
    """10.77.0.14 is host 4's own address (not a node of this cluster): a VIP typo'd as a
    live address. add asks from the master with arping and refuses; a free VIP passes."""
    m = Mhaadm(lab, tmp_path, ssh_key=lab.env["LAB_SSH_KEY"],
               ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"])
    m.ok("init")
    before = m.snapshot()
    r = m.run("add", "c1", *NODES3, "--vip", "10.77.0.14/24")
    assert_refused(r, "VIP 10.77.0.14 already answers ARP", "choose a free one")
    assert m.snapshot() == before
    r = m.ok("add", "c1", *NODES3, "--vip", "10.77.0.100/24")
    assert "cannot check" not in r.stderr
    assert [c["vip"] for c in m.clusters()] == ["10.77.0.100"]


@pytest.mark.parametrize("cmd", [
    ["list"], ["history", "all"], ["add"] + cluster3_args()[1:], ["del", "c1"],
    ["start", "c1"], ["daemon"], ["doctor"],
    ["hook", "failover", "--cluster=c1", "--command=status", "--orig_master_host=10.77.0.11",
     "--orig_master_ip=10.77.0.11", "--orig_master_port=3306"],
])
def test_world_readable_config_refused_by_every_command(mhaadm, cmd):
    mhaadm.ok(*cluster3_args())
    before = mhaadm.snapshot()
    mhaadm.write_config(mode=0o644)
    try:
        r = mhaadm.run(*cmd, timeout=30)
        assert_refused(r, "chmod 600", mhaadm.config)
    finally:
        mhaadm.write_config(mode=0o600)
    assert mhaadm.snapshot() == before


HOOK_OK = ["--cluster=c1", "--vip=10.77.0.100/24", "--iface=eth0", "--ssh_user=root",
           "--orig_master_host=10.77.0.11", "--orig_master_ip=10.77.0.11",
           "--orig_master_port=3306"]


def _without(args, key):
    return [a for a in args if not a.startswith(key + "=")]


def _with(args, key, value):
    return _without(args, key) + [f"{key}={value}"]


@pytest.mark.parametrize("argv,rc,message", [
    ([], 2, "a hook type is needed"),
    (["bogus"] + HOOK_OK + ["--command=stop"], 2, "unknown hook type 'bogus'"),
    (["failover"] + _without(HOOK_OK, "--cluster") + ["--command=stop"], 2,
     "--cluster=NAME is needed"),
    (["failover"] + _with(HOOK_OK, "--cluster", "c1;reboot") + ["--command=stop"], 1,
     "invalid cluster name"),
    (["failover"] + HOOK_OK, 1, "MHA gave no --command="),
    (["failover"] + HOOK_OK + ["--command=format-disk"], 1, "unknown --command=format-disk"),
    (["failover"] + _without(HOOK_OK, "--orig_master_ip") + ["--command=stop"], 1,
     "without --orig_master_host, --orig_master_ip and --orig_master_port"),
    (["failover"] + _with(HOOK_OK, "--orig_master_host", "db1;id") + ["--command=stop"], 1,
     "--orig_master_host"),
    (["failover"] + _with(HOOK_OK, "--orig_master_ip", "10.77.0.11 && id") +
     ["--command=stop"], 1, "is not an IP address"),
    (["failover"] + _with(HOOK_OK, "--orig_master_port", "99999") + ["--command=stop"], 1,
     "--orig_master_port"),
    (["failover"] + _with(HOOK_OK, "--ssh_user", "root;id") + ["--command=stopssh"], 1,
     "is not a user name"),
    (["failover"] + HOOK_OK + ["--command=start", "--new_master_host=10.77.0.12",
                               "--new_master_password=HOOKSECRET"], 1,
     "without --new_master_host, --new_master_ip and --new_master_port"),
    (["failover"] + HOOK_OK + ["--command=start", "--new_master_host=10.77.0.12",
                               "--new_master_ip=10.77.0.12", "--new_master_port=x",
                               "--new_master_password=HOOKSECRET"], 1, "--new_master_port"),
    (["report", "--cluster=c1", "--new_master_host=10.77.0.12"], 1,
     "MHA gave no --orig_master_host="),
    (["report", "--cluster=c1", "--orig_master_host=10.77.0.11",
      "--new_slave_hosts=10.77.0.13,$(id)"], 1, "--new_slave_hosts"),
    (["failover", "--cluster=c1", "--command=stop", "--orig_master_host=10.77.0.11",
      "--orig_master_ip=10.77.0.11", "--orig_master_port=3306", "--vip=10.77.0.100;id",
      "--iface=eth0"], None, "VIP unknown"),
])
def test_hook_refuses_malformed_arguments(lab, tmp_path, argv, rc, message):
    """MHA never calls the hook like this; a hand-made or broken call must say what is wrong,
    fail, move nothing and record nothing. The hook could move things here: cluster c1 is
    registered, SSH to the hosts works, and the VIP is on its master h1."""
    m = Mhaadm(lab, tmp_path, ssh_key=lab.env["LAB_SSH_KEY"],
               ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"])
    m.ok("init")
    m.ok(*cluster3_args())
    subprocess.run(["ip", "netns", "exec", "mhaadm-h1", "ip", "addr", "replace", "10.77.0.100/24",
                    "dev", "eth0"], check=True)
    try:
        assert vip_holders() == ["10.77.0.11"]
        before = m.snapshot()
        ro_before = [lab.sql(n, "SELECT @@read_only").strip() for n in (1, 2, 3)]
        r = m.run("hook", *argv)
        if rc is None:
            assert r.returncode != 0, r.stdout + r.stderr
        else:
            assert r.returncode == rc, f"rc={r.returncode}\n{r.stdout}\n{r.stderr}"
        assert message in r.stderr, r.stderr
        assert "HOOKSECRET" not in r.stdout + r.stderr
        assert m.snapshot() == before
        # Nothing moved on the servers either: the VIP where it was, read_only unchanged.
        assert vip_holders() == ["10.77.0.11"]
        assert [lab.sql(n, "SELECT @@read_only").strip() for n in (1, 2, 3)] == ro_before
    finally:
        for i in (1, 2, 3):
            subprocess.run(["ip", "netns", "exec", f"mhaadm-h{i}", "ip", "addr", "del",
                            "10.77.0.100/24", "dev", "eth0"], capture_output=True)


def vip_holders():
    """Which lab hosts have 10.77.0.100 on an interface, seen inside their namespaces."""
    held = []
    for i in (1, 2, 3):
        r = subprocess.run(["ip", "netns", "exec", f"mhaadm-h{i}", "ip", "-o", "-4", "addr"],
                           capture_output=True, text=True)
        if " 10.77.0.100/" in r.stdout:
            held.append(f"10.77.0.{10 + i}")
    return held


@pytest.mark.parametrize("cmd", [["add"] + cluster3_args()[1:], ["daemon"], ["start", "c1"],
                                 ["del", "c1"], ["init"]])
def test_registry_file_that_is_not_a_registry_refused_everywhere(lab, tmp_path, cmd):
    m = Mhaadm(lab, tmp_path)
    junk = b"SQLite format 3\x00" + b"\xff" * 4000
    with open(m.registry, "wb") as f:
        f.write(junk)
    r = m.run(*cmd, timeout=30)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not an mhaadm registry" in r.stderr or "not a database" in r.stderr, r.stderr
    with open(m.registry, "rb") as f:
        assert f.read() == junk
    assert not os.path.exists(os.path.join(m.dir, "work", "daemon.lock")) or \
        subprocess.run([BIN, "-c", m.config, "list"], capture_output=True).returncode != 0
