#!/usr/bin/env bash
# Foundation network test: the weight file of a running agent.  A changed
# weight plus SIGHUP (or `omr-steer reload`) shows in `stats --json`; a
# broken file plus SIGHUP keeps the running weights, the agent keeps running
# and logs FILE:LINE; WANs added to or removed from the file are attached
# and detached; a second `load` refuses and names the running pid.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/net/lib.sh

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 3 || { lab_fail setup "the lab could not be built"; exit 1; }
CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 1" "wan wan1 weight 1" "wan wan2 weight 3"
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
FIRST_PID=$OMR_PID

weights() { # "wan1=W wan2=W ..." from stats --json
	omr_stats_json 2>/dev/null | jq -r '[.wans[] | "\(.name)=\(.weight)"] | join(" ")'
}
weights_are() { [ "$(weights)" = "$1" ]; }

lab_check load_applies_weights "stats shows '$(weights)', want 'wan1=1 wan2=3'" \
	weights_are "wan1=1 wan2=3"

# ---- a second load refuses ----------------------------------------------------

second=$(timeout 10 ip netns exec "$LAB_RTR" "$OMR" load -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
	--pidfile "$LAB_PIDFILE" 2>&1)
rc=$?
lab_log "second load (same pidfile): status $rc: $second"
if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
	lab_fail second_load_refuses "a second 'load' with the same pidfile did not refuse (status $rc)"
elif ! grep -qw "$FIRST_PID" <<< "$second"; then
	lab_fail second_load_refuses "the refusal does not name the running pid $FIRST_PID: $second"
elif ! lab_pid_alive "$FIRST_PID" || ! weights_are "wan1=1 wan2=3"; then
	lab_fail second_load_refuses "the first agent did not survive the second load intact"
else
	lab_pass second_load_refuses
fi

# Another pidfile, same pins: still one agent per datapath.
second=$(timeout 10 ip netns exec "$LAB_RTR" "$OMR" load -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
	--pidfile "$LAB_TMP/other.pid" 2>&1)
rc=$?
lab_log "second load (other pidfile, same pins): status $rc: $second"
if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
	lab_fail second_load_same_pins_refuses "a second 'load' on the same pins did not refuse (status $rc)"
elif ! grep -qw "$FIRST_PID" <<< "$second"; then
	lab_fail second_load_same_pins_refuses "the refusal does not name the running pid $FIRST_PID: $second"
elif ! lab_pid_alive "$FIRST_PID"; then
	lab_fail second_load_same_pins_refuses "the first agent died"
else
	lab_pass second_load_same_pins_refuses
fi

# ---- weight changes -----------------------------------------------------------

lab_conf "$CONF" "interval 1" "wan wan1 weight 5" "wan wan2 weight 3"
kill -HUP "$OMR_PID"
lab_check reload_sighup_changes_weight "after SIGHUP stats shows '$(weights)', want 'wan1=5 wan2=3'" \
	lab_wait 20 weights_are "wan1=5 wan2=3"

lab_conf "$CONF" "interval 1" "wan wan1 weight 5" "wan wan2 weight 7"
msg=$(omr reload --pidfile "$LAB_PIDFILE" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	lab_fail reload_command_changes_weight "'omr-steer reload' exited $rc: $msg"
else
	lab_check reload_command_changes_weight "after 'omr-steer reload' stats shows '$(weights)', want 'wan1=5 wan2=7'" \
		lab_wait 20 weights_are "wan1=5 wan2=7"
fi

# ---- broken files are rejected whole -------------------------------------------

broken_reload() { # broken_reload NAME LINE-NUMBER FILE-LINES...
	local name=$1 line=$2 log_lines ok=1; shift 2
	log_lines=$(wc -l < "$LAB_AGENT_LOG")
	lab_conf "$CONF" "$@"
	kill -HUP "$OMR_PID"
	# give the agent time to read (and reject) it; nothing may change
	if lab_wait 20 omr__log_has "$log_lines" "$CONF:$line"; then
		:
	else
		lab_log "$name: the agent log does not name $CONF:$line; it says:"
		tail -n +"$((log_lines + 1))" "$LAB_AGENT_LOG" >&2
		ok=0
	fi
	sleep 1.2	# one interval: a wrongly applied file would show by now
	if ! lab_pid_alive "$OMR_PID"; then
		lab_fail "$name" "the agent died on a broken file"
	elif ! weights_are "wan1=5 wan2=7"; then
		lab_fail "$name" "weights changed to '$(weights)' although the file was broken"
	elif [ "$ok" = 0 ]; then
		lab_fail "$name" "kept the weights but did not log $CONF:$line"
	else
		lab_pass "$name"
	fi
}

omr__log_has() { tail -n +"$(($1 + 1))" "$LAB_AGENT_LOG" | grep -qF "$2"; }

# the valid first lines must not be applied either: the file is rejected whole
broken_reload reload_rejects_out_of_range_weight 3 \
	"interval 1" "wan wan1 weight 9" "wan wan2 weight 5000"
broken_reload reload_rejects_unknown_keyword 2 \
	"interval 1" "bogus wan1 weight 2" "wan wan2 weight 2"
broken_reload reload_rejects_duplicate_wan 4 \
	"interval 1" "wan wan1 weight 2" "wan wan2 weight 2" "wan wan1 weight 4"

lab_conf "$CONF" "interval 1" "wan wan1 weight 2" "wan wan2 weight 6"
kill -HUP "$OMR_PID"
lab_check reload_works_after_broken_file "stats shows '$(weights)' after a good file, want 'wan1=2 wan2=6'" \
	lab_wait 20 weights_are "wan1=2 wan2=6"

# ---- WANs added and removed ------------------------------------------------------

lab_conf "$CONF" "interval 1" "wan wan1 weight 2" "wan wan2 weight 6" "wan wan3 weight 4"
kill -HUP "$OMR_PID"
if ! lab_wait 20 weights_are "wan1=2 wan2=6 wan3=4"; then
	lab_fail reload_adds_wan "stats shows '$(weights)', want 'wan1=2 wan2=6 wan3=4'"
elif [ "$(omr_filter_count wan3)" != 2 ]; then
	lab_fail reload_adds_wan "wan3 has $(omr_filter_count wan3) omr-steer filters, want 2 (egress, ingress)"
else
	before=$(omr_wan tx_bytes wan3)
	lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --bytes 1m --bind "$(lab_wan_addr4 3)" --timeout 20 >/dev/null
	after=$(omr_wan tx_bytes wan3)
	lab_check reload_adds_wan "wan3 tx_bytes went from $before to $after after a 1 MiB upload" \
		[ $((after - before)) -ge 1048576 ]
fi

lab_conf "$CONF" "interval 1" "wan wan1 weight 2" "wan wan3 weight 4"
kill -HUP "$OMR_PID"
if ! lab_wait 20 weights_are "wan1=2 wan3=4"; then
	lab_fail reload_removes_wan "stats shows '$(weights)', want 'wan1=2 wan3=4'"
elif [ "$(omr_filter_count wan2)" != 0 ]; then
	lab_fail reload_removes_wan "wan2 still has $(omr_filter_count wan2) omr-steer filters"
elif omr_has_clsact wan2; then
	lab_fail reload_removes_wan "the clsact omr-steer created on wan2 is still there"
else
	lab_pass reload_removes_wan
fi

lab_check agent_survived_reloads "the agent (pid $FIRST_PID) is gone" lab_pid_alive "$FIRST_PID"

lab_finish
