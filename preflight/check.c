/* The main job for one image: will it start on this node?
 *
 * The pipeline: reference, source, the tag's document, platform
 * selection, the platform manifest, the config, the image's file system
 * and its entrypoint. Each step adds findings to one of three signals;
 * a step that cannot finish leaves its signal undecided, which can never
 * give a PASS.
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../platform/cpulevel.h"
#include "../platform/host.h"
#include "blob.h"
#include "compatcheck.h"
#include "config.h"
#include "entrypoint.h"
#include "error.h"
#include "imagefs.h"
#include "node.h"
#include "offline.h"
#include "reference.h"
#include "registry.h"
#include "select.h"
#include "source.h"

struct run {
	const struct check_options *opt;
	struct image_result *res;
	struct reference ref;
	struct source *src;
	struct document top;
	struct document child;      /* the platform manifest, for an index */
	const struct document *manifest;
	struct image_config cfg;
	const char *top_ref;        /* what to ask the source for first */
	struct endpoint_list endpoints;
	struct node_credential cred;
	struct registry_options ro;
};

static void tree_entry_release(struct tree_entry *t)
{
	size_t i;

	free(t->digest);
	free(t->media_type);
	free(t->config_digest);
	for (i = 0; i < t->argc; i++)
		free(t->argv[i]);
	free(t->argv);
	free(t->error);
}

void image_result_release(struct image_result *r)
{
	size_t i;

	free(r->reference);
	free(r->canonical);
	free(r->source);
	free(r->top_digest);
	free(r->top_media_type);
	for (i = 0; i < r->offered_count; i++)
		free(r->offered[i].digest);
	free(r->offered);
	free(r->selected_digest);
	free(r->selected_media_type);
	free(r->selected_reason);
	free(r->config_digest);
	for (i = 0; i < r->tree_count; i++)
		tree_entry_release(&r->tree[i]);
	free(r->tree);
	entry_facts_release(&r->entry);
	findings_release(&r->findings);
	memset(r, 0, sizeof(*r));
}

/*
 * A step failed to get something: say what it means for the node. The
 * registry saying "does not exist" and content that does not match its
 * digest fail the node's pull too; the rest means we cannot know.
 */
static void access_finding(struct run *run, enum signal sig,
			   const struct error *err)
{
	struct findings *f = &run->res->findings;
	const char *m = err->message;

	switch (err->category) {
	case ERROR_NOTFOUND:
		findings_add(f, sig, SEVERITY_FAIL, "image-not-found",
			     "%s: the node's pull fails the same way", m);
		break;
	case ERROR_DIGEST:
		findings_add(f, sig, SEVERITY_FAIL, "content-digest-mismatch",
			     "%s: the node's pull fails the same way", m);
		break;
	case ERROR_AUTH:
		findings_add(f, sig, SEVERITY_UNKNOWN, "registry-auth",
			     "cannot authenticate: %s", m);
		break;
	case ERROR_RATELIMIT:
		findings_add(f, sig, SEVERITY_UNKNOWN, "registry-rate-limited",
			     "%s", m);
		break;
	case ERROR_NETWORK:
		findings_add(f, sig, SEVERITY_UNKNOWN, "registry-unreachable",
			     "%s", m);
		break;
	case ERROR_LIMIT:
		findings_add(f, sig, SEVERITY_UNKNOWN, "limit-exceeded", "%s",
			     m);
		break;
	default:
		findings_add(f, sig, SEVERITY_UNKNOWN, "registry-error", "%s",
			     m);
	}
}

/* The runtimes check a descriptor's size as well as its digest. */
static bool size_matches(struct run *run, enum signal sig, const char *what,
			 const struct descriptor *d, size_t got)
{
	if (d->size >= 0 && (uint64_t)d->size == got)
		return true;
	findings_add(&run->res->findings, sig, SEVERITY_FAIL,
		     "content-digest-mismatch",
		     "%s '%s' has %zu bytes, its descriptor says %lld: the "
		     "node's pull fails the same way", what, d->digest, got,
		     (long long)d->size);
	return false;
}

/* Fetch and parse a manifest or index by tag or digest. */
static int fetch_document(struct run *run, const char *ref,
			  struct document *doc, struct fetched *got)
{
	struct error err;

