/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The decision logic of the omr_steer MPTCP packet scheduler, shared by the
 * BPF struct_ops program (bpf/mptcp_sched.bpf.c) and the user-space
 * simulator test (tests/unit/test_mptcp_sched.c).
 *
 * Rules, for one MPTCP connection:
 *  - Send: among the subflows that are usable (active, not blocked), those
 *    of weighted WANs form the preferred class; weight-0 (and unmapped)
 *    subflows are used only when no weighted subflow is usable.  Within the
 *    class, pick the writable subflow (room in its send buffer now) that is
 *    furthest below its weighted share of the bytes sent; when the one
 *    furthest below cannot take data, another one that can is used rather
 *    than waiting, unless that one is already OMR_SCHED_AHEAD_MAX bytes
 *    ahead of its share (then the data waits: the split follows the weights,
 *    not whichever subflow drains its buffer first).  A momentarily full subflow is still usable: data waits
 *    for it instead of spilling onto weight-0 WANs.
 *  - Retransmit (reinject data another subflow was given): only on an idle
 *    subflow (nothing queued nor unacknowledged), as the kernel's default
 *    scheduler does, the usable, writable one with the best recent delivery
 *    rate, in the weighted class while it has a usable subflow; none idle:
 *    no reinjection now.  A scheduler
 *    that reinjects on any subflow made a 10 MB upload send 134 MB without
 *    finishing.  Data stuck on a dead subflow goes out again once the
 *    path manager finds it stale.
 *
 * The "bytes sent" are per-connection accounts kept in struct omr_sched_conn
 * (BPF sk_storage of the MPTCP socket), fed with each subflow's byte counter
 * (tcp write_seq: every byte handed to the subflow, queued or sent), keyed
 * by subflow id so that removals do not shift them, and
 * halved once their sum passes OMR_SCHED_DECAY_BYTES so that the shares
 * follow weight changes and a new subflow catches up only a bounded amount.
 *
 * Verifier-friendly: loops bounded by OMR_SCHED_MAX_SUBFLOWS, no floats, no
 * divisions (shares are compared by cross-multiplication).
 */
#ifndef OMR_MPTCP_SCHED_LOGIC_H
#define OMR_MPTCP_SCHED_LOGIC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define OMR_SCHED_MAX_SUBFLOWS	8		/* MPTCP_SUBFLOWS_MAX */
#define OMR_SCHED_DECAY_BYTES	(8ULL << 20)	/* halve the accounts past this */
#define OMR_SCHED_WEIGHT_MAX	1000		/* = OMR_WEIGHT_MAX */
#define OMR_SCHED_RATE_CLAMP	(1ULL << 31)	/* keeps the products in 64 bits */
/*
 * Bytes a subflow may run ahead of its share while the one below it cannot
 * take data.  Every halving of the accounts (each ~4 MB past the first 8)
 * lets that lead build up again, so a subflow that often cannot keep up
 * (a saturated link, or a starved CPU) shifts the split by up to about
 * AHEAD_MAX / 4 MB: 512 KiB gave 35-42 % instead of 25 % at 1:3 on
 * CPU-bound links in the test VM (per-subflow bytes acknowledged).
 */
#define OMR_SCHED_AHEAD_MAX	(128ULL << 10)

/* One subflow as the decision sees it. */
struct omr_sched_subflow {
	__u64 sent;		/* bytes accounted to it in this connection */
	__u64 delivered;	/* last delivery-rate sample: bytes ... */
	__u32 interval_us;	/* ... over this interval; 0 = no sample */
	__u32 srtt_us;		/* smoothed RTT, 0 = unknown */
	__u32 weight;		/* effective weight of its WAN; 0 = backup class */
	__u32 id;		/* subflow id (stable for the subflow's life) */
	__u8 usable;		/* active and not blocked */
	__u8 writable;		/* can take data now */
	__u8 idle;		/* nothing queued nor unacknowledged on it */
	__u8 pad[5];
};

