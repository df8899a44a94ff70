/* TLS trust anchors parsed once per process and shared by every check. */
#ifndef PREFLIGHT_TRUST_H
#define PREFLIGHT_TRUST_H

#include <stdbool.h>

#include "error.h"

/* Extra CA files (--ca-file, a hosts.toml `ca`) kept parsed at once. A
   request naming yet another file has libcurl read it itself, per
   connection, as without sharing. */
#define TRUST_EXTRA_FILES_MAX 16

struct trust_anchors;

/* One transfer's use of the shared anchors; lives as long as it. */
struct trust_use {
	struct trust_anchors *anchors;
	/* called once per process for each file parsed, when set */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
	bool failed;              /* a file could not be read: err says */
	struct error err;
};

/*
 * Have the curl easy handle `easy` verify TLS peers against the shared
 * anchors: without ca_file the system's (libcurl's default CA bundle and
 * directory), with it that file's and the system's CA directory's, as
 * libcurl was set up before. libcurl then reads neither its bundle nor
 * its directory and keeps no cache of its own (only ca_file, small, it
 * still reads per connection); the files are parsed here at the first
 * TLS connection that needs them. Returns false, changing nothing, when the
 * anchors cannot be shared (libcurl's TLS backend is not the OpenSSL
 * this program runs with, libcurl names no default CA location, an HTTPS
 * proxy is configured, or TRUST_EXTRA_FILES_MAX other files are kept):
 * the caller sets the CA options as before. u must outlive the transfer.
 */
bool trust_attach(void *easy, const char *ca_file, struct trust_use *u);

/*
 * What trust_attach's callback does for each TLS connection: give the
 * OpenSSL SSL_CTX ssl_ctx a new store searching the CA directory by
 * hash and holding the extra file's certificates (parsed on first use),
 * or, for the system's, one that gets the bundle's (parsed on first
 * use) when the server's certificate is verified. -1 with u->failed and
 * u->err set when the extra file cannot be read.
 */
int trust_install(struct trust_use *u, void *ssl_ctx);

/* After a transfer failed with a bad CA file or an unverified peer:
   whether a CA file it needed could not be read (then u->err says which,
   and why). */
bool trust_failed(struct trust_use *u);

/* Whether curl_version_info's ssl_version names the OpenSSL whose major
   version is openssl_major (the one this program runs with). */
bool trust_backend_is_openssl(const char *ssl_version,
			      unsigned int openssl_major);

/* Files parsed so far in this process (the system's bundle counts one). */
unsigned int trust_parse_count(void);

/* Forget every parsed file; only while no transfer runs (tests). */
void trust_reset(void);

/* After trust_reset: use bundle and dir (either may be NULL) in place of
   libcurl's default CA locations (tests). */
void trust_set_defaults(const char *bundle, const char *dir);

#endif
