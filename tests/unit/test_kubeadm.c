/* Tests for the kubeadm image list: configuration files and a fake kubeadm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/kubeadm.h"

/* Where every test reads its kubeadm configuration, under its root. */
#define CONFIG "/etc/kubernetes/kubeadm.yaml"
#define CONFIG_MSG "kubeadm configuration '" CONFIG "'"

/* The temporary root of one test. */
struct troot {
	char dir[64];
};

static int troot_setup(void **state)
{
	struct troot *r = xcalloc(1, sizeof(*r));

	snprintf(r->dir, sizeof(r->dir), "/tmp/test-kubeadm.XXXXXX");
	if (!mkdtemp(r->dir))
		return -1;
	*state = r;
	return 0;
}

static int troot_unlink(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int troot_teardown(void **state)
{
	struct troot *r = *state;

	nftw(r->dir, troot_unlink, 16, FTW_DEPTH | FTW_PHYS);
	free(r);
	return 0;
}

/* Write text to root/rel, making its directories; returns the full path. */
static char *troot_write(const struct troot *r, const char *rel,
			 const char *text, mode_t mode)
{
	char *path = xasprintf("%s%s", r->dir, rel);
	char *slash;
	FILE *f;

	for (slash = strchr(path + strlen(r->dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* "role reference" lines, the way the expectations below are written. */
static char *images_text(const struct kubeadm_images *l)
{
	struct buf b;
	struct error err;
	size_t i;

	buf_init(&b);
	buf_append(&b, "", 0, 1, "none", &err);
	for (i = 0; i < l->count; i++) {
		char *line = xasprintf("%s %s\n", l->items[i].role,
				       l->items[i].reference);

		buf_append(&b, line, strlen(line), 1 << 20, "test", &err);
		free(line);
	}
	return buf_detach(&b);
}

#define K "registry.k8s.io/"

struct config_case {
	const char *name;
	const char *yaml;         /* NULL: no configuration file */
	const char *version;      /* the kubernetes_version option */
	const char *source;
	const char *want_version;
	const char *want;
};

static const struct config_case config_cases[] = {
	{ "no file: the newest version in the table", NULL, NULL,
	  "defaults", "v1.33.0",
	  "kube-apiserver " K "kube-apiserver:v1.33.0\n"
	  "kube-controller-manager " K "kube-controller-manager:v1.33.0\n"
	  "kube-scheduler " K "kube-scheduler:v1.33.0\n"
	  "kube-proxy " K "kube-proxy:v1.33.0\n"
	  "coredns " K "coredns/coredns:v1.12.0\n"
	  "pause " K "pause:3.10\n"
	  "etcd " K "etcd:3.5.21-0\n" },
	{ "v1beta3 at v1.30.2",
	  "apiVersion: kubeadm.k8s.io/v1beta3\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: v1.30.2\n", NULL,
	  "configuration file", "v1.30.2",
	  "kube-apiserver " K "kube-apiserver:v1.30.2\n"
	  "kube-controller-manager " K "kube-controller-manager:v1.30.2\n"
	  "kube-scheduler " K "kube-scheduler:v1.30.2\n"
	  "kube-proxy " K "kube-proxy:v1.30.2\n"
	  "coredns " K "coredns/coredns:v1.11.1\n"
	  "pause " K "pause:3.9\n"
	  "etcd " K "etcd:3.5.12-0\n" },
	{ "v1beta4 at 1.27.3, without the v",
	  "apiVersion: kubeadm.k8s.io/v1beta4\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: \"1.27.3\"\n", NULL,
	  "configuration file", "v1.27.3",
	  "kube-apiserver " K "kube-apiserver:v1.27.3\n"
	  "kube-controller-manager " K "kube-controller-manager:v1.27.3\n"
	  "kube-scheduler " K "kube-scheduler:v1.27.3\n"
	  "kube-proxy " K "kube-proxy:v1.27.3\n"
	  "coredns " K "coredns/coredns:v1.10.1\n"
	  "pause " K "pause:3.9\n"
	  "etcd " K "etcd:3.5.7-0\n" },
	{ "custom imageRepository: coredns loses its coredns/ path",
	  "apiVersion: kubeadm.k8s.io/v1beta3\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: v1.32.1\n"
	  "imageRepository: mirror.example:5000/k8s\n", NULL,
	  "configuration file", "v1.32.1",
	  "kube-apiserver mirror.example:5000/k8s/kube-apiserver:v1.32.1\n"
	  "kube-controller-manager "
	  "mirror.example:5000/k8s/kube-controller-manager:v1.32.1\n"
	  "kube-scheduler mirror.example:5000/k8s/kube-scheduler:v1.32.1\n"
	  "kube-proxy mirror.example:5000/k8s/kube-proxy:v1.32.1\n"
	  "coredns mirror.example:5000/k8s/coredns:v1.11.3\n"
	  "pause mirror.example:5000/k8s/pause:3.10\n"
	  "etcd mirror.example:5000/k8s/etcd:3.5.16-0\n" },
	{ "dns and etcd overrides",
	  "apiVersion: kubeadm.k8s.io/v1beta4\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: v1.31.4\n"
	  "imageRepository: mirror.example/k8s\n"
	  "dns:\n"
	  "  imageRepository: registry.k8s.io\n"
	  "  imageTag: v1.11.4\n"
	  "etcd:\n"
	  "  local:\n"
	  "    imageRepository: quay.example/etcd-io\n"
	  "    imageTag: v3.5.17\n"
	  "    dataDir: /var/lib/etcd\n", NULL,
	  "configuration file", "v1.31.4",
	  "kube-apiserver mirror.example/k8s/kube-apiserver:v1.31.4\n"
	  "kube-controller-manager "
	  "mirror.example/k8s/kube-controller-manager:v1.31.4\n"
	  "kube-scheduler mirror.example/k8s/kube-scheduler:v1.31.4\n"
	  "kube-proxy mirror.example/k8s/kube-proxy:v1.31.4\n"
	  "coredns " K "coredns/coredns:v1.11.4\n"
	  "pause mirror.example/k8s/pause:3.10\n"
	  "etcd quay.example/etcd-io/etcd:v3.5.17\n" },
	{ "a custom dns.imageRepository is taken as it is",
	  "apiVersion: kubeadm.k8s.io/v1beta3\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: v1.29.0\n"
	  "dns: {imageRepository: dns.example/coredns}\n", NULL,
	  "configuration file", "v1.29.0",
	  "kube-apiserver " K "kube-apiserver:v1.29.0\n"
	  "kube-controller-manager " K "kube-controller-manager:v1.29.0\n"
	  "kube-scheduler " K "kube-scheduler:v1.29.0\n"
	  "kube-proxy " K "kube-proxy:v1.29.0\n"
	  "coredns dns.example/coredns/coredns:v1.11.1\n"
	  "pause " K "pause:3.9\n"
	  "etcd " K "etcd:3.5.10-0\n" },
	{ "external etcd, disabled proxy and dns (v1beta4)",
	  "apiVersion: kubeadm.k8s.io/v1beta4\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: v1.31.0\n"
	  "proxy:\n  disabled: true\n"
	  "dns:\n  disabled: true\n"
	  "etcd:\n  external:\n    endpoints: [\"https://10.0.0.1:2379\"]\n",
	  NULL, "configuration file", "v1.31.0",
	  "kube-apiserver " K "kube-apiserver:v1.31.0\n"
	  "kube-controller-manager " K "kube-controller-manager:v1.31.0\n"
	  "kube-scheduler " K "kube-scheduler:v1.31.0\n"
	  "pause " K "pause:3.10\n" },
	{ "several documents: the ClusterConfiguration is the second",
	  "---\n"
	  "apiVersion: kubeadm.k8s.io/v1beta4\n"
	  "kind: InitConfiguration\n"
	  "nodeRegistration:\n  criSocket: unix:///run/containerd/containerd.sock\n"
	  "---\n"
	  "apiVersion: kubeadm.k8s.io/v1beta4\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: v1.28.9\n"
	  "imageRepository: mirror.example\n"
	  "---\n"
	  "apiVersion: kubelet.config.k8s.io/v1beta1\n"
	  "kind: KubeletConfiguration\n"
	  "cgroupDriver: systemd\n"
	  "...\n", NULL,
	  "configuration file", "v1.28.9",
	  "kube-apiserver mirror.example/kube-apiserver:v1.28.9\n"
	  "kube-controller-manager mirror.example/kube-controller-manager:v1.28.9\n"
	  "kube-scheduler mirror.example/kube-scheduler:v1.28.9\n"
	  "kube-proxy mirror.example/kube-proxy:v1.28.9\n"
	  "coredns mirror.example/coredns:v1.10.1\n"
	  "pause mirror.example/pause:3.9\n"
	  "etcd mirror.example/etcd:3.5.9-0\n" },
	{ "no ClusterConfiguration: kubeadm's defaults",
	  "apiVersion: kubeadm.k8s.io/v1beta3\n"
	  "kind: InitConfiguration\n"
	  "---\n"
	  "---\n"
	  "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
	  "kind: KubeProxyConfiguration\n", NULL,
	  "configuration file", "v1.33.0",
	  "kube-apiserver " K "kube-apiserver:v1.33.0\n"
	  "kube-controller-manager " K "kube-controller-manager:v1.33.0\n"
	  "kube-scheduler " K "kube-scheduler:v1.33.0\n"
	  "kube-proxy " K "kube-proxy:v1.33.0\n"
	  "coredns " K "coredns/coredns:v1.12.0\n"
	  "pause " K "pause:3.10\n"
	  "etcd " K "etcd:3.5.21-0\n" },
	{ "the version option wins; '+' becomes '_'; empty is default",
	  "apiVersion: kubeadm.k8s.io/v1beta3\n"
	  "kind: ClusterConfiguration\n"
	  "kubernetesVersion: v1.30.2\n"
	  "imageRepository: \"\"\n"
	  "dns:\n  imageTag: ~\n", "v1.32.3+vendor.1",
	  "configuration file", "v1.32.3+vendor.1",
	  "kube-apiserver " K "kube-apiserver:v1.32.3_vendor.1\n"
	  "kube-controller-manager " K
	  "kube-controller-manager:v1.32.3_vendor.1\n"
	  "kube-scheduler " K "kube-scheduler:v1.32.3_vendor.1\n"
	  "kube-proxy " K "kube-proxy:v1.32.3_vendor.1\n"
	  "coredns " K "coredns/coredns:v1.11.3\n"
	  "pause " K "pause:3.10\n"
	  "etcd " K "etcd:3.5.16-0\n" },
};

static void test_config_table(void **state)
{
	struct troot *r = *state;
	size_t i;

	for (i = 0; i < sizeof(config_cases) / sizeof(config_cases[0]); i++) {
		const struct config_case *c = &config_cases[i];
		struct kubeadm_options o = { .root = r->dir,
					     .kubernetes_version = c->version };
		struct kubeadm_images l;
		struct error err;
		char *got;

		error_init(&err);
		if (c->yaml) {
			free(troot_write(r, CONFIG, c->yaml, 0644));
			o.config_file = CONFIG;
		}
		if (kubeadm_list_images(&o, &l, &err) < 0)
			fail_msg("case '%s': failed: %s", c->name, err.message);
		got = images_text(&l);
		if (strcmp(got, c->want))
			fail_msg("case '%s':\nwant:\n%sgot:\n%s", c->name,
				 c->want, got);
		if (strcmp(l.source, c->source) ||
		    strcmp(l.version, c->want_version))
			fail_msg("case '%s': want %s/%s, got %s/%s", c->name,
				 c->source, c->want_version, l.source,
				 l.version);
		free(got);
		kubeadm_images_release(&l);
	}
}

struct error_case {
	const char *yaml;        /* NULL: no configuration file */
	const char *version;
	enum error_category category;
	const char *want;
};

/* 64 and 576 bytes of an image reference. */
#define LONG64 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
#define LONG LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64
#define CC "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"

static const struct error_case error_cases[] = {
	{ "kind: ClusterConfiguration\nimageRepository: [a, b\nx: 1\n", NULL,
	  ERROR_FORMAT,
	  CONFIG_MSG ": line 3 column 2: did not find expected ',' or ']' while parsing a flow sequence" },
	{ "a: b\n  c: d\n", NULL, ERROR_FORMAT,
	  CONFIG_MSG ": line 2 column 4: mapping values are not allowed in this context" },
	{ "a: *nothing\n", NULL, ERROR_FORMAT,
	  CONFIG_MSG ": line 1 column 4: found undefined alias" },
	{ CC "kubernetesVersion: v1.26.5\n", NULL, ERROR_USAGE,
	  "kubernetes version 'v1.26.5' is outside the supported range v1.27 to v1.33" },
	{ NULL, "v1.34.0", ERROR_USAGE,
	  "kubernetes version 'v1.34.0' is outside the supported range v1.27 to v1.33" },
	{ CC "kubernetesVersion: stable-1.30\n", NULL, ERROR_USAGE,
	  "kubernetes version 'stable-1.30': expected a version such as v1.30.2 (release labels need the network and are not resolved)" },
	{ NULL, "v1.30", ERROR_USAGE,
	  "kubernetes version 'v1.30': expected a version such as v1.30.2 (release labels need the network and are not resolved)" },
	{ "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n",
	  NULL, ERROR_FORMAT,
	  CONFIG_MSG " document 1: ClusterConfiguration apiVersion 'kubeadm.k8s.io/v1beta2' is not kubeadm.k8s.io/v1beta3 or v1beta4" },
	{ CC "---\n" CC, NULL, ERROR_FORMAT,
	  CONFIG_MSG " document 2: a second ClusterConfiguration" },
	{ CC "imageRepository: a.example\nimageRepository: b.example\n", NULL,
	  ERROR_FORMAT,
	  CONFIG_MSG " document 1: 'imageRepository' is given twice" },
	{ CC "dns:\n  imageTag: {a: b}\n", NULL, ERROR_FORMAT,
	  CONFIG_MSG " document 1: 'dns.imageTag' is not a string" },
	{ CC "imageRepository: \"a.example/x y\"\n", NULL, ERROR_FORMAT,
	  CONFIG_MSG " document 1: 'imageRepository' holds blanks or control characters" },
	{ CC "etcd:\n  local: {imageTag: x}\n  external: {endpoints: []}\n",
	  NULL, ERROR_FORMAT,
	  CONFIG_MSG " document 1: 'etcd.local' and 'etcd.external' are mutually exclusive" },
	{ CC "proxy:\n  disabled: maybe\n", NULL, ERROR_FORMAT,
	  CONFIG_MSG " document 1: 'proxy.disabled' is not true or false" },
	{ "kind: InitConfiguration\n---\n- a\n- b\n", NULL, ERROR_FORMAT,
	  CONFIG_MSG " document 2: not a mapping" },
	{ NULL, "v1.30.2-0123456789.0123456789.012", ERROR_LIMIT,
	  "kubernetes version 'v1.30.2-0123456789.0123456789.012' is longer than 31 bytes" },
	{ CC "etcd:\n  local:\n    imageTag: " LONG "\n", NULL, ERROR_LIMIT,
	  CONFIG_MSG " document 1: 'etcd.local.imageTag' is longer than 512 bytes (KUBEADM_REFERENCE_MAX)" },
	{ CC "imageRepository: " LONG64 LONG64 LONG64 LONG64 LONG64 LONG64 LONG64
	  LONG64 "\n", NULL, ERROR_LIMIT,
	  "the kube-apiserver image reference is longer than 512 bytes (KUBEADM_REFERENCE_MAX)" },
};

static void check_error(const char *name, int rc, const struct error *err,
			enum error_category category, const char *want)
{
	if (rc != -1)
		fail_msg("case '%s': want failure '%s', got success", name,
			 want);
	if (err->category != category || strcmp(err->message, want))
		fail_msg("case '%s':\nwant (%s) '%s'\ngot  (%s) '%s'", name,
			 error_category_name(category), want,
			 error_category_name(err->category), err->message);
}

static void test_config_errors(void **state)
{
	struct troot *r = *state;
	size_t i;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct kubeadm_options o = { .root = r->dir,
					     .kubernetes_version = c->version };
		struct kubeadm_images l;
		struct error err;
		int rc;

		error_init(&err);
		if (c->yaml) {
			free(troot_write(r, CONFIG, c->yaml, 0644));
			o.config_file = CONFIG;
		}
		rc = kubeadm_list_images(&o, &l, &err);
		check_error(c->yaml ? c->yaml : c->version, rc, &err,
			    c->category, c->want);
		kubeadm_images_release(&l);
	}
}

/* Files that cannot be read: missing, a directory, too big, too many. */
static void test_config_file_limits(void **state)
{
	struct troot *r = *state;
	struct kubeadm_options o = { .root = r->dir, .config_file = CONFIG };
	struct kubeadm_images l;
	struct error err;
	struct buf big;
	char *want;
	int i, rc;

	error_init(&err);
	rc = kubeadm_list_images(&o, &l, &err);
	check_error("missing", rc, &err, ERROR_IO,
		    CONFIG_MSG ": No such file or directory");
	kubeadm_images_release(&l);

	o.config_file = "/";
	rc = kubeadm_list_images(&o, &l, &err);
	check_error("directory", rc, &err, ERROR_IO,
		    "kubeadm configuration '/': not a regular file");
	kubeadm_images_release(&l);

	buf_init(&big);
	while (big.len <= KUBEADM_CONFIG_MAX)
		buf_append(&big, "# a comment line\n", 17, 1 << 30, "t", &err);
	free(troot_write(r, CONFIG, big.data, 0644));
	o.config_file = CONFIG;
	rc = kubeadm_list_images(&o, &l, &err);
	want = xasprintf(CONFIG_MSG ": more than %d bytes (KUBEADM_CONFIG_MAX)",
			 KUBEADM_CONFIG_MAX);
	check_error("too big", rc, &err, ERROR_LIMIT, want);
	free(want);
	kubeadm_images_release(&l);

	buf_reset(&big);
	for (i = 0; i <= KUBEADM_DOCUMENTS_MAX; i++)
		buf_append(&big, "---\nkind: X\n", 12, 1 << 30, "t", &err);
	free(troot_write(r, CONFIG, big.data, 0644));
	rc = kubeadm_list_images(&o, &l, &err);
	want = xasprintf(CONFIG_MSG ": more than %d documents (KUBEADM_DOCUMENTS_MAX)",
			 KUBEADM_DOCUMENTS_MAX);
	check_error("too many documents", rc, &err, ERROR_LIMIT, want);
	free(want);
	kubeadm_images_release(&l);
	buf_release(&big);
}

/* ---- A fake kubeadm ---------------------------------------------------- */

#define FAKE_ARGS "printf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n"

static const char fake_success[] =
	"#!/bin/sh\n" FAKE_ARGS
	"echo 'I0101 00:00:00 some klog line' >&2\n"
	"cat <<'EOF'\n"
	"{\n"
	"    \"kind\": \"Images\",\n"
	"    \"apiVersion\": \"output.kubeadm.k8s.io/v1alpha3\",\n"
	"    \"images\": [\n"
	"        \"localhost:5000/kube-apiserver:v1.30.2\",\n"
	"        \"localhost:5000/kube-proxy:v1.30.2\",\n"
	"        \"registry.k8s.io/coredns/coredns:v1.11.1\",\n"
	"        \"localhost:5000/pause:3.9\",\n"
	"        \"registry.k8s.io/etcd@sha256:0123abcd\"\n"
	"    ]\n"
	"}\n"
	"EOF\n";

static void test_fake_kubeadm_success(void **state)
{
	struct troot *r = *state;
	char *bin = troot_write(r, "/bin/kubeadm", fake_success, 0755);
	char *args_path = xasprintf("%s/bin/args", r->dir);
	struct kubeadm_options o = { .root = "/", .kubeadm_path = bin,
				     .config_file = "/etc/k.yaml",
				     .kubernetes_version = "v1.30.2" };
	struct kubeadm_images l;
	struct error err;
	char args[512] = "";
	char *got;
	FILE *f;

	error_init(&err);
	if (kubeadm_list_images(&o, &l, &err) < 0)
		fail_msg("failed: %s", err.message);
	got = images_text(&l);
	assert_string_equal(got,
			    "kube-apiserver localhost:5000/kube-apiserver:v1.30.2\n"
			    "kube-proxy localhost:5000/kube-proxy:v1.30.2\n"
			    "coredns registry.k8s.io/coredns/coredns:v1.11.1\n"
			    "pause localhost:5000/pause:3.9\n"
			    "etcd registry.k8s.io/etcd@sha256:0123abcd\n");
	assert_string_equal(l.source, "kubeadm binary");
	assert_string_equal(l.version, "v1.30.2");
	f = fopen(args_path, "r");
	assert_non_null(f);
	args[fread(args, 1, sizeof(args) - 1, f)] = '\0';
	fclose(f);
	assert_string_equal(args, "config\nimages\nlist\n--output=json\n"
			    "--config\n/etc/k.yaml\n"
			    "--kubernetes-version\nv1.30.2\n");
	free(got);
	free(args_path);
	free(bin);
	kubeadm_images_release(&l);
}

struct fake_case {
	const char *name;
	const char *script;      /* after "#!/bin/sh\n" */
	long timeout_ms;
	enum error_category category;
	const char *want;        /* "%s" is the quoted kubeadm path */
};

static const struct fake_case fake_cases[] = {
	{ "failure exit",
	  "echo 'error execution phase: cannot parse config' >&2\nexit 3\n",
	  0, ERROR_IO,
	  "kubeadm '%s' exited with status 3: error execution phase: cannot parse config" },
	{ "failure with control bytes and no message",
	  "printf '\\033[31mbad\\n' >&2\nexit 1\n", 0, ERROR_IO,
	  "kubeadm '%s' exited with status 1: \\x1b[31mbad" },
	{ "silent failure", "exit 2\n", 0, ERROR_IO,
	  "kubeadm '%s' exited with status 2: (no message)" },
	{ "killed", "kill -9 $$\n", 0, ERROR_IO,
	  "kubeadm '%s' was killed by signal 9: (no message)" },
	{ "garbage output", "echo 'registry.k8s.io/pause:3.9'\n", 0,
	  ERROR_FORMAT,
	  "kubeadm '%s' output: line 1 column 8: '[' or '{' expected near 'registry'" },
	{ "empty output", "", 0, ERROR_FORMAT,
	  "kubeadm '%s' output: line 1 column 0: '[' or '{' expected near end of file" },
	{ "another kind", "echo '{\"kind\":\"Version\",\"images\":[]}'\n", 0,
	  ERROR_FORMAT,
	  "kubeadm '%s' output: expected an object of kind \"Images\" with an \"images\" array" },
	{ "an image that is no string",
	  "echo '{\"kind\":\"Images\",\"images\":[\"a/b:1\",7]}'\n", 0,
	  ERROR_FORMAT,
	  "kubeadm '%s' output: images[1] is not an image reference" },
	{ "an image with a blank",
	  "echo '{\"kind\":\"Images\",\"images\":[\"a/b c:1\"]}'\n", 0,
	  ERROR_FORMAT,
	  "kubeadm '%s' output: images[0] is not an image reference" },
	{ "timeout", "sleep 20\n", 300, ERROR_IO,
	  "kubeadm '%s' did not finish within 300 ms" },
	{ "timeout after closing its output",
	  "exec >/dev/null 2>&1\nsleep 20\n", 300, ERROR_IO,
	  "kubeadm '%s' did not finish within 300 ms" },
	{ "too many images",
	  "printf '{\"kind\":\"Images\",\"images\":['\n"
	  "i=0; while [ $i -le 64 ]; do printf '\"a/b:%d\",' $i; "
	  "i=$((i+1)); done\necho '\"a/b:x\"]}'\n", 0, ERROR_LIMIT,
	  "kubeadm '%s' output: more than 64 images (KUBEADM_IMAGES_MAX)" },
	{ "a reference too long",
	  "echo '{\"kind\":\"Images\",\"images\":[\"" LONG "\"]}'\n", 0,
	  ERROR_LIMIT,
	  "kubeadm '%s' output: images[0] is longer than 512 bytes (KUBEADM_REFERENCE_MAX)" },
	{ "too much output", "head -c 2000000 /dev/zero | tr '\\0' x\n", 0,
	  ERROR_LIMIT,
	  "kubeadm '%s' output: more than 1048576 bytes (KUBEADM_OUTPUT_MAX)" },
};

/* want with its "%s" replaced by path. */
static char *with_path(const char *want, const char *path)
{
	const char *at = strstr(want, "%s");

	return xasprintf("%.*s%s%s", (int)(at - want), want, path, at + 2);
}

static void test_fake_kubeadm_failures(void **state)
{
	struct troot *r = *state;
	size_t i;

	for (i = 0; i < sizeof(fake_cases) / sizeof(fake_cases[0]); i++) {
		const struct fake_case *c = &fake_cases[i];
		char *script = xasprintf("#!/bin/sh\n%s", c->script);
		char *bin = troot_write(r, "/bin/kubeadm", script, 0755);
		struct kubeadm_options o = { .root = "", .kubeadm_path = bin,
					     .timeout_ms = c->timeout_ms };
		struct kubeadm_images l;
		struct timespec t0, t1;
		struct error err;
		char *want = with_path(c->want, bin);
		int rc;

		error_init(&err);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = kubeadm_list_images(&o, &l, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		check_error(c->name, rc, &err, c->category, want);
		if (t1.tv_sec - t0.tv_sec > 5)
			fail_msg("case '%s': took %ld s", c->name,
				 (long)(t1.tv_sec - t0.tv_sec));
		kubeadm_images_release(&l);
		free(want);
		free(bin);
		free(script);
	}
}

/* kubeadm from PATH on the real node; never for another root. */
static void test_kubeadm_from_path(void **state)
{
	struct troot *r = *state;
	char *bin = troot_write(r, "/bin/kubeadm", fake_success, 0755);
	char *dir = xasprintf("/nonexistent::%s/bin:/usr/bin:/bin", r->dir);
	char *old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	struct kubeadm_options o = { .root = "/" };
	struct kubeadm_images l;
	struct error err;

	error_init(&err);
	setenv("PATH", dir, 1);
	if (kubeadm_list_images(&o, &l, &err) < 0)
		fail_msg("kubeadm from PATH: %s", err.message);
	assert_string_equal(l.source, "kubeadm binary");
	assert_int_equal(l.count, 5);
	kubeadm_images_release(&l);

	o.root = r->dir;
	if (kubeadm_list_images(&o, &l, &err) < 0)
		fail_msg("another root: %s", err.message);
	assert_string_equal(l.source, "defaults");
	assert_int_equal(l.count, 7);
	kubeadm_images_release(&l);

	o.root = "/";
	o.kubeadm_path = "/nonexistent/kubeadm";
	check_error("missing explicit kubeadm",
		    kubeadm_list_images(&o, &l, &err), &err, ERROR_USAGE,
		    "kubeadm '/nonexistent/kubeadm': not an executable file");
	kubeadm_images_release(&l);
	if (old)
		setenv("PATH", old, 1);
	else
		unsetenv("PATH");
	free(old);
	free(dir);
	free(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_table,
						troot_setup, troot_teardown),
		cmocka_unit_test_setup_teardown(test_config_errors,
						troot_setup, troot_teardown),
		cmocka_unit_test_setup_teardown(test_config_file_limits,
						troot_setup, troot_teardown),
		cmocka_unit_test_setup_teardown(test_fake_kubeadm_success,
						troot_setup, troot_teardown),
		cmocka_unit_test_setup_teardown(test_fake_kubeadm_failures,
						troot_setup, troot_teardown),
		cmocka_unit_test_setup_teardown(test_kubeadm_from_path,
						troot_setup, troot_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
