/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the libFuzzer targets of tests/fuzz share.  A target is one file,
 * tests/fuzz/fuzz_NAME.c, defining LLVMFuzzerTestOneInput(), with its seed
 * inputs in tests/fuzz/corpus/NAME/ (one file per input); the Makefile
 * builds every such file into build-asan/fuzz/fuzz_NAME (clang,
 * -fsanitize=fuzzer,address,undefined) and tests/fuzz/run runs them.
 * A target checks what the parser promises, not only that it does not
 * crash: FUZZ_CHECK() aborts (a crash libFuzzer records) when a promise is
 * broken.
 */
#ifndef OMR_FUZZ_H
#define OMR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond); \
		abort();						\
	}								\
} while (0)

/*
 * The input as a receive buffer holds it: 8-byte aligned, exactly @size
 * bytes long (a read past it is an ASan report).  Freed by the caller.
 */
static inline void *fuzz_copy(const uint8_t *data, size_t size)
{
	void *buf = malloc(size ? size : 1);

	if (!buf)
		abort();
	memcpy(buf, data, size);
	return buf;
}

/* The input as a NUL-terminated string (cut at its first NUL). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
