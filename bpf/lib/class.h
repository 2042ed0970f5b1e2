/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Application classes in the datapath: which WANs a new flow may take.
 *
 * Once per new flow (never on a known flow's packets): the rules of
 * steer_classes, in the weight file's order, first match wins (the match
 * itself is include/class_match.h, shared with the unit tests).  The
 * class's WAN set is the agent's: it turns `lowest-rtt`, `wan NAME` and
 * `prefer A B ...` into WANs every interval and whenever a WAN changes, so
 * that no RTT or priority list is looked at here.  The flow then gets the
 * usual weighted choice within that set; when none of the set can take new
 * flows it gets the weighted choice over every WAN that can.
 */
#ifndef OMR_BPF_CLASS_H
#define OMR_BPF_CLASS_H

#include "maps.h"
#include "parse.h"
#include "class_match.h"

/*
 * The WANs of the class of @p's flow, of those in @usable; @usable itself
 * when no rule matches or the class has none of them.  A global function:
 * verified once, its loop on its own.
 */
__noinline __u32 class_wans(struct __sk_buff *skb, const struct pkt *p, __u32 usable)
{
	struct steer_classes *sc;
	struct class_flow f;
	__u32 key = 0, n;
	__u8 tos[2];

	if (!skb || !p)
		return usable;
	sc = bpf_map_lookup_elem(&steer_classes, &key);
	if (!sc || !sc->n_rules)
		return usable;
	if (bpf_skb_load_bytes(skb, p->l3_off, tos, sizeof(tos)))
		return usable;
	/* IPv4: the TOS byte; IPv6: the traffic class across the first two bytes */
	f.dscp = p->family == AF_INET ? tos[1] >> 2 : ((tos[0] & 0x0f) << 2) | (tos[1] >> 6);
	f.saddr = p->key.saddr;
	f.daddr = p->key.daddr;
	f.sport = bpf_ntohs(p->key.sport);
	f.dport = bpf_ntohs(p->key.dport);
	f.proto = p->proto;
	n = sc->n_rules;
	for (__u32 i = 0; i < OMR_MAX_CLASS_RULES; i++) {
		const struct class_rule *r;
		__u32 id, wans;
		__u64 *hits;

		if (i >= n)
			break;
		r = &sc->rules[i];
		if (!class_rule_matches(r, &f))
			continue;
		hits = bpf_map_lookup_elem(&class_hits, &i);
		if (hits)
			(*hits)++;
		id = r->class_id & (OMR_MAX_CLASSES - 1);
		wans = (p->family == AF_INET ? sc->mask4[id] : sc->mask6[id]) & usable;
		return wans ? wans : usable;
	}
	return usable;
}

#endif
