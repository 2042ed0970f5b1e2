/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the MPTCP scheduler needs beyond vmlinux.h, for both kernel API
 * generations of the MPTCP packet-scheduler hook:
 *
 *  - mptcp_net-next (net/mptcp/bpf.c today): struct mptcp_sched_ops with
 *    get_send(msk) / get_retrans(msk), subflows walked with the open-coded
 *    iterator bpf_iter_mptcp_subflow_{new,next,destroy}, and the kfuncs
 *    bpf_mptcp_subflow_ctx, bpf_mptcp_subflow_tcp_sock,
 *    mptcp_subflow_set_scheduled, mptcp_subflow_active,
 *    bpf_sk_stream_memory_free.  Mainline's vmlinux.h (6.18) already has this
 *    struct mptcp_sched_ops layout, but not the iterator type.
 *  - OpenMPTCProuter's backport of the 2024 series: one op
 *    get_subflow(msk, struct mptcp_sched_data *) and the kfunc
 *    bpf_mptcp_subflow_ctx_by_pos(data, pos).  Declared here with the
 *    ___omr flavour: CO-RE and libbpf (>= 1.4 for struct_ops types) match
 *    them to the kernel's mptcp_sched_data / mptcp_sched_ops by the name
 *    before the "___".
 *
 * Every kfunc is __weak: the object must open on a kernel that has only one
 * generation (or neither); the loader creates only the struct_ops map of
 * the generation the running kernel has, and loads only its programs.
 */
#ifndef OMR_MPTCP_TYPES_H
#define OMR_MPTCP_TYPES_H

#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef AF_INET6
#define AF_INET6	10
#endif

#define MPTCP_SCHED_NAME_MAX	16

/* The net-next layout the get_send map is built on must be vmlinux.h's. */
_Static_assert(__builtin_offsetof(struct mptcp_sched_ops, get_send) == 0 &&
	       __builtin_offsetof(struct mptcp_sched_ops, get_retrans) == 8,
	       "vmlinux.h: struct mptcp_sched_ops is not the get_send/get_retrans layout; "
	       "regenerate it from a kernel of 6.15 or later (make vmlinux)");

/* ---- OpenMPTCProuter generation (get_subflow) ---- */

struct mptcp_sched_data___omr {
	bool reinject;
	__u8 subflows;
	struct mptcp_subflow_context *contexts[8];
} __attribute__((preserve_access_index));

struct mptcp_sched_ops___omr {
	int (*get_subflow)(struct mptcp_sock *msk, struct mptcp_sched_data___omr *data);
	char name[MPTCP_SCHED_NAME_MAX];
	struct module *owner;
	struct list_head list;
	void (*init)(struct mptcp_sock *msk);
	void (*release)(struct mptcp_sock *msk);
} __attribute__((preserve_access_index));

extern struct mptcp_subflow_context *
bpf_mptcp_subflow_ctx_by_pos(const struct mptcp_sched_data___omr *data,
			     unsigned int pos) __ksym __weak;
extern bool tcp_stream_memory_free(const struct sock *sk, int wake) __ksym __weak;

/* ---- mptcp_net-next generation (get_send / get_retrans) ---- */

/* Opaque iterator state, as net/mptcp/bpf.c defines it (16 bytes). */
struct bpf_iter_mptcp_subflow {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

extern int bpf_iter_mptcp_subflow_new(struct bpf_iter_mptcp_subflow *it,
				      struct sock *sk) __ksym __weak;
extern struct mptcp_subflow_context *
bpf_iter_mptcp_subflow_next(struct bpf_iter_mptcp_subflow *it) __ksym __weak;
extern void bpf_iter_mptcp_subflow_destroy(struct bpf_iter_mptcp_subflow *it) __ksym __weak;

extern struct mptcp_subflow_context *bpf_mptcp_subflow_ctx(const struct sock *sk) __ksym __weak;
extern struct sock *
bpf_mptcp_subflow_tcp_sock(const struct mptcp_subflow_context *subflow) __ksym __weak;
extern bool bpf_sk_stream_memory_free(const struct sock *sk) __ksym __weak;

/* ---- both generations ---- */

extern void mptcp_subflow_set_scheduled(struct mptcp_subflow_context *subflow,
					bool scheduled) __ksym __weak;
extern bool mptcp_subflow_active(struct mptcp_subflow_context *subflow) __ksym __weak;

#endif /* OMR_MPTCP_TYPES_H */
