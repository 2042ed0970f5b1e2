# shellcheck shell=bash
# The test lab of the omr-steer network tests, the demo and the benchmarks.
# Source it from bash:
#
#   LAB_PREFIX=xy$$        # optional: your own namespace prefix (default ol$$)
#   . tests/net/lib.sh     # installs a trap that always calls lab_down
#   lab_up --wans 2 --rates "8mbit 24mbit"
#
# Topology (every name below lives only inside the lab's namespaces):
#
#   LAN host (ns $LAB_LAN) --- router (ns $LAB_RTR) === N WANs === ISP (ns $LAB_ISP) --- server (ns $LAB_SRV)
#    eth0 192.168.77.2          lan0 192.168.77.1      wanI 10.77.I.2 / rtrI 10.77.I.1    srv0 198.51.100.1
#         fd77::2                    fd77::1                fd00:77:I::2 / ::1                  2001:db8:100::1
#                                                                           server eth0 198.51.100.10, 2001:db8:100::10
#
# The router masquerades on every WAN (nftables, ip and ip6), routes by
# default via wan1 (metric 1; wanI has metric I), and routes traffic sourced
# from a WAN's own address out of that WAN (table 100+I, like real multi-WAN
# routers).  The ISP drops packets that arrive on the wrong link: strict
# rp_filter for IPv4, an nftables fib rule for IPv6.  --rates shapes both
# directions of each WAN with tbf (netem is not in this kernel).  --delays
# (or lab_delay) puts a user-space delay line into a WAN: a longer path for
# every frame, both ways (see "delay lines" below).
#
# bpffs: `ip netns exec` gives every command a fresh /sys, so pins under
# /sys/fs/bpf would not be shared between the agent and `stats`.  The lab
# mounts its own bpffs at $LAB_BPF_DIR (under /run) and the agent pins in
# $LAB_PIN_DIR; pass --pin-dir "$LAB_PIN_DIR" to every omr-steer command.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_PREFIX=${LAB_PREFIX:-ol$$}
LAB_LAN=$LAB_PREFIX-lan
LAB_RTR=$LAB_PREFIX-rtr
LAB_ISP=$LAB_PREFIX-isp
LAB_SRV=$LAB_PREFIX-srv
LAB_BPF_DIR=/run/$LAB_PREFIX-bpf
LAB_PIN_DIR=$LAB_BPF_DIR/omr-steer
LAB_TMP=/tmp/$LAB_PREFIX-lab
LAB_PIDFILE=$LAB_TMP/omr-steer.pid
LAB_AGENT_LOG=$LAB_TMP/agent.log
LAB_WANS=0
LAB_RATES=()
LAB_DELAYS=()			# one-way delay per WAN in ms, "-" for none
LAB_DELAY_MAX_SECONDS=${LAB_DELAY_MAX_SECONDS:-1800}	# a delay line's lifetime

OMR=${OMR:-$LAB_ROOT/build/omr-steer}
TRAFGEN=${TRAFGEN:-$LAB_ROOT/build/tools/trafgen}
DELAYLINE=${DELAYLINE:-$LAB_ROOT/build/tools/delayline}

LAB_LAN4=192.168.77.2
LAB_LAN6=fd77::2
LAB_SRV4=198.51.100.10
LAB_SRV6=2001:db8:100::10
LAB_PORT=5201

lab_wan_addr4() { echo "10.77.$1.2"; }		# the router's address on WAN I
lab_wan_addr6() { echo "fd00:77:$1::2"; }
lab_isp_addr4() { echo "10.77.$1.1"; }		# the ISP's address on link I
lab_isp_addr6() { echo "fd00:77:$1::1"; }

LAB_PASSED=0
LAB_FAILED=0
LAB_SKIPPED=0

# ---- results -----------------------------------------------------------------

lab_pass() { echo "PASS $1"; LAB_PASSED=$((LAB_PASSED + 1)); }
lab_fail() { echo "FAIL $1: $2"; echo "FAIL $1: $2" >&2; LAB_FAILED=$((LAB_FAILED + 1)); }
lab_skip() { echo "SKIP $1: $2"; LAB_SKIPPED=$((LAB_SKIPPED + 1)); }
lab_log()  { echo "# $*" >&2; }

