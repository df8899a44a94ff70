/* ELF headers read as the ELF gABI lays them out and Linux checks them. */
#include "elf.h"

#include <inttypes.h>
#include <string.h>

#include "error.h"

/* ELF gABI, "ELF Identification": indexes into e_ident. */
#define ELF_EI_CLASS 4
#define ELF_EI_DATA 5
#define ELF_EI_VERSION 6
#define ELF_EI_OSABI 7
#define ELF_EI_NIDENT 16
#define ELF_EV_CURRENT 1
#define ELF_CLASS32 1
#define ELF_CLASS64 2
#define ELF_DATA2LSB 1
#define ELF_DATA2MSB 2
/* ELF gABI, "Program Header": segment types. */
#define ELF_PT_LOAD 1
#define ELF_PT_INTERP 3
#define ELF_PT_NOTE 4
#define ELF_PT_GNU_PROPERTY 0x6474e553
/* Linux binfmt_elf refuses a PT_INTERP shorter than one byte and a NUL. */
#define ELF_INTERP_MIN 2

/* Where the fields we read sit, per class (ELF gABI, Elf32_* / Elf64_*). */
struct elf_layout {
	const char *name;
	size_t ehsize;	  /* sizeof(ElfN_Ehdr) */
	size_t phentsize; /* sizeof(ElfN_Phdr) */
	size_t word;	  /* ElfN_Addr and ElfN_Off */
	size_t e_entry, e_phoff, e_flags, e_ehsize, e_phentsize, e_phnum;
	size_t p_offset, p_filesz, p_align; /* p_type is at 0 in both */
};

static const struct elf_layout elf_layout32 = {
    "ELF32", 52, 32, 4, 24, 28, 36, 40, 42, 44, 4, 16, 28,
};

static const struct elf_layout elf_layout64 = {
    "ELF64", 64, 56, 8, 24, 32, 48, 52, 54, 56, 8, 32, 48,
};

/* The bytes given, in the file's byte order. */
struct elf_reader {
	const unsigned char *data;
	size_t len;
	uint64_t file_size;
	bool big_endian;
	const struct elf_layout *layout;
};

/*
 * An unsigned field of width bytes at offset at, assembled byte by byte
 * so that neither the host's byte order nor alignment matters. The
 * caller has checked that the bytes lie within the data.
 */
static uint64_t elf_read(const struct elf_reader *r, size_t at, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width; i++) {
		size_t k = r->big_endian ? i : width - 1 - i;

		v = (v << 8) | r->data[at + k];
	}
	return v;
}

static bool elf_magic_matches(const unsigned char *data, size_t len)
{
	static const unsigned char magic[] = {0x7f, 'E', 'L', 'F'};

	if (!data || len == 0)
		return false;
	return !memcmp(data, magic, len < sizeof(magic) ? len : sizeof(magic));
}

bool elf_is_elf(const unsigned char *data, size_t len)
{
	return len >= 4 && elf_magic_matches(data, len);
}

/* ELF gABI e_ident: magic, EI_CLASS, EI_DATA and EI_VERSION. */
static int elf_check_ident(const unsigned char *data, size_t len,
			   struct error *err)
{
	if (!elf_magic_matches(data, len))
		return error_set(err, ERROR_FORMAT,
				 "not an ELF file (bad magic bytes)");
	if (len < ELF_EI_NIDENT)
		return error_set(err, ERROR_FORMAT,
				 "truncated ELF header: %zu bytes, need %d",
				 len, ELF_EI_NIDENT);
	if (data[ELF_EI_CLASS] != ELF_CLASS32 &&
	    data[ELF_EI_CLASS] != ELF_CLASS64)
		return error_set(err, ERROR_FORMAT,
				 "bad ELF class %u (EI_CLASS), expected 1 or 2",
				 data[ELF_EI_CLASS]);
	if (data[ELF_EI_DATA] != ELF_DATA2LSB &&
	    data[ELF_EI_DATA] != ELF_DATA2MSB)
		return error_set(
		    err, ERROR_FORMAT,
		    "bad ELF byte order %u (EI_DATA), expected 1 or 2",
		    data[ELF_EI_DATA]);
	if (data[ELF_EI_VERSION] != ELF_EV_CURRENT)
		return error_set(err, ERROR_FORMAT,
				 "bad ELF version %u (EI_VERSION), expected %d",
				 data[ELF_EI_VERSION], ELF_EV_CURRENT);
	return 0;
}

