/* Unit tests for platform/binfmt.c: binfmt_misc entries as the kernel
   prints them, and which ELF headers they claim. */
#include <ftw.h>
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

#include "platform/binfmt.h"
#include "preflight/buf.h"
#include "preflight/error.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define FILES_MAX 8
#define BM "proc/sys/fs/binfmt_misc/"

/*
 * Entries as /proc shows what Debian's qemu-user-static registers
 * (/usr/share/binfmts: fix_binary and preserve, so flags PF); the
 * kernel prints magic and mask as plain hex.
 */
#define QEMU_ENTRY(state, arch, magic, mask)                                  \
	state "\ninterpreter /usr/libexec/qemu-binfmt/" arch "-binfmt-P\n"    \
	      "flags: PF\noffset 0\nmagic " magic "\nmask " mask "\n"
#define AARCH64(state)                                                        \
	QEMU_ENTRY(state, "aarch64",                                          \
		   "7f454c460201010000000000000000000200b700",                \
		   "ffffffffffffff00fffffffffffffffffeffffff")
#define ARM(state)                                                            \
	QEMU_ENTRY(state, "arm", "7f454c4601010100000000000000000002002800", \
		   "ffffffffffffff00fffffffffffffffffeffffff")
#define S390X(state)                                                          \
	QEMU_ENTRY(state, "s390x",                                            \
		   "7f454c4602020100000000000000000000020016",                \
		   "fffffffffffffffcfffffffffffffffffffeffff")
#define PPC64LE(state)                                                        \
	QEMU_ENTRY(state, "ppc64le",                                          \
		   "7f454c4602010100000000000000000002001500",                \
		   "fffffffffffffffcfffffffffffffffffeffff00")
#define RISCV64(state)                                                        \
	QEMU_ENTRY(state, "riscv64",                                          \
		   "7f454c460201010000000000000000000200f300",                \
		   "ffffffffffffff00fffffffffffffffffeffffff")
#define MIPS(state)                                                           \
	QEMU_ENTRY(state, "mips",                                             \
		   "7f454c4601020100000000000000000000020008"                 \
		   "0000000000000000000000000000000000000000",                \
		   "ffffffffffffff00fefffffffffffffffffeffff"                 \
		   "0000000000000000000000000000000000000020")
/* An extension entry, as for Java archives. */
#define JAR "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n"

struct file {
	const char *path;   /* relative to the root */
	const char *text;
};

static void test_write(const char *root, const char *rel, const char *text,
		       size_t len)
{
	char *path = xasprintf("%s/%s", root, rel);
	FILE *fp;

	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	free(path);
}

static int test_rm(const char *p, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static char *test_root(const struct file *files, size_t n)
{
	char *root = xstrdup("/tmp/test_binfmt.XXXXXX");

	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < n && files[i].path; i++)
		test_write(root, files[i].path, files[i].text,
			   strlen(files[i].text));
	return root;
}

