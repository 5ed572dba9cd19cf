#!/usr/bin/env bash
# akmad end to end, started here on private ports with its own PSK and
# configuration, stopped at the end: register -> get (K_AF equals the local
# derivation) -> re-register the SUPI with a new A-KID -> the old A-KID is
# gone, the new one works -> remove -> not found; K_AKMA expiry and the K_AF
# expiry value; a barrage of garbage, truncated, wrong-version and
# wrong-PSK datagrams leaves it serving with every context intact; start-up
# refusals (open PSK file, bad key, bad value); telemetry through DPDK's
# dpdk-telemetry.py; SIGTERM stops it cleanly and leaves no runtime files.
set -u
BUILD=${1:?usage: integration_daemon.sh BUILD_DIR}
AKMAD=$BUILD/drivers/programs/akmad
CTL=$BUILD/drivers/programs/akmactl
passed=0
failed=0
dir=$(mktemp -d /tmp/akmad-it-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
. "$(dirname "$0")/check.sh" # for free_port; its check() is replaced below
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
# check NAME EXPR (a string, eval'd, where $? is the caller's last status)
# or check NAME COMMAND ARGS... (run as is).
check() {
	local last=$? name=$1
	shift
	if [ $# -gt 1 ]; then
		"$@"
	else
		(exit $last)
		eval "$1"
	fi && ok || bad "$name"
}

port=$(free_port 2) # port, port + 1
(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/akmad.psk")
cat > "$dir/akmad.conf" <<CONF
[engine]
capacity = 10000
kakma_lifetime = 0
kaf_lifetime = 600
[metrics]
listen =
front_end_listen =
[wire]
listen = udp:127.0.0.1:$port,udp:[::1]:$port,unix:$dir/akmad.sock
psk_file = akmad.psk
[sbi]
listen =
CONF
cat > "$dir/expiring.conf" <<CONF
[engine]
capacity = 1000
kakma_lifetime = 1
ring_size = 64
[metrics]
listen =
front_end_listen =
[wire]
listen = udp:127.0.0.1:$((port + 1))
psk_file = akmad.psk
[sbi]
listen =
CONF

start() { # config
	"$AKMAD" --config "$1" > "$dir/akmad.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		"$CTL" stats --config "$1" --timeout 0.2 > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "akmad did not start:" >&2; cat "$dir/akmad.log" >&2
	return 1
}
stop() {
	set -- "$pid"
	kill -TERM "$pid"
	local t0=$SECONDS
	wait "$pid"
	local rc=$?
	pid=
	check "SIGTERM exits 0 (got $rc)" "[ $rc -eq 0 ]"
	check "SIGTERM stops within 5 s" "[ $((SECONDS - t0)) -le 5 ]"
	check "no DPDK runtime directory left behind" "[ ! -e /var/run/dpdk/akmad-$1 ] && [ ! -e \${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/akmad-$1 ]"
}

C=(--config "$dir/akmad.conf")
KA1=3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c
KA2=0bb3911ee581cef60115d54994bda163c3767644dacdf10934149597449f3d51
AF=(--af-fqdn af.example.com --ua-id 0100000007)

# The log: one line an event with a UTC timestamp and a severity; with
# stderr the journal (JOURNAL_STREAM naming it), sd-daemon's <N> prefixes.
start "$dir/akmad.conf"
stop
check "log lines carry a UTC timestamp, the program and pid, and a severity" bash -c "
	grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z akmad\[[0-9]+\]: notice: .*listening on' '$dir/akmad.log' &&
	grep -E 'Z akmad\[[0-9]+\]: notice: .*stopping' '$dir/akmad.log'"
: > "$dir/journal.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$dir/journal.log") "$AKMAD" --config "$dir/akmad.conf" \
	>> "$dir/journal.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$dir/journal.log" && break; sleep 0.1; done
stop
check "stderr the journal: priority prefixes, notice <5>, and no timestamp of ours" bash -c "
	grep -q '^<5>akmad: version .*listening on' '$dir/journal.log' && ! grep -qE '^<5>[0-9]{4}-' '$dir/journal.log'"

# Start-up refusals.
chmod 644 "$dir/akmad.psk"
"$AKMAD" --config "$dir/akmad.conf" > "$dir/out" 2>&1
check "an open PSK file stops start-up" "[ $? -eq 1 ] && grep -q 'readable by its owner only' '$dir/out'"
chmod 600 "$dir/akmad.psk"
printf '[engine]\ncapacity = 1\n' > "$dir/bad.conf"
"$AKMAD" --config "$dir/bad.conf" > "$dir/out" 2>&1
check "a value out of range names file, line and key" "[ $? -eq 1 ] && grep -q 'bad.conf:2: key .engine.capacity.' '$dir/out'"
printf '[engine]\ncapacty = 100\n' > "$dir/bad.conf"
"$AKMAD" --config "$dir/bad.conf" > "$dir/out" 2>&1
check "an unknown key names the line" "[ $? -eq 1 ] && grep -q \"bad.conf:2: unknown key 'engine.capacty'\" '$dir/out'"
# A failure after EAL started (one lcore: no worker) still unwinds: exit 1,
# the reason printed, EAL's runtime directory (named by this test's own
# prefix) removed.
prefix=akmad-it-$$
"$AKMAD" -l 0 --no-huge --no-pci --no-shconf -m 256 --file-prefix=$prefix \
	--log-level=lib.eal:error -- --config "$dir/akmad.conf" > "$dir/out" 2>&1
check "a failure after EAL start exits 1 and says why" "[ $? -eq 1 ] && grep -q 'at least two lcores' '$dir/out'"
check "... and leaves no DPDK runtime directory" "[ ! -e /var/run/dpdk/$prefix ] && [ ! -e \${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$prefix ] && [ ! -e /tmp/dpdk/$prefix ]"

start "$dir/akmad.conf" || exit 1

"$CTL" register "${C[@]}" --supi imsi-001010123456789 --akid 1.old@akma.example --kakma $KA1
check "register" "[ $? -eq 0 ]"
want=$("$CTL" derive kaf --kakma $KA1 "${AF[@]}")
got=$("$CTL" get "${C[@]}" --akid 1.old@akma.example "${AF[@]}" | head -1)
check "K_AF from akmad equals the local derivation" "[ '$got' = '$want' ] && [ -n '$want' ]"
json=$("$CTL" get "${C[@]}" --akid 1.old@akma.example "${AF[@]}" --json)
now=$(date +%s)
exp=$(python3 -c 'import json,sys,datetime; d=json.loads(sys.argv[1]); print(int(datetime.datetime.strptime(d["expiry"],"%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())); assert d["supi"]=="imsi-001010123456789"' "$json")
check "K_AF expiry = registration + kaf_lifetime (600 s)" "[ $((exp - now)) -ge 595 ] && [ $((exp - now)) -le 601 ]"
exp_first=$exp

# A second later (the expiry has a second's resolution): it must not move
# with the retrieve.
t=$(date +%s)
while [ "$(date +%s)" = "$t" ]; do sleep 0.05; done
json=$("$CTL" get "${C[@]}" --akid 1.old@akma.example "${AF[@]}" --json)
exp=$(python3 -c 'import json,sys,datetime; d=json.loads(sys.argv[1]); print(int(datetime.datetime.strptime(d["expiry"],"%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' "$json")
check "a later retrieve of the same context: the same expiry" "[ $exp -eq $exp_first ]"

t_reg=$(date +%s)
"$CTL" register "${C[@]}" --supi 001010123456789 --akid 1.new@akma.example --kakma $KA2
check "re-register the SUPI (bare form) with a new A-KID" "[ $? -eq 0 ]"
"$CTL" get "${C[@]}" --akid 1.old@akma.example "${AF[@]}" > /dev/null 2>&1
check "the old A-KID is not found" "[ $? -eq 1 ]"
got=$("$CTL" get "${C[@]}" --akid 1.new@akma.example "${AF[@]}" | head -1)
want=$("$CTL" derive kaf --kakma $KA2 "${AF[@]}")
check "the new A-KID gives the new key's K_AF" "[ '$got' = '$want' ]"
"$CTL" register "${C[@]}" --supi imsi-001010000000002 --akid 1.new@akma.example --kakma $KA1 2> "$dir/out"
check "an A-KID of another SUPI is refused as bad aKId" "[ $? -eq 2 ] && grep -q aKId '$dir/out'"
for i in $(seq 1 20); do
	"$CTL" register "${C[@]}" --supi imsi-0010100000001$(printf %02d $i) --akid "k$i@akma.example" --kakma $KA1 || bad "register $i"
done

# Replays, and the 64-message limit: answered OVERLOAD past it, never silence.
PROBE=$BUILD/tests/wire_probe
out=$("$PROBE" "$dir/akmad.psk" 127.0.0.1 $port 1.new@akma.example 3 replay)
check "a genuine datagram is answered, its replay is not" "[ \"\$(echo '$out' | grep -c ' 0\$')\" = 3 ] && echo '$out' | grep -q 'replay: no answer'"
out=$("$PROBE" "$dir/akmad.psk" 127.0.0.1 $port 1.new@akma.example 70)
check "70 messages in one datagram: 64 answered, 6 OVERLOAD" "[ \"\$(echo '$out' | grep -c ' 0\$')\" = 64 ] && [ \"\$(echo '$out' | grep -c ' 4\$')\" = 6 ]"

# Malformed messages inside authentic datagrams: each answered with its
# status and field (id status field), the rest of the datagram still served.
# type 9, unknown:                        09 00 000c 0000000000000007
out=$("$PROBE" "$dir/akmad.psk" 127.0.0.1 $port raw 0900000c0000000000000007)
check "an unknown message type: UNSUPPORTED (6), field TYPE (5)" "echo '$out' | grep -q '^7 6 5\$'"
# GET_KAF with an A-KID length of 254 (fe), id 8:  02 00 0010 ..08 fe 000000
out=$("$PROBE" "$dir/akmad.psk" 127.0.0.1 $port raw 020000100000000000000008fe000000)
check "an oversized A-KID length: BAD_FIELD (2), field aKId (2)" "echo '$out' | grep -q '^8 2 2\$'"
# REMOVE whose UE identity length runs past the message, id 9
out=$("$PROBE" "$dir/akmad.psk" 127.0.0.1 $port raw 0300000f00000000000000090050aa)
check "a length past the message: BAD_FIELD (2), field length (7)" "echo '$out' | grep -q '^9 2 7\$'"
# a good GET_KAF after a header cut short: the good one is answered, id 10
good=$(python3 -c 'import sys; a=b"1.new@akma.example"; f=b"af.example.com\x01\x00\x00\x00\x07"; m=bytes([len(a)])+a+len(f).to_bytes(2,"big")+f; print((bytes([2,0])+(12+len(m)).to_bytes(2,"big")+(10).to_bytes(8,"big")+m).hex())')
out=$("$PROBE" "$dir/akmad.psk" 127.0.0.1 $port raw "${good}0200ff")
check "a good message before a cut-short one is still answered" "echo '$out' | grep -q '^10 0 0\$'"

# akmactl load: many registrations, 64 to a datagram.
"$CTL" load "${C[@]}" --contexts 2000 --first 500000 > "$dir/out"
check "akmactl load registers 2000 contexts" "[ $? -eq 0 ] && grep -q 'loaded 2000 contexts' '$dir/out'"
check "the store counts them" "[ \"\$(\"$CTL\" stats ${C[*]} --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"contexts\"])')\" = 2021 ]"
# akmactl load with nothing answering gives up after --timeout (exit 4),
# as get and stats do; it used to requeue forever.
t0=$SECONDS
timeout 30 "$CTL" load --server udp:127.0.0.1:9 --psk-file "$dir/akmad.psk" --contexts 100 \
	--timeout 1 > /dev/null 2>&1
rc=$?
check "akmactl load against nothing: exit 4 after --timeout (got $rc in $((SECONDS - t0)) s)" "[ $rc -eq 4 ]"

# Barrage: garbage, truncation, wrong magic, another version, wrong PSK.
python3 - "$port" <<'PY'
import os, socket, struct, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for n in list(range(0, 64)) + [100, 1000, 65000]:
    s.sendto(os.urandom(n), ("127.0.0.1", port))
now = int(time.time() * 1000)
hdr = b"AK\x02\x01" + os.urandom(8) + struct.pack(">IQQ", 1, now, 0)
for cut in range(0, 68):
    s.sendto((hdr + os.urandom(40))[:cut], ("127.0.0.1", port))
s.sendto(b"AK\x02\x00" + os.urandom(8) + struct.pack(">IQQ", 1, now, 0) + os.urandom(30), ("127.0.0.1", port))
# a plain (unencrypted) datagram with a valid STATS message: never on UDP
s.sendto(b"AK\x02\x00" + os.urandom(8) + struct.pack(">IQQ", 1, now, 0) + b"\x04\x00\x00\x0c" + b"\x00" * 8, ("127.0.0.1", port))
try:
    s.recvfrom(4096)
    print("plain datagram answered on UDP"); sys.exit(1)
except socket.timeout:
    pass
s.sendto(b"AK\x01\x01" + os.urandom(60), ("127.0.0.1", port))
data, _ = s.recvfrom(4096)   # the version error, as a plain response of version 2
assert data[:3] == b"AK\x02" and data[3] == 0x80 and data[32] == 0xff and data[44] == 7 and len(data) == 47, data
print("version error answered")
# Reflection: a datagram shorter than the version error gets nothing.
for n in (3, 24, 46):
    s.sendto(b"AK\x01" + os.urandom(n - 3), ("127.0.0.1", port))
    try:
        s.recvfrom(4096)
        print("a %d-octet datagram drew an answer" % n); sys.exit(1)
    except socket.timeout:
        pass
print("short datagrams of another version: no answer")
PY
check "another version is answered with a version error, only when not shorter than it" "[ $? -eq 0 ]"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/wrong.psk"
"$CTL" get "${C[@]}" --psk-file "$dir/wrong.psk" --akid 1.new@akma.example "${AF[@]}" --timeout 0.5 > "$dir/out" 2>&1
check "under a wrong PSK: no answer (unreachable)" "[ $? -eq 4 ] && grep -q 'no answer' '$dir/out'"
stats=$("$CTL" stats "${C[@]}" --json)
check "wrong-PSK datagrams counted" "python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[\"dropped_auth\"] >= 1 and d[\"contexts\"] == 2021, d' '$stats'"
intact=0
for i in $(seq 1 20); do
	got=$("$CTL" get "${C[@]}" --akid "k$i@akma.example" "${AF[@]}" | head -1)
	[ "$got" = "$("$CTL" derive kaf --kakma $KA1 "${AF[@]}")" ] && intact=$((intact + 1))
done
check "every context intact after the barrage ($intact of 20)" "[ $intact -eq 20 ]"
"$CTL" get "${C[@]}" --server "unix:$dir/akmad.sock" --akid k1@akma.example "${AF[@]}" --anon > "$dir/out"
check "the unix socket answers; --anon returns no SUPI" "[ \$? -eq 0 ] && [ \$(wc -l < '$dir/out') -eq 2 ]"
got=$("$CTL" get "${C[@]}" --server "udp:[::1]:$port" --akid k1@akma.example "${AF[@]}" | head -1)
check "UDP over IPv6 answers the same K_AF" "[ '$got' = '$("$CTL" derive kaf --kakma $KA1 "${AF[@]}")' ]"

# DPDK's own telemetry client reads the engine's counters.
tel=$(echo /akma/stats | python3 /usr/bin/dpdk-telemetry.py -f "akmad-$pid" 2>/dev/null | tail -1)
check "dpdk-telemetry.py reads /akma/stats; drops counted by cause" "python3 -c 'import json,sys; d=json.loads(sys.argv[1])[\"/akma/stats\"]; assert d[\"get_kaf\"] >= 20 and d[\"dropped_auth\"] >= 1 and d[\"dropped_plain\"] >= 1 and d[\"dropped_replay\"] >= 1 and d[\"version_errors\"] >= 1 and d[\"version_errors_unanswered\"] >= 3, d' '$tel'"
tel=$(echo /akma/config | python3 /usr/bin/dpdk-telemetry.py -f "akmad-$pid" 2>/dev/null | tail -1)
check "/akma/config shows the configuration in force" "python3 -c 'import json,sys; d=json.loads(sys.argv[1])[\"/akma/config\"]; assert d[\"engine_kaf_lifetime\"] == \"600\", d' '$tel'"

# SIGHUP: a run-time key applies at once, a start-time key is named, kept.
sed -i 's/^kaf_lifetime = 600/kaf_lifetime = 60/; s/^capacity = 10000/capacity = 20000/' "$dir/akmad.conf"
kill -HUP "$pid"
for _ in $(seq 1 100); do grep -q 'engine.capacity changed to 20000' "$dir/akmad.log" && break; sleep 0.1; done
json=$("$CTL" get "${C[@]}" --akid 1.new@akma.example "${AF[@]}" --json)
now=$(date +%s)
exp=$(python3 -c 'import json,sys,datetime; d=json.loads(sys.argv[1]); print(int(datetime.datetime.strptime(d["expiry"],"%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' "$json")
check "SIGHUP applies engine.kaf_lifetime (60 s) to a context registered before it" "[ $((exp - t_reg)) -ge 59 ] && [ $((exp - t_reg)) -le 61 ]"
check "akmactl config --live: the running akmad's configuration, not the file's (kaf_lifetime 60, capacity still 10000)" bash -c "
	'$CTL' config --live --pid $pid > '$dir/live.conf' && grep -qx 'kaf_lifetime = 60' '$dir/live.conf' &&
	grep -qx 'capacity = 10000' '$dir/live.conf' && '$CTL' config --config '$dir/akmad.conf' | grep -qx 'capacity = 20000'"
check "SIGHUP names engine.capacity as needing a restart" "grep -q 'engine.capacity changed to 20000: takes a restart' '$dir/akmad.log'"
# Past its lifetime a K_AF is no longer given out: the context is there,
# the answer is "no material" until a new registration, and it is counted.
sed -i 's/^kaf_lifetime = 60/kaf_lifetime = 1/' "$dir/akmad.conf"
kill -HUP "$pid"
gone=0
for _ in $(seq 1 200); do
	"$CTL" get "${C[@]}" --akid 1.new@akma.example "${AF[@]}" > /dev/null 2>&1
	[ $? -eq 1 ] && { gone=1; break; }
	sleep 0.1
done
check "a K_AF past kaf_lifetime (1 s) is not given out: not found" "[ $gone -eq 1 ]"
check "... counted as kaf_expired, the context still stored" "python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[\"kaf_expired\"] >= 1 and d[\"contexts\"] >= 1, d' '$("$CTL" stats "${C[@]}" --json)'"
# Back to a lifetime no later step can outlast: the restarts below read
# this file, and a 1 s lifetime made their retrieves fail now and then.
sed -i 's/^kaf_lifetime = 1$/kaf_lifetime = 600/' "$dir/akmad.conf"

"$CTL" remove "${C[@]}" --supi imsi-001010123456789
check "remove" "[ $? -eq 0 ]"
"$CTL" get "${C[@]}" --akid 1.new@akma.example "${AF[@]}" > /dev/null 2>&1
check "removed: not found" "[ $? -eq 1 ]"
"$CTL" remove "${C[@]}" --supi imsi-001010123456789 2> /dev/null
check "remove again: not found" "[ $? -eq 1 ]"

# ---- attacks on the wire protocol (tests/wire_attack.py: a client of its own) ----
ATTACK="/usr/bin/python3 $(dirname "$0")/wire_attack.py"
out=$($ATTACK loop "$dir/akmad.psk" $port)
echo "$out"
check "a captured answer sent back to akmad is not answered (no self-loop)" "echo '$out' | grep -q '^answer-sent-back: no answer'"
check "a request under akmad's own sender id is not taken" "echo '$out' | grep -q '^own-sender-id: no answer'"
check "... while an honest request is answered" "echo '$out' | grep -q '^control: answered'"
check "... both counted as dropped_direction" "python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[\"dropped_direction\"] >= 2, d' '$("$CTL" stats "${C[@]}" --json)'"
# Requests captured before a restart (whose replay windows it loses): a
# REGISTER with an old K_AKMA, a REMOVE.
X=imsi-001010000000888
got=$($ATTACK capture "$dir/akmad.psk" $port "$dir/old-register" register $X old.x@akma.example $KA1)
check "captured: a REGISTER under K_AKMA 1, applied (0)" "[ '$got' = 0 ]"
got=$($ATTACK capture "$dir/akmad.psk" $port "$dir/old-remove" remove imsi-001010000000999)
stop
start "$dir/akmad.conf" || exit 1
"$CTL" register "${C[@]}" --supi $X --akid new.x@akma.example --kakma $KA2
"$CTL" register "${C[@]}" --supi imsi-001010000000999 --akid y@akma.example --kakma $KA2
got=$($ATTACK replay "$dir/akmad.psk" $port "$dir/old-register")
check "after a restart, the captured REGISTER replayed: EPOCH (8), not applied" "[ '$got' = 8 ]"
check "... the subscriber keeps its new K_AKMA" "[ \"\$('$CTL' get ${C[*]} --akid new.x@akma.example ${AF[*]} | head -1)\" = '$("$CTL" derive kaf --kakma $KA2 "${AF[@]}")' ]"
"$CTL" get "${C[@]}" --akid old.x@akma.example "${AF[@]}" > /dev/null 2>&1
check "... and the old A-KID does not come back" "[ $? -eq 1 ]"
got=$($ATTACK replay "$dir/akmad.psk" $port "$dir/old-remove")
check "after a restart, the captured REMOVE replayed: EPOCH (8)" "[ '$got' = 8 ]"
"$CTL" get "${C[@]}" --akid y@akma.example "${AF[@]}" > /dev/null 2>&1
check "... the re-registered context stays" "[ $? -eq 0 ]"
check "... refusals counted as stale_epoch" "python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[\"stale_epoch\"] >= 2, d' '$("$CTL" stats "${C[@]}" --json)'"
stop

# K_AKMA lifetime: a context expires one second after registration.
start "$dir/expiring.conf" || exit 1
E=(--config "$dir/expiring.conf")
"$CTL" register "${E[@]}" --supi imsi-001010000000009 --akid e@akma.example --kakma $KA1
json=$("$CTL" get "${E[@]}" --akid e@akma.example "${AF[@]}" --json)
now=$(date +%s)
exp=$(python3 -c 'import json,sys,datetime; d=json.loads(sys.argv[1]); print(int(datetime.datetime.strptime(d["expiry"],"%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' "$json")
check "K_AF expiry capped by the context's end of life" "[ $((exp - now)) -le 1 ]"
# not found (1) once its end of life has passed: 10 s at most
gone=1
for _ in $(seq 1 100); do
	"$CTL" get "${E[@]}" --akid e@akma.example "${AF[@]}" > /dev/null 2>&1
	gone=$?
	[ $gone -eq 1 ] && break
	sleep 0.1
done
check "an expired context is not found" "[ $gone -eq 1 ]"
# A 64-slot ring takes 63 of a 64-request datagram: the 64th is answered OVERLOAD.
out=$("$PROBE" "$dir/akmad.psk" 127.0.0.1 $((port + 1)) e@akma.example 64)
check "a full ring: answered OVERLOAD (4), not silence" "[ \"\$(echo '$out' | wc -l)\" = 64 ] && echo '$out' | grep -q ' 4\$'"
stop

echo "integration_daemon: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
