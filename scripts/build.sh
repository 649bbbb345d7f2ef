#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds mhaadm into build/ (release, -Werror) and, with --asan, build-asan/ (ASan+UBSan).
set -eu
cd "$(dirname "$0")/.."
setup() {
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}
setup build --werror
if [ "${1:-}" = "--asan" ]; then
	setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false
fi
