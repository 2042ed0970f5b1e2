#!/usr/bin/env bash
# MPTCP batch benchmark (issue 4): the master/backup trap against the same
# links with the endpoint flags managed from the weights.
#
# The router has three WANs shaped to unequal rates (default 6/18/12 Mbit/s,
# both directions), each an MPTCP endpoint; the master is the slowest, the
# other two are flagged backup, as on many OpenMPTCProuter installs.  A batch
# of concurrent MPTCP uploads runs to the server:
#   trap      no omr-steer: the backup subflows carry nothing
#   managed   mptcp_apply_weights() with weights 1:3:2 (all > 0: no backup)
#   ideal     total bytes / sum of the link rates
# Targets: managed >= 4x faster than the trap, and within 1.3x the ideal.
#
# The managed runs are `omr-steer load` with the weights in its weight file.
#   CONNS=12 BYTES=2m RATES="6mbit 18mbit 12mbit" RUNS=3 scripts/bench/mptcp_batch.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=om$$b
. tests/net/lib.sh

CONNS=${CONNS:-12}
BYTES=${BYTES:-2m}
RATES=${RATES:-6mbit 18mbit 12mbit}
RUNS=${RUNS:-3}
WEIGHTS=${WEIGHTS:-1 3 2}

die() { echo "mptcp_batch: $*" >&2; exit 1; }
lab_require_omr || exit 1
for f in "$TRAFGEN"; do
	[ -x "$f" ] || die "$f is missing (make build/tools/$(basename "$f"))"
done
[ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] || die "MPTCP is not enabled (net.mptcp.enabled)"
read -r -a rates <<< "$RATES"
read -r -a weights <<< "$WEIGHTS"
[ "${#rates[@]}" = 3 ] && [ "${#weights[@]}" = 3 ] || die "RATES and WEIGHTS need three values each"

lab_up --wans 3 --rates "$RATES" || die "the lab could not be built"
lab_server_start "$LAB_PORT" --mptcp || die "the MPTCP traffic server did not start"
in_ns srv ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 1)" dev wan1 subflow
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 2)" dev wan2 subflow backup
in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 3)" dev wan3 subflow backup
mkdir -p "$LAB_PIN_DIR"

lab_batch_ideal "$BYTES" "$CONNS" "${rates[@]}"
sum_bps=$SUM_BPS total=$TOTAL ideal=$IDEAL

# batch: one batch of uploads; prints "SECONDS SHARE1 SHARE2 SHARE3" (shares in %)
batch() {
	local i before=() d=() sum=0 out secs
	for i in 1 2 3; do before[i]=$(lab_ifstat rtr "wan$i" tx_bytes); done
	out=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --mptcp --upload --bytes "$BYTES" \
		--conns "$CONNS" --parallel "$CONNS" --timeout 120) || { echo "batch failed: $out" >&2; return 1; }
	secs=$(jq -r .seconds <<< "$out")
	[ "$(jq -r .mptcp_active <<< "$out")" = "$CONNS" ] || echo "note: not every connection used MPTCP: $out" >&2
	for i in 1 2 3; do d[i]=$(( $(lab_ifstat rtr "wan$i" tx_bytes) - before[i] )); sum=$((sum + d[i])); done
	[ "$sum" -gt 0 ] || sum=1
	echo "$secs $((d[1] * 100 / sum)) $((d[2] * 100 / sum)) $((d[3] * 100 / sum))"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "links: ${rates[*]} (sum $((sum_bps / 1000000)) Mbit/s); batch: $CONNS concurrent MPTCP uploads of $BYTES"

trap_res=$(batch) || die "the trap batch failed"
read -r trap_s t1 t2 t3 <<< "$trap_res"
printf 'trap (wan2, wan3 backup):  %7.2f s   bytes per WAN %3s%% %3s%% %3s%%\n' "$trap_s" "$t1" "$t2" "$t3"

CONF=$LAB_TMP/omr-steer.conf
printf 'wan wan1 weight %s\nwan wan2 weight %s\nwan wan3 weight %s\n' "${weights[@]}" > "$CONF"
omr_load "$CONF" || die "omr-steer load failed"
sleep 1
status=$(omr status --pin-dir "$LAB_PIN_DIR")
mode=$(sed -n 's/^mptcp: *//p' <<< "$status")
echo "kernel: $(grep -A1 '^mptcp:' <<< "$status" | tail -n 1 | sed 's/^ *//')"
managed_times=()
for ((run = 1; run <= RUNS; run++)); do
	res=$(batch) || die "a managed batch failed"
	read -r s m1 m2 m3 <<< "$res"
	managed_times+=("$s")
	printf 'managed (%s), run %d: %7.2f s   bytes per WAN %3s%% %3s%% %3s%%\n' "$mode" "$run" "$s" "$m1" "$m2" "$m3"
done
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1 || echo "note: omr-steer unload failed" >&2

managed_s=$(printf '%s\n' "${managed_times[@]}" | median)
speedup=$(awk -v a="$trap_s" -v b="$managed_s" 'BEGIN { printf "%.3f", a / b }')
vs_ideal=$(awk -v a="$managed_s" -v b="$ideal" 'BEGIN { printf "%.3f", a / b }')
printf 'ideal (total / sum of rates): %.2f s\n' "$ideal"
printf 'managed median %.2f s: %.2fx faster than the trap (target >= 4x), %.2fx the ideal (target <= 1.3x)\n' \
	"$managed_s" "$speedup" "$vs_ideal"
if [ "$mode" = "endpoint flags" ]; then
	echo "per-subflow shares against the weights: not measurable here, this kernel has no MPTCP scheduler hook (the default scheduler spreads over the non-backup subflows)"
fi
if awk -v s="$speedup" -v i="$vs_ideal" 'BEGIN { exit !(s >= 4 && i <= 1.3) }'; then
	echo "result: targets met"
else
	echo "result: targets NOT met"
	exit 1
fi
