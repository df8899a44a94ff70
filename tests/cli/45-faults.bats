#!/usr/bin/env bats
# The fault matrix: every transport fault at every stage of a check
# (token, manifest by tag, manifest by digest, config, layer), injected
# by tests/lib/faultproxy.py --fault STAGE:FAULT in front of a real
# registry with token auth, credentials configured. Each row gives the
# verdict, exit status and finding a correct checker answers; every run
# must end within --timeout plus a margin, with no sanitizer report, and
# no Authorization header may reach the host or the plain-HTTP side a
# redirect leads to (the proxy logs what it receives).
#
# Run: PREFLIGHT=/abs/path/image-preflight sh tests/run-cli.sh \
#          tests/cli/45-faults.bats
# The rows of one stage run side by side, each on its own port of one
# proxy (--fault-each).

load ../lib/registry

IMAGE=fx/single-amd64:1
TIMEOUT=4
# The machine may be loaded: seconds allowed past --timeout.
MARGIN=6

setup_file() {
	[ -x "${PREFLIGHT:-}" ] || {
		echo "PREFLIGHT=${PREFLIGHT:-} is not an executable" >&2
		return 1
	}
	unset IMAGE_PREFLIGHT_CREDS
	registry_start tok token
	local log
	log=$(/usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/push-fixtures.py" \
		"$REG_TOK_ADDR" --only "$IMAGE" --insecure \
		--user "$REG_TOK_USER:$REG_TOK_PASS" 2>&1) || {
		echo "push failed: $log" >&2
		return 1
	}
}

teardown_file() {
	registry_stop_all
}

# The matrix. FAULT VERDICT EXIT CODE MESSAGE-RE, where CODE is the one
# non-info finding expected ("-" for none) and MESSAGE-RE an extended,
# case-insensitive regular expression its message matches.
ROWS_COMMON='
reset		UNKNOWN	2 registry-unreachable	reset|recv failure
reset-mid	UNKNOWN	2 registry-unreachable	reset|recv failure
truncate	UNKNOWN	2 registry-unreachable	transfer closed|remaining
drip		UNKNOWN	2 registry-unreachable	timed out
500		UNKNOWN	2 registry-error	HTTP 500
502		UNKNOWN	2 registry-error	HTTP 502
503		UNKNOWN	2 registry-error	HTTP 503
503once		PASS	0 -			-
429		PASS	0 -			-
429long		UNKNOWN	2 registry-rate-limited	Retry-After beyond
'
ROWS_MANIFEST='
ctype		WARN	0 content-type-mismatch	text/html
mismatch	FAIL	1 content-digest-mismatch does not match
big		UNKNOWN	2 limit-exceeded	MANIFEST_BYTES_MAX
redirect-host	PASS	0 -			-
redirect-http	PASS	0 -			-
'
ROWS_BLOB='
ctype		PASS	0 -			-
html		UNKNOWN	2 registry-error	HTML page.*text/html
mismatch	FAIL	1 content-digest-mismatch does not match
redirect-host	PASS	0 -			-
redirect-http	PASS	0 -			-
'

# run_row STAGE FAULT PORT: one check through the proxy port that
# breaks STAGE with FAULT; leaves {out,err,rc,secs,log} in
# $BATS_TEST_TMPDIR/FAULT.
run_row() {
	local stage=$1 fault=$2 port=$3 dir=$BATS_TEST_TMPDIR/$2 t0 rc=0
	mkdir -p "$dir"
	t0=$SECONDS
	"$PREFLIGHT" check --platform linux/amd64 -o json \
		--timeout "$TIMEOUT" --ca-file "$REG_CA_FILE" \
		--creds "$REG_TOK_USER:$REG_TOK_PASS" "127.0.0.1:$port/$IMAGE" \
		>"$dir/out" 2>"$dir/err" </dev/null || rc=$?
	echo $((SECONDS - t0)) >"$dir/secs"
	echo "$rc" >"$dir/rc"
}