# lab_check NAME MESSAGE CMD...: PASS when CMD succeeds, else FAIL with MESSAGE.
lab_check() {
	local name=$1 msg=$2; shift 2
	if "$@"; then lab_pass "$name"; else lab_fail "$name" "$msg"; fi
}

# Exit status for the end of a test file: 1 when anything failed.
lab_finish() {
	lab_log "$LAB_PASSED passed, $LAB_FAILED failed, $LAB_SKIPPED skipped"
	[ "$LAB_FAILED" -eq 0 ]
}

# ---- namespaces --------------------------------------------------------------

# in_ns ROLE CMD...: run CMD in the lab namespace lan|rtr|isp|srv (a fresh
# /sys that shows that namespace's interfaces; /run is shared with the host).
in_ns() {
	local role=$1; shift
	ip netns exec "$LAB_PREFIX-$role" "$@"
}

# in_net ROLE CMD...: enter only the network namespace (host mounts and /sys).
in_net() {
	local role=$1; shift
	nsenter --net="/run/netns/$LAB_PREFIX-$role" "$@"
}

lab_sysctl() { # lab_sysctl ROLE key=value...
	local role=$1; shift
	in_ns "$role" sysctl -qw "$@" >/dev/null
}

# "24mbit" -> bits per second (bit, kbit, mbit, gbit; k/m/g are 1000s).
lab_rate_bps() {
	local r=${1,,} n unit
	n=${r%%[a-z]*}
	unit=${r#"$n"}
	[ -n "$n" ] || return 1
	case "$unit" in
	bit|"") echo "$n" ;;
	kbit) echo $((n * 1000)) ;;
	mbit) echo $((n * 1000000)) ;;
	gbit) echo $((n * 1000000000)) ;;
	*) return 1 ;;
	esac
}

# lab_batch_ideal BYTES CONNS RATE...: the best a batch of CONNS transfers of
# BYTES each (1m, 512k) can do over links of those rates.  Sets SUM_BPS,
# TOTAL (bytes) and IDEAL (seconds: total bytes / sum of the link rates).
lab_batch_ideal() {
	local bytes=$1 conns=$2 r; shift 2
	SUM_BPS=0
	for r in "$@"; do SUM_BPS=$((SUM_BPS + $(lab_rate_bps "$r"))); done
	TOTAL=$(( $(numfmt --from=iec "${bytes^^}") * conns ))
	IDEAL=$(awk -v t="$TOTAL" -v r="$SUM_BPS" 'BEGIN { printf "%.3f", t * 8 / r }')
}

# lab_shape ROLE DEV RATE: tbf at RATE on DEV's egress; "-" removes shaping.
# Burst: 20 ms of data, at least 4 full frames; queue: 50 ms.
lab_shape() {
	local role=$1 dev=$2 rate=$3 bps burst
	if [ "$rate" = - ]; then
		in_ns "$role" tc qdisc del dev "$dev" root 2>/dev/null
		return 0
	fi
	bps=$(lab_rate_bps "$rate") || { echo "lab: bad rate '$rate' (use e.g. 8mbit)" >&2; return 1; }
	burst=$((bps / 8 / 50))
	[ "$burst" -ge 6056 ] || burst=6056
	in_ns "$role" tc qdisc replace dev "$dev" root tbf rate "$bps"bit burst "$burst" latency 50ms
}

