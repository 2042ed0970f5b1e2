// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include "omr_steer_abi.h"
#include "log.h"
#include "nl.h"
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

/* One message per filter instance (a tcm_handle of 0 is the chain). */
static int count_filter(const struct nlmsghdr *nh, void *count)
{
	const struct tcmsg *t = nl_parse(nh, sizeof(*t), NULL, 0, NULL);

	if (t && nh->nlmsg_type == RTM_NEWTFILTER && t->tcm_handle)
		(*(int *)count)++;
	return MNL_CB_OK;
}

/* Count the filters under one clsact parent (RTM_GETTFILTER); none without a clsact. */
static int count_filters_at(int ifindex, __u32 parent, int *count)
{
	struct tcmsg tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent };
	int err = nl_dump(NETLINK_ROUTE, RTM_GETTFILTER, &tc, sizeof(tc), count_filter, count);

	return err == -EINVAL || err == -ENOENT ? 0 : err;
}

int tc_count_filters(int ifindex)
{
	int n = 0, err = count_filters_at(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), &n);

	if (!err)
		err = count_filters_at(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), &n);
	return err ? err : n;
}
