// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The decision logic of the omr_steer MPTCP scheduler
 * (include/mptcp_sched_logic.h) under this kernel's verifier, on any kernel,
 * hook or not: tests/bpf/test_mptcp_probe.c runs this program with
 * BPF_PROG_TEST_RUN, feeds it the same subflow descriptions as the
 * user-space build of the logic, and expects the same choices.  Not loaded
 * by omr-steer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "mptcp_sched_decide.h"

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
int sched_selftest(void *ctx __attribute__((unused)))
{
	struct sched_selftest *io;
	struct omr_sched_conn *conn;
	__u32 zero = 0, i;

	io = bpf_map_lookup_elem(&selftest_io, &zero);
	conn = bpf_map_lookup_elem(&selftest_conn, &zero);
	if (!io || !conn)
		return 1;
	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if (i >= io->n)
			break;
		conn->sf[i] = io->in[i];
	}
	io->pick = omr_sched_decide_global(conn, i, io->retrans);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
