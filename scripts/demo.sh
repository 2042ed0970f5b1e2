#!/usr/bin/env bash
# `make demo`: a lab router with two WANs shaped to 8 and 24 Mbit/s (wan2's
# path 2 x 15 ms longer), the omr-steer agent running in it with weights
# that match the links and a probe per WAN, real TCP and UDP traffic in both
# directions over both WANs, the per-WAN statistics, an application class
# (SIP on the lowest-RTT WAN), a live weight change (SIGHUP), then unload.  Runs as root, takes about
# 15 s, and removes everything it built however it ends.  Exits 1 if any
# step did not work.
set -u
cd "$(dirname "$0")/.." || exit 1

LAB_PREFIX=${LAB_PREFIX:-omrdemo$$}
. tests/net/lib.sh		# its EXIT trap tears the lab down

RATE1=8mbit
RATE2=24mbit
DELAY2=15			# ms each way: wan2 is the longer path
SIP=5060
LAN_ALT4=192.168.77.3		# a second LAN address, routed out of wan2

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
die() { echo "demo: $*" >&2; exit 1; }
problems=0
problem() { echo "demo: $*" >&2; problems=$((problems + 1)); }
demo_weight_is() { [ "$(omr_wan weight "$1" 2>/dev/null)" = "$2" ]; }

[ "$(id -u)" = 0 ] || die "run as root (it builds network namespaces): sudo make demo"
for f in "$OMR" "$TRAFGEN"; do
	[ -x "$f" ] || die "$f is missing: run 'make demo' (it builds it)"
done

step "Building the lab: LAN host -> router (wan1 $RATE1, wan2 $RATE2 +2x${DELAY2} ms) -> ISP -> server"
lab_up --wans 2 --rates "$RATE1 $RATE2" --delays "- $DELAY2" || die "the lab could not be built"
# Per-source policy routing as multi-WAN routers do it: one LAN address
# leaves by wan1 (the default route), the other by wan2.
ip -n "$LAB_LAN" addr add "$LAN_ALT4/24" dev eth0
ip -n "$LAB_RTR" rule add from "$LAN_ALT4" lookup 102 priority 900
echo "namespaces: $LAB_LAN $LAB_RTR $LAB_ISP $LAB_SRV; pins in $LAB_PIN_DIR"

CONF=$LAB_TMP/omr-steer.conf
step "Weight file $CONF (weights follow the link rates, 1:3; SIP on the lowest RTT)"
lab_conf "$CONF" \
	"# omr-steer weight file for the demo lab" \
	"interval 1" \
	"wan wan1 weight 1 probe $LAB_SRV4        # $RATE1" \
	"wan wan2 weight 3 probe $LAB_SRV4        # $RATE2, longer path" \
	"class voip lowest-rtt" \
	"rule proto udp dport $SIP class voip"
cat "$CONF"
omr check -c "$CONF" || die "the example weight file does not pass 'omr-steer check'"

step "omr-steer load -c $CONF --pin-dir $LAB_PIN_DIR (in the router namespace)"
omr_load "$CONF" || die "the agent did not start; see above"
echo "agent running, pid $OMR_PID"
omr status --pin-dir "$LAB_PIN_DIR"
echo
echo "tc filters on wan1 (omr-steer's are the bpf ones):"
in_ns rtr tc filter show dev wan1 egress
in_ns rtr tc filter show dev wan1 ingress

step "Traffic: TCP up and down, UDP echo, IPv4 and IPv6, over both WANs (~5 s)"
lab_server_start || die "the traffic server did not start"
out=$LAB_TMP/traffic
mkdir -p "$out"
run_bg() { # run_bg NAME ROLE TRAFGEN-CLIENT-ARGS...
	local name=$1 role=$2; shift 2
	lab_traffic "$role" "$@" --timeout 30 >"$out/$name.json" 2>"$out/$name.err" &
	LAB_BG_PIDS+=($!)
	eval "pid_$name=$!"
}
# wan1: the LAN host's main address (default route)
run_bg lan_up_v4     lan "$LAB_SRV4" "$LAB_PORT" --upload   --bytes 2m --conns 2
run_bg lan_down_v4   lan "$LAB_SRV4" "$LAB_PORT" --download --bytes 3m
run_bg lan_udp_v6    lan "$LAB_SRV6" "$LAB_PORT" --udp --count 300 --size 1200
# wan2: the LAN host's second address (policy route), and the router itself
run_bg lan2_up_v4    lan "$LAB_SRV4" "$LAB_PORT" --upload   --bytes 6m --bind "$LAN_ALT4"
run_bg lan2_down_v4  lan "$LAB_SRV4" "$LAB_PORT" --download --bytes 6m --conns 2 --bind "$LAN_ALT4"
run_bg rtr_down_v6   rtr "$LAB_SRV6" "$LAB_PORT" --download --bytes 3m --bind "$(lab_wan_addr6 2)"
run_bg rtr_udp_v4    rtr "$LAB_SRV4" "$LAB_PORT" --udp --count 300 --size 1200 --bind "$(lab_wan_addr4 2)"

