/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table's housekeeping, in user space (the datapath adds and uses
 * the entries, bpf/lib/flow.h): flows idle past their timeout are removed
 * with their reply entries (UDP after STEERING_UDP_IDLE_S, or
 * STEERING_UDP_SHORT_IDLE_S for a short exchange; TCP after
 * STEERING_TCP_IDLE_S, or STEERING_TCP_CLOSING_S after a FIN or RST seen
 * either way), reply entries left alone go too, and the flows still
 * assigned are counted per WAN (the `flows` of stats, and the load a new
 * flow's choice starts from).  Ages are in epochs of @interval_ms (the
 * agent's interval; steer_cfg.epoch counts them).
 */
#ifndef OMR_FLOW_TABLE_H
#define OMR_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "omr_steer_abi.h"

/* Call @fn on every entry of the flow table @fd; 0 or a negative errno. */
int flow_table_walk(int fd, void (*fn)(const struct flow_key *, const struct flow_entry *,
				       void *), void *ctx);

/*
 * Age the flows of @flows_fd at epoch @epoch: remove those idle past their
 * timeout with their reply entries, and reply entries left alone; count per
 * WAN the flows assigned (@flows) and those busy lately (@busy, may be
 * NULL: a packet of the flow's own within STEERING_BUSY_S).  @dry only
 * counts.  @expired, @orphans: entries removed (or that would be);
 * @entries: entries walked.
 */
int flow_table_scan(int flows_fd, __u32 epoch, __u32 interval_ms, bool dry,
		    __u64 flows[OMR_MAX_WANS], __u64 *busy,
		    __u64 *expired, __u64 *orphans, size_t *entries);

/* Active flows per WAN, nothing removed (flow_table_scan, dry). */
int flow_table_count(int flows_fd, __u32 epoch_now, __u32 interval_ms,
		     __u64 flows[OMR_MAX_WANS]);

/*
 * UDP flows from outside that were never answered (steer_inbound; answered
 * ones are in steer_flows): removed once idle past STEERING_UDP_SHORT_IDLE_S.
 */
int flow_table_expire_inbound(int inbound_fd, __u32 epoch, __u32 interval_ms);

#endif