# lab_wan_add I: create WAN I (router wanI <-> ISP rtrI) with addresses,
# routes, policy routing and shaping.  Used by lab_up and to recreate a WAN.
lab_wan_add() {
	local i=$1 rate=${LAB_RATES[$(($1 - 1))]:--} tbl=$((100 + $1))
	local r4 r6 g4 g6
	r4=$(lab_wan_addr4 "$i"); r6=$(lab_wan_addr6 "$i")
	g4=$(lab_isp_addr4 "$i"); g6=$(lab_isp_addr6 "$i")

	lab__wan_link "$i" || return 1	# wanI <-> rtrI, through a delay line if WAN I has one
	lab_sysctl isp "net.ipv4.conf.rtr$i.rp_filter=1"
	ip -n "$LAB_RTR" addr add "$r4/24" dev "wan$i"
	ip -n "$LAB_RTR" addr add "$r6/64" dev "wan$i" nodad
	ip -n "$LAB_ISP" addr add "$g4/24" dev "rtr$i"
	ip -n "$LAB_ISP" addr add "$g6/64" dev "rtr$i" nodad
	ip -n "$LAB_RTR" link set "wan$i" up
	ip -n "$LAB_ISP" link set "rtr$i" up
	# Default routes: wan1 preferred, the others behind it by metric.
	ip -n "$LAB_RTR" route replace default via "$g4" dev "wan$i" metric "$i"
	ip -n "$LAB_RTR" -6 route replace default via "$g6" dev "wan$i" metric "$i"
	# Policy routing: traffic from a WAN's own address leaves by that WAN.
	ip -n "$LAB_RTR" route replace default via "$g4" dev "wan$i" table "$tbl"
	ip -n "$LAB_RTR" -6 route replace default via "$g6" dev "wan$i" table "$tbl"
	ip -n "$LAB_RTR" rule del from "$r4" lookup "$tbl" 2>/dev/null
	ip -n "$LAB_RTR" -6 rule del from "$r6" lookup "$tbl" 2>/dev/null
	ip -n "$LAB_RTR" rule add from "$r4" lookup "$tbl" priority "$((1000 + i))"
	ip -n "$LAB_RTR" -6 rule add from "$r6" lookup "$tbl" priority "$((1000 + i))"
	lab_shape rtr "wan$i" "$rate" && lab_shape isp "rtr$i" "$rate"
}

# lab_wan_del I: delete WAN I (both ends of the veth go, and its delay line).
lab_wan_del() {
	ip -n "$LAB_RTR" link del "wan$1" 2>/dev/null
	lab__delay_del "$1"
	return 0
}

# ---- delay lines -------------------------------------------------------------
# A WAN with a delay is two veth pairs with a delay line between them, in a
# namespace of its own ($LAB_PREFIX-dlyI):
#
#   router wanI <-> dI0 [build/tools/delayline: MS ms each way] dI1 <-> rtrI ISP
#
# wanI and rtrI keep their names, addresses, routes, rp_filter and shaping
# (lab_wan_add sets them up the same way); every frame (ARP, ND, ICMP, TCP,
# UDP), both ways, waits MS ms in the line, so the round trip over WAN I is
# 2*MS ms longer.  A delay line uses CPU for every frame: shape (--rates)
# the WANs it is on.  Its log: $LAB_TMP/delayline-I.log.

lab_delay_ns() { echo "$LAB_PREFIX-dly$1"; }	# the namespace of WAN I's line

# lab_delay I MS: give WAN I a one-way delay of MS ms (decimals allowed;
# 0 is a line that adds no delay), or "-" for a plain link.  If WAN I has a
# line already, only the line restarts with the new delay (wanI and rtrI
# stay, ifindexes too; the frames in the line are lost); otherwise WAN I is
# recreated (lab_wan_del + lab_wan_add: same names and settings, new
# ifindexes).  A WAN that does not exist gets the delay when it is added.
lab_delay() {
	local i=$1 ms=$2
	case "$i" in [1-8]) ;; *) echo "lab_delay: WAN '$i' is not 1..8" >&2; return 2 ;; esac
	lab__delay_valid "$ms" || { echo "lab_delay: '$ms' is not a delay in ms (e.g. 20, 0.5, or -)" >&2; return 2; }
	LAB_DELAYS[i - 1]=$ms
	lab_wan_exists "$i" || return 0
	if [ "$ms" != - ] && [ -e "/run/netns/$(lab_delay_ns "$i")" ]; then
		lab__delay_stop "$i"
		lab__delay_start "$i" "$ms"
		return
	fi
	lab_wan_del "$i"
	lab_wan_add "$i"
}

