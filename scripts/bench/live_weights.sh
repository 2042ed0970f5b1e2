#!/usr/bin/env bash
# Live weights benchmark (issue 5), one lab, three WANs of unequal rates:
#  (a) every WAN `weight auto` (no rate typed anywhere); WARMUP seconds of
#      bulk uploads from the LAN; the effective weights of stats --json
#      against the link rates (target: every ratio to wan1 within 10 %);
#      then the batch benchmark of scripts/bench/steer_batch.sh (CONNS
#      concurrent uploads of BYTES) with those auto weights, against the
#      ideal total bytes / sum of the link rates (target <= 1.2 x ideal);
#  (b) failover: wan3's carrier drops (ip link set down in the router):
#      time until stats shows its effective weight 0 (polled every 50 ms;
#      target <= 1 s), and new connections then avoid it; wan3's probe
#      stops answering (the ISP drops its echo requests): time until it is
#      down (target <= interval x 3 + 1 s).
#   WARMUP=10 CONNS=24 BYTES=1m RATES="6mbit 18mbit 12mbit" scripts/bench/live_weights.sh
# TRACE=FILE records (a) every 0.5 s: ms, then per WAN [tx_bps, rx_bps,
# capacity_bps, effective_weight, flows] from stats --json.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-ox$$b}
. tests/net/lib.sh

CONNS=${CONNS:-24}
BYTES=${BYTES:-1m}
RATES=${RATES:-6mbit 18mbit 12mbit}
WARMUP=${WARMUP:-10}
PROBE_INTERVAL=${PROBE_INTERVAL:-0.5}
RATIO_PCT=10
BATCH_TARGET=1.2
missed=0

die() { echo "live_weights: $*" >&2; exit 1; }
verdict() { # verdict OK? TEXT
	if [ "$1" = 0 ]; then echo "  target met: $2"; else echo "  target NOT met: $2"; missed=1; fi
}
lab_require_omr || exit 1
[ -x "$TRAFGEN" ] || die "$TRAFGEN is missing (make build/tools/trafgen)"
read -r -a rates <<< "$RATES"
[ "${#rates[@]}" = 3 ] || die "RATES needs three values"

lab_up --wans 3 || die "the lab could not be built"
# both directions, a 200 ms queue as in steer_batch.sh
for i in 1 2 3; do
	bps[i]=$(lab_rate_bps "${rates[i - 1]}") || die "bad rate ${rates[i - 1]}"
	burst=$((bps[i] / 8 / 50 > 6056 ? bps[i] / 8 / 50 : 6056))
	in_ns rtr tc qdisc replace dev "wan$i" root tbf rate "${bps[i]}bit" burst "$burst" latency 200ms &&
	in_ns isp tc qdisc replace dev "rtr$i" root tbf rate "${bps[i]}bit" burst "$burst" latency 200ms ||
		die "cannot shape wan$i"
done
lab_server_start || die "the traffic server did not start"
CONF=$LAB_TMP/omr-steer.conf
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---- (a) weight auto: convergence, then the batch -------------------------------

lab_conf "$CONF" "interval 1" "wan wan1 weight auto" "wan wan2 weight auto" "wan wan3 weight auto"
omr_load "$CONF" || die "the agent did not start"
if [ -n "${TRACE:-}" ]; then
	while j=$(omr_stats_json 2>/dev/null); do
		echo "$(now_ms) $(jq -c '[.wans[] | [.tx_bps, .rx_bps, .capacity_bps, .effective_weight, .flows]]' <<< "$j")"
		sleep 0.5
	done > "$TRACE" &
	trace_pid=$!
	LAB_BG_PIDS+=("$trace_pid")
fi
sleep 1
echo "live_weights: all WANs weight auto, ${WARMUP} s of bulk uploads over ${rates[*]}"
t0=$(now_ms)
while [ $(( $(now_ms) - t0 )) -lt $((WARMUP * 1000 - 1500)) ]; do
	lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes 256k --conns 24 --parallel 24 \
		--timeout 20 >/dev/null 2>&1
done
j=$(omr_stats_json) || die "stats --json failed"
for i in 1 2 3; do
	ew[i]=$(omr_wan effective_weight "wan$i" "$j")
	cap[i]=$(omr_wan capacity_bps "wan$i" "$j")
	printf "  wan%d  link %-7s  capacity_bps %10s  effective_weight %4s  state %s\n" \
		"$i" "${rates[i - 1]}" "${cap[i]}" "${ew[i]}" "$(omr_wan state "wan$i" "$j")"
done
echo "  after $(( ($(now_ms) - t0) / 1000 )) s of warm-up"
for i in 2 3; do
	out=$(awk -v e1="${ew[1]}" -v ei="${ew[i]}" -v b1="${bps[1]}" -v bi="${bps[i]}" -v p=$RATIO_PCT '
		BEGIN { w = e1 > 0 ? ei / e1 : -1; l = bi / b1; d = (w - l) / l * 100
			printf "%.2f %.2f %+.1f %d", w, l, d, (d <= p && d >= -p) ? 0 : 1 }')
	read -r w l d bad <<< "$out"
	verdict "$bad" "effective weight ratio wan$i/wan1 $w vs link ratio $l ($d %, want within $RATIO_PCT %)"
done

lab_batch_ideal "$BYTES" "$CONNS" "${rates[@]}"
sum_bps=$SUM_BPS total=$TOTAL ideal=$IDEAL
sleep 6	# the warm-up flows no longer count as busy (steering.h)
for i in 1 2 3; do before[i]=$(lab_ifstat rtr "wan$i" tx_bytes); done
out=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes "$BYTES" \
	--conns "$CONNS" --parallel "$CONNS" --timeout 120) || echo "  the batch failed: $out"
