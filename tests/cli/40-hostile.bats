#!/usr/bin/env bats
# Hostile registries and images: what an adversarial review found, kept
# as regression tests. tests/lib/hostile.py serves every image (one
# repository each, h/NAME:1) from a fake registry on 127.0.0.1, since a
# real one refuses to store most of them: descriptor sizes and digests
# that lie, digest algorithms other than sha256, a redirect target that
# asks for credentials for a third host, broken ELF program headers,
# relative and script interpreters, configs that lie, control bytes in
# platform fields, an empty layer and a directory over a symlink;
# gzip and zstd bombs, tar size fields that lie, names that climb out of
# the root, symlink chains at and past the hop limit, ELF headers and #!
# lines the kernel refuses, and manifests and indexes past the limits
# (tests/lib/hostiletar.py builds those).
#
# Run: PREFLIGHT=/abs/path/image-preflight sh tests/run-cli.sh \
#          tests/cli/40-hostile.bats
# Every check runs as a linux/amd64 node (--platform).

load common

AMD=linux/amd64

setup_file() {
	local lib dir i
	lib=$(cd "$BATS_TEST_DIRNAME/../lib" && pwd)
	dir=$BATS_FILE_TMPDIR
	python3 -B "$lib/hostile.py" --port-file "$dir/ports" \
		--log "$dir/requests.log" --owner-pid $$ \
		</dev/null >"$dir/hostile.err" 2>&1 3>&- &
	echo $! >"$dir/hostile.pid"
	for ((i = 0; i < 200; i++)); do
		[ -s "$dir/ports" ] && break
		kill -0 "$(<"$dir/hostile.pid")" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$dir/ports" ]; then
		echo "setup_file: hostile.py did not start:" >&2
		cat "$dir/hostile.err" >&2
		return 1
	fi
	local main cdn thief
	read -r main cdn thief <"$dir/ports"
	export REG=127.0.0.1:$main CDN=127.0.0.1:$cdn THIEF=127.0.0.1:$thief
	export HLOG=$dir/requests.log
}

teardown_file() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/hostile.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
}

# h NAME: the reference of hostile image NAME.
h() {
	printf '%s/h/%s:1' "$REG" "$1"
}

# amd NAME STATUS VERDICT [OPTIONS...]: check image NAME as a linux/amd64
# node (JSON report): exit STATUS and VERDICT.
amd() {
	local name=$1 want=$2 verdict=$3
	shift 3
	check_json "$want" --platform "$AMD" "$@" "$(h "$name")" &&
		expect_verdict "$(h "$name")" "$AMD" "$verdict"
}

# is NAME [SEVERITY:CODE...]: exactly these non-info findings.
is() {
	local name=$1
	shift
	expect_findings "$(h "$name")" "$AMD" "$@"
}

# has NAME SEVERITY:CODE MESSAGE-RE: such a finding.
has() {
	expect_finding "$(h "$1")" "$AMD" "$2" "$3"
}

# Raw terminal controls: ESC, BEL, U+009B (CSI, C2 9B) and U+202E (RLO,
# E2 80 AE), as bytes.
CONTROL_BYTES='[\x1b\x07]|\xc2\x9b|\xe2\x80\xae'

expect_no_control_bytes() {
	local what=$1 file=$2
	LC_ALL=C grep -q -P -- "$CONTROL_BYTES" "$file" || return 0
	echo "$what holds raw control bytes:" >&2
	LC_ALL=C grep -n -P -- "$CONTROL_BYTES" "$file" | cat -v >&2
	return 1
}

# -- 1. descriptor sizes: containerd fetches every blob against its size --

@test "size: a layer descriptor larger than the blob fails the pull" {
	amd size-layer 1 FAIL
	is size-layer fail:content-digest-mismatch
	has size-layer fail:content-digest-mismatch \
		"blob has 182 bytes, the manifest says 1000000"
}

@test "size: a config descriptor of the wrong size fails the pull" {
	amd size-config 1 FAIL
	is size-config fail:content-digest-mismatch
	has size-config fail:content-digest-mismatch \
		"^config 'sha256:[0-9a-f]{64}' has [0-9]+ bytes, its descriptor says 1:"
}

@test "size: an index entry of the wrong size for the manifest fails" {
	amd size-index 1 FAIL
	is size-index fail:content-digest-mismatch
	has size-index fail:content-digest-mismatch \
		"^manifest 'sha256:[0-9a-f]{64}' has [0-9]+ bytes, its descriptor says 7:"
}

# -- 2. digests of other algorithms ---------------------------------------

@test "digest: a sha512 config digest that does not match fails" {
	amd sha512-config-wrong 1 FAIL
	is sha512-config-wrong fail:content-digest-mismatch
	has sha512-config-wrong fail:content-digest-mismatch \
		"'sha512:(ab){64}'.*does not match.*sha512:[0-9a-f]{128}"
}

