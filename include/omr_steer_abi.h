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
#define OMR_PIN_LINK_XMIT	"link_xmit"	/* tp_btf/net_dev_xmit: tx counting */

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
	/* flow steering (bpf/lib/flow.h): events, not gauges */
	__u64 flows_assigned;		/* new flows given this WAN, moved flows included */
	__u64 flows_steered;		/* of those, flows routed to another WAN (translated) */
	__u64 steer_errors;		/* packets left unsteered: a table update or helper failed */
	__u64 steer_drops;		/* packets dropped: a rewrite failed half-way */
	__u64 table_full;		/* packets of new flows left untranslated on this, their
					 * routed WAN: the flow table was full */
	__u64 inbound_full;		/* UDP packets from outside not recorded as a new
					 * inbound flow: steer_inbound was full */
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
	__u64 flows;			/* active flows assigned to it (agent's last flow scan) */
	__u64 capacity_bps;		/* estimated capacity (busiest direction), 0 = unknown */
	__u32 rtt_us;			/* smoothed RTT from probes/TCP, 0 = unknown */
	__u32 state;			/* OMR_WAN_STATE_* */
};

/* wan_entry.state: what decides whether a WAN gets traffic */
#define OMR_WAN_STATE_DOWN	0	/* missing, link down, or its probe fails */
#define OMR_WAN_STATE_UP	1
#define OMR_WAN_STATE_DEGRADED	2	/* up, but probes are being lost */

/* The one entry of omr_meta. */
struct omr_meta {
	__u32 agent_pid;		/* 0 when no agent runs */
	__u32 interval_ms;
	__u64 started_ns;		/* CLOCK_MONOTONIC when the agent started */
	__u64 config_generation;	/* bumped by every applied config */
	__u64 reserved[4];
};

/*
 * MPTCP (src/mptcp.c, bpf/mptcp_sched.bpf.c).  The scheduler maps a subflow
 * to its WAN by bound ifindex (wan_ifindex), else by source address
 * (wan_addr).  What omr-steer changed in the MPTCP configuration is kept in
 * pinned maps so that `unload` can undo it even after the agent died.
 */
#define OMR_MAP_WAN_ADDR	"wan_addr"	/* struct wan_addr -> wan_idx */
#define OMR_MAP_MPTCP_ENDP	"mptcp_endp"	/* endpoint id -> struct mptcp_endp_saved */
#define OMR_MAP_MPTCP_STATE	"mptcp_state"	/* one entry: struct mptcp_state */
#define OMR_PIN_MPTCP_SCHED	"mptcp_sched"	/* the registered struct_ops map */
#define OMR_MPTCP_SCHED_NAME	"omr_steer"	/* net.mptcp.scheduler value, <= 15 chars */
#define OMR_MAX_WAN_ADDRS	(4 * OMR_MAX_WANS)
#define OMR_MAX_MPTCP_ENDPOINTS	64

/* A WAN address: IPv4 in the first 4 bytes of addr, network order. */
struct wan_addr {
	__u16 family;			/* AF_INET or AF_INET6 */
	__u16 pad;
	__u8 addr[16];
};

/* An endpoint's flags before omr-steer first changed them. */
struct mptcp_endp_saved {
	__u32 flags;			/* MPTCP_PM_ADDR_FLAG_* */
	__s32 ifindex;
	struct wan_addr addr;		/* restored only if the id still has it */
};

/* mptcp_state.mode */
#define OMR_MPTCP_MODE_NONE		0	/* not touched */
#define OMR_MPTCP_MODE_ENDPOINT_FLAGS	1	/* backup flags follow the weights */
#define OMR_MPTCP_MODE_STRUCT_OPS	2	/* our scheduler is registered */

/* mptcp_state.flags */
#define OMR_MPTCP_F_SCHEDULER_SET	(1U << 0)	/* we set net.mptcp.scheduler */

