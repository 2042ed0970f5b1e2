// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Flow steering checked in the kernel with BPF_PROG_TEST_RUN: crafted
 * IPv4/IPv6 TCP/UDP packets through the egress and ingress programs.  Every
 * expected packet is built from scratch by this file, checksums computed
 * here, and compared with what the program made of the original byte by
 * byte.  The maps are the program's own (unpinned): a test never touches a
 * running agent.
 *
 * Under test_run bpf_redirect_neigh() only records the target and returns
 * TC_ACT_REDIRECT (7): no packet leaves, so a redirect is checked through
 * the verdict, the rewritten bytes and the mark left in skb->cb.
 *
 * The lab: the test's packets "leave" by ifindex 1 (loopback, the device
 * test_run uses), mapped to whichever WAN a test plays:
 *   wan 0 "wan1": 10.77.1.2, fd00:77:1::2, gateway 10.77.1.1 / fe80::1
 *   wan 1 "wan2": 10.77.2.2, fd00:77:2::2, gateway 10.77.2.1 / fe80::2
 *   wan 2 "wan3": 10.77.3.2, fd00:77:3::2, weight 0 or down as a test needs
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include "classes.h"
#include "config.h"
#include "prog_test.h"
#include "test.h"

#define LO_IFINDEX	1
#define WAN2_IFINDEX	4242	/* a redirect target is only recorded under test_run */
#define WAN3_IFINDEX	4243
#define SERVER4		"198.51.100.10"
#define SERVER6		"2001:db8:100::10"
#define CB_MARK0	0x6f6d7273U
#define CB_MARK1	0x74656572U

static const char *const wan_addr4[] = { "10.77.1.2", "10.77.2.2", "10.77.3.2" };
static const char *const wan_addr6[] = { "fd00:77:1::2", "fd00:77:2::2", "fd00:77:3::2" };
static const char *const wan_gw4[] = { "10.77.1.1", "10.77.2.1", "10.77.3.1" };
static const char *const wan_gw6[] = { "fe80::1", "fe80::2", "fe80::3" };
static const __u32 wan_ifindexes[] = { LO_IFINDEX, WAN2_IFINDEX, WAN3_IFINDEX };

struct lab {
	struct steer_bpf *skel;
	int egress, ingress;
	int flows, cfg, wans, ifindex, rules, inbound, load, ifcache;
	bool no_cache;			/* leave steer_ifcache empty */
	struct steer_cfg c;
};

/* ---- packets ----------------------------------------------------------------- */

