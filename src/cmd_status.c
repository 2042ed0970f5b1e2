// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `omr-steer status`: is the agent alive, where is it attached, in which
 * modes, and the policies in force (classes, rules, schedules).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "classes.h"
#include "cli.h"
#include "datapath.h"
#include "log.h"
#include <linux/mptcp.h>
#include "mptcp.h"
#include "output.h"
#include "pinned.h"
#include "rates.h"
#include "schedule.h"
#include "tc.h"
#include "weights.h"

static const char *attach_state(const struct wan_entry *e)
{
	unsigned int eg = 0, in = 0;

	if (!(e->flags & OMR_WAN_F_PRESENT) || !e->ifindex)
		return "interface missing";
	if (tc_query(e->ifindex, true, &eg) || tc_query(e->ifindex, false, &in))
		return "unknown";
	if (eg && in)
		return "attached";
	return eg || in ? "partly attached" : "not attached";
}

/* The MPTCP mode recorded by the agent, and why (plain words). */
static void print_mptcp(const struct cli_opts *o)
{
	static struct mptcp_status st;

	memset(&st, 0, sizeof(st));
	mptcp_status(o->pin_dir, &st);
	if (o->json) {
		printf("], \"mptcp\": {\"mode\": ");
		json_string(stdout, mptcp_mode_name(st.mode));
		printf(", \"reason\": ");
		json_string(stdout, st.sup.reason);
		printf(", \"scheduler_registered\": %s, \"managed_endpoints\": %d}",
		       st.scheduler_registered ? "true" : "false", st.n_managed);
		return;
	}
	printf("mptcp:     %s\n           %s\n", mptcp_mode_name(st.mode), st.sup.reason);
	for (int i = 0; i < st.n_managed; i++)
		printf("           endpoint id %u: backup %s now (originally %s)\n",
		       st.managed[i].endpoint.id,
		       st.managed[i].endpoint.flags & MPTCP_PM_ADDR_FLAG_BACKUP ? "on" : "off",
		       st.managed[i].original_flags & MPTCP_PM_ADDR_FLAG_BACKUP ? "on" : "off");
}

/* The WAN names in @mask ("-" for none), from wan_table. */
static void mask_names(const struct datapath *dp, __u32 mask, char *buf, size_t size)
{
	size_t pos = 0;

	snprintf(buf, size, "-");
	for (__u32 i = 0; i < OMR_MAX_WANS && pos < size; i++) {
		struct wan_entry e;

		if (!(mask & (1U << i)) || datapath_read_wan(dp, i, &e))
			continue;
		pos += snprintf(buf + pos, size - pos, "%s%.*s", pos ? " " : "", OMR_IFNAMSIZ,
				e.name);
	}
}

/* The WANs in @mask as a JSON array of names. */
static void json_wan_list(const struct datapath *dp, __u32 mask)
{
	int n = 0;

	printf("[");
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry e;

		if (!(mask & (1U << i)) || datapath_read_wan(dp, i, &e))
			continue;
		e.name[OMR_IFNAMSIZ - 1] = '\0';
		printf(n++ ? ", " : "");
		json_string(stdout, e.name);
	}
	printf("]");
}

/* New flows rule @r matched since its rules were written: the per-CPU sum. */
static __u64 rule_hits(const struct datapath *dp, int hits_fd, __u32 r)
{
	__u64 vals[dp->ncpus > 0 ? dp->ncpus : 1], sum = 0;

	if (hits_fd < 0 || bpf_map_lookup_elem(hits_fd, &r, vals))
		return 0;
	for (int c = 0; c < dp->ncpus; c++)
		sum += vals[c];
	return sum;
}

