#!/usr/bin/env bash
# VM test (make vmtest): how the omr_steer BPF MPTCP scheduler splits MPTCP
# uploads from the router over three WANs, on the test kernel (the hook).
# Shares are the bytes each subflow had acknowledged over a window after
# the subflows have joined (tests/vm/lib_mptcp.sh says why and how).
#
# (a split more than 5 points off is measured once more: see split_check)
#   split_1_1_0           weights 1:1:0, IPv4 subflows: 50/50/0 (+-5 points)
#   split_weight0_idle    ... and wan3 (weight 0) carries no data (< 1 %)
#   split_1_3_0           weights 1:3:0: 25/75/0 (+-5)
#   split_2_0_1           weights 2:0:1: 67/0/33 (+-5)
#   split_1_3_shaped      wan1 12 Mbit/s, wan2 36 Mbit/s (the weight ratio),
#                         weights 1:3:0: 25/75/0 (+-5)
#   split_1_3_0_ipv6      the same over IPv6 subflows
#   split_sighup_moves    a running upload at 1:3:0, weights 3:1:0 written and
#                         SIGHUP: in the 2 s from 2 s after the signal wan1
#                         carries 75 % (+-15: it is catching up on its new share)
#   split_link_down       wan2's link goes down during a 1:1:1 upload of 160
#                         MiB: the others carry the rest (wan2 < 1 % from
#                         then on) and the upload completes
#   split_reinject        wan2 silently drops everything (netem loss 100 %)
#                         during the same: the others carry the rest and the
#                         upload completes, so what was in flight on wan2 was
#                         sent again on them
# How long the other WANs went without bytes after the fault is printed, not
# checked (TCG timing); tests/vm/bench_mptcp_faults.sh compares it with the
# kernel's default scheduler.
# Outside the VM (no OMR_VM=1 from scripts/vm/init) it only SKIPs.
# VM_TEST_TIMEOUT=420
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=vp$$
. tests/net/lib.sh
. tests/vm/lib_mptcp.sh

vm_sched_only mptcp_sched_split
sched_trap omr_steer
mptcp_lab3 1 1 0
sched_selected() { [ "$(in_ns rtr sysctl -n net.mptcp.scheduler)" = omr_steer ]; }
lab_wait 20 sched_selected ||
	{ lab_fail setup "omr_steer is not selected: $(grep MPTCP "$LAB_AGENT_LOG" | tr '\n' ';')"; exit 1; }

# ---- shares by weight --------------------------------------------------------------------

split_check split_1_1_0 "50 50 0" "$LAB_SRV4" "${WANS[@]}"
read -r _ _ s3 <<< "$SHARES"
if [ "${s3:-100}" -lt 1 ]; then
	lab_pass split_weight0_idle
else
	lab_fail split_weight0_idle "wan3 (weight 0) carried ${s3:-?} % of the bytes ($SHARES over $WINDOW)"
fi

weights 1 3 0; reload_applied
split_check split_1_3_0 "25 75 0" "$LAB_SRV4" "${WANS[@]}"

weights 2 0 1; reload_applied
split_check split_2_0_1 "67 0 33" "$LAB_SRV4" "${WANS[@]}"

lab_shape rtr wan1 12mbit
lab_shape rtr wan2 36mbit
weights 1 3 0; reload_applied
split_check split_1_3_shaped "25 75 0" "$LAB_SRV4" "${WANS[@]}"
split_check split_1_3_0_ipv6 "25 75 0" "$LAB_SRV6" "${WANS[@]}"
lab_shape rtr wan1 -
lab_shape rtr wan2 -

# ---- a weight change moves the split of a running connection ------------------------------

sighup_split_run "$LAB_SRV4" weights "1 3 0" "3 1 0" "${WANS[@]}"
shares_check split_sighup_moves "75 25 0" 15

# ---- a WAN fails during an upload -----------------------------------------------------------

weights 1 1 1; reload_applied
fault_mark
fault_run "$LAB_SRV4" 160m wan2 "in_ns rtr ip link set wan2 down" "in_ns rtr ip link set wan2 up" "${WANS[@]}"
fault_check split_link_down "wan2 went down"
lab_wait 10 lab__ping rtr "$LAB_SRV4" -I "$(lab_wan_addr4 2)"
fault_mark
fault_run "$LAB_SRV4" 160m wan2 "in_ns rtr tc qdisc replace dev wan2 root netem loss 100%" \
	"in_ns rtr tc qdisc del dev wan2 root" "${WANS[@]}"
fault_check split_reinject "wan2 started dropping everything"

omr_stop
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1
lab_finish
