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
 * Load the scheduler for generation @gen and register it, in a short-lived
 * child process (libbpf needs the whole kernel BTF for a struct_ops object,
 * and the agent's own peak memory must stay small); its pin,
 * @pin_dir/mptcp_sched, keeps it registered after the child exits.  A
 * scheduler an earlier agent left registered there is adopted as it is
 * (returns 1, @msg says so); a pin left without registration is replaced.
 * Returns 0 when registered, a negative errno with @msg saying why when not
 * (the verifier's last lines when it rejected the program).
 */
int mptcp_sched_register(const char *pin_dir, enum mptcp_sched_gen gen, char *msg, size_t msglen);

/* Unregister the scheduler pinned under @pin_dir (if any) and remove its pin. */
int mptcp_sched_unregister(const char *pin_dir);

/* The path of the scheduler's pin under @pin_dir. */
int mptcp_sched_pin_path(const char *pin_dir, char *path, size_t len);

/*
 * Why libbpf failed to load an object, from what it printed (@log): the
 * last MPTCP_VERIFIER_LINES lines of the last verifier log, without the
 * verifier's statistics, joined by " | " (returns how many), or else
 * libbpf's last line (returns 0).
 */
#define MPTCP_VERIFIER_LINES	3
int mptcp_sched_why_failed(const char *log, char *out, size_t len);

#endif /* OMR_MPTCP_SCHED_H */
