// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The TCP RTT reader (src/tcp_rtt.c) on crafted netlink dumps: which socket
 * belongs to which WAN, which sockets are fresh, which RTT of theirs counts,
 * and the median per WAN.  No kernel needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include "test.h"
#include "health.h"
#include "tcp_rtt.h"

#define SEQ	7
#define IDLE_MS	1000		/* the interval */

/* A dump being built: netlink messages one after the other. */
struct dump {
	size_t len;
	char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static struct nlmsghdr *put_msg(struct dump *d, __u16 type, __u32 seq, size_t payload)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(d->buf + d->len);

	memset(nh, 0, NLMSG_SPACE(payload));
	nh->nlmsg_len = NLMSG_LENGTH(payload);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_MULTI;
	nh->nlmsg_seq = seq;
	d->len += NLMSG_SPACE(payload);
	return nh;
}

static void put_attr(struct dump *d, struct nlmsghdr *nh, __u16 type, const void *data,
		     size_t len)
{
	struct rtattr *rta = (struct rtattr *)(d->buf + d->len);

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	d->len += RTA_SPACE(len);
	nh->nlmsg_len = (__u32)(d->buf + d->len - (char *)nh);
}

static void put_done(struct dump *d, __u32 seq)
{
	*(int *)NLMSG_DATA(put_msg(d, NLMSG_DONE, seq, sizeof(int))) = 0;
}

static void put_error(struct dump *d, __u32 seq, int error)
{
	struct nlmsgerr *e = NLMSG_DATA(put_msg(d, NLMSG_ERROR, seq, sizeof(*e)));

	e->error = error;
}

/* What a socket in the dump looks like. */
struct sock_spec {
	int family;
	const char *src, *dst;		/* addresses of @family (v4-mapped allowed) */
	__u32 bound_if;
	__u8 state;			/* 0: ESTABLISHED */
	__u32 rtt_us, rcv_rtt_us, min_rtt_us;
	__u32 last_data_sent, last_ack_recv, last_data_recv;	/* ms ago */
	size_t info_len;		/* 0: the whole struct tcp_info; -1: no INET_DIAG_INFO */
};

static void put_socket(struct dump *d, __u32 seq, const struct sock_spec *s)
{
	struct nlmsghdr *nh = put_msg(d, SOCK_DIAG_BY_FAMILY, seq, sizeof(struct inet_diag_msg));
	struct inet_diag_msg *msg = NLMSG_DATA(nh);
	struct tcp_info ti;
	size_t len = s->info_len ? s->info_len : sizeof(ti);

	msg->idiag_family = (__u8)s->family;
	msg->idiag_state = s->state ? s->state : TCP_ESTABLISHED;
	msg->id.idiag_if = s->bound_if;
	msg->id.idiag_sport = htons(40000);
	msg->id.idiag_dport = htons(443);
	inet_pton(s->family, s->src, msg->id.idiag_src);
	inet_pton(s->family, s->dst, msg->id.idiag_dst);
	/* the kernel sends more attributes before and after: skip them */
	put_attr(d, nh, INET_DIAG_SHUTDOWN, (__u8[4]){ 0 }, 1);
	if (s->info_len == (size_t)-1)
		return;
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_state = TCP_ESTABLISHED;
	ti.tcpi_rtt = s->rtt_us;
	ti.tcpi_rttvar = s->rtt_us / 4;
	ti.tcpi_rcv_rtt = s->rcv_rtt_us;
	ti.tcpi_last_data_sent = s->last_data_sent;
	ti.tcpi_last_ack_recv = s->last_ack_recv;
	ti.tcpi_last_data_recv = s->last_data_recv;
	(void)s->min_rtt_us;	/* glibc's struct tcp_info may stop before tcpi_min_rtt */
	put_attr(d, nh, INET_DIAG_INFO, &ti, len);
	put_attr(d, nh, INET_DIAG_MARK, (__u32[1]){ 0 }, 4);
}

