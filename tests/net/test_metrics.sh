#!/usr/bin/env bash
# Prometheus exposition (issue 11, part 1) through a real router (tests/net/lib.sh):
#
#  - `stats --prometheus` and the agent's GET /metrics (a `metrics` line on
#    the router's LAN address) both pass `promtool check metrics` (0 problems);
#  - scraped with curl from the LAN host: status 200, the exposition content
#    type, and the per-WAN counters between two `stats --json` taken before
#    and after, the weights equal to theirs;
#  - another path is 404, POST /metrics is 405, a request bigger than 1 KiB
#    is answered 431 (or cut) and the next scrape works;
#  - clients that connect and say nothing (more of them than the agent
#    serves at once) are closed by the agent (after the kernel's deferred
#    accept and the agent's 2 s per client), and while they hang on the
#    control loop keeps working: a SIGHUP's new weight shows in stats;
#  - garbage is 400; a reload with another port moves the socket;
#  - the agent stopped: `stats --prometheus` says omr_steer_up 0, still valid;
#  - `metrics` on an address the router does not have: load exits 1, saying so.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-om$$}
. tests/net/lib.sh

RTR_LAN4=192.168.77.1
PORT=9469
URL=http://$RTR_LAN4:$PORT/metrics

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
for tool in promtool curl; do
	command -v "$tool" >/dev/null ||
		{ lab_fail setup "$tool is missing (scripts/deps.sh test installs it)"; exit 1; }
done
[ -x "$TRAFGEN" ] || { lab_fail setup "$TRAFGEN is missing (make build/tools/trafgen)"; exit 1; }
lab_up --wans 2 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
CONF=$LAB_TMP/omr-steer.conf
OUT=$LAB_TMP/metrics

# curl from the LAN host, bounded in time
lan_curl() { in_ns lan curl --silent --show-error --max-time 5 "$@"; }

# sample FILE NAME WAN: the value of NAME{wan="WAN"} in an exposition
sample() { awk -v k="$2{wan=\"$3\"}" '$1 == k { print $2 }' "$1"; }

# promtool_ok NAME FILE: PASS when promtool finds 0 problems in FILE
promtool_ok() {
	local problems
	if problems=$(promtool check metrics < "$2" 2>&1); then
		lab_pass "$1"
	else
		lab_fail "$1" "promtool check metrics: $(tr '\n' ';' <<< "$problems")"
	fi
}

lab_conf "$CONF" "interval 0.5" "wan wan1 weight 1" "wan wan2 weight 3" \
	"metrics $RTR_LAN4:$PORT"
if ! omr_load "$CONF"; then
	lab_fail metrics_setup "the agent did not start: $(tail -n 5 "$LAB_AGENT_LOG")"
	exit 1
fi
# some traffic on both WANs so that the counters are not all 0
lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes 64k --conns 16 --parallel 8 \
	--timeout 20 >/dev/null 2>&1
sleep 1

# ---- stats --prometheus ------------------------------------------------------

# in_range FILE J1 J2: the counters of FILE between those of two stats --json
# and the weights equal; sets BAD to what is not
in_range() {
	local w f lo hi v want
	BAD=""
	for w in wan1 wan2; do
		for f in tx_bytes rx_bytes tx_packets rx_packets; do
			lo=$(omr_wan "$f" "$w" "$2") hi=$(omr_wan "$f" "$w" "$3")
			v=$(sample "$1" "omr_steer_${f}_total" "$w")
			if [ -z "$v" ] || [ "$v" -lt "$lo" ] || [ "$v" -gt "$hi" ]; then
				BAD+=" $w $f=$v not in [$lo,$hi];"
			fi
		done
		want=$(omr_wan effective_weight "$w" "$3")
		v=$(sample "$1" omr_steer_effective_weight "$w")
		[ "$v" = "$want" ] || BAD+=" $w effective_weight=$v, json $want;"
		want=$(omr_wan flows_assigned "$w" "$3")
		v=$(sample "$1" omr_steer_flows_assigned_total "$w")
		[ "$v" = "$want" ] || BAD+=" $w flows_assigned=$v, json $want;"
	done
	[ -z "$BAD" ]
}

