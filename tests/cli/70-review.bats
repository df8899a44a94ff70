#!/usr/bin/env bats
# What a review found, kept as regression tests (fixed in "Resolve a tag
# once, then fetch its digest ..."): program headers beyond the bytes
# read, "#!/usr/bin/env sh -e" (the kernel passes one argument), a
# mirror that resolves a tag and then fails the GET (the digest it named
# is fetched from the upstream, the tag is not resolved again), no
# credentials to a mirror, a layer missing on a mirror taken from the
# upstream.
#
# Run: PREFLIGHT=/abs/path/image-preflight sh tests/run-cli.sh \
#          tests/cli/70-review.bats
# tests/lib/mirrorfault.py serves the upstream and three faulty mirrors
# on 127.0.0.1 (one process, stopped by its PID in teardown_file). Every
# check runs as a linux/amd64 node with --root (a node tree under the
# test's temp dir); the real /etc, /root and /run are never read.

# shellcheck disable=SC2154 # REG_* variables come from registry.bash

if [ -z "${PREFLIGHT:-}" ]; then
	PREFLIGHT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/image-preflight
	export PREFLIGHT
fi

load ../lib/registry
load common

AMD=linux/amd64

setup_file() {
	[ -x "$PREFLIGHT" ] || {
		echo "PREFLIGHT=$PREFLIGHT is not an executable" >&2
		return 1
	}
	_reg_root || return 1
	local dir="$REG_ROOT/mirrorfault" up getfail auth l404
	mkdir -p "$dir" || return 1
	: >"$dir/requests.log"
	_reg_spawn mirrorfault "$dir/server.err" "$(_reg_python)" -B \
		"$BATS_TEST_DIRNAME/../lib/mirrorfault.py" \
		--port-file "$dir/ports" --log "$dir/requests.log" \
		--owner-pid "${REG_OWNER_PID:-$$}"
	_reg_wait_file "$dir/ports" "$_REG_PID" ||
		_reg_fail_log "mirrorfault.py did not start" \
			"$dir/server.err" || return 1
	read -r up getfail auth l404 <"$dir/ports"
	export UP=127.0.0.1:$up GETFAIL=127.0.0.1:$getfail \
		AUTHMIR=127.0.0.1:$auth L404=127.0.0.1:$l404 \
		MLOG=$dir/requests.log
}

teardown_file() {
	registry_stop_all
}

setup() {
	# Credentials and auth files from the environment would be used.
	unset IMAGE_PREFLIGHT_CREDS DOCKER_CONFIG REGISTRY_AUTH_FILE \
		XDG_RUNTIME_DIR
	R="$BATS_TEST_TMPDIR/node"
	mkdir -p "$R"
}

# -- helpers ------------------------------------------------------------

# put PATH-UNDER-ROOT: stdin becomes that file of the node tree $R.
put() {
	mkdir -p "$(dirname "$R$1")"
	cat >"$R$1"
}

# mirrored MIRROR: containerd config.toml with config_path and a
# hosts.toml for the upstream with MIRROR (pull, resolve) before it
# (containerd docs/hosts.md).
mirrored() {
	put /etc/containerd/config.toml <<'EOF'
version = 2

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
EOF
	put "/etc/containerd/certs.d/$UP/hosts.toml" <<EOF
server = "http://$UP"

[host."http://$1"]
  capabilities = ["pull", "resolve"]
EOF
}

# amd STATUS REF [OPTIONS...]: check REF as a linux/amd64 node $R, JSON.
amd() {
	local want=$1 ref=$2
	shift 2
	pf check -o json --timeout 60 --root "$R" --platform "$AMD" \
		--insecure-registry "$UP" "$@" "$ref"
	expect_status "$want" || return 1
	jq -e '.schema == 1' "$PF_OUT" >/dev/null || {
		echo "stdout is not a schema 1 JSON report" >&2
		pf_dump
		return 1
	}
}

# mark: remember how long the request log is; since: what came after.
mark() {
	MARK=$(wc -l <"$MLOG")
}

since() {
	tail -n "+$((MARK + 1))" "$MLOG" >"$BATS_TEST_TMPDIR/since.log"
	printf '%s' "$BATS_TEST_TMPDIR/since.log"
}

# -- 1. program headers beyond the bytes read ---------------------------

@test "e_phoff=70000, PT_INTERP to a missing loader: UNKNOWN, not PASS" {
	local ref=$UP/r/phoff:1 ctl=$UP/r/phoff0:1
	amd 2 "$ref"
	expect_verdict "$ref" "$AMD" UNKNOWN
	expect_findings "$ref" "$AMD" unknown:elf-interpreter-unread
	expect_finding "$ref" "$AMD" unknown:elf-interpreter-unread \
		'program headers'
	# The same ELF with its headers at byte 64: the loader is missing.
	amd 1 "$ctl"
	expect_verdict "$ctl" "$AMD" FAIL
	expect_finding "$ctl" "$AMD" fail:elf-interpreter-missing \
		'ld-missing'
}

