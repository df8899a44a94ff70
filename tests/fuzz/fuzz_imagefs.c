/* Fuzz target: the merged file system over layers in memory (the tar
 * walker and its compression sniffing, imagefs.c). The input is up to
 * FUZZ_LAYERS_MAX layer blobs, bottom first, separated by LAYER_MARK;
 * a few paths are looked up and each file found is read back. */
#include <stdlib.h>
#include <string.h>

#include "preflight/blob.h"
#include "preflight/error.h"
#include "preflight/imagefs.h"
#include "tests/fuzz/fuzz.h"

/* Layers cut from one input. */
#define FUZZ_LAYERS_MAX 4
/* Between two layers' bytes; not something a tar or gzip stream holds
   by chance. */
#define LAYER_MARK "\n=LAYER=\n"

struct fuzz_image {
	const uint8_t *blob[FUZZ_LAYERS_MAX];
	size_t len[FUZZ_LAYERS_MAX];
	struct imagefs_layer layers[FUZZ_LAYERS_MAX];
	size_t count;
};

static struct blob_stream *fuzz_open(void *ctx, size_t index,
				     struct error *err)
{
	struct fuzz_image *im = ctx;

	if (index >= im->count) {
		error_set(err, ERROR_INTERNAL, "no layer %zu", index);
		return NULL;
	}
	return blob_stream_open_memory(im->blob[index], im->len[index]);
}

static void fuzz_split(struct fuzz_image *im, const uint8_t *data,
		       size_t size)
{
	static const char *const digests[FUZZ_LAYERS_MAX] = {
		"sha256:0", "sha256:1", "sha256:2", "sha256:3" };
	const size_t mark = sizeof(LAYER_MARK) - 1;
	const uint8_t *end = data + size, *p = data, *q;

	while (im->count < FUZZ_LAYERS_MAX) {
		q = im->count + 1 < FUZZ_LAYERS_MAX ?
		    memmem(p, (size_t)(end - p), LAYER_MARK, mark) : NULL;
		im->blob[im->count] = p;
		im->len[im->count] = q ? (size_t)(q - p) : (size_t)(end - p);
		im->layers[im->count].digest = digests[im->count];
		im->layers[im->count].size = (int64_t)im->len[im->count];
		im->count++;
		if (!q)
			break;
		p = q + mark;
	}
}

/* Chunks of the file, as the ELF and allocator checks ask for them:
   each one's bytes must be readable (the sanitizers check), and they
   follow each other. */
static int fuzz_chunk(void *ctx, uint64_t offset, const unsigned char *d,
		      size_t len)
{
	uint64_t *next = ctx;
	volatile unsigned char first, last;

	if (offset != *next)
		abort();
	if (len) {
		first = d[0];
		last = d[len - 1];
		(void)first;
		(void)last;
	}
	*next = offset + len;
	return *next > 1024 * 1024;
}

static void fuzz_found(struct imagefs *fs, const struct imagefs_file *f)
{
	unsigned char buf[64];
	struct error err;
	uint64_t next = 0;
	size_t got;

	if (f->head_len > IMAGEFS_HEAD_MAX)
		abort();
	error_init(&err);
	if (imagefs_file_read(fs, f, 0, buf, sizeof(buf), &got, &err) == 0 &&
	    got > sizeof(buf))
		abort();
	error_init(&err);
	(void)imagefs_file_read(fs, f, 100000, buf, sizeof(buf), &got, &err);
	error_init(&err);
	(void)imagefs_file_scan(fs, f, fuzz_chunk, &next, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
		"/bin/sh", "/usr/bin/env", "app", "/a/b/../c/./d", "/",
		"/lib/ld-linux.so", "/x",
	};
	struct fuzz_image im;
	struct imagefs_stats st;
	struct imagefs *fs;
	size_t i;

	memset(&im, 0, sizeof(im));
	fuzz_split(&im, data, size);
	fs = imagefs_new(im.layers, im.count,
			 (struct layer_opener){ &im, fuzz_open });
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct imagefs_file f;
		struct error err;

		error_init(&err);
		memset(&f, 0, sizeof(f));
		if (imagefs_lookup(fs, paths[i], &f, &err) < 0) {
			if (!err.message[0])
				abort();
			imagefs_file_release(&f);
			break;   /* a layer could not be read */
		}
		if (f.status == IMAGEFS_FOUND)
			fuzz_found(fs, &f);
		if (f.link_count > IMAGEFS_SYMLINK_HOPS_MAX + 1)
			abort();
		imagefs_file_release(&f);
	}
	imagefs_get_stats(fs, &st);
	if (st.entries > IMAGEFS_ENTRIES_MAX)
		abort();
	imagefs_free(fs);
	return 0;
}
