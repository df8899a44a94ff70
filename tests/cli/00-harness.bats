#!/usr/bin/env bats
# The test harness itself: each registry mode and each fault proxy mode,
# driven with curl, does what tests/lib/registry.bash says it does.

load ../lib/registry

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
REPO=harness/tiny

# -- helpers ------------------------------------------------------------

# req CURL-ARGS...: run curl; STATUS, headers in $H, body in $B.
req() {
	H="$BATS_TEST_TMPDIR/headers" B="$BATS_TEST_TMPDIR/body"
	STATUS=$(curl -s --max-time 20 -D "$H" -o "$B" -w '%{http_code}' "$@") ||
		true
}

# header NAME: the value of header NAME in the last answer.
header() {
	grep -i "^$1:" "$H" | tail -n 1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'
}

expect_eq() {
	if [ "$2" != "$3" ]; then
		printf '%s: expected [%s], got [%s]\n' "$1" "$2" "$3" >&2
		return 1
	fi
}

# expect_line WHAT LINE FILE: FILE has exactly LINE.
expect_line() {
	if ! grep -F -x -q -- "$2" "$3"; then
		printf '%s: no line [%s] in %s:\n' "$1" "$2" "$3" >&2
		cat "$3" >&2
		return 1
	fi
}

expect_grep() {
	if ! grep -E -q -- "$2" "$3"; then
		printf '%s: no line matching [%s] in %s:\n' "$1" "$2" "$3" >&2
		cat "$3" >&2
		return 1
	fi
}

expect_dead() {
	if _reg_alive "$1"; then
		echo "process $1 still runs: $(tr '\0' ' ' </proc/"$1"/cmdline)" >&2
		return 1
	fi
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

json() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
	v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$@"
}

