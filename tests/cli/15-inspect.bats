#!/usr/bin/env bats
# image-preflight inspect: the tree an image resolves to (index, platform
# manifests, configs, digests, sizes) and the entry this node would get,
# against a real registry holding the fx/ fixtures (tests/FIXTURES.md).

load ../lib/registry
load common

setup_file() {
	registry_start fx plain
	export REG=$REG_FX_ADDR
	local top
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	if ! python3 "$top/tests/lib/push-fixtures.py" "$REG" --insecure \
		--digests "$BATS_FILE_TMPDIR/digests.json" \
		>"$BATS_FILE_TMPDIR/push.out" 2>"$BATS_FILE_TMPDIR/push.err"; then
		cat "$BATS_FILE_TMPDIR/push.err" >&2
		return 1
	fi
	export DIGESTS="$BATS_FILE_TMPDIR/digests.json"
}

teardown_file() {
	registry_stop_all
}

# inspect_json STATUS ARGS...: inspect -o json, expect STATUS and JSON.
inspect_json() {
	local want=$1
	shift
	pf inspect -o json --insecure-registry "$REG" "$@"
	expect_status "$want"
	jq -e . "$PF_OUT" >/dev/null || { pf_dump; return 1; }
}

# jqo FILTER: jq -r FILTER on the last output.
jqo() {
	jq -r "$1" "$PF_OUT"
}

@test "inspect: an index lists every entry with its manifest and config, and marks the node's" {
	inspect_json 0 --platform linux/arm64 "$REG/fx/multi-oci:1"
	[ "$(jqo '.image.top.kind')" = index ]
	[ "$(jqo '.image.manifests | length')" = 6 ]
	[ "$(jqo '.image.complete')" = true ]
	# every entry's config says what the index says, and each has a command
	[ "$(jqo '[.image.manifests[] | select(.config.platform.architecture == .platform.architecture)] | length')" = 6 ]
	[ "$(jqo '[.image.manifests[] | select(.config.argv == ["/app"])] | length')" = 6 ]
	[ "$(jqo '[.image.manifests[] | select(.selected)] | length')" = 1 ]
	[ "$(jqo '.image.manifests[] | select(.selected) | .platform.architecture')" = arm64 ]
	[ "$(jqo '.image.selected.platform.architecture')" = arm64 ]
	# the digests are the registry's
	local want
	want=$(jq -r '.images["fx/multi-oci:1"].digest' "$DIGESTS")
	[ "$(jqo '.image.top.digest')" = "$want" ]
	want=$(jq -r '.images["fx/multi-oci:1"].manifests[] | select(.platform == "linux/arm64") | .config' "$DIGESTS")
	[ "$(jqo '.image.manifests[] | select(.selected) | .manifest.config_digest')" = "$want" ]
	[ "$(jqo '.image.manifests[0].manifest.layers')" = 1 ]
	[ "$(jqo '.image.manifests[0].manifest.layers_size > 0')" = true ]
}

@test "inspect: text names each entry and the node's pick with its reason" {
	pf inspect --insecure-registry "$REG" --platform linux/s390x "$REG/fx/multi-oci:1"
	expect_status 0
	grep -q '^  entry 5: *linux/s390x sha256:[0-9a-f]* <- this node$' "$PF_OUT" || { pf_dump; return 1; }
	[ "$(grep -c '^  entry [0-9]:' "$PF_OUT")" = 6 ]
	grep -q 'config says linux/s390x, runs /app' "$PF_OUT"
	grep -q '^  why: ' "$PF_OUT"
}

@test "inspect: reads no layer, even of a 30 MiB image" {
	inspect_json 0 --platform linux/amd64 "$REG/fx/big-layer:1"
	[ "$(jqo '.image.manifests[0].manifest.layers_size > 30000000')" = true ]
	[ "$(jqo '.image.stats.bytes_received < 100000')" = true ]
}

@test "inspect: an attestation entry is listed, marked and never fetched" {
	inspect_json 0 --platform linux/amd64 "$REG/fx/attestation:1"
	[ "$(jqo '.image.manifests | length')" = 2 ]
	[ "$(jqo '.image.manifests[1].attestation')" = true ]
	[ "$(jqo '.image.manifests[1].manifest')" = null ]
	[ "$(jqo '.image.manifests[1].selected')" = false ]
	[ "$(jqo '.image.complete')" = true ]
}

@test "inspect: a node the index has no entry for gets nothing, and the tree is still whole" {
	pf inspect --insecure-registry "$REG" --platform linux/arm64 "$REG/fx/attestation:1"
	expect_status 0
	grep -q '^  selected: *nothing: this node gets no entry' "$PF_OUT"
	grep -q 'no-matching-platform' "$PF_OUT"
}

@test "inspect: a single manifest is one entry, with its config's platform" {
	inspect_json 0 --platform linux/arm64 "$REG/fx/single-amd64:1"
	[ "$(jqo '.image.top.kind')" = manifest ]
	[ "$(jqo '.image.manifests | length')" = 1 ]
	[ "$(jqo '.image.manifests[0].config.platform.architecture')" = amd64 ]
	[ "$(jqo '.image.manifests[0].config.argv[0]')" = /coredns ]
	[ "$(jqo '.image.manifests[0].selected')" = true ]
	[ "$(jqo '.image.selected.reason')" != null ]
}

@test "inspect: an entry that is not a valid platform is marked" {
	pf inspect --insecure-registry "$REG" --platform linux/arm64 "$REG/fx/impossible-tuple:1"
	expect_status 0
	grep -q '^  entry 2: *linux/arm64/v7 .*(not a valid platform)' "$PF_OUT" || { pf_dump; return 1; }
	grep -q '^  entry 3: .*<- this node' "$PF_OUT"
}

@test "inspect: a missing tag exits 1, an unreachable registry 2" {
	pf inspect --insecure-registry "$REG" "$REG/fx/multi-oci:nope"
	expect_status 1
	grep -q 'image-not-found' "$PF_OUT"
	local port
	port=$(_reg_free_port)
	pf inspect --timeout 5 --insecure-registry "127.0.0.1:$port" "127.0.0.1:$port/x:1"
	expect_status 2
	grep -q 'registry-unreachable' "$PF_OUT"
}

@test "inspect: options that belong to check, and several images, are usage errors" {
	pf inspect "$REG/a:1" "$REG/b:1"
	expect_status 3
	grep -q 'one IMAGE' "$PF_ERR"
	pf inspect --entrypoint /x "$REG/a:1"
	expect_status 3
	pf inspect --platform all "$REG/a:1"
	expect_status 3
	pf inspect --platform linux/amd64 --platform linux/arm64 "$REG/a:1"
	expect_status 3
	pf inspect
	expect_status 3
}

@test "inspect: its help shows its own options only" {
	pf help inspect
	expect_status 0
	grep -q 'usage: image-preflight inspect \[OPTIONS\] IMAGE' "$PF_OUT"
	grep -q -- '--platform OS/ARCH\[/VARIANT\]  show the entry' "$PF_OUT"
	! grep -q -- '--entrypoint' "$PF_OUT"
	! grep -q -- '--compare-to' "$PF_OUT"
	pf --help
	grep -q 'image-preflight inspect \[OPTIONS\] IMAGE' "$PF_OUT"
}
