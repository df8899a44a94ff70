/* Fuzz target: kubeadm configuration files (YAML, read by
   kubeadm_list_images from a file under a root with no kubeadm). */
#include <stdlib.h>
#include <string.h>

#include "preflight/error.h"
#include "preflight/kubeadm.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubeadm_options o = { .config_file = "/etc/kubeadm.yaml" };
	struct kubeadm_images l;
	struct error err;
	size_t i;

	fuzz_write("etc/kubeadm.yaml", data, size);
	o.root = fuzz_root();
	error_init(&err);
	if (kubeadm_list_images(&o, &l, &err) == 0) {
		if (l.count > KUBEADM_IMAGES_MAX)
			abort();
		for (i = 0; i < l.count; i++)
			(void)strlen(l.items[i].reference);
	} else if (!err.message[0]) {
		abort();
	}
	kubeadm_images_release(&l);
	return 0;
}
