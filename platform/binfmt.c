/* binfmt_misc: read the node's registered interpreters and match a
   file's first bytes against them as the kernel does. */
#include "binfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/escape.h"

/* How much of a path or a bad value a message quotes. */
#define BINFMT_QUOTE_MAX 256

/* <root>/proc/sys/fs/binfmt_misc, "" and "/" both meaning this machine. */
static char *binfmt_dir(const char *root)
{
	size_t len = root ? strlen(root) : 0;

	while (len && root[len - 1] == '/')
		len--;
	return xasprintf("%.*s/proc/sys/fs/binfmt_misc", (int)len,
			 len ? root : "");
}

static int binfmt_io_error(struct error *err, const char *what,
			   const char *path, int errnum)
{
	char quoted[BINFMT_QUOTE_MAX];

	escape_into(quoted, sizeof(quoted), path);
	return error_set(err, ERROR_IO, "cannot %s '%s': %s", what, quoted,
			 strerror(errnum));
}

/*
 * Read a whole file of at most BINFMT_FILE_MAX bytes into text (NUL
 * terminated, BINFMT_FILE_MAX + 1 bytes). Returns 1 when the file does
 * not exist (an entry removed while we read the directory), 0 when read.
 */
static int binfmt_read_file(const char *path, char *text, struct error *err)
{
	char quoted[BINFMT_QUOTE_MAX];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return binfmt_io_error(err, "open", path, errno);
	do {
		n = read(fd, text + len, BINFMT_FILE_MAX + 1 - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 && len <= BINFMT_FILE_MAX) ||
		 (n < 0 && errno == EINTR));
	close(fd);
	if (n < 0)
		return binfmt_io_error(err, "read", path, errno);
	text[len > BINFMT_FILE_MAX ? BINFMT_FILE_MAX : len] = '\0';
	escape_into(quoted, sizeof(quoted), path);
	if (len > BINFMT_FILE_MAX)
		return error_set(err, ERROR_LIMIT, "'%s': more than %d bytes "
				 "(BINFMT_FILE_MAX)", quoted, BINFMT_FILE_MAX);
	if (strlen(text) != len)
		return error_set(err, ERROR_FORMAT, "'%s': contains a NUL "
				 "byte", quoted);
	return 0;
}

/* Where a parse is: the file and the line, for messages. */
struct binfmt_parse {
	const char *path;
	unsigned int line;
	struct binfmt_entry *e;
	bool has_mask;
	size_t mask_len;
};

static int binfmt_bad_line(const struct binfmt_parse *p, struct error *err,
			   const char *what, const char *value)
{
	char path[BINFMT_QUOTE_MAX], val[BINFMT_QUOTE_MAX];

	escape_into(path, sizeof(path), p->path);
	escape_quote(val, sizeof(val), value, 64);
	return error_set(err, ERROR_FORMAT, "'%s' line %u: %s '%s'", path,
			 p->line, what, val);
}

static int binfmt_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The kernel prints magic and mask as plain hex pairs (bin2hex). */
static int binfmt_parse_hex(const struct binfmt_parse *p, const char *what,
			    const char *hex, unsigned char *out,
			    size_t *out_len, struct error *err)
{
	char path[BINFMT_QUOTE_MAX], msg[32];
	size_t n = strlen(hex), i;

	snprintf(msg, sizeof(msg), "invalid hex in %s", what);
	if (n == 0 || n % 2)
		return binfmt_bad_line(p, err, msg, hex);
	if (n / 2 > BINFMT_MAGIC_MAX) {
		escape_into(path, sizeof(path), p->path);
		return error_set(err, ERROR_LIMIT, "'%s' line %u: %s of more "
				 "than %d bytes (BINFMT_MAGIC_MAX)", path,
				 p->line, what, BINFMT_MAGIC_MAX);
	}
	for (i = 0; i < n; i += 2) {
		int hi = binfmt_hex_digit(hex[i]);
		int lo = binfmt_hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return binfmt_bad_line(p, err, msg, hex);
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*out_len = n / 2;
	return 0;
}

static int binfmt_parse_offset(struct binfmt_parse *p, const char *v,
			       struct error *err)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *v == '-' || *v == '+' || *end || errno ||
	    n > BINFMT_HEAD_MAX)
		return binfmt_bad_line(p, err, "invalid offset", v);
	p->e->offset = (size_t)n;
	return 0;
}

