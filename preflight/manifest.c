/* Every JSON document the tool reads, turned into our own structs: image
   documents, registry answers, credential files, kubeadm's image list and
   local layouts. No other file reads JSON. */
#include "manifest.h"

#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "escape.h"
#include "kubeadm.h"
#include "offline.h"

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

/* ---- Registry answers, credential files, kubeadm, local layouts ---- */

/* image-spec annotations.md, and the name containerd and Docker add. */
#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"

/*
 * Credential files and token answers pass secrets through jansson's own
 * blocks (the lexer's buffer, string values), which it frees without
 * wiping. Its allocator is set once, before main and so before any
 * thread, to wipe every block it frees; malloc stays the allocator, so
 * blocks from before (there are none) would free the same way.
 */
static void manifest_wiping_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

__attribute__((constructor)) static void manifest_setup_jansson(void)
{
	json_set_alloc_funcs(malloc, manifest_wiping_free);
}

/* Any JSON text; data may be NULL when len is 0. */
static json_t *manifest_loadb(const char *data, size_t len, size_t flags,
			      json_error_t *je)
{
	return json_loadb(data ? data : "", len, flags, je);
}

/* A copy of v when it is a string, else NULL. */
static char *manifest_dup_string(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? xstrdup(s) : NULL;
}

/* A copy of obj's string member key; NULL when obj is not an object or
   the member is absent or of another type. */
static char *manifest_dup_member(json_t *obj, const char *key)
{
	return manifest_dup_string(json_object_get(obj, key));
}

/* Free a string that may hold a secret, wiping it first. */
static void manifest_wipe(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
	}
	*s = NULL;
}

void document_registry_error_parse(const char *data, size_t len,
				   struct document_registry_error *out)
{
	json_t *root, *first;

	memset(out, 0, sizeof(*out));
	root = manifest_loadb(data, len, 0, NULL);
	first = json_array_get(json_object_get(root, "errors"), 0);
	out->code = manifest_dup_member(first, "code");
	out->message = manifest_dup_member(first, "message");
	json_decref(root);
}

void document_registry_error_release(struct document_registry_error *e)
{
	free(e->code);
	free(e->message);
	memset(e, 0, sizeof(*e));
}

void document_token_parse(const char *data, size_t len,
			  struct document_token *out)
{
	json_t *root = manifest_loadb(data, len, 0, NULL);

	memset(out, 0, sizeof(*out));
	out->token = manifest_dup_member(root, "token");
	out->access_token = manifest_dup_member(root, "access_token");
	json_decref(root);
}

void document_token_release(struct document_token *t)
{
	manifest_wipe(&t->token);
	manifest_wipe(&t->access_token);
}

