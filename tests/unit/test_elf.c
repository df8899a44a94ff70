/* Unit tests for ELF header parsing, on headers built here in both classes
   and byte orders, and on the system's own binaries. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "preflight/elf.h"
#include "preflight/error.h"

/* Every built file is this long, so that messages can name its size. */
#define IMAGE_SIZE 1024
/* The PT_INTERP string of a built file lies here, after the phdrs. */
#define INTERP_AT 512

#define LD_X86_64 "/lib64/ld-linux-x86-64.so.2"
#define LD_S390X "/lib/ld64.so.1"
#define LD_ARMHF "/lib/ld-linux-armhf.so.3"
#define LD_PPC "/lib/ld.so.1"

/* Program header types (ELF gABI), and the GNU stack marker. */
enum { PT_LOAD_ = 1, PT_INTERP_ = 3, PT_PHDR_ = 6 };
#define PT_GNU_STACK_ 0x6474e551u

/* A field the case changes after building a well-formed file. */
enum field {
	F_NONE,
	F_MAGIC,
	F_CLASS,
	F_DATA,
	F_VERSION,
	F_EHSIZE,
	F_PHENTSIZE,
	F_PHNUM,
	F_PHOFF,
	F_INTERP_NUL,	 /* the byte after the interpreter string */
	F_INTERP_OFFSET, /* p_offset of PT_INTERP */
	F_INTERP_SIZE,	 /* p_filesz of PT_INTERP */
};

struct elf_case {
	const char *name;
	int cls; /* 1 ELFCLASS32, 2 ELFCLASS64 */
	int enc; /* 1 LSB, 2 MSB */
	uint16_t machine;
	const char *interp; /* NULL: a static binary */
	uint64_t align[2];  /* of its two PT_LOAD segments */
	enum field field;
	uint64_t value;
	size_t len;	    /* bytes given; 0 for IMAGE_SIZE */
	uint64_t file_size; /* 0 for IMAGE_SIZE */
	const char *error;  /* NULL when the parse succeeds */
	/* Expected after success. */
	bool has_interp;
	bool interp_unread;
	bool phdrs_unread;
	int load_count;
	/* elf_info.head_wanted, when not 0: the bytes holding the header,
	   program headers and PT_INTERP, even past those given */
	uint64_t head_wanted;
};

/* Field offsets by class, written independently of the module. */
struct layout {
	size_t ehsize, phentsize, word;
	size_t e_phoff, e_ehsize, e_phentsize, e_phnum;
	size_t p_offset, p_filesz, p_align;
};

static const struct layout layout32 = {52, 32, 4, 28, 40, 42, 44, 4, 16, 28};
static const struct layout layout64 = {64, 56, 8, 32, 52, 54, 56, 8, 32, 48};

struct image {
	unsigned char store[IMAGE_SIZE + 1];
	unsigned char *data; /* store + 1: never aligned for the parser */
	const struct layout *l;
	int enc;
	size_t interp_phdr; /* offset of the PT_INTERP header, 0 if none */
};

static void put(struct image *img, size_t at, size_t width, uint64_t v)
{
	size_t i;

	for (i = 0; i < width; i++) {
		size_t k = img->enc == 2 ? width - 1 - i : i;

		img->data[at + k] = (unsigned char)(v >> (8 * i));
	}
}

static size_t put_phdr(struct image *img, size_t at, uint32_t type,
		       uint64_t offset, uint64_t size, uint64_t align)
{
	const struct layout *l = img->l;

	put(img, at, 4, type);
	put(img, at + l->p_offset, l->word, offset);
	put(img, at + l->p_filesz, l->word, size);
	put(img, at + l->p_align, l->word, align);
	return at + l->phentsize;
}

