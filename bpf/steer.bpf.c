// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The tc datapath attached to the clsact egress and ingress hooks of every
 * WAN.  Thin entry programs over bpf/lib/: count received packets per WAN
 * (sent ones are counted by omr_xmit when they really leave), and, once
 * the agent turned steering on (steer_cfg.enabled), give each new TCP/UDP
 * flow a WAN by weight and keep it there (lib/flow.h), translating flows
 * moved off the WAN their route chose (lib/nat.h).  Everything they leave
 * alone goes on unchanged with TC_ACT_UNSPEC, so later filters run.
 *
 * Egress runs after netfilter POSTROUTING: masquerade has already given a
 * forwarded packet the routed WAN's address.  A flow moved to another WAN
 * leaves with that WAN's own address (its port kept unless taken), through
 * bpf_redirect_neigh() to the WAN's gateway; our program on the target's
 * egress sees it again, marked in skb->cb, and lets it pass.  Ingress gives
 * replies and ICMP errors of translated flows their original address and
 * port back before conntrack sees them; ICMP errors our side sends about
 * a translated flow leave translated, by the flow's WAN.
 *
 * A pin rule comes first; else the flow's application class (lib/class.h)
 * narrows the WANs the weighted choice picks from.
 *
 * Left alone: non-TCP/UDP, fragments, IPv6 with extension headers, TCP
 * that does not start with a SYN while we watch, MPTCP (MP_CAPABLE/MP_JOIN
 * on the SYN: the scheduler owns subflows), sockets bound to a device or
 * an address (TCP, UDP), packets whose source is another WAN's
 * address, multicast/broadcast/link-local destinations, `bypass` rules and
 * connected networks; UDP flows started from outside stay on the WAN they
 * came in by.
 *
 * Per-packet cost of a known flow: an array lookup for the WAN (steer_ifcache
 * in front of the wan_ifindex hash), one flow-table lookup, no clock read
 * (flow ages are counted in the agent's epochs).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "lib/counters.h"
#include "lib/parse.h"
#include "lib/flow.h"
#include "lib/class.h"
#include "lib/nat.h"

#define STEER_ASSIGNED	0
#define STEER_STEERED	1
#define STEER_ERROR	2
#define STEER_DROP	3
#define STEER_FULL	4
#define STEER_INBOUND_FULL 5

/*
 * The WAN of device @ifindex and its steer_wan flags: the array cache
 * first, wan_ifindex (a hash lookup, as costly as the rest of the fast
 * path) when the cache does not know the device.
 */
static __always_inline bool dev_wan(__u32 ifindex, __u32 *wan_idx, __u32 *wan_flags)
{
	__u32 slot = ifindex % OMR_STEER_IFCACHE_SLOTS;
	struct steer_ifslot *cached = bpf_map_lookup_elem(&steer_ifcache, &slot);
	struct steer_wan *w;
	__u32 *idx;

	if (cached && cached->ifindex == ifindex && ifindex) {
		*wan_idx = cached->wan_idx;
		*wan_flags = cached->wan_flags;
		return true;
	}
	idx = wan_of_ifindex(ifindex);
	if (!idx)
		return false;
	*wan_idx = *idx;
	w = steer_wan_get(*idx);
	*wan_flags = w ? w->flags : 0;
	return true;
}

static __always_inline void count_steer(__u32 wan_idx, int what)
{
	struct wan_counters *c = bpf_map_lookup_elem(&wan_counters, &wan_idx);

	if (!c)
		return;
	if (what == STEER_ASSIGNED)
		c->flows_assigned++;
	else if (what == STEER_STEERED)
		c->flows_steered++;
	else if (what == STEER_ERROR)
		c->steer_errors++;
	else if (what == STEER_DROP)
		c->steer_drops++;
	else if (what == STEER_FULL)
		c->table_full++;
	else
		c->inbound_full++;
}

/*
 * Send a packet of a known flow the way its entry says.  The slow paths
 * below are global functions: the verifier checks each once, on its own,
 * instead of once per path through the entry programs.
 */
__noinline int flow_send(struct __sk_buff *skb, const struct pkt *p,
			 const struct flow_entry *fe, __u32 routed, __u32 l2)
{
	struct steer_wan *w;

	if (!skb || !p || !fe)
		return TC_ACT_UNSPEC;
	w = steer_wan_get(fe->wan_idx);

	if (!w || !w->ifindex) {
		count_steer(routed, STEER_ERROR);
		return TC_ACT_UNSPEC;
	}
	/* a SYN moved to another WAN: an MSS that fits that WAN's MTU */
	if (fe->wan_idx != routed && (p->tcp_flags & TCP_F_SYN) && w->mtu > 100)
		tcp_clamp_mss(skb, p->l4_off, p->tcp_hlen,
			      w->mtu - (p->family == AF_INET ? 40 : 60));
	if (fe->flags & FLOW_F_NAT) {
		int ret = nat_rewrite(skb, p, true, p->key.saddr, fe->addr,
				      p->key.sport, fe->port);

		if (ret == NAT_UNTOUCHED) {
			count_steer(routed, STEER_ERROR);
			return TC_ACT_UNSPEC;
		}
		if (ret == NAT_BROKEN) {
			count_steer(routed, STEER_DROP);
			return TC_ACT_SHOT;
		}
	}
	if (fe->wan_idx == routed)
		return TC_ACT_UNSPEC;
	return nat_redirect(skb, w, p->family, l2);
}

#define START_NEW	0	/* a flow not in the table (@old NULL) */
#define START_REOPEN	1	/* a TCP SYN reusing the tuple of a closed connection */
#define START_MOVE	2	/* a flow whose WAN cannot carry it any more */

/*
 * Give the flow of @p a WAN (@how: START_*; @old its entry, NULL when new),
 * write its entries, then send @p.
 */
__noinline int flow_start(struct __sk_buff *skb, const struct pkt *p,
			  const struct flow_entry *old, __u32 routed, __u32 how)
{
	bool had_old = old != NULL, moving = old && how == START_MOVE;
	bool fallback = false, need_nat = false, taken;
	struct flow_entry fe = {};
	struct steer_rule *rule;
	struct steer_wan *cw, *rw;
	struct steer_cfg *cfg;
	struct flow_key probe;
	int chosen = -1;
	__u32 l2, now;
	long err;

	if (!skb || !p)
		return TC_ACT_UNSPEC;
	cfg = steer_cfg_get();
	rw = steer_wan_get(routed);
	if (!cfg || !rw)
		return TC_ACT_UNSPEC;
	l2 = !!(rw->flags & STEER_WAN_F_L2);
	now = cfg->epoch;
	/* the old translation goes first: its tuple may be the one to take again */
	if (old)
		flow_release_xlat(&p->key, old);

	if (!moving) {
		if (p->proto == IPPROTO_TCP &&
		    (!tcp_is_syn(p) || tcp_has_mptcp_option(skb, p->l4_off, p->tcp_hlen)))
			goto leave;
		if (flow_dst_is_local_scope(p) || flow_socket_is_bound(skb, p))
			goto leave;
	}
	rule = flow_rule(cfg, p);
	if (rule && rule->action == STEER_RULE_BYPASS)
		goto leave;
	if (!moving && flow_src_is_other_wan(p, routed))
		goto leave;

	if (!had_old && p->proto == IPPROTO_UDP) {
		/* a reply of a UDP flow that came in from outside stays where it came in */
		struct flow_entry *in = bpf_map_lookup_elem(&steer_inbound, &p->key);

		if (in) {
			fe.wan_idx = in->wan_idx;
			fe.routed_idx = routed;
			fe.flags = FLOW_F_INBOUND;
			fe.created_epoch = in->created_epoch;
			fe.seen_epoch = now;
			addr_copy(fe.addr, p->key.saddr);
			fe.port = p->key.sport;
			err = bpf_map_update_elem(&steer_flows, &p->key, &fe, BPF_NOEXIST);
			if (!err) {
				bpf_map_delete_elem(&steer_inbound, &p->key);
			} else if (err == -FLOW_E2BIG) {
				/* no room: the inbound entry keeps the flow on its WAN meanwhile */
				count_steer(routed, STEER_FULL);
			} else {
				return TC_ACT_UNSPEC;
			}
			if (!(steer_up(cfg, p->family) & (1U << (fe.wan_idx & 31))))
				return TC_ACT_UNSPEC;
			return flow_send(skb, p, &fe, routed, l2);
		}
	}

	if (rule && rule->action == STEER_RULE_PIN &&
	    (steer_up(cfg, p->family) & (1U << (rule->wan_idx & 31)))) {
		chosen = rule->wan_idx & 31;
		fe.flags |= FLOW_F_PINNED;
	} else {
		__u32 mask = steer_usable(cfg, p->family, &fallback);

		if (!fallback)
			mask = class_wans(skb, p, mask);
		chosen = flow_choose_wan(mask, fallback);
	}
	if (chosen < 0)
		goto leave;
	cw = steer_wan_get(chosen);
	if (!cw || !cw->ifindex)
		goto leave;

	fe.wan_idx = chosen;
	fe.routed_idx = routed;
	fe.seen_epoch = now;
	fe.created_epoch = now;
	addr_copy(fe.addr, p->key.saddr);
	fe.port = p->key.sport;
	if ((__u32)chosen != routed) {
		/* leave with the chosen WAN's own address */
		if (p->family == AF_INET)
			addr_v4_mapped(fe.addr, cw->addr4);
		else
			addr_copy(fe.addr, cw->addr6);
		need_nat = !addr_eq(fe.addr, p->key.saddr);
	}
	/* the tuple we would leave with is a translated flow's: take another port */
	probe = p->key;
	addr_copy(probe.saddr, fe.addr);
	probe.kind = FLOW_KIND_XLAT;
	taken = bpf_map_lookup_elem(&steer_flows, &probe) != NULL;
	if (need_nat || taken) {
		fe.flags |= FLOW_F_NAT;
		err = flow_claim_xlat(&p->key, &fe, !taken);
		if (err) {
			count_steer(routed, err == FLOW_FULL ? STEER_FULL : STEER_ERROR);
			goto leave;
		}
	}
	err = bpf_map_update_elem(&steer_flows, &p->key, &fe, had_old ? BPF_ANY : BPF_NOEXIST);
	if (err) {
		struct flow_entry *cur;

		/* never half a pair: without its flow entry the reply entry goes */
		flow_release_xlat(&p->key, &fe);
		if (err == -FLOW_E2BIG) {
			/* no room: the flow leaves by its routed WAN, untranslated */
			count_steer(routed, STEER_FULL);
			goto leave;
		}
		/* another CPU started the same flow a moment ago: follow it */
		cur = had_old ? NULL : bpf_map_lookup_elem(&steer_flows, &p->key);
		if (cur) {
			fe = *cur;
			return flow_send(skb, p, &fe, routed, l2);
		}
		count_steer(routed, STEER_ERROR);
		return TC_ACT_UNSPEC;
	}
	flow_count_assigned(chosen);
	count_steer(chosen, STEER_ASSIGNED);
	if ((__u32)chosen != routed)
		count_steer(chosen, STEER_STEERED);
	return flow_send(skb, p, &fe, routed, l2);

leave:
	/* no better place: the flow goes back to its route, untranslated */
	if (had_old)
		bpf_map_delete_elem(&steer_flows, &p->key);
	return TC_ACT_UNSPEC;
}

/*
 * An ICMP/ICMPv6 error quoting a packet of a translated flow: arriving on
 * WAN @wan (!@leaving), about a packet we sent; or leaving by @wan, the WAN
 * its route chose, about a packet of the flow we received (a LAN host's
 * port unreachable, the router's fragmentation needed): translated like
 * the flow and sent by the flow's WAN.
 */
__noinline int steer_icmp_error(struct __sk_buff *skb, const struct pkt *p, __u32 wan,
				__u32 leaving)
{
	struct flow_key key = {};
	const __be32 *ours, *theirs;
	struct flow_entry *fe;
	__u32 inner_l3, inner_l4;
	__u8 type, inner_proto;
	__be16 ports[2], our_port;
	int ret;

	if (!skb || !p)
		return TC_ACT_UNSPEC;
	inner_l3 = p->l4_off + 8;
	if (bpf_skb_load_bytes(skb, p->l4_off, &type, 1))
		return TC_ACT_UNSPEC;
	if (p->family == AF_INET) {
		struct iphdr ip;

		/* unreachable (fragmentation needed too), time exceeded, parameter problem */
		if (type != 3 && type != 11 && type != 12)
			return TC_ACT_UNSPEC;
		if (bpf_skb_load_bytes(skb, inner_l3, &ip, sizeof(ip)) || ip.version != 4 ||
		    ip.ihl < 5)
			return TC_ACT_UNSPEC;
		inner_proto = ip.protocol;
		inner_l4 = inner_l3 + ip.ihl * 4;
		addr_v4_mapped(key.saddr, ip.saddr);
		addr_v4_mapped(key.daddr, ip.daddr);
	} else {
		struct ipv6hdr ip6;

		/* destination unreachable, packet too big, time exceeded, parameter problem */
		if (type < 1 || type > 4)
			return TC_ACT_UNSPEC;
		if (bpf_skb_load_bytes(skb, inner_l3, &ip6, sizeof(ip6)) || ip6.version != 6)
			return TC_ACT_UNSPEC;
		inner_proto = ip6.nexthdr;
		inner_l4 = inner_l3 + sizeof(ip6);
		__builtin_memcpy(key.saddr, &ip6.saddr, 16);
		__builtin_memcpy(key.daddr, &ip6.daddr, 16);
	}
	if (inner_proto != IPPROTO_TCP && inner_proto != IPPROTO_UDP)
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, inner_l4, ports, sizeof(ports)))
		return TC_ACT_UNSPEC;
	key.proto = inner_proto;
	if (!leaving) {
		/* quoted: a packet we sent, our side its source, under its translated tuple */
		key.sport = ports[0];
		key.dport = ports[1];
		key.kind = FLOW_KIND_XLAT;
		ours = p->key.daddr;
	} else {
		/* quoted: a packet we received, our side its destination */
		struct flow_key swap = key;

		addr_copy(key.saddr, swap.daddr);
		addr_copy(key.daddr, swap.saddr);
		key.sport = ports[1];
		key.dport = ports[0];
		key.kind = FLOW_KIND_ORIG;
		ours = p->key.saddr;
	}
	fe = bpf_map_lookup_elem(&steer_flows, &key);
	/* only errors about a translated flow, sent to (or from) our side's address */
	if (!fe || !(fe->flags & FLOW_F_NAT) || !addr_eq(key.saddr, ours))
		return TC_ACT_UNSPEC;
	theirs = fe->addr;
	our_port = fe->port;
	ret = nat_icmp_error(skb, p, !leaving, inner_l3, inner_l4, inner_proto, key.saddr, theirs,
			     key.sport, our_port);
	if (ret == NAT_UNTOUCHED) {
		count_steer(wan, STEER_ERROR);
		return TC_ACT_UNSPEC;
	}
	if (ret == NAT_BROKEN) {
		count_steer(wan, STEER_DROP);
		return TC_ACT_SHOT;
	}
	if (leaving && fe->wan_idx != wan) {
		struct steer_wan *from = steer_wan_get(wan), *to = steer_wan_get(fe->wan_idx);

		if (!from || !to || !to->ifindex)
			return TC_ACT_SHOT;	/* translated already: it cannot go out here */
		return nat_redirect(skb, to, p->family, from->flags & STEER_WAN_F_L2);
	}
	return TC_ACT_UNSPEC;
}

