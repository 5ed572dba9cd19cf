#!/usr/bin/env bash
# The Debian package: scripts/package.sh builds it (its own build directory
# and output here), lintian finds no error, and the package extracted with
# dpkg-deb -x into a throwaway directory runs: akmad --version, akmactl
# --help (reading /etc/akmad/akmad.conf, the packaged default), the files
# an operator expects. Never dpkg -i, never a maintainer script on this
# machine.
set -u
SRC=${1:?usage: integration_package.sh SOURCE_DIR}
dir=$(mktemp -d /tmp/akma-package-XXXXXX)
trap 'rm -rf "$dir"' EXIT
. "$(dirname "$0")/check.sh"

AKMA_DEB_BUILD=$dir/build-deb "$SRC/scripts/package.sh" "$dir/out" > "$dir/package.log" 2>&1
rc=$?
deb=$(tail -1 "$dir/package.log")
check "scripts/package.sh builds a .deb, lintian reporting no error" bash -c "
	tail -5 '$dir/package.log'; [ $rc = 0 ] && [ -f '$deb' ]"
[ -f "$deb" ] || { check_done; exit 1; }
lintian "$deb" > "$dir/lintian.out" 2>&1
echo "lintian: $(grep -c '^E:' "$dir/lintian.out") errors, $(grep -c '^W:' "$dir/lintian.out") warnings"
check "lintian: no error" bash -c "cat '$dir/lintian.out'; ! grep -q '^E:' '$dir/lintian.out'"
dpkg-deb -I "$deb" > "$dir/info"
check "control: Depends names the Debian packages of the libraries it links" bash -c "
	grep -E '^ Depends: .*librte-eal23.*libipsec-mb1.*' '$dir/info' || grep '^ Depends' '$dir/info'
	grep -q '^ Depends: .*librte-eal23' '$dir/info' && grep -q 'libipsec-mb1' '$dir/info' &&
	grep -q 'liburcu8' '$dir/info' && grep -q 'libhiredis0.14' '$dir/info'"
x=$dir/extracted
dpkg-deb -x "$deb" "$x"
check "extracted: the programs, the configuration, the units, the man pages, the copyright" bash -c "
	for f in usr/bin/akmad usr/bin/akmactl usr/bin/akma-sbi usr/bin/akma-bench etc/akmad/akmad.conf \
		lib/systemd/system/akmad.service 'lib/systemd/system/akmad@.service' \
		usr/share/man/man8/akmad.8.gz usr/share/man/man5/akmad.conf.5.gz \
		usr/share/doc/akmad/copyright usr/share/akmad/grafana/akmad.json; do
		[ -e '$x'/\"\$f\" ] || { echo missing \$f; exit 1; }
	done"
check "the extracted akmad runs: --version" bash -c "'$x/usr/bin/akmad' --version | grep -q '^akmad '"
check "the extracted akmactl runs: --help, the packaged configuration its default" bash -c "
	'$x/usr/bin/akmactl' --help | grep -q '/etc/akmad/akmad.conf;'"
check "the unit starts the packaged akmad on the packaged configuration" \
	grep -qx 'ExecStart=/usr/bin/akmad --config /etc/akmad/akmad.conf' "$x/lib/systemd/system/akmad.service"
check_done
