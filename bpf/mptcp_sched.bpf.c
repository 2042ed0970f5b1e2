// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * omr_steer: an MPTCP packet scheduler (BPF struct_ops mptcp_sched_ops) that
 * spreads each connection's bytes over its subflows in proportion to the
 * weights of the subflows' WANs.  The decision itself is in
 * include/mptcp_sched_logic.h (unit-tested in user space); this file only
 * gathers the subflows' state from the kernel and applies the choice.
 *
 * One object, two struct_ops maps, one per kernel API generation (see
 * bpf/mptcp_types.h): sched_get_send (mptcp_net-next) and sched_get_subflow
 * (OpenMPTCProuter's backport).  The loader (src/mptcp_sched.c) probes the kernel
 * and creates only the matching map.  The WAN maps are the pinned ones of
 * bpf/lib/maps.h, shared with the tc programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "lib/maps.h"
#include "mptcp_types.h"
#include "mptcp_sched_logic.h"

/* BPF_PROG() wraps each program in a function whose ctx stays unused. */
#pragma clang diagnostic ignored "-Wunused-parameter"

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
 * Describe one subflow for the decision.  @writable is the generation's
 * "can take data now" answer.  Returns 0 when the subflow is not a TCP socket
 * (nothing to describe).
 */
static __always_inline int describe_subflow(struct omr_sched_conn *conn, struct sock *ssk,
					    __u32 id, bool active, bool writable)
{
	struct omr_sched_subflow sf = {};
	struct tcp_sock *tp;
	int slot;

	tp = bpf_skc_to_tcp_sock(ssk);
	if (!tp)
		return 0;
	sf.id = id;
	sf.weight = subflow_wan_weight(ssk);
	/* a zero peer window blocks the subflow; a full buffer does not */
	sf.usable = active && tp->snd_wnd != 0;
	sf.writable = sf.usable && writable;
	sf.delivered = (__u64)tp->rate_delivered * tp->mss_cache;
	sf.interval_us = tp->rate_interval_us;
	sf.srtt_us = tp->srtt_us >> 3;
	slot = omr_sched_slot(conn, id);
	/* write_seq: every byte handed to the subflow, including what is queued */
	sf.sent = omr_sched_observe(conn, slot, tp->write_seq);
	return omr_sched_add(conn, &sf);
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

/* ---- mptcp_net-next: get_send / get_retrans over the subflow iterator ---- */

static __always_inline int next_gen_collect(struct mptcp_sock *msk, struct omr_sched_conn *conn)
{
	struct bpf_iter_mptcp_subflow it;
	struct mptcp_subflow_context *subflow;
	__u32 pos = 0;

	omr_sched_pass_begin(conn);
	bpf_iter_mptcp_subflow_new(&it, (struct sock *)msk);
	while ((subflow = bpf_iter_mptcp_subflow_next(&it))) {
		struct sock *ssk;
		bool active;

		if (pos >= OMR_SCHED_MAX_SUBFLOWS)
			break;
		ssk = bpf_mptcp_subflow_tcp_sock(subflow);
		if (!ssk)
			continue;
		active = mptcp_subflow_active(subflow);
		describe_subflow(conn, ssk, subflow_id(subflow, pos), active,
				 active && bpf_sk_stream_memory_free(ssk));
		pos++;
	}
	bpf_iter_mptcp_subflow_destroy(&it);
	omr_sched_pass_end(conn);
	return conn->n;
}

static __always_inline int next_gen_schedule(struct mptcp_sock *msk, __u32 id)
{
	struct bpf_iter_mptcp_subflow it;
	struct mptcp_subflow_context *subflow;
	__u32 pos = 0;
	int ret = -1;

	bpf_iter_mptcp_subflow_new(&it, (struct sock *)msk);
	while ((subflow = bpf_iter_mptcp_subflow_next(&it))) {
		if (pos >= OMR_SCHED_MAX_SUBFLOWS)
			break;
		if (subflow_id(subflow, pos) == id) {
			mptcp_subflow_set_scheduled(subflow, true);
			ret = 0;
			break;
		}
		pos++;
	}
	bpf_iter_mptcp_subflow_destroy(&it);
	return ret;
}

static __always_inline int next_gen_pick(struct mptcp_sock *msk, bool retrans)
{
	struct omr_sched_conn *conn = conn_state(msk);
	int pick;

	if (!conn)
		return -1;
	next_gen_collect(msk, conn);
	pick = retrans ? omr_sched_pick_retrans(conn->sf, conn->n)
		       : omr_sched_pick_send(conn->sf, conn->n);
	if (pick < 0 || pick >= OMR_SCHED_MAX_SUBFLOWS)
		return -1;
	return next_gen_schedule(msk, conn->sf[pick].id);
}

SEC("struct_ops")
void BPF_PROG(omr_sched_init, struct mptcp_sock *msk)
{
	conn_state(msk);
}

SEC("struct_ops")
void BPF_PROG(omr_sched_release, struct mptcp_sock *msk)
{
	bpf_sk_storage_delete(&sched_conns, msk);
}

SEC("struct_ops")
int BPF_PROG(omr_get_send, struct mptcp_sock *msk)
{
	return next_gen_pick(msk, false);
}

SEC("struct_ops")
int BPF_PROG(omr_get_retrans, struct mptcp_sock *msk)
{
	return next_gen_pick(msk, true);
}

SEC(".struct_ops")
struct mptcp_sched_ops sched_get_send = {
	.get_send	= (void *)omr_get_send,
	.get_retrans	= (void *)omr_get_retrans,
	.init		= (void *)omr_sched_init,
	.release	= (void *)omr_sched_release,
	.name		= OMR_MPTCP_SCHED_NAME,
};

/* ---- OpenMPTCProuter: get_subflow with the subflows in mptcp_sched_data ---- */

static __always_inline bool omr_gen_writable(struct sock *ssk)
{
	if (ssk->sk_wmem_queued >= ssk->sk_sndbuf)
		return false;
	return tcp_stream_memory_free(ssk, 0);
}

SEC("struct_ops")
void BPF_PROG(omr_sched_init_omr, struct mptcp_sock *msk)
{
	conn_state(msk);
}

SEC("struct_ops")
void BPF_PROG(omr_sched_release_omr, struct mptcp_sock *msk)
{
	bpf_sk_storage_delete(&sched_conns, msk);
}

SEC("struct_ops")
int BPF_PROG(omr_get_subflow, struct mptcp_sock *msk, struct mptcp_sched_data___omr *data)
{
	struct omr_sched_conn *conn = conn_state(msk);
	struct mptcp_subflow_context *subflow;
	__u32 pos, count;
	int pick;

	if (!conn)
		return -1;
	count = data->subflows;
	omr_sched_pass_begin(conn);
	for (pos = 0; pos < OMR_SCHED_MAX_SUBFLOWS && pos < count; pos++) {
		struct sock *ssk;
		bool active;

		subflow = bpf_mptcp_subflow_ctx_by_pos(data, pos);
		if (!subflow)
			break;
		ssk = subflow->tcp_sock;
		if (!ssk)
			continue;
		active = mptcp_subflow_active(subflow);
		describe_subflow(conn, ssk, subflow_id(subflow, pos), active,
				 active && omr_gen_writable(ssk));
	}
	omr_sched_pass_end(conn);

	pick = data->reinject ? omr_sched_pick_retrans(conn->sf, conn->n)
			      : omr_sched_pick_send(conn->sf, conn->n);
	if (pick < 0 || pick >= OMR_SCHED_MAX_SUBFLOWS)
		return -1;
	for (pos = 0; pos < OMR_SCHED_MAX_SUBFLOWS && pos < count; pos++) {
		subflow = bpf_mptcp_subflow_ctx_by_pos(data, pos);
		if (!subflow)
			break;
		if (subflow_id(subflow, pos) == conn->sf[pick].id) {
			mptcp_subflow_set_scheduled(subflow, true);
			return 0;
		}
	}
	return -1;
}

SEC(".struct_ops")
struct mptcp_sched_ops___omr sched_get_subflow = {
	.get_subflow	= (void *)omr_get_subflow,
	.init		= (void *)omr_sched_init_omr,
	.release	= (void *)omr_sched_release_omr,
	.name		= OMR_MPTCP_SCHED_NAME,
};

/*
 * ---- self-test: the shared decision logic under this kernel's verifier ----
 *
 * tests/bpf/test_mptcp_probe.c runs this with BPF_PROG_TEST_RUN, with the
 * struct_ops maps left out, on kernels without the hook too: it feeds the
 * same subflow descriptions to this program and to the user-space build of
 * include/mptcp_sched_logic.h and expects the same choices.  The loader of
 * the real scheduler leaves it unloaded.
 */
struct sched_selftest {
	__u32 n;			/* subflows in in[] */
	__u32 retrans;			/* 1: pick for a retransmission */
	__s32 pick;			/* out: index into in[], or -1 */
	__u32 pad;
	struct omr_sched_subflow in[OMR_SCHED_MAX_SUBFLOWS];	/* .sent: the byte counter */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct omr_sched_conn);
} selftest_conn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sched_selftest);
} selftest_io SEC(".maps");

SEC("syscall")
int sched_selftest(void *ctx)
{
	struct sched_selftest *io;
	struct omr_sched_conn *conn;
	__u32 zero = 0, i;
	int pick;

	io = bpf_map_lookup_elem(&selftest_io, &zero);
	conn = bpf_map_lookup_elem(&selftest_conn, &zero);
	if (!io || !conn)
		return 1;
	omr_sched_pass_begin(conn);
	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		struct omr_sched_subflow sf;
		int slot;

		if (i >= io->n)
			break;
		sf = io->in[i];
		slot = omr_sched_slot(conn, sf.id);
		sf.sent = omr_sched_observe(conn, slot, (__u32)io->in[i].sent);
		omr_sched_add(conn, &sf);
	}
	omr_sched_pass_end(conn);
	pick = io->retrans ? omr_sched_pick_retrans(conn->sf, conn->n)
			   : omr_sched_pick_send(conn->sf, conn->n);
	io->pick = pick;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
