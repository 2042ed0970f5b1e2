#!/usr/bin/env bash
# Foundation network test: real TCP and UDP traffic, IPv4 and IPv6, uploads
# and downloads, over two WANs of a lab router running omr-steer; the
# per-WAN byte counts of `stats --json` must match the router's own
# interface counters within 1 %, and the rates must follow the traffic (the
# rx_bps readings add up to the bytes counted).
#
# The router's egress is left unshaped on purpose: omr-steer counts on the
# clsact hook, before the root qdisc, so a shaper that drops packets would
# make the interface's tx counter smaller than what was handed to it.  The
# ISP side (router rx) is shaped, so that transfers last long enough for
# the rates to be sampled.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/net/lib.sh

ISP_RATE=50mbit			# ISP -> router, both WANs
MIN_BYTES=$((4 * 1024 * 1024))	# a comparison needs at least this much traffic

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 2 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_shape isp rtr1 "$ISP_RATE" && lab_shape isp rtr2 "$ISP_RATE" ||
	{ lab_fail setup "cannot shape the ISP links"; exit 1; }
CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 1" "wan wan1 weight 1" "wan wan2 weight 1"
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
lab_xmit_ref_start wan1 wan2 || lab_log "no second transmit counter: a tx mismatch will FAIL"

# ---- stats --json follows the contract -----------------------------------------

json=$(omr_stats_json)
contract_ok=1
for w in wan1 wan2; do
	for f in ifindex weight tx_bytes rx_bytes tx_packets rx_packets tx_bps rx_bps; do
		v=$(jq -r --arg w "$w" --arg f "$f" \
			'.wans[] | select(.name == $w) | .[$f] | numbers' <<< "$json")
		if [ -z "$v" ]; then
			lab_log "stats --json: $w has no numeric field '$f': $json"
			contract_ok=0
		fi
	done
	if [ "$(omr_wan ifindex "$w" "$json")" != "$(lab_ifindex rtr "$w")" ]; then
		lab_log "stats --json: $w ifindex $(omr_wan ifindex "$w" "$json"), the kernel says $(lab_ifindex rtr "$w")"
		contract_ok=0
	fi
done
[ "$(omr_wan weight wan1 "$json")" = 1 ] && [ "$(omr_wan weight wan2 "$json")" = 1 ] ||
	{ lab_log "stats --json: weights are not the configured 1 and 1: $json"; contract_ok=0; }
lab_check stats_json_contract "stats --json lacks a documented field or has a wrong value (see log)" \
	[ "$contract_ok" = 1 ]

# ---- traffic -----------------------------------------------------------------

snapshot() { # snapshot PREFIX: stats and interface counters of both WANs
	local json w d
	sleep 0.3	# let the last ACKs of earlier traffic land
	json=$(omr_stats_json) || return 1
	for w in wan1 wan2; do
		for d in tx rx; do
			eval "${1}_omr_${w}_$d=$(omr_wan "${d}_bytes" "$w" "$json")"
			eval "${1}_if_${w}_$d=$(lab_ifstat rtr "$w" "${d}_bytes")"
		done
		eval "${1}_ref_${w}_tx=$(lab_xmit_ref_tx "$w")"
	done
}

snapshot before || { lab_fail setup "stats --json does not answer"; exit 1; }

# Rates: a poller in the router polls `stats --json` (about 5 times an
# agent interval) from before the transfers until the agent's rates are back
# near zero after them (bounded: the transfers end within their timeout, the
# idle tail within RATE_TAIL_S, the poller within 120 s).  $LAB_TMP/rates:
# one line per poll, the time in ns, a tab, the JSON.
RATE_TAIL_S=15
rates_idle() { # both WANs' last rx_bps below 1 % of the ISP link
	tail -n 1 "$LAB_TMP/rates" | cut -f 2- |
		jq -e --argjson lim $(( $(lab_rate_bps "$ISP_RATE") / 100 )) \
		'[.wans[] | select(.rx_bps >= $lim)] | length == 0' >/dev/null 2>&1
}
in_ns rtr sh -c 'end=$(($(date +%s) + 120))
	while [ ! -e "$1" ] && [ "$(date +%s)" -lt "$end" ]; do
		t=$(date +%s%N); j=$("$2" stats --json --pin-dir "$3" | tr -d "\n") &&
		printf "%s\t%s\n" "$t" "$j"
		sleep 0.2
	done' poller "$LAB_TMP/rates.stop" "$OMR" "$LAB_PIN_DIR" > "$LAB_TMP/rates" 2>/dev/null &
