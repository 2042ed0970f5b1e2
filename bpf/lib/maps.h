/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The maps every omr-steer tc program shares; pinned by name under the pin dir. */
#ifndef OMR_BPF_MAPS_H
#define OMR_BPF_MAPS_H

#include "omr_steer_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * OMR_MAX_WANS);	/* old ifindexes linger briefly */
	__type(key, __u32);			/* ifindex */
	__type(value, __u32);			/* wan_idx */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wan_ifindex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OMR_MAX_WANS);
	__type(key, __u32);
	__type(value, struct wan_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wan_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OMR_MAX_WANS);
	__type(key, __u32);
	__type(value, struct wan_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wan_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct omr_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} omr_meta SEC(".maps");

/* MPTCP: read by the scheduler (wan_addr) or only by user space (the rest). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OMR_MAX_WAN_ADDRS);
	__type(key, struct wan_addr);
	__type(value, __u32);			/* wan_idx */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wan_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OMR_MAX_MPTCP_ENDPOINTS);
	__type(key, __u32);			/* endpoint id */
	__type(value, struct mptcp_endp_saved);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mptcp_endp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mptcp_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mptcp_state SEC(".maps");

/*
 * Flow steering: see include/omr_steer_abi.h and bpf/lib/flow.h.  Plain
 * (preallocated) hashes, not LRU: an entry goes only when the agent ages
 * it out, never to make room (flow.h says why).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OMR_STEER_FLOWS_DEFAULT);	/* `flows N`: set before load */
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct steer_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OMR_MAX_WANS);
	__type(key, __u32);
	__type(value, struct steer_wan);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_wan SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct steer_load);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_load SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, OMR_STEER_MAX_RULES);
	__type(key, struct steer_rule_key);
	__type(value, struct steer_rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* required for LPM tries */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_rules SEC(".maps");

/* Kept apart so that a flood of packets from outside cannot fill the flow table. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OMR_STEER_INBOUND_DEFAULT);
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_inbound SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OMR_STEER_IFCACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct steer_ifslot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_ifcache SEC(".maps");

/* User space only: rp_filter values to restore, by interface name. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * OMR_MAX_WANS);
	__type(key, char[OMR_IFNAMSIZ]);
	__type(value, struct steer_sysctl_saved);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_sysctl SEC(".maps");

/* Application classes: rules and each class's WANs (user space), hits per rule. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct steer_classes);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} steer_classes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OMR_MAX_CLASS_RULES);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} class_hits SEC(".maps");

/* User space only: the agent's schedules, for `status`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct omr_policy);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} agent_policy SEC(".maps");

#endif
