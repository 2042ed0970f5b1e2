/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The in-kernel MPTCP path manager's endpoints over its generic netlink
 * family "mptcp_pm", through src/nl.h (what `ip mptcp endpoint
 * show|change` does).  Acts on the network namespace of the calling thread;
 * functions return 0 (or a count) or a negative errno.
 */
#ifndef OMR_MPTCP_PM_H
#define OMR_MPTCP_PM_H

#include <stdbool.h>
#include <linux/types.h>
#include "nl.h"
#include "omr_steer_abi.h"

/* One endpoint of the in-kernel path manager (`ip mptcp endpoint show`). */
struct mptcp_endpoint {
	__u32 id;
	__u32 flags;			/* MPTCP_PM_ADDR_FLAG_* */
	__s32 ifindex;			/* 0: no "dev" */
	__u16 port;
	__u16 pad;
	struct wan_addr addr;
};

/* The endpoints: fills up to @max of @out, returns how many there are. */
int mptcp_pm_list(struct mptcp_endpoint *out, int max);

/* Set or clear the backup flag of endpoint @id, keeping its other flags. */
int mptcp_pm_set_backup(__u32 id, bool backup);

/* A session with the family, for several requests in a row. */
struct mptcp_pm {
	struct nl nl;
	__u16 family;
};

/* Open a session (-ENOENT: this kernel has no "mptcp_pm" family). */
int mptcp_pm_open(struct mptcp_pm *pm);
/* Close it; safe on a session that failed to open or was zeroed. */
void mptcp_pm_close(struct mptcp_pm *pm);
/* Like mptcp_pm_list(), on an open session. */
int mptcp_pm_dump(struct mptcp_pm *pm, struct mptcp_endpoint *out, int max);
/* `ip mptcp endpoint change id ID [no]backup`: the id and the full flags. */
int mptcp_pm_set_flags(struct mptcp_pm *pm, __u32 id, __u32 flags);

/* Endpoint @id among @eps[0..n), or NULL. */
const struct mptcp_endpoint *mptcp_pm_find(const struct mptcp_endpoint *eps, int n, __u32 id);

/* @flags with the backup flag set or cleared. */
__u32 mptcp_pm_with_backup(__u32 flags, bool backup);

#endif /* OMR_MPTCP_PM_H */
