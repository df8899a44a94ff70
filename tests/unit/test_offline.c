/* Unit tests for offline sources: OCI layouts, OCI archives, docker save. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "preflight/blob.h"
#include "preflight/buf.h"
#include "preflight/digest.h"
#include "preflight/error.h"
#include "preflight/manifest.h"
#include "preflight/offline.h"
#include "preflight/source.h"

#define FILES_MAX 24

/* An image's files, to write as a directory or a tar file. */
struct file {
	char *name;
	char *data;
	size_t len;
	char *link;   /* a symbolic link member when set */
};

struct image {
	struct file f[FILES_MAX];
	size_t n;
	/* per image: its manifest, config and layer digests and bytes */
	char *manifest[2], *config[2], *layer[2];
	size_t manifest_len[2], layer_len[2];
	char *layer_bytes[2];
};

static char *dir_made;   /* the test's temporary directory */

static void add(struct image *im, const char *name, const void *data,
		size_t len)
{
	struct file *f = &im->f[im->n++];

	assert_true(im->n <= FILES_MAX);
	f->name = xstrdup(name);
	f->data = xmalloc(len + 1);
	memcpy(f->data, data, len);
	f->len = len;
}

static void add_text(struct image *im, const char *name, const char *text)
{
	add(im, name, text, strlen(text));
}

/* Add a blob under blobs/sha256/; the digest stays in the image. */
static char *add_blob(struct image *im, const char *data, size_t len)
{
	char *d = digest_like("sha256:", data, len), *name;

	name = xasprintf("blobs/sha256/%s", d + 7);
	add(im, name, data, len);
	free(name);
	return d;
}

static struct file *find(struct image *im, const char *name)
{
	for (size_t i = 0; i < im->n; i++)
		if (!strcmp(im->f[i].name, name))
			return &im->f[i];
	return NULL;
}

static void image_release(struct image *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->f[i].name);
		free(im->f[i].data);
		free(im->f[i].link);
	}
	for (int i = 0; i < 2; i++) {
		free(im->manifest[i]);
		free(im->config[i]);
		free(im->layer[i]);
		free(im->layer_bytes[i]);
	}
	memset(im, 0, sizeof(*im));
}

/* One image per ref (NULL: no annotation) in an OCI layout. */
static void build_oci(struct image *im, const char *const *refs, int n)
{
	char *manifest, *config, *index = xstrdup("{\"schemaVersion\":2,"
						  "\"manifests\":[");
	char *ann, *joined;

	add_text(im, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
	for (int i = 0; i < n; i++) {
		im->layer_bytes[i] = xasprintf("layer %d bytes", i);
		im->layer_len[i] = strlen(im->layer_bytes[i]);
		im->layer[i] = add_blob(im, im->layer_bytes[i],
					im->layer_len[i]);
		config = xasprintf("{\"architecture\":\"amd64\",\"os\":"
				   "\"linux\",\"n\":%d}", i);
		im->config[i] = add_blob(im, config, strlen(config));
		manifest = xasprintf(
		    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":"
		    "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
		    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image."
		    "layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
		    MT_OCI_MANIFEST, MT_OCI_CONFIG, im->config[i],
		    strlen(config), im->layer[i], im->layer_len[i]);
		im->manifest_len[i] = strlen(manifest);
		im->manifest[i] = add_blob(im, manifest, strlen(manifest));
		ann = refs[i] ? xasprintf(",\"annotations\":{\"org."
					  "opencontainers.image.ref.name\":"
					  "\"%s\"}", refs[i]) : xstrdup("");
		joined = xasprintf("%s%s{\"mediaType\":\"%s\",\"digest\":"
				   "\"%s\",\"size\":%zu%s}", index,
				   i ? "," : "", MT_OCI_MANIFEST,
				   im->manifest[i], im->manifest_len[i], ann);
		free(ann);
		free(index);
		index = joined;
		free(config);
		free(manifest);
	}
	joined = xasprintf("%s]}", index);
	add_text(im, "index.json", joined);
	free(joined);
	free(index);
}

static void write_dir(const struct image *im, const char *dir)
{
	for (size_t i = 0; i < im->n; i++) {
		char *path = xasprintf("%s/%s", dir, im->f[i].name);
		FILE *fp;

		for (char *p = path + strlen(dir) + 1; *p; p++)
			if (*p == '/') {
				*p = '\0';
				mkdir(path, 0755);
				*p = '/';
			}
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(im->f[i].data, 1, im->f[i].len, fp),
				 im->f[i].len);
		fclose(fp);
		free(path);
	}
}

