/* Blob streams: the generic wrappers, a local file and bytes in memory. */
#include "blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "error.h"

/* Bytes handed out per read, from a file or from memory. */
#define BLOB_CHUNK (64 * 1024)

ssize_t blob_stream_read(struct blob_stream *s, const void **data,
			 struct error *err)
{
	ssize_t n = s->ops->read(s, data, err);

	if (n > 0)
		s->delivered += (uint64_t)n;
	return n;
}

void blob_stream_want(struct blob_stream *s, uint64_t more)
{
	if (s->ops->want)
		s->ops->want(s, more);
}

void blob_stream_close(struct blob_stream *s)
{
	if (s)
		s->ops->close(s);
}

struct blob_file_stream {
	struct blob_stream base;   /* first, so the stream casts back */
	int fd;
	char *path;
	unsigned char chunk[BLOB_CHUNK];
};

static ssize_t blob_file_read(struct blob_stream *s, const void **data,
			      struct error *err)
{
	struct blob_file_stream *f = (struct blob_file_stream *)s;
	ssize_t n;

	do
		n = read(f->fd, f->chunk, sizeof(f->chunk));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_set(err, ERROR_IO, "cannot read '%s': %s",
				 f->path, strerror(errno));
	*data = f->chunk;
	return n;
}

static void blob_file_close(struct blob_stream *s)
{
	struct blob_file_stream *f = (struct blob_file_stream *)s;

	close(f->fd);
	free(f->path);
	free(f);
}

static const struct blob_stream_ops blob_file_ops = {
	.read = blob_file_read,
	.close = blob_file_close,
};

struct blob_stream *blob_stream_open_file(const char *path,
					  struct error *err)
{
	struct blob_file_stream *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		error_set(err, ERROR_IO, "cannot open '%s': %s", path,
			  strerror(errno));
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->base.ops = &blob_file_ops;
	f->fd = fd;
	f->path = xstrdup(path);
	return &f->base;
}

struct blob_memory_stream {
	struct blob_stream base;   /* first, so the stream casts back */
	const unsigned char *data;
	size_t len;
	size_t pos;
};

/* Hand out at most BLOB_CHUNK bytes at a time, as a network stream would,
   so that `delivered` shows how far a reader really got. */
static ssize_t blob_memory_read(struct blob_stream *s, const void **data,
				struct error *err)
{
	struct blob_memory_stream *m = (struct blob_memory_stream *)s;
	size_t n = m->len - m->pos;

	(void)err;   /* memory does not fail */
	if (n > BLOB_CHUNK)
		n = BLOB_CHUNK;
	*data = m->data + m->pos;
	m->pos += n;
	return (ssize_t)n;
}

static void blob_memory_close(struct blob_stream *s)
{
	free(s);
}

static const struct blob_stream_ops blob_memory_ops = {
	.read = blob_memory_read,
	.close = blob_memory_close,
};

struct blob_stream *blob_stream_open_memory(const void *data, size_t len)
{
	struct blob_memory_stream *m = xcalloc(1, sizeof(*m));

	m->base.ops = &blob_memory_ops;
	m->data = data;
	m->len = len;
	return &m->base;
}

int blob_check_init(struct blob_check *c, const char *digest, uint64_t size,
		    struct error *err)
{
	memset(c, 0, sizeof(*c));
	c->dg = digester_new(digest);
	if (!c->dg)
		return error_set(err, ERROR_DIGEST,
				 "unsupported digest algorithm in '%s'",
				 digest);
	c->digest = xstrdup(digest);
	c->size = size;
	return 0;
}

/* Remember a failure: a check that failed never passes later. */
static void blob_check_fail(struct blob_check *c, const struct error *err)
{
	c->failed = true;
	snprintf(c->failure, sizeof(c->failure), "%s", err->message);
}

int blob_check_finish(struct blob_check *c, struct error *err)
{
	char *got;
	int ret = 0;

	if (c->failed)
		return error_set(err, ERROR_DIGEST, "%s", c->failure);
	if (c->finished)
		return 0;
	c->finished = true;
	if (c->offset != c->size) {
		ret = error_set(err, ERROR_DIGEST,
				"blob has %llu bytes, the manifest says %llu",
				(unsigned long long)c->offset,
				(unsigned long long)c->size);
	} else {
		got = digester_finish(c->dg);
		c->dg = NULL;
		if (strcmp(got, c->digest))
			ret = error_set(err, ERROR_DIGEST,
					"content does not match digest: "
					"expected %s, got %s", c->digest, got);
		free(got);
	}
	if (ret < 0)
		blob_check_fail(c, err);
	return ret;
}

int blob_check_update(struct blob_check *c, const void *data, size_t n,
		      struct error *err)
{
	if (c->failed)
		return error_set(err, ERROR_DIGEST, "%s", c->failure);
	if (c->finished || n > c->size - c->offset) {
		error_set(err, ERROR_DIGEST,
			  "more bytes than the %llu the manifest says",
			  (unsigned long long)c->size);
		blob_check_fail(c, err);
		return -1;
	}
	digester_update(c->dg, data, n);
	c->offset += n;
	if (c->offset == c->size)
		return blob_check_finish(c, err);
	return 0;
}

void blob_check_release(struct blob_check *c)
{
	digester_free(c->dg);
	free(c->digest);
	memset(c, 0, sizeof(*c));
}
