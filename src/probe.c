// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Active ICMP/TCP probes out of one WAN; see probe.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <linux/icmp.h>
#include "probe.h"

#define ICMP4_ECHO_REQUEST	8
#define ICMP4_ECHO_REPLY	0
#define ICMP6_ECHO_REQ		128
#define ICMP6_ECHO_REP		129
#define RECV_BURST		64	/* datagrams read per readiness event */

/* What we send and expect back: an echo header and our payload. */
struct echo_packet {
	__u8 type;
	__u8 code;
	__u16 checksum;
	__u16 ident;
	__u16 seq;
	__u64 cookie;
} __attribute__((packed));

static int fail(char *err, size_t errlen, const char *fmt, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, what);
	return -EINVAL;
}

static int parse_port(const char *text, __u16 *port)
{
	unsigned long value = 0;

	if (!*text || strlen(text) > 5)
		return -EINVAL;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		value = value * 10 + (*c - '0');
	}
	if (value < 1 || value > 65535)
		return -EINVAL;
	*port = value;
	return 0;
}

int probe_parse_target(const char *text, struct probe_target *t, char *err, size_t errlen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *colon;
	__u16 port_value = 0;
	size_t len;

	memset(t, 0, sizeof(*t));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close)
			return fail(err, errlen, "probe '%.64s': '[' without ']'", text);
		len = close - text - 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return fail(err, errlen, "probe '%.64s': expected ':PORT' after ']'", text);
		text++;
	} else if ((colon = strrchr(text, ':')) && colon == strchr(text, ':')) {
		len = colon - text;		/* one colon: IPv4:PORT */
		port = colon + 1;
	} else {
		len = strlen(text);		/* IPv4, or IPv6 without a port */
	}
	if (len >= sizeof(host))
		return fail(err, errlen, "probe '%.64s': not an IPv4 or IPv6 address", text);
	memcpy(host, text, len);
	host[len] = '\0';
	if (port && parse_port(port, &port_value))
		return fail(err, errlen, "probe: port '%.16s' is not 1..65535", port);

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port_value);
		t->addr_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port_value);
		t->addr_len = sizeof(*sin6);
	} else {
		return fail(err, errlen,
			    "probe '%.64s' is not a numeric IPv4 or IPv6 address (with :PORT for TCP, [IPv6]:PORT)",
			    host);
	}
	t->kind = port ? PROBE_TCP : PROBE_ICMP;
	return 0;
}

int probe_target_format(const struct probe_target *t, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&t->addr;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&t->addr;

	if (t->addr.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		if (t->kind == PROBE_TCP)
			return snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
		return snprintf(buf, size, "%s", host);
	}
	inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
	if (t->kind == PROBE_TCP)
		return snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	return snprintf(buf, size, "%s", host);
}

bool probe_target_equal(const struct probe_target *a, const struct probe_target *b)
{
	char sa[INET6_ADDRSTRLEN + 16], sb[INET6_ADDRSTRLEN + 16];

	if (a->kind != b->kind || a->addr.ss_family != b->addr.ss_family)
		return false;
	probe_target_format(a, sa, sizeof(sa));
	probe_target_format(b, sb, sizeof(sb));
	return !strcmp(sa, sb);
}

static int family(const struct probe *p)
{
	return p->target.addr.ss_family;
}

/* A socket for @p: non-blocking, bound to the WAN's device and address. */
static int wan_socket(const struct probe *p, int type, int protocol)
{
	int fd = socket(family(p), type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	int err;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->ifname, strlen(p->ifname) + 1) ||
	    (p->src_len && bind(fd, (const struct sockaddr *)&p->src, p->src_len))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Only echo replies reach a raw ICMP socket: less to read on a busy link. */
static int raw_filter(const struct probe *p, int fd)
{
	if (family(p) == AF_INET) {
		struct icmp_filter filter = { .data = ~(1U << ICMP4_ECHO_REPLY) };

		return setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter)) ? -errno : 0;
	} else {
		struct icmp6_filter filter;

		ICMP6_FILTER_SETBLOCKALL(&filter);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REP, &filter);
		return setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) ? -errno : 0;
	}
}

