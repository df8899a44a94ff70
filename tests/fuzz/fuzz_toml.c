/* Fuzz target: the TOML subset (toml_parse), every value then read back
   through the accessors. */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/toml.h"
#include "tests/fuzz/fuzz.h"

/*
 * How deep values may nest: TOML_DEPTH_MAX bounds the parts of one key
 * and, separately, the arrays and inline tables inside one value, so a
 * table header's parts, then a dotted key's, then at each level of an
 * inline table another dotted key's add up.
 */
#define FUZZ_TOML_NESTING_MAX ((TOML_DEPTH_MAX + 2) * TOML_DEPTH_MAX)

static void fuzz_walk(const struct toml *v, int depth)
{
	size_t i, n = toml_count(v);

	if (depth > FUZZ_TOML_NESTING_MAX || toml_line(v) < 1)
		abort();   /* deeper than the parser allows, or no line */
	switch (toml_type(v)) {
	case TOML_STRING:
		(void)strlen(toml_string(v, ""));
		return;
	case TOML_INTEGER:
		(void)toml_integer(v, 0);
		return;
	case TOML_BOOLEAN:
		(void)toml_boolean(v, false);
		return;
	case TOML_TABLE:
		for (i = 0; i < n; i++) {
			const char *key = toml_key_at(v, i);

			if (toml_get(v, key) == NULL)
				abort();   /* every key finds a member */
		}
		break;
	case TOML_ARRAY:
		break;
	}
	for (i = 0; i < n; i++)
		fuzz_walk(toml_at(v, i), depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const path[] = { "plugins",
		"io.containerd.grpc.v1.cri", "registry", NULL };
	struct toml *root;
	struct error err;

	error_init(&err);
	root = toml_parse((const char *)data, size, "fuzz.toml", &err);
	if (!root) {
		if (!err.message[0])
			abort();
		return 0;
	}
	fuzz_walk(root, 0);
	(void)toml_path(root, path);
	toml_free(root);
	return 0;
}
