// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The capacity estimator on synthetic rate series, in a closed loop: each
 * interval the simulated flows are spread over the WANs by the published
 * weights (largest remainder, as a weighted steering of new flows would),
 * every link carrying a bulk flow delivers its capacity (with noise or a
 * TCP-like sawtooth), and the byte counts go back into capacity_update().
 * The measured numbers are printed with "info:" on stderr.
 */
#include <errno.h>
#include <stdlib.h>
#include "test.h"
#include "capacity.h"

#define MBIT 1000000.0
#define INTERVAL_NS 1000000000ULL

struct sim_link {
	double cap_bps;		/* what the link can deliver now */
	double rx_cap_bps;	/* download capacity; 0 = same as cap_bps */
	bool up;
	enum capacity_busy busy;
	__u64 min_bps, max_bps;
	int flows;		/* bulk flows on it this interval */
	double last_bps;
};

struct sim {
	struct capacity_state cs;
	struct sim_link link[4];
	int n;
	int flows;		/* flows in the batch */
	double flow_bps;	/* each flow's own limit; 0 = bulk (fills the link) */
	double noise;		/* uniform +- fraction of the rate */
	double sawtooth;	/* TCP-like: rate from (1 - sawtooth) to 1 of cap */
	bool download;		/* traffic is downloads (else uploads) */
	unsigned t;
	unsigned rng;
};

static double sim_random(struct sim *s)	/* uniform in [-1, 1], reproducible */
{
	s->rng = s->rng * 1103515245u + 12345u;
	return ((s->rng >> 8) & 0xffff) / 32767.5 - 1.0;
}

static void sim_init(struct sim *s, int n, const double *caps_mbit)
{
	memset(s, 0, sizeof(*s));
	capacity_init(&s->cs, NULL);
	s->n = n;
	s->flows = 24;
	s->rng = 42;
	for (int i = 0; i < n; i++) {
		s->link[i].cap_bps = caps_mbit[i] * MBIT;
		s->link[i].up = true;
	}
}

/* Spread s->flows over the up links by published weight, largest remainder. */
static void sim_assign_flows(struct sim *s)
{
	double weight[4], sum = 0, rem[4];
	int given = 0, up = 0;

	for (int i = 0; i < s->n; i++) {
		weight[i] = s->link[i].up ? capacity_weight(&s->cs, i) : 0;
		sum += weight[i];
		up += s->link[i].up;
	}
	if (sum == 0) {		/* nothing published yet: equal split */
		for (int i = 0; i < s->n; i++)
			weight[i] = s->link[i].up;
		sum = up;
	}
	for (int i = 0; i < s->n; i++) {
		double exact = sum > 0 ? s->flows * weight[i] / sum : 0;

		s->link[i].flows = (int)exact;
		rem[i] = exact - s->link[i].flows;
		given += s->link[i].flows;
	}
	while (given < s->flows && sum > 0) {
		int best = -1;

		for (int i = 0; i < s->n; i++)
			if (weight[i] > 0 && (best < 0 || rem[i] > rem[best]))
				best = i;
		s->link[best].flows++;
		rem[best] = -1;
		given++;
	}
}

/* One interval; returns what capacity_update() returned. */
static int sim_step(struct sim *s)
{
	struct capacity_sample samples[4];

	sim_assign_flows(s);
	for (int i = 0; i < s->n; i++) {
		struct sim_link *l = &s->link[i];
		double cap = s->download && l->rx_cap_bps ? l->rx_cap_bps : l->cap_bps;
		double bps = 0, other;

		if (l->up && l->flows > 0) {
			double phase = ((s->t + 3 * i) % (5 + i)) / (double)(4 + i);

			if (s->flow_bps > 0 && l->flows * s->flow_bps < cap)
				cap = l->flows * s->flow_bps;	/* demand-limited */
			bps = cap * (1 + s->noise * sim_random(s));
			if (s->sawtooth > 0)
				bps = cap * (1 - s->sawtooth + s->sawtooth * phase);
		}
		other = bps / 40;	/* the ACKs going the other way */
		l->last_bps = bps;
		samples[i] = (struct capacity_sample) {
			.up = l->up,
			.auto_weight = true,
			.busy = l->busy,
			.tx_bytes = (__u64)((s->download ? other : bps) / 8),
			.rx_bytes = (__u64)((s->download ? bps : other) / 8),
			.interval_ns = INTERVAL_NS,
			.min_bps = l->min_bps,
			.max_bps = l->max_bps,
		};
	}
	s->t++;
	return capacity_update(&s->cs, samples, s->n);
}

/* Ratio of two published weights */
static double weight_ratio(const struct sim *s, int a, int b)
{
	double wb = capacity_weight(&s->cs, b);

	return wb ? capacity_weight(&s->cs, a) / wb : 1e9;
}

/* Is every up link's weight share within @tol (relative) of its capacity share? */
static bool weights_match_caps(const struct sim *s, double tol)
{
	double wsum = 0, csum = 0;

	for (int i = 0; i < s->n; i++) {
		if (!s->link[i].up)
			continue;
		wsum += capacity_weight(&s->cs, i);
		csum += s->download && s->link[i].rx_cap_bps ? s->link[i].rx_cap_bps : s->link[i].cap_bps;
	}
	if (wsum == 0)
		return false;
	for (int i = 0; i < s->n; i++) {
		double cap, want, got;

		if (!s->link[i].up)
			continue;
		cap = s->download && s->link[i].rx_cap_bps ? s->link[i].rx_cap_bps : s->link[i].cap_bps;
		want = cap / csum;
		got = capacity_weight(&s->cs, i) / wsum;
		if (got < want * (1 - tol) || got > want * (1 + tol))
			return false;
	}
	return true;
}

/* Run until weights match within @tol for @hold intervals in a row; returns intervals taken to first match, -1 if never in @max */
static int sim_until_match(struct sim *s, double tol, int hold, int max)
{
	int first = -1, streak = 0;

	for (int t = 1; t <= max; t++) {
		sim_step(s);
		if (weights_match_caps(s, tol)) {
			if (streak++ == 0)
				first = t;
			if (streak >= hold)
				return first;
		} else {
			streak = 0;
			first = -1;
		}
	}
	return -1;
}

