// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where WAN interfaces are attached, followed and released. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "log.h"
#include "tc.h"
#include "wans.h"
#include "weights.h"

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

int wans_adopt(struct wan_set *ws, struct datapath *dp)
{
	memset(ws, 0, sizeof(*ws));
	ws->dp = dp;
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		int err = datapath_read_wan(dp, i, &ws->tbl[i]);

		if (err)
			return err;
	}
	if (dp->skel) {
		ws->prog_id_egress = prog_id_of(datapath_egress_fd(dp));
		ws->prog_id_ingress = prog_id_of(datapath_ingress_fd(dp));
	}
	return 0;
}

int wans_find(const struct wan_set *ws, const char *name)
{
	for (int i = 0; i < OMR_MAX_WANS; i++)
		if ((ws->tbl[i].flags & OMR_WAN_F_CONFIGURED) &&
		    !strncmp(ws->tbl[i].name, name, OMR_IFNAMSIZ))
			return i;
	return -1;
}

/* Take our filters off a WAN; drop its clsact if we made it and it is empty now. */
static void detach_wan(struct wan_entry *e)
{
	int err;

	if (!e->ifindex || !(e->flags & OMR_WAN_F_ATTACHED))
		return;
	err = tc_detach(e->ifindex);
	if (err && err != -ENODEV)
		pr_warn("cannot remove omr-steer filters from %s (ifindex %u): %s",
			e->name, e->ifindex, strerror(-err));
	if ((e->flags & OMR_WAN_F_OWN_CLSACT) && tc_count_filters(e->ifindex) == 0)
		tc_destroy_clsact(e->ifindex);
	e->flags &= ~(OMR_WAN_F_ATTACHED | OMR_WAN_F_OWN_CLSACT);
}

static void release_slot(struct wan_set *ws, __u32 idx)
{
	struct wan_entry *e = &ws->tbl[idx];

	pr_info("wan %s: removed from the configuration, detaching", e->name);
	detach_wan(e);
	if (e->ifindex)
		datapath_unmap_ifindex(ws->dp, e->ifindex);
	memset(e, 0, sizeof(*e));
	datapath_reset_counters(ws->dp, idx);
	datapath_write_wan(ws->dp, idx, e);
}

static int alloc_slot(struct wan_set *ws, const char *name)
{
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry *e = &ws->tbl[i];

		if (e->flags & OMR_WAN_F_CONFIGURED)
			continue;
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->flags = OMR_WAN_F_CONFIGURED;
		datapath_reset_counters(ws->dp, i);
		return i;
	}
	return -ENOSPC;
}

static void write_all(const struct wan_set *ws)
{
	for (__u32 i = 0; i < OMR_MAX_WANS; i++)
		if (ws->tbl[i].flags & OMR_WAN_F_CONFIGURED)
			datapath_write_wan(ws->dp, i, &ws->tbl[i]);
}

int wans_apply_config(struct wan_set *ws, const struct steer_config *cfg)
{
	int err;

	for (__u32 i = 0; i < OMR_MAX_WANS; i++)
		if ((ws->tbl[i].flags & OMR_WAN_F_CONFIGURED) &&
		    !config_find_wan(cfg, ws->tbl[i].name))
			release_slot(ws, i);

	for (int w = 0; w < cfg->n_wans; w++) {
		const struct wan_config *wc = &cfg->wans[w];
		int idx = wans_find(ws, wc->name);

		if (idx < 0) {
			idx = alloc_slot(ws, wc->name);
			if (idx < 0)
				return idx;	/* cannot happen: the parser caps the count */
			pr_info("wan %s: added with weight %s", wc->name,
				weight_str(wc->weight, (char[12]){}, 12));
		} else if (ws->tbl[idx].weight != wc->weight) {
			pr_info("wan %s: weight %s -> %s", wc->name,
				weight_str(ws->tbl[idx].weight, (char[12]){}, 12),
				weight_str(wc->weight, (char[12]){}, 12));
		}
		ws->tbl[idx].weight = wc->weight;
	}
	err = wans_sync(ws);
	write_all(ws);
	for (int w = 0; w < cfg->n_wans; w++) {
		int idx = wans_find(ws, cfg->wans[w].name);

		if (idx >= 0 && !ws->tbl[idx].ifindex)
			pr_warn("wan %s: no such interface yet; it is attached when it appears",
				cfg->wans[w].name);
	}
	return err < 0 ? err : 0;
}

