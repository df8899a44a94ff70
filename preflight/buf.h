/* The one growable byte buffer, always NUL-terminated, with a size cap. */
#ifndef PREFLIGHT_BUF_H
#define PREFLIGHT_BUF_H

#include <stddef.h>

struct error;

struct buf {
	char *data;   /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);

/*
 * Append n bytes. Fails with ERROR_LIMIT when the result would exceed
 * limit bytes (the caller names its limit in what_limit for the message).
 * Out of memory aborts: there is nothing useful to report without memory.
 */
int buf_append(struct buf *b, const void *data, size_t n, size_t limit,
	       const char *what_limit, struct error *err);

/* Take the data out of b; the caller frees it. b is left empty. */
char *buf_detach(struct buf *b);

/* malloc/realloc/strdup that abort on exhaustion. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
