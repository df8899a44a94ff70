/* Documents already fetched in this run, by registry, repository and
   digest, so that no digest is fetched twice (registries count pulls).
   Images are checked in parallel: every call takes the cache's lock. */
#ifndef PREFLIGHT_CACHE_H
#define PREFLIGHT_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Most bytes the cache keeps; past it, documents are not kept. */
#define CACHE_BYTES_MAX (64u * 1024 * 1024)

struct cache;

struct cache *cache_new(void);
void cache_free(struct cache *c);

/*
 * Copy the document under key into out (at most limit bytes), and its
 * content type and host (either may be NULL; the caller frees what it
 * gets). False when the cache has none (or c is NULL).
 */
bool cache_copy(struct cache *c, const char *key, size_t limit,
		struct buf *out, char **content_type, char **host);

/* Keep a copy of data under key (ignored when full or already there). */
void cache_put(struct cache *c, const char *key, const void *data,
	       size_t len, const char *content_type, const char *host);

#endif
