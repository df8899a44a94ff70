/* What the node's container runtime is configured with: which runtime,
   where it pulls each registry from, its credentials, its sandbox image. */
#include "node.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "auth.h"
#include "buf.h"
#include "error.h"
#include "reference.h"
#include "toml.h"

/* Files in crio.conf.d read for the pause image. */
#define NODE_CRIO_DROPINS_MAX 256

static bool exists_under(const struct node *n, const char *path)
{
	char full[2 * NODE_TEXT_MAX];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", n->root, path);
	return stat(full, &st) == 0;
}

/* The first of paths that exists, or NULL. */
static const char *first_present(const struct node *n,
				 const char *const *paths)
{
	for (; *paths; paths++)
		if (exists_under(n, *paths))
			return *paths;
	return NULL;
}

/* A running runtime shows by its socket, an installed one by its
   configuration; a socket decides before a configuration file. */
static void detect_runtime(struct node *n)
{
	static const char *const ctr_sock[] = {
		"/run/containerd/containerd.sock", NULL };
	static const char *const crio_sock[] = {
		"/run/crio/crio.sock", "/var/run/crio/crio.sock", NULL };
	static const char *const ctr_conf[] = {
		"/etc/containerd/config.toml", NULL };
	static const char *const crio_conf[] = {
		"/etc/crio/crio.conf", "/etc/crio/crio.conf.d", NULL };
	const char *a = first_present(n, ctr_sock);
	const char *b = first_present(n, crio_sock);

	if (!a && !b) {
		a = first_present(n, ctr_conf);
		b = first_present(n, crio_conf);
	}
	if (a && !b) {
		n->runtime = NODE_RUNTIME_CONTAINERD;
		snprintf(n->runtime_evidence, NODE_TEXT_MAX, "%s", a);
	} else if (b && !a) {
		n->runtime = NODE_RUNTIME_CRIO;
		snprintf(n->runtime_evidence, NODE_TEXT_MAX, "%s", b);
	}
}

/* CRI-O's [crio.image] pause_image, the drop-ins overriding crio.conf. */
static int read_crio_pause(struct node *n, const char *file,
			   struct error *err)
{
	static const char *const keys[] = { "crio", "image", "pause_image",
					    NULL };
	struct toml *t = toml_parse_file(file, err);
	const char *v;

	if (!t)
		return -1;
	v = toml_string(toml_path(t, keys), NULL);
	if (v) {
		free(n->crio_pause_image);
		n->crio_pause_image = xstrdup(v);
	}
	toml_free(t);
	return 0;
}

