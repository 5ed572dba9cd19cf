#!/usr/bin/env bash
# The SBI's trust boundary end to end (spec/AKMA.md 6; TS 33.501 13, TS
# 29.535 4, TS 33.535 6.3): a test CA and consumer certificates made here
# with openssl (AUSF, AF-A, AF-B, NEF, a stranger, one from a foreign CA,
# an expired one, one not yet valid, one not fit for client use), NRF
# signing keys (P-256 and RSA) and tokens minted by Python's PyJWT
# (tests/trust_tokens.py), against
# akmad with mutual TLS, OAuth2 and a consumer policy, then the same through
# akma-sbi, then akma-sbi with mutual TLS alone. Every refusal's status,
# WWW-Authenticate and ProblemDetails body (against the 3GPP OpenAPI) is
# checked; the K_AF of a bare FQDN is the known answer of the Ua* id the
# policy gives that AF. Services on private ports, stopped at the end.
set -u
BUILD=${1:?usage: integration_trust.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: integration_trust.sh BUILD_DIR SOURCE_DIR}
AKMAD=$BUILD/drivers/programs/akmad
AKMA_SBI=$BUILD/drivers/programs/akma-sbi
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
VALIDATE="$PY $SRC/tests/validate_openapi.py $SRC/tests/openapi"
TOKENS="$PY $SRC/tests/trust_tokens.py"
PD='TS29571_CommonData.yaml#/components/schemas/ProblemDetails'
KEYINFO='TS29535_Naanf_AKMA.yaml#/components/schemas/AkmaKeyInfo'
AFKEY='TS29522_AKMA.yaml#/components/schemas/AkmaAfKeyData'
. "$(dirname "$0")/check.sh"
scratch trust

wport=$(free_port) hport=$(free_port) fport=$(free_port) mport=$(free_port) xport=$(free_port)
metport=$(free_port) # akmad's metrics listener

# ---- identities --------------------------------------------------------------------------------
U_AANF=5f1d7c1e-3a2b-4c5d-8e9f-0a1b2c3d4e5f
U_NRF=0b5e3c1a-1111-4222-8333-444455556666
U_AUSF=3fa85f64-5717-4562-b3fc-2c963f66afa6
U_AFA=9b2c3d4e-0000-4000-8000-00000000000a
U_AFB=9b2c3d4e-0000-4000-8000-00000000000b
U_NEF=7d1c2b3a-0000-4000-8000-0000000000ef
U_STRANGER=1c1c1c1c-0000-4000-8000-000000000001

ca() { # NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
		-keyout "$dir/$1.key" -out "$dir/$1.pem" 2> /dev/null
}
leaf() { # NAME CA DAYS EKU SAN
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$dir/$1.key" -out "$dir/$1.csr" 2> /dev/null
	printf 'subjectAltName=%s\nextendedKeyUsage=%s\nkeyUsage=digitalSignature\nbasicConstraints=CA:FALSE\n' \
		"$5" "$4" > "$dir/$1.ext"
	openssl x509 -req -in "$dir/$1.csr" -CA "$dir/$2.pem" -CAkey "$dir/$2.key" -CAcreateserial \
		-days "$3" -extfile "$dir/$1.ext" -out "$dir/$1.pem" 2> /dev/null
	chmod 600 "$dir/$1.key"
}
ca ca
ca foreign
leaf server ca 2 serverAuth "DNS:localhost,IP:127.0.0.1"
leaf ausf ca 2 clientAuth "URI:urn:uuid:$U_AUSF,DNS:ausf-1.5gc.mnc001.mcc001.3gppnetwork.org"
leaf afa ca 2 clientAuth "URI:urn:uuid:$U_AFA,DNS:app-a.example.com"
leaf afb ca 2 clientAuth "URI:urn:uuid:$U_AFB,DNS:app-b.example.com"
leaf nef ca 2 clientAuth "URI:urn:uuid:$U_NEF"
leaf stranger ca 2 clientAuth "URI:urn:uuid:$U_STRANGER"
leaf alien foreign 2 clientAuth "URI:urn:uuid:$U_AFA"
leaf expired ca -1 clientAuth "URI:urn:uuid:$U_AFA"
leaf serveronly ca 2 serverAuth "URI:urn:uuid:$U_AFA"
# Not yet valid (from 2099): openssl ca sets the start date x509 -req cannot.
mkdir -p "$dir/cadb"
: > "$dir/cadb/index.txt"
echo 01 > "$dir/cadb/serial"
printf '[ca]\ndefault_ca = t\n[t]\ndatabase = %s\nserial = %s\nnew_certs_dir = %s\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
	"$dir/cadb/index.txt" "$dir/cadb/serial" "$dir/cadb" > "$dir/ca.cnf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=future \
	-keyout "$dir/future.key" -out "$dir/future.csr" 2> /dev/null