/* A well-formed executable: PT_PHDR, [PT_INTERP], 2 PT_LOAD, stack. */
static void build(struct image *img, const struct elf_case *c)
{
	const struct layout *l = c->cls == 2 ? &layout64 : &layout32;
	size_t at;

	memset(img, 0, sizeof(*img));
	img->data = img->store + 1;
	img->l = l;
	img->enc = c->enc;
	memcpy(img->data,
	       "\x7f"
	       "ELF",
	       4);
	img->data[4] = (unsigned char)c->cls;
	img->data[5] = (unsigned char)c->enc;
	img->data[6] = 1;
	put(img, 16, 2, 2); /* e_type ET_EXEC */
	put(img, 18, 2, c->machine);
	put(img, 20, 4, 1); /* e_version */
	put(img, 24, l->word, 0x401000);
	put(img, l->e_phoff, l->word, l->ehsize);
	put(img, l->e_ehsize, 2, l->ehsize);
	put(img, l->e_phentsize, 2, l->phentsize);
	put(img, l->e_phnum, 2, c->interp ? 5 : 4);
	at = put_phdr(img, l->ehsize, PT_PHDR_, l->ehsize, 5 * l->phentsize, 8);
	if (c->interp) {
		img->interp_phdr = at;
		at = put_phdr(img, at, PT_INTERP_, INTERP_AT,
			      strlen(c->interp) + 1, 1);
		memcpy(img->data + INTERP_AT, c->interp, strlen(c->interp));
	}
	at = put_phdr(img, at, PT_LOAD_, 0, IMAGE_SIZE, c->align[0]);
	at = put_phdr(img, at, PT_LOAD_, 0, 0, c->align[1]);
	put_phdr(img, at, PT_GNU_STACK_, 0, 0, 16);
}

static void change(struct image *img, enum field field, uint64_t v)
{
	const struct layout *l = img->l;
	size_t interp = img->interp_phdr;

	switch (field) {
	case F_NONE:
		break;
	case F_MAGIC:
		img->data[1] = (unsigned char)v;
		break;
	case F_CLASS:
	case F_DATA:
	case F_VERSION:
		img->data[4 + field - F_CLASS] = (unsigned char)v;
		break;
	case F_EHSIZE:
		put(img, l->e_ehsize, 2, v);
		break;
	case F_PHENTSIZE:
		put(img, l->e_phentsize, 2, v);
		break;
	case F_PHNUM:
		put(img, l->e_phnum, 2, v);
		break;
	case F_PHOFF:
		put(img, l->e_phoff, l->word, v);
		break;
	case F_INTERP_NUL:
		img->data[INTERP_AT + strlen((char *)img->data + INTERP_AT)] =
		    (unsigned char)v;
		break;
	case F_INTERP_OFFSET:
		put(img, interp + l->p_offset, l->word, v);
		break;
	case F_INTERP_SIZE:
		put(img, interp + l->p_filesz, l->word, v);
		break;
	}
}

#define A4K 0x1000
#define A64K 0x10000

