/* Content digests as the runtimes verify them (OCI image-spec
   descriptor.md: sha256, sha512; go-digest also knows sha384). */
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"

struct digester {
	EVP_MD_CTX *ctx;
	const char *name;
};

static const EVP_MD *algorithm_of(const char *digest, const char **name)
{
	static const struct {
		const char *name;
		const EVP_MD *(*md)(void);
	} known[] = {
		{ "sha256", EVP_sha256 },
		{ "sha384", EVP_sha384 },
		{ "sha512", EVP_sha512 },
	};
	const char *colon = strchr(digest, ':');
	size_t i;

	for (i = 0; colon && i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == (size_t)(colon - digest) &&
		    !strncmp(digest, known[i].name, (size_t)(colon - digest))) {
			*name = known[i].name;
			return known[i].md();
		}
	return NULL;
}

bool digest_supported(const char *digest)
{
	const char *name;

	return algorithm_of(digest, &name) != NULL;
}

struct digester *digester_new(const char *like)
{
	const EVP_MD *md;
	struct digester *d;
	const char *name;

	md = algorithm_of(like, &name);
	if (!md)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->ctx = EVP_MD_CTX_new();
	d->name = name;
	if (!d->ctx || !EVP_DigestInit_ex(d->ctx, md, NULL)) {
		digester_free(d);
		return NULL;
	}
	return d;
}

void digester_update(struct digester *d, const void *data, size_t len)
{
	EVP_DigestUpdate(d->ctx, data, len);
}

char *digester_finish(struct digester *d)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	char *out;

	EVP_DigestFinal_ex(d->ctx, md, &len);
	out = xmalloc(strlen(d->name) + 1 + 2 * len + 1);
	i = (unsigned int)sprintf(out, "%s:", d->name);
	for (unsigned int k = 0; k < len; k++)
		sprintf(out + i + 2 * k, "%02x", md[k]);
	digester_free(d);
	return out;
}

void digester_free(struct digester *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

char *digest_like(const char *like, const void *data, size_t len)
{
	struct digester *d = digester_new(like);

	if (!d)
		return NULL;
	digester_update(d, data, len);
	return digester_finish(d);
}
