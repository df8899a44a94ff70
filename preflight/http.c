/* HTTP transfers on libcurl: whole responses and pulled streams.
 *
 * Every transfer runs on one multi handle, so connections are reused per
 * host across requests. A stream is pulled: the reader pumps the multi
 * handle until body bytes arrive, and a stream nobody reads is paused
 * once HTTP_STREAM_PENDING_MAX bytes wait, so memory stays bounded.
 */
#include "http.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "error.h"
#include "escape.h"
#include "trust.h"

struct http_client {
	CURLM *multi;
	unsigned int requests;
	uint64_t bytes;
	bool multiplexed;   /* the last transfer done came over HTTP/2 or
			       later */
	unsigned int versions;    /* HTTP_VERSION_* bits of responses */
};

struct http_stream {
	struct http_client *client;
	CURL *easy;
	struct curl_slist *headers;
	struct http_response *resp;
	struct http_response own_resp;
	bool whole;               /* collect the body into resp->body */
	size_t body_limit;
	const char *limit_name;
	bool overflow;
	struct error overflow_err;
	bool headers_done;
	bool done;
	CURLcode result;
	bool paused;
	struct buf pending;       /* unread body bytes of a stream */
	bool handed_out;          /* pending was given to the reader */
	struct trust_use trust;   /* the shared CA certificates, if used */
	char errbuf[CURL_ERROR_SIZE];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
	buf_init(&r->error_body);
	r->content_length = -1;
}

static void response_clear_headers(struct http_response *r)
{
	free(r->content_type);
	free(r->docker_digest);
	free(r->location);
	free(r->www_authenticate);
	free(r->retry_after);
	free(r->content_range);
	r->content_type = r->docker_digest = r->location = NULL;
	r->www_authenticate = r->retry_after = r->content_range = NULL;
	r->content_length = -1;
}

void http_response_release(struct http_response *r)
{
	response_clear_headers(r);
	buf_release(&r->body);
	buf_release(&r->error_body);
	http_response_init(r);
}

struct http_client *http_client_new(void)
{
	struct http_client *c = xcalloc(1, sizeof(*c));

	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		return NULL;
	}
	return c;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	free(c);
}

void http_client_stats(const struct http_client *c, unsigned int *requests,
		       uint64_t *bytes)
{
	*requests = c->requests;
	*bytes = c->bytes;
}

unsigned int http_client_versions(const struct http_client *c)
{
	return c->versions;
}

/* Note the HTTP version a finished or abandoned transfer's response
   came in; one that got no response has none. */
static void note_version(struct http_stream *s)
{
	long v = 0;

	if (curl_easy_getinfo(s->easy, CURLINFO_HTTP_VERSION, &v) != CURLE_OK ||
	    !v)
		return;
	s->client->multiplexed = v >= CURL_HTTP_VERSION_2_0;
	switch (v) {
	case CURL_HTTP_VERSION_1_0:
		s->client->versions |= HTTP_VERSION_1_0;
		break;
	case CURL_HTTP_VERSION_1_1:
		s->client->versions |= HTTP_VERSION_1_1;
		break;
	case CURL_HTTP_VERSION_2_0:
		s->client->versions |= HTTP_VERSION_2;
		break;
	case CURL_HTTP_VERSION_3:
		s->client->versions |= HTTP_VERSION_3;
		break;
	default:
		break;
	}
}