/* WAN 0: wan1 (ifindex 11) 10.77.1.2, fd00:77:1::2; WAN 3: wan2 (ifindex 12) 10.77.2.2. */
static void lab_map(struct tcp_rtt_map *m)
{
	__u8 a[16];

	tcp_rtt_map_clear(m);
	tcp_rtt_map_set_ifindex(m, 0, 11);
	tcp_rtt_map_set_ifindex(m, 3, 12);
	inet_pton(AF_INET, "10.77.1.2", a);
	tcp_rtt_map_add_addr(m, 0, AF_INET, a);
	inet_pton(AF_INET6, "fd00:77:1::2", a);
	tcp_rtt_map_add_addr(m, 0, AF_INET6, a);
	inet_pton(AF_INET, "10.77.2.2", a);
	tcp_rtt_map_add_addr(m, 3, AF_INET, a);
}

/* A socket busy sending on the WAN of @src: fresh srtt @rtt_us. */
static struct sock_spec sender(const char *src, __u32 rtt_us)
{
	return (struct sock_spec){
		.family = AF_INET, .src = src, .dst = "198.51.100.10",
		.rtt_us = rtt_us, .rcv_rtt_us = 0,
		.last_data_sent = 10, .last_ack_recv = 5, .last_data_recv = 60000,
	};
}

static void put_sender(struct dump *d, __u32 seq, const char *src, __u32 rtt_us)
{
	struct sock_spec s = sender(src, rtt_us);

	put_socket(d, seq, &s);
}

static struct tcp_rtt_map map;
static struct tcp_rtt_round round_;
static struct dump dump;

static int parse_all(void)
{
	return tcp_rtt_parse(&map, &round_, dump.buf, dump.len, SEQ);
}

static __u32 median_of(int wan)
{
	__u32 v[TCP_RTT_MAX_SAMPLES];

	memcpy(v, round_.wan[wan].rtt_us, sizeof(v));
	return tcp_rtt_median(v, round_.wan[wan].n);
}

static void start(void)
{
	lab_map(&map);
	tcp_rtt_round_start(&round_, IDLE_MS);
	dump.len = 0;
}

TEST(tcp_rtt_sockets_go_to_the_wan_of_their_source_address)
{
	start();
	put_sender(&dump, SEQ, "10.77.2.2", 40000);
	put_sender(&dump, SEQ, "10.77.2.2", 42000);
	put_sender(&dump, SEQ, "10.77.1.2", 3000);
	/* a LAN-side socket of the router: no WAN */
	put_sender(&dump, SEQ, "192.168.77.1", 500);
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "the dump ends with NLMSG_DONE");
	ASSERT_EQ(round_.sockets, 4, "sockets seen");
	ASSERT_EQ(round_.on_wans, 3, "sockets on a WAN");
	ASSERT_EQ(round_.wan[3].sockets, 2, "wan2's sockets");
	ASSERT_EQ(round_.wan[3].n, 2, "wan2's fresh samples");
	ASSERT_EQ(median_of(3), 40000, "wan2: the lower median of 40 and 42 ms");
	ASSERT_EQ(round_.wan[0].n, 1, "wan1's samples");
	ASSERT_EQ(median_of(0), 3000, "wan1");
	for (int i = 0; i < OMR_MAX_WANS; i++)
		if (i != 0 && i != 3)
			ASSERT_EQ(round_.wan[i].sockets, 0, "other slots have none");
}

TEST(tcp_rtt_bound_device_wins_over_the_source_address)
{
	start();
	/* bound to wan2 (MPTCP endpoint with dev, SO_BINDTODEVICE), wan1's address */
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET, .src = "10.77.1.2",
		.dst = "198.51.100.10", .bound_if = 12, .rtt_us = 41000,
		.last_data_sent = 1, .last_ack_recv = 1, .last_data_recv = 1 });
	/* bound to an interface that is no WAN (a VRF, the LAN): not ours */
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET, .src = "10.77.1.2",
		.dst = "198.51.100.10", .bound_if = 99, .rtt_us = 2000,
		.last_data_sent = 1, .last_ack_recv = 1 });
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(round_.wan[3].n, 1, "counted on wan2");
	ASSERT_EQ(median_of(3), 41000, "wan2's RTT");
	ASSERT_EQ(round_.wan[0].sockets, 0, "nothing on wan1");
	ASSERT_EQ(round_.on_wans, 1, "the foreign-bound socket is on no WAN");
}

