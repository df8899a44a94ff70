/* Images on local disk: OCI layouts, OCI archives and `docker save` files. */
#ifndef PREFLIGHT_OFFLINE_H
#define PREFLIGHT_OFFLINE_H

struct error;
struct source;

/* Longest path accepted in an offline reference. */
#define OFFLINE_PATH_MAX 4096
/* Largest index.json, oci-layout and docker manifest.json read. */
#define OFFLINE_INDEX_BYTES_MAX (4u * 1024 * 1024)
#define OFFLINE_LAYOUT_BYTES_MAX 4096
#define OFFLINE_DOCKER_MANIFEST_BYTES_MAX (4u * 1024 * 1024)
/* Most images a docker manifest.json may list, and tags per image. */
#define OFFLINE_IMAGES_MAX 1024
#define OFFLINE_TAGS_MAX 1024
/* Most tar members looked at in one scan of an archive. */
#define OFFLINE_MEMBERS_MAX 1000000
/* Symbolic or hard links followed to find one archive member. */
#define OFFLINE_LINK_HOPS_MAX 8

enum offline_kind {
	OFFLINE_OCI_DIR,         /* oci:DIR[:REF] */
	OFFLINE_OCI_ARCHIVE,     /* oci-archive:FILE[:REF] */
	OFFLINE_DOCKER_ARCHIVE,  /* docker-archive:FILE[:REF] */
};

struct offline_ref {
	enum offline_kind kind;
	char *path;
	char *ref;      /* NULL when none was given */
};

/*
 * Parse "oci:DIR[:REF]", "oci-archive:FILE[:REF]" or
 * "docker-archive:FILE[:REF]"; the path ends at the first ':' after the
 * prefix (as containers/image splits them). Returns 0 when parsed, 1 when
 * text has none of these prefixes (out untouched), -1 on a bad one.
 */
int offline_parse(const char *text, struct offline_ref *out,
		  struct error *err);
void offline_ref_release(struct offline_ref *r);

/*
 * A source reading the image r names; nothing is read until the first
 * fetch. Its fetch_manifest takes a digest, or a name to match, or NULL
 * or "" for the image r names (r->ref, else the only image there):
 * - oci, oci-archive: a name matches an index.json entry's annotation
 *   org.opencontainers.image.ref.name, or (normalised) its
 *   io.containerd.image.name; the entry's manifest or index is returned.
 * - docker-archive: an OCI layout in the archive (Docker 25+) is read as
 *   above; otherwise manifest.json's image whose RepoTags hold the name
 *   (normalised) is returned as a Docker v2 manifest built in memory.
 * r need not outlive the source.
 */
struct source *offline_source_new(const struct offline_ref *r,
				  struct error *err);

#endif
