// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The path manager's generic netlink family "mptcp_pm" over a raw netlink
 * socket (what `ip mptcp endpoint show|change` does); see src/mptcp_pm.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>

#include "mptcp_pm.h"

#define NL_BUF_SIZE		32768
#define NL_TIMEOUT_SEC		5

void mptcp_pm_close(struct mptcp_pm *g)
{
	if (g->fd >= 0)
		close(g->fd);
	free(g->buf);
	g->fd = -1;
	g->buf = NULL;
}

static void nlh_init(struct nlmsghdr *nlh, __u16 type, __u16 flags, __u32 seq, __u8 cmd,
		     __u8 version)
{
	struct genlmsghdr *ghdr = NLMSG_DATA(nlh);

	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	ghdr->cmd = cmd;
	ghdr->version = version;
	ghdr->reserved = 0;
}

static struct nlattr *nla_put(struct nlmsghdr *nlh, __u16 type, const void *data, __u16 len)
{
	struct nlattr *nla = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(nla->nla_len);
	return nla;
}

static void nla_nest_end(struct nlmsghdr *nlh, struct nlattr *nest)
{
	nest->nla_len = (char *)nlh + nlh->nlmsg_len - (char *)nest;
}

/* Walk the attributes in [start, start + len). */
#define for_each_nla(nla, start, len)						\
	for (struct nlattr *nla = (struct nlattr *)(start);			\
	     (char *)nla + NLA_HDRLEN <= (char *)(start) + (len) &&		\
	     nla->nla_len >= NLA_HDRLEN &&					\
	     (char *)nla + nla->nla_len <= (char *)(start) + (len);		\
	     nla = (struct nlattr *)((char *)nla + NLA_ALIGN(nla->nla_len)))

#define NLA_DATA(nla)	((void *)((char *)(nla) + NLA_HDRLEN))
#define NLA_LEN(nla)	((nla)->nla_len - NLA_HDRLEN)
#define NLA_TYPE(nla)	((nla)->nla_type & NLA_TYPE_MASK)

/*
 * Send @req and read the replies until the ACK (or DONE for a dump), calling
 * @cb on every data message.  Returns 0, the kernel's negative errno, or the
 * callback's.
 */
static int genl_talk(struct mptcp_pm *g, struct nlmsghdr *req,
		     int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	bool dump = req->nlmsg_flags & NLM_F_DUMP;
	int cb_err = 0;

	req->nlmsg_seq = ++g->seq;
	if (sendto(g->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		/* ssize_t: NLMSG_OK compares it with the __u32 nlmsg_len */
		ssize_t len = recv(g->fd, g->buf, NL_BUF_SIZE, 0);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;	/* EAGAIN: no answer within NL_TIMEOUT_SEC */
		}
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)g->buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != g->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return cb_err;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (e->error || !dump)
					return e->error ? e->error : cb_err;
				continue;
			}
			if (cb && !cb_err)
				cb_err = cb(nlh, arg);
		}
	}
}

static int family_id_cb(const struct nlmsghdr *nlh, void *arg)
{
	const char *attrs = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	for_each_nla(nla, attrs, len) {
		if (NLA_TYPE(nla) == CTRL_ATTR_FAMILY_ID && NLA_LEN(nla) >= 2)
			memcpy(arg, NLA_DATA(nla), sizeof(__u16));
	}
	return 0;
}

/* A generic netlink socket, with "mptcp_pm" resolved (-ENOENT: no such family). */
int mptcp_pm_open(struct mptcp_pm *g)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct timeval tmo = { .tv_sec = NL_TIMEOUT_SEC };
	union {
		struct nlmsghdr nlh;
		char bytes[256];
	} req;
	__u16 family = 0;
	int err;

	memset(g, 0, sizeof(*g));
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	g->buf = malloc(NL_BUF_SIZE);
	if (!g->buf) {
		mptcp_pm_close(g);
		return -ENOMEM;
	}
	if (bind(g->fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0) {
		err = -errno;
		mptcp_pm_close(g);
		return err;
	}
	memset(&req, 0, sizeof(req));
	nlh_init(&req.nlh, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 0, CTRL_CMD_GETFAMILY, 1);
	nla_put(&req.nlh, CTRL_ATTR_FAMILY_NAME, MPTCP_PM_NAME, sizeof(MPTCP_PM_NAME));
	err = genl_talk(g, &req.nlh, family_id_cb, &family);
	if (!err && !family)
		err = -ENOENT;
	if (err) {
		mptcp_pm_close(g);
		return err;
	}
	g->family = family;
	return 0;
}

