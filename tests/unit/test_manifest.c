/* Unit tests for image documents: real registry fixtures and inline JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/manifest.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
	      "0123456789abcdef0123456789abcdef"
#define D1 "sha256:" HEX64
#define D2 "sha256:" "fedcba9876543210fedcba9876543210" \
	   "fedcba9876543210fedcba9876543210"
/* A descriptor body that is valid everywhere. */
#define DESC "\"digest\": \"" D1 "\", \"size\": 1"
#define CFG "\"config\": {\"mediaType\": \"" MT_OCI_CONFIG "\", " DESC "}"
#define TYPE(mt) "\"mediaType\": \"" mt "\""

/* Fixtures live in ../shared/fixtures, next to the repository. */
static const char *fixture_dir(void)
{
	const char *dir = getenv("SHARED_FIXTURES");

	return dir && dir[0] ? dir : "../shared/fixtures";
}

static void fixture_read(const char *name, struct buf *b)
{
	char path[4096], chunk[8192];
	struct error err;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture '%s' (set SHARED_FIXTURES)",
			 path);
	buf_init(b);
	error_init(&err);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(b, chunk, n, CONFIG_BYTES_MAX,
					    "CONFIG_BYTES_MAX", &err), 0);
	fclose(f);
}

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

/* Compare strings (NULL allowed), naming the case and both values. */
static void check_str(const char *what, const char *found,
		      const char *expected)
{
	if (!found && !expected)
		return;
	if (!found || !expected || strcmp(found, expected))
		fail_msg("%s: expected '%s', found '%s'", what, show(expected),
			 show(found));
}

static void check_int(const char *what, long long found, long long expected)
{
	if (found != expected)
		fail_msg("%s: expected %lld, found %lld", what, expected,
			 found);
}

/* ---- documents from the shared fixtures ---- */

struct doc_fixture {
	const char *file;
	const char *content_type;
	enum document_kind kind;
	const char *media_type;
	bool in_body;
	int schema_version;
	size_t entries;
	size_t layers;
	const char *config_digest;   /* manifests only */
	const char *schema1_arch;    /* schema 1 only */
};

#define F_LIST "docker-manifest-list.7-platforms-arm-v5-v6-arm64-v8." \
	       "containers-image.json"
#define F_OCI_INDEX "oci-index.no-mediaType-field.containers-image.json"
#define F_BUILDKIT "oci-index-with-attestations.hello-multiplatform." \
		   "sha256-5ac2d3ac.json"
#define F_HTTPD "oci-manifest.httpd-2.4.23.annotations-urls." \
		"containers-image.json"
#define F_OCI_MAN "oci-manifest.no-mediaType-field.containers-image.json"
#define F_V2S2 "docker-v2s2-manifest.no-mediaType-field." \
	       "containers-image.json"
#define F_ATT_MAN "oci-attestation-manifest.hello-multiplatform-amd64." \
		  "sha256-1d88e5a3.json"
#define F_S1_SIGNED "docker-v2s1-signed-manifest.prettyjws.busybox." \
		    "containers-image.json"
#define F_S1 "docker-v2s1-unsigned-manifest.containers-image.json"
#define F_HTTPD_CFG "docker-image-config.httpd-2.4.23.Cmd-Env-PATH." \
		    "sha256-9ca4bda0.containers-image.json"
#define F_ATT_CFG "oci-attestation-config.unknown-unknown." \
		  "sha256-f3d7356a.json"

/* manifest.c's limit on digest text, seen only through its message;
   a quoted digest is cut after MANIFEST_QUOTE_MAX (100) bytes. */
#define DIGEST_TEXT_MAX 255
#define A10 "aaaaaaaaaa"

#define CFG_B5 "sha256:b5b2b2c507a0944348e0303114d8d93a" \
	       "aaa081732b86451d9bce1f432a537bc7"

static const struct doc_fixture doc_fixtures[] = {
	{ F_LIST, NULL, DOC_INDEX, MT_DOCKER_LIST, true, 2, 7, 0, NULL,
	  NULL },
	{ F_OCI_INDEX, NULL, DOC_INDEX, MT_OCI_INDEX, false, 2, 2, 0, NULL,
	  NULL },
	/* Without a body mediaType, an index Content-Type names the type. */
	{ F_OCI_INDEX, MT_DOCKER_LIST "; charset=utf-8", DOC_INDEX,
	  MT_DOCKER_LIST, false, 2, 2, 0, NULL, NULL },
	{ F_OCI_INDEX, "text/html", DOC_INDEX, MT_OCI_INDEX, false, 2, 2, 0,
	  NULL, NULL },
	/* The body wins over a contradicting Content-Type. */
	{ F_LIST, MT_OCI_MANIFEST, DOC_INDEX, MT_DOCKER_LIST, true, 2, 7, 0,
	  NULL, NULL },
	{ F_BUILDKIT, NULL, DOC_INDEX, MT_OCI_INDEX, true, 2, 4, 0, NULL,
	  NULL },
	{ F_HTTPD, NULL, DOC_MANIFEST, MT_OCI_MANIFEST, true, 2, 0, 5,
	  "sha256:9ca4bda0a6b3727a6ffcc43e981cad0f"
	  "24e2ec79d338f6ba325b4dfd0756fb8f", NULL },
	{ F_OCI_MAN, NULL, DOC_MANIFEST, MT_OCI_MANIFEST, false, 2, 0, 3,
	  CFG_B5, NULL },
	{ F_V2S2, NULL, DOC_MANIFEST, MT_DOCKER_MANIFEST, false, 2, 0, 0,
	  CFG_B5, NULL },
	/* cases.md 18c: a text/html header on a valid manifest body. */
	{ F_V2S2, "text/html; charset=utf-8", DOC_MANIFEST,
	  MT_DOCKER_MANIFEST, false, 2, 0, 0, CFG_B5, NULL },
	{ F_ATT_MAN, NULL, DOC_MANIFEST, MT_OCI_MANIFEST, true, 2, 0, 1,
	  "sha256:f3d7356a6b37f2298ef338066f12410c"
	  "eb9a1f6c58fb570e84914d97870de5c2", NULL },
	{ F_S1_SIGNED, NULL, DOC_SCHEMA1, MT_DOCKER_SCHEMA1_SIGNED, false, 1,
	  0, 0, NULL, "amd64" },
	{ F_S1_SIGNED, MT_DOCKER_SCHEMA1_SIGNED, DOC_SCHEMA1,
	  MT_DOCKER_SCHEMA1_SIGNED, false, 1, 0, 0, NULL, "amd64" },
	{ F_S1, NULL, DOC_SCHEMA1, MT_DOCKER_SCHEMA1, false, 1, 0, 0, NULL,
	  "amd64" },
	{ F_S1, "application/json", DOC_SCHEMA1, MT_DOCKER_SCHEMA1, false, 1,
	  0, 0, NULL, "amd64" },
};

static void check_document(const char *what, const struct document *doc,
			   const struct doc_fixture *c)
{
	check_int(what, doc->kind, c->kind);
	check_str(what, doc->media_type, c->media_type);
	check_int(what, doc->media_type_in_body, c->in_body);
	check_int(what, doc->schema_version, c->schema_version);
	check_int(what, (long long)doc->entry_count, (long long)c->entries);
	check_int(what, (long long)doc->layer_count, (long long)c->layers);
	check_str(what, doc->config.digest, c->config_digest);
	check_str(what, doc->schema1_arch, c->schema1_arch);
}

