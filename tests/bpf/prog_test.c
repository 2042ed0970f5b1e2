// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/if_ether.h>
#include "prog_test.h"
#include "test.h"

struct steer_bpf *steer_load_unpinned(void)
{
	struct steer_bpf *skel = steer_bpf__open();
	struct bpf_map *map;

	if (!skel) {
		test_skip("cannot open the BPF object");
		return NULL;
	}
	struct stat st;

	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	/* the transmit counter only counts devices of this network namespace */
	if (!stat("/proc/self/ns/net", &st))
		skel->rodata->wan_netns_ino = (__u32)st.st_ino;
	if (steer_bpf__load(skel)) {
		steer_bpf__destroy(skel);
		test_skip("the kernel refused to load the datapath (not root?)");
		return NULL;
	}
	return skel;
}

int prog_run(int prog_fd, const void *pkt, __u32 len, void *out, __u32 *out_len,
	     __u32 *retval, __u32 ifindex)
{
	struct __sk_buff ctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = out_len ? *out_len : 0,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	if (err)
		return -errno;
	*retval = opts.retval;
	if (out_len)
		*out_len = opts.data_size_out;
	return 0;
}

int counters_sum(struct steer_bpf *skel, __u32 wan_idx, struct wan_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct wan_counters percpu[ncpus];

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.wan_counters), &wan_idx, percpu))
		return -errno;
	for (int i = 0; i < ncpus; i++) {
		sum->tx_bytes += percpu[i].tx_bytes;
		sum->tx_packets += percpu[i].tx_packets;
		sum->rx_bytes += percpu[i].rx_bytes;
		sum->rx_packets += percpu[i].rx_packets;
	}
	return 0;
}
