// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Flow steering, the user-space side: see steering.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "nl.h"
#include "pinned.h"
#include "steering.h"
#include "sysctl.h"
#include "words.h"
#include "steer.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- the weight file ------------------------------------------------------ */

__u32 steering_flows_max(const struct steering_config *sc)
{
	return sc && sc->flows_max ? sc->flows_max : OMR_STEER_FLOWS_DEFAULT;
}

int steering_parse_flows(struct steering_config *sc, int argc, char **argv, int line,
			 char *msg, size_t msglen)
{
	__u64 n;
	int rc;

	if (argc != 2) {
		snprintf(msg, msglen,
			 "flows takes one number, the flow table size (%u..%u, default %u)",
			 OMR_STEER_FLOWS_MIN, OMR_STEER_FLOWS_MAX, OMR_STEER_FLOWS_DEFAULT);
		return -EINVAL;
	}
	rc = word_u64(argv[1], OMR_STEER_FLOWS_MIN, OMR_STEER_FLOWS_MAX, &n);
	if (rc == -ERANGE) {
		snprintf(msg, msglen, "flows %.32s out of range %u..%u", argv[1],
			 OMR_STEER_FLOWS_MIN, OMR_STEER_FLOWS_MAX);
		return -EINVAL;
	}
	if (rc) {
		snprintf(msg, msglen,
			 "flows '%.32s' is not a number (the flow table size, e.g. 65536)",
			 argv[1]);
		return -EINVAL;
	}
	sc->flows_max = n;
	sc->flows_line = line;
	return 0;
}

int steering_parse_pin(struct steering_config *sc, int argc, char **argv, int line,
		       char *msg, size_t msglen)
{
	static const char usage[] =
		"pin dst PREFIX [proto tcp|udp] [port N] (wan NAME | bypass)";
	struct steer_pin pin = { .line = line };
	bool have_dst = false, have_proto = false, have_port = false, have_target = false;
	int i = 1;

	while (i < argc) {
		const char *word = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (have_target) {
			snprintf(msg, msglen, "'%.32s' after the pin's target (%s)", word, usage);
			return -EINVAL;
		}
		if (!strcmp(word, "bypass")) {
			pin.bypass = true;
			have_target = true;
			i++;
			continue;
		}
		if (!value) {
			snprintf(msg, msglen, "%.32s needs a value (%s)", word, usage);
			return -EINVAL;
		}
		if (!strcmp(word, "dst")) {
			if (have_dst) {
				snprintf(msg, msglen, "dst given twice");
				return -EINVAL;
			}
			struct word_prefix pfx;

			if (word_prefix(value, &pfx, msg, msglen))
				return -EINVAL;
			pin.family = pfx.family;
			memcpy(pin.addr, pfx.addr, sizeof(pin.addr));
			pin.prefixlen = pfx.len;
			have_dst = true;
		} else if (!strcmp(word, "proto")) {
			if (have_proto) {
				snprintf(msg, msglen, "proto given twice");
				return -EINVAL;
			}
			if (word_proto(value, &pin.proto, msg, msglen))
				return -EINVAL;
			have_proto = true;
		} else if (!strcmp(word, "port")) {
			__u64 port;

			if (have_port) {
				snprintf(msg, msglen, "port given twice");
				return -EINVAL;
			}
			if (word_u64(value, 1, 65535, &port)) {
				snprintf(msg, msglen, "port '%.32s' is not 1..65535", value);
				return -EINVAL;
			}
			pin.port = port;
			have_port = true;
		} else if (!strcmp(word, "wan")) {
			if (strlen(value) >= sizeof(pin.wan)) {
				snprintf(msg, msglen,
					 "wan name '%.32s' is longer than 15 characters", value);
				return -EINVAL;
			}
			snprintf(pin.wan, sizeof(pin.wan), "%s", value);
			have_target = true;
		} else {
			snprintf(msg, msglen, "unknown word '%.32s' in pin (%s)", word, usage);
			return -EINVAL;
		}
		i += 2;
	}
	if (!have_dst) {
		snprintf(msg, msglen, "pin needs a destination: %s", usage);
		return -EINVAL;
	}
	if (!have_target) {
		snprintf(msg, msglen, "pin needs 'wan NAME' or 'bypass' at the end: %s", usage);
		return -EINVAL;
	}
	if (sc->n_pins >= STEERING_MAX_PINS) {
		snprintf(msg, msglen, "too many pin lines (at most %d)", STEERING_MAX_PINS);
		return -EINVAL;
	}
	for (int k = 0; k < sc->n_pins; k++) {
		const struct steer_pin *o = &sc->pins[k];

		if (o->family == pin.family && o->prefixlen == pin.prefixlen &&
		    o->proto == pin.proto && o->port == pin.port &&
		    !memcmp(o->addr, pin.addr, sizeof(o->addr))) {
			snprintf(msg, msglen, "the same destination is pinned on line %d", o->line);
			return -EINVAL;
		}
	}
	sc->pins[sc->n_pins++] = pin;
	return 0;
}

