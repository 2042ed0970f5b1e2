/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing for the tc datapath: just enough of the IPv4/IPv6 and
 * TCP/UDP headers to name a flow, by direct packet access (the headers of
 * a packet at a tc hook are in the linear area; when they are not, one
 * bpf_skb_pull_data() makes them so).  ICMP errors are parsed apart, on
 * the slow path, with bpf_skb_load_bytes().
 */
#ifndef OMR_BPF_PARSE_H
#define OMR_BPF_PARSE_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "omr_steer_abi.h"

#ifndef TC_ACT_UNSPEC
#define TC_ACT_UNSPEC		(-1)
#endif
#define TC_ACT_OK		0
#define TC_ACT_SHOT		2
#define TC_ACT_REDIRECT		7

#define ETH_HLEN		14
#define ETH_P_IP		0x0800
#define ETH_P_IPV6		0x86DD
#define AF_INET			2
#define AF_INET6		10
#define IPPROTO_ICMPV6		58

#define IP_MF			0x2000
#define IP_OFFSET		0x1fff

#define TCP_F_FIN		0x01
#define TCP_F_SYN		0x02
#define TCP_F_RST		0x04
#define TCP_F_ACK		0x10
#define TCPOPT_MSS		2
#define TCPOPT_MPTCP		30

/* Offsets inside the headers, for the rewrite helpers. */
#define IP4_CSUM_OFF		10
#define IP4_SADDR_OFF		12
#define IP4_DADDR_OFF		16
#define IP6_SADDR_OFF		8
#define IP6_DADDR_OFF		24
#define TCP_CSUM_OFF		16
#define UDP_CSUM_OFF		6
#define ICMP_CSUM_OFF		2

/* Deepest header we read directly: Ethernet + IPv4 with options + TCP. */
#define PARSE_PULL_LEN		(ETH_HLEN + 60 + 20)

/* A TCP/UDP/ICMP packet, its flow key in packet order (source = sender). */
struct pkt {
	__u32 l3_off;
	__u32 l4_off;
	__u8 family;			/* AF_INET or AF_INET6 */
	__u8 proto;			/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6) */
	__u8 tcp_flags;
	__u8 tcp_hlen;			/* TCP header length in bytes */
	struct flow_key key;		/* ports 0 for ICMP */
};

#define PARSE_OK		0
#define PARSE_NOT_FLOW		1	/* not IP, a fragment, another protocol, short */

static __always_inline void addr_v4_mapped(__be32 *dst, __be32 v4)
{
	dst[0] = 0;
	dst[1] = 0;
	dst[2] = bpf_htonl(0x0000ffff);
	dst[3] = v4;
}

static __always_inline void addr_copy(__be32 *dst, const __be32 *src)
{
	dst[0] = src[0];
	dst[1] = src[1];
	dst[2] = src[2];
	dst[3] = src[3];
}

static __always_inline bool addr_eq(const __be32 *a, const __be32 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

/*
 * Parse from the L3 header at @l3_off (0 on devices without a link-layer
 * header, ETH_HLEN on Ethernet).  Fills @p for TCP, UDP, ICMP and ICMPv6;
 * anything else, fragments and IPv6 extension headers are PARSE_NOT_FLOW.
 */
static __always_inline int parse_l3_l4(struct __sk_buff *skb, __u32 l3_off, struct pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *l4;

	if (l3_off > ETH_HLEN)
		return PARSE_NOT_FLOW;
	p->l3_off = l3_off;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + l3_off;
		__u32 ihl;

		if ((void *)(ip + 1) > data_end)
			return PARSE_NOT_FLOW;
		ihl = ip->ihl * 4;
		if (ip->version != 4 || ihl < sizeof(*ip))
			return PARSE_NOT_FLOW;
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return PARSE_NOT_FLOW;
		p->family = AF_INET;
		p->proto = ip->protocol;
		addr_v4_mapped(p->key.saddr, ip->saddr);
		addr_v4_mapped(p->key.daddr, ip->daddr);
		l4 = (__u8 *)ip + ihl;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + l3_off;

		if ((void *)(ip6 + 1) > data_end)
			return PARSE_NOT_FLOW;
		p->family = AF_INET6;
		p->proto = ip6->nexthdr;
		__builtin_memcpy(p->key.saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->key.daddr, &ip6->daddr, 16);
		l4 = (__u8 *)(ip6 + 1);
	} else {
		return PARSE_NOT_FLOW;
	}
	p->l4_off = l4 - (__u8 *)data;
	p->key.proto = p->proto;
	p->key.kind = FLOW_KIND_ORIG;
	p->key.pad[0] = p->key.pad[1] = 0;
	p->tcp_flags = 0;
	p->tcp_hlen = 0;

	if (p->proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		if ((void *)(th + 1) > data_end)
			return PARSE_NOT_FLOW;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->tcp_flags = l4[13];
		p->tcp_hlen = th->doff * 4;
		return PARSE_OK;
	}
	if (p->proto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)l4;

		if ((void *)(uh + 1) > data_end)
			return PARSE_NOT_FLOW;
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
		return PARSE_OK;
	}
	if ((p->proto == IPPROTO_ICMP && p->family == AF_INET) ||
	    (p->proto == IPPROTO_ICMPV6 && p->family == AF_INET6)) {
		if (l4 + 8 > (__u8 *)data_end)
			return PARSE_NOT_FLOW;
		p->key.sport = 0;
		p->key.dport = 0;
		return PARSE_OK;
	}
	return PARSE_NOT_FLOW;
}

