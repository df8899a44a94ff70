/* Unit tests for the strict TOML subset reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/toml.h"

/* containerd 1.x config.toml, version 2, as kubeadm guides write it. */
static const char containerd_v2[] =
	"version = 2\n"
	"root = \"/var/lib/containerd\"\n"
	"state = \"/run/containerd\"\n"
	"oom_score = 0\n"
	"\n"
	"[grpc]\n"
	"  address = \"/run/containerd/containerd.sock\"\n"
	"  max_recv_message_size = 16777216\n"
	"\n"
	"[plugins]\n"
	"  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
	"    sandbox_image = \"registry.k8s.io/pause:3.9\"\n"
	"    max_container_log_line_size = -1\n"
	"    [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
	"      default_runtime_name = \"runc\"\n"
	"      snapshotter = \"overlayfs\"\n"
	"      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
	"        runtime_type = \"io.containerd.runc.v2\"\n"
	"        [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
	"          SystemdCgroup = true\n"
	"    [plugins.\"io.containerd.grpc.v1.cri\".registry]\n"
	"      config_path = \"/etc/containerd/certs.d\"  # hosts.toml dirs\n"
	"      [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n"
	"        endpoint = [\"https://mirror.local:5000\",\n"
	"                    \"https://registry-1.docker.io\"]\n"
	"      [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"mirror.local:5000\".tls]\n"
	"        insecure_skip_verify = true\n"
	"      [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"mirror.local:5000\".auth]\n"
	"        username = \"puller\"\n"
	"        password = \"hunter2\"\n";

/* containerd 2.x config.toml, version 3, with literal-string keys. */
static const char containerd_v3[] =
	"version = 3\n"
	"root = '/var/lib/containerd'\n"
	"\n"
	"[plugins.'io.containerd.cri.v1.images']\n"
	"  snapshotter = 'overlayfs'\n"
	"  [plugins.'io.containerd.cri.v1.images'.pinned_images]\n"
	"    sandbox = 'registry.k8s.io/pause:3.10'\n"
	"  [plugins.'io.containerd.cri.v1.images'.registry]\n"
	"    config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n"
	"\n"
	"[plugins.'io.containerd.cri.v1.runtime']\n"
	"  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n"
	"    SystemdCgroup = true\n"
	"\n"
	"[plugins.\"io.containerd.transfer.v1.local\"]\n"
	"  [[plugins.\"io.containerd.transfer.v1.local\".unpack_config]]\n"
	"    platform = \"linux/amd64\"\n"
	"    snapshotter = \"overlayfs\"\n"
	"  [[plugins.\"io.containerd.transfer.v1.local\".unpack_config]]\n"
	"    platform = \"linux/arm64\"\n"
	"    snapshotter = \"overlayfs\"\n";

/* /etc/containerd/certs.d/docker.io/hosts.toml */
static const char hosts_toml[] =
	"server = \"https://registry-1.docker.io\"\n"
	"\n"
	"[host.\"https://mirror:5000\"]\n"
	"  capabilities = [\"pull\", \"resolve\"]\n"
	"  ca = \"/etc/certs/mirror.pem\"\n"
	"  client = [[\"/etc/certs/client.cert\", \"/etc/certs/client.key\"]]\n"
	"  skip_verify = false\n"
	"  override_path = true\n"
	"  [host.\"https://mirror:5000\".header]\n"
	"    x-custom-2 = [\"value1\", \"value2\"]\n"
	"    x = [\"y\"]\n"
	"\n"
	"[host.\"http://[::1]:5001\"]\n"
	"  capabilities = [\"pull\"]\n"
	"  skip_verify = true\n";

/* containers-registries.conf(5), version 2. */
static const char registries_conf[] =
	"unqualified-search-registries = [\"registry.fedoraproject.org\", "
	"\"docker.io\"]\n"
	"short-name-mode = \"enforcing\"\n"
	"\n"
	"[[registry]]\n"
	"prefix = \"example.com/foo\"\n"
	"insecure = false\n"
	"blocked = false\n"
	"location = \"internal-registry-for-example.com/bar\"\n"
	"\n"
	"[[registry.mirror]]\n"
	"location = \"example-mirror-0.local/mirror-for-foo\"\n"
	"\n"
	"[[registry.mirror]]\n"
	"location = \"example-mirror-1.local/mirrors/foo\"\n"
	"insecure = true\n"
	"\n"
	"[[registry]]\n"
	"location = \"registry.example.org\"\n"
	"mirror = [ { location = \"m.example.org\", "
	"pull-from-mirror = \"digest-only\" } ]\n"
	"\n"
	"[aliases]\n"
	"\"fedora\" = \"registry.fedoraproject.org/fedora\"\n";

