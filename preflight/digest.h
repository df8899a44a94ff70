/* Content digests as the runtimes verify them (OCI image-spec
   descriptor.md: sha256, sha512; go-digest also knows sha384). */
#ifndef PREFLIGHT_DIGEST_H
#define PREFLIGHT_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

struct digester;

/* Whether the algorithm of "alg:hex" is one the runtimes can verify. */
bool digest_supported(const char *digest);

/* A running digest of the same algorithm as `like` ("sha512:..."), or
   NULL when that algorithm is not supported. */
struct digester *digester_new(const char *like);
void digester_update(struct digester *d, const void *data, size_t len);
/* "alg:hex" of all bytes given; frees d. The caller frees the text. */
char *digester_finish(struct digester *d);
void digester_free(struct digester *d);

/* The digest of data in the algorithm of `like`, or NULL when not
   supported. The caller frees. */
char *digest_like(const char *like, const void *data, size_t len);

#endif
