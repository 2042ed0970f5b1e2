// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where a packet is counted, checked in the kernel: crafted IPv4, IPv6 and
 * ARP frames through the ingress program leave the verdict and the bytes
 * unchanged and add exactly their length to the right WAN's rx; the egress
 * program counts nothing (tx is counted at transmit, after the qdisc, by
 * omr_xmit), which a real send through the loopback device checks.
 */
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include "prog_test.h"
#include "test.h"

#define LO_IFINDEX 1	/* test runs see the loopback device unless told otherwise */

/*
 * The IP and UDP headers are written in an aligned buffer, then copied
 * after the Ethernet header (at offset 14 they are not 4-byte aligned).
 */
static __u32 build_frame(unsigned char *buf, int family, __u32 payload)
{
	unsigned char l3[2048] __attribute__((aligned(8))) = { 0 };
	struct ethhdr eth = { .h_dest = { 2, 0, 0, 0, 0, 2 }, .h_source = { 2, 0, 0, 0, 0, 1 } };
	__u32 len = sizeof(eth);

	memset(buf, 0, 2048);
	if (family == AF_INET) {
		struct iphdr *ip = (void *)l3;
		struct udphdr *udp = (void *)(ip + 1);

		eth.h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons(sizeof(*ip) + sizeof(*udp) + payload);
		ip->saddr = htonl(0x0a4d0102);
		ip->daddr = htonl(0xc633640a);
		udp->source = htons(40000);
		udp->dest = htons(53);
		udp->len = htons(sizeof(*udp) + payload);
		len += sizeof(*ip) + sizeof(*udp) + payload;
	} else if (family == AF_INET6) {
		struct ipv6hdr *ip6 = (void *)l3;
		struct udphdr *udp = (void *)(ip6 + 1);

		eth.h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		ip6->payload_len = htons(sizeof(*udp) + payload);
		inet_pton(AF_INET6, "fd00:77:1::2", &ip6->saddr);
		inet_pton(AF_INET6, "2001:db8:100::10", &ip6->daddr);
		udp->source = htons(40000);
		udp->dest = htons(53);
		udp->len = htons(sizeof(*udp) + payload);
		len += sizeof(*ip6) + sizeof(*udp) + payload;
	} else {
		/* ARP request: not IP, still counted */
		eth.h_proto = htons(ETH_P_ARP);
		len += 28;
	}
	memcpy(buf, &eth, sizeof(eth));
	memcpy(buf + sizeof(eth), l3, len - sizeof(eth));
	for (__u32 i = len - payload; i < len; i++)
		buf[i] = (unsigned char)(i * 7);
	return len;
}

static void check_direction(bool egress)
{
	static const int families[] = { AF_INET, AF_INET6, AF_UNSPEC };
	static const char *const fam_name[] = { "IPv4", "IPv6", "ARP" };
	struct steer_bpf *skel = steer_load_unpinned();
	unsigned char pkt[2048], out[2048];
	__u32 wan_idx = 3, ifindex = LO_IFINDEX, want_bytes = 0, want_pkts = 0;
	int prog_fd;

	if (!skel)
		return;
	prog_fd = bpf_program__fd(egress ? skel->progs.omr_egress : skel->progs.omr_ingress);
	ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel->maps.wan_ifindex), &ifindex, &wan_idx,
				      BPF_ANY), 0, "map lo to wan 3");

	for (int f = 0; f < 3; f++) {
		for (__u32 payload = 0; payload <= 1400; payload += 700) {
			__u32 len = build_frame(pkt, families[f], payload), out_len = sizeof(out);
			__u32 retval = 0;
			struct wan_counters c, other;

			if (!ASSERT_EQ(prog_run(prog_fd, pkt, len, out, &out_len, &retval, 0), 0,
				       fam_name[f]))
				continue;
			ASSERT_EQ((int)retval, TC_ACT_UNSPEC, "verdict: later filters still run");
			ASSERT_EQ(out_len, len, "length unchanged");
			ASSERT_EQ(memcmp(out, pkt, len), 0, "bytes unchanged");
			want_bytes += len;
			want_pkts++;
			counters_sum(skel, wan_idx, &c);
			if (egress) {
				/* steering disabled: nothing to do before the qdisc */
				ASSERT_EQ(c.tx_bytes + c.rx_bytes, 0, "egress counts nothing");
				continue;
			}
			ASSERT_EQ(c.rx_bytes, want_bytes, fam_name[f]);
			ASSERT_EQ(c.rx_packets, want_pkts, fam_name[f]);
			ASSERT_EQ(c.tx_bytes, 0, "other direction untouched");
			counters_sum(skel, 0, &other);
			ASSERT_EQ(other.tx_bytes + other.rx_bytes, 0, "other WAN untouched");
		}
	}
	steer_bpf__destroy(skel);
}

