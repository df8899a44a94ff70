#!/bin/sh
# Build image-preflight's libraries as static archives for a triplet that
# bookworm has no packages for (riscv64), from Debian's own source
# packages (deb-src on Debian's mirror, Debian's patches applied).
#
# Usage: sh tests/lib/crossdeps.sh TRIPLET DIR
#
# DIR receives include/, lib/*.a and lib/pkgconfig/ (zlib, zstd, OpenSSL,
# curl, jansson, libyaml, libarchive); DIR/.done marks it complete, and a
# second run does nothing (until then DIR/.built-PKG marks each package
# done, so an interrupted run resumes). The sources are fetched with a
# private apt configuration under DIR.src (its own deb-src list and
# package lists), so the system's apt sources and state are not touched. Where the mirror
# lacks a version (security updates can be missing from it), the next
# older one is taken. Only what the tool uses is enabled: TLS through
# OpenSSL, gzip and zstd layers, HTTP(S) in curl.
set -u

[ $# -eq 2 ] || { echo "usage: crossdeps.sh TRIPLET DIR" >&2; exit 3; }
host=$1
mkdir -p "$2" || exit 1
prefix=$(realpath "$2")
[ -f "$prefix/.done" ] && exit 0
work=$prefix.src
jobs=$(nproc 2>/dev/null || echo 2)
# The sources, in build order; each is a Debian source package name.
SOURCES="zlib libzstd openssl curl jansson libyaml libarchive"

warn() { echo "crossdeps.sh: $*" >&2; }

apt_private() {
	APT_CONFIG=$work/apt.conf apt-get -q "$@"
}

# A deb-src list of its own: bookworm, its updates, its security updates.
setup_apt() {
	rm -rf "$work" && mkdir -p "$work/lists/partial" \
		"$work/cache/archives/partial" "$work/src" || return 1
	cat >"$work/sources.list" <<-EOF
	deb-src http://deb.debian.org/debian bookworm main
	deb-src http://deb.debian.org/debian bookworm-updates main
	deb-src http://deb.debian.org/debian-security bookworm-security main
	EOF
	cat >"$work/apt.conf" <<-EOF
	Dir::Etc::SourceList "$work/sources.list";
	Dir::Etc::SourceParts "$work/none";
	Dir::State::Lists "$work/lists";
	Dir::Cache "$work/cache";
	Dir::Cache::pkgcache "";
	Dir::Cache::srcpkgcache "";
	EOF
	apt_private update >"$work/update.log" 2>&1 || {
		tail -n 5 "$work/update.log" >&2
		warn "error: apt-get update for the source lists failed"
		return 1
	}
}

# fetch PKG: download and unpack the newest version the mirror serves;
# leaves its directory name in $srcdir.
fetch() {
	versions=$(APT_CONFIG=$work/apt.conf apt-cache showsrc "$1" \
		2>/dev/null | sed -n 's/^Version: //p' | sort -u -r -V)
	for v in $versions; do
		rm -rf "$work/src/$1" && mkdir -p "$work/src/$1"
		if (cd "$work/src/$1" && apt_private source "$1=$v") \
			>"$work/$1.log" 2>&1; then
			srcdir=$(find "$work/src/$1" -mindepth 1 -maxdepth 1 \
				-type d | head -n 1)
			warn "$1 $v"
			return 0
		fi
	done
	tail -n 5 "$work/$1.log" >&2
	warn "error: no version of source package '$1' could be fetched"
	return 1
}

# autoconf packages: static only, for $host, into $prefix.
configure_make() {
	./configure --host="$host" --prefix="$prefix" --disable-shared \
		--enable-static "$@" >>build.log 2>&1 &&
		make -j"$jobs" >>build.log 2>&1 &&
		make install >>build.log 2>&1
}

build_zlib() {
	CHOST=$host CC=$host-gcc ./configure --static --prefix="$prefix" \
		>build.log 2>&1 && make -j"$jobs" libz.a >>build.log 2>&1 &&
		make install >>build.log 2>&1
}

build_libzstd() {
	make -C lib -j"$jobs" CC="$host-gcc" AR="$host-ar" libzstd.a \
		>build.log 2>&1 &&
		make -C lib CC="$host-gcc" PREFIX="$prefix" install-static \
			install-includes install-pc >>build.log 2>&1
}

# OpenSSL's own directory where Debian has it: a node's openssl.cnf.
build_openssl() {
	./Configure linux64-riscv64 --cross-compile-prefix="$host-" \
		--prefix="$prefix" --libdir=lib --openssldir=/usr/lib/ssl \
		no-shared no-tests >build.log 2>&1 &&
		make -j"$jobs" build_libs >>build.log 2>&1 &&
		make install_dev >>build.log 2>&1
}

# curl as Debian configures it for its CA certificates, HTTP(S) only.
build_curl() {
	configure_make --with-openssl="$prefix" --with-zlib="$prefix" \
		--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
		--with-ca-path=/etc/ssl/certs --enable-threaded-resolver \
		--disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
		--disable-telnet --disable-tftp --disable-pop3 --disable-imap \
		--disable-smtp --disable-gopher --disable-mqtt --disable-ftp \
		--disable-file --disable-smb --disable-manual \
		--without-libpsl --without-brotli --without-zstd \
		--without-nghttp2 --without-libidn2 --without-librtmp \
		--without-libssh2 --without-libgsasl
}

# jansson's source package has no configure script: CMake, as Debian
# builds it.
build_jansson() {
	cmake -S . -B build.cross -DCMAKE_SYSTEM_NAME=Linux \
		-DCMAKE_SYSTEM_PROCESSOR="${host%%-*}" \
		-DCMAKE_C_COMPILER="$host-gcc" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$prefix" -DJANSSON_BUILD_DOCS=OFF \
		-DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON \
		>build.log 2>&1 &&
		cmake --build build.cross -j "$jobs" >>build.log 2>&1 &&
		cmake --install build.cross >>build.log 2>&1
}
# libyaml's has none either; Debian runs autoreconf.
build_libyaml() {
	autoreconf -fi >build.log 2>&1 && configure_make
}

# Debian's patches touch its build files: autoreconf, as Debian does.
build_libarchive() {
	autoreconf -fi >build.log 2>&1 &&
		CPPFLAGS="-I$prefix/include" LDFLAGS="-L$prefix/lib" \
		PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" configure_make \
		--with-zlib --with-zstd --without-bz2lib --without-lzma \
		--without-lz4 --without-xml2 --without-expat --without-openssl \
		--without-nettle --without-mbedtls --without-cng \
		--without-iconv --without-libb2 --disable-acl --disable-xattr \
		--disable-bsdtar --disable-bsdcpio --disable-bsdcat
}

setup_apt || exit 1
for s in $SOURCES; do
	[ -f "$prefix/.built-$s" ] && continue
	t0=$(date +%s)
	fetch "$s" || exit 1
	if ! (cd "$srcdir" && PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
		"build_$s"); then
		tail -n 20 "$srcdir/build.log" >&2
		warn "error: building '$s' for $host failed"
		exit 1
	fi
	: >"$prefix/.built-$s"
	warn "$s built in $(($(date +%s) - t0)) s"
done
rm -rf "$work" "$prefix"/.built-*
: >"$prefix/.done"