TEST(capacity_converges_from_nothing)
{
	const double caps[] = { 10, 30 };
	struct sim s;
	int took;

	/* 1:3 links, 24 bulk uploads, +-5 % noise, TCP ramping up in the first intervals */
	/* slow start: both links deliver the same 4, then 12 Mbit/s before they saturate */
	sim_init(&s, 2, caps);
	s.noise = 0.05;
	s.link[0].cap_bps = s.link[1].cap_bps = 4 * MBIT;
	sim_step(&s);
	ASSERT_NEAR(weight_ratio(&s, 0, 1), 1, 0.1, "one slow-start sample: equal rates, equal weights");
	s.link[0].cap_bps = 10 * MBIT;
	s.link[1].cap_bps = 12 * MBIT;
	sim_step(&s);
	s.link[0].cap_bps = 10 * MBIT;
	s.link[1].cap_bps = 30 * MBIT;
	took = sim_until_match(&s, 0.10, 10, 50);
	fprintf(stderr, "  info: converge 1:3 from nothing: within 10%% after %d more intervals (+2 ramp), ratio %.3f, capacity %.2f/%.2f Mbit/s\n",
		took, weight_ratio(&s, 1, 0), capacity_bps(&s.cs, 0) / MBIT, capacity_bps(&s.cs, 1) / MBIT);
	ASSERT_GE(took, 1, "weights reach 1:3 within 10 % and hold for 10 intervals");
	ASSERT_LE(took, 5, "intervals after the ramp to converge");
	ASSERT_NEAR(capacity_bps(&s.cs, 0) / MBIT, 10, 1.0, "estimate of the 10 Mbit/s link");
	ASSERT_NEAR(capacity_bps(&s.cs, 1) / MBIT, 30, 3.0, "estimate of the 30 Mbit/s link");
}

TEST(capacity_converges_three_wans_6_18_12)
{
	const double caps[] = { 6, 18, 12 };
	struct sim s;
	int took;

	sim_init(&s, 3, caps);
	s.noise = 0.10;
	took = sim_until_match(&s, 0.10, 10, 50);
	fprintf(stderr, "  info: converge 6/18/12: within 10%% after %d intervals, weights %u/%u/%u\n", took,
		capacity_weight(&s.cs, 0), capacity_weight(&s.cs, 1), capacity_weight(&s.cs, 2));
	ASSERT_GE(took, 1, "weights reach 1:3:2 within 10 %");
	ASSERT_LE(took, 5, "intervals to converge");
}

/*
 * Steady load with noise or a TCP sawtooth: how much do the published
 * weights move?  Measured after a warm-up of 10 intervals (the issue's
 * "after a warm-up of <= 10 s"), as (max - min) / mean of each WAN's share.
 */
static double sim_oscillation(struct sim *s, int intervals, int *publishes)
{
	double lo[4], hi[4], sum[4], worst = 0;

	for (int t = 0; t < 10; t++)
		sim_step(s);

	for (int i = 0; i < s->n; i++) {
		lo[i] = 1e18;
		hi[i] = sum[i] = 0;
	}
	*publishes = 0;
	for (int t = 0; t < intervals; t++) {
		double wsum = 0;

		*publishes += sim_step(s) > 0;
		for (int i = 0; i < s->n; i++)
			wsum += capacity_weight(&s->cs, i);
		for (int i = 0; i < s->n; i++) {
			double share = capacity_weight(&s->cs, i) / wsum;

			lo[i] = share < lo[i] ? share : lo[i];
			hi[i] = share > hi[i] ? share : hi[i];
			sum[i] += share;
		}
	}
	for (int i = 0; i < s->n; i++) {
		double swing = (hi[i] - lo[i]) / (sum[i] / intervals);

		worst = swing > worst ? swing : worst;
	}
	return worst;
}

TEST(capacity_stable_under_noisy_load)
{
	const double caps[] = { 10, 30, 20 };
	double worst = 0, worst20 = 0;
	int publishes, most = 0, most20 = 0;
	struct sim s;

	/* 10 runs with different noise, 300 intervals of steady bulk load each */
	for (unsigned seed = 1; seed <= 10; seed++) {
		double swing;

		sim_init(&s, 3, caps);
		s.rng = seed;
		s.noise = 0.10;
		ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
		swing = sim_oscillation(&s, 300, &publishes);
		worst = swing > worst ? swing : worst;
		most = publishes > most ? publishes : most;
		ASSERT_TRUE(weights_match_caps(&s, 0.10), "weights still match the capacities");

		sim_init(&s, 3, caps);
		s.rng = seed;
		s.noise = 0.20;
		ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges with +-20 % noise");
		swing = sim_oscillation(&s, 300, &publishes);
		worst20 = swing > worst20 ? swing : worst20;
		most20 = publishes > most20 ? publishes : most20;
	}
	fprintf(stderr, "  info: +-10%% noise, 10 x 300 intervals: largest weight-share swing %.1f%%, at most %d publishes per run\n",
		worst * 100, most);
	fprintf(stderr, "  info: +-20%% noise, 10 x 300 intervals: largest weight-share swing %.1f%%, at most %d publishes per run\n",
		worst20 * 100, most20);
	ASSERT_LE(worst * 1000, 100, "weight-share swing (per mille) under +-10 % noise");
	ASSERT_LE(most, 10, "publishes per 300 intervals under +-10 % noise (hysteresis)");
	/* twice the noise: the 10 % bound is not promised, but it stays bounded */
	ASSERT_LE(worst20 * 1000, 200, "weight-share swing (per mille) under +-20 % noise");
}

TEST(capacity_stable_under_tcp_sawtooth)
{
	const double caps[] = { 10, 30 };
	struct sim s;
	double swing;
	int publishes;

	/* loss-based TCP: each link's rate saws between 70 % and 100 % of capacity */
	sim_init(&s, 2, caps);
	s.sawtooth = 0.30;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges under a sawtooth");
	swing = sim_oscillation(&s, 300, &publishes);
	fprintf(stderr, "  info: 70-100%% sawtooth: swing %.1f%%, %d publishes, capacity %.2f/%.2f Mbit/s\n",
		swing * 100, publishes, capacity_bps(&s.cs, 0) / MBIT, capacity_bps(&s.cs, 1) / MBIT);
	ASSERT_LE(swing * 1000, 100, "weight-share swing (per mille) under a sawtooth");
	ASSERT_TRUE(weights_match_caps(&s, 0.10), "weights match capacities under a sawtooth");
}

