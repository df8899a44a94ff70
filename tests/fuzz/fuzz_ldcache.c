/* Fuzz target: glibc's ld.so.cache (ldcache_parse, ldcache_find). The
   first byte's low bit picks the byte order assumed when the cache
   declares none (0 little, 1 big endian); the rest is the cache. */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/ldcache.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ldcache_entry *e;
	struct ldcache c;
	struct error err;
	size_t pos = 0, i;

	if (size < 1)
		return 0;
	error_init(&err);
	memset(&c, 0, sizeof(c));
	if (ldcache_parse(data + 1, size - 1, data[0] & 1 ? 2 : 1, &c,
			  &err) < 0) {
		if (!err.message[0])
			abort();
		ldcache_release(&c);
		return 0;
	}
	for (i = 0; i < c.count; i++)
		if (strlen(c.entries[i].name) > LDCACHE_STRING_MAX ||
		    strlen(c.entries[i].path) > LDCACHE_STRING_MAX)
			abort();
	while ((e = ldcache_find(&c, "libc.so.6", &pos)))
		(void)e->flags;
	ldcache_release(&c);
	return 0;
}
