/* Can this node run 32-bit programs: IA-32 on amd64 (the kernel's
   IA32_EMULATION, and the ia32_emulation= boot switch of Linux 6.7),
   AArch32 on arm64 (CONFIG_COMPAT, and CPUs that run AArch32 at EL0). */
#include "compat32.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__aarch64__)
#include <sys/personality.h>
#endif

#include "preflight/buf.h"
#include "preflight/error.h"

/* Where the files are, under the node's root. */
#define COMPAT32_PROC_CONFIG "/proc/config.gz"
#define COMPAT32_CMDLINE "/proc/cmdline"
#define COMPAT32_EL0 "/sys/devices/system/cpu/aarch32_el0"

/* Linux 6.7 added the ia32_emulation= boot parameter. */
#define COMPAT32_IA32_SWITCH_MAJOR 6
#define COMPAT32_IA32_SWITCH_MINOR 7

static char *compat32_path(const char *root, const char *suffix)
{
	size_t len = root ? strlen(root) : 0;

	while (len && root[len - 1] == '/')
		len--;
	return xasprintf("%.*s%s", (int)len, len ? root : "", suffix);
}

/* Read a whole file of at most max bytes into b. */
static int compat32_read_file(const char *path, size_t max,
			      const char *what_limit, struct buf *b,
			      struct error *err)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return error_set(err, ERROR_IO, "%s", strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = error_set(err, ERROR_IO, "%s", strerror(errno));
		if (n <= 0)
			break;
		if (buf_append(b, chunk, (size_t)n, max, what_limit, err) < 0) {
			ret = -1;
			break;
		}
	}
	close(fd);
	return ret;
}

/* Unpack a gzip file (proc/config.gz) with libarchive's raw format,
   keeping at most COMPAT32_CONFIG_MAX bytes. */
static int compat32_read_gzip(const char *path, struct buf *b,
			      struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	char chunk[16384];
	la_ssize_t n;
	int ret = -1;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, sizeof(chunk)) != ARCHIVE_OK ||
	    archive_read_next_header(a, &entry) != ARCHIVE_OK) {
		error_set(err, ERROR_FORMAT, "%s", archive_error_string(a) ?
			  archive_error_string(a) : "not a gzip file");
		goto out;
	}
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)n, COMPAT32_CONFIG_MAX,
			       "COMPAT32_CONFIG_MAX", err) < 0)
			goto out;
	if (n < 0) {
		error_set(err, ERROR_FORMAT, "%s", archive_error_string(a) ?
			  archive_error_string(a) : "cannot unpack");
		goto out;
	}
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}

static void compat32_take_config(struct compat32 *c, const char *path,
				 const struct buf *b)
{
	c->ia32 = compat32_config_flag(b->data, b->len,
				       "CONFIG_IA32_EMULATION");
	c->ia32_default_off = compat32_config_flag(
		b->data, b->len, "CONFIG_IA32_EMULATION_DEFAULT_DISABLED");
	c->compat = compat32_config_flag(b->data, b->len, "CONFIG_COMPAT");
	/* the evidence names the file as the node knows it */
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
}

/* boot/config-RELEASE, else proc/config.gz (CONFIG_IKCONFIG_PROC). */
static void compat32_read_config(const char *root, const char *release,
				 struct compat32 *c)
{
	char *boot = xasprintf("/boot/config-%s", release);
	char *path = compat32_path(root, boot), *why = NULL;
	struct error err;
	struct buf b;

	buf_init(&b);
	error_init(&err);
	if (compat32_read_file(path, COMPAT32_CONFIG_MAX,
			       "COMPAT32_CONFIG_MAX", &b, &err) == 0 &&
	    b.len) {
		compat32_take_config(c, boot, &b);
		goto out;
	}
	why = xasprintf("%s: %s", boot, err.message[0] ? err.message :
			"empty");
	buf_reset(&b);
	free(path);
	path = compat32_path(root, COMPAT32_PROC_CONFIG);
	error_init(&err);
	if (compat32_read_gzip(path, &b, &err) == 0 && b.len) {
		compat32_take_config(c, COMPAT32_PROC_CONFIG, &b);
		goto out;
	}
	free(boot);
	boot = why;   /* freed below */
	why = xasprintf("%s; " COMPAT32_PROC_CONFIG ": %s", boot,
			err.message[0] ? err.message : "empty");
	snprintf(c->config_error, sizeof(c->config_error), "%s", why);
out:
	buf_release(&b);
	free(why);
	free(path);
	free(boot);
}

