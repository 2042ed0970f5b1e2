#!/usr/bin/env bash
# Harness self-test, in the guest: hangs the guest's user space.  Every
# process (init, its heartbeat, the per-test timeout, this script) goes into
# one cgroup, which is then frozen: only the host's hang timeout can end this.
# VM_TEST_TIMEOUT=600
[ "${OMR_VM:-}" = 1 ] || { echo "SKIP hang: not in the test VM"; exit 0; }
cg=/sys/fs/cgroup/omr-vm-hang
echo "# guest_hang: freezing every process" >&2
mkdir -p "$cg" || exit 1
while read -r pid; do
	echo "$pid" > "$cg/cgroup.procs"	# kernel threads refuse: fine
done < /sys/fs/cgroup/cgroup.procs 2>/dev/null
echo 1 > "$cg/cgroup.freeze"
sleep 30	# frozen: never returns
echo "FAIL hang: the freeze did not stop this script"