static void test_fixture_documents(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(doc_fixtures) / sizeof(doc_fixtures[0]); i++) {
		const struct doc_fixture *c = &doc_fixtures[i];
		struct document doc;
		struct error err;
		struct buf b;

		error_init(&err);
		fixture_read(c->file, &b);
		if (document_parse(b.data, b.len, c->content_type, &doc,
				   &err) < 0)
			fail_msg("%s: %s", c->file, err.message);
		check_document(c->file, &doc, c);
		document_release(&doc);
		buf_release(&b);
	}
}

/* Parse a fixture that must succeed. */
static void fixture_document(const char *file, struct document *doc)
{
	struct error err;
	struct buf b;

	error_init(&err);
	fixture_read(file, &b);
	if (document_parse(b.data, b.len, NULL, doc, &err) < 0)
		fail_msg("%s: %s", file, err.message);
	buf_release(&b);
}

struct entry_case {
	const char *digest;
	const char *raw_os, *raw_arch, *raw_variant;
	const char *os, *arch, *variant;    /* normalised */
	bool attestation;
};

static void check_entries(const char *file, const struct entry_case *want,
			  size_t count)
{
	struct document doc;
	char what[128];
	size_t i;

	fixture_document(file, &doc);
	check_int(file, (long long)doc.entry_count, (long long)count);
	for (i = 0; i < count; i++) {
		const struct descriptor *d = &doc.entries[i];

		snprintf(what, sizeof(what), "%.60s manifests[%zu]", file, i);
		check_str(what, d->digest, want[i].digest);
		check_int(what, d->has_platform, true);
		check_str(what, d->raw_platform.os, want[i].raw_os);
		check_str(what, d->raw_platform.arch, want[i].raw_arch);
		check_str(what, d->raw_platform.variant, want[i].raw_variant);
		check_str(what, d->platform.os, want[i].os);
		check_str(what, d->platform.arch, want[i].arch);
		check_str(what, d->platform.variant, want[i].variant);
		check_int(what, d->attestation, want[i].attestation);
	}
	document_release(&doc);
}

#define SHA(a, b) "sha256:" a b

/* arm/v5 and arm/v6 keep their variants; arm64/v8 loses it. */
static void test_fixture_seven_platforms(void **state)
{
	static const struct entry_case want[] = {
		{ SHA("030fcb92e1487b18c974784dcc110a93",
		      "147c9fc402188370fbfd17efabffc6af"),
		  "linux", "amd64", "", "linux", "amd64", "", false },
		{ SHA("9142d97ef280a7953cf1a85716de49a2",
		      "4cc1dd62776352afad67e635331ff77a"),
		  "linux", "arm", "v5", "linux", "arm", "v5", false },
		{ SHA("b5dbad4bdb4444d919294afe49a095c2",
		      "3e86782f98cdf0aa286198ddb814b50b"),
		  "linux", "arm", "v6", "linux", "arm", "v6", false },
		{ SHA("dc472a59fb006797aa2a6bfb54cc9c57",
		      "959bb0a6d11fadaa608df8c16dea39cf"),
		  "linux", "arm64", "v8", "linux", "arm64", "", false },
		{ SHA("9a33b9909e56b0a2092a65fb1b79ef67",
		      "17fa160b1f084476b860418780e8d53b"),
		  "linux", "386", "", "linux", "386", "", false },
		{ SHA("59117d7c016fba6ede7f87991204bd67",
		      "2a1dca444102de66db632383507ed90b"),
		  "linux", "ppc64le", "", "linux", "ppc64le", "", false },
		{ SHA("e5aa1b0a24620228b75382997a0977f6",
		      "09b3ca3a95533dafdef84c74cc8df642"),
		  "linux", "s390x", "", "linux", "s390x", "", false },
	};

	(void)state;
	check_entries(F_LIST, want, sizeof(want) / sizeof(want[0]));
}

/* cases.md 16: BuildKit's attestation manifests are flagged. */
static void test_fixture_buildkit_attestations(void **state)
{
	static const struct entry_case want[] = {
		{ SHA("0f90b7af6b2fef777963e3e1ca4fd66f",
		      "378af93f5fe46304886943a4c0c7a46b"),
		  "linux", "amd64", "", "linux", "amd64", "", false },
		{ SHA("6b2a0dfca3903c0a2022f224f818eedd",
		      "9d055ebbef7c8208b35cd7d3b4f54088"),
		  "linux", "arm64", "", "linux", "arm64", "", false },
		{ SHA("1d88e5a3e13d830277704130ae7b1aa7",
		      "d9eb25f952891234d5c01f81651dcefc"),
		  "unknown", "unknown", "", "unknown", "unknown", "", true },
		{ SHA("2531011d66156a7830f9bd6671c81508",
		      "c87e33ae070cda1bdfc68e3e39172a38"),
		  "unknown", "unknown", "", "unknown", "unknown", "", true },
	};

	(void)state;
	check_entries(F_BUILDKIT, want, sizeof(want) / sizeof(want[0]));
}

static void test_fixture_oci_index_entries(void **state)
{
	static const struct entry_case want[] = {
		{ SHA("e692418e4cbaf90ca69d05a66403747b",
		      "aa33ee08806650b51fab815ad7fc331f"),
		  "linux", "ppc64le", "", "linux", "ppc64le", "", false },
		{ SHA("5b0bcabd1ed22e9fb1310cf6c2dec7cd",
		      "ef19f0ad69efa1f392e94a4333501270"),
		  "linux", "amd64", "", "linux", "amd64", "", false },
	};
	struct document doc;

	(void)state;
	check_entries(F_OCI_INDEX, want, sizeof(want) / sizeof(want[0]));
	fixture_document(F_OCI_INDEX, &doc);
	check_str("entry media type", doc.entries[1].media_type,
		  MT_OCI_MANIFEST);
	check_int("entry size", doc.entries[1].size, 7682);
	document_release(&doc);
}

struct layer_case {
	const char *digest;
	int64_t size;
	const char *media_type;
};

static void test_fixture_httpd_layers(void **state)
{
	static const struct layer_case want[] = {
		{ SHA("6a5a5368e0c2d3e5909184fa28ddfd56",
		      "072e7ff3ee9a945876f7eee5896ef5bb"), 51354364,
		  "application/vnd.oci.image.layer.v1.tar+gzip" },
		{ SHA("1bbf5d58d24c47512e234a5623474acf",
		      "65ae00d4d1414272a893204f44cc680c"), 150,
		  "application/vnd.oci.image.layer.v1.tar+gzip" },
		{ SHA("8f5dc8a4b12c307ac84de90cdd9a7f39",
		      "15d1be04c9388868ca118831099c67a9"), 11739507,
		  "application/vnd.oci.image.layer.v1.tar+gzip" },
		{ SHA("bbd6b22eb11afce63cc76f6bc41042d9",
		      "9f10d6024c96b655dafba930b8d25909"), 8841833,
		  "application/vnd.oci.image.layer.v1.tar+gzip" },
		{ SHA("960e52ecf8200cbd84e70eb2ad8678f4",
		      "367e50d14357021872c10fa3fc5935fa"), 291,
		  "application/vnd.oci.image.layer.v1.tar+gzip" },
	};
	struct document doc;
	char what[32];
	size_t i;

	(void)state;
	fixture_document(F_HTTPD, &doc);
	check_str("config media type", doc.config.media_type, MT_OCI_CONFIG);
	check_int("config size", doc.config.size, 5940);
	check_int("layers", (long long)doc.layer_count, 5);
	for (i = 0; i < doc.layer_count; i++) {
		snprintf(what, sizeof(what), "layers[%zu]", i);
		check_str(what, doc.layers[i].digest, want[i].digest);
		check_int(what, doc.layers[i].size, want[i].size);
		check_str(what, doc.layers[i].media_type, want[i].media_type);
		check_int(what, doc.layers[i].has_platform, false);
	}
	document_release(&doc);
}

