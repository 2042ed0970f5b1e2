#!/usr/bin/env bash
# VM test (make vmtest): the omr_steer BPF MPTCP scheduler on the test kernel
# (OpenMPTCProuter's get_subflow hook), loaded with the libbpf this build
# links (Debian 12: 1.1).
#
#   sched_registered      `load` registers omr_steer, `status` names it and
#                         why, net.mptcp.scheduler selects it
#   sched_shares_1_3      an MPTCP upload over two WANs shaped 12/36 Mbit/s at
#                         weights 1:3 puts 25 % (+-5) of its bytes on wan1,
#                         counted after the subflows joined (tests/vm/lib_mptcp.sh;
#                         unshaped links: test_mptcp_sched_split.sh)
#   sched_kill9_keeps     after `kill -9` of the agent omr_steer stays
#                         registered and selected, and an upload still splits 1:3
#   sched_adopted         a new `load` adopts it (same struct_ops map, log says so)
#   sched_unload_restores `unload` unregisters it and selects again the
#                         scheduler selected before (here a foreign one)
#   sched_foreign_alone   a scheduler someone else registered (`bpftool
#                         struct_ops register`) stays registered throughout
# Outside the VM (no OMR_VM=1 from scripts/vm/init) it only SKIPs.
# VM_TEST_TIMEOUT=300
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=vs$$
. tests/net/lib.sh
. tests/vm/lib_mptcp.sh

vm_sched_only mptcp_sched

FOREIGN=foreign_sched
rtr_sched() { in_ns rtr sysctl -n net.mptcp.scheduler; }
sched_trap omr_steer "$FOREIGN"

# A foreign scheduler: the smallest object bpftool registers on this kernel.
foreign_register() {
	local src=$LAB_TMP/foreign.bpf.c obj=$LAB_TMP/foreign.bpf.o clang
	clang=$(scripts/clang.sh) || return 1
	cat > "$src" <<-'EOF'
		typedef unsigned long long __u64;
		struct mptcp_sock; struct mptcp_sched_data; struct module;
		struct list_head { struct list_head *next, *prev; };
		struct mptcp_sched_ops {
			int (*get_subflow)(struct mptcp_sock *msk, struct mptcp_sched_data *data);
			char name[16];
			struct module *owner;
			struct list_head list;
			void (*init)(struct mptcp_sock *msk);
			void (*release)(struct mptcp_sock *msk);
		};
		__attribute__((section("struct_ops"), used)) int foreign_get(__u64 *ctx) { return -1; }
		__attribute__((section(".struct_ops"), used)) struct mptcp_sched_ops foreign_sched = {
			.get_subflow = (void *)foreign_get, .name = "foreign_sched",
		};
		__attribute__((section("license"), used)) char LICENSE[] = "GPL";
	EOF
	"$clang" -g -O2 -target bpf -c "$src" -o "$obj" || return 1
	bpftool struct_ops register "$obj" >&2 || return 1
	[ -n "$(sched_ids "$FOREIGN")" ]
}

lab_up --wans 2 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start "$LAB_PORT" --mptcp || { lab_fail setup "the MPTCP traffic server did not start"; exit 1; }
in_ns srv ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 1)" dev wan1 subflow
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 2)" dev wan2 subflow
CONF=$LAB_TMP/omr-steer.conf
printf 'interval 0.5\nwan wan1 weight 1\nwan wan2 weight 3\n' > "$CONF"
lab_shape rtr wan1 12mbit
lab_shape rtr wan2 36mbit

if ! foreign_register; then
	lab_fail setup "could not register the foreign scheduler $FOREIGN"
	exit 1
fi
FOREIGN_ID=$(sched_ids "$FOREIGN")
# the router selects the foreign one: unload must put it back
in_ns rtr sysctl -qw net.mptcp.scheduler="$FOREIGN"

# ---- load: registered, named by status, selected ---------------------------------------

