/* Images on local disk: OCI layouts, OCI archives and `docker save` files. */
#include "offline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "blob.h"
#include "buf.h"
#include "digest.h"
#include "error.h"
#include "escape.h"
#include "manifest.h"
#include "reference.h"
#include "source.h"

/* Bytes read from a file or tar member at a time. */
#define OFFLINE_CHUNK (64 * 1024)
/* Image-supplied text quoted in a message is cut after this many bytes. */
#define OFFLINE_QUOTE_MAX 200

/* moby image/tarexport: what `docker save` calls layer media types. */
#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP \
	"application/vnd.docker.image.rootfs.diff.tar.gzip"

/* A blob of a legacy docker archive: its digest and the member holding
   it. */
struct docker_blob {
	char *digest;
	char *member;
};

struct offline {
	struct source base;
	enum offline_kind kind;
	char *path;
	char *ref;
	bool probed;            /* docker archive: kind of content known */
	bool legacy;            /* docker archive without an OCI layout */
	bool layout_checked;    /* oci-layout file read */
	bool names_checked;     /* archive: every member name checked */
	struct buf docker_manifest;   /* legacy: the manifest we built */
	char *docker_digest;
	struct docker_blob *blobs;
	size_t blob_count;
	unsigned int requests;  /* files or members opened */
	uint64_t bytes;         /* bytes read */
};

/* An open file or tar member. */
struct raw {
	int fd;
	struct archive *a;
	int64_t size;
};

/* Quote image-supplied text for a message. */
static const char *quoted(char *out, size_t size, const char *s)
{
	escape_quote(out, size, s ? s : "", OFFLINE_QUOTE_MAX);
	return out;
}

/*
 * Clean a path relative to an archive's (or layout's) root into out:
 * empty and "." components go, ".." removes the one before. -1 when the
 * path is absolute or climbs out of the root.
 */