	error_init(&err);
	if (source_fetch_manifest(run->src, ref, got, &err) < 0) {
		access_finding(run, SIGNAL_TAG, &err);
		return -1;
	}
	if (document_parse(got->body.data, got->body.len, got->content_type,
			   doc, &err) < 0 && err.category == ERROR_LIMIT) {
		/* past one of our own limits: not known to be unreadable */
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_UNKNOWN,
			     "limit-exceeded", "%s answered '%s': %s",
			     got->host, ref, err.message);
		return -1;
	}
	if (err.category != ERROR_NONE) {
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_UNKNOWN,
			     "manifest-unreadable",
			     "%s answered '%s' with content that is not a "
			     "manifest (Content-Type %s): %s", got->host, ref,
			     got->content_type ? got->content_type : "none",
			     err.message);
		return -1;
	}
	if (got->unverified_digest && doc->kind != DOC_SCHEMA1) {
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_FAIL,
			     "content-digest-mismatch",
			     "manifest '%s' from %s: content does not match "
			     "digest: expected %s, got %s: the node's pull "
			     "fails the same way", ref, got->host,
			     got->unverified_digest, got->digest);
		return -1;
	}
	if (got->content_type && !media_type_is_index(got->content_type) &&
	    !media_type_is_manifest(got->content_type) &&
	    !media_type_is_schema1(got->content_type))
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_WARN,
			     "content-type-mismatch",
			     "%s served '%s' as '%s', but the body is %s; "
			     "runtimes that trust the header may refuse it",
			     got->host, ref, got->content_type,
			     doc->media_type);
	return 0;
}

static void record_offered(struct run *run)
{
	struct image_result *res = run->res;
	char plat[PLATFORM_STRING_MAX];
	size_t i;

	for (i = 0; i < run->top.entry_count; i++) {
		const struct descriptor *d = &run->top.entries[i];
		struct offered *o;

		if (d->attestation)
			continue;
		res->offered = xrealloc(res->offered, (res->offered_count + 1) *
					sizeof(*res->offered));
		o = &res->offered[res->offered_count++];
		o->platform = d->platform;
		o->digest = xstrdup(d->digest);
		o->valid = d->has_platform && platform_is_valid(&d->platform);
		if (d->has_platform && !o->valid)
			findings_add(&res->findings, SIGNAL_TAG,
				     SEVERITY_INFO, "invalid-platform-entry",
				     "index entry %zu (%s) is not a valid "
				     "platform; no runtime picks it for its "
				     "intended architecture", i + 1,
				     platform_format(&d->raw_platform, plat));
	}
}

/*
 * The lowest x86-64 level among the index's amd64 entries when all of
 * them name one above the baseline (amd64/v2..v4), for a node whose
 * platform names none; 0 otherwise.
 */
static int offered_amd64_level(const struct run *run)
{
	const struct image_result *res = run->res;
	int level, lowest = 0;
	size_t i;

	if (strcmp(res->node.arch, "amd64") || res->node.variant[0])
		return 0;
	for (i = 0; i < res->offered_count; i++) {
		if (strcmp(res->offered[i].platform.arch, "amd64"))
			continue;
		level = cpulevel_from_variant(res->offered[i].platform.variant);
		if (level > 1 && (!lowest || level < lowest))
			lowest = level;
	}
	return lowest;
}

/*
 * An index offering amd64 only for a higher CPU level. containerd's
 * node platform (platforms.DefaultSpec) and CRI-O's (containers/image
 * WantedPlatforms) carry no amd64 variant whatever the CPU, and both
 * match variants exactly from there down: neither pulls it. On a CPU
 * below that level nothing could run it anyway; say that first.
 */
static void no_match_cpu_level(struct run *run, int need, const char *list)
{
	struct image_result *res = run->res;
	int have = host_cpu_level_for(run->opt->host, &res->node);

	if (have && have < need) {
		findings_add(&res->findings, SIGNAL_TAG, SEVERITY_FAIL,
			     "cpu-level-too-low",
			     "the index offers amd64 only for %s and up (%s); "
			     "this node's CPU is %s: no runtime pulls it here, "
			     "and a program built for it fails with \"CPU ISA "
			     "level is lower than required\" (glibc) or dies "
			     "with \"Illegal instruction\"",
			     cpulevel_name(need), list, cpulevel_name(have));
		return;
	}
	findings_add(&res->findings, SIGNAL_TAG, SEVERITY_FAIL,
		     "no-matching-platform",
		     "the index offers amd64 only for %s and up (%s); this "
		     "node's CPU is %s, but containerd and CRI-O ask for "
		     "plain linux/amd64 whatever the CPU and match variants "
		     "exactly, so the pull fails with \"no match for platform "
		     "in manifest\" (only an explicit platform such as "
		     "--platform linux/amd64/v%d picks it)",
		     cpulevel_name(need), list, have ? cpulevel_name(have) :
		     "of an unknown level", need);
}

