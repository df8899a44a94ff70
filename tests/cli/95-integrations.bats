#!/usr/bin/env bats
# The integrations under packaging/: the kubeadm wrapper (with a fake
# kubeadm that logs its arguments, and the real checker against the test
# registry), its systemd unit, the cloud-config, the node-problem-detector
# plugin, the DaemonSet and Job, and the checker's own image, built by
# packaging/image/build.py, pushed, and checked by itself on every
# platform its index offers.
#
# Run: PREFLIGHT=/abs/path/image-preflight bats tests/cli/95-integrations.bats

# shellcheck disable=SC2154 # REG_* variables come from registry.bash

if [ -z "${PREFLIGHT:-}" ]; then
	PREFLIGHT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/image-preflight
	export PREFLIGHT
fi

load ../lib/registry
load common

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
PKG=$TOP/packaging
WRAPPER=$PKG/kubeadm/kubeadm-preflight
NPD=$PKG/node-problem-detector/image-preflight-npd
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

setup_file() {
	[ -x "$PREFLIGHT" ] || {
		echo "PREFLIGHT=$PREFLIGHT is not an executable" >&2
		return 1
	}
	registry_start up plain
	export UP=$REG_UP_ADDR
	local lib="$BATS_TEST_DIRNAME/../lib" log="$BATS_FILE_TMPDIR/push.log"
	local names="kube-apiserver:v1.30.2 kube-controller-manager:v1.30.2
		kube-scheduler:v1.30.2 kube-proxy:v1.30.2 coredns:v1.11.1
		pause:3.9 etcd:3.5.12-0" n ok=() bad=() cp=()
	for n in $names; do
		ok+=("k8s/$n")
		[ "${n%%:*}" = kube-proxy ] || bad+=("k8sbad/$n")
		[ "${n%%:*}" = kube-apiserver ] || cp+=("k8scp/$n")
	done
	for n in kube-apiserver:v1.29.6 kube-controller-manager:v1.29.6 \
		kube-scheduler:v1.29.6 kube-proxy:v1.29.6 etcd:3.5.10-0; do
		ok+=("k8s/$n")
	done
	{
		python3 "$lib/nodeimages.py" small "$UP" --insecure \
			"${ok[@]}" "${bad[@]}" "${cp[@]}" &&
			python3 "$lib/nodeimages.py" small "$UP" --insecure \
				--single k8sbad/kube-proxy:v1.30.2 \
				k8scp/kube-apiserver:v1.30.2
	} >"$log" 2>&1 || {
		cat "$log" >&2
		echo "setup_file: pushing the images failed" >&2
		return 1
	}
}

teardown_file() {
	registry_stop_all
}

setup() {
	unset IMAGE_PREFLIGHT_CREDS DOCKER_CONFIG REGISTRY_AUTH_FILE \
		XDG_RUNTIME_DIR IMAGE_PREFLIGHT_ON_UNKNOWN \
		IMAGE_PREFLIGHT_CLUSTER_CONFIG IMAGE_PREFLIGHT_REPORT
	R="$BATS_TEST_TMPDIR/node"
	BIN="$BATS_TEST_TMPDIR/bin"
	KLOG="$BATS_TEST_TMPDIR/kubeadm.log"
	mkdir -p "$R/etc" "$BIN"
	fake_kubeadm
	export PATH="$BIN:$CLEAN_PATH" IMAGE_PREFLIGHT=$PREFLIGHT KLOG
}

# -- helpers ------------------------------------------------------------

# closed_addr: 127.0.0.1:PORT where nothing listens.
closed_addr() {
	printf '127.0.0.1:%s' "$(closed_port)"
}

# fake_kubeadm: $BIN/kubeadm logs its arguments to $KLOG and exits 7;
# `kubeadm config images list` prints $FAKE_IMAGES (kubeadm's JSON).
fake_kubeadm() {
	cat >"$BIN/kubeadm" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$KLOG"
if [ "$1 $2 $3" = "config images list" ]; then
	printf '{"kind": "Images", "images": [%s]}\n' "$FAKE_IMAGES"
	exit 0
fi
exit 7
EOF
	chmod 755 "$BIN/kubeadm"
}

