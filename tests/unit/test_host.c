/* Unit tests for platform/host.c: uname and cpuinfo to containerd's view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform/host.h"
#include "preflight/error.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Raspberry Pi 1 / Zero: an ARM1176 (ARMv6) whose kernel says "7". */
static const char cpuinfo_pi1[] =
    "processor\t: 0\n"
    "model name\t: ARMv6-compatible processor rev 7 (v6l)\n"
    "BogoMIPS\t: 697.95\n"
    "Features\t: half thumb fastmult vfp edsp java tls\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 7\n"
    "CPU variant\t: 0x0\n"
    "CPU part\t: 0xb76\n"
    "CPU revision\t: 7\n"
    "\n"
    "Hardware\t: BCM2835\n"
    "Revision\t: 000e\n";

/* The same board on a kernel from before "model name" was printed. */
static const char cpuinfo_pi1_old[] =
    "Processor\t: ARMv6-compatible processor rev 7 (v6l)\n"
    "BogoMIPS\t: 697.95\n"
    "Features\t: swp half thumb fastmult vfp edsp java tls\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 7\n"
    "CPU part\t: 0xb76\n";

/* Raspberry Pi 3 running a 32-bit kernel. */
static const char cpuinfo_armv7[] =
    "processor\t: 0\n"
    "model name\t: ARMv7 Processor rev 4 (v7l)\n"
    "BogoMIPS\t: 38.40\n"
    "Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 7\n"
    "CPU variant\t: 0x0\n"
    "CPU part\t: 0xd03\n"
    "CPU revision\t: 4\n";

/* A Cortex-A72 with a 64-bit kernel (no model name line). */
static const char cpuinfo_aarch64[] =
    "processor\t: 0\n"
    "BogoMIPS\t: 108.00\n"
    "Features\t: fp asimd evtstrm crc32 cpuid\n"
    "CPU implementer\t: 0x41\n"
    "CPU architecture: 8\n"
    "CPU variant\t: 0x0\n"
    "CPU part\t: 0xd08\n"
    "CPU revision\t: 3\n";

/* A Marvell Kirkwood (ARMv5TE) NAS. */
static const char cpuinfo_armv5[] =
    "Processor\t: Feroceon 88FR131 rev 1 (v5l)\n"
    "BogoMIPS\t: 1191.11\n"
    "CPU implementer\t: 0x56\n"
    "CPU architecture: 5TE\n";

/* What an arm container emulated by qemu-user on x86 sees. */
static const char cpuinfo_x86[] =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n"
    "flags\t\t: fpu vme de pse tsc msr pae mce cx8\n";

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define OUR_MIPS "linux/mips"
#define OUR_MIPS64 "linux/mips64"
#else
#define OUR_MIPS "linux/mipsle"
#define OUR_MIPS64 "linux/mips64le"
#endif

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

