// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <time.h>
#include "rates.h"

__u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static __u64 bps(__u64 bytes, __u64 ns)
{
	/* bytes * 8e9 / ns without overflow for any realistic interval */
	return (__u64)((double)bytes * 8e9 / (double)ns);
}

bool rates_update(struct rate_sample *rs, const struct wan_totals *now, __u64 now_ns,
		  __u64 *tx_bps, __u64 *rx_bps)
{
	bool ok = rs->valid && now_ns > rs->last_ns &&
		  now->tx_bytes >= rs->last.tx_bytes && now->rx_bytes >= rs->last.rx_bytes;

	if (ok) {
		*tx_bps = bps(now->tx_bytes - rs->last.tx_bytes, now_ns - rs->last_ns);
		*rx_bps = bps(now->rx_bytes - rs->last.rx_bytes, now_ns - rs->last_ns);
	}
	rs->last = *now;
	rs->last_ns = now_ns;
	rs->valid = true;
	return ok;
}
