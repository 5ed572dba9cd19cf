#!/usr/bin/env bash
# The wire protocol straight off DPDK ports (issue 16). The test makes two
# network namespaces of its own and a veth pair between them: akmad takes
# one end with net_af_packet (and net_memif and net_tap beside it), akmactl
# and the kernel are on the other end. Checked:
#   - register, get, remove and replace over kernel UDP through the port,
#     on IPv4 and IPv6, each K_AF equal to akmactl derive; the socket path
#     serves at the same time, with the same answers;
#   - the namespace resolves akmad's addresses (ARP, neighbour discovery:
#     ip neigh shows the port's MAC) and ping and ping -6 are answered;
#   - a STATS answer longer than the MTU arrives (IP fragments);
#   - garbage frames, other ethertypes, VLAN tags, fragments, IP options,
#     (IPv4 fragments never reach akmad over net_afpacket: DPDK 22.11 opens
#     its socket with PACKET_FANOUT_FLAG_DEFRAG, so the kernel holds them for
#     reassembly; test_pkt covers akmad's own refusal of them)
#     bad checksums, truncated headers, other ports and addresses, and
#     unauthenticated datagrams are dropped and counted by cause, and every
#     context stays intact;
#   - net_memif with akma-bench as the DPDK peer: the whole path without the
#     kernel, every answer a K_AF;
#   - net_tap, a port with checksum offload: answers with their checksums
#     left to the port, accepted by the kernel;
#   - counters in /metrics (promtool) and telemetry /akma/ethdev;
#   - bad [ethdev] settings refused with the key named;
#   - a clean stop.
# Needs root (namespaces); exits 77 (skipped) without it.
set -u
BUILD=${1:?usage: integration_ethdev.sh BUILD_DIR}
AKMAD=$BUILD/drivers/programs/akmad
AKMACTL=$BUILD/drivers/programs/akmactl
BENCH=$BUILD/bench/akma-bench
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/check.sh"
if [ "$(id -u)" != 0 ] || ! command -v ip > /dev/null; then
	echo "integration_ethdev: needs root and iproute2 (network namespaces): skipped"
	exit 77
fi
scratch ethdev
A=akte-a-$$
B=akte-b-$$
VA=akte$$a
VB=akte$$b
TAP=akte$$t
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
	ip netns del '$A' 2> /dev/null; ip netns del '$B' 2> /dev/null
	rm -rf "$dir"' EXIT

new_key "$dir/akmad.psk"
ip netns add $A
ip netns add $B
ip link add $VA type veth peer name $VB
ip link set $VA netns $A
ip link set $VB netns $B
# The end DPDK takes has no address of the kernel's and sends nothing of
# its own (no IPv6 autoconfiguration, no router solicitations).
ip netns exec $A sysctl -qw net.ipv6.conf.$VA.disable_ipv6=1
ip netns exec $A ip link set lo up
ip netns exec $A ip link set $VA up
ip netns exec $B ip link set lo up
ip netns exec $B ip addr add 10.66.0.1/24 dev $VB
ip netns exec $B ip -6 addr add fd66::1/64 dev $VB nodad
ip netns exec $B ip link set $VB up
# The kernel leaves a veth's UDP checksum to offload: without this every
# request would arrive with a checksum that does not verify.
ip netns exec $B ethtool -K $VB tx off > /dev/null

port=$(free_port 2)
mport=$((port + 1))
cat > "$dir/akmad.conf" << CONF
[engine]
capacity = 100000
[wire]
listen = udp:127.0.0.1:$port
psk_file = akmad.psk
[sbi]
listen =
[metrics]
listen = 127.0.0.1:$mport
[ethdev]
ports = net_af_packet0,net_memif0,net_tap0
ipv4 = 10.66.0.2,10.67.0.2,10.68.0.2
ipv6 = fd66::2,-,-
CONF
MEMIF="socket=$dir/memif.sock,socket-abstract=no"
PREFIX=akte-$$
ip netns exec $A "$AKMAD" --no-huge --no-pci --no-shconf --file-prefix $PREFIX -m 512 \
	--vdev=net_af_packet0,iface=$VA --vdev=net_memif0,role=server,$MEMIF \
	--vdev=net_tap0,iface=$TAP \
	-- --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
