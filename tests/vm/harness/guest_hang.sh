#!/usr/bin/env bash
# Harness self-test, in the guest: hangs the guest.  A real-time busy loop on
# every CPU, with no RT throttling and no fair server (6.12 reserves 5 % of
# each CPU for normal tasks), starves init, its heartbeat and the per-test
# timeout: only the host's hang timeout can end this.
# VM_TEST_TIMEOUT=600
[ "${OMR_VM:-}" = 1 ] || { echo "SKIP hang: not in the test VM"; exit 0; }
echo "# guest_hang: starving every CPU" >&2
echo -1 > /proc/sys/kernel/sched_rt_runtime_us
for f in /sys/kernel/debug/sched/fair_server/cpu*/runtime; do
	[ -e "$f" ] && echo 0 > "$f"
done
for ((c = 0; c < $(nproc); c++)); do
	taskset -c "$c" chrt -f 99 bash -c 'while :; do :; done' &
done
wait
