#!/bin/bash
# Engines split by routing indicator behind stateless front ends (issue 15):
# two engine groups, each an akmad primary and its standby on a Redis of its
# own, behind two akma-sbi front ends with the same route table.
#   1. 10 000 subscribers over five RIDs of both groups, registered through
#      one front end and read through the other: every K_AF right (checked
#      by tests/sbi_load.py against its own KDF), each engine holding only
#      its RIDs' subscribers
#   2. an A-KID of a RID no group serves: 400 at the front end, RID_NOT_SERVED
#      from an engine asked directly
#   3. re-registration under a RID of the other group moves the subscriber;
#      remove-context reaches every group: 204, then 404
#   4. a group listed standby first: NOT_PRIMARY sends the request on to the
#      primary at once, which becomes the group's active address
#   5. a group that never answers: remove-context 503 when no group removed
#      it, 204 when another did; retrieves of its RIDs 503, others 200
#   6. kill -9 of one group's primary under load: its RIDs answer 503 until
#      its standby takes over, then 200; the other group's RIDs never fail
#   7. bad route tables and RID lists are refused with the reason
# Services on free ports, stopped at exit.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
AKMAD=$build/drivers/programs/akmad
SBI=$build/drivers/programs/akma-sbi
AKMACTL=$build/drivers/programs/akmactl
LOAD="/usr/bin/python3 $src/tests/sbi_load.py"
. "$src/tests/check.sh"
scratch route
cd "$dir"
new_key psk
new_key kek

base=$(free_port 12)
RA=$base RB=$((base + 1))                      # the two Redis
A1=$((base + 2)) A2=$((base + 3)) B1=$((base + 4)) B2=$((base + 5)) # engines' wire ports
F1=$((base + 6)) F2=$((base + 7)) F3=$((base + 8)) # front ends
M1=$((base + 9)) DEAD=$((base + 10))           # fe1's metrics; a port nobody serves
private_redis $RA || exit 1
private_redis $RB || exit 1

# engine NAME PORT REDIS RIDS [akmad options]: returns once it listens or,
# a standby, follows.
engine() {
	local name=$1 port=$2 redis=$3 rids=$4
	shift 4
	cat > "$name.conf" <<-EOF
	[engine]
	capacity = 100000
	requests = 8192
	routing_indicators = $rids
	[wire]
	listen = udp:127.0.0.1:$port
	psk_file = psk
	[redis]
	address = 127.0.0.1:$redis
	[replication]
	mode = sync
	kek_file = kek
	lease = 1000
	[sbi]
	listen =
	[metrics]
	listen =
	front_end_listen =
	EOF
	launch_akmad "$name" "$name.conf" "$@"
}

# front_end NAME PORT ROUTES [METRICS]: akma-sbi; returns once it serves.
front_end() {
	cat > "$1.conf" <<-EOF
	[wire]
	psk_file = psk
	[sbi]
	listen = 127.0.0.1:$2
	routes = $3
	[metrics]
	listen =
	front_end_listen = ${4:+127.0.0.1:$4}
	EOF
	"$SBI" --config "$1.conf" --timeout 300 > "$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 100); do
		grep -q "serving h2c" "$1.log" && return 0
		sleep 0.1
	done
	echo "akma-sbi $1 did not start:"
	cat "$1.log"
	return 1
}

post() { # PORT OPERATION JSON: prints the body, then the status on a line
	curl -s --http2-prior-knowledge -H 'content-type: application/json' \
		-w '\n%{http_code}\n' -d "$3" "http://127.0.0.1:$1/naanf-akma/v1/$2"
}

engine a1 $A1 $RA 0000-0499 || exit 1
engine a2 $A2 $RA 0000-0499 --standby || exit 1
engine b1 $B1 $RB 0500-0999,7 || exit 1
engine b2 $B2 $RB 0500-0999,7 --standby || exit 1
cat > routes <<EOF
# RIDs        primary               standby
0000-0499     udp:127.0.0.1:$A1     udp:127.0.0.1:$A2
0500-0999,7   udp:127.0.0.1:$B1     udp:127.0.0.1:$B2
EOF
front_end fe1 $F1 routes $M1 || exit 1
front_end fe2 $F2 routes || exit 1
RIDS="0001 0499 0500 7 0999" # subscriber i has RID i mod 5: 4 000 in group a, 6 000 in b

# ---- 1. 10 000 subscribers over both groups --------------------------------------------
$LOAD $F2 populate 10000 $RIDS > populate.out 2>&1
cat populate.out
check "10 000 subscribers registered and read through one front end: all 200, every K_AF right" \
	bash -c "grep -q 'register 200: 10000 retrieve 200: 10000 ; wrong K_AF: 0' populate.out || { tail -3 fe2.log a1.log b1.log; exit 1; }"
$LOAD $F1 retrieve 10000 $RIDS > retrieve.out 2>&1
check "... and read through the other front end: all 200, every K_AF right" \
	grep -q "retrieve 200: 10000 ; wrong K_AF: 0" retrieve.out
