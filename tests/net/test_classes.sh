#!/usr/bin/env bash
# Application classes through a real router (tests/net/lib.sh) whose WANs
# have different round-trip times: a delay line (build/tools/delayline)
# makes wan1's path 2 x 25 ms longer.  wan1 is the routed WAN and weighs 3,
# wan2 weighs 1; both have a probe, so the agent measures their RTTs.
#
#  - stats shows the RTTs apart (wan1 >= 40 ms and >= 25 ms above wan2's);
#  - UDP flows of class `lowest-rtt` (rule proto udp dport 5060) all leave
#    by wan2 (the server sees only wan2's address), IPv4 and IPv6, and
#    work both ways (translated by the datapath);
#  - other UDP flows still follow the weights (most by wan1);
#  - status counts the flows the rule matched and shows wan2 as the class's;
#  - the delays swap (wan1 fast, wan2 slow): once the RTTs follow, new
#    lowest-rtt flows leave by wan1;
#  - a `prefer wan2 wan1` class follows its list, and moves to wan1 when
#    wan2's link goes down.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-oc$$}
. tests/net/lib.sh

SIP=5060
W1_4=$(lab_wan_addr4 1) W2_4=$(lab_wan_addr4 2)
W1_6=$(lab_wan_addr6 1) W2_6=$(lab_wan_addr6 2)

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 2 --rates "20mbit 20mbit" --delays "25 0" ||
	{ lab_fail setup "the lab could not be built"; exit 1; }
CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 0.5" \
	"wan wan1 weight 3 probe $LAB_SRV4" "wan wan2 weight 1 probe $LAB_SRV4" \
	"class voip lowest-rtt" "class games prefer wan2 wan1" \
	"rule proto udp dport $SIP class voip" \
	"rule proto tcp dport 3074 class games" "rule proto udp dport 3074 class games"
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
lab_server_start "$SIP" || { lab_fail setup "the SIP-port server did not start"; exit 1; }
lab_server_start 3074 || { lab_fail setup "the games-port server did not start"; exit 1; }

# rtt_apart FAST SLOW: both WANs have an RTT, SLOW's (a 2 x 25 ms longer
# path) reads >= 40 ms, and reads at least 25 ms more than FAST's.  No upper
# bound on FAST: on a loaded machine a delay line (even one of 0 ms) and the
# probes add tens of ms; what the delay line guarantees is the order and the
# lower bound of the slow path.
rtt_apart() {
	local fast=$1 slow=$2 json rf rs
	json=$(omr_stats_json 2>/dev/null) || return 1
	rf=$(omr_wan rtt_us "$fast" "$json") && rs=$(omr_wan rtt_us "$slow" "$json") || return 1
	[ "$rf" -gt 0 ] && [ "$rs" -ge 40000 ] && [ $((rs - rf)) -ge 25000 ]
}
RTT_WAIT=60	# s: smoothed RTTs settle within seconds; a loaded machine takes longer
show_rtts() {
	local json
	json=$(omr_stats_json 2>/dev/null)
	lab_log "rtt_us: wan1 $(omr_wan rtt_us wan1 "$json"), wan2 $(omr_wan rtt_us wan2 "$json")"
}

lab_check classes_rtts_measured "the agent did not see wan2 fast and wan1 slow within $RTT_WAIT s" \
	lab_wait "$RTT_WAIT" rtt_apart wan2 wan1
show_rtts

# udp_from NAME PORT SRV ADDR_FAST ADDR_OTHER: 20 UDP request/response flows
# to SRV:PORT; every packet the server gets is from ADDR_FAST.
udp_from() {
	local name=$1 port=$2 srv=$3 fast=$4 other=$5 before after res nf no
	before=$(lab_server_stats "$port")
	res=$(lab_traffic lan "$srv" "$port" --udp --conns 20 --parallel 4 --count 5 --timeout 30)
	after=$(lab_server_stats "$port")
	lab_all_ok "${name}_flows_answered" "$res" 20
	nf=$(( $(lab_peer udp_packets_in "$fast" "$after") - $(lab_peer udp_packets_in "$fast" "$before") ))
	no=$(( $(lab_peer udp_packets_in "$other" "$after") - $(lab_peer udp_packets_in "$other" "$before") ))
	lab_log "$name: $nf packets from $fast, $no from $other"
	lab_check "$name" "$nf packets from $fast and $no from $other, want 100 and 0" \
		[ "$nf" -eq 100 -a "$no" -eq 0 ]
}
rule_flows() { # rule_flows LINE: new flows the rule on that line matched
	omr status --json --pin-dir "$LAB_PIN_DIR" |
		jq -r --argjson l "$1" '.rules[] | select(.line == $l) | .flows'
}
class_wans4() { # class_wans4 NAME: the class's IPv4 WANs now, space separated
	omr status --json --pin-dir "$LAB_PIN_DIR" |
		jq -r --arg n "$1" '.classes[] | select(.name == $n) | .wans4 | join(" ")'
}

