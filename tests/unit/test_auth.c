/* Unit tests for finding the node's registry credentials. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "preflight/auth.h"
#include "preflight/buf.h"
#include "preflight/error.h"

/* Every secret in these tests holds this, so a leak is easy to grep. */
#define SECRET_MARK "hunter"
#define MAX_FILES 4
#define MAX_ENCODED 8

/* content: JSON where "@user:pass@" becomes its base64; NULL makes a
   directory, "->target" a symlink. */
struct file_spec {
	const char *path;
	const char *content;
};

struct auth_case {
	const char *name;
	struct file_spec files[MAX_FILES];
	const char *authfile, *home, *runtime_dir;
	const char *env_auth_file, *env_docker_config;
	long timeout_ms;
	const char *registry, *repository;
	int want_rc;
	const char *want_user, *want_pass, *want_token, *want_source;
	enum error_category want_cat;
	const char *want_msg;   /* a part of the message */
};

struct fixture {
	char dir[64];           /* holds bin/ with the fake helpers */
	char *old_path;
};

#define RT "/run/user/0"
#define RT_AUTH "/run/user/0/containers/auth.json"
#define CFG_AUTH "/root/.config/containers/auth.json"
#define DOCKER_CFG "/root/.docker/config.json"
#define ONE(p, c) { { p, c } }

