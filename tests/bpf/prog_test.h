/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers for BPF_PROG_TEST_RUN tests of the tc datapath. */
#ifndef OMR_PROG_TEST_H
#define OMR_PROG_TEST_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "omr_steer_abi.h"
#include "steer.skel.h"

/*
 * Open and load the datapath with none of its maps pinned, so a test never
 * touches the pins of a running agent.  NULL (and the test skipped) when
 * the kernel refuses to load it.
 */
struct steer_bpf *steer_load_unpinned(void);

/* Run @prog_fd once on @pkt (copied; the output lands in @out, *out_len). */
int prog_run(int prog_fd, const void *pkt, __u32 len, void *out, __u32 *out_len,
	     __u32 *retval, __u32 ifindex);

/* Sum of one WAN's per-CPU counters in the skeleton's wan_counters map. */
int counters_sum(struct steer_bpf *skel, __u32 wan_idx, struct wan_counters *sum);

#endif
