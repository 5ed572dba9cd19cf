#!/usr/bin/env bash
# The metrics listener as an operator's Prometheus sees it: akmad (SBI,
# wire, sync replication to a private Redis) and akma-sbi in front of it,
# each with metrics.listen / metrics.front_end_listen on a private port.
# Every scrape passes `promtool check metrics`; the listener's HTTP/1.1
# answers (404, 405 with Allow, HEAD, 400, a client that sends nothing);
# the series each component must have; a real Prometheus started here
# scrapes both and its HTTP API returns a counter that moved under load;
# every metric conf/grafana/akmad.json queries exists in a live scrape.
# Services on private ports, stopped at the end.
set -u
BUILD=${1:?usage: integration_metrics.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: integration_metrics.sh BUILD_DIR SOURCE_DIR}
AKMAD=$BUILD/drivers/programs/akmad
AKMA_SBI=$BUILD/drivers/programs/akma-sbi
AKMACTL=$BUILD/drivers/programs/akmactl
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
. "$(dirname "$0")/check.sh"
scratch metrics
for t in promtool prometheus; do
	command -v $t > /dev/null || { echo "FAIL $t (Debian package prometheus) is missing"; exit 1; }
done

wport=$(free_port) hport=$(free_port) fport=$(free_port) rport=$(free_port)
mport=$(free_port) fmport=$(free_port) pport=$(free_port)
new_key "$dir/akmad.psk"
new_key "$dir/akmad.kek"
private_redis $rport || { echo "FAIL redis-server did not start"; exit 1; }

cat > "$dir/akmad.conf" << CONF
[engine]
capacity = 10000
requests = 4096
[wire]
listen = udp:127.0.0.1:$wport
psk_file = akmad.psk
[sbi]
listen = 127.0.0.1:$hport
[redis]
address = 127.0.0.1:$rport
[replication]
kek_file = akmad.kek
[metrics]
listen = 127.0.0.1:$mport
front_end_listen = 127.0.0.1:$fmport
CONF
sed -e "s/^listen = 127.0.0.1:$hport/listen = 127.0.0.1:$fport/" "$dir/akmad.conf" > "$dir/fe.conf"
"$AKMAD" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
pids+=($!)
"$AKMA_SBI" --config "$dir/fe.conf" > "$dir/fe.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
	grep -q "listening on" "$dir/akmad.log" && grep -q "serving h2c" "$dir/fe.log" && break
	sleep 0.1
done
check "akma-sbi logs as akmad does: a UTC timestamp, program and pid, a severity" bash -c "
	grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z akma-sbi\[[0-9]+\]: notice: akma-sbi .*serving h2c' $dir/fe.log"
check "akmad and akma-sbi say where their metrics are" bash -c "
	grep 'metrics on http://127.0.0.1:$mport/metrics' $dir/akmad.log &&
	grep 'metrics on http://127.0.0.1:$fmport/metrics' $dir/fe.log"

# Some traffic of every kind first: wire, SBI through akmad and akma-sbi.
"$AKMACTL" load --config "$dir/akmad.conf" --contexts 500 > /dev/null
for p in $hport $fport; do
	curl -s --http2-prior-knowledge -o /dev/null -H 'content-type: application/json' \
		--data-binary '{"afId":"af.example.com","aKId":"1.nobody@akma.example"}' \
		"http://127.0.0.1:$p/naanf-akma/v1/retrieve-applicationkey"
done

scrape() { curl -s --max-time 10 "http://127.0.0.1:$1/metrics" > "$2"; }
scrape $mport "$dir/akmad.prom"
scrape $fmport "$dir/fe.prom"
check "promtool check metrics: akmad's scrape" bash -c "promtool check metrics < $dir/akmad.prom"
check "promtool check metrics: akma-sbi's scrape" bash -c "promtool check metrics < $dir/fe.prom"
has() { # FILE SERIES...: each series (a name, or a name and labels) has a sample
	local f=$1 s
	shift
	for s in "$@"; do grep -q "^$s[ {]" "$f" || { echo "missing: $s"; return 1; }; done
}
check "akmad: engine per worker, store, wire, SBI, replication, process, build" has "$dir/akmad.prom" \
	akmad_worker_requests_total akmad_worker_hits_total akmad_worker_misses_total \
	akmad_worker_expired_total akmad_worker_overload_total akmad_worker_bursts_total \
	akmad_capacity akmad_contexts akmad_awaiting_reclaim \
	akmad_rx_datagrams_total akmad_tx_datagrams_total akmad_dropped_auth_total \
	akmad_sbi_requests_total akmad_sbi_answers_total akmad_sbi_latency_seconds_bucket \
	akmad_sbi_latency_seconds_sum akmad_sbi_latency_seconds_count akmad_sbi_connections_open \
	akmad_sbi_refusals_total akmad_replication_mode akmad_replication_state \
	akmad_replication_backlog akmad_replication_lag_seconds akmad_replication_written_total \
	akmad_replication_failures_total akmad_replication_reconnects_total \
	akmad_replication_lease_remaining_seconds akmad_process_start_time_seconds \
	akmad_process_resident_memory_bytes akmad_process_open_fds akmad_build_info
