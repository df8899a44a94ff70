/* Unit tests for platform/compat32.c: kernel configuration and command
   line parsing, and the answer each set of evidence gives. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform/compat32.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char config_text[] =
	"#\n# Automatically generated file; DO NOT EDIT.\n#\n"
	"CONFIG_IA32_EMULATION=y\n"
	"# CONFIG_IA32_EMULATION_DEFAULT_DISABLED is not set\n"
	"CONFIG_COMPAT_VDSO=y\n"
	"# CONFIG_COMPAT is not set\n"
	"CONFIG_X86_X32_ABI=n\n"
	"CONFIG_MODULE=m";   /* no final newline */

static void test_config_flag(void **state)
{
	static const struct {
		const char *name;
		enum compat32_flag want;
	} rows[] = {
		{ "CONFIG_IA32_EMULATION", COMPAT32_ON },
		{ "CONFIG_IA32_EMULATION_DEFAULT_DISABLED", COMPAT32_OFF },
		{ "CONFIG_COMPAT", COMPAT32_OFF },   /* not CONFIG_COMPAT_VDSO */
		{ "CONFIG_X86_X32_ABI", COMPAT32_OFF },
		{ "CONFIG_MODULE", COMPAT32_ON },
		{ "CONFIG_IA32", COMPAT32_ABSENT },   /* a prefix only */
		{ "CONFIG_ARM64_64K_PAGES", COMPAT32_ABSENT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		enum compat32_flag got = compat32_config_flag(
			config_text, strlen(config_text), rows[i].name);

		if (got != rows[i].want)
			fail_msg("%s: expected %d, got %d", rows[i].name,
				 rows[i].want, got);
	}
	assert_int_equal(compat32_config_flag(config_text, 10,
					      "CONFIG_IA32_EMULATION"),
			 COMPAT32_ABSENT);
	assert_int_equal(compat32_config_flag(NULL, 0, "CONFIG_COMPAT"),
			 COMPAT32_ABSENT);
}

static void test_cmdline_flag(void **state)
{
	static const struct {
		const char *cmdline;
		enum compat32_flag want;
	} rows[] = {
		{ "", COMPAT32_ABSENT },
		{ "ro quiet\n", COMPAT32_ABSENT },
		{ "ro ia32_emulation=0 quiet\n", COMPAT32_OFF },
		{ "ia32_emulation=false", COMPAT32_OFF },
		{ "ia32_emulation=off", COMPAT32_OFF },
		{ "ia32_emulation=N", COMPAT32_OFF },
		{ "ia32_emulation=1", COMPAT32_ON },
		{ "ia32_emulation=on", COMPAT32_ON },
		{ "ia32_emulation=Yes", COMPAT32_ON },
		{ "ia32_emulation=true", COMPAT32_ON },
		/* the last one wins; a value kstrtobool refuses is ignored */
		{ "ia32_emulation=0 ia32_emulation=1", COMPAT32_ON },
		{ "ia32_emulation=1 ia32_emulation=0", COMPAT32_OFF },
		{ "ia32_emulation=0 ia32_emulation=maybe", COMPAT32_OFF },
		{ "ia32_emulation=ox", COMPAT32_ABSENT },
		{ "ia32_emulation", COMPAT32_ABSENT },
		{ "ia32_emulation=", COMPAT32_ABSENT },
		{ "xia32_emulation=0 ia32_emulationx=0", COMPAT32_ABSENT },
		/* quotes group blanks and are dropped */
		{ "a=\"b c\" ia32_emulation=\"0\"", COMPAT32_OFF },
		{ "x=\"ia32_emulation=0\"", COMPAT32_ABSENT },
		/* after "--" the words are init's */
		{ "ro -- ia32_emulation=0", COMPAT32_ABSENT },
		{ "ia32_emulation=0\t--\tia32_emulation=1", COMPAT32_OFF },
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(rows); i++) {
		enum compat32_flag got = compat32_cmdline_flag(
			rows[i].cmdline, "ia32_emulation");

		if (got != rows[i].want)
			fail_msg("'%s': expected %d, got %d", rows[i].cmdline,
				 rows[i].want, got);
	}
}

static void test_release_version(void **state)
{
	int major = 0, minor = 0;

	(void)state;
	assert_true(compat32_release_version("6.7.0-1-amd64", &major,
					     &minor));
	assert_int_equal(major, 6);
	assert_int_equal(minor, 7);
	assert_true(compat32_release_version("5.14.21-150500.55-default",
					     &major, &minor));
	assert_int_equal(minor, 14);
	assert_false(compat32_release_version("generic", &major, &minor));
}

/* Evidence as compat32_read leaves it before any file is found. */
static struct compat32 facts(void)
{
	struct compat32 c;

	memset(&c, 0, sizeof(c));
	c.read = true;
	c.ia32 = c.ia32_default_off = c.compat = COMPAT32_ABSENT;
	c.cmdline_ia32 = c.el0 = COMPAT32_ABSENT;
	c.personality_errno = -1;
	c.kernel_major = 6;
	c.kernel_minor = 8;
	c.cmdline_read = true;
	snprintf(c.config_path, sizeof(c.config_path), "/boot/config-6.8");
	return c;
}

static void expect(const char *row, const struct compat32 *c,
		   const char *arch, enum compat32_answer want,
		   const char *reason_part)
{
	struct compat32_judgment j;

	compat32_judge(c, arch, &j);
	if (j.answer != want || !strstr(j.reason, reason_part))
		fail_msg("%s: expected %s with '%s', got %s: %s (%s)", row,
			 compat32_answer_name(want), reason_part,
			 compat32_answer_name(j.answer), j.reason, j.source);
}

static void test_judge_amd64(void **state)
{
	struct compat32 c = facts();

	(void)state;
	c.ia32 = COMPAT32_ON;
	c.ia32_default_off = COMPAT32_OFF;
	expect("built in", &c, "amd64", COMPAT32_YES, "IA32_EMULATION=y");
	c.cmdline_ia32 = COMPAT32_OFF;
	expect("ia32_emulation=0", &c, "amd64", COMPAT32_NO,
	       "ia32_emulation false");
	c.cmdline_ia32 = COMPAT32_ABSENT;
	c.ia32_default_off = COMPAT32_ON;
	expect("default disabled", &c, "amd64", COMPAT32_NO,
	       "DEFAULT_DISABLED=y and no ia32_emulation=1");
	c.cmdline_ia32 = COMPAT32_ON;
	expect("default disabled, =1", &c, "amd64", COMPAT32_YES,
	       "ia32_emulation=1");
	c.cmdline_ia32 = COMPAT32_ABSENT;
	c.cmdline_read = false;
	expect("default disabled, no cmdline", &c, "amd64", COMPAT32_UNKNOWN,
	       "cannot be read");
	c.ia32_default_off = COMPAT32_ABSENT;
	expect("6.8, no cmdline", &c, "amd64", COMPAT32_UNKNOWN,
	       "may turn it off");
	/* before 6.7, with no backport shown, the switch does not exist */
	c.kernel_major = 6;
	c.kernel_minor = 1;
	expect("6.1, no cmdline", &c, "amd64", COMPAT32_YES,
	       "IA32_EMULATION=y");
	c.cmdline_read = true;
	c.cmdline_ia32 = COMPAT32_OFF;
	expect("6.1, ia32_emulation=0", &c, "amd64", COMPAT32_UNKNOWN,
	       "older than 6.7");
	c.ia32 = COMPAT32_OFF;
	c.cmdline_ia32 = COMPAT32_ABSENT;
	expect("not set", &c, "amd64", COMPAT32_NO, "is not set");
	c.config_path[0] = '\0';
	snprintf(c.config_error, sizeof(c.config_error), "no such file");
	expect("no config", &c, "amd64", COMPAT32_UNKNOWN, "no such file");
	c.kernel_minor = 9;
	c.cmdline_ia32 = COMPAT32_OFF;
	expect("no config, 6.9, =0", &c, "amd64", COMPAT32_NO,
	       "ia32_emulation false");
}

static void test_judge_arm64(void **state)
{
	struct compat32 c = facts();

	(void)state;
	c.compat = COMPAT32_ON;
	expect("compat, cpus unknown", &c, "arm64", COMPAT32_UNKNOWN,
	       "AArch32 at EL0");
	c.el0 = COMPAT32_OFF;
	expect("aarch32_el0 empty", &c, "arm64", COMPAT32_NO, "no CPU");
	c.el0 = COMPAT32_ON;
	snprintf(c.el0_cpus, sizeof(c.el0_cpus), "0-3");
	expect("aarch32_el0 0-3", &c, "arm64", COMPAT32_YES, "CPUs 0-3");
	c.compat = COMPAT32_OFF;
	c.el0 = COMPAT32_ABSENT;
	expect("no CONFIG_COMPAT", &c, "arm64", COMPAT32_NO,
	       "CONFIG_COMPAT is not set");
	c.live = true;
	snprintf(c.arch, sizeof(c.arch), "arm64");
	c.compat = COMPAT32_ON;
	c.personality_errno = EINVAL;
	expect("probe EINVAL", &c, "arm64", COMPAT32_NO, "EINVAL");
	c.personality_errno = 0;
	expect("probe accepted", &c, "arm64", COMPAT32_YES,
	       "accepts the 32-bit personality");
	c.personality_errno = EPERM;
	expect("probe refused by a filter", &c, "arm64", COMPAT32_UNKNOWN,
	       "did not answer");
	/* live evidence of an arm64 machine says nothing of an amd64 node */
	expect("other machine", &c, "amd64", COMPAT32_UNKNOWN,
	       "not this arm64 machine");
	c.read = false;
	expect("--platform", &c, "arm64", COMPAT32_UNKNOWN, "--platform");
	expect("ppc64le", &c, "ppc64le", COMPAT32_NOT_APPLICABLE, "no 32-bit");
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Files under a root: boot/config-R, proc/config.gz, proc/cmdline,
   aarch32_el0; nothing probed. */
static void test_read_root(void **state)
{
	char root[] = "/tmp/test_compat32.XXXXXX", cmd[1024];
	struct compat32 c;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/boot %s/proc "
		 "%s/sys/devices/system/cpu", root, root, root);
	assert_int_equal(system(cmd), 0);
	compat32_read(root, "6.9.0-test", false, "amd64", &c);
	assert_true(c.read);
	assert_false(c.live);
	assert_string_equal(c.config_path, "");
	assert_non_null(strstr(c.config_error, "/boot/config-6.9.0-test"));
	assert_non_null(strstr(c.config_error, "/proc/config.gz"));
	assert_false(c.cmdline_read);
	assert_int_equal(c.el0, COMPAT32_ABSENT);
	assert_int_equal(c.personality_errno, -1);

	put(root, "proc/cmdline", "ro ia32_emulation=1\n");
	put(root, "sys/devices/system/cpu/aarch32_el0", "\n");
	snprintf(cmd, sizeof(cmd), "printf 'CONFIG_COMPAT=y\\n' | gzip -c "
		 ">%s/proc/config.gz", root);
	assert_int_equal(system(cmd), 0);
	compat32_read(root, "6.9.0-test", false, "amd64", &c);
	assert_string_equal(c.config_path, "/proc/config.gz");
	assert_int_equal(c.compat, COMPAT32_ON);
	assert_int_equal(c.ia32, COMPAT32_ABSENT);
	assert_int_equal(c.cmdline_ia32, COMPAT32_ON);
	assert_int_equal(c.el0, COMPAT32_OFF);
	assert_int_equal(c.kernel_minor, 9);

	/* boot/config-RELEASE comes first */
	put(root, "boot/config-6.9.0-test", "# CONFIG_COMPAT is not set\n");
	put(root, "sys/devices/system/cpu/aarch32_el0", "0-1,4\n");
	compat32_read(root, "6.9.0-test", false, "amd64", &c);
	assert_string_equal(c.config_path, "/boot/config-6.9.0-test");
	assert_int_equal(c.compat, COMPAT32_OFF);
	assert_string_equal(c.el0_cpus, "0-1,4");

	/* a truncated proc/config.gz: unknown, with the reason */
	snprintf(cmd, sizeof(cmd), "rm %s/boot/config-6.9.0-test && "
		 "printf 'CONFIG_COMPAT=y\\n' | gzip -c | head -c 14 "
		 ">%s/proc/config.gz", root, root);
	assert_int_equal(system(cmd), 0);
	compat32_read(root, "6.9.0-test", false, "amd64", &c);
	assert_string_equal(c.config_path, "");
	assert_non_null(strstr(c.config_error, "/proc/config.gz: "));
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_flag),
		cmocka_unit_test(test_cmdline_flag),
		cmocka_unit_test(test_release_version),
		cmocka_unit_test(test_judge_amd64),
		cmocka_unit_test(test_judge_arm64),
		cmocka_unit_test(test_read_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
