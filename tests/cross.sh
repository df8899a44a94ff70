#!/bin/sh
# Build image-preflight for the other node architectures with Debian's
# cross compilers, warnings as errors, each in build/cross/ARCH/.
#
# Usage: sh tests/cross.sh [--deb OUTDIR] [ARCH...]
#   ARCH: arm64 armhf ppc64el s390x riscv64 (default: all of them)
#   --deb OUTDIR: also build the Debian package for each ARCH with
#   packaging/build-deb.sh (dpkg-buildpackage -a ARCH, the same compiler
#   and libraries), lintian-checked, into OUTDIR
#
# Installs what it needs, idempotently: the cross compiler and qemu-user
# (apt), and for each Debian release architecture a sysroot of the
# libraries' -dev packages for that architecture, downloaded with apt
# and unpacked, never installed, under $CROSS_ROOT/ARCH (default
# ~/.cache/image-preflight/cross, kept across clones and CI runs; it is
# unpacked again when apt resolves other versions). `dpkg
# --add-architecture` and one `apt-get update` happen only when an
# architecture is new to apt. riscv64 is not in bookworm: its libraries
# are built from Debian's source packages by tests/lib/crossdeps.sh,
# once, into $CROSS_ROOT/riscv64 (remove it to build them again).
#
# Prints one line per architecture built, for running it under qemu-user:
#   ARCH BINARY QEMU PREFIX UNAME
# e.g. "arm64 build/cross/arm64/image-preflight qemu-aarch64-static
# $CROSS_ROOT/arm64 aarch64". Exits 1 when any architecture failed,
# after trying all of them.
set -u
cd "$(dirname "$0")/.." || exit 1

CROSS_ALL="arm64 armhf ppc64el s390x riscv64"
CROSS_ROOT=${CROSS_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/image-preflight/cross}
# The -dev packages the Makefile's LIBS come from.
CROSS_DEV_PKGS="libcurl4-openssl-dev libjansson-dev libarchive-dev
libssl-dev libyaml-dev zlib1g-dev libzstd-dev"

# What libc6-dev brings, which the cross compiler has its own of.
CROSS_LIBC_DEV_PKGS="libc6-dev|libc-dev-bin|linux-libc-dev|libcrypt-dev|\
libtirpc-dev|libnsl-dev|rpcsvc-proto"

warn() { echo "cross.sh: $*" >&2; }

# cross_arch ARCH: set TRIPLET, QEMU, LOADER (the ELF interpreter the
# binary names) and UNAME (what uname -m says under qemu-user).
cross_arch() {
	case $1 in
	arm64) TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64-static
		LOADER=/lib/ld-linux-aarch64.so.1 UNAME=aarch64 ;;
	armhf) TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm-static
		LOADER=/lib/ld-linux-armhf.so.3 UNAME=armv7l ;;
	ppc64el) TRIPLET=powerpc64le-linux-gnu QEMU=qemu-ppc64le-static
		LOADER=/lib64/ld64.so.2 UNAME=ppc64le ;;
	s390x) TRIPLET=s390x-linux-gnu QEMU=qemu-s390x-static
		LOADER=/lib/ld64.so.1 UNAME=s390x ;;
	riscv64) TRIPLET=riscv64-linux-gnu QEMU=qemu-riscv64-static
		LOADER=/lib/ld-linux-riscv64-lp64d.so.1 UNAME=riscv64 ;;
	*) return 1 ;;
	esac
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		warn "error: need root or sudo for: $*"
		return 1
	fi
}

# apt_update: `apt-get update`, waiting for another apt to finish.
apt_update() {
	tries=0
	until as_root apt-get update -q >"$log" 2>&1; do
		tries=$((tries + 1))
		if [ "$tries" -ge 20 ] || ! grep -q 'Could not get lock' "$log"
		then
			tail -n 5 "$log" >&2
			warn "error: apt-get update failed"
			return 1
		fi
		sleep 10
	done
}

