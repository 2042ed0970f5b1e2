/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow steering, the user-space side: what the datapath (bpf/lib/flow.h)
 * needs to steer and keeps current while the agent runs.
 *
 *  - each WAN's own IPv4/IPv6 address, its gateways (the default route
 *    through it in any table, or `gateway`/`gateway6` in the weight file),
 *    its link type and MTU, followed as they change (a PPP redial);
 *  - the weights and the WANs that may take new flows (up, attached, an
 *    address of the family; weight 0 only when no weighted WAN is up);
 *  - the destinations left to the routing table: each WAN's connected
 *    networks, and the `pin` rules of the weight file;
 *  - the application classes (classes.h): their rules, and each class's
 *    WANs as weights, health and RTTs change;
 *  - the flow table's housekeeping: flow ages, expiry, per-WAN active flow
 *    counts (the `flows` of stats) and the load the choice starts from;
 *  - loose rp_filter on the WANs, so that translated replies arriving on
 *    another WAN than the route back are accepted; the previous values are
 *    kept in a pinned map and put back by `omr-steer unload`.
 *
 * Weight file grammar added here (wired into src/config.c by its tables):
 *
 *	flows N                       flow table size, 256..16777216 (65536)
 *	pin dst PREFIX [proto tcp|udp] [port N] wan NAME
 *	pin dst PREFIX [proto tcp|udp] [port N] bypass
 *	wan NAME ... gateway ADDR     IPv4 next hop for flows steered to NAME
 *	wan NAME ... gateway6 ADDR    IPv6 next hop (usually link-local)
 *
 * A pin sends new flows to that destination (an address or prefix, IPv4 or
 * IPv6) through WAN NAME whenever NAME is up, whatever the weights; `bypass`
 * leaves them to the routing table.  The most specific protocol/port wins,
 * then the longest prefix.  Example: the VPN to the VPS always on one WAN:
 *	pin dst 203.0.113.5 proto udp port 51820 wan eth1
 */
#ifndef OMR_STEERING_H
#define OMR_STEERING_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include "omr_steer_abi.h"
#include "classes.h"

#define STEERING_MAX_PINS	256
#define STEERING_MAX_GATEWAYS	(2 * OMR_MAX_WANS)

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

struct steer_pin {
	int family;			/* AF_INET or AF_INET6 */
	__u8 addr[16];			/* network order; IPv4 in the first 4 bytes */
	__u8 prefixlen;			/* 0..32 or 0..128 */
	__u8 proto;			/* 0 (any), IPPROTO_TCP, IPPROTO_UDP */
	__u16 port;			/* destination port, host order; 0 = any */
	bool bypass;			/* leave to the routing table */
	char wan[OMR_IFNAMSIZ];		/* unless bypass */
	int line;
};

struct steer_gateway {
	char wan[OMR_IFNAMSIZ];
	int family;
	__u8 addr[16];
	int line;
};

/* The steering part of the weight file (struct steer_config.steering). */
struct steering_config {
	__u32 flows_max;		/* `flows N`, 0 = OMR_STEER_FLOWS_DEFAULT */
	int flows_line;
	int n_pins;
	struct steer_pin pins[STEERING_MAX_PINS];
	int n_gateways;
	struct steer_gateway gateways[STEERING_MAX_GATEWAYS];
	struct class_config classes;	/* `class` and `rule` (classes.h) */
};

/*
 * Grammar pieces for src/config.c.  Each returns 0 or -EINVAL with a
 * one-line reason in @msg (no file/line: the parser adds them).
 *  - steering_parse_flows: the words of a `flows N` statement;
 *  - steering_parse_pin: the words of a `pin ...` statement, appended to
 *    @sc->pins with @line;
 *  - steering_parse_gateway: the value of a wan's `gateway` (@family
 *    AF_INET) or `gateway6` (AF_INET6) option.
 * After the whole file, steering_check() names the first pin or gateway
 * of a WAN the file does not define (@wan_defined says), with its line.
 */
int steering_parse_flows(struct steering_config *sc, int argc, char **argv, int line,
			 char *msg, size_t msglen);
int steering_parse_pin(struct steering_config *sc, int argc, char **argv, int line,
		       char *msg, size_t msglen);
int steering_parse_gateway(struct steering_config *sc, const char *wan, int family,
			   const char *text, int line, char *msg, size_t msglen);
int steering_check(const struct steering_config *sc,
		   bool (*wan_defined)(const void *ctx, const char *name), const void *ctx,
		   int *line, char *msg, size_t msglen);

/* The flow table size @sc asks for. */
__u32 steering_flows_max(const struct steering_config *sc);

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

/* Active flows per WAN in the flow table at @flows_fd (for stats without an agent). */
int steering_count_flows(int flows_fd, __u32 epoch_now, __u32 interval_ms,
			 __u64 flows[OMR_MAX_WANS]);

#endif
