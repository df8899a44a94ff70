/* Fuzz target: finding strings in a file handed over in chunks
 * (bytematch.c), checked against memmem over the whole data. The first
 * byte sets the chunk size (1 to 256), the second the length of a
 * pattern (1 to 16) cut from the bytes after it; the rest is the data,
 * searched for that pattern and for two fixed ones. */
#include <stdlib.h>
#include <string.h>

#include "preflight/buf.h"
#include "preflight/bytematch.h"
#include "tests/fuzz/fuzz.h"

static void fuzz_expect(const struct bytematch *m, size_t i,
			const char *pattern, const uint8_t *data, size_t size)
{
	const uint8_t *hit = memmem(data, size, pattern, strlen(pattern));
	uint64_t at = 0;
	bool found = bytematch_found(m, i, &at);

	if (found != (hit != NULL) || (hit && at != (uint64_t)(hit - data)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *patterns[3] = { "aaab", "je_malloc_conf", NULL };
	struct bytematch m;
	size_t chunk, plen, off, i;
	char *own;

	if (size < 2)
		return 0;
	chunk = (size_t)data[0] + 1;
	plen = (size_t)data[1] % 16 + 1;
	if (size - 2 < plen)
		return 0;
	own = xstrndup((const char *)data + 2, plen);
	data += 2 + plen;
	size -= 2 + plen;
	patterns[2] = own;
	if (bytematch_init(&m, patterns, own[0] ? 3 : 2) < 0)
		abort();
	for (off = 0; off < size; off += chunk)
		bytematch_feed(&m, off, data + off,
			       size - off < chunk ? size - off : chunk);
	for (i = 0; i < (own[0] ? 3u : 2u); i++)
		fuzz_expect(&m, i, patterns[i], data, size);
	free(own);
	return 0;
}
