/* Fuzz target: the node's own text, as host detection reads it. The
 * first byte picks the reader: '0' a --platform value (platform_parse),
 * '1' /proc/cpuinfo (x86-64 level, arm variant, platform from uname),
 * '2' a kernel configuration, '3' a kernel command line and release,
 * '4' a binfmt_misc entry file, then matched against an ELF header. */
#include <stdlib.h>
#include <string.h>

#include "platform/binfmt.h"
#include "platform/compat32.h"
#include "platform/cpulevel.h"
#include "platform/host.h"
#include "platform/platform.h"
#include "preflight/error.h"
#include "tests/fuzz/fuzz.h"

#define BINFMT_ENTRY "proc/sys/fs/binfmt_misc/qemu-aarch64"

static void fuzz_platform(const char *text)
{
	struct platform p;
	struct error err;
	char shown[PLATFORM_STRING_MAX];

	error_init(&err);
	if (platform_parse(text, &p, &err) == 0)
		(void)platform_format(&p, shown);
	else if (!err.message[0])
		abort();
}

static void fuzz_cpuinfo(const char *text)
{
	/* as large as struct host's fields, no larger */
	char variant[PLATFORM_FIELD_MAX], source[32];
	struct platform p;
	struct error err;

	(void)cpulevel_from_cpuinfo(text);
	host_arm_variant_from_cpuinfo(text, variant, sizeof(variant));
	if (strlen(variant) >= sizeof(variant))
		abort();
	error_init(&err);
	(void)host_platform_from_uname("armv7l", text, &p, source, &err);
}

static void fuzz_cmdline(const char *text)
{
	int major, minor;

	(void)compat32_cmdline_flag(text, "allow_mismatched_32bit_el0");
	(void)compat32_cmdline_flag(text, "ia32_emulation");
	(void)compat32_release_version(text, &major, &minor);
}

static void fuzz_binfmt(const uint8_t *data, size_t size)
{
	static const unsigned char head[20] = { 0x7f, 'E', 'L', 'F', 2, 1, 1,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 183, 0 };
	struct binfmt_list l;
	struct error err;

	fuzz_write(BINFMT_ENTRY, data, size);
	error_init(&err);
	if (binfmt_load(fuzz_root(), &l, &err) == 0) {
		const struct binfmt_entry *e = binfmt_match(&l, head,
							    sizeof(head));

		if (e)
			(void)binfmt_entry_fixed(e);
	} else if (!err.message[0]) {
		abort();
	}
	binfmt_list_release(&l);
	fuzz_unlink(BINFMT_ENTRY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = fuzz_string(data + 1, size - 1);
	switch ((uint8_t)(data[0] - '0') % 5) {
	case 0:
		fuzz_platform(text);
		break;
	case 1:
		fuzz_cpuinfo(text);
		break;
	case 2:
		(void)compat32_config_flag((const char *)data + 1, size - 1,
					   "CONFIG_COMPAT");
		break;
	case 3:
		fuzz_cmdline(text);
		break;
	default:
		fuzz_binfmt(data + 1, size - 1);
		break;
	}
	free(text);
	return 0;
}
