/* Reports on stdout: text for people, JSON for machines (schema 1). */
#include "report.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../platform/binfmt.h"
#include "../platform/cpulevel.h"
#include "../platform/host.h"
#include "node.h"
#include "check.h"
#include "buf.h"
#include "elf.h"
#include "escape.h"
#include "http.h"
#include "verdict.h"

/* Width of a text report's fact labels. */
#define LABEL_WIDTH 12

static const char *kind_name(enum document_kind k)
{
	switch (k) {
	case DOC_INDEX:
		return "index";
	case DOC_MANIFEST:
		return "manifest";
	case DOC_SCHEMA1:
		return "schema1";
	default:
		return "unknown";
	}
}

static const char *entry_kind_name(enum entry_kind k)
{
	switch (k) {
	case ENTRY_ELF:
		return "elf";
	case ENTRY_SCRIPT:
		return "script";
	case ENTRY_OTHER:
		return "other";
	default:
		return "unknown";
	}
}

static const char *verdict_color(enum verdict v)
{
	static const char *const colors[] = { "\033[32m", "\033[33m",
					      "\033[35m", "\033[31m" };

	return colors[v];
}

/* A fact line; every value is escaped before it reaches a terminal. */
static void fact(FILE *out, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fact(FILE *out, const char *label, const char *fmt, ...)
{
	char raw[4096], *safe;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	safe = escape_text(raw, strlen(raw), sizeof(raw));
	fprintf(out, "  %-*s %s\n", LABEL_WIDTH, label, safe);
	free(safe);
}

/* Which node, which image, which registry: the first facts of a block. */
static void text_where(FILE *out, const struct image_result *r)
{
	char plat[PLATFORM_STRING_MAX];

	fact(out, "node:", "%s", platform_format(&r->node, plat));
	if (r->canonical)
		fact(out, "image:", "%s", r->canonical);
	if (r->source)
		fact(out, "registry:", "%s%s", r->source,
		     r->mirror ? " (mirror)" : "");
}

static void text_findings(FILE *out, const struct findings *fs)
{
	size_t i;

	for (i = 0; i < fs->count; i++) {
		const struct finding *f = &fs->items[i];

		fprintf(out, "  %-7s %s: %s\n", severity_name(f->severity),
			f->code, f->message);
	}
}

static void text_tag(FILE *out, const struct image_result *r)
{
	char plat[PLATFORM_STRING_MAX];
	size_t i;

	if (!r->top_digest)
		return;
	fact(out, "tag:", "%s (%s, %s)", r->top_digest, kind_name(r->top_kind),
	     r->top_media_type);
	if (r->top_kind == DOC_INDEX) {
		struct buf list;

		buf_init(&list);
		for (i = 0; i < r->offered_count; i++) {
			platform_format(&r->offered[i].platform, plat);
			if (i)
				buf_append(&list, ", ", 2, (size_t)-1, "list",
					   NULL);
			buf_append(&list, plat, strlen(plat), (size_t)-1,
				   "list", NULL);
		}
		fact(out, "offers:", "%s", list.len ? list.data :
		     "nothing runnable");
		buf_release(&list);
	}
	if (r->selected && r->selected_digest)
		fact(out, "selected:", "%s %s",
		     platform_format(&r->selected_platform, plat),
		     r->selected_digest);
	if (r->selected_reason)
		fact(out, "why:", "%s", r->selected_reason);
	if (r->has_config)
		fact(out, "config:", "%s %s", r->config_digest,
		     platform_format(&r->config_raw, plat));
}

static void text_entry(FILE *out, const struct image_result *r)
{
	const struct entry_facts *e = &r->entry;
	size_t i;

	if (!r->has_entry)
		return;
	fact(out, "entrypoint:", "%s%s", e->argv[0],
	     e->argc > 1 ? " ..." : "");
	if (e->path && strcmp(e->path, e->argv[0]))
		fact(out, "path:", "%s", e->path);
	for (i = 0; i < e->link_count; i++)
		fact(out, "link:", "%s", e->links[i]);
	if (e->layer_digest)
		fact(out, "found:", "%s in layer %zu (%s), %lld bytes, mode %04o",
		     e->resolved, e->layer_index + 1, e->layer_digest,
		     (long long)e->size, e->mode & 07777);
	if (e->has_elf)
		fact(out, "binary:", "%s %s %s (machine %u)%s%s",
		     elf_class_name(e->elf.elf_class),
		     elf_data_name(e->elf.elf_data),
		     elf_machine_name(e->elf.machine), e->elf.machine,
		     e->elf.has_interp ? ", interpreter " : ", static",
		     e->elf.has_interp ? e->elf.interp : "");
	else if (e->kind == ENTRY_SCRIPT)
		fact(out, "binary:", "script for %s",
		     e->interpreter ? e->interpreter : "no interpreter");
}

static void text_one(FILE *out, const struct image_result *r,
		     const struct report_style *style)
{
	char *ref;

	ref = escape_text(r->reference, strlen(r->reference), 1024);
	if (style->color)
		fprintf(out, "%s%-7s\033[0m %s\n", verdict_color(r->verdict),
			verdict_name(r->verdict), ref);
	else
		fprintf(out, "%-7s %s\n", verdict_name(r->verdict), ref);
	free(ref);
	text_where(out, r);
	text_tag(out, r);
	text_entry(out, r);
	text_findings(out, &r->findings);
	fprintf(out, "  %-*s %u request%s, %llu bytes received, %llu of %llu "
		"layer bytes downloaded, %ld ms\n", LABEL_WIDTH, "cost:",
		r->requests, r->requests == 1 ? "" : "s",
		(unsigned long long)r->bytes_received,
		(unsigned long long)r->layer_bytes_read,
		(unsigned long long)r->layer_bytes_total, r->elapsed_ms);
}

void report_check_text(FILE *out, const struct host *host,
		       const struct image_result *results, size_t count,
		       const struct report_style *style)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (i)
			fputc('\n', out);
		text_one(out, &results[i], style);
	}
}

