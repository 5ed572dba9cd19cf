#!/usr/bin/env bash
# The Naanf_AKMA front end end to end, with real HTTP/2 clients (curl with
# prior knowledge and nghttp): every operation and every error class, each
# response body validated against the 3GPP OpenAPI schemas (tests/openapi,
# tests/validate_openapi.py), the K_AF equal to akmactl derive's, a barrage
# of broken HTTP/2 and bad bodies that leaves the daemon serving and the
# context intact, /metrics, a clean stop. akmad is started here on private
# ports and stopped at the end.
set -u
BUILD=${1:?usage: integration_sbi.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: integration_sbi.sh BUILD_DIR SOURCE_DIR}
AKMAD=$BUILD/drivers/programs/akmad
AKMACTL=$BUILD/drivers/programs/akmactl
VALIDATE="/usr/bin/python3 $SRC/tests/validate_openapi.py $SRC/tests/openapi"
[ -x /usr/bin/python3 ] || VALIDATE="python3 $SRC/tests/validate_openapi.py $SRC/tests/openapi"
dir=$(mktemp -d /tmp/akma-sbi-XXXXXX)
pid=

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. "$(dirname "$0")/check.sh"
port=$(free_port 10) # port .. port + 9, free when chosen
hport=$((port + 1))
mport=$((port + 4)) # the metrics listener

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/akmad.psk"
chmod 600 "$dir/akmad.psk"
cat > "$dir/akmad.conf" <<EOF
[engine]
capacity = 10000
requests = 4096
[metrics]
listen = 127.0.0.1:$mport
front_end_listen =
[wire]
listen = udp:127.0.0.1:$port
psk_file = akmad.psk
[sbi]
listen = 127.0.0.1:$hport
max_body = 4096
max_streams = 100
idle_timeout = 1000
EOF
"$AKMAD" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	grep -q "listening on" "$dir/akmad.log" && break
	sleep 0.1
done
grep "listening on" "$dir/akmad.log" || { cat "$dir/akmad.log"; exit 1; }

API=http://127.0.0.1:$hport/naanf-akma/v1
KAKMA=3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c
AKID=12.vX0oRg-ix2HOe0nWtWYT8s-DMtnvvtt8cnozYhCeqyw@akma.5gc.mnc001.mcc001.3gppnetwork.org

# post PATH BODY [curl options]: status in $dir/status, body in $dir/body,
# headers in $dir/headers.
post() {
	local path=$1 body=$2
	shift 2
	curl -s --http2-prior-knowledge -D "$dir/headers" -o "$dir/body" -w '%{http_code}' \
		-H 'content-type: application/json' --data-binary "$body" "$@" "$API/$path" > "$dir/status"
}
status_is() { [ "$(cat "$dir/status")" = "$1" ]; }
valid() { $VALIDATE "$1" "$dir/body"; } # SCHEMA-REF
type_is() { grep -qi "^content-type: $1" "$dir/headers"; }

PD='TS29571_CommonData.yaml#/components/schemas/ProblemDetails'
KEYINFO='TS29535_Naanf_AKMA.yaml#/components/schemas/AkmaKeyInfo'
AFKEY='TS29522_AKMA.yaml#/components/schemas/AkmaAfKeyData'

