#!/usr/bin/env bats
# What the node's runtime sees (--root): containerd hosts.toml and CRI-O
# registries.conf mirrors (a mirror serving a stale single-arch copy is
# the issue's "done when"), the node's credentials (never printed), the
# detected runtime and its rules, kubeadm's images, offline sources.
#
# Run: PREFLIGHT=/abs/path/image-preflight bats tests/cli/50-node.bats
# Every node tree is built under the test's temp dir; the real /etc,
# /root and /run are never read (every check runs with --root).
#
# Tests marked "PRODUCT BUG" assert the correct behaviour that the
# product does not have yet; they fail until it is fixed.

# shellcheck disable=SC2154 # REG_* variables come from registry.bash

if [ -z "${PREFLIGHT:-}" ]; then
	PREFLIGHT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/image-preflight
	export PREFLIGHT
fi

load ../lib/registry
load common

# PATH without any kubeadm (and without the test's helper directory).
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

setup_file() {
	[ -x "$PREFLIGHT" ] || {
		echo "PREFLIGHT=$PREFLIGHT is not an executable" >&2
		return 1
	}
	registry_start up plain
	registry_start mirror plain
	registry_start auth htpasswd
	export UP=$REG_UP_ADDR MIR=$REG_MIRROR_ADDR AUTHREG=$REG_AUTH_ADDR
	local lib="$BATS_TEST_DIRNAME/../lib" log="$BATS_FILE_TMPDIR/push.log"
	{
		python3 "$lib/push-fixtures.py" "$UP" --insecure \
			--only 'fx/multi-oci:1' --only 'fx/arm-v7-fallback:1' \
			--only 'fx/single-amd64:1' &&
			# The mirror's stale copy: the same repository:tag
			# holds one linux/amd64 manifest.
			python3 "$lib/nodeimages.py" push-as "$MIR" \
				fx/single-amd64:1 fx/multi-oci:1 --insecure &&
			python3 "$lib/push-fixtures.py" "$AUTHREG" --insecure \
				--user "$REG_AUTH_USER:$REG_AUTH_PASS" \
				--only 'fx/multi-oci:1' &&
			python3 "$lib/nodeimages.py" small "$UP" --insecure \
				k8s/kube-apiserver:v1.30.2 \
				k8s/kube-controller-manager:v1.30.2 \
				k8s/kube-scheduler:v1.30.2 \
				k8s/kube-proxy:v1.30.2 k8s/coredns:v1.11.1 \
				k8s/pause:3.9 k8s/etcd:3.5.12-0 \
				k8sbad/kube-apiserver:v1.30.2 \
				k8sbad/kube-controller-manager:v1.30.2 \
				k8sbad/kube-scheduler:v1.30.2 \
				k8sbad/coredns:v1.11.1 \
				k8sbad/pause:3.9 k8sbad/etcd:3.5.12-0 \
				k8s/kube-apiserver:v1.29.6 \
				k8s/kube-controller-manager:v1.29.6 \
				k8s/kube-scheduler:v1.29.6 \
				k8s/kube-proxy:v1.29.6 k8s/etcd:3.5.10-0 \
				sandbox/pause:3.8 &&
			python3 "$lib/nodeimages.py" small "$UP" --insecure \
				--single k8sbad/kube-proxy:v1.30.2 &&
			python3 "$lib/nodeimages.py" offline fx/single-amd64:1 \
				"$BATS_FILE_TMPDIR/single" &&
			python3 "$lib/nodeimages.py" offline fx/multi-oci:1 \
				"$BATS_FILE_TMPDIR/multi"
	} >"$log" 2>&1 || {
		cat "$log" >&2
		echo "setup_file: pushing or building the images failed" >&2
		return 1
	}
}

teardown_file() {
	registry_stop_all
}

