#!/usr/bin/env bash
# Harness self-test, in the guest: a kernel warning while the test runs (a
# line written into the kernel log, as WARN_ON() would print it) must fail
# the test even though the test itself passes.
[ "${OMR_VM:-}" = 1 ] || { echo "SKIP warn: not in the test VM"; exit 0; }
echo "WARNING: CPU: 0 PID: $$ at net/mptcp/omr_selftest.c:1 harness_selftest+0x0/0x10" > /dev/kmsg
echo "PASS warn_written"