struct spec {
	int family;			/* AF_INET, AF_INET6 */
	int proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	const char *src, *dst;
	__u16 sport, dport;
	__u8 tcp_flags;			/* TCP_FLAG_* bits of byte 13 */
	const __u8 *tcp_opts;		/* a multiple of 4 bytes */
	int tcp_opts_len;
	int payload;
	bool udp_no_csum;		/* IPv4 UDP without checksum */
	__u8 dscp;			/* DSCP code point (TOS / traffic class >> 2) */
};

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static __u32 sum16(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The TCP/UDP/ICMPv6 checksum over a pseudo-header and @len bytes at @l4. */
static __u16 l4_csum(int family, const void *saddr, const void *daddr, int proto,
		     const void *l4, size_t len)
{
	__u32 sum = 0;

	if (family == AF_INET) {
		sum = sum16(saddr, 4, sum);
		sum = sum16(daddr, 4, sum);
	} else {
		sum = sum16(saddr, 16, sum);
		sum = sum16(daddr, 16, sum);
	}
	sum += proto;
	sum += (__u32)len;
	return fold(sum16(l4, len, sum));
}

static void pton(int family, const char *s, void *dst)
{
	if (inet_pton(family, s, dst) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		abort();
	}
}

/*
 * An IP packet (no link-layer header) as @s says, checksums right, at @out
 * (any alignment: an IP header after a 14-byte Ethernet header is not
 * 4-byte aligned, so the headers are written in an aligned buffer first).
 */
static __u32 build_ip(unsigned char *out, const struct spec *s)
{
	unsigned char buf[2048] __attribute__((aligned(8)));
	__u32 l3len = s->family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	__u32 l4len = s->proto == IPPROTO_TCP ? sizeof(struct tcphdr) + s->tcp_opts_len
					      : sizeof(struct udphdr);
	unsigned char *l4 = buf + l3len;
	__u32 len = l3len + l4len + s->payload;
	unsigned char saddr[16], daddr[16];

	memset(buf, 0, len);
	pton(s->family, s->src, saddr);
	pton(s->family, s->dst, daddr);
	for (int i = 0; i < s->payload; i++)
		l4[l4len + i] = (unsigned char)(i * 13 + 7);
	if (s->proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(s->sport);
		th->dest = htons(s->dport);
		th->seq = htonl(0x01020304);
		th->ack_seq = (s->tcp_flags & F_ACK) ? htonl(0x0a0b0c0d) : 0;
		th->doff = l4len / 4;
		l4[13] = s->tcp_flags;
		th->window = htons(64240);
		if (s->tcp_opts_len)
			memcpy(l4 + sizeof(*th), s->tcp_opts, s->tcp_opts_len);
		th->check = htons(l4_csum(s->family, saddr, daddr, IPPROTO_TCP, l4,
					  l4len + s->payload));
	} else {
		struct udphdr *uh = (void *)l4;
		__u16 c;

		uh->source = htons(s->sport);
		uh->dest = htons(s->dport);
		uh->len = htons(l4len + s->payload);
		c = l4_csum(s->family, saddr, daddr, IPPROTO_UDP, l4, l4len + s->payload);
		uh->check = s->udp_no_csum ? 0 : htons(c ? c : 0xffff);
	}
	if (s->family == AF_INET) {
		struct iphdr *ip = (void *)buf;

		ip->version = 4;
		ip->ihl = 5;
		ip->tos = s->dscp << 2;
		ip->tot_len = htons(len);
		ip->id = htons(0x1234);
		ip->frag_off = htons(0x4000);	/* DF */
		ip->ttl = 63;
		ip->protocol = s->proto;
		memcpy(&ip->saddr, saddr, 4);
		memcpy(&ip->daddr, daddr, 4);
		ip->check = htons(fold(sum16(ip, sizeof(*ip), 0)));
	} else {
		struct ipv6hdr *ip6 = (void *)buf;

		ip6->version = 6;
		ip6->priority = (s->dscp << 2) >> 4;		/* traffic class, high nibble */
		ip6->flow_lbl[0] = ((s->dscp << 2) & 0x0f) << 4;	/* its low nibble */
		ip6->payload_len = htons(l4len + s->payload);
		ip6->nexthdr = s->proto;
		ip6->hop_limit = 63;
		memcpy(&ip6->saddr, saddr, 16);
		memcpy(&ip6->daddr, daddr, 16);
	}
	memcpy(out, buf, len);
	return len;
}

static __u32 add_eth(unsigned char *frame, const unsigned char *ip, __u32 len, int family)
{
	struct ethhdr *eth = (void *)frame;

	memcpy(eth->h_dest, "\x02\x00\x00\x00\x01\x01", ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x01\x02", ETH_ALEN);
	eth->h_proto = htons(family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	memcpy(frame + sizeof(*eth), ip, len);
	return len + sizeof(*eth);
}

/* An Ethernet frame as @s says. */
static __u32 build_frame(unsigned char *frame, const struct spec *s)
{
	unsigned char ip[2048];
	__u32 len = build_ip(ip, s);

	return add_eth(frame, ip, len, s->family);
}

/*
 * An ICMP (type 3 code 4, fragmentation needed) or ICMPv6 (type 2, packet
 * too big) error from @from to @to quoting the first @quote bytes of the
 * packet @inner (as built by build_ip).
 */
static __u32 build_icmp_error(unsigned char *frame, int family, const char *from, const char *to,
			      const unsigned char *inner, __u32 quote)
{
	unsigned char buf[2048] __attribute__((aligned(8))), saddr[16], daddr[16];
	__u32 l3len = family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	unsigned char *icmp = buf + l3len;
	__u32 icmp_len = 8 + quote, len = l3len + icmp_len;

	memset(buf, 0, len);
	pton(family, from, saddr);
	pton(family, to, daddr);
	memcpy(icmp + 8, inner, quote);
	if (family == AF_INET) {
		struct iphdr *ip = (void *)buf;

		icmp[0] = 3;	/* destination unreachable */
		icmp[1] = 4;	/* fragmentation needed */
		icmp[6] = 1400 >> 8;
		icmp[7] = 1400 & 0xff;
		*(__u16 *)(icmp + 2) = htons(fold(sum16(icmp, icmp_len, 0)));
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(len);
		ip->ttl = 60;
		ip->protocol = IPPROTO_ICMP;
		memcpy(&ip->saddr, saddr, 4);
		memcpy(&ip->daddr, daddr, 4);
		ip->check = htons(fold(sum16(ip, sizeof(*ip), 0)));
	} else {
		struct ipv6hdr *ip6 = (void *)buf;

		icmp[0] = 2;	/* packet too big */
		icmp[6] = 1280 >> 8;
		icmp[7] = 1280 & 0xff;
		*(__u16 *)(icmp + 2) = htons(l4_csum(AF_INET6, saddr, daddr, IPPROTO_ICMPV6,
						     icmp, icmp_len));
		ip6->version = 6;
		ip6->payload_len = htons(icmp_len);
		ip6->nexthdr = IPPROTO_ICMPV6;
		ip6->hop_limit = 60;
		memcpy(&ip6->saddr, saddr, 16);
		memcpy(&ip6->daddr, daddr, 16);
	}
	return add_eth(frame, buf, len, family);
}

/* Byte-by-byte comparison that names the first differing offset. */
static bool same_bytes(const unsigned char *got, __u32 got_len, const unsigned char *want,
		       __u32 want_len, const char *what)
{
	if (!ASSERT_EQ(got_len, want_len, what))
		return false;
	for (__u32 i = 0; i < want_len; i++) {
		if (got[i] != want[i]) {
			TEST_MSG("%s: byte %u is 0x%02x, want 0x%02x", what, i, got[i], want[i]);
			test_fail();
			return false;
		}
	}
	return true;
}

/* ---- the lab ------------------------------------------------------------------ */

static void v4mapped(__be32 dst[4], const char *s)
{
	dst[0] = dst[1] = 0;
	dst[2] = htonl(0xffff);
	pton(AF_INET, s, &dst[3]);
}

static int write_cfg(struct lab *l)
{
	__u32 key = 0;

	return bpf_map_update_elem(l->cfg, &key, &l->c, BPF_ANY);
}

/*
 * Which WAN the program thinks ifindex 1 is: in wan_ifindex, and in the
 * cache in front of it as user space fills it (unless the lab tests the
 * programs without the cache).
 */
static void play_wan(struct lab *l, __u32 wan_idx)
{
	struct steer_ifslot slot = { .ifindex = LO_IFINDEX, .wan_idx = wan_idx,
				     .wan_flags = STEER_WAN_F_L2 | STEER_WAN_F_ADDR4 |
						  STEER_WAN_F_ADDR6 | STEER_WAN_F_GW4 |
						  STEER_WAN_F_GW6 };
	__u32 ifindex = LO_IFINDEX, key = LO_IFINDEX % OMR_STEER_IFCACHE_SLOTS;

	ASSERT_EQ(bpf_map_update_elem(l->ifindex, &ifindex, &wan_idx, BPF_ANY), 0, "wan_ifindex");
	if (l->no_cache)
		memset(&slot, 0, sizeof(slot));
	ASSERT_EQ(bpf_map_update_elem(l->ifcache, &key, &slot, BPF_ANY), 0, "steer_ifcache");
}

/*
 * Load the datapath unpinned with a flow table of @flows entries (0: the
 * default), with the benchmark's counting-only program if @count_only.
 */
static bool lab_load(struct lab *l, __u32 flows, bool count_only)
{
	struct bpf_map *map;

	l->skel = steer_bpf__open();
	if (!l->skel) {
		test_skip("cannot open the BPF object");
		return false;
	}
	bpf_object__for_each_map(map, l->skel->obj)
		bpf_map__set_pin_path(map, NULL);
	if (flows)
		bpf_map__set_max_entries(l->skel->maps.steer_flows, flows);
	if (count_only)
		bpf_program__set_autoload(l->skel->progs.omr_count_only, true);
	if (steer_bpf__load(l->skel)) {
		steer_bpf__destroy(l->skel);
		l->skel = NULL;
		test_skip("the kernel refused to load the datapath (not root?)");
		return false;
	}
	l->egress = bpf_program__fd(l->skel->progs.omr_egress);
	l->ingress = bpf_program__fd(l->skel->progs.omr_ingress);
	l->flows = bpf_map__fd(l->skel->maps.steer_flows);
	l->cfg = bpf_map__fd(l->skel->maps.steer_cfg);
	l->wans = bpf_map__fd(l->skel->maps.steer_wan);
	l->ifindex = bpf_map__fd(l->skel->maps.wan_ifindex);
	l->rules = bpf_map__fd(l->skel->maps.steer_rules);
	l->inbound = bpf_map__fd(l->skel->maps.steer_inbound);
	l->load = bpf_map__fd(l->skel->maps.steer_load);
	l->ifcache = bpf_map__fd(l->skel->maps.steer_ifcache);
	return true;
}

/* Three WANs, steering on, weights @w0:@w1 (wan 2 weight 0), ifindex 1 as wan 0. */
static void lab_config(struct lab *l, __u32 w0, __u32 w1)
{
	for (__u32 i = 0; i < 3; i++) {
		struct steer_wan w = {
			.ifindex = wan_ifindexes[i],
			.flags = STEER_WAN_F_L2 | STEER_WAN_F_ADDR4 | STEER_WAN_F_ADDR6 |
				 STEER_WAN_F_GW4 | STEER_WAN_F_GW6,
		};

		pton(AF_INET, wan_addr4[i], &w.addr4);
		pton(AF_INET, wan_gw4[i], &w.gw4);
		pton(AF_INET6, wan_addr6[i], w.addr6);
		pton(AF_INET6, wan_gw6[i], w.gw6);
		ASSERT_EQ(bpf_map_update_elem(l->wans, &i, &w, BPF_ANY), 0, "steer_wan");
	}
	l->c.enabled = 1;
	l->c.weight[0] = w0;
	l->c.weight[1] = w1;
	l->c.weight[2] = 0;
	l->c.usable4 = l->c.usable6 = (w0 ? 1 : 0) | (w1 ? 2 : 0);
	l->c.fallback4 = l->c.fallback6 = 4;
	ASSERT_EQ(write_cfg(l), 0, "steer_cfg");
	play_wan(l, 0);
}

static bool lab_up(struct lab *l, __u32 flows, __u32 w0, __u32 w1)
{
	memset(l, 0, sizeof(*l));
	if (!lab_load(l, flows, false))
		return false;
	lab_config(l, w0, w1);
	return true;
}

static void lab_down(struct lab *l)
{
	if (l->skel)
		steer_bpf__destroy(l->skel);
	l->skel = NULL;
}

struct run {
	unsigned char out[2048];
	__u32 out_len;
	int verdict;
	struct __sk_buff ctx;		/* after the run */
};

/* Run @prog_fd once on @frame; @cb_mark sets the redirect mark first. */
static bool run(int prog_fd, const unsigned char *frame, __u32 len, struct run *r, bool cb_mark)
{
	struct __sk_buff ctx = { .ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame, .data_size_in = len,
		    .data_out = r->out, .data_size_out = sizeof(r->out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .ctx_out = &r->ctx, .ctx_size_out = sizeof(r->ctx),
		    .repeat = 1);

	if (cb_mark) {
		ctx.cb[0] = CB_MARK0;
		ctx.cb[1] = CB_MARK1;
	}
	memset(&r->ctx, 0, sizeof(r->ctx));
	if (!ASSERT_EQ(bpf_prog_test_run_opts(prog_fd, &opts), 0, "bpf_prog_test_run_opts"))
		return false;
	r->verdict = (int)opts.retval;
	r->out_len = opts.data_size_out;
	return true;
}

static int send_frame(struct lab *l, const struct spec *s, struct run *r)
{
	unsigned char frame[2048];
	__u32 len = build_frame(frame, s);

	if (!run(l->egress, frame, len, r, false))
		return -1;
	return r->verdict;
}

static struct wan_counters counters(struct lab *l, __u32 wan_idx)
{
	struct wan_counters sum;

	counters_sum(l->skel, wan_idx, &sum);
	return sum;
}

static __u64 steer_counter(struct lab *l, __u32 wan_idx, size_t off)
{
	int ncpus = libbpf_num_possible_cpus();
	struct wan_counters percpu[ncpus];
	__u64 sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.wan_counters), &wan_idx, percpu))
		return ~0ULL;
	for (int i = 0; i < ncpus; i++)
		sum += *(__u64 *)((char *)&percpu[i] + off);
	return sum;
}
#define STEER_COUNTER(l, i, field) steer_counter(l, i, offsetof(struct wan_counters, field))

static void key_of(struct flow_key *k, const struct spec *s, int kind)
{
	memset(k, 0, sizeof(*k));
	if (s->family == AF_INET) {
		v4mapped(k->saddr, s->src);
		v4mapped(k->daddr, s->dst);
	} else {
		pton(AF_INET6, s->src, k->saddr);
		pton(AF_INET6, s->dst, k->daddr);
	}
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
	k->kind = kind;
}

static int count_entries(int map_fd)
{
	struct flow_key k, next;
	int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* ---- translation, byte by byte ------------------------------------------------- */

/*
 * A new flow leaving wan 0 while only wan 1 may take flows: redirected to
 * wan 1 with wan 1's address, every other byte as it was.
 */
static void check_steered_rewrite(const struct spec *orig_spec)
{
	struct spec s = *orig_spec, want = *orig_spec;
	unsigned char want_frame[2048];
	__u32 want_len;
	struct flow_key k;
	struct flow_entry fe;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	want.src = s.family == AF_INET ? wan_addr4[1] : wan_addr6[1];
	want_len = build_frame(want_frame, &want);

	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "verdict: redirected to wan 1");
	same_bytes(r.out, r.out_len, want_frame, want_len, "source rewritten to wan 1's address");
	ASSERT_EQ(r.ctx.cb[0], CB_MARK0, "redirect mark for wan 1's egress");
	ASSERT_EQ(r.ctx.cb[1], CB_MARK1, "redirect mark for wan 1's egress");

	key_of(&k, &s, FLOW_KIND_ORIG);
	if (ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "flow entry")) {
		ASSERT_EQ(fe.wan_idx, 1, "flow on wan 1");
		ASSERT_EQ(fe.routed_idx, 0, "routed by wan 0");
		ASSERT_TRUE(fe.flags & FLOW_F_NAT, "translated");
		ASSERT_EQ(ntohs(fe.port), s.sport, "port kept");
	}
	key_of(&k, &want, FLOW_KIND_XLAT);
	ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0,
		  "reply entry under the translated tuple");
	ASSERT_EQ(STEER_COUNTER(&l, 1, flows_assigned), 1, "wan 1 flows_assigned");
	ASSERT_EQ(STEER_COUNTER(&l, 1, flows_steered), 1, "wan 1 flows_steered");
	ASSERT_EQ(counters(&l, 0).tx_packets, 0, "a redirected packet is not counted on wan 0");

	/* the same flow's next packet: the same translation (sticky) */
	s.tcp_flags = F_ACK | F_PSH;
	want.tcp_flags = F_ACK | F_PSH;
	s.payload = want.payload = 300;
	want_len = build_frame(want_frame, &want);
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "next packet: redirected");
	same_bytes(r.out, r.out_len, want_frame, want_len, "next packet rewritten the same way");
	ASSERT_EQ(STEER_COUNTER(&l, 1, flows_assigned), 1, "still one flow");
	lab_down(&l);
}

