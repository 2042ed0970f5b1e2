/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-WAN health: link state from rtnetlink and active probe results, with
 * up/down thresholds, give a state; probe and TCP RTT samples give a
 * smoothed RTT.  Pure functions over a small struct: the agent feeds events,
 * the unit tests feed sequences.
 *
 * State:
 *   DOWN      the link is down (oper state), has no address, or (with a
 *             probe) down_after probes in a row failed.  Effective weight 0.
 *   UP        the link is up and, with a probe, it answers.
 *   DEGRADED  up, but probes are being lost: the last one failed, or at
 *             least degraded_losses of the last HEALTH_LOSS_WINDOW did.
 *             Still usable; shown in stats.
 * A WAN whose probe marked it down, or whose link went down while a probe
 * is configured, is UP again only after up_after probes in a row answered:
 * a link that got its carrier back may still not reach anything.  At start
 * a WAN with its link up is UP (innocent until its probe fails), so a
 * restart of the agent does not stop traffic.  Without a probe the link
 * state alone decides.
 *
 * RTT: srtt and rttvar as TCP keeps them (RFC 6298: srtt = 7/8 srtt + 1/8
 * sample, rttvar = 3/4 rttvar + 1/4 |srtt - sample|), fed by probe RTTs
 * and, where cheaper, TCP RTT samples of flows on the WAN.  min_rtt is the
 * lowest sample of the last two epochs of HEALTH_MIN_RTT_EPOCH samples;
 * srtt - min_rtt is the queueing delay, a "link is busy" signal for the
 * capacity estimator.  The RTT is forgotten when the link goes down.
 */
#ifndef OMR_HEALTH_H
#define OMR_HEALTH_H

#include <stdbool.h>
#include "omr_steer_abi.h"

#define HEALTH_LOSS_WINDOW	10	/* probes remembered for DEGRADED */
#define HEALTH_MIN_RTT_EPOCH	64	/* RTT samples per min_rtt epoch */

enum health_state {
	HEALTH_DOWN = 0,
	HEALTH_UP,
	HEALTH_DEGRADED,
};

struct health_params {
	unsigned down_after;		/* failed probes in a row: DOWN (3) */
	unsigned up_after;		/* answered probes in a row: UP again (2) */
	unsigned degraded_losses;	/* lost of the last 10: DEGRADED (2) */
};

struct health {
	struct health_params params;
	bool probing;			/* a probe is configured */
	bool link_up, has_address;
	bool probe_up;			/* the probe's verdict, with thresholds */
	unsigned fail_streak, ok_streak;
	__u32 loss_history;		/* bit i: probe i ago was lost */
	enum health_state state;
	unsigned transitions;		/* state changes so far */
	bool have_rtt;
	__u32 srtt_us, rttvar_us;
	__u32 min_rtt_us;		/* of this and the last epoch */
	__u32 epoch_min_us, last_epoch_min_us;
	unsigned epoch_samples;
};

void health_params_default(struct health_params *params);

/*
 * Start a WAN: @params NULL means the defaults; @probing says whether a
 * probe is configured.  The link counts as up with an address until
 * health_link() says otherwise.
 */
void health_init(struct health *h, const struct health_params *params, bool probing);

/*
 * The link's oper state and whether it has the address the WAN needs, from
 * rtnetlink.  Returns true when the state changed (recompute weights now).
 */
bool health_link(struct health *h, bool oper_up, bool has_address);

/*
 * One probe result: @answered with @rtt_us, or lost (timed out, send
 * failed).  Returns true when the state changed.
 */
bool health_probe(struct health *h, bool answered, __u32 rtt_us);

/* A TCP RTT sample (e.g. tcpi_rtt of a flow or subflow on this WAN). */
void health_tcp_rtt(struct health *h, __u32 rtt_us);

/*
 * Forget the RTT (srtt, rttvar, min_rtt): its source went quiet (no TCP
 * traffic on a WAN without a probe), and a frozen srtt would keep saying
 * "queue building" or "fastest" long after it stopped being true.
 */
void health_forget_rtt(struct health *h);

enum health_state health_state(const struct health *h);
const char *health_state_name(enum health_state state);	/* "up", "down", "degraded" */
bool health_usable(const struct health *h);			/* UP or DEGRADED */

/* Smoothed RTT, its variation, the recent minimum; 0 while unknown. */
__u32 health_srtt_us(const struct health *h);
__u32 health_rttvar_us(const struct health *h);
__u32 health_min_rtt_us(const struct health *h);

/*
 * srtt above min_rtt: queueing on the path, 0 while unknown.  A WAN whose
 * queue delay exceeds max(5 ms, min_rtt / 2) is busy (saturated) for the
 * capacity estimator: health_queue_building().
 */
__u32 health_queue_delay_us(const struct health *h);
bool health_queue_building(const struct health *h);

#endif