j1=$(omr_stats_json)
if omr stats --prometheus --pin-dir "$LAB_PIN_DIR" > "$OUT.stats"; then
	j2=$(omr_stats_json)
	promtool_ok metrics_stats_promtool "$OUT.stats"
	tx1=$(sample "$OUT.stats" omr_steer_tx_bytes_total wan1)
	if in_range "$OUT.stats" "$j1" "$j2" && [ "$tx1" -gt 0 ]; then
		lab_pass "metrics_stats_values: as stats --json says (tx bytes wan1 $tx1)"
	else
		lab_fail metrics_stats_values "${BAD:- no traffic counted: tx bytes wan1 $tx1}"
	fi
	up=$(awk '$1 == "omr_steer_up" { print $2 }' "$OUT.stats")
	lab_check metrics_stats_up "omr_steer_up is '$up' with the agent running" [ "$up" = 1 ]
else
	lab_fail metrics_stats_promtool "stats --prometheus failed"
fi

# ---- GET /metrics ------------------------------------------------------------

j1=$(omr_stats_json)
code=$(lan_curl -o "$OUT.http" -D "$OUT.head" -w '%{http_code}' "$URL")
j2=$(omr_stats_json)
if [ "$code" = 200 ]; then
	lab_pass metrics_http_200
	promtool_ok metrics_http_promtool "$OUT.http"
	if grep -qi '^content-type: text/plain; version=0.0.4' "$OUT.head"; then
		lab_pass metrics_http_content_type
	else
		lab_fail metrics_http_content_type "headers: $(tr '\r\n' '  ' < "$OUT.head")"
	fi
	tx1=$(sample "$OUT.http" omr_steer_tx_bytes_total wan1)
	tx2=$(sample "$OUT.http" omr_steer_tx_bytes_total wan2)
	if in_range "$OUT.http" "$j1" "$j2" && [ "$tx1" -gt 0 ] && [ "$tx2" -gt 0 ]; then
		lab_pass "metrics_http_values: tx bytes wan1 $tx1, wan2 $tx2, as stats --json says"
	else
		lab_fail metrics_http_values "${BAD:- no traffic counted: tx bytes wan1 $tx1, wan2 $tx2}"
	fi
else
	lab_fail metrics_http_200 "GET $URL from the LAN: status '$code' ($(tail -n 3 "$LAB_AGENT_LOG"))"
fi

code=$(lan_curl -o /dev/null -w '%{http_code}' "http://$RTR_LAN4:$PORT/")
lab_check metrics_http_404 "GET / answered '$code', want 404" [ "$code" = 404 ]
code=$(lan_curl -o /dev/null -w '%{http_code}' "http://$RTR_LAN4:$PORT/metricsx")
lab_check metrics_http_404_prefix "GET /metricsx answered '$code', want 404" [ "$code" = 404 ]
code=$(lan_curl -o /dev/null -w '%{http_code}' -X POST -d x=1 "$URL")
lab_check metrics_http_405 "POST /metrics answered '$code', want 405" [ "$code" = 405 ]

