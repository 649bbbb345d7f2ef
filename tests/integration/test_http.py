# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon's HTTP listener in the lab: a real Prometheus (Debian's) scraping /metrics and
answering a query for mhaadm_cluster_ok, promtool on a scrape, a failover raising
mhaadm_failovers_total, the API documents matching list --json, the fleet page rendered by
headless Chromium, and the listener's refusals (method, body, malformed requests, token, TLS)."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import BIN, Mhaadm
from test_lifecycle import Daemon, failover, finish_cluster, make_cluster, wait_for

TOKEN = "t0k3n-for-the-lab-0123456789"


def free_port(addr="127.0.0.1"):
    s = socket.socket()
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def need(*programs):
    for p in programs:
        if shutil.which(p) is None:
            pytest.skip(f"{p} is not installed (scripts/install-deps.sh installs it)")


def get(url, token=None, method="GET", data=None, context=None):
    """(status, headers, body) of one request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, method=method, data=data)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def raw(addr, port, data):
    """Sends bytes as they are and returns the status line of the answer ('' when closed)."""
    buf = b""
    try:
        with socket.create_connection((addr, port), timeout=10) as s:
            s.sendall(data)
            while b"\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass  # the listener gave up on us: as good as a refusal
    return buf.split(b"\r\n")[0].decode(errors="replace")


def closed(s):
    """Whether the peer closes the connection without answering (waits up to 30 s)."""
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    finally:
        s.close()


# Values that differ between two probes a few seconds apart, or by how they were made: list
# (the fleet view) reads the VIP holders from the status pass's cache and says how old they
# are; the API serves that pass itself.
VOLATILE = {"generated_at", "vip_holders_age", "seconds_behind_master",
            "relay_log_behind_bytes", "max_lag", "updated_at"}


def stable(doc):
    if isinstance(doc, dict):
        return {k: stable(v) for k, v in doc.items() if k not in VOLATILE}
    if isinstance(doc, list):
        return [stable(v) for v in doc]
    return doc


def metric(text, name, **labels):
    """The value of one sample of a scrape, or None."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        have = ",".join(sorted((m.group(2) or "").split(","))) if m.group(2) else ""
        if have == want:
            return float(m.group(3))
    return None


class Prometheus:
    """Debian's prometheus with its own config and data dir, on a free loopback port."""

    def __init__(self, tmp_path, target):
        self.port = free_port()
        self.dir = tmp_path / "prometheus"
        self.dir.mkdir()
        conf = self.dir / "prometheus.yml"
        conf.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                        "scrape_configs:\n  - job_name: mhaadm\n    static_configs:\n"
                        f"      - targets: ['{target}']\n")
        self.log = open(self.dir / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=self.log, start_new_session=True)

    def query(self, q):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        try:
            status, _, body = get(url)
        except OSError:
            return None
        if status != 200:
            return None
        return json.loads(body)["data"]["result"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)
        self.log.close()


def chromium(tmp_path, url, *args):
    profile = tmp_path / "chromium-profile"
    r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                        "--virtual-time-budget=8000", *args, url],
                       capture_output=True, text=True, timeout=120)
    return r


@pytest.fixture
def http_cluster(fresh_lab, tmp_path):
    port = free_port()
    m = make_cluster(fresh_lab, tmp_path, http_listen=f"127.0.0.1:{port}", probe_interval="2",
                     http_per_ip="8", http_timeout="3")
    m.base = f"http://127.0.0.1:{port}"
    m.port = port
    yield m
    finish_cluster(m)


