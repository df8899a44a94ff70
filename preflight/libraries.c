/* Entrypoint inspection: shared libraries. The libraries a dynamically
   linked program needs (DT_NEEDED), looked for in the image the way its
   own loader looks (glibc elf/dl-load.c order, musl ldso/dynlink.c
   order), and each one found judged as the program is. */
#include "libraries.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "elf.h"
#include "elfdyn.h"
#include "error.h"
#include "imagefs.h"
#include "ldcache.h"
#include "manifest.h"
#include "verdict.h"

/* Bytes of the searched places kept for a "not found" message. */
#define LIBRARY_SEARCHED_TEXT_MAX 480
/* Libraries named in the closing info finding. */
#define LIBRARY_LISTED_MAX 4
/* Largest ld.so.conf file or ld-musl path file read. */
#define LIBRARY_CONF_FILE_MAX (64 * 1024)
/* ld.so.conf "include" levels followed, and directories kept. */
#define LIBRARY_CONF_DEPTH_MAX 4
#define LIBRARY_CONF_DIRS_MAX 256
/* A library's bytes up to the end of its dynamic section are read in
   one pass when they are at most this many (its string table usually
   lies before it): one re-read of the layer instead of two. */
#define LIBRARY_PREFIX_READ_MAX (32 * 1024 * 1024)
/* Files one ld.so.conf "include" pattern may match. */
#define LIBRARY_CONF_MATCHES_MAX 64

#define LIBRARY_LD_SO_CACHE "/etc/ld.so.cache"
#define LIBRARY_LD_SO_CONF "/etc/ld.so.conf"
#define LIBRARY_MUSL_DEFAULT_PATH "/lib:/usr/local/lib:/usr/lib"

struct strlist {
	char **v;
	size_t n;
};

