#!/usr/bin/env bash
# Foundation network test: the agent's life cycle on a router that already
# has tc filters of its own.  `load` attaches next to them; after `kill -9`
# `stats` still answers and the counters still grow; a new `load` adopts the
# pins without resetting the counters or duplicating filters; `unload`
# removes every pin, every omr-steer filter and the clsact qdisc omr-steer
# created, leaves the other filters and their clsact alone, and can run twice.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/net/lib.sh

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 2 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }

# Someone else's filters (an SQM or OpenMPTCProuter script, say) on wan1,
# on a clsact qdisc they created: both must survive omr-steer.  They mirror
# every packet to a sink interface, so we can see that they still run
# (this kernel has u32 and mirred, not matchall or gact).
ip -n "$LAB_RTR" link add sink0 type veth peer name sink1 &&
	ip -n "$LAB_RTR" link set sink0 up && ip -n "$LAB_RTR" link set sink1 up &&
	in_ns rtr tc qdisc add dev wan1 clsact &&
	in_ns rtr tc filter add dev wan1 egress prio 100 u32 match u32 0 0 \
		action mirred egress mirror dev sink0 &&
	in_ns rtr tc filter add dev wan1 ingress prio 100 u32 match u32 0 0 \
		action mirred egress mirror dev sink0 ||
	{ lab_fail setup "cannot install the foreign tc filters"; exit 1; }

foreign_filters() { # the number of foreign filters on wan1 (want 2)
	local hook n=0 c
	for hook in egress ingress; do
		c=$(in_ns rtr tc filter show dev wan1 "$hook" | grep -c 'pref 100 u32 .*fh 800::800')
		n=$((n + c))
	done
	echo "$n"
}

CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 1" "wan wan1 weight 1" "wan wan2 weight 2"
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }

if [ "$(omr_filter_count wan1)" != 2 ] || [ "$(omr_filter_count wan2)" != 2 ]; then
	lab_fail load_attaches_filters "omr-steer filters: wan1 $(omr_filter_count wan1), wan2 $(omr_filter_count wan2); want 2 each"
elif [ "$(foreign_filters)" != 2 ]; then
	lab_fail load_attaches_filters "the foreign filters on wan1 are gone after load"
elif ! omr_has_clsact wan2; then
	lab_fail load_attaches_filters "wan2 has no clsact qdisc"
else
	lab_pass load_attaches_filters
fi

# The foreign filters still see the traffic: omr-steer's programs hand every
# packet on (TC_ACT_UNSPEC), so the next filter in line runs too.
foreign_hits() { # packets the foreign filters mirrored
	lab_ifstat rtr sink0 tx_packets
}

# traffic MIB: an upload and a download of MIB MiB over each WAN (v4 and v6),
# from the router bound to each WAN's address.
traffic() {
	local mib=$1 i ok=0
	for i in 1 2; do
		lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --bytes "${mib}m" --bind "$(lab_wan_addr4 "$i")" \
			--timeout 20 >/dev/null || ok=1
		lab_traffic rtr "$LAB_SRV6" "$LAB_PORT" --bytes "${mib}m" --download \
			--bind "$(lab_wan_addr6 "$i")" --timeout 20 >/dev/null || ok=1
	done
	return $ok
}

# counters VAR: "tx1 rx1 tx2 rx2" of wan1 and wan2 from stats --json
counters() {
	local json
	json=$(omr_stats_json) || return 1
	echo "$(omr_wan tx_bytes wan1 "$json") $(omr_wan rx_bytes wan1 "$json")" \
	     "$(omr_wan tx_bytes wan2 "$json") $(omr_wan rx_bytes wan2 "$json")"
}