int steering_parse_gateway(struct steering_config *sc, const char *wan, int family,
			   const char *text, int line, char *msg, size_t msglen)
{
	const char *opt = family == AF_INET ? "gateway" : "gateway6";
	struct steer_gateway gw = { .family = family, .line = line };

	if (inet_pton(family, text, gw.addr) != 1) {
		snprintf(msg, msglen, "%s '%.64s' for wan %s is not an %s address", opt, text, wan,
			 family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	if ((family == AF_INET && (gw.addr[0] == 0 || gw.addr[0] >= 224)) ||
	    (family == AF_INET6 && (gw.addr[0] == 0xff ||
				    !memcmp(gw.addr, &in6addr_any, sizeof(in6addr_any))))) {
		snprintf(msg, msglen, "%s %.64s for wan %s is not a unicast address", opt, text,
			 wan);
		return -EINVAL;
	}
	if (sc->n_gateways >= STEERING_MAX_GATEWAYS) {
		snprintf(msg, msglen, "too many gateways");
		return -EINVAL;
	}
	snprintf(gw.wan, sizeof(gw.wan), "%s", wan);
	sc->gateways[sc->n_gateways++] = gw;
	return 0;
}

int steering_check(const struct steering_config *sc,
		   bool (*wan_defined)(const void *ctx, const char *name), const void *ctx,
		   int *line, char *msg, size_t msglen)
{
	for (int i = 0; i < sc->n_pins; i++) {
		if (sc->pins[i].bypass || wan_defined(ctx, sc->pins[i].wan))
			continue;
		*line = sc->pins[i].line;
		snprintf(msg, msglen, "pin to unknown wan %s (add a 'wan %s weight N' line)",
			 sc->pins[i].wan, sc->pins[i].wan);
		return -EINVAL;
	}
	for (int i = 0; i < sc->n_gateways; i++) {
		if (wan_defined(ctx, sc->gateways[i].wan))
			continue;
		*line = sc->gateways[i].line;
		snprintf(msg, msglen, "gateway for unknown wan %s", sc->gateways[i].wan);
		return -EINVAL;
	}
	return 0;
}

/* ---- discovery -------------------------------------------------------------- */

#define MAX_CONNECTED	8	/* connected prefixes kept per WAN and family */

struct prefix {
	int family;
	__u8 addr[16];
	__u8 len;
};

/* What the kernel says about one WAN. */
struct wan_view {
	__u32 ifindex;
	__u32 mtu;
	bool l2;
	bool have4, have6;
	__be32 addr4;
	__u8 addr6[16];
	int addr6_rank;			/* lower is better */
	bool have_gw4, have_gw6;
	__be32 gw4;
	__u8 gw6[16];
	__u64 gw4_rank, gw6_rank;	/* lower is better */
	int n_connected;
	struct prefix connected[2 * MAX_CONNECTED];
};

struct discovery {
	struct wan_view view[OMR_MAX_WANS];
	const struct wan_entry *tbl;
};

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
	struct prefix p = { .family = family, .len = len };
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

static void discover(struct steering *st, struct discovery *d, const struct wan_entry *tbl)
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
	for (int g = 0; g < st->settings.n_gateways; g++) {
		const struct steer_gateway *gw = &st->settings.gateways[g];

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

/* ---- rp_filter ---------------------------------------------------------------- */

static int rp_filter(const char *ifname, int *value)
{
	char buf[16];
	int err = sysctl_read(buf, sizeof(buf), "net/ipv4/conf/%s/rp_filter", ifname);

	*value = err ? 0 : atoi(buf);
	return err;
}

/*
 * Replies of a translated flow arrive on the WAN it was moved to while the
 * route back to their source is another WAN's: strict rp_filter (1) would
 * drop them.  Loose (2) still drops sources no route leads to.  The value
 * in force is the larger of conf/all and conf/IFNAME.
 */
static void loosen_rp_filter(struct steering *st, const char *ifname)
{
	char key[OMR_IFNAMSIZ] = {};
	struct steer_sysctl_saved saved = {};
	int all = 0, dev = 0, err;

	if (rp_filter("all", &all) || rp_filter(ifname, &dev))
		return;
	if ((all > dev ? all : dev) != 1)
		return;
	snprintf(key, sizeof(key), "%s", ifname);
	if (bpf_map_lookup_elem(st->sysctl_fd, key, &saved)) {
		saved.rp_filter = dev;
		if (bpf_map_update_elem(st->sysctl_fd, key, &saved, BPF_NOEXIST) &&
		    errno != EEXIST) {
			pr_warn("steering: cannot record rp_filter of %s (%s); leaving it strict, "
				"so translated replies on it may be dropped", ifname,
				strerror(errno));
			return;
		}
	}
	err = sysctl_write("2", "net/ipv4/conf/%s/rp_filter", ifname);
	if (err)
		pr_warn("steering: cannot set net.ipv4.conf.%s.rp_filter=2 (%s): replies of flows "
			"moved to %s may be dropped", ifname, strerror(-err), ifname);
	else
		pr_info("steering: net.ipv4.conf.%s.rp_filter %d -> 2 (loose) while steering; "
			"'omr-steer unload' puts it back", ifname, dev);
}

/* ---- maps ---------------------------------------------------------------------- */

/* A pinned map, checked (pinned.h): an fd, or -1 with errno set. */
static int open_pin(const char *pin_dir, const char *name)
{
	int fd = pinned_map_open(pin_dir, name);

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

int steering_open(struct steering *st, const char *pin_dir)
{
	struct {
		int *fd;
		const char *name;
	} maps[] = {
		{ &st->flows_fd, OMR_MAP_STEER_FLOWS }, { &st->cfg_fd, OMR_MAP_STEER_CFG },
		{ &st->wan_fd, OMR_MAP_STEER_WAN }, { &st->load_fd, OMR_MAP_STEER_LOAD },
		{ &st->rules_fd, OMR_MAP_STEER_RULES }, { &st->inbound_fd, OMR_MAP_STEER_INBOUND },
		{ &st->ifcache_fd, OMR_MAP_STEER_IFCACHE },
		{ &st->sysctl_fd, OMR_MAP_STEER_SYSCTL },
		{ &st->classes_fd, OMR_MAP_STEER_CLASSES },
		{ &st->class_hits_fd, OMR_MAP_CLASS_HITS },
		{ &st->counters_fd, OMR_MAP_WAN_COUNTERS },
	};
	struct bpf_map_info info = {};
	__u32 key = 0, len = sizeof(info);

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++)
		*maps[i].fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		*maps[i].fd = open_pin(pin_dir, maps[i].name);
		if (*maps[i].fd < 0) {
			int err = -errno;

			pr_err("steering: cannot open %s/%s: %s", pin_dir, maps[i].name,
			       strerror(errno));
			steering_close(st);
			return err;
		}
	}
	/* a previous agent's state: its epoch goes on, flows keep their age */
	bpf_map_lookup_elem(st->cfg_fd, &key, &st->cfg);
	for (__u32 i = 0; i < OMR_MAX_WANS; i++)
		bpf_map_lookup_elem(st->wan_fd, &i, &st->wans[i]);
	bpf_map_lookup_elem(st->classes_fd, &key, &st->classes);
	if (!bpf_obj_get_info_by_fd(st->flows_fd, &info, &len))
		st->flows_max = info.max_entries;
	st->table_full = steering_table_full(st, &st->inbound_full);
	st->interval_ms = 1000;
	return 0;
}

void steering_close(struct steering *st)
{
	int *fds[] = { &st->flows_fd, &st->cfg_fd, &st->wan_fd, &st->load_fd, &st->rules_fd,
		       &st->inbound_fd, &st->ifcache_fd, &st->sysctl_fd, &st->classes_fd,
		       &st->class_hits_fd, &st->counters_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(st->rules);
	free(st->rule_vals);
	st->rules = NULL;
	st->rule_vals = NULL;
	st->n_rules = 0;
}

void steering_configure(struct steering *st, const struct steering_config *sc,
			__u32 interval_ms)
{
	if (sc)
		st->settings = *sc;
	else
		memset(&st->settings, 0, sizeof(st->settings));
	st->interval_ms = interval_ms ? interval_ms : 1000;
}

int steering_prepare(struct steer_bpf *skel, const struct steering_config *sc,
		     const char *pin_dir)
{
	__u32 want = steering_flows_max(sc), inbound;
	int fd = pin_dir ? open_pin(pin_dir, OMR_MAP_STEER_FLOWS) : -1;

	if (fd >= 0) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.max_entries != want) {
			pr_warn("steering: the flow table pinned in %s holds %u flows, not the %u "
				"asked for; keeping it (its flows go on) - 'omr-steer unload' and "
				"'load' resize it", pin_dir, info.max_entries, want);
			want = info.max_entries;
		}
		close(fd);
	}
	inbound = want / 4 < 1024 ? 1024 : want / 4;
	fd = pin_dir ? open_pin(pin_dir, OMR_MAP_STEER_INBOUND) : -1;
	if (fd >= 0) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			inbound = info.max_entries;
		close(fd);
	}
	if (bpf_map__set_max_entries(skel->maps.steer_flows, want) ||
	    bpf_map__set_max_entries(skel->maps.steer_inbound, inbound))
		return -EINVAL;
	return 0;
}

