/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ABI between the omr-steer BPF programs and user space: map names,
 * limits and map value layouts.  Nothing here may be duplicated elsewhere.
 *
 * Compiles in both worlds: the BPF side includes vmlinux.h first, user space
 * includes <linux/types.h>.  Every struct has fixed-width fields and explicit
 * padding so that both compilers agree on the layout.
 */
#ifndef OMR_STEER_ABI_H
#define OMR_STEER_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define OMR_MAX_WANS		32	/* slots in the per-WAN arrays */
#define OMR_IFNAMSIZ		16

/* Pinned objects under the pin directory (map names are the pin names). */
#define OMR_MAP_WAN_IFINDEX	"wan_ifindex"	/* ifindex -> wan_idx */
#define OMR_MAP_WAN_COUNTERS	"wan_counters"	/* per-CPU counters by wan_idx */
#define OMR_MAP_WAN_TABLE	"wan_table"	/* control-plane view by wan_idx */
#define OMR_MAP_META		"omr_meta"	/* one entry: agent state */
#define OMR_PIN_PROG_EGRESS	"prog_egress"
#define OMR_PIN_PROG_INGRESS	"prog_ingress"

/*
 * Our tc filters: a fixed handle and priority on the clsact hooks so that we
 * find (and remove) only our own filters.  Priority 1 runs before filters
 * others add with the default priority; the programs return TC_ACT_UNSPEC
 * for traffic they leave alone, so later filters still run.
 */
#define OMR_TC_HANDLE		0x6f6d	/* "om" */
#define OMR_TC_PRIORITY		1

/* Per-WAN counters, one copy per CPU, summed by user space. */
struct wan_counters {
	__u64 tx_bytes;
	__u64 tx_packets;
	__u64 rx_bytes;
	__u64 rx_packets;
};

/* wan_entry.flags */
#define OMR_WAN_F_CONFIGURED	(1U << 0)	/* named in the weight file */
#define OMR_WAN_F_PRESENT	(1U << 1)	/* the interface exists */
#define OMR_WAN_F_ATTACHED	(1U << 2)	/* our filters are on it */
#define OMR_WAN_F_OWN_CLSACT	(1U << 3)	/* we created its clsact qdisc */
#define OMR_WAN_F_UP		(1U << 4)	/* link up (oper state) */

#define OMR_WEIGHT_MAX		1000
#define OMR_WEIGHT_AUTO		0xffffffffU	/* "weight auto" */

/*
 * The control plane's view of one WAN, written by the agent, read by
 * `omr-steer stats` and by the datapath.  A slot keeps its wan_idx for the
 * life of the pins, so counters survive a reload, an agent restart and an
 * interface that is deleted and recreated.
 */
struct wan_entry {
	char name[OMR_IFNAMSIZ];
	__u32 ifindex;			/* 0 while the interface is missing */
	__u32 flags;			/* OMR_WAN_F_* */
	__u32 weight;			/* configured, or OMR_WEIGHT_AUTO */
	__u32 effective_weight;		/* what the datapath uses now */
	__u64 tx_bps;			/* rates over the last interval */
	__u64 rx_bps;
	__u64 rate_stamp_ns;		/* CLOCK_MONOTONIC of the rates */
};

/* The one entry of omr_meta. */
struct omr_meta {
	__u32 agent_pid;		/* 0 when no agent runs */
	__u32 interval_ms;
	__u64 started_ns;		/* CLOCK_MONOTONIC when the agent started */
	__u64 config_generation;	/* bumped by every applied config */
	__u64 reserved[4];
};

#endif /* OMR_STEER_ABI_H */
