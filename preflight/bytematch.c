/* Find fixed byte strings in data handed over in chunks, including a
   string that a chunk boundary cuts in two: each pattern keeps how much
   of it the bytes so far end with (Knuth-Morris-Pratt), so no bytes of
   an earlier chunk need to be kept. */
#include "bytematch.h"

#include <string.h>

/* fail[i]: the length of the longest proper prefix of the first i + 1
   bytes that is also their suffix. */
static void bytematch_table(struct bytematch_pattern *p)
{
	size_t i, k = 0;

	p->fail[0] = 0;
	for (i = 1; i < p->len; i++) {
		while (k && p->bytes[i] != p->bytes[k])
			k = p->fail[k - 1];
		if (p->bytes[i] == p->bytes[k])
			k++;
		p->fail[i] = k;
	}
}

int bytematch_init(struct bytematch *m, const char *const *patterns,
		   size_t count)
{
	size_t i, len;

	memset(m, 0, sizeof(*m));
	if (count > BYTEMATCH_PATTERNS_MAX)
		return -1;
	for (i = 0; i < count; i++) {
		len = strlen(patterns[i]);
		if (!len || len > BYTEMATCH_PATTERN_MAX)
			return -1;
		m->p[i].bytes = (const unsigned char *)patterns[i];
		m->p[i].len = len;
		bytematch_table(&m->p[i]);
	}
	m->count = count;
	return 0;
}

static void bytematch_feed_one(struct bytematch_pattern *p, uint64_t offset,
			       const unsigned char *data, size_t len)
{
	const unsigned char *hit;
	size_t i = 0;

	while (i < len && !p->found) {
		if (p->state == 0) {
			/* nothing matched: skip to the first byte's next
			   occurrence */
			hit = memchr(data + i, p->bytes[0], len - i);
			if (!hit)
				return;
			i = (size_t)(hit - data);
		}
		while (p->state && data[i] != p->bytes[p->state])
			p->state = p->fail[p->state - 1];
		if (data[i] == p->bytes[p->state])
			p->state++;
		i++;
		if (p->state == p->len) {
			p->found = true;
			p->at = offset + i - p->len;
		}
	}
}

void bytematch_feed(struct bytematch *m, uint64_t offset,
		    const unsigned char *data, size_t len)
{
	size_t i;

	for (i = 0; i < m->count; i++) {
		if (m->p[i].found)
			continue;
		bytematch_feed_one(&m->p[i], offset, data, len);
		if (m->p[i].found)
			m->found++;
	}
}

bool bytematch_found(const struct bytematch *m, size_t i, uint64_t *at)
{
	if (i >= m->count || !m->p[i].found)
		return false;
	if (at)
		*at = m->p[i].at;
	return true;
}