static int open_icmp(struct probe *p, unsigned flags)
{
	int protocol = family(p) == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd, err;

	if (!(flags & PROBE_F_RAW)) {
		fd = wan_socket(p, SOCK_DGRAM, protocol);
		if (fd >= 0) {
			p->fd = fd;
			p->ping_socket = true;
			return 0;
		}
		/* not in ping_group_range (EACCES), or no ping sockets */
		if (fd != -EACCES && fd != -EPERM && fd != -EPROTONOSUPPORT && fd != -EAFNOSUPPORT)
			return fd;
	}
	fd = wan_socket(p, SOCK_RAW, protocol);
	if (fd < 0)
		return fd;
	err = raw_filter(p, fd);
	if (err) {
		close(fd);
		return err;
	}
	p->fd = fd;
	p->ping_socket = false;
	return 0;
}

/* IPv6 link-local addresses need the WAN as their scope. */
static void scope_link_local(struct sockaddr_storage *ss, unsigned ifindex)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) &&
	    !sin6->sin6_scope_id)
		sin6->sin6_scope_id = ifindex;
}

static void random_bytes(void *buf, size_t len)
{
	if (getrandom(buf, len, GRND_NONBLOCK) != (ssize_t)len) {
		struct timespec ts;
		__u64 x;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = ((__u64)ts.tv_nsec << 20) ^ ts.tv_sec ^ ((__u64)getpid() << 40);
		for (size_t i = 0; i < len; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			((__u8 *)buf)[i] = x >> 56;
	}
}

int probe_open(struct probe *p, const char *ifname, const struct sockaddr *src,
	       socklen_t src_len, const struct probe_target *target, __u64 timeout_ns,
	       unsigned flags)
{
	unsigned ifindex;
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (!ifname || !ifname[0] || strlen(ifname) >= sizeof(p->ifname) || !target ||
	    (target->addr.ss_family != AF_INET && target->addr.ss_family != AF_INET6))
		return -EINVAL;
	if (src && (src->sa_family != target->addr.ss_family || src_len > sizeof(p->src)))
		return -EAFNOSUPPORT;	/* an IPv4 source cannot reach an IPv6 target */
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	p->target = *target;
	if (src) {
		memcpy(&p->src, src, src_len);
		p->src_len = src_len;
	}
	p->timeout_ns = timeout_ns ? timeout_ns : PROBE_DEFAULT_TIMEOUT_NS;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -errno;
	scope_link_local(&p->target.addr, ifindex);
	scope_link_local(&p->src, ifindex);
	random_bytes(&p->ident, sizeof(p->ident));
	random_bytes(&p->cookie, sizeof(p->cookie));
	random_bytes(&p->seq, sizeof(p->seq));

	if (target->kind == PROBE_ICMP)
		err = open_icmp(p, flags);
	if (err) {
		p->fd = -1;
		return err;
	}
	return 0;
}

void probe_close(struct probe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->in_flight = false;
}

__u16 probe_inet_checksum(const void *data, size_t len)
{
	const __u8 *bytes = data;
	__u32 sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (bytes[i] << 8) | bytes[i + 1];
	if (len & 1)
		sum += bytes[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static int lost(struct probe *p, int err)
{
	p->lost++;
	p->in_flight = false;
	if (p->target.kind == PROBE_TCP && p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	return err;
}

static int send_icmp(struct probe *p)
{
	struct echo_packet echo = {
		.type = family(p) == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQ,
		.ident = htons(p->ident),	/* a ping socket puts its own */
		.seq = htons(p->seq),
		.cookie = p->cookie,
	};

	if (family(p) == AF_INET && !p->ping_socket)
		echo.checksum = probe_inet_checksum(&echo, sizeof(echo));	/* the kernel does the rest */
	if (sendto(p->fd, &echo, sizeof(echo), 0, (const struct sockaddr *)&p->target.addr,
		   p->target.addr_len) < 0)
		return -errno;
	return 0;
}

static int send_tcp(struct probe *p)
{
	struct linger no_time_wait = { .l_onoff = 1, .l_linger = 0 };
	int fd = wan_socket(p, SOCK_STREAM, 0);

	if (fd < 0)
		return fd;
	/* close() sends a RST: no TIME_WAIT sockets piling up, one per probe */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_time_wait, sizeof(no_time_wait));
	p->fd = fd;
	p->refused_at_once = false;
	if (connect(fd, (const struct sockaddr *)&p->target.addr, p->target.addr_len)) {
		if (errno == ECONNREFUSED)
			p->refused_at_once = true;	/* the fd polls POLLHUP */
		else if (errno != EINPROGRESS)
			return -errno;
	}
	return 0;
}

int probe_send(struct probe *p, __u64 now_ns)
{
	int err;

	if (p->in_flight)
		return -EBUSY;
	if (p->target.kind == PROBE_ICMP && p->fd < 0)
		return -EBADF;		/* not opened */
	p->seq++;
	p->sent++;
	p->sent_ns = now_ns;
	p->in_flight = true;
	err = p->target.kind == PROBE_ICMP ? send_icmp(p) : send_tcp(p);
	return err ? lost(p, err) : 0;
}

int probe_fd(const struct probe *p)
{
	if (p->target.kind == PROBE_TCP && !p->in_flight)
		return -1;
	return p->fd;
}

short probe_events(const struct probe *p)
{
	return p->target.kind == PROBE_TCP ? POLLOUT : POLLIN;
}

int probe_wait_ms(const struct probe *p, __u64 now_ns)
{
	__u64 deadline = p->sent_ns + p->timeout_ns;

	if (!p->in_flight)
		return -1;
	if (now_ns >= deadline)
		return 0;
	if ((deadline - now_ns) / 1000000 >= INT_MAX)
		return INT_MAX;
	return (int)((deadline - now_ns + 999999) / 1000000);
}

static int answered(struct probe *p, __u64 now_ns, __u32 *rtt_us)
{
	__u64 rtt = now_ns > p->sent_ns ? (now_ns - p->sent_ns) / 1000 : 0;

	*rtt_us = rtt > UINT32_MAX ? UINT32_MAX : (__u32)rtt;
	p->answered++;
	p->in_flight = false;
	if (p->target.kind == PROBE_TCP) {
		close(p->fd);
		p->fd = -1;
	}
	return 1;
}

static bool same_host(const struct probe *p, const struct sockaddr_storage *from)
{
	if (from->ss_family != family(p))
		return false;
	if (family(p) == AF_INET)
		return ((const struct sockaddr_in *)from)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&p->target.addr)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr,
		       &((const struct sockaddr_in6 *)&p->target.addr)->sin6_addr,
		       sizeof(struct in6_addr));
}

/* Is this datagram the answer to the probe in flight? */
static bool is_our_reply(const struct probe *p, const __u8 *buf, ssize_t len,
			 const struct sockaddr_storage *from)
{
	const struct echo_packet *echo;
	__u8 reply_type = family(p) == AF_INET ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REP;

	if (family(p) == AF_INET && !p->ping_socket) {
		size_t ip_len = (buf[0] & 0x0f) * 4;	/* raw IPv4 includes the IP header */

		if (len < 20 || (size_t)len < ip_len)
			return false;
		buf += ip_len;
		len -= ip_len;
	}
	if ((size_t)len < sizeof(*echo) || !same_host(p, from))
		return false;
	echo = (const struct echo_packet *)buf;
	return echo->type == reply_type && echo->code == 0 && ntohs(echo->seq) == p->seq &&
	       echo->cookie == p->cookie && (p->ping_socket || ntohs(echo->ident) == p->ident);
}

static int handle_icmp(struct probe *p, __u64 now_ns, __u32 *rtt_us)
{
	__u8 buf[1500];

	for (int i = 0; i < RECV_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t len = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return 0;	/* EAGAIN: drained; errors surface as timeouts */
		}
		if (p->in_flight && is_our_reply(p, buf, len, &from))
			return answered(p, now_ns, rtt_us);
	}
	return 0;
}

