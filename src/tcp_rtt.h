/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where the TCP RTT is read: the kernel's round-trip time of the router's
 * own TCP connections, per WAN, once an interval (sock_diag).  On an
 * OpenMPTCProuter box these are the MPTCP subflows and the proxies'
 * connections to the VPS (subflows are plain TCP sockets in the dump), so
 * every WAN that carries them gets an RTT without a probe.
 *
 * One round = one NETLINK_SOCK_DIAG dump of the ESTABLISHED TCP sockets of
 * both families with their struct tcp_info (TCPDIAG_GETSOCK; one
 * SOCK_DIAG_BY_FAMILY dump per family where the kernel lacks it), read
 * through one bounded buffer; nothing is allocated per socket.  A filter
 * run by the kernel (inet_diag bytecode: bound to a WAN's interface, or
 * from one of its addresses) keeps the other sockets out of the dump.
 * Cost: each dump walks the kernel's whole TCP hash table, empty buckets
 * included (~200 us for the 262144 buckets of a 24 GB machine; a router's
 * table is 16 to 64 times smaller), then about 1 us per socket that passes
 * the filter: 1000 established sockets on the WANs took ~1.3 ms a read.
 *
 * A socket belongs to a WAN when it is bound to the WAN's interface
 * (SO_BINDTODEVICE, an MPTCP endpoint with "dev"), or when unbound and its
 * source address is one of the WAN's addresses (the router's policy routing
 * sends it out of that WAN).  Sockets to one of those addresses (the router
 * talking to itself) do not count.
 *
 * Per socket, the RTT only while it is fresh (see tcp_rtt_of_socket()):
 *  - tcpi_rtt, the connection's smoothed RTT, when it sent data and got
 *    ACKs within the interval (srtt only moves when new data is ACKed);
 *  - else tcpi_rcv_rtt, the receiver's estimate (from TCP timestamps),
 *    when it received data within the interval: a download sends no data,
 *    and most of a router's traffic is downloads.
 * Idle sockets keep an old srtt forever: they do not count.  tcpi_rtt, not
 * tcpi_min_rtt: min_rtt is the propagation delay over a 5-minute window,
 * blind to the queue a busy line builds up; the queueing is part of what a
 * new flow on that WAN would see, and srtt - min_rtt is the "queue
 * building" signal of health.h (which keeps its own minimum).
 *
 * Per WAN and round: the median of its fresh sockets' RTTs (at most
 * TCP_RTT_MAX_SAMPLES; the dump comes in hash order, so the first ones are
 * a fair sample).  The sockets of one WAN share its access line and queue
 * but not their far end: the minimum would follow the nearest destination
 * (the modem's web page, a CDN next door), not the path the traffic takes;
 * the median follows most of the connections (on OMR: the VPS) and shrugs
 * off a socket whose estimate is inflated (delayed ACKs, an app-limited
 * sender seen from the receiving side).
 */
#ifndef OMR_TCP_RTT_H
#define OMR_TCP_RTT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/inet_diag.h>
#include "nl.h"
#include "omr_steer_abi.h"

#define TCP_RTT_MAX_ADDRS	(8 * OMR_MAX_WANS)	/* WAN addresses matched */
#define TCP_RTT_MAX_SAMPLES	64			/* per WAN and round */

/* One address of a WAN; IPv4 in the first 4 bytes, network order. */
struct tcp_rtt_addr {
	__u16 family;			/* AF_INET or AF_INET6 */
	__u16 wan_idx;
	__u8 addr[16];
};

/* Which sockets belong to which WAN. */
struct tcp_rtt_map {
	__u32 ifindex[OMR_MAX_WANS];	/* the WAN's interface, 0 = none */
	int n_addrs;
	struct tcp_rtt_addr addrs[TCP_RTT_MAX_ADDRS];
};

/* One WAN's part of a round. */
struct tcp_rtt_wan {
	unsigned sockets;		/* established sockets on it */
	unsigned n;			/* fresh RTTs kept in rtt_us */
	__u32 rtt_us[TCP_RTT_MAX_SAMPLES];
};

/* One round: what the dumps of both families said. */
struct tcp_rtt_round {
	__u32 max_idle_ms;		/* a socket is fresh within this */
	unsigned sockets;		/* established TCP sockets seen */
	unsigned on_wans;		/* of those, on a WAN */
	struct tcp_rtt_wan wan[OMR_MAX_WANS];
};

struct tcp_rtt {
	struct nl diag;			/* NETLINK_SOCK_DIAG, opened at the first read */
	struct nl route;		/* NETLINK_ROUTE, for the WANs' addresses */
	bool failing;			/* the last read failed (warned once) */
	bool per_family;		/* no TCPDIAG_GETSOCK: a dump per family */
	bool no_filter;			/* the kernel refused our socket filter */
	struct tcp_rtt_map map;
	struct tcp_rtt_round round;
	__u64 read_ns;			/* how long the last read took */
};

void tcp_rtt_init(struct tcp_rtt *t);
void tcp_rtt_close(struct tcp_rtt *t);

/*
 * One round: map the WANs of @tbl (OMR_MAX_WANS slots of the agent's
 * wan_table: configured ones with an interface) to their interfaces and
 * addresses, then dump the established TCP sockets.  Sockets are fresh when
 * they sent or received data within @max_idle_ms (the interval).  Returns
 * the number of sockets on a WAN, or a negative errno (the round is empty).
 */
int tcp_rtt_read(struct tcp_rtt *t, const struct wan_entry *tbl, __u32 max_idle_ms);

/* The RTT of WAN @wan_idx in the last round (median, µs), 0 when it had none. */
__u32 tcp_rtt_wan_us(const struct tcp_rtt *t, int wan_idx);

/* ---- the pure parts, unit-tested on crafted buffers ------------------------ */

/* Clear @m (no WAN), and add WAN @wan_idx's interface / one address. */
void tcp_rtt_map_clear(struct tcp_rtt_map *m);
void tcp_rtt_map_set_ifindex(struct tcp_rtt_map *m, int wan_idx, __u32 ifindex);
int tcp_rtt_map_add_addr(struct tcp_rtt_map *m, int wan_idx, int family, const void *addr);

/*
 * The addresses in an RTM_GETADDR dump part @buf/@len that belong to the
 * interfaces of @m (scope global: link-local ones are not unique across
 * interfaces; past TCP_RTT_MAX_ADDRS the rest are left out).  Returns 1 at
 * the end of the dump, 0 when more follows, or the dump's negative errno.
 */
int tcp_rtt_parse_addrs(struct tcp_rtt_map *m, const void *buf, size_t len, __u32 seq);

/*
 * The kernel-side filter of @m (inet_diag bytecode) in @buf: a socket
 * passes when it is bound to a WAN's interface or its source is a WAN's
 * address; tcp_rtt_wan_of() then decides.  Returns its length, 0 when @m
 * has no WAN, -ENOSPC when @size is too small.
 */
int tcp_rtt_filter(const struct tcp_rtt_map *m, void *buf, size_t size);

/* The WAN of a socket, or -1. */
int tcp_rtt_wan_of(const struct tcp_rtt_map *m, const struct inet_diag_msg *msg);

/*
 * A socket's RTT sample in µs (see the top of this file), or 0 when it is
 * idle or says nothing.  @ti holds @len bytes of the kernel's tcp_info.
 */
struct tcp_info;
__u32 tcp_rtt_of_socket(const struct tcp_info *ti, size_t len, __u32 max_idle_ms);

void tcp_rtt_round_start(struct tcp_rtt_round *r, __u32 max_idle_ms);

/*
 * Add the sockets of a sock_diag dump part @buf/@len (messages of sequence
 * @seq) to @r.  Returns 1 at the end of the dump, 0 when more follows, or
 * the dump's negative errno.
 */
int tcp_rtt_parse(const struct tcp_rtt_map *m, struct tcp_rtt_round *r, const void *buf,
		  size_t len, __u32 seq);

/* The median (the lower one of an even count) of @n values; sorts @v. */
__u32 tcp_rtt_median(__u32 *v, unsigned n);

#endif