# push_blob URL FILE CURL-ARGS...: monolithic upload (POST then PUT),
# as the distribution spec describes; prints the final status.
push_blob() {
	local url=$1 file=$2 loc sep
	shift 2
	req -X POST "$@" "$url/v2/$REPO/blobs/uploads/"
	[ "$STATUS" = 202 ] || {
		echo "upload start: $STATUS" >&2
		cat "$B" >&2
		return 1
	}
	loc=$(header Location)
	case $loc in /*) loc=$url$loc ;; esac
	case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
	req -X PUT "$@" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$file" "$loc${sep}digest=sha256:$(sha "$file")"
	echo "$STATUS"
}

# push_image URL CURL-ARGS...: push the tiny image as $REPO:v1.
push_image() {
	local url=$1 f s
	shift
	for f in "$IMG/config.json" "$IMG/layer.tar.gz"; do
		s=$(push_blob "$url" "$f" "$@")
		[ "$s" = 201 ] || {
			echo "push $f: $s" >&2
			return 1
		}
	done
	req -X PUT "$@" -H "Content-Type: $OCI_MANIFEST" \
		--data-binary "@$IMG/manifest.json" "$url/v2/$REPO/manifests/v1"
	expect_eq "manifest PUT status" 201 "$STATUS"
}

# bearer_token REALM SERVICE SCOPE CURL-ARGS...: a token from REALM.
bearer_token() {
	local realm=$1 service=$2 scope=$3
	shift 3
	req "$@" "$realm?service=$service&scope=$scope"
	[ "$STATUS" = 200 ] || {
		echo "token: $STATUS $(cat "$B")" >&2
		return 1
	}
	json "$B" token
}

make_image() {
	IMG="$BATS_FILE_TMPDIR/img"
	mkdir -p "$IMG/root"
	echo "hello from the harness" >"$IMG/root/hello"
	tar -C "$IMG/root" -czf "$IMG/layer.tar.gz" hello
	local diff
	diff=$(gzip -dc "$IMG/layer.tar.gz" | sha256sum | cut -d' ' -f1)
	printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/hello"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$diff" >"$IMG/config.json"
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
		"$OCI_MANIFEST" "$(sha "$IMG/config.json")" \
		"$(stat -c %s "$IMG/config.json")" "$(sha "$IMG/layer.tar.gz")" \
		"$(stat -c %s "$IMG/layer.tar.gz")" >"$IMG/manifest.json"
	MANIFEST_DIGEST="sha256:$(sha "$IMG/manifest.json")"
	LAYER_DIGEST="sha256:$(sha "$IMG/layer.tar.gz")"
	export IMG MANIFEST_DIGEST LAYER_DIGEST
}

setup_file() {
	make_image
	registry_start plain plain
	registry_start tls tls
	registry_start basic htpasswd
	registry_start tlsbasic tls-htpasswd
	registry_start tok token
	registry_start anon token-anon
	push_image "$REG_PLAIN_URL"
}

teardown_file() {
	registry_stop_all
}

# -- registries -----------------------------------------------------------

@test "registries listen on 127.0.0.1, not on port 5000, with their own config" {
	local n addr cfg
	for n in PLAIN TLS BASIC TLSBASIC TOK ANON; do
		addr=REG_${n}_ADDR cfg=REG_${n}_CONFIG
		[[ ${!addr} == 127.0.0.1:* ]] || {
			echo "$n: ${!addr}" >&2
			return 1
		}
		[ "${!addr}" != 127.0.0.1:5000 ]
		[[ ${!cfg} == "$REG_ROOT"/* ]]
		expect_grep "$n config" "addr: ${!addr}\$" "${!cfg}"
		expect_grep "$n delete" "enabled: true" "${!cfg}"
	done
}

@test "plain: /v2/ answers, the pushed image reads back by tag and digest" {
	req "$REG_PLAIN_URL/v2/"
	expect_eq "/v2/ status" 200 "$STATUS"
	req -I -H "Accept: $OCI_MANIFEST" "$REG_PLAIN_URL/v2/$REPO/manifests/v1"
	expect_eq "HEAD status" 200 "$STATUS"
	expect_eq "digest header" "$MANIFEST_DIGEST" "$(header Docker-Content-Digest)"
	req "$REG_PLAIN_URL/v2/$REPO/blobs/$LAYER_DIGEST"
	expect_eq "blob status" 200 "$STATUS"
	expect_eq "blob bytes" "$LAYER_DIGEST" "sha256:$(sha "$B")"
	req -X DELETE "$REG_PLAIN_URL/v2/$REPO/manifests/sha256:0000000000000000000000000000000000000000000000000000000000000000"
	expect_eq "DELETE (enabled) of an unknown digest" 404 "$STATUS"
}

@test "tls: HTTPS verifies with the harness CA for 127.0.0.1 and localhost" {
	req --cacert "$REG_TLS_CA" "$REG_TLS_URL/v2/"
	expect_eq "127.0.0.1" 200 "$STATUS"
	req --cacert "$REG_TLS_CA" "https://localhost:$REG_TLS_PORT/v2/"
	expect_eq "localhost" 200 "$STATUS"
	run curl -s -o /dev/null "$REG_TLS_URL/v2/"
	expect_eq "curl exit without the CA" 60 "$status"
	req "http://$REG_TLS_ADDR/v2/"
	expect_eq "plain HTTP to the TLS port" 400 "$STATUS"
	push_image "$REG_TLS_URL" --cacert "$REG_TLS_CA"
}

@test "htpasswd: anonymous 401 with a Basic challenge, push with the user" {
	req "$REG_BASIC_URL/v2/"
	expect_eq "anonymous" 401 "$STATUS"
	expect_eq "challenge" 'Basic realm="preflight-test"' \
		"$(header WWW-Authenticate)"
	req -u "$REG_BASIC_USER:wrong" "$REG_BASIC_URL/v2/"
	expect_eq "wrong password" 401 "$STATUS"
	push_image "$REG_BASIC_URL" -u "$REG_BASIC_USER:$REG_BASIC_PASS"
	registry_docker_config basic "$BATS_TEST_TMPDIR/config.json"
	expect_eq "docker config auth" \
		"$(printf '%s:%s' "$REG_BASIC_USER" "$REG_BASIC_PASS" | base64 -w0)" \
		"$(json "$BATS_TEST_TMPDIR/config.json" auths "$REG_BASIC_ADDR" auth)"
}

@test "tls-htpasswd: HTTPS and Basic auth together" {
	req --cacert "$REG_TLSBASIC_CA" "$REG_TLSBASIC_URL/v2/"
	expect_eq "anonymous" 401 "$STATUS"
	req --cacert "$REG_TLSBASIC_CA" -u "$REG_TLSBASIC_USER:$REG_TLSBASIC_PASS" \
		"$REG_TLSBASIC_URL/v2/"
	expect_eq "with the user" 200 "$STATUS"
}

@test "token: challenge, token from the realm with Basic, push and pull" {
	req "$REG_TOK_URL/v2/$REPO/manifests/v1"
	expect_eq "anonymous" 401 "$STATUS"
	expect_eq "challenge" \
		"Bearer realm=\"$REG_TOK_REALM\",service=\"$REG_TOK_SERVICE\",scope=\"repository:$REPO:pull\"" \
		"$(header WWW-Authenticate)"
	local tok
	tok=$(bearer_token "$REG_TOK_REALM" "$REG_TOK_SERVICE" \
		"repository:$REPO:pull,push" -u "$REG_TOK_USER:$REG_TOK_PASS")
	push_image "$REG_TOK_URL" -H "Authorization: Bearer $tok"
	req -H "Authorization: Bearer $tok" -H "Accept: $OCI_MANIFEST" \
		"$REG_TOK_URL/v2/$REPO/manifests/v1"
	expect_eq "pull" 200 "$STATUS"
	expect_line "token log" \
		"GET /token?service=$REG_TOK_SERVICE&scope=repository:$REPO:pull,push user=preflight -> 200 granted=repository:$REPO:pull,push" \
		"$REG_TOK_TOKEN_LOG"
	req -u "$REG_TOK_USER:wrong" "$REG_TOK_REALM?service=x"
	expect_eq "wrong password at the realm" 401 "$STATUS"
	req -u "$REG_TOK_USER:$REG_TOK_PASS" \
		-d "grant_type=password&username=$REG_TOK_USER&password=$REG_TOK_PASS&service=$REG_TOK_SERVICE&scope=repository:$REPO:pull" \
		"$REG_TOK_REALM"
	expect_eq "OAuth2 POST" 200 "$STATUS"
	tok=$(json "$B" access_token)
	req -H "Authorization: Bearer $tok" "$REG_TOK_URL/v2/$REPO/tags/list"
	expect_eq "pull with the OAuth2 token" 200 "$STATUS"
}

@test "token: an anonymous token without anon pull grants nothing" {
	local tok
	tok=$(bearer_token "$REG_TOK_REALM" "$REG_TOK_SERVICE" \
		"repository:$REPO:pull")
	req -H "Authorization: Bearer $tok" "$REG_TOK_URL/v2/$REPO/tags/list"
	expect_eq "status" 401 "$STATUS"
	[[ $(header WWW-Authenticate) == *'error="insufficient_scope"'* ]]
}

@test "token-anon: anonymous pull works, anonymous push is refused" {
	push_image "$REG_ANON_URL" -H "Authorization: Bearer $(
		bearer_token "$REG_ANON_REALM" "$REG_ANON_SERVICE" \
			"repository:$REPO:pull,push" \
			-u "$REG_ANON_USER:$REG_ANON_PASS")"
	local tok
	tok=$(bearer_token "$REG_ANON_REALM" "$REG_ANON_SERVICE" \
		"repository:$REPO:pull,push")
	req -H "Authorization: Bearer $tok" -H "Accept: $OCI_MANIFEST" \
		"$REG_ANON_URL/v2/$REPO/manifests/v1"
	expect_eq "anonymous pull" 200 "$STATUS"
	req -X POST -H "Authorization: Bearer $tok" \
		"$REG_ANON_URL/v2/$REPO/blobs/uploads/"
	expect_eq "anonymous push" 401 "$STATUS"
}

@test "kid header: distribution also accepts a libtrust key id" {
	REG_TOKEN_JWT_HEADER=kid registry_start kid token
	local tok
	tok=$(bearer_token "$REG_KID_REALM" "$REG_KID_SERVICE" \
		"repository:$REPO:pull" -u "$REG_KID_USER:$REG_KID_PASS")
	req -H "Authorization: Bearer $tok" "$REG_KID_URL/v2/$REPO/tags/list"
	expect_eq "status (404: authorized, repository empty)" 404 "$STATUS"
	registry_stop kid
	expect_dead "$REG_KID_PID"
	expect_dead "$REG_KID_TOKEN_PID"
}

@test "processes die with their owner, and registry_stop_all cleans up" {
	sleep 60 3>&- &
	local owner=$!
	(
		export REG_ROOT="" REG_OWNER_PID=$owner
		registry_start orphan plain
		echo "$REG_ORPHAN_PID $REG_ROOT" >"$BATS_TEST_TMPDIR/orphan"
	)
	local pid root i
	read -r pid root <"$BATS_TEST_TMPDIR/orphan"
	_reg_alive "$pid"
	kill "$owner"
	for ((i = 0; i < 40; i++)); do
		_reg_alive "$pid" || break
		sleep 0.1
	done
	expect_dead "$pid"
	(
		REG_ROOT=$root
		registry_stop_all
	)
	[ ! -e "$root" ]
}

@test "a second start of the same name, or an unknown mode, fails clearly" {
	run registry_start plain plain
	expect_eq "status" 1 "$status"
	[[ $output == *"registry 'plain' already started"* ]]
	run registry_start other tls-bogus
	expect_eq "status" 1 "$status"
	[[ $output == *"unknown registry mode 'bogus'"* ]]
}

# -- fault proxies ------------------------------------------------------

@test "proxy: forwards, and logs Accept, Range and Authorization" {
	proxy_start fwd "$REG_BASIC_ADDR"
	req -u "$REG_BASIC_USER:$REG_BASIC_PASS" -H "Accept: $OCI_MANIFEST" \
		"$PROXY_FWD_URL/v2/$REPO/manifests/v1"
	expect_eq "manifest" 200 "$STATUS"
	req -u "$REG_BASIC_USER:$REG_BASIC_PASS" -r 0-9 \
		"$PROXY_FWD_URL/v2/$REPO/blobs/$LAYER_DIGEST"
	expect_eq "range" 206 "$STATUS"
	req "$PROXY_FWD_URL/v2/"
	expect_eq "anonymous" 401 "$STATUS"
	expect_line log "GET /v2/$REPO/manifests/v1 host=$PROXY_FWD_ADDR auth=Basic accept=\"$OCI_MANIFEST\" scheme=http stage=tag range=\"\" side=front -> 200" \
		"$PROXY_FWD_LOG"
	expect_grep log "^GET /v2/$REPO/blobs/$LAYER_DIGEST .* auth=Basic .*range=\"bytes=0-9\" .*-> 206\$" \
		"$PROXY_FWD_LOG"
	expect_grep log '^GET /v2/ .* auth=no .*-> 401$' "$PROXY_FWD_LOG"
}

@test "proxy: pushes through it (upload Location points back at it)" {
	proxy_start up "$REG_PLAIN_ADDR"
	local f="$BATS_TEST_TMPDIR/blob"
	echo "through the proxy" >"$f"
	expect_eq "push" 201 "$(push_blob "$PROXY_UP_URL" "$f")"
	expect_grep log "^PUT /v2/$REPO/blobs/uploads/.*-> 201\$" "$PROXY_UP_LOG"
}

@test "proxy --tls over an https upstream" {
	proxy_start tlsp "https://$REG_TLS_ADDR" --tls --upstream-ca "$REG_TLS_CA"
	expect_eq "proxy URL" "https://$PROXY_TLSP_ADDR" "$PROXY_TLSP_URL"
	req --cacert "$PROXY_TLSP_CA" -H "Accept: $OCI_MANIFEST" \
		"$PROXY_TLSP_URL/v2/$REPO/manifests/v1"
	expect_eq "status" 200 "$STATUS"
}

@test "proxy --head-status 405|403|404: HEAD refused, GET works" {
	local code
	for code in 405 403 404; do
		proxy_start "head$code" "$REG_PLAIN_ADDR" --head-status "$code"
		local url=PROXY_HEAD${code}_URL
		req -I "${!url}/v2/$REPO/manifests/v1"
		expect_eq "HEAD" "$code" "$STATUS"
		req -H "Accept: $OCI_MANIFEST" "${!url}/v2/$REPO/manifests/v1"
		expect_eq "GET" 200 "$STATUS"
	done
}

@test "proxy --strip-digest-header" {
	proxy_start nodig "$REG_PLAIN_ADDR" --strip-digest-header
	req -H "Accept: $OCI_MANIFEST" "$PROXY_NODIG_URL/v2/$REPO/manifests/v1"
	expect_eq "GET" 200 "$STATUS"
	expect_eq "digest header" "" "$(header Docker-Content-Digest)"
	expect_eq "body" "$MANIFEST_DIGEST" "sha256:$(sha "$B")"
	req -I -H "Accept: $OCI_MANIFEST" "$PROXY_NODIG_URL/v2/$REPO/manifests/v1"
	expect_eq "HEAD digest header" "" "$(header Docker-Content-Digest)"
}

@test "proxy --content-type text/html on a valid manifest" {
	proxy_start ctype "$REG_PLAIN_ADDR" --content-type text/html
	req -H "Accept: $OCI_MANIFEST" "$PROXY_CTYPE_URL/v2/$REPO/manifests/v1"
	expect_eq "type" text/html "$(header Content-Type)"
	expect_eq "body" "$MANIFEST_DIGEST" "sha256:$(sha "$B")"
}

@test "proxy --html-page answers manifests with an HTML page" {
	proxy_start html "$REG_PLAIN_ADDR" --html-page
	req -H "Accept: $OCI_MANIFEST" "$PROXY_HTML_URL/v2/$REPO/manifests/v1"
	expect_eq "status" 200 "$STATUS"
	[[ $(header Content-Type) == text/html* ]]
	expect_grep body '<!DOCTYPE html>' "$B"
	req "$PROXY_HTML_URL/v2/$REPO/blobs/$LAYER_DIGEST"
	expect_eq "blobs untouched" "$LAYER_DIGEST" "sha256:$(sha "$B")"
}

@test "proxy --rate-limit 7: 429 TOOMANYREQUESTS on manifest GET, HEAD free" {
	proxy_start rl "$REG_PLAIN_ADDR" --rate-limit 7
	req -H "Accept: $OCI_MANIFEST" "$PROXY_RL_URL/v2/$REPO/manifests/v1"
	expect_eq "status" 429 "$STATUS"
	expect_eq "Retry-After" 7 "$(header Retry-After)"
	expect_eq "RateLimit-Remaining" "0;w=21600" "$(header RateLimit-Remaining)"
	expect_eq "RateLimit-Limit" "100;w=21600" "$(header RateLimit-Limit)"
	expect_eq "code" TOOMANYREQUESTS "$(json "$B" errors 0 code)"
	req -I -H "Accept: $OCI_MANIFEST" "$PROXY_RL_URL/v2/$REPO/manifests/v1"
	expect_eq "HEAD" 200 "$STATUS"
}

@test "proxy --bearer-challenge: bare realm, logged query, token accepted" {
	proxy_start gate "$REG_PLAIN_ADDR" --bearer-challenge
	req "$PROXY_GATE_URL/v2/$REPO/manifests/v1"
	expect_eq "status" 401 "$STATUS"
	local realm="http://127.0.0.1:$PROXY_GATE_PORT/auth/issue"
	expect_eq "challenge" "Bearer realm=\"$realm\"" \
		"$(header WWW-Authenticate)"
	req "$realm?scope=repository:$REPO:pull"
	expect_eq "realm" 200 "$STATUS"
	local tok
	tok=$(json "$B" token)
	expect_eq "access_token" "$tok" "$(json "$B" access_token)"
	expect_eq "realm log" "scope=repository:$REPO:pull" \
		"$(cat "$PROXY_GATE_REALM_LOG")"
	req -H "Authorization: Bearer wrong" "$PROXY_GATE_URL/v2/"
	expect_eq "wrong token" 401 "$STATUS"
	req -H "Authorization: Bearer $tok" -H "Accept: $OCI_MANIFEST" \
		"$PROXY_GATE_URL/v2/$REPO/manifests/v1"
	expect_eq "with the token" 200 "$STATUS"
}

@test "proxy --corrupt-body: by-digest bodies no longer match, same size" {
	proxy_start bad "$REG_PLAIN_ADDR" --corrupt-body
	req "$PROXY_BAD_URL/v2/$REPO/blobs/$LAYER_DIGEST"
	expect_eq "status" 200 "$STATUS"
	[ "sha256:$(sha "$B")" != "$LAYER_DIGEST" ]
	expect_eq "size" "$(stat -c %s "$IMG/layer.tar.gz")" "$(stat -c %s "$B")"
	req -H "Accept: $OCI_MANIFEST" \
		"$PROXY_BAD_URL/v2/$REPO/manifests/$MANIFEST_DIGEST"
	[ "sha256:$(sha "$B")" != "$MANIFEST_DIGEST" ]
	json "$B" schemaVersion >/dev/null
	req -H "Accept: $OCI_MANIFEST" "$PROXY_BAD_URL/v2/$REPO/manifests/v1"
	expect_eq "by tag: untouched" "$MANIFEST_DIGEST" "sha256:$(sha "$B")"
}

@test "proxy --ignore-range: the whole blob with 200" {
	proxy_start norange "$REG_PLAIN_ADDR" --ignore-range
	req -r 0-9 "$PROXY_NORANGE_URL/v2/$REPO/blobs/$LAYER_DIGEST"
	expect_eq "status" 200 "$STATUS"
	expect_eq "body" "$LAYER_DIGEST" "sha256:$(sha "$B")"
	expect_grep log 'range="bytes=0-9"' "$PROXY_NORANGE_LOG"
}

@test "proxy --redirect-blobs localhost: the other host gets no Authorization" {
	proxy_start redir "$REG_BASIC_ADDR" --redirect-blobs localhost \
		--upstream-auth "$REG_BASIC_USER:$REG_BASIC_PASS" \
		--reject-auth-on-redirect
	local url="$PROXY_REDIR_URL/v2/$REPO/blobs/$LAYER_DIGEST"
	req -u "$REG_BASIC_USER:$REG_BASIC_PASS" "$url"
	expect_eq "first hop" 307 "$STATUS"
	expect_eq "Location" \
		"http://localhost:$PROXY_REDIR_PORT/v2/$REPO/blobs/$LAYER_DIGEST?preflight_redirected=1" \
		"$(header Location)"
	req -L -u "$REG_BASIC_USER:$REG_BASIC_PASS" "$url"
	expect_eq "followed" 200 "$STATUS"
	expect_eq "blob" "$LAYER_DIGEST" "sha256:$(sha "$B")"
	expect_grep front "^GET /v2/$REPO/blobs/$LAYER_DIGEST host=127.0.0.1:$PROXY_REDIR_PORT auth=Basic .*side=front -> 307\$" \
		"$PROXY_REDIR_LOG"
	expect_grep redirected "host=localhost:$PROXY_REDIR_PORT auth=no .*side=redirected -> 200\$" \
		"$PROXY_REDIR_LOG"
	req -L --location-trusted -u "$REG_BASIC_USER:$REG_BASIC_PASS" "$url"
	expect_eq "credentials leaked to the other host" 400 "$STATUS"
}

@test "proxy --serve-schema1 FILE" {
	local f="$BATS_TEST_TMPDIR/schema1.json"
	python3 - "$f" <<'EOF'
import base64, json, sys
body = json.dumps({"schemaVersion": 1, "name": "harness/tiny", "tag": "v1",
	"architecture": "arm", "fsLayers": [], "history": []}, indent=3)
n = len(body) - 2
tail = body[n:]
prot = base64.urlsafe_b64encode(json.dumps({"formatLength": n,
	"formatTail": base64.urlsafe_b64encode(tail.encode()).decode()
	.rstrip("=")}).encode()).decode().rstrip("=")
sig = ',\n   "signatures": [{"header": {"alg": "ES256"}, "signature": "x", ' \
	'"protected": "%s"}]\n}' % prot
open(sys.argv[1], "w").write(body[:n] + sig)
open(sys.argv[1] + ".payload", "w").write(body)
EOF
	proxy_start s1 "$REG_PLAIN_ADDR" --serve-schema1 "$f"
	req -H "Accept: $OCI_MANIFEST" "$PROXY_S1_URL/v2/$REPO/manifests/v1"
	expect_eq "status" 200 "$STATUS"
	expect_eq "type" application/vnd.docker.distribution.manifest.v1+prettyjws \
		"$(header Content-Type)"
	expect_eq "body" "$(sha "$f")" "$(sha "$B")"
	expect_eq "digest of the JWS payload" "sha256:$(sha "$f.payload")" \
		"$(header Docker-Content-Digest)"
	expect_eq "architecture" arm "$(json "$B" architecture)"
}

@test "proxy --status-manifests 500 and 404 with a registry error code" {
	proxy_start s500 "$REG_PLAIN_ADDR" --status-manifests 500
	req "$PROXY_S500_URL/v2/$REPO/manifests/v1"
	expect_eq "status" 500 "$STATUS"
	expect_eq "code" UNKNOWN "$(json "$B" errors 0 code)"
	proxy_start s404 "$REG_PLAIN_ADDR" --status-manifests 404 \
		--error-code NAME_UNKNOWN --error-message "repository name not known to registry"
	req "$PROXY_S404_URL/v2/$REPO/manifests/v1"
	expect_eq "status" 404 "$STATUS"
	expect_eq "code" NAME_UNKNOWN "$(json "$B" errors 0 code)"
	req "$PROXY_S404_URL/v2/$REPO/blobs/$LAYER_DIGEST"
	expect_eq "blobs untouched" 200 "$STATUS"
}

@test "proxy --delay holds manifest answers back" {
	proxy_start slow "$REG_PLAIN_ADDR" --delay 3
	run curl -s -o /dev/null --max-time 1 "$PROXY_SLOW_URL/v2/$REPO/manifests/v1"
	expect_eq "curl exit (timeout)" 28 "$status"
	req "$PROXY_SLOW_URL/v2/"
	expect_eq "/v2/ is not delayed" 200 "$STATUS"
}
