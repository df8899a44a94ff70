/* Tests for the merged image file system, over layers built at run time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "preflight/blob.h"
#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/imagefs.h"

#define LAYERS_MAX 8
/* Large enough for the 20 MiB early-stop layer. */
#define LAYER_BYTES_MAX (64u * 1024 * 1024)

enum comp { GZIP = 0, ZSTD, PLAIN };

/* One tar member: 'f' file (data), 'd' dir, 'l' symlink (target),
   'h' hard link (target), 'c' char device, 'p' fifo. */
struct tentry {
	char type;
	const char *path;
	const char *data;
};

struct tlayer {
	enum comp comp;
	struct tentry entries[12];
};

/* The compressed layers and what the image file system asked of them. */
struct topener {
	struct buf blobs[LAYERS_MAX];
	size_t count;
	size_t opens[LAYERS_MAX];
	size_t total_opens;
	uint64_t bytes_read;
	int fail_layer;            /* -1: no stream fails */
	uint64_t fail_after;       /* bytes delivered before it fails */
	bool open_fails;
};

static const char *const digests[LAYERS_MAX] = {
	"sha256:0000", "sha256:1111", "sha256:2222", "sha256:3333",
	"sha256:4444", "sha256:5555", "sha256:6666", "sha256:7777",
};

static la_ssize_t tbuf_write(struct archive *a, void *ctx, const void *data,
			     size_t len)
{
	struct error err;

	(void)a;
	error_init(&err);
	if (buf_append(ctx, data, len, LAYER_BYTES_MAX, "test layer",
		       &err) < 0)
		return -1;
	return (la_ssize_t)len;
}

/*
 * A zstd frame of raw (stored) blocks, RFC 8878 section 3.1.1: magic,
 * a frame header with only a window descriptor (128 KiB), then blocks of
 * at most 128 KiB, the last one flagged. libarchive 3.6.2's own zstd
 * writer loses all but the final block of a tar (its output decompresses
 * to 1024 zero bytes), so the test wraps plain tars itself; the reader
 * under test still has to recognise and decode a real zstd stream.
 */
static void zstd_wrap(struct buf *b)
{
	static const unsigned char header[] = { 0x28, 0xb5, 0x2f, 0xfd,
						0x00, 7 << 3 };
	const size_t block_max = 128 * 1024;
	struct buf z;
	struct error err;
	size_t pos = 0;

	buf_init(&z);
	error_init(&err);
	assert_int_equal(buf_append(&z, header, sizeof(header),
				    LAYER_BYTES_MAX, "zstd", &err), 0);
	do {
		size_t n = b->len - pos < block_max ? b->len - pos : block_max;
		uint32_t bh = (uint32_t)(n << 3) | (pos + n == b->len);
		unsigned char h[3] = { bh & 0xff, (bh >> 8) & 0xff,
				       (bh >> 16) & 0xff };

		assert_int_equal(buf_append(&z, h, 3, LAYER_BYTES_MAX, "zstd",
					    &err), 0);
		assert_int_equal(buf_append(&z, b->data + pos, n,
					    LAYER_BYTES_MAX, "zstd", &err), 0);
		pos += n;
	} while (pos < b->len);
	buf_release(b);
	*b = z;
}

static struct archive *twriter_new(enum comp comp, struct buf *out)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	if (comp == GZIP)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	else
		assert_int_equal(archive_write_add_filter_none(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_pax_restricted(a),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, out, NULL, tbuf_write, NULL),
			 ARCHIVE_OK);
	return a;
}

static void twrite_entry(struct archive *a, const struct tentry *t)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = t->type == 'f' && t->data ? strlen(t->data) : 0;

	archive_entry_set_pathname(e, t->path);
	archive_entry_set_mode(e, 0755);
	archive_entry_set_size(e, (la_int64_t)len);
	switch (t->type) {
	case 'd':
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, t->data);
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, t->data);
		break;
	case 'c':
		archive_entry_set_filetype(e, AE_IFCHR);
		break;
	case 'p':
		archive_entry_set_filetype(e, AE_IFIFO);
		break;
	default:
		archive_entry_set_filetype(e, AE_IFREG);
	}
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(a, t->data, len),
				 (la_ssize_t)len);
	archive_entry_free(e);
}

static void twriter_finish(struct archive *a, enum comp comp,
			   struct buf *out)
{
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	if (comp == ZSTD)
		zstd_wrap(out);
}

static void tlayer_build(const struct tlayer *l, struct buf *out)
{
	struct archive *a = twriter_new(l->comp, out);
	size_t i;

	for (i = 0; l->entries[i].path; i++)
		twrite_entry(a, &l->entries[i]);
	twriter_finish(a, l->comp, out);
}

/* A stream that counts what it hands out and can fail on demand. It
   passes the memory stream's chunks on in slices of TSTREAM_SLICE bytes,
   as a network would, so that a failure can strike in mid-layer. */
#define TSTREAM_SLICE 4096

struct tstream {
	struct blob_stream base;
	struct blob_stream *inner;
	const unsigned char *pending;
	size_t pending_len;
	struct topener *o;
	bool fails;
};

static ssize_t tstream_read(struct blob_stream *s, const void **data,
			    struct error *err)
{
	struct tstream *t = (struct tstream *)s;
	size_t n;

	if (t->fails && s->delivered >= t->o->fail_after)
		return error_set(err, ERROR_NETWORK, "connection reset");
	if (!t->pending_len) {
		const void *chunk;
		ssize_t r = blob_stream_read(t->inner, &chunk, err);

		if (r <= 0)
			return r;
		t->pending = chunk;
		t->pending_len = (size_t)r;
	}
	n = t->pending_len < TSTREAM_SLICE ? t->pending_len : TSTREAM_SLICE;
	*data = t->pending;
	t->pending += n;
	t->pending_len -= n;
	t->o->bytes_read += n;
	return (ssize_t)n;
}

static void tstream_close(struct blob_stream *s)
{
	struct tstream *t = (struct tstream *)s;

	blob_stream_close(t->inner);
	free(t);
}

static const struct blob_stream_ops tstream_ops = {
	.read = tstream_read,
	.close = tstream_close,
};

static struct blob_stream *topener_open(void *ctx, size_t index,
					struct error *err)
{
	struct topener *o = ctx;
	struct tstream *t;

	if (o->open_fails) {
		error_set(err, ERROR_AUTH, "401 unauthorized");
		return NULL;
	}
	assert_true(index < o->count);
	o->opens[index]++;
	o->total_opens++;
	t = xcalloc(1, sizeof(*t));
	t->base.ops = &tstream_ops;
	t->inner = blob_stream_open_memory(o->blobs[index].data,
					   o->blobs[index].len);
	t->o = o;
	t->fails = o->fail_layer == (int)index;
	return &t->base;
}

/* The image under test: its layers, their blobs and the file system. */
struct timage {
	struct topener o;
	struct imagefs_layer layers[LAYERS_MAX];
	struct imagefs *fs;
};

static void timage_start(struct timage *im)
{
	size_t i;

	for (i = 0; i < im->o.count; i++) {
		im->layers[i].digest = digests[i];
		im->layers[i].size = (int64_t)im->o.blobs[i].len;
	}
	im->fs = imagefs_new(im->layers, im->o.count,
			     (struct layer_opener){ &im->o, topener_open });
}

static struct timage *timage_new(const struct tlayer *layers, size_t count)
{
	struct timage *im = xcalloc(1, sizeof(*im));
	size_t i;

	im->o.fail_layer = -1;
	im->o.count = count;
	for (i = 0; i < count; i++)
		tlayer_build(&layers[i], &im->o.blobs[i]);
	timage_start(im);
	return im;
}

