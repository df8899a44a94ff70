/* glibc's /etc/ld.so.cache, read as ld.so reads it (glibc
   sysdeps/generic/dl-cache.h lays out both formats). */
#include "ldcache.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

#define LDCACHE_NEW_MAGIC "glibc-ld.so.cache1.1"
#define LDCACHE_NEW_MAGIC_LEN 20
/* nlibs, len_strings, flags and padding, extension offset, 3 unused */
#define LDCACHE_NEW_HEADER 48
#define LDCACHE_NEW_ENTRY 24   /* flags, key, value, osversion, hwcap */
#define LDCACHE_OLD_MAGIC "ld.so-1.7.0"
#define LDCACHE_OLD_MAGIC_LEN 11
#define LDCACHE_OLD_HEADER 16  /* magic, padding, nlibs */
#define LDCACHE_OLD_ENTRY 12   /* flags, key, value */
/* The header's byte order flag (cache_file_new.flags). */
#define LDCACHE_ENDIAN_UNSET 0
#define LDCACHE_ENDIAN_LITTLE 2
#define LDCACHE_ENDIAN_BIG 3

/* The bytes of one table and how its numbers and strings are read. */
struct ldcache_view {
	const unsigned char *data;   /* the whole file */
	size_t len;
	bool big_endian;
	size_t strings;   /* string offsets count from here */
};