static __always_inline int steer_egress(struct __sk_buff *skb, const struct steer_cfg *cfg,
					__u32 routed, __u32 wan_flags)
{
	bool l2 = wan_flags & STEER_WAN_F_L2;
	struct flow_entry *fe;
	struct pkt p;

	if (parse_packet(skb, l2 ? ETH_HLEN : 0, &p) != PARSE_OK)
		return TC_ACT_UNSPEC;
	if (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP)
		return steer_icmp_error(skb, &p, routed, 1);

	fe = bpf_map_lookup_elem(&steer_flows, &p.key);
	if (fe) {
		bool reopen = tcp_is_syn(&p) && (fe->flags & FLOW_F_CLOSING);
		__u32 alive;
		bool fallback;

		if (!reopen) {
			/* the fast path: a flow on the WAN its route chose */
			if (fe->wan_idx == routed && !(fe->flags & FLOW_F_NAT)) {
				flow_touch(fe, &p, cfg->epoch);
				return TC_ACT_UNSPEC;
			}
			if (fe->flags & (FLOW_F_PINNED | FLOW_F_INBOUND))
				alive = steer_up(cfg, p.family);
			else
				alive = steer_usable(cfg, p.family, &fallback);
			if (alive & (1U << (fe->wan_idx & 31))) {
				if ((fe->flags & FLOW_F_NAT) && fe->seen_epoch != cfg->epoch)
					flow_keep_xlat(&p.key, fe);
				flow_touch(fe, &p, cfg->epoch);
				return flow_send(skb, &p, fe, routed, l2);
			}
			if (fe->flags & FLOW_F_INBOUND)
				return TC_ACT_UNSPEC;	/* its WAN is down: nowhere better */
		}
		return flow_start(skb, &p, fe, routed, reopen ? START_REOPEN : START_MOVE);
	}
	return flow_start(skb, &p, NULL, routed, START_NEW);
}

