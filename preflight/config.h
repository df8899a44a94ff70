/* The config step: does the image's config agree with the index entry
   and with the node? */
#ifndef PREFLIGHT_CONFIG_H
#define PREFLIGHT_CONFIG_H

#include <stdbool.h>

#include "check.h"

struct findings;
struct platform;

/*
 * Judge the config's platform. entry is the index entry's platform, or
 * NULL when the tag is a single manifest (then the config is all there
 * is, and the node's own vector decides). Adds SIGNAL_TAG findings for
 * a single manifest and SIGNAL_CONFIG findings for the config.
 */
void config_check_platform(const struct platform *config,
			   const struct platform *entry,
			   const struct platform *node,
			   enum runtime_rules rules, struct findings *f);

const char *runtime_rules_name(enum runtime_rules rules);

#endif
