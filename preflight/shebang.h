/* The "#!" line of a script, split as the kernel splits it. */
#ifndef PREFLIGHT_SHEBANG_H
#define PREFLIGHT_SHEBANG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Split the first line of head (len bytes, starting with "#!") into the
 * interpreter and its one optional argument, as Linux does
 * (fs/binfmt_script.c): only the first SCRIPT_LINE_MAX bytes count, the
 * line ends at a newline, blanks (space, tab) around the name are
 * skipped, the name ends at a blank, and everything after it up to the
 * end of the line, trailing blanks removed, is the argument. A carriage
 * return stays part of what it ends. Returns false when the line names
 * no interpreter; else *interp and *arg (NULL when there is none) are
 * the caller's to free.
 */
bool shebang_parse(const unsigned char *head, size_t len, char **interp,
		   char **arg);

/*
 * With no newline in its first SCRIPT_LINE_MAX bytes, a #! line whose
 * interpreter name runs to their end is refused: the kernel will not run
 * a truncated name (fs/binfmt_script.c). True for such a line.
 */
bool shebang_truncated(const unsigned char *head, size_t len);

#endif
