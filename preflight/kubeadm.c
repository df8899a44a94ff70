/* The images kubeadm would pull on this node, from kubeadm or its config. */
#include "kubeadm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "buf.h"
#include "error.h"
#include "escape.h"
#include "manifest.h"

extern char **environ;

/* kubeadm's DefaultImageRepository (cmd/kubeadm/app/apis/kubeadm/v1beta4). */
#define KUBEADM_DEFAULT_REPOSITORY "registry.k8s.io"
/* PATH when the environment has none, as execvp(3) assumes. */
#define KUBEADM_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* Room for one quoted, escaped subject in a message. */
#define KUBEADM_QUOTE_MAX 256

/*
 * The etcd, CoreDNS and pause tags kubeadm uses for each Kubernetes
 * minor, as set in cmd/kubeadm/app/constants/constants.go
 * (SupportedEtcdVersion, CoreDNSVersion, PauseVersion) at the v1.MINOR.0
 * tag of kubernetes/kubernetes. Patch releases have since raised etcd
 * (v1.28.15 ships 3.5.15-0, v1.32 later 3.5.24-0), which is why a kubeadm
 * binary on the node is asked first.
 */
struct kubeadm_release {
	unsigned minor;
	const char *etcd;
	const char *coredns;
	const char *pause;
};

static const struct kubeadm_release kubeadm_releases[] = {
	{ 27, "3.5.7-0", "v1.10.1", "3.9" },
	{ 28, "3.5.9-0", "v1.10.1", "3.9" },
	{ 29, "3.5.10-0", "v1.11.1", "3.9" },
	{ 30, "3.5.12-0", "v1.11.1", "3.9" },
	{ 31, "3.5.15-0", "v1.11.1", "3.10" },
	{ 32, "3.5.16-0", "v1.11.3", "3.10" },
	{ 33, "3.5.21-0", "v1.12.0", "3.10" },
};

#define KUBEADM_RELEASES \
	(sizeof(kubeadm_releases) / sizeof(kubeadm_releases[0]))

/* What a ClusterConfiguration says about images; NULL is "not set". */
struct kubeadm_cluster {
	char *version;            /* kubernetesVersion */
	char *repository;         /* imageRepository */
	char *dns_repository;     /* dns.imageRepository */
	char *dns_tag;            /* dns.imageTag */
	char *etcd_repository;    /* etcd.local.imageRepository */
	char *etcd_tag;           /* etcd.local.imageTag */
	int etcd_external;        /* etcd.external is set: no etcd image */
	int dns_disabled;         /* dns.disabled (v1beta4) */
	int proxy_disabled;       /* proxy.disabled (v1beta4) */
};

static void kubeadm_cluster_release(struct kubeadm_cluster *c)
{
	free(c->version);
	free(c->repository);
	free(c->dns_repository);
	free(c->dns_tag);
	free(c->etcd_repository);
	free(c->etcd_tag);
	memset(c, 0, sizeof(*c));
}

void kubeadm_images_release(struct kubeadm_images *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->items[i].role);
		free(l->items[i].reference);
	}
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* Append an image; l takes role and reference, even on failure. */
static int kubeadm_images_add(struct kubeadm_images *l, char *role,
			      char *reference, struct error *err)
{
	if (!l->items)
		l->items = xcalloc(KUBEADM_IMAGES_MAX, sizeof(*l->items));
	if (l->count == KUBEADM_IMAGES_MAX) {
		free(role);
		free(reference);
		return error_set(err, ERROR_LIMIT,
				 "more than %d images (KUBEADM_IMAGES_MAX)",
				 KUBEADM_IMAGES_MAX);
	}
	l->items[l->count].role = role;
	l->items[l->count].reference = reference;
	l->count++;
	return 0;
}

/* Printable ASCII without blanks: what an image reference may hold. */
static int kubeadm_text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The repository's last component: "coredns" in ".../coredns/coredns:v1". */
static char *kubeadm_role_of(const char *reference)
{
	const char *name = strrchr(reference, '/');

	name = name ? name + 1 : reference;
	return xstrndup(name, strcspn(name, ":@"));
}

