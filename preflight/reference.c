/* Image references parsed and normalised as distribution/reference does. */
#include "reference.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "escape.h"

/* distribution/reference normalize.go: the Docker Hub names. */
#define REFERENCE_DEFAULT_DOMAIN "docker.io"
#define REFERENCE_LEGACY_DOMAIN "index.docker.io"
#define REFERENCE_HUB_HOST "registry-1.docker.io"
#define REFERENCE_OFFICIAL_PREFIX "library/"
#define REFERENCE_DEFAULT_TAG "latest"
/* distribution/reference regexp.go: a tag is at most 128 characters. */
#define REFERENCE_TAG_MAX 128
/* The longest piece of user text quoted in a message, before "...". */
#define REFERENCE_QUOTE_MAX 200

/* The pieces of a reference, pointing into a writable copy of its text. */
struct reference_parts {
	char *domain; /* NULL when the text names none */
	char *path;
	char *tag;    /* NULL when absent */
	char *digest; /* NULL when absent */
};

static bool reference_is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool reference_is_alnum(char c)
{
	return reference_is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool reference_is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The precision for printing n bytes of user text in a message. */
static int reference_quote_len(size_t n)
{
	return n < REFERENCE_QUOTE_MAX ? (int)n : REFERENCE_QUOTE_MAX;
}

/* Whitespace and control bytes are never part of a reference; say where. */
static int reference_check_bytes(const char *text, struct error *err)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p; p++) {
		size_t at = (size_t)(p - (const unsigned char *)text);

		if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			return error_set(err, ERROR_USAGE,
					 "whitespace at offset %zu", at);
		if (*p < 0x20 || *p == 0x7f)
			return error_set(err, ERROR_USAGE,
					 "control byte at offset %zu", at);
		if (*p >= 0x80)
			return error_set(err, ERROR_USAGE,
					 "non-ASCII byte at offset %zu", at);
	}
	return 0;
}

/* distribution/reference: anchoredIdentifierRegexp, ^[a-f0-9]{64}$. */
static bool reference_is_identifier(const char *text)
{
	size_t i;

	for (i = 0; text[i]; i++)
		if (!reference_is_hex_lower(text[i]))
			return false;
	return i == 64;
}

/*
 * normalize.go splitDockerDomain: the first component names a registry
 * when it holds '.' or ':', is "localhost", or has an uppercase letter
 * (repository paths never do).
 */
static bool reference_names_domain(const char *s, size_t n)
{
	size_t i;

	if (n == strlen("localhost") && !memcmp(s, "localhost", n))
		return true;
	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return true;
	return false;
}

/* Cut the writable copy s into domain, path, tag and digest. */
static void reference_split(char *s, struct reference_parts *parts)
{
	char *at = strchr(s, '@');
	char *slash;
	char *colon;

	memset(parts, 0, sizeof(*parts));
	if (at) {
		*at = '\0';
		parts->digest = at + 1;
	}
	slash = strchr(s, '/');
	if (slash && reference_names_domain(s, (size_t)(slash - s))) {
		*slash = '\0';
		parts->domain = s;
		s = slash + 1;
	}
	colon = strchr(s, ':');
	if (colon) {
		*colon = '\0';
		parts->tag = colon + 1;
	}
	parts->path = s;
}

/* regexp.go domain-name: components of [A-Za-z0-9-], no '-' at the ends. */
static const char *reference_skip_hostname(const char *p)
{
	for (;;) {
		const char *start = p;

		while (reference_is_alnum(*p) || *p == '-')
			p++;
		if (p == start || start[0] == '-' || p[-1] == '-')
			return NULL;
		if (*p != '.')
			return p;
		p++;
	}
}

/* regexp.go: host [":" port]; host is a domain name or "[" IPv6 "]". */
static int reference_check_domain(const char *domain, struct error *err)
{
	const char *p = domain;

	if (*p == '[') {
		const char *start = ++p;

		while (*p && strchr("0123456789abcdefABCDEF:", *p))
			p++;
		p = (*p == ']' && p > start) ? p + 1 : NULL;
	} else {
		p = reference_skip_hostname(p);
	}
	if (p && *p == ':') {
		const char *port = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == port)
			p = NULL;
	}
	if (!p || *p)
		return error_set(err, ERROR_USAGE,
				 "invalid registry host '%.*s'",
				 REFERENCE_QUOTE_MAX, domain);
	return 0;
}