int document_image_list_parse(const char *data, size_t len,
			      struct document_image_list *out,
			      struct error *err)
{
	json_error_t je;
	json_t *root, *images;
	const char *kind;
	size_t i, n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	root = manifest_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return error_set(err, ERROR_FORMAT, "line %d column %d: %s",
				 je.line, je.column, je.text);
	kind = json_string_value(json_object_get(root, "kind"));
	images = json_object_get(root, "images");
	if (!kind || strcmp(kind, "Images") || !json_is_array(images)) {
		error_set(err, ERROR_FORMAT,
			  "expected an object of kind \"Images\" with an \"images\" array");
		goto out;
	}
	n = json_array_size(images);
	if (n > KUBEADM_IMAGES_MAX) {
		error_set(err, ERROR_LIMIT,
			  "more than %d images (KUBEADM_IMAGES_MAX)",
			  KUBEADM_IMAGES_MAX);
		goto out;
	}
	out->images = xcalloc(n + 1, sizeof(*out->images));
	out->count = n;
	for (i = 0; i < n; i++)
		out->images[i] = manifest_dup_string(json_array_get(images, i));
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void document_image_list_release(struct document_image_list *l)
{
	size_t i;

	for (i = 0; l->images && i < l->count; i++)
		free(l->images[i]);
	free(l->images);
	memset(l, 0, sizeof(*l));
}

/* A credential string member into *out: NULL when absent or null, -1
   when of another type. */
static int manifest_secret_member(json_t *obj, const char *key, char **out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

static void manifest_auth_entry(const char *key, json_t *v,
				struct document_auth_entry *e)
{
	int bad = 0;

	e->key = xstrdup(key);
	e->object = json_is_object(v);
	e->usable = e->object && json_object_size(v) > 0;
	bad |= manifest_secret_member(v, "auth", &e->auth);
	bad |= manifest_secret_member(v, "username", &e->username);
	bad |= manifest_secret_member(v, "password", &e->password);
	bad |= manifest_secret_member(v, "identitytoken", &e->identity_token);
	e->strings = !bad;
}

/* Every member of an "auths" map, in the file's order (jansson keeps
   it; a repeated key keeps its first place and its last value). */
static void manifest_auth_entries(json_t *map, struct document_auth *a)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	if (!map)
		return;
	if (!json_is_object(map)) {
		a->auths = DOCUMENT_WRONG_TYPE;
		return;
	}
	a->auths = DOCUMENT_PRESENT;
	a->entries = xcalloc(json_object_size(map) + 1, sizeof(*a->entries));
	json_object_foreach(map, key, v)
		manifest_auth_entry(key, v, &a->entries[i++]);
	a->entry_count = i;
}

static void manifest_auth_helpers(json_t *map, struct document_auth *a)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	if (!map)
		return;
	if (!json_is_object(map)) {
		a->cred_helpers = DOCUMENT_WRONG_TYPE;
		return;
	}
	a->cred_helpers = DOCUMENT_PRESENT;
	a->helpers = xcalloc(json_object_size(map) + 1, sizeof(*a->helpers));
	json_object_foreach(map, key, v) {
		a->helpers[i].key = xstrdup(key);
		a->helpers[i++].name = manifest_dup_string(v);
	}
	a->helper_count = i;
}

static void manifest_auth_store(json_t *v, struct document_auth *a)
{
	if (!v)
		return;
	a->creds_store_name = manifest_dup_string(v);
	a->creds_store = a->creds_store_name ? DOCUMENT_PRESENT
					     : DOCUMENT_WRONG_TYPE;
}

/* jansson's reason, cut before " near '...'", which may quote a secret. */
static const char *manifest_reason_unquoted(json_error_t *je)
{
	char *near = strstr(je->text, " near ");

	if (near)
		*near = '\0';
	return je->text;
}

int document_auth_parse(const char *data, size_t len, bool legacy,
			struct document_auth *out, struct error *err)
{
	json_error_t je;
	json_t *doc;

	memset(out, 0, sizeof(*out));
	doc = manifest_loadb(data, len, 0, &je);
	if (!doc) {
		error_set(err, ERROR_FORMAT,
			  "malformed JSON at line %d column %d: %s", je.line,
			  je.column, manifest_reason_unquoted(&je));
		/* what follows the cut may quote a secret */
		explicit_bzero(&je, sizeof(je));
		return -1;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return error_set(err, ERROR_FORMAT, "not a JSON object");
	}
	if (legacy) {
		manifest_auth_entries(doc, out);
	} else {
		manifest_auth_entries(json_object_get(doc, "auths"), out);
		manifest_auth_helpers(json_object_get(doc, "credHelpers"),
				      out);
		manifest_auth_store(json_object_get(doc, "credsStore"), out);
	}
	json_decref(doc);
	return 0;
}

void document_auth_release(struct document_auth *a)
{
	size_t i;

	for (i = 0; a->entries && i < a->entry_count; i++) {
		struct document_auth_entry *e = &a->entries[i];

		manifest_wipe(&e->key);
		manifest_wipe(&e->auth);
		manifest_wipe(&e->username);
		manifest_wipe(&e->password);
		manifest_wipe(&e->identity_token);
	}
	for (i = 0; a->helpers && i < a->helper_count; i++) {
		manifest_wipe(&a->helpers[i].key);
		manifest_wipe(&a->helpers[i].name);
	}
	free(a->entries);
	free(a->helpers);
	manifest_wipe(&a->creds_store_name);
	memset(a, 0, sizeof(*a));
}