def test_metrics_api_page_prometheus_and_failover(http_cluster, tmp_path):
    need("prometheus", "promtool", "chromium")
    m = http_cluster
    m.ok("start", "c1", timeout=180)

    def fleet():
        status, _, body = get(m.base + "/api/v1/clusters")
        return json.loads(body) if status == 200 else None

    wait_for("the status pass to find c1 ok", lambda: (fleet() or {}).get("clusters") and
             fleet()["clusters"][0].get("verdict") == "ok", timeout=120)

    # The API serves the documents list --json prints.
    mine = wait_for("list and the API to agree", lambda: (
        stable(m.status()) == stable(fleet()) and fleet()), timeout=60, interval=1)
    assert mine["probed"] is True and mine["clusters"][0]["name"] == "c1"
    status, _, one = get(m.base + "/api/v1/clusters/c1")
    assert status == 200
    assert stable(json.loads(one)) == stable(m.status("c1"))
    assert get(m.base + "/api/v1/clusters/nope")[0] == 404
    status, _, health = get(m.base + "/api/v1/health")
    assert status == 200 and json.loads(health)["status"] == "ok"
    status, _, evs = get(m.base + "/api/v1/events?since=0&cluster=c1")
    evs = json.loads(evs)
    assert status == 200 and "cluster.start" in [e["type"] for e in evs["events"]]
    assert evs["next_since"] >= max(e["id"] for e in evs["events"])
    hist = json.loads(m.ok("history", "c1", "--json").stdout)["events"]
    assert sorted(evs["events"], key=lambda e: e["id"]) == sorted(
        [e for e in hist if e["id"] > 0], key=lambda e: e["id"])[-len(evs["events"]):]
    # No secret reaches any answer.
    for path in ("/metrics", "/api/v1/clusters", "/api/v1/clusters/c1", "/api/v1/health",
                 "/api/v1/events?since=0", "/"):
        body = get(m.base + path)[2]
        for secret in (m.lab.mha_password, m.lab.env["LAB_REPL_PASSWORD"]):
            assert secret not in body, path

    # The exposition passes promtool and has the families the issue names.
    status, headers, text = get(m.base + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    scrape = tmp_path / "scrape.txt"
    scrape.write_text(text)
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    for family in ("mhaadm_cluster_ok", "mhaadm_cluster_protected", "mhaadm_failovers_total",
                   "mhaadm_last_failover_timestamp_seconds", "mhaadm_failover_duration_seconds",
                   "mhaadm_replica_lag_seconds", "mhaadm_node_up", "mhaadm_vip_holders",
                   "mhaadm_engine_up", "mhaadm_notifications_total", "mhaadm_build_info"):
        assert f"# TYPE {family} " in text, family
    assert metric(text, "mhaadm_cluster_ok", cluster="c1") == 1
    assert metric(text, "mhaadm_cluster_protected", cluster="c1") == 1
    assert metric(text, "mhaadm_engine_up", cluster="c1", engine="mha") == 1
    assert metric(text, "mhaadm_vip_holders", cluster="c1") == 1
    assert metric(text, "mhaadm_node_up", cluster="c1", node="10.77.0.12:3306") == 1
    assert metric(text, "mhaadm_replica_lag_seconds", cluster="c1", node="10.77.0.12:3306") == 0
    assert metric(text, "mhaadm_failovers_total", cluster="c1", result="success") == 0

    # A real Prometheus scrapes it and answers a query through its own HTTP API.
    prom = Prometheus(tmp_path, f"127.0.0.1:{m.port}")
    try:
        res = wait_for("Prometheus to answer mhaadm_cluster_ok", lambda: prom.query(
            'mhaadm_cluster_ok{cluster="c1"}'), timeout=90, interval=1)
        assert res[0]["value"][1] == "1", res
        up = prom.query('up{job="mhaadm"}')
        assert up and up[0]["value"][1] == "1", up

        # The page, as a browser renders it after its script ran.
        shot = tmp_path / "fleet.png"
        r = chromium(tmp_path, m.base + "/", f"--screenshot={shot}", "--window-size=1280,900")
        assert shot.exists() and shot.stat().st_size > 5000, r.stdout + r.stderr
        r = chromium(tmp_path, m.base + "/", "--dump-dom")
        assert r.returncode == 0, r.stderr
        row = re.search(r'<tr class="clickable" data-cluster="c1" data-verdict="ok">(.*?)</tr>',
                        r.stdout, re.S)
        assert row, r.stdout
        assert "10.77.0.11:3306" in row.group(1) and "master" in row.group(1)
        phone = tmp_path / "cluster-phone.png"
        chromium(tmp_path, m.base + "/#/cluster/c1", f"--screenshot={phone}",
                 "--window-size=390,1200")
        r = chromium(tmp_path, m.base + "/#/cluster/c1", "--dump-dom")
        assert 'data-node="10.77.0.12:3306"' in r.stdout and "cluster.start" in r.stdout, r.stdout
        print(f"screenshots: {shot} {phone}")

        # A failover raises mhaadm_failovers_total, in the scrape and in Prometheus.
        old, new, w = failover(m, m.lab)
        text = wait_for("the failover in /metrics", lambda: (
            lambda t: t if metric(t, "mhaadm_failovers_total", cluster="c1",
                                  result="success") == 1 else None)(get(m.base + "/metrics")[2]),
            timeout=60)
        assert metric(text, "mhaadm_last_failover_timestamp_seconds", cluster="c1") > 0
        assert metric(text, "mhaadm_last_failover_duration_seconds", cluster="c1") >= 0
        assert metric(text, "mhaadm_failover_duration_seconds_count") == 1
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        res = wait_for("Prometheus to see the failover", lambda: prom.query(
            'mhaadm_failovers_total{cluster="c1",result="success"} == 1'), timeout=60, interval=1)
        assert res, res
    finally:
        prom.stop()

    # Refusals: other methods, a body, malformed requests, bad arguments.
    status, headers, _ = get(m.base + "/metrics", method="POST", data=b"x=1")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert get(m.base + "/metrics", method="DELETE")[0] == 405
    assert get(m.base + "/api/v1/events?since=abc")[0] == 400
    assert get(m.base + "/api/v1/events?since=1&limit=100000")[0] == 400
    assert get(m.base + "/api/v1/events?cluster=../etc")[0] == 400
    assert get(m.base + "/nothing")[0] == 404
    # Not HTTP at all: closed without an answer (libmicrohttpd) or 400.
    assert raw("127.0.0.1", m.port, b"GARBAGE\r\n\r\n") in ("", "HTTP/1.1 400 Bad Request")
    assert raw("127.0.0.1", m.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3"
               b"\r\n\r\nabc").split(" ")[1] == "400"
    big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"
    line = raw("127.0.0.1", m.port, big)
    assert line == "" or line.split(" ")[1] in ("413", "431", "400"), line
    # A client that opens connections and sends nothing holds http_per_ip of them, no more,
    # and each only until http_timeout; the listener keeps answering others meanwhile.
    idle = [socket.create_connection(("127.0.0.1", m.port), timeout=30) for _ in range(8)]
    extra = socket.create_connection(("127.0.0.1", m.port), timeout=30)
    assert closed(extra)  # refused: closed without an answer
    for s in idle:
        assert closed(s)  # closed by the listener after http_timeout
    # The listener still answers after all that. libmicrohttpd frees a timed-out
    # connection's per-IP slot in its next pass, so a request sent the same instant may
    # still be refused (CI saw one reset): answered within a few seconds is the claim.
    def health():
        try:
            return get(m.base + "/api/v1/health")[0] == 200
        except (ConnectionError, urllib.error.URLError):
            return False

    wait_for("the listener to answer again", health, timeout=10, interval=0.2)


def write_secret(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def test_token_tls_and_refused_configs(lab, tmp_path):
    """Off loopback a token is required, then every request needs it; TLS with the library's
    GnuTLS; a token file others can read stops the daemon from starting."""
    need("openssl")
    token = tmp_path / "http.token"
    write_secret(token, TOKEN + "\n")
    addr = "10.77.0.1"  # the lab bridge's address in the root namespace: not loopback
    port = free_port(addr)

    m = Mhaadm(lab, tmp_path, http_listen=f"{addr}:{port}")
    r = m.run("init")
    assert r.returncode == 1 and "is not a loopback address: set http_token_file" in r.stderr

    m.keys["http_token_file"] = str(token)
    m.write_config()
    m.ok("init")
    d = Daemon(m)
    d.start()
    try:
        base = f"http://{addr}:{port}"
        status, headers, body = get(base + "/metrics")
        assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
        assert TOKEN not in body
        assert get(base + "/metrics", token="wrong")[0] == 401
        assert get(base + "/metrics", token=TOKEN[:-1])[0] == 401
        assert get(base + "/metrics", token=TOKEN + "x")[0] == 401
        assert get(base + "/", token="")[0] == 401
        status, _, body = get(base + "/metrics", token=TOKEN)
        assert status == 200 and "mhaadm_build_info" in body
        # 503 until the supervisor's first tick reaches the listener (about a second).
        wait_for("health to be ok", lambda: get(base + "/api/v1/health", token=TOKEN)[0] == 200,
                 timeout=30)
        # Refusals come before anything else is looked at, and never echo the token.
        status, _, body = get(base + "/metrics", token="wrong", method="POST", data=b"a")
        assert status in (401, 405) and "wrong" not in body
    finally:
        d.stop()
        d.log.close()

    # A token file others can read: the daemon refuses to start and says how to fix it.
    os.chmod(token, 0o644)
    r = subprocess.run([BIN, "-c", m.config, "daemon"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "fix: chmod 600" in r.stderr, r.stderr
    os.chmod(token, 0o600)

    # TLS: a self-signed certificate; the key must be 0600 too.
    cert, key = tmp_path / "http.crt", tmp_path / "http.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=10.77.0.1", "-addext", "subjectAltName=IP:10.77.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    os.chmod(key, 0o644)
    m.keys.update(http_tls_cert=str(cert), http_tls_key=str(key))
    m.write_config()
    r = subprocess.run([BIN, "-c", m.config, "daemon"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "http_tls_key" in r.stderr and "chmod 600" in r.stderr, r.stderr
    os.chmod(key, 0o600)
    d = Daemon(m)
    d.start()
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        status, _, body = get(f"https://{addr}:{port}/metrics", token=TOKEN, context=ctx)
        assert status == 200 and "mhaadm_build_info" in body
        assert get(f"https://{addr}:{port}/metrics", context=ctx)[0] == 401
        # Plain HTTP on the TLS port gets no answer with data.
        line = raw(addr, port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert "200" not in line
    finally:
        d.stop()
        d.log.close()