rate_poller=$!
LAB_BG_PIDS+=("$rate_poller")
lab_wait 10 test -s "$LAB_TMP/rates"

out=$LAB_TMP/traffic
mkdir -p "$out"
names=()
bg() { # bg NAME ROLE TRAFGEN-CLIENT-ARGS...
	local name=$1 role=$2; shift 2
	lab_traffic "$role" "$@" --timeout 40 >"$out/$name.json" 2>"$out/$name.err" &
	eval "pid_$name=$!"
	names+=("$name")
}
# The LAN host through the router (it leaves by the default route, wan1,
# unless something steers it), v4 and v6, up, down and UDP.
bg lan_up4    lan "$LAB_SRV4" "$LAB_PORT" --upload   --bytes 3m --conns 2
bg lan_down4  lan "$LAB_SRV4" "$LAB_PORT" --download --bytes 2m --conns 2
bg lan_up6    lan "$LAB_SRV6" "$LAB_PORT" --upload   --bytes 2m
bg lan_down6  lan "$LAB_SRV6" "$LAB_PORT" --download --bytes 2m
bg lan_udp4   lan "$LAB_SRV4" "$LAB_PORT" --udp --count 200 --size 1200
bg lan_udp6   lan "$LAB_SRV6" "$LAB_PORT" --udp --count 200 --size 1200
# The router itself, bound to each WAN's addresses (policy routing), so that
# every WAN carries every kind of traffic whatever happens to the LAN's.
for i in 1 2; do
	a4=$(lab_wan_addr4 "$i") a6=$(lab_wan_addr6 "$i")
	bg "rtr${i}_up4"   rtr "$LAB_SRV4" "$LAB_PORT" --upload   --bytes 3m --conns 2 --bind "$a4"
	bg "rtr${i}_down4" rtr "$LAB_SRV4" "$LAB_PORT" --download --bytes 2m --conns 2 --bind "$a4"
	bg "rtr${i}_up6"   rtr "$LAB_SRV6" "$LAB_PORT" --upload   --bytes 2m --bind "$a6"
	bg "rtr${i}_down6" rtr "$LAB_SRV6" "$LAB_PORT" --download --bytes 2m --bind "$a6"
	bg "rtr${i}_udp4"  rtr "$LAB_SRV4" "$LAB_PORT" --udp --count 200 --size 1200 --bind "$a4"
	bg "rtr${i}_udp6"  rtr "$LAB_SRV6" "$LAB_PORT" --udp --count 200 --size 1200 --bind "$a6"
done

failed=""
for name in "${names[@]}"; do
	pid_var=pid_$name
	if ! wait "${!pid_var}"; then
		failed="$failed $name"
		lab_log "$name: $(cat "$out/$name.json" "$out/$name.err")"
	fi
done
lab_check tcp_udp_traffic_both_directions "transfers failed:$failed" [ -z "$failed" ]
lab_wait "$RATE_TAIL_S" rates_idle
touch "$LAB_TMP/rates.stop"
wait "$rate_poller"

# Both WANs carried traffic of every kind: the server sees one source
# address per WAN (masquerade), with bytes in, bytes out and datagrams.
peers=$(lab_server_stats)
wans_ok=1
for a in "$(lab_wan_addr4 1)" "$(lab_wan_addr6 1)" "$(lab_wan_addr4 2)" "$(lab_wan_addr6 2)"; do
	if ! jq -e --arg a "$a" '.peers[] | select(.addr == $a) |
		select(.bytes_in > 0 and .bytes_out > 0 and .udp_packets_in > 0 and .failed == 0)' \
		<<< "$peers" >/dev/null; then
		lab_log "the server did not see uploads, downloads and datagrams from $a: $peers"
		wans_ok=0
	fi
done
lab_check traffic_over_both_wans "one WAN did not carry every kind of traffic (see log)" [ "$wans_ok" = 1 ]

# ---- counters match the kernel's --------------------------------------------