/* Intervals until slot @i's estimate is within @tol of @want_bps (and stays 3 intervals) */
static int sim_until_estimate(struct sim *s, int i, double want_bps, double tol, int max)
{
	int streak = 0;

	for (int t = 1; t <= max; t++) {
		double est;

		sim_step(s);
		est = capacity_bps(&s->cs, i);
		streak = est >= want_bps * (1 - tol) && est <= want_bps * (1 + tol) ? streak + 1 : 0;
		if (streak == 3)
			return t - 2;
	}
	return -1;
}

TEST(capacity_follows_drop_to_a_quarter)
{
	const double caps[] = { 10, 30 };
	struct sim s;
	int took, took_w, took_busy;

	/* counters only: nothing tells the estimator that the link is busy */
	sim_init(&s, 2, caps);
	s.noise = 0.05;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	for (int t = 0; t < 30; t++)
		sim_step(&s);
	s.link[1].cap_bps = 7.5 * MBIT;		/* the 30 Mbit/s line resyncs at 7.5 */
	took = sim_until_estimate(&s, 1, 7.5 * MBIT, 0.10, 200);
	took_w = sim_until_match(&s, 0.10, 5, 100);
	fprintf(stderr, "  info: drop 30 -> 7.5 Mbit/s, counters only: estimate within 10%% after %d intervals, weights after %d more (ratio %.3f, want 0.75)\n",
		took, took_w, weight_ratio(&s, 1, 0));
	ASSERT_GE(took, 1, "estimate follows the drop");
	ASSERT_LE(took, 8, "intervals to follow a drop to a quarter");
	ASSERT_GE(took_w, 1, "weights follow the drop");

	/* the same with the caller's busy signal (e.g. RTT inflation on the link) */
	sim_init(&s, 2, caps);
	s.noise = 0.05;
	s.link[0].busy = s.link[1].busy = CAPACITY_BUSY_YES;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first (busy signal)");
	for (int t = 0; t < 30; t++)
		sim_step(&s);
	s.link[1].cap_bps = 7.5 * MBIT;
	took_busy = sim_until_estimate(&s, 1, 7.5 * MBIT, 0.10, 200);
	fprintf(stderr, "  info: drop 30 -> 7.5 Mbit/s with busy signal: estimate within 10%% after %d intervals\n", took_busy);
	ASSERT_GE(took_busy, 1, "estimate follows the drop (busy signal)");
	ASSERT_LE(took_busy, 8, "intervals to follow with the busy signal");
	ASSERT_LE(took_busy, took, "the busy signal does not slow it down");
}

TEST(capacity_follows_a_fluctuating_decline)
{
	const double caps[] = { 10, 30 };
	struct sim s;
	int took = -1;

	/* the 30 Mbit/s LTE cell gets busy: 7.5 and 3.75 Mbit/s in turns, no plateau */
	sim_init(&s, 2, caps);
	s.noise = 0.05;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	for (int t = 1; t <= 40 && took < 0; t++) {
		s.link[1].cap_bps = (t % 2 ? 7.5 : 3.75) * MBIT;
		sim_step(&s);
		if (capacity_bps(&s.cs, 1) <= 7.5 * MBIT * 1.1)
			took = t;
	}
	fprintf(stderr, "  info: 30 -> 7.5/3.75 Mbit/s alternating: estimate within 10%% of the peak after %d intervals (%.2f Mbit/s)\n",
		took, capacity_bps(&s.cs, 1) / MBIT);
	ASSERT_GE(took, 1, "a fluctuating decline is followed");
	ASSERT_LE(took, 15, "intervals to follow it");
	ASSERT_GE(capacity_bps(&s.cs, 1), 7.5 * MBIT * 0.9, "the estimate stays at the peaks, not the dips");
}

TEST(capacity_ignores_short_dips)
{
	const double caps[] = { 10, 30 };
	__u32 before0, before1;
	struct sim s;

	sim_init(&s, 2, caps);
	s.noise = 0.05;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	for (int t = 0; t < 10; t++)
		sim_step(&s);
	before0 = capacity_weight(&s.cs, 0);
	before1 = capacity_weight(&s.cs, 1);
	/* three seconds at half rate (TCP recovering from a burst of losses) */
	s.link[1].cap_bps = 15 * MBIT;
	for (int t = 0; t < 3; t++) {
		sim_step(&s);
		ASSERT_EQ(capacity_weight(&s.cs, 1), before1, "weight kept during a short dip");
	}
	s.link[1].cap_bps = 30 * MBIT;
	for (int t = 0; t < 5; t++)
		sim_step(&s);
	ASSERT_EQ(capacity_weight(&s.cs, 0), before0, "weights unchanged after the dip");
	ASSERT_TRUE(weights_match_caps(&s, 0.10), "still 1:3");
}

TEST(capacity_decays_stale_evidence_after_idle)
{
	const double caps[] = { 10, 30 };
	struct sim s;
	int flows, took;

	sim_init(&s, 2, caps);
	s.noise = 0.05;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	flows = s.flows;
	s.flows = 0;			/* idle for two minutes: estimates are kept */
	for (int t = 0; t < 120; t++)
		sim_step(&s);
	ASSERT_NEAR(capacity_bps(&s.cs, 1) / MBIT, 30, 3, "idle keeps the estimate");
	ASSERT_TRUE(weights_match_caps(&s, 0.10), "idle keeps the weights");
	s.flows = flows;
	s.link[1].cap_bps = 12 * MBIT;	/* ... but the link changed meanwhile */
	took = sim_until_estimate(&s, 1, 12 * MBIT, 0.10, 100);
	fprintf(stderr, "  info: after 120 idle intervals, 30 -> 12 Mbit/s followed within 10%% after %d intervals\n", took);
	ASSERT_GE(took, 1, "stale estimate replaced");
	ASSERT_LE(took, 8, "stale evidence is replaced fast");
}

