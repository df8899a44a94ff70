/* What a binary asks of the CPU beyond its machine: the x86-64 level
   (GNU property note), the ARM architecture and float ABI (ARM build
   attributes, e_flags), judged against the node. */
#include "cpucheck.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../platform/cpulevel.h"
#include "../platform/platform.h"
#include "elf.h"
#include "error.h"
#include "imagefs.h"
#include "verdict.h"

/* ELF gABI e_machine values we judge here. */
#define CPUCHECK_EM_ARM 40
#define CPUCHECK_EM_X86_64 62

/* Read len bytes at offset of the file into a new buffer (*out, freed
   by the caller); 1 when they were all there, 0 when the file is
   shorter, -1 when the layer cannot be read. */
static int cpucheck_read(struct imagefs *fs, const struct imagefs_file *file,
			 uint64_t offset, size_t len, unsigned char **out,
			 struct error *err)
{
	size_t got = 0;

	*out = NULL;
	if (!len || file->size < 0 || offset > (uint64_t)file->size ||
	    len > (uint64_t)file->size - offset)
		return 0;
	*out = malloc(len);
	if (!*out)
		return error_set(err, ERROR_INTERNAL, "out of memory");
	if (imagefs_file_read(fs, file, offset, *out, len, &got, err) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	if (got != len) {
		free(*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

/* --- x86-64 level (GNU_PROPERTY_X86_ISA_1_NEEDED) --- */

/* One note segment's ISA_1_NEEDED bits: 1 found, 0 not, -1 read error. */
static int cpucheck_segment_isa(struct imagefs *fs,
				const struct imagefs_file *file,
				const struct elf_info *elf,
				const struct elf_segment *seg,
				uint32_t *needed, struct error *err)
{
	size_t len = seg->size > ELF_NOTE_BYTES_MAX ? ELF_NOTE_BYTES_MAX :
		     (size_t)seg->size;
	unsigned char *data;
	struct error perr;
	int ret;

	ret = cpucheck_read(fs, file, seg->offset, len, &data, err);
	if (ret <= 0)
		return ret;
	error_init(&perr);
	/* a malformed note is ignored, as glibc ignores it */
	ret = elf_x86_isa_needed(data, len, elf->elf_class, elf->elf_data,
				 seg->align, needed, &perr);
	free(data);
	return ret > 0 ? 1 : 0;
}

/*
 * The level the file needs: glibc reads PT_GNU_PROPERTY when there is
 * one, else the PT_NOTE segments. 0 when the file does not say.
 */
static int cpucheck_isa_level(struct imagefs *fs,
			      const struct imagefs_file *file,
			      const struct elf_info *elf, int *level,
			      struct error *err)
{
	bool property = false;
	uint32_t needed = 0;
	int i, ret;

	*level = 0;
	for (i = 0; i < elf->note_count; i++)
		property |= elf->notes[i].property;
	for (i = 0; i < elf->note_count; i++) {
		if (elf->notes[i].property != property)
			continue;
		ret = cpucheck_segment_isa(fs, file, elf, &elf->notes[i],
					   &needed, err);
		if (ret < 0)
			return -1;
		if (ret > 0) {
			*level = elf_x86_isa_level(needed);
			return 0;
		}
	}
	return 0;
}

static int cpucheck_x86(struct imagefs *fs, const struct imagefs_file *file,
			const struct elf_info *elf, int cpu_level,
			const char *what, const char *path,
			struct findings *f, struct error *err)
{
	int need;

	if (cpucheck_isa_level(fs, file, elf, &need, err) < 0)
		return -1;
	if (need <= 1 || (cpu_level && need <= cpu_level))
		return 0;
	if (cpu_level)
		findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "cpu-level-too-low",
			     "%s '%s' needs %s (its GNU property note, "
			     "X86_ISA_1_NEEDED); this node's CPU is %s: it "
			     "fails with \"CPU ISA level is lower than "
			     "required\" (glibc) or dies with \"Illegal "
			     "instruction\"", what, path, cpulevel_name(need),
			     cpulevel_name(cpu_level));
	else
		findings_add(f, SIGNAL_BINARY, SEVERITY_WARN,
			     "cpu-level-unverified",
			     "%s '%s' needs %s (its GNU property note, "
			     "X86_ISA_1_NEEDED); this node's CPU level is not "
			     "known, and on an older CPU it dies with "
			     "\"Illegal instruction\"", what, path,
			     cpulevel_name(need));
	return 0;
}

/* --- 32-bit ARM: build attributes --- */

/*
 * The file-scope "aeabi" attributes, found through the section header
 * table: 1 read, 0 absent or unreadable (no judgement), -1 read error.
 */
static int cpucheck_arm_attrs(struct imagefs *fs,
			      const struct imagefs_file *file,
			      const struct elf_info *elf,
			      struct elf_arm_attrs *attrs, struct error *err)
{
	size_t table_len = (size_t)elf->shnum * elf->shentsize;
	unsigned char *table = NULL, *data = NULL;
	uint64_t offset, size;
	struct error perr;
	int ret;

	if (!elf->shoff || !elf->shnum || table_len > ELF_SHDR_TABLE_MAX)
		return 0;
	ret = cpucheck_read(fs, file, elf->shoff, table_len, &table, err);
	if (ret <= 0)
		return ret;
	ret = elf_section_find(table, table_len, elf, ELF_SHT_ARM_ATTRIBUTES,
			       &offset, &size);
	free(table);
	if (ret <= 0 || size > ELF_ARM_ATTRIBUTES_MAX)
		return 0;
	ret = cpucheck_read(fs, file, offset, (size_t)size, &data, err);
	if (ret <= 0)
		return ret;
	error_init(&perr);
	ret = elf_arm_attributes(data, (size_t)size, elf->elf_data, attrs,
				 &perr);
	free(data);
	return ret < 0 ? 0 : 1;
}

/* Tag_CPU_arch values (ARM IHI 0045) to the architecture's name and
   the A-profile version a node must have; 0 for M-profile and pre-v4,
   which no Linux node variant names. */
static const struct cpucheck_arm_arch {
	const char *name;
	int version;
} cpucheck_arm_arches[] = {
	{ "pre-ARMv4", 0 }, { "ARMv4", 4 },	    { "ARMv4T", 4 },
	{ "ARMv5T", 5 },    { "ARMv5TE", 5 },	    { "ARMv5TEJ", 5 },
	{ "ARMv6", 6 },	    { "ARMv6KZ", 6 },	    { "ARMv6T2", 6 },
	{ "ARMv6K", 6 },    { "ARMv7", 7 },	    { "ARMv6-M", 0 },
	{ "ARMv6S-M", 0 },  { "ARMv7E-M", 0 },	    { "ARMv8-A", 8 },
	{ "ARMv8-R", 8 },   { "ARMv8-M.baseline", 0 },
	{ "ARMv8-M.mainline", 0 }, { "ARMv8.1-A", 8 }, { "ARMv8.2-A", 8 },
	{ "ARMv8.3-A", 8 }, { "ARMv8.1-M.mainline", 0 }, { "ARMv9-A", 8 },
};

#define CPUCHECK_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The ARM architecture version of the node: arm/vN, or 8 for the
   AArch32 state of an arm64 node; 0 when not known. */
static int cpucheck_node_arm(const struct platform *node)
{
	const char *v = node->variant;

	if (!strcmp(node->arch, "arm64"))
		return 8;
	if (strcmp(node->arch, "arm") || v[0] != 'v' || v[1] < '4' ||
	    v[1] > '9' || v[2])
		return 0;
	return v[1] - '0';
}

static int cpucheck_arm(struct imagefs *fs, const struct imagefs_file *file,
			const struct elf_info *elf,
			const struct platform *node, const char *what,
			const char *path, struct findings *f,
			struct error *err)
{
	const struct cpucheck_arm_arch *a;
	struct elf_arm_attrs attrs;
	char plat[PLATFORM_STRING_MAX];
	int have = cpucheck_node_arm(node), ret;

	if (!have)
		return 0;
	ret = cpucheck_arm_attrs(fs, file, elf, &attrs, err);
	if (ret <= 0)
		return ret;
	if (attrs.cpu_arch < 0 ||
	    (size_t)attrs.cpu_arch >= CPUCHECK_COUNT(cpucheck_arm_arches) ||
	    attrs.cpu_arch_profile == 'M')
		return 0;
	a = &cpucheck_arm_arches[attrs.cpu_arch];
	if (!a->version || a->version <= have)
		return 0;
	findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL,
		     "arm-architecture-too-new",
		     "%s '%s' is built for %s (its ARM attributes, "
		     "Tag_CPU_arch %d); this node's CPU is ARMv%d (%s): it "
		     "dies with \"Illegal instruction\"", what, path, a->name,
		     attrs.cpu_arch, have, platform_format(node, plat));
	return 0;
}

int cpucheck_binary(struct imagefs *fs, const struct imagefs_file *file,
		    const struct elf_info *elf, const struct platform *node,
		    int cpu_level, const char *what, const char *path,
		    struct findings *f, struct error *err)
{
	if (elf->machine == CPUCHECK_EM_X86_64 && elf->elf_class == 2 &&
	    !strcmp(node->arch, "amd64"))
		return cpucheck_x86(fs, file, elf, cpu_level, what, path, f,
				    err);
	if (elf->machine == CPUCHECK_EM_ARM && elf->elf_class == 1)
		return cpucheck_arm(fs, file, elf, node, what, path, f, err);
	return 0;
}

/* --- 32-bit ARM: float ABI --- */

enum cpucheck_float { FLOAT_UNKNOWN = 0, FLOAT_SOFT, FLOAT_HARD };

/* EABI version 5 says it in e_flags (ARM ELF ABI, "ELF header"). */
static enum cpucheck_float cpucheck_float_of_flags(uint32_t flags)
{
	if ((flags & ELF_EF_ARM_EABIMASK) != ELF_EF_ARM_EABI_VER5)
		return FLOAT_UNKNOWN;
	if (flags & ELF_EF_ARM_ABI_FLOAT_HARD)
		return FLOAT_HARD;
	if (flags & ELF_EF_ARM_ABI_FLOAT_SOFT)
		return FLOAT_SOFT;
	return FLOAT_UNKNOWN;
}

/* The loaders glibc and musl name for each ABI. */
static enum cpucheck_float cpucheck_float_of_loader(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!strcmp(base, "ld-linux-armhf.so.3") ||
	    !strcmp(base, "ld-musl-armhf.so.1"))
		return FLOAT_HARD;
	if (!strcmp(base, "ld-linux.so.3") || !strcmp(base, "ld-musl-arm.so.1"))
		return FLOAT_SOFT;
	return FLOAT_UNKNOWN;
}

/* The program's ABI: e_flags, else Tag_ABI_VFP_args. */
static int cpucheck_program_float(struct imagefs *fs,
				  const struct imagefs_file *file,
				  const struct elf_info *elf,
				  enum cpucheck_float *abi, struct error *err)
{
	struct elf_arm_attrs attrs;
	int ret;