# cluster_config REPOSITORY [VERSION]: a ClusterConfiguration at FILE.
cluster_config() {
	cat >"$3" <<EOF
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: ${2:-v1.30.2}
imageRepository: $1
EOF
}

# wrap STATUS ARGS...: kubeadm-preflight ARGS as an arm64 node $R (the
# checker reads the configuration under $R, no kubeadm asked).
wrap() {
	local want=$1
	shift
	IMAGE_PREFLIGHT_ARGS="--root $R --platform linux/arm64 --timeout 60" \
		run_cmd "$WRAPPER" "$@"
	expect_status "$want"
}

# run_cmd CMD ARGS...: like pf, for any command.
run_cmd() {
	PF_OUT="$BATS_TEST_TMPDIR/cmd.out"
	PF_ERR="$BATS_TEST_TMPDIR/cmd.err"
	PF_CMD=$(printf '%q ' "$@")
	PF_STATUS=0
	"$@" >"$PF_OUT" 2>"$PF_ERR" </dev/null || PF_STATUS=$?
}

# kubeadm_ran ARGS: the fake kubeadm ran once more with exactly ARGS
# (its last line), or never when ARGS is "never".
kubeadm_ran() {
	local got
	if [ "$1" = never ]; then
		[ ! -s "$KLOG" ] && return 0
		echo "kubeadm ran: $(cat "$KLOG")" >&2
		pf_dump
		return 1
	fi
	got=$(grep -v '^config images list' "$KLOG" 2>/dev/null | tail -n 1)
	[ "$got" = "$1" ] && return 0
	printf 'kubeadm arguments:\n expected [%s]\n got      [%s]\n' "$1" \
		"$got" >&2
	pf_dump
	return 1
}

# -- 1. kubeadm wrapper ---------------------------------------------------

@test "kubeadm-preflight init: every image PASSes, kubeadm runs with the same arguments and its status" {
	cluster_config "$UP/k8s" v1.30.2 "$R/etc/kubeadm.yaml"
	wrap 7 init --config /etc/kubeadm.yaml --skip-token-print
	kubeadm_ran "init --config /etc/kubeadm.yaml --skip-token-print"
	expect_grep "summary" \
		'^\[preflight\] 7 images checked: 0 errors, 0 warnings$' "$PF_OUT"
	expect_no_grep "stdout" 'ERROR|WARNING' "$PF_OUT"
}

@test "kubeadm-preflight init: a single amd64 kube-proxy on arm64 stops before kubeadm, exit 1" {
	local bad="$UP/k8sbad/kube-proxy:v1.30.2"
	cluster_config "$UP/k8sbad" v1.30.2 "$R/etc/kubeadm.yaml"
	wrap 1 init --config=/etc/kubeadm.yaml
	kubeadm_ran never
	expect_grep "kubeadm layout" \
		'^error execution phase preflight: \[preflight\] Some fatal errors occurred:$' \
		"$PF_OUT"
	expect_grep "the failing image" \
		"^	\[ERROR ImagePreflight\]: $bad: FAIL: the tag is a single linux/amd64 image" \
		"$PF_OUT"
	expect_grep "the way out" 'ignore-preflight-errors=ImagePreflight' \
		"$PF_OUT"
	[ "$(grep -c 'ERROR ImagePreflight' "$PF_OUT")" = 1 ] || {
		pf_dump
		return 1
	}
}

