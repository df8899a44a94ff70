/* Unit tests for platform/platform.c: containerd's rules, one table each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "platform/platform.h"
#include "preflight/error.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Fail naming the table row, with what was expected and what was found. */
static void check_str(const char *row, const char *what, const char *expected,
		      const char *found)
{
	if (strcmp(expected, found))
		fail_msg("%s: %s: expected '%s', found '%s'", row, what,
			 expected, found);
}

static void check_int(const char *row, const char *what, long expected,
		      long found)
{
	if (expected != found)
		fail_msg("%s: %s: expected %ld, found %ld", row, what, expected,
			 found);
}

static struct platform make(const char *os, const char *arch,
			    const char *variant)
{
	struct platform p;

	platform_set(&p, os, arch, variant);
	return p;
}

/* Every row of containerd's normalizeArch and normalizeOS. */
static void test_normalize(void **state)
{
	/* clang-format off */
	static const struct {
		const char *in[3];
		const char *out;
	} rows[] = {
		{ { "linux", "i386", "v2" }, "linux/386" },
		{ { "linux", "x86_64", "" }, "linux/amd64" },
		{ { "linux", "x86_64", "v1" }, "linux/amd64" },
		{ { "linux", "x86_64", "v3" }, "linux/amd64/v3" },
		{ { "linux", "x86-64", "v1" }, "linux/amd64" },
		{ { "linux", "x86-64", "v2" }, "linux/amd64/v2" },
		{ { "linux", "amd64", "v1" }, "linux/amd64" },
		{ { "linux", "amd64", "v4" }, "linux/amd64/v4" },
		{ { "linux", "aarch64", "" }, "linux/arm64" },
		{ { "linux", "aarch64", "8" }, "linux/arm64" },
		{ { "linux", "aarch64", "v8" }, "linux/arm64" },
		{ { "linux", "aarch64", "v8.0" }, "linux/arm64" },
		{ { "linux", "aarch64", "v8.2" }, "linux/arm64/v8.2" },
		{ { "linux", "aarch64", "9" }, "linux/arm64/v9" },
		{ { "linux", "arm64", "8" }, "linux/arm64" },
		{ { "linux", "arm64", "v8" }, "linux/arm64" },
		{ { "linux", "arm64", "v8.0" }, "linux/arm64" },
		{ { "linux", "arm64", "9" }, "linux/arm64/v9" },
		{ { "linux", "arm64", "9.0" }, "linux/arm64/v9" },
		{ { "linux", "arm64", "v9.0" }, "linux/arm64/v9" },
		{ { "linux", "arm64", "v9.1" }, "linux/arm64/v9.1" },
		{ { "linux", "armhf", "" }, "linux/arm/v7" },
		{ { "linux", "armhf", "v6" }, "linux/arm/v7" },
		{ { "linux", "armel", "" }, "linux/arm/v6" },
		{ { "linux", "arm", "" }, "linux/arm/v7" },
		{ { "linux", "arm", "7" }, "linux/arm/v7" },
		{ { "linux", "arm", "5" }, "linux/arm/v5" },
		{ { "linux", "arm", "6" }, "linux/arm/v6" },
		{ { "linux", "arm", "8" }, "linux/arm/v8" },
		{ { "linux", "arm", "v6" }, "linux/arm/v6" },
		{ { "linux", "arm", "4" }, "linux/arm/4" },
		{ { "Linux", "AMD64", "V1" }, "linux/amd64" },
		{ { "LINUX", "ARM", "V7" }, "linux/arm/v7" },
		{ { "macos", "arm64", "" }, "darwin/arm64" },
		{ { "MacOS", "x86_64", "" }, "darwin/amd64" },
		{ { "windows", "amd64", "" }, "windows/amd64" },
		{ { "linux", "ppc64le", "" }, "linux/ppc64le" },
		{ { "linux", "riscv64", "RVA23U64" },
		  "linux/riscv64/rva23u64" },
	};
	/* clang-format on */
	char buf[PLATFORM_STRING_MAX], row[80];
	struct platform p;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		p = make(rows[i].in[0], rows[i].in[1], rows[i].in[2]);
		snprintf(row, sizeof(row), "normalize %s/%s/%s", rows[i].in[0],
			 rows[i].in[1], rows[i].in[2]);
		platform_normalize(&p);
		check_str(row, "platform", rows[i].out,
			  platform_format(&p, buf));
	}
}

