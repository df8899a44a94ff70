#!/usr/bin/env bats
# TLS and transport settings the node's containerd hosts.toml gives a
# host (containerd docs/hosts.md): its CA file (absolute, as a path of
# the node, or relative to the host directory), skip_verify, client
# certificates, extra headers; and the proxy variables of the
# environment (http_proxy, no_proxy), which libcurl reads.
#
# Run: PREFLIGHT=/abs/path/image-preflight bats tests/cli/60-tls.bats
# Every node tree is built under the test's temp dir and every check runs
# with --root; no check is given --ca-file, so trust comes from the node.
#
# Tests marked "PRODUCT BUG" assert the correct behaviour that the
# product does not have yet; they fail until it is fixed.

# shellcheck disable=SC2154 # REG_* variables come from registry.bash
# shellcheck disable=SC2030,SC2031 # each @test sets its own proxy variables

if [ -z "${PREFLIGHT:-}" ]; then
	PREFLIGHT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/image-preflight
	export PREFLIGHT
fi

load ../lib/registry
load common

IMG=fx/single-amd64:1
# What a refused client certificate may be reported as.
MTLS_RE='(?i)certificate|tls|ssl|handshake|reach|connect'
PLAT=linux/amd64

# client_cert DIR NAME [CA-DIR]: NAME.key and NAME.crt (clientAuth) in
# DIR, signed by the CA in CA-DIR (ca.pem, ca.key), or self-signed.
client_cert() {
	local d=$1 n=$2 ca=${3:-}
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	printf '%s\n' "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=clientAuth" >"$d/$n.ext"
	if [ -z "$ca" ]; then
		openssl req -x509 "${ec[@]}" -keyout "$d/$n.key" \
			-out "$d/$n.crt" -days 7 -subj "/CN=$n" \
			-addext "extendedKeyUsage=clientAuth"
		return
	fi
	openssl req -new "${ec[@]}" -keyout "$d/$n.key" -out "$d/$n.csr" \
		-subj "/CN=$n" &&
		openssl x509 -req -in "$d/$n.csr" -CA "$ca/ca.pem" \
			-CAkey "$ca/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 7 \
			-extfile "$d/$n.ext" -out "$d/$n.crt"
}

