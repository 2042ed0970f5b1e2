#!/usr/bin/env bash
# Harness self-test, in the guest: crashes the kernel (sysrq c).
[ "${OMR_VM:-}" = 1 ] || { echo "SKIP panic: not in the test VM"; exit 0; }
echo "# guest_panic: crashing the kernel" >&2
echo c > /proc/sysrq-trigger
sleep 60
