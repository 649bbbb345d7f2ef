#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer harnesses (clang, ASan+UBSan) into build-fuzz/ and runs one:
#   scripts/fuzz.sh [config|cli|hook] [seconds]     (default: config, 600 s)
# Findings (crash-*, leak-*, timeout-*) land in fuzz/findings/TARGET/; the seeds in
# fuzz/corpus/TARGET/ are read, the corpus grows in build-fuzz/corpus/TARGET/. Runs at nice 19 on one core: the lab tests share the machine.
set -eu
cd "$(dirname "$0")/.."
target=${1:-config}
seconds=${2:-600}
case $target in
config | cli | hook) ;;
*) echo "fuzz.sh: unknown target '$target' (config, cli, hook)" >&2; exit 2 ;;
esac
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz --werror -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz "fuzz/fuzz-$target" >/dev/null
mkdir -p "fuzz/findings/$target" "build-fuzz/corpus/$target"
dict=""
[ -f "fuzz/$target.dict" ] && dict="-dict=fuzz/$target.dict"
exec nice -n 19 "build-fuzz/fuzz/fuzz-$target" -max_total_time="$seconds" -timeout=10 \
	-rss_limit_mb=1024 -print_final_stats=1 $dict \
	-artifact_prefix="fuzz/findings/$target/" "build-fuzz/corpus/$target" "fuzz/corpus/$target"