/* regexp.go path-component: [a-z0-9]+ joined by '.', '_', '__' or '-'+. */
static bool reference_component_valid(const char *c, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t run = i;

		while (i < n && reference_is_lower_alnum(c[i]))
			i++;
		if (i == run)
			return false;
		if (i == n)
			return true;
		if (c[i] == '.')
			i++;
		else if (c[i] == '_')
			i += (i + 1 < n && c[i + 1] == '_') ? 2 : 1;
		else if (c[i] == '-')
			while (i < n && c[i] == '-')
				i++;
		else
			return false;
	}
}

static int reference_check_path(const char *path, struct error *err)
{
	const char *c = path;

	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0)
			return error_set(err, ERROR_USAGE,
					 "empty path component");
		if (!reference_component_valid(c, n))
			return error_set(
			    err, ERROR_USAGE,
			    "invalid path component '%.*s': expected lowercase "
			    "letters and digits separated by '.', '_', '__' or "
			    "'-'",
			    reference_quote_len(n), c);
		if (!c[n])
			return 0;
		c += n + 1;
	}
}

/* regexp.go tag: [\w][\w.-]{0,127}. */
static int reference_check_tag(const char *tag, struct error *err)
{
	size_t i;

	if (!*tag)
		return error_set(err, ERROR_USAGE, "empty tag");
	for (i = 0; tag[i]; i++) {
		bool word = reference_is_alnum(tag[i]) || tag[i] == '_';

		if (!word && (i == 0 || (tag[i] != '.' && tag[i] != '-')))
			break;
	}
	if (tag[i] || i > REFERENCE_TAG_MAX)
		return error_set(err, ERROR_USAGE,
				 "invalid tag '%.*s': expected at most %d of "
				 "[A-Za-z0-9_.-], not starting with '.' or '-'",
				 REFERENCE_QUOTE_MAX, tag, REFERENCE_TAG_MAX);
	return 0;
}

/* OCI image-spec descriptor.md: algorithm-component [+._-] separators. */
static bool reference_algorithm_valid(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bool sep = strchr("+._-", a[i]) != NULL;

		if (!reference_is_lower_alnum(a[i]) && !sep)
			return false;
		if (sep && (i == 0 || i + 1 == n ||
			    !reference_is_lower_alnum(a[i - 1])))
			return false;
	}
	return n > 0;
}

/*
 * OCI image-spec descriptor.md: "algorithm:encoded"; sha256 is 64 and
 * sha512 128 lowercase hex digits; other algorithms are not registered.
 */
static int reference_check_digest(const char *digest, struct error *err)
{
	const char *colon = strchr(digest, ':');
	size_t alg_len = colon ? (size_t)(colon - digest) : 0;
	size_t want;
	size_t i;

	if (!colon || !reference_algorithm_valid(digest, alg_len))
		return error_set(
		    err, ERROR_USAGE,
		    "invalid digest '%.*s': expected 'algorithm:hex'",
		    REFERENCE_QUOTE_MAX, digest);
	if (alg_len == 6 && !memcmp(digest, "sha256", 6))
		want = 64;
	else if (alg_len == 6 && !memcmp(digest, "sha512", 6))
		want = 128;
	else
		return error_set(err, ERROR_USAGE,
				 "unsupported digest algorithm '%.*s'",
				 reference_quote_len(alg_len), digest);
	for (i = 0; colon[1 + i] && reference_is_hex_lower(colon[1 + i]); i++)
		;
	if (i != want || colon[1 + i])
		return error_set(err, ERROR_USAGE,
				 "invalid digest '%.*s': %.6s needs %zu "
				 "lowercase hex digits",
				 REFERENCE_QUOTE_MAX, digest, digest, want);
	return 0;
}

/* normalize.go ParseNormalizedNamed: check the pieces, in its order. */
static int reference_check_parts(const struct reference_parts *parts,
				 struct error *err)
{
	const char *p;

