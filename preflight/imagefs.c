/* The image's merged file system, read lazily from its layers top down. */
#include "imagefs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "blob.h"
#include "buf.h"
#include "decompress.h"
#include "error.h"
#include "escape.h"

/*
 * Bytes of memory the index may take over all layers read in a run: its
 * nodes and hash buckets, and every string they keep (names, link targets,
 * whiteout names). Entries are bounded by IMAGEFS_ENTRIES_MAX, but a
 * hostile layer of deep or long names, or of long symlink targets, makes
 * each entry cost kilobytes (300000 symlinks to 4 KiB targets compress to
 * 2 MB of zstd). With this cap a run's worst case stays near 256 MiB plus
 * libarchive's buffers and one head per lookup; typical names cost about
 * 210 bytes an entry, so a real image of a million entries still fits.
 */
#define IMAGEFS_INDEX_BYTES_MAX (256UL * 1024 * 1024)
/* What malloc adds to each allocation (glibc: a size word and rounding
   to 16 bytes), charged with it so that many small strings add up. */
#define IMAGEFS_ALLOC_OVERHEAD 16

/* Room for an escaped digest or path quoted in a message. */
#define IMAGEFS_QUOTE_MAX 200

/* OCI image-spec layer.md, "Whiteouts": the name prefixes that mark them. */
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

enum imagefs_kind {
	KIND_NONE = 0,    /* only implied by entries below it, or a marker */
	KIND_FILE,
	KIND_DIR,
	KIND_SYMLINK,
	KIND_HARDLINK,
	KIND_SPECIAL,
};

/* What one layer says about one path: its first entry and its markers.
   Wide fields first: a run may hold a million of these. */
struct imagefs_node {
	struct imagefs_node *next;    /* hash chain */
	char *path;                   /* normalised, no leading '/' */
	size_t path_len;
	size_t ordinal;               /* the first entry's position in the
					 tar */
	char *target;                 /* symlink target as stored, or the
					 normalised hard link target */
	int64_t size;
	size_t child_ordinal;         /* position of the first entry below */
	char *whiteout;               /* "/<dir>/.wh.<name>" deleting it */
	unsigned char *head;          /* first bytes, once read */
	size_t head_len;
	enum imagefs_kind kind;       /* of the first entry with this path */
	unsigned int mode;
	bool implicit_dir;            /* some entry lies below this path */
	bool opaque;                  /* "<path>/.wh..wh..opq" seen */
	bool head_read;
};

struct imagefs_layer_state {
	struct imagefs_node **buckets;
	size_t bucket_count;
	size_t node_count;
	size_t indexed;       /* entries indexed: the next ordinal to add */
	bool complete;        /* read to the end of the tar */
};

/* The bridge between a blob stream and libarchive's read callback. */
struct imagefs_reader {
	struct blob_stream *stream;   /* uncompressed (decompress.h) */
	struct blob_stream *raw;      /* the blob as fetched, its input */
	struct error err;
	bool failed;
};

/* The one layer stream open at a time, positioned after entry next-1. */
struct imagefs_cursor {
	bool open;
	size_t layer;
	struct archive *archive;
	struct imagefs_reader reader;
	size_t next;          /* ordinal of the next header */
	char *path;           /* normalised name of the current entry */
	bool data_pending;    /* the current entry's data is unread */
};

struct imagefs {
	const struct imagefs_layer *layers;
	size_t count;
	struct layer_opener opener;
	struct imagefs_layer_state *state;
	struct imagefs_cursor cursor;
	struct imagefs_stats stats;   /* of closed streams, plus entries,
					 markers and the index's bytes */
	imagefs_head_fn head_fn;      /* NULL: heads of IMAGEFS_HEAD_MAX */
};

/* What a layer decides about a path, if anything. */
enum imagefs_verdict {
	VERDICT_NONE = 0,   /* look further down */
	VERDICT_SYMLINK,    /* node is a symlink at the path or above it */
	VERDICT_NOT_DIR,
	VERDICT_IS_DIR,
	VERDICT_SPECIAL,
	VERDICT_FILE,       /* node is a regular file or a hard link */
	VERDICT_WHITEOUT,   /* node carries the whiteout */
	VERDICT_OPAQUE,     /* an opaque directory above hides lower layers */
	VERDICT_HIDDEN,     /* node is not a directory, but an upper layer
			       made it one: nothing under it shows from
			       this layer down */
};

struct imagefs_decision {
	enum imagefs_verdict verdict;
	struct imagefs_node *node;
	size_t ordinal;
};

static const char *imagefs_quote(char *out, const char *s)
{
	return escape_into(out, IMAGEFS_QUOTE_MAX, s);
}

static int imagefs_layer_error(const struct imagefs *fs, size_t layer,
			       struct error *err)
{
	char q[IMAGEFS_QUOTE_MAX];

	return error_prefix(err, "layer '%s'",
			    imagefs_quote(q, fs->layers[layer].digest));
}

static int imagefs_check_length(const char *s, size_t len, const char *what,
				struct error *err)
{
	char q[IMAGEFS_QUOTE_MAX];

	if (len < IMAGEFS_PATH_MAX)
		return 0;
	return error_set(err, ERROR_LIMIT,
			 "%s '%s' longer than %d bytes (IMAGEFS_PATH_MAX)",
			 what, imagefs_quote(q, s), IMAGEFS_PATH_MAX);
}

/*
 * Normalise a path lexically, as a runtime does before it joins a tar
 * member to the root: drop empty and "." components, let ".." remove the
 * previous one but never climb above the root. The result has no leading
 * '/'; "" is the root. The caller frees *out.
 */