/* The tag of reference, or NULL; the tag follows the name's last ':'. */
static const char *kubeadm_tag_of(const char *reference)
{
	const char *name = strrchr(reference, '/');
	const char *colon;

	name = name ? name + 1 : reference;
	if (strchr(name, '@'))
		return NULL;
	colon = strrchr(name, ':');
	return colon ? colon + 1 : NULL;
}

static int kubeadm_is_node_root(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* path as seen from here: root joined in front unless root is the node. */
static char *kubeadm_under_root(const char *root, const char *path)
{
	size_t n;

	if (kubeadm_is_node_root(root))
		return xstrdup(path);
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s%s", (int)n, root, *path == '/' ? "" : "/",
			 path);
}

/*
 * Parse a Kubernetes version as kubeadm accepts it ("v1.30.2", "1.30.2",
 * "v1.31.0-rc.1"), normalised with a leading 'v' into out. Release
 * labels ("stable-1.30", "latest", "ci/...") need the network to resolve
 * and are refused.
 */
static int kubeadm_parse_version(const char *text, char *out, size_t size,
				 unsigned *minor, struct error *err)
{
	char q[KUBEADM_QUOTE_MAX];
	const char *p = text[0] == 'v' ? text + 1 : text;
	char *end;
	unsigned long m;

	escape_quote(q, sizeof(q), text, 64);
	if (strncmp(p, "1.", 2) || p[2] < '0' || p[2] > '9')
		goto bad;
	m = strtoul(p + 2, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9' || m > 1000)
		goto bad;
	strtoul(end + 1, &end, 10);
	if (*end && *end != '-' && *end != '+')
		goto bad;
	if (!kubeadm_text_ok(end))
		goto bad;
	if (strlen(p) + 2 > size)
		return error_set(err, ERROR_LIMIT,
				 "kubernetes version '%s' is longer than %zu bytes",
				 q, size - 1);
	snprintf(out, size, "v%s", p);
	*minor = (unsigned)m;
	return 0;
bad:
	return error_set(err, ERROR_USAGE,
			 "kubernetes version '%s': expected a version such as v1.30.2 (release labels need the network and are not resolved)",
			 q);
}

static const struct kubeadm_release *kubeadm_release_of(unsigned minor,
							const char *version,
							struct error *err)
{
	char q[KUBEADM_QUOTE_MAX];
	size_t i;

	for (i = 0; i < KUBEADM_RELEASES; i++)
		if (kubeadm_releases[i].minor == minor)
			return &kubeadm_releases[i];
	escape_quote(q, sizeof(q), version, 64);
	error_set(err, ERROR_USAGE,
		  "kubernetes version '%s' is outside the supported range v1.%u to v1.%u",
		  q, kubeadm_releases[0].minor,
		  kubeadm_releases[KUBEADM_RELEASES - 1].minor);
	return NULL;
}

/* ---- Asking kubeadm ---------------------------------------------------- */

static int kubeadm_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/*
 * The kubeadm to run: the explicit one, else "kubeadm" in PATH (empty
 * PATH entries, the current directory, are skipped). Returns 0 and sets
 * *path (the caller frees), 1 when there is none, -1 on error.
 */
static int kubeadm_find_binary(const struct kubeadm_options *o, char **path,
			       struct error *err)
{
	char q[KUBEADM_QUOTE_MAX];
	const char *dirs, *p;

	if (o->kubeadm_path) {
		escape_quote(q, sizeof(q), o->kubeadm_path, 200);
		if (!kubeadm_executable(o->kubeadm_path))
			return error_set(err, ERROR_USAGE,
					 "kubeadm '%s': not an executable file",
					 q);
		*path = xstrdup(o->kubeadm_path);
		return 0;
	}
	if (!kubeadm_is_node_root(o->root))
		return 1;
	dirs = getenv("PATH");
	for (p = dirs ? dirs : KUBEADM_DEFAULT_PATH; *p;) {
		size_t n = strcspn(p, ":");

		if (n > 0) {
			char *c = xasprintf("%.*s/kubeadm", (int)n, p);

			if (kubeadm_executable(c)) {
				*path = c;
				return 0;
			}
			free(c);
		}
		p += n + (p[n] == ':');
	}
	return 1;
}

struct kubeadm_run {
	const char *what;        /* the kubeadm path, quoted for messages */
	pid_t pid;
	int out_fd, err_fd;      /* -1 once at end of file */
	struct buf out, errtext;
	struct timespec deadline;
};

static long kubeadm_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/*
 * stdin from /dev/null, stdout and stderr into the pipes, signals as a
 * fresh process expects them, and its own process group, so that a
 * timeout stops its children too.
 */
static void kubeadm_spawn_setup(posix_spawn_file_actions_t *fa,
				posix_spawnattr_t *attr, int out, int errfd)
{
	sigset_t none, deflt;

	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, out, 1);
	posix_spawn_file_actions_adddup2(fa, errfd, 2);
	posix_spawnattr_init(attr);
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &deflt);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
}

