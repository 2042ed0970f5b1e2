// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Flow steering, the user-space side: see steering.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flow_table.h"
#include "log.h"
#include "pinned.h"
#include "steering.h"
#include "sysctl.h"
#include "wan_discovery.h"
#include "steer.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

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

	wan_discover(&d, tbl, &st->settings);
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
		if (!flow_table_scan(st->flows_fd, c.epoch, st->interval_ms, false, st->flows,
				     st->busy, &st->expired, &st->orphans, &entries)) {
			for (int i = 0; i < OMR_MAX_WANS; i++)
				c.load_base[i] = (__s64)st->busy[i] - (__s64)load.assigned[i];
		}
		flow_table_expire_inbound(st->inbound_fd, c.epoch, st->interval_ms);
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
