#!/bin/bash
# akmad in the NRF (issue 15), against tests/nrf_server.py, a small NRF that
# validates every body it receives against TS29510_Nnrf_NFManagement.yaml:
#   1. the primary registers; its profile validates; discovery by each of
#      its RIDs returns it, another RID does not; heartbeats at the
#      interval the NRF answered
#   2. its Redis frozen: nfStatus SUSPENDED, out of discovery; thawed:
#      REGISTERED again
#   3. a restarted NRF (profiles lost): the heartbeat's 404 brings a
#      registration
#   4. a standby sends nothing; kill -9 of the primary: the promoted standby
#      registers its own endpoints; SIGTERM deregisters it
#   5. bad NRFs (none listening, garbage, 500, no answer) leave akmad
#      serving, each state change logged once; a good one is then
#      registered with
#   6. https: the NRF's certificate verified, akmad's own presented
# Services on free ports, stopped at exit.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
AKMAD=$build/drivers/programs/akmad
AKMACTL=$build/drivers/programs/akmactl
NRF="/usr/bin/python3 $src/tests/nrf_server.py --spec $src/tests/openapi"
. "$src/tests/check.sh"
scratch nrf
cd "$dir"
new_key psk
new_key kek
ID=4b1d7a3c-5e2f-4c6a-8b9d-0e1f2a3b4c5d

base=$(free_port 13)
R=$base N=$((base + 1))
P_WIRE=$((base + 2)) P_SBI=$((base + 3)) P_MET=$((base + 4))
S_WIRE=$((base + 5)) S_SBI=$((base + 6)) S_MET=$((base + 7))
Q_WIRE=$((base + 8)) Q_SBI=$((base + 9)) Q_MET=$((base + 10)) T=$((base + 11)) T_SBI=$((base + 12))
private_redis $R || exit 1
redis_pid=${pids[-1]}

nrf_pid=
nrf_start() { # MODE LOG [nrf_server options]: an NRF on $N, started afresh
	nrf_stop
	local mode=$1 log=$2
	shift 2
	$NRF --port $N --log "$log" --heartbeat 1 --mode "$mode" "$@" > "nrf-$mode.out" 2>&1 &
	nrf_pid=$!
	pids+=($nrf_pid)
	for _ in $(seq 1 100); do
		grep -q "nrf listening" "nrf-$mode.out" && return 0
		sleep 0.1
	done
	cat "nrf-$mode.out"
	return 1
}
nrf_stop() {
	[ -n "$nrf_pid" ] || return 0
	kill "$nrf_pid" 2> /dev/null
	wait "$nrf_pid" 2> /dev/null
	nrf_pid=
}
nrf_get() { # PATH: the NRF's answer
	curl -s --http2-prior-knowledge "http://127.0.0.1:$N$1"
}
discover() { # RID: the NF instance IDs discovery returns
	nrf_get "/nnrf-disc/v1/nf-instances?target-nf-type=AANF&requester-nf-type=AUSF&routing-indicator=$1" |
		/usr/bin/python3 -c 'import json,sys; print(" ".join(p["nfInstanceId"] for p in json.load(sys.stdin)["nfInstances"]))'
}
stored() { # FIELD: a field of the stored profile (port: its first endpoint's port)
	nrf_get /test/profiles | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin).get(sys.argv[1])
