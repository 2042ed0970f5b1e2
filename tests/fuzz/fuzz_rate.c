// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rate parser (config_parse_rate, "500kbit", "1.5gbit") on any string:
 * 0, -EINVAL or -ERANGE; an accepted rate written back as "<bps>bit" parses
 * to the same value.
 */
#include <errno.h>
#include <inttypes.h>
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	__u64 bps = 0, again = 0;
	int rc = config_parse_rate(text, &bps);

	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	if (rc == 0) {
		char back[32];

		snprintf(back, sizeof(back), "%" PRIu64 "bit", (uint64_t)bps);
		FUZZ_CHECK(config_parse_rate(back, &again) == 0 && again == bps);
	}
	free(text);
	return 0;
}