/* Write the image's files as members of a tar file, with libarchive. */
static void write_tar(const struct image *im, const char *path)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < im->n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, im->f[i].name);
		archive_entry_set_perm(e, 0644);
		if (im->f[i].link) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, im->f[i].link);
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)im->f[i].len);
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (!im->f[i].link)
			archive_write_data(a, im->f[i].data, im->f[i].len);
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

/* A legacy `docker save`: one image per tag list, layers as members. */
static void build_docker(struct image *im, const char *const *tags, int n)
{
	static const char gz[] = "\x1f\x8b\x08\x00 gzip layer";
	char *json = xstrdup("["), *config, *name, *next;

	for (int i = 0; i < n; i++) {
		config = xasprintf("{\"architecture\":\"arm64\",\"n\":%d}", i);
		name = xasprintf("%d.json", i);
		add_text(im, name, config);
		im->config[i] = digest_like("sha256:", config, strlen(config));
		free(name);
		name = xasprintf("l%d/layer.tar", i);
		if (i == 0)
			add(im, name, gz, sizeof(gz) - 1);
		else
			add_text(im, name, "plain tar bytes");
		next = xasprintf("%s%s{\"Config\":\"%d.json\",\"RepoTags\":"
				 "[%s],\"Layers\":[\"%s\"]}", json,
				 i ? "," : "", i, tags[i], name);
		free(json);
		json = next;
		free(name);
		free(config);
	}
	next = xasprintf("%s]", json);
	add_text(im, "manifest.json", next);
	free(next);
	free(json);
}

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", dir_made, name);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_offline.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	dir_made = xstrdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir_made);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir_made);
	return 0;
}

static struct source *open_source(const char *text, struct error *err)
{
	struct offline_ref r;
	struct source *s;

	error_init(err);
	assert_int_equal(offline_parse(text, &r, err), 0);
	s = offline_source_new(&r, err);
	offline_ref_release(&r);
	assert_non_null(s);
	return s;
}

/* Read a whole stream; -1 with err filled when it fails. */
static int read_stream(struct blob_stream *b, struct buf *out,
		       struct error *err)
{
	const void *data;
	ssize_t n;

	while ((n = blob_stream_read(b, &data, err)) > 0)
		buf_append(out, data, (size_t)n, 1 << 20, "test", NULL);
	return n < 0 ? -1 : 0;
}

static void expect_error(const struct error *err, enum error_category cat,
			 const char *part)
{
	if (err->category != cat || !strstr(err->message, part))
		fail_msg("expected %s error with '%s', got %s: '%s'",
			 error_category_name(cat), part,
			 error_category_name(err->category), err->message);
}

/* The image fetched whole: manifest, config and layer. */
static void expect_image(struct source *s, const char *ref,
			 const struct image *im, int i)
{
	struct fetched got = { 0 };
	struct blob_stream *b;
	struct buf body;
	struct error err;

	error_init(&err);
	buf_init(&body);
	if (source_fetch_manifest(s, ref, &got, &err) < 0)
		fail_msg("fetch '%s': %s", ref ? ref : "(none)", err.message);
	assert_string_equal(got.digest, im->manifest[i]);
	/* by digest the type is the body's (as a registry's would be) */
	if (!ref || strncmp(ref, "sha256:", 7))
		assert_string_equal(got.content_type ? got.content_type :
				    "(none)", MT_OCI_MANIFEST);
	assert_string_equal(got.host, s->name);
	fetched_release(&got);
	assert_int_equal(source_fetch_blob(s, im->config[i], CONFIG_BYTES_MAX,
					   &body, &err), 0);
	buf_reset(&body);
	b = source_open_blob(s, im->layer[i], (int64_t)im->layer_len[i], &err);
	assert_non_null(b);
	assert_int_equal(read_stream(b, &body, &err), 0);
	assert_int_equal(body.len, im->layer_len[i]);
	assert_memory_equal(body.data, im->layer_bytes[i], body.len);
	blob_stream_close(b);
	buf_release(&body);
}

static char *written(const struct image *im, bool archive)
{
	char *path = tmp_path(archive ? "image.tar" : "layout");

	if (archive) {
		write_tar(im, path);
	} else {
		mkdir(path, 0755);
		write_dir(im, path);
	}
	return path;
}

