/* A strict reader for the TOML v1.0.0 subset of runtime configuration files. */
#include "preflight/toml.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight/blob.h"
#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/escape.h"

/* Members of one table; lookups are linear, so this keeps them cheap. */
#define TOML_MEMBERS_MAX 4096
/* Bytes of a key or file name quoted in a message. */
#define TOML_QUOTE_MAX 96

struct toml {
	enum toml_type type;
	int line;
	bool defined;   /* table: named by a [header] or [[header]] */
	bool dotted;    /* table: made by a dotted key (a.b = 1) */
	bool frozen;    /* table: inline, closed to later keys */
	bool aot;       /* array: made by [[header]], open to more */
	bool boolean;
	long long integer;
	char *string;
	size_t count;
	size_t cap;
	char **keys;            /* a table's member keys */
	struct toml **items;    /* a table's members or an array's elements */
};

struct toml_parser {
	const char *p;
	const char *end;
	int line;
	const char *name;
	struct toml *root;
	struct toml *current;   /* the table key/value lines go into */
	struct error *err;
};

/* A key as written, split at its dots: a."b.c".d has three parts. */
struct toml_key {
	char *parts[TOML_DEPTH_MAX];
	size_t n;
};

static int toml_fail(struct toml_parser *ps, enum error_category category,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int toml_fail(struct toml_parser *ps, enum error_category category,
		     const char *fmt, ...)
{
	char msg[ERROR_MESSAGE_MAX / 2];
	char name[TOML_QUOTE_MAX * 4 + 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	escape_quote(name, sizeof(name), ps->name, TOML_QUOTE_MAX);
	return error_set(ps->err, category, "'%s' line %d: %s", name,
			 ps->line, msg);
}

/* The first n parts of a key, joined by dots and escaped for a message. */
static const char *toml_key_text(const struct toml_key *key, size_t n,
				 char *out, size_t size)
{
	char raw[TOML_QUOTE_MAX * 2];
	size_t i, len = 0;

	raw[0] = '\0';
	for (i = 0; i < n && len < sizeof(raw) - 1; i++) {
		int w = snprintf(raw + len, sizeof(raw) - len, "%s%s",
				 i ? "." : "", key->parts[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
	escape_quote(out, size, raw, TOML_QUOTE_MAX);
	return out;
}

static void toml_key_release(struct toml_key *key)
{
	size_t i;

	for (i = 0; i < key->n; i++)
		free(key->parts[i]);
	key->n = 0;
}

static struct toml *toml_new(enum toml_type type, int line)
{
	struct toml *v = xcalloc(1, sizeof(*v));

	v->type = type;
	v->line = line;
	return v;
}

void toml_free(struct toml *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->count; i++) {
		if (v->keys)
			free(v->keys[i]);
		toml_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->string);
	free(v);
}

/* Append v (and a copy of key, for tables); v belongs to parent after. */
static void toml_push(struct toml *parent, const char *key, struct toml *v)
{
	if (parent->count == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->items = xrealloc(parent->items,
					 parent->cap * sizeof(*parent->items));
		if (parent->type == TOML_TABLE)
			parent->keys = xrealloc(parent->keys, parent->cap *
						sizeof(*parent->keys));
	}
	if (parent->type == TOML_TABLE)
		parent->keys[parent->count] = xstrdup(key);
	parent->items[parent->count++] = v;
}

static struct toml *toml_find(const struct toml *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (!strcmp(t->keys[i], key))
			return t->items[i];
	return NULL;
}

/* Add a member to a table; on failure v is freed. */
static int toml_add(struct toml_parser *ps, struct toml *t, const char *key,
		    struct toml *v)
{
	if (t->count >= TOML_MEMBERS_MAX) {
		toml_free(v);
		return toml_fail(ps, ERROR_LIMIT,
				 "table has more than %d keys (TOML_MEMBERS_MAX)",
				 TOML_MEMBERS_MAX);
	}
	toml_push(t, key, v);
	return 0;
}

/* An inline table is complete once its '}' is read (TOML v1.0.0,
   "Inline Table"): neither headers nor dotted keys may add to it. */
static void toml_freeze(struct toml *t)
{
	size_t i;

	if (t->frozen)
		return;
	t->frozen = true;
	for (i = 0; i < t->count; i++)
		if (t->items[i]->type == TOML_TABLE)
			toml_freeze(t->items[i]);
}

static bool toml_eof(const struct toml_parser *ps)
{
	return ps->p >= ps->end;
}

static char toml_peek(const struct toml_parser *ps)
{
	return ps->p < ps->end ? *ps->p : '\0';
}

static bool toml_is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static bool toml_at_newline(const struct toml_parser *ps)
{
	return toml_peek(ps) == '\n' ||
	       (toml_peek(ps) == '\r' && ps->p + 1 < ps->end &&
		ps->p[1] == '\n');
}

/* A printable rendering of the byte at p, for "found ..." in messages. */
static const char *toml_found(const struct toml_parser *ps, char *out,
			      size_t size)
{
	char one[2] = { toml_peek(ps), '\0' };

	if (toml_eof(ps))
		return "the end of the file";
	if (toml_at_newline(ps))
		return "the end of the line";
	if (one[0] == '\r')
		return "a carriage return without a line feed";
	snprintf(out, size, "'");
	escape_quote(out + 1, size - 2, one, 1);
	strcat(out, "'");
	return out;
}

static void toml_skip_ws(struct toml_parser *ps)
{
	while (!toml_eof(ps) && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* Consume one newline, LF or CRLF (TOML v1.0.0, "Spec"). */
static bool toml_newline(struct toml_parser *ps)
{
	if (toml_peek(ps) == '\n') {
		ps->p++;
		ps->line++;
		return true;
	}
	if (toml_peek(ps) == '\r' && ps->p + 1 < ps->end &&
	    ps->p[1] == '\n') {
		ps->p += 2;
		ps->line++;
		return true;
	}
	return false;
}

/* Skip a comment up to its newline; control characters other than tab
   are not allowed in one (TOML v1.0.0, "Comment"). */
static int toml_skip_comment(struct toml_parser *ps)
{
	if (toml_peek(ps) != '#')
		return 0;
	for (ps->p++; !toml_eof(ps) && !toml_at_newline(ps); ps->p++)
		if (toml_is_control((unsigned char)*ps->p))
			return toml_fail(ps, ERROR_FORMAT,
					 "control character in a comment");
	return 0;
}

/* Whitespace, comments and newlines, as allowed inside arrays. */
static int toml_skip_blank(struct toml_parser *ps)
{
	for (;;) {
		toml_skip_ws(ps);
		if (toml_skip_comment(ps))
			return -1;
		if (!toml_newline(ps))
			return 0;
	}
}

/* After a header or key/value: only blanks and a comment to the newline. */
static int toml_end_line(struct toml_parser *ps, const char *after)
{
	char found[16];

	toml_skip_ws(ps);
	if (toml_skip_comment(ps))
		return -1;
	if (toml_eof(ps) || toml_newline(ps))
		return 0;
	return toml_fail(ps, ERROR_FORMAT, "expected a newline after %s, "
			 "found %s", after, toml_found(ps, found,
						       sizeof(found)));
}

static int toml_append(struct toml_parser *ps, struct buf *b,
		       const void *data, size_t n)
{
	char name[TOML_QUOTE_MAX * 4 + 4];

	if (!buf_append(b, data, n, TOML_STRING_MAX, "TOML_STRING_MAX",
			ps->err))
		return 0;
	escape_quote(name, sizeof(name), ps->name, TOML_QUOTE_MAX);
	return error_prefix(ps->err, "'%s' line %d: string or key", name,
			    ps->line);
}

static int toml_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* UTF-8 for a Unicode scalar value (RFC 3629, section 3). */
static size_t toml_utf8(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX or \UXXXXXXXX, p just after the 'u' or 'U': any Unicode scalar
   value (TOML v1.0.0, "String"); NUL is refused, as we return C strings. */
static int toml_parse_unicode(struct toml_parser *ps, struct buf *b,
			      int digits)
{
	uint32_t cp = 0;
	char out[4];
	int i;

	for (i = 0; i < digits; i++) {
		int h = ps->p + i < ps->end ? toml_hex(ps->p[i]) : -1;

		if (h < 0)
			return toml_fail(ps, ERROR_FORMAT,
					 "escape '\\%c' needs %d hex digits",
					 digits == 4 ? 'u' : 'U', digits);
		cp = cp << 4 | (uint32_t)h;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return toml_fail(ps, ERROR_FORMAT, "escape '\\%c%.*s' is not "
				 "a unicode scalar value",
				 digits == 4 ? 'u' : 'U', digits, ps->p);
	if (cp == 0)
		return toml_fail(ps, ERROR_FORMAT,
				 "escape for NUL is not supported");
	ps->p += digits;
	return toml_append(ps, b, out, toml_utf8(cp, out));
}

/* One escape, p at the backslash (TOML v1.0.0, "String"). */
static int toml_parse_escape(struct toml_parser *ps, struct buf *b)
{
	static const char from[] = "btnfr\"\\";
	static const char to[] = "\b\t\n\f\r\"\\";
	const char *hit;
	char c, found[16];

	ps->p++;
	c = toml_peek(ps);
	if (c == 'u' || c == 'U') {
		ps->p++;
		return toml_parse_unicode(ps, b, c == 'u' ? 4 : 8);
	}
	hit = c ? strchr(from, c) : NULL;
	if (!hit)
		return toml_fail(ps, ERROR_FORMAT, "invalid escape: backslash "
				 "before %s", toml_found(ps, found,
							 sizeof(found)));
	ps->p++;
	return toml_append(ps, b, &to[hit - from], 1);
}

/* A byte of a string's body that is not a quote, backslash or newline. */
static int toml_string_byte(struct toml_parser *ps, struct buf *b)
{
	if (toml_is_control((unsigned char)*ps->p))
		return toml_fail(ps, ERROR_FORMAT,
				 "control character in a string");
	ps->p++;
	return toml_append(ps, b, ps->p - 1, 1);
}

/* "..." or '...', p at the opening quote; no newline inside. */
static int toml_parse_line_string(struct toml_parser *ps, struct buf *b)
{
	char quote = *ps->p++;

	for (;;) {
		if (toml_eof(ps) || *ps->p == '\n' || *ps->p == '\r')
			return toml_fail(ps, ERROR_FORMAT,
					 "unterminated string");
		if (*ps->p == quote) {
			ps->p++;
			return 0;
		}
		if (quote == '"' && *ps->p == '\\') {
			if (toml_parse_escape(ps, b))
				return -1;
		} else if (toml_string_byte(ps, b)) {
			return -1;
		}
	}
}

/* A run of quotes in a multi-line string: up to two may sit before the
   closing three (TOML v1.0.0, "String"). Returns 1 at the end. */
static int toml_ml_quotes(struct toml_parser *ps, struct buf *b, char quote)
{
	size_t n = 0;

	while (ps->p + n < ps->end && ps->p[n] == quote)
		n++;
	if (n > 5)
		return toml_fail(ps, ERROR_FORMAT,
				 "too many quotes ending a string");
	ps->p += n;
	if (n >= 3) {
		if (toml_append(ps, b, ps->p - n, n - 3))
			return -1;
		return 1;
	}
	return toml_append(ps, b, ps->p - n, n) ? -1 : 0;
}

/* A backslash at the end of a line in """: it swallows whitespace and
   newlines up to the next other character. Returns 1 when it was one. */
static int toml_ml_trim(struct toml_parser *ps)
{
	ps->p++;
	toml_skip_ws(ps);
	if (!toml_at_newline(ps))
		return 0;
	while (toml_newline(ps))
		toml_skip_ws(ps);
	return 1;
}

/* One step in the body of a multi-line string. Returns 1 at the end. */
static int toml_ml_step(struct toml_parser *ps, struct buf *b, char quote,
			int opened)
{
	const char *at = ps->p;

	if (toml_eof(ps))
		return toml_fail(ps, ERROR_FORMAT, "unterminated multi-line "
				 "string (opened on line %d)", opened);
	if (*ps->p == quote)
		return toml_ml_quotes(ps, b, quote);
	if (toml_newline(ps))
		return toml_append(ps, b, "\n", 1);
	if (quote == '"' && *ps->p == '\\') {
		if (toml_ml_trim(ps))
			return 0;
		ps->p = at;
		return toml_parse_escape(ps, b);
	}
	return toml_string_byte(ps, b);
}

/* """...""" or '''...''', p at the opening quotes; a newline right after
   them is dropped (TOML v1.0.0, "String"). */
static int toml_parse_ml_string(struct toml_parser *ps, struct buf *b)
{
	char quote = *ps->p;
	int opened = ps->line, rc;

	ps->p += 3;
	toml_newline(ps);
	do
		rc = toml_ml_step(ps, b, quote, opened);
	while (rc == 0);
	return rc < 0 ? -1 : 0;
}

static bool toml_starts(const struct toml_parser *ps, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, s, n);
}

static bool toml_is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* One part of a key: bare, "basic" or 'literal' (TOML v1.0.0, "Keys"). */
static int toml_parse_key_part(struct toml_parser *ps, struct buf *b)
{
	const char *start = ps->p;
	char found[16];

	if (toml_starts(ps, "\"\"\"") || toml_starts(ps, "'''"))
		return toml_fail(ps, ERROR_FORMAT,
				 "a key cannot be a multi-line string");
	if (toml_peek(ps) == '"' || toml_peek(ps) == '\'')
		return toml_parse_line_string(ps, b);
	while (!toml_eof(ps) && toml_is_bare(*ps->p))
		ps->p++;
	if (ps->p == start)
		return toml_fail(ps, ERROR_FORMAT, "expected a key, found %s",
				 toml_found(ps, found, sizeof(found)));
	return toml_append(ps, b, start, (size_t)(ps->p - start));
}

/* A dotted key; whitespace around the dots is allowed. */
static int toml_parse_key(struct toml_parser *ps, struct toml_key *key)
{
	struct buf b;

	key->n = 0;
	for (;;) {
		if (key->n == TOML_DEPTH_MAX)
			return toml_fail(ps, ERROR_LIMIT, "key has more than "
					 "%d parts (TOML_DEPTH_MAX)",
					 TOML_DEPTH_MAX);
		buf_init(&b);
		toml_skip_ws(ps);
		if (toml_parse_key_part(ps, &b)) {
			buf_release(&b);
			return -1;
		}
		key->parts[key->n++] = b.data ? buf_detach(&b) : xstrdup("");
		toml_skip_ws(ps);
		if (toml_peek(ps) != '.')
			return 0;
		ps->p++;
	}
}

static struct toml *toml_parse_value(struct toml_parser *ps, int depth);

static struct toml *toml_parse_string(struct toml_parser *ps)
{
	struct toml *v = toml_new(TOML_STRING, ps->line);
	struct buf b;
	int rc;

	buf_init(&b);
	if (toml_starts(ps, "\"\"\"") || toml_starts(ps, "'''"))
		rc = toml_parse_ml_string(ps, &b);
	else
		rc = toml_parse_line_string(ps, &b);
	if (rc) {
		buf_release(&b);
		toml_free(v);
		return NULL;
	}
	v->string = b.data ? buf_detach(&b) : xstrdup("");
	return v;
}

/* Digits of one base with '_' only between two digits (TOML v1.0.0,
   "Integer"); 1 on overflow past the limit, -1 when malformed. */
static int toml_digits(const char *s, size_t n, int base,
		       unsigned long long limit, unsigned long long *out)
{
	unsigned long long v = 0;
	bool digit_before = false;
	size_t i;

	for (i = 0; i < n; i++) {
		int d = toml_hex(s[i]);

		if (s[i] == '_' && digit_before && i + 1 < n) {
			digit_before = false;
			continue;
		}
		if (d < 0 || d >= base)
			return -1;
		if (v > (limit - (unsigned)d) / (unsigned)base)
			return 1;
		v = v * (unsigned)base + (unsigned)d;
		digit_before = true;
	}
	*out = v;
	return digit_before ? 0 : -1;
}

/* An integer: decimal with a sign and no leading zero, or unsigned
   0x, 0o, 0b (TOML v1.0.0, "Integer"); 64-bit signed range. */
static int toml_integer_text(const char *s, size_t n, long long *out)
{
	unsigned long long v, limit = LLONG_MAX;
	bool neg = false;
	int base = 10, rc;

	if (n >= 2 && s[0] == '0' && strchr("xob", s[1])) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		s += 2;
		n -= 2;
	} else if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		limit += neg;
		s++;
		n--;
	}
	if (base == 10 && n > 1 && s[0] == '0')
		return -1;
	rc = toml_digits(s, n, base, limit, &v);
	if (rc)
		return rc;
	if (!neg)
		*out = (long long)v;
	else
		*out = v == limit ? LLONG_MIN : -(long long)v;
	return 0;
}

/* What a token that is no integer was meant to be, for the message. */
static const char *toml_token_kind(const char *s, size_t n)
{
	const char *t = s + (s[0] == '+' || s[0] == '-');
	size_t i, m = n - (size_t)(t - s), digits = 0;

	if (m == 3 && (!memcmp(t, "inf", 3) || !memcmp(t, "nan", 3)))
		return "floats are not supported";
	if (m == 0 || t[0] < '0' || t[0] > '9')
		return "invalid value (a string needs quotes)";
	while (digits < n && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (memchr(s, ':', n) || (digits == 4 && n > 4 && s[4] == '-'))
		return "dates and times are not supported";
	for (i = 0; i < n && !(n >= 2 && s[1] == 'x'); i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			return "floats are not supported";
	return "invalid integer";
}

/* true, false, an integer; floats and dates are refused. The token is
   not quoted in messages: it may be a secret missing its quotes. */
static struct toml *toml_parse_scalar(struct toml_parser *ps)
{
	const char *s = ps->p;
	struct toml *v = toml_new(TOML_INTEGER, ps->line);
	size_t n;
	int rc;

	while (!toml_eof(ps) && !strchr(" \t\r\n,]}#=[{", *ps->p))
		ps->p++;
	n = (size_t)(ps->p - s);
	if (n == 4 && !memcmp(s, "true", 4)) {
		v->type = TOML_BOOLEAN;
		v->boolean = true;
		return v;
	}
	if (n == 5 && !memcmp(s, "false", 5)) {
		v->type = TOML_BOOLEAN;
		return v;
	}
	rc = n ? toml_integer_text(s, n, &v->integer) : -1;
	if (rc == 0)
		return v;
	toml_free(v);
	ps->p = s;
	if (n == 0)
		toml_fail(ps, ERROR_FORMAT, "expected a value");
	else if (rc > 0)
		toml_fail(ps, ERROR_FORMAT, "integer out of 64-bit range");
	else
		toml_fail(ps, ERROR_FORMAT, "%s", toml_token_kind(s, n));
	return NULL;
}

/* Blanks inside an array, then its next character; 0 at the end of
   the file, which leaves the array unterminated. */
static char toml_array_next(struct toml_parser *ps, const struct toml *a)
{
	if (toml_skip_blank(ps))
		return 0;
	if (toml_eof(ps))
		toml_fail(ps, ERROR_FORMAT, "unterminated array "
			  "(opened on line %d)", a->line);
	return toml_peek(ps);
}

/* [ v, v, ] across lines, with comments; types may mix (TOML v1.0.0). */
static struct toml *toml_parse_array(struct toml_parser *ps, int depth)
{
	struct toml *a = toml_new(TOML_ARRAY, ps->line), *v;
	char c, found[16];

	for (ps->p++;;) {
		c = toml_array_next(ps, a);
		if (c == ']' || !c)
			break;
		v = toml_parse_value(ps, depth);
		if (!v)
			goto fail;
		toml_push(a, NULL, v);
		c = toml_array_next(ps, a);
		if (c == ']' || !c)
			break;
		if (c == ',') {
			ps->p++;
			continue;
		}
		toml_fail(ps, ERROR_FORMAT, "expected ',' or ']' in an array, "
			  "found %s", toml_found(ps, found, sizeof(found)));
		goto fail;
	}
	if (!c)
		goto fail;
	ps->p++;
	return a;
fail:
	toml_free(a);
	return NULL;
}

static int toml_parse_keyval(struct toml_parser *ps, struct toml *table,
			     int depth);

/* After a member of an inline table: ',' and another, or '}'. Returns
   1 at the '}'. No newline and no trailing comma (TOML v1.0.0). */
static int toml_inline_next(struct toml_parser *ps)
{
	char found[16];

	toml_skip_ws(ps);
	if (toml_peek(ps) == '}') {
		ps->p++;
		return 1;
	}
	if (toml_peek(ps) != ',')
		return toml_fail(ps, ERROR_FORMAT, "expected ',' or '}' in an "
				 "inline table, found %s",
				 toml_found(ps, found, sizeof(found)));
	ps->p++;
	toml_skip_ws(ps);
	if (toml_peek(ps) == '}')
		return toml_fail(ps, ERROR_FORMAT,
				 "trailing comma in an inline table");
	return 0;
}

/* { k = v, k.k = v } on one line. */
static struct toml *toml_parse_inline(struct toml_parser *ps, int depth)
{
	struct toml *t = toml_new(TOML_TABLE, ps->line);
	int rc = 0;

	t->defined = true;
	ps->p++;
	toml_skip_ws(ps);
	if (toml_peek(ps) == '}')
		ps->p++;
	else
		do
			rc = toml_parse_keyval(ps, t, depth) ? -1 :
			     toml_inline_next(ps);
		while (rc == 0);
	if (rc < 0) {
		toml_free(t);
		return NULL;
	}
	toml_freeze(t);
	return t;
}

static struct toml *toml_parse_value(struct toml_parser *ps, int depth)
{
	char c = toml_peek(ps);

	if (c == '"' || c == '\'')
		return toml_parse_string(ps);
	if (c != '[' && c != '{')
		return toml_parse_scalar(ps);
	if (depth >= TOML_DEPTH_MAX) {
		toml_fail(ps, ERROR_LIMIT, "arrays and inline tables nested "
			  "deeper than %d (TOML_DEPTH_MAX)", TOML_DEPTH_MAX);
		return NULL;
	}
	if (c == '[')
		return toml_parse_array(ps, depth + 1);
	return toml_parse_inline(ps, depth + 1);
}

/* Step through part i of a dotted key on the left of '=': only into
   tables that dotted keys made in this same table (TOML v1.0.0, "Keys",
   "Table"). */
static struct toml *toml_step_dotted(struct toml_parser *ps, struct toml *t,
				     const struct toml_key *key, size_t i)
{
	struct toml *c = toml_find(t, key->parts[i]);
	char text[TOML_QUOTE_MAX * 4 + 4];

	if (!c) {
		c = toml_new(TOML_TABLE, ps->line);
		c->dotted = true;
		return toml_add(ps, t, key->parts[i], c) ? NULL : c;
	}
	toml_key_text(key, i + 1, text, sizeof(text));
	if (c->type != TOML_TABLE)
		toml_fail(ps, ERROR_FORMAT, "key '%s' is not a table", text);
	else if (c->frozen)
		toml_fail(ps, ERROR_FORMAT,
			  "inline table '%s' cannot be extended", text);
	else if (!c->dotted)
		toml_fail(ps, ERROR_FORMAT, "table '%s' is defined elsewhere; "
			  "a dotted key cannot add to it", text);
	else
		return c;
	return NULL;
}

/* key = value, into table; value on the same line as the key. */
static int toml_parse_keyval(struct toml_parser *ps, struct toml *table,
			     int depth)
{
	struct toml_key key;
	struct toml *t = table, *v;
	char text[TOML_QUOTE_MAX * 4 + 4], found[16];
	size_t i;
	int rc = -1;

	if (toml_parse_key(ps, &key))
		goto out;
	for (i = 0; t && i + 1 < key.n; i++)
		t = toml_step_dotted(ps, t, &key, i);
	if (!t)
		goto out;
	toml_key_text(&key, key.n, text, sizeof(text));
	if (toml_find(t, key.parts[key.n - 1])) {
		toml_fail(ps, ERROR_FORMAT, "duplicate key '%s'", text);
		goto out;
	}
	if (toml_peek(ps) != '=') {
		toml_fail(ps, ERROR_FORMAT, "expected '=' after key '%s', "
			  "found %s", text, toml_found(ps, found, sizeof(found)));
		goto out;
	}
	ps->p++;
	toml_skip_ws(ps);
	v = toml_parse_value(ps, depth);
	if (v)
		rc = toml_add(ps, t, key.parts[key.n - 1], v);
out:
	toml_key_release(&key);
	return rc;
}

/* Step through a header's part i: into a table not closed by being
   inline, or into the last table of an array of tables. */
static struct toml *toml_step_header(struct toml_parser *ps, struct toml *t,
				     const struct toml_key *key, size_t i)
{
	struct toml *c = toml_find(t, key->parts[i]);
	char text[TOML_QUOTE_MAX * 4 + 4];

	if (!c) {
		c = toml_new(TOML_TABLE, ps->line);
		return toml_add(ps, t, key->parts[i], c) ? NULL : c;
	}
	if (c->type == TOML_ARRAY && c->aot)
		return c->items[c->count - 1];
	if (c->type == TOML_TABLE && !c->frozen)
		return c;
	toml_key_text(key, i + 1, text, sizeof(text));
	if (c->type == TOML_TABLE)
		toml_fail(ps, ERROR_FORMAT,
			  "inline table '%s' cannot be extended", text);
	else
		toml_fail(ps, ERROR_FORMAT, "key '%s' is not a table", text);
	return NULL;
}

/* [key]: a table defined once, not before by a header or by dotted keys
   (TOML v1.0.0, "Table"); one made on the way to a sub-table is fine. */
static struct toml *toml_define_table(struct toml_parser *ps, struct toml *t,
				      const struct toml_key *key)
{
	const char *last = key->parts[key->n - 1];
	struct toml *c = toml_find(t, last);
	char text[TOML_QUOTE_MAX * 4 + 4];

	if (!c) {
		c = toml_new(TOML_TABLE, ps->line);
		c->defined = true;
		return toml_add(ps, t, last, c) ? NULL : c;
	}
	toml_key_text(key, key->n, text, sizeof(text));
	if (c->type == TOML_TABLE && !c->defined && !c->dotted &&
	    !c->frozen) {
		c->defined = true;
		c->line = ps->line;
		return c;
	}
	if (c->type == TOML_TABLE || (c->type == TOML_ARRAY && c->aot))
		toml_fail(ps, ERROR_FORMAT, "table '%s' is already defined",
			  text);
	else
		toml_fail(ps, ERROR_FORMAT, "key '%s' is not a table", text);
	return NULL;
}

/* [[key]]: a new table at the end of an array of tables. */
static struct toml *toml_append_table(struct toml_parser *ps, struct toml *t,
				      const struct toml_key *key)
{
	const char *last = key->parts[key->n - 1];
	struct toml *a = toml_find(t, last), *c;
	char text[TOML_QUOTE_MAX * 4 + 4];

	if (a && !(a->type == TOML_ARRAY && a->aot)) {
		toml_fail(ps, ERROR_FORMAT, "key '%s' is not an array of "
			  "tables", toml_key_text(key, key->n, text,
						  sizeof(text)));
		return NULL;
	}
	if (!a) {
		a = toml_new(TOML_ARRAY, ps->line);
		a->aot = true;
		if (toml_add(ps, t, last, a))
			return NULL;
	}
	c = toml_new(TOML_TABLE, ps->line);
	c->defined = true;
	toml_push(a, NULL, c);
	return c;
}

/* The closing ']' or ']]' of a header. */
static int toml_header_close(struct toml_parser *ps, bool aot)
{
	char found[16];

	if (toml_starts(ps, aot ? "]]" : "]")) {
		ps->p += aot ? 2 : 1;
		return 0;
	}
	if (toml_peek(ps) == ']')
		ps->p++;
	return toml_fail(ps, ERROR_FORMAT, "expected '%s' to close the "
			 "header, found %s", aot ? "]]" : "]",
			 toml_found(ps, found, sizeof(found)));
}

/* [a.b] or [[a.b]], p at the '['. */
static int toml_parse_header(struct toml_parser *ps)
{
	struct toml_key key;
	struct toml *t = ps->root;
	bool aot = toml_starts(ps, "[[");
	size_t i;
	int rc = -1;

	ps->p += aot ? 2 : 1;
	if (toml_parse_key(ps, &key) || toml_header_close(ps, aot))
		goto out;
	for (i = 0; t && i + 1 < key.n; i++)
		t = toml_step_header(ps, t, &key, i);
	if (t)
		t = aot ? toml_append_table(ps, t, &key) :
			  toml_define_table(ps, t, &key);
	if (t) {
		ps->current = t;
		rc = 0;
	}
out:
	toml_key_release(&key);
	return rc;
}

static int toml_parse_document(struct toml_parser *ps)
{
	for (;;) {
		toml_skip_ws(ps);
		if (toml_eof(ps))
			return 0;
		if (toml_peek(ps) == '[') {
			if (toml_parse_header(ps) ||
			    toml_end_line(ps, "the header"))
				return -1;
		} else if (toml_peek(ps) != '#' && !toml_at_newline(ps)) {
			if (toml_parse_keyval(ps, ps->current, 0) ||
			    toml_end_line(ps, "the value"))
				return -1;
		} else if (toml_end_line(ps, "a comment")) {
			return -1;
		}
	}
}

/* Length of the UTF-8 sequence at s, or 0 when it is not valid UTF-8:
   no overlong forms, no surrogates, nothing past U+10FFFF (RFC 3629). */
static size_t toml_utf8_len(const unsigned char *s, size_t avail)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (n == 0 || n > avail || s[0] > 0xf4)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A TOML file is valid UTF-8 (TOML v1.0.0, "Spec"); NUL never fits. */
static int toml_check_bytes(struct toml_parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->p;
	size_t len = (size_t)(ps->end - ps->p), i = 0, n;

	while (i < len) {
		if (s[i] == '\0')
			return toml_fail(ps, ERROR_FORMAT, "NUL byte");
		n = toml_utf8_len(s + i, len - i);
		if (n == 0)
			return toml_fail(ps, ERROR_FORMAT, "invalid UTF-8");
		if (s[i] == '\n')
			ps->line++;
		i += n;
	}
	ps->line = 1;
	return 0;
}

static int toml_too_large(const char *name, struct error *err)
{
	char quoted[TOML_QUOTE_MAX * 4 + 4];

	escape_quote(quoted, sizeof(quoted), name, TOML_QUOTE_MAX);
	return error_set(err, ERROR_LIMIT, "'%s': larger than %d bytes "
			 "(TOML_BYTES_MAX)", quoted, TOML_BYTES_MAX);
}

struct toml *toml_parse(const char *text, size_t len, const char *name,
			struct error *err)
{
	struct toml_parser ps = {
		.p = text, .end = text + len, .line = 1,
		.name = name ? name : "(toml)", .err = err,
	};

	if (len > TOML_BYTES_MAX) {
		toml_too_large(ps.name, err);
		return NULL;
	}
	ps.root = toml_new(TOML_TABLE, 1);
	ps.root->defined = true;
	ps.current = ps.root;
	/* A byte order mark is not TOML, but editors leave one. */
	if (toml_starts(&ps, "\xef\xbb\xbf"))
		ps.p += 3;
	if (toml_check_bytes(&ps) || toml_parse_document(&ps)) {
		toml_free(ps.root);
		return NULL;
	}
	return ps.root;
}

struct toml *toml_parse_file(const char *path, struct error *err)
{
	struct blob_stream *s = blob_stream_open_file(path, err);
	struct toml *root = NULL;
	const void *data;
	struct buf b;
	ssize_t n;

	if (!s)
		return NULL;
	buf_init(&b);
	while ((n = blob_stream_read(s, &data, err)) > 0) {
		if (buf_append(&b, data, (size_t)n, TOML_BYTES_MAX,
			       "TOML_BYTES_MAX", err)) {
			n = toml_too_large(path, err);
			break;
		}
	}
	if (n == 0)
		root = toml_parse(b.data ? b.data : "", b.len, path, err);
	blob_stream_close(s);
	buf_release(&b);
	return root;
}

enum toml_type toml_type(const struct toml *v)
{
	return v->type;
}

int toml_line(const struct toml *v)
{
	return v->line;
}

const struct toml *toml_get(const struct toml *t, const char *key)
{
	if (!t || t->type != TOML_TABLE || !key)
		return NULL;
	return toml_find(t, key);
}

const struct toml *toml_path(const struct toml *t, const char *const *keys)
{
	size_t i;

	for (i = 0; t && keys[i]; i++)
		t = toml_get(t, keys[i]);
	return t;
}

size_t toml_count(const struct toml *v)
{
	if (!v || (v->type != TOML_TABLE && v->type != TOML_ARRAY))
		return 0;
	return v->count;
}

const struct toml *toml_at(const struct toml *v, size_t i)
{
	return i < toml_count(v) ? v->items[i] : NULL;
}

const char *toml_key_at(const struct toml *t, size_t i)
{
	if (!t || t->type != TOML_TABLE || i >= t->count)
		return NULL;
	return t->keys[i];
}

const char *toml_string(const struct toml *v, const char *fallback)
{
	return v && v->type == TOML_STRING ? v->string : fallback;
}

long long toml_integer(const struct toml *v, long long fallback)
{
	return v && v->type == TOML_INTEGER ? v->integer : fallback;
}

bool toml_boolean(const struct toml *v, bool fallback)
{
	return v && v->type == TOML_BOOLEAN ? v->boolean : fallback;
}
