// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Capacity estimates and `weight auto` effective weights; see capacity.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include "capacity.h"

void capacity_params_default(struct capacity_params *params)
{
	*params = (struct capacity_params) {
		.rise_gain = 0.5,
		.fall_gain = 0.5,
		.smooth_gain = 0.0625,
		.noise_band_min = 0.05,
		.noise_band_max = 0.30,
		.age_gain = 0.5,
		.busy_fraction = 0.8,
		.active_fraction = 0.1,
		.floor_share = 0.05,
		.hysteresis = 0.05,
		.mix_gain = 0.3,
		.window = 5,
		.fresh_intervals = 4,
		.stale_after = 60,
		.forget_after = 600,
	};
}

void capacity_init(struct capacity_state *cs, const struct capacity_params *params)
{
	memset(cs, 0, sizeof(*cs));
	if (params)
		cs->params = *params;
	else
		capacity_params_default(&cs->params);
	if (cs->params.window < 1)
		cs->params.window = 1;
	if (cs->params.window > CAPACITY_WINDOW_MAX)
		cs->params.window = CAPACITY_WINDOW_MAX;
	cs->tx_fraction = 0.5;
}

void capacity_forget(struct capacity_state *cs, int wan_idx)
{
	if (wan_idx < 0 || wan_idx >= OMR_MAX_WANS)
		return;
	memset(&cs->wan[wan_idx], 0, sizeof(cs->wan[wan_idx]));
}

__u64 capacity_active_bps(const __u64 *bytes, const __u64 *ns, int n)
{
	double max = 0, sum_bytes = 0, sum_ns = 0;
	int active = 0;

	for (int i = 0; i < n; i++)
		if (ns[i] && (double)bytes[i] / (double)ns[i] > max)
			max = (double)bytes[i] / (double)ns[i];
	if (max <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (!ns[i] || (double)bytes[i] / (double)ns[i] < CAPACITY_ACTIVE_SLICE * max)
			continue;
		sum_bytes += (double)bytes[i];
		sum_ns += (double)ns[i];
		active++;
	}
	if (active < CAPACITY_ACTIVE_MIN_SLICES)
		return 0;
	return (__u64)(sum_bytes * 8e9 / sum_ns);
}

/* build/omr-steer does not link libm: round non-negative values by hand */
static __u64 round_u64(double x)
{
	return x > 0 ? (__u64)(x + 0.5) : 0;
}

static double clamp_hints(double bps, const struct capacity_sample *s)
{
	if (s->max_bps && bps > (double)s->max_bps)
		bps = (double)s->max_bps;
	if (s->min_bps && bps < (double)s->min_bps)
		bps = (double)s->min_bps;
	return bps;
}

static double recent_max(const struct capacity_dir *d)
{
	double max = 0;

	for (unsigned i = 0; i < d->recent_len; i++)
		if (d->recent_bps[i] > max)
			max = d->recent_bps[i];
	return max;
}

static double recent_min(const struct capacity_dir *d)
{
	double min = d->recent_len ? d->recent_bps[0] : 0;

	for (unsigned i = 1; i < d->recent_len; i++)
		if (d->recent_bps[i] < min)
			min = d->recent_bps[i];
	return min;
}

static void recent_push(struct capacity_dir *d, double bps, unsigned window)
{
	d->recent_bps[d->recent_pos] = bps;
	d->recent_pos = (d->recent_pos + 1) % window;
	if (d->recent_len < window)
		d->recent_len++;
}

/*
 * The noise band: how far a busy rate may stray from the estimate and still
 * be the noise of a steady link.  Learnt per link as a multiple of its mean
 * absolute deviation: narrow for a steady line (fast to converge), wide for
 * a noisy radio link (stable weights).
 */
#define NOISE_INITIAL	0.05
#define NOISE_GAIN	0.125
#define NOISE_BAND_PER_DEVIATION 3.0

static double noise_band(const struct capacity_params *p, const struct capacity_dir *d)
{
	double band = NOISE_BAND_PER_DEVIATION * d->noise;

	if (band < p->noise_band_min)
		band = p->noise_band_min;
	if (band > p->noise_band_max)
		band = p->noise_band_max;
	return band;
}

/*
 * Old evidence is in doubt (the WAN was away, or idle for long): the next
 * samples with traffic review it.  Without evidence there is nothing to
 * review: the first samples are the estimate and can only raise it.
 */