/* The syntax the files above do not show. */
static const char syntax_toml[] =
	"\xef\xbb\xbf# a byte order mark, then a comment\r\n"
	"esc = \"tab\\there \\\"q\\\" back\\\\ \\b\\f\\r\\n\"\r\n"
	"uni = \"caf\\u00e9 \\U0001F600\"\n"
	"lit = 'C:\\path\\\"x\"'\n"
	"ml = \"\"\"\n"
	"one\n"
	"two \\\n"
	"     three\"\"\"\n"
	"mlq = \"\"\"\"x\"\"\"\"\"\n"
	"mll = '''\n"
	"raw \\n '' kept'''\n"
	"tab = \"a\tb\"\n"
	"str = ''''That,' she said, 'is still pointless.''''\n"
	"q5 = '''five: \"\"\"\"\"'''\n"
	"dec = 1_000\n"
	"pos = +99\n"
	"neg = -17\n"
	"zero = -0\n"
	"hex = 0xDEAD_beef\n"
	"oct = 0o755\n"
	"bin = 0b1101\n"
	"max = 9223372036854775807\n"
	"min = -9223372036854775808\n"
	"yes = true\n"
	"no = false\n"
	"arr = [\n"
	"  1,    # a comment\n"
	"  \"two\", [3], {x = 4},\n"
	"  # another\n"
	"]\n"
	"empty = []\n"
	"it = { a = 1, b.c = \"x\", d = [1,\n"
	"  2] }\n"
	"none = {}\n"
	"a . b . c = 1\n"
	"a.b.d = 2\n"
	"site.\"google.com\" = true\n"
	"\"127.0.0.1\" = \"v\"\n"
	"'key2' = 2\n"
	"\"\" = \"blank\"\n"
	"1234 = \"bare digits\"\n"
	"[ t . \"x.y\" . z ]  # spaced header\n"
	"k = 1\n"
	"[t]\n"
	"later = true\n"
	"[fruit]\n"
	"apple.color = \"red\"\n"
	"[fruit.apple.texture]\n"
	"smooth = true\n"
	"[[fruits]]\n"
	"name = \"apple\"\n"
	"[fruits.physical]\n"
	"color = \"red\"\n"
	"[[fruits.varieties]]\n"
	"name = \"red delicious\"\n"
	"[[fruits.varieties]]\n"
	"name = \"granny smith\"\n"
	"[[fruits]]\n"
	"name = \"banana\"\n";

struct toml_check {
	const char *path;   /* keys split by '|', "#N" for element N */
	const char *want;   /* s:string i:integer b:bool t:members a:elems */
};

struct toml_valid_case {
	const char *name;
	const char *text;
	struct toml_check checks[32];
};

