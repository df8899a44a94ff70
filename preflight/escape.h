/* Make text from servers and images safe to print and to put in JSON. */
#ifndef PREFLIGHT_ESCAPE_H
#define PREFLIGHT_ESCAPE_H

#include <stddef.h>

/*
 * Copy at most max input bytes of s, writing control bytes, backslashes
 * and bytes that are not valid UTF-8 as \xNN (\n, \r, \t by name), and
 * marking a cut with "...". The caller frees.
 */
char *escape_text(const char *s, size_t len, size_t max);

/* The same for a NUL-terminated string, into a caller's buffer. */
const char *escape_into(char *out, size_t size, const char *s);

/*
 * For quoting user or server text inside '...' in a message: printable
 * ASCII is kept; quotes, backslashes and every other byte become \xNN;
 * after max input bytes (or when out is full) the copy ends in "...".
 */
void escape_quote(char *out, size_t size, const char *s, size_t max);

#endif
