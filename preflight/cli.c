/* The command line: options, commands, diagnostics, exit status. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../platform/host.h"
#include "buf.h"
#include "cache.h"
#include "check.h"
#include "config.h"
#include "error.h"
#include "escape.h"
#include "reference.h"
#include "registry.h"
#include "report.h"

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

static const char usage_text[] =
	"usage: image-preflight check [OPTIONS] IMAGE...\n"
	"       image-preflight host [OPTIONS]\n"
	"       image-preflight --help | --version | help COMMAND\n"
	"\n"
	"Will this container image start on this node?\n"
	"\n"
	"Options:\n"
	"  --platform OS/ARCH[/VARIANT]  check as that node instead of this "
	"host\n"
	"                                (repeatable)\n"
	"  -o, --output text|json        report format (default text)\n"
	"  --timeout SECONDS             bound on the whole run (default "
	"120)\n"
	"  --root DIR                    read the node's files under DIR\n"
	"  --strict                      a WARN counts as a FAIL\n"
	"  -q, --quiet                   fewer diagnostics on stderr\n"
	"  -v, --verbose                 more diagnostics, every request\n"
	"  --creds USER[:PASSWORD]       registry credentials (or the\n"
	"                                IMAGE_PREFLIGHT_CREDS variable)\n"
	"  --ca-file FILE                extra CA certificates for TLS\n"
	"  --insecure-registry HOST      allow plain HTTP and unverified TLS\n"
	"                                for HOST[:PORT] (repeatable)\n"
	"  --entrypoint ARG              the command to check instead of the\n"
	"                                image's (repeat for each argument)\n"
	"  --runtime any|containerd|cri-o\n"
	"                                whose rules decide where runtimes\n"
	"                                differ (default any)\n"
	"\n"
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
	if (!strcmp(v, "json"))
		c->json = true;
	else if (!strcmp(v, "text"))
		c->json = false;
	else
		return usage_error("invalid output format '%s': expected "
				   "text or json", v);
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

static int set_rules(struct cli *c, const char *v)
{
	if (!strcmp(v, "containerd"))
		c->rules = RULES_CONTAINERD;
	else if (!strcmp(v, "cri-o") || !strcmp(v, "crio"))
		c->rules = RULES_CRIO;
	else if (!strcmp(v, "any"))
		c->rules = RULES_ANY;
	else
		return usage_error("invalid runtime '%s': expected any, "
				   "containerd or cri-o", v);
	return 0;
}

enum opt_id {
	OPT_PLATFORM = 256, OPT_TIMEOUT, OPT_ROOT, OPT_STRICT, OPT_CREDS,
	OPT_CA_FILE, OPT_INSECURE, OPT_ENTRYPOINT, OPT_RUNTIME, OPT_VERSION,
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
		c->root = arg;
		return 0;
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
		c->ca_file = arg;
		return 0;
	case OPT_INSECURE:
		return push(c->insecure, &c->insecure_count, arg,
			    "--insecure-registry");
	case OPT_ENTRYPOINT:
		return push(c->entrypoint, &c->entrypoint_count, arg,
			    "--entrypoint");
	case OPT_RUNTIME:
		return set_rules(c, arg);
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

static int parse_options(struct cli *c, int argc, char **argv)
{
	int id;

	opterr = 0;
	optind = 1;
	while ((id = getopt_long(argc, argv, "o:qvh", long_options, NULL)) !=
	       -1) {
		if (id == '?' || id == ':')
			return usage_error("invalid option '%s'",
					   argv[optind - 1]);
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
	return 0;
}

static int cmd_host(struct cli *c, int argc, char **argv)
{
	struct host host;
	struct error err;

	if (argc > 0)
		return usage_error("host takes no arguments, got '%s'",
				   argv[0]), EXIT_USAGE;
	if (detect_host(c, &host) < 0)
		return EXIT_USAGE;
	error_init(&err);
	if (c->platform_count) {
		if (platform_parse(c->platforms[0], &host.platform, &err) < 0)
			return usage_error("%s", err.message), EXIT_USAGE;
		host.overridden = true;
	}
	if (c->json)
		report_host_json(stdout, &host);
	else
		report_host_text(stdout, &host);
	return EXIT_PASS;
}

/* Every reference and platform is checked before anything is fetched:
   a usage error means nothing was checked. */
