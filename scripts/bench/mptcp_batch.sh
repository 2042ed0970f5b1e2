#!/usr/bin/env bash
# MPTCP batch benchmark (issues 4 and 10): the master/backup trap against the
# same links with the endpoint flags managed from the weights and, where the
# kernel has the BPF MPTCP scheduler hook, with the omr_steer scheduler.
#
# The router has three WANs shaped to unequal rates (default 6/18/12 Mbit/s,
# both directions), each an MPTCP endpoint; the master is the slowest, the
# other two are flagged backup, as on many OpenMPTCProuter installs.  A batch
# of concurrent MPTCP uploads runs to the server, side by side in one run:
#   trap       no omr-steer: the backup subflows carry nothing
#   flags      `mptcp-scheduler no`, weights 1:3:2: the endpoint flags follow
#              the weights (all > 0: no backup), the kernel's default scheduler
#   scheduler  `mptcp-scheduler yes`, weights 1:3:2: the omr_steer scheduler
#              (only when the kernel has the hook: the test VM, make vmtest)
#   ideal      total bytes / sum of the link rates
#   reference  what these links carry at best, without MPTCP: the same bytes
#              as plain TCP, each WAN its rate's share of them (REF_CONNS
#              connections per WAN, bound to it), all WANs at once; the time
#              of the slowest WAN.  The gap to the ideal is the TCP/IP headers
#              and one slow start; MPTCP adds its DSS option (24 bytes per data
#              segment) on top, which no scheduler can avoid.
# Targets: flags >= 4x faster than the trap and within 1.3x the ideal; the
# scheduler within 1.07x the ideal and no slower than the flags.
#
#   CONNS=12 BYTES=2m RATES="6mbit 18mbit 12mbit" RUNS=3 MODES="flags scheduler" \
#     scripts/bench/mptcp_batch.sh
# Inside the test VM: scripts/bench/vm_mptcp.sh (tests/vm/bench_mptcp_batch.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=om$$b
. tests/net/lib.sh

CONNS=${CONNS:-12}
BYTES=${BYTES:-2m}
RATES=${RATES:-6mbit 18mbit 12mbit}
RUNS=${RUNS:-3}
WEIGHTS=${WEIGHTS:-1 3 2}
REF_CONNS=${REF_CONNS:-4}

die() { echo "mptcp_batch: $*" >&2; exit 1; }
lab_require_omr || exit 1
for f in "$TRAFGEN"; do
	[ -x "$f" ] || die "$f is missing (make build/tools/$(basename "$f"))"
done
[ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] || die "MPTCP is not enabled (net.mptcp.enabled)"
read -r -a rates <<< "$RATES"
read -r -a weights <<< "$WEIGHTS"
[ "${#rates[@]}" = 3 ] && [ "${#weights[@]}" = 3 ] || die "RATES and WEIGHTS need three values each"
has_hook() { bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "STRUCT 'bpf_struct_ops_mptcp_sched_ops'"; }
if [ -z "${MODES:-}" ]; then
	MODES=flags
	if has_hook; then
		MODES="flags scheduler"
	else
		echo "scheduler: not measured here, this kernel has no BPF MPTCP scheduler hook (scripts/bench/vm_mptcp.sh measures it in the test VM)"
	fi
fi
read -r -a modes <<< "$MODES"

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

# batch: one batch of uploads; prints "SECONDS SHARE1 SHARE2 SHARE3 WIRE_BYTES
# SEGS RETRANS REINJ" (shares in %; WIRE_BYTES: what the WANs sent, headers and
# retransmissions included; the rest: tcp_delta)
batch() {
	local i before=() d=() sum=0 out secs
	for i in 1 2 3; do before[i]=$(lab_ifstat rtr "wan$i" tx_bytes); done
	tcp_mark
	out=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --mptcp --upload --bytes "$BYTES" \
		--conns "$CONNS" --parallel "$CONNS" --timeout 120) || { echo "batch failed: $out" >&2; return 1; }
	secs=$(jq -r .seconds <<< "$out")
	[ "$(jq -r .mptcp_active <<< "$out")" = "$CONNS" ] || echo "note: not every connection used MPTCP: $out" >&2
	for i in 1 2 3; do d[i]=$(( $(lab_ifstat rtr "wan$i" tx_bytes) - before[i] )); sum=$((sum + d[i])); done
	[ "$sum" -gt 0 ] || sum=1
	echo "$secs $((d[1] * 100 / sum)) $((d[2] * 100 / sum)) $((d[3] * 100 / sum)) $sum $(tcp_delta)"
}