static void start_fresh(const struct capacity_params *p, struct capacity_wan *w)
{
	bool evidence = false;

	for (int i = 0; i < CAPACITY_DIRS; i++) {
		evidence |= w->dir[i].est_bps > 0;
		w->dir[i].fresh_max = w->dir[i].fresh_min = 0;
		w->dir[i].fresh_n = 0;
	}
	w->fresh_left = evidence ? p->fresh_intervals : 0;
}

/* One direction of one WAN; @busy already decided for this direction. */
static void estimate_dir(const struct capacity_params *p, struct capacity_wan *w,
			 struct capacity_dir *d, double bps, enum capacity_busy busy,
			 const struct capacity_sample *s)
{
	bool fresh = w->fresh_left > 0;
	double est = d->est_bps, band, deviation;
	bool said_busy;

	recent_push(d, bps, p->window);

	if (est <= 0) {
		/* no evidence: a first real rate is the estimate */
		if (bps >= CAPACITY_MIN_EVIDENCE_BPS)
			est = bps;
		else if (s->max_bps)
			est = (double)s->max_bps;
		else if (s->min_bps)
			est = (double)s->min_bps;
		d->est_bps = est > 0 ? clamp_hints(est, s) : 0;
		d->idle_intervals = 0;
		d->noise = NOISE_INITIAL;
		d->samples = 0;
		return;
	}

	if (bps < p->active_fraction * est) {
		/* idle: keep the estimate, but it goes stale */
		if (++d->idle_intervals >= p->stale_after)
			start_fresh(p, w);
		d->est_bps = clamp_hints(est, s);
		return;
	}
	d->idle_intervals = 0;

	said_busy = busy == CAPACITY_BUSY_YES;
	if (busy == CAPACITY_BUSY_UNKNOWN &&
	    (fresh || bps >= p->busy_fraction * est))
		busy = CAPACITY_BUSY_YES;	/* stale evidence: believe the link */

	band = noise_band(p, d);
	deviation = (bps - est) / est;
	if (busy == CAPACITY_BUSY_YES && deviation < 2 * band && deviation > -2 * band) {
		/* learn how noisy this link is; steps and outliers do not count */
		d->noise += NOISE_GAIN * ((deviation < 0 ? -deviation : deviation) - d->noise);
	}

	if (fresh) {
		/*
		 * Old evidence under review: a fresh rate above it raises it
		 * at once; below it, the old estimate holds until the fresh
		 * rates agree on a steady level or the review ends, then the
		 * best of them is the estimate (a partly idle interval is no
		 * proof that the link got slower).
		 */
		if (!d->fresh_n++ || bps < d->fresh_min)
			d->fresh_min = bps;
		if (bps > d->fresh_max)
			d->fresh_max = bps;
		if (d->fresh_max >= est)
			est = d->fresh_max;
		else if (busy != CAPACITY_BUSY_NO &&	/* else a lower rate is demand */
			 (w->fresh_left == 1 ||
			  (d->fresh_n >= 2 && d->fresh_min >= d->fresh_max * (1 - 2 * band))))
			est = d->fresh_max;
		d->samples = 0;
	} else if (deviation > band) {
		est += p->rise_gain * (bps - est);
	} else if (bps > est || (busy == CAPACITY_BUSY_YES && deviation >= -band)) {
		/*
		 * Within the noise of a steady link: smooth, do not chase.  A
		 * young estimate is the plain mean of its samples so far.
		 */
		double gain = 1.0 / (++d->samples + 1);

		est += (gain > p->smooth_gain ? gain : p->smooth_gain) * (bps - est);
	} else if (said_busy) {
		/* below the noise and the caller knows the link is saturated */
		est += p->fall_gain * (bps - est);
	} else if (busy != CAPACITY_BUSY_NO && d->recent_len >= p->window) {
		/* in use, but nowhere near the estimate for a whole window */
		double max = recent_max(d), min = recent_min(d);

		if (max < est && min >= max * (1 - 2 * band))
			est = max;	/* a steady plateau: the link's new level */
		else if (max < est)
			est -= p->age_gain * (est - max);
	}
	d->est_bps = clamp_hints(est, s);
}

/*
 * The caller's busy signal is per WAN; it belongs to the direction that runs
 * closest to its estimate (a saturated download has only ACKs going up).
 */