/* The LPM key of a prefix (IPv4 mapped into IPv6) with protocol and port. */
static struct steer_rule_key rule_key(int family, const __u8 *addr, int len, __u8 proto,
				      __u16 port)
{
	struct steer_rule_key k = { .proto = proto, .port = htons(port) };

	if (family == AF_INET) {
		k.addr[2] = htonl(0xffff);
		memcpy(&k.addr[3], addr, 4);
		len += 96;
	} else {
		memcpy(k.addr, addr, 16);
	}
	k.prefixlen = 32 + len;
	return k;
}

static __u32 rule_set_bit(const struct steer_rule_key *k)
{
	if (k->proto && k->port)
		return STEER_RULES_PROTO_PORT;
	if (k->proto)
		return STEER_RULES_PROTO;
	if (k->port)
		return STEER_RULES_PORT;
	return STEER_RULES_ANY;
}

/*
 * Write the rules: connected networks of every WAN (bypass) and the pins;
 * remove rules no longer wanted.  Returns the STEER_RULES_* sets in use.
 */
static __u32 write_rules(struct steering *st, const struct discovery *d,
			 const struct wan_entry *tbl)
{
	int max = OMR_STEER_MAX_RULES, n = 0;
	struct steer_rule_key *keys = calloc(max, sizeof(*keys));
	struct steer_rule *vals = calloc(max, sizeof(*vals));
	__u32 sets = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return st->cfg.rule_sets;
	}
	/* pins first: a pin on a connected network is the operator's word */
	for (int p = 0; p < st->settings.n_pins && n < max; p++) {
		const struct steer_pin *pin = &st->settings.pins[p];
		struct steer_rule v = { .action = STEER_RULE_BYPASS };
		int w = -1;

		if (!pin->bypass) {
			for (int i = 0; i < OMR_MAX_WANS; i++)
				if ((tbl[i].flags & OMR_WAN_F_CONFIGURED) &&
				    !strncmp(tbl[i].name, pin->wan, OMR_IFNAMSIZ))
					w = i;
			if (w < 0)
				continue;
			v.action = STEER_RULE_PIN;
			v.wan_idx = w;
		}
		keys[n] = rule_key(pin->family, pin->addr, pin->prefixlen, pin->proto, pin->port);
		vals[n++] = v;
	}
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_view *v = &d->view[i];

		for (int c = 0; c < v->n_connected && n < max; c++) {
			struct steer_rule_key k = rule_key(v->connected[c].family,
							   v->connected[c].addr,
							   v->connected[c].len, 0, 0);
			bool dup = false;

			for (int j = 0; j < n && !dup; j++)
				dup = !memcmp(&keys[j], &k, sizeof(k));
			if (dup)
				continue;
			keys[n] = k;
			vals[n++] = (struct steer_rule){ .action = STEER_RULE_BYPASS };
		}
	}

	/* unchanged since the last sync: nothing to write */
	if (st->rules_adopted && n == st->n_rules && st->rule_vals &&
	    !memcmp(keys, st->rules, n * sizeof(*keys)) &&
	    !memcmp(vals, st->rule_vals, n * sizeof(*vals))) {
		free(keys);
		free(vals);
		return st->rule_sets;
	}
	/* the rules of a previous agent are ours to replace */
	if (!st->rules_adopted) {
		struct steer_rule_key cur, next;
		void *prev = NULL;

		free(st->rules);
		st->rules = calloc(max, sizeof(*st->rules));
		st->n_rules = 0;
		while (st->rules && st->n_rules < max &&
		       !bpf_map_get_next_key(st->rules_fd, prev, &next)) {
			st->rules[st->n_rules++] = next;
			cur = next;
			prev = &cur;
		}
		st->rules_adopted = true;
	}
	for (int j = 0; j < n; j++) {
		if (bpf_map_update_elem(st->rules_fd, &keys[j], &vals[j], BPF_ANY))
			pr_warn("steering: cannot write a rule: %s", strerror(errno));
		else
			sets |= rule_set_bit(&keys[j]);
	}
	for (int r = 0; st->rules && r < st->n_rules; r++) {
		bool keep = false;

		for (int j = 0; j < n && !keep; j++)
			keep = !memcmp(&st->rules[r], &keys[j], sizeof(keys[j]));
		if (!keep)
			bpf_map_delete_elem(st->rules_fd, &st->rules[r]);
	}
	free(st->rules);
	free(st->rule_vals);
	st->rules = keys;
	st->rule_vals = vals;
	st->n_rules = n;
	st->rule_sets = sets;
	return sets;
}