# tcp_mark / tcp_delta: the router's TCP segments sent, TCP segments
# retransmitted and MPTCP reinjections (data sent again on another subflow)
# since tcp_mark, as "SEGS RETRANS REINJ"
tcp_counts() { echo "$(lab_snmp rtr Tcp:OutSegs) $(lab_snmp rtr Tcp:RetransSegs) $(lab_snmp rtr MPTcpExt:MPTCPRetrans)"; }
tcp_mark() { read -r seg0 rtx0 rinj0 <<< "$(tcp_counts)"; }
tcp_delta() { local a b c; read -r a b c <<< "$(tcp_counts)"; echo "$((a - seg0)) $((b - rtx0)) $((c - rinj0))"; }
# wire_pct WIRE_BYTES: the links' bytes in % of the batch's payload
wire_pct() { awk -v w="$1" -v t="$total" 'BEGIN { printf "%.1f", w * 100 / t }'; }
# segs SEGS RETRANS REINJ BYTES: "N segments, ..." for a batch of BYTES payload.
# TCP counts a retransmission when it sends again, also when the local queue
# (tbf) drops the segment before the wire: a shaped link's drops count too.
segs() {
	awk -v n="$1" -v r="$2" -v m="$3" -v b="$4" 'BEGIN {
		printf "%d segments, %.0f B payload each, %d retransmissions (tbf drops included), %d MPTCP reinjections", n, b / n, r, m }'
}

# reference: one batch of plain TCP uploads split by link rate; prints
# "SECONDS WIRE_BYTES SEGS RETRANS REINJ" (seconds: the slowest WAN's client)
reference() {
	local i pids=() before=() secs=0 s sum=0 per
	tcp_mark
	for i in 1 2 3; do
		before[i]=$(lab_ifstat rtr "wan$i" tx_bytes)
		per=$(awk -v t="$total" -v r="$(lab_rate_bps "${rates[i - 1]}")" -v s="$sum_bps" -v c="$REF_CONNS" \
			'BEGIN { printf "%d", t * r / s / c }')
		lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --upload --bytes "$per" --conns "$REF_CONNS" \
			--parallel "$REF_CONNS" --bind "$(lab_wan_addr4 "$i")" --timeout 120 > "$LAB_TMP/ref.$i" &
		pids+=($!)
	done
	for i in 1 2 3; do
		wait "${pids[i - 1]}" || { echo "reference batch failed on wan$i: $(cat "$LAB_TMP/ref.$i")" >&2; return 1; }
		s=$(jq -r .seconds "$LAB_TMP/ref.$i")
		secs=$(awk -v a="$secs" -v b="$s" 'BEGIN { print (b > a ? b : a) }')
		sum=$((sum + $(lab_ifstat rtr "wan$i" tx_bytes) - before[i]))
	done
	echo "$secs $sum $(tcp_delta)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "links: ${rates[*]} (sum $((sum_bps / 1000000)) Mbit/s); batch: $CONNS concurrent MPTCP uploads of $BYTES; weights ${weights[*]}"

trap_res=$(batch) || die "the trap batch failed"
read -r trap_s t1 t2 t3 _ <<< "$trap_res"
printf 'trap (wan2, wan3 backup):  %7.2f s   bytes per WAN %3s%% %3s%% %3s%%\n' "$trap_s" "$t1" "$t2" "$t3"

declare -A median_s
times=()
for ((run = 1; run <= RUNS; run++)); do
	res=$(reference) || die "the reference batch failed"
	read -r s wire n r m <<< "$res"
	times+=("$s")
	printf 'reference (plain TCP split by link rate), run %d: %7.2f s   on the wire %s%% of the payload; %s\n' \
		"$run" "$s" "$(wire_pct "$wire")" "$(segs "$n" "$r" "$m" "$total")"
done
median_s[reference]=$(printf '%s\n' "${times[@]}" | median)

CONF=$LAB_TMP/omr-steer.conf
for m in "${modes[@]}"; do
	case "$m" in
	flags) sched=no ;;
	scheduler) sched=yes ;;
	*) die "MODES: '$m' is not flags or scheduler" ;;
	esac
	{ echo "mptcp-scheduler $sched"
	  printf 'wan wan1 weight %s\nwan wan2 weight %s\nwan wan3 weight %s\n' "${weights[@]}"; } > "$CONF"
	# more time than omr_load's 10 s for an emulated CPU (the test VM)
	omr_load "$CONF" 2>/dev/null || lab_wait 60 omr__ready_or_dead; omr__ready ||
		die "omr-steer load failed: $(tail -n 5 "$LAB_AGENT_LOG" | tr '\n' ';')"
	status=$(omr status --pin-dir "$LAB_PIN_DIR")
	mode=$(sed -n 's/^mptcp: *//p' <<< "$status")
	if [ "$m" = scheduler ]; then
		sel() { [ "$(in_ns rtr sysctl -n net.mptcp.scheduler)" = omr_steer ]; }
		lab_wait 20 sel || die "scheduler mode: omr_steer is not selected (status: $mode)"
	fi
	sleep 1
	times=()
	for ((run = 1; run <= RUNS; run++)); do
		res=$(batch) || die "a $m batch failed"
		read -r s m1 m2 m3 wire n r j <<< "$res"
		times+=("$s")
		printf '%s (%s), run %d: %7.2f s   bytes per WAN %3s%% %3s%% %3s%%   on the wire %s%% of the payload; %s\n' \
			"$m" "$mode" "$run" "$s" "$m1" "$m2" "$m3" "$(wire_pct "$wire")" "$(segs "$n" "$r" "$j" "$total")"
	done
	omr_stop
	omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1 || echo "note: omr-steer unload failed" >&2
	median_s[$m]=$(printf '%s\n' "${times[@]}" | median)
