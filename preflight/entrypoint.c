/* Entrypoint inspection: what the runtime would exec, and whether the
   node's kernel can run it (ELF identity, script interpreter). */
#include "entrypoint.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../platform/binfmt.h"
#include "../platform/platform.h"
#include "allocator.h"
#include "buf.h"
#include "check.h"
#include "cpucheck.h"
#include "elf.h"
#include "error.h"
#include "escape.h"
#include "imagefs.h"
#include "libraries.h"
#include "manifest.h"
#include "shebang.h"
#include "verdict.h"

void entry_facts_release(struct entry_facts *e)
{
	size_t i;

	for (i = 0; i < e->argc; i++)
		free(e->argv[i]);
	free(e->argv);
	for (i = 0; i < e->link_count; i++)
		free(e->links[i]);
	free(e->links);
	free(e->path);
	free(e->resolved);
	free(e->layer_digest);
	free(e->interpreter);
	memset(e, 0, sizeof(*e));
}

static void argv_push(struct entry_facts *e, const char *arg)
{
	e->argv = xrealloc(e->argv, (e->argc + 2) * sizeof(*e->argv));
	e->argv[e->argc++] = xstrdup(arg);
	e->argv[e->argc] = NULL;
}

size_t entrypoint_argv(const struct image_config *cfg,
		       const char *const *override, struct entry_facts *out)
{
	size_t i;

	if (override) {
		for (i = 0; override[i]; i++)
			argv_push(out, override[i]);
		return out->argc;
	}
	for (i = 0; i < cfg->entrypoint_count; i++)
		argv_push(out, cfg->entrypoint[i]);
	for (i = 0; i < cfg->cmd_count; i++)
		argv_push(out, cfg->cmd[i]);
	return out->argc;
}

/* An exec-able regular file: what Go's exec.LookPath (runc) accepts. */
static bool is_executable(const struct imagefs_file *file)
{
	return file->status == IMAGEFS_FOUND && (file->mode & 0111);
}

/* Search name in the image's PATH; fills *file with the first hit, or
   the first file found at all when none is executable. */
static int search_path(struct imagefs *fs, const char *path_env,
		       const char *name, struct imagefs_file *file,
		       char **found, struct error *err)
{
	char *copy = xstrdup(path_env), *save = NULL, *dir;
	int ret = 0;

	*found = NULL;
	memset(file, 0, sizeof(*file));
	file->status = IMAGEFS_NOT_FOUND;
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		struct imagefs_file cand = { 0 };
		char *full = xasprintf("%s/%s", *dir ? dir : ".", name);

		if (imagefs_lookup(fs, full, &cand, err) < 0) {
			free(full);
			ret = -1;
			break;
		}
		if (is_executable(&cand) || (!*found &&
					     cand.status == IMAGEFS_FOUND)) {
			imagefs_file_release(file);
			*file = cand;
			free(*found);
			*found = full;
			if (is_executable(&cand))
				break;
			continue;
		}
		imagefs_file_release(&cand);
		free(full);
	}
	free(copy);
	return ret;
}

/* Drop "." components and repeated slashes ("/srv/./run" is
   "/srv/run"); ".." is left to the image's own lookup. */
