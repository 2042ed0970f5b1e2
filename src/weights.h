/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where a WAN's effective weight is computed from its configured weight and state. */
#ifndef OMR_WEIGHTS_H
#define OMR_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include "omr_steer_abi.h"

/* Weight as the weight file writes it: "5" or "auto". */
const char *weight_str(__u32 weight, char *buf, size_t len);

/* What decides one WAN's effective weight besides its wan_entry. */
struct weight_input {
	__u32 base;		/* configured weight after schedules; may be OMR_WEIGHT_AUTO */
	bool usable;		/* present, link up, and its probe (if any) answers */
	__u32 auto_weight;	/* capacity-derived 1..OMR_WEIGHT_MAX, 0 = no estimate yet */
};

/*
 * Recompute effective_weight of every configured WAN in @tbl: 0 when not
 * usable; the base weight; for "auto" the capacity-derived weight, or,
 * before there is an estimate, the mean of the fixed weights so that auto
 * WANs start as equals.  Returns true when any effective weight changed.
 */
bool weights_update(struct wan_entry tbl[OMR_MAX_WANS], const struct weight_input in[OMR_MAX_WANS]);

#endif
