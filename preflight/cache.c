/* Documents already fetched in this run, by registry, repository and
   digest, so that no digest is fetched twice (registries count pulls).
   Images are checked in parallel: every call takes the cache's lock. */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct cache_entry {
	char *key;
	char *data;
	size_t len;
	char *content_type;   /* may be NULL */
	char *host;
};

struct cache {
	pthread_mutex_t lock;
	struct cache_entry *items;
	size_t count;
	size_t bytes;
};

struct cache *cache_new(void)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	return c;
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
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct cache_entry *find(struct cache *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (!strcmp(c->items[i].key, key))
			return &c->items[i];
	return NULL;
}

bool cache_copy(struct cache *c, const char *key, size_t limit,
		struct buf *out, char **content_type, char **host)
{
	struct cache_entry *e;
	bool found = false;

	if (!c)
		return false;
	pthread_mutex_lock(&c->lock);
	e = find(c, key);
	if (e && e->len <= limit) {
		buf_append(out, e->data, e->len, limit, "cache", NULL);
		if (content_type)
			*content_type = e->content_type ?
				xstrdup(e->content_type) : NULL;
		if (host)
			*host = xstrdup(e->host);
		found = true;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

void cache_put(struct cache *c, const char *key, const void *data,
	       size_t len, const char *content_type, const char *host)
{
	struct cache_entry *e;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (find(c, key) || len > CACHE_BYTES_MAX - c->bytes)
		goto out;
	c->items = xrealloc(c->items, (c->count + 1) * sizeof(*c->items));
	e = &c->items[c->count++];
	e->key = xstrdup(key);
	e->data = xstrndup(data, len);
	e->len = len;
	e->content_type = content_type ? xstrdup(content_type) : NULL;
	e->host = xstrdup(host);
	c->bytes += len;
out:
	pthread_mutex_unlock(&c->lock);
}