static void clean_path(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		if (in[0] == '/' && (in[1] == '/' ||
				     (in[1] == '.' && (in[2] == '/' ||
						       !in[2])))) {
			in += in[1] == '/' ? 1 : 2;
			continue;
		}
		*out++ = *in++;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

static char *absolute_path(const char *arg0, const char *workdir)
{
	char *p;

	if (!workdir || !*workdir)
		workdir = "/";
	p = arg0[0] == '/' ? xstrdup(arg0) : xasprintf("%s/%s", workdir, arg0);
	clean_path(p);
	return p;
}

static void take_file_facts(struct entry_facts *e,
			    const struct imagefs_layer *layers,
			    struct imagefs_file *file)
{
	size_t i;

	free(e->resolved);
	e->resolved = xstrdup(file->path ? file->path : e->path);
	e->layer_index = file->layer;
	free(e->layer_digest);
	e->layer_digest = xstrdup(layers[file->layer].digest);
	e->size = file->size;
	e->mode = file->mode;
	for (i = 0; i < file->link_count; i++) {
		e->links = xrealloc(e->links,
				    (e->link_count + 1) * sizeof(*e->links));
		e->links[e->link_count++] = xstrdup(file->links[i]);
	}
}

/* A lookup that did not end on a regular file, in the node's words. */
static void report_missing(const char *what, const char *path,
			   const struct imagefs_file *file,
			   struct findings *f)
{
	switch (file->status) {
	case IMAGEFS_WHITED_OUT:
		findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "entrypoint-deleted",
			     "%s '%s' is deleted by the whiteout '%s' in "
			     "layer %zu: the container fails with \"no such "
			     "file or directory\"", what, path,
			     file->whiteout ? file->whiteout : "?",
			     file->whiteout_layer + 1);
		break;
	case IMAGEFS_IS_DIR:
		findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "entrypoint-is-directory",
			     "%s '%s' is a directory, not a program", what,
			     path);
		break;
	case IMAGEFS_LOOP:
		findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "entrypoint-symlink-loop",
			     "%s '%s': more than %d symbolic links "
			     "(IMAGEFS_SYMLINK_HOPS_MAX): too many levels of "
			     "symbolic links", what, path,
			     IMAGEFS_SYMLINK_HOPS_MAX);
		break;
	case IMAGEFS_SPECIAL:
		findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "entrypoint-not-regular",
			     "%s '%s' is a device, fifo or socket, not a "
			     "program", what, path);
		break;
	default:
		findings_add(f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "entrypoint-not-found",
			     "%s '%s' is not in the image: the container "
			     "fails with \"no such file or directory\"", what,
			     path);
	}
}

/* The identity a node of this platform runs natively, and the 32-bit
   one its kernel may run too (IA-32 on amd64, AArch32 on arm64). */
static bool compat_32bit(const struct platform *node,
			 const struct elf_info *e)
{
	if (!strcmp(node->arch, "amd64"))
		return e->elf_class == 1 && e->elf_data == 1 &&
		       e->machine == 3;
	if (!strcmp(node->arch, "arm64"))
		return e->elf_class == 1 && e->elf_data == 1 &&
		       e->machine == 40;
	return false;
}

static void describe_elf(char *out, size_t size, int cls, int data,
			 unsigned int machine)
{
	snprintf(out, size, "%s %s %s (machine %u)", elf_class_name(cls),
		 elf_data_name(data), elf_machine_name((uint16_t)machine),
		 machine);
}

struct inspect_ctx {
	struct imagefs *fs;
	const struct imagefs_layer *layers;
	const struct image_config *cfg;
	const struct platform *node;
	long page_size;
	int cpu_level;                      /* x86-64-vN, 0: not known */
	const struct binfmt_list *binfmt;   /* NULL: none */
	struct entry_facts *facts;
	struct findings *f;
};

/*
 * A program for another machine, which the kernel refuses natively, is
 * run by a binfmt_misc entry that claims its first bytes (qemu-user):
 * the kernel starts the entry's interpreter instead (Linux
 * Documentation/admin-guide/binfmt-misc.rst). Without the F flag the
 * interpreter is opened at exec time, inside the container, so there
 * the image must hold it.
 */
