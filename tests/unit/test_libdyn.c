/* Unit tests for the dynamic-section parser (elfdyn.h) and the
   ld.so.cache parser (ldcache.h): well-formed input in both classes and
   byte orders, and hostile input (counts past the limits, offsets past
   the end, strings with no end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/elfdyn.h"
#include "preflight/error.h"
#include "preflight/ldcache.h"

/* A byte buffer written in one byte order (1 LSB, 2 MSB). */
struct bytes {
	unsigned char *data;
	size_t len;
	int enc;
};

static void put(struct bytes *b, size_t at, size_t width, uint64_t v)
{
	size_t i;

	if (at + width > b->len) {
		b->data = xrealloc(b->data, at + width);
		memset(b->data + b->len, 0, at + width - b->len);
		b->len = at + width;
	}
	for (i = 0; i < width; i++) {
		size_t k = b->enc == 2 ? width - 1 - i : i;

		b->data[at + k] = (unsigned char)(v >> (8 * i));
	}
}

static void put_str(struct bytes *b, size_t at, const char *s)
{
	size_t n = strlen(s) + 1;

	put(b, at + n - 1, 1, 0);
	memcpy(b->data + at, s, n);
}

/* ---------------------------------------------------------- phdrs */

/* One PT_LOAD and one PT_DYNAMIC, per class (Elf32_Phdr, Elf64_Phdr). */
static void build_phdrs(struct bytes *b, int cls)
{
	size_t ent = cls == 2 ? 56 : 32, w = cls == 2 ? 8 : 4;
	size_t off = cls == 2 ? 8 : 4, va = cls == 2 ? 16 : 8;
	size_t fs = cls == 2 ? 32 : 16, al = cls == 2 ? 48 : 28;

	put(b, 0, 4, 1);
	put(b, off, w, 0x1000);
	put(b, va, w, 0x401000);
	put(b, fs, w, 0x2000);
	put(b, al, w, 0x10000);
	put(b, ent, 4, 2);
	put(b, ent + off, w, 0x2100);
	put(b, ent + fs, w, 0x1a0);
	put(b, 2 * ent - 1, 1, 0);
}

static void test_phdrs_both_classes_and_orders(void **state)
{
	static const int cases[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct bytes b = {NULL, 0, cases[i][1]};
		struct elfdyn_segments *s = xcalloc(1, sizeof(*s));
		struct error err;

		error_init(&err);
		build_phdrs(&b, cases[i][0]);
		assert_int_equal(elfdyn_parse_phdrs(cases[i][0], cases[i][1],
						    b.data, b.len, 2, s, &err),
				 0);
		assert_int_equal(s->load_count, 1);
		assert_int_equal(s->loads[0].offset, 0x1000);
		assert_int_equal(s->loads[0].vaddr, 0x401000);
		assert_int_equal(s->loads[0].filesz, 0x2000);
		assert_int_equal(elfdyn_min_align(s), 0x10000);
		assert_true(s->has_dynamic);
		assert_int_equal(s->dyn_offset, 0x2100);
		assert_int_equal(s->dyn_size, 0x1a0);
		free(b.data);
		free(s);
	}
}

static void test_phdrs_hostile(void **state)
{
	struct bytes b = {NULL, 0, 1};
	struct elfdyn_segments *s = xcalloc(1, sizeof(*s));
	struct error err;
	size_t i;

	(void)state;
	error_init(&err);
	build_phdrs(&b, 2);
	/* a count past the bytes given */
	assert_int_equal(elfdyn_parse_phdrs(2, 1, b.data, b.len, 3, s, &err),
			 -1);
	assert_non_null(strstr(err.message, "program headers truncated"));
	/* more PT_LOAD than ELFDYN_LOADS_MAX */
	for (i = 0; i <= ELFDYN_LOADS_MAX; i++)
		put(&b, i * 32, 4, 1);
	put(&b, (ELFDYN_LOADS_MAX + 1) * 32 - 1, 1, 0);
	error_init(&err);
	assert_int_equal(elfdyn_parse_phdrs(1, 1, b.data, b.len,
					    ELFDYN_LOADS_MAX + 1, s, &err),
			 -1);
	assert_non_null(strstr(err.message, "(ELFDYN_LOADS_MAX)"));
	free(b.data);
	free(s);
}

/* ------------------------------------------------------- dynamic */

static void put_dyn(struct bytes *b, int cls, size_t i, uint64_t tag,
		    uint64_t val)
{
	size_t w = cls == 2 ? 8 : 4;

	put(b, 2 * w * i, w, tag);
	put(b, 2 * w * i + w, w, val);
}

