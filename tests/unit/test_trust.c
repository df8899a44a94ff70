/* Unit tests for the CA certificates parsed once and shared by checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/http.h"
#include "preflight/trust.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define THREADS 8
/* Connections the test server serves at once. */
#define SERVER_CONNS 16

struct backend_case {
	const char *ssl_version;
	unsigned int major;
	bool want;
};

static const struct backend_case backend_cases[] = {
	{ "OpenSSL/3.0.19", 3, true },
	{ "OpenSSL/3.2.0+quic", 3, true },
	{ "OpenSSL/1.1.1w", 1, true },
	{ "OpenSSL/1.1.1w", 3, false },     /* another library's SSL_CTX */
	{ "OpenSSL/3.0.19", 1, false },
	{ "LibreSSL/3.8.2", 3, false },
	{ "BoringSSL", 3, false },
	{ "GnuTLS/3.7.9", 3, false },
	{ "(OpenSSL/3.0.2) GnuTLS/3.7.3", 3, false },   /* not in use */
	{ "OpenSSL/", 3, false },
	{ "OpenSSL/3", 3, false },
	{ "OpenSSL/x.0", 3, false },
	{ NULL, 3, false },
};

/* Trace lines seen, in order. */
static struct {
	pthread_mutex_t lock;
	char *lines[64];
	size_t count;
} traced = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void record(void *ctx, const char *line)
{
	pthread_mutex_lock(&traced.lock);
	if (traced.count < COUNT(traced.lines))
		traced.lines[traced.count++] = xstrdup(line);
	pthread_mutex_unlock(&traced.lock);
}

static void traced_clear(void)
{
	size_t i;

	for (i = 0; i < traced.count; i++)
		free(traced.lines[i]);
	traced.count = 0;
}

/* Lines traced that contain needle. */
static size_t traced_with(const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < traced.count; i++)
		n += strstr(traced.lines[i], needle) != NULL;
	return n;
}

/* libcurl's default CA bundle, which the system's anchors come from. */
static char *curl_bundle(void)
{
	CURL *e = curl_easy_init();
	char *path = NULL, *copy;

	assert_non_null(e);
	assert_int_equal(curl_easy_getinfo(e, CURLINFO_CAINFO, &path),
			 CURLE_OK);
	assert_non_null(path);
	copy = xstrdup(path);
	curl_easy_cleanup(e);
	return copy;
}

/* The certificates of the bundle, parsed here independently; the
   caller frees them with sk_X509_pop_free. */
static STACK_OF(X509) *bundle_stack(void)
{
	X509_STORE *s = X509_STORE_new();
	char *path = curl_bundle();
	STACK_OF(X509) *certs;

	assert_int_equal(X509_STORE_load_file(s, path), 1);
	certs = X509_STORE_get1_all_certs(s);
	assert_non_null(certs);
	X509_STORE_free(s);
	free(path);
	return certs;
}

static int bundle_certs(void)
{
	STACK_OF(X509) *certs = bundle_stack();
	int n = sk_X509_num(certs);

	sk_X509_pop_free(certs, X509_free);
	return n;
}

/* A certificate for key named cn, issued by issuer (signed with
   issuer_key), or self-signed when issuer is NULL; ext: its extensions
   as "NAME=VALUE" pairs. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
		       EVP_PKEY *issuer_key, const char *const *ext,
		       size_t n_ext)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	size_t i;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), issuer ? 2 : 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) :
			     name);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	for (i = 0; i + 1 < n_ext * 2; i += 2) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, ext[i],
						    ext[i + 1]);

		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, issuer ? issuer_key : key,
			      EVP_sha256()) > 0);
	return x;
}

static const char *const ca_ext[] = {
	"basicConstraints", "critical,CA:TRUE",
	"keyUsage", "critical,keyCertSign",
};

static const char *const server_ext[] = {
	"basicConstraints", "CA:FALSE",
	"subjectAltName", "IP:127.0.0.1",
	"extendedKeyUsage", "serverAuth",
};

/* A self-signed CA certificate, nowhere in the system's bundle; its
   key in *key when asked for. */
