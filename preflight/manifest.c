/* Image documents: registry JSON turned into our index, manifest and config. */
#include "manifest.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "escape.h"

/* Longest field path in a message, e.g. "manifests[1023].platform.os". */
#define FIELD_PATH_MAX 128
/* Most bytes of an image-supplied string quoted in a message. */
#define MANIFEST_QUOTE_MAX 100
/* Longest digest text accepted; "sha512:" and 128 hex digits is 135. */
#define DIGEST_TEXT_MAX 255

/* Format a field path for messages into out (FIELD_PATH_MAX bytes). */
__attribute__((format(printf, 2, 3))) static void
manifest_pathf(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, FIELD_PATH_MAX, fmt, ap);
	va_end(ap);
}

/* "parent.key", or "key" at the top level. */
static void manifest_path(char *out, const char *parent, const char *key)
{
	if (parent[0])
		manifest_pathf(out, "%s.%s", parent, key);
	else
		manifest_pathf(out, "%s", key);
}

/* A member of obj; an explicit null counts as absent, as in Go decoders. */
static json_t *manifest_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* Strings may hold \u0000 in JSON; we refuse it rather than cut at it. */
static int manifest_check_string(json_t *v, const char *path,
				 struct error *err)
{
	if (!json_is_string(v))
		return error_set(err, ERROR_FORMAT, "'%s' must be a string",
				 path);
	if (memchr(json_string_value(v), '\0', json_string_length(v)))
		return error_set(err, ERROR_FORMAT,
				 "'%s' contains a NUL byte", path);
	return 0;
}

/* Fill *out with a copy of the string member key (NULL when absent). */
static int manifest_string(json_t *obj, const char *parent, const char *key,
			   bool required, char **out, struct error *err)
{
	char path[FIELD_PATH_MAX];
	json_t *v = manifest_member(obj, key);

	manifest_path(path, parent, key);
	if (!v) {
		if (required)
			return error_set(err, ERROR_FORMAT, "'%s' is missing",
					 path);
		return 0;
	}
	if (manifest_check_string(v, path, err) < 0)
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* Parse text as a JSON object; errors keep jansson's line and column. */
static int manifest_load(const char *data, size_t len, json_t **root,
			 struct error *err)
{
	json_error_t jerr;
	size_t n;
	char *text;

	/* Duplicate keys are allowed and the last one wins, as in the Go
	   decoders of containerd and CRI-O; NUL is checked per field. */
	*root = json_loadb(data, len, JSON_ALLOW_NUL, &jerr);
	if (!*root) {
		n = strnlen(jerr.text, JSON_ERROR_TEXT_LENGTH - 1);
		text = escape_text(jerr.text, n, JSON_ERROR_TEXT_LENGTH);
		error_set(err, ERROR_FORMAT,
			  "malformed JSON at line %d column %d: %s", jerr.line,
			  jerr.column, text);
		free(text);
		return -1;
	}
	if (!json_is_object(*root))
		return error_set(err, ERROR_FORMAT,
				 "document is not a JSON object");
	return 0;
}

/* Whether mt, without parameters and surrounding blanks, is name. */
static bool manifest_media_type_equal(const char *mt, const char *name)
{
	const char *end;

	if (!mt)
		return false;
	mt += strspn(mt, " \t");
	end = mt + strcspn(mt, ";");
	while (end > mt && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - mt) == strlen(name) &&
	       strncasecmp(mt, name, (size_t)(end - mt)) == 0;
}

/* The media type constant mt names and its kind, or NULL. */
static const char *manifest_media_type_find(const char *mt,
					    enum document_kind *kind)
{
	static const struct {
		const char *name;
		enum document_kind kind;
	} known[] = {
		{ MT_OCI_INDEX, DOC_INDEX },
		{ MT_DOCKER_LIST, DOC_INDEX },
		{ MT_OCI_MANIFEST, DOC_MANIFEST },
		{ MT_DOCKER_MANIFEST, DOC_MANIFEST },
		{ MT_DOCKER_SCHEMA1, DOC_SCHEMA1 },
		{ MT_DOCKER_SCHEMA1_SIGNED, DOC_SCHEMA1 },
	};
	size_t i;

	*kind = DOC_UNKNOWN;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (manifest_media_type_equal(mt, known[i].name)) {
			*kind = known[i].kind;
			return known[i].name;
		}
	}
	return NULL;
}

static enum document_kind manifest_media_type_kind(const char *mt)
{
	enum document_kind kind;