static void timage_free(struct timage *im)
{
	size_t i;

	imagefs_free(im->fs);
	for (i = 0; i < im->o.count; i++)
		buf_release(&im->o.blobs[i]);
	free(im);
}

/* A lookup and what it must give. */
struct lookup_case {
	const char *name;
	struct tlayer layers[3];
	size_t layer_count;
	const char *path;
	enum imagefs_status status;
	const char *final_path;
	size_t layer;               /* FOUND: where; WHITED_OUT: the marker */
	const char *head;           /* FOUND: the content */
	size_t link_count;
	const char *last_link;      /* NULL: not checked */
	bool via_hardlink;
	const char *whiteout;
};

/* Check one lookup; warm: after another lookup has read every layer, so
   that the answer comes from the index, not from the streams. */
static void check_lookup_once(const struct lookup_case *c, bool warm)
{
	struct timage *im = timage_new(c->layers, c->layer_count);
	struct imagefs_file f;
	struct error err;

	error_init(&err);
	if (warm) {
		if (imagefs_lookup(im->fs, "/\001none", &f, &err) < 0)
			fail_msg("%s: warming failed: %s", c->name,
				 err.message);
		imagefs_file_release(&f);
	}
	if (imagefs_lookup(im->fs, c->path, &f, &err) < 0)
		fail_msg("%s: lookup '%s' failed: %s", c->name, c->path,
			 err.message);
	if (f.status != c->status)
		fail_msg("%s%s: '%s': expected %s, got %s", c->name,
			 warm ? " (warm index)" : "", c->path,
			 imagefs_status_name(c->status),
			 imagefs_status_name(f.status));
	if (c->final_path && strcmp(f.path, c->final_path))
		fail_msg("%s: final path expected '%s', got '%s'", c->name,
			 c->final_path, f.path);
	if (c->link_count != f.link_count)
		fail_msg("%s: expected %zu links, got %zu (last '%s')",
			 c->name, c->link_count, f.link_count,
			 f.link_count ? f.links[f.link_count - 1] : "");
	if (c->last_link && strcmp(f.links[f.link_count - 1], c->last_link))
		fail_msg("%s: last link expected '%s', got '%s'", c->name,
			 c->last_link, f.links[f.link_count - 1]);
	if (c->via_hardlink != f.via_hardlink)
		fail_msg("%s: via_hardlink expected %d, got %d", c->name,
			 c->via_hardlink, f.via_hardlink);
	if (c->status == IMAGEFS_FOUND) {
		if (f.layer != c->layer)
			fail_msg("%s: layer expected %zu, got %zu", c->name,
				 c->layer, f.layer);
		if (f.head_len != strlen(c->head) ||
		    memcmp(f.head, c->head, f.head_len))
			fail_msg("%s: head expected '%s', got '%.*s'",
				 c->name, c->head, (int)f.head_len,
				 (const char *)f.head);
		if (f.size != (int64_t)strlen(c->head))
			fail_msg("%s: size expected %zu, got %lld", c->name,
				 strlen(c->head), (long long)f.size);
	}
	if (c->status == IMAGEFS_WHITED_OUT &&
	    (strcmp(f.whiteout, c->whiteout) || f.whiteout_layer != c->layer))
		fail_msg("%s: whiteout expected '%s' in %zu, got '%s' in %zu",
			 c->name, c->whiteout, c->layer, f.whiteout,
			 f.whiteout_layer);
	imagefs_file_release(&f);
	timage_free(im);
}

static void check_lookup(const struct lookup_case *c)
{
	check_lookup_once(c, false);
	check_lookup_once(c, true);
}

#define L(comp, ...) { comp, { __VA_ARGS__, { 0, NULL, NULL } } }

