/* Entrypoint inspection: what the runtime would exec, and whether the
   node's kernel can run it (ELF identity, script interpreter). */
#ifndef PREFLIGHT_ENTRYPOINT_H
#define PREFLIGHT_ENTRYPOINT_H

#include <stddef.h>

struct imagefs;
struct imagefs_layer;
struct image_config;
struct entry_facts;
struct findings;
struct platform;
struct error;
struct binfmt_list;

/* The PATH runtimes use when the image's Env has none. */
#define ENTRYPOINT_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Linux reads this much of a script's first line (BINPRM_BUF_SIZE). */
#define SCRIPT_LINE_MAX 256
/* Interpreters of interpreters followed (Linux allows 4 levels). */
#define SCRIPT_DEPTH_MAX 4

/*
 * The command: override if given, else Entrypoint followed by Cmd, as
 * the runtimes join them. Fills out->argv; returns the count (0 when the
 * image gives nothing to run).
 */
size_t entrypoint_argv(const struct image_config *cfg,
		       const char *const *override, struct entry_facts *out);

/*
 * Find argv[0] in the image (the image's PATH for a bare name, WorkingDir
 * for a relative path) and judge it for a node of platform node whose
 * kernel has pages of page_size bytes (0: not judged), whose CPU is
 * x86-64-v<cpu_level> (0: not known) and whose binfmt_misc registers
 * the emulators in binfmt (NULL: none). Adds
 * SIGNAL_BINARY findings. Returns -1 only when the layers could not be
 * read (err says why); everything the image itself decides is a finding.
 */
int entrypoint_inspect(struct imagefs *fs, const struct imagefs_layer *layers,
		       const struct image_config *cfg,
		       const struct platform *node, long page_size,
		       int cpu_level, const struct binfmt_list *binfmt,
		       struct entry_facts *out, struct findings *f,
		       struct error *err);

void entry_facts_release(struct entry_facts *e);

#endif
