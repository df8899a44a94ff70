/* The main job for one image: will it start on this node? */
#ifndef PREFLIGHT_CHECK_H
#define PREFLIGHT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../platform/platform.h"
#include "elf.h"
#include "manifest.h"
#include "verdict.h"

struct binfmt_list;
struct host;
struct node;
struct registry_options;

/* Which runtime's rules decide where runtimes differ. */
enum runtime_rules {
	RULES_ANY = 0,       /* refuse what any major runtime refuses */
	RULES_CONTAINERD,
	RULES_CRIO,
};

struct check_options {
	const struct host *host;          /* the node (or --platform) */
	const struct registry_options *registry;
	const struct node *node;          /* runtime setup, or NULL */
	const struct binfmt_list *binfmt; /* emulators registered, or NULL */
	enum runtime_rules rules;
	const char *const *entrypoint;    /* override argv, NULL-terminated */
	bool strict;
	/* inspect: read every runnable entry's manifest and config into
	   the result's tree and decide the selection; no layer is read */
	bool tree_only;
};

/* An index entry as offered to nodes (attestations excluded). */
struct offered {
	struct platform platform;
	char *digest;
	bool valid;           /* a tuple runtimes know */
};

/* What the entrypoint turned out to be. */
enum entry_kind {
	ENTRY_UNKNOWN = 0,
	ENTRY_ELF,
	ENTRY_SCRIPT,
	ENTRY_OTHER,          /* neither: the kernel refuses it */
};

struct entry_facts {
	char **argv;          /* the command the runtime would run */
	size_t argc;
	char *path;           /* argv[0] made absolute (PATH, WorkingDir) */
	char *resolved;       /* after the image's symlinks */
	char *layer_digest;   /* layer holding the file */
	size_t layer_index;   /* 0 = bottom */
	int64_t size;
	unsigned int mode;
	enum entry_kind kind;
	bool has_elf;
	struct elf_info elf;
	char *interpreter;    /* script: the #! interpreter as the kernel
				 reads it (escaped) */
	char **links;         /* symlinks followed, "a -> b" */
	size_t link_count;
};

/* One platform manifest of the tree an image resolves to (inspect). */
struct tree_entry {
	size_t position;      /* 1-based in the index; 0 for a single one */
	bool has_platform;
	struct platform platform;     /* as written in the index entry */
	bool attestation;     /* listed, never fetched */
	bool valid;           /* a tuple runtimes know */
	bool selected;        /* the entry this node would get */
	char *digest;
	char *media_type;
	int64_t size;
	/* the manifest, once read */
	bool has_manifest;
	size_t layer_count;
	int64_t layers_size;  /* sum of the layer descriptors' sizes */
	char *config_digest;
	int64_t config_size;
	/* the config, once read */
	bool has_config;
	struct platform config_platform;   /* as written */
	char **argv;          /* Entrypoint then Cmd, NULL-terminated */
	size_t argc;
	char *error;          /* why the manifest or config is missing */
};

struct image_result {
	char *reference;      /* as given */
	char *canonical;
	char *source;         /* host contacted */
	bool mirror;
	struct platform node;
	/* the tag */
	char *top_digest;
	char *top_media_type;
	enum document_kind top_kind;
	struct offered *offered;
	size_t offered_count;
	/* the platform manifest chosen */
	bool selected;
	struct platform selected_platform;
	char *selected_digest;
	char *selected_media_type;
	char *selected_reason;
	/* the config */
	bool has_config;
	char *config_digest;
	struct platform config_platform;
	struct platform config_raw;
	/* the entrypoint */
	bool has_entry;
	struct entry_facts entry;
	struct findings findings;
	enum verdict verdict;
	/* inspect */
	struct tree_entry *tree;
	size_t tree_count;
	bool tree_complete;   /* every runnable entry and config was read */
	/* cost */
	unsigned int requests;
	uint64_t bytes_received;
	uint64_t layer_bytes_read;
	uint64_t layer_bytes_total;
	/* times a layer was read from its start (its stream opened) */
	size_t layer_reads;
	unsigned int http_versions;   /* HTTP_VERSION_* bits (http.h) */
	long elapsed_ms;
};

void image_result_release(struct image_result *r);

/*
 * Check one image. Always fills result, verdict included: problems are
 * findings (UNKNOWN where the checker could not decide), not errors.
 */
void check_image(const char *text, const struct check_options *opt,
		 struct image_result *result);

#endif
