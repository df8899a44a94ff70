/* The command line: options, commands, diagnostics, exit status. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../platform/binfmt.h"
#include "../platform/host.h"
#include "../platform/platform.h"
#include "buf.h"
#include "cache.h"
#include "check.h"
#include "config.h"
#include "error.h"
#include "escape.h"
#include "gate.h"
#include "kubeadm.h"
#include "reference.h"
#include "node.h"
#include "offline.h"
#include "registry.h"
#include "report.h"
#include "version.h"

/* Most --platform, --insecure-registry and --entrypoint options. */
#define CLI_LIST_MAX 64
/* Default bound on a whole run, in seconds. */
#define CLI_TIMEOUT_DEFAULT 120

struct cli {
	const char *command;
	const char *platforms[CLI_LIST_MAX];
	size_t platform_count;
	const char *insecure[CLI_LIST_MAX];
	size_t insecure_count;
	const char *entrypoint[CLI_LIST_MAX + 1];
	size_t entrypoint_count;
	bool json;
	long timeout;
	const char *root;
	bool strict;
	int verbosity;            /* -1 quiet, 0, 1 verbose */
	char *creds_user;
	char *creds_pass;
	const char *ca_file;
	enum runtime_rules rules;
	bool rules_given;         /* --runtime named them */
	const char *authfile;
	bool kubeadm_style;       /* -o kubeadm: [ERROR ...] lines */
	long page_size;           /* --page-size, 0: the running kernel's */
	const char *required[CLI_LIST_MAX];   /* --require-platform */
	size_t required_count;
	const char *compare_to;   /* --compare-to */
	const char *kubeadm_config;
	const char *kubernetes_version;
	bool help;
	bool version;
};

/* The one place diagnostics get their prefix. */
static void diag(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void diag(const char *level, const char *fmt, ...)
{
	char raw[2048];
	va_list ap;
	char *safe;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	safe = escape_text(raw, strlen(raw), sizeof(raw));
	fprintf(stderr, "image-preflight: %s: %s\n", level, safe);
	free(safe);
}

static void trace_line(void *ctx, const char *line)
{
	diag("debug", "%s", line);
}

/* Which commands an option or a help line belongs to. */
enum cli_for {
	FOR_CHECK = 1,
	FOR_HOST = 2,
	FOR_KUBEADM = 4,
	FOR_INSPECT = 8,
};

struct option_help {
	unsigned commands;   /* enum cli_for bits */
	const char *text;    /* whole lines, each ending in a newline */
};

static const struct option_help option_help[] = {
	{ FOR_CHECK,
	  "  --platform OS/ARCH[/VARIANT]  check as that node instead of "
	  "this host\n"
	  "                                (repeatable; arm64 alone is "
	  "linux/arm64)\n" },
	{ FOR_HOST,
	  "  --platform OS/ARCH[/VARIANT]  report that platform instead "
	  "of this host's\n" },
	{ FOR_INSPECT,
	  "  --platform OS/ARCH[/VARIANT]  show the entry that node would "
	  "get\n" },
	{ FOR_KUBEADM, "  --config FILE                 the kubeadm "
	  "configuration (under --root)\n"
	  "  --kubernetes-version V        the Kubernetes version to "
	  "check for\n" },
	{ FOR_CHECK | FOR_HOST | FOR_INSPECT, "  -o, --output text|json        "
	  "report format (default text)\n" },
	{ FOR_CHECK, "  -o kubeadm                    [ERROR ...] and "
	  "[WARNING ...] lines,\n"
	  "                                as kubeadm's own preflight "
	  "prints\n" },
	{ FOR_CHECK | FOR_INSPECT, "  --timeout SECONDS             bound "
	  "on the whole run (default 120)\n" },
	{ FOR_CHECK, "  --require-platform P          the tag must be an index "
	  "offering P\n"
	  "                                (repeatable; a release gate)\n"
	  "  --compare-to REF              the tag must be REF's index, not "
	  "one\n"
	  "                                of its child manifests\n" },
	{ FOR_CHECK | FOR_HOST, "  --page-size BYTES             check as a "
	  "kernel with pages of that size\n"
	  "                                (default: the running "
	  "kernel's)\n" },
	{ FOR_CHECK | FOR_HOST | FOR_INSPECT, "  --root DIR                    "
	  "read the node's files under DIR\n" },
	{ FOR_CHECK,
	  "  --strict                      a WARN counts as a FAIL\n" },
	{ FOR_CHECK | FOR_INSPECT, "  -q, --quiet                   no "
	  "warnings on stderr\n"
	  "  -v, --verbose                 every request on stderr\n"
	  "                                (the last of -q and -v wins)\n" },
	{ FOR_CHECK | FOR_INSPECT, "  --creds USER[:PASSWORD]       "
	  "registry credentials (or the\n"
	  "                                IMAGE_PREFLIGHT_CREDS variable)\n"
	  "  --ca-file FILE                extra CA certificates for TLS\n"
	  "  --insecure-registry HOST[:PORT]\n"
	  "                                allow plain HTTP and unverified "
	  "TLS\n"
	  "                                for that registry (repeatable)\n"
	  "  --authfile FILE               registry credentials file "
	  "(auth.json\n"
	  "                                or Docker config.json format)\n"
	  "  --runtime auto|any|containerd|cri-o\n"
	  "                                whose rules and configuration "
	  "apply\n"
	  "                                (default auto: the node's "
	  "runtime)\n" },
	{ FOR_CHECK, "  --entrypoint ARG              the command to check "
	  "instead of the\n"
	  "                                image's (repeat for each "
	  "argument)\n" },
	{ FOR_CHECK | FOR_HOST | FOR_INSPECT, "  -h, --help                    "
	  "this help\n" },
};

static const char overview_text[] =
	"usage: image-preflight check [OPTIONS] IMAGE...\n"
	"       image-preflight kubeadm [OPTIONS] [--config FILE] "
	"[--kubernetes-version V]\n"
	"       image-preflight inspect [OPTIONS] IMAGE\n"
	"       image-preflight host [OPTIONS]\n"
	"       image-preflight --help | --version | help COMMAND\n"
	"\n"
	"Will this container image start on this node?\n"
	"\n"
	"Commands:\n";

static const char overview_tail[] =
	"\n"
	"Options:\n"
	"  -h, --help     this overview\n"
	"  --version      the version\n"
	"\n"
	"'image-preflight help COMMAND' shows a command's options.\n"
	"Exit status: 0 all PASS or WARN, 1 a FAIL, 2 an UNKNOWN, 3 usage.\n";

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag("error", "%s", msg);
	fprintf(stderr, "try 'image-preflight --help'\n");
	return -1;
}