@test "kubeadm-preflight init --ignore-preflight-errors=imagepreflight: a WARNING, kubeadm runs" {
	cluster_config "$UP/k8sbad" v1.30.2 "$R/etc/kubeadm.yaml"
	wrap 7 init --config /etc/kubeadm.yaml \
		--ignore-preflight-errors Swap,ImagePreflight
	kubeadm_ran "init --config /etc/kubeadm.yaml --ignore-preflight-errors Swap,ImagePreflight"
	expect_grep "downgraded" \
		"^	\[WARNING ImagePreflight\]: $UP/k8sbad/kube-proxy:v1.30.2: FAIL" \
		"$PF_OUT"
	expect_no_grep "no fatal error" 'fatal errors' "$PF_OUT"
}

@test "kubeadm-preflight: a registry that is down is UNKNOWN: continues by default, stops with IMAGE_PREFLIGHT_ON_UNKNOWN=stop" {
	cluster_config "$(closed_addr)/k8s" v1.30.2 "$R/etc/kubeadm.yaml"
	wrap 7 init --config /etc/kubeadm.yaml
	kubeadm_ran "init --config /etc/kubeadm.yaml"
	expect_grep "warning" '^	\[WARNING ImagePreflight\]: .*: UNKNOWN: ' \
		"$PF_OUT"
	: >"$KLOG"
	IMAGE_PREFLIGHT_ON_UNKNOWN=stop wrap 1 init --config /etc/kubeadm.yaml
	kubeadm_ran never
	expect_grep "stop" 'could not decide and IMAGE_PREFLIGHT_ON_UNKNOWN=stop' \
		"$PF_OUT"
	IMAGE_PREFLIGHT_ON_UNKNOWN=maybe wrap 1 init
	expect_grep "stderr" "IMAGE_PREFLIGHT_ON_UNKNOWN is 'maybe'" "$PF_ERR"
}

@test "kubeadm-preflight: a configuration the checker refuses (exit 3) is handled as UNKNOWN" {
	wrap 7 init --config /etc/none.yaml
	expect_grep "warning" 'image-preflight exited with status 3: nothing was checked' \
		"$PF_OUT"
	expect_grep "its error" '^image-preflight: error: .*none\.yaml' \
		"$PF_ERR"
	: >"$KLOG"
	IMAGE_PREFLIGHT_ON_UNKNOWN=stop wrap 1 init --config /etc/none.yaml
	kubeadm_ran never
}

@test "kubeadm-preflight join: without the cluster's configuration UNKNOWN; with it a worker is judged on its own images" {
	wrap 7 join 10.0.0.1:6443 --token abc.def
	kubeadm_ran "join 10.0.0.1:6443 --token abc.def"
	expect_grep "reason" \
		"UNKNOWN: join: the cluster's ClusterConfiguration is not known" \
		"$PF_OUT"
	# kube-apiserver is a single amd64 image: a worker never runs it.
	cluster_config "$UP/k8scp" v1.30.2 "$R/etc/cluster.yaml"
	IMAGE_PREFLIGHT_CLUSTER_CONFIG=/etc/cluster.yaml \
		wrap 7 join 10.0.0.1:6443 --token abc.def
	kubeadm_ran "join 10.0.0.1:6443 --token abc.def"
	expect_grep "note" 'a worker joins: kube-apiserver, .* are not judged' \
		"$PF_OUT"
	expect_no_grep "no error" 'ERROR' "$PF_OUT"
	# A control-plane node runs it: FAIL.
	IMAGE_PREFLIGHT_CLUSTER_CONFIG=/etc/cluster.yaml \
		wrap 1 join 10.0.0.1:6443 --control-plane --token abc.def
	expect_grep "error" \
		"^	\[ERROR ImagePreflight\]: $UP/k8scp/kube-apiserver:v1.30.2: FAIL" \
		"$PF_OUT"
	# The same FAIL on kube-proxy stops a worker too.
	cluster_config "$UP/k8sbad" v1.30.2 "$R/etc/cluster.yaml"
	IMAGE_PREFLIGHT_CLUSTER_CONFIG=/etc/cluster.yaml \
		wrap 1 join 10.0.0.1:6443 --token abc.def
	expect_grep "error" "ERROR ImagePreflight\]: $UP/k8sbad/kube-proxy" \
		"$PF_OUT"
}