static const struct lookup_case lookup_cases[] = {
	{ "found in top layer",
	  { L(GZIP, { 'f', "bin/app", "bottom" }),
	    L(GZIP, { 'f', "bin/app", "top" }) }, 2,
	  "/bin/app", IMAGEFS_FOUND, "/bin/app", 1, "top", 0, NULL, false,
	  NULL },
	{ "found in bottom layer",
	  { L(GZIP, { 'd', "bin/", NULL }, { 'f', "bin/app", "bottom" }),
	    L(GZIP, { 'f', "etc/hosts", "x" }) }, 2,
	  "bin/app", IMAGEFS_FOUND, "/bin/app", 0, "bottom", 0, NULL, false,
	  NULL },
	{ "whiteout deletes",
	  { L(GZIP, { 'f', "bin/app", "old" }),
	    L(GZIP, { 'f', "bin/.wh.app", "" }) }, 2,
	  "/bin/app", IMAGEFS_WHITED_OUT, "/bin/app", 1, NULL, 0, NULL,
	  false, "/bin/.wh.app" },
	{ "whiteout of an ancestor deletes",
	  { L(GZIP, { 'f', "opt/tool/app", "old" }),
	    L(GZIP, { 'f', "opt/.wh.tool", "" }) }, 2,
	  "/opt/tool/app", IMAGEFS_WHITED_OUT, NULL, 1, NULL, 0, NULL,
	  false, "/opt/.wh.tool" },
	{ "whiteout does not hide its own layer",
	  { L(GZIP, { 'f', "bin/app", "old" }),
	    L(GZIP, { 'f', "bin/.wh.app", "" }, { 'f', "bin/app", "new" }) },
	  2, "/bin/app", IMAGEFS_FOUND, "/bin/app", 1, "new", 0, NULL, false,
	  NULL },
	{ "directory deleted and made again: old names stay deleted",
	  { L(GZIP, { 'f', "opt/app/old", "O" }),
	    L(GZIP, { 'f', "opt/.wh.app", "" }, { 'f', "opt/app/new", "N" }) },
	  2, "/opt/app/old", IMAGEFS_WHITED_OUT, NULL, 1, NULL, 0, NULL,
	  false, "/opt/.wh.app" },
	{ "directory deleted and made again: new names are there",
	  { L(GZIP, { 'f', "opt/app/old", "O" }),
	    L(GZIP, { 'f', "opt/.wh.app", "" }, { 'f', "opt/app/new", "N" }) },
	  2, "/opt/app/new", IMAGEFS_FOUND, NULL, 1, "N", 0, NULL, false,
	  NULL },
	{ "opaque dir hides lower file",
	  { L(GZIP, { 'f', "opt/a", "A" }, { 'f', "opt/b", "B" }),
	    L(GZIP, { 'f', "opt/.wh..wh..opq", "" },
	      { 'f', "opt/b", "new B" }) }, 2,
	  "/opt/a", IMAGEFS_NOT_FOUND, "/opt/a", 0, NULL, 0, NULL, false,
	  NULL },
	{ "opaque dir shows its own layer",
	  { L(GZIP, { 'f', "opt/a", "A" }, { 'f', "opt/b", "B" }),
	    L(GZIP, { 'f', "opt/.wh..wh..opq", "" },
	      { 'f', "opt/b", "new B" }) }, 2,
	  "/opt/b", IMAGEFS_FOUND, "/opt/b", 1, "new B", 0, NULL, false,
	  NULL },
	{ "absolute symlink chain across layers (merged /usr)",
	  { L(GZIP, { 'd', "usr/bin/", NULL },
	      { 'f', "usr/lib/app/real", "ELF" },
	      { 'l', "bin", "/usr/bin" }),
	    L(ZSTD, { 'l', "usr/bin/app", "../lib/app/real" }) }, 2,
	  "/bin/app", IMAGEFS_FOUND, "/usr/lib/app/real", 0, "ELF", 2,
	  "/usr/bin/app -> ../lib/app/real", false, NULL },
	{ "relative symlink for a directory",
	  { L(GZIP, { 'f', "usr/bin/sh", "dash" }, { 'l', "bin", "usr/bin" }) },
	  1, "/bin/sh", IMAGEFS_FOUND, "/usr/bin/sh", 0, "dash", 1,
	  "/bin -> usr/bin", false, NULL },
	{ "relative symlink with .. past the root",
	  { L(GZIP, { 'f', "bin/real", "R" },
	      { 'l', "app/run", "../../../../bin/real" }) }, 1,
	  "/app/run", IMAGEFS_FOUND, "/bin/real", 0, "R", 1, NULL, false,
	  NULL },
	{ "absolute symlink does not leave the image",
	  { L(GZIP, { 'f', "etc/shadow", "S" },
	      { 'l', "x", "/../../etc/shadow" }) }, 1,
	  "/x", IMAGEFS_FOUND, "/etc/shadow", 0, "S", 1, NULL, false, NULL },
	{ "symlink loop",
	  { L(GZIP, { 'l', "a", "b" }, { 'l', "b", "/a" }) }, 1,
	  "/a", IMAGEFS_LOOP, NULL, 0, NULL, IMAGEFS_SYMLINK_HOPS_MAX, NULL,
	  false, NULL },
	{ "symlink to itself",
	  { L(GZIP, { 'l', "bin/x", "x" }) }, 1,
	  "/bin/x", IMAGEFS_LOOP, NULL, 0, NULL, IMAGEFS_SYMLINK_HOPS_MAX,
	  NULL, false, NULL },
	{ "dangling symlink",
	  { L(GZIP, { 'l', "bin/app", "/nowhere" }) }, 1,
	  "/bin/app", IMAGEFS_NOT_FOUND, "/nowhere", 0, NULL, 1, NULL, false,
	  NULL },
	{ "hard link",
	  { L(GZIP, { 'f', "bin/busybox", "BB" },
	      { 'h', "bin/sh", "bin/busybox" }) }, 1,
	  "/bin/sh", IMAGEFS_FOUND, "/bin/sh", 0, "BB", 1,
	  "/bin/sh -> /bin/busybox", true, NULL },
	{ "hard link with ./ names",
	  { L(PLAIN, { 'f', "./bin/busybox", "BB" },
	      { 'h', "./bin/ls", "./bin/busybox" }) }, 1,
	  "/bin/ls", IMAGEFS_FOUND, "/bin/ls", 0, "BB", 1, NULL, true,
	  NULL },
	{ "directory",
	  { L(GZIP, { 'd', "usr/", NULL }, { 'd', "usr/bin/", NULL }) }, 1,
	  "/usr/bin/", IMAGEFS_IS_DIR, "/usr/bin", 0, NULL, 0, NULL, false,
	  NULL },
	{ "directory only implied by its entries",
	  { L(GZIP, { 'f', "usr/local/bin/app", "A" }) }, 1,
	  "/usr/local", IMAGEFS_IS_DIR, "/usr/local", 0, NULL, 0, NULL,
	  false, NULL },
	{ "root",
	  { L(GZIP, { 'f', "a", "A" }) }, 1,
	  "/", IMAGEFS_IS_DIR, "/", 0, NULL, 0, NULL, false, NULL },
	{ "missing",
	  { L(GZIP, { 'f', "bin/app", "A" }), L(ZSTD, { 'f', "bin/b", "B" }) },
	  2, "/bin/nope", IMAGEFS_NOT_FOUND, "/bin/nope", 0, NULL, 0, NULL,
	  false, NULL },
	{ "ancestor is a file",
	  { L(GZIP, { 'f', "etc/passwd", "root" }) }, 1,
	  "/etc/passwd/x", IMAGEFS_NOT_DIR, NULL, 0, NULL, 0, NULL, false,
	  NULL },
	{ "upper file replaces lower directory",
	  { L(GZIP, { 'f', "opt/app/bin", "B" }),
	    L(GZIP, { 'f', "opt/app", "file now" }) }, 2,
	  "/opt/app/bin", IMAGEFS_NOT_DIR, NULL, 0, NULL, 0, NULL, false,
	  NULL },
	{ "upper symlink replaces lower directory",
	  { L(GZIP, { 'f', "lib/x", "old" }),
	    L(GZIP, { 'l', "lib", "lib64" }, { 'f', "lib64/x", "new" }) }, 2,
	  "/lib/x", IMAGEFS_FOUND, "/lib64/x", 1, "new", 1, NULL, false,
	  NULL },
	{ "character device",
	  { L(GZIP, { 'c', "dev/null", NULL }) }, 1,
	  "/dev/null", IMAGEFS_SPECIAL, NULL, 0, NULL, 0, NULL, false, NULL },
	{ "fifo",
	  { L(GZIP, { 'p', "run/fifo", NULL }) }, 1,
	  "/run/fifo", IMAGEFS_SPECIAL, NULL, 0, NULL, 0, NULL, false, NULL },
	{ "zstd layer",
	  { L(ZSTD, { 'f', "bin/app", "zstd!" }) }, 1,
	  "/bin/app", IMAGEFS_FOUND, "/bin/app", 0, "zstd!", 0, NULL, false,
	  NULL },
	{ "uncompressed layer",
	  { L(PLAIN, { 'f', "bin/app", "plain" }) }, 1,
	  "/bin/app", IMAGEFS_FOUND, "/bin/app", 0, "plain", 0, NULL, false,
	  NULL },
	{ "mixed compression",
	  { L(PLAIN, { 'f', "a", "plain" }), L(GZIP, { 'f', "b", "gz" }),
	    L(ZSTD, { 'f', "c", "zst" }) }, 3,
	  "/a", IMAGEFS_FOUND, "/a", 0, "plain", 0, NULL, false, NULL },
	{ "hostile name with ..",
	  { L(PLAIN, { 'f', "../../etc/passwd", "inside" }) }, 1,
	  "/etc/passwd", IMAGEFS_FOUND, "/etc/passwd", 0, "inside", 0, NULL,
	  false, NULL },
	{ "hostile absolute name",
	  { L(PLAIN, { 'f', "/abs/path", "inside" }) }, 1,
	  "/abs/path", IMAGEFS_FOUND, "/abs/path", 0, "inside", 0, NULL,
	  false, NULL },
	{ "lookup path is normalised",
	  { L(GZIP, { 'f', "bin/app", "A" }) }, 1,
	  "//bin/./../../bin//app", IMAGEFS_FOUND, "/bin/app", 0, "A", 0,
	  NULL, false, NULL },
	{ "first of duplicate names wins",
	  { L(PLAIN, { 'f', "bin/app", "first" }, { 'f', "bin/app", "2nd" }) },
	  1, "/bin/app", IMAGEFS_FOUND, "/bin/app", 0, "first", 0, NULL,
	  false, NULL },
	/* overlayfs: a directory merges only with lower directories; an
	   upper directory replaces a lower symlink, file or device, and
	   nothing at or under that name shows from that layer down. */
	{ "upper directory hides lower symlink",
	  { L(GZIP, { 'd', "usr/bin/", NULL }, { 'f', "usr/bin/app", "ELF" },
	      { 'l', "bin", "usr/bin" }),
	    L(GZIP, { 'd', "bin/", NULL }) }, 2,
	  "/bin/app", IMAGEFS_NOT_FOUND, "/bin/app", 0, NULL, 0, NULL, false,
	  NULL },
	{ "upper implied directory hides lower symlink",
	  { L(GZIP, { 'f', "usr/bin/app", "ELF" }, { 'l', "bin", "/usr/bin" }),
	    L(ZSTD, { 'f', "bin/other", "O" }) }, 2,
	  "/bin/app", IMAGEFS_NOT_FOUND, "/bin/app", 0, NULL, 0, NULL, false,
	  NULL },
	{ "upper directory hides lower symlink across a silent layer",
	  { L(GZIP, { 'f', "usr/bin/app", "ELF" }, { 'l', "bin", "usr/bin" }),
	    L(GZIP, { 'f', "etc/hosts", "H" }),
	    L(GZIP, { 'd', "bin/", NULL }) }, 3,
	  "/bin/app", IMAGEFS_NOT_FOUND, "/bin/app", 0, NULL, 0, NULL, false,
	  NULL },
	{ "lower symlink under upper directory hides the layers below it",
	  { L(GZIP, { 'f', "bin/app", "bottom" }),
	    L(GZIP, { 'l', "bin", "usr/bin" }, { 'd', "usr/bin/", NULL }),
	    L(GZIP, { 'd', "bin/", NULL }) }, 3,
	  "/bin/app", IMAGEFS_NOT_FOUND, "/bin/app", 0, NULL, 0, NULL, false,
	  NULL },
	{ "upper directory hides lower symlink deeper down",
	  { L(GZIP, { 'f', "usr/lib/real/app", "A" },
	      { 'l', "usr/lib/cur", "real" }),
	    L(GZIP, { 'd', "usr/lib/cur/", NULL }) }, 2,
	  "/usr/lib/cur/app", IMAGEFS_NOT_FOUND, "/usr/lib/cur/app", 0, NULL,
	  0, NULL, false, NULL },
	{ "upper directory hides lower file of that name",
	  { L(GZIP, { 'f', "opt/app", "F" }),
	    L(GZIP, { 'f', "opt/app/x", "X" }) }, 2,
	  "/opt/app/y", IMAGEFS_NOT_FOUND, "/opt/app/y", 0, NULL, 0, NULL,
	  false, NULL },
	{ "upper directory merges with lower directory",
	  { L(GZIP, { 'f', "bin/app", "A" }),
	    L(GZIP, { 'd', "bin/", NULL }, { 'f', "bin/other", "O" }) }, 2,
	  "/bin/app", IMAGEFS_FOUND, "/bin/app", 0, "A", 0, NULL, false,
	  NULL },
	{ "lower whiteout under upper directory",
	  { L(GZIP, { 'f', "bin/app", "A" }),
	    L(GZIP, { 'f', ".wh.bin", "" }),
	    L(GZIP, { 'd', "bin/", NULL }) }, 3,
	  "/bin/app", IMAGEFS_WHITED_OUT, "/bin/app", 1, NULL, 0, NULL,
	  false, "/.wh.bin" },
	{ "upper symlink hides lower directory contents",
	  { L(GZIP, { 'f', "bin/app", "old" }, { 'd', "usr/bin/", NULL }),
	    L(GZIP, { 'l', "bin", "usr/bin" }) }, 2,
	  "/bin/app", IMAGEFS_NOT_FOUND, "/usr/bin/app", 0, NULL, 1,
	  "/bin -> usr/bin", false, NULL },
	{ "upper symlink over directory over symlink",
	  { L(GZIP, { 'l', "bin", "sbin" }, { 'f', "sbin/app", "S" }),
	    L(GZIP, { 'f', "bin/app", "B" }),
	    L(GZIP, { 'l', "bin", "usr/bin" }, { 'f', "usr/bin/app", "U" }) },
	  3, "/bin/app", IMAGEFS_FOUND, "/usr/bin/app", 2, "U", 1,
	  "/bin -> usr/bin", false, NULL },
};

