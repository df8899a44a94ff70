/* The identity of an ELF file, read from its first bytes (ELF gABI). */
#ifndef PREFLIGHT_ELF_H
#define PREFLIGHT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;

/* The longest PT_INTERP path we accept (Linux PATH_MAX). */
#define ELF_INTERP_MAX 4096
/* Linux (binfmt_elf load_elf_phdrs) refuses a program header table
   larger than this many bytes. */
#define ELF_PHDR_TABLE_MAX 65536

struct elf_info {
	int elf_class;        /* 1 ELFCLASS32, 2 ELFCLASS64 */
	int elf_data;         /* 1 ELFDATA2LSB, 2 ELFDATA2MSB */
	int osabi;
	uint16_t type;        /* ET_EXEC 2, ET_DYN 3, ... */
	uint16_t machine;
	uint32_t flags;       /* e_flags */
	uint64_t entry;
	uint16_t phnum;
	bool has_interp;
	char interp[ELF_INTERP_MAX];   /* PT_INTERP, NUL-terminated */
	bool interp_unread;   /* PT_INTERP lies beyond the bytes given */
	bool phdrs_unread;    /* program headers lie beyond the bytes given */
	uint64_t load_align_min;   /* smallest PT_LOAD p_align, 0 if none */
	uint64_t load_align_max;
	int load_count;
};

/* True when data starts with the ELF magic. */
bool elf_is_elf(const unsigned char *data, size_t len);

/*
 * Read the header, and the program headers and PT_INTERP where they lie
 * within the len bytes given (file_size is the whole file's size, used to
 * reject offsets past its end). A header the kernel would refuse
 * (bad class, data, version, sizes; phdrs past the end of file) is
 * ERROR_FORMAT with the reason.
 */
int elf_parse(const unsigned char *data, size_t len, uint64_t file_size,
	      struct elf_info *out, struct error *err);

/* "x86-64", "AArch64", "PowerPC64", "S/390", "RISC-V", ...;
   "unknown" for others. */
const char *elf_machine_name(uint16_t machine);
const char *elf_class_name(int elf_class);     /* "ELF32", "ELF64" */
const char *elf_data_name(int elf_data);       /* "little-endian", ... */

#endif
