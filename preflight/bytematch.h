/* Find fixed byte strings in data handed over in chunks, including a
   string that a chunk boundary cuts in two. */
#ifndef PREFLIGHT_BYTEMATCH_H
#define PREFLIGHT_BYTEMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest string looked for (its failure table is kept inline). */
#define BYTEMATCH_PATTERN_MAX 64
/* Most strings looked for at once. */
#define BYTEMATCH_PATTERNS_MAX 4

struct bytematch_pattern {
	const unsigned char *bytes;   /* the caller's; must outlive it */
	size_t len;
	size_t fail[BYTEMATCH_PATTERN_MAX];   /* Knuth-Morris-Pratt table */
	size_t state;         /* bytes of the pattern matched so far */
	bool found;
	uint64_t at;          /* offset of the first match */
};

struct bytematch {
	struct bytematch_pattern p[BYTEMATCH_PATTERNS_MAX];
	size_t count;
	size_t found;         /* how many patterns have been found */
};

/*
 * Look for count NUL-terminated strings (none empty, each at most
 * BYTEMATCH_PATTERN_MAX bytes, count at most BYTEMATCH_PATTERNS_MAX).
 * Returns -1 when they break those limits.
 */
int bytematch_init(struct bytematch *m, const char *const *patterns,
		   size_t count);

/* The next len bytes of the data, which start at offset. */
void bytematch_feed(struct bytematch *m, uint64_t offset,
		    const unsigned char *data, size_t len);

/* Whether pattern i was found, and where it starts (at may be NULL). */
bool bytematch_found(const struct bytematch *m, size_t i, uint64_t *at);

#endif