/* Application classes with the WANs they take now, their rules, and the schedules. */
static void print_policy(const struct cli_opts *o, const struct datapath *dp)
{
	static struct steer_classes sc;
	static struct omr_policy pol;
	int classes_fd = datapath_open_map(dp, OMR_MAP_STEER_CLASSES);
	int hits_fd = datapath_open_map(dp, OMR_MAP_CLASS_HITS);
	int policy_fd = datapath_open_map(dp, OMR_MAP_POLICY);
	char line[512], w4[160], w6[160];
	__u32 key = 0;

	memset(&sc, 0, sizeof(sc));
	memset(&pol, 0, sizeof(pol));
	if (classes_fd >= 0)
		bpf_map_lookup_elem(classes_fd, &key, &sc);
	if (policy_fd >= 0)
		bpf_map_lookup_elem(policy_fd, &key, &pol);
	if (sc.n_classes > OMR_MAX_CLASSES)
		sc.n_classes = 0;
	if (sc.n_rules > OMR_MAX_CLASS_RULES)
		sc.n_rules = 0;
	if (pol.n_schedules > OMR_MAX_SCHEDULES)
		pol.n_schedules = 0;

	printf(o->json ? ", \"classes\": [" : "classes:%s\n", sc.n_classes ? "" : "   none");
	for (__u32 i = 0; i < sc.n_classes; i++) {
		const struct class_info *ci = &sc.classes[i];
		char wans[160] = "";
		size_t pos = 0;

		for (int w = 0; w < OMR_CLASS_MAX_PREFER && ci->wans[w] < OMR_MAX_WANS; w++) {
			char name[160];

			mask_names(dp, 1U << ci->wans[w], name, sizeof(name));
			pos += snprintf(wans + pos, pos < sizeof(wans) ? sizeof(wans) - pos : 0,
					" %s", name);
		}
		mask_names(dp, sc.mask4[i], w4, sizeof(w4));
		mask_names(dp, sc.mask6[i], w6, sizeof(w6));
		if (o->json) {
			printf("%s{\"name\": ", i ? ", " : "");
			json_string(stdout, ci->name);
			printf(", \"policy\": \"%s\", \"line\": %u, \"wans4\": ",
			       classes_policy_name(ci->policy), ci->line);
			json_wan_list(dp, sc.mask4[i]);
			printf(", \"wans6\": ");
			json_wan_list(dp, sc.mask6[i]);
			printf("}");
		} else {
			printf("  %-15s %s%s (line %u): IPv4 now %s, IPv6 now %s\n", ci->name,
			       classes_policy_name(ci->policy), wans, ci->line,
			       sc.mask4[i] ? w4 : "any (weighted)", sc.mask6[i] ? w6 : "any (weighted)");
		}
	}
	printf(o->json ? "], \"rules\": [" : "rules:%s\n", sc.n_rules ? "" : "     none");
	for (__u32 r = 0; r < sc.n_rules; r++) {
		__u64 hits = rule_hits(dp, hits_fd, r);

		classes_format_rule(&sc.rules[r], &sc, line, sizeof(line));
		if (o->json) {
			printf("%s{\"line\": %u, \"rule\": ", r ? ", " : "", sc.rules[r].line);
			json_string(stdout, line);
			printf(", \"flows\": %llu}", (unsigned long long)hits);
		} else {
			printf("  line %-4u %s  (%llu new flows)\n", sc.rules[r].line, line,
			       (unsigned long long)hits);
		}
	}
	printf(o->json ? "], \"schedules\": [" : "schedules:%s\n", pol.n_schedules ? "" : " none");
	for (__u32 i = 0; i < pol.n_schedules; i++) {
		const struct omr_policy_schedule *ps = &pol.schedules[i];

		schedule_format_published(ps, line, sizeof(line));
		if (o->json) {
			printf("%s{\"line\": %u, \"schedule\": ", i ? ", " : "", ps->line);
			json_string(stdout, line);
			printf(", \"open\": %s}", ps->open ? "true" : "false");
		} else {
			printf("  line %-4u %s%s\n", ps->line, line,
			       ps->open ? "  (open now: sets the weight)" : "");
		}
	}
	if (o->json)
		printf("]");
	if (classes_fd >= 0)
		close(classes_fd);
	if (hits_fd >= 0)
		close(hits_fd);
	if (policy_fd >= 0)
		close(policy_fd);
}