static int validate(struct cli *c, int argc, char **argv,
		    struct platform *plats)
{
	struct reference ref;
	struct error err;
	int i;

	if (argc == 0)
		return usage_error("check needs at least one IMAGE");
	for (i = 0; i < argc; i++) {
		error_init(&err);
		memset(&ref, 0, sizeof(ref));
		if (reference_parse(argv[i], &ref, &err) < 0)
			return usage_error("%s", err.message);
		reference_release(&ref);
	}
	for (i = 0; i < (int)c->platform_count; i++) {
		error_init(&err);
		if (c->platforms[i] && !strcmp(c->platforms[i], "all"))
			return usage_error("--platform all is not supported "
					   "yet; name the platforms");
		if (platform_parse(c->platforms[i], &plats[i], &err) < 0)
			return usage_error("%s", err.message);
	}
	return 0;
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

static int run_checks(struct cli *c, int argc, char **argv,
		      const struct host *base, const struct platform *plats)
{
	size_t nplat = c->platform_count ? c->platform_count : 1;
	size_t n = nplat * (size_t)argc, i, k = 0;
	struct image_result *results = xcalloc(n, sizeof(*results));
	enum verdict *verdicts = xcalloc(n, sizeof(*verdicts));
	struct registry_options ro;
	struct report_style style = { 0 };
	struct check_options opt = { 0 };
	struct host host = *base;
	int status;

	fill_registry_options(c, &ro);
	ro.cache = cache_new();
	opt.host = &host;
	opt.registry = &ro;
	opt.rules = c->rules;
	opt.strict = c->strict;
	c->entrypoint[c->entrypoint_count] = NULL;
	opt.entrypoint = c->entrypoint_count ? c->entrypoint : NULL;
	for (i = 0; i < nplat; i++) {
		if (c->platform_count) {
			host.platform = plats[i];
			host.overridden = true;
		}
		for (int a = 0; a < argc; a++, k++) {
			check_image(argv[a], &opt, &results[k]);
			verdicts[k] = results[k].verdict;
		}
	}
	style.color = !c->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	style.verbose = c->verbosity > 0;
	style.rules = runtime_rules_name(c->rules);
	if (c->json)
		report_check_json(stdout, base, results, n, &style);
	else
		report_check_text(stdout, base, results, n, &style);
	fflush(stdout);
	warn_unknowns(c, results, n);
	status = verdict_exit_status(verdicts, n);
	for (i = 0; i < n; i++)
		image_result_release(&results[i]);
	free(results);
	free(verdicts);
	cache_free(ro.cache);
	return status;
}

static int cmd_check(struct cli *c, int argc, char **argv)
{
	struct platform plats[CLI_LIST_MAX];
	struct host host;
	const char *env;

	if (validate(c, argc, argv, plats) < 0)
		return EXIT_USAGE;
	env = getenv("IMAGE_PREFLIGHT_CREDS");
	if (!c->creds_user && env && *env && set_creds(c, env) < 0)
		return EXIT_USAGE;
	if (detect_host(c, &host) < 0)
		return EXIT_USAGE;
	return run_checks(c, argc, argv, &host, plats);
}

struct command {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "check", cmd_check, "will each IMAGE start on this node?" },
	{ "host", cmd_host, "what this node is, as the checker sees it" },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
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
		printf("image-preflight %s\n", PREFLIGHT_VERSION);
		return EXIT_PASS;
	}
	if (argc == 0 || c->help || !strcmp(argv[0], "help")) {
		if (argc > 1 && !strcmp(argv[0], "help") &&
		    !find_command(argv[1]))
			return usage_error("unknown command '%s'", argv[1]),
			       EXIT_USAGE;
		fputs(usage_text, argc == 0 && !c->help ? stderr : stdout);
		return argc == 0 && !c->help ? EXIT_USAGE : EXIT_PASS;
	}
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