lab__delay_valid() { [ "$1" = - ] || [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# lab__wan_link I: the link between the router's wanI and the ISP's rtrI:
# one veth, or two with WAN I's delay line between them.
lab__wan_link() {
	local i=$1 ms=${LAB_DELAYS[$(($1 - 1))]:--} ns dev
	if [ "$ms" = - ]; then
		ip -n "$LAB_RTR" link add "wan$i" type veth peer name "rtr$i" netns "$LAB_ISP"
		return
	fi
	[ -x "$DELAYLINE" ] || { echo "lab: $DELAYLINE is missing; run 'make build/tools/delayline'" >&2; return 1; }
	ns=$(lab_delay_ns "$i")
	lab__delay_del "$i"
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	# the line is a wire: its namespace sends nothing of its own
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip -n "$LAB_RTR" link add "wan$i" type veth peer name "d${i}0" netns "$ns" || return 1
	ip -n "$LAB_ISP" link add "rtr$i" type veth peer name "d${i}1" netns "$ns" || return 1
	for dev in "d${i}0" "d${i}1"; do
		# any frame the outer ends accept must pass the middle
		ip -n "$ns" link set "$dev" mtu 65535 2>/dev/null
		ip -n "$ns" link set "$dev" up || return 1
	done
	lab__delay_start "$i" "$ms"
}

# lab__delay_start I MS: run WAN I's delay line; returns when it forwards.
lab__delay_start() {
	local i=$1 ms=$2 log pid
	log=$LAB_TMP/delayline-$i.log
	# a plain command in a background job: $! is the delay line itself
	ip netns exec "$(lab_delay_ns "$i")" "$DELAYLINE" "d${i}0" "d${i}1" --delay-ms "$ms" \
		--max-seconds "$LAB_DELAY_MAX_SECONDS" </dev/null >>"$log" 2>&1 &
	pid=$!
	LAB_BG_PIDS+=("$pid")
	if ! lab_wait 5 grep -q "pid $pid, .* ready" "$log"; then
		echo "lab: the delay line of wan$i did not start; its log:" >&2
		tail -n 5 "$log" >&2
		return 1
	fi
}

# lab__delay_stop I: stop WAN I's delay line (SIGTERM; it prints its summary).
lab__delay_stop() {
	local ns pid pids
	ns=$(lab_delay_ns "$1")
	[ -e "/run/netns/$ns" ] || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -n "$pids" ] || return 0
	for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $pids; do
		lab_wait 2 lab__pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
	done
	return 0
}

lab__pid_gone() { ! lab_pid_alive "$1"; }

# lab__delay_del I: stop WAN I's delay line and delete its namespace (and
# with it the middle veth ends and their peers).
lab__delay_del() {
	local ns
	ns=$(lab_delay_ns "$1")
	[ -e "/run/netns/$ns" ] || return 0
	lab__delay_stop "$1"
	# delete the veths now: a deleted namespace frees its devices later,
	# and a WAN added again at once would find rtrI still there
	ip -n "$ns" link del "d${1}0" 2>/dev/null
	ip -n "$ns" link del "d${1}1" 2>/dev/null
	ip netns del "$ns"
}

# The namespaces of the lab's delay lines that exist.
lab__delay_namespaces() {
	local i
	for ((i = 1; i <= 8; i++)); do
		[ -e "/run/netns/$LAB_PREFIX-dly$i" ] && echo "$LAB_PREFIX-dly$i"
	done
	return 0
}

# lab_up [--wans N] [--rates "R1 R2 ..."] [--delays "D1 D2 ..."]: build the
# lab.  Rates are tbf rates per WAN ("-" for an unshaped WAN); no --rates
# means no shaping.  Delays are one-way delays per WAN in ms ("-" for a
# plain link, see lab_delay); no --delays means no delay lines.
lab_up() {
	local wans=2 rates="" delays="" i ns
	while [ $# -gt 0 ]; do
		case "$1" in
		--wans) wans=$2; shift 2 ;;
		--rates) rates=$2; shift 2 ;;
		--delays) delays=$2; shift 2 ;;
		*) echo "lab_up: unknown option '$1'" >&2; return 2 ;;
		esac
	done
	if [ "$(id -u)" != 0 ]; then
		echo "lab: must run as root (namespaces, tc, nftables)" >&2
		return 1
	fi
	for c in ip tc nft nsenter sysctl mount jq; do
		command -v "$c" >/dev/null || { echo "lab: '$c' is missing; run 'make deps'" >&2; return 1; }
	done
	case "$wans" in ''|*[!0-9]*) echo "lab_up: --wans '$wans' is not a number" >&2; return 2 ;; esac
	if [ "$wans" -lt 1 ] || [ "$wans" -gt 8 ]; then
		echo "lab_up: --wans must be 1..8" >&2; return 2
	fi
	read -r -a LAB_RATES <<< "$rates"
	read -r -a LAB_DELAYS <<< "$delays"
	for i in "${LAB_DELAYS[@]}"; do
		lab__delay_valid "$i" || { echo "lab_up: --delays '$i' is not a delay in ms (e.g. 20, 0.5, or -)" >&2; return 2; }
	done
	LAB_WANS=$wans
	for ns in "$LAB_LAN" "$LAB_RTR" "$LAB_ISP" "$LAB_SRV"; do
		if [ -e "/run/netns/$ns" ]; then
			echo "lab: namespace $ns already exists (lab_down or 'scripts/lab/lab.sh down')" >&2
			return 1
		fi
	done
	mkdir -p "$LAB_TMP" || return 1

	for ns in "$LAB_LAN" "$LAB_RTR" "$LAB_ISP" "$LAB_SRV"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		# No duplicate address detection: addresses work at once.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null
	done

	# The router forwards and does not filter by source (multi-WAN).
	lab_sysctl rtr net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	# The ISP forwards and drops what arrives on the wrong link.
	lab_sysctl isp net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
	in_ns isp nft -f - <<-'EOF' || return 1
		table ip6 lab_isp {
			chain prerouting {
				type filter hook prerouting priority -300; policy accept;
				fib saddr . iif oif missing counter drop
			}
		}
	EOF
	in_ns rtr nft -f - <<-'EOF' || return 1
		table inet lab_nat {
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "wan*" masquerade
			}
		}
	EOF

	# LAN
	ip -n "$LAB_RTR" link add lan0 type veth peer name eth0 netns "$LAB_LAN" || return 1
	ip -n "$LAB_RTR" addr add 192.168.77.1/24 dev lan0
	ip -n "$LAB_RTR" addr add fd77::1/64 dev lan0 nodad
	ip -n "$LAB_LAN" addr add "$LAB_LAN4/24" dev eth0
	ip -n "$LAB_LAN" addr add "$LAB_LAN6/64" dev eth0 nodad
	ip -n "$LAB_RTR" link set lan0 up
	ip -n "$LAB_LAN" link set eth0 up
	ip -n "$LAB_LAN" route add default via 192.168.77.1
	ip -n "$LAB_LAN" -6 route add default via fd77::1

	# ISP <-> server
	ip -n "$LAB_ISP" link add srv0 type veth peer name eth0 netns "$LAB_SRV" || return 1
	lab_sysctl isp net.ipv4.conf.srv0.rp_filter=1
	ip -n "$LAB_ISP" addr add 198.51.100.1/24 dev srv0
	ip -n "$LAB_ISP" addr add 2001:db8:100::1/64 dev srv0 nodad
	ip -n "$LAB_SRV" addr add "$LAB_SRV4/24" dev eth0
	ip -n "$LAB_SRV" addr add "$LAB_SRV6/64" dev eth0 nodad
	ip -n "$LAB_ISP" link set srv0 up
	ip -n "$LAB_SRV" link set eth0 up
	ip -n "$LAB_SRV" route add default via 198.51.100.1
	ip -n "$LAB_SRV" -6 route add default via 2001:db8:100::1

	for ((i = 1; i <= wans; i++)); do
		lab_wan_add "$i" || return 1
	done

	# bpffs for the agent's pins, outside /sys (see the header).
	mkdir -p "$LAB_BPF_DIR" || return 1
	if ! mountpoint -q "$LAB_BPF_DIR"; then
		mount -t bpf bpf "$LAB_BPF_DIR" || { echo "lab: cannot mount bpffs on $LAB_BPF_DIR" >&2; return 1; }
	fi

	lab_check_paths || return 1
}