static const struct toml_valid_case valid_cases[] = {
	{ "containerd v2", containerd_v2, {
		{ "version", "i:2" },
		{ "root", "s:/var/lib/containerd" },
		{ "grpc|max_recv_message_size", "i:16777216" },
		{ "plugins", "t:1" },
		{ "plugins|io.containerd.grpc.v1.cri|sandbox_image",
		  "s:registry.k8s.io/pause:3.9" },
		{ "plugins|io.containerd.grpc.v1.cri|"
		  "max_container_log_line_size", "i:-1" },
		{ "plugins|io.containerd.grpc.v1.cri|registry|config_path",
		  "s:/etc/containerd/certs.d" },
		{ "plugins|io.containerd.grpc.v1.cri|registry|mirrors|"
		  "docker.io|endpoint|#1", "s:https://registry-1.docker.io" },
		{ "plugins|io.containerd.grpc.v1.cri|registry|configs|"
		  "mirror.local:5000|tls|insecure_skip_verify", "b:true" },
		{ "plugins|io.containerd.grpc.v1.cri|containerd|runtimes|"
		  "runc|options|SystemdCgroup", "b:true" },
		{ "plugins|io.containerd.grpc.v1.cri|containerd|runtimes|"
		  "runc|runtime_type", "s:io.containerd.runc.v2" },
		{ "plugins|io.containerd.grpc.v1.cri|registry", "t:3" },
	} },
	{ "containerd v3", containerd_v3, {
		{ "version", "i:3" },
		{ "plugins", "t:3" },
		{ "plugins|io.containerd.cri.v1.images|registry|config_path",
		  "s:/etc/containerd/certs.d:/etc/docker/certs.d" },
		{ "plugins|io.containerd.cri.v1.images|pinned_images|sandbox",
		  "s:registry.k8s.io/pause:3.10" },
		{ "plugins|io.containerd.cri.v1.runtime|containerd|runtimes|"
		  "runc|options|SystemdCgroup", "b:true" },
		{ "plugins|io.containerd.transfer.v1.local|unpack_config",
		  "a:2" },
		{ "plugins|io.containerd.transfer.v1.local|unpack_config|#1|"
		  "platform", "s:linux/arm64" },
	} },
	{ "hosts.toml", hosts_toml, {
		{ "server", "s:https://registry-1.docker.io" },
		{ "host", "t:2" },
		{ "host|https://mirror:5000|capabilities", "a:2" },
		{ "host|https://mirror:5000|capabilities|#0", "s:pull" },
		{ "host|https://mirror:5000|capabilities|#1", "s:resolve" },
		{ "host|https://mirror:5000|ca", "s:/etc/certs/mirror.pem" },
		{ "host|https://mirror:5000|client|#0|#0",
		  "s:/etc/certs/client.cert" },
		{ "host|https://mirror:5000|client|#0|#1",
		  "s:/etc/certs/client.key" },
		{ "host|https://mirror:5000|skip_verify", "b:false" },
		{ "host|https://mirror:5000|override_path", "b:true" },
		{ "host|https://mirror:5000|header|x|#0", "s:y" },
		{ "host|https://mirror:5000|header|x-custom-2|#1",
		  "s:value2" },
		{ "host|http://[::1]:5001|skip_verify", "b:true" },
	} },
	{ "registries.conf", registries_conf, {
		{ "unqualified-search-registries|#1", "s:docker.io" },
		{ "short-name-mode", "s:enforcing" },
		{ "registry", "a:2" },
		{ "registry|#0|prefix", "s:example.com/foo" },
		{ "registry|#0|insecure", "b:false" },
		{ "registry|#0|mirror", "a:2" },
		{ "registry|#0|mirror|#0|location",
		  "s:example-mirror-0.local/mirror-for-foo" },
		{ "registry|#0|mirror|#1|insecure", "b:true" },
		{ "registry|#1|location", "s:registry.example.org" },
		{ "registry|#1|mirror|#0|pull-from-mirror", "s:digest-only" },
		{ "aliases|fedora", "s:registry.fedoraproject.org/fedora" },
	} },
	{ "syntax", syntax_toml, {
		{ "esc", "s:tab\there \"q\" back\\ \b\f\r\n" },
		{ "uni", "s:caf\xc3\xa9 \xf0\x9f\x98\x80" },
		{ "lit", "s:C:\\path\\\"x\"" },
		{ "ml", "s:one\ntwo three" },
		{ "mlq", "s:\"x\"\"" },
		{ "mll", "s:raw \\n '' kept" },
		{ "tab", "s:a\tb" },
		{ "dec", "i:1000" },
		{ "pos", "i:99" },
		{ "zero", "i:0" },
		{ "hex", "i:3735928559" },
		{ "oct", "i:493" },
		{ "bin", "i:13" },
		{ "max", "i:9223372036854775807" },
		{ "min", "i:-9223372036854775808" },
		{ "arr|#3|x", "i:4" },
		{ "arr", "a:4" },
		{ "it|b|c", "s:x" },
		{ "it|d|#1", "i:2" },
		{ "a|b", "t:2" },
		{ "site|google.com", "b:true" },
		{ "127.0.0.1", "s:v" },
		{ "|", "s:blank" },
		{ "t|x.y|z|k", "i:1" },
	} },
	{ "syntax, tables", syntax_toml, {
		{ "t|later", "b:true" },
		{ "str", "s:'That,' she said, 'is still pointless.'" },
		{ "q5", "s:five: \"\"\"\"\"" },
		{ "1234", "s:bare digits" },
		{ "key2", "i:2" },
		{ "none", "t:0" },
		{ "empty", "a:0" },
		{ "neg", "i:-17" },
		{ "no", "b:false" },
		{ "fruit|apple|color", "s:red" },
		{ "fruit|apple|texture|smooth", "b:true" },
		{ "fruits", "a:2" },
		{ "fruits|#0|physical|color", "s:red" },
		{ "fruits|#0|varieties|#1|name", "s:granny smith" },
		{ "fruits|#1|name", "s:banana" },
	} },
};

/* Follow a '|'-separated path; "|" alone names the empty key. */
static const struct toml *toml_test_walk(const struct toml *v,
					 const char *path)
{
	char part[256];
	const char *p = path, *bar;
	size_t n;

	if (!strcmp(path, "|"))
		return toml_get(v, "");
	while (v && *p) {
		bar = strchr(p, '|');
		n = bar ? (size_t)(bar - p) : strlen(p);
		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		if (part[0] == '#')
			v = toml_at(v, (size_t)atoi(part + 1));
		else
			v = toml_get(v, part);
		p += n + (bar != NULL);
	}
	return v;
}

