// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * MPTCP by weight, what load, apply, unload and status do (see src/mptcp.h),
 * on top of the probe (src/mptcp_probe.c), the path manager's endpoints
 * (src/mptcp_pm.c) and the struct_ops scheduler (src/mptcp_sched.c); and the
 * record of what was changed, in maps pinned under the pin dir.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/mptcp.h>
#include <bpf/bpf.h>

#include "mptcp.h"
#include "pinned.h"
#include "sysctl.h"

/* ---- maps pinned under the pin dir ---------------------------------------- */

/*
 * Open a pinned map of bpf/lib/maps.h, checked (pinned.h); with @create, create
 * and pin it (same definition, so that the datapath's skeleton reuses it) when
 * the datapath has not yet.
 */
static int pinned_map(const char *pin_dir, const char *name, __u32 max_entries, bool create)
{
	const struct pinned_map_spec *spec = pinned_map_spec(name);
	char path[PATH_MAX];
	int fd, err;

	fd = pinned_map_open(pin_dir, name);
	if (fd != -ENOENT || !create || !spec)
		return fd;
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_map_create(spec->type, name, spec->key_size, spec->value_size, max_entries, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int state_map(const char *pin_dir, bool create)
{
	return pinned_map(pin_dir, OMR_MAP_MPTCP_STATE, 1, create);
}

static int endp_map(const char *pin_dir, bool create)
{
	return pinned_map(pin_dir, OMR_MAP_MPTCP_ENDP, OMR_MAX_MPTCP_ENDPOINTS, create);
}

static int wan_addr_map(const char *pin_dir, bool create)
{
	return pinned_map(pin_dir, OMR_MAP_WAN_ADDR, OMR_MAX_WAN_ADDRS, create);
}

static void state_read(int fd, struct mptcp_state *st)
{
	__u32 zero = 0;

	memset(st, 0, sizeof(*st));
	if (fd >= 0)
		bpf_map_lookup_elem(fd, &zero, st);
}

static int state_write(int fd, const struct mptcp_state *st)
{
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, st, BPF_ANY) ? -errno : 0;
}

/* ---- load / apply / unload / status ------------------------------------------ */

/*
 * Undo the scheduler part recorded in @st: net.mptcp.scheduler back to its
 * previous value if it is still ours, then unregister our scheduler.  Clears
 * the scheduler fields of @st.  Returns 0 or the first error.
 */
static int sched_undo(const char *pin_dir, struct mptcp_state *st)
{
	char current[32] = "";
	int err = 0, ret;

	if (st->flags & OMR_MPTCP_F_SCHEDULER_SET &&
	    sysctl_read(current, sizeof(current), "net/mptcp/scheduler") == 0 &&
	    !strcmp(current, OMR_MPTCP_SCHED_NAME)) {
		/* switch away first: new connections must not find a missing scheduler */
		err = sysctl_write(st->prev_scheduler[0] ? st->prev_scheduler : "default",
				   "net/mptcp/scheduler");
	}
	ret = mptcp_sched_unregister(pin_dir);
	if (ret && !err)
		err = ret;
	if (!err) {
		st->flags &= ~OMR_MPTCP_F_SCHEDULER_SET;
		memset(st->prev_scheduler, 0, sizeof(st->prev_scheduler));
	}
	return err;
}

int mptcp_start(const char *pin_dir, const struct mptcp_support *sup, bool use_scheduler,
		char *msg, size_t msglen)
{
	struct mptcp_state st;
	int fd, err;

	msg[0] = '\0';
	fd = state_map(pin_dir, true);
	if (fd < 0)
		return fd;
	state_read(fd, &st);
	if (!sup->enabled) {
		sched_undo(pin_dir, &st);
		st.mode = OMR_MPTCP_MODE_NONE;
		goto record;
	}
	st.mode = OMR_MPTCP_MODE_ENDPOINT_FLAGS;
	if (sup->mode != MPTCP_MODE_STRUCT_OPS || !use_scheduler) {
		/* a scheduler an earlier load left registered goes */
		err = sched_undo(pin_dir, &st);
		if (err)
			snprintf(msg, msglen, "removing the MPTCP scheduler of an earlier load failed: %s",
				 strerror(-err));
		else if (sup->mode == MPTCP_MODE_STRUCT_OPS)
			snprintf(msg, msglen, "the weight file turns the MPTCP scheduler off: "
				 "managing endpoint flags only");
		goto record;
	}
	err = mptcp_sched_register(pin_dir, sup->gen, msg, msglen);
	if (err < 0) {
		size_t used = strlen(msg);

		snprintf(msg + used, msglen - used, "; managing endpoint flags instead");
		goto record;
	}
	st.mode = OMR_MPTCP_MODE_STRUCT_OPS;
	if (strcmp(sup->scheduler, OMR_MPTCP_SCHED_NAME)) {
		const char *prev = sup->scheduler[0] ? sup->scheduler : "default";
		size_t len = strnlen(prev, sizeof(st.prev_scheduler) - 1);	/* names are <= 15 */

		memset(st.prev_scheduler, 0, sizeof(st.prev_scheduler));
		memcpy(st.prev_scheduler, prev, len);
		st.flags |= OMR_MPTCP_F_SCHEDULER_SET;
	}
	err = sysctl_write(OMR_MPTCP_SCHED_NAME, "net/mptcp/scheduler");
	if (err)
		snprintf(msg, msglen, "scheduler %s registered, but setting net.mptcp.scheduler "
			 "failed: %s", OMR_MPTCP_SCHED_NAME, strerror(-err));
record:
	err = state_write(fd, &st);
	close(fd);
	return err ? err : (int)st.mode;
}

static bool addr_equal(const struct wan_addr *a, const struct wan_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

int mptcp_wans_from_table(const struct wan_entry *tbl, struct mptcp_wan *out)
{
	int n = 0;

	for (int i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_entry *e = &tbl[i];

		if (!(e->flags & OMR_WAN_F_CONFIGURED))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].wan_idx = (__u32)i;
		out[n].ifindex = e->ifindex;
		out[n].weight = e->effective_weight;
		memcpy(out[n].name, e->name, OMR_IFNAMSIZ - 1);
		n++;
	}
	return n;
}

/* Every address of the WAN interfaces in @wans, with the WAN's index in @idx. */
static int wan_addresses(const struct mptcp_wan *wans, int n_wans, struct wan_addr *out,
			 __u32 *idx, int max)
{
	struct ifaddrs *ifa_list, *ifa;
	int n = 0;

	if (getifaddrs(&ifa_list))
		return -errno;
	for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		struct wan_addr a = {};

		if (!ifa->ifa_addr || !ifa->ifa_name)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.addr, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.addr, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		for (int w = 0; w < n_wans && n < max; w++) {
			if (!wans[w].ifindex || strncmp(ifa->ifa_name, wans[w].name, OMR_IFNAMSIZ))
				continue;
			out[n] = a;
			idx[n++] = wans[w].wan_idx;
		}
	}
	freeifaddrs(ifa_list);
	return n;
}