static int kubeadm_spawn(const char *path, char *const argv[],
			 struct kubeadm_run *r, struct error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int out[2], errp[2], rc;

	if (pipe2(out, O_CLOEXEC) < 0)
		return error_set(err, ERROR_IO, "pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return error_set(err, ERROR_IO, "pipe: %s", strerror(errno));
	}
	kubeadm_spawn_setup(&fa, &attr, out[1], errp[1]);
	rc = posix_spawn(&r->pid, path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	close(errp[1]);
	r->out_fd = out[0];
	r->err_fd = errp[0];
	if (rc != 0) {
		r->pid = 0;
		return error_set(err, ERROR_IO, "cannot run kubeadm '%s': %s",
				 r->what, strerror(rc));
	}
	return 0;
}

/* Read what is ready on *fd into b; stderr beyond its cap is dropped. */
static int kubeadm_drain(struct kubeadm_run *r, int *fd, struct buf *b,
			 struct error *err)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	if (b == &r->errtext) {
		size_t room = KUBEADM_STDERR_MAX - b->len;

		return buf_append(b, chunk, (size_t)n < room ? (size_t)n : room,
				  KUBEADM_STDERR_MAX, "KUBEADM_STDERR_MAX", err);
	}
	if (buf_append(b, chunk, (size_t)n, KUBEADM_OUTPUT_MAX,
		       "KUBEADM_OUTPUT_MAX", err) < 0)
		return error_prefix(err, "kubeadm '%s' output", r->what);
	return 0;
}

static int kubeadm_read_output(struct kubeadm_run *r, long timeout_ms,
			       struct error *err)
{
	while (r->out_fd >= 0 || r->err_fd >= 0) {
		struct pollfd p[2] = { { r->out_fd, POLLIN, 0 },
				       { r->err_fd, POLLIN, 0 } };
		long left = kubeadm_ms_left(&r->deadline);
		int n;

		if (left <= 0)
			return error_set(err, ERROR_IO,
					 "kubeadm '%s' did not finish within %ld ms",
					 r->what, timeout_ms);
		n = poll(p, 2, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR)
			return error_set(err, ERROR_IO, "poll: %s",
					 strerror(errno));
		if (n > 0 && p[0].revents &&
		    kubeadm_drain(r, &r->out_fd, &r->out, err) < 0)
			return -1;
		if (n > 0 && p[1].revents &&
		    kubeadm_drain(r, &r->err_fd, &r->errtext, err) < 0)
			return -1;
	}
	return 0;
}

/* Wait for the exit once the pipes are closed, still within the deadline. */
static int kubeadm_wait(struct kubeadm_run *r, long timeout_ms, int *status,
			struct error *err)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (;;) {
		pid_t got = waitpid(r->pid, status, WNOHANG);

		if (got == r->pid) {
			r->pid = 0;
			return 0;
		}
		if (got < 0 && errno != EINTR)
			return error_set(err, ERROR_IO, "waitpid: %s",
					 strerror(errno));
		if (kubeadm_ms_left(&r->deadline) <= 0)
			return error_set(err, ERROR_IO,
					 "kubeadm '%s' did not finish within %ld ms",
					 r->what, timeout_ms);
		nanosleep(&tick, NULL);
	}
}