# grew_by "A1 A2 A3 A4" "B1 B2 B3 B4" MIN: every B - A >= MIN
grew_by() {
	local -a a b
	read -r -a a <<< "$1"; read -r -a b <<< "$2"
	[ ${#a[@]} -eq 4 ] && [ ${#b[@]} -eq 4 ] || return 1
	for k in 0 1 2 3; do
		[ $((b[k] - a[k])) -ge "$3" ] || return 1
	done
}

hits0=$(foreign_hits)
c0=$(counters)
traffic 2 || lab_log "traffic before kill -9 failed"
c1=$(counters)
hits1=$(foreign_hits)
lab_check counters_grow_with_traffic "counters went from '$c0' to '$c1' after 2 MiB each way per WAN" \
	grew_by "$c0" "$c1" $((2 * 1024 * 1024))
lab_check foreign_filter_still_runs "the foreign filters mirrored ${hits0:-?} then ${hits1:-?} packets" \
	[ "${hits1:-0}" -gt "${hits0:-0}" ]

# ---- kill -9 ------------------------------------------------------------------

# A download from the LAN host, through a 20 Mbit/s ISP link, that lasts
# across the kill and the adoption: the datapath must not interrupt it.
lab_shape isp rtr1 20mbit
lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --download --bytes 5m --timeout 30 \
	>"$LAB_TMP/long.json" 2>"$LAB_TMP/long.err" &
LONG_PID=$!
sleep 0.5

kill -KILL "$OMR_PID"
wait "$OMR_PID" 2>/dev/null
KILLED_PID=$OMR_PID
c2=$(counters)
rc=$?
if [ $rc -ne 0 ] || [ -z "$c2" ]; then
	lab_fail stats_after_kill9 "'omr-steer stats --json' failed after the agent was killed"
else
	lab_check stats_after_kill9 "stats after kill -9 shows '$c2', before it showed '$c1'" \
		grew_by "$c1" "$c2" 0
fi
out=$(omr stats --pin-dir "$LAB_PIN_DIR" 2>&1)
lab_check stats_table_after_kill9 "the human 'stats' failed or lacks a WAN after kill -9: $out" \
	grep -q wan2 <<< "$out"

traffic 2 || lab_log "traffic after kill -9 failed"
c3=$(counters)
lab_check counters_grow_after_kill9 "counters went from '$c2' to '$c3' with no agent" \
	grew_by "$c2" "$c3" $((2 * 1024 * 1024))

# ---- a new load adopts the pins ------------------------------------------------

omr_load "$CONF" || lab_log "the second agent did not start (stale pidfile of pid $KILLED_PID?)"
if ! lab_pid_alive "${OMR_PID:-0}"; then
	lab_fail load_adopts_pins "a new 'load' after kill -9 did not start; its log: $(tail -n 5 "$LAB_AGENT_LOG")"
	OMR_PID=
else
	c4=$(counters)
	if ! grew_by "$c3" "$c4" 0; then
		lab_fail load_adopts_pins "counters were '$c3' before the new load and '$c4' after it"
	elif [ "$(omr_filter_count wan1)" != 2 ] || [ "$(omr_filter_count wan2)" != 2 ]; then
		lab_fail load_adopts_pins "after adoption: wan1 $(omr_filter_count wan1), wan2 $(omr_filter_count wan2) omr-steer filters; want 2 each"
	else
		traffic 1 || lab_log "traffic after adoption failed"
		c5=$(counters)
		lab_check load_adopts_pins "counters went from '$c4' to '$c5' after adoption" \
			grew_by "$c4" "$c5" $((1024 * 1024))
	fi
fi

if wait "$LONG_PID"; then
	lab_pass traffic_survives_restart
else
	lab_fail traffic_survives_restart "a download running across kill -9 and the new load failed: $(cat "$LAB_TMP/long.json" "$LAB_TMP/long.err")"
fi

# ---- unload -------------------------------------------------------------------

out=$(omr unload --pin-dir "$LAB_PIN_DIR" 2>&1)
rc=$?
lab_log "unload: status $rc: $out"
problems=""
[ $rc -eq 0 ] || problems="$problems; exited $rc"
[ -n "${OMR_PID:-}" ] && ! lab_wait 20 omr__gone && problems="$problems; the agent (pid $OMR_PID) still runs"
[ -e "$LAB_PIN_DIR" ] && problems="$problems; $LAB_PIN_DIR still exists: $(ls -A "$LAB_PIN_DIR" | tr '\n' ' ')"
# (maps.debug and progs.debug are the kernel's own, in every bpffs)
left=$(ls -A "$LAB_BPF_DIR" 2>/dev/null | grep -vx 'maps.debug\|progs.debug' | tr '\n' ' ')
[ -n "$left" ] && problems="$problems; $LAB_BPF_DIR holds $left"
for w in wan1 wan2; do
	n=$(omr_filter_count "$w")
	[ "$n" = 0 ] || problems="$problems; $n omr-steer filters left on $w"
done
omr_has_clsact wan2 && problems="$problems; the clsact omr-steer created on wan2 is still there"
lab_check unload_leaves_nothing "${problems#; }" [ -z "$problems" ]

problems=""
omr_has_clsact wan1 || problems="$problems; the foreign clsact on wan1 was removed"
[ "$(foreign_filters)" = 2 ] || problems="$problems; $(foreign_filters) of 2 foreign filters left on wan1"
lab_check unload_keeps_foreign_filters "${problems#; }" [ -z "$problems" ]

out=$(omr unload --pin-dir "$LAB_PIN_DIR" 2>&1)
rc=$?
lab_check unload_twice_is_not_an_error "the second unload exited $rc: $out" [ $rc -eq 0 ]

lab_finish
