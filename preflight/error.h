/* The one error channel: a category and a message, context added in front. */
#ifndef PREFLIGHT_ERROR_H
#define PREFLIGHT_ERROR_H

#include <stddef.h>

/* Maximum length of an error message, including the terminating NUL. */
#define ERROR_MESSAGE_MAX 1024

enum error_category {
	ERROR_NONE = 0,
	ERROR_USAGE,      /* the user asked for something invalid */
	ERROR_NETWORK,    /* connection, DNS, TLS, timeout */
	ERROR_AUTH,       /* 401/403, no usable credentials */
	ERROR_RATELIMIT,  /* 429 */
	ERROR_REGISTRY,   /* a registry answered, not usefully */
	ERROR_NOTFOUND,   /* the registry says it does not exist */
	ERROR_DIGEST,     /* content does not hash to its digest */
	ERROR_FORMAT,     /* a document or file is malformed */
	ERROR_LIMIT,      /* a named limit was exceeded */
	ERROR_IO,         /* local file system */
	ERROR_INTERNAL,   /* out of memory, library misuse */
};

struct error {
	enum error_category category;
	long http_status;           /* 0 when no HTTP status applies */
	char code[48];     /* registry error code, e.g. MANIFEST_UNKNOWN */
	char message[ERROR_MESSAGE_MAX];
};

void error_init(struct error *err);

/* Fill err and return -1, so that callers can write `return error_set(...)`. */
int error_set(struct error *err, enum error_category category,
	      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Put "context: " in front of the message already in err; returns -1. */
int error_prefix(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A short lowercase name for the category ("network", "auth", ...). */
const char *error_category_name(enum error_category category);

#endif
