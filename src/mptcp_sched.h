/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The omr_steer struct_ops MPTCP scheduler (bpf/mptcp_sched.bpf.c): load it,
 * register it and pin its struct_ops map under the pin dir, unregister it.
 * Selecting it with net.mptcp.scheduler, and remembering what to put back,
 * is src/mptcp.c's.
 */
#ifndef OMR_MPTCP_SCHED_H
#define OMR_MPTCP_SCHED_H

#include <stddef.h>
#include "mptcp_probe.h"

/*
 * Between mptcp_sched_bpf__open*() and __load(): keep only the programs and
 * the struct_ops map of generation @gen (MPTCP_GEN_NONE: only the self-test
 * program, for tests/bpf).  Used by mptcp_start() and by the tests.
 */
struct mptcp_sched_bpf;
int mptcp_sched_prepare(struct mptcp_sched_bpf *skel, enum mptcp_sched_gen gen);

/*
 * Load the scheduler for generation @gen and register it, in a short-lived
 * child process (libbpf needs the whole kernel BTF for a struct_ops object,
 * and the agent's own peak memory must stay small); its pin,
 * @pin_dir/mptcp_sched, keeps it registered after the child exits.  A
 * scheduler pinned by an earlier load is unregistered first.  On failure
 * @msg says why.
 */
int mptcp_sched_register(const char *pin_dir, enum mptcp_sched_gen gen, char *msg, size_t msglen);

/* Unregister the scheduler pinned under @pin_dir (if any) and remove its pin. */
int mptcp_sched_unregister(const char *pin_dir);

/* The path of the scheduler's pin under @pin_dir. */
int mptcp_sched_pin_path(const char *pin_dir, char *path, size_t len);

#endif /* OMR_MPTCP_SCHED_H */