/* ---- configs from the shared fixtures ---- */

struct config_case {
	const char *name;
	const char *os, *arch, *variant;
	const char *const *entrypoint;   /* NULL: expected absent */
	const char *const *cmd;
	size_t env_count;
	const char *path;                /* config_getenv("PATH") */
	const char *working_dir, *user;
};

static void check_argv(const char *what, char **found,
		       const char *const *expected, size_t count)
{
	size_t i;

	if (!expected) {
		if (found)
			fail_msg("%s: expected absent, found '%s'...", what,
				 show(found[0]));
		check_int(what, (long long)count, 0);
		return;
	}
	if (!found)
		fail_msg("%s: expected a list, found none", what);
	for (i = 0; expected[i]; i++) {
		if (i >= count)
			fail_msg("%s: expected '%s' at %zu, found the end",
				 what, expected[i], i);
		check_str(what, found[i], expected[i]);
	}
	check_int(what, (long long)count, (long long)i);
	check_str(what, found[count], NULL);
}

static void check_config(const struct config_case *c,
			 const struct image_config *cfg)
{
	check_str(c->name, cfg->os, c->os);
	check_str(c->name, cfg->architecture, c->arch);
	check_str(c->name, cfg->variant, c->variant);
	check_argv(c->name, cfg->entrypoint, c->entrypoint,
		   cfg->entrypoint_count);
	check_argv(c->name, cfg->cmd, c->cmd, cfg->cmd_count);
	check_int(c->name, (long long)cfg->env_count,
		  (long long)c->env_count);
	check_str(c->name, config_getenv(cfg, "PATH"), c->path);
	check_str(c->name, cfg->working_dir, c->working_dir);
	check_str(c->name, cfg->user, c->user);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ARGV_EMPTY ((const char *const[]){ NULL })

static const struct config_case config_fixtures[] = {
	{ F_HTTPD_CFG, "linux", "amd64", NULL, NULL,
	  ARGV("httpd-foreground"), 6,
	  "/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:"
	  "/usr/sbin:/usr/bin:/sbin:/bin",
	  "/usr/local/apache2", "" },
	{ F_ATT_CFG, "unknown", "unknown", NULL, NULL, NULL, 0, NULL, NULL,
	  NULL },
};

static void test_fixture_configs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(config_fixtures) / sizeof(config_fixtures[0]);
	     i++) {
		struct image_config cfg;
		struct error err;
		struct buf b;

		error_init(&err);
		fixture_read(config_fixtures[i].name, &b);
		if (config_parse(b.data, b.len, &cfg, &err) < 0)
			fail_msg("%s: %s", config_fixtures[i].name,
				 err.message);
		check_config(&config_fixtures[i], &cfg);
		config_release(&cfg);
		buf_release(&b);
	}
}

static bool fixture_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(doc_fixtures) / sizeof(doc_fixtures[0]); i++)
		if (!strcmp(doc_fixtures[i].file, name))
			return true;
	for (i = 0; i < sizeof(config_fixtures) / sizeof(config_fixtures[0]);
	     i++)
		if (!strcmp(config_fixtures[i].name, name))
			return true;
	return false;
}

/* Every JSON file in the fixture directory is in one of the tables. */
static void test_fixture_all_covered(void **state)
{
	struct dirent *e;
	size_t seen = 0;
	DIR *dir;

	(void)state;
	dir = opendir(fixture_dir());
	if (!dir)
		fail_msg("cannot open '%s' (set SHARED_FIXTURES)",
			 fixture_dir());
	while ((e = readdir(dir))) {
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		seen++;
		if (!fixture_known(e->d_name))
			fail_msg("fixture '%s' is not tested", e->d_name);
	}
	closedir(dir);
	check_int("fixture files", (long long)seen, 11);
}

/* ---- inline documents that parse ---- */

struct doc_ok_case {
	const char *name;
	const char *json;
	const char *content_type;
	enum document_kind kind;
	const char *media_type;
	bool in_body;
	size_t count;          /* entries or layers */
	const char *digest;    /* of entries[0], or of the config */
	const char *entry_media_type;  /* of entries[0] or layers[0] */
};