static void test_oci_kinds(void **state)
{
	static const char *const one[] = { "v1" }, *const two[] = { "v1",
								      "v2" };
	static const char *const prefix[] = { "oci:", "oci-archive:" };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct image a = { 0 }, b = { 0 };
		struct error err;
		struct source *s;
		char *path, *text;

		build_oci(&a, one, 1);
		path = written(&a, k == 1);
		text = xasprintf("%s%s", prefix[k], path);
		s = open_source(text, &err);
		expect_image(s, NULL, &a, 0);
		expect_image(s, "v1", &a, 0);
		expect_image(s, a.manifest[0], &a, 0);
		source_free(s);
		free(text);
		build_oci(&b, two, 2);
		unlink(path);
		free(written(&b, k == 1));
		text = xasprintf("%s%s:v2", prefix[k], path);
		s = open_source(text, &err);
		expect_image(s, NULL, &b, 1);
		expect_image(s, "v1", &b, 0);
		source_free(s);
		free(text);
		free(path);
		image_release(&a);
		image_release(&b);
		teardown(NULL);
		setup(NULL);
	}
}

/* What to do with the source once made. */
enum action { TOP, CONFIG, LAYER, BLOB };

struct error_case {
	const char *what;
	bool archive;
	void (*spoil)(struct image *im);   /* after build_oci(one) */
	const char *suffix;                /* after the path: ":REF" */
	enum action action;
	const char *digest;                /* for BLOB */
	enum error_category category;
	const char *message;
};

static void spoil_nothing(struct image *im)
{
	(void)im;
}

static void spoil_two_refs(struct image *im)
{
	static const char *const two[] = { "v1", "v2" };

	image_release(im);
	build_oci(im, two, 2);
}

static struct file *blob_file(struct image *im, const char *digest)
{
	char *name = xasprintf("blobs/sha256/%s", digest + 7);
	struct file *f = find(im, name);

	free(name);
	assert_non_null(f);
	return f;
}

static void spoil_layer_gone(struct image *im)
{
	struct file *f = blob_file(im, im->layer[0]);

	free(f->name);
	f->name = xstrdup("blobs/sha256/elsewhere");
}

static void spoil_layer(struct image *im)
{
	blob_file(im, im->layer[0])->data[0] ^= 1;
}

static void spoil_config(struct image *im)
{
	blob_file(im, im->config[0])->data[0] ^= 1;
}

static void replace(struct image *im, const char *name, const char *text)
{
	struct file *f = find(im, name);

	free(f->data);
	f->data = xstrdup(text);
	f->len = strlen(text);
}

static void spoil_index_json(struct image *im)
{
	replace(im, "index.json", "{\n  \"manifests\": [,]\n}");
}

static void spoil_index_digest(struct image *im)
{
	replace(im, "index.json", "{\"manifests\":[{\"digest\":"
		"\"sha256:../../../../etc/passwd\",\"size\":1}]}");
}

static void spoil_index_size(struct image *im)
{
	char *text = xasprintf("{\"manifests\":[{\"mediaType\":\"%s\","
			       "\"digest\":\"%s\",\"size\":%zu}]}",
			       MT_OCI_MANIFEST, im->manifest[0],
			       im->manifest_len[0] + 1);

	replace(im, "index.json", text);
	free(text);
}

static void spoil_no_layout(struct image *im)
{
	struct file *f = find(im, "oci-layout");

	free(f->name);
	f->name = xstrdup("not-oci-layout");
}

