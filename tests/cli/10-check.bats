#!/usr/bin/env bats
# image-preflight check against a real registry holding every fx/ fixture
# and the demo images (tests/FIXTURES.md): verdict, exit status and
# finding codes on each node platform the table names.
#
# Tests marked "PRODUCT BUG" assert the correct behaviour that the product
# does not have yet (see the note in each); they fail until it is fixed.

# PAIR, ALL6 and the platform lists are split into words on purpose.
# shellcheck disable=SC2086

load ../lib/registry
load common

ALL6="linux/amd64 linux/arm64 linux/arm/v7 linux/ppc64le linux/s390x linux/riscv64"
PAIR="linux/amd64 linux/arm64"

setup_file() {
	registry_start fx plain
	export REG=$REG_FX_ADDR
	export DIGESTS="$BATS_FILE_TMPDIR/digests.json"
	local top
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	if ! python3 "$top/tests/lib/push-fixtures.py" "$REG" --insecure \
		--digests "$DIGESTS" >"$BATS_FILE_TMPDIR/push.out" \
		2>"$BATS_FILE_TMPDIR/push.err"; then
		cat "$BATS_FILE_TMPDIR/push.err" >&2
		echo "setup_file: pushing the fx fixtures failed" >&2
		return 1
	fi
	# The demo needs real Debian binaries (a download on the first run);
	# its failure fails only the demo tests, with this log.
	export DEMO_STATUS="$BATS_FILE_TMPDIR/demo.status"
	export DEMO_LOG="$BATS_FILE_TMPDIR/demo.log"
	local st=0
	(cd "$top" && python3 tests/demo/images.py "$REG" --insecure) \
		>"$DEMO_LOG" 2>&1 || st=$?
	echo "$st" >"$DEMO_STATUS"
}

teardown_file() {
	registry_stop_all
}

# -- helpers --------------------------------------------------------------

# platform_args PLATFORM...: --platform P for each.
platform_args() {
	local p
	PARGS=()
	for p in "$@"; do
		PARGS+=(--platform "$p")
	done
}

# check_on STATUS REF PLATFORMS [OPTIONS...]: one run of REF on each of
# the space-separated PLATFORMS.
check_on() {
	local want=$1 ref=$2 plats=$3
	shift 3
	platform_args $plats
	check_json "$want" "${PARGS[@]}" "$@" "$ref"
}

# The ELF machine number, class and byte order a node of PLATFORM runs.
elf_of() {
	case $1 in
	linux/amd64) echo "62 64 little" ;;
	linux/arm64) echo "183 64 little" ;;
	linux/arm/v7) echo "40 32 little" ;;
	linux/ppc64le) echo "21 64 little" ;;
	linux/s390x) echo "22 64 big" ;;
	linux/riscv64) echo "243 64 little" ;;
	*) echo "no ELF identity for $1" >&2 && return 1 ;;
	esac
}

# expect_native REF PLATFORM: the entrypoint's ELF is the node's own.
expect_native() {
	expect_jq "$1" "$2" \
		'"\(.entrypoint.elf.machine) \(.entrypoint.elf.class) \(.entrypoint.elf.byte_order)"' \
		"$(elf_of "$2")"
}

# expect_pass REF PLATFORM...: PASS, no finding above info, the index
# entry (or single manifest) for the node selected, native ELF.
expect_pass() {
	local ref=$1 p
	shift
	for p in "$@"; do
		expect_verdict "$ref" "$p" PASS
		expect_findings "$ref" "$p"
		expect_native "$ref" "$p"
	done
}

# expect_fail REF SEVERITY:CODE... -- PLATFORM...: FAIL with exactly
# those findings on each platform.
expect_fail() {
	local ref=$1 codes=() p
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		codes+=("$1")
		shift
	done
	shift
	for p in "$@"; do
		expect_verdict "$ref" "$p" FAIL
		expect_findings "$ref" "$p" "${codes[@]}"
	done
}

# digest_of REPO:TAG JQ-PATH: a digest from the --digests file.
digest_of() {
	jq -r --arg i "$1" ".images[\$i]$2" "$DIGESTS"
}

need_demo() {
	local st
	st=$(cat "$DEMO_STATUS")
	if [ "$st" != 0 ]; then
		echo "pushing the demo images failed ($st):" >&2
		cat "$DEMO_LOG" >&2
		return 1
	fi
}

# -- the tag's shape --------------------------------------------------------

@test "multi-oci: PASS on each of its six platforms, the node's entry chosen" {
	local r p
	r=$(fx multi-oci:1)
	check_on 0 "$r" "$ALL6"
	expect_pass "$r" $ALL6
	for p in $ALL6; do
		expect_jq "$r" "$p" '.selected.platform | .os + "/" +
			.architecture + (if .variant == "" then "" else
			"/" + .variant end)' "$p"
		expect_jq "$r" "$p" '.top.kind' index
		expect_jq "$r" "$p" '.platforms | length' 6
	done
}

@test "multi-oci: FAIL no-matching-platform on 386, arm/v6, loong64" {
	local r
	r=$(fx multi-oci:1)
	check_on 1 "$r" "linux/386 linux/arm/v6 linux/loong64"
	expect_fail "$r" fail:no-matching-platform -- \
		linux/386 linux/arm/v6 linux/loong64
	expect_finding "$r" linux/386 fail:no-matching-platform \
		'6 runnable platforms'
}

