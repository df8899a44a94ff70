#!/usr/bin/env bats
# binfmt_misc on the node (--root): an entrypoint for another machine,
# which the kernel would refuse, runs under emulation when an enabled
# entry (qemu-user) claims its first bytes: WARN runs-under-emulation
# instead of FAIL binary-wrong-architecture. Entries are written as the
# kernel shows them in /proc/sys/fs/binfmt_misc, with the magic and mask
# Debian's qemu-user-static registers for qemu-aarch64.

load ../lib/registry
load common

BM=proc/sys/fs/binfmt_misc
A64_MAGIC=7f454c460201010000000000000000000200b700
A64_MASK=ffffffffffffff00fffffffffffffffffeffffff
A64_INTERP=/usr/libexec/qemu-binfmt/aarch64-binfmt-P

setup_file() {
	registry_start fx plain
	export REG=$REG_FX_ADDR
	export DIGESTS="$BATS_FILE_TMPDIR/digests.json"
	local top
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	python3 "$top/tests/lib/push-fixtures.py" "$REG" --insecure \
		--only 'fx/multi-oci:1' --only 'fx/align-64k:1' \
		--digests "$DIGESTS" >"$BATS_FILE_TMPDIR/push.out" \
		2>"$BATS_FILE_TMPDIR/push.err" || {
		cat "$BATS_FILE_TMPDIR/push.err" >&2
		echo "setup_file: pushing the fx fixtures failed" >&2
		return 1
	}
}

teardown_file() {
	registry_stop_all
}

