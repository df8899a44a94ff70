/* x86-64 micro-architecture levels (x86-64 psABI): what the node's CPU
   offers, from CPUID or from the flags line of /proc/cpuinfo. */
#include "cpulevel.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* The longest cpuinfo flags line we look at; real ones are ~1.5 KiB. */
#define CPULEVEL_FLAGS_MAX 8192

/*
 * The features each level adds, as Linux names them in the cpuinfo
 * flags (arch/x86/include/asm/cpufeatures.h): "pni" is SSE3, "abm" is
 * LZCNT, "lahf_lm" LAHF/SAHF in long mode. OSXSAVE has no flag of its
 * own; Linux drops the AVX flags when it does not enable XSAVE.
 */
static const char *const cpulevel_v1[] = {
	"cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2", NULL,
};
static const char *const cpulevel_v2[] = {
	"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3", NULL,
};
static const char *const cpulevel_v3[] = {
	"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe",
	"xsave", NULL,
};
static const char *const cpulevel_v4[] = {
	"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", NULL,
};
static const char *const *const cpulevel_flags[CPULEVEL_MAX] = {
	cpulevel_v1, cpulevel_v2, cpulevel_v3, cpulevel_v4,
};

/* Whether the blank-separated list holds the word exactly. */
static bool cpulevel_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
		bool end = !p[n] || p[n] == ' ' || p[n] == '\t' ||
			   p[n] == '\n';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

int cpulevel_from_flags(const char *flags)
{
	const char *const *need;
	int level;

	for (level = 0; level < CPULEVEL_MAX; level++)
		for (need = cpulevel_flags[level]; *need; need++)
			if (!cpulevel_has_word(flags, *need))
				return level;
	return CPULEVEL_MAX;
}

int cpulevel_from_cpuinfo(const char *cpuinfo)
{
	char flags[CPULEVEL_FLAGS_MAX];
	const char *line, *end, *colon;
	size_t klen;

	for (line = cpuinfo; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		colon = memchr(line, ':', (size_t)(end - line));
		if (!colon)
			continue;
		klen = strcspn(line, " \t:");
		if (klen != 5 || strncasecmp(line, "flags", 5))
			continue;
		/* a longer line is cut: the level's flags come early */
		snprintf(flags, sizeof(flags), "%.*s",
			 (int)(end - colon - 1), colon + 1);
		return cpulevel_from_flags(flags);
	}
	return 0;
}

#if defined(__x86_64__)
/* Intel SDM vol. 2A, CPUID: the feature bits each level needs. */
struct cpulevel_regs {
	uint32_t ecx1, edx1;      /* leaf 1 */
	uint32_t ebx7;            /* leaf 7, subleaf 0 */
	uint32_t ecx81, edx81;    /* leaf 0x80000001 */
	uint64_t xcr0;            /* XGETBV(0), when OSXSAVE */
};

#define BIT(n) (1u << (n))

static bool cpulevel_all(uint32_t reg, uint32_t bits)
{
	return (reg & bits) == bits;
}

static void cpulevel_read(struct cpulevel_regs *r)
{
	unsigned int a, b, c, d;

	memset(r, 0, sizeof(*r));
	if (__get_cpuid(1, &a, &b, &c, &d)) {
		r->ecx1 = c;
		r->edx1 = d;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		r->ebx7 = b;
	if (__get_cpuid(0x80000001, &a, &b, &c, &d)) {
		r->ecx81 = c;
		r->edx81 = d;
	}
	if (r->ecx1 & BIT(27)) {   /* OSXSAVE: XGETBV may be executed */
		uint32_t lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		r->xcr0 = ((uint64_t)hi << 32) | lo;
	}
}

/* The x86-64 psABI levels, each a superset of the one before. */
static int cpulevel_of_regs(const struct cpulevel_regs *r)
{
	/* CMOV CX8 FPU FXSR MMX SSE SSE2; SYSCALL and LM */
	if (!cpulevel_all(r->edx1, BIT(15) | BIT(8) | BIT(0) | BIT(24) |
					   BIT(23) | BIT(25) | BIT(26)) ||
	    !cpulevel_all(r->edx81, BIT(11) | BIT(29)))
		return 0;
	/* SSE3 SSSE3 CX16 SSE4.1 SSE4.2 POPCNT; LAHF-SAHF */
	if (!cpulevel_all(r->ecx1, BIT(0) | BIT(9) | BIT(13) | BIT(19) |
					   BIT(20) | BIT(23)) ||
	    !cpulevel_all(r->ecx81, BIT(0)))
		return 1;
	/* FMA MOVBE OSXSAVE AVX F16C; BMI1 AVX2 BMI2; LZCNT; XMM and
	   YMM state enabled by the OS */
	if (!cpulevel_all(r->ecx1, BIT(12) | BIT(22) | BIT(27) | BIT(28) |
					   BIT(29)) ||
	    !cpulevel_all(r->ebx7, BIT(3) | BIT(5) | BIT(8)) ||
	    !cpulevel_all(r->ecx81, BIT(5)) || (r->xcr0 & 0x6) != 0x6)
		return 2;
	/* AVX512F DQ CD BW VL; opmask and ZMM state enabled */
	if (!cpulevel_all(r->ebx7, BIT(16) | BIT(17) | BIT(28) | BIT(30) |
					   BIT(31)) ||
	    (r->xcr0 & 0xe6) != 0xe6)
		return 3;
	return 4;
}

int cpulevel_from_cpuid(void)
{
	struct cpulevel_regs r;

	cpulevel_read(&r);
	return cpulevel_of_regs(&r);
}
#else
int cpulevel_from_cpuid(void)
{
	return 0;
}
#endif

const char *cpulevel_name(int level)
{
	static const char *const names[] = {
		"unknown", "x86-64-v1", "x86-64-v2", "x86-64-v3", "x86-64-v4",
	};

	return level >= 1 && level <= CPULEVEL_MAX ? names[level] : names[0];
}

int cpulevel_from_variant(const char *variant)
{
	const char *v = variant[0] == 'v' ? variant + 1 : variant;

	if (v[0] >= '1' && v[0] <= '0' + CPULEVEL_MAX && !v[1])
		return v[0] - '0';
	return 0;
}
