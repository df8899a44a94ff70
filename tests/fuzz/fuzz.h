/* What every fuzz target shares: libFuzzer's entry point and small
   helpers that turn the input into what a parser takes. */
#ifndef PREFLIGHT_FUZZ_H
#define PREFLIGHT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer calls this once per input; tests/fuzz/replay.c calls it
   once per corpus file. It returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (cut at its first NUL, as a
   header value or command line argument would be). The caller frees. */
char *fuzz_string(const uint8_t *data, size_t size);

/*
 * A directory made for this process (under $TMPDIR, removed at exit)
 * standing for a node's root, and a file written under it. Targets whose
 * parser reads its input from a file under a root use these.
 */
const char *fuzz_root(void);
void fuzz_write(const char *relative, const uint8_t *data, size_t size);
/* Remove it again, so that the next input starts from the same root. */
void fuzz_unlink(const char *relative);

#endif