setup() {
	# Credentials and auth files from the environment would be used.
	unset IMAGE_PREFLIGHT_CREDS DOCKER_CONFIG REGISTRY_AUTH_FILE \
		XDG_RUNTIME_DIR
	export PATH="$CLEAN_PATH"
	UPREF="$UP/fx/multi-oci:1"
	R="$BATS_TEST_TMPDIR/node"
	mkdir -p "$R"
}

# -- helpers ------------------------------------------------------------

# put PATH-UNDER-ROOT: stdin becomes that file of the node tree $R.
put() {
	mkdir -p "$(dirname "$R$1")"
	cat >"$R$1"
}

# run_json STATUS ARGS...: check as the node $R with a JSON report.
run_json() {
	local want=$1
	shift
	pf check -o json --timeout 60 --root "$R" "$@"
	expect_status "$want" || return 1
	jq -e '.schema == 1' "$PF_OUT" >/dev/null || {
		echo "stdout is not a schema 1 JSON report" >&2
		pf_dump
		return 1
	}
}

# containerd_root: config.toml (version 2) with config_path, as a node
# that uses hosts.toml files (containerd docs/hosts.md).
containerd_root() {
	put /etc/containerd/config.toml <<'EOF'
version = 2

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
EOF
}

# hosts_toml MIRROR CAPABILITIES: certs.d/<upstream>/hosts.toml with one
# mirror host before the upstream server.
hosts_toml() {
	put "/etc/containerd/certs.d/$UP/hosts.toml" <<EOF
server = "http://$UP"

[host."http://$1"]
  capabilities = [$2]
EOF
}

# crio_root [REGISTRY-LINES]: crio.conf (so cri-o is detected) and a
# registries.conf whose [[registry]] for the upstream has the mirror.
crio_root() {
	put /etc/crio/crio.conf <<'EOF'
[crio.image]
EOF
	put /etc/containers/registries.conf <<EOF
[[registry]]
prefix = "$UP"
location = "$UP"
${1:-}

[[registry.mirror]]
location = "$MIR"
insecure = true
EOF
}

# mirror_hits PATH-RE: requests for /v2/fx/multi-oci/PATH-RE in the
# mirror's access log so far (containerd adds ?ns=UPSTREAM).
mirror_hits() {
	grep -E -c "\"(HEAD|GET) /v2/fx/multi-oci/$1[? ]" "$REG_MIRROR_LOG" ||
		true
}

expect_source() {
	expect_jq "$UPREF" linux/arm64 .source.host "$1" &&
		expect_jq "$UPREF" linux/arm64 .source.mirror "$2"
}

# -- 1. containerd hosts.toml mirrors -------------------------------------

@test "no node configuration: the upstream's index, PASS on arm64" {
	run_json 0 --platform linux/arm64 "$UPREF"
	expect_verdict "$UPREF" linux/arm64 PASS
	expect_source "$UP" false
}

@test "hosts.toml mirror with a stale single amd64 copy: FAIL naming the mirror" {
	local tags
	containerd_root
	hosts_toml "$MIR" '"pull", "resolve"'
	tags=$(mirror_hits 'manifests/1')
	run_json 1 --platform linux/arm64 "$UPREF"
	[ "$(mirror_hits 'manifests/1')" -gt "$tags" ] || {
		echo "the mirror's access log has no request for the tag" >&2
		return 1
	}
	expect_verdict "$UPREF" linux/arm64 FAIL
	expect_findings "$UPREF" linux/arm64 \
		fail:single-manifest-wrong-platform \
		fail:binary-wrong-architecture
	expect_source "$MIR" true
	expect_jq "$UPREF" linux/arm64 .top.kind manifest
	rules_are containerd
	# The same in text: the report names the mirror.
	pf check --timeout 60 --root "$R" --platform linux/arm64 "$UPREF"
	expect_status 1
	expect_grep "text report" "$MIR" "$PF_OUT"
	expect_grep "text report" "mirror" "$PF_OUT"
}

