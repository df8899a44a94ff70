#!/usr/bin/env bats
# The Debian packages for the other node architectures
# (tests/cross.sh --deb, after 90-cross.bats built the binaries and
# sysroots it reuses): each is built by dpkg-buildpackage -a ARCH and
# passes lintian; it names its architecture and the runtime packages its
# binary links (for riscv64, whose other libraries are static, only
# libc6), holds the same files as the native package, and the binary
# taken out of it runs under qemu-user as on a node of that
# architecture. CROSS_ARCHES picks the architectures, as in 90-cross.

load common

CROSS_ARCHES=${CROSS_ARCHES:-arm64 armhf ppc64el s390x riscv64}

# The files of every package, whatever its architecture.
DEB_FILES="usr/bin/image-preflight
usr/share/bash-completion/completions/image-preflight
usr/share/doc/image-preflight/README.md.gz
usr/share/doc/image-preflight/changelog.Debian.gz
usr/share/doc/image-preflight/changelog.gz
usr/share/doc/image-preflight/copyright
usr/share/lintian/overrides/image-preflight
usr/share/man/man1/image-preflight-check.1.gz
usr/share/man/man1/image-preflight-host.1.gz
usr/share/man/man1/image-preflight-inspect.1.gz
usr/share/man/man1/image-preflight-kubeadm.1.gz
usr/share/man/man1/image-preflight.1.gz
usr/share/zsh/vendor-completions/_image-preflight"

# The runtime packages of the Makefile's LIBS, and glibc's.
DEB_DEPENDS="libarchive13 libc6 libcurl4 libjansson4 libssl3 libyaml-0-2 libzstd1
zlib1g"

setup_file() {
	local top t0=$SECONDS
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export CROSS_TOP=$top
	export DEB_DIR="$BATS_FILE_TMPDIR/debs"
	export CROSS_OUT="$BATS_FILE_TMPDIR/cross.out"
	export CROSS_ERR="$BATS_FILE_TMPDIR/cross.err"
	# shellcheck disable=SC2086 # a list of words on purpose
	(cd "$top" && sh tests/cross.sh --deb "$DEB_DIR" $CROSS_ARCHES) \
		>"$CROSS_OUT" 2>"$CROSS_ERR" || {
		cat "$CROSS_ERR" >&2
		echo "setup_file: tests/cross.sh --deb failed" >&2
	}
	echo "# packages built in $((SECONDS - t0)) s" >&3
}

# deb_of ARCH: sets DEB, the package for ARCH, and QEMU, PREFIX and
# UNAME from tests/cross.sh's line for it.
deb_of() {
	local line v
	v=$(cat "$CROSS_TOP/VERSION")
	DEB="$DEB_DIR/image-preflight_${v}_$1.deb"
	line=$(grep "^$1 " "$CROSS_OUT") && [ -f "$DEB" ] || {
		echo "no $1 package (tests/cross.sh --deb said):" >&2
		cat "$CROSS_ERR" >&2
		return 1
	}
	read -r _ _ QEMU PREFIX UNAME <<<"$line"
	PREFIX=$(cd "$CROSS_TOP" && realpath "$PREFIX")
}

# same_lists WHAT A B: A and B (texts of lines) are equal, else show both.
same_lists() {
	[ "$2" = "$3" ] && [ -n "$2" ] && return 0
	echo "$1 differ:" >&2
	diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") >&2
	return 1
}

# deb_depends DEB: the package names of its Depends, one per line, sorted.
deb_depends() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' |
		sed 's/^ *//; s/ .*//' | sed '/^$/d' | sort
}

# package_is ARCH DEPENDS: the package's fields, files and dependencies,
# and lintian's verdict on it.
package_is() {
	deb_of "$1" || return 1
	[ "$(dpkg-deb -f "$DEB" Package)" = image-preflight ]
	[ "$(dpkg-deb -f "$DEB" Version)" = "$(cat "$CROSS_TOP/VERSION")" ]
	same_lists "Architecture of the $1 package" \
		"$(dpkg-deb -f "$DEB" Architecture)" "$1"
	# shellcheck disable=SC2086 # $2: a list of words on purpose
	same_lists "Depends of the $1 package ($(dpkg-deb -f "$DEB" Depends))" \
		"$(deb_depends "$DEB")" "$(printf '%s\n' $2)"
	same_lists "files of the $1 package" \
		"$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6);
			print $6 }' | sort)" "$DEB_FILES"
	run lintian --allow-root --fail-on warning,error "$DEB"
	[ "$status" -eq 0 ] || {
		echo "lintian on the $1 package: $output" >&2
		return 1
	}
}