static void no_match(struct run *run)
{
	struct image_result *res = run->res;
	char node[PLATFORM_STRING_MAX], plat[PLATFORM_STRING_MAX];
	struct buf list;
	size_t i;

	buf_init(&list);
	for (i = 0; i < res->offered_count; i++) {
		if (i)
			buf_append(&list, ", ", 2, (size_t)-1, "list", NULL);
		platform_format(&res->offered[i].platform, plat);
		buf_append(&list, plat, strlen(plat), (size_t)-1, "list",
			   NULL);
	}
	if (offered_amd64_level(run)) {
		no_match_cpu_level(run, offered_amd64_level(run),
				   list.len ? list.data : "none");
		buf_release(&list);
		return;
	}
	findings_add(&res->findings, SIGNAL_TAG, SEVERITY_FAIL,
		     "no-matching-platform",
		     "the index offers %zu runnable platform%s (%s) and none "
		     "that a %s node accepts: the pull fails with \"no match "
		     "for platform in manifest\"", res->offered_count,
		     res->offered_count == 1 ? "" : "s",
		     list.len ? list.data : "none", platform_format(&res->node,
								   node));
	buf_release(&list);
}

/*
 * containerd falls back to an older variant of the node's architecture
 * and from amd64 to 386, arm64 to 32-bit arm; CRI-O and podman
 * (containers/image) only to older variants, never to another
 * architecture.
 */
static void judge_fallback(struct run *run, const struct descriptor *d,
			   const char *reason)
{
	struct image_result *res = run->res;
	enum runtime_rules rules = run->opt->rules;

	if (!strcmp(d->platform.arch, res->node.arch) ||
	    rules == RULES_CONTAINERD)
		findings_add(&res->findings, SIGNAL_TAG, SEVERITY_WARN,
			     "platform-fallback", "%s", reason);
	else
		findings_add(&res->findings, SIGNAL_TAG, SEVERITY_FAIL,
			     "platform-fallback",
			     "%s; CRI-O and podman never fall back to another "
			     "architecture, so their pull fails (rule: %s)",
			     reason, runtime_rules_name(rules));
}

/* An index: choose the entry as the runtime would, then fetch it. */
static int take_index(struct run *run)
{
	struct image_result *res = run->res;
	struct fetched got = { 0 };
	struct selection sel;
	const struct descriptor *d;
	int ret = -1;

	record_offered(run);
	select_platform(&run->top, &res->node, &sel);
	if (sel.index < 0) {
		no_match(run);
		findings_mark_checked(&res->findings, SIGNAL_TAG);
		return -1;
	}
	d = &run->top.entries[sel.index];
	res->selected = true;
	res->selected_platform = d->platform;
	res->selected_digest = xstrdup(d->digest);
	res->selected_media_type = xstrdup(d->media_type ? d->media_type :
					   "");
	res->selected_reason = xasprintf("%s (rules: %s)", sel.reason,
					 runtime_rules_name(run->opt->rules));
	if (sel.rank > 0)
		judge_fallback(run, d, sel.reason);
	if (fetch_document(run, d->digest, &run->child, &got) < 0 ||
	    !size_matches(run, SIGNAL_TAG, "manifest", d, got.body.len))
		goto out;
	if (run->child.kind != DOC_MANIFEST) {
		findings_add(&res->findings, SIGNAL_TAG, SEVERITY_UNKNOWN,
			     "unsupported-manifest",
			     "index entry '%s' is not an image manifest (%s)",
			     d->digest, run->child.media_type);
		goto out;
	}
	run->manifest = &run->child;
	findings_mark_checked(&res->findings, SIGNAL_TAG);
	ret = 0;
out:
	fetched_release(&got);
	return ret;
}

