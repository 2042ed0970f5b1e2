/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-WAN figures in the Prometheus text exposition format (version
 * 0.0.4): `omr-steer stats --prometheus` and the agent's GET /metrics.
 */
#ifndef OMR_METRICS_H
#define OMR_METRICS_H

#include <stdbool.h>
#include <stdio.h>
#include "wan_stats.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Write @n rows to @f: HELP and TYPE of each family once, one sample per WAN
 * with a `wan` label; omr_steer_up is 1 when @agent_up (the agent runs).
 * Returns 0, or -EIO when @f reports an error.
 */
int metrics_write(FILE *f, const struct stats_row *rows, int n, bool agent_up);

#endif
