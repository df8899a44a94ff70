/* An ELF file's segments and dynamic section, read as the ELF gABI lays
   them out ("Program Header", "Dynamic Section"). */
#include "elfdyn.h"

#include <inttypes.h>
#include <string.h>

#include "buf.h"
#include "error.h"

#define ELFDYN_CLASS64 2
#define ELFDYN_DATA2MSB 2
/* ELF gABI segment types. */
#define ELFDYN_PT_LOAD 1
#define ELFDYN_PT_DYNAMIC 2
/* ELF gABI dynamic tags. */
#define ELFDYN_DT_NULL 0
#define ELFDYN_DT_NEEDED 1
#define ELFDYN_DT_STRTAB 5
#define ELFDYN_DT_STRSZ 10
#define ELFDYN_DT_SONAME 14
#define ELFDYN_DT_RPATH 15
#define ELFDYN_DT_RUNPATH 29
#define ELFDYN_DT_FLAGS_1 0x6ffffffb

/* Field offsets per class (Elf32_Phdr / Elf64_Phdr, ElfN_Dyn). */
struct elfdyn_layout {
	size_t phentsize, word;
	size_t p_offset, p_vaddr, p_filesz, p_align;
	size_t e_phoff, e_phnum;
};

static const struct elfdyn_layout elfdyn_layout32 = {
    32, 4, 4, 8, 16, 28, 28, 44,
};

static const struct elfdyn_layout elfdyn_layout64 = {
    56, 8, 8, 16, 32, 48, 32, 56,
};

static const struct elfdyn_layout *elfdyn_layout(int elf_class)
{
	return elf_class == ELFDYN_CLASS64 ? &elfdyn_layout64
					   : &elfdyn_layout32;
}

/* An unsigned field of width bytes at p, in the file's byte order. */
static uint64_t elfdyn_get(const unsigned char *p, size_t width, int data)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width; i++) {
		size_t k = data == ELFDYN_DATA2MSB ? i : width - 1 - i;

		v = (v << 8) | p[k];
	}
	return v;
}

void elfdyn_phdr_table(const unsigned char *header, uint64_t *offset,
		       uint64_t *size, uint16_t *count)
{
	int cls = header[4], data = header[5];
	const struct elfdyn_layout *l = elfdyn_layout(cls);

	*offset = elfdyn_get(header + l->e_phoff, l->word, data);
	*count = (uint16_t)elfdyn_get(header + l->e_phnum, 2, data);
	*size = (uint64_t)*count * l->phentsize;
}

static int elfdyn_note_load(struct elfdyn_segments *out,
			    const unsigned char *ph,
			    const struct elfdyn_layout *l, int data,
			    struct error *err)
{
	struct elfdyn_load *ld;

	if (out->load_count >= ELFDYN_LOADS_MAX)
		return error_set(err, ERROR_LIMIT,
				 "more than %d PT_LOAD segments "
				 "(ELFDYN_LOADS_MAX)", ELFDYN_LOADS_MAX);
	ld = &out->loads[out->load_count++];
	ld->offset = elfdyn_get(ph + l->p_offset, l->word, data);
	ld->vaddr = elfdyn_get(ph + l->p_vaddr, l->word, data);
	ld->filesz = elfdyn_get(ph + l->p_filesz, l->word, data);
	ld->align = elfdyn_get(ph + l->p_align, l->word, data);
	return 0;
}

int elfdyn_parse_phdrs(int elf_class, int elf_data,
		       const unsigned char *table, size_t len, uint16_t count,
		       struct elfdyn_segments *out, struct error *err)
{
	const struct elfdyn_layout *l = elfdyn_layout(elf_class);
	uint16_t i;

	memset(out, 0, sizeof(*out));
	out->elf_class = elf_class;
	out->elf_data = elf_data;
	if ((uint64_t)count * l->phentsize > len)
		return error_set(err, ERROR_FORMAT,
				 "program headers truncated: %u need %zu "
				 "bytes, %zu read", count,
				 (size_t)count * l->phentsize, len);
	for (i = 0; i < count; i++) {
		const unsigned char *ph = table + (size_t)i * l->phentsize;
		uint64_t type = elfdyn_get(ph, 4, elf_data);

		if (type == ELFDYN_PT_LOAD &&
		    elfdyn_note_load(out, ph, l, elf_data, err) < 0)
			return -1;
		/* ld.so and the kernel take the first PT_DYNAMIC */
		if (type == ELFDYN_PT_DYNAMIC && !out->has_dynamic) {
			out->has_dynamic = true;
			out->dyn_offset =
			    elfdyn_get(ph + l->p_offset, l->word, elf_data);
			out->dyn_size =
			    elfdyn_get(ph + l->p_filesz, l->word, elf_data);
		}
	}
	return 0;
}