	manifest_media_type_find(mt, &kind);
	return kind;
}

bool media_type_is_index(const char *mt)
{
	return manifest_media_type_kind(mt) == DOC_INDEX;
}

bool media_type_is_manifest(const char *mt)
{
	return manifest_media_type_kind(mt) == DOC_MANIFEST;
}

bool media_type_is_schema1(const char *mt)
{
	return manifest_media_type_kind(mt) == DOC_SCHEMA1;
}

/* OCI image-spec descriptor.md, the digest grammar. */
#define DIGEST_ALGORITHM_CHARS "abcdefghijklmnopqrstuvwxyz0123456789"
#define DIGEST_SEPARATORS "+._-"
#define DIGEST_ENCODED_CHARS \
	DIGEST_ALGORITHM_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ=_-"

/* algorithm-component (algorithm-separator algorithm-component)* */
static bool manifest_algorithm_ok(const char *alg, size_t n)
{
	bool after_separator = true;
	size_t i;

	for (i = 0; i < n; i++) {
		bool sep = strchr(DIGEST_SEPARATORS, alg[i]) != NULL;

		if (sep ? after_separator
			: !strchr(DIGEST_ALGORITHM_CHARS, alg[i]))
			return false;
		after_separator = sep;
	}
	return !after_separator;
}

