/* A client for the OCI distribution API (distribution-spec, "pull"). */
#include "registry.h"

#include <errno.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "blob.h"
#include "buf.h"
#include "cache.h"
#include "challenge.h"
#include "digest.h"
#include "error.h"
#include "escape.h"
#include "http.h"
#include "manifest.h"
#include "mirrors.h"
#include "reference.h"
#include "source.h"

/*
 * Every manifest request offers all image manifest and index types: a
 * registry answers an incomplete Accept with a conversion or with one
 * platform's manifest (distribution-spec, "Pulling manifests").
 */
static const char manifest_accept[] =
	MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", "
	MT_DOCKER_MANIFEST ", " MT_DOCKER_SCHEMA1_SIGNED ";q=0.5, "
	MT_DOCKER_SCHEMA1 ";q=0.5";

/*
 * One host the node's runtime tries, in order: mirrors from its
 * configuration, then the registry itself (containerd hosts.md, CRI-O
 * registries.conf). Each has its own scheme, TLS and credentials.
 */
struct target {
	char *domain;          /* host[:port] to contact */
	char *repository;      /* the repository to ask it for */
	char *prefix;          /* API path prefix, "/v2" by default */
	char *query;           /* "?ns=docker.io" for a mirror, or "" */
	char *scheme;          /* "https" or "http", NULL until known */
	bool loopback;
	bool insecure;         /* plain HTTP and unverified TLS allowed */
	bool plain_http;       /* may fall back to plain HTTP */
	bool mirror;
	bool can_resolve;
	bool can_pull;
	char *ca_file;
	char *client_cert;
	char *client_key;
	char **headers;        /* "Name: value" */
	size_t header_count;
	char *authorization;   /* header value once authenticated */
	bool token_cached;     /* that value came from the run's cache */
};

struct registry {
	struct source base;
	struct registry_options opt;
	struct http_client *http;
	struct target *targets;
	size_t target_count;
	struct target *t;      /* the one being talked to */
	char *home;            /* the reference's registry: the one host
				  its credentials are for */
	/* the start of each layer read, so that reading it again (a file
	   seen before the one looked for) costs no second download */
	struct layer_prefix *prefixes;
	size_t prefix_count;
	size_t prefix_bytes;
	uint64_t layer_bytes;  /* layer bytes received from the network */
	struct prefetch *pre;  /* a layer's first range, started early */
};

struct layer_prefix {
	char *digest;
	struct buf bytes;
};

long long registry_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void trace(struct registry *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void trace(struct registry *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!r->opt.trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->opt.trace(r->opt.trace_ctx, line);
}

/* The base URL "scheme://domain" of the current target. */
static char *base_url(struct registry *r, const char *scheme)
{
	return xasprintf("%s://%s", scheme, r->t->domain);
}

/* scheme://host:port of a URL, for same-origin checks; caller frees. */
static char *url_origin(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;

	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		    CURLUE_OK)
		out = xasprintf("%s://%s:%s", scheme, host, port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

/* Resolve a Location header against the URL it answered; caller frees. */
static char *resolve_location(const char *url, const char *location)
{
	CURLU *u = curl_url();
	char *joined = NULL, *out = NULL;

	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &joined, 0) == CURLUE_OK)
		out = xstrdup(joined);
	curl_free(joined);
	curl_url_cleanup(u);
	return out;
}

static char *url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;

	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			out = xasprintf("%s:%s", host, port);
		else
			out = xstrdup(host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out ? out : xstrdup("?");
}

/* The first error of a registry error body (distribution-spec "Error
   Codes"): code and escaped message into err->code and msg. */
static void parse_error_body(const struct buf *body, struct error *err,
			     char *msg, size_t size)
{
	struct document_registry_error e;

	msg[0] = '\0';
	if (!body->len)
		return;
	document_registry_error_parse(body->data, body->len, &e);
	if (e.code)
		escape_into(err->code, sizeof(err->code), e.code);
	if (e.message)
		escape_into(msg, size, e.message);
	document_registry_error_release(&e);
}

/* Turn a final non-2xx response into an error of the right category. */
static int status_error(struct registry *r, const char *what,
			const char *url, const struct http_response *resp,
			struct error *err)
{
	char msg[512], *host = url_host(url);
	enum error_category cat = ERROR_REGISTRY;
	long st = resp->status;

	parse_error_body(&resp->error_body, err, msg, sizeof(msg));
	if (st == 401 || st == 403)
		cat = ERROR_AUTH;
	else if (st == 429)
		cat = ERROR_RATELIMIT;
	else if (st == 404 && (!strcmp(err->code, "MANIFEST_UNKNOWN") ||
			       !strcmp(err->code, "NAME_UNKNOWN") ||
			       !strcmp(err->code, "BLOB_UNKNOWN")))
		cat = ERROR_NOTFOUND;
	error_set(err, cat, "%s: %s answered HTTP %ld%s%s%s%s", what, host, st,
		  err->code[0] ? " " : "", err->code, msg[0] ? ": " : "",
		  msg);
	err->http_status = st;
	free(host);
	return -1;
}

/*
 * An HTML page where a manifest or blob was asked for: a proxy's login
 * page or a captive portal answered, not the registry. What the image
 * holds is then unknown; it is no digest mismatch of the image's own.
 */
static bool is_html_page(const char *content_type, const void *data,
			 size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	if (!content_type || strncasecmp(content_type, "text/html", 9))
		return false;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
			   p[i] == '\n'))
		i++;
	return i < len && p[i] == '<';
}

static int html_page_error(const char *what, const char *host,
			   struct error *err)
{
	return error_set(err, ERROR_REGISTRY,
			 "%s: %s answered with an HTML page (text/html), not "
			 "the content asked for: a proxy or login page is in "
			 "the way", what, host);
}

static char *basic_authorization(const char *user, const char *pass)
{
	char *plain = xasprintf("%s:%s", user, pass ? pass : "");
	size_t n = strlen(plain);
	unsigned char *enc = xmalloc(4 * ((n + 2) / 3) + 1);
	char *out;

	EVP_EncodeBlock(enc, (const unsigned char *)plain, (int)n);
	out = xasprintf("Basic %s", enc);
	explicit_bzero(plain, n);
	free(plain);
	free(enc);
	return out;
}

/* The token in a token server's answer ("token" or "access_token"). */
static int parse_token(const struct buf *body, char **token,
		       struct error *err)
{
	struct document_token answer;
	const char *t;
	int ret = -1;

	document_token_parse(body->data, body->len, &answer);
	t = answer.token;
	if (!t || !*t)
		t = answer.access_token;
	if (t && *t && strlen(t) < REGISTRY_TOKEN_BYTES_MAX &&
	    !strpbrk(t, "\r\n")) {
		*token = xasprintf("Bearer %s", t);
		ret = 0;
	} else {
		error_set(err, ERROR_AUTH,
			  "token server answered without a usable token");
	}
	document_token_release(&answer);
	return ret;
}

