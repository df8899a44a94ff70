/* The "#!" line of a script, split as the kernel splits it. */
#include "shebang.h"

#include <string.h>

#include "buf.h"
#include "entrypoint.h"

bool shebang_parse(const unsigned char *head, size_t len, char **interp,
		   char **arg)
{
	size_t n = len < SCRIPT_LINE_MAX ? len : SCRIPT_LINE_MAX, i = 2, s;
	const char *p = (const char *)head;
	const char *nl = memchr(p, '\n', n);
	size_t end = nl ? (size_t)(nl - p) : n;

	while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	while (i < end && (p[i] == ' ' || p[i] == '\t'))
		i++;
	s = i;
	while (i < end && p[i] != ' ' && p[i] != '\t')
		i++;
	if (i == s)
		return false;
	*interp = xstrndup(p + s, i - s);
	while (i < end && (p[i] == ' ' || p[i] == '\t'))
		i++;
	*arg = i < end ? xstrndup(p + i, end - i) : NULL;
	return true;
}

bool shebang_truncated(const unsigned char *head, size_t len)
{
	size_t n = SCRIPT_LINE_MAX - 1, i = 2;

	if (len < SCRIPT_LINE_MAX || memchr(head, '\n', SCRIPT_LINE_MAX))
		return false;
	while (i < n && (head[i] == ' ' || head[i] == '\t'))
		i++;
	while (i < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\0')
		i++;
	return i >= n;
}