struct mptcp_state {
	__u32 mode;			/* OMR_MPTCP_MODE_* */
	__u32 flags;			/* OMR_MPTCP_F_* */
	char prev_scheduler[16];	/* net.mptcp.scheduler before ours */
	__u64 reserved[2];
};

/*
 * Flow steering (bpf/lib/{parse,flow,nat}.h, src/steering.c).  New TCP/UDP
 * flows leaving by a WAN get a WAN by weight; the flow table keeps them
 * there; a flow moved off the WAN its route chose is source-translated to
 * its new WAN's address and translated back on that WAN's ingress.
 */
#define OMR_MAP_STEER_FLOWS	"steer_flows"	/* hash: struct flow_key -> struct flow_entry */
#define OMR_MAP_STEER_CFG	"steer_cfg"	/* one entry: struct steer_cfg (user space) */
#define OMR_MAP_STEER_WAN	"steer_wan"	/* wan_idx -> struct steer_wan (user space) */
#define OMR_MAP_STEER_LOAD	"steer_load"	/* one entry: struct steer_load (datapath) */
#define OMR_MAP_STEER_RULES	"steer_rules"	/* LPM: struct steer_rule_key -> struct steer_rule */
#define OMR_MAP_STEER_INBOUND	"steer_inbound"	/* hash: UDP flows started from outside, by ORIG key */
#define OMR_MAP_STEER_IFCACHE	"steer_ifcache"	/* ifindex % slots -> struct steer_ifslot */
#define OMR_MAP_STEER_SYSCTL	"steer_sysctl"	/* ifname -> struct steer_sysctl_saved (user space) */
#define OMR_STEER_FLOWS_DEFAULT	65536		/* flow table size without `flows N` */
#define OMR_STEER_FLOWS_MIN	256
#define OMR_STEER_FLOWS_MAX	(1U << 24)
#define OMR_STEER_MAX_RULES	4096		/* pins plus connected prefixes */
#define OMR_STEER_INBOUND_DEFAULT 16384	/* steer_inbound: a quarter of `flows`, at least 1024 */

/* flow_key.kind: the two ways a flow is looked up */
#define FLOW_KIND_ORIG		0	/* the tuple as it reaches a WAN's egress */
#define FLOW_KIND_XLAT		1	/* the translated tuple (replies are looked up by it) */

/*
 * A flow as seen leaving a WAN (source = our side).  Addresses are 16
 * bytes, IPv4 mapped as ::ffff:a.b.c.d, network order; explicit padding.
 */
struct flow_key {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 kind;			/* FLOW_KIND_* */
	__u8 pad[2];
};

/* flow_entry.flags */
#define FLOW_F_NAT		(1U << 0)	/* source rewritten (ORIG) / to restore (XLAT) */
#define FLOW_F_CLOSING		(1U << 1)	/* TCP FIN or RST seen: ends after a grace time */
#define FLOW_F_INBOUND		(1U << 2)	/* started from outside: stays on the WAN it came in */
#define FLOW_F_PINNED		(1U << 3)	/* placed by a pin rule */

/*
 * ORIG entry: where the flow leaves (wan_idx) and, with FLOW_F_NAT, the
 * source address and port it leaves with.  XLAT entry (one per translated
 * flow, keyed by the translated tuple): the original source address and
 * port that replies are given back.
 */
struct flow_entry {
	__be32 addr[4];
	__be16 port;
	__u8 wan_idx;
	__u8 routed_idx;		/* the WAN the routing table chose at the start */
	__u32 flags;			/* FLOW_F_* */
	__u32 seen_epoch;		/* steer_cfg.epoch when a packet last passed */
	__u32 created_epoch;
};

/* steer_wan.flags */
#define STEER_WAN_F_L2		(1U << 0)	/* frames carry an Ethernet header */
#define STEER_WAN_F_ADDR4	(1U << 1)
#define STEER_WAN_F_ADDR6	(1U << 2)
#define STEER_WAN_F_GW4		(1U << 3)	/* else the kernel routes by oif */
#define STEER_WAN_F_GW6		(1U << 4)

