#!/usr/bin/env bash
# Foundation network test: real TCP and UDP traffic, IPv4 and IPv6, uploads
# and downloads, over two WANs of a lab router running omr-steer; the
# per-WAN byte counts of `stats --json` must match the router's own
# interface counters within 1 %, and the rates must follow the traffic.
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

# Rates, sampled by the agent every second, while the downloads run.
sleep 1.5
mid_json=$(omr_stats_json)

failed=""
for name in "${names[@]}"; do
	pid_var=pid_$name
	if ! wait "${!pid_var}"; then
		failed="$failed $name"
		lab_log "$name: $(cat "$out/$name.json" "$out/$name.err")"
	fi
done
lab_check tcp_udp_traffic_both_directions "transfers failed:$failed" [ -z "$failed" ]

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
			lab_skip "counters_match_${w}_$d" "this kernel ran BPF tracing programs for $ref_delta of the $if_delta bytes sent on $w (omr-steer counted $omr_delta): it skips them in some contexts (README known limits)"
		else
			lab_fail "counters_match_${w}_$d" "omr-steer $omr_delta bytes vs interface $if_delta ($pct %, limit 1 %)"
		fi
	done
done

# ---- rates -------------------------------------------------------------------

# Downloads ran on both WANs through a 50 Mbit/s ISP link for a few seconds:
# the rx rate of each WAN, a second into them, must be a sizeable part of it.
rates_ok=1
isp_bps=$(lab_rate_bps "$ISP_RATE")
for w in wan1 wan2; do
	rx_bps=$(omr_wan rx_bps "$w" "$mid_json")
	lab_log "$w rx_bps during the downloads: $rx_bps (link $isp_bps)"
	if [ -z "$rx_bps" ] || [ "$rx_bps" -lt $((isp_bps / 4)) ] || [ "$rx_bps" -gt $((isp_bps * 12 / 10)) ]; then
		rates_ok=0
	fi
done
lab_check stats_rates_follow_traffic "rx_bps not within 25..120 % of the $ISP_RATE link during downloads: $(jq -c '[.wans[] | {name, rx_bps, tx_bps}]' <<< "$mid_json")" \
	[ "$rates_ok" = 1 ]

lab_finish