/* The same through wan_ifindex alone, as before user space fills the cache. */
/*
 * WANs without a link-layer header (PPP, tun, LTE raw-ip): their packets
 * start with the IP header.  test_run always takes an Ethernet frame and
 * sets skb->protocol from bytes 12-13, so these packets come from
 * addresses whose bytes 12-13 of the IP header read as the ethertype:
 * 8.0.x.x for IPv4, 2001:db8:86dd:: for IPv6 (bytes 4-5 of the source).
 * A flow moved off such a WAN gets room for a link-layer header, which
 * bpf_redirect_neigh() fills in for the target.
 */
static void l3_wan(struct lab *l, __u32 wan_idx, const char *addr4, const char *addr6)
{
	struct steer_wan w;
	__u32 key = LO_IFINDEX % OMR_STEER_IFCACHE_SLOTS, ifindex = LO_IFINDEX;
	struct steer_ifslot slot = { .ifindex = LO_IFINDEX, .wan_idx = wan_idx,
				     .wan_flags = STEER_WAN_F_ADDR4 | STEER_WAN_F_ADDR6 };

	bpf_map_lookup_elem(l->wans, &wan_idx, &w);
	w.flags &= ~(STEER_WAN_F_L2 | STEER_WAN_F_GW4 | STEER_WAN_F_GW6);
	pton(AF_INET, addr4, &w.addr4);
	pton(AF_INET6, addr6, w.addr6);
	ASSERT_EQ(bpf_map_update_elem(l->wans, &wan_idx, &w, BPF_ANY), 0, "steer_wan");
	ASSERT_EQ(bpf_map_update_elem(l->ifindex, &ifindex, &wan_idx, BPF_ANY), 0, "wan_ifindex");
	ASSERT_EQ(bpf_map_update_elem(l->ifcache, &key, &slot, BPF_ANY), 0, "steer_ifcache");
}

static void check_l3_wan(int family)
{
	const char *lan_side = family == AF_INET ? "8.0.1.2" : "2001:db8:86dd::2";
	const char *server = family == AF_INET ? "8.0.0.10" : "2001:db8:86dd::10";
	const char *wan_side = family == AF_INET ? wan_addr4[1] : wan_addr6[1];
	struct spec out = { .family = family, .proto = IPPROTO_UDP, .src = lan_side,
			    .dst = server, .sport = 40020, .dport = 53, .payload = 30 };
	struct spec reply = { .family = family, .proto = IPPROTO_UDP, .src = server,
			      .dst = wan_side, .sport = 53, .dport = 40020, .payload = 90 };
	struct spec want = out;
	unsigned char pkt[2048], want_pkt[2048];
	__u32 len, want_len;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	/* wan 0, the routed one, is a point-to-point link with lan_side as its address */
	l3_wan(&l, 0, "8.0.1.2", "2001:db8:86dd::2");
	len = build_ip(pkt, &out);
	want.src = wan_side;
	memset(want_pkt, 0, ETH_HLEN);
	want_len = ETH_HLEN + build_ip(want_pkt + ETH_HLEN, &want);
	if (run(l.egress, pkt, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_REDIRECT, "moved to wan 1");
		same_bytes(r.out, r.out_len, want_pkt, want_len,
			   "room for wan 1's link-layer header, then the translated packet");
	}
	/* the reply, on wan 1 as a headerless WAN too */
	l3_wan(&l, 1, wan_addr4[1], wan_addr6[1]);
	len = build_ip(pkt, &reply);
	want = reply;
	want.dst = lan_side;
	want_len = build_ip(want_pkt, &want);
	if (run(l.ingress, pkt, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "reply goes up the stack");
		same_bytes(r.out, r.out_len, want_pkt, want_len, "reply translated back");
	}
	lab_down(&l);
}

TEST(steer_headerless_wan_ipv4) { check_l3_wan(AF_INET); }
TEST(steer_headerless_wan_ipv6) { check_l3_wan(AF_INET6); }

TEST(steer_without_ifindex_cache)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = "10.77.1.2",
			  .dst = SERVER4, .sport = 40010, .dport = 80, .tcp_flags = F_SYN };
	struct spec want = s;
	unsigned char want_frame[2048];
	__u32 want_len;
	struct run r;
	struct lab l;

	memset(&l, 0, sizeof(l));
	l.no_cache = true;
	if (!lab_load(&l, 0, false))
		return;
	lab_config(&l, 0, 1);
	want.src = wan_addr4[1];
	want_len = build_frame(want_frame, &want);
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "redirected to wan 1");
	same_bytes(r.out, r.out_len, want_frame, want_len, "rewritten");
	ASSERT_EQ(STEER_COUNTER(&l, 1, flows_assigned), 1, "wan 1 flows_assigned");
	lab_down(&l);
}

TEST(steer_ipv4_tcp_rewrite)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = "10.77.1.2",
			.dst = SERVER4, .sport = 40000, .dport = 80, .tcp_flags = F_SYN };

	check_steered_rewrite(&s);
}

TEST(steer_ipv6_tcp_rewrite)
{
	struct spec s = { .family = AF_INET6, .proto = IPPROTO_TCP, .src = "fd00:77:1::2",
			.dst = SERVER6, .sport = 40001, .dport = 443, .tcp_flags = F_SYN };

	check_steered_rewrite(&s);
}

TEST(steer_ipv4_udp_rewrite)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = "10.77.1.2",
			.dst = SERVER4, .sport = 40002, .dport = 53, .tcp_flags = 0,
			.payload = 61 };

	check_steered_rewrite(&s);
}

TEST(steer_ipv4_udp_zero_checksum_stays_zero)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = "10.77.1.2",
			.dst = SERVER4, .sport = 40003, .dport = 4789, .tcp_flags = 0,
			.payload = 40, .udp_no_csum = true };

	check_steered_rewrite(&s);
}

TEST(steer_ipv6_udp_rewrite)
{
	struct spec s = { .family = AF_INET6, .proto = IPPROTO_UDP, .src = "fd00:77:1::2",
			.dst = SERVER6, .sport = 40004, .dport = 443, .tcp_flags = 0,
			.payload = 1200 };

	check_steered_rewrite(&s);
}

/*
 * The second pass, on the target's egress: untouched, mark cleared, no flow;
 * it is counted when it is transmitted (omr_xmit), not here.
 */
TEST(steer_redirected_packet_passes_through_target)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = "10.77.2.2",
			.dst = SERVER4, .sport = 40000, .dport = 80, .tcp_flags = F_SYN };
	unsigned char frame[2048];
	__u32 len = build_frame(frame, &s);
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	play_wan(&l, 1);
	if (run(l.egress, frame, len, &r, true)) {
		ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "verdict");
		same_bytes(r.out, r.out_len, frame, len, "unchanged");
		ASSERT_EQ(r.ctx.cb[0], 0, "mark cleared");
		ASSERT_EQ(r.ctx.cb[1], 0, "mark cleared");
		ASSERT_EQ(counters(&l, 1).tx_packets, 0, "tx is counted at transmit");
		ASSERT_EQ(count_entries(l.flows), 0, "no flow started by the second pass");
	}
	/* the control: the same SYN without the mark starts a flow */
	if (run(l.egress, frame, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "on its routed WAN");
		ASSERT_EQ(count_entries(l.flows), 1, "a flow without the mark");
	}
	lab_down(&l);
}

/* Replies on the chosen WAN get the original address and port back. */
static void check_reply(int family, int proto)
{
	const char *lan_side = family == AF_INET ? wan_addr4[0] : wan_addr6[0];
	const char *wan_side = family == AF_INET ? wan_addr4[1] : wan_addr6[1];
	const char *server = family == AF_INET ? SERVER4 : SERVER6;
	struct spec out = { .family = family, .proto = proto, .src = lan_side, .dst = server,
			.sport = 41000, .dport = 8080, .tcp_flags = F_SYN, .payload = 10 };
	struct spec reply = { .family = family, .proto = proto, .src = server, .dst = wan_side,
			.sport = 8080, .dport = 41000, .tcp_flags = F_SYN | F_ACK,
			.payload = 500 };
	struct spec want = reply;
	unsigned char frame[2048], want_frame[2048];
	__u32 len, want_len;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	ASSERT_EQ(send_frame(&l, &out, &r), TC_ACT_REDIRECT, "outgoing steered");
	play_wan(&l, 1);
	len = build_frame(frame, &reply);
	want.dst = lan_side;
	want_len = build_frame(want_frame, &want);
	if (run(l.ingress, frame, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "reply goes up the stack");
		same_bytes(r.out, r.out_len, want_frame, want_len,
			   "reply destination back to wan 0's address");
		ASSERT_EQ(counters(&l, 1).rx_bytes, len, "reply counted on wan 1");
	}
	lab_down(&l);
}

