/* TLS trust anchors parsed once per process and shared by every check.
 *
 * libcurl reads its CA bundle for each TLS connection (the cache it has
 * since 7.87 lives in one multi handle, and is off when a CA directory
 * is set, as Debian's default is), and every check has a multi handle of
 * its own: parsing the system's bundle costs tens of milliseconds of
 * CPU, and OpenSSL 3 decodes under locks that checks running at once
 * fight over. Here each file is parsed once per process, the bundle
 * only when a server's certificate is first verified (a registry that
 * speaks plain HTTP answers the TLS attempt with none); each TLS
 * connection gets a store of its own holding those certificates (a
 * reference each, nothing parsed again), so that libcurl may set flags
 * on its store without touching another connection's. A transfer
 * naming an extra CA file trusts that file and the system's CA
 * directory, as libcurl was told before, so the bundle is not read for
 * it. The parsed files are kept in one process-wide table on purpose:
 * sharing them across threads and curl handles is the point.
 */
#include "trust.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "buf.h"

/* Sharing needs OpenSSL 3 (X509_STORE_load_file and friends) and
   libcurl 7.84 (CURLINFO_CAINFO: where its default bundle is). */
#if OPENSSL_VERSION_MAJOR >= 3 && LIBCURL_VERSION_NUM >= 0x075400
#define TRUST_SHARED 1
#else
#define TRUST_SHARED 0
#endif

/* The directory a request with an extra CA file has always searched
   besides that file, whatever libcurl's default: its system anchors
   come from there, by hash, as they did (the bundle is not read). */
#define TRUST_EXTRA_DIR "/etc/ssl/certs"

struct trust_anchors {
	char *path;               /* the extra file; NULL: the system's */
	bool tried;               /* parsed, or failed: certs or failure */
	STACK_OF(X509) *certs;
	char *failure;            /* why the file could not be read */
};

static struct {
	pthread_mutex_t lock;
	bool probed;              /* libcurl looked at */
	bool usable;              /* anchors may be shared */
	char *bundle;             /* libcurl's default CA bundle, or NULL */
	char *dir;                /* its default CA directory, or NULL */
	struct trust_anchors system;
	struct trust_anchors extra[TRUST_EXTRA_FILES_MAX];
	size_t extra_count;
	unsigned int parses;
	int verify_index;         /* SSL_CTX ex_data of struct trust_verify */
} trust = { .lock = PTHREAD_MUTEX_INITIALIZER, .verify_index = -1 };

/* What verifying a connection's peer needs: owned by its SSL_CTX. */
struct trust_verify {
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
};

bool trust_backend_is_openssl(const char *ssl_version,
			      unsigned int openssl_major)
{
	static const char prefix[] = "OpenSSL/";
	char *end;
	unsigned long major;

	/* "OpenSSL/3.0.19"; a multi-backend libcurl puts the ones it does
	   not use in parentheses, and LibreSSL or BoringSSL name
	   themselves: their SSL_CTX is not this program's */
	if (!ssl_version || strncmp(ssl_version, prefix, sizeof(prefix) - 1))
		return false;
	ssl_version += sizeof(prefix) - 1;
	if (*ssl_version < '0' || *ssl_version > '9')
		return false;
	major = strtoul(ssl_version, &end, 10);
	return *end == '.' && major == openssl_major;
}

unsigned int trust_parse_count(void)
{
	unsigned int n;

	pthread_mutex_lock(&trust.lock);
	n = trust.parses;
	pthread_mutex_unlock(&trust.lock);
	return n;
}

static void anchors_release(struct trust_anchors *a)
{
	free(a->path);
	sk_X509_pop_free(a->certs, X509_free);
	free(a->failure);
	memset(a, 0, sizeof(*a));
}

void trust_reset(void)
{
	size_t i;

	pthread_mutex_lock(&trust.lock);
	anchors_release(&trust.system);
	for (i = 0; i < trust.extra_count; i++)
		anchors_release(&trust.extra[i]);
	trust.extra_count = 0;
	free(trust.bundle);
	free(trust.dir);
	trust.bundle = trust.dir = NULL;
	trust.probed = trust.usable = false;
	trust.parses = 0;
	pthread_mutex_unlock(&trust.lock);
}

