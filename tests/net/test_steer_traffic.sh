#!/usr/bin/env bash
# Flow steering through a real router (tests/net/lib.sh): the router
# masquerades on two WANs and routes everything by wan1; the ISP drops
# packets that arrive with another link's source address (strict
# rp_filter, an IPv6 fib rule), so a flow moved to wan2 works only if it is
# translated to wan2's address and its replies translated back.
#
#  - weights 1:3: 400 short TCP connections (IPv4, then IPv6) all succeed
#    byte-exact and split 25 %/75 % (+-5 points) by the source address the
#    server sees; UDP request/response flows work and split the same way;
#  - a WAN with a smaller MTU (1400 beside 1500): flows moved to it work
#    (their MSS is clamped);
#  - a long transfer keeps its WAN while the weights change, and new flows
#    follow the new weights;
#  - the router's own sockets bound to a WAN's address or device (TCP, and
#    UDP of both families) are left alone, unbound ones are steered;
#  - a WAN that goes down: the UDP flow it carried moves to the other WAN
#    and keeps working; new flows avoid it;
#  - strict rp_filter on the router is loosened on the WANs by `load` and
#    put back by `unload`.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-os$$}
. tests/net/lib.sh

W1_4=$(lab_wan_addr4 1) W2_4=$(lab_wan_addr4 2)
W1_6=$(lab_wan_addr6 1) W2_6=$(lab_wan_addr6 2)

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 2 --rates "20mbit 20mbit" || { lab_fail setup "the lab could not be built"; exit 1; }
# a router as distributions ship it: strict reverse-path filtering
lab_sysctl rtr net.ipv4.conf.all.rp_filter=1
CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 1" "wan wan1 weight 1" "wan wan2 weight 3"
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
sleep 1	# the agent's first sync: addresses, gateways, weights

# reload_applied: SIGHUP the agent; return once it published the new
# configuration (its generation in status), and a sync (1.5 s) later
generation() { omr status --json --pin-dir "$LAB_PIN_DIR" 2>/dev/null | jq -r '.config_generation'; }
gen_past() { [ "$(generation)" -gt "$1" ] 2>/dev/null; }
reload_applied() {
	local gen
	gen=$(generation)
	kill -HUP "$OMR_PID"
	lab_wait 20 gen_past "$gen" || return 1
	sleep 1.5
}

rp() { in_ns rtr cat "/proc/sys/net/ipv4/conf/$1/rp_filter"; }
lab_check steer_rp_filter_loosened "rp_filter of wan1/wan2 is $(rp wan1)/$(rp wan2), want 2/2" \
	[ "$(rp wan1)" = 2 -a "$(rp wan2)" = 2 ]


# split NAME BEFORE AFTER FIELD ADDR1 ADDR2 TOTAL LO HI: ADDR1's share of
# the FIELD delta in LO..HI percent, the two adding up to TOTAL (0: any).
split() {
	local name=$1 before=$2 after=$3 f=$4 a1=$5 a2=$6 total=$7 lo=$8 hi=$9 n1 n2 pct
	n1=$(( $(lab_peer "$f" "$a1" "$after") - $(lab_peer "$f" "$a1" "$before") ))
	n2=$(( $(lab_peer "$f" "$a2" "$after") - $(lab_peer "$f" "$a2" "$before") ))
	if [ $((n1 + n2)) -eq 0 ]; then
		lab_fail "$name" "no $f seen from $a1 or $a2"
		return
	fi
	pct=$((100 * n1 / (n1 + n2)))
	lab_log "$name: $f $a1 $n1, $a2 $n2: ${pct}% on the first"
	if [ "$total" != 0 ] && [ $((n1 + n2)) -ne "$total" ]; then
		lab_fail "$name" "$((n1 + n2)) $f counted from the WAN addresses, want $total"
	elif [ "$pct" -lt "$lo" ] || [ "$pct" -gt "$hi" ]; then
		lab_fail "$name" "$a1 has ${pct}% of $f ($n1 of $((n1 + n2))), want $lo..$hi%"
	else
		lab_pass "$name"
	fi
}