/* Replace the content of the wan_addr map with @addrs -> @idx. */
static int sync_wan_addr_map(int fd, const struct wan_addr *addrs, const __u32 *idx, int n)
{
	struct wan_addr key, next;
	bool first = true;
	int err = 0;

	/* delete what is not wanted any more, then (re)write the rest */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		bool wanted = false;

		for (int i = 0; i < n; i++)
			wanted |= addr_equal(&addrs[i], &next);
		if (!wanted && bpf_map_delete_elem(fd, &next) == 0) {
			first = true;	/* restart: deleting disturbs the walk */
			continue;
		}
		key = next;
		first = false;
	}
	for (int i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &addrs[i], &idx[i], BPF_ANY) && !err)
			err = -errno;
	return err;
}

/* The WAN an endpoint belongs to, or -1. */
static int endpoint_wan(const struct mptcp_endpoint *ep, const struct mptcp_wan *wans,
			int n_wans, const struct wan_addr *addrs, const __u32 *idx, int n_addrs)
{
	for (int w = 0; w < n_wans; w++)
		if (ep->ifindex > 0 && wans[w].ifindex == (__u32)ep->ifindex)
			return w;
	for (int i = 0; i < n_addrs; i++) {
		if (!addr_equal(&addrs[i], &ep->addr))
			continue;
		for (int w = 0; w < n_wans; w++)
			if (wans[w].wan_idx == idx[i])
				return w;
	}
	return -1;
}