# a request line and headers of 4 KiB: refused, and the server goes on
pad=$(head -c 4000 /dev/zero | tr '\0' a)
reply=$(in_ns lan timeout 5 bash -c "exec 3<>/dev/tcp/$RTR_LAN4/$PORT &&
	printf 'GET /metrics HTTP/1.0\r\nX-Pad: %s\r\n\r\n' '$pad' >&3; head -n 1 <&3" 2>/dev/null)
code=$(lan_curl -o /dev/null -w '%{http_code}' "$URL")
if [[ "$reply" != *" 200 "* ]] && [ "$code" = 200 ]; then
	lab_pass "metrics_http_oversized: answered '${reply%$'\r'}', next scrape $code"
else
	lab_fail metrics_http_oversized "reply '${reply%$'\r'}', next scrape '$code'"
fi

reply=$(in_ns lan timeout 5 bash -c "exec 3<>/dev/tcp/$RTR_LAN4/$PORT &&
	printf 'hello there\r\n\r\n' >&3; head -n 1 <&3" 2>/dev/null)
lab_check metrics_http_400 "garbage answered '${reply%$'\r'}', want 400" \
	[ "${reply%$'\r'}" = "HTTP/1.0 400 Bad Request" ]

# ---- idle clients ---------------------------------------------------------------

# 12 connections that say nothing (the agent serves 8 at once); each one
# reports how it ended: "closed" when the agent hung up, "timeout" otherwise
idle_pids=()
for i in $(seq 12); do
	in_ns lan timeout 10 bash -c "t0=\$(date +%s%N); exec 3<>/dev/tcp/$RTR_LAN4/$PORT &&
		cat <&3 >/dev/null && echo closed \$(( (\$(date +%s%N) - t0) / 1000000 )) ms ||
		echo error" > "$LAB_TMP/idle$i" 2>/dev/null &
	idle_pids+=($!)
done
sleep 0.3
# the loop works meanwhile: a SIGHUP's new weight shows in stats
lab_conf "$CONF" "interval 0.5" "wan wan1 weight 1" "wan wan2 weight 5" \
	"metrics $RTR_LAN4:$PORT"
kill -HUP "$OMR_PID"
weight_is_5() { [ "$(omr_wan weight wan2)" = 5 ]; }
if lab_wait 2 weight_is_5; then
	lab_pass metrics_idle_loop_runs
else
	lab_fail metrics_idle_loop_runs "wan2's weight is '$(omr_wan weight wan2)' 2 s after SIGHUP, want 5"
fi
for p in "${idle_pids[@]}"; do wait "$p"; done
closed=$(cat "$LAB_TMP"/idle* | grep -c closed)
lab_log "idle clients: $(cat "$LAB_TMP"/idle* | tr '\n' ',')"
lab_check metrics_idle_closed "$closed of 12 idle clients were closed by the agent within 10 s" \
	[ "$closed" = 12 ]
code=$(lan_curl -o /dev/null -w '%{http_code}' "$URL")
lab_check metrics_after_idle "GET /metrics after the idle clients: '$code'" [ "$code" = 200 ]

# ---- a reload moves the socket --------------------------------------------------

lab_conf "$CONF" "interval 0.5" "wan wan1 weight 1" "wan wan2 weight 5" \
	"metrics $RTR_LAN4:$((PORT + 1))"
kill -HUP "$OMR_PID"
new_port_serves() {
	[ "$(lan_curl -o /dev/null -w '%{http_code}' "http://$RTR_LAN4:$((PORT + 1))/metrics" \
		2>/dev/null)" = 200 ]
}
if lab_wait 3 new_port_serves; then
	old=$(lan_curl -o /dev/null -w '%{http_code}' "$URL" 2>/dev/null)
	lab_check metrics_reload_moves "after the reload the old port answered '$old', want nothing" \
		[ "$old" = 000 ]
else
	lab_fail metrics_reload_moves "port $((PORT + 1)) does not serve 3 s after the reload"
fi

# ---- the agent stopped -------------------------------------------------------------

omr_stop
if omr stats --prometheus --pin-dir "$LAB_PIN_DIR" > "$OUT.down"; then
	up=$(awk '$1 == "omr_steer_up" { print $2 }' "$OUT.down")
	lab_check metrics_stats_agent_down "omr_steer_up is '$up' with the agent stopped, want 0" \
		[ "$up" = 0 ]
	promtool_ok metrics_stats_down_promtool "$OUT.down"
else
	lab_fail metrics_stats_agent_down "stats --prometheus failed with the agent stopped"
fi

# an address the router does not have: load refuses, and says where
lab_conf "$CONF" "wan wan1 weight 1" "metrics 192.0.2.77:$PORT"
OMR_LOG=$LAB_TMP/bad-metrics.log
in_ns rtr timeout 20 "$OMR" load -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
	--pidfile "$LAB_TMP/bad.pid" > "$OMR_LOG" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "cannot serve /metrics on 192.0.2.77:$PORT" "$OMR_LOG"; then
	lab_pass metrics_bad_address
else
	lab_fail metrics_bad_address "load exited $rc: $(tr '\n' ' ' < "$OMR_LOG")"
fi
lab_finish