contexts() { "$AKMACTL" stats --config "$1.conf" | awk '$1 == "contexts" {print $2}'; }
check "each engine holds only its RIDs' subscribers (a 4000, b 6000)" \
	bash -c "[ \"$(contexts a1)\" = 4000 ] && [ \"$(contexts b1)\" = 6000 ]"
check "the standbys followed their own group's primary" \
	bash -c "[ \"$(contexts a2)\" = 4000 ] && [ \"$(contexts b2)\" = 6000 ]"

# ---- 2. a RID no group serves ------------------------------------------------------------
post $F1 retrieve-applicationkey '{"aKId":"1234.x@akma.example","afId":"af.example.com"}' > out
check "front end: a RID no group serves is 400 MANDATORY_IE_INCORRECT on /aKId" \
	bash -c "tail -1 out | grep -qx 400 && grep -q '\"cause\":\"MANDATORY_IE_INCORRECT\"' out && grep -q '\"param\":\"/aKId\"' out"
post $F1 register-anchorkey "{\"supi\":\"imsi-001019999999999\",\"aKId\":\"nodot@akma.example\",\"kAkma\":\"$(printf '%064d' 7)\"}" > out
check "front end: an A-KID with no RID by the rule is 400 too" bash -c "tail -1 out | grep -qx 400"
"$AKMACTL" get --config a1.conf --akid 0500.s2@akma.example --af-id 'af.example.com;ua=0100000007' > out 2>&1
check "engine a asked directly for a RID of b: refused, the routing indicator named" \
	grep -q "does not serve the A-KID's routing indicator" out
check "... counted as rid_not_served" \
	bash -c "\"$AKMACTL\" stats --config a1.conf | grep -q '^rid_not_served *1$'"
check "fe1's metrics count the two requests with no route" \
	bash -c "curl -s http://127.0.0.1:$M1/metrics | grep -q '^akmad_route_no_route_total 2$'"

# ---- 3. moving a subscriber, removing everywhere ----------------------------------------
# Subscriber 0 (RID 0001, group a) registers again under 0500 (group b).
post $F1 register-anchorkey "{\"supi\":\"imsi-001010000000000\",\"aKId\":\"0500.moved@akma.example\",\"kAkma\":\"$(printf '%064d' 1)\"}" > out
check "re-registration under another group's RID: 200" bash -c "tail -1 out | grep -qx 200"
post $F1 retrieve-applicationkey '{"aKId":"0001.s0@akma.example","afId":"af.example.com"}' > out
check "... the old A-KID is gone from the old group (204)" bash -c "tail -1 out | grep -qx 204"
check "... the subscriber lives in one engine only (a 3999, b 6001)" \
	bash -c "[ \"$(contexts a1)\" = 3999 ] && [ \"$(contexts b1)\" = 6001 ]"
post $F2 retrieve-applicationkey '{"aKId":"0500.moved@akma.example","afId":"af.example.com"}' > out
check "... the new one is served by the new group" bash -c "tail -1 out | grep -qx 200"
post $F1 remove-context '{"supi":"imsi-001010000000003"}' > out
check "remove-context of a group-b subscriber through the table: 204" bash -c "tail -1 out | grep -qx 204"
post $F1 remove-context '{"supi":"imsi-001010000000003"}' > out
check "... again: every group says not found, 404" \
	bash -c "tail -1 out | grep -qx 404 && grep -q CONTEXT_NOT_FOUND out"

# ---- 4. standby first --------------------------------------------------------------------
printf '%s\n' "0000-0499 udp:127.0.0.1:$A2 udp:127.0.0.1:$A1" \
	"0500-0999,7 udp:127.0.0.1:$B1 udp:127.0.0.1:$B2" > routes.swapped
front_end fe3 $F3 routes.swapped $DEAD || exit 1
$LOAD $F3 retrieve 100 $RIDS > out 2>&1
check "a group listed standby first: NOT_PRIMARY answered, sent on to the primary: all 200 (but the moved and the removed one)" \
	bash -c "cat out; grep -q 'retrieve 200: 98 retrieve 204: 2 ; wrong K_AF: 0' out || { curl -s http://127.0.0.1:$DEAD/metrics | grep -E '^akmad_(route_(sent|answered|dropped|late)|sbi_in_flight)'; exit 1; }"
curl -s http://127.0.0.1:$DEAD/metrics > metrics
check "... the standby's NOT_PRIMARY counted, and the primary is now the group's active address" \
	bash -c "grep -q '^akmad_route_not_primary_total{group=\"0\",role=\"primary\",address=\"udp:127.0.0.1:$A2\"} [1-9]' metrics && grep -q '^akmad_route_active{group=\"0\",role=\"standby\",address=\"udp:127.0.0.1:$A1\"} 1' metrics"
check "... the switch logged once" bash -c "[ \$(grep -c 'answered NOT_PRIMARY; now to udp:127.0.0.1:$A1' fe3.log) = 1 ]"
kill -TERM ${pids[-1]}
wait ${pids[-1]} 2> /dev/null