# Ping the server from the LAN and from every WAN address (IPv4 and IPv6);
# the first packets wait for neighbour resolution, so allow a few seconds.
lab_check_paths() {
	local i ok=0
	lab_wait 5 lab__ping lan "$LAB_SRV4" || { echo "lab: LAN cannot reach $LAB_SRV4" >&2; ok=1; }
	lab_wait 5 lab__ping lan "$LAB_SRV6" || { echo "lab: LAN cannot reach $LAB_SRV6" >&2; ok=1; }
	for ((i = 1; i <= LAB_WANS; i++)); do
		lab_wan_exists "$i" || continue
		lab_wait 5 lab__ping rtr "$LAB_SRV4" -I "$(lab_wan_addr4 "$i")" ||
			{ echo "lab: router cannot reach $LAB_SRV4 from wan$i" >&2; ok=1; }
		lab_wait 5 lab__ping rtr "$LAB_SRV6" -I "$(lab_wan_addr6 "$i")" ||
			{ echo "lab: router cannot reach $LAB_SRV6 from wan$i" >&2; ok=1; }
	done
	return $ok
}

lab__ping() { # lab__ping ROLE DST [ping options]
	local role=$1 dst=$2; shift 2
	in_ns "$role" ping -q -c 1 -W 1 "$@" "$dst" >/dev/null 2>&1
}

