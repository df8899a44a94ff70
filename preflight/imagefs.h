/* The image's merged file system, read from its layers top down. */
#ifndef PREFLIGHT_IMAGEFS_H
#define PREFLIGHT_IMAGEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;
struct blob_stream;

/* Linux follows at most 40 symbolic links in one lookup (MAXSYMLINKS). */
#define IMAGEFS_SYMLINK_HOPS_MAX 40
/* Longest path inside the image (Linux PATH_MAX). */
#define IMAGEFS_PATH_MAX 4096
/* Most tar entries remembered over all layers read. */
#define IMAGEFS_ENTRIES_MAX 2000000
/* Bytes kept from the start of a file found: enough for the ELF header,
   program headers and interpreter, or a script's first line. With a
   head function (imagefs_set_head_fn), the first bytes read before it
   is asked how many more it wants. */
#define IMAGEFS_HEAD_MAX (64 * 1024)
#define IMAGEFS_HEAD_FIRST 256
/* Most uncompressed bytes read from one layer (a decompression bomb
   stops here). */
#define IMAGEFS_LAYER_UNPACKED_MAX (8ULL * 1024 * 1024 * 1024)

struct imagefs_layer {
	const char *digest;
	const char *media_type;   /* may be NULL; compression is sniffed */
	int64_t size;
};

/* Opens the compressed bytes of layer `index` (0 = bottom layer). */
struct layer_opener {
	void *ctx;
	struct blob_stream *(*open)(void *ctx, size_t index,
				    struct error *err);
};

enum imagefs_status {
	IMAGEFS_FOUND = 0,     /* a regular file */
	IMAGEFS_NOT_FOUND,     /* no layer has it */
	IMAGEFS_WHITED_OUT,    /* an upper layer deleted it */
	IMAGEFS_NOT_DIR,       /* a path component is not a directory */
	IMAGEFS_IS_DIR,        /* the path is a directory */
	IMAGEFS_LOOP,          /* more than IMAGEFS_SYMLINK_HOPS_MAX links */
	IMAGEFS_SPECIAL,       /* a device, fifo or socket */
};

struct imagefs_file {
	enum imagefs_status status;
	char *path;             /* final path inside the image */
	size_t layer;           /* layer holding it, 0 = bottom */
	size_t entry;           /* its tar entry's position in that layer */
	int64_t size;
	unsigned int mode;      /* permission bits and type, as in the tar */
	unsigned char *head;    /* first bytes, up to IMAGEFS_HEAD_MAX */
	size_t head_len;
	char **links;           /* "path -> target" for each link followed */
	size_t link_count;
	bool via_hardlink;
	char *whiteout;         /* WHITED_OUT: the whiteout entry's path */
	size_t whiteout_layer;
};

/* Room for an entry name kept in the stats, escaped with escape_quote()
   (escape.h) so that it can be printed as it is. */
#define IMAGEFS_STATS_NAME_MAX 256

struct imagefs_stats {
	size_t layers_opened;
	uint64_t compressed_bytes;    /* delivered by the blob streams */
	uint64_t unpacked_bytes;
	size_t entries;
	/* Entries whose name, or hard link target, climbs above the root
	   ("../app", "a/../../app"): they are looked up as if clamped to
	   the root, but moby and CRI-O refuse such a layer. */
	size_t escaping_entries;
	char first_escaping[IMAGEFS_STATS_NAME_MAX];   /* "" when none */
	/* Entries naming a path an earlier entry of the same layer already
	   gave (a directory repeated over a directory excepted): the first
	   one decides every lookup, where a runtime may keep the last. */
	size_t duplicate_entries;
	char first_duplicate[IMAGEFS_STATS_NAME_MAX];  /* "" when none */
	uint64_t index_bytes;         /* memory charged to the index */
};

struct imagefs;

/* The layers array and its strings must outlive the imagefs. */
struct imagefs *imagefs_new(const struct imagefs_layer *layers, size_t count,
			    struct layer_opener opener);
void imagefs_free(struct imagefs *fs);

