/* The files the shared-library check reads: each found by an index-only
   lookup, read together with the others of its walk level in one pass
   per layer, judged and parsed once however many paths lead to it. */
#ifndef PREFLIGHT_LIBFILE_H
#define PREFLIGHT_LIBFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct imagefs;
struct imagefs_file;
struct elf_info;

/* Distinct files one program's library walk reads (each found library
   and every other file its search meets); the walk stops there. */
#define LIBFILE_MAX 2048
/* A file's bytes up to the end of its dynamic section and its string
   table are kept in one pass when they are at most this many; past it
   they are read again on their own. */
#define LIBRARY_PREFIX_READ_MAX (32 * 1024 * 1024)
/* Room for "ELF64 little-endian x86-64 (machine 62)". */
#define LIBFILE_DESC_MAX 160

/* What the program needs of its libraries. */
struct libfile_target {
	int elf_class, elf_data;
	uint16_t machine;
	bool musl;        /* a library of another machine stops musl */
};

enum lib_cand {
	CAND_ABSENT = 0,
	CAND_FIT,
	CAND_OTHER,   /* another class or machine: the loader searches on */
	CAND_BAD,     /* the loader stops here with an error */
};

/* What the loader's open_verify would say of one file. */
struct libfile_judgement {
	enum lib_cand cand;
	char reason[ERROR_MESSAGE_MAX];     /* CAND_BAD, not other_machine */
	bool other_machine;
	char other_desc[LIBFILE_DESC_MAX];  /* other_machine: what it is */
};

/* What a file's program headers and dynamic section say. */
struct libfile_parsed {
	int r;                /* 0, or 1 when it is broken (perr) */
	struct error perr;
	bool phdrs_ok;        /* program headers read */
	uint64_t min_align;   /* smallest PT_LOAD p_align, 0 when none */
	size_t load_count;
	uint64_t flags_1;
	char **needed;        /* DT_NEEDED names, in order */
	size_t needed_count;
	char *rpath, *runpath, *soname;   /* NULL when absent */
};

void libfile_parsed_release(struct libfile_parsed *p);

/* "ELF64 little-endian x86-64 (machine 62)", into out of size bytes. */
void libfile_describe_elf(char *out, size_t size, const struct elf_info *e);

/*
 * Parse a file already found, reading from the layer what its head
 * lacks (the program itself). program: a file without PT_DYNAMIC is
 * not broken. Returns 0 with out filled, or -1 when a layer cannot be
 * read.
 */
int libfile_parse_found(struct imagefs *fs, const struct imagefs_file *file,
			const struct libfile_target *t, bool program,
			struct libfile_parsed *out, struct error *err);

struct libfile_set;

struct libfile_set *libfile_set_new(struct imagefs *fs,
				    const struct libfile_target *t);
void libfile_set_free(struct libfile_set *set);

/*
 * Look path up by the index alone. Returns 1 with *idx naming the
 * file (the same idx for every path leading to one tar entry), 0 when
 * nothing is there (the loader goes on to the next place), 2 when
 * LIBFILE_MAX files are already known, 3 when something the loader
 * opens and stops at is there (a directory, a symbolic link loop, a
 * device: *why says it), -1 when a layer cannot be read.
 */
int libfile_lookup(struct libfile_set *set, const char *path, size_t *idx,
		   const char **why, struct error *err);

/* Read every file looked up and not yet read, in one pass per layer. */
int libfile_read_pending(struct libfile_set *set, struct error *err);

/* Whether file idx was read and judged already. */
bool libfile_known(const struct libfile_set *set, size_t idx);

/* File idx judged (read on its own when it was not). */
int libfile_judge(struct libfile_set *set, size_t idx,
		  const struct libfile_judgement **out, struct error *err);

/* File idx parsed; for a CAND_FIT file only. */
int libfile_parse(struct libfile_set *set, size_t idx,
		  const struct libfile_parsed **out, struct error *err);

#endif