# ---- weights 1:3: short TCP connections, IPv4 and IPv6 ----------------------------

for fam in 4 6; do
	if [ $fam = 4 ]; then srv=$LAB_SRV4 a1=$W1_4 a2=$W2_4; else srv=$LAB_SRV6 a1=$W1_6 a2=$W2_6; fi
	before=$(lab_server_stats)
	res=$(lab_traffic lan "$srv" "$LAB_PORT" --upload --bytes 4k --conns 400 --parallel 8 \
		--timeout 120)
	after=$(lab_server_stats)
	lab_all_ok "steer_tcp${fam}_400_connections_byte_exact" "$res" 400
	split "steer_tcp${fam}_split_1_3" "$before" "$after" conns "$a1" "$a2" 400 20 30
done

# ---- UDP request/response ------------------------------------------------------------

before=$(lab_server_stats)
res=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --udp --conns 40 --parallel 4 --count 10 \
	--size 300 --timeout 60)
after=$(lab_server_stats)
lab_all_ok steer_udp4_request_response "$res" 40
split steer_udp4_split_1_3 "$before" "$after" udp_packets_in "$W1_4" "$W2_4" 0 20 30
before=$after
res=$(lab_traffic lan "$LAB_SRV6" "$LAB_PORT" --udp --conns 40 --parallel 4 --count 10 \
	--size 300 --timeout 60)
after=$(lab_server_stats)
lab_all_ok steer_udp6_request_response "$res" 40
split steer_udp6_split_1_3 "$before" "$after" udp_packets_in "$W1_6" "$W2_6" 0 20 30

# stats: flows moved off the routed WAN (wan1) are counted as steered on wan2
json=$(omr_stats_json)
steered2=$(omr_wan steered wan2 "$json") steered1=$(omr_wan steered wan1 "$json")
assigned2=$(omr_wan flows_assigned wan2 "$json")
lab_log "stats: wan2 steered $steered2 of $assigned2 assigned, wan1 steered $steered1"
lab_check steer_stats_count_steered_flows \
	"wan2 steered $steered2 (want >= 600 of the 880 flows of this test), wan1 $steered1 (want 0)" \
	test "${steered2:-0}" -ge 600 -a "${steered1:-1}" -eq 0 -a "${assigned2:-0}" -ge "${steered2:-1}"

# ---- a WAN with a smaller MTU (PPPoE beside Ethernet) ---------------------------------------

# Flows moved to wan2 skip the IP layer that would answer "fragmentation
# needed" for it: their MSS must be clamped, or full-size segments are lost.
ip -n "$LAB_RTR" link set wan2 mtu 1400 && ip -n "$LAB_ISP" link set rtr2 mtu 1400
sleep 1.5	# a sync: the agent follows the MTU
before=$(lab_server_stats)
mtu_ok=1
for args in "$LAB_SRV4 --upload" "$LAB_SRV4 --download" "$LAB_SRV6 --upload" "$LAB_SRV6 --download"; do
	read -r srv dir <<< "$args"
	res=$(lab_traffic lan "$srv" "$LAB_PORT" "$dir" --bytes 512k --conns 8 --parallel 8 --timeout 20)
	[ "$(jq -r '.ok // 0' <<< "$res" 2>/dev/null)" = 8 ] || { mtu_ok=0; lab_log "$srv $dir: $res"; }
done
after=$(lab_server_stats)
on2=$(( $(lab_peer conns "$W2_4" "$after") - $(lab_peer conns "$W2_4" "$before") +
	$(lab_peer conns "$W2_6" "$after") - $(lab_peer conns "$W2_6" "$before") ))
lab_check steer_smaller_mtu_wan_works \
	"transfers over wan2 at MTU 1400 failed or none went there ($on2 connections by wan2)" \
	[ "$mtu_ok" = 1 -a "$on2" -ge 16 ]
ip -n "$LAB_RTR" link set wan2 mtu 1500 && ip -n "$LAB_ISP" link set rtr2 mtu 1500