/* steer_wan and the ifindex cache in front of wan_ifindex. */
static void write_wans(struct steering *st, const struct discovery *d, const struct wan_entry *tbl)
{
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_view *v = &d->view[i];
		struct steer_wan w = {};
		__u32 slot;

		if (v->ifindex) {
			w.ifindex = v->ifindex;
			w.flags = (v->l2 ? STEER_WAN_F_L2 : 0) |
				  (v->have4 ? STEER_WAN_F_ADDR4 : 0) |
				  (v->have6 ? STEER_WAN_F_ADDR6 : 0) |
				  (v->have_gw4 ? STEER_WAN_F_GW4 : 0) |
				  (v->have_gw6 ? STEER_WAN_F_GW6 : 0);
			w.mtu = v->mtu;
			w.addr4 = v->addr4;
			w.gw4 = v->gw4;
			memcpy(w.addr6, v->addr6, 16);
			memcpy(w.gw6, v->gw6, 16);
		}
		if (memcmp(&w, &st->wans[i], sizeof(w))) {
			char a4[INET_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-";
			char g4[INET_ADDRSTRLEN] = "-", g6[INET6_ADDRSTRLEN] = "-";

			if (bpf_map_update_elem(st->wan_fd, &i, &w, BPF_ANY)) {
				pr_warn("steering: cannot write %s: %s", OMR_MAP_STEER_WAN,
					strerror(errno));
				continue;
			}
			if (v->ifindex) {
				if (v->have4)
					inet_ntop(AF_INET, &v->addr4, a4, sizeof(a4));
				if (v->have6)
					inet_ntop(AF_INET6, v->addr6, a6, sizeof(a6));
				if (v->have_gw4)
					inet_ntop(AF_INET, &v->gw4, g4, sizeof(g4));
				if (v->have_gw6)
					inet_ntop(AF_INET6, v->gw6, g6, sizeof(g6));
				pr_info("steering: wan %s: %s, mtu %u, address %s %s, "
					"gateway %s %s",
					tbl[i].name, v->l2 ? "ethernet" : "no link-layer header",
					v->mtu, a4, a6, g4, g6);
			}
			st->wans[i] = w;
		}
		/* every sync: something (a network restart) may have made it strict again */
		if (v->ifindex)
			loosen_rp_filter(st, tbl[i].name);

		/* the cache: this WAN's slot, unless its old one still names it */
		if (st->ifcache_ifindex[i] && st->ifcache_ifindex[i] != w.ifindex) {
			struct steer_ifslot old;

			slot = st->ifcache_ifindex[i] % OMR_STEER_IFCACHE_SLOTS;
			if (!bpf_map_lookup_elem(st->ifcache_fd, &slot, &old) &&
			    old.ifindex == st->ifcache_ifindex[i]) {
				memset(&old, 0, sizeof(old));
				bpf_map_update_elem(st->ifcache_fd, &slot, &old, BPF_ANY);
			}
			st->ifcache_ifindex[i] = 0;
		}
		if (w.ifindex) {
			struct steer_ifslot s = { .ifindex = w.ifindex, .wan_idx = i,
						  .wan_flags = w.flags };

			slot = w.ifindex % OMR_STEER_IFCACHE_SLOTS;
			if (!bpf_map_update_elem(st->ifcache_fd, &slot, &s, BPF_ANY))
				st->ifcache_ifindex[i] = w.ifindex;
		}
	}
}

