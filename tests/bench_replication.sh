#!/usr/bin/env bash
# akma-bench replication end to end, small: its private redis-server, every
# row it prints, both thread layouts; and that it never takes another's
# Redis for its own. It FLUSHALLs the Redis it uses: a decoy Redis, holding
# a key, listens on the port the bench once derived from its PID (30000 +
# PID % 20000, unchecked), started from the very process that then execs
# the bench; the decoy's key must survive.
#   bench_replication.sh AKMA_BENCH
set -u
[ $# -eq 1 ] || { echo "usage: bench_replication.sh AKMA_BENCH"; exit 2; }
bench=$1
. "$(dirname "$0")/check.sh"
scratch bench-repl

has_rows() {
	local out=$1 layout=$2
	grep -q "^layout *$layout" "$out" || { echo "no layout line '$layout'"; return 1; }
	for row in "REGISTER, replication off" "REGISTER, async (answered)" \
		"REGISTER, sync (answered = in Redis)" "REGISTER, sync, 4096 in flight" \
		"redis-benchmark MSET x64 new keys"; do
		awk -v r="$row" 'index($0, r) == 1 { sub(/^.*  +- +[- 0-9]* +/, ""); if ($1 + 0 > 0) ok = 1 }
			END { exit !ok }' "$out" || { echo "no rate on the row '$row'"; return 1; }
	done
	grep -q "^ratios .*MSET-shape ceiling: [0-9.]*, with 4096 in flight [0-9.]*" "$out" ||
		{ echo "no ratios line"; return 1; }
	grep -q "^threads .*akma-repl" "$out" || { echo "no per-thread CPU"; return 1; }
}

# The decoy: in a subshell whose PID is the bench's once it execs.
decoy_pidfile=$dir/decoy.pid
(
	port=$((30000 + BASHPID % 20000))
	echo "$port" > "$dir/decoy.port"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
		--daemonize yes --pidfile "$decoy_pidfile" --logfile "$dir/decoy.log" > /dev/null
	for _ in $(seq 1 100); do
		redis-cli -p "$port" ping 2> /dev/null | grep -q PONG && break
		sleep 0.1
	done
	redis-cli -p "$port" set decoy kept > /dev/null
	exec "$bench" replication --registrations 20000 --contexts 20000
) > "$dir/default.out" 2>&1
rc=$?
decoy_port=$(cat "$dir/decoy.port")
[ -s "$decoy_pidfile" ] && pids+=("$(cat "$decoy_pidfile")")
check "the bench ran (exit $rc)" test "$rc" = 0
check "every row and ratio, every thread on core 0 by default" \
	has_rows "$dir/default.out" "every akma-bench thread on core 0"
check "20000 contexts written, read back bare and recovered" \
	grep -q "^recovered  *20000 of 20000 keys .*(bare read saw 20000)" "$dir/default.out"
check "the Redis on the PID's old port is not taken for the bench's own" \
	test "$(redis-cli -p "$decoy_port" get decoy 2>&1)" = kept

"$bench" replication --registrations 5000 --contexts 0 --spread > "$dir/spread.out" 2>&1
check "--spread runs, the worker lcore on core 1" \
	has_rows "$dir/spread.out" "the producer on core 0, the worker lcore on core 1"
[ -s "$decoy_pidfile" ] && redis-cli -p "$decoy_port" shutdown nosave > /dev/null 2>&1
check_done
