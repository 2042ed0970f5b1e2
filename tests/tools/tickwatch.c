// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tickwatch: how regularly the agent's control loop runs, seen from outside.
 * The agent stamps every sample into wan_table (rate_stamp_ns, CLOCK_MONOTONIC
 * read at the start of sample()); this polls that pinned map every 0.5 ms for
 * SECONDS and reports the spacing of the stamps against INTERVAL_MS:
 *
 *   tickwatch PIN_DIR INTERVAL_MS SECONDS
 *   ticks=98 mean_us=100001 jitter_p50_us=48 jitter_p90_us=900 jitter_p99_us=15372 jitter_max_us=15372
 *
 * jitter = |spacing - interval|.  For scripts/bench/metrics_cost.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include "omr_steer_abi.h"

#define MAX_TICKS 100000

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static __u64 stamps[MAX_TICKS], jitter[MAX_TICKS];
	char path[4096];
	union bpf_attr attr;
	struct wan_entry e;
	__u64 interval_ns, end, sum = 0, last = 0;
	__u32 key = 0;
	int fd, n = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: tickwatch PIN_DIR INTERVAL_MS SECONDS\n");
		return 2;
	}
	interval_ns = strtoull(argv[2], NULL, 10) * 1000000ULL;
	snprintf(path, sizeof(path), "%s/%s", argv[1], OMR_MAP_WAN_TABLE);
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (__u64)(unsigned long)path;
	fd = (int)sys_bpf(BPF_OBJ_GET, &attr);
	if (fd < 0) {
		fprintf(stderr, "tickwatch: %s: %s\n", path, strerror(errno));
		return 1;
	}
	end = now_ns() + strtoull(argv[3], NULL, 10) * 1000000000ULL;
	while (now_ns() < end && n < MAX_TICKS) {
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = fd;
		attr.key = (__u64)(unsigned long)&key;
		attr.value = (__u64)(unsigned long)&e;
		if (!sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) && e.rate_stamp_ns != last) {
			last = e.rate_stamp_ns;
			stamps[n++] = last;
		}
		usleep(500);
	}
	if (n < 3) {
		fprintf(stderr, "tickwatch: only %d samples seen: is the agent running?\n", n);
		return 1;
	}
	/* the first stamp may be older than the watch: skip it */
	for (int i = 2; i < n; i++) {
		__u64 d = stamps[i] - stamps[i - 1];

		sum += d;
		jitter[i - 2] = d > interval_ns ? d - interval_ns : interval_ns - d;
	}
	n -= 2;
	qsort(jitter, n, sizeof(jitter[0]), cmp_u64);
	printf("ticks=%d mean_us=%llu jitter_p50_us=%llu jitter_p90_us=%llu jitter_p99_us=%llu "
	       "jitter_max_us=%llu\n",
	       n, (unsigned long long)(sum / n / 1000), (unsigned long long)(jitter[n / 2] / 1000),
	       (unsigned long long)(jitter[(n * 9) / 10] / 1000),
	       (unsigned long long)(jitter[(n * 99) / 100] / 1000),
	       (unsigned long long)(jitter[n - 1] / 1000));
	return 0;
}
