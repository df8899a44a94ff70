#!/bin/sh
# Run the unit tests and the CLI tests with every process of the binary
# under valgrind's memcheck (make valgrind), on a build without the
# sanitizers. An error, or a leak valgrind calls definite, makes the
# process exit 99, which fails its test; valgrind's own report goes to a
# log per process (kept under BUILD_DIR/valgrind/) so that stdout and
# stderr stay what the tests compare. The run fails on any report, and
# on any failing test but those known to fail under valgrind alone.
#
# Usage: sh tests/valgrind.sh BUILD_DIR [FILE.bats...]
set -u
build=$(cd "$1" && pwd) || exit 1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
logs=$build/valgrind
rm -rf "$logs"
mkdir -p "$logs" || exit 1
vg="valgrind -q --error-exitcode=99 --leak-check=full"
vg="$vg --errors-for-leak-kinds=definite --show-leak-kinds=definite"

# Tests that fail under valgrind for reasons of its own, with no report:
# test_cpuid_matches_cpuinfo: valgrind's emulated CPU has no AVX-512, so
#   CPUID gives a lower x86-64 level than the kernel's /proc/cpuinfo;
# test_auth_table: under valgrind posix_spawnp cannot tell the parent
#   that the program was not found, so a missing credential helper
#   shows as exit status 127 instead of "not found on PATH".
known="test_cpuid_matches_cpuinfo test_auth_table"

# Each command line given runs under valgrind, its log named by prefix.
wrap() {
	printf '#!/bin/sh\nexec %s --log-file=%s/%s.%%p.log %s "$@"\n' \
		"$vg" "$logs" "$1" "$2" >"$3" && chmod +x "$3"
}

units=""
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	wrap unit "$t" "$logs/$(basename "$t").sh"
	units="$units $logs/$(basename "$t").sh"
done
# shellcheck disable=SC2086 # a list of paths without blanks
sh "$top/tests/run-unit.sh" $units >"$logs/unit.out" 2>&1
grep -e '^unit:' "$logs/unit.out"
failing=$(sed -n 's/^\[  FAILED  \] \(test_[a-z0-9_]*\)$/\1/p' \
	"$logs/unit.out" | sort -u)

# The CLI tests run this wrapper as the binary; it sits next to the real
# one so that the tests that install from its directory find the build.
wrapper=$build/image-preflight.valgrind
wrap cli "$build/image-preflight" "$wrapper"
PREFLIGHT=$wrapper sh "$top/tests/run-cli.sh" "$@" >"$logs/cli.out" 2>&1
grep -e '^not ok' -e '^cli:' "$logs/cli.out"
failing="$failing
$(sed -n 's/^not ok [0-9]* \(.*\)/\1/p' "$logs/cli.out")"

unknown=0
printf '%s\n' "$failing" | {
	while IFS= read -r name; do
		[ -n "$name" ] || continue
		case " $known " in
		*" $name "*) echo "valgrind: known to fail under valgrind: $name" ;;
		*) echo "valgrind: failed: $name"; unknown=$((unknown + 1)) ;;
		esac
	done
	[ "$unknown" -eq 0 ]
}
tests_rc=$?

# A log with a "==PID==" line holds a report; print each. Lines of
# "--PID--" are valgrind's own warnings (it does not know openat2, so
# the credential files are read through the fallback for kernels before
# 5.6).
reports=0
for f in "$logs"/*.log; do
	grep -q '^==[0-9]*==' "$f" || continue
	reports=$((reports + 1))
	echo "--- $f" >&2
	cat "$f" >&2
done
echo "valgrind: $(find "$logs" -name '*.log' | wc -l) processes," \
	"$reports with a report"
[ "$reports" -eq 0 ] && [ "$tests_rc" -eq 0 ]