static void test_dynamic_both_classes_and_orders(void **state)
{
	static const int cases[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		int cls = cases[i][0];
		struct bytes b = {NULL, 0, cases[i][1]};
		struct elfdyn_info d;
		struct error err;

		error_init(&err);
		put_dyn(&b, cls, 0, 1, 1);         /* DT_NEEDED */
		put_dyn(&b, cls, 1, 1, 13);        /* DT_NEEDED */
		put_dyn(&b, cls, 2, 5, 0x400200);  /* DT_STRTAB */
		put_dyn(&b, cls, 3, 10, 64);       /* DT_STRSZ */
		put_dyn(&b, cls, 4, 29, 23);       /* DT_RUNPATH */
		put_dyn(&b, cls, 5, 0x6ffffffb, 0x800);   /* DT_FLAGS_1 */
		put_dyn(&b, cls, 6, 0, 0);         /* DT_NULL */
		put_dyn(&b, cls, 7, 1, 99);        /* after DT_NULL: unread */
		assert_int_equal(elfdyn_parse_dynamic(cls, cases[i][1], b.data,
						      b.len, &d, &err),
				 0);
		assert_int_equal(d.needed_count, 2);
		assert_int_equal(d.needed[0], 1);
		assert_int_equal(d.needed[1], 13);
		assert_int_equal(d.strtab, 0x400200);
		assert_int_equal(d.strsz, 64);
		assert_true(d.has_runpath && !d.has_rpath);
		assert_int_equal(d.runpath, 23);
		assert_int_equal(d.flags_1, ELFDYN_DF_1_NODEFLIB);
		free(b.data);
	}
}

struct dyn_case {
	const char *name;
	size_t entries;      /* DT_NEEDED entries written */
	bool strtab, strsz;
	const char *error;   /* NULL: parses */
};

static void test_dynamic_hostile(void **state)
{
	static const struct dyn_case cases[] = {
	    {"needed past the limit", ELFDYN_NEEDED_MAX + 1, true, true,
	     "(ELFDYN_NEEDED_MAX)"},
	    {"no DT_NULL, entries past the limit", ELFDYN_ENTRIES_MAX + 1,
	     true, true, "(ELFDYN_NEEDED_MAX)"},
	    {"needed but no DT_STRTAB", 1, false, true, "no DT_STRTAB"},
	    {"needed but no DT_STRSZ", 1, true, false, "no DT_STRSZ"},
	    {"at the limit", ELFDYN_NEEDED_MAX, true, true, NULL},
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dyn_case *c = &cases[i];
		struct bytes b = {NULL, 0, 1};
		struct elfdyn_info d;
		struct error err;
		size_t n = 0;
		int r;

		error_init(&err);
		if (c->strtab)
			put_dyn(&b, 2, n++, 5, 0);
		if (c->strsz)
			put_dyn(&b, 2, n++, 10, 1);
		for (k = 0; k < c->entries; k++)
			put_dyn(&b, 2, n++, 1, 0);
		r = elfdyn_parse_dynamic(2, 1, b.data, b.len, &d, &err);
		if (c->error && (r != -1 || !strstr(err.message, c->error)))
			fail_msg("%s: expected an error with '%s', got %d '%s'",
				 c->name, c->error, r, err.message);
		if (!c->error && r != 0)
			fail_msg("%s: expected success, got '%s'", c->name,
				 err.message);
		free(b.data);
	}
}

static void test_dynamic_entry_limit(void **state)
{
	struct bytes b = {NULL, 0, 1};
	struct elfdyn_info d;
	struct error err;
	size_t k;

	(void)state;
	error_init(&err);
	for (k = 0; k <= ELFDYN_ENTRIES_MAX; k++)
		put_dyn(&b, 2, k, 0x6ffffef5, 0);   /* DT_GNU_HASH */
	assert_int_equal(elfdyn_parse_dynamic(2, 1, b.data, b.len, &d, &err),
			 -1);
	assert_non_null(strstr(err.message, "(ELFDYN_ENTRIES_MAX)"));
	/* a partial last entry is ignored, not read past the end */
	error_init(&err);
	assert_int_equal(elfdyn_parse_dynamic(2, 1, b.data, 23, &d, &err), 0);
	free(b.data);
}

static void test_vaddr_offset(void **state)
{
	struct elfdyn_segments *s = xcalloc(1, sizeof(*s));
	struct error err;
	uint64_t off = 0;

	(void)state;
	error_init(&err);
	s->load_count = 2;
	s->loads[0] = (struct elfdyn_load){0, 0x400000, 0x1000, 0x1000};
	s->loads[1] = (struct elfdyn_load){0x1000, 0x601000, 0x200, 0x1000};
	assert_int_equal(elfdyn_vaddr_offset(s, 0x400300, 0x100, &off, &err),
			 0);
	assert_int_equal(off, 0x300);
	assert_int_equal(elfdyn_vaddr_offset(s, 0x601010, 0x10, &off, &err),
			 0);
	assert_int_equal(off, 0x1010);
	/* crossing the end of the segment's file data */
	assert_int_equal(elfdyn_vaddr_offset(s, 0x601100, 0x200, &off, &err),
			 -1);
	assert_non_null(strstr(err.message, "no PT_LOAD"));
	/* in no segment at all, and near the top of the address space */
	assert_int_equal(elfdyn_vaddr_offset(s, 0x10, 1, &off, &err), -1);
	assert_int_equal(
	    elfdyn_vaddr_offset(s, UINT64_MAX, UINT64_MAX, &off, &err), -1);
	free(s);
}

