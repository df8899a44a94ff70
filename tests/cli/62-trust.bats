#!/usr/bin/env bats
# Trust anchors shared by the checks of one run: the system's CA bundle
# and each extra CA file are parsed once per process (the bundle only
# when a check trusts the system's CAs alone), and verification stays
# what it was: the right CA passes, none, another CA or a certificate
# for another name fails, whichever image or file came first.
#
# Run: PREFLIGHT=/abs/path/image-preflight sh tests/run-cli.sh \
#          tests/cli/62-trust.bats

# shellcheck disable=SC2154 # REG_* variables come from registry.bash

load ../lib/registry
load common

PLAT=linux/amd64
IMAGES=(fx/single-amd64:1 fx/multi-oci:1 fx/multi-docker:1)
# What an untrusted certificate is reported as.
UNTRUSTED_RE='TLS certificate of .* not trusted'

# other_ca DIR: a self-signed CA nobody trusts, DIR/other.pem.
other_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$1/other.key" -out "$1/other.pem" -days 7 \
		-subj "/CN=another test CA" \
		-addext "basicConstraints=critical,CA:TRUE"
}

# wrong_name_start: a registry on the tls registry's storage whose
# certificate, from the harness CA, names only wrong.example. Sets
# WRONG (host:port).
wrong_name_start() {
	local dir="$REG_ROOT/reg-wrong" ca="$REG_ROOT/ca" port
	mkdir -p "$dir" || return 1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/server.key" -out "$dir/server.csr" \
		-subj "/CN=wrong.example" &&
		printf '%s\n' "subjectAltName=DNS:wrong.example" \
			"extendedKeyUsage=serverAuth" >"$dir/server.ext" &&
		openssl x509 -req -in "$dir/server.csr" -CA "$ca/ca.pem" \
			-CAkey "$ca/ca.key" -days 7 \
			-set_serial "0x$(openssl rand -hex 8)" \
			-extfile "$dir/server.ext" -out "$dir/server.pem" ||
		return 1
	port=$(_reg_free_port) || return 1
	sed -e "s|^  addr: .*|  addr: 127.0.0.1:$port|" \
		-e "s|^    certificate: .*|    certificate: $dir/server.pem|" \
		-e "s|^    key: .*|    key: $dir/server.key|" \
		"$REG_TLS_CONFIG" >"$dir/config.yml" || return 1
	_reg_spawn reg-wrong "$dir/registry.log" /usr/bin/docker-registry \
		serve "$dir/config.yml"
	# It answers as wrong.example, verified with the harness CA.
	local pid=$_REG_PID code i
	for ((i = 0; i < 150; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			--cacert "$ca/ca.pem" \
			--resolve "wrong.example:$port:127.0.0.1" \
			"https://wrong.example:$port/v2/") || code=000
		[ "$code" = 200 ] && break
		_reg_alive "$pid" || break
		sleep 0.1
	done
	[ "$code" = 200 ] || {
		_reg_fail_log "registry with the wrong name did not answer" \
			"$dir/registry.log"
		return 1
	}
	export WRONG="127.0.0.1:$port"
}

# push_images: the test images to the tls registry, the first to tls2
# and to plain.
push_images() {
	local lib="$BATS_TEST_DIRNAME/../lib" img
	for img in "${IMAGES[@]}"; do
		python3 "$lib/push-fixtures.py" "$REG_TLS_URL" \
			--ca "$REG_TLS_CA" --only "$img" || return 1
	done
	python3 "$lib/push-fixtures.py" "$REG_TLS2_URL" --ca "$REG_TLS2_CA" \
		--only "${IMAGES[0]}" &&
		python3 "$lib/push-fixtures.py" "$REG_PLAIN_ADDR" --insecure \
			--only "${IMAGES[0]}"
}

setup_file() {
	[ -x "$PREFLIGHT" ] || {
		echo "PREFLIGHT=$PREFLIGHT is not an executable" >&2
		return 1
	}
	local log="$BATS_FILE_TMPDIR/setup.log"
	export OTHER_DIR="$BATS_FILE_TMPDIR/other"
	mkdir -p "$OTHER_DIR"
	{
		registry_start tls tls &&
			registry_start tls2 tls &&
			registry_start plain plain &&
			push_images &&
			other_ca "$OTHER_DIR" &&
			wrong_name_start
	} >"$log" 2>&1 || {
		cat "$log" >&2
		echo "setup_file: starting the registries failed" >&2
		return 1
	}
	export TLS=$REG_TLS_ADDR TLS2=$REG_TLS2_ADDR PLAIN=$REG_PLAIN_ADDR
}

teardown_file() {
	registry_stop_all
}

setup() {
	unset IMAGE_PREFLIGHT_CREDS DOCKER_CONFIG REGISTRY_AUTH_FILE \
		SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE http_proxy \
		HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
	R="$BATS_TEST_TMPDIR/node"
	mkdir -p "$R"
}

# put PATH-UNDER-ROOT: stdin becomes that file of the node tree $R.
put() {
	mkdir -p "$(dirname "$R$1")"
	cat >"$R$1"
}

# refs HOST: the test images on HOST.
refs() {
	local img
	for img in "${IMAGES[@]}"; do
		printf '%s/%s\n' "$1" "$img"
	done
}

# check_refs STATUS ARGS... -- REFS...: check -v -o json on $PLAT,
# exact status.
check_refs() {
	local want=$1
	shift
	pf check -v -o json --timeout 60 --platform "$PLAT" "$@"
	expect_status "$want"
}

# loaded_lines: the trace lines saying a CA file was parsed.
loaded_lines() {
	grep -F "trust store loaded from '" "$PF_ERR" || true
}

# expect_loaded COUNT WHAT FIXED-STRING: exactly COUNT trace lines that
# say a file was parsed contain FIXED-STRING.
expect_loaded() {
	local n
	n=$(loaded_lines | grep -c -F -- "$3" || true)
	[ "$n" = "$1" ] && return 0
	echo "$2: expected $1 'trust store loaded' lines with '$3'," \
		"got $n; stderr:" >&2
	cat "$PF_ERR" >&2
	return 1
}

expect_untrusted() {
	expect_verdict "$1" "$PLAT" UNKNOWN || return 1
	expect_finding "$1" "$PLAT" 'unknown:[a-z0-9-]+' "$UNTRUSTED_RE"
}

@test "three images with --ca-file: PASS; the file parsed once, the bundle not at all" {
	local r
	mapfile -t r < <(refs "$TLS")
	check_refs 0 --ca-file "$REG_CA_FILE" "${r[@]}"
	for ref in "${r[@]}"; do
		expect_verdict "$ref" "$PLAT" PASS || return 1
	done
	[ "$(loaded_lines | wc -l)" = 1 ] || {
		echo "expected 1 'trust store loaded' line:" >&2
		cat "$PF_ERR" >&2
		return 1
	}
	expect_loaded 1 "--ca-file" "'$REG_CA_FILE': 1 certificates"
}

@test "three images, no CA for the registry: UNKNOWN each, the bundle parsed once" {
	local r
	mapfile -t r < <(refs "$TLS")
	check_refs 2 "${r[@]}"
	for ref in "${r[@]}"; do
		expect_untrusted "$ref" || return 1
	done
	expect_loaded 1 "the system's bundle" "shared by all checks"
	[ "$(loaded_lines | wc -l)" = 1 ] || {
		echo "expected only the bundle to be parsed" >&2
		return 1
	}
}

@test "--ca-file naming another CA: UNKNOWN for every image" {
	local r
	mapfile -t r < <(refs "$TLS")
	check_refs 2 --ca-file "$OTHER_DIR/other.pem" "${r[@]}"
	for ref in "${r[@]}"; do
		expect_untrusted "$ref" || return 1
	done
	expect_loaded 1 "--ca-file" "'$OTHER_DIR/other.pem'"
}

@test "hosts.toml: the right CA for one registry, another for the next, in one run: PASS and UNKNOWN" {
	local d
	put /etc/containerd/config.toml <<'EOF'
version = 2

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
EOF
	for d in "$TLS" "$TLS2"; do
		mkdir -p "$R/etc/containerd/certs.d/$d"
	done
	cp "$REG_CA_FILE" "$R/etc/containerd/certs.d/$TLS/ca.crt"
	cp "$OTHER_DIR/other.pem" "$R/etc/containerd/certs.d/$TLS2/ca.crt"
	for d in "$TLS" "$TLS2"; do
		put "/etc/containerd/certs.d/$d/hosts.toml" <<EOF
server = "https://$d"

[host."https://$d"]
  ca = "ca.crt"
EOF
	done
	# Each order: the store of the first does not serve the second.
	check_refs 2 --root "$R" "$TLS/${IMAGES[0]}" "$TLS2/${IMAGES[0]}"
	expect_verdict "$TLS/${IMAGES[0]}" "$PLAT" PASS
	expect_untrusted "$TLS2/${IMAGES[0]}"
	check_refs 2 --root "$R" "$TLS2/${IMAGES[0]}" "$TLS/${IMAGES[0]}"
	expect_verdict "$TLS/${IMAGES[0]}" "$PLAT" PASS
	expect_untrusted "$TLS2/${IMAGES[0]}"
	expect_loaded 2 "the two ca.crt files" "/ca.crt': 1 certificates"
}

@test "a certificate from the right CA for another name: UNKNOWN (the name is still checked)" {
	local ref="$WRONG/${IMAGES[0]}"
	check_refs 2 --ca-file "$REG_CA_FILE" "$ref" "$TLS/${IMAGES[0]}"
	expect_verdict "$TLS/${IMAGES[0]}" "$PLAT" PASS
	expect_verdict "$ref" "$PLAT" UNKNOWN
	expect_finding "$ref" "$PLAT" 'unknown:[a-z0-9-]+' \
		"$UNTRUSTED_RE.*(subject name|does not match|127\\.0\\.0\\.1)"
}

@test "strace: the system's bundle is opened once for three images" {
	command -v strace >/dev/null || skip "strace is not installed"
	local r bundle n
	mapfile -t r < <(refs "$TLS")
	check_refs 2 "${r[@]}"
	bundle=$(loaded_lines | sed -n "s/.*trust store loaded from '\\([^']*\\)'.*/\\1/p")
	[ -n "$bundle" ] || {
		echo "no bundle named in the trace" >&2
		return 1
	}
	# LeakSanitizer does not run under ptrace.
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq \
		-e trace=open,openat -o "$BATS_TEST_TMPDIR/strace" \
		"$PREFLIGHT" check -o json --timeout 60 --platform "$PLAT" \
		"${r[@]}" >/dev/null 2>&1 || true
	n=$(grep -c -F "\"$bundle\"" "$BATS_TEST_TMPDIR/strace" || true)
	[ "$n" = 1 ] || {
		echo "'$bundle' opened $n times, expected once:" >&2
		grep -F "\"$bundle\"" "$BATS_TEST_TMPDIR/strace" >&2
		return 1
	}
}

@test "a loopback registry speaking plain HTTP: PASS, and no CA file is parsed" {
	check_refs 0 "$PLAIN/${IMAGES[0]}"
	expect_verdict "$PLAIN/${IMAGES[0]}" "$PLAT" PASS
	# TLS was tried first, and met no certificate to verify.
	expect_grep "the TLS attempt" 'https failed .*trying plain http' \
		"$PF_ERR"
	[ -z "$(loaded_lines)" ] || {
		echo "a CA file was parsed:" >&2
		loaded_lines >&2
		return 1
	}
	# and, where strace is, libcurl's bundle is not even opened
	command -v strace >/dev/null || return 0
	local bundle n
	bundle=$(curl-config --ca)
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq \
		-e trace=open,openat -o "$BATS_TEST_TMPDIR/strace" \
		"$PREFLIGHT" check -o json --timeout 60 --platform "$PLAT" \
		"$PLAIN/${IMAGES[0]}" >/dev/null 2>&1 || true
	grep -q 'openat(' "$BATS_TEST_TMPDIR/strace" || {
		echo "strace saw no file opened" >&2
		return 1
	}
	n=$(grep -c -F "\"$bundle\"" "$BATS_TEST_TMPDIR/strace" || true)
	[ "$n" = 0 ] || {
		echo "'$bundle' opened $n times, expected never" >&2
		return 1
	}
}
