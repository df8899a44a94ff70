#!/bin/sh
# Build the RPM from this tree with rpmbuild: a source tarball of the tree
# (without build/ and .git), then rpmbuild -ba with packaging/rpm's spec in
# a scratch _topdir. The .rpm and .src.rpm land in OUTDIR.
#
# Usage: sh packaging/build-rpm.sh OUTDIR
# On a Debian machine (the rpm package) the BuildRequires name Fedora
# packages that dpkg does not know: RPM_NODEPS=1 adds --nodeps, and the
# Debian -dev packages stand in for them.
set -eu
# A caller's make (make check, make deb) passes its variables, such as
# BUILD=build/san SANITIZE=1, down through MAKEFLAGS, and exports those
# given on its command line into the environment: the package must be
# built with its own settings only.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD SANITIZE

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-rpm.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(cat "$top/VERSION")
spec="$top/packaging/rpm/image-preflight.spec"

work=$(mktemp -d "${TMPDIR:-/tmp}/preflight-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SOURCES" "$work/src/image-preflight-$version"
(cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) |
	(cd "$work/src/image-preflight-$version" && tar -xf -)
tar -C "$work/src" -czf "$work/SOURCES/image-preflight-$version.tar.gz" \
	"image-preflight-$version"

set -- -ba --define "_topdir $work" "$spec"
[ "${RPM_NODEPS:-0}" = 1 ] && set -- --nodeps "$@"
if ! rpmbuild "$@" >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	echo "build-rpm: error: rpmbuild failed (log above)" >&2
	exit 1
fi
find "$work/RPMS" "$work/SRPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"/image-preflight-"$version"-*.rpm
