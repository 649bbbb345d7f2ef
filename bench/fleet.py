#!/usr/bin/python3
"""bench/fleet.py - mhaadm at fleet scale: `list all` time and daemon RSS/CPU with 100, 300 and
1000 registered clusters.

The clusters are written straight into an SQLite registry that `mhaadm init` created (its own
schema), as `add` would have left them: state 'registered', desired 'stopped', 3 nodes each
(master + 2 replicas, probe columns filled), 3 history events each. Node host:port must be
unique, so nodes use ports 10000+ on the lab IPs 10.77.0.11..13; every 10th cluster has all its
nodes on 10.77.0.99, an address inside the lab that no host holds ("unreachable"). VIPs must be
unique too: 10.77.<1..4>.<1..250> - registry data only, never contacted.

What `list all` does today: it reads the registry (plus, per cluster, MHA's health file and the
newest failover events). It does not contact any node - live probing is a later issue - so
unreachable hosts cost it nothing yet.

Daemon: `mhaadm daemon` runs ~15 s with the clusters registered but not monitored; VmRSS/VmHWM
from /proc/PID/status and utime+stime from /proc/PID/stat. No cluster is monitored, so there are
no MHA children (their RSS is reported separately, as 0, by walking the daemon's descendants).

Usage: /usr/bin/python3 bench/fleet.py [--sizes 100,300,1000] [--repeat 5] [--daemon-seconds 15]
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("MHAADM_BIN", "/tmp/benchbuild/mhaadm")
RESULTS = os.path.join(ROOT, "bench", "results")
WORK = os.environ.get("BENCH_WORK", "/tmp/mhaadm-bench")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
VERSION = "10.11.19-MariaDB-0+deb12u1-log"


def build_registry(d, n):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cfg = os.path.join(d, "mhaadm.cnf")
    reg = os.path.join(d, "registry.db")
    with open(cfg, "w") as f:
        f.write("# written by bench/fleet.py\n[mhaadm]\nha_user = mha\nha_password = bench\n"
                "repl_user = repl\nrepl_password = bench\n"
                f"registry_path = {reg}\nworkdir = {d}/work\nlog_dir = {d}/log\n"
                "connect_timeout = 2\nread_timeout = 5\n")
    os.chmod(cfg, 0o600)
    r = subprocess.run([BIN, "-c", cfg, "init"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        sys.exit(f"init failed: {r.stderr}")
    con = sqlite3.connect(reg)
    con.execute("PRAGMA foreign_keys = ON")
    unreachable = 0
    with con:
        for i in range(n):
            name = f"c{i:04d}"
            vip = f"10.77.{1 + i // 250}.{1 + i % 250}"
            cur = con.execute("INSERT INTO clusters (name, vip, state, desired) "
                              "VALUES (?, ?, 'registered', 'stopped')", (name, vip))
            cid = cur.lastrowid
            down = i % 10 == 9
            unreachable += down
            for k in range(3):
                host = "10.77.0.99" if down else f"10.77.0.{11 + k}"
                port = 10000 + 3 * i + k
                con.execute(
                    "INSERT INTO nodes (cluster_id, host, port, role, version, server_id, "
                    "read_only, log_bin, lag) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
                    (cid, host, port, "master" if k == 0 else "replica", VERSION,
                     3 * i + k + 1, 0 if k == 0 else 1, None if k == 0 else 0))
            con.execute("INSERT INTO events (cluster, type, message) VALUES (?, 'cluster.added', ?)",
                        (name, f"cluster '{name}' registered: master 10.77.0.11:{10000 + 3 * i}"))
            con.execute("INSERT INTO events (cluster, type, message) VALUES (?, 'cluster.start', "
                        "'start requested')", (name,))
            con.execute("INSERT INTO events (cluster, type, message) VALUES (?, "
                        "'monitoring.stopped', 'MHA monitoring stopped; the VIP stays')", (name,))
    con.close()
    return cfg, unreachable


def time_cmd(args, repeat):
    """Median/min/max wall time of args over `repeat` runs (after one warm-up)."""
    if shutil.which("hyperfine"):
        out = os.path.join(WORK, "hyperfine.json")
        subprocess.run(["hyperfine", "-N", "--warmup", "1", "--runs", str(repeat),
                        "--export-json", out, " ".join(args)], capture_output=True, timeout=600)
        h = json.load(open(out))["results"][0]
        return {"median": h["median"], "min": h["min"], "max": h["max"], "n": repeat,
                "tool": "hyperfine"}
    subprocess.run(args, capture_output=True, timeout=120)  # warm-up (page cache)
    ts, size = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run(args, capture_output=True, timeout=120)
        ts.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"{args}: rc={r.returncode} {r.stderr.decode()}")
        size = len(r.stdout)
    return {"median": statistics.median(ts), "min": min(ts), "max": max(ts), "n": repeat,
            "tool": "perf_counter", "output_bytes": size}


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # rest[0] = state (field 3); utime = field 14, stime = field 15
    return int(rest[11]), int(rest[12])


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return None


def descendants(pid):
    kids = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        return []
    out = list(kids)
    for k in kids:
        out += descendants(k)
    return out


def daemon_usage(cfg, d, seconds):
    logf = open(os.path.join(d, "daemon.log"), "ab")
    p = subprocess.Popen([BIN, "-c", cfg, "daemon"], stdout=logf, stderr=logf,
                         start_new_session=True)
    logf.close()
    try:
        t_start = time.time()
        time.sleep(1.0)
        u0, s0 = proc_stat(p.pid)
        rss_1s = proc_status(p.pid, "VmRSS")
        t1 = time.time()
        time.sleep(max(0.0, seconds - 1.0))
        u1, s1 = proc_stat(p.pid)
        t2 = time.time()
        res = {
            "seconds": round(t2 - t_start, 1),
            "rss_kb_after_1s": rss_1s,
            "rss_kb": proc_status(p.pid, "VmRSS"),
            "hwm_kb": proc_status(p.pid, "VmHWM"),
            "cpu_s_total": round((u1 + s1) / CLK_TCK, 3),
            "cpu_s_steady": round((u1 + s1 - u0 - s0) / CLK_TCK, 3),
            "cpu_pct_steady": round(100.0 * (u1 + s1 - u0 - s0) / CLK_TCK / (t2 - t1), 2),
        }
        kids = descendants(p.pid)
        rss_kids = 0
        for k in kids:
            try:
                rss_kids += proc_status(k, "VmRSS") or 0
            except OSError:
                pass
        res["children"] = len(kids)
        res["children_rss_kb"] = rss_kids
        return res
    finally:
        p.terminate()
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait(timeout=5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--daemon-seconds", type=float, default=15)
    ap.add_argument("--tag", default=None)
    a = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        sys.exit(f"bench/fleet.py: {BIN} not built (set MHAADM_BIN)")
    tag = a.tag or time.strftime("%Y%m%dT%H%M%S")
    sizes = [0] + [int(x) for x in a.sizes.split(",")]
    rows = []
    for n in sizes:
        d = os.path.join(WORK, f"fleet-{n}")
        cfg, unreach = build_registry(d, n)
        row = {"clusters": n, "unreachable_clusters": unreach,
               "registry_bytes": os.path.getsize(os.path.join(d, "registry.db"))}
        row["list_all"] = time_cmd([BIN, "-c", cfg, "list", "all"], a.repeat)
        row["list_all_json"] = time_cmd([BIN, "-c", cfg, "list", "all", "--json"], a.repeat)
        row["daemon"] = daemon_usage(cfg, d, a.daemon_seconds)
        print(f"{n:5d} clusters: list all {row['list_all']['median'] * 1000:.1f} ms, --json "
              f"{row['list_all_json']['median'] * 1000:.1f} ms; daemon RSS "
              f"{row['daemon']['rss_kb']} kB, CPU {row['daemon']['cpu_pct_steady']} %",
              flush=True)
        rows.append(row)
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(RESULTS, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": os.uname().nodename,
            "kernel": os.uname().release, "nproc": os.cpu_count(), "bin": BIN,
            "argv": sys.argv, "hyperfine": bool(shutil.which("hyperfine"))}
    out = os.path.join(RESULTS, f"fleet-{tag}.json")
    with open(out, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    md = ["| clusters | unreachable | `list all` median (min–max) | `list all --json` median "
          "(min–max) | daemon VmRSS | daemon VmHWM | daemon CPU (steady) | MHA children |",
          "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        la, lj, dm = r["list_all"], r["list_all_json"], r["daemon"]
        md.append(f"| {r['clusters']} | {r['unreachable_clusters']} | "
                  f"{la['median'] * 1000:.1f} ms ({la['min'] * 1000:.1f}–{la['max'] * 1000:.1f}) | "
                  f"{lj['median'] * 1000:.1f} ms ({lj['min'] * 1000:.1f}–{lj['max'] * 1000:.1f}) | "
                  f"{dm['rss_kb'] / 1024:.1f} MB | {dm['hwm_kb'] / 1024:.1f} MB | "
                  f"{dm['cpu_pct_steady']:.2f} % ({dm['cpu_s_steady']:.2f} s / "
                  f"{a.daemon_seconds - 1:.0f} s) | {dm['children']} ({dm['children_rss_kb']} kB) |")
    with open(out[:-5] + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