# ---- every operation and error class, with curl and with nghttp ---------------------------------------
# send CLIENT METHOD PATH BODY [curl-or-nghttp options]: status, content type
# and body into $dir/status, $dir/ctype, $dir/body. CLIENT: curl or nghttp;
# TLSOPT: curl's HTTP/2 options: prior knowledge for h2c, TLS ones for https.
TLSOPT=(--http2-prior-knowledge)
send() { # CLIENT METHOD PATH BODY [options]; PATH under $API, or from the root when it starts with /
	local client=$1 method=$2 path=$3 body=$4 url
	shift 4
	url=$API/$path
	[ "${path:0:1}" = / ] && url=${API%/naanf-akma/v1}$path
	printf '%s' "$body" > "$dir/req.json"
	: > "$dir/body"
	if [ "$client" = curl ]; then
		curl -s "${TLSOPT[@]}" -D "$dir/headers" -o "$dir/body" -w '%{http_code}' -X "$method" \
			-H 'content-type: application/json' --data-binary @"$dir/req.json" "$@" "$url" > "$dir/status"
		grep -i '^content-type:' "$dir/headers" | cut -d' ' -f2 | tr -d '\r' > "$dir/ctype"
	else
		nghttp -v -H ":method: $method" -H 'content-type: application/json' -d "$dir/req.json" "$@" \
			"$url" > "$dir/ng.out" 2>&1
		python3 - "$dir" <<'PY'
import re, sys
d = sys.argv[1]
out = open(d + "/ng.out", errors="replace").read()
st = re.search(r"recv \(stream_id=\d+\) :status: (\d+)", out)
ct = re.search(r"recv \(stream_id=\d+\) content-type: (\S+)", out)
body = re.search(r"^(\{.*?\})(?=\[ *\d|$)", out, re.M)
open(d + "/status", "w").write(st.group(1) if st else "none")
open(d + "/ctype", "w").write((ct.group(1) if ct else "") + "\n")
open(d + "/body", "w").write(body.group(1) if body else "")
PY
	fi
}
expect() { # NAME STATUS [SCHEMA [CAUSE]]; CAUSE "-": a ProblemDetails without one
	local name=$1 want=$2 schema=${3:-} cause=${4:-}
	check "$name: $want${cause:+ $cause}" bash -c "
		[ \"\$(cat $dir/status)\" = $want ] || { echo status \$(cat $dir/status); cat $dir/body; exit 1; }
		[ -z '$schema' ] || $VALIDATE '$schema' '$dir/body' || exit 1
		[ -z '$cause' ] || [ '$cause' = - ] || { grep -q '\"cause\":\"$cause\"' '$dir/body' && grep -q '^application/problem+json' '$dir/ctype'; } || { cat $dir/body; exit 1; }
		[ '$cause' != - ] || { ! grep -q '\"cause\"' '$dir/body' && grep -q '^application/problem+json' '$dir/ctype'; } || { cat $dir/body; exit 1; }
		[ $want != 204 ] || [ ! -s '$dir/body' ]"
}
matrix() { # CLIENT LABEL N (N: this run's own subscriber)
	local cl=$1 label=$2 n=$3
	local supi=imsi-0010100000009$n akid=$n.matrix@akma.example
	local nocl=(-H 'transfer-encoding: chunked') big
	[ "$cl" = nghttp ] && nocl=(--no-content-length)
	big=$(head -c 5000 /dev/zero | tr '\0' ' ')
	send $cl POST register-anchorkey "{\"supi\":\"$supi\",\"aKId\":\"$akid\",\"kAkma\":\"${KAKMA^^}\",\"suppFeat\":\"3\"}"
	expect "$label register-anchorkey" 200 "$KEYINFO"
	send $cl POST retrieve-applicationkey "{\"afId\":\"af.example.com;ua=0100000007\",\"aKId\":\"$akid\"}"
	expect "$label retrieve-applicationkey" 200 "$AFKEY"
	check "$label ... the K_AF equals akmactl derive kaf's, with the supi" \
		bash -c "grep -q '\"kaf\":\"$want\"' '$dir/body' && grep -q '\"supi\":\"$supi\"' '$dir/body'"
	send $cl POST retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"$akid\",\"anonInd\":true}"
	expect "$label retrieve-applicationkey, anonInd, bare FQDN" 200 "$AFKEY"
	check "$label ... no UE identity" bash -c "! grep -q supi '$dir/body' && grep -q '$want' '$dir/body'"
	send $cl POST retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"nobody$n@akma.example\"}"
	expect "$label retrieve-applicationkey, unknown A-KID" 204
	send $cl POST remove-context "{\"supi\":\"$supi\"}"
	expect "$label remove-context" 204
	send $cl POST remove-context "{\"supi\":\"$supi\"}"
	expect "$label remove-context again" 404 "$PD" CONTEXT_NOT_FOUND
	send $cl POST register-anchorkey '{"supi":'
	expect "$label broken JSON" 400 "$PD" INVALID_MSG_FORMAT
	send $cl POST register-anchorkey '{"supi":5,"aKId":"a@b","kAkma":"00"}'
	expect "$label wrong types" 400 "$PD" MANDATORY_IE_INCORRECT
	check "$label ... invalidParams names /supi and /kAkma" \
		bash -c "grep -q '\"param\":\"/supi\"' '$dir/body' && grep -q '\"param\":\"/kAkma\"' '$dir/body'"
	send $cl POST register-anchorkey '{"aKId":"a@b"}'
	expect "$label missing fields" 400 "$PD" MANDATORY_IE_MISSING
	# TS 29.501: attributes of later releases are ignored.
	send $cl POST register-anchorkey "{\"supi\":\"$supi\",\"aKId\":\"$akid\",\"kAkma\":\"$KAKMA\",\"color\":1}"
	expect "$label an unknown attribute: ignored" 200 "$KEYINFO"
	send $cl POST nonsense '{}'
	expect "$label an unknown path" 404 "$PD" RESOURCE_URI_STRUCTURE_NOT_FOUND
	send $cl POST /naanf-akma/v2/register-anchorkey '{}'
	expect "$label another API version" 400 "$PD" INVALID_API
	send $cl PUT register-anchorkey '{}'
	expect "$label another method (no 3GPP cause)" 405 "$PD" -
	# HTTP/2 frames the body (RFC 9113 8.1.1): no content-length is fine.
	send $cl POST remove-context "{\"supi\":\"$supi\"}" "${nocl[@]}"
	expect "$label no content-length: served" 204
	send $cl POST register-anchorkey "$big{}"
	expect "$label a body above sbi.max_body (no 3GPP cause)" 413 "$PD" -
	send $cl POST register-anchorkey '{}' -H 'content-type: text/plain'
	expect "$label another content type (no 3GPP cause)" 415 "$PD" -
}
want=$("$AKMACTL" derive kaf --kakma $KAKMA --af-id 'af.example.com;ua=0100000007')
matrix curl "h2c curl:" 1
matrix nghttp "h2c nghttp:" 2

error_case() { # NAME STATUS CAUSE
	check "$1: $2 $3, application/problem+json, valid ProblemDetails" \
		bash -c "[ \"\$(cat $dir/status)\" = $2 ] && grep -qi '^content-type: application/problem+json' '$dir/headers' && grep -q '\"cause\":\"$3\"' '$dir/body' && $VALIDATE '$PD' '$dir/body'"
}
post register-anchorkey "{\"supi\":\"imsi-001010123456789\",\"aKId\":\"$AKID\",\"kAkma\":\"$KAKMA\"}"
post register-anchorkey "{\"supi\":\"imsi-001010000000099\",\"aKId\":\"$AKID\",\"kAkma\":\"$KAKMA\"}"
error_case "an A-KID that belongs to another subscriber" 400 MANDATORY_IE_INCORRECT

# ---- a barrage of broken HTTP/2 and bodies; then everything still works --------------------------
python3 - "$hport" > "$dir/barrage.out" 2>&1 <<'PY'
import os, socket, sys
port = int(sys.argv[1])
preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
cases = {
    "http/1.1": b"POST /naanf-akma/v1/remove-context HTTP/1.1\r\nHost: x\r\n\r\n",
    "garbage": os.urandom(4096),
    "preface then garbage": preface + os.urandom(512),
    "a DATA frame on stream 0": preface + settings + b"\x00\x00\x04\x00\x00\x00\x00\x00\x00abcd",
    "a HEADERS frame with a broken block": preface + settings + b"\x00\x00\x05\x01\x05\x00\x00\x00\x01\xff\xff\xff\xff\xff",
    "a frame far above max size": preface + settings + b"\xff\xff\xff\x00\x00\x00\x00\x00\x01" + b"x" * 1000,
    "a truncated preface": preface[:10],
}
goaways = 0
for name, data in cases.items():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(2)
    try:
        s.sendall(data)
        got = b""
        while True:
            x = s.recv(65536)
            if not x:
                break
            got += x
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    i, types = 0, []
    while i + 9 <= len(got):
        types.append(got[i + 3])
        i += 9 + int.from_bytes(got[i:i + 3], "big")
    goaways += 7 in types
    print(name, "->", "GOAWAY" if 7 in types else "no GOAWAY", types)
    s.close()
print("goaways", goaways)
PY
cat "$dir/barrage.out"
check "clients that break HTTP/2 get a GOAWAY" grep -q "a DATA frame on stream 0 -> GOAWAY" "$dir/barrage.out"
for body in '' 'null' '[]' '"x"' '{"afId":null,"aKId":null}' '{"afId":"a..b","aKId":"a@b"}' \
	"{\"afId\":\"af.example.com;ua=01000000\",\"aKId\":\"$AKID\"}" '{"afId":"af.example.com","aKId":"'"$(printf 'x%.0s' $(seq 1 300))"'"}' \
	$'{"afId":"af.example.com","aKId":"a\\u0000b"}' '{"afId":"af.example.com","aKId":"a@b","anonInd":"yes"}'; do
	post retrieve-applicationkey "$body"
	echo "$(cat "$dir/status") $body" | cut -c1-100 >> "$dir/bad.out"
done
check "bad bodies: each a 400" bash -c "[ \$(grep -c '^400 ' '$dir/bad.out') = 10 ] || { cat '$dir/bad.out'; false; }"
post retrieve-applicationkey "{\"afId\":\"af.example.com;ua=0100000007\",\"aKId\":\"$AKID\"}"
check "after the barrage akmad still serves, the context intact (same K_AF)" \
	bash -c "[ \"\$(cat $dir/status)\" = 200 ] && grep -q '$want' '$dir/body'"

# ---- many streams on one connection, several connections ----------------------------------------
printf '{"afId":"af.example.com;ua=0100000007","aKId":"%s"}' "$AKID" > "$dir/get1.json"
h2load -c 4 -m 100 -n 8000 -d "$dir/get1.json" -H 'content-type: application/json' \
	"$API/retrieve-applicationkey" > "$dir/h2load.out" 2>&1
grep -E "requests:|status codes:" "$dir/h2load.out"
check "8000 requests on 4 connections of 100 streams (more than one engine burst a pass): all 200" \
	grep -q "status codes: 8000 2xx, 0 3xx, 0 4xx, 0 5xx" "$dir/h2load.out"

# ---- akma-sbi: front ends of their own sharing this akmad over the wire protocol ------------------------
AKMA_SBI=$BUILD/drivers/programs/akma-sbi
"$AKMA_SBI" --config "$dir/akmad.conf" --sbi-listen 127.0.0.1:$((port + 5)) --timeout 10000 > "$dir/fe1.log" 2>&1 &
fe1=$!
"$AKMA_SBI" --config "$dir/akmad.conf" --sbi-listen 127.0.0.1:$((port + 6)) --timeout 10000 > "$dir/fe2.log" 2>&1 &
fe2=$!
for _ in $(seq 1 50); do grep -q serving "$dir/fe2.log" && grep -q serving "$dir/fe1.log" && break; sleep 0.1; done
grep -q serving "$dir/fe1.log" && grep -q serving "$dir/fe2.log" || cat "$dir/fe1.log" "$dir/fe2.log"
API=http://127.0.0.1:$((port + 5))/naanf-akma/v1
post register-anchorkey "{\"supi\":\"imsi-001010000000003\",\"aKId\":\"3.fe@akma.example\",\"kAkma\":\"$KAKMA\"}"
check "akma-sbi: register-anchorkey through one front end, valid AkmaKeyInfo" \
	bash -c "[ \"\$(cat $dir/status)\" = 200 ] && $VALIDATE '$KEYINFO' '$dir/body'"
API=http://127.0.0.1:$((port + 6))/naanf-akma/v1
post retrieve-applicationkey '{"afId":"af.example.com;ua=0100000007","aKId":"3.fe@akma.example"}'
check "... retrieved through another front end: the same engine, the same K_AF" \
	bash -c "[ \"\$(cat $dir/status)\" = 200 ] && $VALIDATE '$AFKEY' '$dir/body' && grep -q '$want' '$dir/body'"
API=http://127.0.0.1:$hport/naanf-akma/v1
post remove-context '{"supi":"imsi-001010000000003"}'
API=http://127.0.0.1:$((port + 5))/naanf-akma/v1
post retrieve-applicationkey '{"afId":"af.example.com;ua=0100000007","aKId":"3.fe@akma.example"}'
check "... removed through akmad's own SBI: gone for the front ends too (204)" status_is 204
post register-anchorkey '{"supi":5,"aKId":"a@b","kAkma":"00"}'
error_case "akma-sbi: bad input answered by the front end itself" 400 MANDATORY_IE_INCORRECT
h2load -c 2 -m 50 -n 2000 -d "$dir/get1.json" -H 'content-type: application/json' \
	"$API/retrieve-applicationkey" > "$dir/h2load2.out" 2>&1
check "akma-sbi: 2000 requests over 2 connections of 50 streams, all answered 200" \
	bash -c "grep -q 'status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx' '$dir/h2load2.out' || { grep -E 'requests|status' '$dir/h2load2.out'; false; }"
"$AKMA_SBI" --config "$dir/akmad.conf" --sbi-listen 127.0.0.1:$((port + 7)) --server udp:127.0.0.1:9 \
	--timeout 200 > "$dir/fe3.log" 2>&1 &
fe3=$!
for _ in $(seq 1 50); do grep -q serving "$dir/fe3.log" && break; sleep 0.1; done
grep -q serving "$dir/fe3.log" || cat "$dir/fe3.log"
API=http://127.0.0.1:$((port + 7))/naanf-akma/v1
post retrieve-applicationkey '{"afId":"af.example.com;ua=0100000007","aKId":"3.fe@akma.example"}'
error_case "akma-sbi with no akmad behind it: 503 once the answer is overdue" 503 NF_CONGESTION
for f in $fe1 $fe2 $fe3; do kill -TERM $f; done
rc=0
for f in $fe1 $fe2 $fe3; do wait $f || rc=$?; done
check "akma-sbi: SIGTERM, clean exit 0" test "$rc" = 0
API=http://127.0.0.1:$hport/naanf-akma/v1

# ---- limits: streams per connection, idle timeout ------------------------------------------------------
python3 - "$hport" > "$dir/limits.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
s.settimeout(4)
got, t0, closed = b"", time.time(), False
while time.time() - t0 < 3.5:
    try:
        x = s.recv(4096)
    except socket.timeout:
        break
    if not x:
        closed = True
        break
    got += x
i, frames = 0, []
while i + 9 <= len(got):
    n = int.from_bytes(got[i:i + 3], "big")
    frames.append((got[i + 3], got[i + 9:i + 9 + n]))
    i += 9 + n
for t, p in frames:
    if t == 4:
        for k in range(0, len(p), 6):
            print("setting", int.from_bytes(p[k:k + 2], "big"), int.from_bytes(p[k + 2:k + 6], "big"))
print("goaway" if any(t == 7 for t, _ in frames) else "no goaway", "closed" if closed else "open",
      "after %.1f s" % (time.time() - t0))
PY
cat "$dir/limits.out"
check "per-connection stream limit announced (SETTINGS_MAX_CONCURRENT_STREAMS 100)" \
	grep -q "^setting 3 100$" "$dir/limits.out"
check "an idle connection gets a GOAWAY and is closed (sbi.idle_timeout 1000 ms)" \
	grep -q "^goaway closed" "$dir/limits.out"

# ---- metrics, clean stop ----------------------------------------------------------------------------
curl -s "http://127.0.0.1:$mport/metrics" > "$dir/metrics"
check "the metrics listener (HTTP/1.1): requests, answers by operation and status, latency, in-flight" \
	bash -c "grep -q '^akmad_sbi_requests_total{operation=\"retrieve-applicationkey\"} [0-9]' '$dir/metrics' && grep -q '^akmad_sbi_answers_total{operation=\"remove-context\",status=\"404\"} [1-9]' '$dir/metrics' && grep -q '^akmad_sbi_answers_total{operation=\"retrieve-applicationkey\",status=\"204\"} [1-9]' '$dir/metrics' && grep -q '^akmad_sbi_latency_seconds_bucket{le=\"+Inf\"}' '$dir/metrics' && grep -q '^akmad_sbi_latency_seconds_sum ' '$dir/metrics' && grep -q '^akmad_sbi_streams_in_flight 0' '$dir/metrics'"
check "... akmad's engine and wire counters too, named as in STATS and telemetry" \
	bash -c "grep -q '^akmad_get_kaf_total [1-9]' '$dir/metrics' && grep -q '^akmad_contexts [0-9]' '$dir/metrics' && grep -q '^# TYPE akmad_dropped_auth_total counter' '$dir/metrics'"
retrieves() {
	curl -s "http://127.0.0.1:$mport/metrics" |
		sed -n 's/^akmad_sbi_requests_total{operation="retrieve-applicationkey"} //p'
}
before=$(retrieves)
h2load -c 4 -m 50 -D 3 -d "$dir/get1.json" -H 'content-type: application/json' \
	"$API/retrieve-applicationkey" > "$dir/h2load3.out" 2>&1 &
load=$!
# The load is on (a thousand retrieves since it started), then the stop.
for _ in $(seq 1 100); do [ "$(retrieves)" -ge $((before + 1000)) ] && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
wait $load
grep -E "requests:|status codes:" "$dir/h2load3.out"
check "SIGTERM under load: clean exit 0" test "$rc" = 0
# Streams the client opened after the GOAWAY's last stream id were never
# taken (h2load counts them failed): at most a window's worth, 4 x 50.
check "... every stream it had taken answered 200; only streams opened after the GOAWAY refused" \
	bash -c "grep -q 'status codes: [1-9][0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx' '$dir/h2load3.out' && [ \$(grep -o '[0-9]* failed' '$dir/h2load3.out' | cut -d' ' -f1) -le 200 ]"

# ---- HTTP/2 over TLS, with a certificate made here ----------------------------------------------------
tport=$((port + 2))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2> /dev/null
chmod 600 "$dir/key.pem"
sed -e "s/^listen = 127.0.0.1:$hport/listen = 127.0.0.1:$tport\ntls_cert = cert.pem\ntls_key = key.pem/" \
	-e "s/^listen = 127.0.0.1:$mport/listen =/" \
	-e "s/^listen = udp:127.0.0.1:$port/listen = udp:127.0.0.1:$((port + 3))/" "$dir/akmad.conf" > "$dir/tls.conf"
"$AKMAD" --config "$dir/tls.conf" > "$dir/tls.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$dir/tls.log" && break; sleep 0.1; done
check "akmad serves HTTP/2 over TLS when given a certificate" grep -q "HTTP/2 over TLS 127.0.0.1:$tport" "$dir/tls.log"
API=https://127.0.0.1:$tport/naanf-akma/v1
for v in 1.2 1.3; do
	TLSOPT=(--http2 --cacert "$dir/cert.pem" --tlsv$v --tls-max $v)
	send curl POST register-anchorkey "{\"supi\":\"imsi-001010000000077\",\"aKId\":\"77.tls@akma.example\",\"kAkma\":\"$KAKMA\"}"
	check "TLS $v, ALPN h2: register-anchorkey 200, valid AkmaKeyInfo" \
		bash -c "[ \"\$(cat $dir/status)\" = 200 ] && grep -q '^HTTP/2 200' '$dir/headers' && $VALIDATE '$KEYINFO' '$dir/body'"
done
TLSOPT=(--http2 --cacert "$dir/cert.pem")
matrix curl "TLS curl:" 3
matrix nghttp "TLS nghttp:" 4
TLSOPT=(--http2-prior-knowledge)
curl -s --http1.1 --cacert "$dir/cert.pem" -o /dev/null "$API/register-anchorkey"
check "a client that cannot speak h2 is refused at ALPN" test $? != 0
check "a plain h2c client on the TLS port is refused, akmad goes on" \
	bash -c "! curl -s --max-time 3 --http2-prior-knowledge -o /dev/null http://127.0.0.1:$tport/naanf-akma/v1/remove-context; curl -s --http2 --cacert '$dir/cert.pem' -o /dev/null -w '%{http_code}' https://127.0.0.1:$tport/nothing | grep -qx 404"
# Certificate rotation: SIGHUP reads the certificate and key again; new
# connections get the new one, an established connection goes on.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$dir/key2.pem" -out "$dir/cert2.pem" 2> /dev/null
cat "$dir/cert.pem" "$dir/cert2.pem" > "$dir/both.pem"
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f; }
fp_old=$(fp "$dir/cert.pem") fp_new=$(fp "$dir/cert2.pem")
mkfifo "$dir/rot.in"
/usr/bin/python3 "$SRC/tests/tls_reload.py" $tport "$dir/both.pem" < "$dir/rot.in" > "$dir/rot.out" 2>&1 &
rot=$!
exec {rfd}> "$dir/rot.in"
for _ in $(seq 1 100); do grep -q ready "$dir/rot.out" && break; sleep 0.1; done
cat "$dir/cert2.pem" > "$dir/cert.pem"
cat "$dir/key2.pem" > "$dir/key.pem"
kill -HUP "$pid"
for _ in $(seq 1 100); do grep -q "SIGHUP: sbi certificate and key" "$dir/tls.log" && break; sleep 0.1; done
echo go >&$rfd
exec {rfd}>&-
wait $rot
rot_rc=$?
check "SIGHUP rotates the certificate: new connections get the new one, the held one goes on" bash -c "
	cat '$dir/rot.out'; [ $rot_rc = 0 ] && grep -qx 'before $fp_old' '$dir/rot.out' &&
	grep -qx 'held ok' '$dir/rot.out' && grep -qx 'after $fp_new' '$dir/rot.out'"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM over TLS: clean exit 0" test "$rc" = 0

