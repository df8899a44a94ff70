#!/usr/bin/env bats
# The cross builds (tests/cross.sh) run under qemu-user as on a node of
# their own architecture: `host` names the emulated machine and its
# platform, and `check` against the test registry PASSes the index that
# offers that platform and FAILs the single linux/amd64 image. Nothing is
# skipped: an architecture that cannot be built or run fails its tests.
# CROSS_ARCHES (default: every architecture tests/cross.sh knows) picks
# the architectures.

load ../lib/registry
load common

CROSS_ARCHES=${CROSS_ARCHES:-arm64 armhf ppc64el s390x riscv64}

setup_file() {
	local top
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export CROSS_OUT="$BATS_FILE_TMPDIR/cross.out"
	# shellcheck disable=SC2086 # a list of words on purpose
	(cd "$top" && sh tests/cross.sh $CROSS_ARCHES) >"$CROSS_OUT" \
		2>"$BATS_FILE_TMPDIR/cross.err" || {
		cat "$BATS_FILE_TMPDIR/cross.err" >&2
		echo "setup_file: tests/cross.sh failed" >&2
	}
	export CROSS_TOP=$top
	registry_start fx plain
	export REG=$REG_FX_ADDR
	python3 "$top/tests/lib/push-fixtures.py" "$REG" --insecure \
		--only 'fx/multi-oci:1' --only 'fx/single-amd64:1' \
		>"$BATS_FILE_TMPDIR/push.out" 2>"$BATS_FILE_TMPDIR/push.err" || {
		cat "$BATS_FILE_TMPDIR/push.err" >&2
		echo "setup_file: pushing the fx fixtures failed" >&2
		return 1
	}
}

teardown_file() {
	registry_stop_all
}

# use_arch ARCH: point PREFLIGHT at a wrapper that runs ARCH's binary
# under qemu-user with its libraries; sets UNAME, what uname -m must say.
use_arch() {
	local line bin qemu prefix
	line=$(grep "^$1 " "$CROSS_OUT") || {
		echo "no $1 build (tests/cross.sh said):" >&2
		cat "$BATS_FILE_TMPDIR/cross.err" >&2
		return 1
	}
	read -r _ bin qemu prefix UNAME <<<"$line"
	command -v "$qemu" >/dev/null || {
		echo "$qemu is missing" >&2
		return 1
	}
	PREFLIGHT="$BATS_TEST_TMPDIR/preflight-$1"
	printf '#!/bin/sh\nexec %q -L %q %q "$@"\n' "$qemu" \
		"$(cd "$CROSS_TOP" && realpath "$prefix")" \
		"$CROSS_TOP/$bin" >"$PREFLIGHT"
	chmod +x "$PREFLIGHT"
}

# The processor family of the machine the tests really run on.
real_family() {
	case $(uname -m) in
	x86_64 | i?86) echo x86 ;;
	aarch64 | arm*) echo arm ;;
	ppc64*) echo powerpc ;;
	s390x) echo s390 ;;
	riscv64) echo riscv ;;
	*) echo unknown ;;
	esac
}

# host_is ARCH PLATFORM FAMILY: `host -o json` names the emulated
# machine, the normalised platform, a page size, and, when the real
# machine is not of FAMILY, that it runs under emulation on it (qemu-user
# passes the real /proc/cpuinfo through); the text report agrees.
host_is() {
	use_arch "$1" || return 1
	local got want real
	real=$(real_family)
	want="$UNAME $2 true null"
	[ "$real" != "$3" ] && want="$UNAME $2 true $real"
	pf host -o json
	expect_status 0 || return 1
	got=$(jq -r '.host | [.machine, .os + "/" + .architecture +
		(if .variant == "" then "" else "/" + .variant end),
		(.page_size > 0), .emulated_on] | map(tostring) | join(" ")' \
		"$PF_OUT")
	[ "$got" = "$want" ] || {
		echo "host: expected [$want], got [$got]" >&2
		pf_dump
		return 1
	}
	pf host
	expect_status 0 || return 1
	expect_grep "host text" "^  platform: +$2\$" "$PF_OUT" || return 1
	expect_grep "host text" "^  machine: +$UNAME " "$PF_OUT" || return 1
	if [ "$real" != "$3" ]; then
		expect_grep "host text" "^  emulated: +yes: /proc/cpuinfo is from $real hardware, not $UNAME " "$PF_OUT"
	else
		expect_no_grep "host text" "emulated:" "$PF_OUT"
	fi
}

# multi_passes ARCH PLATFORM: the six-platform index, on this node.
multi_passes() {
	use_arch "$1" || return 1
	local r
	r=$(fx multi-oci:1)
	check_json 0 "$r"
	expect_verdict "$r" "$2" PASS &&
		expect_findings "$r" "$2" &&
		expect_jq "$r" "$2" '.selected.platform | .os + "/" +
			.architecture + (if .variant == "" then "" else
			"/" + .variant end)' "$2" &&
		expect_jq "$r" "$2" .entrypoint.path /app
}

# single_fails ARCH PLATFORM: the incident, on this node.
single_fails() {
	use_arch "$1" || return 1
	local r
	r=$(fx single-amd64:1)
	check_json 1 "$r"
	expect_verdict "$r" "$2" FAIL &&
		expect_finding "$r" "$2" fail:single-manifest-wrong-platform \
			'single linux/amd64 image, not a multi-platform index' &&
		expect_finding "$r" "$2" fail:binary-wrong-architecture \
			'x86-64.*exec format error'
}

@test "arm64 under qemu-user: host is aarch64, linux/arm64" {
	host_is arm64 linux/arm64 arm
}

@test "arm64 under qemu-user: the index PASSes, the amd64 image FAILs" {
	multi_passes arm64 linux/arm64
	single_fails arm64 linux/arm64
}

@test "armhf under qemu-user: host is armv7l, linux/arm/v7" {
	host_is armhf linux/arm/v7 arm
}

@test "armhf under qemu-user: the index PASSes, the amd64 image FAILs" {
	multi_passes armhf linux/arm/v7
	single_fails armhf linux/arm/v7
}

@test "ppc64el under qemu-user: host is ppc64le, linux/ppc64le" {
	host_is ppc64el linux/ppc64le powerpc
}

@test "ppc64el under qemu-user: the index PASSes, the amd64 image FAILs" {
	multi_passes ppc64el linux/ppc64le
	single_fails ppc64el linux/ppc64le
}

@test "s390x (big-endian) under qemu-user: host is s390x, linux/s390x" {
	host_is s390x linux/s390x s390
}

@test "s390x (big-endian) under qemu-user: the index PASSes, the amd64 image FAILs" {
	multi_passes s390x linux/s390x
	single_fails s390x linux/s390x
}

@test "riscv64 under qemu-user: host is riscv64, linux/riscv64" {
	host_is riscv64 linux/riscv64 riscv
}

@test "riscv64 under qemu-user: the index PASSes, the amd64 image FAILs" {
	multi_passes riscv64 linux/riscv64
	single_fails riscv64 linux/riscv64
}
