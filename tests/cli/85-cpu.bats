#!/usr/bin/env bats
# What a binary needs of the CPU beyond its machine: the x86-64 level
# (an index's amd64/vN entries, a GNU property note) against the node's
# level from <root>/proc/cpuinfo or --platform linux/amd64/vN; 32-bit ARM
# programs built for a newer architecture than the node's, and a
# hard-float program with a soft-float loader. Fixtures:
# tests/lib/cpufixtures.py.

load ../lib/registry
load common

V1_FLAGS="fpu vme de pse tsc msr pae mce cx8 apic sep cmov mmx fxsr sse sse2 syscall nx lm"
V2_FLAGS="$V1_FLAGS pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm"
V3_FLAGS="$V2_FLAGS fma movbe xsave avx f16c bmi1 avx2 bmi2 abm"

# node_tree NAME FLAGS: a node root whose cpuinfo has that flags line.
node_tree() {
	mkdir -p "$BATS_FILE_TMPDIR/$1/proc"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: %s\n\n' \
		"$2" >"$BATS_FILE_TMPDIR/$1/proc/cpuinfo"
}

setup_file() {
	registry_start fx plain
	export REG=$REG_FX_ADDR
	local top
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	python3 "$top/tests/lib/cpufixtures.py" "$REG" --insecure \
		>"$BATS_FILE_TMPDIR/push.out" 2>"$BATS_FILE_TMPDIR/push.err" || {
		cat "$BATS_FILE_TMPDIR/push.err" >&2
		echo "setup_file: pushing the cpu fixtures failed" >&2
		return 1
	}
	node_tree v2 "$V2_FLAGS"
	node_tree v3 "$V3_FLAGS"
	mkdir -p "$BATS_FILE_TMPDIR/bare"
	export V2="$BATS_FILE_TMPDIR/v2" V3="$BATS_FILE_TMPDIR/v3"
	export BARE="$BATS_FILE_TMPDIR/bare"
}

teardown_file() {
	registry_stop_all
}

cpu() {
	printf '%s/cpu/%s' "$REG" "$1"
}

AMD=linux/amd64

# -- the node's level --------------------------------------------------

@test "host reads the level from <root>/proc/cpuinfo's flags" {
	pf host --root "$V2"
	expect_status 0
	expect_grep "text" '^  cpu level: +x86-64-v2 \(from cpuinfo\)$' "$PF_OUT"
	pf host -o json --root "$V3"
	expect_status 0
	[ "$(jq -r '.host.cpu_level + " " + .host.cpu_level_source' \
		"$PF_OUT")" = "x86-64-v3 cpuinfo" ]
}

@test "host: --platform linux/amd64/v2 names the level; no flags line: unknown" {
	pf host -o json --root "$V3" --platform linux/amd64/v2
	expect_status 0
	[ "$(jq -r '.host.cpu_level + " " + .host.cpu_level_source' \
		"$PF_OUT")" = "x86-64-v2 --platform" ]
	pf host -o json --root "$BARE"
	expect_status 0
	[ "$(jq -r '.host.cpu_level' "$PF_OUT")" = null ]
	pf host --root "$BARE"
	expect_grep "text" '^  cpu level: +unknown' "$PF_OUT"
}

# -- an index offering amd64 only for a higher level -------------------

@test "amd64/v3-only index on a v2 node: FAIL cpu-level-too-low" {
	REF=$(cpu amd64-v3-only:1)
	check_json 1 --root "$V2" "$REF"
	expect_verdict "$REF" $AMD FAIL
	expect_findings "$REF" $AMD fail:cpu-level-too-low
	expect_finding "$REF" $AMD fail:cpu-level-too-low \
		"offers amd64 only for x86-64-v3 .*linux/amd64/v3.*this node's CPU is x86-64-v2.*Illegal instruction"
}

@test "amd64/v3-only index on a v3 node: containerd and CRI-O find no match" {
	REF=$(cpu amd64-v3-only:1)
	for rules in any containerd crio; do
		check_json 1 --root "$V3" --runtime "$rules" "$REF"
		expect_findings "$REF" $AMD fail:no-matching-platform
		expect_finding "$REF" $AMD fail:no-matching-platform \
			"this node's CPU is x86-64-v3, but containerd and CRI-O ask for plain linux/amd64.*no match for platform in manifest"
	done
}

@test "amd64/v3-only index, level unknown: still no match, never UNKNOWN" {
	REF=$(cpu amd64-v3-only:1)
	check_json 1 --root "$BARE" "$REF"
	expect_findings "$REF" $AMD fail:no-matching-platform
	expect_finding "$REF" $AMD fail:no-matching-platform \
		"CPU is of an unknown level"
}