/* The finding that says most about an image: its first (findings are
   sorted, most severe first). */
static const char *headline(const struct image_result *r)
{
	return r->findings.count ? r->findings.items[0].message :
		"no finding";
}

void report_check_kubeadm(FILE *out, const struct image_result *results,
			  size_t count)
{
	size_t i, bad = 0, warn = 0;
	char *ref;

	for (i = 0; i < count; i++) {
		const struct image_result *r = &results[i];
		const char *level = r->verdict == VERDICT_FAIL ? "ERROR" :
			r->verdict == VERDICT_PASS ? NULL : "WARNING";

		if (!level)
			continue;
		bad += r->verdict == VERDICT_FAIL;
		warn += r->verdict != VERDICT_FAIL;
		ref = escape_text(r->reference, strlen(r->reference), 1024);
		fprintf(out, "\t[%s ImagePreflight]: %s: %s: %s\n", level, ref,
			verdict_name(r->verdict), headline(r));
		free(ref);
	}
	fprintf(out, "[preflight] %zu image%s checked: %zu error%s, %zu "
		"warning%s\n", count, count == 1 ? "" : "s", bad,
		bad == 1 ? "" : "s", warn, warn == 1 ? "" : "s");
}

/* JSON helpers: every string is escaped so jansson always accepts it. */
static json_t *jstr(const char *s)
{
	char *safe;
	json_t *v;

	if (!s)
		return json_null();
	safe = escape_text(s, strlen(s), 1 << 20);
	v = json_string(safe);
	free(safe);
	return v ? v : json_null();
}

/* A finding's message is escaped when it is made: only make it JSON. */
static json_t *jmessage(const char *s)
{
	json_t *v = json_string(s);

	return v ? v : json_null();
}

static json_t *jplatform(const struct platform *p)
{
	return json_pack("{s:o,s:o,s:o}", "os", jstr(p->os), "architecture",
			 jstr(p->arch), "variant", jstr(p->variant));
}

