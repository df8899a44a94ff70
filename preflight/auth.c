/* The node's registry credentials, found as containers-auth.json(5),
   Docker's config.json and the docker-credential-helpers protocol say. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "escape.h"
#include "manifest.h"

extern char **environ;

/* The longest registry host[:port] looked up (a DNS name is 253). */
#define AUTH_REGISTRY_MAX 300
/* The longest quoted file name, key or helper output in a message. */
#define AUTH_QUOTE_MAX 200
/* The most auth files searched: primary, config, Docker, legacy. */
#define AUTH_CANDIDATES_MAX 4
/* The server URL Docker's helpers keep Docker Hub's credentials under. */
#define AUTH_DOCKER_HUB_URL "https://index.docker.io/v1/"
/* What every docker-credential helper prints when it has nothing. */
#define AUTH_HELPER_NOT_FOUND "credentials not found"
/* How often a helper that closed its output is checked for its exit. */
#define AUTH_WAIT_STEP_MS 5

enum auth_format {
	AUTH_JSON,    /* {"auths": {...}, "credHelpers": {...}, ...} */
	AUTH_LEGACY,  /* .dockercfg: the auths map alone, host keys only */
};

struct auth_query {
	const char *root;
	char *registry;          /* normalised: "docker.io", "host:port" */
	const char *repository;  /* "library/busybox", or NULL */
	long timeout_ms;
};

struct auth_candidate {
	char *path;              /* on the node; owned */
	enum auth_format format;
	bool must_exist;         /* the user named it */
	bool local;              /* on this machine, not under the root */
};

struct auth_helper_run {
	pid_t pid;               /* -1 once reaped */
	int fd;                  /* the helper's stdout and stderr */
	char *text;              /* what it printed; wiped on release */
	size_t len;
	int status;
	long deadline_ms;
};

static void auth_wipe_free(char *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}

static void auth_wipe_string(char **s)
{
	if (*s)
		auth_wipe_free(*s, strlen(*s));
	*s = NULL;
}

void credential_release(struct credential *c)
{
	auth_wipe_string(&c->username);
	auth_wipe_string(&c->password);
	auth_wipe_string(&c->identity_token);
	memset(c->source, 0, sizeof(c->source));
}

static long auth_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Docker Hub's names are one registry (distribution/reference). */
static bool auth_is_docker_hub(const char *host, size_t n)
{
	static const char *const names[] = {
		"docker.io", "index.docker.io", "registry-1.docker.io",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncasecmp(host, names[i], n))
			return true;
	return false;
}

/*
 * An auths or credHelpers key as "host[/namespace]". A URL key
 * ("https://index.docker.io/v1/") keeps its host only, as do the keys of
 * the legacy format; Docker Hub's aliases become docker.io. The caller
 * frees.
 */
static char *auth_normalise_key(const char *key, bool host_only)
{
	const char *p = key, *slash;
	size_t hlen;

	if (!strncasecmp(p, "https://", 8) || !strncasecmp(p, "http://", 7)) {
		p = strstr(p, "//") + 2;
		host_only = true;
	}
	slash = strchr(p, '/');
	hlen = slash ? (size_t)(slash - p) : strlen(p);
	if (auth_is_docker_hub(p, hlen))
		return xasprintf("docker.io%s",
				 host_only || !slash ? "" : slash);
	return host_only ? xstrndup(p, hlen) : xstrdup(p);
}

/*
 * How well key fits registry/repository: its length when it names the
 * registry, or a namespace of the repository ending at a '/', else 0.
 * containers-auth.json(5): the most specific key wins.
 */
static size_t auth_key_rank(const char *key, const struct auth_query *q)
{
	size_t rlen = strlen(q->registry), n;
	const char *ns;

	if (strncmp(key, q->registry, rlen))
		return 0;
	if (key[rlen] == '\0')
		return rlen;
	if (key[rlen] != '/' || !q->repository)
		return 0;
	ns = key + rlen + 1;
	n = strlen(ns);
	if (!n || strncmp(ns, q->repository, n))
		return 0;
	if (q->repository[n] != '\0' && q->repository[n] != '/')
		return 0;
	return rlen + 1 + n;
}

static int auth_b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One quartet of RFC 4648 section 4 base64 into out; bytes written, or
   -1. Padding ('=') may only close the last quartet. */
