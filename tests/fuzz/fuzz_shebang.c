/* Fuzz target: a script's "#!" line (shebang_truncated, shebang_parse). */
#include <stdlib.h>
#include <string.h>

#include "preflight/entrypoint.h"
#include "preflight/shebang.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *interp = NULL, *arg = NULL;

	(void)shebang_truncated(data, size);
	if (!shebang_parse(data, size, &interp, &arg))
		return 0;
	/* both come from the first line, within SCRIPT_LINE_MAX bytes */
	if (strlen(interp) + (arg ? strlen(arg) : 0) > SCRIPT_LINE_MAX ||
	    strchr(interp, '\n') || (arg && strchr(arg, '\n')))
		abort();
	free(interp);
	free(arg);
	return 0;
}
