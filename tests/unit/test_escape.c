/* Unit tests for escaping text from servers and images before output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/escape.h"

struct escape_case {
	const char *in;
	size_t max;
	const char *want;
};

static const struct escape_case cases[] = {
	{ "plain text", 100, "plain text" },
	{ "tab\there\r\n", 100, "tab\\there\\r\\n" },
	{ "esc \033[2J bell \007", 100, "esc \\x1b[2J bell \\x07" },
	{ "back\\slash", 100, "back\\\\slash" },
	{ "del \177", 100, "del \\x7f" },
	{ "caf\xc3\xa9", 100, "caf\xc3\xa9" },              /* é stays */
	{ "bad \xc3 utf8", 100, "bad \\xc3 utf8" },
	{ "overlong \xc0\xaf", 100, "overlong \\xc0\\xaf" },
	{ "csi \xc2\x9b" "31m", 100, "csi \\u{009b}31m" },  /* C1 CSI */
	{ "rtl \xe2\x80\xae" "txt", 100, "rtl \\u{202e}txt" },
	{ "isolate \xe2\x81\xa6", 100, "isolate \\u{2066}" },
	{ "abcdefgh", 4, "abcd..." },
};

static void test_escape_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escape_text(cases[i].in, strlen(cases[i].in),
					cases[i].max);

		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: want '%s', got '%s'", i,
				 cases[i].want, got);
		free(got);
	}
}

static void test_escape_quote(void **state)
{
	char out[32];

	(void)state;
	escape_quote(out, sizeof(out), "it's \033", 100);
	assert_string_equal(out, "it\\x27s \\x1b");
	escape_quote(out, sizeof(out), "0123456789abcdef", 8);
	assert_string_equal(out, "01234567...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_escape_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
