#!/bin/sh
# Install what the project needs, build with warnings as errors, and run
# every test (unit, fuzz corpus replay and CLI, under ASan and UBSan); the
# last line counts them as "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1

sh tests/deps.sh || exit 1
log=$(mktemp "${TMPDIR:-/tmp}/preflight-check.XXXXXX") || exit 1
status=0
make -s WERROR=1 all || status=1
make -s check-style || status=1
# Run the suite; keep its output for the totals.
make -s check 2>&1 | tee "$log"
[ "$(sed -n 's/^make.*Error.*/x/p' "$log")" = "" ] || status=1
passed=0
failed=0
for line in $(sed -n 's/^\(unit\|replay\|cli\): \([0-9]*\) passed, \([0-9]*\) failed.*/\2:\3/p' "$log"); do
	passed=$((passed + ${line%%:*}))
	failed=$((failed + ${line##*:}))
done
rm -f "$log"
[ "$failed" -eq 0 ] || status=1
[ "$passed" -gt 0 ] || status=1
echo "total: $passed passed, $failed failed"
exit "$status"
