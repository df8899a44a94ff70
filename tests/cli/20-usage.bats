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

# ere TEXT: TEXT with the ERE special characters escaped.
ere() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
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

@test "platforms the runtimes do not know: exit 3, not a valid platform" {
	usage_error "not a valid platform: 'linux/arm64/v7'" \
		check --platform linux/arm64/v7 "$(ref a:1)"
	usage_error "not a valid platform: 'linux/amd64/v7'" \
		check --platform linux/amd64 --platform linux/amd64/v7 "$(ref a:1)"
	usage_error "not a valid platform: 'linux/arm64/v7'" \
		host --platform linux/arm64/v7
	# arm64 alone still means linux/arm64.
	pf host -o json --platform arm64
	expect_status 0
	jq -e '.host.os == "linux" and .host.architecture == "arm64"' \
		"$PF_OUT" >/dev/null || {
		pf_dump
		return 1
	}
}

@test "repeated platforms and images are checked once, in the order given" {
	local r a
	r="127.0.0.1:$(closed_port)/fx/a:1"
	a="${r%%/*}/fx/b:1"
	pf check -o json --timeout 20 --platform arm64 --platform linux/amd64 \
		--platform linux/arm64/v8 --platform linux/arm64 "$r" "$a" "$r"
	expect_status 2
	[ "$(jq -r '[.images[] | .reference + " " + .node.architecture] |
		join(",")' "$PF_OUT")" = \
		"$r arm64,$a arm64,$r amd64,$a amd64" ] || {
		pf_dump
		return 1
	}
}

@test "unknown option: exit 3, the option named" {
	usage_error "invalid option '--bogus'" check --bogus "$(ref a:1)"
	usage_error "invalid option '-x'" check -x "$(ref a:1)"
	usage_error "invalid option '--bogus'" check --bogus=1 "$(ref a:1)"
	usage_error "option '--strict' takes no value" check --strict=yes \
		"$(ref a:1)"
}

