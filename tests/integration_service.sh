#!/usr/bin/env bash
# akmad as a service: `meson install` into a DESTDIR of the test's own (the
# programs, the configuration under sysconfdir/akmad/, the units, the
# dashboard), the installed akmad reading the installed configuration; the
# units checked by systemd-analyze verify against that root (any warning
# fails: verify exits 0 on unknown keys and bad values) and scored by
# systemd-analyze security --offline; the sd_notify protocol against a
# NOTIFY_SOCKET the test listens on (STATUS while recovering from Redis,
# READY=1 only once recovered and serving, WATCHDOG=1 from the main loop,
# STOPPING=1). No systemd needed, nothing installed on the machine.
set -u
BUILD=${1:?usage: integration_service.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: integration_service.sh BUILD_DIR SOURCE_DIR}
AKMAD=$BUILD/drivers/programs/akmad
AKMACTL=$BUILD/drivers/programs/akmactl
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
. "$(dirname "$0")/check.sh"
scratch service

# ---- meson install ------------------------------------------------------------------------------
root=$dir/root
check "meson install --destdir" meson install -C "$BUILD" --no-rebuild --quiet --destdir "$root"
prefix=$(meson introspect "$BUILD" --buildoptions | $PY -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"]); print(o["sysconfdir"])' | head -1)
sysconfdir=$(meson introspect "$BUILD" --buildoptions | $PY -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(os.path.join(o["prefix"], o["sysconfdir"]))')
check "installed: the programs, the configuration, the units, the dashboard, the man pages" bash -c "
	for f in $prefix/bin/akmad $prefix/bin/akmactl $prefix/bin/akma-sbi $prefix/bin/akma-bench \
		$sysconfdir/akmad/akmad.conf $sysconfdir/akmad/policy.conf \
		$prefix/lib/systemd/system/akmad.service '$prefix/lib/systemd/system/akmad@.service' \
		$prefix/share/akmad/grafana/akmad.json $prefix/share/man/man8/akmad.8 \
		$prefix/share/man/man8/akma-sbi.8 $prefix/share/man/man8/akmactl.8 \
		$prefix/share/man/man5/akmad.conf.5 $prefix/share/man/man1/akma-bench.1; do
		[ -e \"$root\$f\" ] || { echo missing \$f; exit 1; }
	done"
check "the installed akmad reads the installed configuration, not the build tree's" bash -c "
	'$root$prefix/bin/akmad' --help | grep -q 'default $sysconfdir/akmad/akmad.conf)' &&
	'$root$prefix/bin/akmactl' --help | grep -q '$sysconfdir/akmad/akmad.conf;' &&
	! '$root$prefix/bin/akmad' --help | grep -q '$SRC/conf'"
check "... while the build tree's reads the checkout's" bash -c "
	'$AKMAD' --help | grep -q 'default $SRC/conf/akmad.conf)'"
check "the units carry this install's paths" bash -c "
	grep -qx 'ExecStart=$prefix/bin/akmad --config $sysconfdir/akmad/akmad.conf' '$root$prefix/lib/systemd/system/akmad.service' &&
	grep -qx 'ExecStart=$prefix/bin/akmad --config $sysconfdir/akmad/%i.conf' '$root$prefix/lib/systemd/system/akmad@.service'"

# ---- systemd-analyze ----------------------------------------------------------------------------
# verify resolves what the units name inside --root: the host's own units
# and /bin/kill, copied into the throwaway root.
mkdir -p "$root/usr/lib/systemd" "$root/bin"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp /bin/kill "$root/bin/"
ln -s akmad@.service "$root$prefix/lib/systemd/system/akmad@standby.service"
for u in akmad.service akmad@standby.service; do
	systemd-analyze verify --man=no --root="$root" "$root$prefix/lib/systemd/system/$u" > "$dir/verify.out" 2>&1
	rc=$?
	check "systemd-analyze verify $u: exit 0 and not a warning" bash -c "cat '$dir/verify.out'; [ $rc = 0 ] && [ ! -s '$dir/verify.out' ]"
done
systemd-analyze security --offline=yes --root="$root" "$root$prefix/lib/systemd/system/akmad.service" \
	> "$dir/security.out" 2>&1
score=$(sed -n 's/.*Overall exposure level for akmad.service: \([0-9.]*\).*/\1/p' "$dir/security.out")
echo "systemd-analyze security --offline=yes akmad.service: exposure ${score:-?} (0 safest, 10 unsafe)"
check "systemd-analyze security: exposure below 2 (${score:-none})" \
	$PY -c "import sys; sys.exit(0 if '$score' and float('$score') < 2 else 1)"

# ---- sd_notify ----------------------------------------------------------------------------------
wport=$(free_port) rport=$(free_port)
new_key "$dir/akmad.psk"
new_key "$dir/akmad.kek"
private_redis $rport || { echo "FAIL redis-server did not start"; exit 1; }
cat > "$dir/akmad.conf" << CONF
[engine]
capacity = 100000
requests = 4096
[wire]
listen = udp:127.0.0.1:$wport
psk_file = akmad.psk
[sbi]
listen =
[metrics]
listen =
[redis]
address = 127.0.0.1:$rport
[replication]
kek_file = akmad.kek
CONF
# Something to recover, so that READY=1 has a recovery to wait for.
"$AKMAD" --config "$dir/akmad.conf" > "$dir/first.log" 2>&1 &
first=$!
pids+=($first)
for _ in $(seq 1 300); do grep -q "listening on" "$dir/first.log" && break; sleep 0.1; done
"$AKMACTL" load --config "$dir/akmad.conf" --contexts 20000 > /dev/null
kill -TERM $first
wait $first
$PY "$SRC/tests/notify_listen.py" "$dir/notify.sock" "$dir/notify.out" \
	"$AKMACTL" stats --config "$dir/akmad.conf" --timeout 1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$dir/notify.out" 2> /dev/null && break; sleep 0.1; done
NOTIFY_SOCKET=$dir/notify.sock WATCHDOG_USEC=400000 "$AKMAD" --config "$dir/akmad.conf" \
	> "$dir/akmad.log" 2>&1 &
pid=$!
pids+=($pid)
for _ in $(seq 1 300); do
	grep -q "READY=1" "$dir/notify.out" && [ "$(grep -c WATCHDOG=1 "$dir/notify.out")" -ge 3 ] && break
	sleep 0.1
done
kill -TERM $pid
wait $pid
for _ in $(seq 1 100); do grep -q "STOPPING=1" "$dir/notify.out" && break; sleep 0.1; done
cat "$dir/notify.out" | sort -u -k2 | head -12
order() { grep -m1 -n "$1" "$dir/notify.out" | cut -d: -f1; }
check "STATUS while recovering from Redis, before READY=1" bash -c "
	r=\$(grep -m1 -n 'STATUS=recovering' $dir/notify.out | cut -d: -f1); y=\$(grep -m1 -n 'READY=1' $dir/notify.out | cut -d: -f1)
	[ -n \"\$r\" ] && [ -n \"\$y\" ] && [ \"\$r\" -lt \"\$y\" ]"
check "READY=1 only once recovered: 20000 contexts in the log before it, and it serves at once" bash -c "
	grep -q 'recovered 20000 contexts' $dir/akmad.log && grep -q 'check ok' $dir/notify.out"
check "WATCHDOG=1 from the main loop under WATCHDOG_USEC" bash -c "[ \$(grep -c WATCHDOG=1 $dir/notify.out) -ge 3 ]"
check "STOPPING=1 on SIGTERM" grep -q "STOPPING=1" "$dir/notify.out"
check "without NOTIFY_SOCKET akmad runs as ever (the first run above)" grep -q "stopped" "$dir/first.log"
check_done
