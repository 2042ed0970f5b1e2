// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where the TCP RTT of the router's own connections is read; see tcp_rtt.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include "log.h"
#include "rates.h"
#include "tcp_rtt.h"

/* tcp_info up to tcpi_rcv_rtt: every kernel since 2.6 gives that much */
#define TCP_INFO_MIN_LEN	(offsetof(struct tcp_info, tcpi_rcv_rtt) + sizeof(__u32))

void tcp_rtt_init(struct tcp_rtt *t)
{
	memset(t, 0, sizeof(*t));
}

void tcp_rtt_close(struct tcp_rtt *t)
{
	nl_close(&t->diag);
	nl_close(&t->route);
	tcp_rtt_init(t);
}

/* ---- the map: sockets to WANs ------------------------------------------------ */

void tcp_rtt_map_clear(struct tcp_rtt_map *m)
{
	memset(m->ifindex, 0, sizeof(m->ifindex));
	m->n_addrs = 0;
}

void tcp_rtt_map_set_ifindex(struct tcp_rtt_map *m, int wan_idx, __u32 ifindex)
{
	if (wan_idx >= 0 && wan_idx < OMR_MAX_WANS)
		m->ifindex[wan_idx] = ifindex;
}

int tcp_rtt_map_add_addr(struct tcp_rtt_map *m, int wan_idx, int family, const void *addr)
{
	struct tcp_rtt_addr *a;

	if (wan_idx < 0 || wan_idx >= OMR_MAX_WANS || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (m->n_addrs >= TCP_RTT_MAX_ADDRS)
		return -ENOSPC;
	a = &m->addrs[m->n_addrs++];
	memset(a, 0, sizeof(*a));
	a->family = (__u16)family;
	a->wan_idx = (__u16)wan_idx;
	memcpy(a->addr, addr, family == AF_INET ? 4 : 16);
	return 0;
}

static int wan_of_ifindex(const struct tcp_rtt_map *m, __u32 ifindex)
{
	if (!ifindex)
		return -1;
	for (int i = 0; i < OMR_MAX_WANS; i++)
		if (m->ifindex[i] == ifindex)
			return i;
	return -1;
}

/*
 * The WAN whose address @addr (from a socket of @family) is.  An AF_INET6
 * socket of a dual-stack program talks IPv4 with v4-mapped addresses.
 */
static int wan_of_addr(const struct tcp_rtt_map *m, int family, const __be32 addr[4])
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const void *key = addr;

	if (family == AF_INET6 && !memcmp(addr, v4mapped, sizeof(v4mapped))) {
		family = AF_INET;
		key = &addr[3];
	}
	for (int i = 0; i < m->n_addrs; i++)
		if (m->addrs[i].family == family &&
		    !memcmp(m->addrs[i].addr, key, family == AF_INET ? 4 : 16))
			return m->addrs[i].wan_idx;
	return -1;
}

int tcp_rtt_wan_of(const struct tcp_rtt_map *m, const struct inet_diag_msg *msg)
{
	int family = msg->idiag_family;

	if (family != AF_INET && family != AF_INET6)
		return -1;
	/* the router talking to itself crosses no WAN */
	if (wan_of_addr(m, family, msg->id.idiag_dst) >= 0)
		return -1;
	if (msg->id.idiag_if)
		return wan_of_ifindex(m, msg->id.idiag_if);	/* bound elsewhere: not ours */
	return wan_of_addr(m, family, msg->id.idiag_src);
}