TEST(tcp_rtt_ipv6_and_v4_mapped_sockets)
{
	start();
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET6, .src = "fd00:77:1::2",
		.dst = "2001:db8:100::10", .rtt_us = 7000, .last_data_sent = 0, .last_ack_recv = 0 });
	/* a dual-stack program's IPv4 connection out of wan2 */
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET6, .src = "::ffff:10.77.2.2",
		.dst = "::ffff:198.51.100.10", .rtt_us = 43000, .last_data_sent = 3, .last_ack_recv = 3 });
	/* an IPv6 address of no WAN */
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET6, .src = "fd77::1",
		.dst = "fd77::2", .rtt_us = 100, .last_data_sent = 3, .last_ack_recv = 3 });
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(median_of(0), 7000, "IPv6 socket on wan1");
	ASSERT_EQ(median_of(3), 43000, "v4-mapped socket on wan2");
	ASSERT_EQ(round_.on_wans, 2, "the LAN's IPv6 socket is on no WAN");
}

TEST(tcp_rtt_idle_sockets_do_not_count)
{
	struct sock_spec s;

	start();
	/* connected for hours, nothing sent or received for 30 s: a stale srtt */
	s = sender("10.77.2.2", 250000);
	s.last_data_sent = s.last_ack_recv = s.last_data_recv = 30000;
	put_socket(&dump, SEQ, &s);
	/* sent data but no ACK came back within the interval (stalled) */
	s = sender("10.77.2.2", 260000);
	s.last_ack_recv = 2500;
	put_socket(&dump, SEQ, &s);
	/* exactly one interval ago still counts */
	s = sender("10.77.2.2", 40000);
	s.last_data_sent = s.last_ack_recv = IDLE_MS;
	put_socket(&dump, SEQ, &s);
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(round_.wan[3].sockets, 3, "all three are on wan2");
	ASSERT_EQ(round_.wan[3].n, 1, "only the fresh one gives a sample");
	ASSERT_EQ(median_of(3), 40000, "the fresh one's RTT");
}

TEST(tcp_rtt_receivers_give_their_receive_rtt)
{
	struct sock_spec s;

	start();
	/* a download: its request went out a minute ago, data keeps coming */
	s = sender("10.77.2.2", 39000);
	s.last_data_sent = 60000;
	s.last_ack_recv = 2;
	s.last_data_recv = 2;
	s.rcv_rtt_us = 44000;
	put_socket(&dump, SEQ, &s);
	/* receiving, but no receive estimate yet: nothing */
	s.rcv_rtt_us = 0;
	put_socket(&dump, SEQ, &s);
	/* sending and receiving: the sender's srtt is the better one */
	s = sender("10.77.2.2", 41000);
	s.last_data_recv = 1;
	s.rcv_rtt_us = 90000;
	put_socket(&dump, SEQ, &s);
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(round_.wan[3].n, 2, "two samples");
	ASSERT_EQ(round_.wan[3].rtt_us[0], 44000, "the download's receive RTT");
	ASSERT_EQ(round_.wan[3].rtt_us[1], 41000, "the both-ways socket's srtt");
}

TEST(tcp_rtt_the_router_talking_to_itself_is_no_wan)
{
	start();
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET, .src = "10.77.2.2",
		.dst = "10.77.1.2", .rtt_us = 20, .last_data_sent = 1, .last_ack_recv = 1 });
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET, .src = "10.77.2.2",
		.dst = "10.77.2.2", .bound_if = 12, .rtt_us = 20, .last_data_sent = 1, .last_ack_recv = 1 });
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(round_.sockets, 2, "seen");
	ASSERT_EQ(round_.on_wans, 0, "to one of our own addresses: not a WAN's RTT");
}