	*abi = cpucheck_float_of_flags(elf->flags);
	if (*abi != FLOAT_UNKNOWN)
		return 0;
	ret = cpucheck_arm_attrs(fs, file, elf, &attrs, err);
	if (ret < 0)
		return -1;
	if (ret > 0 && (attrs.vfp_args == 0 || attrs.vfp_args == 1))
		*abi = attrs.vfp_args ? FLOAT_HARD : FLOAT_SOFT;
	return 0;
}

int cpucheck_float_abi(struct imagefs *fs, const struct imagefs_file *file,
		       const struct elf_info *elf, const char *what,
		       const char *path, const char *loader_path,
		       const struct elf_info *loader, struct findings *f,
		       struct error *err)
{
	enum cpucheck_float prog, ld = FLOAT_UNKNOWN;

	if (elf->machine != CPUCHECK_EM_ARM || elf->elf_class != 1 ||
	    (loader && loader->machine != CPUCHECK_EM_ARM))
		return 0;
	if (cpucheck_program_float(fs, file, elf, &prog, err) < 0)
		return -1;
	if (loader)
		ld = cpucheck_float_of_flags(loader->flags);
	if (ld == FLOAT_UNKNOWN)
		ld = cpucheck_float_of_loader(loader_path);
	if (prog == FLOAT_UNKNOWN || ld == FLOAT_UNKNOWN || prog == ld)
		return 0;
	findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL, "float-abi-mismatch",
		     "%s '%s' is a %s program and its program interpreter "
		     "'%s' is a %s loader: the two pass floating-point values "
		     "in different registers, so the loader refuses or "
		     "miscalls the program's libraries and it does not start "
		     "(build the program and the image for one ABI: armhf or "
		     "armel)", what, path,
		     prog == FLOAT_HARD ? "hard-float (armhf)" :
		     "soft-float (armel)", loader_path,
		     ld == FLOAT_HARD ? "hard-float (armhf)" :
		     "soft-float (armel)");
	return 0;
}