# ---- lowest-rtt: wan2 ----------------------------------------------------------------

# other UDP first (no flow busy yet): by weight, 3:1 towards wan1
before=$(lab_server_stats)
res=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --udp --conns 20 --parallel 4 --count 5 --timeout 30)
after=$(lab_server_stats)
lab_all_ok classes_unclassified_flows_answered "$res" 20
n1=$(( $(lab_peer udp_packets_in "$W1_4" "$after") - $(lab_peer udp_packets_in "$W1_4" "$before") ))
n2=$(( $(lab_peer udp_packets_in "$W2_4" "$after") - $(lab_peer udp_packets_in "$W2_4" "$before") ))
lab_log "unclassified: $n1 packets by wan1, $n2 by wan2"
lab_check classes_unclassified_follow_weights "wan1 $n1, wan2 $n2 packets, want 3:1 (60..90 of 100 by wan1)" \
	[ $((n1 + n2)) -eq 100 -a "$n1" -ge 60 -a "$n1" -le 90 ]


lab_check classes_status_voip_on_wan2 "status says voip takes '$(class_wans4 voip)', want wan2" \
	[ "$(class_wans4 voip)" = wan2 ]
udp_from classes_lowest_rtt_udp4_on_wan2 "$SIP" "$LAB_SRV4" "$W2_4" "$W1_4"
udp_from classes_lowest_rtt_udp6_on_wan2 "$SIP" "$LAB_SRV6" "$W2_6" "$W1_6"
lab_check classes_rule_counts_flows "the SIP rule matched $(rule_flows 6) flows, want 40" \
	[ "$(rule_flows 6)" = 40 ]

# ---- the RTTs swap: wan1 fast, wan2 slow -----------------------------------------------

lab_delay 1 0 && lab_delay 2 25 || lab_fail classes_swap_delays "the delay lines could not be changed"
lab_check classes_rtts_follow_swap "the agent did not see wan1 fast and wan2 slow within $RTT_WAIT s" \
	lab_wait "$RTT_WAIT" rtt_apart wan1 wan2
show_rtts
lab_wait 15 eval '[ "$(class_wans4 voip)" = wan1 ]'
lab_check classes_status_voip_on_wan1 "status says voip takes '$(class_wans4 voip)', want wan1" \
	[ "$(class_wans4 voip)" = wan1 ]
udp_from classes_lowest_rtt_follows_to_wan1 "$SIP" "$LAB_SRV4" "$W1_4" "$W2_4"

# ---- prefer wan2 wan1: wan2 while its link is up, then wan1 ------------------------------

before=$(lab_server_stats 3074)
res=$(lab_traffic lan "$LAB_SRV4" 3074 --upload --bytes 2k --conns 12 --parallel 4 --timeout 30)
after=$(lab_server_stats 3074)
lab_all_ok classes_prefer_tcp_answered "$res" 12
n2=$(( $(lab_peer conns "$W2_4" "$after") - $(lab_peer conns "$W2_4" "$before") ))
lab_check classes_prefer_first_wan "$n2 of 12 connections by wan2, want 12" [ "$n2" -eq 12 ]
in_ns rtr ip link set wan2 down
lab_wait 15 eval '[ "$(class_wans4 games)" = wan1 ]'
udp_from classes_prefer_next_wan_when_first_down 3074 "$LAB_SRV4" "$W1_4" "$W2_4"
in_ns rtr ip link set wan2 up

omr status --pin-dir "$LAB_PIN_DIR" >&2
lab_finish