static int push(const char **list, size_t *count, const char *value,
		const char *option)
{
	if (*count >= CLI_LIST_MAX)
		return usage_error("more than %d %s options (CLI_LIST_MAX)",
				   CLI_LIST_MAX, option);
	list[(*count)++] = value;
	return 0;
}

static int set_output(struct cli *c, const char *v)
{
	c->kubeadm_style = false;
	if (!strcmp(v, "json"))
		c->json = true;
	else if (!strcmp(v, "text"))
		c->json = false;
	else if (!strcmp(v, "kubeadm"))
		c->json = false, c->kubeadm_style = true;
	else
		return usage_error("invalid output format '%s': expected "
				   "text, json or kubeadm", v);
	return 0;
}

static int set_timeout(struct cli *c, const char *v)
{
	char *end;

	c->timeout = strtol(v, &end, 10);
	if (end == v || *end || c->timeout <= 0 || c->timeout > 86400)
		return usage_error("invalid timeout '%s': expected seconds "
				   "between 1 and 86400", v);
	return 0;
}

static int set_creds(struct cli *c, const char *v)
{
	const char *colon = strchr(v, ':');

	free(c->creds_user);
	free(c->creds_pass);
	c->creds_user = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v);
	c->creds_pass = xstrdup(colon ? colon + 1 : "");
	if (!*c->creds_user)
		return usage_error("invalid --creds: empty user name");
	return 0;
}

/* Kernels use pages of 4 KiB to 1 MiB, always a power of two. */
static int set_page_size(struct cli *c, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || *end || n < 4096 || n > 1048576 || (n & (n - 1)))
		return usage_error("invalid page size '%s': expected a power "
				   "of two from 4096 to 1048576 bytes", v);
	c->page_size = n;
	return 0;
}

static int set_rules(struct cli *c, const char *v)
{
	c->rules_given = strcmp(v, "auto") != 0;
	if (!strcmp(v, "auto"))
		c->rules = RULES_ANY;
	else if (!strcmp(v, "containerd"))
		c->rules = RULES_CONTAINERD;
	else if (!strcmp(v, "cri-o") || !strcmp(v, "crio"))
		c->rules = RULES_CRIO;
	else if (!strcmp(v, "any"))
		c->rules = RULES_ANY;
	else
		return usage_error("invalid runtime '%s': expected auto, any, "
				   "containerd or cri-o", v);
	return 0;
}

/* A path curl would only fail on later, as a TLS error per image: a
   readable regular file is required now (the PEM is curl's to parse). */