static void test_set_and_format(void **state)
{
	char long_arch[64], buf[PLATFORM_STRING_MAX];
	struct platform p;

	(void)state;
	memset(long_arch, 'a', sizeof(long_arch) - 1);
	long_arch[sizeof(long_arch) - 1] = '\0';
	platform_set(&p, NULL, long_arch, NULL);
	check_str("set NULL os", "os", "", p.os);
	check_str("set NULL variant", "variant", "", p.variant);
	check_int("set long arch", "length", PLATFORM_FIELD_MAX - 1,
		  (long)strlen(p.arch));
	p = make("linux", "arm", "v7");
	check_str("format", "text", "linux/arm/v7", platform_format(&p, buf));
	p = make("linux", "amd64", "");
	check_str("format", "text", "linux/amd64", platform_format(&p, buf));
}

static void test_equal_and_unknown(void **state)
{
	struct platform a = make("linux", "aarch64", "v8");
	struct platform b = make("Linux", "arm64", "");
	struct platform c = make("linux", "arm", "");
	struct platform d = make("linux", "arm", "v6");

	(void)state;
	assert_true(platform_equal(&a, &b));
	assert_false(platform_equal(&c, &d));
	a = make("unknown", "unknown", "");
	assert_true(platform_is_unknown(&a));
	a = make("linux", "unknown", "");
	assert_true(platform_is_unknown(&a));
	assert_false(platform_is_unknown(&d));
}

static void test_parse_good(void **state)
{
	/* clang-format off */
	static const struct {
		const char *text;
		const char *out;
	} rows[] = {
		{ "linux/amd64", "linux/amd64" },
		{ "linux/amd64/v1", "linux/amd64" },
		{ "linux/x86_64/v3", "linux/amd64/v3" },
		{ "linux/arm64/v8", "linux/arm64" },
		{ "Linux/ARM/7", "linux/arm/v7" },
		{ "linux/arm", "linux/arm/v7" },
		{ "linux/arm/v6", "linux/arm/v6" },
		{ "windows/amd64", "windows/amd64" },
		{ "macos/arm64", "darwin/arm64" },
		{ "amd64", "linux/amd64" },
		{ "aarch64", "linux/arm64" },
		{ "armhf", "linux/arm/v7" },
		{ "armel", "linux/arm/v6" },
		{ "i386", "linux/386" },
		{ "s390x", "linux/s390x" },
	};
	/* clang-format on */
	char buf[PLATFORM_STRING_MAX];
	struct platform p;
	struct error err;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		error_init(&err);
		if (platform_parse(rows[i].text, &p, &err) < 0)
			fail_msg("parse '%s': unexpected error: %s",
				 rows[i].text, err.message);
		check_str(rows[i].text, "platform", rows[i].out,
			  platform_format(&p, buf));
	}
}

