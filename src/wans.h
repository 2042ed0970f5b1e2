/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The WANs the agent manages: a slot (wan_idx) per configured WAN in the
 * pinned wan_table, and the work of keeping each WAN's interface attached as
 * interfaces appear, disappear and are recreated.
 */
#ifndef OMR_WANS_H
#define OMR_WANS_H

#include "config.h"
#include "datapath.h"

struct wan_set {
	struct datapath *dp;
	struct wan_entry tbl[OMR_MAX_WANS];	/* mirror of the pinned wan_table */
	__u32 prog_id_egress, prog_id_ingress;	/* ours, to spot foreign filters */
};

/* Read the pinned table (a previous agent's slots and flags are kept). */
int wans_adopt(struct wan_set *ws, struct datapath *dp);

/*
 * Make the slots match @cfg: release WANs no longer named, give new ones a
 * slot, set the configured weights, then attach what exists (wans_sync).
 */
int wans_apply_config(struct wan_set *ws, const struct steer_config *cfg);

/*
 * Follow the interfaces: attach WANs that appeared, re-attach those
 * recreated with a new ifindex or whose filter someone removed, and track
 * link state.  Returns how many entries changed (>= 0) or a negative errno.
 */
int wans_sync(struct wan_set *ws);

/* Detach every WAN in the pinned table; used by unload (no agent needed). */
void wans_detach_all(struct datapath *dp);

/* The slot of the WAN called @name, or -1. */
int wans_find(const struct wan_set *ws, const char *name);

#endif