static void test_lookup_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++)
		check_lookup(&lookup_cases[i]);
}

/* Build a one-layer image from entries created at run time. */
static struct timage *timage_from_writer(enum comp comp,
					 void (*fill)(struct archive *, void *),
					 void *arg)
{
	struct timage *im = xcalloc(1, sizeof(*im));
	struct archive *a;

	im->o.fail_layer = -1;
	im->o.count = 1;
	a = twriter_new(comp, &im->o.blobs[0]);
	fill(a, arg);
	twriter_finish(a, comp, &im->o.blobs[0]);
	timage_start(im);
	return im;
}

static void fill_link_chain(struct archive *a, void *arg)
{
	size_t links = *(size_t *)arg, i;
	char name[32], target[32];

	twrite_entry(a, &(struct tentry){ 'f', "end", "E" });
	for (i = 0; i < links; i++) {
		snprintf(name, sizeof(name), "l%zu", i);
		if (i + 1 < links)
			snprintf(target, sizeof(target), "l%zu", i + 1);
		else
			snprintf(target, sizeof(target), "end");
		twrite_entry(a, &(struct tentry){ 'l', name, target });
	}
}

/* Linux follows 40 links in one lookup and refuses the 41st. */
static void test_symlink_hops_limit(void **state)
{
	static const struct {
		size_t links;
		enum imagefs_status status;
	} cases[] = {
		{ IMAGEFS_SYMLINK_HOPS_MAX, IMAGEFS_FOUND },
		{ IMAGEFS_SYMLINK_HOPS_MAX + 1, IMAGEFS_LOOP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		size_t links = cases[i].links;
		struct timage *im = timage_from_writer(GZIP, fill_link_chain,
						       &links);
		struct imagefs_file f;
		struct error err;

		error_init(&err);
		assert_int_equal(imagefs_lookup(im->fs, "/l0", &f, &err), 0);
		if (f.status != cases[i].status)
			fail_msg("%zu links: expected %s, got %s", links,
				 imagefs_status_name(cases[i].status),
				 imagefs_status_name(f.status));
		imagefs_file_release(&f);
		timage_free(im);
	}
}

static void fill_random(struct archive *a, size_t len)
{
	unsigned char *chunk = xmalloc(64 * 1024);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t done = 0, i;

	while (done < len) {
		size_t n = len - done < 65536 ? len - done : 65536;

		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			chunk[i] = (unsigned char)x;
		}
		assert_int_equal(archive_write_data(a, chunk, n),
				 (la_ssize_t)n);
		done += n;
	}
	free(chunk);
}

#define BIG_BYTES (20u * 1024 * 1024)

static void fill_target_then_big(struct archive *a, void *arg)
{
	struct archive_entry *e = archive_entry_new();

	(void)arg;
	twrite_entry(a, &(struct tentry){ 'f', "bin/app", "\177ELF" });
	archive_entry_set_pathname(e, "var/big");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, BIG_BYTES);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	fill_random(a, BIG_BYTES);
	archive_entry_free(e);
	twrite_entry(a, &(struct tentry){ 'f', "z/last", "L" });
}