/* A value as the checks write it; the caller frees. */
static char *toml_test_render(const struct toml *v)
{
	if (!v)
		return xstrdup("(missing)");
	switch (toml_type(v)) {
	case TOML_STRING:
		return xasprintf("s:%s", toml_string(v, NULL));
	case TOML_INTEGER:
		return xasprintf("i:%lld", toml_integer(v, 0));
	case TOML_BOOLEAN:
		return xasprintf("b:%s", toml_boolean(v, 0) ? "true" : "false");
	case TOML_TABLE:
		return xasprintf("t:%zu", toml_count(v));
	case TOML_ARRAY:
		return xasprintf("a:%zu", toml_count(v));
	}
	return xstrdup("(bad type)");
}

static void test_toml_valid(void **state)
{
	const struct toml_valid_case *c;
	const struct toml_check *k;
	struct error err;
	struct toml *root;
	char *got;

	(void)state;
	for (c = valid_cases; c < valid_cases + sizeof(valid_cases) /
	     sizeof(valid_cases[0]); c++) {
		error_init(&err);
		root = toml_parse(c->text, strlen(c->text), c->name, &err);
		if (!root)
			fail_msg("%s: parse failed: %s", c->name, err.message);
		for (k = c->checks; k->path; k++) {
			got = toml_test_render(toml_test_walk(root, k->path));
			if (strcmp(got, k->want))
				fail_msg("%s: '%s': want '%s', got '%s'",
					 c->name, k->path, k->want, got);
			free(got);
		}
		toml_free(root);
	}
}

struct toml_error_case {
	const char *text;
	size_t len;         /* 0: strlen(text) */
	const char *want;   /* the whole message */
};

