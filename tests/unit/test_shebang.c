/* Unit tests for splitting a script's "#!" line as the kernel does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/entrypoint.h"
#include "preflight/shebang.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct shebang_case {
	const char *head;
	size_t len;          /* 0: strlen(head) */
	const char *interp;  /* NULL: no interpreter named */
	const char *arg;
};

static const struct shebang_case cases[] = {
	{ "#!/bin/sh\necho hi\n", 0, "/bin/sh", NULL },
	{ "#!/bin/sh", 0, "/bin/sh", NULL },
	{ "#! \t/bin/sh -e \t\nx", 0, "/bin/sh", "-e" },
	{ "#!/usr/bin/env python3 -u\n", 0, "/usr/bin/env", "python3 -u" },
	{ "#!/bin/sh\r\n", 0, "/bin/sh\r", NULL },
	{ "#!/bin/sh -x\r\n", 0, "/bin/sh", "-x\r" },
	{ "#!\n/bin/sh\n", 0, NULL, NULL },
	{ "#!   \t  \n", 0, NULL, NULL },
	{ "#!", 0, NULL, NULL },
	/* shorter than the marker itself: nothing is read past len */
	{ "#", 0, NULL, NULL },
	{ "", 0, NULL, NULL },
	/* a NUL ends the name where the kernel ends it */
	{ "#!/bin/sh\0 -x\n", 14, "/bin/sh", "-x" },
};

static void test_shebang_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct shebang_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->head);
		char *interp = NULL, *arg = NULL;
		bool got = shebang_parse((const unsigned char *)c->head, len,
					 &interp, &arg);

		if (got != (c->interp != NULL))
			fail_msg("case %zu: want %s, got %s", i,
				 c->interp ? "an interpreter" : "none",
				 got ? interp : "none");
		if (got && strcmp(interp, c->interp))
			fail_msg("case %zu: interpreter: want '%s', got '%s'",
				 i, c->interp, interp);
		if (got && (c->arg == NULL) != (arg == NULL))
			fail_msg("case %zu: argument: want %s, got %s", i,
				 c->arg ? c->arg : "none", arg ? arg : "none");
		if (got && c->arg && strcmp(arg, c->arg))
			fail_msg("case %zu: argument: want '%s', got '%s'", i,
				 c->arg, arg);
		free(interp);
		free(arg);
	}
}

/* Only the first SCRIPT_LINE_MAX bytes are the line: a name running
   past them is cut there, and an argument after them is not seen. */
static void test_shebang_line_limit(void **state)
{
	unsigned char head[SCRIPT_LINE_MAX + 16];
	char *interp = NULL, *arg = NULL;

	(void)state;
	memset(head, 'a', sizeof(head));
	memcpy(head, "#!/", 3);
	memcpy(head + SCRIPT_LINE_MAX, " -x\n", 4);
	assert_true(shebang_parse(head, sizeof(head), &interp, &arg));
	assert_int_equal(strlen(interp), SCRIPT_LINE_MAX - 2);
	assert_null(arg);
	free(interp);
}

/* The kernel refuses a name that runs to the end of the bytes it reads
   when no newline came before; a shorter first line, a newline, or a
   blank or NUL ending the name in time make it an ordinary line. */
static void test_shebang_truncated(void **state)
{
	static const struct {
		size_t end_at;   /* where a byte ends the name, 0: none */
		char end;
		size_t len;
		bool want;
	} truncated_cases[] = {
		{ 0, 0, SCRIPT_LINE_MAX + 16, true },
		{ 0, 0, SCRIPT_LINE_MAX, true },
		{ 0, 0, SCRIPT_LINE_MAX - 1, false },   /* the file ends */
		{ 100, '\n', SCRIPT_LINE_MAX + 16, false },
		{ 100, ' ', SCRIPT_LINE_MAX + 16, false },
		{ 100, '\t', SCRIPT_LINE_MAX + 16, false },
		{ 100, '\0', SCRIPT_LINE_MAX + 16, false },
		{ SCRIPT_LINE_MAX - 2, ' ', SCRIPT_LINE_MAX + 16, false },
		{ SCRIPT_LINE_MAX - 1, ' ', SCRIPT_LINE_MAX + 16, true },
		{ SCRIPT_LINE_MAX + 4, '\n', SCRIPT_LINE_MAX + 16, true },
	};
	unsigned char head[SCRIPT_LINE_MAX + 16];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(truncated_cases); i++) {
		size_t at = truncated_cases[i].end_at;
		bool want = truncated_cases[i].want, got;

		memset(head, 'a', sizeof(head));
		memcpy(head, "#!/", 3);
		if (at)
			head[at] = (unsigned char)truncated_cases[i].end;
		got = shebang_truncated(head, truncated_cases[i].len);
		if (got != want)
			fail_msg("case %zu: want %d, got %d", i, want, got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shebang_table),
		cmocka_unit_test(test_shebang_line_limit),
		cmocka_unit_test(test_shebang_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
