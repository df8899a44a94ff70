#!/usr/bin/env bats
# Whether the node runs 32-bit programs (--root trees with the kernel's
# configuration, command line and aarch32_el0), what that makes of a
# 32-bit entrypoint and of containerd's fallback to a 32-bit entry, and
# jemalloc on kernels with pages over 4 KiB. The kernel release under
# --root is still this machine's (uname -r), so the configuration is
# written as boot/config-$(uname -r); the node's architecture comes from
# --platform.

load ../lib/registry
load common

setup_file() {
	registry_start fx plain
	export REG=$REG_FX_ADDR
	local top
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	python3 "$top/tests/lib/push-fixtures.py" "$REG" --insecure \
		--only 'fx/arm-v7-fallback:1' --only 'fx/i386-only:1' \
		--only 'fx/jemalloc:1' >"$BATS_FILE_TMPDIR/push.out" \
		2>"$BATS_FILE_TMPDIR/push.err" || {
		cat "$BATS_FILE_TMPDIR/push.err" >&2
		echo "setup_file: pushing the fx fixtures failed" >&2
		return 1
	}
}

teardown_file() {
	registry_stop_all
}

# node CONFIG-LINE... : a node root whose kernel configuration holds
# those lines and whose command line is "ro quiet" (CMDLINE overrides).
node() {
	ROOT="$BATS_TEST_TMPDIR/node"
	mkdir -p "$ROOT/boot" "$ROOT/proc" "$ROOT/sys/devices/system/cpu"
	printf '%s\n' "$@" >"$ROOT/boot/config-$(uname -r)"
	printf '%s\n' "${CMDLINE:-ro quiet}" >"$ROOT/proc/cmdline"
}

el0() {
	printf '%s\n' "$1" >"$ROOT/sys/devices/system/cpu/aarch32_el0"
}

on_arm64() {
	check_json "$1" --runtime containerd --platform linux/arm64 \
		--root "$ROOT" "$(fx arm-v7-fallback:1)"
}

on_amd64() {
	check_json "$1" --runtime containerd --platform linux/amd64 \
		--root "$ROOT" "$(fx i386-only:1)"
}

# -- arm64 node, containerd falls back to arm/v7 --------------------------

@test "arm64, CONFIG_COMPAT=y, aarch32_el0 lists CPUs: WARN, the binary INFO" {
	node CONFIG_COMPAT=y
	el0 0-3
	on_arm64 0
	local r
	r=$(fx arm-v7-fallback:1)
	expect_verdict "$r" linux/arm64 WARN
	expect_findings "$r" linux/arm64 warn:platform-fallback
	expect_finding "$r" linux/arm64 warn:platform-fallback \
		'linux/arm/v7.*this node runs 32-bit programs: CPUs 0-3 run AArch32 at EL0'
	expect_finding "$r" linux/arm64 info:binary-32bit-compat \
		"^entrypoint '/app' is ELF32 .*this node does: CPUs 0-3 .*aarch32_el0"
}

@test "arm64, aarch32_el0 empty: FAIL, no CPU runs AArch32" {
	node CONFIG_COMPAT=y
	el0 ''
	on_arm64 1
	local r
	r=$(fx arm-v7-fallback:1)
	expect_findings "$r" linux/arm64 fail:platform-fallback \
		fail:binary-32bit-compat
	expect_finding "$r" linux/arm64 fail:platform-fallback \
		'this node cannot run 32-bit programs: it lists no CPU: none runs AArch32 at EL0 \(/sys/devices/system/cpu/aarch32_el0\)'
	expect_finding "$r" linux/arm64 fail:binary-32bit-compat \
		'this node does not: .*exec format error'
}

@test "arm64, CONFIG_COMPAT not set: FAIL even under containerd" {
	node '# CONFIG_COMPAT is not set'
	on_arm64 1
	local r
	r=$(fx arm-v7-fallback:1)
	expect_finding "$r" linux/arm64 fail:platform-fallback \
		"CONFIG_COMPAT is not set.*/boot/config-$(uname -r)"
}

@test "arm64, CONFIG_COMPAT=y alone: the CPUs are not known, WARN" {
	node CONFIG_COMPAT=y
	on_arm64 0
	local r
	r=$(fx arm-v7-fallback:1)
	expect_findings "$r" linux/arm64 warn:platform-fallback \
		warn:binary-32bit-compat
	expect_finding "$r" linux/arm64 warn:binary-32bit-compat \
		'whether this node does is not known: CONFIG_COMPAT=y, but whether the CPUs run AArch32 at EL0'
}

@test "arm64 under CRI-O rules stays FAIL, with the node's answer" {
	node CONFIG_COMPAT=y
	el0 0-3
	check_json 1 --runtime cri-o --platform linux/arm64 --root "$ROOT" \
		"$(fx arm-v7-fallback:1)"
	expect_finding "$(fx arm-v7-fallback:1)" linux/arm64 \
		fail:platform-fallback 'never fall back.*this node runs 32-bit'
}

# -- amd64 node, a 386-only index -----------------------------------------