static void test_parse_bad(void **state)
{
	/* clang-format off */
	static const struct {
		const char *text;
		const char *message;
	} rows[] = {
		{ "", "invalid platform '': expected os/arch[/variant]" },
		{ "x//y", "invalid platform 'x//y': empty architecture" },
		{ "/amd64",
		  "invalid platform '/amd64': empty operating system" },
		{ "linux/", "invalid platform 'linux/': empty architecture" },
		{ "linux/arm/",
		  "invalid platform 'linux/arm/': empty variant" },
		{ "/", "invalid platform '/': empty operating system" },
		{ "linux/arm/v7/x",
		  "invalid platform 'linux/arm/v7/x': 4 components, expected "
		  "os/arch[/variant]" },
		{ "linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "invalid platform 'linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': "
		  "architecture longer than 31 bytes" },
		{ "linux/amd 64",
		  "invalid platform 'linux/amd 64': architecture may hold only "
		  "letters, digits, '_', '.' and '-'" },
		{ "li\nux/amd64",
		  "invalid platform 'li\\nux/amd64': operating system may hold "
		  "only letters, digits, '_', '.' and '-'" },
		{ "sparc9",
		  "invalid platform 'sparc9': unknown architecture, expected "
		  "os/arch[/variant]" },
		{ "linux",
		  "invalid platform 'linux': unknown architecture, expected "
		  "os/arch[/variant]" },
		{ "amd64/v3",
		  "invalid platform 'amd64/v3': 'amd64' is an architecture, "
		  "expected os/arch[/variant]" },
	};
	/* clang-format on */
	struct platform p;
	struct error err;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		error_init(&err);
		check_int(rows[i].text, "return", -1,
			  platform_parse(rows[i].text, &p, &err));
		check_int(rows[i].text, "category", ERROR_USAGE, err.category);
		check_str(rows[i].text, "message", rows[i].message,
			  err.message);
	}
}

/* The vector as "a b c", so that a mismatch prints both whole. */
static void vector_join(const struct platform_vector *v, char *out, size_t size)
{
	char buf[PLATFORM_STRING_MAX];
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < v->count && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 i ? " " : "",
					 platform_format(&v->item[i], buf));
}

static void test_vectors(void **state)
{
	/* clang-format off */
	static const struct {
		const char *node[3];
		const char *vector;
	} rows[] = {
		{ { "linux", "amd64", "" }, "linux/amd64 linux/386" },
		{ { "linux", "amd64", "v3" },
		  "linux/amd64/v3 linux/amd64/v2 linux/amd64 linux/386" },
		{ { "linux", "386", "" }, "linux/386" },
		{ { "linux", "arm64", "" },
		  "linux/arm64 linux/arm/v8 linux/arm/v7 linux/arm/v6 "
		  "linux/arm/v5" },
		{ { "linux", "aarch64", "v8" },
		  "linux/arm64 linux/arm/v8 linux/arm/v7 linux/arm/v6 "
		  "linux/arm/v5" },
		{ { "linux", "arm64", "v8.2" },
		  "linux/arm64/v8.2 linux/arm64/v8.1 linux/arm64 linux/arm/v8 "
		  "linux/arm/v7 linux/arm/v6 linux/arm/v5" },
		{ { "linux", "arm64", "v9.1" },
		  "linux/arm64/v9.1 linux/arm64/v9 linux/arm64/v8.6 "
		  "linux/arm64/v8.5 linux/arm64/v8.4 linux/arm64/v8.3 "
		  "linux/arm64/v8.2 linux/arm64/v8.1 linux/arm64 linux/arm/v8 "
		  "linux/arm/v7 linux/arm/v6 linux/arm/v5" },
		{ { "linux", "arm", "v8" },
		  "linux/arm/v8 linux/arm/v7 linux/arm/v6 linux/arm/v5" },
		{ { "linux", "arm", "v7" },
		  "linux/arm/v7 linux/arm/v6 linux/arm/v5" },
		{ { "linux", "arm", "" },
		  "linux/arm/v7 linux/arm/v6 linux/arm/v5" },
		{ { "linux", "arm", "v6" }, "linux/arm/v6 linux/arm/v5" },
		{ { "linux", "arm", "v5" }, "linux/arm/v5" },
		{ { "linux", "ppc64le", "" }, "linux/ppc64le" },
		{ { "linux", "s390x", "" }, "linux/s390x" },
	};
	/* clang-format on */
	struct platform_vector v;
	struct platform node;
	char joined[2048];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		node = make(rows[i].node[0], rows[i].node[1], rows[i].node[2]);
		platform_vector_for(&node, &v);
		vector_join(&v, joined, sizeof(joined));
		check_str(rows[i].vector, "vector", rows[i].vector, joined);
	}
}

