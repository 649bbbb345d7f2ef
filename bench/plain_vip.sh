#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/plain_vip.sh - the minimal hand-written master_ip_failover_script of the plain-MHA
# baseline in bench/failover.py: what a DBA writes for one cluster. Configured in the MHA app
# config as
#   master_ip_failover_script=/path/plain_vip.sh --vip=10.77.0.100/24 --iface=eth0 \
#       --ssh_key=KEY --known_hosts=FILE
# MHA appends --command=status|stop|stopssh|start and --orig_master_*/--new_master_* arguments.
# The VIP moves with `ip addr` over ssh; the new master sends one gratuitous ARP with Habets
# arping in the background (MHA sets read_only=0 only after this script returns).
# The old master gets the same treatment as in mhaadm's hook: MHA calls `--command=stop` when it
# found the old master's ssh unreachable, so neither script tries it then (no 2 s ConnectTimeout
# spent on a host known to be gone); on `stopssh` both ssh to it bounded by ConnectTimeout=2.
vip='' iface=eth0 key='' kh='' cmd='' orig='' new=''
for a in "$@"; do
	case $a in
	--vip=*) vip=${a#*=} ;;
	--iface=*) iface=${a#*=} ;;
	--ssh_key=*) key=${a#*=} ;;
	--known_hosts=*) kh=${a#*=} ;;
	--command=*) cmd=${a#*=} ;;
	--orig_master_ip=*) orig=${a#*=} ;;
	--new_master_ip=*) new=${a#*=} ;;
	esac
done
addr=${vip%/*}

rsh() {
	host=$1
	shift
	ssh -n -i "$key" -o IdentitiesOnly=yes -o UserKnownHostsFile="$kh" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=2 "root@$host" "$@"
}

echo "plain_vip.sh: $(date '+%T.%N' | cut -c1-12) command=$cmd orig=$orig new=$new"
case $cmd in
status)
	exit 0
	;;
stop)
	# MHA found the old master's ssh unreachable: nothing can be cleaned there now.
	echo "plain_vip.sh: old master $orig unreachable over ssh: VIP not removed"
	exit 0
	;;
stopssh)
	# best effort: an unreachable old master cannot be cleaned now
	rsh "$orig" "ip addr del $vip dev $iface" || echo "plain_vip.sh: could not remove $vip from $orig"
	exit 0
	;;
start)
	rsh "$new" "ip addr add $vip dev $iface && { setsid arping -U -c 1 -i $iface -S $addr $addr >/dev/null 2>&1 </dev/null & }"
	rc=$?
	echo "plain_vip.sh: $(date '+%T.%N' | cut -c1-12) start rc=$rc"
	exit $rc
	;;
*)
	exit 1
	;;
esac