/* The ELF header proper: identity, entry point and table sizes. */
static int elf_read_header(const struct elf_reader *r, struct elf_info *out,
			   struct error *err)
{
	const struct elf_layout *l = r->layout;
	uint64_t ehsize;

	if (r->len < l->ehsize)
		return error_set(err, ERROR_FORMAT,
				 "truncated ELF header: %zu bytes, need %zu",
				 r->len, l->ehsize);
	ehsize = elf_read(r, l->e_ehsize, 2);
	if (ehsize != l->ehsize)
		return error_set(err, ERROR_FORMAT,
				 "bad ELF header size %" PRIu64
				 " (e_ehsize), expected %zu for %s",
				 ehsize, l->ehsize, l->name);
	out->type = (uint16_t)elf_read(r, 16, 2);
	out->machine = (uint16_t)elf_read(r, 18, 2);
	out->entry = elf_read(r, l->e_entry, l->word);
	out->flags = (uint32_t)elf_read(r, l->e_flags, 4);
	out->phnum = (uint16_t)elf_read(r, l->e_phnum, 2);
	/* e_shoff, e_shentsize, e_shnum: the kernel ignores them */
	out->shoff = elf_read(r, l->word == 8 ? 40 : 32, l->word);
	out->shentsize = (uint16_t)elf_read(r, l->word == 8 ? 58 : 46, 2);
	out->shnum = (uint16_t)elf_read(r, l->word == 8 ? 60 : 48, 2);
	return 0;
}

/*
 * Linux binfmt_elf elf_read_phdrs: the entry size must be the class's
 * and the whole table must lie within the file. An empty table (an
 * object file) has nothing to check.
 */
static int elf_check_phdr_table(const struct elf_reader *r, uint16_t phnum,
				uint64_t *phoff, struct error *err)
{
	const struct elf_layout *l = r->layout;
	uint64_t phentsize = elf_read(r, l->e_phentsize, 2);
	uint64_t table;

	*phoff = elf_read(r, l->e_phoff, l->word);
	if (phnum == 0)
		return 0;
	if (phentsize != l->phentsize)
		return error_set(err, ERROR_FORMAT,
				 "bad program header size %" PRIu64
				 " (e_phentsize), expected %zu for %s",
				 phentsize, l->phentsize, l->name);
	table = phnum * phentsize;
	if (table > ELF_PHDR_TABLE_MAX)
		return error_set(err, ERROR_FORMAT,
				 "%u program headers (e_phnum) take %" PRIu64
				 " bytes, more than %d (ELF_PHDR_TABLE_MAX)",
				 phnum, table, ELF_PHDR_TABLE_MAX);
	if (*phoff > r->file_size || table > r->file_size - *phoff)
		return error_set(
		    err, ERROR_FORMAT,
		    "program headers past end of file: %u at offset %" PRIu64
		    ", file size %" PRIu64,
		    phnum, *phoff, r->file_size);
	return 0;
}

/* The file's bytes up to end are read by a check. */
static void elf_want(struct elf_info *out, uint64_t end)
{
	if (end > out->head_wanted)
		out->head_wanted = end;
}

/* ELF gABI PT_INTERP; Linux binfmt_elf wants 2..PATH_MAX bytes, NUL last. */
static int elf_read_interp(const struct elf_reader *r, uint64_t offset,
			   uint64_t size, struct elf_info *out,
			   struct error *err)
{
	if (size < ELF_INTERP_MIN || size > ELF_INTERP_MAX)
		return error_set(
		    err, ERROR_FORMAT,
		    "interpreter path of %" PRIu64
		    " bytes (PT_INTERP), expected %d to %d (ELF_INTERP_MAX)",
		    size, ELF_INTERP_MIN, ELF_INTERP_MAX);
	if (offset > r->file_size || size > r->file_size - offset)
		return error_set(err, ERROR_FORMAT,
				 "interpreter path past end of file: %" PRIu64
				 " bytes at offset %" PRIu64
				 ", file size %" PRIu64,
				 size, offset, r->file_size);
	out->has_interp = true;
	elf_want(out, offset + size);
	if (offset > r->len || size > r->len - offset) {
		out->interp_unread = true;
		return 0;
	}
	if (r->data[offset + size - 1] != '\0')
		return error_set(
		    err, ERROR_FORMAT,
		    "interpreter path not NUL-terminated (PT_INTERP)");
	memcpy(out->interp, r->data + offset, (size_t)size);
	return 0;
}

