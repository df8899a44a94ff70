/* Fuzz target: the node's registry configuration (mirrors.c over
 * toml.c): the first byte picks the file the rest becomes under a fresh
 * root, '0' a containerd hosts.toml, '1' CRI-O's registries.conf, '2'
 * containerd's config.toml; the file is then read as the runtime's
 * lookup reads it. */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/mirrors.h"
#include "tests/fuzz/fuzz.h"

#define HOSTS "etc/containerd/certs.d/reg.example:5000/hosts.toml"
#define REGISTRIES "etc/containers/registries.conf"
#define CONTAINERD "etc/containerd/config.toml"

static void fuzz_endpoints(const struct endpoint_list *l)
{
	size_t i;

	if (l->count > MIRRORS_HOSTS_MAX + MIRRORS_MIRRORS_MAX + 1)
		abort();
	for (i = 0; i < l->count; i++) {
		(void)strlen(l->items[i].url);
		(void)strlen(l->items[i].path);
	}
}

static void fuzz_resolve(enum runtime_kind rt, const char *registry,
			 const char *repository)
{
	struct endpoint_list l;
	struct error err;

	error_init(&err);
	memset(&l, 0, sizeof(l));
	if (mirrors_resolve(fuzz_root(), rt, registry, repository, &l,
			    &err) == 0)
		fuzz_endpoints(&l);
	else if (!err.message[0])
		abort();
	endpoint_list_release(&l);
}

static void fuzz_containerd_config(void)
{
	struct containerd_config c;
	struct error err;

	error_init(&err);
	memset(&c, 0, sizeof(c));
	if (mirrors_containerd_config(fuzz_root(), &c, &err) == 0 &&
	    !c.found)
		abort();
	containerd_config_release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch ((uint8_t)(data[0] - '0') % 3) {
	case 0:
		fuzz_write(HOSTS, data + 1, size - 1);
		fuzz_resolve(RUNTIME_CONTAINERD, "reg.example:5000",
			     "library/app");
		fuzz_unlink(HOSTS);
		break;
	case 1:
		fuzz_write(REGISTRIES, data + 1, size - 1);
		fuzz_resolve(RUNTIME_CRIO, "reg.example", "library/app");
		fuzz_resolve(RUNTIME_CRIO, "docker.io", "library/busybox");
		fuzz_unlink(REGISTRIES);
		break;
	default:
		fuzz_write(CONTAINERD, data + 1, size - 1);
		fuzz_containerd_config();
		fuzz_unlink(CONTAINERD);
		break;
	}
	return 0;
}
