/* OCI platforms: parsing, containerd's normalisation, and its matcher. */
#include "platform.h"

#include <ctype.h>
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "preflight/error.h"
#include "preflight/escape.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258 /* missing from glibc before 2.36 */
#endif

/* The operating system containerd assumes for an empty os (runtime.GOOS). */
#define PLATFORM_DEFAULT_OS "linux"

/* How much of a rejected --platform text a message quotes. */
#define PLATFORM_QUOTE_MAX 128

/*
 * containerd's normalizeArch (containerd/platforms database.go) as rows:
 * the first row whose arch matches, and whose variant matches when the
 * row names one, wins; to_variant NULL keeps the variant. Both sides are
 * lowercase.
 */
/* clang-format off */
static const struct platform_arch_rule {
	const char *arch;
	const char *variant;      /* NULL: any */
	const char *to_arch;
	const char *to_variant;   /* NULL: keep */
} platform_arch_rules[] = {
	{ "i386", NULL, "386", "" },
	{ "x86_64", "v1", "amd64", "" },
	{ "x86_64", NULL, "amd64", NULL },
	{ "x86-64", "v1", "amd64", "" },
	{ "x86-64", NULL, "amd64", NULL },
	{ "amd64", "v1", "amd64", "" },
	{ "aarch64", "8", "arm64", "" },
	{ "aarch64", "v8", "arm64", "" },
	{ "aarch64", "v8.0", "arm64", "" },
	{ "aarch64", "9", "arm64", "v9" },
	{ "aarch64", "9.0", "arm64", "v9" },
	{ "aarch64", "v9.0", "arm64", "v9" },
	{ "aarch64", NULL, "arm64", NULL },
	{ "arm64", "8", "arm64", "" },
	{ "arm64", "v8", "arm64", "" },
	{ "arm64", "v8.0", "arm64", "" },
	{ "arm64", "9", "arm64", "v9" },
	{ "arm64", "9.0", "arm64", "v9" },
	{ "arm64", "v9.0", "arm64", "v9" },
	{ "armhf", NULL, "arm", "v7" },
	{ "armel", NULL, "arm", "v6" },
	{ "arm", "", "arm", "v7" },
	{ "arm", "7", "arm", "v7" },
	{ "arm", "5", "arm", "v5" },
	{ "arm", "6", "arm", "v6" },
	{ "arm", "8", "arm", "v8" },
};
/* clang-format on */

/* clang-format off */
static const char *const platform_no_variant[] = { "", NULL };
static const char *const platform_amd64_variants[] = {
	"", "v2", "v3", "v4", NULL	/* v1 normalises to "" */
};
static const char *const platform_arm_variants[] = {
	"v5", "v6", "v7", "v8", NULL	/* "" normalises to v7 */
};
static const char *const platform_riscv64_variants[] = {
	"", "rva20u64", "rva22u64", "rva23u64", NULL	/* RVA profiles */
};
/* clang-format on */

/*
 * The architectures we know, the variants the image-spec and the runtimes
 * use for them (after normalisation), and what the kernel expects in an
 * ELF header (ELF gABI e_ident and e_machine; each psABI names its
 * machine). variants NULL means the arm64 rule (v8.x, v9.x).
 */
/* clang-format off */
static const struct platform_arch {
	const char *name;
	const char *const *variants;
	struct platform_elf elf;
} platform_arches[] = {
	{ "amd64", platform_amd64_variants,
	  { ELFCLASS64, ELFDATA2LSB, EM_X86_64 } },
	{ "386", platform_no_variant, { ELFCLASS32, ELFDATA2LSB, EM_386 } },
	{ "arm", platform_arm_variants, { ELFCLASS32, ELFDATA2LSB, EM_ARM } },
	{ "arm64", NULL, { ELFCLASS64, ELFDATA2LSB, EM_AARCH64 } },
	{ "ppc64le", platform_no_variant,
	  { ELFCLASS64, ELFDATA2LSB, EM_PPC64 } },
	{ "ppc64", platform_no_variant, { ELFCLASS64, ELFDATA2MSB, EM_PPC64 } },
	{ "s390x", platform_no_variant, { ELFCLASS64, ELFDATA2MSB, EM_S390 } },
	{ "riscv64", platform_riscv64_variants,
	  { ELFCLASS64, ELFDATA2LSB, EM_RISCV } },
	{ "loong64", platform_no_variant,
	  { ELFCLASS64, ELFDATA2LSB, EM_LOONGARCH } },
	{ "mips", platform_no_variant, { ELFCLASS32, ELFDATA2MSB, EM_MIPS } },
	{ "mipsle", platform_no_variant, { ELFCLASS32, ELFDATA2LSB, EM_MIPS } },
	{ "mips64", platform_no_variant, { ELFCLASS64, ELFDATA2MSB, EM_MIPS } },
	{ "mips64le", platform_no_variant,
	  { ELFCLASS64, ELFDATA2LSB, EM_MIPS } },
	{ "wasm", platform_no_variant, { 0, 0, 0 } },
};
/* clang-format on */

