/* Fuzz target: WWW-Authenticate header values (challenge_parse). */
#include <stdlib.h>
#include <string.h>

#include "preflight/challenge.h"
#include "preflight/error.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = fuzz_string(data, size);
	struct challenge c;
	struct error err;

	error_init(&err);
	memset(&c, 0, sizeof(c));
	if (challenge_parse(header, &c, &err) == 0) {
		/* what it found is text, as the token request needs it */
		if (c.realm)
			(void)strlen(c.realm);
		if (c.scope)
			(void)strlen(c.scope);
	} else if (!err.message[0]) {
		abort();   /* a refusal always says why */
	}
	challenge_release(&c);
	free(header);
	return 0;
}
