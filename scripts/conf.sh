#!/usr/bin/env bash
# Write conf/akmad.conf from akmad's configuration table: the comment below,
# then every key at its default with its help, unit and bounds (what
# `akmactl config` prints of an empty file). tests/test_conf checks the
# shipped file loads to exactly the table's defaults; run this after adding
# or changing a key.
#
#   scripts/conf.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
empty=$(mktemp)
trap 'rm -f "$empty"' EXIT
{
	cat <<'HEAD'
# akmad configuration: every key, its unit, bounds and default.
#
# Written from the table in drivers/programs/akmad_conf.c by
# scripts/conf.sh (akmactl config prints the same); an unknown key or a
# value out of bounds is refused with the file, line and key named, and
# every key can also be given as --SECTION-KEY VALUE or --set
# SECTION.KEY=VALUE. tests/test_conf checks this file loads to exactly the
# defaults of that table. Replication is off here (redis.address empty); see
# the README, "Replication and failover". The SBI serves on loopback with no
# consumer authentication; for mTLS, OAuth2 and the consumer policy
# (conf/policy.conf) see the README, "The trust boundary".
HEAD
	"$build/drivers/programs/akmactl" config --config "$empty" | sed 1d
} > "$top/conf/akmad.conf"
