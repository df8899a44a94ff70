/* Unit tests for the JSON reports' stats.http_version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "platform/host.h"
#include "preflight/check.h"
#include "preflight/http.h"
#include "preflight/report.h"

struct version_case {
	unsigned int bits;
	const char *want;   /* the field as the report writes it */
};

static const struct version_case cases[] = {
	{ 0, "\"http_version\": null" },
	{ HTTP_VERSION_1_1, "\"http_version\": \"1.1\"" },
	{ HTTP_VERSION_2, "\"http_version\": \"2\"" },
	{ HTTP_VERSION_3, "\"http_version\": \"3\"" },
	{ HTTP_VERSION_2 | HTTP_VERSION_1_1, "\"http_version\": \"1.1,2\"" },
	{ HTTP_VERSION_1_0 | HTTP_VERSION_1_1 | HTTP_VERSION_2 |
	  HTTP_VERSION_3, "\"http_version\": \"1.0,1.1,2,3\"" },
};

/* The JSON a check (inspect: an inspect) writes for result; the caller
   frees it. */
static char *report_of(const struct image_result *result, int inspect)
{
	struct report_style style = { .rules = "any" };
	struct host host;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	memset(&host, 0, sizeof(host));
	assert_non_null(out);
	if (inspect)
		assert_int_equal(report_inspect_json(out, &host, result, "any"),
				 0);
	else
		assert_int_equal(report_check_json(out, &host, result, 1,
						   &style), 0);
	fclose(out);
	return text;
}

static void test_http_version(void **state)
{
	size_t i;
	int inspect;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (inspect = 0; inspect < 2; inspect++) {
			struct image_result r;
			char ref[] = "registry.example/app:1";
			char *text;

			memset(&r, 0, sizeof(r));
			r.reference = ref;
			r.http_versions = cases[i].bits;
			text = report_of(&r, inspect);
			if (!strstr(text, cases[i].want))
				fail_msg("bits 0x%x (%s): want %s in:\n%s",
					 cases[i].bits,
					 inspect ? "inspect" : "check",
					 cases[i].want, text);
			free(text);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
