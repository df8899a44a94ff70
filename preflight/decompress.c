/* Layer decompression that asks the network only for what is read. */
#include "decompress.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "blob.h"
#include "buf.h"
#include "error.h"

/* Bytes looked at to tell the compression (zstd's magic is four). */
#define DECOMPRESS_SNIFF 4
/* Uncompressed bytes seen before their ratio to the compressed ones is
   trusted for an estimate; until then a byte is assumed to cost a byte. */
#define DECOMPRESS_RATIO_SAMPLE 4096
/* Added to an estimate of the compressed bytes still needed: a deflate
   block's header and code tables, a zstd block header. */
#define DECOMPRESS_HINT_SLACK 512

enum decompress_kind {
	DECOMPRESS_UNKNOWN = 0,
	DECOMPRESS_PLAIN,
	DECOMPRESS_GZIP,
	DECOMPRESS_ZSTD,
};

struct decompress {
	struct blob_stream base;   /* first, so the stream casts back */
	struct blob_stream *in;
	enum decompress_kind kind;
	/* the first bytes, kept while sniffing, used before `rest` */
	unsigned char sniff[DECOMPRESS_SNIFF];
	size_t sniff_len;
	const unsigned char *rest;   /* the read that completed the sniff */
	size_t rest_len;
	const unsigned char *next;   /* compressed bytes not yet decoded */
	size_t avail;
	bool in_end;                 /* `in` said it has no more */
	bool boundary;   /* the bytes so far end a gzip member / zstd frame */
	bool pending;    /* the decoder may have output without more input */
	bool done;
	z_stream z;
	bool z_ready;
	ZSTD_DStream *zs;
	uint64_t used;               /* compressed bytes decoded */
	uint64_t made;               /* uncompressed bytes produced */
	uint64_t want_end;           /* `made` the reader expects, 0: none */
	size_t zstd_need;            /* input zstd asks for to go on */
	unsigned char out[DECOMPRESS_OUT_MAX];
};

/*
 * Pass the reader's expectation on to `in` in compressed bytes: the
 * uncompressed bytes still wanted times the ratio seen so far, less
 * what is already here. zstd hands out nothing of a block before all of
 * it has come (RFC 8878 3.1.1.2), so its own count of the input it needs
 * to finish the current block is the least that can be asked for.
 * Nothing is passed once the wanted bytes are here.
 */
static void decompress_hint(struct decompress *d)
{
	uint64_t left, est;

	if (!d->want_end || d->want_end <= d->made) {
		blob_stream_want(d->in, 0);
		return;
	}
	left = d->want_end - d->made;
	if (d->made >= DECOMPRESS_RATIO_SAMPLE)
		est = left * d->used / d->made;
	else
		est = left;
	est += est / 4 + DECOMPRESS_HINT_SLACK;
	if (d->kind == DECOMPRESS_ZSTD && est < d->zstd_need)
		est = d->zstd_need;
	blob_stream_want(d->in, est > d->avail ? est - d->avail : 1);
}

/* The next compressed bytes into next/avail; at the end, in_end. */
static int decompress_fill(struct decompress *d, struct error *err)
{
	const void *p;
	ssize_t n;

	if (d->sniff_len) {
		d->next = d->sniff;
		d->avail = d->sniff_len;
		d->sniff_len = 0;
		return 0;
	}
	if (d->rest_len) {
		d->next = d->rest;
		d->avail = d->rest_len;
		d->rest_len = 0;
		return 0;
	}
	decompress_hint(d);
	n = blob_stream_read(d->in, &p, err);
	if (n < 0)
		return -1;
	if (n == 0)
		d->in_end = true;
	d->next = p;
	d->avail = (size_t)n;
	return 0;
}

