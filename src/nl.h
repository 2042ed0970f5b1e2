/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Netlink, one way for the whole agent, over libmnl (what iproute2's
 * helpers, nftables, ethtool and mptcpd use): rtnetlink dumps and events,
 * generic netlink (mptcp_pm), sock_diag.  A request is built in the
 * session's buffer and sent; every message of the answer goes to a callback
 * through mnl_cb_run(), which checks the answer's sequence number and port
 * and turns NLMSG_ERROR into an errno; the answer ends at NLMSG_DONE (a
 * dump) or the ACK (anything else: requests ask for one).  Attributes are
 * picked into a table by type, checked by mnl_attr_validate().  Functions
 * return 0 (or a count, an id) or a negative errno.
 */
#ifndef OMR_NL_H
#define OMR_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <libmnl/libmnl.h>
#include <linux/types.h>

#define NL_BUF_SIZE	32768	/* the most the kernel puts in one read of a dump */
#define NL_TIMEOUT_S	5	/* an answer later than this is -ETIMEDOUT */

/* A netlink socket and its buffer: the request, then each read of the answer. */
struct nl {
	struct mnl_socket *sock;	/* NULL: closed (a zeroed struct nl is closed) */
	unsigned int portid, seq;
	char *buf;
};

/*
 * Open a socket on @bus (NETLINK_ROUTE, NETLINK_GENERIC, NETLINK_SOCK_DIAG),
 * joined to the multicast @groups (events; 0: none), whose reads wait at
 * most @timeout_s seconds (0: no limit).
 */
int nl_open(struct nl *nl, int bus, unsigned int groups, int timeout_s);
void nl_close(struct nl *nl);
static inline int nl_fd(const struct nl *nl)
{
	return nl->sock ? mnl_socket_get_fd(nl->sock) : -1;
}

/*
 * A request of @type in @nl's buffer: @flags (NLM_F_DUMP or none) with
 * NLM_F_REQUEST, NLM_F_ACK unless a dump, the next sequence number, and
 * @hdr_len zeroed bytes of family header; attributes go after it (mnl_attr_put*).
 */
struct nlmsghdr *nl_request(struct nl *nl, __u16 type, __u16 flags, size_t hdr_len);
/* The same for generic netlink family @family: its header says @cmd and @version. */
struct nlmsghdr *nl_genl_request(struct nl *nl, __u16 family, __u8 cmd, __u8 version,
				 __u16 flags);

/* Send @req and hand every data message of the answer to @cb (NULL: none) until its end. */
int nl_talk(struct nl *nl, const struct nlmsghdr *req, mnl_cb_t cb, void *data);

/* A dump of @type on a socket of its own: @hdr is the family header (@hdr_len bytes). */
int nl_dump(int bus, __u16 type, const void *hdr, size_t hdr_len, mnl_cb_t cb, void *data);

/*
 * One read of an answer, @len bytes at @buf, through @cb: messages of
 * sequence @seq from @portid (0: any).  Returns 1 at the end of the answer,
 * 0 when more follows, or a negative errno (the kernel's, or -EPROTO for
 * another request's message).
 */
int nl_run(const void *buf, size_t len, unsigned int seq, unsigned int portid, mnl_cb_t cb,
	   void *data);

/*
 * Read every pending message of an event socket (the caller rereads the
 * kernel's state: the events only wake it).  Returns how many reads there
 * were; a lost event (the socket's buffer overran: ENOBUFS) counts as one.
 */
int nl_drain(struct nl *nl);

/* The id of generic netlink family @name (-ENOENT: this kernel has none). */
int nl_genl_family(struct nl *nl, const char *name);

/*
 * The attributes in @len bytes at @payload into @tb[0..max]: the last one of
 * each type, when it passes mnl_attr_validate() for @policy[type] (@policy
 * NULL or MNL_TYPE_UNSPEC: any length).  Others stay as they were (NULL).
 */
void nl_attrs_at(const void *payload, size_t len, const struct nlattr **tb, unsigned int max,
		 const enum mnl_attr_data_type *policy);

/*
 * Message @nlh: its family header of @hdr_len bytes, NULL when it is
 * shorter; with @tb, its attributes after that header as nl_attrs_at().
 */
const void *nl_parse(const struct nlmsghdr *nlh, size_t hdr_len, const struct nlattr **tb,
		     unsigned int max, const enum mnl_attr_data_type *policy);

/* The address in attribute @a of @family (4 bytes for AF_INET, else 16), NULL if shorter. */
const void *nl_attr_addr(const struct nlattr *a, int family);

#endif /* OMR_NL_H */