/* The tag's own document: an index, a manifest, or schema 1. */
static int take_top(struct run *run)
{
	struct image_result *res = run->res;
	struct fetched got = { 0 };
	int ret = -1;

	if (fetch_document(run, run->top_ref, &run->top,
			   &got) < 0)
		goto out;
	res->top_digest = xstrdup(got.digest);
	res->top_media_type = xstrdup(run->top.media_type);
	res->top_kind = run->top.kind;
	free(res->source);
	res->source = xstrdup(got.host);
	res->mirror = got.mirror;
	if (run->top.kind == DOC_SCHEMA1) {
		findings_add(&res->findings, SIGNAL_TAG, SEVERITY_FAIL,
			     "schema1-manifest",
			     "the tag is a Docker schema 1 manifest "
			     "(architecture %s), which current runtimes refuse "
			     "to pull", run->top.schema1_arch ?
			     run->top.schema1_arch : "not given");
		findings_mark_checked(&res->findings, SIGNAL_TAG);
		goto out;
	}
	if (run->top.kind == DOC_INDEX) {
		ret = take_index(run);
		goto out;
	}
	run->manifest = &run->top;
	res->selected_digest = xstrdup(got.digest);
	res->selected_media_type = xstrdup(run->top.media_type);
	res->selected_reason = xstrdup("the tag is a single manifest: "
				       "containerd pulls it without checking "
				       "its platform");
	ret = 0;
out:
	fetched_release(&got);
	return ret;
}

/* Read the config blob into run->cfg; findings say why not. */
static int read_config(struct run *run, const struct descriptor *c)
{
	struct findings *f = &run->res->findings;
	struct error err;
	struct buf body;
	int ret = -1;

	error_init(&err);
	buf_init(&body);
	if (c->size < 0 || (uint64_t)c->size > CONFIG_BYTES_MAX) {
		findings_add(f, SIGNAL_CONFIG, SEVERITY_UNKNOWN,
			     "limit-exceeded",
			     "config '%s' is %lld bytes, more than %u "
			     "(CONFIG_BYTES_MAX)", c->digest,
			     (long long)c->size, CONFIG_BYTES_MAX);
	} else if (source_fetch_blob(run->src, c->digest, CONFIG_BYTES_MAX,
				     &body, &err) < 0) {
		access_finding(run, SIGNAL_CONFIG, &err);
	} else if (!size_matches(run, SIGNAL_CONFIG, "config", c, body.len)) {
		;
	} else if (config_parse(body.data, body.len, &run->cfg, &err) < 0) {
		/* past one of our own limits we cannot know; otherwise the
		   runtime cannot read it either */
		if (err.category == ERROR_LIMIT)
			findings_add(f, SIGNAL_CONFIG, SEVERITY_UNKNOWN,
				     "limit-exceeded", "config '%s': %s",
				     c->digest, err.message);
		else
			findings_add(f, SIGNAL_CONFIG, SEVERITY_FAIL,
				     "config-malformed",
				     "config '%s' cannot be read: %s",
				     c->digest, err.message);
	} else {
		ret = 0;
	}
	buf_release(&body);
	return ret;
}

static int take_config(struct run *run)
{
	struct image_result *res = run->res;
	const struct document *m = run->manifest;
	const struct descriptor *c = &m->config;

	for (size_t i = 0; i < m->layer_count; i++)
		if (m->layers[i].size > 0)
			res->layer_bytes_total += (uint64_t)m->layers[i].size;
	res->config_digest = xstrdup(c->digest);
	/* the entrypoint is looked for in the top layer first */
	if (m->layer_count) {
		const struct descriptor *top = &m->layers[m->layer_count - 1];

		source_prefetch_blob(run->src, top->digest, top->size);
	}
	if (read_config(run, c) < 0)
		return -1;
	res->has_config = true;
	platform_set(&res->config_raw, run->cfg.os, run->cfg.architecture,
		     run->cfg.variant);
	res->config_platform = res->config_raw;
	platform_normalize(&res->config_platform);
	/* containerd refuses to unpack an image whose config lists another
	   number of layers than its manifest */
	if (run->cfg.diff_id_count != m->layer_count) {
		findings_add(&res->findings, SIGNAL_CONFIG, SEVERITY_FAIL,
			     "config-rootfs-mismatch",
			     "config '%s' lists %zu layer diff_ids, the "
			     "manifest %zu layers: the runtime refuses to "
			     "unpack it (mismatched image rootfs and manifest "
			     "layers)", c->digest, run->cfg.diff_id_count,
			     m->layer_count);
		return -1;
	}
	return 0;
}

/*
 * The platform chosen names an x86-64 level (an index entry, or a
 * single manifest's config: amd64/v3) above the node's: its programs
 * are built for instructions this CPU lacks.
 */
