#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lab/lab.sh - the mhaadm lab: MariaDB hosts in network namespaces on one bridge.
#
#   lab.sh up [--hosts N] [--standalone M] [--gtid] [--ssh-bare] [--galera] [--managers K]
#                                            build a lab (N replicating hosts, M standalone;
#                                            --galera: the M standalone ones form a Galera
#                                            cluster; --managers: K manager hosts, no server)
#   lab.sh down                              tear everything down (idempotent)
#   lab.sh status | logs
#   lab.sh sql HOSTNUM ['SQL']               SQL as root via the unix socket (stdin if no SQL)
#   lab.sh exec HOSTNUM CMD...               run CMD inside the host's network namespace
#   lab.sh ssh HOSTNUM [CMD...]              ssh root@host with the lab operator key
#   lab.sh kill-mysqld HOSTNUM | start-mysqld HOSTNUM
#
# See lab/README.md. Everything it creates is named mhaadm-* (namespaces, links) or lives
# under LAB_DIR (${MHAADM_LAB_DIR:-/var/tmp/mhaadm-lab}). It never touches anything else.
set -u
umask 022
export LC_ALL=C

LAB_DIR=${MHAADM_LAB_DIR:-/var/tmp/mhaadm-lab}
LAB_DIR=${LAB_DIR%/}
BR=mhaadm-br0
NS_PFX=mhaadm-h
VETH_PFX=mhaadm-v
NET=10.77.0
BR_IP=10.77.0.1
MASTER_IP=10.77.0.11
MARKER=.mhaadm-lab
LOCK_FILE=/run/lock/mhaadm-lab.lock
MYSQLD=/usr/sbin/mariadbd
SSHD=/usr/sbin/sshd
MAX_HOSTS=80                       # keeps host IPs in .11-.90 (VIP .100 stays free)
START_TIMEOUT=${MHAADM_LAB_TIMEOUT:-60}   # seconds for servers / replication to come up
STOP_TIMEOUT=10                    # seconds between TERM and KILL in down

MHA_USER=mha
REPL_USER=repl
APP_USER=app
# --ssh-bare: a non-root login user that exists only inside the lab hosts (per-host
# /etc/netns/NS/passwd, bind-mounted over /etc/passwd by ip netns exec)
BARE_USER=mhalab
BARE_UID=47731
NETNS_ETC=/etc/netns

