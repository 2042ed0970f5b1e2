/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table and the choice of a WAN for a new flow.
 *
 * The choice: the usable WAN with the least (load + 1) / weight.  A WAN's
 * load is its flows busy lately (a packet in the last few seconds) at the
 * agent's last scan plus the flows given to it since (struct steer_cfg,
 * struct steer_load).  Ties go to the larger weight, then the lower index,
 * so the sequence is deterministic: weights 1:3 give B B B A ..., 1:3:2
 * give exactly 4/12/8 of 24 flows started together.
 *
 * Why not a hash, or a slot table indexed by a hash: with a few dozen flows
 * a hash splits unevenly (6/11/7 instead of 4/12/8) and the slowest link
 * then holds a whole batch back (DESIGN.md).  Why load and not a plain
 * round robin: after a link comes back, or while long flows sit on one
 * WAN, new flows go where there is room.  Why the agent's scan and a
 * counter: the scan sees flows end and go idle; between scans the counter
 * spreads consecutive choices.  A slot table's other virtue, moving few
 * flows when weights change, is had outright: the flow table keeps every
 * flow on its WAN, and only flows on a WAN that went down or to weight 0
 * move, on their next packet.
 *
 * The table (hash steer_flows) holds per flow an ORIG entry, keyed by the
 * tuple as it leaves, and for a translated flow an XLAT entry keyed by the
 * translated tuple, which replies (and ICMP errors) are looked up by.  The
 * XLAT entry is written first and the ORIG entry second; when the second
 * insert fails the first is removed, so no half pair is left behind.
 *
 * Why not an LRU hash (as before): under pressure the LRU drops the least
 * recently used entries to admit new ones, and "least recently used" is
 * per CPU list and approximate: a burst of a few hundred new flows evicted
 * translated connections active every 200 ms.  A dropped translated flow
 * breaks (its next packets leave untranslated by the routed WAN, the
 * server answers with a reset), silently.  An untranslated new flow that
 * finds no room loses nothing: it leaves by its routed WAN as it would
 * without us.  So entries live until the agent ages them out (src/steering.c:
 * TCP after FIN/RST plus a grace time, or after a long idle time; UDP after
 * an idle time, short for a single exchange), whatever new flows arrive,
 * and when the table is full (the insert returns -E2BIG) the new flow goes
 * untranslated by its routed WAN, counted in wan_counters.table_full of
 * that WAN (`stats`), which the agent logs once per interval.  A flow not
 * in the table retries on its next packets (for TCP only a SYN can start a
 * flow; a UDP flow may get a WAN once there is room again).
 *
 * Cost: a hash lookup is what the LRU lookup was, minus the LRU's reference
 * bit write; the fast path does not change.  The agent's aging walks the
 * table with batch lookups once per interval.  steer_inbound is a hash for
 * the same reason: a flood of packets from outside fills it (its entries
 * are aged after a short idle time) instead of pushing out the flows it
 * keeps.
 */
#ifndef OMR_BPF_FLOW_H
#define OMR_BPF_FLOW_H

#include <bpf/bpf_core_read.h>
#include "maps.h"
#include "parse.h"

#define FLOW_PORT_TRIES		4		/* translated ports tried before giving up */
#define FLOW_E2BIG		7		/* E2BIG: a full hash refuses an insert */
#define FLOW_NO_PORT		(-1)		/* flow_claim_xlat(): every port tried was taken */
#define FLOW_FULL		(-2)		/* ... the table is full */

static __always_inline struct steer_cfg *steer_cfg_get(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&steer_cfg, &key);
}

static __always_inline struct steer_wan *steer_wan_get(__u32 wan_idx)
{
	return bpf_map_lookup_elem(&steer_wan, &wan_idx);
}

