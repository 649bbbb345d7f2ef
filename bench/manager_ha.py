#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/manager_ha.py - manager HA: how fast a second manager takes the clusters over.

Two daemons (manager_name m1, m2; each its own workdir) share one MySQL/MariaDB registry
database that this script creates (and drops); N registered clusters (rows only, desired
stopped: no engine runs, so what is measured is the lease machinery alone — the lab test
tests/integration/test_manager_ha.py measures the same with MHA engines). For each run and
fault, with the owner of every cluster known, at T0 the owner is

  term  sent SIGTERM (clean stop: engines stopped, leases released)
  kill  sent SIGKILL (the host dies)
  stop  sent SIGSTOP (paused), SIGCONT once the other owns everything

and the time until the other manager owns every cluster is measured (list --json, 50 ms
poll); for stop also how long after SIGCONT the paused one records lease.lost for all of them.

Usage: /usr/bin/python3 bench/manager_ha.py --mysql-host H [--mysql-port P] --mysql-user U
       (password in $MHAADM_BENCH_MYSQL_PASSWORD) [--runs N] [--clusters N] [--lease S]
Needs no lab: any MariaDB the user may create a database on (docs/benchmarks.md says which).
"""
import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import pymysql

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("MHAADM_BIN", os.path.join(ROOT, "build", "mhaadm"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mysql-host", required=True)
    ap.add_argument("--mysql-port", type=int, default=3306)
    ap.add_argument("--mysql-user", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clusters", type=int, default=10)
    ap.add_argument("--lease", type=int, default=10)
    a = ap.parse_args()
    pw = os.environ.get("MHAADM_BENCH_MYSQL_PASSWORD", "")
    db = "mhaadm_bench" + secrets.token_hex(4)
    tmp = tempfile.mkdtemp(prefix="mhaadm-bench-mha-")

    def sql(q):
        con = pymysql.connect(host=a.mysql_host, port=a.mysql_port, user=a.mysql_user,
                              password=pw, autocommit=True, connect_timeout=5)
        try:
            with con.cursor() as cur:
                cur.execute(q)
                return cur.fetchall()
        finally:
            con.close()

    cfg = {}
    for name in ("m1", "m2"):
        os.makedirs(f"{tmp}/{name}")
        cfg[name] = f"{tmp}/{name}/mhaadm.cnf"
        with open(cfg[name], "w") as f:
            f.write(f"[mhaadm]\nha_user = mha\nha_password = unused\nrepl_user = repl\n"
                    f"repl_password = unused\nregistry = mysql\nmysql_host = {a.mysql_host}\n"
                    f"mysql_port = {a.mysql_port}\nmysql_user = {a.mysql_user}\n"
                    f"mysql_password = {pw}\nmysql_database = {db}\n"
                    f"workdir = {tmp}/{name}/work\nlog_dir = {tmp}/{name}/log\n"
                    f"manager_name = {name}\nlease_seconds = {a.lease}\nprobe_interval = 0\n")
        os.chmod(cfg[name], 0o600)
    subprocess.run([BIN, "-c", cfg["m1"], "init"], check=True, capture_output=True)
    sql(f"INSERT INTO {db}.clusters (name, vip) VALUES " + ", ".join(
        f"('b{i}', '10.77.0.{150 + i}')" for i in range(a.clusters)))
    procs = {}

    def start(name):
        log = open(f"{tmp}/{name}/daemon.log", "ab")
        procs[name] = subprocess.Popen([BIN, "-c", cfg[name], "daemon"], stdout=log,
                                       stderr=log, start_new_session=True)

    def owners():
        r = subprocess.run([BIN, "-c", cfg["m1"], "list", "all", "--json", "--no-probe"],
                           capture_output=True, text=True)
        return {c["manager"] for c in json.loads(r.stdout)["clusters"]}

    def wait(cond, limit):
        t = time.monotonic()
        while time.monotonic() - t < limit:
            if cond():
                return True
            time.sleep(0.05)
        return False

    def lost(name):
        rows = sql(f"SELECT COUNT(*) FROM {db}.events WHERE type = 'lease.lost' AND "
                   f"JSON_VALUE(fields, '$.manager') = '{name}'")
        return rows[0][0]

    results = {"term": [], "kill": [], "stop": [], "stand_down": []}
    try:
        start("m1")
        start("m2")
        if not wait(lambda: owners() <= {"m1", "m2"} and None not in owners(), 30):
            sys.exit("the managers did not take the clusters")
        for run in range(a.runs):
            for fault in ("term", "kill", "stop"):
                owner = sorted(owners())[0]
                # Everything on one owner first: a clean stop of the other hands it over.
                other = "m2" if owner == "m1" else "m1"
                if owners() != {owner}:
                    procs[other].terminate()
                    procs[other].wait()
                    wait(lambda: owners() == {owner}, 30)
                    start(other)
                    time.sleep(2)
                before = lost(owner)
                t0 = time.monotonic()
                procs[owner].send_signal({"term": signal.SIGTERM, "kill": signal.SIGKILL,
                                          "stop": signal.SIGSTOP}[fault])
                ok = wait(lambda: owners() == {other}, a.lease + 30)
                took = time.monotonic() - t0
                if not ok:
                    sys.exit(f"run {run} {fault}: no takeover after {took:.1f} s")
                results[fault].append(took)
                if fault == "stop":
                    t1 = time.monotonic()
                    procs[owner].send_signal(signal.SIGCONT)
                    wait(lambda: lost(owner) >= before + a.clusters, 30)
                    results["stand_down"].append(time.monotonic() - t1)
                    procs[owner].terminate()
                procs[owner].wait()
                start(owner)
                time.sleep(2)
                print(f"run {run + 1} {fault}: {other} owns all {a.clusters} clusters after "
                      f"{took:.2f} s", flush=True)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
                p.wait()
        sql(f"DROP DATABASE IF EXISTS {db}")
    print(f"lease_seconds {a.lease}, {a.clusters} clusters, {a.runs} runs (median, max):")
    for k, v in results.items():
        if v:
            print(f"  {k:10s} {statistics.median(v):6.2f} s {max(v):6.2f} s")


if __name__ == "__main__":
    main()
