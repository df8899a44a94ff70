/* An ELF file's segments and dynamic section: what it loads and which
   shared libraries it needs (ELF gABI, "Dynamic Section"). */
#ifndef PREFLIGHT_ELFDYN_H
#define PREFLIGHT_ELFDYN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;

/* PT_LOAD segments remembered; the program header table itself is
   bounded by ELF_PHDR_TABLE_MAX (elf.h), which holds at most this many
   32-byte entries. */
#define ELFDYN_LOADS_MAX (65536 / 32)
/* Dynamic entries read (real programs have under a hundred). */
#define ELFDYN_ENTRIES_MAX 4096
/* DT_NEEDED entries of one file (real libraries need a few dozen). */
#define ELFDYN_NEEDED_MAX 256
/* Longest library name or search path taken from the string table. */
#define ELFDYN_STRING_MAX 4096
/* Most string-table bytes read for one file's names. */
#define ELFDYN_STRTAB_READ_MAX (16 * 1024 * 1024)

struct elfdyn_load {
	uint64_t offset, vaddr, filesz, align;
};

/* The program headers that matter for loading. */
struct elfdyn_segments {
	int elf_class;   /* 1 ELFCLASS32, 2 ELFCLASS64 */
	int elf_data;    /* 1 LSB, 2 MSB */
	struct elfdyn_load loads[ELFDYN_LOADS_MAX];
	size_t load_count;
	bool has_dynamic;
	uint64_t dyn_offset, dyn_size;   /* PT_DYNAMIC p_offset, p_filesz */
};

/* The dynamic entries we use; strings as offsets into DT_STRTAB. */
struct elfdyn_info {
	bool has_strtab, has_strsz;
	uint64_t strtab;   /* DT_STRTAB, a virtual address */
	uint64_t strsz;
	uint64_t needed[ELFDYN_NEEDED_MAX];
	size_t needed_count;
	bool has_rpath, has_runpath, has_soname;
	uint64_t rpath, runpath, soname;
	uint64_t flags_1;  /* DT_FLAGS_1 */
};

/* DF_1_NODEFLIB: the object is not to be found through the default
   directories (nor, in glibc, the cache). */
#define ELFDYN_DF_1_NODEFLIB 0x800

/*
 * Where the program header table lies: e_phoff, e_phnum times the
 * class's entry size. header holds at least the ELF header, already
 * judged by elf_parse() (elf.h).
 */
void elfdyn_phdr_table(const unsigned char *header, uint64_t *offset,
		       uint64_t *size, uint16_t *count);

/* Record PT_LOAD and PT_DYNAMIC from count program headers in table. */
int elfdyn_parse_phdrs(int elf_class, int elf_data,
		       const unsigned char *table, size_t len, uint16_t count,
		       struct elfdyn_segments *out, struct error *err);

/* Parse the dynamic entries in dyn (up to DT_NULL or the end). */
int elfdyn_parse_dynamic(int elf_class, int elf_data,
			 const unsigned char *dyn, size_t len,
			 struct elfdyn_info *out, struct error *err);

/* The file offset of virtual address vaddr, through the PT_LOAD that
   maps it with size bytes of file data. */
int elfdyn_vaddr_offset(const struct elfdyn_segments *s, uint64_t vaddr,
			uint64_t size, uint64_t *offset, struct error *err);

/*
 * The string at offset at of a string table whose first len bytes are
 * in table (the table is strsz bytes long). *out is a new string the
 * caller frees. An offset past the table, a string longer than
 * ELFDYN_STRING_MAX or with no NUL is ERROR_FORMAT.
 */
int elfdyn_string(const unsigned char *table, size_t len, uint64_t strsz,
		  uint64_t at, char **out, struct error *err);

/* The smallest PT_LOAD p_align, 0 when there is none. */
uint64_t elfdyn_min_align(const struct elfdyn_segments *s);

#endif