/* Stop and reap what is left of a run; its process group is ours. */
static void kubeadm_run_release(struct kubeadm_run *r)
{
	if (r->pid > 0) {
		kill(-r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	buf_release(&r->out);
	buf_release(&r->errtext);
}

/* The first line of kubeadm's stderr, escaped, for a failure message. */
static void kubeadm_first_line(const struct buf *b, char *out, size_t size)
{
	const char *s = b->data ? b->data : "";
	char *line;

	while (*s == '\n' || *s == '\r')
		s++;
	line = xstrndup(s, strcspn(s, "\r\n"));
	escape_quote(out, size, *line ? line : "(no message)", 200);
	free(line);
}

static int kubeadm_exit_status(const struct kubeadm_run *r, int status,
			       struct error *err)
{
	char line[KUBEADM_QUOTE_MAX];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	kubeadm_first_line(&r->errtext, line, sizeof(line));
	if (WIFSIGNALED(status))
		return error_set(err, ERROR_IO,
				 "kubeadm '%s' was killed by signal %d: %s",
				 r->what, WTERMSIG(status), line);
	return error_set(err, ERROR_IO, "kubeadm '%s' exited with status %d: %s",
			 r->what, WEXITSTATUS(status), line);
}

/* Each entry of {"kind":"Images","images":[...]} into out. */
static int kubeadm_take_images(const struct document_image_list *list,
			       const char *what, struct kubeadm_images *out,
			       struct error *err)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		const char *s = list->images[i];

		if (!s || !*s || !kubeadm_text_ok(s))
			return error_set(err, ERROR_FORMAT,
					 "kubeadm '%s' output: images[%zu] is not an image reference",
					 what, i);
		if (strlen(s) > KUBEADM_REFERENCE_MAX)
			return error_set(err, ERROR_LIMIT,
					 "kubeadm '%s' output: images[%zu] is longer than %d bytes (KUBEADM_REFERENCE_MAX)",
					 what, i, KUBEADM_REFERENCE_MAX);
		if (kubeadm_images_add(out, kubeadm_role_of(s), xstrdup(s),
				       err) < 0)
			return -1;
	}
	return 0;
}

/* The version kubeadm used, read back from the kube-apiserver tag. */
static void kubeadm_version_from_list(struct kubeadm_images *out)
{
	size_t i;

	for (i = 0; i < out->count; i++) {
		const char *tag = kubeadm_tag_of(out->items[i].reference);

		if (strcmp(out->items[i].role, "kube-apiserver") || !tag ||
		    strlen(tag) >= sizeof(out->version))
			continue;
		snprintf(out->version, sizeof(out->version), "%s", tag);
		return;
	}
}

static int kubeadm_parse_output(const struct buf *b, const char *what,
				struct kubeadm_images *out, struct error *err)
{
	struct document_image_list list;
	int rc;

	if (document_image_list_parse(b->data, b->len, &list, err) < 0)
		return error_prefix(err, "kubeadm '%s' output", what);
	rc = kubeadm_take_images(&list, what, out, err);
	if (rc == 0)
		kubeadm_version_from_list(out);
	document_image_list_release(&list);
	return rc;
}