/* The longest vector containerd builds still fits; absurd ones are cut. */
static void test_vector_limits(void **state)
{
	struct platform node = make("linux", "arm64", "v9.9");
	struct platform_vector v;

	(void)state;
	platform_vector_for(&node, &v);
	check_int("arm64/v9.9", "count", 29, v.count);
	node = make("linux", "amd64", "v999");
	platform_vector_for(&node, &v);
	check_int("amd64/v999", "count", PLATFORM_VECTOR_MAX, v.count);
	node = make("linux", "amd64", "v1000");
	platform_vector_for(&node, &v);
	check_int("amd64/v1000", "count", 2, v.count);
}

static void test_ranks(void **state)
{
	/* clang-format off */
	static const struct {
		const char *node[3];
		const char *candidate[3];
		int rank;
	} rows[] = {
		{ { "linux", "arm64", "" }, { "linux", "arm64", "" }, 0 },
		{ { "linux", "arm64", "" }, { "linux", "arm64", "v8" }, 0 },
		{ { "linux", "arm64", "" }, { "linux", "arm", "v7" }, 2 },
		{ { "linux", "arm64", "" }, { "linux", "arm", "" }, 2 },
		{ { "linux", "arm64", "" }, { "linux", "arm", "v5" }, 4 },
		{ { "linux", "arm64", "" }, { "linux", "arm64", "v9" }, -1 },
		{ { "linux", "arm64", "" }, { "linux", "amd64", "" }, -1 },
		{ { "linux", "amd64", "" }, { "linux", "amd64", "" }, 0 },
		{ { "linux", "amd64", "" }, { "linux", "x86_64", "v1" }, 0 },
		{ { "linux", "amd64", "" }, { "", "amd64", "" }, 0 },
		{ { "linux", "amd64", "" }, { "linux", "386", "" }, 1 },
		{ { "linux", "amd64", "" }, { "linux", "amd64", "v2" }, -1 },
		{ { "linux", "amd64", "" }, { "windows", "amd64", "" }, -1 },
		{ { "linux", "amd64", "" }, { "unknown", "unknown", "" }, -1 },
		{ { "linux", "amd64", "v3" }, { "linux", "amd64", "v1" }, 2 },
		{ { "linux", "amd64", "v3" }, { "linux", "amd64", "v4" }, -1 },
		{ { "linux", "amd64", "v3" }, { "linux", "386", "" }, 3 },
		{ { "linux", "arm", "v7" }, { "linux", "arm64", "" }, -1 },
		{ { "linux", "arm", "v7" }, { "linux", "arm", "v6" }, 1 },
		{ { "linux", "arm", "v7" }, { "linux", "armhf", "" }, 0 },
		{ { "linux", "arm", "v7" }, { "linux", "arm", "v8" }, -1 },
		{ { "linux", "arm", "v6" }, { "linux", "arm", "" }, -1 },
	};
	/* clang-format on */
	struct platform_vector v;
	struct platform node, cand;
	char row[160], a[PLATFORM_STRING_MAX], b[PLATFORM_STRING_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		node = make(rows[i].node[0], rows[i].node[1], rows[i].node[2]);
		cand = make(rows[i].candidate[0], rows[i].candidate[1],
			    rows[i].candidate[2]);
		snprintf(row, sizeof(row), "node %s, candidate %s",
			 platform_format(&node, a), platform_format(&cand, b));
		platform_vector_for(&node, &v);
		check_int(row, "rank", rows[i].rank,
			  platform_vector_rank(&v, &cand));
	}
}