/* The target is the first entry of a 20 MiB layer: read no further. */
static void test_early_stop(void **state)
{
	struct timage *im = timage_from_writer(GZIP, fill_target_then_big,
					       NULL);
	struct imagefs_stats st;
	struct imagefs_file f;
	struct error err;

	(void)state;
	error_init(&err);
	assert_true(im->o.blobs[0].len > BIG_BYTES);
	assert_int_equal(imagefs_lookup(im->fs, "/bin/app", &f, &err), 0);
	assert_int_equal(f.status, IMAGEFS_FOUND);
	assert_int_equal(f.head_len, 4);
	imagefs_get_stats(im->fs, &st);
	if (st.compressed_bytes > im->o.blobs[0].len / 20)
		fail_msg("read %llu of %zu compressed bytes",
			 (unsigned long long)st.compressed_bytes,
			 im->o.blobs[0].len);
	assert_int_equal(st.compressed_bytes, im->o.bytes_read);
	assert_int_equal(st.layers_opened, 1);
	assert_true(st.unpacked_bytes < BIG_BYTES / 20);
	if (getenv("TEST_VERBOSE"))
		print_message("early stop: %llu of %zu compressed bytes, "
			      "%llu unpacked\n",
			      (unsigned long long)st.compressed_bytes,
			      im->o.blobs[0].len,
			      (unsigned long long)st.unpacked_bytes);
	imagefs_file_release(&f);

	/* The entry behind the big one costs the whole layer. */
	assert_int_equal(imagefs_lookup(im->fs, "/z/last", &f, &err), 0);
	assert_int_equal(f.status, IMAGEFS_FOUND);
	imagefs_get_stats(im->fs, &st);
	assert_int_equal(st.layers_opened, 1);
	assert_true(st.unpacked_bytes > BIG_BYTES);
	assert_int_equal(st.entries, 3);
	imagefs_file_release(&f);
	timage_free(im);
}

static void fill_large_file(struct archive *a, void *arg)
{
	struct archive_entry *e = archive_entry_new();

	(void)arg;
	archive_entry_set_pathname(e, "bin/large");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_size(e, 3 * IMAGEFS_HEAD_MAX);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	fill_random(a, 3 * IMAGEFS_HEAD_MAX);
	archive_entry_free(e);
}

static void test_head_is_capped(void **state)
{
	struct timage *im = timage_from_writer(ZSTD, fill_large_file, NULL);
	struct imagefs_file f;
	struct error err;

	(void)state;
	error_init(&err);
	assert_int_equal(imagefs_lookup(im->fs, "/bin/large", &f, &err), 0);
	assert_int_equal(f.status, IMAGEFS_FOUND);
	assert_int_equal(f.head_len, IMAGEFS_HEAD_MAX);
	assert_int_equal(f.size, 3 * IMAGEFS_HEAD_MAX);
	imagefs_file_release(&f);
	timage_free(im);
}

/* The bytes fill_random() writes, len of them (its state runs on from
   chunk to chunk). */
static unsigned char *random_bytes(size_t len)
{
	unsigned char *out = xmalloc(len);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = (unsigned char)x;
	}
	return out;
}

static void test_file_read(void **state)
{
	const size_t size = 3 * IMAGEFS_HEAD_MAX;
	struct timage *im = timage_from_writer(GZIP, fill_large_file, NULL);
	unsigned char *want = random_bytes(size);
	unsigned char buf[300];
	struct imagefs_file f, other;
	struct error err;
	size_t got;

	(void)state;
	error_init(&err);
	assert_int_equal(imagefs_lookup(im->fs, "/bin/large", &f, &err), 0);
	/* Within the head. */
	assert_int_equal(imagefs_file_read(im->fs, &f, 10, buf, 100, &got,
					   &err), 0);
	assert_int_equal(got, 100);
	assert_memory_equal(buf, want + 10, 100);
	/* Across the end of the head and a chunk boundary. */
	assert_int_equal(imagefs_file_read(im->fs, &f, 2 * IMAGEFS_HEAD_MAX - 7,
					   buf, sizeof(buf), &got, &err), 0);
	assert_int_equal(got, sizeof(buf));
	assert_memory_equal(buf, want + 2 * IMAGEFS_HEAD_MAX - 7, sizeof(buf));
	/* The tail: fewer bytes than asked. */
	assert_int_equal(imagefs_file_read(im->fs, &f, size - 50, buf,
					   sizeof(buf), &got, &err), 0);
	assert_int_equal(got, 50);
	assert_memory_equal(buf, want + size - 50, 50);
	/* Past the end: nothing. */
	assert_int_equal(imagefs_file_read(im->fs, &f, size + 1, buf, 10,
					   &got, &err), 0);
	assert_int_equal(got, 0);
	/* Only a found file can be read. */
	assert_int_equal(imagefs_lookup(im->fs, "/bin", &other, &err), 0);
	assert_int_equal(imagefs_file_read(im->fs, &other, size - 50, buf,
					   10, &got, &err), -1);
	imagefs_file_release(&other);
	imagefs_file_release(&f);
	free(want);
	timage_free(im);
}

static void lookup_expect(struct timage *im, const char *path,
			  enum imagefs_status status)
{
	struct imagefs_file f;
	struct error err;

	error_init(&err);
	if (imagefs_lookup(im->fs, path, &f, &err) < 0)
		fail_msg("'%s': %s", path, err.message);
	if (f.status != status)
		fail_msg("'%s': expected %s, got %s", path,
			 imagefs_status_name(status),
			 imagefs_status_name(f.status));
	imagefs_file_release(&f);
}

/* Entries seen are remembered: asking again opens no layer. */
static void test_index_reused(void **state)
{
	static const struct tlayer layers[] = {
		L(GZIP, { 'f', "bin/app", "A" }, { 'f', "etc/os-release", "" },
		  { 'd', "usr/", NULL }),
		L(ZSTD, { 'f', "bin/.wh.gone", "" }, { 'f', "etc/hosts", "" }),
	};
	struct timage *im = timage_new(layers, 2);
	struct imagefs_stats st;

	(void)state;
	lookup_expect(im, "/bin/app", IMAGEFS_FOUND);
	lookup_expect(im, "/missing", IMAGEFS_NOT_FOUND);
	assert_int_equal(im->o.total_opens, 2);
	lookup_expect(im, "/missing", IMAGEFS_NOT_FOUND);
	lookup_expect(im, "/bin/app", IMAGEFS_FOUND);
	lookup_expect(im, "/usr", IMAGEFS_IS_DIR);
	lookup_expect(im, "/bin/gone", IMAGEFS_WHITED_OUT);
	lookup_expect(im, "/etc/hosts/x", IMAGEFS_NOT_DIR);
	if (im->o.total_opens != 2)
		fail_msg("expected 2 layer opens, got %zu",
			 im->o.total_opens);
	imagefs_get_stats(im->fs, &st);
	assert_int_equal(st.layers_opened, 2);
	assert_int_equal(st.entries, 5);
	assert_int_equal(st.compressed_bytes, im->o.bytes_read);
	timage_free(im);
}

/* A file seen while looking for another is read by opening its layer
   again and skipping to it. */
static void test_reopen_for_earlier_entry(void **state)
{
	static const struct tlayer layers[] = {
		L(GZIP, { 'f', "bin/sh", "SH" }, { 'f', "bin/ls", "LS" },
		  { 'h', "bin/dir", "bin/ls" }),
	};
	struct timage *im = timage_new(layers, 1);
	struct imagefs_file f;
	struct error err;

	(void)state;
	error_init(&err);
	lookup_expect(im, "/bin/none", IMAGEFS_NOT_FOUND);
	assert_int_equal(im->o.opens[0], 1);
	assert_int_equal(imagefs_lookup(im->fs, "/bin/dir", &f, &err), 0);
	assert_int_equal(f.status, IMAGEFS_FOUND);
	assert_int_equal(f.head_len, 2);
	assert_memory_equal(f.head, "LS", 2);
	assert_true(f.via_hardlink);
	assert_int_equal(im->o.opens[0], 2);
	imagefs_file_release(&f);
	lookup_expect(im, "/bin/sh", IMAGEFS_FOUND);
	assert_int_equal(im->o.opens[0], 3);
	lookup_expect(im, "/bin/ls", IMAGEFS_FOUND);   /* cached head */
	assert_int_equal(im->o.opens[0], 3);
	timage_free(im);
}