/* Keep the headers a registry client needs; names are case-insensitive. */
static void store_header(struct http_response *r, const char *name,
			 size_t name_len, const char *value, size_t len)
{
	static const struct {
		const char *name;
		size_t offset;
	} wanted[] = {
		{ "content-type", offsetof(struct http_response, content_type) },
		{ "docker-content-digest",
		  offsetof(struct http_response, docker_digest) },
		{ "location", offsetof(struct http_response, location) },
		{ "www-authenticate",
		  offsetof(struct http_response, www_authenticate) },
		{ "retry-after", offsetof(struct http_response, retry_after) },
		{ "content-range",
		  offsetof(struct http_response, content_range) },
	};
	size_t i;

	if (len > HTTP_HEADER_VALUE_MAX)
		len = HTTP_HEADER_VALUE_MAX;
	if (name_len == 14 && !strncasecmp(name, "content-length", 14)) {
		r->content_length = strtoll(value, NULL, 10);
		return;
	}
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char **slot = (char **)((char *)r + wanted[i].offset);

		if (strlen(wanted[i].name) != name_len ||
		    strncasecmp(wanted[i].name, name, name_len))
			continue;
		if (!*slot)   /* the first of repeated headers wins */
			*slot = xstrndup(value, len);
		return;
	}
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct http_stream *s = ud;
	size_t len = size * n, name_len, vlen;
	const char *colon, *value;

	if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
		response_clear_headers(s->resp);   /* a new response begins */
		return len;
	}
	if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
		long status = 0;

		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200)
			s->headers_done = true;
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return len;
	name_len = (size_t)(colon - data);
	value = colon + 1;
	vlen = len - name_len - 1;
	while (vlen && (*value == ' ' || *value == '\t'))
		value++, vlen--;
	while (vlen && isspace((unsigned char)value[vlen - 1]))
		vlen--;
	store_header(s->resp, data, name_len, value, vlen);
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct http_stream *s = ud;
	size_t len = size * n;
	long status = 0;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		size_t room = HTTP_ERROR_BODY_MAX - s->resp->error_body.len;

		buf_append(&s->resp->error_body, data, len < room ? len : room,
			   HTTP_ERROR_BODY_MAX, "error body", NULL);
		return len;
	}
	if (s->whole) {
		if (buf_append(&s->resp->body, data, len, s->body_limit,
			       s->limit_name, &s->overflow_err) < 0) {
			s->overflow = true;
			return 0;   /* stop the transfer */
		}
	} else {
		if (s->pending.len >= HTTP_STREAM_PENDING_MAX) {
			s->paused = true;
			return CURL_WRITEFUNC_PAUSE;
		}
		buf_append(&s->pending, data, len, (size_t)-1, "stream", NULL);
	}
	s->client->bytes += len;
	return len;
}

static long remaining_ms(long long deadline_ms)
{
	long long left;

	if (!deadline_ms)
		return 0;
	left = deadline_ms - now_ms();
	return left > 1 ? (long)left : 1;
}

/* Verify the peer with the CA certificates every check shares, parsed
   once per process, or else with the files libcurl reads itself. */
static void set_trust(struct http_stream *s, const struct http_request *q)
{
	CURL *e = s->easy;

	if (q->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		return;
	}
	if (trust_attach(e, q->ca_file, &s->trust)) {
		s->trust.trace = q->trace;
		s->trust.trace_ctx = q->trace_ctx;
		return;
	}
	if (q->ca_file) {
		curl_easy_setopt(e, CURLOPT_CAINFO, q->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
}

static void set_options(struct http_stream *s, const struct http_request *q)
{
	CURL *e = s->easy;
	long left = remaining_ms(q->deadline_ms);

	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT,
			 "image-preflight/" PREFLIGHT_VERSION);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	if (!strcmp(q->method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (q->range)
		curl_easy_setopt(e, CURLOPT_RANGE, q->range);
	set_trust(s, q);
	if (q->client_cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, q->client_cert);
		if (q->client_key)
			curl_easy_setopt(e, CURLOPT_SSLKEY, q->client_key);
	}
	if (left) {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				 left < HTTP_CONNECT_TIMEOUT_MS ?
				 left : HTTP_CONNECT_TIMEOUT_MS);
	} else {
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)HTTP_CONNECT_TIMEOUT_MS);
	}
}

static void add_header(struct http_stream *s, const char *name,
		       const char *value)
{
	char *line;

	if (!value)
		return;
	line = xasprintf("%s: %s", name, value);
	s->headers = curl_slist_append(s->headers, line);
	free(line);
}

static void stream_free(struct http_stream *s)
{
	if (!s)
		return;
	if (s->easy) {
		note_version(s);
		curl_multi_remove_handle(s->client->multi, s->easy);
		curl_easy_cleanup(s->easy);
	}
	curl_slist_free_all(s->headers);
	buf_release(&s->pending);
	http_response_release(&s->own_resp);
	free(s);
}

static struct http_stream *stream_start(struct http_client *c,
					const struct http_request *q,
					struct http_response *resp,
					struct error *err)
{
	struct http_stream *s = xcalloc(1, sizeof(*s));

	s->client = c;
	s->resp = resp;
	http_response_init(&s->own_resp);
	buf_init(&s->pending);
	s->easy = curl_easy_init();
	if (!s->easy) {
		free(s);
		error_set(err, ERROR_INTERNAL, "cannot create a curl handle");
		return NULL;
	}
	set_options(s, q);
	add_header(s, "Accept", q->accept);
	add_header(s, "Authorization", q->authorization);
	for (size_t i = 0; i < q->header_count; i++)
		s->headers = curl_slist_append(s->headers, q->headers[i]);
	/* no "Expect: 100-continue" and no compressed manifests */
	s->headers = curl_slist_append(s->headers, "Expect:");
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_multi_add_handle(c->multi, s->easy);
	c->requests++;
	return s;
}