f = sys.argv[2]
print("" if p is None else p["nfServiceList"]["naanf-akma"]["ipEndPoints"][0]["port"] if f == "port" else p.get(f))' $ID "$1"
}
count() { # METHOD LOG: requests of METHOD the NRF logged
	grep -c "\"method\": \"$1\"" "$2" 2> /dev/null || true
}
wait_for() { # SECONDS COMMAND...: until COMMAND succeeds
	local n=$(($1 * 10))
	shift
	for _ in $(seq 1 $n); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
metric() { # PORT NAME: a series' value on akmad's /metrics
	curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n {print $2}'
}

# akmad NAME WIRE SBI METRICS NRF-URI [options]: returns once it listens or follows.
akmad() {
	local name=$1
	cat > "$name.conf" <<-EOF
	[engine]
	capacity = 10000
	requests = 8192
	routing_indicators = 0001,0100-0102
	[wire]
	listen = udp:127.0.0.1:$2
	psk_file = psk
	[sbi]
	listen = 127.0.0.1:$3
	nf_instance_id = $ID
	[redis]
	address = 127.0.0.1:$R
	timeout = 500
	[replication]
	mode = sync
	kek_file = kek
	lease = 3000
	[nrf]
	uri = $5
	heartbeat = 7
	retry_max = 2
	[metrics]
	listen = ${4:+127.0.0.1:$4}
	front_end_listen =
	EOF
	shift 5
	launch_akmad "$name" "$name.conf" "$@"
}
serves() { # WIRE: akmad on this port registers and reads a subscriber
	"$AKMACTL" register --server udp:127.0.0.1:$1 --psk-file psk --supi imsi-001010000000042 \
		--akid 0001.check@akma.example --kakma "$(printf '%064d' 42)" &&
		"$AKMACTL" get --server udp:127.0.0.1:$1 --psk-file psk --akid 0001.check@akma.example \
			--af-id 'af.example.com;ua=0100000007'
}
invalid_bodies() { # LOG...: every body the NRF received was valid
	! grep -h '"valid": false' "$@"
}
# The checks run their conditions in bash -c: the helpers go with them.
export N ID AKMACTL
export -f nrf_get discover stored count metric serves

# ---- 1. registration, discovery, heartbeats ---------------------------------------------
nrf_start normal nrf1.log || exit 1
akmad p $P_WIRE $P_SBI $P_MET http://127.0.0.1:$N || exit 1
check "the primary registers (PUT answered 201)" wait_for 10 grep -q '"method": "PUT".*"status": 201' nrf1.log
check "its profile validated against TS29510_Nnrf_NFManagement.yaml" invalid_bodies nrf1.log
nrf_get /test/profiles > profile.json
check "the profile: AANF, REGISTERED, naanf-akma v1 on its SBI, for AUSF, AF and NEF, its RIDs" \
	/usr/bin/python3 -c '
import json, sys
p = json.load(open("profile.json"))[sys.argv[1]]
s = p["nfServiceList"]["naanf-akma"]
assert p["nfType"] == "AANF" and p["nfStatus"] == "REGISTERED", p
assert s["serviceName"] == "naanf-akma" and s["versions"][0]["apiVersionInUri"] == "v1", s
assert s["scheme"] == "http" and s["ipEndPoints"] == [{"ipv4Address": "127.0.0.1", "transport": "TCP", "port": int(sys.argv[2])}], s
assert sorted(s["allowedNfTypes"]) == ["AF", "AUSF", "NEF"], s
assert p["aanfInfoList"]["1"]["routingIndicators"] == ["0001", "0100", "0101", "0102"], p
assert p["ipv4Addresses"] == ["127.0.0.1"], p
' $ID $P_SBI
for rid in 0001 0100 0101 0102; do
	check "discovery by RID $rid returns it" bash -c "[ \"\$(discover $rid)\" = $ID ]"
done
for rid in 0002 1 0103; do
	check "discovery by RID $rid does not" bash -c "[ -z \"\$(discover $rid)\" ]"
done
check "heartbeats arrive (PATCH 204), at the 1 s the NRF answered rather than the 7 s proposed" \
	wait_for 10 bash -c "[ \$(grep -c '\"method\": \"PATCH\".*\"status\": 204' nrf1.log) -ge 3 ]"
check "... /metrics says registered, every 1 s" bash -c "
	[ \"\$(metric $P_MET 'akmad_nrf_state{state=\"registered\"}')\" = 1 ] &&
	[ \"\$(metric $P_MET akmad_nrf_heartbeat_seconds)\" = 1 ] &&
	[ \"\$(metric $P_MET akmad_nrf_registrations_total)\" = 1 ]"

# ---- 2. SUSPENDED while it cannot serve -----------------------------------------------------
kill -STOP "$redis_pid"
check "Redis frozen: the profile turns SUSPENDED" wait_for 10 bash -c "[ \"\$(stored nfStatus)\" = SUSPENDED ]"
check "... and leaves discovery" bash -c "[ -z \"\$(discover 0001)\" ]"
kill -CONT "$redis_pid"
check "Redis back: REGISTERED again, and discovered" \
	wait_for 15 bash -c "[ \"\$(stored nfStatus)\" = REGISTERED ] && [ \"\$(discover 0001)\" = $ID ]"

# ---- 3. a restarted NRF ----------------------------------------------------------------------
nrf_start normal nrf2.log || exit 1
check "a restarted NRF (its profiles lost): the heartbeat's 404 brings a registration" \
	wait_for 10 bash -c "grep -q '\"method\": \"PATCH\".*\"status\": 404' nrf2.log && grep -q '\"method\": \"PUT\".*\"status\": 201' nrf2.log"
check "... discovered again" bash -c "[ \"\$(discover 0100)\" = $ID ]"
check "... logged as a change of state" grep -q "heartbeat answered 404: registering again" p.log

# ---- 4. standby, takeover, deregistration ----------------------------------------------------
akmad s $S_WIRE $S_SBI $S_MET http://127.0.0.1:$N --standby || exit 1
puts=$(count PUT nrf2.log)
sleep 3 # three heartbeat periods: a standby that spoke would have by now
check "a standby sends nothing: the profile stays the primary's" \
	bash -c "[ \$(count PUT nrf2.log) = $puts ] && [ \"\$(stored port)\" = $P_SBI ] && [ \"\$(metric $S_MET 'akmad_nrf_state{state=\"standby\"}')\" = 1 ]"
kill -9 $pid_p
check "kill -9 of the primary: the promoted standby registers its own endpoint" \
	wait_for 20 bash -c "[ \"\$(stored port)\" = $S_SBI ] && [ \"\$(stored nfStatus)\" = REGISTERED ]"
check "... and serves" serves $S_WIRE
kill -TERM $pid_s
wait $pid_s 2> /dev/null
check "SIGTERM deregisters it (DELETE 204): nothing left to discover" \
	bash -c "grep -q '\"method\": \"DELETE\".*\"status\": 204' nrf2.log && [ -z \"\$(discover 0001)\" ] && grep -q 'deregistered' s.log"
check "every body validated" invalid_bodies nrf1.log nrf2.log

# ---- 5. bad NRFs ---------------------------------------------------------------------------
nrf_stop
akmad q $Q_WIRE $Q_SBI $Q_MET http://127.0.0.1:$N --set replication.mode=off || exit 1
check "no NRF listening: akmad serves" serves $Q_WIRE
check "... and says unreachable" wait_for 10 bash -c "[ \"\$(metric $Q_MET 'akmad_nrf_state{state=\"unreachable\"}')\" = 1 ]"
check "... retrying with a backoff, logged once however often it fails" bash -c "
	for _ in \$(seq 1 100); do [ \$(metric $Q_MET akmad_nrf_failures_total) -ge 3 ] && break; sleep 0.1; done
	[ \$(metric $Q_MET akmad_nrf_failures_total) -ge 3 ] && [ \$(grep -c -- '-> unreachable' q.log) = 1 ]"
for mode in garbage 500 slow; do
	before=$(metric $Q_MET akmad_nrf_failures_total)
	nrf_start $mode nrf-$mode.log || exit 1
	check "an NRF answering $mode: failures counted" \
		wait_for 15 bash -c "[ \$(metric $Q_MET akmad_nrf_failures_total) -gt $before ]"
	check "... akmad serves" serves $Q_WIRE
done
check "... the 500 named in the log" grep -q "refused: PUT answered 500" q.log
nrf_start close nrf-close.log || exit 1
check "an NRF that closes every connection after its answer: registered" \
	wait_for 15 bash -c "grep -q '\"method\": \"PUT\".*\"status\": 201' nrf-close.log"
before=$(metric $Q_MET akmad_nrf_failures_total)
check "... heartbeats go on over new connections, none counted as a failure" \
	bash -c "for _ in \$(seq 1 80); do [ \$(grep -c '\"method\": \"PATCH\".*\"status\": 204' nrf-close.log) -ge 3 ] && break; sleep 0.1; done
	[ \$(grep -c '\"method\": \"PATCH\".*\"status\": 204' nrf-close.log) -ge 3 ] && [ \$(metric $Q_MET akmad_nrf_failures_total) = $before ] &&
	[ \"\$(metric $Q_MET 'akmad_nrf_state{state=\"registered\"}')\" = 1 ]"
nrf_start normal nrf3.log || exit 1
check "a good NRF again: registered within the backoff" \
	wait_for 15 bash -c "[ \"\$(stored nfStatus)\" = REGISTERED ] && [ \"\$(metric $Q_MET 'akmad_nrf_state{state=\"registered\"}')\" = 1 ]"
kill -TERM $pid_q
wait $pid_q 2> /dev/null
check "... and deregistered at SIGTERM" grep -q '"method": "DELETE".*"status": 204' nrf3.log

# ---- 6. https --------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ca \
	-keyout ca.key -out ca.pem 2> /dev/null
leaf() { # NAME EKU SAN
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$1.key" -out "$1.csr" 2> /dev/null
	printf 'subjectAltName=%s\nextendedKeyUsage=%s\nkeyUsage=digitalSignature\nbasicConstraints=CA:FALSE\n' \
		"$3" "$2" > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile "$1.ext" -out "$1.pem" 2> /dev/null
	chmod 600 "$1.key"
}
leaf nrf serverAuth "IP:127.0.0.1"
leaf aanf clientAuth "URI:urn:uuid:$ID"
nrf_start normal nrf4.log --tls nrf.pem nrf.key --client-ca ca.pem || exit 1
akmad t $T $T_SBI "" https://127.0.0.1:$N --set replication.mode=off \
	--set nrf.tls_ca=ca.pem --set nrf.tls_cert=aanf.pem --set nrf.tls_key=aanf.key \
	--set engine.routing_indicators=0000-4999 || exit 1
check "https: registered over TLS, the NRF's certificate verified, akmad's own presented" \
	wait_for 10 grep -q '"method": "PUT".*"status": 201' nrf4.log
check "... a profile of 5000 RIDs (40 kB, several HTTP/2 frames) taken whole" /usr/bin/python3 -c '
import json, sys
for line in open("nrf4.log"):
    d = json.loads(line)
    if d["method"] == "PUT" and d["status"] == 201:
        rids = d["body"]["aanfInfoList"]["1"]["routingIndicators"]
        assert len(rids) == 5000 and rids[0] == "0000" and rids[-1] == "4999", len(rids)
        sys.exit(0)
sys.exit(1)'
kill -TERM $pid_t
wait $pid_t 2> /dev/null
leaf stranger serverAuth "IP:127.0.0.2" # not 127.0.0.1
nrf_start normal nrf5.log --tls stranger.pem stranger.key --client-ca ca.pem || exit 1
akmad u $T $T_SBI "" https://127.0.0.1:$N --set replication.mode=off \
	--set nrf.tls_ca=ca.pem --set nrf.tls_cert=aanf.pem --set nrf.tls_key=aanf.key || exit 1
check "https: an NRF whose certificate names another host is refused, akmad serving" \
	wait_for 10 bash -c "grep -q 'TLS handshake' u.log && ! grep -q PUT nrf5.log && serves $T"

check_done