/* What a batch read handed over, per file. */
struct batch_got {
	char data[8][16];
	size_t len[8];
	size_t done[8];
};

static int batch_take(void *ctx, size_t index, uint64_t offset,
		      const unsigned char *data, size_t len)
{
	struct batch_got *g = ctx;

	if (!data) {
		g->done[index]++;
		return 0;
	}
	assert_int_equal(offset, g->len[index]);
	assert_true(g->len[index] + len < sizeof(g->data[index]));
	memcpy(g->data[index] + g->len[index], data, len);
	g->len[index] += len;
	return 0;
}

/* Files looked up without their heads, then read together: one pass
   per layer whatever the order asked, a shared entry read once. */
static void test_batch_read(void **state)
{
	static const struct tlayer layers[] = {
		L(GZIP, { 'f', "lib/a", "AAA" }, { 'f', "lib/b", "BB" },
		  { 'f', "lib/c", "C" }),
		L(ZSTD, { 'f', "opt/x", "XXXX" }, { 'f', "opt/y", "YY" },
		  { 'h', "opt/z", "opt/x" }),
	};
	static const char *const paths[] = {
		"/lib/c", "/opt/z", "/lib/a", "/opt/x", "/lib/b", "/opt/y",
	};
	static const char *const want[] = {"C", "XXXX", "AAA", "XXXX", "BB",
					   "YY"};
	struct timage *im = timage_new(layers, 2);
	struct imagefs_file f[6];
	const struct imagefs_file *fp[6];
	struct batch_got *g = xcalloc(1, sizeof(*g));
	struct error err;
	size_t i;

	(void)state;
	error_init(&err);
	lookup_expect(im, "/missing", IMAGEFS_NOT_FOUND);
	assert_int_equal(im->o.total_opens, 2);
	for (i = 0; i < 6; i++) {
		assert_int_equal(imagefs_lookup_stat(im->fs, paths[i], &f[i],
						     &err), 0);
		assert_int_equal(f[i].status, IMAGEFS_FOUND);
		assert_null(f[i].head);
		fp[i] = &f[i];
	}
	assert_int_equal(im->o.total_opens, 2);
	assert_int_equal(imagefs_files_read(im->fs, fp, 6, batch_take, g,
					    &err), 0);
	for (i = 0; i < 6; i++) {
		if (g->len[i] != strlen(want[i]) ||
		    memcmp(g->data[i], want[i], g->len[i]))
			fail_msg("'%s': expected '%s', got '%.*s'", paths[i],
				 want[i], (int)g->len[i], g->data[i]);
		assert_int_equal(g->done[i], 1);
	}
	if (im->o.opens[0] != 2 || im->o.opens[1] != 2)
		fail_msg("expected each layer opened twice, got %zu and %zu",
			 im->o.opens[0], im->o.opens[1]);
	for (i = 0; i < 6; i++)
		imagefs_file_release(&f[i]);
	free(g);
	timage_free(im);
}

/* A file that was not found cannot be read in a batch. */
static void test_batch_refuses_missing(void **state)
{
	static const struct tlayer layers[] = {
		L(GZIP, { 'f', "lib/a", "AAA" }),
	};
	struct timage *im = timage_new(layers, 1);
	struct imagefs_file f;
	const struct imagefs_file *fp = &f;
	struct batch_got *g = xcalloc(1, sizeof(*g));
	struct error err;

	(void)state;
	error_init(&err);
	assert_int_equal(imagefs_lookup_stat(im->fs, "/lib/none", &f, &err),
			 0);
	assert_int_equal(f.status, IMAGEFS_NOT_FOUND);
	assert_int_equal(imagefs_files_read(im->fs, &fp, 1, batch_take, g,
					    &err), -1);
	assert_string_equal(err.message, "no file to read");
	assert_int_equal(g->done[0], 0);
	imagefs_file_release(&f);
	free(g);
	timage_free(im);
}

/* A layer whose blob is damaged or fails, and the message expected. */
struct error_case {
	const char *name;
	enum comp comp;
	size_t keep_percent;          /* 0: replace by garbage; a cut is
					 never on a 512-byte boundary */
	int fail_layer;
	bool open_fails;
	enum error_category category;
	const char *message_prefix;
	const char *message_part;
};

static const struct error_case error_cases[] = {
	{ "truncated gzip", GZIP, 50, -1, false, ERROR_FORMAT,
	  "layer 'sha256:0000': ", "gzip data ends early" },
	{ "truncated zstd", ZSTD, 50, -1, false, ERROR_FORMAT,
	  "layer 'sha256:0000': ", "zstd data ends early" },
	{ "truncated tar", PLAIN, 50, -1, false, ERROR_FORMAT,
	  "layer 'sha256:0000': ", "" },
	{ "garbage", PLAIN, 0, -1, false, ERROR_FORMAT,
	  "layer 'sha256:0000': ", "Unrecognized archive format" },
	{ "stream fails", GZIP, 100, 0, false, ERROR_NETWORK,
	  "layer 'sha256:0000': connection reset", "" },
	{ "layer cannot be opened", GZIP, 100, -1, true, ERROR_AUTH,
	  "layer 'sha256:0000': 401 unauthorized", "" },
};

static void fill_many(struct archive *a, void *arg)
{
	char name[32], data[64];
	size_t i;

	(void)arg;
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "d%zu/f%zu", i % 7, i);
		snprintf(data, sizeof(data), "%zu %zu %zu", i, i * i, ~i);
		twrite_entry(a, &(struct tentry){ 'f', name, data });
	}
}

static void garble(struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		b->data[i] = (char)(i * 7 + 3);
}

static void check_error(const struct error_case *c)
{
	struct timage *im = timage_from_writer(c->comp, fill_many, NULL);
	struct imagefs_file f;
	struct error err;

	error_init(&err);
	if (c->keep_percent == 0)
		garble(&im->o.blobs[0]);
	else
		im->o.blobs[0].len = im->o.blobs[0].len * c->keep_percent /
				     100 / 512 * 512 + 100;
	im->o.fail_layer = c->fail_layer;
	im->o.fail_after = 1000;
	im->o.open_fails = c->open_fails;
	if (imagefs_lookup(im->fs, "/not/there", &f, &err) == 0)
		fail_msg("%s: expected an error, got %s", c->name,
			 imagefs_status_name(f.status));
	if (err.category != c->category ||
	    strncmp(err.message, c->message_prefix,
		    strlen(c->message_prefix)) ||
	    !strstr(err.message, c->message_part))
		fail_msg("%s: expected %s '%s...%s', got %s '%s'", c->name,
			 error_category_name(c->category), c->message_prefix,
			 c->message_part, error_category_name(err.category),
			 err.message);
	if (getenv("TEST_VERBOSE"))
		print_message("%s: %s\n", c->name, err.message);
	assert_null(f.path);
	assert_null(f.links);
	timage_free(im);
}

static void test_layer_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		check_error(&error_cases[i]);
}

static void fill_long_name(struct archive *a, void *arg)
{
	char *name = xmalloc(IMAGEFS_PATH_MAX + 10);

	(void)arg;
	memset(name, 'n', IMAGEFS_PATH_MAX + 9);
	name[IMAGEFS_PATH_MAX + 9] = '\0';
	name[100] = '/';
	twrite_entry(a, &(struct tentry){ 'f', name, "x" });
	free(name);
}

