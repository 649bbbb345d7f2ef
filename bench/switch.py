#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/switch.py - write block of a planned switchover (mhaadm switch), per engine.

For each engine: one lab (lab/lab.sh up --hosts 4 --gtid), the cluster added and started as the
integration tests do (tests/integration: make_native / make_cluster, the same daemon and Writer),
a writer through the VIP that records the time of every acknowledged INSERT, and --runs
switches back and forth between h1 and h2 under it. For each switch:

  gap          longest wait between two acknowledged writes, from just before the switch
               command to the first acknowledgement after it returned (seconds; the writer
               retries 20 ms after a failed write and gives a connect 0.5 s, as
               bench/failover.py's writer: a SYN sent while the VIP moves is lost and
               retransmitted only after 1 s, so the client's timeout shows here)
  write_block  what mhaadm reports: old master read_only=1 until the new master writable (ms)
  total        wall time of the whole 'mhaadm switch' (engine stop and start included)
  lost         acknowledged ids missing on the new master afterwards

Usage: /usr/bin/python3 bench/switch.py [--runs N] [--engines native,mha]
Root only; takes the lab lock (/var/tmp/mhaadm-lab.lock) and leaves the lab down.
"""
import argparse
import fcntl
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import conftest  # noqa: E402
from conftest import Lab, lab_cmd, read_lab_env  # noqa: E402
from test_lifecycle import Writer, finish_cluster, make_cluster, wait_for  # noqa: E402
from test_native import finish, make_native  # noqa: E402

import pymysql  # noqa: E402

RESULTS = os.path.join(ROOT, "bench", "results")


def ids_on(lab, host):
    con = pymysql.connect(host=host, user=lab.mha_user, password=lab.mha_password,
                          database="labdb", connect_timeout=5)
    with con.cursor() as cur:
        cur.execute("SELECT id FROM t")
        have = {r[0] for r in cur.fetchall()}
    con.close()
    return have


def bench_engine(engine, runs):
    r = lab_cmd("up", "--hosts", 4, "--standalone", 0, "--gtid", check=False, timeout=300)
    if r.returncode != 0:
        raise SystemExit(f"lab up failed:\n{r.stdout}\n{r.stderr}")
    lab = Lab(read_lab_env())
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f"switch-bench-{engine}-"))
    m = (make_native if engine == "native" else make_cluster)(lab, tmp)
    out = []
    try:
        m.ok("start", "c1", timeout=180)
        w = Writer(lab, limit=10**6)
        w.err_pause = 0.02
        w.connect_timeout = 0.5
        w.start()
        wait_for("writes", lambda: len(w.acked) > 100, timeout=30)
        hosts = ["10.77.0.11", "10.77.0.12"]
        for i in range(runs):
            old, new = hosts[i % 2], hosts[(i + 1) % 2]
            time.sleep(2)  # steady writes before the switch
            t0 = time.monotonic()
            n0 = len(w.ack_times)
            res = m.run("switch", "c1", "--to", new, timeout=300)
            t1 = time.monotonic()
            if res.returncode != 0:
                raise SystemExit(f"switch failed:\n{res.stdout}\n{res.stderr}")
            wait_for("writes after the switch", lambda: len(w.ack_times) > n0 + 50, timeout=60)
            times = [t0] + [t for t in w.ack_times[max(n0 - 1, 0):] if t >= t0 - 1]
            gap = max(b - a for a, b in zip(times, times[1:]))
            ev = [e for e in m.events("c1") if e["type"] == "switch.completed"][0]
            wb = int(ev["fields"]["write_block_ms"])
            acked = list(w.acked)
            lost = len(set(acked) - ids_on(lab, new))
            row = {"engine": engine, "run": i + 1, "from": old, "to": new, "gap_s": round(gap, 3),
                   "write_block_ms": wb, "total_s": round(t1 - t0, 2), "lost": lost}
            print(json.dumps(row), flush=True)
            out.append(row)
        w.stop_evt.set()
        w.join(timeout=30)
    finally:
        (finish if engine == "native" else finish_cluster)(m)
        lab_cmd("down", check=False)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--engines", default="native,mha")
    args = ap.parse_args()
    if not os.path.exists(conftest.BIN):
        raise SystemExit(f"{conftest.BIN} is not built (MHAADM_BIN)")
    lock = open("/var/tmp/mhaadm-lab.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    rows = []
    try:
        for engine in args.engines.split(","):
            rows += bench_engine(engine, args.runs)
    finally:
        lock.close()
    os.makedirs(RESULTS, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    with open(os.path.join(RESULTS, f"switch-{stamp}.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    lines = ["| engine | runs | write gap median (min-max) | mhaadm write_block median | "
             "switch command median | lost |", "|---|---|---|---|---|---|"]
    for engine in args.engines.split(","):
        rs = [r for r in rows if r["engine"] == engine]
        if not rs:
            continue
        gaps = [r["gap_s"] for r in rs]
        lines.append(f"| {engine} | {len(rs)} | {statistics.median(gaps):.2f} s "
                     f"({min(gaps):.2f}-{max(gaps):.2f}) | "
                     f"{statistics.median(r['write_block_ms'] for r in rs):.0f} ms | "
                     f"{statistics.median(r['total_s'] for r in rs):.1f} s | "
                     f"{sum(r['lost'] for r in rs)} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(RESULTS, f"switch-{stamp}.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