done

printf 'ideal (total / sum of rates): %.2f s (payload only: the links also carry the headers, see the wire figures)\n' "$ideal"
ref=${median_s[reference]}
printf 'reference median %.2f s: %.3fx the ideal, the best these links do without MPTCP\n' "$ref" "$(ratio "$ref" "$ideal")"
ok=1
if [ -n "${median_s[flags]:-}" ]; then
	f=${median_s[flags]}
	speedup=$(ratio "$trap_s" "$f") vs_ideal=$(ratio "$f" "$ideal")
	printf 'flags median %.2f s: %.2fx faster than the trap (target >= 4x), %.2fx the ideal (target <= 1.3x), %.3fx the reference\n' \
		"$f" "$speedup" "$vs_ideal" "$(ratio "$f" "$ref")"
	awk -v s="$speedup" -v i="$vs_ideal" 'BEGIN { exit !(s >= 4 && i <= 1.3) }' || ok=0
fi
if [ -n "${median_s[scheduler]:-}" ]; then
	s=${median_s[scheduler]}
	speedup=$(ratio "$trap_s" "$s") vs_ideal=$(ratio "$s" "$ideal")
	printf 'scheduler median %.2f s: %.2fx faster than the trap, %.3fx the ideal (target <= 1.07x)' \
		"$s" "$speedup" "$vs_ideal"
	awk -v i="$vs_ideal" 'BEGIN { exit !(i <= 1.07) }' || ok=0
	if [ -n "${median_s[flags]:-}" ]; then
		vs_flags=$(ratio "$s" "${median_s[flags]}")
		printf ', %.3fx the flags (target <= 1)' "$vs_flags"
		awk -v v="$vs_flags" 'BEGIN { exit !(v <= 1) }' || ok=0
	fi
	printf ', %.3fx the reference\n' "$(ratio "$s" "$ref")"
fi
echo "summary: trap $trap_s s, reference $ref s, flags ${median_s[flags]:--} s, scheduler ${median_s[scheduler]:--} s, ideal $ideal s"
if [ "$ok" = 1 ]; then
	echo "result: targets met"
else
	echo "result: targets NOT met"
	exit 1
fi
