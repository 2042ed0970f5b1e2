// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Netlink over libmnl: see nl.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include "nl.h"

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

int nl_open(struct nl *nl, int bus, unsigned int groups, int timeout_s)
{
	struct timeval tmo = { .tv_sec = timeout_s };
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NL_BUF_SIZE);
	if (nl->buf)
		nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sock || mnl_socket_bind(nl->sock, groups, MNL_SOCKET_AUTOPID) ||
	    (timeout_s && setsockopt(nl_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)))) {
		err = -errno;
		nl_close(nl);
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	return 0;
}

struct nlmsghdr *nl_request(struct nl *nl, __u16 type, __u16 flags, size_t hdr_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags | (flags & NLM_F_DUMP ? 0 : NLM_F_ACK);
	nlh->nlmsg_seq = ++nl->seq;
	/* zeroed: the kernel reads every byte of it (ifi_change) */
	mnl_nlmsg_put_extra_header(nlh, hdr_len);
	return nlh;
}

struct nlmsghdr *nl_genl_request(struct nl *nl, __u16 family, __u8 cmd, __u8 version,
				 __u16 flags)
{
	struct nlmsghdr *nlh = nl_request(nl, family, flags, GENL_HDRLEN);
	struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

int nl_run(const void *buf, size_t len, unsigned int seq, unsigned int portid, mnl_cb_t cb,
	   void *data)
{
	int left = (int)len, ret;

	/* libmnl compares nlmsg_len as an int: one past 2 GiB would pass its checks */
	for (const struct nlmsghdr *nlh = buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_len > INT_MAX)
			return -EBADMSG;
	ret = mnl_cb_run(buf, len, seq, portid, cb, data);
	if (ret < 0)	/* a positive NLMSG_ERROR is taken as the errno too */
		return errno > 0 ? -errno : -EIO;
	return ret == MNL_CB_STOP;
}

int nl_talk(struct nl *nl, const struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	unsigned int seq = req->nlmsg_seq;
	int ret = 0;

	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	while (!ret) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUF_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)	/* EAGAIN: SO_RCVTIMEO ran out */
			return n == 0 ? -EIO : errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = nl_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
	}
	return ret < 0 ? ret : 0;
}

int nl_dump(int bus, __u16 type, const void *hdr, size_t hdr_len, mnl_cb_t cb, void *data)
{
	struct nl nl;
	struct nlmsghdr *req;
	int err = nl_open(&nl, bus, 0, NL_TIMEOUT_S);

	if (err)
		return err;
	req = nl_request(&nl, type, NLM_F_DUMP, hdr_len);
	memcpy(mnl_nlmsg_get_payload(req), hdr, hdr_len);
	err = nl_talk(&nl, req, cb, data);
	nl_close(&nl);
	return err;
}

int nl_drain(struct nl *nl)
{
	int n = 0;

	for (;;) {
		ssize_t len = recv(nl_fd(nl), nl->buf, NL_BUF_SIZE, MSG_DONTWAIT);

		if (len > 0 || (len < 0 && errno == ENOBUFS))
			n++;
		else if (len >= 0 || errno != EINTR)
			return n;
	}
}

static int family_id(const struct nlmsghdr *nlh, void *data)
{
	static const enum mnl_attr_data_type policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_ID] = MNL_TYPE_U16,
	};
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = {};

	if (nl_parse(nlh, GENL_HDRLEN, tb, CTRL_ATTR_MAX, policy) && tb[CTRL_ATTR_FAMILY_ID])
		*(int *)data = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return MNL_CB_OK;
}

int nl_genl_family(struct nl *nl, const char *name)
{
	struct nlmsghdr *req = nl_genl_request(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	int id = 0, err;

	mnl_attr_put_strz(req, CTRL_ATTR_FAMILY_NAME, name);
	err = nl_talk(nl, req, family_id, &id);
	return err ? err : id ? id : -ENOENT;
}

struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
	const enum mnl_attr_data_type *policy;
};

static int table_attr(const struct nlattr *a, void *data)
{
	const struct attr_table *t = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type <= t->max && (!t->policy || mnl_attr_validate(a, t->policy[type]) == 0))
		t->tb[type] = a;
	return MNL_CB_OK;
}

void nl_attrs_at(const void *payload, size_t len, const struct nlattr **tb, unsigned int max,
		 const enum mnl_attr_data_type *policy)
{
	struct attr_table t = { tb, max, policy };

	mnl_attr_parse_payload(payload, len, table_attr, &t);
}

const void *nl_parse(const struct nlmsghdr *nlh, size_t hdr_len, const struct nlattr **tb,
		     unsigned int max, const enum mnl_attr_data_type *policy)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	const char *hdr = mnl_nlmsg_get_payload(nlh);

	if (len < hdr_len)
		return NULL;
	/*
	 * The attributes end at nlmsg_len, not at its alignment as
	 * mnl_attr_parse() has it: the last message of a read may stop short.
	 */
	if (tb)
		nl_attrs_at(hdr + MNL_ALIGN(hdr_len), len > MNL_ALIGN(hdr_len) ?
			    len - MNL_ALIGN(hdr_len) : 0, tb, max, policy);
	return hdr;
}

const void *nl_attr_addr(const struct nlattr *a, int family)
{
	return a && mnl_attr_get_payload_len(a) >= (family == AF_INET ? 4 : 16) ?
	       mnl_attr_get_payload(a) : NULL;
}