@test "an option without its value: exit 3, 'needs a value'" {
	usage_error "option '--output' needs a value" check "$(ref a:1)" --output
	usage_error "option '--platform' needs a value" check "$(ref a:1)" \
		--platform
	usage_error "option '-o' needs a value" check "$(ref a:1)" -o
	usage_error "option '--creds' needs a value" check "$(ref a:1)" --creds
	usage_error "option '--platform' needs a value" host --platform
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

@test "--ca-file that cannot be read as a file: exit 3, the file named" {
	usage_error "cannot use --ca-file '/nonexistent/ca.pem': No such file" \
		check --ca-file /nonexistent/ca.pem "$(ref a:1)"
	usage_error "cannot use --ca-file '$BATS_TEST_TMPDIR': a directory" \
		check --ca-file "$BATS_TEST_TMPDIR" "$(ref a:1)"
	usage_error "cannot use --ca-file '/dev/null': not a regular file" \
		check --ca-file /dev/null "$(ref a:1)"
	# A FIFO is refused without blocking on its open.
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	usage_error "cannot use --ca-file '$BATS_TEST_TMPDIR/fifo': not a regular file" \
		check --ca-file "$BATS_TEST_TMPDIR/fifo" "$(ref a:1)"
	usage_error "cannot use --ca-file ''" check --ca-file '' "$(ref a:1)"
	# root reads any file, so only someone else can see EACCES.
	if [ "$(id -u)" -ne 0 ]; then
		: >"$BATS_TEST_TMPDIR/locked.pem"
		chmod 000 "$BATS_TEST_TMPDIR/locked.pem"
		usage_error "cannot use --ca-file '$BATS_TEST_TMPDIR/locked.pem': Permission denied" \
			check --ca-file "$BATS_TEST_TMPDIR/locked.pem" "$(ref a:1)"
	fi
}

@test "--ca-file naming a readable file is accepted (its PEM is curl's)" {
	local r
	r="127.0.0.1:$(closed_port)/fx/a:1"
	: >"$BATS_TEST_TMPDIR/ca.pem"
	pf check -o json --timeout 20 --platform linux/amd64 \
		--ca-file "$BATS_TEST_TMPDIR/ca.pem" "$r"
	expect_status 2
	expect_findings "$r" linux/amd64 unknown:registry-unreachable
}

@test "--root that is not a directory: exit 3" {
	usage_error "cannot use --root '/nonexistent': No such file" \
		host --root /nonexistent
	usage_error "cannot use --root '/nonexistent': No such file" \
		check --root /nonexistent "$(ref a:1)"
	: >"$BATS_TEST_TMPDIR/file"
	usage_error "cannot use --root '$BATS_TEST_TMPDIR/file': not a directory" \
		host --root "$BATS_TEST_TMPDIR/file"
	usage_error "cannot use --root ''" host --root ''
	pf host --root "$BATS_TEST_TMPDIR"
	expect_status 0
}

@test "--insecure-registry not HOST[:PORT]: exit 3, the form expected" {
	local v
	for v in http://reg.local:5000 https://reg.local reg.local/path \
		reg.local:5000/ '' :5000 reg.local: reg.local:0 \
		reg.local:65536 reg.local:50x '[::1' 'reg local'; do
		usage_error "invalid --insecure-registry '$(ere "$v")': expected HOST\[:PORT\]" \
			check --insecure-registry "$v" "$(ref a:1)"
	done
}

@test "--insecure-registry HOST[:PORT] forms are accepted" {
	local r
	r="127.0.0.1:$(closed_port)/fx/a:1"
	pf check -o json --timeout 20 --platform linux/amd64 \
		--insecure-registry localhost --insecure-registry '[::1]:5000' \
		--insecure-registry reg-1.example_x.local \
		--insecure-registry "${r%%/*}" "$r"
	expect_status 2
	expect_findings "$r" linux/amd64 unknown:registry-unreachable
}

@test "--entrypoint with an empty first argument: exit 3" {
	usage_error "invalid --entrypoint ''" check --entrypoint '' "$(ref a:1)"
	usage_error "invalid --entrypoint ''" \
		check --entrypoint '' --entrypoint /bin/sh "$(ref a:1)"
	# A later argument may be empty: sh -c ''.
	local r
	r="127.0.0.1:$(closed_port)/fx/a:1"
	pf check -o json --timeout 20 --platform linux/amd64 \
		--entrypoint /bin/sh --entrypoint -c --entrypoint '' "$r"
	expect_status 2
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

@test "--help, -h, help: the overview and the command list on stdout, exit 0" {
	local args
	for args in --help -h help; do
		pf "$args"
		expect_status 0
		expect_grep "$args" '^usage: image-preflight check \[OPTIONS\] IMAGE\.\.\.' \
			"$PF_OUT"
		expect_grep "$args" '^  check +will each IMAGE start' "$PF_OUT"
		expect_grep "$args" '^  host +what this node is' "$PF_OUT"
		expect_grep "$args" 'help COMMAND' "$PF_OUT"
		expect_grep "$args" 'Exit status' "$PF_OUT"
		expect_no_grep "$args: no command's options" '--(platform|strict)' \
			"$PF_OUT"
		[ ! -s "$PF_ERR" ] || {
			pf_dump
			return 1
		}
	done
}

@test "help check, check --help: check's synopsis and only its options" {
	local args
	for args in "help check" "check --help" "--help check" "check -h"; do
		# shellcheck disable=SC2086
		pf $args
		expect_status 0
		[ "$(head -n 1 "$PF_OUT")" = \
			"usage: image-preflight check [OPTIONS] IMAGE..." ] || {
			pf_dump
			return 1
		}
		expect_grep "$args" '^Will each IMAGE start on this node\?' "$PF_OUT"
		expect_grep "$args" '^  --platform OS/ARCH' "$PF_OUT"
		expect_grep "$args" '^  --strict ' "$PF_OUT"
		expect_grep "$args" '^  --insecure-registry HOST\[:PORT\]' "$PF_OUT"
		expect_grep "$args" '^  -q, --quiet +no warnings on stderr$' "$PF_OUT"
		expect_grep "$args" 'the last of -q and -v wins' "$PF_OUT"
		expect_grep "$args" '^Exit status: 0 all PASS or WARN' "$PF_OUT"
		expect_no_grep "$args: not host's" '^usage: image-preflight host' \
			"$PF_OUT"
		[ ! -s "$PF_ERR" ]
	done
}

@test "help host, host --help: host's synopsis and only its options" {
	local args
	for args in "help host" "host --help"; do
		# shellcheck disable=SC2086
		pf $args
		expect_status 0
		[ "$(head -n 1 "$PF_OUT")" = "usage: image-preflight host [OPTIONS]" ] || {
			pf_dump
			return 1
		}
		expect_grep "$args" '^What this node is' "$PF_OUT"
		expect_grep "$args" '^  --platform OS/ARCH' "$PF_OUT"
		expect_grep "$args" '^  --root DIR' "$PF_OUT"
		expect_no_grep "$args: check's options" \
			'--(strict|creds|ca-file|insecure-registry|entrypoint|runtime|timeout|quiet)' \
			"$PF_OUT"
		expect_no_grep "$args: not check's" 'IMAGE' "$PF_OUT"
		[ ! -s "$PF_ERR" ]
	done
}

@test "the -q help says what the README says; the last of -q and -v wins" {
	local readme="$BATS_TEST_DIRNAME/../../README.md" q
	# shellcheck disable=SC2016 # backquotes of Markdown, not a command
	q=$(sed -n 's/^| `-q`, `--quiet` | \(.*\) |$/\1/p' "$readme")
	[ "$q" = "no warnings on stderr" ] || {
		echo "README's -q row says [$q]" >&2
		return 1
	}
	# shellcheck disable=SC2016 # backquotes of Markdown, not a command
	expect_grep README '[Tt]he last of `-q` and `-v` wins' "$readme"
	pf help check
	expect_status 0
	expect_grep help "^  -q, --quiet +$q\$" "$PF_OUT"
}

@test "--version: name and the VERSION file on the first line, exit 0" {
	local v
	v=$(cat "$BATS_TEST_DIRNAME/../../VERSION")
	pf --version
	expect_status 0
	[ "$(head -n 1 "$PF_OUT")" = "image-preflight $v" ] || {
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

@test "the JSON report records --strict next to rules" {
	local r
	r="127.0.0.1:$(closed_port)/fx/a:1"
	pf check -o json --timeout 20 --platform linux/amd64 "$r"
	expect_status 2
	[ "$(jq -c '[.rules, .strict]' "$PF_OUT")" = '["any",false]' ] || {
		pf_dump
		return 1
	}
	pf check -o json --strict --timeout 20 --platform linux/amd64 "$r"
	expect_status 2
	[ "$(jq -c '[.rules, .strict]' "$PF_OUT")" = '["any",true]' ] || {
		pf_dump
		return 1
	}
	[ "$(jq -c 'keys_unsorted' "$PF_OUT")" = \
		'["schema","tool","host","rules","strict","images"]' ] || {
		pf_dump
		return 1
	}
}

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