static int offline_clean_path(const char *in, char *out, size_t size)
{
	size_t o = 0, n;
	const char *p = in, *slash;

	if (*in == '/' || strlen(in) >= size)
		return -1;
	for (; *p; p = *slash ? slash + 1 : slash) {
		slash = strchrnul(p, '/');
		n = (size_t)(slash - p);
		if (n == 0 || (n == 1 && *p == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0)
				return -1;
			while (o > 0 && out[o - 1] != '/')
				o--;
			o = o > 0 ? o - 1 : 0;
			continue;
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
	}
	out[o] = '\0';
	return o ? 0 : -1;
}

/* A name from an image document used as a path: refuse traversal. */
static int offline_check_name(struct offline *o, const char *what,
			      const char *name, char *out, size_t size,
			      struct error *err)
{
	char q[256];

	if (offline_clean_path(name, out, size) < 0)
		return error_set(err, ERROR_FORMAT,
				 "%s '%s' in '%s' names a path outside the "
				 "image", what, quoted(q, sizeof(q), name),
				 o->base.name);
	return 0;
}

/* "blobs/<alg>/<hex>" for a digest, checked first so that no digest can
   name another path (image-spec image-layout.md "Blobs"). */
static int offline_blob_path(struct offline *o, const char *digest,
			     char *out, size_t size, struct error *err)
{
	char q[256];
	const char *colon;

	if (!reference_digest_valid(digest))
		return error_set(err, ERROR_FORMAT,
				 "invalid digest '%s' for a blob in '%s': "
				 "expected sha256 or sha512 and lowercase hex",
				 quoted(q, sizeof(q), digest), o->base.name);
	colon = strchr(digest, ':');
	snprintf(out, size, "blobs/%.*s/%s", (int)(colon - digest), digest,
		 colon + 1);
	return 0;
}

static int offline_open_file(struct offline *o, const char *name,
			     struct raw *out, struct error *err)
{
	char *full = xasprintf("%s/%s", o->path, name);
	struct stat st;
	int ret = -1;

	out->fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (out->fd < 0) {
		error_set(err, errno == ENOENT ? ERROR_NOTFOUND : ERROR_IO,
			  "cannot open '%s' in '%s': %s", name, o->base.name,
			  strerror(errno));
		goto out;
	}
	if (fstat(out->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_set(err, ERROR_IO, "'%s' in '%s' is not a regular file",
			  name, o->base.name);
		close(out->fd);
		out->fd = -1;
		goto out;
	}
	out->size = st.st_size;
	ret = 0;
out:
	free(full);
	return ret;
}

static int offline_tar_open(struct offline *o, struct archive **out,
			    struct error *err)
{
	struct archive *a = archive_read_new();

	if (!a)
		return error_set(err, ERROR_INTERNAL, "cannot start libarchive");
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, o->path, OFFLINE_CHUNK) !=
	    ARCHIVE_OK) {
		error_set(err, ERROR_IO, "cannot open '%s': %s", o->path,
			  archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

/*
 * The next member of a, its cleaned name into name. 1 at the end of
 * the archive. A member naming a path outside the archive is refused.
 */
static int offline_tar_next(struct offline *o, struct archive *a,
			    struct archive_entry **e, char *name, size_t size,
			    struct error *err)
{
	char q[256];
	int r = archive_read_next_header(a, e);

	if (r == ARCHIVE_EOF)
		return 1;
	if (r < ARCHIVE_WARN)
		return error_set(err, ERROR_FORMAT,
				 "cannot read the tar file '%s': %s", o->path,
				 archive_error_string(a));
	if (offline_clean_path(archive_entry_pathname(*e), name, size) < 0)
		return error_set(err, ERROR_FORMAT,
				 "tar member '%s' in '%s' names a path "
				 "outside the archive",
				 quoted(q, sizeof(q),
					archive_entry_pathname(*e)),
				 o->path);
	return 0;
}

/* Where a link member points, as a cleaned archive path into next. */
static int offline_link_target(struct offline *o, struct archive_entry *e,
			       const char *name, char *next, size_t size,
			       struct error *err)
{
	const char *hard = archive_entry_hardlink(e);
	const char *sym = archive_entry_symlink(e);
	const char *slash = strrchr(name, '/');
	char *joined;
	int ret;

	if (hard)
		joined = xstrdup(hard);
	else if (sym[0] == '/')
		joined = xstrdup("/");   /* refused below */
	else
		joined = xasprintf("%.*s/%s", slash ? (int)(slash - name) : 0,
				   name, sym);
	ret = offline_check_name(o, "link target of", joined, next, size,
				 err);
	free(joined);
	return ret;
}

/* Scan the archive for member name; 1 when it was a link (its target
   into next), 0 with the archive at its data, -1 on error. */
static int offline_tar_scan(struct offline *o, const char *name,
			    struct archive *a, struct raw *out, char *next,
			    size_t size, struct error *err)
{
	struct archive_entry *e;
	char here[OFFLINE_PATH_MAX];
	int r;

	/* offline_check_members counted the members already */
	while ((r = offline_tar_next(o, a, &e, here, sizeof(here), err)) ==
	       0) {
		if (strcmp(here, name))
			continue;
		if (archive_entry_hardlink(e) || archive_entry_symlink(e))
			return offline_link_target(o, e, name, next, size,
						   err) < 0 ? -1 : 1;
		if (archive_entry_filetype(e) != AE_IFREG)
			return error_set(err, ERROR_FORMAT,
					 "'%s' in '%s' is not a regular file",
					 name, o->base.name);
		out->size = archive_entry_size(e);
		return 0;
	}
	if (r > 0)
		error_set(err, ERROR_NOTFOUND, "no '%s' in '%s'", name,
			  o->base.name);
	return -1;
}

/* Read every member's name once, so that a member climbing out of the
   archive is refused wherever it lies. */
static int offline_check_members(struct offline *o, struct error *err)
{
	struct archive *a;
	struct archive_entry *e;
	char here[OFFLINE_PATH_MAX];
	unsigned long members = 0;
	int r;

	if (o->names_checked)
		return 0;
	if (offline_tar_open(o, &a, err) < 0)
		return -1;
	while ((r = offline_tar_next(o, a, &e, here, sizeof(here), err)) ==
	       0)
		if (++members > OFFLINE_MEMBERS_MAX) {
			r = error_set(err, ERROR_LIMIT,
				      "'%s' has more than %d members "
				      "(OFFLINE_MEMBERS_MAX)", o->path,
				      OFFLINE_MEMBERS_MAX);
			break;
		}
	archive_read_free(a);
	o->names_checked = r > 0;
	return r > 0 ? 0 : -1;
}

/* Find member name, following links, re-reading the archive each time. */
static int offline_open_member(struct offline *o, const char *name,
			       struct raw *out, struct error *err)
{
	char want[OFFLINE_PATH_MAX], next[OFFLINE_PATH_MAX];
	int hop, r;

	if (offline_check_members(o, err) < 0)
		return -1;
	snprintf(want, sizeof(want), "%s", name);
	for (hop = 0; hop <= OFFLINE_LINK_HOPS_MAX; hop++) {
		if (offline_tar_open(o, &out->a, err) < 0)
			return -1;
		r = offline_tar_scan(o, want, out->a, out, next, sizeof(next),
				     err);
		if (r == 0)
			return 0;
		archive_read_free(out->a);
		out->a = NULL;
		if (r < 0)
			return -1;
		memcpy(want, next, sizeof(want));
	}
	return error_set(err, ERROR_LIMIT,
			 "'%s' in '%s': more than %d links "
			 "(OFFLINE_LINK_HOPS_MAX)", name, o->base.name,
			 OFFLINE_LINK_HOPS_MAX);
}

static int raw_open(struct offline *o, const char *name, struct raw *out,
		    struct error *err)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	o->requests++;
	if (o->kind == OFFLINE_OCI_DIR)
		return offline_open_file(o, name, out, err);
	return offline_open_member(o, name, out, err);
}

static ssize_t raw_read(struct offline *o, struct raw *r, void *buf,
			size_t n, struct error *err)
{
	ssize_t got;

	if (r->a) {
		got = archive_read_data(r->a, buf, n);
		if (got < 0)
			return error_set(err, ERROR_FORMAT,
					 "cannot read '%s': %s", o->path,
					 archive_error_string(r->a));
	} else {
		do
			got = read(r->fd, buf, n);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return error_set(err, ERROR_IO, "cannot read '%s': %s",
					 o->path, strerror(errno));
	}
	o->bytes += (uint64_t)got;
	return got;
}

static void raw_close(struct raw *r)
{
	if (r->a)
		archive_read_free(r->a);
	if (r->fd >= 0)
		close(r->fd);
	r->a = NULL;
	r->fd = -1;
}

/* A whole file or member of at most limit bytes (named limit_name). */
static int offline_read(struct offline *o, const char *name, size_t limit,
			const char *limit_name, struct buf *out,
			struct error *err)
{
	char chunk[OFFLINE_CHUNK];
	struct raw r;
	ssize_t n;
	int ret = -1;

	if (raw_open(o, name, &r, err) < 0)
		return -1;
	if (r.size < 0 || (uint64_t)r.size > limit) {
		error_set(err, ERROR_LIMIT,
			  "'%s' in '%s' has %lld bytes, more than %zu (%s)",
			  name, o->base.name, (long long)r.size, limit,
			  limit_name);
		goto out;
	}
	while ((n = raw_read(o, &r, chunk, sizeof(chunk), err)) > 0)
		if (buf_append(out, chunk, (size_t)n, limit, limit_name,
			       err) < 0) {
			error_prefix(err, "'%s' in '%s'", name, o->base.name);
			goto out;
		}
	if (n == 0)
		ret = 0;
out:
	raw_close(&r);
	return ret;
}

/* Read the JSON file name into b, at most limit bytes, and name it for
   messages in *what ("'index.json' in 'oci:DIR'"); the caller releases
   b and frees *what. */
static int offline_read_json(struct offline *o, const char *name,
			     size_t limit, const char *limit_name,
			     struct buf *b, char **what, struct error *err)
{
	buf_init(b);
	*what = xasprintf("'%s' in '%s'", name, o->base.name);
	return offline_read(o, name, limit, limit_name, b, err);
}

/* A blob's bytes, at most limit, verified against its digest. */
static int offline_read_blob(struct offline *o, const char *member,
			     const char *digest, size_t limit,
			     struct buf *out, struct error *err)
{
	char *got;
	int ret = 0;

	if (offline_read(o, member, limit,
			 limit == MANIFEST_BYTES_MAX ? "MANIFEST_BYTES_MAX" :
			 "CONFIG_BYTES_MAX", out, err) < 0)
		return -1;
	got = digest_like(digest, out->data ? out->data : "", out->len);
	if (!got)
		return error_set(err, ERROR_DIGEST,
				 "blob '%s': unsupported digest algorithm",
				 digest);
	if (strcmp(got, digest))
		ret = error_set(err, ERROR_DIGEST,
				"'%s' in '%s' does not match its digest: "
				"expected %s, got %s", member, o->base.name,
				digest, got);
	free(got);
	return ret;
}

/* image-spec image-layout.md: the oci-layout file names the version. */
static int offline_check_layout(struct offline *o, struct error *err)
{
	char *what, *version = NULL;
	struct buf b;
	int ret;

	if (o->layout_checked)
		return 0;
	ret = offline_read_json(o, "oci-layout", OFFLINE_LAYOUT_BYTES_MAX,
				"OFFLINE_LAYOUT_BYTES_MAX", &b, &what, err);
	if (ret == 0)
		ret = document_oci_layout_parse(b.data, b.len, what, &version,
						err);
	if (ret < 0)
		error_prefix(err, "not an OCI image layout");
	else if (!version)
		ret = error_set(err, ERROR_FORMAT,
				"'oci-layout' in '%s' has no "
				"imageLayoutVersion", o->base.name);
	free(version);
	free(what);
	buf_release(&b);
	o->layout_checked = ret == 0;
	return ret;
}

static int entry_check(struct offline *o, const struct document_layout_entry *e,
		       size_t i, struct error *err)
{
	char q[256];

	if (!e->digest || !reference_digest_valid(e->digest))
		return error_set(err, ERROR_FORMAT,
				 "'index.json' in '%s': entry %zu has an "
				 "invalid digest '%s'", o->base.name, i,
				 quoted(q, sizeof(q), e->digest));
	if (e->size < 0)
		return error_set(err, ERROR_FORMAT,
				 "'index.json' in '%s': entry %zu has no "
				 "valid size", o->base.name, i);
	return 0;
}

/* The entries of index.json (image-spec image-layout.md "index.json");
   the caller releases idx, also after an error. */
static int offline_load_index(struct offline *o,
			      struct document_layout_index *idx,
			      struct error *err)
{
	char *what;
	struct buf b;
	size_t i;
	int ret;

	memset(idx, 0, sizeof(*idx));
	ret = offline_read_json(o, "index.json", OFFLINE_INDEX_BYTES_MAX,
				"OFFLINE_INDEX_BYTES_MAX", &b, &what, err);
	if (ret == 0)
		ret = document_layout_index_parse(b.data, b.len, what, idx,
						  err);
	for (i = 0; ret == 0 && i < idx->count; i++)
		ret = entry_check(o, &idx->entries[i], i, err);
	free(what);
	buf_release(&b);
	return ret;
}

/* Whether two image names are the same once normalised ("busybox" is
   "docker.io/library/busybox:latest"). */
static bool same_image_name(const char *a, const char *b)
{
	struct reference ra = { 0 }, rb = { 0 };
	struct error err;
	char *ca = NULL, *cb = NULL;
	bool same;

	if (!a || !b)
		return false;
	if (!strcmp(a, b))
		return true;
	error_init(&err);
	if (reference_parse(a, &ra, &err) == 0 &&
	    reference_parse(b, &rb, &err) == 0) {
		ca = reference_canonical(&ra);
		cb = reference_canonical(&rb);
	}
	same = ca && cb && !strcmp(ca, cb);
	free(ca);
	free(cb);
	reference_release(&ra);
	reference_release(&rb);
	return same;
}

static bool entry_matches(const struct document_layout_entry *e,
			  const char *name)
{
	return (e->ref_name && !strcmp(e->ref_name, name)) ||
	       same_image_name(e->image_name, name);
}

/* "a, b, c" of names, escaped, cut to fit a message. */
static void names_list(char *out, size_t size, const char *const *names,
		       size_t n)
{
	char q[256];
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 1 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s'%s'",
				      i ? ", " : "",
				      quoted(q, sizeof(q), names[i]));
}

/* The names of index entries, for a message. */
static void entries_names(char *out, size_t size,
			  const struct document_layout_entry *v, size_t n)
{
	const char **names = xcalloc(n + 1, sizeof(*names));

	for (size_t i = 0; i < n; i++)
		names[i] = v[i].ref_name ? v[i].ref_name :
			   v[i].image_name ? v[i].image_name : v[i].digest;
	names_list(out, size, names, n);
	free(names);
}

/* Without a name, the source must hold exactly one image. */
static int only_image(const struct offline *o, size_t n, const char *list,
		      const char *file, struct error *err)
{
	if (n == 1)
		return 0;
	if (n == 0)
		return error_set(err, ERROR_NOTFOUND,
				 "'%s' holds no image: its %s lists none",
				 o->base.name, file);
	return error_set(err, ERROR_USAGE,
			 "'%s' holds %zu images (%s): name one as %s:REF",
			 o->base.name, n, list, o->base.name);
}

static int offline_choose_entry(struct offline *o,
				const struct document_layout_entry *v,
				size_t n, const char *name, size_t *which,
				struct error *err)
{
	char list[512], q[256];

	entries_names(list, sizeof(list), v, n);
	if (name) {
		for (*which = 0; *which < n; (*which)++)
			if (entry_matches(&v[*which], name))
				return 0;
		return error_set(err, ERROR_NOTFOUND,
				 "no image named '%s' in '%s' (it holds %s)",
				 quoted(q, sizeof(q), name), o->base.name,
				 n ? list : "none");
	}
	*which = 0;
	return only_image(o, n, list, "index.json", err);
}

static void fetched_fill(struct offline *o, struct fetched *out,
			 const char *media_type)
{
	out->content_type = media_type ? xstrdup(media_type) : NULL;
	out->host = xstrdup(o->base.name);
}

/* A manifest or index by digest, size unknown (the caller checks it). */
static int offline_manifest_by_digest(struct offline *o, const char *digest,
				      const char *media_type,
				      struct fetched *out, struct error *err)
{
	char path[256];

	if (offline_blob_path(o, digest, path, sizeof(path), err) < 0 ||
	    offline_read_blob(o, path, digest, MANIFEST_BYTES_MAX, &out->body,
			      err) < 0)
		return -1;
	out->digest = xstrdup(digest);
	fetched_fill(o, out, media_type);
	return 0;
}

/* The manifest or index an index.json entry points at. */
static int offline_oci_top(struct offline *o, const char *name,
			   struct fetched *out, struct error *err)
{
	struct document_layout_index idx;
	const struct document_layout_entry *e;
	size_t i;
	int ret = -1;

	if (o->kind != OFFLINE_DOCKER_ARCHIVE &&
	    offline_check_layout(o, err) < 0)
		return -1;
	if (offline_load_index(o, &idx, err) < 0 ||
	    offline_choose_entry(o, idx.entries, idx.count, name, &i, err) < 0)
		goto out;
	e = &idx.entries[i];
	if (offline_manifest_by_digest(o, e->digest, e->media_type, out,
				       err) < 0)
		goto out;
	/* the runtimes check the descriptor's size as well */
	if ((uint64_t)e->size != out->body.len) {
		error_set(err, ERROR_DIGEST,
			  "'%s' in '%s' has %zu bytes, index.json says %lld",
			  e->digest, o->base.name, out->body.len,
			  (long long)e->size);
		goto out;
	}
	ret = 0;
out:
	document_layout_index_release(&idx);
	return ret;
}

/* All tags of all images, for a message. */
static void docker_tags_list(char *out, size_t size,
			     const struct document_docker_image *v, size_t n)
{
	const char **names = NULL;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		names = xrealloc(names, (count + v[i].tag_count + 1) *
						sizeof(*names));
		for (size_t t = 0; t < v[i].tag_count; t++)
			names[count++] = v[i].tags[t];
		if (!v[i].tag_count)
			names[count++] = "(untagged)";
	}
	names_list(out, size, names, count);
	free(names);
}