/* Per-connection state: the accounts, plus scratch for one decision. */
struct omr_sched_conn {
	__u64 last_counter[OMR_SCHED_MAX_SUBFLOWS];	/* byte counter at the last look */
	__u64 account[OMR_SCHED_MAX_SUBFLOWS];		/* bytes in the current window */
	__u32 slot_id[OMR_SCHED_MAX_SUBFLOWS];		/* subflow id + 1; 0 = free */
	__u32 seen;		/* slots seen in the current pass (bit mask) */
	__u32 fresh;		/* slots allocated in the current pass */
	__u32 n;		/* subflows in sf[] */
	__u32 pad;
	struct omr_sched_subflow sf[OMR_SCHED_MAX_SUBFLOWS];
};

static __always_inline __u32 omr_sched_clamp_weight(__u32 weight)
{
	return weight > OMR_SCHED_WEIGHT_MAX ? OMR_SCHED_WEIGHT_MAX : weight;
}

/* Start collecting the subflows of one decision. */
static __always_inline void omr_sched_pass_begin(struct omr_sched_conn *c)
{
	c->seen = 0;
	c->fresh = 0;
	c->n = 0;
}

/*
 * The account slot of subflow @id (found, or newly allocated), marked seen.
 * Returns the slot, or -1 when all slots are taken.
 */
static __always_inline int omr_sched_slot(struct omr_sched_conn *c, __u32 id)
{
	int free_slot = -1;
	int i;

	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if (c->slot_id[i] == id + 1) {
			c->seen |= 1U << i;
			return i;
		}
		/* a slot unseen so far may still belong to a later subflow */
		if (free_slot < 0 && c->slot_id[i] == 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -1;
	c->slot_id[free_slot] = id + 1;
	c->account[free_slot] = 0;
	c->last_counter[free_slot] = 0;
	c->seen |= 1U << free_slot;
	c->fresh |= 1U << free_slot;
	return free_slot;
}

/*
 * Feed slot @slot with its subflow's byte counter (bytes handed to the
 * subflow, a 32-bit sequence-like value that may wrap); returns the slot's
 * account.  The first look only records the counter: bytes queued before
 * the scheduler saw the subflow are not charged to it.
 */
static __always_inline __u64 omr_sched_observe(struct omr_sched_conn *c, int slot,
					       __u32 counter)
{
	__u32 delta = 0;

	if (slot < 0 || slot >= OMR_SCHED_MAX_SUBFLOWS)
		return 0;
	if (!(c->fresh & (1U << slot)))
		delta = counter - (__u32)c->last_counter[slot];
	c->last_counter[slot] = counter;
	c->account[slot] += delta;
	return c->account[slot];
}

/* Append one subflow to the decision's list; false when it is full. */
static __always_inline int omr_sched_add(struct omr_sched_conn *c,
					 const struct omr_sched_subflow *sf)
{
	__u32 n = c->n;

	if (n >= OMR_SCHED_MAX_SUBFLOWS)
		return 0;
	c->sf[n] = *sf;
	c->sf[n].weight = omr_sched_clamp_weight(sf->weight);
	c->n = n + 1;
	return 1;
}

/*
 * End of the pass: free the slots of subflows that are gone, start new ones
 * level with the least-served existing subflow (so a newcomer does not take
 * everything until it caught up from zero), and halve every account once
 * their sum passes OMR_SCHED_DECAY_BYTES.  Updates sf[].sent to match.
 */
static __always_inline void omr_sched_pass_end(struct omr_sched_conn *c)
{
	__u64 least = ~0ULL, total = 0;
	int i, j;

	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if (!(c->seen & (1U << i))) {
			c->slot_id[i] = 0;
			c->account[i] = 0;
			c->last_counter[i] = 0;
		} else if (!(c->fresh & (1U << i)) && c->account[i] < least) {
			least = c->account[i];
		}
	}
	if (least == ~0ULL)
		least = 0;
	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if (c->fresh & (1U << i))
			c->account[i] = least;
		total += c->account[i];
	}
	if (total > OMR_SCHED_DECAY_BYTES) {
		for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++)
			c->account[i] >>= 1;
	}
	/* sf[].sent mirrors the account of the subflow's slot */
	for (j = 0; j < OMR_SCHED_MAX_SUBFLOWS; j++) {
		if ((__u32)j >= c->n)
			break;
		for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
			if (c->slot_id[i] == c->sf[j].id + 1) {
				c->sf[j].sent = c->account[i];
				break;
			}
		}
	}
	c->fresh = 0;
}