#define PLATFORM_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void platform_copy_field(char *dst, const char *src)
{
	snprintf(dst, PLATFORM_FIELD_MAX, "%s", src ? src : "");
}

static void platform_lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static bool platform_in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

void platform_set(struct platform *out, const char *os, const char *arch,
		  const char *variant)
{
	platform_copy_field(out->os, os);
	platform_copy_field(out->arch, arch);
	platform_copy_field(out->variant, variant);
}

static void platform_normalize_arch(char *arch, char *variant)
{
	const struct platform_arch_rule *r;
	size_t i;

	for (i = 0; i < PLATFORM_COUNT(platform_arch_rules); i++) {
		r = &platform_arch_rules[i];
		if (strcmp(arch, r->arch))
			continue;
		if (r->variant && strcmp(variant, r->variant))
			continue;
		platform_copy_field(arch, r->to_arch);
		if (r->to_variant)
			platform_copy_field(variant, r->to_variant);
		return;
	}
}

void platform_normalize(struct platform *p)
{
	platform_lowercase(p->os);
	platform_lowercase(p->arch);
	platform_lowercase(p->variant);
	if (!strcmp(p->os, "macos"))
		platform_copy_field(p->os, "darwin");
	platform_normalize_arch(p->arch, p->variant);
}

const char *platform_format(const struct platform *p, char *buf)
{
	if (p->variant[0])
		snprintf(buf, PLATFORM_STRING_MAX, "%s/%s/%s", p->os, p->arch,
			 p->variant);
	else
		snprintf(buf, PLATFORM_STRING_MAX, "%s/%s", p->os, p->arch);
	return buf;
}

static bool platform_fields_equal(const struct platform *a,
				  const struct platform *b)
{
	return !strcmp(a->os, b->os) && !strcmp(a->arch, b->arch) &&
	       !strcmp(a->variant, b->variant);
}

bool platform_equal(const struct platform *a, const struct platform *b)
{
	struct platform na = *a;
	struct platform nb = *b;

	platform_normalize(&na);
	platform_normalize(&nb);
	return platform_fields_equal(&na, &nb);
}

static const struct platform_arch *platform_arch_find(const char *arch)
{
	size_t i;

	for (i = 0; i < PLATFORM_COUNT(platform_arches); i++)
		if (!strcmp(platform_arches[i].name, arch))
			return &platform_arches[i];
	return NULL;
}

/*
 * arm64 variants after normalisation: "" (v8, v8.0), v9 (v9.0), and
 * v8.1-v8.9 or v9.1-v9.9, the Arm architecture extensions; containerd's
 * matcher reads only a one-digit minor.
 */
static bool platform_arm64_variant_ok(const char *v)
{
	if (!v[0] || !strcmp(v, "v9"))
		return true;
	return strlen(v) == 4 && v[0] == 'v' && (v[1] == '8' || v[1] == '9') &&
	       v[2] == '.' && v[3] >= '1' && v[3] <= '9';
}

bool platform_is_valid(const struct platform *p)
{
	const struct platform_arch *a;
	struct platform n = *p;

	platform_normalize(&n);
	if (!n.os[0])
		return false;
	a = platform_arch_find(n.arch);
	if (!a)
		return false;
	if (!a->variants)
		return platform_arm64_variant_ok(n.variant);
	return platform_in_list(n.variant, a->variants);
}

bool platform_is_unknown(const struct platform *p)
{
	return !strcasecmp(p->os, "unknown") || !strcasecmp(p->arch, "unknown");
}

bool platform_elf_for(const struct platform *p, struct platform_elf *out)
{
	const struct platform_arch *a;
	struct platform n = *p;

	memset(out, 0, sizeof(*out));
	platform_normalize(&n);
	a = platform_arch_find(n.arch);
	if (!a || !a->elf.machine)
		return false;
	*out = a->elf;
	return true;
}

