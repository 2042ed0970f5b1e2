#!/usr/bin/env bash
# Translated connections under flow-table pressure (issue 9), through a
# real router (tests/net/lib.sh): wan1 (the routed WAN) at weight 0, so
# every flow that gets a table entry is translated to wan2.
#
#  - `flows 256`: 20 long-lived TCP uploads translated to wan2, a segment
#    every 200 ms, then a burst of 10,000 new UDP flows: none of the 20 is
#    reset (the old LRU table evicted them: their next segments left
#    untranslated by wan1 and the server answered with a reset); every new
#    flow is answered (those beyond the table's room by wan1, untranslated);
#    they are counted in `stats` (table_full) and logged, no steer error;
#  - the default table (65536): the same with 1,000,000 short UDP flows
#    (trafgen --flows, a raw-socket burst, bounded by its --timeout): none
#    of the 20 hurt, every flow answered, no steer error, the agent alive
#    and its memory (VmRSS) unchanged by the burst (within 1 MiB).
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-fp$$}
. tests/net/lib.sh

FLOW_PORTS=16			# server UDP ports: 16 x 64512 source ports >= 1 M flows
BIG=${FLOW_PRESSURE_FLOWS:-1000000}	# 0: only the 'flows 256' part
WINDOW=${FLOW_PRESSURE_WINDOW:-256}	# flows of the burst unanswered at a time
W1_4=$(lab_wan_addr4 1) W2_4=$(lab_wan_addr4 2)

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 2 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start "$LAB_PORT" --udp-ports "$FLOW_PORTS" ||
	{ lab_fail setup "the traffic server did not start"; exit 1; }
# The flood's echoes reach ports no socket has: keep the kernel's port
# unreachables (rate-limited noise) off the wire.
in_ns lan nft -f - <<-'EOF' || { lab_fail setup "nft in the LAN namespace"; exit 1; }
	table ip lab_flood {
		chain out {
			type filter hook output priority 0; policy accept;
			icmp type destination-unreachable drop
		}
	}
EOF
CONF=$LAB_TMP/omr-steer.conf

# long_start: 20 TCP uploads from the LAN, 1 KiB every 200 ms until SIGUSR1
long_start() {
	# a plain command, not a function: $! is trafgen itself
	ip netns exec "$LAB_LAN" "$TRAFGEN" client "$LAB_SRV4" "$LAB_PORT" --upload --pace 200 \
		--bytes 1m --conns 20 --parallel 20 --timeout 170 \
		>"$LAB_TMP/long.json" 2>"$LAB_TMP/long.err" &
	LONG_PID=$!
	LAB_BG_PIDS+=("$LONG_PID")
}

# long_finish: end the pacing, wait for the 20 results; prints the JSON
long_finish() {
	kill -USR1 "$LONG_PID" 2>/dev/null
	lab_wait 30 lab__pid_gone "$LONG_PID" || kill "$LONG_PID" 2>/dev/null
	wait "$LONG_PID" 2>/dev/null
	grep -v '^trafgen: conn' "$LAB_TMP/long.err" | head -n 3 >&2
	grep -c '^trafgen: conn' "$LAB_TMP/long.err" | sed 's/^/# broken connections: /' >&2
	cat "$LAB_TMP/long.json"
}

# sum_stats FIELD: FIELD summed over the WANs of `stats --json`
sum_stats() { omr_stats_json | jq -r --arg f "$1" '[.wans[][$f] // 0] | add'; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$OMR_PID/status" 2>/dev/null; }

# phase NAME FLOWS TIMEOUT [weight-file lines...]
phase() {
	local name=$1 flows=$2 tmo=$3 t0 res long before after full infull errs rss0 rss1 on1 on2 steered
	shift 3
	lab_conf "$CONF" "interval 1" "wan wan1 weight 0" "wan wan2 weight 1" "$@"
	omr_load "$CONF" || { lab_fail "${name}_setup" "the agent did not start"; return; }
	sleep 1.5	# the agent's first sync: addresses, gateways, weights
	long_start
	sleep 2		# 20 connections up and pacing
	steered=$(omr_wan steered wan2)
	lab_log "$name: wan2 steered ${steered:-?} flows before the burst"
	lab_check "${name}_long_connections_translated" \
		"wan2 steered ${steered:-none} flows, want 20 (the long connections)" \
		[ "${steered:-0}" = 20 ]
	before=$(lab_server_stats)
	rss0=$(rss_kib)
	t0=$(date +%s%N)
	res=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --flows "$flows" --ports "$FLOW_PORTS" \
		--window "$WINDOW" --timeout "$tmo")
	lab_log "$name: $flows new UDP flows: $res ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
	sleep 2		# 10 more segments on each long connection
	rss1=$(rss_kib)
	long=$(long_finish)
	after=$(lab_server_stats)
	lab_log "$name: long connections: $long"
	lab_all_ok "${name}_long_connections_unhurt" "$long" 20
	lab_all_ok "${name}_new_flows_answered" "$res" "$flows"
	on1=$(( $(lab_peer udp_packets_in "$W1_4" "$after") - $(lab_peer udp_packets_in "$W1_4" "$before") ))
	on2=$(( $(lab_peer udp_packets_in "$W2_4" "$after") - $(lab_peer udp_packets_in "$W2_4" "$before") ))
	full=$(sum_stats table_full) infull=$(sum_stats inbound_full)
	errs=$(( $(sum_stats steer_errors) + $(sum_stats steer_drops) ))
	lab_log "$name: datagrams by wan1 $on1 (untranslated), by wan2 $on2 (translated);" \
		"stats: table_full $full, inbound_full $infull, steer errors+drops $errs"
	lab_check "${name}_table_full_counted" \
		"stats table_full is ${full:-missing}, want > 0; wan1 carried $on1 datagrams" \
		[ "${full:-0}" -gt 0 -a "$on1" -gt 0 -a "$on2" -gt 0 ]
	lab_check "${name}_no_steer_errors" "steer_errors + steer_drops = $errs, want 0" \
		[ "$errs" = 0 ]
	lab_check "${name}_table_full_logged" \
		"no 'flow table full' line in the agent's log within 20 s" \
		lab_wait 20 grep -q "flow table full" "$LAB_AGENT_LOG"
	lab_log "$name: agent VmRSS ${rss0:-?} KiB before the burst, ${rss1:-?} KiB after"
	lab_check "${name}_agent_alive_memory_flat" \
		"agent dead or VmRSS grew from ${rss0:-?} to ${rss1:-?} KiB (want +1024 at most)" \
		test "${rss0:-0}" -gt 0 -a "${rss1:-0}" -gt 0 -a "${rss1:-0}" -le $((${rss0:-0} + 1024))
	omr_stop
	omr unload --pin-dir "$LAB_PIN_DIR" --pidfile "$LAB_PIDFILE" >>"$LAB_AGENT_LOG" 2>&1
	: >"$LAB_AGENT_LOG"
}

phase flow_pressure_256 10000 60 "flows 256"
[ "$BIG" -gt 0 ] && phase flow_pressure_default "$BIG" 120

lab_finish