static void spoil_member_climbs(struct image *im)
{
	add_text(im, "../../escape", "x");
}

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static const struct error_case error_cases[] = {
	{ "two refs, none named", false, spoil_two_refs, "", TOP, NULL,
	  ERROR_USAGE, "holds 2 images ('v1', 'v2'): name one as oci:" },
	{ "two refs in an archive", true, spoil_two_refs, "", TOP, NULL,
	  ERROR_USAGE, "holds 2 images ('v1', 'v2')" },
	{ "unknown ref", false, spoil_nothing, ":v9", TOP, NULL,
	  ERROR_NOTFOUND, "no image named 'v9' in 'oci:" },
	{ "missing layer file", false, spoil_layer_gone, "", LAYER, NULL,
	  ERROR_NOTFOUND, "cannot open 'blobs/sha256/" },
	{ "missing layer member", true, spoil_layer_gone, "", LAYER, NULL,
	  ERROR_NOTFOUND, "no 'blobs/sha256/" },
	{ "corrupt layer file", false, spoil_layer, "", LAYER, NULL,
	  ERROR_DIGEST, "content does not match digest: expected sha256:" },
	{ "corrupt layer member", true, spoil_layer, "", LAYER, NULL,
	  ERROR_DIGEST, "content does not match digest" },
	{ "corrupt config", false, spoil_config, "", CONFIG, NULL,
	  ERROR_DIGEST, "does not match its digest" },
	{ "digest climbing out", false, spoil_nothing, "", BLOB,
	  "sha256:../../x", ERROR_FORMAT, "invalid digest 'sha256:../../x'" },
	{ "digest climbing out, archive", true, spoil_nothing, "", BLOB,
	  "sha256:../../x", ERROR_FORMAT, "invalid digest" },
	{ "blob not there", false, spoil_nothing, "", BLOB,
	  "sha256:" ZERO64, ERROR_NOTFOUND, "cannot open 'blobs/sha256/0000" },
	{ "index.json digest climbing out", false, spoil_index_digest, "",
	  TOP, NULL, ERROR_FORMAT,
	  "entry 0 has an invalid digest 'sha256:../../../../etc/passwd'" },
	{ "bad index.json", false, spoil_index_json, "", TOP, NULL,
	  ERROR_FORMAT, "'index.json' in 'oci:" },
	{ "bad index.json position", true, spoil_index_json, "", TOP, NULL,
	  ERROR_FORMAT, "is not valid JSON: line 2, column" },
	{ "index.json size lies", false, spoil_index_size, "", TOP, NULL,
	  ERROR_DIGEST, "index.json says" },
	{ "no oci-layout", false, spoil_no_layout, "", TOP, NULL,
	  ERROR_NOTFOUND, "not an OCI image layout: cannot open 'oci-layout'" },
	{ "member climbing out", true, spoil_member_climbs, "", TOP, NULL,
	  ERROR_FORMAT,
	  "tar member '../../escape' in '" },
	{ "config over its limit", false, spoil_nothing, "", BLOB, "config",
	  ERROR_LIMIT, "more than 10 (CONFIG_BYTES_MAX)" },
};

static int run_action(struct source *s, const struct error_case *c,
		      const struct image *im, struct error *err)
{
	struct fetched got = { 0 };
	struct blob_stream *b;
	struct buf body;
	int ret = -1;

	buf_init(&body);
	if (c->action == TOP) {
		ret = source_fetch_manifest(s, NULL, &got, err);
	} else if (c->action == CONFIG) {
		ret = source_fetch_blob(s, im->config[0], CONFIG_BYTES_MAX,
					&body, err);
	} else if (c->action == BLOB && !strcmp(c->digest, "config")) {
		ret = source_fetch_blob(s, im->config[0], 10, &body, err);
	} else if (c->action == BLOB) {
		ret = source_fetch_blob(s, c->digest, 1024, &body, err);
	} else {
		b = source_open_blob(s, im->layer[0],
				     (int64_t)im->layer_len[0], err);
		ret = b ? read_stream(b, &body, err) : -1;
		blob_stream_close(b);
	}
	fetched_release(&got);
	buf_release(&body);
	return ret;
}

static void test_oci_errors(void **state)
{
	static const char *const one[] = { "v1" };

	(void)state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(*error_cases);
	     i++) {
		const struct error_case *c = &error_cases[i];
		struct image im = { 0 };
		struct error err;
		struct source *s;
		char *path, *text;

		build_oci(&im, one, 1);
		c->spoil(&im);
		path = written(&im, c->archive);
		text = xasprintf("%s%s%s", c->archive ? "oci-archive:" : "oci:",
				 path, c->suffix);
		s = open_source(text, &err);
		if (run_action(s, c, &im, &err) == 0)
			fail_msg("%s: succeeded, expected '%s'", c->what,
				 c->message);
		printf("# %s: %s\n", c->what, err.message);
		expect_error(&err, c->category, c->message);
		source_free(s);
		free(text);
		free(path);
		image_release(&im);
		teardown(NULL);
		setup(NULL);
	}
}

/* The built manifest's layer i: media type, digest and size. */
static void docker_layer(const struct fetched *got, size_t i, char **mt,
			 char **digest, int64_t *size)
{
	struct document doc;
	struct error err;

	error_init(&err);
	memset(&doc, 0, sizeof(doc));
	if (document_parse(got->body.data, got->body.len, got->content_type,
			   &doc, &err) < 0)
		fail_msg("built manifest: %s", err.message);
	assert_int_equal(doc.kind, DOC_MANIFEST);
	assert_true(i < doc.layer_count);
	*mt = xstrdup(doc.layers[i].media_type);
	*digest = xstrdup(doc.layers[i].digest);
	*size = doc.layers[i].size;
	document_release(&doc);
}

