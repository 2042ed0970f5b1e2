#!/usr/bin/env bash
# Harness self-test, in the guest: a test that never reports and never ends;
# the guest's per-test timeout must end it, and the next test must still run.
[ "${OMR_VM:-}" = 1 ] || { echo "SKIP silent: not in the test VM"; exit 0; }
echo "# guest_silent: sleeping forever" >&2
exec sleep infinity
