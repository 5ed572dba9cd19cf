#!/usr/bin/env bash
# Replication and failover, end to end: akmad daemons, Redis servers and
# Sentinels all started here on private ports with their own directories,
# all stopped at the end.
#
#   1. kill -9 akmad in the middle of a sync registration stream; a fresh
#      akmad recovers every acknowledged registration (same K_AF), none of
#      the refused ones
#   2. nothing in Redis holds a K_AKMA in the clear
#   3. a corrupt record, one under a wrong KEK, one of another format
#      version and one moved to another key: skipped, counted, named; the
#      rest recovered
#   4. Redis down past the lease: nothing served, reads included
#      (NOT_PRIMARY), writes refused; Redis out of memory: the same, and
#      said once; Redis frozen (SIGSTOP): noticed within redis.timeout,
#      writes refused at once, not held; Redis restarted: akmad reconnects
#      by itself, writes resume, nothing acknowledged lost
#   5. async mode: answered at once, in Redis soon after; lag in telemetry
#   6. standby takeover: kill -9 the primary under load; the standby serves
#      every acknowledged context; the time from kill to first K_AF printed;
#      akmactl promote takes over from a live primary, waiting a whole
#      lease, and the old primary, demoted, serves nothing, reads included
#   6b. a standby across a Redis restart: reconnects, catches up from the
#      change feed (no reload), and once promoted serves what was written
#      meanwhile
#   6c. a standby cut off for 5 s under load: caught up from the feed, the
#      figures printed; promoted, it serves every write acknowledged meanwhile
#   7. Redis primary failover through Sentinel (a primary, two replicas,
#      three sentinels): akmad follows it without restart; no acknowledged
#      write lost; with a lease long enough for the failover (README), reads
#      never stop
#   8. start-up refusals, each with a clear reason: a dead Redis, --standby
#      without Redis, a KEK file others can read, a wrong Redis password;
#      and AUTH with the right one
#
# AKMA_KEEP_LOGS=1 keeps the directory (daemon and Redis logs) for a look.
set -u
BUILD=${1:?usage: integration_repl.sh BUILD_DIR}
AKMAD=$BUILD/drivers/programs/akmad
AKMACTL=$BUILD/drivers/programs/akmactl
CLIENT=$BUILD/tests/repl_client
dir=$(mktemp -d /tmp/akma-repl-XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# What a kill -9 left of our own akmads: each EAL runtime directory is
	# named by its akmad's PID (file prefix akmad-PID); nobody else's.
	for p in "${pids[@]}"; do
		rm -rf "/var/run/dpdk/akmad-$p" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/akmad-$p" \
			"/tmp/dpdk/akmad-$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
[ -n "${AKMA_KEEP_LOGS:-}" ] && trap "for p in \"\${pids[@]}\"; do kill -9 \$p 2>/dev/null; done; echo logs kept in $dir" EXIT

. "$(dirname "$0")/check.sh"
base=$(free_port 41) # base .. base + 40, free when chosen

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/akmad.psk"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/akmad.kek"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/other.kek"
chmod 600 "$dir"/*.psk "$dir"/*.kek

start_redis() { # PORT [extra args]
	local port=$1
	shift
	mkdir -p "$dir/redis-$port"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir/redis-$port" --save '' \
		--appendonly yes --appendfsync always --daemonize no "$@" \
		> "$dir/redis-$port.log" 2>&1 &
	pids+=($!)
	eval "redis_pid_$port=$!"
	for _ in $(seq 1 100); do
		redis-cli -p "$port" ping > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "redis-server on port $port did not answer:"
	tail -5 "$dir/redis-$port.log"
	return 1
}

# start_akmad NAME PORT [akmad options]: the daemon, on lease 1 s so that
# takeovers are quick; returns once it listens (or is a following standby).
start_akmad() {
	local name=$1 port=$2
	shift 2
	cat > "$dir/$name.conf" <<-EOF
	[engine]
	capacity = 100000
	requests = 8192
	[metrics]
	listen =
	front_end_listen =
	[wire]
	listen = udp:127.0.0.1:$port
	psk_file = akmad.psk
	[replication]
	lease = 1000
	[sbi]
	listen =
	EOF
	launch_akmad "$name" "$dir/$name.conf" "$@"
}

stop_akmad() { # NAME
	local pid
	eval "pid=\$pid_$1"
	kill -TERM "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
}

R1=$base
P1=$((base + 1))
P2=$((base + 2))
C="$CLIENT $dir/akmad.psk 127.0.0.1"
start_redis $R1 || { echo "FAIL redis-server did not start"; exit 1; }

# ---- 1. kill -9 mid-stream --------------------------------------------------------
start_akmad a $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek
$C $P1 register 0 200000 "$dir/acks" > "$dir/stream.out" &
stream=$!
for _ in $(seq 1 150); do [ -f "$dir/acks" ] && [ "$(wc -l < "$dir/acks")" -ge 2000 ] && break; sleep 0.1; done
kill -9 "$pid_a"
wait $stream
cat "$dir/stream.out"
check "kill -9 mid-stream: some registrations acknowledged before the kill" \
	grep -qv "registered: 0 acknowledged" "$dir/stream.out"
check "the kill landed mid-stream" test "$(wc -l < "$dir/acks")" -lt 200000
start_akmad b $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek
grep "recovered" "$dir/b.log"
check "a fresh akmad serves every acknowledged registration with the same K_AF, no refused one" \
	$C $P1 verify 0 200000 "$dir/acks"

# A GPSI beside the SUPI survives the replication and a recovery.
CTLW=(--server udp:127.0.0.1:$P1 --psk-file "$dir/akmad.psk")
"$AKMACTL" register "${CTLW[@]}" --supi imsi-001010000777777 --gpsi msisdn-31612345678 \
	--akid g.repl@akma.example --kakma 0bb3911ee581cef60115d54994bda163c3767644dacdf10934149597449f3d51
stop_akmad b
start_akmad b $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek
check "a GPSI registered beside the SUPI is recovered with it (--want-gpsi: the GPSI)" \
	bash -c "'$AKMACTL' get ${CTLW[*]} --akid g.repl@akma.example --af-fqdn af.example.com --ua-id 0100000007 --want-gpsi | grep -qx 'gpsi msisdn-31612345678'"
check "... and a plain get still gives the SUPI" \
	bash -c "'$AKMACTL' get ${CTLW[*]} --akid g.repl@akma.example --af-fqdn af.example.com --ua-id 0100000007 | grep -qx 'supi imsi-001010000777777'"

# ---- 2. nothing in the clear ------------------------------------------------------
check "no value in Redis holds a K_AKMA in the clear" \
	"$CLIENT" $R1 scan-clear 0 "$(wc -l < "$dir/acks")"

# ---- 3. bad records --------------------------------------------------------------
stop_akmad b
R2=$((base + 10))
start_redis $R2
start_akmad other $((base + 11)) --redis 127.0.0.1:$R2 --kek-file other.kek
$C $((base + 11)) register 900000 1 "$dir/other.acks" > /dev/null
stop_akmad other
redis-cli -p $R2 MIGRATE 127.0.0.1 $R1 akma:ue:imsi-001010000900000 0 5000 > /dev/null
printf '\001garbage' | redis-cli -p $R1 -x SET akma:ue:imsi-corrupt > /dev/null
redis-cli -p $R1 COPY akma:ue:imsi-001010000000001 akma:ue:imsi-moved > /dev/null
redis-cli -p $R1 COPY akma:ue:imsi-001010000000002 akma:ue:imsi-001010000000002-v9 > /dev/null
redis-cli -p $R1 RENAME akma:ue:imsi-001010000000002-v9 akma:ue:imsi-future > /dev/null
redis-cli -p $R1 SETRANGE akma:ue:imsi-future 0 "$(printf '\x09')" > /dev/null
start_akmad b $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek
grep "recovered\|skipped" "$dir/b.log"
check "bad records skipped and counted: 2 unwrap (wrong KEK, moved), 1 version, 1 malformed" \
	grep -q "skipped 2 that did not unwrap, 1 of another format version, 1 malformed" "$dir/b.log"
check "each bad record named by key in the log, never its content" \
	bash -c "grep -c 'record akma:ue:imsi-\(corrupt\|moved\|future\|001010000900000\) skipped' '$dir/b.log' | grep -qx 4"
check "the rest recovered" $C $P1 verify 0 200000 "$dir/acks"

# ---- 4. Redis down, Redis restarted -------------------------------------------------
# lines_at_least FILE N: FILE has N lines, 15 s at most.
lines_at_least() {
	for _ in $(seq 1 150); do
		[ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# status_becomes PORT I STATUS: GET_KAF of subscriber I until it is answered
# STATUS, 15 s at most.
status_becomes() {
	for _ in $(seq 1 150); do
		[ "$($C $1 get $2)" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
n_acked=$(wc -l < "$dir/acks")
redis-cli -p $R1 SHUTDOWN > /dev/null 2>&1
eval "wait \$redis_pid_$R1" 2> /dev/null
# One primary at a time (issue 13 item 10): past its lease (1 s here, less
# the margin) a primary that cannot renew serves nothing, reads included.
check "Redis down past the lease: nothing served, reads included (NOT_PRIMARY, 9)" \
	status_becomes $P1 5 9
$C $P1 register 300000 8 "$dir/down.acks" > "$dir/down.out"
check "Redis down: sync writes refused (status 9), none acknowledged" \
	bash -c "[ \$(grep -c ' 9\$' '$dir/down.acks') = 8 ]"
# register_until_acked FIRST FILE: one registration at a time until one is
# acknowledged (status 0), 10 s at most; FILE collects their answers.
register_until_acked() {
	for _ in $(seq 1 50); do
		$C $P1 register "$1" 1 "$2" > /dev/null
		grep -q ' 0$' "$2" && return 0
		sleep 0.2
	done
	return 1
}
start_redis $R1
register_until_acked 300100 "$dir/up.acks"
check "Redis back: akmad reconnected by itself and writes resume" grep -q ' 0$' "$dir/up.acks"
grep " 0$" "$dir/up.acks" | tail -1 >> "$dir/acks"
cat "$dir/down.acks" >> "$dir/acks"
stop_akmad b
start_akmad b $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek
check "after the Redis restart nothing acknowledged is lost, nothing refused appears" \
	$C $P1 verify 0 400000 "$dir/acks"

# ---- 4b. Redis full: a failed lease renewal is not a renewal (issue 13 item 11) ------------
# Out of memory, Redis answers every write, the lease's included, with an
# error: akmad once took that for a renewal, accepted writes again and held
# them, logging some 60 lines a second.
n_log=$(wc -l < "$dir/b.log")
redis-cli -p $R1 CONFIG SET maxmemory 1 > /dev/null
for _ in $(seq 1 200); do # the renewal has failed (every third of the 1000 ms lease)
	grep -q "the lease could not be renewed" "$dir/b.log" && break
	sleep 0.1
done
$C $P1 register 310000 4 "$dir/full.acks" > /dev/null
check "Redis out of memory: sync writes refused (overload 4, or 9 past the lease), not held" \
	bash -c "[ \$(grep -c ' [49]\$' '$dir/full.acks') = 4 ]"
sleep 2 # a window to count log lines in, not a wait for anything
lines=$(($(wc -l < "$dir/b.log") - n_log))
check "... and said in a few lines, not a stream ($lines lines in 2 s and more)" test $lines -le 6
check "... and once the lease has lapsed nothing is served (NOT_PRIMARY, 9)" status_becomes $P1 5 9
redis-cli -p $R1 CONFIG SET maxmemory 0 > /dev/null
register_until_acked 310100 "$dir/unfull.acks"
check "Redis with room again: writes resume by themselves" grep -q ' 0$' "$dir/unfull.acks"
grep " 0$" "$dir/unfull.acks" | tail -1 >> "$dir/acks"
cat "$dir/full.acks" >> "$dir/acks"

# ---- 4c. Redis frozen: it takes connections and answers nothing (issue 13 item 11) -------
# SIGSTOP: the lease renewal waits redis.timeout, fails, and from then sync
# writes are refused at once instead of being held for as long as Redis is
# frozen.
n_log=$(wc -l < "$dir/b.log")
eval "kill -STOP \$redis_pid_$R1"
for _ in $(seq 1 200); do
	tail -n +$((n_log + 1)) "$dir/b.log" | grep -q "redis stopped answering" && break
	sleep 0.1
done
check "Redis frozen: akmad notices within redis.timeout and says so" \
	bash -c "tail -n +$((n_log + 1)) '$dir/b.log' | grep 'redis stopped answering'"
$C $P1 register 320000 4 "$dir/frozen.acks" > /dev/null
check "... and refuses sync writes at once (4, or 9 past the lease), holding none" \
	bash -c "[ \$(grep -c ' [49]\$' '$dir/frozen.acks') = 4 ]"
eval "kill -CONT \$redis_pid_$R1"
register_until_acked 320100 "$dir/thawed.acks"
check "Redis answering again: writes resume by themselves" grep -q ' 0$' "$dir/thawed.acks"
grep " 0$" "$dir/thawed.acks" | tail -1 >> "$dir/acks"
cat "$dir/frozen.acks" >> "$dir/acks"

# ---- 5. async -------------------------------------------------------------------------
stop_akmad b
start_akmad b $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek --replication async
before=$(redis-cli -p $R1 DBSIZE)
$C $P1 register 500000 2000 "$dir/async.acks" > /dev/null
for _ in $(seq 1 100); do
	after=$(redis-cli -p $R1 DBSIZE)
	[ $((after - before)) -ge 2000 ] && break
	sleep 0.1
done
check "async: 2000 registrations answered and in Redis ($before -> $after keys)" \
	test $((after - before)) -eq 2000
tel=$(printf '/akma/replication\n' | dpdk-telemetry.py -f "akmad-$pid_b" 2> /dev/null | tr -d '\n')
echo "$tel" | grep -o '{"/akma/replication.*' | head -c 400
echo
check "telemetry /akma/replication: async, up, lag and backlog reported" \
	python3 -c 'import json,sys,re; t=sys.argv[1]; d=json.loads(t[t.index("{"):])["/akma/replication"]; assert d["mode"]=="async" and d["state"]=="up" and "lag_ms" in d and d["backlog"]==0 and d["written"]>=2000, d' "$tel"
cat "$dir/async.acks" >> "$dir/acks"
stop_akmad b

# ---- 6. standby takeover ----------------------------------------------------------------
start_akmad b $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek
start_akmad s $P2 --redis 127.0.0.1:$R1 --kek-file akmad.kek --standby
check "the standby serves nothing before promotion: NOT_PRIMARY (9), at once" bash -c "[ \"\$($C $P2 get 5)\" = 9 ]"
$C $P1 register 600000 100000 "$dir/takeover.acks" > "$dir/stream2.out" &
stream=$!
lines_at_least "$dir/takeover.acks" 2000
kill -9 "$pid_b"
t0=$(date +%s%N)
ms=$($C $P2 wait-kaf 5 15000)
t1=$(date +%s%N)
wait $stream
cat "$dir/stream2.out"
echo "failover: kill -9 of the primary to the standby's first K_AF: $(((t1 - t0) / 1000000)) ms (lease 1000 ms)"
check "standby promoted by the expired lease and serving" grep -q "promoted (the primary's lease expired)" "$dir/s.log"
cat "$dir/takeover.acks" >> "$dir/acks"
check "the promoted standby serves every acknowledged context, none refused" \
	$C $P2 verify 0 700000 "$dir/acks"
check "the promoted standby followed the GPSI beside the SUPI" \
	bash -c "'$AKMACTL' get --server udp:127.0.0.1:$P2 --psk-file '$dir/akmad.psk' --akid g.repl@akma.example --af-fqdn af.example.com --ua-id 0100000007 --want-gpsi | grep -qx 'gpsi msisdn-31612345678'"
check "the promoted standby takes writes" bash -c "$C $P2 register 700000 1 '$dir/after.acks' >/dev/null && grep -q ' 0\$' '$dir/after.acks'"
# akmactl promote on a second standby: promoted at once, the primary demoted.
start_akmad t $((base + 3)) --redis 127.0.0.1:$R1 --kek-file akmad.kek --standby
check "akmactl promote takes over from a live primary" \
	bash -c "$AKMACTL promote --pid $pid_t | grep -qx requested"
# t waits a whole lease before serving (the live primary may serve until
# its own deadline); s finds itself demoted at its next renewal.
for _ in $(seq 1 150); do grep -q "no longer primary" "$dir/s.log" && break; sleep 0.1; done
check "promotion from a live primary waits a whole lease before serving" \
	grep -q "promoted on request, from a live primary: this akmad is primary now, serving in 1000 ms" "$dir/t.log"
check "the old primary found itself demoted and serves nothing: writes refused (9)" \
	bash -c "grep -q 'no longer primary' '$dir/s.log' && $C $P2 register 700001 1 '$dir/demoted.acks' >/dev/null && grep -q ' 9\$' '$dir/demoted.acks'"
check "... reads too: a demoted primary hands out no stale K_AF (9)" \
	bash -c "[ \"\$($C $P2 get 5)\" = 9 ]"
for _ in $(seq 1 150); do grep -q "listening on" "$dir/t.log" && break; sleep 0.1; done
check "the new primary serves" status_becomes $((base + 3)) 5 0
stop_akmad t
stop_akmad s

# ---- 6b. a standby across a Redis restart -------------------------------------------------
# A lease longer than the Redis restart, so the primary keeps it and the
# standby is promoted only when asked (below).
start_akmad u $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek --replication-lease 10000
start_akmad v $P2 --redis 127.0.0.1:$R1 --kek-file akmad.kek --standby --replication-lease 10000
redis-cli -p $R1 SHUTDOWN > /dev/null 2>&1
eval "wait \$redis_pid_$R1" 2> /dev/null
start_redis $R1
for _ in $(seq 1 50); do
	: > "$dir/restart.acks"
	$C $P1 register 800000 8 "$dir/restart.acks" > /dev/null
	[ "$(grep -c ' 0$' "$dir/restart.acks")" = 8 ] && break
	sleep 0.2
done
for _ in $(seq 1 100); do grep -q "standby caught up\|standby reloaded" "$dir/v.log" && break; sleep 0.1; done
grep "standby caught up\|standby reloaded" "$dir/v.log"
check "the standby reconnected after the Redis restart and caught up from the change feed (persisted with the AOF), no reload" \
	bash -c "grep -q 'standby caught up from the change feed' '$dir/v.log' && ! grep -q 'standby reloaded' '$dir/v.log'"
tel=$(printf '/akma/replication\n' | dpdk-telemetry.py -f "akmad-$pid_v" 2> /dev/null | tr -d '\n')
check "telemetry: the standby says so and counts what it followed" \
	python3 -c 'import json,sys; t=sys.argv[1]; d=json.loads(t[t.index("{"):])["/akma/replication"]; assert d["state"]=="standby" and d["reconnects"]>=1, d' "$tel"
stop_akmad u # a clean stop gives the lease up: the promotion waits only the margin
"$AKMACTL" promote --pid "$pid_v" > /dev/null
for _ in $(seq 1 150); do grep -q "listening on" "$dir/v.log" && break; sleep 0.1; done
check "promoted, it serves what was written after the Redis restart" \
	$C $P2 verify 800000 8 "$dir/restart.acks"
stop_akmad v

# ---- 6c. a standby away for 5 s under load: caught up from the feed (issue 13 item 12) -----
start_akmad w $P1 --redis 127.0.0.1:$R1 --kek-file akmad.kek
start_akmad x $P2 --redis 127.0.0.1:$R1 --kek-file akmad.kek --standby
: > "$dir/away.acks"
$C $P1 register 850000 30000 "$dir/away.acks" > "$dir/away.out" &
stream=$!
for _ in $(seq 1 100); do [ -s "$dir/away.acks" ] && break; sleep 0.1; done
# The standby's connections, cut by Redis while it is stopped: it finds
# them closed when it runs again, 5 s of writes later.
kill -STOP "$pid_x"
for port in $(ss -tnpH "( dport = :$R1 )" 2> /dev/null | grep "pid=$pid_x," |
	awk '{print $4}' | sed 's/.*://'); do
	redis-cli -p $R1 CLIENT KILL ADDR 127.0.0.1:$port > /dev/null
done
sleep 5 # the disconnection itself, not a wait for anything
kill -CONT "$pid_x"
for _ in $(seq 1 300); do grep -q "standby caught up\|standby reloaded" "$dir/x.log" && break; sleep 0.1; done
wait $stream
cat "$dir/away.out"
grep "standby caught up\|standby reloaded" "$dir/x.log"
check "a standby away 5 s under load caught up from the change feed, no reload" \
	bash -c "grep -q 'standby caught up from the change feed' '$dir/x.log' && ! grep -q 'standby reloaded' '$dir/x.log'"
cat "$dir/away.acks" >> "$dir/acks"
stop_akmad w # a clean stop gives the lease up
"$AKMACTL" promote --pid "$pid_x" > /dev/null
for _ in $(seq 1 150); do grep -q "listening on" "$dir/x.log" && break; sleep 0.1; done
check "promoted, it serves every write acknowledged while it was away" \
	$C $P2 verify 850000 30000 "$dir/away.acks"
stop_akmad x

# ---- 7. Redis failover through Sentinel -------------------------------------------------
# Two replicas: akmad waits for one (redis.wait_replicas 1), and one is left
# after the other is promoted.
RP=$((base + 20))
RR=$((base + 21))
RR2=$((base + 22))
start_redis $RP
start_redis $RR --replicaof 127.0.0.1 $RP
start_redis $RR2 --replicaof 127.0.0.1 $RP
for _ in $(seq 1 100); do
	[ "$(redis-cli -p $RP INFO replication | grep -c 'state=online')" = 2 ] && break
	sleep 0.1
done
sentinels=""
for i in 1 2 3; do
	sp=$((base + 30 + i))
	mkdir -p "$dir/sentinel-$i"
	cat > "$dir/sentinel-$i/s.conf" <<-EOF
	port $sp
	bind 127.0.0.1
	dir $dir/sentinel-$i
	sentinel monitor mymaster 127.0.0.1 $RP 2
	sentinel down-after-milliseconds mymaster 1000
	sentinel failover-timeout mymaster 5000
	EOF
	redis-server "$dir/sentinel-$i/s.conf" --sentinel > "$dir/sentinel-$i.log" 2>&1 &
	pids+=($!)
	sentinels="$sentinels${sentinels:+,}127.0.0.1:$sp"
done
# Each sentinel knows the other two and both replicas before anything fails.
for i in 1 2 3; do
	sp=$((base + 30 + i))
	for _ in $(seq 1 150); do
		m=$(redis-cli -p $sp SENTINEL master mymaster 2> /dev/null | tr '\n' ' ')
		echo "$m" | grep -q "num-other-sentinels 2 " && echo "$m" | grep -q "num-slaves 2 " && break
		sleep 0.1
	done
done
P3=$((base + 4))
# The lease against Sentinel's failover time (README, "Replication and
# failover"): down-after-milliseconds 1 s plus the election and akmad's
# reconnection fit well inside a 10 s lease less its third and margin, so
# reads never stop while Redis fails over.
start_akmad f $P3 --redis-sentinels "$sentinels" --redis-wait-replicas 1 --kek-file akmad.kek \
	--replication-lease 10000
: > "$dir/sentinel.acks"
$C $P3 register 0 100000 "$dir/sentinel.acks" > "$dir/stream3.out" &
stream=$!
$C $P3 wait-kaf 0 15000 > /dev/null
$C $P3 reads 0 "$dir/reads.stop" > "$dir/reads.out" &
reads=$!
lines_at_least "$dir/sentinel.acks" 2000
kill -9 "$(eval echo \$redis_pid_$RP)"
wait $stream
cat "$dir/stream3.out"
newmaster=""
for _ in $(seq 1 100); do
	for r in $RR $RR2; do
		[ "$(redis-cli -p $r ROLE 2> /dev/null | head -1)" = master ] && newmaster=$r
	done
	[ -n "$newmaster" ] && break
	sleep 0.1
done
check "Sentinel promoted a replica" test -n "$newmaster"
for _ in $(seq 1 100); do
	$C $P3 register 200000 1 "$dir/sentinel.after" > /dev/null
	grep -q ' 0$' "$dir/sentinel.after" && break
	sleep 0.1
done
check "akmad followed the failover by itself: writes accepted on the new primary" \
	grep -q ' 0$' "$dir/sentinel.after"
touch "$dir/reads.stop"
wait $reads
reads_rc=$?
cat "$dir/reads.out"
check "reads never stopped through the Redis failover (lease 10 s, down-after 1 s)" test $reads_rc = 0
cat "$dir/sentinel.after" >> "$dir/sentinel.acks"
stop_akmad f
start_akmad g $P3 --redis-sentinels "$sentinels" --kek-file akmad.kek
grep recovered "$dir/g.log"
check "a fresh akmad recovers from the new primary every acknowledged write" \
	$C $P3 verify 0 300000 "$dir/sentinel.acks"
stop_akmad g

# ---- 8. start-up refusals, AUTH ------------------------------------------------------------
refuses() { # WHAT-IT-MUST-SAY AKMAD-OPTIONS...
	local must=$1
	shift
	cat > "$dir/refuse.conf" <<-EOF
	[metrics]
	listen =
	front_end_listen =
	[wire]
	listen = udp:127.0.0.1:$((base + 5))
	psk_file = akmad.psk
	[sbi]
	listen =
	EOF
	timeout 20 "$AKMAD" --config "$dir/refuse.conf" "$@" > "$dir/refuse.out" 2>&1
	local rc=$?
	cat "$dir/refuse.out" | grep -v TELEMETRY
	[ $rc = 1 ] && grep -q "$must" "$dir/refuse.out"
}
check "a dead Redis at start: exit 1, named" \
	refuses "redis 127.0.0.1:1: .*cannot recover" --redis 127.0.0.1:1 --kek-file akmad.kek
check "--standby without Redis: exit 1, explained" refuses "standby needs Redis" --standby
chmod 644 "$dir/other.kek"
check "a KEK file others can read: refused" \
	refuses "kek file .*readable by its owner only" --redis 127.0.0.1:$R1 --kek-file other.kek
RA=$((base + 40))
start_redis $RA --requirepass 's3cret-pass'
printf 'wrong-pass\n' > "$dir/wrong.pw"
printf 's3cret-pass\n' > "$dir/right.pw"
chmod 600 "$dir"/*.pw
check "a wrong Redis password: exit 1, AUTH refused named" \
	refuses "AUTH refused" --redis 127.0.0.1:$RA --kek-file akmad.kek --redis-password-file wrong.pw
check "the password never shown" bash -c "! grep -q 'wrong-pass' '$dir/refuse.out'"
start_akmad p $((base + 6)) --redis 127.0.0.1:$RA --kek-file akmad.kek --redis-password-file right.pw
$C $((base + 6)) register 0 100 "$dir/auth.acks" > /dev/null
check "with the right password: writes reach Redis (AUTH)" \
	bash -c "[ \$(redis-cli -p $RA -a s3cret-pass --no-auth-warning DBSIZE) -ge 100 ]"
stop_akmad p

check_done