openssl ca -config "$dir/ca.cnf" -batch -notext -cert "$dir/ca.pem" -keyfile "$dir/ca.key" \
	-startdate 20990101000000Z -enddate 20991231000000Z -extfile "$dir/afa.ext" \
	-in "$dir/future.csr" -out "$dir/future.pem" 2> /dev/null

$TOKENS keys "$dir"
{
	echo "# the NRF's keys"
	echo "issuer = $U_NRF"
	echo "kid = nrf-ec"
	cat "$dir/nrf-ec.pub"
	echo "issuer = $U_NRF"
	echo "kid = nrf-rsa"
	cat "$dir/nrf-rsa.pub"
} > "$dir/nrf-keys.pem"

cat > "$dir/policy.conf" << EOF
[consumer ausf-1]
role = ausf
nf_instance_id = $U_AUSF
cert_dns = ausf-1.5gc.mnc001.mcc001.3gppnetwork.org
[consumer app-a]
role = af
nf_instance_id = $U_AFA
afs = af.example.com;ua=0100011301, af.example.com;ua=0100000007
supi_access = true
[consumer app-b]
role = af
nf_instance_id = $U_AFB
afs = app-b.example.com;ua=0100000007
[consumer nef-1]
role = nef
nf_instance_id = $U_NEF
afs = af.example.com;ua=0100000007
EOF
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/akmad.psk"
chmod 600 "$dir/akmad.psk"
cat > "$dir/akmad.conf" << EOF
[engine]
capacity = 10000
requests = 4096
[metrics]
listen = 127.0.0.1:$metport
front_end_listen =
[wire]
listen = udp:127.0.0.1:$wport
psk_file = akmad.psk
[sbi]
listen = 127.0.0.1:$hport
tls_cert = server.pem
tls_key = server.key
tls_client_ca = ca.pem
oauth2 = require
oauth2_keys = nrf-keys.pem
oauth2_issuers = $U_NRF
nf_instance_id = $U_AANF
policy = policy.conf
EOF

wait_log() { # FILE TEXT
	for _ in $(seq 1 200); do
		grep -q "$2" "$1" && return 0
		sleep 0.1
	done
	echo "never logged '$2':"
	cat "$1"
	return 1
}

"$AKMAD" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
pids+=($!)
wait_log "$dir/akmad.log" "listening on" || exit 1

