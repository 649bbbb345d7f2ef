#!/bin/bash
# Runs every test of mhaadm as root on Debian 12: installs dependencies, builds with -Werror,
# runs the cmocka unit tests under ASan/UBSan, then the integration tests in the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: run as root (the lab needs network namespaces)" >&2
	exit 1
fi
./scripts/install-deps.sh
./scripts/build.sh --asan

echo "== unit tests (ASan/UBSan) =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --print-errorlogs

echo "== integration tests (lab) =="
# The lab is torn down by the tests' own fixture; this trap is the last resort.
# Only if no other session holds the lab lock by then: its lab is not ours to tear down.
trap 'flock -n /var/tmp/mhaadm-lab.lock "$root/lab/lab.sh" down >/dev/null 2>&1 || true' EXIT
MHAADM_BIN="$root/build/mhaadm" /usr/bin/python3 -m pytest -p no:cacheprovider -v \
	"$root/tests/integration" "$@"
