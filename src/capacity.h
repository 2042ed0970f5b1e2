/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `weight auto`: estimate each WAN's capacity from its byte counters and turn
 * the estimates into effective weights in proportion.  Pure functions over a
 * small state struct: no I/O, no clock, so the unit tests drive it with
 * recorded or synthetic rate series.
 *
 * Per WAN and per direction (tx, rx) the estimate is "what the link delivered
 * when it was busy".  The rate of an interval is the rate of the part of it
 * the link carried traffic in, when the caller measured it (the agent reads
 * the counters ten times an interval: capacity_active_bps()), else the
 * interval's: traffic that comes in batches leaves a link idle once its
 * share is done, and a link given too few flows (too low an estimate) would
 * otherwise never show more than it was given.  Then:
 *   - a rate well above the estimate is proof of capacity: the estimate
 *     rises towards it at once (rise_gain);
 *   - a rate within the noise band of the estimate is the noise of a steady
 *     link: the estimate moves by the small smooth_gain only (a young
 *     estimate is the mean of its samples so far), which keeps the weights
 *     stable under steady load.  The band is learnt per link: 3 x the mean
 *     absolute deviation of its busy rates, within noise_band_min..max,
 *     narrow for a steady line, wide for a radio link;
 *   - a rate below the band lowers the estimate at once only when the
 *     caller said the link was busy (queue building, RTT inflation:
 *     CAPACITY_BUSY_YES, fall_gain).  Else one such interval proves nothing
 *     (the link may have been idle part of it): a link in use that has not
 *     come near its estimate for `window` intervals ages towards the
 *     highest rate of that window (age_gain), or takes that rate at once
 *     when the window is a steady plateau (spread within twice the noise
 *     band): old evidence decays, so a link that drops to a quarter of its
 *     capacity is followed even when nothing says it is busy.  The price:
 *     under light load the estimates sink to what the links carry (the
 *     weights keep their ratio, as each link carries traffic in proportion
 *     to its weight) and climb back within an interval or two of bulk
 *     traffic;
 *   - an idle link (below active_fraction of its estimate) keeps its
 *     estimate.  After stale_after idle intervals, or after being down, its
 *     old evidence is under review for the next fresh_intervals samples with
 *     traffic: a higher rate replaces it at once, a lower one when the fresh
 *     rates agree on a steady level or at the end of the review (the best
 *     fresh rate).  A WAN with no evidence yet takes its first rate, which
 *     later rates can only raise (or age).
 * Operator hints `min`/`max` clamp the estimate; with no evidence yet the
 * estimate starts at `max` (else `min`, else unknown).
 *
 * Weights: each direction's estimates become shares (a WAN with no estimate
 * counts as the mean of the others, so it gets traffic to prove itself); the
 * two directions are mixed by the fraction of all traffic they carried
 * (smoothed; a direction under 20 % of the bytes, the ACKs of the other,
 * does not count), so uploads weigh by upload capacity and downloads by
 * download capacity.  Every up WAN keeps at least floor_share of the total
 * (at most 1/(2 x WANs)), so a low estimate never starves it: the floor's
 * flows let it show a higher rate.  Shares are scaled so the largest weight
 * is OMR_WEIGHT_MAX; an up WAN gets at least 1.  New weights are published
 * (all together) only when one moved by more than `hysteresis` (relative),
 * or a WAN went down or came up; this keeps them stable under noisy load.
 */
#ifndef OMR_CAPACITY_H
#define OMR_CAPACITY_H

#include <stdbool.h>
#include "omr_steer_abi.h"

#define CAPACITY_WINDOW_MAX	16	/* longest recent-rate window */
#define CAPACITY_MIN_EVIDENCE_BPS 100000 /* a first estimate needs 100 kbit/s */

enum capacity_dir_idx { CAPACITY_TX = 0, CAPACITY_RX = 1, CAPACITY_DIRS = 2 };

enum capacity_busy {
	CAPACITY_BUSY_UNKNOWN = 0,	/* derive it from the rate */
	CAPACITY_BUSY_NO,		/* known not saturated: only rises count */
	CAPACITY_BUSY_YES,		/* known saturated (backlog, RTT inflation) */
};