static const struct elf_case cases[] = {
    {.name = "ELF64 LSB x86-64",
     .cls = 2,
     .enc = 1,
     .machine = 62,
     .interp = LD_X86_64,
     .align = {A4K, A64K},
     .has_interp = true,
     .load_count = 2},
    {.name = "ELF64 MSB s390x",
     .cls = 2,
     .enc = 2,
     .machine = 22,
     .interp = LD_S390X,
     .align = {A64K, A4K},
     .has_interp = true,
     .load_count = 2},
    {.name = "ELF64 MSB ppc64",
     .cls = 2,
     .enc = 2,
     .machine = 21,
     .align = {A64K, A64K},
     .load_count = 2},
    {.name = "ELF64 LSB aarch64 static",
     .cls = 2,
     .enc = 1,
     .machine = 183,
     .align = {A64K, A64K},
     .load_count = 2},
    {.name = "ELF32 LSB arm",
     .cls = 1,
     .enc = 1,
     .machine = 40,
     .interp = LD_ARMHF,
     .align = {A4K, A64K},
     .has_interp = true,
     .load_count = 2},
    {.name = "ELF32 MSB ppc",
     .cls = 1,
     .enc = 2,
     .machine = 20,
     .interp = LD_PPC,
     .align = {A64K, A4K},
     .has_interp = true,
     .load_count = 2},
    {.name = "ELF32 MSB mips, phdrs beyond the bytes given",
     .cls = 1,
     .enc = 2,
     .machine = 8,
     .interp = LD_PPC,
     .align = {A4K, A4K},
     .len = 52,
     .phdrs_unread = true,
     .head_wanted = 52 + 5 * 32},
    {.name = "ELF64 LSB, interp beyond the bytes given",
     .cls = 2,
     .enc = 1,
     .machine = 62,
     .interp = LD_X86_64,
     .align = {A4K, A4K},
     .len = INTERP_AT,
     .has_interp = true,
     .interp_unread = true,
     .load_count = 2,
     .head_wanted = INTERP_AT + sizeof(LD_X86_64)},
    {.name = "ELF64 LSB, phdrs cut in the middle",
     .cls = 2,
     .enc = 1,
     .machine = 62,
     .interp = LD_X86_64,
     .align = {A4K, A4K},
     .len = 64 + 3 * 56 + 10,
     .has_interp = true,
     .interp_unread = true,
     .phdrs_unread = true,
     .load_count = 1,
     .head_wanted = INTERP_AT + sizeof(LD_X86_64)},
    {.name = "object file without phdrs",
     .cls = 2,
     .enc = 1,
     .machine = 243,
     .align = {A4K, A4K},
     .field = F_PHNUM,
     .value = 0},
    {.name = "a full phdr table, most beyond the bytes given",
     .cls = 2,
     .enc = 1,
     .machine = 62,
     .align = {A4K, A64K},
     .field = F_PHNUM,
     .value = ELF_PHDR_TABLE_MAX / 56,
     .file_size = 1 << 20,
     .phdrs_unread = true,
     .load_count = 2},
    {.name = "bad magic",
     .cls = 2,
     .enc = 1,
     .field = F_MAGIC,
     .value = 'e',
     .error = "not an ELF file (bad magic bytes)"},
    {.name = "truncated ident",
     .cls = 2,
     .enc = 1,
     .len = 10,
     .error = "truncated ELF header: 10 bytes, need 16"},
    {.name = "truncated ELF64 header",
     .cls = 2,
     .enc = 2,
     .len = 40,
     .error = "truncated ELF header: 40 bytes, need 64"},
    {.name = "truncated ELF32 header",
     .cls = 1,
     .enc = 1,
     .len = 51,
     .error = "truncated ELF header: 51 bytes, need 52"},
    {.name = "bad class",
     .cls = 2,
     .enc = 1,
     .field = F_CLASS,
     .value = 3,
     .error = "bad ELF class 3 (EI_CLASS), expected 1 or 2"},
    {.name = "class none",
     .cls = 1,
     .enc = 1,
     .field = F_CLASS,
     .value = 0,
     .error = "bad ELF class 0 (EI_CLASS), expected 1 or 2"},
    {.name = "bad byte order",
     .cls = 2,
     .enc = 1,
     .field = F_DATA,
     .value = 0,
     .error = "bad ELF byte order 0 (EI_DATA), expected 1 or 2"},
    {.name = "bad version",
     .cls = 2,
     .enc = 2,
     .field = F_VERSION,
     .value = 0,
     .error = "bad ELF version 0 (EI_VERSION), expected 1"},
    {.name = "future version",
     .cls = 1,
     .enc = 1,
     .field = F_VERSION,
     .value = 2,
     .error = "bad ELF version 2 (EI_VERSION), expected 1"},
    {.name = "ELF64 with ELF32 header size",
     .cls = 2,
     .enc = 2,
     .field = F_EHSIZE,
     .value = 52,
     .error = "bad ELF header size 52 "
	      "(e_ehsize), expected 64 for ELF64"},
    {.name = "ELF64 with ELF32 phdr size",
     .cls = 2,
     .enc = 1,
     .field = F_PHENTSIZE,
     .value = 32,
     .error = "bad program header "
	      "size 32 (e_phentsize), expected 56 for ELF64"},
    {.name = "ELF32 with ELF64 phdr size",
     .cls = 1,
     .enc = 2,
     .field = F_PHENTSIZE,
     .value = 56,
     .error = "bad program header "
	      "size 56 (e_phentsize), expected 32 for ELF32"},
    {.name = "phdr table over ELF_PHDR_TABLE_MAX",
     .cls = 2,
     .enc = 1,
     .field = F_PHNUM,
     .value = ELF_PHDR_TABLE_MAX / 56 + 1,
     .file_size = 1 << 20,
     .error = "1171 program headers (e_phnum) take 65576 bytes, "
	      "more than 65536 (ELF_PHDR_TABLE_MAX)"},
    {.name = "phnum PN_XNUM",
     .cls = 1,
     .enc = 2,
     .field = F_PHNUM,
     .value = 0xffff,
     .error = "65535 program headers (e_phnum) take 2097120 bytes, "
	      "more than 65536 (ELF_PHDR_TABLE_MAX)"},
    {.name = "phdrs past end of file",
     .cls = 2,
     .enc = 1,
     .field = F_PHOFF,
     .value = 1000,
     .error = "program headers past end "
	      "of file: 4 at offset 1000, file size 1024"},
    {.name = "phoff that would overflow",
     .cls = 2,
     .enc = 2,
     .field = F_PHOFF,
     .value = UINT64_MAX - 8,
     .error =
	 "program "
	 "headers past end of file: 4 at offset 18446744073709551607, file "
	 "size 1024"},
    {.name = "ELF32 phdrs past end of file",
     .cls = 1,
     .enc = 1,
     .interp = LD_ARMHF,
     .field = F_PHOFF,
     .value = 900,
     .error = "program headers past end of file: 5 at offset 900, file "
	      "size 1024"},
    {.name = "interp not NUL-terminated",
     .cls = 2,
     .enc = 1,
     .machine = 62,
     .interp = LD_X86_64,
     .field = F_INTERP_NUL,
     .value = 'X',
     .error = "interpreter path not NUL-terminated "
	      "(PT_INTERP)"},
    {.name = "interp over ELF_INTERP_MAX",
     .cls = 2,
     .enc = 2,
     .interp = LD_S390X,
     .field = F_INTERP_SIZE,
     .value = 5000,
     .file_size = 1 << 20,
     .error = "interpreter path of 5000 bytes "
	      "(PT_INTERP), expected 2 to 4096 (ELF_INTERP_MAX)"},
    {.name = "interp of one byte",
     .cls = 1,
     .enc = 1,
     .interp = LD_ARMHF,
     .field = F_INTERP_SIZE,
     .value = 1,
     .error = "interpreter path of 1 bytes (PT_INTERP), expected 2 to "
	      "4096 (ELF_INTERP_MAX)"},
    {.name = "interp past end of file",
     .cls = 1,
     .enc = 2,
     .interp = LD_PPC,
     .field = F_INTERP_OFFSET,
     .value = 1020,
     .error = "interpreter path past end of file: 13 bytes at offset "
	      "1020, file size 1024"},
    {.name = "interp offset that would overflow",
     .cls = 2,
     .enc = 1,
     .interp = LD_X86_64,
     .field = F_INTERP_OFFSET,
     .value = UINT64_MAX - 4,
     .error = "interpreter path past end of "
	      "file: 28 bytes at offset 18446744073709551611, file size 1024"},
};

