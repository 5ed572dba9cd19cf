#!/usr/bin/env bash
# Set up (missing Debian packages, meson build into build/) and run the main
# job. Until the daemon lands that is the K_AF derivation benchmark,
# `akma-bench kdf`, with a short default duration; arguments are passed on to
# it (scripts/run.sh --help shows them).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" build
if [ $# -eq 0 ]; then
	set -- --duration 0.1 --rounds 3
fi
exec "$top/build/bench/akma-bench" kdf "$@"