/* WANs that may take new flows of @family: the weighted ones, else the weight-0 ones. */
static __always_inline __u32 steer_usable(const struct steer_cfg *cfg, __u8 family, bool *fallback)
{
	__u32 mask = family == AF_INET ? cfg->usable4 : cfg->usable6;

	*fallback = false;
	if (!mask) {
		mask = family == AF_INET ? cfg->fallback4 : cfg->fallback6;
		*fallback = true;
	}
	return mask;
}

/* WANs that are up and have an address of @family, whatever their weight. */
static __always_inline __u32 steer_up(const struct steer_cfg *cfg, __u8 family)
{
	return family == AF_INET ? cfg->usable4 | cfg->fallback4 : cfg->usable6 | cfg->fallback6;
}

/*
 * The WAN in @mask with the least (load + 1) / weight, -1 when @mask holds
 * no WAN with a weight.  On the fallback set every WAN weighs 1.  A global
 * function, verified once on its own; its result is not used as an index
 * in here, so the verifier can prune the loop's states (the caller counts
 * the flow in steer_load with flow_count_assigned()).
 */
__noinline int flow_choose_wan(__u32 mask, __u32 fallback)
{
	__u32 key = 0;
	struct steer_load *load = bpf_map_lookup_elem(&steer_load, &key);
	struct steer_cfg *cfg = bpf_map_lookup_elem(&steer_cfg, &key);
	/* a score no WAN reaches: no branch below depends on a constant */
	__u64 best_num = 1ULL << 40, best_weight = 1;
	int best = -1;

	if (!load || !cfg)
		return -1;
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		__u64 weight, num;
		__s64 active;

		if (!(mask & (1U << i)))
			continue;
		weight = fallback ? 1 : cfg->weight[i];
		if (!weight)
			continue;
		active = cfg->load_base[i] + (__s64)load->assigned[i];
		num = (active > 0 ? (__u64)active : 0) + 1;
		/* num / weight < best_num / best_weight, without division */
		if (num * best_weight < best_num * weight ||
		    (num * best_weight == best_num * weight && weight > best_weight)) {
			best = i;
			best_num = num;
			best_weight = weight;
		}
	}
	return best;
}

static __always_inline void flow_count_assigned(__u32 wan_idx)
{
	__u32 key = 0;
	struct steer_load *load = bpf_map_lookup_elem(&steer_load, &key);

	if (load)
		__sync_fetch_and_add(&load->assigned[wan_idx & (OMR_MAX_WANS - 1)], 1);
}

/*
 * A pin or bypass rule for the destination of @p: the most specific
 * protocol/port combination first, the longest prefix within it.
 */
static __always_inline struct steer_rule *flow_rule(const struct steer_cfg *cfg,
						    const struct pkt *p)
{
	struct steer_rule_key key = { .prefixlen = 32 + 128 };
	struct steer_rule *rule;
	__u32 sets = cfg->rule_sets;

	if (!sets)
		return NULL;
	addr_copy(key.addr, p->key.daddr);
	if (sets & STEER_RULES_PROTO_PORT) {
		key.proto = p->proto;
		key.port = p->key.dport;
		rule = bpf_map_lookup_elem(&steer_rules, &key);
		if (rule)
			return rule;
	}
	if (sets & STEER_RULES_PROTO) {
		key.proto = p->proto;
		key.port = 0;
		rule = bpf_map_lookup_elem(&steer_rules, &key);
		if (rule)
			return rule;
	}
	if (sets & STEER_RULES_PORT) {
		key.proto = 0;
		key.port = p->key.dport;
		rule = bpf_map_lookup_elem(&steer_rules, &key);
		if (rule)
			return rule;
	}
	if (sets & STEER_RULES_ANY) {
		key.proto = 0;
		key.port = 0;
		return bpf_map_lookup_elem(&steer_rules, &key);
	}
	return NULL;
}