/* host.compat32: null where the architecture has no 32-bit mode. */
static json_t *json_compat32(const struct host *h)
{
	struct compat32_judgment j;

	compat32_judge(&h->compat32, h->platform.arch, &j);
	if (j.answer == COMPAT32_NOT_APPLICABLE)
		return json_null();
	return json_pack("{s:o,s:s,s:s}", "supported",
			 j.answer == COMPAT32_UNKNOWN ? json_null() :
			 json_boolean(j.answer == COMPAT32_YES), "source",
			 j.source, "reason", j.reason);
}

/* The x86-64 level the checks use and where it came from ("" and null
   when not known). */
static const char *host_level(const struct host *h, int *level)
{
	*level = host_cpu_level_for(h, &h->platform);
	if (!*level)
		return "";
	return cpulevel_from_variant(h->platform.variant) ? "--platform" :
		h->cpu_level_source;
}

static void report_host_cpu_level(json_t *o, const struct host *h)
{
	int level;
	const char *source = host_level(h, &level);

	json_object_set_new(o, "cpu_level", level ?
			    json_string(cpulevel_name(level)) : json_null());
	json_object_set_new(o, "cpu_level_source", level ?
			    json_string(source) : json_null());
}

static json_t *json_host(const struct host *h)
{
	json_t *o = jplatform(&h->platform);

	json_object_set_new(o, "machine", jstr(h->machine));
	json_object_set_new(o, "kernel", jstr(h->kernel));
	json_object_set_new(o, "page_size", json_integer(h->page_size));
	json_object_set_new(o, "variant_source", jstr(h->variant_source));
	json_object_set_new(o, "overridden", json_boolean(h->overridden));
	json_object_set_new(o, "compat32", json_compat32(h));
	report_host_cpu_level(o, h);
	json_object_set_new(o, "emulated_on", *h->emulated_on ?
			    jstr(h->emulated_on) : json_null());
	return o;
}

static json_t *json_elf(const struct elf_info *e)
{
	return json_pack("{s:i,s:s,s:s,s:i,s:s,s:i,s:o,s:i}",
			 "class", e->elf_class == 2 ? 64 : 32,
			 "byte_order", e->elf_data == 2 ? "big" : "little",
			 "class_name", elf_class_name(e->elf_class),
			 "machine", e->machine, "machine_name",
			 elf_machine_name(e->machine), "type", e->type,
			 "interpreter", e->has_interp ? jstr(e->interp) :
			 json_null(), "load_segments", e->load_count);
}

/*
 * The HTTP version the check's responses came in: "1.1", "2", ...; when
 * they came in several (a token server on HTTP/1.1 beside a registry on
 * HTTP/2, say), those versions in ascending order joined by ",", e.g.
 * "1.1,2"; null when no HTTP response came (an image on disk).
 */
static json_t *json_http_version(unsigned int bits)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ HTTP_VERSION_1_0, "1.0" },
		{ HTTP_VERSION_1_1, "1.1" },
		{ HTTP_VERSION_2, "2" },
		{ HTTP_VERSION_3, "3" },
	};
	char text[16] = "";   /* "1.0,1.1,2,3" and its NUL fit */
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(bits & names[i].bit))
			continue;
		if (text[0])
			strcat(text, ",");
		strcat(text, names[i].name);
	}
	return text[0] ? json_string(text) : json_null();
}

