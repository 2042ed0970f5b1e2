/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Address and port translation of steered flows, and the redirect to the
 * chosen WAN.  Checksums are fixed with the kernel helpers only:
 *
 *  - an address in the IPv4 header: the IPv4 header checksum, and the
 *    TCP/UDP checksum through its pseudo-header (BPF_F_PSEUDO_HDR);
 *  - an IPv6 address: the TCP/UDP (or ICMPv6) pseudo-header, by the
 *    bpf_csum_diff() of the 16 bytes;
 *  - a port: the TCP/UDP checksum;
 *  - UDP: BPF_F_MARK_MANGLED_0 keeps a zero checksum (IPv4 "none") zero and
 *    never produces one.
 *
 * Bytes are stored without BPF_F_RECOMPUTE_CSUM: every change is balanced
 * by its checksum field inside the same packet, so a CHECKSUM_COMPLETE sum
 * stays right, and BPF_F_PSEUDO_HDR adjusts it for pseudo-header changes.
 * Fields inside an ICMP error's quoted packet are fixed with
 * bpf_l3_csum_replace(), which only does the arithmetic on the field.
 */
#ifndef OMR_BPF_NAT_H
#define OMR_BPF_NAT_H

#include "parse.h"

#define NAT_OK			0
#define NAT_UNTOUCHED		1	/* failed before changing anything: pass as is */
#define NAT_BROKEN		2	/* failed half-way: the packet must be dropped */

/* Marks a packet we redirected, for our program on the target's egress. */
#define NAT_CB_MARK0		0x6f6d7273U	/* "omrs" */
#define NAT_CB_MARK1		0x74656572U	/* "teer" */

