#!/usr/bin/env bash
# Foundation network test: WAN interfaces that come and go under a running
# agent.  A WAN named in the weight file that does not exist at `load` (a
# PPP or LTE link still dialling) is reported, not fatal, and attached when
# it appears; a WAN deleted and recreated (new ifindex, same name) is counted
# again without restarting the agent.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/net/lib.sh

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 3 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
lab_wan_del 3		# wan3 is "still dialling"

CONF=$LAB_TMP/omr-steer.conf
# an interval longer than any wait below: only rtnetlink events can act in time
lab_conf "$CONF" "interval 120" "wan wan1 weight 1" "wan wan2 weight 2" "wan wan3 weight 3"

# upload_via I MIB: upload MIB MiB from the router bound to WAN I's address
upload_via() {
	lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --bytes "${2}m" --bind "$(lab_wan_addr4 "$1")" \
		--timeout 20 >/dev/null
}

# wan_attached WAN: stats shows WAN on its current ifindex and our filters are on it
wan_attached() {
	local idx
	idx=$(lab_ifindex rtr "$1" 2>/dev/null) || return 1
	[ "$(omr_wan ifindex "$1")" = "$idx" ] && [ "$(omr_filter_count "$1")" = 2 ]
}

# ---- a WAN missing at load ----------------------------------------------------------

if ! omr_load "$CONF"; then
	lab_fail load_with_missing_wan "'load' did not start with wan3 missing: $(tail -n 5 "$LAB_AGENT_LOG")"
	lab_finish
	exit
fi
FIRST_PID=$OMR_PID
json=$(omr_stats_json)
if ! grep -q wan3 "$LAB_AGENT_LOG"; then
	lab_fail load_with_missing_wan "the agent log does not mention the missing wan3: $(cat "$LAB_AGENT_LOG")"
elif [ "$(omr_wan ifindex wan3 "$json")" != 0 ]; then
	lab_fail load_with_missing_wan "stats shows wan3 with ifindex '$(omr_wan ifindex wan3 "$json")', want 0 while it is missing"
elif ! wan_attached wan1 || ! wan_attached wan2; then
	lab_fail load_with_missing_wan "wan1 and wan2 are not both attached: $json"
else
	lab_pass load_with_missing_wan
fi
lab_log "wan3 while missing: $(jq -c '.wans[] | select(.name == "wan3")' <<< "$json")"

lab_wan_add 3
if ! lab_wait 20 wan_attached wan3; then
	lab_fail missing_wan_attached_when_it_appears "wan3 (ifindex $(lab_ifindex rtr wan3)) was not attached within 20 s: $(omr_stats_json | jq -c '.wans[] | select(.name == "wan3")')"
else
	before=$(omr_wan tx_bytes wan3)
	upload_via 3 2 || lab_log "upload over wan3 failed"
	after=$(omr_wan tx_bytes wan3)
	lab_check missing_wan_attached_when_it_appears \
		"wan3 tx_bytes went from $before to $after after a 2 MiB upload over it" \
		[ $((after - before)) -ge $((2 * 1024 * 1024)) ]
fi

# ---- a WAN deleted and recreated -------------------------------------------------

old_index=$(lab_ifindex rtr wan2)
upload_via 2 1 || lab_log "upload over wan2 failed"
lab_wan_del 2
missing_state() { [ "$(omr_wan ifindex wan2)" = 0 ] || [ "$(omr_wan state wan2)" = missing ]; }
if lab_wait 20 missing_state; then
	lab_pass deleted_wan_shown_missing
else
	lab_fail deleted_wan_shown_missing "20 s after wan2 was deleted, stats still shows it: $(omr_stats_json | jq -c '.wans[] | select(.name == "wan2")')"
fi
tx_gone=$(omr_wan tx_bytes wan2)

lab_wan_add 2
new_index=$(lab_ifindex rtr wan2)
lab_log "wan2 recreated: ifindex $old_index -> $new_index"
if ! lab_wait 20 wan_attached wan2; then
	lab_fail recreated_wan_counted_again "the recreated wan2 (ifindex $new_index) was not attached within 20 s: $(omr_stats_json | jq -c '.wans[] | select(.name == "wan2")')"
else
	before=$(omr_wan tx_bytes wan2)
	upload_via 2 2 || lab_log "upload over the recreated wan2 failed"
	after=$(omr_wan tx_bytes wan2)
	if [ "$before" -lt "$tx_gone" ]; then
		lab_fail recreated_wan_counted_again "wan2's counters were reset: $tx_gone before the recreation, $before after"
	elif [ $((after - before)) -lt $((2 * 1024 * 1024)) ]; then
		lab_fail recreated_wan_counted_again "wan2 tx_bytes went from $before to $after after a 2 MiB upload over it"
	elif [ "$(cat "$LAB_PIDFILE" 2>/dev/null)" != "$FIRST_PID" ] || ! lab_pid_alive "$FIRST_PID"; then
		lab_fail recreated_wan_counted_again "the agent was restarted (pid $FIRST_PID gone)"
	else
		lab_pass recreated_wan_counted_again
	fi
fi

# The other WANs were not disturbed by all this.
before=$(omr_wan tx_bytes wan1)
upload_via 1 1 || lab_log "upload over wan1 failed"
after=$(omr_wan tx_bytes wan1)
lab_check other_wans_unaffected "wan1 tx_bytes went from $before to $after after a 1 MiB upload" \
	[ $((after - before)) -ge $((1024 * 1024)) ]

lab_finish
