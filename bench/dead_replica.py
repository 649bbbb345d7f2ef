#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/dead_replica.py - failover time with dead replicas, beside the plain kill -9 of the master.

Runs the four failover scenarios of tests/integration/test_dead_replica.py (four hosts, h1 master,
a writer through the VIP, probe_interval=1, lag_hold=3) RUNS times each, in the lab, and reports
per case the time from the kill -9 to the first INSERT acknowledged through the VIP after the
writes through the dead master stopped (the end of the longest gap between two acknowledged
writes after the kill):

  master alone                          only h1's mariadbd killed (the reference)
  master + 1 replica together           h1 and h3 killed at the same moment
  replica down > lag_hold, then master  h3 killed, left out of MHA's config, then h1 killed
  replica back in, then master          h3 killed, restarted and taken back in, then h1 killed

With --engine native it runs tests/integration/test_native_survivors.py instead (GTID lab,
engine = native, the same writer and keys):

  native: master alone (guard semisync)           only h1 killed (the reference; auto = semisync)
  native: master + 1 replica together             h1 and h3 killed at once (h2's IO thread was
                                                  stopped first, so h4 is the most advanced)
  native: replica down > lag_hold, then master    h3 killed, recorded unreachable, then h1 killed

Usage: /usr/bin/python3 bench/dead_replica.py [--runs N] [--engine mha|native]
       (root; takes the lab lock; ~5 min a run under MHA, ~1 min under native)
Writes bench/results/dead-replica-TAG.{jsonl,md} (dead-replica-native-TAG under native).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("MHAADM_BIN", os.path.join(ROOT, "build", "mhaadm"))
CASES = ["master alone", "master + 1 replica together", "replica down > lag_hold, then master",
         "replica back in, then master"]
TESTS = ("test_master_alone_killed_four_hosts or killed_together or longer_than_lag_hold or "
         "taken_back_in")
NATIVE_CASES = ["native: master alone (guard semisync)", "native: master + 1 replica together",
                "native: replica down > lag_hold, then master"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--engine", choices=["mha", "native"], default="mha")
    args = ap.parse_args()
    native = args.engine == "native"
    tag = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    out = os.path.join(ROOT, "bench", "results",
                       f"dead-replica-{'native-' if native else ''}{tag}.jsonl")
    test_file = "test_native_survivors.py" if native else "test_dead_replica.py"
    cases = NATIVE_CASES if native else CASES
    os.makedirs(os.path.dirname(out), exist_ok=True)
    env = dict(os.environ, MHAADM_BIN=BIN, MHAADM_TIMINGS=out)
    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs}", file=sys.stderr)
        r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                            os.path.join(ROOT, "tests", "integration", test_file),
                            *([] if native else ["-k", TESTS])], env=env, cwd=ROOT)
        if r.returncode != 0:
            print(f"run {run + 1} failed (rc {r.returncode}): its timings are kept",
                  file=sys.stderr)
    rows = [json.loads(line) for line in open(out)] if os.path.exists(out) else []
    lines = ["| case | runs | median s | min s | max s |", "|---|---|---|---|---|"]
    for case in cases:
        t = [r["first_write_s"] for r in rows if r["case"] == case]
        if t:
            lines.append(f"| {case} | {len(t)} | {statistics.median(t):.2f} | {min(t):.2f} | "
                         f"{max(t):.2f} |")
    md = "\n".join(lines) + "\n"
    open(out[:-len(".jsonl")] + ".md", "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
