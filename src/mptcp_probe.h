/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the kernel offers for MPTCP: the net.mptcp.* sysctls, the path
 * manager's netlink family, and, in the kernel BTF, the BPF MPTCP
 * scheduler hook and which API generation its struct mptcp_sched_ops has.
 * Decides the mode load will use, with the reason in plain words.
 */
#ifndef OMR_MPTCP_PROBE_H
#define OMR_MPTCP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "omr_steer_abi.h"

/* Which MPTCP packet-scheduler API the running kernel has. */
enum mptcp_sched_gen {
	MPTCP_GEN_NONE = 0,	/* no struct mptcp_sched_ops, or an unknown one */
	MPTCP_GEN_GET_SEND,	/* mainline / mptcp_net-next: get_send, get_retrans */
	MPTCP_GEN_GET_SUBFLOW,	/* OpenMPTCProuter's backport: get_subflow */
};

/* What load does about MPTCP (values are the OMR_MPTCP_MODE_* of the ABI). */
enum mptcp_mode {
	MPTCP_MODE_DISABLED = OMR_MPTCP_MODE_NONE,
	MPTCP_MODE_ENDPOINT_FLAGS = OMR_MPTCP_MODE_ENDPOINT_FLAGS,
	MPTCP_MODE_STRUCT_OPS = OMR_MPTCP_MODE_STRUCT_OPS,
};

struct mptcp_support {
	bool enabled;			/* net.mptcp.enabled = 1 here */
	bool path_manager;		/* the "mptcp_pm" netlink family exists */
	bool hook;			/* BTF has bpf_struct_ops_mptcp_sched_ops */
	enum mptcp_sched_gen gen;	/* members of struct mptcp_sched_ops */
	enum mptcp_mode mode;		/* what mptcp_start() will do */
	char scheduler[32];		/* net.mptcp.scheduler now, "" if none */
	char available[256];		/* net.mptcp.available_schedulers */
	char reason[256];		/* "<mode>: <why>", plain words */
};

/*
 * Probe this kernel and network namespace.  Always fills @out (mode and
 * reason included); returns 0.  Streams the kernel BTF through a 16 KiB
 * buffer instead of loading its megabytes, so that the agent stays small.
 */
int mptcp_probe(struct mptcp_support *out);

/* "struct_ops scheduler omr_steer", "endpoint flags", "MPTCP disabled". */
const char *mptcp_mode_name(enum mptcp_mode mode);

/*
 * The probe's BTF part, on any BTF file (tests feed it made-up ones): is
 * there a bpf_struct_ops_mptcp_sched_ops, and which generation is struct
 * mptcp_sched_ops?  Returns 0 or a negative errno.
 */
int mptcp_btf_probe(const char *path, bool *hook, enum mptcp_sched_gen *gen);

#endif /* OMR_MPTCP_PROBE_H */
