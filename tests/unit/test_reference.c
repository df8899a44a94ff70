/* Unit tests for reference parsing, against distribution/reference rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/reference.h"

#define HEX64                                                                  \
	"0123456789abcdef0123456789abcdef"                                     \
	"0123456789abcdef0123456789abcdef"
#define HEX128 HEX64 HEX64

struct valid_case {
	const char *text;
	const char *domain;
	const char *path;
	const char *tag;
	const char *digest;
	const char *host; /* reference_registry_host */
	int loopback;
};

/* Accepted references and what they normalise to. */
static const struct valid_case valid_cases[] = {
    {"busybox", "docker.io", "library/busybox", "latest", NULL,
     "registry-1.docker.io", 0},
    {"library/busybox:1.36", "docker.io", "library/busybox", "1.36", NULL,
     "registry-1.docker.io", 0},
    {"docker.io/library/busybox", "docker.io", "library/busybox", "latest",
     NULL, "registry-1.docker.io", 0},
    {"docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
     "registry-1.docker.io", 0},
    {"index.docker.io/foo", "docker.io", "library/foo", "latest", NULL,
     "registry-1.docker.io", 0},
    {"index.docker.io/foo/bar", "docker.io", "foo/bar", "latest", NULL,
     "registry-1.docker.io", 0},
    {"localhost/foo", "localhost", "foo", "latest", NULL, "localhost", 1},
    {"localhost:5000/foo:tag", "localhost:5000", "foo", "tag", NULL,
     "localhost:5000", 1},
    {"127.0.0.1:5000/a/b@sha256:" HEX64, "127.0.0.1:5000", "a/b", NULL,
     "sha256:" HEX64, "127.0.0.1:5000", 1},
    {"127.8.9.10/x", "127.8.9.10", "x", "latest", NULL, "127.8.9.10", 1},
    {"[::1]:5000/x", "[::1]:5000", "x", "latest", NULL, "[::1]:5000", 1},
    {"[::1]/x", "[::1]", "x", "latest", NULL, "[::1]", 1},
    {"[0:0:0:0:0:0:0:1]:80/x", "[0:0:0:0:0:0:0:1]:80", "x", "latest", NULL,
     "[0:0:0:0:0:0:0:1]:80", 1},
    {"[fe80::1]:5000/x", "[fe80::1]:5000", "x", "latest", NULL,
     "[fe80::1]:5000", 0},
    {"127.example.com/x", "127.example.com", "x", "latest", NULL,
     "127.example.com", 0},
    {"128.0.0.1/x", "128.0.0.1", "x", "latest", NULL, "128.0.0.1", 0},
    {"localhost.localdomain/x", "localhost.localdomain", "x", "latest", NULL,
     "localhost.localdomain", 0},
    {"registry.k8s.io/coredns/coredns:v1.11.1", "registry.k8s.io",
     "coredns/coredns", "v1.11.1", NULL, "registry.k8s.io", 0},
    {"foo:bar@sha256:" HEX64, "docker.io", "library/foo", "bar",
     "sha256:" HEX64, "registry-1.docker.io", 0},
    {"busybox@sha512:" HEX128, "docker.io", "library/busybox", NULL,
     "sha512:" HEX128, "registry-1.docker.io", 0},
    {"ghcr.io/a/b/c/d:1", "ghcr.io", "a/b/c/d", "1", NULL, "ghcr.io", 0},
    {"a/b_c.d__e-f---g0", "docker.io", "a/b_c.d__e-f---g0", "latest", NULL,
     "registry-1.docker.io", 0},
    {"example.com:443/x:_Tag.1-2", "example.com:443", "x", "_Tag.1-2", NULL,
     "example.com:443", 0},
    /* No '/': the whole text is a Hub name and ":5000" its tag. */
    {"localhost:5000", "docker.io", "library/localhost", "5000", NULL,
     "registry-1.docker.io", 0},
    /* Only a bare 64-hex string is refused; as a tag it is fine. */
    {"sha256:" HEX64, "docker.io", "library/sha256", HEX64, NULL,
     "registry-1.docker.io", 0},
    /*
     * normalize.go splitDockerDomain: a first component with an
     * uppercase letter is a registry host, so this is registry "Foo".
     */
    {"Foo/bar", "Foo", "bar", "latest", NULL, "Foo", 0},
};

