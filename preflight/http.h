/* HTTP transfers on libcurl: whole responses and pulled streams. */
#ifndef PREFLIGHT_HTTP_H
#define PREFLIGHT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct error;

/* A non-2xx body is kept up to this size, for its error code. */
#define HTTP_ERROR_BODY_MAX (16 * 1024)
/* Longest response header value kept. */
#define HTTP_HEADER_VALUE_MAX 8192
/* A stream stops receiving while this much is unread. */
#define HTTP_STREAM_PENDING_MAX (1024 * 1024)
/* Connect timeout, within the overall deadline. */
#define HTTP_CONNECT_TIMEOUT_MS 15000

struct http_client;

/* The HTTP versions a client's responses came in, as bits. */
enum http_version_bit {
	HTTP_VERSION_1_0 = 1 << 0,
	HTTP_VERSION_1_1 = 1 << 1,
	HTTP_VERSION_2 = 1 << 2,
	HTTP_VERSION_3 = 1 << 3,
};

struct http_request {
	const char *method;       /* "GET" or "HEAD" */
	const char *url;
	const char *authorization;   /* full header value, or NULL */
	const char *accept;          /* or NULL */
	const char *range;           /* "bytes=0-99", or NULL */
	const char *ca_file;         /* or NULL */
	const char *client_cert;     /* TLS client certificate, or NULL */
	const char *client_key;      /* its key, or NULL (in the cert) */
	char *const *headers;        /* more "Name: value" headers */
	size_t header_count;
	bool insecure;               /* do not verify TLS */
	size_t body_limit;           /* for 2xx bodies of whole transfers */
	const char *limit_name;
	long long deadline_ms;       /* CLOCK_MONOTONIC; 0 = none */
	/* called with a line when the CA certificates are parsed, or NULL */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
};

struct http_response {
	long status;
	struct buf body;          /* a 2xx body (whole transfers) */
	struct buf error_body;    /* a non-2xx body, truncated */
	char *content_type;
	char *docker_digest;
	char *location;
	char *www_authenticate;
	char *retry_after;
	char *content_range;
	int64_t content_length;   /* -1 when not sent */
};

void http_response_init(struct http_response *r);
void http_response_release(struct http_response *r);

struct http_client *http_client_new(void);
void http_client_free(struct http_client *c);
/* Requests made and body bytes received so far. */
void http_client_stats(const struct http_client *c, unsigned int *requests,
		       uint64_t *bytes);
/* The HTTP_VERSION_* bits of the responses so far; 0 before the first. */
unsigned int http_client_versions(const struct http_client *c);

/*
 * One request, the whole response. Returns 0 once any HTTP response was
 * received (check resp->status), -1 on a transport error (ERROR_NETWORK
 * with curl's words) or when a 2xx body exceeds body_limit (ERROR_LIMIT).
 */
int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp, struct error *err);

struct http_stream;

/*
 * Start a request and wait for its response headers. A 2xx body is then
 * pulled with http_stream_read; any other status has its (short) body in
 * resp->error_body already. Returns NULL on a transport error.
 */
struct http_stream *http_stream_open(struct http_client *c,
				     const struct http_request *req,
				     struct http_response *resp,
				     struct error *err);
/*
 * http_stream_open in two halves: start the request and return at once
 * (it moves on whenever the client waits for any of its transfers),
 * then wait for its response headers, which go into resp (the response
 * given at the start may be moved there meanwhile: headers are stored
 * into resp from then on). -1 on a transport error; the stream is still
 * the caller's to close.
 */
struct http_stream *http_stream_start(struct http_client *c,
				      const struct http_request *req,
				      struct http_response *resp,
				      struct error *err);
int http_stream_wait_headers(struct http_stream *s, struct http_response *resp,
			     struct error *err);
/* Did the last transfer done come over HTTP/2 or later, so that a request
   started now shares its connection instead of opening another? */
bool http_client_multiplexed(const struct http_client *c);

/* Next chunk of the body; 0 at its end, -1 on error. */
ssize_t http_stream_read(struct http_stream *s, const void **data,
			 struct error *err);
/* Stop the transfer, wherever it is. NULL is allowed. */
void http_stream_close(struct http_stream *s);

#endif
