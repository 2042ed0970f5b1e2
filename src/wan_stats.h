/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-WAN figures every report shows (stats' table and JSON, the
 * Prometheus exposition), read from the pinned maps.
 */
#ifndef OMR_WAN_STATS_H
#define OMR_WAN_STATS_H

#include "datapath.h"

struct stats_row {
	__u32 wan_idx;
	struct wan_entry e;
	struct wan_totals t;
	__u64 tx_bps, rx_bps;	/* 0 when the agent's rates are stale */
};

/*
 * The configured WANs of @dp into @rows (OMR_MAX_WANS of them), with their
 * totals; rates from the agent if it is alive (@agent_alive: as
 * datapath_agent_pid() says, or true in the agent itself) and sampled within
 * three intervals.  Returns how many rows were filled.
 */
int wan_stats_collect(const struct datapath *dp, bool agent_alive, struct stats_row *rows);

/* "up", "degraded", "down", "detached" or "missing". */
const char *wan_stats_state(const struct wan_entry *e);

#endif