static void fill_bad_hardlink(struct archive *a, void *arg)
{
	(void)arg;
	twrite_entry(a, &(struct tentry){ 'h', "bin/sh", "bin/busybox" });
	twrite_entry(a, &(struct tentry){ 'f', "bin/busybox", "BB" });
}

static void fill_control_bytes(struct archive *a, void *arg)
{
	(void)arg;
	twrite_entry(a, &(struct tentry){ 'h', "bin/sh", "bin/\033[31mx" });
}

/* Limits and malformed entries, with their messages. */
static void test_entry_errors(void **state)
{
	static const struct {
		const char *name;
		void (*fill)(struct archive *, void *);
		const char *path;
		enum error_category category;
		const char *message;
	} cases[] = {
		{ "long entry name", fill_long_name, "/x", ERROR_LIMIT,
		  "longer than 4096 bytes (IMAGEFS_PATH_MAX)" },
		{ "hard link to a later entry", fill_bad_hardlink, "/bin/sh",
		  ERROR_FORMAT,
		  "layer 'sha256:0000': hard link '/bin/sh' to '/bin/busybox': no earlier entry of that name" },
		{ "control bytes are escaped", fill_control_bytes, "/bin/sh",
		  ERROR_FORMAT, "to '/bin/\\x1b[31mx'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct timage *im = timage_from_writer(PLAIN, cases[i].fill,
						       NULL);
		struct imagefs_file f;
		struct error err;

		error_init(&err);
		if (imagefs_lookup(im->fs, cases[i].path, &f, &err) == 0)
			fail_msg("%s: expected an error, got %s",
				 cases[i].name, imagefs_status_name(f.status));
		if (err.category != cases[i].category ||
		    !strstr(err.message, cases[i].message))
			fail_msg("%s: expected %s '%s', got %s '%s'",
				 cases[i].name,
				 error_category_name(cases[i].category),
				 cases[i].message,
				 error_category_name(err.category),
				 err.message);
		timage_free(im);
	}
}

static void fill_one_file(struct archive *a, void *arg)
{
	(void)arg;
	twrite_entry(a, &(struct tentry){ 'f', "bomb", "x" });
}

/*
 * Make the first ustar header declare `size` bytes: base-256 in the size
 * field (a GNU extension libarchive reads), then the header checksum
 * again (POSIX ustar: the byte sum with the checksum field as spaces).
 */
static void tar_patch_size(unsigned char *h, uint64_t size)
{
	unsigned int sum = 0;
	size_t i;

	memset(h + 124, 0, 12);
	h[124] = 0x80;
	for (i = 0; i < 8; i++)
		h[135 - i] = (unsigned char)(size >> (8 * i));
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

/* A header that declares more than IMAGEFS_LAYER_UNPACKED_MAX bytes is
   refused before libarchive tries to skip them. */
static void test_unpacked_limit(void **state)
{
	struct timage *im;
	struct imagefs_file f;
	struct error err;

	(void)state;
	error_init(&err);
	im = timage_from_writer(PLAIN, fill_one_file, NULL);
	tar_patch_size((unsigned char *)im->o.blobs[0].data,
		       IMAGEFS_LAYER_UNPACKED_MAX);
	assert_int_equal(imagefs_lookup(im->fs, "/x", &f, &err), -1);
	assert_int_equal(err.category, ERROR_LIMIT);
	assert_string_equal(err.message,
			    "layer 'sha256:0000': more than 8589934592 "
			    "unpacked bytes (IMAGEFS_LAYER_UNPACKED_MAX)");
	timage_free(im);
}

static void test_lookup_path_too_long(void **state)
{
	static const struct tlayer layers[] = {
		L(GZIP, { 'f', "a", "A" }),
	};
	struct timage *im = timage_new(layers, 1);
	char *path = xmalloc(IMAGEFS_PATH_MAX + 2);
	struct imagefs_file f;
	struct error err;

	(void)state;
	error_init(&err);
	memset(path, 'p', IMAGEFS_PATH_MAX + 1);
	path[IMAGEFS_PATH_MAX + 1] = '\0';
	assert_int_equal(imagefs_lookup(im->fs, path, &f, &err), -1);
	assert_int_equal(err.category, ERROR_LIMIT);
	assert_non_null(strstr(err.message, "(IMAGEFS_PATH_MAX)"));
	assert_int_equal(im->o.total_opens, 0);
	/* Many ".." may bring a long path back under the limit. */
	memset(path, '/', IMAGEFS_PATH_MAX + 1);
	memcpy(path + IMAGEFS_PATH_MAX - 1, "a", 1);
	lookup_expect(im, path, IMAGEFS_FOUND);
	free(path);
	timage_free(im);
}

/* blob_stream_open_file over a layer written to a temporary file. */
static void test_file_stream(void **state)
{
	static const struct tlayer layer =
		L(GZIP, { 'f', "bin/app", "from a file" });
	char dir[] = "/tmp/test_imagefs.XXXXXX";
	struct buf blob;
	struct blob_stream *s;
	const void *data;
	struct error err;
	char path[64];
	FILE *fp;
	ssize_t n;
	size_t total = 0;

	(void)state;
	error_init(&err);
	buf_init(&blob);
	tlayer_build(&layer, &blob);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/layer.tar.gz", dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(blob.data, 1, blob.len, fp), blob.len);
	assert_int_equal(fclose(fp), 0);
	s = blob_stream_open_file(path, &err);
	assert_non_null(s);
	while ((n = blob_stream_read(s, &data, &err)) > 0) {
		assert_memory_equal(data, blob.data + total, (size_t)n);
		total += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, blob.len);
	assert_int_equal(s->delivered, blob.len);
	blob_stream_close(s);
	unlink(path);
	assert_null(blob_stream_open_file(path, &err));
	assert_int_equal(err.category, ERROR_IO);
	assert_non_null(strstr(err.message, "cannot open '"));
	assert_non_null(strstr(err.message, "No such file or directory"));
	rmdir(dir);
	buf_release(&blob);
	blob_stream_close(NULL);
}

#define LONG_TARGET 4000

static void fill_long_targets(struct archive *a, void *arg)
{
	char *target = xmalloc(LONG_TARGET + 1);
	size_t count = *(size_t *)arg, i;
	char name[32];

	memset(target, 't', LONG_TARGET);
	target[LONG_TARGET] = '\0';
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "l%zu", i);
		twrite_entry(a, &(struct tentry){ 'l', name, target });
	}
	free(target);
}

/* Symlink targets cost the index their bytes, as names do: a layer of
   symlinks to 4 KiB targets once took 1.2 GB uncounted. */
static void test_index_counts_targets(void **state)
{
	size_t count = 100;
	struct timage *im = timage_from_writer(GZIP, fill_long_targets,
					       &count);
	struct imagefs_stats st;

	(void)state;
	lookup_expect(im, "/none", IMAGEFS_NOT_FOUND);
	imagefs_get_stats(im->fs, &st);
	if (st.index_bytes < count * LONG_TARGET ||
	    st.index_bytes > count * (LONG_TARGET + 1024) + 64 * 1024)
		fail_msg("index bytes: expected %zu to %zu, got %llu",
			 count * LONG_TARGET,
			 count * (LONG_TARGET + 1024) + 64 * 1024,
			 (unsigned long long)st.index_bytes);
	timage_free(im);
}

/* Entries of about 2000 components each: every parent directory is a
   node with its own name, about 4 MiB of index per entry. */
#define DEEP_ENTRIES 80
#define DEEP_LEVELS 1990