static const struct toml_error_case error_cases[] = {
	{ "a = 1\na = 2\n", 0, "'t.toml' line 2: duplicate key 'a'" },
	{ "[a]\nx = 1\n[a]\n", 0,
	  "'t.toml' line 3: table 'a' is already defined" },
	{ "a = 1 b = 2\n", 0,
	  "'t.toml' line 1: expected a newline after the value, found 'b'" },
	{ "a = 1.5\n", 0, "'t.toml' line 1: floats are not supported" },
	{ "a = 1e3\n", 0, "'t.toml' line 1: floats are not supported" },
	{ "a = -inf\n", 0, "'t.toml' line 1: floats are not supported" },
	{ "a = nan\n", 0, "'t.toml' line 1: floats are not supported" },
	{ "d = 1979-05-27\n", 0,
	  "'t.toml' line 1: dates and times are not supported" },
	{ "d = 1979-05-27T07:32:00Z\n", 0,
	  "'t.toml' line 1: dates and times are not supported" },
	{ "\nt = 07:32:00\n", 0,
	  "'t.toml' line 2: dates and times are not supported" },
	{ "a = \"abc", 0, "'t.toml' line 1: unterminated string" },
	{ "a = \"abc\nb = 1\n", 0, "'t.toml' line 1: unterminated string" },
	{ "a = 'abc\n", 0, "'t.toml' line 1: unterminated string" },
	{ "a = \"\"\"abc\n\n", 0, "'t.toml' line 3: unterminated "
	  "multi-line string (opened on line 1)" },
	{ "a = '''abc", 0, "'t.toml' line 1: unterminated "
	  "multi-line string (opened on line 1)" },
	{ "a = [1,\n2\n", 0,
	  "'t.toml' line 3: unterminated array (opened on line 1)" },
	{ "a = {x = 1,}\n", 0,
	  "'t.toml' line 1: trailing comma in an inline table" },
	{ "a = {x = 1\n}\n", 0, "'t.toml' line 1: expected ',' or '}' in "
	  "an inline table, found the end of the line" },
	{ "a = {\n}\n", 0,
	  "'t.toml' line 1: expected a key, found the end of the line" },
	{ "a = \"\\q\"\n", 0,
	  "'t.toml' line 1: invalid escape: backslash before 'q'" },
	{ "a = \"\\x41\"\n", 0,
	  "'t.toml' line 1: invalid escape: backslash before 'x'" },
	{ "a = \"\\u12\"\n", 0,
	  "'t.toml' line 1: escape '\\u' needs 4 hex digits" },
	{ "a = \"\\U0001F60\"\n", 0,
	  "'t.toml' line 1: escape '\\U' needs 8 hex digits" },
	{ "a = \"\\uD800\"\n", 0,
	  "'t.toml' line 1: escape '\\uD800' is not a unicode scalar value" },
	{ "a = \"\\U00110000\"\n", 0, "'t.toml' line 1: escape "
	  "'\\U00110000' is not a unicode scalar value" },
	{ "a = \"\\u0000\"\n", 0,
	  "'t.toml' line 1: escape for NUL is not supported" },
	{ "a = \"x\x01\"\n", 0,
	  "'t.toml' line 1: control character in a string" },
	{ "a = 'x\x7f'\n", 0,
	  "'t.toml' line 1: control character in a string" },
	{ "a = \"\"\"x\ry\"\"\"\n", 0,
	  "'t.toml' line 1: control character in a string" },
	{ "a = 1\n# c\x1b[2J\n", 0,
	  "'t.toml' line 2: control character in a comment" },
	{ "a = 1\nb = 2\0\n", 12, "'t.toml' line 2: NUL byte" },
	{ "a = \"\xc3\x28\"\n", 0, "'t.toml' line 1: invalid UTF-8" },
	{ "\n\na = \"\xc0\xaf\"\n", 0, "'t.toml' line 3: invalid UTF-8" },
	{ "a = \"\xed\xa0\x80\"\n", 0, "'t.toml' line 1: invalid UTF-8" },
	{ "a = \"\xf4\x90\x80\x80\"\n", 0, "'t.toml' line 1: invalid UTF-8" },
	{ "a = \"\xe2\x82\"", 0, "'t.toml' line 1: invalid UTF-8" },
	{ "a = 9223372036854775808\n", 0,
	  "'t.toml' line 1: integer out of 64-bit range" },
	{ "a = -9223372036854775809\n", 0,
	  "'t.toml' line 1: integer out of 64-bit range" },
	{ "a = 0x8000000000000000\n", 0,
	  "'t.toml' line 1: integer out of 64-bit range" },
	{ "a = 01\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = 1__0\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = 1_\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = 0x_1\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = +0x1\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = 0X1\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = 0b102\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = 0o\n", 0, "'t.toml' line 1: invalid integer" },
	{ "a = _1\n", 0,
	  "'t.toml' line 1: invalid value (a string needs quotes)" },
	{ "password = hunter2\n", 0,
	  "'t.toml' line 1: invalid value (a string needs quotes)" },
	{ "a = TRUE\n", 0,
	  "'t.toml' line 1: invalid value (a string needs quotes)" },
	{ "a = \n", 0, "'t.toml' line 1: expected a value" },
	{ "a =", 0, "'t.toml' line 1: expected a value" },
	{ "a.b = 1\na = 2\n", 0, "'t.toml' line 2: duplicate key 'a'" },
	{ "a.b = 1\na.b = 2\n", 0, "'t.toml' line 2: duplicate key 'a.b'" },
	{ "\"a\" = 1\n'a' = 2\n", 0, "'t.toml' line 2: duplicate key 'a'" },
	{ "a = 1\na.b = 2\n", 0, "'t.toml' line 2: key 'a' is not a table" },
	{ "[a.b]\nx = 1\n[a]\nb.y = 2\n", 0, "'t.toml' line 4: table 'b' "
	  "is defined elsewhere; a dotted key cannot add to it" },
	{ "[fruit]\napple.color = 'red'\n[fruit.apple]\n", 0,
	  "'t.toml' line 3: table 'fruit.apple' is already defined" },
	{ "a.b.c = 1\n[a.b]\n", 0,
	  "'t.toml' line 2: table 'a.b' is already defined" },
	{ "a = {x = 1}\n[a.b]\n", 0,
	  "'t.toml' line 2: inline table 'a' cannot be extended" },
	{ "a = {x = 1}\n[a]\n", 0,
	  "'t.toml' line 2: table 'a' is already defined" },
	{ "a = {x = 1}\na.y = 2\n", 0,
	  "'t.toml' line 2: inline table 'a' cannot be extended" },
	{ "a = {b = {c = 1}, b.d = 2}\n", 0,
	  "'t.toml' line 1: inline table 'b' cannot be extended" },
	{ "a = {x = 1, x = 2}\n", 0, "'t.toml' line 1: duplicate key 'x'" },
	{ "[[a]]\n[a]\n", 0, "'t.toml' line 2: table 'a' is already defined" },
	{ "[a]\n[[a]]\n", 0,
	  "'t.toml' line 2: key 'a' is not an array of tables" },
	{ "a = [1]\n[[a]]\n", 0,
	  "'t.toml' line 2: key 'a' is not an array of tables" },
	{ "a = [{}]\n[a.b]\n", 0, "'t.toml' line 2: key 'a' is not a table" },
	{ "[a]\nb = 1\n[a.b]\n", 0,
	  "'t.toml' line 3: key 'a.b' is not a table" },
	{ "[a]\nb = 1\n[a.b.c]\n", 0,
	  "'t.toml' line 3: key 'a.b' is not a table" },
	{ "[a\n", 0, "'t.toml' line 1: expected ']' to close the header, "
	  "found the end of the line" },
	{ "[[a]\n", 0, "'t.toml' line 1: expected ']]' to close the "
	  "header, found the end of the line" },
	{ "[[a] ]\n", 0, "'t.toml' line 1: expected ']]' to close the "
	  "header, found ' '" },
	{ "[]\n", 0, "'t.toml' line 1: expected a key, found ']'" },
	{ "[a] x = 1\n", 0,
	  "'t.toml' line 1: expected a newline after the header, found 'x'" },
	{ "= 1\n", 0, "'t.toml' line 1: expected a key, found '='" },
	{ "a.=1\n", 0, "'t.toml' line 1: expected a key, found '='" },
	{ "a 1\n", 0, "'t.toml' line 1: expected '=' after key 'a', "
	  "found '1'" },
	{ "a\n", 0, "'t.toml' line 1: expected '=' after key 'a', "
	  "found the end of the line" },
	{ "\"\"\"a\"\"\" = 1\n", 0,
	  "'t.toml' line 1: a key cannot be a multi-line string" },
	{ "a = [1 2]\n", 0,
	  "'t.toml' line 1: expected ',' or ']' in an array, found '2'" },
	{ "a = [,]\n", 0, "'t.toml' line 1: expected a value" },
	{ "a = 1\r", 0, "'t.toml' line 1: expected a newline after the "
	  "value, found a carriage return without a line feed" },
	{ "a = '''x''''''\n", 0,
	  "'t.toml' line 1: too many quotes ending a string" },
	{ "a = \"\"\"x\\ y\"\"\"\n", 0,
	  "'t.toml' line 1: invalid escape: backslash before ' '" },
	{ "a = \"x\" # fine\nb = 'y\x01'\n", 0,
	  "'t.toml' line 2: control character in a string" },
	{ "a = \"caf\xc3\xa9\" x\n", 0,
	  "'t.toml' line 1: expected a newline after the value, found 'x'" },
	{ "\xc3\xa9 = 1\n", 0,
	  "'t.toml' line 1: expected a key, found '\\xc3'" },
};

