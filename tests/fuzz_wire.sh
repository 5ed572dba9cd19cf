#!/usr/bin/env bash
# Build tests/fuzz_wire.c with clang's libFuzzer (plus ASan and UBSan) and
# run it for FUZZ_SECONDS (default 20). A crash fails the test and leaves the
# input that caused it in the build directory.
set -u
top=${1:?usage: fuzz_wire.sh SOURCE_ROOT BUILD_DIR}
out=${2:?usage: fuzz_wire.sh SOURCE_ROOT BUILD_DIR}
seconds=${FUZZ_SECONDS:-20}
clang=$(command -v clang || command -v clang-14) || { echo "fuzz_wire: clang not installed (scripts/setup.sh installs it)"; exit 1; }
mkdir -p "$out/fuzz_wire.corpus"
"$clang" -O1 -g -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$top/engine" \
	"$top/tests/fuzz_wire.c" "$top/engine/wire.c" "$top/engine/gcm.c" "$top/engine/err.c" \
	-lIPSec_MB -o "$out/fuzz_wire" || exit 1
cd "$out" || exit 1
./fuzz_wire -max_total_time="$seconds" -max_len=2048 -print_final_stats=1 fuzz_wire.corpus 2>&1 |
	grep -E 'Done|stat::number_of_executed_runs|ERROR|SUMMARY|crash' 
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "fuzz_wire: 1 passed, 0 failed" || echo "fuzz_wire: 0 passed, 1 failed"
exit "$status"