static char *docker_source_top(const char *text, struct fetched *got,
			       struct source **s)
{
	struct error err;

	*s = open_source(text, &err);
	memset(got, 0, sizeof(*got));
	if (source_fetch_manifest(*s, NULL, got, &err) < 0)
		fail_msg("'%s': %s", text, err.message);
	assert_string_equal(got->content_type, MT_DOCKER_MANIFEST);
	return got->body.data;
}

struct docker_case {
	const char *ref;     /* ":REF" or "" */
	int image;           /* which image it picks, -1: an error */
	const char *message;
};

static const struct docker_case docker_cases[] = {
	{ "", -1, "holds 2 images ('busybox:latest', 'alpine:3.19')" },
	{ ":busybox", 0, NULL },
	{ ":docker.io/library/alpine:3.19", 1, NULL },
	{ ":alpine", -1, "no image tagged 'alpine' in 'docker-archive:" },
};

static void test_docker_multi(void **state)
{
	static const char *const tags[] = { "\"busybox:latest\"",
					    "\"alpine:3.19\"" };
	struct image im = { 0 };
	char *path;

	(void)state;
	build_docker(&im, tags, 2);
	path = written(&im, true);
	for (size_t i = 0; i < sizeof(docker_cases) / sizeof(*docker_cases);
	     i++) {
		const struct docker_case *c = &docker_cases[i];
		char *text = xasprintf("docker-archive:%s%s", path, c->ref);
		struct fetched got = { 0 };
		struct error err;
		struct source *s = open_source(text, &err);
		int r = source_fetch_manifest(s, NULL, &got, &err);

		if (c->image < 0) {
			assert_int_equal(r, -1);
			expect_error(&err, c->message[0] == 'h' ? ERROR_USAGE :
				     ERROR_NOTFOUND, c->message);
		} else if (r < 0 || !strstr(got.body.data,
					    im.config[c->image])) {
			fail_msg("'%s': expected config %s, got %s", text,
				 im.config[c->image],
				 r < 0 ? err.message : got.body.data);
		}
		fetched_release(&got);
		source_free(s);
		free(text);
	}
	free(path);
	image_release(&im);
}

/* One image: gzip layer detected, members verified, links followed. */
static void test_docker_single(void **state)
{
	static const char *const tags[] = { "\"busybox:latest\"" };
	struct image im = { 0 };
	struct fetched got, again = { 0 };
	struct blob_stream *b;
	struct source *s;
	struct error err;
	struct buf body;
	char *path, *text, *mt, *digest;
	int64_t size;

	(void)state;
	build_docker(&im, tags, 1);
	/* moby writes a repeated layer as a link to the first copy */
	add_text(&im, "placeholder", "");
	im.f[im.n - 1].link = xstrdup("../l0/layer.tar");
	free(im.f[im.n - 1].name);
	im.f[im.n - 1].name = xstrdup("l9/layer.tar");
	replace(&im, "manifest.json",
		"[{\"Config\":\"0.json\",\"RepoTags\":[\"busybox:latest\"],"
		"\"Layers\":[\"l0/layer.tar\",\"./l9/layer.tar\"]}]");
	path = written(&im, true);
	text = xasprintf("docker-archive:%s", path);
	docker_source_top(text, &got, &s);
	docker_layer(&got, 0, &mt, &digest, &size);
	assert_string_equal(mt, "application/vnd.docker.image.rootfs.diff."
				"tar.gzip");
	error_init(&err);
	buf_init(&body);
	assert_int_equal(source_fetch_blob(s, im.config[0], CONFIG_BYTES_MAX,
					   &body, &err), 0);
	buf_reset(&body);
	b = source_open_blob(s, digest, size, &err);
	assert_non_null(b);
	assert_int_equal(read_stream(b, &body, &err), 0);
	assert_memory_equal(body.data, "\x1f\x8b", 2);
	blob_stream_close(b);
	assert_int_equal(source_fetch_manifest(s, got.digest, &again, &err),
			 0);
	assert_string_equal(again.body.data, got.body.data);
	free(mt);
	free(digest);
	docker_layer(&got, 1, &mt, &digest, &size);
	assert_string_equal(mt, "application/vnd.docker.image.rootfs.diff."
				"tar.gzip");
	free(mt);
	free(digest);
	fetched_release(&again);
	fetched_release(&got);
	source_free(s);
	buf_release(&body);
	free(text);
	free(path);
	image_release(&im);
}