/* ---- the flow table's housekeeping -------------------------------------------- */

/*
 * The table is walked in chunks with batch lookups, each chunk handled as
 * it comes: the agent's memory is the same for 256 or 16 M entries, and
 * entries the datapath adds or the agent removes meanwhile do not restart
 * the walk (bpf_map_get_next_key() would).  An entry's partner (the reply
 * entry of a translated flow, the flow entry of a reply entry) is looked up
 * only when the entry alone looks finished: a translated flow idle past its
 * timeout (its replies may be recent), a reply entry idle past
 * STEERING_UDP_SHORT_IDLE_S (an orphan?).  So a scan costs one batch read
 * per 1024 entries plus a lookup per flow about to end.
 */
#define SCAN_CHUNK	1024

struct scan_chunk {
	struct flow_key keys[SCAN_CHUNK];
	struct flow_entry vals[SCAN_CHUNK];
};

/*
 * Call @fn on every entry of @fd, a chunk at a time; 0 or a negative errno
 * of the walk.
 */
static int walk_table(int fd, void (*fn)(const struct flow_key *, const struct flow_entry *,
					 void *), void *ctx)
{
	static struct scan_chunk c;	/* 72 KiB: off the stack */
	__u32 batch = 0;
	bool first = true, more = true;

	while (more) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 got = SCAN_CHUNK;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, c.keys, c.vals,
					       &got, &opts);

		if (err && errno != ENOENT)
			return -errno;
		more = !err;
		first = false;
		for (__u32 i = 0; i < got; i++)
			fn(&c.keys[i], &c.vals[i], ctx);
	}
	return 0;
}

static __u32 age_s(__u32 epoch_now, __u32 seen, __u32 interval_ms)
{
	return (__u64)(epoch_now - seen) * interval_ms / 1000;
}

/*
 * How long the flow @k/@v may stay idle: @seen its last packet either way
 * (epochs), @closing a FIN or RST seen either way, @interval_ms an epoch.
 */
static __u32 timeout_s(const struct flow_key *k, const struct flow_entry *v, __u32 seen,
		       bool closing, __u32 interval_ms)
{
	if (k->proto != IPPROTO_TCP)
		return age_s(seen, v->created_epoch, interval_ms) <= STEERING_UDP_SHORT_S ?
		       STEERING_UDP_SHORT_IDLE_S : STEERING_UDP_IDLE_S;
	return closing ? STEERING_TCP_CLOSING_S : STEERING_TCP_IDLE_S;
}

