#!/usr/bin/env bash
# VM benchmark: scripts/bench/mptcp_batch.sh in the test kernel, where the
# omr_steer scheduler runs: trap / endpoint flags / scheduler / ideal side by
# side in one run (links 6/18/12 Mbit/s, 12 concurrent 2 MB MPTCP uploads,
# weights 1:3:2).  Its lines are printed as # lines; run it with
#   scripts/vm/run tests/vm/bench_mptcp_batch.sh   (or scripts/bench/vm_mptcp.sh)
#
#   batch_targets  the scheduler's batch within 1.07x the ideal and no slower
#                  than the flags; the flags >= 4x the trap, within 1.3x the ideal
# Outside the VM (no OMR_VM=1 from scripts/vm/init) it only SKIPs.
# VM_TEST_TIMEOUT=360
set -u
cd "$(dirname "$0")/../.." || exit 1
if [ "${OMR_VM:-}" != 1 ]; then
	echo "SKIP batch_targets: runs inside the test VM only (make vmtest)"
	exit 0
fi
log=$(mktemp /tmp/bench_mptcp_batch.XXXXXX)
# line by line: what was measured shows even when the guest kills it at its timeout
RUNS=${BATCH_RUNS:-3} bash scripts/bench/mptcp_batch.sh 2>&1 | tee "$log" | sed -u 's/^/# /'
rc=${PIPESTATUS[0]}
out=$(cat "$log"); rm -f "$log"
if [ "$rc" = 0 ]; then
	echo "PASS batch_targets"
else
	echo "FAIL batch_targets: $(grep -E '^(result|scheduler median|flags median|mptcp_batch)' <<< "$out" | tr '\n' ';')"
fi