static char *token_url(struct registry *r, const struct challenge *c)
{
	char *scope, *escaped_scope, *escaped_service = NULL, *url;
	const char *sep = strchr(c->realm, '?') ? "&" : "?";

	scope = c->scope ? xstrdup(c->scope) :
		xasprintf("repository:%s:pull", r->t->repository);
	escaped_scope = curl_easy_escape(NULL, scope, 0);
	if (c->service)
		escaped_service = curl_easy_escape(NULL, c->service, 0);
	if (escaped_service)
		url = xasprintf("%s%sservice=%s&scope=%s", c->realm, sep,
				escaped_service, escaped_scope);
	else
		url = xasprintf("%s%sscope=%s", c->realm, sep, escaped_scope);
	curl_free(escaped_service);
	curl_free(escaped_scope);
	free(scope);
	return url;
}

static bool insecure_for_url(struct registry *r, const char *url);

static bool host_is_loopback(const char *host)
{
	return !strncmp(host, "localhost", 9) || !strncmp(host, "127.", 4) ||
	       !strncmp(host, "[::1]", 5);
}

static bool url_is_loopback(const char *url)
{
	char *host = url_host(url);
	bool yes = host_is_loopback(host);

	free(host);
	return yes;
}

/* Credentials travel only over TLS, or to a loopback or explicitly
   insecure host: never in clear text across a network. */
static bool may_send_credentials(struct registry *r, const char *url)
{
	return !strncmp(url, "https:", 6) || url_is_loopback(url) ||
	       insecure_for_url(r, url);
}

/* The reference's credentials belong to its registry: a mirror (which
   containerd would look credentials up for by its own name) gets none. */