@test "amd64/v3-only index with --platform linux/amd64/v3: PASS" {
	REF=$(cpu amd64-v3-only:1)
	check_json 0 --root "$V2" --platform linux/amd64/v3 "$REF"
	expect_verdict "$REF" linux/amd64/v3 PASS
	expect_jq "$REF" linux/amd64/v3 .selected.platform.variant v3
}

# -- the binary's GNU property note ------------------------------------

@test "binary needing x86-64-v3 on a v2 node: FAIL cpu-level-too-low" {
	REF=$(cpu needs-v3:1)
	check_json 1 --root "$V2" "$REF"
	expect_verdict "$REF" $AMD FAIL
	expect_findings "$REF" $AMD fail:cpu-level-too-low
	expect_finding "$REF" $AMD fail:cpu-level-too-low \
		"^entrypoint '/app' needs x86-64-v3 \(its GNU property note, X86_ISA_1_NEEDED\); this node's CPU is x86-64-v2: .*CPU ISA level is lower than required"
}

@test "binary needing x86-64-v3 on a v3 node: PASS" {
	REF=$(cpu needs-v3:1)
	check_json 0 --root "$V3" "$REF"
	expect_verdict "$REF" $AMD PASS
	expect_findings "$REF" $AMD
}

@test "binary needing x86-64-v3, --platform linux/amd64/v2 on a v3 node: FAIL" {
	REF=$(cpu needs-v3:1)
	check_json 1 --root "$V3" --platform linux/amd64/v2 "$REF"
	expect_finding "$REF" linux/amd64/v2 fail:cpu-level-too-low \
		"CPU is x86-64-v2"
}

@test "binary needing x86-64-v3, node level unknown: WARN cpu-level-unverified" {
	REF=$(cpu needs-v3:1)
	check_json 0 --root "$BARE" "$REF"
	expect_verdict "$REF" $AMD WARN
	expect_findings "$REF" $AMD warn:cpu-level-unverified
	expect_finding "$REF" $AMD warn:cpu-level-unverified \
		"needs x86-64-v3 .*level is not known"
	check_json 1 --root "$BARE" --strict "$REF"
}

@test "binary needing x86-64-v3, --platform linux/amd64 without --root: this machine's level does not count, WARN" {
	REF=$(cpu needs-v3:1)
	check_json 0 --platform linux/amd64 "$REF"
	expect_verdict "$REF" $AMD WARN
	expect_findings "$REF" $AMD warn:cpu-level-unverified
	# with --root the node's own cpuinfo decides
	check_json 0 --root "$V3" --platform linux/amd64 "$REF"
	expect_verdict "$REF" $AMD PASS
}

@test "binary needing only the baseline, level unknown: PASS" {
	REF=$(cpu needs-v1:1)
	check_json 0 --root "$BARE" "$REF"
	expect_verdict "$REF" $AMD PASS
}

# -- 32-bit ARM ----------------------------------------------------------

@test "ARMv7 binary on an armv6 node: FAIL arm-architecture-too-new" {
	REF=$(cpu arm-v7-as-v6:1)
	check_json 1 --platform linux/arm/v6 "$REF"
	expect_verdict "$REF" linux/arm/v6 FAIL
	expect_findings "$REF" linux/arm/v6 fail:arm-architecture-too-new
	expect_finding "$REF" linux/arm/v6 fail:arm-architecture-too-new \
		"^entrypoint '/app' is built for ARMv7 \(its ARM attributes, Tag_CPU_arch 10\); this node's CPU is ARMv6 \(linux/arm/v6\): it dies with \"Illegal instruction\""
}

@test "the same binary on an armv7 node, and an ARMv6 one on armv6: PASS" {
	REF=$(cpu arm-v7-as-v6:1)
	check_json 0 --platform linux/arm/v7 "$REF"
	expect_verdict "$REF" linux/arm/v7 WARN
	expect_findings "$REF" linux/arm/v7 warn:platform-fallback
	REF=$(cpu arm-v6:1)
	check_json 0 --platform linux/arm/v6 "$REF"
	expect_verdict "$REF" linux/arm/v6 PASS
}

@test "hard-float program with a soft-float loader: FAIL float-abi-mismatch" {
	REF=$(cpu float-mismatch:1)
	check_json 1 --platform linux/arm/v7 "$REF"
	expect_verdict "$REF" linux/arm/v7 FAIL
	expect_findings "$REF" linux/arm/v7 fail:float-abi-mismatch
	expect_finding "$REF" linux/arm/v7 fail:float-abi-mismatch \
		"^entrypoint '/app' is a hard-float \(armhf\) program and its program interpreter '/lib/ld-linux.so.3' is a soft-float \(armel\) loader"
}

@test "hard-float program with a hard-float loader: PASS" {
	REF=$(cpu float-ok:1)
	check_json 0 --platform linux/arm/v7 "$REF"
	expect_verdict "$REF" linux/arm/v7 PASS
}