akmad_pid=$!
pids+=($akmad_pid)
check "akmad starts with three DPDK ports and its socket" wait_listening "$dir/akmad.log" $akmad_pid akmad
check "each port is logged with its MAC, MTU, addresses and link" bash -c "
	grep -q 'port net_af_packet0 (0, net_af_packet): MAC ..:..:..:..:..:.., MTU 1500.*UDP 7777 at 10.66.0.2 fd66::2' '$dir/akmad.log' &&
	grep -q 'port net_af_packet0: link up' '$dir/akmad.log' &&
	grep -q 'port net_memif0 (1, net_memif)' '$dir/akmad.log' &&
	grep -q 'listening on udp:127.0.0.1:$port and DPDK port net_af_packet0,net_memif0,net_tap0' '$dir/akmad.log'"

inb() { ip netns exec $B "$@"; }
ctl() { # over the port from the namespace: ctl SERVER ARGS...
	local server=$1
	shift
	inb "$AKMACTL" "$@" --server "$server" --psk-file "$dir/akmad.psk"
}
V4=udp:10.66.0.2:7777
V6='udp:[fd66::2]:7777'
SOCK=udp:127.0.0.1:$port
K1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
K2=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100
kaf() { "$AKMACTL" derive kaf --kakma "$1" --af-fqdn af.example.com --ua-id 0100000007; }
get() { # SERVER AKID: the K_AF line
	ctl "$1" get --akid "$2" --af-fqdn af.example.com --ua-id 0100000007 | head -1
}
getsock() {
	ip netns exec $A "$AKMACTL" get --server "$SOCK" --psk-file "$dir/akmad.psk" --akid "$1" \
		--af-fqdn af.example.com --ua-id 0100000007 | head -1
}

check "ping answered over IPv4, and ARP resolved the port's MAC" bash -c "
	ip netns exec $B ping -c 2 -W 2 10.66.0.2 > /dev/null &&
	ip netns exec $B ip neigh show 10.66.0.2 | grep -Eq 'lladdr ..:..:..:..:..:.. (REACHABLE|STALE|DELAY)'"
MAC=$(inb ip neigh show 10.66.0.2 | awk '{print $5}')
check "ping -6 answered, and neighbour discovery resolved the same MAC" bash -c "
	ip netns exec $B ping -6 -c 2 -W 2 fd66::2 > /dev/null &&
	ip netns exec $B ip -6 neigh show fd66::2 | grep -q 'lladdr $MAC'"

check "register over IPv4 through the port" ctl $V4 register --supi imsi-001010000000001 \
	--akid 01.a1@akma.example --kakma $K1
check "get over IPv4: the K_AF akmactl derive gives" bash -c "[ \"\$1\" = \"\$2\" ]" _ \
	"$(get $V4 01.a1@akma.example)" "$(kaf $K1)"
check "get over IPv6: the same K_AF" bash -c "[ \"\$1\" = \"\$2\" ]" _ \
	"$(get "$V6" 01.a1@akma.example)" "$(kaf $K1)"
check "get over the kernel socket at the same time: the same K_AF" bash -c "[ \"\$1\" = \"\$2\" ]" _ \
	"$(getsock 01.a1@akma.example)" "$(kaf $K1)"