static bool credentials_for_target(const struct registry *r)
{
	return r->opt.username && !strcmp(r->t->domain, r->home);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Whether there is time to wait ms and still try again. */
static bool time_for(struct registry *r, long ms)
{
	return !r->opt.deadline_ms ||
	       registry_now_ms() + ms + 1000 < r->opt.deadline_ms;
}

/* Backoff with jitter before try number `tries` (1-based). */
static long backoff_ms(int tries)
{
	long base = 250L << (tries < 6 ? tries : 6);

	return base + (long)((unsigned)rand() % (unsigned)base);
}

/* Seconds in a Retry-After header (delta-seconds form), or -1. */
static long retry_after_ms(const char *value)
{
	char *end;
	long s;

	if (!value)
		return -1;
	s = strtol(value, &end, 10);
	if (end == value || s < 0 || s > 3600)
		return -1;
	return s * 1000;
}

/*
 * The token request, retried as the registry's own calls are: after a
 * transport error or a 5xx with backoff, after a 429 when its
 * Retry-After fits in the time left. 0 once a response is in resp.
 */
static int token_request(struct registry *r, const struct http_request *q,
			 struct http_response *resp, struct error *err)
{
	long wait;

	for (int tries = 1;; tries++) {
		http_response_release(resp);
		error_init(err);
		if (http_perform(r->http, q, resp, err) < 0)
			wait = err->category == ERROR_NETWORK ?
			       backoff_ms(tries) : -1;
		else if (resp->status == 429)
			wait = retry_after_ms(resp->retry_after);
		else if (resp->status >= 500)
			wait = backoff_ms(tries);
		else
			return 0;
		if (wait < 0 || tries >= REGISTRY_TRIES_MAX ||
		    !time_for(r, wait))
			return err->category == ERROR_NONE ? 0 : -1;
		trace(r, "  token request failed; retrying in %ld ms", wait);
		sleep_ms(wait);
	}
}

/* Bearer flow (distribution "token authentication"): ask the realm as
   given, service only when present, scope for the repository. */
static int fetch_token_locked(struct registry *r, const struct challenge *c,
			      struct error *err)
{
	struct http_request q = { .method = "GET" };
	struct http_response resp;
	char *url = token_url(r, c), *basic = NULL, *key;
	struct buf cached;
	int ret = -1;

	buf_init(&cached);
	http_response_init(&resp);
	key = xasprintf("token|%s|%s|%s", url, r->opt.username ?
			r->opt.username : "", r->opt.password ? "p" : "");
	if (!r->t->token_cached && cache_copy(r->opt.cache, key,
					      REGISTRY_TOKEN_BYTES_MAX,
					      &cached, NULL, NULL)) {
		/* tokens are cached per realm, service and scope (all in
		   the URL) for the run */
		free(r->t->authorization);
		r->t->authorization = buf_detach(&cached);
		r->t->token_cached = true;
		ret = 0;
		goto out;
	}
	r->t->token_cached = false;
	if (credentials_for_target(r) && may_send_credentials(r, url))
		basic = basic_authorization(r->opt.username, r->opt.password);
	q.url = url;
	q.authorization = basic;
	q.ca_file = r->opt.ca_file;
	q.insecure = insecure_for_url(r, url);
	q.body_limit = REGISTRY_TOKEN_BYTES_MAX;
	q.limit_name = "REGISTRY_TOKEN_BYTES_MAX";
	q.deadline_ms = r->opt.deadline_ms;
	q.trace = r->opt.trace;
	q.trace_ctx = r->opt.trace_ctx;
	trace(r, "GET %s (token)", url);
	if (token_request(r, &q, &resp, err) < 0) {
		error_prefix(err, "token request to %s", c->realm);
		goto out;
	}
	if (resp.status != 200) {
		status_error(r, "token request", url, &resp, err);
		err->category = resp.status == 429 ? ERROR_RATELIMIT :
			resp.status >= 500 ? ERROR_REGISTRY : ERROR_AUTH;
		if (resp.status == 429)
			error_prefix(err, "rate limited (Retry-After %s)",
				     resp.retry_after ? "beyond the time left" :
				     "not given");
		goto out;
	}
	free(r->t->authorization);
	r->t->authorization = NULL;
	ret = parse_token(&resp.body, &r->t->authorization, err);
	if (ret == 0)
		cache_put(r->opt.cache, key, r->t->authorization,
			  strlen(r->t->authorization), NULL, "");
out:
	buf_release(&cached);
	free(key);
	http_response_release(&resp);
	if (basic) {
		explicit_bzero(basic, strlen(basic));
		free(basic);
	}
	free(url);
	return ret;
}

/*
 * Images are checked in parallel; one token request per realm, service
 * and scope at a time, so that the others find it in the run's cache.
 * The one process-wide lock this program keeps.
 */
static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;

static int fetch_token(struct registry *r, const struct challenge *c,
		       struct error *err)
{
	int ret;

	pthread_mutex_lock(&token_lock);
	ret = fetch_token_locked(r, c, err);
	pthread_mutex_unlock(&token_lock);
	return ret;
}


/* Basic credentials travel as the registry is reached: over TLS, or to
   a loopback or explicitly insecure host. */
static bool basic_allowed(struct registry *r)
{
	char *home = base_url(r, r->t->scheme ? r->t->scheme : "https");
	bool ok = may_send_credentials(r, home);

	free(home);
	return ok;
}

/* Answer a 401 challenge; -1 when no credentials can satisfy it. */
static int authenticate(struct registry *r, const char *header,
			struct error *err)
{
	struct challenge c = { 0 };
	int ret = -1;

	if (!header)
		return error_set(err, ERROR_AUTH,
				 "registry '%s' answered 401 without a challenge",
				 r->t->domain);
	if (challenge_parse(header, &c, err) < 0) {
		err->category = ERROR_AUTH;
		error_prefix(err, "registry '%s'", r->t->domain);
		goto out;
	}
	if (c.scheme == CHALLENGE_BEARER) {
		ret = fetch_token(r, &c, err);
	} else if (c.scheme == CHALLENGE_BASIC && credentials_for_target(r) &&
		   basic_allowed(r)) {
		free(r->t->authorization);
		r->t->authorization = basic_authorization(r->opt.username,
						       r->opt.password);
		ret = 0;
	} else if (c.scheme == CHALLENGE_BASIC) {
		error_set(err, ERROR_AUTH,
			  "registry '%s' requires credentials (basic auth) "
			  "and none are configured", r->t->domain);
	} else {
		error_set(err, ERROR_AUTH,
			  "registry '%s' asks for an unsupported auth scheme",
			  r->t->domain);
	}
out:
	challenge_release(&c);
	return ret;
}

static bool insecure_for_url(struct registry *r, const char *url)
{
	char *host = url_host(url);
	bool insecure = false;
	size_t i;

	for (i = 0; i < r->opt.insecure_count; i++)
		if (!strcmp(host, r->opt.insecure_hosts[i]))
			insecure = true;
	/* the node's configuration says so for this host */
	if (r->t->insecure && !strcmp(host, r->t->domain))
		insecure = true;
	free(host);
	return insecure;
}

/* One API call: method and path, and how to take the answer. */
struct call {
	const char *method;
	const char *path;          /* "/v2/<name>/manifests/<ref>" */
	const char *accept;
	const char *range;
	size_t body_limit;
	const char *limit_name;
	const char *what;          /* for messages: "manifest 'v1'" */
};

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

struct attempt {
	char *url;
	struct http_response resp;
	struct http_stream *stream;   /* when the call streams */
};

static void attempt_reset(struct attempt *a)
{
	free(a->url);
	a->url = NULL;
	http_stream_close(a->stream);
	a->stream = NULL;
	http_response_release(&a->resp);
}

/* The first range of a layer, asked for before the layer is opened
   (registry_prefetch_blob); the layer's first open takes it over. */
struct prefetch {
	char *digest;
	struct target *t;      /* the host it was asked of */
	uint64_t size;         /* bytes asked for */
	struct attempt a;
};

static void prefetch_free(struct prefetch *p)
{
	if (!p)
		return;
	attempt_reset(&p->a);
	free(p->digest);
	free(p);
}

static bool same_origin_as_registry(struct registry *r, const char *url)
{
	char *home = base_url(r, r->t->scheme ? r->t->scheme : "https");
	char *a = url_origin(url), *b = url_origin(home);
	bool same = a && b && !strcmp(a, b);

	free(home);
	free(a);
	free(b);
	return same;
}

/* The request for call c to a->url, with what the target needs. */
static void request_for(struct registry *r, const struct call *c,
			const struct attempt *a, struct http_request *q)
{
	memset(q, 0, sizeof(*q));
	q->method = c->method;
	q->url = a->url;
	q->accept = c->accept;
	q->range = c->range;
	q->ca_file = r->t->ca_file ? r->t->ca_file : r->opt.ca_file;
	q->insecure = insecure_for_url(r, a->url);
	q->body_limit = c->body_limit;
	q->limit_name = c->limit_name;
	q->deadline_ms = r->opt.deadline_ms;
	q->trace = r->opt.trace;
	q->trace_ctx = r->opt.trace_ctx;
	/* The registry's credentials go to the registry only, never to a
	   host a redirect points at. */
	if (same_origin_as_registry(r, a->url)) {
		q->authorization = r->t->authorization;
		q->client_cert = r->t->client_cert;
		q->client_key = r->t->client_key;
		q->headers = r->t->headers;
		q->header_count = r->t->header_count;
	}
}

/* Send one request of the call to a->url; 0 when a response came. */
static int send_once(struct registry *r, const struct call *c,
		     struct attempt *a, bool stream, struct error *err)
{
	struct http_request q;
	int ret = 0;

	request_for(r, c, a, &q);
	trace(r, "%s %s%s%s%s", c->method, a->url, c->range ? " range " : "",
	      c->range ? c->range : "", q.authorization ? " (auth)" : "");
	http_response_release(&a->resp);
	if (stream) {
		a->stream = http_stream_open(r->http, &q, &a->resp, err);
		if (!a->stream)
			ret = -1;
	} else {
		ret = http_perform(r->http, &q, &a->resp, err);
	}
	if (ret == 0)
		trace(r, "  -> HTTP %ld", a->resp.status);
	return ret;
}

/* Follow a redirect: -1 when it may not be followed. */
static int follow_redirect(struct registry *r, const struct call *c,
			   struct attempt *a, int *hops, struct error *err)
{
	char *next;

	if (!a->resp.location)
		return status_error(r, c->what, a->url, &a->resp, err);
	if (++*hops > REGISTRY_REDIRECTS_MAX)
		return error_set(err, ERROR_REGISTRY,
				 "%s: more than %d redirects "
				 "(REGISTRY_REDIRECTS_MAX)", c->what,
				 REGISTRY_REDIRECTS_MAX);
	next = resolve_location(a->url, a->resp.location);
	if (!next)
		return error_set(err, ERROR_REGISTRY,
				 "%s: redirect to an invalid location",
				 c->what);
	if (!strncmp(a->url, "https:", 6) && strncmp(next, "https:", 6) &&
	    !insecure_for_url(r, next) && !r->t->loopback) {
		free(next);
		return error_set(err, ERROR_REGISTRY,
				 "%s: redirect from https to plain http "
				 "refused", c->what);
	}
	http_stream_close(a->stream);
	a->stream = NULL;
	free(a->url);
	a->url = next;
	return 0;
}

/* Which scheme to try first, and whether plain HTTP may follow. */
static const char *first_scheme(struct registry *r, bool *may_fall_back)
{
	*may_fall_back = false;
	if (r->t->scheme)
		return r->t->scheme;
	/* As containerd: a loopback registry (or one configured insecure)
	   is tried over HTTPS first, then over plain HTTP. */
	*may_fall_back = r->t->loopback || r->t->insecure ||
			 r->t->plain_http;
	return "https";
}

enum next_step { STEP_DONE, STEP_RETRY, STEP_FAIL };

/* Decide what a transport error means for the call. */
static enum next_step on_transport_error(struct registry *r,
					 const struct call *c, bool *fall_back,
					 int tries, struct error *err)
{
	/* Only a server that does not speak TLS at all sends us to plain
	   HTTP; a certificate that fails verification never does. */
	if (*fall_back && !r->t->scheme && !strcmp(err->code, "tls-handshake")) {
		trace(r, "  https failed (%s); trying plain http", err->message);
		*fall_back = false;
		r->t->scheme = xstrdup("http");
		return STEP_RETRY;
	}
	if (!strcmp(err->code, "tls-verify")) {
		error_prefix(err, "%s: TLS certificate of %s not trusted "
			     "(add its CA with --ca-file, or name it with "
			     "--insecure-registry)", c->what, r->t->domain);
		return STEP_FAIL;
	}
	if (tries < REGISTRY_TRIES_MAX && time_for(r, backoff_ms(tries))) {
		sleep_ms(backoff_ms(tries));
		return STEP_RETRY;
	}
	error_prefix(err, "%s: cannot reach %s", c->what, r->t->domain);
	return STEP_FAIL;
}

/* Decide what a final (non-redirect) status means for the call. */
static enum next_step on_status(struct registry *r, const struct call *c,
				struct attempt *a, bool *authed, int tries,
				struct error *err)
{
	long st = a->resp.status, wait;

	if (st >= 200 && st <= 299)
		return STEP_DONE;
	if (st == 401 && !*authed) {
		*authed = true;
		/* Only the registry itself may ask for its credentials: a
		   host a redirect led to gets none. */
		if (!same_origin_as_registry(r, a->url)) {
			status_error(r, c->what, a->url, &a->resp, err);
			error_prefix(err, "credentials are not sent to a host "
				     "the registry redirected to");
			return STEP_FAIL;
		}
		if (authenticate(r, a->resp.www_authenticate, err) < 0)
			return STEP_FAIL;
		return STEP_RETRY;
	}
	if (st == 429) {
		wait = retry_after_ms(a->resp.retry_after);
		if (wait >= 0 && tries < REGISTRY_TRIES_MAX &&
		    time_for(r, wait)) {
			trace(r, "  rate limited; retrying in %ld ms", wait);
			sleep_ms(wait);
			return STEP_RETRY;
		}
		status_error(r, c->what, a->url, &a->resp, err);
		error_prefix(err, "rate limited (Retry-After %s)",
			     a->resp.retry_after ? "beyond the time left" :
			     "not given");
		return STEP_FAIL;
	}
	/* a token from the run's cache may have expired: fetch anew once */
	if (st == 401 && *authed && r->t->token_cached) {
		trace(r, "  cached token refused; asking for a new one");
		if (authenticate(r, a->resp.www_authenticate, err) < 0)
			return STEP_FAIL;
		return STEP_RETRY;
	}
	if ((st == 401 || st == 403) && *authed) {
		status_error(r, c->what, a->url, &a->resp, err);
		error_prefix(err, "%s", r->opt.username ?
			     "the credentials given were refused" :
			     "anonymous access was refused and no credentials "
			     "are configured");
		return STEP_FAIL;
	}
	if (st >= 500 && tries < REGISTRY_TRIES_MAX &&
	    time_for(r, backoff_ms(tries))) {
		sleep_ms(backoff_ms(tries));
		return STEP_RETRY;
	}
	status_error(r, c->what, a->url, &a->resp, err);
	return STEP_FAIL;
}

/*
 * Run a call against the registry: scheme fallback, the auth challenge,
 * redirects, retries. On success a->resp holds a 2xx response (and
 * a->stream the open body when stream is set).
 */
static int registry_call(struct registry *r, const struct call *c,
			 struct attempt *a, bool stream, struct error *err)
{
	bool authed = false, fall_back;
	int tries = 0, hops = 0;
	enum next_step step;

	first_scheme(r, &fall_back);
	for (;;) {
		const char *scheme = r->t->scheme ? r->t->scheme : "https";
		char *home = base_url(r, scheme);

		attempt_reset(a);
		a->url = xasprintf("%s%s", home, c->path);
		free(home);
		tries++;
		hops = 0;
		do {
			if (send_once(r, c, a, stream, err) < 0) {
				step = on_transport_error(r, c, &fall_back,
							  tries, err);
				goto decided;
			}
			if (!r->t->scheme)
				r->t->scheme = xstrdup(scheme);
			if (!is_redirect(a->resp.status))
				break;
			if (follow_redirect(r, c, a, &hops, err) < 0)
				return -1;
		} while (1);
		step = on_status(r, c, a, &authed, tries, err);
decided:
		if (step == STEP_DONE)
			return 0;
		if (step == STEP_FAIL)
			return -1;
		error_init(err);
	}
}

static bool is_digest(const char *ref)
{
	return strchr(ref, ':') != NULL;
}

static char *api_path(struct registry *r, const char *kind, const char *ref)
{
	return xasprintf("%s/%s/%s/%s%s", r->t->prefix, r->t->repository,
			 kind, ref, r->t->query);
}

/* HEAD a tag for its digest; *digest stays NULL when HEAD is refused or
   says nothing (some registries answer HEAD with 403, 404 or 405 and GET
   with 200). -1 only for what a GET would meet too: network, 429. */
static int resolve_tag(struct registry *r, const char *tag, char **digest,
		       struct error *err)
{
	struct attempt a = { 0 };
	struct call c = { .method = "HEAD", .accept = manifest_accept };
	char what[512], *path = api_path(r, "manifests", tag);

	snprintf(what, sizeof(what), "manifest '%s:%s'", r->t->repository, tag);
	c.path = path;
	c.what = what;
	http_response_init(&a.resp);
	if (registry_call(r, &c, &a, false, err) == 0) {
		if (a.resp.docker_digest &&
		    reference_digest_valid(a.resp.docker_digest) &&
		    digest_supported(a.resp.docker_digest))
			*digest = xstrdup(a.resp.docker_digest);
	} else if (err->category != ERROR_RATELIMIT &&
		   err->category != ERROR_NETWORK) {
		error_init(err);   /* HEAD refused: GET decides */
	}
	attempt_reset(&a);
	free(path);
	return err->category == ERROR_NONE ? 0 : -1;
}

static int check_manifest_digest(struct registry *r, const char *asked,
				 struct fetched *out, struct error *err)
{
	const char *want = NULL, *why = NULL;

	if (is_digest(asked)) {
		want = asked;
		why = "the requested digest";
	} else if (out->header_digest &&
		   digest_supported(out->header_digest)) {
		want = out->header_digest;
		why = "its Docker-Content-Digest header";
	}
	/* the runtimes refuse what they cannot verify */
	if (want && !digest_supported(want))
		return error_set(err, ERROR_DIGEST,
				 "manifest '%s': unsupported digest algorithm "
				 "in '%s'", asked, want);
	out->digest = digest_like(want ? want : "sha256:",
				  out->body.data ? out->body.data : "",
				  out->body.len);
	if (!want || !strcmp(want, out->digest))
		return 0;
	/* A signed schema 1 manifest's digest covers its payload without
	   the signatures, not the bytes served: the caller decides once it
	   knows what the body is. */
	if (out->content_type && media_type_is_schema1(out->content_type)) {
		out->unverified_digest = xstrdup(want);
		return 0;
	}
	if (is_html_page(out->content_type, out->body.data, out->body.len)) {
		char what[512];

		snprintf(what, sizeof(what), "manifest '%s'", asked);
		return html_page_error(what, out->host, err);
	}
	return error_set(err, ERROR_DIGEST,
			 "manifest '%s' from %s: content does not match "
			 "digest: expected %s (%s), got %s", asked, out->host,
			 want, why, out->digest);
}

/* The run's cache key of a digest in this registry's repository. */
static char *cache_key(struct registry *r, const char *digest)
{
	return xasprintf("%s/%s@%s", r->t->domain, r->t->repository, digest);
}

/* A manifest already fetched (and verified) in this run. */
static bool manifest_from_cache(struct registry *r, const char *digest,
				struct fetched *out)
{
	char *key = cache_key(r, digest);
	bool hit = cache_copy(r->opt.cache, key, MANIFEST_BYTES_MAX,
			      &out->body, &out->content_type, &out->host);

	free(key);
	if (!hit)
		return false;
	trace(r, "%s: already fetched in this run", digest);
	out->digest = xstrdup(digest);
	return true;
}

static void remember(struct registry *r, const char *digest,
		     const struct buf *body, const char *content_type,
		     const char *host)
{
	char *key = cache_key(r, digest);

	cache_put(r->opt.cache, key, body->data ? body->data : "", body->len,
		  content_type, host);
	free(key);
}

/* The file of a digest in the node's content store, if it has one. */
static char *local_path(struct registry *r, const char *digest)
{
	const char *colon = strchr(digest, ':');
	struct stat st;
	char *path;

	if (!r->opt.content_store || !colon || !reference_digest_valid(digest))
		return NULL;
	path = xasprintf("%s/%.*s/%s", r->opt.content_store,
			 (int)(colon - digest), digest, colon + 1);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		return path;
	free(path);
	return NULL;
}

/* Read a whole blob from the content store, checked like any other. */
static int read_local(struct registry *r, const char *digest, size_t limit,
		      struct buf *out, struct error *err)
{
	char *path = local_path(r, digest);
	struct blob_stream *s;
	struct blob_check chk;
	const void *data;
	struct stat st;
	ssize_t n = 0;
	int ret = 1;

	if (!path || stat(path, &st) < 0 || (uint64_t)st.st_size > limit ||
	    blob_check_init(&chk, digest, (uint64_t)st.st_size, err) < 0) {
		free(path);
		return 1;
	}
	s = blob_stream_open_file(path, err);
	while (s && (n = blob_stream_read(s, &data, err)) > 0 &&
	       blob_check_update(&chk, data, (size_t)n, err) == 0)
		buf_append(out, data, (size_t)n, limit, "limit", NULL);
	if (s && n == 0 && blob_check_finish(&chk, err) == 0) {
		trace(r, "%s: from the content store", digest);
		ret = 0;
	} else {
		buf_reset(out);   /* a bad local copy: ask the registry */
		error_init(err);
	}
	blob_stream_close(s);
	blob_check_release(&chk);
	free(path);
	return ret;
}

/* GET a manifest by tag or digest from the current target, verified. */
static int get_manifest_here(struct registry *r, const char *ref,
			     struct fetched *out, struct error *err)
{
	struct call c = { .method = "GET", .accept = manifest_accept };
	struct attempt a = { 0 };
	char what[512], *path = api_path(r, "manifests", ref);
	int ret = -1;

	http_response_init(&a.resp);
	snprintf(what, sizeof(what), "manifest '%s%s%s'", r->t->repository,
		 is_digest(ref) ? "@" : ":", ref);
	c.path = path;
	c.what = what;
	c.body_limit = MANIFEST_BYTES_MAX;
	c.limit_name = "MANIFEST_BYTES_MAX";
	if (registry_call(r, &c, &a, false, err) < 0)
		goto out;
	out->body = a.resp.body;
	buf_init(&a.resp.body);
	out->content_type = a.resp.content_type ?
		xstrdup(a.resp.content_type) : NULL;
	out->header_digest = a.resp.docker_digest ?
		xstrdup(a.resp.docker_digest) : NULL;
	out->host = url_host(a.url);
	out->mirror = r->t->mirror;
	ret = check_manifest_digest(r, ref, out, err);
	if (ret == 0)
		remember(r, out->digest, &out->body, out->content_type,
			 out->host);
out:
	attempt_reset(&a);
	free(path);
	return ret;
}

/*
 * The hosts the runtime tries, in its order, for one fetch: those that
 * may resolve tags for a tag, those that may pull for a digest. A host
 * that fails is skipped, as containerd and CRI-O do, except when its
 * content does not match its digest: that fails the node's pull too.
 */
static bool may_serve(const struct target *t, bool resolve)
{
	return resolve ? t->can_resolve : t->can_pull;
}

static int next_target(struct registry *r, size_t *i, bool resolve)
{
	while (*i < r->target_count && !may_serve(&r->targets[*i], resolve))
		(*i)++;
	if (*i >= r->target_count)
		return -1;
	r->t = &r->targets[(*i)++];
	return 0;
}

static int no_target(struct registry *r, bool resolve, struct error *err)
{
	return error_set(err, ERROR_REGISTRY,
			 "no host configured for '%s' may %s",
			 r->targets[0].repository,
			 resolve ? "resolve a tag" : "pull by digest");
}

/*
 * A manifest by digest: from this run's cache, the node's content store,
 * then each host that may pull, in order.
 */
static int fetch_digest(struct registry *r, const char *digest,
			struct fetched *out, struct error *err)
{
	size_t i = 0;
	int tried = 0;

	if (manifest_from_cache(r, digest, out))
		return 0;
	if (read_local(r, digest, MANIFEST_BYTES_MAX, &out->body, err) == 0) {
		out->digest = xstrdup(digest);
		out->host = xstrdup("containerd content store");
		return 0;
	}
	while (next_target(r, &i, false) == 0) {
		error_init(err);
		tried++;
		if (get_manifest_here(r, digest, out, err) == 0)
			return 0;
		fetched_release(out);
		if (err->category == ERROR_DIGEST)
			return -1;
		trace(r, "%s: %s", r->t->domain, err->message);
	}
	return tried ? -1 : no_target(r, false, err);
}

/*
 * A tag, as containerd resolves it: the first host that may resolve and
 * answers names the digest (HEAD, or GET where HEAD says nothing); that
 * digest is then fetched from the hosts that may pull. A tag is never
 * resolved twice: once a host has named the digest, it is the image.
 */
static int fetch_tag(struct registry *r, const char *tag,
		     struct fetched *out, struct error *err)
{
	struct target *resolver;
	char *digest;
	size_t i = 0;
	int tried = 0, ret;

	while (next_target(r, &i, true) == 0) {
		error_init(err);
		tried++;
		digest = NULL;
		if (resolve_tag(r, tag, &digest, err) < 0) {
			trace(r, "%s: %s", r->t->domain, err->message);
			continue;
		}
		if (!digest) {
			if (get_manifest_here(r, tag, out, err) == 0)
				return 0;
			fetched_release(out);
			if (err->category == ERROR_DIGEST)
				return -1;
			trace(r, "%s: %s", r->t->domain, err->message);
			continue;
		}
		resolver = r->t;
		ret = fetch_digest(r, digest, out, err);
		if (ret == 0) {
			/* the report names the host that decided the tag */
			free(out->host);
			out->host = xstrdup(resolver->domain);
			out->mirror = resolver->mirror;
		}
		free(digest);
		return ret;
	}
	return tried ? -1 : no_target(r, true, err);
}

static int registry_fetch_manifest(struct source *s, const char *ref,
				   struct fetched *out, struct error *err)
{
	struct registry *r = (struct registry *)s;

	return is_digest(ref) ? fetch_digest(r, ref, out, err) :
		fetch_tag(r, ref, out, err);
}

static bool blob_from_cache(struct registry *r, const char *digest,
			    size_t limit, struct buf *out)
{
	char *key = cache_key(r, digest);
	bool hit = cache_copy(r->opt.cache, key, limit, out, NULL, NULL);

	free(key);
	if (hit)
		trace(r, "%s: already fetched in this run", digest);
	return hit;
}

static int fetch_blob_here(struct registry *r, const char *digest,
			   size_t limit, struct buf *out, struct error *err)
{
	struct call c = { .method = "GET" };
	struct attempt a = { 0 };
	char what[512], *path = api_path(r, "blobs", digest), *got = NULL;
	char *host = NULL;
	int ret = -1;

	if (blob_from_cache(r, digest, limit, out)) {
		free(path);
		return 0;
	}
	http_response_init(&a.resp);
	snprintf(what, sizeof(what), "blob '%s'", digest);
	c.path = path;
	c.what = what;
	c.body_limit = limit;
	c.limit_name = "CONFIG_BYTES_MAX";
	if (registry_call(r, &c, &a, false, err) < 0)
		goto out;
	got = digest_like(digest, a.resp.body.data ? a.resp.body.data : "",
			  a.resp.body.len);
	host = url_host(a.url);
	if (!got) {
		error_set(err, ERROR_DIGEST,
			  "blob '%s': unsupported digest algorithm", digest);
		goto out;
	}
	if (strcmp(got, digest) &&
	    is_html_page(a.resp.content_type, a.resp.body.data,
			 a.resp.body.len)) {
		html_page_error(what, host, err);
		goto out;
	}
	if (strcmp(got, digest)) {
		error_set(err, ERROR_DIGEST,
			  "blob '%s' from %s: content does not match digest: "
			  "got %s", digest, host, got);
		goto out;
	}
	remember(r, digest, &a.resp.body, NULL, host);
	*out = a.resp.body;
	buf_init(&a.resp.body);
	ret = 0;
out:
	attempt_reset(&a);
	free(host);
	free(got);
	free(path);
	return ret;
}

static int registry_fetch_blob(struct source *s, const char *digest,
			       size_t limit, struct buf *out,
			       struct error *err)
{
	struct registry *r = (struct registry *)s;
	size_t i = 0;
	int tried = 0;

	if (read_local(r, digest, limit, out, err) == 0)
		return 0;

	while (next_target(r, &i, false) == 0) {
		error_init(err);
		tried++;
		if (fetch_blob_here(r, digest, limit, out, err) == 0)
			return 0;
		if (err->category == ERROR_DIGEST)
			return -1;
		trace(r, "%s: %s", r->t->domain, err->message);
	}
	return tried ? -1 : no_target(r, false, err);
}

/*
 * A layer read in growing HTTP ranges, so that a file found early costs
 * only the bytes before it. A registry that ignores Range answers 200
 * with the whole blob: that one response is then streamed and cut off
 * when the reader closes it.
 */
struct registry_blob {
	struct blob_stream base;
	struct registry *r;
	struct blob_check chk;  /* digest, size, bytes delivered */
	uint64_t range_start;   /* offset when the current range began */
	uint64_t chunk;         /* size of the next unhinted range */
	uint64_t want_end;      /* offset the reader expects to reach, 0 */
	bool hinted;            /* the current range was sized by it */
	struct attempt a;
	bool open;              /* a.stream is the current response */
	bool whole;             /* the registry ignored Range */
	bool sniffed;           /* the current response's first bytes seen */
	uint64_t skip;          /* bytes of a whole response already had */
	size_t prefix;          /* index in r->prefixes */
};

/* Serve bytes already read from this layer in this run. */
static ssize_t blob_from_prefix(struct registry_blob *b, const void **data,
				struct error *err)
{
	const struct buf *pre = &b->r->prefixes[b->prefix].bytes;
	size_t n;

	if (b->chk.offset >= pre->len)
		return 0;
	n = pre->len - (size_t)b->chk.offset;
	if (n > 64 * 1024)
		n = 64 * 1024;
	*data = pre->data + b->chk.offset;
	if (blob_check_update(&b->chk, *data, n, err) < 0)
		return -1;
	return (ssize_t)n;
}

/* Keep bytes just received at the end of the layer's prefix. */
static void blob_keep_prefix(struct registry_blob *b, const void *p,
			     size_t n)
{
	struct registry *r = b->r;
	struct buf *pre = &r->prefixes[b->prefix].bytes;

	r->layer_bytes += n;
	if (pre->len != b->chk.offset || pre->len + n > REGISTRY_PREFIX_MAX ||
	    r->prefix_bytes + n > REGISTRY_PREFIX_TOTAL_MAX)
		return;
	buf_append(pre, p, n, REGISTRY_PREFIX_MAX, "REGISTRY_PREFIX_MAX",
		   NULL);
	r->prefix_bytes += n;
}

/* Check that a 206 answers the range we asked for. */
static int check_content_range(struct registry_blob *b, struct error *err)
{
	unsigned long long start = 0, end = 0, total = 0;
	int n = 0;

	if (b->a.resp.content_range)
		n = sscanf(b->a.resp.content_range, "bytes %llu-%llu/%llu",
			   &start, &end, &total);
	if (n < 1 || start != b->chk.offset)
		return error_set(err, ERROR_REGISTRY,
				 "partial content for the wrong "
				 "range (asked from byte %llu)",
				 (unsigned long long)b->chk.offset);
	/* the runtime checks the size too: a blob of another size fails */
	if (n == 3 && total != b->chk.size)
		return error_set(err, ERROR_DIGEST,
				 "the registry says the blob has "
				 "%llu bytes, the manifest says %llu",
				 total, (unsigned long long)b->chk.size);
	return 0;
}

/* The next range's size: what the reader expects to need when it said,
   else the growing chunk; never past the blob's end. */
static uint64_t blob_range_size(struct registry_blob *b)
{
	uint64_t size = b->chunk, left = b->chk.size - b->chk.offset;

	b->hinted = b->want_end > b->chk.offset;
	if (b->hinted) {
		size = b->want_end - b->chk.offset;
		if (size < REGISTRY_RANGE_HINT_MIN)
			size = REGISTRY_RANGE_HINT_MIN;
		if (size > REGISTRY_RANGE_MAX)
			size = REGISTRY_RANGE_MAX;
	}
	return size < left ? size : left;
}

/*
 * Take over the layer's first range when it was started early and came
 * straight from the host now asked (a redirect, a refusal or a failure
 * is dropped: the usual request then meets it again, with its handling).
 * 0 when the range is taken.
 */
static int blob_adopt_prefetch(struct registry_blob *b)
{
	struct registry *r = b->r;
	struct prefetch *p = r->pre;
	struct error err;
	long status;

	if (!p || b->chk.offset != 0 || p->t != r->t ||
	    strcmp(p->digest, b->chk.digest))
		return -1;
	r->pre = NULL;
	attempt_reset(&b->a);
	b->a = p->a;
	memset(&p->a, 0, sizeof(p->a));
	prefetch_free(p);
	error_init(&err);
	if (http_stream_wait_headers(b->a.stream, &b->a.resp, &err) < 0) {
		trace(r, "  early range: %s", err.message);
		goto drop;
	}
	status = b->a.resp.status;
	trace(r, "  early range -> HTTP %ld", status);
	if (status != 206 || check_content_range(b, &err) < 0)
		goto drop;
	b->range_start = 0;
	b->hinted = false;
	b->open = true;
	b->sniffed = false;
	return 0;
drop:
	attempt_reset(&b->a);
	http_response_init(&b->a.resp);
	return -1;
}

static int blob_open_next(struct registry_blob *b, struct error *err)
{
	struct call c = { .method = "GET" };
	char what[256], range[64], *path;
	int ret = -1;

	if (blob_adopt_prefetch(b) == 0)
		return 0;
	path = api_path(b->r, "blobs", b->chk.digest);

	snprintf(what, sizeof(what), "blob");
	c.path = path;
	c.what = what;
	if (!b->r->opt.no_ranges) {
		snprintf(range, sizeof(range), "%llu-%llu",
			 (unsigned long long)b->chk.offset,
			 (unsigned long long)(b->chk.offset +
					      blob_range_size(b) - 1));
		c.range = range;
	}
	b->range_start = b->chk.offset;
	if (registry_call(b->r, &c, &b->a, true, err) < 0)
		goto out;
	if (b->a.resp.status == 206) {
		if (check_content_range(b, err) < 0)
			goto out;
	} else {
		b->whole = true;       /* 200: the whole blob follows */
		b->skip = b->chk.offset;
	}
	b->open = true;
	b->sniffed = false;
	ret = 0;
out:
	free(path);
	return ret;
}

/* Open the next range where the config came from, else from the other
   hosts that may pull, in order, as the runtime tries them. */
static int blob_open_any(struct registry_blob *b, struct error *err)
{
	struct target *first = b->r->t;
	size_t i = 0;

	if (blob_open_next(b, err) == 0)
		return 0;
	if (err->category == ERROR_DIGEST)
		return -1;
	while (next_target(b->r, &i, false) == 0) {
		if (b->r->t == first)
			continue;
		trace(b->r, "  trying %s for the layer", b->r->t->domain);
		error_init(err);
		if (blob_open_next(b, err) == 0)
			return 0;
		if (err->category == ERROR_DIGEST)
			return -1;
	}
	return -1;
}

/* The stream's end: the whole blob must have come, and match. */
static ssize_t blob_end(struct registry_blob *b, struct error *err)
{
	return blob_check_finish(&b->chk, err) < 0 ? -1 : 0;
}

static ssize_t registry_blob_read(struct blob_stream *s, const void **data,
				  struct error *err)
{
	struct registry_blob *b = (struct registry_blob *)s;
	const char *p;
	ssize_t n;

	n = blob_from_prefix(b, data, err);
	if (n != 0)
		return n;
	for (;;) {
		if (!b->open) {
			if (b->chk.offset >= b->chk.size)
				return blob_end(b, err);
			if (blob_open_any(b, err) < 0)
				return -1;
		}
		n = http_stream_read(b->a.stream, data, err);
		if (n < 0)
			return -1;
		if (n == 0) {
			bool empty = b->chk.offset == b->range_start;

			attempt_reset(&b->a);
			b->open = false;
			if (empty && !b->whole)
				return error_set(err, ERROR_REGISTRY,
						 "empty answer to a range "
						 "request at byte %llu",
						 (unsigned long long)
						 b->chk.offset);
			if (b->whole || b->chk.offset >= b->chk.size)
				return blob_end(b, err);
			if (!b->hinted && b->chunk < REGISTRY_RANGE_MAX)
				b->chunk *= REGISTRY_RANGE_GROWTH;
			if (b->chunk > REGISTRY_RANGE_MAX)
				b->chunk = REGISTRY_RANGE_MAX;
			continue;
		}
		p = *data;
		if (!b->sniffed) {
			b->sniffed = true;
			if (is_html_page(b->a.resp.content_type, p, (size_t)n))
				return html_page_error("blob", b->r->t->domain,
						       err);
		}
		if (b->skip) {
			size_t drop = (uint64_t)n < b->skip ? (size_t)n :
				      (size_t)b->skip;

			b->skip -= drop;
			p += drop;
			n -= (ssize_t)drop;
			if (!n)
				continue;
		}
		blob_keep_prefix(b, p, (size_t)n);
		/* the last byte is only handed out once the blob is known to
		   be the one the manifest names */
		if (blob_check_update(&b->chk, p, (size_t)n, err) < 0)
			return -1;
		*data = p;
		return n;
	}
}

static void registry_blob_want(struct blob_stream *s, uint64_t more)
{
	struct registry_blob *b = (struct registry_blob *)s;

	b->want_end = more ? b->chk.offset + more : 0;
}

static void registry_blob_close(struct blob_stream *s)
{
	struct registry_blob *b = (struct registry_blob *)s;

	attempt_reset(&b->a);
	blob_check_release(&b->chk);
	free(b);
}

static const struct blob_stream_ops registry_blob_ops = {
	.read = registry_blob_read,
	.want = registry_blob_want,
	.close = registry_blob_close,
};

/* The prefix slot of a layer, made on first use. */
static size_t prefix_for(struct registry *r, const char *digest)
{
	size_t i;

	for (i = 0; i < r->prefix_count; i++)
		if (!strcmp(r->prefixes[i].digest, digest))
			return i;
	r->prefixes = xrealloc(r->prefixes,
			       (r->prefix_count + 1) * sizeof(*r->prefixes));
	r->prefixes[i].digest = xstrdup(digest);
	buf_init(&r->prefixes[i].bytes);
	return r->prefix_count++;
}

/* A layer the node's content store already holds, checked as it is read. */
struct local_blob {
	struct blob_stream base;
	struct blob_stream *file;
	struct blob_check chk;
};

static ssize_t local_blob_read(struct blob_stream *s, const void **data,
			       struct error *err)
{
	struct local_blob *b = (struct local_blob *)s;
	ssize_t n = blob_stream_read(b->file, data, err);

	if (n == 0)
		n = blob_check_finish(&b->chk, err) < 0 ? -1 : 0;
	else if (n > 0 && blob_check_update(&b->chk, *data, (size_t)n,
					    err) < 0)
		n = -1;
	if (n < 0)
		error_prefix(err, "containerd content store");
	return n;
}

static void local_blob_close(struct blob_stream *s)
{
	struct local_blob *b = (struct local_blob *)s;

	blob_stream_close(b->file);
	blob_check_release(&b->chk);
	free(b);
}

static const struct blob_stream_ops local_blob_ops = {
	.read = local_blob_read,
	.close = local_blob_close,
};

static struct blob_stream *open_local(struct registry *r, const char *digest,
				      uint64_t size)
{
	char *path = local_path(r, digest);
	struct local_blob *b;
	struct error err;

	if (!path)
		return NULL;
	error_init(&err);
	b = xcalloc(1, sizeof(*b));
	b->base.ops = &local_blob_ops;
	b->file = blob_stream_open_file(path, &err);
	if (!b->file || blob_check_init(&b->chk, digest, size, &err) < 0) {
		blob_stream_close(b->file);
		free(b);
		b = NULL;
	} else {
		trace(r, "%s: from the content store", digest);
	}
	free(path);
	return b ? &b->base : NULL;
}

static struct blob_stream *registry_open_blob(struct source *s,
					      const char *digest,
					      int64_t size, struct error *err)
{
	struct blob_stream *local;
	struct registry_blob *b;

	if (size < 0) {
		error_set(err, ERROR_FORMAT, "negative size %lld",
			  (long long)size);
		return NULL;
	}
	local = open_local((struct registry *)s, digest, (uint64_t)size);
	if (local)
		return local;
	b = xcalloc(1, sizeof(*b));
	if (blob_check_init(&b->chk, digest, (uint64_t)size, err) < 0) {
		free(b);
		return NULL;
	}
	b->base.ops = &registry_blob_ops;
	b->r = (struct registry *)s;
	b->chunk = REGISTRY_RANGE_FIRST;
	b->prefix = prefix_for(b->r, digest);
	http_response_init(&b->a.resp);
	return &b->base;
}

/*
 * Ask for the first range of a layer now, without waiting for it: the
 * check reads the config meanwhile, and over HTTP/2 both travel in the
 * same round trip. Only on a connection known to multiplex (over
 * HTTP/1.1 the range would need a connection of its own, which costs
 * more round trips than it saves), to the host that served the
 * manifest, with its credentials, and not for a layer the content
 * store holds.
 */
static void registry_prefetch_blob(struct source *s, const char *digest,
				   int64_t size)
{
	struct registry *r = (struct registry *)s;
	struct call c = { .method = "GET", .what = "blob" };
	struct http_request q;
	struct prefetch *p;
	struct error err;
	char range[64], *local, *home, *path;
	uint64_t n;

	if (r->pre || r->opt.no_ranges || size <= 0 || !r->t->scheme ||
	    !r->t->can_pull || !http_client_multiplexed(r->http))
		return;
	local = local_path(r, digest);
	if (local) {
		free(local);
		return;
	}
	n = (uint64_t)size < REGISTRY_RANGE_FIRST ? (uint64_t)size :
	    REGISTRY_RANGE_FIRST;
	snprintf(range, sizeof(range), "0-%llu", (unsigned long long)(n - 1));
	p = xcalloc(1, sizeof(*p));
	path = api_path(r, "blobs", digest);
	c.path = path;
	c.range = range;
	home = base_url(r, r->t->scheme);
	p->a.url = xasprintf("%s%s", home, path);
	http_response_init(&p->a.resp);
	request_for(r, &c, &p->a, &q);
	trace(r, "GET %s range %s (early, with the config)%s", p->a.url,
	      range, q.authorization ? " (auth)" : "");
	error_init(&err);
	p->a.stream = http_stream_start(r->http, &q, &p->a.resp, &err);
	free(home);
	free(path);
	if (!p->a.stream) {
		prefetch_free(p);
		return;
	}
	p->digest = xstrdup(digest);
	p->t = r->t;
	p->size = n;
	r->pre = p;
}

static void registry_get_stats(struct source *s, struct source_stats *out)
{
	struct registry *r = (struct registry *)s;

	http_client_stats(r->http, &out->requests, &out->bytes_received);
	out->layer_bytes = r->layer_bytes;
	out->http_versions = http_client_versions(r->http);
}

static struct target *add_target(struct registry *r, const char *domain,
				 const char *repository)
{
	struct target *t;

	r->targets = xrealloc(r->targets,
			      (r->target_count + 1) * sizeof(*r->targets));
	t = &r->targets[r->target_count++];
	memset(t, 0, sizeof(*t));
	t->domain = xstrdup(domain);
	t->repository = xstrdup(repository);
	t->prefix = xstrdup("/v2");
	t->query = xstrdup("");
	t->loopback = host_is_loopback(domain);
	t->can_resolve = t->can_pull = true;
	for (size_t i = 0; i < r->opt.insecure_count; i++)
		if (!strcmp(r->opt.insecure_hosts[i], domain))
			t->insecure = true;
	return t;
}

/* scheme://host[:port] of an endpoint into scheme and domain. */
static int split_url(const char *url, char **scheme, char **domain)
{
	const char *sep = strstr(url, "://");

	if (!sep || strchr(sep + 3, '/'))
		return -1;
	*scheme = xstrndup(url, (size_t)(sep - url));
	*domain = xstrdup(sep + 3);
	return 0;
}

static void add_endpoint(struct registry *r, const struct endpoint *e,
			 const char *repository)
{
	char *scheme = NULL, *domain = NULL;
	struct target *t;

	if (split_url(e->url, &scheme, &domain) < 0)
		return;
	t = add_target(r, domain, e->rewritten_path ? e->rewritten_path :
		       repository);
	if (!strcmp(scheme, "http"))
		t->scheme = xstrdup("http");
	free(t->prefix);
	t->prefix = xstrdup(e->path ? e->path : "/v2");
	free(t->query);
	t->query = e->ns ? xasprintf("?ns=%s", e->ns) : xstrdup("");
	t->mirror = e->mirror;
	t->can_resolve = e->can_resolve;
	t->can_pull = e->can_pull;
	t->plain_http = e->plain_http;
	t->insecure = t->insecure || e->skip_verify;
	t->ca_file = e->ca_count ? xstrdup(e->ca_files[0]) : NULL;
	if (e->client_count) {
		t->client_cert = xstrdup(e->clients[0].cert);
		t->client_key = e->clients[0].key ?
			xstrdup(e->clients[0].key) : NULL;
	}
	t->headers = xcalloc(e->header_count + 1, sizeof(char *));
	for (size_t i = 0; i < e->header_count; i++)
		t->headers[i] = xstrdup(e->headers[i]);
	t->header_count = e->header_count;
	free(scheme);
	free(domain);
}

/* CRI-O: a digest-only mirror serves only references by digest, a
   tag-only one only references by tag. */
static bool endpoint_applies(const struct endpoint *e, bool by_digest)
{
	return !(e->digest_only && !by_digest) && !(e->tag_only && by_digest);
}

static void build_targets(struct registry *r, const struct reference *ref)
{
	const struct endpoint_list *l = r->opt.endpoints;

	for (size_t i = 0; l && i < l->count; i++)
		if (endpoint_applies(&l->items[i], ref->digest != NULL))
			add_endpoint(r, &l->items[i], ref->path);
	if (!r->target_count)
		add_target(r, reference_registry_host(ref), ref->path);
	r->t = &r->targets[0];
}

static void free_targets(struct registry *r)
{
	for (size_t i = 0; i < r->target_count; i++) {
		struct target *t = &r->targets[i];

		free(t->domain);
		free(t->repository);
		free(t->prefix);
		free(t->query);
		free(t->scheme);
		free(t->ca_file);
		free(t->client_cert);
		free(t->client_key);
		for (size_t k = 0; k < t->header_count; k++)
			free(t->headers[k]);
		free(t->headers);
		if (t->authorization) {
			explicit_bzero(t->authorization,
				       strlen(t->authorization));
			free(t->authorization);
		}
	}
	free(r->targets);
}

static void registry_free(struct source *s)
{
	struct registry *r = (struct registry *)s;

	prefetch_free(r->pre);
	http_client_free(r->http);
	for (size_t i = 0; i < r->prefix_count; i++) {
		free(r->prefixes[i].digest);
		buf_release(&r->prefixes[i].bytes);
	}
	free(r->prefixes);
	free_targets(r);
	free(r->home);
	free(r->base.name);
	free(r);
}

static const struct source_ops registry_ops = {
	.fetch_manifest = registry_fetch_manifest,
	.fetch_blob = registry_fetch_blob,
	.open_blob = registry_open_blob,
	.prefetch_blob = registry_prefetch_blob,
	.get_stats = registry_get_stats,
	.free = registry_free,
};

struct source *registry_source_new(const struct reference *ref,
				   const struct registry_options *opt,
				   struct error *err)
{
	struct registry *r = xcalloc(1, sizeof(*r));

	r->base.ops = &registry_ops;
	r->opt = *opt;
	r->http = http_client_new();
	if (!r->http) {
		free(r);
		error_set(err, ERROR_INTERNAL, "cannot start libcurl");
		return NULL;
	}
	r->home = xstrdup(reference_registry_host(ref));
	build_targets(r, ref);
	r->base.name = xstrdup(r->t->domain);
	return &r->base;
}
