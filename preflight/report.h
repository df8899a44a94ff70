/* Reports on stdout: text for people, JSON for machines (schema 1). */
#ifndef PREFLIGHT_REPORT_H
#define PREFLIGHT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct binfmt_list;
struct host;
struct image_result;
struct node;

#define REPORT_SCHEMA 1

struct report_style {
	bool color;       /* stdout is a terminal and NO_COLOR is unset */
	bool verbose;     /* show every fact, info findings included */
	const char *rules;   /* runtime rules in force, by name */
	bool strict;      /* --strict: a WARN counts as a FAIL */
};

void report_check_text(FILE *out, const struct host *host,
		       const struct image_result *results, size_t count,
		       const struct report_style *style);
int report_check_json(FILE *out, const struct host *host,
		      const struct image_result *results, size_t count,
		      const struct report_style *style);

/* kubeadm's preflight style: one "[ERROR ImagePreflight]: ..." line per
   failing image, "[WARNING ImagePreflight]: ..." per warning or
   unknown, and one summary line. */
void report_check_kubeadm(FILE *out, const struct image_result *results,
			  size_t count);

/* inspect: the tree one image resolves to, and this node's entry. */
void report_inspect_text(FILE *out, const struct image_result *result);
int report_inspect_json(FILE *out, const struct host *host,
			const struct image_result *result, const char *rules);

void report_host_text(FILE *out, const struct host *host);
/* The runtime found on the node and where its configuration is. */
void report_node_text(FILE *out, const struct node *node);
/* The node's binfmt_misc entries (NULL: not read). */
void report_binfmt_text(FILE *out, const struct binfmt_list *binfmt);
int report_host_json(FILE *out, const struct host *host,
		     const struct node *node,
		     const struct binfmt_list *binfmt);

#endif
