/* --version: this program's version and the libraries it uses. */
#ifndef PREFLIGHT_VERSION_H
#define PREFLIGHT_VERSION_H

#include <stdio.h>

/*
 * Print "image-preflight VERSION" (a line scripts may rely on), then one
 * line per library: the version it runs with, the one it was built with,
 * and what the run depends on (libcurl's TLS backend, the decompressors
 * libarchive has).
 */
void version_print(FILE *out);

#endif