static int imagefs_path_normalise(const char *in, char **out,
				  struct error *err)
{
	size_t len = strlen(in);
	char *p = xmalloc(len + 1);
	size_t o = 0;
	const char *s = in;

	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && p[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (n > 0 && !(n == 1 && s[0] == '.')) {
			if (o > 0)
				p[o++] = '/';
			memcpy(p + o, s, n);
			o += n;
		}
		s += n;
		if (*s == '/')
			s++;
	}
	p[o] = '\0';
	if (imagefs_check_length(p, o + 1, "path", err) < 0) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* FNV-1a: short, and good enough for path names. */
static size_t imagefs_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct imagefs_node *imagefs_find(const struct imagefs_layer_state *st,
					 const char *path, size_t len)
{
	struct imagefs_node *n;

	if (!st->bucket_count)
		return NULL;
	n = st->buckets[imagefs_hash(path, len) % st->bucket_count];
	for (; n; n = n->next)
		if (n->path_len == len && !memcmp(n->path, path, len))
			return n;
	return NULL;
}

static void imagefs_rehash(struct imagefs_layer_state *st)
{
	size_t count = st->bucket_count ? st->bucket_count * 2 : 1024;
	struct imagefs_node **b = xcalloc(count, sizeof(*b));
	size_t i;

	for (i = 0; i < st->bucket_count; i++) {
		struct imagefs_node *n = st->buckets[i], *next;

		for (; n; n = next) {
			size_t h = imagefs_hash(n->path, n->path_len) % count;

			next = n->next;
			n->next = b[h];
			b[h] = n;
		}
	}
	free(st->buckets);
	st->buckets = b;
	st->bucket_count = count;
}

/* Charge `allocs` allocations of `bytes` in all to the index, before
   making them. */
static int imagefs_charge(struct imagefs *fs, size_t bytes, size_t allocs,
			  struct error *err)
{
	uint64_t cost = (uint64_t)bytes +
			(uint64_t)allocs * IMAGEFS_ALLOC_OVERHEAD;

	if (fs->stats.index_bytes + cost > IMAGEFS_INDEX_BYTES_MAX)
		return error_set(err, ERROR_LIMIT,
				 "index of names and links over %lu bytes (IMAGEFS_INDEX_BYTES_MAX)",
				 IMAGEFS_INDEX_BYTES_MAX);
	fs->stats.index_bytes += cost;
	return 0;
}

/* The node for path in this layer, created empty when new. */
static struct imagefs_node *imagefs_node_get(struct imagefs *fs,
					     struct imagefs_layer_state *st,
					     const char *path, size_t len,
					     struct error *err)
{
	struct imagefs_node *n = imagefs_find(st, path, len);
	size_t h;

	if (n)
		return n;
	if (st->node_count >= st->bucket_count) {
		size_t more = st->bucket_count ? st->bucket_count : 1024;

		if (imagefs_charge(fs, more * sizeof(*st->buckets), 0,
				   err) < 0)
			return NULL;
		imagefs_rehash(st);
	}
	if (imagefs_charge(fs, sizeof(*n) + len + 1, 2, err) < 0)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	n->path = xstrndup(path, len);
	n->path_len = len;
	h = imagefs_hash(path, len) % st->bucket_count;
	n->next = st->buckets[h];
	st->buckets[h] = n;
	st->node_count++;
	return n;
}

/* Length of the directory part of path[0..len): "a/b/c" gives 3. */
static size_t imagefs_dirname_len(const char *path, size_t len)
{
	while (len > 0 && path[len - 1] != '/')
		len--;
	return len > 0 ? len - 1 : 0;
}

/* Count a questionable entry for the caller, keeping the first name. */
static void imagefs_note(size_t *count, char *first, const char *name)
{
	if ((*count)++ == 0)
		escape_quote(first, IMAGEFS_STATS_NAME_MAX, name,
			     IMAGEFS_STATS_NAME_MAX);
}

/* The layer names path[0..len) a second time; lookups see the first. */
static void imagefs_note_duplicate(struct imagefs *fs, const char *path,
				   size_t len)
{
	char *name = xasprintf("/%.*s", (int)len, path);

	imagefs_note(&fs->stats.duplicate_entries, fs->stats.first_duplicate,
		     name);
	free(name);
}

static bool imagefs_kind_is_nondir(enum imagefs_kind kind)
{
	return kind != KIND_NONE && kind != KIND_DIR;
}

/*
 * An entry at ordinal makes every directory above it exist in this layer,
 * even without entries of their own. Stops at the first directory already
 * implied, whose parents an earlier entry has implied.
 */
static int imagefs_imply_parents(struct imagefs *fs,
				 struct imagefs_layer_state *st,
				 const char *path, size_t len, size_t ordinal,
				 struct error *err)
{
	while (len > 0) {
		struct imagefs_node *n;

		len = imagefs_dirname_len(path, len);
		n = imagefs_node_get(fs, st, path, len, err);
		if (!n)
			return -1;
		if (n->implicit_dir)
			return 0;
		if (imagefs_kind_is_nondir(n->kind))
			imagefs_note_duplicate(fs, path, len);
		n->implicit_dir = true;
		n->child_ordinal = ordinal;
	}
	return 0;
}

static enum imagefs_kind imagefs_entry_kind(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return KIND_HARDLINK;
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return KIND_FILE;
	case AE_IFDIR:
		return KIND_DIR;
	case AE_IFLNK:
		return KIND_SYMLINK;
	default:
		return KIND_SPECIAL;
	}
}

/* Fill a fresh node from its tar entry; later duplicates are ignored.
   The kind is set last, so that a failure leaves the node unfilled. */
static int imagefs_node_fill(struct imagefs *fs, struct imagefs_node *n,
			     struct archive_entry *e, size_t ordinal,
			     struct error *err)
{
	enum imagefs_kind kind = imagefs_entry_kind(e);
	const char *t = NULL;
	char *target = NULL;

	if (kind == KIND_HARDLINK)
		t = archive_entry_hardlink(e);
	else if (kind == KIND_SYMLINK)
		t = archive_entry_symlink(e);
	if (t && (imagefs_check_length(t, strlen(t), "link target", err) < 0 ||
		  imagefs_charge(fs, strlen(t) + 1, 1, err) < 0))
		return -1;
	if (t && kind == KIND_HARDLINK &&
	    imagefs_path_normalise(t, &target, err) < 0)
		return -1;
	if (t && kind == KIND_SYMLINK)
		target = xstrdup(t);
	n->target = target;
	n->ordinal = ordinal;
	n->mode = archive_entry_mode(e);
	n->size = archive_entry_size(e);
	n->kind = kind;
	return 0;
}

/*
 * OCI image-spec layer.md, "Whiteouts": "<dir>/.wh.<name>" deletes <name>
 * from lower layers, "<dir>/.wh..wh..opq" hides all of <dir> below; other
 * ".wh..wh." names are AUFS bookkeeping and mean nothing here.
 */
