/* A main() for a fuzz target without libFuzzer: every file named, or
 * every file in a directory named, is given to LLVMFuzzerTestOneInput
 * once, in a buffer of exactly its size, so that the sanitizers see any
 * read past it. The corpora and crash inputs of tests/fuzz/corpus/ are
 * replayed this way by `make check`. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "preflight/buf.h"
#include "tests/fuzz/fuzz.h"

/* The largest corpus file replayed (the fuzzers' -max_len is smaller). */
#define REPLAY_FILE_MAX (16 * 1024 * 1024)

static int replay_file(const char *path)
{
	unsigned char *data;
	struct stat st;
	size_t got;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &st) < 0) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	if (st.st_size > REPLAY_FILE_MAX) {
		fprintf(stderr, "replay: '%s' is larger than REPLAY_FILE_MAX "
			"(%d bytes)\n", path, REPLAY_FILE_MAX);
		fclose(f);
		return -1;
	}
	data = xmalloc(st.st_size ? (size_t)st.st_size : 1);
	got = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	if (got != (size_t)st.st_size) {
		fprintf(stderr, "replay: '%s': short read\n", path);
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, got);
	free(data);
	return 0;
}

static int replay_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Each regular file of dir, in name order; *count grows by the number. */
static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	int n, i, rc = 0;

	n = scandir(dir, &names, NULL, replay_name_cmp);
	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				rc = -1;
			(*count)++;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *name;
	size_t count = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) < 0)
				rc = 1;
		} else {
			if (replay_file(argv[i]) < 0)
				rc = 1;
			count++;
		}
	}
	if (count == 0) {
		fprintf(stderr, "replay: %s: no input to replay\n", argv[0]);
		return 1;
	}
	name = strrchr(argv[0], '/');
	printf("replay: %s: %zu inputs\n", name ? name + 1 : argv[0], count);
	return rc;
}
