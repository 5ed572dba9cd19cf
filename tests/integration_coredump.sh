#!/usr/bin/env bash
# Key material stays out of core dumps (issue 13, item 6). akmad with the
# wire PSK, the SBI over TLS and sync replication to a private Redis under
# a KEK, and akma-sbi (h2c) in front of it: subscribers registered through
# the SBI and through the wire, their K_AFs retrieved through both, then a
# core of each process taken with gcore (which honours MADV_DONTDUMP, as the
# kernel's dumper does) and searched for every key (K_AKMA, K_AF, KEK, PSK)
# in raw, lower- and upper-case hex: none may be found. Services on private
# ports, stopped at the end.
set -u
BUILD=${1:?usage: integration_coredump.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: integration_coredump.sh BUILD_DIR SOURCE_DIR}
AKMAD=$BUILD/drivers/programs/akmad
AKMA_SBI=$BUILD/drivers/programs/akma-sbi
AKMACTL=$BUILD/drivers/programs/akmactl
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
. "$(dirname "$0")/check.sh"
scratch core
command -v gcore > /dev/null || { echo "FAIL gcore (Debian package gdb) is missing"; exit 1; }
# A symbol bound lazily makes ld.so save the vector registers on the stack,
# keys in them included: both programs bind every symbol at load.
for prog in "$AKMAD" "$AKMA_SBI"; do
	check "$(basename "$prog") binds every symbol at load (BIND_NOW)" \
		bash -c "readelf -d '$prog' | grep -E 'FLAGS.*\\bNOW\\b'"
done

wport=$(free_port) hport=$(free_port) fport=$(free_port) rport=$(free_port)
hex32() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
hex32 > "$dir/akmad.psk"
hex32 > "$dir/akmad.kek"
chmod 600 "$dir/akmad.psk" "$dir/akmad.kek"
: > "$dir/keys"
echo "psk $(cat "$dir/akmad.psk")" >> "$dir/keys"
echo "kek $(cat "$dir/akmad.kek")" >> "$dir/keys"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$dir/server.key" \
	-out "$dir/server.pem" 2> /dev/null
chmod 600 "$dir/server.key"
# The server's private key: its scalar, and a line of its PEM.
echo "tls-key $(openssl pkey -in "$dir/server.key" -text -noout | sed -n '/^priv:/,/^pub:/{/^ /p}' |
	tr -d ' \n:' | tail -c 64)" >> "$dir/keys"
echo "tls-key-pem text:$(sed -n 2p "$dir/server.key" | cut -c1-40)" >> "$dir/keys"

private_redis $rport || { echo "FAIL redis-server did not start"; exit 1; }

cat > "$dir/akmad.conf" << CONF
[engine]
capacity = 10000
requests = 4096
[metrics]
listen =
front_end_listen =
[wire]
listen = udp:127.0.0.1:$wport
psk_file = akmad.psk
[sbi]
listen = 127.0.0.1:$hport
tls_cert = server.pem
tls_key = server.key
insecure = true
[redis]
address = 127.0.0.1:$rport
[replication]
mode = sync
kek_file = akmad.kek
CONF
sed -e "s/^listen = 127.0.0.1:$hport/listen = 127.0.0.1:$fport/" -e '/^tls_/d' \
	"$dir/akmad.conf" > "$dir/fe.conf"

"$AKMAD" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
akmad=$!
pids+=($akmad)
"$AKMA_SBI" --config "$dir/fe.conf" > "$dir/fe.log" 2>&1 &
fe=$!
pids+=($fe)
for _ in $(seq 1 300); do
	grep -q "listening on" "$dir/akmad.log" && grep -q "serving h2c" "$dir/fe.log" && break
	sleep 0.1
done
check "akmad and akma-sbi start" bash -c "grep 'listening on' $dir/akmad.log && grep 'serving h2c' $dir/fe.log"