@test "multi-docker: a Docker list of Docker v2 manifests, PASS on all six" {
	local r p
	r=$(fx multi-docker:1)
	check_on 0 "$r" "$ALL6"
	expect_pass "$r" $ALL6
	for p in $ALL6; do
		expect_jq "$r" "$p" .top.media_type \
			application/vnd.docker.distribution.manifest.list.v2+json
		expect_jq "$r" "$p" .selected.media_type \
			application/vnd.docker.distribution.manifest.v2+json
	done
}

@test "multi-docker: FAIL no-matching-platform on 386, arm/v6, loong64" {
	local r
	r=$(fx multi-docker:1)
	check_on 1 "$r" "linux/386 linux/arm/v6 linux/loong64"
	expect_fail "$r" fail:no-matching-platform -- \
		linux/386 linux/arm/v6 linux/loong64
}

@test "cases.md 1: single amd64 manifest PASS on amd64" {
	local r
	r=$(fx single-amd64:1)
	check_on 0 "$r" linux/amd64
	expect_pass "$r" linux/amd64
	expect_jq "$r" linux/amd64 .top.kind manifest
	expect_jq "$r" linux/amd64 .entrypoint.path /coredns
}

@test "cases.md 1: single amd64 manifest FAIL on arm64, arm/v7, ppc64le, s390x, riscv64" {
	local r p plats="linux/arm64 linux/arm/v7 linux/ppc64le linux/s390x linux/riscv64"
	r=$(fx single-amd64:1)
	check_on 1 "$r" "$plats"
	expect_fail "$r" fail:single-manifest-wrong-platform \
		fail:binary-wrong-architecture -- $plats
	for p in $plats; do
		expect_finding "$r" "$p" fail:single-manifest-wrong-platform \
			'single linux/amd64 image, not a multi-platform index'
		expect_finding "$r" "$p" fail:binary-wrong-architecture \
			'x86-64.*exec format error'
		expect_jq "$r" "$p" .entrypoint.elf.machine 62
	done
}

@test "cases.md 1: text report, verdict line and finding lines" {
	local r
	r=$(fx single-amd64:1)
	pf check --insecure-registry "$REG" --platform linux/arm64 "$r"
	expect_status 1
	local first
	first=$(head -n 1 "$PF_OUT")
	[[ $first =~ ^FAIL\ +"$r"$ ]] || {
		echo "first line: [$first]" >&2
		return 1
	}
	expect_grep "finding line" \
		'^  fail +single-manifest-wrong-platform: the tag is a single linux/amd64 image' \
		"$PF_OUT"
	expect_grep "finding line" \
		'^  fail +binary-wrong-architecture: .*exec format error' "$PF_OUT"
	expect_no_grep "no colour" $'\033' "$PF_OUT"
}

@test "cases.md 2: impossible tuple: PASS on amd64" {
	local r
	r=$(fx impossible-tuple:1)
	check_on 0 "$r" linux/amd64
	expect_pass "$r" linux/amd64
}

@test "cases.md 2: impossible tuple: PASS on arm64 choosing the plain arm64 entry" {
	local r
	r=$(fx impossible-tuple:1)
	check_on 0 "$r" linux/arm64
	expect_pass "$r" linux/arm64
	expect_jq "$r" linux/arm64 .selected.digest \
		"$(digest_of fx/impossible-tuple:1 '.manifests[2].digest')"
	expect_jq "$r" linux/arm64 '[.platforms[].valid] | map(tostring) | join(" ")' \
		"true false true"
}

@test "cases.md 2: impossible tuple: FAIL on arm/v7, arm64/v7 noted as invalid" {
	local r
	r=$(fx impossible-tuple:1)
	check_on 1 "$r" linux/arm/v7
	expect_fail "$r" fail:no-matching-platform -- linux/arm/v7
	expect_finding "$r" linux/arm/v7 info:invalid-platform-entry \
		'linux/arm64/v7.*not a valid platform'
	expect_jq "$r" linux/arm/v7 .selected null
}

# -- metadata says one thing, the bytes another -----------------------------

@test "cases.md 4: wrong-binary PASS on amd64, FAIL on arm64 (ELF x86-64)" {
	local r
	r=$(fx wrong-binary:1)
	check_on 1 "$r" "$PAIR"
	expect_pass "$r" linux/amd64
	expect_fail "$r" fail:binary-wrong-architecture -- linux/arm64
	expect_finding "$r" linux/arm64 fail:binary-wrong-architecture \
		"'/usr/bin/x' is ELF64 little-endian x86-64 \\(machine 62\\); a linux/arm64 node"
	expect_jq "$r" linux/arm64 .config.architecture arm64
}

@test "cases.md 5: arm32-foreign64 FAIL on arm/v7 naming class and machine" {
	local r
	r=$(fx arm32-foreign64:1)
	check_on 1 "$r" linux/arm/v7
	expect_fail "$r" fail:binary-wrong-architecture -- linux/arm/v7
	expect_finding "$r" linux/arm/v7 fail:binary-wrong-architecture \
		'ELF64 .*x86-64 \(machine 62\).*ELF32 .*ARM \(machine 40\)'
	expect_jq "$r" linux/arm/v7 '.entrypoint.elf | "\(.class) \(.machine) \(.interpreter)"' \
		"64 62 /lib/ld-musl-x86_64.so.1"
}