static void compat32_read_cmdline(const char *root, struct compat32 *c)
{
	char *path = compat32_path(root, COMPAT32_CMDLINE);
	struct error err;
	struct buf b;

	buf_init(&b);
	error_init(&err);
	if (compat32_read_file(path, COMPAT32_CMDLINE_MAX,
			       "COMPAT32_CMDLINE_MAX", &b, &err) == 0) {
		c->cmdline_read = true;
		c->cmdline_ia32 = compat32_cmdline_flag(b.data ? b.data : "",
							"ia32_emulation");
	}
	buf_release(&b);
	free(path);
}

/*
 * The kernel creates aarch32_el0 only when booted with
 * allow_mismatched_32bit_el0; it lists the CPUs that run AArch32 at EL0
 * (cpumask list format), and is an empty line when none does.
 */
static void compat32_read_el0(const char *root, struct compat32 *c)
{
	char *path = compat32_path(root, COMPAT32_EL0);
	struct error err;
	struct buf b;
	size_t len;

	buf_init(&b);
	error_init(&err);
	if (compat32_read_file(path, COMPAT32_SYSFS_MAX, "COMPAT32_SYSFS_MAX",
			       &b, &err) == 0) {
		len = b.len;
		while (len && strchr(" \t\r\n", b.data[len - 1]))
			len--;
		c->el0 = len ? COMPAT32_ON : COMPAT32_OFF;
		snprintf(c->el0_cpus, sizeof(c->el0_cpus), "%.*s",
			 (int)len, len ? b.data : "");
	}
	buf_release(&b);
	free(path);
}

/*
 * arm64's personality() refuses PER_LINUX32 with EINVAL when no CPU
 * runs AArch32 at EL0, or the kernel lacks CONFIG_COMPAT
 * (arch/arm64/kernel/sys.c). The old persona is put back at once; this
 * runs before any thread is started.
 */
static void compat32_probe(struct compat32 *c)
{
#if defined(__aarch64__)
	int old = personality(0xffffffff);

	if (personality(PER_LINUX32) == -1) {
		c->personality_errno = errno;
		return;
	}
	personality((unsigned long)old);
	c->personality_errno = 0;
#else
	(void)c;
#endif
}

void compat32_read(const char *root, const char *release, bool live,
		   const char *arch, struct compat32 *out)
{
	memset(out, 0, sizeof(*out));
	out->read = true;
	out->live = live;
	out->ia32 = out->ia32_default_off = out->compat = COMPAT32_ABSENT;
	out->cmdline_ia32 = out->el0 = COMPAT32_ABSENT;
	out->personality_errno = -1;
	out->kernel_major = out->kernel_minor = -1;
	compat32_release_version(release, &out->kernel_major,
				 &out->kernel_minor);
	if (live)
		snprintf(out->arch, sizeof(out->arch), "%s", arch);
	compat32_read_config(root, release, out);
	compat32_read_cmdline(root, out);
	compat32_read_el0(root, out);
	if (live && !strcmp(arch, "arm64"))
		compat32_probe(out);
}

enum compat32_flag compat32_config_flag(const char *text, size_t len,
					const char *name)
{
	const char *line = text, *end = text + len, *nl;
	size_t n = strlen(name), ll;

	for (; text && line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		ll = (size_t)(nl - line);
		if (ll > n + 1 && !strncmp(line, name, n) && line[n] == '=')
			return line[n + 1] == 'y' || line[n + 1] == 'm' ?
			       COMPAT32_ON : COMPAT32_OFF;
		if (ll == n + 13 && !strncmp(line, "# ", 2) &&
		    !strncmp(line + 2, name, n) &&
		    !strncmp(line + 2 + n, " is not set", 11))
			return COMPAT32_OFF;
	}
	return COMPAT32_ABSENT;
}

