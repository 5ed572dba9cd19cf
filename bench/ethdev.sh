#!/usr/bin/env bash
# What the DPDK data path buys (issue 16): one akmad serving the wire
# protocol three ways at once, and akma-bench wire driving each in turn,
# rounds interleaved, the same contexts and load:
#   sock      kernel UDP on loopback (drivers/sock, recvmmsg/sendmmsg)
#   af_packet kernel UDP from another network namespace, over a veth pair
#             whose far end akmad takes with net_af_packet (drivers/ethdev)
#   memif     akma-bench as a DPDK peer over net_memif: no kernel on the path
# For each it prints the request rate and, from akmad's own STATS, the TSC
# cycles its I/O lcore spent per request (busy passes, then rx/tx bursts or
# system calls, frame parsing, AES-GCM, message decoding, ring hand-off),
# then the medians and the ratio of each DPDK path's busy cost to the
# socket path's. On 2 cores the peer, akmad's I/O lcore and its worker
# share the CPUs: rates mostly measure that contention; the cost per
# request on the I/O lcore is the figure that carries.
#
# Needs root (namespaces, a veth pair). Usage:
#   [PEER_CPU=N] bench/ethdev.sh [BUILD_DIR] [CONTEXTS] [ROUNDS] [SECONDS]
set -eu
BUILD=${1:-build}
N=${2:-1000000}
ROUNDS=${3:-3}
SECS=${4:-3}
# The load's peer runs on one CPU for every path (default the last, where
# akmad's worker lcore runs; akmad's main lcore, which does the packet I/O
# measured here, has CPU 0): PEER_CPU=N to move it.
PEER_CPU=${PEER_CPU:-$(($(nproc) - 1))}
AKMAD=$BUILD/drivers/programs/akmad
BENCH=$BUILD/bench/akma-bench
[ "$(id -u)" = 0 ] || { echo "bench/ethdev.sh: needs root (network namespaces)" >&2; exit 2; }
for t in ip ethtool taskset; do
	command -v $t > /dev/null || { echo "bench/ethdev.sh: needs $t" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/akma-ethbench-XXXXXX)
A=akb-a-$$
B=akb-b-$$
VA=akb$$a
VB=akb$$b
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	ip netns del $A 2> /dev/null || true
	ip netns del $B 2> /dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/akmad.psk"
chmod 600 "$dir/akmad.psk"
ip netns add $A
ip netns add $B
# 16 GET_KAF of akma-bench's A-KIDs make a 2.1 kB datagram, and akmad takes
# no IP fragments: an MTU of 4000 carries it whole (the preload's 64
# registrations go over loopback).
ip link add $VA mtu 4000 type veth peer name $VB mtu 4000
ip link set $VA netns $A
ip link set $VB netns $B
ip netns exec $A sysctl -qw net.ipv6.conf.$VA.disable_ipv6=1 # no router solicitations
ip netns exec $A ip link set lo up
ip netns exec $A ip link set $VA up
ip netns exec $B ip link set lo up
ip netns exec $B ip addr add 10.77.0.1/24 dev $VB
ip netns exec $B ip link set $VB up
ip netns exec $B ethtool -K $VB tx off > /dev/null # real checksums on the wire

cat > "$dir/akmad.conf" << CONF
[engine]
capacity = $((N + N / 4 + 1024))
[wire]
listen = udp:127.0.0.1:7777
psk_file = akmad.psk
[sbi]
listen =
[metrics]
listen =
[ethdev]
ports = net_af_packet0,net_memif0
ipv4 = 10.77.0.2,10.88.0.2
mtu = 4000
CONF
MEMIF="socket=$dir/memif.sock,socket-abstract=no"
ip netns exec $A "$AKMAD" --no-huge --no-pci --no-shconf --file-prefix "akb-$$" -m 2048 \
	--vdev=net_af_packet0,iface=$VA,framesz=4096,blocksz=4096,framecnt=1024 --vdev=net_memif0,role=server,$MEMIF \
	-- --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	grep -q "listening on" "$dir/akmad.log" && break
	kill -0 $pid 2> /dev/null || break
	sleep 0.1
done
grep -q "listening on" "$dir/akmad.log" || { cat "$dir/akmad.log"; exit 1; }
grep -E "akma.ethdev: port|K_AF by" "$dir/akmad.log" | sed 's/^.*notice: //'

common=(--psk-file "$dir/akmad.psk" --contexts "$N" --rounds 1 --duration "$SECS" --window "${WINDOW:-32}" --csv)
echo "preloading $N contexts over kernel UDP ..."
ip netns exec $A "$BENCH" wire --server 127.0.0.1:7777 "${common[@]}" > "$dir/preload.csv"

run() { # PATH: one round on it, CSV to stdout
	case $1 in
	sock) ip netns exec $A taskset -c "$PEER_CPU" "$BENCH" wire --server 127.0.0.1:7777 --preloaded "${common[@]}" ;;
	af_packet) ip netns exec $B taskset -c "$PEER_CPU" "$BENCH" wire --server 10.77.0.2:7777 --preloaded "${common[@]}" ;;
	memif) taskset -c "$PEER_CPU" "$BENCH" wire --vdev "net_memif0,role=client,$MEMIF" --server 10.88.0.2:7777 \
		--local 10.88.0.1 --preloaded "${common[@]}" 2> /dev/null ;;
	esac
}

paths=(sock af_packet memif)
printf "\n%-10s %5s %12s %9s %8s %8s %8s %8s %8s %8s\n" path round "requests/s" "busy ns" \
	"io" parse crypto decode handoff rest
for r in $(seq 1 "$ROUNDS"); do
	for p in "${paths[@]}"; do
		run $p > "$dir/$p.$r.csv" || { echo "$p round $r failed"; cat "$dir/$p.$r.csv"; exit 1; }
		rps=$(awk -F, '$1 == "akmad" {print $2}' "$dir/$p.$r.csv")
		prof=$(awk -F, '$1 == "sock" || $1 == "ethdev" {print $3, $4, $5, $6, $7, $8, $9}' \
			"$dir/$p.$r.csv")
		[ -n "$prof" ] || { echo "$p round $r: no I/O profile"; cat "$dir/$p.$r.csv"; exit 1; }
		echo "$p $prof $rps" >> "$dir/all"
		# shellcheck disable=SC2086
		printf "%-10s %5s %12s %9s %8s %8s %8s %8s %8s %8s\n" $p $r "$rps" $prof
	done
done

echo
echo "medians over $ROUNDS rounds, per request on akmad's I/O lcore (ns):"
/usr/bin/python3 - "$dir/all" << 'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append([float(x) for x in f[1:]])
med = {p: [statistics.median(c) for c in zip(*v)] for p, v in rows.items()}
names = ["busy", "io", "parse", "crypto", "decode", "handoff", "rest", "requests/s"]
print("%-10s" % "path" + "".join("%11s" % n for n in names))
for p in ("sock", "af_packet", "memif"):
    if p in med:
        print("%-10s" % p + "".join("%11.1f" % x for x in med[p][:7]) + "%11.0f" % med[p][7])
base = med["sock"][0]
for p in ("af_packet", "memif"):
    if p in med:
        print("%s busy per request / socket path's: %.2fx" % (p, med[p][0] / base))
PY
