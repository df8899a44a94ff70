/* Can this node run 32-bit programs: IA-32 on amd64, AArch32 on arm64. */
#ifndef PLATFORM_COMPAT32_H
#define PLATFORM_COMPAT32_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of kernel configuration read (boot/config-*, proc/config.gz
   unpacked): a distribution's .config is about 300 KiB. */
#define COMPAT32_CONFIG_MAX (4 * 1024 * 1024)
/* Bytes of proc/cmdline read: the kernel prints it into one page. */
#define COMPAT32_CMDLINE_MAX 4096
/* Bytes of sys/devices/system/cpu/aarch32_el0 read: one page, too. */
#define COMPAT32_SYSFS_MAX 4096
/* Room for a path, a CPU list or an error kept as evidence. */
#define COMPAT32_NOTE_MAX 256
/* Room for the evidence and the reason of a judgment. */
#define COMPAT32_TEXT_MAX 512

/* A kernel configuration symbol, a boolean boot parameter. */
enum compat32_flag {
	COMPAT32_ABSENT = -1,   /* not in the text (or the text is unread) */
	COMPAT32_OFF = 0,       /* "is not set", "=n"; a false parameter */
	COMPAT32_ON = 1,        /* "=y" or "=m"; a true parameter */
};

/* What the node's files (and, on this machine, its kernel) say. Text
   from the files is kept as read: escape it before printing. */
struct compat32 {
	bool read;              /* false: --platform without --root */
	bool live;              /* this machine: the personality probe ran */
	char arch[16];          /* live: this machine's arch; "" for --root */
	int kernel_major, kernel_minor;        /* from uname -r */
	/* the kernel configuration: where it came from ("" when none) */
	char config_path[COMPAT32_NOTE_MAX];
	char config_error[COMPAT32_NOTE_MAX];  /* why none was read */
	enum compat32_flag ia32;               /* CONFIG_IA32_EMULATION */
	enum compat32_flag ia32_default_off;   /* ..._DEFAULT_DISABLED */
	enum compat32_flag compat;             /* CONFIG_COMPAT (arm64) */
	bool cmdline_read;
	enum compat32_flag cmdline_ia32;       /* ia32_emulation= */
	/* aarch32_el0: ABSENT, OFF (no CPU listed), ON (cpus says which) */
	enum compat32_flag el0;
	char el0_cpus[COMPAT32_NOTE_MAX];
	int personality_errno;  /* -1: not probed, 0: accepted, or errno */
};

enum compat32_answer {
	COMPAT32_UNKNOWN = 0,
	COMPAT32_YES,
	COMPAT32_NO,
	COMPAT32_NOT_APPLICABLE,   /* the architecture has no 32-bit mode */
};

struct compat32_judgment {
	enum compat32_answer answer;
	char source[COMPAT32_TEXT_MAX];   /* the file or probe that decided */
	char reason[COMPAT32_TEXT_MAX];   /* in plain words */
};

/*
 * Gather the evidence under root ("" for this machine): the kernel
 * configuration of release (root/boot/config-RELEASE, else
 * root/proc/config.gz), root/proc/cmdline, and
 * root/sys/devices/system/cpu/aarch32_el0. live (this machine, no --root)
 * also asks the running kernel (on arm64, personality(PER_LINUX32)),
 * and arch names this machine's architecture. A file that cannot be
 * read is kept as a reason, never an error: the answer is then unknown.
 */
void compat32_read(const char *root, const char *release, bool live,
		   const char *arch, struct compat32 *out);

/* The answer for a node of architecture arch from the evidence in c. */
void compat32_judge(const struct compat32 *c, const char *arch,
		    struct compat32_judgment *out);

/* "yes", "no", "unknown", "not applicable". */
const char *compat32_answer_name(enum compat32_answer a);

/*
 * A symbol in kernel configuration text (len bytes, not necessarily
 * NUL-terminated): ON for "NAME=y" or "=m", OFF for "# NAME is not set"
 * or another value, ABSENT when no line names it. Exposed for tests.
 */
enum compat32_flag compat32_config_flag(const char *text, size_t len,
					const char *name);

/*
 * The last "param=VALUE" of a kernel command line, read as the kernel's
 * kstrtobool reads it (y/t/1/on true, n/f/0/off false; anything else
 * leaves the earlier value). Words after " -- " belong to init and are
 * not looked at; double quotes group blanks. Exposed for tests.
 */
enum compat32_flag compat32_cmdline_flag(const char *cmdline,
					 const char *param);

/* Parse "6.7.0-foo" into major and minor; false when it does not
   start with two numbers. Exposed for tests. */
bool compat32_release_version(const char *release, int *major, int *minor);

#endif