static int set_file_option(const char **slot, const char *v,
			   const char *option)
{
	const char *why = NULL;
	struct stat st;
	int fd;

	fd = open(v, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "a directory, expected a file";
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	if (fd >= 0)
		close(fd);
	if (why)
		return usage_error("cannot use %s '%s': %s", option, v, why);
	*slot = v;
	return 0;
}

static int set_ca_file(struct cli *c, const char *v)
{
	return set_file_option(&c->ca_file, v, "--ca-file");
}

static int set_root(struct cli *c, const char *v)
{
	struct stat st;

	if (stat(v, &st) < 0)
		return usage_error("cannot use --root '%s': %s", v,
				   strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return usage_error("cannot use --root '%s': not a directory",
				   v);
	c->root = v;
	return 0;
}

/* "[v6addr]" or a name of letters, digits, '.', '-' and '_'. */
static size_t insecure_host_len(const char *v)
{
	size_t n;

	if (*v == '[') {
		n = 1 + strspn(v + 1, "0123456789abcdefABCDEF:.");
		return n > 1 && v[n] == ']' ? n + 1 : 0;
	}
	return strspn(v, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
}

/* The registry is matched against a reference's host[:port] as written
   (reference.h), so a scheme or a path would never match anything. */
static int add_insecure(struct cli *c, const char *v)
{
	size_t n = insecure_host_len(v);
	const char *port = v + n;
	char *end;
	long p = 0;

	if (*port == ':') {
		p = strtol(port + 1, &end, 10);
		if (!isdigit((unsigned char)port[1]) || *end || p < 1 ||
		    p > 65535)
			n = 0;
	} else if (*port) {
		n = 0;
	}
	if (!n)
		return usage_error("invalid --insecure-registry '%s': "
				   "expected HOST[:PORT], such as "
				   "registry.local:5000, without a scheme "
				   "or a path", v);
	return push(c->insecure, &c->insecure_count, v,
		    "--insecure-registry");
}

enum opt_id {
	OPT_PLATFORM = 256, OPT_TIMEOUT, OPT_ROOT, OPT_STRICT, OPT_CREDS,
	OPT_CA_FILE, OPT_INSECURE, OPT_ENTRYPOINT, OPT_RUNTIME, OPT_VERSION,
	OPT_AUTHFILE, OPT_KUBEADM_CONFIG, OPT_KUBERNETES_VERSION,
	OPT_PAGE_SIZE, OPT_REQUIRE_PLATFORM, OPT_COMPARE_TO,
};

static const struct option long_options[] = {
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "output", required_argument, NULL, 'o' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "creds", required_argument, NULL, OPT_CREDS },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "insecure-registry", required_argument, NULL, OPT_INSECURE },
	{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "authfile", required_argument, NULL, OPT_AUTHFILE },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "require-platform", required_argument, NULL, OPT_REQUIRE_PLATFORM },
	{ "compare-to", required_argument, NULL, OPT_COMPARE_TO },
	{ "config", required_argument, NULL, OPT_KUBEADM_CONFIG },
	{ "kubernetes-version", required_argument, NULL,
	  OPT_KUBERNETES_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int apply_option(struct cli *c, int id, const char *arg)
{
	switch (id) {
	case OPT_PLATFORM:
		return push(c->platforms, &c->platform_count, arg,
			    "--platform");
	case 'o':
		return set_output(c, arg);
	case OPT_TIMEOUT:
		return set_timeout(c, arg);
	case OPT_ROOT:
		return set_root(c, arg);
	case OPT_STRICT:
		c->strict = true;
		return 0;
	case 'q':
		c->verbosity = -1;
		return 0;
	case 'v':
		c->verbosity = 1;
		return 0;
	case OPT_CREDS:
		return set_creds(c, arg);
	case OPT_CA_FILE:
		return set_ca_file(c, arg);
	case OPT_INSECURE:
		return add_insecure(c, arg);
	case OPT_ENTRYPOINT:
		return push(c->entrypoint, &c->entrypoint_count, arg,
			    "--entrypoint");
	case OPT_RUNTIME:
		return set_rules(c, arg);
	case OPT_AUTHFILE:
		return set_file_option(&c->authfile, arg, "--authfile");
	case OPT_PAGE_SIZE:
		return set_page_size(c, arg);
	case OPT_REQUIRE_PLATFORM:
		return push(c->required, &c->required_count, arg,
			    "--require-platform");
	case OPT_COMPARE_TO:
		c->compare_to = arg;
		return 0;
	case OPT_KUBEADM_CONFIG:
		c->kubeadm_config = arg;
		return 0;
	case OPT_KUBERNETES_VERSION:
		c->kubernetes_version = arg;
		return 0;
	case 'h':
		c->help = true;
		return 0;
	case OPT_VERSION:
		c->version = true;
		return 0;
	default:
		return usage_error("unknown option; see --help");
	}
}

/* The option getopt stopped at, as typed: "--name" (without "=value")
   when the element is a long option, else the short letter. */
static void option_name(char **argv, char *buf, size_t size)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (!strncmp(arg, "--", 2))
		snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, size, "-%c", optopt ? optopt : '?');
}

/* The leading ':' makes getopt tell a missing value (':') from an
   unknown option ('?'); opterr = 0 keeps its own messages quiet. */
static int parse_options(struct cli *c, int argc, char **argv)
{
	char name[64];
	int id;

	opterr = 0;
	optind = 1;
	while ((id = getopt_long(argc, argv, ":o:qvh", long_options,
				 NULL)) != -1) {
		if (id == ':' || id == '?')
			option_name(argv, name, sizeof(name));
		if (id == ':')
			return usage_error("option '%s' needs a value", name);
		if (id == '?' && optopt && strchr(argv[optind - 1], '='))
			return usage_error("option '%s' takes no value", name);
		if (id == '?')
			return usage_error("invalid option '%s'", name);
		if (apply_option(c, id, optarg) < 0)
			return -1;
	}
	return 0;
}