@test "kubeadm-preflight upgrade apply v1.29.6: the version, and the cluster's configuration from kubectl" {
	local kc="$BATS_TEST_TMPDIR/admin.conf" cfg args
	cfg=$(cluster_config "$UP/k8s" v1.28.0 /dev/stdout)
	: >"$kc"
	# kubectl prints the kubeadm-config ConfigMap's ClusterConfiguration.
	cat >"$BIN/kubectl" <<EOF
#!/bin/sh
echo "kubectl \$*" >>"$KLOG.kubectl"
printf '%s\n' "$cfg"
EOF
	chmod 755 "$BIN/kubectl"
	# As on a node: the checker asks the (fake) kubeadm for the images,
	# passing on the configuration and the version.
	FAKE_IMAGES="\"$UP/k8s/kube-apiserver:v1.29.6\"" \
		IMAGE_PREFLIGHT_ARGS="--platform linux/arm64 --timeout 60 --runtime any" \
		run_cmd "$WRAPPER" upgrade apply v1.29.6 --yes --kubeconfig "$kc"
	expect_status 7
	kubeadm_ran "upgrade apply v1.29.6 --yes --kubeconfig $kc"
	expect_grep "kubectl" \
		"--kubeconfig $kc -n kube-system get configmap kubeadm-config" \
		"$KLOG.kubectl"
	args=$(grep '^config images list' "$KLOG")
	[[ $args == "config images list --output=json --config "*" --kubernetes-version v1.29.6" ]] || {
		echo "kubeadm was asked: [$args]" >&2
		return 1
	}
	# The configuration it was given was kubectl's, and is gone now.
	[ ! -e "$(echo "$args" | awk '{print $6}')" ]
	expect_grep "summary" '^\[preflight\] 1 image checked: 0 errors' \
		"$PF_OUT"
}

@test "kubeadm-preflight on a node with kubeadm: the checker asks it for the images" {
	local cfg="$BATS_TEST_TMPDIR/kubeadm.yaml" n list=""
	for n in kube-apiserver:v1.30.2 kube-proxy:v1.30.2 pause:3.9; do
		list="$list${list:+, }\"$UP/k8s/$n\""
	done
	cluster_config "$UP/k8s" v1.30.2 "$cfg"
	# No --root: this is how it runs on a node (the checker finds the
	# fake kubeadm on PATH and runs `kubeadm config images list`).
	FAKE_IMAGES=$list IMAGE_PREFLIGHT_ARGS="--platform linux/arm64 --timeout 60 --runtime any" \
		run_cmd "$WRAPPER" init --config "$cfg"
	expect_status 7
	grep -qx "config images list --output=json --config $cfg" "$KLOG" || {
		echo "kubeadm was not asked for its images: $(cat "$KLOG")" >&2
		return 1
	}
	kubeadm_ran "init --config $cfg"
	expect_grep "summary" '^\[preflight\] [34] images checked: 0 errors' \
		"$PF_OUT"
}

@test "kubeadm-preflight: other commands run kubeadm unchecked; --image-repository is UNKNOWN" {
	wrap 7 version -o short
	kubeadm_ran "version -o short"
	expect_no_grep "no check" 'preflight' "$PF_OUT"
	wrap 7 init --image-repository "$UP/k8s" --kubernetes-version v1.30.2
	expect_grep "reason" '--image-repository is not passed to image-preflight' \
		"$PF_OUT"
}

@test "kubeadm-preflight: the report goes to IMAGE_PREFLIGHT_REPORT" {
	cluster_config "$UP/k8sbad" v1.30.2 "$R/etc/kubeadm.yaml"
	IMAGE_PREFLIGHT_REPORT=$BATS_TEST_TMPDIR/report.txt \
		wrap 1 init --config /etc/kubeadm.yaml
	expect_grep "report" '^\[preflight\] 7 images checked: 1 error, 0 warnings$' \
		"$BATS_TEST_TMPDIR/report.txt"
}

