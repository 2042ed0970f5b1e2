#!/usr/bin/env bash
# The lab's delay lines (tests/net/lib.sh: lab_up --delays, lab_delay;
# build/tools/delayline): a WAN with a longer path, for tests of classes
# that pick the WAN with the lowest round-trip time.
#
#  - wan2 delayed by 20 ms one way: ping out of wan2 takes at least 40 ms
#    (IPv4 and IPv6; under 90 ms), out of wan1 under 10 ms (the least RTT of
#    5 pings: a loaded machine adds to the mean);
#  - TCP both ways and UDP echo work over the delayed WAN, and their frames
#    crossed the line (its interfaces' counters), taking the longer path
#    (no TCP connection over wan2 is shorter than two round trips);
#  - lab_delay changes a line's delay in place (wan2 keeps its ifindex),
#    removes a line ("-") and adds one to a plain WAN;
#  - lab_down leaves no namespace and no delay line process behind.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-dl$$}
. tests/net/lib.sh

W1_4=$(lab_wan_addr4 1) W2_4=$(lab_wan_addr4 2)
W2_6=$(lab_wan_addr6 2)

[ -x "$DELAYLINE" ] || { lab_fail setup "$DELAYLINE is missing (make build/tools/delayline)"; exit 1; }
[ -x "$TRAFGEN" ] || { lab_fail setup "$TRAFGEN is missing (make build/tools/trafgen)"; exit 1; }
# shaped, so that TCP over the lines stays at a modest rate
lab_up --wans 2 --rates "20mbit 20mbit" --delays "- 20" ||
	{ lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }

# rtt_min SRC DST: "MIN AVG", the least and the mean RTT in ms of 5 pings
# from the router out of the WAN of SRC (after one that fills the neighbour
# caches); empty on loss.
rtt_min() {
	in_ns rtr ping -q -c 1 -W 2 -I "$1" "$2" >/dev/null 2>&1
	in_ns rtr ping -q -c 5 -i 0.2 -W 2 -I "$1" "$2" 2>/dev/null |
		awk -F/ '/^(rtt|round-trip)/ { sub(/.*= */, "", $4); print $4, $5 }'
}

# check_rtt NAME SRC DST LO HI: the least RTT of 5 pings is within LO..HI ms.
# LO is the path's physical bound (twice the one-way delay: nothing reads
# shorter); HI is generous (twice the delay's round trip + 10 ms), above
# what a loaded machine adds, yet below the next longer path the test
# tells apart.  The least RTT, not the mean: load only ever adds to a ping.
check_rtt() {
	local name=$1 src=$2 dst=$3 lo=$4 hi=$5 min avg
	read -r min avg <<< "$(rtt_min "$src" "$dst")"
	lab_log "$name: ping -I $src $dst: least RTT ${min:-lost} ms, mean ${avg:-lost} ms (want $lo..$hi)"
	if [ -z "$min" ]; then
		lab_fail "$name" "no reply to ping -I $src $dst"
	elif awk -v a="$min" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(a >= lo && a <= hi) }'; then
		lab_pass "$name"
	else
		lab_fail "$name" "least RTT $min ms out of the wan of $src, want $lo..$hi ms"
	fi
}

# ---- RTTs ----------------------------------------------------------------------------

check_rtt delay_wan1_plain_rtt "$W1_4" "$LAB_SRV4" 0 10
check_rtt delay_wan2_rtt_v4 "$W2_4" "$LAB_SRV4" 40 90
check_rtt delay_wan2_rtt_v6 "$W2_6" "$LAB_SRV6" 40 90

# ---- traffic over the delayed WAN --------------------------------------------------

DLY2=$(lab_delay_ns 2)
line_bytes() { # line_bytes: bytes the line's two interfaces received, both ways
	echo $(( $(ip netns exec "$DLY2" cat /sys/class/net/d20/statistics/rx_bytes) +
		 $(ip netns exec "$DLY2" cat /sys/class/net/d21/statistics/rx_bytes) ))
}
ifindex_before=$(lab_ifindex rtr wan2)
line_before=$(line_bytes)
up=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --upload --bytes 2m --conns 2 --bind "$W2_4" --timeout 30)
down=$(lab_traffic rtr "$LAB_SRV6" "$LAB_PORT" --download --bytes 2m --conns 2 --bind "$W2_6" --timeout 30)
udp=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --udp --count 50 --size 1200 --bind "$W2_4" --timeout 30)
line_after=$(line_bytes)
lab_log "over wan2: upload $up; download $down; udp $udp; the line received $((line_after - line_before)) bytes"
traffic_ok=1
for res in "$up" "$down" "$udp"; do
	[ "$(jq -r '.failed // 1' <<< "$res" 2>/dev/null)" = 0 ] || traffic_ok=0
