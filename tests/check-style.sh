#!/bin/sh
# The layout rules nothing else checks: 80 columns (a long string literal
# may run over, so that a message can be grepped whole), tabs, no
# trailing blanks, no TODO markers, and a first-line comment per file.
cd "$(dirname "$0")/.." || exit 1
bad=0
files=$(ls preflight/*.c preflight/*.h platform/*.c platform/*.h \
	tests/unit/*.c tests/fuzz/*.c tests/fuzz/*.h 2>/dev/null)
for f in $files; do
	expand "$f" | awk -v f="$f" '
	length($0) > 80 && $0 !~ /"/ {
		printf "%s:%d: longer than 80 columns\n", f, NR; bad = 1 }
	/[ \t]+$/ { printf "%s:%d: trailing blank\n", f, NR; bad = 1 }
	/\<(TODO|FIXME|XXX)\>/ { printf "%s:%d: marker\n", f, NR; bad = 1 }
	NR == 1 && $0 !~ /^\/\*/ {
		printf "%s:1: does not open with a comment\n", f; bad = 1 }
	END { exit bad }' || bad=1
done
if [ "$bad" -ne 0 ]; then
	echo "check-style: failed" >&2
	exit 1
fi
echo "check-style: $(echo "$files" | wc -w) files ok"
