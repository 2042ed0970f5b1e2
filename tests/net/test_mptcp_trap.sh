#!/usr/bin/env bash
# MPTCP network test: the master/backup trap, and its fix by weights.
#
# The router has three WANs, each an MPTCP endpoint (`ip mptcp endpoint add
# ADDR dev wanI subflow`), wan2 and wan3 flagged backup; an MPTCP server sits
# behind the links.  Without omr-steer a bulk MPTCP upload puts >= 95 % of
# its bytes on wan1 (the trap).  With the endpoint flags managed from the
# weights (all > 0) every WAN carries a share; weight 0 makes a WAN backup
# again; restore puts the original flags back, from the pinned record alone.
#
# Until `omr-steer load/unload` calls src/mptcp.c, build/tools/mptcp_ctl does
# (same functions: mptcp_start, mptcp_apply_weights, mptcp_restore).
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=om$$
. tests/net/lib.sh

MPTCP_CTL=${MPTCP_CTL:-$LAB_ROOT/build/tools/mptcp_ctl}
RATE=24mbit			# every WAN: the shares show, transfers stay short
BYTES=6m			# per upload: ~2 s on one link, ~0.7 s on three

for f in "$MPTCP_CTL" "$TRAFGEN"; do
	[ -x "$f" ] || { lab_fail setup "$f is missing (make build/tools/$(basename "$f"))"; exit 1; }
done
if [ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" != 1 ]; then
	lab_skip mptcp_trap "MPTCP is not enabled in this kernel (net.mptcp.enabled)"
	exit 0
fi
lab_up --wans 3 --rates "$RATE $RATE $RATE" || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start "$LAB_PORT" --mptcp || { lab_fail setup "the MPTCP traffic server did not start"; exit 1; }

in_ns srv ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 1)" dev wan1 subflow
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 2)" dev wan2 subflow backup
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 3)" dev wan3 subflow backup
ORIGINAL=$(in_ns rtr ip mptcp endpoint show)
lab_log "endpoints: $(tr '\n' ';' <<< "$ORIGINAL")"
mkdir -p "$LAB_PIN_DIR"

ctl() { in_net rtr "$MPTCP_CTL" "$@"; }

# upload: one bulk MPTCP upload from the router; sets SHARES ("p1 p2 p3",
# percent of the bytes sent on wan1..3) and TOTAL (bytes on all WANs).
upload() {
	local i before=() after=() out
	for i in 1 2 3; do before[i]=$(lab_ifstat rtr "wan$i" tx_bytes); done
	if ! out=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --mptcp --upload --bytes "$BYTES" \
		--timeout 30 2>&1); then
		lab_log "upload failed: $out"
		return 1
	fi
	TOTAL=0
	for i in 1 2 3; do
		after[i]=$(lab_ifstat rtr "wan$i" tx_bytes)
		DELTA[i]=$((after[i] - before[i]))
		TOTAL=$((TOTAL + DELTA[i]))
	done
	SHARES=""
	for i in 1 2 3; do SHARES="$SHARES $((DELTA[i] * 100 / (TOTAL > 0 ? TOTAL : 1)))"; done
	SHARES=${SHARES# }
	lab_log "upload of $BYTES: bytes per WAN ${DELTA[1]} ${DELTA[2]} ${DELTA[3]}, shares % $SHARES"
}
declare -a DELTA

share() { # share I: percent on wanI of the last upload
	local -a s
	read -r -a s <<< "$SHARES"
	echo "${s[$(($1 - 1))]}"
}

# ---- the trap ----------------------------------------------------------------------

if ! upload; then
	lab_fail trap_reproduced "the MPTCP upload did not complete"
elif [ $((DELTA[1] * 100)) -lt $((TOTAL * 95)) ]; then
	lab_fail trap_reproduced "wan1 carried $(share 1) % of the upload, want >= 95 % (shares: $SHARES)"
else
	lab_pass trap_reproduced
fi

# ---- weights manage the flags --------------------------------------------------------

out=$(ctl start "$LAB_PIN_DIR" 2>&1)
lab_log "start: $(tr '\n' ';' <<< "$out")"
if ! grep -q '^mode: endpoint flags' <<< "$out" && ! grep -q '^mode: struct_ops' <<< "$out"; then
	lab_fail mptcp_start "mptcp_ctl start: $out"
else
	lab_pass mptcp_start
fi

out=$(ctl apply "$LAB_PIN_DIR" wan1:1 wan2:1 wan3:1 2>&1)
flags=$(in_ns rtr ip mptcp endpoint show)
lab_log "after apply 1:1:1: $(tr '\n' ';' <<< "$flags")"
if [ "$out" != "changed: 2" ] || grep -q backup <<< "$flags"; then
	lab_fail weights_clear_backup "apply wan1:1 wan2:1 wan3:1 said '$out'; endpoints: $flags"
else
	lab_pass weights_clear_backup
fi

if ! upload; then
	lab_fail every_wan_carries_a_share "the MPTCP upload did not complete"
elif [ "$(share 1)" -lt 15 ] || [ "$(share 2)" -lt 15 ] || [ "$(share 3)" -lt 15 ]; then
	lab_fail every_wan_carries_a_share "shares on wan1..3 are $SHARES %, want >= 15 % each"
else
	lab_pass every_wan_carries_a_share
fi

# weight 0: wan3 becomes backup and stays out of the upload
out=$(ctl apply "$LAB_PIN_DIR" wan1:2 wan2:1 wan3:0 2>&1)
flags=$(in_ns rtr ip mptcp endpoint show)
if [ "$out" != "changed: 1" ] || ! grep -q "$(lab_wan_addr4 3) .*backup" <<< "$flags" ||
   grep "$(lab_wan_addr4 1) \|$(lab_wan_addr4 2) " <<< "$flags" | grep -q backup; then
	lab_fail weight_zero_is_backup "apply wan1:2 wan2:1 wan3:0 said '$out'; endpoints: $flags"
elif ! upload; then
	lab_fail weight_zero_is_backup "the MPTCP upload did not complete"
elif [ "$(share 3)" -gt 5 ] || [ "$(share 1)" -lt 15 ] || [ "$(share 2)" -lt 15 ]; then
	lab_fail weight_zero_is_backup "shares on wan1..3 are $SHARES %, want wan3 <= 5 %, the others >= 15 %"
else
	lab_pass weight_zero_is_backup
fi

# ---- restore, from the pinned record alone (as after an agent crash) -------------------

status=$(ctl status "$LAB_PIN_DIR" 2>&1)
lab_log "status: $(tr '\n' ';' <<< "$status")"
out=$(ctl restore "$LAB_PIN_DIR" 2>&1)
now=$(in_ns rtr ip mptcp endpoint show)
if [ "$out" != restored ] || [ "$now" != "$ORIGINAL" ]; then
	lab_fail restore_puts_flags_back "restore said '$out'; endpoints now: $now; originally: $ORIGINAL"
elif ! grep -q '^managed endpoints: 2' <<< "$status"; then
	lab_fail restore_puts_flags_back "status before restore did not list 2 managed endpoints: $status"
elif ! ctl status "$LAB_PIN_DIR" | grep -q '^managed endpoints: 0'; then
	lab_fail restore_puts_flags_back "the record is not empty after restore: $(ctl status "$LAB_PIN_DIR")"
else
	lab_pass restore_puts_flags_back
fi

lab_finish
