#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run-all.sh - regenerate every benchmark result of docs/benchmarks.md.
#
#   bench/run-all.sh [--runs N]      (root, Debian 12 lab machine; default N=3)
#
# Builds mhaadm into $MHAADM_BENCH_BUILD (default /tmp/benchbuild, never the tree's build/),
# brings the lab up (GTID), runs bench/fleet.py (100/300/1000 clusters listed, 100/1000
# monitored by the native engine) and bench/failover.py for kill -9 and link cut (N runs each,
# native, mhaadm and plain MHA alternating), and always leaves the lab down. Results:
# bench/results/fleet-TAG.{json,md}, bench/results/failover-TAG/ (results.json, results.md,
# logs/ with MHA's log of every run). bench/guard.py and bench/dead_replica.py run on their own.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=3
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "$0: must run as root (lab)" >&2; exit 1; }

BUILD=${MHAADM_BENCH_BUILD:-/tmp/benchbuild}
if [ -z "${MHAADM_BIN:-}" ]; then
	[ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" >/dev/null
	ninja -C "$BUILD" mhaadm >/dev/null
	export MHAADM_BIN=$BUILD/mhaadm
fi
TAG=$(date +%Y%m%dT%H%M%S)
# One lab per machine: wait for a test session or demo that holds it.
exec 9>/var/tmp/mhaadm-lab.lock
flock 9
trap 'timeout 120 "$ROOT/lab/lab.sh" down >/dev/null 2>&1 || true' EXIT

echo "== fleet (lab up so that 10.77.0.99 is a lab address nobody holds)"
timeout 300 lab/lab.sh up --hosts 3 --gtid
timeout 1500 /usr/bin/python3 bench/fleet.py --monitored 100,1000 --tag "$TAG"

echo "== failover: kill -9 and link cut, $RUNS runs per mode"
# each run builds a fresh lab; ~1 min per run
timeout $((RUNS * 6 * 240 + 300)) /usr/bin/python3 bench/failover.py --runs "$RUNS" \
	--fault kill --fault linkcut --modes native,mhaadm,plain --tag "$TAG" ||
	echo "some failover runs failed (see results)"

echo "results: bench/results/fleet-$TAG.md, bench/results/failover-$TAG/results.md"
