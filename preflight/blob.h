/* A stream of one blob's bytes, whether from a registry or a local file. */
#ifndef PREFLIGHT_BLOB_H
#define PREFLIGHT_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct error;
struct blob_stream;

struct blob_stream_ops {
	/*
	 * Point *data at the next chunk of bytes, valid until the next call.
	 * Returns its length, 0 at the end of the blob, -1 on error.
	 */
	ssize_t (*read)(struct blob_stream *s, const void **data,
			struct error *err);
	/*
	 * Optional: the reader expects to want about `more` bytes after
	 * those delivered (0: it cannot tell), so that a network stream can
	 * size its next request. Only a hint: reads go on past it.
	 */
	void (*want)(struct blob_stream *s, uint64_t more);
	void (*close)(struct blob_stream *s);
};

struct blob_stream {
	const struct blob_stream_ops *ops;
	uint64_t delivered;   /* bytes handed out so far */
};

ssize_t blob_stream_read(struct blob_stream *s, const void **data,
			 struct error *err);
void blob_stream_want(struct blob_stream *s, uint64_t more);
/* Close and free; NULL is allowed. */
void blob_stream_close(struct blob_stream *s);

/*
 * A blob's bytes checked as they pass, as the runtime checks them: not
 * more than the descriptor's size, and at the last byte its digest.
 */
struct blob_check {
	struct digester *dg;
	char *digest;
	uint64_t size;
	uint64_t offset;       /* bytes seen */
	bool finished;
	bool failed;           /* and every later call says so again */
	char failure[ERROR_MESSAGE_MAX];
};

/* -1 (ERROR_DIGEST) when the runtimes cannot verify the algorithm. */
int blob_check_init(struct blob_check *c, const char *digest, uint64_t size,
		    struct error *err);
/* Account for n more bytes: -1 past the size, or at the last byte when
   the digest differs (so that the last byte is never handed out). */
int blob_check_update(struct blob_check *c, const void *data, size_t n,
		      struct error *err);
/* At the end of the stream: -1 when bytes are missing or the digest
   differs; 0 once the check has passed. */
int blob_check_finish(struct blob_check *c, struct error *err);
void blob_check_release(struct blob_check *c);

/* A stream over a local file (offline sources, tests). */
struct blob_stream *blob_stream_open_file(const char *path,
					  struct error *err);
/* A stream over bytes the caller keeps alive until close. */
struct blob_stream *blob_stream_open_memory(const void *data, size_t len);

#endif