# One subscriber: register through FRONT (sbi, fe or wire), retrieve a K_AF
# through every path; each key lands in $dir/keys.
ctl() { local cmd=$1; shift; "$AKMACTL" "$cmd" --config "$dir/akmad.conf" "$@"; }
retrieve() { # VIA AKID AF; the K_AF in $dir/kaf
	local via=$1 akid=$2 af=$3 url
	case $via in
	wire)
		ctl get --akid "$akid" --af-id "$af;ua=0100000007" --json |
			$PY -c 'import json,sys; print(json.load(sys.stdin)["kaf"])' > "$dir/kaf" 2> /dev/null ;;
	sbi | fe)
		opt=(--http2 --cacert "$dir/server.pem") url=https://127.0.0.1:$hport
		[ $via = fe ] && opt=(--http2-prior-knowledge) url=http://127.0.0.1:$fport
		curl -s "${opt[@]}" \
			-H 'content-type: application/json' \
			--data-binary "{\"afId\":\"$af;ua=0100000007\",\"aKId\":\"$akid\"}" \
			"$url/naanf-akma/v1/retrieve-applicationkey" |
			$PY -c 'import json,sys; print(json.load(sys.stdin)["kaf"])' > "$dir/kaf" 2> /dev/null ;;
	esac
}
registered=0 retrieved=0
for n in $(seq 10 39); do
	supi=imsi-00101000000$n akid=$n.core@akma.example kakma=$(hex32)
	case $((n % 3)) in
	0) ctl register --supi $supi --akid $akid --kakma - <<< "$kakma" > /dev/null && registered=$((registered + 1)) ;;
	1 | 2)
		opt=(--http2 --cacert "$dir/server.pem") url=https://127.0.0.1:$hport
		[ $((n % 3)) = 2 ] && opt=(--http2-prior-knowledge) url=http://127.0.0.1:$fport
		curl -s -o /dev/null -w '%{http_code}\n' "${opt[@]}" \
			-H 'content-type: application/json' \
			--data-binary "{\"supi\":\"$supi\",\"aKId\":\"$akid\",\"kAkma\":\"$kakma\"}" \
			"$url/naanf-akma/v1/register-anchorkey" | grep -q 200 && registered=$((registered + 1)) ;;
	esac
	echo "kakma-$n $kakma" >> "$dir/keys"
	for via in wire sbi fe; do
		retrieve $via $akid af-$via.example.com && [ -s "$dir/kaf" ] || continue
		retrieved=$((retrieved + 1))
		echo "kaf-$n-$via $(cat "$dir/kaf")" >> "$dir/keys"
	done
done
check "30 registered (wire, SBI over TLS, akma-sbi), 90 K_AFs retrieved" \
	bash -c "echo registered $registered retrieved $retrieved; [ $registered = 30 ] && [ $retrieved = 90 ]"
check "each K_AF as derived locally" bash -c "
	kakma=\$(grep '^kakma-11 ' $dir/keys | cut -d' ' -f2)
	for via in wire sbi fe; do
		want=\$($AKMACTL derive kaf --kakma \$kakma --af-id \"af-\$via.example.com;ua=0100000007\")
		grep -q \"^kaf-11-\$via \$want\$\" $dir/keys || exit 1
	done"

# Connections held open while the cores are taken: one over TLS to akmad,
# one h2c to akma-sbi, each having registered and retrieved on it.
hold() { # NAME PORT CAFILE|- FIRST
	local name=$1 port=$2 ca=$3 first=$4 n
	for n in $(seq $first $((first + 9))); do
		kakma=$(hex32)
		echo "imsi-00101000000$n $n.hold@akma.example $kakma" >> "$dir/$name.subs"
		echo "kakma-$n $kakma" >> "$dir/keys"
	done
	mkfifo "$dir/$name.in"
	$PY "$SRC/tests/h2_hold.py" 127.0.0.1 $port $ca "$dir/$name.subs" "$dir/$name.kafs" \
		< "$dir/$name.in" > "$dir/$name.out" 2>&1 &
	pids+=($!)
	exec {fd}> "$dir/$name.in"
	eval "${name}_fd=$fd"
}
hold tls $hport "$dir/server.pem" 50
hold h2c $fport - 60
for _ in $(seq 1 300); do
	grep -q ready "$dir/tls.out" && grep -q ready "$dir/h2c.out" && break
	sleep 0.1
done
check "two connections hold 20 registrations and K_AFs" bash -c "
	cat $dir/tls.out $dir/h2c.out; grep -q ready $dir/tls.out && grep -q ready $dir/h2c.out &&
	[ \$(cat $dir/tls.kafs $dir/h2c.kafs | wc -l) = 20 ]"
cat "$dir/tls.kafs" "$dir/h2c.kafs" >> "$dir/keys"

# Cores: gcore stops the process for a moment and leaves it running.
check "gcore akmad" gcore -o "$dir/akmad.core" "$akmad"
check "no key in akmad's core" $PY "$SRC/tests/core_search.py" "$dir/akmad.core.$akmad" "$dir/keys"
check "gcore akma-sbi" gcore -o "$dir/fe.core" "$fe"
check "no key in akma-sbi's core" $PY "$SRC/tests/core_search.py" "$dir/fe.core.$fe" "$dir/keys"
exec {tls_fd}>&- {h2c_fd}>&-
check "akmad still serves after the core" ctl get --akid 12.core@akma.example \
	--af-id 'x.example.com;ua=0100000007'
check_done