static X509 *make_ca_key(const char *cn, EVP_PKEY **key)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x;

	assert_non_null(k);
	x = make_cert(k, cn, NULL, NULL, ca_ext, COUNT(ca_ext) / 2);
	if (key)
		*key = k;
	else
		EVP_PKEY_free(k);
	return x;
}

/* A temporary file holding text; caller unlinks and frees. */
static char *temp_file(const char *text)
{
	char *path = xstrdup("/tmp/test_trust.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static char *temp_pem(X509 *x)
{
	char *path = temp_file("");
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	return path;
}

/* Whether the store trusts x (verified as a peer certificate). */
static bool trusts(X509_STORE *store, X509 *x, int *error)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	ok = X509_verify_cert(ctx);
	*error = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	return ok == 1;
}

static int store_certs(SSL_CTX *ctx)
{
	STACK_OF(X509) *all;
	int n;

	all = X509_STORE_get1_all_certs(SSL_CTX_get_cert_store(ctx));
	n = sk_X509_num(all);
	sk_X509_pop_free(all, X509_free);
	return n;
}

/* Attach a new easy handle for ca_file, then install into a new
   SSL_CTX: what libcurl's callback does. The status is in *ret. */
/* A CA of the tests and a server certificate it signed, for
   127.0.0.1; made once. */
static struct {
	X509 *ca, *cert;
	EVP_PKEY *ca_key, *key;
	char *ca_file;
} id;

static int make_identity(void **state)
{
	(void)state;
	id.ca = make_ca_key("trust test CA", &id.ca_key);
	id.key = EVP_EC_gen("P-256");
	id.cert = make_cert(id.key, "127.0.0.1", id.ca, id.ca_key,
			    server_ext, COUNT(server_ext) / 2);
	id.ca_file = temp_pem(id.ca);
	return 0;
}

static int drop_identity(void **state)
{
	(void)state;
	trust_reset();
	traced_clear();
	unlink(id.ca_file);
	free(id.ca_file);
	X509_free(id.ca);
	X509_free(id.cert);
	EVP_PKEY_free(id.ca_key);
	EVP_PKEY_free(id.key);
	return 0;
}

/* Attach a new easy handle for ca_file, then install into a new
   SSL_CTX: what libcurl's callback does. No cmocka assertions, so
   that threads may call it; the status is in *ret (-2: no sharing). */
static SSL_CTX *install_quiet(const char *ca_file, struct trust_use *u,
			      int *ret)
{
	CURL *e = curl_easy_init();
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	*ret = -2;
	if (e && ctx && trust_attach(e, ca_file, u)) {
		u->trace = record;
		*ret = trust_install(u, ctx);
	}
	curl_easy_cleanup(e);
	return ctx;
}

static SSL_CTX *install(const char *ca_file, struct trust_use *u, int *ret)
{
	SSL_CTX *ctx = install_quiet(ca_file, u, ret);

	assert_non_null(ctx);
	assert_int_not_equal(*ret, -2);
	return ctx;
}

/* Drive both ends of an in-memory connection until neither can move. */
static void pump(SSL *c, SSL *s, bool *c_done, bool *s_done)
{
	int i, r;

	for (i = 0; i < 100 && !(*c_done && *s_done); i++) {
		r = *c_done ? 1 : SSL_do_handshake(c);
		if (r == 1)
			*c_done = true;
		else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
			return;
		if (s && !*s_done && SSL_do_handshake(s) == 1)
			*s_done = true;
	}
}

/* A handshake, in memory, of a client of ctx (verifying the peer, as
   libcurl asks) with a server showing the test certificate: the
   client's verify result, or -1 when the handshake failed otherwise.
   With plain set the server answers as plain HTTP instead. */
static long handshake(SSL_CTX *ctx, bool plain)
{
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL *c = SSL_new(ctx), *s = NULL;
	BIO *cb, *sb;
	bool c_done = false, s_done = false;
	long result = -1;

	if (!sctx || !c || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
		goto out;
	SSL_set_bio(c, cb, cb);
	SSL_set_connect_state(c);
	SSL_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (plain) {
		SSL_do_handshake(c);   /* the ClientHello */
		BIO_write(sb, http, (int)strlen(http));
		BIO_free(sb);
	} else {
		SSL_CTX_use_certificate(sctx, id.cert);
		SSL_CTX_use_PrivateKey(sctx, id.key);
		s = SSL_new(sctx);
		SSL_set_bio(s, sb, sb);
		SSL_set_accept_state(s);
	}
	pump(c, s, &c_done, &s_done);
	if (c_done || SSL_get_verify_result(c) != X509_V_OK)
		result = SSL_get_verify_result(c);
out:
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(sctx);
	ERR_clear_error();
	return result;
}

static int fresh(void **state)
{
	(void)state;
	trust_reset();
	traced_clear();
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	return 0;
}

static void test_backend_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(backend_cases); i++) {
		const struct backend_case *c = &backend_cases[i];
		bool got = trust_backend_is_openssl(c->ssl_version, c->major);

		if (got != c->want)
			fail_msg("'%s' major %u: want %d, got %d",
				 c->ssl_version ? c->ssl_version : "(null)",
				 c->major, c->want, got);
	}
}