static json_t *json_entry(const struct image_result *r)
{
	const struct entry_facts *e = &r->entry;
	json_t *o, *argv, *links;
	size_t i;

	if (!r->has_entry)
		return json_null();
	argv = json_array();
	links = json_array();
	for (i = 0; i < e->argc; i++)
		json_array_append_new(argv, jstr(e->argv[i]));
	for (i = 0; i < e->link_count; i++)
		json_array_append_new(links, jstr(e->links[i]));
	o = json_pack("{s:o,s:o,s:o,s:o,s:s,s:o}", "argv", argv, "path",
		      jstr(e->path), "resolved_path", jstr(e->resolved),
		      "layer_digest", jstr(e->layer_digest), "kind",
		      entry_kind_name(e->kind), "links", links);
	json_object_set_new(o, "layer_index", e->layer_digest ?
			    json_integer((json_int_t)e->layer_index) :
			    json_null());
	json_object_set_new(o, "size", e->layer_digest ?
			    json_integer(e->size) : json_null());
	json_object_set_new(o, "mode", e->layer_digest ?
			    json_integer(e->mode & 07777) : json_null());
	json_object_set_new(o, "elf", e->has_elf ? json_elf(&e->elf) :
			    json_null());
	json_object_set_new(o, "interpreter", jstr(e->interpreter));
	return o;
}

static json_t *json_findings(const struct findings *f)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < f->count; i++)
		json_array_append_new(a, json_pack(
			"{s:o,s:s,s:s,s:o}", "code", jstr(f->items[i].code),
			"severity", severity_name(f->items[i].severity),
			"signal", signal_name(f->items[i].signal), "message",
			jmessage(f->items[i].message)));
	return a;
}

static json_t *json_selected(const struct image_result *r)
{
	json_t *o;

	if (!r->selected)
		return json_null();
	o = json_pack("{s:o,s:o,s:o,s:o}", "platform",
		      jplatform(&r->selected_platform), "digest",
		      jstr(r->selected_digest), "media_type",
		      jstr(r->selected_media_type), "reason",
		      jstr(r->selected_reason));
	return o;
}

static json_t *json_image(const struct image_result *r)
{
	json_t *o = json_object(), *offered = json_null();
	size_t i;

	if (r->top_digest && r->top_kind == DOC_INDEX)
		offered = json_array();
	for (i = 0; i < r->offered_count; i++)
		json_array_append_new(offered, json_pack(
			"{s:o,s:o,s:b}", "platform",
			jplatform(&r->offered[i].platform), "digest",
			jstr(r->offered[i].digest), "valid",
			r->offered[i].valid));
	json_object_set_new(o, "reference", jstr(r->reference));
	json_object_set_new(o, "canonical", jstr(r->canonical));
	json_object_set_new(o, "node", jplatform(&r->node));
	json_object_set_new(o, "source", json_pack("{s:o,s:b}", "host",
						    jstr(r->source), "mirror",
						    r->mirror));
	json_object_set_new(o, "verdict", json_string(verdict_name(r->verdict)));
	json_object_set_new(o, "top", r->top_digest ? json_pack(
		"{s:o,s:o,s:s}", "digest", jstr(r->top_digest), "media_type",
		jstr(r->top_media_type), "kind", kind_name(r->top_kind)) :
		json_null());
	json_object_set_new(o, "platforms", offered);
	json_object_set_new(o, "selected", json_selected(r));
	json_object_set_new(o, "config", r->has_config ? json_pack(
		"{s:o,s:o,s:o,s:o}", "digest", jstr(r->config_digest), "os",
		jstr(r->config_raw.os), "architecture",
		jstr(r->config_raw.arch), "variant",
		jstr(r->config_raw.variant)) : json_null());
	json_object_set_new(o, "entrypoint", json_entry(r));
	json_object_set_new(o, "findings", json_findings(&r->findings));
	json_object_set_new(o, "stats", json_pack(
		"{s:i,s:I,s:I,s:I,s:I,s:i,s:o}", "requests", (int)r->requests,
		"bytes_received", (json_int_t)r->bytes_received,
		"layer_bytes_read", (json_int_t)r->layer_bytes_read,
		"layer_bytes_total", (json_int_t)r->layer_bytes_total,
		"layer_reads", (json_int_t)r->layer_reads,
		"milliseconds", (int)r->elapsed_ms, "http_version",
		json_http_version(r->http_versions)));
	return o;
}

static int dump(FILE *out, json_t *doc)
{
	int ret = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	fputc('\n', out);
	json_decref(doc);
	return ret;
}

static json_t *json_tool(void)
{
	return json_pack("{s:s,s:s}", "name", "image-preflight", "version",
			 PREFLIGHT_VERSION);
}