/* lib/kstrtox.c kstrtobool: the first one or two characters decide. */
static enum compat32_flag compat32_kstrtobool(const char *v,
					      enum compat32_flag old)
{
	switch (v[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		return COMPAT32_ON;
	case 'n': case 'N': case 'f': case 'F': case '0':
		return COMPAT32_OFF;
	case 'o': case 'O':
		if (v[1] == 'n' || v[1] == 'N')
			return COMPAT32_ON;
		if (v[1] == 'f' || v[1] == 'F')
			return COMPAT32_OFF;
		return old;
	default:
		return old;
	}
}

/* The next word of a command line into word (quotes dropped, as the
   kernel's next_arg does); returns where the next one starts. */
static const char *compat32_next_word(const char *p, char *word,
				      size_t size)
{
	bool quoted = false;
	size_t n = 0;

	for (; *p && (quoted || !strchr(" \t\n", *p)); p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (n + 1 < size)
			word[n++] = *p;
	}
	word[n] = '\0';
	return p;
}

enum compat32_flag compat32_cmdline_flag(const char *cmdline,
					 const char *param)
{
	enum compat32_flag got = COMPAT32_ABSENT;
	char word[COMPAT32_CMDLINE_MAX];
	size_t n = strlen(param);
	const char *p = cmdline;

	for (;;) {
		p += strspn(p, " \t\n");
		if (!*p)
			break;
		p = compat32_next_word(p, word, sizeof(word));
		if (!strcmp(word, "--"))
			break;
		if (!strncmp(word, param, n) && word[n] == '=')
			got = compat32_kstrtobool(word + n + 1, got);
	}
	return got;
}

bool compat32_release_version(const char *release, int *major, int *minor)
{
	return sscanf(release, "%d.%d", major, minor) == 2;
}

const char *compat32_answer_name(enum compat32_answer a)
{
	switch (a) {
	case COMPAT32_YES:
		return "yes";
	case COMPAT32_NO:
		return "no";
	case COMPAT32_NOT_APPLICABLE:
		return "not applicable";
	default:
		return "unknown";
	}
}

static void compat32_say(struct compat32_judgment *out,
			 enum compat32_answer answer, const char *source,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void compat32_say(struct compat32_judgment *out,
			 enum compat32_answer answer, const char *source,
			 const char *fmt, ...)
{
	va_list ap;

	out->answer = answer;
	snprintf(out->source, sizeof(out->source), "%s", source);
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* Whether the kernel reads ia32_emulation=: Linux 6.7 and later, or an
   older one whose configuration shows the backported switch. */
static bool compat32_ia32_switch(const struct compat32 *c)
{
	if (c->ia32_default_off != COMPAT32_ABSENT)
		return true;
	return c->kernel_major > COMPAT32_IA32_SWITCH_MAJOR ||
	       (c->kernel_major == COMPAT32_IA32_SWITCH_MAJOR &&
		c->kernel_minor >= COMPAT32_IA32_SWITCH_MINOR);
}

/* IA32_EMULATION is built in: the boot switch decides. */
static void compat32_judge_ia32_on(const struct compat32 *c,
				   struct compat32_judgment *out)
{
	bool sw = compat32_ia32_switch(c);
	const char *cfg = c->config_path;

	if (c->cmdline_ia32 == COMPAT32_OFF)
		return compat32_say(out, COMPAT32_UNKNOWN, COMPAT32_CMDLINE,
				    "the command line has ia32_emulation=0, "
				    "which a kernel older than 6.7 ignores "
				    "unless its distribution backported it");
	if (c->cmdline_ia32 == COMPAT32_ON)
		return compat32_say(out, COMPAT32_YES, cfg,
				    "CONFIG_IA32_EMULATION=y, and "
				    "ia32_emulation=1 on the command line");
	if (c->ia32_default_off == COMPAT32_ON)
		return compat32_say(out, c->cmdline_read ? COMPAT32_NO :
				    COMPAT32_UNKNOWN, cfg,
				    "CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y "
				    "%s", c->cmdline_read ?
				    "and no ia32_emulation=1 on the command "
				    "line: IA-32 emulation is off" :
				    "and " COMPAT32_CMDLINE " cannot be read: "
				    "ia32_emulation=1 may turn it on");
	if (sw && !c->cmdline_read)
		return compat32_say(out, COMPAT32_UNKNOWN, cfg,
				    "CONFIG_IA32_EMULATION=y, but "
				    COMPAT32_CMDLINE " cannot be read: "
				    "ia32_emulation=0 may turn it off");
	compat32_say(out, COMPAT32_YES, cfg, "CONFIG_IA32_EMULATION=y%s",
		     sw ? ", not turned off on the command line" : "");
}

static void compat32_judge_amd64(const struct compat32 *c,
				 struct compat32_judgment *out)
{
	if (c->cmdline_ia32 == COMPAT32_OFF && compat32_ia32_switch(c))
		return compat32_say(out, COMPAT32_NO, COMPAT32_CMDLINE,
				    "the kernel command line sets "
				    "ia32_emulation false: IA-32 emulation "
				    "is off");
	if (!c->config_path[0])
		return compat32_say(out, COMPAT32_UNKNOWN, "",
				    "no kernel configuration could be read "
				    "(%s)", c->config_error);
	if (c->ia32 == COMPAT32_OFF)
		return compat32_say(out, COMPAT32_NO, c->config_path,
				    "CONFIG_IA32_EMULATION is not set: the "
				    "kernel cannot run IA-32 programs");
	if (c->ia32 == COMPAT32_ABSENT)
		return compat32_say(out, COMPAT32_UNKNOWN, c->config_path,
				    "the kernel configuration does not name "
				    "CONFIG_IA32_EMULATION (not an x86-64 "
				    "kernel's)");
	compat32_judge_ia32_on(c, out);
}

static void compat32_judge_arm64(const struct compat32 *c,
				 struct compat32_judgment *out)
{
	if (c->personality_errno == 0)
		return compat32_say(out, COMPAT32_YES, "personality(PER_LINUX32)",
				    "the running kernel accepts the 32-bit "
				    "personality: CONFIG_COMPAT is built and "
				    "a CPU runs AArch32 at EL0%s%s",
				    c->el0 == COMPAT32_ON ? " (only CPUs " : "",
				    c->el0 == COMPAT32_ON ? c->el0_cpus : "");
	if (c->personality_errno == EINVAL)
		return compat32_say(out, COMPAT32_NO, "personality(PER_LINUX32)",
				    "the running kernel refuses the 32-bit "
				    "personality (EINVAL): no CPU runs "
				    "AArch32 at EL0, or the kernel lacks "
				    "CONFIG_COMPAT");
	if (c->compat == COMPAT32_OFF)
		return compat32_say(out, COMPAT32_NO, c->config_path,
				    "CONFIG_COMPAT is not set: the kernel "
				    "cannot run 32-bit ARM programs");
	if (c->el0 == COMPAT32_OFF)
		return compat32_say(out, COMPAT32_NO, COMPAT32_EL0,
				    "it lists no CPU: none runs AArch32 at "
				    "EL0");
	if (c->el0 == COMPAT32_ON)
		return compat32_say(out, COMPAT32_YES, COMPAT32_EL0,
				    "CPUs %s run AArch32 at EL0 (32-bit "
				    "programs are kept on them)", c->el0_cpus);
	if (c->compat == COMPAT32_ON)
		return compat32_say(out, COMPAT32_UNKNOWN, c->config_path,
				    "CONFIG_COMPAT=y, but whether the CPUs run "
				    "AArch32 at EL0 (many current arm64 server "
				    "cores do not) shows only to the running "
				    "kernel%s", c->personality_errno > 0 ?
				    ", which did not answer the probe" : "");
	compat32_say(out, COMPAT32_UNKNOWN, "",
		     "no kernel configuration could be read (%s)",
		     c->config_error);
}

void compat32_judge(const struct compat32 *c, const char *arch,
		    struct compat32_judgment *out)
{
	bool amd64 = !strcmp(arch, "amd64"), arm64 = !strcmp(arch, "arm64");

	memset(out, 0, sizeof(*out));
	if (!amd64 && !arm64)
		return compat32_say(out, COMPAT32_NOT_APPLICABLE, "",
				    "a %s node has no 32-bit mode of another "
				    "architecture", arch);
	if (!c->read)
		return compat32_say(out, COMPAT32_UNKNOWN, "",
				    "a node named by --platform is not this "
				    "machine, and no --root gives its files");
	if (c->live && strcmp(c->arch, arch))
		return compat32_say(out, COMPAT32_UNKNOWN, "",
				    "a %s node is not this %s machine", arch,
				    c->arch);
	if (amd64)
		compat32_judge_amd64(c, out);
	else
		compat32_judge_arm64(c, out);
}