@test "digest: a sha512 layer digest that does not match fails" {
	amd sha512-layer-wrong 1 FAIL
	is sha512-layer-wrong fail:content-digest-mismatch
	has sha512-layer-wrong fail:content-digest-mismatch \
		"'sha512:(cd){64}'.*does not match"
}

@test "digest: a wrong sha256 on a layer read to its end fails" {
	# The top layer lacks /app, so it is read whole before the lower one.
	amd sha256-top-wrong 1 FAIL
	is sha256-top-wrong fail:content-digest-mismatch
	has sha256-top-wrong fail:content-digest-mismatch \
		"'sha256:(ef){32}'.*does not match"
}

@test "digest: an index entry with an unknown algorithm (md5) fails" {
	amd md5-entry 1 FAIL
	is md5-entry fail:content-digest-mismatch
	has md5-entry fail:content-digest-mismatch \
		"unsupported digest algorithm.*'md5:[0-9a-f]{32}'"
}

@test "digest: correct sha512 digests everywhere pass" {
	amd sha512-good 0 PASS
	is sha512-good
	expect_jq "$(h sha512-good)" "$AMD" \
		'.selected.digest | test("^sha512:[0-9a-f]{128}$")' true
	expect_jq "$(h sha512-good)" "$AMD" \
		'.entrypoint.layer_digest | test("^sha512:[0-9a-f]{128}$")' true
}

# -- 3. credentials ---------------------------------------------------------

@test "creds: a redirect target's realm on a third host gets none" {
	local secret=s3cret-hostile-pass
	: >"$HLOG"
	amd creds 2 UNKNOWN --creds "alice:$secret"
	# The layer was redirected and the target asked for credentials.
	expect_grep "cdn log" "^cdn GET /cdn/v2/h/creds/blobs/" "$HLOG"
	# Neither the redirect target nor the realm it named got any.
	expect_no_grep "thief log" "^thief .* auth=[^-]" "$HLOG"
	expect_no_grep "cdn log" "^cdn .* auth=[^-]" "$HLOG"
	expect_no_grep "stdout" "$secret" "$PF_OUT"
	expect_no_grep "stderr" "$secret" "$PF_ERR"
	is creds unknown:registry-auth
	has creds unknown:registry-auth "redirect"
}

# -- 4. ELF program headers (Linux binfmt_elf) ------------------------------

@test "elf: a static x86-64 executable with e_phnum 0 is malformed" {
	amd phnum0 1 FAIL
	is phnum0 fail:binary-malformed
	has phnum0 fail:binary-malformed "no program headers.*exec format error"
}

@test "elf: e_phnum 600 (a table under 64 KiB) runs" {
	amd phnum600 0 PASS
	is phnum600
	expect_jq "$(h phnum600)" "$AMD" .entrypoint.elf.machine 62
}

# -- 5. interpreters --------------------------------------------------------

@test "elf: a PT_INTERP naming a #! script is refused by the kernel" {
	amd interp-script 1 FAIL
	is interp-script fail:elf-interpreter-not-elf
	has interp-script fail:elf-interpreter-not-elf \
		"'/ld.so'.*not an ELF file"
}

@test "elf: a relative PT_INTERP is resolved from WorkingDir" {
	# lib/ld.so exists as /tmp/lib/ld.so only, WorkingDir is /tmp.
	amd interp-rel 0 PASS
	is interp-rel
	# lib/ld.so exists as /lib/ld.so only: the kernel does not find it.
	amd interp-rel-root 1 FAIL
	is interp-rel-root fail:elf-interpreter-missing
	has interp-rel-root fail:elf-interpreter-missing "/tmp/lib/ld.so"
}

@test "script: a relative #!bin/sh is resolved from WorkingDir" {
	amd shebang-rel 0 PASS
	is shebang-rel
	amd shebang-rel-root 1 FAIL
	is shebang-rel-root fail:script-interpreter-missing
	has shebang-rel-root fail:script-interpreter-missing "'/tmp/bin/sh'"
}

# -- 6. configs -------------------------------------------------------------

@test "config: rootfs.diff_ids count differs from the layers: fail" {
	amd rootfs-count 1 FAIL
	is rootfs-count fail:config-rootfs-mismatch
	has rootfs-count fail:config-rootfs-mismatch \
		"lists 1 layer diff_ids, the manifest 2 layers"
}

@test "config: 2000 Env entries is past a limit: unknown, not fail" {
	amd env-2000 2 UNKNOWN
	is env-2000 unknown:limit-exceeded
	has env-2000 unknown:limit-exceeded "'config.Env' has 2000 items"
}

# -- 7. a single manifest whose config lies -------------------------------