static void addr_from_nla(struct wan_addr *a, int family, const struct nlattr *nla)
{
	a->family = family;
	memcpy(a->addr, NLA_DATA(nla), family == AF_INET ? 4 : 16);
}

static int parse_endpoint(const struct nlattr *nest, struct mptcp_endpoint *ep)
{
	const struct nlattr *a4 = NULL, *a6 = NULL;

	memset(ep, 0, sizeof(*ep));
	for_each_nla(nla, NLA_DATA(nest), NLA_LEN(nest)) {
		switch (NLA_TYPE(nla)) {
		case MPTCP_PM_ADDR_ATTR_ID:
			ep->id = *(__u8 *)NLA_DATA(nla);
			break;
		case MPTCP_PM_ADDR_ATTR_FLAGS:
			memcpy(&ep->flags, NLA_DATA(nla), 4);
			break;
		case MPTCP_PM_ADDR_ATTR_IF_IDX:
			memcpy(&ep->ifindex, NLA_DATA(nla), 4);
			break;
		case MPTCP_PM_ADDR_ATTR_PORT:
			memcpy(&ep->port, NLA_DATA(nla), 2);
			break;
		case MPTCP_PM_ADDR_ATTR_ADDR4:
			if (NLA_LEN(nla) >= 4)
				a4 = nla;
			break;
		case MPTCP_PM_ADDR_ATTR_ADDR6:
			if (NLA_LEN(nla) >= 16)
				a6 = nla;
			break;
		}
	}
	if (a4)
		addr_from_nla(&ep->addr, AF_INET, a4);
	else if (a6)
		addr_from_nla(&ep->addr, AF_INET6, a6);
	return ep->id ? 0 : -EINVAL;
}

struct list_ctx {
	struct mptcp_endpoint *out;
	int max, count;
};

static int list_cb(const struct nlmsghdr *nlh, void *arg)
{
	const char *attrs = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct list_ctx *ctx = arg;

	for_each_nla(nla, attrs, len) {
		struct mptcp_endpoint ep;

		if (NLA_TYPE(nla) != MPTCP_PM_ATTR_ADDR || parse_endpoint(nla, &ep))
			continue;
		if (ctx->count < ctx->max)
			ctx->out[ctx->count] = ep;
		ctx->count++;
	}
	return 0;
}

int mptcp_pm_dump(struct mptcp_pm *g, struct mptcp_endpoint *out, int max)
{
	union {
		struct nlmsghdr nlh;
		char bytes[128];
	} req;
	struct list_ctx ctx = { .out = out, .max = max };
	int err;

	memset(&req, 0, sizeof(req));
	nlh_init(&req.nlh, g->family, NLM_F_REQUEST | NLM_F_DUMP, 0, MPTCP_PM_CMD_GET_ADDR,
		 MPTCP_PM_VER);
	err = genl_talk(g, &req.nlh, list_cb, &ctx);
	return err ? err : ctx.count;
}

int mptcp_pm_set_flags(struct mptcp_pm *g, __u32 id, __u32 flags)
{
	union {
		struct nlmsghdr nlh;
		char bytes[128];
	} req;
	struct nlattr *nest;
	__u8 id8 = (__u8)id;

	memset(&req, 0, sizeof(req));
	nlh_init(&req.nlh, g->family, NLM_F_REQUEST | NLM_F_ACK, 0, MPTCP_PM_CMD_SET_FLAGS,
		 MPTCP_PM_VER);
	nest = nla_put(&req.nlh, MPTCP_PM_ATTR_ADDR | NLA_F_NESTED, NULL, 0);
	nla_put(&req.nlh, MPTCP_PM_ADDR_ATTR_ID, &id8, sizeof(id8));
	nla_put(&req.nlh, MPTCP_PM_ADDR_ATTR_FLAGS, &flags, sizeof(flags));
	nla_nest_end(&req.nlh, nest);
	return genl_talk(g, &req.nlh, NULL, NULL);
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