# check_row STAGE FAULT VERDICT EXIT CODE RE: the row's outcome, with
# what went wrong on stderr.
check_row() {
	local stage=$1 fault=$2 verdict=$3 want=$4 code=$5 re=$6
	local dir=$BATS_TEST_TMPDIR/$fault rc secs got findings msg
	rc=$(<"$dir/rc") secs=$(<"$dir/secs")
	findings=$(jq -r '.images[0].findings[] | select(.severity != "info")
		| "\(.code)\t\(.message)"' "$dir/out" 2>/dev/null)
	got=$(jq -r '.images[0].verdict' "$dir/out" 2>/dev/null)
	msg="$stage:$fault: exit $rc, verdict ${got:-none}, ${secs}s"
	if [ "$rc" != "$want" ] || [ "$got" != "$verdict" ]; then
		echo "$msg; expected $verdict exit $want" >&2
	elif [ "$code" = - ] && [ -n "$findings" ]; then
		echo "$msg; unexpected findings: $findings" >&2
	elif [ "$code" != - ] &&
		! grep -E -i -q "^$code	.*($re)" <<<"$findings"; then
		echo "$msg; no finding $code matching /$re/: $findings" >&2
	elif [ "$secs" -gt $((TIMEOUT + MARGIN)) ]; then
		echo "$msg; longer than --timeout $TIMEOUT + $MARGIN" >&2
	elif grep -E -q 'Sanitizer|runtime error' "$dir/err"; then
		echo "$msg; sanitizer report:" >&2
		head -n 30 "$dir/err" >&2
	elif grep -F -q -e "$REG_TOK_PASS" "$dir/out" "$dir/err"; then
		echo "$msg; the password was printed" >&2
	elif ! check_log "$stage" "$fault" "$dir/log"; then
		echo "$msg; proxy log:" >&2
		cat "$dir/log" >&2
	else
		return 0
	fi
	echo "--- stderr of $stage:$fault:" >&2
	head -c 3000 "$dir/err" >&2
	return 1
}

# check_log STAGE FAULT LOG: the fault was met at its stage; retries
# where due; nothing the client sent after a redirect carries
# Authorization, and a redirect to http really led there.
check_log() {
	local stage=$1 fault=$2 log=$3 n
	n=$(grep -c " stage=$stage " "$log")
	[ "$n" -ge 1 ] || {
		echo "$stage:$fault: no request of stage $stage" >&2
		return 1
	}
	case $fault in
	500 | 502 | 503 | reset | truncate | reset-mid)
		# the layer is streamed: a broken body is not fetched again
		if [ "$stage" != layer ] || [ "${fault#5}" != "$fault" ] ||
			[ "$fault" = reset ]; then
			[ "$n" -ge 2 ] || {
				echo "$stage:$fault: not retried" >&2
				return 1
			}
		fi
		;;
	redirect-*)
		if grep -q 'side=redirected' "$log" &&
			grep 'side=redirected' "$log" | grep -v -q ' auth=no '; then
			echo "$stage:$fault: Authorization after a redirect" >&2
			return 1
		fi
		[ "$stage" = token ] && return 0
		grep -q " stage=$stage .*side=redirected -> 20[06]$" "$log" || {
			echo "$stage:$fault: the redirect was not followed" >&2
			return 1
		}
		if [ "$fault" = redirect-http ]; then
			grep -q "scheme=http stage=$stage .*side=redirected" \
				"$log" || {
				echo "$stage:$fault: not over plain http" >&2
				return 1
			}
		fi
		;;
	esac
	return 0
}

# matrix STAGE ROWS: one proxy with a port for each row; run every row
# side by side, then check them all.
matrix() {
	local stage=$1 rows=$2 fault verdict want code re bad=0 v i
	local -a faults=() args=() ports=() pids=()
	while read -r fault verdict want code re; do
		[ -n "$fault" ] || continue
		faults+=("$fault")
		args+=(--fault-each "$stage:$fault")
	done <<<"$rows"
	proxy_start "$stage" "$REG_TOK_ADDR" --tls --proxy-realm "${args[@]}"
	v=PROXY_$(_reg_var "$stage")_PORTS
	read -r -a ports <<<"${!v}"
	v=PROXY_$(_reg_var "$stage")_LOG
	for ((i = 0; i < ${#faults[@]}; i++)); do
		run_row "$stage" "${faults[i]}" "${ports[i + 1]}" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for ((i = 0; i < ${#faults[@]}; i++)); do
		grep -E "host=[^ ]*:${ports[i + 1]} " "${!v}" \
			>"$BATS_TEST_TMPDIR/${faults[i]}/log" || true
	done
	while IFS=$'\t ' read -r fault verdict want code re; do
		[ -n "$fault" ] || continue
		check_row "$stage" "$fault" "$verdict" "$want" "$code" "$re" ||
			bad=$((bad + 1))
	done <<<"$rows"
	[ "$bad" = 0 ] || {
		echo "$bad of the $stage rows failed" >&2
		return 1
	}
}

@test "faults at the token server: UNKNOWN, never a credential elsewhere" {
	matrix token "$ROWS_COMMON
ctype		PASS	0 -			-
html		UNKNOWN	2 registry-auth		usable token
big		UNKNOWN	2 limit-exceeded	REGISTRY_TOKEN_BYTES_MAX
redirect-host	UNKNOWN	2 registry-auth		HTTP 307
redirect-http	UNKNOWN	2 registry-auth		HTTP 307
"
}

@test "faults on the manifest by tag" {
	matrix tag "$ROWS_COMMON$ROWS_MANIFEST
html		UNKNOWN	2 manifest-unreadable	not a manifest
"
}

@test "faults on the manifest by digest" {
	matrix digest "$ROWS_COMMON$ROWS_MANIFEST
html		UNKNOWN	2 registry-error	HTML page.*text/html
"
}

@test "faults on the config blob" {
	matrix config "$ROWS_COMMON$ROWS_BLOB"
}

@test "faults on the layer" {
	matrix layer "$ROWS_COMMON$ROWS_BLOB"
}