static int auth_b64_quartet(const char *in, bool last, unsigned char *out)
{
	int v[4], pad = 0, j;

	for (j = 0; j < 4; j++) {
		if (in[j] == '=' && last && j >= 2) {
			v[j] = 0;
			pad++;
			continue;
		}
		v[j] = pad ? -1 : auth_b64_value((unsigned char)in[j]);
		if (v[j] < 0)
			return -1;
	}
	out[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
	out[1] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
	out[2] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	return 3 - pad;
}

/* Padded base64 as Docker writes it, NUL-terminated; NULL when
   malformed or when it decodes to a NUL byte. The caller wipes. */
static char *auth_b64_decode(const char *in)
{
	size_t len = strlen(in), i, n = 0;
	char *out;
	int got;

	if (len == 0 || len % 4)
		return NULL;
	out = xmalloc(len / 4 * 3 + 1);
	for (i = 0; i < len; i += 4) {
		got = auth_b64_quartet(in + i, i + 4 == len,
				       (unsigned char *)out + n);
		if (got < 0)
			break;
		n += (size_t)got;
	}
	out[n] = '\0';
	if (i < len || memchr(out, '\0', n)) {
		auth_wipe_free(out, len / 4 * 3 + 1);
		return NULL;
	}
	return out;
}

/* "auth": base64 of "user:password" (the user has no ':'). */
static int auth_decode_basic(const char *b64, const char *where,
			     struct credential *out, struct error *err)
{
	char *plain = auth_b64_decode(b64), *colon;
	int rc = 0;

	if (!plain)
		return error_set(err, ERROR_FORMAT,
				 "%s: 'auth' is not valid base64", where);
	colon = strchr(plain, ':');
	if (!colon) {
		rc = error_set(err, ERROR_FORMAT,
			       "%s: 'auth' does not decode to "
			       "'user:password'", where);
		goto out;
	}
	out->username = xstrndup(plain, (size_t)(colon - plain));
	out->password = xstrdup(colon + 1);
out:
	auth_wipe_free(plain, strlen(plain));
	return rc;
}

/*
 * One auths entry: "auth", or "username" and "password", and perhaps
 * "identitytoken". Returns 1 when it holds none of them (Docker leaves
 * {} behind when a credsStore keeps the secret).
 */
static int auth_parse_entry(const struct document_auth_entry *entry,
			    const char *where, struct credential *out,
			    struct error *err)
{
	const char *b64 = entry->auth, *user = entry->username;
	const char *pass = entry->password, *token = entry->identity_token;

	if (!entry->object)
		return error_set(err, ERROR_FORMAT, "%s: not an object",
				 where);
	if (!entry->strings)
		return error_set(err, ERROR_FORMAT,
				 "%s: 'auth', 'username', 'password' and "
				 "'identitytoken' must be strings", where);
	if (b64 && *b64) {
		if (auth_decode_basic(b64, where, out, err))
			return -1;
	} else if ((user && *user) || (pass && *pass)) {
		out->username = xstrdup(user ? user : "");
		out->password = xstrdup(pass ? pass : "");
	}
	if (token && *token)
		out->identity_token = xstrdup(token);
	return out->username || out->identity_token ? 0 : 1;
}

/* The entry of auths whose key fits best; NULL when none fits. */
static const struct document_auth_entry *
auth_best_entry(const struct document_auth *doc, const struct auth_query *q,
		bool host_only)
{
	const struct document_auth_entry *best = NULL;
	size_t i, rank, best_rank = 0;

	for (i = 0; i < doc->entry_count; i++) {
		const struct document_auth_entry *e = &doc->entries[i];
		char *norm = auth_normalise_key(e->key, host_only);

		rank = auth_key_rank(norm, q);
		free(norm);
		if (rank > best_rank && e->usable) {
			best_rank = rank;
			best = e;
		}
	}
	return best;
}

static int auth_from_auths(const struct document_auth *doc,
			   const struct auth_query *q, const char *shown,
			   enum auth_format format, struct credential *out,
			   struct error *err)
{
	const struct document_auth_entry *entry;
	char qkey[AUTH_QUOTE_MAX + 8], where[2 * AUTH_QUOTE_MAX + 64];
	int rc;

	if (doc->auths != DOCUMENT_PRESENT)
		return error_set(err, ERROR_FORMAT,
				 "auth file '%s': 'auths' is not an object",
				 shown);
	entry = auth_best_entry(doc, q, format == AUTH_LEGACY);
	if (!entry)
		return 1;
	escape_quote(qkey, sizeof(qkey), entry->key, AUTH_QUOTE_MAX);
	snprintf(where, sizeof(where), "auth file '%s': entry '%s'", shown,
		 qkey);
	rc = auth_parse_entry(entry, where, out, err);
	if (rc == 0)
		snprintf(out->source, sizeof(out->source), "file:%s", shown);
	return rc;
}

/* Helper names become a program name on PATH: no '/' or oddities. */
static bool auth_helper_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > AUTH_HELPER_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    name[i]))
			return false;
	return true;
}

