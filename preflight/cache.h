/* Documents already fetched in this run, by registry, repository and
   digest, so that no digest is fetched twice (registries count pulls). */
#ifndef PREFLIGHT_CACHE_H
#define PREFLIGHT_CACHE_H

#include <stddef.h>

/* Most bytes the cache keeps; past it, documents are not kept. */
#define CACHE_BYTES_MAX (64u * 1024 * 1024)

struct cache;

struct cache_entry {
	char *key;
	char *data;
	size_t len;
	char *content_type;   /* may be NULL */
	char *host;           /* the host that served it */
};

struct cache *cache_new(void);
void cache_free(struct cache *c);

/* The entry for key, or NULL; valid until the cache is freed. */
const struct cache_entry *cache_get(const struct cache *c, const char *key);

/* Keep a copy of data under key (ignored when full or already there). */
void cache_put(struct cache *c, const char *key, const void *data,
	       size_t len, const char *content_type, const char *host);

#endif
