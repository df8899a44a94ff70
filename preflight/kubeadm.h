/* The images kubeadm would pull on this node, from kubeadm or its config. */
#ifndef PREFLIGHT_KUBEADM_H
#define PREFLIGHT_KUBEADM_H

#include <stddef.h>

struct error;

/* The most `kubeadm config images list -o json` may print on stdout. */
#define KUBEADM_OUTPUT_MAX (1024 * 1024)
/* How much of kubeadm's stderr is kept to explain a failure. */
#define KUBEADM_STDERR_MAX 4096
/* kubeadm's time to answer when kubeadm_options.timeout_ms is 0. */
#define KUBEADM_TIMEOUT_MS 10000
/* The largest kubeadm configuration file read. */
#define KUBEADM_CONFIG_MAX (1024 * 1024)
/* Most YAML documents in one configuration file. */
#define KUBEADM_DOCUMENTS_MAX 64
/* Most images in kubeadm's list (it prints seven). */
#define KUBEADM_IMAGES_MAX 64
/* The longest image reference, repository or tag accepted. */
#define KUBEADM_REFERENCE_MAX 512

struct kubeadm_image {
	char *role;       /* "kube-apiserver", "etcd", "coredns", "pause" */
	char *reference;  /* "registry.k8s.io/etcd:3.5.12-0" */
};

struct kubeadm_images {
	struct kubeadm_image *items;
	size_t count;
	char version[32];   /* "v1.30.2", or "" when kubeadm did not say */
	/* "kubeadm binary", "configuration file" or "defaults" */
	char source[64];
};

struct kubeadm_options {
	const char *root;               /* "" or "/" is the real node */
	const char *config_file;        /* read under root; NULL: none */
	const char *kubernetes_version; /* "v1.30.2" or NULL */
	/* The kubeadm to run; NULL searches PATH for "kubeadm", but only
	   when root is the real node. */
	const char *kubeadm_path;
	long timeout_ms;                /* 0 is KUBEADM_TIMEOUT_MS */
};

/*
 * List the images kubeadm would use. When a kubeadm binary is found, run
 * `kubeadm config images list -o json` (with --config and
 * --kubernetes-version when given) and take its answer; a failing,
 * silent or slow kubeadm is an error, not a reason to guess. Otherwise
 * compute the list as kubeadm does from the ClusterConfiguration in
 * o->config_file (kubeadm.k8s.io/v1beta3 or v1beta4), or from kubeadm's
 * defaults, with etcd, CoreDNS and pause tags from a table of Kubernetes
 * minors 1.27 to 1.33. An explicit o->kubernetes_version wins over the
 * file's. Release out with kubeadm_images_release, also after an error.
 */
int kubeadm_list_images(const struct kubeadm_options *o,
			struct kubeadm_images *out, struct error *err);

void kubeadm_images_release(struct kubeadm_images *l);

#endif