struct invalid_case {
	const char *text;
	const char *message;
};

/* Refused references and the exact message. */
static const struct invalid_case invalid_cases[] = {
    {"", "empty image reference"},
    {"Busybox", "invalid image reference 'Busybox': repository name "
		"'Busybox' must be lowercase"},
    {"foo/Bar", "invalid image reference 'foo/Bar': repository name "
		"'foo/Bar' must be lowercase"},
    {"ghcr.io/Org/x", "invalid image reference 'ghcr.io/Org/x': "
		      "repository name 'Org/x' must be lowercase"},
    {"a//b", "invalid image reference 'a//b': empty path component"},
    {"/foo", "invalid image reference '/foo': empty path component"},
    {"localhost/", "invalid image reference 'localhost/': "
		   "empty path component"},
    {"a:", "invalid image reference 'a:': empty tag"},
    {"a:-x", "invalid image reference 'a:-x': invalid tag '-x': expected "
	     "at most 128 of [A-Za-z0-9_.-], not starting with '.' or '-'"},
    {"a:b:c", "invalid image reference 'a:b:c': invalid tag 'b:c': "
	      "expected at most 128 of [A-Za-z0-9_.-], not starting with "
	      "'.' or '-'"},
    {"foo-/bar", "invalid image reference 'foo-/bar': invalid path "
		 "component 'foo-': expected lowercase letters and digits "
		 "separated by '.', '_', '__' or '-'"},
    {"x/-foo", "invalid image reference 'x/-foo': invalid path "
	       "component '-foo': expected lowercase letters and digits "
	       "separated by '.', '_', '__' or '-'"},
    {"foo..bar", "invalid image reference 'foo..bar': invalid path "
		 "component 'foo..bar': expected lowercase letters and "
		 "digits separated by '.', '_', '__' or '-'"},
    {"foo___bar", "invalid image reference 'foo___bar': invalid path "
		  "component 'foo___bar': expected lowercase letters and "
		  "digits separated by '.', '_', '__' or '-'"},
    {"x@sha256:abc", "invalid image reference 'x@sha256:abc': invalid "
		     "digest 'sha256:abc': sha256 needs 64 lowercase hex "
		     "digits"},
    {"x@sha512:" HEX64, "invalid image reference 'x@sha512:" HEX64
			"': invalid digest 'sha512:" HEX64 "': sha512 "
			"needs 128 lowercase hex digits"},
    {"x@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef"
     "0123456789abcdef",
     "invalid image reference 'x@sha256:0123456789ABCDEF0123456789abcdef"
     "0123456789abcdef0123456789abcdef': invalid digest 'sha256:"
     "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef':"
     " sha256 needs 64 lowercase hex digits"},
    {"x@md5:0123456789abcdef0123456789abcdef",
     "invalid image reference 'x@md5:0123456789abcdef0123456789abcdef': "
     "unsupported digest algorithm 'md5'"},
    {"x@sha256+b64u:abc", "invalid image reference 'x@sha256+b64u:abc': "
			  "unsupported digest algorithm 'sha256+b64u'"},
    {"x@", "invalid image reference 'x@': invalid digest '': expected "
	   "'algorithm:hex'"},
    {"x@sha256", "invalid image reference 'x@sha256': invalid digest "
		 "'sha256': expected 'algorithm:hex'"},
    {"x@:" HEX64, "invalid image reference 'x@:" HEX64 "': invalid "
		  "digest ':" HEX64 "': expected 'algorithm:hex'"},
    {HEX64, "invalid image reference '" HEX64 "': cannot specify "
	    "64-byte hexadecimal strings"},
    {"foo bar", "invalid image reference 'foo bar': whitespace at "
		"offset 3"},
    {"foo\tbar", "invalid image reference 'foo\\x09bar': whitespace at "
		 "offset 3"},
    {"busybox\n", "invalid image reference 'busybox\\x0a': whitespace "
		  "at offset 7"},
    {"foo\x1b[31m", "invalid image reference 'foo\\x1b[31m': control "
		    "byte at offset 3"},
    {"caf\xc3\xa9", "invalid image reference 'caf\\xc3\\xa9': non-ASCII "
		    "byte at offset 3"},
    {"it's", "invalid image reference 'it\\x27s': invalid path component "
	     "'it's': expected lowercase letters and digits separated by "
	     "'.', '_', '__' or '-'"},
    {"localhost:/foo", "invalid image reference 'localhost:/foo': "
		       "invalid registry host 'localhost:'"},
    {"-bad.com/foo", "invalid image reference '-bad.com/foo': invalid "
		     "registry host '-bad.com'"},
    {"bad-.com/foo", "invalid image reference 'bad-.com/foo': invalid "
		     "registry host 'bad-.com'"},
    {"a..com/foo", "invalid image reference 'a..com/foo': invalid "
		   "registry host 'a..com'"},
    /* A '.' makes the first component a registry, as in docker. */
    {"a_b.c/x", "invalid image reference 'a_b.c/x': invalid registry "
		"host 'a_b.c'"},
    {"[::1/x", "invalid image reference '[::1/x': invalid registry host "
	       "'[::1'"},
    {"[]:5000/x", "invalid image reference '[]:5000/x': invalid registry "
		  "host '[]:5000'"},
    {"[::1]:50a0/x", "invalid image reference '[::1]:50a0/x': invalid "
		     "registry host '[::1]:50a0'"},
    {"example.com:5000:1/x", "invalid image reference "
			     "'example.com:5000:1/x': invalid registry "
			     "host 'example.com:5000:1'"},
};

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static void check_field(const char *text, const char *field, const char *want,
			const char *got)
{
	if (!want && !got)
		return;
	if (want && got && !strcmp(want, got))
		return;
	fail_msg("reference '%s': %s expected '%s', found '%s'", text, field,
		 show(want), show(got));
}

