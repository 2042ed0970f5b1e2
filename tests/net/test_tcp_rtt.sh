#!/usr/bin/env bash
# The RTT of WANs without a probe, from the router's own TCP connections
# (src/tcp_rtt.c: sock_diag dumps of tcp_info, once an interval).  Two
# WANs, no probe lines, wan2 20 ms longer each way (a delay line):
#
#  - before any traffic neither WAN has an rtt_us;
#  - the router uploading from wan2's address (IPv4, then IPv6): wan2's
#    rtt_us is at least ~40 ms (30..250 ms), the idle wan1 has none;
#  - the router downloading through a socket bound to wan2 (SO_BINDTODEVICE;
#    the receiver's RTT estimate): the same;
#  - an MPTCP upload whose subflow leaves by wan2 (subflows are plain TCP
#    sockets in the dump): the same (skipped without MPTCP);
#  - after each transfer wan2's RTT is still known 1 s later and forgotten
#    after LIVE_TCP_RTT_FORGET (10) intervals (the test waits up to twice
#    that + 2 s, for a loaded machine), although an idle
#    connection on wan2 stays open: idle sockets do not count;
#  - what one read of the sockets costs the agent (its debug log).
#
# The router's TCP buffers are kept small so that the transfers are limited
# by their window (~10 Mbit/s) below the WANs' 20 Mbit/s: no queue builds
# up, and the RTT the kernel measures is the path's.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-tr$$}
. tests/net/lib.sh

INTERVAL=0.5			# seconds: 10 quiet intervals = 5 s
FORGET_S=$(awk -v i="$INTERVAL" 'BEGIN { print (10 + 2) * i }')
# how long the test waits for the forgetting: twice FORGET_S + 2 s, as the
# agent's intervals run late on a loaded machine (the wait ends when it shows)
FORGET_WAIT_S=$(awk -v f="$FORGET_S" 'BEGIN { print 2 * f + 2 }')
IDLE_S=$(awk -v f="$FORGET_WAIT_S" 'BEGIN { print int(f) + 4 }')	# the idle connection's life
W1_4=$(lab_wan_addr4 1) W2_4=$(lab_wan_addr4 2) W2_6=$(lab_wan_addr6 2)
# wan2's path is 40 ms longer: no RTT reads below ~40 ms (30 ms allows for
# the kernel's smoothing); a loaded machine adds tens of ms, over 100 ms
# under load 11 (52.6, 57.8, 146 ms were seen: the delay line runs in user
# space), so the upper bound is only generous: 6 x 40 ms + 10 ms.  That the
# RTT is wan2's, not wan1's, is checked apart (wan1 has none).
RTT_LO=30000 RTT_HI=250000	# in us

for tool in "$OMR" "$TRAFGEN" "$DELAYLINE"; do
	[ -x "$tool" ] || { lab_fail setup "$tool is missing (make build/omr-steer build/tools/trafgen build/tools/delayline)"; exit 1; }
done
command -v socat >/dev/null || { lab_fail setup "socat is missing (apt-get install socat)"; exit 1; }
lab_up --wans 2 --rates "20mbit 20mbit" --delays "- 20" ||
	{ lab_fail setup "the lab could not be built"; exit 1; }
lab_sysctl rtr net.ipv4.tcp_wmem="4096 16384 65536" net.ipv4.tcp_rmem="4096 32768 65536"