/* docker-archive: the image whose RepoTags hold name, or the only one. */
static int docker_choose(struct offline *o,
			 const struct document_docker_image *v, size_t n,
			 const char *name, size_t *which, struct error *err)
{
	char list[512], q[256];

	docker_tags_list(list, sizeof(list), v, n);
	for (*which = 0; name && *which < n; (*which)++)
		for (size_t t = 0; t < v[*which].tag_count; t++)
			if (same_image_name(v[*which].tags[t], name))
				return 0;
	if (name)
		return error_set(err, ERROR_NOTFOUND,
				 "no image tagged '%s' in '%s' (it holds %s)",
				 quoted(q, sizeof(q), name), o->base.name,
				 n ? list : "none");
	*which = 0;
	return only_image(o, n, list, "manifest.json", err);
}

/* Hash a member as stored: its digest, size and whether it is gzip. */
static int docker_hash_member(struct offline *o, const char *member,
			      char **digest, int64_t *size, bool *gzip,
			      struct error *err)
{
	unsigned char chunk[OFFLINE_CHUNK];
	struct digester *d;
	struct raw r;
	ssize_t n;
	bool first = true;

	if (raw_open(o, member, &r, err) < 0)
		return -1;
	d = digester_new("sha256:");
	*size = 0;
	*gzip = false;
	while ((n = raw_read(o, &r, chunk, sizeof(chunk), err)) > 0) {
		if (first)
			*gzip = n >= 2 && chunk[0] == 0x1f && chunk[1] == 0x8b;
		first = false;
		digester_update(d, chunk, (size_t)n);
		*size += n;
	}
	raw_close(&r);
	if (n < 0) {
		digester_free(d);
		return -1;
	}
	*digest = digester_finish(d);
	return 0;
}