/* One WAN as the datapath needs it, kept current by user space. */
struct steer_wan {
	__u32 ifindex;
	__u32 flags;			/* STEER_WAN_F_* */
	__be32 addr4;			/* its own address: translated flows leave with it */
	__be32 gw4;			/* next hop for bpf_redirect_neigh() */
	__be32 addr6[4];
	__be32 gw6[4];			/* usually link-local */
	__u32 mtu;			/* TCP MSS of translated flows is clamped to it */
	__u32 pad;
};

/*
 * A cache of wan_ifindex the tc programs look at first: an array lookup is
 * inlined by the verifier, a hash lookup costs as much as the rest of the
 * fast path.  Slot ifindex % OMR_STEER_IFCACHE_SLOTS; a slot holding another
 * ifindex (or none) sends the program to wan_ifindex.  Filled by user space.
 */
#define OMR_STEER_IFCACHE_SLOTS	256

struct steer_ifslot {
	__u32 ifindex;			/* 0: empty */
	__u32 wan_idx;
	__u32 wan_flags;		/* a copy of steer_wan.flags */
	__u32 pad;
};

/* A WAN's rp_filter before `load` loosened it; `unload` puts it back. */
struct steer_sysctl_saved {
	__s32 rp_filter;
	__u32 pad;
};

/* steer_cfg.rule_sets: which (proto, port) combinations steer_rules holds */
#define STEER_RULES_PROTO_PORT	(1U << 0)
#define STEER_RULES_PROTO	(1U << 1)
#define STEER_RULES_PORT	(1U << 2)
#define STEER_RULES_ANY		(1U << 3)

/*
 * What the datapath steers by, written by user space only.  The choice for
 * a new flow is the usable WAN with the least (load + 1) / weight, where
 * load = load_base (flows busy lately at the agent's last scan, minus what
 * steer_load.assigned was then) + steer_load.assigned (flows given since).
 */
struct steer_cfg {
	__u32 enabled;			/* 0: the programs only count */
	__u32 epoch;			/* bumped by the agent every interval: flow ages */
	__u32 usable4;			/* bit per wan_idx: may take new IPv4 flows */
	__u32 usable6;
	__u32 fallback4;		/* weight-0 WANs that are up: only when usable is empty */
	__u32 fallback6;
	__u32 rule_sets;		/* STEER_RULES_* */
	__u32 pad;
	__u32 weight[OMR_MAX_WANS];	/* effective weights */
	__s64 load_base[OMR_MAX_WANS];
};

/* Flows given to each WAN, counted by the datapath (atomic adds). */
struct steer_load {
	__u64 assigned[OMR_MAX_WANS];
};

/*
 * A rule of the LPM trie steer_rules: destination prefix with an exact
 * protocol and port (0 = any).  prefixlen counts the 32 bits of
 * proto/pad/port plus the address bits (IPv4: 96 + its prefix length).
 */
struct steer_rule_key {
	__u32 prefixlen;
	__u8 proto;
	__u8 pad;
	__be16 port;			/* destination port */
	__be32 addr[4];
};

#define STEER_RULE_BYPASS	1	/* leave to the routing table (connected networks, `pin ... bypass`) */
#define STEER_RULE_PIN		2	/* always this WAN while it is up */

struct steer_rule {
	__u32 action;			/* STEER_RULE_* */
	__u32 wan_idx;			/* STEER_RULE_PIN */
};

/*
 * Application classes (src/classes.c, bpf/lib/class.h).  `rule` lines of
 * the weight file match a new flow's protocol, ports, DSCP and addresses
 * to a `class`, whose policy names the WANs it may take.  The agent turns
 * each class's policy into a set of WANs every interval (the lowest-RTT
 * WANs, the first usable WAN of a priority list, ...); the datapath matches
 * the rules in file order, first match wins, once per new flow, and picks
 * by weight within the class's set.  Flows no rule matches, and classes
 * whose set has no usable WAN, get the weighted choice over every WAN.
 */