static void strlist_push(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

static bool strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

static void strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* One ELF object in load order: the program, then its libraries. */
struct lib_object {
	char *name;       /* the DT_NEEDED name it was found for */
	char *soname;     /* its DT_SONAME, NULL when it has none */
	char *path;       /* where it was opened */
	char *origin;     /* $ORIGIN: the directory of path */
	struct strlist needed;
	char *rpath, *runpath;
	uint64_t flags_1;
	size_t parent;    /* the object that needed it; 0 for the program */
	int depth;
};

struct lib_search {
	struct imagefs *fs;
	const struct image_config *cfg;
	long page_size;
	const struct library_subject *s;
	struct findings *f;
	bool musl;
	int elf_class, elf_data;
	uint16_t machine;
	struct lib_object *objs;
	size_t count;
	bool incomplete;      /* a limit stopped the walk */
	struct ldcache cache;
	bool cache_looked;
	bool cache_present;   /* a cache the loader would use */
	struct strlist defaults;   /* searched for sure */
	struct strlist others;     /* defaults of other builds */
	struct strlist conf;       /* ld.so.conf directories */
	bool conf_looked;
	struct buf listing;
	size_t listed;
	unsigned char *prefix;   /* the object's first bytes, or NULL */
	size_t prefix_len;
};

/* What the search for one name came to. */
enum lib_hit_kind {
	HIT_NONE = 0,
	HIT_SURE,        /* found where the loader looks */
	HIT_UNCERTAIN,   /* found where it may not look */
	HIT_BAD,         /* the loader stops at a broken file */
};

struct lib_hit {
	enum lib_hit_kind kind;
	char *path;
	struct imagefs_file file;
	char reason[ERROR_MESSAGE_MAX];   /* uncertain: why; bad: what */
	char *other;      /* first candidate for another machine */
	char other_desc[160];
	struct buf searched;
};

static void lib_hit_release(struct lib_hit *h)
{
	free(h->path);
	imagefs_file_release(&h->file);
	free(h->other);
	buf_release(&h->searched);
	memset(h, 0, sizeof(*h));
}

/* Note a place searched for the "not found" message, up to its cap. */
static void note_searched(struct lib_hit *h, const char *place)
{
	struct error ignored;
	size_t room = LIBRARY_SEARCHED_TEXT_MAX;

	if (h->searched.len >= room)
		return;
	if (h->searched.len + strlen(place) + 2 > room) {
		buf_append(&h->searched, ", ...", 5, room + 8, "", &ignored);
		h->searched.len = room;
		return;
	}
	if (h->searched.len)
		buf_append(&h->searched, ", ", 2, room, "", &ignored);
	buf_append(&h->searched, place, strlen(place), room, "", &ignored);
}

static void describe_elf(char *out, size_t size, const struct elf_info *e)
{
	snprintf(out, size, "%s %s %s (machine %u)",
		 elf_class_name(e->elf_class), elf_data_name(e->elf_data),
		 elf_machine_name(e->machine), e->machine);
}

/* The directory part of path ("/" for a file at the root). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* A directory from a search list made absolute: relative ones (and
   the empty one, which means ".") count from the working directory. */
static char *absolute_dir(const struct lib_search *ls, const char *dir)
{
	const char *wd = ls->cfg->working_dir;

	if (dir[0] == '/')
		return xstrdup(dir);
	if (!wd || !*wd)
		wd = "/";
	return xasprintf("%s/%s", wd, *dir ? dir : ".");
}

enum lib_cand {
	CAND_ABSENT = 0,
	CAND_FIT,
	CAND_OTHER,   /* another class or machine: the loader searches on */
	CAND_BAD,     /* the loader stops here with an error */
};

/* Judge one file as ld.so's open_verify does. */
static enum lib_cand judge_candidate(struct lib_search *ls,
				     const struct imagefs_file *file,
				     struct lib_hit *hit, const char *path)
{
	struct elf_info e;
	struct error perr;

	error_init(&perr);
	if (!elf_is_elf(file->head, file->head_len)) {
		snprintf(hit->reason, sizeof(hit->reason),
			 "not an ELF file: invalid ELF header");
		return CAND_BAD;
	}
	if (elf_parse(file->head, file->head_len, (uint64_t)file->size, &e,
		      &perr) < 0) {
		snprintf(hit->reason, sizeof(hit->reason), "%s",
			 perr.message);
		return CAND_BAD;
	}
	if (e.elf_class != ls->elf_class || e.elf_data != ls->elf_data ||
	    e.machine != ls->machine) {
		if (!hit->other) {
			hit->other = xstrdup(path);
			describe_elf(hit->other_desc, sizeof(hit->other_desc),
				     &e);
		}
		return ls->musl ? CAND_BAD : CAND_OTHER;
	}
	if (e.type != 3) {
		snprintf(hit->reason, sizeof(hit->reason),
			 "ELF type %u, not a shared object", e.type);
		return CAND_BAD;
	}
	return CAND_FIT;
}

/*
 * Try one path. Returns 1 when the search ends there (a fit, or a file
 * the loader stops at), 0 to go on, -1 when a layer cannot be read.
 * uncertain, when set, says why a fit there may not be what the loader
 * finds.
 */
static int try_path(struct lib_search *ls, const char *path,
		    const char *uncertain, struct lib_hit *hit,
		    struct error *err)
{
	struct imagefs_file file = {0};
	enum lib_cand c;

	if (imagefs_lookup(ls->fs, path, &file, err) < 0)
		return -1;
	if (file.status != IMAGEFS_FOUND) {
		imagefs_file_release(&file);
		return 0;
	}
	c = judge_candidate(ls, &file, hit, path);
	if (c == CAND_ABSENT || c == CAND_OTHER) {
		imagefs_file_release(&file);
		return 0;
	}
	hit->kind = c == CAND_BAD ? HIT_BAD : HIT_SURE;
	if (c == CAND_BAD && ls->musl && hit->other && !hit->reason[0])
		hit->kind = HIT_NONE;   /* reported as another machine */
	if (c == CAND_FIT && uncertain) {
		hit->kind = HIT_UNCERTAIN;
		snprintf(hit->reason, sizeof(hit->reason), "%s", uncertain);
	}
	hit->path = xstrdup(path);
	hit->file = file;
	return 1;
}

static int try_dir(struct lib_search *ls, const char *dir, const char *name,
		   const char *uncertain, struct lib_hit *hit,
		   struct error *err)
{
	char *abs = absolute_dir(ls, dir);
	char *path = xasprintf("%s/%s", strcmp(abs, "/") ? abs : "", name);
	int r;

	note_searched(hit, abs);
	r = try_path(ls, path, uncertain, hit, err);
	free(path);
	free(abs);
	return r;
}

/* Replace every token in s by value; the caller frees the result. */
static char *replace_all(const char *s, const char *token, const char *value)
{
	struct buf b;
	struct error ignored;
	const char *p;
	size_t tl = strlen(token);

	buf_init(&b);
	while ((p = strstr(s, token))) {
		buf_append(&b, s, (size_t)(p - s), SIZE_MAX, "", &ignored);
		buf_append(&b, value, strlen(value), SIZE_MAX, "", &ignored);
		s = p + tl;
	}
	buf_append(&b, s, strlen(s), SIZE_MAX, "", &ignored);
	return buf_detach(&b);
}

static bool has_token(const char *s, const char *name)
{
	char braced[32], bare[32];

	snprintf(braced, sizeof(braced), "${%s}", name);
	snprintf(bare, sizeof(bare), "$%s", name);
	return strstr(s, braced) || strstr(s, bare);
}

static char *expand_token(const char *s, const char *name, const char *value)
{
	char braced[32], bare[32];
	char *a, *b;

	snprintf(braced, sizeof(braced), "${%s}", name);
	snprintf(bare, sizeof(bare), "$%s", name);
	a = replace_all(s, braced, value);
	b = replace_all(a, bare, value);
	free(a);
	return b;
}

/* The values glibc may give $LIB and $PLATFORM, which depend on how it
   was built and on the CPU: every one is tried, and a hit is uncertain. */
static const char *const lib_values[] = {"lib64", "lib", NULL};

static const char *platform_value(uint16_t machine)
{
	switch (machine) {
	case 62: return "x86_64";
	case 3: return "i686";
	case 183: return "aarch64";
	case 21: return "ppc64le";
	case 22: return "s390x";
	case 243: return "riscv64";
	default: return "unknown";
	}
}

/* Search one directory of a list, its tokens expanded. */
static int search_element(struct lib_search *ls, const char *elem,
			  const char *origin, const char *name,
			  const char *uncertain, struct lib_hit *hit,
			  struct error *err)
{
	char *dir = expand_token(elem, "ORIGIN", origin);
	char *pdir, *ldir, why[512];
	size_t i;
	int r = 0;

	if (ls->musl || (!has_token(dir, "LIB") &&
			 !has_token(dir, "PLATFORM"))) {
		r = try_dir(ls, dir, name, uncertain, hit, err);
		free(dir);
		return r;
	}
	snprintf(why, sizeof(why), "its search path '%s' uses $LIB or "
		 "$PLATFORM, whose values depend on the loader's build and "
		 "the CPU", elem);
	pdir = expand_token(dir, "PLATFORM", platform_value(ls->machine));
	for (i = 0; lib_values[i] && r == 0; i++) {
		ldir = expand_token(pdir, "LIB", lib_values[i]);
		r = try_dir(ls, ldir, name, why, hit, err);
		free(ldir);
	}
	free(pdir);
	free(dir);
	return r;
}

/* Search a colon-separated list (glibc also splits LD_LIBRARY_PATH at
   semicolons). */
static int search_list(struct lib_search *ls, const char *list,
		       const char *seps, const char *origin,
		       const char *name, const char *uncertain,
		       struct lib_hit *hit, struct error *err)
{
	const char *p = list;
	int r = 0;

	while (r == 0) {
		size_t n = strcspn(p, seps);
		char *elem = xstrndup(p, n);

		r = search_element(ls, elem, origin, name, uncertain, hit,
				   err);
		free(elem);
		if (!p[n])
			break;
		p += n + 1;
	}
	return r;
}

static int search_dirs(struct lib_search *ls, const struct strlist *dirs,
		       const char *name, const char *uncertain,
		       struct lib_hit *hit, struct error *err)
{
	size_t i;
	int r = 0;

	for (i = 0; i < dirs->n && r == 0; i++)
		r = try_dir(ls, dirs->v[i], name, uncertain, hit, err);
	return r;
}

/* Read a whole small file of the image; NULL (and *len 0) when absent
   or larger than max. Returns -1 when a layer cannot be read. */
static int read_small_file(struct lib_search *ls, const char *path,
			   size_t max, unsigned char **out, size_t *len,
			   bool *too_big, struct error *err)
{
	struct imagefs_file file = {0};
	size_t got = 0;
	int r = 0;

	*out = NULL;
	*len = 0;
	*too_big = false;
	if (imagefs_lookup(ls->fs, path, &file, err) < 0)
		return -1;
	if (file.status == IMAGEFS_FOUND && (uint64_t)file.size > max)
		*too_big = true;
	else if (file.status == IMAGEFS_FOUND) {
		*out = xmalloc((size_t)file.size + 1);
		r = imagefs_file_read(ls->fs, &file, 0, *out,
				      (size_t)file.size, &got, err);
		(*out)[got] = '\0';
		*len = got;
	}
	imagefs_file_release(&file);
	if (r < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* ld.so reads /etc/ld.so.cache once; a cache it cannot read it ignores. */
static int load_cache(struct lib_search *ls, struct error *err)
{
	unsigned char *data;
	size_t len;
	bool too_big;
	struct error perr;

	if (ls->cache_looked)
		return 0;
	ls->cache_looked = true;
	if (read_small_file(ls, LIBRARY_LD_SO_CACHE, LDCACHE_SIZE_MAX, &data,
			    &len, &too_big, err) < 0)
		return -1;
	error_init(&perr);
	if (too_big)
		error_set(&perr, ERROR_FORMAT, "more than %d bytes "
			  "(LDCACHE_SIZE_MAX)", LDCACHE_SIZE_MAX);
	else if (data && ldcache_parse(data, len, ls->elf_data, &ls->cache,
				       &perr) == 0)
		ls->cache_present = true;
	if (perr.category != ERROR_NONE)
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_INFO,
			     "ld-cache-ignored",
			     "the image's %s cannot be used (%s): the "
			     "loader ignores it, and it was not read",
			     LIBRARY_LD_SO_CACHE, perr.message);
	free(data);
	return 0;
}

static int parse_conf(struct lib_search *ls, const char *path, int depth,
		      struct error *err);

struct conf_glob {
	const char *pattern;   /* the name part of an include pattern */
	struct strlist names;
};

static int conf_glob_name(void *ctx, const char *name)
{
	struct conf_glob *g = ctx;

	if (!fnmatch(g->pattern, name, FNM_PERIOD) &&
	    !strlist_has(&g->names, name) &&
	    g->names.n < LIBRARY_CONF_MATCHES_MAX)
		strlist_push(&g->names, name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "include PATTERN": wildcards only in its last component. */
static int conf_include(struct lib_search *ls, const char *from,
			const char *pattern, int depth, struct error *err)
{
	char *base = dir_of(from);
	char *full = pattern[0] == '/' ? xstrdup(pattern)
				       : xasprintf("%s/%s", base, pattern);
	char *dir = dir_of(full);
	struct conf_glob g = {strrchr(full, '/') + 1, {0}};
	size_t i;
	int r = 0;

	if (strpbrk(dir, "*?["))
		goto out;
	if (!strpbrk(g.pattern, "*?["))
		strlist_push(&g.names, g.pattern);
	else if (imagefs_list_dir(ls->fs, dir, conf_glob_name, &g, err) < 0)
		r = -1;
	qsort(g.names.v, g.names.n, sizeof(*g.names.v), cmp_str);
	for (i = 0; i < g.names.n && r == 0; i++) {
		char *p = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "",
				    g.names.v[i]);

		r = parse_conf(ls, p, depth + 1, err);
		free(p);
	}
out:
	strlist_release(&g.names);
	free(dir);
	free(full);
	free(base);
	return r;
}

/* One line of an ld.so.conf, as ldconfig reads it. */
static int conf_line(struct lib_search *ls, const char *path, char *line,
		     int depth, struct error *err)
{
	char *save = NULL, *word;

	line[strcspn(line, "#")] = '\0';
	word = strtok_r(line, " \t,:", &save);
	if (!word || !strcmp(word, "hwcap"))
		return 0;
	if (!strcmp(word, "include")) {
		while ((word = strtok_r(NULL, " \t", &save)))
			if (conf_include(ls, path, word, depth, err) < 0)
				return -1;
		return 0;
	}
	for (; word; word = strtok_r(NULL, " \t,:", &save)) {
		word[strcspn(word, "=")] = '\0';
		if (word[0] == '/' && ls->conf.n < LIBRARY_CONF_DIRS_MAX &&
		    !strlist_has(&ls->conf, word))
			strlist_push(&ls->conf, word);
	}
	return 0;
}

static int parse_conf(struct lib_search *ls, const char *path, int depth,
		      struct error *err)
{
	unsigned char *data;
	size_t len;
	bool too_big;
	char *save = NULL, *line;
	int r = 0;

	if (depth > LIBRARY_CONF_DEPTH_MAX)
		return 0;
	if (read_small_file(ls, path, LIBRARY_CONF_FILE_MAX, &data, &len,
			    &too_big, err) < 0)
		return -1;
	if (!data)
		return 0;
	for (line = strtok_r((char *)data, "\n", &save); line && r == 0;
	     line = strtok_r(NULL, "\n", &save))
		r = conf_line(ls, path, line, depth, err);
	free(data);
	return r;
}

static int load_conf(struct lib_search *ls, struct error *err)
{
	if (ls->conf_looked)
		return 0;
	ls->conf_looked = true;
	return parse_conf(ls, LIBRARY_LD_SO_CONF, 0, err);
}

/* Debian's multiarch names for the machines it builds glibc for. */
static const char *gnu_triplet(const struct lib_search *ls)
{
	switch (ls->machine) {
	case 62: return ls->elf_class == 2 ? "x86_64-linux-gnu" : NULL;
	case 3: return "i386-linux-gnu";
	case 183: return "aarch64-linux-gnu";
	case 40: return "arm-linux-gnueabihf";
	case 21: return ls->elf_data == 1 ? "powerpc64le-linux-gnu"
					  : "powerpc64-linux-gnu";
	case 22: return "s390x-linux-gnu";
	case 243: return "riscv64-linux-gnu";
	case 258: return "loongarch64-linux-gnu";
	default: return NULL;
	}
}

/* Upstream glibc's slibdir for the machine ("lib64" where 64-bit
   libraries live apart: x86-64, AArch64, POWER, z, LoongArch). */
static const char *upstream_libdir(const struct lib_search *ls)
{
	if (ls->elf_class != 2)
		return "lib";
	switch (ls->machine) {
	case 62: case 183: case 21: case 22: case 258: return "lib64";
	case 243: return "lib64/lp64d";
	default: return "lib";
	}
}

static void push_dir(struct strlist *l, const char *dir)
{
	if (!strlist_has(l, dir))
		strlist_push(l, dir);
}

/*
 * ld.so's built-in directories are its build's slibdir and libdir.
 * Debian and Ubuntu build it multiarch (/lib/TRIPLET, /usr/lib/TRIPLET,
 * then /lib, /usr/lib); upstream, Fedora and most others use /lib64 and
 * /usr/lib64 on 64-bit machines. Which build the image holds shows in
 * where its loader really lies; the other build's directories are only
 * "maybe".
 */
static void set_defaults(struct lib_search *ls)
{
	const char *t = gnu_triplet(ls), *up = upstream_libdir(ls);
	char *tdir = t ? xasprintf("/%s/", t) : NULL;
	char *d[6];
	bool debian = tdir && strstr(ls->s->loader, tdir);
	size_t i;

	d[0] = t ? xasprintf("/lib/%s", t) : NULL;
	d[1] = t ? xasprintf("/usr/lib/%s", t) : NULL;
	d[2] = xstrdup("/lib");
	d[3] = xstrdup("/usr/lib");
	d[4] = xasprintf("/%s", up);
	d[5] = xasprintf("/usr/%s", up);
	for (i = 0; i < 6; i++) {
		bool sure = debian ? i < 4 : i >= 4;

		if (d[i])
			push_dir(sure ? &ls->defaults : &ls->others, d[i]);
		free(d[i]);
	}
	if (!debian) {
		char *ld = dir_of(ls->s->loader);

		push_dir(&ls->defaults, ld);
		free(ld);
	}
	free(tdir);
}

static int search_cache(struct lib_search *ls, const char *name,
			struct lib_hit *hit, struct error *err)
{
	const struct ldcache_entry *e;
	size_t pos = 0;
	int r = 0;

	if (load_cache(ls, err) < 0)
		return -1;
	if (!ls->cache_present)
		return 0;
	note_searched(hit, LIBRARY_LD_SO_CACHE);
	while (r == 0 && (e = ldcache_find(&ls->cache, name, &pos)))
		r = try_path(ls, e->path, NULL, hit, err);
	return r;
}

/* Where the cache does not reach: directories only ld.so.conf names
   (ldconfig's, which ld.so never reads), and other builds' defaults. */
static int search_beyond(struct lib_search *ls, const char *name,
			 struct lib_hit *hit, struct error *err)
{
	char why[512];
	struct buf saved = hit->searched;
	int r;

	if (load_conf(ls, err) < 0)
		return -1;
	snprintf(why, sizeof(why), "the loader finds it there only through "
		 "%s, and the image's cache %s", LIBRARY_LD_SO_CACHE,
		 ls->cache_present ? "does not list it" : "is missing");
	/* these are not places the loader searches: keep them out of the
	   "searched" list */
	buf_init(&hit->searched);
	r = search_dirs(ls, &ls->conf, name, why, hit, err);
	snprintf(why, sizeof(why), "that is a default directory of glibc "
		 "builds laid out unlike this image's (its loader is '%s')",
		 ls->s->loader);
	if (r == 0)
		r = search_dirs(ls, &ls->others, name, why, hit, err);
	buf_release(&hit->searched);
	hit->searched = saved;
	return r;
}

static const char *lib_env(const struct lib_search *ls)
{
	return config_getenv(ls->cfg, "LD_LIBRARY_PATH");
}

/* glibc elf/dl-load.c _dl_map_object: DT_RPATH up the chain of objects
   that needed this one (each only if it has no DT_RUNPATH),
   LD_LIBRARY_PATH, DT_RUNPATH, ld.so.cache, the default directories. */
static int search_glibc(struct lib_search *ls, size_t who, const char *name,
			struct lib_hit *hit, struct error *err)
{
	const struct lib_object *o = &ls->objs[who];
	const char *env = lib_env(ls);
	bool nodeflib = o->flags_1 & ELFDYN_DF_1_NODEFLIB;
	size_t i = who;
	int r = 0;

	while (!o->runpath && r == 0) {
		const struct lib_object *l = &ls->objs[i];

		if (l->rpath && !l->runpath)
			r = search_list(ls, l->rpath, ":", l->origin, name,
					NULL, hit, err);
		if (i == 0)
			break;
		i = l->parent;
	}
	if (r == 0 && env && *env)
		r = search_list(ls, env, ":;", ls->objs[0].origin, name, NULL,
				hit, err);
	if (r == 0 && o->runpath)
		r = search_list(ls, o->runpath, ":", o->origin, name, NULL,
				hit, err);
	if (r == 0 && !nodeflib)
		r = search_cache(ls, name, hit, err);
	if (r == 0 && !nodeflib)
		r = search_dirs(ls, &ls->defaults, name, NULL, hit, err);
	if (r == 0 && !nodeflib)
		r = search_beyond(ls, name, hit, err);
	return r < 0 ? -1 : 0;
}

/* musl ldso/dynlink.c load_library: LD_LIBRARY_PATH, the run path
   (DT_RUNPATH, else DT_RPATH) of each object up the chain, then the
   system path from /etc/ld-musl-ARCH.path or its built-in default. */
static int search_musl(struct lib_search *ls, size_t who, const char *name,
		       struct lib_hit *hit, struct error *err)
{
	const char *env = lib_env(ls);
	size_t i = who;
	int r = 0;

	if (env && *env)
		r = search_list(ls, env, ":\n", ls->objs[0].origin, name,
				NULL, hit, err);
	while (r == 0) {
		const struct lib_object *l = &ls->objs[i];
		const char *rp = l->runpath ? l->runpath : l->rpath;

		if (rp)
			r = search_list(ls, rp, ":", l->origin, name, NULL,
					hit, err);
		if (i == 0)
			break;
		i = l->parent;
	}
	if (r == 0)
		r = search_dirs(ls, &ls->defaults, name, NULL, hit, err);
	return r < 0 ? -1 : 0;
}

/* musl's system path: its path file when there is one (lines or
   colons; an empty file means none), else the built-in default. 1 when
   the file is too large to read. */
static int set_musl_defaults(struct lib_search *ls, struct error *err)
{
	const char *base = strrchr(ls->s->interp, '/');
	char *arch, *path;
	unsigned char *data;
	size_t len;
	bool too_big;
	const char *p;
	char *save = NULL, *dir;

	base = base ? base + 1 : ls->s->interp;
	arch = xstrndup(base + strlen("ld-musl-"),
			strcspn(base + strlen("ld-musl-"), "."));
	path = xasprintf("/etc/ld-musl-%s.path", arch);
	free(arch);
	if (read_small_file(ls, path, LIBRARY_CONF_FILE_MAX, &data, &len,
			    &too_big, err) < 0) {
		free(path);
		return -1;
	}
	if (too_big) {
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "library-check-incomplete",
			     "%s is larger than %d bytes "
			     "(LIBRARY_CONF_FILE_MAX); the libraries were not "
			     "checked", path, LIBRARY_CONF_FILE_MAX);
		free(path);
		return 1;
	}
	free(path);
	p = data ? (const char *)data : LIBRARY_MUSL_DEFAULT_PATH;
	dir = xstrdup(p);
	for (p = strtok_r(dir, ":\n", &save); p; p = strtok_r(NULL, ":\n",
							       &save))
		if (ls->defaults.n < LIBRARY_CONF_DIRS_MAX)
			push_dir(&ls->defaults, p);
	free(dir);
	free(data);
	return 0;
}

/* How a report names object idx. The caller frees it. */
static char *subject(const struct lib_search *ls, size_t idx)
{
	const struct lib_object *o = &ls->objs[idx];

	if (idx == 0)
		return xasprintf("%s '%s'", ls->s->what, ls->s->path);
	return xasprintf("library '%s' ('%s')", o->name, o->path);
}

/* Bytes [off, off + len) of a file: 0, 1 when the file is too short
   for them (perr says so), -1 when a layer cannot be read. */
static int read_range(struct lib_search *ls, const struct imagefs_file *file,
		      uint64_t off, uint64_t len, const char *what,
		      unsigned char **out, struct error *perr,
		      struct error *err)
{
	size_t got = 0;

	*out = NULL;
	if (off > (uint64_t)file->size ||
	    len > (uint64_t)file->size - off) {
		error_set(perr, ERROR_FORMAT,
			  "%s past end of file: %" PRIu64
			  " bytes at offset %" PRIu64 ", file size %" PRId64,
			  what, len, off, file->size);
		return 1;
	}
	*out = xmalloc(len ? (size_t)len : 1);
	if (ls->prefix && off + len <= ls->prefix_len) {
		memcpy(*out, ls->prefix + off, (size_t)len);
		return 0;
	}
	if (imagefs_file_read(ls->fs, file, off, *out, (size_t)len, &got,
			      err) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	if (got < len) {
		free(*out);
		*out = NULL;
		error_set(perr, ERROR_FORMAT, "%s truncated: %zu of %" PRIu64
			  " bytes read", what, got, len);
		return 1;
	}
	return 0;
}

static void judge_library_alignment(struct lib_search *ls, size_t idx,
				    const struct elfdyn_segments *seg)
{
	uint64_t align = elfdyn_min_align(seg);
	char *who;

	if (idx == 0 || ls->page_size <= 0 || !seg->load_count ||
	    align == 0 || align >= (uint64_t)ls->page_size)
		return;
	who = subject(ls, idx);
	findings_add(ls->f, SIGNAL_BINARY, SEVERITY_FAIL,
		     "page-size-misaligned",
		     "%s has PT_LOAD segments aligned to 0x%llx bytes; this "
		     "kernel's pages are %ld bytes, so it cannot map them and "
		     "the program fails to start", who,
		     (unsigned long long)align, ls->page_size);
	free(who);
}

/* The strings the object's dynamic entries name. */
static int take_strings(struct lib_search *ls, struct lib_object *o,
			const struct elfdyn_info *d,
			const unsigned char *tab, size_t len, uint64_t lo,
			struct error *perr)
{
	char *s;
	size_t i;

	for (i = 0; i < d->needed_count; i++) {
		if (elfdyn_string(tab, len, d->strsz - lo, d->needed[i] - lo,
				  &s, perr) < 0)
			return 1;
		strlist_push(&o->needed, s);
		free(s);
	}
	if (d->has_rpath && elfdyn_string(tab, len, d->strsz - lo,
					  d->rpath - lo, &o->rpath, perr) < 0)
		return 1;
	if (d->has_runpath &&
	    elfdyn_string(tab, len, d->strsz - lo, d->runpath - lo,
			  &o->runpath, perr) < 0)
		return 1;
	if (d->has_soname &&
	    elfdyn_string(tab, len, d->strsz - lo, d->soname - lo,
			  &o->soname, perr) < 0)
		return 1;
	return 0;
}

/* The lowest and highest string offsets the entries use. */
static void string_span(const struct elfdyn_info *d, uint64_t *lo,
			uint64_t *hi)
{
	uint64_t v[ELFDYN_NEEDED_MAX + 3];
	size_t n = 0, i;

	for (i = 0; i < d->needed_count; i++)
		v[n++] = d->needed[i];
	if (d->has_rpath)
		v[n++] = d->rpath;
	if (d->has_runpath)
		v[n++] = d->runpath;
	if (d->has_soname)
		v[n++] = d->soname;
	*lo = *hi = n ? v[0] : 0;
	for (i = 1; i < n; i++) {
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

static int load_strings(struct lib_search *ls, struct lib_object *o,
			const struct imagefs_file *file,
			const struct elfdyn_segments *seg,
			const struct elfdyn_info *d, struct error *perr,
			struct error *err)
{
	uint64_t off, lo, hi, end;
	unsigned char *tab;
	int r;

	if (elfdyn_vaddr_offset(seg, d->strtab, d->strsz, &off, perr) < 0)
		return 1;
	string_span(d, &lo, &hi);
	if (lo >= d->strsz || hi >= d->strsz) {
		error_set(perr, ERROR_FORMAT,
			  "string offset %" PRIu64 " past the end of the "
			  "string table (%" PRIu64 " bytes)", hi, d->strsz);
		return 1;
	}
	end = d->strsz - hi > ELFDYN_STRING_MAX + 1
		  ? hi + ELFDYN_STRING_MAX + 1 : d->strsz;
	if (end - lo > ELFDYN_STRTAB_READ_MAX) {
		error_set(perr, ERROR_LIMIT,
			  "its library names span more than %d bytes "
			  "(ELFDYN_STRTAB_READ_MAX)", ELFDYN_STRTAB_READ_MAX);
		return 1;
	}
	r = read_range(ls, file, off + lo, end - lo, "string table", &tab,
		       perr, err);
	if (r != 0)
		return r;
	r = take_strings(ls, o, d, tab, (size_t)(end - lo), lo, perr);
	free(tab);
	return r;
}

/* Keep the file's bytes up to the end of its dynamic section when
   they lie past its head and within LIBRARY_PREFIX_READ_MAX. */
static int read_prefix(struct lib_search *ls, const struct imagefs_file *file,
		       uint64_t dyn_offset, uint64_t dyn_size,
		       struct error *err)
{
	uint64_t end = dyn_offset + dyn_size;
	size_t got = 0;

	if (end < dyn_offset || end > LIBRARY_PREFIX_READ_MAX ||
	    end > (uint64_t)file->size || end <= file->head_len)
		return 0;
	ls->prefix = xmalloc((size_t)end);
	if (imagefs_file_read(ls->fs, file, 0, ls->prefix, (size_t)end, &got,
			      err) < 0)
		return -1;
	ls->prefix_len = got;
	return 0;
}

/* Read what the object needs: program headers, dynamic section,
   strings. 0, 1 when the file is broken (perr), -1 on a layer error. */
static int load_object(struct lib_search *ls, size_t idx,
		       const struct imagefs_file *file, struct error *perr,
		       struct error *err)
{
	struct elfdyn_segments *seg = xcalloc(1, sizeof(*seg));
	struct elfdyn_info *d = xcalloc(1, sizeof(*d));
	uint64_t phoff, phsize, dyn_max;
	uint16_t phnum;
	unsigned char *bytes = NULL;
	size_t word = ls->elf_class == 2 ? 8 : 4;
	int r;

	elfdyn_phdr_table(file->head, &phoff, &phsize, &phnum);
	r = read_range(ls, file, phoff, phsize, "program headers", &bytes,
		       perr, err);
	if (r == 0 && elfdyn_parse_phdrs(ls->elf_class, ls->elf_data, bytes,
					 (size_t)phsize, phnum, seg,
					 perr) < 0)
		r = 1;
	free(bytes);
	bytes = NULL;
	if (r == 0)
		judge_library_alignment(ls, idx, seg);
	if (r == 0 && !seg->has_dynamic && idx > 0) {
		error_set(perr, ERROR_FORMAT,
			  "no dynamic section (PT_DYNAMIC)");
		r = 1;
	}
	if (r != 0 || !seg->has_dynamic)
		goto out;
	dyn_max = (uint64_t)(ELFDYN_ENTRIES_MAX + 1) * 2 * word;
	r = read_prefix(ls, file, seg->dyn_offset, seg->dyn_size, err);
	if (r < 0)
		goto out;
	r = read_range(ls, file, seg->dyn_offset,
		       seg->dyn_size < dyn_max ? seg->dyn_size : dyn_max,
		       "dynamic section", &bytes, perr, err);
	if (r == 0 && elfdyn_parse_dynamic(ls->elf_class, ls->elf_data,
					   bytes, seg->dyn_size < dyn_max ?
					   (size_t)seg->dyn_size :
					   (size_t)dyn_max, d, perr) < 0)
		r = 1;
	ls->objs[idx].flags_1 = d->flags_1;
	if (r == 0 && d->has_strtab && d->has_strsz)
		r = load_strings(ls, &ls->objs[idx], file, seg, d, perr, err);
out:
	free(ls->prefix);
	ls->prefix = NULL;
	ls->prefix_len = 0;
	free(bytes);
	free(seg);
	free(d);
	return r;
}

/* Names the loader satisfies without a search: itself (glibc's
   libc.so.6 needs ld-linux-x86-64.so.2), and for musl the libraries
   it implements (libc, libpthread, librt, libm, libdl, libutil,
   libxnet). */
static bool provided_by_loader(const struct lib_search *ls, const char *name)
{
	static const char *const musl_own[] = {
		"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet.", NULL,
	};
	const char *a = strrchr(ls->s->interp, '/');
	const char *b = strrchr(ls->s->loader, '/');
	size_t i;

	if (!strcmp(name, a ? a + 1 : ls->s->interp) ||
	    !strcmp(name, b ? b + 1 : ls->s->loader))
		return true;
	if (!ls->musl || strncmp(name, "lib", 3))
		return false;
	for (i = 0; musl_own[i]; i++)
		if (!strncmp(name + 3, musl_own[i], strlen(musl_own[i])))
			return true;
	return false;
}

static bool already_loaded(const struct lib_search *ls, const char *name)
{
	size_t i;

	for (i = 1; i < ls->count; i++)
		if (!strcmp(ls->objs[i].name, name) ||
		    (ls->objs[i].soname && !strcmp(ls->objs[i].soname, name)))
			return true;
	return false;
}

static void report_missing(struct lib_search *ls, size_t who,
			   const char *name, const struct lib_hit *hit)
{
	char *by = subject(ls, who);
	char have[160];

	if (hit->other) {
		describe_elf(have, sizeof(have), ls->s->elf);
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "library-wrong-architecture",
			     "%s needs '%s'; the only one found, '%s', is %s, "
			     "not %s like the program: the loader %s and the "
			     "container fails with \"error while loading "
			     "shared libraries: %s: cannot open shared object "
			     "file\"", by, name, hit->other, hit->other_desc,
			     have, ls->musl ? "cannot use it" : "skips it",
			     name);
	} else {
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "library-not-found",
			     "%s needs '%s', which is in none of the places "
			     "its loader searches (%s): the container fails "
			     "with \"error while loading shared libraries: %s: "
			     "cannot open shared object file: No such file or "
			     "directory\"", by, name,
			     hit->searched.len ? hit->searched.data
					       : "no directory at all",
			     name);
	}
	free(by);
}

static void add_object(struct lib_search *ls, size_t who, const char *name,
		       const char *path)
{
	struct lib_object *o;

	ls->objs = xrealloc(ls->objs, (ls->count + 1) * sizeof(*ls->objs));
	o = &ls->objs[ls->count++];
	memset(o, 0, sizeof(*o));
	o->name = xstrdup(name);
	o->path = xstrdup(path);
	o->origin = dir_of(path);
	o->parent = who;
	o->depth = ls->objs[who].depth + 1;
}

static void note_found(struct lib_search *ls, const char *name,
		       const char *path)
{
	struct error ignored;
	char *item;

	if (ls->listed++ >= LIBRARY_LISTED_MAX)
		return;
	item = xasprintf("%s%s (%s)", ls->listing.len ? ", " : "", name,
			 path);
	buf_append(&ls->listing, item, strlen(item), SIZE_MAX, "", &ignored);
	free(item);
}

/* A library found: judge it, then read what it needs in turn. */
static int take_hit(struct lib_search *ls, size_t who, const char *name,
		    struct lib_hit *hit, struct error *err)
{
	size_t idx = ls->count;
	struct error perr;
	char *by = subject(ls, who), *it;
	int r;

	if (hit->kind == HIT_UNCERTAIN)
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_WARN,
			     "library-uncertain",
			     "%s needs '%s', found only in '%s'; %s, so the "
			     "loader may not find it", by, name, hit->path,
			     hit->reason);
	add_object(ls, who, name, hit->path);
	note_found(ls, name, hit->path);
	error_init(&perr);
	r = load_object(ls, idx, &hit->file, &perr, err);
	it = subject(ls, idx);
	if (r == 1 && perr.category == ERROR_LIMIT) {
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "library-check-incomplete",
			     "%s: %s; the libraries it needs were not checked",
			     it, perr.message);
	} else if (r == 1) {
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "library-malformed",
			     "%s, needed by %s, is a broken ELF file (%s): the "
			     "loader refuses it", it, by, perr.message);
	}
	free(it);
	free(by);
	return r < 0 ? -1 : 0;
}

