/* Unit tests for WWW-Authenticate parsing (RFC 7235 challenges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/challenge.h"
#include "preflight/error.h"

struct valid_case {
	const char *header;
	enum challenge_scheme scheme;
	const char *realm;
	const char *service;
	const char *scope;
	const char *error;
};

static const struct valid_case valid_cases[] = {
    {"Bearer realm=\"https://auth.example/token\","
     "service=\"registry.example\",scope=\"repository:a/b:pull\"",
     CHALLENGE_BEARER, "https://auth.example/token", "registry.example",
     "repository:a/b:pull", NULL},
    {"Bearer realm=\"https://auth.docker.io/token\","
     "service=\"registry.docker.io\"",
     CHALLENGE_BEARER, "https://auth.docker.io/token", "registry.docker.io",
     NULL, NULL},
    {"Basic realm=\"x\"", CHALLENGE_BASIC, "x", NULL, NULL, NULL},
    {"Basic", CHALLENGE_BASIC, NULL, NULL, NULL, NULL},
    {"bEaReR REALM=\"r\", Service=\"s\"", CHALLENGE_BEARER, "r", "s", NULL,
     NULL},
    {"Bearer realm=plain-token", CHALLENGE_BEARER, "plain-token", NULL, NULL,
     NULL},
    {"Bearer realm = \"r\" , service = \"s\"", CHALLENGE_BEARER, "r", "s", NULL,
     NULL},
    {"  Bearer realm=\"r\",, ,service=\"s\"  ", CHALLENGE_BEARER, "r", "s",
     NULL, NULL},
    {"Bearer realm=\"a\\\"b\\\\c\"", CHALLENGE_BEARER, "a\"b\\c", NULL, NULL,
     NULL},
    {"Bearer realm=\"caf\xc3\xa9\"", CHALLENGE_BEARER, "caf\xc3\xa9", NULL,
     NULL, NULL},
    /* Duplicates: the first wins. */
    {"Bearer realm=\"r\",realm=\"second\",service=\"s\",service=\"t\"",
     CHALLENGE_BEARER, "r", "s", NULL, NULL},
    /* A ',' inside a quoted string does not end the parameter. */
    {"Bearer realm=\"r\", unknown=\"x\", error=\"insufficient_scope\", "
     "scope=\"repository:x:pull,push\"",
     CHALLENGE_BEARER, "r", NULL, "repository:x:pull,push",
     "insufficient_scope"},
    /* Several challenges: the first Bearer, else the first Basic. */
    {"Basic realm=\"x\", Bearer realm=\"y\",service=\"z\"", CHALLENGE_BEARER,
     "y", "z", NULL, NULL},
    {"Bearer realm=\"first\", Bearer realm=\"second\", Basic realm=\"b\"",
     CHALLENGE_BEARER, "first", NULL, NULL, NULL},
    {"Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
     "Basic realm=\"simple\"",
     CHALLENGE_BASIC, "simple", NULL, NULL, NULL},
    {"Negotiate, Basic realm=\"x\"", CHALLENGE_BASIC, "x", NULL, NULL, NULL},
    {"Basic , Bearer realm=\"r\"", CHALLENGE_BEARER, "r", NULL, NULL, NULL},
    /* token68 is tolerated. */
    {"Negotiate dGVzdA==", CHALLENGE_OTHER, NULL, NULL, NULL, NULL},
    {"Negotiate a+b/c~d==, Bearer realm=\"r\"", CHALLENGE_BEARER, "r", NULL,
     NULL, NULL},
    {"Custom realm=\"c\"", CHALLENGE_OTHER, "c", NULL, NULL, NULL},
};

struct invalid_case {
	const char *header;
	const char *message;
};

