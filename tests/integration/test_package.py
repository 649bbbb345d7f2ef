"""The Debian package, built from this tree (dpkg-buildpackage), installed with dpkg, used with
its own config, purged; bash completion; daemon --check-config. Needs root, no lab."""
import os
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT

# What the package creates and its purge must remove again.
PACKAGE_PATHS = ["/usr/sbin/mhaadm", "/etc/mhaadm", "/var/lib/mhaadm", "/var/log/mhaadm",
                 "/lib/systemd/system/mhaadm.service",
                 "/usr/share/bash-completion/completions/mhaadm", "/usr/share/doc/mhaadm",
                 "/usr/share/man/man8/mhaadm.8.gz",
                 "/etc/systemd/system/multi-user.target.wants/mhaadm.service"]


def run(args, timeout=300, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def installed():
    r = run(["dpkg-query", "-W", "-f=${Status}", "mhaadm"])
    return r.returncode == 0 and "install ok installed" in r.stdout


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("installing a package needs root")
    if shutil.which("dpkg-buildpackage") is None or shutil.which("dh") is None:
        pytest.skip("dpkg-dev/debhelper not installed (scripts/install-deps.sh installs them)")
    if installed() or any(os.path.exists(p) for p in PACKAGE_PATHS[:4]):
        pytest.skip("mhaadm is installed on this machine already: not ours to remove")
    top = tmp_path_factory.mktemp("deb")
    src = top / "mhaadm-0.1.0"
    files = run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard"]).stdout.split()
    for f in files:
        s = os.path.join(ROOT, f)
        if not os.path.lexists(s) or f.startswith("bench/results/"):
            continue
        d = src / f
        d.parent.mkdir(parents=True, exist_ok=True)
        if os.path.islink(s):
            os.symlink(os.readlink(s), d)
        else:
            shutil.copy2(s, d)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    debs = [p for p in os.listdir(top) if p.startswith("mhaadm_") and p.endswith(".deb")]
    assert len(debs) == 1, os.listdir(top)
    return str(top / debs[0])


def test_package_installs_works_and_purges_clean(deb):
    info = run(["dpkg-deb", "-I", deb]).stdout
    assert "Recommends: mha4mysql-manager, mha4mysql-node, arping" in info
    assert "Suggests: prometheus" in info
    depends = [line for line in info.splitlines() if line.strip().startswith("Depends:")][0]
    assert "libmariadb3" in depends and "mha4mysql" not in depends
    if shutil.which("lintian"):
        li = run(["lintian", deb], timeout=300)
        errors = [line for line in li.stdout.splitlines() if line.startswith("E:")]
        assert not errors, li.stdout
    try:
        r = run(["dpkg", "-i", deb])
        assert r.returncode == 0, r.stdout + r.stderr
        st = os.stat("/etc/mhaadm/mhaadm.cnf")
        assert st.st_mode & 0o777 == 0o600 and st.st_uid == 0 and st.st_gid == 0
        assert os.stat("/var/lib/mhaadm").st_mode & 0o077 == 0
        assert "/etc/mhaadm/mhaadm.cnf" in run(["dpkg-query", "-W", "-f=${Conffiles}",
                                                "mhaadm"]).stdout
        r = run(["/usr/sbin/mhaadm", "version"])
        assert r.returncode == 0 and r.stdout.startswith("mhaadm 0.1.0"), r.stdout + r.stderr
        r = run(["/usr/sbin/mhaadm", "init"])
        assert r.returncode == 0 and "/var/lib/mhaadm/registry.db" in r.stdout, r.stderr
        r = run(["/usr/sbin/mhaadm", "list"])
        assert r.returncode == 0 and "no clusters registered" in r.stdout, r.stdout + r.stderr
        r = run(["/usr/sbin/mhaadm", "daemon", "--check-config"])
        assert r.returncode == 0 and "the configuration is fine" in r.stdout, r.stderr
        assert os.path.exists("/usr/share/man/man8/mhaadm.8.gz")
        assert os.path.exists("/usr/share/bash-completion/completions/mhaadm")
        # A DBA's own file beside the packaged config is not the package's to remove.
        with open("/etc/mhaadm/dba-notes.txt", "w") as f:
            f.write("mine\n")
    finally:
        r = run(["dpkg", "--purge", "mhaadm"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert not installed()
    assert open("/etc/mhaadm/dba-notes.txt").read() == "mine\n"
    os.unlink("/etc/mhaadm/dba-notes.txt")
    os.rmdir("/etc/mhaadm")
    left = [p for p in PACKAGE_PATHS if os.path.lexists(p)]
    assert not left, left


COMPLETION = os.path.join(ROOT, "completion", "mhaadm")


def complete(words, config=None):
    """What bash completion offers for the command line `words` (the last one being typed)."""
    line = " ".join(words)
    script = f"""
source {COMPLETION}
COMP_WORDS=({" ".join("'" + w + "'" for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE='{line}'
COMP_POINT={len(line)}
_mhaadm
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ)
    env.pop("MHAADM_CONFIG", None)
    if config:
        env["MHAADM_CONFIG"] = config
    r = run(["bash", "-c", script], env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_bash_completion_commands_options_and_clusters(tmp_path):
    if not os.path.exists(BIN):
        pytest.skip(f"{BIN} is not built")
    # The same words as the command table; internal commands are not offered.
    assert "start" in complete([BIN, "st"]) and "stop" in complete([BIN, "st"])
    assert "engine" not in complete([BIN, "e"]) and "complete" not in complete([BIN, "c"])
    assert complete([BIN, "list", "--j"]) == ["--json"]
    assert "--check-config" in complete([BIN, "daemon", "--"])
    cfg = tmp_path / "mhaadm.cnf"
    cfg.write_text(f"[mhaadm]\nha_user = mha\nregistry_path = {tmp_path}/r.db\n"
                   f"workdir = {tmp_path}/w\nlog_dir = {tmp_path}/l\n")
    os.chmod(cfg, 0o600)
    assert run([BIN, "-c", str(cfg), "init"]).returncode == 0
    import sqlite3
    con = sqlite3.connect(f"{tmp_path}/r.db")
    # Pending rows, as a DBA puts them in: no host is contacted to list them.
    con.execute("INSERT INTO clusters (name, vip) VALUES ('orders', '10.77.0.200')")
    con.execute("INSERT INTO clusters (name, vip) VALUES ('billing', '10.77.0.201')")
    con.commit()
    con.close()
    assert complete([BIN, "start", "or"], config=str(cfg)) == ["orders"]
    assert sorted(complete([BIN, "-c", str(cfg), "list", ""])) == ["all", "billing", "orders"]


def test_check_config_good_and_broken(tmp_path):
    if not os.path.exists(BIN):
        pytest.skip(f"{BIN} is not built")
    cfg = tmp_path / "mhaadm.cnf"
    good = (f"[mhaadm]\nha_user = mha\nregistry_path = {tmp_path}/r.db\n"
            f"workdir = {tmp_path}/w\nlog_dir = {tmp_path}/l\n")
    cfg.write_text(good)
    os.chmod(cfg, 0o600)
    r = run([BIN, "-c", str(cfg), "daemon", "--check-config"])
    assert r.returncode == 1 and "mhaadm init" in r.stderr, r.stdout + r.stderr
    assert not os.path.exists(f"{tmp_path}/r.db") or os.path.getsize(f"{tmp_path}/r.db") == 0
    assert run([BIN, "-c", str(cfg), "init"]).returncode == 0
    r = run([BIN, "-c", str(cfg), "daemon", "--check-config"])
    assert r.returncode == 0 and "0 clusters to supervise" in r.stdout, r.stdout + r.stderr
    cfg.write_text(good + "ping_intervall = 3\n")
    r = run([BIN, "-c", str(cfg), "daemon", "--check-config"])
    assert r.returncode == 1 and "unknown key 'ping_intervall'" in r.stderr, r.stderr
    cfg.write_text(good)
    os.chmod(cfg, 0o666)
    r = run([BIN, "-c", str(cfg), "daemon", "--check-config"])
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr
