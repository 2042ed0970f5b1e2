/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * omr_sched_decide() of include/mptcp_sched_logic.h for BPF, made of global
 * functions: the verifier checks each of them once, on its own, with the
 * connection state as plain memory, instead of along every path through its
 * callers (inlined, the decision alone took the 6.12 verifier past its
 * million instructions).  Same steps, same results as omr_sched_decide();
 * bpf/mptcp_sched_selftest.bpf.c checks that against the user-space build.
 */
#ifndef OMR_BPF_MPTCP_SCHED_DECIDE_H
#define OMR_BPF_MPTCP_SCHED_DECIDE_H

#define OMR_SCHED_DELIVERS_BETTER omr_sched_delivers_better_global
#define OMR_SCHED_SLOT(c, id)		omr_sched_slot_global(c, id)
#define OMR_SCHED_PASS_END(c)		omr_sched_pass_end_global(c)
#define OMR_SCHED_PICK_SEND(c)		omr_sched_pick_send_global(c)
#define OMR_SCHED_PICK_RETRANS(c)	omr_sched_pick_retrans_global(c)
struct omr_sched_subflow;
struct omr_sched_conn;
__noinline int omr_sched_delivers_better_global(const struct omr_sched_subflow *a,
						const struct omr_sched_subflow *b);
__noinline int omr_sched_slot_global(struct omr_sched_conn *c, __u32 id);
__noinline int omr_sched_pass_end_global(struct omr_sched_conn *c);
__noinline int omr_sched_pick_send_global(struct omr_sched_conn *c);
__noinline int omr_sched_pick_retrans_global(struct omr_sched_conn *c);
#include "mptcp_sched_logic.h"

__noinline int omr_sched_delivers_better_global(const struct omr_sched_subflow *a,
						const struct omr_sched_subflow *b)
{
	if (!a || !b)
		return 0;
	return omr_sched_delivers_better(a, b);
}

__noinline int omr_sched_slot_global(struct omr_sched_conn *c, __u32 id)
{
	if (!c)
		return -1;
	return omr_sched_slot(c, id);
}

__noinline int omr_sched_pass_end_global(struct omr_sched_conn *c)
{
	if (!c)
		return -1;
	omr_sched_pass_end(c);
	return 0;
}

__noinline int omr_sched_pick_send_global(struct omr_sched_conn *c)
{
	if (!c)
		return -1;
	return omr_sched_pick_send(c->sf, c->n);
}

__noinline int omr_sched_pick_retrans_global(struct omr_sched_conn *c)
{
	if (!c)
		return -1;
	return omr_sched_pick_retrans(c->sf, c->n);
}

/* omr_sched_decide() with the steps above: its loop checked once, on its own. */
__noinline int omr_sched_decide_global(struct omr_sched_conn *c, __u32 n, int retrans)
{
	if (!c)
		return -1;
	return omr_sched_decide(c, n, retrans);
}

#endif /* OMR_BPF_MPTCP_SCHED_DECIDE_H */
