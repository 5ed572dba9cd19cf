#!/usr/bin/env bash
# The man pages as man(1) renders them: akmad(8), akma-sbi(8), akmactl(8),
# akma-bench(1) and the generated akmad.conf(5), each with no groff
# warning; akmad.conf(5) names every key `akmactl config` knows, and each
# program's page every command or option its --help lists.
set -u
BUILD=${1:?usage: man_pages.sh BUILD_DIR}
P=$BUILD/drivers/programs
dir=$(mktemp -d /tmp/akma-man-XXXXXX)
trap 'rm -rf "$dir"' EXIT
. "$(dirname "$0")/check.sh"
command -v man > /dev/null || { echo "FAIL man (Debian package man-db) is missing"; exit 1; }

for page in $P/akmad.8 $P/akma-sbi.8 $P/akmactl.8 $P/akmad.conf.5 $BUILD/bench/akma-bench.1; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" > "$dir/out" 2> "$dir/warnings"
	rc=$?
	check "man -l $(basename "$page"): rendered, no groff warning" bash -c "
		cat '$dir/warnings'; [ $rc = 0 ] && [ -s '$dir/out' ] && [ ! -s '$dir/warnings' ]"
done
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$P/akmad.conf.5" 2> /dev/null | sed 's/\xe2\x80\x90/-/g' > "$dir/conf.txt"
"$P/akmactl" config --config /dev/null |
	awk '/^\[/ { sec = substr($0, 2, length($0) - 2); next } /^[a-z_]+ =/ { print sec "." $1 }' > "$dir/keys"
check "akmad.conf(5) documents every key of the table ($(wc -l < "$dir/keys") keys)" bash -c "
	n=0; s=
	while read -r k; do
		sec=\${k%%.*} key=\${k#*.}
		awk -v s=\"[\$sec]\" -v k=\"\$key\" '\$1 == s { in_s = 1; next } /^   \\[/ { in_s = 0 }
			in_s && \$1 == k && \$2 == \"=\" { found = 1 } END { exit !found }' '$dir/conf.txt' || { echo \"missing \$k\"; exit 1; }
	done < '$dir/keys'"
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$P/akmactl.8" 2> /dev/null > "$dir/akmactl.txt"
check "akmactl(8) has every command of akmactl --help" bash -c "
	for c in register get remove stats load config promote derive; do
		grep -q \"^       \$c\\b\\|^   \$c\\b\\|akmactl \$c\" '$dir/akmactl.txt' || { echo \"missing \$c\"; exit 1; }
	done"
check_done
