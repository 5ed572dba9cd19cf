#!/usr/bin/env bash
# Set up (missing Debian packages, meson build into build/) and run the main
# job: akmad in the foreground on loopback with the shipped configuration,
# conf/akmad.conf: Naanf_AKMA over HTTP/2 (h2c) on http://127.0.0.1:8080 and
# the wire protocol on UDP 127.0.0.1:7777. The wire PSK,
# conf/akmad.psk, is made on the first run, readable by its owner only.
# Arguments go to akmad: scripts/run.sh --help, scripts/run.sh --config FILE.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" build

psk="$top/conf/akmad.psk"
if [ ! -e "$psk" ]; then
	(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$psk")
	echo "run: made a new wire PSK in $psk (owner-only)"
fi
case " $* " in
*" --help "* | *" -h "* | *" --version "* | *" -V "*) ;;
*)
	cat <<TRY
run: starting akmad (Ctrl-C stops it). In another shell, try Naanf_AKMA:
  curl --http2-prior-knowledge -H 'content-type: application/json' \\
      -d '{"supi":"imsi-001010123456789","aKId":"12.abc@akma.example","kAkma":"3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c"}' \\
      http://127.0.0.1:8080/naanf-akma/v1/register-anchorkey
  curl --http2-prior-knowledge -H 'content-type: application/json' \\
      -d '{"afId":"af.example.com;ua=0100000007","aKId":"12.abc@akma.example"}' \\
      http://127.0.0.1:8080/naanf-akma/v1/retrieve-applicationkey
or the wire protocol with akmactl:
  build/drivers/programs/akmactl register --supi imsi-001010123456789 --akid 12.abc@akma.example \\
      --kakma 3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c
  build/drivers/programs/akmactl get --akid 12.abc@akma.example --af-fqdn af.example.com --ua-id 0100000007
  build/drivers/programs/akmactl stats
TRY
	;;
esac
exec "$top/build/drivers/programs/akmad" --config "$top/conf/akmad.conf" "$@"