done
lab_check delay_wan2_tcp_udp_work "a transfer over the delayed wan2 failed: up $up; down $down; udp $udp" \
	[ "$traffic_ok" = 1 ]
lab_check delay_wan2_traffic_crossed_the_line \
	"the line's interfaces received $((line_after - line_before)) bytes during 4 MiB of TCP, want more" \
	[ $((line_after - line_before)) -gt $((4 * 1024 * 1024)) ]
# a short connection is a handshake, the request and the result: at least
# two round trips, 80 ms over wan2, the bound that shows the long path (that
# wan1 is short, its pings show: a loaded machine made its fastest 1 KiB
# upload take 159 ms, longer than the delay); < 2 s only to catch a
# connection that waited for retransmissions
short1=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --upload --bytes 1k --conns 3 --bind "$W1_4" --timeout 10)
short2=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --upload --bytes 1k --conns 3 --bind "$W2_4" --timeout 10)
min1=$(jq -r '.min_conn_s // 0' <<< "$short1" 2>/dev/null)
min2=$(jq -r '.min_conn_s // 0' <<< "$short2" 2>/dev/null)
lab_log "1 KiB TCP uploads: wan1 $short1; wan2 $short2"
lab_check delay_wan2_tcp_takes_the_long_path \
	"the fastest 1 KiB upload took ${min2:-?} s over wan2 (want 0.08..2; ${min1:-?} s over wan1)" \
	awk -v b="${min2:-0}" 'BEGIN { exit !(b >= 0.08 && b < 2) }'

# ---- lab_delay -----------------------------------------------------------------------

lab_delay 2 5 || lab_log "lab_delay 2 5 failed"
# the 20 ms line has stopped and reported: every frame it took it could
# send on (GSO and checksum offload states pass through), none too big
summary=$(grep -m1 'stopped by signal' "$LAB_TMP/delayline-2.log")
lab_log "the 20 ms line: $summary"
lab_check delay_line_sent_every_frame "the 20 ms line's summary: '${summary:-none in $LAB_TMP/delayline-2.log}'" \
	grep -q 'd20->d21 [1-9][0-9]* frames.* d21->d20 [1-9][0-9]* frames.*oversize 0, send failed 0,' <<< "$summary"
check_rtt delay_changed_in_place_rtt "$W2_4" "$LAB_SRV4" 10 30
lab_check delay_changed_in_place_keeps_ifindex \
	"wan2 ifindex went from $ifindex_before to $(lab_ifindex rtr wan2) on a delay change" \
	[ "$(lab_ifindex rtr wan2)" = "$ifindex_before" ]

lab_delay 2 - || lab_log "lab_delay 2 - failed"
check_rtt delay_removed_rtt "$W2_4" "$LAB_SRV4" 0 10
lab_check delay_removed_namespace_gone "$DLY2 is still there after lab_delay 2 -" \
	[ ! -e "/run/netns/$DLY2" ]

lab_delay 1 10 || lab_log "lab_delay 1 10 failed"
check_rtt delay_added_to_plain_wan_rtt "$W1_4" "$LAB_SRV4" 20 50
res=$(lab_traffic rtr "$LAB_SRV4" "$LAB_PORT" --download --bytes 1m --bind "$W1_4" --timeout 30)
lab_check delay_added_wan_tcp_works "a download over wan1 after lab_delay 1 10 failed: $res" \
	[ "$(jq -r '.failed // 1' <<< "$res" 2>/dev/null)" = 0 ]

# ---- lab_down ------------------------------------------------------------------------

line_pids=$(ip netns pids "$(lab_delay_ns 1)" 2>/dev/null)
lab_down
left_ns=$(ip netns list | awk -v p="$LAB_PREFIX-" 'index($1, p) == 1 { print $1 }' | tr '\n' ' ')
left_pids=""
for pid in $line_pids; do lab_pid_alive "$pid" && left_pids="$left_pids $pid"; done
lab_check delay_lab_down_cleans_up \
	"left behind: namespaces '$left_ns', delay line pids '$left_pids' (lines were: '$line_pids')" \
	[ -z "$left_ns" -a -z "$left_pids" -a -n "$line_pids" ]

lab_finish
