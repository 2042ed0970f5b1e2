/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the omr_steer MPTCP scheduler objects share, one object per kernel
 * API generation of the MPTCP packet-scheduler hook:
 *
 *  - bpf/mptcp_sched_get_subflow.bpf.c: OpenMPTCProuter's backport of the
 *    2024 series, get_subflow(msk, struct mptcp_sched_data *);
 *  - bpf/mptcp_sched_get_send.bpf.c: mptcp_net-next, get_send(msk) and
 *    get_retrans(msk) over the open-coded subflow iterator.
 *
 * Each object declares exactly the struct mptcp_sched_ops its kernels have,
 * with no ___flavour names and no member the kernel lacks, so that any
 * libbpf (Debian 12's 1.1 as well as OpenWrt's 1.5) fills the struct_ops
 * value member by member; the loader (src/mptcp_sched.c) picks the object
 * of the generation the probe found.  The decision itself is
 * include/mptcp_sched_logic.h; this gathers the subflows' state.
 */
#ifndef OMR_BPF_MPTCP_SCHED_H
#define OMR_BPF_MPTCP_SCHED_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "lib/maps.h"
#include "mptcp_sched_decide.h"

#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef AF_INET6
#define AF_INET6	10
#endif

#define MPTCP_SCHED_NAME_MAX	16

/* BPF_PROG() wraps each program in a function whose ctx stays unused. */
#pragma clang diagnostic ignored "-Wunused-parameter"

/* kfuncs of both generations (net/mptcp/bpf.c) */
extern void mptcp_subflow_set_scheduled(struct mptcp_subflow_context *subflow,
					bool scheduled) __ksym;
extern bool mptcp_subflow_active(struct mptcp_subflow_context *subflow) __ksym;

/* Per-connection accounts (and scratch), on the MPTCP socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct omr_sched_conn);
} sched_conns SEC(".maps");

/* The WAN weight of a subflow socket: bound device first, else source address. */
static __always_inline __u32 subflow_wan_weight(struct sock *ssk)
{
	struct wan_addr key = {};
	struct wan_entry *wan;
	__u32 *wan_idx = NULL;
	__u32 ifindex;

	ifindex = ssk->__sk_common.skc_bound_dev_if;
	if (ifindex)
		wan_idx = bpf_map_lookup_elem(&wan_ifindex, &ifindex);
	if (!wan_idx) {
		if (ssk->__sk_common.skc_family == AF_INET) {
			__u32 saddr = ssk->__sk_common.skc_rcv_saddr;

			key.family = AF_INET;
			__builtin_memcpy(key.addr, &saddr, 4);
		} else if (bpf_core_field_exists(ssk->__sk_common.skc_v6_rcv_saddr) &&
			   ssk->__sk_common.skc_family == AF_INET6) {
			__u32 a0 = ssk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[0];
			__u32 a1 = ssk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[1];
			__u32 a2 = ssk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[2];
			__u32 a3 = ssk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[3];

			if (!a0 && !a1 && a2 == bpf_htonl(0xffffU)) {	/* v4-mapped */
				key.family = AF_INET;
				__builtin_memcpy(key.addr, &a3, 4);
			} else {
				key.family = AF_INET6;
				__builtin_memcpy(key.addr, &a0, 4);
				__builtin_memcpy(key.addr + 4, &a1, 4);
				__builtin_memcpy(key.addr + 8, &a2, 4);
				__builtin_memcpy(key.addr + 12, &a3, 4);
			}
		}
		wan_idx = bpf_map_lookup_elem(&wan_addr, &key);
	}
	if (!wan_idx)
		return 0;	/* not a WAN of ours: backup class */
	wan = bpf_map_lookup_elem(&wan_table, wan_idx);
	return wan ? wan->effective_weight : 0;
}

/*
 * Observe one subflow for the decision, into @sf (see omr_sched_decide()).
 * @writable is the generation's "can take data now" answer.  Returns false
 * when the subflow is not a TCP socket (nothing observed), else true with
 * *@busy telling whether it has data queued or unacknowledged.
 */
static __always_inline bool observe_subflow(struct omr_sched_subflow *sf, struct sock *ssk,
					    __u32 id, bool active, bool writable, bool *busy)
{
	struct tcp_sock *tp;

	tp = bpf_skc_to_tcp_sock(ssk);
	if (!tp)
		return false;
	sf->id = id;
	sf->weight = subflow_wan_weight(ssk);
	/*
	 * A zero peer window makes the subflow wait, as a full buffer does; it
	 * does not take it out of the split: MPTCP's receive window is shared,
	 * the peer closes it on every subflow when its buffer is full, and a
	 * subflow that heard so before the others was then left out of the
	 * shares while they sent on (1:3 uploads to a busy receiver split up
	 * to 46/54 in the test VM).
	 */
	sf->usable = active;
	sf->writable = active && tp->snd_wnd != 0 && writable;
	/* nothing queued nor unacknowledged: a reinjection cannot wait behind its own data */
	sf->idle = tp->snd_una == tp->write_seq;
	*busy = !sf->idle;
	sf->delivered = (__u64)tp->rate_delivered * tp->mss_cache;
	sf->interval_us = tp->rate_interval_us;
	sf->srtt_us = tp->srtt_us >> 3;
	/* write_seq: every byte handed to the subflow, including what is queued */
	sf->sent = tp->write_seq;
	return true;
}

static __always_inline struct omr_sched_conn *conn_state(struct mptcp_sock *msk)
{
	return bpf_sk_storage_get(&sched_conns, msk, 0, BPF_SK_STORAGE_GET_F_CREATE);
}

/* The subflow's id: stable for its life; older kernels lack the field. */
static __always_inline __u32 subflow_id(struct mptcp_subflow_context *subflow, __u32 pos)
{
	if (bpf_core_field_exists(subflow->subflow_id))
		return subflow->subflow_id;
	return pos + 1;
}

#endif /* OMR_BPF_MPTCP_SCHED_H */
