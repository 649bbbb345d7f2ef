# SPDX-License-Identifier: GPL-2.0-or-later
"""The engine boundary and the daemon's loop, as a DBA sees them: a second engine for a
cluster is refused, internal commands never run from a prefix, a hung management node does
not stop the daemon from supervising engines, and a VIP move announces itself with repeated
gratuitous ARPs."""
import os
import signal
import subprocess
import textwrap

from conftest import LAB_DIR, Mhaadm, cluster3_args, lab_cmd
from test_lifecycle import events, finish_cluster, make_cluster, mha_status, wait_for

VIP = "10.77.0.100"

# Counts gratuitous ARPs for the VIP (sender and target address both the VIP) seen on the
# host's eth0 for a few seconds; run inside a lab host's namespace.
ARP_COUNTER = textwrap.dedent("""
    import socket, sys, time
    vip = socket.inet_aton(sys.argv[1])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind(("eth0", 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    n, end = 0, time.time() + float(sys.argv[2])
    while time.time() < end:
        try:
            f = s.recv(128)
        except socket.timeout:
            continue
        arp = f[14:]
        if len(arp) >= 28 and arp[14:18] == vip and arp[24:28] == vip:
            n += 1
    print(n, flush=True)
""")


def engine_pid(m):
    with open(os.path.join(m.dir, "work", "mha", "c1", "engine.pid")) as f:
        return int(f.read().split()[0])


def test_second_engine_refused_and_registry_hang_keeps_supervising(lab_manager, tmp_path):
    """With a MySQL registry on h5: 'mhaadm engine c1' beside the running engine is refused
    and starts no second masterha_manager; 'e' and 'f' are not commands. Then the management
    node hangs (mysqld SIGSTOPped): the daemon still notices a killed engine and brings
    monitoring back while the registry stays hung; what it recorded meanwhile reaches the
    history once the registry answers again."""
    lab = lab_manager.ensure(4, 1, fresh=True)
    lab_manager.dirty = True
    m = make_cluster(lab, tmp_path, registry="mysql", registry_path=None,
                     mysql_host="10.77.0.15", mysql_user=lab.mha_user,
                     mysql_password=lab.mha_password, mysql_database="mhaadm_eng",
                     read_timeout="2")
    mysqld = None
    try:
        m.ok("start", "c1", timeout=180)
        pid = engine_pid(m)
        # A typo or a hand-run engine must not start a second masterha_manager.
        r = m.run("engine", "c1", timeout=60)
        assert r.returncode == 3, r.stdout + r.stderr
        assert f"an engine for cluster 'c1' already runs (pid {pid})" in r.stderr, r.stderr
        assert engine_pid(m) == pid
        managers = subprocess.run(["pgrep", "-f", f"masterha_manager.*{m.dir}/"],
                                  capture_output=True, text=True).stdout.split()
        assert len(managers) == 1, managers
        for word in ("e", "en", "f", "w"):
            r = m.run(word, "c1")
            assert r.returncode == 2 and "unknown command" in r.stderr, (word, r.stderr)
        help_text = m.ok("help").stdout
        assert "\n  engine " not in help_text and "\n  fence " not in help_text

        # The management node hangs: connections neither succeed nor fail at once.
        with open(os.path.join(LAB_DIR, "h5", "run", "mysqld.pid")) as f:
            mysqld = int(f.read().split()[0])
        os.kill(mysqld, signal.SIGSTOP)
        os.killpg(pid, signal.SIGKILL)
        wait_for("a new engine", lambda: engine_pid(m) != pid, timeout=120)
        wait_for("monitoring again while the registry hangs",
                 lambda: "PING_OK" in mha_status(m).stdout, timeout=180)
        assert os.path.exists(f"/proc/{mysqld}")
        with open(f"/proc/{mysqld}/stat") as f:
            assert f.read().rsplit(")", 1)[1].split()[0] == "T"  # still stopped
        os.kill(mysqld, signal.SIGCONT)
        mysqld = None
        wait_for("the engine's death in the history", lambda: "engine.died" in events(m),
                 timeout=120)
        assert m.clusters()[0]["state"] == "monitoring"
    finally:
        if mysqld is not None:
            os.kill(mysqld, signal.SIGCONT)
        finish_cluster(m)


def test_vip_move_sends_repeated_gratuitous_arp(lab, tmp_path):
    """The failover core binds the VIP on the new master and announces it garp_count times
    (here 4), in the background: a host on the network sees every announcement."""
    m = Mhaadm(lab, tmp_path, ssh_key=lab.env["LAB_SSH_KEY"],
               ssh_known_hosts=lab.env["LAB_KNOWN_HOSTS"], garp_count="4",
               garp_interval_ms="150")
    m.ok("init")
    m.ok(*cluster3_args())
    counter = subprocess.Popen(["ip", "netns", "exec", "mhaadm-h3", "python3", "-c", ARP_COUNTER,
                                VIP, "6"], stdout=subprocess.PIPE, text=True)
    try:
        assert counter.stdout.readline().strip() == "ready"
        r = m.run("hook", "failover", "--cluster=c1", f"--vip={VIP}/24", "--iface=eth0",
                  "--command=start", "--ssh_user=root", "--orig_master_host=10.77.0.11",
                  "--orig_master_ip=10.77.0.11", "--orig_master_port=3306",
                  "--new_master_host=10.77.0.12", "--new_master_ip=10.77.0.12",
                  "--new_master_port=3306", "--new_master_user=x", "--new_master_password=y",
                  timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        seen = int(counter.stdout.readline().strip())
        counter.wait(timeout=30)
        assert seen >= 4, f"{seen} gratuitous ARPs seen on h3"
        assert m.clusters()[0]["master"] == "10.77.0.12:3306"
    finally:
        if counter.poll() is None:
            counter.kill()
        subprocess.run(["ip", "netns", "exec", "mhaadm-h2", "ip", "addr", "del", f"{VIP}/24",
                        "dev", "eth0"], capture_output=True)


def test_engine_names_are_checked(mhaadm):
    """The engine of a cluster is chosen by name (add --engine, or the config's engine key);
    a name no engine answers to is refused before anything is written."""
    before = mhaadm.snapshot()
    r = mhaadm.run(*cluster3_args(), "--engine", "nope")
    assert r.returncode == 2 and "no engine 'nope' (engines: mha" in r.stderr, r.stderr
    assert mhaadm.snapshot() == before
    mhaadm.keys["engine"] = "nope"
    mhaadm.write_config()
    try:
        r = mhaadm.run("list", "all", "--no-probe")
        assert r.returncode == 1 and "engine = nope: no such engine" in r.stderr, r.stderr
    finally:
        mhaadm.keys["engine"] = "mha"
        mhaadm.write_config()
    mhaadm.ok(*cluster3_args(), "--engine", "mha")
    listed = mhaadm.run("list", "c1").stdout
    assert "engine:   mha " in listed, listed