static int judge_foreign(struct inspect_ctx *c, const char *what,
			 const char *path, const struct imagefs_file *file,
			 const char *have, const char *need,
			 const char *plat, struct error *err)
{
	const struct binfmt_entry *emu;
	struct imagefs_file ifile = { 0 };
	bool fixed, inside = true;

	emu = binfmt_match(c->binfmt, file->head, file->head_len);
	fixed = emu && binfmt_entry_fixed(emu);
	if (emu && !fixed) {
		if (imagefs_lookup(c->fs, emu->interpreter, &ifile, err) < 0)
			return -1;
		inside = ifile.status == IMAGEFS_FOUND;
		imagefs_file_release(&ifile);
	}
	if (emu && inside)
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_WARN,
			     "runs-under-emulation",
			     "%s '%s' is %s, which a %s node does not run "
			     "natively: it runs only under emulation via '%s' "
			     "(binfmt_misc entry '%s'%s), slowly, and fails "
			     "where the emulator lacks an instruction or system "
			     "call it uses", what, path, have, plat,
			     emu->interpreter, emu->name, fixed ? "" :
			     ", found in the image as the entry has no F "
			     "flag");
	else if (emu)
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "binary-wrong-architecture",
			     "%s '%s' is %s; a %s node runs %s, and its "
			     "binfmt_misc entry '%s' has no F flag, so the "
			     "kernel looks for the emulator '%s' inside the "
			     "container, where the image does not have it: no "
			     "such file or directory", what, path, have, plat,
			     need, emu->name, emu->interpreter);
	else
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "binary-wrong-architecture",
			     "%s '%s' is %s; a %s node runs %s: the kernel "
			     "refuses it (exec format error)", what, path, have,
			     plat, need);
	return 0;
}

/* Judge an ELF header against what the node's kernel runs. */
static int judge_elf(struct inspect_ctx *c, const char *what,
		     const char *path, const struct elf_info *e,
		     const struct imagefs_file *file, struct error *err)
{
	char have[160], need[160], plat[PLATFORM_STRING_MAX];
	struct platform_elf want;

	platform_format(c->node, plat);
	if (!platform_elf_for(c->node, &want)) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "node-architecture-unknown",
			     "no ELF identity is known for a %s node; cannot "
			     "judge %s '%s'", plat, what, path);
		return 0;
	}
	if (e->type != 2 && e->type != 3) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "binary-not-executable-type",
			     "%s '%s' is an ELF file of type %u, neither an "
			     "executable nor a shared object: exec format "
			     "error", what, path, e->type);
		return 0;
	}
	describe_elf(have, sizeof(have), e->elf_class, e->elf_data,
		     e->machine);
	describe_elf(need, sizeof(need), want.elf_class, want.elf_data,
		     want.machine);
	if (e->elf_class == want.elf_class && e->elf_data == want.elf_data &&
	    e->machine == want.machine)
		return 0;
	if (compat_32bit(c->node, e)) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_WARN,
			     "binary-32bit-compat",
			     "%s '%s' is %s; a %s node runs it only if its "
			     "kernel and CPU support 32-bit programs", what,
			     path, have, plat);
		return 0;
	}
	return judge_foreign(c, what, path, file, have, need, plat, err);
}


/*
 * The kernel maps each PT_LOAD segment in whole pages: a segment aligned
 * to less than the running kernel's page size (4 KiB alignment on an
 * arm64 kernel with 16 or 64 KiB pages, or a ppc64le one with 64 KiB)
 * cannot be mapped where the file says, and the program dies at start.
 */
static void judge_alignment(struct inspect_ctx *c, const char *what,
			    const char *path, const struct elf_info *e)
{
	if (c->page_size <= 0 || e->phdrs_unread || !e->load_count ||
	    e->load_align_min == 0 ||
	    e->load_align_min >= (uint64_t)c->page_size)
		return;
	findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
		     "page-size-misaligned",
		     "%s '%s' has PT_LOAD segments aligned to 0x%llx bytes; "
		     "this kernel's pages are %ld bytes, so it cannot map "
		     "them and the program fails to start", what, path,
		     (unsigned long long)e->load_align_min, c->page_size);
}

static int inspect_file(struct inspect_ctx *c, const char *what,
			const char *path, struct imagefs_file *file,
			int depth, struct error *err);