/* Run the multi handle once and note which transfers finished. */
static int client_pump(struct http_client *c, struct error *err)
{
	struct http_stream *s;
	CURLMsg *msg;
	CURLMcode mc;
	int running, left;

	mc = curl_multi_perform(c->multi, &running);
	if (mc != CURLM_OK)
		return error_set(err, ERROR_INTERNAL, "curl: %s",
				 curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		s = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
		if (s) {
			s->done = true;
			s->result = msg->data.result;
		}
	}
	return 0;
}

/* Pump until the stream has what `ready` asks for, or is done. */
static int stream_wait(struct http_stream *s,
		       bool (*ready)(const struct http_stream *),
		       struct error *err)
{
	while (!s->done && !ready(s)) {
		if (client_pump(s->client, err) < 0)
			return -1;
		if (s->done || ready(s))
			break;
		curl_multi_poll(s->client->multi, NULL, 0, 200, NULL);
	}
	return 0;
}

static bool has_headers(const struct http_stream *s)
{
	return s->headers_done;
}

static bool has_data(const struct http_stream *s)
{
	return s->pending.len > 0;
}

static bool never(const struct http_stream *s)
{
	return false;
}

static int transport_error(struct http_stream *s, struct error *err)
{
	const char *why = s->errbuf[0] ? s->errbuf :
			  curl_easy_strerror(s->result);
	char safe[512];

	/* a CA file that could not be read: curl's words would not say */
	if ((s->result == CURLE_SSL_CACERT_BADFILE ||
	     s->result == CURLE_PEER_FAILED_VERIFICATION) &&
	    trust_failed(&s->trust))
		why = s->trust.err.message;
	escape_into(safe, sizeof(safe), why);
	error_set(err, ERROR_NETWORK, "%s", safe);
	/* the registry client tells a plain-HTTP server from a bad
	   certificate by these */
	if (s->result == CURLE_SSL_CONNECT_ERROR)
		snprintf(err->code, sizeof(err->code), "tls-handshake");
	else if (s->result == CURLE_PEER_FAILED_VERIFICATION)
		snprintf(err->code, sizeof(err->code), "tls-verify");
	if (s->result == CURLE_OPERATION_TIMEDOUT)
		error_prefix(err, "timed out");
	return -1;
}

int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp, struct error *err)
{
	struct http_stream *s;
	int ret = -1;

	s = stream_start(c, req, resp, err);
	if (!s)
		return -1;
	s->whole = true;
	s->body_limit = req->body_limit;
	s->limit_name = req->limit_name;
	if (stream_wait(s, never, err) < 0)
		goto out;
	if (s->overflow) {
		*err = s->overflow_err;
		goto out;
	}
	if (s->result != CURLE_OK) {
		transport_error(s, err);
		goto out;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	ret = 0;
out:
	s->resp = &s->own_resp;
	stream_free(s);
	return ret;
}

bool http_client_multiplexed(const struct http_client *c)
{
	return c->multiplexed;
}

struct http_stream *http_stream_start(struct http_client *c,
				      const struct http_request *req,
				      struct http_response *resp,
				      struct error *err)
{
	return stream_start(c, req, resp, err);
}

int http_stream_wait_headers(struct http_stream *s, struct http_response *resp,
			     struct error *err)
{
	s->resp = resp;
	if (stream_wait(s, has_headers, err) < 0)
		return -1;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	if (s->done && s->result != CURLE_OK && !s->headers_done)
		return transport_error(s, err);
	/* collect a short error body, then hand the status back */
	if (resp->status < 200 || resp->status > 299)
		return stream_wait(s, never, err);
	return 0;
}

struct http_stream *http_stream_open(struct http_client *c,
				     const struct http_request *req,
				     struct http_response *resp,
				     struct error *err)
{
	struct http_stream *s;

	s = stream_start(c, req, resp, err);
	if (!s)
		return NULL;
	if (http_stream_wait_headers(s, resp, err) < 0) {
		http_stream_close(s);
		return NULL;
	}
	return s;
}

ssize_t http_stream_read(struct http_stream *s, const void **data,
			 struct error *err)
{
	if (s->handed_out) {
		buf_reset(&s->pending);   /* the reader is done with it */
		s->handed_out = false;
	}
	if (s->paused) {
		s->paused = false;
		curl_easy_pause(s->easy, CURLPAUSE_CONT);
	}
	if (stream_wait(s, has_data, err) < 0)
		return -1;
	if (s->pending.len) {
		s->handed_out = true;
		*data = s->pending.data;
		return (ssize_t)s->pending.len;
	}
	if (s->result != CURLE_OK)
		return transport_error(s, err);
	return 0;
}

void http_stream_close(struct http_stream *s)
{
	if (!s)
		return;
	s->resp = &s->own_resp;
	stream_free(s);
}