static __always_inline __u32 l4_csum_off(const struct pkt *p)
{
	return p->l4_off + (p->proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
}

static __always_inline __u64 l4_csum_flags(const struct pkt *p)
{
	return p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
}

/*
 * Rewrite the source (@source) or destination address and port of the
 * TCP/UDP packet @p from @old_addr/@old_port to @new_addr/@new_port.
 */
static __always_inline int nat_rewrite(struct __sk_buff *skb, const struct pkt *p, bool source,
				       const __be32 *old_addr, const __be32 *new_addr,
				       __be16 old_port, __be16 new_port)
{
	__u32 csum_off = l4_csum_off(p);
	__u64 csum_flags = l4_csum_flags(p);
	bool touched = false;

	if (!addr_eq(old_addr, new_addr)) {
		if (p->family == AF_INET) {
			__be32 from = old_addr[3], to = new_addr[3];
			__u32 off = p->l3_off + (source ? IP4_SADDR_OFF : IP4_DADDR_OFF);

			if (bpf_l4_csum_replace(skb, csum_off, from, to,
						csum_flags | BPF_F_PSEUDO_HDR | sizeof(to)))
				return NAT_UNTOUCHED;
			touched = true;
			if (bpf_l3_csum_replace(skb, p->l3_off + IP4_CSUM_OFF, from, to,
						sizeof(to)) ||
			    bpf_skb_store_bytes(skb, off, &to, sizeof(to), 0))
				return NAT_BROKEN;
		} else {
			__u32 off = p->l3_off + (source ? IP6_SADDR_OFF : IP6_DADDR_OFF);
			__s64 diff = bpf_csum_diff((__be32 *)old_addr, 16, (__be32 *)new_addr,
						   16, 0);

			if (diff < 0 || bpf_l4_csum_replace(skb, csum_off, 0, diff,
							    csum_flags | BPF_F_PSEUDO_HDR))
				return NAT_UNTOUCHED;
			touched = true;
			if (bpf_skb_store_bytes(skb, off, new_addr, 16, 0))
				return NAT_BROKEN;
		}
	}
	if (old_port != new_port) {
		if (bpf_l4_csum_replace(skb, csum_off, old_port, new_port,
					csum_flags | sizeof(new_port)))
			return touched ? NAT_BROKEN : NAT_UNTOUCHED;
		if (bpf_skb_store_bytes(skb, p->l4_off + (source ? 0 : 2), &new_port,
					sizeof(new_port), 0))
			return NAT_BROKEN;
	}
	return NAT_OK;
}

/* Replace the 16-bit field at @off by @to, fixing the ICMP checksum at @icmp_csum. */
static __always_inline int icmp_store16(struct __sk_buff *skb, __u32 icmp_csum, __u32 off,
					__be16 from, __be16 to)
{
	if (from == to)
		return 0;
	if (bpf_l3_csum_replace(skb, icmp_csum, from, to, sizeof(to)))
		return -1;
	return bpf_skb_store_bytes(skb, off, &to, sizeof(to), 0);
}

/* Apply the checksum difference of an address change to a checksum field. */
static __always_inline int csum_field_addr(struct __sk_buff *skb, __u32 off, __u8 family,
					   const __be32 *from, const __be32 *to)
{
	if (family == AF_INET)
		return bpf_l3_csum_replace(skb, off, from[3], to[3], sizeof(__be32));
	return bpf_l3_csum_replace(skb, off, 0,
				   bpf_csum_diff((__be32 *)from, 16, (__be32 *)to, 16, 0), 0);
}

/*
 * An ICMP/ICMPv6 error about a translated flow.  @to_orig: it arrived on the
 * flow's WAN, about a packet we sent: the outer destination and the quoted
 * packet's source address and port get their original values back.
 * Otherwise it is leaving, about a packet we received (a LAN host's port
 * unreachable, the router's fragmentation needed): the outer source and
 * the quoted destination address and port are translated.  @from/@to are
 * the address before and after (outer and quoted alike), @from_port/@to_port
 * the quoted port; @inner_l3/@inner_l4 the quoted headers, @inner_proto TCP
 * or UDP.
 */
static __always_inline int nat_icmp_error(struct __sk_buff *skb, const struct pkt *p,
					  bool to_orig, __u32 inner_l3, __u32 inner_l4,
					  __u8 inner_proto, const __be32 *from, const __be32 *to,
					  __be16 from_port, __be16 to_port)
{
	__u32 icmp_csum = p->l4_off + ICMP_CSUM_OFF;
	__u32 inner_csum = inner_l4 + (inner_proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
	__u32 outer_off = p->l3_off + (p->family == AF_INET ?
				       (to_orig ? IP4_DADDR_OFF : IP4_SADDR_OFF) :
				       (to_orig ? IP6_DADDR_OFF : IP6_SADDR_OFF));
	__u32 inner_off = inner_l3 + (p->family == AF_INET ?
				      (to_orig ? IP4_SADDR_OFF : IP4_DADDR_OFF) :
				      (to_orig ? IP6_SADDR_OFF : IP6_DADDR_OFF));
	__u32 port_off = inner_l4 + (to_orig ? 0 : 2);
	__be16 old_csum = 0, new_csum = 0;
	bool has_l4_csum = false;

	/* The quoted transport checksum, when the quote reaches it. */
	if (inner_csum + 2 <= skb->len &&
	    !bpf_skb_load_bytes(skb, inner_csum, &old_csum, sizeof(old_csum)))
		has_l4_csum = !(inner_proto == IPPROTO_UDP && old_csum == 0);

	if (!addr_eq(from, to)) {
		/* the outer address */
		if (p->family == AF_INET) {
			if (bpf_l3_csum_replace(skb, p->l3_off + IP4_CSUM_OFF, from[3], to[3],
						sizeof(__be32)))
				return NAT_UNTOUCHED;
			if (bpf_skb_store_bytes(skb, outer_off, &to[3], sizeof(__be32), 0))
				return NAT_BROKEN;
		} else {
			__s64 diff = bpf_csum_diff((__be32 *)from, 16, (__be32 *)to, 16, 0);

			/* the ICMPv6 checksum covers the outer addresses */
			if (bpf_l4_csum_replace(skb, icmp_csum, 0, diff, BPF_F_PSEUDO_HDR))
				return NAT_UNTOUCHED;
			if (bpf_skb_store_bytes(skb, outer_off, to, 16, 0))
				return NAT_BROKEN;
		}

		/* the quoted address, and the quoted IPv4 header checksum */
		if (csum_field_addr(skb, icmp_csum, p->family, from, to))
			return NAT_BROKEN;
		if (p->family == AF_INET) {
			__be16 old_ipcsum, new_ipcsum;

			if (bpf_skb_load_bytes(skb, inner_l3 + IP4_CSUM_OFF, &old_ipcsum, 2) ||
			    bpf_l3_csum_replace(skb, inner_l3 + IP4_CSUM_OFF, from[3], to[3],
						sizeof(__be32)) ||
			    bpf_skb_load_bytes(skb, inner_l3 + IP4_CSUM_OFF, &new_ipcsum, 2) ||
			    bpf_l3_csum_replace(skb, icmp_csum, old_ipcsum, new_ipcsum, 2) ||
			    bpf_skb_store_bytes(skb, inner_off, &to[3], sizeof(__be32), 0))
				return NAT_BROKEN;
		} else {
			if (bpf_skb_store_bytes(skb, inner_off, to, 16, 0))
				return NAT_BROKEN;
		}
		if (has_l4_csum && csum_field_addr(skb, inner_csum, p->family, from, to))
			return NAT_BROKEN;
	}

	/* the quoted port */
	if (from_port != to_port) {
		if (has_l4_csum &&
		    bpf_l3_csum_replace(skb, inner_csum, from_port, to_port, sizeof(to_port)))
			return NAT_BROKEN;
		if (icmp_store16(skb, icmp_csum, port_off, from_port, to_port))
			return NAT_BROKEN;
	}

	/* the ICMP checksum covers the quoted transport checksum we changed */
	if (has_l4_csum) {
		if (bpf_skb_load_bytes(skb, inner_csum, &new_csum, sizeof(new_csum)) ||
		    bpf_l3_csum_replace(skb, icmp_csum, old_csum, new_csum, sizeof(new_csum)))
			return NAT_BROKEN;
	}
	return NAT_OK;
}

/*
 * Send the packet out of WAN @w through its gateway: bpf_redirect_neigh()
 * resolves the gateway's link-layer address (or the kernel routes by oif
 * when the gateway is unknown, e.g. point-to-point links).  A packet from
 * a device without a link-layer header gets room for one first, which the
 * helper needs to strip.  @cb marks it for our program on @w's egress.
 */
static __always_inline int nat_redirect(struct __sk_buff *skb, const struct steer_wan *w,
					__u8 family, bool from_l2)
{
	struct bpf_redir_neigh nh = {};

	if (!from_l2 && bpf_skb_change_head(skb, ETH_HLEN, 0))
		return TC_ACT_SHOT;
	skb->cb[0] = NAT_CB_MARK0;
	skb->cb[1] = NAT_CB_MARK1;
	if (family == AF_INET && (w->flags & STEER_WAN_F_GW4)) {
		nh.nh_family = AF_INET;
		nh.ipv4_nh = w->gw4;
		return bpf_redirect_neigh(w->ifindex, &nh, sizeof(nh), 0);
	}
	if (family == AF_INET6 && (w->flags & STEER_WAN_F_GW6)) {
		nh.nh_family = AF_INET6;
		__builtin_memcpy(nh.ipv6_nh, w->gw6, 16);
		return bpf_redirect_neigh(w->ifindex, &nh, sizeof(nh), 0);
	}
	return bpf_redirect_neigh(w->ifindex, NULL, 0, 0);
}

/* Was this packet redirected here by nat_redirect()?  Clears the mark. */
static __always_inline bool nat_take_redirect_mark(struct __sk_buff *skb)
{
	if (skb->cb[0] != NAT_CB_MARK0 || skb->cb[1] != NAT_CB_MARK1)
		return false;
	skb->cb[0] = 0;
	skb->cb[1] = 0;
	return true;
}

#endif
