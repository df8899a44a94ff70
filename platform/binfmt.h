/* binfmt_misc: which foreign programs this node's kernel hands to an
   emulator such as qemu-user instead of refusing them. */
#ifndef PLATFORM_BINFMT_H
#define PLATFORM_BINFMT_H

#include <stdbool.h>
#include <stddef.h>

struct error;

/* Entries read from binfmt_misc; a node has a few dozen at most. */
#define BINFMT_ENTRIES_MAX 256
/* Bytes of one entry file: the kernel prints an entry into one page. */
#define BINFMT_FILE_MAX 4096
/* Bytes of magic (and of mask) in one entry. */
#define BINFMT_MAGIC_MAX 128
/* The kernel matches within the first BINPRM_BUF_SIZE bytes of a file:
   offset plus magic length may not pass this. */
#define BINFMT_HEAD_MAX 256

struct binfmt_entry {
	char *name;           /* the file's name under binfmt_misc */
	char *interpreter;    /* the emulator the kernel runs */
	char flags[8];        /* as the kernel prints them: P, O, C, F */
	bool enabled;
	bool extension;       /* matches a file name suffix, never a header */
	size_t offset;        /* where magic starts in the file */
	unsigned char magic[BINFMT_MAGIC_MAX];
	unsigned char mask[BINFMT_MAGIC_MAX];   /* all 0xff without a mask */
	size_t magic_len;
};

struct binfmt_list {
	struct binfmt_entry *items;   /* sorted by name */
	size_t count;
	bool mounted;         /* <root>/proc/sys/fs/binfmt_misc exists */
	bool disabled;        /* its "status" file says "disabled" */
};

/*
 * Read every entry under <root>/proc/sys/fs/binfmt_misc (root NULL, ""
 * or "/" for this machine). A missing directory is an empty list, not
 * an error. Returns -1 when a file cannot be read, breaks a limit or is
 * not in the kernel's format; err names the file. Release out with
 * binfmt_list_release either way.
 */
int binfmt_load(const char *root, struct binfmt_list *out, struct error *err);

/*
 * The entry the kernel would pick for a file starting with head (len
 * bytes): enabled, magic entries only, magic under mask at offset. NULL
 * when none matches or binfmt_misc is disabled as a whole. Bytes past
 * len never match.
 */
const struct binfmt_entry *binfmt_match(const struct binfmt_list *l,
					const unsigned char *head,
					size_t len);

/* Whether the kernel opens the interpreter when the entry is registered
   ('F'), so that it runs inside containers that do not have it. */
bool binfmt_entry_fixed(const struct binfmt_entry *e);

void binfmt_list_release(struct binfmt_list *l);

#endif
