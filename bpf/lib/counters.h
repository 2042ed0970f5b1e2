/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where a packet is counted: per-WAN, per-CPU, no atomics on the hot path.
 * Received packets are counted by the tc ingress program, sent ones by
 * omr_xmit on tp_btf/net_dev_xmit (bpf/steer.bpf.c), after the qdisc.
 *
 * What the transmit tracepoint can miss (issue 9).  On a stock kernel,
 * nothing: in the test VM (Linux 6.12, `make vmtest`,
 * tests/vm/test_xmit_counter.sh) omr-steer's tx equals the interface's
 * counter to the byte with tbf on the WAN, and did so too in 3 uploads
 * while another tp_btf/net_dev_xmit program was attached and detached
 * ~110 times (other agents starting and stopping; the tracepoint's
 * probe-array and static call transitions skipped no packet; a second such
 * run crashed the TCG guest while the call site was re-patched, so this is
 * not in the test).  On the shared test
 * machine (a Firecracker sandbox kernel, 6.18-fc) BPF tracing programs do
 * not run at all in softirqs that interrupted a thread of PID 1 (the
 * sandbox's own agent, process_api): every transmit made there (seen: a
 * tbf shaper's, sent from its watchdog's softirq; forwarded packets leave
 * from NET_RX softirqs, which can run there too) is missed by every tp_btf program (omr_xmit and an independent one
 * alike, recursion_misses 0), while ftrace's net_dev_xmit event and the
 * interface count it.  In 8 runs of scripts/lab/xmit_trace_check.sh
 * (8mbit, 3.2 MB upload): 55 of 10009 transmits ran in that context and
 * exactly those 55 were missed; the more the sandbox's agent works (many
 * parallel test runs), the more (0 to 2.5 % of a WAN's tx bytes).  A
 * router has no such process; tests that compare tx with the interface
 * run a second BPF counter (tests/tools/xmit_count.c) and SKIP, naming the
 * kernel, when it saw no more than omr-steer.  fentry/fexit would not
 * help: this kernel refuses them (EPERM), and routers' MIPS targets have
 * no BPF trampolines.
 */
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