TEST(steer_reply_ipv4_tcp) { check_reply(AF_INET, IPPROTO_TCP); }
TEST(steer_reply_ipv6_tcp) { check_reply(AF_INET6, IPPROTO_TCP); }
TEST(steer_reply_ipv4_udp) { check_reply(AF_INET, IPPROTO_UDP); }
TEST(steer_reply_ipv6_udp) { check_reply(AF_INET6, IPPROTO_UDP); }

/* A port taken by another flow on the chosen WAN: the reply still comes home. */
TEST(steer_port_collision_translates_port)
{
	struct spec native = { .family = AF_INET, .proto = IPPROTO_TCP, .src = "10.77.2.2",
			.dst = SERVER4, .sport = 42000, .dport = 443, .tcp_flags = F_SYN };
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = "10.77.1.2",
			.dst = SERVER4, .sport = 42000, .dport = 443, .tcp_flags = F_SYN };
	struct spec reply = { .family = AF_INET, .proto = IPPROTO_TCP, .src = SERVER4,
			.dst = "10.77.2.2", .sport = 443, .dport = 0, .tcp_flags = F_SYN | F_ACK };
	struct spec want;
	unsigned char frame[2048], want_frame[2048];
	struct flow_entry fe;
	struct flow_key k;
	__u32 len, want_len;
	__u16 port;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	/* a flow that leaves wan 1 natively with the tuple first */
	play_wan(&l, 1);
	ASSERT_EQ(send_frame(&l, &native, &r), TC_ACT_UNSPEC, "native flow on wan 1");
	play_wan(&l, 0);
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "steered to wan 1");
	key_of(&k, &s, FLOW_KIND_ORIG);
	if (!ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "flow entry"))
		goto out;
	port = ntohs(fe.port);
	ASSERT_NEQ(port, 42000, "another source port");
	ASSERT_GE(port, 1024, "port range");
	want = s;
	want.src = "10.77.2.2";
	want.sport = port;
	want_len = build_frame(want_frame, &want);
	same_bytes(r.out, r.out_len, want_frame, want_len, "address and port rewritten");

	/* the reply to the translated port is given the original port back */
	reply.dport = port;
	play_wan(&l, 1);
	len = build_frame(frame, &reply);
	want = reply;
	want.dst = "10.77.1.2";
	want.dport = 42000;
	want_len = build_frame(want_frame, &want);
	if (run(l.ingress, frame, len, &r, false))
		same_bytes(r.out, r.out_len, want_frame, want_len, "reply port restored");
	/* and the native flow's replies are not touched */
	reply.dport = 42000;
	len = build_frame(frame, &reply);
	if (run(l.ingress, frame, len, &r, false))
		same_bytes(r.out, r.out_len, frame, len, "native flow's reply untouched");
out:
	lab_down(&l);
}

/* ICMP errors about a translated flow reach the original flow (PMTU discovery). */
static void check_icmp_error(int family, int proto, __u32 quote)
{
	const char *lan_side = family == AF_INET ? wan_addr4[0] : wan_addr6[0];
	const char *wan_side = family == AF_INET ? wan_addr4[1] : wan_addr6[1];
	const char *server = family == AF_INET ? SERVER4 : SERVER6;
	const char *hop = family == AF_INET ? "203.0.113.1" : "2001:db8:ffff::1";
	struct spec sent = { .family = family, .proto = proto, .src = wan_side, .dst = server,
			.sport = 43000, .dport = 443, .tcp_flags = F_ACK, .payload = 1300 };
	struct spec out = sent;
	unsigned char inner[2048], frame[2048], want_frame[2048];
	__u32 len, want_len;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	out.src = lan_side;
	out.tcp_flags = F_SYN;
	out.payload = 0;
	ASSERT_EQ(send_frame(&l, &out, &r), TC_ACT_REDIRECT, "flow steered to wan 1");

	/* the error quotes the packet as it left wan 1 */
	build_ip(inner, &sent);
	len = build_icmp_error(frame, family, hop, wan_side, inner, quote);
	sent.src = lan_side;
	build_ip(inner, &sent);
	want_len = build_icmp_error(want_frame, family, hop, lan_side, inner, quote);
	play_wan(&l, 1);
	if (run(l.ingress, frame, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "error goes up the stack");
		same_bytes(r.out, r.out_len, want_frame, want_len,
			   "outer destination, quoted source and checksums translated");
	}
	lab_down(&l);
}

TEST(steer_icmp_frag_needed_ipv4_tcp)
{
	check_icmp_error(AF_INET, IPPROTO_TCP, sizeof(struct iphdr) + sizeof(struct tcphdr) + 64);
}

TEST(steer_icmp_frag_needed_ipv4_tcp_8_bytes_quoted)
{
	check_icmp_error(AF_INET, IPPROTO_TCP, sizeof(struct iphdr) + 8);
}

TEST(steer_icmp_frag_needed_ipv4_udp)
{
	check_icmp_error(AF_INET, IPPROTO_UDP, sizeof(struct iphdr) + sizeof(struct udphdr) + 32);
}

TEST(steer_icmpv6_packet_too_big_tcp)
{
	check_icmp_error(AF_INET6, IPPROTO_TCP,
			 sizeof(struct ipv6hdr) + sizeof(struct tcphdr) + 200);
}

TEST(steer_icmpv6_packet_too_big_udp)
{
	check_icmp_error(AF_INET6, IPPROTO_UDP,
			 sizeof(struct ipv6hdr) + sizeof(struct udphdr) + 16);
}


/*
 * The other way: an error our side sends about a packet of a translated
 * flow it received (the router's fragmentation needed, a LAN host's port
 * unreachable) leaves by the routed WAN after conntrack; it must leave by
 * the flow's WAN, from its address, quoting the translated tuple.
 * @taken: another flow holds the tuple on wan 1, so the port is translated too.
 */
static void check_icmp_error_leaving(int family, int proto, __u32 quote, bool taken)
{
	const char *lan_side = family == AF_INET ? wan_addr4[0] : wan_addr6[0];
	const char *wan_side = family == AF_INET ? wan_addr4[1] : wan_addr6[1];
	const char *server = family == AF_INET ? SERVER4 : SERVER6;
	struct spec out = { .family = family, .proto = proto, .src = lan_side, .dst = server,
			    .sport = 43100, .dport = 443, .tcp_flags = F_SYN };
	struct spec got = { .family = family, .proto = proto, .src = server, .dst = lan_side,
			    .sport = 443, .dport = 43100, .tcp_flags = F_ACK, .payload = 1400 };
	unsigned char inner[2048], frame[2048], want_frame[2048];
	struct flow_entry fe;
	struct flow_key k;
	__u32 len, want_len;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	if (taken) {
		struct spec native = out;

		native.src = wan_side;
		play_wan(&l, 1);
		ASSERT_EQ(send_frame(&l, &native, &r), TC_ACT_UNSPEC, "a native flow on wan 1");
		play_wan(&l, 0);
	}
	ASSERT_EQ(send_frame(&l, &out, &r), TC_ACT_REDIRECT, "flow steered to wan 1");
	key_of(&k, &out, FLOW_KIND_ORIG);
	if (!ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "flow entry"))
		goto out;
	ASSERT_EQ(ntohs(fe.port) != 43100, taken, "port translated only when taken");

	/* the error as conntrack hands it to wan 0's egress */
	build_ip(inner, &got);
	len = build_icmp_error(frame, family, lan_side, server, inner, quote);
	got.dst = wan_side;
	got.dport = ntohs(fe.port);
	build_ip(inner, &got);
	want_len = build_icmp_error(want_frame, family, wan_side, server, inner, quote);
	if (run(l.egress, frame, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_REDIRECT, "the error leaves by wan 1");
		same_bytes(r.out, r.out_len, want_frame, want_len,
			   "outer source, quoted destination and checksums translated");
	}
out:
	lab_down(&l);
}

TEST(steer_icmp_frag_needed_leaving_ipv4_tcp)
{
	check_icmp_error_leaving(AF_INET, IPPROTO_TCP,
				 sizeof(struct iphdr) + sizeof(struct tcphdr) + 40, false);
}

TEST(steer_icmp_leaving_ipv4_udp_translated_port)
{
	check_icmp_error_leaving(AF_INET, IPPROTO_UDP,
				 sizeof(struct iphdr) + sizeof(struct udphdr) + 40, true);
}

TEST(steer_icmpv6_leaving_tcp_translated_port)
{
	check_icmp_error_leaving(AF_INET6, IPPROTO_TCP,
				 sizeof(struct ipv6hdr) + sizeof(struct tcphdr) + 40, true);
}

TEST(steer_icmpv6_packet_too_big_leaving_udp)
{
	check_icmp_error_leaving(AF_INET6, IPPROTO_UDP,
				 sizeof(struct ipv6hdr) + sizeof(struct udphdr) + 40, false);
}
/* ---- choice ---------------------------------------------------------------------- */