static bool manifest_hex_ok(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* Why d is not a digest, or NULL. The registered algorithms sha256 and
   sha512 need 64 and 128 lowercase hex digits. */
static const char *manifest_digest_problem(const char *d)
{
	const char *colon = strchr(d, ':');
	const char *enc;

	if (!colon || colon == d)
		return "expected 'algorithm:encoded'";
	if (!manifest_algorithm_ok(d, (size_t)(colon - d)))
		return "bad algorithm";
	enc = colon + 1;
	if (!enc[0] || strspn(enc, DIGEST_ENCODED_CHARS) != strlen(enc))
		return "bad encoded part";
	if (!strncmp(d, "sha256:", 7) && !manifest_hex_ok(enc, 64))
		return "sha256 needs 64 lowercase hex digits";
	if (!strncmp(d, "sha512:", 7) && !manifest_hex_ok(enc, 128))
		return "sha512 needs 128 lowercase hex digits";
	return NULL;
}

static int manifest_digest(json_t *obj, const char *parent, char **out,
			   struct error *err)
{
	char path[FIELD_PATH_MAX];
	const char *problem;
	char *q;

	if (manifest_string(obj, parent, "digest", true, out, err) < 0)
		return -1;
	manifest_path(path, parent, "digest");
	if (strlen(*out) > DIGEST_TEXT_MAX)
		return error_set(err, ERROR_LIMIT,
				 "digest in '%s' is longer than "
				 "DIGEST_TEXT_MAX (%d bytes)", path,
				 DIGEST_TEXT_MAX);
	problem = manifest_digest_problem(*out);
	if (!problem)
		return 0;
	q = escape_text(*out, strlen(*out), MANIFEST_QUOTE_MAX);
	error_set(err, ERROR_FORMAT, "invalid digest '%s' in '%s': %s", q,
		  path, problem);
	free(q);
	return -1;
}

static int manifest_size(json_t *obj, const char *parent, int64_t *out,
			 struct error *err)
{
	char path[FIELD_PATH_MAX];
	json_t *v = manifest_member(obj, "size");

	manifest_path(path, parent, "size");
	if (!v)
		return error_set(err, ERROR_FORMAT, "'%s' is missing", path);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return error_set(err, ERROR_FORMAT,
				 "'%s' must be a non-negative integer", path);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* OCI descriptor.md: mediaType, digest and size (the first optional here
   only where the caller says so). Other members are ignored. */
static int manifest_descriptor(json_t *obj, const char *path,
			       bool need_media_type, struct descriptor *d,
			       struct error *err)
{
	if (!json_is_object(obj))
		return error_set(err, ERROR_FORMAT, "'%s' must be an object",
				 path);
	if (manifest_string(obj, path, "mediaType", need_media_type,
			    &d->media_type, err) < 0)
		return -1;
	if (manifest_digest(obj, path, &d->digest, err) < 0)
		return -1;
	return manifest_size(obj, path, &d->size, err);
}

/* image-spec index.md: platform has architecture, os and variant. */
static int manifest_platform(json_t *entry, const char *parent,
			     struct descriptor *d, struct error *err)
{
	char path[FIELD_PATH_MAX];
	json_t *p = manifest_member(entry, "platform");
	char *os = NULL, *arch = NULL, *variant = NULL;
	int rc = -1;

	if (!p)
		return 0;
	manifest_path(path, parent, "platform");
	if (!json_is_object(p))
		return error_set(err, ERROR_FORMAT, "'%s' must be an object",
				 path);
	if (manifest_string(p, path, "os", false, &os, err) < 0 ||
	    manifest_string(p, path, "architecture", false, &arch, err) < 0 ||
	    manifest_string(p, path, "variant", false, &variant, err) < 0)
		goto out;
	d->has_platform = true;
	platform_set(&d->raw_platform, os, arch, variant);
	d->platform = d->raw_platform;
	platform_normalize(&d->platform);
	rc = 0;
out:
	free(os);
	free(arch);
	free(variant);
	return rc;
}

/*
 * BuildKit marks attestation manifests with the annotation
 * vnd.docker.reference.type = attestation-manifest and the platform
 * unknown/unknown; either one is enough.
 */
static int manifest_attestation(json_t *entry, const char *parent,
				struct descriptor *d, struct error *err)
{
	char path[FIELD_PATH_MAX];
	json_t *ann = manifest_member(entry, "annotations");
	char *type = NULL;

	if (d->has_platform && platform_is_unknown(&d->platform))
		d->attestation = true;
	if (!ann)
		return 0;
	manifest_path(path, parent, "annotations");
	if (!json_is_object(ann))
		return error_set(err, ERROR_FORMAT, "'%s' must be an object",
				 path);
	if (manifest_string(ann, path, "vnd.docker.reference.type", false,
			    &type, err) < 0)
		return -1;
	if (type && !strcmp(type, "attestation-manifest"))
		d->attestation = true;
	free(type);
	return 0;
}

static int manifest_index_entry(json_t *entry, const char *path,
				struct descriptor *d, struct error *err)
{
	if (manifest_descriptor(entry, path, false, d, err) < 0 ||
	    manifest_platform(entry, path, d, err) < 0)
		return -1;
	return manifest_attestation(entry, path, d, err);
}

/* The type of an index without mediaType: the Content-Type when that
   names an index, else the OCI index type. */
static const char *manifest_index_type(const char *content_type)
{
	enum document_kind kind;
	const char *hint = manifest_media_type_find(content_type, &kind);

	return kind == DOC_INDEX ? hint : MT_OCI_INDEX;
}

/* image-spec index.md: "manifests" is a required array of descriptors. */
static int manifest_read_index(json_t *root, const char *content_type,
			       struct document *doc, struct error *err)
{
	char path[FIELD_PATH_MAX];
	json_t *list = manifest_member(root, "manifests");
	size_t i, n;

	if (!list)
		return error_set(err, ERROR_FORMAT, "'manifests' is missing");
	if (!json_is_array(list))
		return error_set(err, ERROR_FORMAT,
				 "'manifests' must be an array");
	n = json_array_size(list);
	if (n > INDEX_ENTRIES_MAX)
		return error_set(err, ERROR_LIMIT,
				 "index lists %zu entries, more than "
				 "INDEX_ENTRIES_MAX (%d)", n,
				 INDEX_ENTRIES_MAX);
	doc->entries = xcalloc(n, sizeof(*doc->entries));
	doc->entry_count = n;
	for (i = 0; i < n; i++) {
		manifest_pathf(path, "manifests[%zu]", i);
		if (manifest_index_entry(json_array_get(list, i), path,
					 &doc->entries[i], err) < 0)
			return -1;
	}
	if (!doc->media_type)
		doc->media_type = xstrdup(manifest_index_type(content_type));
	return 0;
}

/* image-spec manifest.md: "layers" is an array of descriptors. */
static int manifest_read_layers(json_t *root, struct document *doc,
				struct error *err)
{
	char path[FIELD_PATH_MAX];
	json_t *list = manifest_member(root, "layers");
	size_t i, n;

	if (!list)
		return 0;
	if (!json_is_array(list))
		return error_set(err, ERROR_FORMAT,
				 "'layers' must be an array");
	n = json_array_size(list);
	if (n > MANIFEST_LAYERS_MAX)
		return error_set(err, ERROR_LIMIT,
				 "manifest lists %zu layers, more than "
				 "MANIFEST_LAYERS_MAX (%d)", n,
				 MANIFEST_LAYERS_MAX);
	doc->layers = xcalloc(n, sizeof(*doc->layers));
	doc->layer_count = n;
	for (i = 0; i < n; i++) {
		manifest_pathf(path, "layers[%zu]", i);
		if (manifest_descriptor(json_array_get(list, i), path, false,
					&doc->layers[i], err) < 0)
			return -1;
	}
	return 0;
}

/* image-spec manifest.md: "config" is a required descriptor. Without a
   mediaType in the body, the config's type tells Docker from OCI. */
static int manifest_read_manifest(json_t *root, struct document *doc,
				  struct error *err)
{
	json_t *config = manifest_member(root, "config");
	bool docker;

	if (!config)
		return error_set(err, ERROR_FORMAT, "'config' is missing");
	if (manifest_descriptor(config, "config", true, &doc->config,
				err) < 0)
		return -1;
	if (manifest_read_layers(root, doc, err) < 0)
		return -1;
	docker = manifest_media_type_equal(doc->config.media_type,
					   MT_DOCKER_CONFIG);
	if (!doc->media_type)
		doc->media_type = xstrdup(docker ? MT_DOCKER_MANIFEST
						 : MT_OCI_MANIFEST);
	return 0;
}

/* Docker image manifest v2 schema 1: we keep the top-level architecture;
   a "signatures" member makes it the signed (prettyjws) variant. */
static int manifest_read_schema1(json_t *root, const char *content_type,
				 struct document *doc, struct error *err)
{
	enum document_kind kind;
	const char *hint = manifest_media_type_find(content_type, &kind);

	if (manifest_string(root, "", "architecture", false,
			    &doc->schema1_arch, err) < 0)
		return -1;
	if (doc->media_type)
		return 0;
	if (kind == DOC_SCHEMA1)
		doc->media_type = xstrdup(hint);
	else if (manifest_member(root, "signatures"))
		doc->media_type = xstrdup(MT_DOCKER_SCHEMA1_SIGNED);
	else
		doc->media_type = xstrdup(MT_DOCKER_SCHEMA1);
	return 0;
}

static const char *manifest_kind_name(enum document_kind kind)
{
	switch (kind) {
	case DOC_INDEX:
		return "an index";
	case DOC_MANIFEST:
		return "an image manifest";
	case DOC_SCHEMA1:
		return "a schema 1 manifest";
	default:
		return "an unknown document";
	}
}

/* The first member that a document of this kind cannot have, or NULL
   (containerd refuses a manifest type with "manifests" and the reverse). */
static const char *manifest_conflict(json_t *root, enum document_kind kind)
{
	static const char *const index_bad[] = { "config", "layers",
						 "fsLayers", NULL };
	static const char *const manifest_bad[] = { "manifests", "fsLayers",
						    NULL };
	static const char *const schema1_bad[] = { "manifests", "config",
						   "layers", NULL };
	const char *const *bad = schema1_bad;

	if (kind == DOC_INDEX)
		bad = index_bad;
	else if (kind == DOC_MANIFEST)
		bad = manifest_bad;
	for (; *bad; bad++) {
		if (manifest_member(root, *bad))
			return *bad;
	}
	return NULL;
}

/* The kind a body's mediaType names, checked against the structure. */
static int manifest_kind_declared(json_t *root, const struct document *doc,
				  enum document_kind *kind, struct error *err)
{
	const char *mt = doc->media_type, *bad;
	int v = doc->schema_version;
	char *q;

	*kind = manifest_media_type_kind(mt);
	bad = manifest_conflict(root, *kind);
	if (*kind != DOC_UNKNOWN && !bad &&
	    (v == 0 || (v == 1) == (*kind == DOC_SCHEMA1)))
		return 0;
	q = escape_text(mt, strlen(mt), MANIFEST_QUOTE_MAX);
	if (*kind == DOC_UNKNOWN)
		error_set(err, ERROR_FORMAT, "unsupported media type '%s'", q);
	else if (bad)
		error_set(err, ERROR_FORMAT,
			  "media type '%s' names %s but the document has "
			  "'%s'", q, manifest_kind_name(*kind), bad);
	else
		error_set(err, ERROR_FORMAT,
			  "media type '%s' names %s but the document has "
			  "schemaVersion %d", q, manifest_kind_name(*kind), v);
	free(q);
	return -1;
}

/*
 * Without a mediaType: schemaVersion 1 with fsLayers or architecture is
 * schema 1; "manifests" is an index; "config" and "layers" a manifest.
 * Only when that is ambiguous does the Content-Type decide.
 */
static int manifest_kind_guessed(json_t *root, const struct document *doc,
				 const char *content_type,
				 enum document_kind *kind, struct error *err)
{
	bool index = manifest_member(root, "manifests") != NULL;
	bool image = manifest_member(root, "config") &&
		     manifest_member(root, "layers");

	if (doc->schema_version == 1 && (manifest_member(root, "fsLayers") ||
					 manifest_member(root, "architecture")))
		*kind = DOC_SCHEMA1;
	else if (index != image)
		*kind = index ? DOC_INDEX : DOC_MANIFEST;
	else
		*kind = manifest_media_type_kind(content_type);
	if (*kind != DOC_UNKNOWN)
		return 0;
	if (index)
		return error_set(err, ERROR_FORMAT,
				 "cannot tell an index from a manifest: no "
				 "'mediaType' and both 'manifests' and "
				 "'config'");
	return error_set(err, ERROR_FORMAT,
			 "not an index or a manifest: no 'mediaType', "
			 "'manifests' or 'config' and 'layers'");
}

static int manifest_schema_version(json_t *root, int *out, struct error *err)
{
	json_t *v = manifest_member(root, "schemaVersion");

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < INT_MIN ||
	    json_integer_value(v) > INT_MAX)
		return error_set(err, ERROR_FORMAT,
				 "'schemaVersion' must be an integer");
	*out = (int)json_integer_value(v);
	return 0;
}

static int manifest_read(json_t *root, const char *content_type,
			 struct document *doc, struct error *err)
{
	enum document_kind kind;

	if (manifest_schema_version(root, &doc->schema_version, err) < 0 ||
	    manifest_string(root, "", "mediaType", false, &doc->media_type,
			    err) < 0)
		return -1;
	/* Go decoders cannot tell "mediaType": "" from no mediaType. */
	if (doc->media_type && !doc->media_type[0]) {
		free(doc->media_type);
		doc->media_type = NULL;
	}
	doc->media_type_in_body = doc->media_type != NULL;
	if (doc->media_type_in_body
		    ? manifest_kind_declared(root, doc, &kind, err) < 0
		    : manifest_kind_guessed(root, doc, content_type, &kind,
					    err) < 0)
		return -1;
	doc->kind = kind;
	if (kind == DOC_INDEX)
		return manifest_read_index(root, content_type, doc, err);
	if (kind == DOC_MANIFEST)
		return manifest_read_manifest(root, doc, err);
	return manifest_read_schema1(root, content_type, doc, err);
}

int document_parse(const char *data, size_t len, const char *content_type,
		   struct document *out, struct error *err)
{
	json_t *root = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > MANIFEST_BYTES_MAX) {
		error_set(err, ERROR_LIMIT,
			  "document of %zu bytes is larger than "
			  "MANIFEST_BYTES_MAX (%u bytes)", len,
			  MANIFEST_BYTES_MAX);
		goto out;
	}
	if (manifest_load(data, len, &root, err) < 0 ||
	    manifest_read(root, content_type, out, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		document_release(out);
	return rc;
}

static void manifest_descriptor_release(struct descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	memset(d, 0, sizeof(*d));
}

void document_release(struct document *doc)
{
	size_t i;

	for (i = 0; doc->entries && i < doc->entry_count; i++)
		manifest_descriptor_release(&doc->entries[i]);
	for (i = 0; doc->layers && i < doc->layer_count; i++)
		manifest_descriptor_release(&doc->layers[i]);
	free(doc->entries);
	free(doc->layers);
	manifest_descriptor_release(&doc->config);
	free(doc->media_type);
	free(doc->schema1_arch);
	memset(doc, 0, sizeof(*doc));
}

/* A config string: a string without NUL, at most CONFIG_STRING_MAX. */
static int config_check_string(json_t *v, const char *path,
			       struct error *err)
{
	if (manifest_check_string(v, path, err) < 0)
		return -1;
	if (json_string_length(v) > CONFIG_STRING_MAX)
		return error_set(err, ERROR_LIMIT,
				 "'%s' is longer than CONFIG_STRING_MAX (%d "
				 "bytes)", path, CONFIG_STRING_MAX);
	return 0;
}

static int config_string(json_t *obj, const char *parent, const char *key,
			 char **out, struct error *err)
{
	char path[FIELD_PATH_MAX];
	json_t *v = manifest_member(obj, key);

	if (!v)
		return 0;
	manifest_path(path, parent, key);
	if (config_check_string(v, path, err) < 0)
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/*
 * An array of strings (Entrypoint, Cmd, Env) into a NULL-terminated list.
 * Absent or null leaves *list NULL; [] gives an empty list. The runtimes
 * decode these as []string, so a bare string is an error here too.
 */
static int config_list(json_t *obj, const char *key, size_t max,
		       const char *max_name, char ***list, size_t *count,
		       struct error *err)
{
	char path[FIELD_PATH_MAX], item[FIELD_PATH_MAX];
	json_t *arr = manifest_member(obj, key);
	size_t i, n;

	if (!arr)
		return 0;
	manifest_path(path, "config", key);
	if (!json_is_array(arr))
		return error_set(err, ERROR_FORMAT,
				 "'%s' must be an array of strings", path);
	n = json_array_size(arr);
	if (n > max)
		return error_set(err, ERROR_LIMIT,
				 "'%s' has %zu items, more than %s (%zu)", path,
				 n, max_name, max);
	*list = xcalloc(n + 1, sizeof(**list));
	for (i = 0; i < n; i++) {
		manifest_pathf(item, "%s[%zu]", path, i);
		if (config_check_string(json_array_get(arr, i), item, err) < 0)
			return -1;
		(*list)[i] = xstrdup(json_string_value(json_array_get(arr, i)));
		*count = i + 1;
	}
	return 0;
}

/* image-spec config.md: os, architecture, variant at the top; the
   execution parameters in "config" (Docker's image JSON agrees). */
static int config_read(json_t *root, struct image_config *cfg,
		       struct error *err)
{
	json_t *c, *rootfs, *ids;

	/* image-spec config.md: rootfs.diff_ids, one per layer */
	rootfs = manifest_member(root, "rootfs");
	ids = rootfs && json_is_object(rootfs) ?
		manifest_member(rootfs, "diff_ids") : NULL;
	if (ids && !json_is_array(ids))
		return error_set(err, ERROR_FORMAT,
				 "'rootfs.diff_ids' must be an array");
	cfg->diff_id_count = ids ? json_array_size(ids) : 0;
	if (config_string(root, "", "os", &cfg->os, err) < 0 ||
	    config_string(root, "", "architecture", &cfg->architecture,
			  err) < 0 ||
	    config_string(root, "", "variant", &cfg->variant, err) < 0)
		return -1;
	c = manifest_member(root, "config");
	if (!c)
		return 0;
	if (!json_is_object(c))
		return error_set(err, ERROR_FORMAT,
				 "'config' must be an object");
	if (config_list(c, "Entrypoint", CONFIG_ARGV_MAX, "CONFIG_ARGV_MAX",
			&cfg->entrypoint, &cfg->entrypoint_count, err) < 0 ||
	    config_list(c, "Cmd", CONFIG_ARGV_MAX, "CONFIG_ARGV_MAX",
			&cfg->cmd, &cfg->cmd_count, err) < 0 ||
	    config_list(c, "Env", CONFIG_ENV_MAX, "CONFIG_ENV_MAX", &cfg->env,
			&cfg->env_count, err) < 0)
		return -1;
	if (config_string(c, "config", "WorkingDir", &cfg->working_dir,
			  err) < 0)
		return -1;
	return config_string(c, "config", "User", &cfg->user, err);
}

int config_parse(const char *data, size_t len, struct image_config *out,
		 struct error *err)
{
	json_t *root = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > CONFIG_BYTES_MAX) {
		error_set(err, ERROR_LIMIT,
			  "config of %zu bytes is larger than "
			  "CONFIG_BYTES_MAX (%u bytes)", len, CONFIG_BYTES_MAX);
		goto out;
	}
	if (manifest_load(data, len, &root, err) < 0 ||
	    config_read(root, out, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		config_release(out);
	return rc;
}

static void config_free_list(char **list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

void config_release(struct image_config *cfg)
{
	free(cfg->os);
	free(cfg->architecture);
	free(cfg->variant);
	config_free_list(cfg->entrypoint);
	config_free_list(cfg->cmd);
	config_free_list(cfg->env);
	free(cfg->working_dir);
	free(cfg->user);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * runc sets the process environment entry by entry, so when Env names a
 * key twice the later entry is the one the process and its PATH lookup
 * see. Entries without '=' define nothing.
 */
const char *config_getenv(const struct image_config *cfg, const char *key)
{
	const char *found = NULL;
	size_t i, n;

	if (!key || !key[0] || strchr(key, '='))
		return NULL;
	n = strlen(key);
	for (i = 0; i < cfg->env_count; i++) {
		if (!strncmp(cfg->env[i], key, n) && cfg->env[i][n] == '=')
			found = cfg->env[i] + n + 1;
	}
	return found;
}