# ---- a long transfer keeps its WAN while the weights change ------------------------------

# New flows are weighed against the flows busy in the last 5 s (steering.h):
# let the UDP flows above go idle, or new flows would first even them out.
sleep 6
before=$(lab_server_stats)
lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --download --bytes 8m --timeout 40 \
	>"$LAB_TMP/long.json" 2>"$LAB_TMP/long.err" &
long_pid=$!
LAB_BG_PIDS+=("$long_pid")
sleep 1.5
lab_conf "$CONF" "interval 1" "wan wan1 weight 3" "wan wan2 weight 1"
reload_applied || lab_log "the reload was not applied within 20 s"
# new flows follow the new weights meanwhile
mid=$(lab_server_stats)
res=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes 4k --conns 40 --parallel 4 \
	--timeout 60)
mid2=$(lab_server_stats)
lab_all_ok steer_new_flows_after_weight_change "$res" 40
split steer_new_flows_follow_3_1 "$mid" "$mid2" conns "$W1_4" "$W2_4" 40 60 90
wait "$long_pid"
after=$(lab_server_stats)
lab_all_ok steer_long_transfer_survives_weight_change "$(cat "$LAB_TMP/long.json")" 1
out1=$(( $(lab_peer bytes_out "$W1_4" "$after") - $(lab_peer bytes_out "$W1_4" "$before") ))
out2=$(( $(lab_peer bytes_out "$W2_4" "$after") - $(lab_peer bytes_out "$W2_4" "$before") ))
lab_log "long transfer: $out1 bytes to $W1_4, $out2 to $W2_4 (40 small uploads ran beside it)"
# the 40 small uploads add no bytes_out beyond their results: the 8 MiB went one way
lab_check steer_long_transfer_kept_its_wan \
	"the 8 MiB download was split: $out1 bytes by wan1, $out2 by wan2" \
	[ $((out1 > out2 ? out1 : out2)) -ge $((8 * 1024 * 1024)) -a \
	  $((out1 < out2 ? out1 : out2)) -lt $((1024 * 1024)) ]

# ---- a WAN goes down: its flows move, new flows avoid it -----------------------------------

# wan1 at weight 0 (used only when no weighted WAN is up): flows go to wan2
lab_conf "$CONF" "interval 1" "wan wan1 weight 0" "wan wan2 weight 1"
reload_applied || lab_log "the reload was not applied within 20 s"

# ---- the router's own sockets: bound to a WAN's address or device, left alone ------------

# conns_from ROLE ARGS...: the connections the server saw from wan1 and wan2 ("N1 N2")
conns_from() {
	local b a res
	b=$(lab_server_stats)
	res=$(lab_traffic "$@" --upload --bytes 4k --conns 10 --timeout 30)
	a=$(lab_server_stats)
	[ "$(jq -r '.ok // 0' <<< "$res" 2>/dev/null)" = 10 ] || lab_log "client: $res"
	echo "$(( $(lab_peer conns "$W1_4" "$a") - $(lab_peer conns "$W1_4" "$b") ))" \
		"$(( $(lab_peer conns "$W2_4" "$a") - $(lab_peer conns "$W2_4" "$b") ))"
}
read -r b1 b2 <<< "$(conns_from rtr "$LAB_SRV4" "$LAB_PORT" --bind "$W1_4")"
read -r d1 d2 <<< "$(conns_from rtr "$LAB_SRV4" "$LAB_PORT" --dev wan1)"
read -r u1 u2 <<< "$(conns_from rtr "$LAB_SRV4" "$LAB_PORT")"
lab_log "router sockets: bound to $W1_4 $b1/$b2, bound to wan1 $d1/$d2, unbound $u1/$u2 (wan1/wan2)"
lab_check steer_leaves_bound_sockets_alone \
	"bound to wan1's address: $b1/$b2, to wan1: $d1/$d2 by wan1/wan2, want 10/0 each" \
	[ "$b1" = 10 -a "$b2" = 0 -a "$d1" = 10 -a "$d2" = 0 ]