snapshot after
for w in wan1 wan2; do
	for d in tx rx; do
		eval "omr_delta=\$((after_omr_${w}_$d - before_omr_${w}_$d))"
		eval "if_delta=\$((after_if_${w}_$d - before_if_${w}_$d))"
		pct=$(awk -v a="$omr_delta" -v b="$if_delta" 'BEGIN { printf "%.3f", b ? 100 * (a - b) / b : 0 }')
		ref_delta=""
		[ "$d" = tx ] && eval "[ -n \"\$before_ref_${w}_tx\" ] && [ -n \"\$after_ref_${w}_tx\" ]" &&
			eval "ref_delta=\$((after_ref_${w}_tx - before_ref_${w}_tx))"
		lab_log "$w $d: omr-steer counted $omr_delta bytes, the interface $if_delta ($pct %)${ref_delta:+, the second counter $ref_delta}"
		if [ "$if_delta" -lt "$MIN_BYTES" ]; then
			lab_fail "counters_match_${w}_$d" "only $if_delta bytes went $d on $w; the test needs $MIN_BYTES"
		elif lab_within_pct "$omr_delta" "$if_delta" 1; then
			lab_pass "counters_match_${w}_$d"
		elif [ "$d" = tx ] && lab_xmit_blind_spot "$omr_delta" "$if_delta" "$ref_delta"; then
			# omr-steer counted every transmit this kernel showed to BPF (an
			# independent counter on the same tracepoint agrees); the kernel
			# hid the rest (README known limits; a stock kernel hides none:
			# tests/vm/test_xmit_counter.sh)
			lab_log "$w tx: this kernel ran BPF tracing programs for $ref_delta of the $if_delta bytes sent; omr-steer counted $omr_delta of them"
			lab_pass "counters_match_${w}_$d"
		else
			lab_fail "counters_match_${w}_$d" "omr-steer $omr_delta bytes vs interface $if_delta ($pct %, limit 1 %)"
		fi
	done
done

# ---- rates -------------------------------------------------------------------

# The agent's rx_bps follows the bytes it counts: summed over the polls
# (each reading times the time since the previous poll: a rate the agent
# computed over its last interval), the rates account for the rx_bytes
# counted from the first poll to the last within a factor of 3 (the agent's
# interval and the polls are not aligned, and under load the polls come
# 2 s apart: 157 % was seen at load 11).  A wrong unit (bytes for bits, a
# wrong time base) or a rate that does not move fails.  No absolute window
# on the rate (it was 25..120 % of the link a second into the downloads):
# how fast the lab's transfers run depends on the machine's load, not on
# omr-steer.
# the polls as time, rx_bytes and rx_bps of wan1, of wan2
while IFS=$'\t' read -r t j; do
	jq -r --arg t "$t" '[$t, (.wans[] | select(.name == "wan1") | .rx_bytes, .rx_bps),
		(.wans[] | select(.name == "wan2") | .rx_bytes, .rx_bps)] | @tsv' <<< "$j"
done < "$LAB_TMP/rates" > "$LAB_TMP/rates.tsv"
rates_ok=1
for col in 2 4; do
	w=wan$((col / 2))
	read -r counted summed peak <<< "$(awk -v c="$col" '
		NR == 1 { b0 = $c } { if (NR > 1) s += $(c + 1) * ($1 - t) / 8e9; t = $1; b = $c
			if ($(c + 1) > p) p = $(c + 1) }
		END { printf "%d %d %d\n", b - b0, s, p }' "$LAB_TMP/rates.tsv")"
	lab_log "$w: $counted bytes received over the polls, the rx_bps readings add up to $summed; peak rx_bps $peak (link $(lab_rate_bps "$ISP_RATE")); $(wc -l < "$LAB_TMP/rates.tsv") polls over $(awk 'NR == 1 { a = $1 } END { printf "%.1f", ($1 - a) / 1e9 }' "$LAB_TMP/rates.tsv") s"
	if [ "${counted:-0}" -lt "$MIN_BYTES" ] || [ "${summed:-0}" -lt $((counted / 3)) ] ||
	   [ "${summed:-0}" -gt $((counted * 3)) ]; then
		rates_ok=0
	fi
done
lab_check stats_rates_follow_traffic "the rx_bps readings do not add up to the rx_bytes counted (within a factor of 3; see log)" \
	[ "$rates_ok" = 1 ]

lab_finish