/* New flows split exactly by weight, the weight-0 WAN never gets one. */
static void check_split(int family, __u32 w0, __u32 w1, int flows)
{
	const char *src = family == AF_INET ? wan_addr4[0] : wan_addr6[0];
	const char *dst = family == AF_INET ? SERVER4 : SERVER6;
	int on[3] = { 0, 0, 0 };
	struct lab l;

	if (!lab_up(&l, 0, w0, w1))
		return;
	l.c.usable4 |= 4;	/* even offered wan 2 (weight 0) must not be chosen */
	l.c.usable6 |= 4;
	write_cfg(&l);
	for (int i = 0; i < flows; i++) {
		struct spec s = { .family = family, .proto = IPPROTO_TCP, .src = src, .dst = dst,
				.sport = 20000 + i, .dport = 80, .tcp_flags = F_SYN };
		struct flow_entry fe;
		struct flow_key k;
		struct run r;

		send_frame(&l, &s, &r);
		key_of(&k, &s, FLOW_KIND_ORIG);
		if (!ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "every flow recorded"))
			break;
		if (fe.wan_idx < 3)
			on[fe.wan_idx]++;
		ASSERT_EQ(r.verdict, fe.wan_idx == 0 ? TC_ACT_UNSPEC : TC_ACT_REDIRECT,
			  "wan 0 flows pass, others are redirected");
	}
	ASSERT_EQ(on[2], 0, "weight 0 never chosen");
	ASSERT_EQ(on[0], flows * w0 / (w0 + w1), "wan 0 share");
	ASSERT_EQ(on[1], flows * w1 / (w0 + w1), "wan 1 share");
	ASSERT_EQ(STEER_COUNTER(&l, 0, flows_assigned), on[0], "wan 0 flows_assigned");
	ASSERT_EQ(STEER_COUNTER(&l, 1, flows_assigned), on[1], "wan 1 flows_assigned");
	ASSERT_EQ(STEER_COUNTER(&l, 0, flows_steered), 0, "wan 0 is the routed WAN");
	lab_down(&l);
}

TEST(steer_split_1_3_ipv4) { check_split(AF_INET, 1, 3, 400); }
TEST(steer_split_1_3_ipv6) { check_split(AF_INET6, 1, 3, 400); }
TEST(steer_split_2_1_few_flows) { check_split(AF_INET, 2, 1, 6); }

/* Three WANs 1:3:2 and 24 flows: exactly 4/12/8 (DESIGN.md's batch). */
TEST(steer_split_24_flows_1_3_2)
{
	int on[3] = { 0, 0, 0 };
	struct lab l;

	if (!lab_up(&l, 0, 1, 3))
		return;
	l.c.weight[2] = 2;
	l.c.usable4 = 7;
	write_cfg(&l);
	for (int i = 0; i < 24; i++) {
		struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
				.dst = SERVER4, .sport = 30000 + i, .dport = 5201,
				.tcp_flags = F_SYN };
		struct flow_entry fe;
		struct flow_key k;
		struct run r;

		send_frame(&l, &s, &r);
		key_of(&k, &s, FLOW_KIND_ORIG);
		if (!bpf_map_lookup_elem(l.flows, &k, &fe) && fe.wan_idx < 3)
			on[fe.wan_idx]++;
	}
	ASSERT_EQ(on[0], 4, "wan 0 (weight 1)");
	ASSERT_EQ(on[1], 12, "wan 1 (weight 3)");
	ASSERT_EQ(on[2], 8, "wan 2 (weight 2)");
	lab_down(&l);
}

/* The load the agent measured counts: a loaded WAN gets new flows only once the others catch up. */
TEST(steer_choice_follows_load_base)
{
	struct lab l;
	int on1 = 0;

	if (!lab_up(&l, 0, 1, 1))
		return;
	l.c.load_base[0] = 10;	/* wan 0 already carries 10 flows */
	write_cfg(&l);
	for (int i = 0; i < 10; i++) {
		struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = wan_addr4[0],
				.dst = SERVER4, .sport = 31000 + i, .dport = 53 };
		struct run r;

		on1 += send_frame(&l, &s, &r) == TC_ACT_REDIRECT;
	}
	ASSERT_EQ(on1, 10, "the next 10 flows go to the idle WAN");
	lab_down(&l);
}

/* Weights change: flows keep their WAN; new flows follow the new weights. */
TEST(steer_sticky_across_weight_change)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			.dst = SERVER4, .sport = 44000, .dport = 80, .tcp_flags = F_SYN };
	struct spec more = s;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "on wan 1");
	l.c.weight[0] = 1000;
	l.c.weight[1] = 1;
	l.c.usable4 = 3;
	write_cfg(&l);
	s.tcp_flags = F_ACK;
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "still on wan 1");
	more.sport = 44001;
	ASSERT_EQ(send_frame(&l, &more, &r), TC_ACT_UNSPEC, "a new flow takes wan 0");
	lab_down(&l);
}

/* A WAN that went down (or to weight 0): its flows move on their next packet. */
TEST(steer_flows_leave_a_wan_gone_down)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = wan_addr4[0],
			.dst = SERVER4, .sport = 45000, .dport = 53, .payload = 20 };
	unsigned char frame[2048];
	struct flow_entry fe;
	struct flow_key k;
	__u32 len;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "on wan 1");
	/* wan 1 down; wan 0 takes flows again */
	l.c.weight[0] = 1;
	l.c.usable4 = 1;
	write_cfg(&l);
	len = build_frame(frame, &s);
	if (run(l.egress, frame, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "moved back to its route");
		same_bytes(r.out, r.out_len, frame, len, "no translation any more");
	}
	key_of(&k, &s, FLOW_KIND_ORIG);
	if (ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "flow entry"))
		ASSERT_EQ(fe.wan_idx, 0, "flow now on wan 0");
	s.src = wan_addr4[1];
	key_of(&k, &s, FLOW_KIND_XLAT);
	ASSERT_NEQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "old reply entry removed");
	lab_down(&l);
}

/*
 * A TCP flow moved to a WAN with a smaller MTU (PPPoE's 1492 beside an
 * Ethernet WAN) gets an MSS that fits it, on its SYN and on the SYN-ACK
 * coming back: the redirect skips the IP layer that would answer
 * "fragmentation needed", so full-size segments would be lost.
 * @at: where the MSS option starts among the options (1: after a NOP, its
 * value at an odd offset of the header).
 */
static void check_mss_clamp(int family, __u16 mss, int at, __u16 want_mss)
{
	const char *lan_side = family == AF_INET ? wan_addr4[0] : wan_addr6[0];
	const char *wan_side = family == AF_INET ? wan_addr4[1] : wan_addr6[1];
	const char *server = family == AF_INET ? SERVER4 : SERVER6;
	__u8 opts[12] = { 1, 1, 1, 1, 4, 2, 1, 1, 1, 1, 1, 1 };	/* NOPs, SACK permitted */
	__u8 want_opts[12];
	struct spec syn = { .family = family, .proto = IPPROTO_TCP, .src = lan_side,
			    .dst = server, .sport = 47300 + at, .dport = 443, .tcp_flags = F_SYN,
			    .tcp_opts = opts, .tcp_opts_len = sizeof(opts) };
	struct spec synack, want;
	unsigned char frame[2048], want_frame[2048];
	__u32 idx = 1, len, want_len;
	struct steer_wan w;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	bpf_map_lookup_elem(l.wans, &idx, &w);
	w.mtu = 1492;
	bpf_map_update_elem(l.wans, &idx, &w, BPF_ANY);
	opts[at] = 2;
	opts[at + 1] = 4;
	opts[at + 2] = mss >> 8;
	opts[at + 3] = mss & 0xff;
	memcpy(want_opts, opts, sizeof(opts));
	want_opts[at + 2] = want_mss >> 8;
	want_opts[at + 3] = want_mss & 0xff;

	want = syn;
	want.src = wan_side;
	want.tcp_opts = want_opts;
	want_len = build_frame(want_frame, &want);
	ASSERT_EQ(send_frame(&l, &syn, &r), TC_ACT_REDIRECT, "SYN moved to wan 1");
	same_bytes(r.out, r.out_len, want_frame, want_len, "SYN: MSS for wan 1's MTU, checksum");

	/* the SYN-ACK on wan 1 */
	synack = syn;
	synack.src = server;
	synack.dst = wan_side;
	synack.sport = syn.dport;
	synack.dport = syn.sport;
	synack.tcp_flags = F_SYN | F_ACK;
	want = synack;
	want.dst = lan_side;
	want.tcp_opts = want_opts;
	play_wan(&l, 1);
	len = build_frame(frame, &synack);
	want_len = build_frame(want_frame, &want);
	if (run(l.ingress, frame, len, &r, false))
		same_bytes(r.out, r.out_len, want_frame, want_len,
			   "SYN-ACK: MSS for wan 1's MTU, destination translated back");
	lab_down(&l);
}

TEST(steer_mss_clamped_ipv4) { check_mss_clamp(AF_INET, 1460, 0, 1452); }
TEST(steer_mss_clamped_at_odd_offset) { check_mss_clamp(AF_INET, 1460, 1, 1452); }
TEST(steer_mss_clamped_ipv6) { check_mss_clamp(AF_INET6, 1440, 4, 1432); }
TEST(steer_mss_small_enough_untouched) { check_mss_clamp(AF_INET, 1400, 0, 1400); }

/* A translated flow whose reply entry went missing gets it back within an epoch. */
TEST(steer_lost_reply_entry_restored)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = wan_addr4[0],
			  .dst = SERVER4, .sport = 45100, .dport = 443, .payload = 50 };
	struct spec x = s;
	struct flow_entry fe;
	struct flow_key k;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "on wan 1");
	x.src = wan_addr4[1];
	key_of(&k, &x, FLOW_KIND_XLAT);
	ASSERT_EQ(bpf_map_delete_elem(l.flows, &k), 0, "drop the reply entry");
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "same epoch: still translated");
	ASSERT_NEQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "not checked within the epoch");
	l.c.epoch++;
	write_cfg(&l);
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "next epoch: translated");
	if (ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "reply entry back")) {
		ASSERT_EQ(ntohs(fe.port), 45100, "with the original port");
		ASSERT_EQ(fe.addr[3], htonl(0x0a4d0102), "and address (10.77.1.2)");
	}
	lab_down(&l);
}

