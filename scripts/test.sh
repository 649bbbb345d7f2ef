#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
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
echo "== style: clang-format (.clang-format) and an SPDX line in every source file =="
git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'fuzz/*.c' 'fuzz/*.h' |
	xargs clang-format --dry-run --Werror
./scripts/spdx.sh --check
./scripts/build.sh --asan

echo "== unit tests (ASan/UBSan) =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --print-errorlogs

echo "== integration tests (lab) =="
# The lab is torn down by the tests' own fixture; this trap is the last resort.
# Only if no other session holds the lab lock by then: its lab is not ours to tear down.
trap 'flock -n /var/tmp/mhaadm-lab.lock "$root/lab/lab.sh" down >/dev/null 2>&1 || true' EXIT
# -rs lists every skipped test with its reason. Here (root, binary built) the lab must run:
# an integration tier that skipped every test is a failure, not a pass.
junit="$root/build/integration-junit.xml"
rm -f "$junit"
rc=0
MHAADM_BIN="$root/build/mhaadm" /usr/bin/python3 -m pytest -p no:cacheprovider -v -rs --durations=30 \
	--junitxml="$junit" "$root/tests/integration" "$@" || rc=$?
/usr/bin/python3 - "$junit" <<'PY' || rc=1
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError) as e:
    sys.exit(f"test.sh: no integration results ({e})")
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
if tests == 0 or skipped == tests:
    sys.exit(f"test.sh: the integration tier ran no test ({tests} collected, {skipped} skipped)")
PY
exit $rc
