/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Counters sampled over time become rates (bits per second). */
#ifndef OMR_RATES_H
#define OMR_RATES_H

#include <stdbool.h>
#include "datapath.h"

struct rate_sample {
	struct wan_totals last;
	__u64 last_ns;
	bool valid;
};

/*
 * Feed the totals read at @now_ns; on the second and later samples sets
 * *tx_bps / *rx_bps and returns true.  Counters that went backwards (a WAN
 * slot reset) restart the sampling.
 */
bool rates_update(struct rate_sample *rs, const struct wan_totals *now, __u64 now_ns,
		  __u64 *tx_bps, __u64 *rx_bps);

__u64 monotonic_ns(void);

#endif