static const struct doc_ok_case doc_ok_cases[] = {
	{ "duplicate keys: the last wins, as in Go decoders",
	  "{" TYPE("bogus") ", " TYPE(MT_OCI_INDEX) ", \"manifests\": [{"
	  "\"digest\": \"" D1 "\", \"size\": 1, \"digest\": \"" D2 "\"}]}",
	  NULL, DOC_INDEX, MT_OCI_INDEX, true, 1, D2, NULL },
	{ "unknown fields are ignored",
	  "{\"schemaVersion\": 2, \"artifactType\": \"x\", \"subject\": {}, "
	  "\"foo\": [1, {\"bar\": null}], " CFG ", \"layers\": [{" DESC ", "
	  "\"urls\": [\"u\"], \"x-extra\": 7}]}",
	  NULL, DOC_MANIFEST, MT_OCI_MANIFEST, false, 1, D1, NULL },
	{ "a NUL in a field we do not read is ignored",
	  "{" TYPE(MT_OCI_INDEX) ", \"manifests\": [{" DESC ", "
	  "\"annotations\": {\"x\": \"a\\u0000b\"}}]}",
	  NULL, DOC_INDEX, MT_OCI_INDEX, true, 1, D1, NULL },
	{ "an empty mediaType counts as absent",
	  "{\"mediaType\": \"\", \"manifests\": []}",
	  NULL, DOC_INDEX, MT_OCI_INDEX, false, 0, NULL, NULL },
	{ "a null mediaType counts as absent",
	  "{\"mediaType\": null, \"manifests\": []}",
	  MT_DOCKER_LIST, DOC_INDEX, MT_DOCKER_LIST, false, 0, NULL, NULL },
	{ "mediaType in the body, parameters and case kept as written",
	  "{" TYPE(" Application/VND.oci.image.manifest.v1+json ; x=y") ", "
	  CFG "}",
	  NULL, DOC_MANIFEST,
	  " Application/VND.oci.image.manifest.v1+json ; x=y", true, 0, D1,
	  NULL },
	{ "a declared manifest without layers has none",
	  "{" TYPE(MT_DOCKER_MANIFEST) ", " CFG ", \"layers\": null}",
	  NULL, DOC_MANIFEST, MT_DOCKER_MANIFEST, true, 0, D1, NULL },
	{ "both shapes: an index Content-Type decides",
	  "{\"manifests\": [], " CFG ", \"layers\": []}",
	  MT_OCI_INDEX, DOC_INDEX, MT_OCI_INDEX, false, 0, NULL, NULL },
	{ "both shapes: a manifest Content-Type decides",
	  "{\"manifests\": [], " CFG ", \"layers\": []}",
	  MT_DOCKER_MANIFEST, DOC_MANIFEST, MT_OCI_MANIFEST, false, 0, D1,
	  NULL },
	{ "config alone: a manifest Content-Type decides",
	  "{" CFG "}",
	  MT_OCI_MANIFEST, DOC_MANIFEST, MT_OCI_MANIFEST, false, 0, D1, NULL },
	{ "schema 1 by structure wins over the Content-Type",
	  "{\"schemaVersion\": 1, \"architecture\": \"arm\"}",
	  MT_OCI_INDEX, DOC_SCHEMA1, MT_DOCKER_SCHEMA1, false, 0, NULL, NULL },
	{ "schema 1 declared in the body",
	  "{\"schemaVersion\": 1, " TYPE(MT_DOCKER_SCHEMA1_SIGNED) ", "
	  "\"fsLayers\": [], \"signatures\": []}",
	  NULL, DOC_SCHEMA1, MT_DOCKER_SCHEMA1_SIGNED, true, 0, NULL, NULL },
	{ "index entries: mediaType optional, other digest algorithms",
	  "{\"manifests\": [{\"digest\": \"sha512:" HEX64 HEX64 "\", "
	  "\"size\": 0}, {\"digest\": \"multihash+base58:QmRZxt2b1F\", "
	  "\"size\": 9}, {\"digest\": \"b3:AbZ_-=\", \"size\": 9}]}",
	  NULL, DOC_INDEX, MT_OCI_INDEX, false, 3, "sha512:" HEX64 HEX64,
	  NULL },
	{ "index entry media type kept",
	  "{\"manifests\": [{" TYPE(MT_DOCKER_MANIFEST) ", " DESC "}]}",
	  NULL, DOC_INDEX, MT_OCI_INDEX, false, 1, D1, MT_DOCKER_MANIFEST },
	{ "layer media type may be missing",
	  "{" CFG ", \"layers\": [{" DESC "}]}",
	  NULL, DOC_MANIFEST, MT_OCI_MANIFEST, false, 1, D1, NULL },
	{ "Docker config type without mediaType: Docker manifest",
	  "{\"config\": {" TYPE(MT_DOCKER_CONFIG) ", " DESC "}, "
	  "\"layers\": [{" TYPE("application/vnd.docker.image.rootfs.diff."
				"tar.gzip") ", " DESC "}]}",
	  NULL, DOC_MANIFEST, MT_DOCKER_MANIFEST, false, 1, D1,
	  "application/vnd.docker.image.rootfs.diff.tar.gzip" },
};

static void check_doc_ok(const struct doc_ok_case *c,
			 const struct document *doc)
{
	const struct descriptor *first =
		doc->kind == DOC_INDEX ? doc->entries : doc->layers;

	check_int(c->name, doc->kind, c->kind);
	check_str(c->name, doc->media_type, c->media_type);
	check_int(c->name, doc->media_type_in_body, c->in_body);
	check_int(c->name, (long long)(doc->kind == DOC_INDEX
					       ? doc->entry_count
					       : doc->layer_count),
		  (long long)c->count);
	check_str(c->name,
		  doc->kind == DOC_INDEX && doc->entry_count
			  ? doc->entries[0].digest
			  : doc->config.digest,
		  c->digest);
	if (c->count)
		check_str(c->name, first[0].media_type, c->entry_media_type);
}

static void test_document_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(doc_ok_cases) / sizeof(doc_ok_cases[0]); i++) {
		const struct doc_ok_case *c = &doc_ok_cases[i];
		struct document doc;
		struct error err;

		error_init(&err);
		if (document_parse(c->json, strlen(c->json), c->content_type,
				   &doc, &err) < 0)
			fail_msg("%s: %s", c->name, err.message);
		check_doc_ok(c, &doc);
		document_release(&doc);
	}
}

struct attestation_case {
	const char *entry;
	bool has_platform;
	bool attestation;
};

/* Either BuildKit's annotation or an unknown platform marks it. */
static void test_document_attestation(void **state)
{
	static const struct attestation_case cases[] = {
		{ DESC, false, false },
		{ DESC ", \"platform\": {\"os\": \"linux\", "
		  "\"architecture\": \"amd64\"}", true, false },
		{ DESC ", \"platform\": {\"os\": \"unknown\", "
		  "\"architecture\": \"unknown\"}", true, true },
		{ DESC ", \"platform\": {\"os\": \"linux\", "
		  "\"architecture\": \"unknown\"}", true, true },
		{ DESC ", \"annotations\": {\"vnd.docker.reference.type\": "
		  "\"attestation-manifest\"}", false, true },
		{ DESC ", \"annotations\": {\"vnd.docker.reference.type\": "
		  "\"something-else\"}, \"platform\": {\"os\": \"linux\", "
		  "\"architecture\": \"arm64\"}", true, false },
		{ DESC ", \"annotations\": null", false, false },
	};
	char json[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct document doc;
		struct error err;

		error_init(&err);
		snprintf(json, sizeof(json), "{\"manifests\": [{%s}]}",
			 cases[i].entry);
		if (document_parse(json, strlen(json), NULL, &doc, &err) < 0)
			fail_msg("%s: %s", json, err.message);
		check_int(json, doc.entries[0].has_platform,
			  cases[i].has_platform);
		check_int(json, doc.entries[0].attestation,
			  cases[i].attestation);
		document_release(&doc);
	}
}

/* ---- inline documents that fail, with their messages ---- */

struct doc_error_case {
	const char *json;
	size_t len;               /* 0: strlen(json) */
	const char *content_type;
	enum error_category category;
	const char *message;
};

#define E_INDEX(entry) "{\"manifests\": [" entry "]}"
#define E_MAN(body) "{" TYPE(MT_OCI_MANIFEST) ", " body "}"
#define F ERROR_FORMAT