static void check_success(const struct elf_case *c, const struct elf_info *info)
{
	uint64_t lo = c->align[0] < c->align[1] ? c->align[0] : c->align[1];
	uint64_t hi = c->align[0] < c->align[1] ? c->align[1] : c->align[0];

	if (info->elf_class != c->cls || info->elf_data != c->enc ||
	    info->machine != c->machine || info->type != 2 ||
	    info->entry != 0x401000)
		fail_msg("%s: class/data/machine/type/entry expected "
			 "%d/%d/%u/2/0x401000, found %d/%d/%u/%u/0x%llx",
			 c->name, c->cls, c->enc, c->machine, info->elf_class,
			 info->elf_data, info->machine, info->type,
			 (unsigned long long)info->entry);
	if (info->has_interp != c->has_interp ||
	    info->interp_unread != c->interp_unread ||
	    info->phdrs_unread != c->phdrs_unread)
		fail_msg("%s: has_interp/interp_unread/phdrs_unread expected "
			 "%d/%d/%d, found %d/%d/%d",
			 c->name, c->has_interp, c->interp_unread,
			 c->phdrs_unread, info->has_interp, info->interp_unread,
			 info->phdrs_unread);
	if (c->has_interp && !c->interp_unread &&
	    strcmp(info->interp, c->interp))
		fail_msg("%s: interp expected '%s', found '%s'", c->name,
			 c->interp, info->interp);
	if ((!c->has_interp || c->interp_unread) && info->interp[0])
		fail_msg("%s: interp expected empty, found '%s'", c->name,
			 info->interp);
	if (c->head_wanted && info->head_wanted != c->head_wanted)
		fail_msg("%s: head_wanted expected %llu, found %llu", c->name,
			 (unsigned long long)c->head_wanted,
			 (unsigned long long)info->head_wanted);
	if (info->load_count != c->load_count)
		fail_msg("%s: load_count expected %d, found %d", c->name,
			 c->load_count, info->load_count);
	if (c->load_count == 2 &&
	    (info->load_align_min != lo || info->load_align_max != hi))
		fail_msg("%s: load align expected %#llx..%#llx, found "
			 "%#llx..%#llx",
			 c->name, (unsigned long long)lo,
			 (unsigned long long)hi,
			 (unsigned long long)info->load_align_min,
			 (unsigned long long)info->load_align_max);
}