static int busy_direction(const struct capacity_wan *w, const double bps[CAPACITY_DIRS])
{
	double util[CAPACITY_DIRS];

	for (int i = 0; i < CAPACITY_DIRS; i++)
		util[i] = w->dir[i].est_bps > 0 ? bps[i] / w->dir[i].est_bps : bps[i];
	if (w->dir[CAPACITY_TX].est_bps > 0 && w->dir[CAPACITY_RX].est_bps > 0)
		return util[CAPACITY_TX] > util[CAPACITY_RX] ? CAPACITY_TX : CAPACITY_RX;
	return bps[CAPACITY_TX] > bps[CAPACITY_RX] ? CAPACITY_TX : CAPACITY_RX;
}

static void estimate_wan(const struct capacity_params *p, struct capacity_wan *w,
			 const struct capacity_sample *s)
{
	double secs = (double)s->interval_ns / 1e9;
	double bps[CAPACITY_DIRS] = {
		(double)s->tx_bytes * 8 / secs,
		(double)s->rx_bytes * 8 / secs,
	};
	double active[CAPACITY_DIRS] = { (double)s->tx_active_bps, (double)s->rx_active_bps };
	int busy_dir = busy_direction(w, bps);
	bool was_fresh = w->fresh_left > 0;

	for (int i = 0; i < CAPACITY_DIRS; i++) {
		enum capacity_busy busy = s->busy;

		if (busy == CAPACITY_BUSY_YES && i != busy_dir)
			busy = CAPACITY_BUSY_UNKNOWN;
		estimate_dir(p, w, &w->dir[i], active[i] > bps[i] ? active[i] : bps[i], busy, s);
		w->last_bps[i] = bps[i];
	}
	/* the review of old evidence is used up by samples that carried traffic */
	if (was_fresh && w->fresh_left > 0 &&
	    (bps[0] >= CAPACITY_MIN_EVIDENCE_BPS || bps[1] >= CAPACITY_MIN_EVIDENCE_BPS))
		w->fresh_left--;
}

/* Shares of the WANs in @in (auto and up) in one direction; they sum to 1. */
static void direction_shares(const struct capacity_state *cs, const bool *in, int n,
			     int dir, double *share)
{
	double sum = 0, mean = 0;
	int known = 0, members = 0;

	for (int i = 0; i < n; i++) {
		if (!in[i])
			continue;
		members++;
		if (cs->wan[i].dir[dir].est_bps > 0) {
			mean += cs->wan[i].dir[dir].est_bps;
			known++;
		}
	}
	mean = known ? mean / known : 1;
	for (int i = 0; i < n; i++) {
		double est = cs->wan[i].dir[dir].est_bps;

		share[i] = in[i] ? (est > 0 ? est : mean) : 0;
		sum += share[i];
	}
	for (int i = 0; i < n && members; i++)
		share[i] /= sum;
}

/* Raise every member below @floor to it, the rest share what is left. */
static void apply_floor(double *share, const bool *in, int n, double floor)
{
	bool pinned[OMR_MAX_WANS] = { false };

	for (int round = 0; round < n; round++) {
		double free_sum = 0, free_share = 1;
		bool changed = false;

		for (int i = 0; i < n; i++) {
			if (!in[i])
				continue;
			if (pinned[i])
				free_share -= floor;
			else
				free_sum += share[i];
		}
		for (int i = 0; i < n; i++) {
			if (!in[i])
				continue;
			if (pinned[i]) {
				share[i] = floor;
				continue;
			}
			share[i] = free_sum > 0 ? share[i] / free_sum * free_share : floor;
			if (share[i] < floor) {
				pinned[i] = true;
				changed = true;
			}
		}
		if (!changed)
			return;
	}
}

static void compute_targets(struct capacity_state *cs, int n)
{
	const struct capacity_params *p = &cs->params;
	double tx_share[OMR_MAX_WANS], rx_share[OMR_MAX_WANS], share[OMR_MAX_WANS] = { 0 };
	bool in[OMR_MAX_WANS] = { false };
	double max = 0, tx_weight;
	int members = 0;

	for (int i = 0; i < n; i++) {
		in[i] = cs->wan[i].up && cs->wan[i].auto_weight;
		members += in[i];
	}
	direction_shares(cs, in, n, CAPACITY_TX, tx_share);
	direction_shares(cs, in, n, CAPACITY_RX, rx_share);
	/*
	 * Mix the directions by the traffic they carry, but a direction with
	 * under 20 % of the bytes (the ACKs of the other) does not count.
	 */
	tx_weight = (cs->tx_fraction - 0.2) / 0.6;
	tx_weight = tx_weight < 0 ? 0 : tx_weight > 1 ? 1 : tx_weight;
	for (int i = 0; i < n; i++)
		share[i] = tx_weight * tx_share[i] + (1 - tx_weight) * rx_share[i];
	if (members > 1) {
		double floor = p->floor_share;

		if (floor > 0.5 / members)
			floor = 0.5 / members;
		apply_floor(share, in, n, floor);
	}
	for (int i = 0; i < n; i++)
		if (in[i] && share[i] > max)
			max = share[i];
	for (int i = 0; i < n; i++) {
		__u32 weight = 0;

		if (in[i] && max > 0) {
			weight = (__u32)round_u64(share[i] / max * OMR_WEIGHT_MAX);
			if (weight < 1)
				weight = 1;
		}
		cs->wan[i].target_weight = weight;
	}
}