static int elfdyn_take(struct elfdyn_info *out, uint64_t tag, uint64_t val,
		       struct error *err)
{
	switch (tag) {
	case ELFDYN_DT_NEEDED:
		if (out->needed_count >= ELFDYN_NEEDED_MAX)
			return error_set(err, ERROR_LIMIT,
					 "more than %d DT_NEEDED entries "
					 "(ELFDYN_NEEDED_MAX)",
					 ELFDYN_NEEDED_MAX);
		out->needed[out->needed_count++] = val;
		break;
	case ELFDYN_DT_STRTAB:
		out->has_strtab = true;
		out->strtab = val;
		break;
	case ELFDYN_DT_STRSZ:
		out->has_strsz = true;
		out->strsz = val;
		break;
	case ELFDYN_DT_RPATH:
		out->has_rpath = true;
		out->rpath = val;
		break;
	case ELFDYN_DT_RUNPATH:
		out->has_runpath = true;
		out->runpath = val;
		break;
	case ELFDYN_DT_SONAME:
		out->has_soname = true;
		out->soname = val;
		break;
	case ELFDYN_DT_FLAGS_1:
		out->flags_1 = val;
		break;
	}
	return 0;
}

int elfdyn_parse_dynamic(int elf_class, int elf_data,
			 const unsigned char *dyn, size_t len,
			 struct elfdyn_info *out, struct error *err)
{
	size_t word = elfdyn_layout(elf_class)->word, i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i + 2 * word <= len; i += 2 * word) {
		uint64_t tag = elfdyn_get(dyn + i, word, elf_data);
		uint64_t val = elfdyn_get(dyn + i + word, word, elf_data);

		if (i / (2 * word) >= ELFDYN_ENTRIES_MAX)
			return error_set(err, ERROR_LIMIT,
					 "more than %d dynamic entries "
					 "(ELFDYN_ENTRIES_MAX)",
					 ELFDYN_ENTRIES_MAX);
		if (tag == ELFDYN_DT_NULL)
			break;
		if (elfdyn_take(out, tag, val, err) < 0)
			return -1;
	}
	if (!out->needed_count && !out->has_rpath && !out->has_runpath)
		return 0;
	if (!out->has_strtab || !out->has_strsz)
		return error_set(err, ERROR_FORMAT,
				 "dynamic section names libraries but has no "
				 "%s", out->has_strtab ? "DT_STRSZ"
						       : "DT_STRTAB");
	return 0;
}

int elfdyn_vaddr_offset(const struct elfdyn_segments *s, uint64_t vaddr,
			uint64_t size, uint64_t *offset, struct error *err)
{
	size_t i;

	for (i = 0; i < s->load_count; i++) {
		const struct elfdyn_load *ld = &s->loads[i];

		if (vaddr < ld->vaddr || vaddr - ld->vaddr > ld->filesz)
			continue;
		if (size > ld->filesz - (vaddr - ld->vaddr))
			continue;
		*offset = ld->offset + (vaddr - ld->vaddr);
		if (*offset < ld->offset)
			break;   /* wrapped around */
		return 0;
	}
	return error_set(err, ERROR_FORMAT,
			 "address 0x%" PRIx64 " (%" PRIu64 " bytes) lies in "
			 "no PT_LOAD segment's file data", vaddr, size);
}

int elfdyn_string(const unsigned char *table, size_t len, uint64_t strsz,
		  uint64_t at, char **out, struct error *err)
{
	const unsigned char *nul;
	size_t room;

	*out = NULL;
	if (at >= strsz || at >= len)
		return error_set(err, ERROR_FORMAT,
				 "string offset %" PRIu64 " past the end of "
				 "the string table (%" PRIu64 " bytes)", at,
				 strsz);
	room = len - (size_t)at;
	if (room > ELFDYN_STRING_MAX + 1)
		room = ELFDYN_STRING_MAX + 1;
	nul = memchr(table + at, '\0', room);
	if (!nul)
		return error_set(err, ERROR_FORMAT,
				 "string at offset %" PRIu64 " has no NUL "
				 "within %d bytes (ELFDYN_STRING_MAX) or the "
				 "table", at, ELFDYN_STRING_MAX);
	*out = xstrndup((const char *)table + at, (size_t)(nul - table) - at);
	return 0;
}

uint64_t elfdyn_min_align(const struct elfdyn_segments *s)
{
	uint64_t min = 0;
	size_t i;

	for (i = 0; i < s->load_count; i++)
		if (i == 0 || s->loads[i].align < min)
			min = s->loads[i].align;
	return min;
}
