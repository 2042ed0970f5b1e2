#!/usr/bin/env bash
# Diagnostic (not a test): does omr-steer's transmit counter (omr_xmit on
# tp_btf/net_dev_xmit) see every packet the net_dev_xmit tracepoint reports?
# Two namespaces of its own (infx-a: the agent and WAN "zq1"; infx-b: the
# far end), tbf RATE on zq1's egress, a bounded TCP upload, then three counts
# of the same window: omr-steer stats, the interface counter, and ftrace's
# net_dev_xmit events for zq1 (rc=0).  Needs tracefs (mounted if missing)
# and build/omr-steer, build/tools/trafgen.
#   scripts/lab/xmit_trace_check.sh [--no-ftrace] [--churn] [RATE|-] [BYTES]
#   e.g. 8mbit 512k.  --no-ftrace: no ftrace probe on the tracepoint (only
#   omr-steer vs the interface); --churn: during the upload another
#   tp_btf/net_dev_xmit program (build/tools/xmit_churn) is attached and
#   detached in a loop, as other agents starting and stopping do (in the
#   TCG test VM, Linux 6.12, this crashed the guest once: Oops int3 in
#   dev_hard_start_xmit while the tracepoint's call site was re-patched).
# With ftrace it also prints the packets sent in softirqs that ran on a
# thread of PID 1 (ftrace's tgid): on the sandbox kernel of the shared test
# machine BPF tracing programs do not run there, and these are exactly the
# packets omr-steer misses (bpf/lib/counters.h, README "known limits").
set -u
cd "$(dirname "$0")/../.." || exit 1
ftrace=1 churn=0
while :; do
	case "${1:-}" in
	--no-ftrace) ftrace=0; shift ;;
	--churn) churn=1; shift ;;
	*) break ;;
	esac
done
rate=${1:-8mbit} bytes=${2:-512k}
A=infx-a B=infx-b T=/sys/kernel/tracing PIN=/run/infx-bpf
ev=$T/events/net/net_dev_xmit
mounted_tracefs=0
cleanup() {
	echo 0 > "$ev/enable" 2>/dev/null; echo 0 > "$ev/filter" 2>/dev/null; echo 0 > $T/options/record-tgid 2>/dev/null
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
	[ -n "${AG:-}" ] && kill "$AG" 2>/dev/null
	[ -n "${CH:-}" ] && kill "$CH" 2>/dev/null
	[ -n "${MON:-}" ] && kill "$MON" 2>/dev/null
	sleep 0.5
	ip netns exec $A build/omr-steer unload --pin-dir $PIN/p >/dev/null 2>&1
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
	umount $PIN 2>/dev/null; rmdir $PIN 2>/dev/null
	[ $mounted_tracefs = 1 ] && umount $T
}
trap cleanup EXIT
[ -d $T/events ] || { mount -t tracefs nodev $T && mounted_tracefs=1; } || exit 1
ip netns add $A && ip netns add $B || exit 1
# no IPv6 on zq1: its link-local chatter (RS, MLD) could fall between the
# two reads of a count and make them differ by a packet
ip netns exec $A sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
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
[ $ftrace = 1 ] && { echo 'name == "zq1"' > "$ev/filter"; echo 1 > $T/options/record-tgid; echo > $T/trace; echo 1 > "$ev/enable"; }
read -r -a b <<< "$(snap)"
chfile=$conf.churn
# every net_dev_xmit link seen during the upload (sampled: short-lived ones
# of other agents may slip between two samples)
monfile=$conf.links
while :; do bpftool -j link list 2>/dev/null | jq -r '.[] | select(.tp_name? == "net_dev_xmit") | .id'; sleep 0.05; done > "$monfile" & MON=$!
[ $churn = 1 ] && { build/tools/xmit_churn 100000 200 40 > "$chfile" & CH=$!; }
ip netns exec $A build/tools/trafgen client 10.99.0.2 5201 --upload --bytes "$bytes" --conns 6 --timeout 30 >/dev/null
[ $churn = 1 ] && { kill -INT "$CH" 2>/dev/null; wait "$CH"; CH=; cycles=$(cat "$chfile"); }
sleep 0.3
read -r -a a <<< "$(snap)"
kill "$MON" 2>/dev/null; wait "$MON" 2>/dev/null; MON=
links=$(sort -u "$monfile" | wc -l)
pid=$(bpftool -j link show pinned $PIN/p/link_xmit | jq .prog_id)
misses=$(bpftool -j prog show id "$pid" | jq '.recursion_misses // 0')
runs=$(bpftool -j prog show id "$pid" | jq '.run_cnt // "-"')
echo 0 > "$ev/enable"
tp=- tb=- ip=- ib=-
[ $ftrace = 1 ] && read -r ip ib <<< "$(grep 'net_dev_xmit:' $T/trace | awk '/rc=0/ && /\( *1\) / { for (i = 1; i <= NF; i++) if ($i ~ /^len=/) { sub("len=", "", $i); s += $i; n++ } } END { print n + 0, s + 0 }')"
[ $ftrace = 1 ] && read -r tp tb <<< "$(grep 'net_dev_xmit:' $T/trace | awk '/rc=0/ { for (i = 1; i <= NF; i++) if ($i ~ /^len=/) { sub("len=", "", $i); s += $i; n++ } } END { print n + 0, s + 0 }')"
echo "tbf $rate: omr-steer $((a[0] - b[0])) packets $((a[1] - b[1])) B;" \
     "interface $((a[2] - b[2])) packets $((a[3] - b[3])) B; net_dev_xmit (rc=0) $tp packets $tb B," \
     "of them in softirqs on PID 1's threads $ip packets $ib B;" \
     "missed $((a[3] - b[3] - a[1] + b[1])) B ($(awk -v m=$((a[3] - b[3] - a[1] + b[1])) -v t=$((a[3] - b[3])) 'BEGIN { printf "%.3f", t ? 100 * m / t : 0 }') %)" \
     "churn: $([ $churn = 1 ] && echo "${cycles:-?} attach/detach cycles" || echo none);" \
     "net_dev_xmit links seen: $links (ours included); omr_xmit recursion_misses $misses run_cnt $runs"
