#!/usr/bin/env bash
# VM benchmark: how the omr_steer BPF MPTCP scheduler splits MPTCP bulk
# uploads over the router's WANs, on the test kernel.  Shares are the WANs'
# tx byte counters (sampled every 0.1 s) over one upload, counted from 1 s
# after every WAN that carries the upload has sent its first 64 KiB: until
# the other subflows have joined, the first one carries everything (under
# TCG that took long enough to give 32/67 at 1:3 over the whole upload); the
# shares over the whole upload are logged too, and used when less than 20 %
# of the bytes went after that point (a fast upload).  Ratios and timings, so not part of
# `make test` (the project's rule); run it with
#   scripts/vm/run tests/vm/bench_mptcp_sched_shares.sh
# In TCG on a busy host the figures vary from run to run; each line says
# what was measured.
#
#   shares_1_1_0       weights 1:1:0 on three unshaped WANs: 50/50/0 (+-5)
#   weight0_carries_nothing  wan3 (weight 0) sends <= 1 % of what the others send
#   shares_1_3_0       weights 1:3:0 after SIGHUP: 25/75/0 (+-5)
#   shares_2_0_1       weights 2:0:1: 67/0/33 (+-5)
#   shares_1_3_shaped  wan1 12 Mbit/s, wan2 36 Mbit/s, weights 1:3: 25/75 (+-5)
#   shares_ipv6        weights 1:3:0 over IPv6 subflows: 25/75 (+-5)
#   sighup_moves_split a long upload at 1:3, weights changed to 3:1
#                      and SIGHUP: from 2 s after the signal wan1 carries 75 % (+-10)
#   link_down          wan2 goes down during a 1:1:1 upload: the upload
#                      completes, no second without bytes on the other WANs
# Outside the VM (no OMR_VM=1 from scripts/vm/init) it only SKIPs.
# VM_TEST_TIMEOUT=420
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=vh$$
. tests/net/lib.sh

if [ "${OMR_VM:-}" != 1 ]; then
	lab_skip mptcp_sched_shares "runs inside the test VM only (make vmtest)"
	exit 0
fi
lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
if ! bpftool btf dump file /sys/kernel/btf/vmlinux | grep -q "STRUCT 'bpf_struct_ops_mptcp_sched_ops'"; then
	lab_skip mptcp_sched_shares "this kernel has no BPF MPTCP scheduler hook"
	exit 0
fi

BYTES=48m
sched_ids() { bpftool struct_ops show 2>/dev/null | awk -v n="$1" '$2 == n { print $1 }' | tr -d ':'; }
cleanup() {
	for id in $(sched_ids omr_steer); do bpftool struct_ops unregister id "$id" >/dev/null 2>&1; done
}
trap 'cleanup; lab__on_exit' EXIT

load_slow() { omr_load "$1" 2>/dev/null || lab_wait 60 omr__ready_or_dead; omr__ready; }
weights() { printf 'interval 0.5\nwan wan1 weight %s\nwan wan2 weight %s\nwan wan3 weight %s\n' "$@" > "$CONF"; }
reload() { omr reload --pidfile "$LAB_PIDFILE" >/dev/null 2>&1; sleep 2; }

