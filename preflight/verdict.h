/* Findings, the three signals they belong to, and the verdict they give. */
#ifndef PREFLIGHT_VERDICT_H
#define PREFLIGHT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

/* Ordered by weight: a verdict is the heaviest of its findings. */
enum severity {
	SEVERITY_INFO = 0,
	SEVERITY_WARN,
	SEVERITY_UNKNOWN,
	SEVERITY_FAIL,
};

enum verdict {
	VERDICT_PASS = 0,
	VERDICT_WARN,
	VERDICT_UNKNOWN,
	VERDICT_FAIL,
};

/*
 * The independent signals. Each must have been checked for a PASS:
 * the tag and index (what the node pulls), the config (what the image
 * says it is), the binary (what the entrypoint really is).
 */
enum signal {
	SIGNAL_TAG = 0,
	SIGNAL_CONFIG,
	SIGNAL_BINARY,
	SIGNAL_COUNT,
};

struct finding {
	char *code;        /* kebab-case, stable */
	enum severity severity;
	enum signal signal;
	char *message;     /* plain words, already escaped */
};

struct findings {
	struct finding *items;
	size_t count;
	bool checked[SIGNAL_COUNT];   /* the signal was decided */
};

void findings_init(struct findings *f);
void findings_release(struct findings *f);

/* Add a finding; the message is formatted and escaped of control bytes. */
void findings_add(struct findings *f, enum signal signal,
		  enum severity severity, const char *code, const char *fmt,
		  ...) __attribute__((format(printf, 5, 6)));

/* Change a finding's severity and message, once a later step knows
   more (the binary judged after the config). */
void finding_revise(struct finding *item, enum severity severity,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Mark a signal as decided (its findings, if any, are in). */
void findings_mark_checked(struct findings *f, enum signal signal);

/* Most severe first, stable within a severity. */
void findings_sort(struct findings *f);

/*
 * The verdict: FAIL if any finding fails; else UNKNOWN if any is unknown
 * or a signal was never decided; else WARN if any warns (FAIL when
 * strict); else PASS.
 */
enum verdict verdict_of(const struct findings *f, bool strict);

const char *verdict_name(enum verdict v);       /* "PASS", ... */
const char *severity_name(enum severity s);     /* "fail", ... */
const char *signal_name(enum signal s);         /* "tag", ... */

/* Exit status for a set of verdicts (contract: 0, 1, 2). */
int verdict_exit_status(const enum verdict *v, size_t count);

#endif