static void test_from_uname(void **state)
{
	/* clang-format off */
	static const struct {
		const char *machine;
		const char *cpuinfo;
		const char *platform;
		const char *source;
	} rows[] = {
		{ "x86_64", NULL, "linux/amd64", "" },
		{ "x86_64", cpuinfo_x86, "linux/amd64", "" },
		{ "amd64", NULL, "linux/amd64", "" },
		{ "i386", NULL, "linux/386", "" },
		{ "i486", NULL, "linux/386", "" },
		{ "i586", NULL, "linux/386", "" },
		{ "i686", NULL, "linux/386", "" },
		{ "aarch64", NULL, "linux/arm64", "implied" },
		{ "aarch64", cpuinfo_aarch64, "linux/arm64", "implied" },
		{ "arm64", NULL, "linux/arm64", "implied" },
		{ "armv8l", cpuinfo_aarch64, "linux/arm/v8", "cpuinfo" },
		{ "armv8l", NULL, "linux/arm/v8", "uname" },
		{ "armv7l", NULL, "linux/arm/v7", "uname" },
		{ "armv7l", cpuinfo_armv7, "linux/arm/v7", "cpuinfo" },
		{ "armv7l", cpuinfo_pi1, "linux/arm/v6", "cpuinfo" },
		{ "armv7l", cpuinfo_x86, "linux/arm/v7", "uname" },
		{ "armv6l", cpuinfo_pi1, "linux/arm/v6", "cpuinfo" },
		{ "armv6l", NULL, "linux/arm/v6", "uname" },
		/* containerd reads only "model name", so this says v7 */
		{ "armv6l", cpuinfo_pi1_old, "linux/arm/v7", "cpuinfo" },
		{ "armv5tel", NULL, "linux/arm/v5", "uname" },
		{ "armv5tejl", cpuinfo_armv5, "linux/arm/v5", "cpuinfo" },
		{ "ppc64le", NULL, "linux/ppc64le", "" },
		{ "ppc64", NULL, "linux/ppc64", "" },
		{ "s390x", NULL, "linux/s390x", "" },
		{ "riscv64", NULL, "linux/riscv64", "" },
		{ "loongarch64", NULL, "linux/loong64", "" },
		{ "mips", NULL, OUR_MIPS, "" },
		{ "mips64", NULL, OUR_MIPS64, "" },
		{ "mipsel", NULL, "linux/mipsle", "" },
		{ "mips64el", NULL, "linux/mips64le", "" },
	};
	/* clang-format on */
	char buf[PLATFORM_STRING_MAX], source[32];
	struct platform p;
	struct error err;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		error_init(&err);
		if (host_platform_from_uname(rows[i].machine, rows[i].cpuinfo,
					     &p, source, &err) < 0)
			fail_msg("%s: unexpected error: %s", rows[i].machine,
				 err.message);
		check_str(rows[i].machine, "platform", rows[i].platform,
			  platform_format(&p, buf));
		check_str(rows[i].machine, "variant source", rows[i].source,
			  source);
	}
}

static void test_from_uname_unknown(void **state)
{
	/* clang-format off */
	static const struct {
		const char *machine;
		const char *message;
	} rows[] = {
		{ "sparc64", "unknown machine 'sparc64' from uname: not an "
			     "architecture container images are built for" },
		{ "armv7b", "unknown machine 'armv7b' from uname: not an "
			    "architecture container images are built for" },
		{ "armv9l", "unknown machine 'armv9l' from uname: not an "
			    "architecture container images are built for" },
		{ "", "unknown machine '' from uname: not an architecture "
		      "container images are built for" },
		{ "x86\033[2J", "unknown machine 'x86\\x1b[2J' from uname: "
				"not an architecture container images are "
				"built for" },
	};
	/* clang-format on */
	struct platform p;
	struct error err;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		error_init(&err);
		check_int(rows[i].machine, "return", -1,
			  host_platform_from_uname(rows[i].machine, NULL, &p,
						   NULL, &err));
		check_int(rows[i].machine, "category", ERROR_USAGE,
			  err.category);
		check_str(rows[i].machine, "message", rows[i].message,
			  err.message);
	}
}

