#!/usr/bin/env bash
# Set up (missing Debian packages, meson build into build/ with warnings as
# errors) and run the whole test suite: every meson suite in build/, then the
# fast and stress suites again under AddressSanitizer and
# UndefinedBehaviorSanitizer in build-asan/, with the Redis, replication, SBI,
# route, NRF and DPDK port suites (akmad's exit leak report off: DPDK keeps its memory to the end).
# Exits non-zero on any failure; the last line is the count.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/scripts/setup.sh" build -Dwerror=true || exit 1
"$top/scripts/setup.sh" build-asan -Dwerror=true -Db_sanitize=address,undefined \
	-Dbuildtype=debugoptimized -Db_lundef=false || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
echo "== build/: all suites"
meson test -C build --print-errorlogs 2>&1 | tee -a "$log" || status=1
echo "== build-asan/: fast and stress suites under ASan+UBSan"
AKMA_STRESS_SECONDS=5 meson test -C build-asan --suite fast --suite stress --print-errorlogs 2>&1 |
	tee -a "$log" || status=1
echo "== build-asan/: Redis, replication, SBI, route, NRF and DPDK port suites under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 meson test -C build-asan integration_redis \
	integration_repl integration_sbi integration_trust integration_route integration_nrf \
	integration_ethdev \
	--print-errorlogs 2>&1 | tee -a "$log" || status=1

ok=$(awk '/^Ok:/ {s += $2} END {print s + 0}' "$log")
bad=$(awk '/^(Fail|Unexpected Pass|Timeout):/ {s += $NF} END {print s + 0}' "$log")
echo "$ok passed, $bad failed"
[ "$status" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$ok" -gt 0 ]