static int detect_host(const struct cli *c, struct host *host)
{
	struct error err;

	error_init(&err);
	if (host_detect(host, c->root ? c->root : "", &err) < 0) {
		diag("error", "cannot detect this node: %s", err.message);
		return -1;
	}
	if (c->page_size)
		host->page_size = c->page_size;
	return 0;
}

/* Parse every --platform into plats, dropping repeats of a platform
   already there (after normalisation, so arm64 and linux/arm64/v8 are
   one node); *count becomes the number kept, in the order given. */
static int parse_platforms(const struct cli *c, struct platform *plats,
			   size_t *count)
{
	struct error err;
	size_t i, j;

	*count = 0;
	for (i = 0; i < c->platform_count; i++) {
		error_init(&err);
		if (!strcmp(c->platforms[i], "all")) {
			if (c->platform_count > 1)
				return usage_error("--platform all names "
						   "every platform: give no "
						   "other --platform");
			continue;
		}
		if (platform_parse(c->platforms[i], &plats[*count], &err) < 0)
			return usage_error("%s", err.message);
		if (!platform_is_valid(&plats[*count]))
			return usage_error("not a valid platform: '%s'",
					   c->platforms[i]);
		for (j = 0; j < *count; j++)
			if (platform_equal(&plats[j], &plats[*count]))
				break;
		if (j == *count)
			(*count)++;
	}
	return 0;
}


/* Drop repeated IMAGE arguments (the same text), keeping the first of
   each in order; returns how many are left. */
static int drop_repeats(char **argv, int argc)
{
	int i, j, kept = 0;

	for (i = 0; i < argc; i++) {
		for (j = 0; j < kept; j++)
			if (!strcmp(argv[j], argv[i]))
				break;
		if (j == kept)
			argv[kept++] = argv[i];
	}
	return kept;
}

/* Every reference and option is checked before anything is fetched:
   a usage error means nothing was checked. */
static int validate(struct cli *c, int argc, char **argv,
		    struct platform *plats, size_t *nplat)
{
	struct reference ref;
	struct error err;
	int i;

	if (argc == 0)
		return usage_error("check needs at least one IMAGE");
	for (i = 0; i < argc; i++) {
		struct offline_ref oref = { 0 };
		int off;

		error_init(&err);
		off = offline_parse(argv[i], &oref, &err);
		offline_ref_release(&oref);
		if (off < 0)
			return usage_error("%s", err.message);
		if (off == 0)
			continue;
		memset(&ref, 0, sizeof(ref));
		if (reference_parse(argv[i], &ref, &err) < 0)
			return usage_error("%s", err.message);
		reference_release(&ref);
	}
	for (i = 0; i < (int)c->required_count; i++) {
		struct platform p;

		error_init(&err);
		if (platform_parse(c->required[i], &p, &err) < 0)
			return usage_error("%s", err.message);
	}
	if (c->compare_to) {
		error_init(&err);
		memset(&ref, 0, sizeof(ref));
		if (reference_parse(c->compare_to, &ref, &err) < 0)
			return usage_error("--compare-to: %s", err.message);
		reference_release(&ref);
	}
	/* A runtime would fail to exec "" before looking at the image. */
	if (c->entrypoint_count && !c->entrypoint[0][0])
		return usage_error("invalid --entrypoint '': the first one "
				   "names the program to run");
	return parse_platforms(c, plats, nplat);
}

static void fill_registry_options(const struct cli *c,
				  struct registry_options *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->username = c->creds_user;
	ro->password = c->creds_pass;
	ro->ca_file = c->ca_file;
	ro->insecure_hosts = c->insecure;
	ro->insecure_count = c->insecure_count;
	ro->deadline_ms = registry_now_ms() + c->timeout * 1000LL;
	if (c->verbosity > 0)
		ro->trace = trace_line;
}

static void warn_unknowns(const struct cli *c, const struct image_result *r,
			  size_t n)
{
	size_t i, j;

	if (c->verbosity < 0)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < r[i].findings.count; j++)
			if (r[i].findings.items[j].severity ==
			    SEVERITY_UNKNOWN)
				diag("warning", "%s: %s", r[i].reference,
				     r[i].findings.items[j].message);
}

/* Images are checked this many at a time: kubeadm's whole list (API
   server, controller manager, scheduler, proxy, etcd, CoreDNS, pause)
   and the runtime's sandbox image go at once, so the set takes about as
   long as its slowest image; the work is mostly waiting on the network. */
#define CLI_PARALLEL 8

struct work {
	pthread_mutex_t lock;
	size_t next;              /* the next job to take */
	size_t count;
	char **argv;
	int argc;
	const struct check_options *opt;
	const struct host *host;
	const struct platform *plats;
	size_t nplat;
	struct image_result *results;
};

/* Job k is image k on each platform in turn (or this host): one image's
   platforms in one thread, so that its documents come from the run's
   cache after the first, never fetched twice. */