/* Describe one member in the manifest being built into d, and remember
   where its digest's bytes are. */
static int docker_describe(struct offline *o, const char *what,
			   const char *name, const char *config_type,
			   struct descriptor *d, struct error *err)
{
	char member[OFFLINE_PATH_MAX], *digest;
	int64_t size;
	bool gzip;

	if (offline_check_name(o, what, name, member, sizeof(member), err) <
		    0 ||
	    docker_hash_member(o, member, &digest, &size, &gzip, err) < 0)
		return -1;
	d->media_type = xstrdup(config_type ? config_type :
				gzip ? MT_DOCKER_LAYER_GZIP :
				MT_DOCKER_LAYER_TAR);
	d->digest = xstrdup(digest);
	d->size = size;
	o->blobs = xrealloc(o->blobs,
			    (o->blob_count + 1) * sizeof(*o->blobs));
	o->blobs[o->blob_count].digest = digest;
	o->blobs[o->blob_count++].member = xstrdup(member);
	return 0;
}

/* Describe the config and then each layer, in d[0] and d[1 + i]. */
static int docker_describe_all(struct offline *o,
			       const struct document_docker_image *im,
			       struct descriptor *d, struct error *err)
{
	size_t i;

	if (docker_describe(o, "Config", im->config, MT_DOCKER_CONFIG, &d[0],
			    err) < 0)
		return -1;
	for (i = 0; i < im->layer_count; i++) {
		if (!im->layers[i])
			return error_set(err, ERROR_FORMAT, "'manifest.json' "
					 "in '%s': layer %zu is not a string",
					 o->base.name, i);
		if (docker_describe(o, "Layer", im->layers[i], NULL,
				    &d[1 + i], err) < 0)
			return -1;
	}
	return 0;
}

