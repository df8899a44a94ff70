#!/usr/bin/env bats
# How node operators get the tool: --version and its libraries, the man
# pages (lint-clean, and documenting exactly the options --help lists),
# bash and zsh completion, make install and uninstall into a DESTDIR, the
# Debian package (dpkg-buildpackage, lintian, dpkg -i) and the RPM
# (rpmbuild). No registry: nothing here fetches an image.

load common

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MAN="$TOP/packaging/man"
COMPLETION="$TOP/packaging/completion"
COMMANDS="check kubeadm inspect host"

# help_options [COMMAND]: the options 'help COMMAND' (or --help) lists,
# one per line, sorted: the option column of each "  -..." line, up to
# the two blanks before its description.
help_options() {
	local args=(--help)
	[ $# -eq 0 ] || args=(help "$1")
	"$PREFLIGHT" "${args[@]}" | awk '
	/^  -/ {
		l = substr($0, 3)
		i = index(l, "  ")
		if (i) l = substr(l, 1, i - 1)
		n = split(l, w, /[ ,]+/)
		for (k = 1; k <= n; k++) if (w[k] ~ /^-/) print w[k]
	}' | sort -u
}

# man_options PAGE: the options a man page documents, one per line,
# sorted: the words starting with '-' in the tag line of each .TP under
# .SH OPTIONS.
man_options() {
	awk '
	/^\.SH / { opts = ($0 ~ /^\.SH OPTIONS/); next }
	opts && /^\.TP/ { tag = 1; next }
	opts && tag {
		tag = 0
		l = $0
		gsub(/\\-/, "-", l)
		gsub(/\\f[BIRP]/, "", l)
		gsub(/"/, " ", l)
		n = split(l, w, /[ ,]+/)
		for (k = 2; k <= n; k++) if (w[k] ~ /^-/) print w[k]
	}' "$1" | sort -u
}

# same_lists WHAT A B: A and B (texts of lines) are equal, else show both.
same_lists() {
	[ "$2" = "$3" ] && [ -n "$2" ] && return 0
	echo "$1 differ:" >&2
	diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") >&2
	return 1
}

# -- --version ----------------------------------------------------------------

@test "--version: first line 'image-preflight VERSION', then each library built with and run with" {
	local v
	v=$(cat "$TOP/VERSION")
	pf --version
	expect_status 0
	[ ! -s "$PF_ERR" ]
	[ "$(head -n 1 "$PF_OUT")" = "image-preflight $v" ] || {
		pf_dump
		return 1
	}
	[ "$(wc -l <"$PF_OUT")" -eq 8 ] || {
		pf_dump
		return 1
	}
	# Built with: the headers pkg-config points at, as the Makefile uses.
	expect_grep libcurl "^libcurl [0-9.]+ \\(built with $(pkg-config --modversion libcurl | sed 's/\./\\./g')\\), TLS: OpenSSL/[0-9]" "$PF_OUT"
	expect_grep jansson "^jansson [0-9.]+ \\(built with $(pkg-config --modversion jansson)\\)\$" "$PF_OUT"
	expect_grep libarchive "^libarchive [0-9.]+ \\(built with $(pkg-config --modversion libarchive)\\), zlib: [0-9.]+, zstd: [0-9.]+\$" "$PF_OUT"
	expect_grep zlib "^zlib [0-9.]+ \\(built with $(pkg-config --modversion zlib)\\)\$" "$PF_OUT"
	expect_grep zstd "^zstd [0-9.]+ \\(built with $(pkg-config --modversion libzstd)\\)\$" "$PF_OUT"
	expect_grep openssl "^OpenSSL [0-9][^ ]* .*\\(built with $(pkg-config --modversion libcrypto) " "$PF_OUT"
	expect_grep libyaml "^libyaml [0-9.]+ \\(built with $(pkg-config --modversion yaml-0.1)\\)\$" "$PF_OUT"
	# Runs with: the libraries the dynamic linker finds.
	expect_grep "libcurl runtime" "^libcurl $(curl-config --version | sed 's/^libcurl //') " "$PF_OUT"
}

@test "--version wins over a command and its options, exit 0" {
	pf check --version 127.0.0.1:9/fx/a:1
	expect_status 0
	[ "$(head -n 1 "$PF_OUT")" = "image-preflight $(cat "$TOP/VERSION")" ]
}

# -- man pages ----------------------------------------------------------------

@test "man pages: one per command, lint-clean under mandoc and groff -ww, versioned" {
	local page v out
	v=$(cat "$TOP/VERSION")
	for page in image-preflight $(printf 'image-preflight-%s ' $COMMANDS); do
		[ -f "$MAN/$page.1" ] || {
			echo "no man page $page.1" >&2
			return 1
		}
		out=$(mandoc -T lint -W warning "$MAN/$page.1" 2>&1) || true
		[ -z "$out" ] || {
			echo "mandoc -T lint $page.1: $out" >&2
			return 1
		}
		out=$(groff -man -ww -z "$MAN/$page.1" 2>&1)
		[ -z "$out" ] || {
			echo "groff -ww $page.1: $out" >&2
			return 1
		}
		grep -q "^\\.TH ${page^^} 1 [0-9-]* \"image-preflight $v\"" \
			"$MAN/$page.1" || {
			echo "$page.1: .TH does not name version $v" >&2
			return 1
		}
	done
}

@test "a lint error in a man page is caught (the lint check can fail)" {
	printf '.TH X 1\n.SH NAME\nx \\- y\n.TP\n.BR\n.XYZ bogus\n' \
		>"$BATS_TEST_TMPDIR/bad.1"
	run mandoc -T lint -W warning "$BATS_TEST_TMPDIR/bad.1"
	[ -n "$output" ]
}

@test "each command's man page documents exactly the options its help lists" {
	local cmd
	for cmd in $COMMANDS; do
		same_lists "options of help $cmd (<) and image-preflight-$cmd.1 (>)" \
			"$(help_options "$cmd")" \
			"$(man_options "$MAN/image-preflight-$cmd.1")"
	done
	same_lists "options of --help (<) and image-preflight.1 (>)" \
		"$(help_options)" "$(man_options "$MAN/image-preflight.1")"
}

@test "the option lists are extracted, not empty: check has --strict, host has no --creds" {
	help_options check | grep -qx -- --strict
	man_options "$MAN/image-preflight-check.1" | grep -qx -- --strict
	help_options kubeadm | grep -qx -- --kubernetes-version
	if help_options host | grep -qx -- --creds ||
		man_options "$MAN/image-preflight-host.1" | grep -qx -- --creds; then
		echo "host lists --creds" >&2
		return 1
	fi
	help_options | grep -qx -- --version
}

@test "image-preflight.1 lists the commands --help lists" {
	local help man
	help=$("$PREFLIGHT" --help | awk '/^Commands:/ { on = 1; next }
		on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' | sort)
	man=$(awk '/^\.SH / { on = ($0 ~ /^\.SH COMMANDS/); next }
		on && /^\.TP/ { t = 1; next }
		on && t { t = 0; if ($2 != "help") print $2 }' \
		"$MAN/image-preflight.1" | sort)
	same_lists "commands of --help (<) and image-preflight.1 (>)" \
		"$help" "$man"
}

# -- bash completion ------------------------------------------------------------

# complete WORD...: the candidates bash completion offers for the last
# WORD (the one being typed), sorted, one per line.
complete_words() {
	bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_image_preflight
		printf "%s\n" "${COMPREPLY[@]}"' \
		bash "$COMPLETION/image-preflight.bash" "$@" | sed '/^$/d' | sort
}

@test "bash completion: registered for image-preflight, the commands first" {
	run bash -c '. "$1" && complete -p image-preflight' bash \
		"$COMPLETION/image-preflight.bash"
	[ "$status" -eq 0 ]
	[[ $output == *"-F _image_preflight image-preflight"* ]]
	same_lists commands "$(complete_words image-preflight '')" \
		"$(printf '%s\n' check help host inspect kubeadm)"
	same_lists "commands after 'in'" "$(complete_words image-preflight in)" \
		inspect
	same_lists "help COMMAND" "$(complete_words image-preflight help '')" \
		"$(printf '%s\n' check host inspect kubeadm)"
}

@test "bash completion: each command's options are exactly those of its help" {
	local cmd
	for cmd in $COMMANDS; do
		same_lists "help $cmd (<) and completion (>)" \
			"$(help_options "$cmd")" \
			"$(complete_words image-preflight "$cmd" -)"
	done
	same_lists "--help (<) and completion before a command (>)" \
		"$(help_options)" "$(complete_words image-preflight -)"
	# Options before the command still find it.
	same_lists "after --platform X" \
		"$(complete_words image-preflight --platform linux/arm64 host --p)" \
		"$(printf '%s\n' --page-size --platform)"
}

@test "bash completion: values of -o and --runtime are those help names" {
	local want
	same_lists "check -o" "$(complete_words image-preflight check -o '')" \
		"$(printf '%s\n' json kubeadm text)"
	same_lists "inspect --output" \
		"$(complete_words image-preflight inspect --output '')" \
		"$(printf '%s\n' json text)"
	same_lists "host --output=" \
		"$(complete_words image-preflight host --output = '')" \
		"$(printf '%s\n' json text)"
	same_lists "check --output=j" \
		"$(complete_words image-preflight check --output = j)" json
	# --runtime auto|any|containerd|cri-o, as 'help check' writes it.
	want=$("$PREFLIGHT" help check |
		sed -n 's/^  --runtime \([a-z|-]*\).*/\1/p' | tr '|' '\n' | sort)
	same_lists "--runtime" \
		"$(complete_words image-preflight check --runtime '')" "$want"
	same_lists "--runtime c" \
		"$(complete_words image-preflight check --runtime c)" \
		"$(printf '%s\n' containerd cri-o)"
}

@test "bash completion: --platform offers common platforms, 'all' only where allowed" {
	local out
	out=$(complete_words image-preflight check --platform '')
	for p in linux/amd64 linux/arm64 linux/arm/v7 linux/ppc64le \
		linux/s390x linux/riscv64 all; do
		grep -qx "$p" <<<"$out" || {
			echo "check --platform: no $p in: $out" >&2
			return 1
		}
	done
	out=$(complete_words image-preflight inspect --platform '')
	grep -qx linux/arm64 <<<"$out"
	if grep -qx all <<<"$out"; then
		echo "inspect --platform offers all" >&2
		return 1
	fi
	same_lists "--platform linux/s" \
		"$(complete_words image-preflight check --platform linux/s)" \
		linux/s390x
	# Every platform offered is one the tool accepts.
	for p in $(complete_words image-preflight host --platform ''); do
		pf host --platform "$p" -o json
		expect_status 0
	done
}

@test "bash completion: --root completes directories, --ca-file files" {
	mkdir -p "$BATS_TEST_TMPDIR/tree/dir1"
	: >"$BATS_TEST_TMPDIR/tree/file1"
	same_lists "--root" "$(cd "$BATS_TEST_TMPDIR/tree" &&
		complete_words image-preflight check --root '')" dir1
	same_lists "--ca-file" "$(cd "$BATS_TEST_TMPDIR/tree" &&
		complete_words image-preflight check --ca-file f)" file1
}

# -- zsh completion -------------------------------------------------------------

@test "zsh completion: parses, and names every option each command's help lists" {
	local f="$COMPLETION/_image-preflight" cmd o
	zsh -n "$f"
	[ "$(head -n 1 "$f")" = "#compdef image-preflight" ]
	for cmd in "" $COMMANDS; do
		for o in $(help_options $cmd); do
			grep -q -e "[{,'\"()*]$o[=[,}]" "$f" || {
				echo "_image-preflight does not name $o (help $cmd)" >&2
				return 1
			}
		done
	done
}

# -- make install ---------------------------------------------------------------

INSTALLED="usr/bin/image-preflight
usr/share/bash-completion/completions/image-preflight
usr/share/doc/image-preflight/CHANGELOG.md
usr/share/doc/image-preflight/README.md
usr/share/man/man1/image-preflight-check.1
usr/share/man/man1/image-preflight-host.1
usr/share/man/man1/image-preflight-inspect.1
usr/share/man/man1/image-preflight-kubeadm.1
usr/share/man/man1/image-preflight.1
usr/share/zsh/site-functions/_image-preflight"

@test "make install DESTDIR PREFIX: exactly the files, the binary runs, make uninstall removes them" {
	local dest="$BATS_TEST_TMPDIR/root" build
	build=$(dirname "$PREFLIGHT")
	make -s -C "$TOP" BUILD="$build" DESTDIR="$dest" PREFIX=/usr install
	same_lists "installed files" \
		"$(cd "$dest" && find . -type f | sed 's|^\./||' | sort)" \
		"$INSTALLED"
	[ -x "$dest/usr/bin/image-preflight" ]
	[ "$(stat -c %a "$dest/usr/share/man/man1/image-preflight.1")" = 644 ]
	"$dest/usr/bin/image-preflight" --version | head -n 1 |
		grep -qx "image-preflight $(cat "$TOP/VERSION")"
	MANWIDTH=80 man -l "$dest/usr/share/man/man1/image-preflight-check.1" |
		grep -q -- '--require-platform P'
	make -s -C "$TOP" BUILD="$build" DESTDIR="$dest" PREFIX=/usr uninstall
	same_lists "left after uninstall" \
		"$(cd "$dest" && find . -type f | wc -l)" 0
}

@test "make install honours PREFIX, BINDIR and MANDIR" {
	local dest="$BATS_TEST_TMPDIR/root"
	make -s -C "$TOP" BUILD="$(dirname "$PREFLIGHT")" DESTDIR="$dest" \
		PREFIX=/opt/ip BINDIR=/opt/ip/sbin MANDIR=/opt/ip/man install
	[ -x "$dest/opt/ip/sbin/image-preflight" ]
	[ -f "$dest/opt/ip/man/man1/image-preflight-host.1" ]
	[ -f "$dest/opt/ip/share/zsh/site-functions/_image-preflight" ]
	[ ! -e "$dest/usr" ]
}

# -- Debian package -------------------------------------------------------------

@test "debian/changelog and the RPM spec carry the VERSION file's version" {
	local v
	v=$(cat "$TOP/VERSION")
	[ "$(dpkg-parsechangelog -l "$TOP/packaging/debian/changelog" -S Version)" = "$v" ]
	[ "$(rpmspec -q --qf '%{VERSION}\n' --srpm "$TOP/packaging/rpm/image-preflight.spec")" = "$v" ]
	grep -q "^## $v " "$TOP/packaging/CHANGELOG.md"
}

@test "deb: dpkg-buildpackage builds it, lintian finds no warning or error, dpkg -i installs a working tool" {
	local out="$BATS_TEST_TMPDIR/deb" v deb
	v=$(cat "$TOP/VERSION")
	# As make check runs it: its command-line variables are in the
	# environment, and must not reach the package's own build.
	run env BUILD=build/san SANITIZE=1 MAKEFLAGS=" BUILD=build/san SANITIZE=1" \
		sh "$TOP/packaging/build-deb.sh" "$out"
	[ "$status" -eq 0 ] || {
		echo "$output" >&2
		return 1
	}
	deb=$(ls "$out"/image-preflight_"$v"_*.deb)
	[ "$(dpkg-deb -f "$deb" Package)" = image-preflight ]
	[ "$(dpkg-deb -f "$deb" Version)" = "$v" ]
	[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ]
	# ${shlibs:Depends} filled in from the libraries the binary links.
	dpkg-deb -f "$deb" Depends | grep -q 'libcurl4'
	dpkg-deb -f "$deb" Depends | grep -q 'libarchive13'
	dpkg-deb -f "$deb" Depends | grep -q 'libyaml-0-2'
	dpkg-deb -c "$deb" | grep -q ' ./usr/share/man/man1/image-preflight-kubeadm.1.gz$'
	dpkg-deb -c "$deb" | grep -q ' ./usr/share/bash-completion/completions/image-preflight$'
	dpkg-deb -c "$deb" | grep -q ' ./usr/share/zsh/vendor-completions/_image-preflight$'
	dpkg-deb -c "$deb" | grep -q ' ./usr/share/doc/image-preflight/changelog.gz$'
	[ "$(id -u)" -eq 0 ] || skip "dpkg -i needs root"
	if dpkg-query -W -f='${Status}' image-preflight 2>/dev/null |
		grep -q installed; then
		skip "an image-preflight package is already installed here"
	fi
	dpkg -i "$deb" >"$BATS_TEST_TMPDIR/dpkg.log" 2>&1 || {
		cat "$BATS_TEST_TMPDIR/dpkg.log" >&2
		return 1
	}
	local rc=0
	{
		/usr/bin/image-preflight --version | head -n 1 |
			grep -qx "image-preflight $v" &&
			/usr/bin/image-preflight host | grep -q '^  *machine: *'"$(uname -m)" &&
			[ "$(man -w image-preflight-inspect)" = \
				/usr/share/man/man1/image-preflight-inspect.1.gz ] &&
			man image-preflight 2>/dev/null | grep -q 'never a false PASS'
	} || rc=1
	dpkg --purge image-preflight >>"$BATS_TEST_TMPDIR/dpkg.log" 2>&1 || rc=1
	[ ! -e /usr/bin/image-preflight ] || rc=1
	[ "$rc" -eq 0 ] || cat "$BATS_TEST_TMPDIR/dpkg.log" >&2
	[ "$rc" -eq 0 ]
}

# -- RPM ------------------------------------------------------------------------

@test "rpm: rpmbuild (--nodeps: Fedora's BuildRequires names) builds it with the files of make install" {
	local out="$BATS_TEST_TMPDIR/rpm" v rpm
	v=$(cat "$TOP/VERSION")
	run env RPM_NODEPS=1 BUILD=build/san SANITIZE=1 \
		MAKEFLAGS=" BUILD=build/san SANITIZE=1" \
		sh "$TOP/packaging/build-rpm.sh" "$out"
	[ "$status" -eq 0 ] || {
		echo "$output" >&2
		return 1
	}
	rpm=$(ls "$out"/image-preflight-"$v"-1*."$(uname -m)".rpm)
	ls "$out"/image-preflight-"$v"-1*.src.rpm
	same_lists "files of the rpm" \
		"$(rpm -qpl "$rpm" | grep -v '^/usr/lib/.build-id' | sed 's|^/||; s|\.gz$||' | sort)" \
		"$(printf '%s\n' "$INSTALLED" | sort)"
	rpm -qp --requires "$rpm" | grep -q '^libcurl\.so\.4'
	rpm -qp --requires "$rpm" | grep -q '^libyaml-0\.so\.2'
	# The BuildRequires are Fedora's names.
	for dep in libcurl-devel jansson-devel libarchive-devel openssl-devel \
		libyaml-devel; do
		grep -q "^BuildRequires: *$dep\$" "$TOP/packaging/rpm/image-preflight.spec"
	done
}

@test "rpm: rpmlint finds nothing in the spec beyond the filters it explains" {
	run rpmlint -r "$TOP/packaging/rpm/image-preflight.rpmlintrc" \
		"$TOP/packaging/rpm/image-preflight.spec"
	[ "$status" -eq 0 ] || {
		echo "$output" >&2
		return 1
	}
	[[ $output == *"0 errors, 0 warnings"* ]] || {
		echo "$output" >&2
		return 1
	}
}
