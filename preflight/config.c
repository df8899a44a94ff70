/* The config step: does the image's config agree with the index entry
   and with the node? */
#include "config.h"

#include <string.h>

#include "../platform/platform.h"
#include "verdict.h"

const char *runtime_rules_name(enum runtime_rules rules)
{
	switch (rules) {
	case RULES_CONTAINERD:
		return "containerd";
	case RULES_CRIO:
		return "cri-o";
	default:
		return "any";
	}
}

/* The tag is one manifest: containerd pulls it on any node without
   looking at its platform, so the node's own matcher must decide. */
static void check_single(const struct platform *config,
			 const struct platform *node, struct findings *f)
{
	char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];
	struct platform_vector v;
	int rank;

	platform_format(config, have);
	platform_format(node, want);
	platform_vector_for(node, &v);
	rank = platform_vector_rank(&v, config);
	if (rank < 0) {
		findings_add(f, SIGNAL_TAG, SEVERITY_FAIL,
			     "single-manifest-wrong-platform",
			     "the tag is a single %s image, not a multi-platform "
			     "index: a %s node pulls it anyway (containerd does "
			     "not check the platform of a single manifest) and "
			     "cannot run it", have, want);
	} else if (rank > 0) {
		findings_add(f, SIGNAL_TAG, SEVERITY_WARN, "platform-fallback",
			     "the tag is a single %s image, not an index; a %s "
			     "node accepts it only as a fallback", have, want);
	} else {
		findings_add(f, SIGNAL_TAG, SEVERITY_INFO, "single-manifest",
			     "the tag is a single %s image, not a "
			     "multi-platform index; it matches this node", have);
	}
}

static bool same_arch(const struct platform *a, const struct platform *b)
{
	return !strcmp(a->os, b->os) && !strcmp(a->arch, b->arch);
}

static void check_against_entry(const struct platform *config,
				const struct platform *entry,
				enum runtime_rules rules, struct findings *f)
{
	char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];

	platform_format(config, have);
	platform_format(entry, want);
	if (same_arch(config, entry)) {
		if (strcmp(config->variant, entry->variant))
			findings_add(f, SIGNAL_CONFIG, SEVERITY_WARN,
				     "config-variant-mismatch",
				     "the config says %s but the index entry "
				     "says %s", have, want);
		return;
	}
	if (rules == RULES_CONTAINERD)
		findings_add(f, SIGNAL_CONFIG, SEVERITY_WARN,
			     "config-platform-mismatch",
			     "the config says %s but the index entry says %s; "
			     "containerd runs it anyway, CRI-O and podman "
			     "refuse it (rule: containerd)", have, want);
	else
		findings_add(f, SIGNAL_CONFIG, SEVERITY_FAIL,
			     "config-platform-mismatch",
			     "the config says %s but the index entry says %s: "
			     "CRI-O and podman refuse this image (containerd "
			     "would run it) (rule: %s)", have, want,
			     runtime_rules_name(rules));
}

void config_check_platform(const struct platform *config,
			   const struct platform *entry,
			   const struct platform *node,
			   enum runtime_rules rules, struct findings *f)
{
	if (!entry)
		check_single(config, node, f);
	else
		check_against_entry(config, entry, rules, f);
}
