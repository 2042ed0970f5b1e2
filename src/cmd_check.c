// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `omr-steer check -c FILE`: validate a weight file without touching anything. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "config.h"

int cmd_check(const struct cli_opts *o)
{
	static struct steer_config cfg;
	char err[8192];

	if (config_load(o->config_path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s%s", err, *err && err[strlen(err) - 1] != '\n' ? "\n" : "");
		return EXIT_USAGE;
	}
	printf("%s: ok, %d WAN%s, interval %u.%03u s\n", o->config_path, cfg.n_wans,
	       cfg.n_wans == 1 ? "" : "s", cfg.interval_ms / 1000, cfg.interval_ms % 1000);
	return EXIT_OK;
}
