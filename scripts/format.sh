#!/usr/bin/env bash
# Check that every C file of the tree is as clang-format (.clang-format,
# clang-format 14 from Debian 12) writes it; print the diff of each that is
# not and exit 1. With --fix, rewrite them instead.
#
#   scripts/format.sh [--fix] [SOURCE_ROOT]
set -uo pipefail
fix=0
if [ "${1:-}" = --fix ]; then
	fix=1
	shift
fi
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
cf=$(command -v clang-format || command -v clang-format-14) ||
	{ echo "format: clang-format not installed (scripts/setup.sh installs it)"; exit 1; }
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
else
	mapfile -t files < <(find engine drivers bench tests -name '*.[ch]' | sort)
fi
bad=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	if [ "$fix" = 1 ]; then
		"$cf" -i "$f"
	elif ! "$cf" "$f" | diff -u --label "$f" --label "$f (clang-format)" "$f" - ; then
		bad=$((bad + 1))
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "format: $bad of ${#files[@]} files differ from clang-format (scripts/format.sh --fix)"
	exit 1
fi
echo "format: ${#files[@]} files as clang-format writes them"