check "register over IPv6, read back over IPv4" bash -c "
	$(declare -f ctl inb get); A=$A B=$B AKMACTL=$AKMACTL dir=$dir
	ctl '$V6' register --supi imsi-001010000000002 --akid 01.a2@akma.example --kakma $K2 &&
	[ \"\$(get $V4 01.a2@akma.example)\" = '$(kaf $K2)' ]"
check "replace: a new K_AKMA under a new A-KID for the same SUPI" bash -c "
	$(declare -f ctl inb get); A=$A B=$B AKMACTL=$AKMACTL dir=$dir
	ctl $V4 register --supi imsi-001010000000001 --akid 01.a3@akma.example --kakma $K2 &&
	[ \"\$(get '$V6' 01.a3@akma.example)\" = '$(kaf $K2)' ] &&
	! ctl $V4 get --akid 01.a1@akma.example --af-fqdn af.example.com --ua-id 0100000007"
check "remove over IPv6, then the A-KID is unknown over IPv4" bash -c "
	$(declare -f ctl inb); A=$A B=$B AKMACTL=$AKMACTL dir=$dir
	ctl '$V6' remove --supi imsi-001010000000002 &&
	! ctl $V4 get --akid 01.a2@akma.example --af-fqdn af.example.com --ua-id 0100000007"
check "an answer longer than the MTU arrives in IP fragments (a NAI SUPI, 24 GET_KAF)" bash -c "
	$(declare -f ctl inb); A=$A B=$B AKMACTL=$AKMACTL dir=$dir
	nai=nai-\$(printf 'u%.0s' \$(seq 1 200))@realm.example
	ctl $V4 register --supi \$nai --akid 01.big@akma.example --kakma $K1 &&
	ip netns exec $B env WIRE_HOST=10.66.0.2 $PY '$here/wire_attack.py' bigget '$dir/akmad.psk' 7777 \
		01.big@akma.example 24 > '$dir/big.txt'; cat '$dir/big.txt'
	read size statuses < '$dir/big.txt'
	[ \$size -gt 6000 ] && [ \"\$statuses\" = \"\$(printf '0 %.0s' \$(seq 1 24) | sed 's/ \$//')\" ] &&
	ctl $V4 remove --supi \$nai &&
	ip netns exec $A curl -s http://127.0.0.1:$mport/metrics |
		grep 'akmad_ethdev_fragmented_total{port=\"net_af_packet0\"} [1-9]'"

metric() { # NAME: its value on akmad's /metrics
	ip netns exec $A curl -s "http://127.0.0.1:$mport/metrics" | awk -v n="$1" '$1 == n {print $2}'
}
before=$(ip netns exec $A curl -s "http://127.0.0.1:$mport/metrics")
inb $PY "$here/raw_frames.py" $VB "$MAC" 10.66.0.2 10.66.0.1 7777 fd66::2 fd66::1 > "$dir/frames"
sleep 1
after=$(ip netns exec $A curl -s "http://127.0.0.1:$mport/metrics")
drops_counted() {
	local bad=0 cause want got
	for cause in $(awk '{print $2}' "$dir/frames" | sort | uniq); do
		want=$(awk -v c="$cause" '$2 == c' "$dir/frames" | wc -l)
		case $cause in
		kernel_defrag) continue ;;
		wire:*) series="akmad_${cause#wire:}_total" ;;
		*) series="akmad_ethdev_dropped_total{port=\"net_af_packet0\",cause=\"$cause\"}" ;;
		esac
		b=$(echo "$before" | awk -v n="$series" '$1 == n {print $2}')
		a=$(echo "$after" | awk -v n="$series" '$1 == n {print $2}')
		got=$((${a:-0} - ${b:-0}))
		echo "$cause: sent $want, counted $got"
		[ "$got" -ge "$want" ] || bad=1
	done
	[ $bad = 0 ]
}
check "$(wc -l < "$dir/frames") hostile frames each dropped and counted by cause" drops_counted
check "after them, every context intact: the K_AF, and 1 context" bash -c "
	$(declare -f ctl inb get); A=$A B=$B AKMACTL=$AKMACTL dir=$dir
	[ \"\$(get $V4 01.a3@akma.example)\" = '$(kaf $K2)' ] &&
	ctl '$V6' stats | grep -Eq '^contexts +1$'"
check "akmad still serves, and no frame crashed it" kill -0 $akmad_pid

check "net_memif: akma-bench as the DPDK peer, every answer a K_AF, none lost" bash -c "
	'$BENCH' wire --vdev 'net_memif0,role=client,$MEMIF' --server 10.67.0.2:7777 \
		--local 10.67.0.1 --psk-file '$dir/akmad.psk' --contexts 2000 --rounds 1 \
		--duration 0.5 --csv > '$dir/memif.csv' 2> '$dir/memif.err'
	cat '$dir/memif.csv' '$dir/memif.err' | tail -4
	awk -F, '\$1 == \"akmad\" && \$7 > 0 && \$7 == \$8 && \$9 == 0 {ok = 1} END {exit !ok}' '$dir/memif.csv' &&
	grep -q '^ethdev,' '$dir/memif.csv'"
check "the memif port counted its frames and its ARP" bash -c "
	$(declare -f metric); A=$A mport=$mport
	[ \"\$(metric 'akmad_ethdev_arp_answered_total{port=\"net_memif0\"}')\" -ge 1 ] &&
	[ \"\$(metric 'akmad_ethdev_wire_datagrams_total{port=\"net_memif0\"}')\" -ge 100 ]"

check "/metrics passes promtool with the ethdev series" bash -c "
	ip netns exec $A curl -s http://127.0.0.1:$mport/metrics > '$dir/m.txt' &&
	grep -q '^akmad_ethdev_rx_queue_frames_total{port=\"net_af_packet0\",queue=\"0\"} [1-9]' '$dir/m.txt' &&
	grep -q '^akmad_ethdev_busy_cycles_total [1-9]' '$dir/m.txt' &&
	promtool check metrics < '$dir/m.txt'"
check "telemetry /akma/ethdev: each port's counters" $PY - "/var/run/dpdk/$PREFIX/dpdk_telemetry.v2" << 'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(4096)
s.send(b"/akma/ethdev")
d = json.loads(s.recv(65536))["/akma/ethdev"]
print(json.dumps(d)[:400])
p = d["net_af_packet0"]
assert p["link_up"] == 1 and p["arp_answered"] >= 1 and p["echo_answered"] >= 2, p
assert p["dropped_fragment"] >= 1 and p["rx_queue_frames"][0] == p["rx_frames"], p
assert d["net_memif0"]["wire_datagrams"] >= 100
PY

refused() { # WHY CONF-LINES...: akmad refuses [ethdev] CONF-LINES, saying WHY
	local why=$1
	shift
	printf '[wire]\nlisten = udp:127.0.0.1:%s\npsk_file = akmad.psk\n[sbi]\nlisten =\n[metrics]\nlisten =\n[ethdev]\n' \
		"$(free_port)" > "$dir/bad.conf"
	printf '%s\n' "$@" >> "$dir/bad.conf"
	ip netns exec $A timeout 30 "$AKMAD" --no-huge --no-pci --no-shconf --file-prefix "$PREFIX-bad" \
		-m 256 --vdev=net_null0 -- --config "$dir/bad.conf" > "$dir/bad.log" 2>&1
	local rc=$?
	cat "$dir/bad.log" | grep -v '^EAL\|^TELEMETRY'
	[ $rc != 0 ] && grep -q -- "$why" "$dir/bad.log"
}
check "refused: a port with no address" refused "port net_null0 has no address" "ports = net_null0"
check "refused: a port the EAL does not have" refused "no DPDK port net_tap9 (the EAL has net_null0 (0))" \
	"ports = net_tap9" "ipv4 = 10.1.1.1"
check "refused: an address that is not one" refused "ethdev.ipv4: '10.1.1' is not an IPv4 address" \
	"ports = net_null0" "ipv4 = 10.1.1"
check "refused: addresses that do not match the ports" refused "ethdev.ipv4: 2 addresses for 1 ports" \
	"ports = net_null0" "ipv4 = 10.1.1.1,10.1.1.2"
check "refused: a multicast address" refused "cannot be a port's own address" \
	"ports = net_null0" "ipv4 = 224.0.0.1"
check "refused: a bad UDP port" refused "ethdev.udp_port: '70000' is not a UDP port" \
	"ports = net_null0" "ipv4 = 10.1.1.1" "udp_port = 70000"

# net_tap: a port with checksum offload (the answers' checksums left to it,
# the pseudo-header sum in place); the kernel end of the tap is in akmad's
# namespace, with an address of the kernel's own.
ip netns exec $A sysctl -qw net.ipv6.conf.$TAP.disable_ipv6=1
ip netns exec $A ip addr add 10.68.0.1/24 dev $TAP
ip netns exec $A ip link set $TAP up
check "net_tap says it offloads checksums" grep -q 'port net_tap0 (2, net_tap).*checksum offload: yes' "$dir/akmad.log"
check "over net_tap with offloaded checksums: register and get, the K_AF akmactl derive gives" bash -c "
	ip netns exec $A '$AKMACTL' register --server udp:10.68.0.2:7777 --psk-file '$dir/akmad.psk' \
		--supi imsi-001010000000009 --akid 01.tap@akma.example --kakma $K1 &&
	[ \"\$(ip netns exec $A '$AKMACTL' get --server udp:10.68.0.2:7777 --psk-file '$dir/akmad.psk' \
		--akid 01.tap@akma.example --af-fqdn af.example.com --ua-id 0100000007 | head -1)\" = '$(kaf $K1)' ]"

kill -TERM $akmad_pid
wait $akmad_pid
stop_rc=$?
check "a clean stop: exit 0, the totals of both paths in its last line" bash -c "
	tail -1 '$dir/akmad.log'
	[ $stop_rc = 0 ] && tail -1 '$dir/akmad.log' | grep -Eq 'stopped: [0-9]{3,} datagrams in'"
check_done