static void judge_selected_level(struct run *run)
{
	struct image_result *res = run->res;
	const struct platform *p = &res->selected_platform;
	int need, have;
	char plat[PLATFORM_STRING_MAX];

	if (!res->selected || strcmp(p->arch, "amd64") ||
	    strcmp(res->node.arch, "amd64"))
		return;
	need = cpulevel_from_variant(p->variant);
	have = host_cpu_level_for(run->opt->host, &res->node);
	if (need <= 1 || (have && need <= have))
		return;
	platform_format(p, plat);
	if (have)
		findings_add(&res->findings, SIGNAL_TAG, SEVERITY_FAIL,
			     "cpu-level-too-low",
			     "the image chosen is %s, built for %s; this "
			     "node's CPU is %s: its programs fail with \"CPU "
			     "ISA level is lower than required\" (glibc) or "
			     "die with \"Illegal instruction\"", plat,
			     cpulevel_name(need), cpulevel_name(have));
	else
		findings_add(&res->findings, SIGNAL_TAG, SEVERITY_WARN,
			     "cpu-level-unverified",
			     "the image chosen is %s, built for %s; this "
			     "node's CPU level is not known, and on an older "
			     "CPU its programs die with \"Illegal "
			     "instruction\"", plat, cpulevel_name(need));
}

static void judge_config(struct run *run)
{
	struct image_result *res = run->res;
	bool single = run->manifest == &run->top;

	if (single) {
		res->selected = true;
		res->selected_platform = res->config_platform;
	}
	config_check_platform(&res->config_platform,
			      single ? NULL : &res->selected_platform,
			      &res->node, run->opt->rules, &res->findings);
	judge_selected_level(run);
	findings_mark_checked(&res->findings, SIGNAL_TAG);
	findings_mark_checked(&res->findings, SIGNAL_CONFIG);
}

struct opener_ctx {
	struct run *run;
	uint64_t bytes;           /* compressed bytes of streams closed */
};

static struct blob_stream *open_layer(void *ctx, size_t index,
				      struct error *err)
{
	struct opener_ctx *oc = ctx;
	const struct descriptor *d = &oc->run->manifest->layers[index];

	return source_open_blob(oc->run->src, d->digest, d->size, err);
}

/* A layer that could not be read: the image's fault or ours? */
static void layer_finding(struct run *run, const struct error *err)
{
	struct findings *f = &run->res->findings;

	if (err->category == ERROR_FORMAT)
		findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL, "layer-corrupt",
			     "%s: the node cannot unpack this layer either",
			     err->message);
	else
		access_finding(run, SIGNAL_BINARY, err);
}

/*
 * What the tar entries read say about how the node unpacks them: a name
 * that climbs out of the root is refused by moby and CRI-O (containerd
 * keeps it inside the root), and of two entries for one path the node
 * keeps the last, while this check judged the first.
 */
static void judge_layer_entries(struct run *run,
				const struct imagefs_stats *st)
{
	struct findings *f = &run->res->findings;

	if (st->escaping_entries)
		findings_add(f, SIGNAL_BINARY,
			     run->opt->rules == RULES_CONTAINERD ?
			     SEVERITY_WARN : SEVERITY_FAIL,
			     "layer-path-escape",
			     "%zu tar entr%s out of the image root (first: "
			     "'%s'): moby and CRI-O refuse such a layer, "
			     "containerd keeps it inside the root (rule: %s)",
			     st->escaping_entries,
			     st->escaping_entries == 1 ? "y climbs" :
			     "ies climb",
			     st->first_escaping,
			     runtime_rules_name(run->opt->rules));
	if (st->duplicate_entries)
		findings_add(f, SIGNAL_BINARY, SEVERITY_WARN,
			     "layer-duplicate-entries",
			     "%zu path%s twice in one layer (first: "
			     "'%s'): the node keeps the last entry, this check "
			     "judged the first", st->duplicate_entries,
			     st->duplicate_entries == 1 ? " appears" :
			     "s appear", st->first_duplicate);
}