/*
 * Index into @sf of the subflow to send on, or -1 when none can take data
 * now.  @n is clamped to OMR_SCHED_MAX_SUBFLOWS.
 */
static __always_inline int omr_sched_pick_send(const struct omr_sched_subflow *sf, __u32 n)
{
	__u64 class_sent = 0, class_weight = 0;
	__s64 best_deficit = 0;
	__u64 best_sent = 0;
	int weighted = 0, best = -1;
	int i;

	/* the weighted class: its totals define the shares */
	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if ((__u32)i >= n)
			break;
		if (!sf[i].usable || !sf[i].weight)
			continue;
		weighted = 1;
		class_weight += sf[i].weight;
		class_sent += sf[i].sent;
	}

	if (weighted) {
		/*
		 * deficit = share - sent, scaled by the class weight:
		 * weight_i * class_sent - sent_i * class_weight
		 */
		for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
			__s64 deficit;

			if ((__u32)i >= n)
				break;
			if (!sf[i].usable || !sf[i].writable || !sf[i].weight)
				continue;
			deficit = (__s64)(sf[i].weight * class_sent) -
				  (__s64)(sf[i].sent * class_weight);
			/* far ahead of its share: wait for the others instead */
			if (deficit < -(__s64)(OMR_SCHED_AHEAD_MAX * class_weight))
				continue;
			if (best < 0 || deficit > best_deficit ||
			    (deficit == best_deficit && sf[i].weight > sf[best].weight)) {
				best = i;
				best_deficit = deficit;
			}
		}
		return best;	/* -1: every weighted subflow is full, wait for one */
	}

	/* no weighted subflow is usable: the weight-0 ones share equally */
	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if ((__u32)i >= n)
			break;
		if (!sf[i].usable || !sf[i].writable)
			continue;
		if (best < 0 || sf[i].sent < best_sent) {
			best = i;
			best_sent = sf[i].sent;
		}
	}
	return best;
}

/*
 * Is rate a (bytes @da over @ia us, RTT @ra us) better than rate b?
 * Unsampled (interval 0) ranks last; equal rates or no samples: the shorter
 * RTT, unknown last.  The byte counts are clamped to OMR_SCHED_RATE_CLAMP.
 */
static __always_inline int omr_sched_rate_better(__u64 da, __u64 ia, __u32 ra,
						 __u64 db, __u64 ib, __u32 rb)
{
	__u64 lhs, rhs;

	if (da > OMR_SCHED_RATE_CLAMP)
		da = OMR_SCHED_RATE_CLAMP;
	if (db > OMR_SCHED_RATE_CLAMP)
		db = OMR_SCHED_RATE_CLAMP;
	if (ia && !ib)
		return 1;
	if (!ia && ib)
		return 0;
	if (ia && ib) {
		lhs = da * ib;	/* da/ia > db/ib */
		rhs = db * ia;
		if (lhs != rhs)
			return lhs > rhs;
	}
	if (ra != rb) {
		if (!ra)
			return 0;
		if (!rb)
			return 1;
		return ra < rb;
	}
	return 0;
}

/* Is a's recent delivery rate better than b's? */
static __always_inline int omr_sched_delivers_better(const struct omr_sched_subflow *a,
						     const struct omr_sched_subflow *b)
{
	return omr_sched_rate_better(a->delivered, a->interval_us, a->srtt_us,
				     b->delivered, b->interval_us, b->srtt_us);
}