static void kubeadm_set_deadline(struct timespec *t, long timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += timeout_ms / 1000;
	t->tv_nsec += (timeout_ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* `kubeadm config images list -o json [--config F] [--kubernetes-version V]` */
static int kubeadm_ask(const struct kubeadm_options *o, const char *binary,
		       struct kubeadm_images *out, struct error *err)
{
	char q[KUBEADM_QUOTE_MAX];
	char *argv[10] = { (char *)"kubeadm", (char *)"config",
			   (char *)"images", (char *)"list",
			   (char *)"--output=json" };
	char *config = NULL;
	struct kubeadm_run r = { .what = q, .out_fd = -1, .err_fd = -1 };
	long timeout_ms = o->timeout_ms > 0 ? o->timeout_ms
					    : KUBEADM_TIMEOUT_MS;
	int n = 5, status, rc = -1;

	escape_quote(q, sizeof(q), binary, 200);
	if (o->config_file) {
		config = kubeadm_under_root(o->root, o->config_file);
		argv[n++] = (char *)"--config";
		argv[n++] = config;
	}
	if (o->kubernetes_version) {
		argv[n++] = (char *)"--kubernetes-version";
		argv[n++] = (char *)o->kubernetes_version;
	}
	kubeadm_set_deadline(&r.deadline, timeout_ms);
	if (kubeadm_spawn(binary, argv, &r, err) < 0 ||
	    kubeadm_read_output(&r, timeout_ms, err) < 0 ||
	    kubeadm_wait(&r, timeout_ms, &status, err) < 0 ||
	    kubeadm_exit_status(&r, status, err) < 0)
		goto out;
	snprintf(out->source, sizeof(out->source), "kubeadm binary");
	rc = kubeadm_parse_output(&r.out, q, out, err);
out:
	kubeadm_run_release(&r);
	free(config);
	return rc;
}

/* ---- Reading the configuration file ------------------------------------ */

static int kubeadm_read_file(const char *path, const char *what,
			     struct buf *b, struct error *err)
{
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return error_set(err, ERROR_IO, "kubeadm configuration '%s': %s",
				 what, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_set(err, ERROR_IO,
			  "kubeadm configuration '%s': not a regular file", what);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, ERROR_IO, "kubeadm configuration '%s': %s",
				  what, strerror(errno));
			goto out;
		}
		if (buf_append(b, chunk, (size_t)n, KUBEADM_CONFIG_MAX,
			       "KUBEADM_CONFIG_MAX", err) < 0) {
			error_prefix(err, "kubeadm configuration '%s'", what);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* A YAML document being read, and where it is, for messages. */
struct kubeadm_doc {
	yaml_document_t *doc;
	const char *what;     /* the file, quoted */
	int index;            /* 1-based document number */
};

static int kubeadm_scalar_is(const yaml_node_t *n, const char *s)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.length == strlen(s) &&
	       !memcmp(n->data.scalar.value, s, n->data.scalar.length);
}

/*
 * The value under key in mapping map into *value (NULL when absent or
 * map is no mapping). A key given twice is refused, as kubeadm's strict
 * decoding does.
 */
static int kubeadm_yaml_get(const struct kubeadm_doc *d, yaml_node_t *map,
			    const char *key, const char *path,
			    yaml_node_t **value, struct error *err)
{
	yaml_node_pair_t *p;

	*value = NULL;
	if (!map || map->type != YAML_MAPPING_NODE)
		return 0;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d->doc, p->key);

		if (!kubeadm_scalar_is(k, key))
			continue;
		if (*value)
			return error_set(err, ERROR_FORMAT,
					 "kubeadm configuration '%s' document %d: '%s' is given twice",
					 d->what, d->index, path);
		*value = yaml_document_get_node(d->doc, p->value);
	}
	return 0;
}

/* A YAML null: no value, "~" or "null" written plain. */
static int kubeadm_yaml_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/*
 * A string field: *out stays NULL when the field is absent, null or
 * empty (kubeadm then applies its default). Values end up in image
 * references, so blanks and control bytes are refused.
 */
static int kubeadm_yaml_string(const struct kubeadm_doc *d, yaml_node_t *map,
			       const char *key, const char *path, char **out,
			       struct error *err)
{
	yaml_node_t *n;
	const char *v;

	if (kubeadm_yaml_get(d, map, key, path, &n, err) < 0)
		return -1;
	if (!n || (n->type == YAML_SCALAR_NODE && kubeadm_yaml_is_null(n)))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return error_set(err, ERROR_FORMAT,
				 "kubeadm configuration '%s' document %d: '%s' is not a string",
				 d->what, d->index, path);
	v = (const char *)n->data.scalar.value;
	if (n->data.scalar.length > KUBEADM_REFERENCE_MAX)
		return error_set(err, ERROR_LIMIT,
				 "kubeadm configuration '%s' document %d: '%s' is longer than %d bytes (KUBEADM_REFERENCE_MAX)",
				 d->what, d->index, path,
				 KUBEADM_REFERENCE_MAX);
	if (strlen(v) != n->data.scalar.length || !kubeadm_text_ok(v))
		return error_set(err, ERROR_FORMAT,
				 "kubeadm configuration '%s' document %d: '%s' holds blanks or control characters",
				 d->what, d->index, path);
	free(*out);
	*out = *v ? xstrdup(v) : NULL;
	return 0;
}