static __always_inline int steer_ingress(struct __sk_buff *skb, const struct steer_cfg *cfg,
					 __u32 wan, __u32 wan_flags)
{
	__u32 now = cfg->epoch;
	struct flow_entry *fe;
	struct flow_key key;
	struct pkt p;
	int ret;

	if (parse_packet(skb, (wan_flags & STEER_WAN_F_L2) ? ETH_HLEN : 0, &p) != PARSE_OK)
		return TC_ACT_UNSPEC;
	if (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP)
		return steer_icmp_error(skb, &p, wan, 0);

	/* a reply travels the flow backwards: our side is its destination */
	addr_copy(key.saddr, p.key.daddr);
	addr_copy(key.daddr, p.key.saddr);
	key.sport = p.key.dport;
	key.dport = p.key.sport;
	key.proto = p.proto;
	key.kind = FLOW_KIND_XLAT;
	key.pad[0] = key.pad[1] = 0;
	fe = bpf_map_lookup_elem(&steer_flows, &key);
	if (fe) {
		flow_touch(fe, &p, now);
		if (p.tcp_flags & TCP_F_SYN) {
			/* the SYN-ACK: the LAN side's segments must fit this WAN too */
			struct steer_wan *w = steer_wan_get(wan);

			if (w && w->mtu > 100)
				tcp_clamp_mss(skb, p.l4_off, p.tcp_hlen,
					      w->mtu - (p.family == AF_INET ? 40 : 60));
		}
		ret = nat_rewrite(skb, &p, false, p.key.daddr, fe->addr, p.key.dport, fe->port);
		if (ret == NAT_UNTOUCHED)
			count_steer(wan, STEER_ERROR);
		if (ret == NAT_BROKEN) {
			count_steer(wan, STEER_DROP);
			return TC_ACT_SHOT;
		}
		return TC_ACT_UNSPEC;
	}
	if (p.proto != IPPROTO_UDP)
		return TC_ACT_UNSPEC;

	/* UDP: a reply of a flow of ours, or a flow started from outside? */
	key.kind = FLOW_KIND_ORIG;
	fe = bpf_map_lookup_elem(&steer_flows, &key);
	if (fe) {
		if (fe->seen_epoch != now)
			fe->seen_epoch = now;
		return TC_ACT_UNSPEC;
	}
	fe = bpf_map_lookup_elem(&steer_inbound, &key);
	if (fe) {
		if (fe->seen_epoch != now)
			fe->seen_epoch = now;
	} else {
		struct flow_entry in = {
			.wan_idx = wan,
			.routed_idx = wan,
			.flags = FLOW_F_INBOUND,
			.seen_epoch = now,
			.created_epoch = now,
		};

		/*
		 * Full: its answers take the weighted choice like a flow of ours.
		 * (The replies of a flow of ours that found no room in steer_flows
		 * come here too: recorded, they keep that flow on this WAN.)
		 */
		if (bpf_map_update_elem(&steer_inbound, &key, &in, BPF_NOEXIST) == -FLOW_E2BIG)
			count_steer(wan, STEER_INBOUND_FULL);
	}
	return TC_ACT_UNSPEC;
}

