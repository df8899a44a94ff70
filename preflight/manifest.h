/* Every JSON document the tool reads, turned into plain structs: image
 * documents (index, manifest, config: OCI image-spec, Docker v2), registry
 * answers, credential files, kubeadm's image list and local layouts. No
 * other module reads JSON (report.c writes the JSON report). */
#ifndef PREFLIGHT_MANIFEST_H
#define PREFLIGHT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../platform/platform.h"

struct error;

/* Largest manifest or index accepted (the distribution spec lets
   registries refuse manifests over 4 MiB). */
#define MANIFEST_BYTES_MAX (4u * 1024 * 1024)
/* Largest image config blob accepted. */
#define CONFIG_BYTES_MAX (8u * 1024 * 1024)
/* Most entries an index may list. */
#define INDEX_ENTRIES_MAX 1024
/* Most layers a manifest may list (overlayfs stacks far fewer). */
#define MANIFEST_LAYERS_MAX 512
/* Most Entrypoint/Cmd/Env items and bytes of one string kept. */
#define CONFIG_ARGV_MAX 256
#define CONFIG_ENV_MAX 1024
#define CONFIG_STRING_MAX 65536

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_SCHEMA1 \
	"application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_SCHEMA1_SIGNED \
	"application/vnd.docker.distribution.manifest.v1+prettyjws"

enum document_kind {
	DOC_UNKNOWN = 0,
	DOC_INDEX,       /* OCI index or Docker manifest list */
	DOC_MANIFEST,    /* OCI or Docker v2 image manifest */
	DOC_SCHEMA1,     /* Docker schema 1, signed or not */
};

struct descriptor {
	char *media_type;     /* may be NULL in an index entry */
	char *digest;
	int64_t size;
	bool has_platform;
	struct platform platform;      /* normalised */
	struct platform raw_platform;  /* as written, for reports */
	bool attestation;     /* vnd.docker.reference.type or unknown/unknown */
};

struct document {
	enum document_kind kind;
	char *media_type;          /* from the body, else inferred */
	bool media_type_in_body;   /* the body carried "mediaType" */
	int schema_version;
	/* DOC_INDEX */
	struct descriptor *entries;
	size_t entry_count;
	/* DOC_MANIFEST */
	struct descriptor config;
	struct descriptor *layers;
	size_t layer_count;
	/* DOC_SCHEMA1: the top-level architecture */
	char *schema1_arch;
};

/*
 * Parse a manifest or index. content_type is the Content-Type header (may
 * be NULL). The kind comes from the body's mediaType when present, else
 * from its structure ("manifests" vs "config"/"layers", schemaVersion 1);
 * content_type is only a hint. JSON errors keep the line and column.
 */
int document_parse(const char *data, size_t len, const char *content_type,
		   struct document *out, struct error *err);
void document_release(struct document *doc);

/* Whether a media type names a manifest or index we can read. */
bool media_type_is_index(const char *mt);
bool media_type_is_manifest(const char *mt);
bool media_type_is_schema1(const char *mt);

struct image_config {
	char *os;
	char *architecture;
	char *variant;
	char **entrypoint;       /* NULL-terminated; NULL when absent */
	size_t entrypoint_count;
	char **cmd;
	size_t cmd_count;
	char **env;              /* "KEY=value" */
	size_t env_count;
	char *working_dir;       /* NULL or "" when absent */
	char *user;
	size_t diff_id_count;    /* entries of rootfs.diff_ids */
};

int config_parse(const char *data, size_t len, struct image_config *out,
		 struct error *err);
void config_release(struct image_config *cfg);

/* The value of KEY in the config's Env, or NULL. */
const char *config_getenv(const struct image_config *cfg, const char *key);

/*
 * The documents below are parsed as their readers expect. A parse that
 * fails leaves out empty, with nothing to release. Strings are copies,
 * NUL-terminated (JSON's \u0000 is refused).
 */

/* The first error of a registry error body (distribution-spec "Error
   Codes"), unescaped. Best effort: whatever is missing stays NULL. */
struct document_registry_error {
	char *code;      /* "MANIFEST_UNKNOWN", or NULL */
	char *message;
};

void document_registry_error_parse(const char *data, size_t len,
				   struct document_registry_error *out);
void document_registry_error_release(struct document_registry_error *e);

/* A token server's answer (distribution token authentication): "token"
   and its OAuth2 alias "access_token", each NULL unless a string. Both
   are secrets, wiped on release. Best effort, as above. */
struct document_token {
	char *token;
	char *access_token;
};

void document_token_parse(const char *data, size_t len,
			  struct document_token *out);
void document_token_release(struct document_token *t);

/* `kubeadm config images list -o json`: {"kind": "Images", "images":
   [...]}, at most KUBEADM_IMAGES_MAX entries. */
struct document_image_list {
	char **images;   /* NULL where an entry is not a string */
	size_t count;
};