static void fill_deep_paths(struct archive *a, void *arg)
{
	char *name = xmalloc(2 * DEEP_LEVELS + 16);
	size_t i, o;

	(void)arg;
	for (i = 0; i < DEEP_ENTRIES; i++) {
		o = (size_t)sprintf(name, "d%zu/", i);
		memset(name + o, 'a', 2 * DEEP_LEVELS);
		for (; o + 1 < 2 * DEEP_LEVELS; o += 2)
			name[o + 1] = '/';
		strcpy(name + o, "f");
		twrite_entry(a, &(struct tentry){ 'f', name, "" });
	}
	free(name);
}

/* The index stops at IMAGEFS_INDEX_BYTES_MAX, well under 1 GiB. */
static void test_index_limit(void **state)
{
	struct timage *im = timage_from_writer(GZIP, fill_deep_paths, NULL);
	struct imagefs_stats st;
	struct imagefs_file f;
	struct error err;

	(void)state;
	error_init(&err);
	assert_int_equal(imagefs_lookup(im->fs, "/none", &f, &err), -1);
	assert_int_equal(err.category, ERROR_LIMIT);
	assert_string_equal(err.message,
			    "layer 'sha256:0000': index of names and links "
			    "over 268435456 bytes (IMAGEFS_INDEX_BYTES_MAX)");
	imagefs_get_stats(im->fs, &st);
	assert_true(st.index_bytes <= 256 * 1024 * 1024);
	assert_true(st.entries < DEEP_ENTRIES);
	timage_free(im);
}

/* Names that climb out of the root are looked up clamped to it, and
   counted for the caller: moby and CRI-O refuse such layers. */
static void test_escaping_entries(void **state)
{
	static const struct tlayer layers[] = {
		L(PLAIN, { 'f', "../app", "A" }, { 'f', "a/../../b", "B" },
		  { 'f', "c/../d", "D" }, { 'f', "/abs", "X" },
		  { 'h', "e", "../../d" }, { 'h', "g", "./c/../d" },
		  { 'l', "s", "../../../d" }),
	};
	struct timage *im = timage_new(layers, 1);
	struct imagefs_stats st;
	size_t round;

	(void)state;
	for (round = 0; round < 2; round++) {
		lookup_expect(im, "/app", IMAGEFS_FOUND);
		lookup_expect(im, "/b", IMAGEFS_FOUND);
		lookup_expect(im, "/e", IMAGEFS_FOUND);
		lookup_expect(im, "/s", IMAGEFS_FOUND);
		imagefs_get_stats(im->fs, &st);
		if (st.escaping_entries != 3 ||
		    strcmp(st.first_escaping, "../app"))
			fail_msg("round %zu: expected 3 escaping, first "
				 "'../app', got %zu, '%s'", round,
				 st.escaping_entries, st.first_escaping);
	}
	assert_int_equal(st.duplicate_entries, 0);
	assert_string_equal(st.first_duplicate, "");
	timage_free(im);
}

/* A name given twice in one layer: the first entry decides, and the
   caller learns of it. A directory repeated, or across layers, is fine. */
static void test_duplicate_entries(void **state)
{
	static const struct tlayer layers[] = {
		L(PLAIN, { 'f', "bin/app", "1" }, { 'f', "bin/app", "2" },
		  { 'd', "bin/", NULL }, { 'd', "etc/", NULL },
		  { 'd', "etc", NULL }, { 'l', "lib", "x" },
		  { 'f', "lib/y", "Y" }, { 'f', "usr/z", "Z" },
		  { 'l', "usr", "q" }, { 'f', "d/.wh.k", "" },
		  { 'f', "d/k", "K" }),
		L(GZIP, { 'f', "bin/app", "3" }, { 'f', "etc/x", "" }),
	};
	struct timage *im = timage_new(layers, 2);
	struct imagefs_stats st;
	struct imagefs_file f;
	struct error err;
	size_t round;

	(void)state;
	error_init(&err);
	for (round = 0; round < 2; round++) {
		lookup_expect(im, "/none", IMAGEFS_NOT_FOUND);
		imagefs_get_stats(im->fs, &st);
		if (st.duplicate_entries != 3 ||
		    strcmp(st.first_duplicate, "/bin/app"))
			fail_msg("round %zu: expected 3 duplicates, first "
				 "'/bin/app', got %zu, '%s'", round,
				 st.duplicate_entries, st.first_duplicate);
	}
	assert_int_equal(imagefs_lookup(im->fs, "/d/k", &f, &err), 0);
	assert_int_equal(f.status, IMAGEFS_FOUND);
	imagefs_file_release(&f);
	imagefs_get_stats(im->fs, &st);
	assert_int_equal(st.duplicate_entries, 3);
	assert_int_equal(st.escaping_entries, 0);
	timage_free(im);
}

/* containerd takes a 0-byte blob, or a compressed stream of no bytes,
   as an empty layer (Go's tar reader gives io.EOF at once). */
static void test_empty_layer(void **state)
{
	static const struct tlayer layers[] = {
		L(GZIP, { 'f', "bin/app", "A" }),
		L(PLAIN, { 'f', "x", "X" }),
		L(PLAIN, { 'f', "x", "X" }),
	};
	static const unsigned char gzip_empty[] = {
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
		0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const char *const one_byte =
		"layer 'sha256:0000': Unrecognized archive format";
	struct timage *im = timage_new(layers, 3);
	struct imagefs_stats st;
	struct imagefs_file f;
	struct error err;

	(void)state;
	error_init(&err);
	im->o.blobs[1].len = 0;
	buf_release(&im->o.blobs[2]);
	assert_int_equal(buf_append(&im->o.blobs[2], gzip_empty,
				    sizeof(gzip_empty), LAYER_BYTES_MAX,
				    "gzip", &err), 0);
	lookup_expect(im, "/bin/app", IMAGEFS_FOUND);
	lookup_expect(im, "/x", IMAGEFS_NOT_FOUND);
	imagefs_get_stats(im->fs, &st);
	assert_int_equal(st.layers_opened, 3);
	assert_int_equal(st.entries, 1);
	timage_free(im);

	/* One byte is no empty layer, and no tar either. */
	im = timage_new(layers, 1);
	im->o.blobs[0].len = 1;
	assert_int_equal(imagefs_lookup(im->fs, "/x", &f, &err), -1);
	if (err.category != ERROR_FORMAT || strcmp(err.message, one_byte))
		fail_msg("one byte: expected format '%s', got %s '%s'",
			 one_byte, error_category_name(err.category),
			 err.message);
	timage_free(im);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(imagefs_status_name(IMAGEFS_FOUND), "found");
	assert_string_equal(imagefs_status_name(IMAGEFS_WHITED_OUT),
			    "whited out");
	assert_string_equal(imagefs_status_name((enum imagefs_status)99),
			    "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_table),
		cmocka_unit_test(test_symlink_hops_limit),
		cmocka_unit_test(test_early_stop),
		cmocka_unit_test(test_head_is_capped),
		cmocka_unit_test(test_file_read),
		cmocka_unit_test(test_index_reused),
		cmocka_unit_test(test_reopen_for_earlier_entry),
		cmocka_unit_test(test_batch_read),
		cmocka_unit_test(test_batch_refuses_missing),
		cmocka_unit_test(test_layer_errors),
		cmocka_unit_test(test_entry_errors),
		cmocka_unit_test(test_unpacked_limit),
		cmocka_unit_test(test_lookup_path_too_long),
		cmocka_unit_test(test_file_stream),
		cmocka_unit_test(test_empty_layer),
		cmocka_unit_test(test_index_counts_targets),
		cmocka_unit_test(test_index_limit),
		cmocka_unit_test(test_escaping_entries),
		cmocka_unit_test(test_duplicate_entries),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
