/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The agent's live view of each WAN: health (link state and active probes),
 * capacity estimates from the counters, and the schedule in force.  Turns
 * them into the inputs of weights_update().
 */
#ifndef OMR_LIVE_H
#define OMR_LIVE_H

#include <poll.h>
#include <stdbool.h>
#include "capacity.h"
#include "config.h"
#include "datapath.h"
#include "health.h"
#include "probe.h"
#include "wans.h"
#include "weights.h"

struct wan_live {
	char name[OMR_IFNAMSIZ];	/* the WAN this slot's state belongs to */
	struct health health;
	struct probe probe;
	bool probing;			/* the probe socket is open */
	__u32 probe_ifindex;		/* interface it was opened on */
	struct wan_totals last;		/* counters at the last tick */
	__u64 last_ns;
};

struct live {
	struct wan_live wan[OMR_MAX_WANS];
	struct capacity_state cap;
	__u64 interval_ns;
};

void live_init(struct live *l);
void live_close(struct live *l);

/*
 * Match the live state to the slots after a configuration was applied:
 * slots that got another WAN start afresh, probes follow the file.
 */
void live_configure(struct live *l, const struct wan_set *ws, const struct steer_config *cfg);

/* Link state from the slots' flags; true when a WAN's health changed. */
bool live_link(struct live *l, const struct wan_set *ws);

/*
 * Once an interval: expire and send probes, feed the counters' deltas to
 * the capacity estimator.  True when health or capacity weights changed.
 */
bool live_tick(struct live *l, const struct wan_set *ws, const struct steer_config *cfg,
	       __u64 now_ns);

/* The probe sockets to poll: fills @pfd/@slot, returns how many. */
int live_pollfds(const struct live *l, struct pollfd *pfd, int *slot, int max);

/* A probe socket of @slot is ready; true when that WAN's health changed. */
bool live_probe_ready(struct live *l, int slot, __u64 now_ns);

/* What weights_update() needs, at local time @now; also fills state, rtt, capacity. */
void live_inputs(const struct live *l, struct wan_set *ws, const struct steer_config *cfg,
		 time_t now, struct weight_input in[OMR_MAX_WANS]);

#endif