lab_wan_exists() { ip -n "$LAB_RTR" link show "wan$1" >/dev/null 2>&1; }

# lab_down: stop every process in the lab, unmount its bpffs, delete its
# namespaces and files.  Idempotent; safe to call when nothing is up.
lab_down() {
	local ns pid n
	# SIGTERM first (the agent and trafgen end cleanly on it), SIGKILL
	# whatever is still there after 2 s.
	for pid in $(lab__pids); do kill -TERM "$pid" 2>/dev/null; done
	for ((n = 0; n < 20; n++)); do
		[ -z "$(lab__pids)" ] && break
		sleep 0.1
	done
	for pid in $(lab__pids); do kill -KILL "$pid" 2>/dev/null; done
	# reap our own background jobs quietly
	for pid in "${LAB_BG_PIDS[@]}"; do { wait "$pid"; } 2>/dev/null; done
	LAB_BG_PIDS=()
	if mountpoint -q "$LAB_BPF_DIR" 2>/dev/null; then
		umount "$LAB_BPF_DIR" 2>/dev/null || umount -l "$LAB_BPF_DIR"
	fi
	[ -d "$LAB_BPF_DIR" ] && rmdir "$LAB_BPF_DIR" 2>/dev/null
	for ns in "$LAB_LAN" "$LAB_RTR" "$LAB_ISP" "$LAB_SRV" $(lab__delay_namespaces); do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns"
	done
	rm -rf "$LAB_TMP"
	return 0
}

# The live processes of the lab: everything in its namespaces, and the
# background jobs this shell started for it.
lab__pids() {
	local ns pid
	for ns in "$LAB_LAN" "$LAB_RTR" "$LAB_ISP" "$LAB_SRV" $(lab__delay_namespaces); do
		[ -e "/run/netns/$ns" ] && ip netns pids "$ns" 2>/dev/null
	done
	for pid in "${LAB_BG_PIDS[@]}"; do
		lab_pid_alive "$pid" && echo "$pid"
	done
}

LAB_BG_PIDS=()

lab__on_exit() {
	local rc=$?
	trap - EXIT
	lab_down
	exit $rc
}

if [ -z "${LAB_NO_TRAP:-}" ]; then
	trap lab__on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi

# ---- counters ----------------------------------------------------------------

# lab_ifstat ROLE DEV FIELD: /sys/class/net/DEV/statistics/FIELD in that namespace.
lab_ifstat() {
	in_ns "$1" cat "/sys/class/net/$2/statistics/$3"
}

# lab_snmp ROLE GROUP:NAME: a counter of ROLE's /proc/net/snmp or
# /proc/net/netstat (groups Tcp, TcpExt, MPTcpExt), e.g. Tcp:RetransSegs
lab_snmp() {
	in_ns "$1" awk -v want="$2" '/^(Tcp|TcpExt|MPTcpExt):/ {
		k = $1; if (!(k in h)) { h[k] = 1; for (i = 2; i <= NF; i++) n[k, i] = $i; next }
		for (i = 2; i <= NF; i++) if (k n[k, i] == want) print $i }' /proc/net/snmp /proc/net/netstat
}

lab_ifindex() { # lab_ifindex ROLE DEV
	in_ns "$1" cat "/sys/class/net/$2/ifindex"
}

