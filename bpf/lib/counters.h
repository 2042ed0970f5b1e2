/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where a packet is counted: per-WAN, per-CPU, no atomics on the hot path. */
#ifndef OMR_BPF_COUNTERS_H
#define OMR_BPF_COUNTERS_H

#include "maps.h"

/* The WAN an interface belongs to, or NULL when it is not one of ours. */
static __always_inline __u32 *wan_of_ifindex(__u32 ifindex)
{
	return bpf_map_lookup_elem(&wan_ifindex, &ifindex);
}

/*
 * skb->len includes the link-layer header at both hooks (cls_bpf pushes it
 * back at ingress), which is what software devices count in their own
 * statistics.  A GSO packet counts as one, as veth and bridges count it.
 */
static __always_inline void count_tx(__u32 wan_idx, __u32 len)
{
	struct wan_counters *c = bpf_map_lookup_elem(&wan_counters, &wan_idx);

	if (c) {
		c->tx_bytes += len;
		c->tx_packets++;
	}
}

static __always_inline void count_rx(__u32 wan_idx, __u32 len)
{
	struct wan_counters *c = bpf_map_lookup_elem(&wan_counters, &wan_idx);

	if (c) {
		c->rx_bytes += len;
		c->rx_packets++;
	}
}

#endif