static int inspect_env_target(struct inspect_ctx *c, const char *name,
			      int depth, struct error *err)
{
	const char *path_env = config_getenv(c->cfg, "PATH");
	struct imagefs_file file = { 0 };
	char *found = NULL;
	int ret;

	if (!path_env)
		path_env = ENTRYPOINT_DEFAULT_PATH;
	if (search_path(c->fs, path_env, name, &file, &found, err) < 0)
		return -1;
	if (!found) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "script-interpreter-missing",
			     "the script runs '/usr/bin/env %s', and '%s' is "
			     "not in the image's PATH (%s)", name, name,
			     path_env);
		imagefs_file_release(&file);
		return 0;
	}
	ret = inspect_file(c, "interpreter", found, &file, depth + 1, err);
	imagefs_file_release(&file);
	free(found);
	return ret;
}

/*
 * The kernel passes everything after the interpreter as one argument:
 * "#!/usr/bin/env sh -e" makes env look for a program named "sh -e".
 * Only "env -S" splits it again.
 */
static int inspect_env_arg(struct inspect_ctx *c, const char *path,
			   const char *arg, int depth, struct error *err)
{
	char *name;
	int ret;

	if (!strncmp(arg, "-S", 2)) {
		arg += 2;
		arg += strspn(arg, " \t");
	} else if (arg[0] == '-' && arg[strcspn(arg, " \t")]) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "script-interpreter-missing",
			     "script '%s' runs '/usr/bin/env %s': the kernel "
			     "passes '%s' as one argument, which env refuses "
			     "as an option (use 'env -S' to split it)", path,
			     arg, arg);
		return 0;
	} else if (arg[0] == '-') {
		return 0;   /* other env options: not judged */
	} else if (arg[strcspn(arg, " \t")]) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "script-interpreter-missing",
			     "script '%s' runs '/usr/bin/env %s': the kernel "
			     "passes '%s' as one argument, so env looks for a "
			     "program of that name (use 'env -S' to split it)",
			     path, arg, arg);
		return 0;
	}
	if (!*arg)
		return 0;
	name = xstrndup(arg, strcspn(arg, " \t"));
	ret = inspect_env_target(c, name, depth, err);
	free(name);
	return ret;
}

static int inspect_script(struct inspect_ctx *c, const char *path,
			  const struct imagefs_file *file, int depth,
			  struct error *err)
{
	struct imagefs_file ifile = { 0 };
	char *interp = NULL, *arg = NULL;
	int ret = 0;

	if (shebang_truncated(file->head, file->head_len)) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "script-interpreter-missing",
			     "'%s' starts with #! but its first line has no end "
			     "within %d bytes (SCRIPT_LINE_MAX) and the "
			     "interpreter's name runs to there: the kernel runs "
			     "no truncated name: exec format error", path,
			     SCRIPT_LINE_MAX);
		return 0;
	}
	if (!shebang_parse(file->head, file->head_len, &interp, &arg)) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "script-interpreter-missing",
			     "'%s' starts with #! but names no interpreter: "
			     "exec format error", path);
		return 0;
	}
	if (depth == 0) {
		free(c->facts->interpreter);
		c->facts->interpreter = xstrdup(interp);
	}
	if (depth >= SCRIPT_DEPTH_MAX) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "script-interpreter-loop",
			     "'%s': interpreters nest deeper than %d "
			     "(SCRIPT_DEPTH_MAX): the kernel refuses it", path,
			     SCRIPT_DEPTH_MAX);
		goto out;
	}
	if (interp[0] != '/') {
		/* the kernel opens a relative interpreter from the working
		   directory */
		char *abs = absolute_path(interp, c->cfg->working_dir);

		free(interp);
		interp = abs;
	}
	if (imagefs_lookup(c->fs, interp, &ifile, err) < 0) {
		ret = -1;
		goto out;
	}
	if (ifile.status != IMAGEFS_FOUND) {
		bool cr = strchr(interp, '\r') != NULL;

		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "script-interpreter-missing",
			     "script '%s' needs the interpreter '%s', which "
			     "is not in the image%s", path, interp,
			     cr ? " (its #! line ends in a carriage return: "
				  "the file has CRLF line endings, and the "
				  "kernel looks for a name that ends in it)" : "");
		goto out;
	}
	ret = inspect_file(c, "interpreter", interp, &ifile, depth + 1, err);
	if (ret == 0 && arg && !strcmp(strrchr(interp, '/') ?
				       strrchr(interp, '/') + 1 : interp,
				       "env"))
		ret = inspect_env_arg(c, path, arg, depth, err);
