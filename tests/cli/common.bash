# shellcheck shell=bash disable=SC2016,SC2034
# Helpers shared by the CLI tests: run the binary under test, assert its
# exact exit status (a sanitizer report has its own status, so it always
# fails the test, with the report shown), and query its JSON report.
#
#   pf ARGS...              run $PREFLIGHT ARGS; sets PF_STATUS, PF_OUT
#                           (stdout file), PF_ERR (stderr file), PF_SECS
#   expect_status N         PF_STATUS is exactly N, else show everything
#   check_json N ARGS...    pf check -o json --insecure-registry $REG
#                           ARGS, expect status N and a JSON document
#   on_image REF PLATFORM FILTER
#                           jq -r FILTER on the images[] object for REF
#                           on node PLATFORM (there must be exactly one)
#   image REF PLATFORM      that object
#   expect_verdict REF PLATFORM VERDICT
#   expect_findings REF PLATFORM [SEVERITY:CODE...]
#                           exactly these distinct fail/warn/unknown
#                           findings (info ones are not counted; use
#                           expect_finding for those)
#   expect_finding REF PLATFORM SEVERITY:CODE [MESSAGE-RE]
#                           at least one such finding (both are regular
#                           expressions, SEVERITY:CODE anchored)
#   expect_jq REF PLATFORM FILTER EXPECTED
#                           jq -r FILTER on that image prints EXPECTED

: "${PREFLIGHT:?set PREFLIGHT to the absolute path of image-preflight}"

# Exit statuses the sanitizers use (set by tests/run-cli.sh).
SAN_ASAN_STATUS=86
SAN_UBSAN_STATUS=87

pf() {
	PF_OUT="$BATS_TEST_TMPDIR/pf.out"
	PF_ERR="$BATS_TEST_TMPDIR/pf.err"
	PF_CMD=$(printf '%q ' "$PREFLIGHT" "$@")
	local t0=$SECONDS
	PF_STATUS=0
	"$PREFLIGHT" "$@" >"$PF_OUT" 2>"$PF_ERR" </dev/null || PF_STATUS=$?
	PF_SECS=$((SECONDS - t0))
}

pf_dump() {
	{
		echo "command: $PF_CMD"
		echo "exit status: $PF_STATUS"
		echo "--- stderr:"
		head -c 20000 "$PF_ERR"
		echo "--- stdout (first 150 lines):"
		head -n 150 "$PF_OUT"
	} >&2
}

expect_status() {
	[ "$PF_STATUS" = "$1" ] && return 0
	case $PF_STATUS in
	"$SAN_ASAN_STATUS") echo "AddressSanitizer/LeakSanitizer report:" >&2 ;;
	"$SAN_UBSAN_STATUS") echo "UndefinedBehaviorSanitizer report:" >&2 ;;
	esac
	echo "expected exit status $1, got $PF_STATUS" >&2
	pf_dump
	return 1
}

check_json() {
	local want=$1
	shift
	pf check -o json --timeout 60 --insecure-registry "$REG" "$@"
	expect_status "$want" || return 1
	if ! jq -e '.schema == 1 and (.images | type == "array")' \
		"$PF_OUT" >/dev/null; then
		echo "stdout is not a schema 1 JSON report" >&2
		pf_dump
		return 1
	fi
}

# The reference for fixture NAME:TAG on the test registry.
fx() {
	printf '%s/fx/%s' "$REG" "$1"
}

demo() {
	printf '%s/demo/%s' "$REG" "$1"
}

_img_filter='.images[] | select(.reference == $ref and
	(.node | .os + "/" + .architecture +
	 (if .variant == "" then "" else "/" + .variant end)) == $plat)'

# on_image REF PLATFORM FILTER [JQ-ARGS...]: jq -r FILTER on the one
# images[] object for REF on node PLATFORM (one jq run per assertion).
on_image() {
	local ref=$1 plat=$2 filter=$3 got
	shift 3
	got=$(jq -r --arg ref "$ref" --arg plat "$plat" "$@" \
		"[$_img_filter] as \$m | if (\$m | length) != 1 then
		 \"images: \\(\$m | length)\" else (\$m[0] | $filter) end" \
		"$PF_OUT") || return 1
	if [[ $got == "images: "* ]]; then
		echo "report has ${got#images: } images for $ref on $plat" \
			"(expected 1); it has:" >&2
		jq -r '.images[] | "  \(.reference) on \(.node)"' "$PF_OUT" >&2
		return 1
	fi
	printf '%s\n' "$got"
}

# image REF PLATFORM: print that image's JSON object (exactly one).
image() {
	on_image "$1" "$2" .
}

# show REF PLATFORM: the image's verdict and findings, for a failure.
_show() {
	on_image "$1" "$2" '"  verdict \(.verdict), selected \(.selected.platform
		// null), entrypoint \(.entrypoint.resolved_path // null)",
		(.findings[] | "  \(.severity) \(.code): \(.message)")' >&2
}

expect_jq() {
	local got
	got=$(on_image "$1" "$2" "$3") || return 1
	[ "$got" = "$4" ] && return 0
	printf '%s on %s: %s: expected [%s], got [%s]\n' "$1" "$2" "$3" \
		"$4" "$got" >&2
	_show "$1" "$2"
	return 1
}

expect_verdict() {
	expect_jq "$1" "$2" .verdict "$3"
}

# The distinct fail/warn/unknown findings, as sorted SEVERITY:CODE words.
expect_findings() {
	local ref=$1 plat=$2 got want
	shift 2
	got=$(on_image "$ref" "$plat" '[.findings[] |
		select(.severity != "info") | .severity + ":" + .code] |
		unique | join(" ")') || return 1
	want=$(printf '%s\n' "$@" | grep -v '^$' | LC_ALL=C sort -u |
		paste -sd' ')
	[ "$got" = "$want" ] && return 0
	printf '%s on %s: expected findings [%s], got [%s]\n' "$ref" "$plat" \
		"$want" "$got" >&2
	_show "$ref" "$plat"
	return 1
}

expect_finding() {
	local n
	n=$(on_image "$1" "$2" '[.findings[] |
		select((.severity + ":" + .code | test("^" + $sc + "$")) and
		       (.message | test($re)))] | length' \
		--arg sc "$3" --arg re "${4:-}") || return 1
	[ "$n" -ge 1 ] && return 0
	printf '%s on %s: no finding %s with a message matching /%s/\n' \
		"$1" "$2" "$3" "${4:-}" >&2
	_show "$1" "$2"
	return 1
}

# expect_grep WHAT ERE FILE / expect_no_grep WHAT ERE FILE
expect_grep() {
	grep -E -q -- "$2" "$3" && return 0
	printf '%s: no line matching /%s/ in:\n' "$1" "$2" >&2
	cat "$3" >&2
	return 1
}

expect_no_grep() {
	grep -E -q -- "$2" "$3" || return 0
	printf '%s: unexpected line matching /%s/ in:\n' "$1" "$2" >&2
	grep -E -- "$2" "$3" >&2
	return 1
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
closed_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
