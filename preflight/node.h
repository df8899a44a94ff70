/* What the node's container runtime is configured with: which runtime,
   where it pulls each registry from, its credentials, its sandbox image. */
#ifndef PREFLIGHT_NODE_H
#define PREFLIGHT_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include "mirrors.h"

struct error;
struct reference;

enum node_runtime {
	NODE_RUNTIME_UNKNOWN = 0,
	NODE_RUNTIME_CONTAINERD,
	NODE_RUNTIME_CRIO,
};

/* Longest path or description kept. */
#define NODE_TEXT_MAX 512

struct node {
	char root[NODE_TEXT_MAX];       /* "" for this machine */
	enum node_runtime runtime;
	char runtime_evidence[NODE_TEXT_MAX];  /* the file that showed it */
	bool runtime_forced;            /* from --runtime */
	struct containerd_config containerd;
	char *crio_pause_image;         /* CRI-O's pause_image, or NULL */
	const char *authfile;           /* --authfile, or NULL */
	/* containerd's content store of blobs by digest, when it exists */
	char content_store[NODE_TEXT_MAX];
};

/*
 * Look at the node under root: containerd's socket or config.toml, or
 * CRI-O's socket or crio.conf, decide the runtime (unless forced is not
 * NODE_RUNTIME_UNKNOWN), and read containerd's config.toml. A file that
 * exists and cannot be parsed is an error (ERROR_USAGE: the node's
 * configuration is broken, nothing can be checked as it would pull).
 */
int node_load(struct node *n, const char *root, enum node_runtime forced,
	      const char *authfile, struct error *err);
void node_release(struct node *n);

const char *node_runtime_name(enum node_runtime r);

/* The sandbox (pause) image the runtime is configured with, or NULL. */
const char *node_sandbox_image(const struct node *n);

/*
 * Where the runtime pulls ref's repository from: mirrors in their order,
 * then the registry. out->count 0 means no configuration applies (the
 * reference's registry alone). -1 on a configuration file that cannot
 * be read.
 */
int node_endpoints(const struct node *n, const struct reference *ref,
		   struct endpoint_list *out, struct error *err);

struct node_credential {
	char *username;
	char *password;
	char source[NODE_TEXT_MAX];   /* never a secret */
};

/*
 * The credentials the node would use for ref's registry: auth files and
 * credential helpers, then containerd's legacy registry.configs auth.
 * 0 found, 1 none, -1 error (never with a secret in it).
 */
int node_credentials(const struct node *n, const struct reference *ref,
		     struct node_credential *out, struct error *err);
void node_credential_release(struct node_credential *c);

#endif
