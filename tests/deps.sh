#!/bin/sh
# Install, with apt, every Debian package image-preflight needs to build and
# test; a no-op when all of them are already installed.
set -u

PKGS="build-essential pkg-config libcurl4-openssl-dev libjansson-dev
libarchive-dev libssl-dev libcmocka-dev libzstd-dev zlib1g-dev zstd bats libyaml-dev
docker-registry apache2-utils openssl python3 ca-certificates curl jq
clang-format
dpkg-dev debhelper fakeroot lintian bash-completion zsh mandoc groff-base
man-db rpm rpmlint
cloud-init python3-yaml skopeo file"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: error: need root or sudo to install:$missing" >&2
	exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/deps.XXXXXX") || exit 1
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -q >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "deps: error: apt-get update failed (log above)" >&2
	rm -f "$log"
	exit 1
fi
# The docker-registry package would start Debian's own registry service
# on port 5000; the tests and the demo run their own instances, so keep
# the package's service from starting during this install (policy-rc.d,
# only when none is in place, removed again right after).
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null &&
		$SUDO chmod 755 "$policy"
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1
rc=$?
[ -n "$policy" ] && $SUDO rm -f "$policy"
if [ "$rc" -ne 0 ]; then
	tail -n 20 "$log" >&2
	echo "deps: error: apt-get install failed for:$missing" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
echo "deps: installed:$missing" >&2
exit 0
