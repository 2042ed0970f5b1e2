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
#include "tcp_rtt.h"
#include "wans.h"
#include "weights.h"

#define LIVE_SLICES		10	/* counter reads per interval */
#define LIVE_SLICES_MAX		16	/* kept per interval (a late tick) */
#define LIVE_SLICE_MIN_NS	20000000ULL
#define LIVE_SLOT_SAMPLER	(-1)	/* live_pollfds() slot of the slice timer */
/* A WAN without a probe forgets its TCP RTT after this many quiet intervals. */
#define LIVE_TCP_RTT_FORGET	10

struct wan_live {
	char name[OMR_IFNAMSIZ];	/* the WAN this slot's state belongs to */
	struct wan_config cfg;		/* its lines in the file the state follows */
	struct health health;
	struct probe probe;
	bool probing;			/* the probe socket is open */
	__u32 probe_ifindex;		/* interface it was opened on */
	unsigned tcp_rtt_quiet;		/* intervals without a TCP RTT (tcp_rtt.h) */
	struct wan_totals last;		/* counters at the last tick */
	__u64 last_ns;
	/*
	 * The current interval in slices (the counters read LIVE_SLICES
	 * times an interval): the capacity estimator takes the rate of the
	 * slices the link was busy in, not of the whole interval.
	 */
	struct wan_totals slice_last;	/* counters at the last slice boundary */
	__u64 slice_last_ns;
	int n_slices;
	__u64 slice_tx[LIVE_SLICES_MAX], slice_rx[LIVE_SLICES_MAX], slice_ns[LIVE_SLICES_MAX];
};

struct live {
	struct wan_live wan[OMR_MAX_WANS];
	struct capacity_state cap;
	__u64 interval_ns;
	int sampler_fd;			/* timerfd of the slices, -1 = none */
	const struct wan_set *ws;	/* whose counters the slices read */
	struct tcp_rtt tcp_rtt;		/* the RTT of the router's own TCP sockets */
};

void live_init(struct live *l);
void live_close(struct live *l);

/*
 * Match the live state to the slots after a configuration was applied
 * (at start and on every reload).  A WAN whose interface stays keeps what
 * was learnt about it: health, smoothed RTT, capacity estimate.  Only what
 * changed starts afresh:
 *  - a slot that got another WAN: everything;
 *  - a WAN whose probe changed (added, removed, other target): its health
 *    and RTT, as at start (up while its link is, until the new probe fails;
 *    the RTT comes from the new source);
 *  - a WAN whose `min` or `max` changed: its capacity estimate, which
 *    starts again from the new hints, as for a new WAN.
 * A changed interval reopens the probes (their timeout follows it) but
 * keeps their verdicts.
 */
void live_configure(struct live *l, const struct wan_set *ws, const struct steer_config *cfg);

/* Link state from the slots' flags; true when a WAN's health changed. */
bool live_link(struct live *l, const struct wan_set *ws);

/*
 * Once an interval: expire and send probes, feed the counters' deltas to
 * the capacity estimator.  True when health or capacity weights changed.
 * WANs without a probe get their RTT from the router's own TCP sockets
 * on them (tcp_rtt.h), read first.
 */
bool live_tick(struct live *l, const struct wan_set *ws, const struct steer_config *cfg,
	       __u64 now_ns);

/*
 * The probe sockets to poll, and the timer of the counter slices (slot
 * LIVE_SLOT_SAMPLER, when there is room): fills @pfd/@slot, returns how many.
 */
int live_pollfds(const struct live *l, struct pollfd *pfd, int *slot, int max);

/*
 * A probe socket of @slot is ready (true when that WAN's health changed),
 * or the slice timer (LIVE_SLOT_SAMPLER) fired: read the counters.
 */
bool live_probe_ready(struct live *l, int slot, __u64 now_ns);

/* What weights_update() needs, at local time @now; also fills state, rtt, capacity. */
void live_inputs(const struct live *l, struct wan_set *ws, const struct steer_config *cfg,
		 time_t now, struct weight_input in[OMR_MAX_WANS]);

#endif