/* Has any weight moved enough to be worth publishing? */
static bool targets_moved(const struct capacity_state *cs, int n)
{
	for (int i = 0; i < n; i++) {
		const struct capacity_wan *w = &cs->wan[i];
		double moved = (double)w->target_weight - (double)w->weight;

		if (!w->target_weight != !w->weight)
			return true;	/* down, up, joined or left */
		if (moved < 0)
			moved = -moved;
		if (moved > 1 && moved > cs->params.hysteresis * w->weight)
			return true;
	}
	return false;
}

static void update_traffic_mix(struct capacity_state *cs, int n)
{
	double tx = 0, rx = 0;

	for (int i = 0; i < n; i++) {
		if (!cs->wan[i].up)
			continue;
		tx += cs->wan[i].last_bps[CAPACITY_TX];
		rx += cs->wan[i].last_bps[CAPACITY_RX];
	}
	if (tx + rx < CAPACITY_MIN_EVIDENCE_BPS)
		return;		/* idle: keep the last mix */
	cs->tx_fraction += cs->params.mix_gain * (tx / (tx + rx) - cs->tx_fraction);
}

int capacity_update(struct capacity_state *cs, const struct capacity_sample *samples, int n)
{
	const struct capacity_params *p = &cs->params;
	bool changed = false;

	if (n < 0 || n > OMR_MAX_WANS)
		return -EINVAL;
	if (n > cs->n_wans)
		cs->n_wans = n;

	for (int i = 0; i < n; i++) {
		const struct capacity_sample *s = &samples[i];
		struct capacity_wan *w = &cs->wan[i];
		bool up = s->up;

		w->auto_weight = s->auto_weight;
		if (!up) {
			if (w->up || !w->seen)
				w->down_intervals = 0;
			w->up = false;
			w->seen = true;
			w->last_bps[0] = w->last_bps[1] = 0;
			/* gone for long: whatever it was is no evidence any more */
			if (++w->down_intervals >= p->forget_after)
				memset(w->dir, 0, sizeof(w->dir));
			continue;
		}
		if (!w->up) {
			/* (re)appearing: its old evidence may be out of date */
			start_fresh(p, w);
			for (int d = 0; d < CAPACITY_DIRS; d++)
				w->dir[d].recent_len = w->dir[d].recent_pos = 0;
		}
		w->up = true;
		w->seen = true;
		w->down_intervals = 0;
		if (s->interval_ns)	/* 0: no counters yet (first interval) */
			estimate_wan(p, w, s);
	}
	update_traffic_mix(cs, n);
	compute_targets(cs, n);
	if (targets_moved(cs, n)) {
		for (int i = 0; i < n; i++) {
			if (cs->wan[i].weight != cs->wan[i].target_weight)
				changed = true;
			cs->wan[i].weight = cs->wan[i].target_weight;
		}
	}
	if (changed)
		cs->generation++;
	return changed;
}

__u32 capacity_weight(const struct capacity_state *cs, int wan_idx)
{
	if (wan_idx < 0 || wan_idx >= OMR_MAX_WANS)
		return 0;
	return cs->wan[wan_idx].weight;
}

__u64 capacity_dir_bps(const struct capacity_state *cs, int wan_idx, enum capacity_dir_idx dir)
{
	if (wan_idx < 0 || wan_idx >= OMR_MAX_WANS || dir < 0 || dir >= CAPACITY_DIRS)
		return 0;
	return round_u64(cs->wan[wan_idx].dir[dir].est_bps);
}

__u64 capacity_bps(const struct capacity_state *cs, int wan_idx)
{
	return capacity_dir_bps(cs, wan_idx, cs->tx_fraction > 0.5 ? CAPACITY_TX : CAPACITY_RX);
}