static void run_case(const struct elf_case *c)
{
	struct image img;
	struct elf_info info;
	struct error err;
	int ret;

	build(&img, c);
	change(&img, c->field, c->value);
	error_init(&err);
	ret = elf_parse(img.data, c->len ? c->len : IMAGE_SIZE,
			c->file_size ? c->file_size : IMAGE_SIZE, &info, &err);
	if (c->error) {
		if (ret != -1)
			fail_msg("%s: expected error '%s', found success",
				 c->name, c->error);
		if (strcmp(err.message, c->error) ||
		    err.category != ERROR_FORMAT)
			fail_msg("%s: expected format error '%s', found %s "
				 "error '%s'",
				 c->name, c->error,
				 error_category_name(err.category),
				 err.message);
		return;
	}
	if (ret != 0)
		fail_msg("%s: expected success, found '%s'", c->name,
			 err.message);
	check_success(c, &info);
}

static void test_built_headers(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void test_is_elf(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		bool want;
	} rows[] = {
	    {"\x7f"
	     "ELF",
	     4, true},
	    {"\x7f"
	     "ELF\x02\x01",
	     6, true},
	    {"\x7f"
	     "EL",
	     3, false},
	    {"\x7f"
	     "elf",
	     4, false},
	    {"#!/bin/sh\n", 10, false},
	    {"", 0, false},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool got = elf_is_elf((const unsigned char *)rows[i].data,
				      rows[i].len);

		if (got != rows[i].want)
			fail_msg("row %zu: elf_is_elf expected %d, found %d", i,
				 rows[i].want, got);
	}
	if (elf_is_elf(NULL, 0))
		fail_msg("elf_is_elf(NULL, 0) expected false, found true");
}

