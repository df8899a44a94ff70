/* Allocators built for one page size: a program that carries jemalloc
   aborts at start on a kernel with larger pages than it was built for.
 *
 * jemalloc fixes its page size (LG_PAGE) when it is built, from the
 * build machine or --with-lg-page; at start it compares the kernel's
 * page size with it and, when the kernel's is larger, writes
 * "<jemalloc>: Unsupported system page size" and fails every
 * allocation (pages_boot() in src/pages.c). The string is in every
 * jemalloc, so finding it says the program carries jemalloc, not for
 * which page size it was built: hence a WARN.
 */
#include "allocator.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../platform/platform.h"
#include "bytematch.h"
#include "elf.h"
#include "imagefs.h"
#include "verdict.h"

/* What is looked for, in this order of weight. */
enum {
	ALLOCATOR_JEMALLOC_STATIC = 0,   /* jemalloc linked in */
	ALLOCATOR_JEMALLOC_DYNAMIC,      /* a name in .dynstr */
	ALLOCATOR_PATTERNS,
};

static const char *const allocator_patterns[ALLOCATOR_PATTERNS] = {
	"<jemalloc>: Unsupported system page size",
	"libjemalloc.so",
};

/* Stop reading once jemalloc's own message is found: it decides. */
static int allocator_chunk(void *ctx, uint64_t offset,
			   const unsigned char *data, size_t len)
{
	struct bytematch *m = ctx;

	bytematch_feed(m, offset, data, len);
	return bytematch_found(m, ALLOCATOR_JEMALLOC_STATIC, NULL) ? 1 : 0;
}

static bool allocator_native(const struct elf_info *elf,
			     const struct platform *node)
{
	struct platform_elf want;

	return platform_elf_for(node, &want) &&
	       elf->elf_class == want.elf_class &&
	       elf->elf_data == want.elf_data && elf->machine == want.machine;
}

static void allocator_report(const struct bytematch *m, const char *path,
			     long page_size, struct findings *f)
{
	uint64_t at;

	if (bytematch_found(m, ALLOCATOR_JEMALLOC_STATIC, &at))
		findings_add(f, SIGNAL_BINARY, SEVERITY_WARN,
			     "allocator-page-size",
			     "entrypoint '%s' carries jemalloc (its message "
			     "'%s' is at byte %llu): jemalloc's page size is "
			     "fixed when it is built, and a build for pages "
			     "smaller than this kernel's %ld bytes (4 KiB is "
			     "the usual) aborts at start with that message",
			     path, allocator_patterns[0],
			     (unsigned long long)at, page_size);
	else if (bytematch_found(m, ALLOCATOR_JEMALLOC_DYNAMIC, &at))
		findings_add(f, SIGNAL_BINARY, SEVERITY_WARN,
			     "allocator-page-size",
			     "entrypoint '%s' names '%s' (at byte %llu), so "
			     "it likely links or loads jemalloc, whose page "
			     "size is fixed when it is built: a build for "
			     "pages smaller than this kernel's %ld bytes "
			     "aborts at start (\"<jemalloc>: Unsupported system "
			     "page size\")", path, allocator_patterns[1],
			     (unsigned long long)at, page_size);
}

int allocator_inspect(struct imagefs *fs, const struct imagefs_file *file,
		      const char *path, const struct elf_info *elf,
		      const struct platform *node, long page_size,
		      struct findings *f, struct error *err)
{
	struct bytematch m;

	if (page_size <= ALLOCATOR_PAGE_BASE || !allocator_native(elf, node))
		return 0;
	if (bytematch_init(&m, allocator_patterns, ALLOCATOR_PATTERNS) < 0)
		return 0;   /* cannot happen: the patterns are ours */
	if (imagefs_file_scan(fs, file, allocator_chunk, &m, err) < 0)
		return -1;
	allocator_report(&m, path, page_size, f);
	return 0;
}