# ---- engine overload: 503 NF_CONGESTION, nothing lost --------------------------------------------------
sed -e 's/^requests = 4096/requests = 1024\nring_size = 64\nidle_sleep = 1000/' -e 's/^capacity = .*/capacity = 64/' \
	-e "s/^listen = 127.0.0.1:$tport.*/listen = 127.0.0.1:$((port + 8))/" -e '/^tls_/d' \
	-e "s/^listen = udp:127.0.0.1:$((port + 3))/listen = udp:127.0.0.1:$((port + 9))/" \
	-e "s/^listen =$/listen = 127.0.0.1:$mport/" "$dir/tls.conf" > "$dir/small.conf"
"$AKMAD" --config "$dir/small.conf" > "$dir/small.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$dir/small.log" && break; sleep 0.1; done
API=http://127.0.0.1:$((port + 8))/naanf-akma/v1
post register-anchorkey "{\"supi\":\"imsi-001010123456789\",\"aKId\":\"$AKID\",\"kAkma\":\"$KAKMA\"}"
h2load -c 8 -m 100 -n 20000 -d "$dir/get1.json" -H 'content-type: application/json' \
	"$API/retrieve-applicationkey" > "$dir/h2load4.out" 2>&1
grep -E "status codes:" "$dir/h2load4.out"
curl -s "http://127.0.0.1:$mport/metrics" > "$dir/metrics2"
check "an engine with 64-slot rings under 800 streams: 503s, every request answered" \
	bash -c "grep -q 'requests: 20000 total, 20000 started, 20000 done' '$dir/h2load4.out' && grep -q '^akmad_sbi_responses_total{class=\"5xx\"} [1-9]' '$dir/metrics2'"
post retrieve-applicationkey '{"afId":"af.example.com;ua=0100000007","aKId":"'"$AKID"'"}'
check "... and the context is intact afterwards" \
	bash -c "[ \"\$(cat $dir/status)\" = 200 ] && grep -q '$want' '$dir/body'"
# A store of 64 contexts: fill it, then one more with each client.
for i in $(seq 100 180); do
	post register-anchorkey "{\"supi\":\"imsi-00101000000$i\",\"aKId\":\"$i.full@akma.example\",\"kAkma\":\"$KAKMA\"}"
done
for cl in curl nghttp; do
	send $cl POST register-anchorkey "{\"supi\":\"imsi-001010000000199\",\"aKId\":\"199.$cl@akma.example\",\"kAkma\":\"$KAKMA\"}"
	expect "$cl: a full store" 500 "$PD" INSUFFICIENT_RESOURCES
done
post retrieve-applicationkey '{"afId":"af.example.com;ua=0100000007","aKId":"'"$AKID"'"}'
check "... nothing stored was harmed" bash -c "[ \"\$(cat $dir/status)\" = 200 ] && grep -q '$want' '$dir/body'"
kill -TERM "$pid"
wait "$pid"
pid=

check_done