TEST(capacity_light_load_then_bulk)
{
	const double caps[] = { 10, 30 };
	double lo = 1e9, hi = 0;
	struct sim s;
	int took;

	sim_init(&s, 2, caps);
	s.noise = 0.05;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	/* 100 intervals of 24 flows of 0.5 Mbit/s: 12 of 40 Mbit/s, no link busy */
	s.flow_bps = 0.5 * MBIT;
	for (int t = 0; t < 100; t++) {
		double ratio;

		sim_step(&s);
		ratio = weight_ratio(&s, 1, 0);
		lo = ratio < lo ? ratio : lo;
		hi = ratio > hi ? ratio : hi;
	}
	fprintf(stderr, "  info: light load (12 of 40 Mbit/s) for 100 intervals: ratio stays %.3f..%.3f (want 3), estimates %.2f/%.2f Mbit/s\n",
		lo, hi, capacity_bps(&s.cs, 0) / MBIT, capacity_bps(&s.cs, 1) / MBIT);
	ASSERT_GE(lo * 100, 270, "light load keeps the ratio (x100)");
	ASSERT_LE(hi * 100, 330, "light load keeps the ratio (x100)");
	s.flow_bps = 0;
	took = sim_until_match(&s, 0.10, 5, 50);
	for (int t = 0; t < 10; t++)
		sim_step(&s);
	fprintf(stderr, "  info: bulk again: weights within 10%% after %d intervals, estimates %.2f/%.2f Mbit/s 10 intervals later\n",
		took, capacity_bps(&s.cs, 0) / MBIT, capacity_bps(&s.cs, 1) / MBIT);
	ASSERT_GE(took, 1, "bulk load restores the weights");
	ASSERT_LE(took, 3, "intervals to restore");
	ASSERT_NEAR(capacity_bps(&s.cs, 1) / MBIT, 30, 3, "estimate back at capacity");
}

TEST(capacity_floor_lets_a_wan_prove_more)
{
	const double caps[] = { 100, 0.5 };
	struct capacity_params params;
	struct sim s;
	int took, b_flows_min = 24;

	/* WAN 1 was a 0.5 Mbit/s line for long, then resyncs at 40 Mbit/s */
	sim_init(&s, 2, caps);
	for (int t = 0; t < 20; t++)
		sim_step(&s);
	ASSERT_LE(capacity_bps(&s.cs, 1), 0.6 * MBIT, "slow line estimated slow");
	ASSERT_GE(capacity_weight(&s.cs, 1), 50, "floor: at least 5 % of the largest weight");
	for (int t = 0; t < 5; t++) {
		sim_step(&s);
		b_flows_min = s.link[1].flows < b_flows_min ? s.link[1].flows : b_flows_min;
	}
	ASSERT_GE(b_flows_min, 1, "the floor keeps a flow on the slow WAN");
	s.link[1].cap_bps = 40 * MBIT;
	took = sim_until_match(&s, 0.10, 5, 60);
	fprintf(stderr, "  info: floor 5%%: WAN at 0.5 -> 40 Mbit/s (beside 100) reaches its share within 10%% after %d intervals (weights %u/%u)\n",
		took, capacity_weight(&s.cs, 0), capacity_weight(&s.cs, 1));
	ASSERT_GE(took, 1, "the WAN proves its new capacity");
	ASSERT_LE(took, 10, "intervals to prove it");

	/* the same without a floor: the low estimate starves the WAN */
	capacity_params_default(&params);
	params.floor_share = 0;
	sim_init(&s, 2, caps);
	capacity_init(&s.cs, &params);
	for (int t = 0; t < 20; t++)
		sim_step(&s);
	s.link[1].cap_bps = 40 * MBIT;
	took = sim_until_match(&s, 0.10, 5, 60);
	fprintf(stderr, "  info: no floor: same WAN after 60 intervals: weight %u, flows %d, capacity %.2f Mbit/s\n",
		capacity_weight(&s.cs, 1), s.link[1].flows, capacity_bps(&s.cs, 1) / MBIT);
	ASSERT_EQ(took, -1, "without the floor the WAN never gets a flow to prove itself");
}

TEST(capacity_wan_disappears_and_returns)
{
	const double caps[] = { 10, 30 };
	struct capacity_params params;
	struct sim s;
	int took;

	sim_init(&s, 2, caps);
	s.noise = 0.05;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");

	s.link[1].up = false;
	ASSERT_EQ(sim_step(&s), 1, "going down publishes at once");
	ASSERT_EQ(capacity_weight(&s.cs, 1), 0, "down WAN weight");
	ASSERT_EQ(capacity_weight(&s.cs, 0), OMR_WEIGHT_MAX, "remaining WAN weight");
	for (int t = 0; t < 20; t++)
		sim_step(&s);
	ASSERT_EQ(capacity_weight(&s.cs, 1), 0, "stays 0 while down");

	s.link[1].up = true;
	ASSERT_EQ(sim_step(&s), 1, "coming back publishes at once");
	ASSERT_TRUE(weights_match_caps(&s, 0.10), "returns with its old share");

	/* away again; comes back slower: fresh evidence replaces the old */
	s.link[1].up = false;
	for (int t = 0; t < 20; t++)
		sim_step(&s);
	s.link[1].up = true;
	s.link[1].cap_bps = 15 * MBIT;
	took = sim_until_match(&s, 0.10, 5, 50);
	fprintf(stderr, "  info: WAN returns at 15 instead of 30 Mbit/s: weights within 10%% after %d intervals (ratio %.3f)\n",
		took, weight_ratio(&s, 1, 0));
	ASSERT_GE(took, 1, "weights follow the returned WAN");
	ASSERT_LE(took, 4, "intervals after returning");

	/* gone for longer than forget_after: no evidence left, mean share */
	capacity_params_default(&params);
	params.forget_after = 30;
	sim_init(&s, 2, caps);
	capacity_init(&s.cs, &params);
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	s.link[1].up = false;
	for (int t = 0; t < 30; t++)
		sim_step(&s);
	ASSERT_EQ(capacity_dir_bps(&s.cs, 1, CAPACITY_TX), 0, "forgotten after forget_after intervals");
	s.flows = 0;
	s.link[1].up = true;
	sim_step(&s);
	ASSERT_EQ(capacity_weight(&s.cs, 1), capacity_weight(&s.cs, 0), "unknown WAN counts as the mean");
}

TEST(capacity_all_wans_down_and_single_wan)
{
	const double caps[] = { 10, 30 };
	struct sim s;

	sim_init(&s, 2, caps);
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	s.link[0].up = s.link[1].up = false;
	sim_step(&s);
	ASSERT_EQ(capacity_weight(&s.cs, 0) + capacity_weight(&s.cs, 1), 0, "all down: all 0");
	s.link[0].up = true;
	sim_step(&s);
	ASSERT_EQ(capacity_weight(&s.cs, 0), OMR_WEIGHT_MAX, "single WAN gets the full weight");
	ASSERT_EQ(capacity_update(&s.cs, NULL, OMR_MAX_WANS + 1), -EINVAL, "too many slots");
}