static void elf_note_load(uint64_t align, struct elf_info *out)
{
	if (out->load_count == 0 || align < out->load_align_min)
		out->load_align_min = align;
	if (out->load_count == 0 || align > out->load_align_max)
		out->load_align_max = align;
	out->load_count++;
}

/* One program header, whose bytes at offset at lie within the data. */
static int elf_read_phdr(const struct elf_reader *r, size_t at,
			 struct elf_info *out, struct error *err)
{
	const struct elf_layout *l = r->layout;
	uint64_t type = elf_read(r, at, 4);

	if (type == ELF_PT_LOAD)
		elf_note_load(elf_read(r, at + l->p_align, l->word), out);
	if ((type == ELF_PT_NOTE || type == ELF_PT_GNU_PROPERTY) &&
	    out->note_count < ELF_NOTE_SEGMENTS_MAX) {
		struct elf_segment *n = &out->notes[out->note_count++];

		n->offset = elf_read(r, at + l->p_offset, l->word);
		n->size = elf_read(r, at + l->p_filesz, l->word);
		n->align = elf_read(r, at + l->p_align, l->word);
		n->property = type == ELF_PT_GNU_PROPERTY;
		if (n->offset <= r->file_size)
			elf_want(out, n->offset + (n->size < ELF_NOTE_BYTES_MAX
					 ? n->size : ELF_NOTE_BYTES_MAX));
	}
	/* Linux binfmt_elf uses the first PT_INTERP and ignores the rest. */
	if (type == ELF_PT_INTERP && !out->has_interp)
		return elf_read_interp(
		    r, elf_read(r, at + l->p_offset, l->word),
		    elf_read(r, at + l->p_filesz, l->word), out, err);
	return 0;
}

/* The program headers that lie within the bytes given. */
static int elf_walk_phdrs(const struct elf_reader *r, uint64_t phoff,
			  struct elf_info *out, struct error *err)
{
	uint64_t size = r->layout->phentsize;
	uint16_t i;

	for (i = 0; i < out->phnum; i++) {
		uint64_t at = phoff + i * size;

		if (at > r->len || size > r->len - at)
			out->phdrs_unread = true;
		else if (elf_read_phdr(r, (size_t)at, out, err))
			return -1;
	}
	return 0;
}

int elf_parse(const unsigned char *data, size_t len, uint64_t file_size,
	      struct elf_info *out, struct error *err)
{
	struct elf_reader r = {data, len, file_size, false, NULL};
	uint64_t phoff;

	memset(out, 0, sizeof(*out));
	/* The bytes given are part of the file, whatever size was claimed. */
	if (r.file_size < len)
		r.file_size = len;
	if (!data)
		r.len = len = 0;
	if (elf_check_ident(data, len, err))
		return -1;
	out->elf_class = data[ELF_EI_CLASS];
	out->elf_data = data[ELF_EI_DATA];
	out->osabi = data[ELF_EI_OSABI];
	r.big_endian = out->elf_data == ELF_DATA2MSB;
	r.layout =
	    out->elf_class == ELF_CLASS64 ? &elf_layout64 : &elf_layout32;
	out->head_wanted = r.layout->ehsize;
	if (elf_read_header(&r, out, err) ||
	    elf_check_phdr_table(&r, out->phnum, &phoff, err))
		return -1;
	elf_want(out, phoff + (uint64_t)out->phnum * r.layout->phentsize);
	return elf_walk_phdrs(&r, phoff, out, err);
}

/* --- GNU property notes (gABI "Note Section"; x86-64 psABI) --- */