# The arm64 manifest of fx/multi-oci:1 by digest: a single manifest, so
# it is pulled whatever the node, and its /app is ELF64 LSB machine 183.
arm64_ref() {
	local d
	d=$(jq -r '.images["fx/multi-oci:1"].manifests[] |
		select(.platform == "linux/arm64") | .digest' "$DIGESTS")
	printf '%s/fx/multi-oci@%s' "$REG" "$d"
}

# node_root [STATE [FLAGS [STATUS]]]: a node root with a qemu-aarch64
# entry in STATE (enabled) and FLAGS (PF, as qemu-user-static sets
# them), and binfmt_misc's status file saying STATUS (enabled).
node_root() {
	ROOT="$BATS_TEST_TMPDIR/node"
	mkdir -p "$ROOT/$BM"
	: >"$ROOT/$BM/register"
	printf '%s\n' "${3:-enabled}" >"$ROOT/$BM/status"
	printf '%s\ninterpreter %s\nflags: %s\noffset 0\nmagic %s\nmask %s\n' \
		"${1:-enabled}" "$A64_INTERP" "${2-PF}" "$A64_MAGIC" \
		"$A64_MASK" >"$ROOT/$BM/qemu-aarch64"
}

@test "arm64 binary on amd64 with qemu-aarch64 registered: WARN, exit 0" {
	node_root
	REF=$(arm64_ref)
	check_json 0 --platform linux/amd64 --root "$ROOT" "$REF"
	expect_verdict "$REF" linux/amd64 WARN
	expect_finding "$REF" linux/amd64 warn:runs-under-emulation \
		"^entrypoint '/app' is .*AArch64.* runs only under emulation via '/usr/libexec/qemu-binfmt/aarch64-binfmt-P' \(binfmt_misc entry 'qemu-aarch64'\)"
	# the tag is a single arm64 manifest: pulled anyway, and it runs
	expect_findings "$REF" linux/amd64 warn:runs-under-emulation \
		warn:single-manifest-wrong-platform
}

@test "the same with --strict: exit 1" {
	node_root
	REF=$(arm64_ref)
	check_json 1 --platform linux/amd64 --root "$ROOT" --strict "$REF"
	expect_finding "$REF" linux/amd64 warn:runs-under-emulation
}

@test "the same in the text report names the emulator" {
	node_root
	pf check --timeout 60 --insecure-registry "$REG" \
		--platform linux/amd64 --root "$ROOT" "$(arm64_ref)"
	expect_status 0
	expect_grep "text" "runs only under emulation via '$A64_INTERP'" \
		"$PF_OUT"
}

@test "no binfmt_misc on the node: FAIL binary-wrong-architecture" {
	ROOT="$BATS_TEST_TMPDIR/bare"
	mkdir -p "$ROOT"
	REF=$(arm64_ref)
	check_json 1 --platform linux/amd64 --root "$ROOT" "$REF"
	expect_verdict "$REF" linux/amd64 FAIL
	expect_finding "$REF" linux/amd64 fail:binary-wrong-architecture \
		"exec format error"
	expect_findings "$REF" linux/amd64 fail:binary-wrong-architecture \
		fail:single-manifest-wrong-platform
}

@test "qemu-aarch64 entry disabled: FAIL" {
	node_root disabled
	REF=$(arm64_ref)
	check_json 1 --platform linux/amd64 --root "$ROOT" "$REF"
	expect_finding "$REF" linux/amd64 fail:binary-wrong-architecture
	expect_no_grep "no emulation" runs-under-emulation "$PF_OUT"
}

@test "binfmt_misc disabled as a whole (status): FAIL" {
	node_root enabled PF disabled
	REF=$(arm64_ref)
	check_json 1 --platform linux/amd64 --root "$ROOT" "$REF"
	expect_finding "$REF" linux/amd64 fail:binary-wrong-architecture
	expect_no_grep "no emulation" runs-under-emulation "$PF_OUT"
}

@test "entry without the F flag and no emulator in the image: FAIL" {
	node_root enabled P
	REF=$(arm64_ref)
	check_json 1 --platform linux/amd64 --root "$ROOT" "$REF"
	expect_finding "$REF" linux/amd64 fail:binary-wrong-architecture \
		"entry 'qemu-aarch64' has no F flag, so the kernel looks for the emulator '/usr/libexec/qemu-binfmt/aarch64-binfmt-P' inside the container"
}

@test "an arm64-only index on amd64: emulation does not change selection" {
	node_root
	REF=$(fx align-64k:1)
	check_json 1 --platform linux/amd64 --root "$ROOT" "$REF"
	expect_verdict "$REF" linux/amd64 FAIL
	expect_no_grep "no emulation" runs-under-emulation "$PF_OUT"
}

@test "a native binary stays PASS with emulators registered" {
	node_root
	REF=$(fx multi-oci:1)
	check_json 0 --platform linux/amd64 --root "$ROOT" "$REF"
	expect_verdict "$REF" linux/amd64 PASS
}

@test "host lists the node's emulators (text and JSON)" {
	node_root
	pf host --root "$ROOT"
	expect_status 0
	expect_grep "summary" '^  binfmt_misc: enabled, 1 entry$' "$PF_OUT"
	expect_grep "entry" "^  emulator: +qemu-aarch64: $A64_INTERP \(enabled, flags PF\)$" \
		"$PF_OUT"
	pf host --root "$ROOT" -o json
	expect_status 0
	run jq -c '.host.binfmt_misc' "$PF_OUT"
	[ "$output" = '{"mounted":true,"enabled":true,"entries":[{"name":"qemu-aarch64","interpreter":"'"$A64_INTERP"'","enabled":true,"flags":"PF","extension":false}]}' ] ||
		{ echo "got: $output" >&2; return 1; }
}

@test "a malformed entry is a usage error naming the file" {
	node_root
	printf 'enabled\ninterpreter /q\noffset 0\nmagic 7f4\n' \
		>"$ROOT/$BM/broken"
	pf check --platform linux/amd64 --root "$ROOT" "$(arm64_ref)"
	expect_status 3
	[ "$(cat "$PF_ERR")" = "image-preflight: error: cannot read the node's binfmt_misc: '$ROOT/$BM/broken' line 4: invalid hex in magic '7f4'" ] ||
		{ cat "$PF_ERR" >&2; return 1; }
	[ ! -s "$PF_OUT" ]
	pf host --root "$ROOT"
	expect_status 3
}
