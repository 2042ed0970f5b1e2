#!/usr/bin/env bash
# VM benchmark: the cost of one MPTCP scheduling decision, from the kernel's
# BPF run-time statistics (kernel.bpf_stats_enabled: run_time_ns and run_cnt
# of each program, bpftool prog show).  One bulk MPTCP upload from the router
# over three unshaped WANs with omr_steer at weights 1:3:2, then the same
# upload with bench_first (tests/vm/sched_first.bpf.c: new data always on the
# first subflow) selected instead; prints the mean ns per get_subflow call of
# each and their ratio.  Timings, so not part of `make test`; run it with
#   scripts/vm/run tests/vm/bench_mptcp_sched_cost.sh   (or scripts/bench/vm_mptcp.sh)
# Under TCG the nanoseconds are those of an emulated CPU (several times a
# real one's); the ratio is the figure to compare.
#
#   decision_cost  both schedulers ran (run_cnt > 0); the figures are # lines
# Outside the VM (no OMR_VM=1 from scripts/vm/init) it only SKIPs.
# VM_TEST_TIMEOUT=240
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=vc$$
. tests/net/lib.sh
. tests/vm/lib_mptcp.sh

vm_sched_only decision_cost

BYTES=${COST_BYTES:-24m}
FIRST=bench_first
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
trap 'rc=$?; sched_unregister_all omr_steer "$FIRST"; sysctl -qw kernel.bpf_stats_enabled="$stats_was"; (exit $rc); lab__on_exit' EXIT

selected() { [ "$(in_ns rtr sysctl -n net.mptcp.scheduler)" = "$1" ]; }
# prog_stats NAME: "RUN_TIME_NS RUN_CNT" of the struct_ops program NAME
prog_stats() {
	bpftool prog show -j | jq -r --arg n "$1" \
		'[.[] | select(.name == $n)][0] | "\(.run_time_ns // 0) \(.run_cnt // 0)"'
}
# prog_size NAME: "xlated X B, jited Y B" of the program NAME
prog_size() {
	bpftool prog show -j | jq -r --arg n "$1" \
		'[.[] | select(.name == $n)][0] | "xlated \(.bytes_xlated) B, jited \(.bytes_jited) B"'
}
# measure PROG: one upload; COST "MEAN_NS CALLS NS" of PROG over it
measure() {
	local t0 c0 t1 c1 out
	read -r t0 c0 <<< "$(prog_stats "$1")"
	out=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --mptcp --upload --bytes "$BYTES" --timeout 90 2>&1) ||
		{ lab_log "upload with $1 failed: $out"; return 1; }
	read -r t1 c1 <<< "$(prog_stats "$1")"
	COST="$(awk -v t=$((t1 - t0)) -v c=$((c1 - c0)) 'BEGIN { printf "%.0f", (c > 0 ? t / c : 0) }') $((c1 - c0)) $((t1 - t0))"
	UPLOAD="$(jq -c '{seconds, max_extra_subflows}' <<< "$out" 2>/dev/null); program $(prog_size "$1")"
}

lab_up --wans 3 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start "$LAB_PORT" --mptcp || { lab_fail setup "the MPTCP traffic server did not start"; exit 1; }
in_ns srv ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp limits set subflows 8 add_addr_accepted 8
for i in 1 2 3; do in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 "$i")" dev "wan$i" subflow; done
CONF=$LAB_TMP/omr-steer.conf
printf 'wan wan1 weight 1\nwan wan2 weight 3\nwan wan3 weight 2\n' > "$CONF"
load_slow "$CONF" || { lab_fail setup "the agent did not start: $(tail -n 5 "$LAB_AGENT_LOG" | tr '\n' ';')"; exit 1; }
lab_wait 20 selected omr_steer || { lab_fail setup "omr_steer is not selected"; exit 1; }
sysctl -qw kernel.bpf_stats_enabled=1

measure omr_get_subflow || { lab_fail decision_cost "the upload with omr_steer failed"; exit 1; }
read -r omr_ns omr_cnt omr_total <<< "$COST"
echo "# omr_steer (weights 1:3:2, 3 subflows): $omr_ns ns per get_subflow call, $omr_cnt calls, $omr_total ns in all; upload $BYTES $UPLOAD"

omr_stop
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1
obj=$LAB_TMP/sched_first.bpf.o
clang=$(scripts/clang.sh) || { lab_fail decision_cost "no clang to build $FIRST (scripts/clang.sh)"; exit 1; }
"$clang" -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ivmlinux/x86 -Iinclude -Ibpf \
	-c tests/vm/sched_first.bpf.c -o "$obj" || { lab_fail decision_cost "tests/vm/sched_first.bpf.c did not compile"; exit 1; }
bpftool struct_ops register "$obj" >&2 || { lab_fail decision_cost "bpftool struct_ops register $obj failed"; exit 1; }
in_ns rtr sysctl -qw net.mptcp.scheduler="$FIRST" || { lab_fail decision_cost "net.mptcp.scheduler=$FIRST failed"; exit 1; }

measure first_get_subflow || { lab_fail decision_cost "the upload with $FIRST failed"; exit 1; }
read -r first_ns first_cnt first_total <<< "$COST"
echo "# $FIRST (always the first subflow): $first_ns ns per get_subflow call, $first_cnt calls, $first_total ns in all; upload $BYTES $UPLOAD"
echo "# decision cost: omr_steer $omr_ns ns / call, $FIRST $first_ns ns / call, ratio $(awk -v a="$omr_ns" -v b="$first_ns" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') (bpf_jit_enable=$(sysctl -n net.core.bpf_jit_enable 2>/dev/null))"
if [ "$omr_cnt" -gt 0 ] && [ "$first_cnt" -gt 0 ]; then
	lab_pass decision_cost
else
	lab_fail decision_cost "a scheduler was not called: omr_steer $omr_cnt calls, $FIRST $first_cnt calls"
fi
lab_finish