TEST(tcp_rtt_short_long_and_missing_tcp_info)
{
	struct sock_spec s;

	start();
	/* a kernel with a shorter tcp_info than ours, but with rcv_rtt */
	s = sender("10.77.2.2", 40000);
	s.info_len = offsetof(struct tcp_info, tcpi_rcv_space);
	put_socket(&dump, SEQ, &s);
	/* cut before tcpi_rcv_rtt: not trusted */
	s = sender("10.77.2.2", 1000);
	s.info_len = offsetof(struct tcp_info, tcpi_rtt) + 4;
	put_socket(&dump, SEQ, &s);
	/* no INET_DIAG_INFO at all */
	s = sender("10.77.2.2", 1000);
	s.info_len = (size_t)-1;
	put_socket(&dump, SEQ, &s);
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(round_.wan[3].sockets, 3, "all on wan2");
	ASSERT_EQ(round_.wan[3].n, 1, "only the long-enough tcp_info counts");
	ASSERT_EQ(median_of(3), 40000, "its RTT");
	ASSERT_EQ(tcp_rtt_of_socket(&(struct tcp_info){ .tcpi_rtt = 5 }, 8, IDLE_MS), 0,
		  "8 bytes of tcp_info say nothing");
}

TEST(tcp_rtt_dump_in_parts_errors_and_other_replies)
{
	size_t first;

	start();
	put_sender(&dump, SEQ, "10.77.2.2", 40000);
	first = dump.len;
	put_sender(&dump, SEQ, "10.77.2.2", 44000);
	put_done(&dump, SEQ);
	ASSERT_EQ(tcp_rtt_parse(&map, &round_, dump.buf, first, SEQ), 0, "first part: more follows");
	ASSERT_EQ(tcp_rtt_parse(&map, &round_, dump.buf + first, dump.len - first, SEQ), 1,
		  "second part: done");
	ASSERT_EQ(median_of(3), 40000, "median of 40 and 44 ms");
	/* a late reply to an earlier request (the sockets are reopened after a failure) */
	dump.len = 0;
	put_sender(&dump, SEQ - 1, "10.77.2.2", 1000);
	ASSERT_EQ(parse_all(), -EPROTO, "another request's reply is an error");
	ASSERT_EQ(round_.wan[3].n, 2, "and is not counted");

	dump.len = 0;
	put_error(&dump, SEQ, -EPERM);
	ASSERT_EQ(parse_all(), -EPERM, "an error ends the dump with its errno");
	dump.len = 0;
	put_error(&dump, SEQ, 1);	/* found by tests/fuzz/fuzz_sock_diag; libmnl: the errno */
	ASSERT_EQ(parse_all(), -EPERM, "a positive error is no success");
	/* not ESTABLISHED (the request asks for those only, but still) */
	start();
	put_socket(&dump, SEQ, &(struct sock_spec){ .family = AF_INET, .src = "10.77.2.2",
		.dst = "198.51.100.10", .state = 8 /* CLOSE_WAIT */, .rtt_us = 1,
		.last_data_sent = 1, .last_ack_recv = 1 });
	ASSERT_EQ(parse_all(), 0, "no DONE yet");
	ASSERT_EQ(round_.on_wans, 0, "a closing socket does not count");
}

TEST(tcp_rtt_median_and_sample_bound)
{
	__u32 v[] = { 50, 10, 40, 30, 20 };
	__u32 one[] = { 7 };

	ASSERT_EQ(tcp_rtt_median(v, 5), 30, "odd count");
	ASSERT_EQ(v[0], 10, "sorted");
	ASSERT_EQ(v[4], 50, "sorted");
	ASSERT_EQ(tcp_rtt_median(v, 4), 20, "even count: the lower one");
	ASSERT_EQ(tcp_rtt_median(one, 1), 7, "one value");
	ASSERT_EQ(tcp_rtt_median(NULL, 0), 0, "none: unknown");

	/* more sockets than samples kept: all counted, the first 64 kept */
	start();
	for (int i = 0; i < TCP_RTT_MAX_SAMPLES + 36; i++)
		put_sender(&dump, SEQ, "10.77.2.2", 30000 + 100 * i);
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(round_.wan[3].sockets, TCP_RTT_MAX_SAMPLES + 36, "sockets counted");
	ASSERT_EQ(round_.wan[3].n, TCP_RTT_MAX_SAMPLES, "samples bounded");
	ASSERT_EQ(median_of(3), 30000 + 100 * 31, "median of the first 64");
}