/* ---- left alone ------------------------------------------------------------------ */

static void check_left_alone(struct lab *l, const struct spec *s, const char *what)
{
	unsigned char frame[2048];
	__u32 len = build_frame(frame, s);
	struct flow_key k;
	struct flow_entry fe;
	struct run r;

	if (!run(l->egress, frame, len, &r, false))
		return;
	ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, what);
	same_bytes(r.out, r.out_len, frame, len, what);
	key_of(&k, s, FLOW_KIND_ORIG);
	ASSERT_NEQ(bpf_map_lookup_elem(l->flows, &k, &fe), 0, what);
}

TEST(steer_leaves_mptcp_syn_alone)
{
	/* MSS, SACK permitted, MP_CAPABLE v1 (kind 30, length 4 + 8 key bytes on a SYN: 12) */
	static const __u8 opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 1,
				     30, 12, 0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			.dst = SERVER4, .sport = 46000, .dport = 443, .tcp_flags = F_SYN,
			.tcp_opts = opts, .tcp_opts_len = sizeof(opts) };
	struct spec plain = s;
	struct lab l;
	struct run r;

	if (!lab_up(&l, 0, 0, 1))
		return;
	check_left_alone(&l, &s, "MPTCP SYN passes untouched and unrecorded");
	plain.tcp_opts_len = 8;	/* the same SYN without the MPTCP option is steered */
	plain.sport = 46001;
	ASSERT_EQ(send_frame(&l, &plain, &r), TC_ACT_REDIRECT, "plain TCP SYN steered");
	lab_down(&l);
}

TEST(steer_leaves_midstream_tcp_alone)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			.dst = SERVER4, .sport = 46100, .dport = 443, .tcp_flags = F_ACK,
			.payload = 100 };
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	check_left_alone(&l, &s, "a TCP flow seen without its SYN");
	lab_down(&l);
}

TEST(steer_leaves_other_wan_source_alone)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = wan_addr4[2],
			.dst = SERVER4, .sport = 46200, .dport = 53 };
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	check_left_alone(&l, &s, "source is wan 2's address");
	lab_down(&l);
}

TEST(steer_leaves_multicast_alone)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = wan_addr4[0],
			.dst = "239.255.255.250", .sport = 46300, .dport = 1900 };
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	check_left_alone(&l, &s, "multicast destination");
	lab_down(&l);
}

static void add_rule(struct lab *l, int family, const char *prefix, int plen, __u8 proto,
		     __u16 port, __u32 action, __u32 wan_idx)
{
	struct steer_rule_key k = {};
	struct steer_rule v = { .action = action, .wan_idx = wan_idx };

	if (family == AF_INET) {
		v4mapped(k.addr, prefix);
		plen += 96;
	} else {
		pton(AF_INET6, prefix, k.addr);
	}
	k.prefixlen = 32 + plen;
	k.proto = proto;
	k.port = htons(port);
	ASSERT_EQ(bpf_map_update_elem(l->rules, &k, &v, BPF_ANY), 0, "steer_rules");
	l->c.rule_sets |= proto && port ? STEER_RULES_PROTO_PORT : proto ? STEER_RULES_PROTO :
			  port ? STEER_RULES_PORT : STEER_RULES_ANY;
	write_cfg(l);
}

TEST(steer_bypass_rule_connected_network)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			.dst = "10.77.1.1", .sport = 46400, .dport = 80, .tcp_flags = F_SYN };
	struct spec s6 = { .family = AF_INET6, .proto = IPPROTO_UDP, .src = wan_addr6[0],
			.dst = "fd00:77:1::1", .sport = 46401, .dport = 53 };
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	add_rule(&l, AF_INET, "10.77.1.0", 24, 0, 0, STEER_RULE_BYPASS, 0);
	add_rule(&l, AF_INET6, "fd00:77:1::", 64, 0, 0, STEER_RULE_BYPASS, 0);
	check_left_alone(&l, &s, "IPv4 connected network");
	check_left_alone(&l, &s6, "IPv6 connected network");
	lab_down(&l);
}

TEST(steer_pin_rule_wins_over_weights)
{
	struct spec https = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			.dst = "203.0.113.5", .sport = 46500, .dport = 443, .tcp_flags = F_SYN };
	struct spec http = https;
	struct spec other = https;
	struct lab l;
	struct run r;

	if (!lab_up(&l, 0, 1, 0))	/* weights send everything to wan 0 ... */
		return;
	l.c.fallback4 |= 2;		/* ... wan 1 is up with weight 0 */
	write_cfg(&l);
	add_rule(&l, AF_INET, "203.0.113.5", 32, IPPROTO_TCP, 443, STEER_RULE_PIN, 1);
	ASSERT_EQ(send_frame(&l, &https, &r), TC_ACT_REDIRECT, "pinned tcp/443 goes to wan 1");
	http.dport = 80;
	ASSERT_EQ(send_frame(&l, &http, &r), TC_ACT_UNSPEC, "tcp/80 follows the weights");
	other.dst = "203.0.113.6";
	ASSERT_EQ(send_frame(&l, &other, &r), TC_ACT_UNSPEC, "another host follows the weights");
	lab_down(&l);
}

/* A UDP flow started from outside answers from the WAN it came in on. */
TEST(steer_inbound_udp_stays_on_its_wan)
{
	struct spec in = { .family = AF_INET, .proto = IPPROTO_UDP, .src = "203.0.113.9",
			.dst = wan_addr4[0], .sport = 51820, .dport = 51820, .payload = 148 };
	struct spec answer = { .family = AF_INET, .proto = IPPROTO_UDP, .src = wan_addr4[0],
			.dst = "203.0.113.9", .sport = 51820, .dport = 51820, .payload = 92 };
	unsigned char frame[2048];
	struct flow_entry fe;
	struct flow_key k;
	__u32 len;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))	/* new flows would all go to wan 1 */
		return;
	len = build_frame(frame, &in);
	ASSERT_TRUE(run(l.ingress, frame, len, &r, false), "inbound packet");
	ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "inbound verdict");
	len = build_frame(frame, &answer);
	if (run(l.egress, frame, len, &r, false)) {
		ASSERT_EQ(r.verdict, TC_ACT_UNSPEC, "the answer leaves by wan 0");
		same_bytes(r.out, r.out_len, frame, len, "untranslated");
	}
	key_of(&k, &answer, FLOW_KIND_ORIG);
	if (ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "recorded once answered"))
		ASSERT_TRUE(fe.flags & FLOW_F_INBOUND, "as inbound");
	lab_down(&l);
}

/* ---- TCP life and the table ------------------------------------------------------- */

TEST(steer_tcp_fin_then_new_connection_on_same_tuple)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			.dst = SERVER4, .sport = 47000, .dport = 80, .tcp_flags = F_SYN };
	struct flow_entry fe;
	struct flow_key k;
	struct run r;
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "on wan 1");
	s.tcp_flags = F_FIN | F_ACK;
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "FIN still translated");
	key_of(&k, &s, FLOW_KIND_ORIG);
	if (ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "entry kept for the grace time"))
		ASSERT_TRUE(fe.flags & FLOW_F_CLOSING, "closing");
	/* a new connection on the tuple: chosen afresh, now wan 0 */
	l.c.weight[0] = 1;
	l.c.weight[1] = 0;
	l.c.usable4 = 1;
	l.c.fallback4 = 6;
	write_cfg(&l);
	s.tcp_flags = F_SYN;
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_UNSPEC, "new SYN chosen afresh: wan 0");
	if (ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "entry"))
		ASSERT_FALSE(fe.flags & FLOW_F_CLOSING, "open again");
	lab_down(&l);
}

/*
 * More flows than the table holds (issue 9): the translated flows in the
 * table keep their WAN and translation whatever new flows arrive; new flows
 * that find no room leave by their routed WAN untranslated, byte for byte
 * as they came, counted in table_full; never half a pair in the table.
 */
static struct spec pressure_flow(int i, bool tcp)
{
	struct spec s = { .family = AF_INET, .proto = tcp ? IPPROTO_TCP : IPPROTO_UDP,
			  .src = wan_addr4[0], .dst = SERVER4, .sport = 10000 + i,
			  .dport = tcp ? 443 : 53, .tcp_flags = tcp ? F_SYN : 0, .payload = 20 };

	return s;
}