static int ctl_sock = -1;

/* IFF_UP and carrier (IFF_RUNNING) of an interface, via SIOCGIFFLAGS. */
static bool link_is_up(const char *name)
{
	struct ifreq ifr = {};

	if (ctl_sock < 0)
		ctl_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ctl_sock < 0 || ioctl(ctl_sock, SIOCGIFFLAGS, &ifr))
		return false;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

/* Are our own programs (not a stale or foreign one) behind both filters? */
static bool filters_ok(const struct wan_set *ws, __u32 ifindex)
{
	unsigned int eg = 0, in = 0;

	if (tc_query(ifindex, true, &eg) || tc_query(ifindex, false, &in))
		return false;
	return eg == ws->prog_id_egress && in == ws->prog_id_ingress;
}

static int attach_wan(struct wan_set *ws, __u32 idx)
{
	struct wan_entry *e = &ws->tbl[idx];
	bool created = false;
	int err;

	err = tc_attach(e->ifindex, datapath_egress_fd(ws->dp),
			datapath_ingress_fd(ws->dp), &created);
	if (err) {
		pr_err("wan %s: cannot attach to ifindex %u: %s", e->name, e->ifindex,
		       strerror(-err));
		e->flags &= ~OMR_WAN_F_ATTACHED;
		return err;
	}
	e->flags |= OMR_WAN_F_ATTACHED;
	if (created)
		e->flags |= OMR_WAN_F_OWN_CLSACT;
	return 0;
}

static bool sync_one(struct wan_set *ws, __u32 idx)
{
	struct wan_entry *e = &ws->tbl[idx];
	struct wan_entry before = *e;
	__u32 ifindex = if_nametoindex(e->name);

	if (ifindex != e->ifindex) {
		if (e->ifindex) {
			/* the old interface is gone, its qdisc and filters with it */
			datapath_unmap_ifindex(ws->dp, e->ifindex);
			if (!ifindex)
				pr_warn("wan %s: interface disappeared; will attach when it is back",
					e->name);
		}
		e->ifindex = ifindex;
		e->flags &= ~(OMR_WAN_F_PRESENT | OMR_WAN_F_ATTACHED | OMR_WAN_F_OWN_CLSACT |
			      OMR_WAN_F_UP);
		if (ifindex) {
			e->flags |= OMR_WAN_F_PRESENT;
			if (before.ifindex)
				pr_info("wan %s: interface recreated (ifindex %u -> %u), re-attaching",
					e->name, before.ifindex, ifindex);
			datapath_map_ifindex(ws->dp, ifindex, idx);
		}
	} else if (ifindex && !(e->flags & OMR_WAN_F_PRESENT)) {
		e->flags |= OMR_WAN_F_PRESENT;
		datapath_map_ifindex(ws->dp, ifindex, idx);
	}

	/* attach when missing; re-attach when the filter is gone or not ours */
	if (ifindex && ws->dp->skel &&
	    (!(e->flags & OMR_WAN_F_ATTACHED) || !filters_ok(ws, ifindex)) &&
	    !attach_wan(ws, idx))
		pr_info("wan %s: attached (ifindex %u)", e->name, ifindex);

	if (ifindex && link_is_up(e->name))
		e->flags |= OMR_WAN_F_UP;
	else
		e->flags &= ~OMR_WAN_F_UP;
	return memcmp(&before, e, sizeof(before)) != 0;
}

int wans_sync(struct wan_set *ws)
{
	int changed = 0;

	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		if (!(ws->tbl[i].flags & OMR_WAN_F_CONFIGURED))
			continue;
		if (sync_one(ws, i))
			changed++;
	}
	if (changed)
		write_all(ws);
	return changed;
}

void wans_detach_all(struct datapath *dp)
{
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry e;

		if (datapath_read_wan(dp, i, &e) || !e.ifindex)
			continue;
		/* only if it is still the interface we attached to */
		if (if_nametoindex(e.name) != e.ifindex)
			continue;
		detach_wan(&e);
		datapath_write_wan(dp, i, &e);
	}
}