/*
 * Compares two subflows' delivery: omr_sched_delivers_better(), unless the
 * includer (the BPF side) supplies a function for it.
 */
#ifndef OMR_SCHED_DELIVERS_BETTER
#define OMR_SCHED_DELIVERS_BETTER omr_sched_delivers_better
#endif

/*
 * The idle, usable, writable subflow that delivers best, among the weighted
 * ones (@weighted) or all; -1 if none.
 */
static __always_inline int omr_sched_pick_retrans_among(const struct omr_sched_subflow *sf,
							__u32 n, int weighted)
{
	int best = -1;
	int i;

	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if ((__u32)i >= n)
			break;
		if (!sf[i].usable || !sf[i].writable || !sf[i].idle || (weighted && !sf[i].weight))
			continue;
		if (best < 0 || OMR_SCHED_DELIVERS_BETTER(&sf[i], &sf[best & (OMR_SCHED_MAX_SUBFLOWS - 1)]))
			best = i;
	}
	return best;
}

/*
 * Index of the subflow for a retransmission, or -1: the idle, usable,
 * writable subflow that delivers best, among the weighted ones while one of
 * them is usable (a weight-0 WAN carries nothing then), else among all.
 */
static __always_inline int omr_sched_pick_retrans(const struct omr_sched_subflow *sf, __u32 n)
{
	int i;

	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		if ((__u32)i >= n)
			break;
		if (sf[i].usable && sf[i].weight)	/* a weighted WAN is up: it alone */
			return omr_sched_pick_retrans_among(sf, n, 1);
	}
	return omr_sched_pick_retrans_among(sf, n, 0);
}

/*
 * One decision, from the subflows' observations in @c->sf[0..@n), in the
 * order the kernel lists them: .id, .weight, .usable, .writable, .idle,
 * .delivered, .interval_us, .srtt_us as they are now, and .sent the
 * subflow's byte counter (tcp write_seq).  Turns .sent into the subflow's
 * account and .weight into the clamped weight, then picks.  Returns the
 * index into @c->sf of the subflow to use, or -1.
 *
 * The BPF programs call this through a global function
 * (bpf/mptcp_sched.h), which the verifier checks once, on its own, instead
 * of once per path through the subflow walk.
 */
/* The steps the BPF side supplies as global functions (bpf/mptcp_sched_decide.h). */
#ifndef OMR_SCHED_SLOT
#define OMR_SCHED_SLOT(c, id)		omr_sched_slot(c, id)
#define OMR_SCHED_PASS_END(c)		omr_sched_pass_end(c)
#define OMR_SCHED_PICK_SEND(c)		omr_sched_pick_send((c)->sf, (c)->n)
#define OMR_SCHED_PICK_RETRANS(c)	omr_sched_pick_retrans((c)->sf, (c)->n)
#endif

static __always_inline int omr_sched_decide(struct omr_sched_conn *c, __u32 n, int retrans)
{
	int i;

	if (n > OMR_SCHED_MAX_SUBFLOWS)
		n = OMR_SCHED_MAX_SUBFLOWS;
	omr_sched_pass_begin(c);
	for (i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++) {
		int slot;

		if ((__u32)i >= n)
			break;
		slot = OMR_SCHED_SLOT(c, c->sf[i].id);
		c->sf[i].sent = omr_sched_observe(c, slot, (__u32)c->sf[i].sent);
		c->sf[i].weight = omr_sched_clamp_weight(c->sf[i].weight);
		c->n = (__u32)i + 1;
	}
	OMR_SCHED_PASS_END(c);
	return retrans ? OMR_SCHED_PICK_RETRANS(c) : OMR_SCHED_PICK_SEND(c);
}

#endif /* OMR_MPTCP_SCHED_LOGIC_H */