static void check_valid(const struct valid_case *c)
{
	struct reference ref;
	struct error err;
	char *canonical;
	char *want;

	error_init(&err);
	if (reference_parse(c->text, &ref, &err))
		fail_msg("reference '%s': expected success, found error '%s'",
			 c->text, err.message);
	check_field(c->text, "domain", c->domain, ref.domain);
	check_field(c->text, "path", c->path, ref.path);
	check_field(c->text, "tag", c->tag, ref.tag);
	check_field(c->text, "digest", c->digest, ref.digest);
	check_field(c->text, "registry host", c->host,
		    reference_registry_host(&ref));
	check_field(c->text, "manifest ref", c->digest ? c->digest : c->tag,
		    reference_manifest_ref(&ref));
	want = xasprintf("%s/%s%s%s%s%s", c->domain, c->path, c->tag ? ":" : "",
			 c->tag ? c->tag : "", c->digest ? "@" : "",
			 c->digest ? c->digest : "");
	canonical = reference_canonical(&ref);
	check_field(c->text, "canonical", want, canonical);
	if (reference_is_loopback(&ref) != c->loopback)
		fail_msg("reference '%s': loopback expected %d, found %d",
			 c->text, c->loopback, reference_is_loopback(&ref));
	free(want);
	free(canonical);
	reference_release(&ref);
}

static void test_valid_references(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_valid(&valid_cases[i]);
}

static void check_invalid(const char *text, const char *message)
{
	struct reference ref;
	struct error err;

	error_init(&err);
	if (reference_parse(text, &ref, &err) != -1)
		fail_msg("reference '%s': expected error '%s', found success",
			 show(text), message);
	check_field(show(text), "message", message, err.message);
	if (err.category != ERROR_USAGE)
		fail_msg("reference '%s': category expected usage, found %s",
			 show(text), error_category_name(err.category));
	if (ref.domain || ref.path || ref.tag || ref.digest)
		fail_msg("reference '%s': fields left set after an error",
			 show(text));
	reference_release(&ref);
}

