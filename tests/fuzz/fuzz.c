/* Helpers shared by the fuzz targets (see fuzz.h). */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight/buf.h"

char *fuzz_string(const uint8_t *data, size_t size)
{
	return xstrndup((const char *)data, size);
}

static char fuzz_root_dir[4096];

static int fuzz_remove_one(const char *path, const struct stat *st,
			   int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Remove the root this process made, and all under it. */
static void fuzz_cleanup(void)
{
	if (fuzz_root_dir[0] &&
	    nftw(fuzz_root_dir, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_root_dir);
}

const char *fuzz_root(void)
{
	const char *tmp;

	if (fuzz_root_dir[0])
		return fuzz_root_dir;
	tmp = getenv("TMPDIR");
	snprintf(fuzz_root_dir, sizeof(fuzz_root_dir), "%s/preflight-fuzz.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fuzz_root_dir)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(fuzz_cleanup);
	return fuzz_root_dir;
}

/* mkdir -p of the directories in front of the last component. */
static void fuzz_mkdirs(char *path)
{
	char *p;

	for (p = path + strlen(fuzz_root_dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			perror(path);
			abort();
		}
		*p = '/';
	}
}

void fuzz_write(const char *relative, const uint8_t *data, size_t size)
{
	char *path = xasprintf("%s/%s", fuzz_root(), relative);
	int fd;

	fuzz_mkdirs(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
		perror(path);
		abort();
	}
	close(fd);
	free(path);
}

void fuzz_unlink(const char *relative)
{
	char *path = xasprintf("%s/%s", fuzz_root(), relative);

	if (unlink(path) < 0 && errno != ENOENT) {
		perror(path);
		abort();
	}
	free(path);
}