secs=$(jq -r '.seconds // 0' <<< "$out")
sum=0
for i in 1 2 3; do d[i]=$(( $(lab_ifstat rtr "wan$i" tx_bytes) - before[i] )); sum=$((sum + d[i])); done
[ "$sum" -gt 0 ] || sum=1
j=$(omr_stats_json)
echo "  batch: $CONNS uploads of $BYTES, $((total / 1048576)) MiB; ideal $ideal s"
echo "  batch: $secs s = $(awk -v s="$secs" -v i="$ideal" 'BEGIN { printf "%.2f", s / i }') x ideal;" \
	"shares $((100 * d[1] / sum))/$((100 * d[2] / sum))/$((100 * d[3] / sum)) %" \
	"(links $((100 * bps[1] / sum_bps))/$((100 * bps[2] / sum_bps))/$((100 * bps[3] / sum_bps)) %);" \
	"effective weights $(jq -r '[.wans[].effective_weight] | join(":")' <<< "$j")"
bad=$(awk -v s="$secs" -v i="$ideal" -v t=$BATCH_TARGET 'BEGIN { print (s > 0 && s / i <= t) ? 0 : 1 }')
verdict "$bad" "auto-weight batch $(awk -v s="$secs" -v i="$ideal" 'BEGIN { printf "%.2f", s / i }') x ideal (want <= $BATCH_TARGET)"
[ -z "${trace_pid:-}" ] || kill "$trace_pid" 2>/dev/null
omr_stop

# ---- (b) failover ----------------------------------------------------------------

# stats_ms WAN: poll stats --json every 50 ms until WAN's effective weight
# is 0 (or 10 s pass); prints the ms since T0
down_ms() {
	local t
	while :; do
		t=$(( $(now_ms) - T0 ))
		[ "$(omr_wan effective_weight "$1" 2>/dev/null)" = 0 ] && { echo "$t"; return 0; }
		[ "$t" -ge 10000 ] && { echo "$t"; return 1; }
		sleep 0.05
	done
}

lab_conf "$CONF" "interval 1" "wan wan1 weight auto" "wan wan2 weight auto" "wan wan3 weight auto"
omr_load "$CONF" || die "the agent did not start"
sleep 2
T0=$(now_ms)
ip -n "$LAB_RTR" link set wan3 down
ms=$(down_ms wan3)
bad=$(( ms <= 1000 ? 0 : 1 ))
verdict "$bad" "carrier drop: wan3 effective weight 0 after $ms ms (want <= 1000 ms)"
before=$(lab_server_stats)
lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes 4k --conns 30 --parallel 3 --timeout 20 >/dev/null
after=$(lab_server_stats)
n3=$(jq -r --arg a "$(lab_wan_addr4 3)" '[.peers[] | select(.addr == $a) | .conns] | add // 0' <<< "$after")
n3b=$(jq -r --arg a "$(lab_wan_addr4 3)" '[.peers[] | select(.addr == $a) | .conns] | add // 0' <<< "$before")
verdict $(( n3 - n3b == 0 ? 0 : 1 )) "carrier drop: $((n3 - n3b)) of 30 new connections by wan3 after its weight went to 0 (want 0)"
ip -n "$LAB_RTR" link set wan3 up
ip -n "$LAB_RTR" route replace default via "$(lab_isp_addr4 3)" dev wan3 metric 3
ip -n "$LAB_RTR" route replace default via "$(lab_isp_addr4 3)" dev wan3 table 103
omr_stop

lab_conf "$CONF" "interval $PROBE_INTERVAL" \
	"wan wan1 weight auto probe $(lab_isp_addr4 1)" \
	"wan wan2 weight auto probe $(lab_isp_addr4 2)" \
	"wan wan3 weight auto probe $(lab_isp_addr4 3)"
omr_load "$CONF" || die "the agent did not start"
sleep 3
[ "$(omr_wan state wan3)" = down ] && echo "  wan3 is down before its probe stops (?)"
T0=$(now_ms)
in_ns isp nft -f - <<-EOF
	table ip ox_bench_probe {
		chain input {
			type filter hook input priority 0; policy accept;
			ip saddr $(lab_wan_addr4 3) icmp type echo-request drop
		}
	}
EOF
ms=$(down_ms wan3)
limit=$(awk -v i="$PROBE_INTERVAL" 'BEGIN { printf "%d", i * 3 * 1000 + 1000 }')
bad=$(( ms <= limit ? 0 : 1 ))
verdict "$bad" "probe unanswered: wan3 effective weight 0 after $ms ms (want <= $limit ms, interval $PROBE_INTERVAL x 3 + 1 s)"
in_ns isp nft delete table ip ox_bench_probe
T0=$(now_ms)
while [ "$(omr_wan effective_weight wan3 2>/dev/null)" = 0 ] && [ $(( $(now_ms) - T0 )) -lt 10000 ]; do
	sleep 0.05
done
echo "  probe answers again: wan3 back (effective weight $(omr_wan effective_weight wan3)) after $(( $(now_ms) - T0 )) ms"
omr_stop

exit $missed
