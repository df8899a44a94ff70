/* A strict reader for the TOML subset that containerd's config.toml and
 * hosts.toml and containers' registries.conf use (TOML v1.0.0): tables,
 * arrays of tables, dotted and quoted keys, strings, integers, booleans,
 * arrays, inline tables, comments. Dates and floats are refused. */
#ifndef PREFLIGHT_TOML_H
#define PREFLIGHT_TOML_H

#include <stdbool.h>
#include <stddef.h>

struct error;

/* Largest file read, deepest nesting, longest string or key. */
#define TOML_BYTES_MAX (1024 * 1024)
#define TOML_DEPTH_MAX 32
#define TOML_STRING_MAX 65536

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_BOOLEAN,
};

struct toml;   /* a value: the root is a table */

/*
 * Parse text. name (a file path) prefixes messages, which carry the line:
 * "'/etc/containerd/config.toml' line 12: duplicate key 'sandbox_image'".
 * Returns NULL with ERROR_FORMAT (or ERROR_LIMIT) on any error.
 */
struct toml *toml_parse(const char *text, size_t len, const char *name,
			struct error *err);
/* Read and parse a file; ERROR_IO when it cannot be read. */
struct toml *toml_parse_file(const char *path, struct error *err);
void toml_free(struct toml *root);

enum toml_type toml_type(const struct toml *v);
/* Line where the value (or table header) was defined, 1-based. */
int toml_line(const struct toml *v);

/* A table's member, or NULL (also NULL when t is NULL or not a table). */
const struct toml *toml_get(const struct toml *t, const char *key);
/* Follow keys ("plugins", "io.containerd.grpc.v1.cri", "registry", NULL),
   each one table member; NULL when any is missing. */
const struct toml *toml_path(const struct toml *t, const char *const *keys);

/* Members of a table or elements of an array, in file order. */
size_t toml_count(const struct toml *v);
const struct toml *toml_at(const struct toml *v, size_t i);
/* The key of member i of a table. */
const char *toml_key_at(const struct toml *t, size_t i);

/* The value, or the fallback when v is NULL or of another type. */
const char *toml_string(const struct toml *v, const char *fallback);
long long toml_integer(const struct toml *v, long long fallback);
bool toml_boolean(const struct toml *v, bool fallback);

#endif