/*
 * How many bytes of a file's start its readers need, given its first len
 * bytes (at least IMAGEFS_HEAD_FIRST, or the whole file) and its size:
 * a number above len asks for more, capped at IMAGEFS_HEAD_MAX. Without
 * one, a lookup keeps IMAGEFS_HEAD_MAX bytes. It is a saving, not a
 * limit: bytes past the head stay readable with imagefs_file_read().
 */
typedef size_t (*imagefs_head_fn)(const unsigned char *data, size_t len,
				  int64_t size);
void imagefs_set_head_fn(struct imagefs *fs, imagefs_head_fn fn);

/*
 * Look path up in the merged view, as overlayfs presents it: upper layers
 * win, "<dir>/.wh.<name>" deletes a name below, "<dir>/.wh..wh..opq" hides
 * everything below that directory, symlinks (absolute or relative) are
 * followed inside the image root ('..' stops at the root), hard links
 * resolve to their target in the same layer. Layers are read top down and
 * only as far as needed; entries seen are remembered, so later lookups are
 * cheap. Returns 0 with out->status set, or -1 when a layer cannot be read
 * (corrupt compression, a limit, the stream failing).
 */
int imagefs_lookup(struct imagefs *fs, const char *path,
		   struct imagefs_file *out, struct error *err);
void imagefs_file_release(struct imagefs_file *f);

/*
 * imagefs_lookup() without reading the file's first bytes: out->head is
 * NULL unless an earlier lookup read them. Reads layers only as far as
 * the index needs, so a caller that wants the bytes of several files
 * can look them all up first and read them with imagefs_files_read().
 */
int imagefs_lookup_stat(struct imagefs *fs, const char *path,
			struct imagefs_file *out, struct error *err);

/*
 * Hand the data of a file found by imagefs_lookup() to fn in order,
 * chunk by chunk, from its first byte; fn returns 0 to go on, 1 to stop.
 * The layer is read again up to the file's entry (the blob source keeps
 * what it already fetched), so this costs decompression, and download
 * only for the part of the layer not yet seen. Returns 0, or -1 when the
 * layer cannot be read.
 */
typedef int (*imagefs_chunk_fn)(void *ctx, uint64_t offset,
				const unsigned char *data, size_t len);
int imagefs_file_scan(struct imagefs *fs, const struct imagefs_file *file,
		      imagefs_chunk_fn fn, void *ctx, struct error *err);

/*
 * Read the data of several found files in one forward pass per layer:
 * top layer first, each layer's entries in tar order, so that no layer
 * is read from its start more than once (plus once when the stream
 * already stood past the first entry wanted). fn gets each file's bytes
 * in order from its first one, as imagefs_chunk_fn does, with index its
 * place in files; it returns 0 to go on, 1 to want no more of that
 * file. After a file's last chunk (or its refusal) fn is called once
 * more with data NULL and len 0. Files naming the same entry share one
 * read. Returns 0, or -1 when a layer cannot be read.
 */
typedef int (*imagefs_batch_fn)(void *ctx, size_t index, uint64_t offset,
				const unsigned char *data, size_t len);
int imagefs_files_read(struct imagefs *fs,
		       const struct imagefs_file *const *files, size_t count,
		       imagefs_batch_fn fn, void *ctx, struct error *err);

/*
 * Copy up to len bytes of the file from offset into buf (served from
 * file->head when they lie there); *got says how many (fewer at the end
 * of the file). Returns 0, or -1 when the layer cannot be read.
 */
int imagefs_file_read(struct imagefs *fs, const struct imagefs_file *file,
		      uint64_t offset, void *buf, size_t len, size_t *got,
		      struct error *err);

/*
 * Hand fn the name of every entry some layer holds directly in dir
 * (given as a path in the image; its own symlinks are not followed); fn
 * returns 0 to go on, 1 to stop. A name may come more than once, and a
 * name an upper layer deleted comes too: look each up to learn what the
 * merged view shows. Reads every layer to its end. Returns 0, or -1 when
 * a layer cannot be read.
 */
typedef int (*imagefs_name_fn)(void *ctx, const char *name);
int imagefs_list_dir(struct imagefs *fs, const char *dir, imagefs_name_fn fn,
		     void *ctx, struct error *err);

void imagefs_get_stats(const struct imagefs *fs, struct imagefs_stats *out);

const char *imagefs_status_name(enum imagefs_status status);

#endif
