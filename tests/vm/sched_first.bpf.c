// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_first, a trivial MPTCP scheduler for the decision-cost benchmark
 * (tests/vm/bench_mptcp_sched_cost.sh): new data always goes on the first
 * subflow; reinjections are declined (-1), as a scheduler that reinjects on
 * a busy subflow never finishes (docs: MPTCP-SCHED.md).  For the test
 * kernel's get_subflow API; the benchmark compiles it with clang, registers
 * it with `bpftool struct_ops register` and selects it through
 * net.mptcp.scheduler.  Declarations as in bpf/mptcp_sched_get_subflow.bpf.c.
 */
#define mptcp_sched_ops mptcp_sched_ops___mainline	/* vmlinux.h's: not this kernel's */
#include "vmlinux.h"
#undef mptcp_sched_ops
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#pragma clang diagnostic ignored "-Wunused-parameter"

struct mptcp_sched_data {
	bool reinject;
	__u8 subflows;
	struct mptcp_subflow_context *contexts[8];
} __attribute__((preserve_access_index));

struct mptcp_sched_ops {
	int (*get_subflow)(struct mptcp_sock *msk, struct mptcp_sched_data *data);
	char name[16];
	struct module *owner;
	struct list_head list;
	void (*init)(struct mptcp_sock *msk);
	void (*release)(struct mptcp_sock *msk);
} __attribute__((preserve_access_index));

extern struct mptcp_subflow_context *
bpf_mptcp_subflow_ctx_by_pos(const struct mptcp_sched_data *data, unsigned int pos) __ksym;
extern void mptcp_subflow_set_scheduled(struct mptcp_subflow_context *subflow,
					bool scheduled) __ksym;

SEC("struct_ops")
int BPF_PROG(first_get_subflow, struct mptcp_sock *msk, struct mptcp_sched_data *data)
{
	struct mptcp_subflow_context *subflow;

	if (data->reinject)
		return -1;
	subflow = bpf_mptcp_subflow_ctx_by_pos(data, 0);
	if (!subflow)
		return -1;
	mptcp_subflow_set_scheduled(subflow, true);
	return 0;
}

SEC(".struct_ops")
struct mptcp_sched_ops bench_first = {
	.get_subflow	= (void *)first_get_subflow,
	.name		= "bench_first",
};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