# lab_xmit_ref_start DEV...: a second transmit counter beside the agent's
# (build/tools/xmit_count: omr_xmit alone, maps of its own) on the router's
# DEVs; lab_xmit_ref_tx DEV prints its tx bytes, empty if it is not running.
# It sees what the kernel lets BPF tracing programs see on net_dev_xmit: a
# tx comparison that fails tells a kernel that skips BPF tracing in some
# contexts (README "known limits") from a miscount of omr-steer's.
LAB_XREF_DEVS=()
lab_xmit_ref_start() {
	local ino ifx=() d n
	ino=$(in_ns rtr stat -L -c %i /proc/self/ns/net) || return 1
	for d in "$@"; do ifx+=("$(lab_ifindex rtr "$d")") || return 1; done
	"$LAB_ROOT/build/tools/xmit_count" "$LAB_BPF_DIR/xmit_ref" 600 "$ino" "${ifx[@]}" \
		>"$LAB_TMP/xmit_ref.out" 2>&1 &
	LAB_BG_PIDS+=($!)
	for ((n = 0; n < 50; n++)); do
		grep -q '^ready' "$LAB_TMP/xmit_ref.out" 2>/dev/null && { LAB_XREF_DEVS=("$@"); return 0; }
		sleep 0.1
	done
	lab_log "xmit_count did not start: $(cat "$LAB_TMP/xmit_ref.out")"
	return 1
}
lab_xmit_ref_tx() {
	local i
	for i in "${!LAB_XREF_DEVS[@]}"; do
		[ "${LAB_XREF_DEVS[$i]}" = "$1" ] || continue
		"$LAB_ROOT/build/tools/xmit_count" --read "$LAB_BPF_DIR/xmit_ref" "$i" | cut -d' ' -f1
		return
	done
}

# lab_xmit_blind_spot OMR IF REF: true when omr-steer's tx count OMR, short of
# the interface's IF, is what the second counter saw too (REF, within 1 %)
# and that is more than 1 % short of IF: the kernel did not run BPF tracing
# programs for some transmits, omr-steer counted all it was shown.
lab_xmit_blind_spot() {
	[ -n "$3" ] && lab_within_pct "$1" "$3" 1 && ! lab_within_pct "$3" "$2" 1
}

# lab_within_pct A B PCT: |A - B| <= PCT % of max(A, B).  Integers.
lab_within_pct() {
	local a=$1 b=$2 pct=$3 diff max
	diff=$((a > b ? a - b : b - a))
	max=$((a > b ? a : b))
	[ "$max" -eq 0 ] && return 0
	[ $((diff * 10000)) -le $((max * pct * 100)) ]
}