/* The XLAT key of a translated ORIG entry, or the ORIG key of an XLAT entry. */
static struct flow_key partner_key(const struct flow_key *k, const struct flow_entry *v)
{
	struct flow_key p = *k;

	memcpy(p.saddr, v->addr, sizeof(p.saddr));
	p.sport = v->port;
	p.kind = k->kind == FLOW_KIND_ORIG ? FLOW_KIND_XLAT : FLOW_KIND_ORIG;
	return p;
}

/* The partner of @k/@v in @fd, if it is there and points back (not a newer flow's). */
static bool find_partner(int fd, const struct flow_key *k, const struct flow_entry *v,
			 struct flow_key *pk, struct flow_entry *pv)
{
	struct flow_key back;

	*pk = partner_key(k, v);
	if (bpf_map_lookup_elem(fd, pk, pv))
		return false;
	back = partner_key(pk, pv);
	return back.sport == k->sport && !memcmp(back.saddr, k->saddr, sizeof(back.saddr));
}

struct scan_ctx {
	int fd;
	__u32 epoch, interval_ms;
	bool dry;
	__u64 *flows, *busy;
	__u64 expired, orphans, entries;
};

static void scan_entry(const struct flow_key *k, const struct flow_entry *v, void *arg)
{
	struct scan_ctx *sc = arg;
	struct flow_key pk;
	struct flow_entry pv;
	bool partner = false, closing;
	__u32 seen = v->seen_epoch, age;

	sc->entries++;
	if (k->kind == FLOW_KIND_XLAT) {
		/* its flow keeps it; alone, it goes (looked for once it is quiet) */
		if (sc->epoch - v->created_epoch < 2 ||
		    age_s(sc->epoch, seen, sc->interval_ms) <= STEERING_UDP_SHORT_IDLE_S)
			return;
		if (find_partner(sc->fd, k, v, &pk, &pv))
			return;
		/* (gone already when its flow expired earlier in this chunk) */
		if (sc->dry || !bpf_map_delete_elem(sc->fd, k))
			sc->orphans++;
		return;
	}
	closing = v->flags & FLOW_F_CLOSING;
	age = age_s(sc->epoch, seen, sc->interval_ms);
	/*
	 * A translated flow that looks finished from its own packets: its
	 * replies may be recent, or may have carried the FIN or RST.
	 */
	if ((v->flags & FLOW_F_NAT) &&
	    (age > timeout_s(k, v, seen, closing, sc->interval_ms) ||
	     (k->proto == IPPROTO_TCP && !closing && age > STEERING_TCP_CLOSING_S))) {
		partner = find_partner(sc->fd, k, v, &pk, &pv);
		if (partner && (__s32)(pv.seen_epoch - seen) > 0)
			seen = pv.seen_epoch;
		if (partner && (pv.flags & FLOW_F_CLOSING))
			closing = true;
		age = age_s(sc->epoch, seen, sc->interval_ms);
	}
	if (age > timeout_s(k, v, seen, closing, sc->interval_ms)) {
		if (!sc->dry) {
			bpf_map_delete_elem(sc->fd, k);
			if (partner)
				bpf_map_delete_elem(sc->fd, &pk);
		}
		sc->expired++;
		return;
	}
	if (!(v->flags & FLOW_F_CLOSING) && v->wan_idx < OMR_MAX_WANS) {
		sc->flows[v->wan_idx]++;
		if (sc->busy && age_s(sc->epoch, seen, sc->interval_ms) <= STEERING_BUSY_S)
			sc->busy[v->wan_idx]++;
	}
}

/*
 * Age the flows: remove those idle past their timeout (TCP after FIN/RST
 * sooner) with their reply entries, and reply entries left alone; count
 * per WAN the flows assigned (@flows) and those busy lately (@busy, may be
 * NULL; a translated flow's own packets).  @dry only counts.
 */
static int scan_flows(int flows_fd, __u32 epoch, __u32 interval_ms, bool dry,
		      __u64 flows[OMR_MAX_WANS], __u64 *busy,
		      __u64 *expired, __u64 *orphans, size_t *entries)
{
	struct scan_ctx sc = { .fd = flows_fd, .epoch = epoch, .interval_ms = interval_ms,
			       .dry = dry, .flows = flows, .busy = busy };
	int err;

	memset(flows, 0, sizeof(__u64) * OMR_MAX_WANS);
	if (busy)
		memset(busy, 0, sizeof(__u64) * OMR_MAX_WANS);
	err = walk_table(flows_fd, scan_entry, &sc);
	*expired = sc.expired;
	*orphans = sc.orphans;
	*entries = sc.entries;
	return err;
}