TEST(tcp_rtt_median_ignores_a_near_destination)
{
	start();
	/* most connections go to the VPS, 40 ms away; one to the modem's web page */
	put_sender(&dump, SEQ, "10.77.2.2", 41000);
	put_sender(&dump, SEQ, "10.77.2.2", 900);
	put_sender(&dump, SEQ, "10.77.2.2", 40000);
	put_sender(&dump, SEQ, "10.77.2.2", 43000);
	put_sender(&dump, SEQ, "10.77.2.2", 42000);
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(median_of(3), 41000, "the VPS's RTT, not the modem's");
}

/* RTM_NEWADDR of @family on @ifindex with @scope: IFA_LOCAL and/or IFA_ADDRESS. */
static void put_addr(struct dump *d, __u32 seq, int family, __u32 ifindex, __u8 scope,
		     const char *local, const char *address)
{
	struct nlmsghdr *nh = put_msg(d, RTM_NEWADDR, seq, sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	__u8 a[16];
	size_t alen = family == AF_INET ? 4 : 16;

	ifa->ifa_family = (__u8)family;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = scope;
	ifa->ifa_prefixlen = family == AF_INET ? 24 : 64;
	if (address) {
		inet_pton(family, address, a);
		put_attr(d, nh, IFA_ADDRESS, a, alen);
	}
	if (local) {
		inet_pton(family, local, a);
		put_attr(d, nh, IFA_LOCAL, a, alen);
	}
}

TEST(tcp_rtt_wan_addresses_from_rtnetlink)
{
	struct inet_diag_msg msg = { .idiag_family = AF_INET };

	tcp_rtt_map_clear(&map);
	tcp_rtt_map_set_ifindex(&map, 0, 11);
	tcp_rtt_map_set_ifindex(&map, 3, 12);
	dump.len = 0;
	put_addr(&dump, SEQ, AF_INET, 1, RT_SCOPE_HOST, "127.0.0.1", "127.0.0.1");
	put_addr(&dump, SEQ, AF_INET, 11, RT_SCOPE_UNIVERSE, "10.77.1.2", "10.77.1.2");
	put_addr(&dump, SEQ, AF_INET, 11, RT_SCOPE_UNIVERSE, "10.77.1.3", "10.77.1.3");
	/* PPP: IFA_ADDRESS is the peer, IFA_LOCAL ours */
	put_addr(&dump, SEQ, AF_INET, 12, RT_SCOPE_UNIVERSE, "100.64.0.9", "100.64.0.1");
	put_addr(&dump, SEQ, AF_INET6, 12, RT_SCOPE_UNIVERSE, NULL, "fd00:77:2::2");
	put_addr(&dump, SEQ, AF_INET6, 12, RT_SCOPE_LINK, NULL, "fe80::2");
	put_addr(&dump, SEQ, AF_INET, 13, RT_SCOPE_UNIVERSE, "192.168.77.1", "192.168.77.1");
	ASSERT_EQ(tcp_rtt_parse_addrs(&map, dump.buf, dump.len, SEQ), 0, "more follows");
	dump.len = 0;
	put_done(&dump, SEQ);
	ASSERT_EQ(tcp_rtt_parse_addrs(&map, dump.buf, dump.len, SEQ), 1, "done");
	ASSERT_EQ(map.n_addrs, 4, "the WANs' global addresses, secondary ones too");

	inet_pton(AF_INET, "198.51.100.10", msg.id.idiag_dst);
	inet_pton(AF_INET, "10.77.1.3", msg.id.idiag_src);
	ASSERT_EQ(tcp_rtt_wan_of(&map, &msg), 0, "a second address of wan1");
	inet_pton(AF_INET, "100.64.0.9", msg.id.idiag_src);
	ASSERT_EQ(tcp_rtt_wan_of(&map, &msg), 3, "the local end of the PPP link");
	inet_pton(AF_INET, "100.64.0.1", msg.id.idiag_src);
	ASSERT_EQ(tcp_rtt_wan_of(&map, &msg), -1, "the PPP peer is not ours");
	inet_pton(AF_INET, "192.168.77.1", msg.id.idiag_src);
	ASSERT_EQ(tcp_rtt_wan_of(&map, &msg), -1, "the LAN address");
	msg.idiag_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:100::10", msg.id.idiag_dst);
	inet_pton(AF_INET6, "fd00:77:2::2", msg.id.idiag_src);
	ASSERT_EQ(tcp_rtt_wan_of(&map, &msg), 3, "IPv6 of wan2 (IFA_ADDRESS only)");
	inet_pton(AF_INET6, "fe80::2", msg.id.idiag_src);
	ASSERT_EQ(tcp_rtt_wan_of(&map, &msg), -1, "link-local addresses are skipped");

	dump.len = 0;
	put_error(&dump, SEQ, -EBUSY);
	ASSERT_EQ(tcp_rtt_parse_addrs(&map, dump.buf, dump.len, SEQ), -EBUSY, "dump error");
	dump.len = 0;
	put_error(&dump, SEQ, 1);	/* found by tests/fuzz/fuzz_rtnl_addrs; libmnl: the errno */
	ASSERT_EQ(tcp_rtt_parse_addrs(&map, dump.buf, dump.len, SEQ), -EPERM, "a positive error");
}

TEST(tcp_rtt_map_is_bounded)
{
	__u8 a[4] = { 10, 0, 0, 0 };
	int err = 0;

	tcp_rtt_map_clear(&map);
	for (int i = 0; i < TCP_RTT_MAX_ADDRS + 1 && !err; i++) {
		a[3] = (__u8)i;
		err = tcp_rtt_map_add_addr(&map, i % OMR_MAX_WANS, AF_INET, a);
	}
	ASSERT_EQ(err, -ENOSPC, "the table is full");
	ASSERT_EQ(map.n_addrs, TCP_RTT_MAX_ADDRS, "up to its size");
	ASSERT_EQ(tcp_rtt_map_add_addr(&map, OMR_MAX_WANS, AF_INET, a), -EINVAL, "bad slot");
}

TEST(tcp_rtt_health_forgets_a_quiet_rtt)
{
	struct health h;

	health_init(&h, NULL, false);
	health_tcp_rtt(&h, 40000);
	health_tcp_rtt(&h, 48000);
	ASSERT_EQ(health_srtt_us(&h), 41000, "7/8 of 40 ms + 1/8 of 48 ms");
	ASSERT_EQ(health_min_rtt_us(&h), 40000, "min");
	health_forget_rtt(&h);
	ASSERT_EQ(health_srtt_us(&h), 0, "forgotten: unknown");
	ASSERT_EQ(health_min_rtt_us(&h), 0, "min forgotten too");
	ASSERT_FALSE(health_queue_building(&h), "no queue without an RTT");
	ASSERT_EQ(health_state(&h), HEALTH_UP, "the state is not the RTT's business");
	health_tcp_rtt(&h, 90000);
	ASSERT_EQ(health_srtt_us(&h), 90000, "the next sample starts afresh, not blended");
	ASSERT_EQ(health_min_rtt_us(&h), 90000, "and is the new minimum");
}

/*
 * The kernel's checks and interpreter of inet_diag bytecode
 * (net/ipv4/inet_diag.c: inet_diag_bc_audit, valid_cc, inet_diag_bc_run),
 * for the operations tcp_rtt_filter() uses, so that the program is tried
 * here the way the kernel will take it.
 */
static bool bc_valid_cc(const __u8 *bc, int len, int cc)
{
	while (len >= 0) {
		const struct inet_diag_bc_op *op = (const void *)bc;

		if (cc > len)
			return false;
		if (cc == len)
			return true;
		if (op->yes < 4 || op->yes & 3)
			return false;
		len -= op->yes;
		bc += op->yes;
	}
	return false;
}

static bool bc_audit(const __u8 *prog, int prog_len)
{
	const __u8 *bc = prog;
	int len = prog_len;

	while (len > 0) {
		const struct inet_diag_bc_op *op = (const void *)bc;
		int min_len = sizeof(*op);

		switch (op->code) {
		case INET_DIAG_BC_S_COND: {
			const struct inet_diag_hostcond *hc = (const void *)(op + 1);
			int alen = hc->family == AF_INET ? 4 : hc->family == AF_INET6 ? 16 : -1;

			min_len += sizeof(*hc);
			if (len < min_len || alen < 0)
				return false;
			min_len += alen;
			if (len < min_len || hc->prefix_len > 8 * alen)
				return false;
			break;
		}
		case INET_DIAG_BC_DEV_COND:
			min_len += 4;
			if (len < min_len)
				return false;
			break;
		case INET_DIAG_BC_JMP:
			break;
		default:
			return false;
		}
		if (op->no < min_len || op->no > len + 4 || op->no & 3)
			return false;
		if (op->no < len && !bc_valid_cc(prog, prog_len, len - op->no))
			return false;
		if (op->yes < min_len || op->yes > len + 4 || op->yes & 3)
			return false;
		bc += op->yes;
		len -= op->yes;
	}
	return len == 0;
}

struct bc_entry {
	int family;
	__be32 saddr[4];
	__u32 ifindex;
};

static bool bc_prefix_match(const __be32 *a, const __be32 *b, int bits)
{
	int words = bits >> 5;

	bits &= 0x1f;
	if (words && memcmp(a, b, words << 2))
		return false;
	if (bits) {
		__be32 mask = htonl(0xffffffffU << (32 - bits));

		if ((a[words] ^ b[words]) & mask)
			return false;
	}
	return true;
}

static bool bc_run(const __u8 *bc, int len, const struct bc_entry *e)
{
	while (len > 0) {
		const struct inet_diag_bc_op *op = (const void *)bc;
		bool yes = true;

		switch (op->code) {
		case INET_DIAG_BC_JMP:
			yes = false;
			break;
		case INET_DIAG_BC_S_COND: {
			const struct inet_diag_hostcond *hc = (const void *)(op + 1);

			if (hc->port != -1) {
				yes = false;	/* we never match ports */
				break;
			}
			if (hc->family != e->family) {
				yes = e->family == AF_INET6 && hc->family == AF_INET &&
				      !e->saddr[0] && !e->saddr[1] && e->saddr[2] == htonl(0xffff) &&
				      bc_prefix_match(e->saddr + 3, hc->addr, hc->prefix_len);
				break;
			}
			yes = !hc->prefix_len || bc_prefix_match(e->saddr, hc->addr, hc->prefix_len);
			break;
		}
		case INET_DIAG_BC_DEV_COND:
			yes = *(const __u32 *)(op + 1) == e->ifindex;
			break;
		}
		if (!(yes ? op->yes : op->no))
			return false;	/* would never end (the audit refuses it) */
		len -= yes ? op->yes : op->no;
		bc += yes ? op->yes : op->no;
	}
	return len == 0;
}

static bool passes(const __u8 *prog, int len, int family, const char *src, __u32 ifindex)
{
	struct bc_entry e = { .family = family, .ifindex = ifindex };

	inet_pton(family, src, e.saddr);
	return bc_run(prog, len, &e);
}

TEST(tcp_rtt_kernel_filter_lets_only_wan_sockets_through)
{
	static __u8 prog[32768];
	int len;

	tcp_rtt_map_clear(&map);
	ASSERT_EQ(tcp_rtt_filter(&map, prog, sizeof(prog)), 0, "no WAN: no program");
	lab_map(&map);
	len = tcp_rtt_filter(&map, prog, sizeof(prog));
	/* 2 devices (8 bytes), 2 IPv4 (16) and 1 IPv6 (28) address, a jump each, the reject */
	ASSERT_EQ(len, 2 * 8 + 2 * 16 + 28 + 5 * 4 + 4, "program length");
	if (!ASSERT_TRUE(bc_audit(prog, len), "the kernel's audit accepts it"))
		return;
	ASSERT_TRUE(passes(prog, len, AF_INET, "198.51.100.7", 12), "bound to wan2");
	ASSERT_TRUE(passes(prog, len, AF_INET, "10.77.1.2", 0), "from wan1's address");
	ASSERT_TRUE(passes(prog, len, AF_INET, "10.77.2.2", 0), "from wan2's address");
	ASSERT_TRUE(passes(prog, len, AF_INET6, "::ffff:10.77.2.2", 0), "v4-mapped, wan2");
	ASSERT_TRUE(passes(prog, len, AF_INET6, "fd00:77:1::2", 0), "IPv6 of wan1");
	ASSERT_TRUE(passes(prog, len, AF_INET, "10.77.1.2", 99), "bound elsewhere: user space decides");
	ASSERT_FALSE(passes(prog, len, AF_INET, "192.168.77.1", 0), "the LAN address");
	ASSERT_FALSE(passes(prog, len, AF_INET, "10.77.2.3", 0), "a neighbour of wan2's address");
	ASSERT_FALSE(passes(prog, len, AF_INET6, "fd77::1", 0), "the LAN's IPv6");
	ASSERT_FALSE(passes(prog, len, AF_INET, "127.0.0.1", 1), "loopback");
	ASSERT_EQ(tcp_rtt_filter(&map, prog, 40), -ENOSPC, "a buffer too small");
}

TEST(tcp_rtt_kernel_filter_of_a_full_map)
{
	static __u8 prog[32768];
	__u8 a[16] = { 0xfd, 0 };
	int len;

	tcp_rtt_map_clear(&map);
	for (int i = 0; i < OMR_MAX_WANS; i++)
		tcp_rtt_map_set_ifindex(&map, i, 100 + i);
	for (int i = 0; i < TCP_RTT_MAX_ADDRS; i++) {
		a[15] = (__u8)i;
		tcp_rtt_map_add_addr(&map, i % OMR_MAX_WANS, AF_INET6, a);
	}
	len = tcp_rtt_filter(&map, prog, sizeof(prog));
	ASSERT_GE(len, 1, "fits");
	if (!ASSERT_TRUE(bc_audit(prog, len), "the kernel's audit accepts it"))
		return;
	ASSERT_TRUE(passes(prog, len, AF_INET6, "fd00::ff", 0), "the last address");
	ASSERT_TRUE(passes(prog, len, AF_INET, "1.2.3.4", 131), "the last device");
	ASSERT_FALSE(passes(prog, len, AF_INET6, "fd00::1:ff", 0), "no such address");
}

TEST(tcp_rtt_replies_to_the_legacy_request)
{
	size_t at;

	start();
	/* replies to TCPDIAG_GETSOCK (both families in one dump) carry that type */
	at = dump.len;
	put_sender(&dump, SEQ, "10.77.2.2", 40000);
	((struct nlmsghdr *)(dump.buf + at))->nlmsg_type = TCPDIAG_GETSOCK;
	/* anything else is not a socket */
	at = dump.len;
	put_sender(&dump, SEQ, "10.77.2.2", 1000);
	((struct nlmsghdr *)(dump.buf + at))->nlmsg_type = RTM_NEWLINK;
	put_done(&dump, SEQ);
	ASSERT_EQ(parse_all(), 1, "done");
	ASSERT_EQ(round_.sockets, 1, "one socket");
	ASSERT_EQ(median_of(3), 40000, "its RTT");
}
