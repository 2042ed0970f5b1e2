#!/usr/bin/env bash
# VM benchmark: how the omr_steer BPF MPTCP scheduler splits MPTCP bulk
# uploads over the router's WANs, on the test kernel; the same measurements
# as tests/vm/test_mptcp_sched_split.sh (the WAN tx counters over a window
# after every subflow has joined, tests/vm/lib_mptcp.sh), over windows of 8 s
# instead of 4 and three runs, with no second try.  Ratios, so not part of
# `make test`; run it with
#   scripts/vm/run tests/vm/bench_mptcp_sched_shares.sh
# Each "# NAME: ..." line gives the shares and their worst deviation.
#
#   sharesN_1_1_0        weights 1:1:0 on three unshaped WANs: 50/50/0 (+-5)
#   sharesN_1_3_0_ipv6   weights 1:3:0 over IPv6 subflows: 25/75/0 (+-5)
#   sharesN_2_0_1        weights 2:0:1: 67/0/33 (+-5)
#   sharesN_1_3_shaped   wan1 12 Mbit/s, wan2 36 Mbit/s, weights 1:3: 25/75 (+-5)
#   sharesN_sighup       1:3 -> 3:1 by SIGHUP during an upload: from 2 s after
#                        the signal wan1 carries 75 % (+-10)
# Outside the VM (no OMR_VM=1 from scripts/vm/init) it only SKIPs.
# VM_TEST_TIMEOUT=600
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=vh$$
. tests/net/lib.sh
. tests/vm/lib_mptcp.sh

vm_sched_only mptcp_sched_shares
sched_trap omr_steer
mptcp_lab3 1 1 0

for run in 1 2 3; do
	weights 1 1 0; reload_applied
	upload_window "$LAB_SRV4" 8 "${WANS[@]}"; shares_check "shares${run}_1_1_0" "50 50 0"
	weights 1 3 0; reload_applied
	upload_window "$LAB_SRV6" 8 "${WANS[@]}"; shares_check "shares${run}_1_3_0_ipv6" "25 75 0"
	weights 2 0 1; reload_applied
	upload_window "$LAB_SRV4" 8 "${WANS[@]}"; shares_check "shares${run}_2_0_1" "67 0 33"
	lab_shape rtr wan1 12mbit; lab_shape rtr wan2 36mbit
	weights 1 3 0; reload_applied
	upload_window "$LAB_SRV4" 8 "${WANS[@]}"; shares_check "shares${run}_1_3_shaped" "25 75 0"
	lab_shape rtr wan1 -; lab_shape rtr wan2 -
	sighup_split_run "$LAB_SRV4" weights "1 3 0" "3 1 0" "${WANS[@]}"
	shares_check "shares${run}_sighup" "75 25 0" 10
done
omr_stop
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1
lab_finish
