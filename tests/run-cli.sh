#!/bin/sh
# Run the CLI tests (tests/cli/*.bats, or the files given) with bats against
# the binary in $PREFLIGHT and end with one line: "cli: N passed, N failed".
#
# Usage: PREFLIGHT=/abs/path/image-preflight sh tests/run-cli.sh [FILE.bats...]
# Sanitizer reports make the binary exit 86 (ASan, LSan) or 87 (UBSan)
# with a stack on stderr; every test asserts the exact exit status, so a
# report fails the test that caused it.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

PREFLIGHT=${PREFLIGHT:-$top/build/image-preflight}
case $PREFLIGHT in
/*) ;;
*) PREFLIGHT=$(pwd)/$PREFLIGHT ;;
esac
if [ ! -x "$PREFLIGHT" ]; then
	echo "run-cli: error: no executable '$PREFLIGHT' (run make first)" >&2
	echo "cli: 0 passed, 1 failed"
	exit 1
fi
for tool in bats jq python3 curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "run-cli: error: '$tool' is missing (sh tests/deps.sh)" >&2
		echo "cli: 0 passed, 1 failed"
		exit 1
	fi
done
export PREFLIGHT

# Keep whatever the caller set, then add ours: a distinct exit status and
# a stack for every report, and no colour in text reports.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86:detect_leaks=1:abort_on_error=0:print_summary=1"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1:exitcode=87"
NO_COLOR=1
export ASAN_OPTIONS UBSAN_OPTIONS NO_COLOR

if [ $# -eq 0 ]; then
	set -- "$here"/cli/*.bats
fi

tap=$(mktemp "${TMPDIR:-/tmp}/run-cli.XXXXXX") || exit 1
trap 'rm -f "$tap" "$tap.rc"' EXIT
trap 'exit 130' INT TERM

echo "run-cli: $PREFLIGHT" >&2
{
	bats --tap "$@"
	echo $? >"$tap.rc"
} | tee "$tap"
bats_status=$(cat "$tap.rc" 2>/dev/null || echo 1)

# Count the TAP results; a plan larger than the results seen (bats
# stopped early) counts the missing ones as failed.
# shellcheck disable=SC2046 # three numbers, split on purpose
set -- $(awk '
	/^1\.\.[0-9]+$/ { plan += substr($0, 4) }
	/^ok / && /# skip/ { skipped++; next }
	/^ok / { passed++ }
	/^not ok / { failed++ }
	END {
		seen = passed + failed + skipped
		if (plan > seen) failed += plan - seen
		printf "%d %d %d\n", passed, failed, skipped
	}' "$tap")
passed=$1 failed=$2 skipped=$3
if [ "$bats_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
line="cli: $passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then
	line="$line, $skipped skipped"
fi
echo "$line"
[ "$failed" -eq 0 ]
