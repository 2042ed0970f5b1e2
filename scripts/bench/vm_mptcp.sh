#!/usr/bin/env bash
# The MPTCP scheduler benchmarks inside the test VM (issue 10), where the
# kernel has the BPF MPTCP scheduler hook: each runs in its own
# scripts/vm/run (TCG by default; VM_KERNEL, VM_ACCEL as for make vmtest),
# and its figures are the "# NAME: ..." lines.
#   tests/vm/bench_mptcp_batch.sh        trap / endpoint flags / omr_steer / ideal,
#                                        6/18/12 Mbit/s, 12 x 2 MB uploads, weights 1:3:2
#   tests/vm/bench_mptcp_sched_shares.sh per-WAN byte shares against the weights
#                                        (1:1:0, IPv6 1:3:0, 2:0:1, shaped 1:3, SIGHUP), three runs
#   tests/vm/bench_mptcp_faults.sh       a WAN going down / dropping everything mid-upload:
#                                        omr_steer against the kernel's default scheduler
#   tests/vm/bench_mptcp_sched_cost.sh   mean ns per get_subflow call (kernel.bpf_stats_enabled):
#                                        omr_steer against a first-subflow scheduler
# Without the VM kernel or qemu it says what is missing and succeeds.
#   VM_BENCHES="tests/vm/bench_mptcp_sched_cost.sh" scripts/bench/vm_mptcp.sh   one of them
set -u
cd "$(dirname "$0")/../.." || exit 1
check=$(scripts/vm/run --check)
if [ -n "$check" ]; then
	echo "not measured: ${check#SKIP vm: }"
	exit 0
fi
for f in build/omr-steer build/tools/trafgen; do
	[ -x "$f" ] || { echo "vm_mptcp: $f is missing (make $f)" >&2; exit 1; }
done
read -r -a benches <<< "${VM_BENCHES:-tests/vm/bench_mptcp_batch.sh tests/vm/bench_mptcp_sched_shares.sh tests/vm/bench_mptcp_faults.sh tests/vm/bench_mptcp_sched_cost.sh}"
# a loaded host once made the guest's boot-time timer check fail (kernel
# panic "IO-APIC + timer doesn't work") under TCG: skip that check
export VM_CMDLINE=${VM_CMDLINE:-no_timer_check}
rc=0
for b in "${benches[@]}"; do
	echo "-- $b (scripts/vm/run $b)"
	scripts/vm/run "$b" 2>&1 || rc=1
done
exit $rc