TEST(capacity_hints_seed_and_clamp)
{
	const double caps[] = { 10, 30 };
	struct sim s;

	sim_init(&s, 2, caps);
	s.flows = 0;			/* no traffic yet */
	s.link[0].max_bps = 8 * MBIT;
	s.link[1].max_bps = 40 * MBIT;
	sim_step(&s);
	ASSERT_NEAR(weight_ratio(&s, 0, 1), 0.2, 0.01, "max hints seed the weights before any traffic");
	s.flows = 24;
	for (int t = 0; t < 20; t++)
		sim_step(&s);
	ASSERT_EQ(capacity_bps(&s.cs, 0), 8 * MBIT, "estimate clamped to max");
	ASSERT_NEAR(capacity_bps(&s.cs, 1) / MBIT, 30, 3, "below max: measured");
	ASSERT_NEAR(weight_ratio(&s, 0, 1), 8.0 / 30, 0.03, "weights from clamped estimate");

	sim_init(&s, 2, caps);
	s.link[0].min_bps = 20 * MBIT;
	for (int t = 0; t < 20; t++)
		sim_step(&s);
	ASSERT_EQ(capacity_bps(&s.cs, 0), 20 * MBIT, "estimate raised to min");
}

TEST(capacity_weighs_the_direction_that_carries_traffic)
{
	const double caps[] = { 5, 20 };
	struct sim s;

	/* WAN 0 is asymmetric DSL 50 down / 5 up, WAN 1 a symmetric 20/20 line */
	sim_init(&s, 2, caps);
	s.link[0].rx_cap_bps = 50 * MBIT;
	s.link[1].rx_cap_bps = 20 * MBIT;
	s.download = true;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "downloads: weights by download capacity");
	fprintf(stderr, "  info: downloads: weights %u/%u (want 50:20), capacity %.1f/%.1f Mbit/s\n",
		capacity_weight(&s.cs, 0), capacity_weight(&s.cs, 1),
		capacity_bps(&s.cs, 0) / MBIT, capacity_bps(&s.cs, 1) / MBIT);
	s.download = false;
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "uploads: weights by upload capacity");
	fprintf(stderr, "  info: then uploads: weights %u/%u (want 5:20)\n",
		capacity_weight(&s.cs, 0), capacity_weight(&s.cs, 1));
	ASSERT_NEAR(capacity_dir_bps(&s.cs, 0, CAPACITY_RX) / MBIT, 50, 5, "download estimate kept");
}

TEST(capacity_static_wans_are_estimated_not_weighted)
{
	struct capacity_state cs;
	struct capacity_sample samples[2] = {
		{ .up = true, .auto_weight = false, .tx_bytes = 1250000, .interval_ns = INTERVAL_NS },
		{ .up = true, .auto_weight = true, .tx_bytes = 3750000, .interval_ns = INTERVAL_NS },
	};

	capacity_init(&cs, NULL);
	samples[0].interval_ns = samples[1].interval_ns = 0;	/* the agent's first look */
	ASSERT_EQ(capacity_update(&cs, samples, 2), 1, "first call publishes");
	ASSERT_EQ(capacity_weight(&cs, 1), OMR_WEIGHT_MAX, "no rates yet: up and weighted");
	ASSERT_EQ(capacity_bps(&cs, 1), 0, "no rates yet: no estimate");
	samples[0].interval_ns = samples[1].interval_ns = INTERVAL_NS;
	capacity_update(&cs, samples, 2);
	ASSERT_EQ(capacity_weight(&cs, 0), 0, "static WAN gets no auto weight");
	ASSERT_EQ(capacity_bps(&cs, 0), 10000000, "static WAN still estimated (for stats)");
	ASSERT_EQ(capacity_weight(&cs, 1), OMR_WEIGHT_MAX, "lone auto WAN");
	capacity_forget(&cs, 1);
	ASSERT_EQ(capacity_bps(&cs, 1), 0, "forgotten slot");
}

TEST(capacity_busy_no_only_rises)
{
	const double caps[] = { 10, 30 };
	struct sim s;

	sim_init(&s, 2, caps);
	ASSERT_GE(sim_until_match(&s, 0.10, 5, 50), 1, "converges first");
	s.link[1].busy = CAPACITY_BUSY_NO;	/* the caller knows wan 1 is not saturated */
	s.link[1].cap_bps = 7.5 * MBIT;
	for (int t = 0; t < 30; t++)
		sim_step(&s);
	ASSERT_NEAR(capacity_bps(&s.cs, 1) / MBIT, 30, 3, "not busy: a lower rate is demand, not capacity");
	s.link[1].cap_bps = 40 * MBIT;
	for (int t = 0; t < 10; t++)
		sim_step(&s);
	ASSERT_NEAR(capacity_bps(&s.cs, 1) / MBIT, 40, 4, "not busy: a higher rate still proves capacity");
}


/*
 * Recorded: two veth WANs shaped with tbf 8mbit and 24mbit (burst 32kb,
 * latency 50ms), each saturated by iperf3 -P 4 uploads; tx_bytes read from
 * /sys/class/net/wanN/statistics once a second; after the 10th sample
 * wan2's tbf was changed to 6mbit (a quarter).  Columns: interval ns,
 * wan1 bytes, wan2 bytes.
 */
static const struct { __u64 ns, wan1, wan2; } recorded_8_24_6[] = {
	{ 1015238460, 1016212, 3001684 }, { 1010989599, 970698, 2897058 },
	{ 1013622960, 973930, 2936996 }, { 1012614313, 981360, 2920586 },
	{ 1012352386, 967078, 2900446 }, { 1011563645, 965412, 2924382 },
	{ 1016725952, 974318, 2929538 }, { 1009203369, 971026, 2911440 },
	{ 1014077614, 978530, 2924472 }, { 1011566079, 979388, 2925074 },
	{ 1012319101, 956096, 780652 }, { 1007957256, 999494, 729342 },
	{ 1008203948, 954598, 725852 }, { 1010828680, 995538, 721376 },
	{ 1008880881, 968332, 738888 }, { 1007985138, 970176, 718348 },
	{ 1007622611, 971616, 722692 }, { 1008293029, 953122, 737370 },
	{ 1007466569, 973332, 718348 }, { 1007250308, 971709, 728580 },
};