void trust_set_defaults(const char *bundle, const char *dir)
{
	pthread_mutex_lock(&trust.lock);
	free(trust.bundle);
	free(trust.dir);
	trust.bundle = bundle ? xstrdup(bundle) : NULL;
	trust.dir = dir ? xstrdup(dir) : NULL;
	trust.probed = true;
	trust.usable = TRUST_SHARED && (bundle || dir);
	pthread_mutex_unlock(&trust.lock);
}

#if TRUST_SHARED

/* libcurl's TLS backend and default CA locations, once; under lock. */
static void probe_curl(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	unsigned int major = (unsigned int)(OpenSSL_version_num() >> 28);
	char *bundle = NULL, *dir = NULL;
	CURL *e;

	trust.probed = true;
	if (!trust_backend_is_openssl(v->ssl_version, major))
		return;
	e = curl_easy_init();
	if (!e)
		return;
	/* a new handle answers with the built-in defaults */
	if (curl_easy_getinfo(e, CURLINFO_CAINFO, &bundle) == CURLE_OK &&
	    bundle)
		trust.bundle = xstrdup(bundle);
	if (curl_easy_getinfo(e, CURLINFO_CAPATH, &dir) == CURLE_OK && dir)
		trust.dir = xstrdup(dir);
	curl_easy_cleanup(e);
	/* with neither, libcurl would verify against what OpenSSL was
	   built to look at, which this file does not repeat */
	trust.usable = trust.bundle || trust.dir;
}

/* libcurl reads proxy variables itself; a proxy spoken to over TLS is
   verified in the same callback, and must not get a target's extra CA
   file, so with one the anchors are not shared. */
static bool https_proxy_configured(void)
{
	static const char *const names[] = {
		"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
		"all_proxy", "ALL_PROXY",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);

		if (v && !strncasecmp(v, "https://", 8))
			return true;
	}
	return false;
}

/* The table entry for ca_file, added when new; NULL when full. */
static struct trust_anchors *anchors_slot(const char *ca_file)
{
	struct trust_anchors *a;
	size_t i;

	if (!ca_file)
		return &trust.system;
	for (i = 0; i < trust.extra_count; i++)
		if (!strcmp(trust.extra[i].path, ca_file))
			return &trust.extra[i];
	if (trust.extra_count == TRUST_EXTRA_FILES_MAX)
		return NULL;
	a = &trust.extra[trust.extra_count++];
	a->path = xstrdup(ca_file);
	return a;
}

/* OpenSSL's reason for the failure just seen (the system's, errno, when
   there is one: "No such file or directory" says more than the "system
   lib" stacked on it), or a plain one. Empties the error queue. */
static char *openssl_reason(const char *fallback)
{
	unsigned long code, last = 0, sys = 0;
	const char *why;

	while ((code = ERR_get_error())) {
		if (ERR_SYSTEM_ERROR(code) && !sys)
			sys = code;
		last = code;
	}
	if (sys)
		why = strerror(ERR_GET_REASON(sys));
	else
		why = last ? ERR_reason_error_string(last) : NULL;
	return xstrdup(why ? why : fallback);
}

/* Parse path as libcurl parses CURLOPT_CAINFO (PEM, certificates and
   CRLs; only the certificates are kept). */
static void anchors_parse(struct trust_anchors *a, const char *path)
{
	X509_STORE *scratch = X509_STORE_new();

	a->tried = true;
	trust.parses++;
	if (!scratch) {
		a->failure = xstrdup("out of memory");
		return;
	}
	if (X509_STORE_load_file(scratch, path) != 1)
		a->failure = openssl_reason("no certificate found");
	else
		a->certs = X509_STORE_get1_all_certs(scratch);
	X509_STORE_free(scratch);
	if (!a->failure && !a->certs)
		a->failure = xstrdup("out of memory");
}

