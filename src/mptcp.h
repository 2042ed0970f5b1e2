/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * MPTCP by weight: probe what the kernel offers, register the omr_steer
 * struct_ops scheduler where the kernel has the hook, and manage the path
 * manager's endpoint backup flags from the WAN weights (weight 0 => backup),
 * restoring everything on unload, even after the agent died.
 *
 * The lead's commands call, in this order:
 *
 *   load:    mptcp_probe(&sup);
 *            ... load/attach/pin the tc datapath (maps under pin_dir) ...
 *            mptcp_start(pin_dir, &sup, use_scheduler, msg, sizeof(msg));
 *            mptcp_apply_weights(pin_dir, &sup, wans, n);	(and after every
 *            config apply, SIGHUP, or change of an effective weight)
 *   status:  mptcp_status(pin_dir, &st);  then print mptcp_mode_name(st.mode),
 *            st.sup.reason, st.n_managed ...
 *   unload:  mptcp_restore(pin_dir);	(before the pins are removed)
 *
 * Everything omr-steer changes is recorded in maps pinned under pin_dir
 * (mptcp_state, mptcp_endp, mptcp_sched; see include/omr_steer_abi.h).
 * All functions act on the network namespace of the calling thread.
 * They return 0 (or a count) on success and a negative errno on failure.
 */
#ifndef OMR_MPTCP_H
#define OMR_MPTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "omr_steer_abi.h"
#include "mptcp_probe.h"	/* what the kernel offers */
#include "mptcp_pm.h"		/* endpoint flags over generic netlink */
#include "mptcp_sched.h"	/* the struct_ops scheduler */

/* A WAN as mptcp_apply_weights() needs it (from the config and wan_table). */
struct mptcp_wan {
	__u32 wan_idx;			/* its slot in wan_table */
	__u32 ifindex;			/* 0 while the interface is missing */
	__u32 weight;			/* effective weight now; 0 => backup */
	char name[OMR_IFNAMSIZ];
};

/*
 * The configured WANs of the agent's wan_table (@tbl, OMR_MAX_WANS slots) as
 * mptcp_apply_weights() takes them: wan_idx = slot, the interface's ifindex,
 * weight = effective_weight (0 while the WAN is down or missing, so that its
 * endpoints turn backup).  Returns how many were written to @out.
 */
int mptcp_wans_from_table(const struct wan_entry *tbl, struct mptcp_wan *out);

/*
 * After the datapath maps are pinned under @pin_dir: register and select the
 * omr_steer scheduler when @sup->mode is MPTCP_MODE_STRUCT_OPS and
 * @use_scheduler is set (net.mptcp.scheduler is set to it, the previous
 * value remembered), and record the mode under @pin_dir.  The scheduler is
 * loaded in a short-lived child process (libbpf needs the whole kernel BTF
 * for it) and stays registered through its pin, @pin_dir/mptcp_sched.  A
 * scheduler left registered by an earlier load is adopted (@msg says so), or
 * removed when this load does not register one.  Returns the mode in
 * force (enum mptcp_mode, >= 0); when it had to fall back to endpoint flags,
 * @msg says why (else @msg is "").  Negative errno when nothing could be
 * recorded (pin dir missing).
 */
int mptcp_start(const char *pin_dir, const struct mptcp_support *sup, bool use_scheduler,
		char *msg, size_t msglen);

/*
 * Make MPTCP follow the weights of @wans: write every WAN address into the
 * wan_addr map (the scheduler's source-address mapping), and for each
 * endpoint of a WAN (same ifindex, or one of the WAN's addresses) clear the
 * backup flag when the WAN's weight is > 0, set it when 0; the first change
 * of an endpoint records its original flags.  Endpoints recorded earlier
 * whose WAN is no longer in @wans get their original flags back.  In both
 * modes: the flags also tell the peer (MP_PRIO), which steers its sending.
 * Returns the number of endpoints changed.
 */
int mptcp_apply_weights(const char *pin_dir, const struct mptcp_support *sup,
			const struct mptcp_wan *wans, int n_wans);

/*
 * Undo what is recorded under @pin_dir: net.mptcp.scheduler back to its
 * previous value (if it is still ours), unregister the scheduler, original
 * endpoint flags back.  Safe to call when nothing was done.  Returns 0 or
 * the first error (and still undoes the rest).
 */
int mptcp_restore(const char *pin_dir);

struct mptcp_managed_endpoint {
	struct mptcp_endpoint endpoint;	/* as it is now (id 0: gone) */
	__u32 original_flags;
};

struct mptcp_status {
	struct mptcp_support sup;	/* the probe, now */
	enum mptcp_mode mode;		/* recorded under the pin dir */
	bool scheduler_registered;	/* our struct_ops map is pinned */
	char previous_scheduler[16];	/* restored by unload */
	int n_managed;			/* endpoints whose flags we changed */
	struct mptcp_managed_endpoint managed[OMR_MAX_MPTCP_ENDPOINTS];
};

/* For `status`: probe plus what is recorded under @pin_dir. */
int mptcp_status(const char *pin_dir, struct mptcp_status *st);

#endif /* OMR_MPTCP_H */