int steering_count_flows(int flows_fd, __u32 epoch_now, __u32 interval_ms,
			 __u64 flows[OMR_MAX_WANS])
{
	__u64 expired, orphans;
	size_t entries;

	return scan_flows(flows_fd, epoch_now, interval_ms ? interval_ms : 1000, true, flows,
			  NULL, &expired, &orphans, &entries);
}

static void scan_inbound_entry(const struct flow_key *k, const struct flow_entry *v, void *arg)
{
	struct steering *st = arg;

	if (age_s(st->cfg.epoch, v->seen_epoch, st->interval_ms) > STEERING_UDP_SHORT_IDLE_S)
		bpf_map_delete_elem(st->inbound_fd, k);
}

/* UDP flows from outside that were never answered (answered ones are in steer_flows). */
static void scan_inbound(struct steering *st)
{
	walk_table(st->inbound_fd, scan_inbound_entry, st);
}

__u64 steering_table_full(const struct steering *st, __u64 *inbound)
{
	int ncpus = libbpf_num_possible_cpus();
	struct wan_counters percpu[ncpus > 0 ? ncpus : 1];
	__u64 sum = 0, in = 0;

	if (ncpus > 0 && st->counters_fd >= 0) {
		for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
			if (bpf_map_lookup_elem(st->counters_fd, &i, percpu))
				continue;
			for (int c = 0; c < ncpus; c++) {
				sum += percpu[c].table_full;
				in += percpu[c].inbound_full;
			}
		}
	}
	if (inbound)
		*inbound = in;
	return sum;
}

/*
 * Once per interval: new flows that found the flow table (or steer_inbound)
 * full since the last scan, said once, with what to do about it.
 */
static void log_table_full(struct steering *st, size_t entries)
{
	__u64 in, now = steering_table_full(st, &in);

	if (now > st->table_full)
		pr_warn("steering: flow table full (%zu of %u entries): %llu packets of new "
			"flows left untranslated by their routed WAN in the last %u ms; "
			"translated flows keep their WAN - raise 'flows' in the weight file "
			"if this lasts", entries, st->flows_max,
			(unsigned long long)(now - st->table_full), st->interval_ms);
	if (in > st->inbound_full)
		pr_warn("steering: %s full: %llu UDP packets from outside not recorded as new "
			"inbound flows in the last %u ms (their answers take the weighted "
			"choice); it is a quarter of 'flows'", OMR_MAP_STEER_INBOUND,
			(unsigned long long)(in - st->inbound_full), st->interval_ms);
	st->table_full = now;
	st->inbound_full = in;
}

/* ---- application classes ---------------------------------------------------------- */

/* The names of the WANs in @mask, for the log. */
static void wan_names(const struct wan_entry *tbl, __u32 mask, char *buf, size_t size)
{
	size_t pos = 0;

	snprintf(buf, size, "any WAN by weight (none of its own usable)");
	for (int i = 0; i < OMR_MAX_WANS && pos < size; i++)
		if (mask & (1U << i))
			pos += snprintf(buf + pos, size - pos, "%s%.*s", pos ? " " : "",
					OMR_IFNAMSIZ, tbl[i].name);
}

/*
 * The classes' rules and WAN sets for the WANs usable now; written when
 * they changed.  New rules start their hit counts from zero.
 */
static void write_classes(struct steering *st, const struct steer_cfg *c,
			  const struct wan_entry *tbl)
{
	static struct steer_classes sc;	/* 6 KiB: off the stack */
	__u32 rtt[OMR_MAX_WANS], key = 0;
	bool new_rules;

	for (int i = 0; i < OMR_MAX_WANS; i++)
		rtt[i] = tbl[i].rtt_us;
	classes_build(&st->settings.classes, tbl, &sc);
	classes_wans(&sc, c->usable4, c->usable6, rtt);
	if (!memcmp(&sc, &st->classes, sizeof(sc)))
		return;
	new_rules = sc.n_rules != st->classes.n_rules ||
		    memcmp(sc.rules, st->classes.rules, sizeof(sc.rules));
	if (bpf_map_update_elem(st->classes_fd, &key, &sc, BPF_ANY)) {
		pr_warn("steering: cannot write %s: %s", OMR_MAP_STEER_CLASSES, strerror(errno));
		return;
	}
	if (new_rules) {
		int ncpus = libbpf_num_possible_cpus();
		__u64 *zero = ncpus > 0 ? calloc(ncpus, sizeof(*zero)) : NULL;

		for (__u32 r = 0; zero && r < OMR_MAX_CLASS_RULES; r++)
			bpf_map_update_elem(st->class_hits_fd, &r, zero, BPF_ANY);
		free(zero);
	}
	for (__u32 i = 0; i < sc.n_classes; i++) {
		char w4[128], w6[128];

		if (sc.mask4[i] == st->classes.mask4[i] && sc.mask6[i] == st->classes.mask6[i] &&
		    !new_rules)
			continue;
		wan_names(tbl, sc.mask4[i], w4, sizeof(w4));
		wan_names(tbl, sc.mask6[i], w6, sizeof(w6));
		pr_info("class %s (%s): IPv4 flows to %s, IPv6 flows to %s", sc.classes[i].name,
			classes_policy_name(sc.classes[i].policy), w4, w6);
	}
	st->classes = sc;
}