/* A boolean field (YAML true/false); absent or null is false. */
static int kubeadm_yaml_bool(const struct kubeadm_doc *d, yaml_node_t *map,
			     const char *key, const char *path, int *out,
			     struct error *err)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	yaml_node_t *n;
	size_t i;

	if (kubeadm_yaml_get(d, map, key, path, &n, err) < 0)
		return -1;
	*out = 0;
	if (!n || (n->type == YAML_SCALAR_NODE && kubeadm_yaml_is_null(n)))
		return 0;
	for (i = 0; i < 3; i++) {
		if (kubeadm_scalar_is(n, yes[i]))
			*out = 1;
		if (kubeadm_scalar_is(n, yes[i]) || kubeadm_scalar_is(n, no[i]))
			return 0;
	}
	return error_set(err, ERROR_FORMAT,
			 "kubeadm configuration '%s' document %d: '%s' is not true or false",
			 d->what, d->index, path);
}

/* dns.imageRepository, dns.imageTag and dns.disabled. */
static int kubeadm_read_dns(const struct kubeadm_doc *d, yaml_node_t *root,
			    struct kubeadm_cluster *c, struct error *err)
{
	yaml_node_t *dns;

	if (kubeadm_yaml_get(d, root, "dns", "dns", &dns, err) < 0)
		return -1;
	if (kubeadm_yaml_string(d, dns, "imageRepository",
				"dns.imageRepository", &c->dns_repository,
				err) < 0 ||
	    kubeadm_yaml_string(d, dns, "imageTag", "dns.imageTag",
				&c->dns_tag, err) < 0)
		return -1;
	return kubeadm_yaml_bool(d, dns, "disabled", "dns.disabled",
				 &c->dns_disabled, err);
}

/* etcd.local.imageRepository and imageTag; etcd.external means none. */
static int kubeadm_read_etcd(const struct kubeadm_doc *d, yaml_node_t *root,
			     struct kubeadm_cluster *c, struct error *err)
{
	yaml_node_t *etcd, *local, *external;

	if (kubeadm_yaml_get(d, root, "etcd", "etcd", &etcd, err) < 0 ||
	    kubeadm_yaml_get(d, etcd, "local", "etcd.local", &local, err) < 0 ||
	    kubeadm_yaml_get(d, etcd, "external", "etcd.external", &external,
			     err) < 0)
		return -1;
	if (local && local->type == YAML_SCALAR_NODE &&
	    kubeadm_yaml_is_null(local))
		local = NULL;
	if (external && external->type == YAML_SCALAR_NODE &&
	    kubeadm_yaml_is_null(external))
		external = NULL;
	/* kubeadm's validation: the two are mutually exclusive. */
	if (local && external)
		return error_set(err, ERROR_FORMAT,
				 "kubeadm configuration '%s' document %d: 'etcd.local' and 'etcd.external' are mutually exclusive",
				 d->what, d->index);
	c->etcd_external = external != NULL;
	if (kubeadm_yaml_string(d, local, "imageRepository",
				"etcd.local.imageRepository",
				&c->etcd_repository, err) < 0)
		return -1;
	return kubeadm_yaml_string(d, local, "imageTag", "etcd.local.imageTag",
				   &c->etcd_tag, err);
}

static int kubeadm_read_cluster(const struct kubeadm_doc *d,
				yaml_node_t *root, struct kubeadm_cluster *c,
				struct error *err)
{
	yaml_node_t *proxy;

	if (kubeadm_yaml_string(d, root, "kubernetesVersion",
				"kubernetesVersion", &c->version, err) < 0 ||
	    kubeadm_yaml_string(d, root, "imageRepository", "imageRepository",
				&c->repository, err) < 0 ||
	    kubeadm_read_dns(d, root, c, err) < 0 ||
	    kubeadm_read_etcd(d, root, c, err) < 0 ||
	    kubeadm_yaml_get(d, root, "proxy", "proxy", &proxy, err) < 0)
		return -1;
	return kubeadm_yaml_bool(d, proxy, "disabled", "proxy.disabled",
				 &c->proxy_disabled, err);
}

/*
 * One document: a ClusterConfiguration of kubeadm.k8s.io/v1beta3 or
 * v1beta4 is read into c (*found counts them); other kinds, such as
 * InitConfiguration or KubeletConfiguration, are passed over.
 */
static int kubeadm_read_document(const struct kubeadm_doc *d,
				 struct kubeadm_cluster *c, int *found,
				 struct error *err)
{
	yaml_node_t *root = yaml_document_get_root_node(d->doc);
	char *kind = NULL, *api = NULL;
	char q[KUBEADM_QUOTE_MAX];
	int rc = -1;

