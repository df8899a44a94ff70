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

/* Most note-bearing segments (PT_GNU_PROPERTY, PT_NOTE) remembered. */
#define ELF_NOTE_SEGMENTS_MAX 8
/* Most bytes of one note segment read for its GNU properties. */
#define ELF_NOTE_BYTES_MAX (64 * 1024)
/* Most notes, and properties in one note, walked before giving up. */
#define ELF_NOTES_MAX 256
/* Most bytes of section headers read (4096 sections of ELF64). */
#define ELF_SHDR_TABLE_MAX (4096 * 64)
/* Most bytes of an .ARM.attributes section read. */
#define ELF_ARM_ATTRIBUTES_MAX (64 * 1024)

/* A segment that may hold notes, as its program header gives it. */
struct elf_segment {
	uint64_t offset;
	uint64_t size;
	uint64_t align;
	bool property;        /* PT_GNU_PROPERTY rather than PT_NOTE */
};

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
	struct elf_segment notes[ELF_NOTE_SEGMENTS_MAX];
	int note_count;
	/* bytes from the file's start that hold the header, the program
	   headers, PT_INTERP and the notes (each up to ELF_NOTE_BYTES_MAX):
	   more than the bytes given when those lie further */
	uint64_t head_wanted;
	uint64_t shoff;       /* section header table (e_shoff), 0 if none */
	uint16_t shentsize;
	uint16_t shnum;
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

/* GNU_PROPERTY_X86_ISA_1_NEEDED bits (x86-64 psABI): x86-64-v1..v4. */
#define ELF_X86_ISA_BASELINE 0x1u
#define ELF_X86_ISA_V2 0x2u
#define ELF_X86_ISA_V3 0x4u
#define ELF_X86_ISA_V4 0x8u

/*
 * Look for GNU_PROPERTY_X86_ISA_1_NEEDED in the bytes of a note segment
 * of a file of class elf_class (1, 2) and byte order (1 LSB, 2 MSB). A
 * NT_GNU_PROPERTY_TYPE_0 note counts only when its alignment, align (the
 * segment's p_align), is the class's: 8 for ELF64, 4 for ELF32, as in
 * glibc. Returns 1 with *needed set, 0 when there is no such property,
 * -1 (ERROR_FORMAT) when a note or property runs past the data.
 */
int elf_x86_isa_needed(const unsigned char *data, size_t len, int elf_class,
		       int elf_data, uint64_t align, uint32_t *needed,
		       struct error *err);

/* The highest level (1..4) an ISA_1_NEEDED bit mask names, 0 none. */
int elf_x86_isa_level(uint32_t needed);

/*
 * Find the first section of sh_type type among the section headers in
 * table (len bytes, e->shnum entries of e->shentsize). Returns 1 with
 * its file offset and size, 0 when none.
 */
int elf_section_find(const unsigned char *table, size_t len,
		     const struct elf_info *e, uint32_t type,
		     uint64_t *offset, uint64_t *size);

/* SHT_ARM_ATTRIBUTES (ARM ELF ABI). */
#define ELF_SHT_ARM_ATTRIBUTES 0x70000003u
/* e_flags of ARM EABI version 5: which float ABI the file uses. */
#define ELF_EF_ARM_EABIMASK 0xff000000u
#define ELF_EF_ARM_EABI_VER5 0x05000000u
#define ELF_EF_ARM_ABI_FLOAT_SOFT 0x200u
#define ELF_EF_ARM_ABI_FLOAT_HARD 0x400u

/* The file-scope "aeabi" attributes we judge; -1 when absent. */
struct elf_arm_attrs {
	int cpu_arch;         /* Tag_CPU_arch (6): 10 = v7, 14 = v8-A, ... */
	int cpu_arch_profile; /* Tag_CPU_arch_profile (7): 'A', 'R', 'M' */
	int vfp_args;         /* Tag_ABI_VFP_args (28): 0 base, 1 VFP */
};

/*
 * Parse an .ARM.attributes section (ARM "Addenda to the ELF ABI", build
 * attributes): format 'A', vendor subsections, the "aeabi" one's
 * file-scope (Tag_File) attributes. Every length is checked against the
 * data and every ULEB128 is bounded. Returns 0 (fields -1 when absent),
 * or -1 (ERROR_FORMAT) when the section is malformed.
 */
int elf_arm_attributes(const unsigned char *data, size_t len, int elf_data,
		       struct elf_arm_attrs *out, struct error *err);

/* "x86-64", "AArch64", "PowerPC64", "S/390", "RISC-V", ...;
   "unknown" for others. */
const char *elf_machine_name(uint16_t machine);
const char *elf_class_name(int elf_class);     /* "ELF32", "ELF64" */
const char *elf_data_name(int elf_data);       /* "little-endian", ... */

#endif
