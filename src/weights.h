/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where a WAN's effective weight is computed from its configured weight and state. */
#ifndef OMR_WEIGHTS_H
#define OMR_WEIGHTS_H

#include <stddef.h>
#include "omr_steer_abi.h"

/* Weight as the weight file writes it: "5" or "auto". */
const char *weight_str(__u32 weight, char *buf, size_t len);

/*
 * Recompute effective_weight of every configured WAN in @tbl: the configured
 * weight; "auto" WANs get the capacity-derived weight (until there is one:
 * the mean of the fixed weights, so they start as equals); a WAN whose
 * interface is missing or down gets 0.
 */
void weights_update(struct wan_entry tbl[OMR_MAX_WANS]);

#endif