int report_check_json(FILE *out, const struct host *host,
		      const struct image_result *results, size_t count,
		      const struct report_style *style)
{
	json_t *doc, *images = json_array();
	size_t i;

	for (i = 0; i < count; i++)
		json_array_append_new(images, json_image(&results[i]));
	doc = json_pack("{s:i,s:o,s:o,s:s,s:b,s:o}", "schema", REPORT_SCHEMA,
			"tool", json_tool(), "host", json_host(host),
			"rules", style->rules, "strict", style->strict,
			"images", images);
	return dump(out, doc);
}

/* A command line as one string, for a fact; argv may be empty. */
static void join_argv(char *out, size_t size, char *const *argv, size_t argc)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < argc && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 i ? " " : "", argv[i]);
}

static void text_tree_entry(FILE *out, const struct tree_entry *t)
{
	char plat[PLATFORM_STRING_MAX], cfg[PLATFORM_STRING_MAX];
	char label[32], cmd[1024];

	if (t->position)
		snprintf(label, sizeof(label), "entry %zu:", t->position);
	else
		snprintf(label, sizeof(label), "manifest:");
	if (t->has_platform)
		platform_format(&t->platform, plat);
	else
		snprintf(plat, sizeof(plat), "no platform");
	fact(out, label, "%s %s%s%s", plat, t->digest,
	     t->attestation ? " (attestation, not runnable)" :
	     !t->valid ? " (not a valid platform)" : "",
	     t->selected ? " <- this node" : "");
	if (t->size >= 0)
		fact(out, "", "manifest %lld bytes, %s", (long long)t->size,
		     t->media_type);
	if (t->has_manifest)
		fact(out, "", "config %s (%lld bytes), %zu layer%s, %lld "
		     "bytes compressed", t->config_digest,
		     (long long)t->config_size, t->layer_count,
		     t->layer_count == 1 ? "" : "s", (long long)t->layers_size);
	if (t->has_config) {
		join_argv(cmd, sizeof(cmd), t->argv, t->argc);
		fact(out, "", "config says %s, runs %s",
		     platform_format(&t->config_platform, cfg),
		     t->argc ? cmd : "nothing (no Entrypoint, no Cmd)");
	}
	if (t->error)
		fact(out, "", "not read: %s", t->error);
}

void report_inspect_text(FILE *out, const struct image_result *r)
{
	char plat[PLATFORM_STRING_MAX], *ref;
	size_t i;

	ref = escape_text(r->reference, strlen(r->reference), 1024);
	fprintf(out, "%s\n", ref);
	free(ref);
	text_where(out, r);
	if (r->top_digest)
		fact(out, "tag:", "%s (%s, %s)", r->top_digest,
		     kind_name(r->top_kind), r->top_media_type);
	for (i = 0; i < r->tree_count; i++)
		text_tree_entry(out, &r->tree[i]);
	if (r->selected && r->selected_digest)
		fact(out, "selected:", "%s %s",
		     platform_format(&r->selected_platform, plat),
		     r->selected_digest);
	else if (r->top_kind == DOC_INDEX)
		fact(out, "selected:", "nothing: this node gets no entry");
	if (r->selected_reason)
		fact(out, "why:", "%s", r->selected_reason);
	text_findings(out, &r->findings);
	fprintf(out, "  %-*s %u request%s, %llu bytes received, %ld ms\n",
		LABEL_WIDTH, "cost:", r->requests, r->requests == 1 ? "" : "s",
		(unsigned long long)r->bytes_received, r->elapsed_ms);
}

static json_t *json_argv(char *const *argv, size_t argc)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < argc; i++)
		json_array_append_new(a, jstr(argv[i]));
	return a;
}