static void test_arm_variant_from_cpuinfo(void **state)
{
	/* clang-format off */
	static const struct {
		const char *name;
		const char *cpuinfo;
		const char *variant;
	} rows[] = {
		{ "pi1", cpuinfo_pi1, "v6" },
		{ "pi1 old kernel", cpuinfo_pi1_old, "v7" },
		{ "armv7", cpuinfo_armv7, "v7" },
		{ "aarch64", cpuinfo_aarch64, "v8" },
		{ "armv5", cpuinfo_armv5, "v5" },
		{ "x86", cpuinfo_x86, "" },
		{ "empty", "", "" },
		{ "7M", "CPU architecture: 7M\n", "v7" },
		{ "?(12)", "CPU architecture: ?(12)\n", "v7" },
		{ "6TEJ", "CPU architecture:\t6TEJ\r\n", "v6" },
		{ "5T", "CPU architecture: 5T", "v5" },
		{ "5TEJ", "CPU architecture: 5TEJ\n", "v5" },
		{ "4T", "CPU architecture: 4T\n", "v4" },
		{ "AArch64", "CPU architecture: AArch64\n", "v8" },
		{ "lowercase key", "cpu architecture : 6\n", "v6" },
		{ "unknown value", "CPU architecture: 9\n", "" },
		{ "first wins", "CPU architecture: 6\nCPU architecture: 7\n",
		  "v6" },
		{ "no colon", "CPU architecture 7\n", "" },
		{ "model after", "CPU architecture: 7\nmodel name: ARMv6-"
				 "compatible processor\n", "v6" },
	};
	/* clang-format on */
	char variant[PLATFORM_FIELD_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		host_arm_variant_from_cpuinfo(rows[i].cpuinfo, variant,
					      (int)sizeof(variant));
		check_str(rows[i].name, "variant", rows[i].variant, variant);
	}
}

/* A scratch --root directory, removed again by root_teardown. */
struct root {
	char dir[64];
	char proc[96];
	char cpuinfo[128];
};

static int root_setup(void **state)
{
	struct root *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	snprintf(r->dir, sizeof(r->dir), "/tmp/test_host.XXXXXX");
	if (!mkdtemp(r->dir))
		return -1;
	snprintf(r->proc, sizeof(r->proc), "%s/proc", r->dir);
	snprintf(r->cpuinfo, sizeof(r->cpuinfo), "%s/cpuinfo", r->proc);
	if (mkdir(r->proc, 0755) < 0)
		return -1;
	*state = r;
	return 0;
}

static int root_teardown(void **state)
{
	struct root *r = *state;

	if (unlink(r->cpuinfo) < 0)
		rmdir(r->cpuinfo);
	rmdir(r->proc);
	rmdir(r->dir);
	free(r);
	return 0;
}

