/* Where the node's runtime really pulls a repository from: containerd's
 * hosts.toml directories and CRI-O's registries.conf, read under a root. */
#ifndef PREFLIGHT_MIRRORS_H
#define PREFLIGHT_MIRRORS_H

#include <stdbool.h>
#include <stddef.h>

struct error;

/* [host."URL"] tables in one hosts.toml, and [[registry]] tables in all
   of registries.conf and its drop-ins together. */
#define MIRRORS_HOSTS_MAX 64
#define MIRRORS_REGISTRIES_MAX 1024
/* [[registry.mirror]] tables of one [[registry]]. */
#define MIRRORS_MIRRORS_MAX 64
/* Header values, ca files and client pairs of one host. */
#define MIRRORS_HEADERS_MAX 64
#define MIRRORS_CA_MAX 16
#define MIRRORS_CLIENT_MAX 16
/* Directories in containerd's config_path, files in registries.conf.d
   and entries in a certificate directory without hosts.toml. */
#define MIRRORS_CONFIG_DIRS_MAX 16
#define MIRRORS_DROPINS_MAX 256
#define MIRRORS_DIR_ENTRIES_MAX 4096
/* legacy registry.configs tables in containerd's config.toml. */
#define MIRRORS_AUTH_CONFIGS_MAX 256

/* containerd 2.x's default; "host:port" directories come after it. */
#define MIRRORS_CONTAINERD_CONFIG_PATH \
	"/etc/containerd/certs.d:/etc/docker/certs.d"

struct endpoint_client {
	char *cert;
	char *key;   /* NULL: the key is in the cert file */
};

/*
 * One place a pull may go, in the order the runtime tries them. Every
 * file path is a path on this machine (the root already in front).
 */
struct endpoint {
	char *url;    /* scheme and host: "https://mirror.example:5000" */
	char *path;   /* API prefix: "/v2", or the URL's path (override_path) */
	bool mirror;  /* not the registry the reference names */
	bool can_resolve;  /* may turn a tag into a digest */
	bool can_pull;     /* may serve manifests and blobs by digest */
	bool plain_http;   /* http:// allowed; with an https url, as the
			      fallback after a failed TLS handshake */
	bool skip_verify;  /* certificate chain and name not checked */
	char **ca_files;
	size_t ca_count;
	struct endpoint_client *clients;
	size_t client_count;
	char **headers;    /* "Name: value", one per value */
	size_t header_count;
	char *ns;          /* containerd's ?ns= for a mirror, or NULL */
	char *rewritten_path;  /* the repository to ask this endpoint for */
	bool digest_only;  /* CRI-O: use only for pulls by digest */
	bool tag_only;     /* CRI-O: use only for pulls by tag */
};

struct endpoint_list {
	struct endpoint *items;
	size_t count;
	bool blocked;      /* CRI-O refuses to pull: count is 0 */
	char origin[256];  /* the file that decided, or "default" */
};

enum runtime_kind {
	RUNTIME_CONTAINERD,
	RUNTIME_CRIO,
};

/*
 * The endpoints the runtime tries for registry/repository (registry as
 * in the reference, "docker.io" for Docker Hub; repository like
 * "library/busybox"). root is the node's file system ("" or "/": this
 * machine). A file that cannot be parsed is an error whose message
 * carries its line; containerd itself logs a bad hosts.toml and falls
 * back to the certificate files in that directory. out is filled on
 * success; release it with endpoint_list_release either way.
 */
int mirrors_resolve(const char *root, enum runtime_kind rt,
		    const char *registry, const char *repository,
		    struct endpoint_list *out, struct error *err);
void endpoint_list_release(struct endpoint_list *l);

/* One legacy registry.configs."HOST" table; secrets are never printed. */
struct containerd_registry {
	char *host;
	char *username;
	char *password;
	char *auth;
	char *identitytoken;
	char *ca_file;
	char *cert_file;
	char *key_file;
	bool insecure_skip_verify;
};

struct containerd_config {
	bool found;          /* config.toml exists */
	long long version;   /* 1, 2 or 3; 1 when the file says nothing */
	char *config_path;   /* as written, NULL when not set */
	char *sandbox_image; /* NULL when not set */
	struct containerd_registry *registries;
	size_t registry_count;
	bool legacy_mirrors; /* registry.mirrors is set (deprecated) */
};

/*
 * Read <root>/etc/containerd/config.toml: config_path and the sandbox
 * image from plugins."io.containerd.grpc.v1.cri" (version 2),
 * plugins.cri (version 1) or plugins."io.containerd.cri.v1.images"
 * (version 3, containerd 2.x, where the image is pinned_images.sandbox),
 * and the legacy registry.configs tables. A missing file is not an
 * error (found stays false). Release with containerd_config_release.
 */
int mirrors_containerd_config(const char *root, struct containerd_config *c,
			      struct error *err);
void containerd_config_release(struct containerd_config *c);

#endif
