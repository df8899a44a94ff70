/* Platform selection: which index entry this node's runtime would pull. */
#ifndef PREFLIGHT_SELECT_H
#define PREFLIGHT_SELECT_H

#include <stddef.h>

struct document;
struct platform;

#define SELECT_REASON_MAX 512

struct selection {
	long index;                  /* the entry chosen, -1 for none */
	int rank;                    /* 0 = exact match */
	char reason[SELECT_REASON_MAX];
};

/*
 * Choose as containerd's default matcher (platforms.Only) does: skip
 * attestations and entries the node's vector rejects, take the lowest
 * rank (the node itself, then its fallbacks), the first in index order
 * among equals; an entry without a platform matches last.
 */
void select_platform(const struct document *index,
		     const struct platform *node, struct selection *out);

#endif