/* NT_GNU_PROPERTY_TYPE_0 and GNU_PROPERTY_X86_ISA_1_NEEDED. */
#define ELF_NT_GNU_PROPERTY_TYPE_0 5
#define ELF_GNU_PROPERTY_X86_ISA_1_NEEDED 0xc0008002u
/* A note header: namesz, descsz, type, 4 bytes each in both classes. */
#define ELF_NOTE_HEADER 12

static uint64_t elf_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/*
 * The properties of one NT_GNU_PROPERTY_TYPE_0 descriptor: pr_type,
 * pr_datasz, then pr_data padded to the note's alignment.
 */
static int elf_walk_properties(const struct elf_reader *r, size_t at,
			       size_t end, uint64_t align, uint32_t *needed,
			       struct error *err)
{
	int count;

	for (count = 0; at < end && count < ELF_NOTES_MAX; count++) {
		uint64_t type, datasz;

		if (end - at < 8)
			return error_set(err, ERROR_FORMAT,
					 "GNU property header past the end "
					 "of its note");
		type = elf_read(r, at, 4);
		datasz = elf_read(r, at + 4, 4);
		at += 8;
		if (datasz > end - at)
			return error_set(err, ERROR_FORMAT,
					 "GNU property of %" PRIu64 " bytes "
					 "past the end of its note", datasz);
		if (type == ELF_GNU_PROPERTY_X86_ISA_1_NEEDED && datasz == 4) {
			*needed = (uint32_t)elf_read(r, at, 4);
			return 1;
		}
		datasz = elf_align_up(datasz, align);
		if (datasz > end - at)
			break;   /* the last property's padding may be cut */
		at += (size_t)datasz;
	}
	return 0;
}

/* One note at data[at..]: its sizes, and whether it is GNU's type 0. */
static int elf_read_note(const struct elf_reader *r, size_t at,
			 uint64_t align, size_t *desc, size_t *desc_len,
			 size_t *next, bool *property, struct error *err)
{
	uint64_t namesz = elf_read(r, at, 4), descsz = elf_read(r, at + 4, 4);
	uint64_t type = elf_read(r, at + 8, 4);
	/* the descriptor, and the next note, start aligned (glibc's
	   ELF_NOTE_DESC_OFFSET and ELF_NOTE_NEXT_OFFSET) */
	uint64_t name_end = elf_align_up(ELF_NOTE_HEADER + namesz, align);
	uint64_t room = r->len - at;

	if (name_end > room || descsz > room - name_end)
		return error_set(err, ERROR_FORMAT,
				 "note of %" PRIu64 "+%" PRIu64 " bytes past "
				 "the end of its segment", namesz, descsz);
	*desc = at + (size_t)name_end;
	*desc_len = (size_t)descsz;
	*next = at + (size_t)elf_align_up(name_end + descsz, align);
	if (*next > r->len || *next <= at)
		*next = r->len;
	*property = type == ELF_NT_GNU_PROPERTY_TYPE_0 && namesz == 4 &&
		    !memcmp(r->data + at + ELF_NOTE_HEADER, "GNU", 4);
	return 0;
}

int elf_x86_isa_needed(const unsigned char *data, size_t len, int elf_class,
		       int elf_data, uint64_t align, uint32_t *needed,
		       struct error *err)
{
	struct elf_reader r = {data, len, len, elf_data == ELF_DATA2MSB, NULL};
	uint64_t want = elf_class == ELF_CLASS64 ? 8 : 4;
	size_t at = 0, desc = 0, desc_len = 0, next = 0;
	bool property = false;
	int count, ret;

	*needed = 0;
	/* gABI: notes are 4-byte aligned, GNU properties 8 in ELF64 */
	if (align != 8)
		align = 4;
	for (count = 0; len - at >= ELF_NOTE_HEADER && count < ELF_NOTES_MAX;
	     count++) {
		if (elf_read_note(&r, at, align, &desc, &desc_len, &next,
				  &property, err) < 0)
			return -1;
		if (property && align == want) {
			ret = elf_walk_properties(&r, desc, desc + desc_len,
						  align, needed, err);
			if (ret != 0)
				return ret;
		}
		at = next;
	}
	return 0;
}

