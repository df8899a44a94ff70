#!/usr/bin/env bats
# The top layer's first range asked for together with the config: over
# HTTP/2 (the TLS registry negotiates h2 by ALPN) both share a round
# trip; over HTTP/1.1 it is not asked early, as it would need a
# connection of its own. An early range that is refused is dropped and
# the layer asked for again the usual way, so the verdict is the one the
# usual path gives.
#
# Run: PREFLIGHT=/abs/path/image-preflight bats tests/cli/46-early-range.bats

# shellcheck disable=SC2154 # REG_* variables come from registry.bash

load ../lib/registry
load common

IMG=fx/single-amd64:1

setup_file() {
	if [ -z "${PREFLIGHT:-}" ]; then
		PREFLIGHT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/image-preflight
	fi
	export PREFLIGHT
	export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=87}
	registry_start tls tls
	registry_start plain plain
	push_fx "$REG_TLS_URL" "$IMG" --ca "$REG_TLS_CA"
	push_fx "$REG_PLAIN_ADDR" "$IMG" --insecure
}

teardown_file() {
	registry_stop_all
}

# push_fx REGISTRY GLOB ARGS...: push the fixtures matching GLOB.
push_fx() {
	local reg=$1 glob=$2
	shift 2
	/usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/push-fixtures.py" \
		"$reg" --only "$glob" "$@" >/dev/null
}

# check_v ADDR REF ARGS...: a verbose JSON check; $OUT, $ERR, $STATUS.
check_v() {
	local addr=$1 ref=$2
	shift 2
	OUT=$BATS_TEST_TMPDIR/out ERR=$BATS_TEST_TMPDIR/err STATUS=0
	"$PREFLIGHT" check -v -o json --platform linux/amd64 "$@" \
		"$addr/$ref" >"$OUT" 2>"$ERR" || STATUS=$?
}

jqo() {
	jq -r "$1" "$OUT"
}

dump() {
	echo "status $STATUS"
	cat "$OUT" "$ERR"
}

@test "early range: over HTTP/2 the top layer's first range goes with the config" {
	check_v "$REG_TLS_ADDR" "$IMG" --ca-file "$REG_TLS_CA"
	[ "$STATUS" -eq 0 ] || { dump; false; }
	[ "$(jqo '.images[0].verdict')" = PASS ] || { dump; false; }
	grep -q 'range 0-[0-9]* (early, with the config)' "$ERR" ||
		{ dump; false; }
	grep -q 'early range -> HTTP 206' "$ERR" || { dump; false; }
	# taken over, not asked again: one request for the layer
	[ "$(grep -c 'GET .*/blobs/' "$ERR")" -eq 2 ] || { dump; false; }
	[ "$(jqo '.images[0].stats.requests')" -eq 4 ] || { dump; false; }
	[ "$(jqo '.images[0].stats.layer_bytes_read')" -gt 0 ] ||
		{ dump; false; }
}

@test "early range: over HTTP/1.1 the layer is asked for after the config" {
	check_v "$REG_PLAIN_ADDR" "$IMG" --insecure-registry "$REG_PLAIN_ADDR"
	[ "$(jqo '.images[0].verdict')" = PASS ] || { dump; false; }
	! grep -q 'early' "$ERR" || { dump; false; }
}

@test "early range: a refused one is asked again the usual way: same verdict" {
	local digest path
	# a registry of its own, as the blob it loses is shared by digest
	registry_start gone tls
	push_fx "$REG_GONE_URL" "$IMG" --ca "$REG_GONE_CA"
	check_v "$REG_GONE_ADDR" "$IMG" --ca-file "$REG_GONE_CA"
	[ "$(jqo '.images[0].verdict')" = PASS ] || { dump; false; }
	digest=$(grep -o 'blobs/sha256:[0-9a-f]* range 0-[0-9]* (early' "$ERR" |
		cut -d: -f2 | cut -d' ' -f1)
	path="$REG_GONE_STORAGE/docker/registry/v2/blobs/sha256/${digest:0:2}/$digest/data"
	[ -f "$path" ] || { echo "no blob file $path"; dump; false; }
	rm -f "$path"
	check_v "$REG_GONE_ADDR" "$IMG" --ca-file "$REG_GONE_CA"
	grep -q 'early range -> HTTP 404' "$ERR" || { dump; false; }
	grep -q "GET .*/blobs/sha256:$digest range 0-[0-9]*\$" "$ERR" ||
		{ dump; false; }
	[ "$(jqo '.images[0].verdict')" = FAIL ] || { dump; false; }
	jqo '.images[0].findings[] | .code + " " + .message' |
		grep -q "image-not-found .*404 BLOB_UNKNOWN" || { dump; false; }
}