static const struct doc_error_case doc_error_cases[] = {
	/* JSON syntax: jansson's line and column are kept. */
	{ "{\n  \"schemaVersion\": 2,\n  \"manifests\": [\n}\n", 0, NULL, F,
	  "malformed JSON at line 4 column 1: unexpected token near '}'" },
	{ "{} x", 0, NULL, F,
	  "malformed JSON at line 1 column 4: end of file expected near 'x'" },
	{ "", 0, NULL, F,
	  "malformed JSON at line 1 column 0: '[' or '{' expected near end "
	  "of file" },
	{ "<html>\x1b[31m", 0, NULL, F,
	  "malformed JSON at line 1 column 1: '[' or '{' expected near '<'" },
	{ "{\"a\": \"\xff\"}", 0, NULL, F,
	  "malformed JSON at line 1 column 7: unable to decode byte 0xff near "
	  "'\"'" },
	{ "{\"a\": \"x\0\"}", 11, NULL, F,
	  "malformed JSON at line 1 column 8: control character 0x0 near "
	  "'\"x'" },
	{ E_INDEX("{\"digest\": \"" D1 "\", \"size\": 100000000000000000000}"),
	  0, NULL, F,
	  "malformed JSON at line 1 column 130: too big integer" },
	{ "[]", 0, NULL, F, "document is not a JSON object" },
	/* The kind. */
	{ "{\"mediaType\": 2}", 0, NULL, F, "'mediaType' must be a string" },
	{ "{\"mediaType\": \"a\\u0000b\"}", 0, NULL, F,
	  "'mediaType' contains a NUL byte" },
	{ "{" TYPE(MT_OCI_CONFIG) ", \"config\": {}}", 0, NULL, F,
	  "unsupported media type '" MT_OCI_CONFIG "'" },
	{ "{\"mediaType\": \"text/html\\u001b[0m\\\\\"}", 0, NULL, F,
	  "unsupported media type 'text/html\\x1b[0m\\\\'" },
	{ "{" TYPE(MT_OCI_INDEX) ", \"manifests\": [], " CFG "}", 0, NULL, F,
	  "media type '" MT_OCI_INDEX "' names an index but the document has "
	  "'config'" },
	{ "{" TYPE(MT_DOCKER_LIST) ", \"manifests\": [], \"layers\": []}", 0,
	  NULL, F,
	  "media type '" MT_DOCKER_LIST "' names an index but the document "
	  "has 'layers'" },
	{ E_MAN("\"manifests\": [], " CFG), 0, NULL, F,
	  "media type '" MT_OCI_MANIFEST "' names an image manifest but the "
	  "document has 'manifests'" },
	{ "{" TYPE(MT_DOCKER_SCHEMA1) ", " CFG "}", 0, NULL, F,
	  "media type '" MT_DOCKER_SCHEMA1 "' names a schema 1 manifest but "
	  "the document has 'config'" },
	{ "{\"schemaVersion\": 2, " TYPE(MT_DOCKER_SCHEMA1) "}", 0, NULL, F,
	  "media type '" MT_DOCKER_SCHEMA1 "' names a schema 1 manifest but "
	  "the document has schemaVersion 2" },
	{ "{\"schemaVersion\": 1, " TYPE(MT_OCI_MANIFEST) ", " CFG "}", 0,
	  NULL, F,
	  "media type '" MT_OCI_MANIFEST "' names an image manifest but the "
	  "document has schemaVersion 1" },
	{ "{\"schemaVersion\": \"2\"}", 0, NULL, F,
	  "'schemaVersion' must be an integer" },
	{ "{\"schemaVersion\": 2}", 0, NULL, F,
	  "not an index or a manifest: no 'mediaType', 'manifests' or "
	  "'config' and 'layers'" },
	{ "{" CFG "}", 0, "text/html", F,
	  "not an index or a manifest: no 'mediaType', 'manifests' or "
	  "'config' and 'layers'" },
	{ "{\"manifests\": [], " CFG ", \"layers\": []}", 0, "text/html", F,
	  "cannot tell an index from a manifest: no 'mediaType' and both "
	  "'manifests' and 'config'" },
	/* Index structure and entries. */
	{ "{" TYPE(MT_OCI_INDEX) "}", 0, NULL, F, "'manifests' is missing" },
	{ "{\"manifests\": {}}", 0, NULL, F, "'manifests' must be an array" },
	{ E_INDEX("{" DESC "}, 7"), 0, NULL, F,
	  "'manifests[1]' must be an object" },
	{ E_INDEX("{\"size\": 1}"), 0, NULL, F,
	  "'manifests[0].digest' is missing" },
	{ E_INDEX("{\"size\": 1, \"digest\": null}"), 0, NULL, F,
	  "'manifests[0].digest' is missing" },
	{ E_INDEX("{\"size\": 1, \"digest\": 256}"), 0, NULL, F,
	  "'manifests[0].digest' must be a string" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"sha256:\\u0000\"}"), 0, NULL,
	  F, "'manifests[0].digest' contains a NUL byte" },
	{ E_INDEX("{" DESC "}, {\"size\": 1, \"digest\": \"sha256:"
		  "0123456789ABCDEF0123456789abcdef0123456789abcdef"
		  "0123456789abcdef\"}"), 0, NULL, F,
	  "invalid digest 'sha256:0123456789ABCDEF0123456789abcdef0123456789"
	  "abcdef0123456789abcdef' in 'manifests[1].digest': sha256 needs 64 "
	  "lowercase hex digits" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"sha256:abc\"}"), 0, NULL, F,
	  "invalid digest 'sha256:abc' in 'manifests[0].digest': sha256 "
	  "needs 64 lowercase hex digits" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"sha512:" HEX64 "\"}"), 0, NULL,
	  F, "invalid digest 'sha512:" HEX64 "' in 'manifests[0].digest': "
	  "sha512 needs 128 lowercase hex digits" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"" HEX64 "\"}"), 0, NULL, F,
	  "invalid digest '" HEX64 "' in 'manifests[0].digest': expected "
	  "'algorithm:encoded'" },
	{ E_INDEX("{\"size\": 1, \"digest\": \":" HEX64 "\"}"), 0, NULL, F,
	  "invalid digest ':" HEX64 "' in 'manifests[0].digest': expected "
	  "'algorithm:encoded'" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"SHA256:" HEX64 "\"}"), 0, NULL,
	  F, "invalid digest 'SHA256:" HEX64 "' in 'manifests[0].digest': "
	  "bad algorithm" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"sha+:" HEX64 "\"}"), 0, NULL,
	  F, "invalid digest 'sha+:" HEX64 "' in 'manifests[0].digest': "
	  "bad algorithm" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"a..b:" HEX64 "\"}"), 0, NULL,
	  F, "invalid digest 'a..b:" HEX64 "' in 'manifests[0].digest': "
	  "bad algorithm" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"sha256:\"}"), 0, NULL, F,
	  "invalid digest 'sha256:' in 'manifests[0].digest': bad encoded "
	  "part" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"sha256:../../etc/passwd\"}"),
	  0, NULL, F,
	  "invalid digest 'sha256:../../etc/passwd' in 'manifests[0].digest':"
	  " bad encoded part" },
	{ E_INDEX("{\"size\": 1, \"digest\": \"sha256:\\n" HEX64 "\"}"), 0,
	  NULL, F,
	  "invalid digest 'sha256:\\n" HEX64 "' in 'manifests[0].digest': "
	  "bad encoded part" },
	{ E_INDEX("{" DESC "}, {" DESC "}, {" DESC "}, "
		  "{\"digest\": \"" D1 "\", \"size\": \"1\"}"), 0, NULL, F,
	  "'manifests[3].size' must be a non-negative integer" },
	{ E_INDEX("{\"digest\": \"" D1 "\", \"size\": -1}"), 0, NULL, F,
	  "'manifests[0].size' must be a non-negative integer" },
	{ E_INDEX("{\"digest\": \"" D1 "\", \"size\": 1.5}"), 0, NULL, F,
	  "'manifests[0].size' must be a non-negative integer" },
	{ E_INDEX("{\"digest\": \"" D1 "\", \"size\": true}"), 0, NULL, F,
	  "'manifests[0].size' must be a non-negative integer" },
	{ E_INDEX("{\"digest\": \"" D1 "\"}"), 0, NULL, F,
	  "'manifests[0].size' is missing" },
	{ E_INDEX("{" DESC ", \"mediaType\": []}"), 0, NULL, F,
	  "'manifests[0].mediaType' must be a string" },
	{ E_INDEX("{" DESC ", \"platform\": \"linux/amd64\"}"), 0, NULL, F,
	  "'manifests[0].platform' must be an object" },
	{ E_INDEX("{" DESC ", \"platform\": {\"architecture\": 64}}"), 0,
	  NULL, F, "'manifests[0].platform.architecture' must be a string" },
	{ E_INDEX("{" DESC ", \"platform\": {\"os\": \"linux\\u0000x\"}}"), 0,
	  NULL, F, "'manifests[0].platform.os' contains a NUL byte" },
	{ E_INDEX("{" DESC ", \"platform\": {\"variant\": false}}"), 0, NULL,
	  F, "'manifests[0].platform.variant' must be a string" },
	{ E_INDEX("{" DESC ", \"annotations\": []}"), 0, NULL, F,
	  "'manifests[0].annotations' must be an object" },
	{ E_INDEX("{" DESC ", \"annotations\": "
		  "{\"vnd.docker.reference.type\": 1}}"), 0, NULL, F,
	  "'manifests[0].annotations.vnd.docker.reference.type' must be a "
	  "string" },
	/* Manifest structure. */
	{ E_MAN("\"layers\": []"), 0, NULL, F, "'config' is missing" },
	{ E_MAN("\"config\": \"x\""), 0, NULL, F,
	  "'config' must be an object" },
	{ E_MAN("\"config\": {" DESC "}"), 0, NULL, F,
	  "'config.mediaType' is missing" },
	{ E_MAN("\"config\": {" TYPE(MT_OCI_CONFIG) ", \"digest\": \"" D1
		"\"}"), 0, NULL, F, "'config.size' is missing" },
	{ E_MAN("\"config\": {" TYPE(MT_OCI_CONFIG) ", \"size\": 3}"), 0,
	  NULL, F, "'config.digest' is missing" },
	{ E_MAN(CFG ", \"layers\": {}"), 0, NULL, F,
	  "'layers' must be an array" },
	{ E_MAN(CFG ", \"layers\": [null]"), 0, NULL, F,
	  "'layers[0]' must be an object" },
	{ E_MAN(CFG ", \"layers\": [{" DESC "}, {\"digest\": \"sha256:1\", "
		"\"size\": 1}]"), 0, NULL, F,
	  "invalid digest 'sha256:1' in 'layers[1].digest': sha256 needs 64 "
	  "lowercase hex digits" },
	{ E_MAN(CFG ", \"layers\": [{" DESC ", \"mediaType\": 1}]"), 0, NULL,
	  F, "'layers[0].mediaType' must be a string" },
	/* Schema 1. */
	{ "{\"schemaVersion\": 1, \"architecture\": 5}", 0, NULL, F,
	  "'architecture' must be a string" },
};