static void root_write(const struct root *r, const char *text, size_t len)
{
	FILE *f = fopen(r->cpuinfo, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_read_cpuinfo(void **state)
{
	struct root *r = *state;
	char with_slash[80];
	struct error err;
	char *text;

	root_write(r, cpuinfo_pi1, strlen(cpuinfo_pi1));
	error_init(&err);
	assert_int_equal(host_read_cpuinfo(r->dir, &text, &err), 0);
	assert_non_null(text);
	check_str(r->dir, "cpuinfo", cpuinfo_pi1, text);
	free(text);
	snprintf(with_slash, sizeof(with_slash), "%s/", r->dir);
	assert_int_equal(host_read_cpuinfo(with_slash, &text, &err), 0);
	check_str(with_slash, "cpuinfo", cpuinfo_pi1, text);
	free(text);
}

static void test_read_cpuinfo_missing(void **state)
{
	struct root *r = *state;
	struct error err;
	char *text = (char *)"";

	error_init(&err);
	check_int("missing", "return", 0,
		  host_read_cpuinfo(r->dir, &text, &err));
	assert_null(text);
	check_int("missing", "category", ERROR_NONE, err.category);
}

static void test_read_cpuinfo_directory(void **state)
{
	struct root *r = *state;
	char expected[256];
	struct error err;
	char *text;

	assert_int_equal(mkdir(r->cpuinfo, 0755), 0);
	error_init(&err);
	check_int("directory", "return", -1,
		  host_read_cpuinfo(r->dir, &text, &err));
	assert_null(text);
	snprintf(expected, sizeof(expected), "cannot read '%s': Is a directory",
		 r->cpuinfo);
	check_int("directory", "category", ERROR_IO, err.category);
	check_str("directory", "message", expected, err.message);
}

/* A file larger than HOST_CPUINFO_MAX is read up to the limit only. */
static void test_read_cpuinfo_limit(void **state)
{
	size_t len = HOST_CPUINFO_MAX + 4096;
	struct root *r = *state;
	char *big = malloc(len), *text;
	struct error err;

	assert_non_null(big);
	memset(big, 'x', len);
	memcpy(big, cpuinfo_armv7, strlen(cpuinfo_armv7));
	root_write(r, big, len);
	free(big);
	error_init(&err);
	assert_int_equal(host_read_cpuinfo(r->dir, &text, &err), 0);
	check_int("limit", "length", HOST_CPUINFO_MAX, (long)strlen(text));
	free(text);
}

static void test_read_cpuinfo_real(void **state)
{
	static const char *const roots[] = {NULL, "", "/"};
	struct error err;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(roots); i++) {
		error_init(&err);
		if (host_read_cpuinfo(roots[i], &text, &err) < 0)
			fail_msg("root '%s': %s", roots[i] ? roots[i] : "NULL",
				 err.message);
		/* /proc may be absent in a chroot; then NULL is right */
		if (text && access("/proc/cpuinfo", R_OK) == 0)
			assert_true(strlen(text) > 0);
		free(text);
	}
}

/* What host_detect should find: the running kernel and the fake cpuinfo. */
static void check_detected(const char *row, const struct host *h,
			   const char *cpuinfo)
{
	char a[PLATFORM_STRING_MAX], b[PLATFORM_STRING_MAX], source[32];
	struct platform expected;
	struct utsname uts;
	struct error err;

	assert_int_equal(uname(&uts), 0);
	check_str(row, "machine", uts.machine, h->machine);
	check_str(row, "kernel", uts.release, h->kernel);
	check_int(row, "page size", sysconf(_SC_PAGESIZE), h->page_size);
	assert_false(h->overridden);
	error_init(&err);
	assert_int_equal(host_platform_from_uname(uts.machine, cpuinfo,
						  &expected, source, &err),
			 0);
	check_str(row, "platform", platform_format(&expected, a),
		  platform_format(&h->platform, b));
	check_str(row, "variant source", source, h->variant_source);
}

static void test_detect_root(void **state)
{
	struct root *r = *state;
	struct error err;
	struct host h;

	root_write(r, cpuinfo_pi1, strlen(cpuinfo_pi1));
	error_init(&err);
	if (host_detect(&h, r->dir, &err) < 0)
		fail_msg("root '%s': %s", r->dir, err.message);
	check_detected("fake pi1 root", &h, cpuinfo_pi1);
}

static void test_detect_root_without_cpuinfo(void **state)
{
	struct root *r = *state;
	struct error err;
	struct host h;

	error_init(&err);
	if (host_detect(&h, r->dir, &err) < 0)
		fail_msg("root '%s': %s", r->dir, err.message);
	check_detected("root without cpuinfo", &h, NULL);
}

static void test_detect_real(void **state)
{
	struct error err;
	struct host h;
	char *cpuinfo;

	(void)state;
	error_init(&err);
	assert_int_equal(host_read_cpuinfo("/", &cpuinfo, &err), 0);
	if (host_detect(&h, "/", &err) < 0)
		fail_msg("real node: %s", err.message);
	check_detected("real node", &h, cpuinfo);
	free(cpuinfo);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_uname),
		cmocka_unit_test(test_from_uname_unknown),
		cmocka_unit_test(test_arm_variant_from_cpuinfo),
		cmocka_unit_test_setup_teardown(test_read_cpuinfo, root_setup,
						root_teardown),
		cmocka_unit_test_setup_teardown(test_read_cpuinfo_missing,
						root_setup, root_teardown),
		cmocka_unit_test_setup_teardown(test_read_cpuinfo_directory,
						root_setup, root_teardown),
		cmocka_unit_test_setup_teardown(test_read_cpuinfo_limit,
						root_setup, root_teardown),
		cmocka_unit_test(test_read_cpuinfo_real),
		cmocka_unit_test_setup_teardown(test_detect_root, root_setup,
						root_teardown),
		cmocka_unit_test_setup_teardown(
			test_detect_root_without_cpuinfo, root_setup,
			root_teardown),
		cmocka_unit_test(test_detect_real),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