TEST(steer_table_full_keeps_translated_flows)
{
	const int table = 256, old = 20, flows = 1000;
	int entries, orig = 0, xlat = 0, refused = 0;
	struct flow_key k, next;
	struct flow_entry fe;
	void *prev = NULL;
	struct run r;
	struct lab l;

	if (!lab_up(&l, table, 0, 1))	/* every flow that gets a WAN is translated to wan 1 */
		return;
	/* 20 long-lived TCP connections, translated */
	for (int i = 0; i < old; i++) {
		struct spec s = pressure_flow(i, true);

		ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "old connection translated");
	}
	/* a burst of new UDP flows, far more than the table holds */
	for (int i = old; i < old + flows; i++) {
		struct spec s = pressure_flow(i, false);
		unsigned char frame[2048];
		__u32 len = build_frame(frame, &s);
		int v;

		if (!run(l.egress, frame, len, &r, false))
			break;
		v = r.verdict;
		if (v == TC_ACT_UNSPEC) {
			refused++;
			same_bytes(r.out, r.out_len, frame, len, "no room: untranslated");
		} else if (!ASSERT_EQ(v, TC_ACT_REDIRECT, "room: translated")) {
			break;
		}
	}
	entries = count_entries(l.flows);
	ASSERT_EQ(entries, table, "the table is full");
	ASSERT_EQ(refused, old + flows - table / 2, "flows beyond the table's room untranslated");
	ASSERT_EQ(STEER_COUNTER(&l, 0, table_full), refused,
		  "counted as table_full on their routed WAN");
	ASSERT_EQ(STEER_COUNTER(&l, 1, table_full), 0, "nothing counted on wan 1");
	ASSERT_EQ(STEER_COUNTER(&l, 0, steer_errors) + STEER_COUNTER(&l, 1, steer_errors), 0,
		  "no steer_errors");

	/* every old connection still translated, its next segments too, its replies as well */
	for (int i = 0; i < old; i++) {
		struct spec s = pressure_flow(i, true), reply;
		unsigned char frame[2048];
		__u32 len;

		s.tcp_flags = F_ACK | F_PSH;
		key_of(&k, &s, FLOW_KIND_ORIG);
		if (!ASSERT_EQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "old connection kept"))
			continue;
		ASSERT_TRUE((fe.flags & FLOW_F_NAT) && fe.wan_idx == 1, "still on wan 1, translated");
		ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_REDIRECT, "next segment translated");
		reply = (struct spec){ .family = AF_INET, .proto = IPPROTO_TCP, .src = SERVER4,
				       .dst = wan_addr4[1], .sport = 443, .dport = 10000 + i,
				       .tcp_flags = F_ACK, .payload = 20 };
		len = build_frame(frame, &reply);
		if (run(l.ingress, frame, len, &r, false)) {
			unsigned char want[2048];
			__u32 want_len;

			reply.dst = wan_addr4[0];
			want_len = build_frame(want, &reply);
			same_bytes(r.out, r.out_len, want, want_len, "reply translated back");
		}
	}
	/* no half pair: every XLAT entry has its ORIG entry and the other way round */
	while (!bpf_map_get_next_key(l.flows, prev, &next)) {
		struct flow_key pk;
		struct flow_entry pe;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(l.flows, &k, &fe))
			continue;
		if (k.kind == FLOW_KIND_XLAT)
			xlat++;
		else
			orig++;
		pk = k;
		memcpy(pk.saddr, fe.addr, sizeof(pk.saddr));
		pk.sport = fe.port;
		pk.kind = k.kind == FLOW_KIND_ORIG ? FLOW_KIND_XLAT : FLOW_KIND_ORIG;
		ASSERT_EQ(bpf_map_lookup_elem(l.flows, &pk, &pe), 0, "the other half of the pair");
	}
	ASSERT_EQ(orig, xlat, "as many reply entries as flow entries");
	lab_down(&l);
}

/*
 * Room for the reply entry but not for the flow entry: the reply entry is
 * taken back and the flow leaves untranslated (no half pair).
 */
TEST(steer_table_full_no_half_pair)
{
	struct spec fill = pressure_flow(0, false), s = pressure_flow(500, false);
	struct flow_key k;
	struct flow_entry fe;
	struct run r;
	struct lab l;
	int entries;

	if (!lab_up(&l, 256, 0, 1))
		return;
	/* fill all but one entry: 127 translated pairs and one untranslated flow */
	for (int i = 0; i < 127; i++) {
		fill = pressure_flow(i, false);
		ASSERT_EQ(send_frame(&l, &fill, &r), TC_ACT_REDIRECT, "fill: translated");
	}
	key_of(&k, &s, FLOW_KIND_ORIG);
	memset(&fe, 0, sizeof(fe));
	k.sport = htons(999);
	fe.wan_idx = 0;
	ASSERT_EQ(bpf_map_update_elem(l.flows, &k, &fe, BPF_NOEXIST), 0, "one more entry");
	ASSERT_EQ(count_entries(l.flows), 255, "one entry left");
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_UNSPEC, "no room for the pair: untranslated");
	entries = count_entries(l.flows);
	ASSERT_EQ(entries, 255, "the reply entry was taken back");
	key_of(&k, &s, FLOW_KIND_ORIG);
	ASSERT_NEQ(bpf_map_lookup_elem(l.flows, &k, &fe), 0, "no flow entry");
	ASSERT_EQ(STEER_COUNTER(&l, 0, table_full), 1, "counted");
	lab_down(&l);
}

/* A full steer_inbound: new flows from outside are counted, the ones it holds stay. */
TEST(steer_inbound_full_counted)
{
	struct lab l;
	struct run r;
	__u32 size = 0;
	int held;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (!lab_up(&l, 0, 0, 1))
		return;
	if (ASSERT_EQ(bpf_obj_get_info_by_fd(l.inbound, &info, &len), 0, "inbound info"))
		size = info.max_entries;
	for (__u32 i = 0; i < size + 10; i++) {
		struct spec in = { .family = AF_INET, .proto = IPPROTO_UDP, .src = "203.0.113.9",
				   .dst = wan_addr4[0], .sport = 1024 + i, .dport = 51820,
				   .payload = 20 };
		unsigned char frame[2048];
		__u32 flen = build_frame(frame, &in);

		if (!run(l.ingress, frame, flen, &r, false))
			break;
	}
	held = count_entries(l.inbound);
	ASSERT_EQ(held, (int)size, "steer_inbound full");
	ASSERT_EQ(STEER_COUNTER(&l, 0, inbound_full), 10, "the 10 beyond counted");
	ASSERT_EQ(STEER_COUNTER(&l, 0, table_full), 0, "not as new flows of ours");
	lab_down(&l);
}

/* Steering off (the agent not configured yet): packets pass untouched. */
TEST(steer_disabled_leaves_packets_alone)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			.dst = SERVER4, .sport = 48000, .dport = 80, .tcp_flags = F_SYN };
	struct lab l;

	if (!lab_up(&l, 0, 0, 1))
		return;
	l.c.enabled = 0;
	write_cfg(&l);
	check_left_alone(&l, &s, "steering off");
	ASSERT_EQ(count_entries(l.flows), 0, "no flow recorded");
	lab_down(&l);
}

/* ---- per-packet cost ------------------------------------------------------------- */

/* Mean ns per run of @prog_fd on @frame over @repeat runs in the kernel. */
static double ns_per_packet(int prog_fd, const unsigned char *frame, __u32 len, __u32 repeat)
{
	struct __sk_buff ctx = { .ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -1;
	return opts.duration;	/* the kernel reports the mean per run, in ns */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The steering program on its fast path (a known flow on its routed WAN)
 * against a program that only counts, 1,000,000 runs each, five rounds
 * interleaved; medians compared.  The issue asks for a ratio <= 1.5.
 * A benchmark (scripts/bench/steer_cost.sh, `make bench`), not in `make test`.
 */
BENCH(steer_bench_fast_path_cost)
{
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			  .dst = SERVER4, .sport = 49000, .dport = 5201, .tcp_flags = F_SYN };
	double steer[5], count[5], ratio;
	unsigned char frame[2048];
	struct lab l;
	__u32 len;
	struct run r;
	int count_fd;

	memset(&l, 0, sizeof(l));
	if (!lab_load(&l, 0, true))
		return;
	lab_config(&l, 1, 0);
	count_fd = bpf_program__fd(l.skel->progs.omr_count_only);
	ASSERT_EQ(send_frame(&l, &s, &r), TC_ACT_UNSPEC, "flow started on wan 0");
	s.tcp_flags = F_ACK;
	s.payload = 1400;
	len = build_frame(frame, &s);
	for (int round = 0; round < 5; round++) {
		count[round] = ns_per_packet(count_fd, frame, len, 1000000);
		steer[round] = ns_per_packet(l.egress, frame, len, 1000000);
	}
	qsort(steer, 5, sizeof(double), cmp_double);
	qsort(count, 5, sizeof(double), cmp_double);
	ratio = count[2] > 0 ? steer[2] / count[2] : 99;
	fprintf(stderr, "# fast path: steering %.0f ns, counting only %.0f ns per packet, "
		"ratio %.2f (median of 5 x 1000000 runs)\n", steer[2], count[2], ratio);
	ASSERT_TRUE(count[2] > 0 && steer[2] > 0, "measured");
	ASSERT_LE(ratio * 100, 150, "steering fast path <= 1.5 x counting (ratio x 100)");
	lab_down(&l);
}

/* ---- application classes ------------------------------------------------------- */

/*
 * Classes from weight-file text, built by user space's own code (config
 * parser, classes_build, classes_wans with @rtt) into the lab's map, the
 * three WANs "wan1".."wan3" in slots 0..2.
 */
static bool lab_classes(struct lab *l, const char *text, const __u32 rtt[3])
{
	static struct steer_config cfg;
	static struct steer_classes sc;
	struct wan_entry tbl[OMR_MAX_WANS] = {};
	__u32 rtts[OMR_MAX_WANS] = { rtt[0], rtt[1], rtt[2] }, key = 0;
	char err[1024];

	if (!ASSERT_EQ(config_parse("t.conf", text, strlen(text), &cfg, err, sizeof(err)), 0,
		       "weight file")) {
		TEST_MSG("%s", err);
		return false;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(tbl[i].name, sizeof(tbl[i].name), "wan%d", i + 1);
		tbl[i].flags = OMR_WAN_F_CONFIGURED;
	}
	classes_build(&cfg.steering.classes, tbl, &sc);
	classes_wans(&sc, l->c.usable4, l->c.usable6, rtts);
	return ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(l->skel->maps.steer_classes), &key, &sc,
					     BPF_ANY), 0, "steer_classes");
}

