/* WWW-Authenticate header values parsed by the grammar of RFC 7235. */
#include "challenge.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"
#include "escape.h"

/* The longest piece of the header quoted in a message, before "...". */
#define CHALLENGE_QUOTE_MAX 200
/* The longest parameter name printed in a message. */
#define CHALLENGE_NAME_QUOTE_MAX 64

struct challenge_cursor {
	const char *s;
	size_t pos;
};

/* Where a challenge's parameter list stands (RFC 7235 section 2.1). */
enum challenge_list_state {
	CHALLENGE_LIST_START,	    /* after "scheme SP" */
	CHALLENGE_LIST_AFTER_PARAM, /* a ',' must come next */
	CHALLENGE_LIST_AFTER_COMMA, /* a parameter or the next challenge */
};

/* RFC 7230 section 3.2.6: tchar. */
static bool challenge_is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 7235 section 2.1: token68 = 1*( ALPHA / DIGIT / "-._~+/" ) *"=". */
static bool challenge_is_token68_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~+/", c) != NULL;
}

static void challenge_skip_ows(struct challenge_cursor *cur)
{
	while (cur->s[cur->pos] == ' ' || cur->s[cur->pos] == '\t')
		cur->pos++;
}

static size_t challenge_token_len(const struct challenge_cursor *cur)
{
	size_t n = 0;

	while (challenge_is_tchar(cur->s[cur->pos + n]))
		n++;
	return n;
}

/* A token, then BWS "=": an auth-param, not the start of a challenge. */
static bool challenge_at_param(const struct challenge_cursor *cur)
{
	struct challenge_cursor look = *cur;
	size_t n = challenge_token_len(&look);

	if (n == 0)
		return false;
	look.pos += n;
	challenge_skip_ows(&look);
	return look.s[look.pos] == '=';
}

/*
 * RFC 7235 section 2.1: a token68 fills the rest of the challenge, so it
 * must be followed by the end or a ','. Consumes it when it is one.
 */
static bool challenge_skip_token68(struct challenge_cursor *cur)
{
	struct challenge_cursor look = *cur;

	while (challenge_is_token68_char(look.s[look.pos]))
		look.pos++;
	if (look.pos == cur->pos)
		return false;
	while (look.s[look.pos] == '=')
		look.pos++;
	challenge_skip_ows(&look);
	if (look.s[look.pos] && look.s[look.pos] != ',')
		return false;
	*cur = look;
	return true;
}

/* RFC 7230 section 3.2.6: quoted-string with quoted-pair escapes. */
static int challenge_read_quoted(struct challenge_cursor *cur,
				 struct buf *value, struct error *err)
{
	size_t open = cur->pos++;

	for (;;) {
		unsigned char c = (unsigned char)cur->s[cur->pos];

		if (c == '\\' && cur->s[cur->pos + 1])
			c = (unsigned char)cur->s[++cur->pos];
		else if (c == '"')
			break;
		if (c == '\0')
			return error_set(
			    err, ERROR_FORMAT,
			    "unterminated quoted string at offset %zu", open);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return error_set(
			    err, ERROR_FORMAT,
			    "control byte in quoted string at offset %zu",
			    cur->pos);
		if (buf_append(value, &c, 1, CHALLENGE_HEADER_MAX,
			       "CHALLENGE_HEADER_MAX", err))
			return -1;
		cur->pos++;
	}
	cur->pos++;
	return 0;
}

/* auth-param value: token / quoted-string. */
static int challenge_read_value(struct challenge_cursor *cur, const char *name,
				size_t name_len, struct buf *value,
				struct error *err)
{
	size_t n;

	if (cur->s[cur->pos] == '"')
		return challenge_read_quoted(cur, value, err);
	n = challenge_token_len(cur);
	if (n == 0)
		return error_set(
		    err, ERROR_FORMAT,
		    "expected a value for parameter '%.*s' at offset %zu",
		    name_len < CHALLENGE_NAME_QUOTE_MAX
			? (int)name_len
			: CHALLENGE_NAME_QUOTE_MAX,
		    name, cur->pos);
	if (buf_append(value, cur->s + cur->pos, n, CHALLENGE_HEADER_MAX,
		       "CHALLENGE_HEADER_MAX", err))
		return -1;
	cur->pos += n;
	return 0;
}

/* The parameters a registry client uses; NULL for the others. */
static char **challenge_field(struct challenge *c, const char *name, size_t n)
{
	if (n == 5 && !strncasecmp(name, "realm", n))
		return &c->realm;
	if (n == 7 && !strncasecmp(name, "service", n))
		return &c->service;
	if (n == 5 && !strncasecmp(name, "scope", n))
		return &c->scope;
	if (n == 5 && !strncasecmp(name, "error", n))
		return &c->error;
	return NULL;
}

/* auth-param = token BWS "=" BWS ( token / quoted-string ). */
static int challenge_parse_param(struct challenge_cursor *cur,
				 struct challenge *c, struct error *err)
{
	const char *name = cur->s + cur->pos;
	size_t name_len = challenge_token_len(cur);
	char **field = challenge_field(c, name, name_len);
	struct buf value;
	int ret;