/* Docker image manifest v2 schema 2 for one image of manifest.json. */
static int docker_build(struct offline *o,
			const struct document_docker_image *im,
			struct error *err)
{
	struct descriptor *d;
	size_t i, n = im->layer_count;
	char *text;
	int ret = -1;

	if (n > MANIFEST_LAYERS_MAX)
		return error_set(err, ERROR_LIMIT, "'manifest.json' in '%s' "
				 "lists %zu layers, more than %d "
				 "(MANIFEST_LAYERS_MAX)", o->base.name, n,
				 MANIFEST_LAYERS_MAX);
	d = xcalloc(n + 1, sizeof(*d));
	if (docker_describe_all(o, im, d, err) < 0)
		goto out;
	text = document_docker_manifest(&d[0], d + 1, n);
	buf_append(&o->docker_manifest, text, strlen(text), MANIFEST_BYTES_MAX,
		   "MANIFEST_BYTES_MAX", NULL);
	free(text);
	o->docker_digest = digest_like("sha256:", o->docker_manifest.data,
				       o->docker_manifest.len);
	ret = 0;
out:
	for (i = 0; i <= n; i++) {
		free(d[i].media_type);
		free(d[i].digest);
	}
	free(d);
	return ret;
}

/* Read manifest.json and build the manifest of the image name picks. */
static int docker_load(struct offline *o, const char *name,
		       struct error *err)
{
	struct document_docker_archive a = { 0 };
	char *what;
	struct buf b;
	size_t i;
	int ret;

