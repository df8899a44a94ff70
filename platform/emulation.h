/* Running under a user-mode emulator: /proc/cpuinfo tells on it. */
#ifndef PLATFORM_EMULATION_H
#define PLATFORM_EMULATION_H

/*
 * The processor family a /proc/cpuinfo text describes: "x86", "arm",
 * "powerpc", "s390" or "riscv", or NULL when it is none of those (or
 * cpuinfo is NULL). Static strings.
 */
const char *emulation_cpuinfo_family(const char *cpuinfo);

/* The processor family of a normalised architecture (GOARCH), or NULL. */
const char *emulation_arch_family(const char *arch);

/*
 * The family of the machine we really run on, when cpuinfo says it is
 * not the family of arch: uname and the auxiliary vector come from a
 * user-mode emulator (qemu-user), while /proc/cpuinfo, the page size
 * behind it and binfmt_misc belong to the real machine. NULL otherwise,
 * and whenever either family is unknown.
 */
const char *emulation_real_family(const char *arch, const char *cpuinfo);

#endif
