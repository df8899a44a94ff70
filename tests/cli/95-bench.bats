#!/usr/bin/env bats
# Checks run at once, and the benchmark's proxy (tests/bench/netproxy.py)
# measuring what it claims: every byte a client receives, each request,
# and the latency it adds (`make bench` relies on both).
#
# Run: PREFLIGHT=/abs/path/image-preflight sh tests/run-cli.sh \
#          tests/cli/95-bench.bats
# A plain registry and the proxy run on 127.0.0.1 (stopped by their PIDs
# in teardown_file); checks run as a linux/amd64 node with an empty
# --root, so this machine's configuration is never read.

# shellcheck disable=SC2154 # REG_* variables come from registry.bash

if [ -z "${PREFLIGHT:-}" ]; then
	PREFLIGHT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/image-preflight
	export PREFLIGHT
fi

load ../lib/registry
load common

IMAGES=9
DELAY_MS=200

# netproxy_start NAME DELAY [UPSTREAM]: netproxy.py in front of UPSTREAM
# (default the plain registry) with DELAY ms each way; its address in
# $REG_ROOT/NAME/addr, its events in $REG_ROOT/NAME/log.
netproxy_start() {
	local name=$1 delay=$2 up=${3:-$REG_REG_ADDR} dir="$REG_ROOT/$1"
	mkdir -p "$dir" || return 1
	_reg_spawn "$name" "$dir/err" "$(_reg_python)" -B \
		"$BATS_TEST_DIRNAME/../bench/netproxy.py" \
		--upstream "$up" --delay-ms "$delay" \
		--port-file "$dir/port" --log "$dir/log" \
		--owner-pid "${REG_OWNER_PID:-$$}"
	_reg_wait_file "$dir/port" "$_REG_PID" ||
		_reg_fail_log "netproxy did not start" "$dir/err" || return 1
	echo "127.0.0.1:$(<"$dir/port")" >"$dir/addr"
}

setup_file() {
	[ -x "$PREFLIGHT" ] || {
		echo "PREFLIGHT=$PREFLIGHT is not an executable" >&2
		return 1
	}
	registry_start reg plain || return 1
	PYTHONPATH="$BATS_TEST_DIRNAME/../lib" "$(_reg_python)" -B - \
		"$REG_REG_ADDR" "$IMAGES" <<'EOF' || return 1
import sys
import imagebuild as ib
reg = ib.Registry(sys.argv[1], insecure=True)
for i in range(int(sys.argv[2])):
    layer = ib.Layer().file("/app", ib.elf(arch="amd64", pad=256 + i))
    img = ib.Image([layer.build("gzip")],
                   ib.Config("linux/amd64", entrypoint=["/app"]))
    reg.push(img, "many/app%d" % i, "1")
EOF
	netproxy_start slow "$DELAY_MS" || return 1
	netproxy_start plain 0 || return 1
	# the same images over TLS, as make bench serves them
	REG_STORAGE=$REG_REG_STORAGE registry_start regtls tls || return 1
	netproxy_start tls 0 "$REG_REGTLS_ADDR" || return 1
}

teardown_file() {
	registry_stop_all
}

setup() {
	REG=$(<"$REG_ROOT/slow/addr")
	NODE="$BATS_TEST_TMPDIR/node"
	mkdir -p "$NODE"
}

# Seconds between the first request for the first image and the first
# request for the Nth image to be started (first requests in time order).
start_spread() {
	jq -s --argjson n "$2" '[map(select(.ev == "req"))
		| group_by(.line | split("/")[3])[] | min_by(.t).t] | sort
		| .[$n - 1] - .[0]' "$1"
}

