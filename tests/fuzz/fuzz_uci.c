// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The UCI parser (uci_parse, src/uci.c) on any bytes: 0, or -EINVAL with a
 * "FILE:LINE: message" that names the file; never -ENOMEM for inputs this
 * small; a rejected file leaves nothing behind.
 */
#include <errno.h>
#include "fuzz.h"
#include "uci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	char err[512] = "";
	struct uci_file f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = uci_parse("fuzz.uci", buf, size, &f, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc)
		FUZZ_CHECK(!strncmp(err, "fuzz.uci:", 9));
	uci_free(&f);
	free(buf);
	return 0;
}