static void test_strings(void **state)
{
	static const unsigned char tab[] = "\0libfoo.so.1\0unterminated";
	unsigned char *big = xmalloc(ELFDYN_STRING_MAX + 10);
	struct error err;
	char *s = NULL;

	(void)state;
	error_init(&err);
	assert_int_equal(elfdyn_string(tab, sizeof(tab) - 1, sizeof(tab) - 1,
				       1, &s, &err),
			 0);
	assert_string_equal(s, "libfoo.so.1");
	free(s);
	/* past the table */
	assert_int_equal(elfdyn_string(tab, sizeof(tab) - 1, sizeof(tab) - 1,
				       100, &s, &err),
			 -1);
	assert_non_null(strstr(err.message, "past the end"));
	/* no NUL before the end of the bytes */
	assert_int_equal(elfdyn_string(tab, sizeof(tab) - 1, sizeof(tab) - 1,
				       13, &s, &err),
			 -1);
	assert_non_null(strstr(err.message, "no NUL"));
	/* longer than ELFDYN_STRING_MAX */
	memset(big, 'a', ELFDYN_STRING_MAX + 9);
	big[ELFDYN_STRING_MAX + 9] = '\0';
	assert_int_equal(elfdyn_string(big, ELFDYN_STRING_MAX + 10,
				       ELFDYN_STRING_MAX + 10, 0, &s, &err),
			 -1);
	assert_non_null(strstr(err.message, "(ELFDYN_STRING_MAX)"));
	assert_null(s);
	free(big);
}

/* ------------------------------------------------------- ld.so.cache */

struct cache_ent {
	uint32_t flags;
	const char *name, *path;
};

/* glibc-ld.so.cache1.1 at offset start of b, strings from start. */
static void build_new(struct bytes *b, size_t start,
		      const struct cache_ent *e, size_t n)
{
	size_t str = start + 48 + 24 * n, i;

	put(b, start + 47, 1, 0);
	memcpy(b->data + start, "glibc-ld.so.cache1.1", 20);
	put(b, start + 20, 4, n);
	b->data[start + 28] = b->enc == 2 ? 3 : 2;
	for (i = 0; i < n; i++) {
		size_t at = start + 48 + 24 * i;

		put(b, at, 4, e[i].flags);
		put(b, at + 4, 4, str - start);
		put_str(b, str, e[i].name);
		str += strlen(e[i].name) + 1;
		put(b, at + 8, 4, str - start);
		put_str(b, str, e[i].path);
		str += strlen(e[i].path) + 1;
	}
}

