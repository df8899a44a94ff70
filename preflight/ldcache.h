/* glibc's /etc/ld.so.cache, written by ldconfig and read by ld.so: which
   file each library name stands for. */
#ifndef PREFLIGHT_LDCACHE_H
#define PREFLIGHT_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

struct error;

/* Largest cache read (real ones are tens to hundreds of KiB). */
#define LDCACHE_SIZE_MAX (16 * 1024 * 1024)
/* Longest library name or path in the cache (Linux PATH_MAX). */
#define LDCACHE_STRING_MAX 4096

/* ldconfig's entry flags: the low byte is the kind (3 for an ELF
   library of glibc), the next the architecture (0x0300 x86-64,
   0x0a00 AArch64, ...). */
#define LDCACHE_FLAG_TYPE_MASK 0x00ff
#define LDCACHE_FLAG_ELF_LIBC6 0x0003

struct ldcache_entry {
	uint32_t flags;
	char *name;    /* the soname, "libc.so.6" */
	char *path;    /* where it is, "/lib/x86_64-linux-gnu/libc.so.6" */
};

struct ldcache {
	struct ldcache_entry *entries;
	size_t count;
	const char *format;   /* "glibc-ld.so.cache1.1" or "ld.so-1.7.0" */
};

/*
 * Parse a cache in the "glibc-ld.so.cache1.1" format, alone or after an
 * old "ld.so-1.7.0" table (which is then skipped), or an old table
 * alone. Numbers are in the byte order the cache declares, or in
 * elf_data's (1 little, 2 big endian) when it declares none, as ld.so
 * reads them in its own. What ld.so would refuse (truncated table, an
 * offset past the end, an unterminated string) is ERROR_FORMAT.
 */
int ldcache_parse(const unsigned char *data, size_t len, int elf_data,
		  struct ldcache *out, struct error *err);
void ldcache_release(struct ldcache *c);

/* The next entry at or after *pos whose name is name, or NULL; *pos is
   left after it. */
const struct ldcache_entry *ldcache_find(const struct ldcache *c,
					 const char *name, size_t *pos);

#endif
