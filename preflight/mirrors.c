/* Where the node's runtime pulls from: containerd's hosts.toml directories
 * (containerd docs/hosts.md, remotes/docker/config/hosts.go) and CRI-O's
 * containers-registries.conf(5) with its registries.conf.d drop-ins. */
#include "mirrors.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "error.h"
#include "toml.h"

/* Host capabilities of hosts.toml; a host without the key has all. */
enum { CAP_PULL = 1, CAP_RESOLVE = 2, CAP_PUSH = 4, CAP_ALL = 7 };

/* pull-from-mirror of a [[registry.mirror]] (containers-registries.conf) */
enum { PULL_ALL, PULL_DIGEST_ONLY, PULL_TAG_ONLY };

static const char *const mirrors_type_names[] = {
	[TOML_TABLE] = "a table",     [TOML_ARRAY] = "an array",
	[TOML_STRING] = "a string",   [TOML_INTEGER] = "an integer",
	[TOML_BOOLEAN] = "a boolean",
};

/* path (absolute on the node) under root; "" and "/" mean this machine. */
static char *mirrors_root_path(const char *root, const char *path)
{
	size_t n = root ? strlen(root) : 0;

	while (n > 0 && root[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s%s", (int)n, n ? root : "",
			 path[0] == '/' ? "" : "/", path);
}

/* 1 when path exists, 0 when it does not, -1 (with err) otherwise. */
static int mirrors_exists(const char *path, struct stat *st,
			  struct error *err)
{
	struct stat local;

	if (stat(path, st ? st : &local) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return error_set(err, ERROR_IO, "cannot read '%s': %s", path,
			 strerror(errno));
}

/* A value of the wrong type is refused, naming the key and its line. */
static int mirrors_want(const struct toml *v, enum toml_type type,
			const char *file, const char *key, struct error *err)
{
	if (!v || toml_type(v) == type)
		return 0;
	return error_set(err, ERROR_FORMAT, "'%s' line %d: '%s' must be %s",
			 file, toml_line(v), key, mirrors_type_names[type]);
}

static int mirrors_get_string(const struct toml *t, const char *key,
			      const char *file, char **out, struct error *err)
{
	const struct toml *v = toml_get(t, key);

	if (mirrors_want(v, TOML_STRING, file, key, err) < 0)
		return -1;
	free(*out);
	*out = v ? xstrdup(toml_string(v, "")) : NULL;
	return 0;
}

static int mirrors_get_bool(const struct toml *t, const char *key,
			    const char *file, bool *out, struct error *err)
{
	const struct toml *v = toml_get(t, key);

	if (mirrors_want(v, TOML_BOOLEAN, file, key, err) < 0)
		return -1;
	if (v)
		*out = toml_boolean(v, false);
	return 0;
}

static void mirrors_strv_push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static void mirrors_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void mirrors_endpoint_release(struct endpoint *e)
{
	free(e->url);
	free(e->path);
	mirrors_strv_free(e->ca_files, e->ca_count);
	for (size_t i = 0; i < e->client_count; i++) {
		free(e->clients[i].cert);
		free(e->clients[i].key);
	}
	free(e->clients);
	mirrors_strv_free(e->headers, e->header_count);
	free(e->ns);
	free(e->rewritten_path);
}

void endpoint_list_release(struct endpoint_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		mirrors_endpoint_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static struct endpoint *mirrors_add(struct endpoint_list *l)
{
	struct endpoint *e;

	l->items = xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
	e = &l->items[l->count++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* The port of "host:port" or "[v6]:port", or NULL. */
static const char *mirrors_port(const char *host)
{
	const char *p = host;

	if (*host == '[') {
		p = strchr(host, ']');
		if (!p)
			return NULL;
	}
	p = strchr(p, ':');
	return p ? p + 1 : NULL;
}

/* docker.IsLocalhost: "localhost" or a loopback address, port aside. */
static bool mirrors_is_localhost(const char *host)
{
	const char *port = mirrors_port(host);
	size_t n = port ? (size_t)(port - 1 - host) : strlen(host);
	struct in6_addr a6;
	struct in_addr a4;
	char name[256];

	if (n >= sizeof(name))
		return false;
	if (port && n >= 2 && host[0] == '[' && host[n - 1] == ']')
		host++, n -= 2;
	memcpy(name, host, n);
	name[n] = '\0';
	if (strcmp(name, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, name, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, name, &a6) != 1)
		return false;
	return IN6_IS_ADDR_LOOPBACK(&a6) ||
	       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

/* Docker Hub's API lives on another host than its name. */
static const char *mirrors_api_host(const char *registry)
{
	if (strcmp(registry, "docker.io") == 0)
		return "registry-1.docker.io";
	return registry;
}

/* path.Clean for an absolute URL path: no "//", ".", ".." or final "/". */
static char *mirrors_clean_path(const char *p, size_t n)
{
	char *out = xmalloc(n + 2);
	size_t len = 0, i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != '/')
			j++;
		if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
			while (len > 0 && out[--len] != '/')
				;
		} else if (j > i && !(j - i == 1 && p[i] == '.')) {
			out[len++] = '/';
			memcpy(out + len, p + i, j - i);
			len += j - i;
		}
		i = j + 1;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

/*
 * hosts.go parseHostConfig: a server without a scheme is https; a path
 * not ending in "/v2" gets "/v2" appended unless override_path is set.
 */
static int mirrors_server_url(struct endpoint *e, const char *server,
			      bool override_path, struct error *err)
{
	char *full = strncmp(server, "http", 4) == 0
			     ? xstrdup(server)
			     : xasprintf("https://%s", server);
	char *sep = strstr(full, "://"), *host, *end, *path = NULL;
	int ret = -1;

	if (!sep || (sep - full != 4 && sep - full != 5) ||
	    (strncasecmp(full, "http:", 5) && strncasecmp(full, "https:", 6))) {
		error_set(err, ERROR_FORMAT, "invalid server '%s': expected "
			  "http:// or https:// and a host", server);
		goto out;
	}
	host = sep + 3;
	end = host + strcspn(host, "/?#");
	if (end == host) {
		error_set(err, ERROR_FORMAT, "invalid server '%s': no host",
			  server);
		goto out;
	}
	for (char *c = full; c < sep; c++)
		*c = (char)(*c | 0x20);
	e->url = xstrndup(full, (size_t)(end - full));
	if (*end == '/')
		path = mirrors_clean_path(end, strcspn(end, "?#"));
	if (!override_path && (!path || strlen(path) < 3 ||
			       strcmp(path + strlen(path) - 3, "/v2") != 0)) {
		char *v2 = xasprintf("%s/v2",
				     path && strcmp(path, "/") ? path : "");
		free(path);
		path = v2;
	}
	e->path = path ? path : xstrdup("");
	ret = 0;
out:
	free(full);
	return ret;
}

/* Where hosts.toml and its relative paths are read. */
struct hosts_file {
	const char *root;
	const char *dir;   /* the host directory, root in front */
	const char *file;  /* dir + "/hosts.toml" */
};

/* hosts.go makeAbsPath, with the node's root in front. */
static char *mirrors_abs(const struct hosts_file *hf, const char *p)
{
	if (p[0] == '/')
		return mirrors_root_path(hf->root, p);
	return xasprintf("%s/%s", hf->dir, p);
}

static int mirrors_capabilities(const struct toml *v,
				const struct hosts_file *hf, int *caps,
				struct error *err)
{
	if (mirrors_want(v, TOML_ARRAY, hf->file, "capabilities", err) < 0)
		return -1;
	*caps = v && toml_count(v) > 0 ? 0 : CAP_ALL;
	for (size_t i = 0; v && i < toml_count(v); i++) {
		const char *c = toml_string(toml_at(v, i), NULL);

		if (c && strcasecmp(c, "pull") == 0)
			*caps |= CAP_PULL;
		else if (c && strcasecmp(c, "resolve") == 0)
			*caps |= CAP_RESOLVE;
		else if (c && strcasecmp(c, "push") == 0)
			*caps |= CAP_PUSH;
		else
			return error_set(err, ERROR_FORMAT, "'%s' line %d: "
					 "unknown capability '%s': expected "
					 "pull, resolve or push", hf->file,
					 toml_line(v), c ? c : "(not a string)");
	}
	return 0;
}

/* ca: a path or an array of paths. */
static int mirrors_ca(struct endpoint *e, const struct toml *v,
		      const struct hosts_file *hf, struct error *err)
{
	size_t n = 1;

	if (!v)
		return 0;
	if (toml_type(v) == TOML_ARRAY)
		n = toml_count(v);
	else if (mirrors_want(v, TOML_STRING, hf->file, "ca", err) < 0)
		return -1;
	if (n > MIRRORS_CA_MAX)
		return error_set(err, ERROR_LIMIT, "'%s' line %d: more than "
				 "%d ca files", hf->file, toml_line(v),
				 MIRRORS_CA_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct toml *s = toml_type(v) == TOML_ARRAY
					       ? toml_at(v, i) : v;

		if (mirrors_want(s, TOML_STRING, hf->file, "ca", err) < 0)
			return -1;
		mirrors_strv_push(&e->ca_files, &e->ca_count,
				  mirrors_abs(hf, toml_string(s, "")));
	}
	return 0;
}

/* One client entry: a path, or a [cert, key] pair ("" key: in cert). */
static int mirrors_client_one(struct endpoint *e, const struct toml *v,
			      const struct hosts_file *hf, struct error *err)
{
	struct endpoint_client *c;
	const char *cert, *key = "";

	if (toml_type(v) == TOML_ARRAY) {
		cert = toml_string(toml_at(v, 0), NULL);
		key = toml_string(toml_at(v, 1), NULL);
		if (toml_count(v) != 2 || !cert || !key)
			return error_set(err, ERROR_FORMAT, "'%s' line %d: "
					 "invalid pair for 'client': expected "
					 "[cert, key]", hf->file,
					 toml_line(v));
	} else if (mirrors_want(v, TOML_STRING, hf->file, "client", err) < 0) {
		return -1;
	} else {
		cert = toml_string(v, "");
	}
	e->clients = xrealloc(e->clients,
			      (e->client_count + 1) * sizeof(*e->clients));
	c = &e->clients[e->client_count++];
	c->cert = mirrors_abs(hf, cert);
	c->key = key[0] ? mirrors_abs(hf, key) : NULL;
	return 0;
}

/* client: a path, an array of paths, or an array of pairs. */
static int mirrors_client(struct endpoint *e, const struct toml *v,
			  const struct hosts_file *hf, struct error *err)
{
	if (!v)
		return 0;
	if (toml_type(v) != TOML_ARRAY)
		return mirrors_client_one(e, v, hf, err);
	if (toml_count(v) > MIRRORS_CLIENT_MAX)
		return error_set(err, ERROR_LIMIT, "'%s' line %d: more than "
				 "%d client certificates", hf->file,
				 toml_line(v), MIRRORS_CLIENT_MAX);
	for (size_t i = 0; i < toml_count(v); i++)
		if (mirrors_client_one(e, toml_at(v, i), hf, err) < 0)
			return -1;
	return 0;
}

static int mirrors_header_add(struct endpoint *e, const char *name,
			      const struct toml *v,
			      const struct hosts_file *hf, struct error *err)
{
	if (mirrors_want(v, TOML_STRING, hf->file, name, err) < 0)
		return -1;
	if (e->header_count >= MIRRORS_HEADERS_MAX)
		return error_set(err, ERROR_LIMIT, "'%s' line %d: more than "
				 "%d header values", hf->file, toml_line(v),
				 MIRRORS_HEADERS_MAX);
	mirrors_strv_push(&e->headers, &e->header_count,
			  xasprintf("%s: %s", name, toml_string(v, "")));
	return 0;
}

/* [header]: each key a string or an array of strings, in file order. */
static int mirrors_headers(struct endpoint *e, const struct toml *t,
			   const struct hosts_file *hf, struct error *err)
{
	if (mirrors_want(t, TOML_TABLE, hf->file, "header", err) < 0)
		return -1;
	for (size_t i = 0; t && i < toml_count(t); i++) {
		const struct toml *v = toml_at(t, i);
		const char *name = toml_key_at(t, i);
		size_t n = toml_type(v) == TOML_ARRAY ? toml_count(v) : 1;

		for (size_t j = 0; j < n; j++) {
			const struct toml *s = toml_type(v) == TOML_ARRAY
						       ? toml_at(v, j) : v;

			if (mirrors_header_add(e, name, s, hf, err) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * hosts.go: TLS settings given for an http:// host with a port other
 * than 80 make containerd try https first and fall back to http.
 */
static void mirrors_http_fallback(struct endpoint *e, bool tls_set)
{
	const char *host = e->url + strlen("http://");
	const char *port;
	char *old;

	if (strncmp(e->url, "http://", 7) != 0)
		return;
	port = mirrors_port(host);
	e->plain_http = true;
	if (!tls_set || (port && strcmp(port, "80") == 0))
		return;
	old = e->url;
	e->url = xasprintf("https://%s", host);
	free(old);
}

/* One [host."URL"] table, or the top level with server (may be ""). */
static int mirrors_host_config(struct endpoint *e, const char *server,
			       const struct toml *t,
			       const struct hosts_file *hf, bool *tls_set,
			       struct error *err)
{
	bool override = false, skip_set;
	int caps;

	if (mirrors_get_bool(t, "override_path", hf->file, &override, err) <
	    0)
		return -1;
	if (server[0] && mirrors_server_url(e, server, override, err) < 0)
		return error_prefix(err, "'%s'", hf->file);
	if (mirrors_get_bool(t, "skip_verify", hf->file, &e->skip_verify,
			     err) < 0 ||
	    mirrors_capabilities(toml_get(t, "capabilities"), hf, &caps,
				 err) < 0 ||
	    mirrors_ca(e, toml_get(t, "ca"), hf, err) < 0 ||
	    mirrors_client(e, toml_get(t, "client"), hf, err) < 0 ||
	    mirrors_headers(e, toml_get(t, "header"), hf, err) < 0)
		return -1;
	skip_set = toml_get(t, "skip_verify") != NULL;
	*tls_set = skip_set || e->ca_count || e->client_count;
	e->can_pull = caps & CAP_PULL;
	e->can_resolve = caps & CAP_RESOLVE;
	return 0;
}

/*
 * hosts.go ConfigureHosts: with no server, the registry itself is the
 * last host, with every capability; Docker Hub is registry-1.docker.io;
 * a localhost registry is https with unverified certificates, except on
 * port 80 (plain http) or another port (http, TLS tried first).
 */
static void mirrors_default_server(struct endpoint *e, const char *registry,
				   bool *tls_set)
{
	const char *port = mirrors_port(registry);

	free(e->path);
	e->path = xstrdup("/v2");
	e->can_pull = e->can_resolve = true;
	if (!mirrors_is_localhost(registry) ||
	    strcmp(registry, "docker.io") == 0) {
		e->url = xasprintf("https://%s", mirrors_api_host(registry));
		return;
	}
	if (port && strcmp(port, "80") == 0) {
		e->url = xasprintf("http://%s", registry);
		return;
	}
	e->url = xasprintf("%s://%s", port && strcmp(port, "443") ? "http"
								   : "https",
			   registry);
	e->skip_verify = true;
	*tls_set = true;
}

/* docker.RegistryHost.isProxy: a host that is not the registry gets ?ns=. */
static void mirrors_set_ns(struct endpoint *e, const char *registry)
{
	const char *host = strstr(e->url, "://") + 3;

	if (strcmp(host, registry) == 0 ||
	    (strcmp(registry, "docker.io") == 0 &&
	     strcmp(host, "registry-1.docker.io") == 0))
		return;
	e->mirror = true;
	e->ns = xstrdup(registry);
}

/* The top level of hosts.toml comes last, as server (hosts.go). */
static int mirrors_hosts_root(struct endpoint_list *l, const struct toml *t,
			      const struct hosts_file *hf,
			      const char *registry, struct error *err)
{
	struct endpoint *e = mirrors_add(l);
	char *server = NULL;
	bool tls_set = false;
	int ret = -1;

	if (mirrors_get_string(t, "server", hf->file, &server, err) < 0 ||
	    mirrors_host_config(e, server ? server : "", t, hf, &tls_set,
				err) < 0)
		goto out;
	if (!e->url)
		mirrors_default_server(e, registry, &tls_set);
	mirrors_http_fallback(e, tls_set);
	ret = 0;
out:
	free(server);
	return ret;
}

/* [host."URL"] tables, tried in the order the file defines them. */
static int mirrors_hosts_hosts(struct endpoint_list *l, const struct toml *t,
			       const struct hosts_file *hf, struct error *err)
{
	const struct toml *hosts = toml_get(t, "host");

	if (mirrors_want(hosts, TOML_TABLE, hf->file, "host", err) < 0)
		return -1;
	if (hosts && toml_count(hosts) > MIRRORS_HOSTS_MAX)
		return error_set(err, ERROR_LIMIT, "'%s': more than %d hosts",
				 hf->file, MIRRORS_HOSTS_MAX);
	for (size_t i = 0; hosts && i < toml_count(hosts); i++) {
		const struct toml *h = toml_at(hosts, i);
		const char *url = toml_key_at(hosts, i);
		struct endpoint *e = mirrors_add(l);
		bool tls_set = false;

		if (!url[0])
			return error_set(err, ERROR_FORMAT, "'%s' line %d: "
					 "empty host URL", hf->file,
					 toml_line(h));
		if (mirrors_want(h, TOML_TABLE, hf->file, url, err) < 0 ||
		    mirrors_host_config(e, url, h, hf, &tls_set, err) < 0)
			return -1;
		mirrors_http_fallback(e, tls_set);
	}
	return 0;
}

static int mirrors_hosts_toml(struct endpoint_list *l,
			      const struct hosts_file *hf,
			      const char *registry, struct error *err)
{
	struct toml *t = toml_parse_file(hf->file, err);
	int ret = -1;

	if (!t)
		return -1;
	if (mirrors_hosts_hosts(l, t, hf, err) < 0 ||
	    mirrors_hosts_root(l, t, hf, registry, err) < 0)
		goto out;
	ret = 0;
out:
	toml_free(t);
	return ret;
}

static int mirrors_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static bool mirrors_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Sorted names in dir, or -1; a missing dir gives 0 names. */
static int mirrors_scandir(const char *dir, struct dirent ***names,
			   size_t *count, struct error *err)
{
	int n = scandir(dir, names, NULL, mirrors_name_cmp);

	*count = 0;
	if (n < 0 && errno == ENOENT)
		return 0;
	if (n < 0)
		return error_set(err, ERROR_IO, "cannot read directory "
				 "'%s': %s", dir, strerror(errno));
	*count = (size_t)n;
	if (*count > MIRRORS_DIR_ENTRIES_MAX)
		return error_set(err, ERROR_LIMIT, "'%s': more than %d "
				 "entries", dir, MIRRORS_DIR_ENTRIES_MAX);
	return 0;
}

static void mirrors_dirents_free(struct dirent **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* A regular file (not a directory) in dir, following hosts.go's IsDir. */
static bool mirrors_is_file(const char *dir, const struct dirent *d)
{
	struct stat st;
	char *p;
	bool dir_entry;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type != DT_DIR;
	p = xasprintf("%s/%s", dir, d->d_name);
	dir_entry = lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return !dir_entry;
}

/* Docker's layout without hosts.toml: *.crt CAs, *.cert with *.key. */
static void mirrors_cert_file(struct endpoint *e, const char *dir,
			      const char *name)
{
	struct endpoint_client *c;
	char *key;

	if (mirrors_has_suffix(name, ".crt"))
		mirrors_strv_push(&e->ca_files, &e->ca_count,
				  xasprintf("%s/%s", dir, name));
	if (!mirrors_has_suffix(name, ".cert"))
		return;
	e->clients = xrealloc(e->clients,
			      (e->client_count + 1) * sizeof(*e->clients));
	c = &e->clients[e->client_count++];
	c->cert = xasprintf("%s/%s", dir, name);
	key = xasprintf("%s/%.*s.key", dir, (int)(strlen(name) - 5), name);
	c->key = key;
	if (mirrors_exists(key, NULL, NULL) != 1) {
		free(key);
		c->key = NULL;
	}
}

static int mirrors_cert_files(struct endpoint_list *l, const char *dir,
			      const char *registry, struct error *err)
{
	struct endpoint *e = mirrors_add(l);
	struct dirent **names = NULL;
	bool tls_set;
	size_t n;
	int ret = -1;

	if (mirrors_scandir(dir, &names, &n, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (mirrors_is_file(dir, names[i]))
			mirrors_cert_file(e, dir, names[i]->d_name);
	tls_set = e->ca_count || e->client_count;
	mirrors_default_server(e, registry, &tls_set);
	mirrors_http_fallback(e, tls_set);
	ret = 0;
out:
	mirrors_dirents_free(names, n);
	return ret;
}

/* hosts.go hostDirectory: "host:port" becomes "host_port_". */
static char *mirrors_host_directory(const char *host)
{
	const char *colon = strrchr(host, ':');

	if (!colon || colon == host)
		return xstrdup(host);
	return xasprintf("%.*s_%s_", (int)(colon - host), host, colon + 1);
}

/*
 * config_unix.go hostPaths, in each config_path directory in turn:
 * "host_port_" (when there is a port), "host:port", then "_default".
 */
static int mirrors_find_host_dir(const char *dir, const char *registry,
				 char **found, struct error *err)
{
	char *names[3] = {mirrors_host_directory(registry), NULL, NULL};
	int ret = 0;

	names[1] = xstrdup(registry);
	names[2] = xstrdup("_default");
	for (size_t i = 0; i < 3 && !*found && ret == 0; i++) {
		char *p;

		if (i == 1 && strcmp(names[0], names[1]) == 0)
			continue;
		p = xasprintf("%s/%s", dir, names[i]);
		ret = mirrors_exists(p, NULL, err);
		if (ret == 1) {
			*found = p;
			ret = 0;
		} else {
			free(p);
		}
	}
	for (size_t i = 0; i < 3; i++)
		free(names[i]);
	return ret;
}

/* The first host directory over every config_path entry, or NULL. */
static int mirrors_containerd_dir(const char *root, const char *config_path,
				  const char *registry, char **found,
				  struct error *err)
{
	const char *p = config_path;
	size_t dirs = 0;

	*found = NULL;
	while (*p && !*found) {
		size_t n = strcspn(p, ":");
		char *part = xstrndup(p, n), *dir;
		int ret;

		if (++dirs > MIRRORS_CONFIG_DIRS_MAX) {
			free(part);
			return error_set(err, ERROR_LIMIT, "config_path '%s': "
					 "more than %d directories",
					 config_path, MIRRORS_CONFIG_DIRS_MAX);
		}
		dir = mirrors_root_path(root, part);
		ret = n ? mirrors_find_host_dir(dir, registry, found, err) : 0;
		free(part);
		free(dir);
		if (ret < 0)
			return -1;
		p += n + (p[n] == ':');
	}
	return 0;
}

static int mirrors_containerd_host(const char *root, const char *dir,
				   const char *registry,
				   struct endpoint_list *l, struct error *err)
{
	struct hosts_file hf = {root, dir, NULL};
	char *file = xasprintf("%s/hosts.toml", dir);
	struct stat st;
	int ret = mirrors_exists(file, &st, err);

	hf.file = file;
	snprintf(l->origin, sizeof(l->origin), "%s", dir);
	if (ret == 1 && st.st_size > 0) {
		snprintf(l->origin, sizeof(l->origin), "%s", file);
		ret = mirrors_hosts_toml(l, &hf, registry, err);
	} else if (ret == 0 || ret == 1) {
		ret = mirrors_cert_files(l, dir, registry, err);
	}
	free(file);
	return ret;
}

static int mirrors_resolve_containerd(const char *root, const char *registry,
				      const char *repository,
				      struct endpoint_list *l,
				      struct error *err)
{
	struct containerd_config cfg;
	const char *config_path = MIRRORS_CONTAINERD_CONFIG_PATH;
	char *dir = NULL;
	int ret = -1;

	if (mirrors_containerd_config(root, &cfg, err) < 0)
		goto out;
	if (cfg.config_path)
		config_path = cfg.config_path;
	if (mirrors_containerd_dir(root, config_path, registry, &dir, err) < 0)
		goto out;
	if (dir && mirrors_containerd_host(root, dir, registry, l, err) < 0)
		goto out;
	if (!dir) {
		bool tls_set = false;
		struct endpoint *e = mirrors_add(l);

		snprintf(l->origin, sizeof(l->origin), "default");
		mirrors_default_server(e, registry, &tls_set);
		mirrors_http_fallback(e, tls_set);
	}
	for (size_t i = 0; i < l->count; i++) {
		mirrors_set_ns(&l->items[i], registry);
		l->items[i].rewritten_path = xstrdup(repository);
	}
	ret = 0;
out:
	free(dir);
	containerd_config_release(&cfg);
	return ret;
}

/* ---- containerd's config.toml ---- */

static void mirrors_registry_release(struct containerd_registry *r)
{
	free(r->host);
	free(r->username);
	free(r->password);
	free(r->auth);
	free(r->identitytoken);
	free(r->ca_file);
	free(r->cert_file);
	free(r->key_file);
}

void containerd_config_release(struct containerd_config *c)
{
	free(c->config_path);
	free(c->sandbox_image);
	for (size_t i = 0; i < c->registry_count; i++)
		mirrors_registry_release(&c->registries[i]);
	free(c->registries);
	memset(c, 0, sizeof(*c));
}

/* registry.configs."HOST": .auth and .tls tables; values stay unprinted. */
static int mirrors_registry_config(struct containerd_registry *r,
				   const struct toml *t, const char *file,
				   struct error *err)
{
	const struct toml *auth = toml_get(t, "auth"), *tls = toml_get(t, "tls");

	if (mirrors_want(t, TOML_TABLE, file, r->host, err) < 0 ||
	    mirrors_want(auth, TOML_TABLE, file, "auth", err) < 0 ||
	    mirrors_want(tls, TOML_TABLE, file, "tls", err) < 0)
		return -1;
	if (mirrors_get_string(auth, "username", file, &r->username, err) ||
	    mirrors_get_string(auth, "password", file, &r->password, err) ||
	    mirrors_get_string(auth, "auth", file, &r->auth, err) ||
	    mirrors_get_string(auth, "identitytoken", file, &r->identitytoken,
			       err) ||
	    mirrors_get_string(tls, "ca_file", file, &r->ca_file, err) ||
	    mirrors_get_string(tls, "cert_file", file, &r->cert_file, err) ||
	    mirrors_get_string(tls, "key_file", file, &r->key_file, err) ||
	    mirrors_get_bool(tls, "insecure_skip_verify", file,
			     &r->insecure_skip_verify, err))
		return -1;
	return 0;
}

static int mirrors_registry_configs(struct containerd_config *c,
				    const struct toml *configs,
				    const char *file, struct error *err)
{
	size_t n;

	if (mirrors_want(configs, TOML_TABLE, file, "configs", err) < 0)
		return -1;
	n = configs ? toml_count(configs) : 0;
	if (n > MIRRORS_AUTH_CONFIGS_MAX)
		return error_set(err, ERROR_LIMIT, "'%s': more than %d "
				 "registry.configs tables", file,
				 MIRRORS_AUTH_CONFIGS_MAX);
	c->registries = n ? xcalloc(n, sizeof(*c->registries)) : NULL;
	for (size_t i = 0; i < n; i++) {
		struct containerd_registry *r = &c->registries[i];

		r->host = xstrdup(toml_key_at(configs, i));
		c->registry_count++;
		if (mirrors_registry_config(r, toml_at(configs, i), file,
					    err) < 0)
			return -1;
	}
	return 0;
}

static int mirrors_registry_table(struct containerd_config *c,
				  const struct toml *reg, const char *file,
				  struct error *err)
{
	const struct toml *mirrors = toml_get(reg, "mirrors");

	if (mirrors_want(reg, TOML_TABLE, file, "registry", err) < 0 ||
	    mirrors_want(mirrors, TOML_TABLE, file, "mirrors", err) < 0 ||
	    mirrors_get_string(reg, "config_path", file, &c->config_path,
			       err) < 0)
		return -1;
	c->legacy_mirrors = mirrors && toml_count(mirrors) > 0;
	return mirrors_registry_configs(c, toml_get(reg, "configs"), file,
					err);
}

/*
 * The CRI plugin's table by config version: plugins.cri (1),
 * plugins."io.containerd.grpc.v1.cri" (2), or for images under
 * containerd 2.x plugins."io.containerd.cri.v1.images" (3).
 */
static int mirrors_cri_table(struct containerd_config *c,
			     const struct toml *t, const char *file,
			     struct error *err)
{
	const char *id = c->version >= 3   ? "io.containerd.cri.v1.images"
			 : c->version == 2 ? "io.containerd.grpc.v1.cri"
					   : "cri";
	const char *const keys[] = {"plugins", id, NULL};
	const struct toml *cri = toml_path(t, keys), *sandbox = cri;
	const char *sandbox_key = "sandbox_image";

	if (mirrors_want(cri, TOML_TABLE, file, id, err) < 0)
		return -1;
	if (c->version >= 3) {
		sandbox = toml_get(cri, "pinned_images");
		sandbox_key = "sandbox";
		if (mirrors_want(sandbox, TOML_TABLE, file, "pinned_images",
				 err) < 0)
			return -1;
	}
	if (mirrors_get_string(sandbox, sandbox_key, file, &c->sandbox_image,
			       err) < 0)
		return -1;
	return mirrors_registry_table(c, toml_get(cri, "registry"), file,
				      err);
}

int mirrors_containerd_config(const char *root, struct containerd_config *c,
			      struct error *err)
{
	char *file = mirrors_root_path(root, "/etc/containerd/config.toml");
	const struct toml *version;
	struct toml *t = NULL;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	c->version = 1;
	ret = mirrors_exists(file, NULL, err);
	if (ret <= 0)
		goto out;
	ret = -1;
	c->found = true;
	t = toml_parse_file(file, err);
	if (!t)
		goto out;
	version = toml_get(t, "version");
	if (mirrors_want(version, TOML_INTEGER, file, "version", err) < 0)
		goto out;
	c->version = toml_integer(version, 1);
	ret = mirrors_cri_table(c, t, file, err);
out:
	toml_free(t);
	free(file);
	return ret;
}

/* ---- containers-registries.conf(5), as CRI-O reads it ---- */

struct crio_mirror {
	char *location;
	bool insecure;
	int pull_from;
};

struct crio_registry {
	char *prefix;
	char *location;   /* "" only for a "*.example.com" prefix */
	bool insecure;
	bool blocked;
	bool digest_only;
	struct crio_mirror *mirrors;
	size_t mirror_count;
	char *origin;     /* the file that defined it */
};

struct crio_conf {
	struct crio_registry *regs;
	size_t count;
};

static void mirrors_crio_registry_release(struct crio_registry *r)
{
	free(r->prefix);
	free(r->location);
	for (size_t i = 0; i < r->mirror_count; i++)
		free(r->mirrors[i].location);
	free(r->mirrors);
	free(r->origin);
}

static void mirrors_crio_conf_release(struct crio_conf *c)
{
	for (size_t i = 0; i < c->count; i++)
		mirrors_crio_registry_release(&c->regs[i]);
	free(c->regs);
	memset(c, 0, sizeof(*c));
}

/* parseLocation: trailing slashes go; URI schemes are refused. */
static int mirrors_location(char **s, const char *file, int line,
			    struct error *err)
{
	size_t n = strlen(*s);

	while (n > 0 && (*s)[n - 1] == '/')
		(*s)[--n] = '\0';
	if (strncmp(*s, "http://", 7) && strncmp(*s, "https://", 8))
		return 0;
	return error_set(err, ERROR_FORMAT, "'%s' line %d: invalid location "
			 "'%s': URI schemes are not supported", file, line,
			 *s);
}

static int mirrors_pull_from(const struct toml *m, const char *file,
			     int *out, struct error *err)
{
	char *v = NULL;
	int ret = 0;

	if (mirrors_get_string(m, "pull-from-mirror", file, &v, err) < 0)
		return -1;
	if (!v || strcmp(v, "all") == 0)
		*out = PULL_ALL;
	else if (strcmp(v, "digest-only") == 0)
		*out = PULL_DIGEST_ONLY;
	else if (strcmp(v, "tag-only") == 0)
		*out = PULL_TAG_ONLY;
	else
		ret = error_set(err, ERROR_FORMAT, "'%s' line %d: unsupported "
				"pull-from-mirror value '%s': expected all, "
				"digest-only or tag-only", file,
				toml_line(m), v);
	free(v);
	return ret;
}

static int mirrors_crio_mirror(struct crio_registry *r, const struct toml *m,
			       const char *file, struct error *err)
{
	struct crio_mirror *mi = &r->mirrors[r->mirror_count];

	memset(mi, 0, sizeof(*mi));
	if (mirrors_want(m, TOML_TABLE, file, "mirror", err) < 0 ||
	    mirrors_get_string(m, "location", file, &mi->location, err) < 0)
		return -1;
	r->mirror_count++;
	if (mirrors_get_bool(m, "insecure", file, &mi->insecure, err) < 0 ||
	    mirrors_pull_from(m, file, &mi->pull_from, err) < 0)
		return -1;
	if (!mi->location)
		mi->location = xstrdup("");
	if (mirrors_location(&mi->location, file, toml_line(m), err) < 0)
		return -1;
	if (!mi->location[0])
		return error_set(err, ERROR_FORMAT, "'%s' line %d: mirror "
				 "location is unset", file, toml_line(m));
	if (r->digest_only && toml_get(m, "pull-from-mirror"))
		return error_set(err, ERROR_FORMAT, "'%s' line %d: "
				 "mirror-by-digest-only of '%s' and "
				 "pull-from-mirror of '%s' set together",
				 file, toml_line(m), r->prefix,
				 mi->location);
	return 0;
}

static int mirrors_crio_mirrors(struct crio_registry *r,
				const struct toml *t, const char *file,
				struct error *err)
{
	const struct toml *ms = toml_get(t, "mirror");
	size_t n;

	if (mirrors_want(ms, TOML_ARRAY, file, "mirror", err) < 0)
		return -1;
	n = ms ? toml_count(ms) : 0;
	if (n > MIRRORS_MIRRORS_MAX)
		return error_set(err, ERROR_LIMIT, "'%s' line %d: more than "
				 "%d mirrors", file, toml_line(ms),
				 MIRRORS_MIRRORS_MAX);
	r->mirrors = n ? xcalloc(n, sizeof(*r->mirrors)) : NULL;
	for (size_t i = 0; i < n; i++)
		if (mirrors_crio_mirror(r, toml_at(ms, i), file, err) < 0)
			return -1;
	return 0;
}

/* postProcessRegistries: prefix defaults to location; wildcards checked. */
static int mirrors_crio_prefix(struct crio_registry *r, const char *file,
			       int line, struct error *err)
{
	if (!r->location)
		r->location = xstrdup("");
	if (mirrors_location(&r->location, file, line, err) < 0)
		return -1;
	if (!r->prefix && !r->location[0])
		return error_set(err, ERROR_FORMAT, "'%s' line %d: both "
				 "location and prefix are unset", file, line);
	if (!r->prefix)
		r->prefix = xstrdup(r->location);
	else if (mirrors_location(&r->prefix, file, line, err) < 0)
		return -1;
	if (strncmp(r->prefix, "*.", 2) != 0 && !r->location[0])
		return error_set(err, ERROR_FORMAT, "'%s' line %d: location "
				 "is unset and prefix '%s' is not like "
				 "*.example.com", file, line, r->prefix);
	if (strncmp(r->prefix, "*.", 2) == 0 && strpbrk(r->prefix, "/@:"))
		return error_set(err, ERROR_FORMAT, "'%s' line %d: wildcard "
				 "prefix '%s' must be like *.example.com",
				 file, line, r->prefix);
	return 0;
}

static int mirrors_crio_registry(struct crio_registry *r,
				 const struct toml *t, const char *file,
				 struct error *err)
{
	int line = toml_line(t);

	r->origin = xstrdup(file);
	if (mirrors_want(t, TOML_TABLE, file, "registry", err) < 0 ||
	    mirrors_get_string(t, "prefix", file, &r->prefix, err) < 0 ||
	    mirrors_get_string(t, "location", file, &r->location, err) < 0 ||
	    mirrors_get_bool(t, "insecure", file, &r->insecure, err) < 0 ||
	    mirrors_get_bool(t, "blocked", file, &r->blocked, err) < 0 ||
	    mirrors_get_bool(t, "mirror-by-digest-only", file,
			     &r->digest_only, err) < 0 ||
	    mirrors_crio_prefix(r, file, line, err) < 0)
		return -1;
	if (toml_get(t, "pull-from-mirror"))
		return error_set(err, ERROR_FORMAT, "'%s' line %d: "
				 "pull-from-mirror must not be set for the "
				 "registry '%s' itself, only its mirrors",
				 file, line, r->prefix);
	return mirrors_crio_mirrors(r, t, file, err);
}

static struct crio_registry *mirrors_crio_add(struct crio_conf *c)
{
	struct crio_registry *r;

	c->regs = xrealloc(c->regs, (c->count + 1) * sizeof(*c->regs));
	r = &c->regs[c->count++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* v1's [registries.block] and [registries.insecure] as v2 entries. */
static int mirrors_crio_v1_list(struct crio_conf *c, const struct toml *v1,
				const char *which, const char *file,
				struct error *err)
{
	const char *const keys[] = {which, "registries", NULL};
	const struct toml *list = toml_path(v1, keys);

	if (mirrors_want(list, TOML_ARRAY, file, which, err) < 0)
		return -1;
	for (size_t i = 0; list && i < toml_count(list); i++) {
		const char *loc = toml_string(toml_at(list, i), "");
		struct crio_registry *r = NULL;

		for (size_t j = 0; j < c->count && !r; j++)
			if (strcmp(c->regs[j].location, loc) == 0)
				r = &c->regs[j];
		if (!r && c->count >= MIRRORS_REGISTRIES_MAX)
			return error_set(err, ERROR_LIMIT, "'%s': more than "
					 "%d registries", file,
					 MIRRORS_REGISTRIES_MAX);
		if (!r) {
			r = mirrors_crio_add(c);
			r->location = xstrdup(loc);
			r->origin = xstrdup(file);
			if (mirrors_crio_prefix(r, file, toml_line(list),
						err) < 0)
				return -1;
		}
		*(strcmp(which, "block") == 0 ? &r->blocked : &r->insecure) =
			true;
	}
	return 0;
}

/* The v1 format, only in registries.conf and never mixed with v2. */
static int mirrors_crio_v1(struct crio_conf *c, const struct toml *t,
			   const char *file, bool drop_in, struct error *err)
{
	const struct toml *v1 = toml_get(t, "registries");

	if (mirrors_want(v1, TOML_TABLE, file, "registries", err) < 0)
		return -1;
	if (drop_in)
		return error_set(err, ERROR_FORMAT, "'%s' line %d: a drop-in "
				 "must be in the v2 format, not v1", file,
				 toml_line(v1));
	if (toml_count(t) > 1)
		return error_set(err, ERROR_FORMAT, "'%s': mixing the v1 and "
				 "v2 formats is not supported", file);
	if (mirrors_crio_v1_list(c, v1, "block", file, err) < 0 ||
	    mirrors_crio_v1_list(c, v1, "insecure", file, err) < 0)
		return -1;
	return 0;
}

/* One location defined twice must agree on insecure and blocked. */
static int mirrors_crio_conflicts(const struct crio_conf *c, size_t from,
				  const char *file, struct error *err)
{
	for (size_t i = from; i < c->count; i++) {
		const struct crio_registry *a = &c->regs[i];
		const char *key = a->location[0] ? a->location : a->prefix;

		for (size_t j = from; j < i; j++) {
			const struct crio_registry *b = &c->regs[j];
			const char *other = b->location[0] ? b->location
							   : b->prefix;

			if (strcmp(key, other) != 0)
				continue;
			if (a->insecure != b->insecure ||
			    a->blocked != b->blocked)
				return error_set(err, ERROR_FORMAT, "'%s': "
						 "registry '%s' is defined "
						 "twice with conflicting '%s'",
						 file, key,
						 a->insecure != b->insecure
							 ? "insecure"
							 : "blocked");
		}
	}
	return 0;
}

/* Every [[registry]] of one file, in file order. */
static int mirrors_crio_v2(struct crio_conf *c, const struct toml *t,
			   const char *file, struct error *err)
{
	const struct toml *regs = toml_get(t, "registry");

	if (mirrors_want(regs, TOML_ARRAY, file, "registry", err) < 0)
		return -1;
	for (size_t i = 0; regs && i < toml_count(regs); i++) {
		if (c->count >= MIRRORS_REGISTRIES_MAX)
			return error_set(err, ERROR_LIMIT, "'%s': more than "
					 "%d registries", file,
					 MIRRORS_REGISTRIES_MAX);
		if (mirrors_crio_registry(mirrors_crio_add(c),
					  toml_at(regs, i), file, err) < 0)
			return -1;
	}
	return 0;
}

static int mirrors_crio_file(struct crio_conf *c, const char *file,
			     bool drop_in, struct error *err)
{
	struct toml *t = toml_parse_file(file, err);
	int ret;

	if (!t)
		return -1;
	if (toml_get(t, "registries"))
		ret = mirrors_crio_v1(c, t, file, drop_in, err);
	else
		ret = mirrors_crio_v2(c, t, file, err);
	toml_free(t);
	return ret;
}

/* Replace or append r, by prefix; r's memory moves into c. */
static void mirrors_crio_put(struct crio_conf *c, struct crio_registry *r)
{
	for (size_t i = 0; i < c->count; i++) {
		if (strcmp(c->regs[i].prefix, r->prefix) == 0) {
			mirrors_crio_registry_release(&c->regs[i]);
			c->regs[i] = *r;
			return;
		}
	}
	*mirrors_crio_add(c) = *r;
}

/*
 * Within one file the first entry for a prefix wins; a later file's
 * entry replaces an earlier file's (updateWithConfigurationFrom).
 */
static int mirrors_crio_merge(struct crio_conf *c, const char *file,
			      bool drop_in, struct error *err)
{
	struct crio_conf one = {NULL, 0};
	int ret = mirrors_crio_file(&one, file, drop_in, err);

	if (ret == 0)
		ret = mirrors_crio_conflicts(&one, 0, file, err);
	for (size_t i = one.count; ret == 0 && i-- > 0;) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(one.regs[j].prefix,
				      one.regs[i].prefix) == 0;
		if (!seen)
			continue;
		mirrors_crio_registry_release(&one.regs[i]);
		memset(&one.regs[i], 0, sizeof(one.regs[i]));
	}
	for (size_t i = 0; ret == 0 && i < one.count; i++) {
		if (!one.regs[i].prefix)
			continue;
		mirrors_crio_put(c, &one.regs[i]);
		memset(&one.regs[i], 0, sizeof(one.regs[i]));
	}
	if (ret == 0 && c->count > MIRRORS_REGISTRIES_MAX)
		ret = error_set(err, ERROR_LIMIT, "more than %d registries "
				"in registries.conf and its drop-ins",
				MIRRORS_REGISTRIES_MAX);
	mirrors_crio_conf_release(&one);
	return ret;
}

/* registries.conf.d: *.conf files in byte order, directories skipped. */
static int mirrors_crio_dropins(struct crio_conf *c, const char *root,
				struct error *err)
{
	char *dir = mirrors_root_path(root, "/etc/containers/registries.conf.d");
	struct dirent **names = NULL;
	size_t n, files = 0;
	int ret = mirrors_scandir(dir, &names, &n, err);

	for (size_t i = 0; ret == 0 && i < n; i++) {
		char *file;

		if (!mirrors_has_suffix(names[i]->d_name, ".conf") ||
		    !mirrors_is_file(dir, names[i]))
			continue;
		if (++files > MIRRORS_DROPINS_MAX) {
			ret = error_set(err, ERROR_LIMIT, "'%s': more than %d "
					"drop-in files", dir,
					MIRRORS_DROPINS_MAX);
			break;
		}
		file = xasprintf("%s/%s", dir, names[i]->d_name);
		ret = mirrors_crio_merge(c, file, true, err);
		free(file);
	}
	mirrors_dirents_free(names, n);
	free(dir);
	return ret;
}

static int mirrors_crio_cmp(const void *a, const void *b)
{
	return strcmp(((const struct crio_registry *)a)->prefix,
		      ((const struct crio_registry *)b)->prefix);
}

static int mirrors_crio_load(struct crio_conf *c, const char *root,
			     struct error *err)
{
	char *file = mirrors_root_path(root, "/etc/containers/registries.conf");
	int ret = mirrors_exists(file, NULL, err);

	if (ret == 1)
		ret = mirrors_crio_merge(c, file, false, err);
	if (ret == 0)
		ret = mirrors_crio_dropins(c, root, err);
	if (ret == 0 && c->count)
		qsort(c->regs, c->count, sizeof(*c->regs), mirrors_crio_cmp);
	free(file);
	return ret;
}

/*
 * refMatchingPrefix: the length of ref that prefix matches, or -1. A
 * plain prefix must end at ':', '/', '@' or the end of ref (so
 * "example.com" also matches "example.com:5000"); "*.example.com"
 * matches any subdomain of the host part.
 */
static long mirrors_prefix_match(const char *ref, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *at = ref;

	if (strncmp(prefix, "*.", 2) == 0) {
		at = strstr(ref, prefix + 1);
		if (!at || memchr(ref, '/', (size_t)(at - ref)))
			return -1;
		n = strlen(prefix + 1);
	} else if (strncmp(ref, prefix, n) != 0) {
		return -1;
	}
	at += n;
	if (*at && !strchr(":/@", *at))
		return -1;
	return at - ref;
}

/* FindRegistry: the longest prefix wins, the first in sorted order. */
static const struct crio_registry *mirrors_crio_find(const struct crio_conf *c,
						     const char *name,
						     long *matched)
{
	const struct crio_registry *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < c->count; i++) {
		long m = mirrors_prefix_match(name, c->regs[i].prefix);

		if (m >= 0 && strlen(c->regs[i].prefix) > best_len) {
			best = &c->regs[i];
			best_len = strlen(best->prefix);
			*matched = m;
		}
	}
	return best;
}

/*
 * rewriteReference: location takes the place of the matched prefix;
 * an empty location (a wildcard entry) keeps the reference. The host
 * is the first component; Docker Hub's API is registry-1.docker.io.
 */
static int mirrors_crio_endpoint(struct endpoint_list *l, const char *name,
				 long matched, const char *location,
				 bool insecure, struct error *err)
{
	char *ref = location[0] ? xasprintf("%s%s", location, name + matched)
				: xstrdup(name);
	char *slash = strchr(ref, '/'), *host;
	struct endpoint *e;

	if (!slash || !slash[1]) {
		error_set(err, ERROR_FORMAT, "rewriting '%s' with location "
			  "'%s' leaves no repository", name, location);
		free(ref);
		return -1;
	}
	host = xstrndup(ref, (size_t)(slash - ref));
	e = mirrors_add(l);
	e->url = xasprintf("https://%s", mirrors_api_host(host));
	e->path = xstrdup("/v2");
	e->rewritten_path = xstrdup(slash + 1);
	e->can_pull = e->can_resolve = true;
	e->plain_http = e->skip_verify = insecure;
	free(host);
	free(ref);
	return 0;
}

/*
 * PullSourcesFromReference: the mirrors first, then the primary. The
 * caller knows whether it pulls by digest, so the mirrors are all
 * listed and marked with what they may serve.
 */
static int mirrors_crio_sources(struct endpoint_list *l,
				const struct crio_registry *r,
				const char *name, long matched,
				struct error *err)
{
	for (size_t i = 0; i < r->mirror_count; i++) {
		const struct crio_mirror *m = &r->mirrors[i];
		struct endpoint *e;

		if (mirrors_crio_endpoint(l, name, matched, m->location,
					  m->insecure, err) < 0)
			return -1;
		e = &l->items[l->count - 1];
		e->mirror = true;
		e->digest_only = r->digest_only ||
				 m->pull_from == PULL_DIGEST_ONLY;
		e->tag_only = m->pull_from == PULL_TAG_ONLY;
	}
	return mirrors_crio_endpoint(l, name, matched, r->location,
				     r->insecure, err);
}

static int mirrors_resolve_crio(const char *root, const char *registry,
				const char *repository,
				struct endpoint_list *l, struct error *err)
{
	struct crio_conf c = {NULL, 0};
	char *name = xasprintf("%s/%s", registry, repository);
	const struct crio_registry *r;
	long matched = 0;
	int ret = -1;

	if (mirrors_crio_load(&c, root, err) < 0)
		goto out;
	r = mirrors_crio_find(&c, name, &matched);
	snprintf(l->origin, sizeof(l->origin), "%s",
		 r ? r->origin : "default");
	if (r && r->blocked)
		l->blocked = true;
	else if (r)
		ret = mirrors_crio_sources(l, r, name, matched, err);
	else
		ret = mirrors_crio_endpoint(l, name, (long)strlen(registry),
					    registry, false, err);
	if (l->blocked)
		ret = 0;
out:
	mirrors_crio_conf_release(&c);
	free(name);
	return ret;
}

int mirrors_resolve(const char *root, enum runtime_kind rt,
		    const char *registry, const char *repository,
		    struct endpoint_list *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	if (!registry[0] || !repository[0])
		return error_set(err, ERROR_USAGE, "empty registry or "
				 "repository");
	if (rt == RUNTIME_CRIO)
		return mirrors_resolve_crio(root, registry, repository, out,
					    err);
	return mirrors_resolve_containerd(root, registry, repository, out,
					  err);
}