static void *check_worker(void *arg)
{
	struct work *w = arg;

	for (;;) {
		struct check_options opt = *w->opt;
		struct host host = *w->host;
		size_t k, i;

		pthread_mutex_lock(&w->lock);
		k = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (k >= w->count)
			return NULL;
		opt.host = &host;
		for (i = 0; i < (w->nplat ? w->nplat : 1); i++) {
			if (w->nplat) {
				host.platform = w->plats[i];
				host.overridden = true;
			}
			check_image(w->argv[k], &opt,
				    &w->results[i * (size_t)w->argc + k]);
		}
	}
}

/* Each image on each platform (on this host alone when there are no
   platforms), in that order, into results, CLI_PARALLEL at a time. */
static void check_all(char **argv, int argc, struct check_options *opt,
		      const struct host *host, const struct platform *plats,
		      size_t nplat, struct image_result *results)
{
	struct work w = { .argv = argv, .argc = argc, .opt = opt,
			  .host = host, .plats = plats, .nplat = nplat,
			  .results = results };
	pthread_t threads[CLI_PARALLEL];
	size_t i, started = 0;

	w.count = (size_t)argc;
	pthread_mutex_init(&w.lock, NULL);
	for (i = 0; i < CLI_PARALLEL && i < w.count; i++)
		if (pthread_create(&threads[i], NULL, check_worker, &w) == 0)
			started++;
	if (!started)
		check_worker(&w);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&w.lock);
}

static void print_report(const struct cli *c, const struct host *host,
			 const struct image_result *results, size_t n)
{
	struct report_style style = { 0 };

	style.color = !c->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	style.verbose = c->verbosity > 0;
	style.rules = runtime_rules_name(c->rules);
	style.strict = c->strict;
	if (c->json)
		report_check_json(stdout, host, results, n, &style);
	else if (c->kubeadm_style)
		report_check_kubeadm(stdout, results, n);
	else
		report_check_text(stdout, host, results, n, &style);
	fflush(stdout);
}

static bool all_platforms(const struct cli *c)
{
	return c->platform_count == 1 && !strcmp(c->platforms[0], "all");
}

static void push_result(struct image_result **list, size_t *n,
			struct image_result *r)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = *r;
}

/*
 * --platform all: each image once as this node, then each runnable entry
 * of its index as a node of that entry's own platform (a single manifest
 * as a node of its config's platform). The run's cache makes the second
 * look at each document free.
 */
static void check_every_platform(char **argv, int argc,
				 const struct check_options *opt,
				 struct image_result **out, size_t *n)
{
	struct check_options o = *opt;
	struct host host = *opt->host;
	struct image_result first, r;

	o.host = &host;
	host.overridden = true;
	for (int a = 0; a < argc; a++) {
		size_t before = *n;

		check_image(argv[a], opt, &first);
		for (size_t i = 0; i < first.offered_count; i++) {
			if (!first.offered[i].valid)
				continue;
			host.platform = first.offered[i].platform;
			check_image(argv[a], &o, &r);
			push_result(out, n, &r);
		}
		if (first.top_kind != DOC_INDEX && first.has_config) {
			host.platform = first.config_platform;
			check_image(argv[a], &o, &r);
			push_result(out, n, &r);
		}
		if (*n > before)
			image_result_release(&first);
		else
			push_result(out, n, &first);   /* why it stopped */
	}
}

/* The release gate's questions, asked of every result. */
static void apply_gate(const struct cli *c, const struct check_options *opt,
		       struct image_result *results, size_t n)
{
	struct platform req[CLI_LIST_MAX];
	struct image_result ref;
	struct error err;
	size_t i, k = 0;

	for (i = 0; i < c->required_count; i++) {
		error_init(&err);
		if (platform_parse(c->required[i], &req[k], &err) == 0)
			k++;
	}
	if (c->required_count)
		for (i = 0; i < n; i++)
			gate_require(&results[i], req, k, c->strict);
	if (!c->compare_to)
		return;
	check_image(c->compare_to, opt, &ref);
	for (i = 0; i < n; i++)
		gate_compare(&results[i], &ref, c->strict);
	image_result_release(&ref);
}

static int run_checks(struct cli *c, int argc, char **argv,
		      const struct host *base, const struct platform *plats,
		      size_t nplat, const struct node *node,
		      const struct binfmt_list *binfmt)
{
	size_t n = (nplat ? nplat : 1) * (size_t)argc, i;
	struct image_result *results = NULL;
	enum verdict *verdicts;
	struct registry_options ro;
	struct check_options opt = { 0 };
	int status;

	fill_registry_options(c, &ro);
	ro.cache = cache_new();
	opt.host = base;
	opt.registry = &ro;
	opt.node = node;
	opt.binfmt = binfmt;
	opt.rules = c->rules;
	opt.strict = c->strict;
	c->entrypoint[c->entrypoint_count] = NULL;
	opt.entrypoint = c->entrypoint_count ? c->entrypoint : NULL;
	if (all_platforms(c)) {
		n = 0;
		check_every_platform(argv, argc, &opt, &results, &n);
	} else {
		results = xcalloc(n, sizeof(*results));
		check_all(argv, argc, &opt, base, plats, nplat, results);
	}
	verdicts = xcalloc(n ? n : 1, sizeof(*verdicts));
	apply_gate(c, &opt, results, n);
	print_report(c, base, results, n);
	warn_unknowns(c, results, n);
	for (i = 0; i < n; i++)
		verdicts[i] = results[i].verdict;
	status = verdict_exit_status(verdicts, n);
	for (i = 0; i < n; i++)
		image_result_release(&results[i]);
	free(results);
	free(verdicts);
	cache_free(ro.cache);
	return status;
}

