#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo: installs dependencies, builds, brings up a 3-host lab, puts a cluster under
# mhaadm, kills the master's mysqld and shows the VIP moving and the cluster re-protected.
# The cluster runs under the native engine; --engine mha shows the same under MHA 0.58.
# Pass --keep to leave the lab and the daemon running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
keep=0
engine=native
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) keep=1; shift ;;
	--engine)
		[ $# -ge 2 ] && { [ "$2" = native ] || [ "$2" = mha ]; } ||
			{ echo "demo.sh: --engine takes native or mha" >&2; exit 2; }
		engine=$2; shift 2 ;;
	*) echo "usage: demo.sh [--keep] [--engine native|mha]" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (the lab needs network namespaces)" >&2
	exit 1
fi
./scripts/install-deps.sh
./scripts/build.sh

LAB_ENV=${MHAADM_LAB_DIR:-/var/tmp/mhaadm-lab}/env
daemon_pid=""
cleanup() {
	[ "$keep" -eq 1 ] && return
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	# Engines outlive the daemon by design; end the ones this demo started.
	for f in "${demo:-/nonexistent}"/work/mha/*/engine.pid; do
		[ -f "$f" ] || continue
		read -r pid _ <"$f"
		kill -KILL -- "-$pid" 2>/dev/null || true
	done
	"$root/lab/lab.sh" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# list exits 3 when a cluster is not ok (e.g. still re-protecting): shown, not fatal.
runl() { printf '$ %s\n' "$*"; "$@" || [ $? -eq 3 ]; }
via_vip() {
	# The password goes through the environment, never argv.
	MYSQL_PWD="$LAB_APP_PASSWORD" mariadb -h 10.77.0.100 -u "$LAB_APP_USER" --connect-timeout=2 \
		-N -B -e "SELECT CONCAT('answered by server_id ', @@server_id)" labdb
}

# One lab per machine: wait for a test session or benchmark that holds it.
exec 9>/var/tmp/mhaadm-lab.lock
flock 9
step "bringing up the lab: 3 hosts, MariaDB GTID replication from h1, sshd on each"
lab/lab.sh up --hosts 3 --gtid
. "$LAB_ENV"

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
ssh_key = $LAB_SSH_KEY
ssh_known_hosts = $LAB_KNOWN_HOSTS
vip_iface = eth0
failover_window = 0
CNF
export MHAADM_CONFIG=$demo/mhaadm.cnf
M=build/mhaadm

step "creating the registry"
run $M init
step "registering cluster 'orders' from its master alone (replicas are discovered)"
run $M add orders --master "$LAB_MASTER_IP" --vip 10.77.0.100/24 --engine "$engine"
step "a refusal: the same VIP for another cluster"
run $M add billing --node 10.77.0.12 --vip 10.77.0.100 || true
if [ "$engine" = mha ]; then
	step "doctor: MHA 0.58 cannot drive MariaDB 10.11 as shipped; --fix patches it (backups kept)"
	run $M doctor orders --fix | tail -n 12
fi
step "starting the supervisor and putting 'orders' under the $engine engine"
$M daemon >"$demo/daemon.log" 2>&1 &
daemon_pid=$!
run $M start orders
runl $M list
printf '$ mariadb -h 10.77.0.100 ...   # a client through the VIP\n'
via_vip

step "killing the master's mysqld (kill -9 on h1)"
lab/lab.sh kill-mysqld 1
t0=$(date +%s)
printf 'waiting for the failover and re-protection'
for _ in $(seq 1 180); do
	if $M history orders --json | grep -q '"cluster.reprotected"'; then
		break
	fi
	printf '.'
	sleep 1
done
echo " done after $(($(date +%s) - t0)) s"
printf '$ mariadb -h 10.77.0.100 ...   # the same client, same address\n'
via_vip
runl $M list
runl $M list orders
run $M history orders --limit 14
if [ "$keep" -eq 1 ]; then
	echo
	echo "left running: daemon pid $daemon_pid, lab; MHAADM_CONFIG=$demo/mhaadm.cnf"
fi
exit 0
