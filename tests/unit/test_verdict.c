/* Unit tests for combining findings and signals into a verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/verdict.h"

struct verdict_case {
	const char *name;
	enum severity severities[4];   /* SEVERITY_INFO ends early */
	int count;
	bool all_checked;
	bool strict;
	enum verdict want;
};

static const struct verdict_case cases[] = {
	{ "nothing found, all checked", { 0 }, 0, true, false, VERDICT_PASS },
	{ "info only", { SEVERITY_INFO }, 1, true, false, VERDICT_PASS },
	{ "a signal never checked", { 0 }, 0, false, false,
	  VERDICT_UNKNOWN },
	{ "warn", { SEVERITY_WARN }, 1, true, false, VERDICT_WARN },
	{ "warn, strict", { SEVERITY_WARN }, 1, true, true, VERDICT_FAIL },
	{ "warn, unchecked", { SEVERITY_WARN }, 1, false, false,
	  VERDICT_UNKNOWN },
	{ "unknown beats warn", { SEVERITY_WARN, SEVERITY_UNKNOWN }, 2, true,
	  false, VERDICT_UNKNOWN },
	{ "fail beats unknown", { SEVERITY_UNKNOWN, SEVERITY_FAIL }, 2,
	  false, false, VERDICT_FAIL },
	{ "fail while unchecked", { SEVERITY_FAIL }, 1, false, false,
	  VERDICT_FAIL },
};

static void test_verdict_table(void **state)
{
	size_t i;
	int k, s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct verdict_case *c = &cases[i];
		struct findings f;
		enum verdict got;

		findings_init(&f);
		for (k = 0; k < c->count; k++)
			findings_add(&f, SIGNAL_BINARY, c->severities[k],
				     "code", "message %d", k);
		for (s = 0; s < SIGNAL_COUNT; s++)
			if (c->all_checked)
				findings_mark_checked(&f, (enum signal)s);
		got = verdict_of(&f, c->strict);
		if (got != c->want)
			fail_msg("%s: want %s, got %s", c->name,
				 verdict_name(c->want), verdict_name(got));
		findings_release(&f);
	}
}

static void test_sort_most_severe_first(void **state)
{
	struct findings f;

	(void)state;
	findings_init(&f);
	findings_add(&f, SIGNAL_TAG, SEVERITY_INFO, "a", "first info");
	findings_add(&f, SIGNAL_TAG, SEVERITY_FAIL, "b", "a fail");
	findings_add(&f, SIGNAL_TAG, SEVERITY_WARN, "c", "a warn");
	findings_add(&f, SIGNAL_TAG, SEVERITY_FAIL, "d", "second fail");
	findings_sort(&f);
	assert_string_equal(f.items[0].code, "b");
	assert_string_equal(f.items[1].code, "d");
	assert_string_equal(f.items[2].code, "c");
	assert_string_equal(f.items[3].code, "a");
	findings_release(&f);
}

static void test_message_escaped(void **state)
{
	struct findings f;

	(void)state;
	findings_init(&f);
	findings_add(&f, SIGNAL_TAG, SEVERITY_INFO, "x", "from server: %s",
		     "evil\033[2J\r\n");
	assert_string_equal(f.items[0].message,
			    "from server: evil\\x1b[2J\\r\\n");
	findings_release(&f);
}

static void test_exit_status(void **state)
{
	enum verdict pass_warn[] = { VERDICT_PASS, VERDICT_WARN };
	enum verdict with_unknown[] = { VERDICT_PASS, VERDICT_UNKNOWN };
	enum verdict with_fail[] = { VERDICT_UNKNOWN, VERDICT_FAIL,
				     VERDICT_PASS };

	(void)state;
	assert_int_equal(verdict_exit_status(pass_warn, 2), 0);
	assert_int_equal(verdict_exit_status(with_unknown, 2), 2);
	assert_int_equal(verdict_exit_status(with_fail, 3), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_sort_most_severe_first),
		cmocka_unit_test(test_message_escaped),
		cmocka_unit_test(test_exit_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