/*
 * The node's runtime and its configuration. Unless --runtime named them,
 * the rules are the detected runtime's; with none detected, those of
 * any runtime (fail what any of them refuses).
 */
static int load_node(struct cli *c, struct node *node)
{
	enum node_runtime forced = NODE_RUNTIME_UNKNOWN;
	struct error err;

	if (c->rules_given && c->rules == RULES_CONTAINERD)
		forced = NODE_RUNTIME_CONTAINERD;
	else if (c->rules_given && c->rules == RULES_CRIO)
		forced = NODE_RUNTIME_CRIO;
	error_init(&err);
	if (node_load(node, c->root ? c->root : "", forced, c->authfile,
		      &err) < 0) {
		diag("error", "%s", err.message);
		return -1;
	}
	if (!c->rules_given && node->runtime == NODE_RUNTIME_CONTAINERD)
		c->rules = RULES_CONTAINERD;
	else if (!c->rules_given && node->runtime == NODE_RUNTIME_CRIO)
		c->rules = RULES_CRIO;
	return 0;
}

/*
 * The emulators the node's kernel runs foreign programs with (binfmt_misc).
 * A --platform node without --root is not this machine, so this
 * machine's emulators do not apply to it: *out stays NULL then.
 */
static int load_binfmt(const struct cli *c, size_t nplat,
		       struct binfmt_list *list,
		       const struct binfmt_list **out)
{
	struct error err;

	*out = NULL;
	memset(list, 0, sizeof(*list));
	if (nplat && !c->root)
		return 0;
	error_init(&err);
	if (binfmt_load(c->root ? c->root : "", list, &err) < 0) {
		diag("error", "cannot read the node's binfmt_misc: %s",
		     err.message);
		binfmt_list_release(list);
		return -1;
	}
	*out = list;
	return 0;
}

/*
 * Whether the node runs 32-bit programs. A --platform node without
 * --root is not this machine: nothing is read for it. Under --root only
 * files are read; the running kernel is asked only about itself.
 */
static void load_compat32(const struct cli *c, size_t nplat,
			  struct host *host)
{
	memset(&host->compat32, 0, sizeof(host->compat32));
	if (nplat && !c->root)
		return;
	compat32_read(c->root ? c->root : "", host->kernel, !c->root,
		      host->platform.arch, &host->compat32);
}

/* What every command reads of the node before anything else. */
struct setting {
	struct host host;
	struct node node;
	struct binfmt_list binfmt;
	const struct binfmt_list *emus;   /* NULL when not read */
};

static int load_setting(struct cli *c, size_t nplat, struct setting *s)
{
	if (detect_host(c, &s->host) < 0 || load_node(c, &s->node) < 0)
		return -1;
	load_compat32(c, nplat, &s->host);
	if (load_binfmt(c, nplat, &s->binfmt, &s->emus) < 0) {
		node_release(&s->node);
		return -1;
	}
	return 0;
}

static void release_setting(struct setting *s)
{
	binfmt_list_release(&s->binfmt);
	node_release(&s->node);
}

static int cmd_host(struct cli *c, int argc, char **argv)
{
	struct platform plats[CLI_LIST_MAX];
	struct setting set;
	size_t nplat;

	if (argc > 0)
		return usage_error("host takes no arguments, got '%s'",
				   argv[0]), EXIT_USAGE;
	if (parse_platforms(c, plats, &nplat) < 0 ||
	    load_setting(c, nplat, &set) < 0)
		return EXIT_USAGE;
	if (nplat) {
		set.host.platform = plats[0];
		set.host.overridden = true;
	}
	if (c->json) {
		report_host_json(stdout, &set.host, &set.node, set.emus);
	} else {
		report_host_text(stdout, &set.host);
		report_node_text(stdout, &set.node);
		report_binfmt_text(stdout, set.emus);
	}
	release_setting(&set);
	return EXIT_PASS;
}

static int cmd_check(struct cli *c, int argc, char **argv)
{
	struct platform plats[CLI_LIST_MAX];
	struct setting set;
	const char *env;
	size_t nplat;
	int status;

	if (validate(c, argc, argv, plats, &nplat) < 0)
		return EXIT_USAGE;
	argc = drop_repeats(argv, argc);
	env = getenv("IMAGE_PREFLIGHT_CREDS");
	if (!c->creds_user && env && *env && set_creds(c, env) < 0)
		return EXIT_USAGE;
	if (load_setting(c, nplat, &set) < 0)
		return EXIT_USAGE;
	status = run_checks(c, argc, argv, &set.host, plats, nplat,
			    &set.node, set.emus);
	release_setting(&set);
	return status;
}