	ret = offline_read_json(o, "manifest.json",
				OFFLINE_DOCKER_MANIFEST_BYTES_MAX,
				"OFFLINE_DOCKER_MANIFEST_BYTES_MAX", &b, &what,
				err);
	if (ret == 0)
		ret = document_docker_archive_parse(b.data, b.len, what, &a,
						    err);
	if (ret == 0)
		ret = docker_choose(o, a.images, a.count, name, &i, err);
	if (ret == 0)
		ret = docker_build(o, &a.images[i], err);
	document_docker_archive_release(&a);
	free(what);
	buf_release(&b);
	return ret;
}

static void docker_forget(struct offline *o)
{
	for (size_t i = 0; i < o->blob_count; i++) {
		free(o->blobs[i].digest);
		free(o->blobs[i].member);
	}
	free(o->blobs);
	o->blobs = NULL;
	o->blob_count = 0;
	buf_release(&o->docker_manifest);
	free(o->docker_digest);
	o->docker_digest = NULL;
}

/* docker-archive: Docker 25+ also writes an OCI layout; use it when
   there is one (moby image/tarexport, "index.json"). */
static int docker_probe(struct offline *o, struct error *err)
{
	struct raw r;

	if (o->probed)
		return 0;
	if (raw_open(o, "index.json", &r, err) == 0) {
		raw_close(&r);
		o->legacy = false;
	} else if (err->category == ERROR_NOTFOUND) {
		error_init(err);
		o->legacy = true;
	} else {
		return -1;
	}
	o->probed = true;
	return 0;
}

/* The manifest built before, asked for by its digest. */
static int docker_again(struct offline *o, struct fetched *out)
{
	buf_append(&out->body, o->docker_manifest.data,
		   o->docker_manifest.len, MANIFEST_BYTES_MAX,
		   "MANIFEST_BYTES_MAX", NULL);
	out->digest = xstrdup(o->docker_digest);
	fetched_fill(o, out, MT_DOCKER_MANIFEST);
	return 0;
}

