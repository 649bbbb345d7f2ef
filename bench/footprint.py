#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Memory and CPU of one monitored cluster, per mode: what watching a cluster costs.

For each mode (mhaadm = MHA engine under the daemon, native = the native engine, plain =
masterha_manager by hand) the lab is brought up, one cluster c1 (h1 -> h2, h3) is put under
monitoring exactly as bench/failover.py does it (the same setup classes), and once it is
monitored the processes that watch it are sampled for --seconds: VmRSS and VmHWM of every
process of each group (daemon, engine), and their CPU (utime + stime from /proc/PID/stat,
children excluded) over the window. The master is idle; nothing fails.

Run as root with the lab lock, like every lab user:
  flock /var/tmp/mhaadm-lab.lock env MHAADM_BIN=build/mhaadm /usr/bin/python3 bench/footprint.py
Writes bench/results/footprint-TAG/results.{json,md}; prints the table.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import failover as fo  # noqa: E402  (the same lab, setups and binary as the failover bench)

TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0


def group_pids(pgid):
    """Every live process whose process group is pgid (an engine and what it runs)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def descendants(root):
    """root and every live process below it."""
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parent[int(d)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in parent or p == root:
            out.append(p)
            todo.extend(c for c, pp in parent.items() if pp == p)
    return [p for p in out if p in parent]


def engine_group(mode, setup):
    """The process group that watches c1, by mode."""
    if mode == "plain":
        return setup.proc.pid
    if mode == "mhaadm":
        path = os.path.join(setup.dir, "work", "mha", "c1", "engine.pid")
        return int(open(path).read().split()[0])
    return None  # native: the engine-native child of the daemon


def measure(mode, seconds, outdir):
    rundir = os.path.join(fo.WORK, f"footprint-{mode}")
    fo.shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    fo.lab("up", "--hosts", 3, *(["--gtid"] if mode == "native" else []), timeout=300)
    env = fo.read_lab_env()
    setup = {"mhaadm": fo.MhaadmSetup, "native": fo.NativeSetup, "plain": fo.PlainSetup}[mode](
        env, rundir)
    res = {"mode": mode, "seconds": seconds}
    try:
        res["setup_s"] = round(setup.setup(), 2)
        time.sleep(2)  # past the first probes: the steady state is measured
        groups = {}
        daemon = getattr(setup, "daemon", None)
        if daemon is not None:
            tree = descendants(daemon.pid)
            if mode == "native":
                groups["engine"] = [p for p in tree if p != daemon.pid and
                                    b"engine-native" in open(f"/proc/{p}/cmdline", "rb").read()]
            groups["daemon"] = [daemon.pid]
        pg = engine_group(mode, setup)
        if pg is not None:
            groups["engine"] = group_pids(pg)
        t0 = time.monotonic()
        start = {g: sum(cpu_ticks(p) for p in pids) for g, pids in groups.items()}
        time.sleep(seconds)
        elapsed = time.monotonic() - t0
        for g, pids in groups.items():
            cpu = (sum(cpu_ticks(p) for p in pids) - start[g]) / TICK
            res[g] = {"processes": len(pids),
                      "rss_mb": round(sum(status_kb(p, "VmRSS") for p in pids) / 1024, 1),
                      "hwm_mb": round(sum(status_kb(p, "VmHWM") for p in pids) / 1024, 1),
                      "cpu_pct": round(100 * cpu / elapsed, 2)}
    except Exception as e:  # a failed mode is reported, the others still run
        res["error"] = str(e)
    finally:
        setup.teardown()
        fo.lab("down", check=False, timeout=120)
    with open(os.path.join(outdir, f"{mode}.json"), "w") as f:
        json.dump(res, f, indent=1)
    return res


def markdown(results):
    lines = ["| mode | watching c1 | processes | VmRSS | VmHWM | CPU (of one core) | daemon VmRSS |"
             " daemon CPU |", "|---|---|---|---|---|---|---|---|"]
    what = {"mhaadm": "masterha_manager (MHA engine, under the daemon)",
            "native": "engine-native (one process for every native cluster)",
            "plain": "masterha_manager started by hand"}
    for r in results:
        if "error" in r:
            lines.append(f"| {r['mode']} | failed: {r['error'][:80]} | | | | | | |")
            continue
        e, d = r.get("engine", {}), r.get("daemon")
        lines.append(f"| {r['mode']} | {what[r['mode']]} | {e.get('processes', 0)} | "
                     f"{e.get('rss_mb', 0)} MB | {e.get('hwm_mb', 0)} MB | {e.get('cpu_pct', 0)} % | "
                     f"{str(d['rss_mb']) + ' MB' if d else '-'} | "
                     f"{str(d['cpu_pct']) + ' %' if d else '-'} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modes", default="mhaadm,native,plain")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--tag", default=None)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/footprint.py: must run as root (lab)")
    if not os.access(fo.BIN, os.X_OK):
        sys.exit(f"bench/footprint.py: {fo.BIN} not built (set MHAADM_BIN)")
    outdir = os.path.join(fo.RESULTS, f"footprint-{a.tag or time.strftime('%Y%m%dT%H%M%S')}")
    os.makedirs(outdir, exist_ok=True)
    results = [measure(m, a.seconds, outdir) for m in a.modes.split(",")]
    md = markdown(results)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "argv": sys.argv,
                   "results": results}, f, indent=1)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
