// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Diagnostic tool (scripts/lab/xmit_trace_check.sh --churn): another
 * omr-steer's transmit counter coming and going.  Loads omr_xmit alone from
 * the steer skeleton (its wan_netns_ino left 0: it counts nothing, as an
 * agent of another namespace) and attaches and detaches it to
 * tp_btf/net_dev_xmit COUNT times, PAUSE_US apart, then prints the number of
 * attach/detach cycles done (also when stopped early by SIGINT/SIGTERM).
 *   xmit_churn COUNT PAUSE_US MAX_SECONDS
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "steer.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	struct steer_bpf *skel;
	long count, pause_us, i;
	double end;

	if (argc != 4) {
		fprintf(stderr, "usage: xmit_churn COUNT PAUSE_US MAX_SECONDS\n");
		return 2;
	}
	count = atol(argv[1]);
	pause_us = atol(argv[2]);
	end = now() + atof(argv[3]);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = steer_bpf__open();
	if (!skel) {
		fprintf(stderr, "xmit_churn: cannot open the steer skeleton: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);	/* maps of its own, never pinned */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.omr_xmit);
	if (steer_bpf__load(skel)) {
		fprintf(stderr, "xmit_churn: cannot load omr_xmit: %s\n", strerror(errno));
		steer_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < count && !stop && now() < end; i++) {
		struct bpf_link *link = bpf_program__attach(skel->progs.omr_xmit);

		if (!link) {
			fprintf(stderr, "xmit_churn: attach %ld failed: %s\n", i, strerror(errno));
			break;
		}
		if (pause_us)
			usleep(pause_us);
		bpf_link__destroy(link);
		if (pause_us)
			usleep(pause_us);
	}
	printf("%ld\n", i);
	steer_bpf__destroy(skel);
	return 0;
}
