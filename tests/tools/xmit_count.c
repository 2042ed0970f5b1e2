// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test tool: a second transmit counter beside the agent's, for the tests
 * that compare omr-steer's tx counts with the interface's.  Loads omr_xmit
 * alone from the steer skeleton with maps of its own, counting the devices
 * IFINDEX... (WAN slot 0, 1, ...) of the network namespace NETNS_INODE, pins
 * its wan_counters at PIN (read it with bpftool map lookup pinned), and runs
 * until SIGINT/SIGTERM or MAX_SECONDS.  It sees what the kernel lets a BPF
 * tracing program on net_dev_xmit see: where that is less than the interface
 * counts (a kernel that skips BPF tracing in some contexts, README "known
 * limits"), the tests tell such a kernel from a miscount of omr-steer's.
 *   xmit_count PIN MAX_SECONDS NETNS_INODE IFINDEX...
 *   xmit_count --read PIN SLOT     prints "TX_BYTES TX_PACKETS" of a slot
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "omr_steer_abi.h"
#include "steer.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int read_slot(const char *pin, __u32 slot)
{
	int ncpus = libbpf_num_possible_cpus(), fd;
	struct wan_counters *c;
	__u64 bytes = 0, packets = 0;

	fd = bpf_obj_get(pin);
	if (fd < 0 || ncpus <= 0) {
		fprintf(stderr, "xmit_count: cannot open %s: %s\n", pin, strerror(errno));
		return 1;
	}
	c = calloc(ncpus, sizeof(*c));
	if (!c || bpf_map_lookup_elem(fd, &slot, c)) {
		fprintf(stderr, "xmit_count: cannot read slot %u of %s: %s\n", slot, pin, strerror(errno));
		free(c);
		close(fd);
		return 1;
	}
	for (int i = 0; i < ncpus; i++) {
		bytes += c[i].tx_bytes;
		packets += c[i].tx_packets;
	}
	printf("%llu %llu\n", (unsigned long long)bytes, (unsigned long long)packets);
	free(c);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct steer_bpf *skel;
	struct bpf_link *link;
	struct bpf_map *map;
	int err, secs;

	if (argc == 4 && !strcmp(argv[1], "--read"))
		return read_slot(argv[2], strtoul(argv[3], NULL, 10));
	if (argc < 5) {
		fprintf(stderr, "usage: xmit_count PIN MAX_SECONDS NETNS_INODE IFINDEX...\n"
			"       xmit_count --read PIN SLOT\n");
		return 2;
	}
	secs = atoi(argv[2]);
	skel = steer_bpf__open();
	if (!skel) {
		fprintf(stderr, "xmit_count: cannot open the steer skeleton: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);	/* maps of its own, never the agent's */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.omr_xmit);
	skel->rodata->wan_netns_ino = strtoul(argv[3], NULL, 10);
	if (steer_bpf__load(skel)) {
		fprintf(stderr, "xmit_count: cannot load omr_xmit: %s\n", strerror(errno));
		goto fail;
	}
	for (int i = 4; i < argc; i++) {
		__u32 ifindex = strtoul(argv[i], NULL, 10), wan = i - 4;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.wan_ifindex), &ifindex, &wan, BPF_ANY)) {
			fprintf(stderr, "xmit_count: cannot map ifindex %u: %s\n", ifindex, strerror(errno));
			goto fail;
		}
	}
	unlink(argv[1]);
	err = bpf_map__pin(skel->maps.wan_counters, argv[1]);
	if (err) {
		fprintf(stderr, "xmit_count: cannot pin the counters at %s: %s\n", argv[1], strerror(-err));
		goto fail;
	}
	link = bpf_program__attach(skel->progs.omr_xmit);
	if (!link) {
		fprintf(stderr, "xmit_count: cannot attach omr_xmit: %s\n", strerror(errno));
		unlink(argv[1]);
		goto fail;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < secs * 10 && !stop; i++)
		usleep(100000);
	unlink(argv[1]);
	bpf_link__destroy(link);
	steer_bpf__destroy(skel);
	return 0;
fail:
	steer_bpf__destroy(skel);
	return 1;
}