/* One DT_NEEDED name of object who. */
static int resolve(struct lib_search *ls, size_t who, const char *name,
		   struct strlist *seen, struct error *err)
{
	struct lib_hit hit = {0};
	char *by;
	int r;

	if (strlist_has(seen, name) || provided_by_loader(ls, name) ||
	    already_loaded(ls, name))
		return 0;
	strlist_push(seen, name);
	if (ls->count >= LIBRARY_MAX ||
	    ls->objs[who].depth >= LIBRARY_DEPTH_MAX) {
		ls->incomplete = true;
		return 0;
	}
	buf_init(&hit.searched);
	if (strchr(name, '/')) {
		char *p = absolute_dir(ls, name);

		r = try_path(ls, p, NULL, &hit, err);
		free(p);
	} else {
		r = ls->musl ? search_musl(ls, who, name, &hit, err)
			     : search_glibc(ls, who, name, &hit, err);
	}
	if (r >= 0 && (hit.kind == HIT_SURE || hit.kind == HIT_UNCERTAIN))
		r = take_hit(ls, who, name, &hit, err);
	else if (r >= 0 && hit.kind == HIT_BAD) {
		by = subject(ls, who);
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "library-malformed",
			     "%s needs '%s'; the loader opens '%s' and stops: "
			     "%s", by, name, hit.path, hit.reason);
		free(by);
	} else if (r >= 0) {
		report_missing(ls, who, name, &hit);
	}
	lib_hit_release(&hit);
	return r < 0 ? -1 : 0;
}