static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int read_crio_config(struct node *n, struct error *err)
{
	char path[2 * NODE_TEXT_MAX];
	struct dirent **list = NULL;
	int count, i, ret = 0;

	snprintf(path, sizeof(path), "%s/etc/crio/crio.conf", n->root);
	if (exists_under(n, "/etc/crio/crio.conf") &&
	    read_crio_pause(n, path, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/crio/crio.conf.d", n->root);
	count = scandir(path, &list, NULL, name_order);
	for (i = 0; i < count; i++) {
		char file[3 * NODE_TEXT_MAX];
		size_t len = strlen(list[i]->d_name);

		if (ret == 0 && i < NODE_CRIO_DROPINS_MAX && len > 5 &&
		    !strcmp(list[i]->d_name + len - 5, ".conf")) {
			snprintf(file, sizeof(file), "%s/%s", path,
				 list[i]->d_name);
			ret = read_crio_pause(n, file, err);
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

int node_load(struct node *n, const char *root, enum node_runtime forced,
	      const char *authfile, struct error *err)
{
	size_t len;

	memset(n, 0, sizeof(*n));
	snprintf(n->root, sizeof(n->root), "%s", root ? root : "");
	len = strlen(n->root);
	while (len && n->root[len - 1] == '/')
		n->root[--len] = '\0';
	n->authfile = authfile;
	if (forced != NODE_RUNTIME_UNKNOWN) {
		n->runtime = forced;
		n->runtime_forced = true;
		snprintf(n->runtime_evidence, NODE_TEXT_MAX, "--runtime");
	} else {
		detect_runtime(n);
	}
	/* containerd's default root; content by digest lives here */
	if (n->runtime == NODE_RUNTIME_CONTAINERD &&
	    exists_under(n, "/var/lib/containerd/"
			 "io.containerd.content.v1.content/blobs"))
		snprintf(n->content_store, sizeof(n->content_store),
			 "%s/var/lib/containerd/"
			 "io.containerd.content.v1.content/blobs", n->root);
	if (mirrors_containerd_config(n->root, &n->containerd, err) < 0 ||
	    read_crio_config(n, err) < 0) {
		err->category = ERROR_USAGE;
		return error_prefix(err, "the node's runtime configuration");
	}
	return 0;
}

void node_release(struct node *n)
{
	containerd_config_release(&n->containerd);
	free(n->crio_pause_image);
	n->crio_pause_image = NULL;
}

const char *node_runtime_name(enum node_runtime r)
{
	switch (r) {
	case NODE_RUNTIME_CONTAINERD:
		return "containerd";
	case NODE_RUNTIME_CRIO:
		return "cri-o";
	default:
		return "unknown";
	}
}

const char *node_sandbox_image(const struct node *n)
{
	if (n->runtime == NODE_RUNTIME_CRIO)
		return n->crio_pause_image;
	return n->containerd.sandbox_image;
}

int node_endpoints(const struct node *n, const struct reference *ref,
		   struct endpoint_list *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	if (n->runtime == NODE_RUNTIME_UNKNOWN)
		return 0;
	return mirrors_resolve(n->root, n->runtime == NODE_RUNTIME_CRIO ?
			       RUNTIME_CRIO : RUNTIME_CONTAINERD,
			       ref->domain, ref->path, out, err);
}

/* docker.io is known by three names in credential files. */
static bool same_registry(const char *a, const char *b)
{
	static const char *const hub[] = { "docker.io", "index.docker.io",
					   "registry-1.docker.io" };
	bool ha = false, hb = false;

	for (size_t i = 0; i < 3; i++) {
		ha = ha || !strcmp(a, hub[i]);
		hb = hb || !strcmp(b, hub[i]);
	}
	return (ha && hb) || !strcmp(a, b);
}

/* "user:password" in base64, as containerd's registry.configs auth. */
static int split_auth(const char *b64, struct node_credential *out)
{
	size_t len = strlen(b64);
	unsigned char *plain;
	char *colon;
	int n;

	if (len == 0 || len > 4096)
		return -1;
	plain = xcalloc(1, len + 1);
	n = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)len);
	colon = n > 0 ? memchr(plain, ':', (size_t)n) : NULL;
	if (colon) {
		out->username = xstrndup((char *)plain,
					 (size_t)(colon - (char *)plain));
		out->password = xstrdup(colon + 1);
	}
	explicit_bzero(plain, len + 1);
	free(plain);
	return colon ? 0 : -1;
}

static int containerd_credentials(const struct node *n, const char *host,
				  struct node_credential *out)
{
	for (size_t i = 0; i < n->containerd.registry_count; i++) {
		const struct containerd_registry *c =
			&n->containerd.registries[i];

		if (!c->host || !same_registry(c->host, host))
			continue;
		if (c->username && c->password) {
			out->username = xstrdup(c->username);
			out->password = xstrdup(c->password);
		} else if (!c->auth || split_auth(c->auth, out) < 0) {
			continue;
		}
		snprintf(out->source, sizeof(out->source),
			 "containerd config.toml registry.configs");
		return 0;
	}
	return 1;
}

int node_credentials(const struct node *n, const struct reference *ref,
		     struct node_credential *out, struct error *err)
{
	struct auth_options o = { .root = n->root, .authfile = n->authfile };
	struct credential c = { 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	o.runtime_dir = getenv("XDG_RUNTIME_DIR");
	ret = auth_lookup(&o, ref->domain, ref->path, &c, err);
	if (ret < 0)
		return -1;
	if (ret == 0 && c.username && c.password) {
		out->username = xstrdup(c.username);
		out->password = xstrdup(c.password);
		snprintf(out->source, sizeof(out->source), "%s", c.source);
	}
	credential_release(&c);
	if (out->username)
		return 0;
	return containerd_credentials(n, ref->domain, out);
}

void node_credential_release(struct node_credential *c)
{
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->username);
	c->username = c->password = NULL;
}
