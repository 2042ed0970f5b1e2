#!/usr/bin/env bash
# Steering per-packet cost (issue 3): the egress program on its fast path
# (a known flow on the WAN its route chose: parse, one flow-table lookup)
# against a program that only counts (omr_count_only, the foundation's tc
# counting), each run 1,000,000 times in the kernel with BPF_PROG_TEST_RUN,
# five rounds interleaved, medians compared.  Target: ratio <= 1.5.
# The measurement is the BPF test steer_bench_fast_path_cost (tests/bpf).
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${TEST_BPF:-build/test_bpf}
[ -x "$bin" ] || { echo "steer_cost: $bin is missing (make build/test_bpf)" >&2; exit 1; }
out=$("$bin" steer_bench_fast_path_cost 2>&1)
line=$(grep '^# fast path' <<< "$out")
[ -n "$line" ] || { echo "steer_cost: no measurement:"; echo "$out"; exit 1; }
echo "  ${line#\# }"
if grep -q '^PASS steer_bench_fast_path_cost' <<< "$out"; then
	echo "  target met: ratio <= 1.5"
else
	grep -E '^(SKIP|FAIL)|want' <<< "$out" | sed 's/^/  /'
	echo "  target missed (or not measurable here)"
	exit 1
fi

# Application classes: the first packet of a new flow with 64 rules
# evaluated in full (none matching) against none (reported, no target).
out=$("$bin" steer_bench_class_rules_new_flow_cost 2>&1)
line=$(grep '^# new flow' <<< "$out")
[ -n "$line" ] || { echo "steer_cost: no class measurement:"; echo "$out"; exit 1; }
echo "  ${line#\# }"