static void take_entrypoint(struct run *run)
{
	struct image_result *res = run->res;
	const struct document *m = run->manifest;
	struct imagefs_layer *layers;
	struct opener_ctx oc = { run, 0 };
	struct layer_opener opener = { &oc, open_layer };
	struct imagefs_stats st;
	struct imagefs *fs;
	struct error err;
	size_t i;

	if (!entrypoint_argv(&run->cfg, run->opt->entrypoint, &res->entry)) {
		findings_add(&res->findings, SIGNAL_BINARY, SEVERITY_FAIL,
			     "no-entrypoint",
			     "the image has no Entrypoint and no Cmd: it "
			     "starts only where the pod gives a command "
			     "(check that with --entrypoint)");
		findings_mark_checked(&res->findings, SIGNAL_BINARY);
		return;
	}
	res->has_entry = true;
	layers = xcalloc(m->layer_count ? m->layer_count : 1,
			 sizeof(*layers));
	for (i = 0; i < m->layer_count; i++) {
		layers[i].digest = m->layers[i].digest;
		layers[i].media_type = m->layers[i].media_type;
		layers[i].size = m->layers[i].size;
	}
	fs = imagefs_new(layers, m->layer_count, opener);
	error_init(&err);
	if (entrypoint_inspect(fs, layers, &run->cfg, &res->node,
			       run->opt->host->page_size,
			       host_cpu_level_for(run->opt->host, &res->node),
			       run->opt->binfmt,
			       &res->entry, &res->findings, &err) < 0)
		layer_finding(run, &err);
	else
		findings_mark_checked(&res->findings, SIGNAL_BINARY);
	imagefs_get_stats(fs, &st);
	res->layer_reads = st.layers_opened;
	judge_layer_entries(run, &st);
	imagefs_free(fs);
	free(layers);
}

/* A single manifest whose config names another platform, while its
   binary fits this node: the config lies, not the binary. */
static void revise_single(struct run *run, struct finding *single)
{
	char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];
	bool containerd = run->opt->rules == RULES_CONTAINERD;

	platform_format(&run->res->config_raw, have);
	platform_format(&run->res->node, want);
	finding_revise(single, containerd ? SEVERITY_WARN : SEVERITY_FAIL,
		       "the tag is a single manifest whose config says %s, "
		       "not %s: containerd pulls and runs it (it does not "
		       "check a single manifest's platform), CRI-O and podman "
		       "check the config's platform and may refuse it (rule: "
		       "%s)", have, want,
		       runtime_rules_name(run->opt->rules));
}

/*
 * Where the config lies but the binary fits the node, say so: only the
 * runtime's rule about the config decides then. containerd never checks
 * a single manifest's platform, so under its rules such a tag starts.
 */
static void note_binary_fits(struct run *run)
{
	struct image_result *res = run->res;
	char plat[PLATFORM_STRING_MAX];
	struct finding *single = NULL;
	bool mismatch = false;
	size_t i;

	for (i = 0; i < res->findings.count; i++) {
		struct finding *f = &res->findings.items[i];

		if (!strcmp(f->code, "config-platform-mismatch"))
			mismatch = true;
		if (!strcmp(f->code, "single-manifest-wrong-platform"))
			single = f;
		if (f->signal == SIGNAL_BINARY &&
		    f->severity != SEVERITY_INFO)
			return;
	}
	if (!res->entry.has_elf || (!mismatch && !single))
		return;
	if (single)
		revise_single(run, single);
	findings_add(&res->findings, SIGNAL_BINARY, SEVERITY_INFO,
			     "binary-matches-node",
		     "the binary itself matches the node: the entrypoint "
		     "is %s, which a %s node runs; only the config's "
		     "platform is wrong",
		     elf_machine_name(res->entry.elf.machine),
		     platform_format(&res->node, plat));
}

/*
 * A single manifest for another platform whose binary runs under the
 * node's emulator (binfmt_misc): the runtimes pull it (containerd does
 * not check a single manifest's platform; containers/image only logs an
 * architecture mismatch) and it starts, emulated. No longer a FAIL.
 */
static void note_emulated(struct run *run)
{
	struct image_result *res = run->res;
	char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];
	struct finding *single = NULL;
	bool emulated = false;
	size_t i;

	for (i = 0; i < res->findings.count; i++) {
		struct finding *f = &res->findings.items[i];

		if (!strcmp(f->code, "single-manifest-wrong-platform"))
			single = f;
		if (!strcmp(f->code, "runs-under-emulation"))
			emulated = true;
		else if (f->signal == SIGNAL_BINARY &&
			 f->severity == SEVERITY_FAIL)
			return;
	}
	if (!single || !emulated)
		return;
	platform_format(&res->config_raw, have);
	platform_format(&res->node, want);
	finding_revise(single, SEVERITY_WARN,
		       "the tag is a single %s image, not a multi-platform "
		       "index: a %s node pulls it anyway and runs it only "
		       "under emulation (see runs-under-emulation)", have,
		       want);
}

