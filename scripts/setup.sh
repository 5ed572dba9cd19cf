#!/usr/bin/env bash
# Make this checkout buildable and build it: install the Debian 12 packages
# that are missing (a quick dpkg check when none is), configure the meson
# build directory if needed, and build. Sourced by run.sh and test.sh.
#
#   scripts/setup.sh [BUILD_DIR [MESON_OPTION...]]
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-build}
shift || true

# What building, running and testing akmad needs, by Debian package name.
packages=(
	gcc libc6-dev meson ninja-build pkg-config python3
	libdpdk-dev dpdk dpdk-dev  # DPDK 22.11: EAL, rings, mempools, telemetry (dpdk-telemetry.py)
	libipsec-mb-dev            # Intel ipsec-mb 1.3: multi-buffer SHA-256
	liburcu-dev                # RCU for the context store
	libhiredis-dev             # replication to Redis
	libjansson-dev             # JSON of the Naanf_AKMA front end
	libnghttp2-dev             # HTTP/2 of the Naanf_AKMA front end
	curl nghttp2-client        # SBI tests: curl --http2-prior-knowledge, nghttp, h2load
	nghttp2-server             # bench/sbi_h2load.sh: nghttpd, the baseline
	python3-jsonschema python3-yaml  # SBI tests: bodies against the OpenAPI schemas
	openssl                    # SBI tests: a test CA and certificates
	python3-jwt python3-cryptography  # trust tests: NRF keys and access tokens
	python3-h2                 # route and NRF tests: an h2c client and the test NRF
	libssl-dev                 # OpenSSL: test oracle and benchmark baseline
	clang libclang-rt-14-dev   # libFuzzer targets of the test suite
	clang-format               # the format check of the test suite (scripts/format.sh)
	gdb                        # key-material test: gcore of a running akmad
	man-db groff-base          # man-page test: man -l with groff's warnings
	dpkg-dev lintian           # scripts/package.sh: dpkg-shlibdeps, dpkg-deb, lintian
	prometheus                 # metrics test: promtool, and a real Prometheus scraping akmad
	iproute2 ethtool iputils-ping procps  # DPDK port tests: namespaces, a veth pair,
	                           # its checksum offload off, ping, sysctl
	redis-server redis-tools   # replication tests (Redis and Sentinels started by the tests
	                           # on private ports), redis-cli, redis-benchmark
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing Debian packages: ${missing[*]}"
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null; then
			sudo=(sudo)
		else
			echo "setup: not root and no sudo: install as root: apt-get install ${missing[*]}" >&2
			exit 1
		fi
	fi
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

cd "$top"
if [ ! -f "$build_dir/build.ninja" ]; then
	meson setup "$build_dir" "$@" >/dev/null || { echo "setup: meson setup failed (see $build_dir/meson-logs/meson-log.txt)" >&2; exit 1; }
elif [ $# -gt 0 ]; then
	meson configure "$build_dir" "$@" >/dev/null
fi
ninja -C "$build_dir" >/dev/null || { ninja -C "$build_dir"; exit 1; }
