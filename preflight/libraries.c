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
#include "libfile.h"
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
	struct libfile_set *files;   /* every file the search met */
	bool collecting;      /* looking up a level's candidates only */
	bool files_full;      /* LIBFILE_MAX stopped the walk */
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
	size_t file;      /* in ls->files */
	char reason[ERROR_MESSAGE_MAX];   /* uncertain: why; bad: what */
	char *other;      /* first candidate for another machine */
	char other_desc[LIBFILE_DESC_MAX];
	struct buf searched;
};

static void lib_hit_release(struct lib_hit *h)
{
	free(h->path);
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
	if (!*dir || !strcmp(dir, "."))
		return xstrdup(wd);
	return xasprintf("%s%s%s", wd, wd[strlen(wd) - 1] == '/' ? "" : "/",
			 dir);
}

/* Replay a file's judgement for the search at path. */
static enum lib_cand judge_candidate(const struct libfile_judgement *j,
				     struct lib_hit *hit, const char *path)
{
	if (j->other_machine) {
		if (!hit->other) {
			hit->other = xstrdup(path);
			snprintf(hit->other_desc, sizeof(hit->other_desc),
				 "%s", j->other_desc);
		}
	} else if (j->cand == CAND_BAD) {
		snprintf(hit->reason, sizeof(hit->reason), "%s", j->reason);
	}
	return j->cand;
}

/* While a level's candidates are collected: does the search end at
   this file, already judged? */
