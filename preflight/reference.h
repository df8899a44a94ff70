/* Image references, parsed and normalised as container runtimes do. */
#ifndef PREFLIGHT_REFERENCE_H
#define PREFLIGHT_REFERENCE_H

struct error;

/* distribution/reference: a repository name is at most 255 characters. */
#define REFERENCE_NAME_MAX 255
/* The longest reference text accepted at all. */
#define REFERENCE_TEXT_MAX 4096

struct reference {
	char *domain;   /* "docker.io", "localhost:5000", "[::1]:5000" */
	char *path;     /* "library/busybox" */
	char *tag;      /* "latest" when neither tag nor digest was given;
			   NULL when only a digest was given */
	char *digest;   /* "sha256:<64 hex>" or NULL */
};

/*
 * Parse text the way the runtimes' "normalized named" parser does:
 * a first component with a '.' or ':' or equal to "localhost" is the
 * registry, otherwise docker.io; docker.io names without '/' get
 * "library/"; the default tag is "latest" unless a digest is given;
 * "index.docker.io" is docker.io. Uppercase repository names, empty
 * components, bad tags and bad digests are ERROR_USAGE with the reason.
 */
int reference_parse(const char *text, struct reference *out,
		    struct error *err);
void reference_release(struct reference *ref);

/* "docker.io/library/busybox:latest" (tag and digest both when given).
   The caller frees. */
char *reference_canonical(const struct reference *ref);

/* The host to contact: docker.io is registry-1.docker.io. */
const char *reference_registry_host(const struct reference *ref);

/* The tag, or else the digest: what to ask /v2/<name>/manifests/ for. */
const char *reference_manifest_ref(const struct reference *ref);

/* Whether the registry host is loopback: localhost, 127.x, [::1]. */
int reference_is_loopback(const struct reference *ref);

/* Whether text is a well-formed digest "algorithm:hex" (sha256: 64 hex). */
int reference_digest_valid(const char *text);

#endif
