#!/bin/sh
# Replay every fuzz corpus through its target, built without libFuzzer
# (make replay): tests/fuzz/corpus/NAME/, and for the targets that read
# image documents the shared fixtures next to the repository when they
# are there. One line per target, then "replay: N passed, N failed".
#
# Usage: sh tests/fuzz/replay.sh BUILD_DIR/fuzz NAME...
set -u
bin=$1
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED_FIXTURES:-$top/../shared/fixtures}
passed=0
failed=0
for name in "$@"; do
	set -- "$top/tests/fuzz/corpus/$name"
	case $name in
	document | config)
		[ -d "$shared" ] && set -- "$@" "$shared" ;;
	esac
	if "$bin/replay_$name" "$@"; then
		passed=$((passed + 1))
	else
		echo "replay: $name: FAILED" >&2
		failed=$((failed + 1))
	fi
done
echo "replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
