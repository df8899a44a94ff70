/* Unit tests for platform/emulation.c: whose /proc/cpuinfo is this? */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "platform/emulation.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The first lines of each kernel's /proc/cpuinfo, as printed. */
static const char cpuinfo_x86[] =
    "processor\t: 0\n"
    "vendor_id\t: AuthenticAMD\n"
    "cpu family\t: 25\n"
    "model name\t: AMD EPYC 7B13\n"
    "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep\n";

static const char cpuinfo_arm64[] =
    "processor\t: 0\n"
    "BogoMIPS\t: 50.00\n"
    "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 8\n";

static const char cpuinfo_armv7[] =
    "processor\t: 0\n"
    "model name\t: ARMv7 Processor rev 4 (v7l)\n"
    "Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 7\n";

static const char cpuinfo_power9[] =
    "processor\t: 0\n"
    "cpu\t\t: POWER9 (architected), altivec supported\n"
    "clock\t\t: 2200.000000MHz\n"
    "revision\t: 2.2 (pvr 004e 1202)\n"
    "\n"
    "timebase\t: 512000000\n"
    "platform\t: pSeries\n";

static const char cpuinfo_s390x[] =
    "vendor_id       : IBM/S390\n"
    "# processors    : 2\n"
    "bogomips per cpu: 3241.00\n"
    "features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh\n";

static const char cpuinfo_riscv[] =
    "processor\t: 0\n"
    "hart\t\t: 0\n"
    "isa\t\t: rv64imafdc_zicsr_zifencei\n"
    "mmu\t\t: sv39\n";

/* No family: text that only resembles one, or nothing. */
static const char cpuinfo_vendor_only[] = "vendor_id\t: GenuineIntel\n";
static const char cpuinfo_keys_in_values[] =
    "model name\t: flags: vendor_id: CPU implementer: timebase:\n"
    "isa_ext\t: rv64\n";

static void check_family(const char *row, const char *expected,
			 const char *found)
{
	if (!expected && !found)
		return;
	if (!expected || !found || strcmp(expected, found))
		fail_msg("%s: expected %s, found %s", row,
			 expected ? expected : "NULL",
			 found ? found : "NULL");
}

static void test_cpuinfo_family(void **state)
{
	/* clang-format off */
	static const struct {
		const char *name;
		const char *cpuinfo;
		const char *family;
	} rows[] = {
		{ "x86", cpuinfo_x86, "x86" },
		{ "arm64", cpuinfo_arm64, "arm" },
		{ "armv7", cpuinfo_armv7, "arm" },
		{ "power9", cpuinfo_power9, "powerpc" },
		{ "s390x", cpuinfo_s390x, "s390" },
		{ "riscv", cpuinfo_riscv, "riscv" },
		{ "vendor only", cpuinfo_vendor_only, NULL },
		{ "keys in values", cpuinfo_keys_in_values, NULL },
		{ "empty", "", NULL },
		{ "NULL", NULL, NULL },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++)
		check_family(rows[i].name, rows[i].family,
			     emulation_cpuinfo_family(rows[i].cpuinfo));
}

static void test_real_family(void **state)
{
	/* clang-format off */
	static const struct {
		const char *arch;
		const char *cpuinfo;
		const char *real;
	} rows[] = {
		/* qemu-user on an x86 machine */
		{ "arm64", cpuinfo_x86, "x86" },
		{ "arm", cpuinfo_x86, "x86" },
		{ "ppc64le", cpuinfo_x86, "x86" },
		{ "s390x", cpuinfo_x86, "x86" },
		{ "riscv64", cpuinfo_x86, "x86" },
		/* qemu-x86_64 on an arm64 machine */
		{ "amd64", cpuinfo_arm64, "arm" },
		/* native, including 32-bit arm on a 64-bit arm kernel */
		{ "amd64", cpuinfo_x86, NULL },
		{ "386", cpuinfo_x86, NULL },
		{ "arm64", cpuinfo_arm64, NULL },
		{ "arm", cpuinfo_arm64, NULL },
		{ "ppc64le", cpuinfo_power9, NULL },
		{ "s390x", cpuinfo_s390x, NULL },
		{ "riscv64", cpuinfo_riscv, NULL },
		/* cannot tell: no claim */
		{ "arm64", NULL, NULL },
		{ "arm64", cpuinfo_vendor_only, NULL },
		{ "loong64", cpuinfo_x86, NULL },
	};
	/* clang-format on */
	char name[64];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		snprintf(name, sizeof(name), "row %zu (%s)", i, rows[i].arch);
		check_family(name, rows[i].real,
			     emulation_real_family(rows[i].arch,
						   rows[i].cpuinfo));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuinfo_family),
		cmocka_unit_test(test_real_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
