/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow steering, the user-space side: what the datapath (bpf/lib/flow.h)
 * needs to steer and keeps current while the agent runs.
 *
 *  - each WAN's own IPv4/IPv6 address, its gateways (the default route
 *    through it in any table, or `gateway`/`gateway6` in the weight file),
 *    its link type and MTU, followed as they change (a PPP redial):
 *    read by wan_discovery.c;
 *  - the weights and the WANs that may take new flows (up, attached, an
 *    address of the family; weight 0 only when no weighted WAN is up);
 *  - the destinations left to the routing table: each WAN's connected
 *    networks, and the `pin` rules of the weight file;
 *  - the application classes (classes.h): their rules, and each class's
 *    WANs as weights, health and RTTs change;
 *  - the flow table's housekeeping: flow ages, expiry, per-WAN active flow
 *    counts (the `flows` of stats; flow_table.c) and the load the choice
 *    starts from;
 *  - loose rp_filter on the WANs, so that translated replies arriving on
 *    another WAN than the route back are accepted; the previous values are
 *    kept in a pinned map and put back by `omr-steer unload`.
 *
 * The weight file's steering statements: steering_config.h.
 */
#ifndef OMR_STEERING_H
#define OMR_STEERING_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include "omr_steer_abi.h"
#include "classes.h"
#include "steering_config.h"

/* Flow ages after which the agent removes a flow's entries, in seconds. */
#define STEERING_UDP_IDLE_S	300	/* RFC 4787: at least 2 minutes, 5 recommended */
/*
 * A UDP flow whose packets all passed within its first STEERING_UDP_SHORT_S
 * seconds (a DNS or NTP exchange) ends after STEERING_UDP_SHORT_IDLE_S, as
 * conntrack forgets a UDP flow that never became a stream
 * (nf_conntrack_udp_timeout, 30 s); so do UDP flows from outside that were
 * never answered (steer_inbound).  A busy network's DNS queries then hold
 * a tenth of the table they would hold for 5 minutes.
 */
#define STEERING_UDP_SHORT_S	2
#define STEERING_UDP_SHORT_IDLE_S 30
#define STEERING_TCP_IDLE_S	7440	/* RFC 5382: 2 hours 4 minutes */
#define STEERING_TCP_CLOSING_S	30	/* after FIN or RST */
/*
 * The load a new flow's choice weighs: flows that passed a packet within
 * this many seconds.  Idle flows (a finished DNS exchange waiting for its
 * UDP timeout, an idle ssh session) carry nothing and must not push new
 * flows elsewhere.
 */
#define STEERING_BUSY_S		5

struct steer_bpf;

/*
 * Before the skeleton is loaded: size the flow tables from @sc.  When
 * @pin_dir already holds a flow table of another size (a previous agent's),
 * that one is kept, with a warning that `omr-steer unload` resizes it.
 */
int steering_prepare(struct steer_bpf *skel, const struct steering_config *sc,
		     const char *pin_dir);

/* What the agent keeps between calls. */
struct steering {
	int flows_fd, cfg_fd, wan_fd, load_fd, rules_fd, inbound_fd, ifcache_fd, sysctl_fd;
	int classes_fd, class_hits_fd, counters_fd;
	__u32 flows_max;			/* steer_flows' size */
	__u64 table_full, inbound_full;		/* wan_counters sums at the last scan */
	struct steer_classes classes;		/* as last written */
	struct steer_cfg cfg;			/* as last written */
	struct steer_wan wans[OMR_MAX_WANS];	/* as last written */
	__u32 ifcache_ifindex[OMR_MAX_WANS];	/* cache slot each WAN was written to */
	struct steering_config settings;
	__u32 interval_ms;
	int n_rules;				/* rules written, to remove stale ones */
	struct steer_rule_key *rules;
	struct steer_rule *rule_vals;
	__u32 rule_sets;
	bool rules_adopted;
	__u64 last_gc_ns;
	__u64 flows[OMR_MAX_WANS];		/* flows assigned (not closed) at the last scan */
	__u64 busy[OMR_MAX_WANS];		/* of those, seen within STEERING_BUSY_S */
	__u64 expired, orphans;			/* entries removed by the last scan */
};

/* Open the steering maps pinned under @pin_dir (after datapath_load()). */
int steering_open(struct steering *st, const char *pin_dir);
void steering_close(struct steering *st);

/* Take new settings (at load and on reload); applied by the next sync. */
void steering_configure(struct steering *st, const struct steering_config *sc,
			__u32 interval_ms);

/*
 * Every interval and after WAN changes: rediscover addresses, gateways and
 * connected networks of the WANs in @tbl (the agent's mirror of wan_table,
 * flags and effective weights as wans.c and weights.c keep them), write
 * what changed, set rp_filter, and once per interval age and count the
 * flows: tbl[i].flows is set for every configured WAN.  Turns steering on.
 */
int steering_sync(struct steering *st, struct wan_entry *tbl);

/*
 * `omr-steer unload`, before the pins are removed: steering off, and the
 * rp_filter values we changed put back.  Safe when nothing was set.
 */
int steering_unload(const char *pin_dir);

/* The same on open maps (steer_cfg, steer_sysctl). */
int steering_restore(int cfg_fd, int sysctl_fd);

/*
 * wan_counters.table_full (and inbound_full into @inbound, may be NULL)
 * summed over WANs and CPUs: new flows that found no room.
 */
__u64 steering_table_full(const struct steering *st, __u64 *inbound);

#endif