static void test_root_free(char *root)
{
	nftw(root, test_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

/* A node with qemu-user-static's entries, one of them turned off. */
static const struct file node_files[] = {
	{BM "register", ""},
	{BM "status", "enabled\n"},
	{BM "qemu-aarch64", AARCH64("enabled")},
	{BM "qemu-arm", ARM("enabled")},
	{BM "qemu-s390x", S390X("enabled")},
	{BM "qemu-ppc64le", PPC64LE("enabled")},
	{BM "qemu-riscv64", RISCV64("enabled")},
	{BM "qemu-mips", MIPS("disabled")},
	{BM "jar", JAR},
};

/* The first bytes of an ELF file: e_ident, e_type, e_machine. */
struct head {
	unsigned char cls, data, osabi;
	uint16_t type, machine;
};

static size_t test_head(const struct head *h, unsigned char *out,
			size_t size)
{
	bool be = h->data == 2;

	memset(out, 0, size);
	memcpy(out, "\x7f" "ELF", 4);
	out[4] = h->cls;
	out[5] = h->data;
	out[6] = 1;
	out[7] = h->osabi;
	out[16 + be] = (unsigned char)(h->type & 0xff);
	out[17 - be] = (unsigned char)(h->type >> 8);
	out[18 + be] = (unsigned char)(h->machine & 0xff);
	out[19 - be] = (unsigned char)(h->machine >> 8);
	return size;
}

struct match_case {
	const char *name;
	struct head head;
	size_t len;             /* bytes of the head given; 0: all 64 */
	const char *expected;   /* the entry's name, NULL: none */
};

static const struct match_case match_cases[] = {
	{"aarch64 executable", {2, 1, 0, 2, 183}, 0, "qemu-aarch64"},
	{"aarch64 position-independent", {2, 1, 0, 3, 183}, 0,
	 "qemu-aarch64"},
	{"aarch64 with OSABI GNU (masked out)", {2, 1, 3, 2, 183}, 0,
	 "qemu-aarch64"},
	{"aarch64 relocatable object", {2, 1, 0, 1, 183}, 0, NULL},
	{"aarch64 head of 19 bytes", {2, 1, 0, 2, 183}, 19, NULL},
	{"aarch64 head of 20 bytes", {2, 1, 0, 2, 183}, 20, "qemu-aarch64"},
	{"arm 32-bit", {1, 1, 0, 2, 40}, 0, "qemu-arm"},
	{"arm in a 64-bit file", {2, 1, 0, 2, 40}, 0, NULL},
	{"s390x big-endian", {2, 2, 0, 2, 22}, 0, "qemu-s390x"},
	{"s390x machine in little-endian", {2, 1, 0, 2, 22}, 0, NULL},
	{"ppc64le", {2, 1, 0, 3, 21}, 0, "qemu-ppc64le"},
	{"riscv64", {2, 1, 0, 2, 243}, 0, "qemu-riscv64"},
	{"x86-64: native, no entry", {2, 1, 0, 2, 62}, 0, NULL},
	{"mips: its entry is disabled", {1, 2, 0, 2, 8}, 0, NULL},
};

static void test_match(void **state)
{
	char *root = test_root(node_files, COUNT(node_files));
	unsigned char head[64];
	struct binfmt_list l;
	struct error err;

	(void)state;
	error_init(&err);
	if (binfmt_load(root, &l, &err) < 0)
		fail_msg("binfmt_load: %s", err.message);
	for (size_t i = 0; i < COUNT(match_cases); i++) {
		const struct match_case *c = &match_cases[i];
		size_t n = test_head(&c->head, head, sizeof(head));
		const struct binfmt_entry *e;

		e = binfmt_match(&l, head, c->len ? c->len : n);
		if ((e == NULL) != (c->expected == NULL) ||
		    (e && strcmp(e->name, c->expected)))
			fail_msg("%s:\nexpected: %s\ngot:      %s", c->name,
				 c->expected ? c->expected : "(none)",
				 e ? e->name : "(none)");
	}
	binfmt_list_release(&l);
	test_root_free(root);
}

/* What one entry became, field by field. */
static void test_fields(void **state)
{
	char *root = test_root(node_files, COUNT(node_files));
	const char *names[] = {"jar", "qemu-aarch64", "qemu-arm", "qemu-mips",
			       "qemu-ppc64le", "qemu-riscv64", "qemu-s390x"};
	struct binfmt_list l;
	struct error err;

	(void)state;
	error_init(&err);
	assert_int_equal(binfmt_load(root, &l, &err), 0);
	assert_true(l.mounted);
	assert_false(l.disabled);
	assert_int_equal(l.count, COUNT(names));
	for (size_t i = 0; i < l.count; i++)
		if (strcmp(l.items[i].name, names[i]))
			fail_msg("entry %zu:\nexpected: %s\ngot:      %s", i,
				 names[i], l.items[i].name);
	assert_true(l.items[0].extension);
	assert_string_equal(l.items[0].interpreter, "/usr/bin/jexec");
	assert_string_equal(l.items[0].flags, "");
	assert_string_equal(l.items[1].interpreter,
			    "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
	assert_string_equal(l.items[1].flags, "PF");
	assert_true(binfmt_entry_fixed(&l.items[1]));
	assert_false(binfmt_entry_fixed(&l.items[0]));
	assert_true(l.items[1].enabled);
	assert_false(l.items[3].enabled);
	assert_int_equal(l.items[3].magic_len, 40);
	assert_int_equal(l.items[1].mask[7], 0x00);
	assert_int_equal(l.items[1].magic[18], 0xb7);
	binfmt_list_release(&l);
	test_root_free(root);
}

/* "status" disabled: the kernel consults no entry; without a mask an
   entry compares every byte; "/" reads this machine; no directory:
   nothing is emulated. */
static void test_switches(void **state)
{
	const struct file off[] = {{BM "status", "disabled\n"},
				   {BM "qemu-aarch64", AARCH64("enabled")}};
	const struct file nomask[] = {
		{BM "a64", "enabled\ninterpreter /q\nflags: \noffset 0\n"
			   "magic 7f454c460201010000000000000000000200b700\n"}};
	const struct head a64 = {2, 1, 0, 2, 183}, gnu = {2, 1, 3, 2, 183};
	unsigned char head[64];
	struct binfmt_list l;
	struct error err;
	char *root;

	(void)state;
	error_init(&err);
	root = test_root(off, COUNT(off));
	assert_int_equal(binfmt_load(root, &l, &err), 0);
	assert_true(l.disabled);
	assert_int_equal(l.count, 1);
	test_head(&a64, head, sizeof(head));
	assert_null(binfmt_match(&l, head, sizeof(head)));
	binfmt_list_release(&l);
	test_root_free(root);

	root = test_root(nomask, COUNT(nomask));
	assert_int_equal(binfmt_load(root, &l, &err), 0);
	assert_non_null(binfmt_match(&l, head, sizeof(head)));
	test_head(&gnu, head, sizeof(head));
	assert_null(binfmt_match(&l, head, sizeof(head)));
	binfmt_list_release(&l);
	test_root_free(root);

	/* "/" is this machine: whatever it has registered reads */
	if (binfmt_load("/", &l, &err) < 0)
		fail_msg("binfmt_load(\"/\"): %s", err.message);
	binfmt_list_release(&l);

	root = test_root(NULL, 0);
	assert_int_equal(binfmt_load(root, &l, &err), 0);
	assert_false(l.mounted);
	assert_int_equal(l.count, 0);
	assert_null(binfmt_match(&l, head, sizeof(head)));
	assert_null(binfmt_match(NULL, head, sizeof(head)));
	binfmt_list_release(&l);
	test_root_free(root);
}

struct error_case {
	const char *name;
	struct file file;
	enum error_category category;
	const char *message;   /* after "'$ROOT/proc/sys/fs/binfmt_misc/" */
};

#define HEAD "enabled\ninterpreter /q\nflags: PF\noffset 0\n"
#define M20 "7f454c460201010000000000000000000200b700"
#define M40 M20 M20
#define M160 M40 M40 M40 M40

static const struct error_case error_cases[] = {
    {"first line not a state", {BM "e", "enabledx\n" M20},
     ERROR_FORMAT,
     "e' line 1: expected 'enabled' or 'disabled', found 'enabledx'"},
    {"empty file", {BM "e", ""}, ERROR_FORMAT,
     "e' line 1: expected 'enabled' or 'disabled', found ''"},
    {"odd magic", {BM "e", HEAD "magic 7f454\n"}, ERROR_FORMAT,
     "e' line 5: invalid hex in magic '7f454'"},
    {"empty magic", {BM "e", HEAD "magic \n"}, ERROR_FORMAT,
     "e' line 5: invalid hex in magic ''"},
    {"mask not hex", {BM "e", HEAD "magic 7f45\nmask zz\n"}, ERROR_FORMAT,
     "e' line 6: invalid hex in mask 'zz'"},
    {"magic of 129 bytes", {BM "e", HEAD "magic " M160 M160 M160 "00\n"},
     ERROR_LIMIT,
     "e' line 5: magic of more than 128 bytes (BINFMT_MAGIC_MAX)"},
    {"mask shorter than magic",
     {BM "e", HEAD "magic " M20 "\nmask ffff\n"}, ERROR_FORMAT,
     "e': mask of 2 bytes for a magic of 20 bytes"},
    {"negative offset",
     {BM "e", "enabled\ninterpreter /q\noffset -1\nmagic 7f\n"},
     ERROR_FORMAT, "e' line 3: invalid offset '-1'"},
    {"offset past the kernel's buffer",
     {BM "e", "enabled\ninterpreter /q\noffset 257\nmagic 7f\n"},
     ERROR_FORMAT, "e' line 3: invalid offset '257'"},
    {"offset and magic past the kernel's buffer",
     {BM "e", "enabled\ninterpreter /q\noffset 250\nmagic " M20 "\n"},
     ERROR_FORMAT,
     "e': offset 250 and magic of 20 bytes pass the first 256 bytes "
     "(BINFMT_HEAD_MAX)"},
    {"no interpreter", {BM "e", "enabled\nflags: \nmagic 7f\n"},
     ERROR_FORMAT, "e': no interpreter"},
    {"neither magic nor extension", {BM "e", "enabled\ninterpreter /q\n"},
     ERROR_FORMAT, "e': expected either a magic or an extension line"},
    {"both magic and extension",
     {BM "e", HEAD "magic 7f\nextension .x\n"}, ERROR_FORMAT,
     "e': expected either a magic or an extension line"},
    {"unknown flag", {BM "e", "enabled\ninterpreter /q\nflags: PX\n"},
     ERROR_FORMAT, "e' line 3: invalid flags 'PX'"},
    {"control byte quoted", {BM "e", "on\x1b[31m\n"}, ERROR_FORMAT,
     "e' line 1: expected 'enabled' or 'disabled', found 'on\\x1b[31m'"},
    {"status neither", {BM "status", "maybe\n"}, ERROR_FORMAT,
     "status' line 1: expected 'enabled' or 'disabled', found 'maybe'"},
};

static void test_expect_error(const char *name, const char *root, int ret,
			      const struct error *err,
			      enum error_category category,
			      const char *message)
{
	char *exp = xasprintf("'%s/" BM "%s", root, message);

	if (ret != -1 || err->category != category ||
	    strcmp(err->message, exp))
		fail_msg("%s:\nexpected: -1 %d %s\ngot:      %d %d %s", name,
			 category, exp, ret, err->category, err->message);
	free(exp);
}

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		char *root = test_root(&c->file, 1);
		struct binfmt_list l;
		struct error err;
		int ret;

		error_init(&err);
		ret = binfmt_load(root, &l, &err);
		binfmt_list_release(&l);
		test_expect_error(c->name, root, ret, &err, c->category,
				  c->message);
		test_root_free(root);
	}
}

/* Limits that take more than a line to reach. */
static void test_limits(void **state)
{
	char *big = xmalloc(BINFMT_FILE_MAX + 2), name[32];
	char *root = test_root(NULL, 0);
	struct binfmt_list l;
	struct error err;

	(void)state;
	memset(big, 'x', BINFMT_FILE_MAX + 1);
	test_write(root, BM "big", big, BINFMT_FILE_MAX + 1);
	error_init(&err);
	test_expect_error("file of 4097 bytes", root,
			  binfmt_load(root, &l, &err), &err, ERROR_LIMIT,
			  "big': more than 4096 bytes (BINFMT_FILE_MAX)");
	binfmt_list_release(&l);
	test_write(root, BM "big", "enabled\n\0x", 10);
	test_expect_error("NUL byte", root, binfmt_load(root, &l, &err),
			  &err, ERROR_FORMAT, "big': contains a NUL byte");
	binfmt_list_release(&l);
	remove(strcat(strcpy(big, root), "/" BM "big"));
	for (int i = 0; i <= BINFMT_ENTRIES_MAX; i++) {
		snprintf(name, sizeof(name), BM "e%03d", i);
		test_write(root, name, AARCH64("enabled"),
			   strlen(AARCH64("enabled")));
	}
	error_init(&err);
	if (binfmt_load(root, &l, &err) != -1 ||
	    !strstr(err.message, "binfmt_misc': more than 256 entries "
				 "(BINFMT_ENTRIES_MAX)"))
		fail_msg("too many entries: got %s", err.message);
	binfmt_list_release(&l);
	free(big);
	test_root_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
