#!/usr/bin/env bash
# Start a private redis-server (own port, own directory, no persistence),
# run each test program given against it (test_redis, test_replicator),
# stop it.
set -u
[ $# -ge 1 ] || { echo "usage: integration_redis.sh TEST..."; exit 2; }
dir=$(mktemp -d /tmp/akma-redis-XXXXXX)
. "$(dirname "$0")/check.sh" # for free_port
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
	--daemonize no > "$dir/redis.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do
	redis-cli -p "$port" ping > /dev/null 2>&1 && break
	sleep 0.1
done
status=0
for t in "$@"; do
	redis-cli -p "$port" flushall > /dev/null
	"$t" "$port" || status=1
done
exit $status
