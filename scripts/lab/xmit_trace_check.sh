#!/usr/bin/env bash
# Diagnostic (not a test): does omr-steer's transmit counter (omr_xmit on
# tp_btf/net_dev_xmit) see every packet the net_dev_xmit tracepoint reports?
# Two namespaces of its own (infx-a: the agent and WAN "zq1"; infx-b: the
# far end), tbf RATE on zq1's egress, a bounded TCP upload, then three counts
# of the same window: omr-steer stats, the interface counter, and ftrace's
# net_dev_xmit events for zq1 (rc=0).  Needs tracefs (mounted if missing)
# and build/omr-steer, build/tools/trafgen.
#   scripts/lab/xmit_trace_check.sh [RATE|-] [BYTES]     e.g. 8mbit 512k
# Finding (issue 9): ftrace and the interface agree to the byte; omr-steer
# misses 0..1.5 % with tbf (packets sent from the qdisc's softirq), 0..1 of
# ~650 without.  See the report of branch infra.
set -u
cd "$(dirname "$0")/../.." || exit 1
rate=${1:-8mbit} bytes=${2:-512k}
A=infx-a B=infx-b T=/sys/kernel/tracing PIN=/run/infx-bpf
ev=$T/events/net/net_dev_xmit
mounted_tracefs=0
cleanup() {
	echo 0 > "$ev/enable" 2>/dev/null; echo 0 > "$ev/filter" 2>/dev/null
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
	[ -n "${AG:-}" ] && kill "$AG" 2>/dev/null
	sleep 0.5
	ip netns exec $A build/omr-steer unload --pin-dir $PIN/p >/dev/null 2>&1
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
	umount $PIN 2>/dev/null; rmdir $PIN 2>/dev/null
	[ $mounted_tracefs = 1 ] && umount $T
}
trap cleanup EXIT
[ -d $T/events ] || { mount -t tracefs nodev $T && mounted_tracefs=1; } || exit 1
ip netns add $A && ip netns add $B || exit 1
ip -n $A link add zq1 type veth peer name zq1p netns $B
ip -n $A addr add 10.99.0.1/24 dev zq1; ip -n $B addr add 10.99.0.2/24 dev zq1p
ip -n $A link set zq1 up; ip -n $B link set zq1p up
[ "$rate" != - ] && ip netns exec $A tc qdisc replace dev zq1 root tbf rate "$rate" burst 20000 latency 50ms
mkdir -p $PIN; mountpoint -q $PIN || mount -t bpf bpf $PIN
conf=$(mktemp /tmp/infx.XXXXXX); printf 'interval 1\nwan zq1 weight 1\n' > "$conf"
ip netns exec $A build/omr-steer load -c "$conf" --pin-dir $PIN/p --pidfile "$conf.pid" >/dev/null 2>&1 & AG=$!
stats() { ip netns exec $A build/omr-steer stats --json --pin-dir $PIN/p 2>/dev/null; }
for _ in $(seq 50); do [ "$(stats | jq '.wans | length' 2>/dev/null)" = 1 ] && break; sleep 0.2; done
ip netns exec $B build/tools/trafgen server -4 --port 5201 --tcp --max-seconds 60 >/dev/null 2>&1 & SRV=$!
sleep 1
snap() { local j; j=$(stats); echo "$(jq '.wans[0].tx_packets' <<< "$j") $(jq '.wans[0].tx_bytes' <<< "$j")" \
	"$(ip netns exec $A cat /sys/class/net/zq1/statistics/tx_packets /sys/class/net/zq1/statistics/tx_bytes | tr '\n' ' ')"; }
echo 'name == "zq1"' > "$ev/filter"; echo > $T/trace; echo 1 > "$ev/enable"
read -r -a b <<< "$(snap)"
ip netns exec $A build/tools/trafgen client 10.99.0.2 5201 --upload --bytes "$bytes" --conns 6 --timeout 30 >/dev/null
sleep 0.3
read -r -a a <<< "$(snap)"
echo 0 > "$ev/enable"
read -r tp tb <<< "$(grep 'net_dev_xmit:' $T/trace | awk '/rc=0/ { for (i = 1; i <= NF; i++) if ($i ~ /^len=/) { sub("len=", "", $i); s += $i; n++ } } END { print n + 0, s + 0 }')"
echo "tbf $rate: omr-steer $((a[0] - b[0])) packets $((a[1] - b[1])) B;" \
     "interface $((a[2] - b[2])) packets $((a[3] - b[3])) B; net_dev_xmit (rc=0) $tp packets $tb B"