static json_t *json_tree_entry(const struct tree_entry *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "position", json_integer((json_int_t)t->position));
	json_object_set_new(o, "platform", t->has_platform ?
			    jplatform(&t->platform) : json_null());
	json_object_set_new(o, "attestation", json_boolean(t->attestation));
	json_object_set_new(o, "valid", json_boolean(t->valid));
	json_object_set_new(o, "selected", json_boolean(t->selected));
	json_object_set_new(o, "digest", jstr(t->digest));
	json_object_set_new(o, "media_type", jstr(t->media_type));
	json_object_set_new(o, "size", t->size >= 0 ?
			    json_integer(t->size) : json_null());
	json_object_set_new(o, "manifest", !t->has_manifest ? json_null() :
		json_pack("{s:o,s:I,s:i,s:I}", "config_digest",
			  jstr(t->config_digest), "config_size",
			  (json_int_t)t->config_size, "layers",
			  (int)t->layer_count, "layers_size",
			  (json_int_t)t->layers_size));
	json_object_set_new(o, "config", !t->has_config ? json_null() :
		json_pack("{s:o,s:o}", "platform",
			  jplatform(&t->config_platform), "argv",
			  json_argv(t->argv, t->argc)));
	json_object_set_new(o, "error", jstr(t->error));
	return o;
}

int report_inspect_json(FILE *out, const struct host *host,
			const struct image_result *r, const char *rules)
{
	json_t *o = json_object(), *tree = json_array();
	size_t i;

	for (i = 0; i < r->tree_count; i++)
		json_array_append_new(tree, json_tree_entry(&r->tree[i]));
	json_object_set_new(o, "reference", jstr(r->reference));
	json_object_set_new(o, "canonical", jstr(r->canonical));
	json_object_set_new(o, "node", jplatform(&r->node));
	json_object_set_new(o, "source", json_pack("{s:o,s:b}", "host",
						    jstr(r->source), "mirror",
						    r->mirror));
	json_object_set_new(o, "top", r->top_digest ? json_pack(
		"{s:o,s:o,s:s}", "digest", jstr(r->top_digest), "media_type",
		jstr(r->top_media_type), "kind", kind_name(r->top_kind)) :
		json_null());
	json_object_set_new(o, "manifests", tree);
	json_object_set_new(o, "complete", json_boolean(r->tree_complete));
	json_object_set_new(o, "selected", json_selected(r));
	json_object_set_new(o, "findings", json_findings(&r->findings));
	json_object_set_new(o, "stats", json_pack(
		"{s:i,s:I,s:i,s:o}", "requests", (int)r->requests,
		"bytes_received", (json_int_t)r->bytes_received,
		"milliseconds", (int)r->elapsed_ms, "http_version",
		json_http_version(r->http_versions)));
	return dump(out, json_pack("{s:i,s:o,s:o,s:s,s:o}", "schema",
				   REPORT_SCHEMA, "tool", json_tool(), "host",
				   json_host(host), "rules", rules, "image",
				   o));
}

static void report_host_level_text(FILE *out, const struct host *h)
{
	int level;
	const char *source = host_level(h, &level);

	if (level)
		fact(out, "cpu level:", "%s (from %s)", cpulevel_name(level),
		     source);
	else if (!strcmp(h->platform.arch, "amd64"))
		fact(out, "cpu level:", "unknown (no CPUID and no cpuinfo "
		     "flags line)");
}

void report_host_text(FILE *out, const struct host *h)
{
	struct compat32_judgment j;
	char plat[PLATFORM_STRING_MAX];

	fact(out, "platform:", "%s%s", platform_format(&h->platform, plat),
	     h->overridden ? " (from --platform)" : "");
	fact(out, "os:", "%s", h->platform.os);
	fact(out, "arch:", "%s", h->platform.arch);
	fact(out, "variant:", "%s%s%s%s", *h->platform.variant ?
	     h->platform.variant : "(none)", *h->variant_source ? " (from " :
	     "", h->variant_source, *h->variant_source ? ")" : "");
	fact(out, "machine:", "%s (uname)", h->machine);
	fact(out, "kernel:", "%s", h->kernel);
	fact(out, "page size:", "%ld bytes", h->page_size);
	compat32_judge(&h->compat32, h->platform.arch, &j);
	if (j.answer != COMPAT32_NOT_APPLICABLE)
		fact(out, "32-bit:", "%s (%s%s%s)", compat32_answer_name(j.answer),
		     j.source, j.source[0] ? ": " : "", j.reason);
	report_host_level_text(out, h);
	if (*h->emulated_on)
		fact(out, "emulated:", "yes: /proc/cpuinfo is from %s "
		     "hardware, not %s (a user-mode emulator such as "
		     "qemu-user runs this); the page size and binfmt_misc are "
		     "that machine's", h->emulated_on, h->machine);
}