static int on_addr(const struct nlmsghdr *nh, void *map)
{
	const struct nlattr *tb[IFA_MAX + 1] = {};
	const struct ifaddrmsg *ifa = nl_parse(nh, sizeof(*ifa), tb, IFA_MAX, NULL);
	int wan = ifa && nh->nlmsg_type == RTM_NEWADDR ? wan_of_ifindex(map, ifa->ifa_index) : -1;
	const void *local;

	if (wan < 0 || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	/* on point-to-point links IFA_ADDRESS is the peer */
	local = nl_attr_addr(tb[IFA_LOCAL], ifa->ifa_family);
	if (!local)
		local = nl_attr_addr(tb[IFA_ADDRESS], ifa->ifa_family);
	/* past TCP_RTT_MAX_ADDRS: their sockets count on no WAN */
	if (local)
		tcp_rtt_map_add_addr(map, wan, ifa->ifa_family, local);
	return MNL_CB_OK;
}

int tcp_rtt_parse_addrs(struct tcp_rtt_map *m, const void *buf, size_t len, __u32 seq)
{
	return nl_run(buf, len, seq, 0, on_addr, m);
}

/* ---- sockets --------------------------------------------------------------- */

__u32 tcp_rtt_of_socket(const struct tcp_info *ti, size_t len, __u32 max_idle_ms)
{
	if (len < TCP_INFO_MIN_LEN)
		return 0;
	/* it sent data and ACKs came back: its srtt has fresh samples */
	if (ti->tcpi_rtt && ti->tcpi_last_data_sent <= max_idle_ms &&
	    ti->tcpi_last_ack_recv <= max_idle_ms)
		return ti->tcpi_rtt;
	/* it is receiving: the receiver's estimate, kept current by timestamps */
	if (ti->tcpi_rcv_rtt && ti->tcpi_last_data_recv <= max_idle_ms)
		return ti->tcpi_rcv_rtt;
	return 0;
}

void tcp_rtt_round_start(struct tcp_rtt_round *r, __u32 max_idle_ms)
{
	r->max_idle_ms = max_idle_ms;
	r->sockets = r->on_wans = 0;
	for (int i = 0; i < OMR_MAX_WANS; i++)
		r->wan[i].sockets = r->wan[i].n = 0;
}

struct round_ctx {
	const struct tcp_rtt_map *m;
	struct tcp_rtt_round *r;
};

/* One socket message of the dump. */
static int on_socket(const struct nlmsghdr *nh, void *data)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = {};
	const struct inet_diag_msg *msg = nl_parse(nh, sizeof(*msg), tb, INET_DIAG_MAX, NULL);
	const struct round_ctx *c = data;
	struct tcp_rtt_wan *w;
	struct tcp_info ti;
	size_t len;
	__u32 rtt;
	int wan;

	/* replies carry the request's type */
	if (!msg || (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY && nh->nlmsg_type != TCPDIAG_GETSOCK))
		return MNL_CB_OK;
	c->r->sockets++;
	if (msg->idiag_state != TCP_ESTABLISHED)
		return MNL_CB_OK;
	wan = tcp_rtt_wan_of(c->m, msg);
	if (wan < 0)
		return MNL_CB_OK;
	w = &c->r->wan[wan];
	w->sockets++;
	c->r->on_wans++;
	if (!tb[INET_DIAG_INFO])
		return MNL_CB_OK;
	/* a newer kernel's tcp_info is longer, an older one shorter */
	len = mnl_attr_get_payload_len(tb[INET_DIAG_INFO]);
	if (len > sizeof(ti))
		len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, mnl_attr_get_payload(tb[INET_DIAG_INFO]), len);
	rtt = tcp_rtt_of_socket(&ti, len, c->r->max_idle_ms);
	if (rtt && w->n < TCP_RTT_MAX_SAMPLES)
		w->rtt_us[w->n++] = rtt;
	return MNL_CB_OK;
}

int tcp_rtt_parse(const struct tcp_rtt_map *m, struct tcp_rtt_round *r, const void *buf,
		  size_t len, __u32 seq)
{
	struct round_ctx c = { m, r };

	return nl_run(buf, len, seq, 0, on_socket, &c);
}