/* Errors read "line L column C: reason" and the like; the caller puts
   the command in front. Duplicate keys are refused. */
int document_image_list_parse(const char *data, size_t len,
			      struct document_image_list *out,
			      struct error *err);
void document_image_list_release(struct document_image_list *l);

/* How a credential file wrote a member. Its type is checked only when
   the member is used, as Docker does (a registry found in credHelpers
   never looks at "auths"). */
enum document_member {
	DOCUMENT_ABSENT = 0,
	DOCUMENT_PRESENT,      /* with the expected type */
	DOCUMENT_WRONG_TYPE,   /* any other, null included */
};

/* One entry of "auths" (containers-auth.json(5), Docker's config.json)
   or of a legacy .dockercfg. */
struct document_auth_entry {
	char *key;              /* as written: host[/namespace] or a URL */
	bool object;            /* the value is an object */
	bool usable;            /* ... with at least one member */
	bool strings;           /* the four below are strings or null */
	/* Secrets, NULL when absent or null, possibly "": */
	char *auth;             /* base64 of "user:password" */
	char *username;
	char *password;
	char *identity_token;   /* "identitytoken" */
};

/* One entry of "credHelpers": registry key and helper name. */
struct document_auth_helper {
	char *key;
	char *name;             /* NULL unless a string */
};

struct document_auth {
	enum document_member auths;         /* a legacy file is its auths */
	struct document_auth_entry *entries;
	size_t entry_count;                 /* in the file's order */
	enum document_member cred_helpers;
	struct document_auth_helper *helpers;
	size_t helper_count;
	enum document_member creds_store;
	char *creds_store_name;             /* when DOCUMENT_PRESENT */
};

/*
 * A credential file: Docker's config.json or containers' auth.json, or
 * with legacy the .dockercfg map of hosts. The entry count is bounded by
 * the caller's file size cap (AUTH_FILE_MAX). Errors ("malformed JSON at
 * line L column C: reason", "not a JSON object") never quote the text,
 * which may hold a secret; the caller names the file in front.
 */
int document_auth_parse(const char *data, size_t len, bool legacy,
			struct document_auth *out, struct error *err);
/* Wipes every string before freeing it. */
void document_auth_release(struct document_auth *a);

/* A docker-credential helper's answer: {"ServerURL", "Username",
   "Secret"}. Both strings are required; both are wiped on release. */
struct document_helper_answer {
	char *username;
	char *secret;
};

/* Errors never quote the answer; the caller names the helper in front. */
int document_helper_answer_parse(const char *data, size_t len,
				 struct document_helper_answer *out,
				 struct error *err);
void document_helper_answer_release(struct document_helper_answer *a);

/*
 * Local layouts. what names the file in messages, e.g. "'index.json' in
 * 'oci:/srv/img'": "<what> is not valid JSON: line L, column C: reason".
 */

/* image-spec image-layout.md "oci-layout": *version is a copy of
   imageLayoutVersion, or NULL when absent or not a string. */
int document_oci_layout_parse(const char *data, size_t len, const char *what,
			      char **version, struct error *err);

/* One entry of an OCI layout's index.json. Only types are read here;
   the caller checks digests and sizes. */
struct document_layout_entry {
	char *media_type;     /* NULL unless a string, as all below */
	char *digest;
	int64_t size;         /* -1 unless a non-negative integer */
	char *ref_name;       /* annotation org.opencontainers.image.ref.name */
	char *image_name;     /* annotation io.containerd.image.name */
};

struct document_layout_index {
	struct document_layout_entry *entries;
	size_t count;          /* at most INDEX_ENTRIES_MAX */
};

int document_layout_index_parse(const char *data, size_t len,
				const char *what,
				struct document_layout_index *out,
				struct error *err);
void document_layout_index_release(struct document_layout_index *idx);

/* One image of a `docker save` manifest.json (moby image/tarexport). */
struct document_docker_image {
	char *config;         /* "Config": the config's member name */
	/* "Layers": member names, NULL where not a string; the list itself
	   is NULL when longer than MANIFEST_LAYERS_MAX (the caller, which
	   builds a manifest of them, reports that). */
	char **layers;
	size_t layer_count;   /* as listed */
	char **tags;          /* "RepoTags", at most OFFLINE_TAGS_MAX */
	size_t tag_count;
};

struct document_docker_archive {
	struct document_docker_image *images;
	size_t count;         /* at most OFFLINE_IMAGES_MAX */
};

int document_docker_archive_parse(const char *data, size_t len,
				  const char *what,
				  struct document_docker_archive *out,
				  struct error *err);
void document_docker_archive_release(struct document_docker_archive *a);

/*
 * The compact text of a Docker image manifest v2 schema 2 with this
 * config and these layers (mediaType, size and digest of each, in that
 * order). The caller frees it; its digest names the image.
 */
char *document_docker_manifest(const struct descriptor *config,
			       const struct descriptor *layers, size_t n);

#endif
