#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs every build, test and lab dependency of mhaadm on Debian 12 (idempotent).
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="build-essential meson ninja-build pkg-config
libmariadb-dev libsqlite3-dev libcmocka-dev libinih-dev libjson-c-dev libssh-dev libcurl4-openssl-dev libssl-dev
mariadb-server mariadb-client mha4mysql-manager mha4mysql-node
openssh-server openssh-client iproute2 arping procps sqlite3 nftables
python3 python3-pytest python3-pymysql sudo
libmicrohttpd-dev clang-format debhelper lintian bash-completion prometheus chromium galera-4 rsync"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
echo "install-deps: installing:$missing"
apt-get update -qq
# policy-rc.d on some machines keeps services from starting; we start our own servers anyway.
apt-get install -y -qq --no-install-recommends $missing
