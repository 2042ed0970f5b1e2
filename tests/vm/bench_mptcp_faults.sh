#!/usr/bin/env bash
# VM benchmark: a WAN failing during an MPTCP upload under the omr_steer
# scheduler, next to the kernel's default scheduler on the same lab, twice
# each; the figures are the "# ..." lines (make test checks the behaviour
# once, under omr_steer: tests/vm/test_mptcp_sched_split.sh).  Run it with
#   scripts/vm/run tests/vm/bench_mptcp_faults.sh
#
#   faultsRUN_SCHED_link_down  wan2's link goes down during a 1:1:1 upload of
#                           160 MiB: the others carry the rest (wan2 < 1 %
#                           from then on) and the upload completes in 60 s
#   faultsRUN_SCHED_reinject  wan2 silently drops everything (netem loss
#                           100 %): the data stuck on it is sent again on the
#                           others (MPTcpExtMPTCPRetrans grows), the upload
#                           completes
# for SCHED omr_steer and default, RUN 1 and 2.  Each "# ..." line gives the longest time
# the other WANs sent nothing, the bytes per WAN after the fault and the
# router's segments sent (Tcp OutSegs; 160 MiB is about 116,000).
# VM_TEST_TIMEOUT=900
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=vf$$
. tests/net/lib.sh
. tests/vm/lib_mptcp.sh

vm_sched_only mptcp_faults
sched_trap omr_steer
mptcp_lab3 1 1 1

for run in 1 2; do for sched in omr_steer default; do
	in_ns rtr sysctl -qw net.mptcp.scheduler=$sched
	fault_mark
	fault_run "$LAB_SRV4" 160m wan2 "in_ns rtr ip link set wan2 down" "in_ns rtr ip link set wan2 up" "${WANS[@]}"
	fault_check "faults${run}_${sched}_link_down" "wan2 went down"
	lab_wait 10 lab__ping rtr "$LAB_SRV4" -I "$(lab_wan_addr4 2)"
	fault_mark
	fault_run "$LAB_SRV4" 160m wan2 "in_ns rtr tc qdisc replace dev wan2 root netem loss 100%" \
		"in_ns rtr tc qdisc del dev wan2 root" "${WANS[@]}"
	fault_check "faults${run}_${sched}_reinject" "wan2 started dropping everything"
done; done
omr_stop
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1
lab_finish