@test "hosts.toml mirror on arm64 passes on amd64 (the stale copy is amd64)" {
	containerd_root
	hosts_toml "$MIR" '"pull", "resolve"'
	pf check -o json --timeout 60 --root "$R" --platform linux/amd64 \
		"$UPREF"
	expect_status 0
	expect_verdict "$UPREF" linux/amd64 PASS
	expect_jq "$UPREF" linux/amd64 .source.host "$MIR"
	expect_jq "$UPREF" linux/amd64 .top.kind manifest
}

@test "hosts.toml mirror down: falls through to the upstream, PASS" {
	local port
	port=$(closed_port)
	containerd_root
	hosts_toml "127.0.0.1:$port" '"pull", "resolve"'
	run_json 0 --platform linux/arm64 "$UPREF"
	expect_verdict "$UPREF" linux/arm64 PASS
	expect_source "$UP" false
	expect_jq "$UPREF" linux/arm64 .top.kind index
}

@test "hosts.toml mirror with only pull: the tag is resolved on the upstream" {
	local tags digests
	containerd_root
	hosts_toml "$MIR" '"pull"'
	tags=$(mirror_hits 'manifests/1')
	digests=$(mirror_hits 'manifests/sha256:[0-9a-f]+')
	run_json 0 --platform linux/arm64 "$UPREF"
	expect_verdict "$UPREF" linux/arm64 PASS
	expect_jq "$UPREF" linux/arm64 .top.kind index
	expect_jq "$UPREF" linux/arm64 .source.host "$UP"
	# The tag never asked of the mirror; the digest asked there first
	# (a pull host), not found, then taken from the upstream.
	[ "$(mirror_hits 'manifests/1')" = "$tags" ] || {
		echo "the tag was resolved on the pull-only mirror" >&2
		return 1
	}
	[ "$(mirror_hits 'manifests/sha256:[0-9a-f]+')" -gt "$digests" ] || {
		echo "the index digest was not asked of the pull mirror" >&2
		return 1
	}
}

# -- 2. CRI-O registries.conf ---------------------------------------------

@test "registries.conf mirror with a stale single amd64 copy: FAIL naming the mirror" {
	crio_root
	run_json 1 --platform linux/arm64 "$UPREF"
	expect_verdict "$UPREF" linux/arm64 FAIL
	expect_finding "$UPREF" linux/arm64 fail:single-manifest-wrong-platform
	expect_source "$MIR" true
	rules_are cri-o
	pf check --timeout 60 --root "$R" --platform linux/arm64 "$UPREF"
	expect_status 1
	expect_grep "text report" "$MIR" "$PF_OUT"
}

@test "registries.conf blocked = true: FAIL registry-blocked" {
	crio_root 'blocked = true'
	run_json 1 --platform linux/arm64 "$UPREF"
	expect_verdict "$UPREF" linux/arm64 FAIL
	expect_findings "$UPREF" linux/arm64 fail:registry-blocked
}

@test "registries.conf mirror-by-digest-only: a tag skips the mirror, PASS" {
	local tags
	crio_root 'mirror-by-digest-only = true'
	tags=$(mirror_hits 'manifests/1')
	run_json 0 --platform linux/arm64 "$UPREF"
	[ "$(mirror_hits 'manifests/1')" = "$tags" ] || {
		echo "the tag was asked of a digest-only mirror" >&2
		return 1
	}
	expect_verdict "$UPREF" linux/arm64 PASS
	expect_source "$UP" false
	expect_jq "$UPREF" linux/arm64 .top.kind index
}

# -- 3. credentials from the node -----------------------------------------

# auth_b64: base64 of user:password for the htpasswd registry.
auth_b64() {
	printf '%s:%s' "$REG_AUTH_USER" "$REG_AUTH_PASS" | base64 -w0
}

