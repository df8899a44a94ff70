/* A stream of one blob's bytes, whether from a registry or a local file. */
#ifndef PREFLIGHT_BLOB_H
#define PREFLIGHT_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct error;
struct blob_stream;

struct blob_stream_ops {
	/*
	 * Point *data at the next chunk of bytes, valid until the next call.
	 * Returns its length, 0 at the end of the blob, -1 on error.
	 */
	ssize_t (*read)(struct blob_stream *s, const void **data,
			struct error *err);
	void (*close)(struct blob_stream *s);
};

struct blob_stream {
	const struct blob_stream_ops *ops;
	uint64_t delivered;   /* bytes handed out so far */
};

ssize_t blob_stream_read(struct blob_stream *s, const void **data,
			 struct error *err);
/* Close and free; NULL is allowed. */
void blob_stream_close(struct blob_stream *s);

/* A stream over a local file (offline sources, tests). */
struct blob_stream *blob_stream_open_file(const char *path,
					  struct error *err);
/* A stream over bytes the caller keeps alive until close. */
struct blob_stream *blob_stream_open_memory(const void *data, size_t len);

#endif