@test "cases.md 5: arm32-foreign64 FAIL on amd64 (no entry) and arm64 (fallback, x86-64)" {
	local r
	r=$(fx arm32-foreign64:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:no-matching-platform -- linux/amd64
	expect_verdict "$r" linux/arm64 FAIL
	expect_finding "$r" linux/arm64 fail:binary-wrong-architecture
	expect_jq "$r" linux/arm64 '.selected.platform.variant' v7
}

@test "cases.md 7: wrong-config FAIL on arm64 by default, rule named, binary fine" {
	local r
	r=$(fx wrong-config:1)
	check_on 1 "$r" linux/arm64
	expect_fail "$r" fail:config-platform-mismatch -- linux/arm64
	expect_finding "$r" linux/arm64 fail:config-platform-mismatch \
		'CRI-O.*containerd would run it.*rule: any'
	expect_native "$r" linux/arm64
	expect_jq "$r" linux/arm64 .config.architecture amd64
	jq -e '.rules == "any"' "$PF_OUT" >/dev/null
}

# PRODUCT BUG (report content): cases.md 7 asks the report to say that
# the binary itself matches the node; the finding names only the rule.
@test "cases.md 7: wrong-config report says the binary itself matches the node" {
	local r
	r=$(fx wrong-config:1)
	check_on 1 "$r" linux/arm64
	expect_jq "$r" linux/arm64 '[.findings[].message |
		test("binary[^.;]*match"; "i")] | any' true
}

@test "cases.md 7: wrong-config FAIL on arm64 with --runtime cri-o" {
	local r
	r=$(fx wrong-config:1)
	check_on 1 "$r" linux/arm64 --runtime cri-o
	expect_fail "$r" fail:config-platform-mismatch -- linux/arm64
	expect_finding "$r" linux/arm64 fail:config-platform-mismatch \
		'rule: cri-o'
}

@test "cases.md 7: wrong-config WARN on arm64 with --runtime containerd, rule named" {
	local r
	r=$(fx wrong-config:1)
	check_on 0 "$r" linux/arm64 --runtime containerd
	expect_verdict "$r" linux/arm64 WARN
	expect_findings "$r" linux/arm64 warn:config-platform-mismatch
	expect_finding "$r" linux/arm64 warn:config-platform-mismatch \
		'containerd runs it anyway.*rule: containerd'
	jq -e '.rules == "containerd"' "$PF_OUT" >/dev/null
	# The text report says so too.
	pf check --insecure-registry "$REG" --platform linux/arm64 \
		--runtime containerd "$r"
	expect_status 0
	[[ $(head -n 1 "$PF_OUT") =~ ^WARN\ +"$r"$ ]]
	expect_grep "finding line" \
		'^  warn +config-platform-mismatch: .*rule: containerd' "$PF_OUT"
}

@test "cases.md 7: wrong-config FAIL on amd64 (no amd64 entry)" {
	local r
	r=$(fx wrong-config:1)
	check_on 1 "$r" linux/amd64 --runtime containerd
	expect_fail "$r" fail:no-matching-platform -- linux/amd64
}

@test "--strict: a WARN exits 1" {
	local a b
	a=$(fx wrong-config:1) b=$(fx arm-v7-fallback:1)
	check_json 0 --platform linux/arm64 --runtime containerd "$a" "$b"
	expect_verdict "$a" linux/arm64 WARN
	expect_verdict "$b" linux/arm64 WARN
	check_json 1 --platform linux/arm64 --runtime containerd --strict "$a"
	expect_jq "$a" linux/arm64 '.verdict | test("^(FAIL|WARN)$")' true
	check_json 1 --platform linux/arm64 --runtime containerd --strict "$b"
	check_json 0 --platform linux/amd64 --strict "$(fx multi-oci:1)"
}

# -- index semantics ---------------------------------------------------------

@test "cases.md 16: attestation PASS on amd64, never selected nor fetched" {
	local r att_m att_l
	r=$(fx attestation:1)
	check_on 0 "$r" linux/amd64
	expect_pass "$r" linux/amd64
	expect_jq "$r" linux/amd64 '.platforms | length' 1
	expect_jq "$r" linux/amd64 .selected.digest \
		"$(digest_of fx/attestation:1 '.manifests[0].digest')"
	att_m=$(digest_of fx/attestation:1 '.manifests[1].digest')
	att_l=$(digest_of fx/attestation:1 '.manifests[1].layers[0]')
	[ "$att_m" != null ] && [ "$att_l" != null ]
	grep -F 'image-preflight/' "$REG_FX_LOG" >"$BATS_TEST_TMPDIR/ours"
	expect_grep "our requests reach the log" '/fx/attestation/' \
		"$BATS_TEST_TMPDIR/ours"
	expect_no_grep "attestation manifest fetched" "$att_m" \
		"$BATS_TEST_TMPDIR/ours"
	expect_no_grep "attestation layer fetched" "$att_l" \
		"$BATS_TEST_TMPDIR/ours"
}

@test "cases.md 16: attestation FAIL on arm64, one runnable platform offered" {
	local r
	r=$(fx attestation:1)
	check_on 1 "$r" linux/arm64
	expect_fail "$r" fail:no-matching-platform -- linux/arm64
	expect_finding "$r" linux/arm64 fail:no-matching-platform \
		'offers 1 runnable platform \(linux/amd64\)'
}

