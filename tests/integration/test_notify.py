# SPDX-License-Identifier: GPL-2.0-or-later
"""Notifications: `notify test` against a local HTTP receiver, SMTP sink and command, and a
real lab failover delivered to a signed webhook and to e-mail while another webhook hangs."""
import hashlib
import hmac
import http.server
import json
import os
import socket
import stat
import threading
import warnings

import pytest

from conftest import BIN  # noqa: F401  (the binary the tests run)
from test_lifecycle import events, failover, finish_cluster, make_cluster, wait_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore
    import smtpd  # stdlib in 3.11: a local SMTP sink without anything from PyPI

SECRET = "hook-s3cret;#x"
VIP = "10.77.0.100"


class Receiver:
    """A threaded HTTP receiver on 127.0.0.1: keeps every POST (path, headers, body)."""

    def __init__(self, on_post=None):
        self.posts = []
        self.on_post = on_post
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.posts.append((self.path, dict(self.headers), body))
                if outer.on_post:
                    outer.on_post(self.path, json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def messages(self, path="/"):
        return [json.loads(b) for p, _, b in self.posts if p.startswith(path)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Hanging:
    """Accepts a request and never answers; logs when each request came and was given up."""

    def __init__(self, log):
        self.log = log
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.hold, args=(c,), daemon=True).start()

    def hold(self, c):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return
            data += chunk
        event = "?"
        for line in data.split(b"\r\n"):
            if line.lower().startswith(b"x-mhaadm-event:"):
                event = line.split(b":", 1)[1].strip().decode()
        self.log.append(("slow-request", event))
        try:
            while c.recv(65536):
                pass  # never answer; wait for the client to give up
        except OSError:
            pass
        self.log.append(("slow-given-up", event))

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


class SmtpSink(smtpd.SMTPServer):
    """Keeps every mail (from, to, data)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), None, decode_data=False)
        self.port = self.socket.getsockname()[1]
        self.mails = []
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1},
                                       daemon=True)
        self.thread.start()

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        self.mails.append((mailfrom, rcpttos, data.decode("utf-8", "replace")))

    def subjects(self):
        out = []
        for _, _, data in self.mails:
            for line in data.splitlines():
                if line.startswith("Subject: "):
                    out.append(line[len("Subject: "):])
        return out


@pytest.fixture
def servers():
    order = []
    fast = Receiver(on_post=lambda path, m: order.append(("fast", m["type"]))
                    if path.startswith("/hook") else None)
    slow = Hanging(order)
    sink = SmtpSink()
    yield fast, slow, sink, order
    fast.close()
    slow.close()
    sink.close()


def signature_ok(headers, body):
    want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return headers.get("X-Mhaadm-Signature") == want


def channels(fast, sink, slow=None, fast_events="failover.*, vip.*"):
    text = (f'\n[notify "ops-hook"]\ntype = webhook\nurl = http://127.0.0.1:{fast.port}/hook?k=TOKEN1\n'
            f"secret = {SECRET}\nevents = {fast_events}\ntimeout = 5\n"
            f"\n[notify.mail]\ntype = smtp\nurl = smtp://127.0.0.1:{sink.port}\ntls = none\n"
            f"from = mhaadm@example.org\nto = dba@example.org, oncall@example.org\n"
            f"events = failover.completed, vip.moved\n"
            f"\n[notify.ding]\ntype = dingtalk\n"
            f"url = http://127.0.0.1:{fast.port}/robot/send?access_token=TOKEN2\n"
            f"secret = SECding\nevents = vip.moved\n")
    if slow is not None:
        text += (f"\n[notify.slow]\ntype = webhook\nurl = http://127.0.0.1:{slow.port}/hang\n"
                 f"events = vip.*\ntimeout = 5\nretries = 0\n")
    return text


def write_config(path, extra, mode=0o600):
    with open(path, "w") as f:
        f.write(f"ha_user = mha\nregistry_path = {os.path.dirname(path)}/registry.db\n"
                f"workdir = {os.path.dirname(path)}/work\nlog_dir = {os.path.dirname(path)}/log\n")
        f.write(extra)
    os.chmod(path, mode)


def run(config, *args):
    import subprocess
    env = dict(os.environ)
    env.pop("MHAADM_CONFIG", None)
    return subprocess.run([BIN, "-c", config, *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_notify_test_every_channel(servers, tmp_path):
    """`notify test` reaches the webhook (signed), DingTalk (signed URL), e-mail and a command;
    a channel that fails is named with the reason and exit 1; no token is printed."""
    if os.geteuid() != 0:
        pytest.skip("the command channel needs a root-owned script")
    fast, slow, sink, _ = servers
    out = tmp_path / "cmd.out"
    script = tmp_path / "notify-cmd.sh"
    script.write_text("#!/bin/sh\n"
                      f'printf "%s|%s|%s|%s\\n" "$1" "$2" "$MHAADM_EVENT_TYPE" "$MHAADM_TEST" > {out}\n')
    os.chmod(script, 0o755)
    os.chmod(tmp_path, 0o755)
    cfg = str(tmp_path / "mhaadm.cnf")
    write_config(cfg, channels(fast, sink) +
                 f"\n[notify.script]\ntype = command\ncommand = {script}\n"
                 "\n[notify.down]\ntype = slack\nurl = http://127.0.0.1:1/services/TOKEN3\n"
                 "timeout = 2\n")
    r = run(cfg, "notify", "test")
    assert r.returncode == 1, r.stdout + r.stderr
    for ch in ("'ops-hook' (webhook): ok", "'mail' (smtp): ok", "'ding' (dingtalk): ok",
               "'script' (command): ok"):
        assert f"channel {ch}" in r.stdout, r.stdout
    assert "channel 'down' (slack): FAILED: 127.0.0.1: " in r.stdout, r.stdout
    assert "1 of 5 channels failed" in r.stderr
    for token in ("TOKEN1", "TOKEN2", "TOKEN3", SECRET, "SECding"):
        assert token not in r.stdout + r.stderr

    (path, headers, body), = [p for p in fast.posts if p[0].startswith("/hook")]
    assert signature_ok(headers, body)
    msg = json.loads(body)
    assert msg["schema"] == "mhaadm.notify/1" and msg["type"] == "notify.test" and msg["test"]
    (path, _, body), = [p for p in fast.posts if p[0].startswith("/robot")]
    assert "access_token=TOKEN2&timestamp=" in path and "&sign=" in path
    assert json.loads(body)["msgtype"] == "text"
    wait_for("the test mail", lambda: sink.mails, timeout=10)
    mailfrom, rcpt, data = sink.mails[0]
    assert mailfrom == "mhaadm@example.org"
    assert sorted(rcpt) == ["dba@example.org", "oncall@example.org"]
    assert "[mhaadm] TEST" in sink.subjects()[0]
    assert out.read_text().strip() == "notify.test|-|notify.test|1"

    # One channel only.
    r = run(cfg, "notify", "test", "ops-hook")
    assert r.returncode == 0 and r.stdout.count("channel ") == 1, r.stdout + r.stderr
    r = run(cfg, "notify", "test", "nosuch")
    assert r.returncode == 1 and "no channel 'nosuch'" in r.stderr

    # A command that others could change is refused before it runs.
    os.chmod(script, 0o777)
    r = run(cfg, "notify", "test", "script")
    assert r.returncode == 1 and "writable by nobody else" in r.stdout, r.stdout


def test_bad_channel_config_is_refused(servers, tmp_path):
    fast, slow, sink, _ = servers
    cfg = str(tmp_path / "mhaadm.cnf")
    write_config(cfg, '\n[notify "w"]\ntype = wecom\nurl = https://qyapi.example/x\nsecret = s\n')
    r = run(cfg, "notify", "test")
    assert r.returncode == 1
    assert "mhaadm.cnf:9: secret is not a key of a wecom channel ('w')" in r.stderr, r.stderr
    # A channel secret makes the file owner-only, like a password.
    write_config(cfg, channels(fast, sink), mode=0o644)
    r = run(cfg, "notify", "test")
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr
    assert not fast.posts and not sink.mails


def test_failover_notifications(fresh_lab, tmp_path, servers):
    """A real failover reaches the signed webhook, DingTalk and e-mail with cluster, old and
    new master and VIP; a webhook that hangs holds back neither the VIP move nor the others."""
    fast, slow, sink, order = servers
    m = make_cluster(fresh_lab, tmp_path)
    try:
        # make_cluster started the daemon with the plain config; add the channels.
        m.daemon.stop()
        with open(m.config, "a") as f:
            f.write(channels(fast, sink, slow))
        m.daemon.start()
        m.ok("start", "c1", timeout=180)
        old, new, _ = failover(m, m.lab)
        old_host, new_host = old.split(":")[0], new.split(":")[0]

        def got(t):
            return [x for x in fast.messages("/hook") if x["type"] == t]

        wait_for("failover.completed at the webhook", lambda: got("failover.completed"),
                 timeout=60)
        for t in ("failover.started", "vip.moved", "failover.master_changed",
                  "failover.completed"):
            assert len(got(t)) == 1, (t, [x["type"] for x in fast.messages("/hook")])
        for path, headers, body in fast.posts:
            if path.startswith("/hook"):
                assert signature_ok(headers, body), headers
        moved = got("vip.moved")[0]
        assert moved["cluster"] == "c1" and moved["vip"] == f"{VIP}/24"
        assert moved["old_master"] == old_host and moved["new_master"] == new_host
        assert moved["severity"] == "warning" and moved["time"].endswith("Z")
        assert "moved from" in moved["summary"]
        changed = got("failover.master_changed")[0]
        assert changed["old_master"] == old and changed["new_master"] == new
        assert got("failover.completed")[0]["new_master"] == new_host
        # Only the events the filter asked for.
        assert {x["type"].split(".")[0] for x in fast.messages("/hook")} <= {"failover", "vip"}

        robot = [json.loads(b) for p, _, b in fast.posts if p.startswith("/robot")]
        assert any("vip.moved" in r["text"]["content"] and new_host in r["text"]["content"]
                   for r in robot), robot

        wait_for("two mails", lambda: len(sink.mails) >= 2, timeout=60)
        subjects = sink.subjects()
        assert any("c1 vip.moved" in s for s in subjects), subjects
        assert any("c1 failover.completed" in s for s in subjects), subjects
        mail = next(d for _, _, d in sink.mails if "vip.moved" in d)
        assert f"VIP         {VIP}/24" in mail and f"old master  {old_host}" in mail

        # The hanging channel: its vip.moved delivery is given up and recorded as an event...
        def slow_failures():
            return [e for e in m.events("c1") if e["type"] == "notify.failed" and
                    "channel 'slow'" in e["message"] and "vip.moved" in e["message"]]
        wait_for("the slow channel's notify.failed for vip.moved", slow_failures, timeout=90)
        ev = m.events("c1")
        vip_id = next(e["id"] for e in ev if e["type"] == "vip.moved")
        assert vip_id < slow_failures()[0]["id"]
        assert "failover.completed" in events(m)
        # ...and the fast channel had vip.moved before the slow one gave up on it.
        assert ("slow-given-up", "vip.moved") in order
        assert order.index(("fast", "vip.moved")) < order.index(("slow-given-up", "vip.moved"))
        # Failed deliveries are visible in history and in list NAME.
        assert "notify.failed" in m.ok("history", "c1").stdout
        r = m.run("list", "c1", timeout=120)
        assert r.returncode in (0, 3), r.stderr
        detail = r.stdout
        assert "notify:   last failed delivery" in detail and "channel 'slow'" in detail, detail
        (c,) = m.clusters()
        assert "channel 'slow'" in c["last_notify_failure"]["message"]

        # Nothing any channel received holds a password.
        texts = [b.decode() for _, _, b in fast.posts] + [d for _, _, d in sink.mails]
        for secret in (m.lab.mha_password, m.lab.env["LAB_REPL_PASSWORD"]):
            assert not any(secret in t for t in texts)
    finally:
        finish_cluster(m)
