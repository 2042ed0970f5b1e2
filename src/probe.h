/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Active probes out of one WAN: an ICMP echo (IPv4 or IPv6) or a TCP
 * connect, sent through the WAN's interface (SO_BINDTODEVICE) from its own
 * address (bind), so that the answer says whether THIS link reaches the
 * target.  Non-blocking: the caller owns the poll/epoll loop.
 *
 *	probe <addr>            ICMP echo          probe 192.0.2.1
 *	                                           probe 2001:db8::1
 *	probe <addr>:<port>     TCP connect        probe 192.0.2.1:443
 *	                                           probe [2001:db8::1]:443
 *
 * Addresses are numeric (no DNS: the agent must not block, and a name would
 * be resolved through whichever WAN the resolver picks).
 *
 * ICMP uses a "ping socket" (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) when
 * net.ipv4.ping_group_range admits our group, else a raw socket (needs
 * CAP_NET_RAW, which SO_BINDTODEVICE needs anyway).  The ICMP socket stays
 * open, so its fd is stable for epoll; replies are matched by sequence, a
 * per-probe 64-bit cookie in the payload and (raw sockets) the identifier.
 * A TCP probe opens a new socket per attempt: the fd changes with every
 * probe_send() (and is -1 between probes), and a refused connection (RST)
 * counts as an answer, since the target was reached.
 *
 * One probe is in flight at a time.  Loop, with now = CLOCK_MONOTONIC ns:
 *
 *	probe_check_timeout(p, now)  -> -ETIMEDOUT: the probe was lost
 *	probe_send(p, now)           -> 0 sent; < 0 (not -EBUSY): lost at once
 *	poll on probe_fd(p) for probe_events(p), at most probe_wait_ms(p, now)
 *	on any revents (also POLLERR, POLLHUP):
 *	probe_handle_ready(p, now, &rtt_us)
 *	                             -> 1 answered (rtt_us), 0 nothing yet, < 0 lost
 *
 * and feed each outcome to health_probe().
 */
#ifndef OMR_PROBE_H
#define OMR_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "omr_steer_abi.h"

#define PROBE_F_RAW		(1U << 0)	/* ICMP: raw socket, never a ping socket */
#define PROBE_DEFAULT_TIMEOUT_NS 1000000000ULL

enum probe_kind { PROBE_ICMP, PROBE_TCP };

struct probe_target {
	enum probe_kind kind;
	struct sockaddr_storage addr;	/* with the port for PROBE_TCP */
	socklen_t addr_len;
};

struct probe {
	struct probe_target target;
	char ifname[OMR_IFNAMSIZ];
	struct sockaddr_storage src;
	socklen_t src_len;		/* 0: the kernel picks the source */
	__u64 timeout_ns;
	int fd;				/* -1: none */
	bool ping_socket;		/* ICMP over SOCK_DGRAM */
	bool in_flight;
	bool refused_at_once;		/* TCP: connect() got the RST already */
	__u16 ident, seq;
	__u64 cookie;
	__u64 sent_ns;
	__u64 sent, answered, lost;	/* totals, for stats and tests */
};

/*
 * "192.0.2.1", "192.0.2.1:443", "2001:db8::1", "[2001:db8::1]:443" into @t.
 * Returns 0, or -EINVAL with a message (no FILE:LINE prefix) in @err.
 */
int probe_parse_target(const char *text, struct probe_target *t, char *err, size_t errlen);

/* The target as probe_parse_target() reads it back. */
int probe_target_format(const struct probe_target *t, char *buf, size_t size);

/* Same method, address and port. */
bool probe_target_equal(const struct probe_target *a, const struct probe_target *b);

/*
 * Prepare @p to probe @target out of @ifname, from @src (NULL: the kernel
 * picks) with @timeout_ns per probe (0: PROBE_DEFAULT_TIMEOUT_NS), flags
 * PROBE_F_*.  Opens the ICMP socket now (TCP opens per probe), so
 * permission problems show here.  Returns 0 or a negative errno; @p is
 * then closed (fd -1).  Call probe_close() when done.
 */
int probe_open(struct probe *p, const char *ifname, const struct sockaddr *src,
	       socklen_t src_len, const struct probe_target *target, __u64 timeout_ns,
	       unsigned flags);
void probe_close(struct probe *p);

/*
 * Send one probe.  0: in flight.  -EBUSY: one is already in flight (call
 * probe_check_timeout() first).  Any other negative errno: the probe could
 * not leave (link down, no route): it is counted as lost, report it.
 */
int probe_send(struct probe *p, __u64 now_ns);

/* What to wait for: the fd (-1 when nothing) and POLLIN or POLLOUT. */
int probe_fd(const struct probe *p);
short probe_events(const struct probe *p);

/* Milliseconds until the in-flight probe times out (0 if due), -1 if none. */
int probe_wait_ms(const struct probe *p, __u64 now_ns);

/*
 * The fd is ready.  1: the probe was answered, *@rtt_us set.  0: nothing
 * for us (someone else's echo reply, or spurious).  Negative errno: the
 * probe failed (TCP connect error other than refused); counted as lost.
 */
int probe_handle_ready(struct probe *p, __u64 now_ns, __u32 *rtt_us);

/* -ETIMEDOUT when the in-flight probe expired (counted as lost), else 0. */
int probe_check_timeout(struct probe *p, __u64 now_ns);

/* "icmp-dgram", "icmp-raw", "tcp": how @p probes, for logs and stats. */
const char *probe_method(const struct probe *p);

/* The Internet checksum (RFC 1071) of @data, in network order. */
__u16 probe_inet_checksum(const void *data, size_t len);

#endif