static int handle_tcp(struct probe *p, __u64 now_ns, __u32 *rtt_us)
{
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof(peer), len = sizeof(int);
	int err = 0;

	if (!p->in_flight || p->fd < 0)
		return 0;
	if (p->refused_at_once)
		return answered(p, now_ns, rtt_us);
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (!err && getpeername(p->fd, (struct sockaddr *)&peer, &peer_len)) {
		if (errno == ENOTCONN)
			return 0;	/* still connecting */
		err = errno;
	}
	if (!err || err == ECONNREFUSED)
		return answered(p, now_ns, rtt_us);	/* the target answered, maybe with a RST */
	return lost(p, -err);
}

int probe_handle_ready(struct probe *p, __u64 now_ns, __u32 *rtt_us)
{
	if (p->fd < 0)
		return 0;
	return p->target.kind == PROBE_ICMP ? handle_icmp(p, now_ns, rtt_us)
					    : handle_tcp(p, now_ns, rtt_us);
}

int probe_check_timeout(struct probe *p, __u64 now_ns)
{
	if (!p->in_flight || now_ns < p->sent_ns + p->timeout_ns)
		return 0;
	return lost(p, -ETIMEDOUT);
}

const char *probe_method(const struct probe *p)
{
	if (p->target.kind == PROBE_TCP)
		return "tcp";
	return p->ping_socket ? "icmp-dgram" : "icmp-raw";
}