# creds_check STATUS VERDICT ARGS...: check the htpasswd registry's image
# as the node $R, verbose, in JSON and in text; the verdict and status,
# and neither the password nor its base64 anywhere in the output.
creds_check() {
	local want=$1 verdict=$2 ref="$AUTHREG/fx/multi-oci:1" fmt b64
	shift 2
	b64=$(auth_b64)
	for fmt in json text; do
		pf check -v -o "$fmt" --timeout 60 --root "$R" \
			--platform linux/amd64 "$@" "$ref"
		expect_status "$want" || return 1
		if [ "$fmt" = json ]; then
			expect_verdict "$ref" linux/amd64 "$verdict" || return 1
		fi
		expect_no_grep "password in $fmt output" "$REG_AUTH_PASS" \
			"$PF_OUT" || return 1
		expect_no_grep "password on stderr" "$REG_AUTH_PASS" \
			"$PF_ERR" || return 1
		expect_no_grep "base64 in $fmt output" "$b64" "$PF_OUT" ||
			return 1
		expect_no_grep "base64 on stderr" "$b64" "$PF_ERR" || return 1
	done
	cp "$PF_OUT" "$BATS_TEST_TMPDIR/text.out"
	pf check -v -o json --timeout 60 --root "$R" --platform linux/amd64 \
		"$@" "$ref"
}

@test "credentials: root's ~/.docker/config.json under --root, PASS" {
	mkdir -p "$R/root/.docker"
	registry_docker_config auth "$R/root/.docker/config.json"
	creds_check 0 PASS
}

@test "credentials: containers auth.json given with --authfile, PASS" {
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$AUTHREG" \
		"$(auth_b64)" >"$BATS_TEST_TMPDIR/auth.json"
	# --authfile names a file of this machine (as podman's and
	# --ca-file do). PRODUCT BUG: it is read under --root instead.
	creds_check 0 PASS --authfile "$BATS_TEST_TMPDIR/auth.json"
}

@test "credentials: --authfile naming a file that is not there: exit 3" {
	# PRODUCT BUG: the named file is looked up under --root and, when
	# absent, silently ignored (UNKNOWN registry-auth, exit 2).
	pf check -o json --timeout 60 --root "$R" --platform linux/amd64 \
		--authfile "$BATS_TEST_TMPDIR/none.json" \
		"$AUTHREG/fx/multi-oci:1"
	expect_status 3
	expect_grep "stderr" '^image-preflight: error: .*none\.json' "$PF_ERR"
}

@test "credentials: containers auth.json in /run/containers/0 under --root, PASS" {
	put /run/containers/0/auth.json <<EOF
{"auths": {"$AUTHREG": {"auth": "$(auth_b64)"}}}
EOF
	creds_check 0 PASS
}

@test "credentials: a credsStore helper on PATH, PASS" {
	local bin="$BATS_TEST_TMPDIR/bin"
	mkdir -p "$bin" "$R/root/.docker"
	# docker-credential-helpers protocol: "get", the server on stdin,
	# a JSON answer with Username and Secret on stdout.
	cat >"$bin/docker-credential-test" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r server
case \$server in
*$AUTHREG*) printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' \
	"\$server" "$REG_AUTH_USER" "$REG_AUTH_PASS" ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
EOF
	chmod 755 "$bin/docker-credential-test"
	echo '{"credsStore": "test"}' >"$R/root/.docker/config.json"
	PATH="$bin:$CLEAN_PATH" creds_check 0 PASS
}

@test "credentials: containerd config.toml registry.configs auth, PASS" {
	put /etc/containerd/config.toml <<EOF
version = 2

[plugins."io.containerd.grpc.v1.cri".registry.configs."$AUTHREG".auth]
  username = "$REG_AUTH_USER"
  password = "$REG_AUTH_PASS"
EOF
	creds_check 0 PASS
}

@test "credentials: none on the node, UNKNOWN registry-auth" {
	local ref="$AUTHREG/fx/multi-oci:1"
	creds_check 2 UNKNOWN
	expect_findings "$ref" linux/amd64 unknown:registry-auth
}

