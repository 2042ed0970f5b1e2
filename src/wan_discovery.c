// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* WAN addresses, gateways and connected networks over rtnetlink: see wan_discovery.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include "log.h"
#include "nl.h"
#include "wan_discovery.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int wan_of(const struct discovery *d, int ifindex)
{
	if (ifindex <= 0)
		return -1;
	for (int i = 0; i < OMR_MAX_WANS; i++)
		if (d->view[i].ifindex == (__u32)ifindex)
			return i;
	return -1;
}

static void add_connected(struct wan_view *v, int family, const void *addr, int len)
{
	struct wan_prefix p = { .family = family, .len = len };
	int bytes = family == AF_INET ? 4 : 16;

	if (v->n_connected >= (int)ARRAY_SIZE(v->connected) || len == 0)
		return;
	memcpy(p.addr, addr, bytes);
	for (int bit = len; bit < bytes * 8; bit++)
		p.addr[bit / 8] &= ~(0x80 >> (bit % 8));
	for (int i = 0; i < v->n_connected; i++)
		if (v->connected[i].family == family && v->connected[i].len == len &&
		    !memcmp(v->connected[i].addr, p.addr, 16))
			return;
	v->connected[v->n_connected++] = p;
}

static const enum mnl_attr_data_type u32_attrs[RTA_MAX + 1] = {
	[RTA_TABLE] = MNL_TYPE_U32, [RTA_PRIORITY] = MNL_TYPE_U32, [RTA_OIF] = MNL_TYPE_U32,
};

static int on_link(const struct nlmsghdr *nh, void *arg)
{
	static const enum mnl_attr_data_type policy[IFLA_MAX + 1] = { [IFLA_MTU] = MNL_TYPE_U32 };
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	const struct ifinfomsg *ifi = nl_parse(nh, sizeof(*ifi), tb, IFLA_MAX, policy);
	struct discovery *d = arg;
	int w = ifi && nh->nlmsg_type == RTM_NEWLINK ? wan_of(d, ifi->ifi_index) : -1;

	if (w < 0)
		return MNL_CB_OK;
	d->view[w].l2 = ifi->ifi_type == ARPHRD_ETHER;
	if (tb[IFLA_MTU])
		d->view[w].mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	return MNL_CB_OK;
}