@test "nine images are checked eight at a time" {
	local refs=() i
	for ((i = 0; i < IMAGES; i++)); do
		refs+=("$REG/many/app$i:1")
	done
	check_json 0 --root "$NODE" --platform linux/amd64 --runtime any \
		"${refs[@]}"
	run jq -r '[.images[].verdict] | unique | join(",")' "$PF_OUT"
	[ "$output" = PASS ] || { echo "verdicts: $output" >&2; return 1; }
	run jq -r '.images | length' "$PF_OUT"
	[ "$output" = "$IMAGES" ]
	# with 200 ms each way one check takes seconds (8 round trips), so
	# a ninth check waits for the first to end, and a fifth would too if
	# fewer than eight ran at once
	local eight nine
	eight=$(start_spread "$REG_ROOT/slow/log" 8)
	nine=$(start_spread "$REG_ROOT/slow/log" 9)
	awk -v a="$eight" -v b="$nine" 'BEGIN { exit !(a < 1.0 && b > a) }' || {
		echo "the 8th check began $eight s after the first," \
			"the 9th $nine s: expected eight at once" >&2
		return 1
	}
}

@test "the bench proxy counts every byte and request the client sees" {
	local addr url log="$REG_ROOT/plain/log" size head
	addr=$(<"$REG_ROOT/plain/addr")
	url="http://$addr/v2/many/app0/manifests/1"
	: >"$BATS_TEST_TMPDIR/h"
	run curl -sS -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/h" \
		-w '%{size_download} %{size_header}' \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' "$url"
	[ "$status" -eq 0 ]
	read -r size head <<<"$output"
	[ "$size" -gt 0 ]
	# wait for the proxy to log the closed connection
	for ((i = 0; i < 50; i++)); do
		grep -q '"ev": "close"' "$log" && break
		sleep 0.1
	done
	run jq -s -r '[map(select(.ev == "close"))[].rx] | add' "$log"
	[ "$output" = $((size + head)) ] || {
		echo "proxy counted $output bytes, curl got $((size + head))" >&2
		return 1
	}
	run jq -s -r 'map(select(.ev == "req"))[].line' "$log"
	[ "$output" = "GET /v2/many/app0/manifests/1 HTTP/1.1" ]
}

@test "the bench proxy adds its latency: handshake, request and answer" {
	local t
	# connect (one round trip), then the request and its answer (one):
	# four times 200 ms at least
	run curl -sS -o /dev/null -w '%{time_total}' "http://$REG/v2/"
	[ "$status" -eq 0 ]
	t=$output
	awk -v t="$t" 'BEGIN { exit !(t >= 0.8 && t < 10) }' || {
		echo "took $t s through a 200 ms proxy; expected 0.8 s or more" >&2
		return 1
	}
	# without added latency the same takes far less
	run curl -sS -o /dev/null -w '%{time_total}' \
		"http://$(<"$REG_ROOT/plain/addr")/v2/"
	awk -v t="$output" 'BEGIN { exit !(t < 0.8) }'
}

@test "the bench proxy relays TLS: certificate checked, HTTP/2, bytes counted" {
	local addr log="$REG_ROOT/tls/log" i body
	addr=$(<"$REG_ROOT/tls/addr")
	pf check -o json --timeout 60 --root "$NODE" --platform linux/amd64 \
		--runtime any --ca-file "$REG_REGTLS_CA" "$addr/many/app0:1"
	expect_status 0
	expect_verdict "$addr/many/app0:1" linux/amd64 PASS
	# ALPN passes through the relay: the registry chose h2
	expect_jq "$addr/many/app0:1" linux/amd64 .stats.http_version 2
	for ((i = 0; i < 50; i++)); do
		run jq -s '(map(select(.ev == "open")) | length) ==
			(map(select(.ev == "close")) | length)' "$log"
		[ "$output" = true ] && break
		sleep 0.1
	done
	# one connection, seen as TLS, no request line readable inside it
	run jq -s -c '[(map(select(.ev == "open")) | length),
		(map(select(.ev == "tls")) | length),
		(map(select(.ev == "req")) | length)]' "$log"
	[ "$output" = "[1,1,0]" ] || {
		echo "open, tls, req events: $output" >&2
		cat "$log" >&2
		return 1
	}
	# every body byte the check got crossed the proxy, inside TLS records
	body=$(on_image "$addr/many/app0:1" linux/amd64 .stats.bytes_received)
	run jq -s '[map(select(.ev == "close"))[].rx] | add' "$log"
	[ "$body" -gt 0 ] && [ "$output" -gt "$body" ] || {
		echo "proxy counted $output bytes for $body body bytes" >&2
		return 1
	}
}