/* --- containerd's platforms.Only (compare.go, platformVector) --- */

/* A decimal of at most 3 digits, or -1 (strconv.Atoi, bounded). */
static int platform_number(const char *s)
{
	int n = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i >= 3 || !isdigit((unsigned char)s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return i ? n : -1;
}

/* "vN" or "N" to N, or -1. */
static int platform_variant_number(const char *variant)
{
	return platform_number(variant[0] == 'v' ? variant + 1 : variant);
}

/* Add one entry, normalised as containerd's matchers normalise theirs. */
static void platform_vector_push(struct platform_vector *v, const char *os,
				 const char *arch, const char *variant)
{
	struct platform *p;

	/* Only absurd variants (amd64/v40) reach the cap; drop the tail. */
	if (v->count >= PLATFORM_VECTOR_MAX)
		return;
	p = &v->item[v->count++];
	platform_set(p, os, arch, variant);
	platform_normalize(p);
}

/* arch/v<from> down to arch/v<to>, both included. */
static void platform_vector_push_down(struct platform_vector *v, const char *os,
				      const char *arch, int from, int to)
{
	char variant[PLATFORM_FIELD_MAX];

	for (; from >= to; from--) {
		snprintf(variant, sizeof(variant), "v%d", from);
		platform_vector_push(v, os, arch, variant);
	}
}

/* arm/vN (N > 5) also runs arm/vN-1 down to arm/v5. */
static void platform_vector_arm(struct platform_vector *v, const char *os,
				const char *variant)
{
	int n = platform_variant_number(variant);

	platform_vector_push(v, os, "arm", variant);
	if (n > 5)
		platform_vector_push_down(v, os, "arm", n - 1, 5);
}

/* arm64/v<major>.<minor-1> down to arm64/v<major> (the .0 is implied). */
static void platform_vector_arm64_minors(struct platform_vector *v,
					 const char *os, int major, int minor)
{
	char variant[PLATFORM_FIELD_MAX];

	for (minor--; minor >= 0; minor--) {
		if (minor)
			snprintf(variant, sizeof(variant), "v%d.%d", major,
				 minor);
		else
			snprintf(variant, sizeof(variant), "v%d", major);
		platform_vector_push(v, os, "arm64", variant);
	}
}

/* Split "v8.2" into 8 and 2; the minor counts only when one digit. */
static void platform_arm64_version(const char *variant, int *major, int *minor)
{
	char head[PLATFORM_FIELD_MAX];
	const char *dot = strchr(variant, '.');
	size_t len = dot ? (size_t)(dot - variant) : strlen(variant);

	snprintf(head, sizeof(head), "%.*s", (int)len, variant);
	*major = platform_variant_number(head);
	*minor = 0;
	if (dot && strlen(variant) == 4 && platform_number(dot + 1) >= 0)
		*minor = platform_number(dot + 1);
}

/*
 * arm64/v8.x runs v8.{x-1}..v8; arm64/v9.x runs v9.{x-1}..v9 and then
 * v8.{x+5}..v8 (v9.0 forked from v8.5); all of them run arm/v8 and below.
 */
static void platform_vector_arm64(struct platform_vector *v, const char *os,
				  const char *node_variant)
{
	const char *variant = node_variant[0] ? node_variant : "v8";
	int major, minor;

	platform_arm64_version(variant, &major, &minor);
	if (major >= 8) {
		if (major == 9) {
			platform_vector_arm64_minors(v, os, 9, minor);
			/* v8.{x+5} itself, then v8.{x+4} down to v8 */
			platform_vector_arm64_minors(v, os, 8, minor + 6);
		} else {
			platform_vector_arm64_minors(v, os, major, minor);
		}
	}
	if (!strncmp(variant, "v8.", 3) || !strncmp(variant, "v9.", 3))
		variant = "v8";
	platform_vector_arm(v, os, variant);
}

void platform_vector_for(const struct platform *node,
			 struct platform_vector *out)
{
	struct platform n = *node;
	int level;

	platform_normalize(&n);
	memset(out, 0, sizeof(*out));
	level = platform_variant_number(n.variant);
	if (!strcmp(n.arch, "arm64")) {
		platform_vector_push(out, n.os, n.arch, n.variant);
		platform_vector_arm64(out, n.os, n.variant);
	} else if (!strcmp(n.arch, "arm")) {
		platform_vector_arm(out, n.os, n.variant);
	} else {
		platform_vector_push(out, n.os, n.arch, n.variant);
	}
	if (!strcmp(n.arch, "amd64")) {
		/* amd64/vN runs vN-1..v1 (v1 is plain amd64), then 386 */
		if (level > 1)
			platform_vector_push_down(out, n.os, "amd64", level - 1,
						  1);
		platform_vector_push(out, n.os, "386", "");
	}
}

int platform_vector_rank(const struct platform_vector *v,
			 const struct platform *candidate)
{
	struct platform c = *candidate;
	int i;

	platform_normalize(&c);
	/* containerd's normalizeOS turns "" into runtime.GOOS: Linux here. */
	if (!c.os[0])
		platform_copy_field(c.os, PLATFORM_DEFAULT_OS);
	for (i = 0; i < v->count; i++)
		if (platform_fields_equal(&v->item[i], &c))
			return i;
	return -1;
}

/* --- parsing --platform text, "os/arch[/variant]" --- */

static int platform_parse_fail(struct error *err, const char *text,
			       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int platform_parse_fail(struct error *err, const char *text,
			       const char *fmt, ...)
{
	char quoted[PLATFORM_QUOTE_MAX];
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	escape_into(quoted, sizeof(quoted), text);
	return error_set(err, ERROR_USAGE, "invalid platform '%s': %s", quoted,
			 reason);
}

/* containerd's specifier component: [A-Za-z0-9_.-]+ */
static bool platform_component_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* Check one component of text and copy it into field. */
static int platform_take(const char *text, const char *start, size_t len,
			 const char *name, char *field, struct error *err)
{
	if (!len)
		return platform_parse_fail(err, text, "empty %s", name);
	if (len >= PLATFORM_FIELD_MAX)
		return platform_parse_fail(err, text, "%s longer than %d bytes",
					   name, PLATFORM_FIELD_MAX - 1);
	if (!platform_component_ok(start, len))
		return platform_parse_fail(err, text,
					   "%s may hold only letters, digits, "
					   "'_', '.' and '-'",
					   name);
	memcpy(field, start, len);
	field[len] = '\0';
	return 0;
}

/* Cut text at '/' into at most 3 fields; returns how many, or -1. */
static int platform_split(const char *text, char fields[3][PLATFORM_FIELD_MAX],
			  struct error *err)
{
	/* clang-format off */
	static const char *const names[2][3] = {
		{ "architecture", "", "" },
		{ "operating system", "architecture", "variant" },
	};
	/* clang-format on */
	const char *start = text, *slash;
	int count = 1, i;
	size_t len;

	for (slash = text; (slash = strchr(slash, '/')); slash++)
		count++;
	if (count > 3)
		return platform_parse_fail(err, text,
					   "%d components, expected "
					   "os/arch[/variant]",
					   count);
	for (i = 0; i < count; i++) {
		slash = strchr(start, '/');
		len = slash ? (size_t)(slash - start) : strlen(start);
		if (platform_take(text, start, len, names[count > 1][i],
				  fields[i], err) < 0)
			return -1;
		start = slash ? slash + 1 : start;
	}
	return count;
}

/* A bare architecture means linux/<arch>; it must be one we know. */
static int platform_parse_arch(const char *text, const char *arch,
			       struct platform *out, struct error *err)
{
	platform_set(out, PLATFORM_DEFAULT_OS, arch, "");
	platform_normalize(out);
	if (!platform_arch_find(out->arch))
		return platform_parse_fail(err, text,
					   "unknown architecture, expected "
					   "os/arch[/variant]");
	return 0;
}

int platform_parse(const char *text, struct platform *out, struct error *err)
{
	char fields[3][PLATFORM_FIELD_MAX] = {"", "", ""};
	struct platform os_only;
	int count;

	memset(out, 0, sizeof(*out));
	if (!text[0])
		return platform_parse_fail(err, text,
					   "expected os/arch[/variant]");
	count = platform_split(text, fields, err);
	if (count < 0)
		return -1;
	if (count == 1)
		return platform_parse_arch(text, fields[0], out, err);
	/* "amd64/v3" is a common slip for linux/amd64/v3. */
	platform_set(&os_only, "", fields[0], "");
	platform_normalize(&os_only);
	if (platform_arch_find(os_only.arch))
		return platform_parse_fail(err, text,
					   "'%s' is an architecture, expected "
					   "os/arch[/variant]",
					   fields[0]);
	platform_set(out, fields[0], fields[1], fields[2]);
	platform_normalize(out);
	return 0;
}