int cmd_status(const struct cli_opts *o)
{
	struct omr_meta meta = {};
	struct datapath dp;
	int err, pid, n = 0;

	err = datapath_open_pinned(&dp, o->pin_dir);
	if (err == -EPROTO)
		return EXIT_RUNTIME;	/* a pin that is not ours: said which */
	if (err && err != -ENOENT) {
		pr_err("cannot read the pins in %s: %s%s", o->pin_dir, strerror(-err),
		       err == -EACCES || err == -EPERM ? " (reading them needs root)" : "");
		return EXIT_RUNTIME;
	}
	if (err) {
		if (o->json) {
			printf("{\"loaded\": false, \"pin_dir\": ");
			json_string(stdout, o->pin_dir);
			printf("}\n");
		} else {
			printf("omr-steer is not loaded (no pins in %s)\n", o->pin_dir);
		}
		return EXIT_OK;
	}
	datapath_read_meta(&dp, &meta);
	pid = datapath_agent_pid(&dp);
	if (o->json) {
		printf("{\"loaded\": true, \"pin_dir\": ");
		json_string(stdout, o->pin_dir);
		printf(", \"agent_pid\": %d, \"agent_running\": %s, \"interval_ms\": %u, "
		       "\"config_generation\": %llu, \"wans\": [",
		       pid, pid ? "true" : "false", meta.interval_ms,
		       (unsigned long long)meta.config_generation);
	} else {
		printf("omr-steer: loaded, pins in %s\n", o->pin_dir);
		if (pid)
			printf("agent:     running (pid %d, up %llu s), interval %u ms, config generation %llu\n",
			       pid, (unsigned long long)((monotonic_ns() - meta.started_ns) / 1000000000ULL),
			       meta.interval_ms, (unsigned long long)meta.config_generation);
		else
			printf("agent:     not running (the datapath keeps counting on its last weights)\n");
		printf("wans:\n");
	}
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry e;
		char w[12], ew[12];

		if (datapath_read_wan(&dp, i, &e) || !(e.flags & OMR_WAN_F_CONFIGURED))
			continue;
		if (o->json) {
			printf("%s{\"name\": ", n ? ", " : "");
			json_string(stdout, e.name);
			printf(", \"ifindex\": %u, \"weight\": %s%s%s, \"effective_weight\": %u, "
			       "\"attach\": \"%s\", \"link_up\": %s, \"own_clsact\": %s}",
			       e.ifindex, e.weight == OMR_WEIGHT_AUTO ? "\"" : "",
			       weight_str(e.weight, w, sizeof(w)),
			       e.weight == OMR_WEIGHT_AUTO ? "\"" : "", e.effective_weight,
			       attach_state(&e), e.flags & OMR_WAN_F_UP ? "true" : "false",
			       e.flags & OMR_WAN_F_OWN_CLSACT ? "true" : "false");
		} else {
			printf("  %-15s ifindex %-4u weight %-5s effective %-5s %s, link %s%s\n",
			       e.name, e.ifindex, weight_str(e.weight, w, sizeof(w)),
			       weight_str(e.effective_weight, ew, sizeof(ew)), attach_state(&e),
			       e.flags & OMR_WAN_F_UP ? "up" : "down",
			       e.flags & OMR_WAN_F_OWN_CLSACT ? ", clsact created by omr-steer" : "");
		}
		n++;
	}
	print_mptcp(o);
	print_policy(o, &dp);
	if (o->json)
		printf("}\n");
	datapath_close(&dp);
	return pinned_map_refused() ? EXIT_RUNTIME : EXIT_OK;	/* a policy map not ours */
}