@test "single manifest, config arm64, binary x86-64: strict fails" {
	amd single-arm64 1 FAIL
	is single-arm64 fail:single-manifest-wrong-platform
	has single-arm64 fail:single-manifest-wrong-platform "linux/arm64"
	has single-arm64 info:binary-matches-node "x86-64"
}

@test "single manifest, config arm64, binary x86-64: containerd warns" {
	amd single-arm64 0 WARN --runtime containerd
	is single-arm64 warn:single-manifest-wrong-platform
	has single-arm64 info:binary-matches-node "x86-64"
}

# -- 8. amd64 CPU levels ----------------------------------------------------

# containerd and CRI-O ask for plain amd64 whatever the CPU: no match on
# this host, whose own level decides which of the two codes says so
# (tests/cli/85-cpu.bats pins the level with --root).
@test "index offering only linux/amd64/v3: fail as amd64, pass as v3" {
	amd amd64-v3 1 FAIL
	has amd64-v3 "fail:(no-matching-platform|cpu-level-too-low)" \
		"offers amd64 only for x86-64-v3 and up \(linux/amd64/v3\)"
	check_json 0 --platform linux/amd64/v3 "$(h amd64-v3)"
	expect_verdict "$(h amd64-v3)" linux/amd64/v3 PASS
	expect_jq "$(h amd64-v3)" linux/amd64/v3 .selected.platform.variant v3
}

# -- 9. control bytes from the registry -----------------------------------

@test "control bytes in platform fields never reach the text report raw" {
	pf check --platform "$AMD" --insecure-registry "$REG" "$(h control)"
	expect_status 1
	expect_no_control_bytes stdout "$PF_OUT"
	expect_no_control_bytes stderr "$PF_ERR"
	expect_grep "verdict" "^FAIL " "$PF_OUT"
	# Shown escaped: \x1b, and \u{...} for C1 and bidi controls.
	expect_grep "offers line" '^  offers: .*\\x1b\[' "$PF_OUT"
	expect_grep "C1 and bidi" '\\u\{009b\}.*\\u\{202e\}' "$PF_OUT"
}

@test "control bytes in platform fields are escaped in the JSON report" {
	amd control 1 FAIL
	expect_no_control_bytes "JSON report" "$PF_OUT"
	expect_no_control_bytes stderr "$PF_ERR"
	# Nor do the decoded strings hold C0, C1 or bidi controls (U+202A..E,
	# U+2066..9).
	local n
	n=$(jq '[.. | strings | select(explode | any(. < 32 or
		(. >= 127 and . <= 159) or (. >= 8234 and . <= 8238) or
		(. >= 8294 and . <= 8297)))] | length' "$PF_OUT")
	[ "$n" = 0 ] || {
		echo "$n JSON strings hold control characters" >&2
		pf_dump
		return 1
	}
	is control fail:entrypoint-not-found
	has control info:invalid-platform-entry 'x1b'
}

# -- 10, 11. tar semantics --------------------------------------------------

@test "layer: a 0-byte uncompressed layer is an empty tar, not corrupt" {
	amd empty-layer 0 PASS
	is empty-layer
}

@test "layer: an upper directory over a lower bin -> usr/bin symlink" {
	# The node's /bin is the upper layer's directory: /bin/app is gone.
	amd dir-over-symlink 1 FAIL
	is dir-over-symlink fail:entrypoint-not-found
	has dir-over-symlink fail:entrypoint-not-found "'/bin/app'"
}

# -- 12. bombs: small compressed, past IMAGEFS_LAYER_UNPACKED_MAX unpacked --

# Largest resident set allowed for a check of a bomb (KiB); the layers
# unpack to 9 GiB.
BOMB_RSS_MAX_KB=$((256 * 1024))

# amd_rss NAME STATUS VERDICT: amd, measuring the peak resident set.
amd_rss() {
	local name=$1 want=$2 verdict=$3 rss
	PF_OUT="$BATS_TEST_TMPDIR/pf.out" PF_ERR="$BATS_TEST_TMPDIR/pf.err"
	PF_STATUS=0
	/usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" "$PREFLIGHT" check \
		-o json --timeout 60 --insecure-registry "$REG" \
		--platform "$AMD" "$(h "$name")" >"$PF_OUT" 2>"$PF_ERR" \
		</dev/null || PF_STATUS=$?
	expect_status "$want" || return 1
	expect_verdict "$(h "$name")" "$AMD" "$verdict" || return 1
	rss=$(tail -n 1 "$BATS_TEST_TMPDIR/rss")
	[ "$rss" -le "$BOMB_RSS_MAX_KB" ] || {
		echo "$name: peak RSS $rss KiB, more than $BOMB_RSS_MAX_KB" >&2
		return 1
	}
}

