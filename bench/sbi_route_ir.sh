#!/usr/bin/env bash
# The route table's cost in instructions, which this shared machine's
# noise does not move: akma-sbi under callgrind before one akmad, with no
# route table and with one (as bench/sbi_route.sh), serving N1 and then N2
# retrieve-applicationkey requests (tests/sbi_load.py, 100 streams in
# flight); (Ir(N2) - Ir(N1)) / (N2 - N1) is the front end's instructions a
# request, start-up and teardown cancelled out. Needs valgrind.
#
#   bench/sbi_route_ir.sh [BUILD_DIR [N1 [N2]]]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n1=${2:-2000}
n2=${3:-12000}
PY=/usr/bin/python3
command -v valgrind > /dev/null || { echo "sbi_route_ir: valgrind missing (apt-get install valgrind)" >&2; exit 1; }
. "$top/tests/check.sh"
scratch sbi-route-ir TERM
case $build in /*) ;; *) build=$top/$build ;; esac

base=$(free_port 3)
new_key "$dir/akmad.psk"
printf '[engine]\ncapacity = 100000\n[metrics]\nlisten =\nfront_end_listen =\n[wire]\nlisten = udp:127.0.0.1:%s\npsk_file = akmad.psk\n[sbi]\nlisten =\n' \
	$base > "$dir/akmad.conf"
"$build/drivers/programs/akmad" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q "listening on" "$dir/akmad.log" && break; sleep 0.1; done
printf '0-9,00-99,000-999,0000-9999 udp:127.0.0.1:%s udp:127.0.0.1:%s\n' $base $((base + 1)) > "$dir/routes"
printf '[metrics]\nlisten =\nfront_end_listen =\n[wire]\npsk_file = akmad.psk\n[sbi]\nlisten = 127.0.0.1:%s\n' \
	$((base + 2)) > "$dir/fe.conf"
RIDS="0001 0499 7 1234"

# run FE-OPTIONS N: akma-sbi's instructions serving N retrieves
run() {
	local n=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
		"$build/drivers/programs/akma-sbi" --config "$dir/fe.conf" "$@" > "$dir/fe.log" 2>&1 &
	local pid=$!
	for _ in $(seq 1 600); do grep -q "serving h2c" "$dir/fe.log" && break; sleep 0.1; done
	$PY "$top/tests/sbi_load.py" $((base + 2)) retrieve "$n" $RIDS > "$dir/load.out" 2>&1 ||
		{ cat "$dir/load.out" >&2; kill $pid; return 1; }
	kill -TERM $pid
	wait $pid 2> /dev/null
	grep -q "retrieve 200: $n ;" "$dir/load.out" || { cat "$dir/load.out" >&2; return 1; }
	awk '/^summary:/ { print $2 }' "$dir/cg.out"
}
# The contexts, registered through a front end outside valgrind.
"$build/drivers/programs/akma-sbi" --config "$dir/fe.conf" --server udp:127.0.0.1:$base > "$dir/pre.log" 2>&1 &
pre=$!
for _ in $(seq 1 100); do grep -q "serving h2c" "$dir/pre.log" && break; sleep 0.1; done
$PY "$top/tests/sbi_load.py" $((base + 2)) populate "$n2" $RIDS | tail -1
kill -TERM $pre
wait $pre
for fe in direct routed; do
	if [ $fe = direct ]; then
		set -- --server udp:127.0.0.1:$base
	else
		set -- --routes "$dir/routes"
	fi
	a=$(run $n1 "$@") && b=$(run $n2 "$@") || exit 1
	per=$($PY -c "print('%.0f' % (($b - $a) / ($n2 - $n1)))")
	echo "$fe: Ir $a for $n1 requests, $b for $n2: $per instructions a request"
	eval "ir_$fe=$per"
done
$PY -c "print('route table / no route table: %.3fx (%+.1f%%)' % ($ir_routed / $ir_direct, 100 * ($ir_routed / $ir_direct - 1)))"