static uint32_t ldcache_u32(const struct ldcache_view *v, size_t at)
{
	const unsigned char *p = v->data + at;

	if (v->big_endian)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static int ldcache_string(const struct ldcache_view *v, uint32_t off,
			  char **out, struct error *err)
{
	size_t at = v->strings + off, room;
	const unsigned char *nul;

	if (off >= v->len || at >= v->len)
		return error_set(err, ERROR_FORMAT,
				 "string offset %" PRIu32 " past the end of "
				 "the cache (%zu bytes)", off, v->len);
	room = v->len - at;
	if (room > LDCACHE_STRING_MAX + 1)
		room = LDCACHE_STRING_MAX + 1;
	nul = memchr(v->data + at, '\0', room);
	if (!nul)
		return error_set(err, ERROR_FORMAT,
				 "string at offset %" PRIu32 " has no NUL "
				 "within %d bytes (LDCACHE_STRING_MAX) or the "
				 "file", off, LDCACHE_STRING_MAX);
	*out = xstrndup((const char *)v->data + at,
			(size_t)(nul - (v->data + at)));
	return 0;
}

/* count entries of entry_size bytes from table: flags, key, value. */
static int ldcache_entries(const struct ldcache_view *v, size_t table,
			   uint32_t count, size_t entry_size,
			   struct ldcache *out, struct error *err)
{
	uint32_t i;

	if (count > (v->len - table) / entry_size)
		return error_set(err, ERROR_FORMAT,
				 "%" PRIu32 " entries do not fit in the "
				 "%zu bytes of the cache", count, v->len);
	out->entries = xcalloc(count ? count : 1, sizeof(*out->entries));
	for (i = 0; i < count; i++) {
		size_t at = table + (size_t)i * entry_size;
		struct ldcache_entry *e = &out->entries[i];

		e->flags = ldcache_u32(v, at);
		out->count = i + 1;
		if (ldcache_string(v, ldcache_u32(v, at + 4), &e->name, err) ||
		    ldcache_string(v, ldcache_u32(v, at + 8), &e->path, err))
			return -1;
	}
	return 0;
}

static int ldcache_parse_new(const unsigned char *data, size_t len,
			     size_t start, int elf_data, struct ldcache *out,
			     struct error *err)
{
	struct ldcache_view v = {data, len, elf_data == 2, start};
	int endian;

	if (len - start < LDCACHE_NEW_HEADER)
		return error_set(err, ERROR_FORMAT,
				 "truncated header: %zu bytes, need %d",
				 len - start, LDCACHE_NEW_HEADER);
	endian = data[start + 28];
	if (endian != LDCACHE_ENDIAN_UNSET && endian != LDCACHE_ENDIAN_LITTLE &&
	    endian != LDCACHE_ENDIAN_BIG)
		return error_set(err, ERROR_FORMAT,
				 "bad byte order flag %d, expected 0, 2 or 3",
				 endian);
	if (endian != LDCACHE_ENDIAN_UNSET)
		v.big_endian = endian == LDCACHE_ENDIAN_BIG;
	out->format = LDCACHE_NEW_MAGIC;
	return ldcache_entries(&v, start + LDCACHE_NEW_HEADER,
			       ldcache_u32(&v, start + LDCACHE_NEW_MAGIC_LEN),
			       LDCACHE_NEW_ENTRY, out, err);
}

/* The new table after an old one starts at the next multiple of its
   alignment: 8 bytes where a uint64_t needs it, 4 on i386. */
static bool ldcache_new_after(const unsigned char *data, size_t len,
			      size_t end, size_t *start)
{
	static const size_t aligns[] = {8, 4};
	size_t i;

	for (i = 0; i < 2; i++) {
		size_t at = (end + aligns[i] - 1) & ~(aligns[i] - 1);

		if (at <= len && len - at >= LDCACHE_NEW_MAGIC_LEN &&
		    !memcmp(data + at, LDCACHE_NEW_MAGIC,
			    LDCACHE_NEW_MAGIC_LEN)) {
			*start = at;
			return true;
		}
	}
	return false;
}

static int ldcache_parse_old(const unsigned char *data, size_t len,
			     int elf_data, struct ldcache *out,
			     struct error *err)
{
	struct ldcache_view v = {data, len, elf_data == 2, 0};
	uint32_t count;
	size_t end, start;

	if (len < LDCACHE_OLD_HEADER)
		return error_set(err, ERROR_FORMAT,
				 "truncated header: %zu bytes, need %d", len,
				 LDCACHE_OLD_HEADER);
	count = ldcache_u32(&v, 12);
	if (count > (len - LDCACHE_OLD_HEADER) / LDCACHE_OLD_ENTRY)
		return error_set(err, ERROR_FORMAT,
				 "%" PRIu32 " entries do not fit in the "
				 "%zu bytes of the cache", count, len);
	end = LDCACHE_OLD_HEADER + (size_t)count * LDCACHE_OLD_ENTRY;
	if (ldcache_new_after(data, len, end, &start))
		return ldcache_parse_new(data, len, start, elf_data, out, err);
	v.strings = end;
	out->format = LDCACHE_OLD_MAGIC;
	return ldcache_entries(&v, LDCACHE_OLD_HEADER, count,
			       LDCACHE_OLD_ENTRY, out, err);
}

int ldcache_parse(const unsigned char *data, size_t len, int elf_data,
		  struct ldcache *out, struct error *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (len > LDCACHE_SIZE_MAX)
		return error_set(err, ERROR_FORMAT,
				 "%zu bytes, more than %d (LDCACHE_SIZE_MAX)",
				 len, LDCACHE_SIZE_MAX);
	if (len >= LDCACHE_NEW_MAGIC_LEN &&
	    !memcmp(data, LDCACHE_NEW_MAGIC, LDCACHE_NEW_MAGIC_LEN))
		r = ldcache_parse_new(data, len, 0, elf_data, out, err);
	else if (len >= LDCACHE_OLD_MAGIC_LEN &&
		 !memcmp(data, LDCACHE_OLD_MAGIC, LDCACHE_OLD_MAGIC_LEN))
		r = ldcache_parse_old(data, len, elf_data, out, err);
	else
		r = error_set(err, ERROR_FORMAT,
			      "not an ld.so.cache (bad magic bytes)");
	if (r < 0)
		ldcache_release(out);
	return r;
}

void ldcache_release(struct ldcache *c)
{
	size_t i;

	for (i = 0; i < c->count; i++) {
		free(c->entries[i].name);
		free(c->entries[i].path);
	}
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

const struct ldcache_entry *ldcache_find(const struct ldcache *c,
					 const char *name, size_t *pos)
{
	for (; *pos < c->count; (*pos)++) {
		const struct ldcache_entry *e = &c->entries[*pos];

		if ((e->flags & LDCACHE_FLAG_TYPE_MASK) ==
			LDCACHE_FLAG_ELF_LIBC6 &&
		    !strcmp(e->name, name)) {
			(*pos)++;
			return e;
		}
	}
	return NULL;
}