check "... one naming scheme: every series of both starts with akmad_" bash -c "
	! grep -v '^#' $dir/akmad.prom $dir/fe.prom | grep -v ':akmad_'"
check "akma-sbi: the SBI's series and the process's, named as akmad's" bash -c "
	$(declare -f has); has $dir/fe.prom akmad_sbi_requests_total akmad_sbi_latency_seconds_bucket \
		akmad_process_open_fds && grep -q '^akmad_build_info{program=\"akma-sbi\"' $dir/fe.prom"
check "the counters moved: 500 registrations, an SBI request through each" bash -c "
	grep -qx 'akmad_registers_total 500' $dir/akmad.prom &&
	grep -q '^akmad_sbi_requests_total{operation=\"retrieve-applicationkey\"} 1$' $dir/fe.prom &&
	grep -q '^akmad_replication_written_total 500$' $dir/akmad.prom &&
	grep -q '^akmad_senders [1-9]' $dir/akmad.prom"

# The listener's HTTP/1.1.
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
check "another path: 404" test "$(code http://127.0.0.1:$mport/nothing)" = 404
check "POST /metrics: 405 with Allow: GET, HEAD" bash -c "
	curl -s -D - -o /dev/null -X POST http://127.0.0.1:$mport/metrics | tr -d '\r' |
		grep -q '^Allow: GET, HEAD'"
check "HEAD /metrics: 200, no body" bash -c "
	[ \"\$(curl -s -I -o /dev/null -w '%{http_code}' http://127.0.0.1:$mport/metrics)\" = 200 ]"
check "a request line that is not HTTP: 400" bash -c "
	printf 'hello\r\n\r\n' | timeout 10 $PY -c '
import socket, sys
s = socket.create_connection((\"127.0.0.1\", $mport)); s.sendall(sys.stdin.buffer.read())
print(s.recv(100).decode().split()[1])' | grep -qx 400"
# A client that connects and sends nothing holds the listener 2 s at most.
$PY -c "import socket, time; s = socket.create_connection(('127.0.0.1', $mport)); time.sleep(8)" &
holder=$!
check "a client that sends nothing does not stop the scrape" scrape $mport "$dir/again.prom"
kill $holder 2> /dev/null

# A real Prometheus.
cat > "$dir/prometheus.yml" << CONF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: akmad
    static_configs:
      - targets: ['127.0.0.1:$mport', '127.0.0.1:$fmport']
CONF
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
	--web.listen-address=127.0.0.1:$pport > "$dir/prometheus.log" 2>&1 &
pids+=($!)
query() { # EXPR: the first value of an instant query, or nothing
	curl -s --max-time 10 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		$PY -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2> /dev/null
}
for _ in $(seq 1 300); do
	[ "$(query 'akmad_registers_total')" = 500 ] && [ "$(query 'sum(up)')" = 2 ] && break
	sleep 0.1
done
up=$(query 'sum(up)')
check "Prometheus scrapes both targets (sum(up) = ${up:-nothing})" test "$up" = 2
"$AKMACTL" load --config "$dir/akmad.conf" --contexts 2000 --first 10000 > /dev/null
moved=
for _ in $(seq 1 300); do
	moved=$(query 'akmad_registers_total')
	[ "$moved" = 2500 ] && break
	sleep 0.1
done
check "... and its API returns the registrations counter moved under load (500 -> ${moved:-nothing})" \
	test "$moved" = 2500

# The dashboard queries only what exists.
check "every metric conf/grafana/akmad.json queries is in a live scrape" $PY - "$SRC/conf/grafana/akmad.json" \
	"$dir/akmad.prom" "$dir/fe.prom" << 'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
names = set()
for line in open(sys.argv[2]).read().splitlines() + open(sys.argv[3]).read().splitlines():
    if line and not line.startswith("#"):
        names.add(re.split(r"[ {]", line, 1)[0])
wanted = set()
for panel in dash["panels"]:
    for t in panel.get("targets", []):
        wanted.update(n for n in re.findall(r"\b(akmad_[a-z0-9_]+)", t["expr"]))
missing = sorted(wanted - names)
print("%d metrics queried, missing: %s" % (len(wanted), missing or "none"))
sys.exit(1 if missing or not wanted else 0)
PY
check_done
