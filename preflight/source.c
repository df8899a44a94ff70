/* Where an image's documents and blobs come from: dispatch to the backend. */
#include "source.h"

#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "error.h"

void fetched_release(struct fetched *f)
{
	buf_release(&f->body);
	free(f->content_type);
	free(f->digest);
	free(f->header_digest);
	free(f->host);
	free(f->unverified_digest);
	memset(f, 0, sizeof(*f));
	buf_init(&f->body);
}

int source_fetch_manifest(struct source *s, const char *ref,
			  struct fetched *out, struct error *err)
{
	return s->ops->fetch_manifest(s, ref, out, err);
}

int source_fetch_blob(struct source *s, const char *digest, size_t limit,
		      struct buf *out, struct error *err)
{
	return s->ops->fetch_blob(s, digest, limit, out, err);
}

struct blob_stream *source_open_blob(struct source *s, const char *digest,
				     int64_t size, struct error *err)
{
	return s->ops->open_blob(s, digest, size, err);
}

void source_prefetch_blob(struct source *s, const char *digest,
			  int64_t size)
{
	if (s->ops->prefetch_blob)
		s->ops->prefetch_blob(s, digest, size);
}

void source_get_stats(struct source *s, struct source_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (s->ops->get_stats)
		s->ops->get_stats(s, out);
}

void source_free(struct source *s)
{
	if (s)
		s->ops->free(s);
}