static void check_error(const char *what, const struct error *err,
			enum error_category category, const char *message)
{
	if (err->category != category)
		fail_msg("%s: expected category %s, found %s (%s)", what,
			 error_category_name(category),
			 error_category_name(err->category), err->message);
	check_str(what, err->message, message);
}

/* A failed parse leaves a zeroed document that can be released again. */
static void check_released(const char *what, struct document *doc)
{
	static const struct document zero;

	if (memcmp(doc, &zero, sizeof(zero)))
		fail_msg("%s: document not zeroed after a failure", what);
	document_release(doc);
}

static void test_document_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(doc_error_cases) / sizeof(doc_error_cases[0]);
	     i++) {
		const struct doc_error_case *c = &doc_error_cases[i];
		size_t len = c->len ? c->len : strlen(c->json);
		struct document doc;
		struct error err;

		error_init(&err);
		if (document_parse(c->json, len, c->content_type, &doc,
				   &err) == 0)
			fail_msg("%s: parsed, expected '%s'", c->json,
				 c->message);
		check_error(c->json, &err, c->category, c->message);
		check_released(c->json, &doc);
	}
}

/* ---- generated documents at and beyond the limits ---- */

static void append(struct buf *b, const char *s)
{
	struct error err;

	error_init(&err);
	assert_int_equal(buf_append(b, s, strlen(s), CONFIG_BYTES_MAX + 64,
				    "test", &err), 0);
}

/*
 * head, count copies of item, tail. Items of JSON (longer than one byte)
 * are joined by ", "; a single character is repeated as is, to build a
 * long string.
 */
static void generate(struct buf *b, const char *head, const char *item,
		     size_t count, const char *tail)
{
	size_t i;

	buf_init(b);
	append(b, head);
	for (i = 0; i < count; i++) {
		if (i && item[0] && item[1])
			append(b, ", ");
		append(b, item);
	}
	append(b, tail);
}

struct limit_case {
	const char *head, *item, *tail;
	size_t count;
	enum error_category category;   /* ERROR_NONE: parses */
	const char *message;
};

static const struct limit_case doc_limit_cases[] = {
	{ "{\"manifests\": [", "{" DESC "}", "]}", INDEX_ENTRIES_MAX,
	  ERROR_NONE, NULL },
	{ "{\"manifests\": [", "{" DESC "}", "]}", INDEX_ENTRIES_MAX + 1,
	  ERROR_LIMIT,
	  "index lists 1025 entries, more than INDEX_ENTRIES_MAX (1024)" },
	{ "{" CFG ", \"layers\": [", "{" DESC "}", "]}", MANIFEST_LAYERS_MAX,
	  ERROR_NONE, NULL },
	{ "{" CFG ", \"layers\": [", "{" DESC "}", "]}",
	  MANIFEST_LAYERS_MAX + 1, ERROR_LIMIT,
	  "manifest lists 513 layers, more than MANIFEST_LAYERS_MAX (512)" },
	{ "{\"manifests\": [{\"size\": 1, \"digest\": \"sha256:", "a",
	  "\"}]}", DIGEST_TEXT_MAX - 7,
	  ERROR_FORMAT,
	  "invalid digest 'sha256:" A10 A10 A10 A10 A10 A10 A10 A10 A10
	  "aaa...' in 'manifests[0].digest': sha256 needs 64 lowercase hex "
	  "digits" },
	{ "{\"manifests\": [{\"size\": 1, \"digest\": \"sha256:", "a",
	  "\"}]}", DIGEST_TEXT_MAX - 6,
	  ERROR_LIMIT,
	  "digest in 'manifests[0].digest' is longer than DIGEST_TEXT_MAX "
	  "(255 bytes)" },
};

static void test_document_limits(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(doc_limit_cases) / sizeof(doc_limit_cases[0]);
	     i++) {
		const struct limit_case *c = &doc_limit_cases[i];
		struct document doc;
		struct error err;
		char what[64];
		struct buf b;
		int rc;

		snprintf(what, sizeof(what), "limit case %zu (%zu items)", i,
			 c->count);
		error_init(&err);
		generate(&b, c->head, c->item, c->count, c->tail);
		rc = document_parse(b.data, b.len, NULL, &doc, &err);
		if (c->category == ERROR_NONE && rc < 0)
			fail_msg("%s: %s", what, err.message);
		if (c->category != ERROR_NONE)
			check_error(what, &err, c->category, c->message);
		document_release(&doc);
		buf_release(&b);
	}
}