@test "bomb: gzip, one 9 GiB member before /app: unknown, memory bounded" {
	amd_rss gzip-bomb 2 UNKNOWN
	is gzip-bomb unknown:limit-exceeded
	has gzip-bomb unknown:limit-exceeded \
		"more than 8589934592 unpacked bytes \(IMAGEFS_LAYER_UNPACKED_MAX\)"
}

@test "bomb: zstd, nine 1 GiB members before /app: unknown, memory bounded" {
	amd_rss zstd-bomb 2 UNKNOWN
	is zstd-bomb unknown:limit-exceeded
	has zstd-bomb unknown:limit-exceeded "IMAGEFS_LAYER_UNPACKED_MAX"
}

# -- 13. tar headers, names and links ---------------------------------------

@test "tar: a negative size field is a corrupt layer" {
	amd tar-size-negative 1 FAIL
	is tar-size-negative fail:layer-corrupt
	has tar-size-negative fail:layer-corrupt "negative size"
}

@test "tar: a size field of 2^62 bytes is past the limit: unknown" {
	amd tar-size-huge 2 UNKNOWN
	is tar-size-huge unknown:limit-exceeded
	has tar-size-huge unknown:limit-exceeded "IMAGEFS_LAYER_UNPACKED_MAX"
}

@test "tar: '../../../etc/evil' climbs out; '/app' is inside the root" {
	amd tar-escape 1 FAIL
	is tar-escape fail:layer-path-escape
	has tar-escape fail:layer-path-escape "'\.\./\.\./\.\./etc/evil'"
	expect_jq "$(h tar-escape)" "$AMD" .entrypoint.resolved_path /app
	amd tar-escape 0 WARN --runtime containerd
	is tar-escape warn:layer-path-escape
}

@test "symlinks: a chain of 40 resolves, 41 is too many" {
	amd symlink-chain-40 0 PASS
	is symlink-chain-40
	expect_jq "$(h symlink-chain-40)" "$AMD" .entrypoint.resolved_path /app
	amd symlink-chain-41 1 FAIL
	is symlink-chain-41 fail:entrypoint-symlink-loop
	has symlink-chain-41 fail:entrypoint-symlink-loop \
		"more than 40 symbolic links"
}

# -- 14. ELF headers and #! lines the kernel refuses --------------------------

@test "elf: program headers past the end of the file" {
	amd phoff-past-end 1 FAIL
	is phoff-past-end fail:binary-malformed
	has phoff-past-end fail:binary-malformed "past end of file"
}

@test "elf: e_phnum 65535, a table over 64 KiB" {
	amd phnum-huge 1 FAIL
	is phnum-huge fail:binary-malformed
	has phnum-huge fail:binary-malformed "65535 program headers.*ELF_PHDR_TABLE_MAX"
}

@test "elf: e_phentsize 65535 is not an ELF64 program header" {
	amd phentsize-huge 1 FAIL
	is phentsize-huge fail:binary-malformed
	has phentsize-huge fail:binary-malformed "e_phentsize"
}

@test "elf: a PT_INTERP that points past the end of the file" {
	amd interp-past-end 1 FAIL
	is interp-past-end fail:binary-malformed
	has interp-past-end fail:binary-malformed "interpreter path past end"
}

@test "script: no newline within 256 bytes, the name runs to the end" {
	amd shebang-long 1 FAIL
	is shebang-long fail:script-interpreter-missing
	has shebang-long fail:script-interpreter-missing \
		"no end within 256 bytes.*exec format error"
}

@test "script: a file that is only '#!'" {
	amd shebang-only 1 FAIL
	is shebang-only fail:script-interpreter-missing
	has shebang-only fail:script-interpreter-missing "names no interpreter"
}

# -- 15. manifests and indexes past the limits --------------------------------

@test "limits: a manifest of 1000 layers, of 100000 layers (over 4 MiB)" {
	amd layers-1000 2 UNKNOWN
	is layers-1000 unknown:limit-exceeded
	has layers-1000 unknown:limit-exceeded "1000 layers.*MANIFEST_LAYERS_MAX"
	amd layers-100000 2 UNKNOWN
	is layers-100000 unknown:limit-exceeded
	has layers-100000 unknown:limit-exceeded "MANIFEST_BYTES_MAX"
}

@test "limits: an index of 2000 entries, of 100000 entries (over 4 MiB)" {
	amd index-2000 2 UNKNOWN
	is index-2000 unknown:limit-exceeded
	has index-2000 unknown:limit-exceeded "2000 entries.*INDEX_ENTRIES_MAX"
	amd index-100000 2 UNKNOWN
	is index-100000 unknown:limit-exceeded
	has index-100000 unknown:limit-exceeded "MANIFEST_BYTES_MAX"
}