	for (p = parts->path; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return error_set(
			    err, ERROR_USAGE,
			    "repository name '%.*s' must be lowercase",
			    REFERENCE_QUOTE_MAX, parts->path);
	if (parts->domain && reference_check_domain(parts->domain, err))
		return -1;
	if (reference_check_path(parts->path, err))
		return -1;
	if (parts->tag && reference_check_tag(parts->tag, err))
		return -1;
	if (parts->digest && reference_check_digest(parts->digest, err))
		return -1;
	return 0;
}

/* normalize.go splitDockerDomain: index.docker.io and "library/". */
static int reference_fill(const struct reference_parts *parts,
			  struct reference *ref, struct error *err)
{
	const char *domain = parts->domain;
	bool hub;

	if (!domain || !strcmp(domain, REFERENCE_LEGACY_DOMAIN))
		domain = REFERENCE_DEFAULT_DOMAIN;
	hub = !strcmp(domain, REFERENCE_DEFAULT_DOMAIN);
	ref->domain = xstrdup(domain);
	if (hub && !strchr(parts->path, '/'))
		ref->path =
		    xasprintf(REFERENCE_OFFICIAL_PREFIX "%s", parts->path);
	else
		ref->path = xstrdup(parts->path);
	if (strlen(ref->domain) + 1 + strlen(ref->path) > REFERENCE_NAME_MAX)
		return error_set(err, ERROR_USAGE,
				 "repository name longer than %d characters "
				 "(REFERENCE_NAME_MAX)",
				 REFERENCE_NAME_MAX);
	if (parts->tag)
		ref->tag = xstrdup(parts->tag);
	else if (!parts->digest)
		ref->tag = xstrdup(REFERENCE_DEFAULT_TAG);
	if (parts->digest)
		ref->digest = xstrdup(parts->digest);
	return 0;
}

/* Everything but the message's subject: the text as the user gave it. */
static int reference_parse_text(const char *text, struct reference *out,
				struct error *err)
{
	struct reference_parts parts;
	char *copy = NULL;
	int ret = -1;

	if (strnlen(text, REFERENCE_TEXT_MAX + 1) > REFERENCE_TEXT_MAX) {
		error_set(err, ERROR_USAGE,
			  "longer than %d bytes (REFERENCE_TEXT_MAX)",
			  REFERENCE_TEXT_MAX);
		goto out;
	}
	if (reference_check_bytes(text, err))
		goto out;
	if (reference_is_identifier(text)) {
		error_set(err, ERROR_USAGE,
			  "cannot specify 64-byte hexadecimal strings");
		goto out;
	}
	copy = xstrdup(text);
	reference_split(copy, &parts);
	if (reference_check_parts(&parts, err) ||
	    reference_fill(&parts, out, err))
		goto out;
	ret = 0;
out:
	free(copy);
	return ret;
}

int reference_parse(const char *text, struct reference *out, struct error *err)
{
	char quoted[REFERENCE_QUOTE_MAX + 16];

	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return error_set(err, ERROR_USAGE, "empty image reference");
	if (reference_parse_text(text, out, err) == 0)
		return 0;
	reference_release(out);
	escape_quote(quoted, sizeof(quoted), text, REFERENCE_QUOTE_MAX);
	return error_prefix(err, "invalid image reference '%s'", quoted);
}

void reference_release(struct reference *ref)
{
	if (!ref)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

char *reference_canonical(const struct reference *ref)
{
	return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path,
			 ref->tag ? ":" : "", ref->tag ? ref->tag : "",
			 ref->digest ? "@" : "",
			 ref->digest ? ref->digest : "");
}

const char *reference_registry_host(const struct reference *ref)
{
	if (!strcmp(ref->domain, REFERENCE_DEFAULT_DOMAIN))
		return REFERENCE_HUB_HOST;
	return ref->domain;
}

const char *reference_manifest_ref(const struct reference *ref)
{
	return ref->digest ? ref->digest : ref->tag;
}

/* Like containerd's docker resolver: "localhost" or a loopback address. */
int reference_is_loopback(const struct reference *ref)
{
	char host[REFERENCE_NAME_MAX + 1];
	const char *d = ref->domain;
	struct in_addr a4;
	struct in6_addr a6;
	size_t n;

	if (*d == '[')
		n = strcspn(++d, "]");
	else
		n = strcspn(d, ":");
	if (n >= sizeof(host))
		return 0;
	memcpy(host, d, n);
	host[n] = '\0';
	if (!strcmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

int reference_digest_valid(const char *text)
{
	return text && reference_check_digest(text, NULL) == 0;
}