/* The config of one tree entry: its platform and command. */
static void tree_config(struct run *run, struct tree_entry *t)
{
	struct image_config cfg = { 0 };
	struct entry_facts argv = { 0 };
	struct error err;
	struct buf body;

	error_init(&err);
	buf_init(&body);
	if (t->config_size < 0 || (uint64_t)t->config_size > CONFIG_BYTES_MAX)
		t->error = xasprintf("config '%s' is %lld bytes, more than %u "
				     "(CONFIG_BYTES_MAX)", t->config_digest,
				     (long long)t->config_size,
				     CONFIG_BYTES_MAX);
	else if (source_fetch_blob(run->src, t->config_digest,
				   CONFIG_BYTES_MAX, &body, &err) < 0 ||
		 config_parse(body.data, body.len, &cfg, &err) < 0)
		t->error = xasprintf("config '%s': %s", t->config_digest,
				     err.message);
	if (!t->error) {
		t->has_config = true;
		platform_set(&t->config_platform, cfg.os, cfg.architecture,
			     cfg.variant);
		entrypoint_argv(&cfg, NULL, &argv);
		t->argv = argv.argv;
		t->argc = argv.argc;
		argv.argv = NULL;
		argv.argc = 0;
	}
	entry_facts_release(&argv);
	config_release(&cfg);
	buf_release(&body);
}

/* The manifest of one tree entry (the top document for a single one),
   then its config. */
static void tree_manifest(struct run *run, struct tree_entry *t,
			  const struct document *given)
{
	struct document doc = { 0 };
	struct fetched got = { 0 };
	const struct document *m = given;
	struct error err;

	error_init(&err);
	if (!m) {
		if (source_fetch_manifest(run->src, t->digest, &got,
					  &err) < 0 ||
		    document_parse(got.body.data, got.body.len,
				   got.content_type, &doc, &err) < 0)
			t->error = xasprintf("manifest '%s': %s", t->digest,
					     err.message);
		else if (doc.kind != DOC_MANIFEST)
			t->error = xasprintf("manifest '%s' is not an image "
					     "manifest (%s)", t->digest,
					     doc.media_type);
		m = &doc;
	}
	if (!t->error) {
		t->has_manifest = true;
		t->layer_count = m->layer_count;
		for (size_t i = 0; i < m->layer_count; i++)
			if (m->layers[i].size > 0)
				t->layers_size += m->layers[i].size;
		t->config_digest = xstrdup(m->config.digest);
		t->config_size = m->config.size;
		tree_config(run, t);
	}
	document_release(&doc);
	fetched_release(&got);
}

/* A tree entry for the tag's single manifest. */
static void tree_single(struct run *run, struct tree_entry *t)
{
	struct image_result *res = run->res;

	t->digest = xstrdup(res->top_digest);
	t->media_type = xstrdup(run->top.media_type);
	t->size = -1;
	t->valid = true;
	t->selected = true;
	tree_manifest(run, t, &run->top);
	if (!t->has_config)
		return;
	t->platform = t->config_platform;
	t->has_platform = true;
	res->selected = true;
	res->selected_platform = t->platform;
	platform_normalize(&res->selected_platform);
}

/* A tree entry for entry i of the tag's index. */
static void tree_indexed(struct run *run, struct tree_entry *t, size_t i)
{
	const struct image_result *res = run->res;
	const struct descriptor *d = &run->top.entries[i];

	t->position = i + 1;
	t->has_platform = d->has_platform;
	t->platform = d->raw_platform;
	t->attestation = d->attestation;
	t->valid = d->has_platform && platform_is_valid(&d->platform);
	t->digest = xstrdup(d->digest);
	t->media_type = xstrdup(d->media_type ? d->media_type : "");
	t->size = d->size;
	t->selected = res->selected &&
		      !strcmp(d->digest, res->selected_digest) &&
		      platform_equal(&d->platform, &res->selected_platform);
	if (!t->attestation)
		tree_manifest(run, t, NULL);
}

/*
 * inspect: every entry of the tag's index (attestations listed, not
 * fetched), or the tag's single manifest, with its manifest and config.
 * The selection was made by take_top() as for a check.
 */
static void take_tree(struct run *run)
{
	struct image_result *res = run->res;
	bool index = run->top.kind == DOC_INDEX;
	size_t i, n = index ? run->top.entry_count : 1;

	res->tree = xcalloc(n, sizeof(*res->tree));
	res->tree_complete = true;
	for (i = 0; i < n; i++) {
		struct tree_entry *t = &res->tree[res->tree_count++];

		if (index)
			tree_indexed(run, t, i);
		else
			tree_single(run, t);
		if (t->error)
			res->tree_complete = false;
	}
}

