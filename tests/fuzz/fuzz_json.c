/* Fuzz target: the JSON documents besides images (manifest.c): registry
 * error bodies, token answers, kubeadm's image list, credential files
 * (both forms), credential helper answers, oci-layout, a layout's
 * index.json and a `docker save` manifest.json. The first byte picks the
 * document ('0' to '8' in the seeds); the rest is its text. */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/manifest.h"
#include "tests/fuzz/fuzz.h"

#define WHAT "'index.json' in 'oci:/fuzz'"

static void fuzz_registry_error(const char *d, size_t n, struct error *err)
{
	struct document_registry_error e;

	(void)err;
	memset(&e, 0, sizeof(e));
	document_registry_error_parse(d, n, &e);
	document_registry_error_release(&e);
}

static void fuzz_token(const char *d, size_t n, struct error *err)
{
	struct document_token t;

	(void)err;
	memset(&t, 0, sizeof(t));
	document_token_parse(d, n, &t);
	document_token_release(&t);
}

static void fuzz_image_list(const char *d, size_t n, struct error *err)
{
	struct document_image_list l;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (document_image_list_parse(d, n, &l, err) == 0) {
		for (i = 0; i < l.count; i++)
			if (l.images[i])
				(void)strlen(l.images[i]);
		document_image_list_release(&l);
	}
}

static void fuzz_auth(const char *d, size_t n, bool legacy,
		      struct error *err)
{
	struct document_auth a;
	size_t i;

	memset(&a, 0, sizeof(a));
	if (document_auth_parse(d, n, legacy, &a, err) == 0) {
		for (i = 0; i < a.entry_count; i++)
			(void)strlen(a.entries[i].key);
		for (i = 0; i < a.helper_count; i++)
			(void)strlen(a.helpers[i].key);
		document_auth_release(&a);
	}
}

static void fuzz_auth_file(const char *d, size_t n, struct error *err)
{
	fuzz_auth(d, n, false, err);
}

static void fuzz_auth_legacy(const char *d, size_t n, struct error *err)
{
	fuzz_auth(d, n, true, err);
}

static void fuzz_helper_answer(const char *d, size_t n, struct error *err)
{
	struct document_helper_answer a;

	memset(&a, 0, sizeof(a));
	if (document_helper_answer_parse(d, n, &a, err) == 0)
		document_helper_answer_release(&a);
}

static void fuzz_layout(const char *d, size_t n, struct error *err)
{
	char *version = NULL;

	if (document_oci_layout_parse(d, n, WHAT, &version, err) == 0)
		free(version);
}

static void fuzz_layout_index(const char *d, size_t n, struct error *err)
{
	struct document_layout_index idx;

	memset(&idx, 0, sizeof(idx));
	if (document_layout_index_parse(d, n, WHAT, &idx, err) == 0) {
		if (idx.count > INDEX_ENTRIES_MAX)
			abort();
		document_layout_index_release(&idx);
	}
}

/* A docker save manifest, then the Docker manifest built from it, as
   the offline reader does. */
static void fuzz_docker_archive(const char *d, size_t n, struct error *err)
{
	struct document_docker_archive a;
	struct descriptor config = { .media_type = MT_DOCKER_CONFIG,
				     .digest = "sha256:00", .size = 1 };
	size_t i;

	memset(&a, 0, sizeof(a));
	if (document_docker_archive_parse(d, n, WHAT, &a, err) < 0)
		return;
	for (i = 0; i < a.count; i++) {
		if (a.images[i].layers &&
		    a.images[i].layer_count > MANIFEST_LAYERS_MAX)
			abort();
		if (a.images[i].config)
			(void)strlen(a.images[i].config);
	}
	free(document_docker_manifest(&config, NULL, 0));
	document_docker_archive_release(&a);
}

/* In the order of the selector byte, '0' first. */
static void (*const parsers[])(const char *, size_t, struct error *) = {
	fuzz_registry_error, fuzz_token, fuzz_image_list, fuzz_auth_file,
	fuzz_auth_legacy, fuzz_helper_answer, fuzz_layout, fuzz_layout_index,
	fuzz_docker_archive,
};

#define PARSERS (sizeof(parsers) / sizeof(parsers[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err;

	if (size < 1)
		return 0;
	error_init(&err);
	parsers[(uint8_t)(data[0] - '0') % PARSERS]((const char *)data + 1,
						    size - 1, &err);
	return 0;
}
