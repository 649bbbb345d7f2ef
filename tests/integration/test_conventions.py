# SPDX-License-Identifier: GPL-2.0-or-later
"""The conventions of a system tool: bash completion from the command table and the registry,
`daemon --check-config` (like nginx -t), SIGHUP reloading the configuration while a cluster
stays monitored, journald priorities on the daemon's lines, and --json on the read commands."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN, ROOT
from test_lifecycle import finish_cluster, make_cluster, mha_status, wait_for
from test_notify import Receiver

COMPLETION = os.path.join(ROOT, "completion", "mhaadm")


def plain_config(tmp_path, extra="", mode=0o600):
    """A config of its own in tmp_path: no lab needed for what only reads it and the registry."""
    path = tmp_path / "mhaadm.cnf"
    path.write_text(f"[mhaadm]\nha_user = mha\nregistry_path = {tmp_path}/registry.db\n"
                    f"workdir = {tmp_path}/work\nlog_dir = {tmp_path}/log\n{extra}")
    os.chmod(path, mode)
    return str(path)


def run(config, *args, timeout=60):
    env = dict(os.environ)
    env.pop("MHAADM_CONFIG", None)
    return subprocess.run([BIN, "-c", config, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def seed_clusters(tmp_path, rows):
    """Rows a DBA inserted (the seed workflow): (name, vip, state, desired)."""
    con = sqlite3.connect(str(tmp_path / "registry.db"))
    con.executemany("INSERT INTO clusters (name, vip, state, desired) VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()


def complete(words, bash_completion=False, config=None):
    """What bash offers for the command line `words` (the last word being completed)."""
    script = ""
    if bash_completion:
        script += "source /usr/share/bash-completion/bash_completion\n"
    script += f"""
