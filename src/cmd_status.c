// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `omr-steer status`: is the agent alive, where is it attached, in which modes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "datapath.h"
#include "log.h"
#include <linux/mptcp.h>
#include "mptcp.h"
#include "output.h"
#include "rates.h"
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

int cmd_status(const struct cli_opts *o)
{
	struct omr_meta meta = {};
	struct datapath dp;
	int err, pid, n = 0;

	err = datapath_open_pinned(&dp, o->pin_dir);
	if (err) {
		if (o->json)
			printf("{\"loaded\": false, \"pin_dir\": \"%s\"}\n", o->pin_dir);
		else
			printf("omr-steer is not loaded (no pins in %s)\n", o->pin_dir);
		return err == -ENOENT ? EXIT_OK : EXIT_RUNTIME;
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
	if (o->json)
		printf("}\n");
	datapath_close(&dp);
	return EXIT_OK;
}