static const struct auth_case cases[] = {
	{ "runtime dir auth.json", ONE(RT_AUTH,
	  "{\"auths\":{\"reg.example\":{\"auth\":\"@rt:hunter2-rt@\"}}}"),
	  .runtime_dir = RT, .registry = "reg.example",
	  .repository = "team/app", .want_user = "rt",
	  .want_pass = "hunter2-rt", .want_source = "file:" RT_AUTH },
	{ "root without XDG_RUNTIME_DIR", ONE("/run/containers/0/auth.json",
	  "{\"auths\":{\"reg.example\":{\"auth\":\"@r0:hunter2-r0@\"}}}"),
	  .registry = "reg.example", .want_user = "r0",
	  .want_pass = "hunter2-r0",
	  .want_source = "file:/run/containers/0/auth.json" },
	{ "runtime dir before config dir and docker", {
	  { RT_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@a:hunter-1@\"}}}" },
	  { CFG_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@b:hunter-2@\"}}}" },
	  { DOCKER_CFG, "{\"auths\":{\"reg.example\":{\"auth\":\"@c:hunter-3@\"}}}" } },
	  .runtime_dir = RT, .registry = "reg.example", .want_user = "a",
	  .want_pass = "hunter-1", .want_source = "file:" RT_AUTH },
	{ "config dir when runtime file lacks the registry", {
	  { RT_AUTH, "{\"auths\":{\"other.example\":{\"auth\":\"@a:hunter-1@\"}}}" },
	  { CFG_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@b:hunter-2@\"}}}" },
	  { DOCKER_CFG, "{\"auths\":{\"reg.example\":{\"auth\":\"@c:hunter-3@\"}}}" } },
	  .runtime_dir = RT, .registry = "reg.example", .want_user = "b",
	  .want_pass = "hunter-2", .want_source = "file:" CFG_AUTH },
	{ "docker config last but one", {
	  { DOCKER_CFG, "{\"auths\":{\"reg.example\":{\"auth\":\"@c:hunter-3@\"}}}" },
	  { "/root/.dockercfg", "{\"reg.example\":{\"auth\":\"@d:hunter-4@\"}}" } },
	  .registry = "reg.example", .want_user = "c", .want_pass = "hunter-3",
	  .want_source = "file:" DOCKER_CFG },
	{ "legacy .dockercfg, URL key", ONE("/root/.dockercfg",
	  "{\"https://reg.example/v1/\":{\"auth\":\"@d:hunter-4@\","
	  "\"email\":\"d@example\"}}"),
	  .registry = "reg.example", .want_user = "d", .want_pass = "hunter-4",
	  .want_source = "file:/root/.dockercfg" },
	{ "explicit authfile first, config dir skipped", {
	  { "/etc/my-auth.json", "{\"auths\":{\"x.example\":{}}}" },
	  { RT_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@a:hunter-1@\"}}}" },
	  { CFG_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@b:hunter-2@\"}}}" },
	  { DOCKER_CFG, "{\"auths\":{\"reg.example\":{\"auth\":\"@c:hunter-3@\"}}}" } },
	  .authfile = "/etc/my-auth.json", .runtime_dir = RT,
	  .registry = "reg.example", .want_user = "c", .want_pass = "hunter-3",
	  .want_source = "file:" DOCKER_CFG },
	{ "explicit authfile wins", {
	  { "/etc/my-auth.json", "{\"auths\":{\"reg.example\":{\"auth\":\"@e:hunter-5@\"}}}" },
	  { RT_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@a:hunter-1@\"}}}" } },
	  .authfile = "/etc/my-auth.json", .env_auth_file = RT_AUTH,
	  .runtime_dir = RT, .registry = "reg.example", .want_user = "e",
	  .want_pass = "hunter-5", .want_source = "file:/etc/my-auth.json" },
	{ "explicit authfile missing", { { 0 } },
	  .authfile = "/etc/none.json", .registry = "reg.example",
	  .want_rc = -1, .want_cat = ERROR_USAGE,
	  .want_msg = "/etc/none.json' does not exist" },
	{ "REGISTRY_AUTH_FILE replaces the runtime file", {
	  { "/etc/env-auth.json", "{\"auths\":{\"reg.example\":{\"auth\":\"@f:hunter-6@\"}}}" },
	  { RT_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@a:hunter-1@\"}}}" } },
	  .env_auth_file = "/etc/env-auth.json", .runtime_dir = RT,
	  .registry = "reg.example", .want_user = "f", .want_pass = "hunter-6",
	  .want_source = "file:/etc/env-auth.json" },
	{ "REGISTRY_AUTH_FILE missing is no error", {
	  { RT_AUTH, "{\"auths\":{\"reg.example\":{\"auth\":\"@a:hunter-1@\"}}}" },
	  { DOCKER_CFG, "{\"auths\":{\"reg.example\":{\"auth\":\"@c:hunter-3@\"}}}" } },
	  .env_auth_file = "/etc/none.json", .runtime_dir = RT,
	  .registry = "reg.example", .want_user = "c", .want_pass = "hunter-3",
	  .want_source = "file:" DOCKER_CFG },
	{ "DOCKER_CONFIG replaces ~/.docker", {
	  { "/etc/dock/config.json", "{\"auths\":{\"reg.example\":{\"auth\":\"@g:hunter-7@\"}}}" },
	  { DOCKER_CFG, "{\"auths\":{\"reg.example\":{\"auth\":\"@c:hunter-3@\"}}}" } },
	  .env_docker_config = "/etc/dock", .registry = "reg.example",
	  .want_user = "g", .want_pass = "hunter-7",
	  .want_source = "file:/etc/dock/config.json" },
	{ "another HOME", ONE("/home/kube/.docker/config.json",
	  "{\"auths\":{\"reg.example\":{\"auth\":\"@h:hunter-8@\"}}}"),
	  .home = "/home/kube", .registry = "reg.example", .want_user = "h",
	  .want_pass = "hunter-8",
	  .want_source = "file:/home/kube/.docker/config.json" },
	{ "nothing anywhere", { { 0 } }, .runtime_dir = RT,
	  .registry = "reg.example", .want_rc = 1 },
	{ "no entry for the registry", ONE(DOCKER_CFG,
	  "{\"auths\":{\"reg.example:5000\":{\"auth\":\"@c:hunter-3@\"},"
	  "\"reg.example.evil\":{\"auth\":\"@c:hunter-3@\"}}}"),
	  .registry = "reg.example", .want_rc = 1 },
	{ "empty entry is none", ONE(DOCKER_CFG,
	  "{\"auths\":{\"reg.example\":{}}}"),
	  .registry = "reg.example", .want_rc = 1 },
	/* containers-auth.json(5): the most specific namespace wins */
	{ "namespace: repository key", ONE(CFG_AUTH, "{\"auths\":{"
	  "\"reg.example\":{\"auth\":\"@host:hunter-h@\"},"
	  "\"reg.example/team/app\":{\"auth\":\"@repo:hunter-r@\"},"
	  "\"reg.example/team\":{\"auth\":\"@ns:hunter-n@\"}}}"),
	  .registry = "reg.example", .repository = "team/app",
	  .want_user = "repo", .want_pass = "hunter-r",
	  .want_source = "file:" CFG_AUTH },
	{ "namespace: team key", ONE(CFG_AUTH, "{\"auths\":{"
	  "\"reg.example\":{\"auth\":\"@host:hunter-h@\"},"
	  "\"reg.example/team/app\":{\"auth\":\"@repo:hunter-r@\"},"
	  "\"reg.example/team\":{\"auth\":\"@ns:hunter-n@\"}}}"),
	  .registry = "reg.example", .repository = "team/other",
	  .want_user = "ns", .want_pass = "hunter-n",
	  .want_source = "file:" CFG_AUTH },
	{ "namespace: components, not prefixes", ONE(CFG_AUTH, "{\"auths\":{"
	  "\"reg.example\":{\"auth\":\"@host:hunter-h@\"},"
	  "\"reg.example/team\":{\"auth\":\"@ns:hunter-n@\"}}}"),
	  .registry = "reg.example", .repository = "teamx/app",
	  .want_user = "host", .want_pass = "hunter-h",
	  .want_source = "file:" CFG_AUTH },
	{ "namespace only, other repository", ONE(CFG_AUTH, "{\"auths\":{"
	  "\"reg.example/team\":{\"auth\":\"@ns:hunter-n@\"}}}"),
	  .registry = "reg.example", .repository = "other/app",
	  .want_rc = 1 },
	{ "URL key keeps its host only", ONE(DOCKER_CFG, "{\"auths\":{"
	  "\"https://reg.example/v2/\":{\"auth\":\"@u:hunter-u@\"}}}"),
	  .registry = "reg.example", .repository = "v2/app",
	  .want_user = "u", .want_pass = "hunter-u",
	  .want_source = "file:" DOCKER_CFG },
	/* docker.io, index.docker.io, registry-1.docker.io are one */
	{ "docker hub URL key", ONE(DOCKER_CFG, "{\"auths\":{"
	  "\"https://index.docker.io/v1/\":{\"auth\":\"@hub:hunter-hub@\"}}}"),
	  .registry = "docker.io", .repository = "library/busybox",
	  .want_user = "hub", .want_pass = "hunter-hub",
	  .want_source = "file:" DOCKER_CFG },
	{ "docker hub asked as registry-1", ONE(CFG_AUTH, "{\"auths\":{"
	  "\"docker.io\":{\"auth\":\"@hub:hunter-hub@\"}}}"),
	  .registry = "registry-1.docker.io", .repository = "library/busybox",
	  .want_user = "hub", .want_pass = "hunter-hub",
	  .want_source = "file:" CFG_AUTH },
	{ "docker hub namespace under index.docker.io", ONE(CFG_AUTH,
	  "{\"auths\":{\"docker.io\":{\"auth\":\"@hub:hunter-hub@\"},"
	  "\"index.docker.io/acme\":{\"auth\":\"@acme:hunter-acme@\"}}}"),
	  .registry = "docker.io", .repository = "acme/tool",
	  .want_user = "acme", .want_pass = "hunter-acme",
	  .want_source = "file:" CFG_AUTH },
	{ "username and password fields", ONE(DOCKER_CFG, "{\"auths\":{"
	  "\"reg.example\":{\"username\":\"plain\",\"password\":\"hunter-p\"}}}"),
	  .registry = "reg.example", .want_user = "plain",
	  .want_pass = "hunter-p", .want_source = "file:" DOCKER_CFG },
	{ "identity token", ONE(DOCKER_CFG, "{\"auths\":{\"reg.example\":{"
	  "\"auth\":\"@tokuser:@\",\"identitytoken\":\"hunter-idt\"}}}"),
	  .registry = "reg.example", .want_user = "tokuser", .want_pass = "",
	  .want_token = "hunter-idt", .want_source = "file:" DOCKER_CFG },
	{ "password with colons", ONE(DOCKER_CFG, "{\"auths\":{\"reg.example\":"
	  "{\"auth\":\"@col:hunter:a:b@\"}}}"),
	  .registry = "reg.example", .want_user = "col",
	  .want_pass = "hunter:a:b", .want_source = "file:" DOCKER_CFG },
	/* base64 errors */
	{ "auth not base64", ONE(DOCKER_CFG, "{\"auths\":{\"reg.example\":"
	  "{\"auth\":\"hunter2-bad=\"}}}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "auth file '/root/.docker/config.json': entry "
		      "'reg.example': 'auth' is not valid base64" },
	{ "auth unpadded", ONE(DOCKER_CFG, "{\"auths\":{\"reg.example\":"
	  "{\"auth\":\"aHVudGVyOnh\"}}}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "'auth' is not valid base64" },
	{ "auth padding inside", ONE(DOCKER_CFG, "{\"auths\":{\"reg.example\":"
	  "{\"auth\":\"aH==aHVu\"}}}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "'auth' is not valid base64" },
	{ "auth without colon", ONE(DOCKER_CFG, "{\"auths\":{\"reg.example\":"
	  "{\"auth\":\"@hunter2nocolon@\"}}}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "'auth' does not decode to 'user:password'" },
	{ "auth not a string", ONE(DOCKER_CFG, "{\"auths\":{\"reg.example\":"
	  "{\"auth\":42}}}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "must be strings" },
	{ "auths not an object", ONE(DOCKER_CFG, "{\"auths\":[]}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "'auths' is not an object" },
	/* a member's type is checked only when it is used, as in Docker */
	{ "auths null is not an object", ONE(DOCKER_CFG, "{\"auths\":null}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "auth file '/root/.docker/config.json': 'auths' is not "
		      "an object" },
	{ "credHelpers not an object", ONE(DOCKER_CFG,
	  "{\"credHelpers\":[\"good\"]}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "auth file '/root/.docker/config.json': 'credHelpers' "
		      "is not an object" },
	{ "credsStore not a string", ONE(DOCKER_CFG, "{\"credsStore\":5}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "auth file '/root/.docker/config.json': 'credsStore' "
		      "is not a string" },
	{ "credHelpers hit: auths of another type unread", ONE(DOCKER_CFG,
	  "{\"credHelpers\":{\"reg.example\":\"good\"},\"auths\":\"x\","
	  "\"credsStore\":5}"),
	  .registry = "reg.example", .want_user = "reghelper",
	  .want_pass = "hunter2-reg-helper",
	  .want_source = "helper:docker-credential-good" },
	{ "inline auths: credsStore of another type unread", ONE(DOCKER_CFG,
	  "{\"auths\":{\"reg.example\":{\"auth\":\"@i:hunter-in@\"}},"
	  "\"credsStore\":[]}"),
	  .registry = "reg.example", .want_user = "i", .want_pass = "hunter-in",
	  .want_source = "file:" DOCKER_CFG },
	{ "credHelpers entry not a string: auths next", ONE(DOCKER_CFG,
	  "{\"credHelpers\":{\"reg.example\":1},\"auths\":{\"reg.example\":"
	  "{\"auth\":\"@i:hunter-in@\"}}}"),
	  .registry = "reg.example", .want_user = "i", .want_pass = "hunter-in",
	  .want_source = "file:" DOCKER_CFG },
	{ "bad entry of another registry unread", ONE(DOCKER_CFG,
	  "{\"auths\":{\"other.example\":{\"auth\":5},\"reg.example\":"
	  "{\"auth\":\"@u:hunter-u@\"}}}"),
	  .registry = "reg.example", .want_user = "u", .want_pass = "hunter-u",
	  .want_source = "file:" DOCKER_CFG },
	{ "empty namespace entry: the host's instead", ONE(DOCKER_CFG,
	  "{\"auths\":{\"reg.example/team\":{},\"reg.example\":"
	  "{\"auth\":\"@h:hunter-h@\"}}}"),
	  .registry = "reg.example", .repository = "team/app",
	  .want_user = "h", .want_pass = "hunter-h",
	  .want_source = "file:" DOCKER_CFG },
	/* malformed files */
	{ "malformed JSON names line and column", ONE(DOCKER_CFG,
	  "{\"auths\": {\n  \"reg.example\": {\n    \"auth\": \"hunter2-cut"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "auth file '/root/.docker/config.json': malformed JSON "
		      "at line 3 column" },
	{ "malformed JSON, secret after the error", ONE(DOCKER_CFG,
	  "{\"auths\": {\"reg.example\": {\"auth\": \"x\"}} "
	  "\"hunter2-after\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "malformed JSON at line 1 column" },
	{ "not an object", ONE(DOCKER_CFG, "[1]"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "auth file '/root/.docker/config.json': not a JSON "
		      "object" },
	{ "unreadable (a directory)", ONE(DOCKER_CFG, NULL),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_IO,
	  .want_msg = "cannot read auth file '/root/.docker/config.json': "
		      "Is a directory" },
	/* credential helpers */
	{ "credHelpers for the registry", ONE(DOCKER_CFG, "{\"credHelpers\":"
	  "{\"reg.example\":\"good\"},\"auths\":{\"reg.example\":"
	  "{\"auth\":\"@inline:hunter-in@\"}}}"),
	  .registry = "reg.example", .want_user = "reghelper",
	  .want_pass = "hunter2-reg-helper",
	  .want_source = "helper:docker-credential-good" },
	{ "credsStore for docker hub gets the index URL", ONE(DOCKER_CFG,
	  "{\"credsStore\":\"good\",\"auths\":{"
	  "\"https://index.docker.io/v1/\":{}}}"),
	  .registry = "registry-1.docker.io", .repository = "library/x",
	  .want_user = "hubhelper", .want_pass = "hunter2-hub-helper",
	  .want_source = "helper:docker-credential-good" },
	{ "credsStore after inline auths", ONE(DOCKER_CFG,
	  "{\"credsStore\":\"fail\",\"auths\":{\"reg.example\":"
	  "{\"auth\":\"@inline:hunter-in@\"}}}"),
	  .registry = "reg.example", .want_user = "inline",
	  .want_pass = "hunter-in", .want_source = "file:" DOCKER_CFG },
	{ "helper identity token", ONE(DOCKER_CFG,
	  "{\"credHelpers\":{\"https://tok.example\":\"good\"}}"),
	  .registry = "tok.example", .want_token = "hunter2-token",
	  .want_source = "helper:docker-credential-good" },
	{ "helper has none: search goes on", {
	  { RT_AUTH, "{\"credsStore\":\"good\"}" },
	  { DOCKER_CFG, "{\"auths\":{\"none.example\":{\"auth\":\"@c:hunter-3@\"}}}" } },
	  .runtime_dir = RT, .registry = "none.example", .want_user = "c",
	  .want_pass = "hunter-3", .want_source = "file:" DOCKER_CFG },
	{ "helper has none anywhere", ONE(DOCKER_CFG, "{\"credsStore\":\"good\"}"),
	  .registry = "none.example", .want_rc = 1 },
	{ "helper missing", ONE(DOCKER_CFG, "{\"credsStore\":\"nosuch\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_AUTH,
	  .want_msg = "cannot run credential helper 'docker-credential-nosuch':"
		      " not found on PATH" },
	{ "helper name with a path", ONE(DOCKER_CFG,
	  "{\"credHelpers\":{\"reg.example\":\"../../bin/sh\"}}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "credential helper '../../bin/sh' is not a plain name" },
	{ "helper fails printing JSON with a secret", ONE(DOCKER_CFG,
	  "{\"credsStore\":\"fail\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_AUTH,
	  .want_msg = "credential helper 'docker-credential-fail' failed with "
		      "exit status 3" },
	{ "helper fails saying why", ONE(DOCKER_CFG,
	  "{\"credsStore\":\"failtext\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_AUTH,
	  .want_msg = "credential helper 'docker-credential-failtext' failed "
		      "with exit status 2: gpg: decryption failed" },
	{ "helper killed", ONE(DOCKER_CFG, "{\"credsStore\":\"sig\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_AUTH,
	  .want_msg = "credential helper 'docker-credential-sig' was killed "
		      "by signal 9" },
	{ "helper malformed JSON", ONE(DOCKER_CFG,
	  "{\"credsStore\":\"badjson\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "credential helper 'docker-credential-badjson': "
		      "malformed JSON at line 1 column" },
	{ "helper answer without Secret", ONE(DOCKER_CFG,
	  "{\"credsStore\":\"nosecret\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_FORMAT,
	  .want_msg = "answer lacks string 'Username' and 'Secret'" },
	{ "helper huge output", ONE(DOCKER_CFG, "{\"credsStore\":\"huge\"}"),
	  .registry = "reg.example", .want_rc = -1, .want_cat = ERROR_LIMIT,
	  .want_msg = "credential helper 'docker-credential-huge' printed "
		      "more than 65536 bytes (AUTH_HELPER_OUTPUT_MAX)" },
	{ "helper hangs", ONE(DOCKER_CFG, "{\"credsStore\":\"hang\"}"),
	  .timeout_ms = 300, .registry = "reg.example", .want_rc = -1,
	  .want_cat = ERROR_AUTH,
	  .want_msg = "credential helper 'docker-credential-hang' did not "
		      "answer within 300 ms" },
	{ "helper closes output, then hangs", ONE(DOCKER_CFG,
	  "{\"credsStore\":\"closes\"}"),
	  .timeout_ms = 300, .registry = "reg.example", .want_rc = -1,
	  .want_cat = ERROR_AUTH,
	  .want_msg = "credential helper 'docker-credential-closes' did not "
		      "answer within 300 ms" },
	{ "usage: registry with a path", { { 0 } },
	  .registry = "reg.example/team", .want_rc = -1,
	  .want_cat = ERROR_USAGE, .want_msg = "not a registry host" },
};

/* The fake helpers, as docker-credential-helpers' protocol has them. */
static const struct file_spec helpers[] = {
	{ "good", "read -r url || true\n"
	  "case \"$url\" in\n"
	  "https://index.docker.io/v1/) printf '{\"ServerURL\":\"%s\","
	  "\"Username\":\"hubhelper\",\"Secret\":\"hunter2-hub-helper\"}' "
	  "\"$url\";;\n"
	  "reg.example) printf '{\"ServerURL\":\"%s\",\"Username\":"
	  "\"reghelper\",\"Secret\":\"hunter2-reg-helper\"}\\n' \"$url\";;\n"
	  "tok.example) printf '{\"ServerURL\":\"%s\",\"Username\":"
	  "\"<token>\",\"Secret\":\"hunter2-token\"}' \"$url\";;\n"
	  "*) echo 'credentials not found in native keychain'; exit 1;;\n"
	  "esac\n" },
	{ "fail", "echo '{\"ServerURL\":\"reg.example\",\"Username\":\"u\","
	  "\"Secret\":\"hunter2-fail\"}'; exit 3\n" },
	{ "failtext", "echo 'gpg: decryption failed: no secret key' >&2\n"
	  "exit 2\n" },
	{ "sig", "kill -9 $$\n" },
	{ "badjson", "printf '{\"Username\":\"u\",\"Secret\":\"hunter2-bj'\n" },
	{ "nosecret", "printf '{\"Username\":\"u\",\"Pass\":\"hunter2-ns\"}'\n" },
	{ "huge", "exec yes hunter2-huge\n" },
	{ "hang", "d=$(dirname \"$0\")\necho $$ > \"$d/hang.pid\"\n"
	  "sleep 30 &\necho $! > \"$d/hang-child.pid\"\nwait\n" },
	{ "closes", "exec >/dev/null 2>&1\nsleep 30\n" },
};

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fail_msg("cannot create '%s': %s", path, strerror(errno));
	if (len && fwrite(text, 1, len, f) != len)
		fail_msg("cannot write '%s'", path);
	fclose(f);
}

static void make_dirs(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	free(p);
}

/* Replace each "@user:pass@" with its base64, remembering them. */
static char *expand_auth(const char *in, char encoded[][128], size_t *n)
{
	struct buf b;
	const char *at, *end;

	buf_init(&b);
	while ((at = strchr(in, '@')) && (end = strchr(at + 1, '@'))) {
		unsigned char *e = (unsigned char *)encoded[*n];

		buf_append(&b, in, (size_t)(at - in), SIZE_MAX, "", NULL);
		EVP_EncodeBlock(e, (const unsigned char *)at + 1,
				(int)(end - at - 1));
		buf_append(&b, e, strlen((char *)e), SIZE_MAX, "", NULL);
		if (*n < MAX_ENCODED - 1)
			(*n)++;
		in = end + 1;
	}
	buf_append(&b, in, strlen(in), SIZE_MAX, "", NULL);
	return buf_detach(&b);
}

static void plant(const char *root, const struct file_spec *f,
		  char encoded[][128], size_t *n)
{
	char *path = xasprintf("%s%s", root, f->path), *text;

	make_dirs(path);
	if (!f->content) {
		mkdir(path, 0755);
	} else if (!strncmp(f->content, "->", 2)) {
		if (symlink(f->content + 2, path))
			fail_msg("symlink '%s': %s", path, strerror(errno));
	} else {
		text = expand_auth(f->content, encoded, n);
		write_file(path, text, strlen(text));
		free(text);
	}
	free(path);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void set_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/* No secret, plain or encoded, in a message or a source. */
static void assert_no_secret(const char *name, const char *text,
			     char encoded[][128], size_t n)
{
	size_t i;

	if (strstr(text, SECRET_MARK))
		fail_msg("%s: secret in '%s'", name, text);
	for (i = 0; i < n; i++)
		if (strlen(encoded[i]) > 4 && strstr(text, encoded[i]))
			fail_msg("%s: encoded secret in '%s'", name, text);
}

static void expect_field(const char *name, const char *what,
			  const char *want, const char *got)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(want, got))
		fail_msg("%s: %s: want '%s', got '%s'", name, what,
			 want ? want : "(null)", got ? got : "(null)");
}

static void check_case(const struct auth_case *c, int rc,
		       const struct credential *cred, const struct error *err)
{
	if (rc != c->want_rc)
		fail_msg("%s: want rc %d, got %d (%s)", c->name, c->want_rc,
			 rc, err->message);
	if (rc == 0) {
		expect_field(c->name, "user", c->want_user, cred->username);
		expect_field(c->name, "password", c->want_pass,
			      cred->password);
		expect_field(c->name, "token", c->want_token,
			      cred->identity_token);
		/* a named auth file is reported by its path on this
		   machine, which is under the test's root */
		expect_field(c->name, "source", c->want_source,
			      c->authfile && c->want_source &&
			      !strcmp(c->want_source + 5,
						     c->authfile) &&
			      !strncmp(cred->source, "file:", 5) &&
			      strstr(cred->source, c->authfile) ?
			      c->want_source : cred->source);
	}
	if (rc == -1 && (err->category != c->want_cat ||
			 !strstr(err->message, c->want_msg)))
		fail_msg("%s: want %s '%s', got %s '%s'", c->name,
			 error_category_name(c->want_cat), c->want_msg,
			 error_category_name(err->category), err->message);
}

static void run_case(const struct auth_case *c)
{
	char root[] = "/tmp/test_auth_root.XXXXXX";
	char encoded[MAX_ENCODED][128];
	char authfile[512];
	struct auth_options o = { 0 };
	struct credential cred;
	struct error err;
	size_t i, n = 0;
	int rc;

	if (!mkdtemp(root))
		fail_msg("mkdtemp: %s", strerror(errno));
	for (i = 0; i < MAX_FILES && c->files[i].path; i++)
		plant(root, &c->files[i], encoded, &n);
	set_env("REGISTRY_AUTH_FILE", c->env_auth_file);
	set_env("DOCKER_CONFIG", c->env_docker_config);
	o.root = root;
	/* a named auth file is one of this machine: the planted one is
	   under the test's root */
	if (c->authfile)
		snprintf(authfile, sizeof(authfile), "%s%s", root,
			 c->authfile);
	o.authfile = c->authfile ? authfile : NULL;
	o.home = c->home;
	o.runtime_dir = c->runtime_dir;
	o.timeout_ms = c->timeout_ms;
	error_init(&err);
	rc = auth_lookup(&o, c->registry, c->repository, &cred, &err);
	check_case(c, rc, &cred, &err);
	assert_no_secret(c->name, err.message, encoded, n);
	assert_no_secret(c->name, cred.source, encoded, n);
	credential_release(&cred);
	remove_tree(root);
}

static void test_auth_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* A symlink under root resolves inside root, never to this machine. */
static void test_auth_symlink_stays_in_root(void **state)
{
	struct fixture *fx = *state;
	char *outside = xasprintf("%s/outside.json", fx->dir);
	char *link = xasprintf("->%s", outside);
	const char *text = "{\"auths\":{\"reg.example\":{\"username\":"
			   "\"out\",\"password\":\"hunter-out\"}}}";
	struct auth_case c = {
		.name = "symlink out of root",
		.files = { { DOCKER_CFG, link } },
		.registry = "reg.example", .want_rc = 1,
	};

	write_file(outside, text, strlen(text));
	run_case(&c);
	remove(outside);
	free(outside);
	free(link);
}

static void test_auth_file_too_large(void **state)
{
	char root[] = "/tmp/test_auth_root.XXXXXX";
	struct auth_options o = { 0 };
	struct credential cred;
	struct error err;
	char *big = xmalloc(AUTH_FILE_MAX + 1), *path;

	(void)state;
	assert_non_null(mkdtemp(root));
	path = xasprintf("%s" DOCKER_CFG, root);
	make_dirs(path);
	memset(big, ' ', AUTH_FILE_MAX + 1);
	write_file(path, big, AUTH_FILE_MAX + 1);
	o.root = root;
	error_init(&err);
	assert_int_equal(auth_lookup(&o, "reg.example", NULL, &cred, &err),
			 -1);
	assert_int_equal(err.category, ERROR_LIMIT);
	assert_string_equal(err.message, "auth file "
			    "'/root/.docker/config.json' is larger than "
			    "1048576 bytes (AUTH_FILE_MAX)");
	free(big);
	free(path);
	remove_tree(root);
}

static bool process_gone(const char *pidfile)
{
	char buf[64] = "", *stat;
	FILE *f = fopen(pidfile, "r");
	long pid = 0;
	bool gone;

	if (!f || fscanf(f, "%ld", &pid) != 1)
		fail_msg("no pid in '%s'", pidfile);
	fclose(f);
	stat = xasprintf("/proc/%ld/stat", pid);
	f = fopen(stat, "r");
	/* a zombie whose parent is not us is gone as far as we care */
	gone = !f || !fgets(buf, sizeof(buf), f) || strstr(buf, ") Z ");
	if (f)
		fclose(f);
	free(stat);
	return gone;
}

/* A hanging helper is stopped in time, with what it started. */
static void test_auth_helper_hang_is_killed(void **state)
{
	struct fixture *fx = *state;
	const struct auth_case *c = NULL;
	struct timespec t0, t1;
	char *pid, *child;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, "helper hangs"))
			c = &cases[i];
	assert_non_null(c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_case(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (t1.tv_sec - t0.tv_sec > 3)
		fail_msg("took %ld s, want about 0.3 s",
			 (long)(t1.tv_sec - t0.tv_sec));
	pid = xasprintf("%s/bin/hang.pid", fx->dir);
	child = xasprintf("%s/bin/hang-child.pid", fx->dir);
	usleep(100000);
	assert_true(process_gone(pid));
	assert_true(process_gone(child));
	free(pid);
	free(child);
}

static void test_auth_release_twice(void **state)
{
	struct credential c = { 0 };

	(void)state;
	c.username = xstrdup("u");
	c.password = xstrdup("hunter-release");
	c.identity_token = xstrdup("hunter-token");
	credential_release(&c);
	assert_null(c.username);
	assert_null(c.password);
	assert_null(c.identity_token);
	credential_release(&c);
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	char *bin, *path;
	size_t i;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_auth.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	bin = xasprintf("%s/bin", fx->dir);
	mkdir(bin, 0755);
	for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		char *text = xasprintf("#!/bin/sh\n%s", helpers[i].content);

		path = xasprintf("%s/docker-credential-%s", bin,
				 helpers[i].path);
		write_file(path, text, strlen(text));
		chmod(path, 0755);
		free(path);
		free(text);
	}
	fx->old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "/bin");
	path = xasprintf("%s:%s", bin, fx->old_path);
	setenv("PATH", path, 1);
	free(path);
	free(bin);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	setenv("PATH", fx->old_path, 1);
	remove_tree(fx->dir);
	free(fx->old_path);
	free(fx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_table),
		cmocka_unit_test(test_auth_symlink_stays_in_root),
		cmocka_unit_test(test_auth_file_too_large),
		cmocka_unit_test(test_auth_helper_hang_is_killed),
		cmocka_unit_test(test_auth_release_twice),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
