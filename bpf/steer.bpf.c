// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The tc datapath attached to the clsact egress and ingress hooks of every
 * WAN.  Thin entry programs over bpf/lib/: count the packet per WAN, and
 * hand it on unchanged (TC_ACT_UNSPEC lets later filters run).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/counters.h"

#ifndef TC_ACT_UNSPEC
#define TC_ACT_UNSPEC (-1)
#endif

SEC("tc")
int omr_egress(struct __sk_buff *skb)
{
	__u32 *wan_idx = wan_of_ifindex(skb->ifindex);

	if (wan_idx)
		count_tx(*wan_idx, skb->len);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int omr_ingress(struct __sk_buff *skb)
{
	__u32 *wan_idx = wan_of_ifindex(skb->ifindex);

	if (wan_idx)
		count_rx(*wan_idx, skb->len);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
