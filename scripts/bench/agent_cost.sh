#!/usr/bin/env bash
# The agent's own cost: CPU share and resident memory of `omr-steer load` at
# interval 1 with 4 WANs carrying traffic, and how fast `omr-steer stats` answers.
# Targets (issue 2): <= 1 % of one core, <= 8 MiB RSS, stats <= 50 ms.
set -eu
cd "$(dirname "$0")/../.."
BIN=$PWD/build/omr-steer
SECS=${SECS:-30}
ns=ob$$
run=/run/$ns
cleanup() {
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	[ -n "${pinger:-}" ] && kill "$pinger" 2>/dev/null
	umount "$run/bpf" 2>/dev/null
	rm -rf "$run"
	ip netns del "$ns-a" 2>/dev/null
	ip netns del "$ns-b" 2>/dev/null
	true
}
trap cleanup EXIT
ip netns add "$ns-a"; ip netns add "$ns-b"
mkdir -p "$run/bpf"; mount -t bpf bpf "$run/bpf"
conf=$run/omr-steer.conf
echo "interval 1" > "$conf"
for i in 1 2 3 4; do
	ip link add "wan$i" netns "$ns-a" type veth peer name "isp$i" netns "$ns-b"
	ip -n "$ns-a" addr add "10.88.$i.2/24" dev "wan$i"
	ip -n "$ns-b" addr add "10.88.$i.1/24" dev "isp$i"
	ip -n "$ns-a" link set "wan$i" up; ip -n "$ns-b" link set "isp$i" up
	echo "wan wan$i weight $i" >> "$conf"
done
ip netns exec "$ns-a" "$BIN" load -c "$conf" --pin-dir "$run/bpf/omr-steer" \
	--pidfile "$run/pid" 2>"$run/log" &
agent=$!
sleep 2
# light background traffic on every WAN for the whole measurement (bounded)
( for _ in $(seq $((SECS * 5))); do
	for i in 1 2 3 4; do ip netns exec "$ns-a" ping -c 1 -W 1 -q "10.88.$i.1" >/dev/null 2>&1 & done
	sleep 0.2
  done ) & pinger=$!
# CPU time in ns from the scheduler (clock ticks are too coarse for < 1 %)
cpu_ns() { cut -d' ' -f1 "/proc/$agent/schedstat"; }
t0=$(cpu_ns); s0=$(date +%s.%N)
sleep "$SECS"
t1=$(cpu_ns); s1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
cpu=$(echo "($t1 - $t0) / 1000000000 / ($s1 - $s0) * 100" | bc -l)
# stats latency: best and median of 20 runs
lat=$(for _ in $(seq 20); do
	a=$(date +%s%N); ip netns exec "$ns-a" "$BIN" stats --pin-dir "$run/bpf/omr-steer" >/dev/null
	b=$(date +%s%N); echo $(( (b - a) / 1000 ))
done | sort -n)
lat_inproc=$(for _ in $(seq 20); do
	a=$(date +%s%N); "$BIN" stats --pin-dir "$run/bpf/omr-steer" --json >/dev/null
	b=$(date +%s%N); echo $(( (b - a) / 1000 ))
done | sort -n)
printf 'agent CPU over %ss, 4 WANs, interval 1: %.3f %% of one core (target <= 1 %%)\n' "$SECS" "$cpu"
printf 'agent resident memory: %s KiB now, %s KiB peak (target <= 8192 KiB)\n' "$rss" "$hwm"
printf 'stats latency: median %s us, max %s us (includes ip netns exec); without netns exec: median %s us (target <= 50000 us)\n' \
	"$(echo "$lat" | sed -n 10p)" "$(echo "$lat" | tail -n1)" "$(echo "$lat_inproc" | sed -n 10p)"