	if (root->type == YAML_SCALAR_NODE && kubeadm_yaml_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return error_set(err, ERROR_FORMAT,
				 "kubeadm configuration '%s' document %d: not a mapping",
				 d->what, d->index);
	if (kubeadm_yaml_string(d, root, "kind", "kind", &kind, err) < 0 ||
	    kubeadm_yaml_string(d, root, "apiVersion", "apiVersion", &api,
				err) < 0)
		goto out;
	rc = 0;
	if (!kind || strcmp(kind, "ClusterConfiguration"))
		goto out;
	rc = -1;
	escape_quote(q, sizeof(q), api ? api : "", 100);
	if (!api || (strcmp(api, "kubeadm.k8s.io/v1beta3") &&
		     strcmp(api, "kubeadm.k8s.io/v1beta4")))
		error_set(err, ERROR_FORMAT,
			  "kubeadm configuration '%s' document %d: ClusterConfiguration apiVersion '%s' is not kubeadm.k8s.io/v1beta3 or v1beta4",
			  d->what, d->index, q);
	else if (++*found > 1)
		error_set(err, ERROR_FORMAT,
			  "kubeadm configuration '%s' document %d: a second ClusterConfiguration",
			  d->what, d->index);
	else
		rc = kubeadm_read_cluster(d, root, c, err);
out:
	free(kind);
	free(api);
	return rc;
}

static int kubeadm_yaml_error(const yaml_parser_t *p, const char *what,
			      struct error *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return error_set(err, ERROR_INTERNAL,
				 "kubeadm configuration '%s': out of memory",
				 what);
	return error_set(err, ERROR_FORMAT,
			 "kubeadm configuration '%s': line %zu column %zu: %s%s%s",
			 what, p->problem_mark.line + 1,
			 p->problem_mark.column + 1,
			 p->problem ? p->problem : "malformed YAML",
			 p->context ? " " : "", p->context ? p->context : "");
}

/* Every document of text (up to KUBEADM_DOCUMENTS_MAX) in turn. */
static int kubeadm_parse_config(const struct buf *text, const char *what,
				struct kubeadm_cluster *c, struct error *err)
{
	struct kubeadm_doc d = { NULL, what, 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	int found = 0, rc = -1;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser,
				     (const unsigned char *)(text->data ?
							     text->data : ""),
				     text->len);
	d.doc = &doc;
	for (;;) {
		int failed;

		if (!yaml_parser_load(&parser, &doc)) {
			kubeadm_yaml_error(&parser, what, err);
			goto out;
		}
		if (!yaml_document_get_root_node(&doc)) {
			yaml_document_delete(&doc);
			break;
		}
		if (++d.index > KUBEADM_DOCUMENTS_MAX) {
			yaml_document_delete(&doc);
			error_set(err, ERROR_LIMIT,
				  "kubeadm configuration '%s': more than %d documents (KUBEADM_DOCUMENTS_MAX)",
				  what, KUBEADM_DOCUMENTS_MAX);
			goto out;
		}
		failed = kubeadm_read_document(&d, c, &found, err) < 0;
		yaml_document_delete(&doc);
		if (failed)
			goto out;
	}
	rc = 0;
out:
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- Computing the list as kubeadm does -------------------------------- */

static int kubeadm_add_image(struct kubeadm_images *out, const char *role,
			     const char *repository, const char *name,
			     const char *tag, struct error *err)
{
	char *ref = xasprintf("%s/%s:%s", repository, name, tag);

	if (strlen(ref) > KUBEADM_REFERENCE_MAX) {
		free(ref);
		return error_set(err, ERROR_LIMIT,
				 "the %s image reference is longer than %d bytes (KUBEADM_REFERENCE_MAX)",
				 role, KUBEADM_REFERENCE_MAX);
	}
	return kubeadm_images_add(out, xstrdup(role), ref, err);
}

/*
 * CoreDNS as images.go GetDNSImage builds it: dns.imageRepository, else
 * imageRepository; only the default registry.k8s.io gets the
 * "coredns/" path the official image moved to, so a custom repository
 * yields "<repo>/coredns:<tag>".
 */
static int kubeadm_add_coredns(const struct kubeadm_cluster *c,
			       const char *repository,
			       const struct kubeadm_release *rel,
			       struct kubeadm_images *out, struct error *err)
{
	const char *repo = c->dns_repository ? c->dns_repository : repository;
	const char *tag = c->dns_tag ? c->dns_tag : rel->coredns;
	char *full = NULL;
	int rc;

