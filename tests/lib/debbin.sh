#!/bin/sh
# Fetch real Linux binaries for several architectures from Debian packages.
#
# Usage: sh tests/lib/debbin.sh [--cache DIR] [--no-dynamic]
#
# Downloads busybox-static for amd64, arm64, armhf, ppc64el, s390x (and
# riscv64 when the archive has it) with dpkg multiarch, and unpacks each
# package under DIR/ARCH/busybox-static (default DIR: build/debcache, or
# $DEBCACHE).  Unless --no-dynamic is given it also fetches the dynamically
# linked `hello` and its `libc6` (loader and libc) for amd64 and arm64.
#
# Idempotent: a package already unpacked is not fetched again, and
# `apt-get update` runs only when apt does not know an architecture yet.
# Prints one line per binary found: "KIND ARCH PATH", e.g.
#   busybox arm64 build/debcache/arm64/busybox-static/bin/busybox
# Architectures that cannot be fetched are reported on stderr and skipped;
# the script fails only if no busybox at all could be had.
set -eu

cache=${DEBCACHE:-build/debcache}
dynamic=1
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--cache=*) cache=${1#--cache=}; shift ;;
	--no-dynamic) dynamic=0; shift ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "debbin.sh: unknown argument '$1'" >&2; exit 3 ;;
	esac
done

static_arches="amd64 arm64 armhf ppc64el s390x"
# Tried only when dpkg already knows the architecture and apt has the
# package (riscv64 is not in bookworm main): never added, never updated for.
optional_arches="riscv64"
dynamic_arches="amd64 arm64"
native=$(dpkg --print-architecture)
updated=0

warn() { echo "debbin.sh: $*" >&2; }

# debbin_have_arch ARCH: make dpkg know ARCH as a foreign architecture.
debbin_have_arch() {
	[ "$1" = "$native" ] && return 0
	dpkg --print-foreign-architectures | grep -qx "$1" && return 0
	if [ "$(id -u)" != 0 ]; then
		warn "not root: cannot add architecture '$1'"
		return 1
	fi
	dpkg --add-architecture "$1"
	updated=0	# the package lists must be read again for it
}

# debbin_known PKG:ARCH: true when apt has a candidate for it, after at
# most one `apt-get update` per run.
debbin_known() {
	if apt-cache show "$1" >/dev/null 2>&1; then
		return 0
	fi
	if [ "$updated" = 0 ] && [ "$(id -u)" = 0 ]; then
		warn "apt does not know '$1'; running apt-get update"
		apt-get update -qq >/dev/null 2>&1 || warn "apt-get update failed"
		updated=1
		apt-cache show "$1" >/dev/null 2>&1 && return 0
	fi
	return 1
}

# debbin_fetch PKG ARCH: unpack PKG:ARCH into $cache/ARCH/PKG; idempotent.
debbin_fetch() {
	dest=$cache/$2/$1
	[ -f "$dest/.done" ] && return 0
	if echo " $optional_arches " | grep -q " $2 "; then
		if ! dpkg --print-foreign-architectures | grep -qx "$2" ||
			! apt-cache show "$1:$2" >/dev/null 2>&1; then
			warn "'$1:$2' is not available here (optional); skipping $2"
			return 1
		fi
	fi
	debbin_have_arch "$2" || return 1
	if ! debbin_known "$1:$2"; then
		warn "'$1:$2' is not in the configured archive; skipping $2"
		return 1
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/debbin.XXXXXX")
	if ! (cd "$tmp" && apt-get download -qq "$1:$2" >/dev/null 2>&1); then
		warn "apt-get download '$1:$2' failed; skipping $2"
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$dest"
	mkdir -p "$dest"
	dpkg-deb -x "$tmp"/*.deb "$dest"
	basename "$tmp"/*.deb > "$dest/.done"
	rm -rf "$tmp"
}

mkdir -p "$cache"
found=0
for a in $static_arches $optional_arches; do
	if debbin_fetch busybox-static "$a"; then
		bin=$cache/$a/busybox-static/bin/busybox
		if [ -f "$bin" ]; then
			echo "busybox $a $bin"
			found=$((found + 1))
		else
			warn "busybox-static:$a has no /bin/busybox"
		fi
	fi
done

if [ "$dynamic" = 1 ]; then
	for a in $dynamic_arches; do
		if ! debbin_fetch hello "$a" || ! debbin_fetch libc6 "$a"; then
			continue
		fi
		echo "hello $a $cache/$a/hello/usr/bin/hello"
		for ld in "$cache/$a"/libc6/lib/ld-linux*.so.* \
			"$cache/$a"/libc6/lib64/ld-linux*.so.*; do
			[ -e "$ld" ] && echo "loader $a $ld"
		done
		for lc in "$cache/$a"/libc6/lib/*-linux-gnu/libc.so.6; do
			[ -e "$lc" ] && echo "libc $a $lc"
		done
	done
fi

if [ "$found" = 0 ]; then
	warn "no busybox binary could be fetched"
	exit 1
fi