/* Multicast, broadcast, link-local: never steered. */
static __always_inline bool flow_dst_is_local_scope(const struct pkt *p)
{
	const __be32 *d = p->key.daddr;

	if (p->family == AF_INET) {
		__u32 a = bpf_ntohl(d[3]);

		return (a >> 28) == 0xe || a == 0xffffffff || (a >> 16) == 0xa9fe ||
		       (a >> 24) == 0x7f;
	}
	return (bpf_ntohl(d[0]) >> 24) == 0xff || (bpf_ntohl(d[0]) >> 22) == (0xfe80 >> 6) ||
	       (d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == bpf_htonl(1));
}

#define SOCK_BINDADDR_LOCK	4

/* A read-only view of a kernel object (a generic kfunc, any program type). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * A local socket that chose its way out: bound to a device (SO_BINDTODEVICE,
 * ping -I, MPTCP subflow endpoints) or to an address (TCP, UDP of either
 * family: SOCK_BINDADDR_LOCK).  Forwarded packets have no socket.  There is
 * no bpf_skc_to_*() for an IPv4 UDP socket: its struct sock is read through
 * bpf_rdonly_cast() (kernels >= 6.2).  Without the kfunc only IPv6 UDP
 * sockets are told (bpf_skc_to_udp6_sock); for IPv4 the source-address check
 * still catches sockets bound to another WAN's address, not to the routed
 * WAN's own.
 */
static __always_inline bool flow_socket_is_bound(struct __sk_buff *skb, const struct pkt *p)
{
	struct bpf_sock *sk = skb->sk;
	struct bpf_sock *full;

	if (!sk)
		return false;
	full = bpf_sk_fullsock(sk);
	if (!full)
		return false;
	if (full->bound_dev_if)
		return true;
	if (p->proto == IPPROTO_TCP) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

		struct sock *s = tp ? &tp->inet_conn.icsk_inet.sk : NULL;

		if (s && (BPF_CORE_READ_BITFIELD_PROBED(s, sk_userlocks) & SOCK_BINDADDR_LOCK))
			return true;
	} else if (bpf_rdonly_cast) {	/* weak: NULL on a kernel without it */
		struct sock *s = bpf_rdonly_cast(full, bpf_core_type_id_kernel(struct sock));

		if (s && (BPF_CORE_READ_BITFIELD(s, sk_userlocks) & SOCK_BINDADDR_LOCK))
			return true;
	} else {
		struct udp6_sock *up = bpf_skc_to_udp6_sock(sk);

		if (up && (BPF_CORE_READ_BITFIELD_PROBED(&up->udp.inet.sk, sk_userlocks) &
			   SOCK_BINDADDR_LOCK))
			return true;
	}
	return false;
}

/*
 * Is @p's source the own address of a WAN other than @routed?  Such a
 * packet already belongs to that WAN (a socket bound to its address) and is
 * left alone.  A global function: verified once, on its own.
 */
__noinline int flow_src_is_other_wan(const struct pkt *p, __u32 routed)
{
	if (!p)
		return 0;
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct steer_wan *w;

		if (i == routed)
			continue;
		w = steer_wan_get(i);
		if (!w || !w->ifindex)
			continue;
		if (p->family == AF_INET) {
			if ((w->flags & STEER_WAN_F_ADDR4) && w->addr4 == p->key.saddr[3])
				return 1;
		} else if ((w->flags & STEER_WAN_F_ADDR6) && addr_eq(w->addr6, p->key.saddr)) {
			return 1;
		}
	}
	return 0;
}

/*
 * Refresh an entry on a packet: the epoch it was last seen in (written
 * once per epoch, so CPUs do not fight over the cache line), TCP close.
 */
static __always_inline void flow_touch(struct flow_entry *fe, const struct pkt *p, __u32 epoch)
{
	if (fe->seen_epoch != epoch)
		fe->seen_epoch = epoch;
	if ((p->tcp_flags & (TCP_F_FIN | TCP_F_RST)) && !(fe->flags & FLOW_F_CLOSING))
		fe->flags |= FLOW_F_CLOSING;
}

