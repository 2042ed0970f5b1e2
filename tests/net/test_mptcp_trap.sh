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
# The fix is `omr-steer load` (this kernel has no MPTCP scheduler hook, so it
# manages the endpoint flags), a weight change by `omr-steer reload`, and
# `omr-steer unload` after a crash of the agent (kill -9).
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=om$$
. tests/net/lib.sh

RATE=24mbit			# every WAN: the shares show, transfers stay short
BYTES=6m			# per upload: ~2 s on one link, ~0.7 s on three

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
[ -x "$TRAFGEN" ] || { lab_fail setup "$TRAFGEN is missing (make build/tools/trafgen)"; exit 1; }
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
CONF=$LAB_TMP/omr-steer.conf
weights() { # weights W1 W2 W3: the weight file
	printf 'interval 0.5\nwan wan1 weight %s\nwan wan2 weight %s\nwan wan3 weight %s\n' "$@" > "$CONF"
}
backup_count() { in_ns rtr ip mptcp endpoint show | grep -c backup; }

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

# ---- omr-steer load: weights manage the flags ------------------------------------------

weights 1 1 1
if ! omr_load "$CONF"; then
	lab_fail mptcp_load "the agent did not start"
	lab_finish
	exit 1
fi
status=$(omr status --pin-dir "$LAB_PIN_DIR" 2>&1)
lab_log "status: $(tr '\n' ';' <<< "$status")"
if grep -q '^mptcp: *endpoint flags' <<< "$status" || grep -q '^mptcp: *struct_ops' <<< "$status"; then
	lab_pass mptcp_load
else
	lab_fail mptcp_load "status does not name the MPTCP mode: $status"
fi

lab_wait 20 test 0 -eq "\$(backup_count)" 2>/dev/null
flags=$(in_ns rtr ip mptcp endpoint show)
lab_log "after load 1:1:1: $(tr '\n' ';' <<< "$flags")"
if grep -q backup <<< "$flags"; then
	lab_fail weights_clear_backup "weights 1:1:1 loaded, endpoints still: $flags"
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

# weight 0 by reload: wan3 becomes backup and stays out of the upload
weights 2 1 0
omr reload --pidfile "$LAB_PIDFILE" >/dev/null 2>&1
lab_wait 20 test 1 -eq "\$(backup_count)" 2>/dev/null
flags=$(in_ns rtr ip mptcp endpoint show)
if ! grep -q "$(lab_wan_addr4 3) .*backup" <<< "$flags" ||
   grep "$(lab_wan_addr4 1) \|$(lab_wan_addr4 2) " <<< "$flags" | grep -q backup; then
	lab_fail weight_zero_is_backup "weights 2:1:0 reloaded, endpoints: $flags"
elif ! upload; then
	lab_fail weight_zero_is_backup "the MPTCP upload did not complete"
elif [ "$(share 3)" -gt 5 ] || [ "$(share 1)" -lt 15 ] || [ "$(share 2)" -lt 15 ]; then
	lab_fail weight_zero_is_backup "shares on wan1..3 are $SHARES %, want wan3 <= 5 %, the others >= 15 %"
else
	lab_pass weight_zero_is_backup
fi

# ---- unload after a crash: the flags come back from the pinned record alone ----------

kill -KILL "$OMR_PID" 2>/dev/null; wait "$OMR_PID" 2>/dev/null
lab_wait 20 omr__gone
out=$(omr unload --pin-dir "$LAB_PIN_DIR" 2>&1)
now=$(in_ns rtr ip mptcp endpoint show)
lab_log "unload: $(tr '\n' ';' <<< "$out")"
if [ "$now" != "$ORIGINAL" ]; then
	lab_fail restore_puts_flags_back "after unload endpoints are: $now; originally: $ORIGINAL"
elif [ -e "$LAB_PIN_DIR" ]; then
	lab_fail restore_puts_flags_back "unload left $LAB_PIN_DIR"
else
	lab_pass restore_puts_flags_back
fi

lab_finish
