# SPDX-License-Identifier: GPL-2.0-or-later
"""mhaadm keys: SSH trust from nothing, pinned host keys, the check matrix, removal, and MHA's
own ssh with strict host key checking. Runs in a lab built with --ssh-bare: nothing is
pre-trusted, root and a non-root lab user log in with a password, and every host has its own
home directories (so its own ~/.ssh/authorized_keys) and its own host key."""
import json
import os
import re
import subprocess

import pytest

from conftest import BIN, LAB_DIR, Mhaadm, assert_refused

IPS = ["10.77.0.11", "10.77.0.12", "10.77.0.13"]
MANAGER_IP = "10.77.0.1"


@pytest.fixture
def bare_lab(lab_manager):
    """A pristine 3-host lab in which no SSH key is trusted anywhere."""
    lab = lab_manager.ensure(3, 0, fresh=True, ssh_bare=True)
    yield lab
    lab_manager.dirty = True


def host_dir(n):
    return os.path.join(LAB_DIR, f"h{n}")


def authorized_keys(n, user="root"):
    home = os.path.join(host_dir(n), "root" if user == "root" else f"home/{user}")
    path = os.path.join(home, ".ssh", "authorized_keys")
    return open(path).read() if os.path.exists(path) else ""


def host_fingerprint(n):
    out = subprocess.run(["ssh-keygen", "-lf", os.path.join(host_dir(n), "ssh_host_ed25519_key.pub")],
                         capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def change_host_key(n):
    """The host was 'reinstalled' (or someone is in the middle): a new host key; sshd is
    restarted so that it offers it."""
    d = host_dir(n)
    for f in ("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"):
        os.unlink(os.path.join(d, f))
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    os.path.join(d, "ssh_host_ed25519_key")], check=True, stdin=subprocess.DEVNULL)
    pid = int(open(os.path.join(d, "sshd.pid")).read().split()[0])
    os.kill(pid, 15)
    for _ in range(200):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        subprocess.run(["sleep", "0.05"])
    os.unlink(os.path.join(d, "sshd.pid")) if os.path.exists(os.path.join(d, "sshd.pid")) else None
    subprocess.run(["ip", "netns", "exec", f"mhaadm-h{n}", "/usr/sbin/sshd", "-f",
                    os.path.join(d, "sshd_config"), "-E", os.path.join(d, "sshd.log")],
                   check=True, stdin=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(os.path.join(d, "sshd.pid")):
            return
        subprocess.run(["sleep", "0.05"])
    pytest.fail(f"sshd on h{n} did not come back")


class Keys:
    """An mhaadm with its own key and known_hosts (none exist yet) and cluster c1."""

    def __init__(self, lab, tmp_path, ssh_user="root", keydir=None):
        self.keydir = keydir or str(tmp_path / "ssh")
        self.m = Mhaadm(lab, tmp_path, ssh_user=ssh_user,
                        ssh_key=os.path.join(self.keydir, "id_ed25519"),
                        ssh_known_hosts=os.path.join(self.keydir, "known_hosts"))
        self.key = self.m.keys["ssh_key"]
        self.known_hosts = self.m.keys["ssh_known_hosts"]
        self.password = lab.env["LAB_SSH_PASSWORD"]
        self.pwfile = str(tmp_path / "ssh-password")
        with open(self.pwfile, "w") as f:
            f.write(self.password + "\n")
        os.chmod(self.pwfile, 0o600)
        self.m.ok("init")

    def add(self, name="c1", *extra, env=None):
        args = ["add", name] + [a for ip in IPS for a in ("--node", ip)] + \
            ["--vip", "10.77.0.100/24", *extra]
        return self.run(*args, env=env)

    def run(self, *args, env=None, timeout=120):
        e = dict(os.environ)
        e.pop("MHAADM_CONFIG", None)
        e.pop("MHAADM_SSH_PASSWORD", None)
        e.update(env or {})
        return subprocess.run([BIN, "-c", self.m.config, *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env=e, stdin=subprocess.DEVNULL)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, f"{args}: rc={r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    def check_json(self):
        r = self.run("keys", "c1", "--check", "--json")
        return r.returncode, json.loads(r.stdout)


def test_trust_from_nothing_with_a_password(bare_lab, tmp_path):
    k = Keys(bare_lab, tmp_path)
    assert k.add().returncode == 0
    rc, before = k.check_json()
    assert rc == 1 and not before["ok"]

    # A password file others can read is refused before anything happens.
    os.chmod(k.pwfile, 0o644)
    r = k.run("keys", "c1", "--password-file", k.pwfile)
    assert_refused(r, f"password file {k.pwfile} is accessible by group or others", "chmod 600")
    assert not os.path.exists(k.key) and not os.path.exists(k.known_hosts)
    os.chmod(k.pwfile, 0o600)

    r = k.ok("keys", "c1", "--password-file", k.pwfile)
    # Every host key is shown at first contact and is the host's real one.
    for n, ip in enumerate(IPS, 1):
        assert f"{ip}: first contact: host key ssh-ed25519 {host_fingerprint(n)} pinned" in r.stdout
    assert k.password not in r.stdout + r.stderr

    # mhaadm's own ed25519 key pair, 0600; known_hosts holds exactly the three hosts.
    assert os.stat(k.key).st_mode & 0o777 == 0o600
    assert open(k.key).read().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    pub = open(k.key + ".pub").read().split()
    assert pub[0] == "ssh-ed25519"
    pinned = [line.split()[0] for line in open(k.known_hosts) if line.strip()]
    assert sorted(pinned) == IPS

    # One limited, tagged entry per host, from the manager and the cluster's hosts only.
    for n in (1, 2, 3):
        lines = [line for line in authorized_keys(n).splitlines() if line.strip()]
        assert lines == [f'from="{MANAGER_IP},{",".join(IPS)}",no-port-forwarding,'
                         f'no-agent-forwarding,no-X11-forwarding,no-pty ssh-ed25519 {pub[1]} '
                         f'mhaadm-keys:c1'], lines
        assert os.stat(os.path.join(host_dir(n), "root", ".ssh", "authorized_keys")).st_mode & 0o777 == 0o600

    # The full mesh MHA needs works, as a matrix and as JSON.
    r = k.ok("keys", "c1", "--check")
    assert re.search(r"^manager\s+ok\s+ok\s+ok$", r.stdout, re.M), r.stdout
    assert re.search(r"^10\.77\.0\.12\s+ok\s+-\s+ok$", r.stdout, re.M), r.stdout
    assert "all 9 ssh links MHA needs work" in r.stdout
    rc, j = k.check_json()
    assert rc == 0 and j["ok"] and j["hosts"] == IPS and len(j["links"]) == 9
    assert {(x["from"], x["to"]) for x in j["links"]} == \
        {("manager", b) for b in IPS} | {(a, b) for a in IPS for b in IPS if a != b}

    # Again, without any password: the pinned keys match, the entry is replaced, not doubled.
    r = k.ok("keys", "c1")
    assert "host key matches the one pinned" in r.stdout and "first contact" not in r.stdout
    assert "authorized_keys entry replaced" in r.stdout
    for n in (1, 2, 3):
        assert authorized_keys(n).count("mhaadm-keys:c1") == 1
    events = [e["type"] for e in k.m.events("c1")]
    assert events.count("keys.installed") == 2


def test_add_keys_and_seed_flag_use_the_environment_password(bare_lab, tmp_path):
    k = Keys(bare_lab, tmp_path)
    # No password anywhere: add registers the cluster and says trust is missing.
    r = k.add("c1", "--keys")
    assert r.returncode == 1
    assert "is registered, but its SSH trust is not set up" in r.stderr
    assert "--password-file" in r.stderr
    assert [c["name"] for c in k.m.clusters()] == ["c1"]
    assert authorized_keys(1) == ""
    k.ok("del", "c1")

    r = k.add("c1", "--keys", env={"MHAADM_SSH_PASSWORD": k.password})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "trust for cluster 'c1' set up on 3 hosts" in r.stdout
    assert k.check_json()[0] == 0
    assert k.password not in r.stdout + r.stderr


def test_changed_host_key_is_refused_loudly(bare_lab, tmp_path):
    k = Keys(bare_lab, tmp_path)
    assert k.add().returncode == 0
    k.ok("keys", "c1", "--password-file", k.pwfile)
    old_fp = host_fingerprint(2)
    pinned_before = open(k.known_hosts).read()
    ak_before = [authorized_keys(n) for n in (1, 2, 3)]

    change_host_key(2)
    new_fp = host_fingerprint(2)
    assert new_fp != old_fp

    # Setting up again, even with the password: refused, both fingerprints named, nothing changed.
    r = k.run("keys", "c1", "--password-file", k.pwfile)
    assert_refused(r, "HOST KEY OF 10.77.0.12 HAS CHANGED", f"pinned {old_fp}",
                   f"offered {new_fp}", "nothing was changed")
    assert open(k.known_hosts).read() == pinned_before
    assert [authorized_keys(n) for n in (1, 2, 3)] == ak_before

    # The check shows it from the manager and from both other nodes (OpenSSH there).
    rc, j = k.check_json()
    assert rc == 1 and not j["ok"]
    bad = {(x["from"], x["to"]): x["error"] for x in j["links"] if not x["ok"]}
    assert set(bad) == {("manager", "10.77.0.12"), ("10.77.0.11", "10.77.0.12"),
                        ("10.77.0.13", "10.77.0.12"), ("10.77.0.12", "10.77.0.11"),
                        ("10.77.0.12", "10.77.0.13")}, bad
    assert "HOST KEY OF 10.77.0.12 HAS CHANGED" in bad[("manager", "10.77.0.12")]
    assert "Host key verification failed" in bad[("10.77.0.11", "10.77.0.12")]
    r = k.run("keys", "c1", "--check")
    assert r.returncode == 1 and re.search(r"^manager\s+ok\s+FAIL\s+ok$", r.stdout, re.M), r.stdout


FOREIGN = ("# operator keys, kept by mhaadm\n"
           "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1u1C1kLxwx3sMxf1mHCNwZpV1jfHDsG0Sm4tQpL4qS dba@laptop\n"
           'from="10.77.0.1" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1u1C1kLxwx3sMxf1mHCNwZpV1jfHDsG0Sm4tQpL4qS mhaadm-keys:other\n')


def test_remove_and_del_leave_foreign_entries_intact(bare_lab, tmp_path):
    k = Keys(bare_lab, tmp_path)
    assert k.add().returncode == 0
    k.ok("keys", "c1", "--password-file", k.pwfile)
    path = os.path.join(host_dir(1), "root", ".ssh", "authorized_keys")
    ours = authorized_keys(1)
    with open(path, "w") as f:
        f.write(FOREIGN[:40] + "\n" + ours + FOREIGN[40:])  # ours in the middle
    expected = FOREIGN[:40] + "\n" + FOREIGN[40:]

    r = k.ok("keys", "c1", "--remove")
    assert "10.77.0.11: removed 1 authorized_keys entry of cluster 'c1'" in r.stdout
    assert authorized_keys(1) == expected
    assert "mhaadm-keys:c1" not in authorized_keys(2) + authorized_keys(3)
    rc, j = k.check_json()
    assert rc == 1 and not any(x["ok"] for x in j["links"] if x["from"] == "manager")
    r = k.run("keys", "c1", "--remove")  # nothing left to log in with: says which hosts
    assert_refused(r, "could not remove mhaadm's entries on 10.77.0.11, 10.77.0.12, 10.77.0.13")

    # del removes them too (before the cluster's nodes are forgotten), and only them.
    k.ok("keys", "c1", "--password-file", k.pwfile)
    assert authorized_keys(1).count("mhaadm-keys:c1") == 1
    r = k.ok("del", "c1")
    assert "removed 1 authorized_keys entry" in r.stdout
    assert authorized_keys(1) == expected
    assert "mhaadm-keys" not in authorized_keys(2) + authorized_keys(3)
    assert "keys.removed" in [e["type"] for e in k.m.events("c1")]


def test_shell_metacharacters_cannot_inject(bare_lab, tmp_path):
    k = Keys(bare_lab, tmp_path)
    marker = str(tmp_path / "injected")
    before = k.m.snapshot()
    for bad in (f"c1;touch {marker}", f"c1$(touch {marker})", f"c1`touch {marker}`", "c1'"):
        r = k.run("keys", bad)
        assert_refused(r, "invalid cluster name")
        r = k.run("add", bad, "--node", IPS[0], "--vip", "10.77.0.100", "--keys")
        assert_refused(r, "invalid cluster name")
    for bad in (f"10.77.0.11;touch {marker}", f"$(touch {marker})"):
        r = k.run("add", "c1", "--node", bad, "--vip", "10.77.0.100", "--keys")
        assert r.returncode != 0 and "invalid" in r.stderr, r.stderr
    assert k.m.snapshot() == before

    # Users and paths in the configuration are refused before any connection.
    for key, value in (("ssh_user", f"root;touch {marker}"), ("ssh_user", "$(id)"),
                       ("ssh_key", f"/tmp/x;touch {marker}"),
                       ("ssh_known_hosts", f"/tmp/$(touch {marker})")):
        saved = k.m.keys[key]
        k.m.keys[key] = value
        k.m.write_config()
        r = k.run("keys", "c1", "--password-file", k.pwfile)
        assert r.returncode == 1 and key in r.stderr, r.stderr
        k.m.keys[key] = saved
        k.m.write_config()
    assert not os.path.exists(marker)
    for n in (1, 2, 3):
        assert authorized_keys(n) == ""
        assert not os.path.exists(os.path.join(host_dir(n), "root", "injected"))


def mha_conf(k, lab, path, workdir):
    """An MHA app config with the ssh lines mhaadm renders (src/engine/mha/mha.c)."""
    os.makedirs(workdir, exist_ok=True)
    text = ("[server default]\n"
            f"manager_workdir={workdir}\nremote_workdir=/var/tmp/mhaadm\n"
            f"user={lab.mha_user}\npassword={lab.mha_password}\n"
            f"repl_user={lab.env['LAB_REPL_USER']}\nrepl_password={lab.env['LAB_REPL_PASSWORD']}\n"
            f"ssh_user={k.m.keys['ssh_user']}\nssh_port=22\nssh_connection_timeout=5\n"
            f"ssh_options=-i {k.key} -o IdentitiesOnly=yes -o UserKnownHostsFile={k.known_hosts} "
            "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes "
            "-o ConnectTimeout=5\n")
    for n, ip in enumerate(IPS, 1):
        text += f"\n[server{n}]\nhostname={ip}\nport=3306\n"
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def test_masterha_check_ssh_passes_with_strict_host_key_checking(bare_lab, tmp_path):
    k = Keys(bare_lab, tmp_path)
    assert k.add().returncode == 0
    k.ok("keys", "c1", "--password-file", k.pwfile)
    # doctor patches MHA's own "StrictHostKeyChecking=no" (on the manager and the nodes).
    r = k.run("doctor", "c1", "--fix", timeout=300)
    assert "StrictHostKeyChecking=no" not in open("/usr/share/perl5/MHA/NodeConst.pm").read()
    assert "StrictHostKeyChecking=no" not in open("/usr/share/perl5/MHA/ManagerConst.pm").read()
    r = k.run("doctor", "c1")
    # manager (NodeConst, ManagerConst) and 3 nodes (NodeConst)
    assert r.stdout.count("MHA's ssh checks host keys against ssh_known_hosts") == 5, r.stdout
    assert "puts StrictHostKeyChecking=no before ssh_options" not in r.stdout, r.stdout

    conf = str(tmp_path / "c1.cnf")
    mha_conf(k, bare_lab, conf, str(tmp_path / "mha"))
    r = subprocess.run(["masterha_check_ssh", f"--conf={conf}"], capture_output=True, text=True,
                       timeout=120)
    out = r.stdout + r.stderr
    assert "All SSH connection tests passed successfully." in out, out
    assert "Permanently added" not in out and "StrictHostKeyChecking=no" not in out, out

    # Strict for real: a host whose key changed is refused by MHA's ssh too.
    change_host_key(3)
    r = subprocess.run(["masterha_check_ssh", f"--conf={conf}"], capture_output=True, text=True,
                       timeout=120)
    out = r.stdout + r.stderr
    assert "All SSH connection tests passed successfully." not in out, out
    assert "Host key verification failed" in out or "HOST IDENTIFICATION HAS CHANGED" in out, out


def test_non_root_ssh_user(bare_lab, tmp_path):
    """The lab user exists only inside the hosts; the key directory must be one it can
    write on every node (here the hosts share the manager's filesystem)."""
    user = bare_lab.env["LAB_SSH_BARE_USER"]
    keydir = os.path.join(LAB_DIR, "mhaadm-keys-" + user)
    os.mkdir(keydir, 0o700)
    os.chown(keydir, 47731, 47731)
    k = Keys(bare_lab, tmp_path, ssh_user=user, keydir=keydir)
    assert k.add().returncode == 0
    r = k.ok("keys", "c1", "--password-file", k.pwfile)
    for n in (1, 2, 3):
        assert authorized_keys(n, user).count("mhaadm-keys:c1") == 1
        assert authorized_keys(n) == ""  # root's is untouched
    rc, j = k.check_json()
    assert rc == 0 and j["ok"], j
    st = os.stat(k.key)
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == 47731

    # The VIP as MHA's failover hook moves it: ip and arping through sudo (ip and arping only).
    ssh = ["ssh", "-i", k.key, "-o", f"UserKnownHostsFile={k.known_hosts}", "-o",
           "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", f"{user}@10.77.0.12"]
    assert subprocess.run(ssh + ["sudo", "-n", "true"], capture_output=True).returncode != 0
    hook = ["hook", "failover", "--cluster=c1", f"--ssh_user={user}",
            "--orig_master_host=10.77.0.11", "--orig_master_ip=10.77.0.11",
            "--orig_master_port=3306"]
    k.ok(*hook, "--command=start", "--new_master_host=10.77.0.12",
         "--new_master_ip=10.77.0.12", "--new_master_port=3306", f"--new_master_user={bare_lab.mha_user}",
         "--new_master_password=x")
    held = subprocess.run(["ip", "-n", "mhaadm-h2", "-o", "addr", "show", "to", "10.77.0.100"],
                          capture_output=True, text=True).stdout
    assert "10.77.0.100/24" in held
    k.ok("hook", "failover", "--cluster=c1", f"--ssh_user={user}", "--command=stopssh",
         "--orig_master_host=10.77.0.12", "--orig_master_ip=10.77.0.12", "--orig_master_port=3306")
    held = subprocess.run(["ip", "-n", "mhaadm-h2", "-o", "addr", "show", "to", "10.77.0.100"],
                          capture_output=True, text=True).stdout
    assert held == ""
    types = [e["type"] for e in k.m.events("c1")]
    assert "vip.moved" in types and "vip.removed" in types


def run_on_terminal(args, answer, timeout=120):
    """Runs mhaadm with a terminal as its controlling tty; answers the first prompt."""
    import fcntl
    import pty
    import select
    import termios
    import time
    master, slave = pty.openpty()

    def setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([BIN, *args], stdin=slave, stdout=slave, stderr=slave,
                         preexec_fn=setup, close_fds=True,
                         env={k: v for k, v in os.environ.items() if k != "MHAADM_SSH_PASSWORD"})
    os.close(slave)
    out, answered, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not answered and b"(first contact): " in out:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if p.poll() is not None and not r:
            break
    if p.poll() is None:
        p.kill()
    p.wait(timeout=10)
    os.close(master)
    return p.returncode, out.decode(errors="replace"), answered


def test_first_contact_with_an_operator_key_or_a_terminal_prompt(bare_lab, tmp_path):
    k = Keys(bare_lab, tmp_path)
    assert k.add().returncode == 0
    # The operator already has a key on the hosts: --identity uses it for the first contact.
    op = str(tmp_path / "operator_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dba@laptop", "-f", op],
                   check=True, stdin=subprocess.DEVNULL)
    op_line = open(op + ".pub").read()
    for n in (1, 2, 3):
        d = os.path.join(host_dir(n), "root", ".ssh")
        os.makedirs(d, mode=0o700)
        with open(os.path.join(d, "authorized_keys"), "w") as f:
            f.write(op_line)
    r = k.ok("keys", "c1", "--identity", op)
    assert "first contact" in r.stdout
    for n in (1, 2, 3):
        assert authorized_keys(n).startswith(op_line) and authorized_keys(n).count("mhaadm-keys:c1") == 1
    assert open(k.key).read() != open(op).read()  # mhaadm's own key, never the operator's
    assert k.check_json()[0] == 0

    # From nothing again (entries, key pair and pins gone): the password asked on the terminal.
    k.ok("keys", "c1", "--remove")
    for f in (k.key, k.key + ".pub", k.known_hosts):
        os.unlink(f)
    rc, out, answered = run_on_terminal(["-c", k.m.config, "keys", "c1"], k.password)
    assert answered, out
    assert rc == 0, out
    assert "SSH password of root on the cluster's hosts (first contact): " in out
    assert k.password not in out  # no echo
    assert "trust for cluster 'c1' set up on 3 hosts" in out
    assert k.check_json()[0] == 0
    for n in (1, 2, 3):
        assert authorized_keys(n).startswith(op_line)