# mtls_start: a second distribution registry on the tls registry's
# storage whose http.tls.clientcas is the harness CA (distribution's
# docs/configuration.md), so every connection needs a client
# certificate signed by it. Sets MTLS (host:port).
mtls_start() {
	local dir="$REG_ROOT/reg-mtls" port pid code i
	mkdir -p "$dir" || return 1
	port=$(_reg_free_port) || return 1
	sed -e "s|^  addr: .*|  addr: 127.0.0.1:$port|" \
		-e "s|^    key: .*|&\n    clientcas:\n      - $REG_CA_FILE|" \
		"$REG_TLS_CONFIG" >"$dir/config.yml" || return 1
	grep -q clientcas "$dir/config.yml" || {
		echo "mtls_start: no tls section in $REG_TLS_CONFIG" >&2
		return 1
	}
	_reg_spawn reg-mtls "$dir/registry.log" /usr/bin/docker-registry \
		serve "$dir/config.yml"
	pid=$_REG_PID
	for ((i = 0; i < 150; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			--cacert "$REG_CA_FILE" --cert "$CLIENT_DIR/client.crt" \
			--key "$CLIENT_DIR/client.key" \
			"https://127.0.0.1:$port/v2/") || code=000
		[ "$code" = 200 ] && break
		_reg_alive "$pid" || break
		sleep 0.1
	done
	[ "$code" = 200 ] || {
		_reg_fail_log "mtls registry did not answer" \
			"$dir/registry.log"
		return 1
	}
	# Without a client certificate the handshake must fail.
	if curl -s -o /dev/null --max-time 5 --cacert "$REG_CA_FILE" \
		"https://127.0.0.1:$port/v2/"; then
		echo "mtls_start: the registry answers without a client" \
			"certificate" >&2
		return 1
	fi
	export MTLS="127.0.0.1:$port"
}

# logproxy_start NAME [UPSTREAM]: tests/lib/logproxy.py (forward proxy
# for absolute-form requests, reverse proxy to UPSTREAM otherwise), one
# JSON line per request in LP_<NAME>_LOG; LP_<NAME>_ADDR is host:port.
logproxy_start() {
	local name=$1 up=${2:-} v dir
	v=$(_reg_var "$name")
	_reg_root || return 1
	dir="$REG_ROOT/logproxy-$name"
	mkdir -p "$dir" || return 1
	: >"$dir/requests.log"
	_reg_spawn "proxy-$name" "$dir/proxy.err" "$(_reg_python)" \
		"$BATS_TEST_DIRNAME/../lib/logproxy.py" --upstream "$up" \
		--port-file "$dir/port" --log "$dir/requests.log" \
		--owner-pid "${REG_OWNER_PID:-$$}"
	_reg_wait_file "$dir/port" "$_REG_PID" ||
		_reg_fail_log "logproxy '$name' did not start" \
			"$dir/proxy.err" || return 1
	export "LP_${v}_ADDR=127.0.0.1:$(<"$dir/port")" \
		"LP_${v}_LOG=$dir/requests.log"
}

setup_file() {
	[ -x "$PREFLIGHT" ] || {
		echo "PREFLIGHT=$PREFLIGHT is not an executable" >&2
		return 1
	}
	local lib="$BATS_TEST_DIRNAME/../lib" log="$BATS_FILE_TMPDIR/setup.log"
	export CLIENT_DIR="$BATS_FILE_TMPDIR/client"
	mkdir -p "$CLIENT_DIR"
	{
		registry_start tls tls &&
			registry_start up plain &&
			python3 "$lib/push-fixtures.py" "$REG_TLS_URL" \
				--ca "$REG_TLS_CA" --only "$IMG" &&
			python3 "$lib/push-fixtures.py" "$REG_UP_ADDR" \
				--insecure --only "$IMG" &&
			client_cert "$CLIENT_DIR" client "$REG_ROOT/ca" &&
			client_cert "$CLIENT_DIR" stranger &&
			cat "$CLIENT_DIR/client.crt" "$CLIENT_DIR/client.key" \
				>"$CLIENT_DIR/client.pem" &&
			mtls_start &&
			logproxy_start hdr "$REG_UP_ADDR" &&
			logproxy_start fwd
	} >"$log" 2>&1 || {
		cat "$log" >&2
		echo "setup_file: starting the registries failed" >&2
		return 1
	}
	export TLS=$REG_TLS_ADDR UP=$REG_UP_ADDR HDR=$LP_HDR_ADDR \
		FWD=$LP_FWD_ADDR
}

teardown_file() {
	registry_stop_all
}

setup() {
	unset IMAGE_PREFLIGHT_CREDS DOCKER_CONFIG REGISTRY_AUTH_FILE \
		XDG_RUNTIME_DIR SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE \
		http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy \
		ALL_PROXY no_proxy NO_PROXY
	R="$BATS_TEST_TMPDIR/node"
	mkdir -p "$R"
}

# -- helpers ------------------------------------------------------------

# put PATH-UNDER-ROOT: stdin becomes that file of the node tree $R.
put() {
	mkdir -p "$(dirname "$R$1")"
	cat >"$R$1"
}

# containerd_root: config.toml (version 2) with config_path; without it
# the node is not seen as a containerd node and hosts.toml is not read.
containerd_root() {
	put /etc/containerd/config.toml <<'EOF'
version = 2

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
EOF
}

# hostdir HOST: the node path of HOST's hosts.toml directory.
hostdir() {
	printf '/etc/containerd/certs.d/%s' "$1"
}

# node_file HOST NAME SRC: copy SRC into HOST's directory as NAME.
node_file() {
	mkdir -p "$R$(hostdir "$1")"
	cp "$3" "$R$(hostdir "$1")/$2"
}

# hosts HOST: stdin becomes HOST's hosts.toml.
hosts() {
	put "$(hostdir "$1")/hosts.toml"
}

# run_check STATUS REF ARGS...: check REF as the node $R on $PLAT,
# JSON report, exact status.
run_check() {
	local want=$1 ref=$2
	shift 2
	pf check -o json --timeout 30 --root "$R" --platform "$PLAT" "$@" \
		"$ref"
	expect_status "$want" || return 1
	jq -e '.schema == 1' "$PF_OUT" >/dev/null || {
		echo "stdout is not a schema 1 JSON report" >&2
		pf_dump
		return 1
	}
}

expect_pass() {
	run_check 0 "$1" || return 1
	expect_verdict "$1" "$PLAT" PASS
}

# expect_untrusted REF [RE]: exit 2, UNKNOWN, a finding naming TLS or
# the certificate (or RE).
expect_untrusted() {
	local re=${2:-'(?i)certificate|tls|ssl'}
	run_check 2 "$1" || return 1
	expect_verdict "$1" "$PLAT" UNKNOWN || return 1
	expect_finding "$1" "$PLAT" 'unknown:[a-z0-9-]+' "$re"
}

# log_count FILE: lines in FILE (0 when absent).
log_count() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# -- 1. a CA file from hosts.toml -------------------------------------------

@test "tls: no node configuration, no --ca-file: UNKNOWN, certificate not trusted" {
	expect_untrusted "$TLS/$IMG"
}

@test "tls: containerd node, no hosts.toml, loopback registry: PASS (containerd skips verification)" {
	# containerd's ConfigureHosts (remotes/docker/config/hosts.go): with
	# no server configured, a localhost/loopback registry on a port
	# other than 80 gets skip_verify. Only a hosts.toml naming the
	# server (below) makes the certificate matter for 127.0.0.1.
	containerd_root
	mkdir -p "$R/etc/containerd/certs.d"
	expect_pass "$TLS/$IMG"
}

@test "tls: hosts.toml naming the https server, no CA: UNKNOWN" {
	containerd_root
	hosts "$TLS" <<EOF
server = "https://$TLS"
EOF
	expect_untrusted "$TLS/$IMG"
}

@test "tls: hosts.toml [host] ca = absolute node path: PASS without --ca-file" {
	containerd_root
	node_file "$TLS" ca.crt "$REG_CA_FILE"
	hosts "$TLS" <<EOF
server = "https://$TLS"

[host."https://$TLS"]
  ca = "$(hostdir "$TLS")/ca.crt"
EOF
	expect_pass "$TLS/$IMG"
	expect_jq "$TLS/$IMG" "$PLAT" .source.host "$TLS"
}

@test "tls: hosts.toml [host] ca relative to the host directory: PASS" {
	containerd_root
	node_file "$TLS" ca.crt "$REG_CA_FILE"
	hosts "$TLS" <<EOF
server = "https://$TLS"

[host."https://$TLS"]
  ca = "ca.crt"
EOF
	expect_pass "$TLS/$IMG"
}

@test "tls: hosts.toml ca as a list, top-level (the server's own): PASS" {
	containerd_root
	node_file "$TLS" ca.crt "$REG_CA_FILE"
	hosts "$TLS" <<EOF
server = "https://$TLS"
ca = ["ca.crt"]
EOF
	expect_pass "$TLS/$IMG"
}

@test "tls: the same hosts.toml without a containerd config.toml: UNKNOWN" {
	# Not a containerd node: its hosts.toml files are not the node's.
	node_file "$TLS" ca.crt "$REG_CA_FILE"
	hosts "$TLS" <<EOF
server = "https://$TLS"

[host."https://$TLS"]
  ca = "ca.crt"
EOF
	expect_untrusted "$TLS/$IMG"
}

@test "tls: hosts.toml ca naming another CA: UNKNOWN" {
	containerd_root
	node_file "$TLS" ca.crt "$CLIENT_DIR/stranger.crt"
	hosts "$TLS" <<EOF
server = "https://$TLS"

[host."https://$TLS"]
  ca = "ca.crt"
EOF
	expect_untrusted "$TLS/$IMG"
}

# -- 2. skip_verify -----------------------------------------------------------

@test "skip_verify = true in [host]: PASS without any CA" {
	containerd_root
	hosts "$TLS" <<EOF
server = "https://$TLS"

[host."https://$TLS"]
  skip_verify = true
EOF
	expect_pass "$TLS/$IMG"
}

@test "skip_verify = true at the top (the server's): PASS without any CA" {
	containerd_root
	hosts "$TLS" <<EOF
server = "https://$TLS"
skip_verify = true
EOF
	expect_pass "$TLS/$IMG"
}

@test "skip_verify = false or absent: never PASS" {
	containerd_root
	hosts "$TLS" <<EOF
server = "https://$TLS"

[host."https://$TLS"]
  skip_verify = false
EOF
	expect_untrusted "$TLS/$IMG"
	hosts "$TLS" <<EOF
server = "https://$TLS"

[host."https://$TLS"]
  capabilities = ["pull", "resolve"]
EOF
	expect_untrusted "$TLS/$IMG"
}

# -- 3. client certificates ---------------------------------------------------

# mtls_hosts [CLIENT-LINE]: hosts.toml for the mtls registry with the CA
# and CLIENT-LINE, the certificate files copied into its directory.
mtls_hosts() {
	containerd_root
	node_file "$MTLS" ca.crt "$REG_CA_FILE"
	local f
	for f in client.crt client.key client.pem stranger.crt stranger.key
	do
		node_file "$MTLS" "$f" "$CLIENT_DIR/$f"
	done
	hosts "$MTLS" <<EOF
server = "https://$MTLS"

[host."https://$MTLS"]
  ca = "ca.crt"
  ${1:-}
EOF
}

@test "client certificate: client = [[crt, key]] signed by the CA: PASS" {
	mtls_hosts 'client = [["client.crt", "client.key"]]'
	expect_pass "$MTLS/$IMG"
}

@test "client certificate: absolute node paths: PASS" {
	local d
	d=$(hostdir "$MTLS")
	mtls_hosts "client = [[\"$d/client.crt\", \"$d/client.key\"]]"
	expect_pass "$MTLS/$IMG"
}

@test "client certificate: client = \"file\" holding cert and key: PASS" {
	mtls_hosts 'client = "client.pem"'
	expect_pass "$MTLS/$IMG"
}

@test "client certificate: certs.d style client.cert and client.key, no hosts.toml: PASS" {
	containerd_root
	node_file "$MTLS" ca.crt "$REG_CA_FILE"
	node_file "$MTLS" client.cert "$CLIENT_DIR/client.crt"
	node_file "$MTLS" client.key "$CLIENT_DIR/client.key"
	expect_pass "$MTLS/$IMG"
}

@test "client certificate: certs.d style directory with only ca.crt: UNKNOWN" {
	containerd_root
	node_file "$MTLS" ca.crt "$REG_CA_FILE"
	expect_untrusted "$MTLS/$IMG" "$MTLS_RE"
}

@test "client certificate: no client entry: UNKNOWN" {
	mtls_hosts
	expect_untrusted "$MTLS/$IMG" "$MTLS_RE"
}

@test "client certificate: one the registry does not trust: UNKNOWN" {
	mtls_hosts 'client = [["stranger.crt", "stranger.key"]]'
	expect_untrusted "$MTLS/$IMG" "$MTLS_RE"
}

# -- 4. headers -----------------------------------------------------------------

# header_requests LOG NAME VALUE: requests in LOG that carried header
# NAME (lower case) with exactly VALUE among its values.
header_requests() {
	jq -s --arg n "$2" --arg v "$3" \
		'[.[] | select((.headers[$n] // []) | index($v))] | length' "$1"
}

@test "headers: [host.\"...\".header] values reach the server" {
	local before
	containerd_root
	hosts "$HDR" <<EOF
server = "http://$HDR"

[host."http://$HDR"]
  capabilities = ["pull", "resolve"]

[host."http://$HDR".header]
  X-Test = "yes"
  X-Multi = ["one", "two"]
EOF
	before=$(log_count "$LP_HDR_LOG")
	expect_pass "$HDR/$IMG"
	tail -n +"$((before + 1))" "$LP_HDR_LOG" >"$BATS_TEST_TMPDIR/seen"
	local total yes one two
	total=$(log_count "$BATS_TEST_TMPDIR/seen")
	yes=$(header_requests "$BATS_TEST_TMPDIR/seen" x-test yes)
	one=$(header_requests "$BATS_TEST_TMPDIR/seen" x-multi one)
	two=$(header_requests "$BATS_TEST_TMPDIR/seen" x-multi two)
	[ "$total" -gt 0 ] && [ "$yes" = "$total" ] && [ "$one" = "$total" ] &&
		[ "$two" = "$total" ] || {
		echo "requests $total, with X-Test: yes $yes," \
			"X-Multi: one $one, two $two; the log:" >&2
		cat "$BATS_TEST_TMPDIR/seen" >&2
		return 1
	}
}

@test "headers: none configured, none sent" {
	local before
	containerd_root
	hosts "$HDR" <<EOF
server = "http://$HDR"
EOF
	before=$(log_count "$LP_HDR_LOG")
	expect_pass "$HDR/$IMG"
	tail -n +"$((before + 1))" "$LP_HDR_LOG" >"$BATS_TEST_TMPDIR/seen"
	[ "$(log_count "$BATS_TEST_TMPDIR/seen")" -gt 0 ] || {
		echo "the proxy saw no request" >&2
		return 1
	}
	expect_no_grep "proxy log" '"x-test"' "$BATS_TEST_TMPDIR/seen"
}

# -- 5. proxies from the environment ----------------------------------------

# fwd_new: requests the forward proxy logged since fwd_mark.
fwd_mark() {
	FWD_BEFORE=$(log_count "$LP_FWD_LOG")
}

fwd_new() {
	tail -n +"$((FWD_BEFORE + 1))" "$LP_FWD_LOG"
}

@test "http_proxy: the requests go through the proxy, PASS" {
	fwd_mark
	export http_proxy="http://$FWD"
	expect_pass "$UP/$IMG" --insecure-registry "$UP"
	fwd_new >"$BATS_TEST_TMPDIR/seen"
	# Absolute-form requests for the registry: /v2/, the manifest and
	# the blobs.
	jq -r '"\(.method) \(.target) \(.status)"' "$BATS_TEST_TMPDIR/seen" \
		>"$BATS_TEST_TMPDIR/lines"
	expect_grep "proxy log" "^(GET|HEAD) http://$UP/v2/fx/single-amd64/manifests/1 " \
		"$BATS_TEST_TMPDIR/lines"
	expect_grep "proxy log" "^GET http://$UP/v2/fx/single-amd64/blobs/sha256:" \
		"$BATS_TEST_TMPDIR/lines"
	expect_no_grep "proxy log (not absolute-form)" '^[A-Z]+ /' \
		"$BATS_TEST_TMPDIR/lines"
}

@test "http_proxy with no_proxy=127.0.0.1: the proxy sees nothing, PASS" {
	fwd_mark
	export http_proxy="http://$FWD" no_proxy=127.0.0.1
	expect_pass "$UP/$IMG" --insecure-registry "$UP"
	[ -z "$(fwd_new)" ] || {
		echo "the proxy saw requests despite no_proxy:" >&2
		fwd_new >&2
		return 1
	}
}

@test "http_proxy naming a closed port: UNKNOWN, not PASS (the proxy is used)" {
	local port
	port=$(closed_port)
	export http_proxy="http://127.0.0.1:$port"
	run_check 2 "$UP/$IMG" --insecure-registry "$UP"
	expect_verdict "$UP/$IMG" "$PLAT" UNKNOWN
}
