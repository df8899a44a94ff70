/* What the node's 32-bit support makes of a 32-bit entrypoint and of
   a runtime's fallback to a 32-bit index entry. */
#include "compatcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../platform/host.h"
#include "buf.h"
#include "check.h"
#include "escape.h"
#include "verdict.h"

/* Room for what is appended to a finding: the judgment's evidence. */
#define COMPATCHECK_NOTE_MAX (2 * COMPAT32_TEXT_MAX + 128)

static void compatcheck_append(struct finding *f, enum severity severity,
			       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Add an escaped sentence to a finding whose message is already
   escaped, and set its severity. */
static void compatcheck_append(struct finding *f, enum severity severity,
			       const char *fmt, ...)
{
	char note[COMPATCHECK_NOTE_MAX], *safe, *joined;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	safe = escape_text(note, strlen(note), sizeof(note));
	joined = xasprintf("%s%s", f->message, safe);
	free(safe);
	free(f->message);
	f->message = joined;
	f->severity = severity;
}

/* "reason (source)", or the reason alone when no file decided. */
static void compatcheck_evidence(const struct compat32_judgment *j,
				 char *out, size_t size)
{
	snprintf(out, size, "%s%s%s%s", j->reason, j->source[0] ? " (" : "",
		 j->source, j->source[0] ? ")" : "");
}

static void revise_binary(struct finding *f,
			  const struct compat32_judgment *j,
			  const char *evidence)
{
	if (j->answer == COMPAT32_YES)
		compatcheck_append(f, SEVERITY_INFO, "; this node does: %s",
				   evidence);
	else if (j->answer == COMPAT32_NO)
		compatcheck_append(f, SEVERITY_FAIL, "; this node does not: "
				   "%s, so the kernel refuses it (exec format "
				   "error)", evidence);
	else
		compatcheck_append(f, SEVERITY_WARN, "; whether this node "
				   "does is not known: %s", evidence);
}

/* The runtime took an entry of the 32-bit architecture: it runs only
   where the node runs 32-bit programs. */
static void revise_fallback(struct finding *f,
			    const struct compat32_judgment *j,
			    const char *evidence)
{
	if (j->answer == COMPAT32_YES)
		compatcheck_append(f, f->severity, "; this node runs 32-bit "
				   "programs: %s", evidence);
	else if (j->answer == COMPAT32_NO)
		compatcheck_append(f, SEVERITY_FAIL, "; this node cannot run "
				   "32-bit programs: %s", evidence);
	else
		compatcheck_append(f, f->severity, "; whether this node runs "
				   "32-bit programs is not known: %s",
				   evidence);
}

void compatcheck_revise(struct image_result *res, const struct host *host)
{
	char evidence[COMPATCHECK_NOTE_MAX];
	struct compat32_judgment j;
	bool to32;
	size_t i;

	compat32_judge(&host->compat32, res->node.arch, &j);
	if (j.answer == COMPAT32_NOT_APPLICABLE)
		return;
	compatcheck_evidence(&j, evidence, sizeof(evidence));
	to32 = res->selected &&
	       strcmp(res->selected_platform.arch, res->node.arch);
	for (i = 0; i < res->findings.count; i++) {
		struct finding *f = &res->findings.items[i];

		if (!strcmp(f->code, "binary-32bit-compat"))
			revise_binary(f, &j, evidence);
		else if (to32 && !strcmp(f->code, "platform-fallback"))
			revise_fallback(f, &j, evidence);
	}
}