/* ---- sync ------------------------------------------------------------------------ */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int steering_sync(struct steering *st, struct wan_entry *tbl)
{
	static struct discovery d;	/* large: off the stack */
	struct steer_cfg c = st->cfg;
	struct steer_load load = {};
	__u64 now = now_ns();
	size_t entries = 0;
	__u32 key = 0;
	bool scan;

	discover(st, &d, tbl);
	write_wans(st, &d, tbl);
	c.rule_sets = write_rules(st, &d, tbl);

	c.enabled = 1;
	c.usable4 = c.usable6 = c.fallback4 = c.fallback6 = 0;
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_entry *e = &tbl[i];
		__u32 need = OMR_WAN_F_CONFIGURED | OMR_WAN_F_PRESENT | OMR_WAN_F_ATTACHED |
			     OMR_WAN_F_UP;
		bool up = (e->flags & need) == need && e->ifindex &&
			  st->wans[i].ifindex == e->ifindex;
		__u32 bit = 1U << i;

		c.weight[i] = up ? e->effective_weight : 0;
		if (!up)
			continue;
		if (st->wans[i].flags & STEER_WAN_F_ADDR4) {
			if (c.weight[i])
				c.usable4 |= bit;
			else
				c.fallback4 |= bit;
		}
		if (st->wans[i].flags & STEER_WAN_F_ADDR6) {
			if (c.weight[i])
				c.usable6 |= bit;
			else
				c.fallback6 |= bit;
		}
	}

	write_classes(st, &c, tbl);

	/* once per interval: a new epoch, flows aged and counted, the load rebased */
	scan = !st->last_gc_ns ||
	       now - st->last_gc_ns >= (__u64)st->interval_ms * 1000000ULL * 9 / 10;
	if (scan) {
		st->last_gc_ns = now;
		c.epoch++;
		bpf_map_lookup_elem(st->load_fd, &key, &load);
		if (!scan_flows(st->flows_fd, c.epoch, st->interval_ms, false, st->flows,
				st->busy, &st->expired, &st->orphans, &entries)) {
			for (int i = 0; i < OMR_MAX_WANS; i++)
				c.load_base[i] = (__s64)st->busy[i] - (__s64)load.assigned[i];
		}
		scan_inbound(st);
		log_table_full(st, entries);
	}
	for (int i = 0; i < OMR_MAX_WANS; i++)
		if (tbl[i].flags & OMR_WAN_F_CONFIGURED)
			tbl[i].flows = st->flows[i];

	if (memcmp(&c, &st->cfg, sizeof(c))) {
		if (bpf_map_update_elem(st->cfg_fd, &key, &c, BPF_ANY)) {
			int err = -errno;

			pr_err("steering: cannot write %s: %s", OMR_MAP_STEER_CFG, strerror(errno));
			return err;
		}
		st->cfg = c;
	}
	return 0;
}

int steering_restore(int cfg_fd, int sysctl_fd)
{
	char key[OMR_IFNAMSIZ], next[OMR_IFNAMSIZ];
	void *prev = NULL;
	int err = 0;

	if (cfg_fd >= 0) {
		struct steer_cfg c = {};
		__u32 k = 0;

		bpf_map_update_elem(cfg_fd, &k, &c, BPF_ANY);
	}
	if (sysctl_fd < 0)
		return 0;
	while (!bpf_map_get_next_key(sysctl_fd, prev, next)) {
		struct steer_sysctl_saved saved;
		char value[16];
		int now, ret;

		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(sysctl_fd, key, &saved))
			continue;
		key[OMR_IFNAMSIZ - 1] = '\0';
		/* only if it is still what we set: the operator may have changed it since */
		if (rp_filter(key, &now) || now != 2)
			continue;
		snprintf(value, sizeof(value), "%d", saved.rp_filter);
		ret = sysctl_write(value, "net/ipv4/conf/%s/rp_filter", key);
		if (ret) {
			pr_warn("cannot put net.ipv4.conf.%s.rp_filter back to %d: %s", key,
				saved.rp_filter, strerror(-ret));
			err = -EIO;
		} else {
			pr_info("net.ipv4.conf.%s.rp_filter put back to %d", key, saved.rp_filter);
		}
	}
	return err;
}

int steering_unload(const char *pin_dir)
{
	int cfg_fd = open_pin(pin_dir, OMR_MAP_STEER_CFG);
	int sysctl_fd = open_pin(pin_dir, OMR_MAP_STEER_SYSCTL);
	int err = steering_restore(cfg_fd, sysctl_fd);

	if (cfg_fd >= 0)
		close(cfg_fd);
	if (sysctl_fd >= 0)
		close(sysctl_fd);
	return err;
}