@test "credentials: a wrong password in config.json, UNKNOWN and not printed" {
	local ref="$AUTHREG/fx/multi-oci:1" wrong=wrongpass4fb1c9 b64
	b64=$(printf '%s:%s' "$REG_AUTH_USER" "$wrong" | base64 -w0)
	mkdir -p "$R/root/.docker"
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$AUTHREG" "$b64" \
		>"$R/root/.docker/config.json"
	pf check -v -o json --timeout 60 --root "$R" --platform linux/amd64 \
		"$ref"
	expect_status 2
	expect_findings "$ref" linux/amd64 unknown:registry-auth
	expect_no_grep "password" "$wrong|$b64" "$PF_OUT"
	expect_no_grep "password" "$wrong|$b64" "$PF_ERR"
}

# -- 4. runtime detection -------------------------------------------------

# rules_are RULES: the JSON report's "rules".
rules_are() {
	local got
	got=$(jq -r .rules "$PF_OUT")
	[ "$got" = "$1" ] && return 0
	echo "rules: expected [$1], got [$got]" >&2
	pf_dump
	return 1
}

# unix_socket PATH-UNDER-ROOT: a listening-capable socket file there.
unix_socket() {
	mkdir -p "$(dirname "$R$1")"
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$R$1"
}

@test "runtime: crio.conf => cri-o rules, the arm/v7 fallback FAILs on arm64" {
	local ref="$UP/fx/arm-v7-fallback:1"
	put /etc/crio/crio.conf <<<'[crio.image]'
	run_json 1 --platform linux/arm64 "$ref"
	rules_are cri-o
	expect_verdict "$ref" linux/arm64 FAIL
}

@test "runtime: config.toml => containerd rules, the arm/v7 fallback WARNs" {
	local ref="$UP/fx/arm-v7-fallback:1"
	put /etc/containerd/config.toml <<<'version = 2'
	run_json 0 --platform linux/arm64 "$ref"
	rules_are containerd
	expect_verdict "$ref" linux/arm64 WARN
	expect_jq "$ref" linux/arm64 .selected.platform.architecture arm
}

@test "runtime: containerd's socket => containerd; crio's socket => cri-o" {
	local ref="$UP/fx/arm-v7-fallback:1"
	unix_socket /run/containerd/containerd.sock
	run_json 0 --platform linux/arm64 "$ref"
	rules_are containerd
	rm -rf "$R/run"
	unix_socket /run/crio/crio.sock
	run_json 1 --platform linux/arm64 "$ref"
	rules_are cri-o
}

@test "runtime: crio.conf.d drop-in alone => cri-o" {
	local ref="$UP/fx/arm-v7-fallback:1"
	put /etc/crio/crio.conf.d/10-test.conf <<<'[crio.image]'
	run_json 1 --platform linux/arm64 "$ref"
	rules_are cri-o
}

@test "runtime: --runtime any overrides a detected containerd: FAIL" {
	local ref="$UP/fx/arm-v7-fallback:1"
	put /etc/containerd/config.toml <<<'version = 2'
	run_json 1 --runtime any --platform linux/arm64 "$ref"
	rules_are any
	expect_verdict "$ref" linux/arm64 FAIL
}

@test "runtime: --runtime containerd overrides a detected cri-o: WARN" {
	local ref="$UP/fx/arm-v7-fallback:1"
	put /etc/crio/crio.conf <<<'[crio.image]'
	run_json 0 --runtime containerd --platform linux/arm64 "$ref"
	rules_are containerd
	expect_verdict "$ref" linux/arm64 WARN
}

@test "runtime: nothing detected => any rules (auto), FAIL" {
	local ref="$UP/fx/arm-v7-fallback:1"
	run_json 1 --platform linux/arm64 "$ref"
	rules_are any
	expect_verdict "$ref" linux/arm64 FAIL
}

# -- 5. kubeadm -----------------------------------------------------------

# kubeadm_config REPOSITORY [VERSION]: /etc/kubeadm.yaml under $R.
kubeadm_config() {
	put /etc/kubeadm.yaml <<EOF
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: ${2:-v1.30.2}
imageRepository: $1
EOF
}

