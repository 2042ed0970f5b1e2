#!/usr/bin/env bash
# Active probes (src/probe.c, with src/health.c) out of two WANs, driven by
# build/tools/probe_run in namespaces of our own:
#
#   ns $A (ISP 1)  a1 10.91.1.2  fd91:1::2  ==  wan1 10.91.1.1 fd91:1::1   ns $R
#     lo 10.91.9.9 fd91:9::9 (the probe target), the kernel answers pings   (the router:
#   ns $B (ISP 2)  b1 10.91.2.2  fd91:2::2  ==  wan2 10.91.2.1 fd91:2::1    per-WAN tables,
#     lo 10.91.9.9 fd91:9::9, the kernel ignores pings; `probe_run respond`  rules by source)
#     answers them 20 ms late, so path 2 has a longer RTT (no netem here)
#
# The router reaches the same target through either ISP: routes in tables
# 101/102, chosen by source address, as on a real multi-WAN router, and a
# main-table default via wan1; each probe binds to its WAN's device (and
# address).  Every line of output is
# "PASS name", "FAIL name: why" or "SKIP name: why".
#
# Debugging: PROBE_SETUP_ONLY=1 builds the namespaces, prints their names
# and leaves them (delete them yourself); PROBE_KEEP=1 keeps them after a run.
set -u
cd "$(dirname "$0")/../.." || exit 1

TOOL=${PROBE_RUN:-build/tools/probe_run}
OW=ow$(printf %04x $((RANDOM ^ $$ & 0xffff)))
R=$OW-r A=$OW-a B=$OW-b
TMP=$(mktemp -d "/tmp/$OW-probe.XXXXXX")
DELAY_MS=20
PIDS=()
FAILED=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; echo "FAIL $1: $2" >&2; FAILED=$((FAILED + 1)); }
skip() { echo "SKIP $1: $2"; }
log()  { echo "# $*" >&2; }

