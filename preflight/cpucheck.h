/* What a binary asks of the CPU beyond its machine: the x86-64 level
   (GNU property note), the ARM architecture and float ABI (ARM build
   attributes, e_flags), judged against the node. */
#ifndef PREFLIGHT_CPUCHECK_H
#define PREFLIGHT_CPUCHECK_H

struct imagefs;
struct imagefs_file;
struct elf_info;
struct findings;
struct platform;
struct error;

/*
 * Judge the ELF file (parsed into elf) against a node of platform node
 * whose x86-64 level is cpu_level (0: not known): an x86-64 binary that
 * needs a higher level (FAIL cpu-level-too-low, or WARN
 * cpu-level-unverified when the node's level is not known); a 32-bit
 * ARM binary built for a newer architecture than the node's (FAIL
 * arm-architecture-too-new). What cannot be read from the file gives no
 * finding. Returns -1 only when the layer cannot be read.
 */
int cpucheck_binary(struct imagefs *fs, const struct imagefs_file *file,
		    const struct elf_info *elf, const struct platform *node,
		    int cpu_level, const char *what, const char *path,
		    struct findings *f, struct error *err);

/*
 * A 32-bit ARM program (file, elf) and the loader its PT_INTERP names
 * (loader_path; loader NULL when its header could not be read): FAIL
 * float-abi-mismatch when one is hard-float and the other soft-float.
 * Returns -1 only when the layer cannot be read.
 */
int cpucheck_float_abi(struct imagefs *fs, const struct imagefs_file *file,
		       const struct elf_info *elf, const char *what,
		       const char *path, const char *loader_path,
		       const struct elf_info *loader, struct findings *f,
		       struct error *err);

#endif
