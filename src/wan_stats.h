/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-WAN figures every report shows (stats' table and JSON, the
 * Prometheus exposition), read from the pinned maps.
 */
#ifndef OMR_WAN_STATS_H
#define OMR_WAN_STATS_H

#include <stdio.h>
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

/*
 * Open the pins of @pin_dir for a report (stats, top): 0, or a negative
 * errno after saying what is wrong and what to do.
 */
int wan_stats_open(struct datapath *dp, const char *pin_dir);

/*
 * The table of `stats` for @rows (@n of them) into @f: the columns an
 * operator reads first (cmd_stats.c), within 100 columns for interface names
 * of up to 15 characters and realistic figures; with @wide, all of them.
 */
void wan_stats_table(FILE *f, const struct stats_row *rows, int n, bool wide);

/* "up", "degraded", "down", "detached" or "missing". */
const char *wan_stats_state(const struct wan_entry *e);

#endif
