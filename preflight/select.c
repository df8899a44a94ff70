/* Platform selection: which index entry this node's runtime would pull. */
#include "select.h"

#include <stdio.h>
#include <string.h>

#include "../platform/platform.h"
#include "manifest.h"

static void describe(const struct platform *node,
		     const struct descriptor *d, int rank, char *out)
{
	char want[PLATFORM_STRING_MAX], got[PLATFORM_STRING_MAX];

	platform_format(node, want);
	if (!d->has_platform) {
		snprintf(out, SELECT_REASON_MAX,
			 "the entry has no platform, which containerd "
			 "accepts on any node");
		return;
	}
	platform_format(&d->platform, got);
	if (rank == 0)
		snprintf(out, SELECT_REASON_MAX, "exact match for %s", want);
	else if (!strcmp(d->platform.arch, node->arch))
		snprintf(out, SELECT_REASON_MAX,
			 "no %s entry; containerd falls back to the older "
			 "variant %s", want, got);
	else
		snprintf(out, SELECT_REASON_MAX,
			 "no %s entry; containerd falls back to %s, which "
			 "needs the node to run %s binaries", want, got,
			 d->platform.arch);
}

void select_platform(const struct document *index,
		     const struct platform *node, struct selection *out)
{
	struct platform_vector v;
	int best = -1, rank;
	size_t i;

	out->index = -1;
	out->rank = -1;
	snprintf(out->reason, sizeof(out->reason), "no entry matches");
	platform_vector_for(node, &v);
	for (i = 0; i < index->entry_count; i++) {
		const struct descriptor *d = &index->entries[i];

		if (d->attestation)
			continue;
		rank = d->has_platform ?
			platform_vector_rank(&v, &d->platform) : v.count;
		if (rank < 0)
			continue;
		if (best < 0 || rank < best) {
			best = rank;
			out->index = (long)i;
		}
	}
	if (out->index < 0)
		return;
	out->rank = best;
	describe(node, &index->entries[out->index], best, out->reason);
}
