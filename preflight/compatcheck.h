/* What the node's 32-bit support makes of a 32-bit entrypoint and of
   a runtime's fallback to a 32-bit index entry. */
#ifndef PREFLIGHT_COMPATCHECK_H
#define PREFLIGHT_COMPATCHECK_H

struct host;
struct image_result;

/*
 * Revise the binary-32bit-compat and platform-fallback findings of res
 * with what host->compat32 says of a res->node node: a node that cannot
 * run 32-bit programs fails them, one that can makes binary-32bit-compat
 * an INFO, and an unknown leaves the WARN, each saying how it knows.
 */
void compatcheck_revise(struct image_result *res, const struct host *host);

#endif
