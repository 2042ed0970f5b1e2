/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Does a new flow match an application class rule (struct class_rule,
 * include/omr_steer_abi.h)?  Shared by the datapath (bpf/lib/class.h) and
 * user space (src/classes.c, tests/unit/test_classes.c), so that the rules
 * the unit tests check are the rules the kernel runs.
 *
 * A rule matches when every field it names matches: protocol, source and
 * destination port ranges, DSCP, source and destination prefixes.  Ports
 * are in host order; addresses in flow_key order (IPv4 as ::ffff:a.b.c.d),
 * so an IPv4 prefix never matches an IPv6 flow and the other way round.
 */
#ifndef OMR_CLASS_MATCH_H
#define OMR_CLASS_MATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "omr_steer_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The fields of a new flow a rule can look at. */
struct class_flow {
	const __be32 *saddr;		/* 4 words, flow_key order */
	const __be32 *daddr;
	__u16 sport, dport;		/* host order */
	__u8 proto;
	__u8 dscp;			/* 0..63 */
};

static __always_inline int class_prefix_matches(const __be32 *addr, const __be32 *net,
						const __be32 *mask)
{
	return ((addr[0] & mask[0]) == net[0]) & ((addr[1] & mask[1]) == net[1]) &
	       ((addr[2] & mask[2]) == net[2]) & ((addr[3] & mask[3]) == net[3]);
}

static __always_inline int class_rule_matches(const struct class_rule *r,
					      const struct class_flow *f)
{
	__u32 fl = r->flags;

	if ((fl & CLASS_RULE_F_PROTO) && r->proto != f->proto)
		return 0;
	if ((fl & CLASS_RULE_F_DPORT) && (f->dport < r->dport_lo || f->dport > r->dport_hi))
		return 0;
	if ((fl & CLASS_RULE_F_SPORT) && (f->sport < r->sport_lo || f->sport > r->sport_hi))
		return 0;
	if ((fl & CLASS_RULE_F_DSCP) && r->dscp != f->dscp)
		return 0;
	if ((fl & CLASS_RULE_F_DST) && !class_prefix_matches(f->daddr, r->dst, r->dst_mask))
		return 0;
	if ((fl & CLASS_RULE_F_SRC) && !class_prefix_matches(f->saddr, r->src, r->src_mask))
		return 0;
	return 1;
}

#endif