/* MANIFEST_BYTES_MAX bytes parse; one more byte is refused unread. */
static void test_document_size_limit(void **state)
{
	const char *body = "{\"manifests\": []}";
	struct document doc;
	struct error err;
	char *data = xmalloc(MANIFEST_BYTES_MAX + 1);

	(void)state;
	memset(data, ' ', MANIFEST_BYTES_MAX + 1);
	memcpy(data, body, strlen(body));
	error_init(&err);
	if (document_parse(data, MANIFEST_BYTES_MAX, NULL, &doc, &err) < 0)
		fail_msg("at MANIFEST_BYTES_MAX: %s", err.message);
	document_release(&doc);
	assert_int_equal(document_parse(data, MANIFEST_BYTES_MAX + 1, NULL,
					&doc, &err), -1);
	check_error("over MANIFEST_BYTES_MAX", &err, ERROR_LIMIT,
		    "document of 4194305 bytes is larger than "
		    "MANIFEST_BYTES_MAX (4194304 bytes)");
	check_released("over MANIFEST_BYTES_MAX", &doc);
	free(data);
}

/* An over-long unknown media type is escaped and shortened to
   manifest.c's MANIFEST_QUOTE_MAX (100) bytes in the message. */
static void test_document_long_media_type(void **state)
{
	struct document doc;
	struct error err;
	struct buf b, want;
	size_t i;

	(void)state;
	error_init(&err);
	buf_init(&b);
	buf_init(&want);
	append(&b, "{\"mediaType\": \"x");
	for (i = 0; i < 300; i++)
		append(&b, "\\u0001");
	append(&b, "\"}");
	append(&want, "unsupported media type 'x");
	for (i = 1; i < 100; i++)
		append(&want, "\\x01");
	append(&want, "...'");
	assert_int_equal(document_parse(b.data, b.len, NULL, &doc, &err), -1);
	check_error("long media type", &err, ERROR_FORMAT, want.data);
	buf_release(&b);
	buf_release(&want);
}

/* ---- media types ---- */

struct media_type_case {
	const char *mt;
	bool index, manifest, schema1;
};

static void test_media_types(void **state)
{
	static const struct media_type_case cases[] = {
		{ MT_OCI_INDEX, true, false, false },
		{ MT_DOCKER_LIST, true, false, false },
		{ MT_OCI_MANIFEST, false, true, false },
		{ MT_DOCKER_MANIFEST, false, true, false },
		{ MT_DOCKER_SCHEMA1, false, false, true },
		{ MT_DOCKER_SCHEMA1_SIGNED, false, false, true },
		{ "  " MT_OCI_INDEX "\t; charset=utf-8", true, false, false },
		{ "APPLICATION/VND.DOCKER.DISTRIBUTION.MANIFEST.V2+JSON", false,
		  true, false },
		{ MT_DOCKER_MANIFEST ";", false, true, false },
		{ MT_OCI_CONFIG, false, false, false },
		{ MT_DOCKER_CONFIG, false, false, false },
		{ "application/json", false, false, false },
		{ "text/html", false, false, false },
		{ MT_OCI_INDEX "x", false, false, false },
		{ "application/vnd.oci.image.index.v1", false, false, false },
		{ "", false, false, false },
		{ ";" MT_OCI_INDEX, false, false, false },
		{ NULL, false, false, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *what = show(cases[i].mt);

		check_int(what, media_type_is_index(cases[i].mt),
			  cases[i].index);
		check_int(what, media_type_is_manifest(cases[i].mt),
			  cases[i].manifest);
		check_int(what, media_type_is_schema1(cases[i].mt),
			  cases[i].schema1);
	}
}

/* ---- inline configs ---- */

struct config_json_case {
	struct config_case want;
	const char *json;
};

static const struct config_json_case config_ok_cases[] = {
	{ { "empty object: everything absent", NULL, NULL, NULL, NULL, NULL,
	    0, NULL, NULL, NULL },
	  "{}" },
	{ { "null config and members", NULL, NULL, NULL, NULL, NULL, 0, NULL,
	    NULL, NULL },
	  "{\"os\": null, \"config\": null}" },
	{ { "Entrypoint null, Cmd set", "linux", "arm", "v7", NULL,
	    ARGV("/bin/sh", "-c", "echo hi"), 1, "/bin", "/w", "1000:1000" },
	  "{\"os\": \"linux\", \"architecture\": \"arm\", \"variant\": \"v7\","
	  " \"config\": {\"Entrypoint\": null, \"Cmd\": [\"/bin/sh\", \"-c\","
	  " \"echo hi\"], \"Env\": [\"PATH=/bin\"], \"WorkingDir\": \"/w\", "
	  "\"User\": \"1000:1000\", \"Labels\": {\"a\": \"b\"}}}" },
	{ { "an empty array is an empty list, not absent", NULL, NULL, NULL,
	    ARGV_EMPTY, ARGV("buildkitd", "--debug"), 0, NULL, "", NULL },
	  "{\"config\": {\"Entrypoint\": [], \"Cmd\": [\"buildkitd\", "
	  "\"--debug\"], \"Env\": [], \"WorkingDir\": \"\"}}" },
	{ { "duplicate keys: the last wins", NULL, "arm64", NULL,
	    ARGV("/second"), NULL, 0, NULL, NULL, NULL },
	  "{\"architecture\": \"amd64\", \"architecture\": \"arm64\", "
	  "\"config\": {\"Entrypoint\": [\"/first\"], "
	  "\"Entrypoint\": [\"/second\"]}}" },
	{ { "Env entries without '=' are kept but define nothing", NULL, NULL,
	    NULL, NULL, NULL, 2, "/usr/bin", NULL, NULL },
	  "{\"config\": {\"Env\": [\"PATH\", \"PATH=/usr/bin\"]}}" },
};

static void test_config_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(config_ok_cases) / sizeof(config_ok_cases[0]);
	     i++) {
		const struct config_json_case *c = &config_ok_cases[i];
		struct image_config cfg;
		struct error err;

		error_init(&err);
		if (config_parse(c->json, strlen(c->json), &cfg, &err) < 0)
			fail_msg("%s: %s", c->want.name, err.message);
		check_config(&c->want, &cfg);
		config_release(&cfg);
	}
}

struct config_error_case {
	const char *json;
	enum error_category category;
	const char *message;
};