/* The legacy docker manifest of the image name picks. */
static int docker_top(struct offline *o, const char *name,
		      struct fetched *out, struct error *err)
{
	docker_forget(o);
	if (docker_load(o, name, err) < 0)
		return -1;
	return docker_again(o, out);
}

/* The member holding a digest's bytes, in a legacy docker archive. */
static const char *docker_member(struct offline *o, const char *digest,
				 struct error *err)
{
	char q[256];

	for (size_t i = 0; i < o->blob_count; i++)
		if (!strcmp(o->blobs[i].digest, digest))
			return o->blobs[i].member;
	error_set(err, ERROR_NOTFOUND,
		  "no blob '%s' in '%s': its manifest.json names no member "
		  "with that digest", quoted(q, sizeof(q), digest),
		  o->base.name);
	return NULL;
}

/* Where the bytes of digest are: a legacy docker member or a blob path. */
static int offline_locate(struct offline *o, const char *digest,
			  char *out, size_t size, struct error *err)
{
	const char *member;

	if (o->kind == OFFLINE_DOCKER_ARCHIVE && docker_probe(o, err) < 0)
		return -1;
	if (!(o->kind == OFFLINE_DOCKER_ARCHIVE && o->legacy))
		return offline_blob_path(o, digest, out, size, err);
	member = docker_member(o, digest, err);
	if (!member)
		return -1;
	snprintf(out, size, "%s", member);
	return 0;
}

static int offline_fetch_manifest(struct source *s, const char *ref,
				  struct fetched *out, struct error *err)
{
	struct offline *o = (struct offline *)s;
	const char *name = ref && *ref ? ref : o->ref;
	bool digest = name && reference_digest_valid(name);

	if (o->kind == OFFLINE_DOCKER_ARCHIVE && docker_probe(o, err) < 0)
		return -1;
	if (o->kind == OFFLINE_DOCKER_ARCHIVE && o->legacy) {
		if (digest && o->docker_digest &&
		    !strcmp(name, o->docker_digest))
			return docker_again(o, out);
		if (digest)
			return error_set(err, ERROR_NOTFOUND,
					 "no manifest '%s' in '%s': a docker "
					 "archive holds only the one built "
					 "from its manifest.json", name,
					 o->base.name);
		return docker_top(o, name, out, err);
	}
	if (digest)
		return offline_manifest_by_digest(o, name, NULL, out, err);
	return offline_oci_top(o, name, out, err);
}

static int offline_fetch_blob(struct source *s, const char *digest,
			      size_t limit, struct buf *out,
			      struct error *err)
{
	struct offline *o = (struct offline *)s;
	char path[OFFLINE_PATH_MAX];

	if (offline_locate(o, digest, path, sizeof(path), err) < 0)
		return -1;
	return offline_read_blob(o, path, digest, limit, out, err);
}

/* A layer streamed from its file or member, verified as it ends. */
struct offline_blob {
	struct blob_stream base;   /* first, so the stream casts back */
	struct offline *o;
	struct raw raw;
	struct blob_check chk;
	char *member;
	unsigned char chunk[OFFLINE_CHUNK];
};

/* Name the member in a check's message. */
static int offline_blob_error(struct offline_blob *b, struct error *err)
{
	return error_prefix(err, "'%s' in '%s'", b->member, b->o->base.name);
}

static ssize_t offline_blob_read(struct blob_stream *s, const void **data,
				 struct error *err)
{
	struct offline_blob *b = (struct offline_blob *)s;
	ssize_t n;

	if (b->chk.finished || b->chk.failed)
		return blob_check_finish(&b->chk, err) < 0 ?
			offline_blob_error(b, err) : 0;
	n = raw_read(b->o, &b->raw, b->chunk, sizeof(b->chunk), err);
	if (n < 0)
		return -1;
	if (n == 0)
		return blob_check_finish(&b->chk, err) < 0 ?
			offline_blob_error(b, err) : 0;
	/* the last byte goes out only once the blob is known good */
	if (blob_check_update(&b->chk, b->chunk, (size_t)n, err) < 0)
		return offline_blob_error(b, err);
	*data = b->chunk;
	return n;
}

static void offline_blob_close(struct blob_stream *s)
{
	struct offline_blob *b = (struct offline_blob *)s;

	raw_close(&b->raw);
	blob_check_release(&b->chk);
	free(b->member);
	free(b);
}

static const struct blob_stream_ops offline_blob_ops = {
	.read = offline_blob_read,
	.close = offline_blob_close,
};