__u32 tcp_rtt_median(__u32 *v, unsigned n)
{
	if (!n)
		return 0;
	/* insertion sort: at most TCP_RTT_MAX_SAMPLES values */
	for (unsigned i = 1; i < n; i++) {
		__u32 x = v[i];
		unsigned j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[(n - 1) / 2];
}

/* Append one operation of @len bytes (header included) to the program. */
static void *put_op(__u8 *prog, int *at, int size, int len, __u8 code, int yes, int no)
{
	struct inet_diag_bc_op *op;

	if (*at + len > size)
		return NULL;
	op = (struct inet_diag_bc_op *)(prog + *at);
	memset(op, 0, len);
	op->code = code;
	op->yes = (unsigned char)yes;
	op->no = (unsigned short)no;
	*at += len;
	return op + 1;
}

int tcp_rtt_filter(const struct tcp_rtt_map *m, void *buf, size_t size)
{
	__u8 *prog = buf;
	int at = 0, n_conds = 0, jumps[OMR_MAX_WANS + TCP_RTT_MAX_ADDRS];
	int max = size > 0xffff ? 0xffff : (int)size;

	/*
	 * cond_1, jump-to-accept, cond_2, jump-to-accept, ..., reject.  A
	 * condition that holds goes on to its jump (yes), one that fails skips
	 * it (no); the kernel's audit wants every "no" to land on an
	 * operation that the chain of "yes" reaches, which this layout keeps.
	 */
	for (int i = 0; i < OMR_MAX_WANS + m->n_addrs; i++) {
		int len;
		void *arg;

		if (i < OMR_MAX_WANS) {
			if (!m->ifindex[i])
				continue;
			len = sizeof(struct inet_diag_bc_op) + sizeof(__u32);
			arg = put_op(prog, &at, max, len, INET_DIAG_BC_DEV_COND, len, len + 4);
			if (arg)
				memcpy(arg, &m->ifindex[i], sizeof(__u32));
		} else {
			const struct tcp_rtt_addr *a = &m->addrs[i - OMR_MAX_WANS];
			int alen = a->family == AF_INET ? 4 : 16;
			struct inet_diag_hostcond *hc;

			len = sizeof(struct inet_diag_bc_op) + sizeof(*hc) + alen;
			hc = put_op(prog, &at, max, len, INET_DIAG_BC_S_COND, len, len + 4);
			arg = hc;
			if (hc) {
				hc->family = (__u8)a->family;
				hc->prefix_len = (__u8)(alen * 8);
				hc->port = -1;
				memcpy(hc->addr, a->addr, alen);
			}
		}
		if (!arg)
			return -ENOSPC;
		jumps[n_conds++] = at;
		/* its "no" is set below, once the end is known */
		if (!put_op(prog, &at, max, sizeof(struct inet_diag_bc_op), INET_DIAG_BC_JMP, 4, 0))
			return -ENOSPC;
	}
	if (!n_conds)
		return 0;
	/* reject: jump past the end */
	if (!put_op(prog, &at, max, sizeof(struct inet_diag_bc_op), INET_DIAG_BC_JMP, 4, 8))
		return -ENOSPC;
	for (int i = 0; i < n_conds; i++)
		((struct inet_diag_bc_op *)(prog + jumps[i]))->no = (unsigned short)(at - jumps[i]);
	return at;
}

__u32 tcp_rtt_wan_us(const struct tcp_rtt *t, int wan_idx)
{
	const struct tcp_rtt_wan *w;
	__u32 v[TCP_RTT_MAX_SAMPLES];

	if (wan_idx < 0 || wan_idx >= OMR_MAX_WANS)
		return 0;
	w = &t->round.wan[wan_idx];
	memcpy(v, w->rtt_us, w->n * sizeof(v[0]));
	return tcp_rtt_median(v, w->n);
}

/* ---- netlink ---------------------------------------------------------------- */

/* The WANs' interfaces from @tbl and their addresses from the kernel. */
static int map_wans(struct tcp_rtt *t, const struct wan_entry *tbl)
{
	bool any = false;
	int err;

	tcp_rtt_map_clear(&t->map);
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		if (!(tbl[i].flags & OMR_WAN_F_CONFIGURED) || !tbl[i].ifindex)
			continue;
		tcp_rtt_map_set_ifindex(&t->map, i, tbl[i].ifindex);
		any = true;
	}
	if (!any)
		return 0;
	/* a dump that stalls must not stall the agent's loop: 1 s */
	if (!t->route.sock && (err = nl_open(&t->route, NETLINK_ROUTE, 0, 1)))
		return err;
	return nl_talk(&t->route, nl_request(&t->route, RTM_GETADDR, NLM_F_DUMP,
					     sizeof(struct ifaddrmsg)), on_addr, &t->map);
}

/*
 * Dump the established TCP sockets of @family, with the kernel-side filter
 * of the map unless @t->no_filter.  AF_UNSPEC (both families in one dump)
 * takes the legacy TCPDIAG_GETSOCK request: SOCK_DIAG_BY_FAMILY cannot ask
 * for it.  Every dump walks every bucket of the kernel's TCP hash table
 * (262144 on a 24 GB machine, a few thousand on a router), empty or not:
 * one walk instead of two halves that part.  The filter spares the kernel
 * filling tcp_info for the sockets that are on no WAN (the LAN side of a
 * proxy, the web interface).
 */
