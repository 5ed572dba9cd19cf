#!/usr/bin/env bash
# Build a libFuzzer target with clang (plus ASan and UBSan) and run it for
# FUZZ_SECONDS (default 20). A crash fails the test and leaves the input
# that caused it in the build directory.
#
#   fuzz.sh SOURCE_ROOT BUILD_DIR TARGET     TARGET: wire | sbi_json | pkt
set -u
top=${1:?usage: fuzz.sh SOURCE_ROOT BUILD_DIR TARGET}
out=${2:?usage: fuzz.sh SOURCE_ROOT BUILD_DIR TARGET}
target=${3:?usage: fuzz.sh SOURCE_ROOT BUILD_DIR TARGET}
seconds=${FUZZ_SECONDS:-20}
case "$target" in
wire) # the wire protocol's datagram and message decoder
	sources=("$top/engine/wire.c" "$top/engine/gcm.c" "$top/engine/err.c" "$top/engine/secmem.c")
	libs=(-lIPSec_MB) ;;
sbi_json) # the Naanf_AKMA request decoder and answer encoder
	sources=("$top/drivers/sbi/json.c" "$top/engine/kdf.c" "$top/engine/sha256.c"
		"$top/engine/hex.c" "$top/engine/err.c" "$top/engine/secmem.c")
	libs=(-ljansson) ;;
pkt) # a DPDK port's frames, routing-indicator lists and A-KIDs
	sources=("$top/drivers/ethdev/pkt.c" "$top/engine/rid.c")
	libs=() ;;
*) echo "fuzz: unknown target $target"; exit 2 ;;
esac
name=fuzz_$target
clang=$(command -v clang || command -v clang-14) || { echo "$name: clang not installed (scripts/setup.sh installs it)"; exit 1; }
mkdir -p "$out/$name.corpus"
"$clang" -O1 -g -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$top/engine" -I"$top/drivers/sbi" -I"$top/drivers/ethdev" \
	"$top/tests/$name.c" "${sources[@]}" "${libs[@]}" -o "$out/$name" || exit 1
# Seeds for the SBI decoder: a body of each operation as clients send
# them (the first octet picks it), so that the in-place reading is where
# the fuzzer starts.
if [ "$target" = sbi_json ] && [ -z "$(ls -A "$out/$name.corpus")" ]; then
	printf '\000{"supi":"imsi-001010123456789","gpsi":"msisdn-31612345678","aKId":"1.x@akma.example","kAkma":"3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c","suppFeat":"0"}' > "$out/$name.corpus/register"
	printf '\001{"afId":"af.example.com;ua=0100000007","aKId":"1.x@akma.example","anonInd":false}' > "$out/$name.corpus/retrieve"
	printf '\002{ "supi" : "imsi-001010123456789" }' > "$out/$name.corpus/remove"
fi
cd "$out" || exit 1
./"$name" -max_total_time="$seconds" -max_len=2048 -print_final_stats=1 "$name.corpus" 2>&1 |
	grep -E 'Done|stat::number_of_executed_runs|ERROR|SUMMARY|crash'
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "$name: 1 passed, 0 failed" || echo "$name: 0 passed, 1 failed"
exit "$status"
