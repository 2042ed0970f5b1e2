#!/usr/bin/env bash
# VM test (make vmtest): the test kernel has what the VM tests rely on, and
# the MPTCP network test passes in it unchanged.
#
#   btf_mptcp_sched_ops   BTF has struct bpf_struct_ops_mptcp_sched_ops (the
#                         BPF MPTCP scheduler hook)
#   mptcp_schedulers      net.mptcp.available_schedulers lists "default"
#   netem_in_namespace    a netem qdisc with a delay goes on a veth in a
#                         namespace, and a ping through it takes that long
#   mptcp_trap/...        tests/net/test_mptcp_trap.sh, run here
# Outside the VM (no OMR_VM=1 from scripts/vm/init) it only SKIPs.
# VM_TEST_TIMEOUT=420  (the MPTCP test takes ~3 min in TCG on a busy host)
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=vk$$
. tests/net/lib.sh

if [ "${OMR_VM:-}" != 1 ]; then
	lab_skip vm_kernel "runs inside the test VM only (make vmtest)"
	exit 0
fi

btf=/sys/kernel/btf/vmlinux
if [ ! -r "$btf" ]; then
	lab_fail btf_mptcp_sched_ops "no $btf: the kernel needs CONFIG_DEBUG_INFO_BTF=y"
elif bpftool btf dump file "$btf" | grep -q "^\[[0-9]*\] STRUCT 'bpf_struct_ops_mptcp_sched_ops'"; then
	lab_pass btf_mptcp_sched_ops
else
	lab_fail btf_mptcp_sched_ops "$btf has no struct bpf_struct_ops_mptcp_sched_ops: the kernel lacks the BPF MPTCP scheduler patches (../shared/vm/build-kernel.sh)"
fi

scheds=$(sysctl -n net.mptcp.available_schedulers 2>/dev/null)
if [[ " $scheds " == *" default "* ]]; then
	lab_pass mptcp_schedulers
else
	lab_fail mptcp_schedulers "net.mptcp.available_schedulers is '${scheds:-missing}', want a list with 'default' (CONFIG_MPTCP)"
fi

# netem: two namespaces named after lab roles, so that lab_down removes them
DELAY_MS=100
netem_check() {
	local a=$LAB_LAN b=$LAB_SRV rtt
	{ ip netns add "$a" && ip netns add "$b"; } || { echo "ip netns add failed" >&2; return 1; }
	ip -n "$a" link add veth0 type veth peer name veth1 netns "$b" || return 1
	{ ip -n "$a" addr add 10.99.0.1/24 dev veth0 && ip -n "$b" addr add 10.99.0.2/24 dev veth1; } || return 1
	{ ip -n "$a" link set veth0 up && ip -n "$b" link set veth1 up; } || return 1
	if ! ip netns exec "$a" tc qdisc add dev veth0 root netem delay "${DELAY_MS}ms"; then
		echo "tc qdisc add ... netem failed (CONFIG_NET_SCH_NETEM)" >&2
		return 1
	fi
	ip netns exec "$a" tc qdisc show dev veth0 | grep -q "netem .*delay ${DELAY_MS}" ||
		{ echo "tc qdisc show has no netem delay ${DELAY_MS}ms" >&2; return 1; }
	rtt=$(ip netns exec "$a" ping -c 1 -W 10 10.99.0.2 | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
	[ -n "$rtt" ] || { echo "no ping reply through the netem qdisc" >&2; return 1; }
	lab_log "ping through netem delay ${DELAY_MS}ms: rtt ${rtt} ms"
	awk -v r="$rtt" -v d="$DELAY_MS" 'BEGIN { exit !(r >= d) }' ||
		{ echo "ping rtt $rtt ms is below the netem delay $DELAY_MS ms: netem does not delay" >&2; return 1; }
}
if netem_check; then
	lab_pass netem_in_namespace
else
	lab_fail netem_in_namespace "no working netem qdisc on a veth in a namespace (see stderr)"
fi
lab_down

# an existing network test, as it is: its lines named mptcp_trap/...
out=$(mktemp /tmp/vk-trap.XXXXXX)
bash tests/net/test_mptcp_trap.sh > "$out"
rc=$?
sed 's#^\(PASS\|FAIL\|SKIP\) #\1 mptcp_trap/#' "$out"
fails=$(grep -c '^FAIL ' "$out")
LAB_FAILED=$((LAB_FAILED + fails))
[ "$rc" -eq 0 ] || [ "$fails" -gt 0 ] || lab_fail mptcp_trap "tests/net/test_mptcp_trap.sh exited with status $rc"
rm -f "$out"
lab_finish
