/* Unit tests for platform selection over real indexes from the fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "platform/platform.h"
#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/manifest.h"
#include "preflight/select.h"

#define LIST_7 \
	"docker-manifest-list.7-platforms-arm-v5-v6-arm64-v8." \
	"containers-image.json"
#define BUILDKIT "oci-index-with-attestations.hello-multiplatform." \
	"sha256-5ac2d3ac.json"

static void load(const char *name, struct document *doc)
{
	const char *dir = getenv("SHARED_FIXTURES");
	char path[1024], chunk[4096];
	struct error err;
	struct buf b;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir :
		 "../shared/fixtures", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture '%s' (set SHARED_FIXTURES)", path);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n, MANIFEST_BYTES_MAX, "fixture", NULL);
	fclose(f);
	error_init(&err);
	if (document_parse(b.data, b.len, NULL, doc, &err) < 0)
		fail_msg("%s: %s", name, err.message);
	buf_release(&b);
}

struct select_case {
	const char *fixture;
	const char *node;
	const char *want;      /* platform of the chosen entry, NULL: none */
	int rank;
	const char *reason;    /* a phrase the reason must contain */
};

static const struct select_case cases[] = {
	{ LIST_7, "linux/amd64", "linux/amd64", 0, "exact match" },
	{ LIST_7, "linux/arm64", "linux/arm64", 0, "exact match" },
	{ LIST_7, "linux/arm64/v8", "linux/arm64", 0, "exact match" },
	/* the list has arm/v5 and arm/v6 but no arm/v7 */
	{ LIST_7, "linux/arm/v7", "linux/arm/v6", 1, "older variant" },
	{ LIST_7, "linux/arm/v6", "linux/arm/v6", 0, "exact match" },
	{ LIST_7, "linux/arm/v5", "linux/arm/v5", 0, "exact match" },
	{ LIST_7, "linux/386", "linux/386", 0, "exact match" },
	{ LIST_7, "linux/ppc64le", "linux/ppc64le", 0, "exact match" },
	{ LIST_7, "linux/s390x", "linux/s390x", 0, "exact match" },
	{ LIST_7, "linux/riscv64", NULL, -1, "no entry" },
	{ LIST_7, "windows/amd64", NULL, -1, "no entry" },
	{ BUILDKIT, "linux/amd64", "linux/amd64", 0, "exact match" },
	{ BUILDKIT, "linux/arm64", "linux/arm64", 0, "exact match" },
	/* attestations (unknown/unknown) are never chosen */
	{ BUILDKIT, "linux/arm/v7", NULL, -1, "no entry" },
	{ BUILDKIT, "linux/s390x", NULL, -1, "no entry" },
};

static void test_select_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct select_case *c = &cases[i];
		char got[PLATFORM_STRING_MAX] = "none";
		struct document doc = { 0 };
		struct platform node;
		struct selection sel;
		struct error err;

		error_init(&err);
		load(c->fixture, &doc);
		assert_int_equal(platform_parse(c->node, &node, &err), 0);
		select_platform(&doc, &node, &sel);
		if (sel.index >= 0)
			platform_format(&doc.entries[sel.index].platform, got);
		if ((c->want && strcmp(got, c->want)) ||
		    (!c->want && sel.index >= 0) || sel.rank != c->rank ||
		    !strstr(sel.reason, c->reason))
			fail_msg("case %zu (%s on %s): want %s rank %d "
				 "('%s'), got %s rank %d ('%s')", i, c->node,
				 c->fixture, c->want ? c->want : "none",
				 c->rank, c->reason, got, sel.rank,
				 sel.reason);
		document_release(&doc);
	}
}

/* An entry without a platform is accepted on any node, but last. */
static void test_select_no_platform(void **state)
{
	static const char index[] =
		"{\"schemaVersion\":2,\"mediaType\":"
		"\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaa\",\"size\":1},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		"bbbbbbbbbbbbbbbbbbbb\",\"size\":1,\"platform\":"
		"{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}";
	struct document doc = { 0 };
	struct platform node;
	struct selection sel;
	struct error err;

	(void)state;
	error_init(&err);
	assert_int_equal(document_parse(index, sizeof(index) - 1, NULL, &doc,
					&err), 0);
	assert_int_equal(platform_parse("linux/arm64", &node, &err), 0);
	select_platform(&doc, &node, &sel);
	/* arm/v7 is a fallback of arm64, and still beats no platform */
	assert_int_equal(sel.index, 1);
	assert_non_null(strstr(sel.reason, "falls back to linux/arm/v7"));
	assert_int_equal(platform_parse("linux/s390x", &node, &err), 0);
	select_platform(&doc, &node, &sel);
	assert_int_equal(sel.index, 0);
	assert_non_null(strstr(sel.reason, "no platform"));
	document_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_table),
		cmocka_unit_test(test_select_no_platform),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