/* Docker 25+ writes an OCI layout beside manifest.json: it wins. */
static void test_docker_oci(void **state)
{
	static const char *const one[] = { NULL };
	struct image im = { 0 };
	struct source *s;
	struct error err;
	char *path, *text, *index;

	(void)state;
	build_oci(&im, one, 1);
	index = xasprintf("{\"manifests\":[{\"mediaType\":\"%s\",\"digest\":"
			  "\"%s\",\"size\":%zu,\"annotations\":{\"io."
			  "containerd.image.name\":\"docker.io/library/"
			  "busybox:latest\",\"org.opencontainers.image.ref."
			  "name\":\"latest\"}}]}", MT_OCI_MANIFEST,
			  im.manifest[0], im.manifest_len[0]);
	replace(&im, "index.json", index);
	add_text(&im, "manifest.json", "[{\"Config\":\"x\",\"Layers\":[]}]");
	path = written(&im, true);
	text = xasprintf("docker-archive:%s:busybox", path);
	s = open_source(text, &err);
	expect_image(s, NULL, &im, 0);
	source_free(s);
	free(text);
	free(index);
	free(path);
	image_release(&im);
}

/* A docker manifest.json naming members outside the archive. */
static void test_docker_traversal(void **state)
{
	static const char *const tags[] = { "\"x:1\"" };
	struct image im = { 0 };
	struct fetched got = { 0 };
	struct source *s;
	struct error err;
	char *path, *text;

	(void)state;
	build_docker(&im, tags, 1);
	replace(&im, "manifest.json", "[{\"Config\":\"0.json\",\"Layers\":"
		"[\"l0/../../../etc/passwd\"]}]");
	path = written(&im, true);
	text = xasprintf("docker-archive:%s", path);
	s = open_source(text, &err);
	assert_int_equal(source_fetch_manifest(s, NULL, &got, &err), -1);
	expect_error(&err, ERROR_FORMAT, "Layer 'l0/../../../etc/passwd' in "
		     "'docker-archive:");
	source_free(s);
	free(text);
	free(path);
	image_release(&im);
}

struct parse_case {
	const char *text;
	int ret;
	enum offline_kind kind;
	const char *path;
	const char *ref;
	const char *message;
};

static const struct parse_case parse_cases[] = {
	{ "oci:/var/img", 0, OFFLINE_OCI_DIR, "/var/img", NULL, NULL },
	{ "oci:img:v1", 0, OFFLINE_OCI_DIR, "img", "v1", NULL },
	{ "oci-archive:/a.tar:x:y", 0, OFFLINE_OCI_ARCHIVE, "/a.tar", "x:y",
	  NULL },
	{ "docker-archive:b.tar:busybox:latest", 0, OFFLINE_DOCKER_ARCHIVE,
	  "b.tar", "busybox:latest", NULL },
	{ "busybox", 1, 0, NULL, NULL, NULL },
	{ "docker.io/library/busybox:1", 1, 0, NULL, NULL, NULL },
	{ "ocifoo:/x", 1, 0, NULL, NULL, NULL },
	{ "oci:", -1, 0, NULL, NULL, "'oci:' names no path" },
	{ "oci::v1", -1, 0, NULL, NULL, "names no path" },
	{ "docker-archive:/b.tar:", -1, 0, NULL, NULL,
	  "'docker-archive:/b.tar:' ends in ':' without a REF" },
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		struct offline_ref r = { 0 };
		struct error err;
		int got;

		error_init(&err);
		got = offline_parse(c->text, &r, &err);
		if (got != c->ret)
			fail_msg("'%s': expected %d, got %d (%s)", c->text,
				 c->ret, got, err.message);
		if (got < 0)
			expect_error(&err, ERROR_USAGE, c->message);
		if (got == 0) {
			assert_int_equal(r.kind, c->kind);
			assert_string_equal(r.path, c->path);
			if (c->ref || r.ref)
				assert_string_equal(r.ref ? r.ref : "(null)",
						    c->ref ? c->ref : "(null)");
		}
		offline_ref_release(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_oci_kinds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oci_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_docker_single, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_docker_multi, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_docker_oci, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_docker_traversal, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
