/* The files the shared-library check reads, each read and parsed once:
   program headers, dynamic section and the strings it names (ELF gABI,
   "Dynamic Section"), taken from the bytes a batch read hands over. */
#include "libfile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "elf.h"
#include "elfdyn.h"
#include "imagefs.h"

/* Where a parse takes bytes from. */
struct libfile_src {
	struct imagefs *fs;     /* NULL: only the bytes in head */
	const struct imagefs_file *file;
	const unsigned char *head;   /* the first bytes, at least the ELF
					header */
	size_t head_len;
	unsigned char *prefix;  /* read again (fs set); owned */
	size_t prefix_len;
	uint64_t need;          /* fs NULL, result 2: [0, need) wanted */
};

/* A read_range() outcome: the bytes are not among those kept. */
#define LIBFILE_MORE 2

enum libfile_stage {
	STAGE_NEW = 0,     /* not read yet */
	STAGE_READING,     /* its bytes are coming */
	STAGE_DONE,        /* judged, and parsed when a fit */
	STAGE_PENDING,     /* a fit whose parse needs the layer again */
};

struct libfile {
	struct imagefs_file file;    /* from imagefs_lookup_stat() */
	enum libfile_stage stage;
	unsigned char *buf;          /* its first bytes, while read */
	size_t len, want;
	bool judged;
	struct libfile_judgement j;
	bool parsed;
	struct libfile_parsed p;
};

struct libfile_set {
	struct imagefs *fs;
	struct libfile_target t;
	struct libfile *v;
	size_t n;
};

void libfile_parsed_release(struct libfile_parsed *p)
{
	size_t i;

	for (i = 0; i < p->needed_count; i++)
		free(p->needed[i]);
	free(p->needed);
	free(p->rpath);
	free(p->runpath);
	free(p->soname);
	memset(p, 0, sizeof(*p));
}

void libfile_describe_elf(char *out, size_t size, const struct elf_info *e)
{
	snprintf(out, size, "%s %s %s (machine %u)",
		 elf_class_name(e->elf_class), elf_data_name(e->elf_data),
		 elf_machine_name(e->machine), e->machine);
}

/* Judge a file by its head as ld.so's open_verify does. */
static void judge_head(const struct libfile_target *t,
		       const unsigned char *head, size_t len, int64_t size,
		       struct libfile_judgement *j)
{
	struct elf_info e;
	struct error perr;

	memset(j, 0, sizeof(*j));
	error_init(&perr);
	j->cand = CAND_BAD;
	if (!elf_is_elf(head, len)) {
		snprintf(j->reason, sizeof(j->reason),
			 "not an ELF file: invalid ELF header");
		return;
	}
	if (elf_parse(head, len, (uint64_t)size, &e, &perr) < 0) {
		snprintf(j->reason, sizeof(j->reason), "%s", perr.message);
		return;
	}
	if (e.elf_class != t->elf_class || e.elf_data != t->elf_data ||
	    e.machine != t->machine) {
		j->other_machine = true;
		libfile_describe_elf(j->other_desc, sizeof(j->other_desc), &e);
		j->cand = t->musl ? CAND_BAD : CAND_OTHER;
		return;
	}
	if (e.type != 3) {
		snprintf(j->reason, sizeof(j->reason),
			 "ELF type %u, not a shared object", e.type);
		return;
	}
	j->cand = CAND_FIT;
}

/* Keep the file's bytes up to end when the head lacks them and they are
   within LIBRARY_PREFIX_READ_MAX: one read instead of one per range. */
static int read_prefix(struct libfile_src *src, uint64_t end,
		       struct error *err)
{
	size_t got = 0;

	if (!src->fs || src->prefix || end > LIBRARY_PREFIX_READ_MAX ||
	    end > (uint64_t)src->file->size || end <= src->head_len)
		return 0;
	src->prefix = xmalloc((size_t)end);
	if (imagefs_file_read(src->fs, src->file, 0, src->prefix,
			      (size_t)end, &got, err) < 0)
		return -1;
	src->prefix_len = got;
	return 0;
}

/* Bytes [off, off + len) of the file: 0, 1 when the file is too short
   for them (perr says so), LIBFILE_MORE when they are not kept and the
   layer is not to be read, -1 when a layer cannot be read. */
static int read_range(struct libfile_src *src, uint64_t off, uint64_t len,
		      const char *what, unsigned char **out,
		      struct error *perr, struct error *err)
{
	int64_t size = src->file->size;
	size_t got = 0;