static void test_toml_errors(void **state)
{
	const struct toml_error_case *c;
	struct error err;
	struct toml *root;

	(void)state;
	for (c = error_cases; c < error_cases + sizeof(error_cases) /
	     sizeof(error_cases[0]); c++) {
		error_init(&err);
		root = toml_parse(c->text, c->len ? c->len : strlen(c->text),
				  "t.toml", &err);
		if (root)
			fail_msg("'%s': parsed, want '%s'", c->text, c->want);
		if (strcmp(err.message, c->want))
			fail_msg("'%s':\nwant '%s'\ngot  '%s'", c->text,
				 c->want, err.message);
		if (err.category != ERROR_FORMAT)
			fail_msg("'%s': category %s", c->text,
				 error_category_name(err.category));
	}
}

/* Parse text that must fail with a named limit; frees text. */
static void toml_test_limit(char *text, size_t len, const char *want)
{
	struct error err;
	struct toml *root;

	error_init(&err);
	root = toml_parse(text, len, "t.toml", &err);
	if (root)
		fail_msg("parsed, want '%s'", want);
	if (strcmp(err.message, want) || err.category != ERROR_LIMIT)
		fail_msg("want '%s' (limit), got '%s' (%s)", want,
			 err.message, error_category_name(err.category));
	free(text);
}

/* Parse text that must succeed; frees text. */
static void toml_test_ok(char *text, size_t len)
{
	struct error err;
	struct toml *root;

	error_init(&err);
	root = toml_parse(text, len, "t.toml", &err);
	if (!root)
		fail_msg("want success, got '%s'", err.message);
	toml_free(root);
	free(text);
}

/* "a = " and n opening brackets, then n closing ones. */
static char *toml_test_nested(int n, char open, char close)
{
	char *s = xmalloc(4 + 2 * (size_t)n + 2);
	int i;

	memcpy(s, "a = ", 4);
	for (i = 0; i < n; i++) {
		s[4 + i] = open;
		s[4 + n + i] = close;
	}
	s[4 + 2 * n] = '\n';
	s[5 + 2 * n] = '\0';
	return s;
}

