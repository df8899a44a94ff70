/* A layer's bytes uncompressed as they are asked for: gzip and zstd. */
#ifndef PREFLIGHT_DECOMPRESS_H
#define PREFLIGHT_DECOMPRESS_H

struct blob_stream;
struct error;

/* Uncompressed bytes produced per read at most. */
#define DECOMPRESS_OUT_MAX (64 * 1024)
/* zstd windows (and so the decoder's buffer) up to 2^27 bytes, 128 MiB,
   as zstd's own command line decodes without --long: a frame asking for
   more is refused rather than allocated. */
#define DECOMPRESS_ZSTD_WINDOW_LOG_MAX 27

/*
 * A stream of the uncompressed bytes of `in`, which it owns (closes).
 * The compression is sniffed from the first bytes: gzip (RFC 1952, one
 * member or several in a row, as Go's reader in containerd takes them)
 * and zstd (RFC 8878, frames in a row, skippable frames) are
 * uncompressed here; anything else is handed on as it is.
 *
 * Unlike a decompressor that fills a large buffer, a read hands out
 * what the compressed bytes already received give before it asks `in`
 * for more, so that the network is asked only for what the reader needs.
 * blob_stream_want() on it is passed on to `in` in compressed bytes,
 * estimated from the ratio seen so far.
 *
 * Reading past the end of the compressed data is an error only when
 * more bytes follow that are neither another member nor, for zstd,
 * another frame (Go's gzip reader refuses them too). After the last
 * uncompressed byte the read returns 0; what is left of `in` can be
 * read with decompress_drain().
 */
struct blob_stream *decompress_open(struct blob_stream *in);

/* Read what is left of the compressed stream to its end (so that its
   size and digest are checked), without uncompressing it. */
int decompress_drain(struct blob_stream *s, struct error *err);

#endif