int document_helper_answer_parse(const char *data, size_t len,
				 struct document_helper_answer *out,
				 struct error *err)
{
	json_error_t je;
	json_t *doc;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	doc = manifest_loadb(data, len, 0, &je);
	if (!doc) {
		error_set(err, ERROR_FORMAT,
			  "malformed JSON at line %d column %d", je.line,
			  je.column);
		/* its reason may quote the secret */
		explicit_bzero(&je, sizeof(je));
		return -1;
	}
	if (!json_is_object(doc) ||
	    manifest_secret_member(doc, "Username", &out->username) ||
	    manifest_secret_member(doc, "Secret", &out->secret) ||
	    !out->username || !out->secret) {
		document_helper_answer_release(out);
		rc = error_set(err, ERROR_FORMAT,
			       "answer lacks string 'Username' and 'Secret'");
	}
	json_decref(doc);
	return rc;
}

void document_helper_answer_release(struct document_helper_answer *a)
{
	manifest_wipe(&a->username);
	manifest_wipe(&a->secret);
}

/* A local layout's file; errors keep jansson's line and column. */
static json_t *manifest_load_named(const char *data, size_t len,
				   const char *what, struct error *err)
{
	json_error_t je;
	json_t *root = manifest_loadb(data, len, 0, &je);

	if (!root)
		error_set(err, ERROR_FORMAT,
			  "%s is not valid JSON: line %d, column %d: %s", what,
			  je.line, je.column, je.text);
	return root;
}

int document_oci_layout_parse(const char *data, size_t len, const char *what,
			      char **version, struct error *err)
{
	json_t *root = manifest_load_named(data, len, what, err);

	*version = NULL;
	if (!root)
		return -1;
	*version = manifest_dup_member(root, "imageLayoutVersion");
	json_decref(root);
	return 0;
}

static void manifest_layout_entry(json_t *j, struct document_layout_entry *e)
{
	json_t *ann = json_object_get(j, "annotations");
	json_t *size = json_object_get(j, "size");

	e->media_type = manifest_dup_member(j, "mediaType");
	e->digest = manifest_dup_member(j, "digest");
	e->ref_name = manifest_dup_member(ann, ANNOTATION_REF_NAME);
	e->image_name = manifest_dup_member(ann, ANNOTATION_IMAGE_NAME);
	e->size = json_is_integer(size) && json_integer_value(size) >= 0 ?
		(int64_t)json_integer_value(size) : -1;
}