# apt_install PKG...: install those not installed yet; one apt-get
# update and a second try when apt does not know one of them.
apt_install() {
	missing=""
	for p in "$@"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
		[ "$st" = "installed" ] || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	warn "installing:$missing"
	# shellcheck disable=SC2086
	set -- env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
		-o DPkg::Lock::Timeout=600 install $missing
	if ! as_root "$@" >"$log" 2>&1; then
		apt_update || return 1
		if ! as_root "$@" >"$log" 2>&1; then
			tail -n 20 "$log" >&2
			warn "error: apt-get install failed for:$missing"
			return 1
		fi
	fi
}

# apt_for ARCH ARGS...: apt-get as if ARCH were the only architecture
# and nothing were installed: the -dev packages and all they need, at
# that architecture's own versions. Touches no system state (it reads
# the package lists apt-get update fetched, writes no cache).
apt_for() {
	a=$1
	shift
	apt-get -q -o APT::Architecture="$a" -o APT::Architectures::="$a" \
		-o Dir::State::status="$empty_status" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "$@"
}

# sysroot_fix_links DIR: absolute symlinks in a sysroot point at the
# build machine's files; make them relative, inside DIR.
sysroot_fix_links() {
	find "$1" -type l | while read -r l; do
		t=$(readlink "$l")
		case $t in
		/*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" \
			"$1$t")" "$l" ;;
		esac
	done
}

# sysroot_download ARCH DIR PKGS: apt-get download PKGS (NAME=VERSION)
# for ARCH into DIR.
sysroot_download() {
	rm -rf "$2" && mkdir -p "$2" || return 1
	# shellcheck disable=SC2086
	if ! (cd "$2" && apt_for "$1" download $3) >"$log" 2>&1; then
		tail -n 10 "$log" >&2
		warn "error: downloading the $1 packages failed"
		return 1
	fi
}

# sysroot_control DIR DEBDIR: DIR/DEBIAN/shlibs and DIR/DEBIAN/symbols,
# those of every package in DEBDIR (dpkg-deb -e) in one. With them DIR
# is, to dpkg-shlibdeps -S DIR, a package build tree that holds the
# target's libraries and names the package and version each needs: the
# dependency information a multiarch installation would keep in the
# dpkg database, without installing anything.
sysroot_control() {
	rm -rf "$1/DEBIAN.new" "$2/ctl" && mkdir -p "$1/DEBIAN.new" || return 1
	for deb in "$2"/*.deb; do
		dpkg-deb -e "$deb" "$2/ctl" || return 1
		for f in shlibs symbols; do
			[ ! -f "$2/ctl/$f" ] || cat "$2/ctl/$f" >>"$1/DEBIAN.new/$f"
		done
		rm -rf "$2/ctl"
	done
	[ -s "$1/DEBIAN.new/shlibs" ] || {
		warn "error: no shlibs file in the packages for $1"
		return 1
	}
	rm -rf "$1/DEBIAN" && mv "$1/DEBIAN.new" "$1/DEBIAN"
}

# sysroot_debian ARCH DIR: unpack the -dev packages for ARCH, and every
# library they need, under DIR; DIR/.done lists the packages, and while
# apt resolves the same versions nothing is done again.
sysroot_debian() {
	# shellcheck disable=SC2086
	apt_for "$1" install -s --no-install-recommends $CROSS_DEV_PKGS \
		>"$log" 2>&1
	# The C library's development files come from the cross compiler
	# (libc6-dev-ARCH-cross), not from the sysroot: its libc.so is a
	# linker script naming absolute paths, which would send ld out of
	# the sysroot. zlib1g-dev pulls them in; leave them out.
	pkgs=$(sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1=\2/p' "$log" |
		grep -v -E "^($CROSS_LIBC_DEV_PKGS)=")
	if [ -z "$pkgs" ]; then
		tail -n 10 "$log" >&2
		warn "error: apt cannot resolve the $1 libraries"
		return 1
	fi
	if [ "$(cat "$2/.done" 2>/dev/null)" = "$pkgs" ]; then
		[ -f "$2/DEBIAN/shlibs" ] && return 0
		# unpacked by an older cross.sh, which kept no control data:
		# add it, leaving the files in place for builds running now
		sysroot_download "$1" "$2.ctl" "$pkgs" &&
			sysroot_control "$2" "$2.ctl"
		st=$?
		rm -rf "$2.ctl"
		return "$st"
	fi
	rm -rf "$2" "$2.debs"
	sysroot_download "$1" "$2.debs" "$pkgs" || return 1
	for deb in "$2.debs"/*.deb; do
		dpkg-deb -x "$deb" "$2" || return 1
	done
	sysroot_fix_links "$2"
	sysroot_control "$2" "$2.debs" || return 1
	rm -rf "$2.debs"
	printf '%s\n' "$pkgs" >"$2/.done"
}

# cross_prepare ARCH: the sysroot, or for riscv64 the libraries built
# from source; sets PREFIX (for qemu -L) and SYSROOT.
cross_prepare() {
	SYSROOT=$CROSS_ROOT/$1
	if [ "$1" = riscv64 ]; then
		sh tests/lib/crossdeps.sh "$TRIPLET" "$SYSROOT" || return 1
		PREFIX=/usr/$TRIPLET
		return 0
	fi
	sysroot_debian "$1" "$SYSROOT" || return 1
	PREFIX=$SYSROOT
}

# cross_env ARCH: the compiler's view of the target's libraries:
# exports PKG_CONFIG_LIBDIR (and PKG_CONFIG_SYSROOT_DIR), sets PC (the
# pkg-config command), INC (include flags) and LIBFLAGS (link flags).
cross_env() {
	sr=$(realpath "$SYSROOT") || return 1
	if [ "$1" = riscv64 ]; then
		# static libraries: their own dependencies come from Libs.private
		PC="pkg-config --static"
		libdir=$sr/lib
		export PKG_CONFIG_LIBDIR="$sr/lib/pkgconfig"
		unset PKG_CONFIG_SYSROOT_DIR
		INC="-isystem $sr/include"
	else
		PC=pkg-config
		libdir=$sr/usr/lib/$TRIPLET
		export PKG_CONFIG_LIBDIR="$libdir/pkgconfig:$sr/usr/share/pkgconfig"
		export PKG_CONFIG_SYSROOT_DIR="$sr"
		INC="-isystem $sr/usr/include/$TRIPLET -isystem $sr/usr/include"
	fi
	LIBFLAGS="-L$libdir -Wl,-rpath-link,$libdir -Wl,-rpath-link,$sr/lib/$TRIPLET"
}

# cross_build ARCH: make the binary in build/cross/ARCH with the cross
# compiler, the sysroot's headers and libraries, and -Werror.
cross_build() {
	cross_env "$1" || return 1
	# a make that runs us (make check) passes its own variables down
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s BUILD="build/cross/$1" CC="$TRIPLET-gcc" AR="$TRIPLET-ar" \
		PKG_CONFIG="$PC" WERROR=1 SANITIZE=0 CFLAGS="-O2 -g $INC" \
		LDFLAGS="$LIBFLAGS" all
}

# shlibs_tree_riscv64 DIR ARCH: the package build tree dpkg-shlibdeps -S
# reads for riscv64, where bookworm has no libc6 package, only the cross
# compiler's copy of it: its shared libraries, copied (a symbolic link
# would lead dpkg-shlibdeps to libc6-riscv64-cross, whose shlibs name
# the uninstallable libc6:riscv64) and that copy's shlibs without the
# architecture qualifier. Every other library is linked statically.
shlibs_tree_riscv64() {
	lib=$1/lib/$TRIPLET
	rm -rf "$1" && mkdir -p "$lib" "$1/DEBIAN" || return 1
	for so in $(dpkg -L "libc6-$2-cross" | grep '/lib/[^/]*\.so\.[0-9]*$')
	do
		cp -L "$so" "$lib/" || return 1
	done
	ctl=$(dpkg-query --control-path "libc6-$2-cross" shlibs) &&
		sed "s/:$2 / /" "$ctl" >"$1/DEBIAN/shlibs"
}

# cross_deb ARCH OUTDIR: the Debian package for ARCH, built by
# packaging/build-deb.sh with the compiler and libraries of cross_build;
# its report goes to stderr, to keep stdout to one line per ARCH.
cross_deb() {
	cross_env "$1" || return 1
	tree=$(realpath "$SYSROOT") || return 1
	rvtree=""
	if [ "$1" = riscv64 ]; then
		rvtree=$(mktemp -d "${TMPDIR:-/tmp}/cross-shlibs.XXXXXX") &&
			tree=$rvtree/root &&
			shlibs_tree_riscv64 "$tree" "$1" || return 1
	fi
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		CC="$TRIPLET-gcc" AR="$TRIPLET-ar" PKG_CONFIG="$PC" \
		DEB_CPPFLAGS_APPEND="$INC" DEB_LDFLAGS_APPEND="$LIBFLAGS" \
		PREFLIGHT_SHLIBS_TREE="$tree" \
		sh packaging/build-deb.sh "$2" "$1" >&2
	st=$?
	[ -z "$rvtree" ] || rm -rf "$rvtree"
	return "$st"
}

# cross_loader PREFIX: the loader the binary names must be in PREFIX.
cross_loader() {
	[ -e "$1$LOADER" ] && return 0
	real=$1/lib/$TRIPLET/$(basename "$LOADER")
	[ -e "$real" ] || return 1
	mkdir -p "$1$(dirname "$LOADER")" &&
		ln -sfn "$(realpath -m --relative-to="$1$(dirname "$LOADER")" \
			"$real")" "$1$LOADER"
}

deb_out=""
if [ "${1:-}" = --deb ]; then
	[ $# -ge 2 ] || { warn "error: --deb needs an output directory"; exit 3; }
	deb_out=$2
	shift 2
fi
[ $# -eq 0 ] && set -- $CROSS_ALL
log=$(mktemp "${TMPDIR:-/tmp}/cross.XXXXXX") || exit 1
empty_status=$(mktemp "${TMPDIR:-/tmp}/cross-status.XXXXXX") || exit 1
trap 'rm -f "$log" "$empty_status"' EXIT

# Tools first, then the architectures apt does not know yet, with one
# apt-get update for all of them.
tools="qemu-user-static pkg-config dpkg-dev"
[ -z "$deb_out" ] || tools="$tools debhelper bash-completion lintian"
new_arch=0
for a in "$@"; do
	cross_arch "$a" || { warn "error: unknown architecture '$a'"; exit 3; }
	tools="$tools gcc-$TRIPLET libc6-dev-$a-cross"
	# riscv64's libraries are built from source
	[ "$a" = riscv64 ] &&
		tools="$tools cmake autoconf automake libtool" && continue
	if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
		as_root dpkg --add-architecture "$a" || exit 1
		new_arch=1
	fi
done
# shellcheck disable=SC2086
apt_install $tools || exit 1
if [ "$new_arch" -eq 1 ]; then
	apt_update || exit 1
fi

status=0
for a in "$@"; do
	cross_arch "$a"
	t0=$(date +%s)
	if cross_prepare "$a" && cross_build "$a" &&
		cross_loader "$PREFIX" &&
		{ [ -z "$deb_out" ] || cross_deb "$a" "$deb_out"; }; then
		warn "$a: built in $(($(date +%s) - t0)) s"
		echo "$a build/cross/$a/image-preflight $QEMU $PREFIX $UNAME"
	else
		warn "error: the $a build failed"
		status=1
	fi
done
exit "$status"
