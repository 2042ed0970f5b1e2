// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The weight-file parser (config_parse) on any bytes: it accepts or rejects
 * the whole file, the error report is always NUL-terminated within its
 * buffer, and an accepted file stays within the limits of struct steer_config.
 */
#include <errno.h>
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct steer_config cfg;
	static char err[2048];
	char *buf = fuzz_copy(data, size);
	int rc;

	memset(err, 'x', sizeof(err));
	rc = config_parse("fuzz.conf", buf, size, &cfg, err, sizeof(err));
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		FUZZ_CHECK(cfg.n_wans >= 0 && cfg.n_wans <= OMR_MAX_WANS);
		FUZZ_CHECK(cfg.n_schedules >= 0 && cfg.n_schedules <= SCHEDULE_MAX);
		FUZZ_CHECK(cfg.interval_ms >= CONFIG_INTERVAL_MIN_MS &&
			   cfg.interval_ms <= CONFIG_INTERVAL_MAX_MS);
		for (int i = 0; i < cfg.n_wans; i++)
			FUZZ_CHECK(memchr(cfg.wans[i].name, '\0', sizeof(cfg.wans[i].name)));
	} else {
		FUZZ_CHECK(err[0] != '\0');	/* a rejected file says why */
	}
	free(buf);
	return 0;
}
