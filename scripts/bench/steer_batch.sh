#!/usr/bin/env bash
# Steering batch benchmark (issue 3): how long a batch of concurrent TCP
# uploads from the LAN takes through three WANs of unequal rates, side by
# side in one run:
#   one WAN      no omr-steer: everything follows the default route (wan1)
#   equal        omr-steer, weights 1:1:1 (per-connection balancing, mwan3's default)
#   rate-matched omr-steer, weights matching the link rates (1:3:2)
#   ideal        total bytes / sum of the link rates
# Target: rate-matched <= 1.15 x ideal.  The shares are each WAN's part of
# the bytes the router sent (interface counters).
#   CONNS=24 BYTES=1m RATES="6mbit 18mbit 12mbit" WEIGHTS="1 3 2" scripts/bench/steer_batch.sh
# (DESIGN.md's figures are for BYTES=2m: the one-WAN run then takes a minute.)
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-os$$b}
. tests/net/lib.sh

CONNS=${CONNS:-24}
BYTES=${BYTES:-1m}
RATES=${RATES:-6mbit 18mbit 12mbit}
WEIGHTS=${WEIGHTS:-1 3 2}
TARGET=${TARGET:-1.15}

die() { echo "steer_batch: $*" >&2; exit 1; }
lab_require_omr || exit 1
[ -x "$TRAFGEN" ] || die "$TRAFGEN is missing (make build/tools/trafgen)"
read -r -a rates <<< "$RATES"
read -r -a weights <<< "$WEIGHTS"
[ "${#rates[@]}" = 3 ] && [ "${#weights[@]}" = 3 ] || die "RATES and WEIGHTS need three values each"

lab_up --wans 3 || die "the lab could not be built"
# tbf in both directions with a deep (1 s) queue, as many ISP links have:
# with lab_shape's 50 ms queue, some of 24 flows on the 6 Mbit link lose
# their retransmissions and back off past trafgen's 30 s idle limit in the
# one-WAN run (this kernel has no fair-queuing qdisc to put under tbf)
for i in 1 2 3; do
	bps=$(lab_rate_bps "${rates[i - 1]}") || die "bad rate ${rates[i - 1]}"
	burst=$((bps / 8 / 50 > 6056 ? bps / 8 / 50 : 6056))
	in_ns rtr tc qdisc replace dev "wan$i" root tbf rate "${bps}bit" burst "$burst" latency 1s &&
	in_ns isp tc qdisc replace dev "rtr$i" root tbf rate "${bps}bit" burst "$burst" latency 1s ||
		die "cannot shape wan$i"
done
lab_server_start || die "the traffic server did not start"
CONF=$LAB_TMP/omr-steer.conf

lab_batch_ideal "$BYTES" "$CONNS" "${rates[@]}"
sum_bps=$SUM_BPS total=$TOTAL ideal=$IDEAL

# batch: one batch of uploads; prints "SECONDS SHARE1 SHARE2 SHARE3" (shares in %)
batch() {
	local i before=() d=() sum=0 out secs
	for i in 1 2 3; do before[i]=$(lab_ifstat rtr "wan$i" tx_bytes); done
	out=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes "$BYTES" \
		--conns "$CONNS" --parallel "$CONNS" --timeout 600) ||
		{ echo "batch failed: $out" >&2; return 1; }
	secs=$(jq -r .seconds <<< "$out")
	for i in 1 2 3; do
		d[i]=$(( $(lab_ifstat rtr "wan$i" tx_bytes) - before[i] ))
		sum=$((sum + d[i]))
	done
	[ "$sum" -gt 0 ] || sum=1
	echo "$secs $((100 * d[1] / sum)) $((100 * d[2] / sum)) $((100 * d[3] / sum))"
}

# set_weights W1 W2 W3: the weight file, then (re)load; let the last batch's flows go idle
set_weights() {
	lab_conf "$CONF" "interval 1" "wan wan1 weight $1" "wan wan2 weight $2" "wan wan3 weight $3"
	if [ -z "${OMR_PID:-}" ]; then
		omr_load "$CONF" || return 1
	else
		kill -HUP "$OMR_PID"
	fi
	sleep 6	# a reload, a sync, and the flows of the previous batch no longer busy
}

echo "steer_batch: $CONNS uploads of $BYTES over WANs at ${rates[*]}, $((total / 1048576)) MiB in all"
one=$(batch) || die "the one-WAN batch failed"
set_weights 1 1 1 || die "the agent did not start"
equal=$(batch) || die "the equal-weights batch failed"
set_weights "${weights[@]}" || die "reload failed"
matched=$(batch) || die "the rate-matched batch failed"

row() { # row NAME "SECONDS S1 S2 S3"
	local s s1 s2 s3
	read -r s s1 s2 s3 <<< "$2"
	awk -v n="$1" -v s="$s" -v i="$ideal" -v a="$s1" -v b="$s2" -v c="$s3" \
		'BEGIN { printf "  %-24s %7.2f s  %5.2f x ideal   shares %3d/%3d/%3d %%\n", n, s, s / i, a, b, c }'
}
printf "  %-24s %7.2f s  %5.2f x ideal   rates  %s\n" "ideal (sum of the links)" "$ideal" 1 "${rates[*]}"
row "one WAN (no omr-steer)" "$one"
row "equal weights 1:1:1" "$equal"
row "rate-matched ${weights[0]}:${weights[1]}:${weights[2]}" "$matched"
ratio=$(awk -v s="${matched%% *}" -v i="$ideal" 'BEGIN { printf "%.2f", s / i }')
if awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r <= t) }'; then
	echo "  target met: rate-matched batch $ratio x ideal (<= $TARGET)"
else
	echo "  target missed: rate-matched batch $ratio x ideal (> $TARGET)"
	exit 1
fi