# ---- 5. a group that never answers ----------------------------------------------------------
printf '%s\n' "0000-0499 udp:127.0.0.1:$A1" "0500-0999,7 udp:127.0.0.1:$DEAD" > routes.dead
front_end fe4 $F3 routes.dead || exit 1
post $F3 remove-context '{"supi":"imsi-001010000000001"}' > out
check "remove-context, one group silent, another removed it: 204" bash -c "tail -1 out | grep -qx 204"
post $F3 remove-context '{"supi":"imsi-001010000000001"}' > out
check "... again, none removed it and one did not answer: 503" bash -c "tail -1 out | grep -qx 503"
post $F3 retrieve-applicationkey '{"aKId":"0500.s2@akma.example","afId":"af.example.com"}' > out
check "... a retrieve of the silent group's RID: 503" bash -c "tail -1 out | grep -qx 503"
post $F3 retrieve-applicationkey '{"aKId":"0499.s6@akma.example","afId":"af.example.com"}' > out
check "... the other group's RIDs are served (200)" bash -c "tail -1 out | grep -qx 200"
# Subscriber 6 (RID 0499) registers again, its own key.
post $F3 register-anchorkey "{\"supi\":\"imsi-001010000000006\",\"aKId\":\"0499.s6@akma.example\",\"kAkma\":\"$(printf k6 | sha256sum | cut -c1-64)\"}" > out
check "... a register the silent group could not be told to remove is not acknowledged (503)" \
	bash -c "tail -1 out | grep -qx 503"
kill -TERM ${pids[-1]}
wait ${pids[-1]} 2> /dev/null

# ---- 6. kill -9 of a primary under load -----------------------------------------------------
$LOAD $F1 watch 12 watch.out 10000 $RIDS > watch.log 2>&1 &
watcher=$!
pids+=($watcher)
for _ in $(seq 1 100); do [ -s watch.out ] && [ "$(wc -l < watch.out)" -gt 2000 ] && break; sleep 0.1; done
kill -9 $pid_b1
for _ in $(seq 1 200); do grep -q "promoted" b2.log && break; sleep 0.1; done
check "b's standby promoted once b's primary's lease expired" grep -q "promoted" b2.log
wait $watcher
awk '{ g = ($2 == "0001" || $2 == "0499") ? "a" : "b"; n[g " " $3]++ } END { for (k in n) print k, n[k] }' watch.out | sort > watch.sum
cat watch.sum
awk '$3 == 503 { if (!first) first = $1; last = $1 } END { printf "group b: 503 from %d ms to %d ms of the watch (%d ms)\n", first, last, last - first }' watch.out
check "group a's RIDs never failed while b failed over" \
	bash -c "! grep -q '^a [^2]' watch.sum && grep -q '^a 200 ' watch.sum"
check "group b's RIDs answered 503 while it had no primary" grep -q '^b 503 ' watch.sum
check "... and 200 again from its promoted standby, to the end" \
	bash -c "grep -E ' (0500|7|0999) ' watch.out | tail -200 | awk '\$3 != 200 {bad++} END {exit bad}'"
check "no answer carried a wrong K_AF" bash -c "! grep -q wrong watch.out"
t0=$(date +%s%N)
$LOAD $F2 retrieve 10000 $RIDS > out 2>&1
echo "final retrieve: $((($(date +%s%N) - t0) / 1000000)) ms"
check "after the failover every subscriber but the moved and the two removed is served, every K_AF right" \
	bash -c "cat out; grep -q 'retrieve 200: 9997 retrieve 204: 3 ; wrong K_AF: 0' out"

# ---- 7. refusals ---------------------------------------------------------------------------
refused() { # NAME WANT ROUTES...: akma-sbi with this table exits 1 saying WANT
	local name=$1 want=$2
	shift 2
	printf '%s\n' "$@" > bad.routes
	"$SBI" --config fe1.conf --routes bad.routes --set sbi.listen=127.0.0.1:$DEAD > out 2>&1
	check "refused: $name" bash -c "[ $? = 1 ] && grep -q '$want' out"
}
refused "a RID in two groups" "routing indicator 0100 is already routed by line 1" \
	"0000-0199 udp:127.0.0.1:1" "0100 udp:127.0.0.1:2"
refused "a range of two lengths" "same number of digits" "0100-199 udp:127.0.0.1:1"
refused "a bad address" "bad.routes:1: " "0001 tcp:127.0.0.1:1"
refused "two '*' lines" "group (the first: line 1)" "* udp:127.0.0.1:1" "* udp:127.0.0.1:2"
refused "an empty table" "no route" "# nothing"
"$SBI" --config fe1.conf --routes routes --server udp:127.0.0.1:1 > out 2>&1
check "refused: --server with a route table" bash -c "[ $? = 1 ] && grep -q 'exclude each other' out"
"$AKMAD" --config a1.conf --set engine.routing_indicators=01,,02 > out 2>&1
check "akmad refuses a bad engine.routing_indicators, naming the key" \
	bash -c "[ $? = 1 ] && grep -q 'engine.routing_indicators' out"
"$AKMAD" --config a1.conf --set engine.rid_rule=prefix:9 > out 2>&1
check "akmad refuses a bad engine.rid_rule" bash -c "[ $? = 1 ] && grep -q 'engine.rid_rule' out"

check_done