prog=${0##*/}

err()  { printf '%s: error: %s\n' "$prog" "$*" >&2; }
die()  { err "$*"; exit 1; }
info() { printf '%s: %s\n' "$prog" "$*"; }

# phase NAME: with MHAADM_LAB_DEBUG=1, print the time since the previous phase to stderr
PHASE_T=
phase() {
	[ "${MHAADM_LAB_DEBUG:-0}" = 1 ] || return 0
	local t; t=$(now_ms)
	[ -n "$PHASE_T" ] && printf '%s: [debug] %6d ms  %s\n' "$prog" $((t - PHASE_T)) "$PHASE_NAME" >&2
	PHASE_T=$t; PHASE_NAME=$1
}

now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#${t:0:-3})); }

ns_of()   { echo "${NS_PFX}$1"; }
ip_of()   { echo "${NET}.$((10 + $1))"; }
veth_of() { echo "${VETH_PFX}$1"; }
dir_of()  { echo "$LAB_DIR/h$1"; }
sock_of() { echo "$LAB_DIR/h$1/run/mysqld.sock"; }

check_lab_dir() {
	case $LAB_DIR in
	/*) ;;
	*) die "MHAADM_LAB_DIR must be an absolute path (got '$LAB_DIR')" ;;
	esac
	[[ $LAB_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] ||
		die "MHAADM_LAB_DIR may only contain A-Z a-z 0-9 . _ - / (got '$LAB_DIR')"
	case $LAB_DIR in
	/ | /bin | /boot | /dev | /etc | /home | /lib* | /opt | /proc | /root | /run | /sbin | /srv | \
		/sys | /tmp | /usr | /usr/* | /var | /var/tmp | /var/lib | /var/log)
		die "refusing MHAADM_LAB_DIR=$LAB_DIR" ;;
	esac
}

take_lock() {
	mkdir -p "${LOCK_FILE%/*}" 2>/dev/null
	exec 9>>"$LOCK_FILE" || die "cannot open lock file $LOCK_FILE"
	flock -w 120 9 || die "another lab.sh up/down is running (lock $LOCK_FILE)"
}

# pid_alive PID: running and not a zombie
pid_alive() {
	local pid=$1 line rest
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	{ read -r line </proc/"$pid"/stat; } 2>/dev/null || return 1
	rest=${line##*) }
	[ "${rest%% *}" != Z ]
}

read_pidfile() {
	local pid=
	[ -r "$1" ] && read -r pid <"$1" 2>/dev/null
	[[ $pid =~ ^[0-9]+$ ]] && echo "$pid"
}

# pid_is_ours PID NAME: a live process whose comm is NAME and whose command line mentions LAB_DIR
pid_is_ours() {
	local pid=$1 name=$2 comm cmd
	pid_alive "$pid" || return 1
	{ read -r comm </proc/"$pid"/comm; } 2>/dev/null || return 1
	[ "$comm" = "$name" ] || return 1
	cmd=$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null) || return 1
	[[ $cmd == *"$LAB_DIR/h"* ]]
}

# mysqld_pid I: pid of the host's running mariadbd (pid file, else a scan for its my.cnf)
mysqld_pid() {
	local p f cmd d
	d=$(dir_of "$1")
	p=$(read_pidfile "$d/run/mysqld.pid") && pid_is_ours "$p" mariadbd && { echo "$p"; return 0; }
	for f in /proc/[0-9]*/cmdline; do
		cmd=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
		case $cmd in
		*"mariadbd --defaults-file=$d/my.cnf"*)
			p=${f#/proc/}; p=${p%/cmdline}
			pid_is_ours "$p" mariadbd && { echo "$p"; return 0; } ;;
		esac
	done
	return 1
}
sshd_pid()   { local p; p=$(read_pidfile "$(dir_of "$1")/sshd.pid") && pid_is_ours "$p" sshd && echo "$p"; }

# mysql client as root over the host's unix socket; extra args follow
sqlh() {
	local i=$1; shift
	mariadb --no-defaults --socket="$(sock_of "$i")" --user=root --connect-timeout=5 "$@"
}

lab_hosts_present() {
	# prints the host numbers that have a directory in LAB_DIR, sorted
	local d
	for d in "$LAB_DIR"/h[0-9]*; do
		[ -d "$d" ] || continue
		d=${d##*/h}
		[[ $d =~ ^[0-9]+$ ]] && echo "$d"
	done | sort -n
}

need_host() {
	local i=${1:-}
	[[ $i =~ ^[1-9][0-9]*$ ]] || die "HOSTNUM must be a positive number (got '$i')"
	[ -d "$(dir_of "$i")" ] || die "host h$i does not exist (is the lab up? see '$prog status')"
}

# ---------------------------------------------------------------- down

lab_pids() {
	# every pid in our namespaces plus our servers found through pid files
	local ns f p
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${NS_PFX}[0-9]+\$"); do
		ip netns pids "$ns" 2>/dev/null
	done
	for f in "$LAB_DIR"/h*/run/mysqld.pid; do
		p=$(read_pidfile "$f") && pid_is_ours "$p" mariadbd && echo "$p"
	done
	for f in "$LAB_DIR"/h*/sshd.pid; do
		p=$(read_pidfile "$f") && pid_is_ours "$p" sshd && echo "$p"
	done
}

live_lab_pids() {
	local p
	for p in $(lab_pids | sort -un); do
		pid_alive "$p" && echo "$p"
	done
}

wait_pids_gone() {
	# wait_pids_gone DEADLINE_MS: until no lab pid is alive; prints survivors on timeout
	local deadline=$1 left
	while :; do
		left=$(live_lab_pids)
		[ -z "$left" ] && return 0
		[ "$(now_ms)" -ge "$deadline" ] && { echo "$left"; return 1; }
		sleep 0.05
	done
}

do_down() {
	local pids left ns link t0
	t0=$(now_ms)
	pids=$(live_lab_pids)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		if ! left=$(wait_pids_gone $(($(now_ms) + STOP_TIMEOUT * 1000))); then
			err "down: processes still alive after ${STOP_TIMEOUT}s, sending KILL:" "${left//$'\n'/ }"
			# shellcheck disable=SC2086
			kill -KILL $left 2>/dev/null
			if ! left=$(wait_pids_gone $(($(now_ms) + 5000))); then
				err "down: processes survived KILL:" "${left//$'\n'/ }"
			fi
		fi
	fi
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${NS_PFX}[0-9]+\$"); do
		ip netns del "$ns" 2>/dev/null || err "down: cannot delete namespace $ns"
	done
	# --ssh-bare: the hosts' own passwd/shadow/group
	for ns in "$NETNS_ETC/${NS_PFX}"[0-9]*; do
		[ -d "$ns" ] && [[ ${ns##*/} =~ ^${NS_PFX}[0-9]+$ ]] && rm -rf -- "$ns"
	done
	rmdir "$NETNS_ETC" 2>/dev/null
	for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep -E "^${VETH_PFX}[0-9]+\$"); do
		ip link del "$link" 2>/dev/null
	done
	if ip link show "$BR" >/dev/null 2>&1; then
		ip link del "$BR" || err "down: cannot delete bridge $BR"
	fi
	if [ -e "$LAB_DIR" ]; then
		if [ -e "$LAB_DIR/$MARKER" ] || [ -z "$(ls -A "$LAB_DIR" 2>/dev/null)" ]; then
			rm -rf -- "$LAB_DIR" || err "down: cannot remove $LAB_DIR"
		else
			err "down: $LAB_DIR is not a lab directory (no $MARKER); left alone"
		fi
	fi
	# verify
	local bad=0
	ip netns list 2>/dev/null | grep -qE "^${NS_PFX}[0-9]+( |\$)" && { err "down: namespaces remain"; bad=1; }
	ip link show "$BR" >/dev/null 2>&1 && { err "down: bridge $BR remains"; bad=1; }
	[ -e "$LAB_DIR/$MARKER" ] && { err "down: $LAB_DIR remains"; bad=1; }
	DOWN_MS=$(($(now_ms) - t0))
	return $bad
}

cmd_down() {
	[ $# -eq 0 ] || die "usage: $prog down"
	take_lock
	do_down || exit 1
	info "down in $((DOWN_MS / 1000)).$(printf '%03d' $((DOWN_MS % 1000)))s"
}

# ---------------------------------------------------------------- up

gen_password() {
	local p=
	while [ ${#p} -lt 16 ]; do
		p+=$(head -c 256 /dev/urandom | tr -dc 'A-Za-z0-9')
	done
	echo "${p:0:16}"
}

write_mycnf() {
	local i=$1 d
	d=$(dir_of "$i")
	cat >"$d/my.cnf" <<EOF
# mhaadm lab host h$i ($(ip_of "$i")), written by lab.sh
[mysqld]
user                    = mysql
datadir                 = $d/data
socket                  = $d/run/mysqld.sock
pid-file                = $d/run/mysqld.pid
log-error               = $d/log/mariadb.err
tmpdir                  = $d/tmp
port                    = 3306
bind-address            = 0.0.0.0
server_id               = $i
log_bin                 = mysql-bin
log_slave_updates       = 1
relay_log               = relay-bin
relay_log_purge         = 0
binlog_format           = ROW
skip-name-resolve
innodb_buffer_pool_size = 32M
performance_schema      = OFF
EOF
	is_galera "$i" || return 0
	# --galera: the settings docs/manager-ha.md requires of a Galera registry (every write
	# flushed at commit, causal reads and writes), small caches, quick eviction of a dead
	# node (2 s suspect: the managers' leases are a few seconds), rsync state transfer.
	cat >>"$d/my.cnf" <<EOF
wsrep_on                = ON
wsrep_provider          = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name      = mhaadm-lab
wsrep_cluster_address   = gcomm://$GALERA_IPS_CSV
wsrep_node_address      = $(ip_of "$i")
wsrep_node_name         = h$i
wsrep_sst_method        = rsync
wsrep_provider_options  = "gcache.size=16M;gmcast.listen_addr=tcp://$(ip_of "$i"):4567;ist.recv_addr=$(ip_of "$i");evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S;evs.install_timeout=PT3S;evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S"
wsrep_sync_wait         = 7
innodb_flush_log_at_trx_commit = 1
innodb_autoinc_lock_mode = 2
EOF
}

# --galera: host I is one of the Galera nodes (the standalone hosts); --managers: a manager host
is_galera()  { [ "${GALERA:-0}" = 1 ] && [ "$1" -gt "${GALERA_FIRST:-0}" ] && [ "$1" -le "${GALERA_LAST:-0}" ]; }
is_manager() { [ -e "$(dir_of "$1")/manager-host" ]; }

write_sshd_config() {
	local i=$1 d auth
	d=$(dir_of "$i")
	if [ "${SSH_BARE:-0}" = 1 ]; then
		# --ssh-bare: nothing pre-trusted; password logins (root and $BARE_USER, lab password
		# in the host's own /etc/shadow copy); authorized_keys in each user's per-host home.
		auth="PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes"
	else
		auth="AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthenticationMethods publickey"
	fi
	cat >"$d/sshd_config" <<EOF
# mhaadm lab host h$i, written by lab.sh; run as: ip netns exec $(ns_of "$i") $SSHD -f $d/sshd_config
ListenAddress $(ip_of "$i"):22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
UsePAM no
$auth
# StrictModes would reject AuthorizedKeysFile below a world-writable directory such as
# /var/tmp; the lab keeps its own files root-owned and 0600/0644 instead.
StrictModes no
UseDNS no
# bash reads ~/.bashrc for commands run by sshd unless SHLVL is set; on this kind of
# machine root's .bashrc runs 'pyenv init' (~0.45 s per command), which would distort
# every MHA ssh step and failover timing. Real hosts rarely have that; the lab opts out.
SetEnv SHLVL=1
PrintMotd no
PrintLastLog no
X11Forwarding no
MaxStartups 100:30:200
MaxSessions 64
LoginGraceTime 30
LogLevel INFO
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# start_mysqld_bg I: start the host's mariadbd in the background (detached from our fds).
# ip netns exec and setsid both exec, so $! is the server itself: MYSQLD_BG[I].
declare -A MYSQLD_BG=()
start_mysqld_bg() {
	local i=$1 d
	shift
	d=$(dir_of "$i")
	rm -f "$d/run/mysqld.pid"
	ip netns exec "$(ns_of "$i")" setsid "$MYSQLD" --defaults-file="$d/my.cnf" "$@" \
		</dev/null >>"$d/log/mariadbd.out" 2>&1 9>&- &
	MYSQLD_BG[$i]=$!
}

# wait_mysqld DEADLINE_MS I...: until every server answers SELECT 1 over its socket
wait_mysqld() {
	local deadline=$1; shift
	local pending=("$@") still i
	while [ ${#pending[@]} -gt 0 ]; do
		still=()
		for i in "${pending[@]}"; do
			if ! sqlh "$i" -N -B -e 'SELECT 1' >/dev/null 2>&1; then
				still+=("$i")
			fi
		done
		pending=("${still[@]}")
		[ ${#pending[@]} -eq 0 ] && return 0
		for i in "${pending[@]}"; do
			# our child: once it exits it is a zombie until reaped, which pid_alive treats as gone
			if ! pid_alive "${MYSQLD_BG[$i]:-}"; then
				err "mariadbd on h$i exited during start-up (see $(dir_of "$i")/log/mariadb.err)"
				return 1
			fi
		done
		if [ "$(now_ms)" -ge "$deadline" ]; then
			err "mariadbd did not answer within the deadline on: ${pending[*]/#/h}"
			return 1
		fi
		sleep 0.1
	done
}

# wait_galera DEADLINE_MS SIZE I...: until every node is Synced in a primary component of SIZE
wait_galera() {
	local deadline=$1 size=$2; shift 2
	local i st
	for i in "$@"; do
		while :; do
			st=$(sqlh "$i" -N -B -e "SELECT CONCAT(MAX(IF(VARIABLE_NAME='WSREP_CLUSTER_STATUS',VARIABLE_VALUE,'')),
				'/', MAX(IF(VARIABLE_NAME='WSREP_LOCAL_STATE_COMMENT',VARIABLE_VALUE,'')),
				'/', MAX(IF(VARIABLE_NAME='WSREP_CLUSTER_SIZE',VARIABLE_VALUE,'')))
				FROM information_schema.GLOBAL_STATUS" 2>/dev/null)
			[ "$st" = "Primary/Synced/$size" ] && break
			if [ "$(now_ms)" -ge "$deadline" ]; then
				err "galera node h$i: ${st:-no answer} (want Primary/Synced/$size)"
				return 1
			fi
			sleep 0.1
		done
	done
}

# write_bare_etc I PWHASH: the host's own passwd/shadow/group (ip netns exec bind-mounts
# $NETNS_ETC/NS/* over /etc/* for the processes it starts, sshd and its sessions included):
# root's home and $BARE_USER's home are per host, both log in with the lab password.
# The machine's own /etc/passwd and root password are never changed; down removes these.
write_bare_etc() {
	local i=$1 hash=$2 d e
	d=$(dir_of "$i"); e=$NETNS_ETC/$(ns_of "$i")
	mkdir -p "$e" && chmod 0755 "$e" || return 1
	mkdir -m 0700 "$d/root" && mkdir -m 0755 "$d/home" && mkdir -m 0700 "$d/home/$BARE_USER" &&
		chown "$BARE_UID:$BARE_UID" "$d/home/$BARE_USER" || return 1
	awk -F: -v OFS=: -v home="$d/root" -v u="$BARE_USER" -v id="$BARE_UID" -v uh="$d/home/$BARE_USER" \
		'$1 == u { next } $1 == "root" { $6 = home } { print } END { print u, "x", id, id, "mhaadm lab", uh, "/bin/sh" }' \
		/etc/passwd >"$e/passwd" || return 1
	awk -F: -v OFS=: -v u="$BARE_USER" -v id="$BARE_UID" '$1 == u { next } { print } END { print u, "x", id, "" }' \
		/etc/group >"$e/group" || return 1
	awk -F: -v OFS=: -v u="$BARE_USER" -v h="$hash" '$1 == u { next } $1 == "root" { $2 = h } { print } END { print u, h, "19000", "0", "99999", "7", "", "", "" }' \
		/etc/shadow >"$e/shadow" || return 1
	chmod 0644 "$e/passwd" "$e/group" && chmod 0640 "$e/shadow" && chown root:shadow "$e/shadow" 2>/dev/null
	# with sudo installed: $BARE_USER may run ip and arping as root, nothing else (the
	# non-root ssh_user of docs/ssh.md); the machine's own /etc/sudoers is not touched
	if [ -e /etc/sudoers ]; then
		printf '%s\n' "# mhaadm lab host h$i (--ssh-bare), written by lab.sh" "Defaults env_reset" \
			"root ALL=(ALL:ALL) ALL" \
			"$BARE_USER ALL=(root) NOPASSWD: /usr/bin/ip, /usr/sbin/ip, /usr/sbin/arping" \
			>"$e/sudoers" && chmod 0440 "$e/sudoers" || return 1
	fi
	return 0
}

UP_DONE=0
up_abort() {
	trap - INT TERM HUP
	[ "$UP_DONE" = 1 ] && return
	err "up failed: $*"
	if [ -d "$LAB_DIR" ]; then
		echo "---- lab logs ----" >&2
		do_logs >&2
	fi
	err "tearing down the partial lab"
	do_down >/dev/null || true
	exit 1
}

cmd_up() {
	local n=3 m=0 k=0
	GTID=0
	SSH_BARE=0
	GALERA=0
	while [ $# -gt 0 ]; do
		case $1 in
		--hosts) [ $# -ge 2 ] || die "--hosts needs a value"; n=$2; shift 2 ;;
		--hosts=*) n=${1#*=}; shift ;;
		--standalone) [ $# -ge 2 ] || die "--standalone needs a value"; m=$2; shift 2 ;;
		--standalone=*) m=${1#*=}; shift ;;
		--gtid) GTID=1; shift ;;
		--ssh-bare) SSH_BARE=1; shift ;;
		--galera) GALERA=1; shift ;;
		--managers) [ $# -ge 2 ] || die "--managers needs a value"; k=$2; shift 2 ;;
		--managers=*) k=${1#*=}; shift ;;
		*) die "usage: $prog up [--hosts N] [--standalone M] [--gtid] [--ssh-bare] [--galera] [--managers K]" ;;
		esac
	done
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "--hosts must be a number >= 1 (got '$n')"
	[[ $m =~ ^[0-9]+$ ]] || die "--standalone must be a number >= 0 (got '$m')"
	[[ $k =~ ^[0-9]+$ ]] || die "--managers must be a number >= 0 (got '$k')"
	n=$((10#$n)); m=$((10#$m)); k=$((10#$k))
	local total=$((n + m)) every=$((n + m + k))
	[ "$every" -le "$MAX_HOSTS" ] || die "at most $MAX_HOSTS hosts in total"
	if [ "$GALERA" = 1 ]; then
		[ "$m" -ge 3 ] || die "--galera needs --standalone 3 or more (the Galera nodes)"
		[ -r /usr/lib/galera/libgalera_smm.so ] ||
			die "--galera: no /usr/lib/galera/libgalera_smm.so (install galera-4: scripts/install-deps.sh)"
		command -v rsync >/dev/null 2>&1 || die "--galera: missing command rsync (state transfer)"
	fi
	GALERA_FIRST=$n GALERA_LAST=$total GALERA_IPS_CSV=
	local gi
	for ((gi = n + 1; gi <= total; gi++)); do GALERA_IPS_CSV+="${GALERA_IPS_CSV:+,}$(ip_of "$gi")"; done
	local c
	for c in ip mariadb mariadb-install-db ssh ssh-keygen flock setsid "$MYSQLD" "$SSHD"; do
		command -v "$c" >/dev/null 2>&1 || die "missing command: $c (see scripts/install-deps.sh)"
	done
	[ "$(id -u)" = 0 ] || die "must run as root"
	id mysql >/dev/null 2>&1 || die "no 'mysql' user (is mariadb-server installed?)"

	take_lock
	local t0; t0=$(now_ms)
	phase "down of the previous lab"
	do_down >/dev/null || die "could not tear down the previous lab"

	# the lab's range must be free in the root namespace
	if [ -n "$(ip -4 route show "$NET.0/24" 2>/dev/null)" ] ||
		[ -n "$(ip -4 addr show to "$NET.0/24" 2>/dev/null)" ]; then
		die "$NET.0/24 is already routed or assigned in the root namespace; refusing to build the lab"
	fi
	if [ -e "$LAB_DIR" ]; then
		die "$LAB_DIR exists and is not a lab directory; remove it or set MHAADM_LAB_DIR"
	fi

	trap 'up_abort "interrupted"' INT TERM HUP

	local i d ns ip
	mkdir -p "$LAB_DIR" && chmod 0755 "$LAB_DIR" || up_abort "cannot create $LAB_DIR"
	printf 'hosts=%s standalone=%s managers=%s galera=%s\n' "$n" "$m" "$k" "$GALERA" >"$LAB_DIR/$MARKER"
	mkdir -m 0700 "$LAB_DIR/ssh" || up_abort "cannot create $LAB_DIR/ssh"

	local mha_pw repl_pw app_pw ssh_pw="" bare_hash=""
	mha_pw=$(gen_password); repl_pw=$(gen_password); app_pw=$(gen_password)
	if [ "$SSH_BARE" = 1 ]; then
		command -v openssl >/dev/null 2>&1 || up_abort "--ssh-bare needs openssl (password hash)"
		getent passwd "$BARE_UID" >/dev/null && up_abort "uid $BARE_UID is taken on this machine"
		ssh_pw=$(gen_password)
		bare_hash=$(printf '%s\n' "$ssh_pw" | openssl passwd -6 -stdin) || up_abort "openssl passwd failed"
	fi

	# ---- keys and per-host files
	phase "keys and per-host files"
	ssh-keygen -q -t ed25519 -N '' -C "mhaadm-lab-operator" -f "$LAB_DIR/ssh/id_ed25519" </dev/null ||
		up_abort "ssh-keygen failed"
	: >"$LAB_DIR/ssh/known_hosts"
	for ((i = 1; i <= total; i++)); do
		d=$(dir_of "$i")
		mkdir -m 0755 "$d" || up_abort "cannot create $d"
		mkdir -m 0750 "$d/data" && mkdir -m 0700 "$d/tmp" && mkdir -m 0755 "$d/run" "$d/log" &&
			chown mysql:mysql "$d/data" "$d/tmp" "$d/run" "$d/log" || up_abort "cannot prepare $d"
		write_mycnf "$i" && write_sshd_config "$i" || up_abort "cannot write configs in $d"
		ssh-keygen -q -t ed25519 -N '' -C "mhaadm-lab-h$i" -f "$d/ssh_host_ed25519_key" </dev/null ||
			up_abort "ssh-keygen (host key h$i) failed"
		if [ "$SSH_BARE" = 1 ]; then
			write_bare_etc "$i" "$bare_hash" || up_abort "cannot write the --ssh-bare passwd/shadow of h$i"
		else
			install -m 0600 "$LAB_DIR/ssh/id_ed25519.pub" "$d/authorized_keys" || up_abort "authorized_keys h$i"
		fi
		printf '%s %s\n' "$(ip_of "$i")" "$(cut -d' ' -f1-2 "$d/ssh_host_ed25519_key.pub")" \
			>>"$LAB_DIR/ssh/known_hosts"
	done
	{
		for ((i = 1; i <= total; i++)); do
			printf 'Host h%s %s\n  HostName %s\n' "$i" "$(ip_of "$i")" "$(ip_of "$i")"
		done
		printf 'Host *\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n' "$LAB_DIR/ssh/id_ed25519"
		printf '  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n' "$LAB_DIR/ssh/known_hosts"
		printf '  BatchMode yes\n  ConnectTimeout 5\n  LogLevel ERROR\n'
	} >"$LAB_DIR/ssh/config"
	chmod 0644 "$LAB_DIR/ssh/known_hosts" "$LAB_DIR/ssh/config"
	# --managers: hosts h(N+M+1).. are manager hosts: a namespace on the bridge, no server, no
	# sshd; a test runs an mhaadm daemon there (ip netns exec) to cut it off on its own.
	for ((i = total + 1; i <= every; i++)); do
		d=$(dir_of "$i")
		mkdir -m 0755 "$d" && : >"$d/manager-host" || up_abort "cannot create $d"
	done

	# ---- network: bridge in the root namespace, one namespace + veth per host
	phase "network"
	ip link add "$BR" type bridge || up_abort "cannot create bridge $BR"
	echo 1 2>/dev/null >/proc/sys/net/ipv6/conf/"$BR"/disable_ipv6
	ip addr add "$BR_IP/24" dev "$BR" && ip link set "$BR" up || up_abort "cannot configure $BR"
	# Nothing addressed to 10.77.0.0/16 outside the bridge's /24 may leave the machine (the
	# bench registers VIPs in 10.77.1-4.x; a probe of a lab address while the lab is down):
	# a blackhole route, left in place by "down" on purpose.
	ip route replace blackhole 10.77.0.0/16 || up_abort "cannot add the blackhole route"
	for ((i = 1; i <= every; i++)); do
		ns=$(ns_of "$i"); ip=$(ip_of "$i")
		ip netns add "$ns" || up_abort "cannot create namespace $ns"
		ip link add "$(veth_of "$i")" type veth peer name eth0 netns "$ns" ||
			up_abort "cannot create veth for h$i"
		echo 1 2>/dev/null >/proc/sys/net/ipv6/conf/"$(veth_of "$i")"/disable_ipv6
		ip netns exec "$ns" sh -c 'for f in all default eth0; do
			echo 1 >/proc/sys/net/ipv6/conf/$f/disable_ipv6; done' 2>/dev/null 9>&-
		ip link set "$(veth_of "$i")" master "$BR" up &&
			ip -n "$ns" link set lo up &&
			ip -n "$ns" addr add "$ip/24" dev eth0 &&
			ip -n "$ns" link set eth0 up || up_abort "cannot configure network of h$i"
	done

	# ---- sshd on every host, ready once its pid file exists
	phase "sshd on every host"
	local deadline
	mkdir -p /run/sshd && chmod 0755 /run/sshd || up_abort "cannot create /run/sshd"
	for ((i = 1; i <= total; i++)); do
		d=$(dir_of "$i")
		ip netns exec "$(ns_of "$i")" "$SSHD" -f "$d/sshd_config" -E "$d/sshd.log" \
			</dev/null >/dev/null 2>>"$d/sshd.log" 9>&- || up_abort "sshd failed to start on h$i"
	done
	deadline=$(($(now_ms) + START_TIMEOUT * 1000))
	for ((i = 1; i <= total; i++)); do
		# the pid file is written after sshd listens
		while ! sshd_pid "$i" >/dev/null; do
			[ "$(now_ms)" -ge "$deadline" ] && up_abort "sshd on h$i did not come up"
			sleep 0.02
		done
	done

	# ---- datadirs (in parallel, inside the namespaces; one retry per host)
	phase "datadirs"
	local -A jobs=()
	local failed attempt
	local todo=()
	for ((i = 1; i <= total; i++)); do todo+=("$i"); done
	for attempt in 1 2; do
		jobs=()
		for i in "${todo[@]}"; do
			d=$(dir_of "$i")
			TMPDIR=$d/tmp ip netns exec "$(ns_of "$i")" mariadb-install-db --defaults-file="$d/my.cnf" \
				--user=mysql --skip-test-db --auth-root-authentication-method=socket \
				</dev/null >"$d/log/install-db.log" 2>&1 9>&- &
			jobs[$i]=$!
		done
		failed=()
		for i in "${todo[@]}"; do
			if wait "${jobs[$i]}"; then
				rm -f "$(dir_of "$i")/log/install-db.log"
			else
				failed+=("$i")
			fi
		done
		[ ${#failed[@]} -eq 0 ] && break
		if [ "$attempt" = 1 ]; then
			err "mariadb-install-db failed on ${failed[*]/#/h}; retrying once"
			for i in "${failed[@]}"; do
				d=$(dir_of "$i")
				mv "$d/log/install-db.log" "$d/log/install-db.first-attempt.log" 2>/dev/null
				rm -rf "${d:?}/data" "${d:?}/tmp" && mkdir -m 0750 "$d/data" && mkdir -m 0700 "$d/tmp" &&
					chown mysql:mysql "$d/data" "$d/tmp" || up_abort "cannot reset datadir of h$i"
			done
			todo=("${failed[@]}")
		else
			up_abort "mariadb-install-db failed twice on ${failed[*]/#/h} (see log/install-db.log)"
		fi
	done

	# ---- mariadbd on every host
	phase "mariadbd on every host"
	local all=()
	for ((i = 1; i <= total; i++)); do
		# --galera: the first node bootstraps the cluster; the others join it later (below)
		if is_galera "$i" && [ "$i" -gt $((n + 1)) ]; then continue; fi
		if is_galera "$i"; then start_mysqld_bg "$i" --wsrep-new-cluster; else start_mysqld_bg "$i"; fi
		all+=("$i")
	done
	# ssh logins with the operator key run in the background while the servers start
	local -A sshjobs=()
	for ((i = 1; i <= total; i++)); do
		[ "$SSH_BARE" = 1 ] && break   # nothing is pre-trusted
		ssh -n -F /dev/null -i "$LAB_DIR/ssh/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
			-o UserKnownHostsFile="$LAB_DIR/ssh/known_hosts" -o StrictHostKeyChecking=yes \
			-o ConnectTimeout=10 "root@$(ip_of "$i")" true \
			</dev/null >/dev/null 2>"$(dir_of "$i")/ssh-check.err" 9>&- &
		sshjobs[$i]=$!
	done
	wait_mysqld $(($(now_ms) + START_TIMEOUT * 1000)) "${all[@]}" || up_abort "mariadbd start-up"

	# ---- accounts on every server, not replicated
	phase "accounts on every server"
	local acct
	acct="SET SESSION sql_log_bin=0;
CREATE USER '$MHA_USER'@'$NET.%' IDENTIFIED BY '$mha_pw';
GRANT ALL PRIVILEGES ON *.* TO '$MHA_USER'@'$NET.%' WITH GRANT OPTION;
CREATE USER '$REPL_USER'@'$NET.%' IDENTIFIED BY '$repl_pw';
GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'$NET.%';
CREATE USER '$APP_USER'@'$NET.%' IDENTIFIED BY '$app_pw';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP ON \`labdb\`.* TO '$APP_USER'@'$NET.%';"
	for i in "${all[@]}"; do
		sqlh "$i" -N -B <<<"$acct" || up_abort "cannot create accounts on h$i"
	done

	# ---- --galera: the other nodes join one at a time (rsync state transfer from a synced one)
	if [ "$GALERA" = 1 ]; then
		phase "galera nodes join"
		for ((i = n + 2; i <= total; i++)); do
			start_mysqld_bg "$i"
			wait_mysqld $(($(now_ms) + START_TIMEOUT * 1000)) "$i" || up_abort "galera node h$i start-up"
		done
		wait_galera $(($(now_ms) + START_TIMEOUT * 1000)) "$m" $(seq $((n + 1)) "$total") ||
			up_abort "the galera cluster did not form"
	fi

	# ---- replication h2..hN from h1 (file/position read before labdb exists)
	phase "replication h2..hN from h1"
	local mfile mpos
	read -r mfile mpos _ < <(sqlh 1 -N -B -e 'SHOW MASTER STATUS')
	[ -n "${mfile:-}" ] && [[ ${mpos:-} =~ ^[0-9]+$ ]] || up_abort "SHOW MASTER STATUS on h1 returned nothing"
	local gpos where
	gpos=$(sqlh 1 -N -B -e 'SELECT @@gtid_binlog_pos')
	for ((i = 2; i <= n; i++)); do
		# --gtid: MariaDB GTID replication (MASTER_USE_GTID=slave_pos) from the same point.
		if [ "$GTID" = 1 ]; then
			where="MASTER_USE_GTID=slave_pos"
			sqlh "$i" -N -B -e "SET GLOBAL gtid_slave_pos='$gpos'" ||
				up_abort "cannot set gtid_slave_pos on h$i"
		else
			where="MASTER_LOG_FILE='$mfile', MASTER_LOG_POS=$mpos"
		fi
		# MASTER_HEARTBEAT_PERIOD=1: an idle master is heard every second, so mhaadm's
		# secondary check tells a cut link from a quiet master (docs/mha.md).
		sqlh "$i" -N -B <<EOF || up_abort "cannot configure replication on h$i"
CHANGE MASTER TO MASTER_HOST='$MASTER_IP', MASTER_PORT=3306, MASTER_USER='$REPL_USER',
  MASTER_PASSWORD='$repl_pw', MASTER_HEARTBEAT_PERIOD=1, $where;
START SLAVE;
SET GLOBAL read_only=1;
EOF
	done
	sqlh 1 -N -B -e 'CREATE DATABASE labdb' || up_abort "cannot create labdb on h1"

	# ---- wait until every replica runs both threads and has labdb
	phase "wait until every replica runs both threads and has labdb"
	local pending still st io sqlr
	deadline=$(($(now_ms) + START_TIMEOUT * 1000))
	pending=()
	for ((i = 2; i <= n; i++)); do pending+=("$i"); done
	while [ ${#pending[@]} -gt 0 ]; do
		still=()
		for i in "${pending[@]}"; do
			st=$(sqlh "$i" -e 'SHOW SLAVE STATUS\G' 2>/dev/null)
			io=$(sed -n 's/^ *Slave_IO_Running: //p' <<<"$st")
			sqlr=$(sed -n 's/^ *Slave_SQL_Running: //p' <<<"$st")
			if [ "$io" = Yes ] && [ "$sqlr" = Yes ] &&
				[ "$(sqlh "$i" -N -B -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='labdb'" 2>/dev/null)" = 1 ]; then
				continue
			fi
			still+=("$i")
		done
		pending=("${still[@]}")
		[ ${#pending[@]} -eq 0 ] && break
		if [ "$(now_ms)" -ge "$deadline" ]; then
			for i in "${pending[@]}"; do
				sqlh "$i" -e 'SHOW SLAVE STATUS\G' 2>&1 |
					grep -E 'Slave_(IO|SQL)_Running:|Last_(IO|SQL)_Error:' | sed "s/^ */h$i: /" >&2
			done
			up_abort "replication not running on ${pending[*]/#/h} within ${START_TIMEOUT}s"
		fi
		sleep 0.05
	done

	# ---- the ssh logins started with the servers (operator key + known_hosts)
	phase "ssh logins"
	failed=()
	for ((i = 1; i <= total; i++)); do
		[ "$SSH_BARE" = 1 ] && break
		if wait "${sshjobs[$i]}"; then
			rm -f "$(dir_of "$i")/ssh-check.err"
		else
			failed+=("$i")
			sed "s/^/h$i ssh: /" "$(dir_of "$i")/ssh-check.err" >&2
		fi
	done
	[ ${#failed[@]} -eq 0 ] || up_abort "ssh with the lab key failed on ${failed[*]/#/h}"

	# ---- env file
	phase "env file"
	local ips="" sips="" allips=""
	for ((i = 1; i <= n; i++)); do ips+="${ips:+ }$(ip_of "$i")"; done
	for ((i = n + 1; i <= total; i++)); do sips+="${sips:+ }$(ip_of "$i")"; done
	allips="$ips${sips:+ $sips}"
	local mips=""
	for ((i = total + 1; i <= every; i++)); do mips+="${mips:+ }$(ip_of "$i")"; done
	(
		umask 077
		cat >"$LAB_DIR/env.tmp" <<EOF
# mhaadm lab, written by lab/lab.sh up on $(date -u '+%Y-%m-%dT%H:%M:%SZ'). Source it: . $LAB_DIR/env
LAB_DIR='$LAB_DIR'
LAB_HOSTS=$n
LAB_STANDALONE=$m
LAB_IPS='$ips'
LAB_STANDALONE_IPS='$sips'
LAB_ALL_IPS='$allips'
LAB_MASTER_IP=$MASTER_IP
LAB_BRIDGE=$BR
LAB_BRIDGE_IP=$BR_IP
LAB_NS_PREFIX=$NS_PFX
LAB_MHA_USER=$MHA_USER
LAB_MHA_PASSWORD='$mha_pw'
LAB_REPL_USER=$REPL_USER
LAB_REPL_PASSWORD='$repl_pw'
LAB_APP_USER=$APP_USER
LAB_APP_PASSWORD='$app_pw'
LAB_SSH_KEY='$LAB_DIR/ssh/id_ed25519'
LAB_KNOWN_HOSTS='$LAB_DIR/ssh/known_hosts'
LAB_SSH_CONFIG='$LAB_DIR/ssh/config'
LAB_SSH_BARE=$SSH_BARE
LAB_SSH_PASSWORD='$ssh_pw'
LAB_SSH_BARE_USER=$BARE_USER
LAB_GALERA=$GALERA
LAB_GALERA_IPS='$( [ "$GALERA" = 1 ] && echo "${GALERA_IPS_CSV//,/ }")'
LAB_MANAGERS=$k
LAB_MANAGER_IPS='$mips'
EOF
	) && chmod 0600 "$LAB_DIR/env.tmp" && mv "$LAB_DIR/env.tmp" "$LAB_DIR/env" || up_abort "cannot write env file"

	phase end
	UP_DONE=1
	trap - INT TERM HUP
	local ms=$(($(now_ms) - t0))
	info "up: $n replicating host(s) ($ips, master $MASTER_IP)${sips:+, $m standalone ($sips)}$([ "$GALERA" = 1 ] && echo ' as one galera cluster')${mips:+, $k manager host(s) ($mips)} in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s; env: $LAB_DIR/env"
}

# ---------------------------------------------------------------- other commands

do_logs() {
	local i d f
	for i in $(lab_hosts_present); do
		d=$(dir_of "$i")
		is_manager "$i" && continue
		for f in "$d/log/install-db.first-attempt.log" "$d/log/install-db.log" "$d/log/mariadbd.out"; do
			[ -s "$f" ] || continue
			echo "==== h$i $(ns_of "$i") ${f#"$d"/} ===="
			tail -n 50 "$f"
		done
		echo "==== h$i $(ns_of "$i") mariadb error log ($d/log/mariadb.err) ===="
		if [ -r "$d/log/mariadb.err" ]; then tail -n 50 "$d/log/mariadb.err"; else echo "(none)"; fi
		echo "==== h$i $(ns_of "$i") sshd log ($d/sshd.log) ===="
		if [ -r "$d/sshd.log" ]; then tail -n 50 "$d/sshd.log"; else echo "(none)"; fi
	done
}

cmd_logs() {
	[ -d "$LAB_DIR" ] || { err "no lab at $LAB_DIR"; exit 1; }
	do_logs
}

cmd_status() {
	local hosts
	hosts=$(lab_hosts_present)
	if [ -z "$hosts" ]; then
		echo "lab: down (no $LAB_DIR)"
		exit 3
	fi
	local n=0 i role my sh ro repl st io sqlr mh lag
	[ -r "$LAB_DIR/$MARKER" ] && n=$(sed -n 's/^hosts=\([0-9]*\).*/\1/p' "$LAB_DIR/$MARKER")
	for i in $hosts; do
		if is_manager "$i"; then
			echo "h$i ip=$(ip_of "$i") role=manager"
			continue
		fi
		if [ "$i" -eq 1 ]; then role=master
		elif [ "$i" -le "${n:-0}" ]; then role=replica
		else role=standalone; fi
		my=down; sh=down; ro=-; repl=-
		sshd_pid "$i" >/dev/null && sh=up
		if mysqld_pid "$i" >/dev/null; then
			my=up
			if ro=$(timeout 5 mariadb --no-defaults --socket="$(sock_of "$i")" -uroot --connect-timeout=2 \
				-N -B -e 'SELECT @@global.read_only' 2>/dev/null); then
				st=$(timeout 5 mariadb --no-defaults --socket="$(sock_of "$i")" -uroot --connect-timeout=2 \
					-e 'SHOW SLAVE STATUS\G' 2>/dev/null)
				if [ -z "$st" ]; then
					repl=none
				else
					io=$(sed -n 's/^ *Slave_IO_Running: //p' <<<"$st")
					sqlr=$(sed -n 's/^ *Slave_SQL_Running: //p' <<<"$st")
					mh=$(sed -n 's/^ *Master_Host: //p' <<<"$st")
					lag=$(sed -n 's/^ *Seconds_Behind_Master: //p' <<<"$st")
					repl="io:${io:-?},sql:${sqlr:-?},master:${mh:-?},behind:${lag:-?}"
				fi
			else
				my=hung; ro="?"
			fi
		fi
		echo "h$i ip=$(ip_of "$i") role=$role mariadbd=$my sshd=$sh read_only=$ro repl=$repl"
	done
}

cmd_sql() {
	[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $prog sql HOSTNUM ['SQL']  (SQL from stdin if omitted)"
	need_host "$1"
	if [ $# -eq 2 ]; then
		sqlh "$1" -N -B -e "$2"
	else
		sqlh "$1" -N -B
	fi
}

cmd_exec() {
	[ $# -ge 2 ] || die "usage: $prog exec HOSTNUM CMD..."
	need_host "$1"
	local ns; ns=$(ns_of "$1"); shift
	ip netns list | awk '{print $1}' | grep -qx "$ns" || die "namespace $ns does not exist"
	exec ip netns exec "$ns" "$@"
}

cmd_ssh() {
	[ $# -ge 1 ] || die "usage: $prog ssh HOSTNUM [CMD...]"
	need_host "$1"
	local i=$1; shift
	[ -r "$LAB_DIR/ssh/config" ] || die "no ssh config in $LAB_DIR/ssh"
	exec ssh -F "$LAB_DIR/ssh/config" "h$i" "$@"
}

cmd_kill_mysqld() {
	[ $# -eq 1 ] || die "usage: $prog kill-mysqld HOSTNUM"
	need_host "$1"
	local i=$1 pid deadline
	pid=$(mysqld_pid "$i") || die "mariadbd on h$i is not running"
	kill -KILL "$pid" || die "cannot kill mariadbd pid $pid on h$i"
	deadline=$(($(now_ms) + 5000))
	while pid_alive "$pid"; do
		[ "$(now_ms)" -ge "$deadline" ] && die "mariadbd pid $pid on h$i still alive after KILL"
		sleep 0.02
	done
	info "killed mariadbd (pid $pid) on h$i"
}

cmd_start_mysqld() {
	[ $# -eq 1 ] || die "usage: $prog start-mysqld HOSTNUM"
	need_host "$1"
	local i=$1 pid
	if pid=$(mysqld_pid "$i"); then
		die "mariadbd on h$i is already running (pid $pid)"
	fi
	ip netns list | awk '{print $1}' | grep -qx "$(ns_of "$i")" || die "namespace $(ns_of "$i") does not exist"
	start_mysqld_bg "$i"
	wait_mysqld $(($(now_ms) + START_TIMEOUT * 1000)) "$i" || {
		echo "---- h$i error log ----" >&2
		tail -n 30 "$(dir_of "$i")/log/mariadb.err" >&2
		exit 1
	}
	info "started mariadbd (pid $(mysqld_pid "$i")) on h$i"
}

usage() {
	cat <<EOF
usage: $prog COMMAND [ARGS]
  up [--hosts N] [--standalone M] [--gtid] [--ssh-bare] [--galera] [--managers K]
                                    build the lab (default N=3, M=0); tears down an existing one;
                                    --ssh-bare: nothing pre-trusted, password login for root and
                                    $BARE_USER (LAB_SSH_PASSWORD), authorized_keys in per-host homes
                                    --galera: the M (>= 3) standalone hosts form one MariaDB
                                    Galera cluster (the HA registry of docs/manager-ha.md)
                                    --managers K: K more hosts (after the others) with no server
                                    and no sshd, where a test runs a manager daemon
  down                              tear down everything the lab created (idempotent)
  status                            one line per host (exit 3 if no lab)
  logs                              tail of every host's mariadb error log and sshd log
  sql HOSTNUM ['SQL']               run SQL as root via the host's unix socket (-N -B)
  exec HOSTNUM CMD...               run CMD inside the host's network namespace
  ssh HOSTNUM [CMD...]              ssh root@host with the lab operator key
  kill-mysqld HOSTNUM               kill -9 the host's mariadbd
  start-mysqld HOSTNUM              start the host's mariadbd again and wait until it answers
LAB_DIR=\${MHAADM_LAB_DIR:-/var/tmp/mhaadm-lab} (now: $LAB_DIR)
EOF
}

main() {
	[ $# -ge 1 ] || { usage >&2; exit 2; }
	check_lab_dir
	local cmd=$1; shift
	case $cmd in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status "$@" ;;
	logs) cmd_logs "$@" ;;
	sql) cmd_sql "$@" ;;
	exec) cmd_exec "$@" ;;
	ssh) cmd_ssh "$@" ;;
	kill-mysqld) cmd_kill_mysqld "$@" ;;
	start-mysqld) cmd_start_mysqld "$@" ;;
	-h | --help | help) usage ;;
	*) usage >&2; exit 2 ;;
	esac
}

main "$@"