# kpf STATUS ARGS...: image-preflight kubeadm as the node $R, no kubeadm
# on PATH.
kpf() {
	local want=$1
	shift
	pf kubeadm --timeout 60 --root "$R" --config /etc/kubeadm.yaml "$@"
	expect_status "$want"
}

# refs_are REF...: the JSON report's references, in order.
refs_are() {
	local got want
	got=$(jq -r '.images[].reference' "$PF_OUT" | paste -sd' ')
	want="$*"
	[ "$got" = "$want" ] && return 0
	printf 'references:\n expected [%s]\n got      [%s]\n' "$want" \
		"$got" >&2
	return 1
}

K130="kube-apiserver:v1.30.2 kube-controller-manager:v1.30.2
kube-scheduler:v1.30.2 kube-proxy:v1.30.2 coredns:v1.11.1 pause:3.9
etcd:3.5.12-0"

# prefixed PREFIX NAME...: PREFIX/NAME for each.
prefixed() {
	local p=$1 n
	shift
	for n in "$@"; do
		printf '%s/%s\n' "$p" "$n"
	done
}

@test "kubeadm: every image of v1.30.2 from the configuration, all PASS" {
	[ -z "$(command -v kubeadm)" ] || skip "kubeadm is on PATH"
	kubeadm_config "$UP/k8s"
	# shellcheck disable=SC2086
	mapfile -t want < <(prefixed "$UP/k8s" $K130)
	kpf 0 -o json --platform linux/arm64
	refs_are "${want[@]}"
	[ "$(jq -r '[.images[].verdict] | unique | join(",")' "$PF_OUT")" = \
		PASS ] || {
		pf_dump
		return 1
	}
	kpf 0 -o kubeadm --platform linux/arm64
	expect_no_grep "-o kubeadm" '\[(ERROR|WARNING)' "$PF_OUT"
	expect_grep "summary" \
		'^\[preflight\] 7 images checked: 0 errors, 0 warnings$' "$PF_OUT"
}

@test "kubeadm: a single amd64 kube-proxy on arm64: [ERROR ImagePreflight], exit 1" {
	local bad="$UP/k8sbad/kube-proxy:v1.30.2"
	kubeadm_config "$UP/k8sbad"
	kpf 1 -o kubeadm --platform linux/arm64
	# kubeadm's own layout: a tab, then [ERROR NAME]: message.
	expect_grep "-o kubeadm" \
		"^	\[ERROR ImagePreflight\]: $bad: FAIL: the tag is a single linux/amd64 image" \
		"$PF_OUT"
	# Only that image is an error.
	[ "$(grep -c '\[ERROR' "$PF_OUT")" = 1 ] || {
		pf_dump
		return 1
	}
	expect_grep "summary" \
		'^\[preflight\] 7 images checked: 1 error, 0 warnings$' "$PF_OUT"
	kpf 1 -o json --platform linux/arm64
	expect_verdict "$bad" linux/arm64 FAIL
	expect_finding "$bad" linux/arm64 fail:single-manifest-wrong-platform
	kpf 0 -o kubeadm --platform linux/amd64
}

@test "kubeadm: --kubernetes-version v1.29.6 lists that release's tags" {
	kubeadm_config "$UP/k8s"
	kpf 0 -o json --platform linux/arm64 --kubernetes-version v1.29.6
	mapfile -t want < <(prefixed "$UP/k8s" kube-apiserver:v1.29.6 \
		kube-controller-manager:v1.29.6 kube-scheduler:v1.29.6 \
		kube-proxy:v1.29.6 coredns:v1.11.1 pause:3.9 etcd:3.5.10-0)
	refs_are "${want[@]}"
}