sleep 2.5
echo "omr-steer stats while the traffic runs:"
omr stats --pin-dir "$LAB_PIN_DIR"

traffic_ok=1
for name in lan_up_v4 lan_down_v4 lan_udp_v6 lan2_up_v4 lan2_down_v4 rtr_down_v6 rtr_udp_v4; do
	pid_var=pid_$name
	if wait "${!pid_var}"; then
		printf '  %-13s ok      %s\n' "$name" "$(cat "$out/$name.json")"
	else
		traffic_ok=0
		printf '  %-13s FAILED  %s\n' "$name" "$(cat "$out/$name.json" "$out/$name.err")"
	fi
done
echo "the server saw (per source address, i.e. per WAN after NAT):"
lab_server_stats | jq -r '.peers[] | "  \(.addr): \(.conns) TCP connections, \(.bytes_in) bytes in, \(.bytes_out) bytes out, \(.udp_packets_in) UDP datagrams"'
[ "$traffic_ok" = 1 ] || problem "some transfers failed (see above)"

step "omr-steer stats"
sleep 1		# one more sampling interval, so rates settle
omr stats --pin-dir "$LAB_PIN_DIR"

step "Application class: 10 SIP flows (UDP to port $SIP) take the lowest-RTT WAN, wan1"
lab_server_start "$SIP" || die "the SIP-port server did not start"
lab_wait 10 eval '[ "$(omr_wan rtt_us wan2 2>/dev/null || echo 0)" -gt $((DELAY2 * 1000)) ]' ||
	problem "no RTT for wan2 after 10 s"
echo "rtt_us: wan1 $(omr_wan rtt_us wan1), wan2 $(omr_wan rtt_us wan2)"
before=$(lab_server_stats "$SIP")
lab_traffic lan "$LAB_SRV4" "$SIP" --udp --conns 10 --count 5 --timeout 20 >/dev/null ||
	problem "SIP flows failed"
after=$(lab_server_stats "$SIP")
sip_by() { # sip_by ADDR: datagrams the server got from ADDR in this step
	echo $(( $(lab_peer udp_packets_in "$1" "$after") - $(lab_peer udp_packets_in "$1" "$before") ))
}
sip1=$(sip_by "$(lab_wan_addr4 1)") sip2=$(sip_by "$(lab_wan_addr4 2)")
echo "the server got the SIP datagrams: $sip1 by wan1, $sip2 by wan2 (weights alone would send 3 of 4 by wan2)"
[ "$sip1" = 50 ] && [ "$sip2" = 0 ] || problem "SIP flows did not all take wan1"
omr status --pin-dir "$LAB_PIN_DIR" | sed -n '/^classes:/,$p'

step "omr-steer stats --json"
omr stats --json --pin-dir "$LAB_PIN_DIR" | jq .

step "Live weight change: wan1 weight 1 -> 2, then 'omr-steer reload' (SIGHUP)"
sed -i 's/^wan wan1 weight 1 /wan wan1 weight 2 /' "$CONF"
grep '^wan' "$CONF"
omr reload --pidfile "$LAB_PIDFILE" || problem "'omr-steer reload' failed"
if lab_wait 5 demo_weight_is wan1 2; then
	echo "stats now shows wan1 weight $(omr_wan weight wan1), wan2 weight $(omr_wan weight wan2)"
else
	problem "the new weight did not show in stats within 5 s"
fi
echo "agent log:"
sed 's/^/  /' "$LAB_AGENT_LOG"

step "omr-steer unload"
omr unload --pin-dir "$LAB_PIN_DIR" || problem "'omr-steer unload' failed"
if lab_wait 5 omr__gone; then echo "agent stopped"; else problem "the agent still runs"; fi
if [ -e "$LAB_PIN_DIR" ]; then
	problem "pins left in $LAB_PIN_DIR: $(ls "$LAB_PIN_DIR" | tr '\n' ' ')"
else
	echo "no pins left in $LAB_PIN_DIR"
fi
left=$(( $(omr_filter_count wan1) + $(omr_filter_count wan2) ))
if [ "$left" = 0 ]; then echo "no omr-steer tc filters left"; else problem "$left omr-steer tc filters left"; fi

step "Tearing the lab down"
lab_down
if [ "$problems" = 0 ]; then
	echo "done"
else
	echo "done, with $problems problem(s) (see above)"
	exit 1
fi