struct capacity_params {
	double rise_gain;	/* towards a rate above the estimate (0.5) */
	double fall_gain;	/* towards a lower rate the caller said was busy (0.5) */
	double smooth_gain;	/* towards a rate within the noise band (1/16) */
	double noise_band_min;	/* bounds of the learnt noise band (0.05) */
	double noise_band_max;	/* (0.30) */
	double age_gain;	/* towards the window's max when in use (0.5) */
	double busy_fraction;	/* rate >= this * estimate: busy, for the noise band (0.8) */
	double active_fraction;	/* rate >= this * estimate: link in use (0.1) */
	double floor_share;	/* minimum share of an up WAN (0.05) */
	double hysteresis;	/* publish when a weight moved more (0.05) */
	double mix_gain;	/* smoothing of the tx/rx traffic mix (0.3) */
	unsigned window;	/* intervals of the recent-rate window (5) */
	unsigned fresh_intervals; /* samples that review old evidence (4) */
	unsigned stale_after;	/* idle intervals before fresh again (60) */
	unsigned forget_after;	/* down intervals before forgetting (600) */
};

/* One interval of one WAN, as the agent measured it. */
struct capacity_sample {
	bool up;		/* present, link up and healthy this interval */
	bool auto_weight;	/* takes part in the weights ("weight auto") */
	enum capacity_busy busy;
	__u64 tx_bytes;		/* bytes sent during the interval */
	__u64 rx_bytes;		/* bytes received during the interval */
	__u64 interval_ns;	/* length of the interval; 0 = no rates yet */
	/*
	 * The rate while the link carried traffic: the bytes of the parts of
	 * the interval it was active in, over their length (the caller reads
	 * the counters several times an interval); 0 = not measured.  A link
	 * given a share of a batch that it finishes early is idle the rest
	 * of the interval: its interval rate is below what it can do, this
	 * one is not.
	 */
	__u64 tx_active_bps;
	__u64 rx_active_bps;
	__u64 min_bps;		/* operator hints in bits/s, 0 = none */
	__u64 max_bps;
};

struct capacity_dir {
	double est_bps;			/* 0 = no evidence */
	double noise;			/* mean |rate - est| / est while busy */
	unsigned samples;		/* in-band samples since the estimate began */
	double recent_bps[CAPACITY_WINDOW_MAX];
	unsigned recent_len, recent_pos;
	unsigned idle_intervals;
	double fresh_max, fresh_min;	/* of the fresh samples (under review) */
	unsigned fresh_n;
};

struct capacity_wan {
	struct capacity_dir dir[CAPACITY_DIRS];
	bool up, auto_weight, seen;
	unsigned down_intervals;
	unsigned fresh_left;		/* samples left in the review of old evidence */
	double last_bps[CAPACITY_DIRS];	/* rates of the last sample */
	__u32 target_weight;		/* what the estimates say now */
	__u32 weight;			/* published effective weight */
};

struct capacity_state {
	struct capacity_params params;
	double tx_fraction;		/* smoothed share of traffic that is tx */
	int n_wans;			/* slots seen so far */
	unsigned generation;		/* bumped whenever weights are published */
	struct capacity_wan wan[OMR_MAX_WANS];
};

void capacity_params_default(struct capacity_params *params);

/* Start from nothing; @params NULL means the defaults. */
void capacity_init(struct capacity_state *cs, const struct capacity_params *params);

/*
 * Feed one interval: @samples[i] is the WAN in slot i (wan_idx), @n slots
 * (pass every slot in use each time; a slot not configured is up = false).
 * Updates the estimates and the target weights, and publishes new effective
 * weights when needed.  Returns 1 when the published weights changed, 0 when
 * not, -EINVAL for a bad @n.
 */
int capacity_update(struct capacity_state *cs, const struct capacity_sample *samples, int n);

/* Published effective weight of slot @wan_idx: 0 (down or not auto) or 1..OMR_WEIGHT_MAX. */
__u32 capacity_weight(const struct capacity_state *cs, int wan_idx);

/*
 * Estimated capacity in bits/s in the direction that carries most traffic
 * (0 while unknown); capacity_dir_bps() gives one direction.
 */
__u64 capacity_bps(const struct capacity_state *cs, int wan_idx);
__u64 capacity_dir_bps(const struct capacity_state *cs, int wan_idx, enum capacity_dir_idx dir);

/*
 * The rate of a link while it carried traffic (capacity_sample's
 * tx_active_bps/rx_active_bps) from @n consecutive slices of an interval,
 * @bytes sent in @ns nanoseconds each: the slices that ran at least
 * CAPACITY_ACTIVE_SLICE of the fastest one, their bytes over their length.
 * 0 when fewer than CAPACITY_ACTIVE_MIN_SLICES slices were that busy (a lone
 * burst may be a queue filling up, not the link's rate).
 */
#define CAPACITY_ACTIVE_SLICE	 0.6
#define CAPACITY_ACTIVE_MIN_SLICES 2
__u64 capacity_active_bps(const __u64 *bytes, const __u64 *ns, int n);

/* The slot now holds another WAN (config change): drop all its evidence. */
void capacity_forget(struct capacity_state *cs, int wan_idx);

#endif