/* Breadth first: the program's libraries, then theirs, in order. */
static int walk(struct lib_search *ls, struct error *err)
{
	struct strlist seen = {0};
	size_t i, j;
	int r = 0;

	for (i = 0; i < ls->count && r == 0; i++)
		for (j = 0; j < ls->objs[i].needed.n && r == 0; j++)
			r = resolve(ls, i, ls->objs[i].needed.v[j], &seen,
				    err);
	strlist_release(&seen);
	return r;
}

static void conclude(struct lib_search *ls)
{
	char *who = subject(ls, 0);

	if (ls->incomplete)
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "library-check-incomplete",
			     "%s: its libraries go past %d libraries "
			     "(LIBRARY_MAX) or %d levels (LIBRARY_DEPTH_MAX); "
			     "the rest were not checked", who, LIBRARY_MAX,
			     LIBRARY_DEPTH_MAX);
	if (ls->listed)
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_INFO,
			     "libraries-found",
			     "%s: %zu shared librar%s found: %s%s", who,
			     ls->listed, ls->listed == 1 ? "y" : "ies",
			     ls->listing.data,
			     ls->listed > LIBRARY_LISTED_MAX ? ", ..." : "");
	free(who);
}

static void lib_search_release(struct lib_search *ls)
{
	size_t i;

	for (i = 0; i < ls->count; i++) {
		struct lib_object *o = &ls->objs[i];

		free(o->name);
		free(o->soname);
		free(o->path);
		free(o->origin);
		strlist_release(&o->needed);
		free(o->rpath);
		free(o->runpath);
	}
	free(ls->objs);
	ldcache_release(&ls->cache);
	strlist_release(&ls->defaults);
	strlist_release(&ls->others);
	strlist_release(&ls->conf);
	buf_release(&ls->listing);
}