/* Put the original backup flag back on endpoint @id if it still is that endpoint. */
static int restore_endpoint(struct mptcp_pm *g, const struct mptcp_endpoint *eps, int n, __u32 id,
			    const struct mptcp_endp_saved *saved)
{
	const struct mptcp_endpoint *ep = mptcp_pm_find(eps, n, id);
	bool backup = saved->flags & MPTCP_PM_ADDR_FLAG_BACKUP;

	if (!ep || !addr_equal(&ep->addr, &saved->addr))
		return 0;	/* gone, or the id now names another endpoint */
	if (!!(ep->flags & MPTCP_PM_ADDR_FLAG_BACKUP) == backup)
		return 0;
	return mptcp_pm_set_flags(g, id, mptcp_pm_with_backup(ep->flags, backup));
}

int mptcp_apply_weights(const char *pin_dir, const struct mptcp_support *sup,
			const struct mptcp_wan *wans, int n_wans)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	struct wan_addr addrs[OMR_MAX_WAN_ADDRS];
	__u32 idx[OMR_MAX_WAN_ADDRS], id, next;
	int n_addrs, n_eps, changed = 0, err = 0, ret;
	int addr_fd = -1, endp_fd = -1;
	struct mptcp_pm g = {};
	bool first = true;

	n_addrs = wan_addresses(wans, n_wans, addrs, idx, OMR_MAX_WAN_ADDRS);
	if (n_addrs < 0)
		return n_addrs;
	addr_fd = wan_addr_map(pin_dir, true);
	if (addr_fd < 0)
		return addr_fd;
	err = sync_wan_addr_map(addr_fd, addrs, idx, n_addrs);
	close(addr_fd);
	if (err || !sup->enabled || !sup->path_manager)
		return err;

	endp_fd = endp_map(pin_dir, true);
	if (endp_fd < 0)
		return endp_fd;
	err = mptcp_pm_open(&g);
	if (err)
		goto out;
	n_eps = mptcp_pm_dump(&g, eps, OMR_MAX_MPTCP_ENDPOINTS);
	if (n_eps < 0) {
		err = n_eps;
		goto out;
	}
	if (n_eps > OMR_MAX_MPTCP_ENDPOINTS)
		n_eps = OMR_MAX_MPTCP_ENDPOINTS;

	for (int e = 0; e < n_eps; e++) {
		const struct mptcp_endpoint *ep = &eps[e];
		int w = endpoint_wan(ep, wans, n_wans, addrs, idx, n_addrs);
		bool backup = w >= 0 && wans[w].weight == 0;
		struct mptcp_endp_saved saved;

		if (w < 0 || !!(ep->flags & MPTCP_PM_ADDR_FLAG_BACKUP) == backup)
			continue;
		id = ep->id;
		if (bpf_map_lookup_elem(endp_fd, &id, &saved)) {
			saved = (struct mptcp_endp_saved){
				.flags = ep->flags, .ifindex = ep->ifindex, .addr = ep->addr,
			};
			if (bpf_map_update_elem(endp_fd, &id, &saved, BPF_NOEXIST) && errno != EEXIST) {
				err = -errno;	/* never change what we could not record */
				break;
			}
		}
		ret = mptcp_pm_set_flags(&g, id, mptcp_pm_with_backup(ep->flags, backup));
		if (ret && !err)
			err = ret;
		if (!ret)
			changed++;
	}

	/* endpoints recorded earlier whose WAN is gone from the config: original flags */
	while (!bpf_map_get_next_key(endp_fd, first ? NULL : &id, &next)) {
		const struct mptcp_endpoint *ep = mptcp_pm_find(eps, n_eps, next);
		struct mptcp_endp_saved saved;

		first = false;
		id = next;
		if (ep && endpoint_wan(ep, wans, n_wans, addrs, idx, n_addrs) >= 0)
			continue;
		if (bpf_map_lookup_elem(endp_fd, &next, &saved))
			continue;
		ret = restore_endpoint(&g, eps, n_eps, next, &saved);
		if (ret && !err)
			err = ret;
		if (!ret && bpf_map_delete_elem(endp_fd, &next) == 0)
			first = true;	/* restart the walk after a deletion */
	}
