/* Allocators built for one page size: a program that carries jemalloc
   aborts at start on a kernel with larger pages than it was built for. */
#ifndef PREFLIGHT_ALLOCATOR_H
#define PREFLIGHT_ALLOCATOR_H

struct imagefs;
struct imagefs_file;
struct elf_info;
struct platform;
struct findings;
struct error;

/* The page size every allocator is built for at the least: on kernels
   with these pages nothing is looked for. */
#define ALLOCATOR_PAGE_BASE 4096

/*
 * On a kernel whose pages (page_size) are larger than
 * ALLOCATOR_PAGE_BASE, read the whole entrypoint file (a native ELF for
 * node) and look for the allocators that stop there: WARN
 * allocator-page-size when one is found. Returns -1 only when the layer
 * cannot be read.
 */
int allocator_inspect(struct imagefs *fs, const struct imagefs_file *file,
		      const char *path, const struct elf_info *elf,
		      const struct platform *node, long page_size,
		      struct findings *f, struct error *err);

#endif