out:
	imagefs_file_release(&ifile);
	free(interp);
	free(arg);
	return ret;
}

/* The loaders of the two C libraries images are built on. */
static const char *const musl_loaders[] = {
	"/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1",
	"/lib/ld-musl-armhf.so.1", "/lib/ld-musl-arm.so.1",
	"/lib/ld-musl-i386.so.1", "/lib/ld-musl-powerpc64le.so.1",
	"/lib/ld-musl-s390x.so.1", "/lib/ld-musl-riscv64.so.1", NULL,
};
static const char *const glibc_loaders[] = {
	"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1",
	"/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.3",
	"/lib/ld-linux.so.2", "/lib64/ld64.so.2", "/lib/ld64.so.1",
	"/lib/ld-linux-riscv64-lp64d.so.1", NULL,
};

/* The first loader of the list the image has into *found (NULL when
   none); -1 when the layers cannot be read. */
static int image_has_one(struct inspect_ctx *c, const char *const *list,
			 const char **found, struct error *err)
{
	*found = NULL;
	for (; *list && !*found; list++) {
		struct imagefs_file f = { 0 };

		if (imagefs_lookup(c->fs, *list, &f, err) < 0)
			return -1;
		if (f.status == IMAGEFS_FOUND)
			*found = *list;
		imagefs_file_release(&f);
	}
	return 0;
}

/* A missing loader, and the usual reason: the binary was built against
   the other C library than the image carries (glibc on musl). */
static int report_missing_loader(struct inspect_ctx *c, const char *what,
				 const char *path, const char *interp,
				 struct error *err)
{
	bool wants_musl = strstr(interp, "ld-musl") != NULL;
	const char *other;

	if (image_has_one(c, wants_musl ? glibc_loaders : musl_loaders,
			  &other, err) < 0)
		return -1;
	findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
		     "elf-interpreter-missing",
		     "%s '%s' needs the program interpreter '%s', which is "
		     "not in the image: the container fails with \"no such "
		     "file or directory\"%s%s%s%s", what, path, interp,
		     other ? "; it is a " : "",
		     other ? (wants_musl ? "musl" : "glibc") : "",
		     other ? " binary on a " : "",
		     other ? (wants_musl ? "glibc image" : "musl image") : "");
	if (other)
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_INFO,
			     "libc-mismatch", "the image's loader is '%s'",
			     other);
	return 0;
}

/*
 * A dynamically linked program starts only if the kernel finds its
 * PT_INTERP in the image: otherwise execve fails with ENOENT, "no such
 * file or directory" for a file that exists.
 */
/* The loader's own header, for what the program needs of it (NULL when
   it cannot be parsed: the loader's inspection says why). */
static int judge_loader_abi(struct inspect_ctx *c, const char *what,
			    const char *path, const struct elf_info *elf,
			    const struct imagefs_file *pfile,
			    const char *interp,
			    const struct imagefs_file *lfile,
			    struct error *err)
{
	struct elf_info loader;
	struct error perr;
	bool ok;

	error_init(&perr);
	ok = elf_parse(lfile->head, lfile->head_len, (uint64_t)lfile->size,
		       &loader, &perr) == 0;
	return cpucheck_float_abi(c->fs, pfile, elf, what, path, interp,
				  ok ? &loader : NULL, c->f, err);
}

static int inspect_loader(struct inspect_ctx *c, const char *what,
			  const char *path, const struct elf_info *elf,
			  const struct imagefs_file *pfile, int depth,
			  struct error *err)
{
	struct imagefs_file file = { 0 };
	char *interp;
	int ret = 0;