	cur->pos += name_len;
	challenge_skip_ows(cur);
	cur->pos++; /* the '=' challenge_at_param found */
	challenge_skip_ows(cur);
	buf_init(&value);
	ret = challenge_read_value(cur, name, name_len, &value, err);
	/* Duplicates: the first one wins; unknown parameters are dropped. */
	if (ret == 0 && field && !*field)
		*field = buf_detach(&value);
	buf_release(&value);
	return ret;
}

/*
 * #auth-param: a comma-separated list, empty elements allowed. After a
 * comma, a token not followed by '=' starts the next challenge.
 */
static int challenge_parse_params(struct challenge_cursor *cur,
				  struct challenge *c, struct error *err)
{
	enum challenge_list_state state = CHALLENGE_LIST_START;

	for (;;) {
		challenge_skip_ows(cur);
		if (!cur->s[cur->pos])
			return 0;
		if (cur->s[cur->pos] == ',') {
			cur->pos++;
			state = CHALLENGE_LIST_AFTER_COMMA;
			continue;
		}
		if (state == CHALLENGE_LIST_AFTER_PARAM)
			return error_set(err, ERROR_FORMAT,
					 "expected ',' at offset %zu",
					 cur->pos);
		if (!challenge_at_param(cur)) {
			if (state == CHALLENGE_LIST_AFTER_COMMA)
				return 0;
			return error_set(err, ERROR_FORMAT,
					 "expected a parameter at offset %zu",
					 cur->pos);
		}
		if (challenge_parse_param(cur, c, err))
			return -1;
		state = CHALLENGE_LIST_AFTER_PARAM;
	}
}

static enum challenge_scheme challenge_scheme_of(const char *s, size_t n)
{
	if (n == 5 && !strncasecmp(s, "basic", n))
		return CHALLENGE_BASIC;
	if (n == 6 && !strncasecmp(s, "bearer", n))
		return CHALLENGE_BEARER;
	return CHALLENGE_OTHER;
}

/* challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]. */
static int challenge_parse_one(struct challenge_cursor *cur,
			       struct challenge *c, struct error *err)
{
	size_t n = challenge_token_len(cur);
	char next;

	if (n == 0)
		return error_set(err, ERROR_FORMAT,
				 "expected an auth scheme at offset %zu",
				 cur->pos);
	c->scheme = challenge_scheme_of(cur->s + cur->pos, n);
	cur->pos += n;
	next = cur->s[cur->pos];
	if (next == '\0' || next == ',')
		return 0;
	if (next != ' ' && next != '\t')
		return error_set(
		    err, ERROR_FORMAT,
		    "expected a space after the auth scheme at offset %zu",
		    cur->pos);
	challenge_skip_ows(cur);
	if (challenge_skip_token68(cur))
		return 0;
	return challenge_parse_params(cur, c, err);
}

/* The header's first Bearer, else its first Basic, else the first. */
static int challenge_rank(enum challenge_scheme scheme)
{
	switch (scheme) {
	case CHALLENGE_BEARER:
		return 3;
	case CHALLENGE_BASIC:
		return 2;
	case CHALLENGE_OTHER:
		return 1;
	default:
		return 0;
	}
}

static int challenge_parse_all(const char *header, struct challenge *out,
			       struct error *err)
{
	struct challenge_cursor cur = {header, 0};

	if (strnlen(header, CHALLENGE_HEADER_MAX + 1) > CHALLENGE_HEADER_MAX)
		return error_set(err, ERROR_FORMAT,
				 "longer than %d bytes (CHALLENGE_HEADER_MAX)",
				 CHALLENGE_HEADER_MAX);
	for (;;) {
		struct challenge c = {0};

		while (header[cur.pos] == ',' || header[cur.pos] == ' ' ||
		       header[cur.pos] == '\t')
			cur.pos++;
		if (!header[cur.pos])
			break;
		if (challenge_parse_one(&cur, &c, err)) {
			challenge_release(&c);
			return -1;
		}
		if (challenge_rank(c.scheme) > challenge_rank(out->scheme)) {
			challenge_release(out);
			*out = c;
		} else {
			challenge_release(&c);
		}
	}
	if (out->scheme == CHALLENGE_NONE)
		return error_set(err, ERROR_FORMAT, "no challenge");
	if (out->scheme == CHALLENGE_BEARER && (!out->realm || !*out->realm))
		return error_set(err, ERROR_FORMAT,
				 "bearer challenge without realm");
	return 0;
}

int challenge_parse(const char *header, struct challenge *out,
		    struct error *err)
{
	char quoted[CHALLENGE_QUOTE_MAX + 16];

	memset(out, 0, sizeof(*out));
	if (!header)
		header = "";
	if (challenge_parse_all(header, out, err) == 0)
		return 0;
	challenge_release(out);
	escape_quote(quoted, sizeof(quoted), header, CHALLENGE_QUOTE_MAX);
	return error_prefix(err, "invalid WWW-Authenticate '%s'", quoted);
}

void challenge_release(struct challenge *c)
{
	if (!c)
		return;
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}
