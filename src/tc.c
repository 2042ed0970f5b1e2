// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include "omr_steer_abi.h"
#include "log.h"
#include "tc.h"

#define TC_HOOK(ifx, point) { .sz = sizeof(struct bpf_tc_hook), .ifindex = (ifx), \
			      .attach_point = (point) }

static int attach_one(int ifindex, enum bpf_tc_attach_point point, int prog_fd)
{
	struct bpf_tc_hook hook = TC_HOOK(ifindex, point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = OMR_TC_HANDLE,
		    .priority = OMR_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);

	return bpf_tc_attach(&hook, &opts);
}

int tc_attach(int ifindex, int egress_fd, int ingress_fd, bool *created_clsact)
{
	struct bpf_tc_hook hook = TC_HOOK(ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err;

	/* Attach first and create the clsact qdisc only when that fails for the
	 * lack of one: an existing qdisc (someone else's) is never touched. */
	*created_clsact = false;
	log_libbpf_quiet(true);
	err = attach_one(ifindex, BPF_TC_EGRESS, egress_fd);
	log_libbpf_quiet(false);
	if (err == -EINVAL || err == -ENOENT) {
		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST)
			return err;
		*created_clsact = !err;
		err = attach_one(ifindex, BPF_TC_EGRESS, egress_fd);
	}
	if (!err)
		err = attach_one(ifindex, BPF_TC_INGRESS, ingress_fd);
	if (err) {
		tc_detach(ifindex);
		if (*created_clsact)
			tc_destroy_clsact(ifindex);
		*created_clsact = false;
	}
	return err;
}

static int detach_one(int ifindex, enum bpf_tc_attach_point point)
{
	struct bpf_tc_hook hook = TC_HOOK(ifindex, point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = OMR_TC_HANDLE,
		    .priority = OMR_TC_PRIORITY);
	int err = bpf_tc_detach(&hook, &opts);

	/* gone already, or no clsact at all */
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int tc_detach(int ifindex)
{
	int err = detach_one(ifindex, BPF_TC_EGRESS);
	int err2 = detach_one(ifindex, BPF_TC_INGRESS);

	return err ? err : err2;
}

int tc_query(int ifindex, bool egress, unsigned int *prog_id)
{
	struct bpf_tc_hook hook = TC_HOOK(ifindex, egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = OMR_TC_HANDLE,
		    .priority = OMR_TC_PRIORITY);
	int err = bpf_tc_query(&hook, &opts);

	*prog_id = 0;
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	*prog_id = opts.prog_id;
	return 0;
}

int tc_destroy_clsact(int ifindex)
{
	struct bpf_tc_hook hook = TC_HOOK(ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err = bpf_tc_hook_destroy(&hook);

	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

/* Dump the filters under one clsact parent and count them (RTM_GETTFILTER). */
static int count_filters_at(int sock, int ifindex, __u32 parent)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.nh.nlmsg_type = RTM_GETTFILTER,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nh.nlmsg_seq = parent,
		.tc.tcm_family = AF_UNSPEC,
		.tc.tcm_ifindex = ifindex,
		.tc.tcm_parent = parent,
	};
	char buf[16384];
	int count = 0;

	if (send(sock, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(sock, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (len < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return count;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error == -EINVAL || e->error == -ENOENT ? 0 : e->error;
			}
			if (nh->nlmsg_type == RTM_NEWTFILTER) {
				struct tcmsg *t = NLMSG_DATA(nh);

				/* one message per filter instance (a tcm_handle of 0 is the chain) */
				if (t->tcm_handle)
					count++;
			}
		}
	}
}

int tc_count_filters(int ifindex)
{
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int in, out;

	if (sock < 0)
		return -errno;
	in = count_filters_at(sock, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	out = in < 0 ? 0 : count_filters_at(sock, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
	close(sock);
	if (in < 0)
		return in;
	if (out < 0)
		return out;
	return in + out;
}
