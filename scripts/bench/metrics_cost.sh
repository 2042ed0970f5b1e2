#!/usr/bin/env bash
# What serving GET /metrics costs the agent (issue 11): 2 WANs, interval
# 0.1 s, `metrics 127.0.0.1:9469`; 10 s phases: without scrapes, with curl
# scraping 100 times a second (one connection each), alternating (idle,
# scraped, idle, scraped, idle) so that the machine's own noise shows.
# For each phase: the agent's CPU (scheduler ns, /proc/PID/schedstat) and
# the control loop's regularity (build/tools/tickwatch: the spacing of the
# agent's sample stamps against the interval).
# Targets: <= 1 % of one core added; the jitter no worse than without.
set -eu
cd "$(dirname "$0")/../.."
BIN=$PWD/build/omr-steer
TICKWATCH=$PWD/build/tools/tickwatch
SECS=${SECS:-10}
RATE=${RATE:-100}
[ -x "$TICKWATCH" ] || make -s build/tools/tickwatch
command -v curl >/dev/null || { echo "curl is missing: scripts/deps.sh test" >&2; exit 1; }
ns=om$$
run=/run/$ns
cleanup() {
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	umount "$run/bpf" 2>/dev/null
	rm -rf "$run"
	ip netns del "$ns-a" 2>/dev/null
	ip netns del "$ns-b" 2>/dev/null
	true
}
trap cleanup EXIT
ip netns add "$ns-a"; ip netns add "$ns-b"
ip -n "$ns-a" link set lo up
mkdir -p "$run/bpf"; mount -t bpf bpf "$run/bpf"
pins=$run/bpf/omr-steer
conf=$run/omr-steer.conf
printf 'interval 0.1\nmetrics 127.0.0.1:9469\n' > "$conf"
for i in 1 2; do
	ip link add "wan$i" netns "$ns-a" type veth peer name "isp$i" netns "$ns-b"
	ip -n "$ns-a" addr add "10.89.$i.2/24" dev "wan$i"
	ip -n "$ns-b" addr add "10.89.$i.1/24" dev "isp$i"
	ip -n "$ns-a" link set "wan$i" up; ip -n "$ns-b" link set "isp$i" up
	echo "wan wan$i weight $i" >> "$conf"
done
ip netns exec "$ns-a" "$BIN" load -c "$conf" --pin-dir "$pins" --pidfile "$run/pid" \
	2>"$run/log" &
agent=$!
sleep 2
kill -0 "$agent" || { cat "$run/log"; exit 1; }

cpu_ns() { cut -d' ' -f1 "/proc/$agent/schedstat"; }

# phase KEY NAME SCRAPE(0|1): CPU % (also in $run/cpu.KEY) and tickwatch's
# line for SECS seconds
phase() {
	local key=$1; shift
	local t0 t1 s0 s1 tw scr=""
	"$TICKWATCH" "$pins" 100 "$SECS" > "$run/tw" &
	tw=$!
	t0=$(cpu_ns); s0=$(date +%s.%N)
	if [ "$2" = 1 ]; then
		# one curl process, serial requests at RATE per second, a new
		# connection each (the agent closes after answering)
		scr=$(ip netns exec "$ns-a" timeout $((SECS + 10)) curl -s --rate "$RATE/s" \
			-w '%{http_code}\n' -o /dev/null \
			"http://127.0.0.1:9469/metrics?[1-$((SECS * RATE))]" | grep -c '^200$' || true)
	else
		sleep "$SECS"
	fi
	t1=$(cpu_ns); s1=$(date +%s.%N)
	wait "$tw"
	echo "($t1 - $t0) / 1000000000 / ($s1 - $s0) * 100" | bc -l > "$run/cpu.$key"
	printf '%-16s agent CPU %.3f %% of one core; %s%s\n' "$1" "$(cat "$run/cpu.$key")" \
		"$(cat "$run/tw")" "${scr:+; $scr scrapes answered 200}"
}

echo "agent: 2 WANs, interval 0.1 s, metrics 127.0.0.1:9469; ${SECS} s per phase"
phase a idle 0
phase b "scraped ${RATE}/s" 1
phase c idle 0
phase d "scraped ${RATE}/s" 1
phase e idle 0
idle=$(echo "($(cat "$run/cpu.a") + $(cat "$run/cpu.c") + $(cat "$run/cpu.e")) / 3" | bc -l)
printf 'added by %s scrapes/s: %.3f %% of one core (target <= 1 %%; mean of the scraped phases - mean of the idle ones)\n' \
	"$RATE" "$(echo "($(cat "$run/cpu.b") + $(cat "$run/cpu.d")) / 2 - $idle" | bc -l)"
# the same cost per scrape, from a burst of back-to-back scrapes (less
# sensitive to the machine's load than the difference of two 10 s phases)
N=2000
t0=$(cpu_ns); s0=$(date +%s.%N)
ip netns exec "$ns-a" timeout 60 curl -s -o /dev/null "http://127.0.0.1:9469/metrics?[1-$N]"
t1=$(cpu_ns); s1=$(date +%s.%N)
per=$(echo "(($t1 - $t0) / 1000000000 - $idle / 100 * ($s1 - $s0)) / $N * 1000000" | bc -l)
printf 'burst of %d scrapes: %.0f us of agent CPU per scrape, i.e. %.3f %% of one core at %s/s\n' \
	"$N" "$per" "$(echo "$per * $RATE / 10000" | bc -l)" "$RATE"
echo "(load average now: $(cut -d' ' -f1-3 /proc/loadavg); jitter = |spacing of samples - 100 ms|)"
