// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * omr_steer, the MPTCP packet scheduler that spreads each connection's bytes
 * over its subflows in proportion to the weights of the subflows' WANs, for
 * OpenMPTCProuter's kernels (backport of the 2024 BPF scheduler series):
 * one op, get_subflow(msk, data), with the subflows in data->contexts[],
 * called for new data (data->reinject false) and for reinjections.
 *
 * This kernel's struct mptcp_sched_ops and struct mptcp_sched_data are
 * declared below exactly as the kernel has them (vmlinux.h is mainline's,
 * whose struct mptcp_sched_ops is the get_send one), so that libbpf of any
 * version matches them by name, member by member.  See bpf/mptcp_sched.h.
 */
#define mptcp_sched_ops mptcp_sched_ops___mainline	/* vmlinux.h's: not this kernel's */
#include "vmlinux.h"
#undef mptcp_sched_ops
#include "mptcp_sched.h"

#define MPTCP_SUBFLOWS_MAX	8

struct mptcp_sched_data {
	bool reinject;
	__u8 subflows;
	struct mptcp_subflow_context *contexts[MPTCP_SUBFLOWS_MAX];
} __attribute__((preserve_access_index));

struct mptcp_sched_ops {
	int (*get_subflow)(struct mptcp_sock *msk, struct mptcp_sched_data *data);
	char name[MPTCP_SCHED_NAME_MAX];
	struct module *owner;
	struct list_head list;
	void (*init)(struct mptcp_sock *msk);
	void (*release)(struct mptcp_sock *msk);
} __attribute__((preserve_access_index));

extern struct mptcp_subflow_context *
bpf_mptcp_subflow_ctx_by_pos(const struct mptcp_sched_data *data, unsigned int pos) __ksym;
extern bool tcp_stream_memory_free(const struct sock *sk, int wake) __ksym;
extern void mptcp_pm_subflow_chk_stale(const struct mptcp_sock *msk, struct sock *ssk) __ksym;
extern void mptcp_set_timeout(struct sock *sk) __ksym;

static __always_inline bool writable(struct sock *ssk)
{
	if (ssk->sk_wmem_queued >= ssk->sk_sndbuf)
		return false;
	return tcp_stream_memory_free(ssk, 0);
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
int BPF_PROG(omr_get_subflow, struct mptcp_sock *msk, struct mptcp_sched_data *data)
{
	struct omr_sched_conn *conn = conn_state(msk);
	struct mptcp_subflow_context *subflow;
	bool reinject = data->reinject;
	__u32 pos, count, n = 0;
	int pick;

	if (!conn)
		return -1;
	count = data->subflows;
	for (pos = 0; pos < OMR_SCHED_MAX_SUBFLOWS && pos < count; pos++) {
		struct sock *ssk;
		bool active, busy = false;

		subflow = bpf_mptcp_subflow_ctx_by_pos(data, pos);
		if (!subflow)
			break;
		ssk = subflow->tcp_sock;
		if (!ssk || n >= OMR_SCHED_MAX_SUBFLOWS)
			continue;
		active = mptcp_subflow_active(subflow);
		if (!observe_subflow(&conn->sf[n], ssk, subflow_id(subflow, pos), active,
				     active && writable(ssk), &busy))
			continue;
		n++;
		if (reinject && active && busy)
			/*
			 * as the kernel's own scheduler does: count the subflow's
			 * retransmission periods without progress, so that the path
			 * manager marks it stale and its data goes out elsewhere
			 */
			mptcp_pm_subflow_chk_stale(msk, ssk);
	}

	pick = omr_sched_decide_global(conn, n, reinject);
	if (!reinject)
		/*
		 * the MPTCP retransmission timer from the subflows' own, as the
		 * kernel's scheduler sets it; left at its 200 ms floor, it fired
		 * during every queue build-up and the stale checks then sent the
		 * pending data again (a 6 MB upload put 22 MB on the links)
		 */
		mptcp_set_timeout((struct sock *)msk);
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
struct mptcp_sched_ops omr_steer = {
	.get_subflow	= (void *)omr_get_subflow,
	.init		= (void *)omr_sched_init,
	.release	= (void *)omr_sched_release,
	.name		= OMR_MPTCP_SCHED_NAME,
};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
