/* The one error channel: a category and a message, context added in front. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void error_init(struct error *err)
{
	memset(err, 0, sizeof(*err));
}

int error_set(struct error *err, enum error_category category,
	      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->category = category;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int error_prefix(struct error *err, const char *fmt, ...)
{
	char joined[ERROR_MESSAGE_MAX];
	size_t n;
	va_list ap;
	int len;

	if (!err)
		return -1;
	va_start(ap, fmt);
	len = vsnprintf(joined, sizeof(joined), fmt, ap);
	va_end(ap);
	n = len < 0 ? 0 : (size_t)len;
	if (n < sizeof(joined) - 2) {
		size_t room, mlen = strlen(err->message);

		memcpy(joined + n, ": ", 2);
		n += 2;
		room = sizeof(joined) - n - 1;
		if (mlen > room)
			mlen = room;
		memcpy(joined + n, err->message, mlen);
		joined[n + mlen] = '\0';
	}
	memcpy(err->message, joined, sizeof(err->message));
	return -1;
}

const char *error_category_name(enum error_category category)
{
	static const char *const names[] = {
		[ERROR_NONE] = "none",
		[ERROR_USAGE] = "usage",
		[ERROR_NETWORK] = "network",
		[ERROR_AUTH] = "auth",
		[ERROR_RATELIMIT] = "rate-limit",
		[ERROR_REGISTRY] = "registry",
		[ERROR_NOTFOUND] = "not-found",
		[ERROR_DIGEST] = "digest",
		[ERROR_FORMAT] = "format",
		[ERROR_LIMIT] = "limit",
		[ERROR_IO] = "io",
		[ERROR_INTERNAL] = "internal",
	};

	if ((size_t)category >= sizeof(names) / sizeof(names[0]))
		return "internal";
	return names[category];
}
