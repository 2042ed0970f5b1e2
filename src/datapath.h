/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The datapath as user space sees it: the BPF objects, loaded (by the agent)
 * or opened from their pins (by stats, status and unload), and the maps'
 * contents in host-friendly form.
 */
#ifndef OMR_DATAPATH_H
#define OMR_DATAPATH_H

#include <limits.h>
#include <stdbool.h>
#include "omr_steer_abi.h"

#define DATAPATH_DEFAULT_PIN_DIR "/sys/fs/bpf/omr-steer"

struct steer_bpf;

struct datapath {
	char pin_dir[PATH_MAX];
	struct steer_bpf *skel;		/* set when this process loaded the programs */
	int wan_ifindex_fd;
	int wan_counters_fd;
	int wan_table_fd;
	int meta_fd;
	int ncpus;			/* possible CPUs: per-CPU value count */
};

/* Sum of a WAN's per-CPU counters. */
struct wan_totals {
	__u64 tx_bytes, tx_packets, rx_bytes, rx_packets;
	__u64 flows_assigned, flows_steered, steer_errors, steer_drops;
	__u64 table_full, inbound_full;
};

/* An empty datapath (no fds) for @pin_dir; datapath_close() is then a no-op. */
void datapath_init(struct datapath *dp, const char *pin_dir);

/*
 * Load the programs, reusing maps already pinned under @pin_dir (a previous
 * agent's counters continue) or creating and pinning them, pin the
 * programs, and attach (and pin) the transmit counter.  The per-WAN tc
 * programs are attached by wans.c.  @sc sizes the flow tables.
 */
struct steering_config;
int datapath_load(struct datapath *dp, const char *pin_dir, const struct steering_config *sc);

/* Open the pinned maps only (no programs): -ENOENT when nothing is loaded. */
int datapath_open_pinned(struct datapath *dp, const char *pin_dir);

void datapath_close(struct datapath *dp);

/* Program fds for tc_attach(); only after datapath_load(). */
int datapath_egress_fd(const struct datapath *dp);
int datapath_ingress_fd(const struct datapath *dp);

int datapath_read_wan(const struct datapath *dp, __u32 wan_idx, struct wan_entry *e);
/* All OMR_MAX_WANS entries of wan_table in one system call where the kernel can. */
int datapath_read_wans(const struct datapath *dp, struct wan_entry tbl[OMR_MAX_WANS]);
int datapath_write_wan(const struct datapath *dp, __u32 wan_idx, const struct wan_entry *e);
int datapath_read_totals(const struct datapath *dp, __u32 wan_idx, struct wan_totals *t);
int datapath_reset_counters(const struct datapath *dp, __u32 wan_idx);
int datapath_map_ifindex(const struct datapath *dp, __u32 ifindex, __u32 wan_idx);
int datapath_unmap_ifindex(const struct datapath *dp, __u32 ifindex);
int datapath_read_meta(const struct datapath *dp, struct omr_meta *m);
int datapath_write_meta(const struct datapath *dp, const struct omr_meta *m);

/* The agent's schedules for `status` (agent_policy; only after datapath_load()). */
int datapath_write_policy(const struct datapath *dp, const struct omr_policy *p);

/* A map pinned under the pin dir by name (OMR_MAP_*): an fd, or a negative errno. */
int datapath_open_map(const struct datapath *dp, const char *name);

/* Is @pid a live (not zombie) omr-steer process? */
bool datapath_pid_is_agent(int pid);

/* The running agent recorded in omr_meta, or 0 when none is alive. */
int datapath_agent_pid(const struct datapath *dp);

#endif
