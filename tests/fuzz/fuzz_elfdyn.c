/* Fuzz target: an ELF file's program headers, dynamic section and the
 * names its string table gives (elfdyn.c), read from the input as the
 * shared library check reads them from the image: after elf_parse. */
#include <stdlib.h>
#include <string.h>

#include "preflight/elf.h"
#include "preflight/elfdyn.h"
#include "preflight/error.h"
#include "tests/fuzz/fuzz.h"

/* The bytes [offset, offset + n) of the input, or NULL. */
static const unsigned char *fuzz_window(const uint8_t *data, size_t size,
					uint64_t offset, uint64_t n)
{
	if (offset > size || n > size - offset)
		return NULL;
	return data + offset;
}

/* One string, as a name the check would look up. */
static void fuzz_name(const unsigned char *tab, size_t len, uint64_t strsz,
		      uint64_t at)
{
	struct error err;
	char *s = NULL;

	error_init(&err);
	if (elfdyn_string(tab, len, strsz, at, &s, &err) == 0) {
		if (strlen(s) > ELFDYN_STRING_MAX)
			abort();
		free(s);
	} else if (!err.message[0]) {
		abort();
	}
}

static void fuzz_strings(const uint8_t *data, size_t size,
			 const struct elfdyn_segments *seg,
			 const struct elfdyn_info *d)
{
	const unsigned char *tab;
	struct error err;
	uint64_t off, len;
	size_t i;

	error_init(&err);
	if (!d->has_strtab || !d->has_strsz ||
	    elfdyn_vaddr_offset(seg, d->strtab, d->strsz, &off, &err) < 0 ||
	    off > size)
		return;
	len = size - off < d->strsz ? size - off : d->strsz;
	tab = fuzz_window(data, size, off, len);
	for (i = 0; tab && i < d->needed_count; i++)
		fuzz_name(tab, (size_t)len, d->strsz, d->needed[i]);
	if (tab && d->has_rpath)
		fuzz_name(tab, (size_t)len, d->strsz, d->rpath);
	if (tab && d->has_soname)
		fuzz_name(tab, (size_t)len, d->strsz, d->soname);
}

static void fuzz_dynamic(const uint8_t *data, size_t size,
			 const struct elf_info *e,
			 struct elfdyn_segments *seg, struct elfdyn_info *d)
{
	const unsigned char *p;
	uint64_t phoff, phsize;
	uint16_t phnum;
	struct error err;

	elfdyn_phdr_table(data, &phoff, &phsize, &phnum);
	p = fuzz_window(data, size, phoff, phsize);
	error_init(&err);
	if (!p || elfdyn_parse_phdrs(e->elf_class, e->elf_data, p,
				     (size_t)phsize, phnum, seg, &err) < 0)
		return;
	if (seg->load_count > ELFDYN_LOADS_MAX)
		abort();
	(void)elfdyn_min_align(seg);
	p = seg->has_dynamic ? fuzz_window(data, size, seg->dyn_offset,
					   seg->dyn_size) : NULL;
	if (!p || elfdyn_parse_dynamic(e->elf_class, e->elf_data, p,
				       (size_t)seg->dyn_size, d, &err) < 0)
		return;
	if (d->needed_count > ELFDYN_NEEDED_MAX)
		abort();
	fuzz_strings(data, size, seg, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info *e = calloc(1, sizeof(*e));
	struct elfdyn_segments *seg = calloc(1, sizeof(*seg));
	struct elfdyn_info *d = calloc(1, sizeof(*d));
	struct error err;

	error_init(&err);
	if (elf_parse(data, size, size, e, &err) == 0)
		fuzz_dynamic(data, size, e, seg, d);
	free(d);
	free(seg);
	free(e);
	return 0;
}