load_slow "$CONF" || { lab_fail sched_registered "the agent did not start: $(tail -n 5 "$LAB_AGENT_LOG" | tr '\n' ';')"; exit 1; }
sched_selected() { [ "$(rtr_sched)" = omr_steer ]; }
lab_wait 20 sched_selected
status=$(omr status --pin-dir "$LAB_PIN_DIR" 2>&1)
mline=$(grep -A1 '^mptcp:' <<< "$status" | tr '\n' ' ')
lab_log "status: $mline"
ID=$(sched_ids omr_steer)
if ! grep -q '^mptcp: *struct_ops scheduler omr_steer' <<< "$status"; then
	lab_fail sched_registered "status does not say 'struct_ops scheduler omr_steer': $mline; agent log: $(tail -n 5 "$LAB_AGENT_LOG" | tr '\n' ';')"
elif ! grep -q 'hook' <<< "$mline"; then
	lab_fail sched_registered "status does not say why: $mline"
elif [ -z "$ID" ]; then
	lab_fail sched_registered "bpftool struct_ops show has no omr_steer"
elif [ "$(rtr_sched)" != omr_steer ]; then
	lab_fail sched_registered "net.mptcp.scheduler is '$(rtr_sched)', want omr_steer"
elif [[ " $(in_ns rtr sysctl -n net.mptcp.available_schedulers) " != *" omr_steer "* ]]; then
	lab_fail sched_registered "net.mptcp.available_schedulers lacks omr_steer"
else
	lab_pass sched_registered
fi

# ---- bytes by weight --------------------------------------------------------------------

split_check sched_shares_1_3 "25 75" "$LAB_SRV4" wan1 wan2

# ---- kill -9: the scheduler stays; a new load adopts it ---------------------------------

kill -KILL "$OMR_PID" 2>/dev/null; wait "$OMR_PID" 2>/dev/null
lab_wait 5 omr__gone
if [ "$(sched_ids omr_steer)" != "$ID" ] || [ "$(rtr_sched)" != omr_steer ]; then
	lab_fail sched_kill9_keeps "after kill -9: omr_steer ids '$(sched_ids omr_steer)' (was $ID), net.mptcp.scheduler '$(rtr_sched)'"
else
	split_check sched_kill9_keeps "25 75" "$LAB_SRV4" wan1 wan2
fi

: > "$LAB_AGENT_LOG"
load_slow "$CONF" || lab_log "second load: the agent did not start"
lab_wait 20 grep -q 'MPTCP: ' "$LAB_AGENT_LOG"
if [ "$(sched_ids omr_steer)" != "$ID" ]; then
	lab_fail sched_adopted "omr_steer ids after the new load: '$(sched_ids omr_steer)', want the same map $ID"
elif ! grep -q 'adopted' "$LAB_AGENT_LOG"; then
	lab_fail sched_adopted "the agent's log does not say it adopted the scheduler: $(grep 'MPTCP' "$LAB_AGENT_LOG" | tr '\n' ';')"
else
	lab_pass sched_adopted
fi

# ---- unload: unregistered, the previous scheduler back; the foreign one untouched -------

omr_stop
out=$(omr unload --pin-dir "$LAB_PIN_DIR" 2>&1)
lab_log "unload: $(tr '\n' ';' <<< "$out")"
# the kernel frees an unregistered struct_ops map after an RCU grace period
sched_gone() { [ -z "$(sched_ids omr_steer)" ]; }
if ! lab_wait 10 sched_gone; then
	lab_fail sched_unload_restores "omr_steer is still registered 10 s after unload"
elif [ "$(rtr_sched)" != "$FOREIGN" ]; then
	lab_fail sched_unload_restores "net.mptcp.scheduler is '$(rtr_sched)' after unload, want $FOREIGN (selected before load)"
else
	lab_pass sched_unload_restores
fi
if [ "$(sched_ids "$FOREIGN")" != "$FOREIGN_ID" ]; then
	lab_fail sched_foreign_alone "$FOREIGN ids now '$(sched_ids "$FOREIGN")', was $FOREIGN_ID"
else
	lab_pass sched_foreign_alone
fi
lab_finish
