/* A client for the OCI distribution API, on libcurl. */
#ifndef PREFLIGHT_REGISTRY_H
#define PREFLIGHT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

struct cache;
struct endpoint_list;
struct error;
struct source;
struct reference;

/* Redirects followed for one request. */
#define REGISTRY_REDIRECTS_MAX 5
/* Largest token response, error body or header line kept. */
#define REGISTRY_TOKEN_BYTES_MAX (64 * 1024)
#define REGISTRY_ERROR_BODY_MAX (16 * 1024)
#define REGISTRY_HEADER_VALUE_MAX 8192
/* Tries of one request on 429 (when Retry-After fits the time left),
   on 5xx and on connection errors. */
#define REGISTRY_TRIES_MAX 3
/*
 * A layer is read in ranges. The reader's hint (blob_stream_want: the
 * bytes the decompressor expects to need for the file it is reading)
 * sizes a range, but never below the hint minimum. Without a hint (the
 * reader walks the tar looking for a name) the first range is small, as
 * a program copied into the top layer usually starts within it, and
 * each next one is larger by the growth factor, up to the maximum: a
 * layer read whole costs few requests, a layer left early few bytes.
 */
#define REGISTRY_RANGE_FIRST (2 * 1024)
#define REGISTRY_RANGE_GROWTH 4
#define REGISTRY_RANGE_HINT_MIN 1024
#define REGISTRY_RANGE_MAX (16 * 1024 * 1024)
/* The start of each layer read is kept for a second look at the same
   layer (a loader passed while looking for the program): this much of
   one layer, this much in all. It is most of the memory a check uses,
   so it stays small: a second look further in downloads that part of
   the layer again. */
#define REGISTRY_PREFIX_MAX (4 * 1024 * 1024)
#define REGISTRY_PREFIX_TOTAL_MAX (8 * 1024 * 1024)

struct registry_options {
	const char *username;     /* Basic credentials, or NULL */
	const char *password;
	const char *ca_file;      /* extra trust anchors, or NULL */
	const char *const *insecure_hosts;   /* plain HTTP / unverified TLS */
	size_t insecure_count;
	long long deadline_ms;    /* CLOCK_MONOTONIC ms; 0 = none */
	bool no_ranges;           /* read layers with one streamed GET */
	struct cache *cache;      /* documents fetched in this run, or NULL */
	/* where the node's runtime pulls from (mirrors, then the registry);
	   NULL: the reference's registry alone */
	const struct endpoint_list *endpoints;
	/* containerd's content store ("<root>/var/lib/containerd/
	   io.containerd.content.v1.content/blobs"): content by digest is
	   read there first, as a node that pulled it before has it; NULL:
	   none */
	const char *content_store;
	/* Called with one line per request when set (-v); never secrets. */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
};

/*
 * A source reading ref's repository from its registry. Nothing is sent
 * until the first fetch. The options' strings must outlive the source.
 */
struct source *registry_source_new(const struct reference *ref,
				   const struct registry_options *opt,
				   struct error *err);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
long long registry_now_ms(void);

#endif