TEST(capacity_recorded_tbf_8_24_then_6)
{
	struct capacity_state cs;
	int matched_at = -1, followed_at = -1;
	unsigned n = sizeof(recorded_8_24_6) / sizeof(recorded_8_24_6[0]);

	capacity_init(&cs, NULL);
	for (unsigned t = 0; t < n; t++) {
		struct capacity_sample samples[2] = {
			{ .up = true, .auto_weight = true, .tx_bytes = recorded_8_24_6[t].wan1,
			  .rx_bytes = recorded_8_24_6[t].wan1 / 40, .interval_ns = recorded_8_24_6[t].ns },
			{ .up = true, .auto_weight = true, .tx_bytes = recorded_8_24_6[t].wan2,
			  .rx_bytes = recorded_8_24_6[t].wan2 / 40, .interval_ns = recorded_8_24_6[t].ns },
		};
		double ratio;

		capacity_update(&cs, samples, 2);
		ratio = (double)capacity_weight(&cs, 1) / capacity_weight(&cs, 0);
		if (t < 10 && matched_at < 0 && ratio > 3 * 0.9 && ratio < 3 * 1.1)
			matched_at = t + 1;
		if (t >= 10 && followed_at < 0 && ratio > 0.75 * 0.9 && ratio < 0.75 * 1.1)
			followed_at = t + 1 - 10;
		if (t == 9) {
			fprintf(stderr, "  info: recorded 8/24 mbit tbf: 1:3 within 10%% after %d s, at 10 s weights %u/%u, capacity %.2f/%.2f Mbit/s\n",
				matched_at, capacity_weight(&cs, 0), capacity_weight(&cs, 1),
				capacity_bps(&cs, 0) / MBIT, capacity_bps(&cs, 1) / MBIT);
			ASSERT_GE(matched_at, 1, "recorded: weights reach 1:3");
			ASSERT_LE(matched_at, 2, "recorded: seconds to reach 1:3");
		}
	}
	fprintf(stderr, "  info: recorded 24 -> 6 mbit: weights within 10%% of 8:6 after %d s, at the end %u/%u, capacity %.2f/%.2f Mbit/s\n",
		followed_at, capacity_weight(&cs, 0), capacity_weight(&cs, 1),
		capacity_bps(&cs, 0) / MBIT, capacity_bps(&cs, 1) / MBIT);
	ASSERT_GE(followed_at, 1, "recorded: weights follow the drop to 6 mbit");
	ASSERT_LE(followed_at, 8, "recorded: seconds to follow the drop");
}

/*
 * Batches of short uploads, as scripts/bench/live_weights.sh warms up: a
 * client starts 24 uploads of 256 KiB at once, waits for the last, starts
 * the next batch, for 8.5 s.  Simulated in 1 ms steps: each link shares its
 * capacity among its running flows (slow start from 10 segments per 20 ms
 * RTT), a link whose flows are done idles until the slowest link finishes
 * the batch, and the agent's 1 s intervals fall anywhere in a batch.  New
 * flows are placed as bpf/lib/flow.h does: least (busy flows + 1) / weight,
 * where a flow is busy for 5 s after its last packet.  So most intervals
 * of a link are partly idle, and a link that is given too few flows (too
 * low an estimate) is never busy for a whole interval.  The agent also
 * reads the counters each tenth of an interval (live.c): the rate of the
 * tenths a link was busy in is what it can do (tx_active_bps).
 */
#define BATCH_FLOWS_MAX	64
#define BATCH_STEP_S	0.001
#define BATCH_RTT_S	0.020
#define BATCH_BUSY_S	5.0

struct batch_sim {
	struct capacity_state cs;
	int n;
	double cap_bps[4];
	double interval_bytes[4];
	double slice_bytes[4][10];	/* tenths of the interval */
	bool active_rates;		/* pass tx_active_bps */
	unsigned rng;
	/* the flows of all batches so far (for the busy-lately load) */
	int n_flows;
	int flow_link[BATCH_FLOWS_MAX * 8];
	double flow_left[BATCH_FLOWS_MAX * 8], flow_start[BATCH_FLOWS_MAX * 8];
	double flow_last[BATCH_FLOWS_MAX * 8];
	int batch_first;		/* index of the running batch's first flow */
	int scan_busy[4];		/* busy flows at the last tick */
	int assigned_since_scan[4];
	double now, next_tick;
	bool ticked;
};

static double batch_random01(struct batch_sim *b)
{
	b->rng = b->rng * 1103515245u + 12345u;
	return ((b->rng >> 8) & 0xffff) / 65535.0;
}

static void batch_tick(struct batch_sim *b)
{
	struct capacity_sample samples[4];

	for (int i = 0; i < b->n; i++) {
		samples[i] = (struct capacity_sample) {
			.up = true,
			.auto_weight = true,
			.tx_bytes = (__u64)b->interval_bytes[i],
			.rx_bytes = (__u64)(b->interval_bytes[i] / 40),
			.interval_ns = b->ticked ? INTERVAL_NS : 0,
		};
		if (b->active_rates) {
			__u64 bytes[10], ns[10];

			for (int k = 0; k < 10; k++) {
				bytes[k] = (__u64)b->slice_bytes[i][k];
				ns[k] = INTERVAL_NS / 10;
				b->slice_bytes[i][k] = 0;
			}
			samples[i].tx_active_bps = capacity_active_bps(bytes, ns, 10);
		}
		b->interval_bytes[i] = 0;
		b->scan_busy[i] = 0;
		b->assigned_since_scan[i] = 0;
	}
	for (int f = 0; f < b->n_flows; f++)
		if (b->now - b->flow_last[f] < BATCH_BUSY_S)
			b->scan_busy[b->flow_link[f]]++;
	capacity_update(&b->cs, samples, b->n);
	if (getenv("OMR_CAPACITY_TRACE"))	/* by hand: each interval of each run */
		fprintf(stderr, "    t=%.2f rates %.1f/%.1f/%.1f est %.1f/%.1f/%.1f w %u/%u/%u busy %d/%d/%d\n", b->now,
			samples[0].tx_bytes * 8 / MBIT, samples[1].tx_bytes * 8 / MBIT, samples[2].tx_bytes * 8 / MBIT,
			capacity_bps(&b->cs, 0) / MBIT, capacity_bps(&b->cs, 1) / MBIT, capacity_bps(&b->cs, 2) / MBIT,
			capacity_weight(&b->cs, 0), capacity_weight(&b->cs, 1), capacity_weight(&b->cs, 2),
			b->scan_busy[0], b->scan_busy[1], b->scan_busy[2]);
	b->ticked = true;
	b->next_tick += 1.0;
}

