#!/usr/bin/env bash
# Sizing figures for the README, measured: akmad's resident memory at each
# engine.capacity, empty and filled to 90 % (akmactl load, replication to a
# private Redis in sync mode), and Redis's memory per context. Prints a
# table; services on private ports, stopped at the end.
#
#   bench/sizing.sh BUILD_DIR [CAPACITY...]   (default 100000 1000000 4000000)
set -u
BUILD=${1:?usage: bench/sizing.sh BUILD_DIR [CAPACITY...]}
shift
caps=("${@:-100000 1000000 4000000}")
[ $# -eq 0 ] && caps=(100000 1000000 4000000)
AKMAD=$BUILD/drivers/programs/akmad
AKMACTL=$BUILD/drivers/programs/akmactl
. "$(dirname "$0")/../tests/check.sh"
scratch sizing
new_key "$dir/akmad.psk"
new_key "$dir/akmad.kek"
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/$1/status; }
redis_mem() { redis-cli -p $rport info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r'; }
printf '%-10s %12s %12s %14s %14s %12s\n' capacity "rss empty" "rss 90 %" "akmad B/ctx" "redis B/ctx" "load /s"
for cap in "${caps[@]}"; do
	rport=$(free_port 2) # Redis, then akmad's wire port
	wport=$((rport + 1))
	private_redis $rport || exit 1
	rpid=${pids[-1]}
	cat > "$dir/akmad.conf" << CONF
[engine]
capacity = $cap
[wire]
listen = udp:127.0.0.1:$wport
psk_file = akmad.psk
[sbi]
listen =
[metrics]
listen =
[redis]
address = 127.0.0.1:$rport
[replication]
kek_file = akmad.kek
CONF
	"$AKMAD" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
	pid=$!
	pids+=($pid)
	for _ in $(seq 1 600); do grep -q "listening on" "$dir/akmad.log" && break; sleep 0.1; done
	grep -q "listening on" "$dir/akmad.log" || {
		echo "sizing: akmad at capacity $cap did not start:" >&2
		tail -5 "$dir/akmad.log" >&2
		exit 1
	}
	empty=$(rss_kb $pid)
	r0=$(redis_mem)
	n=$((cap * 9 / 10))
	rate=$("$AKMACTL" load --config "$dir/akmad.conf" --contexts $n --timeout 10 |
		grep -o '[0-9]* registrations/s' | cut -d' ' -f1)
	full=$(rss_kb $pid)
	r1=$(redis_mem)
	printf '%-10s %10s MB %10s MB %14s %14s %12s\n' $cap $((empty / 1024)) $((full / 1024)) \
		$(((full - empty) * 1024 / n)) $(((r1 - r0) / n)) "${rate:-?}"
	kill -TERM $pid
	wait $pid 2> /dev/null
	kill $rpid
	wait $rpid 2> /dev/null
done