static void test_empty_input(void **state)
{
	struct elf_info info;
	struct error err;

	error_init(&err);
	assert_int_equal(elf_parse(NULL, 0, 0, &info, &err), -1);
	assert_string_equal(err.message, "not an ELF file (bad magic bytes)");
	assert_int_equal(elf_parse((const unsigned char *)"\x7f"
							  "E",
				   2, 2, &info, &err),
			 -1);
	assert_string_equal(err.message,
			    "truncated ELF header: 2 bytes, need 16");
}

static void test_names(void **state)
{
	static const struct {
		uint16_t machine;
		const char *name;
	} rows[] = {
	    {3, "Intel 80386"}, {8, "MIPS"},	  {20, "PowerPC"},
	    {21, "PowerPC64"},	{22, "S/390"},	  {40, "ARM"},
	    {62, "x86-64"},	{183, "AArch64"}, {243, "RISC-V"},
	    {258, "LoongArch"}, {0, "unknown"},	  {9999, "unknown"},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(elf_machine_name(rows[i].machine), rows[i].name))
			fail_msg("machine %u: expected '%s', found '%s'",
				 rows[i].machine, rows[i].name,
				 elf_machine_name(rows[i].machine));
	assert_string_equal(elf_class_name(1), "ELF32");
	assert_string_equal(elf_class_name(2), "ELF64");
	assert_string_equal(elf_class_name(7), "unknown");
	assert_string_equal(elf_data_name(1), "little-endian");
	assert_string_equal(elf_data_name(2), "big-endian");
	assert_string_equal(elf_data_name(0), "unknown");
}

/* The first bytes of a file, as a layer walk would hand them over. */
static int read_head(const char *path, unsigned char *buf, size_t size,
		     size_t *len, uint64_t *file_size)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (n = read(fd, buf, size)) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	*len = (size_t)n;
	*file_size = (uint64_t)st.st_size;
	return 0;
}

/* This host runs its own binaries: their class and order are the host's. */
static void check_system_binary(const char *path, int *seen)
{
	static unsigned char buf[65536];
	const uint16_t one = 1;
	int host_data = *(const unsigned char *)&one ? 1 : 2;
	int host_class = sizeof(void *) == 8 ? 2 : 1;
	struct elf_info info;
	struct error err;
	uint64_t file_size;
	size_t len;

	if (read_head(path, buf, sizeof(buf), &len, &file_size) ||
	    !elf_is_elf(buf, len))
		return;
	(*seen)++;
	error_init(&err);
	if (elf_parse(buf, len, file_size, &info, &err))
		fail_msg("%s: expected success, found '%s'", path, err.message);
	if (info.elf_class != host_class || info.elf_data != host_data)
		fail_msg("%s: class/data expected %d/%d, found %d/%d", path,
			 host_class, host_data, info.elf_class, info.elf_data);
	if (!strcmp(elf_machine_name(info.machine), "unknown"))
		fail_msg("%s: machine %u has no name", path, info.machine);
	if (info.load_count < 1 || info.phdrs_unread)
		fail_msg("%s: load_count %d, phdrs_unread %d", path,
			 info.load_count, info.phdrs_unread);
	if (info.has_interp && !info.interp_unread && info.interp[0] != '/')
		fail_msg("%s: interp expected an absolute path, found '%s'",
			 path, info.interp);
}

static void test_system_binaries(void **state)
{
	static const char *const paths[] = {
	    "/bin/true",    "/usr/bin/true",  "/bin/sh",
	    "/usr/bin/env", "/sbin/ldconfig",
	};
	int seen = 0;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		check_system_binary(paths[i], &seen);
	if (seen == 0)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_built_headers),
	    cmocka_unit_test(test_is_elf),
	    cmocka_unit_test(test_empty_input),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_system_binaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
