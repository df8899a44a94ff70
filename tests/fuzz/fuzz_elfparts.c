/* Fuzz target: the ELF readers past the header on their own, with the
 * class, byte order and alignment from the first byte: bit 0 ELF64,
 * bit 1 big-endian, bit 2 note alignment 8 (else 4), bits 3-4 the
 * reader (0 and 1 GNU property notes, 2 .ARM.attributes, 3 section
 * headers); the rest is the reader's bytes. */
#include <stdlib.h>
#include <string.h>

#include "preflight/elf.h"
#include "preflight/error.h"
#include "tests/fuzz/fuzz.h"

static void fuzz_sections(const unsigned char *d, size_t n, int elf_class,
			  int elf_data)
{
	struct elf_info e;
	uint64_t offset, size;

	memset(&e, 0, sizeof(e));
	e.elf_class = elf_class;
	e.elf_data = elf_data;
	e.shentsize = elf_class == 2 ? 64 : 40;
	e.shnum = (uint16_t)(n / e.shentsize);
	(void)elf_section_find(d, n, &e, ELF_SHT_ARM_ATTRIBUTES, &offset,
			       &size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *d = data + 1;
	int elf_class, elf_data, which;
	struct elf_arm_attrs attrs;
	struct error err;
	uint32_t needed;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	elf_class = data[0] & 1 ? 2 : 1;
	elf_data = data[0] & 2 ? 2 : 1;
	which = (data[0] >> 3) & 3;
	error_init(&err);
	if (which <= 1) {
		if (elf_x86_isa_needed(d, n, elf_class, elf_data,
				       data[0] & 4 ? 8 : 4, &needed,
				       &err) < 0 && !err.message[0])
			abort();
	} else if (which == 2) {
		if (elf_arm_attributes(d, n, elf_data, &attrs, &err) < 0 &&
		    !err.message[0])
			abort();
	} else {
		fuzz_sections(d, n, elf_class, elf_data);
	}
	return 0;
}
