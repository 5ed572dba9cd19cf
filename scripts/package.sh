#!/usr/bin/env bash
# Build the Debian package of akmad with Debian's own tools: a release
# build in build-deb/ (prefix /usr, sysconfdir /etc), `meson install` into a
# staging root, DEBIAN/ from scripts/debian/ (control with the shared
# libraries' packages found by dpkg-shlibdeps, conffiles, md5sums,
# postinst that makes the akmad user), `dpkg-deb --build`, then lintian.
#
#   scripts/package.sh [OUT_DIR]   (default: the checkout's top directory)
#
# AKMA_DEB_BUILD names the build directory (default build-deb/ in the
# checkout); the test points it at a directory of its own.
# Prints the .deb's path on its last line. Installs nothing on this machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top}
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=${AKMA_DEB_BUILD:-$top/build-deb}
"$top/scripts/setup.sh" "$build" --prefix=/usr --sysconfdir=/etc --buildtype=release \
	-Db_ndebug=true > /dev/null
version=$(meson introspect "$build" --projectinfo |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
arch=$(dpkg --print-architecture)
stage=$(mktemp -d /tmp/akmad-deb-XXXXXX)
trap 'rm -rf "$stage"' EXIT
root=$stage/akmad_${version}_$arch
DESTDIR=$root meson install -C "$build" --no-rebuild --quiet
# Debian's units go under /lib/systemd/system in bookworm (not usrmerged paths
# of /usr/lib for packages yet); akma-bench is a benchmark, kept.
mkdir -p "$root/lib/systemd"
mv "$root/usr/lib/systemd/system" "$root/lib/systemd/system"
rmdir "$root/usr/lib/systemd" "$root/usr/lib" 2> /dev/null || true
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root"/usr/bin/*
doc=$root/usr/share/doc/akmad
install -d -m 0755 "$doc"
install -m 0644 "$top/scripts/debian/copyright" "$doc/copyright"
sed "s/@VERSION@/$version/" "$top/scripts/debian/changelog" | gzip -9n > "$doc/changelog.gz"
gzip -9n "$root"/usr/share/man/man*/*
# Depends: the packages of the shared libraries the programs link.
mkdir -p "$stage/debian"
printf 'Source: akmad\n\nPackage: akmad\nArchitecture: any\n' > "$stage/debian/control"
deps=$(cd "$stage" && dpkg-shlibdeps -O "$root"/usr/bin/* 2> /dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
install -d -m 0755 "$root/DEBIAN"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$deps/" \
	"$top/scripts/debian/control.in" > "$root/DEBIAN/control"
install -m 0755 "$top/scripts/debian/postinst" "$root/DEBIAN/postinst"
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
deb=$out/akmad_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" > /dev/null
if command -v lintian > /dev/null; then
	lintian --fail-on error --suppress-tags-from-file /dev/null "$deb" || {
		echo "package: lintian reports errors" >&2
		exit 1
	}
fi
echo "$deb"