static const struct cache_ent ents[] = {
    {0x0303, "libfoo.so.1", "/usr/lib/x86_64-linux-gnu/libfoo.so.1"},
    {0x0003, "libc.so.6", "/lib32/libc.so.6"},
    {0x0303, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"},
    {0x0001, "libold.so.1", "/lib/libold.so.1"},
};

static void test_cache_new_both_orders(void **state)
{
	int enc;

	(void)state;
	for (enc = 1; enc <= 2; enc++) {
		struct bytes b = {NULL, 0, enc};
		struct ldcache c;
		struct error err;
		const struct ldcache_entry *e;
		size_t pos = 0;

		error_init(&err);
		put(&b, 48, 1, 0);
		build_new(&b, 0, ents, 4);
		/* the byte order the cache states wins over the caller's */
		assert_int_equal(ldcache_parse(b.data, b.len, 3 - enc, &c,
					       &err),
				 0);
		assert_int_equal(c.count, 4);
		assert_string_equal(c.format, "glibc-ld.so.cache1.1");
		e = ldcache_find(&c, "libc.so.6", &pos);
		assert_non_null(e);
		assert_string_equal(e->path, "/lib32/libc.so.6");
		e = ldcache_find(&c, "libc.so.6", &pos);
		assert_non_null(e);
		assert_string_equal(e->path, "/lib/x86_64-linux-gnu/libc.so.6");
		assert_null(ldcache_find(&c, "libc.so.6", &pos));
		pos = 0;
		/* a libc5 entry (kind 1) is not for ld.so of glibc */
		assert_null(ldcache_find(&c, "libold.so.1", &pos));
		ldcache_release(&c);
		free(b.data);
	}
}

static void test_cache_old_formats(void **state)
{
	struct bytes b = {NULL, 0, 1};
	struct ldcache c;
	struct error err;
	size_t pos = 0;

	(void)state;
	error_init(&err);
	/* an old table of one entry, then the new table 8-byte aligned */
	put(&b, 15, 1, 0);
	memcpy(b.data, "ld.so-1.7.0", 11);
	put(&b, 12, 4, 1);
	put(&b, 16, 4, 0x0303);
	put(&b, 28, 4, 0);   /* 16 + 12: end of the old table */
	build_new(&b, 32, ents, 1);
	assert_int_equal(ldcache_parse(b.data, b.len, 1, &c, &err), 0);
	assert_string_equal(c.format, "glibc-ld.so.cache1.1");
	assert_non_null(ldcache_find(&c, "libfoo.so.1", &pos));
	ldcache_release(&c);
	free(b.data);
	/* an old table alone: strings count from after its entries */
	b = (struct bytes){NULL, 0, 1};
	put(&b, 15, 1, 0);
	memcpy(b.data, "ld.so-1.7.0", 11);
	put(&b, 12, 4, 1);
	put(&b, 16, 4, 0x0303);
	put(&b, 20, 4, 0);
	put(&b, 24, 4, 8);
	put_str(&b, 28, "libz.so");
	put_str(&b, 36, "/lib/libz.so");
	assert_int_equal(ldcache_parse(b.data, b.len, 1, &c, &err), 0);
	assert_string_equal(c.format, "ld.so-1.7.0");
	pos = 0;
	assert_string_equal(ldcache_find(&c, "libz.so", &pos)->path,
			    "/lib/libz.so");
	ldcache_release(&c);
	free(b.data);
}

enum cache_damage {
	D_MAGIC,
	D_COUNT,       /* nlibs past what the file holds */
	D_KEY,         /* a key offset past the end */
	D_UNTERMINATED,
	D_HEADER,      /* cut inside the header */
	D_ENDIAN,
};

static void test_cache_hostile(void **state)
{
	static const struct {
		enum cache_damage d;
		const char *error;
	} cases[] = {
	    {D_MAGIC, "bad magic"},
	    {D_COUNT, "do not fit"},
	    {D_KEY, "past the end of the cache"},
	    {D_UNTERMINATED, "no NUL"},
	    {D_HEADER, "truncated header"},
	    {D_ENDIAN, "byte order flag"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bytes b = {NULL, 0, 1};
		struct ldcache c;
		struct error err;
		size_t len;
		int r;

		error_init(&err);
		put(&b, 48, 1, 0);
		build_new(&b, 0, ents, 1);
		len = b.len;
		if (cases[i].d == D_MAGIC)
			b.data[0] = 'x';
		if (cases[i].d == D_COUNT)
			put(&b, 20, 4, 0xffffffff);
		if (cases[i].d == D_KEY)
			put(&b, 48 + 4, 4, 0x7fffffff);
		if (cases[i].d == D_UNTERMINATED)
			len--;   /* drop the last NUL */
		if (cases[i].d == D_HEADER)
			len = 30;
		if (cases[i].d == D_ENDIAN)
			b.data[28] = 7;
		r = ldcache_parse(b.data, len, 1, &c, &err);
		if (r != -1 || !strstr(err.message, cases[i].error))
			fail_msg("case %zu: expected '%s', got %d '%s'", i,
				 cases[i].error, r, err.message);
		assert_null(c.entries);
		free(b.data);
	}
}

/* The system's own cache, where it has one, lists its libc. */
static void test_cache_of_this_system(void **state)
{
	FILE *fp = fopen("/etc/ld.so.cache", "rb");
	unsigned char *data;
	size_t len, pos = 0;
	struct ldcache c;
	struct error err;

	(void)state;
	if (!fp)
		skip();
	data = xmalloc(LDCACHE_SIZE_MAX);
	len = fread(data, 1, LDCACHE_SIZE_MAX, fp);
	fclose(fp);
	error_init(&err);
	if (ldcache_parse(data, len, 1, &c, &err) < 0)
		fail_msg("/etc/ld.so.cache: %s", err.message);
	assert_non_null(ldcache_find(&c, "libc.so.6", &pos));
	ldcache_release(&c);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_phdrs_both_classes_and_orders),
	    cmocka_unit_test(test_phdrs_hostile),
	    cmocka_unit_test(test_dynamic_both_classes_and_orders),
	    cmocka_unit_test(test_dynamic_hostile),
	    cmocka_unit_test(test_dynamic_entry_limit),
	    cmocka_unit_test(test_vaddr_offset),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_cache_new_both_orders),
	    cmocka_unit_test(test_cache_old_formats),
	    cmocka_unit_test(test_cache_hostile),
	    cmocka_unit_test(test_cache_of_this_system),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