declare -a DELTA
# upload DEST [BYTES]: one bulk MPTCP upload; DELTA[1..3] bytes per WAN over the
# whole upload, SHARES "p1 p2 p3" over the window after the join (see the top),
# SHARES_ALL over the whole upload
upload() {
	local i before=() total=0 out rc
	for i in 1 2 3; do before[i]=$(lab_ifstat rtr "wan$i" tx_bytes); done
	sample_start upload
	out=$(lab_traffic rtr "$1" "$LAB_PORT" --mptcp --upload --bytes "${2:-$BYTES}" \
		--timeout 90 2>&1); rc=$?
	sleep 0.3
	sample_stop
	if [ "$rc" != 0 ]; then
		lab_log "upload to $1 failed: $out"
		return 1
	fi
	for i in 1 2 3; do
		DELTA[i]=$(( $(lab_ifstat rtr "wan$i" tx_bytes) - before[i] ))
		total=$((total + DELTA[i]))
	done
	SHARES_ALL=""
	for i in 1 2 3; do SHARES_ALL="$SHARES_ALL $((DELTA[i] * 100 / (total > 0 ? total : 1)))"; done
	SHARES_ALL=${SHARES_ALL# }
	# the window: WANs with >= 1 % of the bytes are in use; it starts 1 s after
	# each of them has sent 64 KiB, and ends with the upload
	SHARES=$(awk -v d1="${DELTA[1]}" -v d2="${DELTA[2]}" -v d3="${DELTA[3]}" -v tot="$total" '
		NR == 1 { for (i = 2; i <= 4; i++) b[i] = $i
			  use[2] = d1 * 100 >= tot; use[3] = d2 * 100 >= tot; use[4] = d3 * 100 >= tot }
		{ if (t0 == "") { ok = 1; for (i = 2; i <= 4; i++) if (use[i] && $i - b[i] < 65536) ok = 0
			  if (ok) t0 = $1 + 1000000 }
		  if (t0 != "" && $1 >= t0) { if (w == "") { w = 1; for (i = 2; i <= 4; i++) s[i] = $i }
			  for (i = 2; i <= 4; i++) e[i] = $i; ts = ts == "" ? $1 : ts; te = $1 } }
		END { if (w == "") { print "none"; exit }
		      n = e[2] - s[2] + e[3] - s[3] + e[4] - s[4]; if (n <= 0) n = 1
		      printf "%d %d %d %d %.1f\n", (e[2] - s[2]) * 100 / n, (e[3] - s[3]) * 100 / n,
			     (e[4] - s[4]) * 100 / n, n * 100 / tot, (te - ts) / 1e6 }' "$SAMPLES")
	read -r s1 s2 s3 pct secs <<< "$SHARES"
	if [ "$s1" = none ] || awk -v p="$pct" 'BEGIN { exit !(p < 20) }'; then
		# a fast upload ended (nearly) before the window began: the whole upload
		lab_log "upload to $1: ${pct:-no} % of the bytes after the join: the shares over the whole upload"
		WINDOW="the whole upload (${pct:-0} % of the bytes after the join)"
		SHARES=$SHARES_ALL
	else
		SHARES="$s1 $s2 $s3"
		WINDOW="$pct % of the bytes, $secs s after the join"
	fi
	lab_log "upload of ${2:-$BYTES} to $1: bytes ${DELTA[1]} ${DELTA[2]} ${DELTA[3]}, shares % $SHARES_ALL over the whole upload, $SHARES over $WINDOW ($(jq -c '{seconds, max_extra_subflows}' <<< "$out" 2>/dev/null))"
}
# shares_check NAME WANT1 WANT2 WANT3 [TOL]: PASS when every share is within TOL (5) points
shares_check() {
	local name=$1 tol=${5:-5} i s
	local -a got want=(0 "$2" "$3" "$4")
	read -r -a got <<< "0 $SHARES"
	local dev=0
	for i in 1 2 3; do
		s=$(( got[i] > want[i] ? got[i] - want[i] : want[i] - got[i] ))
		[ "$s" -gt "$dev" ] && dev=$s
	done
	echo "# $name: shares $SHARES % over $WINDOW (whole upload $SHARES_ALL %), want $2 $3 $4: worst deviation $dev points"
	for i in 1 2 3; do
		s=${got[i]}
		if [ "$s" -lt $((want[i] - tol)) ] || [ "$s" -gt $((want[i] + tol)) ]; then
			lab_fail "$name" "shares $SHARES %, want $2 $3 $4 (+-$tol)"
			return
		fi
	done
	lab_pass "$name"
}

# sample_start: the WANs' tx counters every 0.1 s into $SAMPLES ("t_us b1 b2 b3")
SAMPLES=
sample_start() {
	SAMPLES=$LAB_TMP/samples.$1
	in_ns rtr bash -c '
		end=$((${EPOCHREALTIME/./} + 90000000))
		while :; do
			now=${EPOCHREALTIME/./}
			[ "$now" -gt "$end" ] && break
			read -r a < /sys/class/net/wan1/statistics/tx_bytes
			read -r b < /sys/class/net/wan2/statistics/tx_bytes
			read -r c < /sys/class/net/wan3/statistics/tx_bytes
			echo "$now $a $b $c"
			sleep 0.1
		done' > "$SAMPLES" 2>/dev/null &
	SAMPLER=$!
	LAB_BG_PIDS+=("$SAMPLER")
}
sample_stop() { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; }

lab_up --wans 3 || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start "$LAB_PORT" --mptcp || { lab_fail setup "the MPTCP traffic server did not start"; exit 1; }
in_ns srv ip mptcp limits set subflows 8 add_addr_accepted 8
in_ns rtr ip mptcp limits set subflows 8 add_addr_accepted 8
for i in 1 2 3; do
	in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 "$i")" dev "wan$i" subflow
	in_ns rtr ip mptcp endpoint add "$(lab_wan_addr6 "$i")" dev "wan$i" subflow
done
CONF=$LAB_TMP/omr-steer.conf
weights 1 1 0
load_slow "$CONF" || { lab_fail setup "the agent did not start: $(tail -n 5 "$LAB_AGENT_LOG" | tr '\n' ';')"; exit 1; }
sched_selected() { [ "$(in_ns rtr sysctl -n net.mptcp.scheduler)" = omr_steer ]; }
lab_wait 20 sched_selected ||
	{ lab_fail setup "omr_steer is not selected: $(grep MPTCP "$LAB_AGENT_LOG" | tr '\n' ';')"; exit 1; }

# ---- unshaped ------------------------------------------------------------------------

if upload "$LAB_SRV4"; then
	shares_check shares_1_1_0 50 50 0
	if [ "${DELTA[3]}" -le $(( (DELTA[1] + DELTA[2]) / 100 )) ]; then
		lab_pass weight0_carries_nothing
	else
		lab_fail weight0_carries_nothing "wan3 (weight 0) sent ${DELTA[3]} B, the others $((DELTA[1] + DELTA[2])) B"
	fi
else
	lab_fail shares_1_1_0 "the upload did not complete"
fi
weights 1 3 0; reload
if upload "$LAB_SRV4"; then shares_check shares_1_3_0 25 75 0; else lab_fail shares_1_3_0 "the upload did not complete"; fi
if upload "$LAB_SRV6"; then shares_check shares_ipv6 25 75 0; else lab_fail shares_ipv6 "the upload did not complete"; fi
weights 2 0 1; reload
if upload "$LAB_SRV4"; then shares_check shares_2_0_1 67 0 33; else lab_fail shares_2_0_1 "the upload did not complete"; fi

# ---- shaped in the weight ratio --------------------------------------------------------

lab_shape rtr wan1 12mbit
lab_shape rtr wan2 36mbit
weights 1 3 0; reload
if upload "$LAB_SRV4" 24m; then shares_check shares_1_3_shaped 25 75 0; else lab_fail shares_1_3_shaped "the upload did not complete"; fi

lab_shape rtr wan1 -
lab_shape rtr wan2 -

# ---- a weight change moves the split of a running upload --------------------------------

weights 1 3 0; reload
sample_start hup
lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --mptcp --upload --bytes 384m --timeout 90 > "$LAB_TMP/hup.json" 2>&1 &
UP=$!
sleep 2
weights 3 1 0
T_HUP=${EPOCHREALTIME/./}
omr reload --pidfile "$LAB_PIDFILE" >/dev/null 2>&1
wait "$UP"; rc=$?
sample_stop
# wan1's share of the bytes sent from 2 s after the SIGHUP to the end
share=$(awk -v t="$((T_HUP + 2000000))" '$1 >= t { if (a == "") { a = $2; b = $3 } x = $2; y = $3 } END { d = (x - a) + (y - b); print (d > 0 ? int((x - a) * 100 / d) : -1) }' "$SAMPLES")
lab_log "weights 1:3 -> 3:1 by SIGHUP: wan1 share from 2 s after the signal: ${share} % (upload rc $rc)"
if [ "$rc" -ne 0 ]; then
	lab_fail sighup_moves_split "the upload did not complete"
elif [ "$share" -lt 65 ] || [ "$share" -gt 85 ]; then
	lab_fail sighup_moves_split "wan1 carried $share % from 2 s after weights 1:3 -> 3:1, want 75 +- 10"
else
	lab_pass sighup_moves_split
fi


# ---- a WAN goes down in the middle of an upload ------------------------------------------

weights 1 1 1; reload
sample_start down
lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --mptcp --upload --bytes 96m --timeout 90 > "$LAB_TMP/down.json" 2>&1 &
UP=$!
sleep 1.5
in_ns rtr ip link set wan2 down
T_DOWN=${EPOCHREALTIME/./}
wait "$UP"; rc=$?
sample_stop
in_ns rtr ip link set wan2 up
# the longest time without bytes on wan1 + wan3 after wan2 went down, ms
gap=$(awk -v t0="$T_DOWN" '$1 >= t0 {
	s = $2 + $4
	if (last == "") { last = $1; p = s; next }
	if (s > p) { last = $1; p = s } else if ($1 - last > g) g = $1 - last
} END { print int(g / 1000) }' "$SAMPLES")
lab_log "link down: upload rc $rc $(cat "$LAB_TMP/down.json" | tr -d '\n' | cut -c1-200); longest gap on the other WANs ${gap} ms"
if [ "$rc" -ne 0 ]; then
	lab_fail link_down "the upload did not complete after wan2 went down: $(tail -c 300 "$LAB_TMP/down.json")"
elif [ "$gap" -gt 1000 ]; then
	lab_fail link_down "the other WANs sent nothing for ${gap} ms after wan2 went down"
else
	lab_pass link_down
fi
lab_wait 5 lab__ping rtr "$LAB_SRV4" -I "$(lab_wan_addr4 2)"

omr_stop
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1
lab_finish