int elf_x86_isa_level(uint32_t needed)
{
	if (needed & ELF_X86_ISA_V4)
		return 4;
	if (needed & ELF_X86_ISA_V3)
		return 3;
	if (needed & ELF_X86_ISA_V2)
		return 2;
	return needed & ELF_X86_ISA_BASELINE ? 1 : 0;
}

/* --- section headers (gABI "Sections") --- */

int elf_section_find(const unsigned char *table, size_t len,
		     const struct elf_info *e, uint32_t type,
		     uint64_t *offset, uint64_t *size)
{
	struct elf_reader r = {table, len, len, e->elf_data == ELF_DATA2MSB,
			       NULL};
	bool wide = e->elf_class == ELF_CLASS64;
	size_t entsize = wide ? 64 : 40, at;
	uint16_t i;

	if (e->shentsize != entsize)
		return 0;
	for (i = 0; i < e->shnum; i++) {
		at = (size_t)i * entsize;
		if (at > len || entsize > len - at)
			return 0;
		if (elf_read(&r, at + 4, 4) != type)
			continue;
		*offset = elf_read(&r, at + (wide ? 24 : 16), wide ? 8 : 4);
		*size = elf_read(&r, at + (wide ? 32 : 20), wide ? 8 : 4);
		return 1;
	}
	return 0;
}

/* --- ARM build attributes (ARM IHI 0045, "Addenda to the ELF ABI") --- */

/* Tags of the attributes we keep, and of Tag_File. */
#define ELF_ARM_TAG_FILE 1
#define ELF_ARM_TAG_CPU_RAW_NAME 4
#define ELF_ARM_TAG_CPU_NAME 5
#define ELF_ARM_TAG_CPU_ARCH 6
#define ELF_ARM_TAG_CPU_ARCH_PROFILE 7
#define ELF_ARM_TAG_ABI_VFP_ARGS 28
#define ELF_ARM_TAG_COMPATIBILITY 32
#define ELF_ARM_TAG_ALSO_COMPATIBLE_WITH 65
#define ELF_ARM_TAG_CONFORMANCE 67
/* A ULEB128 longer than this many bytes does not fit our values. */
#define ELF_ULEB_BYTES_MAX 5

/* A ULEB128 at data[*at..end); -1 when cut or too long. */
static int elf_uleb(const unsigned char *data, size_t *at, size_t end,
		    uint32_t *value)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < ELF_ULEB_BYTES_MAX && *at < end; i++) {
		unsigned char b = data[(*at)++];

		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*value = (uint32_t)v;
			return v > UINT32_MAX ? -1 : 0;
		}
	}
	return -1;
}

/* Skip a NUL-terminated string at data[*at..end); -1 when cut. */
static int elf_skip_string(const unsigned char *data, size_t *at, size_t end)
{
	const unsigned char *nul = memchr(data + *at, 0, end - *at);

	if (!nul)
		return -1;
	*at = (size_t)(nul - data) + 1;
	return 0;
}

/* Tags that take a string: the named ones and, above 32, odd numbers. */
static bool elf_arm_tag_is_string(uint32_t tag)
{
	if (tag == ELF_ARM_TAG_CPU_RAW_NAME || tag == ELF_ARM_TAG_CPU_NAME ||
	    tag == ELF_ARM_TAG_ALSO_COMPATIBLE_WITH ||
	    tag == ELF_ARM_TAG_CONFORMANCE)
		return true;
	return tag > ELF_ARM_TAG_COMPATIBILITY && (tag & 1);
}

/* The attributes of one Tag_File sub-subsection, data[at..end). */
static int elf_arm_file_attrs(const unsigned char *data, size_t at,
			      size_t end, struct elf_arm_attrs *out)
{
	uint32_t tag, value;

	while (at < end) {
		if (elf_uleb(data, &at, end, &tag) < 0)
			return -1;
		if (elf_arm_tag_is_string(tag)) {
			if (elf_skip_string(data, &at, end) < 0)
				return -1;
			continue;
		}
		if (elf_uleb(data, &at, end, &value) < 0)
			return -1;
		if (tag == ELF_ARM_TAG_COMPATIBILITY &&
		    elf_skip_string(data, &at, end) < 0)
			return -1;
		if (tag == ELF_ARM_TAG_CPU_ARCH)
			out->cpu_arch = (int)value;
		else if (tag == ELF_ARM_TAG_CPU_ARCH_PROFILE)
			out->cpu_arch_profile = (int)value;
		else if (tag == ELF_ARM_TAG_ABI_VFP_ARGS)
			out->vfp_args = (int)value;
	}
	return 0;
}

