/* What this node is: uname, /proc/cpuinfo, the kernel's page size. */
#ifndef PLATFORM_HOST_H
#define PLATFORM_HOST_H

#include <stdbool.h>

#include "compat32.h"
#include "platform.h"

struct error;

struct host {
	struct platform platform;   /* normalised (containerd DefaultSpec) */
	char machine[65];           /* uname -m as reported */
	char kernel[65];            /* uname -r */
	long page_size;             /* bytes, from the running kernel */
	char variant_source[32];    /* "uname", "cpuinfo", "implied", "" */
	bool overridden;            /* platform came from --platform */
	struct compat32 compat32;   /* 32-bit support: compat32_read() */
	int cpu_level;              /* x86-64-vN of an amd64 node, 0 unknown */
	char cpu_level_source[16];  /* "cpuid", "cpuinfo", "" */
	bool cpu_level_local;       /* read off this machine, not --root */
	/*
	 * The family ("x86") of the machine we really run on when
	 * /proc/cpuinfo is not uname's: a user-mode emulator (qemu-user)
	 * runs us. "" otherwise, and always with a --root.
	 */
	char emulated_on[16];
};

/*
 * Detect the node. root is "" or "/" for the real node, or a directory
 * holding a copy of the node's /proc/cpuinfo (for --root and tests);
 * uname and the page size always come from the running kernel.
 */
int host_detect(struct host *out, const char *root, struct error *err);

/*
 * Map a uname machine string (and, for 32-bit arm, the cpuinfo variant)
 * to a normalised platform. Exposed for tests. cpuinfo may be NULL.
 */
int host_platform_from_uname(const char *machine, const char *cpuinfo,
			     struct platform *out, char *variant_source,
			     struct error *err);

/*
 * How much of /proc/cpuinfo we read; the fields we need are in the first
 * processor's block, and the rest of a larger file is ignored.
 */
#define HOST_CPUINFO_MAX (1024 * 1024)

/*
 * Read <root>/proc/cpuinfo (root NULL, "" or "/" for the real one) into
 * *text, which the caller frees. A missing file is not an error: *text
 * is then NULL. Exposed for tests.
 */
int host_read_cpuinfo(const char *root, char **text, struct error *err);

/*
 * The x86-64 level to judge binaries against on a node of platform
 * node: the variant of an amd64 --platform (linux/amd64/v2 is a v2
 * node), else the level detected on this host; 0 when not known or not
 * an amd64 node.
 */
int host_cpu_level_for(const struct host *h, const struct platform *node);

/* The arm variant ("v5".."v8") from /proc/cpuinfo text, or "" if absent. */
void host_arm_variant_from_cpuinfo(const char *cpuinfo, char *variant,
				   int size);

#endif