# -- 2. env arguments, as the kernel passes them ------------------------

@test "#!/usr/bin/env sh -e: FAIL naming env -S; env -S sh -e: PASS" {
	local ref=$UP/r/envargs:1 ok=$UP/r/envargs-s:1
	amd 1 "$ref"
	expect_verdict "$ref" "$AMD" FAIL
	expect_findings "$ref" "$AMD" fail:script-interpreter-missing
	expect_finding "$ref" "$AMD" fail:script-interpreter-missing \
		'env -S'
	amd 0 "$ok"
	expect_verdict "$ok" "$AMD" PASS
	expect_findings "$ok" "$AMD"
}

@test "#!/usr/bin/env -i sh -e: FAIL, env refuses the one argument" {
	local ref=$UP/r/envargs-i:1
	amd 1 "$ref"
	expect_findings "$ref" "$AMD" fail:script-interpreter-missing
	expect_finding "$ref" "$AMD" fail:script-interpreter-missing \
		'refuses as an option'
}

# -- 3. a mirror resolves the tag, then fails the GET -------------------

@test "mirror HEAD names a stale digest, GET 500: that digest, FAIL" {
	local ref=$UP/r/stale:1 log
	mirrored "$GETFAIL"
	mark
	amd 1 "$ref"
	log=$(since)
	expect_grep "mirror log" "^getfail HEAD /v2/r/stale/manifests/1[? ]" \
		"$log"
	# The stale (arm64-only) manifest, not the upstream's index.
	expect_verdict "$ref" "$AMD" FAIL
	expect_finding "$ref" "$AMD" fail:single-manifest-wrong-platform
	expect_jq "$ref" "$AMD" .top.kind manifest
	expect_jq "$ref" "$AMD" .source.host "$GETFAIL"
	expect_jq "$ref" "$AMD" .source.mirror true
	# The digest the mirror named was asked of the upstream; the tag
	# was never resolved there.
	local digest
	digest=$(on_image "$ref" "$AMD" .top.digest)
	[[ $digest == sha256:* ]] || {
		echo "no top digest in the report: [$digest]" >&2
		return 1
	}
	expect_grep "upstream log" \
		"^up GET /v2/r/stale/manifests/${digest}[? ]" "$log"
	expect_no_grep "upstream log" "^up [A-Z]+ /v2/r/stale/manifests/1[? ]" \
		"$log"
}

# -- 4. no credentials to a mirror --------------------------------------

@test "node credentials never go to a mirror with a Basic challenge" {
	local ref=$UP/r/app:1 log
	mirrored "$AUTHMIR"
	put /root/.docker/config.json <<EOF
{"auths": {"$UP": {"auth": "$(printf 'bob:n0de-secret' | base64 -w0)"}}}
EOF
	mark
	amd 0 "$ref"
	log=$(since)
	expect_verdict "$ref" "$AMD" PASS
	expect_jq "$ref" "$AMD" .source.host "$UP"
	expect_grep "mirror log" "^auth [A-Z]+ /v2/r/app/" "$log"
	expect_no_grep "mirror log" "^auth .* auth=[^-]" "$log"
}

@test "--creds never go to a mirror with a Basic challenge" {
	local ref=$UP/r/app:1 log
	mirrored "$AUTHMIR"
	mark
	amd 0 "$ref" --creds bob:cli-secret
	log=$(since)
	expect_verdict "$ref" "$AMD" PASS
	expect_jq "$ref" "$AMD" .source.host "$UP"
	expect_grep "mirror log" "^auth [A-Z]+ /v2/r/app/" "$log"
	expect_no_grep "mirror log" "^auth .* auth=[^-]" "$log"
	expect_no_grep "stderr" "cli-secret" "$PF_ERR"
	expect_no_grep "report" "cli-secret" "$PF_OUT"
}

# -- 5. a layer missing on the mirror -----------------------------------

@test "layer 404 BLOB_UNKNOWN on the mirror: from the upstream, PASS" {
	local ref=$UP/r/app:1 log
	mirrored "$L404"
	mark
	amd 0 "$ref"
	log=$(since)
	expect_verdict "$ref" "$AMD" PASS
	expect_findings "$ref" "$AMD"
	expect_grep "mirror log" "^layer404 GET /v2/r/app/blobs/" "$log"
	expect_grep "upstream log" "^up GET /v2/r/app/blobs/" "$log"
}
