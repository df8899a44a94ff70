#!/bin/sh
# Build the Debian package from this tree with Debian's own tooling: copy
# the tree (without build/ and .git) to a scratch directory, put
# packaging/debian/ at its top, run dpkg-buildpackage -us -uc -b there and
# lintian on the result. The .deb, .buildinfo and .changes land in OUTDIR.
#
# Usage: sh packaging/build-deb.sh OUTDIR
# Needs: dpkg-dev, debhelper, bash-completion, lintian and the -dev
# packages of debian/control (sh tests/deps.sh installs them).
set -eu
# A caller's make (make check, make deb) passes its variables, such as
# BUILD=build/san SANITIZE=1, down through MAKEFLAGS, and exports those
# given on its command line into the environment: the package must be
# built with its own settings only.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD SANITIZE

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(cat "$top/VERSION")

work=$(mktemp -d "${TMPDIR:-/tmp}/preflight-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/image-preflight-$version"
mkdir "$src"
(cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) |
	(cd "$src" && tar -xf -)
cp -R "$src/packaging/debian" "$src/debian"

DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2}
export DEB_BUILD_OPTIONS
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1
then
	tail -n 40 "$work/build.log" >&2
	echo "build-deb: error: dpkg-buildpackage failed (log above)" >&2
	exit 1
fi
# The package, its debug symbols (-dbgsym), .buildinfo and .changes.
for f in "$work"/image-preflight*_"$version"_*; do
	cp "$f" "$out/"
done

# Every warning and error fails the build; overrides, each with its
# reason, are in debian/image-preflight.lintian-overrides.
changes=$(ls "$out"/image-preflight_"$version"_*.changes)
if ! lintian --allow-root --fail-on warning,error --info \
	"$changes" >"$work/lintian.log" 2>&1
then
	cat "$work/lintian.log" >&2
	echo "build-deb: error: lintian found problems (above)" >&2
	exit 1
fi
cat "$work/lintian.log"
ls "$out"/image-preflight_"$version"_*.deb