static void test_config_errors(void **state)
{
	static const struct config_error_case cases[] = {
		{ "{\"config\": {\"Cmd\": [\"a\",]}}", F,
		  "malformed JSON at line 1 column 25: unexpected token near "
		  "']'" },
		{ "\"just a string\"", F,
		  "malformed JSON at line 1 column 15: '[' or '{' expected "
		  "near '\"just a string\"'" },
		{ "[{}]", F, "document is not a JSON object" },
		{ "{\"os\": 5}", F, "'os' must be a string" },
		{ "{\"architecture\": \"arm\\u000064\"}", F,
		  "'architecture' contains a NUL byte" },
		{ "{\"variant\": {}}", F, "'variant' must be a string" },
		{ "{\"config\": 5}", F, "'config' must be an object" },
		{ "{\"config\": {\"Entrypoint\": \"/bin/sh\"}}", F,
		  "'config.Entrypoint' must be an array of strings" },
		{ "{\"config\": {\"Cmd\": {}}}", F,
		  "'config.Cmd' must be an array of strings" },
		{ "{\"config\": {\"Cmd\": [\"a\", 1]}}", F,
		  "'config.Cmd[1]' must be a string" },
		{ "{\"config\": {\"Cmd\": [\"a\", null]}}", F,
		  "'config.Cmd[1]' must be a string" },
		{ "{\"config\": {\"Env\": \"PATH=/bin\"}}", F,
		  "'config.Env' must be an array of strings" },
		{ "{\"config\": {\"Env\": [\"A=\\u0000\"]}}", F,
		  "'config.Env[0]' contains a NUL byte" },
		{ "{\"config\": {\"WorkingDir\": 1}}", F,
		  "'config.WorkingDir' must be a string" },
		{ "{\"config\": {\"User\": [\"root\"]}}", F,
		  "'config.User' must be a string" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_config cfg;
		struct error err;

		error_init(&err);
		if (config_parse(cases[i].json, strlen(cases[i].json), &cfg,
				 &err) == 0)
			fail_msg("%s: parsed, expected '%s'", cases[i].json,
				 cases[i].message);
		check_error(cases[i].json, &err, cases[i].category,
			    cases[i].message);
		check_str(cases[i].json, cfg.os, NULL);
		assert_null(cfg.cmd);
		config_release(&cfg);
	}
}

static const struct limit_case config_limit_cases[] = {
	{ "{\"config\": {\"Cmd\": [", "\"x\"", "]}}", CONFIG_ARGV_MAX,
	  ERROR_NONE, NULL },
	{ "{\"config\": {\"Cmd\": [", "\"x\"", "]}}", CONFIG_ARGV_MAX + 1,
	  ERROR_LIMIT,
	  "'config.Cmd' has 257 items, more than CONFIG_ARGV_MAX (256)" },
	{ "{\"config\": {\"Entrypoint\": [", "\"x\"", "]}}",
	  CONFIG_ARGV_MAX + 1, ERROR_LIMIT,
	  "'config.Entrypoint' has 257 items, more than CONFIG_ARGV_MAX "
	  "(256)" },
	{ "{\"config\": {\"Env\": [", "\"A=1\"", "]}}", CONFIG_ENV_MAX,
	  ERROR_NONE, NULL },
	{ "{\"config\": {\"Env\": [", "\"A=1\"", "]}}", CONFIG_ENV_MAX + 1,
	  ERROR_LIMIT,
	  "'config.Env' has 1025 items, more than CONFIG_ENV_MAX (1024)" },
	{ "{\"config\": {\"WorkingDir\": \"", "a", "\"}}", CONFIG_STRING_MAX,
	  ERROR_NONE, NULL },
	{ "{\"config\": {\"WorkingDir\": \"", "a", "\"}}",
	  CONFIG_STRING_MAX + 1, ERROR_LIMIT,
	  "'config.WorkingDir' is longer than CONFIG_STRING_MAX (65536 "
	  "bytes)" },
	{ "{\"config\": {\"Cmd\": [\"", "a", "\"]}}", CONFIG_STRING_MAX + 1,
	  ERROR_LIMIT,
	  "'config.Cmd[0]' is longer than CONFIG_STRING_MAX (65536 bytes)" },
	{ "{\"os\": \"", "a", "\"}", CONFIG_STRING_MAX + 1, ERROR_LIMIT,
	  "'os' is longer than CONFIG_STRING_MAX (65536 bytes)" },
};

static void test_config_limits(void **state)
{
	size_t i;

	(void)state;
	for (i = 0;
	     i < sizeof(config_limit_cases) / sizeof(config_limit_cases[0]);
	     i++) {
		const struct limit_case *c = &config_limit_cases[i];
		struct image_config cfg;
		struct error err;
		char what[64];
		struct buf b;
		int rc;

		snprintf(what, sizeof(what), "config limit case %zu", i);
		error_init(&err);
		generate(&b, c->head, c->item, c->count, c->tail);
		rc = config_parse(b.data, b.len, &cfg, &err);
		if (c->category == ERROR_NONE && rc < 0)
			fail_msg("%s: %s", what, err.message);
		if (c->category != ERROR_NONE)
			check_error(what, &err, c->category, c->message);
		config_release(&cfg);
		buf_release(&b);
	}
}

static void test_config_size_limit(void **state)
{
	struct image_config cfg;
	struct error err;
	char *data = xmalloc(CONFIG_BYTES_MAX + 1);

	(void)state;
	memset(data, ' ', CONFIG_BYTES_MAX + 1);
	memcpy(data, "{}", 2);
	error_init(&err);
	if (config_parse(data, CONFIG_BYTES_MAX, &cfg, &err) < 0)
		fail_msg("at CONFIG_BYTES_MAX: %s", err.message);
	config_release(&cfg);
	assert_int_equal(config_parse(data, CONFIG_BYTES_MAX + 1, &cfg, &err),
			 -1);
	check_error("over CONFIG_BYTES_MAX", &err, ERROR_LIMIT,
		    "config of 8388609 bytes is larger than CONFIG_BYTES_MAX "
		    "(8388608 bytes)");
	config_release(&cfg);
	free(data);
}

struct getenv_case {
	const char *key;
	const char *value;
};

/* Later entries override earlier ones, as runc applies them in order. */
static void test_config_getenv(void **state)
{
	static const char json[] =
		"{\"config\": {\"Env\": [\"PATH=/a\", \"HOME=/root\", "
		"\"PATH=/b\", \"NOVALUE\", \"EMPTY=\", \"PATHX=/x\", "
		"\"=odd\", \"EQ=a=b\"]}}";
	static const struct getenv_case cases[] = {
		{ "PATH", "/b" },     { "HOME", "/root" }, { "NOVALUE", NULL },
		{ "EMPTY", "" },      { "PATHX", "/x" },   { "PAT", NULL },
		{ "", NULL },         { "PATH=", NULL },   { "EQ", "a=b" },
		{ "path", NULL },     { "MISSING", NULL }, { NULL, NULL },
	};
	struct image_config cfg, none;
	struct error err;
	size_t i;

	(void)state;
	error_init(&err);
	if (config_parse(json, strlen(json), &cfg, &err) < 0)
		fail_msg("%s", err.message);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_str(show(cases[i].key), config_getenv(&cfg, cases[i].key),
			  cases[i].value);
	config_release(&cfg);
	memset(&none, 0, sizeof(none));
	check_str("no Env", config_getenv(&none, "PATH"), NULL);
}

/* Release is safe on zeroed structs and twice in a row. */
static void test_release_zeroed(void **state)
{
	struct document doc;
	struct image_config cfg;

	(void)state;
	memset(&doc, 0, sizeof(doc));
	memset(&cfg, 0, sizeof(cfg));
	document_release(&doc);
	document_release(&doc);
	config_release(&cfg);
	config_release(&cfg);
	fixture_document(F_BUILDKIT, &doc);
	document_release(&doc);
	document_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_all_covered),
		cmocka_unit_test(test_fixture_documents),
		cmocka_unit_test(test_fixture_seven_platforms),
		cmocka_unit_test(test_fixture_buildkit_attestations),
		cmocka_unit_test(test_fixture_oci_index_entries),
		cmocka_unit_test(test_fixture_httpd_layers),
		cmocka_unit_test(test_fixture_configs),
		cmocka_unit_test(test_document_ok),
		cmocka_unit_test(test_document_attestation),
		cmocka_unit_test(test_document_errors),
		cmocka_unit_test(test_document_limits),
		cmocka_unit_test(test_document_size_limit),
		cmocka_unit_test(test_document_long_media_type),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_config_ok),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test(test_config_size_limit),
		cmocka_unit_test(test_config_getenv),
		cmocka_unit_test(test_release_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
