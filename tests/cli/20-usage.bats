#!/usr/bin/env bats
# The command line without a registry: usage errors (exit 3, one
# "image-preflight: error: ..." line on stderr, nothing on stdout),
# --help, --version, help COMMAND, the host command, and a registry
# that does not answer (UNKNOWN, exit 2, within --timeout).

load common

# usage_error ERE ARGS...: exit 3, nothing on stdout, stderr says
# "image-preflight: error: " followed by text matching ERE.
usage_error() {
	local re=$1
	shift
	pf "$@"
	expect_status 3
	if [ -s "$PF_OUT" ]; then
		echo "a usage error printed a report on stdout" >&2
		pf_dump
		return 1
	fi
	if ! grep -E -q -- "^image-preflight: error: $re" "$PF_ERR"; then
		echo "stderr has no line 'image-preflight: error: $re'" >&2
		pf_dump
		return 1
	fi
}

# A reference on a port where nothing listens: never contacted, since a
# usage error stops the run before any request.
ref() {
	printf '127.0.0.1:9/fx/%s' "$1"
}

# -- usage errors -----------------------------------------------------------

@test "invalid references: exit 3, the reference named" {
	usage_error "invalid image reference 'a b'" check 'a b'
	usage_error "invalid image reference 'Upper': .*lowercase" check Upper
	usage_error "invalid image reference '127.0.0.1:9/Fx/a:1'" \
		check 127.0.0.1:9/Fx/a:1
	usage_error "invalid image reference '127.0.0.1:9/fx/a:'" \
		check 127.0.0.1:9/fx/a:
	usage_error "invalid image reference '127.0.0.1:9/fx/a:bad:tag'" \
		check 127.0.0.1:9/fx/a:bad:tag
	usage_error "invalid image reference '127.0.0.1:9/fx/a@sha256:abc': .*digest" \
		check 127.0.0.1:9/fx/a@sha256:abc
	usage_error "(invalid image reference ''|empty image reference)" check ''
}

@test "one invalid reference among valid ones: nothing is checked" {
	usage_error "invalid image reference 'Bad'" check "$(ref a:1)" Bad \
		"$(ref b:1)"
}

@test "invalid platforms: exit 3, the platform named" {
	usage_error "invalid platform 'linux/'" check --platform linux/ "$(ref a:1)"
	usage_error "invalid platform 'foo'" check --platform foo "$(ref a:1)"
	usage_error "invalid platform 'linux/arm64/v8/x'" \
		check --platform linux/arm64/v8/x "$(ref a:1)"
	usage_error "invalid platform ''" check --platform '' "$(ref a:1)"
	usage_error "invalid platform 'nope'" host --platform nope
}

@test "unknown option: exit 3, the option named" {
	usage_error "invalid option '--bogus'" check --bogus "$(ref a:1)"
	usage_error "invalid option '-x'" check -x "$(ref a:1)"
	usage_error "invalid option '--output'" check "$(ref a:1)" --output
}

@test "unknown command: exit 3" {
	usage_error "unknown command 'frobnicate'" frobnicate
	usage_error "unknown command 'frobnicate'" help frobnicate
}

@test "check without IMAGE: exit 3" {
	usage_error "check needs at least one IMAGE" check
	usage_error "check needs at least one IMAGE" check -o json
}

@test "bad --output: exit 3" {
	usage_error "invalid output format 'yaml'" check -o yaml "$(ref a:1)"
	usage_error "invalid output format ''" check --output '' "$(ref a:1)"
	usage_error "invalid output format 'xml'" host -o xml
}

@test "bad --timeout: exit 3" {
	local t
	for t in 0 -1 abc 10x '' 86401 99999999999999999999; do
		usage_error "invalid timeout '$t'" check --timeout "$t" "$(ref a:1)"
	done
}

@test "bad --runtime and --creds: exit 3" {
	usage_error "invalid runtime 'docker'" check --runtime docker "$(ref a:1)"
	usage_error "invalid --creds" check --creds :secret "$(ref a:1)"
	expect_no_grep "no secret echoed" secret "$PF_ERR"
}

@test "host takes no arguments: exit 3" {
	usage_error "host takes no arguments, got 'extra'" host extra
}

@test "no arguments at all: usage on stderr, exit 3" {
	pf
	expect_status 3
	[ ! -s "$PF_OUT" ]
	expect_grep usage '^usage: image-preflight check' "$PF_ERR"
}

# -- help and version ---------------------------------------------------------

@test "--help, -h, help, help check, check --help: usage on stdout, exit 0" {
	local args
	for args in --help -h help "help check" "help host" "check --help"; do
		# shellcheck disable=SC2086
		pf $args
		expect_status 0
		expect_grep "$args" '^usage: image-preflight check \[OPTIONS\] IMAGE\.\.\.' \
			"$PF_OUT"
		expect_grep "$args" '--platform' "$PF_OUT"
		expect_grep "$args" 'Exit status' "$PF_OUT"
		[ ! -s "$PF_ERR" ] || {
			pf_dump
			return 1
		}
	done
}

