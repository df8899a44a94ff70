#!/usr/bin/env bats
# The registry protocol end to end: image-preflight against real local
# registries (TLS, Basic, token) and the fault proxy (cases.md 17-22).
#
# Run: PREFLIGHT=/abs/path/image-preflight bats tests/cli/30-registry.bats
# Every check runs as a linux/amd64 node (--platform), so the verdicts do
# not depend on the machine running the tests.

load ../lib/registry

# -- helpers ------------------------------------------------------------

# All four manifest types a client must offer (cases.md 17).
MT_OCI_INDEX=application/vnd.oci.image.index.v1+json
MT_DOCKER_LIST=application/vnd.docker.distribution.manifest.list.v2+json
MT_OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
MT_DOCKER_MANIFEST=application/vnd.docker.distribution.manifest.v2+json

# pf ARGS...: run the checker as a linux/amd64 node with JSON output.
# Sets STATUS, ELAPSED_MS; stdout in $OUT, stderr in $ERR.
pf() {
	pf_raw check --platform linux/amd64 -o json "$@"
}

# pf_raw ARGS...: run the checker with exactly ARGS (same outputs as pf).
pf_raw() {
	OUT="$BATS_TEST_TMPDIR/out" ERR="$BATS_TEST_TMPDIR/err"
	local t0 t1
	t0=$(date +%s%N)
	STATUS=0
	"$PREFLIGHT" "$@" >"$OUT" 2>"$ERR" || STATUS=$?
	t1=$(date +%s%N)
	ELAPSED_MS=$(((t1 - t0) / 1000000))
}

# show: what the last run printed, for a failing test's log.
show() {
	echo "--- exit $STATUS after $ELAPSED_MS ms; report:" >&2
	jq -c '.images[] | {verdict, source, findings, stats}' "$OUT" >&2 ||
		cat "$OUT" >&2
	echo "--- stderr:" >&2
	cat "$ERR" >&2
}

fail() {
	printf '%s\n' "$*" >&2
	show
	return 1
}

# q FILTER: jq on the first image of the last JSON report.
q() {
	jq -r ".images[0] | $1" "$OUT" 2>/dev/null
}

# expect_verdict VERDICT EXIT: the last run's verdict and exit status.
expect_verdict() {
	local v
	v=$(q .verdict)
	if [ "$v" != "$1" ] || [ "$STATUS" != "$2" ]; then
		fail "expected verdict $1 exit $2, got verdict [$v] exit $STATUS"
	fi
}