	/* the program headers, and so any PT_INTERP, were not all read */
	if (elf->phdrs_unread && !elf->has_interp) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "elf-interpreter-unread",
			     "%s '%s': its program headers lie beyond the "
			     "first %d bytes read (IMAGEFS_HEAD_MAX), so "
			     "whether it needs an interpreter is not known",
			     what, path, IMAGEFS_HEAD_MAX);
		return 0;
	}
	if (elf->has_interp && depth >= SCRIPT_DEPTH_MAX) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "elf-interpreter-unread",
			     "%s '%s': interpreters nest deeper than %d "
			     "(SCRIPT_DEPTH_MAX); its interpreter was not "
			     "checked", what, path, SCRIPT_DEPTH_MAX);
		return 0;
	}
	if (elf->interp_unread) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_UNKNOWN,
			     "elf-interpreter-unread",
			     "%s '%s': its interpreter path lies beyond the "
			     "first %d bytes read (IMAGEFS_HEAD_MAX)", what, path,
			     IMAGEFS_HEAD_MAX);
		return 0;
	}
	if (!elf->has_interp || depth >= SCRIPT_DEPTH_MAX)
		return 0;
	/* a relative interpreter is opened from the working directory */
	interp = absolute_path(elf->interp, c->cfg->working_dir);
	if (imagefs_lookup(c->fs, interp, &file, err) < 0) {
		free(interp);
		return -1;
	}
	if (file.status != IMAGEFS_FOUND)
		ret = report_missing_loader(c, what, path, interp, err);
	else if (!elf_is_elf(file.head, file.head_len))
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "elf-interpreter-not-elf",
			     "%s '%s' names '%s' as its program interpreter, "
			     "which is not an ELF file: the kernel refuses it",
			     what, path, interp);
	else if (judge_loader_abi(c, what, path, elf, pfile, interp, &file,
				  err) < 0)
		ret = -1;
	else
		ret = inspect_file(c, "program interpreter", interp, &file,
				   depth + 1, err);
	if (ret == 0 && file.status == IMAGEFS_FOUND &&
	    elf_is_elf(file.head, file.head_len)) {
		struct library_subject s = { what, path, pfile, elf,
					     elf->interp, file.path };

		ret = libraries_inspect(c->fs, c->cfg, c->page_size, &s,
					c->f, err);
	}
	imagefs_file_release(&file);
	free(interp);
	return ret;
}

static int inspect_file(struct inspect_ctx *c, const char *what,
			const char *path, struct imagefs_file *file,
			int depth, struct error *err)
{
	struct elf_info elf;
	struct error perr;

	if (file->status != IMAGEFS_FOUND) {
		report_missing(what, path, file, c->f);
		return 0;
	}
	if (!(file->mode & 0111)) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "entrypoint-not-executable",
			     "%s '%s' has mode %04o, with no execute "
			     "permission: permission denied", what, path,
			     file->mode & 07777);
		return 0;
	}
	if (file->head_len >= 2 && file->head[0] == '#' &&
	    file->head[1] == '!') {
		if (depth == 0)
			c->facts->kind = ENTRY_SCRIPT;
		return inspect_script(c, path, file, depth, err);
	}
	if (!elf_is_elf(file->head, file->head_len)) {
		if (depth == 0)
			c->facts->kind = ENTRY_OTHER;
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "not-a-program",
			     "%s '%s' is neither an ELF binary nor a #! "
			     "script: exec format error", what, path);
		return 0;
	}
	error_init(&perr);
	if (elf_parse(file->head, file->head_len, (uint64_t)file->size, &elf,
		      &perr) < 0) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "binary-malformed",
			     "%s '%s' is a broken ELF file (%s): exec format "
			     "error", what, path, perr.message);
		return 0;
	}
	if (depth == 0) {
		c->facts->kind = ENTRY_ELF;
		c->facts->has_elf = true;
		c->facts->elf = elf;
	}
	if (elf.phnum == 0) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "binary-malformed",
			     "%s '%s' has no program headers: exec format "
			     "error", what, path);
		return 0;
	}
	if (judge_elf(c, what, path, &elf, file, err) < 0)
		return -1;
	judge_alignment(c, what, path, &elf);
	if (depth == 0 && allocator_inspect(c->fs, file, path, &elf, c->node,
					    c->page_size, c->f, err) < 0)
		return -1;
	if (cpucheck_binary(c->fs, file, &elf, c->node, c->cpu_level, what,
			    path, c->f, err) < 0)
		return -1;
	return inspect_loader(c, what, path, &elf, file, depth, err);
}

