/* Unit tests for preflight/mirrors.c: containerd hosts.toml lookup and
 * CRI-O registries.conf, each rule on its own temporary root. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/mirrors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define FILES_MAX 5

#define CD "etc/containerd/certs.d/"
#define DD "etc/docker/certs.d/"
#define RC "etc/containers/registries.conf"
#define RD "etc/containers/registries.conf.d/"

struct file {
	const char *path;   /* relative to the root; ending in '/': a dir */
	const char *text;
};

struct resolve_case {
	const char *name;
	enum runtime_kind rt;
	struct file files[FILES_MAX];
	const char *registry;
	const char *repository;
	/* origin line, then one line per endpoint; $ROOT for the root */
	const char *expected;
};

static void test_write(const char *root, const struct file *f)
{
	char *path = xasprintf("%s/%s", root, f->path);
	FILE *fp;

	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (path[strlen(path) - 1] != '/') {
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(f->text, fp);
		fclose(fp);
	}
	free(path);
}

static int test_rm(const char *p, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static char *test_root(const struct file *files, size_t n)
{
	char *root = xstrdup("/tmp/test_mirrors.XXXXXX");

	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < n && files[i].path; i++)
		test_write(root, &files[i]);
	return root;
}

static void test_root_free(char *root)
{
	nftw(root, test_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

/* s with every occurrence of root replaced by "$ROOT". */
static void test_put(struct buf *b, const char *s, const char *root)
{
	size_t n = strlen(root);

	while (*s) {
		if (strncmp(s, root, n) == 0) {
			buf_append(b, "$ROOT", 5, 1 << 20, "test", NULL);
			s += n;
		} else {
			buf_append(b, s++, 1, 1 << 20, "test", NULL);
		}
	}
}

static void test_putf(struct buf *b, const char *root, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));
static void test_putf(struct buf *b, const char *root, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	test_put(b, tmp, root);
}

static void test_render_one(struct buf *b, const struct endpoint *e,
			    const char *root)
{
	test_putf(b, root, "%s%s %s%s%s%s%s%s%s ns=%s repo=%s", e->url,
		  e->path, e->mirror ? "m" : "", e->can_pull ? "p" : "",
		  e->can_resolve ? "r" : "", e->plain_http ? "h" : "",
		  e->skip_verify ? "k" : "", e->digest_only ? "d" : "",
		  e->tag_only ? "t" : "", e->ns ? e->ns : "-",
		  e->rewritten_path);
	for (size_t i = 0; i < e->ca_count; i++)
		test_putf(b, root, " ca=%s", e->ca_files[i]);
	for (size_t i = 0; i < e->client_count; i++)
		test_putf(b, root, " client=%s+%s", e->clients[i].cert,
			  e->clients[i].key ? e->clients[i].key : "-");
	for (size_t i = 0; i < e->header_count; i++)
		test_putf(b, root, " hdr=%s", e->headers[i]);
	test_put(b, "\n", root);
}

static char *test_render(const struct endpoint_list *l, const char *root)
{
	struct buf b;

	buf_init(&b);
	test_putf(&b, root, "origin=%s%s\n", l->origin,
		  l->blocked ? " blocked" : "");
	for (size_t i = 0; i < l->count; i++)
		test_render_one(&b, &l->items[i], root);
	return buf_detach(&b);
}

static const struct resolve_case resolve_cases[] = {
    {"containerd, nothing configured", RUNTIME_CONTAINERD, {{0}},
     "ghcr.io", "a/b",
     "origin=default\n"
     "https://ghcr.io/v2 pr ns=- repo=a/b\n"},
    {"containerd, docker.io is registry-1.docker.io", RUNTIME_CONTAINERD,
     {{0}}, "docker.io", "library/busybox",
     "origin=default\n"
     "https://registry-1.docker.io/v2 pr ns=- repo=library/busybox\n"},
    {"containerd, host_port_ before host:port", RUNTIME_CONTAINERD,
     {{CD "reg.example:5000/hosts.toml", "server = \"https://a.example\"\n"},
      {CD "reg.example_5000_/hosts.toml",
       "server = \"https://b.example\"\n"}},
     "reg.example:5000", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example_5000_/hosts.toml\n"
     "https://b.example/v2 mpr ns=reg.example:5000 repo=x\n"},
    {"containerd, host:port directory", RUNTIME_CONTAINERD,
     {{CD "reg.example:5000/hosts.toml", "server = \"https://a.example\"\n"},
      {CD "_default/hosts.toml", "server = \"https://d.example\"\n"}},
     "reg.example:5000", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example:5000/hosts.toml\n"
     "https://a.example/v2 mpr ns=reg.example:5000 repo=x\n"},
    {"containerd, host without port", RUNTIME_CONTAINERD,
     {{CD "reg.example/hosts.toml", "server = \"https://a.example\"\n"},
      {CD "_default/hosts.toml", "server = \"https://d.example\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example/hosts.toml\n"
     "https://a.example/v2 mpr ns=reg.example repo=x\n"},
    {"containerd, _default before the next config_path directory",
     RUNTIME_CONTAINERD,
     {{CD "_default/hosts.toml",
       "[host.\"https://cache.example\"]\ncapabilities = [\"pull\"]\n"},
      {DD "reg.example/hosts.toml", "server = \"https://a.example\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containerd/certs.d/_default/hosts.toml\n"
     "https://cache.example/v2 mp ns=reg.example repo=x\n"
     "https://reg.example/v2 pr ns=- repo=x\n"},
    {"containerd, /etc/docker/certs.d after /etc/containerd/certs.d",
     RUNTIME_CONTAINERD,
     {{DD "reg.example/hosts.toml", "server = \"https://a.example\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/docker/certs.d/reg.example/hosts.toml\n"
     "https://a.example/v2 mpr ns=reg.example repo=x\n"},
    {"containerd, mirrors in file order, then server, capabilities",
     RUNTIME_CONTAINERD,
     {{CD "docker.io/hosts.toml",
       "server = \"https://registry-1.docker.io\"\n"
       "[host.\"https://z.example\"]\n"
       "  capabilities = [\"pull\"]\n"
       "[host.\"https://a.example\"]\n"
       "  capabilities = [\"pull\", \"RESOLVE\"]\n"}},
     "docker.io", "library/busybox",
     "origin=$ROOT/etc/containerd/certs.d/docker.io/hosts.toml\n"
     "https://z.example/v2 mp ns=docker.io repo=library/busybox\n"
     "https://a.example/v2 mpr ns=docker.io repo=library/busybox\n"
     "https://registry-1.docker.io/v2 pr ns=- repo=library/busybox\n"},
    {"containerd, ca relative to the directory, client pairs",
     RUNTIME_CONTAINERD,
     {{CD "reg.example/hosts.toml",
       "[host.\"https://m.example\"]\n"
       "  ca = [\"ca.pem\", \"/etc/certs/b.pem\"]\n"
       "  client = [[\"c.cert\", \"c.key\"], [\"/x/d.pem\", \"\"]]\n"
       "[host.\"https://n.example\"]\n"
       "  ca = \"sub/one.pem\"\n"
       "  client = \"both.pem\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example/hosts.toml\n"
     "https://m.example/v2 mpr ns=reg.example repo=x"
     " ca=$ROOT/etc/containerd/certs.d/reg.example/ca.pem"
     " ca=$ROOT/etc/certs/b.pem"
     " client=$ROOT/etc/containerd/certs.d/reg.example/c.cert"
     "+$ROOT/etc/containerd/certs.d/reg.example/c.key"
     " client=$ROOT/x/d.pem+-\n"
     "https://n.example/v2 mpr ns=reg.example repo=x"
     " ca=$ROOT/etc/containerd/certs.d/reg.example/sub/one.pem"
     " client=$ROOT/etc/containerd/certs.d/reg.example/both.pem+-\n"
     "https://reg.example/v2 pr ns=- repo=x\n"},
    {"containerd, override_path and /v2 appended to a path",
     RUNTIME_CONTAINERD,
     {{CD "reg.example/hosts.toml",
       "server = \"https://reg.example/v2\"\n"
       "[host.\"https://m.example/v2/upstream\"]\n"
       "  override_path = true\n"
       "[host.\"https://n.example/ns/\"]\n"
       "[host.\"https://o.example\"]\n"
       "  override_path = true\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example/hosts.toml\n"
     "https://m.example/v2/upstream mpr ns=reg.example repo=x\n"
     "https://n.example/ns/v2 mpr ns=reg.example repo=x\n"
     "https://o.example mpr ns=reg.example repo=x\n"
     "https://reg.example/v2 pr ns=- repo=x\n"},
    {"containerd, headers", RUNTIME_CONTAINERD,
     {{CD "reg.example/hosts.toml",
       "[host.\"https://m.example\"]\n"
       "  [host.\"https://m.example\".header]\n"
       "    x-one = \"1\"\n"
       "    x-two = [\"a\", \"b\"]\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example/hosts.toml\n"
     "https://m.example/v2 mpr ns=reg.example repo=x hdr=x-one: 1"
     " hdr=x-two: a hdr=x-two: b\n"
     "https://reg.example/v2 pr ns=- repo=x\n"},
    {"containerd, skip_verify; http with TLS settings tries https",
     RUNTIME_CONTAINERD,
     {{CD "reg.example/hosts.toml",
       "skip_verify = true\n"
       "[host.\"http://m.example:5000\"]\n"
       "  skip_verify = true\n"
       "[host.\"http://n.example:80\"]\n"
       "  skip_verify = true\n"
       "[host.\"http://o.example:5000\"]\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example/hosts.toml\n"
     "https://m.example:5000/v2 mprhk ns=reg.example repo=x\n"
     "http://n.example:80/v2 mprhk ns=reg.example repo=x\n"
     "http://o.example:5000/v2 mprh ns=reg.example repo=x\n"
     "https://reg.example/v2 prk ns=- repo=x\n"},
    {"containerd, localhost with a port", RUNTIME_CONTAINERD, {{0}},
     "localhost:5000", "x",
     "origin=default\n"
     "https://localhost:5000/v2 prhk ns=- repo=x\n"},
    {"containerd, loopback on port 80 and without port", RUNTIME_CONTAINERD,
     {{CD "_default/hosts.toml", "[host.\"http://127.0.0.1:80\"]\n"}},
     "127.0.0.1", "x",
     "origin=$ROOT/etc/containerd/certs.d/_default/hosts.toml\n"
     "http://127.0.0.1:80/v2 mprh ns=127.0.0.1 repo=x\n"
     "https://127.0.0.1/v2 prk ns=- repo=x\n"},
    {"containerd, Docker certificate files without hosts.toml",
     RUNTIME_CONTAINERD,
     {{CD "reg.example/ca.crt", "x"},
      {CD "reg.example/client.cert", "x"},
      {CD "reg.example/client.key", "x"},
      {CD "reg.example/other.cert", "x"},
      {CD "reg.example/sub.crt/", ""}},
     "reg.example", "x",
     "origin=$ROOT/etc/containerd/certs.d/reg.example\n"
     "https://reg.example/v2 pr ns=- repo=x"
     " ca=$ROOT/etc/containerd/certs.d/reg.example/ca.crt"
     " client=$ROOT/etc/containerd/certs.d/reg.example/client.cert"
     "+$ROOT/etc/containerd/certs.d/reg.example/client.key"
     " client=$ROOT/etc/containerd/certs.d/reg.example/other.cert+-\n"},
    {"containerd, config_path from a version 2 config.toml",
     RUNTIME_CONTAINERD,
     {{"etc/containerd/config.toml",
       "version = 2\n"
       "[plugins.\"io.containerd.grpc.v1.cri\".registry]\n"
       "  config_path = \"/srv/hosts:/srv/more\"\n"},
      {CD "reg.example/hosts.toml", "server = \"https://no.example\"\n"},
      {"srv/more/reg.example/hosts.toml",
       "server = \"https://yes.example\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/srv/more/reg.example/hosts.toml\n"
     "https://yes.example/v2 mpr ns=reg.example repo=x\n"},
    {"containerd, config_path from a version 3 config.toml",
     RUNTIME_CONTAINERD,
     {{"etc/containerd/config.toml",
       "version = 3\n"
       "[plugins.\"io.containerd.cri.v1.images\".registry]\n"
       "  config_path = \"/srv/hosts\"\n"},
      {"srv/hosts/_default/hosts.toml", "server = \"https://d.example\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/srv/hosts/_default/hosts.toml\n"
     "https://d.example/v2 mpr ns=reg.example repo=x\n"},
    {"cri-o, nothing configured", RUNTIME_CRIO, {{0}}, "docker.io",
     "library/busybox",
     "origin=default\n"
     "https://registry-1.docker.io/v2 pr ns=- repo=library/busybox\n"},
    {"cri-o, exact prefix rewrites the repository", RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"reg.example/team/app\"\n"
	   "location = \"mirror.example/app/\"\n"}},
     "reg.example", "team/app",
     "origin=$ROOT/etc/containers/registries.conf\n"
     "https://mirror.example/v2 pr ns=- repo=app\n"},
    {"cri-o, namespace prefix, longest wins", RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"reg.example/team\"\n"
	   "location = \"internal.example/proxy/team\"\n"
	   "[[registry]]\nlocation = \"reg.example\"\ninsecure = true\n"}},
     "reg.example", "team/app",
     "origin=$ROOT/etc/containers/registries.conf\n"
     "https://internal.example/v2 pr ns=- repo=proxy/team/app\n"},
    {"cri-o, a prefix matches whole components only", RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"reg.example/te\"\n"
	   "location = \"other.example\"\n"}},
     "reg.example", "team/app",
     "origin=default\n"
     "https://reg.example/v2 pr ns=- repo=team/app\n"},
    {"cri-o, a host prefix also matches host:port", RUNTIME_CRIO,
     {{RC, "[[registry]]\nlocation = \"reg.example\"\ninsecure = true\n"}},
     "reg.example:5000", "app",
     "origin=$ROOT/etc/containers/registries.conf\n"
     "https://reg.example:5000/v2 prhk ns=- repo=app\n"},
    {"cri-o, wildcard prefix with a mirror", RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"*.example.com\"\n"
	   "[[registry.mirror]]\nlocation = \"cache.internal/ns\"\n"}},
     "sub.example.com", "team/app",
     "origin=$ROOT/etc/containers/registries.conf\n"
     "https://cache.internal/v2 mpr ns=- repo=ns/team/app\n"
     "https://sub.example.com/v2 pr ns=- repo=team/app\n"},
    {"cri-o, blocked", RUNTIME_CRIO,
     {{RC, "[[registry]]\nlocation = \"bad.example\"\nblocked = true\n"}},
     "bad.example", "x",
     "origin=$ROOT/etc/containers/registries.conf blocked\n"},
    {"cri-o, v1 block list", RUNTIME_CRIO,
     {{RC, "[registries.block]\nregistries = [\"bad.example\"]\n"}},
     "bad.example", "x",
     "origin=$ROOT/etc/containers/registries.conf blocked\n"},
    {"cri-o, mirror-by-digest-only, insecure mirror, docker.io",
     RUNTIME_CRIO,
     {{RC, "[[registry]]\nlocation = \"docker.io\"\n"
	   "mirror-by-digest-only = true\n"
	   "[[registry.mirror]]\nlocation = \"mirror.gcr.io\"\n"
	   "insecure = true\n"}},
     "docker.io", "library/busybox",
     "origin=$ROOT/etc/containers/registries.conf\n"
     "https://mirror.gcr.io/v2 mprhkd ns=- repo=library/busybox\n"
     "https://registry-1.docker.io/v2 pr ns=- repo=library/busybox\n"},
    {"cri-o, pull-from-mirror", RUNTIME_CRIO,
     {{RC, "[[registry]]\nlocation = \"reg.example\"\n"
	   "[[registry.mirror]]\nlocation = \"d.example\"\n"
	   "pull-from-mirror = \"digest-only\"\n"
	   "[[registry.mirror]]\nlocation = \"t.example\"\n"
	   "pull-from-mirror = \"tag-only\"\n"
	   "[[registry.mirror]]\nlocation = \"a.example\"\n"
	   "pull-from-mirror = \"all\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containers/registries.conf\n"
     "https://d.example/v2 mprd ns=- repo=x\n"
     "https://t.example/v2 mprt ns=- repo=x\n"
     "https://a.example/v2 mpr ns=- repo=x\n"
     "https://reg.example/v2 pr ns=- repo=x\n"},
    {"cri-o, later drop-ins replace a prefix; first wins in a file",
     RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"reg.example\"\n"
	   "location = \"a.example\"\n"},
      {RD "20-y.conf", "[[registry]]\nprefix = \"reg.example\"\n"
		       "location = \"c.example\"\n"
		       "[[registry]]\nprefix = \"reg.example\"\n"
		       "location = \"e.example\"\n"},
      {RD "10-x.conf", "[[registry]]\nprefix = \"reg.example\"\n"
		       "location = \"b.example\"\n"},
      {RD "30-z.txt", "[[registry]]\nprefix = \"reg.example\"\n"
		      "location = \"d.example\"\n"}},
     "reg.example", "x",
     "origin=$ROOT/etc/containers/registries.conf.d/20-y.conf\n"
     "https://c.example/v2 pr ns=- repo=x\n"},
};

static void test_resolve(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(resolve_cases); i++) {
		const struct resolve_case *c = &resolve_cases[i];
		char *root = test_root(c->files, FILES_MAX);
		struct endpoint_list l;
		struct error err;
		char *got;
		int ret;

		error_init(&err);
		ret = mirrors_resolve(root, c->rt, c->registry, c->repository,
				      &l, &err);
		if (ret != 0)
			fail_msg("%s: error %s", c->name, err.message);
		got = test_render(&l, root);
		if (strcmp(got, c->expected) != 0)
			fail_msg("%s:\nexpected:\n%sgot:\n%s", c->name,
				 c->expected, got);
		free(got);
		endpoint_list_release(&l);
		test_root_free(root);
	}
}

struct error_case {
	const char *name;
	enum runtime_kind rt;
	struct file files[FILES_MAX];
	const char *registry;
	enum error_category category;
	const char *message;  /* $ROOT for the root; a final '*': prefix */
};

static const struct error_case error_cases[] = {
    {"containerd, unknown capability", RUNTIME_CONTAINERD,
     {{CD "r.example/hosts.toml",
       "[host.\"https://m.example\"]\ncapabilities = [\"pull\", \"fly\"]\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containerd/certs.d/r.example/hosts.toml' line 2: unknown "
     "capability 'fly': expected pull, resolve or push"},
    {"containerd, skip_verify of the wrong type", RUNTIME_CONTAINERD,
     {{CD "r.example/hosts.toml", "\nskip_verify = \"yes\"\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containerd/certs.d/r.example/hosts.toml' line 2: "
     "'skip_verify' must be a boolean"},
    {"containerd, server without host", RUNTIME_CONTAINERD,
     {{CD "r.example/hosts.toml", "server = \"http:///v2\"\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containerd/certs.d/r.example/hosts.toml': invalid server "
     "'http:///v2': no host"},
    {"containerd, client pair of three", RUNTIME_CONTAINERD,
     {{CD "r.example/hosts.toml",
       "[host.\"https://m.example\"]\nclient = [[\"a\", \"b\", \"c\"]]\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containerd/certs.d/r.example/hosts.toml' line 2: invalid "
     "pair for 'client': expected [cert, key]"},
    {"containerd, malformed hosts.toml", RUNTIME_CONTAINERD,
     {{CD "r.example/hosts.toml", "server = \"https://a\"\n[host\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containerd/certs.d/r.example/hosts.toml' line 2: *"},
    {"containerd, malformed config.toml", RUNTIME_CONTAINERD,
     {{"etc/containerd/config.toml", "version = 2\nversion = 3\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containerd/config.toml' line 2: *"},
    {"cri-o, location with a scheme", RUNTIME_CRIO,
     {{RC, "\n[[registry]]\nlocation = \"https://r.example\"\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf' line 2: invalid location "
     "'https://r.example': URI schemes are not supported"},
    {"cri-o, bad pull-from-mirror", RUNTIME_CRIO,
     {{RC, "[[registry]]\nlocation = \"r.example\"\n"
	   "[[registry.mirror]]\nlocation = \"m.example\"\n"
	   "pull-from-mirror = \"sometimes\"\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf' line 3: unsupported "
     "pull-from-mirror value 'sometimes': expected all, digest-only or "
     "tag-only"},
    {"cri-o, pull-from-mirror with mirror-by-digest-only", RUNTIME_CRIO,
     {{RC, "[[registry]]\nlocation = \"r.example\"\n"
	   "mirror-by-digest-only = true\n"
	   "[[registry.mirror]]\nlocation = \"m.example\"\n"
	   "pull-from-mirror = \"all\"\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf' line 4: mirror-by-digest-only "
     "of 'r.example' and pull-from-mirror of 'm.example' set together"},
    {"cri-o, pull-from-mirror on the registry", RUNTIME_CRIO,
     {{RC, "[[registry]]\nlocation = \"r.example\"\n"
	   "pull-from-mirror = \"all\"\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf' line 1: pull-from-mirror "
     "must not be set for the registry 'r.example' itself, only its "
     "mirrors"},
    {"cri-o, neither prefix nor location", RUNTIME_CRIO,
     {{RC, "[[registry]]\ninsecure = true\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf' line 1: both location and "
     "prefix are unset"},
    {"cri-o, wildcard with a path", RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"*.example.com/x\"\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf' line 1: wildcard prefix "
     "'*.example.com/x' must be like *.example.com"},
    {"cri-o, conflicting insecure", RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"a.example\"\nlocation = \"r.example\"\n"
	   "[[registry]]\nlocation = \"r.example\"\ninsecure = true\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf': registry 'r.example' is "
     "defined twice with conflicting 'insecure'"},
    {"cri-o, v1 in a drop-in", RUNTIME_CRIO,
     {{RD "a.conf", "[registries.insecure]\nregistries = [\"x\"]\n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf.d/a.conf' line 1: a drop-in "
     "must be in the v2 format, not v1"},
    {"cri-o, malformed drop-in", RUNTIME_CRIO,
     {{RD "a.conf", "[[registry]]\nlocation = \n"}},
     "r.example", ERROR_FORMAT,
     "'$ROOT/etc/containers/registries.conf.d/a.conf' line 2: *"},
    {"cri-o, rewrite leaves no repository", RUNTIME_CRIO,
     {{RC, "[[registry]]\nprefix = \"r.example/app\"\n"
	   "location = \"m.example\"\n"}},
     "r.example", ERROR_FORMAT,
     "rewriting 'r.example/app' with location 'm.example' leaves no "
     "repository"},
};

/* The expected message with the root put in; *n: length to compare. */
static char *test_expected(const char *m, const char *root, size_t *n)
{
	const char *at = strstr(m, "$ROOT");
	char *exp = at ? xasprintf("%.*s%s%s", (int)(at - m), m, root, at + 5)
		       : xstrdup(m);

	*n = strlen(exp);
	if (*n && exp[*n - 1] == '*')
		(*n)--;
	return exp;
}

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		char *root = test_root(c->files, FILES_MAX), *exp;
		struct endpoint_list l;
		struct error err;
		size_t n;
		int ret;

		error_init(&err);
		ret = mirrors_resolve(root, c->rt, c->registry, "app", &l,
				      &err);
		endpoint_list_release(&l);
		exp = test_expected(c->message, root, &n);
		if (ret != -1 || err.category != c->category ||
		    strncmp(err.message, exp, n) != 0 ||
		    (exp[n] != '*' && err.message[n]))
			fail_msg("%s:\nexpected: %d %s\ngot:      %d %d %s",
				 c->name, c->category, exp, ret, err.category,
				 err.message);
		free(exp);
		test_root_free(root);
	}
}

static void test_containerd_config(void **state)
{
	static const struct file v2[] = {
	    {"etc/containerd/config.toml",
	     "version = 2\n"
	     "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
	     "  sandbox_image = \"registry.k8s.io/pause:3.9\"\n"
	     "[plugins.\"io.containerd.grpc.v1.cri\".registry]\n"
	     "  config_path = \"/etc/containerd/certs.d\"\n"
	     "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors."
	     "\"docker.io\"]\n"
	     "  endpoint = [\"https://m.example\"]\n"
	     "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs."
	     "\"r.example:5000\".auth]\n"
	     "  username = \"u\"\n  password = \"p4ss\"\n"
	     "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs."
	     "\"r.example:5000\".tls]\n"
	     "  ca_file = \"/ca.pem\"\n  insecure_skip_verify = true\n"}};
	static const struct file v3[] = {
	    {"etc/containerd/config.toml",
	     "version = 3\n"
	     "[plugins.\"io.containerd.cri.v1.images\".pinned_images]\n"
	     "  sandbox = \"registry.k8s.io/pause:3.10\"\n"
	     "[plugins.\"io.containerd.cri.v1.images\".registry]\n"
	     "  config_path = \"/a:/b\"\n"}};
	static const struct file v1[] = {
	    {"etc/containerd/config.toml",
	     "[plugins.cri]\n  sandbox_image = \"k8s.gcr.io/pause:3.2\"\n"}};
	struct containerd_config c;
	struct error err;
	char *root;

	(void)state;
	error_init(&err);
	root = test_root(v2, COUNT(v2));
	assert_int_equal(mirrors_containerd_config(root, &c, &err), 0);
	assert_true(c.found);
	assert_int_equal(c.version, 2);
	assert_string_equal(c.config_path, "/etc/containerd/certs.d");
	assert_string_equal(c.sandbox_image, "registry.k8s.io/pause:3.9");
	assert_true(c.legacy_mirrors);
	assert_int_equal(c.registry_count, 1);
	assert_string_equal(c.registries[0].host, "r.example:5000");
	assert_string_equal(c.registries[0].username, "u");
	assert_string_equal(c.registries[0].password, "p4ss");
	assert_null(c.registries[0].auth);
	assert_string_equal(c.registries[0].ca_file, "/ca.pem");
	assert_true(c.registries[0].insecure_skip_verify);
	containerd_config_release(&c);
	test_root_free(root);

	root = test_root(v3, COUNT(v3));
	assert_int_equal(mirrors_containerd_config(root, &c, &err), 0);
	assert_int_equal(c.version, 3);
	assert_string_equal(c.config_path, "/a:/b");
	assert_string_equal(c.sandbox_image, "registry.k8s.io/pause:3.10");
	assert_false(c.legacy_mirrors);
	containerd_config_release(&c);
	test_root_free(root);

	root = test_root(v1, COUNT(v1));
	assert_int_equal(mirrors_containerd_config(root, &c, &err), 0);
	assert_int_equal(c.version, 1);
	assert_null(c.config_path);
	assert_string_equal(c.sandbox_image, "k8s.gcr.io/pause:3.2");
	containerd_config_release(&c);
	test_root_free(root);

	root = test_root(NULL, 0);
	assert_int_equal(mirrors_containerd_config(root, &c, &err), 0);
	assert_false(c.found);
	assert_null(c.sandbox_image);
	containerd_config_release(&c);
	test_root_free(root);
}

/* A secret of the wrong type is named by its key, never its value. */
static void test_containerd_config_secret(void **state)
{
	static const struct file bad[] = {
	    {"etc/containerd/config.toml",
	     "version = 2\n"
	     "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs."
	     "\"r.example\".auth]\n"
	     "  password = 987654321\n"}};
	struct containerd_config c;
	struct error err;
	char *root = test_root(bad, COUNT(bad)), *want;

	(void)state;
	error_init(&err);
	assert_int_equal(mirrors_containerd_config(root, &c, &err), -1);
	want = xasprintf("'%s/etc/containerd/config.toml' line 3: 'password' "
			 "must be a string", root);
	assert_string_equal(err.message, want);
	assert_null(strstr(err.message, "987654321"));
	free(want);
	containerd_config_release(&c);
	test_root_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_containerd_config),
	    cmocka_unit_test(test_containerd_config_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