cleanup() {
	local pid ns
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "$R" "$A" "$B"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
[ -n "${PROBE_KEEP:-}" ] && trap - EXIT

if [ "$(id -u)" != 0 ]; then
	skip probe "needs root to create network namespaces"
	exit 0
fi
if [ ! -x "$TOOL" ]; then
	fail probe "$TOOL is missing: run 'make build/tools/probe_run'"
	exit 1
fi

# ---- the lab ---------------------------------------------------------------

setup() {
	local ns
	for ns in "$R" "$A" "$B"; do
		ip netns add "$ns" || return 1
		# no DAD (addresses usable at once), IPv6 addresses survive link down
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.keep_addr_on_down=1 \
			net.ipv6.conf.all.keep_addr_on_down=1 || return 1
	done
	ip -n "$R" link add wan1 type veth peer name a1 netns "$A" || return 1
	ip -n "$R" link add wan2 type veth peer name b1 netns "$B" || return 1
	local i dev
	for i in 1 2; do
		ip -n "$R" addr add "10.91.$i.1/24" dev "wan$i"
		ip -n "$R" addr add "fd91:$i::1/64" dev "wan$i" nodad
		ip -n "$R" link set "wan$i" up
	done
	ip -n "$R" link set lo up
	for i in 1 2; do
		if [ "$i" = 1 ]; then ns=$A dev=a1; else ns=$B dev=b1; fi
		ip -n "$ns" addr add "10.91.$i.2/24" dev "$dev"
		ip -n "$ns" addr add "fd91:$i::2/64" dev "$dev" nodad
		ip -n "$ns" addr add 10.91.9.9/32 dev lo
		ip -n "$ns" addr add fd91:9::9/128 dev lo
		ip -n "$ns" link set lo up
		ip -n "$ns" link set "$dev" up
		# the router's per-WAN table and the rule that picks it by source
		ip -n "$R" route add default via "10.91.$i.2" dev "wan$i" table "10$i"
		ip -n "$R" rule add from "10.91.$i.1" lookup "10$i" pref "10$i"
		ip -n "$R" -6 route add default via "fd91:$i::2" dev "wan$i" table "10$i"
		ip -n "$R" -6 rule add from "fd91:$i::1" lookup "10$i" pref "10$i"
	done
	# the main table's default goes out of wan1, as on most routers
	ip -n "$R" route add default via 10.91.1.2 dev wan1
	# ISP 2 answers pings late, from user space
	ip netns exec "$B" sysctl -qw net.ipv4.icmp_echo_ignore_all=1 net.ipv6.icmp.echo_ignore_all=1 || return 1
	ip netns exec "$B" "$TOOL" respond -d "$DELAY_MS" -s 90 -D b1 > "$TMP/respond4.log" 2>&1 &
	PIDS+=($!)
	ip netns exec "$B" "$TOOL" respond -6 -d "$DELAY_MS" -s 90 -D b1 > "$TMP/respond6.log" 2>&1 &
	PIDS+=($!)
	# a TCP service on the target in both ISPs
	ip netns exec "$A" "$TOOL" listen -p 7777 -s 90 > "$TMP/listen_a.log" 2>&1 &
	PIDS+=($!)
	ip netns exec "$B" "$TOOL" listen -p 7777 -s 90 > "$TMP/listen_b.log" 2>&1 &
	PIDS+=($!)
	# neighbours resolved both ways on both links, IPv4 and IPv6 (bounded)
	for i in 1 2; do
		ip netns exec "$R" ping -q -c 1 -w 5 -I "10.91.$i.1" "10.91.$i.2" > /dev/null || return 1
		ip netns exec "$R" ping -q -c 1 -w 5 -I "fd91:$i::1" "fd91:$i::2" > /dev/null || return 1
	done
	grep -q '^respond family=ipv4' "$TMP/respond4.log" && grep -q '^respond family=ipv6' "$TMP/respond6.log" &&
		grep -q '^listen port' "$TMP/listen_a.log" && grep -q '^listen port' "$TMP/listen_b.log"
}

if ! setup; then
	fail probe_setup "could not build the namespaces ($R $A $B)"
	exit 1
fi
[ -n "${PROBE_SETUP_ONLY:-}" ] && { echo "$R $A $B"; trap - EXIT; exit 0; }

# run_probe NAME ARGS...: probe_run in the router, output in $TMP/NAME.out
run_probe() {
	local name=$1; shift
	timeout 30 ip netns exec "$R" "$TOOL" probe "$@" > "$TMP/$name.out" 2> "$TMP/$name.err"
}

# field OUT IF KEY: the value of KEY= on the summary line of interface IF
field() {
	sed -n "s/^summary if=$2 .*\b$3=\([^ ]*\).*/\1/p" "$TMP/$1.out"
}

# expect_answers NAME IF METHOD N: the summary says all N answered, by METHOD
expect_answers() {
	local name=$1 dev=$2 method=$3 n=$4
	[ "$(field "$name" "$dev" method)" = "$method" ] && [ "$(field "$name" "$dev" answered)" = "$n" ] &&
		[ "$(field "$name" "$dev" lost)" = 0 ] && [ "$(field "$name" "$dev" state)" = up ]
}

# expect_rtts NAME: wan2's answers come at least DELAY_MS late (its least
# RTT: nothing reads below the delay) and at least DELAY_MS / 2 after
# wan1's (least RTTs: a loaded machine only adds to an RTT, to both paths);
# the upper bound (3 x DELAY_MS + 100 ms) is only generous.
expect_rtts() {
	local fast slow
	fast=$(field "$1" wan1 rtt_min_us) slow=$(field "$1" wan2 rtt_min_us)
	log "$1: rtt wan1 min ${fast} us, wan2 min ${slow} us (avg $(field "$1" wan1 rtt_avg_us)/$(field "$1" wan2 rtt_avg_us), srtt $(field "$1" wan1 srtt_us)/$(field "$1" wan2 srtt_us))"
	[ -n "$fast" ] && [ -n "$slow" ] && [ $((slow - fast)) -ge $((DELAY_MS * 1000 / 2)) ] &&
		[ "$slow" -ge $((DELAY_MS * 1000)) ] && [ "$slow" -lt $((3 * DELAY_MS * 1000 + 100000)) ]
}

check() { # check NAME MESSAGE CMD...
	local name=$1 msg=$2; shift 2
	if "$@"; then
		pass "$name"
	else
		fail "$name" "$msg"
		sed 's/^/#   /' "$TMP/$name.out" "$TMP/$name.err" 2>/dev/null | tail -n 30 >&2
	fi
}

V4=(wan1@10.91.1.1=10.91.9.9 wan2@10.91.2.1=10.91.9.9)
V6=(wan1@fd91:1::1=fd91:9::9 wan2@fd91:2::1=fd91:9::9)

# ---- ICMP out of each WAN, raw sockets (ping_group_range excludes root) -------

both_answer() { # both_answer NAME METHOD N
	expect_answers "$1" wan1 "$2" "$3" && expect_answers "$1" wan2 "$2" "$3"
}

run_probe probe_icmp4_raw -c 5 -i 100 -t 90 "${V4[@]}"
check probe_icmp4_raw "ICMP out of both WANs over raw sockets" both_answer probe_icmp4_raw icmp-raw 5
check probe_icmp4_rtt_differs "wan2 (20 ms late answers) should measure >= 20 ms and >= 10 ms more than wan1" \
	expect_rtts probe_icmp4_raw

run_probe probe_icmp6_raw -r -c 5 -i 100 -t 90 "${V6[@]}"
check probe_icmp6_raw "ICMPv6 out of both WANs over raw sockets" both_answer probe_icmp6_raw icmp-raw 5
check probe_icmp6_rtt_differs "ICMPv6 RTTs should differ by the 20 ms delay" expect_rtts probe_icmp6_raw

# ---- no source address: the device binding alone takes the probe out of wan2 --
# (the main table's default would send it out of wan1, where it answers fast)

run_probe probe_device_only -c 3 -i 100 -t 90 wan2=10.91.9.9
device_only_ok() {
	local rtt
	rtt=$(field probe_device_only wan2 rtt_min_us)
	log "probe_device_only: wan2 without a source address, rtt min ${rtt} us"
	expect_answers probe_device_only wan2 icmp-raw 3 && [ "$rtt" -ge $((DELAY_MS * 1000)) ]
}
check probe_device_only "a probe bound to wan2 without a source should still leave by wan2 (>= 20 ms)" device_only_ok

# ---- the same over ping sockets, once the group may use them -----------------

ip netns exec "$R" sysctl -qw net.ipv4.ping_group_range="0 0"
run_probe probe_icmp4_dgram -c 5 -i 100 -t 90 "${V4[@]}"
check probe_icmp4_dgram "ICMP over ping sockets (ping_group_range 0 0)" both_answer probe_icmp4_dgram icmp-dgram 5
check probe_icmp4_dgram_rtt "ping socket RTTs should differ" expect_rtts probe_icmp4_dgram
run_probe probe_icmp6_dgram -c 5 -i 100 -t 90 "${V6[@]}"
check probe_icmp6_dgram "ICMPv6 over ping sockets" both_answer probe_icmp6_dgram icmp-dgram 5

# ---- TCP connect: to a listener, and refused (a RST is an answer) ------------

run_probe probe_tcp -c 3 -i 100 -t 90 wan1@10.91.1.1=10.91.9.9:7777 wan2@10.91.2.1=10.91.9.9:7777
check probe_tcp "TCP connect out of both WANs to a listener" both_answer probe_tcp tcp 3
run_probe probe_tcp6_refused -c 3 -i 100 -t 90 "wan1@fd91:1::1=[fd91:9::9]:9" "wan2@fd91:2::1=[fd91:9::9]:9"
check probe_tcp6_refused "a refused TCPv6 connect counts as an answer" both_answer probe_tcp6_refused tcp 3

# ---- one ISP's address removed: that WAN's probes fail, the other's do not -----

ip -n "$A" addr del 10.91.1.2/24 dev a1
run_probe probe_addr_removed -c 5 -i 100 -t 90 "${V4[@]}"
addr_removed_ok() {
	[ "$(field probe_addr_removed wan1 answered)" = 0 ] && [ "$(field probe_addr_removed wan1 lost)" = 5 ] &&
		[ "$(field probe_addr_removed wan1 state)" = down ] && expect_answers probe_addr_removed wan2 icmp-dgram 5
}
check probe_addr_removed "with ISP 1's address gone, wan1 should lose all 5 and be down, wan2 answer all" addr_removed_ok
ip -n "$A" addr add 10.91.1.2/24 dev a1
run_probe probe_addr_restored -c 5 -i 100 -t 90 "${V4[@]}"
check probe_addr_restored "address back: both answer again" both_answer probe_addr_restored icmp-dgram 5

# ---- one link down: its probes (ICMP and TCP) fail at once ----------------------

ip -n "$A" link set a1 down
run_probe probe_link_down -c 4 -i 100 -t 90 "${V4[@]}" wan1@10.91.1.1=10.91.9.9:7777
link_down_ok() {
	# two probes on wan1 (ICMP and TCP): the summary lines for wan1 both say 0 answered
	[ "$(grep -c '^summary if=wan1 .* answered=0 lost=4 .*state=down' "$TMP/probe_link_down.out")" = 2 ] &&
		expect_answers probe_link_down wan2 icmp-dgram 4
}
check probe_link_down "with wan1's carrier gone, its ICMP and TCP probes should fail, wan2 answer" link_down_ok
ip -n "$A" link set a1 up

# ---- health over time: down after 3 losses, up after 2 answers -----------------

# 40 rounds of 200 ms; the link goes down at ~2 s and comes back at ~4 s.
# Traffic resumes up to 1 s after the carrier: the kernel's linkwatch batches
# non-urgent carrier events (a veth whose ifindex equals its peer's is one).
# The check reads the order of events, not their times (a loaded machine
# stretches both the shell's sleeps and the probes' round trips): wan1 must
# go down on exactly its 3rd loss in a row, be usable again on exactly its
# 2nd answer in a row, and wan2, whose path answers, must never go down.
ip netns exec "$R" ip neigh flush dev wan1 2>/dev/null
timeout 40 ip netns exec "$R" "$TOOL" probe -c 40 -i 200 -t 190 "${V4[@]}" > "$TMP/probe_health.out" 2>&1 &
prober=$!
PIDS+=("$prober")
sleep 2.0
ip -n "$A" link set a1 down
sleep 2.0
ip -n "$A" link set a1 up
wait "$prober"
# health_sequence FILE IFNAME: "ok" when IFNAME's state changes follow its
# results as the health rules say, else what went wrong; also prints
# "downs=N ups=N" (state changes into and out of down).
health_sequence() {
	awk -v ifn="$2" '
	$2 != "if=" ifn { next }
	$1 == "result" { if ($5 == "answered") { ans++; lost = 0 } else { lost++; ans = 0 }; next }
	$1 == "state" && $4 ~ /->down$/ { downs++; if (lost != 3) bad = bad " down after " lost " losses"; next }
	$1 == "state" && $4 ~ /^down->/ { ups++; if (ans != 2) bad = bad " up after " ans " answers"; next }
	END { printf "%s downs=%d ups=%d\n", bad == "" ? "ok" : "bad:" bad, downs, ups }' "$1"
}
health_ok() {
	local out=$TMP/probe_health.out s1 s2
	s1=$(health_sequence "$out" wan1)
	s2=$(health_sequence "$out" wan2)
	log "probe_health: wan1 $s1; wan2 $s2"
	[ "$s1" = "ok downs=1 ups=1" ] && [ "${s2%% *}" = ok ] && [[ "$s2" == *" downs=0 "* ]] &&
		grep -Eq '^summary if=wan1 .*state=(up|degraded)$' "$out" &&
		grep -Eq '^summary if=wan2 .*state=(up|degraded)$' "$out"
}
check probe_health "wan1 should go down within ~3 probes of losing its link and come back after 2 answers; wan2 never down" health_ok

[ "$FAILED" -eq 0 ]