/* Read until the first DECOMPRESS_SNIFF bytes are known, or the end. */
static int decompress_sniff(struct decompress *d, struct error *err)
{
	static const unsigned char gzip[] = {0x1f, 0x8b};
	static const unsigned char zstd[] = {0x28, 0xb5, 0x2f, 0xfd};

	while (d->sniff_len < DECOMPRESS_SNIFF) {
		const void *p;
		size_t take;
		ssize_t n = blob_stream_read(d->in, &p, err);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		take = DECOMPRESS_SNIFF - d->sniff_len;
		if ((size_t)n < take)
			take = (size_t)n;
		memcpy(d->sniff + d->sniff_len, p, take);
		d->sniff_len += take;
		d->rest = (const unsigned char *)p + take;
		d->rest_len = (size_t)n - take;
	}
	d->kind = DECOMPRESS_PLAIN;
	if (d->sniff_len >= sizeof(gzip) && !memcmp(d->sniff, gzip, 2))
		d->kind = DECOMPRESS_GZIP;
	else if (d->sniff_len >= sizeof(zstd) &&
		 !memcmp(d->sniff, zstd, sizeof(zstd)))
		d->kind = DECOMPRESS_ZSTD;
	return 0;
}

static int decompress_start(struct decompress *d, struct error *err)
{
	if (decompress_sniff(d, err) < 0)
		return -1;
	if (d->kind == DECOMPRESS_GZIP) {
		/* 16 + 15: a gzip wrapper, windows up to 32 KiB */
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK)
			return error_set(err, ERROR_INTERNAL,
					 "cannot start zlib");
		d->z_ready = true;
	} else if (d->kind == DECOMPRESS_ZSTD) {
		d->zs = ZSTD_createDStream();
		if (!d->zs || ZSTD_isError(ZSTD_DCtx_setParameter(
				  d->zs, ZSTD_d_windowLogMax,
				  DECOMPRESS_ZSTD_WINDOW_LOG_MAX)))
			return error_set(err, ERROR_INTERNAL,
					 "cannot start zstd");
	}
	return 0;
}

/* One inflate call on the bytes here; a member's end may be followed by
   another member, as gzip (RFC 1952 2.2) allows. */
static int decompress_gzip_step(struct decompress *d, size_t *produced,
				struct error *err)
{
	size_t room = DECOMPRESS_OUT_MAX - *produced;
	int r;

	if (d->boundary && d->avail) {
		/* what follows a member and is not one ends the data, as
		   libarchive and the gzip tool take it (libarchive's writer
		   pads its output with zeros to a whole block) */
		if (d->next[0] != 0x1f) {
			d->done = true;
			return 0;
		}
		inflateReset(&d->z);
		d->boundary = false;
	}
	d->z.next_in = (unsigned char *)d->next;
	d->z.avail_in = (uInt)d->avail;
	d->z.next_out = d->out + *produced;
	d->z.avail_out = (uInt)room;
	r = inflate(&d->z, Z_NO_FLUSH);
	d->used += d->avail - d->z.avail_in;
	d->next += d->avail - d->z.avail_in;
	d->avail = d->z.avail_in;
	*produced += room - d->z.avail_out;
	d->pending = d->z.avail_out == 0 && r == Z_OK;
	if (r == Z_STREAM_END) {
		d->boundary = true;
		return 0;
	}
	if (r == Z_OK || r == Z_BUF_ERROR)
		return 0;
	return error_set(err, ERROR_FORMAT, "broken gzip data: %s",
			 d->z.msg ? d->z.msg : "inflate failed");
}

/* One zstd call; frames in a row decode as one stream (RFC 8878 3). */
static int decompress_zstd_step(struct decompress *d, size_t *produced,
				struct error *err)
{
	ZSTD_inBuffer in = {d->next, d->avail, 0};
	ZSTD_outBuffer out = {d->out, DECOMPRESS_OUT_MAX, *produced};
	size_t r = ZSTD_decompressStream(d->zs, &out, &in);

