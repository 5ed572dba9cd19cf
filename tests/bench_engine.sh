#!/usr/bin/env bash
# akma-bench engine end to end, small: every row it prints carries a rate,
# every request of the engine's round was answered as the workload wants
# (all found; with a share of unknown A-KIDs and three AF_IDs in turn,
# those not found, nothing else), and on a CPU with SHA-NI the kernel is
# set against ipsec-mb in the same run whichever path the engine runs,
# auto's choice or either forced.
#   bench_engine.sh AKMA_BENCH
set -u
[ $# -eq 1 ] || { echo "usage: bench_engine.sh AKMA_BENCH"; exit 2; }
bench=$1
. "$(dirname "$0")/check.sh"
scratch bench-engine

small=(--contexts 20000 --rounds 2 --duration 0.2)

has_rows() {
	local out=$1
	for row in "naive: cds_lfht + HMAC()" "engine: burst pipeline off" \
		"engine: rings+bulk+mb" "limit: 2 lines + K_AF blocks"; do
		# the method fills 28 columns and a space; then arch, burst, M/s
		awk -v r="$row" 'index($0, r) == 1 { split(substr($0, 30), f, " ");
			if (f[3] + 0 > 0) ok = 1 } END { exit !ok }' "$out" ||
			{ echo "no rate on the row '$row'"; return 1; }
	done
	grep -q "the engine is at [0-9]*% of it" "$out" || { echo "no fraction of the limit"; return 1; }
}

# answered OUT WANT_NOT_FOUND: "N ok, M not found, 0 other", N > 0, and M > 0
# exactly when unknown A-KIDs were asked for.
answered() {
	awk -v want="$2" '/^engine answers in that round:/ {
		seen = 1; ok = $6 + 0; nf = $8 + 0; other = $11 + 0 }
		END { exit !(seen && ok > 0 && other == 0 && (want ? nf > 0 : nf == 0)) }' "$1" ||
		{ grep "^engine answers" "$1"; return 1; }
}

# compared OUT OWN: the other path's row, and the kernel's ratio to ipsec-mb
# with the spread of the rounds.
compared() {
	local out=$1 own=$2 row
	if [ "$own" = shani ]; then row="engine on ipsec-mb's best"; else row="engine on akmad's sha-ni"; fi
	grep -q "^engine: rings+bulk+mb *$own " "$out" || { echo "the engine did not run $own"; return 1; }
	grep -q "^$row " "$out" || { echo "no row '$row'"; return 1; }
	grep -Eq "^akmad's sha-ni kernel in the engine: [0-9.]+x the same engine on ipsec-mb [a-z0-9]+ \(rounds [0-9.]+-[0-9.]+\)" \
		"$out" || { echo "no kernel-to-ipsec-mb ratio"; return 1; }
	grep -Eq "^worker idle polls a request \(median round\): [0-9.]+ on $own, [0-9.]+ on [a-z0-9]+;" \
		"$out" || { echo "no idle polls of the two rows"; return 1; }
}

"$bench" engine "${small[@]}" > "$dir/auto.out" 2>&1
rc=$?
check "auto: the bench ran (exit $rc)" test "$rc" = 0
check "auto: every row carries a rate" has_rows "$dir/auto.out"
check "auto: every request found, nothing else" answered "$dir/auto.out" 0

"$bench" engine "${small[@]}" --miss-share 0.25 --af-ids 3 --no-naive > "$dir/miss.out" 2>&1
check "three AF_IDs in turn" grep -q "^workload .* 3 AF_IDs of 19 octets in turn" "$dir/miss.out"
check "a quarter unknown A-KIDs: those not found, the rest derived" answered "$dir/miss.out" 1

if grep -qw sha_ni /proc/cpuinfo; then
	own=$(awk '/^engine: rings\+bulk\+mb/ { print $3 }' "$dir/auto.out")
	check "auto ($own): set against the other path" compared "$dir/auto.out" "$own"
	for arch in shani sse; do
		"$bench" engine "${small[@]}" --no-naive --mb-arch "$arch" > "$dir/$arch.out" 2>&1
		check "--mb-arch $arch: set against the other path" compared "$dir/$arch.out" "$arch"
	done
else
	echo "skip the kernel against ipsec-mb: no SHA-NI on this CPU"
fi
check_done