out:
	mptcp_pm_close(&g);
	close(endp_fd);
	return err ? err : changed;
}

int mptcp_restore(const char *pin_dir)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	struct mptcp_state st;
	struct mptcp_pm g = {};
	int fd, err = 0, ret, n_eps = 0;
	__u32 id;

	fd = state_map(pin_dir, false);
	state_read(fd, &st);
	err = sched_undo(pin_dir, &st);
	if (fd >= 0) {
		memset(&st, 0, sizeof(st));
		ret = state_write(fd, &st);
		if (ret && !err)
			err = ret;
		close(fd);
	}

	fd = endp_map(pin_dir, false);
	if (fd < 0)
		return fd == -ENOENT ? err : (err ? err : fd);
	ret = mptcp_pm_open(&g);
	if (!ret)
		n_eps = mptcp_pm_dump(&g, eps, OMR_MAX_MPTCP_ENDPOINTS);
	if (!ret && n_eps < 0)
		ret = n_eps;
	if (n_eps > OMR_MAX_MPTCP_ENDPOINTS)
		n_eps = OMR_MAX_MPTCP_ENDPOINTS;
	if (ret) {
		/* keep the record: a later unload can still restore */
		err = err ? err : ret;
		goto out;
	}
	while (!bpf_map_get_next_key(fd, NULL, &id)) {
		struct mptcp_endp_saved saved;

		if (!bpf_map_lookup_elem(fd, &id, &saved)) {
			ret = restore_endpoint(&g, eps, n_eps, id, &saved);
			if (ret && !err)
				err = ret;
		}
		if (bpf_map_delete_elem(fd, &id))
			break;
	}
out:
	mptcp_pm_close(&g);
	close(fd);
	return err;
}

int mptcp_status(const char *pin_dir, struct mptcp_status *st)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	struct mptcp_state state;
	char path[PATH_MAX];
	__u32 id, next;
	bool first = true;
	int fd, n_eps;

	memset(st, 0, sizeof(*st));
	mptcp_probe(&st->sup);
	fd = state_map(pin_dir, false);
	state_read(fd, &state);
	if (fd >= 0)
		close(fd);
	st->mode = (enum mptcp_mode)state.mode;
	memcpy(st->previous_scheduler, state.prev_scheduler, sizeof(st->previous_scheduler));
	st->previous_scheduler[sizeof(st->previous_scheduler) - 1] = '\0';
	if (!mptcp_sched_pin_path(pin_dir, path, sizeof(path)))
		st->scheduler_registered = access(path, F_OK) == 0;

	fd = endp_map(pin_dir, false);
	if (fd < 0)
		return 0;
	n_eps = st->sup.path_manager ? mptcp_pm_list(eps, OMR_MAX_MPTCP_ENDPOINTS) : 0;
	if (n_eps < 0)
		n_eps = 0;
	if (n_eps > OMR_MAX_MPTCP_ENDPOINTS)
		n_eps = OMR_MAX_MPTCP_ENDPOINTS;
	while (st->n_managed < OMR_MAX_MPTCP_ENDPOINTS &&
	       !bpf_map_get_next_key(fd, first ? NULL : &id, &next)) {
		struct mptcp_managed_endpoint *m = &st->managed[st->n_managed];
		const struct mptcp_endpoint *ep = mptcp_pm_find(eps, n_eps, next);
		struct mptcp_endp_saved saved;

		first = false;
		id = next;
		if (bpf_map_lookup_elem(fd, &next, &saved))
			continue;
		m->original_flags = saved.flags;
		if (ep)
			m->endpoint = *ep;
		else
			m->endpoint.addr = saved.addr;
		st->n_managed++;
	}
	close(fd);
	return 0;
}
