#!/usr/bin/env bash
# The image-preflight demo: real images in a local registry, checked as this
# node and as an arm64 node, every verdict asserted.
#
# Usage: bash tests/demo/run.sh [IMAGE-PREFLIGHT]     (as root or with sudo)
#        sh tests/demo/run.sh, make demo               (the same)
#
# Installs what is missing (tests/deps.sh), builds (make) unless the binary
# is given, fetches real busybox and hello binaries from Debian
# (tests/lib/debbin.sh, cache build/debcache or $DEBCACHE), starts its own
# docker-registry on 127.0.0.1 on a free port with a temporary config and
# storage (tests/lib/registry.bash), pushes the demo images
# (tests/demo/images.py, see tests/FIXTURES.md) and runs image-preflight on
# them. A FAIL verdict is expected where the demo says so; the script fails
# when a verdict differs from the expected one or the tool crashes. The
# registry is stopped by its PID on exit, whatever happens.

# Started by sh: run again under bash (sh runs this line before it reads on).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

set -eu -o pipefail

DEMO_T0=$SECONDS
DEMO_BIN=${1:-}
if [ -n "$DEMO_BIN" ]; then
	case $DEMO_BIN in /*) ;; *) DEMO_BIN=$PWD/$DEMO_BIN ;; esac
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DEMO_ROOT=$PWD
DEMO_CACHE=${DEBCACHE:-build/debcache}
export DEBCACHE=$DEMO_CACHE
# Everything the demo talks to is on 127.0.0.1: never through a proxy.
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
DEMO_BAD=()		# verdicts that differed, crashes
DEMO_TMP=""
DEMO_REG_PID=""

demo_say() { printf '%s\n' "$*"; }
demo_die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}

# demo_quiet NAME WHAT CMD...: run CMD with its output in $DEMO_TMP/NAME.log;
# on failure show the log's tail and stop.
demo_quiet() {
	local log="$DEMO_TMP/$1.log" what=$2
	shift 2
	if ! "$@" >"$log" 2>&1; then
		tail -n 25 "$log" | sed 's/^/  | /' >&2
		demo_die "$what failed (last lines above)"
	fi
}

# demo_sudo WHY: set DEMO_SUDO, the prefix for a command that needs root
# (empty for root, sudo otherwise); stop when neither is there.
demo_sudo() {
	DEMO_SUDO=()
	[ "$(id -u)" = 0 ] && return 0
	command -v sudo >/dev/null 2>&1 ||
		demo_die "$1 needs root: run as root or install sudo"
	DEMO_SUDO=(sudo)
}

demo_deps() {
	demo_say "setup: packages (sh tests/deps.sh)"
	sh tests/deps.sh || demo_die "installing packages failed"
	if ! command -v jq >/dev/null 2>&1; then
		demo_sudo "installing jq"
		demo_quiet jq "apt-get install jq" "${DEMO_SUDO[@]}" env \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends jq
	fi
}

demo_build() {
	if [ -n "$DEMO_BIN" ]; then
		[ -x "$DEMO_BIN" ] || demo_die "'$DEMO_BIN' is not executable"
		return 0
	fi
	demo_say "setup: building (make)"
	demo_quiet make make make
	DEMO_BIN=$DEMO_ROOT/build/image-preflight
}

# True when every package the demo needs is unpacked in the cache.
demo_cache_full() {
	local a
	for a in amd64 arm64 armhf ppc64el s390x; do
		[ -f "$DEMO_CACHE/$a/busybox-static/.done" ] || return 1
	done
	for a in amd64 arm64; do
		[ -f "$DEMO_CACHE/$a/hello/.done" ] &&
			[ -f "$DEMO_CACHE/$a/libc6/.done" ] || return 1
	done
}

# Real binaries from Debian; dpkg --add-architecture and apt-get update
# need root, so a non-root user fetches with sudo and then owns the cache.
demo_fetch() {
	local -a run=()
	demo_cache_full ||
		demo_say "setup: fetching real busybox and hello binaries" \
			"for 5 architectures from Debian" \
			"(first run: about a minute)"
	if [ "$(id -u)" != 0 ] && ! demo_cache_full; then
		demo_sudo "adding architectures to dpkg"
		run=("${DEMO_SUDO[@]}" env "DEBCACHE=$DEMO_CACHE")
	fi
	demo_quiet debbin "fetching binaries (tests/lib/debbin.sh)" \
		"${run[@]}" sh tests/lib/debbin.sh --cache "$DEMO_CACHE"
	if [ ${#run[@]} -gt 0 ]; then
		"${DEMO_SUDO[@]}" chown -R "$(id -u):$(id -g)" "$DEMO_CACHE"
	fi
	demo_say "setup: binaries in $DEMO_CACHE:" "$(awk '
		$1 == "busybox" { b = b " " $2 }
		$1 == "hello" { h = h " " $2 }
		END { printf "busybox-static for%s, hello for%s", b, h }' \
		"$DEMO_TMP/debbin.log")"
}

# Stop the registry (registry.bash kills it by its recorded PID and
# removes its temporary directory); false if it still runs.
demo_stop_registry() {
	local s
	[ -n "${REG_ROOT:-}" ] || return 0
	registry_stop_all
	[ -n "$DEMO_REG_PID" ] || return 0
	s=$(awk '{ print $3 }' "/proc/$DEMO_REG_PID/stat" 2>/dev/null) || s=""
	if [ -n "$s" ] && [ "$s" != Z ]; then
		echo "demo: error: registry pid $DEMO_REG_PID still runs" >&2
		return 1
	fi
	demo_say "registry: stopped (pid $DEMO_REG_PID), storage removed"
}

demo_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	demo_stop_registry || rc=1
	[ -z "$DEMO_TMP" ] || rm -rf "$DEMO_TMP"
	exit "$rc"
}

demo_registry() {
	# shellcheck source=SCRIPTDIR/../lib/registry.bash
	source tests/lib/registry.bash
	export REG_LIFETIME=900
	registry_start demo plain || demo_die "the registry did not start"
	DEMO_REG_PID=$REG_DEMO_PID
	DEMO_REG=$REG_DEMO_ADDR
	demo_say "registry: docker-registry listening on" \
		"http://$DEMO_REG (127.0.0.1 only, pid $DEMO_REG_PID)"
	demo_say "registry: config $REG_DEMO_CONFIG, storage" \
		"$REG_DEMO_STORAGE (temporary)"
	demo_say "setup: pushing the demo images (python3 tests/demo/images.py)"
	demo_quiet push "pushing images" python3 tests/demo/images.py \
		"$DEMO_REG" --insecure --cache "$DEMO_CACHE"
	sed 's/^/  pushed /' "$DEMO_TMP/push.log" | grep ' sha256:'
}

demo_heading() {
	printf '\n== %s\n' "$1"
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@"
	printf '\n'
}

# The exit status a verdict must come with (CONTRACT.md).
demo_rc_of() {
	case $1 in
	PASS | WARN) echo 0 ;;
	FAIL) echo 1 ;;
	UNKNOWN) echo 2 ;;
	*) echo none ;;
	esac
}

# demo_expect WHAT WANT GOT RC ERRFILE: record a wrong verdict or a crash.
demo_expect() {
	local what=$1 want=$2 got=$3 rc=$4 err=$5
	if [ "$rc" -ge 3 ] || grep -qE 'Sanitizer|runtime error:' "$err"; then
		DEMO_BAD+=("$what: the tool failed (exit $rc)")
	elif [ "$got" != "$want" ]; then
		DEMO_BAD+=("$what: verdict ${got:-none}, expected $want")
	elif [ "$rc" != "$(demo_rc_of "$got")" ]; then
		DEMO_BAD+=("$what: verdict $got but exit $rc")
	else
		demo_say "-> $got, as expected (exit $rc)"
		return 0
	fi
	demo_say "-> UNEXPECTED: ${DEMO_BAD[-1]}"
}

# demo_check WANT ARGS...: run image-preflight ARGS, show the report and
# check the verdict on its first line.
demo_check() {
	local want=$1 rc=0 got
	shift
	local out="$DEMO_TMP/out" err="$DEMO_TMP/err"
	printf '$ image-preflight %s\n' "$*"
	"$DEMO_BIN" "$@" >"$out" 2>"$err" || rc=$?
	cat "$out"
	sed 's/^/  (stderr) /' "$err"
	got=$(awk 'NR == 1 { print $1 }' "$out")
	demo_expect "image-preflight $*" "$want" "$got" "$rc" "$err"
}

demo_host() {
	local rc=0 out="$DEMO_TMP/out" err="$DEMO_TMP/err"
	demo_heading "1/5  This node, as the checker sees it" \
		"The platform the container runtime asks registries for (OS," \
		"architecture, variant), the kernel and its memory page size."
	printf '$ image-preflight host\n'
	"$DEMO_BIN" host >"$out" 2>"$err" || rc=$?
	cat "$out"
	sed 's/^/  (stderr) /' "$err"
	if [ "$rc" != 0 ] || ! grep -q "linux/$DEMO_ARCH" "$out"; then
		DEMO_BAD+=("host: exit $rc, or not linux/$DEMO_ARCH")
		demo_say "-> UNEXPECTED: ${DEMO_BAD[-1]}"
	else
		demo_say "-> exit 0, linux/$DEMO_ARCH as expected"
	fi
}

demo_multi() {
	local want=FAIL
	case $DEMO_DEB in
	amd64 | arm64 | armhf | ppc64el | s390x) want=PASS ;;
	esac
	demo_heading "2/5  A multi-platform image, checked as this node" \
		"demo/busybox:multi is an index with one real busybox per" \
		"platform: the runtime picks the entry for this node." \
		"Expected: $want."
	demo_check "$want" check "$DEMO_REG/demo/busybox:multi"
}

demo_incident() {
	local want=FAIL
	[ "$DEMO_DEB" = amd64 ] && want=PASS
	demo_heading "3/5  The incident: a tag that is one linux/amd64 image" \
		"demo/coredns:v1.11.1 is not an index but a single amd64" \
		"manifest. containerd pulls it on any node without checking" \
		"the platform; on an arm64 node the pod then dies with" \
		"'exec format error'. The same tag, checked twice:" "" \
		"(a) as this node. Expected: $want."
	demo_check "$want" check "$DEMO_REG/demo/coredns:v1.11.1"
	printf '\n(b) as an arm64 node. Expected: FAIL, with the reasons.\n\n'
	demo_check FAIL check --platform linux/arm64 \
		"$DEMO_REG/demo/coredns:v1.11.1"
}

demo_mislabeled() {
	demo_heading "4/5  A mislabeled image, checked as this node" \
		"demo/busybox:arm64-mislabeled says linux/amd64 in its index" \
		"and its config, but its /bin/busybox is an arm64 program." \
		"Only reading the binary in the layer shows it. Expected: FAIL."
	demo_check FAIL check "$DEMO_REG/demo/busybox:arm64-mislabeled"
}

demo_json() {
	local rc=0 got out="$DEMO_TMP/json" err="$DEMO_TMP/err"
	local ref="$DEMO_REG/demo/coredns:v1.11.1"
	local filter='.images[] | {reference, verdict, findings}'
	demo_heading "5/5  The same check for scripts: a JSON report" \
		"-o json prints one document (schema 1); jq keeps the verdict" \
		"and the findings. Expected: FAIL."
	printf '$ image-preflight check -o json --platform linux/arm64 \\\n'
	printf '    %s | jq %s\n' "$ref" "'$filter'"
	"$DEMO_BIN" check -o json --platform linux/arm64 "$ref" >"$out" \
		2>"$err" || rc=$?
	sed 's/^/  (stderr) /' "$err"
	if ! jq "$filter" "$out"; then
		DEMO_BAD+=("image-preflight -o json: not valid JSON (exit $rc)")
		demo_say "-> UNEXPECTED: ${DEMO_BAD[-1]}"
		return 0
	fi
	got=$(jq -r '.images[0].verdict' "$out")
	demo_expect "image-preflight check -o json --platform linux/arm64" \
		FAIL "$got" "$rc" "$err"
}

demo_main() {
	DEMO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/preflight-demo.XXXXXX")
	trap demo_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	demo_deps
	demo_build
	demo_fetch
	local t_fetched=$SECONDS
	DEMO_DEB=$(dpkg --print-architecture)
	case $DEMO_DEB in
	armhf) DEMO_ARCH=arm ;;
	ppc64el) DEMO_ARCH=ppc64le ;;
	*) DEMO_ARCH=$DEMO_DEB ;;
	esac
	demo_registry
	demo_host
	demo_multi
	demo_incident
	demo_mislabeled
	demo_json
	printf '\n'
	demo_stop_registry
	if [ ${#DEMO_BAD[@]} -gt 0 ]; then
		printf 'demo: UNEXPECTED: %s\n' "${DEMO_BAD[@]}" >&2
		demo_say "demo: ${#DEMO_BAD[@]} check(s) did not go as expected"
		exit 1
	fi
	demo_say "demo: all verdicts as expected ($((SECONDS - DEMO_T0)) s" \
		"in all, $((SECONDS - t_fetched)) s after the downloads)"
}

demo_main