@test "kubeadm: kubernetesVersion v1.29.6 in the configuration" {
	kubeadm_config "$UP/k8s" v1.29.6
	kpf 0 -o json --platform linux/arm64
	mapfile -t want < <(prefixed "$UP/k8s" kube-apiserver:v1.29.6 \
		kube-controller-manager:v1.29.6 kube-scheduler:v1.29.6 \
		kube-proxy:v1.29.6 coredns:v1.11.1 pause:3.9 etcd:3.5.10-0)
	refs_are "${want[@]}"
}

@test "kubeadm: containerd's sandbox_image is checked too" {
	kubeadm_config "$UP/k8s"
	put /etc/containerd/config.toml <<EOF
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$UP/sandbox/pause:3.8"
EOF
	# shellcheck disable=SC2086
	mapfile -t want < <(prefixed "$UP/k8s" $K130)
	kpf 0 -o json --platform linux/arm64
	refs_are "${want[@]}" "$UP/sandbox/pause:3.8"
	expect_verdict "$UP/sandbox/pause:3.8" linux/arm64 PASS
}

@test "kubeadm: CRI-O's pause_image is checked too" {
	kubeadm_config "$UP/k8s"
	put /etc/crio/crio.conf <<EOF
[crio.image]
pause_image = "$UP/sandbox/pause:3.8"
EOF
	# shellcheck disable=SC2086
	mapfile -t want < <(prefixed "$UP/k8s" $K130)
	kpf 0 -o json --platform linux/arm64
	refs_are "${want[@]}" "$UP/sandbox/pause:3.8"
}

# -- 6. offline sources ---------------------------------------------------

# verdict_findings REF PLATFORM: "VERDICT sev:code ..." (sorted, info
# included) of the last JSON report.
verdict_findings() {
	on_image "$1" "$2" '.verdict + " " + ([.findings[] |
		.severity + ":" + .code] | sort | join(" "))'
}

# same_as_registry FIXTURE DIR KINDS...: each offline KIND (oci,
# oci-archive, docker-archive) of DIR gives the registry's verdict,
# findings and exit status on amd64 and arm64.
same_as_registry() {
	local fixture=$1 dir=$2 plat kind src want got st
	shift 2
	for plat in linux/amd64 linux/arm64; do
		pf check -o json --timeout 60 --root "$R" --platform "$plat" \
			"$UP/$fixture"
		st=$PF_STATUS
		case $st in 0 | 1) ;; *) pf_dump; return 1 ;; esac
		want=$(verdict_findings "$UP/$fixture" "$plat") || return 1
		for kind in "$@"; do
			case $kind in
			oci) src="oci:$dir/layout" ;;
			oci-archive) src="oci-archive:$dir/oci.tar" ;;
			docker-archive) src="docker-archive:$dir/docker.tar" ;;
			esac
			pf check -o json --timeout 60 --root "$R" \
				--platform "$plat" "$src"
			expect_status "$st" || return 1
			got=$(verdict_findings "$src" "$plat") || return 1
			[ "$got" = "$want" ] || {
				printf '%s on %s: registry [%s], %s\n' \
					"$src" "$plat" "$want" \
					"offline [$got]" >&2
				return 1
			}
			expect_jq "$src" "$plat" .source.mirror false ||
				return 1
		done
	done
}

@test "offline: the single amd64 image as oci:, oci-archive:, docker-archive:" {
	same_as_registry fx/single-amd64:1 "$BATS_FILE_TMPDIR/single" \
		oci oci-archive docker-archive
	# And the verdicts themselves: PASS on amd64, FAIL on arm64.
	pf check -o json --timeout 60 --root "$R" --platform linux/arm64 \
		"oci:$BATS_FILE_TMPDIR/single/layout"
	expect_status 1
	expect_findings "oci:$BATS_FILE_TMPDIR/single/layout" linux/arm64 \
		fail:single-manifest-wrong-platform \
		fail:binary-wrong-architecture
	# nothing came over HTTP
	expect_jq "oci:$BATS_FILE_TMPDIR/single/layout" linux/arm64 \
		'.stats | has("http_version") and .http_version == null' true
}