/* Parse a's file unless done: the system's bundle, or the extra file;
   the line for the trace goes into line. Under lock. */
static void anchors_load(struct trust_anchors *a, char *line, size_t size)
{
	bool sys = a == &trust.system;
	const char *path = sys ? trust.bundle : a->path;

	if (a->tried)
		return;
	if (!path) {      /* libcurl names a directory only */
		a->tried = true;
		return;
	}
	anchors_parse(a, path);
	if (!a->certs)
		return;
	if (sys)
		snprintf(line, size, "trust store loaded from '%s': %d "
			 "certificates, shared by all checks", path,
			 sk_X509_num(a->certs));
	else
		snprintf(line, size, "trust store loaded from '%s': %d "
			 "certificates, shared by the checks naming it (with "
			 "the system's CA directory)", path,
			 sk_X509_num(a->certs));
}

static int add_certs(X509_STORE *store, STACK_OF(X509) *certs)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(certs, i)) != 1)
			return -1;
	return 0;
}

/* A store of the connection's own, as libcurl would have filled it: the
   certificates of the extra file, or none yet for the system's (the
   bundle's come when a peer is verified), and the CA directories
   searched by hash. */
static X509_STORE *store_build(const struct trust_anchors *a)
{
	X509_STORE *store = X509_STORE_new();
	bool extra = a != &trust.system;

	if (!store)
		return NULL;
	/* the flags libcurl sets on a store it fills itself */
	X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST |
			     X509_V_FLAG_PARTIAL_CHAIN);
	if ((extra && add_certs(store, a->certs) < 0) ||
	    (trust.dir && X509_STORE_load_path(store, trust.dir) != 1) ||
	    (extra && (!trust.dir || strcmp(trust.dir, TRUST_EXTRA_DIR)) &&
	     X509_STORE_load_path(store, TRUST_EXTRA_DIR) != 1)) {
		X509_STORE_free(store);
		ERR_clear_error();
		return NULL;
	}
	return store;
}

/* OpenSSL's verification of the peer's chain for a connection trusting
   the system's anchors: the bundle is parsed now, at the first
   certificate a server shows, not when the connection starts (a
   loopback registry speaking plain HTTP shows none), and its
   certificates go into the connection's store before OpenSSL's own
   verification runs on it, unchanged. */