static int dump_sockets(struct tcp_rtt *t, int family)
{
	size_t req_len = family == AF_UNSPEC ? sizeof(struct inet_diag_req)
					     : sizeof(struct inet_diag_req_v2);
	struct nlmsghdr *nh = nl_request(&t->diag, family == AF_UNSPEC ? TCPDIAG_GETSOCK :
					 SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, req_len);
	struct nlattr *nla = mnl_nlmsg_get_payload_tail(nh);
	struct round_ctx c = { &t->map, &t->round };
	int prog_len = 0;

	if (family == AF_UNSPEC) {
		struct inet_diag_req *r = mnl_nlmsg_get_payload(nh);

		r->idiag_family = AF_UNSPEC;
		r->idiag_ext = 1 << (INET_DIAG_INFO - 1);
		r->idiag_states = 1 << TCP_ESTABLISHED;
	} else {
		struct inet_diag_req_v2 *r = mnl_nlmsg_get_payload(nh);

		r->sdiag_family = (__u8)family;
		r->sdiag_protocol = IPPROTO_TCP;	/* MPTCP subflows are TCP sockets */
		r->idiag_ext = 1 << (INET_DIAG_INFO - 1);
		r->idiag_states = 1 << TCP_ESTABLISHED;
	}
	/* the program is written in place, as the attribute's payload */
	if (!t->no_filter)
		prog_len = tcp_rtt_filter(&t->map, mnl_attr_get_payload(nla),
					  NL_BUF_SIZE - 64 - nh->nlmsg_len);
	if (prog_len > 0) {	/* < 0: too many addresses for the buffer: unfiltered */
		nla->nla_type = INET_DIAG_REQ_BYTECODE;
		nla->nla_len = (__u16)(MNL_ATTR_HDRLEN + prog_len);
		nh->nlmsg_len += MNL_ALIGN(nla->nla_len);
	}
	return nl_talk(&t->diag, nh, on_socket, &c);
}

/* One round of sockets: both families, filtered, as far as the kernel lets us. */
static int dump_all_sockets(struct tcp_rtt *t, __u32 max_idle_ms)
{
	for (;;) {
		int err = dump_sockets(t, t->per_family ? AF_INET : AF_UNSPEC);

		/* a kernel without IPv6 answers the AF_INET6 dump with an error */
		if (!err && t->per_family) {
			err = dump_sockets(t, AF_INET6);
			if (err == -ENOENT || err == -EAFNOSUPPORT)
				err = 0;
		}
		if (!err || err == -ETIMEDOUT || err == -ENOBUFS || err == -EINTR)
			return err;
		tcp_rtt_round_start(&t->round, max_idle_ms);
		/* refused: without the filter, then one dump per family */
		if (!t->no_filter && err == -EINVAL) {
			pr_debug("TCP RTT: the kernel refused the socket filter (%s)", strerror(-err));
			t->no_filter = true;
		} else if (!t->per_family) {
			pr_debug("TCP RTT: TCPDIAG_GETSOCK: %s; one dump per family", strerror(-err));
			t->per_family = true;
		} else {
			return err;
		}
	}
}

/* Forget the sockets after an error: the next read opens them afresh. */
static int fail(struct tcp_rtt *t, const char *what, int err)
{
	tcp_rtt_round_start(&t->round, t->round.max_idle_ms);
	nl_close(&t->diag);
	nl_close(&t->route);
	if (!t->failing)
		pr_warn("TCP RTT: %s: %s; WANs without a probe get no RTT until it works again",
			what, strerror(-err));
	t->failing = true;
	return err;
}

int tcp_rtt_read(struct tcp_rtt *t, const struct wan_entry *tbl, __u32 max_idle_ms)
{
	__u64 start = monotonic_ns();
	int err;

	tcp_rtt_round_start(&t->round, max_idle_ms);
	err = map_wans(t, tbl);
	if (err)
		return fail(t, "reading the WANs' addresses (rtnetlink)", err);
	if (!tcp_rtt_filter(&t->map, NULL, 0))
		goto done;	/* no WAN has an interface: no socket can be on one */
	if (!t->diag.sock && (err = nl_open(&t->diag, NETLINK_SOCK_DIAG, 0, 1)))
		return fail(t, "opening a NETLINK_SOCK_DIAG socket", err);
	err = dump_all_sockets(t, max_idle_ms);
	if (err)
		return fail(t, "dumping the TCP sockets (sock_diag)", err);
done:
	if (t->failing)
		pr_info("TCP RTT: reading the TCP sockets works again");
	t->failing = false;
	t->read_ns = monotonic_ns() - start;
	return (int)t->round.on_wans;
}
