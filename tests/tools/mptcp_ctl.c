// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mptcp_ctl: drives src/mptcp*.c from the network tests and the benchmark
 * until `omr-steer load/unload` does it.  Acts on the network namespace it
 * runs in (use nsenter --net=/run/netns/NAME, which keeps the mount
 * namespace, so that PIN_DIR is the same bpffs for every call).
 *
 *   mptcp_ctl probe
 *   mptcp_ctl list
 *   mptcp_ctl start   PIN_DIR [--no-scheduler]
 *   mptcp_ctl apply   PIN_DIR IFNAME:WEIGHT...   (wan_idx = position)
 *   mptcp_ctl status  PIN_DIR
 *   mptcp_ctl restore PIN_DIR
 *
 * Exit status: 0 success, 1 failure, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mptcp.h>

#include "mptcp.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: mptcp_ctl probe | list | start PIN_DIR [--no-scheduler] |\n"
		"       apply PIN_DIR IFNAME:WEIGHT... | status PIN_DIR | restore PIN_DIR\n");
	return 2;
}

static void print_endpoint(const struct mptcp_endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN] = "-", ifname[IF_NAMESIZE] = "-";

	if (ep->addr.family)
		inet_ntop(ep->addr.family, ep->addr.addr, addr, sizeof(addr));
	if (ep->ifindex > 0 && !if_indextoname((unsigned int)ep->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "#%d", ep->ifindex);
	printf("id %u addr %s dev %s flags 0x%x%s\n", ep->id, addr, ifname, ep->flags,
	       ep->flags & MPTCP_PM_ADDR_FLAG_BACKUP ? " backup" : "");
}

int main(int argc, char **argv)
{
	struct mptcp_support sup;
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *pin_dir = argc > 2 ? argv[2] : NULL;
	int ret;

	if (!strcmp(cmd, "probe")) {
		mptcp_probe(&sup);
		printf("mode: %s\nreason: %s\nscheduler: %s\navailable: %s\n",
		       mptcp_mode_name(sup.mode), sup.reason, sup.scheduler, sup.available);
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
		int n = mptcp_pm_list(eps, OMR_MAX_MPTCP_ENDPOINTS);

		if (n < 0) {
			fprintf(stderr, "mptcp_ctl: listing MPTCP endpoints: %s\n", strerror(-n));
			return 1;
		}
		for (int i = 0; i < n && i < OMR_MAX_MPTCP_ENDPOINTS; i++)
			print_endpoint(&eps[i]);
		return 0;
	}
	if (!pin_dir)
		return usage();
	mptcp_probe(&sup);

	if (!strcmp(cmd, "start")) {
		bool use_scheduler = !(argc > 3 && !strcmp(argv[3], "--no-scheduler"));
		char msg[512];

		ret = mptcp_start(pin_dir, &sup, use_scheduler, msg, sizeof(msg));
		if (ret < 0) {
			fprintf(stderr, "mptcp_ctl: start under %s: %s\n", pin_dir, strerror(-ret));
			return 1;
		}
		printf("mode: %s\n", mptcp_mode_name((enum mptcp_mode)ret));
		if (msg[0])
			printf("note: %s\n", msg);
		return 0;
	}
	if (!strcmp(cmd, "apply")) {
		struct mptcp_wan wans[OMR_MAX_WANS];
		int n = 0;

		for (int i = 3; i < argc && n < OMR_MAX_WANS; i++, n++) {
			char *colon = strchr(argv[i], ':');

			if (!colon || colon == argv[i] || (size_t)(colon - argv[i]) >= OMR_IFNAMSIZ)
				return usage();
			memset(&wans[n], 0, sizeof(wans[n]));
			memcpy(wans[n].name, argv[i], (size_t)(colon - argv[i]));
			wans[n].wan_idx = (__u32)n;
			wans[n].weight = (__u32)strtoul(colon + 1, NULL, 10);
			wans[n].ifindex = if_nametoindex(wans[n].name);
		}
		ret = mptcp_apply_weights(pin_dir, &sup, wans, n);
		if (ret < 0) {
			fprintf(stderr, "mptcp_ctl: apply under %s: %s\n", pin_dir, strerror(-ret));
			return 1;
		}
		printf("changed: %d\n", ret);
		return 0;
	}
	if (!strcmp(cmd, "status")) {
		struct mptcp_status *st = calloc(1, sizeof(*st));

		if (!st)
			return 1;
		mptcp_status(pin_dir, st);
		printf("mode: %s\nreason: %s\nrecorded: %s\nscheduler registered: %s\n"
		       "previous scheduler: %s\nmanaged endpoints: %d\n",
		       mptcp_mode_name(st->sup.mode), st->sup.reason, mptcp_mode_name(st->mode),
		       st->scheduler_registered ? "yes" : "no",
		       st->previous_scheduler[0] ? st->previous_scheduler : "-", st->n_managed);
		for (int i = 0; i < st->n_managed; i++) {
			printf("  original flags 0x%x, now: ", st->managed[i].original_flags);
			print_endpoint(&st->managed[i].endpoint);
		}
		free(st);
		return 0;
	}
	if (!strcmp(cmd, "restore")) {
		ret = mptcp_restore(pin_dir);
		if (ret < 0) {
			fprintf(stderr, "mptcp_ctl: restore under %s: %s\n", pin_dir, strerror(-ret));
			return 1;
		}
		printf("restored\n");
		return 0;
	}
	return usage();
}