static void test_invalid_references(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++)
		check_invalid(invalid_cases[i].text, invalid_cases[i].message);
	check_invalid(NULL, "empty image reference");
}

/* Repeat c n times after prefix; the caller frees. */
static char *repeat(const char *prefix, char c, size_t n)
{
	size_t len = strlen(prefix);
	char *s = xmalloc(len + n + 1);

	memcpy(s, prefix, len);
	memset(s + len, c, n);
	s[len + n] = '\0';
	return s;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s);
	size_t t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/*
 * Too long to quote whole: the message quotes a part, then the reason.
 * Returns the message length.
 */
static size_t check_long_invalid(const char *text, const char *tail)
{
	struct reference ref;
	struct error err;

	error_init(&err);
	if (reference_parse(text, &ref, &err) != -1)
		fail_msg("%zu-byte reference: expected error, found success",
			 strlen(text));
	if (!ends_with(err.message, tail) ||
	    strncmp(err.message, "invalid image reference '", 25))
		fail_msg("%zu-byte reference: expected '...%s', found '%s'",
			 strlen(text), tail, err.message);
	return strlen(err.message);
}

/* REFERENCE_NAME_MAX counts "docker.io/library/" as distribution does. */
static void test_name_length(void **state)
{
	size_t room = REFERENCE_NAME_MAX - strlen("docker.io/library/");
	char *fits = repeat("", 'a', room);
	char *over = repeat("", 'a', room + 1);
	struct reference ref;
	struct error err;

	error_init(&err);
	if (reference_parse(fits, &ref, &err))
		fail_msg("name of %zu bytes: expected success, found '%s'",
			 room, err.message);
	reference_release(&ref);
	check_long_invalid(over, "...': repository name longer than 255 "
				 "characters (REFERENCE_NAME_MAX)");
	free(fits);
	free(over);
}

static void test_tag_length(void **state)
{
	char *fits = repeat("x:", 't', 128);
	char *over = repeat("x:", 't', 129);
	struct reference ref;
	struct error err;

	error_init(&err);
	if (reference_parse(fits, &ref, &err))
		fail_msg("tag of 128 bytes: expected success, found '%s'",
			 err.message);
	reference_release(&ref);
	if (reference_parse(over, &ref, &err) != -1 ||
	    !strstr(err.message, "invalid tag"))
		fail_msg("tag of 129 bytes: expected 'invalid tag', found "
			 "'%s'",
			 err.message);
	free(fits);
	free(over);
}

/* Over REFERENCE_TEXT_MAX: refused, and the message quotes only a part. */
static void test_text_length(void **state)
{
	char *over = repeat("", 'a', REFERENCE_TEXT_MAX + 1);
	size_t len;

	len = check_long_invalid(over, "...': longer than 4096 bytes "
				       "(REFERENCE_TEXT_MAX)");
	if (len > 300)
		fail_msg("message of %zu bytes quotes too much", len);
	free(over);
}

struct digest_case {
	const char *text;
	int valid;
};

static const struct digest_case digest_cases[] = {
    {"sha256:" HEX64, 1},
    {"sha512:" HEX128, 1},
    {"sha256:" HEX64 "0", 0},
    {"sha256:abc", 0},
    {"sha512:" HEX64, 0},
    {"SHA256:" HEX64, 0},
    {"md5:0123456789abcdef0123456789abcdef", 0},
    {"sha256:", 0},
    {":" HEX64, 0},
    {HEX64, 0},
    {"", 0},
    {NULL, 0},
};

static void test_digest_valid(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(digest_cases) / sizeof(digest_cases[0]); i++) {
		const struct digest_case *c = &digest_cases[i];
		int got = reference_digest_valid(c->text);

		if (got != c->valid)
			fail_msg("digest '%s': expected %d, found %d",
				 show(c->text), c->valid, got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_references),
	    cmocka_unit_test(test_invalid_references),
	    cmocka_unit_test(test_name_length),
	    cmocka_unit_test(test_tag_length),
	    cmocka_unit_test(test_text_length),
	    cmocka_unit_test(test_digest_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