	*out = NULL;
	if (off > (uint64_t)size || len > (uint64_t)size - off) {
		error_set(perr, ERROR_FORMAT,
			  "%s past end of file: %" PRIu64
			  " bytes at offset %" PRIu64 ", file size %" PRId64,
			  what, len, off, size);
		return 1;
	}
	if (off + len > src->head_len && !src->fs) {
		src->need = off + len;
		return LIBFILE_MORE;
	}
	*out = xmalloc(len ? (size_t)len : 1);
	if (off + len <= src->head_len) {
		memcpy(*out, src->head + off, (size_t)len);
		return 0;
	}
	if (src->prefix && off + len <= src->prefix_len) {
		memcpy(*out, src->prefix + off, (size_t)len);
		return 0;
	}
	if (imagefs_file_read(src->fs, src->file, off, *out, (size_t)len,
			      &got, err) < 0) {
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

static void push_string(struct libfile_parsed *p, char *s)
{
	p->needed = xrealloc(p->needed,
			     (p->needed_count + 1) * sizeof(*p->needed));
	p->needed[p->needed_count++] = s;
}

/* The strings the object's dynamic entries name. */
static int take_strings(struct libfile_parsed *p, const struct elfdyn_info *d,
			const unsigned char *tab, size_t len, uint64_t lo,
			struct error *perr)
{
	char *s;
	size_t i;

	for (i = 0; i < d->needed_count; i++) {
		if (elfdyn_string(tab, len, d->strsz - lo, d->needed[i] - lo,
				  &s, perr) < 0)
			return 1;
		push_string(p, s);
	}
	if (d->has_rpath && elfdyn_string(tab, len, d->strsz - lo,
					  d->rpath - lo, &p->rpath, perr) < 0)
		return 1;
	if (d->has_runpath &&
	    elfdyn_string(tab, len, d->strsz - lo, d->runpath - lo,
			  &p->runpath, perr) < 0)
		return 1;
	if (d->has_soname &&
	    elfdyn_string(tab, len, d->strsz - lo, d->soname - lo,
			  &p->soname, perr) < 0)
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

static int load_strings(struct libfile_src *src, struct libfile_parsed *p,
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
	r = read_range(src, off + lo, end - lo, "string table", &tab, perr,
		       err);
	if (r != 0)
		return r;
	r = take_strings(p, d, tab, (size_t)(end - lo), lo, perr);
	free(tab);
	return r;
}

/* The program headers: 0, 1 broken, LIBFILE_MORE, -1. */
static int load_phdrs(struct libfile_src *src, int elf_data,
		      struct elfdyn_segments *seg, struct libfile_parsed *p,
		      struct error *perr, struct error *err)
{
	uint64_t phoff, phsize;
	uint16_t phnum;
	unsigned char *bytes;
	int elf_class = seg->elf_class;
	int r;

	elfdyn_phdr_table(src->head, &phoff, &phsize, &phnum);
	r = read_range(src, phoff, phsize, "program headers", &bytes, perr,
		       err);
	if (r == 0 && elfdyn_parse_phdrs(elf_class, elf_data, bytes,
					 (size_t)phsize, phnum, seg,
					 perr) < 0)
		r = 1;
	free(bytes);
	if (r == 0) {
		p->phdrs_ok = true;
		p->min_align = elfdyn_min_align(seg);
		p->load_count = seg->load_count;
	}
	return r;
}

/* The dynamic section and its strings: 0, 1, LIBFILE_MORE, -1. */
static int load_dynamic(struct libfile_src *src, const struct elfdyn_segments
			*seg, struct libfile_parsed *p, struct error *perr,
			struct error *err)
{
	struct elfdyn_info *d = xcalloc(1, sizeof(*d));
	size_t word = seg->elf_class == 2 ? 8 : 4;
	uint64_t dyn_max = (uint64_t)(ELFDYN_ENTRIES_MAX + 1) * 2 * word;
	uint64_t dyn_len = seg->dyn_size < dyn_max ? seg->dyn_size : dyn_max;
	unsigned char *bytes = NULL;
	int r;

	if (seg->dyn_offset + seg->dyn_size >= seg->dyn_offset &&
	    read_prefix(src, seg->dyn_offset + seg->dyn_size, err) < 0) {
		free(d);
		return -1;
	}
	r = read_range(src, seg->dyn_offset, dyn_len, "dynamic section",
		       &bytes, perr, err);
	if (r == 0 && elfdyn_parse_dynamic(seg->elf_class, seg->elf_data,
					   bytes, (size_t)dyn_len, d,
					   perr) < 0)
		r = 1;
	if (r != LIBFILE_MORE)
		p->flags_1 = d->flags_1;
	if (r == 0 && d->has_strtab && d->has_strsz)
		r = load_strings(src, p, seg, d, perr, err);
	free(bytes);
	free(d);
	return r;
}

/* Read what the object needs: program headers, dynamic section,
   strings. 0 (p->r says whether it is broken), LIBFILE_MORE, -1. */
static int parse_src(struct libfile_src *src, const struct libfile_target *t,
		     bool program, struct libfile_parsed *p,
		     struct error *err)
{
	struct elfdyn_segments *seg = xcalloc(1, sizeof(*seg));
	int r;

	memset(p, 0, sizeof(*p));
	error_init(&p->perr);
	seg->elf_class = t->elf_class;
	seg->elf_data = t->elf_data;
	r = load_phdrs(src, t->elf_data, seg, p, &p->perr, err);
	if (r == 0 && !seg->has_dynamic && !program) {
		error_set(&p->perr, ERROR_FORMAT,
			  "no dynamic section (PT_DYNAMIC)");
		r = 1;
	}
	if (r == 0 && seg->has_dynamic)
		r = load_dynamic(src, seg, p, &p->perr, err);
	free(seg);
	if (r == 1)
		p->r = 1;
	return r == 1 ? 0 : r;
}

int libfile_parse_found(struct imagefs *fs, const struct imagefs_file *file,
			const struct libfile_target *t, bool program,
			struct libfile_parsed *out, struct error *err)
{
	struct libfile_src src = {fs, file, file->head, file->head_len,
				  NULL, 0, 0};
	int r = parse_src(&src, t, program, out, err);

	free(src.prefix);
	return r < 0 ? -1 : 0;
}

struct libfile_set *libfile_set_new(struct imagefs *fs,
				    const struct libfile_target *t)
{
	struct libfile_set *set = xcalloc(1, sizeof(*set));

	set->fs = fs;
	set->t = *t;
	return set;
}

void libfile_set_free(struct libfile_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		imagefs_file_release(&set->v[i].file);
		free(set->v[i].buf);
		libfile_parsed_release(&set->v[i].p);
	}
	free(set->v);
	free(set);
}

/*
 * What glibc and musl do with a name that is not a regular file: they go
 * on past nothing (ENOENT, ENOTDIR), and stop at a directory (the read
 * fails, "cannot read file data: Is a directory"), a link loop (ELOOP)
 * or a device or fifo (not mappable).
 */
static const char *libfile_stop_reason(enum imagefs_status status)
{
	switch (status) {
	case IMAGEFS_IS_DIR:
		return "it is a directory (\"cannot read file data: Is a "
		       "directory\")";
	case IMAGEFS_LOOP:
		return "too many levels of symbolic links";
	case IMAGEFS_SPECIAL:
		return "it is a device, fifo or socket, not a file it can map";
	default:
		return NULL;
	}
}

int libfile_lookup(struct libfile_set *set, const char *path, size_t *idx,
		   const char **why, struct error *err)
{
	struct imagefs_file file = {0};
	struct libfile *f;
	size_t i;

	if (imagefs_lookup_stat(set->fs, path, &file, err) < 0)
		return -1;
	if (file.status != IMAGEFS_FOUND) {
		*why = libfile_stop_reason(file.status);
		imagefs_file_release(&file);
		return *why ? 3 : 0;
	}
	for (i = 0; i < set->n; i++)
		if (set->v[i].file.layer == file.layer &&
		    set->v[i].file.entry == file.entry)
			break;
	if (i == set->n && set->n >= LIBFILE_MAX) {
		imagefs_file_release(&file);
		return 2;
	}
	*idx = i;
	if (i < set->n) {
		imagefs_file_release(&file);
		return 1;
	}
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	f = &set->v[set->n++];
	memset(f, 0, sizeof(*f));
	free(file.head);        /* a batch read gives the bytes */
	file.head = NULL;
	file.head_len = 0;
	f->file = file;
	return 1;
}

/* Parse from the bytes kept so far: done, or more wanted, or the rest
   left to a read of its own. */
static void file_try_parse(const struct libfile_set *set, struct libfile *f)
{
	struct libfile_src src = {NULL, &f->file, f->buf, f->len, NULL, 0, 0};
	struct error ignored;
	int r;

	error_init(&ignored);
	r = parse_src(&src, &set->t, false, &f->p, &ignored);
	if (r == 0) {
		f->parsed = true;
		return;
	}
	libfile_parsed_release(&f->p);
	if (src.need > f->len && src.need <= LIBRARY_PREFIX_READ_MAX) {
		f->want = (size_t)src.need;
		f->buf = xrealloc(f->buf, f->want);
	}
}

/* The first bytes wanted have come: judge, and say what else is needed. */
static void file_advance(const struct libfile_set *set, struct libfile *f)
{
	if (!f->judged) {
		judge_head(&set->t, f->buf, f->len, f->file.size, &f->j);
		f->judged = true;
	}
	if (f->j.cand == CAND_FIT && !f->parsed)
		file_try_parse(set, f);
}

/* All the bytes it will get are in: keep only the head of a fit that
   could not be parsed from them, for a read of its own later. */
static void file_finish(const struct libfile_set *set, struct libfile *f)
{
	size_t keep;

	if (!f->judged)
		file_advance(set, f);
	f->stage = f->j.cand == CAND_FIT && !f->parsed ? STAGE_PENDING
							 : STAGE_DONE;
	if (f->stage == STAGE_PENDING) {
		keep = f->len < IMAGEFS_HEAD_MAX ? f->len : IMAGEFS_HEAD_MAX;
		f->file.head = xmalloc(keep ? keep : 1);
		memcpy(f->file.head, f->buf, keep);
		f->file.head_len = keep;
	}
	free(f->buf);
	f->buf = NULL;
	f->len = f->want = 0;
}

/* Which set files a batch reads: its files[i] is set->v[idx[i]]. */
struct libfile_batch {
	const struct libfile_set *set;
	size_t *idx;
};

static int file_chunk(void *ctx, size_t i, uint64_t offset,
		      const unsigned char *data, size_t len)
{
	struct libfile_batch *b = ctx;
	struct libfile *f = &b->set->v[b->idx[i]];

	(void)offset;    /* chunks come in order: f->len is the offset */
	/* allocated when the file's bytes begin: a batch reads its files
	   one after another, so one buffer is alive at a time */
	if (!f->buf)
		f->buf = xmalloc(f->want ? f->want : 1);
	if (!data) {
		file_finish(b->set, f);
		return 0;
	}
	while (len > 0 && f->len < f->want) {
		size_t take = f->want - f->len < len ? f->want - f->len : len;
		size_t want = f->want;

		memcpy(f->buf + f->len, data, take);
		f->len += take;
		data += take;
		len -= take;
		if (f->len == f->want)
			file_advance(b->set, f);
		if (f->want == want)
			break;
	}
	return f->len >= f->want;
}

static void file_start(struct libfile *f)
{
	uint64_t size = (uint64_t)f->file.size;

	f->stage = STAGE_READING;
	f->want = size < IMAGEFS_HEAD_MAX ? (size_t)size : IMAGEFS_HEAD_MAX;
	f->buf = NULL;
	f->len = 0;
}

/* Read the files named by idx[0..n) in one batch. */
static int read_files(struct libfile_set *set, size_t *idx, size_t n,
		      struct error *err)
{
	const struct imagefs_file **files = xcalloc(n ? n : 1,
						    sizeof(*files));
	struct libfile_batch b = {set, idx};
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		file_start(&set->v[idx[i]]);
		files[i] = &set->v[idx[i]].file;
	}
	r = imagefs_files_read(set->fs, files, n, file_chunk, &b, err);
	for (i = 0; i < n && r < 0; i++) {
		struct libfile *f = &set->v[idx[i]];

		if (f->stage != STAGE_READING)
			continue;
		free(f->buf);
		f->buf = NULL;
		libfile_parsed_release(&f->p);
		f->parsed = f->judged = false;
		f->stage = STAGE_NEW;
	}
	free(files);
	return r;
}

int libfile_read_pending(struct libfile_set *set, struct error *err)
{
	size_t *idx = xcalloc(set->n ? set->n : 1, sizeof(*idx));
	size_t i, n = 0;
	int r;

	for (i = 0; i < set->n; i++)
		if (set->v[i].stage == STAGE_NEW)
			idx[n++] = i;
	r = read_files(set, idx, n, err);
	free(idx);
	return r;
}

bool libfile_known(const struct libfile_set *set, size_t idx)
{
	return set->v[idx].stage >= STAGE_DONE;
}

int libfile_judge(struct libfile_set *set, size_t idx,
		  const struct libfile_judgement **out, struct error *err)
{
	if (set->v[idx].stage == STAGE_NEW &&
	    read_files(set, &idx, 1, err) < 0)
		return -1;
	*out = &set->v[idx].j;
	return 0;
}

int libfile_parse(struct libfile_set *set, size_t idx,
		  const struct libfile_parsed **out, struct error *err)
{
	struct libfile *f = &set->v[idx];

	if (f->stage == STAGE_NEW && read_files(set, &idx, 1, err) < 0)
		return -1;
	if (f->stage == STAGE_PENDING) {
		if (libfile_parse_found(set->fs, &f->file, &set->t, false,
					&f->p, err) < 0)
			return -1;
		f->parsed = true;
		f->stage = STAGE_DONE;
	}
	*out = &f->p;
	return 0;
}
