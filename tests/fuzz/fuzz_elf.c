/* Fuzz target: an ELF file's first bytes as the entrypoint check reads
 * them: elf_parse, then each note segment for its x86 ISA level and the
 * section headers for .ARM.attributes, where they lie within the input
 * (the check reads them from the image; here the input is the file). */
#include <stdlib.h>
#include <string.h>

#include "preflight/elf.h"
#include "preflight/error.h"
#include "tests/fuzz/fuzz.h"

/* The size-byte window [offset, offset + n) of the input, or NULL. */
static const unsigned char *fuzz_window(const uint8_t *data, size_t size,
					uint64_t offset, uint64_t n)
{
	if (offset > size || n > size - offset)
		return NULL;
	return data + offset;
}

static void fuzz_notes(const uint8_t *data, size_t size,
		       const struct elf_info *e)
{
	struct error err;
	uint32_t needed;
	int i;

	for (i = 0; i < e->note_count; i++) {
		const struct elf_segment *s = &e->notes[i];
		uint64_t n = s->size > ELF_NOTE_BYTES_MAX ? ELF_NOTE_BYTES_MAX
							  : s->size;
		const unsigned char *p = fuzz_window(data, size, s->offset, n);

		error_init(&err);
		if (p && elf_x86_isa_needed(p, (size_t)n, e->elf_class,
					    e->elf_data, s->align, &needed,
					    &err) == 1)
			(void)elf_x86_isa_level(needed);
	}
}

static void fuzz_arm(const uint8_t *data, size_t size,
		     const struct elf_info *e)
{
	size_t table_len = (size_t)e->shnum * e->shentsize;
	const unsigned char *table, *p;
	struct elf_arm_attrs attrs;
	uint64_t offset, n;
	struct error err;

	if (!e->shoff || !e->shnum || table_len > ELF_SHDR_TABLE_MAX)
		return;
	table = fuzz_window(data, size, e->shoff, table_len);
	if (!table || elf_section_find(table, table_len, e,
				       ELF_SHT_ARM_ATTRIBUTES, &offset,
				       &n) <= 0 ||
	    n > ELF_ARM_ATTRIBUTES_MAX)
		return;
	p = fuzz_window(data, size, offset, n);
	error_init(&err);
	if (p && elf_arm_attributes(p, (size_t)n, e->elf_data, &attrs,
				    &err) < 0 && !err.message[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info *e = calloc(1, sizeof(*e));
	struct error err;

	error_init(&err);
	(void)elf_is_elf(data, size);
	if (elf_parse(data, size, size, e, &err) == 0) {
		if (e->has_interp && strlen(e->interp) >= ELF_INTERP_MAX)
			abort();
		(void)elf_machine_name(e->machine);
		(void)elf_class_name(e->elf_class);
		(void)elf_data_name(e->elf_data);
		fuzz_notes(data, size, e);
		fuzz_arm(data, size, e);
	} else if (!err.message[0]) {
		abort();
	}
	free(e);
	return 0;
}