/* Locate argv[0]: a bare name through PATH, else relative to WorkingDir. */
static int locate(struct inspect_ctx *c, struct imagefs_file *file,
		  struct error *err)
{
	const char *arg0 = c->facts->argv[0];
	const char *path_env = config_getenv(c->cfg, "PATH");
	char *found = NULL;

	if (strchr(arg0, '/')) {
		c->facts->path = absolute_path(arg0, c->cfg->working_dir);
		return imagefs_lookup(c->fs, c->facts->path, file, err);
	}
	if (!path_env)
		path_env = ENTRYPOINT_DEFAULT_PATH;
	if (search_path(c->fs, path_env, arg0, file, &found, err) < 0)
		return -1;
	if (!found) {
		findings_add(c->f, SIGNAL_BINARY, SEVERITY_FAIL,
			     "entrypoint-not-found",
			     "'%s' is not in any directory of the image's PATH "
			     "(%s): the container fails with \"executable "
			     "file not found in $PATH\"", arg0, path_env);
		c->facts->path = xstrdup(arg0);
		return 1;
	}
	c->facts->path = found;
	return 0;
}

/*
 * The start of a file these checks read: binfmt_misc's magic and a
 * script's first line lie in the first SCRIPT_LINE_MAX bytes (as many
 * as IMAGEFS_HEAD_FIRST); an ELF file's header, program headers,
 * PT_INTERP and notes wherever they lie. A dynamically linked file that
 * fits in IMAGEFS_HEAD_MAX is read whole, as the library search reads
 * its dynamic section next; later reads of a larger one (the dynamic
 * section, section headers) fetch what they need when they need it.
 */
static size_t entrypoint_head_wanted(const unsigned char *data, size_t len,
				     int64_t size)
{
	struct elf_info elf;
	struct error perr;

	if (!elf_is_elf(data, len))
		return SCRIPT_LINE_MAX;
	error_init(&perr);
	elf_parse(data, len, size > 0 ? (uint64_t)size : 0, &elf, &perr);
	if (elf.has_interp && size > 0 && size <= IMAGEFS_HEAD_MAX)
		return (size_t)size;
	return elf.head_wanted < IMAGEFS_HEAD_MAX ? (size_t)elf.head_wanted
						  : IMAGEFS_HEAD_MAX;
}

int entrypoint_inspect(struct imagefs *fs, const struct imagefs_layer *layers,
		       const struct image_config *cfg,
		       const struct platform *node, long page_size,
		       int cpu_level, const struct binfmt_list *binfmt,
		       struct entry_facts *out, struct findings *f,
		       struct error *err)
{
	struct inspect_ctx c = { fs, layers, cfg, node, page_size, cpu_level,
				 binfmt, out, f };
	struct imagefs_file file = { 0 };
	int ret;

	imagefs_set_head_fn(fs, entrypoint_head_wanted);
	ret = locate(&c, &file, err);
	if (ret != 0) {
		imagefs_file_release(&file);
		return ret < 0 ? -1 : 0;
	}
	if (file.status == IMAGEFS_FOUND)
		take_file_facts(out, layers, &file);
	ret = inspect_file(&c, "entrypoint", out->path, &file, 0, err);
	imagefs_file_release(&file);
	return ret;
}
