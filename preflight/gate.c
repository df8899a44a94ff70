/* The release gate: what a release engineer asks of a tag before it is
   promoted, on top of "will it start here". */
#include "gate.h"

#include <string.h>

#include "../platform/platform.h"
#include "check.h"
#include "verdict.h"

static void redo_verdict(struct image_result *r, bool strict)
{
	findings_sort(&r->findings);
	r->verdict = verdict_of(&r->findings, strict);
}

static bool offers(const struct image_result *r, const struct platform *p)
{
	for (size_t i = 0; i < r->offered_count; i++) {
		const struct platform *o = &r->offered[i].platform;

		if (!strcmp(o->os, p->os) && !strcmp(o->arch, p->arch) &&
		    (!p->variant[0] || !strcmp(o->variant, p->variant)))
			return true;
	}
	return false;
}

void gate_require(struct image_result *r, const struct platform *required,
		  size_t count, bool strict)
{
	char plat[PLATFORM_STRING_MAX];

	if (!r->top_digest)
		return;   /* not read: already UNKNOWN or FAIL, and why */
	if (r->top_kind != DOC_INDEX) {
		findings_add(&r->findings, SIGNAL_TAG, SEVERITY_FAIL,
			     "not-an-index",
			     "the tag is a single manifest, not a multi-platform "
			     "index: nodes of every other platform pull it and "
			     "cannot run it");
	} else {
		for (size_t i = 0; i < count; i++)
			if (!offers(r, &required[i]))
				findings_add(&r->findings, SIGNAL_TAG,
					     SEVERITY_FAIL,
					     "required-platform-missing",
					     "the index offers no %s entry",
					     platform_format(&required[i],
							     plat));
	}
	redo_verdict(r, strict);
}

void gate_compare(struct image_result *r, const struct image_result *ref,
		  bool strict)
{
	char plat[PLATFORM_STRING_MAX];

	if (!r->top_digest)
		return;
	if (!ref->top_digest) {
		findings_add(&r->findings, SIGNAL_TAG, SEVERITY_UNKNOWN,
			     "reference-unread",
			     "'%s' could not be read to compare with",
			     ref->reference);
	} else if (!strcmp(r->top_digest, ref->top_digest)) {
		findings_add(&r->findings, SIGNAL_TAG, SEVERITY_INFO,
			     "same-as-reference",
			     "the tag is '%s' (%s)", ref->reference,
			     ref->top_digest);
	} else {
		for (size_t i = 0; i < ref->offered_count; i++) {
			if (strcmp(r->top_digest, ref->offered[i].digest))
				continue;
			findings_add(&r->findings, SIGNAL_TAG, SEVERITY_FAIL,
				     "promoted-child-manifest",
				     "the tag is only the %s child manifest of "
				     "'%s', not its index: the promotion copied "
				     "one platform", platform_format(
					     &ref->offered[i].platform, plat),
				     ref->reference);
			redo_verdict(r, strict);
			return;
		}
		findings_add(&r->findings, SIGNAL_TAG, SEVERITY_WARN,
			     "differs-from-reference",
			     "the tag is %s, '%s' is %s", r->top_digest,
			     ref->reference, ref->top_digest);
	}
	redo_verdict(r, strict);
}
