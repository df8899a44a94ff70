/* Entrypoint inspection: shared libraries. Whether the image's loader
   finds every library a dynamically linked program needs. */
#ifndef PREFLIGHT_LIBRARIES_H
#define PREFLIGHT_LIBRARIES_H

struct imagefs;
struct imagefs_file;
struct image_config;
struct elf_info;
struct findings;
struct error;

/* Libraries checked for one program, its own and theirs together. */
#define LIBRARY_MAX 512
/* Levels of "a library needed by a library" followed. */
#define LIBRARY_DEPTH_MAX 32

/* What is being checked: a program found in the image, and its loader. */
struct library_subject {
	const char *what;     /* "entrypoint", "interpreter" */
	const char *path;     /* as the report names it */
	const struct imagefs_file *file;   /* found, its head read */
	const struct elf_info *elf;
	const char *interp;   /* its PT_INTERP */
	const char *loader;   /* where PT_INTERP resolved in the image */
};

/*
 * Look up each DT_NEEDED library of the subject, and theirs in turn
 * (breadth first, each name once), as its loader would: glibc's ld.so
 * (DT_RPATH, LD_LIBRARY_PATH from the config's Env, DT_RUNPATH,
 * /etc/ld.so.cache, the default directories) or musl's (LD_LIBRARY_PATH,
 * the run paths, /etc/ld-musl-ARCH.path or its defaults). Each library
 * found is judged against the node's page size page_size (0: not
 * judged). Adds SIGNAL_BINARY findings; returns -1 only when a layer
 * cannot be read (err says why).
 */
int libraries_inspect(struct imagefs *fs, const struct image_config *cfg,
		      long page_size, const struct library_subject *s,
		      struct findings *f, struct error *err);

#endif