	if (!strcmp(repo, KUBEADM_DEFAULT_REPOSITORY))
		repo = full = xasprintf("%s/coredns", repo);
	rc = kubeadm_add_image(out, "coredns", repo, "coredns", tag, err);
	free(full);
	return rc;
}

/*
 * The list of images.go GetControlPlaneImages, in its order: the control
 * plane and kube-proxy at the Kubernetes version ('+' becomes '_' in a
 * tag), CoreDNS, pause (always from imageRepository), then local etcd.
 */
static int kubeadm_compute(const struct kubeadm_cluster *c,
			   const char *version, struct kubeadm_images *out,
			   struct error *err)
{
	static const char *const control[] = {
		"kube-apiserver", "kube-controller-manager", "kube-scheduler",
		"kube-proxy",
	};
	const char *repo = c->repository ? c->repository
					 : KUBEADM_DEFAULT_REPOSITORY;
	const struct kubeadm_release *rel;
	char tag[sizeof(out->version)];
	unsigned minor = 0;
	size_t i;

	if (kubeadm_parse_version(version, out->version, sizeof(out->version),
				  &minor, err) < 0)
		return -1;
	rel = kubeadm_release_of(minor, out->version, err);
	if (!rel)
		return -1;
	snprintf(tag, sizeof(tag), "%s", out->version);
	for (i = 0; tag[i]; i++)
		if (tag[i] == '+')
			tag[i] = '_';
	for (i = 0; i < 4; i++)
		if ((i < 3 || !c->proxy_disabled) &&
		    kubeadm_add_image(out, control[i], repo, control[i], tag,
				      err) < 0)
			return -1;
	if (!c->dns_disabled && kubeadm_add_coredns(c, repo, rel, out, err) < 0)
		return -1;
	if (kubeadm_add_image(out, "pause", repo, "pause", rel->pause, err) < 0)
		return -1;
	if (c->etcd_external)
		return 0;
	return kubeadm_add_image(out, "etcd",
				 c->etcd_repository ? c->etcd_repository : repo,
				 "etcd", c->etcd_tag ? c->etcd_tag : rel->etcd,
				 err);
}

static int kubeadm_from_config(const struct kubeadm_options *o,
			       struct kubeadm_images *out, struct error *err)
{
	struct kubeadm_cluster c = { 0 };
	char q[KUBEADM_QUOTE_MAX], latest[16];
	struct buf text;
	char *path = NULL;
	const char *version;
	int rc = -1;

	buf_init(&text);
	snprintf(out->source, sizeof(out->source), "defaults");
	if (o->config_file) {
		escape_quote(q, sizeof(q), o->config_file, 200);
		path = kubeadm_under_root(o->root, o->config_file);
		if (kubeadm_read_file(path, q, &text, err) < 0 ||
		    kubeadm_parse_config(&text, q, &c, err) < 0)
			goto out;
		snprintf(out->source, sizeof(out->source),
			 "configuration file");
	}
	snprintf(latest, sizeof(latest), "v1.%u.0",
		 kubeadm_releases[KUBEADM_RELEASES - 1].minor);
	version = o->kubernetes_version ? o->kubernetes_version
		: c.version ? c.version : latest;
	rc = kubeadm_compute(&c, version, out, err);
out:
	kubeadm_cluster_release(&c);
	buf_release(&text);
	free(path);
	return rc;
}

int kubeadm_list_images(const struct kubeadm_options *o,
			struct kubeadm_images *out, struct error *err)
{
	char *binary = NULL;
	int found, rc;

	memset(out, 0, sizeof(*out));
	found = kubeadm_find_binary(o, &binary, err);
	if (found < 0)
		return -1;
	if (found == 0)
		rc = kubeadm_ask(o, binary, out, err);
	else
		rc = kubeadm_from_config(o, out, err);
	free(binary);
	return rc;
}