/* bpf/lib/flow.h: the WAN with the least (load + 1) / weight */
static int batch_choose(struct batch_sim *b)
{
	int best = -1;
	double best_cost = 0;

	for (int i = 0; i < b->n; i++) {
		double w = capacity_weight(&b->cs, i);
		double cost = (b->scan_busy[i] + b->assigned_since_scan[i] + 1) / (w > 0 ? w : 1e-9);

		if (best < 0 || cost < best_cost ||
		    (cost == best_cost && w > capacity_weight(&b->cs, best))) {
			best = i;
			best_cost = cost;
		}
	}
	b->assigned_since_scan[best]++;
	return best;
}

/* Run one batch of @conns flows of @bytes; returns its duration in seconds. */
static double batch_run(struct batch_sim *b, int conns, double bytes)
{
	double start = b->now;
	bool running = true;

	if (b->n_flows + conns > (int)(sizeof(b->flow_link) / sizeof(b->flow_link[0])))
		b->n_flows = 0;		/* old flows are long idle by then */
	b->batch_first = b->n_flows;
	for (int c = 0; c < conns; c++) {
		int f = b->n_flows++;

		b->flow_link[f] = batch_choose(b);
		b->flow_left[f] = bytes;
		b->flow_start[f] = start + 0.030 * batch_random01(b);	/* connect */
		b->flow_last[f] = start;
	}
	while (running) {
		running = false;
		for (int i = 0; i < b->n; i++) {
			double room = b->cap_bps[i] / 8 * BATCH_STEP_S, want[BATCH_FLOWS_MAX];
			int active = 0, unlimited = 0;
			double demand = 0;

			/* slow start limits a young flow; the rest share what is left */
			for (int f = b->batch_first; f < b->n_flows; f++) {
				int k = f - b->batch_first;
				double age = b->now - b->flow_start[f];

				want[k] = 0;
				if (b->flow_link[f] != i || b->flow_left[f] <= 0 || age < 0)
					continue;
				active++;
				if (age < 10 * BATCH_RTT_S) {
					double ss = 14480.0 / BATCH_RTT_S * (1 << (int)(age / BATCH_RTT_S));

					want[k] = ss * BATCH_STEP_S;
				} else {
					want[k] = -1;
					unlimited++;
				}
				if (want[k] > 0)
					demand += want[k];
			}
			if (!active)
				continue;
			for (int f = b->batch_first; f < b->n_flows; f++) {
				int k = f - b->batch_first;
				double got;

				if (b->flow_link[f] != i || b->flow_left[f] <= 0 || b->now < b->flow_start[f])
					continue;
				if (want[k] > 0)
					got = demand <= room ? want[k] : room * want[k] / demand;
				else
					got = demand < room ? (room - demand) / unlimited : 0;
				if (got > b->flow_left[f])
					got = b->flow_left[f];
				b->flow_left[f] -= got;
				b->flow_last[f] = b->now;
				b->interval_bytes[i] += got;
				{
					int k = (int)((b->now - (b->next_tick - 1.0)) * 10);

					b->slice_bytes[i][k < 0 ? 0 : k > 9 ? 9 : k] += got;
				}
			}
		}
		for (int f = b->batch_first; f < b->n_flows; f++)
			if (b->flow_left[f] > 0)
				running = true;
		b->now += BATCH_STEP_S;
		if (b->now >= b->next_tick)
			batch_tick(b);
	}
	return b->now - start;
}

/* Idle (no flow running) for @secs; the agent keeps ticking. */
static void batch_idle(struct batch_sim *b, double secs)
{
	double until = b->now + secs;

	while (b->now < until) {
		b->now += BATCH_STEP_S;
		if (b->now >= b->next_tick)
			batch_tick(b);
	}
}

static void batch_init(struct batch_sim *b, int n, const double *caps_mbit, unsigned seed)
{
	memset(b, 0, sizeof(*b));
	capacity_init(&b->cs, NULL);
	b->n = n;
	b->rng = seed;
	for (int i = 0; i < n; i++)
		b->cap_bps[i] = caps_mbit[i] * MBIT;
	/* the agent started a second or two before the traffic, at any phase */
	b->next_tick = batch_random01(b);
	batch_idle(b, 1.0 + batch_random01(b));
}

/* The bench's warm-up: batches for @secs (the last one may run over). */
static void batch_warm_up(struct batch_sim *b, double secs)
{
	double t0 = b->now;

	while (b->now - t0 < secs) {
		batch_run(b, 24, 256 * 1024);
		batch_idle(b, 0.08 + 0.15 * batch_random01(b));	/* the next client starts */
	}
}

struct batch_result {
	int runs, misses;
	double mean_off, worst_off;	/* of the weight ratios against the link ratios */
	double worst_batch;		/* the 24 x 1 MiB batch after, x ideal */
};

/* @runs warm-ups from different phases over 6/18/12 Mbit/s links. */
static void batch_bench(bool active_rates, int runs, struct batch_result *r)
{
	const double caps[] = { 6, 18, 12 }, ideal = 24.0 * 1048576 * 8 / (36 * MBIT);
	struct batch_sim b;
	double sum_off = 0;

	memset(r, 0, sizeof(*r));
	r->runs = runs;
	for (int run = 0; run < runs; run++) {
		double w1, off[2], secs;

		batch_init(&b, 3, caps, 1000 + run);
		b.active_rates = active_rates;
		batch_warm_up(&b, 8.5);
		w1 = capacity_weight(&b.cs, 0);
		off[0] = (capacity_weight(&b.cs, 1) / w1 - 3) / 3;
		off[1] = (capacity_weight(&b.cs, 2) / w1 - 2) / 2;
		for (int k = 0; k < 2; k++) {
			off[k] = off[k] < 0 ? -off[k] : off[k];
			r->worst_off = off[k] > r->worst_off ? off[k] : r->worst_off;
			sum_off += off[k];
		}
		r->misses += off[0] > 0.10 || off[1] > 0.10;
		if (getenv("OMR_CAPACITY_TRACE"))
			fprintf(stderr, "  run %d: weights %u/%u/%u, capacity %.2f/%.2f/%.2f Mbit/s\n", run,
				capacity_weight(&b.cs, 0), capacity_weight(&b.cs, 1),
				capacity_weight(&b.cs, 2), capacity_bps(&b.cs, 0) / MBIT,
				capacity_bps(&b.cs, 1) / MBIT, capacity_bps(&b.cs, 2) / MBIT);
		/* the bench's batch: 6 s later (no flow busy any more), 24 x 1 MiB */
		batch_idle(&b, 6);
		secs = batch_run(&b, 24, 1048576);
		r->worst_batch = secs / ideal > r->worst_batch ? secs / ideal : r->worst_batch;
	}
	r->mean_off = sum_off / (2 * runs);
}

