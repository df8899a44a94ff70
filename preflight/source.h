/* Where an image's documents and blobs come from (a registry, for now). */
#ifndef PREFLIGHT_SOURCE_H
#define PREFLIGHT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct error;
struct blob_stream;
struct source;

/* A manifest or index as received: the exact bytes and what came with it. */
struct fetched {
	struct buf body;
	char *content_type;    /* as sent, NULL if none */
	char *digest;          /* sha256 of body, "sha256:<hex>" */
	char *header_digest;   /* Docker-Content-Digest, NULL if none */
	char *host;            /* the host that answered */
	bool mirror;           /* that host is a mirror */
	/* Set when the bytes did not hash to this digest but were served as
	   signed schema 1, whose digest covers the payload only: valid only
	   if the body really is schema 1. */
	char *unverified_digest;
};

void fetched_release(struct fetched *f);

struct source_stats {
	unsigned int requests;
	uint64_t bytes_received;
	uint64_t layer_bytes;      /* of layers, from the network */
	unsigned int http_versions;   /* http.h's HTTP_VERSION_* bits of
					 the responses; 0 for none */
};

struct source_ops {
	/* ref is a tag or a digest. A digest's content is verified. */
	int (*fetch_manifest)(struct source *s, const char *ref,
			      struct fetched *out, struct error *err);
	/* Whole blob, verified against digest, at most limit bytes. */
	int (*fetch_blob)(struct source *s, const char *digest, size_t limit,
			  struct buf *out, struct error *err);
	/* A blob's bytes as a stream, read only as far as needed. */
	struct blob_stream *(*open_blob)(struct source *s, const char *digest,
					 int64_t size, struct error *err);
	/* Optional: start fetching the start of a blob that open_blob will
	   be asked for soon, if that saves time; nothing is reported. */
	void (*prefetch_blob)(struct source *s, const char *digest,
			      int64_t size);
	void (*get_stats)(struct source *s, struct source_stats *out);
	void (*free)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	char *name;        /* what the report calls it: the host contacted */
};

int source_fetch_manifest(struct source *s, const char *ref,
			  struct fetched *out, struct error *err);
int source_fetch_blob(struct source *s, const char *digest, size_t limit,
		      struct buf *out, struct error *err);
struct blob_stream *source_open_blob(struct source *s, const char *digest,
				     int64_t size, struct error *err);
void source_prefetch_blob(struct source *s, const char *digest,
			  int64_t size);
void source_get_stats(struct source *s, struct source_stats *out);
void source_free(struct source *s);

#endif
