/* Unit tests for platform/cpulevel.c: cpuinfo flags to x86-64 levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "platform/cpulevel.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define V1 "fpu cx8 cmov mmx fxsr sse sse2 syscall lm"
#define V2 V1 " pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm"
#define V3 V2 " fma movbe xsave avx f16c bmi1 avx2 bmi2 abm"
#define V4 V3 " avx512f avx512dq avx512cd avx512bw avx512vl"

static const struct {
	const char *flags;
	int level;
} flag_cases[] = {
	{ "", 0 },
	{ "fpu vme de pse tsc msr pae mce cx8", 0 },
	{ V1, 1 },
	{ V2, 2 },
	{ V3, 3 },
	{ V4, 4 },
	/* one flag short of each level */
	{ V1 " pni ssse3 cx16 sse4_1 sse4_2 popcnt", 1 },
	{ V2 " fma movbe xsave avx f16c bmi1 avx2 bmi2", 2 },
	{ V3 " avx512f avx512dq avx512cd avx512bw", 3 },
	/* AVX-512 without AVX2 (a kernel that disabled AVX): still v2 */
	{ V2 " avx512f avx512dq avx512cd avx512bw avx512vl", 2 },
	/* a prefix of a flag is not the flag: "sse4" is not "sse4_1" */
	{ V1 " pni ssse3 cx16 sse4 sse4_2 popcnt lahf_lm", 1 },
	{ V1 " pni ssse3 cx16 sse4_1_x sse4_2 popcnt lahf_lm", 1 },
	{ "\t" V2 "\t", 2 },
};

static void test_levels_from_flags(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(flag_cases); i++) {
		int got = cpulevel_from_flags(flag_cases[i].flags);

		if (got != flag_cases[i].level)
			fail_msg("flags '%s': expected level %d, got %d",
				 flag_cases[i].flags, flag_cases[i].level,
				 got);
	}
}

static void test_levels_from_cpuinfo(void **state)
{
	static const struct {
		const char *cpuinfo;
		int level;
	} cases[] = {
		{ "processor\t: 0\nflags\t\t: " V3 "\nbugs\t\t: spectre\n", 3 },
		/* the first processor decides */
		{ "flags\t: " V2 "\n\nflags\t: " V4 "\n", 2 },
		/* "vmx flags" is another line */
		{ "vmx flags\t: " V4 "\nflags\t: " V1 "\n", 1 },
		{ "processor\t: 0\nFeatures\t: half thumb vfp\n", 0 },
		{ "flags: " V4, 4 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		int got = cpulevel_from_cpuinfo(cases[i].cpuinfo);

		if (got != cases[i].level)
			fail_msg("case %zu: expected level %d, got %d", i,
				 cases[i].level, got);
	}
}

static void test_names_and_variants(void **state)
{
	(void)state;
	assert_string_equal(cpulevel_name(0), "unknown");
	assert_string_equal(cpulevel_name(3), "x86-64-v3");
	assert_string_equal(cpulevel_name(5), "unknown");
	assert_int_equal(cpulevel_from_variant("v2"), 2);
	assert_int_equal(cpulevel_from_variant("4"), 4);
	assert_int_equal(cpulevel_from_variant(""), 0);
	assert_int_equal(cpulevel_from_variant("v5"), 0);
	assert_int_equal(cpulevel_from_variant("v33"), 0);
	assert_int_equal(cpulevel_from_variant("v8"), 0);
}

/* This machine's CPUID and its kernel's flags line agree. */
static void test_cpuid_matches_cpuinfo(void **state)
{
	char buf[65536];
	size_t n;
	FILE *f;

	(void)state;
#if defined(__x86_64__)
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		skip();
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_int_equal(cpulevel_from_cpuid(), cpulevel_from_cpuinfo(buf));
	assert_true(cpulevel_from_cpuid() >= 1);
#else
	(void)buf;
	(void)n;
	(void)f;
	assert_int_equal(cpulevel_from_cpuid(), 0);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels_from_flags),
	    cmocka_unit_test(test_levels_from_cpuinfo),
	    cmocka_unit_test(test_names_and_variants),
	    cmocka_unit_test(test_cpuid_matches_cpuinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
