#!/bin/bash
# The benchmark behind `make bench`: image-preflight against skopeo on
# images pushed to a docker-registry of its own on 127.0.0.1.
#
# Usage: bash tests/bench/run.sh PREFLIGHT_BINARY [REPORT]
#
# Starts the registry (tests/lib/registry.bash), builds and pushes the
# images (tests/bench/images.py, with real Debian binaries from
# tests/lib/debbin.sh's cache, $DEBCACHE or build/debcache), starts a
# second registry serving the same storage over TLS (the harness CA; Go's
# server offers HTTP/2 there by ALPN), runs tests/bench/bench.py through
# its counting and delaying proxies, prints the tables and writes them to
# REPORT (default build/bench-report.md).
# Everything it starts listens on 127.0.0.1 and is stopped at the end;
# the registry's storage (about 1.4 GiB, most of it the 1 GiB layer) is
# removed with it, and each pulled copy as soon as it was looked at.
#
# Knobs: BENCH_REPEAT (runs per measurement, default 3), BENCH_DELAYS
# (default "0,20": ms added per direction), BENCH_CASES (default
# "top,bottom,kubeadm,huge"), BENCH_PROTOCOLS (default "plain,tls":
# plain HTTP, TLS, or both).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${1:?usage: run.sh PREFLIGHT_BINARY [REPORT]}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
report=${2:-$top/build/bench-report.md}
cases=${BENCH_CASES:-top,bottom,kubeadm,huge}
protocols=${BENCH_PROTOCOLS:-plain,tls}
plain=0 tls=0
for p in ${protocols//,/ }; do
	case $p in
	plain) plain=1 ;;
	tls) tls=1 ;;
	*) echo "bench: unknown protocol '$p' in BENCH_PROTOCOLS (plain, tls)" >&2
		exit 3 ;;
	esac
done
[ "$plain$tls" != 00 ] ||
	{ echo "bench: BENCH_PROTOCOLS names no protocol" >&2; exit 3; }

for tool in skopeo readelf file tar /usr/bin/docker-registry; do
	command -v "$tool" >/dev/null ||
		{ echo "bench: '$tool' is missing (sh tests/deps.sh)" >&2; exit 3; }
done
[ -x "$bin" ] || { echo "bench: no binary '$bin'" >&2; exit 3; }

# no byte-code caches left in the tree
export PYTHONDONTWRITEBYTECODE=1
export DEBCACHE=${DEBCACHE:-$top/build/debcache}
sh "$top/tests/lib/debbin.sh" --no-dynamic >/dev/null

# shellcheck source=../lib/registry.bash
. "$top/tests/lib/registry.bash"
trap registry_stop_all EXIT
registry_start bench plain
work=$REG_ROOT/bench
mkdir -p "$work" "$(dirname "$report")"

echo "bench: building and pushing images to $REG_BENCH_ADDR" >&2
python3 "$here/images.py" "$REG_BENCH_ADDR" --cases "$cases" \
	--out "$work/cases.json"
# the images are pushed over plain HTTP; the TLS registry serves them
# from the same storage
regs=()
[ "$plain" = 0 ] ||
	regs+=(--registry "$REG_BENCH_ADDR" --registry-log "$REG_BENCH_LOG")
if [ "$tls" = 1 ]; then
	REG_STORAGE=$REG_BENCH_STORAGE registry_start benchtls tls
	regs+=(--tls-registry "$REG_BENCHTLS_ADDR"
		--tls-registry-log "$REG_BENCHTLS_LOG" --ca "$REG_BENCHTLS_CA")
fi
python3 "$here/bench.py" "${regs[@]}" \
	--cases "$work/cases.json" --preflight "$bin" --workdir "$work" \
	--report "$report" --repeat "${BENCH_REPEAT:-3}" \
	--delays "${BENCH_DELAYS:-0,20}"
