/* WWW-Authenticate challenges (RFC 7235) as registries send them. */
#ifndef PREFLIGHT_CHALLENGE_H
#define PREFLIGHT_CHALLENGE_H

struct error;

/* A header value longer than this is refused. */
#define CHALLENGE_HEADER_MAX 8192

enum challenge_scheme {
	CHALLENGE_NONE = 0,
	CHALLENGE_BASIC,
	CHALLENGE_BEARER,
	CHALLENGE_OTHER,
};

struct challenge {
	enum challenge_scheme scheme;
	char *realm;     /* as given; NULL if absent */
	char *service;   /* NULL if absent */
	char *scope;     /* NULL if absent */
	char *error;     /* Bearer error="insufficient_scope" etc., or NULL */
};

/*
 * Parse one header value. Several challenges may be listed; the first
 * Bearer wins, else the first Basic. Quoted strings with backslash
 * escapes and unquoted tokens are both accepted; parameter names are
 * case-insensitive. Malformed input is ERROR_FORMAT.
 */
int challenge_parse(const char *header, struct challenge *out,
		    struct error *err);
void challenge_release(struct challenge *c);

#endif