static __u64 class_hits(struct lab *l, __u32 rule)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 vals[ncpus > 0 ? ncpus : 1], sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.class_hits), &rule, vals))
		return 0;
	for (int c = 0; c < ncpus; c++)
		sum += vals[c];
	return sum;
}

/* The WAN the flow of @s was given, -1 when it is not in the table. */
static int flow_wan(struct lab *l, const struct spec *s)
{
	struct flow_entry fe;
	struct flow_key k;

	key_of(&k, s, FLOW_KIND_ORIG);
	return bpf_map_lookup_elem(l->flows, &k, &fe) ? -1 : fe.wan_idx;
}

/* Three WANs of weight 1, all usable. */
static bool lab_three(struct lab *l)
{
	if (!lab_up(l, 0, 1, 1))
		return false;
	l->c.weight[2] = 1;
	l->c.usable4 = l->c.usable6 = 7;
	l->c.fallback4 = l->c.fallback6 = 0;
	write_cfg(l);
	return true;
}

static const char class_wans[] = "wan wan1 weight 1\nwan wan2 weight 1\nwan wan3 weight 1\n";

/* lowest-rtt: UDP to the SIP ports goes to the lowest-RTT WAN, other UDP by weight. */
TEST(steer_class_lowest_rtt_udp)
{
	static const __u32 rtt[3] = { 30000, 4000, 45000 };	/* wan2 fastest */
	char text[512];
	int on[3] = { 0, 0, 0 }, other[3] = { 0, 0, 0 };
	struct lab l;

	if (!lab_three(&l))
		return;
	snprintf(text, sizeof(text), "%sclass voip lowest-rtt\n"
		 "rule proto udp dport 5060-5061 class voip\n", class_wans);
	if (!lab_classes(&l, text, rtt))
		goto out;
	for (int i = 0; i < 12; i++) {
		struct spec sip = { .family = i % 2 ? AF_INET6 : AF_INET, .proto = IPPROTO_UDP,
				    .src = i % 2 ? wan_addr6[0] : wan_addr4[0],
				    .dst = i % 2 ? SERVER6 : SERVER4, .sport = 32000 + i,
				    .dport = 5060 + i % 2, .payload = 40 };
		struct spec dns = sip;
		struct run r;
		int w;

		dns.dport = 53;
		send_frame(&l, &sip, &r);
		w = flow_wan(&l, &sip);
		if (w >= 0 && w < 3)
			on[w]++;
		send_frame(&l, &dns, &r);
		w = flow_wan(&l, &dns);
		if (w >= 0 && w < 3)
			other[w]++;
	}
	ASSERT_EQ(on[1], 12, "every SIP flow (IPv4 and IPv6) on wan 1, the lowest RTT");
	ASSERT_EQ(other[0] + other[1] + other[2], 12, "DNS flows recorded");
	ASSERT_GE(other[0], 3, "DNS by weight: wan 0 has its share");
	ASSERT_GE(other[2], 3, "DNS by weight: wan 2 has its share");
	ASSERT_EQ(class_hits(&l, 0), 12, "rule 0 matched 12 new flows");
out:
	lab_down(&l);
}

/* DSCP from the IPv4 TOS byte and the IPv6 traffic class; first match wins. */
TEST(steer_class_dscp_and_rule_order)
{
	static const __u32 rtt[3] = { 0, 0, 0 };
	char text[512];
	struct lab l;
	struct run r;

	if (!lab_three(&l))
		return;
	l.c.load_base[2] = 1000;	/* the weighted choice never picks wan 2 ... */
	write_cfg(&l);
	snprintf(text, sizeof(text), "%sclass rt prefer wan3 wan1\nclass bulk wan wan2\n"
		 "rule dscp ef class rt\n"
		 "rule proto tcp src %s class bulk\n", class_wans, wan_addr4[0]);
	if (!lab_classes(&l, text, rtt))
		goto out;
	for (int fam = 0; fam < 2; fam++) {
		struct spec ef = { .family = fam ? AF_INET6 : AF_INET, .proto = IPPROTO_TCP,
				   .src = fam ? wan_addr6[0] : wan_addr4[0],
				   .dst = fam ? SERVER6 : SERVER4, .sport = 33000 + fam,
				   .dport = 443, .tcp_flags = F_SYN, .dscp = 46 };
		struct spec af41 = ef;

		af41.dscp = 34;
		af41.sport += 10;
		send_frame(&l, &ef, &r);
		ASSERT_EQ(flow_wan(&l, &ef), 2, fam ? "EF IPv6: ... but class rt prefers it"
						    : "EF IPv4: ... but class rt prefers it");
		send_frame(&l, &af41, &r);
		/* IPv4 from wan1's address: the bulk rule; IPv6: no rule, by weight (not 2) */
		if (fam)
			ASSERT_NEQ(flow_wan(&l, &af41), 2, "AF41 IPv6: weighted");
		else
			ASSERT_EQ(flow_wan(&l, &af41), 1, "AF41 IPv4 tcp from wan1's address: bulk");
	}
	ASSERT_EQ(class_hits(&l, 0), 2, "the EF rule matched both EF flows (first match)");
	ASSERT_EQ(class_hits(&l, 1), 1, "the bulk rule matched only the IPv4 AF41 flow");
out:
	lab_down(&l);
}

/* A class whose WANs cannot take flows: failover by weight, never dropped or stuck. */
TEST(steer_class_without_usable_wan_falls_back)
{
	static const __u32 rtt[3] = { 0, 0, 0 };
	char text[512];
	struct lab l;
	struct run r;
	struct spec s = { .family = AF_INET, .proto = IPPROTO_UDP, .src = wan_addr4[0],
			  .dst = SERVER4, .sport = 34000, .dport = 3074, .payload = 20 };

	if (!lab_three(&l))
		return;
	l.c.usable4 = 3;		/* wan 2 down */
	l.c.weight[2] = 0;
	write_cfg(&l);
	snprintf(text, sizeof(text), "%sclass games wan wan3\nrule dport 3074 class games\n",
		 class_wans);
	if (!lab_classes(&l, text, rtt))
		goto out;
	ASSERT_NEQ(send_frame(&l, &s, &r), TC_ACT_SHOT, "not dropped");
	ASSERT_TRUE(flow_wan(&l, &s) == 0 || flow_wan(&l, &s) == 1, "on a usable WAN");
	ASSERT_EQ(class_hits(&l, 0), 1, "the rule still matched");
out:
	lab_down(&l);
}

/* Mean ns of one run of @prog_fd on each of @n new flows (source ports @sport0..). */
static double ns_per_new_flow(int prog_fd, struct spec *s, __u16 sport0, int n)
{
	unsigned char frame[2048];
	double total = 0;

	for (int i = 0; i < n; i++) {
		double ns;

		s->sport = sport0 + i;
		ns = ns_per_packet(prog_fd, frame, build_frame(frame, s), 1);
		if (ns < 0)
			return -1;
		total += ns;
	}
	return total / n;
}

/*
 * What application classes cost a new flow: the first packet of new flows
 * with no rules, and with 64 rules that each match every field but the
 * last one checked (the source prefix), so that every rule is evaluated
 * in full and none matches: the worst case.  Five rounds interleaved,
 * 2000 new flows each, medians.  Known flows never look at the rules.
 */
BENCH(steer_bench_class_rules_new_flow_cost)
{
	static const __u32 rtt[3] = { 0, 0, 0 };
	struct spec s = { .family = AF_INET, .proto = IPPROTO_TCP, .src = wan_addr4[0],
			  .dst = SERVER4, .dport = 5201, .tcp_flags = F_SYN };
	static char full[16384], none[256];
	double with[5], without[5];
	size_t pos;
	struct lab l;

	if (!lab_up(&l, 0, 1, 0))	/* every flow stays on wan 0: no translation */
		return;
	snprintf(none, sizeof(none), "%s", class_wans);
	pos = snprintf(full, sizeof(full), "%sclass c wan wan2\n", class_wans);
	for (int i = 0; i < OMR_MAX_CLASS_RULES; i++)
		pos += snprintf(full + pos, sizeof(full) - pos,
				"rule proto tcp dport 5201 dscp 0 dst 198.51.100.0/24 "
				"src 10.99.%d.0/24 class c\n", i);
	for (int round = 0; round < 5; round++) {
		if (!lab_classes(&l, none, rtt))
			break;
		without[round] = ns_per_new_flow(l.egress, &s, 10000 + round * 4000, 2000);
		if (!lab_classes(&l, full, rtt))
			break;
		with[round] = ns_per_new_flow(l.egress, &s, 12000 + round * 4000, 2000);
	}
	qsort(with, 5, sizeof(double), cmp_double);
	qsort(without, 5, sizeof(double), cmp_double);
	fprintf(stderr, "# new flow: %.0f ns without rules, %.0f ns with 64 rules evaluated in "
		"full (+%.0f ns, x%.2f); known flows unaffected\n", without[2], with[2],
		with[2] - without[2], without[2] > 0 ? with[2] / without[2] : 0);
	ASSERT_EQ(class_hits(&l, 0), 0, "no rule matched");
	ASSERT_TRUE(with[2] > 0 && without[2] > 0, "measured");
	lab_down(&l);
}
