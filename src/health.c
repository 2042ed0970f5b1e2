// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-WAN health state machine and smoothed RTT; see health.h. */
#include <string.h>
#include "health.h"

#define QUEUE_DELAY_MIN_US	5000	/* below this, no queue worth the name */

void health_params_default(struct health_params *params)
{
	*params = (struct health_params) {
		.down_after = 3,
		.up_after = 2,
		.degraded_losses = 2,
	};
}

void health_init(struct health *h, const struct health_params *params, bool probing)
{
	memset(h, 0, sizeof(*h));
	if (params)
		h->params = *params;
	else
		health_params_default(&h->params);
	if (h->params.down_after < 1)
		h->params.down_after = 1;
	if (h->params.up_after < 1)
		h->params.up_after = 1;
	h->probing = probing;
	h->link_up = h->has_address = true;
	h->probe_up = true;
	h->state = HEALTH_UP;
}

static unsigned recent_losses(const struct health *h)
{
	return __builtin_popcount(h->loss_history & ((1U << HEALTH_LOSS_WINDOW) - 1));
}

static bool update_state(struct health *h)
{
	enum health_state state;

	if (!h->link_up || !h->has_address || (h->probing && !h->probe_up))
		state = HEALTH_DOWN;
	else if (h->probing && (h->fail_streak > 0 ||
				(h->params.degraded_losses && recent_losses(h) >= h->params.degraded_losses)))
		state = HEALTH_DEGRADED;
	else
		state = HEALTH_UP;
	if (state == h->state)
		return false;
	h->state = state;
	h->transitions++;
	return true;
}

static void forget_rtt(struct health *h)
{
	h->have_rtt = false;
	h->srtt_us = h->rttvar_us = 0;
	h->min_rtt_us = h->epoch_min_us = h->last_epoch_min_us = 0;
	h->epoch_samples = 0;
}

bool health_link(struct health *h, bool oper_up, bool has_address)
{
	bool was_usable = h->link_up && h->has_address;

	h->link_up = oper_up;
	h->has_address = has_address;
	if (was_usable && !(oper_up && has_address)) {
		forget_rtt(h);
		if (h->probing) {
			/* back only when the probe answers again */
			h->probe_up = false;
			h->ok_streak = 0;
		}
	}
	return update_state(h);
}

static void rtt_sample(struct health *h, __u32 rtt_us)
{
	if (!rtt_us)
		rtt_us = 1;	/* a loopback-fast path still answered */
	if (!h->have_rtt) {
		h->srtt_us = rtt_us;
		h->rttvar_us = rtt_us / 2;
		h->have_rtt = true;
	} else {
		__u32 err = rtt_us > h->srtt_us ? rtt_us - h->srtt_us : h->srtt_us - rtt_us;

		/* integer forms of 3/4 + 1/4 and 7/8 + 1/8, rounded */
		h->rttvar_us = (__u32)(((__u64)h->rttvar_us * 3 + err + 2) / 4);
		h->srtt_us = (__u32)(((__u64)h->srtt_us * 7 + rtt_us + 4) / 8);
	}
	if (!h->epoch_min_us || rtt_us < h->epoch_min_us)
		h->epoch_min_us = rtt_us;
	if (++h->epoch_samples >= HEALTH_MIN_RTT_EPOCH) {
		h->last_epoch_min_us = h->epoch_min_us;
		h->epoch_min_us = 0;
		h->epoch_samples = 0;
	}
	h->min_rtt_us = h->epoch_min_us;
	if (h->last_epoch_min_us && (!h->min_rtt_us || h->last_epoch_min_us < h->min_rtt_us))
		h->min_rtt_us = h->last_epoch_min_us;
}

bool health_probe(struct health *h, bool answered, __u32 rtt_us)
{
	h->loss_history = (h->loss_history << 1) | !answered;
	if (answered) {
		h->fail_streak = 0;
		h->ok_streak++;
		if (!h->probe_up && h->ok_streak >= h->params.up_after)
			h->probe_up = true;
		if (h->link_up && h->has_address)
			rtt_sample(h, rtt_us);
	} else {
		h->ok_streak = 0;
		h->fail_streak++;
		if (h->probe_up && h->fail_streak >= h->params.down_after)
			h->probe_up = false;
	}
	return update_state(h);
}

void health_tcp_rtt(struct health *h, __u32 rtt_us)
{
	if (h->link_up && h->has_address)
		rtt_sample(h, rtt_us);
}

void health_forget_rtt(struct health *h)
{
	forget_rtt(h);
}

enum health_state health_state(const struct health *h)
{
	return h->state;
}

const char *health_state_name(enum health_state state)
{
	switch (state) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DEGRADED:
		return "degraded";
	case HEALTH_DOWN:
		break;
	}
	return "down";
}

bool health_usable(const struct health *h)
{
	return h->state == HEALTH_UP || h->state == HEALTH_DEGRADED;
}

__u32 health_srtt_us(const struct health *h)
{
	return h->have_rtt ? h->srtt_us : 0;
}

__u32 health_rttvar_us(const struct health *h)
{
	return h->have_rtt ? h->rttvar_us : 0;
}

__u32 health_min_rtt_us(const struct health *h)
{
	return h->have_rtt ? h->min_rtt_us : 0;
}

__u32 health_queue_delay_us(const struct health *h)
{
	if (!h->have_rtt || h->srtt_us <= h->min_rtt_us)
		return 0;
	return h->srtt_us - h->min_rtt_us;
}

bool health_queue_building(const struct health *h)
{
	__u32 threshold = h->min_rtt_us / 2;

	if (threshold < QUEUE_DELAY_MIN_US)
		threshold = QUEUE_DELAY_MIN_US;
	return health_queue_delay_us(h) > threshold;
}
