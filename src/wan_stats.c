// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "rates.h"
#include "wan_stats.h"

const char *wan_stats_state(const struct wan_entry *e)
{
	if (!(e->flags & OMR_WAN_F_PRESENT))
		return "missing";
	if (!(e->flags & OMR_WAN_F_ATTACHED))
		return "detached";
	switch (e->state) {
	case OMR_WAN_STATE_UP: return "up";
	case OMR_WAN_STATE_DEGRADED: return "degraded";
	default: return "down";
	}
}

int wan_stats_collect(const struct datapath *dp, bool agent, struct stats_row *rows)
{
	struct wan_entry tbl[OMR_MAX_WANS];
	struct omr_meta meta = {};
	__u64 now = monotonic_ns(), max_age;
	int n = 0;

	if (datapath_read_wans(dp, tbl))
		return 0;
	datapath_read_meta(dp, &meta);
	max_age = 3ULL * (meta.interval_ms ? meta.interval_ms : 1000) * 1000000ULL;
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct stats_row *r = &rows[n];

		if (!(tbl[i].flags & OMR_WAN_F_CONFIGURED))
			continue;
		r->e = tbl[i];
		if (datapath_read_totals(dp, i, &r->t))
			continue;
		r->wan_idx = i;
		r->tx_bps = r->rx_bps = 0;
		if (agent && r->e.rate_stamp_ns && now - r->e.rate_stamp_ns <= max_age) {
			r->tx_bps = r->e.tx_bps;
			r->rx_bps = r->e.rx_bps;
		}
		n++;
	}
	return n;
}