static void test_validity(void **state)
{
	/* clang-format off */
	static const struct {
		const char *p[3];
		bool valid;
	} rows[] = {
		{ { "linux", "amd64", "" }, true },
		{ { "linux", "amd64", "v1" }, true },
		{ { "linux", "amd64", "v3" }, true },
		{ { "linux", "amd64", "v4" }, true },
		{ { "linux", "amd64", "v5" }, false },
		{ { "linux", "amd64", "v7" }, false },
		{ { "linux", "x86_64", "" }, true },
		{ { "linux", "386", "" }, true },
		{ { "linux", "386", "v2" }, false },
		{ { "linux", "arm", "" }, true },
		{ { "linux", "arm", "v5" }, true },
		{ { "linux", "arm", "v8" }, true },
		{ { "linux", "arm", "v4" }, false },
		{ { "linux", "arm", "v9" }, false },
		{ { "linux", "arm64", "" }, true },
		{ { "linux", "arm64", "v8" }, true },
		{ { "linux", "arm64", "v8.2" }, true },
		{ { "linux", "arm64", "v9" }, true },
		{ { "linux", "arm64", "v9.0" }, true },
		{ { "linux", "arm64", "v9.4" }, true },
		{ { "linux", "arm64", "v7" }, false },
		{ { "linux", "arm64", "v10" }, false },
		{ { "linux", "arm64", "v8.x" }, false },
		{ { "linux", "ppc64le", "" }, true },
		{ { "linux", "ppc64le", "power9" }, false },
		{ { "linux", "ppc64", "" }, true },
		{ { "linux", "s390x", "" }, true },
		{ { "linux", "riscv64", "" }, true },
		{ { "linux", "riscv64", "rva22u64" }, true },
		{ { "linux", "riscv64", "rva23u64" }, true },
		{ { "linux", "riscv64", "rva99u64" }, false },
		{ { "linux", "loong64", "" }, true },
		{ { "linux", "mips", "" }, true },
		{ { "linux", "mipsle", "" }, true },
		{ { "linux", "mips64", "" }, true },
		{ { "linux", "mips64le", "" }, true },
		{ { "wasip1", "wasm", "" }, true },
		{ { "linux", "sparc64", "" }, false },
		{ { "unknown", "unknown", "" }, false },
		{ { "", "amd64", "" }, false },
	};
	/* clang-format on */
	char row[PLATFORM_STRING_MAX];
	struct platform p;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		p = make(rows[i].p[0], rows[i].p[1], rows[i].p[2]);
		platform_format(&p, row);
		check_int(row, "valid", rows[i].valid, platform_is_valid(&p));
	}
}

static void test_elf(void **state)
{
	/* clang-format off */
	static const struct {
		const char *arch;
		bool known;
		int elf_class, elf_data, machine;
	} rows[] = {
		{ "amd64", true, 2, 1, 62 },    { "x86_64", true, 2, 1, 62 },
		{ "386", true, 1, 1, 3 },       { "i386", true, 1, 1, 3 },
		{ "arm", true, 1, 1, 40 },      { "armhf", true, 1, 1, 40 },
		{ "arm64", true, 2, 1, 183 },   { "aarch64", true, 2, 1, 183 },
		{ "ppc64le", true, 2, 1, 21 },  { "ppc64", true, 2, 2, 21 },
		{ "s390x", true, 2, 2, 22 },    { "riscv64", true, 2, 1, 243 },
		{ "loong64", true, 2, 1, 258 }, { "mips", true, 1, 2, 8 },
		{ "mipsle", true, 1, 1, 8 },    { "mips64", true, 2, 2, 8 },
		{ "mips64le", true, 2, 1, 8 },  { "wasm", false, 0, 0, 0 },
		{ "sparc64", false, 0, 0, 0 },  { "unknown", false, 0, 0, 0 },
	};
	/* clang-format on */
	struct platform_elf elf;
	struct platform p;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		p = make("linux", rows[i].arch, "");
		check_int(rows[i].arch, "known", rows[i].known,
			  platform_elf_for(&p, &elf));
		check_int(rows[i].arch, "class", rows[i].elf_class,
			  elf.elf_class);
		check_int(rows[i].arch, "data", rows[i].elf_data, elf.elf_data);
		check_int(rows[i].arch, "machine", rows[i].machine,
			  elf.machine);
	}
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_set_and_format),
		cmocka_unit_test(test_equal_and_unknown),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_vector_limits),
		cmocka_unit_test(test_ranks),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_elf),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
