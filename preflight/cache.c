/* Documents already fetched in this run, by registry, repository and
   digest, so that no digest is fetched twice (registries count pulls). */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct cache {
	struct cache_entry *items;
	size_t count;
	size_t bytes;
};

struct cache *cache_new(void)
{
	return xcalloc(1, sizeof(struct cache));
}

void cache_free(struct cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->count; i++) {
		free(c->items[i].key);
		free(c->items[i].data);
		free(c->items[i].content_type);
		free(c->items[i].host);
	}
	free(c->items);
	free(c);
}

const struct cache_entry *cache_get(const struct cache *c, const char *key)
{
	size_t i;

	if (!c)
		return NULL;
	for (i = 0; i < c->count; i++)
		if (!strcmp(c->items[i].key, key))
			return &c->items[i];
	return NULL;
}

void cache_put(struct cache *c, const char *key, const void *data,
	       size_t len, const char *content_type, const char *host)
{
	struct cache_entry *e;

	if (!c || cache_get(c, key) || len > CACHE_BYTES_MAX - c->bytes)
		return;
	c->items = xrealloc(c->items, (c->count + 1) * sizeof(*c->items));
	e = &c->items[c->count++];
	e->key = xstrdup(key);
	e->data = xstrndup(data, len);
	e->len = len;
	e->content_type = content_type ? xstrdup(content_type) : NULL;
	e->host = xstrdup(host);
	c->bytes += len;
}
