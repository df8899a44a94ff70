/* What this node is: uname, /proc/cpuinfo, the kernel's page size. */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cpulevel.h"
#include "emulation.h"
#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/escape.h"

/* How much of a path or machine name a message quotes. */
#define HOST_QUOTE_MAX 256

/*
 * The kernel reports "mips" and "mips64" for both byte orders, so, as
 * containerd goes by the GOARCH it was built for, we go by our own build.
 */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_MIPS "mips"
#define HOST_MIPS64 "mips64"
#else
#define HOST_MIPS "mipsle"
#define HOST_MIPS64 "mips64le"
#endif

/*
 * uname -m to the GOARCH containerd is built as on such a node. 64-bit
 * arm has no variant to detect: containerd reads "CPU architecture: 8",
 * which normalises to no variant, so we call it implied.
 */
/* clang-format off */
static const struct host_machine {
	const char *machine;
	const char *arch;
	const char *variant_source;
} host_machines[] = {
	{ "x86_64", "amd64", "" },
	{ "amd64", "amd64", "" },
	{ "i386", "386", "" },
	{ "i486", "386", "" },
	{ "i586", "386", "" },
	{ "i686", "386", "" },
	{ "aarch64", "arm64", "implied" },
	{ "arm64", "arm64", "implied" },
	{ "ppc64le", "ppc64le", "" },
	{ "ppc64", "ppc64", "" },
	{ "s390x", "s390x", "" },
	{ "riscv64", "riscv64", "" },
	{ "loongarch64", "loong64", "" },
	{ "mips", HOST_MIPS, "" },
	{ "mipsel", "mipsle", "" },
	{ "mips64", HOST_MIPS64, "" },
	{ "mips64el", "mips64le", "" },
};
/* clang-format on */

/*
 * "CPU architecture" values the ARM kernels print (arch/arm/kernel/setup.c
 * proc_arch[]) to the variant containerd gives them (getArmCPUVariant).
 */
/* clang-format off */
static const struct host_arm_arch {
	const char *cpuinfo;
	const char *variant;
} host_arm_arches[] = {
	{ "8", "v8" },     { "aarch64", "v8" }, { "7", "v7" },
	{ "7m", "v7" },    { "?(12)", "v7" },   { "?(13)", "v7" },
	{ "?(14)", "v7" }, { "?(15)", "v7" },   { "?(16)", "v7" },
	{ "?(17)", "v7" }, { "6", "v6" },       { "6tej", "v6" },
	{ "5", "v5" },     { "5t", "v5" },      { "5te", "v5" },
	{ "5tej", "v5" },  { "4", "v4" },       { "4t", "v4" },
	{ "3", "v3" },
};
/* clang-format on */

#define HOST_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void host_set_source(char *variant_source, const char *source)
{
	/* callers pass struct host's variant_source, or its size at least */
	if (variant_source)
		snprintf(variant_source,
			 sizeof(((struct host *)0)->variant_source), "%s",
			 source);
}

/* Trim blanks at both ends of s[0..len) in place; returns the new start. */
static const char *host_trim(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len && strchr(" \t\r", s[*len - 1]))
		(*len)--;
	return s;
}

/*
 * The value of the first "key : value" line whose key matches, ignoring
 * case, as containerd's getCPUInfo does: the value ends at the next ':'.
 */
static bool host_cpuinfo_value(const char *text, const char *key, char *value,
			       size_t size)
{
	const char *line, *end, *colon, *k, *v;
	size_t klen, vlen;

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		colon = memchr(line, ':', (size_t)(end - line));
		if (!colon)
			continue;
		klen = (size_t)(colon - line);
		k = host_trim(line, &klen);
		if (klen != strlen(key) || strncasecmp(k, key, klen))
			continue;
		v = colon + 1;
		vlen = (size_t)(end - v);
		if (memchr(v, ':', vlen))
			vlen = (size_t)((const char *)memchr(v, ':', vlen) - v);
		v = host_trim(v, &vlen);
		snprintf(value, size, "%.*s", (int)vlen, v);
		return true;
	}
	return false;
}

