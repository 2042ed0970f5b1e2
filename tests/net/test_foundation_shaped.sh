#!/usr/bin/env bash
# Foundation network test: per-WAN byte counts on shaped WANs.  Routers
# often shape their WAN egress (SQM: cake, fq_codel, tbf), and a shaper
# drops what exceeds its queue.  `stats` must report what the WAN really
# carried: within 1 % of the interface counters in both directions, here
# with tbf on the router's egress (and the ISP's) of each WAN.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/net/lib.sh

RATES="8mbit 24mbit"
MIN_BYTES=$((1024 * 1024))

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 2 --rates "$RATES" || { lab_fail setup "the lab could not be built"; exit 1; }
CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 1" "wan wan1 weight 1" "wan wan2 weight 3"
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
lab_xmit_ref_start wan1 wan2 || lab_log "no second transmit counter: a tx mismatch will FAIL"

counters() { # "omr_tx if_tx omr_rx if_rx ref_tx" of WAN
	local json
	json=$(omr_stats_json) || return 1
	echo "$(omr_wan tx_bytes "$1" "$json") $(lab_ifstat rtr "$1" tx_bytes)" \
	     "$(omr_wan rx_bytes "$1" "$json") $(lab_ifstat rtr "$1" rx_bytes) $(lab_xmit_ref_tx "$1")"
}

qdisc_drops() { # packets the router's root qdisc of WAN dropped so far
	in_ns rtr tc -s qdisc show dev "$1" root | awk '/dropped/ { sub(",", "", $7); print $7; exit }'
}

read -r -a w1_before <<< "$(counters wan1)"
read -r -a w2_before <<< "$(counters wan2)"
drops1_before=$(qdisc_drops wan1) drops2_before=$(qdisc_drops wan2)

# Enough concurrent TCP to overflow each link's queue (about 3 s per WAN).
pids=()
for i in 1 2; do
	mib=$((i == 1 ? 1 : 3))
	lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --upload --bytes "$((mib * 512))k" --conns 6 \
		--bind "$(lab_wan_addr4 "$i")" --timeout 40 >"$LAB_TMP/up$i.json" 2>&1 &
	pids+=($!)
	lab_traffic rtr "$LAB_SRV6" "$LAB_PORT" --download --bytes "${mib}m" --conns 3 \
		--bind "$(lab_wan_addr6 "$i")" --timeout 40 >"$LAB_TMP/down$i.json" 2>&1 &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" = 0 ] || lab_log "some transfers failed: $(cat "$LAB_TMP"/up*.json "$LAB_TMP"/down*.json)"
sleep 0.3

read -r -a w1_after <<< "$(counters wan1)"
read -r -a w2_after <<< "$(counters wan2)"
lab_log "tbf drops on the router's egress: wan1 $(($(qdisc_drops wan1) - drops1_before)), wan2 $(($(qdisc_drops wan2) - drops2_before))"

for w in wan1 wan2; do
	if [ "$w" = wan1 ]; then b=("${w1_before[@]}") a=("${w1_after[@]}"); else b=("${w2_before[@]}") a=("${w2_after[@]}"); fi
	for d in tx rx; do
		k=$([ "$d" = tx ] && echo 0 || echo 2)
		omr_delta=$((a[k] - b[k]))
		if_delta=$((a[k + 1] - b[k + 1]))
		pct=$(awk -v a="$omr_delta" -v b="$if_delta" 'BEGIN { printf "%.2f", b ? 100 * (a - b) / b : 0 }')
		ref_delta=""
		[ "$d" = tx ] && [ -n "${a[4]:-}" ] && [ -n "${b[4]:-}" ] && ref_delta=$((a[4] - b[4]))
		lab_log "$w $d: omr-steer $omr_delta bytes, interface $if_delta ($pct %)${ref_delta:+, the second counter $ref_delta}"
		if [ "$if_delta" -lt "$MIN_BYTES" ]; then
			lab_fail "shaped_counters_match_${w}_$d" "only $if_delta bytes went $d on $w"
		elif lab_within_pct "$omr_delta" "$if_delta" 1; then
			lab_pass "shaped_counters_match_${w}_$d"
		elif [ "$d" = tx ] && lab_xmit_blind_spot "$omr_delta" "$if_delta" "$ref_delta"; then
			# omr-steer counted every transmit this kernel showed to BPF (an
			# independent counter on the same tracepoint agrees); the kernel
			# hid the rest (README known limits; a stock kernel hides none:
			# tests/vm/test_xmit_counter.sh)
			lab_log "$w tx: this kernel ran BPF tracing programs for $ref_delta of the $if_delta bytes sent; omr-steer counted $omr_delta of them"
			lab_pass "shaped_counters_match_${w}_$d"
		else
			lab_fail "shaped_counters_match_${w}_$d" "omr-steer counted $omr_delta bytes, the interface $if_delta ($pct %, limit 1 %)"
		fi
	done
done

lab_finish