/* image-spec image-layout.md "index.json": a "manifests" array. */
int document_layout_index_parse(const char *data, size_t len,
				const char *what,
				struct document_layout_index *out,
				struct error *err)
{
	json_t *root = manifest_load_named(data, len, what, err), *list;
	size_t i, n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	list = json_object_get(root, "manifests");
	n = json_array_size(list);
	if (!json_is_array(list)) {
		error_set(err, ERROR_FORMAT, "%s has no 'manifests' array",
			  what);
		goto out;
	}
	if (n > INDEX_ENTRIES_MAX) {
		error_set(err, ERROR_LIMIT, "%s lists %zu entries, more than "
			  "%d (INDEX_ENTRIES_MAX)", what, n, INDEX_ENTRIES_MAX);
		goto out;
	}
	out->entries = xcalloc(n + 1, sizeof(*out->entries));
	out->count = n;
	for (i = 0; i < n; i++)
		manifest_layout_entry(json_array_get(list, i),
				      &out->entries[i]);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void document_layout_index_release(struct document_layout_index *idx)
{
	size_t i;

	for (i = 0; idx->entries && i < idx->count; i++) {
		free(idx->entries[i].media_type);
		free(idx->entries[i].digest);
		free(idx->entries[i].ref_name);
		free(idx->entries[i].image_name);
	}
	free(idx->entries);
	memset(idx, 0, sizeof(*idx));
}

/* A NULL-terminated copy of an array's n entries, NULL where one is not
   a string. */
static char **manifest_dup_strings(json_t *arr, size_t n)
{
	char **list = xcalloc(n + 1, sizeof(*list));
	size_t i;

	for (i = 0; i < n; i++)
		list[i] = manifest_dup_string(json_array_get(arr, i));
	return list;
}

static void manifest_free_strings(char **list, size_t n)
{
	size_t i;

	for (i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

static int manifest_docker_image(json_t *j, const char *what, size_t i,
				 struct document_docker_image *im,
				 struct error *err)
{
	json_t *tags = json_object_get(j, "RepoTags");
	json_t *layers = json_object_get(j, "Layers");
	size_t t;

	im->config = manifest_dup_member(j, "Config");
	if (!im->config || !json_is_array(layers))
		return error_set(err, ERROR_FORMAT,
				 "%s: image %zu has no Config or no Layers",
				 what, i);
	if (json_array_size(tags) > OFFLINE_TAGS_MAX)
		return error_set(err, ERROR_LIMIT,
				 "%s: image %zu has more than %d tags "
				 "(OFFLINE_TAGS_MAX)", what, i, OFFLINE_TAGS_MAX);
	im->tag_count = json_array_size(tags);
	im->tags = manifest_dup_strings(tags, im->tag_count);
	for (t = 0; t < im->tag_count; t++)
		if (!im->tags[t])
			return error_set(err, ERROR_FORMAT,
					 "%s: image %zu has a tag that is not "
					 "a string", what, i);
	im->layer_count = json_array_size(layers);
	if (im->layer_count <= MANIFEST_LAYERS_MAX)
		im->layers = manifest_dup_strings(layers, im->layer_count);
	return 0;
}

/* A `docker save` manifest.json: an array of images. */
int document_docker_archive_parse(const char *data, size_t len,
				  const char *what,
				  struct document_docker_archive *out,
				  struct error *err)
{
	json_t *root = manifest_load_named(data, len, what, err);
	size_t i, n = json_array_size(root);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	if (!json_is_array(root)) {
		error_set(err, ERROR_FORMAT, "%s is not an array", what);
		goto out;
	}
	if (n > OFFLINE_IMAGES_MAX) {
		error_set(err, ERROR_LIMIT, "%s lists %zu images, more than %d "
			  "(OFFLINE_IMAGES_MAX)", what, n, OFFLINE_IMAGES_MAX);
		goto out;
	}
	out->images = xcalloc(n + 1, sizeof(*out->images));
	out->count = n;
	for (i = 0; i < n; i++)
		if (manifest_docker_image(json_array_get(root, i), what, i,
					  &out->images[i], err) < 0)
			goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		document_docker_archive_release(out);
	return rc;
}

void document_docker_archive_release(struct document_docker_archive *a)
{
	size_t i;

	for (i = 0; a->images && i < a->count; i++) {
		struct document_docker_image *im = &a->images[i];

		free(im->config);
		manifest_free_strings(im->layers, im->layer_count);
		manifest_free_strings(im->tags, im->tag_count);
	}
	free(a->images);
	memset(a, 0, sizeof(*a));
}

/* A descriptor's members in the order Docker writes them. */
static json_t *manifest_pack_descriptor(const struct descriptor *d)
{
	return json_pack("{s:s, s:I, s:s}", "mediaType", d->media_type,
			 "size", (json_int_t)d->size, "digest", d->digest);
}

/* Docker image manifest v2 schema 2: schemaVersion, mediaType, config
   and layers, written compact. Only exhausted memory can fail here. */
char *document_docker_manifest(const struct descriptor *config,
			       const struct descriptor *layers, size_t n)
{
	json_t *list = json_array(), *m;
	char *text;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(list,
				      manifest_pack_descriptor(&layers[i]));
	m = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2,
		      "mediaType", MT_DOCKER_MANIFEST, "config",
		      manifest_pack_descriptor(config), "layers", list);
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (!text) {
		fputs("image-preflight: fatal: out of memory\n", stderr);
		abort();
	}
	return text;
}