/* Every image kubeadm would use here, and the runtime's sandbox image. */
static char **kubeadm_images(struct cli *c, const struct node *node,
			     int *count)
{
	struct kubeadm_options o = { 0 };
	struct kubeadm_images list = { 0 };
	const char *sandbox = node_sandbox_image(node);
	struct error err;
	char **refs;
	size_t i, n = 0;

	o.root = c->root ? c->root : "";
	o.config_file = c->kubeadm_config;
	o.kubernetes_version = c->kubernetes_version;
	error_init(&err);
	if (kubeadm_list_images(&o, &list, &err) < 0) {
		diag("error", "cannot list kubeadm's images: %s", err.message);
		return NULL;
	}
	refs = xcalloc(list.count + 2, sizeof(*refs));
	for (i = 0; i < list.count; i++)
		refs[n++] = xstrdup(list.items[i].reference);
	for (i = 0; sandbox && i < n && strcmp(refs[i], sandbox); i++)
		;
	if (sandbox && i == n)
		refs[n++] = xstrdup(sandbox);
	if (c->verbosity >= 0)
		diag("info", "%zu images for Kubernetes %s (from %s)%s%s", n,
		     list.version[0] ? list.version : "?", list.source,
		     sandbox ? ", sandbox image from the runtime: " : "",
		     sandbox ? sandbox : "");
	kubeadm_images_release(&list);
	*count = (int)n;
	return refs;
}

static int cmd_kubeadm(struct cli *c, int argc, char **argv)
{
	struct platform plats[CLI_LIST_MAX];
	struct setting set;
	size_t nplat;
	char **refs;
	int n = 0, status = EXIT_USAGE;

	if (argc > 0)
		return usage_error("kubeadm takes no IMAGE, got '%s'",
				   argv[0]), EXIT_USAGE;
	if (parse_platforms(c, plats, &nplat) < 0 ||
	    load_setting(c, nplat, &set) < 0)
		return EXIT_USAGE;
	refs = kubeadm_images(c, &set.node, &n);
	if (refs)
		status = run_checks(c, n, refs, &set.host, plats, nplat,
				    &set.node, set.emus);
	for (int i = 0; refs && i < n; i++)
		free(refs[i]);
	free(refs);
	release_setting(&set);
	return status;
}

/* What inspect cannot do: the options that only make sense for a check. */
static int inspect_refuses(const struct cli *c, int argc)
{
	if (argc != 1)
		return usage_error("inspect takes one IMAGE, got %d", argc);
	if (c->platform_count > 1 || all_platforms(c))
		return usage_error("inspect takes at most one --platform: the "
				   "node whose entry it shows");
	if (c->entrypoint_count || c->required_count || c->compare_to ||
	    c->kubeadm_style || c->strict)
		return usage_error("--entrypoint, --require-platform, "
				   "--compare-to, --strict and -o kubeadm "
				   "are for check");
	return 0;
}

/* Exit status of inspect: the tree read whole, or why not. A node could
   not pull the image either when one of these stopped the reading. */
static int inspect_status(const struct image_result *r)
{
	static const char *const unpullable[] = {
		"image-not-found", "content-digest-mismatch",
		"schema1-manifest", "registry-blocked",
	};
	size_t i, k;

	if (r->tree_complete)
		return EXIT_PASS;
	for (i = 0; i < r->findings.count; i++)
		for (k = 0; k < sizeof(unpullable) / sizeof(*unpullable); k++)
			if (!strcmp(r->findings.items[i].code, unpullable[k]))
				return EXIT_FAIL;
	return EXIT_UNKNOWN;
}

static int cmd_inspect(struct cli *c, int argc, char **argv)
{
	struct platform plats[CLI_LIST_MAX];
	struct registry_options ro;
	struct check_options opt = { 0 };
	struct image_result r;
	struct setting set;
	const char *env;
	size_t nplat;
	int status;

	if (inspect_refuses(c, argc) < 0 ||
	    validate(c, argc, argv, plats, &nplat) < 0)
		return EXIT_USAGE;
	env = getenv("IMAGE_PREFLIGHT_CREDS");
	if (!c->creds_user && env && *env && set_creds(c, env) < 0)
		return EXIT_USAGE;
	if (load_setting(c, nplat, &set) < 0)
		return EXIT_USAGE;
	if (nplat) {
		set.host.platform = plats[0];
		set.host.overridden = true;
	}
	fill_registry_options(c, &ro);
	ro.cache = cache_new();
	opt.host = &set.host;
	opt.registry = &ro;
	opt.node = &set.node;
	opt.rules = c->rules;
	opt.tree_only = true;
	check_image(argv[0], &opt, &r);
	if (c->json)
		report_inspect_json(stdout, &set.host, &r,
				    runtime_rules_name(c->rules));
	else
		report_inspect_text(stdout, &r);
	fflush(stdout);
	warn_unknowns(c, &r, 1);
	status = inspect_status(&r);
	image_result_release(&r);
	cache_free(ro.cache);
	release_setting(&set);
	return status;
}

struct command {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);
	const char *summary;
	unsigned bit;          /* enum cli_for: its lines in option_help */
	const char *synopsis;  /* the usage line and what it does */
	const char *status;    /* its exit statuses */
};