@test "offline: the multi-arch index as oci: and oci-archive:" {
	same_as_registry fx/multi-oci:1 "$BATS_FILE_TMPDIR/multi" \
		oci oci-archive
}

@test "offline: a tag inside the layout (oci:DIR:REF) and a missing one" {
	local src="oci:$BATS_FILE_TMPDIR/multi/layout:1"
	pf check -o json --timeout 60 --root "$R" --platform linux/arm64 "$src"
	expect_status 0
	expect_verdict "$src" linux/arm64 PASS
	src="oci:$BATS_FILE_TMPDIR/multi/layout:nope"
	pf check -o json --timeout 60 --root "$R" --platform linux/arm64 "$src"
	# Like a registry's 404 MANIFEST_UNKNOWN: the image is not there.
	expect_status 1
	expect_findings "$src" linux/arm64 fail:image-not-found
}

@test "offline: inspect shows the same tree from an OCI layout as from the registry" {
	local src="oci:$BATS_FILE_TMPDIR/multi/layout" reg want got
	pf inspect -o json --timeout 60 --root "$R" --platform linux/arm64 \
		"$UP/fx/multi-oci:1"
	expect_status 0
	reg=$(jq -c '[.image.manifests[] | [.digest, .selected,
		.manifest.config_digest, .config.platform.architecture]]' "$PF_OUT")
	pf inspect -o json --timeout 60 --root "$R" --platform linux/arm64 "$src"
	expect_status 0
	got=$(jq -c '[.image.manifests[] | [.digest, .selected,
		.manifest.config_digest, .config.platform.architecture]]' "$PF_OUT")
	[ "$(jq -r '.image.complete' "$PF_OUT")" = true ]
	[ "$got" = "$reg" ] || { echo "registry $reg, layout $got" >&2; return 1; }
	[ "$(jq -r '.image.manifests | length' "$PF_OUT")" = 6 ]
}

# -- 7. containerd's content store ----------------------------------------

# content_store_root: a containerd node ($R) whose content store holds
# every blob of fx/multi-oci:1 (the OCI layout's blobs, by digest).
content_store_root() {
	local store="$R/var/lib/containerd/io.containerd.content.v1.content"
	mkdir -p "$R/etc/containerd" "$store"
	printf 'version = 2\n' >"$R/etc/containerd/config.toml"
	cp -r "$BATS_FILE_TMPDIR/multi/layout/blobs" "$store/blobs"
}

@test "content store: a digest reference is checked with no registry at all" {
	local digest ref
	content_store_root
	digest=$(jq -r '.manifests[0].digest' \
		"$BATS_FILE_TMPDIR/multi/layout/index.json")
	# Nothing listens there: only the node's content store can answer.
	ref="127.0.0.1:$(closed_port)/fx/multi-oci@$digest"
	pf check -o json --timeout 20 --root "$R" --platform linux/arm64 "$ref"
	expect_status 0
	expect_verdict "$ref" linux/arm64 PASS
	expect_jq "$ref" linux/arm64 .stats.requests 0
	expect_jq "$ref" linux/arm64 .source.host "containerd content store"
}

@test "content store: a tag is resolved by the registry, content read locally" {
	content_store_root
	pf check -o json --timeout 60 --root "$R" --platform linux/arm64 \
		"$UP/fx/multi-oci:1"
	expect_status 0
	expect_verdict "$UP/fx/multi-oci:1" linux/arm64 PASS
	# the HEAD that resolves the tag, and nothing else from the network
	expect_jq "$UP/fx/multi-oci:1" linux/arm64 .stats.layer_bytes_read 0
}

@test "content store: a tag with no registry reachable is UNKNOWN" {
	local ref
	content_store_root
	ref="127.0.0.1:$(closed_port)/fx/multi-oci:1"
	pf check -o json --timeout 20 --root "$R" --platform linux/arm64 "$ref"
	expect_status 2
	expect_verdict "$ref" linux/arm64 UNKNOWN
}