static int binfmt_parse_flags(struct binfmt_parse *p, const char *v,
			      struct error *err)
{
	size_t n = strlen(v);

	if (n >= sizeof(p->e->flags) || strspn(v, "POCF") != n)
		return binfmt_bad_line(p, err, "invalid flags", v);
	memcpy(p->e->flags, v, n + 1);
	return 0;
}

/* One line of an entry as the kernel prints it (fs/binfmt_misc.c,
   entry_status); lines it may add one day are skipped. */
static int binfmt_parse_line(struct binfmt_parse *p, const char *line,
			     struct error *err)
{
	struct binfmt_entry *e = p->e;

	if (!strncmp(line, "interpreter ", 12)) {
		free(e->interpreter);
		e->interpreter = xstrdup(line + 12);
		return 0;
	}
	if (!strncmp(line, "flags:", 6))
		return binfmt_parse_flags(p, line + 6 + (line[6] == ' '), err);
	if (!strncmp(line, "offset ", 7))
		return binfmt_parse_offset(p, line + 7, err);
	if (!strncmp(line, "magic ", 6))
		return binfmt_parse_hex(p, "magic", line + 6, e->magic,
					&e->magic_len, err);
	if (!strncmp(line, "mask ", 5)) {
		p->has_mask = true;
		return binfmt_parse_hex(p, "mask", line + 5, e->mask,
					&p->mask_len, err);
	}
	if (!strncmp(line, "extension ", 10))
		e->extension = true;
	return 0;
}

/* What every entry needs, checked once all its lines are read. */
static int binfmt_check_entry(const struct binfmt_parse *p,
			      struct error *err)
{
	const struct binfmt_entry *e = p->e;
	char path[BINFMT_QUOTE_MAX];

	escape_into(path, sizeof(path), p->path);
	if (!e->interpreter || !*e->interpreter)
		return error_set(err, ERROR_FORMAT, "'%s': no interpreter",
				 path);
	if (e->extension == (e->magic_len > 0))
		return error_set(err, ERROR_FORMAT, "'%s': expected either a "
				 "magic or an extension line", path);
	if (p->has_mask && p->mask_len != e->magic_len)
		return error_set(err, ERROR_FORMAT, "'%s': mask of %zu bytes "
				 "for a magic of %zu bytes", path, p->mask_len,
				 e->magic_len);
	if (e->offset + e->magic_len > BINFMT_HEAD_MAX)
		return error_set(err, ERROR_FORMAT, "'%s': offset %zu and "
				 "magic of %zu bytes pass the first %d bytes "
				 "(BINFMT_HEAD_MAX)", path, e->offset,
				 e->magic_len, BINFMT_HEAD_MAX);
	return 0;
}

/* "enabled" or "disabled" on a line of its own: 1, 0, or -1. */
static int binfmt_parse_state(const char *path, unsigned int line,
			      const char *text, struct error *err)
{
	struct binfmt_parse p = { path, line, NULL, false, 0 };

	if (!strcmp(text, "enabled"))
		return 1;
	if (!strcmp(text, "disabled"))
		return 0;
	return binfmt_bad_line(&p, err, "expected 'enabled' or 'disabled', "
			       "found", text);
}

/* Parse the text of an entry file (modified in place) into e. */
static int binfmt_parse_entry(const char *path, char *text,
			      struct binfmt_entry *e, struct error *err)
{
	struct binfmt_parse p = { path, 0, e, false, 0 };
	char *line = text, *nl;
	int state;

	memset(e->mask, 0xff, sizeof(e->mask));
	for (; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (++p.line == 1) {
			state = binfmt_parse_state(path, 1, line, err);
			if (state < 0)
				return -1;
			e->enabled = state;
		} else if (binfmt_parse_line(&p, line, err) < 0) {
			return -1;
		}
	}
	if (p.line == 0)
		return binfmt_parse_state(path, 1, "", err);
	return binfmt_check_entry(&p, err);
}

/* The global switch: "status" holds "enabled" or "disabled"; a tree
   without it (a copy of a node) counts as enabled. */
static int binfmt_read_status(const char *dir, struct binfmt_list *out,
			      struct error *err)
{
	char text[BINFMT_FILE_MAX + 1];
	char *path = xasprintf("%s/status", dir);
	size_t n;
	int ret;