@test "systemd unit and kubelet drop-in: systemd-analyze verify is clean" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	local d="$BATS_TEST_TMPDIR/units" out
	mkdir -p "$d/kubelet.service.d"
	# verify wants the command to exist: the binary under test.
	sed "s|^ExecStart=image-preflight |ExecStart=$PREFLIGHT |" \
		"$PKG/kubeadm/image-preflight-kubeadm.service" \
		>"$d/image-preflight-kubeadm.service"
	grep -q "^ExecStart=$PREFLIGHT kubeadm " \
		"$d/image-preflight-kubeadm.service"
	printf '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n' \
		>"$d/kubelet.service"
	cp "$PKG/kubeadm/kubelet-image-preflight.conf" \
		"$d/kubelet.service.d/20-image-preflight.conf"
	out=$(cd "$d" && SYSTEMD_UNIT_PATH="$d:" systemd-analyze verify \
		--man=no "$d/image-preflight-kubeadm.service" \
		"$d/kubelet.service" 2>&1) || {
		echo "systemd-analyze verify failed: $out" >&2
		return 1
	}
	[ -z "$out" ] || {
		echo "systemd-analyze verify complains: $out" >&2
		return 1
	}
	grep -qx 'SuccessExitStatus=2 3' "$d/image-preflight-kubeadm.service"
	grep -qx 'Before=kubelet.service' "$d/image-preflight-kubeadm.service"
}

# -- 2. cloud-init --------------------------------------------------------

@test "cloud-config: cloud-init schema accepts it, and it carries kubeadm-preflight as it is" {
	local cc="$PKG/cloud-init/kubeadm-node.yaml"
	command -v cloud-init >/dev/null || {
		echo "cloud-init is missing (sh tests/deps.sh)" >&2
		return 1
	}
	run_cmd cloud-init schema --config-file "$cc"
	expect_status 0
	expect_grep "schema" '^Valid cloud-config' "$PF_OUT"
	python3 - "$cc" "$WRAPPER" <<'EOF'
import sys, yaml
cc = yaml.safe_load(open(sys.argv[1]))
files = {f["path"]: f["content"] for f in cc["write_files"]}
want = open(sys.argv[2]).read()
if files.get("/usr/local/sbin/kubeadm-preflight") != want:
    sys.exit("the cloud-config's kubeadm-preflight differs from "
             "packaging/kubeadm/kubeadm-preflight: run "
             "python3 packaging/cloud-init/embed.py")
run = " ".join(" ".join(c) if isinstance(c, list) else c
               for c in cc["runcmd"])
for need in ("image-preflight-install", "kubeadm-preflight init",
             "/etc/default/image-preflight"):
    if need not in run:
        sys.exit("runcmd does not run %r" % need)
if "IMAGE_PREFLIGHT_REPORT=" not in files["/etc/default/image-preflight"]:
    sys.exit("no report file set")
EOF
	head -n 1 "$cc" | grep -qx '#cloud-config'
}

# -- 3. node-problem-detector ---------------------------------------------

@test "node-problem-detector: the monitor has NPD's custom plugin fields" {
	local cfg="$PKG/node-problem-detector/image-preflight-monitor.json"
	jq -e '
		.plugin == "custom" and
		(.source | type == "string" and length > 0) and
		(.pluginConfig.invoke_interval | test("^[0-9]+[smh]$")) and
		(.pluginConfig.timeout | test("^[0-9]+[smh]$")) and
		.pluginConfig.max_output_length == 80 and
		(.conditions | length) >= 1 and
		all(.conditions[]; .type and .reason and .message) and
		(.rules | length) == 2 and
		all(.rules[]; (.type == "permanent" or .type == "temporary")
			and .reason and (.path | startswith("/"))
			and (.timeout | test("^[0-9]+[smh]$"))) and
		([.rules[] | select(.type == "permanent") | .condition] -
			[.conditions[].type] == []) and
		any(.rules[]; .type == "permanent" and
			.condition == "ImagePreflightFailed") and
		any(.rules[]; .type == "temporary" and .args == ["--unknown"])
	' "$cfg" >/dev/null || {
		echo "the monitor configuration lacks a field NPD needs" >&2
		return 1
	}
	# The script's own default length is the configuration's.
	grep -q 'max=${IMAGE_PREFLIGHT_NPD_MAX_OUTPUT:-80}' "$NPD"
}