/* parse_l3_l4(), pulling the headers into the linear area once if needed. */
static __always_inline int parse_packet(struct __sk_buff *skb, __u32 l3_off, struct pkt *p)
{
	int ret = parse_l3_l4(skb, l3_off, p);

	if (ret == PARSE_OK || skb->data_end - skb->data >= PARSE_PULL_LEN ||
	    skb->data_end - skb->data >= skb->len)
		return ret;
	if (bpf_skb_pull_data(skb, skb->len < PARSE_PULL_LEN ? skb->len : PARSE_PULL_LEN))
		return PARSE_NOT_FLOW;
	return parse_l3_l4(skb, l3_off, p);
}

/*
 * Does the TCP header at @l4_off, @hlen bytes long, carry an MPTCP option
 * (MP_CAPABLE or MP_JOIN on a SYN)?  Asked of SYNs only, so the walk is paid
 * once per connection.  A global function: the verifier walks the option
 * loop once, on its own, not once per path through the caller.
 */
__noinline int tcp_has_mptcp_option(struct __sk_buff *skb, __u32 l4_off, __u32 hlen)
{
	__u8 opts[64] = {};	/* 40 bytes of options at most; indexes are masked to 63 */
	__u32 len, i = 0;

	if (!skb)
		return 0;
	len = (hlen - 20) & 63;
	if (len == 0 || len > 40)
		return 0;
	if (bpf_skb_load_bytes(skb, l4_off + 20, opts, len))
		return 0;
	while (i < len && i < 40) {
		__u32 at = i;
		__u8 kind, olen;

		asm volatile("" : "+r"(at));	/* keep the mask: the verifier needs it */
		at &= 63;
		kind = opts[at];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (kind == TCPOPT_MPTCP)
			return 1;
		at = (at + 1) & 63;
		olen = opts[at];
		if (olen < 2)
			break;
		i += olen;
	}
	return 0;
}

/*
 * Lower the MSS option of the TCP SYN at @l4_off (@hlen header bytes) to
 * @max_mss, fixing the checksum.  A flow moved to a WAN whose MTU is
 * smaller than its route's would otherwise lose its full-size packets:
 * the redirect skips the IP layer that answers "fragmentation needed".
 * Returns 1 when the option was lowered, 0 when not needed, -1 on error.
 * A global function (its option walk is verified once).
 */
__noinline int tcp_clamp_mss(struct __sk_buff *skb, __u32 l4_off, __u32 hlen, __u32 max_mss)
{
	__u8 opts[64] = {};	/* 40 bytes of options at most; indexes are masked to 63 */
	__u32 len, i = 0;

	if (!skb || !max_mss || max_mss > 0xffff)
		return 0;
	len = (hlen - 20) & 63;
	if (len == 0 || len > 40)
		return 0;
	if (bpf_skb_load_bytes(skb, l4_off + 20, opts, len))
		return -1;
	while (i < len && i < 40) {
		__u32 at = i, vat;
		__u8 kind, olen;
		__u16 old_mss;
		__be16 from, to;

		asm volatile("" : "+r"(at));	/* keep the mask: the verifier needs it */
		at &= 63;
		kind = opts[at];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		vat = (at + 1) & 63;
		olen = opts[vat];
		if (olen < 2)
			break;
		if (kind != TCPOPT_MSS || olen != 4 || i + 4 > len) {
			i += olen;
			continue;
		}
		old_mss = ((__u16)opts[(at + 2) & 63] << 8) | opts[(at + 3) & 63];
		if (old_mss <= max_mss)
			return 0;
		from = bpf_htons(old_mss);
		to = bpf_htons(max_mss);
		/* a 16-bit field at an odd offset counts byte-swapped in the checksum */
		if (((20 + i + 2) & 1) == 0) {
			if (bpf_l4_csum_replace(skb, l4_off + TCP_CSUM_OFF, from, to, 2))
				return -1;
		} else if (bpf_l4_csum_replace(skb, l4_off + TCP_CSUM_OFF,
					       (__be16)((from >> 8) | (from << 8)),
					       (__be16)((to >> 8) | (to << 8)), 2)) {
			return -1;
		}
		if (bpf_skb_store_bytes(skb, l4_off + 20 + i + 2, &to, 2, 0))
			return -1;
		return 1;
	}
	return 0;
}

#endif
