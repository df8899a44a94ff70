/* Unit tests for preflight/bytematch.c: strings found whatever the
   chunks the data comes in, and only where they are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/bytematch.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const patterns[] = {
	"<jemalloc>: Unsupported system page size",
	"libjemalloc.so",
};

/* (data, where each pattern starts, or -1) */
static const struct {
	const char *data;
	long at[2];
} rows[] = {
	{ "", { -1, -1 } },
	{ "<jemalloc>: Unsupported system page size", { 0, -1 } },
	{ "xx<jemalloc>: Unsupported system page size\n", { 2, -1 } },
	{ "<jemalloc>: Unsupported system page siz", { -1, -1 } },
	/* a false start that overlaps the real one */
	{ "<jem<jemalloc>: Unsupported system page size", { 4, -1 } },
	{ "libjemalloc.s libjemalloc.so.2", { -1, 14 } },
	{ "lliblibjemalloc.so", { -1, 4 } },
	{ "libjemalloc.so.2\0<jemalloc>: Unsupported system page size",
	  { 17, 0 } },
};

/* Feed data in chunks of `chunk` bytes, then check every pattern. */
static void check_row(size_t r, size_t chunk, size_t len)
{
	struct bytematch m;
	const unsigned char *d = (const unsigned char *)rows[r].data;
	uint64_t at;
	size_t off, i;

	assert_int_equal(bytematch_init(&m, patterns, COUNT(patterns)), 0);
	for (off = 0; off < len; off += chunk)
		bytematch_feed(&m, off, d + off,
			       len - off < chunk ? len - off : chunk);
	for (i = 0; i < COUNT(patterns); i++) {
		bool found = bytematch_found(&m, i, &at);
		long got = found ? (long)at : -1;

		if (got != rows[r].at[i])
			fail_msg("row %zu, chunks of %zu, pattern %zu: "
				 "expected %ld, got %ld", r, chunk, i,
				 rows[r].at[i], got);
	}
}

static void test_every_chunk_size(void **state)
{
	size_t r, chunk, len;

	(void)state;
	for (r = 0; r < COUNT(rows); r++) {
		len = strlen(rows[r].data);
		if (r == COUNT(rows) - 1)   /* holds a NUL */
			len = 17 + strlen(patterns[0]);
		for (chunk = 1; chunk <= len + 1; chunk++)
			check_row(r, chunk, len);
	}
}

static void test_limits(void **state)
{
	const char *const empty[] = { "" };
	const char *const many[] = { "a", "b", "c", "d", "e" };
	char longest[BYTEMATCH_PATTERN_MAX + 2];
	const char *const too_long[] = { longest };
	struct bytematch m;

	(void)state;
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_int_equal(bytematch_init(&m, empty, 1), -1);
	assert_int_equal(bytematch_init(&m, many, COUNT(many)), -1);
	assert_int_equal(bytematch_init(&m, too_long, 1), -1);
	longest[BYTEMATCH_PATTERN_MAX] = '\0';
	assert_int_equal(bytematch_init(&m, too_long, 1), 0);
	assert_false(bytematch_found(&m, 1, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_chunk_size),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