lab_check steer_steers_unbound_router_sockets \
	"unbound router sockets: $u1/$u2 by wan1/wan2, want 0/10 (weights 0:1)" \
	[ "$u1" = 0 -a "$u2" = 10 ]
# UDP sockets bound to wan1's address (IPv4 and IPv6): routed by wan1 (policy
# routing), their source is wan1's own, so only the socket says they chose it
udp_from() { # udp_from SRV ADDR1 ADDR2 BIND: datagrams the server saw from ADDR1 and ADDR2
	local b a
	b=$(lab_server_stats)
	lab_traffic rtr "$1" "$LAB_PORT" --udp --count 20 --size 200 --bind "$4" --timeout 30 >/dev/null
	a=$(lab_server_stats)
	echo "$(( $(lab_peer udp_packets_in "$2" "$a") - $(lab_peer udp_packets_in "$2" "$b") ))" \
		"$(( $(lab_peer udp_packets_in "$3" "$a") - $(lab_peer udp_packets_in "$3" "$b") ))"
}
read -r ub1 ub2 <<< "$(udp_from "$LAB_SRV4" "$W1_4" "$W2_4" "$W1_4")"
read -r ub61 ub62 <<< "$(udp_from "$LAB_SRV6" "$W1_6" "$W2_6" "$W1_6")"
lab_log "router UDP sockets bound to wan1's address: v4 $ub1/$ub2, v6 $ub61/$ub62 (wan1/wan2)"
lab_check steer_leaves_bound_udp_sockets_alone \
	"UDP bound to wan1's address: IPv4 $ub1/$ub2, IPv6 $ub61/$ub62 datagrams by wan1/wan2, want 20/0 each" \
	[ "$ub1" = 20 -a "$ub2" = 0 -a "$ub61" = 20 -a "$ub62" = 0 ]
lab_shape rtr wan2 4mbit && lab_shape isp rtr2 4mbit	# a UDP flow that lasts a few seconds
before=$(lab_server_stats)
lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --udp --count 1500 --size 1000 --timeout 40 \
	>"$LAB_TMP/udp_long.json" 2>"$LAB_TMP/udp_long.err" &
udp_pid=$!
LAB_BG_PIDS+=("$udp_pid")
sleep 2
mid=$(lab_server_stats)
ip -n "$LAB_RTR" link set wan2 down
wait "$udp_pid"
after=$(lab_server_stats)
on2_before=$(( $(lab_peer udp_packets_in "$W2_4" "$mid") - $(lab_peer udp_packets_in "$W2_4" "$before") ))
on1_after=$(( $(lab_peer udp_packets_in "$W1_4" "$after") - $(lab_peer udp_packets_in "$W1_4" "$mid") ))
lab_log "UDP flow: $on2_before datagrams by wan2 before it went down, $on1_after by wan1 after"
lab_all_ok steer_udp_flow_survives_wan_down "$(cat "$LAB_TMP/udp_long.json")" 1
lab_check steer_udp_flow_moved_off_down_wan \
	"the flow was not on wan2 first ($on2_before) or did not continue on wan1 ($on1_after)" \
	[ "$on2_before" -gt 0 -a "$on1_after" -gt 0 ]
before=$(lab_server_stats)
res=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes 4k --conns 20 --parallel 4 \
	--timeout 60)
after=$(lab_server_stats)
lab_all_ok steer_new_flows_with_wan2_down "$res" 20
split steer_new_flows_avoid_down_wan "$before" "$after" conns "$W1_4" "$W2_4" 20 100 100

# ---- unload puts rp_filter back ------------------------------------------------------------

omr unload --pin-dir "$LAB_PIN_DIR" --pidfile "$LAB_PIDFILE" >>"$LAB_AGENT_LOG" 2>&1
lab_check steer_rp_filter_restored "rp_filter of wan1 is $(rp wan1) after unload, want 0" \
	[ "$(rp wan1)" = 0 ]

lab_finish