# ---- requests --------------------------------------------------------------------------------------
# req PORT CERT TOKEN PATH BODY: a POST of BODY (a GET when it is empty);
# status in $dir/status ("000" when the handshake failed), body, headers.
req() {
	local port=$1 cert=$2 token=$3 path=$4 body=$5 c=() a=() d=()
	printf '%s' "$body" > "$dir/req.json"
	[ -n "$body" ] && d=(-H 'content-type: application/json' --data-binary @"$dir/req.json")
	[ "$cert" != - ] && c=(--cert "$dir/$cert.pem" --key "$dir/$cert.key")
	[ "$token" != - ] && a=(-H "authorization: $token")
	: > "$dir/body"
	: > "$dir/headers"
	curl -s --http2 --cacert "$dir/ca.pem" "${c[@]}" "${a[@]}" "${d[@]}" \
		-D "$dir/headers" -o "$dir/body" -w '%{http_code}' \
		"https://127.0.0.1:$port$path" > "$dir/status" 2> /dev/null
}
API=/naanf-akma/v1
# tok KIND SUB [SCOPE [EXTRA_CLAIMS]]: "Bearer <token>"
tok() {
	local scope=${3:-naanf-akma} extra=${4:-}
	echo "Bearer $($TOKENS token "$dir" "$1" "{\"iss\":\"$U_NRF\",\"sub\":\"$2\",\"aud\":\"AANF\",\"scope\":\"$scope\",\"exp\":\"+3600\"$extra}")"
}
# expect NAME STATUS [SCHEMA [WWW-AUTHENTICATE-REGEX]]
expect() {
	local name=$1 want=$2 schema=${3:-} www=${4:-}
	check "$name: $want" bash -c "
		[ \"\$(cat $dir/status)\" = '$want' ] || { echo status \$(cat $dir/status); cat $dir/body; exit 1; }
		[ -z '$schema' ] || $VALIDATE '$schema' '$dir/body' || exit 1
		[ -z '$www' ] || grep -iqE '^www-authenticate: $www' '$dir/headers' || { cat $dir/headers; exit 1; }"
}

KAKMA=3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c
KAF_1301=d2f4c57447f8d4a69ec1396d444f56cd0abee457505e2f45a668966dd35e28b0 # vector 1, ua 0100011301
KAF_0007=e27de75ae4b1e959a63fff30fda112841ff674e590e40c86d76f41f1d34c97eb # vector 1, ua 0100000007
SUPI=imsi-001010123456789
AKID=12.trust@akma.example
T_AUSF=$(tok es256 $U_AUSF)
T_AUSF_RS=$(tok rs256 $U_AUSF "naanf-akma naanf-akma:anchorkey")
T_AFA=$(tok es256 $U_AFA "naanf-akma naanf-akma:applicationkeyget:supi-access")
T_AFA_PLAIN=$(tok rs256 $U_AFA)
T_AFB=$(tok es256 $U_AFB)
T_NEF=$(tok es256 $U_NEF)

matrix() { # PORT LABEL
	local p=$1 l=$2
	# Handshakes refused: no certificate, a foreign CA, expired, not yet
	# valid, not for client use.
	for c in - alien expired future serveronly; do
		req $p $c "$T_AFA" $API/retrieve-applicationkey '{}'
		check "$l client certificate '$c': the handshake is refused" \
			bash -c "[ \"\$(cat $dir/status)\" = 000 ]"
	done
	req $p ausf - $API/register-anchorkey "{\"supi\":\"$SUPI\",\"aKId\":\"$AKID\",\"kAkma\":\"$KAKMA\"}"
	expect "$l no token" 401 "$PD" 'Bearer realm="naanf-akma"'
	check "$l ... the bare challenge carries no error" bash -c "! grep -iq '^www-authenticate:.*error=' '$dir/headers'"
	req $p ausf "Basic dXNlcjpwYXNz" $API/register-anchorkey '{}'
	expect "$l a malformed Authorization header" 400 "$PD" 'Bearer realm="naanf-akma", error="invalid_request"'
	local bad
	for bad in "es256 $U_AUSF naanf-akma ,\"exp\":\"-60\"::expired" \
		"es256 $U_AUSF naanf-akma ,\"nbf\":\"+600\"::not yet valid" \
		"es256 $U_AUSF naanf-akma ,\"aud\":\"UDM\"::another audience" \
		"es256 $U_AUSF naanf-akma ,\"iss\":\"$U_STRANGER\"::an unknown issuer" \
		"rogue $U_AUSF naanf-akma ::a signature of another key" \
		"none $U_AUSF naanf-akma ::alg none" \
		"hs256-pem $U_AUSF naanf-akma ::HS256 keyed with the RSA public key (key confusion)" \
		"es256 $U_AFA naanf-akma ::sub is another NF than the certificate" \
		"es256 $U_AUSF udm ::no naanf-akma scope"; do
		local spec=${bad%%::*} what=${bad##*::}
		set -- $spec
		req $p ausf "$(tok "$1" "$2" "$3" "${4:-}")" $API/register-anchorkey \
			"{\"supi\":\"$SUPI\",\"aKId\":\"$AKID\",\"kAkma\":\"$KAKMA\"}"
		expect "$l token: $what" 401 "$PD" 'Bearer realm="naanf-akma", error="invalid_token"'
	done
	# The AUSF registers, replaces, removes.
	req $p ausf "$T_AUSF" $API/register-anchorkey "{\"supi\":\"$SUPI\",\"aKId\":\"old.$AKID\",\"kAkma\":\"$KAKMA\"}"
	expect "$l AUSF register-anchorkey (ES256 token)" 200 "$KEYINFO"
	req $p ausf "$T_AUSF_RS" $API/register-anchorkey "{\"supi\":\"$SUPI\",\"aKId\":\"$AKID\",\"kAkma\":\"$KAKMA\"}"
	expect "$l AUSF replaces it (RS256 token, naanf-akma:anchorkey)" 200 "$KEYINFO"
	# AFs may not write.
	req $p afa "$T_AFA" $API/register-anchorkey "{\"supi\":\"$SUPI\",\"aKId\":\"x.$AKID\",\"kAkma\":\"$KAKMA\"}"
	expect "$l an AF's token on register-anchorkey" 403 "$PD"
	check "$l ... refused for its role, not for a scope" bash -c "! grep -iq '^www-authenticate' '$dir/headers'"
	req $p afa "$T_AFA" $API/remove-context "{\"supi\":\"$SUPI\"}"
	expect "$l an AF's token on remove-context" 403 "$PD"
	# AF-A: its own names only; a bare FQDN takes the policy's first Ua* id.
	req $p afa "$T_AFA" $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l AF-A, bare af.example.com" 200 "$AFKEY"
	check "$l ... the K_AF of ua=0100011301 (the policy's first), with the supi (supi-access)" \
		bash -c "grep -q '\"kaf\":\"$KAF_1301\"' '$dir/body' && grep -q '\"supi\":\"$SUPI\"' '$dir/body'"
	req $p afa "$T_AFA_PLAIN" $API/retrieve-applicationkey "{\"afId\":\"af.example.com;ua=0100000007\",\"aKId\":\"$AKID\"}"
	expect "$l AF-A, explicit ua=0100000007 (one of its own)" 200 "$AFKEY"
	check "$l ... that K_AF; without supi-access no supi" \
		bash -c "grep -q '\"kaf\":\"$KAF_0007\"' '$dir/body' && ! grep -q supi '$dir/body'"
	req $p afa "$T_AFA" $API/retrieve-applicationkey "{\"afId\":\"af.example.com;ua=0100000002\",\"aKId\":\"$AKID\"}"
	expect "$l AF-A, a Ua* id not its own" 403 "$PD"
	req $p afa "$T_AFA" $API/retrieve-applicationkey "{\"afId\":\"app-b.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l AF-A asking for AF-B's afId" 403 "$PD"
	check "$l ... a policy refusal, no kaf, not insufficient_scope" \
		bash -c "! grep -q kaf '$dir/body' && ! grep -iq '^www-authenticate' '$dir/headers'"
	req $p afa "$(tok es256 $U_AFA "naanf-akma naanf-akma:anchorkey")" $API/retrieve-applicationkey \
		"{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l a token with another operation's scope" 403 "$PD" 'Bearer realm="naanf-akma", error="insufficient_scope"'
	req $p afa "$(tok es256 $U_AFA "naanf-akma naanf-akma:applicationkeyget")" $API/retrieve-applicationkey \
		"{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l a token with this operation's scope" 200 "$AFKEY"
	req $p stranger "$(tok es256 $U_STRANGER)" $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l a consumer not in the policy" 403 "$PD"
	req $p afb "$T_AFB" $API/retrieve-applicationkey "{\"afId\":\"app-b.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l AF-B, its own name" 200 "$AFKEY"
	# One connection, the token changing under it: a connection remembers
	# the last header that passed, whole, never a part of it.
	local one=(--http2 --cacert "$dir/ca.pem" --cert "$dir/afa.pem" --key "$dir/afa.key"
		-H 'content-type: application/json' -o /dev/null -w '%{http_code}/%{num_connects} '
		--data-binary "{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
		"https://127.0.0.1:$p$API/retrieve-applicationkey")
	# A token repeated octet for octet is taken from the connection's memo
	# (drivers/sbi/authz_memo.c), never one of the same length that differs.
	local same_len=${T_AFA:0:40}$([ "${T_AFA:40:1}" = A ] && echo B || echo A)${T_AFA:41}
	curl -s "${one[@]}" -H "authorization: $T_AFA" --next "${one[@]}" -H "authorization: $T_AFB" \
		--next "${one[@]}" -H "authorization: $T_AFA" --next "${one[@]}" -H "authorization: ${T_AFA}x" \
		--next "${one[@]}" -H "authorization: $T_AFA" --next "${one[@]}" -H "authorization: $T_AFA" \
		--next "${one[@]}" -H "authorization: $same_len" --next "${one[@]}" -H "authorization: $T_AFA" \
		> "$dir/status" 2> /dev/null
	check "$l one connection: AF-A's token, AF-B's, AF-A's, AF-A's altered, AF-A's twice, altered in place, AF-A's: one handshake" \
		bash -c "[ \"\$(cat $dir/status)\" = '200/1 401/0 200/0 401/0 200/0 200/0 401/0 200/0 ' ] || { cat $dir/status; exit 1; }"
	# The NEF: the GPSI, never the SUPI.
	req $p nef "$T_NEF" $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l the NEF, a SUPI-registered context" 200 "$AFKEY"
	check "$l ... no supi" bash -c "! grep -q supi '$dir/body' && grep -q '\"kaf\":\"$KAF_0007\"' '$dir/body'"
	req $p nef "$T_NEF" $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\",\"anonInd\":true}"
	expect "$l the NEF, anonInd" 200 "$AFKEY"
	check "$l ... neither identity" bash -c "! grep -qE 'supi|gpsi' '$dir/body'"
	# The AUSF sends the SUPI and the GPSI together: the NEF gets the GPSI.
	req $p ausf "$T_AUSF" $API/register-anchorkey "{\"supi\":\"$SUPI\",\"gpsi\":\"msisdn-31612345678\",\"aKId\":\"$AKID\",\"kAkma\":\"$KAKMA\"}"
	expect "$l AUSF registers supi and gpsi together" 200 "$KEYINFO"
	check "$l ... answered with the supi alone (AkmaKeyInfo is a oneOf)" \
		bash -c "grep -q '\"supi\":\"$SUPI\"' '$dir/body' && ! grep -q gpsi '$dir/body'"
	req $p nef "$T_NEF" $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
	expect "$l the NEF, a context with a GPSI" 200 "$AFKEY"
	check "$l ... the gpsi, never the supi" \
		bash -c "grep -q '\"gpsi\":\"msisdn-31612345678\"' '$dir/body' && ! grep -q supi '$dir/body'"
	req $p afa "$T_AFA" $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"$AKID\"}"
	check "$l ... AF-A with supi-access: the supi" \
		bash -c "grep -q '\"supi\":\"$SUPI\"' '$dir/body' && ! grep -q gpsi '$dir/body'"
	req $p ausf "$T_AUSF" $API/remove-context "{\"supi\":\"$SUPI\"}"
	expect "$l AUSF remove-context" 204
	req $p ausf - /metrics ''
	expect "$l /metrics without a token" 401 "$PD" 'Bearer realm="naanf-akma"'
}
matrix $hport "akmad:"
curl -s "http://127.0.0.1:$metport/metrics" > "$dir/metrics"
check "akmad: refusals counted by cause on the metrics listener" bash -c "
	grep -q '^akmad_sbi_refusals_total{cause=\"af_not_authorized\"} [1-9]' '$dir/metrics' &&
	grep -q '^akmad_sbi_refusals_total{cause=\"invalid_token\"} [1-9]' '$dir/metrics' &&
	grep -q '^akmad_sbi_refusals_total{cause=\"role\"} [1-9]' '$dir/metrics' &&
	grep -q '^akmad_sbi_refusals_total{cause=\"scope\"} [1-9]' '$dir/metrics'"
check "akmad: a token repeated on a connection is taken from its memo" \
	grep -q '^akmad_sbi_authz_reused_total [1-9]' "$dir/metrics"
check "akmad: an AF refused for an afId is logged, by name, with no key" bash -c "
	grep -q \"consumer 'app-a' asked for the K_AF of AF 'app-b.example.com'\" '$dir/akmad.log' &&
	! grep -qi '$KAKMA' '$dir/akmad.log' && ! grep -q '$KAF_0007' '$dir/akmad.log'"

# ---- the same through akma-sbi ----------------------------------------------------------------------
sed "s/^listen = 127.0.0.1:$hport/listen = 127.0.0.1:$fport/" "$dir/akmad.conf" > "$dir/fe.conf"
"$AKMA_SBI" --config "$dir/fe.conf" > "$dir/fe.log" 2>&1 &
pids+=($!)
wait_log "$dir/fe.log" serving || exit 1
check "akma-sbi: says it checks mTLS and OAuth2" grep -q "(mTLS, OAuth2)" "$dir/fe.log"
matrix $fport "akma-sbi:"

# ---- a policy that cannot be read: start refused; a reload keeps the old -------------------------------
cp "$dir/policy.conf" "$dir/good-policy.conf"
printf '[consumer x]\nrole = af\nnf_instance_id = %s\ncolour = blue\n' $U_STRANGER > "$dir/policy.conf"
"$AKMA_SBI" --config "$dir/fe.conf" --sbi-listen 127.0.0.1:$xport > "$dir/out" 2>&1
check "a policy with an unknown key stops start-up, naming file, line and key" \
	bash -c "[ $? -eq 1 ] && grep -q 'policy.conf:4: unknown key .colour.' '$dir/out'"
kill -HUP "${pids[1]}"
wait_log "$dir/fe.log" "SIGHUP: .*policy.conf:4" > /dev/null
check "SIGHUP with a bad policy: refused and logged, the old one kept" \
	grep -q "policy.conf:4: unknown key 'colour'" "$dir/fe.log"
req $fport afa "$T_AFA" $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"none.$AKID\"}"
expect "akma-sbi: ... and AF-A is still authorized (an unknown A-KID: 204)" 204
cp "$dir/good-policy.conf" "$dir/policy.conf"

# ---- mutual TLS alone: consumers by certificate, supi_access from the policy -----------------------------
sed -e "s/^listen = 127.0.0.1:$hport/listen = 127.0.0.1:$mport/" -e '/^oauth2/d' "$dir/akmad.conf" > "$dir/mtls.conf"
"$AKMA_SBI" --config "$dir/mtls.conf" > "$dir/mtls.log" 2>&1 &
pids+=($!)
wait_log "$dir/mtls.log" serving || exit 1
req $mport ausf - $API/register-anchorkey "{\"supi\":\"$SUPI\",\"aKId\":\"m.$AKID\",\"kAkma\":\"$KAKMA\"}"
expect "mTLS alone: the AUSF's certificate registers" 200 "$KEYINFO"
req $mport afa - $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"m.$AKID\"}"
expect "mTLS alone: AF-A" 200 "$AFKEY"
check "... its K_AF, and the supi (supi_access = true)" \
	bash -c "grep -q '\"kaf\":\"$KAF_1301\"' '$dir/body' && grep -q '\"supi\":\"$SUPI\"' '$dir/body'"
req $mport afb - $API/retrieve-applicationkey "{\"afId\":\"app-b.example.com\",\"aKId\":\"m.$AKID\"}"
expect "mTLS alone: AF-B" 200 "$AFKEY"
check "... no supi (supi_access false)" bash -c "! grep -q supi '$dir/body'"
req $mport afb - $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"m.$AKID\"}"
expect "mTLS alone: AF-B asking for AF-A's afId" 403 "$PD"
req $mport stranger - $API/retrieve-applicationkey "{\"afId\":\"af.example.com\",\"aKId\":\"m.$AKID\"}"
expect "mTLS alone: a certificate of no consumer" 403 "$PD"

# ---- safe by default --------------------------------------------------------------------------------
printf '[metrics]\nlisten =\nfront_end_listen =\n[wire]\nlisten = udp:127.0.0.1:%s\npsk_file = akmad.psk\n[sbi]\nlisten = 0.0.0.0:%s\n' \
	$(free_port) $xport > "$dir/open.conf"
"$AKMAD" --config "$dir/open.conf" > "$dir/out" 2>&1
check "akmad: a non-loopback SBI without mTLS or OAuth2 refuses to start" \
	bash -c "[ $? -eq 1 ] && grep -q 'not a loopback address and neither sbi.tls_client_ca nor sbi.oauth2' '$dir/out'"
"$AKMA_SBI" --config "$dir/open.conf" > "$dir/out" 2>&1
check "akma-sbi: the same" \
	bash -c "[ $? -eq 1 ] && grep -q 'not a loopback address' '$dir/out'"
sed -e '/^policy/d' "$dir/akmad.conf" > "$dir/nopolicy.conf"
"$AKMA_SBI" --config "$dir/nopolicy.conf" --sbi-listen 127.0.0.1:$xport > "$dir/out" 2>&1
check "authentication without a policy refuses to start" \
	bash -c "[ $? -eq 1 ] && grep -q 'sbi.policy is empty' '$dir/out'"

for p in "${pids[@]}"; do kill -TERM "$p"; done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
pids=()
check "SIGTERM: every daemon exits 0" test "$rc" = 0
check_done
