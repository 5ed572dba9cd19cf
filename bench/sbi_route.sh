#!/usr/bin/env bash
# The route table's cost: akma-sbi before one akmad, with no route table
# (--server) and with one (--routes: every RID akma-bench uses, 0..9999 in
# their four lengths, to that akmad as a group with a standby address that
# never answers), the same load on each (akma-bench sbi: random A-KIDs over
# N contexts, 4 x 32 streams), rounds interleaved. One engine on purpose:
# two engines on this machine's two cores would measure core contention,
# not the routing. Prints each round (requests/s, and the front end's own
# CPU time per request from /proc/PID/stat, which the neighbours' noise
# moves less than throughput) and the medians with their ratios.
#
#   bench/sbi_route.sh [BUILD_DIR [CONTEXTS [ROUNDS]]]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n=${2:-200000}
rounds=${3:-5}
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
. "$top/tests/check.sh"
scratch sbi-route TERM
case $build in /*) ;; *) build=$top/$build ;; esac

base=$(free_port 5) # akmad wire, the standby address, akmad SBI (unused), two front ends
new_key "$dir/akmad.psk"
{
	printf '[engine]\ncapacity = %s\nring_size = 4096\nmb_arch = sse\n' $((n + n / 8 + 1000))
	printf '[metrics]\nlisten =\nfront_end_listen =\n[wire]\nlisten = udp:127.0.0.1:%s\npsk_file = akmad.psk\n' $base
	printf '[sbi]\nlisten =\n'
} > "$dir/akmad.conf"
"$build/drivers/programs/akmad" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q "listening on" "$dir/akmad.log" && break; sleep 0.1; done
grep -q "listening on" "$dir/akmad.log" || { cat "$dir/akmad.log"; exit 1; }
printf '0-9,00-99,000-999,0000-9999 udp:127.0.0.1:%s udp:127.0.0.1:%s\n' $base $((base + 1)) > "$dir/routes"
declare -A port=([direct]=$((base + 3)) [routed]=$((base + 4))) fe_pid
for fe in direct routed; do
	printf '[metrics]\nlisten =\nfront_end_listen =\n[wire]\npsk_file = akmad.psk\n[sbi]\nlisten = 127.0.0.1:%s\n' \
		${port[$fe]} > "$dir/$fe.conf"
	if [ $fe = direct ]; then
		set -- --server udp:127.0.0.1:$base
	else
		set -- --routes "$dir/routes"
	fi
	"$build/drivers/programs/akma-sbi" --config "$dir/$fe.conf" "$@" > "$dir/$fe.log" 2>&1 &
	pids+=($!)
	fe_pid[$fe]=$!
	for _ in $(seq 1 100); do grep -q "serving h2c" "$dir/$fe.log" && break; sleep 0.1; done
	grep -q "serving h2c" "$dir/$fe.log" || { cat "$dir/$fe.log"; exit 1; }
done
B=$build/bench/akma-bench
echo "preloading $n contexts through the routed front end"
$B sbi --server 127.0.0.1:${port[routed]} --contexts $n --rounds 1 --duration 0.2 --csv \
	> "$dir/pre.out" 2>&1 || { cat "$dir/pre.out"; exit 1; }
$B sbi --server 127.0.0.1:${port[direct]} --no-register --contexts $n --rounds 1 --duration 0.1 |
	sed -n '/^#/p;/^cpu\|^dpdk\|^ipsec/p' | head -5
ticks() { # PID: utime + stime, in clock ticks
	awk '{ print $14 + $15 }' /proc/$1/stat
}
hz=$(getconf CLK_TCK)
declare -A res cpu
for r in $(seq 1 "$rounds"); do
	for fe in direct routed; do
		t0=$(ticks ${fe_pid[$fe]})
		out=$($B sbi --server 127.0.0.1:${port[$fe]} --no-register --contexts $n --rounds 1 \
			--duration 2 --csv)
		t1=$(ticks ${fe_pid[$fe]})
		row=$(echo "$out" | grep '^uniformly')
		rps=$(echo "$row" | cut -d, -f2)
		p99=$(echo "$row" | cut -d, -f4)
		# the round's requests: both kinds ran 2 s each
		reqs=$(echo "$out" | awk -F, '/^(one|uniformly)/ { s += $2 * 2 } END { print s }')
		us=$($PY -c "print('%.2f' % (($t1 - $t0) / $hz * 1e6 / $reqs))")
		echo "round $r $fe: $rps requests/s, p99 $p99 us; akma-sbi CPU $us us a request"
		res[$fe]="${res[$fe]:-} $rps"
		cpu[$fe]="${cpu[$fe]:-} $us"
	done
done
$PY - "${res[direct]}" "${res[routed]}" "${cpu[direct]}" "${cpu[routed]}" << 'PY'
import statistics, sys
direct, routed, cd, cr = ([float(x) for x in a.split()] for a in sys.argv[1:5])
d, r = statistics.median(direct), statistics.median(routed)
print("median: no route table %.0f, route table %.0f requests/s: %.3fx (cost %.1f%%)"
      % (d, r, r / d, 100 * (1 - r / d)))
print("per round, routed/direct: " + " ".join("%.3f" % (b / a) for a, b in zip(direct, routed)))
a, b = statistics.median(cd), statistics.median(cr)
print("akma-sbi CPU a request, median: no route table %.2f us, route table %.2f us: %.3fx"
      % (a, b, b / a))
PY