	ret = binfmt_read_file(path, text, err);
	if (ret == 0) {
		n = strlen(text);
		if (n && text[n - 1] == '\n')
			text[n - 1] = '\0';
		ret = binfmt_parse_state(path, 1, text, err);
		out->disabled = ret == 0;
		ret = ret < 0 ? -1 : 0;
	} else if (ret > 0) {
		ret = 0;
	}
	free(path);
	return ret;
}

static int binfmt_compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool binfmt_is_entry_name(const char *name)
{
	return name[0] != '.' && strcmp(name, "register") &&
	       strcmp(name, "status");
}

/* The entry names in dir, sorted (the kernel's own order, newest
   registration first, is not visible here). */
static int binfmt_list_names(const char *dir, DIR *d, char ***names,
			     size_t *count, struct error *err)
{
	struct dirent *de;
	char quoted[BINFMT_QUOTE_MAX];

	while ((de = readdir(d))) {
		if (!binfmt_is_entry_name(de->d_name))
			continue;
		if (*count == BINFMT_ENTRIES_MAX) {
			escape_into(quoted, sizeof(quoted), dir);
			return error_set(err, ERROR_LIMIT, "'%s': more than %d "
					 "entries (BINFMT_ENTRIES_MAX)", quoted,
					 BINFMT_ENTRIES_MAX);
		}
		*names = xrealloc(*names, (*count + 1) * sizeof(**names));
		(*names)[(*count)++] = xstrdup(de->d_name);
	}
	if (*count > 1)
		qsort(*names, *count, sizeof(**names),
		      binfmt_compare_names);
	return 0;
}

/* Read the entry name in dir into out's next slot, unless it is gone
   or not a regular file. */
static int binfmt_load_entry(const char *dir, const char *name,
			     struct binfmt_list *out, struct error *err)
{
	char text[BINFMT_FILE_MAX + 1];
	char *path = xasprintf("%s/%s", dir, name);
	struct binfmt_entry *e;
	struct stat st;
	int ret = 0;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	ret = binfmt_read_file(path, text, err);
	if (ret != 0) {
		ret = ret > 0 ? 0 : -1;
		goto out;
	}
	out->items = xrealloc(out->items,
			      (out->count + 1) * sizeof(*out->items));
	e = &out->items[out->count++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	ret = binfmt_parse_entry(path, text, e, err);
out:
	free(path);
	return ret;
}

int binfmt_load(const char *root, struct binfmt_list *out, struct error *err)
{
	char *dir = binfmt_dir(root), **names = NULL;
	size_t count = 0, i;
	int ret = -1;
	DIR *d;

	memset(out, 0, sizeof(*out));
	d = opendir(dir);
	if (!d) {
		/* binfmt_misc not mounted: nothing is emulated */
		if (errno == ENOENT || errno == ENOTDIR)
			ret = 0;
		else
			binfmt_io_error(err, "open", dir, errno);
		goto out;
	}
	out->mounted = true;
	if (binfmt_list_names(dir, d, &names, &count, err) < 0 ||
	    binfmt_read_status(dir, out, err) < 0)
		goto out;
	for (i = 0; i < count; i++)
		if (binfmt_load_entry(dir, names[i], out, err) < 0)
			goto out;
	ret = 0;
out:
	if (d)
		closedir(d);
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(dir);
	return ret;
}

/* The kernel's test (fs/binfmt_misc.c, check_file): every magic byte
   equal to the file's byte at offset + i where the mask has bits. */
static bool binfmt_entry_matches(const struct binfmt_entry *e,
				 const unsigned char *head, size_t len)
{
	size_t i;

	if (!e->enabled || e->extension || e->offset > len ||
	    e->magic_len > len - e->offset)
		return false;
	for (i = 0; i < e->magic_len; i++)
		if ((head[e->offset + i] ^ e->magic[i]) & e->mask[i])
			return false;
	return true;
}

const struct binfmt_entry *binfmt_match(const struct binfmt_list *l,
					const unsigned char *head,
					size_t len)
{
	size_t i;

	if (!l || l->disabled)
		return NULL;
	for (i = 0; i < l->count; i++)
		if (binfmt_entry_matches(&l->items[i], head, len))
			return &l->items[i];
	return NULL;
}

bool binfmt_entry_fixed(const struct binfmt_entry *e)
{
	return strchr(e->flags, 'F') != NULL;
}

void binfmt_list_release(struct binfmt_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].interpreter);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