static int collect_path(struct lib_search *ls, size_t idx)
{
	const struct libfile_judgement *j;
	struct error ignored;

	if (!libfile_known(ls->files, idx))
		return 0;
	error_init(&ignored);
	if (libfile_judge(ls->files, idx, &j, &ignored) < 0)
		return 0;
	return j->cand == CAND_FIT || j->cand == CAND_BAD;
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
	const struct libfile_judgement *j;
	const char *why = NULL;
	enum lib_cand c;
	size_t idx = 0;
	int r = libfile_lookup(ls->files, path, &idx, &why, err);

	if (r <= 0)
		return r;
	if (r == 2) {           /* LIBFILE_MAX: the walk ends here */
		ls->files_full = true;
		return 1;
	}
	if (r == 3) {           /* the loader opens it and stops */
		if (ls->collecting)
			return 1;
		hit->kind = HIT_BAD;
		snprintf(hit->reason, sizeof(hit->reason), "%s", why);
		hit->path = xstrdup(path);
		hit->file = SIZE_MAX;
		return 1;
	}
	if (ls->collecting)
		return collect_path(ls, idx);
	if (libfile_judge(ls->files, idx, &j, err) < 0)
		return -1;
	c = judge_candidate(j, hit, path);
	if (c == CAND_ABSENT || c == CAND_OTHER)
		return 0;
	hit->kind = c == CAND_BAD ? HIT_BAD : HIT_SURE;
	if (c == CAND_BAD && ls->musl && hit->other && !hit->reason[0])
		hit->kind = HIT_NONE;   /* reported as another machine */
	if (c == CAND_FIT && uncertain) {
		hit->kind = HIT_UNCERTAIN;
		snprintf(hit->reason, sizeof(hit->reason), "%s", uncertain);
	}
	hit->path = xstrdup(path);
	hit->file = idx;
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

		/* glibc takes an empty element as the working directory;
		   musl skips it (path_open in ldso/dynlink.c) */
		if (n || !ls->musl)
			r = search_element(ls, elem, origin, name, uncertain,
					   hit, err);
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
	if (imagefs_lookup_stat(ls->fs, path, &file, err) < 0)
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
	if (r == 0 && !nodeflib && !ls->collecting)
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
			r = search_list(ls, rp, ":\n", l->origin, name, NULL,
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

static void judge_library_alignment(struct lib_search *ls, size_t idx,
				    const struct libfile_parsed *p)
{
	uint64_t align = p->min_align;
	char *who;

	if (idx == 0 || ls->page_size <= 0 || !p->load_count ||
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

/* Give object idx what its file's parse found, and judge it. */
static void apply_parsed(struct lib_search *ls, size_t idx,
			 const struct libfile_parsed *p)
{
	struct lib_object *o = &ls->objs[idx];
	size_t i;

	if (p->phdrs_ok)
		judge_library_alignment(ls, idx, p);
	o->flags_1 = p->flags_1;
	for (i = 0; i < p->needed_count; i++)
		strlist_push(&o->needed, p->needed[i]);
	o->rpath = p->rpath ? xstrdup(p->rpath) : NULL;
	o->runpath = p->runpath ? xstrdup(p->runpath) : NULL;
	o->soname = p->soname ? xstrdup(p->soname) : NULL;
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
		libfile_describe_elf(have, sizeof(have), ls->s->elf);
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
	const struct libfile_parsed *p;
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
	r = libfile_parse(ls->files, hit->file, &p, err);
	if (r == 0) {
		apply_parsed(ls, idx, p);
		r = p->r;
		perr = p->perr;
	}
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

/* Search the places the loader looks for name, needed by object who. */
static int search_name(struct lib_search *ls, size_t who, const char *name,
		       struct lib_hit *hit, struct error *err)
{
	char *p, *named;
	int r;

	if (!strchr(name, '/'))
		return ls->musl ? search_musl(ls, who, name, hit, err)
				: search_glibc(ls, who, name, hit, err);
	/* glibc expands $ORIGIN in a DT_NEEDED path too */
	named = ls->musl ? xstrdup(name) :
		expand_token(name, "ORIGIN", ls->objs[who].origin);
	p = absolute_dir(ls, named);
	r = try_path(ls, p, NULL, hit, err);
	free(p);
	free(named);
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
	if (!ls->musl && (has_token(name, "LIB") ||
			  has_token(name, "PLATFORM"))) {
		by = subject(ls, who);
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "library-check-incomplete",
			     "%s needs '%s', a name with a $ token this check "
			     "does not expand; whether the loader finds it is "
			     "not known", by, name);
		free(by);
		return 0;
	}
	buf_init(&hit.searched);
	r = search_name(ls, who, name, &hit, err);
	if (r >= 0 && ls->files_full)
		;       /* conclude() says the walk stopped */
	else if (r >= 0 && (hit.kind == HIT_SURE ||
			    hit.kind == HIT_UNCERTAIN))
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

/*
 * Before a level of the walk is judged, look up every place its names
 * may be found (by the index alone) and read all the files found there
 * together: one pass over each layer for the whole level, rather than
 * one per file. Places the search reaches only when nothing surer fits
 * (ld.so.conf's directories, other builds' defaults) are left to the
 * judging, which reads such a file on its own if it gets there.
 */
static int collect_level(struct lib_search *ls, size_t lo, size_t hi,
			 const struct strlist *seen, struct error *err)
{
	size_t i, j;
	int r = 0;

	ls->collecting = true;
	for (i = lo; i < hi && r == 0; i++) {
		const struct lib_object *o = &ls->objs[i];

		for (j = 0; j < o->needed.n && r == 0; j++) {
			const char *name = o->needed.v[j];
			struct lib_hit hit = {0};

			if (strlist_has(seen, name) ||
			    provided_by_loader(ls, name) ||
			    already_loaded(ls, name) ||
			    ls->count >= LIBRARY_MAX ||
			    o->depth >= LIBRARY_DEPTH_MAX)
				continue;
			buf_init(&hit.searched);
			r = search_name(ls, i, name, &hit, err);
			lib_hit_release(&hit);
		}
	}
	ls->collecting = false;
	if (r == 0)
		r = libfile_read_pending(ls->files, err);
	return r;
}

/* Breadth first, a level at a time: the program's libraries, then
   theirs, each level in order. */
static int walk(struct lib_search *ls, struct error *err)
{
	struct strlist seen = {0};
	size_t lo = 0, hi, i, j;
	int r = 0;

	while (lo < ls->count && r == 0 && !ls->files_full) {
		hi = ls->count;
		r = collect_level(ls, lo, hi, &seen, err);
		for (i = lo; i < hi && r == 0; i++)
			for (j = 0; j < ls->objs[i].needed.n && r == 0; j++)
				r = resolve(ls, i, ls->objs[i].needed.v[j],
					    &seen, err);
		lo = hi;
	}
	strlist_release(&seen);
	return r;
}

static void conclude(struct lib_search *ls)
{
	char *who = subject(ls, 0);

	if (ls->files_full)
		findings_add(ls->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "library-check-incomplete",
			     "%s: the search for its libraries meets more "
			     "than %d files (LIBFILE_MAX); the rest were not "
			     "checked", who, LIBFILE_MAX);
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
	libfile_set_free(ls->files);
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
	struct libfile_target target;
	struct libfile_parsed own = {0};
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
	target.elf_class = ls.elf_class;
	target.elf_data = ls.elf_data;
	target.machine = ls.machine;
	target.musl = ls.musl;
	ls.files = libfile_set_new(fs, &target);
	buf_init(&ls.listing);
	ls.objs = xcalloc(1, sizeof(*ls.objs));
	ls.count = 1;
	ls.objs[0].name = xstrdup(s->path);
	ls.objs[0].path = xstrdup(self);
	ls.objs[0].origin = dir_of(self);
	r = libfile_parse_found(fs, s->file, &target, true, &own, err);
	if (r == 0) {
		apply_parsed(&ls, 0, &own);
		r = own.r;
	}
	if (r == 1)
		report_own_dynamic(&ls, &own.perr);
	libfile_parsed_release(&own);
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