/* The bundle is parsed at the first certificate verified, once; each
   connection's store then holds all of it. */
static void test_system_parsed_once(void **state)
{
	struct trust_use u1, u2;
	SSL_CTX *a, *b;
	char *bundle = curl_bundle(), *want;
	X509_VERIFY_PARAM *param;
	int ret, n = bundle_certs();

	(void)state;
	a = install(NULL, &u1, &ret);
	assert_int_equal(ret, 0);
	b = install(NULL, &u2, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(trust_parse_count(), 0);   /* nothing verified */
	assert_int_equal(store_certs(a), 0);
	/* the test CA is not the system's */
	assert_int_equal(handshake(a, false),
			 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_int_equal(trust_parse_count(), 1);
	assert_true(n > 0);
	assert_int_equal(store_certs(a), n);
	assert_int_equal(handshake(b, false),
			 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_int_equal(trust_parse_count(), 1);
	assert_int_equal(store_certs(b), n);
	assert_false(trust_failed(&u1));
	assert_ptr_not_equal(SSL_CTX_get_cert_store(a),
			     SSL_CTX_get_cert_store(b));
	/* the flags libcurl sets on the stores it fills */
	param = X509_STORE_get0_param(SSL_CTX_get_cert_store(a));
	assert_true(X509_VERIFY_PARAM_get_flags(param) &
		    X509_V_FLAG_PARTIAL_CHAIN);
	assert_true(X509_VERIFY_PARAM_get_flags(param) &
		    X509_V_FLAG_TRUSTED_FIRST);
	want = xasprintf("trust store loaded from '%s': %d certificates",
			 bundle, n);
	assert_int_equal(traced.count, 1);
	if (!strstr(traced.lines[0], want))
		fail_msg("want '%s' in '%s'", want, traced.lines[0]);
	free(want);
	free(bundle);
	SSL_CTX_free(a);
	SSL_CTX_free(b);
}

/* A server that answers the ClientHello as plain HTTP shows no
   certificate: the bundle is not parsed. */
static void test_plain_http_parses_nothing(void **state)
{
	struct trust_use u;
	SSL_CTX *ctx;
	int ret;

	(void)state;
	ctx = install(NULL, &u, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(handshake(ctx, true), -1);
	assert_int_equal(trust_parse_count(), 0);
	assert_int_equal(traced.count, 0);
	SSL_CTX_free(ctx);
}

static void test_extra_file(void **state)
{
	STACK_OF(X509) *system = bundle_stack();
	X509 *root = sk_X509_value(system, 0);
	struct trust_use u;
	SSL_CTX *sys, *extra;
	int ret, error;

	(void)state;
	sys = install(NULL, &u, &ret);
	assert_int_equal(ret, 0);
	extra = install(id.ca_file, &u, &ret);
	assert_int_equal(ret, 0);
	/* the file's certificate; the system's come from the directory, by
	   hash, as libcurl was told before: the bundle is not copied */
	assert_int_equal(store_certs(extra), 1);
	assert_true(trusts(SSL_CTX_get_cert_store(extra), id.ca, &error));
	assert_true(trusts(SSL_CTX_get_cert_store(extra), root, &error));
	assert_int_equal(handshake(extra, false), X509_V_OK);
	/* the file's CA is not the system's: the other store refuses it */
	assert_false(trusts(SSL_CTX_get_cert_store(sys), id.ca, &error));
	assert_int_equal(error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	assert_int_not_equal(handshake(sys, false), X509_V_OK);
	assert_true(trusts(SSL_CTX_get_cert_store(sys), root, &error));
	SSL_CTX_free(extra);
	extra = install(id.ca_file, &u, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(handshake(extra, false), X509_V_OK);
	/* the file once, the bundle once (for sys), never for extra */
	assert_int_equal(trust_parse_count(), 2);
	assert_int_equal(traced_with(id.ca_file), 1);
	assert_int_equal(traced_with("with the system's CA directory"), 1);
	SSL_CTX_free(sys);
	SSL_CTX_free(extra);
	sk_X509_pop_free(system, X509_free);
}

/* An extra file alone never reads the bundle. */
static void test_extra_file_alone(void **state)
{
	struct trust_use u;
	SSL_CTX *ctx;
	int ret;

	(void)state;
	ctx = install(id.ca_file, &u, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(handshake(ctx, false), X509_V_OK);
	assert_int_equal(trust_parse_count(), 1);
	assert_int_equal(traced_with("shared by all checks"), 0);
	SSL_CTX_free(ctx);
}

/* A bundle that cannot be read fails verification (never a pass),
   and the transfer's error names it. */
static void test_unreadable_bundle(void **state)
{
	struct trust_use u;
	SSL_CTX *ctx;
	int ret;

	(void)state;
	trust_set_defaults("/nonexistent/ca-certificates.crt", NULL);
	ctx = install(NULL, &u, &ret);
	assert_int_equal(ret, 0);
	assert_false(trust_failed(&u));
	assert_int_equal(handshake(ctx, false), X509_V_ERR_UNSPECIFIED);
	assert_true(trust_failed(&u));
	assert_string_equal(u.err.message, "cannot read CA certificates "
			    "from '/nonexistent/ca-certificates.crt': No "
			    "such file or directory");
	assert_int_equal(handshake(ctx, false), X509_V_ERR_UNSPECIFIED);
	assert_int_equal(trust_parse_count(), 1);
	SSL_CTX_free(ctx);
	/* with a CA file of its own, a transfer does not need the bundle */
	ctx = install(id.ca_file, &u, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(handshake(ctx, false), X509_V_OK);
	SSL_CTX_free(ctx);
}

static void test_unreadable_file(void **state)
{
	char *path = temp_file("not a certificate\n"), *want;
	struct trust_use u;
	SSL_CTX *ctx;
	int ret, parses;

	(void)state;
	ctx = install(path, &u, &ret);
	assert_int_equal(ret, -1);
	assert_true(trust_failed(&u));
	want = xasprintf("cannot read CA certificates from '%s': ", path);
	if (strncmp(u.err.message, want, strlen(want)))
		fail_msg("want '%s...', got '%s'", want, u.err.message);
	free(want);
	SSL_CTX_free(ctx);
	/* the failure is kept: not parsed again */
	parses = trust_parse_count();
	ctx = install(path, &u, &ret);
	assert_int_equal(ret, -1);
	assert_int_equal(trust_parse_count(), parses);
	assert_int_equal(traced_with(path), 0);
	SSL_CTX_free(ctx);
	unlink(path);
	free(path);
}

static void test_extra_files_limit(void **state)
{
	CURL *e = curl_easy_init();
	struct trust_use u;
	char name[64];
	size_t i;

	(void)state;
	for (i = 0; i < TRUST_EXTRA_FILES_MAX; i++) {
		snprintf(name, sizeof(name), "/nonexistent/ca-%zu.pem", i);
		assert_true(trust_attach(e, name, &u));
	}
	/* one more is left to libcurl; known ones and none still share */
	assert_false(trust_attach(e, "/nonexistent/one-more.pem", &u));
	assert_null(u.anchors);
	assert_true(trust_attach(e, "/nonexistent/ca-0.pem", &u));
	assert_true(trust_attach(e, NULL, &u));
	assert_int_equal(trust_parse_count(), 0);   /* nothing parsed yet */
	curl_easy_cleanup(e);
}

static void test_https_proxy(void **state)
{
	CURL *e = curl_easy_init();
	struct trust_use u;

	(void)state;
	setenv("https_proxy", "HTTPS://127.0.0.1:9", 1);
	assert_false(trust_attach(e, NULL, &u));
	setenv("https_proxy", "http://127.0.0.1:9", 1);
	assert_true(trust_attach(e, NULL, &u));
	unsetenv("https_proxy");
	curl_easy_cleanup(e);
}

struct thread_result {
	int ret;
	long verify;
};

static void *install_thread(void *arg)
{
	struct thread_result *r = arg;
	struct trust_use u;
	SSL_CTX *ctx = install_quiet(NULL, &u, &r->ret);

	r->verify = r->ret == 0 ? handshake(ctx, false) : -1;
	SSL_CTX_free(ctx);
	return NULL;
}

static void test_threads_parse_once(void **state)
{
	struct thread_result r[THREADS];
	pthread_t t[THREADS];
	size_t i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, install_thread,
						&r[i]), 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].ret, 0);
		assert_int_equal(r[i].verify,
				 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	}
	assert_int_equal(trust_parse_count(), 1);
	assert_int_equal(traced_with("trust store loaded from"), 1);
}

/* A TLS server on 127.0.0.1 answering every request with 200 "ok" on
   keep-alive connections, each connection in a thread of its own. */
struct tls_server {
	SSL_CTX *ctx;
	int fd;
	int wake[2];              /* a byte here stops the server */
	int port;
	pthread_t thread;
	pthread_t conns[SERVER_CONNS];
	size_t conn_count;
	int handshakes;           /* completed, under lock */
	pthread_mutex_t lock;
};

struct tls_conn {
	struct tls_server *srv;
	int fd;
};

static void *serve_conn(void *arg)
{
	static const char answer[] = "HTTP/1.1 200 OK\r\n"
				     "Content-Length: 2\r\n\r\nok";
	struct tls_conn *c = arg;
	SSL *ssl = SSL_new(c->srv->ctx);
	char req[4096];
	size_t have = 0;
	int n;

	SSL_set_fd(ssl, c->fd);
	if (SSL_accept(ssl) == 1) {
		pthread_mutex_lock(&c->srv->lock);
		c->srv->handshakes++;
		pthread_mutex_unlock(&c->srv->lock);
		while ((n = SSL_read(ssl, req + have,
				     (int)(sizeof(req) - 1 - have))) > 0) {
			have += (size_t)n;
			req[have] = '\0';
			if (!strstr(req, "\r\n\r\n") && have < sizeof(req) - 1)
				continue;
			SSL_write(ssl, answer, (int)strlen(answer));
			have = 0;
		}
	}
	SSL_free(ssl);
	close(c->fd);
	free(c);
	return NULL;
}

static void *serve(void *arg)
{
	struct tls_server *srv = arg;
	struct pollfd p[2] = { { srv->fd, POLLIN, 0 },
			       { srv->wake[0], POLLIN, 0 } };

	while (poll(p, 2, -1) > 0 && !(p[1].revents & POLLIN)) {
		struct timeval tv = { 10, 0 };
		struct tls_conn *c;
		int fd = accept(srv->fd, NULL, NULL);

		if (fd < 0)
			continue;
		if (srv->conn_count == SERVER_CONNS) {
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		c = calloc(1, sizeof(*c));
		c->srv = srv;
		c->fd = fd;
		pthread_create(&srv->conns[srv->conn_count++], NULL,
			       serve_conn, c);
	}
	return NULL;
}

static void server_start(struct tls_server *srv, X509 *cert, EVP_PKEY *key)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	memset(srv, 0, sizeof(*srv));
	pthread_mutex_init(&srv->lock, NULL);
	srv->ctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(srv->ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(srv->ctx, key), 1);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(srv->fd >= 0);
	assert_int_equal(bind(srv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv->fd, 16), 0);
	getsockname(srv->fd, (struct sockaddr *)&a, &len);
	srv->port = ntohs(a.sin_port);
	assert_int_equal(pipe(srv->wake), 0);
	assert_int_equal(pthread_create(&srv->thread, NULL, serve, srv), 0);
}

/* Stop after the clients closed their connections. */
static void server_stop(struct tls_server *srv)
{
	size_t i;

	assert_int_equal(write(srv->wake[1], "x", 1), 1);
	pthread_join(srv->thread, NULL);
	for (i = 0; i < srv->conn_count; i++)
		pthread_join(srv->conns[i], NULL);
	close(srv->fd);
	close(srv->wake[0]);
	close(srv->wake[1]);
	SSL_CTX_free(srv->ctx);
	pthread_mutex_destroy(&srv->lock);
}

struct get_case {
	const char *host;         /* "127.0.0.1", or a name the cert lacks */
	int ca;                   /* 0 none, 1 the server's CA, 2 another */
	bool insecure;
	int want;                 /* 0: HTTP 200; -1: a TLS verify error */
};

/* In this order on one client: a connection trusted with one CA file
   must not serve a request naming another, or none. */
static const struct get_case get_cases[] = {
	{ "127.0.0.1", 1, false, 0 },
	{ "127.0.0.1", 2, false, -1 },
	{ "127.0.0.1", 0, false, -1 },
	{ "localhost", 1, false, -1 },       /* the name is not checked */
	{ "127.0.0.1", 0, true, 0 },
	{ "127.0.0.1", 1, false, 0 },
	{ "127.0.0.1", 2, false, -1 },
};

static void test_http_verifies(void **state)
{
	EVP_PKEY *ca_key, *srv_key = EVP_EC_gen("P-256");
	X509 *ca = make_ca_key("trust test CA", &ca_key);
	X509 *other = make_ca_key("another test CA", NULL);
	X509 *cert = make_cert(srv_key, "127.0.0.1", ca, ca_key, server_ext,
			       COUNT(server_ext) / 2);
	char *files[3] = { NULL, temp_pem(ca), temp_pem(other) };
	struct http_client *c = http_client_new();
	struct tls_server srv;
	size_t i;

	(void)state;
	server_start(&srv, cert, srv_key);
	for (i = 0; i < COUNT(get_cases); i++) {
		const struct get_case *g = &get_cases[i];
		char *url = xasprintf("https://%s:%d/", g->host, srv.port);
		struct http_request q = { .method = "GET", .url = url };
		struct http_response resp;
		struct error err;
		int ret;

		q.ca_file = files[g->ca];
		q.insecure = g->insecure;
		q.body_limit = 1024;
		q.limit_name = "test";
		q.trace = record;
		http_response_init(&resp);
		error_init(&err);
		ret = http_perform(c, &q, &resp, &err);
		if (ret != g->want || (ret == 0 && resp.status != 200) ||
		    (ret < 0 && strcmp(err.code, "tls-verify")))
			fail_msg("case %zu (%s, CA %d): want %d, got %d, "
				 "HTTP %ld, code '%s': %s", i, g->host, g->ca,
				 g->want, ret, resp.status, err.code,
				 err.message);
		http_response_release(&resp);
		free(url);
	}
	http_client_free(c);
	server_stop(&srv);
	/* the system's bundle and the two files, each parsed once */
	assert_int_equal(trust_parse_count(), 3);
	assert_int_equal(traced_with("trust store loaded from"), 3);
	for (i = 1; i < COUNT(files); i++) {
		unlink(files[i]);
		free(files[i]);
	}
	X509_free(cert);
	X509_free(ca);
	X509_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backend_table),
	    cmocka_unit_test_setup(test_system_parsed_once, fresh),
	    cmocka_unit_test_setup(test_plain_http_parses_nothing, fresh),
	    cmocka_unit_test_setup(test_extra_file, fresh),
	    cmocka_unit_test_setup(test_extra_file_alone, fresh),
	    cmocka_unit_test_setup(test_unreadable_bundle, fresh),
	    cmocka_unit_test_setup(test_unreadable_file, fresh),
	    cmocka_unit_test_setup(test_extra_files_limit, fresh),
	    cmocka_unit_test_setup(test_https_proxy, fresh),
	    cmocka_unit_test_setup(test_threads_parse_once, fresh),
	    cmocka_unit_test_setup(test_http_verifies, fresh),
	};
	int failed;

	/* the test server writes to clients that may have hung up */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed = cmocka_run_group_tests(tests, make_identity, drop_identity);
	curl_global_cleanup();
	return failed;
}