	if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
		return error_set(err, ERROR_LIMIT,
				 "a zstd frame needs a window of more than "
				 "2^%d bytes (DECOMPRESS_ZSTD_WINDOW_LOG_MAX)",
				 DECOMPRESS_ZSTD_WINDOW_LOG_MAX);
	if (ZSTD_isError(r))
		return error_set(err, ERROR_FORMAT, "broken zstd data: %s",
				 ZSTD_getErrorName(r));
	d->used += in.pos;
	d->next += in.pos;
	d->avail -= in.pos;
	d->pending = out.pos == out.size && out.pos > *produced;
	*produced = out.pos;
	d->boundary = r == 0;
	/* r: the input it would like next, to end a block or a frame */
	d->zstd_need = r > d->avail ? r - d->avail : 0;
	return 0;
}

static int decompress_step(struct decompress *d, size_t *produced,
			   struct error *err)
{
	size_t before = *produced, had = d->avail;
	int r;

	r = d->kind == DECOMPRESS_GZIP ? decompress_gzip_step(d, produced, err)
				       : decompress_zstd_step(d, produced, err);
	if (r < 0 || d->done || *produced != before || d->avail != had)
		return r;
	/* a call with nothing to do has flushed everything it held */
	if (!had) {
		d->pending = false;
		return 0;
	}
	return error_set(err, ERROR_FORMAT, "%s decoder made no progress",
			 d->kind == DECOMPRESS_GZIP ? "gzip" : "zstd");
}

/*
 * Hand out what the compressed bytes here give; ask `in` for more only
 * when nothing could be made of them, so that a reader wanting a few
 * bytes costs no more than the compressed bytes behind them.
 */
static ssize_t decompress_decode(struct decompress *d, const void **data,
				 struct error *err)
{
	size_t produced = 0;

	while (produced < DECOMPRESS_OUT_MAX && !d->done) {
		if (!d->avail && !d->pending) {
			if (produced)
				break;
			if (decompress_fill(d, err) < 0)
				return -1;
			if (!d->avail && d->in_end) {
				if (!d->boundary)
					return error_set(
					    err, ERROR_FORMAT,
					    "%s data ends early, after %llu "
					    "bytes", d->kind == DECOMPRESS_GZIP
					    ? "gzip" : "zstd",
					    (unsigned long long)d->used);
				d->done = true;
				break;
			}
			continue;
		}
		if (decompress_step(d, &produced, err) < 0)
			return -1;
	}
	d->made += produced;
	*data = d->out;
	return (ssize_t)produced;
}

static ssize_t decompress_read(struct blob_stream *s, const void **data,
			       struct error *err)
{
	struct decompress *d = (struct decompress *)s;

	if (d->kind == DECOMPRESS_UNKNOWN && decompress_start(d, err) < 0)
		return -1;
	if (d->kind != DECOMPRESS_PLAIN)
		return decompress_decode(d, data, err);
	if (d->sniff_len || d->rest_len) {
		if (decompress_fill(d, err) < 0)
			return -1;
		*data = d->next;
		return (ssize_t)d->avail;
	}
	return blob_stream_read(d->in, data, err);
}

static void decompress_want(struct blob_stream *s, uint64_t more)
{
	struct decompress *d = (struct decompress *)s;

	if (d->kind == DECOMPRESS_PLAIN) {
		blob_stream_want(d->in, more);
		return;
	}
	d->want_end = more ? d->made + more : 0;
	decompress_hint(d);
}

static void decompress_close(struct blob_stream *s)
{
	struct decompress *d = (struct decompress *)s;

	if (d->z_ready)
		inflateEnd(&d->z);
	ZSTD_freeDStream(d->zs);
	blob_stream_close(d->in);
	free(d);
}

static const struct blob_stream_ops decompress_ops = {
	.read = decompress_read,
	.want = decompress_want,
	.close = decompress_close,
};

struct blob_stream *decompress_open(struct blob_stream *in)
{
	struct decompress *d = xcalloc(1, sizeof(*d));

	d->base.ops = &decompress_ops;
	d->in = in;
	return &d->base;
}

int decompress_drain(struct blob_stream *s, struct error *err)
{
	struct decompress *d = (struct decompress *)s;
	const void *p;
	ssize_t n;

	blob_stream_want(d->in, 0);
	do
		n = blob_stream_read(d->in, &p, err);
	while (n > 0);
	return n < 0 ? -1 : 0;
}