/* The "aeabi" subsection's body data[at..end): sub-subsections, each a
   tag, a 4-byte size counting tag and size, then its attributes. */
static int elf_arm_aeabi(const struct elf_reader *r, size_t at, size_t end,
			 struct elf_arm_attrs *out, struct error *err)
{
	while (at < end) {
		size_t start = at;
		uint32_t tag;
		uint64_t size;

		if (elf_uleb(r->data, &at, end, &tag) < 0 || end - at < 4)
			return error_set(err, ERROR_FORMAT,
					 "ARM attributes: truncated tag");
		size = elf_read(r, at, 4);
		at += 4;
		if (size < at - start || size > end - start)
			return error_set(err, ERROR_FORMAT,
					 "ARM attributes: a %" PRIu64 "-byte "
					 "block in %zu bytes", size,
					 end - start);
		if (tag == ELF_ARM_TAG_FILE &&
		    elf_arm_file_attrs(r->data, at, start + (size_t)size,
				       out) < 0)
			return error_set(err, ERROR_FORMAT,
					 "ARM attributes: a file attribute "
					 "runs past its block");
		at = start + (size_t)size;
	}
	return 0;
}

int elf_arm_attributes(const unsigned char *data, size_t len, int elf_data,
		       struct elf_arm_attrs *out, struct error *err)
{
	struct elf_reader r = {data, len, len, elf_data == ELF_DATA2MSB, NULL};
	size_t at = 1, name_end;
	uint64_t size;

	out->cpu_arch = out->cpu_arch_profile = out->vfp_args = -1;
	if (len < 1 || data[0] != 'A')
		return error_set(err, ERROR_FORMAT,
				 "ARM attributes: format version is not 'A'");
	while (len - at >= 4) {
		size = elf_read(&r, at, 4);
		if (size < 5 || size > len - at)
			return error_set(err, ERROR_FORMAT,
					 "ARM attributes: a %" PRIu64 "-byte "
					 "subsection in %zu bytes", size,
					 len - at);
		name_end = at + 4;
		if (elf_skip_string(data, &name_end, at + (size_t)size) < 0)
			return error_set(err, ERROR_FORMAT,
					 "ARM attributes: vendor name not "
					 "terminated");
		if (!strcmp((const char *)data + at + 4, "aeabi") &&
		    elf_arm_aeabi(&r, name_end, at + (size_t)size, out,
				  err) < 0)
			return -1;
		at += (size_t)size;
	}
	return 0;
}

const char *elf_machine_name(uint16_t machine)
{
	/* ELF gABI e_machine values, named as binutils' readelf does. */
	static const struct {
		uint16_t machine;
		const char *name;
	} names[] = {
	    {2, "SPARC"},    {3, "Intel 80386"}, {4, "Motorola 68000"},
	    {8, "MIPS"},     {15, "PA-RISC"},	 {18, "SPARC32PLUS"},
	    {20, "PowerPC"}, {21, "PowerPC64"},	 {22, "S/390"},
	    {40, "ARM"},     {42, "SuperH"},	 {43, "SPARC V9"},
	    {50, "IA-64"},   {62, "x86-64"},	 {183, "AArch64"},
	    {243, "RISC-V"}, {247, "BPF"},	 {258, "LoongArch"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].machine == machine)
			return names[i].name;
	return "unknown";
}

const char *elf_class_name(int elf_class)
{
	if (elf_class == ELF_CLASS32)
		return "ELF32";
	if (elf_class == ELF_CLASS64)
		return "ELF64";
	return "unknown";
}

const char *elf_data_name(int elf_data)
{
	if (elf_data == ELF_DATA2LSB)
		return "little-endian";
	if (elf_data == ELF_DATA2MSB)
		return "big-endian";
	return "unknown";
}
