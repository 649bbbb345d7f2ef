# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package: built from a copy of the tree (dpkg-buildpackage -us -uc -b, nocheck),
checked by lintian, installed with dpkg -i, used with its own config (version, init, list),
reinstalled over a DBA's edit, then purged: nothing it created is left, a DBA's file is."""
import grp
import os
import pwd
import shutil
import stat
import subprocess

import pytest

from conftest import ROOT

SBIN = "/usr/sbin/mhaadm"
CONFFILE = "/etc/mhaadm/mhaadm.cnf"
# Everything the package or mhaadm (with the packaged config) creates on this machine.
CREATED = [SBIN, CONFFILE, "/etc/mhaadm", "/var/lib/mhaadm", "/var/log/mhaadm",
           "/lib/systemd/system/mhaadm.service", "/usr/share/man/man8/mhaadm.8.gz",
           "/usr/share/bash-completion/completions/mhaadm", "/usr/share/doc/mhaadm",
           "/etc/systemd/system/multi-user.target.wants/mhaadm.service"]
BUILD_TIMEOUT = 900  # seconds; about 25 s on this machine's 2 cores (nocheck)


def sh(*args, timeout=120, check=True, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert r.returncode == 0, f"{args}: rc={r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def installed():
    r = sh("dpkg-query", "-W", "-f=${Status}", "mhaadm", check=False)
    return r.returncode == 0 and "installed" in r.stdout and "not-installed" not in r.stdout


def skip_unless_possible():
    if os.geteuid() != 0:
        pytest.skip("installing a package needs root")
    for tool in ("dpkg-buildpackage", "dh", "lintian"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/install-deps.sh)")
    if installed() or any(os.path.lexists(p) for p in CREATED):
        pytest.skip("mhaadm is already installed on this machine: not touching it")


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """Builds the package from a copy of the tree: nothing is written into the repository."""
    skip_unless_possible()
    work = tmp_path_factory.mktemp("deb")
    src = work / "mhaadm"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "build", "build-*", "obj-*", "__pycache__", ".lab", "findings"))
    # Any debhelper leftovers of a build someone ran in the tree itself.
    for p in ("debian/.debhelper", "debian/mhaadm", "debian/files"):
        shutil.rmtree(src / p, ignore_errors=True)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
    # In a network namespace of its own (no interface up): the build needs no network.
    nonet = ["unshare", "-n"] if shutil.which("unshare") else []
    r = sh(*nonet, "dpkg-buildpackage", "-us", "-uc", "-b", cwd=src, env=env,
           timeout=BUILD_TIMEOUT, check=False)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    (path,) = [p for p in work.glob("mhaadm_*.deb")]
    (changes,) = list(work.glob("mhaadm_*.changes"))
    return {"deb": str(path), "changes": str(changes), "dir": work}


def test_lintian_no_errors(deb):
    r = sh("lintian", "--no-tag-display-limit", deb["changes"], check=False, timeout=300)
    tags = [ln for ln in r.stdout.splitlines() if ln[:2] in ("E:", "W:")]
    errors = [ln for ln in tags if ln.startswith("E:")]
    assert not errors, r.stdout
    # The two warnings there are carry overrides with their reasons
    # (debian/mhaadm.lintian-overrides); anything new shows here.
    assert not tags, r.stdout


def test_package_contents_and_metadata(deb):
    info = sh("dpkg-deb", "-f", deb["deb"], "Depends", "Recommends", "Suggests").stdout
    depends = info.split("Recommends:")[0]
    for lib in ("libmariadb3", "libsqlite3-0", "libssh-4", "libcurl4", "libjson-c5"):
        assert lib in depends, info
    for pkg in ("mha4mysql-manager", "mha4mysql-node", "arping"):
        assert pkg in info.split("Recommends:")[1], info
    assert "prometheus" in info.split("Suggests:")[1], info
    assert "mha4mysql" not in depends and "prometheus" not in depends
    listing = sh("dpkg-deb", "-c", deb["deb"]).stdout
    for path in ("./usr/sbin/mhaadm", "./usr/share/man/man8/mhaadm.8.gz",
                 "./lib/systemd/system/mhaadm.service",
                 "./usr/share/bash-completion/completions/mhaadm",
                 "./usr/share/doc/mhaadm/examples/mhaadm.cnf.example",
                 "./usr/share/doc/mhaadm/README.md.gz"):
        assert path in listing, listing
    line = next(ln for ln in listing.splitlines() if ln.endswith("./etc/mhaadm/mhaadm.cnf"))
    assert line.startswith("-rw------- root/root"), line
    ctrl = deb["dir"] / "ctrl"
    sh("dpkg-deb", "-e", deb["deb"], str(ctrl))
    assert open(ctrl / "conffiles").read().split() == [CONFFILE]
    # Upgrade with the daemon running (under systemd; this machine has none, so the
    # maintainer scripts are read): nothing stops it before the upgrade, the postinst only
    # try-restarts a running daemon, and KillMode=process keeps the engines through that.
    preinst = ctrl / "preinst"
    assert not preinst.exists() or "stop" not in preinst.read_text()
    postinst = (ctrl / "postinst").read_text()
    assert "deb-systemd-invoke try-restart 'mhaadm.service'" in postinst, postinst
    assert "deb-systemd-invoke start" not in postinst and "invoke restart" not in postinst
    prerm = (ctrl / "prerm").read_text()
    assert 'if [ "$1" = "remove" ]' in prerm and prerm.count("deb-systemd-invoke stop") == 1
    unitdir = deb["dir"] / "fs"
    sh("dpkg-deb", "-x", deb["deb"], str(unitdir))
    unit = (unitdir / "lib/systemd/system/mhaadm.service").read_text()
    assert "KillMode=process" in unit and "ExecReload=/bin/kill -HUP $MAINPID" in unit


def leftovers():
    return [p for p in CREATED if os.path.lexists(p)] + \
        [p for d in ("/var/lib/systemd/deb-systemd-helper-enabled",
                     "/var/lib/systemd/deb-systemd-helper-masked")
         for p in (os.path.join(d, "mhaadm.service.dsh-also"), os.path.join(d, "mhaadm.service"))
         if os.path.lexists(p)]


def test_install_use_reinstall_purge(deb):
    env = dict(os.environ)
    env.pop("MHAADM_CONFIG", None)  # the packaged /etc/mhaadm/mhaadm.cnf
    dba_file = "/etc/mhaadm/notes-by-the-dba.txt"
    try:
        sh("dpkg", "-i", deb["deb"], timeout=300)
        assert installed()
        st = os.stat(CONFFILE)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        assert pwd.getpwuid(st.st_uid).pw_name == "root"
        assert grp.getgrgid(st.st_gid).gr_name == "root"
        for d in ("/var/lib/mhaadm", "/var/log/mhaadm"):
            st = os.stat(d)
            assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 0, (d, oct(st.st_mode))

        r = sh(SBIN, "version", env=env)
        assert r.stdout.startswith("mhaadm "), r.stdout
        r = sh(SBIN, "init", env=env)
        assert "/var/lib/mhaadm/registry.db" in r.stdout + r.stderr
        r = sh(SBIN, "list", env=env)
        assert "no clusters registered" in r.stdout, r.stdout
        r = sh(SBIN, "daemon", "--check-config", env=env)
        assert f"config {CONFFILE}: ok" in r.stdout, r.stdout
        # man finds the page, bash finds the completion.
        assert "mhaadm" in sh("man", "-w", "mhaadm", check=False).stdout
        r = sh("bash", "-c", "source /usr/share/bash-completion/completions/mhaadm && "
               "complete -p mhaadm")
        assert "_mhaadm" in r.stdout

        # A DBA's edit of the conffile survives a reinstall (upgrade path), mode included.
        with open(CONFFILE, "a") as f:
            f.write("max_lag = 30\n")
        sh("dpkg", "-i", "--force-confold", deb["deb"], timeout=300)
        assert "max_lag = 30" in open(CONFFILE).read()
        assert stat.S_IMODE(os.stat(CONFFILE).st_mode) == 0o600
        assert os.path.exists("/var/lib/mhaadm/registry.db")  # state survives an upgrade

        # Removal keeps the conffile and the state; purge leaves nothing.
        sh("dpkg", "--remove", "mhaadm", timeout=300)
        assert not os.path.exists(SBIN) and os.path.exists(CONFFILE)
        assert os.path.exists("/var/lib/mhaadm/registry.db")
        sh("dpkg", "--purge", "mhaadm", timeout=300)
        assert not installed()
        assert leftovers() == []

        # Purge takes what the package and mhaadm made, never a DBA's own file.
        sh("dpkg", "-i", deb["deb"], timeout=300)
        sh(SBIN, "init", env=env)
        with open(dba_file, "w") as f:
            f.write("a DBA's own file\n")
        r = sh("dpkg", "--purge", "mhaadm", timeout=300)
        assert "kept /etc/mhaadm" in r.stdout + r.stderr
        assert open(dba_file).read() == "a DBA's own file\n"
        assert [p for p in leftovers() if p != "/etc/mhaadm"] == []
        os.unlink(dba_file)
        os.rmdir("/etc/mhaadm")
    finally:
        if os.path.exists(dba_file):
            os.unlink(dba_file)
        sh("dpkg", "--purge", "mhaadm", check=False, timeout=300)
    assert leftovers() == []
