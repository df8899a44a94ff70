/* Fuzz target: manifests and indexes (document_parse). A first byte
   '0' to '8' picks the Content-Type sent with the body ('0' none, '1'
   the OCI index, ...) and the rest is the body; any other first byte
   starts a body sent without one (the shared fixtures are such). */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/manifest.h"
#include "tests/fuzz/fuzz.h"

static const char *const content_types[] = {
	NULL, MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST,
	MT_DOCKER_MANIFEST, MT_DOCKER_SCHEMA1, MT_DOCKER_SCHEMA1_SIGNED,
	"application/json", "text/html; charset=utf-8",
};

#define CONTENT_TYPES (sizeof(content_types) / sizeof(content_types[0]))

/* Every descriptor kept is readable, its digest a string. */
static void fuzz_descriptor(const struct descriptor *d)
{
	if (d->digest)
		(void)strlen(d->digest);
	if (d->media_type)
		(void)strlen(d->media_type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *content_type = NULL;
	struct document doc;
	struct error err;
	size_t i;

	if (size > 0 && data[0] >= '0' && data[0] < '0' + CONTENT_TYPES) {
		content_type = content_types[data[0] - '0'];
		data++;
		size--;
	}
	error_init(&err);
	memset(&doc, 0, sizeof(doc));
	if (document_parse((const char *)data, size, content_type, &doc,
			   &err) == 0) {
		if (doc.entry_count > INDEX_ENTRIES_MAX ||
		    doc.layer_count > MANIFEST_LAYERS_MAX)
			abort();
		for (i = 0; i < doc.entry_count; i++)
			fuzz_descriptor(&doc.entries[i]);
		for (i = 0; i < doc.layer_count; i++)
			fuzz_descriptor(&doc.layers[i]);
		fuzz_descriptor(&doc.config);
		(void)media_type_is_index(doc.media_type);
		(void)media_type_is_manifest(doc.media_type);
		(void)media_type_is_schema1(doc.media_type);
	} else if (!err.message[0]) {
		abort();
	}
	document_release(&doc);
	return 0;
}
