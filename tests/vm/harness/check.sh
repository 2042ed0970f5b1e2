#!/usr/bin/env bash
# Self-test of the VM harness (scripts/vm/run), on the host: three short VM
# runs whose guests misbehave on purpose (tests/vm/harness/guest_*.sh), and
# the one FAIL line each misbehaviour must give, naming what happened.
#   silent_test_ends   a test that never ends: killed by the guest's per-test
#                      timeout, a FAIL for it, and the next test still runs
#   hung_guest_ends    a guest that stops (every process frozen): a FAIL
#                      "the guest hung" from the host's heartbeat timeout
#   kernel_warning_fails  a kernel warning while a test runs: a FAIL for the
#                      test, though the test passed
#   panic_ends         a kernel panic in a test (sysrq c): a FAIL "kernel
#                      panic", the tests after it are SKIPped as not run
#   boot_panic_ends    init=/nonexistent: a FAIL "kernel panic" before the
#                      first test, which is then not run
# Every run is bounded by `timeout`: a harness that hangs fails here.
set -u
cd "$(dirname "$0")/../../.." || exit 1
H=tests/vm/harness
failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

# vmrun NAME EXPECTED-STATUS VAR=VALUE... -- TESTS...: run the harness;
# sets OUT (its stdout) and RC; FAILs NAME when it hangs or its status differs.
vmrun() {
	local name=$1 want=$2 env=()
	shift 2
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	local start=$SECONDS
	OUT=$(env "${env[@]}" timeout -k 5 240 scripts/vm/run "$@" 2>"$ERR")
	RC=$?
	echo "# $name: scripts/vm/run ended in $((SECONDS - start)) s with status $RC" >&2
	if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
		fail "$name" "scripts/vm/run did not end within 240 s"; return 1
	fi
	if [ "$RC" != "$want" ]; then
		fail "$name" "scripts/vm/run exited $RC, want $want; its output: $(tr '\n' '|' <<< "$OUT")"
		return 1
	fi
}
# has NAME REGEX: OUT has a line matching REGEX, else FAIL NAME
has() {
	grep -qE "$2" <<< "$OUT" && return 0
	fail "$1" "no line like '$2' in: $(tr '\n' '|' <<< "$OUT")"
	sed 's/^/# /' "$ERR" >&2
	return 1
}

ERR=$(mktemp /tmp/omr-vmcheck.XXXXXX)
trap 'rm -f "$ERR"' EXIT

probe=$(scripts/vm/run --check 2>&1)
if [ -n "$probe" ]; then
	echo "SKIP vm_harness: ${probe#SKIP vm: }"
	exit 0
fi

if vmrun silent_test_ends 1 VM_TEST_TIMEOUT=3 -- \
	"$H/guest_pass.sh" "$H/guest_silent.sh" "$H/guest_warn.sh" "$H/guest_pass.sh" \
	"$H/guest_panic.sh" "$H/guest_pass.sh"; then
	if has silent_test_ends '^FAIL guest_silent: no end within VM_TEST_TIMEOUT=3 s'; then
		if [ "$(grep -c '^PASS guest_pass/ran in ' <<< "$OUT")" = 2 ]; then
			pass silent_test_ends
		else
			fail silent_test_ends "want a 'PASS guest_pass/ran' line before and after it: $(tr '\n' '|' <<< "$OUT")"
		fi
	fi
	has kernel_warning_fails '^FAIL guest_warn: the kernel warned while it ran: WARNING: CPU: 0 PID: [0-9]+ at net/mptcp/omr_selftest.c:1' &&
	has kernel_warning_fails '^PASS guest_warn/warn_written$' && pass kernel_warning_fails
	has panic_ends '^FAIL guest_panic: kernel panic \(sysrq triggered crash\), while it ran$' &&
	has panic_ends '^SKIP guest_pass: not run' && pass panic_ends
fi

if vmrun hung_guest_ends 1 VM_HANG_TIMEOUT=15 -- "$H/guest_hang.sh"; then
	has hung_guest_ends '^FAIL guest_hang: the guest hung: no heartbeat for 15 s, while it ran$' &&
		pass hung_guest_ends
fi

# one CPU: with two, the emulated CPUs now and then trip over the kernel
# patching its code at the time init is started ("Oops: int3" in
# sched_clock_cpu, 2 of 4 fresh-check runs), which replaces the panic
# this checks (scripts/vm/run boots once more after the first crash, and
# the intended panic comes first here)
if vmrun boot_panic_ends 1 VM_SMP=1 VM_CMDLINE=init=/nonexistent -- "$H/guest_pass.sh"; then
	has boot_panic_ends '^FAIL vm: kernel panic \(Requested init /nonexistent failed.*\), before .*guest_pass.sh started$' &&
	pass boot_panic_ends
fi
[ $failed = 0 ]
