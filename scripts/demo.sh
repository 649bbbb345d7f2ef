#!/bin/bash
# The demo: installs dependencies, builds, brings up a 3-host lab, and puts a cluster under mhaadm.
# Pass --keep to leave the lab running afterwards (tear it down with lab/lab.sh down).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
keep=0
[ "${1:-}" = "--keep" ] && keep=1

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (the lab needs network namespaces)" >&2
	exit 1
fi
./scripts/install-deps.sh
./scripts/build.sh
if [ "$keep" -eq 0 ]; then
	trap '"$root/lab/lab.sh" down >/dev/null 2>&1 || true' EXIT
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "bringing up the lab: 3 hosts, MariaDB replication from h1, sshd on each"
lab/lab.sh up --hosts 3
. "${MHAADM_LAB_DIR:-/var/tmp/mhaadm-lab}/env"

demo=$LAB_DIR/demo
mkdir -p "$demo"
umask 077
cat >"$demo/mhaadm.cnf" <<CNF
# written by scripts/demo.sh
ha_user = $LAB_MHA_USER
ha_password = $LAB_MHA_PASSWORD
repl_user = $LAB_REPL_USER
repl_password = $LAB_REPL_PASSWORD
registry_path = $demo/registry.db
workdir = $demo/work
log_dir = $demo/log
vip_iface = eth0
CNF
export MHAADM_CONFIG=$demo/mhaadm.cnf
M=build/mhaadm

step "creating the registry"
run $M init
step "registering cluster 'orders' from its master alone (replicas are discovered)"
run $M add orders --master "$LAB_MASTER_IP" --vip 10.77.0.100/24
step "the fleet"
run $M list
run $M list orders
step "a refusal: the same VIP for another cluster"
run $M add billing --node 10.77.0.12 --vip 10.77.0.100 || true
step "history"
run $M history orders
if [ "$keep" -eq 1 ]; then
	echo
	echo "lab left running; MHAADM_CONFIG=$demo/mhaadm.cnf; tear down with lab/lab.sh down"
fi
