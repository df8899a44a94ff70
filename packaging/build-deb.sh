#!/bin/sh
# Build the Debian package from this tree with Debian's own tooling: copy
# the tree (without build/ and .git) to a scratch directory, put
# packaging/debian/ at its top, run dpkg-buildpackage -us -uc -b there and
# lintian on the result. The .deb, .buildinfo and .changes land in OUTDIR.
#
# Usage: sh packaging/build-deb.sh OUTDIR [ARCH]
# Needs: dpkg-dev, debhelper, bash-completion, lintian and the -dev
# packages of debian/control (sh tests/deps.sh installs them).
#
# ARCH, another Debian architecture, cross-builds (dpkg-buildpackage -a
# ARCH -d, no tests run): tests/cross.sh --deb OUTDIR ARCH calls this
# with the compiler and the target's libraries in the environment (CC,
# AR, PKG_CONFIG, PKG_CONFIG_LIBDIR, DEB_CPPFLAGS_APPEND,
# DEB_LDFLAGS_APPEND) and PREFLIGHT_SHLIBS_TREE, the directory
# dpkg-shlibdeps takes the target's libraries and their shlibs and
# symbols files from. -d: those libraries are unpacked there, not
# installed, so dpkg cannot see the Build-Depends satisfied.
set -eu
# A caller's make (make check, make deb) passes its variables, such as
# BUILD=build/san SANITIZE=1, down through MAKEFLAGS: the package must
# be built with its own settings only. make also exports a variable set
# on its command line to the environment of its recipes, where the
# package's own make would take it as a default.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD SANITIZE WERROR

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR [ARCH]}
arch=${2:-$(dpkg --print-architecture)}
cross=""
if [ "$arch" != "$(dpkg --print-architecture)" ]; then
	if [ -z "${PREFLIGHT_SHLIBS_TREE:-}" ]; then
		echo "build-deb: error: a package for $arch is built by" \
			"'sh tests/cross.sh --deb $out $arch' (make deb-$arch)" >&2
		exit 3
	fi
	cross="-a $arch -d"
fi
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
# The build machine cannot run the target's binary: the CLI tests run it
# under qemu-user instead.
[ -z "$cross" ] || DEB_BUILD_OPTIONS="$DEB_BUILD_OPTIONS nocheck"
export DEB_BUILD_OPTIONS
# shellcheck disable=SC2086 # $cross: options, split on purpose
if ! (cd "$src" && dpkg-buildpackage $cross -us -uc -b) \
	>"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	echo "build-deb: error: dpkg-buildpackage failed (log above)" >&2
	exit 1
fi
# The package, its debug symbols (-dbgsym), .buildinfo and .changes.
for f in "$work"/image-preflight*_"$version"_"$arch".*; do
	cp "$f" "$out/"
done

# Every warning and error fails the build; overrides, each with its
# reason, are in debian/image-preflight.lintian-overrides.
changes=$out/image-preflight_${version}_$arch.changes
if ! lintian --allow-root --fail-on warning,error --info \
	"$changes" >"$work/lintian.log" 2>&1
then
	cat "$work/lintian.log" >&2
	echo "build-deb: error: lintian found problems (above)" >&2
	exit 1
fi
cat "$work/lintian.log"
ls "$out/image-preflight_${version}_$arch.deb"