@test "cases.md 18b: OCI index and manifests without mediaType PASS" {
	local r
	r=$(fx oci-nomediatype:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
}

@test "cases.md 18a: OCI index with Docker v2 children PASS" {
	local r
	r=$(fx oci-docker-children:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	expect_jq "$r" linux/arm64 .selected.media_type \
		application/vnd.docker.distribution.manifest.v2+json
}

@test "mixed compression: tar, gzip, zstd and zstd-labelled-gzip all read" {
	local r p
	r=$(fx mixed-compression:1)
	check_on 0 "$r" "linux/amd64 linux/arm64 linux/ppc64le linux/s390x"
	expect_pass "$r" linux/amd64 linux/arm64 linux/ppc64le
	# s390x: the media type says gzip, the bytes are zstd; a warning
	# about the mismatch is fine, a FAIL or UNKNOWN is not.
	expect_jq "$r" linux/s390x '.verdict | test("^(PASS|WARN)$")' true
	expect_native "$r" linux/s390x
	for p in linux/amd64 linux/arm64 linux/ppc64le linux/s390x; do
		expect_jq "$r" "$p" .entrypoint.resolved_path /app
	done
}

# -- layer layouts -------------------------------------------------------

@test "whiteout: FAIL entrypoint-deleted on amd64 and arm64" {
	local r
	r=$(fx whiteout:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:entrypoint-deleted -- $PAIR
	expect_finding "$r" linux/amd64 fail:entrypoint-deleted '\.wh\.app'
}

@test "opaque directory hides the entrypoint: FAIL on amd64 and arm64" {
	local r p
	r=$(fx opaque:1)
	check_on 1 "$r" "$PAIR"
	for p in $PAIR; do
		expect_verdict "$r" "$p" FAIL
		expect_jq "$r" "$p" '[.findings[] | select(.severity != "info")
			| .severity + ":" + .code] | join(" ") |
			test("^fail:entrypoint-(not-found|deleted)$")' true
	done
}

@test "opaque marker after the file in the same layer: PASS, native binary" {
	local r
	r=$(fx opaque-same-layer:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	expect_jq "$r" linux/arm64 .entrypoint.layer_index 1
}

@test "symlink chain: PASS, resolved to /usr/lib/app/real" {
	local r p
	r=$(fx symlink-chain:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	for p in $PAIR; do
		expect_jq "$r" "$p" .entrypoint.resolved_path /usr/lib/app/real
		expect_jq "$r" "$p" '.entrypoint.links | join(", ")' \
			"/bin -> usr/bin, /usr/bin/app -> ../lib/app/real"
	done
}

@test "symlink loop: FAIL entrypoint-symlink-loop" {
	local r
	r=$(fx symlink-loop:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:entrypoint-symlink-loop -- $PAIR
	expect_finding "$r" linux/amd64 fail:entrypoint-symlink-loop \
		'too many levels of symbolic links'
}

@test "hard link: PASS, the link has its target's content" {
	local r
	r=$(fx hardlink:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
}

@test "bare-name entrypoint: PATH search skips the non-executable file" {
	local r p
	r=$(fx path-lookup:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	for p in $PAIR; do
		expect_jq "$r" "$p" '.entrypoint.argv[0]' buildkitd
		expect_jq "$r" "$p" .entrypoint.path /usr/bin/buildkitd
		expect_jq "$r" "$p" .entrypoint.resolved_path /usr/bin/buildkitd
	done
}

@test "WorkingDir: ./run resolves to /srv/run, not the decoy /run" {
	local r p
	r=$(fx workdir:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	for p in $PAIR; do
		expect_jq "$r" "$p" .entrypoint.resolved_path /srv/run
		expect_jq "$r" "$p" '.entrypoint.argv | join(" ")' ./run
	done
}

# PRODUCT BUG (minor): the path is joined to WorkingDir without being
# cleaned, so the report says /srv/./run where the runtime's join (Go's
# filepath.Join) gives /srv/run.
@test "WorkingDir: the reported path is clean (/srv/run, not /srv/./run)" {
	local r
	r=$(fx workdir:1)
	check_on 0 "$r" linux/amd64
	expect_jq "$r" linux/amd64 .entrypoint.path /srv/run
}

@test "Cmd only: PASS, argv from Cmd" {
	local r
	r=$(fx cmd-only:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	expect_jq "$r" linux/amd64 '.entrypoint.argv | join(" ")' /app
}

@test "nothing to run: FAIL no-entrypoint on amd64 and arm64" {
	local r
	r=$(fx nothing:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:no-entrypoint -- $PAIR
	expect_finding "$r" linux/amd64 fail:no-entrypoint '--entrypoint'
}

@test "nothing to run: --entrypoint /app answers for the pod's command" {
	local r
	r=$(fx nothing:1)
	check_on 0 "$r" "$PAIR" --entrypoint /app --entrypoint --flag
	expect_pass "$r" $PAIR
	expect_jq "$r" linux/arm64 '.entrypoint.argv | join(" ")' "/app --flag"
	check_on 1 "$r" linux/amd64 --entrypoint /nope
	expect_fail "$r" fail:entrypoint-not-found -- linux/amd64
}

@test "missing entrypoint: FAIL entrypoint-not-found naming /nope" {
	local r
	r=$(fx missing-entry:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:entrypoint-not-found -- $PAIR
	expect_finding "$r" linux/arm64 fail:entrypoint-not-found "'/nope'"
}

@test "not executable: FAIL entrypoint-not-executable (mode 0644)" {
	local r
	r=$(fx not-executable:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:entrypoint-not-executable -- $PAIR
	expect_finding "$r" linux/amd64 fail:entrypoint-not-executable \
		'0644.*permission denied'
}

@test "directory entrypoint: FAIL entrypoint-is-directory" {
	local r
	r=$(fx directory-entry:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:entrypoint-is-directory -- $PAIR
}

@test "early stop: big-layer reads far less than 10% of its 30 MiB layer" {
	local r p
	r=$(fx big-layer:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	for p in $PAIR; do
		expect_jq "$r" "$p" '.stats.layer_bytes_total > 30000000' true
		expect_jq "$r" "$p" \
			'.stats.layer_bytes_read * 10 < .stats.layer_bytes_total' true
		expect_jq "$r" "$p" \
			'.stats.bytes_received * 10 < .stats.layer_bytes_total' true
	done
}

@test "a layer read twice (script, then its shell) is downloaded once" {
	local r n
	r=$(fx script:1)
	check_json 0 -v --platform linux/amd64 "$r"
	expect_verdict "$r" linux/amd64 PASS
	# /bin/sh comes before the script in the tar: the second look at the
	# layer is served from the bytes already read
	n=$(grep -c 'GET .*/blobs/.* range 0-' "$PF_ERR")
	if [ "$n" -ne 1 ]; then
		echo "want 1 ranged GET of the layer, got $n" >&2
		pf_dump
		return 1
	fi
	expect_jq "$r" linux/amd64 \
		'.stats.layer_bytes_read <= .stats.layer_bytes_total' true
}

@test "big-layer-late: the entrypoint after 8 MiB is found (whole layer read)" {
	local r
	r=$(fx big-layer-late:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	expect_jq "$r" linux/amd64 \
		'.stats.layer_bytes_read * 10 >= .stats.layer_bytes_total * 9' true
}

@test "truncated gzip layer: FAIL layer-corrupt, never PASS" {
	local r
	r=$(fx truncated-gzip:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:layer-corrupt -- $PAIR
}

@test "garbage layer: FAIL layer-corrupt, never PASS" {
	local r
	r=$(fx garbage-layer:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:layer-corrupt -- $PAIR
}

@test "broken ELF: FAIL binary-malformed" {
	local r
	r=$(fx broken-elf:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:binary-malformed -- $PAIR
	expect_finding "$r" linux/amd64 fail:binary-malformed \
		'exec format error'
}

# -- scripts and interpreters ---------------------------------------------

@test "script: PASS, /bin/sh checked too" {
	local r p
	r=$(fx script:1)
	check_on 0 "$r" "$PAIR"
	for p in $PAIR; do
		expect_verdict "$r" "$p" PASS
		expect_findings "$r" "$p"
		expect_jq "$r" "$p" .entrypoint.kind script
		expect_jq "$r" "$p" .entrypoint.interpreter /bin/sh
	done
}

@test "cases.md 10: CRLF shebang FAIL script-interpreter-missing" {
	local r
	r=$(fx script-crlf:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:script-interpreter-missing -- $PAIR
	expect_finding "$r" linux/amd64 fail:script-interpreter-missing \
		'carriage return'
}

# PRODUCT BUG: the interpreter name is escaped twice. The report must
# show the kernel's name once escaped, '/bin/sh\r' (a backslash and an
# r); it shows '/bin/sh\\r' in text and '/bin/sh\\\\r' in JSON.
@test "cases.md 10: CRLF interpreter shown as '/bin/sh\\r', escaped once" {
	local r
	r=$(fx script-crlf:1)
	check_on 1 "$r" linux/amd64
	expect_jq "$r" linux/amd64 .entrypoint.interpreter '/bin/sh\r'
	expect_finding "$r" linux/amd64 fail:script-interpreter-missing \
		"interpreter '/bin/sh\\\\r'"
	pf check --insecure-registry "$REG" --platform linux/amd64 "$r"
	expect_status 1
	grep -F "interpreter '/bin/sh\\r'" "$PF_OUT" || {
		printf '%s\n' "text report does not show '/bin/sh\\r':" >&2
		grep -a interpreter "$PF_OUT" >&2
		return 1
	}
}

@test "cases.md 11: #!/bin/bash without bash: FAIL naming /bin/bash" {
	local r
	r=$(fx bash-missing:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:script-interpreter-missing -- $PAIR
	expect_finding "$r" linux/arm64 fail:script-interpreter-missing \
		"'/bin/bash'"
}

@test "cases.md 11: #!/usr/bin/env python3 found on the config's PATH: PASS" {
	local r
	r=$(fx env-shebang:1)
	check_on 0 "$r" "$PAIR"
	expect_verdict "$r" linux/amd64 PASS
	expect_verdict "$r" linux/arm64 PASS
	expect_findings "$r" linux/amd64
	expect_findings "$r" linux/arm64
}

@test "cases.md 11: script whose /bin/sh is s390x: FAIL on the interpreter" {
	local r
	r=$(fx script-foreign-shell:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:binary-wrong-architecture -- $PAIR
	expect_finding "$r" linux/amd64 fail:binary-wrong-architecture \
		"interpreter '/bin/sh'.*machine 22"
}

# PRODUCT BUG (missing check): PT_INTERP is not looked up in the image,
# so a dynamic binary whose loader is absent passes.
@test "cases.md 8: missing loader FAIL on arm64 naming the interpreter" {
	local r
	r=$(fx missing-loader:1)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:no-matching-platform -- linux/amd64
	expect_jq "$r" linux/arm64 .entrypoint.elf.interpreter \
		/lib/ld-linux-aarch64.so.1
	expect_verdict "$r" linux/arm64 FAIL
	expect_finding "$r" linux/arm64 'fail:[a-z-]*' \
		'/lib/ld-linux-aarch64\.so\.1.*not in the image'
}

# PRODUCT BUG (missing check): as above, glibc loader on a musl rootfs.
@test "cases.md 9: glibc binary on a musl image FAIL on amd64 and arm64" {
	local r p interp
	r=$(fx glibc-on-musl:1)
	check_on 1 "$r" "$PAIR"
	for p in $PAIR; do
		interp=$(image "$r" "$p" | jq -r .entrypoint.elf.interpreter)
		[[ $interp == /lib*/ld-linux-* ]] || {
			echo "$p: interpreter [$interp]" >&2
			return 1
		}
		expect_verdict "$r" "$p" FAIL
		expect_finding "$r" "$p" 'fail:[a-z-]*' \
			"${interp//./\\.}.*not in the image"
		# the cause, in a node operator's words
		expect_finding "$r" "$p" fail:elf-interpreter-missing \
			'a glibc binary on a musl image'
		expect_finding "$r" "$p" info:libc-mismatch 'ld-musl'
	done
}

@test "cases.md 9: loader reached through the image's own symlinks: PASS" {
	local r p
	r=$(fx loader-via-symlink:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	for p in $PAIR; do
		expect_jq "$r" "$p" '.entrypoint.elf.interpreter | startswith("/lib")' true
	done
}

# -- CPU and kernel ------------------------------------------------------

@test "cases.md 13: align-4k on arm64 follows this kernel's page size; align-64k PASS" {
	local a b page
	a=$(fx align-4k:1) b=$(fx align-64k:1)
	page=$(getconf PAGESIZE)
	if [ "$page" = 4096 ]; then
		check_json 0 --platform linux/arm64 "$a" "$b"
		expect_pass "$a" linux/arm64
	else
		check_json 1 --platform linux/arm64 "$a" "$b"
		expect_verdict "$a" linux/arm64 FAIL
	fi
	expect_pass "$b" linux/arm64
	jq -e --argjson p "$page" '.host.page_size == $p' "$PF_OUT" >/dev/null
}

@test "align fixtures: FAIL on amd64 (arm64 only)" {
	check_json 1 --platform linux/amd64 "$(fx align-4k:1)" "$(fx align-64k:1)"
	expect_fail "$(fx align-4k:1)" fail:no-matching-platform -- linux/amd64
	expect_fail "$(fx align-64k:1)" fail:no-matching-platform -- linux/amd64
}

@test "arm/v7 fallback: PASS on amd64 and arm/v7, WARN on arm64 (containerd)" {
	local r
	r=$(fx arm-v7-fallback:1)
	check_on 0 "$r" "linux/amd64 linux/arm/v7 linux/arm64" \
		--runtime containerd
	expect_pass "$r" linux/amd64 linux/arm/v7
	expect_verdict "$r" linux/arm64 WARN
	expect_finding "$r" linux/arm64 warn:platform-fallback 'linux/arm/v7'
	expect_jq "$r" linux/arm64 .selected.platform.variant v7
}

@test "arm/v7 fallback on arm64: FAIL under cri-o and any rules" {
	local r rules
	r=$(fx arm-v7-fallback:1)
	for rules in cri-o any; do
		check_on 1 "$r" linux/arm64 --runtime "$rules"
		expect_finding "$r" linux/arm64 fail:platform-fallback \
			"never fall back to another architecture.*rule: $rules"
	done
}

# -- references -----------------------------------------------------------

@test "digest reference name@sha256:... PASS, the digest is the top" {
	local d r
	d=$(head -n 1 "$BATS_FILE_TMPDIR/push.out" | cut -d' ' -f2)
	[[ $d == sha256:* ]]
	r="$REG/fx/multi-oci@$d"
	check_json 0 --platform linux/arm64 "$r"
	expect_pass "$r" linux/arm64
	expect_jq "$r" linux/arm64 .top.digest "$d"
}

@test "tag+digest: the digest decides, whatever the tag" {
	local d a b
	d=$(digest_of fx/multi-oci:1 .digest)
	a="$REG/fx/multi-oci:1@$d" b="$REG/fx/multi-oci:no-such-tag@$d"
	check_json 0 --platform linux/amd64 "$a" "$b"
	expect_pass "$a" linux/amd64
	expect_pass "$b" linux/amd64
	expect_jq "$b" linux/amd64 .top.digest "$d"
}

@test "digest of a platform manifest: a single manifest" {
	local d r
	d=$(digest_of fx/multi-oci:1 '.manifests[0].digest')
	r="$REG/fx/multi-oci@$d"
	check_json 0 --platform linux/amd64 "$r"
	expect_pass "$r" linux/amd64
	expect_jq "$r" linux/amd64 .top.kind manifest
}

@test "unknown digest: FAIL image-not-found" {
	local r
	r="$REG/fx/multi-oci@sha256:$(printf '%064d' 0)"
	check_json 1 --platform linux/amd64 "$r"
	expect_fail "$r" fail:image-not-found -- linux/amd64
}

@test "a tag that does not exist: FAIL image-not-found, exit 1" {
	local r
	r=$(fx multi-oci:no-such-tag)
	check_json 1 --platform linux/amd64 "$r"
	expect_fail "$r" fail:image-not-found -- linux/amd64
}

@test "a repository that does not exist: FAIL image-not-found, exit 1" {
	local r
	r=$(fx no-such-repository:1)
	check_json 1 --platform linux/amd64 "$r"
	expect_fail "$r" fail:image-not-found -- linux/amd64
	pf check --insecure-registry "$REG" --platform linux/amd64 "$r"
	expect_status 1
	[[ $(head -n 1 "$PF_OUT") =~ ^FAIL\ +"$r"$ ]]
	expect_grep "finding line" '^  fail +image-not-found: ' "$PF_OUT"
}

# -- several images in one run ---------------------------------------------

@test "several images: exit status FAIL over UNKNOWN over PASS" {
	local pass fail warn unk
	pass=$(fx multi-oci:1) fail=$(fx whiteout:1) warn=$(fx arm-v7-fallback:1)
	# Nothing listens there: each run with it costs the product's retries.
	unk="127.0.0.1:$(closed_port)/fx/multi-oci:1"
	check_json 0 --platform linux/arm64 --runtime containerd "$pass" "$warn"
	check_json 1 --platform linux/arm64 --runtime containerd "$warn" "$fail" \
		"$pass"
	check_json 2 --platform linux/arm64 --runtime containerd "$unk" "$pass" \
		"$warn"
	expect_verdict "$unk" linux/arm64 UNKNOWN
	expect_findings "$unk" linux/arm64 unknown:registry-unreachable
	check_json 1 --platform linux/arm64 "$fail" "$unk" "$pass"
	expect_verdict "$fail" linux/arm64 FAIL
	expect_verdict "$unk" linux/arm64 UNKNOWN
	expect_verdict "$pass" linux/arm64 PASS
	jq -r '[.images[].reference] | join(" ")' "$PF_OUT" \
		>"$BATS_TEST_TMPDIR/order"
	[ "$(cat "$BATS_TEST_TMPDIR/order")" = "$fail $unk $pass" ]
}

@test "several images and platforms: one text block each, in order" {
	local a b
	a=$(fx multi-oci:1) b=$(fx single-amd64:1)
	pf check --insecure-registry "$REG" --platform linux/amd64 \
		--platform linux/arm64 "$a" "$b"
	expect_status 1
	grep -E '^(PASS|WARN|FAIL|UNKNOWN) ' "$PF_OUT" \
		>"$BATS_TEST_TMPDIR/firsts"
	printf '%s\n' "PASS $a" "PASS $b" "PASS $a" "FAIL $b" \
		>"$BATS_TEST_TMPDIR/want"
	sed -E 's/ +/ /' "$BATS_TEST_TMPDIR/firsts" |
		diff "$BATS_TEST_TMPDIR/want" - >&2
	expect_grep node '^  node: +linux/arm64$' "$PF_OUT"
}

# -- demo images: real Debian binaries ----------------------------------------

@test "demo/busybox:multi PASS on amd64, arm64, arm/v7, ppc64le, s390x" {
	need_demo
	local r plats="linux/amd64 linux/arm64 linux/arm/v7 linux/ppc64le linux/s390x"
	r=$(demo busybox:multi)
	check_on 0 "$r" "$plats"
	expect_pass "$r" $plats
	expect_jq "$r" linux/s390x .entrypoint.path /bin/busybox
}

@test "demo/busybox:multi FAIL on riscv64 and 386 (no entry)" {
	need_demo
	local r
	r=$(demo busybox:multi)
	check_on 1 "$r" "linux/riscv64 linux/386"
	expect_fail "$r" fail:no-matching-platform -- linux/riscv64 linux/386
}

@test "demo/coredns:v1.11.1 PASS on amd64" {
	need_demo
	local r
	r=$(demo coredns:v1.11.1)
	check_on 0 "$r" linux/amd64
	expect_pass "$r" linux/amd64
	expect_jq "$r" linux/amd64 .top.media_type \
		application/vnd.docker.distribution.manifest.v2+json
}

@test "demo/coredns:v1.11.1 FAIL on arm64, arm/v7, ppc64le, s390x" {
	need_demo
	local r plats="linux/arm64 linux/arm/v7 linux/ppc64le linux/s390x"
	r=$(demo coredns:v1.11.1)
	check_on 1 "$r" "$plats"
	expect_fail "$r" fail:single-manifest-wrong-platform \
		fail:binary-wrong-architecture -- $plats
}

@test "demo/busybox:arm64-mislabeled FAIL on amd64 (AArch64) and arm64 (no entry)" {
	need_demo
	local r
	r=$(demo busybox:arm64-mislabeled)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:binary-wrong-architecture -- linux/amd64
	expect_finding "$r" linux/amd64 fail:binary-wrong-architecture \
		'AArch64 \(machine 183\)'
	expect_fail "$r" fail:no-matching-platform -- linux/arm64
}

@test "demo/hello:1 PASS on amd64 and arm64, loader found through a symlink" {
	need_demo
	local r
	r=$(demo hello:1)
	check_on 0 "$r" "$PAIR"
	expect_pass "$r" $PAIR
	expect_jq "$r" linux/amd64 .entrypoint.elf.interpreter \
		/lib64/ld-linux-x86-64.so.2
	expect_jq "$r" linux/arm64 .entrypoint.elf.interpreter \
		/lib/ld-linux-aarch64.so.1
	# no ld.so.cache: Debian's ld.so searches its multiarch directory
	expect_finding "$r" linux/amd64 info:libraries-found \
		"1 shared library found: libc.so.6 \\(/lib/x86_64-linux-gnu/libc.so.6\\)"
	expect_finding "$r" linux/arm64 info:libraries-found \
		"1 shared library found: libc.so.6 \\(/lib/aarch64-linux-gnu/libc.so.6\\)"
}

# PRODUCT BUG (missing check): PT_INTERP is not looked up in the image.
@test "demo/hello:foreign-loader FAIL on arm64 naming the missing loader" {
	need_demo
	local r
	r=$(demo hello:foreign-loader)
	check_on 1 "$r" "$PAIR"
	expect_fail "$r" fail:no-matching-platform -- linux/amd64
	expect_verdict "$r" linux/arm64 FAIL
	expect_finding "$r" linux/arm64 'fail:[a-z-]*' \
		'/lib/ld-linux-aarch64\.so\.1.*not in the image'
}

@test "JSON: platforms nest their platform; parts not reached are null" {
	local multi single missing
	multi=$(fx multi-oci:1) single=$(fx single-amd64:1)
	missing=$(fx missing-entry:1)
	check_json 1 --platform linux/amd64 "$multi" "$single" "$missing"
	expect_jq "$multi" linux/amd64 \
		'[.platforms[].platform.architecture] | join(" ")' \
		"amd64 arm64 arm ppc64le s390x riscv64"
	expect_jq "$multi" linux/amd64 '.platforms[0] | keys | join(" ")' \
		"digest platform valid"
	expect_jq "$single" linux/amd64 '.platforms' null
	expect_jq "$missing" linux/amd64 \
		'[.entrypoint.layer_index, .entrypoint.size, .entrypoint.mode]
		 | map(tostring) | join(" ")' "null null null"
	expect_jq "$missing" linux/amd64 '.entrypoint.kind' unknown
}

@test "cases.md 13: 4 KiB-aligned segments FAIL on a 64 KiB-page kernel" {
	local a4 a64 ps
	a4=$(fx align-4k:1) a64=$(fx align-64k:1)
	for ps in 16384 65536; do
		check_json 1 --platform linux/arm64 --page-size "$ps" "$a4" "$a64"
		expect_findings "$a4" linux/arm64 fail:page-size-misaligned
		expect_finding "$a4" linux/arm64 fail:page-size-misaligned \
			"aligned to 0x1000 bytes; this kernel's pages are $ps"
		expect_verdict "$a64" linux/arm64 PASS
	done
	check_json 0 --platform linux/arm64 --page-size 4096 "$a4" "$a64"
}

@test "--page-size must be a power of two from 4096 to 1048576" {
	local v
	for v in 1000 4095 12288 2097152 x ''; do
		pf check --page-size "$v" "$(fx align-4k:1)"
		expect_status 3 || return 1
		expect_grep "message" "error: invalid page size" "$PF_ERR" ||
			return 1
	done
}

# -- the release gate -------------------------------------------------------

@test "gate: --compare-to catches a tag promoted as one child manifest" {
	local idx child single
	idx=$(fx multi-oci:1) single=$(fx single-amd64:1)
	child="$REG/fx/multi-oci@$(curl -sf -H \
		'Accept: application/vnd.oci.image.index.v1+json' \
		"http://$REG/v2/fx/multi-oci/manifests/1" |
		jq -r '.manifests[0].digest')"
	check_json 1 --platform linux/amd64 --compare-to "$idx" \
		"$child" "$idx" "$single"
	expect_findings "$child" linux/amd64 fail:promoted-child-manifest
	expect_finding "$child" linux/amd64 fail:promoted-child-manifest \
		"linux/amd64 child manifest of '$idx', not its index"
	expect_verdict "$idx" linux/amd64 PASS
	expect_finding "$idx" linux/amd64 info:same-as-reference ''
	expect_findings "$single" linux/amd64 warn:differs-from-reference
}

@test "gate: --require-platform wants an index offering each platform" {
	local idx single
	idx=$(fx multi-oci:1) single=$(fx single-amd64:1)
	check_json 0 --platform linux/amd64 --require-platform linux/arm64 \
		--require-platform linux/arm/v7 "$idx"
	check_json 1 --platform linux/amd64 --require-platform linux/arm64 \
		--require-platform linux/mips64le "$idx" "$single"
	expect_findings "$idx" linux/amd64 fail:required-platform-missing
	expect_finding "$idx" linux/amd64 fail:required-platform-missing \
		'no linux/mips64le entry'
	expect_findings "$single" linux/amd64 fail:not-an-index
	pf check --require-platform 'linux//x' "$idx"
	expect_status 3
}

@test "gate: --platform all checks each entry as a node of its own platform" {
	local idx wrong
	idx=$(fx multi-oci:1) wrong=$(fx wrong-binary:1)
	check_json 1 --platform all "$idx" "$wrong"
	[ "$(jq '[.images[] | select(.reference == "'"$idx"'")] | length' \
		"$PF_OUT")" = 6 ] || { pf_dump; return 1; }
	jq -e '[.images[] | select(.reference == "'"$idx"'") | .verdict] |
		all(. == "PASS")' "$PF_OUT" >/dev/null || { pf_dump; return 1; }
	expect_verdict "$wrong" linux/amd64 PASS
	expect_findings "$wrong" linux/arm64 fail:binary-wrong-architecture
	pf check --platform all --platform linux/amd64 "$idx"
	expect_status 3
}
