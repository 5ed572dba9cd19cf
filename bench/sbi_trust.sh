#!/usr/bin/env bash
# The trust boundary's cost: akma-bench sbi against three akmads on private
# ports, the same load on each (random A-KIDs over N contexts, 4 x 32
# streams), rounds interleaved: h2c, HTTP/2 over TLS, and mutual TLS with
# an OAuth2 access token reused on every request of a connection (an AF's
# certificate and token, checked against a consumer policy). Certificates
# by openssl, the NRF's key and token by tests/trust_tokens.py (PyJWT).
# Prints each round and the medians with their ratios to TLS alone.
#
#   bench/sbi_trust.sh [BUILD_DIR [CONTEXTS [ROUNDS]]]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n=${2:-1000000}
rounds=${3:-5}
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
. "$top/tests/check.sh"
scratch sbi-trust TERM

U_AFA=9b2c3d4e-0000-4000-8000-00000000000a
U_NRF=0b5e3c1a-1111-4222-8333-444455556666
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ca \
	-keyout "$dir/ca.key" -out "$dir/ca.pem" 2> /dev/null
leaf() { # NAME EKU SAN
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$dir/$1.key" -out "$dir/$1.csr" 2> /dev/null
	printf 'subjectAltName=%s\nextendedKeyUsage=%s\nkeyUsage=digitalSignature\n' "$3" "$2" > "$dir/$1.ext"
	openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
		-days 2 -extfile "$dir/$1.ext" -out "$dir/$1.pem" 2> /dev/null
	chmod 600 "$dir/$1.key"
}
leaf server serverAuth "DNS:localhost,IP:127.0.0.1"
leaf afa clientAuth "URI:urn:uuid:$U_AFA"
$PY "$top/tests/trust_tokens.py" keys "$dir"
{ echo "issuer = $U_NRF"; echo "kid = nrf-ec"; cat "$dir/nrf-ec.pub"; } > "$dir/nrf-keys.pem"
$PY "$top/tests/trust_tokens.py" token "$dir" es256 \
	"{\"iss\":\"$U_NRF\",\"sub\":\"$U_AFA\",\"aud\":\"AANF\",\"scope\":\"naanf-akma\",\"exp\":\"+86400\"}" \
	> "$dir/token"
printf '[consumer app-a]\nrole = af\nnf_instance_id = %s\nafs = af.example.com;ua=0100000007\n' \
	$U_AFA > "$dir/policy.conf"
# The benchmark registers through each SBI: an ausf-role consumer for the
# secured one too, with a certificate and token of its own.
U_AUSF=3fa85f64-5717-4562-b3fc-2c963f66afa6
leaf ausf clientAuth "URI:urn:uuid:$U_AUSF"
printf '[consumer ausf-1]\nrole = ausf\nnf_instance_id = %s\n' $U_AUSF >> "$dir/policy.conf"
$PY "$top/tests/trust_tokens.py" token "$dir" es256 \
	"{\"iss\":\"$U_NRF\",\"sub\":\"$U_AUSF\",\"aud\":\"AANF\",\"scope\":\"naanf-akma\",\"exp\":\"+86400\"}" \
	> "$dir/ausf.token"
new_key "$dir/akmad.psk"

declare -A port
for mode in h2c tls mtls; do
	wport=$(free_port)
	port[$mode]=$(free_port)
	{
		printf '[engine]\ncapacity = %s\nring_size = 4096\nmb_arch = sse\n' $((n + n / 8 + 1000))
		printf '[metrics]\nlisten =\nfront_end_listen =\n[wire]\nlisten = udp:127.0.0.1:%s\npsk_file = akmad.psk\n' $wport
		printf '[sbi]\nlisten = 127.0.0.1:%s\n' ${port[$mode]}
		[ $mode != h2c ] && printf 'tls_cert = server.pem\ntls_key = server.key\n'
		[ $mode = mtls ] && printf 'tls_client_ca = ca.pem\noauth2 = require\noauth2_keys = nrf-keys.pem\noauth2_issuers = %s\npolicy = policy.conf\n' $U_NRF
	} > "$dir/$mode.conf"
	"$build/drivers/programs/akmad" --config "$dir/$mode.conf" > "$dir/$mode.log" 2>&1 &
	pids+=($!)
done
for mode in h2c tls mtls; do
	for _ in $(seq 1 300); do grep -q "listening on" "$dir/$mode.log" && break; sleep 0.1; done
	grep -q "listening on" "$dir/$mode.log" || { cat "$dir/$mode.log"; exit 1; }
done
opts() { # MODE [ROLE]
	case $1 in
	h2c) ;;
	tls) echo --tls-ca "$dir/ca.pem" ;;
	mtls) echo --tls-ca "$dir/ca.pem" --cert "$dir/${2:-afa}.pem" --key "$dir/${2:-afa}.key" \
		--token-file "$dir/${3:-token}" ;;
	esac
}
B=$build/bench/akma-bench
for mode in h2c tls mtls; do
	echo "preloading $n contexts through the $mode SBI"
	$B sbi --server 127.0.0.1:${port[$mode]} --contexts $n --rounds 1 --duration 0.2 --csv \
		$(opts $mode ausf ausf.token) > "$dir/pre-$mode.out" 2>&1 || { cat "$dir/pre-$mode.out"; exit 1; }
done
$B sbi --server 127.0.0.1:${port[h2c]} --no-register --contexts $n --rounds 1 --duration 0.1 | sed -n '/^#/p;/^cpu\|^dpdk\|^ipsec/p' | head -5
declare -A res
for r in $(seq 1 "$rounds"); do
	for mode in h2c tls mtls; do
		out=$($B sbi --server 127.0.0.1:${port[$mode]} --no-register --contexts $n --rounds 1 \
			--duration 2 --csv $(opts $mode))
		row=$(echo "$out" | grep '^uniformly')
		rps=$(echo "$row" | cut -d, -f2)
		p99=$(echo "$row" | cut -d, -f4)
		echo "round $r $mode: $rps requests/s, p99 $p99 us"
		res[$mode]="${res[$mode]:-} $rps"
	done
done
$PY - "${res[h2c]}" "${res[tls]}" "${res[mtls]}" << 'PY'
import statistics, sys
h2c, tls, mtls = ([float(x) for x in a.split()] for a in sys.argv[1:4])
m = {k: statistics.median(v) for k, v in (("h2c", h2c), ("tls", tls), ("mtls", mtls))}
for k, v in (("h2c", h2c), ("TLS", tls), ("mTLS + OAuth2", mtls)):
    mm = statistics.median(v)
    print("%-14s median %8.0f requests/s (spread %.0f-%.0f), %.2fx TLS alone" %
          (k, mm, min(v), max(v), mm / m["tls"]))
PY
