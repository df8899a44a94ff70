/* Tests for layer decompression: formats, errors, and reading no more
   compressed bytes than the uncompressed ones asked for need. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "preflight/blob.h"
#include "preflight/buf.h"
#include "preflight/decompress.h"
#include "preflight/error.h"

#define PLAIN_MAX (4u * 1024 * 1024)
#define PACKED_MAX (8u * 1024 * 1024)

/* A stream over memory that hands out `chunk` bytes at a time and
   records the hints it is given. */
struct tstream {
	struct blob_stream base;
	const unsigned char *data;
	size_t len, pos, chunk;
	uint64_t last_want;
	unsigned int wants;
};

static ssize_t tstream_read(struct blob_stream *s, const void **data,
			    struct error *err)
{
	struct tstream *t = (struct tstream *)s;
	size_t n = t->len - t->pos;

	(void)err;
	if (n > t->chunk)
		n = t->chunk;
	*data = t->data + t->pos;
	t->pos += n;
	return (ssize_t)n;
}

static void tstream_want(struct blob_stream *s, uint64_t more)
{
	struct tstream *t = (struct tstream *)s;

	t->last_want = more;
	t->wants++;
}

static void tstream_close(struct blob_stream *s)
{
	(void)s;   /* the test owns it */
}

static const struct blob_stream_ops tstream_ops = {
	.read = tstream_read,
	.want = tstream_want,
	.close = tstream_close,
};

static void tstream_init(struct tstream *t, const void *data, size_t len,
			 size_t chunk)
{
	memset(t, 0, sizeof(*t));
	t->base.ops = &tstream_ops;
	t->data = data;
	t->len = len;
	t->chunk = chunk;
}

/* Text that compresses about as well as a program does: words drawn
   from a small set by a fixed generator. */
static unsigned char *sample(size_t len)
{
	static const char *const words[] = {
		"main ", "libc.so.6 ", "\x7f" "ELF", "GLIBC_2.34 ", "\0\0\0\0",
		"__libc_start_main ", "printf ", ".text ", "\x48\x89\xe5",
	};
	unsigned char *p = malloc(len);
	uint32_t x = 12345;
	size_t i = 0;

	assert_non_null(p);
	while (i < len) {
		const char *w;
		size_t n;

		x = x * 1103515245u + 12345u;
		w = words[(x >> 16) % (sizeof(words) / sizeof(*words))];
		n = strlen(w) ? strlen(w) : 4;
		for (size_t k = 0; k < n && i < len; k++)
			p[i++] = (unsigned char)(w[k] ^ (x >> 24 & 3));
	}
	return p;
}

static size_t gzip_into(unsigned char *out, size_t room,
			const unsigned char *in, size_t len)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)room;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return room - z.avail_out;
}

static size_t zstd_into(unsigned char *out, size_t room,
			const unsigned char *in, size_t len)
{
	size_t n = ZSTD_compress(out, room, in, len, 3);

	assert_false(ZSTD_isError(n));
	return n;
}

/* Read all of the decompressed stream over packed into out. */
static int read_all(const unsigned char *packed, size_t len, size_t chunk,
		    struct buf *out, struct error *err)
{
	struct tstream t;
	struct blob_stream *d;
	int ret = 0;

	tstream_init(&t, packed, len, chunk);
	d = decompress_open(&t.base);
	for (;;) {
		const void *p;
		ssize_t n = blob_stream_read(d, &p, err);

		if (n <= 0) {
			ret = (int)n;
			break;
		}
		assert_true((size_t)n <= DECOMPRESS_OUT_MAX);
		assert_int_equal(buf_append(out, p, (size_t)n, PLAIN_MAX * 2,
					    "plain", err), 0);
	}
	blob_stream_close(d);
	return ret;
}

enum shape {
	GZIP_ONE, GZIP_TWO, GZIP_PADDED, ZSTD_ONE, ZSTD_TWO_SKIPPABLE, PLAIN,
};

/* Build `shape` of plain[0..len) into packed; returns its length. */
static size_t build(enum shape shape, unsigned char *packed,
		    const unsigned char *plain, size_t len)
{
	static const unsigned char skippable[] = {
		0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'a', 'b', 'c',
	};
	size_t half = len / 2, n = 0;

	switch (shape) {
	case GZIP_ONE:
		return gzip_into(packed, PACKED_MAX, plain, len);
	case GZIP_TWO:
		n = gzip_into(packed, PACKED_MAX, plain, half);
		return n + gzip_into(packed + n, PACKED_MAX - n, plain + half,
				     len - half);
	case GZIP_PADDED:
		n = gzip_into(packed, PACKED_MAX, plain, len);
		memset(packed + n, 0, 10240);
		return n + 10240;
	case ZSTD_ONE:
		return zstd_into(packed, PACKED_MAX, plain, len);
	case ZSTD_TWO_SKIPPABLE:
		n = zstd_into(packed, PACKED_MAX, plain, half);
		memcpy(packed + n, skippable, sizeof(skippable));
		n += sizeof(skippable);
		return n + zstd_into(packed + n, PACKED_MAX - n, plain + half,
				     len - half);
	case PLAIN:
		memcpy(packed, plain, len);
		return len;
	}
	return 0;
}