@test "amd64, CONFIG_IA32_EMULATION=y: WARN fallback, the binary INFO" {
	node CONFIG_IA32_EMULATION=y \
		'# CONFIG_IA32_EMULATION_DEFAULT_DISABLED is not set'
	on_amd64 0
	local r
	r=$(fx i386-only:1)
	expect_findings "$r" linux/amd64 warn:platform-fallback
	expect_finding "$r" linux/amd64 info:binary-32bit-compat \
		"Intel 80386.*this node does: CONFIG_IA32_EMULATION=y, not turned off on the command line \(/boot/config-$(uname -r)\)"
}

@test "amd64, CONFIG_IA32_EMULATION not set: FAIL" {
	node '# CONFIG_IA32_EMULATION is not set'
	on_amd64 1
	local r
	r=$(fx i386-only:1)
	expect_findings "$r" linux/amd64 fail:platform-fallback \
		fail:binary-32bit-compat
	expect_finding "$r" linux/amd64 fail:binary-32bit-compat \
		'CONFIG_IA32_EMULATION is not set: the kernel cannot run IA-32 programs'
}

@test "amd64, ia32_emulation=0 on the command line: FAIL" {
	CMDLINE='BOOT_IMAGE=/vmlinuz ro ia32_emulation=0 quiet' \
		node CONFIG_IA32_EMULATION=y
	on_amd64 1
	local r
	r=$(fx i386-only:1)
	expect_finding "$r" linux/amd64 fail:platform-fallback \
		'cannot run 32-bit programs: the kernel command line sets ia32_emulation false: IA-32 emulation is off \(/proc/cmdline\)'
	expect_finding "$r" linux/amd64 fail:binary-32bit-compat
}

@test "amd64, DEFAULT_DISABLED=y: FAIL; with ia32_emulation=1: WARN" {
	node CONFIG_IA32_EMULATION=y CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y
	on_amd64 1
	expect_finding "$(fx i386-only:1)" linux/amd64 \
		fail:binary-32bit-compat 'DEFAULT_DISABLED=y and no ia32_emulation=1'
	CMDLINE='ro ia32_emulation=1' node CONFIG_IA32_EMULATION=y \
		CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y
	on_amd64 0
	expect_finding "$(fx i386-only:1)" linux/amd64 \
		info:binary-32bit-compat 'ia32_emulation=1 on the command line'
}

@test "amd64, proc/config.gz only (boot/config missing): read, WARN" {
	node x
	rm "$ROOT/boot/config-$(uname -r)"
	printf 'CONFIG_IA32_EMULATION=y\n' | gzip -c >"$ROOT/proc/config.gz"
	on_amd64 0
	expect_finding "$(fx i386-only:1)" linux/amd64 \
		info:binary-32bit-compat 'CONFIG_IA32_EMULATION=y.*/proc/config.gz'
}

@test "--platform without --root: not this machine, WARN, not known" {
	check_json 0 --runtime containerd --platform linux/amd64 \
		"$(fx i386-only:1)"
	expect_finding "$(fx i386-only:1)" linux/amd64 \
		warn:binary-32bit-compat 'not known: a node named by --platform is not this machine'
	jq -e '.host.compat32.supported == null' "$PF_OUT" >/dev/null
}

# -- host output ----------------------------------------------------------

@test "host: compat32 in JSON and the 32-bit line in text" {
	node '# CONFIG_IA32_EMULATION is not set'
	pf host -o json --platform linux/amd64 --root "$ROOT"
	expect_status 0
	jq -e --arg s "/boot/config-$(uname -r)" '.host.compat32 |
		.supported == false and .source == $s and
		(.reason | test("not set"))' "$PF_OUT" >/dev/null || {
		pf_dump
		return 1
	}
	pf host --platform linux/arm64 --root "$ROOT"
	expect_status 0
	grep -q '^  32-bit: *unknown (no kernel configuration\|^  32-bit: *unknown (' \
		"$PF_OUT" || { pf_dump; return 1; }
	el0 ''
	pf host -o json --platform linux/arm64 --root "$ROOT"
	jq -e '.host.compat32.supported == false' "$PF_OUT" >/dev/null || {
		pf_dump
		return 1
	}
	pf host -o json --platform linux/ppc64le --root "$ROOT"
	jq -e '.host.compat32 == null' "$PF_OUT" >/dev/null
}

# -- jemalloc and the page size -------------------------------------------

@test "jemalloc on 64 KiB pages: WARN allocator-page-size" {
	local r
	r=$(fx jemalloc:1)
	check_json 0 --platform linux/arm64 --page-size 65536 "$r"
	expect_verdict "$r" linux/arm64 WARN
	expect_findings "$r" linux/arm64 warn:allocator-page-size
	expect_finding "$r" linux/arm64 warn:allocator-page-size \
		"^entrypoint '/app' carries jemalloc \(its message '<jemalloc>: Unsupported system page size' is at byte [0-9]+\).*65536 bytes.*aborts at start"
	check_json 1 --strict --platform linux/arm64 --page-size 16384 "$r"
	expect_finding "$r" linux/arm64 warn:allocator-page-size '16384 bytes'
}

@test "jemalloc on 4 KiB pages: PASS, the file is not read for it" {
	local r
	r=$(fx jemalloc:1)
	check_json 0 --platform linux/arm64 --page-size 4096 "$r"
	expect_verdict "$r" linux/arm64 PASS
	[ "$(on_image "$r" linux/arm64 '[.findings[] |
		select(.code == "allocator-page-size")] | length')" = 0 ]
}