TEST(capacity_batches_of_short_uploads)
{
	struct batch_result r;

	/* as the agent feeds it: the interval's bytes and the rate of its busy slices */
	batch_bench(true, 40, &r);
	fprintf(stderr, "  info: 6/18/12 Mbit/s, 8.5 s of batches of 24 x 256 KiB, %d runs: ratios off by %.1f %% on average, at most %.1f %%, %d runs miss 10 %%; then 24 x 1 MiB at most %.2f x ideal\n",
		r.runs, r.mean_off * 100, r.worst_off * 100, r.misses, r.worst_batch);
	ASSERT_EQ(r.misses, 0, "runs whose weight ratios miss the link ratios by more than 10 %");
	ASSERT_LE(r.worst_batch * 100, 120, "batch after the warm-up (x100 of ideal)");

	/*
	 * Interval rates alone (no slice timer): a link that finishes its
	 * share early shows less than it can do, and nothing tells why.
	 * Not within 10 % every time, but partly idle intervals must not
	 * drag the estimates down (they did: 21 % off on average).
	 */
	batch_bench(false, 40, &r);
	fprintf(stderr, "  info: the same from interval rates only: off by %.1f %% on average, at most %.1f %%, %d runs miss 10 %%; batch at most %.2f x ideal\n",
		r.mean_off * 100, r.worst_off * 100, r.misses, r.worst_batch);
	ASSERT_LE(r.mean_off * 1000, 100, "interval rates only: mean ratio error (per mille)");
}

TEST(capacity_partly_idle_intervals_are_no_proof_of_less)
{
	const double caps[] = { 10, 30 };
	const double pattern[] = { 30, 8, 30, 12, 30, 6, 30 };	/* Mbit/s of WAN 1 */
	double lowest = 1e18;
	struct sim s;

	/* from nothing: the first samples can only raise the estimate */
	sim_init(&s, 2, caps);
	for (unsigned t = 0; t < sizeof(pattern) / sizeof(pattern[0]); t++) {
		s.link[1].cap_bps = pattern[t] * MBIT;
		sim_step(&s);
		if (t > 0 && capacity_bps(&s.cs, 1) < lowest)
			lowest = capacity_bps(&s.cs, 1);
	}
	fprintf(stderr, "  info: first samples 30, then 30 and partly idle (6..12) in turns: estimate at least %.2f Mbit/s\n",
		lowest / MBIT);
	ASSERT_GE(lowest, 27 * MBIT, "first evidence: partly idle intervals do not lower it");
	ASSERT_TRUE(weights_match_caps(&s, 0.10), "first evidence: 1:3");

	/* back after an outage: the review of its old evidence takes the best fresh rate */
	s.link[1].cap_bps = 30 * MBIT;
	for (int t = 0; t < 10; t++)
		sim_step(&s);
	s.link[1].up = false;
	for (int t = 0; t < 5; t++)
		sim_step(&s);
	s.link[1].up = true;
	lowest = 1e18;
	for (unsigned t = 0; t < sizeof(pattern) / sizeof(pattern[0]); t++) {
		s.link[1].cap_bps = pattern[t] * MBIT;
		sim_step(&s);
		if (capacity_bps(&s.cs, 1) < lowest)
			lowest = capacity_bps(&s.cs, 1);
	}
	fprintf(stderr, "  info: back after an outage, fresh samples 30 and partly idle in turns: estimate at least %.2f Mbit/s\n",
		lowest / MBIT);
	ASSERT_GE(lowest, 27 * MBIT, "fresh review: partly idle intervals do not lower it");
	ASSERT_TRUE(weights_match_caps(&s, 0.10), "after the review: 1:3");
}

TEST(capacity_active_rate_of_slices)
{
	__u64 ns[10], bytes[10];
	const __u64 slice = 100000000;	/* 100 ms */
	const __u64 at18 = 18000000 / 8 / 10;	/* bytes of 100 ms at 18 Mbit/s */

	for (int k = 0; k < 10; k++)
		ns[k] = slice;
	/* busy 400 ms at 18 Mbit/s, a slice half busy, then idle */
	memset(bytes, 0, sizeof(bytes));
	for (int k = 0; k < 4; k++)
		bytes[k] = at18;
	bytes[4] = at18 / 2;
	ASSERT_NEAR(capacity_active_bps(bytes, ns, 10) / MBIT, 18, 0.01, "busy slices only");
	/* a queue filling at the start: one slice 25 % above the link */
	bytes[0] = at18 * 5 / 4;
	ASSERT_NEAR(capacity_active_bps(bytes, ns, 10) / MBIT, 18, 18 * 0.07, "one fast slice barely counts");
	/* a lone burst is no rate */
	memset(bytes, 0, sizeof(bytes));
	bytes[3] = at18;
	ASSERT_EQ(capacity_active_bps(bytes, ns, 10), 0, "a lone busy slice");
	ASSERT_EQ(capacity_active_bps(bytes, ns, 0), 0, "no slices");
	memset(bytes, 0, sizeof(bytes));
	ASSERT_EQ(capacity_active_bps(bytes, ns, 10), 0, "idle");
	/* steady light traffic: its rate, as the interval's */
	for (int k = 0; k < 10; k++)
		bytes[k] = 250000 / 10;		/* 2 Mbit/s */
	ASSERT_NEAR(capacity_active_bps(bytes, ns, 10) / MBIT, 2, 0.01, "steady light load");
	/* slices of unequal length (the tick is not on the slice timer) */
	bytes[9] = 250000 / 40;
	ns[9] = slice / 4;
	ASSERT_NEAR(capacity_active_bps(bytes, ns, 10) / MBIT, 2, 0.01, "a short last slice");
}
