#!/usr/bin/env bash
# h2load against akmad's retrieve-applicationkey beside nghttpd serving a
# static file of the same size as the answer, in the same run, rounds
# interleaved; prints requests/s for each and the ratio. Starts akmad and
# nghttpd on private loopback ports and stops them.
#
#   bench/sbi_h2load.sh [BUILD_DIR] [-n REQUESTS] [-c CONNECTIONS] [-m STREAMS] [-r ROUNDS]
set -u
build=build
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { build=$1; shift; }
n=300000 c=4 m=32 rounds=3
while [ $# -gt 0 ]; do
	case "$1" in
	-n) n=$2; shift 2 ;; -c) c=$2; shift 2 ;; -m) m=$2; shift 2 ;; -r) rounds=$2; shift 2 ;;
	*) echo "usage: bench/sbi_h2load.sh [BUILD_DIR] [-n N] [-c C] [-m M] [-r ROUNDS]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
for tool in h2load nghttpd curl; do
	command -v $tool > /dev/null || { echo "sbi_h2load: $tool missing (apt-get install nghttp2-client nghttp2-server curl)" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/akma-h2load-XXXXXX)
. "$top/tests/check.sh" # free_port
port=$(free_port 3) # akmad wire, akmad SBI, nghttpd
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/akmad.psk"
chmod 600 "$dir/akmad.psk"
printf '[metrics]\nlisten =\nfront_end_listen =\n[engine]\ncapacity = 100000\n[wire]\nlisten = udp:127.0.0.1:%d\npsk_file = akmad.psk\n[sbi]\nlisten = 127.0.0.1:%d\n' \
	$port $((port + 1)) > "$dir/akmad.conf"
case $build in /*) ;; *) build=$top/$build ;; esac
"$build/drivers/programs/akmad" --config "$dir/akmad.conf" > "$dir/akmad.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$dir/akmad.log" && break; sleep 0.1; done
api=http://127.0.0.1:$((port + 1))/naanf-akma/v1
curl -s --http2-prior-knowledge -H 'content-type: application/json' \
	-d '{"supi":"imsi-001010123456789","aKId":"12.abc@akma.example","kAkma":"3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c"}' \
	"$api/register-anchorkey" > /dev/null
printf '{"afId":"af.example.com;ua=0100000007","aKId":"12.abc@akma.example"}' > "$dir/get.json"
mkdir "$dir/www"
curl -s --http2-prior-knowledge -H 'content-type: application/json' -d @"$dir/get.json" \
	"$api/retrieve-applicationkey" > "$dir/www/answer"
nghttpd --no-tls -d "$dir/www" $((port + 2)) > /dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$((port + 2))/answer" && break; sleep 0.05; done
size=$(stat -c %s "$dir/www/answer")
echo "h2load -n $n -c $c -m $m, the same POST body to both; answer $size octets (nghttpd: a static file of it)"
rate() { h2load -n "$n" -c "$c" -m "$m" -d "$dir/get.json" -H 'content-type: application/json' "$1" 2>&1 |
	awk '/^finished/ {r = $4} /^status codes:/ {ok = $3} END {printf "%s %s", r, ok}'; }
printf '%-6s %16s %16s %8s\n' round "nghttpd req/s" "akmad req/s" ratio
for r in $(seq 1 "$rounds"); do
	read -r base base_ok <<< "$(rate "http://127.0.0.1:$((port + 2))/answer")"
	read -r ours ours_ok <<< "$(rate "$api/retrieve-applicationkey")"
	printf '%-6s %16s %16s %8.2f   (2xx: %s, %s)\n' "$r" "$base" "$ours" \
		"$(echo "$ours / $base" | bc -l)" "$base_ok" "$ours_ok"
done
