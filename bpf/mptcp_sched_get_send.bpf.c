// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * omr_steer, the MPTCP packet scheduler that spreads each connection's bytes
 * over its subflows in proportion to the weights of the subflows' WANs, for
 * the mptcp_net-next API: get_send(msk) for new data, get_retrans(msk) for
 * reinjections, the subflows walked with the open-coded iterator.
 *
 * vmlinux.h (mainline 6.15 or later) has this generation's struct
 * mptcp_sched_ops; no kernel with its BPF registration was at hand, so this
 * object is only compiled and its decision logic tested.  See
 * bpf/mptcp_sched.h.
 */
#include "vmlinux.h"
#include "mptcp_sched.h"

/* The layout the struct_ops map is built on must be this generation's. */
_Static_assert(__builtin_offsetof(struct mptcp_sched_ops, get_send) == 0 &&
	       __builtin_offsetof(struct mptcp_sched_ops, get_retrans) == 8,
	       "vmlinux.h: struct mptcp_sched_ops is not the get_send/get_retrans layout; "
	       "regenerate it from a kernel of 6.15 or later (make vmlinux)");

/* Opaque iterator state, as net/mptcp/bpf.c defines it (16 bytes). */
struct bpf_iter_mptcp_subflow {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

extern int bpf_iter_mptcp_subflow_new(struct bpf_iter_mptcp_subflow *it,
				      struct sock *sk) __ksym;
extern struct mptcp_subflow_context *
bpf_iter_mptcp_subflow_next(struct bpf_iter_mptcp_subflow *it) __ksym;
extern void bpf_iter_mptcp_subflow_destroy(struct bpf_iter_mptcp_subflow *it) __ksym;
extern struct sock *
bpf_mptcp_subflow_tcp_sock(const struct mptcp_subflow_context *subflow) __ksym;
extern bool bpf_sk_stream_memory_free(const struct sock *sk) __ksym;

/* Observe the subflows into @conn->sf; returns how many. */
static __always_inline __u32 collect(struct mptcp_sock *msk, struct omr_sched_conn *conn)
{
	struct bpf_iter_mptcp_subflow it;
	struct mptcp_subflow_context *subflow;
	__u32 pos = 0, n = 0;

	bpf_iter_mptcp_subflow_new(&it, (struct sock *)msk);
	while ((subflow = bpf_iter_mptcp_subflow_next(&it))) {
		struct sock *ssk;
		bool active, busy;

		if (pos >= OMR_SCHED_MAX_SUBFLOWS || n >= OMR_SCHED_MAX_SUBFLOWS)
			break;
		ssk = bpf_mptcp_subflow_tcp_sock(subflow);
		pos++;
		if (!ssk)
			continue;
		active = mptcp_subflow_active(subflow);
		if (observe_subflow(&conn->sf[n], ssk, subflow_id(subflow, pos - 1), active,
				    active && bpf_sk_stream_memory_free(ssk), &busy))
			n++;
	}
	bpf_iter_mptcp_subflow_destroy(&it);
	return n;
}

static __always_inline int schedule(struct mptcp_sock *msk, __u32 id)
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

static __always_inline int pick(struct mptcp_sock *msk, bool retrans)
{
	struct omr_sched_conn *conn = conn_state(msk);
	int i;

	if (!conn)
		return -1;
	i = omr_sched_decide_global(conn, collect(msk, conn), retrans);
	if (i < 0 || i >= OMR_SCHED_MAX_SUBFLOWS)
		return -1;
	return schedule(msk, conn->sf[i].id);
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
	return pick(msk, false);
}

SEC("struct_ops")
int BPF_PROG(omr_get_retrans, struct mptcp_sock *msk)
{
	return pick(msk, true);
}

SEC(".struct_ops")
struct mptcp_sched_ops omr_steer = {
	.get_send	= (void *)omr_get_send,
	.get_retrans	= (void *)omr_get_retrans,
	.init		= (void *)omr_sched_init,
	.release	= (void *)omr_sched_release,
	.name		= OMR_MPTCP_SCHED_NAME,
};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