TEST(count_egress_leaves_tx_to_transmit) { check_direction(true); }
TEST(count_ingress_ipv4_ipv6_arp) { check_direction(false); }

TEST(count_ignores_unmanaged_interface)
{
	struct steer_bpf *skel = steer_load_unpinned();
	unsigned char pkt[2048];
	__u32 len, retval = 0;

	if (!skel)
		return;
	len = build_frame(pkt, AF_INET, 100);
	ASSERT_EQ(prog_run(bpf_program__fd(skel->progs.omr_egress), pkt, len, NULL, NULL,
			   &retval, 0), 0, "run");
	ASSERT_EQ((int)retval, TC_ACT_UNSPEC, "verdict");
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_counters c;

		counters_sum(skel, i, &c);
		ASSERT_EQ(c.tx_packets + c.rx_packets, 0, "no WAN counted");
	}
	steer_bpf__destroy(skel);
}

static void send_loopback(int n, size_t len)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char payload[1500] = "omr-steer";
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	for (int i = 0; i < n; i++)
		sendto(fd, payload, len, 0, (struct sockaddr *)&dst, sizeof(dst));
	close(fd);
}

/*
 * omr_xmit: real datagrams sent through lo are counted as tx of lo's WAN;
 * the same ifindex in another network namespace is not.
 */
TEST(count_tx_at_transmit)
{
	struct steer_bpf *skel = steer_load_unpinned();
	__u32 ifindex = LO_IFINDEX, wan_idx = 5;
	struct bpf_link *link;
	struct wan_counters c;
	int status = -1;
	pid_t child;

	if (!skel)
		return;
	link = bpf_program__attach(skel->progs.omr_xmit);
	if (!ASSERT_TRUE(link, "attach tp_btf/net_dev_xmit"))
		goto out;
	ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel->maps.wan_ifindex), &ifindex, &wan_idx,
				      BPF_ANY), 0, "map lo to wan 5");

	child = fork();
	if (child == 0) {
		/* a fresh namespace whose lo also has ifindex 1 */
		if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
			_exit(2);
		send_loopback(20, 300);
		_exit(0);
	}
	waitpid(child, &status, 0);
	ASSERT_EQ(status, 0, "child sent in its own namespace");
	counters_sum(skel, wan_idx, &c);
	ASSERT_EQ(c.tx_packets, 0, "another namespace's lo is not our WAN");

	send_loopback(3, 300);
	counters_sum(skel, wan_idx, &c);
	/* 14 (ethernet) + 20 (IPv4) + 8 (UDP) + payload each, maybe an ICMP
	 * port unreachable each on top */
	ASSERT_GE(c.tx_packets, 3, "three datagrams sent");
	ASSERT_GE(c.tx_bytes, 3 * (14 + 28 + 300), "their bytes");
	counters_sum(skel, 0, &c);
	ASSERT_EQ(c.tx_packets, 0, "wan 0 untouched");
	bpf_link__destroy(link);
out:
	steer_bpf__destroy(skel);
}