/*
 * Start "docker-credential-NAME get" in its own process group, with the
 * server URL waiting in a pipe on its stdin (written before the start,
 * so no SIGPIPE can reach us) and its stdout and stderr in h->fd.
 */
static int auth_helper_spawn(struct auth_helper_run *h, const char *prog,
			     const char *url, struct error *err)
{
	int in[2], outp[2], rc;
	char *argv[] = { (char *)prog, (char *)"get", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;

	if (pipe2(in, O_CLOEXEC))
		return error_set(err, ERROR_INTERNAL, "pipe: %s",
				 strerror(errno));
	if (write(in[1], url, strlen(url)) < 0 || pipe2(outp, O_CLOEXEC)) {
		rc = errno;
		close(in[0]);
		close(in[1]);
		return error_set(err, ERROR_INTERNAL, "pipe: %s",
				 strerror(rc));
	}
	close(in[1]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawnp(&h->pid, prog, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(outp[1]);
	h->fd = outp[0];
	if (rc) {
		h->pid = -1;
		return error_set(err, ERROR_AUTH,
				 "cannot run credential helper '%s': %s", prog,
				 rc == ENOENT ? "not found on PATH" :
				 strerror(rc));
	}
	return 0;
}

static int auth_helper_timeout(const char *prog, long timeout_ms,
			       struct error *err)
{
	return error_set(err, ERROR_AUTH,
			 "credential helper '%s' did not answer within %ld ms",
			 prog, timeout_ms);
}

/* One read of the helper's output; 1 at its end. */
static int auth_helper_read_some(struct auth_helper_run *h,
				 const char *prog, struct error *err)
{
	ssize_t n = read(h->fd, h->text + h->len,
			 AUTH_HELPER_OUTPUT_MAX + 1 - h->len);

	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0)
		return error_set(err, ERROR_IO,
				 "reading credential helper '%s': %s", prog,
				 strerror(errno));
	if (n == 0)
		return 1;
	h->len += (size_t)n;
	if (h->len > AUTH_HELPER_OUTPUT_MAX)
		return error_set(err, ERROR_LIMIT,
				 "credential helper '%s' printed more than %d "
				 "bytes (AUTH_HELPER_OUTPUT_MAX)", prog,
				 AUTH_HELPER_OUTPUT_MAX);
	return 0;
}

/* Read until the helper closes its output, or the deadline passes. */
static int auth_helper_read(struct auth_helper_run *h, const char *prog,
			    long timeout_ms, struct error *err)
{
	struct pollfd p = { .fd = h->fd, .events = POLLIN };
	long left;
	int rc = 0;

	h->text = xmalloc(AUTH_HELPER_OUTPUT_MAX + 2);
	while (rc == 0) {
		left = h->deadline_ms - auth_now_ms();
		if (left <= 0)
			return auth_helper_timeout(prog, timeout_ms, err);
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			return error_set(err, ERROR_IO, "poll: %s",
					 strerror(errno));
		rc = rc > 0 ? auth_helper_read_some(h, prog, err) : 0;
	}
	h->text[h->len] = '\0';
	return rc < 0 ? -1 : 0;
}

/* Reap the helper, which may linger after closing its output. */
static int auth_helper_wait(struct auth_helper_run *h, const char *prog,
			    long timeout_ms, struct error *err)
{
	const struct timespec step = { 0, AUTH_WAIT_STEP_MS * 1000000L };
	pid_t r;

	for (;;) {
		r = waitpid(h->pid, &h->status, WNOHANG);
		if (r == h->pid) {
			h->pid = -1;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return error_set(err, ERROR_INTERNAL, "waitpid: %s",
					 strerror(errno));
		if (auth_now_ms() >= h->deadline_ms)
			return auth_helper_timeout(prog, timeout_ms, err);
		nanosleep(&step, NULL);
	}
}

/* Stop a helper still running (and what it started), reap it, and wipe
   what it printed. */
static void auth_helper_release(struct auth_helper_run *h)
{
	if (h->pid > 0) {
		kill(-h->pid, SIGKILL);
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (h->fd >= 0)
		close(h->fd);
	auth_wipe_free(h->text, h->text ? AUTH_HELPER_OUTPUT_MAX + 2 : 0);
}

/* Username "<token>" marks an identity token
   (docker-credential-helpers). */
static int auth_helper_parse(const struct auth_helper_run *h,
			     const char *prog, struct credential *out,
			     struct error *err)
{
	struct document_helper_answer a;

	if (document_helper_answer_parse(h->text, h->len, &a, err) < 0)
		return error_prefix(err, "credential helper '%s'", prog);
	if (!strcmp(a.username, "<token>")) {
		out->identity_token = xstrdup(a.secret);
	} else {
		out->username = xstrdup(a.username);
		out->password = xstrdup(a.secret);
	}
	snprintf(out->source, sizeof(out->source), "helper:%s", prog);
	document_helper_answer_release(&a);
	return 0;
}

/* A failed helper: its exit and, unless it printed JSON (which may hold
   a secret), the first line of what it said. */
static int auth_helper_failed(const struct auth_helper_run *h,
			      const char *prog, struct error *err)
{
	char said[AUTH_QUOTE_MAX + 8] = "";
	const char *p = h->text + strspn(h->text, " \t\r\n");
	size_t n = strcspn(p, "\r\n");

	if (*p && *p != '{' && *p != '[' && *p != '"') {
		char *line = xstrndup(p, n);

		escape_quote(said, sizeof(said), line, AUTH_QUOTE_MAX);
		free(line);
	}
	if (WIFSIGNALED(h->status))
		return error_set(err, ERROR_AUTH,
				 "credential helper '%s' was killed by "
				 "signal %d", prog, WTERMSIG(h->status));
	return error_set(err, ERROR_AUTH,
			 "credential helper '%s' failed with exit status %d%s%s",
			 prog, WEXITSTATUS(h->status), said[0] ? ": " : "",
			 said);
}

static int auth_from_helper(const struct auth_query *q, const char *name,
			    const char *shown, struct credential *out,
			    struct error *err)
{
	struct auth_helper_run h = { .pid = -1, .fd = -1 };
	char prog[sizeof("docker-credential-") + AUTH_HELPER_NAME_MAX];
	char qname[AUTH_QUOTE_MAX + 8];
	const char *url = strcmp(q->registry, "docker.io") ?
		q->registry : AUTH_DOCKER_HUB_URL;
	int rc;

	if (!auth_helper_name_ok(name)) {
		escape_quote(qname, sizeof(qname), name, AUTH_QUOTE_MAX);
		return error_set(err, ERROR_FORMAT,
				 "auth file '%s': credential helper '%s' is "
				 "not a plain name of at most %d characters "
				 "(AUTH_HELPER_NAME_MAX)", shown, qname,
				 AUTH_HELPER_NAME_MAX);
	}
	snprintf(prog, sizeof(prog), "docker-credential-%s", name);
	h.deadline_ms = auth_now_ms() + q->timeout_ms;
	rc = auth_helper_spawn(&h, prog, url, err);
	if (!rc)
		rc = auth_helper_read(&h, prog, q->timeout_ms, err);
	if (!rc)
		rc = auth_helper_wait(&h, prog, q->timeout_ms, err);
	if (!rc && (!WIFEXITED(h.status) || WEXITSTATUS(h.status)))
		rc = strcasestr(h.text, AUTH_HELPER_NOT_FOUND) &&
		     WIFEXITED(h.status) ? 1 :
		     auth_helper_failed(&h, prog, err);
	else if (!rc)
		rc = auth_helper_parse(&h, prog, out, err);
	auth_helper_release(&h);
	return rc;
}

/* credHelpers: the registry's own helper, keyed like auths by host. */
static int auth_from_cred_helpers(const struct document_auth *doc,
				  const struct auth_query *q,
				  const char *shown, struct credential *out,
				  struct error *err)
{
	size_t i;

	if (doc->cred_helpers == DOCUMENT_ABSENT)
		return 1;
	if (doc->cred_helpers == DOCUMENT_WRONG_TYPE)
		return error_set(err, ERROR_FORMAT,
				 "auth file '%s': 'credHelpers' is not an "
				 "object", shown);
	for (i = 0; i < doc->helper_count; i++) {
		const struct document_auth_helper *h = &doc->helpers[i];
		char *norm = auth_normalise_key(h->key, true);
		bool hit = !strcmp(norm, q->registry);

		free(norm);
		if (hit && h->name)
			return auth_from_helper(q, h->name, shown, out, err);
	}
	return 1;
}

/*
 * Docker's order: the registry's credHelpers entry, then the auths
 * entry, then the credsStore helper for everything else (an inline
 * auths entry is taken first, so a helper runs only when needed).
 */
static int auth_from_doc(const struct document_auth *doc,
			 const struct auth_query *q, const char *shown,
			 enum auth_format format, struct credential *out,
			 struct error *err)
{
	int rc;

	if (format == AUTH_LEGACY)
		return auth_from_auths(doc, q, shown, format, out, err);
	rc = auth_from_cred_helpers(doc, q, shown, out, err);
	if (rc == 1 && doc->auths != DOCUMENT_ABSENT)
		rc = auth_from_auths(doc, q, shown, format, out, err);
	if (rc != 1 || doc->creds_store == DOCUMENT_ABSENT)
		return rc;
	if (doc->creds_store == DOCUMENT_WRONG_TYPE)
		return error_set(err, ERROR_FORMAT,
				 "auth file '%s': 'credsStore' is not a "
				 "string", shown);
	if (!*doc->creds_store_name)
		return 1;
	return auth_from_helper(q, doc->creds_store_name, shown, out, err);
}

static bool auth_root_is_node(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* Without openat2 (kernels before 5.6): open root + path, and take a
   file that resolves outside root for one that does not exist. */
static int auth_open_checked(const char *root, const char *path)
{
	char *full = xasprintf("%s%s", root, path);
	char *real_root = realpath(root, NULL), *real = realpath(full, NULL);
	size_t n = real_root ? strlen(real_root) : 0;
	int fd = -1;

	if (real_root && real && !strncmp(real, real_root, n) &&
	    real[n] == '/')
		fd = open(real, O_RDONLY | O_CLOEXEC);
	else if (real_root && real)
		errno = ENOENT;
	free(full);
	free(real_root);
	free(real);
	return fd;
}

/* Open path on the node. Under another root, symlinks resolve inside it
   (openat2 RESOLVE_IN_ROOT), so a link cannot reach this machine's
   files. */
static int auth_open(const char *root, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT,
	};
	int dfd, fd, saved;

	if (auth_root_is_node(root))
		return open(path, O_RDONLY | O_CLOEXEC);
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	saved = errno;
	close(dfd);
	if (fd < 0 && saved == ENOSYS)
		return auth_open_checked(root, path);
	errno = saved;
	return fd;
}

/* Read all of fd, at most AUTH_FILE_MAX bytes. The caller wipes text
   (AUTH_FILE_MAX + 1 bytes). */
static int auth_read_fd(int fd, const char *shown, char **text,
			size_t *len, struct error *err)
{
	ssize_t n = 1;

	*text = xmalloc(AUTH_FILE_MAX + 1);
	*len = 0;
	while (n > 0 && *len <= AUTH_FILE_MAX) {
		n = read(fd, *text + *len, AUTH_FILE_MAX + 1 - *len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n < 0)
			return error_set(err, ERROR_IO,
					 "cannot read auth file '%s': %s",
					 shown, strerror(errno));
		else
			*len += (size_t)n;
	}
	if (*len > AUTH_FILE_MAX)
		return error_set(err, ERROR_LIMIT,
				 "auth file '%s' is larger than %d bytes "
				 "(AUTH_FILE_MAX)", shown, AUTH_FILE_MAX);
	return 0;
}

/* Read and parse one file; 1 when it does not exist. */
static int auth_load(const char *root, const char *path, const char *shown,
		     bool legacy, struct document_auth *doc,
		     struct error *err)
{
	char *text = NULL;
	size_t len = 0;
	int fd = auth_open(root, path), rc;

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 1;
	if (fd < 0)
		return error_set(err, ERROR_IO,
				 "cannot open auth file '%s': %s", shown,
				 strerror(errno));
	rc = auth_read_fd(fd, shown, &text, &len, err);
	close(fd);
	if (!rc && document_auth_parse(text, len, legacy, doc, err) < 0)
		rc = error_prefix(err, "auth file '%s'", shown);
	auth_wipe_free(text, AUTH_FILE_MAX + 1);
	return rc;
}

static int auth_from_file(const struct auth_query *q,
			  const struct auth_candidate *c,
			  struct credential *out, struct error *err)
{
	char shown[AUTH_QUOTE_MAX + 8];
	struct document_auth doc = { 0 };
	int rc;

	escape_quote(shown, sizeof(shown), c->path, AUTH_QUOTE_MAX);
	rc = auth_load(c->local ? "" : q->root, c->path, shown,
		       c->format == AUTH_LEGACY, &doc, err);
	if (rc == 1 && c->must_exist)
		return error_set(err, ERROR_USAGE,
				 "auth file '%s' does not exist", shown);
	if (rc)
		return rc;
	rc = auth_from_doc(&doc, q, shown, c->format, out, err);
	document_auth_release(&doc);
	return rc;
}

static void auth_add(struct auth_candidate *list, size_t *n, char *path,
		     enum auth_format format, bool must_exist)
{
	list[*n].path = path;
	list[*n].format = format;
	list[*n].must_exist = must_exist;
	list[*n].local = false;
	(*n)++;
}

/*
 * The files in the order containers/image reads them: the primary file
 * (the explicit one, $REGISTRY_AUTH_FILE, or the one in the runtime
 * directory, /run/containers/0 for root without XDG_RUNTIME_DIR); the
 * per-user config one unless the primary was named; Docker's
 * ($DOCKER_CONFIG replaces ~/.docker, as in Docker); the legacy file.
 */
static size_t auth_candidates(const struct auth_options *o,
			      struct auth_candidate *list)
{
	const char *home = o->home && *o->home ? o->home : "/root";
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *dcfg = getenv("DOCKER_CONFIG");
	bool named = (o->authfile && *o->authfile) || (env && *env);
	size_t n = 0;

	if (o->authfile && *o->authfile) {
		/* a file the user names is one of this machine, as with
		   podman's --authfile and our --ca-file */
		auth_add(list, &n, xstrdup(o->authfile), AUTH_JSON, true);
		list[n - 1].local = true;
	}
	else if (env && *env)
		auth_add(list, &n, xstrdup(env), AUTH_JSON, false);
	else if (o->runtime_dir && *o->runtime_dir)
		auth_add(list, &n, xasprintf("%s/containers/auth.json",
					     o->runtime_dir), AUTH_JSON, false);
	else if (!strcmp(home, "/root"))
		auth_add(list, &n, xstrdup("/run/containers/0/auth.json"),
			 AUTH_JSON, false);
	if (!named)
		auth_add(list, &n, xasprintf("%s/.config/containers/auth.json",
					     home), AUTH_JSON, false);
	auth_add(list, &n, dcfg && *dcfg ?
		 xasprintf("%s/config.json", dcfg) :
		 xasprintf("%s/.docker/config.json", home), AUTH_JSON, false);
	auth_add(list, &n, xasprintf("%s/.dockercfg", home), AUTH_LEGACY,
		 false);
	return n;
}

int auth_lookup(const struct auth_options *o, const char *registry,
		const char *repository, struct credential *out,
		struct error *err)
{
	struct auth_candidate list[AUTH_CANDIDATES_MAX];
	struct auth_query q = {
		.root = o->root,
		.repository = repository && *repository ? repository : NULL,
		.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms :
			      AUTH_HELPER_TIMEOUT_MS,
	};
	size_t i, n;
	int rc = 1;

	memset(out, 0, sizeof(*out));
	if (!registry || !*registry || strlen(registry) > AUTH_REGISTRY_MAX ||
	    strchr(registry, '/'))
		return error_set(err, ERROR_USAGE,
				 "not a registry host of at most %d "
				 "characters (AUTH_REGISTRY_MAX)",
				 AUTH_REGISTRY_MAX);
	q.registry = auth_normalise_key(registry, true);
	n = auth_candidates(o, list);
	for (i = 0; i < n; i++) {
		if (rc == 1)
			rc = auth_from_file(&q, &list[i], out, err);
		free(list[i].path);
	}
	if (rc)
		credential_release(out);
	free(q.registry);
	return rc;
}
