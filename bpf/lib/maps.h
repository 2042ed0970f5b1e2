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

#endif