static const struct command commands[] = {
	{ "check", cmd_check, "will each IMAGE start on this node?",
	  FOR_CHECK,
	  "usage: image-preflight check [OPTIONS] IMAGE...\n"
	  "\n"
	  "Will each IMAGE start on this node? Fetches the image's index,\n"
	  "manifest and config from its registry, picks the entry the node\n"
	  "would pull, and checks the entrypoint's ELF header against the\n"
	  "node. One verdict per image and platform: PASS, WARN, FAIL or\n"
	  "UNKNOWN.\n",
	  "Exit status: 0 all PASS or WARN, 1 a FAIL, 2 an UNKNOWN, "
	  "3 usage.\n" },
	{ "kubeadm", cmd_kubeadm, "the same for every image kubeadm uses",
	  FOR_CHECK | FOR_KUBEADM,
	  "usage: image-preflight kubeadm [OPTIONS] [--config FILE]\n"
	  "                               [--kubernetes-version V]\n"
	  "\n"
	  "Checks every image kubeadm would use on this node (control\n"
	  "plane, etcd, CoreDNS, kube-proxy, pause) and the runtime's\n"
	  "sandbox image: the list comes from `kubeadm config images list`\n"
	  "when kubeadm is installed, else from the configuration file and\n"
	  "a table of kubeadm's versions.\n",
	  "Exit status: 0 all PASS or WARN, 1 a FAIL, 2 an UNKNOWN, "
	  "3 usage.\n" },
	{ "inspect", cmd_inspect, "the tree IMAGE resolves to, and this "
	  "node's entry", FOR_INSPECT,
	  "usage: image-preflight inspect [OPTIONS] IMAGE\n"
	  "\n"
	  "The tree IMAGE resolves to: its index (or single manifest), each\n"
	  "platform manifest with its config, digests and sizes, and which\n"
	  "entry this node's runtime would pull, and why. Reads no layer.\n",
	  "Exit status: 0 the whole tree was read, 1 the image does not\n"
	  "exist or cannot be pulled (it is not there, or its content\n"
	  "does not match its digest), 2 part of it could not be read,\n"
	  "3 usage.\n" },
	{ "host", cmd_host, "what this node is, as the checker sees it",
	  FOR_HOST,
	  "usage: image-preflight host [OPTIONS]\n"
	  "\n"
	  "What this node is, as the checker sees it: OS, architecture,\n"
	  "variant (and where it came from), uname machine, kernel, page\n"
	  "size, runtime, and the emulators registered in binfmt_misc.\n",
	  "Exit status: 0, or 3 on a usage error.\n" },
};

#define CLI_COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < CLI_COMMAND_COUNT; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_overview(FILE *out)
{
	size_t i;

	fputs(overview_text, out);
	for (i = 0; i < CLI_COMMAND_COUNT; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fputs(overview_tail, out);
}

/* A command's synopsis, what it does, and only its own options. */
static void print_command_help(const struct command *cmd)
{
	size_t i;

	printf("%s\nOptions:\n", cmd->synopsis);
	for (i = 0; i < sizeof(option_help) / sizeof(option_help[0]); i++)
		if (option_help[i].commands & cmd->bit)
			fputs(option_help[i].text, stdout);
	printf("\n%s", cmd->status);
}

/* "help [COMMAND]", "COMMAND --help" or "--help": the overview without
   a command, else that command's help. */
static int show_help(const struct cli *c, int argc, char **argv)
{
	const struct command *cmd;
	const char *name = NULL;

	if (argc > 0 && strcmp(argv[0], "help"))
		name = argv[0];
	else if (argc > 1 && strcmp(argv[1], "help"))
		name = argv[1];
	if (!name) {
		print_overview(stdout);
		return EXIT_PASS;
	}
	cmd = find_command(name);
	if (!cmd)
		return usage_error("unknown command '%s'", name), EXIT_USAGE;
	print_command_help(cmd);
	return EXIT_PASS;
}

static void release(struct cli *c)
{
	if (c->creds_pass)
		explicit_bzero(c->creds_pass, strlen(c->creds_pass));
	free(c->creds_user);
	free(c->creds_pass);
}

static int dispatch(struct cli *c, int argc, char **argv)
{
	const struct command *cmd;

	if (c->version) {
		version_print(stdout);
		return EXIT_PASS;
	}
	if (argc == 0 && !c->help) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	if (c->help || !strcmp(argv[0], "help"))
		return show_help(c, argc, argv);
	cmd = find_command(argv[0]);
	if (!cmd)
		return usage_error("unknown command '%s'", argv[0]),
		       EXIT_USAGE;
	return cmd->run(c, argc - 1, argv + 1);
}

int cli_main(int argc, char **argv)
{
	struct cli c = { .timeout = CLI_TIMEOUT_DEFAULT };
	int status;

	if (parse_options(&c, argc, argv) < 0) {
		release(&c);
		return EXIT_USAGE;
	}
	status = dispatch(&c, argc - optind, argv + optind);
	release(&c);
	return status;
}