static void finish(struct run *run, long long started)
{
	struct image_result *res = run->res;
	struct source_stats st;

	if (run->src) {
		source_get_stats(run->src, &st);
		res->requests = st.requests;
		res->bytes_received = st.bytes_received;
		res->layer_bytes_read = st.layer_bytes;
		res->http_versions = st.http_versions;
	}
	res->elapsed_ms = (long)(registry_now_ms() - started);
	findings_sort(&res->findings);
	res->verdict = verdict_of(&res->findings, run->opt->strict);
}

/* An image on disk: oci:, oci-archive:, docker-archive:. 1: not one. */
static int open_offline(struct run *run, const char *text, struct error *err)
{
	struct offline_ref oref = { 0 };
	int ret = offline_parse(text, &oref, err);

	if (ret != 0)
		return ret;
	run->res->canonical = xstrdup(text);
	run->top_ref = "";
	run->src = offline_source_new(&oref, err);
	if (run->src)
		run->res->source = xstrdup(run->src->name);
	offline_ref_release(&oref);
	return run->src ? 0 : -1;
}

/*
 * The node's own view of the registry: its mirrors in order and its
 * credentials (unless --creds gave some). A registry the node's
 * configuration blocks fails as the pull would.
 */
static int apply_node(struct run *run, struct error *err)
{
	const struct node *n = run->opt->node;
	int ret;

	run->ro = *run->opt->registry;
	if (!n)
		return 0;
	if (node_endpoints(n, &run->ref, &run->endpoints, err) < 0)
		return -1;
	if (run->endpoints.blocked) {
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_FAIL,
			     "registry-blocked",
			     "%s blocks pulls from '%s': the node's pull fails",
			     run->endpoints.origin, run->ref.domain);
		return 1;
	}
	run->ro.endpoints = &run->endpoints;
	if (n->content_store[0])
		run->ro.content_store = n->content_store;
	if (run->ro.username)
		return 0;
	ret = node_credentials(n, &run->ref, &run->cred, err);
	if (ret < 0) {
		/* credentials that cannot be read are no credentials the
		   node has: the pull's outcome cannot be known */
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_UNKNOWN,
			     "registry-auth", "the node's credentials: %s",
			     err->message);
		return 1;
	}
	if (ret == 0) {
		run->ro.username = run->cred.username;
		run->ro.password = run->cred.password;
	}
	error_init(err);
	return 0;
}

static int open_registry(struct run *run, const char *text,
			 struct error *err)
{
	int ret;

	if (reference_parse(text, &run->ref, err) < 0) {
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_UNKNOWN,
			     "invalid-reference", "%s", err->message);
		return 1;
	}
	run->res->canonical = reference_canonical(&run->ref);
	run->res->source = xstrdup(reference_registry_host(&run->ref));
	run->top_ref = reference_manifest_ref(&run->ref);
	ret = apply_node(run, err);
	if (ret < 0)
		findings_add(&run->res->findings, SIGNAL_TAG, SEVERITY_UNKNOWN,
			     "node-config-unreadable", "%s", err->message);
	if (ret != 0)
		return 1;
	run->src = registry_source_new(&run->ref, &run->ro, err);
	return run->src ? 0 : -1;
}

void check_image(const char *text, const struct check_options *opt,
		 struct image_result *res)
{
	struct run run = { .opt = opt, .res = res };
	long long started = registry_now_ms();
	struct error err;
	int ret;

	memset(res, 0, sizeof(*res));
	findings_init(&res->findings);
	res->reference = xstrdup(text);
	res->node = opt->host->platform;
	error_init(&err);
	ret = open_offline(&run, text, &err);
	if (ret == 1)
		ret = open_registry(&run, text, &err);
	if (ret < 0)
		access_finding(&run, SIGNAL_TAG, &err);
	if (ret != 0)
		goto out;
	if (opt->tree_only) {
		if (take_top(&run) == 0 || run.top.kind == DOC_INDEX)
			take_tree(&run);
		goto out;
	}
	if (take_top(&run) < 0 || take_config(&run) < 0)
		goto out;
	judge_config(&run);
	take_entrypoint(&run);
	note_binary_fits(&run);
	note_emulated(&run);
out:
	compatcheck_revise(res, opt->host);
	finish(&run, started);
	config_release(&run.cfg);
	document_release(&run.child);
	document_release(&run.top);
	source_free(run.src);
	endpoint_list_release(&run.endpoints);
	node_credential_release(&run.cred);
	reference_release(&run.ref);
}
