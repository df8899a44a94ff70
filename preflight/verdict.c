/* Findings, the three signals they belong to, and the verdict they give. */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "escape.h"

/* Longest finding message kept. */
#define FINDING_MESSAGE_MAX 2048

void findings_init(struct findings *f)
{
	memset(f, 0, sizeof(*f));
}

void findings_release(struct findings *f)
{
	size_t i;

	for (i = 0; i < f->count; i++) {
		free(f->items[i].code);
		free(f->items[i].message);
	}
	free(f->items);
	findings_init(f);
}

void finding_revise(struct finding *item, enum severity severity,
		    const char *fmt, ...)
{
	char text[FINDING_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	free(item->message);
	item->message = escape_text(text, strlen(text), FINDING_MESSAGE_MAX);
	item->severity = severity;
}

void findings_add(struct findings *f, enum signal signal,
		  enum severity severity, const char *code, const char *fmt,
		  ...)
{
	char text[FINDING_MESSAGE_MAX];
	struct finding *item;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	f->items = xrealloc(f->items, (f->count + 1) * sizeof(*f->items));
	item = &f->items[f->count++];
	item->code = xstrdup(code);
	item->severity = severity;
	item->signal = signal;
	item->message = escape_text(text, strlen(text), FINDING_MESSAGE_MAX);
}

void findings_mark_checked(struct findings *f, enum signal signal)
{
	f->checked[signal] = true;
}

void findings_sort(struct findings *f)
{
	size_t i, j;

	/* insertion sort: stable, and the lists are short */
	for (i = 1; i < f->count; i++) {
		struct finding tmp = f->items[i];

		for (j = i; j > 0 && f->items[j - 1].severity < tmp.severity;
		     j--)
			f->items[j] = f->items[j - 1];
		f->items[j] = tmp;
	}
}

enum verdict verdict_of(const struct findings *f, bool strict)
{
	enum severity worst = SEVERITY_INFO;
	size_t i;
	int s;

	for (i = 0; i < f->count; i++)
		if (f->items[i].severity > worst)
			worst = f->items[i].severity;
	if (worst == SEVERITY_FAIL)
		return VERDICT_FAIL;
	if (worst == SEVERITY_UNKNOWN)
		return VERDICT_UNKNOWN;
	/* never a PASS on a signal nobody looked at */
	for (s = 0; s < SIGNAL_COUNT; s++)
		if (!f->checked[s])
			return VERDICT_UNKNOWN;
	if (worst == SEVERITY_WARN)
		return strict ? VERDICT_FAIL : VERDICT_WARN;
	return VERDICT_PASS;
}

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = { "PASS", "WARN", "UNKNOWN",
					     "FAIL" };

	return names[v];
}

const char *severity_name(enum severity s)
{
	static const char *const names[] = { "info", "warn", "unknown",
					     "fail" };

	return names[s];
}

const char *signal_name(enum signal s)
{
	static const char *const names[] = { "tag", "config", "binary" };

	return s < SIGNAL_COUNT ? names[s] : "other";
}

int verdict_exit_status(const enum verdict *v, size_t count)
{
	bool unknown = false;
	size_t i;

	for (i = 0; i < count; i++) {
		if (v[i] == VERDICT_FAIL)
			return 1;
		if (v[i] == VERDICT_UNKNOWN)
			unknown = true;
	}
	return unknown ? 2 : 0;
}
