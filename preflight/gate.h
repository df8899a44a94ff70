/* The release gate: what a release engineer asks of a tag before it is
   promoted, on top of "will it start here". */
#ifndef PREFLIGHT_GATE_H
#define PREFLIGHT_GATE_H

#include <stdbool.h>
#include <stddef.h>

struct image_result;
struct platform;

/*
 * The tag must be an index offering each of the required platforms
 * (exactly, variant included when given): a single manifest is FAIL
 * not-an-index, a missing platform FAIL required-platform-missing.
 * The verdict is made again.
 */
void gate_require(struct image_result *r, const struct platform *required,
		  size_t count, bool strict);

/*
 * Compare a tag with the reference it should be a copy of (a production
 * tag against its staging source): the same top digest is fine; the
 * tag being one child manifest of the reference's index is FAIL
 * promoted-child-manifest (the promotion copied one platform, the
 * incident behind this tool); any other digest is WARN
 * differs-from-reference. Nothing is said when the reference itself
 * could not be read (its own report says why): UNKNOWN reference-unread.
 */
void gate_compare(struct image_result *r, const struct image_result *ref,
		  bool strict);

#endif
