#!/usr/bin/env bash
# The agent's flow-table aging (issue 9): one sync of the agent with a full
# default-size table, 32768 translated flows (65536 entries), while they
# are live and when they all expire at once, against an empty table.  The
# scan reads the table in batches of 1024 and looks a flow's partner entry
# up only when the flow looks finished.  Reported, no target.
# The measurement is the BPF test steering_bench_aging_scan (tests/bpf).
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${TEST_BPF:-build/test_bpf}
[ -x "$bin" ] || { echo "flow_aging: $bin is missing (make build/test_bpf)" >&2; exit 1; }
out=$("$bin" steering_bench_aging_scan 2>&1)
line=$(grep '^# aging scan' <<< "$out")
[ -n "$line" ] || { echo "flow_aging: no measurement:"; echo "$out"; exit 1; }
echo "  ${line#\# }"
grep -q '^PASS steering_bench_aging_scan' <<< "$out" || { grep -E '^(SKIP|FAIL)' <<< "$out"; exit 1; }