SEC("tc")
int omr_egress(struct __sk_buff *skb)
{
	__u32 wan_idx, wan_flags;
	struct steer_cfg *cfg;
	int verdict;

	if (!dev_wan(skb->ifindex, &wan_idx, &wan_flags))
		return TC_ACT_UNSPEC;
	cfg = steer_cfg_get();
	/* redirected here by our program on another WAN: it leaves here */
	if (!cfg || !cfg->enabled || nat_take_redirect_mark(skb))
		return TC_ACT_UNSPEC;
	/* tx is counted where the packet really leaves: omr_xmit */
	verdict = steer_egress(skb, cfg, wan_idx, wan_flags);
	return verdict;
}

SEC("tc")
int omr_ingress(struct __sk_buff *skb)
{
	__u32 wan_idx, wan_flags;
	struct steer_cfg *cfg;

	if (!dev_wan(skb->ifindex, &wan_idx, &wan_flags))
		return TC_ACT_UNSPEC;
	count_rx(wan_idx, skb->len);
	cfg = steer_cfg_get();
	if (!cfg || !cfg->enabled)
		return TC_ACT_UNSPEC;
	return steer_ingress(skb, cfg, wan_idx, wan_flags);
}

/*
 * Where a sent packet is counted: after the WAN's qdisc, when the driver
 * took it.  The clsact egress hook runs before the qdisc, so a shaper's
 * (SQM, tbf) drops would be counted as sent there, and a steered packet is
 * counted on the WAN it actually left by.  The tracepoint fires for every
 * device of every namespace: one compare rejects other namespaces before
 * the ifindex lookup.
 */
const volatile __u32 wan_netns_ino = 0;	/* set by the loader: its network namespace */

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-parameter"	/* BPF_PROG's ctx, skb */
SEC("tp_btf/net_dev_xmit")
int BPF_PROG(omr_xmit, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len)
{
	__u32 *wan_idx;

	if (rc != NETDEV_TX_OK || dev->nd_net.net->ns.inum != wan_netns_ino)
		return 0;
	wan_idx = wan_of_ifindex(dev->ifindex);
	if (wan_idx)
		count_tx(*wan_idx, len);
	return 0;
}
#pragma clang diagnostic pop

/*
 * Counting only, as omr_egress was before steering: the baseline of the
 * per-packet cost benchmark.  Not loaded unless asked for ("?tc").
 */
SEC("?tc")
int omr_count_only(struct __sk_buff *skb)
{
	__u32 *wan_idx = wan_of_ifindex(skb->ifindex);

	if (wan_idx)
		count_tx(*wan_idx, skb->len);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
