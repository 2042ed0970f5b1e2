/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the kernel says about the WANs, read over rtnetlink for steering
 * (steering.c): each WAN's link type and MTU, its best IPv4 and IPv6
 * address, its gateways (the default route through it in any table: the
 * main table first, then the lowest metric; `gateway`/`gateway6` of the
 * weight file win) and its connected networks (left to the routing table).
 */
#ifndef OMR_WAN_DISCOVERY_H
#define OMR_WAN_DISCOVERY_H

#include <stdbool.h>
#include <linux/types.h>
#include "omr_steer_abi.h"
#include "steering.h"

#define WAN_MAX_CONNECTED	8	/* connected prefixes kept per WAN and family */

struct wan_prefix {
	int family;
	__u8 addr[16];
	__u8 len;
};

/* What the kernel says about one WAN. */
struct wan_view {
	__u32 ifindex;
	__u32 mtu;
	bool l2;
	bool have4, have6;
	__be32 addr4;
	__u8 addr6[16];
	int addr6_rank;			/* lower is better */
	bool have_gw4, have_gw6;
	__be32 gw4;
	__u8 gw6[16];
	__u64 gw4_rank, gw6_rank;	/* lower is better */
	int n_connected;
	struct wan_prefix connected[2 * WAN_MAX_CONNECTED];
};

/* Every WAN of the agent's table, by its slot. */
struct discovery {
	struct wan_view view[OMR_MAX_WANS];
	const struct wan_entry *tbl;
};

/*
 * Fill @d for the configured, present WANs of @tbl (one dump each of links,
 * addresses and IPv4/IPv6 routes); a failed dump is logged and leaves what
 * it did not read empty.
 */
void wan_discover(struct discovery *d, const struct wan_entry *tbl,
		  const struct steering_config *sc);

#endif