MPTCP=0
if [ "$(in_ns rtr cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] &&
   [ "$(in_ns srv cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ]; then
	MPTCP=1
fi
if [ "$MPTCP" = 1 ]; then
	lab_server_start "$LAB_PORT" --mptcp || { lab_fail setup "the traffic server did not start"; exit 1; }
else
	lab_server_start "$LAB_PORT" || { lab_fail setup "the traffic server did not start"; exit 1; }
fi

CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval $INTERVAL" "wan wan1 weight 1" "wan wan2 weight 1"
omr_load "$CONF" -v || { lab_fail setup "the agent did not start"; exit 1; }

rtt() { omr_wan rtt_us "$1" 2>/dev/null || echo missing; }

# ---- before any traffic -------------------------------------------------------

sleep 2
r1=$(rtt wan1) r2=$(rtt wan2)
lab_check tcp_rtt_unknown_before_traffic "rtt_us before any traffic: wan1 $r1, wan2 $r2, want 0 and 0" \
	[ "$r1/$r2" = 0/0 ]

# ---- transfers ------------------------------------------------------------------

# transfer NAME START TRAFGEN-CLIENT-ARGS...: run the transfer in the router;
# from START seconds in, read rtt_us of both WANs up to 4 times, 0.5 s apart,
# while it runs.  Sets WAN2_RTT (the lower median of wan2's nonzero
# readings), WAN1_MAX (the largest of wan1's) and RESULT (trafgen's JSON line).
transfer() {
	local name=$1 at=$2 pid i r1s=() r2s=(); shift 2
	lab_traffic rtr "$@" --timeout 30 > "$LAB_TMP/$name.json" 2>>"$LAB_TMP/$name.err" &
	pid=$!
	sleep "$at"
	# the router's sockets on wan2 (ss -i names MPTCP subflows "tcp-ulp-mptcp")
	in_ns rtr ss -Htni state established > "$LAB_TMP/$name.ss" 2>&1
	# while the transfer runs (on a loaded machine a reading takes long:
	# one after the end may read 0 and is not about the transfer)
	for i in 1 2 3 4; do
		r1s+=("$(rtt wan1)") r2s+=("$(rtt wan2)")
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	wait "$pid"
	RESULT=$(cat "$LAB_TMP/$name.json")
	# the lower median of the readings that have an RTT; empty: none had
	WAN2_RTT=$(printf '%s\n' "${r2s[@]}" | grep -v '^0$' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
	WAN1_MAX=$(printf '%s\n' "${r1s[@]}" | sort -n | tail -n 1)
	lab_log "$name: wan2 rtt_us ${r2s[*]}; wan1 rtt_us ${r1s[*]}; trafgen: $RESULT"
}

# check_transfer NAME: the transfer worked, wan2 got its RTT, wan1 none.
check_transfer() {
	local name=$1
	if [ "$(jq -r '.failed // 1' <<< "$RESULT" 2>/dev/null)" != 0 ]; then
		lab_fail "$name" "the transfer failed: $RESULT $(tail -n 3 "$LAB_TMP/$name.err")"
	elif ! [[ $WAN2_RTT =~ ^[0-9]+$ ]] || [ "$WAN2_RTT" -lt "$RTT_LO" ] || [ "$WAN2_RTT" -gt "$RTT_HI" ]; then
		lab_fail "$name" "wan2 rtt_us $WAN2_RTT during the transfer, want $RTT_LO..$RTT_HI (a 40 ms path)"
	elif [ "$WAN1_MAX" != 0 ]; then
		lab_fail "$name" "the idle wan1 got an rtt_us ($WAN1_MAX)"
	else
		lab_pass "$name"
	fi
}

# check_forgotten NAME: wan2's RTT is still known 1 s after the transfer,
# and gone within FORGET_WAIT_S while an idle connection out of wan2 stays open.
check_forgotten() {
	local name=$1 start now r kept established
	start=$(date +%s%N)
	# connected, silent, and closing by itself a little after the check
	in_ns rtr sh -c "sleep $IDLE_S | socat -u STDIN TCP:$LAB_SRV4:$LAB_PORT,bind=$W2_4" \
		>/dev/null 2>&1 &
	LAB_BG_PIDS+=($!)
	sleep 1
	kept=$(rtt wan2)
	while :; do
		r=$(rtt wan2)
		now=$(date +%s%N)
		[ "$r" = 0 ] && break
		[ $(( (now - start) / 1000000 )) -gt $(awk -v f="$FORGET_WAIT_S" 'BEGIN { print int(f * 1000) }') ] && break
		sleep 0.25
	done
	established=$(in_ns rtr ss -Htn state established src "$W2_4" | wc -l)
	lab_log "$name: wan2 rtt_us $kept 1 s after the transfer, $r after $(( (now - start) / 1000000 )) ms; $established idle connection(s) on wan2"
	if ! [[ $kept =~ ^[0-9]+$ ]] || [ "$kept" -eq 0 ]; then
		lab_fail "$name" "wan2's RTT was gone 1 s after the transfer"
	elif [ "$r" != 0 ]; then
		lab_fail "$name" "wan2 still has rtt_us $r $FORGET_WAIT_S s after its traffic ended"
	elif [ "$established" -lt 1 ]; then
		lab_fail "$name" "the idle connection on wan2 was not open when its RTT was forgotten"
	else
		lab_pass "$name"
	fi
}

transfer upload_v4 2 "$LAB_SRV4" "$LAB_PORT" --upload --bytes 6m --bind "$W2_4"
check_transfer tcp_rtt_upload_from_wan2_address
check_forgotten tcp_rtt_forgotten_after_upload

# the download's only data out is its request at the start: read the RTTs
# when that sample would have been forgotten (10 intervals), so that they
# come from the receiving side
transfer download_v4 7 "$LAB_SRV4" "$LAB_PORT" --download --bytes 12m --dev wan2
check_transfer tcp_rtt_download_bound_to_wan2
check_forgotten tcp_rtt_forgotten_after_download

transfer upload_v6 2 "$LAB_SRV6" "$LAB_PORT" --upload --bytes 6m --bind "$W2_6"
check_transfer tcp_rtt_upload_ipv6_from_wan2

if [ "$MPTCP" = 1 ]; then
	# no endpoints: the one subflow leaves from wan2's address
	transfer mptcp 2 "$LAB_SRV4" "$LAB_PORT" --mptcp --upload --bytes 6m --bind "$W2_4"
	if grep -q "tcp-ulp-mptcp" "$LAB_TMP/mptcp.ss"; then
		check_transfer tcp_rtt_mptcp_subflow_on_wan2
	else
		lab_fail tcp_rtt_mptcp_subflow_on_wan2 "no MPTCP subflow during the transfer (fell back to TCP?): $(cat "$LAB_TMP/mptcp.ss")"
	fi
else
	lab_skip tcp_rtt_mptcp_subflow_on_wan2 "MPTCP is not enabled (net.mptcp.enabled)"
fi

# ---- cost ---------------------------------------------------------------------------

reads=$(grep -o 'TCP RTT: .* read in [0-9]* us' "$LAB_AGENT_LOG" | awk '{ print $(NF-1) }' | sort -n)
n=$(wc -l <<< "$reads")
if [ -n "$reads" ]; then
	lab_log "agent: $n reads of the TCP sockets, median $(sed -n "$(( (n + 1) / 2 ))p" <<< "$reads") us, max $(tail -n 1 <<< "$reads") us"
fi
lab_check tcp_rtt_agent_reads_every_interval "the agent logged $n reads of the TCP sockets, want one an interval" \
	[ "$n" -ge 20 ]
lab_check tcp_rtt_agent_alive "the agent died; its log: $(tail -n 5 "$LAB_AGENT_LOG")" lab_pid_alive "$OMR_PID"

omr_stop
lab_finish