static const struct invalid_case invalid_cases[] = {
    {"", "invalid WWW-Authenticate '': no challenge"},
    {" , ,", "invalid WWW-Authenticate ' , ,': no challenge"},
    {"Bearer realm=\"r", "invalid WWW-Authenticate 'Bearer realm=\"r': "
			 "unterminated quoted string at offset 13"},
    {"Bearer realm=\"r\\", "invalid WWW-Authenticate 'Bearer realm=\"r"
			   "\\x5c': unterminated quoted string at offset "
			   "13"},
    {"Bearer service=\"s\"", "invalid WWW-Authenticate 'Bearer "
			     "service=\"s\"': bearer challenge without "
			     "realm"},
    {"Bearer realm=\"\"", "invalid WWW-Authenticate 'Bearer realm=\"\"': "
			  "bearer challenge without realm"},
    {"Bearer", "invalid WWW-Authenticate 'Bearer': bearer challenge "
	       "without realm"},
    {"Basic realm=\"b\", Bearer scope=\"x\"",
     "invalid WWW-Authenticate 'Basic realm=\"b\", Bearer scope=\"x\"': "
     "bearer challenge without realm"},
    {"Bearer realm=\"r\" service=\"s\"",
     "invalid WWW-Authenticate 'Bearer realm=\"r\" service=\"s\"': "
     "expected ',' at offset 17"},
    {"Bearer service=\"s\", realm=",
     "invalid WWW-Authenticate 'Bearer service=\"s\", realm=': expected "
     "a value for parameter 'realm' at offset 26"},
    {"Bearer realm=\"a\x01"
     "b\"",
     "invalid WWW-Authenticate 'Bearer realm=\"a\\x01b\"': control byte "
     "in quoted string at offset 15"},
    {"Bearer realm=\"a\\\x7f\"",
     "invalid WWW-Authenticate 'Bearer realm=\"a\\x5c\\x7f\"': control "
     "byte in quoted string at offset 16"},
    {"=foo", "invalid WWW-Authenticate '=foo': expected an auth scheme at "
	     "offset 0"},
    {"Bearer; realm=x", "invalid WWW-Authenticate 'Bearer; realm=x': "
			"expected a space after the auth scheme at offset "
			"6"},
    {"Bearer foo bar", "invalid WWW-Authenticate 'Bearer foo bar': "
		       "expected a parameter at offset 7"},
    {"Bearer realm=\"r\"\r\nX-Evil: 1",
     "invalid WWW-Authenticate 'Bearer realm=\"r\"\\x0d\\x0aX-Evil: 1': "
     "expected ',' at offset 16"},
};

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static void check_field(const char *header, const char *field, const char *want,
			const char *got)
{
	if (!want && !got)
		return;
	if (want && got && !strcmp(want, got))
		return;
	fail_msg("header '%s': %s expected '%s', found '%s'", header, field,
		 show(want), show(got));
}

static void check_valid(const struct valid_case *c)
{
	struct challenge ch;
	struct error err;

	error_init(&err);
	if (challenge_parse(c->header, &ch, &err))
		fail_msg("header '%s': expected success, found error '%s'",
			 c->header, err.message);
	if (ch.scheme != c->scheme)
		fail_msg("header '%s': scheme expected %d, found %d", c->header,
			 c->scheme, ch.scheme);
	check_field(c->header, "realm", c->realm, ch.realm);
	check_field(c->header, "service", c->service, ch.service);
	check_field(c->header, "scope", c->scope, ch.scope);
	check_field(c->header, "error", c->error, ch.error);
	challenge_release(&ch);
}

static void test_valid_challenges(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_valid(&valid_cases[i]);
}

/* Returns the message, for checks of long inputs. */
static const char *check_invalid(const char *header, const char *message,
				 struct error *err)
{
	struct challenge ch;

	error_init(err);
	if (challenge_parse(header, &ch, err) != -1)
		fail_msg("header '%s': expected an error, found success",
			 show(header));
	if (message)
		check_field(show(header), "message", message, err->message);
	if (err->category != ERROR_FORMAT)
		fail_msg("header '%s': category expected format, found %s",
			 show(header), error_category_name(err->category));
	if (ch.scheme || ch.realm || ch.service || ch.scope || ch.error)
		fail_msg("header '%s': fields left set after an error",
			 show(header));
	return err->message;
}

static void test_invalid_challenges(void **state)
{
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++)
		check_invalid(invalid_cases[i].header, invalid_cases[i].message,
			      &err);
	check_invalid(NULL, "invalid WWW-Authenticate '': no challenge", &err);
}

/* "Bearer realm=\"aaa...\"" of exactly len bytes; the caller frees. */
static char *long_header(size_t len)
{
	const char *head = "Bearer realm=\"";
	size_t n = strlen(head);
	char *s = xmalloc(len + 1);

	memcpy(s, head, n);
	memset(s + n, 'a', len - n - 1);
	s[len - 1] = '"';
	s[len] = '\0';
	return s;
}

static void test_header_length(void **state)
{
	const char *tail = "...': longer than 8192 bytes "
			   "(CHALLENGE_HEADER_MAX)";
	char *fits = long_header(CHALLENGE_HEADER_MAX);
	char *over = long_header(CHALLENGE_HEADER_MAX + 1);
	struct challenge ch;
	struct error err;
	const char *msg;

	error_init(&err);
	if (challenge_parse(fits, &ch, &err))
		fail_msg("header of %d bytes: expected success, found '%s'",
			 CHALLENGE_HEADER_MAX, err.message);
	if (!ch.realm || strlen(ch.realm) != CHALLENGE_HEADER_MAX - 15)
		fail_msg("header of %d bytes: realm of %zu bytes expected, "
			 "found %zu",
			 CHALLENGE_HEADER_MAX,
			 (size_t)CHALLENGE_HEADER_MAX - 15,
			 ch.realm ? strlen(ch.realm) : 0);
	challenge_release(&ch);
	msg = check_invalid(over, NULL, &err);
	if (strlen(msg) < strlen(tail) ||
	    strcmp(msg + strlen(msg) - strlen(tail), tail) || strlen(msg) > 300)
		fail_msg("header of %d bytes: expected '...%s', found '%s'",
			 CHALLENGE_HEADER_MAX + 1, tail, msg);
	free(fits);
	free(over);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_challenges),
	    cmocka_unit_test(test_invalid_challenges),
	    cmocka_unit_test(test_header_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