# lab_pid_alive PID: the process exists and is not a zombie waiting for us.
lab_pid_alive() {
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# lab_wait SECONDS CMD...: retry CMD every 0.2 s until it succeeds or time runs out.
lab_wait() {
	local deadline=$(( $(date +%s%N) / 1000000 + ${1%.*} * 1000 )); shift
	while :; do
		"$@" && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# ---- traffic -----------------------------------------------------------------

# lab_server_start [PORT] [extra trafgen server options]: a trafgen server in
# the server namespace (TCP + UDP, both families), ready when this returns.
lab_server_start() {
	local port=${1:-$LAB_PORT}; shift
	ip netns exec "$LAB_SRV" "$TRAFGEN" server --port "$port" --max-seconds 600 "$@" \
		>>"$LAB_TMP/trafgen-server.log" 2>&1 &
	LAB_BG_PIDS+=($!)
	lab_wait 5 in_ns srv "$TRAFGEN" stats 127.0.0.1 "$port" --timeout 1 >/dev/null 2>&1 ||
		{ echo "lab: trafgen server on port $port did not start" >&2; return 1; }
}

# lab_server_stats [PORT]: the server's JSON totals per peer address.
lab_server_stats() {
	in_ns srv "$TRAFGEN" stats "$LAB_SRV4" "${1:-$LAB_PORT}" --timeout 5
}

# lab_peer FIELD ADDR JSON: one per-peer counter (conns, bytes_in,
# udp_packets_in, ...) of a server's stats JSON; 0 when ADDR is absent.
lab_peer() {
	jq -r --arg a "$2" --arg f "$1" \
		'[.peers[] | select(.addr == $a) | .[$f]] | add // 0' <<< "$3"
}

# lab_all_ok NAME JSON WANT: PASS when the client's JSON says WANT
# connections succeeded and none failed, else FAIL.
lab_all_ok() {
	local ok failed
	ok=$(jq -r '.ok // 0' <<< "$2" 2>/dev/null)
	failed=$(jq -r '.failed // 1' <<< "$2" 2>/dev/null)
	if [ "${ok:-0}" = "$3" ] && [ "${failed:-1}" = 0 ]; then
		lab_pass "$1"
	else
		lab_fail "$1" "client: ${2:-no output} (want ok $3, failed 0)"
	fi
}

# lab_traffic ROLE TRAFGEN-CLIENT-ARGS...: run a trafgen client in ROLE's
# namespace; prints its JSON line, returns its status.
lab_traffic() {
	local role=$1; shift
	in_ns "$role" "$TRAFGEN" client "$@"
}

# ---- the agent ---------------------------------------------------------------

lab_require_omr() {
	if [ ! -x "$OMR" ]; then
		echo "lab: $OMR is missing; run 'make build/omr-steer'" >&2
		return 1
	fi
}

# lab_conf FILE LINE...: write a weight file, one argument per line.
lab_conf() {
	local file=$1; shift
	printf '%s\n' "$@" > "$file"
}

# omr ARGS...: the omr-steer CLI in the router namespace.
omr() { in_ns rtr "$OMR" "$@"; }

# omr_stats_json: `stats --json` of the lab's pins.
omr_stats_json() { omr stats --json --pin-dir "$LAB_PIN_DIR"; }

# omr_wan FIELD WAN [JSON]: one field of one WAN from `stats --json`
# (read fresh unless JSON is given); empty when missing.
omr_wan() {
	local json=${3:-}
	[ -n "$json" ] || json=$(omr_stats_json 2>/dev/null) || return 1
	jq -er --arg w "$2" --arg f "$1" '.wans[] | select(.name == $w) | .[$f]' <<< "$json"
}

# omr_load CONF [more load options]: start the agent in the router namespace,
# in the foreground of a background job (its log in $LAB_AGENT_LOG); returns
# when `stats` answers and the pidfile names a live process.  Sets OMR_PID.
omr_load() {
	local conf=$1; shift
	# a plain command, not a function: $! is then the agent itself
	ip netns exec "$LAB_RTR" "$OMR" load -c "$conf" --pin-dir "$LAB_PIN_DIR" \
		--pidfile "$LAB_PIDFILE" "$@" >>"$LAB_AGENT_LOG" 2>&1 &
	OMR_PID=$!
	LAB_BG_PIDS+=("$OMR_PID")
	lab_wait 10 omr__ready_or_dead
	if ! omr__ready; then
		echo "lab: the agent (pid $OMR_PID) did not become ready; its log:" >&2
		tail -n 20 "$LAB_AGENT_LOG" >&2
		return 1
	fi
}

omr__ready() {
	lab_pid_alive "$OMR_PID" || return 1
	[ -s "$LAB_PIDFILE" ] && [ "$(tr -d '[:space:]' < "$LAB_PIDFILE" 2>/dev/null)" = "$OMR_PID" ] &&
		omr_stats_json >/dev/null 2>&1
}

# omr_stop: SIGTERM the agent and wait for it (at most 5 s).
omr_stop() {
	[ -n "${OMR_PID:-}" ] || return 0
	kill -TERM "$OMR_PID" 2>/dev/null
	lab_wait 5 omr__gone || kill -KILL "$OMR_PID" 2>/dev/null
	wait "$OMR_PID" 2>/dev/null
	OMR_PID=
}

omr__ready_or_dead() { omr__ready || ! lab_pid_alive "$OMR_PID"; }

omr__gone() { ! lab_pid_alive "$OMR_PID"; }

# omr_filter_count DEV: omr-steer's tc filters on the router's DEV, egress
# and ingress together (ours are bpf filters with handle OMR_TC_HANDLE).
omr_filter_count() {
	local hook n=0 c
	for hook in egress ingress; do
		c=$(in_ns rtr tc filter show dev "$1" "$hook" 2>/dev/null | grep -c 'bpf .*handle 0x6f6d')
		n=$((n + c))
	done
	echo "$n"
}

# omr_has_clsact DEV: the router's DEV has a clsact qdisc.
omr_has_clsact() {
	in_ns rtr tc qdisc show dev "$1" 2>/dev/null | grep -q '^qdisc clsact'
}
