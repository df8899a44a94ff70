/* Running under a user-mode emulator: /proc/cpuinfo tells on it. */
#include "emulation.h"

#include <stdbool.h>
#include <string.h>

/*
 * qemu-user answers uname with the emulated machine ("aarch64") but, for
 * most targets, passes /proc/cpuinfo through from the real one; each
 * kernel's cpuinfo has keys no other architecture prints
 * (arch/{x86,arm,arm64,powerpc,s390,riscv}/kernel: show_cpuinfo and
 * friends).
 */

/*
 * True when text has a line "KEY<blanks>: VALUE" whose value starts with
 * prefix ("" for any value).
 */
static bool emulation_has(const char *text, const char *key,
			  const char *prefix)
{
	size_t klen = strlen(key);
	const char *line, *end, *p;

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (strncmp(line, key, klen))
			continue;
		p = line + klen;
		p += strspn(p, " \t");
		if (*p != ':')
			continue;
		p++;
		p += strspn(p, " \t");
		if (!strncmp(p, prefix, strlen(prefix)))
			return true;
	}
	return false;
}

const char *emulation_cpuinfo_family(const char *cpuinfo)
{
	if (!cpuinfo)
		return NULL;
	/* s390 prints "vendor_id : IBM/S390"; x86 a CPU vendor and flags */
	if (emulation_has(cpuinfo, "vendor_id", "IBM/S390"))
		return "s390";
	if (emulation_has(cpuinfo, "vendor_id", "") &&
	    emulation_has(cpuinfo, "flags", ""))
		return "x86";
	/* both the 32-bit and the 64-bit ARM kernels */
	if (emulation_has(cpuinfo, "CPU implementer", ""))
		return "arm";
	if (emulation_has(cpuinfo, "timebase", ""))
		return "powerpc";
	if (emulation_has(cpuinfo, "isa", "rv"))
		return "riscv";
	return NULL;
}

/* clang-format off */
static const struct emulation_family {
	const char *arch;
	const char *family;
} emulation_families[] = {
	{ "amd64", "x86" },       { "386", "x86" },
	{ "arm64", "arm" },       { "arm", "arm" },
	{ "ppc64le", "powerpc" }, { "ppc64", "powerpc" },
	{ "s390x", "s390" },      { "riscv64", "riscv" },
};
/* clang-format on */

const char *emulation_arch_family(const char *arch)
{
	size_t i;

	for (i = 0; i < sizeof(emulation_families) /
			sizeof(emulation_families[0]); i++)
		if (!strcmp(arch, emulation_families[i].arch))
			return emulation_families[i].family;
	return NULL;
}

const char *emulation_real_family(const char *arch, const char *cpuinfo)
{
	const char *ours = emulation_arch_family(arch);
	const char *real = emulation_cpuinfo_family(cpuinfo);

	if (!ours || !real || !strcmp(ours, real))
		return NULL;
	return real;
}
