// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * src/nl.c and src/sysctl.c against this kernel, in a private network
 * namespace: a dump, a kernel error, generic netlink family ids, link
 * events (an overrun included) and a sysctl written and read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include "test.h"
#include "nl.h"
#include "sysctl.h"

static int count_links(const struct nlmsghdr *nlh, void *n)
{
	(*(int *)n) += nlh->nlmsg_type == RTM_NEWLINK;
	return MNL_CB_OK;
}

TEST(nl_dumps_errors_families_events_and_sysctls)
{
	int host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), n = 0, rcvbuf = 1;
	struct ifinfomsg *ifi;
	struct nl nl, ev;
	char buf[16];

	if (host_ns < 0 || unshare(CLONE_NEWNET)) {
		test_skip("cannot create a network namespace");
		goto out;
	}
	ASSERT_EQ(nl_dump(NETLINK_ROUTE, RTM_GETLINK, &(struct ifinfomsg){}, sizeof(*ifi),
			  count_links, &n), 0, "link dump");
	ASSERT_EQ(n, 1, "a new namespace has lo only");
	if (!ASSERT_EQ(nl_open(&nl, NETLINK_GENERIC, 0, NL_TIMEOUT_S), 0, "generic socket"))
		goto back;
	ASSERT_EQ(nl_genl_family(&nl, "nlctrl"), GENL_ID_CTRL, "nlctrl's id");
	ASSERT_EQ(nl_genl_family(&nl, "omr_no_such"), -ENOENT, "no such family");
	nl_close(&nl);

	if (!ASSERT_EQ(nl_open(&nl, NETLINK_ROUTE, 0, NL_TIMEOUT_S), 0, "route socket"))
		goto back;
	ifi = mnl_nlmsg_get_payload(nl_request(&nl, RTM_GETLINK, 0, sizeof(*ifi)));
	ifi->ifi_index = 4242;
	ASSERT_EQ(nl_talk(&nl, (struct nlmsghdr *)nl.buf, NULL, NULL), -ENODEV,
		  "the kernel's error, as a negative errno");
	nl_close(&nl);

	if (!ASSERT_EQ(nl_open(&ev, NETLINK_ROUTE, RTMGRP_LINK, 0), 0, "event socket"))
		goto back;
	ASSERT_EQ(nl_drain(&ev), 0, "no event yet");
	if (system("ip link add omn0 type veth peer name omn1")) {
		test_skip("cannot add a veth pair");
		goto close;
	}
	ASSERT_GE(nl_drain(&ev), 1, "a new link is an event");
	/* a receive buffer too small for the burst: the kernel drops some (ENOBUFS) */
	setsockopt(nl_fd(&ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	system("for i in 1 2 3 4 5 6 7 8; do ip link set omn0 mtu 100$i; done");
	ASSERT_GE(nl_drain(&ev), 1, "events after an overrun");
	ASSERT_EQ(nl_drain(&ev), 0, "all of them read at once");

	ASSERT_EQ(sysctl_write("2", "net/ipv4/conf/%s/rp_filter", "omn0"), 0, "write");
	ASSERT_EQ(sysctl_read(buf, sizeof(buf), "net/ipv4/conf/%s/rp_filter", "omn0"), 0, "read");
	ASSERT_STREQ(buf, "2", "read back, no newline");
	ASSERT_EQ(sysctl_read(buf, sizeof(buf), "net/ipv4/conf/omn9/rp_filter"), -ENOENT,
		  "no such interface");
close:
	nl_close(&ev);
back:
	if (setns(host_ns, CLONE_NEWNET))
		abort();	/* the next tests would run in the wrong namespace */
out:
	if (host_ns >= 0)
		close(host_ns);
}
