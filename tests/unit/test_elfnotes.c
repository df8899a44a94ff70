/* Unit tests for the parts of elf.c read past the header: GNU property
   notes, section headers and ARM build attributes, well-formed and
   hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/elf.h"
#include "preflight/error.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes assembled for a case, in either byte order. */
struct bytes {
	unsigned char d[512];
	size_t n;
	bool big;
};

static void put(struct bytes *b, uint64_t v, size_t width)
{
	size_t i;

	for (i = 0; i < width; i++)
		b->d[b->n + i] = (unsigned char)(v >> (8 * (b->big ?
						     width - 1 - i : i)));
	b->n += width;
}

static void put_zero(struct bytes *b, size_t len)
{
	memset(b->d + b->n, 0, len);
	b->n += len;
}

static void put_raw(struct bytes *b, const void *p, size_t len)
{
	memcpy(b->d + b->n, p, len);
	b->n += len;
}

static void pad_to(struct bytes *b, size_t align)
{
	while (b->n % align)
		b->d[b->n++] = 0;
}

/* One note of name "GNU" holding one property of 4 data bytes. */
static void gnu_note(struct bytes *b, size_t align, uint32_t note_type,
		     uint32_t pr_type, uint32_t value)
{
	size_t datasz = 4, desc = 8 + ((datasz + align - 1) & ~(align - 1));

	put(b, 4, 4);
	put(b, desc, 4);
	put(b, note_type, 4);
	put_raw(b, "GNU", 4);
	pad_to(b, align);
	put(b, pr_type, 4);
	put(b, datasz, 4);
	put(b, value, 4);
	pad_to(b, align);
}

#define NT_GNU_PROPERTY 5
#define ISA_NEEDED 0xc0008002u
#define ISA_USED 0xc0010002u

