// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The path manager's generic netlink family "mptcp_pm" through src/nl.h
 * (what `ip mptcp endpoint show|change` does); see src/mptcp_pm.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include "mptcp_pm.h"

void mptcp_pm_close(struct mptcp_pm *g)
{
	nl_close(&g->nl);
}

/* A generic netlink socket, with "mptcp_pm" resolved (-ENOENT: no such family). */
int mptcp_pm_open(struct mptcp_pm *g)
{
	int id, err = nl_open(&g->nl, NETLINK_GENERIC, 0, NL_TIMEOUT_S);

	if (err)
		return err;
	id = nl_genl_family(&g->nl, MPTCP_PM_NAME);
	if (id < 0) {
		mptcp_pm_close(g);
		return id;
	}
	g->family = (__u16)id;
	return 0;
}

static int parse_endpoint(const struct nlattr *nest, struct mptcp_endpoint *ep)
{
	static const enum mnl_attr_data_type policy[MPTCP_PM_ADDR_ATTR_MAX + 1] = {
		[MPTCP_PM_ADDR_ATTR_ID] = MNL_TYPE_U8, [MPTCP_PM_ADDR_ATTR_FLAGS] = MNL_TYPE_U32,
		[MPTCP_PM_ADDR_ATTR_IF_IDX] = MNL_TYPE_U32, [MPTCP_PM_ADDR_ATTR_PORT] = MNL_TYPE_U16,
	};
	const struct nlattr *tb[MPTCP_PM_ADDR_ATTR_MAX + 1] = {};
	const void *a4, *a6;

	nl_attrs_at(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), tb,
		    MPTCP_PM_ADDR_ATTR_MAX, policy);
	memset(ep, 0, sizeof(*ep));
	if (tb[MPTCP_PM_ADDR_ATTR_ID])
		ep->id = mnl_attr_get_u8(tb[MPTCP_PM_ADDR_ATTR_ID]);
	if (tb[MPTCP_PM_ADDR_ATTR_FLAGS])
		ep->flags = mnl_attr_get_u32(tb[MPTCP_PM_ADDR_ATTR_FLAGS]);
	if (tb[MPTCP_PM_ADDR_ATTR_IF_IDX])
		ep->ifindex = (__s32)mnl_attr_get_u32(tb[MPTCP_PM_ADDR_ATTR_IF_IDX]);
	if (tb[MPTCP_PM_ADDR_ATTR_PORT])
		ep->port = mnl_attr_get_u16(tb[MPTCP_PM_ADDR_ATTR_PORT]);
	a4 = nl_attr_addr(tb[MPTCP_PM_ADDR_ATTR_ADDR4], AF_INET);
	a6 = nl_attr_addr(tb[MPTCP_PM_ADDR_ATTR_ADDR6], AF_INET6);
	ep->addr.family = a4 ? AF_INET : a6 ? AF_INET6 : 0;
	if (a4 || a6)
		memcpy(ep->addr.addr, a4 ? a4 : a6, a4 ? 4 : 16);
	return ep->id ? 0 : -EINVAL;
}

struct list_ctx {
	struct mptcp_endpoint *out;
	int max, count;
};

/* One endpoint a message (the kernel's mptcp_pm_nl_get_addr_dumpit). */
static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	static const enum mnl_attr_data_type policy[MPTCP_PM_ATTR_MAX + 1] = {
		[MPTCP_PM_ATTR_ADDR] = MNL_TYPE_NESTED,
	};
	const struct nlattr *tb[MPTCP_PM_ATTR_MAX + 1] = {};
	struct list_ctx *ctx = data;
	struct mptcp_endpoint ep;

	if (!nl_parse(nlh, GENL_HDRLEN, tb, MPTCP_PM_ATTR_MAX, policy) ||
	    !tb[MPTCP_PM_ATTR_ADDR] || parse_endpoint(tb[MPTCP_PM_ATTR_ADDR], &ep))
		return MNL_CB_OK;
	if (ctx->count < ctx->max)
		ctx->out[ctx->count] = ep;
	ctx->count++;
	return MNL_CB_OK;
}

int mptcp_pm_dump(struct mptcp_pm *g, struct mptcp_endpoint *out, int max)
{
	struct list_ctx ctx = { .out = out, .max = max };
	struct nlmsghdr *req = nl_genl_request(&g->nl, g->family, MPTCP_PM_CMD_GET_ADDR,
					       MPTCP_PM_VER, NLM_F_DUMP);
	int err = nl_talk(&g->nl, req, list_cb, &ctx);

	return err ? err : ctx.count;
}

int mptcp_pm_set_flags(struct mptcp_pm *g, __u32 id, __u32 flags)
{
	struct nlmsghdr *req = nl_genl_request(&g->nl, g->family, MPTCP_PM_CMD_SET_FLAGS,
					       MPTCP_PM_VER, 0);
	struct nlattr *nest = mnl_attr_nest_start(req, MPTCP_PM_ATTR_ADDR);

	mnl_attr_put_u8(req, MPTCP_PM_ADDR_ATTR_ID, (__u8)id);
	mnl_attr_put_u32(req, MPTCP_PM_ADDR_ATTR_FLAGS, flags);
	mnl_attr_nest_end(req, nest);
	return nl_talk(&g->nl, req, NULL, NULL);
}

const struct mptcp_endpoint *mptcp_pm_find(const struct mptcp_endpoint *eps, int n, __u32 id)
{
	for (int i = 0; i < n; i++)
		if (eps[i].id == id)
			return &eps[i];
	return NULL;
}

__u32 mptcp_pm_with_backup(__u32 flags, bool backup)
{
	return backup ? flags | MPTCP_PM_ADDR_FLAG_BACKUP : flags & ~MPTCP_PM_ADDR_FLAG_BACKUP;
}

int mptcp_pm_list(struct mptcp_endpoint *out, int max)
{
	struct mptcp_pm g;
	int ret = mptcp_pm_open(&g);

	if (ret)
		return ret;
	ret = mptcp_pm_dump(&g, out, max);
	mptcp_pm_close(&g);
	return ret;
}

int mptcp_pm_set_backup(__u32 id, bool backup)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	const struct mptcp_endpoint *ep;
	struct mptcp_pm g;
	int n, ret = mptcp_pm_open(&g);

	if (ret)
		return ret;
	n = mptcp_pm_dump(&g, eps, OMR_MAX_MPTCP_ENDPOINTS);
	if (n > OMR_MAX_MPTCP_ENDPOINTS)
		n = OMR_MAX_MPTCP_ENDPOINTS;
	ep = n >= 0 ? mptcp_pm_find(eps, n, id) : NULL;
	if (n < 0)
		ret = n;
	else if (!ep)
		ret = -ENOENT;
	else
		ret = mptcp_pm_set_flags(&g, id, mptcp_pm_with_backup(ep->flags, backup));
	mptcp_pm_close(&g);
	return ret;
}
