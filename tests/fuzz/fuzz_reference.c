/* Fuzz target: image references (reference_parse and what is derived
   from a parsed reference). */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/reference.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct reference ref;
	struct error err;

	error_init(&err);
	memset(&ref, 0, sizeof(ref));
	(void)reference_digest_valid(text);
	if (reference_parse(text, &ref, &err) == 0) {
		char *canonical = reference_canonical(&ref);
		struct reference again;

		/* the canonical form is itself a reference, naming the same */
		memset(&again, 0, sizeof(again));
		if (reference_parse(canonical, &again, &err) < 0 ||
		    strcmp(again.domain, ref.domain) ||
		    strcmp(again.path, ref.path))
			abort();
		(void)reference_registry_host(&ref);
		(void)reference_manifest_ref(&ref);
		(void)reference_is_loopback(&ref);
		reference_release(&again);
		free(canonical);
	}
	reference_release(&ref);
	free(text);
	return 0;
}
