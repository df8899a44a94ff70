/* Fuzz target: image configs (config_parse, config_getenv). */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_config cfg;
	struct error err;
	size_t i;

	error_init(&err);
	memset(&cfg, 0, sizeof(cfg));
	if (config_parse((const char *)data, size, &cfg, &err) == 0) {
		if (cfg.entrypoint_count > CONFIG_ARGV_MAX ||
		    cfg.cmd_count > CONFIG_ARGV_MAX ||
		    cfg.env_count > CONFIG_ENV_MAX)
			abort();
		for (i = 0; i < cfg.entrypoint_count; i++)
			(void)strlen(cfg.entrypoint[i]);
		for (i = 0; i < cfg.cmd_count; i++)
			(void)strlen(cfg.cmd[i]);
		(void)config_getenv(&cfg, "PATH");
		(void)config_getenv(&cfg, "");
	} else if (!err.message[0]) {
		abort();
	}
	config_release(&cfg);
	return 0;
}