static void test_isa_needed_found(void **state)
{
	static const struct {
		int cls, data;
		size_t align;
		uint32_t bits;
		int level;
	} cases[] = {
		{ 2, 1, 8, 0x1, 1 }, { 2, 1, 8, 0x3, 2 }, { 2, 1, 8, 0x7, 3 },
		{ 2, 1, 8, 0xf, 4 }, { 2, 2, 8, 0x4, 3 }, { 1, 1, 4, 0x2, 2 },
		{ 1, 2, 4, 0x8, 4 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		struct bytes b = { .big = cases[i].data == 2 };
		struct error err;
		uint32_t needed = 0;
		int ret;

		error_init(&err);
		/* a build-id note first, then the property note */
		put(&b, 4, 4);
		put(&b, 4, 4);
		put(&b, 3, 4);
		put_raw(&b, "GNU\0\x01\x02\x03\x04", 8);
		pad_to(&b, cases[i].align);
		gnu_note(&b, cases[i].align, NT_GNU_PROPERTY, ISA_USED, 0xf);
		gnu_note(&b, cases[i].align, NT_GNU_PROPERTY, ISA_NEEDED,
			 cases[i].bits);
		ret = elf_x86_isa_needed(b.d, b.n, cases[i].cls, cases[i].data,
					 cases[i].align, &needed, &err);
		if (ret != 1 || needed != cases[i].bits ||
		    elf_x86_isa_level(needed) != cases[i].level)
			fail_msg("case %zu: expected 1, bits 0x%x, level %d; "
				 "got %d, 0x%x (%s)", i, cases[i].bits,
				 cases[i].level, ret, needed, err.message);
	}
}

static void test_isa_needed_absent(void **state)
{
	struct bytes b = { 0 };
	struct error err;
	uint32_t needed = 1;

	(void)state;
	error_init(&err);
	/* only ISA_1_USED */
	gnu_note(&b, 8, NT_GNU_PROPERTY, ISA_USED, 0x7);
	assert_int_equal(elf_x86_isa_needed(b.d, b.n, 2, 1, 8, &needed, &err),
			 0);
	assert_int_equal(needed, 0);
	/* the property in a note of another type */
	b.n = 0;
	gnu_note(&b, 8, 1, ISA_NEEDED, 0x7);
	assert_int_equal(elf_x86_isa_needed(b.d, b.n, 2, 1, 8, &needed, &err),
			 0);
	/* an ELF64 property note in a 4-aligned segment: glibc ignores it */
	b.n = 0;
	gnu_note(&b, 4, NT_GNU_PROPERTY, ISA_NEEDED, 0x7);
	assert_int_equal(elf_x86_isa_needed(b.d, b.n, 2, 1, 4, &needed, &err),
			 0);
	/* nothing at all, and less than a note header */
	assert_int_equal(elf_x86_isa_needed(b.d, 0, 2, 1, 8, &needed, &err),
			 0);
	assert_int_equal(elf_x86_isa_needed(b.d, 11, 2, 1, 8, &needed, &err),
			 0);
	assert_int_equal(elf_x86_isa_level(0), 0);
}

/* Lengths that point past the data: an error, never a read past it. */
static void test_isa_needed_hostile(void **state)
{
	static const struct {
		uint32_t namesz, descsz, datasz;
		const char *expect;
	} cases[] = {
		{ 0xffffffffu, 16, 4, "past the end of its segment" },
		{ 4, 0xfffffff0u, 4, "past the end of its segment" },
		{ 4, 64, 4, "past the end of its segment" },
		{ 4, 16, 0xfffffff8u, "past the end of its note" },
		{ 4, 16, 12, "past the end of its note" },
		{ 4, 4, 4, "property header past the end" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		struct bytes b = { 0 };
		struct error err;
		uint32_t needed;
		int ret;

		error_init(&err);
		put(&b, cases[i].namesz, 4);
		put(&b, cases[i].descsz, 4);
		put(&b, NT_GNU_PROPERTY, 4);
		put_raw(&b, "GNU", 4);
		put(&b, ISA_NEEDED, 4);
		put(&b, cases[i].datasz, 4);
		put(&b, 0x7, 4);
		pad_to(&b, 8);
		ret = elf_x86_isa_needed(b.d, b.n, 2, 1, 8, &needed, &err);
		if (ret != -1 || !strstr(err.message, cases[i].expect))
			fail_msg("case %zu: expected -1 and '%s', got %d '%s'",
				 i, cases[i].expect, ret, err.message);
	}
}

static void test_section_find(void **state)
{
	struct elf_info e = { .elf_class = 1, .elf_data = 1, .shentsize = 40,
			      .shnum = 3 };
	struct bytes b = { 0 };
	uint64_t off = 0, size = 0;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		put(&b, 0, 4);
		put(&b, i == 2 ? ELF_SHT_ARM_ATTRIBUTES : (uint32_t)i, 4);
		put_zero(&b, 8);
		put(&b, 0x1000 + (uint64_t)i, 4);
		put(&b, 0x30 + (uint64_t)i, 4);
		put_zero(&b, 16);
	}
	assert_int_equal(elf_section_find(b.d, b.n, &e,
					  ELF_SHT_ARM_ATTRIBUTES, &off, &size),
			 1);
	assert_int_equal(off, 0x1002);
	assert_int_equal(size, 0x32);
	/* more sections claimed than bytes given: not found, no overread */
	e.shnum = 9;
	assert_int_equal(elf_section_find(b.d, 80, &e, ELF_SHT_ARM_ATTRIBUTES,
					  &off, &size),
			 0);
	/* an entry size that is not the class's */
	e.shnum = 3;
	e.shentsize = 64;
	assert_int_equal(elf_section_find(b.d, b.n, &e,
					  ELF_SHT_ARM_ATTRIBUTES, &off, &size),
			 0);
}

/* "A", then one "aeabi" subsection with one Tag_File block. */
static size_t arm_attrs(unsigned char *out, const unsigned char *attrs,
			size_t len)
{
	struct bytes b = { 0 };
	size_t sub = 4 + 6 + 1 + 4 + len;

	put_raw(&b, "A", 1);
	put(&b, sub, 4);
	put_raw(&b, "aeabi", 6);
	put(&b, 1, 1);
	put(&b, 1 + 4 + len, 4);
	put_raw(&b, attrs, len);
	memcpy(out, b.d, b.n);
	return b.n;
}

static void test_arm_attributes(void **state)
{
	/* Tag_CPU_name "7-A", Tag_CPU_arch v7, profile 'A', FP_arch,
	   Tag_ABI_VFP_args VFP, Tag_compatibility 0 "", an unknown even
	   tag with a 2-byte ULEB and an unknown odd one with a string */
	static const unsigned char v7hf[] = {
		5, '7', '-', 'A', 0, 6, 10, 7, 'A', 10, 3, 28, 1,
		32, 0, 0, 70, 0x81, 0x01, 71, 'x', 0,
	};
	unsigned char buf[128];
	struct elf_arm_attrs a;
	struct error err;
	size_t n;

	(void)state;
	error_init(&err);
	n = arm_attrs(buf, v7hf, sizeof(v7hf));
	assert_int_equal(elf_arm_attributes(buf, n, 1, &a, &err), 0);
	assert_int_equal(a.cpu_arch, 10);
	assert_int_equal(a.cpu_arch_profile, 'A');
	assert_int_equal(a.vfp_args, 1);
	/* another vendor's subsection is skipped */
	buf[5] = 'x';
	assert_int_equal(elf_arm_attributes(buf, n, 1, &a, &err), 0);
	assert_int_equal(a.cpu_arch, -1);
	assert_int_equal(a.vfp_args, -1);
}

static void test_arm_attributes_hostile(void **state)
{
	static const struct {
		const char *name;
		size_t at;          /* byte to overwrite (0: none) */
		unsigned char value;
		size_t cut;         /* bytes to drop from the end */
		const char *expect;
	} cases[] = {
		{ "format", 0, 'B', 0, "format version" },
		{ "subsection huge", 4, 0x7f, 0, "subsection in" },
		{ "subsection tiny", 1, 3, 0, "subsection in" },
		{ "block huge", 15, 0x7f, 0, "block in" },
		{ "block tiny", 12, 2, 0, "block in" },
		{ "vendor unterminated", 1, 8, 0, "vendor name" },
		{ "ULEB never ends", 17, 0xff, 0, "file attribute" },
		{ "string unterminated", 0, 0, 1, "file attribute" },
	};
	/* Tag_CPU_arch v7 (a 2-byte ULEB value), then a string tag */
	static const unsigned char attrs[] = { 6, 0x8a, 0x00, 5, 'x', 0 };
	unsigned char buf[64];
	struct elf_arm_attrs a;
	struct error err;
	size_t i, n;
	int ret;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		n = arm_attrs(buf, attrs, sizeof(attrs));
		if (cases[i].at || cases[i].value)
			buf[cases[i].at] = cases[i].value;
		if (cases[i].cut) {
			/* shrink the data and both lengths alike */
			n -= cases[i].cut;
			buf[1] = (unsigned char)(buf[1] - cases[i].cut);
			buf[12] = (unsigned char)(buf[12] - cases[i].cut);
		}
		if (!strcmp(cases[i].name, "ULEB never ends"))
			memset(buf + 16, 0xff, n - 16);
		error_init(&err);
		ret = elf_arm_attributes(buf, n, 1, &a, &err);
		if (ret != -1 || !strstr(err.message, cases[i].expect))
			fail_msg("%s: expected -1 and '%s', got %d '%s'",
				 cases[i].name, cases[i].expect, ret,
				 err.message);
	}
	/* nothing at all */
	error_init(&err);
	assert_int_equal(elf_arm_attributes(buf, 0, 1, &a, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_isa_needed_found),
	    cmocka_unit_test(test_isa_needed_absent),
	    cmocka_unit_test(test_isa_needed_hostile),
	    cmocka_unit_test(test_section_find),
	    cmocka_unit_test(test_arm_attributes),
	    cmocka_unit_test(test_arm_attributes_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
