#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/guard.py - the price of the isolation guard: write latency and failover time, guard on
(isolation_guard = semisync) vs off, in the lab.

For each run (the two guards alternate, which one goes first alternates too): a fresh lab
(lab/lab.sh up --hosts 3: a master and 2 replicas), the cluster under mhaadm (daemon + start, as
bench/failover.py does), then
  latency      COMMITS single-row autocommit INSERTs through the VIP on one kept session, one
               after the other: ms per commit (median, mean, p99)
  first_write  kill -9 of the master's mariadbd at T0 -> the first INSERT acknowledged through
               the VIP by another server (s), bench/failover.py's writer
  lost         acknowledged ids missing on the new master afterwards
With the guard on, the new master is semi-sync from the moment the hook promotes it: its first
commit waits until MHA has re-pointed a replica to it, which is the failover-time price.

Usage: /usr/bin/python3 bench/guard.py [--runs N] [--first-run N] [--commits N] [--tag TAG]
       (root; MHAADM_BIN=...; bench/merge.py joins a series split over invocations)
Owns the lab while it runs (takes the lab lock itself: do not wrap it in flock) and leaves it down. Results:
bench/results/guard-TAG/{results.json,results.md}.
"""
import argparse
import fcntl
import json
import os
import shutil
import signal
import statistics
import sys
import time

import pymysql

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import failover as fo  # noqa: E402  (the lab, the writer and the mhaadm setup are shared)

RESULTS = os.path.join(fo.ROOT, "bench", "results")


def latency(env, commits):
    con = pymysql.connect(host=fo.VIP, user=env["LAB_APP_USER"], password=env["LAB_APP_PASSWORD"],
                          database="labdb", connect_timeout=5, read_timeout=30, autocommit=True)
    ms = []
    try:
        with con.cursor() as cur:
            for i in range(commits):
                t = time.perf_counter()
                cur.execute("INSERT INTO lat (id) VALUES (%s)", (i,))
                ms.append((time.perf_counter() - t) * 1000)
    finally:
        con.close()
    ms.sort()
    return {"median_ms": round(statistics.median(ms), 3), "mean_ms": round(statistics.mean(ms), 3),
            "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 3), "commits": commits}


def end_strays(rundir):
    """Processes of this run (their command line names its directory) still alive after the
    teardown: ended by pid (SIGKILL) and returned, so the result says so."""
    ended = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if rundir + "/" in cmd and int(pid) != os.getpid():
            try:
                os.kill(int(pid), signal.SIGKILL)
                ended.append(cmd[:120])
            except OSError:
                pass
    return ended


def one_run(guard, idx, commits):
    name = f"guard-{guard}-{idx}"
    rundir = os.path.join(fo.WORK, name)
    shutil.rmtree(rundir, ignore_errors=True)  # no registry or engine.pid of an earlier series
    os.makedirs(rundir)
    fo.log(f"run {name}: lab up")
    fo.lab("up", "--hosts", 3, timeout=300)
    env = fo.read_lab_env()
    fo.lab("sql", 1, "CREATE TABLE labdb.t (id INT PRIMARY KEY, v VARCHAR(32)); "
                     "CREATE TABLE labdb.lat (id INT PRIMARY KEY)")
    setup = fo.MhaadmSetup(env, rundir)
    setup.keys["isolation_guard"] = guard
    res = {"guard": guard, "run": idx}
    writer = None
    try:
        setup.setup()
        res.update(latency(env, commits))
        writer = fo.Writer(env)
        writer.start()
        fo.wait_for("300 acknowledged writes", lambda: len(writer.acks) >= 300, timeout=30)
        t0 = fo.now()
        fo.lab("kill-mysqld", 1, timeout=30)
        fo.wait_for("a write acknowledged by the new master",
                    lambda: any(a[1] > t0 and a[2] != 1 for a in writer.acks), timeout=120,
                    interval=0.05)
        first = min(a[1] for a in writer.acks if a[1] > t0 and a[2] != 1)
        res["first_write"] = round(first - t0, 3)
        new_sid = next(a[2] for a in writer.acks if a[1] == first)
        # Not torn down mid-failover: the daemon starts a new engine on the new topology after
        # MHA exits, and one started while the teardown runs can outlive it into the next run's
        # lab (suspected when 6 runs of 2026-12-02 failed in a row). Wait, as failover.py does.
        fo.wait_for("cluster.reprotected in the daemon log",
                    lambda: "cluster.reprotected" in open(setup.daemon_log).read(), timeout=90,
                    interval=0.2)
        writer.stop_evt.set()
        writer.join(timeout=30)
        acked = {a[0] for a in writer.acks}
        res["lost"] = len(acked - fo.ids_on(env, fo.NODES[new_sid - 1]))
        res["acked"] = len(acked)
    except Exception as e:  # counted and shown, never dropped
        res["error"] = str(e)[:300]
    finally:
        if writer is not None:
            writer.stop_evt.set()
        setup.teardown()
        strays = end_strays(rundir)
        if strays:
            res["strays_killed"] = strays
        fo.lab("down", check=False, timeout=120)
    fo.log(f"run {name}: {res}")
    return res


def runs_table(results):
    cols = ["guard", "run", "median_ms", "mean_ms", "p99_ms", "first_write", "lost", "acked"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in results:
        row = [fo.fmt(r.get(c)) for c in cols]
        if "error" in r:
            row[-1] += f" (FAILED: {r['error'][:80]})"
        lines.append("| " + " | ".join(row) + " |")
    return lines


def summarize(results):
    """(summary, markdown lines): median (min-max) per guard over the runs that completed;
    failed runs counted beside them."""
    lines = ["| guard | runs ok | failed | commit median ms | commit mean ms | commit p99 ms | "
             "first write after kill -9, s | lost |", "|---|---|---|---|---|---|---|---|"]
    summary = {}
    for guard in ("semisync", "off"):
        rs = [r for r in results if r["guard"] == guard and "error" not in r]
        failed = sum(1 for r in results if r["guard"] == guard and "error" in r)
        s = {"runs_ok": len(rs), "failed": failed}
        for m in ("median_ms", "mean_ms", "p99_ms", "first_write", "lost"):
            vals = [r[m] for r in rs if r.get(m) is not None]
            if vals:
                s[m] = {"median": round(statistics.median(vals), 3), "min": min(vals),
                        "max": max(vals)}
        summary[guard] = s

        def cell(m):
            v = s.get(m)
            return "-" if v is None else f"{v['median']:g} ({v['min']:g}–{v['max']:g})"
        lines.append(f"| {guard} | {len(rs)} | {failed} | {cell('median_ms')} | {cell('mean_ms')} "
                     f"| {cell('p99_ms')} | {cell('first_write')} | {cell('lost')} |")
    return summary, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--first-run", type=int, default=1,
                    help="number of the first run (continues a series split over invocations)")
    ap.add_argument("--tag", default=None, help="results directory name part (default: timestamp)")
    ap.add_argument("--max-lab-seconds", type=float, default=0,
                    help="start no new pair of runs this long after the lab lock was taken (the "
                         "lab is shared); runs not started are said, never counted as done")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/guard.py: must run as root (lab)")
    if not os.access(fo.BIN, os.X_OK):
        sys.exit(f"bench/guard.py: {fo.BIN} not built (set MHAADM_BIN)")
    lock = open("/var/tmp/mhaadm-lab.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    locked_at = time.time()
    tag = a.tag or time.strftime("%Y%m%dT%H%M%S")
    outdir = os.path.join(RESULTS, f"guard-{tag}")
    os.makedirs(outdir, exist_ok=True)
    results = []
    try:
        for idx in range(a.first_run, a.first_run + a.runs):
            if a.max_lab_seconds and time.time() - locked_at > a.max_lab_seconds:
                # checked per pair, so both guards always have the same number of runs
                fo.log(f"--max-lab-seconds {a.max_lab_seconds:g} reached: runs {idx}-"
                       f"{a.first_run + a.runs - 1} not started")
                break
            order = ("semisync", "off") if idx % 2 else ("off", "semisync")
            for guard in order:
                results.append(one_run(guard, idx, a.commits))
                with open(os.path.join(outdir, "results.json"), "w") as f:
                    json.dump({"results": results}, f, indent=1)
    finally:
        fo.lab("down", check=False, timeout=120)
    summary, lines = summarize(results)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "argv": sys.argv, "bin": fo.BIN,
            "nproc": os.cpu_count()}
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "results": results}, f, indent=1)
    md = "\n".join(["Per run:\n"] + runs_table(results) +
                   ["", "Summary, median (min–max) over the runs that completed:\n"] + lines)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    print(f"results: {outdir}")
    lock.close()
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
