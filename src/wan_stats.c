// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "log.h"
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

int wan_stats_open(struct datapath *dp, const char *pin_dir)
{
	int err = datapath_open_pinned(dp, pin_dir);

	if (err == -ENOENT)
		pr_err("nothing to show: no omr-steer pins in %s; is 'omr-steer load' running?",
		       pin_dir);
	else if (err && err != -EPROTO)	/* -EPROTO: a pin that is not ours, said which */
		pr_err("cannot read the pins in %s: %s%s", pin_dir, strerror(-err),
		       err == -EACCES || err == -EPERM ? " (reading them needs root)" : "");
	return err;
}