static int verify_with_bundle(X509_STORE_CTX *x, void *arg)
{
	const struct trust_verify *v = arg;
	struct trust_anchors *sys = &trust.system;
	char line[ERROR_MESSAGE_MAX] = "";
	int ok;

	pthread_mutex_lock(&trust.lock);
	anchors_load(sys, line, sizeof(line));
	ok = !sys->failure &&
	     add_certs(X509_STORE_CTX_get0_store(x), sys->certs) == 0;
	pthread_mutex_unlock(&trust.lock);
	if (v->trace && line[0])
		v->trace(v->trace_ctx, line);
	if (!ok) {   /* trust_failed says why */
		X509_STORE_CTX_set_error(x, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	return X509_verify_cert(x);
}

static void verify_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
			int index, long argl, void *argp)
{
	free(ptr);
}

/* Have ssl_ctx verify with verify_with_bundle. Under lock. */
static int verify_later(SSL_CTX *ssl_ctx, const struct trust_use *u)
{
	struct trust_verify *v;

	if (trust.verify_index < 0)
		trust.verify_index = SSL_CTX_get_ex_new_index(0, NULL, NULL,
							      NULL,
							      verify_free);
	if (trust.verify_index < 0)
		return -1;
	v = xcalloc(1, sizeof(*v));
	v->trace = u->trace;
	v->trace_ctx = u->trace_ctx;
	if (SSL_CTX_set_ex_data(ssl_ctx, trust.verify_index, v) != 1) {
		free(v);
		return -1;
	}
	SSL_CTX_set_cert_verify_callback(ssl_ctx, verify_with_bundle, v);
	return 0;
}

int trust_install(struct trust_use *u, void *ssl_ctx)
{
	struct trust_anchors *a = u->anchors;
	char line[ERROR_MESSAGE_MAX] = "";
	X509_STORE *store = NULL;
	bool extra = a != &trust.system;

	pthread_mutex_lock(&trust.lock);
	if (extra)   /* small, and read at once, as libcurl read it */
		anchors_load(a, line, sizeof(line));
	if (a->failure && extra)
		error_set(&u->err, ERROR_NETWORK, "cannot read CA "
			  "certificates from '%s': %s", a->path, a->failure);
	else
		store = store_build(a);
	if (store && !extra && verify_later(ssl_ctx, u) < 0) {
		X509_STORE_free(store);
		store = NULL;
	}
	pthread_mutex_unlock(&trust.lock);
	if (u->trace && line[0])
		u->trace(u->trace_ctx, line);
	if (!store && !(a->failure && extra))
		error_set(&u->err, ERROR_INTERNAL, "cannot set up a "
			  "certificate store for TLS");
	if (!store) {
		u->failed = true;
		return -1;
	}
	SSL_CTX_set_cert_store(ssl_ctx, store);   /* the context owns it */
	return 0;
}

bool trust_failed(struct trust_use *u)
{
	struct trust_anchors *sys = &trust.system;

	if (u->failed || u->anchors != sys)
		return u->failed;
	pthread_mutex_lock(&trust.lock);
	if (sys->failure) {
		error_set(&u->err, ERROR_NETWORK, "cannot read CA "
			  "certificates from '%s': %s", trust.bundle,
			  sys->failure);
		u->failed = true;
	}
	pthread_mutex_unlock(&trust.lock);
	return u->failed;
}

static CURLcode on_ssl_ctx(CURL *e, void *ssl_ctx, void *ud)
{
	return trust_install(ud, ssl_ctx) < 0 ? CURLE_SSL_CACERT_BADFILE :
		CURLE_OK;
}

/* libcurl 7.87 keeps the store of a connection that names no CA
   directory in its multi handle and gives it to the next such
   connection in place of the callback's store. */
static bool ca_cache_off(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075700
	CURLcode rc = curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 0L);

	return rc == CURLE_OK || rc == CURLE_UNKNOWN_OPTION;
#else
	return curl_version_info(CURLVERSION_NOW)->version_num < 0x075700;
#endif
}

bool trust_attach(void *easy, const char *ca_file, struct trust_use *u)
{
	struct trust_anchors *a = NULL;
	CURL *e = easy;

	memset(u, 0, sizeof(*u));
	if (https_proxy_configured())
		return false;
	pthread_mutex_lock(&trust.lock);
	if (!trust.probed)
		probe_curl();
	if (trust.usable)
		a = anchors_slot(ca_file);
	pthread_mutex_unlock(&trust.lock);
	if (!a)
		return false;
	if (curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) !=
	    CURLE_OK)
		return false;
	if (!ca_cache_off(e)) {
		curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, NULL);
		return false;
	}
	u->anchors = a;
	curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, u);
	/* No bundle and no directory for libcurl to read: libcurl 7.88
	   then verifies against nothing at all (it does not fall back to
	   OpenSSL's default paths), so the callback's store is the only
	   trust there is. The extra file's name stays: libcurl reuses a
	   connection only for a transfer with the same CA options, so a
	   connection verified with one file never serves a transfer
	   naming another, or none (libcurl reads that small file again
	   for each connection, as it always did). */
	curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	return true;
}

#else

bool trust_attach(void *easy, const char *ca_file, struct trust_use *u)
{
	memset(u, 0, sizeof(*u));
	return false;
}

int trust_install(struct trust_use *u, void *ssl_ctx)
{
	u->failed = true;
	return error_set(&u->err, ERROR_INTERNAL, "CA certificates are "
			 "not shared in this build");
}

bool trust_failed(struct trust_use *u)
{
	return u->failed;
}

#endif