static void report_own_dynamic(struct lib_search *ls,
			       const struct error *perr)
{
	char *who = subject(ls, 0);

	findings_add(ls->f, SIGNAL_BINARY,
		     perr->category == ERROR_LIMIT ? SEVERITY_UNKNOWN
						   : SEVERITY_FAIL,
		     perr->category == ERROR_LIMIT ? "library-check-incomplete"
						   : "binary-malformed",
		     "%s: its dynamic section cannot be used (%s)%s", who,
		     perr->message, perr->category == ERROR_LIMIT ?
		     "; its libraries were not checked" :
		     ": the loader refuses it");
	free(who);
}

int libraries_inspect(struct imagefs *fs, const struct image_config *cfg,
		      long page_size, const struct library_subject *s,
		      struct findings *f, struct error *err)
{
	struct lib_search ls = {0};
	const char *base = strrchr(s->interp, '/');
	const char *self = s->file->path ? s->file->path : s->path;
	struct error perr;
	int r;

	ls.fs = fs;
	ls.cfg = cfg;
	ls.page_size = page_size;
	ls.s = s;
	ls.f = f;
	ls.musl = !strncmp(base ? base + 1 : s->interp, "ld-musl-", 8);
	ls.elf_class = s->elf->elf_class;
	ls.elf_data = s->elf->elf_data;
	ls.machine = s->elf->machine;
	buf_init(&ls.listing);
	ls.objs = xcalloc(1, sizeof(*ls.objs));
	ls.count = 1;
	ls.objs[0].name = xstrdup(s->path);
	ls.objs[0].path = xstrdup(self);
	ls.objs[0].origin = dir_of(self);
	error_init(&perr);
	r = load_object(&ls, 0, s->file, &perr, err);
	if (r == 1)
		report_own_dynamic(&ls, &perr);
	if (r == 0 && ls.objs[0].needed.n) {
		if (ls.musl)
			r = set_musl_defaults(&ls, err);
		else
			set_defaults(&ls);
		if (r == 0 && walk(&ls, err) < 0)
			r = -1;
		else if (r == 0)
			conclude(&ls);
	}
	lib_search_release(&ls);
	return r < 0 ? -1 : 0;
}