#define OMR_MAP_STEER_CLASSES	"steer_classes"	/* one entry: struct steer_classes (user space) */
#define OMR_MAP_CLASS_HITS	"class_hits"	/* per-CPU: rule index -> new flows it matched */
#define OMR_MAX_CLASSES		16
#define OMR_MAX_CLASS_RULES	64
#define OMR_CLASS_NAMSIZ	16
#define OMR_CLASS_MAX_PREFER	8		/* WANs in a `prefer` list */

/* class_info.policy */
#define OMR_CLASS_WEIGHTED	0	/* every usable WAN, by weight (the default) */
#define OMR_CLASS_LOWEST_RTT	1	/* the usable WANs of lowest smoothed RTT */
#define OMR_CLASS_WAN		2	/* one WAN while it is usable */
#define OMR_CLASS_PREFER	3	/* the first usable WAN of a priority list */

/* class_rule.flags: what the rule looks at */
#define CLASS_RULE_F_PROTO	(1U << 0)
#define CLASS_RULE_F_SPORT	(1U << 1)
#define CLASS_RULE_F_DPORT	(1U << 2)
#define CLASS_RULE_F_DSCP	(1U << 3)
#define CLASS_RULE_F_SRC	(1U << 4)
#define CLASS_RULE_F_DST	(1U << 5)

/*
 * One rule.  Ports in host order, inclusive ranges; addresses as in
 * struct flow_key (IPv4 mapped), with their masks: a flow matches when
 * (addr & mask) == net on all four words.
 */
struct class_rule {
	__u32 flags;			/* CLASS_RULE_F_* */
	__u8 proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 dscp;			/* 0..63 */
	__u8 class_id;			/* index into steer_classes.classes */
	__u8 pad;
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__be32 src[4], src_mask[4];
	__be32 dst[4], dst_mask[4];
	__u32 line;			/* of the weight file: for status */
	__u32 pad2;
};

/* A class as the agent configured it (status reads it; the datapath does not). */
struct class_info {
	char name[OMR_CLASS_NAMSIZ];
	__u32 policy;			/* OMR_CLASS_* */
	__u32 line;
	__u8 wans[OMR_CLASS_MAX_PREFER];	/* wan_idx: OMR_CLASS_WAN one, PREFER in order; 0xff ends */
};

struct steer_classes {
	__u32 n_rules;			/* rules[0..n_rules) are in use */
	__u32 n_classes;
	__u32 mask4[OMR_MAX_CLASSES];	/* WANs each class may take now, by family */
	__u32 mask6[OMR_MAX_CLASSES];
	struct class_info classes[OMR_MAX_CLASSES];
	struct class_rule rules[OMR_MAX_CLASS_RULES];
};

/*
 * What `status` shows of the agent's time windows (user space only): the
 * schedule lines of the weight file in use, and which are open.
 */
#define OMR_MAP_POLICY		"agent_policy"	/* one entry: struct omr_policy */
#define OMR_MAX_SCHEDULES	64

struct omr_policy_schedule {
	char wan[OMR_IFNAMSIZ];
	__u32 weight;			/* 0..OMR_WEIGHT_MAX or OMR_WEIGHT_AUTO */
	__u32 line;
	__u16 start_min, end_min;	/* as struct schedule (src/schedule.h) */
	__u8 days;
	__u8 open;			/* deciding its WAN's weight now */
	__u8 pad[2];
};

struct omr_policy {
	__u32 n_schedules;
	__u32 pad;
	__u64 updated_ns;		/* CLOCK_MONOTONIC of the last write */
	struct omr_policy_schedule schedules[OMR_MAX_SCHEDULES];
};

#endif /* OMR_STEER_ABI_H */