@test "--version: name and the VERSION file, exit 0" {
	local v
	v=$(cat "$BATS_TEST_DIRNAME/../../VERSION")
	pf --version
	expect_status 0
	[ "$(cat "$PF_OUT")" = "image-preflight $v" ] || {
		pf_dump
		return 1
	}
	[ ! -s "$PF_ERR" ]
}

# -- host -------------------------------------------------------------------

# This machine's architecture in OCI words, from uname -m.
oci_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64 | arm64) echo arm64 ;;
	armv7l | armv6l | armv8l) echo arm ;;
	ppc64le) echo ppc64le ;;
	s390x) echo s390x ;;
	riscv64) echo riscv64 ;;
	i?86) echo 386 ;;
	*) uname -m ;;
	esac
}

@test "host: text report" {
	pf host
	expect_status 0
	expect_grep platform "^  platform: +linux/$(oci_arch)(/v[0-9]+)?\$" "$PF_OUT"
	expect_grep machine "^  machine: +$(uname -m)" "$PF_OUT"
	expect_grep kernel "^  kernel: +$(uname -r)\$" "$PF_OUT"
	expect_grep "page size" "^  page size: +$(getconf PAGESIZE) bytes\$" "$PF_OUT"
	expect_no_grep "not overridden" 'from --platform' "$PF_OUT"
}

@test "host -o json: every field, overridden false" {
	pf host -o json
	expect_status 0
	jq -e --arg arch "$(oci_arch)" --arg m "$(uname -m)" \
		--arg k "$(uname -r)" --argjson page "$(getconf PAGESIZE)" '
		.schema == 1 and .tool.name == "image-preflight" and
		(.tool.version | type == "string") and
		.host.os == "linux" and .host.architecture == $arch and
		(.host.variant | type == "string") and .host.machine == $m and
		.host.kernel == $k and .host.page_size == $page and
		(.host.variant_source | type == "string") and
		.host.overridden == false' "$PF_OUT" >/dev/null || {
		pf_dump
		return 1
	}
}

@test "host --platform: the override is reported, overridden true" {
	pf host -o json --platform linux/arm/v7
	expect_status 0
	jq -e '.host.os == "linux" and .host.architecture == "arm" and
		.host.variant == "v7" and .host.overridden == true' \
		"$PF_OUT" >/dev/null || {
		pf_dump
		return 1
	}
	pf host --platform linux/arm64
	expect_status 0
	expect_grep platform '^  platform: +linux/arm64(/v8)? \(from --platform\)$' \
		"$PF_OUT"
}

# -- a registry that does not answer --------------------------------------------

@test "nothing listens on the registry's port: UNKNOWN registry-unreachable, exit 2" {
	local r
	r="127.0.0.1:$(closed_port)/fx/multi-oci:1"
	pf check -o json --timeout 20 --platform linux/amd64 "$r"
	expect_status 2
	[ "$PF_SECS" -le 21 ] || {
		echo "took ${PF_SECS}s, --timeout 20" >&2
		return 1
	}
	expect_verdict "$r" linux/amd64 UNKNOWN
	expect_findings "$r" linux/amd64 unknown:registry-unreachable
	expect_grep warning "^image-preflight: warning: $r: .*cannot reach" \
		"$PF_ERR"
	# The text report too: UNKNOWN first, never FAIL or PASS.
	pf check --timeout 20 --insecure-registry "${r%%/*}" "$r"
	expect_status 2
	[[ $(head -n 1 "$PF_OUT") =~ ^UNKNOWN\ +"$r"$ ]]
	expect_grep finding '^  unknown +registry-unreachable: ' "$PF_OUT"
	expect_no_grep "no FAIL or PASS" '^(FAIL|PASS)' "$PF_OUT"
}

# A listener that accepts connections and never answers: the run ends
# at --timeout with UNKNOWN, not later and not with a FAIL.
@test "a registry that accepts and never answers: UNKNOWN within --timeout 3" {
	local port_file="$BATS_TEST_TMPDIR/port" pid r i
	python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
end = time.time() + 60
while time.time() < end:
	s.settimeout(1)
	try:
		conns.append(s.accept()[0])
	except OSError:
		pass' "$port_file" 3>&- &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		[ -s "$port_file" ] && break
		sleep 0.1
	done
	r="127.0.0.1:$(cat "$port_file")/fx/multi-oci:1"
	pf check -o json --timeout 3 --insecure-registry "${r%%/*}" \
		--platform linux/amd64 "$r"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	expect_status 2
	[ "$PF_SECS" -le 6 ] || {
		echo "took ${PF_SECS}s, --timeout 3" >&2
		return 1
	}
	expect_verdict "$r" linux/amd64 UNKNOWN
	expect_jq "$r" linux/amd64 \
		'[.findings[] | select(.severity == "unknown")] | length > 0' true
	expect_jq "$r" linux/amd64 \
		'[.findings[] | select(.severity == "fail")] | length' 0
}
