/* OCI platforms: parsing, containerd's normalisation, and its matcher. */
#ifndef PLATFORM_PLATFORM_H
#define PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

struct error;

/* Longest os, architecture or variant string we keep (image-spec has none). */
#define PLATFORM_FIELD_MAX 32

struct platform {
	char os[PLATFORM_FIELD_MAX];
	char arch[PLATFORM_FIELD_MAX];
	char variant[PLATFORM_FIELD_MAX];   /* "" when absent */
};

/*
 * Parse "os/arch[/variant]" (also "arch" alone, meaning linux/arch) and
 * normalise it. Fails with ERROR_USAGE naming the text.
 */
int platform_parse(const char *text, struct platform *out,
		   struct error *err);

/*
 * Fill out from separate fields (any may be NULL or empty) as they came
 * from an index entry or a config. Over-long fields are truncated.
 */
void platform_set(struct platform *out, const char *os, const char *arch,
		  const char *variant);

/*
 * containerd's normalisation: lowercase; os "macos" to "darwin";
 * i386 to 386; x86_64/x86-64 to amd64 (variant v1 dropped);
 * aarch64 to arm64 (variant 8/v8/v8.0 dropped, 9/9.0/v9.0 to v9);
 * armhf to arm/v7; armel to arm/v6; arm variant "" or 7 to v7,
 * 5/6/8 to v5/v6/v8.
 */
void platform_normalize(struct platform *p);

/* "os/arch" or "os/arch/variant" into buf (size >= PLATFORM_STRING_MAX). */
#define PLATFORM_STRING_MAX (3 * PLATFORM_FIELD_MAX + 3)
const char *platform_format(const struct platform *p, char *buf);

/* Equal after normalisation of both sides. */
bool platform_equal(const struct platform *a, const struct platform *b);

/*
 * Whether the tuple is one the image-spec and the runtimes know as valid
 * (for example arm64/v7 or amd64/v7 are not). Unknown architectures are
 * reported as not valid too.
 */
bool platform_is_valid(const struct platform *p);

/* An attestation or other non-runnable entry: os or arch "unknown". */
bool platform_is_unknown(const struct platform *p);

/*
 * Maximum number of platforms a matcher vector holds: arm64/v9.9, the
 * longest containerd builds, has 29 entries.
 */
#define PLATFORM_VECTOR_MAX 32

/*
 * The ordered list of platforms containerd's default matcher accepts for a
 * node of platform `node` (platforms.Only): the node itself first, then its
 * fallbacks: amd64/vN down to v1 then 386; arm/vN down to v5; arm64 then
 * arm/v8 (or the arm64 variant) down to arm/v5.
 */
struct platform_vector {
	struct platform item[PLATFORM_VECTOR_MAX];
	int count;
};

void platform_vector_for(const struct platform *node,
			 struct platform_vector *out);

/*
 * Rank of candidate in the vector (0 = exact), or -1 when the matcher
 * rejects it. The candidate is normalised before comparing.
 */
int platform_vector_rank(const struct platform_vector *v,
			 const struct platform *candidate);

/* What the kernel of a node of this platform expects in an ELF header. */
struct platform_elf {
	int elf_class;          /* 1 = ELFCLASS32, 2 = ELFCLASS64, 0 unknown */
	int elf_data;           /* 1 little-endian, 2 big-endian, 0 unknown */
	uint16_t machine;       /* e_machine, 0 unknown */
};

/* false when the architecture is not one we know the ELF identity for. */
bool platform_elf_for(const struct platform *p, struct platform_elf *out);

#endif