static int imagefs_index_marker(struct imagefs *fs,
				struct imagefs_layer_state *st,
				const char *path, size_t dir_len,
				const char *base, struct error *err)
{
	const char *name = base + strlen(WHITEOUT_PREFIX);
	struct imagefs_node *n;
	char *victim;

	if (!strcmp(base, WHITEOUT_OPAQUE)) {
		n = imagefs_node_get(fs, st, path, dir_len, err);
		if (n)
			n->opaque = true;
		return n ? 0 : -1;
	}
	if (!strncmp(base, WHITEOUT_META_PREFIX,
		     strlen(WHITEOUT_META_PREFIX)) ||
	    !*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	victim = dir_len ? xasprintf("%.*s/%s", (int)dir_len, path, name)
			 : xstrdup(name);
	n = imagefs_node_get(fs, st, victim, strlen(victim), err);
	free(victim);
	if (!n)
		return -1;
	if (n->whiteout)
		return 0;
	if (imagefs_charge(fs, strlen(path) + 2, 1, err) < 0)
		return -1;
	n->whiteout = xasprintf("/%s", path);
	return 0;
}

/* Remember entry `ordinal` of a layer under its normalised path. */
static int imagefs_index_entry(struct imagefs *fs, size_t layer,
			       const char *path, struct archive_entry *e,
			       size_t ordinal, struct error *err)
{
	struct imagefs_layer_state *st = &fs->state[layer];
	size_t len = strlen(path);
	size_t dir_len = imagefs_dirname_len(path, len);
	const char *base = path + (dir_len ? dir_len + 1 : 0);
	enum imagefs_kind kind;
	struct imagefs_node *n;

	if (fs->stats.entries >= IMAGEFS_ENTRIES_MAX)
		return error_set(err, ERROR_LIMIT,
				 "more than %d entries (IMAGEFS_ENTRIES_MAX)",
				 IMAGEFS_ENTRIES_MAX);
	fs->stats.entries++;
	if (len == 0)
		return 0;   /* "./" itself: the root is always a directory */
	if (imagefs_imply_parents(fs, st, path, len, ordinal, err) < 0)
		return -1;
	if (!strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
		return imagefs_index_marker(fs, st, path, dir_len, base, err);
	n = imagefs_node_get(fs, st, path, len, err);
	if (!n)
		return -1;
	kind = imagefs_entry_kind(e);
	if (imagefs_kind_is_nondir(n->kind) ||
	    (kind != KIND_DIR && (n->kind == KIND_DIR || n->implicit_dir)))
		imagefs_note_duplicate(fs, path, len);
	if (n->kind != KIND_NONE)
		return 0;
	return imagefs_node_fill(fs, n, e, ordinal, err);
}

static void imagefs_cursor_close(struct imagefs *fs)
{
	struct imagefs_cursor *c = &fs->cursor;

	if (!c->open)
		return;
	fs->stats.unpacked_bytes += (uint64_t)archive_filter_bytes(c->archive,
								   0);
	fs->stats.compressed_bytes += c->reader.raw->delivered;
	archive_read_free(c->archive);
	blob_stream_close(c->reader.stream);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static la_ssize_t imagefs_archive_read(struct archive *a, void *ctx,
				       const void **data)
{
	struct imagefs_reader *r = ctx;
	ssize_t n = blob_stream_read(r->stream, data, &r->err);

	if (n < 0) {
		r->failed = true;
		archive_set_error(a, EIO, "%s", r->err.message);
	}
	return n;
}

/*
 * At the end of the tar, read what is left of the blob (end-of-archive
 * blocks, padding, the compressor's trailer): only a stream read to its
 * end is checked against its digest and size. The stream itself stops
 * at the size the manifest gives.
 */
static int imagefs_drain(struct imagefs *fs, struct error *err)
{
	struct imagefs_reader *r = &fs->cursor.reader;

	if (r->failed) {
		*err = r->err;
		return -1;
	}
	return decompress_drain(r->stream, err);
}

/*
 * Turn libarchive's failure into ours: a failing stream keeps its own
 * category and message, anything else is a malformed layer. Closes the
 * cursor, whose archive holds the message.
 */
static int imagefs_archive_error(struct imagefs *fs, struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	const char *msg = archive_error_string(c->archive);
	size_t layer = c->layer;
	char q[IMAGEFS_QUOTE_MAX];

	if (c->reader.failed)
		*err = c->reader.err;
	else
		error_set(err, ERROR_FORMAT, "%s",
			  imagefs_quote(q, msg ? msg : "unreadable tar"));
	imagefs_cursor_close(fs);
	return imagefs_layer_error(fs, layer, err);
}

/*
 * Open layer as the cursor. Compression is sniffed from the magic bytes,
 * not taken from the media type: OCI image-spec layer.md allows gzip and
 * zstd, and images in the wild mislabel them. Those two are undone by
 * decompress.c, which fetches no more than the reader asks for;
 * anything else is left to libarchive's filters.
 */
static int imagefs_cursor_open(struct imagefs *fs, size_t layer,
			       struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	struct blob_stream *s;

	imagefs_cursor_close(fs);
	s = fs->opener.open(fs->opener.ctx, layer, err);
	if (!s)
		return imagefs_layer_error(fs, layer, err);
	c->open = true;
	c->layer = layer;
	c->reader.raw = s;
	c->reader.stream = decompress_open(s);
	error_init(&c->reader.err);
	c->archive = archive_read_new();
	if (!c->archive)
		abort();
	fs->stats.layers_opened++;
	archive_read_support_filter_all(c->archive);
	archive_read_support_format_tar(c->archive);
	/* A blob of no bytes, or compressing none, is an empty layer to
	   containerd: Go's archive/tar reports io.EOF at once. */
	archive_read_support_format_empty(c->archive);
	if (archive_read_open(c->archive, &c->reader, NULL,
			      imagefs_archive_read, NULL) != ARCHIVE_OK)
		return imagefs_archive_error(fs, err);
	return 0;
}

static int imagefs_check_unpacked(struct imagefs *fs, struct archive_entry *e,
				  struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	int64_t pos = archive_filter_bytes(c->archive, 0);
	int64_t size = archive_entry_size(e);
	uint64_t end = (uint64_t)(pos > 0 ? pos : 0) +
		       (uint64_t)(size > 0 ? size : 0);

	size_t layer = c->layer;

	if (end <= IMAGEFS_LAYER_UNPACKED_MAX)
		return 0;
	error_set(err, ERROR_LIMIT,
		  "more than %llu unpacked bytes (IMAGEFS_LAYER_UNPACKED_MAX)",
		  IMAGEFS_LAYER_UNPACKED_MAX);
	imagefs_cursor_close(fs);
	return imagefs_layer_error(fs, layer, err);
}

/* Does path climb above the root, as "../app" or "a/../../app" do? */
static bool imagefs_path_escapes(const char *s)
{
	size_t depth = 0;

	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (depth == 0)
				return true;
			depth--;
		} else if (n > 0 && !(n == 1 && s[0] == '.')) {
			depth++;
		}
		s += n;
		if (*s == '/')
			s++;
	}
	return false;
}

/*
 * Count an entry whose name or hard link target climbs out of the root.
 * Lookups clamp it to the root, as containerd does, but moby and CRI-O
 * refuse the layer (a "breakout" error), so the caller should know.
 */
static void imagefs_note_escape(struct imagefs *fs, struct archive_entry *e,
				const char *name)
{
	const char *link = archive_entry_hardlink(e);
	char *both;

	if (imagefs_path_escapes(name)) {
		imagefs_note(&fs->stats.escaping_entries,
			     fs->stats.first_escaping, name);
		return;
	}
	if (!link || !imagefs_path_escapes(link))
		return;
	both = xasprintf("%s -> %s", name, link);
	imagefs_note(&fs->stats.escaping_entries, fs->stats.first_escaping,
		     both);
	free(both);
}

/* Record the current entry's normalised name, and index it when new. */
static int imagefs_cursor_take(struct imagefs *fs, struct archive_entry *e,
			       struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	struct imagefs_layer_state *st = &fs->state[c->layer];
	const char *name = archive_entry_pathname(e);

	if (!name)
		name = "";
	if (imagefs_check_length(name, strlen(name), "entry", err) < 0 ||
	    imagefs_path_normalise(name, &c->path, err) < 0)
		return -1;
	if (c->next == st->indexed) {
		imagefs_note_escape(fs, e, name);
		if (imagefs_index_entry(fs, c->layer, c->path, e, c->next,
					err) < 0)
			return -1;
		st->indexed++;
	}
	c->next++;
	c->data_pending = true;
	return 0;
}

/*
 * Move the cursor to the next tar header, indexing it when it is new.
 * Returns 1 with an entry, 0 at the end of the layer (which closes the
 * cursor), -1 on error. ARCHIVE_WARN still delivered the header.
 */
static int imagefs_cursor_next(struct imagefs *fs, struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	size_t layer = c->layer;
	struct archive_entry *e;
	int r = archive_read_next_header(c->archive, &e);

	free(c->path);
	c->path = NULL;
	c->data_pending = false;
	if (r == ARCHIVE_EOF) {
		fs->state[layer].complete = true;
		if (imagefs_drain(fs, err) < 0) {
			imagefs_cursor_close(fs);
			return imagefs_layer_error(fs, layer, err);
		}
		imagefs_cursor_close(fs);
		return 0;
	}
	if (r < ARCHIVE_WARN)
		return imagefs_archive_error(fs, err);
	if (imagefs_check_unpacked(fs, e, err) < 0)
		return -1;
	if (imagefs_cursor_take(fs, e, err) < 0) {
		imagefs_cursor_close(fs);
		return imagefs_layer_error(fs, layer, err);
	}
	return 1;
}

/* Put the cursor on layer with `ordinal` as the next header to read,
   reusing the open stream when it has not gone past that point. */
static int imagefs_cursor_seek(struct imagefs *fs, size_t layer,
			       size_t ordinal, struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;

	if (!c->open || c->layer != layer || c->next > ordinal)
		if (imagefs_cursor_open(fs, layer, err) < 0)
			return -1;
	while (c->next < ordinal) {
		int r = imagefs_cursor_next(fs, err);

		if (r < 0)
			return -1;
		if (r == 0) {
			error_set(err, ERROR_FORMAT,
				  "entry %zu missing when read again",
				  ordinal);
			return imagefs_layer_error(fs, layer, err);
		}
	}
	return 0;
}

/* Length of the prefix of t that is the next ancestor after `from`, or
   t's full length. */
static size_t imagefs_next_prefix(const char *t, size_t from)
{
	const char *slash = strchr(t + from + (from ? 1 : 0), '/');

	return slash ? (size_t)(slash - t) : strlen(t);
}

static void imagefs_consider(struct imagefs_decision *d,
			     enum imagefs_verdict v, struct imagefs_node *n,
			     size_t ordinal)
{
	if (d->verdict != VERDICT_NONE && d->ordinal <= ordinal)
		return;
	d->verdict = v;
	d->node = n;
	d->ordinal = ordinal;
}

static enum imagefs_verdict imagefs_kind_verdict(enum imagefs_kind kind,
						 bool last)
{
	switch (kind) {
	case KIND_SYMLINK:
		return VERDICT_SYMLINK;
	case KIND_DIR:
		return last ? VERDICT_IS_DIR : VERDICT_NONE;
	case KIND_FILE:
	case KIND_HARDLINK:
		return last ? VERDICT_FILE : VERDICT_NOT_DIR;
	case KIND_SPECIAL:
		return last ? VERDICT_SPECIAL : VERDICT_NOT_DIR;
	default:
		return VERDICT_NONE;
	}
}

/*
 * What the entries of a layer known so far decide about t: among the
 * decisive entries (t itself, an entry below t that makes it a directory,
 * a symlink or non-directory above t) the one first in the tar wins. Real
 * layers hold each name once; for a hostile one this matches what a
 * streaming reader can know, and the earlier entry is the one a runtime
 * created first.
 *
 * The first dir_len bytes of t name a directory in an upper layer. In
 * overlayfs a directory merges only with lower directories of its name
 * (Documentation/filesystems/overlayfs.rst, "Directories"): a symlink or
 * file there ends the merge, and this layer and all below it show
 * nothing under that name.
 */
static void imagefs_decide_known(const struct imagefs_layer_state *st,
				 const char *t, size_t dir_len,
				 struct imagefs_decision *d)
{
	size_t len = strlen(t), p = 0;

	memset(d, 0, sizeof(*d));
	do {
		enum imagefs_verdict v;
		struct imagefs_node *n;
		bool last;

		p = imagefs_next_prefix(t, p);
		last = p == len;
		n = imagefs_find(st, t, p);
		if (!n)
			continue;
		v = imagefs_kind_verdict(n->kind, last);
		if (v != VERDICT_NONE && p <= dir_len)
			v = VERDICT_HIDDEN;
		if (v != VERDICT_NONE)
			imagefs_consider(d, v, n, n->ordinal);
		if (last && n->implicit_dir)
			imagefs_consider(d, VERDICT_IS_DIR, n,
					 n->child_ordinal);
	} while (p < len);
}

/*
 * A layer read to the end that decided nothing may still hide the lower
 * layers: a whiteout of t or an ancestor, or an opaque ancestor. Entries
 * of the same layer are not hidden by its own markers (layer.md).
 */
static void imagefs_decide_hidden(const struct imagefs_layer_state *st,
				  const char *t, struct imagefs_decision *d)
{
	size_t len = strlen(t), p = 0;
	struct imagefs_node *n = imagefs_find(st, "", 0);

	if (n && n->opaque) {
		d->verdict = VERDICT_OPAQUE;
		d->node = n;
	}
	do {
		p = imagefs_next_prefix(t, p);
		n = imagefs_find(st, t, p);
		if (n && n->whiteout) {
			d->verdict = VERDICT_WHITEOUT;
			d->node = n;
			return;
		}
		if (n && n->opaque && p < len && !d->verdict) {
			d->verdict = VERDICT_OPAQUE;
			d->node = n;
		}
	} while (p < len);
}

/* Could the entry at path decide t? A cheap filter before the index. */
static bool imagefs_entry_relevant(const char *path, const char *t)
{
	size_t pl = strlen(path), tl = strlen(t);

	if (pl <= tl)
		return !strncmp(path, t, pl) && (pl == tl || t[pl] == '/');
	return !strncmp(path, t, tl) && path[tl] == '/';
}

/* Read more of layer until its entries decide t or it ends. */
static int imagefs_layer_stream(struct imagefs *fs, size_t layer,
				const char *t, size_t dir_len,
				struct imagefs_decision *d, struct error *err)
{
	struct imagefs_layer_state *st = &fs->state[layer];

	if (imagefs_cursor_seek(fs, layer, st->indexed, err) < 0)
		return -1;
	while (!st->complete) {
		int r = imagefs_cursor_next(fs, err);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (!imagefs_entry_relevant(fs->cursor.path, t))
			continue;
		imagefs_decide_known(st, t, dir_len, d);
		if (d->verdict != VERDICT_NONE)
			return 0;
	}
	return 0;
}

static int imagefs_layer_decide(struct imagefs *fs, size_t layer,
				const char *t, size_t dir_len,
				struct imagefs_decision *d, struct error *err)
{
	struct imagefs_layer_state *st = &fs->state[layer];

	imagefs_decide_known(st, t, dir_len, d);
	if (d->verdict == VERDICT_NONE && !st->complete &&
	    imagefs_layer_stream(fs, layer, t, dir_len, d, err) < 0)
		return -1;
	if (d->verdict == VERDICT_NONE && st->complete)
		imagefs_decide_hidden(st, t, d);
	return 0;
}

/* How much more of the head to read, given its first len bytes: the
   head function's answer, within IMAGEFS_HEAD_MAX. */
static size_t imagefs_head_want(const struct imagefs *fs,
				const unsigned char *head, size_t len,
				int64_t size)
{
	size_t want;

	if (!fs->head_fn)
		return IMAGEFS_HEAD_MAX;
	if (len < IMAGEFS_HEAD_FIRST)
		return IMAGEFS_HEAD_FIRST;
	want = fs->head_fn(head, len, size);
	return want < IMAGEFS_HEAD_MAX ? want : IMAGEFS_HEAD_MAX;
}

/*
 * Read the start of the current entry: IMAGEFS_HEAD_MAX bytes, or as
 * much as the head function wants. The decompressor is told how much
 * is wanted, so that the network is asked for no more than that.
 */
static int imagefs_cursor_read_head(struct imagefs *fs,
				    struct imagefs_node *n, struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	unsigned char *head = xmalloc(IMAGEFS_HEAD_MAX);
	size_t len = 0, want;

	while ((want = imagefs_head_want(fs, head, len, n->size)) > len) {
		la_ssize_t r;

		blob_stream_want(c->reader.stream, want - len);
		r = archive_read_data(c->archive, head + len, want - len);
		if (r == 0 || r == ARCHIVE_WARN)
			break;
		if (r < 0) {
			free(head);
			return imagefs_archive_error(fs, err);
		}
		len += (size_t)r;
	}
	blob_stream_want(c->reader.stream, 0);
	c->data_pending = false;
	n->head = xrealloc(head, len ? len : 1);
	n->head_len = len;
	n->head_read = true;
	return 0;
}

/* The node's first bytes: from the open stream when it is there, else
   by reading the layer again up to that entry. Cached on the node. */
static int imagefs_node_head(struct imagefs *fs, size_t layer,
			     struct imagefs_node *n, struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;

	if (n->head_read)
		return 0;
	if (!(c->open && c->layer == layer && c->next == n->ordinal + 1 &&
	      c->data_pending)) {
		if (imagefs_cursor_seek(fs, layer, n->ordinal, err) < 0 ||
		    imagefs_cursor_next(fs, err) < 0)
			return -1;
		if (!c->open || c->next != n->ordinal + 1) {
			error_set(err, ERROR_FORMAT,
				  "entry %zu missing when read again",
				  n->ordinal);
			return imagefs_layer_error(fs, layer, err);
		}
	}
	return imagefs_cursor_read_head(fs, n, err);
}

/* Record a link followed; out takes the string. */
static void imagefs_add_link(struct imagefs_file *out, char *link)
{
	out->links = xrealloc(out->links,
			      (out->link_count + 1) * sizeof(*out->links));
	out->links[out->link_count++] = link;
}

/*
 * A tar hard link names an earlier entry of the same layer (POSIX ustar,
 * typeflag '1'); follow it to the entry that holds the data.
 */
static int imagefs_hardlink_resolve(struct imagefs *fs, size_t layer,
				    struct imagefs_node **np,
				    struct imagefs_file *out,
				    struct error *err)
{
	struct imagefs_node *n = *np;
	char q1[IMAGEFS_QUOTE_MAX], q2[IMAGEFS_QUOTE_MAX];

	while (n->kind == KIND_HARDLINK) {
		struct imagefs_node *t = imagefs_find(&fs->state[layer],
						      n->target,
						      strlen(n->target));

		if (!t || t->kind == KIND_NONE || t->ordinal >= n->ordinal) {
			error_set(err, ERROR_FORMAT,
				  "hard link '/%s' to '/%s': no earlier entry of that name",
				  imagefs_quote(q1, n->path),
				  imagefs_quote(q2, n->target));
			return imagefs_layer_error(fs, layer, err);
		}
		imagefs_add_link(out, xasprintf("/%s -> /%s", n->path,
						n->target));
		out->via_hardlink = true;
		n = t;
	}
	*np = n;
	return 0;
}

static void imagefs_fill_node(struct imagefs_file *out,
			      enum imagefs_status status, size_t layer,
			      const struct imagefs_node *n)
{
	out->status = status;
	out->layer = layer;
	out->size = n->size;
	out->mode = n->mode;
}

/* Fill out for a regular file, the end of any hard link. */
static int imagefs_found_file(struct imagefs *fs, size_t layer,
			      struct imagefs_node *n, bool want_head,
			      struct imagefs_file *out, struct error *err)
{
	char q[IMAGEFS_QUOTE_MAX];

	if (n->kind == KIND_SPECIAL) {
		imagefs_fill_node(out, IMAGEFS_SPECIAL, layer, n);
		return 0;
	}
	if (n->kind != KIND_FILE) {
		error_set(err, ERROR_FORMAT,
			  "hard link to '/%s', which is not a regular file",
			  imagefs_quote(q, n->path));
		return imagefs_layer_error(fs, layer, err);
	}
	if (want_head && imagefs_node_head(fs, layer, n, err) < 0)
		return -1;
	imagefs_fill_node(out, IMAGEFS_FOUND, layer, n);
	out->entry = n->ordinal;
	if (!n->head_read)
		return 0;
	out->head = xmalloc(n->head_len ? n->head_len : 1);
	memcpy(out->head, n->head, n->head_len);
	out->head_len = n->head_len;
	return 0;
}

/*
 * Replace the symlink at link (t or an ancestor of t, link_len bytes of
 * it) by its target: an absolute target starts at the image root, a
 * relative one at the link's directory, ".." stops at the root
 * (path_resolution(7) with the image root as "/"). Sets *next, which the
 * caller frees, or ends the lookup: an empty target names nothing
 * (ENOENT), and more than IMAGEFS_SYMLINK_HOPS_MAX links is a loop.
 */
static int imagefs_follow_symlink(const char *t, size_t link_len,
				  const char *target, char **next,
				  struct imagefs_file *out, struct error *err)
{
	size_t dir_len = imagefs_dirname_len(t, link_len);
	char *joined;
	int r;

	if (!target || !*target) {
		out->status = IMAGEFS_NOT_FOUND;
		return 0;
	}
	if (out->link_count >= IMAGEFS_SYMLINK_HOPS_MAX) {
		out->status = IMAGEFS_LOOP;
		return 0;
	}
	imagefs_add_link(out, xasprintf("/%.*s -> %s", (int)link_len, t,
					target));
	if (target[0] == '/')
		joined = xasprintf("%s%s", target, t + link_len);
	else
		joined = xasprintf("%.*s/%s%s", (int)dir_len, t, target,
				   t + link_len);
	r = imagefs_path_normalise(joined, next, err);
	free(joined);
	return r;
}

/* t is a regular file or a hard link in this layer; a hard link to a
   symlink is that symlink, standing at t. */
static int imagefs_apply_file(struct imagefs *fs, size_t layer,
			      struct imagefs_node *n, const char *t,
			      bool want_head, char **next,
			      struct imagefs_file *out, struct error *err)
{
	if (imagefs_hardlink_resolve(fs, layer, &n, out, err) < 0)
		return -1;
	if (n->kind == KIND_SYMLINK) {
		out->via_hardlink = false;
		return imagefs_follow_symlink(t, strlen(t), n->target, next,
					      out, err);
	}
	return imagefs_found_file(fs, layer, n, want_head, out, err);
}

static enum imagefs_status imagefs_verdict_status(enum imagefs_verdict v)
{
	switch (v) {
	case VERDICT_NOT_DIR:
		return IMAGEFS_NOT_DIR;
	case VERDICT_IS_DIR:
		return IMAGEFS_IS_DIR;
	case VERDICT_SPECIAL:
		return IMAGEFS_SPECIAL;
	default:
		return IMAGEFS_NOT_FOUND;
	}
}

/* Apply one layer's decision to out; *next is set when a link moved t. */
static int imagefs_apply(struct imagefs *fs, size_t layer,
			 const struct imagefs_decision *d, const char *t,
			 bool want_head, char **next,
			 struct imagefs_file *out, struct error *err)
{
	switch (d->verdict) {
	case VERDICT_SYMLINK:
		return imagefs_follow_symlink(t, d->node->path_len,
					      d->node->target, next, out,
					      err);
	case VERDICT_FILE:
		return imagefs_apply_file(fs, layer, d->node, t, want_head,
					  next, out, err);
	case VERDICT_NOT_DIR:
	case VERDICT_IS_DIR:
	case VERDICT_SPECIAL:
		imagefs_fill_node(out, imagefs_verdict_status(d->verdict),
				  layer, d->node);
		return 0;
	case VERDICT_WHITEOUT:
		out->status = IMAGEFS_WHITED_OUT;
		out->whiteout = xstrdup(d->node->whiteout);
		out->whiteout_layer = layer;
		return 0;
	default:
		out->status = IMAGEFS_NOT_FOUND;   /* opaque, or hidden */
		return 0;
	}
}

/*
 * The longest ancestor of t that layer holds as a directory, explicit or
 * implied, or dir_len when that is longer. Called for a layer that
 * decided nothing about t, where every ancestor it holds is a directory.
 */
static size_t imagefs_dir_prefix(const struct imagefs_layer_state *st,
				 const char *t, size_t dir_len)
{
	size_t len = strlen(t), p = 0;

	for (;;) {
		const struct imagefs_node *n;

		p = imagefs_next_prefix(t, p);
		if (p >= len)
			return dir_len;
		n = imagefs_find(st, t, p);
		if (!n || !(n->kind == KIND_DIR || n->implicit_dir))
			return dir_len;
		if (p > dir_len)
			dir_len = p;
	}
}

/* One pass over the layers for t; *next is set when a link moved t.
   dir_len tracks the ancestors that upper layers made directories. */
static int imagefs_lookup_once(struct imagefs *fs, const char *t,
			       bool want_head, char **next,
			       struct imagefs_file *out, struct error *err)
{
	size_t layer = fs->count, dir_len = 0;

	out->status = IMAGEFS_NOT_FOUND;
	if (!*t) {
		out->status = IMAGEFS_IS_DIR;   /* the root */
		return 0;
	}
	while (layer-- > 0) {
		struct imagefs_decision d;

		if (imagefs_layer_decide(fs, layer, t, dir_len, &d, err) < 0)
			return -1;
		if (d.verdict != VERDICT_NONE)
			return imagefs_apply(fs, layer, &d, t, want_head,
					     next, out, err);
		dir_len = imagefs_dir_prefix(&fs->state[layer], t, dir_len);
	}
	return 0;
}

static int imagefs_lookup_head(struct imagefs *fs, const char *path,
			       bool want_head, struct imagefs_file *out,
			       struct error *err)
{
	char *t = NULL;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (imagefs_path_normalise(path, &t, err) < 0)
		goto out;
	for (;;) {
		char *next = NULL;

		if (imagefs_lookup_once(fs, t, want_head, &next, out,
					err) < 0)
			goto out;
		if (!next)
			break;
		free(t);
		t = next;
	}
	out->path = xasprintf("/%s", t);
	r = 0;
out:
	if (r < 0)
		imagefs_file_release(out);
	free(t);
	return r;
}

int imagefs_lookup(struct imagefs *fs, const char *path,
		   struct imagefs_file *out, struct error *err)
{
	return imagefs_lookup_head(fs, path, true, out, err);
}

int imagefs_lookup_stat(struct imagefs *fs, const char *path,
			struct imagefs_file *out, struct error *err)
{
	return imagefs_lookup_head(fs, path, false, out, err);
}

/* Put the cursor on the data of the entry a found file names. */
static int imagefs_cursor_at(struct imagefs *fs, size_t layer, size_t entry,
			     struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;

	if (imagefs_cursor_seek(fs, layer, entry, err) < 0 ||
	    imagefs_cursor_next(fs, err) < 0)
		return -1;
	if (!c->open || c->next != entry + 1) {
		error_set(err, ERROR_FORMAT, "entry %zu missing when read again",
			  entry);
		return imagefs_layer_error(fs, layer, err);
	}
	return 0;
}

static int imagefs_check_found(const struct imagefs *fs,
			       const struct imagefs_file *file,
			       struct error *err)
{
	if (file->status == IMAGEFS_FOUND && file->layer < fs->count)
		return 0;
	return error_set(err, ERROR_USAGE, "no file to read");
}

int imagefs_file_scan(struct imagefs *fs, const struct imagefs_file *file,
		      imagefs_chunk_fn fn, void *ctx, struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	unsigned char *chunk;
	uint64_t offset = 0;
	int r = 0;

	if (imagefs_check_found(fs, file, err) < 0 ||
	    imagefs_cursor_at(fs, file->layer, file->entry, err) < 0)
		return -1;
	chunk = xmalloc(IMAGEFS_HEAD_MAX);
	while (r == 0) {
		la_ssize_t n = archive_read_data(c->archive, chunk,
						 IMAGEFS_HEAD_MAX);

		if (n == 0 || n == ARCHIVE_WARN)
			break;
		if (n < 0) {
			free(chunk);
			return imagefs_archive_error(fs, err);
		}
		r = fn(ctx, offset, chunk, (size_t)n);
		offset += (uint64_t)n;
	}
	free(chunk);
	c->data_pending = false;
	return 0;
}

/* One file of a batch, where the batch reads it. */
struct imagefs_batch_item {
	size_t layer;
	size_t entry;
	size_t index;      /* in the caller's array */
	bool active;       /* fn still wants its bytes */
};

/* The order imagefs reads layers in (top down), then tar order. */
static int imagefs_batch_cmp(const void *a, const void *b)
{
	const struct imagefs_batch_item *x = a, *y = b;

	if (x->layer != y->layer)
		return x->layer > y->layer ? -1 : 1;
	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Hand one chunk to every file of the group still reading; false when
   none is. */
static bool imagefs_batch_deliver(struct imagefs_batch_item *g, size_t n,
				  uint64_t offset, const unsigned char *data,
				  size_t len, imagefs_batch_fn fn, void *ctx)
{
	bool any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (g[i].active && fn(ctx, g[i].index, offset, data, len))
			g[i].active = false;
		any = any || g[i].active;
	}
	return any;
}

/* Read the entry the n files of group g share, once, for all of them. */
static int imagefs_batch_group(struct imagefs *fs,
			       struct imagefs_batch_item *g, size_t n,
			       unsigned char *chunk, imagefs_batch_fn fn,
			       void *ctx, struct error *err)
{
	struct imagefs_cursor *c = &fs->cursor;
	uint64_t offset = 0;
	bool more = true;
	size_t i;

	if (imagefs_cursor_at(fs, g[0].layer, g[0].entry, err) < 0)
		return -1;
	while (more) {
		la_ssize_t r = archive_read_data(c->archive, chunk,
						 IMAGEFS_HEAD_MAX);

		if (r == 0 || r == ARCHIVE_WARN)
			break;
		if (r < 0)
			return imagefs_archive_error(fs, err);
		more = imagefs_batch_deliver(g, n, offset, chunk, (size_t)r,
					     fn, ctx);
		offset += (uint64_t)r;
	}
	c->data_pending = false;
	for (i = 0; i < n; i++)
		fn(ctx, g[i].index, offset, NULL, 0);
	return 0;
}

int imagefs_files_read(struct imagefs *fs,
		       const struct imagefs_file *const *files, size_t count,
		       imagefs_batch_fn fn, void *ctx, struct error *err)
{
	struct imagefs_batch_item *items;
	unsigned char *chunk;
	size_t i, j;
	int r = 0;

	for (i = 0; i < count; i++)
		if (imagefs_check_found(fs, files[i], err) < 0)
			return -1;
	if (!count)
		return 0;
	items = xcalloc(count, sizeof(*items));
	for (i = 0; i < count; i++) {
		items[i].layer = files[i]->layer;
		items[i].entry = files[i]->entry;
		items[i].index = i;
		items[i].active = true;
	}
	qsort(items, count, sizeof(*items), imagefs_batch_cmp);
	chunk = xmalloc(IMAGEFS_HEAD_MAX);
	for (i = 0; i < count && r == 0; i = j) {
		for (j = i + 1; j < count && items[j].layer == items[i].layer &&
				items[j].entry == items[i].entry; j++)
			;
		r = imagefs_batch_group(fs, items + i, j - i, chunk, fn, ctx,
					err);
	}
	free(chunk);
	free(items);
	return r;
}

/* Read layer to the end of its tar, indexing every entry. */
static int imagefs_layer_finish(struct imagefs *fs, size_t layer,
				struct error *err)
{
	struct imagefs_layer_state *st = &fs->state[layer];

	if (st->complete)
		return 0;
	if (imagefs_cursor_seek(fs, layer, st->indexed, err) < 0)
		return -1;
	while (!st->complete) {
		int r = imagefs_cursor_next(fs, err);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	return 0;
}

/* Hand fn the names layer holds directly under t ("" is the root). */
static int imagefs_layer_names(const struct imagefs_layer_state *st,
			       const char *t, imagefs_name_fn fn, void *ctx)
{
	size_t tl = strlen(t), b;

	for (b = 0; b < st->bucket_count; b++) {
		const struct imagefs_node *n;

		for (n = st->buckets[b]; n; n = n->next) {
			size_t dl = imagefs_dirname_len(n->path, n->path_len);
			const char *name = n->path + (dl ? dl + 1 : 0);

			if (dl != tl || strncmp(n->path, t, tl) ||
			    (n->kind == KIND_NONE && !n->implicit_dir))
				continue;
			if (fn(ctx, name))
				return 1;
		}
	}
	return 0;
}

int imagefs_list_dir(struct imagefs *fs, const char *dir, imagefs_name_fn fn,
		     void *ctx, struct error *err)
{
	char *t = NULL;
	size_t layer = fs->count;
	int r = 0;

	if (imagefs_path_normalise(dir, &t, err) < 0)
		return -1;
	while (layer-- > 0 && r == 0) {
		if (imagefs_layer_finish(fs, layer, err) < 0) {
			r = -1;
			break;
		}
		r = imagefs_layer_names(&fs->state[layer], t, fn, ctx);
	}
	free(t);
	return r < 0 ? -1 : 0;
}

/* Where imagefs_file_read() is copying to. */
struct imagefs_window {
	uint64_t offset;
	unsigned char *buf;
	size_t len;
	size_t got;
};

static int imagefs_window_fill(void *ctx, uint64_t offset,
			       const unsigned char *data, size_t len)
{
	struct imagefs_window *w = ctx;
	uint64_t end = offset + len;
	uint64_t from, to;

	if (end <= w->offset)
		return 0;
	from = offset > w->offset ? offset : w->offset;
	to = end < w->offset + w->len ? end : w->offset + w->len;
	memcpy(w->buf + (from - w->offset), data + (from - offset),
	       (size_t)(to - from));
	if (to - w->offset > w->got)
		w->got = (size_t)(to - w->offset);
	return to == w->offset + w->len;
}

int imagefs_file_read(struct imagefs *fs, const struct imagefs_file *file,
		      uint64_t offset, void *buf, size_t len, size_t *got,
		      struct error *err)
{
	struct imagefs_window w = {offset, buf, len, 0};

	*got = 0;
	if (len == 0)
		return 0;
	if (offset <= file->head_len && len <= file->head_len - offset &&
	    file->head) {
		memcpy(buf, file->head + offset, len);
		*got = len;
		return 0;
	}
	if (imagefs_file_scan(fs, file, imagefs_window_fill, &w, err) < 0)
		return -1;
	*got = w.got;
	return 0;
}

void imagefs_file_release(struct imagefs_file *f)
{
	size_t i;

	for (i = 0; i < f->link_count; i++)
		free(f->links[i]);
	free(f->links);
	free(f->path);
	free(f->head);
	free(f->whiteout);
	memset(f, 0, sizeof(*f));
}

void imagefs_set_head_fn(struct imagefs *fs, imagefs_head_fn fn)
{
	fs->head_fn = fn;
}

struct imagefs *imagefs_new(const struct imagefs_layer *layers, size_t count,
			    struct layer_opener opener)
{
	struct imagefs *fs = xcalloc(1, sizeof(*fs));

	fs->layers = layers;
	fs->count = count;
	fs->opener = opener;
	fs->state = xcalloc(count, sizeof(*fs->state));
	return fs;
}

static void imagefs_state_release(struct imagefs_layer_state *st)
{
	size_t i;

	for (i = 0; i < st->bucket_count; i++) {
		struct imagefs_node *n = st->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n->path);
			free(n->target);
			free(n->whiteout);
			free(n->head);
			free(n);
		}
	}
	free(st->buckets);
}

void imagefs_free(struct imagefs *fs)
{
	size_t i;

	if (!fs)
		return;
	imagefs_cursor_close(fs);
	for (i = 0; i < fs->count; i++)
		imagefs_state_release(&fs->state[i]);
	free(fs->state);
	free(fs);
}

void imagefs_get_stats(const struct imagefs *fs, struct imagefs_stats *out)
{
	const struct imagefs_cursor *c = &fs->cursor;

	*out = fs->stats;
	if (!c->open)
		return;
	out->compressed_bytes += c->reader.raw->delivered;
	out->unpacked_bytes += (uint64_t)archive_filter_bytes(c->archive, 0);
}

const char *imagefs_status_name(enum imagefs_status status)
{
	static const char *const names[] = {
		[IMAGEFS_FOUND] = "found",
		[IMAGEFS_NOT_FOUND] = "not found",
		[IMAGEFS_WHITED_OUT] = "whited out",
		[IMAGEFS_NOT_DIR] = "not a directory",
		[IMAGEFS_IS_DIR] = "is a directory",
		[IMAGEFS_LOOP] = "too many levels of symbolic links",
		[IMAGEFS_SPECIAL] = "special file",
	};

	if ((size_t)status >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[status];
}