void host_arm_variant_from_cpuinfo(const char *cpuinfo, char *variant, int size)
{
	char arch[32], model[64];
	size_t i;

	snprintf(variant, (size_t)size, "%s", "");
	if (!host_cpuinfo_value(cpuinfo, "CPU architecture", arch,
				sizeof(arch)))
		return;
	/*
	 * Raspberry Pi 1 and Zero kernels print "CPU architecture: 7" for
	 * their ARMv6 (ARM1176) core; containerd corrects it by model name.
	 */
	if (!strcmp(arch, "7") &&
	    host_cpuinfo_value(cpuinfo, "model name", model, sizeof(model)) &&
	    !strncasecmp(model, "ARMv6-compatible", 16))
		snprintf(arch, sizeof(arch), "%s", "6");
	for (i = 0; i < HOST_COUNT(host_arm_arches); i++) {
		if (!strcasecmp(arch, host_arm_arches[i].cpuinfo)) {
			snprintf(variant, (size_t)size, "%s",
				 host_arm_arches[i].variant);
			return;
		}
	}
}

/*
 * 32-bit little-endian arm: "armv", the architecture digit, then letters
 * ("armv7l", "armv5tel"); a final "b" is big-endian, which no one builds
 * images for.
 */
static bool host_machine_is_arm32(const char *machine)
{
	size_t len = strlen(machine);

	return !strncmp(machine, "armv", 4) && machine[4] >= '3' &&
	       machine[4] <= '8' && machine[len - 1] != 'b';
}

/*
 * 32-bit arm takes its variant from cpuinfo, as containerd does, and from
 * the digit in the machine name ("armv7l") when cpuinfo does not say.
 */
static void host_platform_arm32(const char *machine, const char *cpuinfo,
				struct platform *out, char *variant_source)
{
	char variant[PLATFORM_FIELD_MAX] = "";

	if (cpuinfo)
		host_arm_variant_from_cpuinfo(cpuinfo, variant,
					      sizeof(variant));
	if (variant[0]) {
		host_set_source(variant_source, "cpuinfo");
	} else {
		snprintf(variant, sizeof(variant), "v%c", machine[4]);
		host_set_source(variant_source, "uname");
	}
	platform_set(out, "linux", "arm", variant);
	platform_normalize(out);
}

int host_platform_from_uname(const char *machine, const char *cpuinfo,
			     struct platform *out, char *variant_source,
			     struct error *err)
{
	char quoted[HOST_QUOTE_MAX];
	size_t i;

	memset(out, 0, sizeof(*out));
	host_set_source(variant_source, "");
	for (i = 0; i < HOST_COUNT(host_machines); i++) {
		if (strcmp(machine, host_machines[i].machine))
			continue;
		platform_set(out, "linux", host_machines[i].arch, "");
		platform_normalize(out);
		host_set_source(variant_source,
				host_machines[i].variant_source);
		return 0;
	}
	if (host_machine_is_arm32(machine)) {
		host_platform_arm32(machine, cpuinfo, out, variant_source);
		return 0;
	}
	escape_into(quoted, sizeof(quoted), machine);
	return error_set(err, ERROR_USAGE,
			 "unknown machine '%s' from uname: not an "
			 "architecture container images are built for",
			 quoted);
}

static char *host_cpuinfo_path(const char *root)
{
	size_t len = root ? strlen(root) : 0;

	while (len && root[len - 1] == '/')
		len--;
	/* "" and "/" both end up as the real /proc/cpuinfo */
	return xasprintf("%.*s/proc/cpuinfo", (int)len, len ? root : "");
}

static int host_io_error(struct error *err, const char *what, const char *path,
			 int errnum)
{
	char quoted[HOST_QUOTE_MAX];

	escape_into(quoted, sizeof(quoted), path);
	return error_set(err, ERROR_IO, "cannot %s '%s': %s", what, quoted,
			 strerror(errnum));
}

/* Read fd to its end or to HOST_CPUINFO_MAX bytes, whichever is first. */
static int host_read_bounded(int fd, const char *path, struct buf *b,
			     struct error *err)
{
	char chunk[4096];
	size_t want;
	ssize_t n;

