/* The node's registry credentials: auth files and credential helpers. */
#ifndef PREFLIGHT_AUTH_H
#define PREFLIGHT_AUTH_H

struct error;

/* The largest auth file read (auth.json, config.json, .dockercfg). */
#define AUTH_FILE_MAX (1024 * 1024)
/* The most a credential helper may print before it is stopped. */
#define AUTH_HELPER_OUTPUT_MAX (64 * 1024)
/* The longest helper name ("pass" in docker-credential-pass). */
#define AUTH_HELPER_NAME_MAX 64
/* A helper's time to answer when auth_options.timeout_ms is 0. */
#define AUTH_HELPER_TIMEOUT_MS 10000

struct credential {
	char *username;        /* NULL with an identity token alone */
	char *password;
	char *identity_token;  /* OAuth2 refresh token, or NULL */
	/* Where it came from, never a secret: "file:/root/.docker/config.json"
	   or "helper:docker-credential-pass". */
	char source[256];
};

struct auth_options {
	const char *root;        /* "" or "/" is the real node */
	const char *authfile;    /* an explicit auth file, or NULL */
	const char *home;        /* the node user's HOME; NULL is "/root" */
	const char *runtime_dir; /* XDG_RUNTIME_DIR, or NULL */
	long timeout_ms;         /* per helper; 0 is AUTH_HELPER_TIMEOUT_MS */
};

/*
 * Find the credentials the node would use for registry (a host such as
 * "docker.io" or "localhost:5000") and repository ("library/busybox"),
 * searching, in order: o->authfile; $REGISTRY_AUTH_FILE; the containers
 * auth.json in o->runtime_dir (for root without one,
 * /run/containers/0), then in $HOME/.config/containers; Docker's
 * $DOCKER_CONFIG/config.json, $HOME/.docker/config.json; and the legacy
 * $HOME/.dockercfg. Files are read under o->root; credential helpers
 * (credHelpers, credsStore) run on this machine from PATH.
 * Returns 0 and fills out (release it with credential_release), 1 when
 * no source has credentials, -1 with err filled. No message ever holds
 * a secret.
 */
int auth_lookup(const struct auth_options *o, const char *registry,
		const char *repository, struct credential *out,
		struct error *err);

/* Wipe and free the secrets in c; c may be released twice. */
void credential_release(struct credential *c);

#endif