void report_node_text(FILE *out, const struct node *n)
{
	const char *sandbox = node_sandbox_image(n);

	fact(out, "runtime:", "%s%s%s%s", node_runtime_name(n->runtime),
	     n->runtime_evidence[0] ? " (from " : "", n->runtime_evidence,
	     n->runtime_evidence[0] ? ")" : "");
	if (n->runtime == NODE_RUNTIME_CONTAINERD)
		fact(out, "hosts dirs:", "%s", n->containerd.config_path ?
		     n->containerd.config_path :
		     MIRRORS_CONTAINERD_CONFIG_PATH " (default)");
	if (n->runtime == NODE_RUNTIME_CRIO)
		fact(out, "registries:", "%s",
		     "/etc/containers/registries.conf and "
		     "registries.conf.d");
	fact(out, "sandbox:", "%s", sandbox ? sandbox : "(not configured)");
}

void report_binfmt_text(FILE *out, const struct binfmt_list *l)
{
	size_t i;

	if (!l) {
		fact(out, "binfmt_misc:", "not read (--platform without "
		     "--root is not this machine)");
		return;
	}
	if (!l->mounted) {
		fact(out, "binfmt_misc:", "not mounted: no emulators");
		return;
	}
	fact(out, "binfmt_misc:", "%s, %zu entr%s", l->disabled ?
	     "disabled as a whole (status): none apply" : "enabled",
	     l->count, l->count == 1 ? "y" : "ies");
	for (i = 0; i < l->count; i++) {
		const struct binfmt_entry *e = &l->items[i];

		fact(out, "emulator:", "%s: %s (%s, %s%s)", e->name,
		     e->interpreter, e->enabled ? "enabled" : "disabled",
		     e->extension ? "by file name extension" :
		     *e->flags ? "flags " : "no flags",
		     e->extension ? "" : e->flags);
	}
}

static json_t *json_binfmt(const struct binfmt_list *l)
{
	json_t *entries;
	size_t i;

	if (!l)
		return json_null();
	entries = json_array();
	for (i = 0; i < l->count; i++)
		json_array_append_new(entries, json_pack(
			"{s:o,s:o,s:b,s:s,s:b}", "name",
			jstr(l->items[i].name), "interpreter",
			jstr(l->items[i].interpreter), "enabled",
			l->items[i].enabled, "flags", l->items[i].flags,
			"extension", l->items[i].extension));
	return json_pack("{s:b,s:b,s:o}", "mounted", l->mounted, "enabled",
			 !l->disabled, "entries", entries);
}

static json_t *json_node(const struct node *n)
{
	const char *sandbox = node_sandbox_image(n);

	return json_pack("{s:s,s:o,s:o,s:o}", "runtime",
			 node_runtime_name(n->runtime), "evidence",
			 jstr(n->runtime_evidence), "containerd_config_path",
			 jstr(n->containerd.config_path), "sandbox_image",
			 jstr(sandbox));
}

int report_host_json(FILE *out, const struct host *h, const struct node *n,
		     const struct binfmt_list *binfmt)
{
	json_t *host = json_host(h);

	json_object_set_new(host, "runtime", json_node(n));
	json_object_set_new(host, "binfmt_misc", json_binfmt(binfmt));
	return dump(out, json_pack("{s:i,s:o,s:o}", "schema", REPORT_SCHEMA,
				   "tool", json_tool(), "host", host));
}
