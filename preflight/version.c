/* --version: this program's version and the libraries it uses. */
#include "version.h"

#include <string.h>

#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <yaml.h>
#include <zlib.h>
#include <zstd.h>

/* libyaml's header has no version: the Makefile passes pkg-config's. */
#ifndef PREFLIGHT_YAML_BUILT
#define PREFLIGHT_YAML_BUILT "unknown"
#endif

static const char *or_none(const char *s)
{
	return s && *s ? s : "none";
}

/* s without its leading "NAME ", when it has one. */
static const char *after_name(const char *s, const char *name)
{
	size_t n = strlen(name);

	if (s && !strncmp(s, name, n) && s[n] == ' ')
		return s + n + 1;
	return or_none(s);
}

/* The TLS backend is what talks to registries: name it. */
static void print_curl(FILE *out)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	fprintf(out, "libcurl %s (built with %s), TLS: %s\n", v->version,
		LIBCURL_VERSION, or_none(v->ssl_version));
}

/* jansson_version_str() exists since jansson 2.13. */
static void print_jansson(FILE *out)
{
#if JANSSON_VERSION_HEX >= 0x020d00
	const char *runs = jansson_version_str();
#else
	const char *runs = "unknown";
#endif

	fprintf(out, "jansson %s (built with %s)\n", runs, JANSSON_VERSION);
}

/* libarchive reads the tar, and any compression other than gzip and
   zstd, with the zlib and libzstd it was built with. */
static void print_libarchive(FILE *out)
{
	fprintf(out, "libarchive %s (built with %s), zlib: %s, zstd: %s\n",
		after_name(archive_version_string(), "libarchive"),
		ARCHIVE_VERSION_ONLY_STRING, or_none(archive_zlib_version()),
		or_none(archive_libzstd_version()));
}

/* gzip and zstd layers are uncompressed by these (decompress.c). */
static void print_decompressors(FILE *out)
{
	fprintf(out, "zlib %s (built with %s)\n", zlibVersion(), ZLIB_VERSION);
	fprintf(out, "zstd %s (built with %s)\n", ZSTD_versionString(),
		ZSTD_VERSION_STRING);
}

static void print_openssl(FILE *out)
{
	fprintf(out, "OpenSSL %s (built with %s)\n",
		after_name(OpenSSL_version(OPENSSL_VERSION), "OpenSSL"),
		after_name(OPENSSL_VERSION_TEXT, "OpenSSL"));
}

static void print_libyaml(FILE *out)
{
	fprintf(out, "libyaml %s (built with %s)\n",
		yaml_get_version_string(), PREFLIGHT_YAML_BUILT);
}

void version_print(FILE *out)
{
	fprintf(out, "image-preflight %s\n", PREFLIGHT_VERSION);
	print_curl(out);
	print_jansson(out);
	print_libarchive(out);
	print_decompressors(out);
	print_openssl(out);
	print_libyaml(out);
}