static struct blob_stream *offline_open_blob(struct source *s,
					     const char *digest, int64_t size,
					     struct error *err)
{
	struct offline *o = (struct offline *)s;
	char path[OFFLINE_PATH_MAX];
	struct offline_blob *b;

	if (size < 0) {
		error_set(err, ERROR_FORMAT, "negative size %lld",
			  (long long)size);
		return NULL;
	}
	if (offline_locate(o, digest, path, sizeof(path), err) < 0)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	if (blob_check_init(&b->chk, digest, (uint64_t)size, err) < 0) {
		free(b);
		return NULL;
	}
	if (raw_open(o, path, &b->raw, err) < 0) {
		blob_check_release(&b->chk);
		free(b);
		return NULL;
	}
	b->base.ops = &offline_blob_ops;
	b->o = o;
	b->member = xstrdup(path);
	return &b->base;
}

static void offline_get_stats(struct source *s, struct source_stats *out)
{
	struct offline *o = (struct offline *)s;

	out->requests = o->requests;
	out->bytes_received = o->bytes;
	out->layer_bytes = 0;   /* nothing came from the network */
}

static void offline_free(struct source *s)
{
	struct offline *o = (struct offline *)s;

	docker_forget(o);
	free(o->path);
	free(o->ref);
	free(o->base.name);
	free(o);
}

static const struct source_ops offline_ops = {
	.fetch_manifest = offline_fetch_manifest,
	.fetch_blob = offline_fetch_blob,
	.open_blob = offline_open_blob,
	.get_stats = offline_get_stats,
	.free = offline_free,
};

/* The transports, named as containers/image names them. */
static const struct {
	const char *prefix;
	enum offline_kind kind;
} offline_kinds[] = {
	{ "oci:", OFFLINE_OCI_DIR },
	{ "oci-archive:", OFFLINE_OCI_ARCHIVE },
	{ "docker-archive:", OFFLINE_DOCKER_ARCHIVE },
};

static const char *offline_prefix(enum offline_kind kind)
{
	for (size_t i = 0; i < sizeof(offline_kinds) / sizeof(*offline_kinds);
	     i++)
		if (offline_kinds[i].kind == kind)
			return offline_kinds[i].prefix;
	return "?:";
}

struct source *offline_source_new(const struct offline_ref *r,
				  struct error *err)
{
	struct offline *o;

	if (!r->path || !*r->path) {
		error_set(err, ERROR_USAGE, "offline image without a path");
		return NULL;
	}
	o = xcalloc(1, sizeof(*o));
	o->base.ops = &offline_ops;
	o->kind = r->kind;
	o->path = xstrdup(r->path);
	o->ref = r->ref ? xstrdup(r->ref) : NULL;
	o->base.name = xasprintf("%s%s", offline_prefix(r->kind), r->path);
	buf_init(&o->docker_manifest);
	return &o->base;
}

static int offline_split(const char *text, const char *rest,
			 struct offline_ref *out, struct error *err)
{
	const char *colon = strchr(rest, ':');
	size_t len = colon ? (size_t)(colon - rest) : strlen(rest);
	char q[256];

	if (len == 0)
		return error_set(err, ERROR_USAGE,
				 "'%s' names no path", quoted(q, sizeof(q),
							      text));
	if (len >= OFFLINE_PATH_MAX || (colon && strlen(colon + 1) >=
					OFFLINE_PATH_MAX))
		return error_set(err, ERROR_LIMIT,
				 "'%s' is longer than %d bytes "
				 "(OFFLINE_PATH_MAX)", quoted(q, sizeof(q),
							      text),
				 OFFLINE_PATH_MAX);
	if (colon && !colon[1])
		return error_set(err, ERROR_USAGE,
				 "'%s' ends in ':' without a REF",
				 quoted(q, sizeof(q), text));
	out->path = xstrndup(rest, len);
	out->ref = colon ? xstrdup(colon + 1) : NULL;
	return 0;
}

int offline_parse(const char *text, struct offline_ref *out,
		  struct error *err)
{
	size_t i, n;

	for (i = 0; i < sizeof(offline_kinds) / sizeof(*offline_kinds); i++) {
		n = strlen(offline_kinds[i].prefix);
		if (strncmp(text, offline_kinds[i].prefix, n))
			continue;
		memset(out, 0, sizeof(*out));
		out->kind = offline_kinds[i].kind;
		return offline_split(text, text + n, out, err);
	}
	return 1;
}

void offline_ref_release(struct offline_ref *r)
{
	free(r->path);
	free(r->ref);
	r->path = NULL;
	r->ref = NULL;
}