static __always_inline bool tcp_is_syn(const struct pkt *p)
{
	return p->proto == IPPROTO_TCP && (p->tcp_flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN;
}

/* The translated tuple of ORIG @okey under @fe's address and port, as an XLAT key. */
static __always_inline void flow_xlat_key(struct flow_key *xkey, const struct flow_key *okey,
					  const struct flow_entry *fe)
{
	*xkey = *okey;
	addr_copy(xkey->saddr, fe->addr);
	xkey->sport = fe->port;
	xkey->kind = FLOW_KIND_XLAT;
}

/*
 * Claim a translated tuple for the flow @okey leaving with address @fe->addr:
 * its own source port if free, else random ones.  "Free" means no other
 * translated flow and no flow of our table leaving natively has the tuple,
 * so replies cannot be taken for another flow's.  Sets @fe->port and
 * inserts the XLAT entry; FLOW_NO_PORT when no port could be had, FLOW_FULL
 * when the table is full.  A global function.
 */
__noinline int flow_claim_xlat(const struct flow_key *okey, struct flow_entry *fe,
			       __u32 keep_port_ok)
{
	struct flow_entry xe = {};
	struct flow_key xkey;

	if (!okey || !fe)
		return FLOW_NO_PORT;
	addr_copy(xe.addr, okey->saddr);
	xe.port = okey->sport;
	xe.wan_idx = fe->wan_idx;
	xe.routed_idx = fe->routed_idx;
	xe.flags = FLOW_F_NAT | (fe->flags & FLOW_F_PINNED);
	xe.seen_epoch = fe->seen_epoch;
	xe.created_epoch = fe->created_epoch;

	for (int i = 0; i < FLOW_PORT_TRIES; i++) {
		long err;

		if (i == 0 && keep_port_ok) {
			fe->port = okey->sport;
		} else {
			/* above the usual ephemeral ranges' start, below 65536 */
			fe->port = bpf_htons(1024 + bpf_get_prandom_u32() % (65536 - 1024));
		}
		flow_xlat_key(&xkey, okey, fe);
		/* a flow of ours leaving natively with that tuple? */
		xkey.kind = FLOW_KIND_ORIG;
		if (bpf_map_lookup_elem(&steer_flows, &xkey))
			continue;
		xkey.kind = FLOW_KIND_XLAT;
		err = bpf_map_update_elem(&steer_flows, &xkey, &xe, BPF_NOEXIST);
		if (!err)
			return 0;
		if (err == -FLOW_E2BIG)
			return FLOW_FULL;
	}
	return FLOW_NO_PORT;
}

/*
 * The reply entry of the translated flow @okey/@fe is still there, or put
 * back (nothing removes one entry of a live pair, but a pair written by an
 * older version, or half removed by hand, heals).  Asked once per epoch
 * per flow.  A global function.
 */
__noinline int flow_keep_xlat(const struct flow_key *okey, const struct flow_entry *fe)
{
	struct flow_entry xe = {};
	struct flow_key xkey;

	if (!okey || !fe)
		return -1;
	flow_xlat_key(&xkey, okey, fe);
	if (bpf_map_lookup_elem(&steer_flows, &xkey))
		return 0;
	addr_copy(xe.addr, okey->saddr);
	xe.port = okey->sport;
	xe.wan_idx = fe->wan_idx;
	xe.routed_idx = fe->routed_idx;
	xe.flags = FLOW_F_NAT | (fe->flags & FLOW_F_PINNED);
	xe.seen_epoch = fe->seen_epoch;
	xe.created_epoch = fe->created_epoch;
	return bpf_map_update_elem(&steer_flows, &xkey, &xe, BPF_NOEXIST);
}

static __always_inline void flow_release_xlat(const struct flow_key *okey,
					      const struct flow_entry *fe)
{
	struct flow_key xkey;

	if (!(fe->flags & FLOW_F_NAT))
		return;
	flow_xlat_key(&xkey, okey, fe);
	bpf_map_delete_elem(&steer_flows, &xkey);
}

#endif
