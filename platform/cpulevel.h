/* x86-64 micro-architecture levels (x86-64 psABI): what the node's CPU
   offers, from CPUID or from the flags line of /proc/cpuinfo. */
#ifndef PLATFORM_CPULEVEL_H
#define PLATFORM_CPULEVEL_H

/* The highest level the psABI defines (x86-64-v4). */
#define CPULEVEL_MAX 4

/*
 * The level (1..4) the space-separated cpuinfo flags give, or 0 when
 * even the baseline's flags are not all there (not an x86-64 CPU, or
 * not a flags line).
 */
int cpulevel_from_flags(const char *flags);

/*
 * The level from /proc/cpuinfo text: the first "flags" line, which
 * Linux fills from CPUID and clears for what the kernel does not enable
 * (AVX without XSAVE support, for instance). 0 when there is none.
 */
int cpulevel_from_cpuinfo(const char *cpuinfo);

/*
 * The level of the CPU this program runs on, from CPUID and XGETBV
 * (AVX and AVX-512 count only when the OS saves their registers). 0
 * when not built for x86-64.
 */
int cpulevel_from_cpuid(void);

/* "x86-64-v3" for 3; "unknown" for 0. */
const char *cpulevel_name(int level);

/* "vN" or "N" (an amd64 platform variant) to N in 1..4, else 0. */
int cpulevel_from_variant(const char *variant);

#endif