	while (b->len < HOST_CPUINFO_MAX) {
		want = HOST_CPUINFO_MAX - b->len;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return host_io_error(err, "read", path, errno);
		if (n == 0)
			break;
		if (buf_append(b, chunk, (size_t)n, HOST_CPUINFO_MAX,
			       "HOST_CPUINFO_MAX", err) < 0)
			return -1;
	}
	return 0;
}

int host_read_cpuinfo(const char *root, char **text, struct error *err)
{
	char *path = host_cpuinfo_path(root);
	struct buf b;
	int fd, ret = -1;

	*text = NULL;
	buf_init(&b);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* a copy of a node without /proc: nothing to learn from */
		if (errno == ENOENT || errno == ENOTDIR)
			ret = 0;
		else
			host_io_error(err, "open", path, errno);
		goto out;
	}
	if (host_read_bounded(fd, path, &b, err) < 0)
		goto out;
	*text = buf_detach(&b);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	free(path);
	return ret;
}

static bool host_root_given(const char *root)
{
	return root && root[0] && strcmp(root, "/");
}

/*
 * An x86-64 node's level: from <root>/proc/cpuinfo when a root is given
 * (the node's, not ours), else from CPUID, and from our own cpuinfo when
 * CPUID cannot tell (a build for another machine).
 */
static int host_detect_level(struct host *out, const char *root,
			     struct error *err)
{
	char *cpuinfo = NULL;

	out->cpu_level_local = !host_root_given(root);
	if (!host_root_given(root)) {
		out->cpu_level = cpulevel_from_cpuid();
		if (out->cpu_level) {
			snprintf(out->cpu_level_source,
				 sizeof(out->cpu_level_source), "cpuid");
			return 0;
		}
	}
	if (host_read_cpuinfo(root, &cpuinfo, err) < 0)
		return -1;
	out->cpu_level = cpuinfo ? cpulevel_from_cpuinfo(cpuinfo) : 0;
	if (out->cpu_level)
		snprintf(out->cpu_level_source, sizeof(out->cpu_level_source),
			 "cpuinfo");
	free(cpuinfo);
	return 0;
}

int host_cpu_level_for(const struct host *h, const struct platform *node)
{
	int level;

	if (strcmp(node->arch, "amd64"))
		return 0;
	level = cpulevel_from_variant(node->variant);
	if (level)
		return level;
	/* detected only when uname says x86_64: never another machine's;
	   a --platform node without --root is not this machine */
	return h->overridden && h->cpu_level_local ? 0 : h->cpu_level;
}

/*
 * On the real node, cpuinfo of another processor family than uname's
 * means uname is an emulator's answer (qemu-user passes cpuinfo through).
 */
static void host_note_emulation(struct host *out, const char *cpuinfo)
{
	const char *real = emulation_real_family(out->platform.arch, cpuinfo);

	if (real)
		snprintf(out->emulated_on, sizeof(out->emulated_on), "%s",
			 real);
}

int host_detect(struct host *out, const char *root, struct error *err)
{
	struct utsname uts;
	char *cpuinfo = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (uname(&uts) < 0)
		return error_set(err, ERROR_INTERNAL, "uname: %s",
				 strerror(errno));
	snprintf(out->machine, sizeof(out->machine), "%s", uts.machine);
	snprintf(out->kernel, sizeof(out->kernel), "%s", uts.release);
	out->page_size = sysconf(_SC_PAGESIZE);
	if (out->page_size <= 0)
		return error_set(err, ERROR_INTERNAL,
				 "sysconf(_SC_PAGESIZE): %s", strerror(errno));
	/* 32-bit arm's variant, and on the real node emulation, need it */
	if ((host_machine_is_arm32(uts.machine) || !host_root_given(root)) &&
	    host_read_cpuinfo(root, &cpuinfo, err) < 0)
		goto out;
	if (host_platform_from_uname(uts.machine, cpuinfo, &out->platform,
				     out->variant_source, err) < 0)
		goto out;
	if (!strcmp(out->platform.arch, "amd64") &&
	    host_detect_level(out, root, err) < 0)
		goto out;
	if (!host_root_given(root))
		host_note_emulation(out, cpuinfo);
	ret = 0;
out:
	free(cpuinfo);
	return ret;
}
