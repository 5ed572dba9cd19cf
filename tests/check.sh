# Sourced by the integration scripts: check NAME COMMAND... runs COMMAND,
# counts it, prints "ok   NAME" or "FAIL NAME" with the tail of its output;
# check_done prints "N passed, N failed" and gives the exit status. Needs
# $dir (a scratch directory: scratch NAME makes one).
passed=0
failed=0

check() {
	local name=$1
	shift
	if "$@" > "$dir/check.out" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$dir/check.out" | tail -20
	fi
}

check_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# scratch NAME [SIGNAL]: a scratch directory /tmp/akma-NAME-XXXXXX in $dir
# and an empty $pids; at exit every process in $pids is sent SIGNAL (KILL
# unless given: the benchmarks let their daemons stop with TERM) and
# reaped, and the directory removed.
scratch() {
	dir=$(mktemp -d "/tmp/akma-$1-XXXXXX")
	pids=()
	scratch_signal=${2:-KILL}
	trap 'for p in "${pids[@]}"; do kill -s "$scratch_signal" "$p" 2> /dev/null; done
		for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
		rm -rf "$dir"' EXIT
}

# A port free now on 127.0.0.1 for both TCP and UDP, below the ephemeral
# range (32768 up) so that no client socket takes it meanwhile; chosen at
# random and probed, not assumed.
# free_port [N]: the first of N consecutive ports (default 1) that are free
# for both TCP and UDP on 127.0.0.1 now, below Linux's ephemeral range (32768
# up) so that no client socket takes one later.
free_port() {
	/usr/bin/python3 - "${1:-1}" << 'PY'
import random, socket, sys
n = int(sys.argv[1])
def free(p):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            return False
        finally:
            s.close()
    return True
for _ in range(1000):
    p = random.randrange(20000, 32000 - n)
    if all(free(p + i) for i in range(n)):
        print(p)
        break
PY
}

# launch_akmad NAME CONFIG [akmad options]: $AKMAD on CONFIG, its output in
# $dir/NAME.log, its PID in $pids and in pid_NAME; returns 0 once it listens
# or (a standby) follows, 1 with its log's tail when it exits or 30 s pass.
launch_akmad() {
	local name=$1 conf=$2
	shift 2
	"$AKMAD" --config "$conf" "$@" > "$dir/$name.log" 2>&1 &
	local pid=$!
	pids+=($pid)
	eval "pid_$name=$pid"
	wait_listening "$dir/$name.log" $pid "akmad $name"
}

# wait_listening LOG PID WHAT: 0 once the akmad of PID says in LOG that it
# listens (or, a standby, follows); 1 with the log's tail when it exits or
# 30 s pass.
wait_listening() {
	for _ in $(seq 1 300); do
		grep -q "listening on\|standby: following" "$1" && return 0
		kill -0 "$2" 2> /dev/null || break
		sleep 0.1
	done
	echo "$3 did not start:"
	tail -5 "$1"
	return 1
}

# new_key FILE: 32 random octets in hex (a PSK or a KEK), owner-only.
new_key() {
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1"
	chmod 600 "$1"
}

# private_redis PORT: a redis-server of the test's own on 127.0.0.1:PORT,
# its directory under $dir, no persistence, its PID added to $pids (which
# the test's cleanup kills); returns once it answers (10 s at most).
private_redis() {
	mkdir -p "$dir/redis-$1"
	redis-server --port "$1" --bind 127.0.0.1 --dir "$dir/redis-$1" --save '' --appendonly no \
		> "$dir/redis-$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 100); do
		redis-cli -p "$1" ping 2> /dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	return 1
}
