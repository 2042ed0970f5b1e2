// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pidfile parser (pidfile_parse) on any bytes, read exactly as a
 * pidfile's contents (no NUL terminator): 0 with a pid in 1..INT_MAX that
 * prints back to the same text, or -ENODATA (empty, or a lone newline),
 * -EINVAL, -ERANGE.
 */
#include <errno.h>
#include <limits.h>
#include "fuzz.h"
#include "pidfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	pid_t pid = 0;
	int rc = pidfile_parse(buf, size, &pid);

	FUZZ_CHECK(rc == 0 || rc == -ENODATA || rc == -EINVAL || rc == -ERANGE);
	/* empty: nothing, or the one newline alone */
	FUZZ_CHECK((rc == -ENODATA) == (size == 0 || (size == 1 && buf[0] == '\n')));
	if (rc == 0) {
		char back[16];
		int n = snprintf(back, sizeof(back), "%d\n", (int)pid);

		FUZZ_CHECK(pid >= 1 && pid <= INT_MAX);
		/* the text was the pid's digits, with or without the one newline */
		FUZZ_CHECK(size == (size_t)n || size == (size_t)n - 1);
		FUZZ_CHECK(!memcmp(buf, back, size));
	}
	free(buf);
	return 0;
}
