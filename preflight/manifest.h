/* Image documents: index, manifest, config (OCI image-spec, Docker v2).
 * This is the only module that reads JSON documents from a registry. */
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
 * content_type is only a hint. JSON errors keep jansson's line and column.
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

#endif