static int on_addr(const struct nlmsghdr *nh, void *arg)
{
	static const enum mnl_attr_data_type policy[IFA_MAX + 1] = { [IFA_FLAGS] = MNL_TYPE_U32 };
	const struct nlattr *tb[IFA_MAX + 1] = {};
	const struct ifaddrmsg *ifa = nl_parse(nh, sizeof(*ifa), tb, IFA_MAX, policy);
	struct discovery *d = arg;
	const void *local, *address;
	struct wan_view *v;
	__u32 flags;
	int w = ifa && nh->nlmsg_type == RTM_NEWADDR ? wan_of(d, ifa->ifa_index) : -1;

	if (w < 0 || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	v = &d->view[w];
	flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	address = nl_attr_addr(tb[IFA_ADDRESS], ifa->ifa_family);
	local = tb[IFA_LOCAL] ? nl_attr_addr(tb[IFA_LOCAL], ifa->ifa_family) : address;
	if (!local)
		return MNL_CB_OK;
	if (ifa->ifa_family == AF_INET) {
		if (flags & IFA_F_SECONDARY)
			return MNL_CB_OK;
		if (!v->have4) {
			memcpy(&v->addr4, local, 4);
			v->have4 = true;
		}
		/* on point-to-point links IFA_ADDRESS is the peer */
		add_connected(v, AF_INET, address ? address : local, ifa->ifa_prefixlen);
	} else if (ifa->ifa_family == AF_INET6) {
		int rank;

		if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
			return MNL_CB_OK;
		/* like source selection: valid before deprecated, stable before temporary */
		rank = (flags & IFA_F_DEPRECATED ? 2 : 0) + (flags & IFA_F_TEMPORARY ? 1 : 0);
		if (!v->have6 || rank < v->addr6_rank) {
			memcpy(v->addr6, local, 16);
			v->addr6_rank = rank;
			v->have6 = true;
		}
		if (ifa->ifa_prefixlen < 128)
			add_connected(v, AF_INET6, local, ifa->ifa_prefixlen);
	}
	return MNL_CB_OK;
}

/* A default route's next hop through a WAN: the main table first, then the lowest metric. */
static void offer_gateway(struct wan_view *v, int family, const void *gw, __u32 table,
			  __u32 metric)
{
	__u64 rank = ((__u64)(table == RT_TABLE_MAIN ? 0 : 1) << 32) | metric;

	if (family == AF_INET) {
		if (v->have_gw4 && rank >= v->gw4_rank)
			return;
		memcpy(&v->gw4, gw, 4);
		v->gw4_rank = rank;
		v->have_gw4 = true;
	} else {
		if (v->have_gw6 && rank >= v->gw6_rank)
			return;
		memcpy(v->gw6, gw, 16);
		v->gw6_rank = rank;
		v->have_gw6 = true;
	}
}

static int on_route(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[RTA_MAX + 1] = {};
	const struct rtmsg *rtm = nl_parse(nh, sizeof(*rtm), tb, RTA_MAX, u32_attrs);
	struct discovery *d = arg;
	const void *gw, *dst;
	__u32 table, metric;
	int oif, w;

	if (!rtm || nh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_type != RTN_UNICAST ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	metric = tb[RTA_PRIORITY] ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	oif = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	gw = nl_attr_addr(tb[RTA_GATEWAY], rtm->rtm_family);
	dst = nl_attr_addr(tb[RTA_DST], rtm->rtm_family);

	if (rtm->rtm_dst_len == 0) {
		w = gw ? wan_of(d, oif) : -1;
		if (w >= 0)
			offer_gateway(&d->view[w], rtm->rtm_family, gw, table, metric);
		if (tb[RTA_MULTIPATH]) {
			const struct rtnexthop *nhp = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
			int len = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);

			while (len >= (int)sizeof(*nhp) && nhp->rtnh_len >= sizeof(*nhp) &&
			       nhp->rtnh_len <= len) {
				const struct nlattr *ntb[RTA_MAX + 1] = {};

				nl_attrs_at(RTNH_DATA(nhp), nhp->rtnh_len - sizeof(*nhp), ntb, RTA_MAX,
					    NULL);
				gw = nl_attr_addr(ntb[RTA_GATEWAY], rtm->rtm_family);
				w = wan_of(d, nhp->rtnh_ifindex);
				if (w >= 0 && gw)
					offer_gateway(&d->view[w], rtm->rtm_family, gw, table, metric);
				len -= RTNH_ALIGN(nhp->rtnh_len);
				nhp = RTNH_NEXT(nhp);
			}
		}
		return MNL_CB_OK;
	}
	/* a network reached directly through a WAN: left to the routing table */
	if (!tb[RTA_GATEWAY] && dst && rtm->rtm_scope == RT_SCOPE_LINK) {
		w = wan_of(d, oif);
		if (w >= 0 && !(rtm->rtm_family == AF_INET6 && ((const __u8 *)dst)[0] == 0xfe))
			add_connected(&d->view[w], rtm->rtm_family, dst, rtm->rtm_dst_len);
	}
	return MNL_CB_OK;
}

void wan_discover(struct discovery *d, const struct wan_entry *tbl, const struct steering_config *sc)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->tbl = tbl;
	for (int i = 0; i < OMR_MAX_WANS; i++)
		if ((tbl[i].flags & OMR_WAN_F_CONFIGURED) && (tbl[i].flags & OMR_WAN_F_PRESENT))
			d->view[i].ifindex = tbl[i].ifindex;
	if ((err = nl_dump(NETLINK_ROUTE, RTM_GETLINK, &(struct ifinfomsg){}, sizeof(struct ifinfomsg),
			   on_link, d)) ||
	    (err = nl_dump(NETLINK_ROUTE, RTM_GETADDR, &(struct ifaddrmsg){}, sizeof(struct ifaddrmsg),
			   on_addr, d)) ||
	    (err = nl_dump(NETLINK_ROUTE, RTM_GETROUTE, &(struct rtmsg){ .rtm_family = AF_INET },
			   sizeof(struct rtmsg), on_route, d)) ||
	    (err = nl_dump(NETLINK_ROUTE, RTM_GETROUTE, &(struct rtmsg){ .rtm_family = AF_INET6 },
			   sizeof(struct rtmsg), on_route, d)))
		pr_warn("steering: reading interfaces, addresses and routes: %s", strerror(-err));

	/* `gateway`/`gateway6` in the weight file win */
	for (int g = 0; g < sc->n_gateways; g++) {
		const struct steer_gateway *gw = &sc->gateways[g];

		for (int i = 0; i < OMR_MAX_WANS; i++) {
			struct wan_view *v = &d->view[i];

			if (!v->ifindex || strncmp(tbl[i].name, gw->wan, OMR_IFNAMSIZ))
				continue;
			if (gw->family == AF_INET) {
				memcpy(&v->gw4, gw->addr, 4);
				v->have_gw4 = true;
			} else {
				memcpy(v->gw6, gw->addr, 16);
				v->have_gw6 = true;
			}
		}
	}
}