# npd STATUS ARGS...: the plugin script as NPD runs it, one line out.
npd() {
	local want=$1
	shift
	run_cmd "$NPD" "$@"
	expect_status "$want" || return 1
	[ "$(wc -l <"$PF_OUT")" = 1 ] && [ "$(head -n 1 "$PF_OUT" | wc -c)" -le 81 ] || {
		echo "not one line of at most 80 bytes" >&2
		pf_dump
		return 1
	}
}

@test "node-problem-detector: PASS is 0, FAIL is 1 naming the image, UNKNOWN is 2, one short line each" {
	local args=(--root "$R" --platform linux/arm64)
	npd 0 check "${args[@]}" "$UP/k8s/kube-proxy:v1.30.2" "$UP/k8s/pause:3.9"
	expect_grep "ok line" '^2 images will start on this node$' "$PF_OUT"
	npd 1 check "${args[@]}" "$UP/k8sbad/kube-proxy:v1.30.2"
	expect_grep "problem line" "^$UP/k8sbad/kube-proxy:v1.30.2: FAIL: " \
		"$PF_OUT"
	npd 1 check "${args[@]}" "$UP/k8sbad/kube-proxy:v1.30.2" \
		"$UP/k8scp/kube-apiserver:v1.30.2" "$UP/k8s/pause:3.9"
	expect_grep "count" '^\(2 of 3\) .*: FAIL: ' "$PF_OUT"
	npd 2 check "${args[@]}" "$(closed_addr)/k8s/pause:3.9"
	expect_grep "unknown line" ': UNKNOWN: ' "$PF_OUT"
	# The temporary rule: an event (1) only when undecided.
	npd 1 --unknown check "${args[@]}" "$(closed_addr)/k8s/pause:3.9"
	npd 0 --unknown check "${args[@]}" "$UP/k8sbad/kube-proxy:v1.30.2"
	# Nothing checked (exit 3) is unknown too.
	npd 2 check --platform nonsense "$UP/k8s/pause:3.9"
	expect_grep "line" 'image-preflight exited with status 3' "$PF_OUT"
}

@test "node-problem-detector: the image list file" {
	local list="$BATS_TEST_TMPDIR/images"
	printf '# the node'"'"'s images\n%s\n%s  # comment\n' \
		"$UP/k8s/pause:3.9" "$UP/k8sbad/kube-proxy:v1.30.2" >"$list"
	# Without COMMAND the list is checked as this machine (amd64 here or
	# not: the bad kube-proxy fails on every node but amd64).
	IMAGE_PREFLIGHT_NPD_IMAGES=$list npd 0 --unknown
	IMAGE_PREFLIGHT_NPD_IMAGES=$BATS_TEST_TMPDIR/none npd 2
	expect_grep "line" "cannot read the image list" "$PF_OUT"
	IMAGE_PREFLIGHT_NPD_MAX_OUTPUT=20 npd 1 check --root "$R" \
		--platform linux/arm64 "$UP/k8sbad/kube-proxy:v1.30.2"
	[ "$(head -n 1 "$PF_OUT" | wc -c)" -le 21 ]
}

# -- 4. DaemonSet, Job and the checker's own image -------------------------