static void test_toml_limits(void **state)
{
	struct buf b;
	char *s;
	int i;

	(void)state;
	s = toml_test_nested(TOML_DEPTH_MAX, '[', ']');
	toml_test_ok(s, strlen(s));
	s = toml_test_nested(TOML_DEPTH_MAX + 1, '[', ']');
	toml_test_limit(s, strlen(s), "'t.toml' line 1: arrays and inline "
			"tables nested deeper than 32 (TOML_DEPTH_MAX)");
	/* a = {a = {a = ... }}: inline tables count too */
	buf_init(&b);
	for (i = 0; i <= TOML_DEPTH_MAX; i++)
		buf_append(&b, "a = {", 5, SIZE_MAX, "test", NULL);
	for (i = 0; i <= TOML_DEPTH_MAX; i++)
		buf_append(&b, "}", 1, SIZE_MAX, "test", NULL);
	toml_test_limit(buf_detach(&b), strlen("a = {") *
			(TOML_DEPTH_MAX + 1) + TOML_DEPTH_MAX + 1,
			"'t.toml' line 1: arrays and inline tables nested "
			"deeper than 32 (TOML_DEPTH_MAX)");

	buf_init(&b);
	for (i = 0; i <= TOML_DEPTH_MAX; i++)
		buf_append(&b, "k.", 2, SIZE_MAX, "test", NULL);
	buf_append(&b, "k = 1\n", 6, SIZE_MAX, "test", NULL);
	toml_test_limit(buf_detach(&b), 2 * (TOML_DEPTH_MAX + 1) + 6,
			"'t.toml' line 1: key has more than 32 parts "
			"(TOML_DEPTH_MAX)");

	s = xmalloc(TOML_STRING_MAX + 16);
	memcpy(s, "a = \"", 5);
	memset(s + 5, 'x', TOML_STRING_MAX);
	memcpy(s + 5 + TOML_STRING_MAX, "\"\n", 3);
	toml_test_ok(xstrdup(s), strlen(s));
	memcpy(s + 5 + TOML_STRING_MAX, "x\"\n", 4);
	toml_test_limit(s, strlen(s), "'t.toml' line 1: string or key: more "
			"than 65536 bytes (TOML_STRING_MAX)");

	s = xmalloc(TOML_BYTES_MAX + 1);
	memset(s, '\n', TOML_BYTES_MAX + 1);
	toml_test_ok(xstrndup(s, TOML_BYTES_MAX), TOML_BYTES_MAX);
	toml_test_limit(s, TOML_BYTES_MAX + 1, "'t.toml': larger than "
			"1048576 bytes (TOML_BYTES_MAX)");

	buf_init(&b);
	for (i = 0; i <= 4096; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "k%d = %d\n", i, i);

		buf_append(&b, line, (size_t)n, SIZE_MAX, "test", NULL);
	}
	i = (int)b.len;
	toml_test_limit(buf_detach(&b), (size_t)i, "'t.toml' line 4097: "
			"table has more than 4096 keys (TOML_MEMBERS_MAX)");
}

/* File names are escaped in messages; NULL gets a stand-in. */
static void test_toml_names(void **state)
{
	struct error err;

	(void)state;
	error_init(&err);
	assert_null(toml_parse("a = ", 4, "it's\033.toml", &err));
	assert_string_equal(err.message,
			    "'it\\x27s\\x1b.toml' line 1: expected a value");
	error_init(&err);
	assert_null(toml_parse("a = ", 4, NULL, &err));
	assert_string_equal(err.message,
			    "'(toml)' line 1: expected a value");
}

static void test_toml_access(void **state)
{
	static const char *const reg[] = { "plugins",
		"io.containerd.grpc.v1.cri", "registry", "config_path", NULL };
	static const char *const missing[] = { "plugins", "nope", NULL };
	static const char *const order[] = { "version", "root", "state",
		"oom_score", "grpc", "plugins" };
	const struct toml *v;
	struct error err;
	struct toml *root;
	size_t i;

	(void)state;
	error_init(&err);
	root = toml_parse(containerd_v2, strlen(containerd_v2), "c", &err);
	assert_non_null(root);
	assert_int_equal(toml_type(root), TOML_TABLE);
	assert_int_equal(toml_count(root), 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(toml_key_at(root, i), order[i]);
	assert_null(toml_key_at(root, 6));
	v = toml_path(root, reg);
	assert_string_equal(toml_string(v, NULL), "/etc/containerd/certs.d");
	assert_int_equal(toml_line(v), 22);
	assert_int_equal(toml_line(toml_get(root, "grpc")), 6);
	assert_null(toml_path(root, missing));
	assert_null(toml_get(v, "x"));
	assert_null(toml_get(NULL, "x"));
	assert_int_equal(toml_count(v), 0);
	assert_null(toml_at(v, 0));
	assert_null(toml_at(root, 99));
	assert_int_equal(toml_integer(v, 7), 7);
	assert_true(toml_boolean(v, true));
	assert_string_equal(toml_string(toml_get(root, "version"), "fb"),
			    "fb");
	assert_int_equal(toml_integer(toml_get(root, "version"), 0), 2);
	assert_string_equal(toml_string(NULL, "fb"), "fb");
	toml_free(root);
	toml_free(NULL);
}

static void test_toml_file(void **state)
{
	char dir[] = "/tmp/test_toml.XXXXXX", path[64], want[128];
	struct error err;
	struct toml *root;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hosts.toml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(hosts_toml, f);
	fputs("bad = [\n", f);
	fclose(f);
	error_init(&err);
	assert_null(toml_parse_file(path, &err));
	snprintf(want, sizeof(want), "'%s' line 17: unterminated array "
		 "(opened on line 16)", path);
	assert_string_equal(err.message, want);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(hosts_toml, f);
	fclose(f);
	root = toml_parse_file(path, &err);
	assert_non_null(root);
	assert_string_equal(toml_string(toml_get(root, "server"), NULL),
			    "https://registry-1.docker.io");
	toml_free(root);

	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i <= TOML_BYTES_MAX / 64; i++)
		fprintf(f, "%063d\n", 0);
	fclose(f);
	error_init(&err);
	assert_null(toml_parse_file(path, &err));
	snprintf(want, sizeof(want), "'%s': larger than 1048576 bytes "
		 "(TOML_BYTES_MAX)", path);
	assert_string_equal(err.message, want);
	assert_int_equal(err.category, ERROR_LIMIT);

	unlink(path);
	error_init(&err);
	assert_null(toml_parse_file(path, &err));
	snprintf(want, sizeof(want), "cannot open '%s': No such file or "
		 "directory", path);
	assert_string_equal(err.message, want);
	assert_int_equal(err.category, ERROR_IO);
	rmdir(dir);
}

