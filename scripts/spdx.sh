#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Adds the SPDX licence line to every tracked source file that lacks one (idempotent), and with
# --check only lists the files without it (exit 1 if any). C: first line; scripts: after #!.
set -eu
cd "$(dirname "$0")/.."
tag="SPDX-License-Identifier: GPL-2.0-or-later"
check=0
[ "${1:-}" = "--check" ] && check=1
missing=0
for f in $(git ls-files '*.c' '*.h' '*.py' '*.sh' 'meson.build' '*/meson.build' '.ci/run' \
	'lab/lab.sh' 'meson_options.txt'); do
	[ -f "$f" ] || continue
	head -n 3 "$f" | grep -q "$tag" && continue
	missing=$((missing + 1))
	if [ $check -eq 1 ]; then
		echo "no SPDX line: $f"
		continue
	fi
	case $f in
	*.c | *.h) line="/* $tag */" ;;
	*) line="# $tag" ;;
	esac
	tmp=$(mktemp)
	if head -n 1 "$f" | grep -q '^#!'; then
		{ head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } >"$tmp"
	else
		{ echo "$line"; cat "$f"; } >"$tmp"
	fi
	chmod --reference="$f" "$tmp"
	mv "$tmp" "$f"
done
if [ $check -eq 1 ] && [ $missing -gt 0 ]; then
	exit 1
fi
exit 0