static void test_formats_round_trip(void **state)
{
	static const struct {
		const char *name;
		enum shape shape;
		size_t len, chunk;
	} cases[] = {
		{ "gzip", GZIP_ONE, 300000, 4096 },
		{ "gzip, chunks of 1 byte", GZIP_ONE, 5000, 1 },
		{ "gzip, two members", GZIP_TWO, 300000, 777 },
		{ "gzip, zero padding after it", GZIP_PADDED, 70000, 4096 },
		{ "zstd", ZSTD_ONE, 300000, 4096 },
		{ "zstd, chunks of 1 byte", ZSTD_ONE, 5000, 1 },
		{ "zstd, two frames and a skippable one", ZSTD_TWO_SKIPPABLE,
		  300000, 999 },
		{ "plain", PLAIN, 300000, 4096 },
		{ "plain, chunks of 1 byte", PLAIN, 3000, 1 },
		{ "plain, 2 bytes", PLAIN, 2, 1 },
		{ "plain, empty", PLAIN, 0, 4096 },
	};
	unsigned char *plain = sample(PLAIN_MAX);
	unsigned char *packed = malloc(PACKED_MAX);

	(void)state;
	assert_non_null(packed);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf out;
		struct error err;
		size_t n = build(cases[i].shape, packed, plain, cases[i].len);

		buf_init(&out);
		error_init(&err);
		if (read_all(packed, n, cases[i].chunk, &out, &err) != 0 ||
		    out.len != cases[i].len ||
		    (cases[i].len && memcmp(out.data, plain, cases[i].len)))
			fail_msg("%s: got %zu bytes (%s), want %zu",
				 cases[i].name, out.len, err.message,
				 cases[i].len);
		buf_release(&out);
	}
	free(packed);
	free(plain);
}

static void test_errors(void **state)
{
	static const struct {
		const char *name;
		enum shape shape;
		size_t cut;          /* bytes dropped from the end */
		long flip;           /* byte XORed with 0x55, -1 none */
		const char *message;
	} cases[] = {
		{ "truncated gzip", GZIP_ONE, 100, -1, "gzip data ends early" },
		{ "gzip without its trailer", GZIP_ONE, 4, -1,
		  "gzip data ends early" },
		{ "truncated zstd", ZSTD_ONE, 100, -1, "zstd data ends early" },
		{ "corrupt gzip", GZIP_ONE, 0, 200, "broken gzip data" },
		{ "corrupt zstd", ZSTD_ONE, 0, 5, "broken zstd data" },
	};
	unsigned char *plain = sample(100000);
	unsigned char *packed = malloc(PACKED_MAX);

	(void)state;
	assert_non_null(packed);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf out;
		struct error err;
		size_t n = build(cases[i].shape, packed, plain, 100000);

		if (cases[i].flip >= 0)
			packed[cases[i].flip] ^= 0x55;
		buf_init(&out);
		error_init(&err);
		if (read_all(packed, n - cases[i].cut, 4096, &out, &err) !=
			    -1 ||
		    err.category != ERROR_FORMAT ||
		    !strstr(err.message, cases[i].message))
			fail_msg("%s: got '%s', want '%s'", cases[i].name,
				 err.message, cases[i].message);
		buf_release(&out);
	}
	free(packed);
	free(plain);
}

/* A gzip member followed by bytes that start like one but are not: Go's
   reader (containerd) refuses them, and so do we. */