# expect_finding CODE SEVERITY REGEX...: a finding with CODE and
# SEVERITY whose message matches every (extended, case-insensitive)
# REGEX; FINDING is left holding that message.
expect_finding() {
	local code=$1 sev=$2 re
	shift 2
	FINDING=$(jq -r --arg c "$code" '.images[0].findings[] |
		select(.code == $c) | .severity + " " + .message' "$OUT" |
		head -n 1)
	[ -n "$FINDING" ] || fail "no finding '$code'"
	[ "${FINDING%% *}" = "$sev" ] ||
		fail "finding '$code' has severity ${FINDING%% *}, not $sev"
	FINDING=${FINDING#* }
	for re in "$@"; do
		grep -E -i -q -- "$re" <<<"$FINDING" ||
			fail "finding '$code' message lacks /$re/: $FINDING"
	done
}

# expect_any_finding SEVERITY REGEX: some finding of SEVERITY has a
# message matching REGEX (extended, case-insensitive).
expect_any_finding() {
	jq -r --arg s "$1" '.images[0].findings[] | select(.severity == $s) |
		.message' "$OUT" | grep -E -i -q -- "$2" ||
		fail "no $1 finding matching /$2/"
}

# expect_no_finding CODE: no finding with CODE.
expect_no_finding() {
	local n
	n=$(jq --arg c "$1" '[.images[0].findings[] | select(.code == $c)] |
		length' "$OUT")
	[ "$n" = 0 ] || fail "unexpected finding '$1'"
}

# expect_log_grep WHAT REGEX FILE: FILE has a line matching REGEX.
expect_log_grep() {
	grep -E -q -- "$2" "$3" || {
		printf '%s: no line matching [%s] in %s:\n' "$1" "$2" "$3" >&2
		cat "$3" >&2
		return 1
	}
}

# expect_no_log_grep WHAT REGEX FILE: no line of FILE matches REGEX.
expect_no_log_grep() {
	! grep -E -q -- "$2" "$3" || {
		printf '%s: unexpected line matching [%s] in %s:\n' "$1" "$2" \
			"$3" >&2
		grep -E -- "$2" "$3" >&2
		return 1
	}
}

# query_params QUERY: the decoded parameters of a query string, one
# "key=value" a line, in order.
query_params() {
	/usr/bin/python3 -c 'import sys, urllib.parse
for k, v in urllib.parse.parse_qsl(sys.argv[1], keep_blank_values=True):
	print("%s=%s" % (k, v))' "$1"
}

# expect_secret_absent SECRET...: no SECRET in the last run's output.
expect_secret_absent() {
	local s
	for s in "$@"; do
		! grep -F -q -- "$s" "$OUT" "$ERR" ||
			fail "secret [$s] printed"
	done
}

# push REGISTRY GLOB PUSH-FIXTURES-ARGS...: push the fx images matching
# GLOB; quiet unless it fails.
push() {
	local reg=$1 glob=$2 log
	shift 2
	log=$(/usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/push-fixtures.py" \
		"$reg" --only "$glob" "$@" 2>&1) || {
		echo "push $glob to $reg failed: $log" >&2
		return 1
	}
}

# ok_2xx_gets LOG: "PATH RANGE" of every GET the proxy answered 2xx.
ok_2xx_gets() {
	sed -n 's/^GET \([^ ]*\) .* range="\([^"]*\)" side=[a-z]* -> 2[0-9][0-9]$/\1 \2/p' \
		"$1"
}

# schema1_file: export SCHEMA1_FILE, a signed schema 1 manifest with
# architecture amd64 (cases.md 17): the shared real one if present, else
# one made here in the same libtrust pretty-JWS shape.
schema1_file() {
	local f shared
	shared=$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)/shared
	for f in "$shared"/fixtures/docker-v2s1-signed-manifest.*.json; do
		if [ -f "$f" ]; then
			export SCHEMA1_FILE=$f
			return 0
		fi
	done
	export SCHEMA1_FILE="$BATS_FILE_TMPDIR/schema1.json"
	/usr/bin/python3 - "$SCHEMA1_FILE" <<'PY'
import base64, json, sys
body = json.dumps({"schemaVersion": 1, "name": "fx/multi-oci", "tag": "1",
	"architecture": "amd64", "fsLayers": [{"blobSum": "sha256:" + "a" * 64}],
	"history": [{"v1Compatibility": "{}"}]}, indent=3)
n = len(body) - 2
b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
prot = b64(json.dumps({"formatLength": n,
	"formatTail": b64(body[n:].encode())}).encode())
sig = ',\n   "signatures": [{"header": {"alg": "ES256"}, "signature": "x", ' \
	'"protected": "%s"}]\n}' % prot
open(sys.argv[1], "w").write(body[:n] + sig)
PY
}

setup_file() {
	if [ -z "${PREFLIGHT:-}" ]; then
		PREFLIGHT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/image-preflight
	fi
	[ -x "$PREFLIGHT" ] || {
		echo "PREFLIGHT=$PREFLIGHT is not an executable" >&2
		return 1
	}
	export PREFLIGHT
	# Sanitizer builds: a report must change the exit status.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=87}
	unset IMAGE_PREFLIGHT_CREDS
	registry_start plain plain
	registry_start tls tls
	registry_start basic htpasswd
	registry_start tok token
	registry_start anon token-anon
	push "$REG_PLAIN_ADDR" 'fx/multi-oci:1' --insecure
	push "$REG_PLAIN_ADDR" 'fx/big-layer:1' --insecure
	push "$REG_TLS_URL" 'fx/single-amd64:1' --ca "$REG_TLS_CA"
	push "$REG_BASIC_ADDR" 'fx/single-amd64:1' --insecure \
		--user "$REG_BASIC_USER:$REG_BASIC_PASS"
	push "$REG_TOK_ADDR" 'fx/single-amd64:1' --insecure \
		--user "$REG_TOK_USER:$REG_TOK_PASS"
	push "$REG_ANON_ADDR" 'fx/single-amd64:1' --insecure \
		--user "$REG_ANON_USER:$REG_ANON_PASS"
	schema1_file
}

teardown_file() {
	registry_stop_all
}

setup() {
	unset IMAGE_PREFLIGHT_CREDS
}

# -- TLS ------------------------------------------------------------------

@test "tls: --ca-file with the registry's CA: PASS" {
	pf --ca-file "$REG_TLS_CA" "$REG_TLS_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
	[ "$(q .source.host)" = "$REG_TLS_ADDR" ] || fail "source.host"
}

@test "tls: an unknown CA is UNKNOWN naming TLS or the certificate" {
	pf "$REG_TLS_ADDR/fx/single-amd64:1"
	expect_verdict UNKNOWN 2
	expect_any_finding unknown 'tls|ssl|certificate'
}

@test "tls: --insecure-registry HOST:PORT skips verification: PASS" {
	pf --insecure-registry "$REG_TLS_ADDR" "$REG_TLS_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
}

# -- HTTP version ---------------------------------------------------------

@test "http_version: \"2\" over TLS (ALPN h2), \"1.1\" over plain HTTP" {
	local v
	# The registry itself offers h2 over TLS (Go's net/http does).
	v=$(curl -s --cacert "$REG_TLS_CA" -o /dev/null -w '%{http_version}' \
		"$REG_TLS_URL/v2/")
	[ "$v" = 2 ] || skip "the TLS registry negotiated HTTP/$v with curl"
	pf --ca-file "$REG_TLS_CA" "$REG_TLS_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
	v=$(q .stats.http_version)
	[ "$v" = 2 ] || fail "TLS: http_version [$v], expected [2]"
	pf_raw inspect --platform linux/amd64 -o json --ca-file "$REG_TLS_CA" \
		"$REG_TLS_ADDR/fx/single-amd64:1"
	v=$(jq -r .image.stats.http_version "$OUT")
	[ "$STATUS" = 0 ] && [ "$v" = 2 ] ||
		fail "inspect over TLS: exit $STATUS, http_version [$v]"
	# plain HTTP, after a TLS attempt that got no response
	pf "$REG_PLAIN_ADDR/fx/multi-oci:1"
	expect_verdict PASS 0
	v=$(q .stats.http_version)
	[ "$v" = 1.1 ] || fail "plain: http_version [$v], expected [1.1]"
}

@test "http_version: several, ascending, joined by commas (token realm 1.1, registry 2)" {
	local v creds
	registry_start tlstok tls-token
	creds="$REG_TLSTOK_USER:$REG_TLSTOK_PASS"
	push "$REG_TLSTOK_URL" 'fx/single-amd64:1' --ca "$REG_TLSTOK_CA" \
		--user "$creds"
	# the token server is plain HTTP/1.1 (tests/lib/tokenserver.py)
	pf --ca-file "$REG_TLSTOK_CA" --creds "$creds" \
		"$REG_TLSTOK_ADDR/fx/single-amd64:1"
	registry_stop tlstok
	expect_verdict PASS 0
	v=$(q .stats.http_version)
	[ "$v" = "1.1,2" ] || fail "http_version [$v], expected [1.1,2]"
}

@test "http_version: null when no response came (untrusted certificate)" {
	pf "$REG_TLS_ADDR/fx/single-amd64:1"
	expect_verdict UNKNOWN 2
	[ "$(q '.stats | has("http_version") and .http_version == null')" = \
		true ] || fail "http_version [$(q .stats.http_version)]"
}

# -- Basic auth (htpasswd) ------------------------------------------------

@test "htpasswd: no credentials: UNKNOWN registry-auth" {
	pf "$REG_BASIC_ADDR/fx/single-amd64:1"
	expect_verdict UNKNOWN 2
	expect_finding registry-auth unknown 'credentials|auth' \
		"$REG_BASIC_ADDR"
}

@test "htpasswd: wrong credentials: UNKNOWN registry-auth, never FAIL" {
	local bad=Wr0ng-Pa55-$RANDOM
	pf --creds "$REG_BASIC_USER:$bad" "$REG_BASIC_ADDR/fx/single-amd64:1"
	expect_verdict UNKNOWN 2
	expect_finding registry-auth unknown '401|denied|unauthori'
	expect_secret_absent "$bad" \
		"$(printf '%s:%s' "$REG_BASIC_USER" "$bad" | base64 -w0)"
}

@test "htpasswd: right credentials via --creds: PASS" {
	pf --creds "$REG_BASIC_USER:$REG_BASIC_PASS" \
		"$REG_BASIC_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
}

@test "htpasswd: right credentials via IMAGE_PREFLIGHT_CREDS: PASS" {
	IMAGE_PREFLIGHT_CREDS="$REG_BASIC_USER:$REG_BASIC_PASS" \
		pf "$REG_BASIC_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
}

@test "htpasswd: the password is never printed (-v, -o json, text)" {
	local b64 img="$REG_BASIC_ADDR/fx/single-amd64:1"
	b64=$(printf '%s:%s' "$REG_BASIC_USER" "$REG_BASIC_PASS" | base64 -w0)
	pf -v --creds "$REG_BASIC_USER:$REG_BASIC_PASS" "$img"
	expect_verdict PASS 0
	expect_secret_absent "$REG_BASIC_PASS" "$b64"
	grep -q -i 'debug' "$ERR" || fail "-v printed no diagnostics"
	pf_raw check --platform linux/amd64 -v \
		--creds "$REG_BASIC_USER:$REG_BASIC_PASS" "$img"
	[ "$STATUS" = 0 ] || fail "text report: exit $STATUS"
	expect_secret_absent "$REG_BASIC_PASS" "$b64"
	IMAGE_PREFLIGHT_CREDS="$REG_BASIC_USER:$REG_BASIC_PASS" \
		pf_raw check --platform linux/amd64 -v "$img"
	[ "$STATUS" = 0 ] || fail "text report (env): exit $STATUS"
	expect_secret_absent "$REG_BASIC_PASS" "$b64"
}

# -- Bearer tokens ------------------------------------------------------

@test "token-anon: anonymous token: PASS; realm asked with service and scope" {
	local n
	n=$(wc -l <"$REG_ANON_TOKEN_LOG")
	pf "$REG_ANON_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
	local line query
	line=$(tail -n +"$((n + 1))" "$REG_ANON_TOKEN_LOG" | head -n 1)
	[[ $line == "GET /token?"*" user=- -> 200 "* ]] ||
		fail "token log: [$line]"
	query=${line#GET /token?}
	query=${query%% *}
	[ "$(query_params "$query")" = "service=$REG_ANON_SERVICE
scope=repository:fx/single-amd64:pull" ] ||
		fail "token query: $(query_params "$query")"
}

@test "token: with credentials: PASS; scope pull, service from the challenge" {
	local n
	n=$(wc -l <"$REG_TOK_TOKEN_LOG")
	pf -v --creds "$REG_TOK_USER:$REG_TOK_PASS" \
		"$REG_TOK_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
	expect_secret_absent "$REG_TOK_PASS" \
		"$(printf '%s:%s' "$REG_TOK_USER" "$REG_TOK_PASS" | base64 -w0)"
	local line query
	line=$(tail -n +"$((n + 1))" "$REG_TOK_TOKEN_LOG" | head -n 1)
	[[ $line == "GET /token?"*" user=$REG_TOK_USER -> 200 granted=repository:fx/single-amd64:pull" ]] ||
		fail "token log: [$line]"
	query=${line#GET /token?}
	query=${query%% *}
	[ "$(query_params "$query")" = "service=$REG_TOK_SERVICE
scope=repository:fx/single-amd64:pull" ] ||
		fail "token query: $(query_params "$query")"
}

@test "token: one token per realm, service and scope for the whole run" {
	local n got
	n=$(wc -l <"$REG_TOK_TOKEN_LOG")
	# the same image on two platforms: two checks, one scope
	pf_raw check --platform linux/amd64 --platform linux/arm64 -o json \
		--creds "$REG_TOK_USER:$REG_TOK_PASS" \
		"$REG_TOK_ADDR/fx/single-amd64:1"
	[ "$STATUS" = 1 ] || fail "expected exit 1 (FAIL on arm64), got $STATUS"
	got=$(tail -n +"$((n + 1))" "$REG_TOK_TOKEN_LOG" | grep -c '^GET /token?')
	[ "$got" = 1 ] || fail "expected 1 token request, got $got"
}

@test "token: no credentials and no anonymous pull: UNKNOWN registry-auth" {
	pf "$REG_TOK_ADDR/fx/single-amd64:1"
	expect_verdict UNKNOWN 2
	expect_finding registry-auth unknown
}

@test "token: wrong credentials (realm answers 401): UNKNOWN registry-auth" {
	local bad=Wr0ng-T0ken-Pa55-$RANDOM
	pf --creds "$REG_TOK_USER:$bad" "$REG_TOK_ADDR/fx/single-amd64:1"
	expect_verdict UNKNOWN 2
	expect_finding registry-auth unknown '401'
	expect_secret_absent "$bad"
}

@test "case 21: bare Bearer realm (no service, no scope, not /token): PASS" {
	proxy_start gate "$REG_PLAIN_ADDR" --bearer-challenge
	pf "$PROXY_GATE_ADDR/fx/multi-oci:1"
	expect_verdict PASS 0
	[ -s "$PROXY_GATE_REALM_LOG" ] || fail "the realm was never asked"
	local query
	while read -r query; do
		[ "$(query_params "$query")" = \
			"scope=repository:fx/multi-oci:pull" ] ||
			fail "realm query [$query]: $(query_params "$query")"
	done <"$PROXY_GATE_REALM_LOG"
	expect_no_log_grep "realm log" '(^|&)service=' "$PROXY_GATE_REALM_LOG"
	expect_log_grep "proxy log" '^GET /auth/issue\?.* -> 200$' \
		"$PROXY_GATE_LOG"
}

# -- cases.md 19, 20, 18, 17 -------------------------------------------

@test "case 19: HEAD refused with 405, 403 or 404, GET works: PASS" {
	local code v
	for code in 405 403 404; do
		proxy_start "head$code" "$REG_PLAIN_ADDR" --head-status "$code"
		v=PROXY_HEAD${code}_ADDR
		pf "${!v}/fx/multi-oci:1"
		expect_verdict PASS 0
		v=PROXY_HEAD${code}_LOG
		expect_log_grep "HEAD $code" \
			"^HEAD /v2/fx/multi-oci/manifests/1 .* -> $code\$" "${!v}"
		expect_log_grep "GET after HEAD $code" \
			'^GET /v2/fx/multi-oci/manifests/1 .* -> 200$' "${!v}"
	done
}

@test "case 20: no Docker-Content-Digest header: PASS" {
	proxy_start nodig "$REG_PLAIN_ADDR" --strip-digest-header
	pf "$PROXY_NODIG_ADDR/fx/multi-oci:1"
	expect_verdict PASS 0
}

@test "case 20: content that does not match its digest: FAIL naming the host" {
	proxy_start bad "$REG_PLAIN_ADDR" --corrupt-body
	pf "$PROXY_BAD_ADDR/fx/multi-oci:1"
	expect_verdict FAIL 1
	expect_finding content-digest-mismatch fail \
		'does not match' "$PROXY_BAD_ADDR"
}

@test "case 18c: text/html Content-Type on a valid manifest: WARN" {
	proxy_start ctype "$REG_PLAIN_ADDR" --content-type text/html
	pf "$PROXY_CTYPE_ADDR/fx/multi-oci:1"
	expect_verdict WARN 0
	expect_finding content-type-mismatch warn 'text/html' \
		"$PROXY_CTYPE_ADDR"
}

@test "case 18d: an HTML page instead of a manifest: UNKNOWN naming the host" {
	proxy_start html "$REG_PLAIN_ADDR" --html-page
	pf "$PROXY_HTML_ADDR/fx/multi-oci:1"
	expect_verdict UNKNOWN 2
	expect_finding manifest-unreadable unknown "$PROXY_HTML_ADDR" \
		'not a manifest|html'
}

@test "case 17: schema 1 manifest: FAIL naming its architecture" {
	proxy_start s1 "$REG_PLAIN_ADDR" --serve-schema1 "$SCHEMA1_FILE"
	pf "$PROXY_S1_ADDR/fx/multi-oci:1"
	expect_verdict FAIL 1
	expect_finding schema1-manifest fail 'schema 1' 'amd64'
	expect_no_finding content-digest-mismatch
}

@test "case 17: every manifest request offers all four types" {
	proxy_start s1acc "$REG_PLAIN_ADDR" --serve-schema1 "$SCHEMA1_FILE" \
		--strip-digest-header
	pf "$PROXY_S1ACC_ADDR/fx/multi-oci:1"
	expect_verdict FAIL 1
	expect_finding schema1-manifest fail 'amd64'
	proxy_start acc "$REG_PLAIN_ADDR"
	pf "$PROXY_ACC_ADDR/fx/multi-oci:1"
	expect_verdict PASS 0
	local log line t n=0
	for log in "$PROXY_S1ACC_LOG" "$PROXY_ACC_LOG"; do
		while read -r line; do
			n=$((n + 1))
			for t in "$MT_OCI_INDEX" "$MT_DOCKER_LIST" \
				"$MT_OCI_MANIFEST" "$MT_DOCKER_MANIFEST"; do
				[[ $line == *accept=\"*"$t"* ]] ||
					fail "Accept lacks $t: $line"
			done
		done < <(grep -E '^(GET|HEAD) /v2/[^ ]*/manifests/' "$log")
	done
	[ "$n" -ge 4 ] || fail "only $n manifest requests logged"
}

# -- cases.md 22: rate limits, HEAD for tags, no double fetch -------------

@test "case 22: tags resolve with HEAD; no digest is fetched twice" {
	proxy_start once "$REG_PLAIN_ADDR"
	pf "$PROXY_ONCE_ADDR/fx/multi-oci:1"
	expect_verdict PASS 0
	expect_log_grep "tag HEAD" \
		'^HEAD /v2/fx/multi-oci/manifests/1 .* -> 200$' "$PROXY_ONCE_LOG"
	expect_no_log_grep "tag GET" '^GET /v2/fx/multi-oci/manifests/1 ' \
		"$PROXY_ONCE_LOG"
	local dup
	dup=$(ok_2xx_gets "$PROXY_ONCE_LOG" | sort | uniq -d)
	[ -z "$dup" ] || fail "fetched twice: $dup"
	[ "$(ok_2xx_gets "$PROXY_ONCE_LOG" | wc -l)" -ge 4 ] ||
		fail "too few GETs logged"
}

@test "case 22: 429 with Retry-After inside the budget: retried after the wait" {
	proxy_start rl1 "$REG_PLAIN_ADDR" --rate-limit 1
	pf --timeout 30 "$PROXY_RL1_ADDR/fx/multi-oci:1"
	# The proxy never stops limiting: retried, then rate limited.
	expect_verdict UNKNOWN 2
	expect_finding registry-rate-limited unknown 'rate limit' '429'
	local gets
	gets=$(grep -c '^GET /v2/fx/multi-oci/manifests/sha256:.* -> 429$' \
		"$PROXY_RL1_LOG")
	[ "$gets" -ge 2 ] || fail "no retry after 429: $gets GETs"
	[ "$ELAPSED_MS" -ge $(((gets - 1) * 1000 - 100)) ] ||
		fail "$gets tries in $ELAPSED_MS ms: Retry-After 1 not honoured"
	[ "$ELAPSED_MS" -lt 20000 ] || fail "took $ELAPSED_MS ms"
	expect_log_grep "tag HEAD" \
		'^HEAD /v2/fx/multi-oci/manifests/1 .* -> 200$' "$PROXY_RL1_LOG"
	expect_no_log_grep "tag GET" '^GET /v2/fx/multi-oci/manifests/1 ' \
		"$PROXY_RL1_LOG"
}

@test "case 22: Retry-After beyond the --timeout budget: UNKNOWN at once" {
	proxy_start rl600 "$REG_PLAIN_ADDR" --rate-limit 600
	pf --timeout 20 "$PROXY_RL600_ADDR/fx/multi-oci:1"
	expect_verdict UNKNOWN 2
	expect_finding registry-rate-limited unknown 'rate limit'
	[ "$ELAPSED_MS" -lt 5000 ] ||
		fail "waited $ELAPSED_MS ms for a Retry-After it cannot honour"
	[ "$(grep -c '^GET /v2/fx/multi-oci/manifests/' "$PROXY_RL600_LOG")" \
		= 1 ] || fail "manifest GET retried"
}

# -- error statuses -------------------------------------------------------

@test "404 MANIFEST_UNKNOWN: FAIL image-not-found naming the host" {
	proxy_start nf "$REG_PLAIN_ADDR" --status-manifests 404
	pf "$PROXY_NF_ADDR/fx/multi-oci:1"
	expect_verdict FAIL 1
	expect_finding image-not-found fail 'MANIFEST_UNKNOWN|not found|unknown' \
		"$PROXY_NF_ADDR"
}

@test "500: UNKNOWN registry-error after retries" {
	proxy_start s500 "$REG_PLAIN_ADDR" --status-manifests 500
	pf --timeout 60 "$PROXY_S500_ADDR/fx/multi-oci:1"
	expect_verdict UNKNOWN 2
	expect_finding registry-error unknown '500'
	local n
	n=$(grep -c '^GET /v2/fx/multi-oci/manifests/1 .* -> 500$' \
		"$PROXY_S500_LOG")
	[ "$n" -ge 2 ] || fail "500 not retried ($n GETs)"
}

@test "404 with a non-registry error code: UNKNOWN, not FAIL" {
	proxy_start odd "$REG_PLAIN_ADDR" --status-manifests 404 \
		--error-code PAGE_NOT_FOUND --error-message "no such page"
	pf "$PROXY_ODD_ADDR/fx/multi-oci:1"
	expect_verdict UNKNOWN 2
	expect_no_finding image-not-found
	expect_finding registry-error unknown '404'
}

@test "404 from a server that is no registry (no error body): UNKNOWN" {
	# The token server answers /v2/... GETs with 404 {"details": ...};
	# HEAD is answered 404 with no body by the proxy.
	local tokaddr=${REG_TOK_REALM#http://}
	tokaddr=${tokaddr%%/*}
	proxy_start noreg "$tokaddr" --head-status 404
	pf "$PROXY_NOREG_ADDR/fx/multi-oci:1"
	expect_log_grep "GET 404" '^GET /v2/fx/multi-oci/manifests/1 .* -> 404$' \
		"$PROXY_NOREG_LOG"
	expect_verdict UNKNOWN 2
	expect_no_finding image-not-found
	expect_finding registry-error unknown '404'
}

# -- layers: ranges and redirects ----------------------------------------

@test "Range ignored: fx/big-layer PASS, the whole-blob answer is cut early" {
	proxy_start norange "$REG_PLAIN_ADDR" --ignore-range
	pf "$PROXY_NORANGE_ADDR/fx/big-layer:1"
	expect_verdict PASS 0
	local read total recv
	read=$(q .stats.layer_bytes_read)
	total=$(q .stats.layer_bytes_total)
	recv=$(q .stats.bytes_received)
	[ "$total" -gt 20000000 ] || fail "layer_bytes_total $total"
	[ "$read" -gt 0 ] && [ "$read" -lt $((total / 20)) ] ||
		fail "layer_bytes_read $read of $total"
	[ "$recv" -lt $((total / 20)) ] ||
		fail "bytes_received $recv of a $total byte layer"
	# The checker asked for a range; the proxy dropped it (200).
	expect_log_grep "ranged GET" \
		'^GET /v2/fx/big-layer/blobs/sha256:.* range="bytes=0-[0-9]+" side=front -> 200$' \
		"$PROXY_NORANGE_LOG"
}

@test "ranged reads: fx/big-layer's /app, its first entry, costs one 2 KiB range of a 20 MB layer" {
	proxy_start ranges "$REG_PLAIN_ADDR"
	pf "$PROXY_RANGES_ADDR/fx/big-layer:1"
	expect_verdict PASS 0
	local read
	read=$(q .stats.layer_bytes_read)
	[ "$read" -gt 0 ] && [ "$read" -le 2048 ] ||
		fail "layer_bytes_read $read, more than the first range"
	expect_log_grep "one first range" \
		'^GET /v2/fx/big-layer/blobs/sha256:.* range="bytes=0-2047" side=front -> 206$' \
		"$PROXY_RANGES_LOG"
	[ "$(grep -c '^GET /v2/fx/big-layer/blobs/' "$PROXY_RANGES_LOG")" -eq 2 ] ||
		fail "more than the config and one range: $(cat "$PROXY_RANGES_LOG")"
}

@test "blob redirect to another host: PASS, no Authorization leaks there" {
	proxy_start redir "$REG_BASIC_ADDR" --redirect-blobs localhost \
		--upstream-auth "$REG_BASIC_USER:$REG_BASIC_PASS" \
		--reject-auth-on-redirect
	pf --creds "$REG_BASIC_USER:$REG_BASIC_PASS" \
		"$PROXY_REDIR_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
	expect_log_grep "front" \
		'^GET /v2/fx/single-amd64/blobs/sha256:[0-9a-f]+ .*auth=Basic .*side=front -> 307$' \
		"$PROXY_REDIR_LOG"
	expect_log_grep "redirected" \
		"host=localhost:$PROXY_REDIR_PORT auth=no .*side=redirected -> 20[06]\$" \
		"$PROXY_REDIR_LOG"
	expect_no_log_grep "credentials on the redirected side" \
		'auth=[^n][^ ]* .*side=redirected' "$PROXY_REDIR_LOG"
}

# -- time and connections ----------------------------------------------

@test "a registry slower than --timeout: UNKNOWN within about --timeout" {
	proxy_start slow "$REG_PLAIN_ADDR" --delay 30
	pf --timeout 3 "$PROXY_SLOW_ADDR/fx/multi-oci:1"
	expect_verdict UNKNOWN 2
	expect_finding registry-unreachable unknown 'time'
	[ "$ELAPSED_MS" -ge 1500 ] || fail "gave up after $ELAPSED_MS ms"
	[ "$ELAPSED_MS" -le 5000 ] ||
		fail "took $ELAPSED_MS ms for --timeout 3"
}

@test "one TCP connection for the whole check (registry log)" {
	grep -q 'remoteaddr=' "$REG_TLS_LOG" ||
		skip "the registry log names no client address"
	local n reqs i addrs lines
	n=$(wc -l <"$REG_TLS_LOG")
	pf --ca-file "$REG_TLS_CA" "$REG_TLS_ADDR/fx/single-amd64:1"
	expect_verdict PASS 0
	reqs=$(q .stats.requests)
	# The registry logs a request once it completed: wait for all.
	for ((i = 0; i < 40; i++)); do
		lines=$(tail -n +"$((n + 1))" "$REG_TLS_LOG" |
			grep 'msg="response completed"' |
			grep 'useragent=image-preflight')
		[ "$(grep -c . <<<"$lines")" -ge "$reqs" ] && break
		sleep 0.05
	done
	addrs=$(grep -o 'remoteaddr="[^"]*"' <<<"$lines" | sort -u)
	[ "$(grep -c . <<<"$lines")" -ge 4 ] ||
		fail "only $(grep -c . <<<"$lines") requests logged"
	[ "$(grep -c . <<<"$addrs")" = 1 ] ||
		fail "$(grep -c . <<<"$addrs") connections for $reqs requests: $addrs"
}
