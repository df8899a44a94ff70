#!/bin/sh
# Run libFuzzer targets one after the other (make fuzz, make fuzz-long),
# each from its seeds in tests/fuzz/corpus/NAME/ with the options given
# (-max_total_time=S or -runs=N), and fail on the first crash, leak,
# timeout or sanitizer report. One line per target: inputs run, seconds,
# coverage; the crash file when there is one. New inputs are kept under
# WORK_DIR/NAME, not in the repository; copy an interesting one into the
# corpus by hand.
#
# Usage: sh tests/fuzz/run.sh BIN_DIR WORK_DIR LIBFUZZER_OPTION... -- NAME...
set -u
bin=$1
work=$2
shift 2
opts=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	opts="$opts $1"
	shift
done
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED_FIXTURES:-$top/../shared/fixtures}
mkdir -p "$work" || exit 1

# The largest input worth trying: a few tar members of layers, an ELF
# header with its program headers, notes and sections; a line.
max_len() {
	case $1 in
	imagefs) echo 65536 ;;
	elf | elfparts) echo 16384 ;;
	shebang | reference | challenge) echo 1024 ;;
	*) echo 8192 ;;
	esac
}

passed=0
failed=0
for name in "$@"; do
	seeds="$top/tests/fuzz/corpus/$name"
	case $name in
	document | config) [ -d "$shared" ] && seeds="$seeds $shared" ;;
	esac
	mkdir -p "$work/$name"
	log="$work/$name.log"
	start=$(date +%s)
	# shellcheck disable=SC2086 # option lists, split on purpose
	"$bin/fuzz_$name" $opts -max_len="$(max_len "$name")" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/crash-$name-" \
		"$work/$name" $seeds >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $name: ${runs:-?} inputs in $secs s, coverage ${cov:-?}"
		passed=$((passed + 1))
	else
		tail -n 40 "$log" >&2
		echo "fuzz: $name: FAILED (exit $rc) after ${runs:-?} inputs;" \
			"input: $(ls "$work"/crash-"$name"-* 2>/dev/null |
				head -n 1); log: $log"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