/* xorshift64: the same mutations on every run. */
static uint64_t toml_test_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Change, insert, delete or copy bytes, preferring TOML's own. */
static size_t toml_test_mutate(char *s, size_t len, size_t cap,
			       uint64_t *rnd)
{
	static const char bytes[] = "\"'[]{}=.,#\\\n\r\t _0x-+:e\xc3\xff";
	size_t at = len ? toml_test_random(rnd) % len : 0;
	size_t n = 1 + toml_test_random(rnd) % 8;

	switch (toml_test_random(rnd) % 4) {
	case 0:
		if (len)
			s[at] = bytes[toml_test_random(rnd) %
				      (sizeof(bytes) - 1)];
		return len;
	case 1:
		if (len + 1 > cap)
			return len;
		memmove(s + at + 1, s + at, len - at);
		s[at] = (char)(toml_test_random(rnd) % 256);
		return len + 1;
	case 2:
		n = n < len - at ? n : len - at;
		memmove(s + at, s + at + n, len - at - n);
		return len - n;
	default:
		if (len + n > cap || n > len - at)
			return len;
		memmove(s + at + n, s + at, len - at);
		return len + n;
	}
}

/* Read every value, as a caller would. */
static void toml_test_visit(const struct toml *v, int depth)
{
	size_t i;

	assert_true(depth < 4 * TOML_DEPTH_MAX);
	free(toml_test_render(v));
	for (i = 0; i < toml_count(v); i++) {
		if (toml_type(v) == TOML_TABLE)
			assert_non_null(toml_key_at(v, i));
		toml_test_visit(toml_at(v, i), depth + 1);
	}
}

static void test_toml_fuzz(void **state)
{
	static const char *const seeds[] = { containerd_v2, containerd_v3,
		hosts_toml, registries_conf, syntax_toml };
	char buf[8192];
	uint64_t rnd = 0x9e3779b97f4a7c15u;
	size_t len, parsed = 0;
	clock_t start = clock();
	struct error err;
	struct toml *root;
	int i, m;

	(void)state;
	for (i = 0; i < 50000; i++) {
		const char *seed = seeds[i % 5];

		len = strlen(seed);
		memcpy(buf, seed, len);
		for (m = 1 + (int)(toml_test_random(&rnd) % 4); m > 0; m--)
			len = toml_test_mutate(buf, len, sizeof(buf), &rnd);
		error_init(&err);
		root = toml_parse(buf, len, "fuzz", &err);
		if (root) {
			toml_test_visit(root, 0);
			parsed++;
		} else if (strncmp(err.message, "'fuzz' line ", 12)) {
			fail_msg("mutation %d: message '%s'", i, err.message);
		}
		toml_free(root);
	}
	print_message("fuzz: 50000 mutations, %zu parsed, %.2f s\n", parsed,
		      (double)(clock() - start) / CLOCKS_PER_SEC);
	assert_true(parsed > 0 && parsed < 50000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toml_valid),
		cmocka_unit_test(test_toml_errors),
		cmocka_unit_test(test_toml_limits),
		cmocka_unit_test(test_toml_names),
		cmocka_unit_test(test_toml_access),
		cmocka_unit_test(test_toml_file),
		cmocka_unit_test(test_toml_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