static void test_bad_second_member(void **state)
{
	unsigned char *plain = sample(5000);
	unsigned char *packed = malloc(PACKED_MAX);
	struct buf out;
	struct error err;
	size_t n;

	(void)state;
	assert_non_null(packed);
	n = gzip_into(packed, PACKED_MAX, plain, 5000);
	memcpy(packed + n, "\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10);
	buf_init(&out);
	error_init(&err);
	assert_int_equal(read_all(packed, n + 10, 4096, &out, &err), -1);
	assert_non_null(strstr(err.message, "broken gzip data"));
	buf_release(&out);
	free(packed);
	free(plain);
}

/*
 * The point of the module: a reader that wants the first bytes costs
 * only the compressed bytes behind them. 4 MiB packed to about 1 MiB is
 * handed out 1 KiB at a time. For gzip, reading 1000 uncompressed bytes
 * may use a couple of those reads, never the 64 KiB of output a
 * block-filling decompressor would make first. zstd gives nothing of a
 * block before the whole block is in, so there the bound is the first
 * block (ZSTD_BLOCKSIZE_MAX uncompressed bytes, compressed) and a read.
 */
static void test_reads_only_what_is_needed(void **state)
{
	static const enum shape shapes[] = { GZIP_ONE, ZSTD_ONE };
	unsigned char *plain = sample(PLAIN_MAX);
	unsigned char *packed = malloc(PACKED_MAX);
	size_t bound[2] = { 4096, 0 };

	(void)state;
	assert_non_null(packed);
	bound[1] = build(ZSTD_ONE, packed, plain, ZSTD_BLOCKSIZE_MAX) + 1024;
	for (size_t i = 0; i < 2; i++) {
		size_t n = build(shapes[i], packed, plain, PLAIN_MAX);
		struct tstream t;
		struct blob_stream *d;
		struct error err;
		size_t got = 0;

		tstream_init(&t, packed, n, 1024);
		d = decompress_open(&t.base);
		error_init(&err);
		while (got < 1000) {
			const void *p;
			ssize_t r = blob_stream_read(d, &p, &err);

			assert_true(r > 0);
			assert_memory_equal(p, plain + got, (size_t)r);
			got += (size_t)r;
		}
		if (t.pos > bound[i])
			fail_msg("shape %zu: %zu compressed bytes read for %zu "
				 "uncompressed, more than %zu", i, t.pos, got,
				 bound[i]);
		blob_stream_close(d);
	}
	free(packed);
	free(plain);
}

/* A want is passed on in compressed bytes: at first a byte for a byte,
   then from the ratio seen; want 0 clears it. */
static void test_want_is_passed_on(void **state)
{
	unsigned char *plain = sample(PLAIN_MAX);
	unsigned char *packed = malloc(PACKED_MAX);
	size_t n;
	struct tstream t;
	struct blob_stream *d;
	struct error err;
	const void *p;
	uint64_t early;

	(void)state;
	assert_non_null(packed);
	n = build(GZIP_ONE, packed, plain, PLAIN_MAX);
	tstream_init(&t, packed, n, 2048);
	d = decompress_open(&t.base);
	error_init(&err);
	blob_stream_want(d, 8192);
	assert_true(blob_stream_read(d, &p, &err) > 0);
	early = t.last_want;
	if (early < 8192 || early > 8192 * 2)
		fail_msg("first hint %llu for 8192 bytes",
			 (unsigned long long)early);
	for (int k = 0; k < 200; k++)
		assert_true(blob_stream_read(d, &p, &err) > 0);
	blob_stream_want(d, 1024 * 1024);
	/* the sample packs about 4:1, so 1 MiB costs far less than 1 MiB */
	if (t.last_want >= 1024 * 1024 || t.last_want < 1024 * 1024 / 16)
		fail_msg("hint %llu for 1 MiB after the ratio is known",
			 (unsigned long long)t.last_want);
	blob_stream_want(d, 0);
	assert_int_equal(t.last_want, 0);
	blob_stream_close(d);
	free(packed);
	free(plain);
}

/* A zstd frame asking for a window above the limit is refused as a
   limit, not taken for corrupt data (zstd --long=28 writes such). */
static void test_zstd_window_limit(void **state)
{
	unsigned char *plain = sample(1024 * 1024);
	unsigned char *packed = malloc(PACKED_MAX);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_inBuffer in = { plain, 512 * 1024, 0 };
	ZSTD_outBuffer out = { packed, PACKED_MAX, 0 };
	struct buf got;
	struct error err;

	(void)state;
	assert_non_null(packed);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(
		cc, ZSTD_c_windowLog, DECOMPRESS_ZSTD_WINDOW_LOG_MAX + 1)));
	/* given in two parts, the size is not known when the frame header
	   is written, so the window is not shrunk to fit it */
	assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &out, &in,
						      ZSTD_e_continue)));
	in.size = 1024 * 1024;
	for (;;) {
		size_t left = ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);

		assert_false(ZSTD_isError(left));
		if (left == 0)
			break;
	}
	ZSTD_freeCCtx(cc);
	buf_init(&got);
	error_init(&err);
	assert_int_equal(read_all(packed, out.pos, 4096, &got, &err), -1);
	if (err.category != ERROR_LIMIT ||
	    !strstr(err.message, "DECOMPRESS_ZSTD_WINDOW_LOG_MAX"))
		fail_msg("got '%s'", err.message);
	buf_release(&got);
	free(packed);
	free(plain);
}

/* The drain reads the rest of the compressed bytes without decoding. */
static void test_drain(void **state)
{
	unsigned char *plain = sample(200000);
	unsigned char *packed = malloc(PACKED_MAX);
	size_t n;
	struct tstream t;
	struct blob_stream *d;
	struct error err;
	const void *p;

	(void)state;
	assert_non_null(packed);
	n = build(GZIP_ONE, packed, plain, 200000);
	tstream_init(&t, packed, n, 512);
	d = decompress_open(&t.base);
	error_init(&err);
	assert_true(blob_stream_read(d, &p, &err) > 0);
	assert_int_equal(decompress_drain(d, &err), 0);
	assert_int_equal(t.pos, n);
	blob_stream_close(d);
	free(packed);
	free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bad_second_member),
		cmocka_unit_test(test_reads_only_what_is_needed),
		cmocka_unit_test(test_want_is_passed_on),
		cmocka_unit_test(test_zstd_window_limit),
		cmocka_unit_test(test_drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