# runs_from_package ARCH PLATFORM: the binary dpkg-deb -x takes out of
# the package starts under qemu-user, knows its version, and `host`
# names the emulated machine and its platform.
runs_from_package() {
	deb_of "$1" || return 1
	local root="$BATS_TEST_TMPDIR/root"
	dpkg-deb -x "$DEB" "$root"
	PREFLIGHT="$BATS_TEST_TMPDIR/preflight-$1"
	printf '#!/bin/sh\nexec %q -L %q %q "$@"\n' "$QEMU" "$PREFIX" \
		"$root/usr/bin/image-preflight" >"$PREFLIGHT"
	chmod +x "$PREFLIGHT"
	pf --version
	expect_status 0 || return 1
	same_lists "--version of the $1 package" "$(head -n 1 "$PF_OUT")" \
		"image-preflight $(cat "$CROSS_TOP/VERSION")"
	pf host -o json
	expect_status 0 || return 1
	same_lists "host of the $1 package" \
		"$(jq -r '.host | .machine + " " + .os + "/" + .architecture +
			(if .variant == "" then "" else "/" + .variant end)' \
			"$PF_OUT")" "$UNAME $2"
}

@test "arm64 package: Architecture arm64, Depends on the eight runtime packages, the native package's files, lintian-clean" {
	package_is arm64 "$DEB_DEPENDS"
}

@test "arm64 package: its binary runs under qemu-user, host is aarch64, linux/arm64" {
	runs_from_package arm64 linux/arm64
}

@test "armhf package: Architecture armhf, Depends on the eight runtime packages, the native package's files, lintian-clean" {
	package_is armhf "$DEB_DEPENDS"
}

@test "armhf package: its binary runs under qemu-user, host is armv7l, linux/arm/v7" {
	runs_from_package armhf linux/arm/v7
}

@test "ppc64el package: Architecture ppc64el, Depends on the eight runtime packages, the native package's files, lintian-clean" {
	package_is ppc64el "$DEB_DEPENDS"
}

@test "ppc64el package: its binary runs under qemu-user, host is ppc64le, linux/ppc64le" {
	runs_from_package ppc64el linux/ppc64le
}

@test "s390x package: Architecture s390x, Depends on the eight runtime packages, the native package's files, lintian-clean" {
	package_is s390x "$DEB_DEPENDS"
}

@test "s390x package: its binary runs under qemu-user, host is s390x, linux/s390x" {
	runs_from_package s390x linux/s390x
}

@test "riscv64 package: Architecture riscv64, Depends on libc6 (>= 2.36) only, the native package's files, lintian-clean" {
	package_is riscv64 libc6
	same_lists "Depends of the riscv64 package" \
		"$(dpkg-deb -f "$DEB" Depends)" "libc6 (>= 2.36)"
}

@test "riscv64 package: its binary runs under qemu-user, host is riscv64, linux/riscv64" {
	runs_from_package riscv64 linux/riscv64
}

@test "the Depends of a cross package are versioned where the library's symbols file says so" {
	deb_of arm64 || return 1
	local dep
	for dep in libarchive13 libc6 libcurl4 libjansson4 libssl3; do
		dpkg-deb -f "$DEB" Depends | grep -Eq "(^|, )$dep \\(>= [0-9]" || {
			echo "arm64: $dep unversioned in: $(dpkg-deb -f "$DEB" Depends)" >&2
			return 1
		}
	done
}

@test "build-deb.sh for another architecture, outside tests/cross.sh, refuses and says how" {
	run env -u PREFLIGHT_SHLIBS_TREE sh "$CROSS_TOP/packaging/build-deb.sh" \
		"$BATS_TEST_TMPDIR/out" s390x
	[ "$status" -eq 3 ]
	[[ $output == *"build-deb: error: a package for s390x is built by 'sh tests/cross.sh --deb"*"(make deb-s390x)"* ]] || {
		echo "$output" >&2
		return 1
	}
	[ ! -e "$BATS_TEST_TMPDIR/out/image-preflight_$(cat "$CROSS_TOP/VERSION")_s390x.deb" ]
}

@test "make deb ARCH=arm64 and make deb-riscv64 cross-build; ARCH from the environment, or the native one, does not" {
	local native
	native=$(dpkg --print-architecture)
	run make -s -n -C "$CROSS_TOP" deb ARCH=arm64
	[[ $output == *"tests/cross.sh --deb build/packages arm64"* ]] || {
		echo "make deb ARCH=arm64: $output" >&2
		return 1
	}
	run make -s -n -C "$CROSS_TOP" deb-riscv64
	[[ $output == *"tests/cross.sh --deb build/packages riscv64"* ]]
	run env ARCH=arm64 make -s -n -C "$CROSS_TOP" deb
	[[ $output == *"packaging/build-deb.sh build/packages"* ]]
	[[ $output != *cross.sh* ]]
	run make -s -n -C "$CROSS_TOP" deb ARCH="$native"
	[[ $output == *"packaging/build-deb.sh build/packages"* ]]
	[[ $output != *cross.sh* ]]
}
