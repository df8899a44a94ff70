/* Make text from servers and images safe to print and to put in JSON. */
#include "escape.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0; the
   code point into *out. */
static size_t utf8_sequence_length(const unsigned char *s, size_t n,
				   unsigned int *out)
{
	size_t len, i;
	unsigned int cp;

	*out = s[0];
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*out = cp;
	return len;
}

/*
 * Code points that steer a terminal or reorder text though valid: the C1
 * controls (U+0080..U+009F, CSI among them) and the bidirectional
 * overrides and isolates (Unicode TR9).
 */
static bool is_unsafe_code_point(unsigned int cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

static void escape_byte(struct buf *out, unsigned char c)
{
	char tmp[8];

	switch (c) {
	case '\n':
		strcpy(tmp, "\\n");
		break;
	case '\r':
		strcpy(tmp, "\\r");
		break;
	case '\t':
		strcpy(tmp, "\\t");
		break;
	case '\\':
		strcpy(tmp, "\\\\");
		break;
	default:
		snprintf(tmp, sizeof(tmp), "\\x%02x", c);
	}
	buf_append(out, tmp, strlen(tmp), (size_t)-1, "escape", NULL);
}

char *escape_text(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = len < max ? len : max;
	struct buf out;
	size_t i = 0;

	buf_init(&out);
	while (i < n) {
		unsigned int cp = 0;
		size_t seq = utf8_sequence_length(p + i, n - i, &cp);

		if (seq == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\') {
			buf_append(&out, p + i, 1, (size_t)-1, "escape", NULL);
		} else if (seq > 1 && is_unsafe_code_point(cp)) {
			char tmp[16];

			snprintf(tmp, sizeof(tmp), "\\u{%04x}", cp);
			buf_append(&out, tmp, strlen(tmp), (size_t)-1,
				   "escape", NULL);
			i += seq;
			continue;
		} else if (seq > 1) {
			buf_append(&out, p + i, seq, (size_t)-1, "escape",
				   NULL);
			i += seq;
			continue;
		} else {
			escape_byte(&out, p[i]);
		}
		i++;
	}
	if (len > max)
		buf_append(&out, "...", 3, (size_t)-1, "escape", NULL);
	return buf_detach(&out);
}

const char *escape_into(char *out, size_t size, const char *s)
{
	char *e = escape_text(s, strlen(s), size);

	snprintf(out, size, "%s", e);
	free(e);
	return out;
}

void escape_quote(char *out, size_t size, const char *s, size_t max)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 8 >= size || o >= max) {
			memcpy(out + o, "...", 4);
			return;
		}
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}