source {COMPLETION}
complete -p mhaadm
COMP_WORDS=({" ".join("'" + w + "'" for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
_mhaadm mhaadm "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ)
    env.pop("MHAADM_CONFIG", None)
    if config:
        env["MHAADM_CONFIG"] = config
    env["PATH"] = os.path.dirname(BIN) + ":" + env["PATH"]
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "complete -F _mhaadm mhaadm", lines
    return [x for x in lines[1:] if x]


@pytest.mark.parametrize("bash_completion", [False, True], ids=["plain", "bash-completion"])
def test_completion(tmp_path, bash_completion):
    """Commands and options from the command table, cluster names from the registry; hidden
    internal commands are never offered."""
    if not os.path.basename(BIN) == "mhaadm":
        pytest.skip("completion runs the binary by its name mhaadm")
    if bash_completion and not os.path.exists("/usr/share/bash-completion/bash_completion"):
        pytest.skip("bash-completion is not installed")
    cfg = plain_config(tmp_path)
    assert run(cfg, "init").returncode == 0
    seed_clusters(tmp_path, [("orders", "10.77.0.200", "registered", "stopped"),
                             ("billing", "10.77.0.201", "registered", "stopped")])

    assert complete(["mhaadm", "li"], bash_completion) == ["list"]
    assert complete(["mhaadm", "his"], bash_completion) == ["history"]
    commands = complete(["mhaadm", ""], bash_completion)
    for c in ("init", "add", "list", "start", "daemon", "version"):
        assert c in commands, commands
    for hidden in ("complete", "hook", "engine", "fence", "watch"):
        assert hidden not in commands, commands
    assert complete(["mhaadm", "comp"], bash_completion) == []

    assert complete(["mhaadm", "list", "--js"], bash_completion) == ["--json"]
    assert complete(["mhaadm", "daemon", "--ch"], bash_completion) == ["--check-config"]
    assert "--limit" in complete(["mhaadm", "history", "--"], bash_completion)

    assert complete(["mhaadm", "-c", cfg, "start", "or"], bash_completion) == ["orders"]
    assert sorted(complete(["mhaadm", "-c", cfg, "list", ""], bash_completion)) == \
        ["all", "billing", "orders"]
    # Without -c, the config of $MHAADM_CONFIG, as mhaadm itself would use it.
    assert complete(["mhaadm", "stop", "bi"], bash_completion, config=cfg) == ["billing"]
    # Only the first operand is a cluster name.
    assert complete(["mhaadm", "-c", cfg, "del", "orders", ""], bash_completion) == []

    # The quiet call behind it: names only, and nothing that probes a host.
    r = run(cfg, "complete", "clusters")
    assert r.returncode == 0 and r.stdout.split() == ["billing", "orders"], r.stdout + r.stderr


def test_internal_commands_hidden_and_exact(tmp_path):
    cfg = plain_config(tmp_path)
    r = run(cfg, "help")
    assert r.returncode == 0
    for hidden in ("complete", "hook ", "engine", "fence", "watch", "notifier"):
        assert f"  {hidden}" not in r.stdout, r.stdout
    r = run(cfg, "comp", "commands")
    assert r.returncode == 2 and "unknown command: comp" in r.stderr
    # The notifier is a command of its own: no word of the public notify reaches it.
    r = run(cfg, "notify", "run")
    assert r.returncode == 2 and "unknown action 'run'" in r.stderr, r.stdout + r.stderr
    assert "list" in run(cfg, "complete", "commands").stdout.split()


def test_check_config_good_and_broken(tmp_path):
    cfg = plain_config(tmp_path)
    # A good config but no registry yet: the registry is part of the check.
    r = run(cfg, "daemon", "--check-config")
    assert r.returncode == 1 and "run 'mhaadm init' first" in r.stderr, r.stdout + r.stderr
    assert run(cfg, "init").returncode == 0
    seed_clusters(tmp_path, [("orders", "10.77.0.200", "monitoring", "monitored"),
                             ("billing", "10.77.0.201", "stopped", "stopped"),
                             ("audit", "10.77.0.202", "unprotected", "monitored")])
    r = run(cfg, "daemon", "--check-config")
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert f"config {cfg}: ok" in out
    assert "registry (sqlite): ok, 3 clusters" in out
    assert "would supervise: orders (engine mha" in out
    assert "not supervised: audit (unprotected; after repairing it run 'mhaadm start audit')" \
        in out
    assert "billing" not in out
    assert "1 cluster to supervise; the configuration is fine" in out
    # Nothing was started.
    assert not os.path.exists(tmp_path / "work" / "daemon.lock")

    # Broken: an unknown key (named FILE:LINE), a bad value, a world-readable password.
    broken = tmp_path / "b"
    broken.mkdir()
    cfg2 = plain_config(broken, "frobnicate = 1\n")
    r = run(cfg2, "daemon", "--check-config")
    assert r.returncode == 1 and f"{cfg2}:6: unknown key 'frobnicate'" in r.stderr, r.stderr
    assert r.stdout == ""
    cfg2 = plain_config(broken, "probe_interval = soon\n")
    r = run(cfg2, "daemon", "--check-config")
    assert r.returncode == 1 and "probe_interval" in r.stderr, r.stderr
    cfg2 = plain_config(broken, "ha_password = s3cret\n", mode=0o644)
    r = run(cfg2, "daemon", "--check-config")
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr
    # A MySQL registry that does not answer fails the check (the daemon itself would wait).
    cfg2 = plain_config(broken, "registry = mysql\nmysql_host = 127.0.0.1\nmysql_port = 1\n"
                        "mysql_user = nobody\nconnect_timeout = 1\n")
    r = run(cfg2, "daemon", "--check-config")
    assert r.returncode == 1 and "127.0.0.1" in r.stderr, r.stderr


def test_read_commands_have_json(tmp_path):
    cfg = plain_config(tmp_path)
    assert run(cfg, "init").returncode == 0
    assert json.loads(run(cfg, "version", "--json").stdout)["version"]
    assert json.loads(run(cfg, "list", "all", "--json", "--no-probe").stdout)["clusters"] == []
    assert json.loads(run(cfg, "history", "--json").stdout)["events"] == []
    # notify test --json: one object per channel with its outcome (a port nobody listens on).
    recv = Receiver()
    try:
        cfg = plain_config(tmp_path, f'[notify "a"]\ntype = webhook\n'
                           f"url = http://127.0.0.1:{recv.port}/a\n"
                           f'[notify "b"]\ntype = webhook\nurl = http://127.0.0.1:1/b\n'
                           f"timeout = 2\nretries = 0\n")
        r = run(cfg, "notify", "test", "--json")
        assert r.returncode == 1, r.stdout + r.stderr
        chans = {c["name"]: c for c in json.loads(r.stdout)["channels"]}
        assert chans["a"]["ok"] is True and chans["a"]["error"] is None
        assert chans["b"]["ok"] is False and chans["b"]["error"]
        assert len(recv.messages("/a")) == 1
    finally:
        recv.close()


def test_sighup_without_lab(tmp_path):
    """No host needed: a daemon over seeded rows; SIGHUP with the channel's URL changed sends
    the next event to the new URL only; a broken file and a changed registry are refused;
    the daemon's lines carry journald priorities (its stderr is a file)."""
    old_recv, new_recv = Receiver(), Receiver()
    base = "probe_interval = 0\n"
    cfg = plain_config(tmp_path, base + channel(old_recv, "/old"))
    assert run(cfg, "init").returncode == 0
    # Never to be monitored: the daemon starts no engine and contacts no host.
    seed_clusters(tmp_path, [("orders", "10.77.0.200", "registered", "stopped")])
    log_path = tmp_path / "daemon.log"
    log = open(log_path, "ab")
    env = dict(os.environ)
    env.pop("MHAADM_CONFIG", None)
    env.pop("JOURNAL_STREAM", None)
    proc = subprocess.Popen([BIN, "-c", cfg, "-v", "daemon"], stdout=log, stderr=log,
                            start_new_session=True, env=env)
    try:
        def text():
            return log_path.read_text()
        wait_for("the notifier", lambda: "mhaadm notify: started" in text(), timeout=30)
        assert run(cfg, "stop", "orders", "--no-wait").returncode == 0
        wait_for("cluster.stop at the old URL", lambda: any(
            x["type"] == "cluster.stop" for x in old_recv.messages("/old")), timeout=30)
        n_old = len(old_recv.messages("/old"))
        last_id = max(x["id"] for x in old_recv.messages("/old"))

        plain_config(tmp_path, base + channel(new_recv, "/new"))
        proc.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "notifier restarted" in text(), timeout=30)
        assert run(cfg, "stop", "orders", "--no-wait").returncode == 0
        wait_for("the next cluster.stop at the new URL", lambda: any(
            x["type"] == "cluster.stop" and x["id"] > last_id
            for x in new_recv.messages("/new")), timeout=30)
        assert len(old_recv.messages("/old")) == n_old

        # Refused: a broken file, another registry. The daemon runs on, the channel stays.
        plain_config(tmp_path, base + channel(new_recv, "/new") + "frobnicate = 1\n")
        proc.send_signal(signal.SIGHUP)
        wait_for("the refusal", lambda: "unknown key 'frobnicate'" in text(), timeout=30)
        (tmp_path / "mhaadm.cnf").write_text((tmp_path / "mhaadm.cnf").read_text().replace(
            "registry.db", "other.db").replace("frobnicate = 1\n", ""))
        proc.send_signal(signal.SIGHUP)
        wait_for("the second refusal", lambda: "registry settings changed" in text(),
                 timeout=30)
        assert proc.poll() is None

        t = text()
        assert re.search(r"^<5>mhaadm daemon: started \(pid ", t, re.M), t
        assert re.search(r"^<5>mhaadm daemon: configuration reloaded .*notifier restarted", t,
                         re.M), t
        assert re.search(r"^<3>mhaadm: error: reload refused, the running configuration "
                         r"stays: .*frobnicate", t, re.M), t
        assert re.search(r"^<5>mhaadm notify: started", t, re.M), t
        assert re.search(r"^<7>mhaadm: debug: ", t, re.M), t  # -v: the debug lines
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        old_recv.close()
        new_recv.close()


def daemon_log(m):
    return open(os.path.join(m.dir, "daemon.log")).read()


def engine_pid(m):
    return int(open(os.path.join(m.dir, "work", "mha", "c1", "engine.pid")).read().split()[0])


def channel(recv, path):
    return (f'\n[notify "ops"]\ntype = webhook\nurl = http://127.0.0.1:{recv.port}{path}\n'
            f"timeout = 5\n")


def test_sighup_reload_changes_channel_keeps_engine(fresh_lab, tmp_path):
    """SIGHUP with a changed notification channel while c1 is monitored: the engine keeps its
    pid and keeps monitoring, the next event goes to the new URL only; a broken file is
    refused and changes nothing. The daemon's lines carry journald priorities."""
    old_recv, new_recv = Receiver(), Receiver()
    m = make_cluster(fresh_lab, tmp_path)
    try:
        m.daemon.stop()
        base = open(m.config).read()
        with open(m.config, "a") as f:
            f.write(channel(old_recv, "/old"))
        m.daemon.start()
        m.ok("start", "c1", timeout=180)
        pid = engine_pid(m)
        wait_for("cluster.start at the old URL",
                 lambda: any(x["type"] == "cluster.start" for x in old_recv.messages("/old")),
                 timeout=60)
        n_old = len(old_recv.messages("/old"))

        # The same channel, another URL; then HUP.
        with open(m.config, "w") as f:
            f.write(base + channel(new_recv, "/new"))
        os.chmod(m.config, 0o600)
        m.daemon.proc.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "configuration reloaded" in daemon_log(m), timeout=30)
        assert "notifier restarted" in daemon_log(m)
        last_id = max(e["id"] for e in m.events("c1"))
        m.ok("start", "c1", "--no-wait")  # already monitored: only the event cluster.start
        wait_for("the new cluster.start at the new URL",
                 lambda: any(x["type"] == "cluster.start" and x["id"] > last_id
                             for x in new_recv.messages("/new")), timeout=60)
        time.sleep(2)
        assert len(old_recv.messages("/old")) == n_old, old_recv.messages("/old")
        assert not any(x["id"] > last_id for x in old_recv.messages("/old"))
        assert m.daemon.proc.poll() is None
        assert engine_pid(m) == pid
        os.kill(pid, 0)
        assert "PING_OK" in mha_status(m).stdout
        (c,) = m.clusters()
        assert c["state"] == "monitoring"

        # A file that does not load: refused, the running configuration stays.
        with open(m.config, "a") as f:
            f.write("frobnicate = 1\n")
        m.daemon.proc.send_signal(signal.SIGHUP)
        wait_for("the refusal", lambda: "reload refused" in daemon_log(m), timeout=30)
        assert m.daemon.proc.poll() is None and engine_pid(m) == pid
        assert "PING_OK" in mha_status(m).stdout

        # Not a terminal: every daemon line starts with its journald priority.
        log = daemon_log(m)
        assert re.search(r"^<5>mhaadm daemon: started \(pid ", log, re.M), log
        assert re.search(r"^<5>mhaadm daemon: configuration reloaded", log, re.M), log
        assert re.search(r"^<3>mhaadm: error: reload refused, the running configuration "
                         r"stays: .*frobnicate", log, re.M), log
        assert re.search(r"^<6>\S+ \S+ mhaadm: event cluster=c1 engine.started", log, re.M), log
        assert re.search(r"^<5>mhaadm notify: started", log, re.M), log
    finally:
        finish_cluster(m)
        old_recv.close()
        new_recv.close()