@test "kubernetes: the DaemonSet and the Job have the fields a mixed-arch check needs" {
	python3 - "$PKG/kubernetes/daemonset.yaml" "$PKG/kubernetes/job.yaml" <<'EOF'
import sys, yaml

def need(cond, what):
    if not cond:
        sys.exit("%s: %s" % (name, what))

for name in sys.argv[1:]:
    doc = yaml.safe_load(open(name))
    need(doc.get("apiVersion") in ("apps/v1", "batch/v1"), "apiVersion")
    kind = doc["kind"]
    need(kind in ("DaemonSet", "Job"), "kind")
    need(doc["metadata"].get("name") and doc["metadata"].get("namespace"),
         "metadata.name and namespace")
    spec = doc["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    if kind == "DaemonSet":
        sel = spec["selector"]["matchLabels"]
        need(all(labels.get(k) == v for k, v in sel.items()),
             "the selector matches the pod's labels")
        checks = pod["initContainers"]
        need(pod["containers"], "a container after the check")
    else:
        need(pod["restartPolicy"] == "Never", "restartPolicy Never")
        need(spec["backoffLimit"] == 0, "no retry")
        checks = pod["containers"]
    need(pod.get("hostNetwork") is True, "hostNetwork")
    need({"operator": "Exists"} in pod.get("tolerations", []),
         "tolerate every taint")
    vols = {v["name"]: v for v in pod["volumes"]}
    c = checks[0]
    args = c["args"]
    need(args[0] == "check", "runs check")
    need(args[args.index("--root") + 1] == "/host", "--root /host")
    need(args[args.index("--output") + 1] == "json", "JSON to the log")
    need(c["image"] and ":" in c["image"], "an image with a tag")
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for path in ("/host/etc/containerd", "/host/etc/containers",
                 "/host/etc/crio", "/host/proc"):
        need(path in mounts, "mounts " + path)
        need(mounts[path].get("readOnly") is True, path + " read-only")
        host = vols[mounts[path]["name"]]["hostPath"]["path"]
        need("/host" + host == path, path + " is the node's " + host)
    sc = c["securityContext"]
    need(sc.get("readOnlyRootFilesystem") is True, "read-only root")
    need(sc.get("allowPrivilegeEscalation") is False, "no escalation")
    need(sc["capabilities"]["drop"] == ["ALL"], "no capabilities")
    need(not sc.get("privileged"), "not privileged")
EOF
}

# own_image OUT ARGS...: build.py writing OUT and pushing
# $UP/preflight/self:test, quick gzip.
own_image() {
	local out=$1
	shift
	run_cmd python3 "$PKG/image/build.py" --gzip-level 1 --out "$out" \
		--push "$UP/preflight/self:test" --insecure "$@"
	expect_status 0
}

# The checker binary to put in the image: the plain build when there is
# one (the image is not for the sanitizers), else the one under test.
image_binary() {
	if [ -x "$TOP/build/image-preflight" ]; then
		echo "$TOP/build/image-preflight"
	else
		echo "$PREFLIGHT"
	fi
}

@test "own image: built for this machine (and every cross build there is), it checks itself with --platform all: PASS" {
	local host pairs=() a out="$BATS_TEST_TMPDIR/layout" root n line
	local arch bin qemu prefix count sysroots=()
	host=$("$PREFLIGHT" host -o json | jq -r .host.architecture)
	pairs+=("$host=$(image_binary)")
	count=1
	# Each cross build with the libraries it was linked against (the
	# prefix tests/cross.sh names; it rebuilds nothing that is there).
	for a in "$TOP"/build/cross/*/image-preflight; do
		[ -x "$a" ] || continue
		n=$(basename "$(dirname "$a")")
		line=$(cd "$TOP" && sh tests/cross.sh "$n" 2>/dev/null | grep "^$n ") || {
			echo "tests/cross.sh names no prefix for $n" >&2
			return 1
		}
		read -r arch bin qemu prefix _ <<<"$line"
		pairs+=("$arch=$TOP/$bin")
		sysroots+=(--sysroot "$arch=$(cd "$TOP" && realpath "$prefix")")
		count=$((count + 1))
	done
	own_image "$out" "${sysroots[@]}" "${pairs[@]}"
	n=$count
	pf check -o json --timeout 60 --platform all "$UP/preflight/self:test"
	expect_status 0
	[ "$(jq '[.images[] | select(.verdict == "PASS")] | length' "$PF_OUT")" = "$n" ] || {
		echo "expected $n PASS, one per platform" >&2
		pf_dump
		return 1
	}
	expect_jq "$UP/preflight/self:test" "linux/$host" .entrypoint.path \
		/usr/bin/image-preflight
	# The offline layout gives the same.
	pf check --timeout 60 --platform all "oci:$out:$(cat "$TOP/VERSION")"
	expect_status 0
	# It runs: this machine's layer unpacked as a root file system.
	[ "$(id -u)" = 0 ] || skip "chroot needs root"
	root="$BATS_TEST_TMPDIR/rootfs"
	mkdir -p "$root"
	python3 - "$out" "$root" "$host" <<'EOF'
import json, os, sys, tarfile
out, root, host = sys.argv[1:]
blob = lambda d: os.path.join(out, "blobs", "sha256", d[7:])
index = json.load(open(blob(json.load(open(out + "/index.json"))
                            ["manifests"][0]["digest"])))
mine = [m for m in index["manifests"]
        if m["platform"]["architecture"] == host][0]
man = json.load(open(blob(mine["digest"])))
for layer in man["layers"]:
    tarfile.open(blob(layer["digest"])).extractall(root)
EOF
	run_cmd env -i /usr/sbin/chroot "$root" /usr/bin/image-preflight --version
	expect_status 0
	expect_grep "version" "^image-preflight $(cat "$TOP/VERSION")$" "$PF_OUT"
}

@test "own image: an index of every platform given, each checked as its own node" {
	local lib="$BATS_TEST_DIRNAME/../lib" a pairs=() want got
	# Static stand-ins for the cross builds (ELF of each platform).
	for a in amd64 arm64 arm ppc64le s390x riscv64; do
		python3 "$lib/imagebuild.py" elf --arch "$a" \
			-o "$BATS_TEST_TMPDIR/pf-$a"
		chmod 755 "$BATS_TEST_TMPDIR/pf-$a"
		pairs+=("$a=$BATS_TEST_TMPDIR/pf-$a")
	done
	own_image "$BATS_TEST_TMPDIR/multi" "${pairs[@]}"
	pf check -o json --timeout 60 --platform all "$UP/preflight/self:test"
	expect_status 0
	want="PASS linux/amd64/ PASS linux/arm/v7 PASS linux/arm64/ PASS linux/ppc64le/ PASS linux/riscv64/ PASS linux/s390x/"
	got=$(jq -r '[.images[] | .verdict + " " + .selected.platform.os + "/" +
		.selected.platform.architecture + "/" +
		(.selected.platform.variant // "")] | sort | join(" ")' "$PF_OUT")
	[ "$got" = "$want" ] || {
		printf 'verdicts:\n expected [%s]\n got      [%s]\n' "$want" \
			"$got" >&2
		pf_dump
		return 1
	}
}

@test "own image: build.py refuses a binary of another architecture" {
	run_cmd python3 "$PKG/image/build.py" --out "$BATS_TEST_TMPDIR/x" \
		"arm64=$(image_binary)"
	expect_status 1
	expect_grep "stderr" \
		"^build.py: error: .* is ELF class 2, byte order 1, machine 62; linux/arm64 needs class 2, byte order 1, machine 183$" \
		"$PF_ERR"
	[ ! -e "$BATS_TEST_TMPDIR/x/index.json" ]
	run_cmd python3 "$PKG/image/build.py" --out "$BATS_TEST_TMPDIR/x" \
		"sparc=$(image_binary)"
	expect_status 1
	expect_grep "stderr" "unknown platform 'sparc'" "$PF_ERR"
}
